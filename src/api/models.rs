//! Kratos and attribute-registry data, as serde models that follow the Kratos
//! OpenAPI spec (`identity`, `updateIdentityBody`, `errorGeneric`, ...).
//!
//! Two rules shape every type here, because a PUT in Kratos *replaces*:
//! - Every model keeps the fields it does not know in `extra` and writes them
//!   back unchanged. A newer server's field that idcon dropped would be erased.
//! - `null` and absent stay apart ([`Nullable`]): Kratos treats an omitted
//!   `metadata_admin` as "erase it", and sends `organization_id: null`; a model
//!   that turned one into the other would change data nobody edited.
//!
//! Timestamps stay the strings the server sent, so they compare and echo
//! exactly (the lost-update guard compares `updated_at`); [`parse_time`] reads
//! them when a date is needed.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A field that may be absent, `null`, or hold a value, and keeps which.
///
/// Use with `#[serde(default, skip_serializing_if = "Nullable::is_absent")]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Nullable<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Nullable<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Nullable::Absent)
    }

    /// The value, if there is one (absent and null are both `None`).
    pub fn get(&self) -> Option<&T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self) -> Option<&mut T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn into_option(self) -> Option<T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<T> From<Option<T>> for Nullable<T> {
    /// `None` becomes `null` (explicit), never absent.
    fn from(value: Option<T>) -> Self {
        value.map_or(Nullable::Null, Nullable::Value)
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // Absent is skipped by the field attribute; if it is not, null is the
            // closest thing a serializer can say.
            Nullable::Absent | Nullable::Null => serializer.serialize_none(),
            Nullable::Value(v) => v.serialize(serializer),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Only called when the field is present (absent fields take the default).
        Option::<T>::deserialize(deserializer).map(Nullable::from)
    }
}

/// Reads a timestamp as the server sent it (RFC 3339).
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// `active` or `inactive`; any other word a server sends is kept as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdentityState {
    Active,
    Inactive,
    Other(String),
}

impl IdentityState {
    pub fn as_str(&self) -> &str {
        match self {
            IdentityState::Active => "active",
            IdentityState::Inactive => "inactive",
            IdentityState::Other(s) => s,
        }
    }
}

impl fmt::Display for IdentityState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for IdentityState {
    fn from(s: &str) -> Self {
        match s {
            "active" => IdentityState::Active,
            "inactive" => IdentityState::Inactive,
            other => IdentityState::Other(other.to_owned()),
        }
    }
}

impl Serialize for IdentityState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for IdentityState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|s| IdentityState::from(s.as_str()))
    }
}

/// An identity as `GET /admin/identities/{id}` returns it (OpenAPI `identity`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub id: String,
    pub schema_id: String,
    /// Kratos always sends it; Kratos-like servers may not.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub schema_url: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub state: Nullable<IdentityState>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub state_changed_at: Nullable<String>,
    /// Required by the spec; an absent value reads as `null` rather than
    /// failing the whole page.
    #[serde(default)]
    pub traits: Value,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub metadata_public: Nullable<Value>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub metadata_admin: Nullable<Value>,
    /// By credential type (`password`, `oidc`, ...). Without `include_credential`
    /// (idcon never asks for it) the configs hold no secrets.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub credentials: Nullable<BTreeMap<String, Credentials>>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub verifiable_addresses: Nullable<Vec<VerifiableAddress>>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub recovery_addresses: Nullable<Vec<RecoveryAddress>>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub created_at: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub updated_at: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub organization_id: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub external_id: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub region: Nullable<String>,
    /// Fields this version of idcon does not know, kept to be sent back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Identity {
    /// The provider/subject pairs linked through OIDC, from the `oidc`
    /// credential's identifiers (`provider:subject`), in server order.
    pub fn oidc_links(&self) -> Vec<(String, String)> {
        self.credentials
            .get()
            .and_then(|creds| creds.get("oidc"))
            .map(|oidc| {
                oidc.identifiers
                    .get()
                    .into_iter()
                    .flatten()
                    .filter_map(|id| id.split_once(':'))
                    .map(|(p, s)| (p.to_owned(), s.to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One credential of an identity (OpenAPI `identityCredentials`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    #[serde(rename = "type", default, skip_serializing_if = "Nullable::is_absent")]
    pub kind: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub identifiers: Nullable<Vec<String>>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub config: Nullable<Value>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub version: Nullable<i64>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub created_at: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub updated_at: Nullable<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An address that can be verified (OpenAPI `verifiableIdentityAddress`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifiableAddress {
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub id: Nullable<String>,
    pub value: String,
    pub verified: bool,
    pub via: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub verified_at: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub created_at: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub updated_at: Nullable<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An address for account recovery (OpenAPI `recoveryIdentityAddress`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryAddress {
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub id: Nullable<String>,
    pub value: String,
    pub via: String,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub created_at: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub updated_at: Nullable<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of `PUT {identities}/{id}` (OpenAPI `updateIdentityBody`).
///
/// Kratos replaces the identity with it: an omitted `metadata_public`,
/// `metadata_admin` or `external_id` is erased. Build it with
/// [`UpdateIdentityBody::from_identity`] and change only what is edited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateIdentityBody {
    pub schema_id: String,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub state: Nullable<IdentityState>,
    pub traits: Value,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub metadata_public: Nullable<Value>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub metadata_admin: Nullable<Value>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub external_id: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub region: Nullable<String>,
    /// Only for an intended import; never copied from a GET.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<CredentialsImport>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UpdateIdentityBody {
    /// The body that changes nothing: every updatable field as the server sent
    /// it (absent stays absent, `null` stays `null`), plus every field idcon
    /// does not know, and **never** the credentials (echoing them breaks the
    /// PUT or re-imports hashes). Read-only fields (`id`, timestamps, addresses,
    /// `schema_url`, `organization_id`) are not part of the body.
    pub fn from_identity(identity: &Identity) -> UpdateIdentityBody {
        UpdateIdentityBody {
            schema_id: identity.schema_id.clone(),
            state: identity.state.clone(),
            traits: identity.traits.clone(),
            metadata_public: identity.metadata_public.clone(),
            metadata_admin: identity.metadata_admin.clone(),
            external_id: identity.external_id.clone(),
            region: identity.region.clone(),
            credentials: None,
            extra: identity.extra.clone(),
        }
    }
}

/// Credentials to import with a PUT (OpenAPI `identityWithCredentials`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CredentialsImport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordImport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcImport>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CredentialsImport {
    /// Sets a new plaintext password (Kratos hashes it).
    pub fn plaintext_password(password: String) -> CredentialsImport {
        CredentialsImport {
            password: Some(PasswordImport {
                config: PasswordImportConfig {
                    password: Some(password),
                    ..PasswordImportConfig::default()
                },
                extra: Map::new(),
            }),
            ..CredentialsImport::default()
        }
    }

    /// Imports a password hash in PHC format.
    pub fn hashed_password(phc: String) -> CredentialsImport {
        CredentialsImport {
            password: Some(PasswordImport {
                config: PasswordImportConfig {
                    hashed_password: Some(phc),
                    ..PasswordImportConfig::default()
                },
                extra: Map::new(),
            }),
            ..CredentialsImport::default()
        }
    }

    /// Links OIDC providers (Kratos appends them to those already linked).
    pub fn oidc(providers: Vec<OidcProviderImport>) -> CredentialsImport {
        CredentialsImport {
            oidc: Some(OidcImport {
                config: OidcImportConfig {
                    providers,
                    extra: Map::new(),
                },
                extra: Map::new(),
            }),
            ..CredentialsImport::default()
        }
    }
}

/// OpenAPI `identityWithCredentialsPassword`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PasswordImport {
    pub config: PasswordImportConfig,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// OpenAPI `identityWithCredentialsPasswordConfig`. Its `Debug` hides the
/// password and hash so they cannot reach a log.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PasswordImportConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashed_password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_password_migration_hook: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for PasswordImportConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hide = |s: &Option<String>| s.as_ref().map(|_| REDACTED);
        f.debug_struct("PasswordImportConfig")
            .field("password", &hide(&self.password))
            .field("hashed_password", &hide(&self.hashed_password))
            .field("use_password_migration_hook", &self.use_password_migration_hook)
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// OpenAPI `identityWithCredentialsOidc`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OidcImport {
    pub config: OidcImportConfig,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// OpenAPI `identityWithCredentialsOidcConfig`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OidcImportConfig {
    #[serde(default)]
    pub providers: Vec<OidcProviderImport>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// OpenAPI `identityWithCredentialsOidcConfigProvider`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OidcProviderImport {
    pub provider: String,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_auto_link: Option<bool>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub organization: Nullable<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What stands in for a secret wherever a body is shown or stored.
pub const REDACTED: &str = "<redacted>";

/// Keys whose string values are secrets inside a `credentials` object:
/// passwords, hashes, OIDC tokens, TOTP and lookup secrets.
const SECRET_KEYS: &[&str] = &[
    "password",
    "hashed_password",
    "initial_access_token",
    "initial_id_token",
    "initial_refresh_token",
    "totp_url",
    "secret",
    "recovery_codes",
    "code",
];

/// Replaces every secret under a top-level `credentials` member with
/// [`REDACTED`], for request bodies kept for display, history and audit.
pub fn redact_secrets(body: &mut Value) {
    if let Some(credentials) = body.get_mut("credentials") {
        redact_tree(credentials);
    }
    // An attribute-registry body: the issuance token lets anyone holding it
    // change the person's attributes.
    if let Some(token) = body.get_mut("issuance_token").filter(|t| t.is_string()) {
        *token = Value::String(REDACTED.to_owned());
    }
}

/// PHC and crypt prefixes of the password hashes Kratos imports: a string
/// starting with one is treated as a hash wherever it stands.
const HASH_PREFIXES: &[&str] = &[
    "$argon2",
    "$2a$",
    "$2b$",
    "$2x$",
    "$2y$",
    "$pbkdf2",
    "$scrypt",
    "$firescrypt",
    "$sha",
    "$md5",
    "$ssha",
    "$1$",
    "$5$",
    "$6$",
    "{SSHA",
    "{SHA",
];

/// True when `text` looks like a password hash Kratos imports (PHC or crypt
/// format), wherever it was typed: such a string is a secret even in traits.
pub fn looks_like_password_hash(text: &str) -> bool {
    let text = text.trim_start();
    HASH_PREFIXES.iter().any(|prefix| text.starts_with(prefix))
}

/// True when the member at `pointer` of a body or identity holds a secret:
/// what [`crate::diff::is_secret_pointer`] names (passwords, hashes, OIDC and
/// issuance tokens), under `/credentials` a member whose own name says so
/// (and the keys [`redact_secrets`] hides), and the profile's
/// `issuance_token_pointer` (`token_pointer`) and all under it, which a
/// profile may put where no name says "token".
pub fn is_secret_member(pointer: &str, token_pointer: Option<&str>) -> bool {
    let at_token = token_pointer
        .filter(|token| token.starts_with('/'))
        .is_some_and(|token| pointer == token || pointer.strip_prefix(token).is_some_and(|rest| rest.starts_with('/')));
    if at_token {
        return true;
    }
    if pointer == "/credentials" || pointer.starts_with("/credentials/") {
        // The shape of a credential (type, identifiers, version, timestamps)
        // is no secret, and an identity must still parse with it: only the
        // member itself is judged, or for a list element (recovery codes),
        // the list.
        let mut tokens = pointer.rsplit('/');
        let last = tokens.next().unwrap_or_default();
        let named = if last.parse::<usize>().is_ok() {
            tokens.next().unwrap_or_default()
        } else {
            last
        };
        let named = named.replace("~1", "/").replace("~0", "~");
        return SECRET_KEYS.contains(&named.as_str())
            || crate::diff::is_secret_pointer(&format!("/{}", crate::diff::escape_token(&named)));
    }
    crate::diff::is_secret_pointer(pointer)
}

/// Every secret string in `body` with its pointer, in document order: the
/// strings and numbers at a secret member ([`is_secret_member`], which also
/// covers every key [`redact_secrets`] hides under `credentials`), and every
/// string that looks like a password hash. What a request carrying `body` must never see
/// quoted back, and what a draft, plan or view must not hold.
pub fn secret_strings(body: &Value, token_pointer: Option<&str>) -> Vec<(String, String)> {
    secret_strings_at("", body, token_pointer)
}

/// [`secret_strings`] of `value`, which stands at `pointer` of its document
/// (a changed member of a diff); the pointers returned are the document's.
pub fn secret_strings_at(pointer: &str, value: &Value, token_pointer: Option<&str>) -> Vec<(String, String)> {
    fn walk(pointer: &str, value: &Value, token_pointer: Option<&str>, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let child_pointer = format!("{pointer}/{}", crate::diff::escape_token(key));
                    walk(&child_pointer, child, token_pointer, out);
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    walk(&format!("{pointer}/{index}"), child, token_pointer, out);
                }
            }
            Value::String(text) if is_secret_member(pointer, token_pointer) || looks_like_password_hash(text) => {
                out.push((pointer.to_owned(), text.clone()));
            }
            Value::Number(number) if is_secret_member(pointer, token_pointer) => {
                out.push((pointer.to_owned(), number.to_string()));
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(pointer, value, token_pointer, &mut out);
    out
}

/// `body` with every secret of [`secret_strings`] replaced by [`REDACTED`],
/// in place, and every other string equal to one of them (at least
/// [`crate::api::exchange::SHORTEST_SCRUBBED`] characters): the shape stays
/// (members, arrays, `null`s), so a reader sees that a token is there, and
/// a placeholder can be filled again from a fresh read (`idcon apply`). Also
/// does what [`redact_secrets`] does.
pub fn redact_all_secrets(body: &mut Value, token_pointer: Option<&str>) {
    let values: Vec<String> = secret_strings(body, token_pointer)
        .into_iter()
        .map(|(_, value)| value)
        .filter(|value| value.chars().count() >= crate::api::exchange::SHORTEST_SCRUBBED)
        .collect();
    redact_secrets(body);
    redact_secrets_at("", body, token_pointer);
    // A copy of a secret where no name says so (a token kept twice).
    if !values.is_empty() {
        redact_values(body, &values);
    }
}

/// Replaces every string equal to one of `values` with [`REDACTED`].
fn redact_values(value: &mut Value, values: &[String]) {
    match value {
        Value::String(text) if values.contains(text) => *text = REDACTED.to_owned(),
        Value::Array(items) => items.iter_mut().for_each(|item| redact_values(item, values)),
        Value::Object(map) => map.values_mut().for_each(|child| redact_values(child, values)),
        _ => {}
    }
}

/// [`redact_all_secrets`] for `value` standing at `pointer` of its document
/// (the old or new value of a change), without [`redact_secrets`]'s
/// `credentials` rule (which needs the document's root).
pub fn redact_secrets_at(pointer: &str, value: &mut Value, token_pointer: Option<&str>) {
    for (found, _) in secret_strings_at(pointer, value, token_pointer) {
        let relative = found.get(pointer.len()..).unwrap_or_default();
        let slot = if relative.is_empty() {
            Some(&mut *value)
        } else {
            value.pointer_mut(relative)
        };
        if let Some(slot) = slot {
            *slot = Value::String(REDACTED.to_owned());
        }
    }
}

fn redact_tree(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let secret_leaf = match child {
                    Value::String(_) | Value::Number(_) => true,
                    Value::Array(items) => items.iter().all(|i| !i.is_object()),
                    _ => false,
                };
                if secret_leaf && SECRET_KEYS.contains(&key.as_str()) {
                    *child = Value::String(REDACTED.to_owned());
                } else {
                    redact_tree(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_tree),
        _ => {}
    }
}

/// One page of `GET {identities}`.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityPage {
    pub items: Vec<Identity>,
    /// The query of the next page (from the `Link: rel="next"` header), ready
    /// to be sent on this profile's own base URL; `None` on the last page.
    pub next: Option<PageCursor>,
}

impl IdentityPage {
    /// The server's token for the next page, if it uses `page_token`.
    pub fn next_page_token(&self) -> Option<&str> {
        self.next.as_ref().and_then(|params| {
            params
                .iter()
                .find(|(name, _)| name == "page_token")
                .map(|(_, value)| value.as_str())
        })
    }
}

/// The query parameters of a next page, decoded, in the server's order.
pub type PageCursor = Vec<(String, String)>;

/// An identity JSON schema (OpenAPI `identitySchemaContainer`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentitySchema {
    pub id: String,
    pub schema: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of `PUT {attribute_registry_url}/attribute/update`. `Debug`
/// hides the issuance token.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeUpdate {
    pub issuance_token: String,
    pub name: String,
    pub value: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl std::fmt::Debug for AttributeUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttributeUpdate")
            .field("issuance_token", &REDACTED)
            .field("name", &self.name)
            .field("value", &self.value)
            .field("extra", &self.extra)
            .finish()
    }
}

impl AttributeUpdate {
    pub fn new(issuance_token: String, name: String, value: Value) -> AttributeUpdate {
        AttributeUpdate {
            issuance_token,
            name,
            value,
            extra: Map::new(),
        }
    }
}

/// The Ory error format (OpenAPI `errorGeneric`): `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub error: GenericError,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// OpenAPI `genericError`. Every field is optional here: an error report must
/// be readable even when a server leaves out what the spec requires.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GenericError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Carries the detail, e.g. `I[#/traits/email] S[#/properties/...] ...`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Any keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The server's request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl GenericError {
    /// Reads an error body: the Ory envelope, or a flat object with the same
    /// kind of keys (`message`, `reason`, `code`, `error` as a string, as other
    /// gateways and the attribute registry send). `None` when it is neither.
    pub fn from_body(body: &[u8]) -> Option<GenericError> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let object = value.as_object()?;
        if let Some(inner) = object.get("error").filter(|e| e.is_object()) {
            return serde_json::from_value(inner.clone()).ok();
        }
        let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
        let known = [
            "message",
            "reason",
            "error",
            "error_description",
            "code",
            "status",
            "details",
        ];
        if !known.iter().any(|k| object.contains_key(*k)) {
            return None;
        }
        let code = object.get("code").and_then(Value::as_i64).or_else(|| {
            object
                .get("status_code")
                .or_else(|| object.get("status"))
                .and_then(Value::as_i64)
        });
        // A string `code` (Yoti style, e.g. "INVALID_REQUEST") is a reason.
        let reason = text("reason").or_else(|| text("error")).or_else(|| text("code"));
        let message = text("message").or_else(|| text("error_description"));
        let details = object.get("details").or_else(|| object.get("errors")).cloned();
        Some(GenericError {
            code,
            status: text("status"),
            reason,
            message,
            details,
            id: text("id"),
            request: text("request").or_else(|| text("request_id")),
            debug: None,
            extra: Map::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nullable_keeps_null_absent_and_value_apart() {
        #[derive(Serialize, Deserialize)]
        struct T {
            #[serde(default, skip_serializing_if = "Nullable::is_absent")]
            a: Nullable<Value>,
        }
        for text in [r#"{}"#, r#"{"a":null}"#, r#"{"a":{"x":1}}"#] {
            let t: T = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&t).unwrap(), text);
        }
    }

    #[test]
    fn redaction_hides_credential_secrets_only() {
        let mut body = json!({
            "traits": {"password": "visible-trait"},
            "credentials": {
                "password": {"config": {"password": "hunter2", "hashed_password": "$2a$10$x"}},
                "oidc": {"config": {"providers": [{"provider": "g", "subject": "s", "initial_id_token": "tok"}]}}
            }
        });
        redact_secrets(&mut body);
        let text = body.to_string();
        assert!(!text.contains("hunter2") && !text.contains("$2a$10$x") && !text.contains("tok\""));
        assert!(text.contains("visible-trait"));
        assert_eq!(body["credentials"]["oidc"]["config"]["providers"][0]["subject"], "s");
    }

    #[test]
    fn flat_error_bodies_are_understood() {
        let err = GenericError::from_body(br#"{"code":"INVALID_ISSUANCE_TOKEN","message":"token expired"}"#).unwrap();
        assert_eq!(err.reason.as_deref(), Some("INVALID_ISSUANCE_TOKEN"));
        assert_eq!(err.message.as_deref(), Some("token expired"));
        assert!(GenericError::from_body(br#"{"items":[]}"#).is_none());
        assert!(GenericError::from_body(b"<html>").is_none());
    }
}
