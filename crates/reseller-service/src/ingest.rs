//! The ingest pipeline for one batch of sale events (contract section 4).
//!
//! 1. Each event is parsed and validated on its own: a bad one is rejected
//!    (and quarantined), never the batch. A repeat inside the batch: the
//!    first counts, later ones are duplicates or conflicts.
//! 2. Catalog references are checked in bulk (three queries per batch).
//! 3. Events are inserted with one statement, skipping known ids; an id
//!    already stored is a duplicate (same content hash) or a conflict.
//! 4. Rollups (15-minute and hourly), paid-order counts, stock and order
//!    projections move by what was actually inserted. Every one of these writes is commutative, so
//!    batches sharing an order need no order lock, and the result is the
//!    same whatever the arrival order (see `db::ingest` for the lock order
//!    that keeps concurrent batches free of deadlocks).
//! 5. Everything commits together; the 200 is built only after the commit.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, DurationRound, Utc};
use domain::sale_event::{bucket_15m, EventType, OrderDelta, Rejection, SaleEvent, SaleEventInput};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::{
    self,
    ingest::{
        DayHours, HourlyKey, HourlyShowKey, HourlyTicketTypeKey, OrderCountKey, PaidKey,
        Quarantined, RollupDelta, RollupKey,
    },
};

/// The answer to a batch.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"received": 2, "accepted": 1, "duplicates": 0, "conflicts": 0, "rejected": 1,
    "results": [{"index": 1, "event_id": "0193a5c0-7d2e-7c1a-9e4b-3f1d2a6b8c99", "status": "rejected", "code": "unknown_show", "message": "show_id is not a show of this reseller"}]}))]
pub struct BatchOutcome {
    pub received: usize,
    pub accepted: usize,
    pub duplicates: usize,
    pub conflicts: usize,
    pub rejected: usize,
    /// Events not accepted, in batch order.
    pub results: Vec<EventResult>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventResult {
    /// The event's position in the batch, from 0.
    pub index: usize,
    pub event_id: Option<Uuid>,
    #[schema(value_type = crate::http::schemas::EventOutcome)]
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Why a conflicting event is refused, in the answer and in quarantine.
const CONFLICT_MESSAGE: &str =
    "an event with this event_id was already received with other content";

/// How one event of the batch ended.
#[derive(Debug, Clone)]
enum Verdict {
    Accepted,
    Duplicate,
    Conflict,
    Rejected(Rejection),
}

struct Parsed<'a> {
    raw: &'a str,
    event_id: Option<Uuid>,
    reseller_id: Option<Uuid>,
    event: Option<(SaleEvent, Vec<u8>)>,
    verdict: Option<Verdict>,
}

#[derive(Deserialize)]
struct Identity {
    event_id: Option<serde_json::Value>,
    reseller_id: Option<serde_json::Value>,
}

fn uuid_of(value: Option<serde_json::Value>) -> Option<Uuid> {
    value.and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
}

fn content_hash(event: &SaleEvent) -> Vec<u8> {
    let canonical = serde_json::to_vec(event).unwrap_or_default();
    Sha256::digest(canonical).to_vec()
}

fn parse<'a>(raw: &'a RawValue, now: DateTime<Utc>) -> Parsed<'a> {
    let text = raw.get();
    let input = if platform::http::extract::is_json_object(text.as_bytes()) {
        serde_json::from_str::<SaleEventInput>(text)
    } else {
        Err(serde::de::Error::custom("an event must be a JSON object"))
    };
    match input {
        Ok(input) => {
            let (event_id, reseller_id) = (Some(input.event_id), Some(input.reseller_id));
            match SaleEvent::validate(input, now) {
                Ok(event) => {
                    let hash = content_hash(&event);
                    Parsed {
                        raw: text,
                        event_id,
                        reseller_id,
                        event: Some((event, hash)),
                        verdict: None,
                    }
                }
                Err(rejection) => Parsed {
                    raw: text,
                    event_id,
                    reseller_id,
                    event: None,
                    verdict: Some(Verdict::Rejected(rejection)),
                },
            }
        }
        Err(error) => {
            let identity = serde_json::from_str::<Identity>(text).ok();
            let message = error.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned();
            Parsed {
                raw: text,
                event_id: identity.as_ref().and_then(|i| uuid_of(i.event_id.clone())),
                reseller_id: identity.and_then(|i| uuid_of(i.reseller_id)),
                event: None,
                verdict: Some(Verdict::Rejected(Rejection::new("invalid_event", message))),
            }
        }
    }
}

/// Checks an event's references against the catalog.
fn check_refs(event: &SaleEvent, refs: &db::ingest::CatalogRefs) -> Result<(), Rejection> {
    if !refs.resellers.contains(&event.reseller_id) {
        return Err(Rejection::new(
            "unknown_reseller",
            "no reseller has this reseller_id",
        ));
    }
    if !refs.shows.contains(&(event.reseller_id, event.show_id)) {
        return Err(Rejection::new(
            "unknown_show",
            "the show does not exist or belongs to another reseller",
        ));
    }
    for (i, line) in event.lines.iter().enumerate() {
        match refs.ticket_types.get(&line.ticket_type_id) {
            Some((reseller, show, _))
                if *reseller == event.reseller_id && *show == event.show_id => {}
            _ => {
                return Err(Rejection::new(
                    "unknown_ticket_type",
                    format!("lines[{i}].ticket_type_id is not a ticket type of this show"),
                ))
            }
        }
    }
    for (i, line) in event.lines.iter().enumerate() {
        if let Some((_, _, currency)) = refs.ticket_types.get(&line.ticket_type_id) {
            if currency != event.currency.as_str() {
                return Err(Rejection::new(
                    "currency_mismatch",
                    format!(
                        "currency {} differs from lines[{i}]'s ticket type currency {currency}",
                        event.currency
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Runs one batch in `tx` (platform scope). The caller commits.
pub async fn process(tx: &mut db::Tx, events: &[&RawValue]) -> Result<BatchOutcome, sqlx::Error> {
    let mut phases = Phases::start();
    let now = Utc::now();
    let mut parsed: Vec<Parsed<'_>> = events.iter().map(|raw| parse(raw, now)).collect();

    // Repeats inside the batch: the first occurrence counts.
    let mut first_seen: HashMap<Uuid, usize> = HashMap::new();
    for i in 0..parsed.len() {
        let Some(id) = parsed[i].event_id else {
            continue;
        };
        match first_seen.get(&id) {
            None => {
                first_seen.insert(id, i);
            }
            Some(&first) => {
                let same = match (&parsed[first].event, &parsed[i].event) {
                    (Some((_, a)), Some((_, b))) => a == b,
                    _ => parsed[first].raw == parsed[i].raw,
                };
                parsed[i].verdict = Some(if same {
                    Verdict::Duplicate
                } else {
                    Verdict::Conflict
                });
                parsed[i].event = None;
            }
        }
    }

    // Catalog references, in bulk.
    let candidates: Vec<usize> = (0..parsed.len())
        .filter(|&i| parsed[i].verdict.is_none())
        .collect();
    let mut resellers = BTreeSet::new();
    let mut shows = BTreeSet::new();
    let mut ticket_types = BTreeSet::new();
    for &i in &candidates {
        if let Some((e, _)) = &parsed[i].event {
            resellers.insert(e.reseller_id);
            shows.insert((e.reseller_id, e.show_id));
            for line in &e.lines {
                ticket_types.insert((e.reseller_id, line.ticket_type_id));
            }
        }
    }
    let refs = db::ingest::catalog_refs(
        tx,
        &resellers.into_iter().collect::<Vec<_>>(),
        &shows.into_iter().collect::<Vec<_>>(),
        &ticket_types.into_iter().collect::<Vec<_>>(),
    )
    .await?;
    for &i in &candidates {
        if let Some((e, _)) = &parsed[i].event {
            if let Err(rejection) = check_refs(e, &refs) {
                parsed[i].verdict = Some(Verdict::Rejected(rejection));
            }
        }
    }
    let candidates: Vec<usize> = candidates
        .into_iter()
        .filter(|&i| parsed[i].verdict.is_none())
        .collect();

    phases.mark("parse_and_catalog");

    // Insert in event-id order (concurrent batches repeating ids then wait
    // on each other in one order); ids already stored are left out.
    let mut fresh = candidates;
    fresh.sort_by_key(|&i| parsed[i].event_id);
    let to_insert: Vec<(&SaleEvent, Vec<u8>)> = fresh
        .iter()
        .filter_map(|&i| parsed[i].event.as_ref().map(|(e, h)| (e, h.clone())))
        .collect();
    let inserted: HashSet<Uuid> = db::ingest::insert_events(tx, &to_insert)
        .await?
        .into_iter()
        .collect();
    phases.mark("insert_events");
    let known: Vec<Uuid> = fresh
        .iter()
        .filter_map(|&i| parsed[i].event_id)
        .filter(|id| !inserted.contains(id))
        .collect();
    let stored = if known.is_empty() {
        HashMap::new()
    } else {
        db::ingest::stored_hashes(tx, &known).await?
    };
    for &i in &fresh {
        let Some(id) = parsed[i].event_id else {
            continue;
        };
        parsed[i].verdict = Some(if inserted.contains(&id) {
            Verdict::Accepted
        } else {
            match (stored.get(&id), &parsed[i].event) {
                (Some(stored), Some((_, hash))) if stored == hash => Verdict::Duplicate,
                _ => Verdict::Conflict,
            }
        });
    }
    let accepted: Vec<&SaleEvent> = fresh
        .iter()
        .filter(|&&i| matches!(parsed[i].verdict, Some(Verdict::Accepted)))
        .filter_map(|&i| parsed[i].event.as_ref().map(|(e, _)| e))
        .collect();

    apply_projections(tx, &accepted).await?;
    phases.mark("projections");
    quarantine(tx, &parsed).await?;
    phases.mark("quarantine");
    tracing::debug!(events = parsed.len(), phases = %phases, "ingest phases");
    Ok(outcome(parsed))
}

/// Wall time of each phase of a batch, for the debug log.
struct Phases {
    last: std::time::Instant,
    done: Vec<(&'static str, std::time::Duration)>,
}

impl Phases {
    fn start() -> Self {
        Self {
            last: std::time::Instant::now(),
            done: Vec::new(),
        }
    }

    fn mark(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        self.done.push((name, now - self.last));
        self.last = now;
    }
}

impl std::fmt::Display for Phases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (name, took) in &self.done {
            write!(f, "{name}={:.1}ms ", took.as_secs_f64() * 1000.0)?;
        }
        Ok(())
    }
}

/// Moves rollups, paid-order counts, stock and order projections by the
/// accepted events.
async fn apply_projections(tx: &mut db::Tx, accepted: &[&SaleEvent]) -> Result<(), sqlx::Error> {
    let mut rollups: BTreeMap<RollupKey, RollupDelta> = BTreeMap::new();
    let mut sold: BTreeMap<(Uuid, Uuid), i64> = BTreeMap::new();
    let mut orders: BTreeMap<(Uuid, Uuid), OrderDelta> = BTreeMap::new();
    // Paid keys, and for each the event that names its show and channel.
    let mut paid_keys: BTreeMap<PaidKey, &SaleEvent> = BTreeMap::new();
    let rollup_key = |e: &SaleEvent, bucket, ticket_type_id| RollupKey {
        reseller_id: e.reseller_id,
        bucket_start: bucket,
        show_id: e.show_id,
        ticket_type_id,
        channel: e.channel.clone(),
        currency: e.currency.to_string(),
    };
    for e in accepted {
        let bucket = bucket_15m(e.occurred_at);
        if e.kind == EventType::Paid {
            paid_keys
                .entry((e.reseller_id, e.order_id, bucket, Uuid::nil()))
                .or_insert(e);
        }
        for line in &e.lines {
            match e.kind {
                EventType::Paid => {
                    paid_keys
                        .entry((e.reseller_id, e.order_id, bucket, line.ticket_type_id))
                        .or_insert(e);
                    let delta = rollups
                        .entry(rollup_key(e, bucket, line.ticket_type_id))
                        .or_default();
                    delta.tickets_sold += line.quantity;
                    delta.gross_minor = delta.gross_minor.saturating_add(line.amount_minor());
                    *sold
                        .entry((e.reseller_id, line.ticket_type_id))
                        .or_default() += line.quantity;
                }
                EventType::Refunded => {
                    let delta = rollups
                        .entry(rollup_key(e, bucket, line.ticket_type_id))
                        .or_default();
                    delta.refunded_tickets += line.quantity;
                    delta.refunded_minor = delta.refunded_minor.saturating_add(line.amount_minor());
                    *sold
                        .entry((e.reseller_id, line.ticket_type_id))
                        .or_default() -= line.quantity;
                }
                EventType::Created | EventType::Cancelled | EventType::Expired => {}
            }
        }
        let delta = OrderDelta::of(e);
        orders
            .entry((e.reseller_id, e.order_id))
            .and_modify(|d| d.merge(&delta))
            .or_insert(delta);
    }

    // A paid order counts once per bucket: only keys new to the table count.
    let keys: Vec<PaidKey> = paid_keys.keys().copied().collect();
    let new_keys = db::ingest::insert_paid_keys(tx, &keys).await?;
    let mut order_counts: BTreeMap<OrderCountKey, i64> = BTreeMap::new();
    // Per order: buckets newly paid, and whether any paid key is new.
    let mut new_paid: HashMap<(Uuid, Uuid), (i32, bool)> = HashMap::new();
    for key in new_keys {
        let Some(e) = paid_keys.get(&key) else {
            continue;
        };
        let (reseller_id, order_id, bucket, ticket_type_id) = key;
        let paid = new_paid.entry((reseller_id, order_id)).or_default();
        paid.1 = true;
        if ticket_type_id.is_nil() {
            paid.0 += 1;
            *order_counts
                .entry(OrderCountKey {
                    reseller_id: e.reseller_id,
                    bucket_start: bucket,
                    show_id: e.show_id,
                    channel: e.channel.clone(),
                    currency: e.currency.to_string(),
                })
                .or_default() += 1;
        } else {
            rollups
                .entry(rollup_key(e, bucket, ticket_type_id))
                .or_default()
                .paid_orders += 1;
        }
    }

    let hourly = Hourly::of(&rollups, &order_counts);
    db::ingest::add_rollups(tx, &rollups.into_iter().collect::<Vec<_>>()).await?;
    db::ingest::add_order_counts(tx, &order_counts.into_iter().collect::<Vec<_>>()).await?;
    db::ingest::add_hourly(
        tx,
        &hourly.total.into_iter().collect::<Vec<_>>(),
        &hourly.by_show.into_iter().collect::<Vec<_>>(),
        &hourly.by_ticket_type.into_iter().collect::<Vec<_>>(),
    )
    .await?;
    let sold: Vec<_> = sold.into_iter().filter(|(_, d)| *d != 0).collect();
    db::ingest::add_sold(tx, &sold).await?;
    let orders: Vec<_> = orders.into_iter().collect();
    let (buckets, keys): (Vec<i32>, Vec<bool>) = orders
        .iter()
        .map(|(k, _)| new_paid.get(k).copied().unwrap_or_default())
        .unzip();
    let repeated = db::ingest::merge_orders(tx, &orders, &buckets, &keys).await?;
    db::ingest::add_repeats(tx, &repeated).await?;
    Ok(())
}
/// The deltas of the hourly rollups: exactly the 15-minute deltas of the
/// batch, summed per UTC hour and per each table's key. paid_orders comes
/// from the per-ticket-type counts for the ticket-type table and from the
/// per-order counts for the other two, as in the 15-minute tables.
#[derive(Debug, Default)]
struct Hourly {
    total: BTreeMap<HourlyKey, RollupDelta>,
    by_show: BTreeMap<HourlyShowKey, RollupDelta>,
    /// Per UTC day, its 24 hours (`sales_hours_by_ticket_type`).
    by_ticket_type: BTreeMap<HourlyTicketTypeKey, DayHours>,
}

impl Hourly {
    fn of(
        rollups: &BTreeMap<RollupKey, RollupDelta>,
        order_counts: &BTreeMap<OrderCountKey, i64>,
    ) -> Self {
        let mut hourly = Self::default();
        for (k, d) in rollups {
            let hour = hour_of(k.bucket_start);
            let day = day_of(k.bucket_start);
            let slot = (hour - day).num_hours().clamp(0, 23) as usize;
            RollupDelta::add(
                &mut hourly
                    .by_ticket_type
                    .entry((
                        k.reseller_id,
                        day,
                        k.ticket_type_id,
                        k.currency.clone(),
                        k.show_id,
                    ))
                    .or_insert([RollupDelta::default(); 24])[slot],
                d,
            );
            let figures = RollupDelta {
                paid_orders: 0,
                ..*d
            };
            RollupDelta::add(
                hourly
                    .by_show
                    .entry((k.reseller_id, hour, k.show_id, k.currency.clone()))
                    .or_default(),
                &figures,
            );
            RollupDelta::add(
                hourly
                    .total
                    .entry((k.reseller_id, hour, k.currency.clone()))
                    .or_default(),
                &figures,
            );
        }
        for (k, n) in order_counts {
            let hour = hour_of(k.bucket_start);
            hourly
                .by_show
                .entry((k.reseller_id, hour, k.show_id, k.currency.clone()))
                .or_default()
                .paid_orders += n;
            hourly
                .total
                .entry((k.reseller_id, hour, k.currency.clone()))
                .or_default()
                .paid_orders += n;
        }
        hourly
    }
}

/// The UTC day (its midnight) of a 15-minute bucket.
fn day_of(bucket: DateTime<Utc>) -> DateTime<Utc> {
    bucket
        .duration_trunc(chrono::Duration::days(1))
        .unwrap_or(bucket)
}

/// The UTC hour of a 15-minute bucket.
fn hour_of(bucket: DateTime<Utc>) -> DateTime<Utc> {
    bucket
        .duration_trunc(chrono::Duration::hours(1))
        .unwrap_or(bucket)
}

/// Keeps rejected and conflicting events (each event id once).
async fn quarantine(tx: &mut db::Tx, parsed: &[Parsed<'_>]) -> Result<(), sqlx::Error> {
    let mut seen = HashSet::new();
    let entries: Vec<Quarantined<'_>> = parsed
        .iter()
        .filter_map(|p| {
            let (code, message) = match &p.verdict {
                Some(Verdict::Rejected(r)) => (r.code, r.message.as_str()),
                Some(Verdict::Conflict) => ("payload_mismatch", CONFLICT_MESSAGE),
                _ => return None,
            };
            if let Some(id) = p.event_id {
                if !seen.insert(id) {
                    return None;
                }
            }
            Some(Quarantined {
                event_id: p.event_id,
                reseller_id: p.reseller_id,
                code,
                message,
                raw: p.raw,
            })
        })
        .collect();
    db::ingest::quarantine(tx, &entries).await
}

fn outcome(parsed: Vec<Parsed<'_>>) -> BatchOutcome {
    let mut outcome = BatchOutcome {
        received: parsed.len(),
        ..BatchOutcome::default()
    };
    for (index, p) in parsed.into_iter().enumerate() {
        let result = |status, code, message| EventResult {
            index,
            event_id: p.event_id,
            status,
            code,
            message,
        };
        match p.verdict {
            Some(Verdict::Accepted) => outcome.accepted += 1,
            // Every event gets a verdict above; this arm only keeps the
            // counts honest should that ever change.
            None => {
                outcome.rejected += 1;
                outcome
                    .results
                    .push(result("rejected", Some("not_processed"), None));
            }
            Some(Verdict::Duplicate) => {
                outcome.duplicates += 1;
                outcome.results.push(result("duplicate", None, None));
            }
            Some(Verdict::Conflict) => {
                outcome.conflicts += 1;
                outcome.results.push(result(
                    "conflict",
                    Some("payload_mismatch"),
                    Some(CONFLICT_MESSAGE.into()),
                ));
            }
            Some(Verdict::Rejected(r)) => {
                outcome.rejected += 1;
                outcome
                    .results
                    .push(result("rejected", Some(r.code), Some(r.message)));
            }
        }
    }
    outcome
}
