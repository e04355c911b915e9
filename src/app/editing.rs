//! Opening the edit forms and acting on their keys. Sending lives in
//! `review`; this module only gets the user from an identity to a form and
//! back, never losing what they typed.

use crossterm::event::KeyEvent;
use serde_json::Value;

use super::attribute::AttributeForm;
use super::detail::Pending;
use super::forms::{Form, FormBody, FormKind, JsonField, SecretString, Submit};
use super::json_edit::{Problem, editable_text};
use super::keys::{Action, Context};
use super::response::ResponseView;
use super::review::Review;
use super::schemas::Schemas;
use super::trait_form::{RowKind, TraitForm, layout};
use super::{App, Effect, Screen, Status, Task};

/// The writing side of the console: one form at a time, its review, the
/// attribute-registry form, and the answer to the last request.
#[derive(Debug, Default)]
pub struct Editing {
    /// The open edit form.
    pub form: Option<Form>,
    /// The review of the form's change, once Ctrl-S built it.
    pub review: Option<Review>,
    /// The open attribute-registry form.
    pub attribute: Option<AttributeForm>,
    /// The answer shown on the response screen.
    pub response: Option<ResponseView>,
}

/// Refuses every write key on a read-only profile, before anything opens;
/// the refusal is recorded in the audit trail like any refused write.
pub(super) fn refuse_read_only(app: &mut App, pending: Pending, identity_id: Option<String>) -> Option<Vec<Effect>> {
    if !app.profile.read_only {
        return None;
    }
    app.chrome.status = Status::Error(format!(
        "Profile “{}” is read-only: nothing can be changed or sent from it",
        app.profile.name
    ));
    let what = match pending {
        Pending::Attribute => "attribute",
        Pending::External => FormKind::Traits.name(),
        Pending::Form(kind) => kind.name(),
    };
    Some(vec![Effect::AuditRefusal {
        identity_id,
        reason: format!("read-only profile: the {what} form was refused"),
    }])
}

/// An edit key on the detail view of a loaded identity.
pub(super) fn edit_on_detail(app: &mut App, pending: Pending) -> Vec<Effect> {
    let id = app.detail.id().map(str::to_owned);
    if let Some(refused) = refuse_read_only(app, pending, id) {
        return refused;
    }
    if pending == Pending::Attribute {
        return super::attribute::open(app);
    }
    if app.detail.identity().is_none() {
        app.chrome.status = Status::Info("Wait until the identity has loaded".into());
        return Vec::new();
    }
    match pending {
        Pending::Form(kind) => open_form(app, kind),
        _ => open_externally(app),
    }
}

fn schema_of(identity: &Value) -> String {
    identity
        .get("schema_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// `E`: the traits of the identity open, in the user's own editor.
pub(super) fn open_externally(app: &mut App) -> Vec<Effect> {
    let (Some(identity_id), Some(identity)) = (app.detail.id(), app.detail.identity()) else {
        return Vec::new();
    };
    let identity_id = identity_id.to_owned();
    let schema_id = schema_of(identity);
    let text = editable_text(identity.get("traits").unwrap_or(&Value::Null));
    app.schemas.ensure_validator(&schema_id);
    app.chrome.status = Status::Info("Editing the traits in your editor…".into());
    vec![Effect::EditExternally { identity_id, text }]
}

/// Opens `kind` on the identity of the detail view.
pub(super) fn open_form(app: &mut App, kind: FormKind) -> Vec<Effect> {
    let Some(identity) = app.detail.identity().cloned() else {
        return Vec::new();
    };
    let identity_id = app.detail.id().unwrap_or_default().to_owned();
    let schema_id = schema_of(&identity);
    app.schemas.ensure_validator(&schema_id);
    let body = match kind {
        FormKind::Traits => traits_body(&app.schemas, &identity, &schema_id),
        FormKind::State => Form::state(&identity),
        FormKind::Metadata => Form::metadata(&identity),
        FormKind::Credentials => Form::credentials(&identity),
        FormKind::Schema => {
            let mut choices = app.schemas.known_ids();
            if !choices.contains(&schema_id) {
                choices.insert(0, schema_id.clone());
            }
            Form::schema(&identity, choices)
        }
    };
    let mut form = Form {
        identity_id,
        base: identity,
        body,
        confirm_discard: false,
        error: None,
    };
    recheck(&mut app.schemas, &mut form);
    if let Some(problem) = app.schemas.validator_problem(&schema_id) {
        form.error = Some(format!("traits cannot be checked here: {problem}"));
    }
    app.edit.form = Some(form);
    app.screen = Screen::Form;
    app.chrome.status = Status::None;
    Vec::new()
}

/// `e`: the traits as fields built from their identity schema; the JSON
/// editor when the schema is not here or the form cannot show the traits
/// (the editor then says why: [`App::traits_form_unavailable`]).
fn traits_body(schemas: &Schemas, identity: &Value, schema_id: &str) -> FormBody {
    let traits = identity.get("traits").unwrap_or(&Value::Null);
    match schemas
        .docs
        .get(schema_id)
        .map(|doc| TraitForm::open(doc, traits, traits))
    {
        Some(Ok(form)) => FormBody::TraitFields(Box::new(form)),
        _ => Form::traits(identity),
    }
}

/// A write on `identity` landed (the server returned it): a form open on
/// that identity builds on it from now on and compares with it, so Esc
/// closes it without asking when nothing new was typed
/// ([`Form::take_server_version`]); its checks run again on the new version.
pub(super) fn take_server_version(app: &mut App, identity: &Value) {
    let id = identity.get("id").and_then(Value::as_str).unwrap_or_default();
    let Some(mut form) = app.edit.form.take_if(|form| form.identity_id == id) else {
        return;
    };
    form.take_server_version(identity);
    recheck(&mut app.schemas, &mut form);
    app.edit.form = Some(form);
}

/// Re-runs the checks a form shows (schema problems of the traits, of the
/// chosen schema).
fn recheck(schemas: &mut Schemas, form: &mut Form) {
    let schema_id = schema_of(&form.base);
    match &mut form.body {
        FormBody::Traits(traits) => {
            traits.field.check(schemas.validator(&schema_id));
        }
        FormBody::Schema(schema) => {
            let Some(choice) = schema.choices.get(schema.selected).cloned() else {
                return;
            };
            schemas.ensure_validator(&choice);
            let traits = form.base.get("traits").cloned().unwrap_or(Value::Null);
            let checked = schemas.validator(&choice).map(|v| v.problems(&traits));
            schema.needs_new_traits = checked.as_ref().is_some_and(|problems| !problems.is_empty());
            schema.problems = match (checked, schemas.validator_problem(&choice)) {
                (Some(problems), _) => problems,
                (None, Some(err)) => vec![Problem {
                    location: "/".into(),
                    message: err.to_owned(),
                }],
                (None, None) => Vec::new(),
            };
        }
        FormBody::Metadata(meta) => {
            meta.public.check(None);
            meta.admin.check(None);
        }
        // The traits form checks itself as it changes.
        FormBody::State(_) | FormBody::Credentials(_) | FormBody::TraitFields(_) => {}
    }
}

/// Where the form's keys go: its kind, the focused field, or the question
/// whether to drop the changes.
pub(super) fn context(app: &App) -> Context {
    let Some(form) = app.edit.form.as_ref() else {
        return Context::FormTraits;
    };
    if form.confirm_discard {
        return Context::Discard;
    }
    match &form.body {
        FormBody::Traits(_) => Context::FormTraits,
        FormBody::TraitFields(fields) if fields.choosing() => Context::FormTraitChoosing,
        FormBody::TraitFields(fields) => match fields.focused_kind() {
            Some(RowKind::Text) => Context::FormTraitText,
            Some(RowKind::Check) => Context::FormTraitCheck,
            Some(RowKind::Choice) => Context::FormTraitChoice,
            _ => Context::FormTraitOther,
        },
        FormBody::Metadata(_) => Context::FormMetadata,
        FormBody::State(_) => Context::FormState,
        FormBody::Schema(_) => Context::FormSchema,
        FormBody::Credentials(c) if c.hashing => Context::FormHashing,
        FormBody::Credentials(c) => match c.focus {
            super::forms::CredentialField::Mode => Context::FormMode,
            super::forms::CredentialField::HashLocally => Context::FormToggle,
            _ => Context::FormField,
        },
    }
}

fn close(app: &mut App) -> Vec<Effect> {
    app.edit.form = None;
    app.screen = Screen::Detail;
    app.chrome.status = Status::None;
    Vec::new()
}

/// A key on the open form, by its action (see `keys`).
pub(super) fn on_action(app: &mut App, action: Action, key: KeyEvent) -> Vec<Effect> {
    let Some(mut form) = app.edit.form.take() else {
        app.screen = Screen::Detail;
        return Vec::new();
    };
    let schema_id = form.schema_id().to_owned();
    match action {
        Action::Discard => return close(app),
        Action::KeepEditing => form.confirm_discard = false,
        Action::Back if form.modified() => form.confirm_discard = true,
        Action::Back => return close(app),
        Action::Review => return submit(app, form, &schema_id),
        Action::StopWaiting => {
            if let FormBody::Credentials(creds) = &mut form.body {
                creds.hashing = false;
            }
            app.edit.form = Some(form);
            app.chrome.status = Status::Info("Stopped hashing: the form is kept, Ctrl-S tries again".into());
            return vec![app.cancel(Task::Hash)];
        }
        _ => {
            // Any change to the form makes the last Ctrl-S's complaint stale
            // (and the traits form's last "cannot do that here").
            form.error = None;
            if let FormBody::TraitFields(fields) = &mut form.body {
                fields.notice = None;
            }
            match action {
                Action::Type => form.type_key(key, app.schemas.validator(&schema_id)),
                Action::Toggle => form.toggle(),
                Action::SetActive => form.set_active(true),
                Action::SetInactive => form.set_active(false),
                Action::ToggleRevokeSessions => form.toggle_revoke_sessions(),
                Action::Up => form.choose(false),
                Action::Down => form.choose(true),
                Action::NextField => form.next_field(true),
                Action::PrevField => form.next_field(false),
                Action::PrevMode => form.switch_mode(false),
                Action::NextMode => form.switch_mode(true),
                Action::SwitchEditor => switch_editor(&mut app.schemas, &mut form),
                _ => {}
            }
            if let FormBody::TraitFields(fields) = &mut form.body {
                match action {
                    Action::AddItem => fields.add_item(),
                    Action::RemoveItem => fields.remove_item(),
                    Action::Unset => fields.unset(),
                    Action::OpenChoice => fields.open_choice(),
                    Action::PickChoice => fields.pick_choice(),
                    Action::CloseChoice => fields.close_choice(),
                    _ => {}
                }
            }
            keep_in_view(app, &mut form);
            if matches!(form.body, FormBody::Schema(_)) {
                recheck(&mut app.schemas, &mut form);
            }
        }
    }
    app.edit.form = Some(form);
    Vec::new()
}

/// Scrolls the traits form so its focused field shows in the rows the
/// screen gives it (header, status and footer lines, the form's title and
/// bottom line, and its notes above the fields taken away).
fn keep_in_view(app: &App, form: &mut Form) {
    if let FormBody::TraitFields(fields) = &mut form.body {
        let chrome = 5 + usize::from(app.profile.danger);
        let banner = fields.banner().len().min(layout::MAX_BANNER);
        let viewport = usize::from(app.chrome.height).saturating_sub(chrome + banner).max(1);
        fields.keep_in_view(usize::from(app.chrome.width), viewport);
    }
}

/// Ctrl-J / F2: between the traits form and the JSON editor, on the same
/// value (what was typed in one is what the other opens with). What cannot
/// cross says why and stays: a typo in a field (the JSON editor needs a
/// value), JSON that does not parse or that the form cannot show.
fn switch_editor(schemas: &mut Schemas, form: &mut Form) {
    let schema_id = schema_of(&form.base);
    let original = form.base.get("traits").cloned().unwrap_or(Value::Null);
    match &mut form.body {
        FormBody::TraitFields(fields) => {
            let (value, typos) = fields.value();
            if let Some(typo) = typos.first() {
                fields.focus_pointer(&typo.pointer);
                form.error = Some(format!(
                    "{}: {}: fix it before switching to the JSON editor (Ctrl-U clears it)",
                    fields.label_of(&typo.pointer),
                    typo.message
                ));
                return;
            }
            let mut field = JsonField::from_text(&editable_text(&value), &original);
            field.check(schemas.validator(&schema_id));
            form.body = FormBody::Traits(super::forms::TraitsForm { field });
        }
        FormBody::Traits(traits) => {
            let value = match super::json_edit::parse(&traits.field.text()) {
                Ok(value) => value,
                Err(problem) => {
                    form.error = Some(format!(
                        "the JSON does not parse ({}: {}): fix it to go back to the form",
                        problem.location, problem.message
                    ));
                    return;
                }
            };
            let opened = match schemas.docs.get(&schema_id) {
                Some(doc) => TraitForm::open(doc, &value, &original),
                None => Err(format!(
                    "the identity schema {} is not loaded here",
                    crate::sanitize::for_display(&schema_id)
                )),
            };
            match opened {
                Ok(fields) => form.body = FormBody::TraitFields(Box::new(fields)),
                Err(why) => form.error = Some(format!("No form for these traits: {why}; they stay in JSON")),
            }
        }
        _ => {}
    }
}

/// Ctrl-S: the review, or the password to hash here first.
fn submit(app: &mut App, mut form: Form, schema_id: &str) -> Vec<Effect> {
    let submitted = form.submit(app.schemas.validator(schema_id));
    // Refused: the traits form's focus went to the first invalid field.
    keep_in_view(app, &mut form);
    let identity_id = form.identity_id.clone();
    if let (Some(Submit::Hash(_)), FormBody::Credentials(creds)) = (&submitted, &mut form.body) {
        creds.hashing = true;
    }
    app.edit.form = Some(form);
    match submitted {
        Some(Submit::Review(output)) => super::review::open(app, output),
        Some(Submit::Hash(password)) => {
            app.chrome.status = Status::Info("Hashing the password here (argon2id)… Esc stops waiting".into());
            app.begin(Task::Hash);
            vec![Effect::HashPassword { identity_id, password }]
        }
        None => Vec::new(),
    }
}

/// The password hashed here came back: review it as a hash import.
pub(super) fn on_hashed(app: &mut App, identity_id: String, result: Result<SecretString, String>) -> Vec<Effect> {
    app.finish(Task::Hash);
    let Some(form) = app.edit.form.as_mut().filter(|f| f.identity_id == identity_id) else {
        return Vec::new();
    };
    let FormBody::Credentials(creds) = &mut form.body else {
        return Vec::new();
    };
    if !creds.hashing {
        return Vec::new(); // the user stopped waiting
    }
    match creds.hashed(result) {
        Some(output) => {
            app.chrome.status = Status::None;
            super::review::open(app, output)
        }
        None => {
            form.error = Some("fix the field marked in red".into());
            app.chrome.status = Status::None;
            Vec::new()
        }
    }
}

pub(super) fn on_paste(app: &mut App, text: &str) {
    let Some(mut form) = app.edit.form.take() else {
        return;
    };
    let schema_id = schema_of(&form.base);
    form.paste(text, app.schemas.validator(&schema_id));
    if !form.confirm_discard {
        // As for a typed key: the last Ctrl-S's complaint is stale now.
        form.error = None;
    }
    app.edit.form = Some(form);
}

/// The traits came back from the user's editor: open the traits form on them
/// (checked as if typed), or say why not and keep the identity as it was.
pub(super) fn on_external_edit(app: &mut App, identity_id: String, result: Result<String, String>) -> Vec<Effect> {
    let on_this = app.detail.id() == Some(identity_id.as_str()) && app.detail.identity().is_some();
    if !on_this {
        return Vec::new();
    }
    match result {
        Ok(text) => {
            let effects = open_form(app, FormKind::Traits);
            if let Some(mut form) = app.edit.form.take() {
                let original = form.base.get("traits").cloned().unwrap_or(Value::Null);
                form.body = FormBody::Traits(super::forms::TraitsForm {
                    field: JsonField::from_text(text.trim_end(), &original),
                });
                recheck(&mut app.schemas, &mut form);
                app.edit.form = Some(form);
            }
            app.chrome.status = Status::Info("Back from the editor: Ctrl-S reviews the change".into());
            effects
        }
        Err(error) => {
            app.chrome.status = Status::Error(format!("The editor failed: {error}"));
            Vec::new()
        }
    }
}
