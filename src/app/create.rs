//! Creating an identity from the console (`n` on the list, issue 18).
//!
//! Three steps on one screen: pick the identity schema (the server's, as
//! the schema form lists them), fill the trait form built from it (empty,
//! required marks, problems as typed) with the state and optionally a
//! password typed twice (masked; "hash here" sends an argon2id hash made on
//! this host instead of the plaintext), then the review: who will be
//! created (the schema's identifier, `crate::who`), every member of the body
//! (the password only as "set"), the reason line. Enter or `y` sends the
//! `POST {identities}` through the runtime ([`Effect::CreateIdentity`]),
//! audited like `idcon create` (`commands::create::review_changes`: intent
//! and outcome, "password: set", never the value).
//!
//! On 201 the new identity's detail opens and its row joins the list. On
//! 409 the review says which identifier is taken and by whom (the client's
//! `explain_conflict`: Kratos's own 409 names nothing, `identity/handler.go`
//! `create` → `sqlcon.ErrUniqueViolation`). A read-only profile is refused
//! on the review: a refusal line in the audit trail, no request.
//!
//! Under the password fields, a PHC hash to import instead (masked like the
//! password, checked at Ctrl-S with `crate::hashes::check_importable`, the
//! check `idcon create --password-hash-stdin` and the credentials form
//! make; sent as `credentials.password.config.hashed_password`, said as
//! "set (a hash imported)"), and `metadata_public` / `metadata_admin` as
//! one-line JSON, checked as typed (a JSON object, or empty: left out of the
//! body, as Kratos's `createIdentityBody` leaves them `null`).
//!
//! Decisions where the issue is silent: the password choice is made by the
//! fields filled (none, typed twice, or a hash pasted; a password and a hash
//! both is refused), so no extra row asks first; metadata is one line of
//! JSON (pasted pretty JSON is joined into one line), not the `m` form's
//! editor. The password and the hash live only in this screen's
//! [`SecretInput`]s (never drafted, drawn as bullets) and in the order
//! handed to the runtime ([`SecretString`], wiped on drop).

use crossterm::event::KeyEvent;
use serde_json::{Map, Value, json};

use super::detail::DetailState;
use super::forms::SecretString;
use super::history::{Outcome, Request, Who};
use super::input::{KeyEffect, SecretInput, TextInput};
use super::keys::{Action, Context};
use super::response::ResponseView;
use super::review::ReasonLine;
use super::rows::IdentityRow;
use super::trait_form::{RowKind, TraitForm};
use super::{App, Effect, Screen, Status, Task};
use crate::sanitize::for_display;
use crate::who::IdentifierHints;

/// The review's words for a password sent for the server to hash.
pub const PLAINTEXT_WORDS: &str = "set (sent for the server to hash)";
/// The review's words for a password hashed here with argon2id.
pub const HASHED_HERE_WORDS: &str = "set (hashed here with argon2id)";
/// The review's words for a PHC hash imported.
pub const IMPORTED_WORDS: &str = "set (a hash imported)";

/// Where the create screen stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Choosing the identity schema.
    Schema,
    /// The trait form and the fields under it.
    Form,
    /// What will be created; Enter or `y` sends.
    Review,
    /// The `POST` is on its way.
    Sending,
}

/// Which field of the form has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Traits,
    State,
    Password,
    Again,
    HashHere,
    /// The PHC hash to import instead of a password.
    Hash,
    MetadataPublic,
    MetadataAdmin,
}

/// The create screen's state. The password fields are [`SecretInput`]s:
/// drawn as bullets, never in `Debug`, wiped when dropped.
#[derive(Debug)]
pub struct CreateScreen {
    pub stage: Stage,
    /// The schemas offered (ids, sorted) and the highlighted one.
    pub schemas: Vec<String>,
    pub chosen: usize,
    /// The schema picked (set when the form opens).
    pub schema_id: String,
    /// The trait form of the schema; `None` when the schema cannot be a
    /// form (then `error` says why and the pick stays open).
    pub traits: Option<TraitForm>,
    pub focus: Focus,
    pub active: bool,
    pub password: SecretInput,
    pub again: SecretInput,
    pub hash_here: bool,
    /// A PHC hash to import (masked: it opens to the password it was made of
    /// to anyone who can crack it).
    pub phc: SecretInput,
    /// Why Kratos would not import `phc` (set at Ctrl-S, gone when edited).
    pub hash_error: Option<String>,
    /// `metadata_public` and `metadata_admin` as one line of JSON each.
    pub metadata_public: TextInput,
    pub metadata_admin: TextInput,
    /// Esc with something typed: "Discard what was typed?" is asked.
    pub confirm_discard: bool,
    pub reason: ReasonLine,
    /// The body reviewed (no credentials: the password is said in words).
    pub body: Value,
    /// Who it will be (raw: [`Who::label`] sanitises).
    pub who: Who,
    /// Why the last step or attempt failed, or the 409 explained (raw:
    /// sanitise to draw it).
    pub error: Option<String>,
    /// The request history's entry of the attempt in flight.
    entry: Option<usize>,
}

impl CreateScreen {
    /// Whether a password was typed (the review says "set", never what).
    pub fn has_password(&self) -> bool {
        !self.password.is_empty()
    }

    /// Whether a PHC hash was pasted to import.
    pub fn has_hash(&self) -> bool {
        !self.phc.expose().trim().is_empty()
    }

    /// Whether Esc would drop something typed (a trait, a password, a hash,
    /// metadata).
    pub fn typed_anything(&self) -> bool {
        self.traits.as_ref().is_some_and(TraitForm::modified)
            || !self.password.is_empty()
            || !self.again.is_empty()
            || !self.phc.is_empty()
            || !self.metadata_public.text().is_empty()
            || !self.metadata_admin.text().is_empty()
    }

    /// What is wrong with the metadata field `focus` as typed, in words.
    pub fn metadata_problem(&self, focus: Focus) -> Option<String> {
        let (name, input) = match focus {
            Focus::MetadataPublic => ("metadata_public", &self.metadata_public),
            Focus::MetadataAdmin => ("metadata_admin", &self.metadata_admin),
            _ => return None,
        };
        metadata_value(input.text()).err().map(|why| format!("{name}: {why}"))
    }

    /// The problem to show under the fields: the focused metadata field's,
    /// then the other's, then the hash's, then the last attempt's.
    pub fn field_problem(&self) -> Option<String> {
        let others = [Focus::MetadataPublic, Focus::MetadataAdmin];
        std::iter::once(self.focus)
            .chain(others)
            .find_map(|f| self.metadata_problem(f))
            .or_else(|| self.hash_error.as_ref().map(|why| format!("PHC hash: {why}")))
            .or_else(|| self.error.clone())
    }

    /// What the review says of the password: the words of `idcon
    /// create`'s `PasswordSource::words` (a test in `commands::console`
    /// keeps them equal; `app` reaches no command code).
    pub fn password_words(&self) -> Option<&'static str> {
        if self.has_hash() {
            return Some(IMPORTED_WORDS);
        }
        self.has_password().then_some(if self.hash_here {
            HASHED_HERE_WORDS
        } else {
            PLAINTEXT_WORDS
        })
    }
}

/// A metadata field's value: `None` when empty (left out of the body), the
/// object typed, or why it is not one.
pub fn metadata_value(text: &str) -> Result<Option<Value>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(Some(value)),
        Ok(other) => Err(format!(
            "must be a JSON object like {{\"team\": \"ops\"}}, not {}",
            match other {
                Value::Array(_) => "a list",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                Value::Bool(_) => "true or false",
                _ => "null",
            }
        )),
        Err(err) => Err(format!("not JSON yet ({err})")),
    }
}

/// What the runtime sends: the body, with the password added there (hashed
/// there first when `hash_here`), audited like `idcon create`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateOrder {
    /// `schema_id`, `state`, `traits`; no credentials.
    pub body: Value,
    pub password: Option<SecretString>,
    pub hash_here: bool,
    /// A PHC hash to import as `hashed_password` (checked already).
    pub password_hash: Option<SecretString>,
    /// The primary identifier, so the audit trail names a person.
    pub identifier: Option<String>,
    /// The reason line, checked with `write::check_reason`.
    pub why: Option<String>,
    /// The schema's identifier marks, to explain a 409.
    pub hints: Option<IdentifierHints>,
}

/// What became of a create ([`Effect::CreateIdentity`]).
#[derive(Debug, Clone, PartialEq)]
pub enum CreateAnswer {
    /// 201: the identity as the server made it.
    Created {
        identity: Value,
        status: u16,
        request_id: String,
        response: Option<Box<ResponseView>>,
    },
    /// 409, in plain words: which identifier is taken and by whom.
    Conflict(String),
}

/// [`CreateAnswer`], or why nothing was created (in words).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateDone {
    pub result: Result<CreateAnswer, String>,
}

/// `n` on the list: the schema pick (the schemas the console has loaded).
pub(super) fn open(app: &mut App) -> Vec<Effect> {
    let schemas = app.schemas.known_ids();
    if schemas.is_empty() {
        let why = app
            .schema_list_problem()
            .map(|p| format!(": {}", for_display(p)))
            .unwrap_or_default();
        app.chrome.status = Status::Error(format!(
            "Cannot create an identity: no identity schema is loaded{why}; r reloads"
        ));
        return Vec::new();
    }
    app.create = Some(CreateScreen {
        stage: Stage::Schema,
        schemas,
        chosen: 0,
        schema_id: String::new(),
        traits: None,
        focus: Focus::Traits,
        active: true,
        password: SecretInput::default(),
        again: SecretInput::default(),
        hash_here: false,
        phc: SecretInput::default(),
        hash_error: None,
        metadata_public: TextInput::default(),
        metadata_admin: TextInput::default(),
        confirm_discard: false,
        reason: ReasonLine::offered(app.history.last_reason.as_deref()),
        body: Value::Null,
        who: Who {
            id: String::new(),
            identifier: None,
            name: None,
        },
        error: None,
        entry: None,
    });
    app.screen = Screen::Create;
    app.chrome.status = Status::None;
    Vec::new()
}

/// Where the keys go on the create screen. The trait form's rows take the
/// keys of the identity's traits form, the password fields those of the
/// credentials form; the rest are the create screen's own.
pub(super) fn context(app: &App) -> Context {
    let Some(screen) = app.create.as_ref() else {
        return Context::CreateSchema;
    };
    match screen.stage {
        Stage::Schema => Context::CreateSchema,
        Stage::Review if screen.reason.editing() => Context::CreateReason,
        Stage::Review => Context::CreateReview,
        Stage::Sending => Context::CreateSending,
        Stage::Form if screen.confirm_discard => Context::Discard,
        Stage::Form => match screen.focus {
            Focus::State => Context::CreateState,
            Focus::Password | Focus::Again | Focus::Hash | Focus::MetadataPublic | Focus::MetadataAdmin => {
                Context::FormField
            }
            Focus::HashHere => Context::FormToggle,
            Focus::Traits => match screen.traits.as_ref() {
                Some(form) if form.choosing() => Context::FormTraitChoosing,
                Some(form) => match form.focused_kind() {
                    Some(RowKind::Text) => Context::FormTraitText,
                    Some(RowKind::Check) => Context::FormTraitCheck,
                    Some(RowKind::Choice) => Context::FormTraitChoice,
                    _ => Context::FormTraitOther,
                },
                None => Context::CreateState,
            },
        },
    }
}

/// Back to the list, nothing created (the password is wiped with the screen).
fn close(app: &mut App) -> Vec<Effect> {
    app.create = None;
    app.screen = Screen::List;
    app.chrome.status = Status::Info("Nothing was created".into());
    Vec::new()
}

/// A key on the create screen, by its action (see `keys`).
pub(super) fn on_action(app: &mut App, action: Action, key: KeyEvent) -> Vec<Effect> {
    let Some(stage) = app.create.as_ref().map(|s| s.stage) else {
        app.screen = Screen::List;
        return Vec::new();
    };
    match stage {
        Stage::Schema => on_schema_action(app, action),
        Stage::Form => on_form_action(app, action, key),
        Stage::Review => on_review_action(app, action, key),
        Stage::Sending => Vec::new(),
    }
}

fn on_schema_action(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(screen) = app.create.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::Back => return close(app),
        Action::Down => screen.chosen = (screen.chosen + 1).min(screen.schemas.len().saturating_sub(1)),
        Action::Up => screen.chosen = screen.chosen.saturating_sub(1),
        Action::Open => {
            let Some(schema_id) = screen.schemas.get(screen.chosen).cloned() else {
                return Vec::new();
            };
            let Some(doc) = app.schemas.docs.get(&schema_id) else {
                screen.error = Some(format!("the identity schema {schema_id} is not loaded here"));
                return Vec::new();
            };
            match TraitForm::open(doc, &json!({}), &json!({})) {
                Ok(form) => {
                    screen.traits = Some(form);
                    screen.schema_id = schema_id;
                    screen.focus = Focus::Traits;
                    screen.stage = Stage::Form;
                    screen.error = None;
                    app.chrome.status = Status::None;
                }
                Err(why) => {
                    app.chrome.status = Status::Error(format!(
                        "The schema {} cannot be a form here: {}; idcon create --traits-file creates with it",
                        for_display(&schema_id),
                        for_display(&why)
                    ));
                }
            }
        }
        _ => {}
    }
    Vec::new()
}

/// The fields after the trait form, in order.
const AFTER_TRAITS: [Focus; 7] = [
    Focus::State,
    Focus::Password,
    Focus::Again,
    Focus::HashHere,
    Focus::Hash,
    Focus::MetadataPublic,
    Focus::MetadataAdmin,
];

fn move_focus(screen: &mut CreateScreen, forward: bool) {
    if screen.focus == Focus::Traits {
        if let Some(form) = screen.traits.as_mut() {
            let before = form.focus();
            form.move_focus(forward);
            if form.focus() != before {
                return;
            }
        }
        if forward {
            screen.focus = Focus::State;
        }
        return;
    }
    let at = AFTER_TRAITS.iter().position(|f| *f == screen.focus).unwrap_or(0);
    screen.focus = match (forward, at) {
        (true, at) if at + 1 < AFTER_TRAITS.len() => AFTER_TRAITS[at + 1],
        (true, _) => screen.focus,
        (false, 0) => Focus::Traits,
        (false, at) => AFTER_TRAITS[at - 1],
    };
}

fn on_form_action(app: &mut App, action: Action, key: KeyEvent) -> Vec<Effect> {
    let Some(screen) = app.create.as_mut() else {
        return Vec::new();
    };
    screen.error = None;
    if let Some(form) = screen.traits.as_mut() {
        form.notice = None;
    }
    match action {
        Action::Discard => return close(app),
        Action::KeepEditing => screen.confirm_discard = false,
        Action::Back if screen.typed_anything() => screen.confirm_discard = true,
        Action::Back => return close(app),
        Action::Review => return review(app),
        Action::NextField => move_focus(screen, true),
        Action::PrevField => move_focus(screen, false),
        Action::SetActive => screen.active = true,
        Action::SetInactive => screen.active = false,
        Action::Toggle if screen.focus == Focus::State => screen.active = !screen.active,
        Action::Toggle if screen.focus == Focus::HashHere => screen.hash_here = !screen.hash_here,
        Action::Type => match screen.focus {
            Focus::Password => {
                screen.password.on_key(key);
            }
            Focus::Again => {
                screen.again.on_key(key);
            }
            Focus::Hash => {
                // An edit makes the last check's error stale.
                let changed = screen.phc.on_key(key) == KeyEffect::Changed;
                if changed {
                    screen.hash_error = None;
                }
            }
            Focus::MetadataPublic => {
                screen.metadata_public.on_key(key);
            }
            Focus::MetadataAdmin => {
                screen.metadata_admin.on_key(key);
            }
            Focus::Traits => {
                if let Some(form) = screen.traits.as_mut() {
                    form.type_key(key);
                }
            }
            _ => {}
        },
        Action::SwitchEditor => {
            app.chrome.status = Status::Info(
                "The JSON editor is not offered when creating: fill the fields (idcon create --traits-file takes JSON)"
                    .into(),
            );
        }
        _ => {
            if let Some(form) = screen.traits.as_mut().filter(|_| screen.focus == Focus::Traits) {
                match action {
                    Action::Toggle => form.toggle(),
                    Action::AddItem => form.add_item(),
                    Action::RemoveItem => form.remove_item(),
                    Action::Unset => form.unset(),
                    Action::OpenChoice => form.open_choice(),
                    Action::PickChoice => form.pick_choice(),
                    Action::CloseChoice => form.close_choice(),
                    Action::Up => form.move_choice(false),
                    Action::Down => form.move_choice(true),
                    _ => {}
                }
            }
        }
    }
    keep_in_view(app);
    Vec::new()
}

/// Scrolls the trait form so its focus shows above the fields under it.
fn keep_in_view(app: &mut App) {
    let viewport = form_viewport(app);
    let width = usize::from(app.chrome.width);
    if let Some(form) = app.create.as_mut().and_then(|s| s.traits.as_mut()) {
        form.keep_in_view(width, viewport);
    }
}

/// The rows under the trait form: a heading, state, the two password
/// fields, "hash here", the PHC hash, the two metadata fields, and the
/// problem line.
pub const FIELD_ROWS: usize = 9;

/// Rows the trait form gets: the screen less the header, status, footer,
/// the title, the form's banner and the five lines of the fields under it.
pub fn form_viewport(app: &App) -> usize {
    let banner = app
        .create
        .as_ref()
        .and_then(|s| s.traits.as_ref())
        .map_or(0, |f| f.banner().len().min(super::trait_form::layout::MAX_BANNER));
    let chrome = 3 + usize::from(app.profile.danger) + 2 + FIELD_ROWS + banner;
    usize::from(app.chrome.height).saturating_sub(chrome).max(1)
}

/// Ctrl-S on the form: the review, or what to fix first (focused).
fn review(app: &mut App) -> Vec<Effect> {
    let hints = app
        .create
        .as_ref()
        .and_then(|s| app.schemas.hints.get(&s.schema_id).cloned());
    let Some(screen) = app.create.as_mut() else {
        return Vec::new();
    };
    let traits = match screen.traits.as_mut().map(TraitForm::submit) {
        Some(Ok(traits)) => traits,
        Some(Err(why)) => {
            screen.focus = Focus::Traits;
            app.chrome.status = Status::Error(format!("Not ready: {why}"));
            return Vec::new();
        }
        None => return Vec::new(),
    };
    if screen.password.expose() != screen.again.expose() {
        screen.focus = Focus::Again;
        app.chrome.status = Status::Error("Not ready: the two passwords differ; type the same one twice".into());
        return Vec::new();
    }
    if screen.password.is_empty() && screen.hash_here {
        screen.focus = Focus::Password;
        app.chrome.status =
            Status::Error("Not ready: \"hash here\" is on but no password was typed (turn it off, or type one)".into());
        return Vec::new();
    }
    if screen.has_hash() && !screen.password.is_empty() {
        screen.focus = Focus::Hash;
        app.chrome.status = Status::Error(
            "Not ready: a password was typed and a hash pasted; keep one (Ctrl-U empties a field)".into(),
        );
        return Vec::new();
    }
    if screen.has_hash() {
        // The same check as the credentials form and `idcon create
        // --password-hash-stdin` (Kratos's `hash.Compare*` formats).
        if let Err(err) = crate::hashes::check_importable(screen.phc.expose().trim()) {
            screen.focus = Focus::Hash;
            let why = format!("Kratos would not import it: {err}");
            app.chrome.status = Status::Error(format!("Not ready: the PHC hash: {why}"));
            screen.hash_error = Some(why);
            return Vec::new();
        }
    }
    let mut metadata = Vec::new();
    let typed = [
        (
            Focus::MetadataPublic,
            "metadata_public",
            metadata_value(screen.metadata_public.text()),
        ),
        (
            Focus::MetadataAdmin,
            "metadata_admin",
            metadata_value(screen.metadata_admin.text()),
        ),
    ];
    for (focus, name, value) in typed {
        match value {
            Ok(value) => metadata.push((name, value)),
            Err(why) => {
                screen.focus = focus;
                app.chrome.status = Status::Error(format!("Not ready: {name}: {why}"));
                return Vec::new();
            }
        }
    }
    let mut body = Map::new();
    body.insert("schema_id".into(), json!(screen.schema_id));
    body.insert("state".into(), json!(if screen.active { "active" } else { "inactive" }));
    body.insert("traits".into(), traits.clone());
    for (name, value) in metadata {
        if let Some(value) = value {
            body.insert(name.into(), value);
        }
    }
    screen.body = Value::Object(body);
    screen.who = Who {
        id: String::new(),
        identifier: crate::who::primary_identifier(&traits, hints.as_ref()),
        name: crate::who::display_name(&traits),
    };
    screen.stage = Stage::Review;
    app.chrome.status = Status::None;
    Vec::new()
}

fn on_review_action(app: &mut App, action: Action, key: KeyEvent) -> Vec<Effect> {
    let required = app.profile.require_reason;
    let profile = app.profile.name.clone();
    let read_only = app.profile.read_only;
    let Some(screen) = app.create.as_mut() else {
        return Vec::new();
    };
    if screen.reason.editing() {
        if let Some(status) = screen.reason.on_key(action, key) {
            app.chrome.status = status;
        }
        return Vec::new();
    }
    match action {
        Action::Back => {
            screen.stage = Stage::Form;
            app.chrome.status = Status::None;
        }
        Action::Reason => app.chrome.status = screen.reason.edit(),
        Action::Send if read_only => {
            let reason = format!(
                "profile \"{profile}\" is read-only: creating {} was refused, nothing was signed or sent",
                screen.who.identifier.as_deref().unwrap_or("an identity")
            );
            app.chrome.status = Status::Error(for_display(&reason).into_owned());
            return vec![Effect::AuditRefusal {
                identity_id: None,
                reason,
            }];
        }
        Action::Send => match screen.reason.for_sending(required, &profile) {
            Err(status) => app.chrome.status = status,
            Ok(why) => return send(app, why),
        },
        _ => {}
    }
    Vec::new()
}

/// Enter or `y` on the review: the runtime adds the password and posts.
fn send(app: &mut App, why: Option<String>) -> Vec<Effect> {
    let hints = app
        .create
        .as_ref()
        .and_then(|s| app.schemas.hints.get(&s.schema_id).cloned());
    let Some(screen) = app.create.as_mut() else {
        return Vec::new();
    };
    screen.stage = Stage::Sending;
    screen.error = None;
    let order = CreateOrder {
        body: screen.body.clone(),
        password: (screen.has_password() && !screen.has_hash())
            .then(|| SecretString(screen.password.expose().to_owned())),
        hash_here: screen.hash_here,
        password_hash: screen
            .has_hash()
            .then(|| SecretString(screen.phc.expose().trim().to_owned())),
        identifier: screen.who.identifier.clone(),
        why: why.clone(),
        hints,
    };
    app.chrome.status = Status::Info(format!("Creating {}…", screen.who.label()));
    let mut changed = vec!["identity created".to_owned()];
    if let Some(words) = screen.password_words() {
        changed.push(format!("password {words}"));
    }
    for name in ["metadata_public", "metadata_admin"] {
        if screen.body.get(name).is_some() {
            changed.push(format!("{name} set"));
        }
    }
    app.history.entries.push(Request {
        at: Some(app.chrome.now),
        who: screen.who.clone(),
        changed,
        reason: why.clone(),
        outcome: Outcome::Sending,
        response: None,
        late: false,
    });
    screen.entry = Some(app.history.entries.len() - 1);
    app.history.last_reason = why;
    app.begin(Task::Create);
    vec![Effect::CreateIdentity(Box::new(order))]
}

/// What the runtime's `POST` gave.
pub(super) fn on_done(app: &mut App, done: CreateDone) -> Vec<Effect> {
    app.finish(Task::Create);
    let Some(screen) = app.create.as_mut() else {
        return Vec::new();
    };
    if let Some(request) = screen.entry.take().and_then(|i| app.history.entries.get_mut(i)) {
        match &done.result {
            Ok(CreateAnswer::Created { response, identity, .. }) => {
                request.outcome = Outcome::Answered;
                request.response = response.as_deref().cloned();
                request.who.id = identity
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
            }
            Ok(CreateAnswer::Conflict(why)) | Err(why) => request.outcome = Outcome::Failed(why.clone()),
        }
    }
    match done.result {
        Ok(CreateAnswer::Created {
            identity,
            status,
            request_id,
            ..
        }) => {
            let label = screen.who.label();
            app.create = None;
            let id = identity
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let hints = identity
                .get("schema_id")
                .and_then(Value::as_str)
                .and_then(|s| app.schemas.hints.get(s));
            let row = IdentityRow::from_identity(&identity, hints);
            let mut rows = app.list.rows.clone();
            rows.insert(0, row);
            app.list.set_rows(rows);
            let mut effects = vec![];
            app.detail = super::DetailScreen::default();
            app.detail.state = Some(DetailState::loading(id.clone()));
            app.screen = Screen::Detail;
            app.begin(Task::Identity);
            effects.extend(super::detail::on_identity(app, id.clone(), Ok(identity)));
            app.chrome.status = Status::Info(format!(
                "Created {label} ({}) · HTTP {status} · request {}",
                for_display(&id),
                for_display(&request_id)
            ));
            effects
        }
        Ok(CreateAnswer::Conflict(why)) => {
            screen.stage = Stage::Review;
            app.chrome.status = Status::Error("Not created: an identifier is already taken (see above)".into());
            screen.error = Some(why);
            Vec::new()
        }
        Err(why) => {
            screen.stage = Stage::Review;
            app.chrome.status = Status::Error(format!("Not created: {}", for_display(&why)));
            screen.error = Some(why);
            Vec::new()
        }
    }
}

/// A paste goes into the focused field (one line); never into a prompt.
pub(super) fn on_paste(app: &mut App, text: &str) {
    let Some(screen) = app.create.as_mut() else {
        return;
    };
    let line = text.lines().next().unwrap_or_default();
    match (screen.stage, screen.focus) {
        (Stage::Review, _) => {
            screen.reason.paste(text);
        }
        (Stage::Form, Focus::Traits) => {
            if let Some(form) = screen.traits.as_mut() {
                form.paste(text);
            }
        }
        (Stage::Form, Focus::Password) => screen.password.insert(line),
        (Stage::Form, Focus::Again) => screen.again.insert(line),
        (Stage::Form, Focus::Hash) => {
            screen.phc.insert(line.trim());
            screen.hash_error = None;
        }
        // JSON strings hold no raw line breaks: pretty JSON joins into one
        // line with the same meaning.
        (Stage::Form, Focus::MetadataPublic) => screen.metadata_public.insert(&one_line(text)),
        (Stage::Form, Focus::MetadataAdmin) => screen.metadata_admin.insert(&one_line(text)),
        _ => {}
    }
}

/// Pasted text on one line: each line trimmed, joined by a space.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
