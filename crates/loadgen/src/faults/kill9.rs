//! kill -9: senders push waves of fresh events (retrying unacknowledged
//! batches with the same ids) while the service is SIGKILLed at random,
//! seeded moments and started again on the same address, until the planned
//! number of kills is reached; the last wave then runs to its end.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Instant,
};

use super::{millis, sleep_unless, Fixture, Plan, Sent, Verdict, Wave};
use crate::{send::percentile, workload::Rng};

pub async fn run(fx: &mut Fixture, plan: &Plan, rng: &mut Rng) -> Result<Verdict, String> {
    let mut v = Verdict::new("kill9");
    let mut sent = Sent::default();
    let mut kills = 0;
    let mut restart_ms = Vec::new();
    let mut timing = Rng::new(rng.next_u64());
    while kills < plan.kills {
        let wave = Wave::generate(
            &fx.catalog,
            plan.kill9_wave_events,
            plan.kill9_batch,
            0.05,
            rng.next_u64(),
        )?;
        let done = AtomicBool::new(false);
        let (client, target) = (&fx.client, &fx.target);
        let sending = async {
            let outcome = wave.send(client, target, plan.kill9_senders, "kill9").await;
            done.store(true, Ordering::Release);
            outcome
        };
        // Polled on this (the main) thread, like the first spawn: the
        // respawned child's parent-death signal is tied to it.
        let service = &mut fx.service;
        let killing = async {
            let mut wave_kills = 0;
            while kills + wave_kills < plan.kills {
                if sleep_unless(&done, millis(&mut timing, plan.kill_after_ms)).await {
                    break;
                }
                service.kill9()?;
                wave_kills += 1;
                let started = Instant::now();
                service.respawn()?;
                service.wait_ready(client).await?;
                restart_ms.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<usize, String>(wave_kills)
        };
        let (outcome, killed) = tokio::join!(sending, killing);
        kills += killed?;
        sent.add(wave, outcome);
    }
    v.figure("kills", kills);
    v.figure("waves", sent.phases.len());
    fx.end_checks(&sent, &mut v).await?;
    v.figure("retries", sent.retries);
    v.figure("transport_errors", sent.transport_errors);
    v.figure(
        "restart_p50_ms",
        super::ms(percentile(&restart_ms, 50.0).unwrap_or(0.0)),
    );
    v.figure(
        "restart_max_ms",
        super::ms(percentile(&restart_ms, 100.0).unwrap_or(0.0)),
    );
    v.require(kills >= plan.kills, || {
        format!("only {kills} of {} kills", plan.kills)
    });
    Ok(v)
}
