//! The identity list screen: loaded rows, the filter over them and the
//! search prompt (`/`), the selection, lazy paging, reloads that keep the
//! rows, and the keys. Server search results (`search`) are shown in the
//! same list, the full list set aside until Esc.

use crossterm::event::{KeyCode, KeyEvent};
use serde_json::Value;

use super::detail::{self, Pending};
use super::keys::Action;
use super::rows::{Filter, IdentityRow, SearchIndex};
use super::search::{self, ServerSearch};
use super::{App, Effect, PAGE_SIZE, Screen, Status, Task, editing, schemas};
use crate::sanitize::for_display;

/// Where the next page comes from: the query parameters the server's `Link`
/// header gave for `rel="next"`, to be sent on our own base URL.
pub type PageCursor = Vec<(String, String)>;

/// The state of loading more pages.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Paging {
    /// More pages exist and none is being fetched.
    More(PageCursor),
    /// A page request is in flight.
    #[default]
    Loading,
    /// The last page has been read.
    Done,
    /// The last page request failed; `r` retries from the same place.
    Failed { cursor: Option<PageCursor>, error: String },
}

/// How many rows before the end of the loaded rows the next page is asked for.
pub const PREFETCH_ROWS: usize = 60;

/// The status line while a reload runs; cleared when it ends either way.
pub const RELOADING: &str = "Reloading…";

/// What the list shows: everything loaded, or the answer to a server search.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ListSource {
    #[default]
    All,
    /// What the server found for a text (id, exact identifier, prefix),
    /// with the loaded rows that contain it.
    ServerSearch(ServerSearch),
}

/// Whether the loaded rows are the server's latest answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Freshness {
    #[default]
    Fresh,
    /// A reload is on its way: the rows stay until its first page arrives.
    Reloading,
    /// The last reload did not arrive (what happened, in one line): the
    /// rows shown are from before it.
    Stale(String),
}

/// The full list set aside while server search results are shown.
#[derive(Debug)]
pub(super) struct Stash {
    pub(super) rows: Vec<IdentityRow>,
    pub(super) index: SearchIndex,
    pub(super) paging: Paging,
    selected: usize,
    offset: usize,
}

#[derive(Debug, Default)]
pub struct ListState {
    pub rows: Vec<IdentityRow>,
    pub(super) index: SearchIndex,
    /// Indices into `rows` that pass the filter, in order.
    pub visible: Vec<usize>,
    /// Position of the cursor in `visible`.
    pub selected: usize,
    /// First row of `visible` drawn at the top (kept by the view's height).
    pub offset: usize,
    /// The filter over the rows shown; empty shows everything.
    pub filter: Filter,
    /// Paging of what is shown: the full list, or a search's prefix matches.
    pub paging: Paging,
    pub source: ListSource,
    /// The full list kept aside while server search results are shown.
    pub(super) stash: Option<Stash>,
    /// `Some` while the search prompt has focus; holds the typed text.
    pub search_input: Option<String>,
    /// Counts reloads: answers to an older list are dropped.
    pub(super) generation: u64,
    /// Counts server searches: answers to an older search are dropped.
    pub(super) searches: u64,
    /// Whether the full list is the server's latest answer.
    pub freshness: Freshness,
    /// Pages that arrived before the schemas, held until the identifier
    /// trait is known.
    pub(super) held: Vec<(u64, LoadedPage)>,
    /// The cursor of the full list's page request in flight (`None` for
    /// the first page), so that a failed or cancelled page is retried from
    /// there.
    pub(super) cursor_in_flight: Option<PageCursor>,
    /// The terminal's width, to know how many rows a wrapped note takes
    /// (0 until the first message: then 80 is assumed).
    pub(super) note_width: u16,
}

/// One page of the identity list as the runtime hands it over.
#[derive(Debug, Clone)]
pub struct LoadedPage {
    pub items: Vec<Value>,
    pub next: Option<PageCursor>,
}

impl ListState {
    /// The row under the cursor, if any.
    pub fn selected_row(&self) -> Option<&IdentityRow> {
        self.visible.get(self.selected).and_then(|&i| self.rows.get(i))
    }

    /// How many identities of the full list are loaded (also while server
    /// search results are shown).
    pub fn loaded_count(&self) -> usize {
        self.stash.as_ref().map_or(self.rows.len(), |stash| stash.rows.len())
    }

    /// The paging state of the full list.
    pub fn full_list_paging(&self) -> &Paging {
        self.stash.as_ref().map_or(&self.paging, |stash| &stash.paging)
    }

    /// The server search shown, if any.
    pub fn server_search(&self) -> Option<&ServerSearch> {
        match &self.source {
            ListSource::ServerSearch(search) => Some(search),
            ListSource::All => None,
        }
    }

    /// Whether row `index` passes the filter.
    fn passes(&self, index: usize) -> bool {
        self.index.matches(index, self.filter.needle()) && self.filter.terms_match(&self.rows[index])
    }

    /// Appends a loaded page to the full list, keeping the filter applied.
    /// While server search results are shown, the page goes to the full list
    /// set aside, not among the results.
    pub fn append(&mut self, rows: Vec<IdentityRow>, paging: Paging) {
        if let Some(stash) = self.stash.as_mut() {
            for row in &rows {
                stash.index.push(row);
            }
            stash.rows.extend(rows);
            stash.paging = paging;
            return;
        }
        let start = self.rows.len();
        for row in &rows {
            self.index.push(row);
        }
        self.rows.extend(rows);
        for index in start..self.rows.len() {
            if self.passes(index) {
                self.visible.push(index);
            }
        }
        self.paging = paging;
    }

    /// Puts a reload's first page in place of the full list's rows (set
    /// aside or shown), keeping the cursor on the same identity when it is
    /// still there.
    pub fn replace_full_list(&mut self, rows: Vec<IdentityRow>, paging: Paging) {
        if let Some(stash) = self.stash.as_mut() {
            let mut index = SearchIndex::default();
            for row in &rows {
                index.push(row);
            }
            stash.rows = rows;
            stash.index = index;
            stash.paging = paging;
            stash.selected = 0;
            stash.offset = 0;
            return;
        }
        self.paging = paging;
        self.set_rows(rows);
    }

    /// Sets the paging state of the full list (a page request started or failed).
    pub fn set_paging(&mut self, paging: Paging) {
        match self.stash.as_mut() {
            Some(stash) => stash.paging = paging,
            None => self.paging = paging,
        }
    }

    /// Applies a new filter text (see [`Filter`]).
    pub fn set_filter(&mut self, text: &str) {
        self.apply_filter(Filter::parse(text));
    }

    /// Applies a filter. Narrowing (the new free text extends the old, the
    /// terms unchanged) only re-checks the rows that matched before, which
    /// keeps typing fast on large lists.
    pub fn apply_filter(&mut self, filter: Filter) {
        let narrowing = !self.filter.is_empty() && filter.narrows(&self.filter);
        self.filter = filter;
        if narrowing {
            let keep_id = self.selected_row().map(|r| r.id.clone());
            let visible = std::mem::take(&mut self.visible);
            self.visible = visible.into_iter().filter(|&i| self.passes(i)).collect();
            self.select_id(keep_id);
        } else {
            self.refilter();
        }
    }

    /// Checks every row against the filter again, keeping the cursor on
    /// the same identity when it still passes.
    pub(super) fn refilter(&mut self) {
        let keep_id = self.selected_row().map(|r| r.id.clone());
        self.visible = (0..self.rows.len()).filter(|&i| self.passes(i)).collect();
        self.select_id(keep_id);
    }

    /// Puts the cursor on the identity `id` when it is shown, else on the
    /// first row.
    fn select_id(&mut self, id: Option<String>) {
        self.selected = id
            .and_then(|id| self.visible.iter().position(|&i| self.rows[i].id == id))
            .unwrap_or(0);
        self.offset = self.offset.min(self.selected);
    }

    /// Moves the cursor by `delta` rows, clamped to the list.
    pub fn move_by(&mut self, delta: isize) {
        if self.visible.is_empty() {
            self.selected = 0;
            return;
        }
        let last = self.visible.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn move_to(&mut self, position: usize) {
        self.selected = position.min(self.visible.len().saturating_sub(1));
    }

    /// Keeps the cursor inside a window of `height` rows, scrolling as little as
    /// possible (the view calls this with the real height before drawing).
    pub fn scroll_into_view(&mut self, height: usize) {
        let height = height.max(1);
        // On the last row, also show the note under it ("loading more…", or
        // why loading stopped, which may wrap).
        let extra = self.note_rows();
        let bottom = if self.selected + 1 >= self.visible.len() {
            self.selected + extra
        } else {
            self.selected
        };
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if bottom >= self.offset + height {
            self.offset = bottom + 1 - height;
        }
        let max_offset = (self.visible.len() + extra).saturating_sub(height);
        self.offset = self.offset.min(max_offset).min(self.selected);
    }

    /// True when a note row follows the last row (loading, failure).
    pub fn has_trailing_note(&self) -> bool {
        matches!(self.paging, Paging::Loading | Paging::Failed { .. })
    }

    /// The note under the last row while a page loads or after one failed:
    /// a failure says why (a server error, an answer that is not JSON, a
    /// dropped connection) as the detail view does.
    pub fn note(&self) -> Option<String> {
        let searching = matches!(self.source, ListSource::ServerSearch(_));
        match &self.paging {
            Paging::Loading if searching => Some("  asking the server for more matches…".to_owned()),
            Paging::Loading => Some("  loading more identities…".to_owned()),
            Paging::Failed { error, .. } => Some(format!("  ✗ loading stopped (r retries): {}", for_display(error))),
            Paging::More(_) | Paging::Done => None,
        }
    }

    /// The rows the note takes, wrapped at the list's width (at most five).
    pub fn note_rows(&self) -> usize {
        let Some(note) = self.note() else {
            return 0;
        };
        let width = usize::from(if self.note_width == 0 { 80 } else { self.note_width });
        let columns = unicode_width::UnicodeWidthStr::width(note.as_str());
        // Wrapping at words takes a row more than the columns alone say.
        if columns <= width {
            1
        } else {
            (columns.div_ceil(width) + 1).min(5)
        }
    }

    /// True when the cursor is close enough to the end that the next page
    /// should be fetched now. In the full list, not while a filter is set
    /// (a short filtered list would otherwise pull in every page of the
    /// tenant: Enter asks the server instead) nor while the rows are not
    /// fresh (a reload runs, or failed: `r` reloads); a
    /// server search's prefix matches page on, filtered or not, as far as
    /// the server has matches.
    pub fn wants_next_page(&self) -> bool {
        let allowed = match self.source {
            ListSource::All => self.filter.is_empty() && self.freshness == Freshness::Fresh,
            ListSource::ServerSearch(_) => true,
        };
        allowed
            && matches!(self.paging, Paging::More(_))
            && self.visible.len().saturating_sub(self.selected) <= PREFETCH_ROWS
    }

    /// True when the line above the rows shows a filter, a search or a
    /// reload (see [`ListState::badge`]).
    pub fn shows_badge(&self) -> bool {
        !self.filter.is_empty() || self.source != ListSource::All || self.freshness != Freshness::Fresh
    }

    /// The rows of the full list (shown or set aside) that pass `filter`,
    /// marked as found here.
    pub(super) fn full_list_matches(&self, filter: &Filter) -> Vec<IdentityRow> {
        let (rows, index) = match &self.stash {
            Some(stash) => (&stash.rows, &stash.index),
            None => (&self.rows, &self.index),
        };
        rows.iter()
            .enumerate()
            .filter(|&(i, row)| index.matches(i, filter.needle()) && filter.terms_match(row))
            .map(|(_, row)| row.clone())
            .collect()
    }

    /// Shows `rows` as the answer to `search`, setting the full list aside
    /// (once: a second search replaces the first's results).
    pub(super) fn show_search(&mut self, search: ServerSearch, rows: Vec<IdentityRow>, filter: Filter) {
        if self.stash.is_none() {
            self.stash = Some(Stash {
                rows: std::mem::take(&mut self.rows),
                index: std::mem::take(&mut self.index),
                paging: std::mem::replace(&mut self.paging, Paging::Loading),
                selected: self.selected,
                offset: self.offset,
            });
        }
        self.source = ListSource::ServerSearch(search);
        self.paging = Paging::Loading;
        self.filter = filter;
        self.set_rows(rows);
        self.selected = 0;
        self.offset = 0;
    }

    /// Replaces the rows shown, re-indexed and filtered, the cursor kept on
    /// its identity when it is still there.
    pub(super) fn set_rows(&mut self, rows: Vec<IdentityRow>) {
        let keep_id = self.selected_row().map(|r| r.id.clone());
        self.rows = rows;
        self.index = SearchIndex::default();
        for row in &self.rows {
            self.index.push(row);
        }
        self.visible = (0..self.rows.len()).filter(|&i| self.passes(i)).collect();
        self.select_id(keep_id);
    }

    /// Puts `fresh` (the server's latest of an identity) in place of its
    /// row, in the rows shown and in the full list set aside, keeping how a
    /// search found it. Its search text follows, and the filter is applied
    /// again: the rows shown are those the filter finds now (the cursor
    /// stays on its identity, or where it was when that row left them).
    fn refresh(&mut self, fresh: &IdentityRow) {
        if let Some(stash) = self.stash.as_mut()
            && let Some(at) = stash.rows.iter().position(|r| r.id == fresh.id)
        {
            let found = stash.rows[at].found;
            stash.rows[at] = IdentityRow { found, ..fresh.clone() };
            stash.index.replace(at, &stash.rows[at]);
        }
        let Some(at) = self.rows.iter().position(|r| r.id == fresh.id) else {
            return;
        };
        let found = self.rows[at].found;
        self.rows[at] = IdentityRow { found, ..fresh.clone() };
        self.index.replace(at, &self.rows[at]);
        if !self.filter.is_empty() {
            let (keep_id, keep_at) = (self.selected_row().map(|r| r.id.clone()), self.selected);
            self.visible = (0..self.rows.len()).filter(|&i| self.passes(i)).collect();
            self.selected = keep_id
                .and_then(|id| self.visible.iter().position(|&i| self.rows[i].id == id))
                .unwrap_or_else(|| keep_at.min(self.visible.len().saturating_sub(1)));
            self.offset = self.offset.min(self.selected);
        }
    }

    /// Leaves server search results and shows the full list again, with
    /// the cursor where it was.
    pub fn restore_full_list(&mut self) -> bool {
        let Some(stash) = self.stash.take() else {
            return false;
        };
        self.rows = stash.rows;
        self.index = stash.index;
        self.paging = stash.paging;
        self.source = ListSource::All;
        self.filter = Filter::default();
        self.visible = (0..self.rows.len()).collect();
        self.selected = stash.selected.min(self.visible.len().saturating_sub(1));
        self.offset = stash.offset.min(self.selected);
        true
    }
}

/// Loads the list again from the first page. The rows stay (marked as
/// reloading) until the fresh first page replaces them; the filter stays.
pub(super) fn reload(app: &mut App) -> Vec<Effect> {
    let list = &mut app.list;
    list.generation += 1;
    list.held.clear();
    // A page of the old list in flight is cancelled below: should the
    // reload fail, loading more goes on from where that page was.
    if let Some(cursor) = list.cursor_in_flight.take()
        && matches!(list.full_list_paging(), Paging::Loading)
    {
        list.set_paging(Paging::More(cursor));
    }
    if list.loaded_count() > 0 {
        list.freshness = Freshness::Reloading;
    } else {
        list.freshness = Freshness::Fresh;
        list.set_paging(Paging::Loading);
    }
    let generation = list.generation;
    let cancel = app.cancel(Task::Page);
    app.begin(Task::Page);
    vec![
        cancel,
        Effect::LoadPage {
            generation,
            cursor: None,
            page_size: PAGE_SIZE,
        },
    ]
}

/// Asks for the next page of what is shown: the full list, or a search's
/// prefix matches.
fn next_page(app: &mut App) -> Vec<Effect> {
    let Paging::More(cursor) = &app.list.paging else {
        return Vec::new();
    };
    let cursor = cursor.clone();
    if app.list.server_search().is_some() {
        return search::next_page(app, cursor);
    }
    app.list.paging = Paging::Loading;
    app.list.cursor_in_flight = Some(cursor.clone());
    app.begin(Task::Page);
    vec![Effect::LoadPage {
        generation: app.list.generation,
        cursor: Some(cursor),
        page_size: PAGE_SIZE,
    }]
}

/// After every message: ask for the next page when the cursor nears the
/// end (lazy paging), and keep the cursor in view.
pub(super) fn after_update(app: &mut App) -> Vec<Effect> {
    let effects = if app.screen == Screen::List && app.list.wants_next_page() && app.schemas.settled() {
        next_page(app)
    } else {
        Vec::new()
    };
    let height = app.list_body_height();
    app.list.note_width = app.chrome.width;
    app.list.scroll_into_view(height);
    effects
}

/// List rows made from identities as the server sent them.
pub(super) fn rows_from(app: &App, items: &[Value]) -> Vec<IdentityRow> {
    items
        .iter()
        .map(|identity| {
            let schema = identity.get("schema_id").and_then(Value::as_str).unwrap_or_default();
            IdentityRow::from_identity(identity, app.schemas.hints.get(schema))
        })
        .collect()
}

fn accept_page(app: &mut App, page: LoadedPage) {
    app.list.cursor_in_flight = None;
    let rows = rows_from(app, &page.items);
    let paging = match page.next {
        Some(cursor) => Paging::More(cursor),
        None => Paging::Done,
    };
    if app.list.freshness == Freshness::Reloading {
        // The reload's first page: the fresh rows take the old ones' place.
        app.list.replace_full_list(rows, paging);
        app.list.freshness = Freshness::Fresh;
    } else {
        app.list.append(rows, paging);
    }
    if app.chrome.status == Status::Info(RELOADING.into()) {
        app.chrome.status = Status::None;
    }
}

/// The pages held for their schemas become rows once no schema is on its way.
pub(super) fn accept_held_pages(app: &mut App) {
    if !app.schemas.settled() {
        return;
    }
    for (generation, page) in std::mem::take(&mut app.list.held) {
        if generation == app.list.generation {
            accept_page(app, page);
        }
    }
}

/// Replaces the list rows of an identity the server just returned (in the
/// results shown and in the full list set aside), so the list never shows
/// a state older than the detail, and the filter finds the row by what it
/// shows now ([`ListState::refresh`]).
pub(super) fn refresh_row(app: &mut App, identity: &Value) {
    if identity.get("id").and_then(Value::as_str).is_none() {
        return;
    }
    if let Some(fresh) = rows_from(app, std::slice::from_ref(identity)).into_iter().next() {
        app.list.refresh(&fresh);
    }
}

pub(super) fn on_page(app: &mut App, generation: u64, result: Result<LoadedPage, String>) -> Vec<Effect> {
    if generation != app.list.generation {
        return Vec::new(); // an answer to a list that was reloaded since
    }
    app.finish(Task::Page);
    match result {
        Ok(page) => {
            schemas::want_for(app, &page.items);
            let effects = schemas::request(app);
            if app.schemas.settled() {
                accept_page(app, page);
            } else {
                // Held until the schemas that give the rows' identifiers are in.
                app.list.held.push((generation, page));
            }
            effects
        }
        Err(error) if app.list.freshness == Freshness::Reloading => {
            // The rows shown stay, marked stale, and say why.
            let why = crate::text::single_line(&error);
            app.chrome.status = Status::Error(format!(
                "Reload failed (r retries), the rows shown are from before: {}",
                for_display(&why)
            ));
            app.list.freshness = Freshness::Stale(format!("reload failed: {why}"));
            Vec::new()
        }
        Err(error) => {
            let cursor = app.list.cursor_in_flight.take();
            app.chrome.status = Status::Error(format!(
                "Loading identities failed (r retries): {}",
                for_display(&error)
            ));
            app.list.set_paging(Paging::Failed { cursor, error });
            Vec::new()
        }
    }
}

/// Esc on the list: cancels a search, leaves server results or a filter,
/// stops a reload or a page load; with none of them, says what it is for.
fn on_escape(app: &mut App) -> Vec<Effect> {
    if app.chrome.running(Task::Search) > 0 {
        return search::cancel(app);
    }
    if app.list.restore_full_list() || !app.list.filter.is_empty() {
        app.list.set_filter("");
        app.chrome.status = Status::None;
    } else if app.list.freshness == Freshness::Reloading {
        app.list.freshness = Freshness::Stale("reload cancelled".into());
        app.chrome.status = Status::Info("Reload cancelled — the rows shown are from before; r reloads".into());
        return vec![app.cancel(Task::Page)];
    } else if matches!(app.list.paging, Paging::Loading) {
        app.chrome.status = Status::Info("Loading cancelled — press r to load again".into());
        let cursor = app.list.cursor_in_flight.take();
        app.list.paging = Paging::Failed {
            cursor,
            error: "cancelled".into(),
        };
        return vec![app.cancel(Task::Page)];
    } else {
        app.chrome.status = Status::Info("Esc clears search results or a filter and stops loading; q quits".into());
    }
    Vec::new()
}

/// A key on the list, by its action (see `keys`).
pub(super) fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    let page = app.list_body_height() as isize;
    let list = &mut app.list;
    match action {
        Action::Back => return on_escape(app),
        Action::Down => list.move_by(1),
        Action::Up => list.move_by(-1),
        Action::PageDown => list.move_by(page),
        Action::PageUp => list.move_by(-page),
        Action::Top => list.move_to(0),
        Action::Bottom => list.move_to(usize::MAX),
        Action::Search => {
            list.search_input = Some(list.filter.text());
            app.chrome.status = Status::None;
        }
        Action::Reload => {
            if let Paging::Failed {
                cursor: Some(cursor), ..
            } = &list.paging
            {
                // Retry the page that failed, keeping what is loaded.
                list.paging = Paging::More(cursor.clone());
                app.chrome.status = Status::None;
                return next_page(app);
            }
            if list.server_search().is_some() {
                return search::again(app);
            }
            app.chrome.status = Status::Info(RELOADING.into());
            return reload(app);
        }
        Action::Open => {
            return match list.selected_row().map(|row| row.id.clone()) {
                Some(id) => detail::open(app, id, None),
                None => Vec::new(),
            };
        }
        Action::CopyId => {
            let id = list.selected_row().map(|row| row.id.clone());
            return super::copy_id(app, id);
        }
        Action::History => return super::history::open(app),
        Action::Drafts => return super::drafting::open_list(app),
        Action::NewIdentity => return super::create::open(app),
        Action::Edit(kind) => return edit(app, Pending::Form(kind)),
        Action::EditExternally => return edit(app, Pending::External),
        Action::EditAttribute => return edit(app, Pending::Attribute),
        _ => {}
    }
    Vec::new()
}

/// An edit key on the list: fetch the selected identity fresh, then open the
/// form on it.
fn edit(app: &mut App, pending: Pending) -> Vec<Effect> {
    let id = app.list.selected_row().map(|row| row.id.clone());
    if let Some(refused) = editing::refuse_read_only(app, pending, id.clone()) {
        return refused;
    }
    match id {
        Some(id) => detail::open(app, id, Some(pending)),
        None => Vec::new(),
    }
}

/// A key in the search prompt.
pub(super) fn on_search_action(app: &mut App, action: Action, key: KeyEvent) -> Vec<Effect> {
    let Some(input) = app.list.search_input.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::Back => {
            app.list.search_input = None;
            app.list.set_filter("");
            app.chrome.status = Status::None;
        }
        Action::AskServer => {
            let text = std::mem::take(input);
            app.list.search_input = None;
            return search::ask(app, &text);
        }
        Action::Erase => {
            input.pop();
            let filter = input.clone();
            app.list.set_filter(&filter);
        }
        Action::Up => app.list.move_by(-1),
        Action::Down => app.list.move_by(1),
        Action::Type => {
            if let KeyCode::Char(c) = key.code {
                input.push(c);
                let filter = input.clone();
                app.list.set_filter(&filter);
            }
        }
        _ => {}
    }
    Vec::new()
}

/// A paste goes into the search prompt when it is open, never elsewhere.
pub(super) fn on_paste(app: &mut App, text: &str) {
    if let Some(input) = app.list.search_input.as_mut() {
        let clean: String = text.chars().filter(|c| !c.is_control()).collect();
        input.push_str(&clean);
        let filter = input.clone();
        app.list.set_filter(&filter);
    }
}

#[cfg(test)]
mod tests {
    //! The list after a write: the row the server returned is what the
    //! filter finds, not what the row said before.

    use chrono::{TimeZone, Utc};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use serde_json::{Value, json};

    use super::super::review::{WriteOutcome, response_view};
    use super::super::{App, Msg, ProfileInfo, Screen, update};
    use super::*;

    const ANA: &str = "00000000-0000-4000-8000-000000000001";

    fn key(app: &mut App, code: KeyCode) {
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    fn typed(app: &mut App, text: &str) {
        for c in text.chars() {
            key(app, KeyCode::Char(c));
        }
    }

    /// Person `i`, named by their e-mail alone (the name is searched too).
    fn person(i: usize, email: &str) -> Value {
        json!({
            "id": format!("00000000-0000-4000-8000-{i:012}"),
            "schema_id": "default",
            "state": "active",
            "traits": {"email": email},
            "updated_at": "2026-11-20T10:00:00Z"
        })
    }

    /// Three people loaded, Ana (the second) among them.
    fn listed() -> App {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
            .single()
            .unwrap_or_default();
        let profile = ProfileInfo {
            name: "test".into(),
            identities_url: "http://127.0.0.1/admin/identities".into(),
            ..Default::default()
        };
        let mut app = App::new(profile, 80, 24, now);
        app.start();
        update(&mut app, Msg::SchemasLoaded(Ok(Vec::new())));
        let items = vec![
            person(0, "bo@example.com"),
            person(1, "ana.silva@example.com"),
            person(2, "cy@example.com"),
        ];
        update(
            &mut app,
            Msg::PageLoaded {
                generation: 1,
                result: Ok(LoadedPage { items, next: None }),
            },
        );
        app
    }

    /// On the list, with the row under the cursor open: Ana's e-mail
    /// changed in the editor (`E`), reviewed, sent, and the server's
    /// answer returning her with it; then back to the list.
    fn change_anas_email(app: &mut App, to: &str) {
        key(app, KeyCode::Enter);
        assert_eq!(app.detail.id(), Some(ANA));
        update(
            app,
            Msg::IdentityLoaded {
                id: ANA.into(),
                result: Ok(person(1, "ana.silva@example.com")),
            },
        );
        update(
            app,
            Msg::ExternalEditDone {
                identity_id: ANA.into(),
                result: Ok(json!({"email": to}).to_string()),
            },
        );
        update(app, Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)));
        assert_eq!(app.screen, Screen::Review, "{:?}", app.chrome.status);
        key(app, KeyCode::Char('y'));
        let returned = person(1, to);
        let exchange = crate::api::Exchange {
            request_id: "req-1".into(),
            method: "PUT".into(),
            url: format!("http://127.0.0.1/admin/identities/{ANA}"),
            request_headers: Vec::new(),
            request_body: None,
            status: 200,
            reason: "OK".into(),
            headers: Vec::new(),
            body: returned.to_string().into_bytes(),
            started_at: Utc::now(),
            elapsed: std::time::Duration::from_millis(20),
        };
        update(
            app,
            Msg::WriteDone(WriteOutcome::Answered {
                response: response_view(&exchange, Some(ANA.into())),
                identity: Some(returned),
            }),
        );
        assert_eq!(app.screen, Screen::Response);
        key(app, KeyCode::Esc);
        key(app, KeyCode::Esc);
        assert_eq!(app.screen, Screen::List);
    }

    fn shown(app: &App) -> Vec<String> {
        app.list
            .visible
            .iter()
            .map(|&i| app.list.rows[i].identifier.clone())
            .collect()
    }

    /// The filter typed after the write finds Ana by her new e-mail, and no
    /// longer by the old one.
    #[test]
    fn the_filter_finds_an_edited_row_by_its_new_values_only() {
        let mut app = listed();
        key(&mut app, KeyCode::Down);
        change_anas_email(&mut app, "ana.costa@example.com");
        assert_eq!(app.list.rows[1].identifier, "ana.costa@example.com");
        key(&mut app, KeyCode::Char('/'));
        typed(&mut app, "costa");
        assert_eq!(shown(&app), ["ana.costa@example.com"]);
        key(&mut app, KeyCode::Esc);
        key(&mut app, KeyCode::Char('/'));
        typed(&mut app, "ana.silva");
        assert!(
            shown(&app).is_empty(),
            "the old e-mail still matches: {:?}",
            shown(&app)
        );
    }

    /// A filter set before the edit stays, and says what it finds now: the
    /// edited row left it (the badge counts what is shown), and a filter
    /// for the new e-mail brings it back.
    #[test]
    fn a_filter_kept_across_the_edit_is_applied_to_the_new_values() {
        let mut app = listed();
        key(&mut app, KeyCode::Char('/'));
        typed(&mut app, "ana");
        assert_eq!(shown(&app), ["ana.silva@example.com"]);
        // Leaving the prompt keeps the filter (Enter would ask the server).
        app.list.search_input = None;
        change_anas_email(&mut app, "a.costa@example.com");
        assert_eq!(app.list.filter.text(), "ana");
        assert!(shown(&app).is_empty(), "{:?}", shown(&app));
        key(&mut app, KeyCode::Char('/'));
        key(&mut app, KeyCode::Backspace);
        key(&mut app, KeyCode::Backspace);
        key(&mut app, KeyCode::Backspace);
        typed(&mut app, "costa");
        assert_eq!(shown(&app), ["a.costa@example.com"]);
    }

    /// Server search results shown, the full list set aside: the row is
    /// refreshed in both, and the full list's filter finds the new value.
    #[test]
    fn the_full_list_set_aside_is_refreshed_too() {
        let mut app = listed();
        key(&mut app, KeyCode::Char('/'));
        typed(&mut app, "ana.silva");
        let asked = update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        // The server knows her by the old e-mail too (exact and prefix).
        for effect in asked {
            match effect {
                Effect::Search { generation, query } => {
                    let result = Ok(vec![person(1, "ana.silva@example.com")]);
                    update(
                        &mut app,
                        Msg::SearchLoaded {
                            generation,
                            query,
                            result,
                        },
                    );
                }
                Effect::LoadSimilar { generation, search, .. } => {
                    let items = vec![person(1, "ana.silva@example.com")];
                    let result = Ok(LoadedPage { items, next: None });
                    update(
                        &mut app,
                        Msg::SimilarLoaded {
                            generation,
                            search,
                            result,
                        },
                    );
                }
                _ => {}
            }
        }
        assert!(app.list.server_search().is_some());
        assert_eq!(shown(&app), ["ana.silva@example.com"]);
        change_anas_email(&mut app, "ana.costa@example.com");
        assert_eq!(
            shown(&app),
            ["ana.costa@example.com"],
            "the result shows what the server returned"
        );
        key(&mut app, KeyCode::Esc);
        assert!(app.list.server_search().is_none());
        key(&mut app, KeyCode::Char('/'));
        typed(&mut app, "costa");
        assert_eq!(shown(&app), ["ana.costa@example.com"]);
        key(&mut app, KeyCode::Esc);
        key(&mut app, KeyCode::Char('/'));
        typed(&mut app, "ana.silva");
        assert!(shown(&app).is_empty(), "{:?}", shown(&app));
    }
}
