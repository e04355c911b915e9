//! Sending an attribute update: the async half. A read-only profile is
//! refused before anything is signed (one `refusal` audit line), the
//! `intent` is on disk before the request goes out and the `outcome`
//! follows, both with the request id sent as `X-Request-ID`. The
//! [`Exchange`] handed back has the token masked in the request body and in
//! the answer.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::explain::explain;
use super::plan::{RegistryError, changes, check_update, display_sent_body, scrub_bytes, scrub_text};
use crate::api::client::ATTRIBUTE_UPDATE_ENDPOINT;
use crate::api::{ApiError, AttributeUpdate, Client, Exchange, PreparedRequest};
use crate::audit::{self, AuditError, AuditLog, Intent, Outcome, Refusal, Target};
use crate::diff::Change;

/// A successful attribute update.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeResult {
    /// Sent as `X-Request-ID`; the audit lines carry it too.
    pub request_id: String,
    /// The whole exchange, for the response view and the request history,
    /// with the issuance token masked in the request body and the answer.
    pub exchange: Exchange,
    /// The answer's JSON (token masked), `None` when the answer had no body.
    pub answer: Option<Value>,
    /// What the update asked for, as the audit trail records it.
    pub changes: Vec<Change>,
    /// The update went through but its outcome line could not be recorded.
    pub audit_warning: Option<String>,
}

/// What the audit lines of an attribute update say beyond the request: the
/// identity the token belongs to, who that is ([`crate::who`]) and the
/// user's reason (checked by [`crate::write::check_reason`]). Each is
/// optional: a token typed without `--identity` names no identity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateContext {
    pub identity_id: Option<String>,
    pub identifier: Option<String>,
    pub reason: Option<String>,
}

impl UpdateContext {
    /// Only the identity id, as the callers that know nothing more say it.
    pub fn of_identity(identity_id: Option<&str>) -> UpdateContext {
        UpdateContext {
            identity_id: identity_id.map(str::to_owned),
            ..UpdateContext::default()
        }
    }

    fn target(&self, target: Target) -> Target {
        target.about(self.identifier.clone(), self.reason.clone())
    }
}

/// Builds and signs the `PUT` without sending it (a dry run prints it).
/// Refuses a read-only profile and an invalid update before anything is
/// signed. The request's body holds the token in clear: show it only through
/// [`display_sent_body`].
pub fn sign_attribute_update(client: &Client, update: &AttributeUpdate) -> Result<PreparedRequest, RegistryError> {
    if client.is_read_only() {
        return Err(RegistryError::ReadOnly {
            profile: client.profile_name().to_owned(),
        });
    }
    check_update(update)?;
    client.prepare_update_attribute(update).map_err(|err| match err {
        ApiError::ReadOnly { profile } => RegistryError::ReadOnly { profile },
        other => api_failure(other, &update.issuance_token),
    })
}

/// Signs and sends `update`, with its audit lines: a `refusal` when the
/// profile is read-only or the update is invalid (nothing is signed or
/// sent), else an `intent` synced to disk before the request goes out (if it
/// cannot be written, nothing is sent) and an `outcome` after the answer.
/// `identity_id` is the identity the token belongs to, when known (for the
/// audit trail). `None` for `audit` writes no audit lines (tests).
pub async fn send_attribute_update(
    client: &Client,
    audit: Option<&Arc<AuditLog>>,
    update: &AttributeUpdate,
    identity_id: Option<&str>,
) -> Result<AttributeResult, RegistryError> {
    send_attribute_update_for(client, audit, update, &UpdateContext::of_identity(identity_id)).await
}

/// [`send_attribute_update`] with who and why on its audit lines.
pub async fn send_attribute_update_for(
    client: &Client,
    audit: Option<&Arc<AuditLog>>,
    update: &AttributeUpdate,
    context: &UpdateContext,
) -> Result<AttributeResult, RegistryError> {
    let prepared = match sign_attribute_update(client, update) {
        Ok(prepared) => prepared,
        Err(err) => {
            let reason = match &err {
                RegistryError::ReadOnly { .. } => Some("read-only profile".to_owned()),
                RegistryError::InvalidUpdate(message) => Some(message.clone()),
                // A profile without attribute_registry_url: nothing to audit.
                _ => None,
            };
            if let (Some(log), Some(reason)) = (audit, reason)
                && let Err(audit_err) = record_refusal_for(log, client, update, context, &reason, None).await
            {
                tracing::warn!("cannot record the refusal: {audit_err}");
            }
            return Err(err);
        }
    };
    send_signed_attribute_update_for(client, audit, update, context, &prepared).await
}

/// Sends a request made by [`sign_attribute_update`] for `update`, with its
/// `intent` and `outcome` audit lines.
pub async fn send_signed_attribute_update(
    client: &Client,
    audit: Option<&Arc<AuditLog>>,
    update: &AttributeUpdate,
    identity_id: Option<&str>,
    prepared: &PreparedRequest,
) -> Result<AttributeResult, RegistryError> {
    send_signed_attribute_update_for(
        client,
        audit,
        update,
        &UpdateContext::of_identity(identity_id),
        prepared,
    )
    .await
}

/// [`send_signed_attribute_update`] with who and why on its audit lines.
pub async fn send_signed_attribute_update_for(
    client: &Client,
    audit: Option<&Arc<AuditLog>>,
    update: &AttributeUpdate,
    context: &UpdateContext,
    prepared: &PreparedRequest,
) -> Result<AttributeResult, RegistryError> {
    let token = update.issuance_token.as_str();
    let changes = changes(update);
    let target = context.target(Target::of_client(
        client,
        prepared.request_id.clone(),
        &prepared.method,
        scrub_text(&prepared.url, token),
        context.identity_id.clone(),
    ));
    if let Some(log) = audit {
        let intent = Intent {
            target: target.clone(),
            changes: changes.clone(),
        };
        audit::on_blocking_pool(log, move |log| log.intent(&intent)).await?;
    }

    let started = Instant::now();
    let result = client
        .send_attribute_write(prepared)
        .await
        .map(|response| (masked_exchange(response.exchange, prepared, token), response.value))
        .map_err(|err| mask_error(err, prepared, token));
    let measured = started.elapsed();

    let mut audit_warning = None;
    if let Some(log) = audit {
        let mut outcome = Outcome::of(target, result.as_ref().map(|(exchange, _)| exchange), measured);
        // Yoti may echo the token in its error: masked, as everywhere else.
        outcome.error = outcome.error.map(|error| scrub_text(&error, token));
        if let Err(err) = audit::on_blocking_pool(log, move |log| log.outcome(&outcome)).await {
            tracing::warn!("the attribute update's outcome was not recorded: {err}");
            audit_warning = Some(format!("the outcome was not recorded in the audit trail: {err}"));
        }
    }

    match result {
        Ok((exchange, answer)) => Ok(AttributeResult {
            request_id: prepared.request_id.clone(),
            answer: answer.map(|value| scrub_value(value, token)),
            exchange,
            changes,
            audit_warning,
        }),
        Err(err) => {
            let explanation = explain(&err);
            Err(RegistryError::Api {
                error: Box::new(err),
                explanation,
            })
        }
    }
}

/// Records an attribute update refused before anything was sent. `url` is
/// where it would have gone, when the caller knows the profile's
/// `attribute_registry_url` (the client does not tell it); else the line
/// names the endpoint alone.
pub async fn record_refusal(
    audit: &Arc<AuditLog>,
    client: &Client,
    update: &AttributeUpdate,
    identity_id: Option<&str>,
    reason: &str,
    url: Option<&str>,
) -> Result<(), AuditError> {
    record_refusal_for(
        audit,
        client,
        update,
        &UpdateContext::of_identity(identity_id),
        reason,
        url,
    )
    .await
}

/// [`record_refusal`] with who and why on the line.
pub async fn record_refusal_for(
    audit: &Arc<AuditLog>,
    client: &Client,
    update: &AttributeUpdate,
    context: &UpdateContext,
    reason: &str,
    url: Option<&str>,
) -> Result<(), AuditError> {
    let refusal = Refusal {
        target: context.target(Target::refused_put(
            client,
            url.map_or_else(|| ATTRIBUTE_UPDATE_ENDPOINT.to_owned(), str::to_owned),
            context.identity_id.clone(),
        )),
        changes: changes(update),
        reason: scrub_text(reason, &update.issuance_token),
    };
    audit::on_blocking_pool(audit, move |log| log.refusal(&refusal)).await
}

/// The exchange with the token masked in the request body and the answer.
fn masked_exchange(mut exchange: Exchange, prepared: &PreparedRequest, token: &str) -> Exchange {
    exchange.request_body = display_sent_body(prepared, token);
    exchange.body = scrub_bytes(&exchange.body, token);
    exchange.url = scrub_text(&exchange.url, token);
    exchange
}

/// The client's error with the token masked everywhere it could show.
fn mask_error(err: ApiError, prepared: &PreparedRequest, token: &str) -> ApiError {
    match err {
        ApiError::Http(mut http) => {
            http.exchange = masked_exchange(http.exchange, prepared, token);
            http.error = http.exchange.error();
            ApiError::Http(http)
        }
        ApiError::InvalidResponse { detail, exchange } => ApiError::InvalidResponse {
            detail: scrub_text(&detail, token),
            exchange: Box::new(masked_exchange(*exchange, prepared, token)),
        },
        other => other,
    }
}

fn api_failure(err: ApiError, token: &str) -> RegistryError {
    let err = match err {
        ApiError::InvalidInput(message) => ApiError::InvalidInput(scrub_text(&message, token)),
        other => other,
    };
    let explanation = explain(&err);
    RegistryError::Api {
        error: Box::new(err),
        explanation,
    }
}

fn scrub_value(value: Value, token: &str) -> Value {
    match value {
        Value::String(text) => Value::String(scrub_text(&text, token)),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| scrub_value(v, token)).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, scrub_value(v, token))).collect()),
        other => other,
    }
}
