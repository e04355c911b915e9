//! What a draft holds: the content of an open form, kept so a dropped SSH
//! session loses nothing (`drafting` decides when it is saved). The content is the text exactly as typed (a half-typed JSON edit
//! restores byte for byte), never a secret: the password and hash fields of
//! the credentials form are not saved at all, and the text of the traits and
//! metadata editors is read (as JSON, or half-typed JSON as far as it goes)
//! for secrets before it is kept:
//! - the server's own value of a secret member (the identity's issuance token,
//!   which the metadata editor shows because it edits `metadata_admin` whole)
//!   is kept as a placeholder (`"<redacted 1>"`) and where it came from
//!   (`server_values`); a restore puts the value the server holds *then*
//!   back, so an edit next to the token loses nothing, and a token the
//!   server rotated meanwhile is not overwritten with the old one;
//! - a secret typed into the text (a `password` member, a password hash, a
//!   new token) is kept as `"<secret not saved>"`, and the restored form says
//!   it must be typed again: the rest of the edit survives, the secret never
//!   reaches the disk.

use serde_json::{Value, json};

use super::doc::{StyledLine, Tone};
use super::forms::{CredentialField, CredentialMode, Form, FormBody, FormKind, JsonField, MetadataFocus, TraitsForm};
use crate::api::models::{redact_all_secrets, secret_strings};
use crate::config::DEFAULT_ISSUANCE_TOKEN_POINTER;
use crate::drafts::{self, Draft, NOT_SAVED};
use crate::sanitize::for_display;

/// The member of a draft that says where each `"<redacted N>"` came from.
const SERVER_VALUES: &str = "server_values";

/// The saveable content of a form; `None` when there is nothing to keep
/// (an untouched form, or a password/hash entry, which is never written down).
/// Secrets in the text are judged with the default `issuance_token_pointer`;
/// [`content_with`] takes the profile's.
pub fn content(form: &Form) -> Option<Value> {
    content_with(form, DEFAULT_ISSUANCE_TOKEN_POINTER)
}

/// [`content`] for a profile whose issuance token is at `token_pointer`.
pub fn content_with(form: &Form, token_pointer: &str) -> Option<Value> {
    if !form.modified() {
        return None;
    }
    let mut kept = Kept::new(&form.base, token_pointer);
    match &form.body {
        FormBody::Traits(traits) => {
            let text = kept.redact(&traits.field.text(), "traits", "text");
            Some(kept.noted(json!({ "text": text })))
        }
        // What was typed, field by field (a typo too), and the value it
        // makes as JSON text (what the draft view and a JSON editor read).
        FormBody::TraitFields(fields) => {
            let (value, _) = fields.value();
            let text = kept.redact(&super::json_edit::editable_text(&value), "traits", "text");
            let typed = kept.redact_typed(fields.typed(), "/traits");
            Some(kept.noted(json!({ "editor": "form", "fields": typed, "text": text })))
        }
        FormBody::Metadata(meta) => {
            let public = kept.redact(&meta.public.text(), "metadata", "public_text");
            let admin = kept.redact(&meta.admin.text(), "metadata", "admin_text");
            Some(kept.noted(json!({
                "public_text": public,
                "admin_text": admin,
                "focus": if meta.focus == MetadataFocus::Admin { "admin" } else { "public" },
            })))
        }
        // The "also revoke all sessions" choice is kept too, so a resumed
        // deactivation does what the user left it set to.
        FormBody::State(state) => Some(json!({
            "active": state.active,
            "revoke_sessions": state.revoke_sessions,
        })),
        FormBody::Schema(schema) => schema.choices.get(schema.selected).map(|id| json!({ "schema_id": id })),
        FormBody::Credentials(creds) if creds.mode == CredentialMode::Oidc => Some(json!({
            "mode": "oidc",
            "provider": creds.provider.text(),
            "subject": creds.subject.text(),
        })),
        FormBody::Credentials(_) => None,
    }
}

/// The secrets the server holds (to recognise them in typed text) and the
/// ones a draft's text refers to by placeholder.
struct Kept<'a> {
    token_pointer: &'a str,
    /// (pointer in the identity, value) of every secret the identity holds.
    server: Vec<(String, String)>,
    /// Pointers of the server values replaced so far; `"<redacted N>"` is
    /// the N-th (from 1).
    used: Vec<String>,
}

impl<'a> Kept<'a> {
    fn new(identity: &Value, token_pointer: &'a str) -> Self {
        Kept {
            token_pointer,
            server: secret_strings(identity, Some(token_pointer)),
            used: Vec::new(),
        }
    }

    /// `text` with every secret replaced by its placeholder (see the module
    /// documentation); `form` and `key` say which identity member it edits.
    fn redact(&mut self, text: &str, form: &str, key: &str) -> String {
        let member = drafts::text_member(form, key);
        let mut out = text.to_owned();
        let mut found = drafts::text_secrets(text, &member, Some(self.token_pointer));
        // A copy of the server's secret where no name says so.
        let copies: Vec<drafts::TextScalar> = drafts::text_scalars(text)
            .into_iter()
            .filter(|scalar| {
                scalar.is_string
                    && !found.iter().any(|secret| secret.span == scalar.span)
                    && scalar.value.chars().count() >= crate::api::exchange::SHORTEST_SCRUBBED
                    && self.server.iter().any(|(_, value)| *value == scalar.value)
            })
            .collect();
        found.extend(copies);
        // From the end, so earlier spans stay where they are.
        found.sort_by_key(|scalar| std::cmp::Reverse(scalar.span.start));
        for scalar in found {
            let server = scalar
                .is_string
                .then(|| self.server.iter().find(|(_, value)| *value == scalar.value))
                .flatten()
                .map(|(pointer, _)| pointer.clone());
            let stand_in = match server {
                Some(pointer) => {
                    let index = match self.used.iter().position(|p| *p == pointer) {
                        Some(index) => index,
                        None => {
                            self.used.push(pointer);
                            self.used.len() - 1
                        }
                    };
                    drafts::server_placeholder(index + 1)
                }
                None => NOT_SAVED.to_owned(),
            };
            let literal = serde_json::to_string(&stand_in).unwrap_or_default();
            out.replace_range(scalar.span, &literal);
        }
        out
    }

    /// What a traits form's fields hold ([`super::trait_form::TraitForm::typed`]),
    /// `pointer` being where `typed` is in the identity: members named like
    /// a secret are left out (a restore leaves those fields as the server
    /// has them), texts that look like a password hash or are a secret the
    /// server holds become [`NOT_SAVED`] (the restored form says to type
    /// them again).
    fn redact_typed(&self, typed: Value, pointer: &str) -> Value {
        match typed {
            Value::Object(members) => Value::Object(
                members
                    .into_iter()
                    .filter_map(|(key, value)| {
                        let inner = format!("{pointer}/{}", crate::diff::escape_token(&key));
                        (!crate::diff::is_secret_pointer(&inner)).then(|| (key, self.redact_typed(value, &inner)))
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(at, item)| self.redact_typed(item, &format!("{pointer}/{at}")))
                    .collect(),
            ),
            Value::String(text) => {
                let server_secret = text.chars().count() >= crate::api::exchange::SHORTEST_SCRUBBED
                    && self.server.iter().any(|(_, value)| *value == text);
                if server_secret || crate::api::models::looks_like_password_hash(&text) {
                    Value::String(NOT_SAVED.to_owned())
                } else {
                    Value::String(text)
                }
            }
            other => other,
        }
    }

    /// `content` with the pointers its placeholders stand for.
    fn noted(self, mut content: Value) -> Value {
        if !self.used.is_empty() {
            content[SERVER_VALUES] = json!(self.used);
        }
        content
    }
}

/// `text` with each `"<redacted N>"` of `draft` replaced by the value
/// `identity` holds now where it came from, and what could not be restored.
fn fill(text: &str, draft: &Draft, identity: &Value) -> (String, Vec<String>) {
    let mut out = text.to_owned();
    let mut problems = Vec::new();
    let pointers = draft
        .content
        .get(SERVER_VALUES)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (index, pointer) in pointers.iter().enumerate() {
        let placeholder = serde_json::to_string(&drafts::server_placeholder(index + 1)).unwrap_or_default();
        if !out.contains(&placeholder) {
            continue;
        }
        let pointer = pointer.as_str().unwrap_or_default();
        match identity.pointer(pointer).filter(|_| pointer.starts_with('/')) {
            Some(now) => out = out.replace(&placeholder, &serde_json::to_string(now).unwrap_or_default()),
            None => problems.push(format!(
                "the server no longer holds {} (shown as {placeholder})",
                for_display(pointer)
            )),
        }
    }
    let typed = out.matches(&format!("\"{NOT_SAVED}\"")).count();
    if typed > 0 {
        problems.push(format!(
            "{typed} secret{} typed into the form {} not saved (shown as \"{NOT_SAVED}\"): type {} again",
            if typed == 1 { "" } else { "s" },
            if typed == 1 { "was" } else { "were" },
            if typed == 1 { "it" } else { "them" },
        ));
    }
    (out, problems)
}

/// The form kind a draft belongs to.
pub fn kind_of(draft: &Draft) -> Option<FormKind> {
    match draft.form.as_str() {
        "traits" => Some(FormKind::Traits),
        "metadata" => Some(FormKind::Metadata),
        "state" => Some(FormKind::State),
        "schema" => Some(FormKind::Schema),
        "credentials" => Some(FormKind::Credentials),
        _ => None,
    }
}

fn text_of<'a>(content: &'a Value, key: &str) -> Option<&'a str> {
    content.get(key).and_then(Value::as_str)
}

/// Puts a draft's content into a freshly opened form of the same kind, each
/// placeholder of a server value filled from the identity the form opened
/// on; what could not be restored (a secret that was typed) is said in the
/// form's error line. Returns false when the draft does not fit the form.
pub fn restore_into(form: &mut Form, draft: &Draft) -> bool {
    let content = &draft.content;
    let mut problems = Vec::new();
    // A draft of the JSON editor restored where the traits form opened:
    // into the JSON editor, as it was typed.
    let json_draft = content.get("fields").is_none() && text_of(content, "text").is_some();
    if json_draft && let FormBody::TraitFields(_) = &form.body {
        form.body = Form::traits(&form.base);
    }
    match &mut form.body {
        FormBody::TraitFields(fields) => {
            let Some(typed) = content.get("fields") else {
                return false;
            };
            let skipped = fields.restore_typed(typed, NOT_SAVED);
            if skipped > 0 {
                problems.push(format!(
                    "{skipped} secret{} typed into the form {} not saved: type {} again",
                    if skipped == 1 { "" } else { "s" },
                    if skipped == 1 { "was" } else { "were" },
                    if skipped == 1 { "it" } else { "them" },
                ));
            }
        }
        FormBody::Traits(traits) => {
            let Some(text) = text_of(content, "text") else {
                return false;
            };
            let (text, missing) = fill(text, draft, &form.base);
            problems.extend(missing);
            let original = form.base.get("traits").cloned().unwrap_or(Value::Null);
            *traits = TraitsForm {
                field: JsonField::from_text(&text, &original),
            };
            // Syntax at once; the schema is checked again on the next key.
            traits.field.check(None);
        }
        FormBody::Metadata(meta) => {
            let (Some(public), Some(admin)) = (text_of(content, "public_text"), text_of(content, "admin_text")) else {
                return false;
            };
            let (public, missing) = fill(public, draft, &form.base);
            problems.extend(missing);
            let (admin, missing) = fill(admin, draft, &form.base);
            problems.extend(missing);
            let original = |key: &str| form.base.get(key).cloned().unwrap_or(Value::Null);
            meta.public = JsonField::from_text(&public, &original("metadata_public"));
            meta.admin = JsonField::from_text(&admin, &original("metadata_admin"));
            meta.focus = if text_of(content, "focus") == Some("admin") {
                MetadataFocus::Admin
            } else {
                MetadataFocus::Public
            };
            meta.public.check(None);
            meta.admin.check(None);
        }
        FormBody::State(state) => {
            let Some(active) = content.get("active").and_then(Value::as_bool) else {
                return false;
            };
            state.active = active;
            // Drafts saved before the choice was kept have no
            // `revoke_sessions`: the form's default stays (on). Anything but
            // a boolean is a draft this idcon did not write.
            match content.get("revoke_sessions") {
                None => {}
                Some(Value::Bool(revoke)) => state.revoke_sessions = *revoke,
                Some(_) => return false,
            }
        }
        FormBody::Schema(schema) => {
            let Some(id) = text_of(content, "schema_id") else {
                return false;
            };
            match schema.choices.iter().position(|c| c == id) {
                Some(at) => schema.selected = at,
                None => return false,
            }
        }
        FormBody::Credentials(creds) => {
            let (Some(provider), Some(subject)) = (text_of(content, "provider"), text_of(content, "subject")) else {
                return false;
            };
            creds.mode = CredentialMode::Oidc;
            creds.focus = CredentialField::Provider;
            creds.provider.set(provider);
            creds.subject.set(subject);
        }
    }
    if !problems.is_empty() {
        problems.dedup();
        form.error = Some(format!("Restored from the draft, but {}", problems.join("; ")));
    }
    true
}

/// What the draft would change against the server's current identity, as
/// lines for the draft view.
pub fn diff_lines(draft: &Draft, current: &Value) -> Vec<StyledLine> {
    let mut lines = vec![
        StyledLine::field("form", for_display(&draft.form).into_owned(), Tone::Plain),
        StyledLine::field("saved", for_display(&draft.saved_at).into_owned(), Tone::Plain),
    ];
    let server_updated = current.get("updated_at").and_then(Value::as_str);
    if !crate::meaning::same_instant(draft.base_updated_at.as_deref(), server_updated) {
        lines.push(StyledLine::toned(
            Tone::Bad,
            "The identity changed on the server after this draft was started.",
        ));
    }
    lines.push(StyledLine::default());
    lines.push(StyledLine::toned(
        Tone::Heading,
        "Draft against the server's current version",
    ));
    // Placeholders of server values read as the server's value now, and
    // every secret on both sides shows as `<redacted>`.
    let parsed = |key: &str| {
        text_of(&draft.content, key).and_then(|t| serde_json::from_str::<Value>(&fill(t, draft, current).0).ok())
    };
    let pairs: Vec<(&str, Option<Value>)> = match draft.form.as_str() {
        "traits" => vec![("traits", parsed("text"))],
        "metadata" => vec![
            ("metadata_public", parsed("public_text")),
            ("metadata_admin", parsed("admin_text")),
        ],
        "state" => vec![(
            "state",
            draft
                .content
                .get("active")
                .and_then(Value::as_bool)
                .map(|a| json!(if a { "active" } else { "inactive" })),
        )],
        "schema" => vec![("schema_id", draft.content.get("schema_id").cloned())],
        _ => Vec::new(),
    };
    for (key, drafted) in pairs {
        match drafted {
            Some(value) => {
                let mut server = json!({});
                let mut mine = json!({});
                if let Some(now) = current.get(key) {
                    server[key] = now.clone();
                }
                mine[key] = value;
                redact_all_secrets(&mut server, Some(DEFAULT_ISSUANCE_TOKEN_POINTER));
                redact_all_secrets(&mut mine, Some(DEFAULT_ISSUANCE_TOKEN_POINTER));
                let changes = crate::diff::redacted(crate::diff::diff(&server, &mine));
                lines.extend(super::review::change_lines(&changes));
            }
            None => lines.push(StyledLine::toned(
                Tone::Muted,
                format!("{key}: the draft is not valid JSON yet; restore it to keep editing"),
            )),
        }
    }
    if draft.form == "state" && draft.content.get("active").and_then(Value::as_bool) == Some(false) {
        // Older drafts without the choice restore with the default (on).
        let revoke = draft
            .content
            .get("revoke_sessions")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        lines.push(StyledLine::plain(format!(
            "also revoke all sessions: {}",
            if revoke { "yes" } else { "no" }
        )));
    }
    if draft.form == "credentials" {
        lines.push(StyledLine::plain(format!(
            "link OIDC {}:{}",
            for_display(text_of(&draft.content, "provider").unwrap_or_default()),
            for_display(text_of(&draft.content, "subject").unwrap_or_default())
        )));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn identity() -> Value {
        json!({"id": "x", "schema_id": "s", "state": "active", "traits": {"email": "a@example.com"},
               "updated_at": "2026-01-01T00:00:00Z"})
    }

    #[test]
    fn typed_text_round_trips_byte_for_byte() {
        let mut form = Form {
            identity_id: "x".into(),
            base: identity(),
            body: Form::traits(&identity()),
            confirm_discard: false,
            error: None,
        };
        for c in ['\n', ' ', '"', 'n', 'é', '{'] {
            form.type_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), None);
        }
        let typed = match &form.body {
            FormBody::Traits(t) => t.field.text(),
            _ => String::new(),
        };
        let saved = content(&form);
        let draft = Draft::new("p", "x", "traits", saved.unwrap_or(Value::Null), None);
        let mut fresh = Form {
            identity_id: "x".into(),
            base: identity(),
            body: Form::traits(&identity()),
            confirm_discard: false,
            error: None,
        };
        assert!(restore_into(&mut fresh, &draft));
        let restored = match &fresh.body {
            FormBody::Traits(t) => t.field.text(),
            _ => String::new(),
        };
        assert_eq!(restored, typed);
    }

    #[test]
    fn passwords_are_never_draft_content() {
        let mut form = Form {
            identity_id: "x".into(),
            base: identity(),
            body: Form::credentials(&identity()),
            confirm_discard: false,
            error: None,
        };
        for c in "hunter2".chars() {
            form.type_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), None);
        }
        assert!(form.modified());
        assert_eq!(content(&form), None);
    }
}
