//! Where reads of reports and orders go: the read replica
//! (`DATABASE_READ_URL`) when there is one and it answers, else the primary.
//! A replica that fails is skipped for a few seconds (so a dead replica does
//! not add its timeout to every read) and tried again after; `/readyz` says
//! whether reads are degraded. Writes never go to the replica.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use platform::db::Database;
use uuid::Uuid;

use crate::db::{self, Tx};

/// How long a failed replica is skipped.
const RETRY_AFTER: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct Reads {
    primary: Database,
    replica: Option<Database>,
    state: Arc<ReplicaState>,
}

#[derive(Debug, Default)]
struct ReplicaState {
    degraded: AtomicBool,
    /// Milliseconds since the epoch of the last failure.
    failed_at_ms: AtomicU64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Reads {
    pub fn new(primary: Database, replica: Option<Database>) -> Self {
        Self {
            primary,
            replica,
            state: Arc::default(),
        }
    }

    /// The replica's pool, when there is one.
    pub fn replica_pool(&self) -> Option<&sqlx::PgPool> {
        self.replica.as_ref().map(Database::pool)
    }

    pub fn has_replica(&self) -> bool {
        self.replica.is_some()
    }

    /// True while reads fall back to the primary because the replica failed.
    pub fn degraded(&self) -> bool {
        self.state.degraded.load(Ordering::Relaxed)
    }

    /// A read-only transaction for `reseller_id`, on the replica if it can.
    pub async fn tenant(&self, reseller_id: Uuid) -> Result<Tx, sqlx::Error> {
        if let Some(replica) = &self.replica {
            let skip = self.degraded()
                && now_ms().saturating_sub(self.state.failed_at_ms.load(Ordering::Relaxed))
                    < RETRY_AFTER.as_millis() as u64;
            if !skip {
                match db::tenant(replica.pool(), reseller_id).await {
                    Ok(tx) => {
                        if self.state.degraded.swap(false, Ordering::Relaxed) {
                            tracing::info!("read replica answers again");
                        }
                        return Ok(tx);
                    }
                    Err(error) => {
                        self.state.failed_at_ms.store(now_ms(), Ordering::Relaxed);
                        if !self.state.degraded.swap(true, Ordering::Relaxed) {
                            tracing::warn!(%error, "read replica unavailable; reading from the primary");
                        }
                    }
                }
            }
        }
        db::tenant(self.primary.pool(), reseller_id).await
    }

    /// Checks the replica now (for `/readyz`), updating the degraded flag.
    pub async fn probe(&self) -> Option<bool> {
        let replica = self.replica.as_ref()?;
        let ok = tokio::time::timeout(
            Duration::from_secs(2),
            sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(replica.pool()),
        )
        .await
        .is_ok_and(|r| r.is_ok());
        if ok {
            self.state.degraded.store(false, Ordering::Relaxed);
        } else {
            self.state.failed_at_ms.store(now_ms(), Ordering::Relaxed);
            self.state.degraded.store(true, Ordering::Relaxed);
        }
        Some(ok)
    }
}
