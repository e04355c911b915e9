//! The edit forms: traits, state, metadata, credentials and schema. Each form
//! keeps exactly what the user typed (nothing is lost on a failed send) and
//! turns it into a [`FormOutput`] only when the user asks to review.

use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;
use serde_json::Value;

pub use super::credentials::{CredentialField, CredentialMode, CredentialsForm};
use super::json_edit::{Problem, TraitsValidator, editable_text, parse};
use super::trait_form::TraitForm;

/// Shown where traits cannot be checked against their identity schema here
/// (it could not be loaded): the header and the traits form.
pub const SCHEMA_UNKNOWN_MARK: &str = "schema unknown — traits not validated";

/// Shown in the traits form while its schema is still being loaded.
pub const SCHEMA_LOADING_MARK: &str = "schema loading — traits not validated yet";

/// Who an identity is, in words a person recognises: its primary identifier
/// and its name, picked as everywhere else (`crate::who`, the schema's
/// credential identifier first). The form headers, the drafts list and the
/// line printed when the console closes all name an identity this way, so a
/// support engineer sees whom they are changing, not only a UUID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    /// As the server has it: sanitise before drawing ([`Named::label`] does).
    pub identifier: Option<String>,
    /// As the server has it: sanitise before drawing.
    pub name: Option<String>,
}

impl Named {
    /// Reads the identity's traits, guided by its schema when it is loaded.
    pub fn of(identity: &Value, schemas: &super::schemas::Schemas) -> Self {
        let traits = identity.get("traits").unwrap_or(&Value::Null);
        let schema_id = identity.get("schema_id").and_then(Value::as_str).unwrap_or_default();
        Self {
            identifier: crate::who::primary_identifier(traits, schemas.hints.get(schema_id)),
            name: crate::who::display_name(traits),
        }
    }

    /// `ada@example.com (Ada Lovelace)`, either part alone, or `None` when
    /// the traits hold neither; made safe to draw.
    pub fn label(&self) -> Option<String> {
        let clean = |s: &Option<String>| {
            s.as_deref()
                .map(|s| crate::sanitize::for_display(s.trim()).into_owned())
                .filter(|s| !s.is_empty())
        };
        match (clean(&self.identifier), clean(&self.name)) {
            (Some(identifier), Some(name)) if identifier != name => Some(format!("{identifier} ({name})")),
            (Some(one), _) | (None, Some(one)) => Some(one),
            (None, None) => None,
        }
    }
}

/// Which form is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    Traits,
    State,
    Metadata,
    Credentials,
    Schema,
}

impl FormKind {
    pub fn title(self) -> &'static str {
        match self {
            FormKind::Traits => "Edit traits",
            FormKind::State => "Change state",
            FormKind::Metadata => "Edit metadata",
            FormKind::Credentials => "Credentials",
            FormKind::Schema => "Change schema",
        }
    }

    /// The draft name of the form (issue: drafts survive a dropped session).
    pub fn name(self) -> &'static str {
        match self {
            FormKind::Traits => "traits",
            FormKind::State => "state",
            FormKind::Metadata => "metadata",
            FormKind::Credentials => "credentials",
            FormKind::Schema => "schema",
        }
    }
}

/// What a form asks to change, ready to be planned into a request body.
#[derive(Debug, PartialEq)]
pub enum FormOutput {
    Traits(Value),
    State(String),
    Metadata {
        public: Value,
        admin: Value,
    },
    Schema {
        schema_id: String,
    },
    /// A new password, sent as plaintext for the server to hash.
    Password(SecretString),
    /// A PHC / crypt hash to import (typed, or made here with argon2id).
    PasswordHash(String),
    Oidc {
        provider: String,
        subject: String,
    },
}

/// A password (or a hash made of one) on its way into a request body: never
/// printed by `Debug`, wiped when dropped.
#[derive(PartialEq, Clone)]
pub struct SecretString(pub String);

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString(••••)")
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// What Ctrl-S on a form leads to.
#[derive(Debug, PartialEq)]
pub enum Submit {
    /// The change to review.
    Review(FormOutput),
    /// A new password to hash here first (argon2id, off the event loop);
    /// the hash is then reviewed as a hash import.
    Hash(SecretString),
}

fn new_editor(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut editor = TextArea::new(if lines.is_empty() { vec![String::new()] } else { lines });
    editor.set_tab_length(2);
    editor.set_max_histories(200);
    editor
}

fn editor_text(editor: &TextArea<'_>) -> String {
    editor.lines().join("\n")
}

/// A JSON editor with live checks.
#[derive(Debug)]
pub struct JsonField {
    pub editor: TextArea<'static>,
    pub problems: Vec<Problem>,
    /// The text the editor started from, and the value it stands for.
    original: String,
    original_value: Value,
    /// The text `y` sent ([`JsonField::mark_sent`]), until its answer lands.
    sent: Option<String>,
}

impl JsonField {
    pub fn new(value: &Value) -> Self {
        let text = editable_text(value);
        Self {
            editor: new_editor(&text),
            problems: Vec::new(),
            original: text,
            original_value: value.clone(),
            sent: None,
        }
    }

    /// Starts from text (a draft or the external editor's result).
    pub fn from_text(text: &str, original: &Value) -> Self {
        Self {
            editor: new_editor(text),
            problems: Vec::new(),
            original: editable_text(original),
            original_value: original.clone(),
            sent: None,
        }
    }

    pub fn text(&self) -> String {
        editor_text(&self.editor)
    }

    /// True when the text says something else than the value the editor
    /// started from. A change of spacing, line breaks, key order or escapes
    /// only (the same JSON value) is no change: it is not worth a draft, nor
    /// a question on Esc. Text that does not parse yet is a change.
    pub fn modified(&self) -> bool {
        let text = self.text();
        if text == self.original {
            return false;
        }
        serde_json::from_str::<Value>(&text).map_or(true, |value| value != self.original_value)
    }

    /// Re-checks the text: syntax first, then the schema when given.
    pub fn check(&mut self, validator: Option<&TraitsValidator>) -> Option<Value> {
        match parse(&self.text()) {
            Ok(value) => {
                self.problems = validator.map(|v| v.problems(&value)).unwrap_or_default();
                Some(value)
            }
            Err(problem) => {
                self.problems = vec![problem];
                None
            }
        }
    }

    /// `y` sent what the editor holds now.
    pub fn mark_sent(&mut self) {
        self.sent = Some(self.text());
    }

    /// A write landed and the server holds `value`: from now on the editor
    /// is compared with it. The editor follows the server's value when it
    /// still holds what was sent, or (no send from here) what it started
    /// from; text typed since stays as typed, a change only where it says
    /// something else than the server now holds.
    pub fn take_baseline(&mut self, value: &Value) {
        let follows = match self.sent.take() {
            Some(sent) => sent == self.text(),
            None => !self.modified(),
        };
        if follows {
            if *value != self.original_value || self.text() != self.original {
                *self = Self::new(value);
            }
        } else {
            self.original = editable_text(value);
            self.original_value = value.clone();
        }
    }

    /// Inserts pasted text, without control characters (newlines kept).
    pub fn paste(&mut self, text: &str) {
        let clean: String = text
            .chars()
            .filter(|c| *c == '\n' || !crate::sanitize::is_unsafe(*c))
            .collect();
        self.editor.insert_str(clean);
    }
}

#[derive(Debug)]
pub struct TraitsForm {
    pub field: JsonField,
}

#[derive(Debug)]
pub struct StateForm {
    /// The state as the server has it.
    pub current: String,
    pub changed_at: Option<String>,
    /// The state that will be sent.
    pub active: bool,
    /// What `y` sent (`active`), until its answer lands.
    pub sent: Option<bool>,
    /// Deactivating also revokes all of the identity's sessions once the
    /// PUT has succeeded (on by default, `r` toggles): Kratos only blocks
    /// them while the identity is inactive and revives the unexpired ones
    /// when it is reactivated (`session/session.go` `Session.IsActive`).
    pub revoke_sessions: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataFocus {
    Public,
    Admin,
}

#[derive(Debug)]
pub struct MetadataForm {
    pub public: JsonField,
    pub admin: JsonField,
    pub focus: MetadataFocus,
}

impl MetadataForm {
    /// The editor that has the keys.
    pub fn focused(&mut self) -> &mut JsonField {
        match self.focus {
            MetadataFocus::Public => &mut self.public,
            MetadataFocus::Admin => &mut self.admin,
        }
    }
}

#[derive(Debug)]
pub struct SchemaForm {
    pub current: String,
    pub choices: Vec<String>,
    pub selected: usize,
    /// The identity's traits checked against the selected schema.
    pub problems: Vec<Problem>,
    /// The selected schema was checked and the traits do not fit it: it
    /// needs traits the identity lacks or forbids ones it has. This form
    /// changes the schema alone, so the form points at the command that
    /// changes both in one PUT ([`schema_and_traits_command`]).
    pub needs_new_traits: bool,
    /// The schema `y` sent, until its answer lands.
    pub sent: Option<String>,
}

/// The OIDC provider/subject pairs linked to `identity`, from the
/// identifiers Kratos lists under `credentials.oidc` (`provider:subject`;
/// the answer to a PUT carries them too, without the credentials' config:
/// `identity/handler.go` `update` writes
/// `WithCredentialsNoConfigAndAdminMetadataInJSON`, `identity/identity.go`).
/// `None` when the identity carries no credentials at all.
fn linked_oidc(identity: &Value) -> Option<Vec<(String, String)>> {
    let credentials = identity.get("credentials")?;
    Some(
        credentials
            .pointer("/oidc/identifiers")
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(Value::as_str)
                    .filter_map(|id| id.split_once(':'))
                    .map(|(p, s)| (p.to_owned(), s.to_owned()))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// The command that changes an identity's schema and its traits in one
/// request, for a schema change the traits do not fit: `idcon update` sets
/// `/schema_id` and replaces the traits from a file (`commands::update`,
/// `--set` then `--traits-file`; Kratos validates the new traits against the
/// new schema in the same PUT, `identity/handler.go` `update`). Quoted for a
/// POSIX shell; sanitise before drawing.
pub fn schema_and_traits_command(identity_id: &str, schema_id: &str) -> String {
    let set = format!("/schema_id={}", Value::String(schema_id.to_owned()));
    format!(
        "idcon update {} --set {} --traits-file traits.json",
        shell_word(identity_id),
        shell_word(&set)
    )
}

/// `word` as one POSIX shell word: as it is when it holds only safe
/// characters, else in single quotes.
fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:@%+,".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

// One form is open at a time, so the size of the largest variant (two JSON
// editors) costs nothing; boxing would only add indirection everywhere.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum FormBody {
    /// The traits in the JSON editor (`Ctrl-J` from the form, or the form
    /// cannot show them).
    Traits(TraitsForm),
    /// The traits as fields built from the identity schema (`e`).
    TraitFields(Box<TraitForm>),
    State(StateForm),
    Metadata(MetadataForm),
    Credentials(CredentialsForm),
    Schema(SchemaForm),
}

/// An open form for one identity.
#[derive(Debug)]
pub struct Form {
    pub identity_id: String,
    /// The identity as the server sent it when the form opened: the body is
    /// built from it, and the lost-update check compares against it.
    pub base: Value,
    pub body: FormBody,
    /// Asking whether to throw away changes on Esc.
    pub confirm_discard: bool,
    /// Why the last Ctrl-S did not open the review.
    pub error: Option<String>,
}

impl Form {
    pub fn kind(&self) -> FormKind {
        match self.body {
            FormBody::Traits(_) | FormBody::TraitFields(_) => FormKind::Traits,
            FormBody::State(_) => FormKind::State,
            FormBody::Metadata(_) => FormKind::Metadata,
            FormBody::Credentials(_) => FormKind::Credentials,
            FormBody::Schema(_) => FormKind::Schema,
        }
    }

    /// The schema id of the identity the form edits (`""` when it has none).
    pub fn schema_id(&self) -> &str {
        self.base.get("schema_id").and_then(Value::as_str).unwrap_or_default()
    }

    pub fn traits(identity: &Value) -> FormBody {
        let traits = identity.get("traits").unwrap_or(&Value::Null);
        FormBody::Traits(TraitsForm {
            field: JsonField::new(traits),
        })
    }

    pub fn state(identity: &Value) -> FormBody {
        let current = identity
            .get("state")
            .and_then(Value::as_str)
            .unwrap_or("active")
            .to_owned();
        let changed_at = identity
            .get("state_changed_at")
            .and_then(Value::as_str)
            .map(str::to_owned);
        FormBody::State(StateForm {
            active: current == "active",
            current,
            changed_at,
            sent: None,
            revoke_sessions: true,
        })
    }

    pub fn metadata(identity: &Value) -> FormBody {
        let field = |key: &str| JsonField::new(identity.get(key).unwrap_or(&Value::Null));
        FormBody::Metadata(MetadataForm {
            public: field("metadata_public"),
            admin: field("metadata_admin"),
            focus: MetadataFocus::Public,
        })
    }

    pub fn credentials(identity: &Value) -> FormBody {
        FormBody::Credentials(CredentialsForm::new(linked_oidc(identity).unwrap_or_default()))
    }

    pub fn schema(identity: &Value, choices: Vec<String>) -> FormBody {
        let current = identity
            .get("schema_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let selected = choices.iter().position(|c| *c == current).unwrap_or(0);
        FormBody::Schema(SchemaForm {
            current,
            choices,
            selected,
            problems: Vec::new(),
            needs_new_traits: false,
            sent: None,
        })
    }

    /// True when the user changed something that would be lost on Esc.
    pub fn modified(&self) -> bool {
        match &self.body {
            FormBody::Traits(f) => f.field.modified(),
            FormBody::TraitFields(f) => f.modified(),
            FormBody::State(f) => f.active != (f.current == "active"),
            FormBody::Metadata(f) => f.public.modified() || f.admin.modified(),
            // Any field typed into counts, whichever mode shows now.
            FormBody::Credentials(f) => f.modified(),
            FormBody::Schema(f) => f.choices.get(f.selected).is_some_and(|c| *c != f.current),
        }
    }

    /// A write on this identity landed while the form was open: what the
    /// server returned (`identity`) becomes the form's base and the baseline
    /// [`Form::modified`] compares with. A field that still holds what this
    /// form sent ([`Form::mark_sent`]), or that the user never changed,
    /// follows the server; one changed since keeps what was typed, so the
    /// form asks before closing only when it holds something new. The
    /// credentials form, whose secrets cannot be compared with the server,
    /// is emptied when nothing was typed into it since it was sent.
    pub fn take_server_version(&mut self, identity: &Value) {
        match &mut self.body {
            FormBody::Traits(form) => form.field.take_baseline(identity.get("traits").unwrap_or(&Value::Null)),
            FormBody::TraitFields(form) => form.take_server_version(identity.get("traits").unwrap_or(&Value::Null)),
            FormBody::Metadata(form) => {
                form.public
                    .take_baseline(identity.get("metadata_public").unwrap_or(&Value::Null));
                form.admin
                    .take_baseline(identity.get("metadata_admin").unwrap_or(&Value::Null));
            }
            FormBody::State(form) => {
                let follows = match form.sent.take() {
                    Some(sent) => form.active == sent,
                    None => form.active == (form.current == "active"),
                };
                if let Some(state) = identity.get("state").and_then(Value::as_str) {
                    form.current = state.to_owned();
                }
                form.changed_at = identity
                    .get("state_changed_at")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if follows {
                    form.active = form.current == "active";
                }
            }
            FormBody::Schema(form) => {
                let chosen = form.choices.get(form.selected).cloned();
                let follows = match form.sent.take() {
                    Some(sent) => chosen == Some(sent),
                    None => chosen.as_ref() == Some(&form.current),
                };
                if let Some(schema_id) = identity.get("schema_id").and_then(Value::as_str) {
                    if !form.choices.iter().any(|c| c == schema_id) {
                        form.choices.insert(0, schema_id.to_owned());
                        form.selected += 1;
                    }
                    form.current = schema_id.to_owned();
                    if follows {
                        form.selected = form.choices.iter().position(|c| c == schema_id).unwrap_or(0);
                    }
                }
            }
            FormBody::Credentials(form) => form.take_server_version(linked_oidc(identity)),
        }
        self.base = identity.clone();
        if !self.modified() {
            self.confirm_discard = false;
        }
    }

    /// `y` sent the form's change: the form remembers what it held, to
    /// tell when the answer lands whether anything was changed since.
    pub fn mark_sent(&mut self) {
        match &mut self.body {
            FormBody::Traits(form) => form.field.mark_sent(),
            FormBody::TraitFields(form) => form.mark_sent(),
            FormBody::Metadata(form) => {
                form.public.mark_sent();
                form.admin.mark_sent();
            }
            FormBody::State(form) => form.sent = Some(form.active),
            FormBody::Schema(form) => form.sent = form.choices.get(form.selected).cloned(),
            FormBody::Credentials(form) => form.mark_sent(),
        }
    }

    /// An editing key into the focused text field. `validator` is the
    /// schema of the traits being edited.
    pub fn type_key(&mut self, key: KeyEvent, validator: Option<&TraitsValidator>) {
        match &mut self.body {
            FormBody::Traits(form) => {
                form.field.editor.input(key);
                form.field.check(validator);
            }
            FormBody::Metadata(form) => {
                let field = form.focused();
                field.editor.input(key);
                field.check(None);
            }
            FormBody::Credentials(form) => form.type_key(key),
            FormBody::TraitFields(form) => form.type_key(key),
            FormBody::State(_) | FormBody::Schema(_) => {}
        }
    }

    /// Space on the state form or on "hash here".
    pub fn toggle(&mut self) {
        match &mut self.body {
            FormBody::State(form) => form.active = !form.active,
            FormBody::Credentials(form) => form.hash_locally = !form.hash_locally,
            FormBody::TraitFields(form) => form.toggle(),
            _ => {}
        }
    }

    /// `r` on the state form: also revoke all sessions after deactivating, or not.
    pub fn toggle_revoke_sessions(&mut self) {
        if let FormBody::State(form) = &mut self.body {
            form.revoke_sessions = !form.revoke_sessions;
        }
    }

    /// The state to send (`a` active, `i` inactive).
    pub fn set_active(&mut self, active: bool) {
        if let FormBody::State(form) = &mut self.body {
            form.active = active;
        }
    }

    /// Moves the schema choice (or the traits form's open choice list) by one.
    pub fn choose(&mut self, forward: bool) {
        if let FormBody::TraitFields(form) = &mut self.body {
            form.move_choice(forward);
        }
        if let FormBody::Schema(form) = &mut self.body {
            form.selected = if forward {
                (form.selected + 1).min(form.choices.len().saturating_sub(1))
            } else {
                form.selected.saturating_sub(1)
            };
        }
    }

    /// Tab: the other metadata editor, the next credentials or traits field.
    pub fn next_field(&mut self, forward: bool) {
        match &mut self.body {
            FormBody::Metadata(form) => {
                form.focus = match form.focus {
                    MetadataFocus::Public => MetadataFocus::Admin,
                    MetadataFocus::Admin => MetadataFocus::Public,
                }
            }
            FormBody::Credentials(form) => form.move_focus(forward),
            FormBody::TraitFields(form) => form.move_focus(forward),
            _ => {}
        }
    }

    /// ←/→ on the credentials form's import choice.
    pub fn switch_mode(&mut self, forward: bool) {
        if let FormBody::Credentials(form) = &mut self.body {
            form.switch_mode(forward);
        }
    }

    /// Pasted text goes into the focused text field only.
    pub fn paste(&mut self, text: &str, validator: Option<&TraitsValidator>) {
        if self.confirm_discard {
            return;
        }
        match &mut self.body {
            FormBody::Traits(form) => {
                form.field.paste(text);
                form.field.check(validator);
            }
            FormBody::Metadata(form) => {
                let field = form.focused();
                field.paste(text);
                field.check(None);
            }
            FormBody::Credentials(form) => form.paste(text),
            FormBody::TraitFields(form) => form.paste(text),
            FormBody::State(_) | FormBody::Schema(_) => {}
        }
    }

    /// Turns the form into what it asks to change (or a password to hash
    /// first), or puts the reason it cannot at the field (everything typed
    /// stays).
    pub fn submit(&mut self, validator: Option<&TraitsValidator>) -> Option<Submit> {
        if let FormBody::Credentials(form) = &mut self.body {
            let result = form.submit();
            if result.is_none() && self.error.is_none() {
                self.error = Some("fix the field marked in red".into());
            }
            return result;
        }
        let result = match &mut self.body {
            FormBody::Traits(form) => match form.field.check(validator) {
                Some(value) if form.field.problems.is_empty() => Some(FormOutput::Traits(value)),
                Some(_) => {
                    self.error = Some("the traits do not match the identity schema (see the list)".into());
                    None
                }
                None => {
                    self.error = Some("the traits are not valid JSON (see the error)".into());
                    None
                }
            },
            FormBody::State(form) => {
                let wanted = if form.active { "active" } else { "inactive" };
                if wanted == form.current {
                    self.error = Some(format!("the state is {wanted} already: toggle it with space"));
                    None
                } else {
                    Some(FormOutput::State(wanted.to_owned()))
                }
            }
            FormBody::Metadata(form) => match (form.public.check(None), form.admin.check(None)) {
                (Some(public), Some(admin)) => Some(FormOutput::Metadata { public, admin }),
                _ => {
                    self.error = Some("fix the JSON first (see the error under the field)".into());
                    None
                }
            },
            FormBody::Credentials(_) => None,
            // Refused while a field is invalid; the focus goes to the first.
            FormBody::TraitFields(form) => match form.submit() {
                Ok(traits) => Some(FormOutput::Traits(traits)),
                Err(why) => {
                    self.error = Some(why);
                    None
                }
            },
            FormBody::Schema(form) => match form.choices.get(form.selected) {
                Some(choice) if *choice == form.current => {
                    self.error = Some(format!("the identity uses {choice} already"));
                    None
                }
                Some(choice) if form.needs_new_traits => {
                    self.error = Some(format!(
                        "the traits do not fit the schema {choice}: change both with the command above"
                    ));
                    None
                }
                Some(choice) if !form.problems.is_empty() => {
                    self.error = Some(format!("the traits do not fit the schema {choice} (see the list)"));
                    None
                }
                Some(choice) => Some(FormOutput::Schema {
                    schema_id: choice.clone(),
                }),
                None => {
                    self.error = Some("no identity schema to choose from".into());
                    None
                }
            },
        };
        if result.is_none() && self.error.is_none() {
            self.error = Some("fix the field marked in red".into());
        }
        result.map(Submit::Review)
    }
}
