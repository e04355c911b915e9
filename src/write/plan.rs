//! Planning a write: pure, no I/O, no clock, no network, so the console's
//! `app` layer can call every function here from `update` and tests can run
//! it without a server.
//!
//! - [`plan()`] an [`Edit`] on a [`Snapshot`]: the complete `updateIdentityBody`
//!   built from the identity as the server sent it with only the edited parts
//!   changed (Kratos's PUT replaces: an omitted `metadata_*` or `external_id`
//!   would be erased), never the GET's `credentials` (echoing them breaks the
//!   PUT), and a field-level diff with secrets redacted for review and audit.
//! - [`compare`] a newer read with the snapshot a write was planned on (the
//!   freshness decision), and [`rebase`] the edit onto it, or name the members
//!   both sides changed.
//! - [`verify`](super::verify()) what the server's answer kept of the body.
//!
//! Sending (fresh GET, signed PUT, audit lines) is in [`super::send`](mod@super::send).

use serde_json::{Map, Value};

use crate::api::{ApiError, CredentialsImport, Identity, IdentityState, Nullable, Response, UpdateIdentityBody};
use crate::audit::AuditError;
use crate::diff::{self, Change};

/// Top-level members of `updateIdentityBody` a person may change.
const EDITABLE_MEMBERS: &[&str] = &[
    "schema_id",
    "state",
    "traits",
    "metadata_public",
    "metadata_admin",
    "external_id",
    "region",
];

/// Members of an identity that the server sets and a PUT cannot change.
const READ_ONLY_MEMBERS: &[&str] = &[
    "id",
    "schema_url",
    "state_changed_at",
    "verifiable_addresses",
    "recovery_addresses",
    "created_at",
    "updated_at",
    "organization_id",
];

/// An identity as fetched: the parsed model and the JSON exactly as the
/// server sent it. The model builds the body; the raw JSON is what the
/// lost-update check compares, so that a change in any member, also one idcon
/// does not model, is noticed.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub identity: Identity,
    pub raw: Value,
}

impl Snapshot {
    /// From a GET (or PUT) answer: the raw JSON is the answer's body.
    pub fn from_response(response: &Response<Identity>) -> Snapshot {
        let raw = response
            .exchange
            .body_json()
            .filter(Value::is_object)
            .unwrap_or_else(|| model_json(&response.value));
        Snapshot {
            identity: response.value.clone(),
            raw,
        }
    }

    /// From the JSON a server sent (the console keeps it for the raw view).
    pub fn from_raw(raw: Value) -> Result<Snapshot, serde_json::Error> {
        let identity = serde_json::from_value(raw.clone())?;
        Ok(Snapshot { identity, raw })
    }

    /// From a model alone (the raw JSON is the model serialised, which keeps
    /// unknown members and null-versus-absent).
    pub fn from_identity(identity: Identity) -> Snapshot {
        let raw = model_json(&identity);
        Snapshot { identity, raw }
    }

    pub fn id(&self) -> &str {
        &self.identity.id
    }

    /// `updated_at` as the server wrote it.
    pub fn updated_at(&self) -> Option<&str> {
        self.identity.updated_at.get().map(String::as_str)
    }
}

fn model_json(identity: &Identity) -> Value {
    // Serialising a model of strings, maps and JSON values cannot fail.
    serde_json::to_value(identity).unwrap_or(Value::Null)
}

/// What a person wants to change, relative to the identity they looked at.
/// Every `None` leaves that part exactly as the server has it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Edit {
    /// The whole traits object.
    pub traits: Option<Value>,
    /// `active` or `inactive`.
    pub state: Option<IdentityState>,
    /// Any JSON value; `Some(Value::Null)` sets it to null.
    pub metadata_public: Option<Value>,
    /// Any JSON value; `Some(Value::Null)` sets it to null.
    pub metadata_admin: Option<Value>,
    pub schema_id: Option<String>,
    /// `Some(None)` removes the external id.
    pub external_id: Option<Option<String>>,
    /// Single members, as JSON pointers into the body (`/traits/name/first`,
    /// `/metadata_admin/ticket`), applied after the whole-field edits.
    /// Missing parent objects (also `null` ones) are created.
    pub set: Vec<(String, Value)>,
    /// A password or OIDC import. Its secrets never reach the diff, the audit
    /// trail or an error message; a caller saving drafts must leave this out.
    pub credentials: Option<CredentialsImport>,
}

impl Edit {
    /// True when the edit asks for nothing at all.
    pub fn is_empty(&self) -> bool {
        self.traits.is_none()
            && self.state.is_none()
            && self.metadata_public.is_none()
            && self.metadata_admin.is_none()
            && self.schema_id.is_none()
            && self.external_id.is_none()
            && self.set.is_empty()
            && self.credentials.is_none()
    }
}

/// A write ready for review: the body that will be sent and what it changes.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedWrite {
    pub identity_id: String,
    /// The identity the body was built from.
    pub base: Snapshot,
    /// The complete body, credentials (for an import) included.
    pub body: UpdateIdentityBody,
    /// Old body → new body, secrets redacted: what the reviewer confirms and
    /// what the audit trail records.
    pub changes: Vec<Change>,
    /// Who the identity is, in words a person recognises: its primary
    /// identifier ([`crate::who`]), from the traits [`plan()`] read, without
    /// the schema's hints; [`PlannedWrite::with_identifier_hints`] uses them.
    /// Shown where the write is confirmed and recorded as the audit lines'
    /// `identifier`.
    pub identifier: Option<String>,
    /// Why the write is made (a ticket), as
    /// [`check_reason`](super::reason::check_reason) returned it; recorded as
    /// the audit lines' `why`. `None` until the caller sets it
    /// ([`PlannedWrite::with_reason`]); [`rebase`] carries it over.
    pub reason: Option<String>,
}

impl PlannedWrite {
    /// This write with the user's reason (already checked by
    /// [`check_reason`](super::reason::check_reason)).
    pub fn with_reason(mut self, reason: Option<String>) -> PlannedWrite {
        self.reason = reason;
        self
    }

    /// This write naming its identity by the schema's credential identifier
    /// (`hints` from [`crate::who::IdentifierHints::from_schema`]).
    pub fn with_identifier_hints(mut self, hints: &crate::who::IdentifierHints) -> PlannedWrite {
        self.identifier = crate::who::primary_identifier(&self.base.identity.traits, Some(hints));
        self
    }

    /// The identity's display name ([`crate::who::display_name`]) from the
    /// traits the write was planned on, raw: sanitise it before drawing.
    pub fn display_name(&self) -> Option<String> {
        crate::who::display_name(&self.base.identity.traits)
    }

    /// True when sending would change nothing.
    pub fn is_noop(&self) -> bool {
        self.changes.is_empty()
    }

    /// What the reviewer should know before sending, though it is no reason
    /// to refuse: an imported hash whose costs newer Kratos refuses
    /// (`hash/hash_limits.go`), or one idcon finds odd but Kratos verifies.
    /// Never holds the hash itself.
    pub fn warnings(&self) -> Vec<String> {
        self.body
            .credentials
            .as_ref()
            .and_then(|credentials| credentials.password.as_ref())
            .and_then(|password| password.config.hashed_password.as_deref())
            .map(crate::hashes::import_warnings)
            .unwrap_or_default()
    }

    /// The body to send, with credential secrets replaced by `<redacted>`,
    /// for display.
    pub fn display_body(&self) -> Value {
        let mut json = serde_json::to_value(&self.body).unwrap_or(Value::Null);
        crate::api::models::redact_secrets(&mut json);
        json
    }
}

/// Why a write was not planned or not sent. Messages are one line and never
/// hold a password or hash.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The edit cannot make a valid body (bad pointer, wrong type, a hash in
    /// no format Kratos imports, ...). Nothing was sent.
    #[error("{0}")]
    InvalidEdit(String),
    #[error("profile \"{profile}\" is read-only: nothing was signed or sent")]
    ReadOnly { profile: String },
    /// Both the server (since the identity was read) and the edit changed
    /// these members differently. Nothing was sent.
    #[error(
        "the identity changed on the server since it was read, in the same places as this edit: {}; nothing was sent",
        pointers.join(", ")
    )]
    Conflict { pointers: Vec<String> },
    /// The intent could not be recorded, so the write was not sent.
    #[error("the write was not sent because the audit trail cannot record it: {0}")]
    Audit(#[from] AuditError),
    /// The request failed or the server refused it (boxed: it carries the
    /// whole exchange).
    #[error("{0}")]
    Api(Box<ApiError>),
}

impl From<ApiError> for WriteError {
    fn from(err: ApiError) -> Self {
        WriteError::Api(Box::new(err))
    }
}

/// Builds the body for `edit` on `base` and the diff a reviewer sees.
pub fn plan(base: &Snapshot, edit: &Edit) -> Result<PlannedWrite, WriteError> {
    let original = base_body(&base.identity);
    let original_json = to_json(&original)?;
    let mut doc = original_json.clone();
    apply_edit(&mut doc, edit, &base.identity)?;
    refuse_placeholders(&original_json, &doc)?;
    let mut body = body_from_json(doc, &original_json)?;
    if let Some(credentials) = &edit.credentials {
        let credentials = trimmed(credentials);
        check_credentials(&credentials, &base.identity)?;
        body.credentials = Some(credentials);
    }
    finish(base.clone(), body, &original_json)
}

/// Refuses an edit that would send a draft's stand-in for a secret
/// (`"<secret not saved>"`, `"<redacted N>"`): a restored draft whose secret
/// was not typed again must not overwrite the real one with the stand-in.
fn refuse_placeholders(original: &Value, edited: &Value) -> Result<(), WriteError> {
    for change in diff::diff(original, edited) {
        if let Some(pointer) = change
            .new
            .as_ref()
            .and_then(|value| placeholder_in(value, &change.pointer))
        {
            return Err(invalid(format!(
                "{} still holds a stand-in for a secret from a draft; type the secret again (or remove it)",
                crate::sanitize::for_display(&pointer)
            )));
        }
    }
    Ok(())
}

fn placeholder_in(value: &Value, pointer: &str) -> Option<String> {
    match value {
        Value::String(text) if crate::drafts::is_placeholder(text) => Some(pointer.to_owned()),
        Value::Object(members) => members
            .iter()
            .find_map(|(key, child)| placeholder_in(child, &format!("{pointer}/{}", diff::escape_token(key)))),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, child)| placeholder_in(child, &format!("{pointer}/{index}"))),
        _ => None,
    }
}

/// The import with OIDC provider and subject names trimmed, as they are
/// checked (a stray space would make another provider).
fn trimmed(credentials: &CredentialsImport) -> CredentialsImport {
    let mut credentials = credentials.clone();
    if let Some(oidc) = &mut credentials.oidc {
        for entry in &mut oidc.config.providers {
            entry.provider = entry.provider.trim().to_owned();
            entry.subject = entry.subject.trim().to_owned();
        }
    }
    credentials
}

/// True when an OIDC link of the import is on the identity already.
fn links_existing(credentials: &CredentialsImport, identity: &Identity) -> bool {
    let Some(oidc) = &credentials.oidc else {
        return false;
    };
    let linked = identity.oidc_links();
    oidc.config
        .providers
        .iter()
        .any(|entry| linked.iter().any(|(p, s)| *p == entry.provider && *s == entry.subject))
}

/// The body that changes nothing: [`UpdateIdentityBody::from_identity`], with
/// a `null` `external_id` or `region` left out (Kratos reads both the same,
/// and the spec allows only strings there).
fn base_body(identity: &Identity) -> UpdateIdentityBody {
    let mut body = UpdateIdentityBody::from_identity(identity);
    if matches!(body.external_id, Nullable::Null) {
        body.external_id = Nullable::Absent;
    }
    if matches!(body.region, Nullable::Null) {
        body.region = Nullable::Absent;
    }
    body
}

fn to_json(body: &UpdateIdentityBody) -> Result<Value, WriteError> {
    serde_json::to_value(body).map_err(|err| WriteError::InvalidEdit(format!("cannot encode the body: {err}")))
}

/// The planned write of `body` on `base`, with its redacted diff.
fn finish(base: Snapshot, body: UpdateIdentityBody, original_json: &Value) -> Result<PlannedWrite, WriteError> {
    let new_json = to_json(&body)?;
    let changes = diff::redacted(diff::diff(original_json, &new_json));
    let identifier = crate::who::primary_identifier(&base.identity.traits, None);
    Ok(PlannedWrite {
        identity_id: base.identity.id.clone(),
        base,
        body,
        changes,
        identifier,
        reason: None,
    })
}

fn invalid(message: impl Into<String>) -> WriteError {
    WriteError::InvalidEdit(message.into())
}

/// Applies the whole-field edits, then the pointer edits, to the body JSON.
fn apply_edit(doc: &mut Value, edit: &Edit, base: &Identity) -> Result<(), WriteError> {
    let Value::Object(members) = doc else {
        return Err(invalid("the body is not a JSON object"));
    };
    if let Some(traits) = &edit.traits {
        members.insert("traits".to_owned(), traits.clone());
    }
    if let Some(state) = &edit.state {
        members.insert("state".to_owned(), Value::String(state.as_str().to_owned()));
    }
    if let Some(value) = &edit.metadata_public {
        members.insert("metadata_public".to_owned(), value.clone());
    }
    if let Some(value) = &edit.metadata_admin {
        members.insert("metadata_admin".to_owned(), value.clone());
    }
    if let Some(schema_id) = &edit.schema_id {
        members.insert("schema_id".to_owned(), Value::String(schema_id.clone()));
    }
    match &edit.external_id {
        Some(Some(id)) => {
            members.insert("external_id".to_owned(), Value::String(id.clone()));
        }
        Some(None) => {
            members.shift_remove("external_id");
        }
        None => {}
    }
    for (pointer, value) in &edit.set {
        set_member(doc, pointer, value.clone(), base)?;
    }
    Ok(())
}

/// One `set`: checks that the pointer names something a PUT can change, then
/// sets it, creating missing or `null` parent objects.
fn set_member(doc: &mut Value, pointer: &str, value: Value, base: &Identity) -> Result<(), WriteError> {
    let shown = crate::sanitize::for_display(pointer);
    let tokens = diff::parse_pointer(pointer).map_err(|err| invalid(err.to_string()))?;
    let Some(first) = tokens.first() else {
        return Err(invalid(
            "the pointer \"\" is the whole identity: name a member, e.g. /traits/email or /metadata_admin/ticket",
        ));
    };
    if first == "credentials" {
        return Err(invalid(format!(
            "{shown}: credentials are not set member by member; import a password or link an OIDC provider instead"
        )));
    }
    if READ_ONLY_MEMBERS.contains(&first.as_str()) {
        return Err(invalid(format!(
            "{shown}: {first} is set by the server and cannot be changed; editable are {}",
            EDITABLE_MEMBERS.join(", ")
        )));
    }
    if !EDITABLE_MEMBERS.contains(&first.as_str()) && !base.extra.contains_key(first) {
        return Err(invalid(format!(
            "{shown}: the identity has no member {:?}; editable are {}",
            crate::sanitize::for_display(first),
            EDITABLE_MEMBERS.join(", ")
        )));
    }
    // Removing the external id is leaving it out (null is not a string).
    let value = if tokens.len() == 1 && first == "external_id" && value.is_null() {
        None
    } else {
        Some(value)
    };
    force_set(doc, &tokens, value).map_err(|why| invalid(format!("{shown}: {why}")))
}

/// Sets (`Some`) or removes (`None`) the member at `tokens`, creating missing
/// or `null` parents as objects. An array element is addressed by an index
/// up to its length (the length or `-` appends).
fn force_set(doc: &mut Value, tokens: &[String], value: Option<Value>) -> Result<(), String> {
    let Some((last, parents)) = tokens.split_last() else {
        return Err("cannot replace the whole document".to_owned());
    };
    let mut current = doc;
    let mut path = String::new();
    for token in parents {
        path.push('/');
        path.push_str(&diff::escape_token(token));
        if current.is_null() {
            *current = Value::Object(Map::new());
        }
        current = match current {
            Value::Object(map) => map.entry(token.clone()).or_insert(Value::Null),
            Value::Array(items) => {
                let len = items.len();
                match array_index(token).filter(|&i| i < len) {
                    Some(i) => &mut items[i],
                    None => return Err(format!("{path} is past the end of an array of {len}")),
                }
            }
            other => return Err(format!("its parent holds {}, not an object", kind(other))),
        };
    }
    if current.is_null() && value.is_some() {
        *current = Value::Object(Map::new());
    }
    match (current, value) {
        (Value::Object(map), Some(value)) => {
            map.insert(last.clone(), value);
            Ok(())
        }
        (Value::Object(map), None) => {
            map.shift_remove(last);
            Ok(())
        }
        (Value::Array(items), value) => {
            let len = items.len();
            let index = if last == "-" { Some(len) } else { array_index(last) };
            match (index, value) {
                (Some(i), Some(value)) if i < len => {
                    items[i] = value;
                    Ok(())
                }
                (Some(i), Some(value)) if i == len => {
                    items.push(value);
                    Ok(())
                }
                (Some(i), None) if i < len => {
                    items.remove(i);
                    Ok(())
                }
                _ => Err(format!("index {last:?} does not fit an array of {len}")),
            }
        }
        (Value::Null, None) => Ok(()),
        (other, _) => Err(format!("its parent holds {}, not an object", kind(other))),
    }
}

fn array_index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if digits && (token == "0" || !token.starts_with('0')) {
        token.parse().ok()
    } else {
        None
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks the edited members' types (untouched ones are sent back as the
/// server gave them, whatever they hold) and decodes the body.
fn body_from_json(doc: Value, original: &Value) -> Result<UpdateIdentityBody, WriteError> {
    let changed = |member: &str| doc.get(member) != original.get(member);
    if changed("schema_id") {
        match doc.get("schema_id") {
            Some(Value::String(id)) if !id.trim().is_empty() => {}
            Some(Value::String(_)) => return Err(invalid("schema_id: the schema id is empty")),
            other => {
                return Err(invalid(format!(
                    "schema_id must be a string, not {}",
                    other.map_or("missing", kind)
                )));
            }
        }
    }
    if changed("state") {
        match doc.get("state") {
            Some(Value::String(state)) if state == "active" || state == "inactive" => {}
            Some(Value::String(state)) => {
                return Err(invalid(format!(
                    "state must be active or inactive, not {:?}",
                    crate::sanitize::for_display(state)
                )));
            }
            other => {
                return Err(invalid(format!(
                    "state must be active or inactive, not {}",
                    other.map_or("missing", kind)
                )));
            }
        }
    }
    if changed("traits") && !doc.get("traits").is_some_and(Value::is_object) {
        return Err(invalid(format!(
            "traits must be a JSON object, not {}",
            doc.get("traits").map_or("missing", kind)
        )));
    }
    for member in ["external_id", "region"] {
        if changed(member)
            && let Some(value) = doc.get(member)
            && !value.is_string()
        {
            return Err(invalid(format!("{member} must be a string, not {}", kind(value))));
        }
    }
    serde_json::from_value(doc).map_err(|err| invalid(format!("the edited body is not an identity update: {err}")))
}

/// Checks an import before it is sent: a password or a hash Kratos can use,
/// OIDC providers with both names and not linked already. Messages never hold
/// the password or hash.
pub(super) fn check_credentials(credentials: &CredentialsImport, base: &Identity) -> Result<(), WriteError> {
    if let Some(password) = &credentials.password {
        let config = &password.config;
        let plaintext = config.password.as_deref().filter(|p| !p.is_empty());
        let hashed = config.hashed_password.as_deref().filter(|h| !h.is_empty());
        match (plaintext, hashed) {
            (Some(_), Some(_)) => {
                return Err(invalid("give either a new password or a password hash, not both"));
            }
            (None, Some(hash)) => {
                crate::hashes::check_importable(hash)
                    .map_err(|why| invalid(format!("the password hash cannot be imported: {why}")))?;
            }
            (Some(_), None) => {}
            (None, None) if config.use_password_migration_hook == Some(true) => {}
            (None, None) => return Err(invalid("the password import holds neither a password nor a hash")),
        }
    }
    if let Some(oidc) = &credentials.oidc {
        let providers = &oidc.config.providers;
        if providers.is_empty() {
            return Err(invalid("the OIDC import names no provider"));
        }
        let linked = base.oidc_links();
        for (index, entry) in providers.iter().enumerate() {
            let provider = entry.provider.trim();
            let subject = entry.subject.trim();
            if provider.is_empty() || subject.is_empty() {
                return Err(invalid(format!(
                    "OIDC link {}: both the provider and the subject are needed",
                    index + 1
                )));
            }
            let shown = format!(
                "{}:{}",
                crate::sanitize::for_display(provider),
                crate::sanitize::for_display(subject)
            );
            if linked.iter().any(|(p, s)| p == provider && s == subject) {
                return Err(invalid(format!("OIDC link {shown} exists already")));
            }
            if providers[..index]
                .iter()
                .any(|earlier| earlier.provider.trim() == provider && earlier.subject.trim() == subject)
            {
                return Err(invalid(format!("OIDC link {shown} is given twice")));
            }
        }
    }
    Ok(())
}

/// Whether the identity on the server is still the one the write was planned on.
#[derive(Debug, Clone, PartialEq)]
pub enum Freshness {
    Unchanged,
    /// Someone changed it since it was read.
    Changed {
        /// What changed on the server (whole identity, secrets redacted).
        server_changes: Vec<Change>,
        /// The identity as it is now (boxed: far larger than `Unchanged`).
        latest: Box<Snapshot>,
    },
}

/// Compares the identity a write was planned on with a newer read of it:
/// the whole JSON, not only `updated_at` (a server may not move it, or a
/// clock may stand still).
///
/// Both are compared by meaning ([`crate::meaning::canonical`]): Kratos
/// answers a PUT with nanosecond timestamps and new addresses last, and a
/// later GET with microseconds and addresses by id; neither is a change.
pub fn compare(base: &Snapshot, latest: Snapshot) -> Freshness {
    if base.raw == latest.raw {
        return Freshness::Unchanged;
    }
    let before = crate::meaning::canonical(&base.raw);
    let after = crate::meaning::canonical(&latest.raw);
    let server_changes = diff::redacted(diff::diff(&before, &after));
    if server_changes.is_empty() {
        // Only the spelling differs: member order, timestamp precision,
        // address order, number notation.
        return Freshness::Unchanged;
    }
    Freshness::Changed {
        server_changes,
        latest: Box::new(latest),
    }
}

/// How [`rebase`] treats members both sides changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Carry the edit over only where the server left the edited members
    /// alone; otherwise fail with [`WriteError::Conflict`].
    Merge,
    /// The edit wins in the members it changes; every other member keeps the
    /// server's newer value.
    Overwrite,
}

/// Carries `planned`'s edit over to `latest`, the identity as it is now: the
/// result is planned on `latest`, so its diff and the next freshness check
/// are against it. A credentials import is carried over unchanged (and
/// checked again: an OIDC link the server gained meanwhile is a conflict).
pub fn rebase(planned: &PlannedWrite, latest: &Snapshot, resolution: Resolution) -> Result<PlannedWrite, WriteError> {
    let old_json = to_json(&base_body(&planned.base.identity))?;
    let mut mine_body = planned.body.clone();
    let credentials = mine_body.credentials.take();
    let mine = diff::diff(&old_json, &to_json(&mine_body)?);
    let latest_body = base_body(&latest.identity);
    let latest_json = to_json(&latest_body)?;

    let merged = match resolution {
        Resolution::Merge => {
            let theirs = diff::diff(&old_json, &latest_json);
            let overlapping = diff::conflicts(&mine, &theirs);
            if !overlapping.is_empty() {
                return Err(WriteError::Conflict { pointers: overlapping });
            }
            match diff::apply(&latest_json, &mine) {
                Ok(merged) => merged,
                Err(diff::DiffError::Conflicts(pointers)) => return Err(WriteError::Conflict { pointers }),
                Err(err) => return Err(invalid(err.to_string())),
            }
        }
        Resolution::Overwrite => {
            let mut merged = latest_json.clone();
            for change in &mine {
                let tokens = diff::parse_pointer(&change.pointer).map_err(|err| invalid(err.to_string()))?;
                force_set(&mut merged, &tokens, change.new.clone()).map_err(|_| WriteError::Conflict {
                    pointers: vec![change.pointer.clone()],
                })?;
            }
            merged
        }
    };
    let mut body: UpdateIdentityBody = serde_json::from_value(merged)
        .map_err(|err| invalid(format!("the merged body is not an identity update: {err}")))?;
    if let Some(credentials) = credentials {
        // The server gained the same link meanwhile: importing it again is
        // not what either side meant.
        if links_existing(&credentials, &latest.identity) {
            return Err(WriteError::Conflict {
                pointers: vec!["/credentials/oidc".to_owned()],
            });
        }
        check_credentials(&credentials, &latest.identity)?;
        body.credentials = Some(credentials);
    }
    let mut rebased = finish(latest.clone(), body, &latest_json)?;
    // The same identity and the same ticket: who was confirmed and why.
    rebased.identifier.clone_from(&planned.identifier);
    rebased.reason.clone_from(&planned.reason);
    Ok(rebased)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snapshot(raw: Value) -> Snapshot {
        let identity: Identity = match serde_json::from_value(raw.clone()) {
            Ok(identity) => identity,
            Err(err) => panic!("test identity: {err}"),
        };
        Snapshot { identity, raw }
    }

    fn sample() -> Snapshot {
        snapshot(json!({
            "id": "4f1b0c2e-0000-4000-8000-000000000001",
            "schema_id": "default",
            "state": "active",
            "traits": {"email": "ana@example.com", "name": {"first": "Ana", "last": "Lee"}},
            "metadata_public": null,
            "metadata_admin": {"ticket": "SUP-1"},
            "credentials": {"oidc": {"type": "oidc", "identifiers": ["google:123"], "config": {}}},
            "updated_at": "2024-01-01T00:00:00Z",
            "future_field": {"kept": true}
        }))
    }

    fn planned(edit: &Edit) -> PlannedWrite {
        match plan(&sample(), edit) {
            Ok(planned) => planned,
            Err(err) => panic!("plan: {err}"),
        }
    }

    fn pointers(changes: &[Change]) -> Vec<&str> {
        changes.iter().map(|c| c.pointer.as_str()).collect()
    }

    #[test]
    fn an_empty_edit_sends_back_everything_and_changes_nothing() {
        let planned = planned(&Edit::default());
        assert!(planned.is_noop());
        let body = serde_json::to_value(&planned.body).unwrap_or_default();
        assert_eq!(body["metadata_public"], Value::Null);
        assert_eq!(body["metadata_admin"], json!({"ticket": "SUP-1"}));
        assert_eq!(body["future_field"], json!({"kept": true}));
        assert!(
            body.get("credentials").is_none(),
            "GET credentials must never be echoed"
        );
        assert!(body.get("updated_at").is_none() && body.get("id").is_none());
    }

    #[test]
    fn set_creates_parents_and_refuses_what_a_put_cannot_change() {
        let edit = Edit {
            set: vec![
                ("/metadata_public/flags/vip".to_owned(), json!(true)),
                ("/traits/name/first".to_owned(), json!("Anna")),
            ],
            ..Edit::default()
        };
        let planned = planned(&edit);
        assert_eq!(
            planned.body.metadata_public.get(),
            Some(&json!({"flags": {"vip": true}}))
        );
        assert_eq!(pointers(&planned.changes), ["/traits/name/first", "/metadata_public"]);
        for (pointer, fragment) in [
            ("/updated_at", "set by the server"),
            ("/credentials/password", "credentials"),
            ("/nonsense", "no member"),
            ("", "whole identity"),
            ("/traits/email/x", "a string"),
            ("traits", "start with '/'"),
        ] {
            let edit = Edit {
                set: vec![(pointer.to_owned(), json!(1))],
                ..Edit::default()
            };
            match plan(&sample(), &edit) {
                Err(WriteError::InvalidEdit(message)) => assert!(message.contains(fragment), "{pointer}: {message}"),
                other => panic!("{pointer}: {other:?}"),
            }
        }
    }

    #[test]
    fn types_of_edited_members_are_checked() {
        for edit in [
            Edit {
                state: Some(IdentityState::Other("deleted".into())),
                ..Edit::default()
            },
            Edit {
                traits: Some(json!([1])),
                ..Edit::default()
            },
            Edit {
                set: vec![("/schema_id".to_owned(), json!(7))],
                ..Edit::default()
            },
        ] {
            assert!(
                matches!(plan(&sample(), &edit), Err(WriteError::InvalidEdit(_))),
                "{edit:?}"
            );
        }
    }

    #[test]
    fn secrets_never_reach_the_diff() {
        let edit = Edit {
            credentials: Some(CredentialsImport::plaintext_password("hunter2-secret".to_owned())),
            ..Edit::default()
        };
        let planned = planned(&edit);
        let shown = serde_json::to_string(&planned.changes).unwrap_or_default();
        assert!(shown.contains("/credentials") && !shown.contains("hunter2"), "{shown}");
        assert!(!planned.display_body().to_string().contains("hunter2"));
        assert!(!format!("{planned:?}").contains("hunter2"));
    }

    #[test]
    fn hash_imports_are_judged_as_kratos_does() {
        // bcrypt cost 16: newer Kratos refuses it, so the reviewer is warned,
        // but it is sent (older ones import it).
        let costly = "$2a$16$7d4nNn0gP0kXxVd8wXEqKeD9GyHn3H1Fz8w2zQyq0pFHc9bGZ6V2e";
        let planned = planned(&Edit {
            credentials: Some(CredentialsImport::hashed_password(costly.to_owned())),
            ..Edit::default()
        });
        let warnings = planned.warnings();
        assert!(!warnings.is_empty(), "a cost above hash_limits.go is warned about");
        assert!(warnings.iter().all(|w| !w.contains(costly)), "{warnings:?}");
        // PBKDF2 with sha224 means SHA3-224 to Kratos: refused with that reason.
        let sha3 = "$pbkdf2-sha224$i=1000,l=28$c2FsdHNhbHQ$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMg";
        match plan(
            &sample(),
            &Edit {
                credentials: Some(CredentialsImport::hashed_password(sha3.to_owned())),
                ..Edit::default()
            },
        ) {
            Err(WriteError::InvalidEdit(message)) => assert!(message.contains("SHA3"), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_drafts_stand_in_for_a_secret_is_never_sent() {
        for stand_in in ["<secret not saved>", "<redacted 1>"] {
            let edit = Edit {
                set: vec![("/metadata_admin/yoti".to_owned(), json!({"issuance_token": stand_in}))],
                ..Edit::default()
            };
            match plan(&sample(), &edit) {
                Err(WriteError::InvalidEdit(message)) => {
                    assert!(message.contains("/metadata_admin/yoti/issuance_token"), "{message}")
                }
                other => panic!("{stand_in}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_already_linked_oidc_provider_is_refused() {
        let edit = Edit {
            credentials: Some(CredentialsImport::oidc(vec![crate::api::OidcProviderImport {
                provider: "google".into(),
                subject: "123".into(),
                ..Default::default()
            }])),
            ..Edit::default()
        };
        assert!(matches!(plan(&sample(), &edit), Err(WriteError::InvalidEdit(m)) if m.contains("exists already")));
    }

    #[test]
    fn rebase_merges_disjoint_changes_and_names_overlapping_ones() {
        let edit = Edit {
            set: vec![("/traits/name/first".to_owned(), json!("Anna"))],
            ..Edit::default()
        };
        let planned = planned(&edit);
        let mut theirs = sample().raw;
        theirs["metadata_admin"]["ticket"] = json!("SUP-2");
        theirs["updated_at"] = json!("2024-02-02T00:00:00Z");
        let latest = snapshot(theirs.clone());
        let Freshness::Changed { server_changes, .. } = compare(&planned.base, latest.clone()) else {
            panic!("a change must be seen")
        };
        assert_eq!(pointers(&server_changes), ["/metadata_admin/ticket", "/updated_at"]);
        let merged = match rebase(&planned, &latest, Resolution::Merge) {
            Ok(merged) => merged,
            Err(err) => panic!("{err}"),
        };
        assert_eq!(merged.body.traits["name"]["first"], "Anna");
        assert_eq!(merged.body.metadata_admin.get(), Some(&json!({"ticket": "SUP-2"})));
        assert_eq!(pointers(&merged.changes), ["/traits/name/first"]);

        theirs["traits"]["name"]["first"] = json!("Annie");
        let clash = snapshot(theirs);
        match rebase(&planned, &clash, Resolution::Merge) {
            Err(WriteError::Conflict { pointers }) => assert_eq!(pointers, ["/traits/name/first"]),
            other => panic!("{other:?}"),
        }
        let forced = rebase(&planned, &clash, Resolution::Overwrite).map(|p| p.body.traits);
        assert_eq!(forced.ok().map(|t| t["name"]["first"].clone()), Some(json!("Anna")));
    }

    #[test]
    fn an_oidc_link_the_server_gained_meanwhile_is_a_conflict() {
        let edit = Edit {
            credentials: Some(CredentialsImport::oidc(vec![crate::api::OidcProviderImport {
                provider: " github ".into(),
                subject: "9".into(),
                ..Default::default()
            }])),
            ..Edit::default()
        };
        let planned = planned(&edit);
        let sent = planned.body.credentials.as_ref().and_then(|c| c.oidc.as_ref());
        assert_eq!(sent.map(|o| o.config.providers[0].provider.as_str()), Some("github"));
        let mut theirs = sample().raw;
        theirs["credentials"]["oidc"]["identifiers"] = json!(["google:123", "github:9"]);
        match rebase(&planned, &snapshot(theirs), Resolution::Merge) {
            Err(WriteError::Conflict { pointers }) => assert_eq!(pointers, ["/credentials/oidc"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_member_order_is_not_a_change() {
        let base = sample();
        let mut reordered = Map::new();
        if let Value::Object(members) = &base.raw {
            for (key, value) in members.iter().rev() {
                reordered.insert(key.clone(), value.clone());
            }
        }
        assert_eq!(compare(&base, snapshot(Value::Object(reordered))), Freshness::Unchanged);
    }
}
