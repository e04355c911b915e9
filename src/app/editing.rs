//! Opening the edit forms and routing keys into them. Sending lives in
//! `review`; this module only gets the user from an identity to a form and
//! back, never losing what they typed.

use crossterm::event::KeyEvent;
use serde_json::Value;

use super::forms::{Form, FormAction, FormBody, FormKind, JsonField};
use super::json_edit::{TraitsValidator, editable_text};
use super::{App, DetailState, Effect, Screen, Status, Task};

fn kind_for_key(c: char) -> Option<FormKind> {
    match c {
        'e' | 'E' => Some(FormKind::Traits),
        's' => Some(FormKind::State),
        'm' => Some(FormKind::Metadata),
        'c' => Some(FormKind::Credentials),
        'i' => Some(FormKind::Schema),
        _ => None,
    }
}

/// Refuses every write key on a read-only profile, before anything opens;
/// the refusal is recorded in the audit trail like any refused write.
fn refuse_read_only(app: &mut App, c: char, identity_id: Option<String>) -> Option<Vec<Effect>> {
    if !app.profile.read_only {
        return None;
    }
    app.status = Status::Error(format!(
        "Profile “{}” is read-only: nothing can be changed or sent from it",
        app.profile.name
    ));
    let what = match c {
        'a' => "attribute",
        _ => kind_for_key(c).map_or("edit", FormKind::name),
    };
    Some(vec![Effect::AuditRefusal {
        identity_id,
        reason: format!("read-only profile: the {what} form was refused"),
    }])
}

/// An edit key on the list: fetch the selected identity fresh, then open the
/// form on it.
pub(super) fn edit_key_on_list(app: &mut App, c: char, id: Option<String>) -> Vec<Effect> {
    if let Some(refused) = refuse_read_only(app, c, id.clone()) {
        return refused;
    }
    let Some(id) = id else {
        return Vec::new();
    };
    let Some(kind) = kind_for_key(c) else {
        // `a`: open the identity, then the attribute form on it.
        app.detail = Some(DetailState::loading(id.clone()));
        app.screen = Screen::Detail;
        app.status = Status::None;
        app.pending_attribute = true;
        app.begin(Task::Identity);
        return vec![Effect::LoadIdentity { id }];
    };
    app.detail = Some(DetailState::loading(id.clone()));
    app.screen = Screen::Detail;
    app.status = Status::None;
    app.pending_form = Some(kind);
    app.pending_external = c == 'E';
    app.begin(Task::Identity);
    vec![Effect::LoadIdentity { id }]
}

/// An edit key on the detail view of a loaded identity.
pub(super) fn edit_key_on_detail(app: &mut App, c: char) -> Vec<Effect> {
    let id = app.detail.as_ref().map(|d| d.id.clone());
    if let Some(refused) = refuse_read_only(app, c, id) {
        return refused;
    }
    if c == 'a' {
        return super::attribute::open(app);
    }
    let loaded = app.detail.as_ref().is_some_and(|d| d.identity.is_some());
    if !loaded {
        app.status = Status::Info("Wait until the identity has loaded".into());
        return Vec::new();
    }
    let Some(kind) = kind_for_key(c) else {
        return Vec::new();
    };
    if c == 'E' {
        app.pending_external = true;
    }
    open_form(app, kind)
}

/// Compiles the schema `schema_id` once and keeps it.
fn ensure_validator(app: &mut App, schema_id: &str) {
    if app.validators.contains_key(schema_id) {
        return;
    }
    let compiled = match app.schema_docs.get(schema_id) {
        Some(schema) => TraitsValidator::new(schema),
        None => Err(format!("the identity schema {schema_id} is not known to the server")),
    };
    app.validators.insert(schema_id.to_owned(), compiled);
}

fn validator<'a>(app: &'a App, schema_id: &str) -> Option<&'a TraitsValidator> {
    app.validators.get(schema_id).and_then(|v| v.as_ref().ok())
}

fn schema_of(identity: &Value) -> String {
    identity
        .get("schema_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Opens `kind` on the identity of the detail view.
pub(super) fn open_form(app: &mut App, kind: FormKind) -> Vec<Effect> {
    let Some(identity) = app.detail.as_ref().and_then(|d| d.identity.clone()) else {
        return Vec::new();
    };
    let identity_id = app.detail.as_ref().map(|d| d.id.clone()).unwrap_or_default();
    let schema_id = schema_of(&identity);
    ensure_validator(app, &schema_id);
    if std::mem::take(&mut app.pending_external) {
        let traits = identity.get("traits").unwrap_or(&Value::Null);
        app.status = Status::Info("Editing the traits in your editor…".into());
        return vec![Effect::EditExternally {
            identity_id,
            text: editable_text(traits),
        }];
    }
    let body = match kind {
        FormKind::Traits => Form::traits(&identity),
        FormKind::State => Form::state(&identity),
        FormKind::Metadata => Form::metadata(&identity),
        FormKind::Credentials => Form::credentials(&identity),
        FormKind::Schema => {
            let mut choices: Vec<String> = app.schema_docs.keys().cloned().collect();
            choices.sort();
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
    recheck(app, &mut form);
    if let Some(problem) = app.validators.get(&schema_id).and_then(|v| v.as_ref().err()) {
        form.error = Some(format!("traits cannot be checked here: {problem}"));
    }
    app.form = Some(form);
    app.screen = Screen::Form;
    app.status = Status::None;
    Vec::new()
}

/// Re-runs the checks a form shows (schema problems of the traits, of the
/// chosen schema).
fn recheck(app: &mut App, form: &mut Form) {
    let schema_id = schema_of(&form.base);
    match &mut form.body {
        FormBody::Traits(traits) => {
            traits.field.check(validator(app, &schema_id));
        }
        FormBody::Schema(schema) => {
            let Some(choice) = schema.choices.get(schema.selected).cloned() else {
                return;
            };
            ensure_validator(app, &choice);
            let traits = form.base.get("traits").cloned().unwrap_or(Value::Null);
            schema.problems = match app.validators.get(&choice) {
                Some(Ok(v)) => v.problems(&traits),
                Some(Err(err)) => vec![super::json_edit::Problem {
                    location: "/".into(),
                    message: err.clone(),
                }],
                None => Vec::new(),
            };
        }
        FormBody::Metadata(meta) => {
            meta.public.check(None);
            meta.admin.check(None);
        }
        FormBody::State(_) | FormBody::Credentials(_) => {}
    }
}

pub(super) fn on_form_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(mut form) = app.form.take() else {
        app.screen = Screen::Detail;
        return Vec::new();
    };
    let schema_id = schema_of(&form.base);
    let action = form.on_key(key, validator(app, &schema_id));
    if matches!(form.body, FormBody::Schema(_)) {
        recheck(app, &mut form);
    }
    match action {
        FormAction::Nothing => {
            app.form = Some(form);
            Vec::new()
        }
        FormAction::Close => {
            app.screen = Screen::Detail;
            app.status = Status::None;
            Vec::new()
        }
        FormAction::Review => {
            let output = form.output(validator(app, &schema_id));
            app.form = Some(form);
            match output {
                Some(output) => super::review::open(app, output),
                None => Vec::new(),
            }
        }
    }
}

pub(super) fn on_form_paste(app: &mut App, text: &str) {
    let Some(mut form) = app.form.take() else {
        return;
    };
    let schema_id = schema_of(&form.base);
    form.paste(text, validator(app, &schema_id));
    app.form = Some(form);
}

/// The traits came back from the user's editor: open the traits form on them
/// (checked as if typed), or say why not and keep the identity as it was.
pub(super) fn on_external_edit(app: &mut App, identity_id: String, result: Result<String, String>) -> Vec<Effect> {
    let on_this = app
        .detail
        .as_ref()
        .is_some_and(|d| d.id == identity_id && d.identity.is_some());
    if !on_this {
        return Vec::new();
    }
    match result {
        Ok(text) => {
            let effects = open_form(app, FormKind::Traits);
            if let Some(form) = app.form.as_mut() {
                let original = form.base.get("traits").cloned().unwrap_or(Value::Null);
                form.body = FormBody::Traits(super::forms::TraitsForm {
                    field: JsonField::from_text(text.trim_end(), &original),
                });
            }
            if let Some(mut form) = app.form.take() {
                recheck(app, &mut form);
                app.form = Some(form);
            }
            app.status = Status::Info("Back from the editor: Ctrl-S reviews the change".into());
            effects
        }
        Err(error) => {
            app.status = Status::Error(format!("The editor failed: {error}"));
            Vec::new()
        }
    }
}
