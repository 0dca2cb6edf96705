//! One database, one schema and one role per service: each service's
//! migrations and their bookkeeping live in its own schema, and each role is
//! refused the other's schema.

use sqlx::{Connection, PgConnection};
use test_support::TestDatabase;

#[tokio::test]
async fn each_service_keeps_its_migration_bookkeeping_in_its_own_schema() {
    let db = TestDatabase::new().await;
    let mut conn = db.superuser_connection().await;
    let schemas: Vec<String> = sqlx::query_scalar(
        "SELECT table_schema::text FROM information_schema.tables \
         WHERE table_name = '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(schemas, ["admin", "reseller"]);

    for (schema, migrator) in [
        ("reseller", &reseller_service::MIGRATOR),
        ("admin", &admin_service::MIGRATOR),
    ] {
        let applied: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT version FROM {schema}._sqlx_migrations WHERE success ORDER BY version"
        ))
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let expected: Vec<i64> = migrator.iter().map(|m| m.version).collect();
        assert_eq!(applied, expected, "{schema}");
    }

    // The service tables are where their migrations put them, owned by the
    // service's role.
    let owners: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT schemaname::text, tablename::text, tableowner::text FROM pg_catalog.pg_tables \
         WHERE schemaname IN ('reseller', 'admin', 'public') AND tablename <> '_sqlx_migrations' ORDER BY 1, 2",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(!owners.is_empty());
    for (schema, table, owner) in owners {
        let expected = match schema.as_str() {
            "reseller" => test_support::RESELLER_ROLE,
            "admin" => test_support::ADMIN_ROLE,
            _ => panic!("table {schema}.{table} outside the service schemas"),
        };
        assert_eq!(owner, expected, "{schema}.{table}");
    }
}

async fn permission_error(conn: &mut PgConnection, sql: &str) -> String {
    let error = sqlx::raw_sql(sql)
        .execute(conn)
        .await
        .expect_err("the statement should have been refused");
    error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned())
        .unwrap_or_else(|| panic!("not a database error: {error}"))
}

#[tokio::test]
async fn the_admin_role_cannot_read_the_reseller_schema() {
    let db = TestDatabase::new().await;
    let mut admin = PgConnection::connect_with(&db.admin_url().0).await.unwrap();
    // 42501: insufficient_privilege.
    assert_eq!(
        permission_error(&mut admin, "SELECT * FROM reseller.resellers").await,
        "42501"
    );
    assert_eq!(
        permission_error(&mut admin, "SELECT * FROM reseller._sqlx_migrations").await,
        "42501"
    );
    assert_eq!(
        permission_error(&mut admin, "CREATE TABLE reseller.intruder (x int)").await,
        "42501"
    );
    // Its own schema works.
    sqlx::raw_sql("SELECT count(*) FROM admin.admins")
        .execute(&mut admin)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_reseller_role_cannot_read_the_admin_schema() {
    let db = TestDatabase::new().await;
    let mut reseller = PgConnection::connect_with(&db.reseller_url().0)
        .await
        .unwrap();
    assert_eq!(
        permission_error(&mut reseller, "SELECT * FROM admin.admins").await,
        "42501"
    );
    assert_eq!(
        permission_error(&mut reseller, "SELECT * FROM admin._sqlx_migrations").await,
        "42501"
    );
    assert_eq!(
        permission_error(&mut reseller, "CREATE TABLE public.intruder (x int)").await,
        "42501"
    );
    sqlx::raw_sql("SELECT count(*) FROM reseller.resellers")
        .execute(&mut reseller)
        .await
        .unwrap();
}
