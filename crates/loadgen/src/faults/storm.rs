//! Duplicate storm: every batch is sent 1 to 5 times, the copies next to
//! each other in the queue so that many senders post them at once. The
//! answers must accept each distinct event exactly once and call every
//! other copy a duplicate; the event log must hold the distinct events.

use super::{Fixture, Plan, Sent, Verdict, Wave};
use crate::workload::Rng;

pub async fn run(fx: &mut Fixture, plan: &Plan, rng: &mut Rng) -> Result<Verdict, String> {
    let mut v = Verdict::new("duplicate-storm");
    let base = Wave::generate(
        &fx.catalog,
        plan.storm_events,
        plan.storm_batch,
        0.0,
        rng.next_u64(),
    )?;
    let mut groups: Vec<Vec<Vec<u32>>> = base
        .batches
        .iter()
        .map(|batch| {
            let copies = rng.between(1, 5) as usize;
            vec![batch.clone(); copies]
        })
        .collect();
    rng.shuffle(&mut groups);
    let batches: Vec<Vec<u32>> = groups.into_iter().flatten().collect();
    let wave = Wave::new(base.events, batches)?;
    let outcome = wave
        .send(
            &fx.client,
            &fx.target,
            plan.storm_senders,
            "duplicate-storm",
        )
        .await;
    let mut sent = Sent::default();
    sent.add(wave, outcome);
    let distinct = sent.distinct_events();
    v.figure("senders", plan.storm_senders);
    v.figure("distinct", distinct);
    v.figure("deliveries", sent.deliveries);
    v.figure("accepted", sent.accepted);
    v.figure("duplicates", sent.duplicates);
    fx.end_checks(&sent, &mut v).await?;
    v.figure("shed_503", sent.shed);
    v.require(sent.accepted == distinct, || {
        format!(
            "{} events answered accepted for {distinct} distinct events",
            sent.accepted
        )
    });
    v.require(sent.accepted + sent.duplicates == sent.deliveries, || {
        format!(
            "accepted {} + duplicates {} != {} deliveries",
            sent.accepted, sent.duplicates, sent.deliveries
        )
    });
    Ok(v)
}
