//! After the run: are exactly the acknowledged events in the event log, once
//! each? Counted as the superuser (or the `DATABASE_URL` user, with the
//! platform scope so row-level security shows every reseller's rows).

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{env::db_error, workload::Event};

const IDS_PER_QUERY: usize = 20_000;

#[derive(Debug, Clone, Default)]
pub struct Verification {
    /// Distinct events acknowledged by a 200.
    pub acknowledged: u64,
    /// Of those, how many are in `reseller.sale_events`.
    pub stored: u64,
    pub lost: u64,
    /// Rows beyond one per event id, over every event sent.
    pub duplicated: u64,
    /// Rows of events sent but never acknowledged (rejected, conflicting, or
    /// in a batch given up after it was committed).
    pub stored_unacknowledged: u64,
    /// All rows of the table.
    pub table_rows: u64,
    /// Rows of events this run never sent (only meaningful on a fresh
    /// database).
    pub foreign_rows: u64,
    pub problems: Vec<String>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the events of every sending phase: `(events, acknowledged flags)`.
/// `fresh`: the database was created by this run; `gave_up`: batches not
/// answered 200, whose events may have been committed anyway.
pub async fn check(
    conn: &mut PgConnection,
    phases: &[(&[Event], &[bool])],
    fresh: bool,
    gave_up: u64,
) -> Result<Verification, String> {
    sqlx::query("SELECT set_config('app.scope', 'platform', false)")
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    let mut acked = Vec::new();
    let mut unacked = Vec::new();
    for (events, flags) in phases {
        for (event, flag) in events.iter().zip(flags.iter()) {
            if *flag {
                acked.push(event.event_id);
            } else {
                unacked.push(event.event_id);
            }
        }
    }
    let (acked_rows, acked_distinct) = count(conn, &acked).await?;
    let (unacked_rows, unacked_distinct) = count(conn, &unacked).await?;
    let table_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM reseller.sale_events")
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error)?;
    let table_rows = table_rows.max(0) as u64;

    let mut v = Verification {
        acknowledged: acked.len() as u64,
        stored: acked_distinct,
        lost: (acked.len() as u64).saturating_sub(acked_distinct),
        duplicated: (acked_rows - acked_distinct) + (unacked_rows - unacked_distinct),
        stored_unacknowledged: unacked_distinct,
        table_rows,
        foreign_rows: table_rows.saturating_sub(acked_rows + unacked_rows),
        problems: Vec::new(),
    };
    if v.lost > 0 {
        v.problems
            .push(format!("{} acknowledged events are not stored", v.lost));
    }
    if v.duplicated > 0 {
        v.problems
            .push(format!("{} events are stored more than once", v.duplicated));
    }
    if v.stored_unacknowledged > 0 && gave_up == 0 {
        v.problems.push(format!(
            "{} events reported rejected or conflicting are stored",
            v.stored_unacknowledged
        ));
    }
    if fresh && v.foreign_rows > 0 {
        v.problems.push(format!(
            "{} rows in a fresh database belong to no event sent",
            v.foreign_rows
        ));
    }
    Ok(v)
}

/// Rows and distinct event ids among `ids`.
async fn count(conn: &mut PgConnection, ids: &[Uuid]) -> Result<(u64, u64), String> {
    let mut rows = 0;
    let mut distinct = 0;
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let (r, d): (i64, i64) = sqlx::query_as(
            "SELECT count(*), count(DISTINCT event_id) FROM reseller.sale_events \
             WHERE event_id = ANY($1)",
        )
        .bind(chunk)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error)?;
        rows += r.max(0) as u64;
        distinct += d.max(0) as u64;
    }
    Ok((rows, distinct))
}
