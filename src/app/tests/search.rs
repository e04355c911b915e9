//! Searching the list: the prompt's filter (free text and `state:` /
//! `schema:` terms), Enter asking the server for the id, the exact
//! identifier and the prefix, results marked by how they were found and
//! paged lazily, the badge above the rows, and reloads that keep the rows.

use super::*;
use crate::app::list::{Freshness, ListSource, RELOADING};
use crate::app::rows::Found;
use crate::app::search::Ask;

fn type_text(app: &mut App, text: &str) {
    text.chars().for_each(|c| {
        update(app, ch(c));
    });
}

/// `/text` Enter on the list: the effects it asks for.
fn ask(app: &mut App, text: &str) -> Vec<Effect> {
    update(app, ch('/'));
    type_text(app, text);
    update(app, key(KeyCode::Enter))
}

/// An identity whose password identifier is its email, as Kratos lists it
/// for a prefix search (credentials without their configs).
fn person(i: usize, email: &str) -> Value {
    let mut identity = identity(i);
    identity["traits"]["email"] = json!(email);
    identity["credentials"] = json!({"password": {"type": "password", "identifiers": [email], "version": 0}});
    identity
}

fn similar(search: u64, items: Vec<Value>, next: Option<&str>) -> Msg {
    Msg::SimilarLoaded {
        generation: 1,
        search,
        result: Ok(LoadedPage {
            items,
            next: next.map(|t| vec![("page_token".to_owned(), t.to_owned())]),
        }),
    }
}

fn exact(query: &str, items: Vec<Value>) -> Msg {
    Msg::SearchLoaded {
        generation: 1,
        query: query.into(),
        result: Ok(items),
    }
}

/// What the list shows, as (how it was found, identifier).
fn shown(app: &App) -> Vec<(Option<Found>, String)> {
    app.list
        .visible
        .iter()
        .map(|&i| (app.list.rows[i].found, app.list.rows[i].identifier.clone()))
        .collect()
}

fn badge(app: &App) -> String {
    app.list.badge().map(|b| b.text).unwrap_or_default()
}

fn stale(app: &App) -> Option<String> {
    app.list.badge().and_then(|b| b.stale)
}

/// The loaded list: 50 identities, user0..user49, all there is.
fn tenant() -> App {
    app_with_rows(0..50)
}

/// 100 identities loaded, user0..user99, and more pages on the server (the
/// cursor is far enough from the end that none is asked for yet).
fn big_tenant() -> App {
    let (mut app, _) = started_app();
    update(&mut app, Msg::SchemasLoaded(Ok(Vec::new())));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(page(0..100, Some("p2"))),
        },
    );
    assert!(!app.busy());
    app
}

#[test]
fn enter_asks_for_the_id_the_exact_identifier_and_the_prefix() {
    let mut app = tenant();
    let effects = ask(&mut app, "Sofia");
    assert_eq!(
        effects,
        vec![
            Effect::Search {
                generation: 1,
                query: "Sofia".into()
            },
            Effect::LoadSimilar {
                generation: 1,
                search: 1,
                prefix: "Sofia".into(),
                cursor: None,
                page_size: PAGE_SIZE,
            },
        ],
        "the text goes as typed: Kratos folds case for emails, not for OIDC subjects"
    );
    assert!(app.busy());
    assert!(matches!(&app.chrome.status, Status::Info(text) if text.contains("Asking the server for “Sofia”")));
}

#[test]
fn results_are_marked_by_how_they_were_found_in_that_order() {
    let mut app = tenant();
    // user1, user10..user19 are loaded and contain "user1".
    ask(&mut app, "user1");
    assert_eq!(shown(&app).len(), 11, "the loaded matches show at once");
    assert!(shown(&app).iter().all(|(found, _)| *found == Some(Found::Local)));
    // The prefix search finds two loaded ones and one never loaded.
    update(
        &mut app,
        similar(
            1,
            vec![
                person(10, "user10@example.com"),
                person(11, "user11@example.com"),
                person(900, "user1900@example.com"),
            ],
            None,
        ),
    );
    // The exact search arrives last and finds user1.
    update(&mut app, exact("user1", vec![person(1, "user1@example.com")]));
    let rows = shown(&app);
    assert_eq!(rows[0], (Some(Found::Exact), "user1@example.com".into()));
    assert_eq!(rows[1], (Some(Found::Prefix), "user10@example.com".into()));
    assert_eq!(rows[2], (Some(Found::Prefix), "user11@example.com".into()));
    assert_eq!(rows[3], (Some(Found::Prefix), "user1900@example.com".into()));
    assert!(rows[4..].iter().all(|(found, _)| *found == Some(Found::Local)));
    assert_eq!(rows.len(), 12, "each identity once: 1 exact, 3 prefix, 8 local");
    assert_eq!(
        badge(&app),
        "search “user1” · 12 of 12 (1 exact, 3 prefix, 8 local) · Esc: full list"
    );
    assert!(
        matches!(&app.chrome.status, Status::Info(text) if text.starts_with("4 identities on the server match “user1”, 8 loaded here contain it")),
        "{:?}",
        app.chrome.status
    );
    assert!(!app.busy());
    assert_eq!(app.list.loaded_count(), 50, "the header still counts the full list");
}

#[test]
fn a_typed_id_is_marked_as_found_by_id() {
    let mut app = tenant();
    let id = "00000000-0000-4000-8000-000000000777";
    ask(&mut app, id);
    update(&mut app, exact(id, vec![identity(777)]));
    update(&mut app, similar(1, Vec::new(), None));
    assert_eq!(shown(&app), vec![(Some(Found::Id), "user777@example.com".to_owned())]);
}

#[test]
fn prefix_matches_are_paged_as_the_cursor_nears_the_end() {
    let mut app = tenant();
    ask(&mut app, "sofia");
    update(&mut app, exact("sofia", Vec::new()));
    let first: Vec<Value> = (0..250)
        .map(|i| person(1000 + i, &format!("sofia.{i:03}@example.com")))
        .collect();
    let effects = update(&mut app, similar(1, first, Some("p2")));
    assert!(effects.is_empty(), "the cursor is far from the end");
    assert_eq!(
        badge(&app),
        "search “sofia” · 250 of 250+ (250+ prefix) · Esc: full list"
    );
    assert!(
        matches!(&app.chrome.status, Status::Info(text) if text.starts_with("250+ identities on the server match")),
        "{:?}",
        app.chrome.status
    );
    let effects = update(&mut app, ch('G'));
    let cursor = vec![("page_token".to_owned(), "p2".to_owned())];
    assert_eq!(
        effects,
        vec![Effect::LoadSimilar {
            generation: 1,
            search: 1,
            prefix: "sofia".into(),
            cursor: Some(cursor),
            page_size: PAGE_SIZE,
        }]
    );
    assert!(update(&mut app, ch('k')).is_empty(), "one page at a time");
    assert_eq!(
        app.list.note().as_deref(),
        Some("  asking the server for more matches…")
    );
    let second: Vec<Value> = (250..279)
        .map(|i| person(1000 + i, &format!("sofia.{i:03}@example.com")))
        .collect();
    update(&mut app, similar(1, second, None));
    assert_eq!(shown(&app).len(), 279);
    assert_eq!(badge(&app), "search “sofia” · 279 of 279 (279 prefix) · Esc: full list");
    assert_eq!(app.list.selected, 248, "the cursor stays on its identity");
    assert!(update(&mut app, ch('G')).is_empty(), "nothing more to ask for");
}

#[test]
fn a_failed_prefix_page_says_why_and_r_retries_it() {
    let mut app = tenant();
    ask(&mut app, "sofia");
    update(&mut app, exact("sofia", Vec::new()));
    let first: Vec<Value> = (0..250)
        .map(|i| person(1000 + i, &format!("sofia.{i:03}@example.com")))
        .collect();
    update(&mut app, similar(1, first, Some("p2")));
    update(&mut app, ch('G'));
    update(
        &mut app,
        Msg::SimilarLoaded {
            generation: 1,
            search: 1,
            result: Err("HTTP 502 Bad Gateway".into()),
        },
    );
    assert!(
        matches!(&app.chrome.status, Status::Error(text) if text.contains("Prefix search for “sofia” failed") && text.contains("502"))
    );
    assert_eq!(shown(&app).len(), 250, "what arrived stays");
    let effects = update(&mut app, ch('r'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::LoadSimilar { cursor: Some(cursor), .. }] if cursor[0].1 == "p2"
    ));
}

#[test]
fn a_server_that_ignores_the_prefix_parameter_is_caught() {
    // A gateway that drops preview_credentials_identifier_similar answers
    // the unfiltered list: those are no prefix matches.
    let mut app = tenant();
    ask(&mut app, "sofia");
    update(&mut app, exact("sofia", Vec::new()));
    update(
        &mut app,
        similar(
            1,
            vec![person(1, "ana@example.com"), person(2, "sofia@example.com")],
            Some("p2"),
        ),
    );
    assert_eq!(shown(&app), vec![(Some(Found::Prefix), "sofia@example.com".to_owned())]);
    assert_eq!(app.list.paging, Paging::Done, "no further pages of an unfiltered list");
    assert!(
        matches!(&app.chrome.status, Status::Error(text) if text.contains("ignored preview_credentials_identifier_similar"))
    );
    assert!(badge(&app).contains("no prefix search on this server"));
}

#[test]
fn answers_to_an_earlier_search_are_dropped() {
    let mut app = tenant();
    ask(&mut app, "ana");
    let effects = ask(&mut app, "bo");
    assert_eq!(
        effects[0],
        Effect::Cancel(Task::Search),
        "the earlier search is stopped"
    );
    update(&mut app, similar(1, vec![person(1, "ana@example.com")], None));
    update(&mut app, exact("ana", vec![person(2, "ana@example.com")]));
    assert!(shown(&app).is_empty(), "nothing of “ana” among the answers to “bo”");
    update(&mut app, similar(2, vec![person(3, "bo@example.com")], None));
    update(&mut app, exact("bo", Vec::new()));
    assert_eq!(shown(&app), vec![(Some(Found::Prefix), "bo@example.com".to_owned())]);
    assert!(!app.busy());
}

#[test]
fn esc_stops_asking_then_shows_the_full_list() {
    let mut app = tenant();
    ask(&mut app, "user1");
    let effects = update(&mut app, key(KeyCode::Esc));
    assert_eq!(effects, vec![Effect::Cancel(Task::Search)]);
    assert!(!app.busy());
    assert!(matches!(app.list.server_search(), Some(search) if matches!(search.exact, Ask::Failed(_))));
    assert_eq!(shown(&app).len(), 11, "the loaded matches stay");
    update(&mut app, similar(1, vec![person(900, "user1900@example.com")], None));
    assert_eq!(shown(&app).len(), 11, "an answer after Esc is dropped");
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.list.source, ListSource::All);
    assert_eq!(shown(&app).len(), 50);
    assert_eq!(app.list.badge(), None);
}

#[test]
fn local_matches_stay_openable_while_the_server_finds_nothing() {
    let mut app = tenant();
    ask(&mut app, "user4");
    update(&mut app, exact("user4", Vec::new()));
    update(&mut app, similar(1, Vec::new(), None));
    assert_eq!(shown(&app).len(), 11);
    assert!(
        matches!(&app.chrome.status, Status::Info(text) if text.contains("No identity on the server matches “user4”, 11 loaded here contain it")),
        "{:?}",
        app.chrome.status
    );
    update(&mut app, ch('j'));
    let effects = update(&mut app, key(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::LoadIdentity {
            id: "00000000-0000-4000-8000-000000000040".into()
        }]
    );
}

#[test]
fn state_terms_filter_exactly_and_combine_with_text() {
    let mut app = big_tenant();
    update(&mut app, ch('/'));
    type_text(&mut app, "active");
    assert_eq!(shown(&app).len(), 100, "free text: “inactive” contains “active”");
    update(&mut app, key(KeyCode::Esc));
    // user0, user3, ... are inactive (every third).
    let effects = ask(&mut app, "state:inactive");
    assert!(effects.is_empty(), "Kratos cannot filter by state: nothing is asked");
    assert_eq!(shown(&app).len(), 34);
    assert!(
        app.list
            .visible
            .iter()
            .all(|&i| app.list.rows[i].state_label == "inactive")
    );
    assert_eq!(
        badge(&app),
        "filter “state:inactive” · 34 of 100+ loaded · Esc clears",
        "more pages exist: “+”"
    );
    assert!(update(&mut app, ch('G')).is_empty(), "a filter pulls in no pages");
    update(&mut app, key(KeyCode::Esc));
    update(&mut app, ch('/'));
    type_text(&mut app, "user1 state:active");
    let found: Vec<String> = shown(&app).into_iter().map(|(_, id)| id).collect();
    assert_eq!(found.len(), 8, "user1, user10..user19 but the inactive 12, 15, 18");
    assert!(!found.contains(&"user12@example.com".to_owned()));
}

#[test]
fn terms_stay_applied_to_what_the_server_finds() {
    let mut app = tenant();
    let effects = ask(&mut app, "state:inactive sofia");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadSimilar { prefix, .. } if prefix == "sofia")),
        "only the text is asked for: {effects:?}"
    );
    let mut inactive = person(3, "sofia.a@example.com");
    inactive["state"] = json!("inactive");
    let active = person(4, "sofia.b@example.com");
    update(&mut app, similar(1, vec![inactive, active], None));
    update(&mut app, exact("sofia", Vec::new()));
    assert_eq!(
        shown(&app),
        vec![(Some(Found::Prefix), "sofia.a@example.com".to_owned())]
    );
    assert_eq!(
        badge(&app),
        "search “sofia” · filter state:inactive · 1 of 2 (2 prefix) · Esc: full list"
    );
    // `/` again shows what is still applied.
    update(&mut app, ch('/'));
    assert_eq!(app.list.search_input.as_deref(), Some("state:inactive"));
}

#[test]
fn the_filter_and_its_badge_survive_a_visit_to_the_detail() {
    let mut app = tenant();
    ask(&mut app, "state:inactive");
    update(&mut app, ch('j'));
    let before = badge(&app);
    let selected = app.list.selected_row().map(|r| r.id.clone());
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Detail);
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::List);
    assert_eq!(badge(&app), before);
    assert_eq!(app.list.selected_row().map(|r| r.id.clone()), selected);
    assert_eq!(app.list_body_height(), 24 - 5, "the badge takes a line of the body");
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.list.badge(), None, "Esc clears it");
    assert_eq!(app.list_body_height(), 24 - 4);
}

#[test]
fn server_results_survive_a_visit_to_the_detail() {
    let mut app = tenant();
    ask(&mut app, "sofia");
    update(&mut app, exact("sofia", Vec::new()));
    update(&mut app, similar(1, vec![person(7, "sofia@example.com")], None));
    let before = badge(&app);
    update(&mut app, key(KeyCode::Enter));
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(badge(&app), before);
    assert_eq!(shown(&app), vec![(Some(Found::Prefix), "sofia@example.com".to_owned())]);
}

#[test]
fn a_reload_keeps_the_rows_until_its_first_page_and_clears_reloading() {
    let mut app = tenant();
    update(&mut app, ch('j'));
    let effects = update(&mut app, ch('r'));
    assert!(effects.contains(&Effect::LoadPage {
        generation: 2,
        cursor: None,
        page_size: PAGE_SIZE
    }));
    assert_eq!(app.chrome.status, Status::Info(RELOADING.into()));
    assert_eq!(app.list.rows.len(), 50, "the rows stay while the reload runs");
    assert_eq!(app.list.freshness, Freshness::Reloading);
    assert_eq!(stale(&app).as_deref(), Some("reloading…"));
    update(&mut app, ch('G'));
    assert!(
        !app.list.wants_next_page(),
        "no page of the old list is asked for during a reload"
    );
    update(&mut app, ch('g'));
    update(&mut app, ch('j'));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 2,
            result: Ok(page(0..30, None)),
        },
    );
    assert_eq!(app.list.rows.len(), 30, "the fresh page replaces the old rows");
    assert_eq!(app.list.paging, Paging::Done);
    assert_eq!(app.chrome.status, Status::None, "“Reloading…” is gone");
    assert_eq!(app.list.badge(), None);
    assert_eq!(app.list.selected, 1, "the cursor stays on its identity");
}

#[test]
fn a_failed_reload_keeps_the_rows_marked_stale_and_says_why() {
    let mut app = tenant();
    update(&mut app, ch('r'));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 2,
            result: Err("HTTP 503 Service Unavailable\nupstream down".into()),
        },
    );
    assert_eq!(app.list.rows.len(), 50, "not “0+ loaded”");
    assert_eq!(app.list.loaded_count(), 50);
    assert!(
        matches!(&app.chrome.status, Status::Error(text) if text.starts_with("Reload failed (r retries)") && text.contains("503")),
        "{:?}",
        app.chrome.status
    );
    assert_eq!(
        stale(&app).as_deref(),
        Some("stale: reload failed: HTTP 503 Service Unavailable upstream down"),
        "one line"
    );
    assert!(!app.busy());
    // r tries again; success clears the mark.
    let effects = update(&mut app, ch('r'));
    assert!(effects.contains(&Effect::LoadPage {
        generation: 3,
        cursor: None,
        page_size: PAGE_SIZE
    }));
    assert_eq!(stale(&app).as_deref(), Some("reloading…"));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 3,
            result: Ok(page(0..50, Some("p2"))),
        },
    );
    assert_eq!(app.list.badge(), None);
    assert_eq!(app.list.freshness, Freshness::Fresh);
}

#[test]
fn a_reload_keeps_the_filter() {
    let mut app = tenant();
    ask(&mut app, "state:inactive");
    update(&mut app, ch('r'));
    assert_eq!(badge(&app), "filter “state:inactive” · 17 of 50 loaded · Esc clears");
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 2,
            result: Ok(page(0..9, None)),
        },
    );
    assert_eq!(badge(&app), "filter “state:inactive” · 3 of 9 loaded · Esc clears");
}

#[test]
fn esc_stops_a_reload_and_keeps_the_rows() {
    let mut app = tenant();
    update(&mut app, ch('r'));
    let effects = update(&mut app, key(KeyCode::Esc));
    assert_eq!(effects, vec![Effect::Cancel(Task::Page)]);
    assert_eq!(app.list.rows.len(), 50);
    assert_eq!(stale(&app).as_deref(), Some("stale: reload cancelled"));
}

#[test]
fn r_on_search_results_asks_the_server_again() {
    let mut app = tenant();
    ask(&mut app, "sofia state:active");
    update(&mut app, exact("sofia", Vec::new()));
    update(&mut app, similar(1, vec![person(7, "sofia@example.com")], None));
    let effects = update(&mut app, ch('r'));
    assert!(effects.contains(&Effect::LoadSimilar {
        generation: 1,
        search: 2,
        prefix: "sofia".into(),
        cursor: None,
        page_size: PAGE_SIZE,
    }));
    assert_eq!(app.list.filter.terms_text(), "state:active", "the terms stay");
}
