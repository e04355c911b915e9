//! The edit forms: traits, state, metadata, credentials and schema. Each form
//! keeps exactly what the user typed (nothing is lost on a failed send) and
//! turns it into a [`FormOutput`] only when the user asks to review.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;
use serde_json::Value;

use super::input::{SecretInput, TextInput};
use super::json_edit::{Problem, TraitsValidator, editable_text, parse};

/// Shown where traits cannot be checked against their identity schema here
/// (it could not be loaded): the header and the traits form.
pub const SCHEMA_UNKNOWN_MARK: &str = "schema unknown — traits not validated";

/// Shown in the traits form while its schema is still being loaded.
pub const SCHEMA_LOADING_MARK: &str = "schema loading — traits not validated yet";

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

/// A password on its way into a request body: never printed by `Debug`.
#[derive(PartialEq)]
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

/// What a key did in a form, for the app to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormAction {
    Nothing,
    /// Ctrl-S: build the request and open the review.
    Review,
    /// Esc: leave the form.
    Close,
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
    original: String,
}

impl JsonField {
    pub fn new(value: &Value) -> Self {
        let text = editable_text(value);
        let mut field = Self {
            editor: new_editor(&text),
            problems: Vec::new(),
            original: text,
        };
        field.problems.clear();
        field
    }

    /// Starts from text (a draft or the external editor's result).
    pub fn from_text(text: &str, original: &Value) -> Self {
        Self {
            editor: new_editor(text),
            problems: Vec::new(),
            original: editable_text(original),
        }
    }

    pub fn text(&self) -> String {
        editor_text(&self.editor)
    }

    pub fn modified(&self) -> bool {
        self.text() != self.original
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

/// What the credentials form imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialMode {
    Password,
    Hash,
    Oidc,
}

impl CredentialMode {
    pub const ALL: [CredentialMode; 3] = [CredentialMode::Password, CredentialMode::Hash, CredentialMode::Oidc];

    pub fn title(self) -> &'static str {
        match self {
            CredentialMode::Password => "New password",
            CredentialMode::Hash => "Import a password hash",
            CredentialMode::Oidc => "Link an OIDC provider",
        }
    }
}

/// The fields of the credentials form, in Tab order per mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialField {
    Mode,
    Password,
    Confirm,
    HashLocally,
    Phc,
    Provider,
    Subject,
}

#[derive(Debug)]
pub struct CredentialsForm {
    pub mode: CredentialMode,
    pub focus: CredentialField,
    pub password: SecretInput,
    pub confirm: SecretInput,
    /// Hash the new password here with argon2id so the plaintext never leaves this host.
    pub hash_locally: bool,
    pub phc: TextInput,
    pub provider: TextInput,
    pub subject: TextInput,
    /// The provider/subject pairs already linked (from the identity).
    pub linked: Vec<(String, String)>,
    /// The inline error at the field that is wrong.
    pub field_error: Option<(CredentialField, String)>,
}

impl CredentialsForm {
    pub fn fields(&self) -> &'static [CredentialField] {
        match self.mode {
            CredentialMode::Password => &[
                CredentialField::Mode,
                CredentialField::Password,
                CredentialField::Confirm,
                CredentialField::HashLocally,
            ],
            CredentialMode::Hash => &[CredentialField::Mode, CredentialField::Phc],
            CredentialMode::Oidc => &[
                CredentialField::Mode,
                CredentialField::Provider,
                CredentialField::Subject,
            ],
        }
    }

    fn move_focus(&mut self, forward: bool) {
        let fields = self.fields();
        let at = fields.iter().position(|f| *f == self.focus).unwrap_or(0);
        let next = if forward {
            (at + 1) % fields.len()
        } else {
            (at + fields.len() - 1) % fields.len()
        };
        self.focus = fields[next];
    }

    fn switch_mode(&mut self, forward: bool) {
        let all = CredentialMode::ALL;
        let at = all.iter().position(|m| *m == self.mode).unwrap_or(0);
        self.mode = all[if forward {
            (at + 1) % all.len()
        } else {
            (at + all.len() - 1) % all.len()
        }];
        self.field_error = None;
    }

    /// Checks the fields of the current mode and builds the output, or names
    /// the field that is wrong. Nothing typed is cleared either way.
    pub fn output(&mut self) -> Option<FormOutput> {
        self.field_error = None;
        let fail = |form: &mut Self, field, message: &str| {
            form.field_error = Some((field, message.to_owned()));
            form.focus = field;
            None
        };
        match self.mode {
            CredentialMode::Password => {
                if self.password.is_empty() {
                    return fail(self, CredentialField::Password, "type the new password");
                }
                if self.password.expose() != self.confirm.expose() {
                    return fail(self, CredentialField::Confirm, "the two passwords differ");
                }
                if self.hash_locally {
                    match crate::hashes::hash_password_argon2id(self.password.expose()) {
                        Ok(hash) => Some(FormOutput::PasswordHash(hash)),
                        Err(err) => fail(self, CredentialField::HashLocally, &err.to_string()),
                    }
                } else {
                    Some(FormOutput::Password(SecretString(self.password.expose().to_owned())))
                }
            }
            CredentialMode::Hash => {
                let hash = self.phc.text().trim().to_owned();
                if hash.is_empty() {
                    return fail(self, CredentialField::Phc, "paste the hash to import");
                }
                match crate::hashes::check_importable(&hash) {
                    Ok(()) => Some(FormOutput::PasswordHash(hash)),
                    Err(err) => fail(self, CredentialField::Phc, &err.to_string()),
                }
            }
            CredentialMode::Oidc => {
                let provider = self.provider.text().trim().to_owned();
                let subject = self.subject.text().trim().to_owned();
                if provider.is_empty() {
                    return fail(
                        self,
                        CredentialField::Provider,
                        "the provider id is empty (e.g. google)",
                    );
                }
                if subject.is_empty() {
                    return fail(
                        self,
                        CredentialField::Subject,
                        "the subject is empty (the user's id at the provider)",
                    );
                }
                if self.linked.iter().any(|(p, s)| *p == provider && *s == subject) {
                    return fail(
                        self,
                        CredentialField::Subject,
                        "this provider and subject are linked already",
                    );
                }
                Some(FormOutput::Oidc { provider, subject })
            }
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
}

// One form is open at a time, so the size of the largest variant (two JSON
// editors) costs nothing; boxing would only add indirection everywhere.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum FormBody {
    Traits(TraitsForm),
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
            FormBody::Traits(_) => FormKind::Traits,
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
        let linked = identity
            .pointer("/credentials/oidc/identifiers")
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(Value::as_str)
                    .filter_map(|id| id.split_once(':'))
                    .map(|(p, s)| (p.to_owned(), s.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        FormBody::Credentials(CredentialsForm {
            mode: CredentialMode::Password,
            focus: CredentialField::Password,
            password: SecretInput::default(),
            confirm: SecretInput::default(),
            hash_locally: false,
            phc: TextInput::default(),
            provider: TextInput::default(),
            subject: TextInput::default(),
            linked,
            field_error: None,
        })
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
        })
    }

    /// True when the user changed something that would be lost on Esc.
    pub fn modified(&self) -> bool {
        match &self.body {
            FormBody::Traits(f) => f.field.modified(),
            FormBody::State(f) => f.active != (f.current == "active"),
            FormBody::Metadata(f) => f.public.modified() || f.admin.modified(),
            // Any field typed into counts, whichever mode shows now.
            FormBody::Credentials(f) => {
                !f.password.is_empty()
                    || !f.confirm.is_empty()
                    || !f.phc.text().is_empty()
                    || !f.provider.text().is_empty()
                    || !f.subject.text().is_empty()
            }
            FormBody::Schema(f) => f.choices.get(f.selected).is_some_and(|c| *c != f.current),
        }
    }

    /// Handles a key. `validator` is the schema of the traits being edited
    /// (for the schema form: of the selected schema).
    pub fn on_key(&mut self, key: KeyEvent, validator: Option<&TraitsValidator>) -> FormAction {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if self.confirm_discard {
            return match key.code {
                KeyCode::Char('y') => FormAction::Close,
                _ => {
                    self.confirm_discard = false;
                    FormAction::Nothing
                }
            };
        }
        if ctrl && matches!(key.code, KeyCode::Char('s') | KeyCode::Char('S')) {
            return FormAction::Review;
        }
        if key.code == KeyCode::Esc {
            if self.modified() {
                self.confirm_discard = true;
                return FormAction::Nothing;
            }
            return FormAction::Close;
        }
        self.error = None;
        match &mut self.body {
            FormBody::Traits(form) => {
                form.field.editor.input(key);
                form.field.check(validator);
            }
            FormBody::State(form) => match key.code {
                KeyCode::Char(' ') | KeyCode::Enter | KeyCode::Tab => form.active = !form.active,
                KeyCode::Char('a') | KeyCode::Up | KeyCode::Char('k') => form.active = true,
                KeyCode::Char('i') | KeyCode::Down | KeyCode::Char('j') => form.active = false,
                _ => {}
            },
            FormBody::Metadata(form) => match key.code {
                KeyCode::Tab | KeyCode::BackTab => {
                    form.focus = match form.focus {
                        MetadataFocus::Public => MetadataFocus::Admin,
                        MetadataFocus::Admin => MetadataFocus::Public,
                    }
                }
                _ => {
                    let field = match form.focus {
                        MetadataFocus::Public => &mut form.public,
                        MetadataFocus::Admin => &mut form.admin,
                    };
                    field.editor.input(key);
                    field.check(None);
                }
            },
            FormBody::Credentials(form) => on_credentials_key(form, key),
            FormBody::Schema(form) => match key.code {
                KeyCode::Up | KeyCode::Char('k') => form.selected = form.selected.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => {
                    form.selected = (form.selected + 1).min(form.choices.len().saturating_sub(1))
                }
                _ => {}
            },
        }
        FormAction::Nothing
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
                let field = match form.focus {
                    MetadataFocus::Public => &mut form.public,
                    MetadataFocus::Admin => &mut form.admin,
                };
                field.paste(text);
                field.check(None);
            }
            FormBody::Credentials(form) => {
                let line = text.lines().next().unwrap_or_default();
                match form.focus {
                    CredentialField::Password => form.password.insert(line),
                    CredentialField::Confirm => form.confirm.insert(line),
                    CredentialField::Phc => form.phc.insert(line.trim()),
                    CredentialField::Provider => form.provider.insert(line),
                    CredentialField::Subject => form.subject.insert(line),
                    CredentialField::Mode | CredentialField::HashLocally => {}
                }
            }
            FormBody::State(_) | FormBody::Schema(_) => {}
        }
    }

    /// Turns the form into what it asks to change, or puts the reason it
    /// cannot at the field (everything typed stays).
    pub fn output(&mut self, validator: Option<&TraitsValidator>) -> Option<FormOutput> {
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
            FormBody::Credentials(form) => form.output(),
            FormBody::Schema(form) => match form.choices.get(form.selected) {
                Some(choice) if *choice == form.current => {
                    self.error = Some(format!("the identity uses {choice} already"));
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
        result
    }
}

fn on_credentials_key(form: &mut CredentialsForm, key: KeyEvent) {
    match key.code {
        KeyCode::Tab | KeyCode::Down => form.move_focus(true),
        KeyCode::BackTab | KeyCode::Up => form.move_focus(false),
        _ => match form.focus {
            CredentialField::Mode => match key.code {
                KeyCode::Left => form.switch_mode(false),
                KeyCode::Right | KeyCode::Char(' ') => form.switch_mode(true),
                _ => {}
            },
            CredentialField::HashLocally => {
                if matches!(key.code, KeyCode::Char(' ') | KeyCode::Enter) {
                    form.hash_locally = !form.hash_locally;
                }
            }
            CredentialField::Password => {
                form.password.on_key(key);
            }
            CredentialField::Confirm => {
                form.confirm.on_key(key);
            }
            CredentialField::Phc => {
                form.phc.on_key(key);
            }
            CredentialField::Provider => {
                form.provider.on_key(key);
            }
            CredentialField::Subject => {
                form.subject.on_key(key);
            }
        },
    }
}
