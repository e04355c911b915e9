//! Creating identities: `POST {prefix}/identities` (one) and
//! `PATCH {prefix}/identities` (a batch of creates), as Kratos answers them.
//!
//! Imitated from `identity/handler.go` (`create`,
//! `identityFromCreateIdentityBody`, `batchPatchIdentities`),
//! `identity/manager.go` (`Create`, `CreateIdentities`) and
//! `persistence/sql/identity/persister_identity.go` (`CreateIdentities`), at
//! v26.2.0 unless a release is named:
//! - the body is decoded strictly (`jsonx.NewStrictDecoder`): an unknown field
//!   is a 400. Kratos keeps Go's decoder text in the wrapped error only; the
//!   demo also shows it as `reason`, so a reader sees which field;
//! - an empty `schema_id` is the default schema, an empty `state` is
//!   `active`, anything else but `active`/`inactive` is a 400;
//! - traits are validated against the schema (400, `I[#/traits/...]`), the
//!   schema extension makes credential identifiers and addresses, imported
//!   addresses keep their `verified`/`status` when the traits hold them;
//! - a password is imported as plaintext (hashed) or as a known hash
//!   (`hashed_password`, else 400); OIDC/SAML providers are linked;
//! - a taken credential identifier or `external_id` is a 409 whose envelope
//!   names nothing (`"This identity conflicts with another identity that
//!   already exists."`): the client has to look the identifier up itself;
//! - `201 Created` with `Location: {admin base}/identities/{id}` (Kratos's
//!   `SelfAdminURL` plus `identities`, without the route's `/admin`) and the
//!   identity as held in memory, credentials without config.
//!
//! The batch: at most [`KratosVersion`]'s limit of patches (1000 on v25+,
//! 2000 on v1.3.1) and, on v25+, at most 200 plaintext passwords, else 400
//! for the whole request; a body the create decoder refuses (bad state, bad
//! hash) fails the whole request too; after that each patch gets its own
//! result in order: `{"action":"create","identity":ID,"patch_id":...}` or
//! `{"action":"error","patch_id":...,"error":{...}}` with herodot's error
//! object (400 with the schema's reason, or sqlcon's unique violation 409 for
//! a taken identifier, including one taken by an earlier patch of the same
//! batch). A patch without `create` answers `null`. The status is 200 even
//! when every patch failed (the code writes `res` unconditionally; the doc
//! comment's 4xx is not what it does).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::errors::{ApiError, MSG_BAD_REQUEST, MSG_UNIQUE_VIOLATION, bytes_response};
use super::model::{
    Credential, CredentialsView, Identity, IdentityJson, RecoveryAddress, Source, Timestamp, VerifiableAddress,
};
use super::routes::DemoState;
use super::schema::Schemas;
use super::store::Store;
use super::update::{UNKNOWN_HASH_REASON, recompute_from_traits};
use super::version::KratosVersion;
use crate::hashes;

/// herodot's `ErrConflict` message, which the single create's 409 carries.
pub const MSG_CONFLICT: &str = "The resource could not be created due to a conflict";
/// The reason of the single create's 409 (`identity/handler.go` `create`).
pub const CONFLICT_REASON: &str = "This identity conflicts with another identity that already exists.";
/// Kratos's default identity schema in the demo (the first one configured).
pub const DEFAULT_SCHEMA_ID: &str = "email-password";
/// `identity/handler.go` `BatchPatchIdentitiesWithPasswordLimit` (v25+).
pub const BATCH_PLAINTEXT_LIMIT: usize = 200;

/// `BatchPatchIdentitiesLimit`: 1000 on v25.4.0 and v26.2.0, 2000 on v1.3.1.
pub fn batch_limit(version: KratosVersion) -> usize {
    match version {
        KratosVersion::V1_3 => 2000,
        KratosVersion::V25 | KratosVersion::V26 => 1000,
    }
}

/// A decoded `CreateIdentityBody`, the password already hashed.
#[derive(Debug, Clone)]
struct CreateBody {
    schema_id: String,
    state: Option<String>,
    traits: Value,
    metadata_public: Value,
    metadata_admin: Value,
    external_id: Option<String>,
    organization_id: Option<Uuid>,
    /// The password credential's config (`hashed_password` or the migration hook).
    password: Option<Value>,
    providers: Vec<(String, String, String, Map<String, Value>)>,
    verifiable: Vec<VerifiableAddress>,
    recovery: Vec<RecoveryAddress>,
}

/// One batch patch: its `patch_id` (as sent) and its create body.
type Patch = (Option<Value>, CreateBody);

fn bad(reason: impl Into<String>) -> ApiError {
    ApiError::bad_request(reason)
}

/// Go's `DisallowUnknownFields` text for the first key not in `known`.
fn strict(object: &Map<String, Value>, known: &[&str]) -> Result<(), ApiError> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(bad(format!("json: unknown field \"{unknown}\""))),
        None => Ok(()),
    }
}

fn go_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_error(value: &Value, field: &str, want: &str) -> ApiError {
    bad(format!(
        "json: cannot unmarshal {} into Go struct field {field} of type {want}",
        go_type(value)
    ))
}

fn string_field(object: &Map<String, Value>, key: &str, field: &str) -> Result<String, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(type_error(other, field, "string")),
    }
}

fn object_field<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(inner)) => Ok(Some(inner)),
        Some(other) => Err(type_error(other, field, "object")),
    }
}

fn array_field<'a>(object: &'a Map<String, Value>, key: &str, field: &str) -> Result<&'a [Value], ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(list)) => Ok(list),
        Some(other) => Err(type_error(other, field, "array")),
    }
}

fn uuid_field(object: &Map<String, Value>, key: &str, field: &str) -> Result<Option<Uuid>, ApiError> {
    let text = string_field(object, key, field)?;
    if text.is_empty() {
        return Ok(None);
    }
    Uuid::try_parse(&text)
        .map(Some)
        .map_err(|e| bad(format!("{field}: invalid UUID {text:?}: {e}")))
}

/// `identityFromCreateIdentityBody` and `importCredentials`: everything that
/// fails the request before the identity is validated. Hashing a plaintext
/// password is slow: call this off the async threads.
fn decode_body(value: &Value, now: Timestamp) -> Result<CreateBody, ApiError> {
    let Value::Object(object) = value else {
        return Err(bad(format!(
            "json: cannot unmarshal {} into Go value of type identity.CreateIdentityBody",
            go_type(value)
        )));
    };
    strict(
        object,
        &[
            "schema_id",
            "traits",
            "credentials",
            "verifiable_addresses",
            "recovery_addresses",
            "metadata_public",
            "metadata_admin",
            "state",
            "organization_id",
            "external_id",
        ],
    )?;
    let schema_id = string_field(object, "schema_id", "CreateIdentityBody.schema_id")?;
    let state = string_field(object, "state", "CreateIdentityBody.state")?;
    let state = if state.is_empty() {
        None
    } else if state == "active" || state == "inactive" {
        Some(state)
    } else {
        // identity/identity.go `State.IsValid`.
        return Err(bad("identity state is not valid"));
    };
    let external_id =
        Some(string_field(object, "external_id", "CreateIdentityBody.external_id")?).filter(|s| !s.is_empty());
    let organization_id = uuid_field(object, "organization_id", "CreateIdentityBody.organization_id")?;
    let traits = object.get("traits").cloned().unwrap_or(Value::Null);
    let traits = if traits.is_null() { json!({}) } else { traits };

    let mut verifiable = Vec::new();
    for entry in array_field(
        object,
        "verifiable_addresses",
        "CreateIdentityBody.verifiable_addresses",
    )? {
        let Value::Object(entry) = entry else {
            return Err(type_error(
                entry,
                "CreateIdentityBody.verifiable_addresses",
                "identity.VerifiableAddress",
            ));
        };
        let verified = entry.get("verified").and_then(Value::as_bool).unwrap_or(false);
        let status = string_field(entry, "status", "VerifiableAddress.status")?;
        verifiable.push(VerifiableAddress {
            id: Uuid::new_v4(),
            // "Lowercase all emails, because the schema extension will otherwise not find them."
            value: string_field(entry, "value", "VerifiableAddress.value")?.to_lowercase(),
            verified,
            via: string_field(entry, "via", "VerifiableAddress.via")?,
            status: if status.is_empty() {
                "pending".to_owned()
            } else {
                status
            },
            created_at: now,
            updated_at: now,
            verified_at: verified.then_some(now),
        });
    }
    let mut recovery = Vec::new();
    for entry in array_field(object, "recovery_addresses", "CreateIdentityBody.recovery_addresses")? {
        let Value::Object(entry) = entry else {
            return Err(type_error(
                entry,
                "CreateIdentityBody.recovery_addresses",
                "identity.RecoveryAddress",
            ));
        };
        recovery.push(RecoveryAddress {
            id: Uuid::new_v4(),
            value: string_field(entry, "value", "RecoveryAddress.value")?.to_lowercase(),
            via: string_field(entry, "via", "RecoveryAddress.via")?,
            created_at: now,
            updated_at: now,
        });
    }

    let mut password = None;
    let mut providers = Vec::new();
    if let Some(credentials) = object_field(object, "credentials", "CreateIdentityBody.credentials")? {
        strict(credentials, &["password", "oidc", "saml"])?;
        if let Some(section) = object_field(credentials, "password", "CreateIdentityBody.credentials.password")? {
            strict(section, &["config"])?;
            let empty = Map::new();
            let config =
                object_field(section, "config", "CreateIdentityBody.credentials.password.config")?.unwrap_or(&empty);
            strict(config, &["hashed_password", "password", "use_password_migration_hook"])?;
            let clear = string_field(config, "password", "config.password")?;
            let hashed = string_field(config, "hashed_password", "config.hashed_password")?;
            let hook = config
                .get("use_password_migration_hook")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            // identity/handler.go `importPasswordCredentials`: plaintext wins,
            // then the hash, then the migration hook.
            password = Some(if !clear.is_empty() {
                let hash = hashes::hash_plaintext(&clear)
                    .map_err(|e| ApiError::internal(format!("Unable to hash the password: {e}")))?;
                json!({ "hashed_password": hash })
            } else if !hashed.is_empty() {
                if let Err(why) = hashes::check_imported_hash(&hashed) {
                    return Err(bad(UNKNOWN_HASH_REASON).with_detail("hash_problem", Value::String(why.to_string())));
                }
                json!({ "hashed_password": hashed })
            } else if hook {
                json!({ "use_password_migration_hook": true })
            } else {
                return Err(bad(UNKNOWN_HASH_REASON)
                    .with_detail("hash_problem", json!("no password and no hashed_password given")));
            });
        }
        for kind in ["oidc", "saml"] {
            let field = format!("CreateIdentityBody.credentials.{kind}");
            let Some(section) = object_field(credentials, kind, &field)? else {
                continue;
            };
            let Some(config) = object_field(section, "config", &format!("{field}.config"))? else {
                continue;
            };
            for (index, entry) in array_field(config, "providers", &format!("{field}.config.providers"))?
                .iter()
                .enumerate()
            {
                let Value::Object(entry) = entry else {
                    return Err(type_error(entry, &format!("{field}.config.providers"), "provider"));
                };
                let provider = string_field(entry, "provider", "provider")?;
                let subject = string_field(entry, "subject", "subject")?;
                if provider.is_empty() || subject.is_empty() {
                    return Err(bad(format!(
                        "credentials.{kind}.config.providers[{index}] needs both a provider and a subject"
                    )));
                }
                let mut extra = Map::new();
                for key in ["organization", "use_auto_link"] {
                    if let Some(value) = entry.get(key).filter(|v| !v.is_null()) {
                        extra.insert(key.to_owned(), value.clone());
                    }
                }
                providers.push((kind.to_owned(), provider, subject, extra));
            }
        }
    }
    Ok(CreateBody {
        schema_id: if schema_id.is_empty() {
            DEFAULT_SCHEMA_ID.to_owned()
        } else {
            schema_id
        },
        state,
        traits,
        metadata_public: object.get("metadata_public").cloned().unwrap_or(Value::Null),
        metadata_admin: object.get("metadata_admin").cloned().unwrap_or(Value::Null),
        external_id,
        organization_id,
        password,
        providers,
        verifiable,
        recovery,
    })
}

/// `Manager.ValidateIdentity` and the schema extension: the identity to store,
/// or the 400 the schema gives.
fn build(schemas: &Schemas, body: CreateBody, now: Timestamp, version: KratosVersion) -> Result<Identity, ApiError> {
    let stamp = if version.stamps_new_rows_in_micros() {
        now.micros()
    } else {
        now
    };
    let mut identity = Identity {
        id: Uuid::new_v4(),
        credentials: Default::default(),
        schema_id: body.schema_id,
        state: body.state.unwrap_or_else(|| "active".to_owned()),
        state_changed_at: Some(now),
        traits: body.traits,
        verifiable_addresses: body.verifiable,
        recovery_addresses: body.recovery,
        metadata_public: body.metadata_public,
        metadata_admin: body.metadata_admin,
        created_at: stamp,
        updated_at: stamp,
        organization_id: body.organization_id,
        external_id: if version.has_external_id() {
            body.external_id
        } else {
            None
        },
    };
    if let Some(config) = body.password {
        identity.credentials.insert(
            "password".to_owned(),
            Credential {
                kind: "password".to_owned(),
                identifiers: Vec::new(),
                config,
                version: 1,
                created_at: stamp,
                updated_at: stamp,
            },
        );
    }
    for (kind, provider, subject, extra) in body.providers {
        link_provider(&mut identity, &kind, &provider, &subject, extra, stamp);
    }
    let schema = schemas
        .get(&identity.schema_id)
        .ok_or_else(|| bad(format!("unable to find JSON Schema ID: {}", identity.schema_id)))?;
    schema.validate(&identity.traits)?;
    let derived = schema.derive(&identity.traits);
    recompute_from_traits(&mut identity, derived, now, version);
    Ok(identity)
}

/// `importOIDCCredentials` / `importSAMLCredentials`: one entry per provider
/// and subject, identifier `provider:subject`, no tokens.
fn link_provider(
    identity: &mut Identity,
    kind: &str,
    provider: &str,
    subject: &str,
    extra: Map<String, Value>,
    now: Timestamp,
) {
    let identifier = format!("{provider}:{subject}");
    let credential = identity
        .credentials
        .entry(kind.to_owned())
        .or_insert_with(|| Credential {
            kind: kind.to_owned(),
            identifiers: Vec::new(),
            config: json!({ "providers": [] }),
            version: 0,
            created_at: now,
            updated_at: now,
        });
    if credential.identifiers.contains(&identifier) {
        return;
    }
    credential.identifiers.push(identifier);
    let mut entry = Map::new();
    entry.insert("subject".into(), json!(subject));
    entry.insert("provider".into(), json!(provider));
    if kind == "oidc" {
        for token in ["initial_id_token", "initial_access_token", "initial_refresh_token"] {
            entry.insert(token.into(), json!(""));
        }
    }
    entry.extend(extra);
    if let Some(Value::Array(list)) = credential.config.get_mut("providers") {
        list.push(Value::Object(entry));
    }
}

/// Stores `identity` unless one of its keys is taken (`Some(description)`).
fn insert(store: &mut Store, identity: Identity) -> Result<(), String> {
    if let Some(clash) = store.conflict(&identity) {
        return Err(clash);
    }
    store.replace(identity);
    Ok(())
}

fn identity_body(state: &DemoState, identity: &Identity) -> Result<Vec<u8>, ApiError> {
    let schema_url = state.schema_url(&identity.schema_id);
    let json = IdentityJson {
        identity,
        credentials: CredentialsView::WithoutConfig,
        schema_url: &schema_url,
        source: Source::Memory,
        external_id: state.version.has_external_id(),
    };
    serde_json::to_vec(&json).map_err(|e| ApiError::internal(format!("Unable to encode the identity: {e}")))
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(bad("EOF"));
    }
    serde_json::from_slice(body).map_err(|e| bad(e.to_string()))
}

/// `POST {prefix}/identities`.
pub async fn create_identity(
    State(state): State<Arc<DemoState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let value = parse_json(&body)?;
    let now = Timestamp::now();
    let decoded = tokio::task::spawn_blocking(move || decode_body(&value, now))
        .await
        .map_err(|e| ApiError::internal(format!("Unable to decode the body: {e}")))??;
    let identity = build(&state.schemas, decoded, now, state.version)?;
    let answer = identity_body(&state, &identity)?;
    let id = identity.id;
    if insert(&mut state.write_store(), identity).is_err() {
        return Err(ApiError::new(StatusCode::CONFLICT, MSG_CONFLICT).with_reason(CONFLICT_REASON));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let mut response = bytes_response(StatusCode::CREATED, answer);
    if let Ok(location) = HeaderValue::from_str(&format!("http://{host}/identities/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// A herodot error object as a batch result carries it (no envelope).
fn item_error(code: u16, status: &str, reason: Option<&str>, message: &str) -> Value {
    let mut error = Map::new();
    error.insert("code".into(), json!(code));
    error.insert("status".into(), json!(status));
    if let Some(reason) = reason {
        error.insert("reason".into(), json!(reason));
    }
    error.insert("message".into(), json!(message));
    Value::Object(error)
}

/// `PATCH {prefix}/identities`: creates, each with its own result.
pub async fn batch_patch_identities(
    State(state): State<Arc<DemoState>>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let value = parse_json(&body)?;
    let Value::Object(object) = &value else {
        return Err(bad(format!(
            "json: cannot unmarshal {} into Go value of type identity.BatchPatchIdentitiesBody",
            go_type(&value)
        )));
    };
    strict(object, &["identities"])?;
    let patches = array_field(object, "identities", "BatchPatchIdentitiesBody.identities")?.to_vec();
    let limit = batch_limit(state.version);
    if patches.len() > limit {
        return Err(bad(if state.version == KratosVersion::V1_3 {
            format!("The maximum number of identities that can be created or deleted at once is {limit}.")
        } else {
            format!("The maximum number of identities per request that can be created or deleted at once is {limit}.")
        }));
    }
    let version = state.version;
    // Kratos hashes every plaintext password before it counts them; the demo
    // counts first (same answer, without minutes of argon2 for a refusal).
    let plaintexts = patches
        .iter()
        .filter(|p| {
            p.pointer("/create/credentials/password/config/password")
                .and_then(Value::as_str)
                .is_some_and(|p| !p.is_empty())
        })
        .count();
    if version != KratosVersion::V1_3 && plaintexts > BATCH_PLAINTEXT_LIMIT {
        return Err(bad(format!(
            "The maximum number of identities per request that can be created with a plaintext password is {BATCH_PLAINTEXT_LIMIT}."
        )));
    }
    let now = Timestamp::now();
    // Decoding hashes plaintext passwords: off the async threads.
    let decoded = tokio::task::spawn_blocking(move || -> Result<Vec<Option<Patch>>, ApiError> {
        let mut out = Vec::with_capacity(patches.len());
        for patch in &patches {
            let Value::Object(patch) = patch else {
                if patch.is_null() {
                    out.push(None);
                    continue;
                }
                return Err(type_error(
                    patch,
                    "BatchPatchIdentitiesBody.identities",
                    "identity.BatchIdentityPatch",
                ));
            };
            strict(patch, &["create", "patch_id"])?;
            let patch_id = uuid_field(patch, "patch_id", "BatchIdentityPatch.patch_id")?.map(|id| json!(id));
            match patch.get("create") {
                None | Some(Value::Null) => out.push(None),
                Some(create) => out.push(Some((patch_id, decode_body(create, now)?))),
            }
        }
        Ok(out)
    })
    .await
    .map_err(|e| ApiError::internal(format!("Unable to decode the body: {e}")))??;
    let mut results = Vec::with_capacity(decoded.len());
    let mut store = state.write_store();
    for item in decoded {
        let Some((patch_id, body)) = item else {
            results.push(Value::Null);
            continue;
        };
        let mut result = Map::new();
        let outcome = match build(&state.schemas, body, now, version) {
            // manager.go `CreateIdentities`: the validation error's reason.
            Err(error) => Err(item_error(400, "Bad Request", error.reason.as_deref(), MSG_BAD_REQUEST)),
            Ok(identity) => {
                let id = identity.id;
                // persister_identity.go `CreateIdentities`: a conflicting row
                // fails only its identity, with sqlcon's ErrUniqueViolation.
                match insert(&mut store, identity) {
                    Ok(()) => Ok(id),
                    Err(_) => Err(item_error(409, "Conflict", None, MSG_UNIQUE_VIOLATION)),
                }
            }
        };
        match outcome {
            Ok(id) => {
                result.insert("action".into(), json!("create"));
                result.insert("identity".into(), json!(id));
                if let Some(patch_id) = patch_id {
                    result.insert("patch_id".into(), patch_id);
                }
            }
            Err(error) => {
                result.insert("action".into(), json!("error"));
                if let Some(patch_id) = patch_id {
                    result.insert("patch_id".into(), patch_id);
                }
                result.insert("error".into(), error);
            }
        }
        results.push(Value::Object(result));
    }
    drop(store);
    Ok((StatusCode::OK, axum::Json(json!({ "identities": results }))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemas() -> Schemas {
        match Schemas::load() {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let Err(error) = decode_body(&json!({"traits": {}, "trait": {}}), Timestamp::now()) else {
            panic!("accepted an unknown field")
        };
        assert_eq!(error.reason.as_deref(), Some("json: unknown field \"trait\""));
    }

    #[test]
    fn an_empty_schema_is_the_default_and_traits_make_identifiers() {
        let now = Timestamp::now();
        let body = match decode_body(&json!({"traits": {"email": "New.Hire@Example.com"}}), now) {
            Ok(b) => b,
            Err(e) => panic!("{e:?}"),
        };
        let identity = match build(&schemas(), body, now, KratosVersion::V26) {
            Ok(i) => i,
            Err(e) => panic!("{e:?}"),
        };
        assert_eq!(identity.schema_id, DEFAULT_SCHEMA_ID);
        assert_eq!(identity.state, "active");
        assert!(identity.all_identifiers().contains(&"new.hire@example.com"));
    }

    #[test]
    fn a_bad_state_and_an_unknown_hash_fail_the_body() {
        let now = Timestamp::now();
        let Err(state) = decode_body(&json!({"traits": {}, "state": "paused"}), now) else {
            panic!("accepted a bad state")
        };
        assert_eq!(state.reason.as_deref(), Some("identity state is not valid"));
        let hash = json!({"traits": {}, "credentials": {"password": {"config": {"hashed_password": "plain"}}}});
        let Err(hash) = decode_body(&hash, now) else {
            panic!("accepted a bad hash")
        };
        assert_eq!(hash.reason.as_deref(), Some(UNKNOWN_HASH_REASON));
    }
}
