//! Application state and its only mutator, [`update`].
//!
//! Messages come in (keys, resizes, answers to requests), state changes, and
//! effects go out as plain descriptions of I/O for the runtime in `tui` to run.
//! Nothing here touches the terminal or the network, so every behaviour of the
//! console can be tested by feeding messages and looking at state and effects.

pub mod attribute;
pub mod detail;
pub mod doc;
pub mod drafting;
mod editing;
pub mod forms;
pub mod input;
pub mod json_edit;
pub mod keys;
pub mod list;
pub mod review;
pub mod rows;
pub mod time;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use serde_json::Value;

use self::detail::DetailState;
use self::list::{ListState, PageCursor, Paging};
use self::rows::{IdentifierHints, IdentityRow};
use crate::sanitize::for_display;

/// How many identities one list request asks for (Kratos's maximum is 500).
pub const PAGE_SIZE: u32 = 250;

/// An identity's audit trail as worded lines, or why it cannot be read.
pub type AuditLines = Result<Vec<String>, String>;

/// At most this many keys typed ahead of a loading identity are kept.
const MAX_TYPEAHEAD: usize = 64;

/// Terminal size below which the console explains instead of drawing.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// What the header shows about the connection; fixed for a run.
#[derive(Debug, Clone, Default)]
pub struct ProfileInfo {
    pub name: String,
    pub base_url: String,
    pub read_only: bool,
    /// A production profile: a red banner on every screen.
    pub danger: bool,
    /// Base URL + identities path, for showing request URLs.
    pub identities_url: String,
    /// Whether requests are signed (a key is configured).
    pub signing: bool,
    /// The attribute registry's base URL; empty when the profile has none.
    pub attribute_registry_url: String,
    /// Whether the profile can reach an attribute registry.
    pub attribute_registry: bool,
    /// Where identities keep their Yoti issuance token (JSON pointer).
    pub issuance_token_pointer: String,
}

/// Everything that can happen to the console.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Resize {
        width: u16,
        height: u16,
    },
    /// The identity schemas (`GET /schemas`), to find each schema's identifier trait.
    SchemasLoaded(Result<Vec<(String, Value)>, String>),
    PageLoaded {
        generation: u64,
        result: Result<LoadedPage, String>,
    },
    SearchLoaded {
        generation: u64,
        query: String,
        result: Result<Vec<Value>, String>,
    },
    IdentityLoaded {
        id: String,
        result: Result<Value, String>,
    },
    /// The text the user saved in their own editor (`E`).
    ExternalEditDone {
        identity_id: String,
        result: Result<String, String>,
    },
    /// Audit-trail lines of one identity (for `H` on an identity), already
    /// worded and sanitised.
    AuditLoaded {
        identity_id: String,
        result: Result<Vec<String>, String>,
    },
    /// The drafts saved by earlier runs for this profile.
    DraftsListed(Result<Vec<crate::drafts::Draft>, String>),
    /// The draft debounce timer fired: save the open form if it changed.
    DraftTick,
    /// What became of an attribute-registry update.
    AttributeDone(review::WriteOutcome),
    /// What became of a write (`Effect::Write`).
    WriteDone(review::WriteOutcome),
    /// Animation tick; the runtime sends it only while a request is in flight.
    Tick,
}

/// How far the identity schemas are (they give each schema's identifier
/// trait for the list and validate the traits form).
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

/// Where the console stands with identity schemas beyond the documents
/// themselves (`App::schema_docs`).
#[derive(Debug, Default)]
pub struct SchemaLoad {
    pub status: SchemaStatus,
    /// Schema ids that identities use and that could not be loaded: their
    /// traits are not validated here (the mark in the header and form).
    pub missing: BTreeSet<String>,
    /// Ids seen on identities and not asked for yet.
    wanted: BTreeSet<String>,
    /// Ids the load in flight was started for.
    asked: BTreeSet<String>,
    /// A schema load is in flight.
    loading: bool,
}

/// One page of the identity list as the runtime hands it over.
#[derive(Debug, Clone)]
pub struct LoadedPage {
    pub items: Vec<Value>,
    pub next: Option<PageCursor>,
}

/// Which kind of request an effect starts, so it can be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Task {
    Schemas,
    Page,
    Search,
    Identity,
    Write,
}

/// I/O for the runtime to perform. Results come back as [`Msg`].
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadSchemas,
    LoadPage {
        generation: u64,
        cursor: Option<PageCursor>,
        page_size: u32,
    },
    /// Exact identifier search, plus a fetch by id when `query` looks like one.
    Search {
        generation: u64,
        query: String,
    },
    LoadIdentity {
        id: String,
    },
    Cancel(Task),
    /// Suspend the console and edit `text` in `$VISUAL`/`$EDITOR`.
    EditExternally {
        identity_id: String,
        text: String,
    },
    /// Fetch the identity again and, if unchanged (or `overwrite`), send the PUT.
    Write(Box<review::WriteRequest>),
    /// Record in the audit trail that a write was refused before anything
    /// was signed (read-only profile).
    AuditRefusal {
        identity_id: Option<String>,
        reason: String,
    },
    /// Send an attribute-registry update (audited, read-only checked).
    WriteAttribute(Box<attribute::AttributeRequest>),
    /// Read the audit trail's lines about one identity.
    LoadAudit {
        identity_id: String,
    },
    /// Read the drafts of this profile.
    ListDrafts,
    /// Save (replace) the draft of an identity.
    SaveDraft(Box<crate::drafts::Draft>),
    /// Forget the draft of an identity (sent successfully, or discarded).
    RemoveDraft {
        identity_id: String,
    },
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    List,
    Detail,
    Form,
    Review,
    Response,
    History,
    /// The drafts waiting (`D`).
    Drafts,
    /// A read-only text (a draft's diff).
    Text,
    /// The attribute-registry form and its review (`a`).
    Attribute,
}

/// The one-line message under the content.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    None,
    Info(String),
    Error(String),
}

/// All state of the console.
#[derive(Debug)]
pub struct App {
    pub profile: ProfileInfo,
    pub screen: Screen,
    pub list: ListState,
    pub detail: Option<DetailState>,
    /// `Some` while the search prompt has focus; holds the typed text.
    pub search_input: Option<String>,
    pub show_help: bool,
    pub status: Status,
    pub width: u16,
    pub height: u16,
    /// The clock used for relative times; set by the runtime on each message so
    /// that drawing stays a pure function of state.
    pub now: DateTime<Utc>,
    pub spinner: usize,
    /// Requests in flight, by kind.
    pub in_flight: HashMap<Task, usize>,
    pub schema_hints: HashMap<String, IdentifierHints>,
    /// The identity schemas by id, as the server sent them.
    pub schema_docs: HashMap<String, Value>,
    /// What is known about loading the schemas (and which cannot be).
    pub schemas: SchemaLoad,
    /// Compiled schemas, made when a form first needs one.
    validators: HashMap<String, Result<json_edit::TraitsValidator, String>>,
    /// The open edit form.
    pub form: Option<forms::Form>,
    /// The open attribute-registry form.
    pub attribute: Option<attribute::AttributeForm>,
    /// A form to open as soon as the identity arrives (edit keys on the list).
    pending_form: Option<forms::FormKind>,
    /// Open the attribute form once the identity is there (`a` on the list).
    pending_attribute: bool,
    /// Keys typed on the detail view before its identity arrived.
    typeahead: Vec<KeyEvent>,
    /// Open the traits in the user's editor once the identity is there (`E`).
    pending_external: bool,
    pub review: Option<review::Review>,
    pub response: Option<review::ResponseView>,
    /// Every request answered in this run, newest last (`H`).
    pub history: Vec<review::ResponseView>,
    pub history_selected: usize,
    /// The audit trail of the identity `H` was pressed on: its id and lines
    /// (`None` while loading).
    pub audit_lines: Option<(String, Option<AuditLines>)>,
    /// The response view was opened from the history.
    returning_to_history: bool,
    /// Where Esc on the history goes back to.
    previous_screen: Screen,
    /// Drafts of this profile, known from the start and kept in step.
    pub drafts: Vec<crate::drafts::Draft>,
    pub drafts_selected: usize,
    /// The open form changed since its draft was last saved.
    pub draft_dirty: bool,
    /// The content last saved for the open form (to skip identical saves).
    last_draft_content: Option<Value>,
    /// A draft waiting for the identity on the detail view: restore, view, discard.
    pub draft_offer: Option<crate::drafts::Draft>,
    /// A read-only text screen (a draft's diff) and where Esc returns.
    pub text_view: Option<(String, Vec<doc::StyledLine>, usize)>,
    /// Pages that arrived before the schemas, held until the identifier trait is known.
    pending_pages: Vec<(u64, LoadedPage)>,
    /// The cursor of the page request in flight (`None` for the first page),
    /// so that a failed or cancelled page can be retried from the same place.
    page_cursor_in_flight: Option<PageCursor>,
    generation: u64,
    pub quit: bool,
}

impl App {
    pub fn new(profile: ProfileInfo, width: u16, height: u16, now: DateTime<Utc>) -> Self {
        Self {
            profile,
            screen: Screen::List,
            list: ListState::default(),
            detail: None,
            search_input: None,
            show_help: false,
            status: Status::None,
            width,
            height,
            now,
            spinner: 0,
            in_flight: HashMap::new(),
            schema_hints: HashMap::new(),
            schema_docs: HashMap::new(),
            schemas: SchemaLoad::default(),
            validators: HashMap::new(),
            form: None,
            attribute: None,
            pending_form: None,
            pending_external: false,
            typeahead: Vec::new(),
            pending_attribute: false,
            review: None,
            response: None,
            history: Vec::new(),
            history_selected: 0,
            audit_lines: None,
            returning_to_history: false,
            previous_screen: Screen::List,
            drafts: Vec::new(),
            drafts_selected: 0,
            draft_dirty: false,
            last_draft_content: None,
            draft_offer: None,
            text_view: None,
            pending_pages: Vec::new(),
            page_cursor_in_flight: None,
            generation: 0,
            quit: false,
        }
    }

    /// The effects that start the console: schemas and the first page.
    pub fn start(&mut self) -> Vec<Effect> {
        self.begin(Task::Schemas);
        self.schemas.loading = true;
        let mut effects = vec![Effect::LoadSchemas, Effect::ListDrafts];
        effects.extend(self.reload());
        effects
    }

    /// True while any request is in flight (the runtime ticks the spinner only then).
    pub fn busy(&self) -> bool {
        self.in_flight.values().any(|&n| n > 0)
    }

    fn begin(&mut self, task: Task) {
        *self.in_flight.entry(task).or_default() += 1;
    }

    fn finish(&mut self, task: Task) {
        if let Some(n) = self.in_flight.get_mut(&task) {
            *n = n.saturating_sub(1);
        }
    }

    fn cancel(&mut self, task: Task) -> Effect {
        self.in_flight.insert(task, 0);
        Effect::Cancel(task)
    }

    /// Rows of the list body for the current height (header, banner, column
    /// titles, status and footer taken away).
    pub fn list_body_height(&self) -> usize {
        let chrome = 4 + u16::from(self.profile.danger) + u16::from(self.search_input.is_some());
        usize::from(self.height.saturating_sub(chrome)).max(1)
    }

    /// Lines of the detail body for the current height.
    pub fn detail_body_height(&self) -> usize {
        let chrome = 5 + u16::from(self.profile.danger);
        usize::from(self.height.saturating_sub(chrome)).max(1)
    }

    fn reload(&mut self) -> Vec<Effect> {
        self.generation += 1;
        let keep_filter = self.list.filter.clone();
        self.list.clear();
        self.list.set_filter(&keep_filter);
        self.list.paging = Paging::Loading;
        self.pending_pages.clear();
        self.page_cursor_in_flight = None;
        let cancel = self.cancel(Task::Page);
        self.begin(Task::Page);
        vec![
            cancel,
            Effect::LoadPage {
                generation: self.generation,
                cursor: None,
                page_size: PAGE_SIZE,
            },
        ]
    }

    fn next_page(&mut self) -> Vec<Effect> {
        let cursor = match self.list.full_list_paging() {
            Paging::More(cursor) => cursor.clone(),
            _ => return Vec::new(),
        };
        self.list.set_paging(Paging::Loading);
        self.page_cursor_in_flight = Some(cursor.clone());
        self.begin(Task::Page);
        vec![Effect::LoadPage {
            generation: self.generation,
            cursor: Some(cursor),
            page_size: PAGE_SIZE,
        }]
    }

    fn rows_from(&self, items: &[Value]) -> Vec<IdentityRow> {
        items
            .iter()
            .map(|identity| {
                let schema = identity.get("schema_id").and_then(Value::as_str).unwrap_or_default();
                IdentityRow::from_identity(identity, self.schema_hints.get(schema))
            })
            .collect()
    }

    fn accept_page(&mut self, page: LoadedPage) {
        self.page_cursor_in_flight = None;
        let rows = self.rows_from(&page.items);
        let paging = match page.next {
            Some(cursor) => Paging::More(cursor),
            None => Paging::Done,
        };
        self.list.append(rows, paging);
    }

    /// Replaces the list row of an identity the server just returned, so the
    /// list never shows a state older than the detail.
    pub fn refresh_row(&mut self, identity: &Value) {
        let Some(id) = identity.get("id").and_then(Value::as_str) else {
            return;
        };
        let fresh = self.rows_from(std::slice::from_ref(identity));
        if let (Some(row), Some(slot)) = (fresh.into_iter().next(), self.list.rows.iter_mut().find(|r| r.id == id)) {
            *slot = row;
        }
    }

    /// Pages become rows only when no schema they may need is on its way
    /// (the row's identifier comes from the schema).
    fn schemas_settled(&self) -> bool {
        self.schemas.status != SchemaStatus::Loading && !self.schemas.loading
    }

    /// Notes the schema ids of `identities` that are not known yet: unknown
    /// for good when the server listed its schemas, else to be asked for.
    fn want_schemas(&mut self, identities: &[Value]) {
        self.want_schema_ids(
            identities
                .iter()
                .filter_map(|identity| identity.get("schema_id").and_then(Value::as_str)),
        );
    }

    fn want_schema_ids<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) {
        let before = self.schemas.missing.len();
        for id in ids {
            if self.schema_docs.contains_key(id)
                || self.schemas.missing.contains(id)
                || self.schemas.asked.contains(id)
                || self.schemas.wanted.contains(id)
            {
                continue;
            }
            match self.schemas.status {
                SchemaStatus::Listed => self.schemas.missing.insert(id.to_owned()),
                SchemaStatus::Loading | SchemaStatus::Unlisted(_) => self.schemas.wanted.insert(id.to_owned()),
            };
        }
        self.tell_missing_schemas(before);
    }

    /// Asks for the wanted schemas, when the list could not be read and no
    /// schema load is running (the runtime loads them from `schema_url`).
    fn request_schemas(&mut self) -> Vec<Effect> {
        let unlisted = matches!(self.schemas.status, SchemaStatus::Unlisted(_));
        if !unlisted || self.schemas.loading || self.schemas.wanted.is_empty() {
            return Vec::new();
        }
        self.schemas.asked = std::mem::take(&mut self.schemas.wanted);
        self.schemas.loading = true;
        self.begin(Task::Schemas);
        vec![Effect::LoadSchemas]
    }

    /// Keeps a schema; a form open on it is checked against it from now on.
    fn learn_schema(&mut self, id: String, schema: Value) {
        self.schemas.missing.remove(&id);
        self.schemas.wanted.remove(&id);
        self.schema_hints
            .insert(id.clone(), IdentifierHints::from_schema(&schema));
        if self.schema_docs.get(&id) == Some(&schema) {
            return;
        }
        self.schema_docs.insert(id.clone(), schema);
        // Compiled again when next needed (it may have been cached as unknown).
        self.validators.remove(&id);
        self.recheck_open_traits(&id);
    }

    /// Validates the open traits form again once its schema has arrived.
    fn recheck_open_traits(&mut self, schema_id: &str) {
        let Some(form) = self.form.as_mut() else {
            return;
        };
        if form.schema_id() != schema_id {
            return;
        }
        let forms::FormBody::Traits(traits) = &mut form.body else {
            return;
        };
        let Some(schema) = self.schema_docs.get(schema_id) else {
            return;
        };
        let compiled = json_edit::TraitsValidator::new(schema);
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
        self.validators.insert(schema_id.to_owned(), compiled);
    }

    /// Says once on the status line that some traits are not validated, when
    /// `missing` grew past `before` and the line is free.
    fn tell_missing_schemas(&mut self, before: usize) {
        if self.schemas.missing.len() <= before || self.status != Status::None {
            return;
        }
        let ids: Vec<String> = self
            .schemas
            .missing
            .iter()
            .map(|id| for_display(id).into_owned())
            .collect();
        let why = match &self.schemas.status {
            SchemaStatus::Unlisted(error) => format!("not loadable: {}", for_display(error)),
            _ => "the server does not list it".to_owned(),
        };
        let noun = if ids.len() == 1 { "schema" } else { "schemas" };
        // The consequence first: a narrow terminal cuts the end of the line.
        self.status = Status::Info(format!(
            "Identity {noun} {} unknown — traits not validated here, only by the server ({why})",
            ids.join(", ")
        ));
    }

    /// The header's mark when an identity's schema could not be loaded.
    pub fn schema_warning(&self) -> Option<&'static str> {
        (!self.schemas.missing.is_empty()).then_some(forms::SCHEMA_UNKNOWN_MARK)
    }

    /// Whether identities with schema `id` are shown without their schema.
    pub fn schema_missing(&self, id: &str) -> bool {
        self.schemas.missing.contains(id)
    }

    /// Why the schema form (`i`) may not offer every schema: the server's
    /// list could not be read.
    pub fn schema_list_problem(&self) -> Option<&str> {
        match &self.schemas.status {
            SchemaStatus::Unlisted(error) => Some(error),
            _ => None,
        }
    }

    /// The mark of the open traits form when its traits cannot be checked
    /// against their schema here; `None` when they are.
    pub fn traits_form_mark(&self) -> Option<&'static str> {
        let form = self.form.as_ref()?;
        if !matches!(form.body, forms::FormBody::Traits(_)) {
            return None;
        }
        let id = form.schema_id();
        if matches!(self.validators.get(id), Some(Ok(_))) {
            return None;
        }
        let on_its_way = self.schemas.status == SchemaStatus::Loading
            || self.schemas.wanted.contains(id)
            || self.schemas.asked.contains(id);
        Some(if on_its_way {
            forms::SCHEMA_LOADING_MARK
        } else {
            forms::SCHEMA_UNKNOWN_MARK
        })
    }

    fn selected_id(&self) -> Option<String> {
        match self.screen {
            Screen::List => self.list.selected_row().map(|r| r.id.clone()),
            _ => self.detail.as_ref().map(|d| d.id.clone()),
        }
    }
}

/// Applies one message. The only place state changes.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let form_before = app.form.as_ref().map(|f| f.identity_id.clone());
    let mut effects = match msg {
        Msg::Key(key) if key.kind == KeyEventKind::Release => Vec::new(),
        Msg::Key(key) => on_key(app, key),
        Msg::Paste(text) => on_paste(app, &text),
        Msg::Resize { width, height } => {
            app.width = width;
            app.height = height;
            Vec::new()
        }
        Msg::SchemasLoaded(result) => on_schemas(app, result),
        Msg::PageLoaded { generation, result } => on_page(app, generation, result),
        Msg::SearchLoaded {
            generation,
            query,
            result,
        } => on_search(app, generation, query, result),
        Msg::IdentityLoaded { id, result } => on_identity(app, id, result),
        Msg::ExternalEditDone { identity_id, result } => editing::on_external_edit(app, identity_id, result),
        Msg::WriteDone(outcome) => review::on_outcome(app, outcome),
        Msg::AttributeDone(outcome) => attribute::on_done(app, outcome),
        Msg::DraftsListed(result) => on_drafts_listed(app, result),
        Msg::AuditLoaded { identity_id, result } => {
            if let Some((id, lines)) = app.audit_lines.as_mut()
                && *id == identity_id
            {
                *lines = Some(result);
            }
            Vec::new()
        }
        Msg::DraftTick => save_draft_now(app),
        Msg::Tick => {
            app.spinner = app.spinner.wrapping_add(1);
            Vec::new()
        }
    };
    effects.extend(track_draft(app, form_before));
    // Lazy paging: whenever the cursor nears the end, ask for the next page.
    if app.screen == Screen::List && app.list.wants_next_page() && app.schemas_settled() {
        effects.extend(app.next_page());
    }
    let height = app.list_body_height();
    app.list.scroll_into_view(height);
    effects
}

fn on_schemas(app: &mut App, result: Result<Vec<(String, Value)>, String>) -> Vec<Effect> {
    app.finish(Task::Schemas);
    app.schemas.loading = false;
    let before = app.schemas.missing.len();
    match result {
        Ok(schemas) => {
            for (id, schema) in schemas {
                app.learn_schema(id, schema);
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
    // Asked for and not come: it cannot be loaded (each schema is tried once).
    for id in std::mem::take(&mut app.schemas.asked) {
        if !app.schema_docs.contains_key(&id) {
            app.schemas.missing.insert(id);
        }
    }
    if app.schemas.status == SchemaStatus::Listed {
        for id in std::mem::take(&mut app.schemas.wanted) {
            if !app.schema_docs.contains_key(&id) {
                app.schemas.missing.insert(id);
            }
        }
    }
    app.tell_missing_schemas(before);
    let effects = app.request_schemas();
    if app.schemas_settled() {
        let pending = std::mem::take(&mut app.pending_pages);
        for (generation, page) in pending {
            if generation == app.generation {
                app.accept_page(page);
            }
        }
    }
    effects
}

fn on_page(app: &mut App, generation: u64, result: Result<LoadedPage, String>) -> Vec<Effect> {
    if generation != app.generation {
        return Vec::new(); // an answer to a list that was reloaded since
    }
    app.finish(Task::Page);
    match result {
        Ok(page) => {
            app.want_schemas(&page.items);
            let effects = app.request_schemas();
            if app.schemas_settled() {
                app.accept_page(page);
            } else {
                // Held until the schemas that give the rows' identifiers are in.
                app.pending_pages.push((generation, page));
            }
            effects
        }
        Err(error) => {
            let cursor = app.page_cursor_in_flight.take();
            app.status = Status::Error(format!("Loading identities failed (r retries): {error}"));
            app.list.set_paging(Paging::Failed { cursor, error });
            Vec::new()
        }
    }
}

fn on_search(app: &mut App, generation: u64, query: String, result: Result<Vec<Value>, String>) -> Vec<Effect> {
    if generation != app.generation {
        return Vec::new();
    }
    app.finish(Task::Search);
    match result {
        Ok(items) => {
            app.want_schemas(&items);
            let count = items.len();
            let rows = app.rows_from(&items);
            let shown = for_display(&query).into_owned();
            app.list.show_server_results(query, rows);
            let local = app.list.rows.len().saturating_sub(count);
            let also = if local > 0 {
                format!(", {local} loaded contain it")
            } else {
                String::new()
            };
            app.status = Status::Info(match count {
                0 => format!("No identity on the server matches “{shown}”{also} — Esc shows the full list"),
                1 => format!("1 identity on the server matches “{shown}”{also} — Esc shows the full list"),
                n => format!("{n} identities on the server match “{shown}”{also} — Esc shows the full list"),
            });
        }
        Err(error) => app.status = Status::Error(format!("Search failed: {error}")),
    }
    app.request_schemas()
}

fn on_identity(app: &mut App, id: String, result: Result<Value, String>) -> Vec<Effect> {
    app.finish(Task::Identity);
    let now = app.now;
    let Some(detail) = app.detail.as_mut().filter(|d| d.id == id) else {
        return Vec::new(); // the user has left this identity already
    };
    match result {
        Ok(identity) => {
            let schema_id = identity.get("schema_id").and_then(Value::as_str).map(str::to_owned);
            detail.fill(identity, now);
            // Its schema is asked for first, so a form opening now knows it is on its way.
            app.want_schema_ids(schema_id.as_deref());
            let mut effects = app.request_schemas();
            app.draft_offer = app.drafts.iter().find(|d| d.identity_id == id).cloned();
            effects.extend(match app.pending_form.take() {
                Some(kind) => {
                    let effects = editing::open_form(app, kind);
                    if app.draft_offer.is_some() {
                        app.status =
                            Status::Info("A draft waits for this identity: Esc, then Enter restores it".into());
                    }
                    effects
                }
                None if std::mem::take(&mut app.pending_attribute) => attribute::open(app),
                None => Vec::new(),
            });
            // Keys typed while the identity loaded act now, in order, as if
            // typed after it arrived (scripts and fast typists type ahead).
            for key in std::mem::take(&mut app.typeahead) {
                effects.extend(on_key(app, key));
            }
            effects
        }
        Err(error) => {
            detail.loading = false;
            detail.error = Some(error.clone());
            app.pending_form = None;
            app.pending_external = false;
            app.pending_attribute = false;
            app.typeahead.clear();
            app.status = Status::Error(format!("Loading the identity failed: {error} — press r to retry"));
            Vec::new()
        }
    }
}

fn on_paste(app: &mut App, text: &str) -> Vec<Effect> {
    // A paste only ever goes into a text field; it never answers a prompt or
    // triggers a key binding.
    if app.screen == Screen::Form {
        editing::on_form_paste(app, text);
        return Vec::new();
    }
    if app.screen == Screen::Attribute {
        attribute::on_paste(app, text);
        return Vec::new();
    }
    if let Some(input) = app.search_input.as_mut() {
        let clean: String = text.chars().filter(|c| !c.is_control()).collect();
        input.push_str(&clean);
        let filter = input.clone();
        app.list.set_filter(&filter);
    }
    Vec::new()
}

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C'))
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if is_ctrl_c(&key) {
        app.quit = true;
        return vec![Effect::Quit];
    }
    if app.show_help {
        // Any key closes the help overlay.
        app.show_help = false;
        return Vec::new();
    }
    if app.search_input.is_some() {
        return on_search_key(app, key);
    }
    let typing = matches!(app.screen, Screen::Form | Screen::Attribute);
    // `?` types into text fields, so F1 opens the help everywhere.
    if key.code == KeyCode::F(1) || (key.code == KeyCode::Char('?') && !typing) {
        app.show_help = true;
        return Vec::new();
    }
    match app.screen {
        Screen::List => on_list_key(app, key),
        Screen::Detail => on_detail_key(app, key),
        Screen::Form => editing::on_form_key(app, key),
        Screen::Review => review::on_key(app, key),
        Screen::Response => review::on_response_key(app, key),
        Screen::History => on_history_key(app, key),
        Screen::Drafts => on_drafts_key(app, key),
        Screen::Text => on_text_key(app, key),
        Screen::Attribute => attribute::on_key(app, key),
    }
}

fn on_search_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(input) = app.search_input.as_mut() else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Esc => {
            app.search_input = None;
            app.list.set_filter("");
            app.status = Status::None;
            Vec::new()
        }
        KeyCode::Enter => {
            let query = input.trim().to_owned();
            app.search_input = None;
            if query.is_empty() {
                return Vec::new();
            }
            app.begin(Task::Search);
            app.status = Status::Info(format!("Asking the server for “{}”…", for_display(&query)));
            vec![Effect::Search {
                generation: app.generation,
                query,
            }]
        }
        KeyCode::Backspace => {
            input.pop();
            let filter = input.clone();
            app.list.set_filter(&filter);
            Vec::new()
        }
        KeyCode::Up => {
            app.list.move_by(-1);
            Vec::new()
        }
        KeyCode::Down => {
            app.list.move_by(1);
            Vec::new()
        }
        KeyCode::Char(c) if !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
            input.push(c);
            let filter = input.clone();
            app.list.set_filter(&filter);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// `y`: the selected id to the clipboard, but only an id the sanitiser has
/// nothing to say about. An id is server data: one holding a line break or an
/// invisible character, pasted into a shell, would run or hide something.
fn copy_id(app: &mut App) -> Vec<Effect> {
    match app.selected_id() {
        Some(id) if id.chars().any(crate::sanitize::is_unsafe) => {
            app.status = Status::Error(format!(
                "Not copied: the id {} holds control or invisible characters",
                for_display(&id)
            ));
            Vec::new()
        }
        Some(id) => {
            app.status = Status::Info(format!("Copied {} to the clipboard", for_display(&id)));
            vec![Effect::Copy(id)]
        }
        None => Vec::new(),
    }
}

fn on_list_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let page = app.list_body_height() as isize;
    match key.code {
        KeyCode::Char('q') => {
            app.quit = true;
            vec![Effect::Quit]
        }
        KeyCode::Esc => {
            if app.busy() && app.in_flight.get(&Task::Search).copied().unwrap_or(0) > 0 {
                app.status = Status::Info("Search cancelled".into());
                return vec![app.cancel(Task::Search)];
            }
            if app.list.restore_full_list() || !app.list.filter.is_empty() {
                app.list.set_filter("");
                app.status = Status::None;
            } else if matches!(app.list.paging, Paging::Loading) {
                app.status = Status::Info("Loading cancelled — press r to load again".into());
                let cursor = app.page_cursor_in_flight.take();
                app.list.paging = Paging::Failed {
                    cursor,
                    error: "cancelled".into(),
                };
                return vec![app.cancel(Task::Page)];
            }
            Vec::new()
        }
        KeyCode::Char('j') | KeyCode::Down => {
            app.list.move_by(1);
            Vec::new()
        }
        KeyCode::Char('k') | KeyCode::Up => {
            app.list.move_by(-1);
            Vec::new()
        }
        KeyCode::PageDown => {
            app.list.move_by(page);
            Vec::new()
        }
        KeyCode::PageUp => {
            app.list.move_by(-page);
            Vec::new()
        }
        KeyCode::Char('g') | KeyCode::Home => {
            app.list.move_to(0);
            Vec::new()
        }
        KeyCode::Char('G') | KeyCode::End => {
            app.list.move_to(usize::MAX);
            Vec::new()
        }
        KeyCode::Char('/') => {
            app.search_input = Some(app.list.filter.clone());
            app.status = Status::None;
            Vec::new()
        }
        KeyCode::Char('r') => {
            if let Paging::Failed {
                cursor: Some(cursor), ..
            } = &app.list.paging
            {
                // Retry the page that failed, keeping what is loaded.
                app.list.paging = Paging::More(cursor.clone());
                app.status = Status::None;
                return app.next_page();
            }
            app.status = Status::Info("Reloading…".into());
            app.reload()
        }
        KeyCode::Enter => match app.list.selected_row() {
            Some(row) => {
                let id = row.id.clone();
                app.detail = Some(DetailState::loading(id.clone()));
                app.screen = Screen::Detail;
                app.status = Status::None;
                app.begin(Task::Identity);
                vec![Effect::LoadIdentity { id }]
            }
            None => Vec::new(),
        },
        KeyCode::Char('y') => copy_id(app),
        KeyCode::Char('H') => open_history(app),
        KeyCode::Char('D') => open_drafts(app),
        KeyCode::Char(c @ ('e' | 's' | 'm' | 'c' | 'i' | 'a' | 'E')) => {
            let id = app.list.selected_row().map(|row| row.id.clone());
            editing::edit_key_on_list(app, c, id)
        }
        _ => Vec::new(),
    }
}

fn on_detail_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let waiting = app.detail.as_ref().is_some_and(|d| d.loading && d.identity.is_none());
    if waiting && !matches!(key.code, KeyCode::Esc | KeyCode::Char('q')) {
        if app.typeahead.len() < MAX_TYPEAHEAD {
            app.typeahead.push(key);
        }
        return Vec::new();
    }
    if let Some(effects) = on_draft_offer_key(app, key) {
        return effects;
    }
    let height = app.detail_body_height();
    let Some(detail) = app.detail.as_mut() else {
        app.screen = Screen::List;
        return Vec::new();
    };
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => {
            let was_loading = detail.loading;
            app.screen = Screen::List;
            app.detail = None;
            app.draft_offer = None;
            app.typeahead.clear();
            app.status = Status::None;
            if was_loading {
                return vec![app.cancel(Task::Identity)];
            }
            Vec::new()
        }
        KeyCode::Char('j') | KeyCode::Down => {
            detail.scroll_by(1, height);
            Vec::new()
        }
        KeyCode::Char('k') | KeyCode::Up => {
            detail.scroll_by(-1, height);
            Vec::new()
        }
        KeyCode::PageDown => {
            detail.scroll_by(height as isize, height);
            Vec::new()
        }
        KeyCode::PageUp => {
            detail.scroll_by(-(height as isize), height);
            Vec::new()
        }
        KeyCode::Char('g') | KeyCode::Home => {
            detail.scroll_by(-(isize::MAX / 2), height);
            Vec::new()
        }
        KeyCode::Char('G') | KeyCode::End => {
            detail.scroll_to_end(height);
            Vec::new()
        }
        KeyCode::Char('l') | KeyCode::Right => {
            detail.hscroll = detail.hscroll.saturating_add(8);
            Vec::new()
        }
        KeyCode::Char('h') | KeyCode::Left => {
            detail.hscroll = detail.hscroll.saturating_sub(8);
            Vec::new()
        }
        KeyCode::Tab => {
            detail.next_section(true);
            Vec::new()
        }
        KeyCode::BackTab => {
            detail.next_section(false);
            Vec::new()
        }
        KeyCode::Char('r') => {
            detail.loading = true;
            let id = detail.id.clone();
            app.begin(Task::Identity);
            app.status = Status::Info("Reloading…".into());
            vec![Effect::LoadIdentity { id }]
        }
        KeyCode::Char('y') => copy_id(app),
        KeyCode::Char('H') => open_history(app),
        KeyCode::Char('D') => open_drafts(app),
        KeyCode::Char(c @ ('e' | 's' | 'm' | 'c' | 'i' | 'a' | 'E')) => editing::edit_key_on_detail(app, c),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;

/// `H`: the requests of this run.
fn open_history(app: &mut App) -> Vec<Effect> {
    app.history_selected = app.history.len().saturating_sub(1);
    app.status = Status::None;
    app.previous_screen = app.screen;
    app.screen = Screen::History;
    // On an identity, its audit trail shows beside this run's requests.
    match app.detail.as_ref().map(|d| d.id.clone()) {
        Some(identity_id) if app.previous_screen == Screen::Detail => {
            app.audit_lines = Some((identity_id.clone(), None));
            vec![Effect::LoadAudit { identity_id }]
        }
        _ => {
            app.audit_lines = None;
            Vec::new()
        }
    }
}

fn on_history_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => app.screen = app.previous_screen,
        KeyCode::Char('j') | KeyCode::Down => {
            app.history_selected = (app.history_selected + 1).min(app.history.len().saturating_sub(1));
        }
        KeyCode::Char('k') | KeyCode::Up => app.history_selected = app.history_selected.saturating_sub(1),
        KeyCode::Enter => {
            if let Some(response) = app.history.get(app.history_selected) {
                let mut again = response.clone();
                again.scroll = 0;
                app.response = Some(again);
                app.returning_to_history = true;
                app.screen = Screen::Response;
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Keeps drafts in step with the open form: marks it for saving when its
/// content changed, and forgets the draft once the form is gone after a
/// successful send or an explicit discard.
fn track_draft(app: &mut App, form_before: Option<String>) -> Vec<Effect> {
    if let Some(form) = app.form.as_ref() {
        let content = drafting::content_with(form, &app.profile.issuance_token_pointer);
        if content.is_some() && content != app.last_draft_content {
            app.draft_dirty = true;
        }
        return Vec::new();
    }
    let Some(identity_id) = form_before else {
        return Vec::new();
    };
    app.draft_dirty = false;
    // Only a draft this session saved or restored is dropped with a discarded
    // form; a draft waiting from an earlier session stays until it is restored,
    // discarded with `x`, or made obsolete by a successful send.
    let saved_here = app.last_draft_content.take().is_some();
    let waiting = app.drafts.iter().any(|d| d.identity_id == identity_id);
    let sent = app.screen == Screen::Response && app.response.as_ref().is_some_and(|r| r.success);
    let discarded = !matches!(app.screen, Screen::Review | Screen::Response);
    if (sent && (saved_here || waiting)) || (discarded && saved_here) {
        app.drafts.retain(|d| d.identity_id != identity_id);
        return vec![Effect::RemoveDraft { identity_id }];
    }
    Vec::new()
}

fn on_drafts_listed(app: &mut App, result: Result<Vec<crate::drafts::Draft>, String>) -> Vec<Effect> {
    match result {
        Ok(drafts) => {
            if !drafts.is_empty() && app.status == Status::None {
                let n = drafts.len();
                app.status = Status::Info(format!(
                    "{n} draft{} waiting from an earlier session — D lists {}",
                    if n == 1 { " is" } else { "s are" },
                    if n == 1 { "it" } else { "them" }
                ));
            }
            app.drafts = drafts;
        }
        Err(error) => app.status = Status::Error(format!("Drafts cannot be read: {error}")),
    }
    Vec::new()
}

/// The debounce timer fired (or the console is closing): save the open form.
fn save_draft_now(app: &mut App) -> Vec<Effect> {
    if !app.draft_dirty {
        return Vec::new();
    }
    app.draft_dirty = false;
    let Some(form) = app.form.as_ref() else {
        return Vec::new();
    };
    let Some(content) = drafting::content_with(form, &app.profile.issuance_token_pointer) else {
        return Vec::new();
    };
    let base_updated_at = form.base.get("updated_at").and_then(Value::as_str).map(str::to_owned);
    let draft = crate::drafts::Draft::new(
        &app.profile.name,
        &form.identity_id,
        form.kind().name(),
        content.clone(),
        base_updated_at,
    );
    app.last_draft_content = Some(content);
    app.drafts.retain(|d| d.identity_id != draft.identity_id);
    app.drafts.push(draft.clone());
    vec![Effect::SaveDraft(Box::new(draft))]
}

/// Keys while a draft is offered on the detail view: Enter restores it, `v`
/// shows what it would change, `x` discards it.
fn on_draft_offer_key(app: &mut App, key: KeyEvent) -> Option<Vec<Effect>> {
    let draft = app.draft_offer.clone()?;
    match key.code {
        KeyCode::Enter if app.profile.read_only => {
            app.status = Status::Error(format!(
                "Profile “{}” is read-only: the draft cannot be restored into a form here",
                app.profile.name
            ));
            Some(vec![Effect::AuditRefusal {
                identity_id: Some(draft.identity_id.clone()),
                reason: "read-only profile: restoring a draft into a form was refused".into(),
            }])
        }
        KeyCode::Enter => {
            app.draft_offer = None;
            let kind = drafting::kind_of(&draft)?;
            let effects = editing::open_form(app, kind);
            if let Some(form) = app.form.as_mut() {
                if drafting::restore_into(form, &draft) {
                    app.last_draft_content = drafting::content_with(form, &app.profile.issuance_token_pointer);
                    app.status = Status::Info(format!("Draft from {} restored", for_display(&draft.saved_at)));
                } else {
                    app.status = Status::Error("The draft does not fit this form any more; it is kept on disk".into());
                }
            }
            Some(effects)
        }
        KeyCode::Char('v') => {
            let current = app
                .detail
                .as_ref()
                .and_then(|d| d.identity.clone())
                .unwrap_or(Value::Null);
            app.text_view = Some(("Draft".to_owned(), drafting::diff_lines(&draft, &current), 0));
            app.previous_screen = app.screen;
            app.screen = Screen::Text;
            Some(Vec::new())
        }
        KeyCode::Char('x') => {
            app.draft_offer = None;
            app.drafts.retain(|d| d.identity_id != draft.identity_id);
            app.status = Status::Info("Draft discarded".into());
            Some(vec![Effect::RemoveDraft {
                identity_id: draft.identity_id,
            }])
        }
        _ => None,
    }
}

fn open_drafts(app: &mut App) -> Vec<Effect> {
    app.status = Status::None;
    app.drafts_selected = app.drafts_selected.min(app.drafts.len().saturating_sub(1));
    app.previous_screen = app.screen;
    app.screen = Screen::Drafts;
    Vec::new()
}

fn on_drafts_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => app.screen = app.previous_screen,
        KeyCode::Char('j') | KeyCode::Down => {
            app.drafts_selected = (app.drafts_selected + 1).min(app.drafts.len().saturating_sub(1));
        }
        KeyCode::Char('k') | KeyCode::Up => app.drafts_selected = app.drafts_selected.saturating_sub(1),
        KeyCode::Enter => {
            if let Some(draft) = app.drafts.get(app.drafts_selected) {
                let id = draft.identity_id.clone();
                app.detail = Some(DetailState::loading(id.clone()));
                app.screen = Screen::Detail;
                app.status = Status::None;
                app.begin(Task::Identity);
                return vec![Effect::LoadIdentity { id }];
            }
        }
        _ => {}
    }
    Vec::new()
}

fn on_text_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let height = app.detail_body_height();
    let Some((_, lines, scroll)) = app.text_view.as_mut() else {
        app.screen = app.previous_screen;
        return Vec::new();
    };
    let max = lines.len().saturating_sub(height);
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => {
            app.text_view = None;
            app.screen = app.previous_screen;
        }
        KeyCode::Char('j') | KeyCode::Down => *scroll = (*scroll + 1).min(max),
        KeyCode::Char('k') | KeyCode::Up => *scroll = scroll.saturating_sub(1),
        KeyCode::PageDown => *scroll = (*scroll + height).min(max),
        KeyCode::PageUp => *scroll = scroll.saturating_sub(height),
        _ => {}
    }
    Vec::new()
}
