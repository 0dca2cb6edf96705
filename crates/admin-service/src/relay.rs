//! Delivers ticket notices (refund requested, carried out, failed) to
//! reseller-service. A notice commits with the change that caused it; this
//! relay posts it to the ticket and marks it delivered, woken at once after a
//! commit and every few seconds otherwise, so a notice survives
//! reseller-service being down or admin-service restarting. Delivery is at
//! least once: a crash between the post and the mark repeats one message.

use std::{sync::Arc, time::Duration};

use serde_json::json;
use tokio::sync::Notify;

use crate::{db, reseller_api::ResellerApi, ApiError};

/// How often pending notices are retried when nothing wakes the relay.
const RETRY_EVERY: Duration = Duration::from_secs(5);

/// Wakes the relay after a notice commits.
#[derive(Debug, Clone, Default)]
pub struct RelayHandle(Arc<Notify>);

impl RelayHandle {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Runs until the task is aborted.
pub async fn run(handle: RelayHandle, db: platform::db::Database, api: ResellerApi) {
    loop {
        match deliver_pending(&db, &api).await {
            Ok(0) => {}
            Ok(delivered) => tracing::debug!(delivered, "ticket notices delivered"),
            Err(error) => tracing::warn!(%error, "ticket notices not delivered yet"),
        }
        tokio::select! {
            () = handle.0.notified() => {}
            () = tokio::time::sleep(RETRY_EVERY) => {}
        }
    }
}

/// Delivers what is pending; returns how many were delivered.
pub async fn deliver_pending(
    db: &platform::db::Database,
    api: &ResellerApi,
) -> Result<usize, ApiError> {
    if !db.is_migrated() {
        return Ok(0);
    }
    let mut delivered = 0;
    loop {
        let mut tx = db.begin().await?;
        let batch = db::notices::claim(&mut tx, 20).await?;
        if batch.is_empty() {
            return Ok(delivered);
        }
        for notice in &batch {
            let path = format!("/internal/v1/support-tickets/{}/messages", notice.ticket_id);
            match api
                .post::<serde_json::Value>(&path, &json!({ "admin_id": null, "body": notice.body }))
                .await
            {
                Ok(_) => {}
                // The ticket is gone: nothing will ever take this notice.
                Err(ApiError::NotFound) => {
                    tracing::warn!(ticket_id = %notice.ticket_id, "notice for a missing ticket dropped")
                }
                Err(error) => {
                    tx.commit().await?;
                    return Err(error);
                }
            }
            db::notices::mark_delivered(&mut tx, notice.notice_id).await?;
            delivered += 1;
        }
        tx.commit().await?;
    }
}
