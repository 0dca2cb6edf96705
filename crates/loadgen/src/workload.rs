//! The events the core order service would send, and how they are cut into
//! batches. Pure and seeded, so the invariants are unit-tested:
//!
//! - Each order is `order.created`, then `order.paid` (80%) or
//!   `order.expired`; 10% of paid orders are later refunded, in full, in
//!   part, or in two parts, never more than was paid.
//! - Time runs from about 30 days ago to now and never beyond `now`.
//! - Events are sorted by time, then shuffled within windows of a few
//!   thousand, so a payment or a refund may arrive before its creation.
//! - A share of the events is sent a second time (same id, same content) in a
//!   strictly later batch.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::catalog::{Catalog, ShowRef};

/// How far back the first orders go.
pub const HISTORY_DAYS: i64 = 30;
/// Events are shuffled within windows of this many.
pub const SHUFFLE_WINDOW: usize = 3000;
/// Share of orders of the hot show with `--hot-show`.
pub const HOT_SHARE: f64 = 0.9;
const PAID_SHARE: f64 = 0.8;
const REFUND_SHARE: f64 = 0.1;
const CHANNELS: [(&str, f64); 4] = [
    ("web", 0.5),
    ("app", 0.35),
    ("partner_x", 0.1),
    ("box_office", 0.05),
];

/// A small, fast, seeded generator (SplitMix64): reproducible workloads
/// without a dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A random (version 4) UUID.
    pub fn uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Kind {
    #[serde(rename = "order.created")]
    Created,
    #[serde(rename = "order.paid")]
    Paid,
    #[serde(rename = "order.expired")]
    Expired,
    #[serde(rename = "order.refunded")]
    Refunded,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "order.created",
            Self::Paid => "order.paid",
            Self::Expired => "order.expired",
            Self::Refunded => "order.refunded",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Line {
    pub ticket_type_id: Uuid,
    pub quantity: i64,
    pub unit_price_minor: i64,
}

/// One event, serialised exactly as contract section 4 has it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub event_id: Uuid,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub occurred_at: DateTime<Utc>,
    pub reseller_id: Uuid,
    pub show_id: Uuid,
    pub order_id: Uuid,
    pub channel: &'static str,
    pub currency: &'static str,
    pub lines: Vec<Line>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<String>,
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub events: usize,
    pub hot_show: bool,
    pub duplicates: f64,
    pub batch_size: usize,
    pub seed: u64,
}

/// The events (in first-delivery order) and the batches, as indices into
/// `events`; an index appearing twice is a duplicate delivery.
#[derive(Debug)]
pub struct Workload {
    pub events: Vec<Event>,
    pub batches: Vec<Vec<u32>>,
    pub duplicate_sends: usize,
}

impl Workload {
    pub fn sends(&self) -> usize {
        self.batches.iter().map(Vec::len).sum()
    }
}

/// Generates the workload over `catalog`; no event is later than `now`.
pub fn generate(catalog: &Catalog, spec: &Spec, now: DateTime<Utc>) -> Workload {
    let mut rng = Rng::new(spec.seed);
    let events = generate_events(catalog, spec.events, spec.hot_show, now, &mut rng);
    let (batches, duplicate_sends) =
        plan_batches(events.len(), spec.batch_size, spec.duplicates, &mut rng);
    Workload {
        events,
        batches,
        duplicate_sends,
    }
}

/// Exactly `count` events (fewer only if the catalog has no show), in the
/// order they are first sent.
pub fn generate_events(
    catalog: &Catalog,
    count: usize,
    hot_show: bool,
    now: DateTime<Utc>,
    rng: &mut Rng,
) -> Vec<Event> {
    let shows = catalog.shows();
    if shows.is_empty() || count == 0 {
        return Vec::new();
    }
    let now = now.duration_trunc(Duration::milliseconds(1)).unwrap_or(now);
    let start = now - Duration::days(HISTORY_DAYS);
    let mut events = Vec::with_capacity(count + count / 8 + 8);
    while events.len() < count {
        // Expected events per order: 1 + 1 + 0.8 * 0.1 * ~1.2.
        let orders = (count - events.len()) * 100 / 208 + 1;
        for _ in 0..orders {
            let show = pick_show(&shows, hot_show, rng);
            order_events(show, start, now, rng, &mut events);
        }
    }
    // Stable: events of one order at the same instant keep their sequence.
    events.sort_by_key(|e| e.occurred_at);
    events.truncate(count);
    for window in events.chunks_mut(SHUFFLE_WINDOW) {
        rng.shuffle(window);
    }
    events
}

fn pick_show<'a>(shows: &[ShowRef<'a>], hot_show: bool, rng: &mut Rng) -> ShowRef<'a> {
    if hot_show && shows.len() > 1 {
        if rng.chance(HOT_SHARE) {
            shows[0]
        } else {
            shows[1 + rng.below(shows.len() as u64 - 1) as usize]
        }
    } else {
        shows[rng.below(shows.len() as u64) as usize]
    }
}

fn pick_channel(rng: &mut Rng) -> &'static str {
    let mut x = rng.unit();
    for (channel, weight) in CHANNELS {
        if x < weight {
            return channel;
        }
        x -= weight;
    }
    CHANNELS[0].0
}

/// Appends one order's events, each at or before `now`.
fn order_events(
    show: ShowRef<'_>,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    rng: &mut Rng,
    out: &mut Vec<Event>,
) {
    let span_ms = (now - start).num_milliseconds().max(1);
    let created_at = start + Duration::milliseconds(rng.below(span_ms as u64) as i64);
    let at = |t: DateTime<Utc>| t.min(now);

    let mut types: Vec<usize> = (0..show.ticket_types.len()).collect();
    rng.shuffle(&mut types);
    let line_count = rng.between(1, types.len().min(3) as i64) as usize;
    let lines: Vec<Line> = types[..line_count]
        .iter()
        .map(|&i| Line {
            ticket_type_id: show.ticket_types[i].id,
            quantity: rng.between(1, 4),
            unit_price_minor: show.ticket_types[i].unit_price_minor,
        })
        .collect();
    let customer_ref = rng
        .chance(0.7)
        .then(|| format!("cust_{:012x}", rng.next_u64() >> 16));
    let base = Event {
        event_id: Uuid::nil(),
        kind: Kind::Created,
        occurred_at: created_at,
        reseller_id: show.reseller_id,
        show_id: show.show_id,
        order_id: rng.uuid(),
        channel: pick_channel(rng),
        currency: "IDR",
        lines,
        customer_ref,
    };
    let created = derive(&base, rng, Kind::Created, created_at, None);
    out.push(created);

    if !rng.chance(PAID_SHARE) {
        let expired_at = at(created_at + Duration::minutes(15));
        let expired = derive(&base, rng, Kind::Expired, expired_at, None);
        out.push(expired);
        return;
    }
    let paid_at = at(created_at + Duration::seconds(rng.between(20, 900)));
    let paid = derive(&base, rng, Kind::Paid, paid_at, None);
    out.push(paid);
    if !rng.chance(REFUND_SHARE) {
        return;
    }
    let mut refunded_at = paid_at;
    for lines in refund_parts(&base.lines, rng) {
        refunded_at = at(refunded_at + Duration::minutes(rng.between(60, 5 * 24 * 60)));
        let refund = derive(&base, rng, Kind::Refunded, refunded_at, Some(lines));
        out.push(refund);
    }
}

/// An event of the order `base` describes, with a fresh id.
fn derive(
    base: &Event,
    rng: &mut Rng,
    kind: Kind,
    occurred_at: DateTime<Utc>,
    lines: Option<Vec<Line>>,
) -> Event {
    let mut e = base.clone();
    e.event_id = rng.uuid();
    e.kind = kind;
    e.occurred_at = occurred_at;
    if let Some(lines) = lines {
        e.lines = lines;
    }
    e
}

/// The lines of each refund of a paid order: in full (40%), one partial
/// refund (40%) or two parts (20%); never more than was paid per line.
fn refund_parts(paid: &[Line], rng: &mut Rng) -> Vec<Vec<Line>> {
    let roll = rng.unit();
    if roll < 0.4 {
        return vec![paid.to_vec()];
    }
    let parts = if roll < 0.8 { 1 } else { 2 };
    let mut remaining: Vec<i64> = paid.iter().map(|l| l.quantity).collect();
    let mut refunds = Vec::new();
    for _ in 0..parts {
        let mut lines = Vec::new();
        for (line, left) in paid.iter().zip(remaining.iter_mut()) {
            if *left == 0 || (!lines.is_empty() && rng.chance(0.5)) {
                continue;
            }
            let quantity = rng.between(1, *left);
            *left -= quantity;
            lines.push(Line { quantity, ..*line });
        }
        if lines.is_empty() {
            break;
        }
        refunds.push(lines);
    }
    refunds
}

/// Cuts `count` events (already in delivery order) into batches of at most
/// `batch_size`, adding a delivery of `round(duplicates * count)` randomly
/// chosen events at least one batch later than the first. Returns the
/// batches and the number of duplicate deliveries.
pub fn plan_batches(
    count: usize,
    batch_size: usize,
    duplicates: f64,
    rng: &mut Rng,
) -> (Vec<Vec<u32>>, usize) {
    let batch_size = batch_size.max(1);
    let dup_count = ((duplicates.clamp(0.0, 1.0) * count as f64).round() as usize).min(count);
    // Which events are repeated: a partial Fisher-Yates draw.
    let mut order: Vec<u32> = (0..count as u32).collect();
    for i in 0..dup_count {
        let j = i + rng.below((count - i) as u64) as usize;
        order.swap(i, j);
    }
    // Each repeat goes in before original event `target`, at least one batch
    // further on in the stream (insertions only push it further).
    let mut repeats: Vec<(usize, u32)> = order[..dup_count]
        .iter()
        .map(|&e| {
            let offset = batch_size + rng.below(2 * batch_size as u64) as usize;
            (e as usize + offset, e)
        })
        .collect();
    repeats.sort_unstable();

    let mut stream = Vec::with_capacity(count + dup_count);
    let mut pending = repeats.iter().peekable();
    for original in 0..count {
        while let Some(&(_, e)) = pending.next_if(|(target, _)| *target <= original) {
            stream.push(e);
        }
        stream.push(original as u32);
    }
    let mut batches: Vec<Vec<u32>> = stream.chunks(batch_size).map(<[u32]>::to_vec).collect();
    // Repeats due after the last event: their own batches, after all others.
    let tail: Vec<u32> = pending.map(|&(_, e)| e).collect();
    batches.extend(tail.chunks(batch_size).map(<[u32]>::to_vec));
    (batches, dup_count)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::catalog::{Reseller, Show, TicketType};

    fn catalog() -> Catalog {
        let mut rng = Rng::new(99);
        Catalog {
            resellers: (0..10)
                .map(|_| Reseller {
                    id: rng.uuid(),
                    api_key: String::new(),
                    shows: (0..5)
                        .map(|_| Show {
                            id: rng.uuid(),
                            ticket_types: (0..3)
                                .map(|k| TicketType {
                                    id: rng.uuid(),
                                    unit_price_minor: 150_000 * (k + 1),
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T10:15:00.123Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap()
    }

    #[test]
    fn exactly_the_requested_count_with_unique_ids() {
        let events = generate_events(&catalog(), 20_000, false, now(), &mut Rng::new(1));
        assert_eq!(events.len(), 20_000);
        let ids: HashSet<Uuid> = events.iter().map(|e| e.event_id).collect();
        assert_eq!(ids.len(), events.len());
        assert!(events.iter().all(|e| e.event_id.get_version_num() == 4));
    }

    #[test]
    fn time_runs_from_a_month_ago_and_never_into_the_future() {
        let now = now();
        let events = generate_events(&catalog(), 20_000, false, now, &mut Rng::new(2));
        let earliest = events.iter().map(|e| e.occurred_at).min().unwrap();
        let latest = events.iter().map(|e| e.occurred_at).max().unwrap();
        assert!(latest <= now);
        assert!(earliest >= now - Duration::days(HISTORY_DAYS));
        assert!(earliest < now - Duration::days(HISTORY_DAYS - 1));
        assert!(latest > now - Duration::days(1));
    }

    #[test]
    fn refunds_never_exceed_what_was_paid() {
        let events = generate_events(&catalog(), 50_000, false, now(), &mut Rng::new(3));
        let mut paid: HashMap<(Uuid, Uuid), i64> = HashMap::new();
        let mut refunded: HashMap<(Uuid, Uuid), i64> = HashMap::new();
        let mut paid_orders = HashSet::new();
        let mut refund_events = 0;
        for e in &events {
            for l in &e.lines {
                assert!((1..=4).contains(&l.quantity));
                match e.kind {
                    Kind::Paid => {
                        *paid.entry((e.order_id, l.ticket_type_id)).or_default() += l.quantity
                    }
                    Kind::Refunded => {
                        *refunded.entry((e.order_id, l.ticket_type_id)).or_default() += l.quantity
                    }
                    _ => {}
                }
            }
            match e.kind {
                Kind::Paid => {
                    paid_orders.insert(e.order_id);
                }
                Kind::Refunded => refund_events += 1,
                _ => {}
            }
        }
        assert!(refund_events > 0);
        for (key, quantity) in &refunded {
            let paid = paid.get(key).copied().unwrap_or(0);
            assert!(*quantity <= paid, "{key:?}: refunded {quantity} of {paid}");
        }
        let refunded_orders: HashSet<Uuid> = refunded.keys().map(|(o, _)| *o).collect();
        let share = refunded_orders.len() as f64 / paid_orders.len() as f64;
        assert!((0.07..0.13).contains(&share), "refunded share {share}");
    }

    #[test]
    fn lines_match_the_catalog_and_the_contract() {
        let catalog = catalog();
        let prices: HashMap<Uuid, (Uuid, i64)> = catalog
            .shows()
            .iter()
            .flat_map(|s| {
                s.ticket_types
                    .iter()
                    .map(|t| (t.id, (s.show_id, t.unit_price_minor)))
            })
            .collect();
        let owner: HashMap<Uuid, Uuid> = catalog
            .shows()
            .iter()
            .map(|s| (s.show_id, s.reseller_id))
            .collect();
        for e in generate_events(&catalog, 5_000, false, now(), &mut Rng::new(4)) {
            assert_eq!(owner[&e.show_id], e.reseller_id);
            assert!((1..=3).contains(&e.lines.len()));
            for l in &e.lines {
                assert_eq!(prices[&l.ticket_type_id], (e.show_id, l.unit_price_minor));
            }
            assert!(e.customer_ref.as_ref().is_none_or(|r| r.len() <= 128));
            assert!(e
                .channel
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
    }

    #[test]
    fn some_events_arrive_before_their_order_is_created() {
        let events = generate_events(&catalog(), 20_000, false, now(), &mut Rng::new(5));
        let mut created = HashSet::new();
        let mut early = 0;
        for e in &events {
            if e.kind == Kind::Created {
                created.insert(e.order_id);
            } else if !created.contains(&e.order_id) {
                early += 1;
            }
        }
        assert!(early > 100, "only {early} events before their creation");
    }

    #[test]
    fn the_hot_show_gets_about_ninety_percent_of_orders() {
        let catalog = catalog();
        let hot = catalog.shows()[0].show_id;
        let events = generate_events(&catalog, 40_000, true, now(), &mut Rng::new(6));
        let orders: HashMap<Uuid, Uuid> = events.iter().map(|e| (e.order_id, e.show_id)).collect();
        let share = orders.values().filter(|s| **s == hot).count() as f64 / orders.len() as f64;
        assert!((0.88..0.92).contains(&share), "hot share {share}");

        let events = generate_events(&catalog, 40_000, false, now(), &mut Rng::new(6));
        let orders: HashMap<Uuid, Uuid> = events.iter().map(|e| (e.order_id, e.show_id)).collect();
        let share = orders.values().filter(|s| **s == hot).count() as f64 / orders.len() as f64;
        assert!(share < 0.05, "share without --hot-show {share}");
    }

    #[test]
    fn duplicates_have_the_requested_share_and_come_in_a_later_batch() {
        for (count, batch) in [(20_000, 1000), (10_000, 1), (777, 5000), (5_000, 333)] {
            let (batches, dups) = plan_batches(count, batch, 0.05, &mut Rng::new(7));
            let total: usize = batches.iter().map(Vec::len).sum();
            assert_eq!(dups, (count as f64 * 0.05).round() as usize);
            assert_eq!(total, count + dups);
            assert!(batches.iter().all(|b| !b.is_empty() && b.len() <= batch));
            let mut first_batch: HashMap<u32, usize> = HashMap::new();
            let mut seen = vec![0u32; count];
            for (i, b) in batches.iter().enumerate() {
                for &e in b {
                    seen[e as usize] += 1;
                    match first_batch.get(&e) {
                        None => {
                            first_batch.insert(e, i);
                        }
                        Some(&first) => assert!(first < i, "repeat of {e} not later"),
                    }
                }
            }
            assert!(seen.iter().all(|&n| n == 1 || n == 2));
            assert_eq!(seen.iter().filter(|&&n| n == 2).count(), dups);
        }
        let (batches, dups) = plan_batches(1000, 100, 0.0, &mut Rng::new(8));
        assert_eq!(dups, 0);
        assert_eq!(batches.len(), 10);
    }

    #[test]
    fn serialisation_follows_the_contract() {
        let events = generate_events(&catalog(), 10, false, now(), &mut Rng::new(9));
        let value = serde_json::to_value(&events[0]).unwrap();
        for field in [
            "event_id",
            "type",
            "occurred_at",
            "reseller_id",
            "show_id",
            "order_id",
            "channel",
            "currency",
            "lines",
        ] {
            assert!(value.get(field).is_some(), "{field} missing: {value}");
        }
        assert_eq!(value["currency"], "IDR");
        assert!(value["type"].as_str().unwrap().starts_with("order."));
        let line = &value["lines"][0];
        assert!(line["ticket_type_id"].is_string() && line["quantity"].is_i64());
        assert!(DateTime::parse_from_rfc3339(value["occurred_at"].as_str().unwrap()).is_ok());
    }

    #[test]
    fn the_same_seed_gives_the_same_workload() {
        let spec = Spec {
            events: 3000,
            hot_show: true,
            duplicates: 0.05,
            batch_size: 500,
            seed: 42,
        };
        let a = generate(&catalog(), &spec, now());
        let b = generate(&catalog(), &spec, now());
        assert_eq!(a.events, b.events);
        assert_eq!(a.batches, b.batches);
        assert_eq!(a.sends(), 3150);
    }
}
