//! The one way idcon writes to the Yoti attribute registry, shared by
//! `idcon attribute update` and the console's attribute form, so that an
//! attribute update is as safe as an identity update: a read-only profile
//! refuses it before anything is signed (one `refusal` audit line), the
//! `intent` is on disk before the request goes out and the `outcome` follows,
//! both with the request id sent as `X-Request-ID`.
//!
//! The issuance token is a secret: it lets anyone holding the application's
//! key change the user's attribute. It never reaches an audit line, a log, an
//! error message or the screen; people see it as [`mask_token`] shows it (the
//! last four characters at most). The [`Exchange`] handed back for the
//! response view has it masked in the request body and in the answer.
//!
//! Yoti's answers to a refused update are explained in plain words by
//! [`explain_yoti_error`], for support staff who do not know Yoti's codes.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use crate::api::client::ATTRIBUTE_UPDATE_ENDPOINT;
use crate::api::exchange::{SecretKind, Secrets};
use crate::api::{ApiError, AttributeUpdate, Client, Exchange, PreparedRequest};
use crate::audit::{self, AuditError, AuditLog, Intent, Outcome, Refusal, Target};
use crate::diff::{self, Change, REDACTED};

/// Tokens shorter than this are shown fully masked: revealing four characters
/// of a short token would give away too much of it.
const SHORTEST_PARTLY_SHOWN: usize = 12;

/// How many characters of a token are shown.
const SHOWN_TAIL: usize = 4;

/// Why an attribute update was not made. Messages are one line and never hold
/// the issuance token.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The update cannot be sent as it is (empty token, blank name, ...).
    /// Nothing was sent.
    #[error("{0}")]
    InvalidUpdate(String),
    #[error("profile \"{profile}\" is read-only: nothing was signed or sent")]
    ReadOnly { profile: String },
    /// The intent could not be recorded, so the update was not sent.
    #[error("the attribute update was not sent because the audit trail cannot record it: {0}")]
    Audit(#[from] AuditError),
    /// The request failed or Yoti refused it. The error's exchange has the
    /// token masked; `explanation` says in plain words what Yoti's answer
    /// means (see [`explain_yoti_error`]).
    #[error("{error}")]
    Api {
        error: Box<ApiError>,
        explanation: Option<String>,
    },
}

impl RegistryError {
    /// What Yoti's refusal means, in plain words, when Yoti answered.
    pub fn explanation(&self) -> Option<&str> {
        match self {
            RegistryError::Api { explanation, .. } => explanation.as_deref(),
            _ => None,
        }
    }

    /// The client's error, when the request was attempted.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            RegistryError::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The exchange (token masked), when Yoti answered: for the response view.
    pub fn exchange(&self) -> Option<&Exchange> {
        self.api_error().and_then(ApiError::exchange)
    }
}

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

/// The issuance token stored in `identity` at the JSON pointer `pointer`
/// (the profile's `issuance_token_pointer`), to prefill the attribute form.
/// `None` when there is none, it is not a string, or it is blank.
pub fn issuance_token_at(identity: &Value, pointer: &str) -> Option<String> {
    if !pointer.starts_with('/') {
        return None;
    }
    let token = identity.pointer(pointer)?.as_str()?.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

/// The token as people may see it: eight `*` and, for a token long enough,
/// its last four characters (enough to tell two tokens apart, not to use one).
/// The number of `*` does not depend on the token's length.
pub fn mask_token(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    let mut shown = "********".to_owned();
    if chars.len() >= SHORTEST_PARTLY_SHOWN {
        let tail: String = chars[chars.len() - SHOWN_TAIL..].iter().collect();
        shown.push_str(&crate::sanitize::for_display(&tail));
    }
    shown
}

/// The token as the one secret of a [`Secrets`] set: the client's scrubbing,
/// with every spelling a server may quote it in.
fn token_secret(token: &str) -> Secrets {
    let mut secrets = Secrets::default();
    secrets.add(token, SecretKind::Body, None);
    secrets
}

/// `text` with every occurrence of `token` (as sent, JSON- or Go-escaped;
/// see [`Secrets`]) replaced by its mask. The client already scrubs every
/// answer of it ([`crate::api::client`]); this is for texts made here.
/// A token shorter than [`crate::api::exchange::SHORTEST_SCRUBBED`] is not
/// searched for.
pub fn scrub_text(text: &str, token: &str) -> String {
    token_secret(token).scrub_text_as(text, &mask_token(token)).into_owned()
}

/// `bytes` with every occurrence of `token` replaced by its mask.
fn scrub_bytes(bytes: &[u8], token: &str) -> Vec<u8> {
    token_secret(token).scrub_bytes_as(bytes, &mask_token(token))
}

/// Checks what Yoti would refuse anyway, and what a slip when pasting
/// produces, before anything is signed. The message never quotes the token.
pub fn check_update(update: &AttributeUpdate) -> Result<(), RegistryError> {
    let token = &update.issuance_token;
    if token.is_empty() {
        return Err(invalid(
            "the issuance token is empty: give the token Yoti issued the attribute with",
        ));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "the issuance token holds spaces, line breaks or control characters (a slip when pasting?): \
             give it exactly as Yoti issued it",
        ));
    }
    let name = &update.name;
    if name.trim().is_empty() {
        return Err(invalid(
            "the attribute name is empty: give the name it was issued under, e.g. com.example.someAttribute",
        ));
    }
    if name.trim() != name {
        return Err(invalid(format!(
            "the attribute name {:?} starts or ends with spaces: Yoti matches names exactly",
            crate::sanitize::for_display(name)
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(format!(
            "the attribute name {:?} holds control characters",
            crate::sanitize::for_display(name)
        )));
    }
    Ok(())
}

fn invalid(message: impl Into<String>) -> RegistryError {
    RegistryError::InvalidUpdate(message.into())
}

/// The body as it is sent, with the token masked: what a reviewer confirms.
pub fn display_body(update: &AttributeUpdate) -> Value {
    let mut json = serde_json::to_value(update).unwrap_or(Value::Null);
    mask_body_token(&mut json, &update.issuance_token);
    json
}

/// The exact bytes of `prepared`'s body, with the token masked: the same
/// member order and layout as sent.
pub fn display_sent_body(prepared: &PreparedRequest, token: &str) -> Option<String> {
    prepared
        .body
        .as_ref()
        .map(|bytes| String::from_utf8_lossy(&scrub_bytes(bytes, token)).into_owned())
}

fn mask_body_token(json: &mut Value, token: &str) {
    if let Some(slot) = json.get_mut("issuance_token") {
        *slot = Value::String(mask_token(token));
    }
}

/// What the update asks for, as the review and the audit trail show it: the
/// body's members, the token redacted. The registry cannot be read, so there
/// are no old values.
pub fn changes(update: &AttributeUpdate) -> Vec<Change> {
    let mut changes = vec![
        Change {
            pointer: "/issuance_token".to_owned(),
            old: None,
            new: Some(Value::String(REDACTED.to_owned())),
        },
        Change {
            pointer: "/name".to_owned(),
            old: None,
            new: Some(Value::String(update.name.clone())),
        },
        Change {
            pointer: "/value".to_owned(),
            old: None,
            new: Some(update.value.clone()),
        },
    ];
    for (key, value) in &update.extra {
        changes.push(Change {
            pointer: format!("/{}", diff::escape_token(key)),
            old: None,
            new: Some(value.clone()),
        });
    }
    diff::redacted(changes)
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
                && let Err(audit_err) = record_refusal(log, client, update, identity_id, &reason, None).await
            {
                tracing::warn!("cannot record the refusal: {audit_err}");
            }
            return Err(err);
        }
    };
    send_signed_attribute_update(client, audit, update, identity_id, &prepared).await
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
    let token = update.issuance_token.as_str();
    let changes = changes(update);
    let target = Target::of_client(
        client,
        prepared.request_id.clone(),
        &prepared.method,
        scrub_text(&prepared.url, token),
        identity_id.map(str::to_owned),
    );
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
    let refusal = Refusal {
        target: Target::refused_put(
            client,
            url.map_or_else(|| ATTRIBUTE_UPDATE_ENDPOINT.to_owned(), str::to_owned),
            identity_id.map(str::to_owned),
        ),
        changes: changes(update),
        reason: scrub_text(reason, &update.issuance_token),
    };
    audit::on_blocking_pool(audit, move |log| log.refusal(&refusal)).await
}

/// What Yoti's answer to a failed request means, in plain words, or `None`
/// when the request did not get an answer.
pub fn explain(err: &ApiError) -> Option<String> {
    let exchange = err.exchange()?;
    let body = exchange.body_json().unwrap_or(Value::Null);
    explain_yoti_error(exchange.status, &body)
}

/// The refusal `status` with `body` in plain words, for support staff: what
/// went wrong and what to check. Yoti's documented error codes (`code`, or
/// `error` in newer APIs) are explained one by one; anything else by its
/// HTTP status and the member Yoti names in `errors[].property`. `None` for a
/// success.
pub fn explain_yoti_error(status: u16, body: &Value) -> Option<String> {
    if status < 400 {
        return None;
    }
    let code = yoti_code(body).unwrap_or_default();
    let text = yoti_text(body);
    if let Some(words) = explain_code(&code) {
        return Some(words.to_owned());
    }
    Some(explain_status(status, &text).to_owned())
}

/// Yoti's error code: `code` (most APIs, and the SDKs' error model), `error`
/// (newer APIs), or the same inside an `error` object.
fn yoti_code(body: &Value) -> Option<String> {
    let direct = |v: &Value| {
        ["code", "error"]
            .iter()
            .find_map(|key| v.get(*key).and_then(Value::as_str).map(str::to_owned))
    };
    direct(body)
        .or_else(|| body.get("error").and_then(direct))
        .map(|code| code.trim().to_ascii_uppercase())
}

/// Everything Yoti said in words (message, error items, property names),
/// lower-cased, to look for hints in.
fn yoti_text(body: &Value) -> String {
    let mut parts = Vec::new();
    let mut collect = |v: &Value| {
        for key in ["message", "reason", "error_description"] {
            if let Some(text) = v.get(key).and_then(Value::as_str) {
                parts.push(text.to_owned());
            }
        }
        for key in ["errors", "details"] {
            match v.get(key) {
                Some(Value::Array(items)) => {
                    for item in items {
                        for field in ["property", "message"] {
                            if let Some(text) = item.get(field).and_then(Value::as_str) {
                                parts.push(text.to_owned());
                            }
                        }
                    }
                }
                Some(other @ Value::Object(_)) => parts.push(other.to_string()),
                _ => {}
            }
        }
    };
    collect(body);
    if let Some(inner) = body.get("error").filter(|e| e.is_object()) {
        collect(inner);
    }
    parts.join(" ").to_lowercase()
}

/// The codes Yoti documents for its signed APIs.
fn explain_code(code: &str) -> Option<&'static str> {
    Some(match code {
        "INVALID_DIGEST" => {
            "Yoti could not verify the request's signature: the profile's key_file is not the key of the \
             Yoti application with this sdk_id, or something between idcon and Yoti changed the request. \
             Check that key_file and sdk_id come from the same application in Yoti Hub. Nothing was changed."
        }
        "MISSING_DIGEST" => {
            "The request reached Yoti unsigned (no X-Yoti-Auth-Digest): the profile has no key_file, or a \
             proxy removed the header. Set key_file to the application's PEM key. Nothing was changed."
        }
        "INVALID_APP_ID" | "APP_NOT_FOUND" | "INVALID_X_YOTI_AUTH_ID" => {
            "Yoti knows no application with the SDK id this profile sends (X-Yoti-Auth-Id): check the \
             profile's sdk_id against Yoti Hub. Nothing was changed."
        }
        "MISSING_APP_ID" => {
            "The request carried no SDK id (X-Yoti-Auth-Id): set sdk_id in the profile. Nothing was changed."
        }
        "MISSING_NONCE" | "MISSING_TIMESTAMP" => {
            "The signed nonce and timestamp did not reach Yoti: something between idcon and Yoti drops the \
             query string. Point attribute_registry_url straight at Yoti. Nothing was changed."
        }
        "DISABLED_APP" | "DISABLED_APP_STATE" => {
            "The Yoti application with this sdk_id is disabled in Yoti Hub: no attribute can be updated until \
             it is enabled again. Nothing was changed."
        }
        "ORG_NOT_FOUND" => {
            "Yoti does not know the organisation this application belongs to: ask Yoti support. Nothing was \
             changed."
        }
        suspended if suspended.starts_with("SUSPENDED") => {
            "The Yoti application or its organisation is suspended: ask Yoti support. Nothing was changed."
        }
        _ => return None,
    })
}

/// The refusal by HTTP status, refined by what the message names.
fn explain_status(status: u16, text: &str) -> &'static str {
    let mentions = |words: &[&str]| words.iter().any(|w| text.contains(w));
    match status {
        400 | 422 => {
            if mentions(&["not valid json", "malformed", "cannot parse", "could not parse"]) {
                "Yoti could not read the request body as JSON. Nothing was changed."
            } else if mentions(&["issuance_token", "issuance token", "token"]) {
                "Yoti refused the issuance token as malformed: copy it again exactly as it was issued, with no \
                 spaces or line breaks. Nothing was changed."
            } else if mentions(&["name", "definition"]) {
                "Yoti refused the attribute name: it must be exactly the name the attribute was issued under \
                 with this token (e.g. com.example.someAttribute, same case). Nothing was changed."
            } else if mentions(&["value"]) {
                "Yoti refused the value: it must have the type and format the attribute's definition expects \
                 (usually a JSON string, in quotes). Nothing was changed."
            } else {
                "Yoti refused the request as invalid: check that the name is the attribute issued with this \
                 token and that the value has the format its definition expects. Nothing was changed."
            }
        }
        401 => {
            // A signature message may quote the signed query (with its
            // timestamp): look at the signature first.
            if mentions(&["digest"]) && mentions(&["missing", "not included", "absent"]) {
                explain_code("MISSING_DIGEST").unwrap_or_default()
            } else if mentions(&["signature", "digest"]) {
                "Yoti could not verify the request's signature: the profile's key_file must be the key of the \
                 Yoti application with this sdk_id. Nothing was changed."
            } else if mentions(&["timestamp", "clock", "expired request", "stale"]) {
                "Yoti refused the request's timestamp: this host's clock is more than a few minutes off. \
                 Fix the clock (NTP) and send again. Nothing was changed."
            } else if mentions(&["auth-id", "auth id", "sdk id", "sdk_id", "app id", "application"]) {
                "Yoti does not accept the SDK id this profile sends (X-Yoti-Auth-Id): check the profile's \
                 sdk_id against Yoti Hub. Nothing was changed."
            } else {
                "Yoti did not accept the request's signature: the profile's key_file and sdk_id must belong to \
                 the same Yoti application, and this host's clock must be right to within a few minutes. \
                 Nothing was changed."
            }
        }
        403 => {
            "Yoti accepted the signature but does not let this application do this: the application may be \
             disabled or suspended, or may not update this attribute (only the application that issued it \
             can). Nothing was changed."
        }
        404 => {
            if mentions(&["endpoint", "route", "path"]) {
                "There is no attribute registry at this address: check the profile's attribute_registry_url \
                 (e.g. https://api.yoti.com/api/v1/attribute-registry). Nothing was changed."
            } else {
                "Yoti knows no attribute issued with this issuance token: it may be mistyped, belong to another \
                 Yoti application (sdk_id), or have expired or been cancelled (an issuance not completed by \
                 its expiry date is cancelled). A new token comes from the user sharing again. Nothing was \
                 changed."
            }
        }
        405 => {
            "The server does not take a PUT at this address: the profile's attribute_registry_url points at \
             the wrong place (it should end in /api/v1/attribute-registry). Nothing was changed."
        }
        409 => {
            "Yoti reported a conflict: the attribute is being changed by another request. Wait a moment and \
             send again."
        }
        413 => "The value is larger than Yoti accepts. Nothing was changed.",
        415 => "Yoti did not accept the request's content type (it expects JSON). Nothing was changed.",
        429 => {
            "Yoti is limiting how many requests this application may send: wait a minute before sending \
             again. Nothing was changed."
        }
        500 | 504 => {
            "Yoti failed while handling the update; it may or may not have been applied. Sending the same \
             value again is safe; if it keeps failing, ask Yoti support with the request id."
        }
        502 | 503 => {
            "Yoti (or a gateway in front of it) is unavailable right now; the update was not applied. Send \
             again later."
        }
        s if s >= 500 => {
            "Yoti failed while handling the update; it may or may not have been applied. Sending the same \
             value again is safe."
        }
        _ => "Yoti refused the update; the server's message says why. Nothing was changed.",
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TOKEN: &str = "c2VjcmV0LWlzc3VhbmNlLXRva2VuLTAwMDE/x+Yz";

    #[test]
    fn the_token_is_found_at_the_profile_pointer_only_as_a_nonblank_string() {
        let identity = json!({
            "metadata_admin": {"yoti": {"issuance_token": " tok-1234 ", "n": 5, "blank": "  "}}
        });
        let pointer = "/metadata_admin/yoti/issuance_token";
        assert_eq!(issuance_token_at(&identity, pointer).as_deref(), Some("tok-1234"));
        assert_eq!(issuance_token_at(&identity, "/metadata_admin/yoti/n"), None);
        assert_eq!(issuance_token_at(&identity, "/metadata_admin/yoti/blank"), None);
        assert_eq!(issuance_token_at(&identity, "/metadata_public/x"), None);
        assert_eq!(issuance_token_at(&identity, "metadata_admin"), None);
        assert_eq!(issuance_token_at(&json!("tok"), ""), None);
    }

    #[test]
    fn a_mask_shows_at_most_the_last_four_characters() {
        assert_eq!(mask_token(TOKEN), "********x+Yz");
        assert_eq!(mask_token("short-tok"), "********");
        assert_eq!(mask_token(""), "********");
        assert!(!mask_token("abcdefgh\u{1b}[2J").contains('\u{1b}'));
    }

    #[test]
    fn scrubbing_replaces_the_token_also_when_json_escaped() {
        let text = format!("token {TOKEN} or {} was refused", TOKEN.replace('/', "\\/"));
        let scrubbed = scrub_text(&text, TOKEN);
        assert!(!scrubbed.contains("c2VjcmV0"), "{scrubbed}");
        assert_eq!(scrubbed.matches("********x+Yz").count(), 2);
        let bytes = [b"\xff".as_slice(), TOKEN.as_bytes()].concat();
        assert!(!String::from_utf8_lossy(&scrub_bytes(&bytes, TOKEN)).contains("c2VjcmV0"));
    }

    #[test]
    fn the_reviewed_body_and_the_changes_never_hold_the_token() {
        let update = AttributeUpdate::new(TOKEN.to_owned(), "com.example.level".to_owned(), json!("gold"));
        let body = display_body(&update);
        assert_eq!(body["issuance_token"], "********x+Yz");
        assert_eq!(body["name"], "com.example.level");
        let changes = changes(&update);
        let text = serde_json::to_string(&changes).unwrap_or_default();
        assert!(!text.contains("c2VjcmV0") && text.contains("gold"), "{text}");
    }

    #[test]
    fn slips_are_refused_without_quoting_the_token() {
        for (token, name, fragment) in [
            ("", "com.example.a", "token is empty"),
            ("abc def-ghijklmnop", "com.example.a", "spaces"),
            ("abcdefghijklmnop\n", "com.example.a", "line breaks"),
            ("abcdefghijklmnop", " ", "name is empty"),
            ("abcdefghijklmnop", "com.example.a ", "starts or ends"),
        ] {
            let update = AttributeUpdate::new(token.to_owned(), name.to_owned(), json!("x"));
            match check_update(&update) {
                Err(RegistryError::InvalidUpdate(message)) => {
                    assert!(message.contains(fragment), "{message}");
                    assert!(token.len() < 4 || !message.contains(token.trim()), "{message}");
                }
                other => panic!("{token:?}/{name:?}: {other:?}"),
            }
        }
        let fine = AttributeUpdate::new(TOKEN.to_owned(), "com.example.a".to_owned(), json!({"a": 1}));
        assert!(check_update(&fine).is_ok());
    }

    #[test]
    fn documented_codes_are_explained_one_by_one() {
        let cases = [
            (401, json!({"code": "INVALID_DIGEST", "message": "x"}), "signature"),
            (
                401,
                json!({"id": "r1", "status": 401, "error": "MISSING_DIGEST", "message": "x"}),
                "unsigned",
            ),
            (401, json!({"code": "MISSING_APP_ID"}), "no SDK id"),
            (404, json!({"code": "APP_NOT_FOUND"}), "sdk_id"),
            (403, json!({"error": "DISABLED_APP"}), "disabled"),
            (401, json!({"code": "MISSING_TIMESTAMP"}), "query string"),
        ];
        for (status, body, fragment) in cases {
            let words = explain_yoti_error(status, &body).unwrap_or_default();
            assert!(words.contains(fragment), "{body}: {words}");
        }
    }

    #[test]
    fn other_refusals_are_explained_by_status_and_what_they_name() {
        let unknown_token = json!({"code": "NOT_FOUND", "message": "No attribute was issued with this issuance token"});
        let words = explain_yoti_error(404, &unknown_token).unwrap_or_default();
        assert!(words.contains("issuance token") && words.contains("expired"), "{words}");

        let wrong_url = json!({"code": "NOT_FOUND", "message": "No attribute registry endpoint at /x"});
        assert!(explain_yoti_error(404, &wrong_url).is_some_and(|w| w.contains("attribute_registry_url")));

        let bad_name = json!({"code": "INVALID_REQUEST", "message": "invalid", "errors": [{"property": "name", "message": "not allowed"}]});
        assert!(explain_yoti_error(400, &bad_name).is_some_and(|w| w.contains("attribute name")));
        let bad_value = json!({"code": "INVALID_REQUEST", "errors": [{"property": "value", "message": "bad"}]});
        assert!(explain_yoti_error(400, &bad_value).is_some_and(|w| w.contains("value")));

        let clock = json!({"code": "UNAUTHORIZED", "message": "The request timestamp 1 is more than 5 minutes away"});
        assert!(explain_yoti_error(401, &clock).is_some_and(|w| w.contains("clock")));
        assert!(explain_yoti_error(429, &Value::Null).is_some_and(|w| w.contains("wait")));
        assert!(explain_yoti_error(503, &Value::Null).is_some_and(|w| w.contains("not applied")));
        assert!(explain_yoti_error(500, &json!("oops")).is_some_and(|w| w.contains("may or may not")));
        assert_eq!(explain_yoti_error(200, &json!({"code": "INVALID_DIGEST"})), None);
    }
}
