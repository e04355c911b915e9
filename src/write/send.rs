//! Sending a write: the async half, with the network and the audit trail.
//! [`fetch`] and [`check_fresh`] read the identity (the second read, right
//! before the PUT, is the only guard Kratos offers against overwriting
//! someone else's change); [`send()`] refuses a read-only profile before
//! anything is signed (one `refusal` audit line), records the `intent`
//! (synced to disk) with the request id sent as `X-Request-ID`, sends the
//! signed PUT, verifies the answer and records the `outcome`.
//!
//! Audit lines are written on tokio's blocking pool
//! ([`audit::on_blocking_pool`]), because each one is fsync'ed.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::plan::{Freshness, PlannedWrite, Snapshot, WriteError, check_credentials, compare};
use super::verify::{Verification, verify};
use crate::api::{ApiError, Client, Exchange, PreparedRequest};
use crate::audit::{self, AuditError, AuditLog, Intent, Outcome, Refusal, Target};
use crate::diff::Change;

/// GETs the identity `id` (never with credentials' secrets).
pub async fn fetch(client: &Client, id: &str) -> Result<Snapshot, ApiError> {
    let response = client.get_identity(id).await?;
    Ok(Snapshot::from_response(&response))
}

/// GETs the identity again, right before sending, and compares.
pub async fn check_fresh(client: &Client, planned: &PlannedWrite) -> Result<Freshness, ApiError> {
    let latest = fetch(client, &planned.identity_id).await?;
    Ok(compare(&planned.base, latest))
}

/// What a successful PUT gave back.
#[derive(Debug, Clone)]
pub struct WriteResult {
    /// Sent as `X-Request-ID`; the audit lines carry it too.
    pub request_id: String,
    /// The whole exchange, for the response view and the request history
    /// (secrets in the request body already redacted).
    pub exchange: Exchange,
    /// The identity as the server holds it now.
    pub identity: Snapshot,
    /// What was changed (redacted).
    pub changes: Vec<Change>,
    /// What of the body the server's answer holds: a `200` may still have
    /// dropped a member (Kratos v1.x and `external_id`).
    pub verification: Verification,
    /// The write went through but its outcome line could not be recorded.
    pub audit_warning: Option<String>,
}

/// Builds and signs the PUT for `planned` without sending it (a dry run
/// prints it). Refuses a read-only profile before anything is signed, and an
/// import that fails its checks.
pub fn sign(client: &Client, planned: &PlannedWrite) -> Result<PreparedRequest, WriteError> {
    if client.is_read_only() {
        return Err(WriteError::ReadOnly {
            profile: client.profile_name().to_owned(),
        });
    }
    if let Some(credentials) = &planned.body.credentials {
        check_credentials(credentials, &planned.base.identity)?;
    }
    client
        .prepare_update_identity(&planned.identity_id, &planned.body)
        .map_err(|err| match err {
            ApiError::ReadOnly { profile } => WriteError::ReadOnly { profile },
            other => WriteError::from(other),
        })
}

/// Signs and sends `planned`, with its audit lines: a `refusal` when the
/// profile is read-only or the import fails its checks (nothing is signed or
/// sent), else an `intent` synced to disk before the request goes out (if it
/// cannot be written, nothing is sent) and an `outcome` after the answer.
/// Does not check freshness: call [`check_fresh`] just before. The trail is
/// shared (`Arc`) because each line is written and fsync'ed on tokio's
/// blocking pool, never on the task that drives the terminal; `None` writes
/// no audit lines (tests, the demo without a state folder).
pub async fn send(
    client: &Client,
    audit: Option<&Arc<AuditLog>>,
    planned: &PlannedWrite,
) -> Result<WriteResult, WriteError> {
    let prepared = sign_or_refuse(client, audit, planned).await?;
    send_signed(client, audit, planned, &prepared).await
}

/// [`sign`], with the `refusal` line [`send()`] records when signing is
/// refused (a read-only profile, an import that fails its checks): the
/// first step of [`send()`], for callers that send in steps.
pub async fn sign_or_refuse(
    client: &Client,
    audit: Option<&Arc<AuditLog>>,
    planned: &PlannedWrite,
) -> Result<PreparedRequest, WriteError> {
    match sign(client, planned) {
        Ok(prepared) => Ok(prepared),
        Err(err) => {
            if let Some(log) = audit {
                let reason = match &err {
                    WriteError::ReadOnly { .. } => "read-only profile".to_owned(),
                    other => other.to_string(),
                };
                if let Err(audit_err) = record_refusal(log, client, planned, &reason).await {
                    tracing::warn!("cannot record the refusal: {audit_err}");
                }
            }
            Err(err)
        }
    }
}

/// Sends a request made by [`sign`] for `planned`, with its `intent` and
/// `outcome` audit lines.
pub async fn send_signed(
    client: &Client,
    audit: Option<&Arc<AuditLog>>,
    planned: &PlannedWrite,
    prepared: &PreparedRequest,
) -> Result<WriteResult, WriteError> {
    let answered = put_signed(client, audit, planned, prepared).await?;
    answered.record(audit).await
}

/// A PUT that went out (its intent on disk first) and what came back, its
/// `outcome` line not yet recorded: [`Answered::record`] does that. Split
/// so that `apply` can start its next identity while the outcome is
/// written; every caller records it.
#[derive(Debug)]
#[must_use = "the outcome line is not recorded until `record` is called"]
pub struct Answered {
    outcome: Outcome,
    result: Result<WriteResult, ApiError>,
}

/// Records `planned`'s intent (synced to disk; if it cannot be written,
/// nothing is sent) and sends the PUT made by [`sign`]; the outcome line is
/// left to [`Answered::record`].
pub async fn put_signed(
    client: &Client,
    audit: Option<&Arc<AuditLog>>,
    planned: &PlannedWrite,
    prepared: &PreparedRequest,
) -> Result<Answered, WriteError> {
    let target = Target::of_client(
        client,
        prepared.request_id.clone(),
        &prepared.method,
        prepared.url.clone(),
        Some(planned.identity_id.clone()),
    )
    .about(planned.identifier.clone(), planned.reason.clone());
    if let Some(log) = audit {
        let intent = Intent {
            target: target.clone(),
            changes: planned.changes.clone(),
        };
        audit::on_blocking_pool(log, move |log| log.intent(&intent)).await?;
    }

    let started = Instant::now();
    let result = client.send_identity_write(prepared).await;
    let measured = started.elapsed();

    let mut outcome = Outcome::of(target, result.as_ref().map(|response| &response.exchange), measured);
    let result = result.map(|response| {
        let identity = Snapshot::from_response(&response);
        let sent = serde_json::to_value(&planned.body).unwrap_or(Value::Null);
        let verification = verify(&planned.changes, &sent, &identity.raw);
        outcome.not_kept = verification.not_kept.clone();
        outcome.normalised = verification.normalised.iter().map(|n| n.pointer.clone()).collect();
        WriteResult {
            request_id: prepared.request_id.clone(),
            identity,
            exchange: response.exchange,
            changes: planned.changes.clone(),
            verification,
            audit_warning: None,
        }
    });
    Ok(Answered { outcome, result })
}

impl Answered {
    /// What came back: the write's result (its `audit_warning` not known
    /// yet), or why it failed.
    pub fn result(&self) -> Result<&WriteResult, &ApiError> {
        self.result.as_ref()
    }

    /// Records the outcome line (when there is a trail) and gives the
    /// write's result; an outcome that cannot be recorded is a warning on
    /// the result, not a failure: the write was made.
    pub async fn record(self, audit: Option<&Arc<AuditLog>>) -> Result<WriteResult, WriteError> {
        let mut audit_warning = None;
        if let Some(log) = audit {
            let outcome = self.outcome;
            if let Err(err) = audit::on_blocking_pool(log, move |log| log.outcome(&outcome)).await {
                tracing::warn!("the write's outcome was not recorded: {err}");
                audit_warning = Some(format!("the outcome was not recorded in the audit trail: {err}"));
            }
        }
        let mut result = self.result?;
        result.audit_warning = audit_warning;
        Ok(result)
    }
}

/// Records a write that was refused before anything was sent (a conflict the
/// user would not resolve, a read-only profile, a missing reason, ...), with
/// what it would have changed, who the identity is and the user's reason.
pub async fn record_refusal(
    audit: &Arc<AuditLog>,
    client: &Client,
    planned: &PlannedWrite,
    reason: &str,
) -> Result<(), AuditError> {
    let refusal = Refusal {
        target: Target::refused_put(
            client,
            client.identity_url(&planned.identity_id),
            Some(planned.identity_id.clone()),
        )
        .about(planned.identifier.clone(), planned.reason.clone()),
        changes: planned.changes.clone(),
        reason: reason.to_owned(),
    };
    audit::on_blocking_pool(audit, move |log| log.refusal(&refusal)).await
}
