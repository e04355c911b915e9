//! `DELETE {prefix}/identities/{id}/credentials/{type}` and
//! `PATCH {prefix}/identities/{id}` (JSON Patch), as Kratos answers them.
//!
//! Credential deletes follow `identity/handler.go` `deleteIdentityCredentials`:
//! - v25/v26: `lookup_secret` and `totp` go whole; `webauthn` loses its
//!   second-factor keys and keeps passwordless ones
//!   (`identity/identity.go` `deleteCredentialWebAuthFromIdentity`);
//!   `password`, `oidc` and `saml` only while another first factor is left
//!   (`identity/manager.go` `CountActiveFirstFactorCredentials`), a password
//!   keeping its identifiers with an empty config (`deleteCredentialPassword`),
//!   one OIDC/SAML link named by `?identifier=provider:subject`
//!   (`deleteCredentialOIDCSAMLFromIdentity`); anything else (passkey, code,
//!   profile, ...) "cannot be deleted";
//! - v1.3.1: `password` and `code` are refused as first factors whatever else
//!   is left, `oidc` takes an identifier, `saml` and the rest are "Unknown".
//!
//! The demo counts first factors as a Kratos with the password, OIDC,
//! WebAuthn and passkey strategies on and passwordless code login off (the
//! code strategy's counter then adds nothing: `selfservice/strategy/code/
//! strategy.go` `CountActiveFirstFactorCredentials`), and no password
//! migration hook.
//!
//! JSON Patch follows `identity/handler.go` `patch` with
//! `oryx/jsonx/patch.go` `ApplyJSONPatch` (v25/v26; v1.3.1 uses the same
//! function from ory/x): only `add`, `remove` and `replace`; `/id`,
//! `/stateChangedAt` (compared lower-cased, so it only ever matches that
//! literal path), `/credentials` and, on v25+, everything under
//! `/credentials/oidc/` are refused; `replace` of a field that is not an
//! array element becomes `add`; `add` creates missing parent objects
//! (`EnsurePathExistsOnAdd`). Any of these failing is a 400 "An error occured
//! when applying the JSON patch" whose `message` is the patch error. The
//! patched identity then goes through the same checks as a PUT (state,
//! schema, addresses recomputed from traits keeping the patched ones,
//! uniqueness), and the answer is the identity without credential configs.
//! v1.3.1 patches the identity without its credentials
//! (`WithAdminMetadataInJSON`) and puts them back afterwards.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::errors::{ApiError, bytes_response, json_response};
use super::model::{CredentialsView, Identity, IdentityJson, Source, Timestamp};
use super::routes::DemoState;
use super::store::Store;
use super::update::recompute_from_traits;
use super::version::KratosVersion;

/// Kratos's reason for a patch it could not apply (typo included).
pub const PATCH_FAILED_REASON: &str = "An error occured when applying the JSON patch";

fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(raw).map_err(|_| ApiError::no_rows())
}

fn query_value(uri: &Uri, key: &str) -> String {
    uri.query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

/// `DELETE {prefix}/identities/{id}/credentials/{type}`: 204, or Kratos's refusal.
pub async fn delete_credential(
    State(state): State<Arc<DemoState>>,
    Path((id, kind)): Path<(String, String)>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let identifier = query_value(&uri, "identifier");
    let mut store = state.write_store();
    let changed = remove_credential(&store, &id, &kind, &identifier, Timestamp::now(), state.version)?;
    store.replace(changed);
    Ok(bytes_response(StatusCode::NO_CONTENT, Vec::new()))
}

/// The identity after the delete, or the error Kratos answers.
pub fn remove_credential(
    store: &Store,
    id: &Uuid,
    kind: &str,
    identifier: &str,
    now: Timestamp,
    version: KratosVersion,
) -> Result<Identity, ApiError> {
    let mut identity = store.get(id).ok_or_else(ApiError::no_rows)?.into_owned();
    if !identity.credentials.contains_key(kind) {
        return Err(ApiError::not_found(format!(
            "You tried to remove a {kind} but this user have no {kind} set up."
        )));
    }
    if version == KratosVersion::V1_3 {
        // v1.3.1 identity/handler.go `deleteIdentityCredentials`.
        match kind {
            "lookup_secret" | "totp" => {
                identity.credentials.remove(kind);
            }
            "webauthn" => remove_second_factor_keys(&mut identity)?,
            "password" | "code" => {
                return Err(ApiError::bad_request("You cannot remove first factor credentials."));
            }
            "oidc" => remove_link(&mut identity, kind, identifier, "an OIDC credential")?,
            other => return Err(ApiError::bad_request(format!("Unknown credentials type {other}."))),
        }
    } else {
        match kind {
            "lookup_secret" | "totp" => {
                identity.credentials.remove(kind);
            }
            "webauthn" => remove_second_factor_keys(&mut identity)?,
            "password" | "oidc" | "saml" => {
                if first_factors(&identity) < 2 {
                    return Err(ApiError::bad_request(
                        "You cannot remove the last first factor credential.",
                    ));
                }
                if kind == "password" {
                    // `deleteCredentialPassword`: the identifiers stay, the hash goes.
                    if let Some(password) = identity.credentials.get_mut("password") {
                        password.config = json!({});
                    }
                } else {
                    remove_link(&mut identity, kind, identifier, &format!("a {kind} credential"))?;
                }
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "Credentials type {other} cannot be deleted."
                )));
            }
        }
    }
    // identity/manager.go `Update` → persister `UpdateIdentity` (see update.rs).
    if version.put_moves_updated_at() {
        identity.updated_at = now.micros();
    }
    Ok(identity)
}

/// `deleteCredentialWebAuthFromIdentity`: only passwordless keys are kept;
/// with none left the type goes.
fn remove_second_factor_keys(identity: &mut Identity) -> Result<(), ApiError> {
    let Some(credential) = identity.credentials.get_mut("webauthn") else {
        return Err(ApiError::not_found(
            "You tried to remove a WebAuthn credential but this user has no such credential set up.",
        ));
    };
    let keys = match credential.config.get("credentials") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(keys)) => keys.clone(),
        Some(_) => return Err(ApiError::internal("Unable to decode identity credentials.")),
    };
    let kept: Vec<Value> = keys
        .into_iter()
        .filter(|key| key.get("is_passwordless").and_then(Value::as_bool) == Some(true))
        .collect();
    if kept.is_empty() {
        identity.credentials.remove("webauthn");
        return Ok(());
    }
    if let Some(config) = credential.config.as_object_mut() {
        config.insert("credentials".to_owned(), Value::Array(kept));
    }
    Ok(())
}

/// `deleteCredentialOIDCSAMLFromIdentity` (v1.3.1: `deleteCredentialOIDCFromIdentity`).
fn remove_link(identity: &mut Identity, kind: &str, identifier: &str, what: &str) -> Result<(), ApiError> {
    if identifier.is_empty() {
        return Err(ApiError::bad_request(
            "You must provide an identifier to delete this credential.",
        ));
    }
    let Some(credential) = identity.credentials.get_mut(kind) else {
        return Err(ApiError::not_found(format!(
            "You tried to remove {what} but this user has no such credential set up."
        )));
    };
    let providers = match credential.config.get("providers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list.clone(),
        Some(_) => return Err(ApiError::internal("Unable to decode identity credentials.")),
    };
    let unique = |p: &Value| {
        format!(
            "{}:{}",
            p.get("provider").and_then(Value::as_str).unwrap_or_default(),
            p.get("subject").and_then(Value::as_str).unwrap_or_default()
        )
    };
    let (gone, kept): (Vec<Value>, Vec<Value>) = providers.into_iter().partition(|p| unique(p) == identifier);
    if gone.is_empty() {
        return Err(ApiError::not_found(format!(
            "The identifier `{identifier}` was not found among OIDC credentials."
        )));
    }
    credential.identifiers = kept.iter().map(unique).collect();
    let mut config = credential.config.as_object().cloned().unwrap_or_else(Map::new);
    config.insert("providers".to_owned(), Value::Array(kept));
    credential.config = Value::Object(config);
    Ok(())
}

/// First factors the identity can still sign in with, as the strategies'
/// `CountActiveFirstFactorCredentials` count them (see the module docs for
/// which strategies the demo runs).
pub fn first_factors(identity: &Identity) -> usize {
    let mut count = 0;
    for credential in identity.credentials.values() {
        match credential.kind.as_str() {
            // selfservice/strategy/password/strategy.go
            "password" => {
                let hashed = credential
                    .config
                    .get("hashed_password")
                    .and_then(Value::as_str)
                    .is_some_and(|h| !h.is_empty());
                if hashed && !credential.identifiers.concat().is_empty() {
                    count += 1;
                }
            }
            // selfservice/strategy/oidc/strategy.go (organisation links are SAML/B2B's, not counted here).
            "oidc" => {
                let providers = credential.config.get("providers").and_then(Value::as_array);
                for identifier in &credential.identifiers {
                    let Some((provider, subject)) = identifier.split_once(':') else {
                        continue;
                    };
                    count += providers.map_or(0, |list| {
                        list.iter()
                            .filter(|p| {
                                p.get("organization")
                                    .and_then(Value::as_str)
                                    .unwrap_or_default()
                                    .is_empty()
                                    && p.get("provider").and_then(Value::as_str) == Some(provider)
                                    && p.get("subject").and_then(Value::as_str) == Some(subject)
                                    && !provider.is_empty()
                                    && !subject.is_empty()
                            })
                            .count()
                    });
                }
            }
            // webauthn: passwordless keys; passkey: every key.
            "webauthn" | "passkey" => {
                let keys = credential.config.get("credentials").and_then(Value::as_array);
                count += keys.map_or(0, |keys| {
                    keys.iter()
                        .filter(|k| {
                            credential.kind == "passkey"
                                || k.get("is_passwordless").and_then(Value::as_bool) == Some(true)
                        })
                        .count()
                });
            }
            _ => {}
        }
    }
    count
}

/// `PATCH {prefix}/identities/{id}`: 200 with the patched identity, or Kratos's refusal.
pub async fn patch_identity(
    State(state): State<Arc<DemoState>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, Response> {
    let id = parse_id(&id).map_err(into_response)?;
    let mut store = state.write_store();
    let patched = apply_patch(&store, &state, &id, &body).map_err(|e| e.into_response())?;
    let schema_url = state.schema_url(&patched.schema_id);
    let json = IdentityJson {
        identity: &patched,
        credentials: CredentialsView::WithoutConfig,
        schema_url: &schema_url,
        source: Source::Memory,
        external_id: state.version.has_external_id(),
    };
    let body = serde_json::to_vec(&json)
        .map_err(|e| into_response(ApiError::internal(format!("Unable to encode the identity: {e}"))))?;
    store.replace(patched);
    Ok(bytes_response(StatusCode::OK, body))
}

fn into_response(error: ApiError) -> Response {
    axum::response::IntoResponse::into_response(error)
}

/// Why a patch was refused: Kratos's own errors, or a patch that could not
/// be applied (400 with the patch error as `message`).
#[derive(Debug)]
pub enum PatchError {
    Api(ApiError),
    Patch(String),
}

impl From<ApiError> for PatchError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

impl PatchError {
    fn into_response(self) -> Response {
        match self {
            Self::Api(error) => into_response(error),
            Self::Patch(message) => {
                let error = ApiError::bad_request(PATCH_FAILED_REASON);
                let mut envelope = error.envelope();
                // herodot `WithErrorf`: the error text replaces the status text.
                envelope["error"]["message"] = json!(message);
                json_response(error.status, &envelope)
            }
        }
    }
}

/// The identity after the patch, checked as `IdentityManager.Update` checks it.
pub fn apply_patch(store: &Store, state: &DemoState, id: &Uuid, body: &[u8]) -> Result<Identity, PatchError> {
    let operations = decode_patch(body, state.version)?;
    let stored = store.get(id).ok_or_else(ApiError::no_rows)?.into_owned();
    let now = Timestamp::now();

    let mut document =
        serde_json::to_value(&stored).map_err(|e| ApiError::internal(format!("Unable to encode the identity: {e}")))?;
    if state.version == KratosVersion::V1_3
        && let Some(object) = document.as_object_mut()
    {
        object.remove("credentials");
    }
    for operation in &operations {
        apply_one(&mut document, operation)?;
    }
    if state.version == KratosVersion::V1_3
        && let Some(object) = document.as_object_mut()
    {
        // Whatever a patch put there is dropped: the stored credentials come back.
        object.remove("credentials");
    }
    let mut patched: Identity = serde_json::from_value(document).map_err(|e| PatchError::Patch(e.to_string()))?;
    if state.version == KratosVersion::V1_3 {
        patched.credentials = stored.credentials.clone();
    }
    // `/id` is refused, but an `add` at the root could still replace it.
    patched.id = stored.id;

    if patched.state != stored.state {
        if patched.state != "active" && patched.state != "inactive" {
            return Err(ApiError::bad_request(format!(
                "The supplied state ('{}') was not valid. Valid states are ('active', 'inactive').",
                patched.state
            ))
            .into());
        }
        patched.state_changed_at = Some(now);
    }
    let schema = state
        .schemas
        .get(&patched.schema_id)
        .ok_or_else(|| ApiError::bad_request(format!("unable to find JSON Schema ID: {}", patched.schema_id)))?;
    schema.validate(&patched.traits)?;
    let derived = schema.derive(&patched.traits);
    recompute_from_traits(&mut patched, derived, now, state.version);
    if state.version.put_moves_updated_at() {
        patched.updated_at = now.micros();
    }
    if let Some(clash) = store.conflict(&patched) {
        return Err(ApiError::conflict(format!(
            "This identity conflicts with another identity that already exists: {clash} is taken."
        ))
        .into());
    }
    Ok(patched)
}

/// One operation, its kind already allowed and its path already checked.
#[derive(Debug, Clone)]
struct Operation {
    kind: String,
    path: String,
    value: Value,
}

/// `jsonpatch.DecodePatch`, then `ApplyJSONPatch`'s checks, in its order.
fn decode_patch(body: &[u8], version: KratosVersion) -> Result<Vec<Operation>, PatchError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| PatchError::Patch(e.to_string()))?;
    let Value::Array(list) = value else {
        return Err(PatchError::Patch(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
            go_type(&value)
        )));
    };
    let mut out = Vec::with_capacity(list.len());
    for entry in list {
        let Value::Object(entry) = entry else {
            return Err(PatchError::Patch(format!(
                "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
                go_type(&entry)
            )));
        };
        let kind = entry.get("op").and_then(Value::as_str).unwrap_or("unknown").to_owned();
        if !matches!(kind.as_str(), "add" | "remove" | "replace") {
            return Err(PatchError::Patch(format!("unsupported operation: {kind}")));
        }
        let Some(path) = entry.get("path").and_then(Value::as_str) else {
            return Err(PatchError::Patch(
                "error parsing patch operations: operation missing path field".to_owned(),
            ));
        };
        if is_denied(path, version) {
            return Err(PatchError::Patch(format!("patch includes denied path: {path}")));
        }
        let kind = if kind == "replace" && !is_element_access(path) {
            "add".to_owned()
        } else {
            kind
        };
        let value = entry.get("value").cloned().unwrap_or(Value::Null);
        if kind != "remove" && !entry.contains_key("value") {
            return Err(PatchError::Patch(format!(
                "{kind} operation does not apply: doc is missing value"
            )));
        }
        out.push(Operation {
            kind,
            path: path.to_owned(),
            value,
        });
    }
    Ok(out)
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

/// The deny globs `{/id,/statechangedat,/credentials[,/credentials/oidc/**]}`
/// matched against the lower-cased path, `/` the separator.
fn is_denied(path: &str, version: KratosVersion) -> bool {
    let path = path.to_lowercase();
    if matches!(path.as_str(), "/id" | "/statechangedat" | "/credentials") {
        return true;
    }
    version != KratosVersion::V1_3 && path.starts_with("/credentials/oidc/")
}

/// `isElementAccess`: the last segment is `-` or a number.
fn is_element_access(path: &str) -> bool {
    if path.is_empty() {
        return false;
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    last == "-" || last.parse::<i64>().is_ok()
}

fn apply_one(document: &mut Value, operation: &Operation) -> Result<(), PatchError> {
    let op = json!({ "op": operation.kind, "path": operation.path, "value": operation.value });
    let parsed: json_patch::PatchOperation =
        serde_json::from_value(op).map_err(|e| PatchError::Patch(format!("error parsing patch operations: {e}")))?;
    if operation.kind == "add" {
        ensure_parents(document, &operation.path);
    }
    json_patch::patch(document, &[parsed]).map_err(|e| PatchError::Patch(e.to_string()))
}

/// `EnsurePathExistsOnAdd`: missing parent objects are created.
fn ensure_parents(document: &mut Value, path: &str) {
    let segments: Vec<String> = path
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((_, parents)) = segments.split_last() else {
        return;
    };
    let mut here = document;
    for segment in parents {
        here = match here {
            Value::Object(map) => map.entry(segment.clone()).or_insert_with(|| Value::Object(Map::new())),
            Value::Array(list) => match segment.parse::<usize>().ok().and_then(|i| list.get_mut(i)) {
                Some(item) => item,
                None => return,
            },
            _ => return,
        };
        if here.is_null() {
            *here = Value::Object(Map::new());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denied_paths_match_kratos_globs() {
        for path in [
            "/id",
            "/ID",
            "/credentials",
            "/stateChangedAt",
            "/credentials/oidc/config",
        ] {
            assert!(is_denied(path, KratosVersion::V26), "{path}");
        }
        for path in [
            "/state_changed_at",
            "/credentials/totp",
            "/credentials/oidc",
            "/traits/id",
        ] {
            assert!(!is_denied(path, KratosVersion::V26), "{path}");
        }
        assert!(!is_denied("/credentials/oidc/config", KratosVersion::V1_3));
    }

    #[test]
    fn replace_becomes_add_unless_it_names_an_element() {
        let Ok(ops) = decode_patch(
            br#"[{"op":"replace","path":"/traits/x","value":1},{"op":"replace","path":"/a/0","value":1}]"#,
            KratosVersion::V26,
        ) else {
            panic!("refused")
        };
        assert_eq!(ops[0].kind, "add");
        assert_eq!(ops[1].kind, "replace");
    }

    #[test]
    fn only_add_remove_replace_are_allowed() {
        for op in ["test", "move", "copy", "nonsense"] {
            let body = format!(r#"[{{"op":"{op}","path":"/traits","from":"/traits","value":1}}]"#);
            match decode_patch(body.as_bytes(), KratosVersion::V26) {
                Err(PatchError::Patch(message)) => assert_eq!(message, format!("unsupported operation: {op}")),
                other => panic!("{op}: {other:?}"),
            }
        }
    }

    #[test]
    fn add_creates_missing_parents() {
        let mut doc = json!({ "metadata_public": null });
        let op = Operation {
            kind: "add".into(),
            path: "/metadata_public/a/b".into(),
            value: json!(1),
        };
        assert!(apply_one(&mut doc, &op).is_ok());
        assert_eq!(doc, json!({ "metadata_public": { "a": { "b": 1 } } }));
    }
}
