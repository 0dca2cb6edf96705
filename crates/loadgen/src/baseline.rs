//! The database's own limit: the same events written with `COPY` into a copy
//! of the event log (`CREATE TABLE public.bench_copy (LIKE
//! reseller.sale_events INCLUDING ALL)`: same columns, defaults, keys and
//! indexes), as the superuser, in one statement.
//!
//! The event log's columns belong to its migration, so the COPY column list is
//! built from `information_schema`: every column named like an event field is
//! filled from the event, `content_hash` gets the SHA-256 of the event's JSON
//! (same width as the service's hash), and other columns are left to their
//! default or NULL. A NOT NULL column without a default that cannot be filled
//! makes the baseline unavailable (with the reason) rather than wrong.
//!
//! The naive baseline sends fresh events of the same shape one per request
//! (batches of 1) with the same senders.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sqlx::{PgConnection, Row};

use chrono::{DateTime, Utc};

use crate::{
    catalog::Catalog,
    env::db_error,
    send::{self, Outcome, Target},
    workload::{self, Event, Spec},
};

/// Sends `count` fresh events one per request; returns them and the outcome.
pub async fn naive(
    client: &reqwest::Client,
    target: Target,
    catalog: &Catalog,
    count: usize,
    senders: usize,
    seed: u64,
    now: DateTime<Utc>,
) -> Result<(Vec<Event>, Outcome), String> {
    let spec = Spec {
        events: count,
        hot_show: false,
        duplicates: 0.0,
        batch_size: 1,
        seed,
    };
    let workload = workload::generate(catalog, &spec, now);
    let bodies = send::encode(&workload.events, &workload.batches, target.gzip)?;
    let ids = workload.events.iter().map(|e| e.event_id).collect();
    let outcome = send::run(
        client,
        target,
        std::sync::Arc::new(bodies),
        std::sync::Arc::new(workload.batches),
        std::sync::Arc::new(ids),
        senders,
        "naive",
    )
    .await;
    Ok((workload.events, outcome))
}

/// Rows per `send` on the COPY stream (about 1 MiB).
const ROWS_PER_CHUNK: usize = 2_000;

/// One column of `reseller.sale_events`.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub nullable: bool,
    pub has_default: bool,
    pub generated: bool,
}

/// A column the baseline fills, and from what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    EventId,
    ResellerId,
    Type,
    OccurredAt,
    ShowId,
    OrderId,
    Channel,
    Currency,
    Lines,
    CustomerRef,
    ContentHash,
}

impl Field {
    fn for_column(name: &str) -> Option<Self> {
        Some(match name {
            "event_id" => Self::EventId,
            "reseller_id" => Self::ResellerId,
            "type" | "kind" | "event_type" => Self::Type,
            "occurred_at" => Self::OccurredAt,
            "show_id" => Self::ShowId,
            "order_id" => Self::OrderId,
            "channel" => Self::Channel,
            "currency" => Self::Currency,
            "lines" => Self::Lines,
            "customer_ref" => Self::CustomerRef,
            "content_hash" => Self::ContentHash,
            _ => return None,
        })
    }
}

/// The COPY column list, or why there is none.
pub fn plan(columns: &[Column]) -> Result<Vec<(String, Field)>, String> {
    if columns.is_empty() {
        return Err("reseller.sale_events does not exist".into());
    }
    let mut plan = Vec::new();
    for column in columns {
        match Field::for_column(&column.name) {
            Some(field) if !column.generated => plan.push((column.name.clone(), field)),
            _ if column.nullable || column.has_default || column.generated => {}
            _ => {
                return Err(format!(
                    "reseller.sale_events.{} is NOT NULL without a default and the load \
                     generator has nothing to fill it with",
                    column.name
                ))
            }
        }
    }
    if !plan.iter().any(|(_, f)| *f == Field::EventId) {
        return Err("reseller.sale_events has no event_id column".into());
    }
    Ok(plan)
}

/// A measured COPY, or why it could not be measured.
#[derive(Debug, Clone)]
pub enum CopyOutcome {
    Measured {
        rows: u64,
        elapsed: Duration,
        columns: Vec<String>,
    },
    Unavailable(String),
}

/// Copies `events` into `public.bench_copy` and drops it again.
pub async fn copy(conn: &mut PgConnection, events: &[Event]) -> Result<CopyOutcome, String> {
    let columns = columns(conn).await?;
    let plan = match plan(&columns) {
        Ok(plan) => plan,
        Err(reason) => return Ok(CopyOutcome::Unavailable(reason)),
    };
    // Encoded first, so the clock measures the database only.
    let chunks: Vec<Vec<u8>> = events
        .chunks(ROWS_PER_CHUNK)
        .map(|chunk| {
            let mut buf = Vec::with_capacity(chunk.len() * 600);
            for event in chunk {
                csv_row(&mut buf, event, &plan)?;
            }
            Ok(buf)
        })
        .collect::<Result<_, String>>()?;

    sqlx::raw_sql(
        "DROP TABLE IF EXISTS public.bench_copy; \
         CREATE TABLE public.bench_copy (LIKE reseller.sale_events INCLUDING ALL)",
    )
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    let _ = sqlx::raw_sql("CHECKPOINT").execute(&mut *conn).await;

    let names: Vec<String> = plan
        .iter()
        .map(|(n, _)| platform::db::quote_ident(n))
        .collect();
    let statement = format!(
        "COPY public.bench_copy ({}) FROM STDIN WITH (FORMAT csv)",
        names.join(", ")
    );
    let started = Instant::now();
    let result = async {
        let mut copy_in = conn.copy_in_raw(&statement).await?;
        for chunk in &chunks {
            if let Err(error) = copy_in.send(chunk.as_slice()).await {
                let _ = copy_in.abort("loadgen: send failed").await;
                return Err(error);
            }
        }
        copy_in.finish().await
    }
    .await;
    let elapsed = started.elapsed();
    let dropped = sqlx::raw_sql("DROP TABLE IF EXISTS public.bench_copy")
        .execute(&mut *conn)
        .await;
    let rows = result.map_err(|e| format!("COPY failed: {e}"))?;
    dropped.map_err(db_error)?;
    Ok(CopyOutcome::Measured {
        rows,
        elapsed,
        columns: plan.into_iter().map(|(n, _)| n).collect(),
    })
}

async fn columns(conn: &mut PgConnection) -> Result<Vec<Column>, String> {
    let rows = sqlx::query(
        "SELECT column_name::text AS name, is_nullable = 'YES' AS nullable, \
                column_default IS NOT NULL OR is_identity = 'YES' AS has_default, \
                is_generated = 'ALWAYS' AS generated \
         FROM information_schema.columns \
         WHERE table_schema = 'reseller' AND table_name = 'sale_events' \
         ORDER BY ordinal_position",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    rows.iter()
        .map(|row| {
            Ok(Column {
                name: row.try_get("name")?,
                nullable: row.try_get("nullable")?,
                has_default: row.try_get("has_default")?,
                generated: row.try_get("generated")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db_error)
}

/// One CSV row (`FORMAT csv`: unquoted empty is NULL, `"` doubled).
fn csv_row(buf: &mut Vec<u8>, event: &Event, plan: &[(String, Field)]) -> Result<(), String> {
    for (i, (_, field)) in plan.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        match field {
            Field::EventId => buf.extend_from_slice(event.event_id.to_string().as_bytes()),
            Field::ResellerId => buf.extend_from_slice(event.reseller_id.to_string().as_bytes()),
            Field::ShowId => buf.extend_from_slice(event.show_id.to_string().as_bytes()),
            Field::OrderId => buf.extend_from_slice(event.order_id.to_string().as_bytes()),
            Field::Type => quoted(buf, event.kind.as_str()),
            Field::OccurredAt => buf.extend_from_slice(event.occurred_at.to_rfc3339().as_bytes()),
            Field::Channel => quoted(buf, event.channel),
            Field::Currency => quoted(buf, event.currency),
            Field::Lines => {
                let json = serde_json::to_string(&event.lines).map_err(|e| e.to_string())?;
                quoted(buf, &json);
            }
            Field::CustomerRef => {
                if let Some(r) = &event.customer_ref {
                    quoted(buf, r);
                }
            }
            Field::ContentHash => {
                let json = serde_json::to_vec(event).map_err(|e| e.to_string())?;
                buf.extend_from_slice(b"\\x");
                for byte in Sha256::digest(&json) {
                    buf.extend_from_slice(format!("{byte:02x}").as_bytes());
                }
            }
        }
    }
    buf.push(b'\n');
    Ok(())
}

fn quoted(buf: &mut Vec<u8>, text: &str) {
    buf.push(b'"');
    for byte in text.bytes() {
        if byte == b'"' {
            buf.push(b'"');
        }
        buf.push(byte);
    }
    buf.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, nullable: bool, has_default: bool) -> Column {
        Column {
            name: name.into(),
            nullable,
            has_default,
            generated: false,
        }
    }

    #[test]
    fn known_columns_are_filled_and_others_left_to_defaults() {
        let columns = [
            column("reseller_id", false, false),
            column("event_id", false, false),
            column("lines", false, false),
            column("customer_ref", true, false),
            column("content_hash", false, false),
            column("received_at", false, true),
            column("note", true, false),
        ];
        let plan = plan(&columns).unwrap();
        let names: Vec<&str> = plan.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "reseller_id",
                "event_id",
                "lines",
                "customer_ref",
                "content_hash"
            ]
        );
    }

    #[test]
    fn an_unfillable_required_column_makes_the_baseline_unavailable() {
        let columns = [
            column("event_id", false, false),
            column("shard", false, false),
        ];
        let reason = plan(&columns).unwrap_err();
        assert!(reason.contains("shard"), "{reason}");
        assert!(plan(&[]).unwrap_err().contains("does not exist"));
    }

    #[test]
    fn csv_quotes_text_and_leaves_null_unquoted() {
        let mut buf = Vec::new();
        quoted(&mut buf, r#"[{"a":1}]"#);
        assert_eq!(String::from_utf8(buf).unwrap(), r#""[{""a"":1}]""#);
    }
}
