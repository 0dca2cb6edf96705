//! Feed under load: writers (two per reseller) PATCH the capacity of random
//! ticket types of their reseller concurrently, without `If-Match`, so
//! updates of one row queue behind each other; meanwhile a reader follows
//! `GET /internal/v1/catalog-changes` from the feed's end with small pages.
//! Every successful PATCH (ticket type and the version it answered) must be
//! seen exactly once, with the capacity it set, and nothing else.

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use serde_json::{json, Value};
use uuid::Uuid;

use super::{Fixture, Plan, Verdict};
use crate::{catalog::Reseller, workload::Rng};

const PAGE: u32 = 50;

/// A change as the writer saw it acknowledged.
type Change = (Uuid, i64);

#[derive(Debug, Default)]
struct Written {
    /// (ticket type, version) -> capacity.
    changes: BTreeMap<Change, i64>,
    errors: Vec<String>,
}

#[derive(Debug, Default)]
struct Read {
    /// (ticket type, version) -> capacities seen (one per sighting).
    seen: BTreeMap<Change, Vec<i64>>,
    entries: u64,
    pages: u64,
    problems: Vec<String>,
}

pub async fn run(fx: &mut Fixture, plan: &Plan, rng: &mut Rng) -> Result<Verdict, String> {
    let mut v = Verdict::new("feed");
    let feed_url = format!("{}/internal/v1/catalog-changes", fx.service.base_url);
    let token = fx.service.core_token.clone();
    let client = fx.client.clone();
    let mut read = Read::default();
    // Start from the feed's current end: what follows is this scenario's.
    let start = follow(&client, &feed_url, &token, None, &mut Read::default(), None).await?;

    let done = Arc::new(AtomicBool::new(false));
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..plan.feed_writers {
        let reseller = fx.catalog.resellers[w % fx.catalog.resellers.len()].clone();
        let client = client.clone();
        let base_url = fx.service.base_url.clone();
        let seed = rng.next_u64();
        let changes = plan.feed_changes_per_writer;
        writers.spawn(async move { write(client, base_url, reseller, w, changes, seed).await });
    }
    let reading = follow(
        &client,
        &feed_url,
        &token,
        start,
        &mut read,
        Some(done.clone()),
    );
    let collecting = async {
        let mut written = Written::default();
        while let Some(joined) = writers.join_next().await {
            match joined {
                Ok(w) => {
                    written.changes.extend(w.changes);
                    written.errors.extend(w.errors);
                }
                Err(e) => written.errors.push(format!("a writer failed: {e}")),
            }
        }
        done.store(true, Ordering::Release);
        written
    };
    let (followed, written) = tokio::join!(reading, collecting);
    followed?;

    let mut missing = 0u64;
    let mut repeated = 0u64;
    let mut wrong = 0u64;
    for (change, capacity) in &written.changes {
        match read.seen.get(change).map(Vec::as_slice) {
            None | Some([]) => missing += 1,
            Some([seen]) if seen == capacity => {}
            Some([_]) => wrong += 1,
            Some(_) => repeated += 1,
        }
    }
    let unexpected = read
        .seen
        .keys()
        .filter(|k| !written.changes.contains_key(*k))
        .count();
    v.figure("writers", plan.feed_writers);
    v.figure("changes", written.changes.len());
    v.figure("seen", read.seen.values().map(Vec::len).sum::<usize>());
    v.figure("missing", missing);
    v.figure("repeated", repeated);
    v.figure("wrong_value", wrong);
    v.figure("unexpected", unexpected);
    v.figure("pages", read.pages);
    v.require(!written.changes.is_empty(), || {
        "no change was written".into()
    });
    v.require(missing == 0, || format!("{missing} changes never seen"));
    v.require(repeated == 0, || {
        format!("{repeated} changes seen more than once")
    });
    v.require(wrong == 0, || {
        format!("{wrong} changes seen with another capacity")
    });
    v.require(unexpected == 0, || {
        format!("{unexpected} changes seen that no writer had acknowledged")
    });
    v.require(written.errors.is_empty(), || {
        format!(
            "{} PATCHes failed, e.g. {}",
            written.errors.len(),
            written.errors.first().cloned().unwrap_or_default()
        )
    });
    v.problems.extend(read.problems.iter().take(5).cloned());
    Ok(v)
}

/// One writer: `changes` PATCHes of random ticket types of its reseller.
async fn write(
    client: reqwest::Client,
    base_url: String,
    reseller: Reseller,
    writer: usize,
    changes: usize,
    seed: u64,
) -> Written {
    let mut rng = Rng::new(seed);
    let mut written = Written::default();
    let types: Vec<(Uuid, Uuid)> = reseller
        .shows
        .iter()
        .flat_map(|s| s.ticket_types.iter().map(move |t| (s.id, t.id)))
        .collect();
    if types.is_empty() {
        written
            .errors
            .push("a reseller without ticket types".into());
        return written;
    }
    for k in 0..changes {
        let (show_id, ticket_type_id) = types[rng.below(types.len() as u64) as usize];
        // Unique per write, far above anything sold.
        let capacity = 5_000_000 + (writer as i64) * 10_000 + k as i64;
        let url = format!("{base_url}/v1/shows/{show_id}/ticket-types/{ticket_type_id}");
        let answer = client
            .patch(&url)
            .bearer_auth(&reseller.api_key)
            .json(&json!({ "capacity": capacity }))
            .send()
            .await;
        match answer {
            Ok(response) if response.status().is_success() => {
                match response.json::<Value>().await {
                    Ok(body) => match body["version"].as_i64() {
                        Some(version) => {
                            written.changes.insert((ticket_type_id, version), capacity);
                        }
                        None => written.errors.push(format!("no version in {body}")),
                    },
                    Err(e) => written.errors.push(format!("unreadable answer: {e}")),
                }
            }
            Ok(response) => written
                .errors
                .push(format!("PATCH answered {}", response.status())),
            Err(e) => written.errors.push(format!("PATCH failed: {e}")),
        }
    }
    written
}

/// Follows the feed from `after`. Without `done`, reads to the current end
/// once; with it, keeps polling until `done` is set and a read after that
/// finds nothing new. Returns the last cursor.
async fn follow(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    mut after: Option<String>,
    read: &mut Read,
    done: Option<Arc<AtomicBool>>,
) -> Result<Option<String>, String> {
    let mut last_seq: Option<String> = None;
    loop {
        let finished = done.as_ref().is_none_or(|d| d.load(Ordering::Acquire));
        let mut request = client
            .get(url)
            .bearer_auth(token)
            .query(&[("limit", PAGE.to_string())]);
        if let Some(cursor) = &after {
            request = request.query(&[("after", cursor)]);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("reading the catalog feed: {e}"))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|e| format!("the catalog feed answered {status} without JSON: {e}"))?;
        if !status.is_success() {
            return Err(format!("the catalog feed answered {status}: {body}"));
        }
        read.pages += 1;
        let entries = body["data"].as_array().cloned().unwrap_or_default();
        for entry in &entries {
            read.entries += 1;
            let cursor = entry["cursor"].as_str().map(str::to_owned);
            if cursor.is_some() && cursor == last_seq {
                read.problems.push(format!("cursor {cursor:?} seen twice"));
            }
            last_seq = cursor;
            if entry["entity"] != "ticket_type" || entry["action"] != "updated" {
                continue;
            }
            let id = entry["ticket_type_id"]
                .as_str()
                .and_then(|s| s.parse::<Uuid>().ok());
            let version = entry["data"]["version"].as_i64();
            let capacity = entry["data"]["capacity"].as_i64();
            match (id, version, capacity) {
                (Some(id), Some(version), Some(capacity)) => {
                    read.seen.entry((id, version)).or_default().push(capacity)
                }
                _ => read.problems.push(format!(
                    "a ticket-type change without id, version or capacity: {entry}"
                )),
            }
        }
        if let Some(next) = body["next_cursor"].as_str() {
            after = Some(next.to_owned());
        }
        if entries.is_empty() {
            if finished {
                return Ok(after);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
