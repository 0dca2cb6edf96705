//! Multi-tenancy: the tenant comes only from the key; another reseller's
//! objects answer 404 on every id route and never appear in lists; the
//! schema is keyed by reseller_id first; row-level security is a second wall.

use axum::http::StatusCode;
use serde_json::json;
use test_support::TestRequest;

use crate::helpers::TestApp;

#[tokio::test]
async fn reseller_b_gets_404_on_every_id_route_of_reseller_a_and_sees_none_of_its_rows() {
    let app = TestApp::spawn().await;
    let a = app.active_reseller("Tenant A").await;
    let b = app.active_reseller("Tenant B").await;
    let show = app.create_show(&a, "A's show").await;
    let show_id = show["id"].as_str().unwrap();
    let tt_id = app.create_ticket_type(&a, show_id, 10).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a_keys = app
        .call(TestRequest::get("/v1/api-keys").bearer(&a.key))
        .await
        .json();
    let a_key_id = a_keys["data"][0]["id"].as_str().unwrap().to_owned();
    let ticket = app
        .call(
            TestRequest::post("/v1/support-tickets")
                .bearer(&a.key)
                .json(
                    &json!({ "subject": "A's ticket", "category": "other", "message": "private" }),
                ),
        )
        .await
        .json();
    let ticket_id = ticket["id"].as_str().unwrap().to_owned();

    let matrix = [
        TestRequest::get(format!("/v1/shows/{show_id}")),
        TestRequest::patch(format!("/v1/shows/{show_id}")).json(&json!({ "name": "hijacked" })),
        TestRequest::get(format!("/v1/shows/{show_id}/ticket-types")),
        TestRequest::post(format!("/v1/shows/{show_id}/ticket-types"))
            .json(&json!({ "name": "x", "unit_price_minor": 1, "currency": "IDR", "capacity": 1 })),
        TestRequest::get(format!("/v1/shows/{show_id}/ticket-types/{tt_id}")),
        TestRequest::patch(format!("/v1/shows/{show_id}/ticket-types/{tt_id}"))
            .json(&json!({ "capacity": 0 })),
        TestRequest::delete(format!("/v1/api-keys/{a_key_id}")),
        TestRequest::get(format!("/v1/support-tickets/{ticket_id}")),
        TestRequest::post(format!("/v1/support-tickets/{ticket_id}/messages"))
            .json(&json!({ "body": "hijacked" })),
    ];
    for request in matrix {
        app.call(request.bearer(&b.key))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
    }

    // B's own ticket-type route with A's ticket type under B's show is 404 too.
    let b_show = app.create_show(&b, "B's show").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.call(TestRequest::get(format!("/v1/shows/{b_show}/ticket-types/{tt_id}")).bearer(&b.key))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

    for uri in ["/v1/shows", "/v1/api-keys", "/v1/me", "/v1/support-tickets"] {
        let text = app.call(TestRequest::get(uri).bearer(&b.key)).await.text();
        assert!(
            !text.contains(show_id)
                && !text.contains(&a.id)
                && !text.contains(&a_key_id)
                && !text.contains(&ticket_id),
            "{uri}: {text}"
        );
    }
    // A's data is intact.
    let a_show = app
        .call(TestRequest::get(format!("/v1/shows/{show_id}")).bearer(&a.key))
        .await
        .json();
    assert_eq!(a_show["name"], "A's show");
    let a_tt = app
        .call(TestRequest::get(format!("/v1/shows/{show_id}/ticket-types/{tt_id}")).bearer(&a.key))
        .await
        .json();
    assert_eq!(a_tt["capacity"], 10);
}

#[tokio::test]
async fn every_reseller_data_table_is_keyed_by_reseller_id_first() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.superuser_connection().await;
    // Tables that hold no reseller's data.
    let global = [
        "_sqlx_migrations",
        "catalog_feed_position",
        "ingest_quarantine",
    ];
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_catalog.pg_tables WHERE schemaname = 'reseller' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut checked = 0;
    for table in tables.iter().filter(|t| !global.contains(&t.as_str())) {
        let constraints: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT c.conname::text, c.contype::text, a.attname::text \
             FROM pg_catalog.pg_constraint c \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
             WHERE c.conrelid = ('reseller.' || $1)::regclass AND c.contype IN ('p', 'f')",
        )
        .bind(table)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert!(
            constraints.iter().any(|(_, kind, _)| kind == "p"),
            "{table} has no primary key"
        );
        for (name, _, first_column) in constraints {
            assert_eq!(
                first_column, "reseller_id",
                "{table}.{name} does not start with reseller_id"
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} keys checked");
}

#[tokio::test]
async fn row_level_security_hides_other_tenants_even_from_an_unscoped_query() {
    let app = TestApp::spawn().await;
    let a = app.register("RLS A").await;
    let b = app.register("RLS B").await;
    app.create_show(&a, "A only").await;
    app.create_show(&b, "B only").await;
    for who in [&a, &b] {
        app.call(
            TestRequest::post("/v1/support-tickets")
                .bearer(&who.key)
                .json(&json!({ "subject": "Mine", "category": "other", "message": "only mine" })),
        )
        .await;
    }

    // Connect as the service's own role, as the service does.
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect_with(&app.db.reseller_url().0)
        .await
        .unwrap();
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.reseller_id', $1, true)")
        .bind(&b.id)
        .execute(&mut *tx)
        .await
        .unwrap();
    // No WHERE clause: the policy alone must filter.
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM reseller.shows")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(names, ["B only"]);
    let resellers: i64 = sqlx::query_scalar("SELECT count(*) FROM reseller.resellers")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(resellers, 1);
    for table in ["support_tickets", "support_messages"] {
        let owners: Vec<uuid::Uuid> =
            sqlx::query_scalar(&format!("SELECT reseller_id FROM reseller.{table}"))
                .fetch_all(&mut *tx)
                .await
                .unwrap();
        assert_eq!(owners, [uuid::Uuid::parse_str(&b.id).unwrap()], "{table}");
    }
    tx.commit().await.unwrap();

    // The setting was transaction-local: the same connection now sees nothing.
    let leaked: i64 = sqlx::query_scalar("SELECT count(*) FROM reseller.shows")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(leaked, 0);
}
