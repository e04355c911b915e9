//! The identity as the demo server stores it, and its JSON forms as Kratos's
//! admin API writes them (field order, omitted fields, credential configs).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// A point in time written the way Go's `time.Time` marshals it (RFC 3339,
/// fractional seconds without trailing zeros, `Z`), so clients that compare
/// timestamps as strings see what Kratos would send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    pub fn now() -> Self {
        Self(Utc::now())
    }

    /// The instant as the database hands it back: SQL timestamps keep
    /// microseconds, and the Go drivers Kratos uses drop the rest.
    pub fn micros(self) -> Self {
        use chrono::Timelike as _;
        let nanos = self.0.nanosecond();
        Self(self.0.with_nanosecond(nanos - nanos % 1_000).unwrap_or(self.0))
    }

    /// This instant as `source` shows it.
    fn seen(self, source: Source) -> Self {
        match source {
            Source::Database => self.micros(),
            Source::Memory => self,
        }
    }
}

/// Where an answer's identity comes from, which decides precision and order.
///
/// Kratos answers GET and list with what it just read from SQL (microsecond
/// timestamps; addresses `ORDER BY id`, `persistence/sql/identity/
/// persister_identity.go` `HydrateIdentityAssociations` and `ListIdentities`),
/// but answers a PUT with the struct it just wrote (`identity/handler.go`
/// `update`: `WithCredentialsNoConfigAndAdminMetadataInJSON(*identity)`), whose
/// `state_changed_at` is a fresh `time.Now()` in nanoseconds and whose
/// addresses are in the order the update produced them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Read back from the database: GET and list.
    Database,
    /// The identity as held in memory after a write: the PUT answer.
    Memory,
}

impl fmt::Display for Timestamp {
    // Hand-rolled rather than chrono's `format`, which re-parses its pattern on
    // every call: a list page writes thousands of timestamps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::{Datelike as _, Timelike as _};
        let t = &self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )?;
        let mut nanos = t.timestamp_subsec_nanos();
        if nanos != 0 {
            let mut width = 9;
            while nanos.is_multiple_of(10) {
                nanos /= 10;
                width -= 1;
            }
            write!(f, ".{nanos:0width$}")?;
        }
        f.write_str("Z")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Self(t.with_timezone(&Utc)))
            .map_err(|e| serde::de::Error::custom(format!("timestamp {text:?}: {e}")))
    }
}

/// One credential (password, oidc, code, ...). `config` holds secrets (password
/// hashes, OIDC tokens) and is only written out when a client asks for the type
/// with `include_credential`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub identifiers: Vec<String>,
    #[serde(default = "empty_object")]
    pub config: Value,
    #[serde(default)]
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// An address that can be verified (e-mail or SMS).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerifiableAddress {
    pub id: Uuid,
    pub value: String,
    pub verified: bool,
    pub via: String,
    pub status: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<Timestamp>,
}

/// An address the identity can recover its account with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecoveryAddress {
    pub id: Uuid,
    pub value: String,
    pub via: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A stored identity with every credential config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub id: Uuid,
    #[serde(default)]
    pub credentials: BTreeMap<String, Credential>,
    pub schema_id: String,
    pub state: String,
    #[serde(default)]
    pub state_changed_at: Option<Timestamp>,
    pub traits: Value,
    #[serde(default)]
    pub verifiable_addresses: Vec<VerifiableAddress>,
    #[serde(default)]
    pub recovery_addresses: Vec<RecoveryAddress>,
    #[serde(default)]
    pub metadata_public: Value,
    #[serde(default)]
    pub metadata_admin: Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl Identity {
    /// Every credential identifier, with duplicates across types removed: the keys
    /// that must be unique across identities.
    pub fn all_identifiers(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for credential in self.credentials.values() {
            for identifier in &credential.identifiers {
                if !out.contains(&identifier.as_str()) {
                    out.push(identifier);
                }
            }
        }
        out
    }

    /// Whether a credential identifier of this identity starts with
    /// `prefix` as Kratos's `preview_credentials_identifier_similar` reads
    /// it (`persistence/sql/identity/persister_identity.go`
    /// `ListIdentities`: `identifier LIKE <escaped prefix>%`, so `%` and
    /// `_` are literal). Password, code and WebAuthn identifiers are stored
    /// lower-cased and compared with the pattern lower-cased and trimmed
    /// (`NormalizeIdentifier`, applied after the `%` is appended, so only
    /// leading space goes); OIDC and SAML identifiers (`provider:subject`)
    /// with the prefix as sent, case and all (PostgreSQL's `LIKE`). Other
    /// credential types are not searched. (v1.3.1 searches OIDC but not
    /// SAML in the second group; the demo seeds no SAML credential.)
    pub fn has_identifier_prefix(&self, prefix: &str) -> bool {
        let folded = prefix.trim_start().to_lowercase();
        self.credentials.values().any(|credential| {
            let wanted = match credential.kind.as_str() {
                "password" | "code" | "webauthn" => folded.as_str(),
                "oidc" | "saml" => prefix,
                _ => return false,
            };
            credential
                .identifiers
                .iter()
                .any(|identifier| identifier.starts_with(wanted))
        })
    }

    /// The Yoti attribute issuance token some demo identities carry at
    /// `metadata_admin.yoti.issuance_token`.
    pub fn issuance_token(&self) -> Option<&str> {
        self.metadata_admin
            .get("yoti")?
            .get("issuance_token")?
            .as_str()
            .filter(|token| !token.is_empty())
    }
}

/// Which credentials a response shows, following Kratos's handlers.
#[derive(Clone, Copy, Debug)]
pub enum CredentialsView<'a> {
    /// No `credentials` key (plain list).
    Omit,
    /// Every type, no `config` (get by id, PUT answer, identifier search).
    WithoutConfig,
    /// Every type, `config` only for the named types (`include_credential`).
    Declassify(&'a [String]),
}

/// An identity written as Kratos's admin API writes it.
pub struct IdentityJson<'a> {
    pub identity: &'a Identity,
    pub credentials: CredentialsView<'a>,
    /// `{public base}/schemas/{base64url(schema_id)}`.
    pub schema_url: &'a str,
    /// Database view (GET, list) or memory view (PUT answer).
    pub source: Source,
    /// Whether to write `external_id` (Kratos v25+ has it, v1.3 does not).
    pub external_id: bool,
}

/// A timestamp as `source` shows it.
struct At(Timestamp, Source);

impl Serialize for At {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.seen(self.1).serialize(serializer)
    }
}

/// An address as `source` shows it.
struct Shown<'a, T>(&'a T, Source);

/// What ordering addresses by id needs.
trait HasId {
    fn id(&self) -> Uuid;
}

impl HasId for VerifiableAddress {
    fn id(&self) -> Uuid {
        self.id
    }
}

impl HasId for RecoveryAddress {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// Field order of Kratos's `VerifiableAddress` (`identity/identity_verification.go`).
impl Serialize for Shown<'_, VerifiableAddress> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (a, source) = (self.0, self.1);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &a.id)?;
        map.serialize_entry("value", &a.value)?;
        map.serialize_entry("verified", &a.verified)?;
        map.serialize_entry("via", &a.via)?;
        map.serialize_entry("status", &a.status)?;
        if let Some(at) = a.verified_at {
            map.serialize_entry("verified_at", &At(at, source))?;
        }
        map.serialize_entry("created_at", &At(a.created_at, source))?;
        map.serialize_entry("updated_at", &At(a.updated_at, source))?;
        map.end()
    }
}

/// Field order of Kratos's `RecoveryAddress` (`identity/identity_recovery.go`).
impl Serialize for Shown<'_, RecoveryAddress> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (a, source) = (self.0, self.1);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &a.id)?;
        map.serialize_entry("value", &a.value)?;
        map.serialize_entry("via", &a.via)?;
        map.serialize_entry("created_at", &At(a.created_at, source))?;
        map.serialize_entry("updated_at", &At(a.updated_at, source))?;
        map.end()
    }
}

/// A list of addresses: by id when read from the database, as held otherwise.
struct AddressesJson<'a, T> {
    list: &'a [T],
    source: Source,
}

impl<T: HasId> Serialize for AddressesJson<'_, T>
where
    for<'b> Shown<'b, T>: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut items: Vec<&T> = self.list.iter().collect();
        if self.source == Source::Database {
            items.sort_by_key(|a| a.id());
        }
        let mut seq = serializer.serialize_seq(Some(items.len()))?;
        for item in items {
            seq.serialize_element(&Shown(item, self.source))?;
        }
        seq.end()
    }
}

struct CredentialJson<'a> {
    credential: &'a Credential,
    with_config: bool,
    source: Source,
}

impl Serialize for CredentialJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let c = self.credential;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", &c.kind)?;
        map.serialize_entry("identifiers", &c.identifiers)?;
        if self.with_config {
            map.serialize_entry("config", &c.config)?;
        }
        map.serialize_entry("version", &c.version)?;
        map.serialize_entry("created_at", &At(c.created_at, self.source))?;
        map.serialize_entry("updated_at", &At(c.updated_at, self.source))?;
        map.end()
    }
}

struct CredentialsJson<'a> {
    credentials: &'a BTreeMap<String, Credential>,
    include: Option<&'a [String]>,
    source: Source,
}

impl Serialize for CredentialsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.credentials.len()))?;
        for (kind, credential) in self.credentials {
            let with_config = self.include.is_some_and(|types| types.iter().any(|t| t == kind));
            map.serialize_entry(
                kind,
                &CredentialJson {
                    credential,
                    with_config,
                    source: self.source,
                },
            )?;
        }
        map.end()
    }
}

impl Serialize for IdentityJson<'_> {
    // Field order of Kratos's `identity.Identity` (`identity/identity.go`):
    // `external_id` sits right after `id` in v25+.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let i = self.identity;
        let source = self.source;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &i.id)?;
        if self.external_id
            && let Some(external_id) = &i.external_id
        {
            map.serialize_entry("external_id", external_id)?;
        }
        let include = match self.credentials {
            CredentialsView::Omit => None,
            CredentialsView::WithoutConfig => Some(None),
            CredentialsView::Declassify(types) => Some(Some(types)),
        };
        // Kratos omits an empty credentials map (`omitempty`).
        if let Some(include) = include
            && !i.credentials.is_empty()
        {
            map.serialize_entry(
                "credentials",
                &CredentialsJson {
                    credentials: &i.credentials,
                    include,
                    source,
                },
            )?;
        }
        map.serialize_entry("schema_id", &i.schema_id)?;
        map.serialize_entry("schema_url", self.schema_url)?;
        map.serialize_entry("state", &i.state)?;
        if let Some(changed) = i.state_changed_at {
            map.serialize_entry("state_changed_at", &At(changed, source))?;
        }
        map.serialize_entry("traits", &i.traits)?;
        if !i.verifiable_addresses.is_empty() {
            map.serialize_entry(
                "verifiable_addresses",
                &AddressesJson {
                    list: &i.verifiable_addresses,
                    source,
                },
            )?;
        }
        if !i.recovery_addresses.is_empty() {
            map.serialize_entry(
                "recovery_addresses",
                &AddressesJson {
                    list: &i.recovery_addresses,
                    source,
                },
            )?;
        }
        map.serialize_entry("metadata_public", &i.metadata_public)?;
        map.serialize_entry("metadata_admin", &i.metadata_admin)?;
        map.serialize_entry("created_at", &At(i.created_at, source))?;
        map.serialize_entry("updated_at", &At(i.updated_at, source))?;
        map.serialize_entry("organization_id", &i.organization_id)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_trim_trailing_zeros_like_go() {
        let base = Utc.with_ymd_and_hms(2024, 2, 3, 4, 5, 6).single();
        let Some(base) = base else { panic!("valid date") };
        assert_eq!(Timestamp(base).to_string(), "2024-02-03T04:05:06Z");
        let with_millis = base + chrono::Duration::milliseconds(120);
        assert_eq!(Timestamp(with_millis).to_string(), "2024-02-03T04:05:06.12Z");
    }

    fn at(nanos: u32) -> Timestamp {
        let Some(base) = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).single() else {
            panic!("valid date")
        };
        Timestamp(base + chrono::Duration::nanoseconds(i64::from(nanos)))
    }

    fn address(id: u128, value: &str, created: Timestamp) -> VerifiableAddress {
        VerifiableAddress {
            id: Uuid::from_u128(id),
            value: value.to_owned(),
            verified: false,
            via: "email".to_owned(),
            status: "pending".to_owned(),
            created_at: created,
            updated_at: created,
            verified_at: None,
        }
    }

    #[test]
    fn micros_cut_nanoseconds_like_the_database() {
        assert_eq!(at(123_456_789).to_string(), "2026-12-07T12:00:00.123456789Z");
        assert_eq!(at(123_456_789).micros().to_string(), "2026-12-07T12:00:00.123456Z");
        assert_eq!(at(999).micros().to_string(), "2026-12-07T12:00:00Z");
    }

    #[test]
    fn memory_view_keeps_order_and_nanoseconds_database_view_sorts_and_cuts() {
        let identity = Identity {
            id: Uuid::from_u128(1),
            credentials: BTreeMap::new(),
            schema_id: "email-password".to_owned(),
            state: "active".to_owned(),
            state_changed_at: Some(at(123_456_789)),
            traits: serde_json::json!({}),
            // Kept (high id) first, new (low id) after, as a PUT leaves them.
            verifiable_addresses: vec![address(9, "kept@x", at(0)), address(2, "new@x", at(5_000_001))],
            recovery_addresses: Vec::new(),
            metadata_public: Value::Null,
            metadata_admin: Value::Null,
            created_at: at(0),
            updated_at: at(1_000),
            organization_id: None,
            external_id: Some("crm-1".to_owned()),
        };
        let render = |source, external_id| {
            let json = IdentityJson {
                identity: &identity,
                credentials: CredentialsView::Omit,
                schema_url: "http://public/schemas/x",
                source,
                external_id,
            };
            serde_json::to_value(&json).unwrap_or_default()
        };
        let memory = render(Source::Memory, true);
        assert_eq!(memory["state_changed_at"], "2026-12-07T12:00:00.123456789Z");
        assert_eq!(memory["verifiable_addresses"][0]["value"], "kept@x");
        assert_eq!(
            memory["verifiable_addresses"][1]["created_at"],
            "2026-12-07T12:00:00.005000001Z"
        );
        let keys: Vec<&String> = memory.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        assert_eq!(keys[..2], ["id", "external_id"], "external_id follows id as in Kratos");

        let database = render(Source::Database, false);
        assert_eq!(database["state_changed_at"], "2026-12-07T12:00:00.123456Z");
        assert_eq!(database["verifiable_addresses"][0]["value"], "new@x");
        assert_eq!(
            database["verifiable_addresses"][0]["created_at"],
            "2026-12-07T12:00:00.005Z"
        );
        assert_eq!(database["updated_at"], "2026-12-07T12:00:00.000001Z");
        assert!(database.get("external_id").is_none());
    }
}
