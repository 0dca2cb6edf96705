//! What the report needs to know about a time zone beyond its name, from
//! PostgreSQL's own IANA data (the same data that computes the buckets).
//!
//! A report may be summed from hourly rows only if, for every 15-minute
//! bucket of its range, the zone's offset is a whole number of hours and is
//! the same as at the start of the bucket's UTC hour: then the four
//! 15-minute buckets of an hour fall in the same local hour, day, week and
//! month. That is a property of the zone and the calendar, so it is worked
//! out once per zone and UTC year (35,040 offsets, tens of milliseconds)
//! and kept for the life of the process.

use std::{collections::HashMap, sync::Mutex};

use chrono::{DateTime, Datelike, Duration, Utc};
use sqlx::PgConnection;

/// (zone, UTC year) -> whether every offset of that year is a whole hour
/// that holds for whole UTC hours.
static WHOLE_HOUR_YEARS: Mutex<Option<HashMap<(String, i32), bool>>> = Mutex::new(None);

/// More entries than any real use needs; past it the cache starts over.
const MAX_CACHED: usize = 100_000;

/// Years the check is made for; outside them the answer is "no" (PostgreSQL
/// has no year 0 and the report's ranges are at most 20 years long).
const YEARS: std::ops::RangeInclusive<i32> = 1..=9998;

fn cached(tz: &str, year: i32) -> Option<bool> {
    WHOLE_HOUR_YEARS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .and_then(|m| m.get(&(tz.to_owned(), year)).copied())
}

/// True when every 15-minute bucket in `[from, to)` lies in a whole-hour
/// offset that holds for its whole UTC hour in `tz`.
pub async fn whole_hours(
    conn: &mut PgConnection,
    tz: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    if tz == "UTC" {
        return Ok(true);
    }
    let last = to - Duration::microseconds(1);
    let years: Vec<i32> = (from.year()..=last.year()).collect();
    if years.iter().any(|y| !YEARS.contains(y)) {
        return Ok(false);
    }
    let mut missing = Vec::new();
    for &year in &years {
        match cached(tz, year) {
            Some(false) => return Ok(false),
            Some(true) => {}
            None => missing.push(year),
        }
    }
    if missing.is_empty() {
        return Ok(true);
    }
    let found: Vec<(i32, bool)> = sqlx::query_as(
        "SELECT yr, coalesce(bool_and(o % 3600 = 0 \
             AND (extract(minute FROM t AT TIME ZONE 'UTC') = 0 OR o = prev)), false) \
         FROM (SELECT yr, t, o, lag(o) OVER (PARTITION BY yr ORDER BY t) AS prev \
               FROM (SELECT yr, t, extract(epoch FROM (t AT TIME ZONE $1) - (t AT TIME ZONE 'UTC'))::int AS o \
                     FROM unnest($2::int[]) AS yr, \
                          generate_series(make_timestamptz(yr, 1, 1, 0, 0, 0, 'UTC'), \
                                          make_timestamptz(yr + 1, 1, 1, 0, 0, 0, 'UTC') - interval '15 minutes', \
                                          interval '15 minutes') AS t) AS offsets) AS steps \
         GROUP BY yr",
    )
    .bind(tz)
    .bind(&missing)
    .fetch_all(conn)
    .await?;
    let mut all = true;
    let mut cache = WHOLE_HOUR_YEARS.lock().unwrap_or_else(|p| p.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if cache.len() + found.len() > MAX_CACHED {
        cache.clear();
    }
    for &year in &missing {
        let whole = found.iter().any(|&(y, ok)| y == year && ok);
        cache.insert((tz.to_owned(), year), whole);
        all &= whole;
    }
    Ok(all)
}

/// The UTC offset of `tz` at each of `instants`, in seconds (same order).
pub async fn offsets(
    conn: &mut PgConnection,
    tz: &str,
    instants: &[DateTime<Utc>],
) -> Result<Vec<i32>, sqlx::Error> {
    if instants.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, i32)> = sqlx::query_as(
        "SELECT n, extract(epoch FROM (b AT TIME ZONE $1) - (b AT TIME ZONE 'UTC'))::int \
         FROM unnest($2::timestamptz[]) WITH ORDINALITY AS u(b, n) ORDER BY n",
    )
    .bind(tz)
    .bind(instants)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(_, o)| o).collect())
}
