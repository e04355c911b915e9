//! The identity list screen: loaded rows, the type-to-filter view over them
//! and the search prompt (`/`), the selection, lazy paging, and the keys.

use crossterm::event::{KeyCode, KeyEvent};
use serde_json::Value;

use super::detail::{self, Pending};
use super::keys::Action;
use super::rows::{IdentityRow, SearchIndex};
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

/// What the list shows: everything loaded, or the answer to a server search.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ListSource {
    #[default]
    All,
    /// Results of asking the server for `query` (exact identifier or id).
    ServerSearch { query: String },
}

/// The full list set aside while server search results are shown.
#[derive(Debug)]
pub(super) struct Stash {
    rows: Vec<IdentityRow>,
    index: SearchIndex,
    paging: Paging,
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
    /// Lower-cased filter text; empty shows everything.
    pub filter: String,
    pub paging: Paging,
    pub source: ListSource,
    /// The full list kept aside while server search results are shown.
    pub(super) stash: Option<Stash>,
    /// `Some` while the search prompt has focus; holds the typed text.
    pub search_input: Option<String>,
    /// Counts reloads: answers to an older list are dropped.
    pub(super) generation: u64,
    /// Pages that arrived before the schemas, held until the identifier
    /// trait is known.
    pub(super) held: Vec<(u64, LoadedPage)>,
    /// The cursor of the page request in flight (`None` for the first
    /// page), so that a failed or cancelled page is retried from there.
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
            if self.filter.is_empty() || self.index.matches(index, &self.filter) {
                self.visible.push(index);
            }
        }
        self.paging = paging;
    }

    /// Sets the paging state of the full list (a page request started or failed).
    pub fn set_paging(&mut self, paging: Paging) {
        match self.stash.as_mut() {
            Some(stash) => stash.paging = paging,
            None => self.paging = paging,
        }
    }

    /// Forgets every row (before a reload).
    pub fn clear(&mut self) {
        self.rows.clear();
        self.index.clear();
        self.visible.clear();
        self.selected = 0;
        self.offset = 0;
        self.stash = None;
        self.source = ListSource::All;
    }

    /// Applies a new filter text. Narrowing (the new text extends the old) only
    /// re-checks the rows that matched before, which keeps typing fast on large
    /// lists.
    pub fn set_filter(&mut self, text: &str) {
        let needle = text.to_lowercase();
        let keep_id = self.selected_row().map(|r| r.id.clone());
        if needle.is_empty() {
            self.visible = (0..self.rows.len()).collect();
        } else if !self.filter.is_empty() && needle.starts_with(self.filter.as_str()) {
            let index = &self.index;
            self.visible.retain(|&i| index.matches(i, &needle));
        } else {
            self.visible = (0..self.rows.len())
                .filter(|&i| self.index.matches(i, &needle))
                .collect();
        }
        self.filter = needle;
        // Keep the cursor on the same identity when it still matches.
        self.selected = keep_id
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
        match &self.paging {
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
    /// should be fetched now. Not while a filter is typed: a short filtered
    /// list would otherwise pull in every page of the tenant.
    pub fn wants_next_page(&self) -> bool {
        matches!(self.paging, Paging::More(_))
            && self.source == ListSource::All
            && self.filter.is_empty()
            && self.visible.len().saturating_sub(self.selected) <= PREFETCH_ROWS
    }

    /// Shows server search results, keeping the full list aside. The rows
    /// the filter found locally stay listed under the server's answer, so a
    /// partial match typed in the prompt can still be opened.
    pub fn show_server_results(&mut self, query: String, found: Vec<IdentityRow>) {
        let local: Vec<IdentityRow> = self
            .visible
            .iter()
            .filter_map(|&i| self.rows.get(i))
            .filter(|row| !self.filter.is_empty() && !found.iter().any(|f| f.id == row.id))
            .cloned()
            .collect();
        if self.stash.is_none() {
            self.stash = Some(Stash {
                rows: std::mem::take(&mut self.rows),
                index: std::mem::take(&mut self.index),
                paging: std::mem::replace(&mut self.paging, Paging::Done),
            });
        }
        self.rows = found.into_iter().chain(local).collect();
        self.index = SearchIndex::default();
        for row in &self.rows {
            self.index.push(row);
        }
        self.paging = Paging::Done;
        self.source = ListSource::ServerSearch { query };
        self.filter.clear();
        self.visible = (0..self.rows.len()).collect();
        self.selected = 0;
        self.offset = 0;
    }

    /// Leaves server search results and shows the full list again.
    pub fn restore_full_list(&mut self) -> bool {
        let Some(stash) = self.stash.take() else {
            return false;
        };
        self.rows = stash.rows;
        self.index = stash.index;
        self.paging = stash.paging;
        self.source = ListSource::All;
        self.filter.clear();
        self.visible = (0..self.rows.len()).collect();
        self.selected = 0;
        self.offset = 0;
        true
    }
}

/// Loads the list again from the first page, keeping the filter typed.
pub(super) fn reload(app: &mut App) -> Vec<Effect> {
    let list = &mut app.list;
    list.generation += 1;
    let keep_filter = list.filter.clone();
    list.clear();
    list.set_filter(&keep_filter);
    list.paging = Paging::Loading;
    list.held.clear();
    list.cursor_in_flight = None;
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

fn next_page(app: &mut App) -> Vec<Effect> {
    let cursor = match app.list.full_list_paging() {
        Paging::More(cursor) => cursor.clone(),
        _ => return Vec::new(),
    };
    app.list.set_paging(Paging::Loading);
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

fn rows_from(app: &App, items: &[Value]) -> Vec<IdentityRow> {
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
    app.list.append(rows, paging);
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

/// Replaces the list row of an identity the server just returned, so the
/// list never shows a state older than the detail.
pub(super) fn refresh_row(app: &mut App, identity: &Value) {
    let Some(id) = identity.get("id").and_then(Value::as_str) else {
        return;
    };
    let fresh = rows_from(app, std::slice::from_ref(identity));
    if let (Some(row), Some(slot)) = (fresh.into_iter().next(), app.list.rows.iter_mut().find(|r| r.id == id)) {
        *slot = row;
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

pub(super) fn on_search(
    app: &mut App,
    generation: u64,
    query: String,
    result: Result<Vec<Value>, String>,
) -> Vec<Effect> {
    if generation != app.list.generation {
        return Vec::new();
    }
    app.finish(Task::Search);
    match result {
        Ok(items) => {
            schemas::want_for(app, &items);
            let count = items.len();
            let rows = rows_from(app, &items);
            let shown = for_display(&query).into_owned();
            app.list.show_server_results(query, rows);
            let local = app.list.rows.len().saturating_sub(count);
            let also = if local > 0 {
                format!(", {local} loaded contain it")
            } else {
                String::new()
            };
            app.chrome.status = Status::Info(match count {
                0 => format!("No identity on the server matches “{shown}”{also} — Esc shows the full list"),
                1 => format!("1 identity on the server matches “{shown}”{also} — Esc shows the full list"),
                n => format!("{n} identities on the server match “{shown}”{also} — Esc shows the full list"),
            });
        }
        Err(error) => app.chrome.status = Status::Error(format!("Search failed: {}", for_display(&error))),
    }
    schemas::request(app)
}

/// Esc on the list: cancels a search, leaves server results or a filter,
/// stops a page load; with none of them, says what it is for.
fn on_escape(app: &mut App) -> Vec<Effect> {
    if app.chrome.running(Task::Search) > 0 {
        app.chrome.status = Status::Info("Search cancelled".into());
        return vec![app.cancel(Task::Search)];
    }
    if app.list.restore_full_list() || !app.list.filter.is_empty() {
        app.list.set_filter("");
        app.chrome.status = Status::None;
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
            list.search_input = Some(list.filter.clone());
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
            app.chrome.status = Status::Info("Reloading…".into());
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
            let query = input.trim().to_owned();
            app.list.search_input = None;
            if query.is_empty() {
                return Vec::new();
            }
            app.begin(Task::Search);
            app.chrome.status = Status::Info(format!("Asking the server for “{}”…", for_display(&query)));
            return vec![Effect::Search {
                generation: app.list.generation,
                query,
            }];
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
