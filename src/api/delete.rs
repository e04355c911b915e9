//! Deleting an identity: `DELETE {identities_path}/{id}` (Kratos's
//! `identity/handler.go` `delete`, the same at v1.3.1, v25.4.0 and v26.2.0).
//!
//! - 204 with no body: the identity is gone, and with it everything Kratos
//!   keeps for it (credentials, addresses, sessions: the database's cascading
//!   foreign keys under `persistence/sql/identity/persister_identity.go`
//!   `DeleteIdentity`). There is no undo.
//! - 404 in Kratos's envelope with sqlcon's "Unable to locate the resource"
//!   when no such identity exists (`DeleteIdentity` deleted no row):
//!   [`Deleted::AlreadyGone`], so a retry after a lost answer, or a second
//!   admin deleting the same person, is not an error. Any other 404 (a
//!   gateway without the route, another message) is an error.
//!
//! A write: refused on a read-only profile before anything is signed.
//!
//! Also here, pure, for the command and the console alike: what a delete
//! loses, read from the identity as the server sent it ([`snapshot`], its
//! credentials as types and identifiers: [`credential_entries`]), the audit
//! lines that record it ([`snapshot_changes`]), and what changed between the
//! review and the re-read just before sending ([`changed_since`]).

use serde_json::{Map, Value, json};

use super::client::{Client, PreparedRequest, success};
use super::error::ApiError;
use super::exchange::Response;
use crate::diff::{self, Change};

/// sqlcon's message for a missing row: Kratos's answer for an unknown id.
const NO_ROWS_MESSAGE: &str = "Unable to locate the resource";

/// What a delete found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// 204: this request deleted the identity.
    Deleted,
    /// Kratos's 404 for an unknown id: nothing was there to delete (already
    /// deleted, or never existed).
    AlreadyGone,
}

impl Deleted {
    /// A word for audit outcomes and results files.
    pub fn as_str(self) -> &'static str {
        match self {
            Deleted::Deleted => "deleted",
            Deleted::AlreadyGone => "already_gone",
        }
    }
}

impl Client {
    /// The signed `DELETE {identities_path}/{id}`, without sending it;
    /// refused for a read-only profile before anything is signed.
    pub fn prepare_delete_identity(&self, id: &str) -> Result<PreparedRequest, ApiError> {
        self.refuse_if_read_only()?;
        let endpoint = self.identity_endpoint(id)?;
        self.prepare(self.base_url(), "DELETE", &endpoint, &[], None)
    }

    /// Sends a request made by [`Client::prepare_delete_identity`]: whether
    /// it deleted the identity or found it gone.
    pub async fn send_delete_identity(&self, prepared: &PreparedRequest) -> Result<Deleted, ApiError> {
        Ok(self.send_delete_identity_exchange(prepared).await?.value)
    }

    /// [`Client::send_delete_identity`] with the exchange, for the response
    /// view and the audit trail.
    pub async fn send_delete_identity_exchange(
        &self,
        prepared: &PreparedRequest,
    ) -> Result<Response<Deleted>, ApiError> {
        let exchange = self.execute(prepared).await?;
        let gone = exchange.status == 404
            && exchange
                .error()
                .is_some_and(|e| e.message.as_deref() == Some(NO_ROWS_MESSAGE));
        if gone {
            return Ok(Response {
                value: Deleted::AlreadyGone,
                exchange,
            });
        }
        let exchange = success(exchange)?;
        Ok(Response {
            value: Deleted::Deleted,
            exchange,
        })
    }

    /// Deletes the identity (prepare and send).
    pub async fn delete_identity(&self, id: &str) -> Result<Deleted, ApiError> {
        let prepared = self.prepare_delete_identity(id)?;
        self.send_delete_identity(&prepared).await
    }
}

/// One credential of the identity as a delete review lists it: its type and
/// its identifiers (never its config: that is where secrets live).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialEntry {
    /// `password`, `oidc`, `totp`, `webauthn`, ...
    pub kind: String,
    /// What it signs in with (`ada@example.com`, `google:1234`); empty for
    /// credentials without identifiers (TOTP, lookup secrets).
    pub identifiers: Vec<String>,
}

/// The identity's credentials, by type in the server's order, with their
/// identifiers (the `credentials` map of a GET; Kratos's admin GET leaves
/// secrets out of the configs, and this reads no config at all).
pub fn credential_entries(raw: &Value) -> Vec<CredentialEntry> {
    let Some(map) = raw.get("credentials").and_then(Value::as_object) else {
        return Vec::new();
    };
    map.iter()
        .map(|(kind, credential)| CredentialEntry {
            kind: credential
                .get("type")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .unwrap_or(kind)
                .to_owned(),
            identifiers: credential
                .get("identifiers")
                .and_then(Value::as_array)
                .map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// Members of an identity a delete snapshot keeps, in this order.
const SNAPSHOT_MEMBERS: &[&str] = &[
    "schema_id",
    "state",
    "traits",
    "metadata_public",
    "metadata_admin",
    "external_id",
    "created_at",
];

/// What a delete takes away, as a document for the audit trail and the
/// lost-update check: the schema, state, traits, both metadata, the external
/// id and when it was created, and the credentials as `[{"type",
/// "identifiers"}]`; no credential config, and every secret-looking member
/// redacted ([`crate::diff::redact_value`]). Members the server did not send
/// are left out.
pub fn snapshot(raw: &Value) -> Value {
    let mut doc = Map::new();
    for member in SNAPSHOT_MEMBERS {
        if let Some(value) = raw.get(*member) {
            doc.insert((*member).to_owned(), value.clone());
        }
    }
    let credentials: Vec<Value> = credential_entries(raw)
        .into_iter()
        .map(|c| json!({"type": c.kind, "identifiers": c.identifiers}))
        .collect();
    doc.insert("credentials".to_owned(), Value::Array(credentials));
    diff::redact_value("", Value::Object(doc))
}

/// The audit lines of a delete: one removal per member of the snapshot, down
/// to single values (`- /traits/email: "ada@example.com"`), one per
/// credential (`- /credentials/0: {"type":"password","identifiers":[…]}`),
/// lists of values whole; and `/sessions` with the ids of the sessions that
/// go too, when they were read. `idcon audit` prints them as they are.
pub fn snapshot_changes(snapshot: &Value, session_ids: Option<&[String]>) -> Vec<Change> {
    fn walk(pointer: String, value: &Value, out: &mut Vec<Change>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (key, child) in map {
                    walk(format!("{pointer}/{}", diff::escape_token(key)), child, out);
                }
            }
            Value::Array(items) if pointer == "/credentials" => {
                for (index, item) in items.iter().enumerate() {
                    out.push(removed(format!("{pointer}/{index}"), item.clone()));
                }
            }
            other => out.push(removed(pointer, other.clone())),
        }
    }
    fn removed(pointer: String, old: Value) -> Change {
        Change {
            pointer,
            old: Some(old),
            new: None,
        }
    }
    let mut changes = Vec::new();
    walk(String::new(), snapshot, &mut changes);
    if let Some(ids) = session_ids {
        changes.push(removed("/sessions".to_owned(), json!(ids)));
    }
    diff::redacted(changes)
}

/// What changed between two snapshots (the review's and the re-read's),
/// secrets redacted; empty when the delete would lose what was reviewed.
pub fn changed_since(reviewed: &Value, latest: &Value) -> Vec<Change> {
    diff::redacted(diff::diff(reviewed, latest))
}

/// What the user types to confirm a delete: the identity's primary
/// identifier, or its id when it has none.
pub fn confirmation_text<'a>(identifier: Option<&'a str>, id: &'a str) -> &'a str {
    identifier.filter(|i| !i.trim().is_empty()).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Value {
        json!({
            "id": "6762b34f-4e26-4a8e-a032-35a1e58e1b1c",
            "schema_id": "person",
            "state": "active",
            "traits": {"email": "ada@example.com", "name": {"first": "Ada", "last": "Lovelace"}, "password": "x"},
            "metadata_public": null,
            "metadata_admin": {"ticket": "SUP-1", "access_token": "s3cret"},
            "credentials": {
                "password": {"type": "password", "identifiers": ["ada@example.com"],
                             "config": {"hashed_password": "$2a$10$abcdefghijklmnopqrstuv"}},
                "oidc": {"type": "oidc", "identifiers": ["google:1234"],
                         "config": {"providers": [{"provider": "google", "subject": "1234", "initial_access_token": "tok-secret"}]}},
                "totp": {"type": "totp", "identifiers": [], "config": {"totp_url": "otpauth://totp/x?secret=ABC"}}
            },
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-02-01T00:00:00Z",
            "verifiable_addresses": [{"value": "ada@example.com"}]
        })
    }

    #[test]
    fn credentials_are_types_and_identifiers_only() {
        let entries = credential_entries(&identity());
        let kinds: Vec<&str> = entries.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, ["password", "oidc", "totp"], "in the server's order");
        assert_eq!(entries[0].identifiers, ["ada@example.com"]);
        assert_eq!(entries[1].identifiers, ["google:1234"]);
        assert!(entries[2].identifiers.is_empty());
    }

    #[test]
    fn the_snapshot_keeps_what_is_lost_and_no_secret() {
        let snapshot = snapshot(&identity());
        let text = snapshot.to_string();
        for secret in ["$2a$10$", "tok-secret", "otpauth", "s3cret", "hashed_password"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(snapshot["traits"]["email"], "ada@example.com");
        assert_eq!(snapshot["traits"]["password"], diff::REDACTED);
        assert_eq!(snapshot["metadata_admin"]["ticket"], "SUP-1");
        assert_eq!(snapshot["state"], "active");
        assert_eq!(
            snapshot["credentials"][0],
            json!({"type": "password", "identifiers": ["ada@example.com"]})
        );
        assert!(snapshot.get("updated_at").is_none(), "not something a delete loses");
        assert!(
            snapshot.get("verifiable_addresses").is_none(),
            "derived from the traits"
        );
    }

    #[test]
    fn the_audit_lines_are_one_removal_per_value_and_per_credential() {
        let ids = vec!["s1".to_owned(), "s2".to_owned()];
        let changes = snapshot_changes(&snapshot(&identity()), Some(&ids));
        let pointers: Vec<&str> = changes.iter().map(|c| c.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/schema_id",
                "/state",
                "/traits/email",
                "/traits/name/first",
                "/traits/name/last",
                "/traits/password",
                "/metadata_public",
                "/metadata_admin/ticket",
                "/metadata_admin/access_token",
                "/created_at",
                "/credentials/0",
                "/credentials/1",
                "/credentials/2",
                "/sessions",
            ]
        );
        assert!(changes.iter().all(|c| c.new.is_none()));
        // The trail keeps credential identifiers (their pointer is no secret's).
        assert_eq!(
            changes[10].old,
            Some(json!({"type": "password", "identifiers": ["ada@example.com"]}))
        );
        assert_eq!(changes[8].old, Some(json!(diff::REDACTED)));
        assert_eq!(changes[13].old, Some(json!(["s1", "s2"])));
    }

    #[test]
    fn a_change_between_review_and_send_is_named() {
        let before = snapshot(&identity());
        let mut raw = identity();
        raw["traits"]["email"] = json!("ada@elsewhere.example");
        raw["updated_at"] = json!("2024-03-01T00:00:00Z");
        let after = snapshot(&raw);
        let changes = changed_since(&before, &after);
        let pointers: Vec<&str> = changes.iter().map(|c| c.pointer.as_str()).collect();
        assert_eq!(pointers, ["/traits/email"]);
        let mut touched = identity();
        touched["updated_at"] = json!("2024-03-01T00:00:00Z");
        assert!(changed_since(&before, &snapshot(&touched)).is_empty());
    }

    #[test]
    fn the_confirmation_is_the_identifier_or_else_the_id() {
        assert_eq!(confirmation_text(Some("ada@example.com"), "id-1"), "ada@example.com");
        assert_eq!(confirmation_text(None, "id-1"), "id-1");
        assert_eq!(confirmation_text(Some("  "), "id-1"), "id-1");
    }
}
