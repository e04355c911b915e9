//! Drafts: what an open form holds, kept so a dropped SSH session loses
//! nothing. The content is the text exactly as typed (a half-typed JSON edit
//! restores byte for byte), never a password or hash: the password and hash
//! fields of the credentials form are not saved at all.

use serde_json::{Value, json};

use super::doc::{StyledLine, Tone};
use super::forms::{CredentialField, CredentialMode, Form, FormBody, FormKind, JsonField, MetadataFocus, TraitsForm};
use crate::drafts::Draft;
use crate::sanitize::for_display;

/// The saveable content of a form; `None` when there is nothing to keep
/// (an untouched form, or a password/hash entry, which is never written down).
pub fn content(form: &Form) -> Option<Value> {
    if !form.modified() {
        return None;
    }
    match &form.body {
        FormBody::Traits(traits) => Some(json!({ "text": traits.field.text() })),
        FormBody::Metadata(meta) => Some(json!({
            "public_text": meta.public.text(),
            "admin_text": meta.admin.text(),
            "focus": if meta.focus == MetadataFocus::Admin { "admin" } else { "public" },
        })),
        FormBody::State(state) => Some(json!({ "active": state.active })),
        FormBody::Schema(schema) => schema.choices.get(schema.selected).map(|id| json!({ "schema_id": id })),
        FormBody::Credentials(creds) if creds.mode == CredentialMode::Oidc => Some(json!({
            "mode": "oidc",
            "provider": creds.provider.text(),
            "subject": creds.subject.text(),
        })),
        FormBody::Credentials(_) => None,
    }
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

/// Puts a draft's content into a freshly opened form of the same kind.
/// Returns false when the draft does not fit the form.
pub fn restore_into(form: &mut Form, draft: &Draft) -> bool {
    let content = &draft.content;
    match &mut form.body {
        FormBody::Traits(traits) => {
            let Some(text) = text_of(content, "text") else {
                return false;
            };
            let original = form.base.get("traits").cloned().unwrap_or(Value::Null);
            *traits = TraitsForm {
                field: JsonField::from_text(text, &original),
            };
            // Syntax at once; the schema is checked again on the next key.
            traits.field.check(None);
        }
        FormBody::Metadata(meta) => {
            let (Some(public), Some(admin)) = (text_of(content, "public_text"), text_of(content, "admin_text")) else {
                return false;
            };
            let original = |key: &str| form.base.get(key).cloned().unwrap_or(Value::Null);
            meta.public = JsonField::from_text(public, &original("metadata_public"));
            meta.admin = JsonField::from_text(admin, &original("metadata_admin"));
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
    let parsed = |key: &str| text_of(&draft.content, key).and_then(|t| serde_json::from_str::<Value>(t).ok());
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
                lines.extend(super::review::change_lines(&crate::diff::diff(&server, &mine)));
            }
            None => lines.push(StyledLine::toned(
                Tone::Muted,
                format!("{key}: the draft is not valid JSON yet; restore it to keep editing"),
            )),
        }
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
            form.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), None);
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
            form.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), None);
        }
        assert!(form.modified());
        assert_eq!(content(&form), None);
    }
}
