//! Asking the server from the search prompt (`/`, Enter): the identity with
//! that id, the exact credential identifier, and the identifiers that start
//! with the text, listed in one list with the loaded rows that contain it.
//! Each row says how it was found ([`Found`]); prefix matches are paged
//! lazily like the full list. The line above the rows (the badge) says
//! what is shown and how much of it.
//!
//! Kratos's prefix search is `preview_credentials_identifier_similar`
//! (`identity/handler.go` `parseListIdentitiesParameters`): it cannot be
//! combined with `credentials_identifier` or `ids` (400, "You cannot
//! combine multiple filters in this API"), so it is a request of its own.
//! `persistence/sql/identity/persister_identity.go` `ListIdentities` turns
//! it into `identifier LIKE <escaped text>%`: a prefix, `%` and `_` taken
//! literally; for password, code and passkey identifiers (stored
//! lower-cased) the text is lower-cased and trimmed
//! (`NormalizeIdentifier`), for OIDC and SAML (`provider:subject`) it is
//! matched as typed. It pages by id with the same keyset `Link` as the
//! plain list, repeating the parameter; the answer holds each identity
//! once (`SELECT DISTINCT`) with its credentials (without their configs).

use serde_json::Value;

use super::list::{ListSource, ListState, PageCursor, Paging, rows_from};
use super::rows::{Filter, Found, IdentityRow};
use super::{App, Effect, PAGE_SIZE, Status, Task, schemas};
use crate::sanitize::for_display;

/// Where a part of a server search stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    Asking,
    Answered,
    /// Failed or cancelled (why).
    Failed(String),
}

/// One server search: the text asked for and where its answers stand.
/// The prefix matches' paging is the list's own `paging` while the
/// results are shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSearch {
    /// The free text asked for, as typed.
    pub query: String,
    /// Which search this is: answers to an earlier one are dropped.
    pub id: u64,
    /// The lookup by id and by exact identifier.
    pub exact: Ask,
    /// The cursor of the prefix page in flight (`None` for the first).
    pub(super) cursor_in_flight: Option<PageCursor>,
    /// Why prefix matches are not listed although the server answered.
    pub prefix_problem: Option<String>,
}

/// The line above the rows when they are filtered, a search's results, or
/// not fresh: `text` says what is shown and "N of M" (M with `+` while more
/// pages exist), `stale` whether the rows are the server's latest.
#[derive(Debug, Clone, PartialEq)]
pub struct Badge {
    pub text: String,
    pub stale: Option<String>,
}

impl ListState {
    /// The badge, when there is something to say (see [`Badge`]).
    pub fn badge(&self) -> Option<Badge> {
        if !self.shows_badge() {
            return None;
        }
        let more = if matches!(self.paging, Paging::Done) { "" } else { "+" };
        let shown = self.visible.len();
        let total = self.rows.len();
        let terms = self.filter.terms_text();
        let text = match &self.source {
            ListSource::ServerSearch(search) => {
                let mut text = format!("search “{}”", for_display(&search.query));
                if !terms.is_empty() {
                    text.push_str(&format!(" · filter {}", for_display(&terms)));
                }
                text.push_str(&format!(" · {shown} of {total}{more}"));
                let counts = kind_counts(&self.rows, more);
                if !counts.is_empty() {
                    text.push_str(&format!(" ({counts})"));
                }
                if search.prefix_problem.is_some() {
                    text.push_str(" · no prefix search on this server");
                }
                text.push_str(" · Esc: full list");
                text
            }
            ListSource::All if !self.filter.is_empty() => {
                // While typing, what Enter will do; afterwards, how to leave.
                let next = if self.search_input.is_some() && !self.filter.query().is_empty() {
                    "Enter asks the server"
                } else {
                    "Esc clears"
                };
                format!(
                    "filter “{}” · {shown} of {total}{more} loaded · {next}",
                    for_display(&self.filter.text())
                )
            }
            ListSource::All => String::new(),
        };
        let stale = match &self.freshness {
            super::list::Freshness::Fresh => None,
            super::list::Freshness::Reloading => Some("reloading…".to_owned()),
            super::list::Freshness::Stale(why) => Some(format!("stale: {}", crate::text::one_line(why))),
        };
        Some(Badge { text, stale })
    }
}

/// "1 exact, 250+ prefix, 2 local": the rows by how they were found; the
/// prefix count takes `more` (`+`) while more prefix pages exist.
fn kind_counts(rows: &[IdentityRow], more: &str) -> String {
    let count = |kind: Found| rows.iter().filter(|r| r.found == Some(kind)).count();
    [Found::Id, Found::Exact, Found::Prefix, Found::Local]
        .into_iter()
        .filter_map(|kind| {
            let n = count(kind);
            let plus = if kind == Found::Prefix { more } else { "" };
            (n > 0).then(|| format!("{n}{plus} {}", kind.label()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Enter in the search prompt. Free text goes to the server (id, exact
/// identifier, prefix) and the results are shown, the `state:`/`schema:`
/// terms staying applied to them; terms alone only filter the loaded rows
/// (Kratos cannot filter by state or schema).
pub(super) fn ask(app: &mut App, text: &str) -> Vec<Effect> {
    let filter = Filter::parse(text);
    let query = filter.query().to_owned();
    if query.is_empty() {
        let terms = !filter.is_empty();
        app.list.apply_filter(filter);
        if terms {
            app.chrome.status =
                Status::Info("Only the rows shown are filtered: the server cannot filter by state or schema".into());
        }
        return Vec::new();
    }
    let mut effects = Vec::new();
    if app.chrome.running(Task::Search) > 0 {
        effects.push(app.cancel(Task::Search));
    }
    app.list.searches += 1;
    let search = ServerSearch {
        query: query.clone(),
        id: app.list.searches,
        exact: Ask::Asking,
        cursor_in_flight: None,
        prefix_problem: None,
    };
    let locals: Vec<IdentityRow> = app
        .list
        .full_list_matches(&filter)
        .into_iter()
        .map(|row| IdentityRow {
            found: Some(Found::Local),
            ..row
        })
        .collect();
    let id = search.id;
    app.list.show_search(search, locals, filter.terms_only());
    app.begin(Task::Search);
    app.begin(Task::Search);
    app.chrome.status = Status::Info(format!(
        "Asking the server for “{}”: id, exact identifier, identifiers starting with it…",
        for_display(&query)
    ));
    let generation = app.list.generation;
    effects.push(Effect::Search {
        generation,
        query: query.clone(),
    });
    effects.push(Effect::LoadSimilar {
        generation,
        search: id,
        prefix: query,
        cursor: None,
        page_size: PAGE_SIZE,
    });
    effects
}

/// `r` on search results: ask the server again for the same text.
pub(super) fn again(app: &mut App) -> Vec<Effect> {
    let Some(search) = app.list.server_search() else {
        return Vec::new();
    };
    let text = format!("{} {}", search.query, app.list.filter.terms_text());
    ask(app, &text)
}

/// The next page of prefix matches, from `cursor`.
pub(super) fn next_page(app: &mut App, cursor: PageCursor) -> Vec<Effect> {
    let ListSource::ServerSearch(search) = &mut app.list.source else {
        return Vec::new();
    };
    search.cursor_in_flight = Some(cursor.clone());
    let (id, prefix) = (search.id, search.query.clone());
    app.list.paging = Paging::Loading;
    app.begin(Task::Search);
    vec![Effect::LoadSimilar {
        generation: app.list.generation,
        search: id,
        prefix,
        cursor: Some(cursor),
        page_size: PAGE_SIZE,
    }]
}

/// Esc while the server is being asked: stop asking, keep what arrived.
pub(super) fn cancel(app: &mut App) -> Vec<Effect> {
    let effect = app.cancel(Task::Search);
    if let ListSource::ServerSearch(search) = &mut app.list.source {
        if search.exact == Ask::Asking {
            search.exact = Ask::Failed("cancelled".into());
        }
        if app.list.paging == Paging::Loading {
            app.list.paging = Paging::Failed {
                cursor: search.cursor_in_flight.take(),
                error: "cancelled".into(),
            };
        }
    }
    app.chrome.status = Status::Info("Search cancelled — r asks again, Esc shows the full list".into());
    vec![effect]
}

/// Puts `found` among the results: a row already listed keeps the better
/// (earlier) kind and the server's newer data; the results stay in kind
/// order (id, exact, prefix, local) and the cursor on its identity.
fn merge(list: &mut ListState, found: Vec<IdentityRow>) {
    let mut rows = list.rows.clone();
    let mut at: std::collections::HashMap<String, usize> =
        rows.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
    for row in found {
        match at.get(&row.id) {
            Some(&i) => {
                if row.found < rows[i].found {
                    rows[i] = row;
                }
            }
            None => {
                at.insert(row.id.clone(), rows.len());
                rows.push(row);
            }
        }
    }
    rows.sort_by_key(|r| r.found);
    list.set_rows(rows);
}

/// The answer to the lookup by id and exact identifier.
pub(super) fn on_search(
    app: &mut App,
    generation: u64,
    query: String,
    result: Result<Vec<Value>, String>,
) -> Vec<Effect> {
    if generation != app.list.generation {
        return Vec::new();
    }
    match app.list.server_search() {
        Some(search) if search.query == query && search.exact == Ask::Asking => {}
        _ => return Vec::new(), // an earlier search, or one cancelled
    }
    app.finish(Task::Search);
    match result {
        Ok(items) => {
            schemas::want_for(app, &items);
            let wanted = query.trim();
            let rows = rows_from(app, &items)
                .into_iter()
                .map(|row| {
                    let kind = if row.id.eq_ignore_ascii_case(wanted) {
                        Found::Id
                    } else {
                        Found::Exact
                    };
                    IdentityRow {
                        found: Some(kind),
                        ..row
                    }
                })
                .collect();
            set_exact(app, Ask::Answered);
            merge(&mut app.list, rows);
        }
        Err(error) => {
            app.chrome.status = Status::Error(format!(
                "Looking “{}” up by id and exact identifier failed: {}",
                for_display(&query),
                for_display(&error)
            ));
            set_exact(app, Ask::Failed(error));
        }
    }
    report(app);
    schemas::request(app)
}

fn set_exact(app: &mut App, ask: Ask) {
    if let ListSource::ServerSearch(search) = &mut app.list.source {
        search.exact = ask;
    }
}

/// Whether `identity` has a credential identifier starting with `prefix`
/// (case aside, which covers both of Kratos's rules), or shows none to
/// check (then it is taken on trust).
fn starts_with_prefix(identity: &Value, prefix: &str) -> bool {
    let Some(credentials) = identity.get("credentials").and_then(Value::as_object) else {
        return true;
    };
    let mut identifiers = credentials
        .values()
        .filter_map(|c| c.get("identifiers").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .peekable();
    if identifiers.peek().is_none() {
        return true;
    }
    identifiers.any(|identifier| identifier.to_lowercase().starts_with(prefix))
}

/// A page of prefix matches. A server that does not know
/// `preview_credentials_identifier_similar` (a gateway that drops it, a
/// Kratos before it) answers the unfiltered list instead: identities whose
/// identifiers do not start with the text are then left out and prefix
/// paging stops, saying why.
pub(super) fn on_similar(
    app: &mut App,
    generation: u64,
    search: u64,
    result: Result<super::LoadedPage, String>,
) -> Vec<Effect> {
    if generation != app.list.generation || app.list.paging != Paging::Loading {
        return Vec::new();
    }
    let query = match app.list.server_search() {
        Some(current) if current.id == search => current.query.clone(),
        _ => return Vec::new(), // an earlier search, or one cancelled
    };
    app.finish(Task::Search);
    let cursor = match &mut app.list.source {
        ListSource::ServerSearch(current) => current.cursor_in_flight.take(),
        ListSource::All => None,
    };
    match result {
        Ok(page) => {
            schemas::want_for(app, &page.items);
            let prefix = query.trim().to_lowercase();
            let (matching, ignored): (Vec<Value>, Vec<Value>) = page
                .items
                .into_iter()
                .partition(|item| starts_with_prefix(item, &prefix));
            let rows: Vec<IdentityRow> = rows_from(app, &matching)
                .into_iter()
                .map(|row| IdentityRow {
                    found: Some(Found::Prefix),
                    ..row
                })
                .collect();
            if ignored.is_empty() {
                app.list.paging = page.next.map_or(Paging::Done, Paging::More);
            } else {
                app.list.paging = Paging::Done;
                let problem = "the server ignored preview_credentials_identifier_similar (it answered \
                               identities whose identifiers do not start with the text), so only the id \
                               and the exact identifier were asked"
                    .to_owned();
                app.chrome.status = Status::Error(format!("No prefix search: {problem}"));
                if let ListSource::ServerSearch(current) = &mut app.list.source {
                    current.prefix_problem = Some(problem);
                }
            }
            merge(&mut app.list, rows);
        }
        Err(error) => {
            app.chrome.status = Status::Error(format!(
                "Prefix search for “{}” failed (r retries): {}",
                for_display(&query),
                for_display(&error)
            ));
            app.list.paging = Paging::Failed { cursor, error };
        }
    }
    report(app);
    schemas::request(app)
}

/// Once neither part is waiting, the status line says what was found
/// (unless it already tells of a failure).
fn report(app: &mut App) {
    let Some(search) = app.list.server_search() else {
        return;
    };
    if search.exact == Ask::Asking
        || app.list.paging == Paging::Loading
        || matches!(app.chrome.status, Status::Error(_))
    {
        return;
    }
    let shown = for_display(&search.query).into_owned();
    let rows = &app.list.rows;
    let local = rows.iter().filter(|r| r.found == Some(Found::Local)).count();
    let server = rows.len() - local;
    let more = if matches!(app.list.paging, Paging::More(_)) {
        "+"
    } else {
        ""
    };
    let also = match local {
        0 => String::new(),
        1 => ", 1 loaded here contains it".to_owned(),
        n => format!(", {n} loaded here contain it"),
    };
    app.chrome.status = Status::Info(match (server, more) {
        (0, "") => format!("No identity on the server matches “{shown}”{also}"),
        (1, "") => format!("1 identity on the server matches “{shown}”{also}"),
        (n, more) => format!("{n}{more} identities on the server match “{shown}”{also}"),
    });
}
