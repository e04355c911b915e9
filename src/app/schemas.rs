//! Identity schemas: they give each schema's identifier trait for the list
//! rows and validate the traits form. Loaded once at the start; when the
//! server cannot list them, each schema in use is asked for on its own (from
//! the identities' `schema_url`), once.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::forms::{self, Form, FormBody};
use super::json_edit::TraitsValidator;
use super::rows::IdentifierHints;
use super::{App, Effect, Status, Task};
use crate::sanitize::for_display;

/// How far the identity schemas are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SchemaStatus {
    /// The first answer has not come yet.
    #[default]
    Loading,
    /// The server listed its schemas: an id it did not list is unknown.
    Listed,
    /// The list could not be read (why): each schema an identity uses is
    /// asked for on its own, from the identity's `schema_url`, once.
    Unlisted(String),
}

/// The schemas known, and where loading the others stands.
#[derive(Debug, Default)]
pub struct Schemas {
    pub status: SchemaStatus,
    /// Each schema's identifier traits, for the list rows.
    pub hints: HashMap<String, IdentifierHints>,
    /// The identity schemas by id, as the server sent them.
    pub docs: HashMap<String, Value>,
    /// Schema ids that identities use and that could not be loaded: their
    /// traits are not validated here (the mark in the header and form).
    pub missing: BTreeSet<String>,
    /// Ids seen on identities and not asked for yet.
    wanted: BTreeSet<String>,
    /// Ids the load in flight was started for.
    asked: BTreeSet<String>,
    /// A schema load is in flight.
    loading: bool,
    /// Compiled schemas, made when a form first needs one.
    validators: HashMap<String, Result<TraitsValidator, String>>,
}

impl Schemas {
    /// Pages become rows only when no schema they may need is on its way
    /// (the row's identifier comes from the schema).
    pub fn settled(&self) -> bool {
        self.status != SchemaStatus::Loading && !self.loading
    }

    /// The header's mark when an identity's schema could not be loaded.
    pub fn warning(&self) -> Option<&'static str> {
        (!self.missing.is_empty()).then_some(forms::SCHEMA_UNKNOWN_MARK)
    }

    pub fn list_problem(&self) -> Option<&str> {
        match &self.status {
            SchemaStatus::Unlisted(error) => Some(error),
            _ => None,
        }
    }

    /// The mark of an open traits form whose traits cannot be checked here.
    pub fn traits_form_mark(&self, form: Option<&Form>) -> Option<&'static str> {
        let form = form?;
        if !matches!(form.body, FormBody::Traits(_)) {
            return None;
        }
        let id = form.schema_id();
        if matches!(self.validators.get(id), Some(Ok(_))) {
            return None;
        }
        let on_its_way = self.status == SchemaStatus::Loading || self.wanted.contains(id) || self.asked.contains(id);
        Some(if on_its_way {
            forms::SCHEMA_LOADING_MARK
        } else {
            forms::SCHEMA_UNKNOWN_MARK
        })
    }

    /// Compiles the schema `schema_id` once and keeps it.
    pub(super) fn ensure_validator(&mut self, schema_id: &str) {
        if self.validators.contains_key(schema_id) {
            return;
        }
        let compiled = match self.docs.get(schema_id) {
            Some(schema) => TraitsValidator::new(schema),
            None => Err(format!("the identity schema {schema_id} is not known to the server")),
        };
        self.validators.insert(schema_id.to_owned(), compiled);
    }

    /// The compiled schema, when it compiled.
    pub(super) fn validator(&self, schema_id: &str) -> Option<&TraitsValidator> {
        self.validators.get(schema_id).and_then(|v| v.as_ref().ok())
    }

    /// Why the schema cannot check traits here, when it was tried.
    pub(super) fn validator_problem(&self, schema_id: &str) -> Option<&str> {
        self.validators
            .get(schema_id)
            .and_then(|v| v.as_ref().err())
            .map(String::as_str)
    }

    /// The schema ids the server has, sorted (the schema form's choices).
    pub(super) fn known_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.docs.keys().cloned().collect();
        ids.sort();
        ids
    }
}

/// The first schema load, at the start.
pub(super) fn start(app: &mut App) -> Vec<Effect> {
    app.begin(Task::Schemas);
    app.schemas.loading = true;
    vec![Effect::LoadSchemas]
}

/// Notes the schema ids of `identities` that are not known yet: unknown for
/// good when the server listed its schemas, else to be asked for.
pub(super) fn want_for(app: &mut App, identities: &[Value]) {
    want_ids(
        app,
        identities
            .iter()
            .filter_map(|identity| identity.get("schema_id").and_then(Value::as_str)),
    );
}

pub(super) fn want_ids<'a>(app: &mut App, ids: impl IntoIterator<Item = &'a str>) {
    let schemas = &mut app.schemas;
    let before = schemas.missing.len();
    for id in ids {
        if schemas.docs.contains_key(id)
            || schemas.missing.contains(id)
            || schemas.asked.contains(id)
            || schemas.wanted.contains(id)
        {
            continue;
        }
        match schemas.status {
            SchemaStatus::Listed => schemas.missing.insert(id.to_owned()),
            SchemaStatus::Loading | SchemaStatus::Unlisted(_) => schemas.wanted.insert(id.to_owned()),
        };
    }
    tell_missing(app, before);
}

/// Asks for the wanted schemas, when the list could not be read and no
/// schema load is running (the runtime loads them from `schema_url`).
pub(super) fn request(app: &mut App) -> Vec<Effect> {
    let schemas = &mut app.schemas;
    let unlisted = matches!(schemas.status, SchemaStatus::Unlisted(_));
    if !unlisted || schemas.loading || schemas.wanted.is_empty() {
        return Vec::new();
    }
    schemas.asked = std::mem::take(&mut schemas.wanted);
    schemas.loading = true;
    app.begin(Task::Schemas);
    vec![Effect::LoadSchemas]
}

/// The answer to a schema load.
pub(super) fn on_loaded(app: &mut App, result: Result<Vec<(String, Value)>, String>) -> Vec<Effect> {
    app.finish(Task::Schemas);
    app.schemas.loading = false;
    let before = app.schemas.missing.len();
    match result {
        Ok(schemas) => {
            for (id, schema) in schemas {
                learn(app, id, schema);
            }
            if app.schemas.status == SchemaStatus::Loading {
                app.schemas.status = SchemaStatus::Listed;
            }
        }
        Err(error) => {
            // Not fatal: rows fall back to email / phone / username, and each
            // schema is asked for from its identities' schema_url.
            tracing::warn!("identity schemas unavailable: {error}");
            if app.schemas.status == SchemaStatus::Loading {
                app.schemas.status = SchemaStatus::Unlisted(error);
            }
        }
    }
    let schemas = &mut app.schemas;
    // Asked for and not come: it cannot be loaded (each schema is tried once).
    for id in std::mem::take(&mut schemas.asked) {
        if !schemas.docs.contains_key(&id) {
            schemas.missing.insert(id);
        }
    }
    if schemas.status == SchemaStatus::Listed {
        for id in std::mem::take(&mut schemas.wanted) {
            if !schemas.docs.contains_key(&id) {
                schemas.missing.insert(id);
            }
        }
    }
    tell_missing(app, before);
    let effects = request(app);
    super::list::accept_held_pages(app);
    effects
}

/// Keeps a schema; a form open on it is checked against it from now on.
fn learn(app: &mut App, id: String, schema: Value) {
    let schemas = &mut app.schemas;
    schemas.missing.remove(&id);
    schemas.wanted.remove(&id);
    schemas.hints.insert(id.clone(), IdentifierHints::from_schema(&schema));
    if schemas.docs.get(&id) == Some(&schema) {
        return;
    }
    schemas.docs.insert(id.clone(), schema);
    // Compiled again when next needed (it may have been cached as unknown).
    schemas.validators.remove(&id);
    recheck_open_traits(app, &id);
}

/// Validates the open traits form again once its schema has arrived.
fn recheck_open_traits(app: &mut App, schema_id: &str) {
    let Some(form) = app.edit.form.as_mut() else {
        return;
    };
    if form.schema_id() != schema_id {
        return;
    }
    let FormBody::Traits(traits) = &mut form.body else {
        return;
    };
    let Some(schema) = app.schemas.docs.get(schema_id) else {
        return;
    };
    let compiled = TraitsValidator::new(schema);
    traits.field.check(compiled.as_ref().ok());
    // The note made when the form opened without its schema is stale now.
    if compiled.is_ok()
        && form
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("traits cannot be checked"))
    {
        form.error = None;
    }
    app.schemas.validators.insert(schema_id.to_owned(), compiled);
}

/// Says once on the status line that some traits are not validated, when
/// `missing` grew past `before` and the line is free.
fn tell_missing(app: &mut App, before: usize) {
    let schemas = &app.schemas;
    if schemas.missing.len() <= before || app.chrome.status != Status::None {
        return;
    }
    let ids: Vec<String> = schemas.missing.iter().map(|id| for_display(id).into_owned()).collect();
    let why = match &schemas.status {
        SchemaStatus::Unlisted(error) => format!("not loadable: {}", for_display(error)),
        _ => "the server does not list it".to_owned(),
    };
    let noun = if ids.len() == 1 { "schema" } else { "schemas" };
    // The consequence first: a narrow terminal cuts the end of the line.
    app.chrome.status = Status::Info(format!(
        "Identity {noun} {} unknown — traits not validated here, only by the server ({why})",
        ids.join(", ")
    ));
}
