//! Creating identities: `POST {identities_path}` for one and
//! `PATCH {identities_path}` for a batch (Kratos's `identity/handler.go`
//! `create` and `batchPatchIdentities`, v1.3.1 to v26.2.0).
//!
//! - A create body is a JSON object (`createIdentityBody`): idcon builds it
//!   as JSON because traits and metadata are free-form; [`redacted_body`]
//!   is what may be shown or audited (a password or hash becomes
//!   `"<redacted>"`, so the trail says "password: set" and never the value).
//! - Kratos answers a taken identifier with a 409 that names nothing ("This
//!   identity conflicts with another identity that already exists."). The
//!   body's identifiers ([`identifiers_of`], from the schema's
//!   `ory.sh/kratos` identifier marks, and OIDC/SAML `provider:subject`) are
//!   looked up with `credentials_identifier`, one request each, and
//!   [`Client::explain_conflict`] says which one is taken and by whom.
//! - A batch item answers `create` with the new id, or `error` with herodot's
//!   error object; a server without the route (404/405: older Kratos, a
//!   gateway) is [`BatchAnswer::Unsupported`], so callers fall back to one
//!   POST each.
//!
//! Writes: refused on a read-only profile before anything is signed.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::client::{Client, IdentityFilter, IdentityQuery, PreparedRequest, parse_json, success};
use super::error::ApiError;
use super::exchange::{Exchange, Response};
use super::models::{GenericError, Identity, REDACTED};
use crate::who::{self, IdentifierHints};

/// Kratos's limits per batch request (`BatchPatchIdentitiesLimit` and
/// `BatchPatchIdentitiesWithPasswordLimit` of v25.4.0 and v26.2.0; v1.3.1
/// allows 2000 and has no plaintext limit): idcon stays within the smaller.
pub const BATCH_LIMIT: usize = 1000;
/// At most this many plaintext passwords per batch (Kratos hashes them while
/// the request waits).
pub const BATCH_PLAINTEXT_LIMIT: usize = 200;

/// The create body with every secret replaced by `"<redacted>"`: for review,
/// dry runs and the audit trail.
pub fn redacted_body(body: &Value) -> Value {
    let mut shown = body.clone();
    super::models::redact_all_secrets(&mut shown, None);
    // A short password is no "secret string" to scrub, but is one here.
    if let Some(config) = shown
        .pointer_mut("/credentials/password/config")
        .and_then(Value::as_object_mut)
    {
        for key in ["password", "hashed_password"] {
            if let Some(value) = config
                .get_mut(key)
                .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
            {
                *value = json!(REDACTED);
            }
        }
    }
    shown
}

/// Whether the body carries a plaintext password (Kratos limits those per batch).
pub fn has_plaintext_password(body: &Value) -> bool {
    body.pointer("/credentials/password/config/password")
        .and_then(Value::as_str)
        .is_some_and(|p| !p.is_empty())
}

/// The credential identifiers a create body will hold, as
/// `credentials_identifier` finds them: the traits the schema marks as
/// identifiers (strings, or lists of strings), e-mail-like ones lower-cased
/// and trimmed as Kratos stores them (`identity/extension_credentials.go`
/// `NormalizeIdentifier`), then OIDC/SAML `provider:subject` as given.
/// Without hints (schema unknown), the usual traits (`email`, `phone`,
/// `username`).
pub fn identifiers_of(body: &Value, hints: Option<&IdentifierHints>) -> Vec<String> {
    let traits = body.get("traits").unwrap_or(&Value::Null);
    let mut out: Vec<String> = Vec::new();
    let mut push = |value: String| {
        if !value.is_empty() && !out.contains(&value) {
            out.push(value);
        }
    };
    let paths: Vec<Vec<String>> = match hints {
        Some(hints) if !hints.paths.is_empty() => hints.paths.clone(),
        _ => ["email", "phone", "username"]
            .iter()
            .map(|k| vec![(*k).to_owned()])
            .collect(),
    };
    for path in &paths {
        let mut node = traits;
        for key in path {
            node = node.get(key).unwrap_or(&Value::Null);
        }
        let values: Vec<&str> = match node {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for value in values {
            push(value.trim().to_lowercase());
        }
    }
    for kind in ["oidc", "saml"] {
        let providers = body
            .pointer(&format!("/credentials/{kind}/config/providers"))
            .and_then(Value::as_array);
        for provider in providers.into_iter().flatten() {
            let name = provider.get("provider").and_then(Value::as_str).unwrap_or_default();
            let subject = provider.get("subject").and_then(Value::as_str).unwrap_or_default();
            if !name.is_empty() && !subject.is_empty() {
                push(format!("{name}:{subject}"));
            }
        }
    }
    out
}

/// Who holds an identifier, as a lookup found them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub identifier: String,
    pub id: String,
    /// Primary identifier and name, e.g. `ada@example.com (Ada Lovelace)`.
    pub who: String,
}

impl Holder {
    fn of(identifier: &str, identity: &Identity) -> Self {
        let primary = who::primary_identifier(&identity.traits, None);
        let name = who::display_name(&identity.traits);
        let who = match (primary, name) {
            (Some(p), Some(n)) => format!("{p} ({n})"),
            (Some(p), None) => p,
            (None, Some(n)) => n,
            (None, None) => "an identity without a name".to_owned(),
        };
        Self {
            identifier: identifier.to_owned(),
            id: identity.id.clone(),
            who,
        }
    }
}

/// One result of a batch create, in the order the patches were sent.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchItem {
    /// Created with this id.
    Created { id: String },
    /// Kratos refused this patch (the rest of the batch is unaffected).
    Failed {
        code: Option<i64>,
        error: Box<GenericError>,
    },
    /// No result (a patch without `create`, or a server that sent fewer).
    Missing,
}

impl BatchItem {
    /// Whether the failure is a taken identifier (sqlcon's unique violation).
    pub fn is_conflict(&self) -> bool {
        matches!(self, BatchItem::Failed { code: Some(409), .. })
    }
}

/// What a batch request came back with.
#[derive(Debug)]
pub enum BatchAnswer {
    /// Per-patch results (200).
    Results(Box<Response<Vec<BatchItem>>>),
    /// 404 or 405: this server has no batch create; send one POST each.
    Unsupported(Box<Exchange>),
}

#[derive(Deserialize)]
struct RawBatch {
    #[serde(default)]
    identities: Vec<Option<RawItem>>,
}

#[derive(Deserialize)]
struct RawItem {
    #[serde(default)]
    action: String,
    #[serde(default)]
    identity: Option<String>,
    #[serde(default)]
    error: Option<GenericError>,
}

impl Client {
    /// The signed `POST {identities_path}` for `body`, without sending it;
    /// refused for a read-only profile before anything is signed.
    pub fn prepare_create_identity(&self, body: &Value) -> Result<PreparedRequest, ApiError> {
        self.refuse_if_read_only()?;
        let bytes =
            serde_json::to_vec(body).map_err(|err| ApiError::InvalidInput(format!("cannot encode the body: {err}")))?;
        let endpoint = self.identities_path().to_owned();
        self.prepare(self.base_url(), "POST", &endpoint, &[], Some(bytes))
    }

    /// Sends a create: the identity the server made (201).
    pub async fn send_create_identity(&self, prepared: &PreparedRequest) -> Result<Response<Identity>, ApiError> {
        let exchange = success(self.execute(prepared).await?)?;
        let identity = parse_json(&exchange, "the new identity")?;
        Ok(Response {
            value: identity,
            exchange,
        })
    }

    /// The signed `PATCH {identities_path}` creating each body (with its
    /// `patch_id`), without sending it; refused for a read-only profile.
    pub fn prepare_batch_create(&self, bodies: &[(String, Value)]) -> Result<PreparedRequest, ApiError> {
        self.refuse_if_read_only()?;
        let patches: Vec<Value> = bodies
            .iter()
            .map(|(patch_id, body)| json!({ "create": body, "patch_id": patch_id }))
            .collect();
        let bytes = serde_json::to_vec(&json!({ "identities": patches }))
            .map_err(|err| ApiError::InvalidInput(format!("cannot encode the body: {err}")))?;
        let endpoint = self.identities_path().to_owned();
        self.prepare(self.base_url(), "PATCH", &endpoint, &[], Some(bytes))
    }

    /// Sends a batch create: one [`BatchItem`] per patch sent (`sent`), or
    /// [`BatchAnswer::Unsupported`] for a 404/405.
    pub async fn send_batch_create(&self, prepared: &PreparedRequest, sent: usize) -> Result<BatchAnswer, ApiError> {
        let exchange = self.execute(prepared).await?;
        if exchange.status == 404 || exchange.status == 405 {
            return Ok(BatchAnswer::Unsupported(Box::new(exchange)));
        }
        let exchange = success(exchange)?;
        let raw: RawBatch = parse_json(&exchange, "the batch results")?;
        let mut items: Vec<BatchItem> = raw
            .identities
            .into_iter()
            .map(|item| match item {
                None => BatchItem::Missing,
                Some(RawItem {
                    action,
                    identity: Some(id),
                    ..
                }) if action == "create" => BatchItem::Created { id },
                Some(RawItem { error, .. }) => {
                    let error = error.unwrap_or_default();
                    BatchItem::Failed {
                        code: error.code,
                        error: Box::new(error),
                    }
                }
            })
            .collect();
        items.resize(sent.max(items.len()), BatchItem::Missing);
        items.truncate(sent);
        Ok(BatchAnswer::Results(Box::new(Response { value: items, exchange })))
    }

    /// The identities holding each of `identifiers` (exact
    /// `credentials_identifier` lookups, one request each).
    pub async fn holders_of(&self, identifiers: &[String]) -> Result<Vec<Holder>, ApiError> {
        let mut holders = Vec::new();
        for identifier in identifiers {
            let query = IdentityQuery {
                page_size: Some(2),
                filter: IdentityFilter::CredentialsIdentifier(identifier.clone()),
            };
            let page = self.list_identities(&query).await?;
            for identity in &page.value.items {
                holders.push(Holder::of(identifier, identity));
            }
        }
        Ok(holders)
    }

    /// A 409 on create in plain words: which identifier is taken and by
    /// whom, when a lookup finds the holder; else what Kratos leaves unsaid.
    pub async fn explain_conflict(&self, body: &Value, hints: Option<&IdentifierHints>) -> String {
        let identifiers = identifiers_of(body, hints);
        match self.holders_of(&identifiers).await {
            Ok(holders) if !holders.is_empty() => describe_holders(&holders),
            Ok(_) => format!(
                "the server says this identity conflicts with an existing one, but none of its identifiers ({}) \
                 is held by anyone now: an external_id may be taken, or the other identity was just deleted",
                if identifiers.is_empty() {
                    "none found".to_owned()
                } else {
                    identifiers.join(", ")
                }
            ),
            Err(err) => format!(
                "the server says an identifier of this identity is already taken (looking up who holds it failed: {err})"
            ),
        }
    }
}

/// `"ada@example.com" is already taken by 0190… (ada@example.com (Ada Lovelace))`, one per holder.
pub fn describe_holders(holders: &[Holder]) -> String {
    holders
        .iter()
        .map(|h| format!("{:?} is already taken by {} ({})", h.identifier, h.id, h.who))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The JSON object of a create body, or a message saying what is wrong.
pub fn check_body_shape(body: &Value) -> Result<&Map<String, Value>, String> {
    let object = body.as_object().ok_or("a create body must be a JSON object")?;
    if !object.get("traits").is_some_and(Value::is_object) {
        return Err("a create body needs \"traits\" (a JSON object)".to_owned());
    }
    if object
        .get("schema_id")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err("a create body needs \"schema_id\" (the identity schema's id)".to_owned());
    }
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_follow_the_schema_marks_and_links() {
        let hints = IdentifierHints {
            paths: vec![vec!["email".into()], vec!["emails".into()]],
        };
        let body = json!({
            "traits": {"email": " Ada@Example.com ", "emails": ["b@x.org", "ada@example.com"], "phone": "+44"},
            "credentials": {"oidc": {"config": {"providers": [{"provider": "google", "subject": "Sub-1"}]}}},
        });
        assert_eq!(
            identifiers_of(&body, Some(&hints)),
            vec!["ada@example.com", "b@x.org", "google:Sub-1"]
        );
        assert_eq!(
            identifiers_of(&body, None),
            vec!["ada@example.com", "+44", "google:Sub-1"]
        );
    }

    #[test]
    fn the_redacted_body_says_a_password_is_set_and_never_what() {
        let body = json!({"traits": {"email": "a@b.c"}, "credentials": {"password": {"config": {"password": "pw"}}}});
        let shown = redacted_body(&body);
        assert_eq!(shown["credentials"]["password"]["config"]["password"], REDACTED);
        assert!(!shown.to_string().contains("\"pw\""));
        assert!(has_plaintext_password(&body));
        let hashed = json!({"traits": {}, "credentials": {"password": {"config": {"hashed_password": "$2a$10$abcdefghijklmnopqrstuv"}}}});
        assert!(!redacted_body(&hashed).to_string().contains("$2a$"));
        assert!(!has_plaintext_password(&hashed));
    }

    #[test]
    fn holders_are_named_with_their_id() {
        let text = describe_holders(&[Holder {
            identifier: "ada@example.com".into(),
            id: "0190".into(),
            who: "ada@example.com (Ada Lovelace)".into(),
        }]);
        assert_eq!(
            text,
            "\"ada@example.com\" is already taken by 0190 (ada@example.com (Ada Lovelace))"
        );
    }
}
