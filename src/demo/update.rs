//! `PUT {prefix}/identities/{id}` with Kratos's semantics (identity/handler.go
//! `update` and `importCredentials`):
//! - omitted or empty `schema_id` and `state` keep the stored value; a different
//!   `state` must be `active` or `inactive` and moves `state_changed_at`;
//! - `traits` are replaced (omitted means `{}`) and validated against the schema;
//! - `metadata_public`, `metadata_admin` and `external_id` are replaced, and
//!   erased when omitted;
//! - `credentials.password` replaces the password (plaintext is hashed, an
//!   imported hash must be a known format); `credentials.oidc` / `saml` append
//!   providers; absent `credentials` keeps every credential;
//! - addresses and credential identifiers are recomputed from the traits;
//! - identifiers and `external_id` must stay unique (409);
//! - per release (see [`KratosVersion`]): v1.3 has no `external_id` (dropped)
//!   and does not move `updated_at`; v25+ set it to now in microseconds.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::errors::ApiError;
use super::model::{Credential, Identity, RecoveryAddress, Timestamp, VerifiableAddress};
use super::schema::Schemas;
use super::store::Store;
use super::version::KratosVersion;
use crate::hashes;

/// Kratos's text for an imported hash it cannot use.
pub const UNKNOWN_HASH_REASON: &str =
    "The imported password does not match any known hash format. For more information see https://www.ory.sh/dr/2";

/// What to do with the password credential.
#[derive(Debug, Clone, PartialEq)]
enum PasswordImport {
    Hash(String),
    MigrationHook,
}

/// A decoded `updateIdentityBody`, before it meets the stored identity.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateBody {
    schema_id: Option<String>,
    state: Option<String>,
    traits: Value,
    metadata_public: Value,
    metadata_admin: Value,
    external_id: Option<String>,
    password: Option<PasswordImport>,
    /// `(credential type, provider, subject, extra fields)` to append.
    providers: Vec<ProviderImport>,
}

fn decode_error(detail: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("Unable to decode JSON payload: {detail}"))
}

fn go_json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_error(value: &Value, field: &str, go_type: &str) -> ApiError {
    decode_error(format!(
        "json: cannot unmarshal {} into Go struct field {field} of type {go_type}",
        go_json_type(value)
    ))
}

/// A string field; JSON `null` and absence both read as "not given".
fn optional_string(
    object: &Map<String, Value>,
    key: &str,
    field: &str,
    go_type: &str,
) -> Result<Option<String>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(type_error(other, field, go_type)),
    }
}

fn optional_object<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    field: &str,
    go_type: &str,
) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(inner)) => Ok(Some(inner)),
        Some(other) => Err(type_error(other, field, go_type)),
    }
}

impl UpdateBody {
    /// Decodes the body like Go's `json.Decoder` into `UpdateIdentityBody`:
    /// unknown fields are ignored, wrong types and broken JSON are 400. A plaintext
    /// password is hashed here, before the store is locked.
    pub fn decode(body: &[u8]) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(decode_error("EOF"));
        }
        let value: Value = serde_json::from_slice(body).map_err(decode_error)?;
        let Value::Object(object) = value else {
            return Err(decode_error(format!(
                "json: cannot unmarshal {} into Go value of type identity.UpdateIdentityBody",
                go_json_type(&value)
            )));
        };
        let schema_id = optional_string(&object, "schema_id", "UpdateIdentityBody.schema_id", "string")?;
        let state = optional_string(&object, "state", "UpdateIdentityBody.state", "identity.State")?;
        let external_id = optional_string(&object, "external_id", "UpdateIdentityBody.external_id", "string")?
            .filter(|s| !s.is_empty());
        let traits = object.get("traits").cloned().unwrap_or_else(|| json!({}));
        let metadata_public = object.get("metadata_public").cloned().unwrap_or(Value::Null);
        let metadata_admin = object.get("metadata_admin").cloned().unwrap_or(Value::Null);

        let mut password = None;
        let mut providers = Vec::new();
        if let Some(credentials) = optional_object(
            &object,
            "credentials",
            "UpdateIdentityBody.credentials",
            "identity.IdentityWithCredentials",
        )? {
            match credentials.get("password") {
                None | Some(Value::Null) => {}
                Some(Value::Object(section)) => password = Some(decode_password(section)?),
                Some(other) => {
                    return Err(type_error(
                        other,
                        "UpdateIdentityBody.credentials.password",
                        "identity.AdminIdentityImportCredentialsPassword",
                    ));
                }
            }
            for kind in ["oidc", "saml"] {
                if let Some(section) = credentials.get(kind) {
                    providers.extend(decode_providers(kind, section)?);
                }
            }
        }
        Ok(Self {
            schema_id: schema_id.filter(|s| !s.is_empty()),
            state: state.filter(|s| !s.is_empty()),
            traits,
            metadata_public,
            metadata_admin,
            external_id,
            password,
            providers,
        })
    }
}

fn decode_password(section: &Map<String, Value>) -> Result<PasswordImport, ApiError> {
    let empty = Map::new();
    let config = optional_object(
        section,
        "config",
        "UpdateIdentityBody.credentials.password.config",
        "identity.AdminIdentityImportCredentialsPasswordConfig",
    )?
    .unwrap_or(&empty);
    let field = "UpdateIdentityBody.credentials.password.config";
    let plaintext = optional_string(config, "password", &format!("{field}.password"), "string")?;
    let hashed = optional_string(config, "hashed_password", &format!("{field}.hashed_password"), "string")?;
    let hook = match config.get("use_password_migration_hook") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(type_error(
                other,
                &format!("{field}.use_password_migration_hook"),
                "bool",
            ));
        }
    };
    if let Some(plaintext) = plaintext.filter(|p| !p.is_empty()) {
        let hash = hashes::hash_plaintext(&plaintext)
            .map_err(|e| ApiError::internal(format!("Unable to hash the password: {e}")))?;
        return Ok(PasswordImport::Hash(hash));
    }
    match hashed.filter(|h| !h.is_empty()) {
        Some(hash) => {
            match hashes::check_imported_hash(&hash) {
                Ok(()) => Ok(PasswordImport::Hash(hash)),
                Err(why) => Err(ApiError::bad_request(UNKNOWN_HASH_REASON)
                    .with_detail("hash_problem", Value::String(why.to_string()))),
            }
        }
        None if hook => Ok(PasswordImport::MigrationHook),
        None => Err(ApiError::bad_request(UNKNOWN_HASH_REASON)
            .with_detail("hash_problem", json!("no password and no hashed_password given"))),
    }
}

type ProviderImport = (String, String, String, Map<String, Value>);

fn decode_providers(kind: &str, section: &Value) -> Result<Vec<ProviderImport>, ApiError> {
    let field = format!("UpdateIdentityBody.credentials.{kind}");
    let section = match section {
        Value::Null => return Ok(Vec::new()),
        Value::Object(o) => o,
        other => return Err(type_error(other, &field, "object")),
    };
    let Some(config) = optional_object(section, "config", &format!("{field}.config"), "object")? else {
        return Ok(Vec::new());
    };
    let list = match config.get("providers") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(type_error(other, &format!("{field}.config.providers"), "[]provider"));
        }
    };
    let mut out = Vec::new();
    for (index, entry) in list.iter().enumerate() {
        let Value::Object(entry) = entry else {
            return Err(type_error(entry, &format!("{field}.config.providers"), "provider"));
        };
        let provider = optional_string(entry, "provider", "provider", "string")?.unwrap_or_default();
        let subject = optional_string(entry, "subject", "subject", "string")?.unwrap_or_default();
        if provider.is_empty() || subject.is_empty() {
            return Err(ApiError::bad_request(format!(
                "credentials.{kind}.config.providers[{index}] needs both a provider and a subject"
            )));
        }
        let mut extra = Map::new();
        for key in ["organization", "use_auto_link"] {
            if let Some(value) = entry.get(key).filter(|v| !v.is_null()) {
                extra.insert(key.to_owned(), value.clone());
            }
        }
        out.push((kind.to_owned(), provider, subject, extra));
    }
    Ok(out)
}

/// Applies a decoded body to the stored identity `id`, returning the identity
/// as Kratos holds it in memory after the write (what the PUT answers, see
/// `model::Source`). The store is only read: the caller stores the result.
pub fn apply(
    store: &Store,
    schemas: &Schemas,
    id: &Uuid,
    body: UpdateBody,
    now: Timestamp,
    version: KratosVersion,
) -> Result<Identity, ApiError> {
    let mut identity = store.get(id).ok_or_else(ApiError::no_rows)?.into_owned();

    if let Some(schema_id) = body.schema_id {
        identity.schema_id = schema_id;
    }
    if let Some(state) = body.state
        && state != identity.state
    {
        if state != "active" && state != "inactive" {
            return Err(ApiError::bad_request("identity state is not valid"));
        }
        identity.state = state;
        identity.state_changed_at = Some(now);
    }
    identity.traits = body.traits;
    identity.metadata_public = body.metadata_public;
    identity.metadata_admin = body.metadata_admin;
    // v1.3.1's UpdateIdentityBody has no ExternalID: Go's decoder ignores the
    // unknown field, and the identity has no such column either.
    identity.external_id = if version.has_external_id() {
        body.external_id
    } else {
        None
    };

    if let Some(password) = body.password {
        let config = match password {
            PasswordImport::Hash(hash) => json!({ "hashed_password": hash }),
            PasswordImport::MigrationHook => json!({ "use_password_migration_hook": true }),
        };
        let created = identity.credentials.get("password").map_or(now, |c| c.created_at);
        identity.credentials.insert(
            "password".to_owned(),
            Credential {
                kind: "password".to_owned(),
                identifiers: Vec::new(),
                config,
                version: 1,
                created_at: created,
                updated_at: now,
            },
        );
    }
    for (kind, provider, subject, extra) in body.providers {
        append_provider(&mut identity, &kind, &provider, &subject, extra, now)?;
    }

    let schema = schemas
        .get(&identity.schema_id)
        .ok_or_else(|| ApiError::bad_request(format!("unable to find JSON Schema ID: {}", identity.schema_id)))?;
    schema.validate(&identity.traits)?;
    let derived = schema.derive(&identity.traits);
    recompute_from_traits(&mut identity, derived, now, version);
    // persistence/sql/identity/persister_identity.go `UpdateIdentity`: v25+
    // set `time.Now().UTC().Truncate(time.Microsecond)`; v1.3.1 writes back
    // the value it read (ory/kratos#4131 fixed that after 1.3.1).
    if version.put_moves_updated_at() {
        identity.updated_at = now.micros();
    }

    if let Some(clash) = store.conflict(&identity) {
        return Err(ApiError::conflict(format!(
            "This identity conflicts with another identity that already exists: {clash} is taken."
        )));
    }
    Ok(identity)
}

fn append_provider(
    identity: &mut Identity,
    kind: &str,
    provider: &str,
    subject: &str,
    extra: Map<String, Value>,
    now: Timestamp,
) -> Result<(), ApiError> {
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
        return Err(ApiError::conflict(format!(
            "This identity conflicts with another identity that already exists: {kind} credential {identifier:?} is already linked to this identity."
        )));
    }
    credential.identifiers.push(identifier);
    credential.updated_at = now;
    let mut entry = Map::new();
    entry.insert("subject".into(), json!(subject));
    entry.insert("provider".into(), json!(provider));
    if kind == "oidc" {
        for token in ["initial_id_token", "initial_access_token", "initial_refresh_token"] {
            entry.insert(token.into(), json!(""));
        }
    }
    entry.extend(extra);
    if !credential.config.is_object() {
        credential.config = json!({});
    }
    let providers = credential
        .config
        .as_object_mut()
        .map(|config| config.entry("providers").or_insert_with(|| json!([])));
    match providers {
        Some(Value::Array(list)) => list.push(Value::Object(entry)),
        Some(other) => *other = json!([Value::Object(entry)]),
        None => {}
    }
    Ok(())
}

/// Credential identifiers and addresses from the schema extension, keeping
/// what is unchanged (an address already verified stays verified).
///
/// Addresses come out in the order Kratos holds them after the write:
/// - v25+: `persister_identity.go` `updateAssociationWith` returns the kept
///   addresses, then the created ones (never sorted by id), and
///   `oryx/sqlxx/batch/create.go` stamps new ones with
///   `time.Now().UTC().Truncate(time.Microsecond)`;
/// - v1.3: `updateAssociation` leaves the list as the schema extension built
///   it (`identity/extension_verification.go`), new ones stamped by pop's
///   `Create` with `time.Now()` (nanoseconds).
///
/// A later GET orders them by id (see `model::Source`).
pub fn recompute_from_traits(
    identity: &mut Identity,
    derived: super::schema::Derived,
    now: Timestamp,
    version: KratosVersion,
) {
    for (kind, identifiers) in derived.identifiers {
        let credential = identity.credentials.entry(kind.clone()).or_insert_with(|| Credential {
            kind: kind.clone(),
            identifiers: Vec::new(),
            config: json!({}),
            version: if kind == "password" || kind == "code" { 1 } else { 0 },
            created_at: now,
            updated_at: now,
        });
        if credential.identifiers != identifiers {
            credential.identifiers = identifiers;
            credential.updated_at = now;
        }
        if kind == "code" {
            let addresses: Vec<Value> = derived
                .code_addresses
                .iter()
                .map(|(channel, address)| json!({ "channel": channel, "address": address }))
                .collect();
            credential.config = json!({ "addresses": addresses });
        }
    }

    let created = if version.stamps_new_rows_in_micros() {
        now.micros()
    } else {
        now
    };
    let old_verifiable = std::mem::take(&mut identity.verifiable_addresses);
    let verifiable: Vec<(bool, VerifiableAddress)> = derived
        .verifiable
        .into_iter()
        .map(
            |(value, via)| match old_verifiable.iter().find(|a| a.value == value && a.via == via) {
                Some(kept) => (true, kept.clone()),
                None => (
                    false,
                    VerifiableAddress {
                        id: Uuid::new_v4(),
                        value,
                        verified: false,
                        via,
                        status: "pending".to_owned(),
                        created_at: created,
                        updated_at: created,
                        verified_at: None,
                    },
                ),
            },
        )
        .collect();
    identity.verifiable_addresses = held_order(verifiable, version);

    let old_recovery = std::mem::take(&mut identity.recovery_addresses);
    let recovery: Vec<(bool, RecoveryAddress)> = derived
        .recovery
        .into_iter()
        .map(
            |(value, via)| match old_recovery.iter().find(|a| a.value == value && a.via == via) {
                Some(kept) => (true, kept.clone()),
                None => (
                    false,
                    RecoveryAddress {
                        id: Uuid::new_v4(),
                        value,
                        via,
                        created_at: created,
                        updated_at: created,
                    },
                ),
            },
        )
        .collect();
    identity.recovery_addresses = held_order(recovery, version);
}

/// `(kept, address)` pairs in the order the imitated release holds them.
fn held_order<T>(addresses: Vec<(bool, T)>, version: KratosVersion) -> Vec<T> {
    if !version.put_answer_keeps_then_adds() {
        return addresses.into_iter().map(|(_, a)| a).collect();
    }
    let (kept, added): (Vec<_>, Vec<_>) = addresses.into_iter().partition(|(kept, _)| *kept);
    kept.into_iter().chain(added).map(|(_, a)| a).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(body: &str) -> Result<UpdateBody, ApiError> {
        UpdateBody::decode(body.as_bytes())
    }

    #[test]
    fn empty_and_broken_bodies_are_400() {
        for body in ["", "  ", "{", "[1]", "null", "5"] {
            let Err(error) = decode(body) else {
                panic!("accepted {body:?}")
            };
            assert_eq!(error.status.as_u16(), 400, "{body:?}");
            assert!(
                error
                    .reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("Unable to decode JSON payload: ")),
                "{error:?}"
            );
        }
    }

    #[test]
    fn wrong_types_name_the_field() {
        let Err(error) = decode(r#"{"state": 5, "traits": {}}"#) else {
            panic!("accepted a numeric state")
        };
        assert_eq!(
            error.reason.as_deref(),
            Some(
                "Unable to decode JSON payload: json: cannot unmarshal number into Go struct field UpdateIdentityBody.state of type identity.State"
            )
        );
    }

    #[test]
    fn omitted_fields_follow_kratos() {
        let Ok(body) = decode(r#"{"unknown": true}"#) else {
            panic!("refused an unknown field")
        };
        assert_eq!(body.traits, json!({}));
        assert_eq!(body.metadata_public, Value::Null);
        assert_eq!(body.metadata_admin, Value::Null);
        assert_eq!(body.external_id, None);
        assert_eq!(body.schema_id, None);
        assert_eq!(body.state, None);
        assert_eq!(body.password, None);
        assert!(body.providers.is_empty());
    }

    #[test]
    fn unknown_hash_formats_are_refused_with_kratos_text() {
        let Err(error) = decode(r#"{"credentials": {"password": {"config": {"hashed_password": "plain"}}}}"#) else {
            panic!("accepted a plaintext hash")
        };
        assert_eq!(error.reason.as_deref(), Some(UNKNOWN_HASH_REASON));
    }
}
