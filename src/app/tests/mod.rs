//! Behaviour of the console without a terminal: feed messages, look at state
//! and effects.

mod attribute_reason;
mod create;
mod credential_removal;
mod delete;
mod forms_papercuts;
mod keys;
mod late_answers;
mod list_state;
mod offer_keys;
mod recovery;
mod search;
mod session_drafts;
mod sessions;
mod text_view;
mod trait_form;
mod writes;

use super::list::Paging;
use super::*;
use chrono::TimeZone;
use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

fn identity(i: usize) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{i:012}"),
        "schema_id": "phone",
        "state": if i.is_multiple_of(3) { "inactive" } else { "active" },
        "traits": {"email": format!("user{i}@example.com"), "phone": format!("+49151{i:07}")},
        "updated_at": "2026-11-20T10:00:00Z"
    })
}

fn page(range: std::ops::Range<usize>, next: Option<&str>) -> LoadedPage {
    LoadedPage {
        items: range.map(identity).collect(),
        next: next.map(|t| vec![("page_token".to_owned(), t.to_owned())]),
    }
}

fn started_app() -> (App, Vec<Effect>) {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let mut app = App::new(
        ProfileInfo {
            name: "test".into(),
            ..Default::default()
        },
        80,
        24,
        now,
    );
    let effects = app.start();
    (app, effects)
}

/// A started app on a profile with an attribute registry, its `schemas`
/// arrived, `identity` the only row, opened in the detail (the setting the
/// forms and late-answer tests start from).
fn opened_in_detail(schemas: Vec<(String, Value)>, identity: Value) -> App {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let profile = ProfileInfo {
        name: "support".into(),
        identities_url: "http://127.0.0.1/admin/identities".into(),
        attribute_registry_url: "http://127.0.0.1/registry".into(),
        attribute_registry: true,
        issuance_token_pointer: "/metadata_admin/yoti/issuance_token".into(),
        ..Default::default()
    };
    let mut app = App::new(profile, 80, 24, now);
    app.start();
    update(&mut app, Msg::SchemasLoaded(Ok(schemas)));
    let id = identity
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(LoadedPage {
                items: vec![identity.clone()],
                next: None,
            }),
        },
    );
    update(&mut app, key(KeyCode::Enter));
    update(
        &mut app,
        Msg::IdentityLoaded {
            id,
            result: Ok(identity),
        },
    );
    assert_eq!(app.screen, Screen::Detail);
    app
}

/// A started app whose schemas arrived and whose first (and last) page holds
/// the identities `range`.
fn app_with_rows(range: std::ops::Range<usize>) -> App {
    let (mut app, _) = started_app();
    update(&mut app, Msg::SchemasLoaded(Ok(Vec::new())));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(page(range, None)),
        },
    );
    app
}

#[test]
fn start_asks_for_schemas_and_the_first_page() {
    let (_, effects) = started_app();
    assert!(effects.contains(&Effect::LoadSchemas));
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::LoadPage {
            cursor: None,
            page_size: PAGE_SIZE,
            ..
        }
    )));
}

#[test]
fn pages_wait_for_schemas_then_use_the_schema_identifier() {
    let (mut app, _) = started_app();
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(page(0..3, None)),
        },
    );
    assert!(
        app.list.rows.is_empty(),
        "rows wait until the identifier trait is known"
    );
    let schema = json!({"properties": {"traits": {"properties": {
        "phone": {"ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}}}}}});
    update(&mut app, Msg::SchemasLoaded(Ok(vec![("phone".into(), schema)])));
    assert_eq!(app.list.rows.len(), 3);
    assert_eq!(app.list.rows[1].identifier, "+491510000001");
}

#[test]
fn moving_near_the_end_loads_the_next_page_once() {
    let (mut app, _) = started_app();
    update(&mut app, Msg::SchemasLoaded(Ok(Vec::new())));
    let effects = update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(page(0..250, Some("p2"))),
        },
    );
    assert!(effects.is_empty(), "cursor is far from the end");
    let effects = update(&mut app, ch('G'));
    let cursor = vec![("page_token".to_owned(), "p2".to_owned())];
    assert_eq!(
        effects,
        vec![Effect::LoadPage {
            generation: 1,
            cursor: Some(cursor),
            page_size: PAGE_SIZE
        }]
    );
    assert!(
        update(&mut app, ch('k')).is_empty(),
        "no second request while one is in flight"
    );
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(page(250..300, None)),
        },
    );
    assert_eq!(app.list.rows.len(), 300);
    assert_eq!(app.list.paging, Paging::Done);
}

#[test]
fn failed_page_keeps_rows_and_r_retries_the_same_page() {
    let (mut app, _) = started_app();
    update(&mut app, Msg::SchemasLoaded(Ok(Vec::new())));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(page(0..10, Some("p2"))),
        },
    );
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Err("HTTP 500 Internal Server Error".into()),
        },
    );
    assert_eq!(app.list.rows.len(), 10);
    assert!(matches!(&app.chrome.status, Status::Error(text) if text.contains("500")));
    let effects = update(&mut app, ch('r'));
    let cursor = vec![("page_token".to_owned(), "p2".to_owned())];
    assert!(effects.contains(&Effect::LoadPage {
        generation: 1,
        cursor: Some(cursor),
        page_size: PAGE_SIZE
    }));
}

#[test]
fn answers_to_an_old_list_are_ignored_after_reload() {
    let (mut app, _) = started_app();
    update(&mut app, Msg::SchemasLoaded(Ok(Vec::new())));
    update(&mut app, ch('r'));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(page(0..5, None)),
        },
    );
    assert!(app.list.rows.is_empty());
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 2,
            result: Ok(page(0..7, None)),
        },
    );
    assert_eq!(app.list.rows.len(), 7);
}

#[test]
fn search_filters_as_you_type_and_enter_asks_the_server() {
    let mut app = app_with_rows(0..50);
    update(&mut app, ch('/'));
    for c in "user4".chars() {
        update(&mut app, ch(c));
    }
    assert_eq!(app.list.visible.len(), 11, "user4 and user40..user49");
    let effects = update(&mut app, key(KeyCode::Enter));
    assert_eq!(
        effects[0],
        Effect::Search {
            generation: 1,
            query: "user4".into()
        }
    );
    update(
        &mut app,
        Msg::SearchLoaded {
            generation: 1,
            query: "user4".into(),
            result: Ok(vec![identity(4)]),
        },
    );
    // The prefix search (see tests/search.rs) finds nothing more here.
    update(
        &mut app,
        Msg::SimilarLoaded {
            generation: 1,
            search: 1,
            result: Ok(page(0..0, None)),
        },
    );
    assert_eq!(
        app.list.rows.len(),
        11,
        "the server's answer first, then the loaded rows that matched"
    );
    assert_eq!(app.list.rows[0].identifier, "user4@example.com");
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.list.rows.len(), 50, "Esc brings the full list back");
    assert_eq!(app.list.visible.len(), 50);
}

#[test]
fn paste_goes_into_search_but_never_acts_as_keys() {
    let mut app = app_with_rows(0..5);
    let effects = update(&mut app, Msg::Paste("q\r".into()));
    assert!(
        effects.is_empty() && !app.chrome.quit,
        "a paste outside a text field does nothing"
    );
    update(&mut app, ch('/'));
    update(&mut app, Msg::Paste("user1\n".into()));
    assert_eq!(app.list.search_input.as_deref(), Some("user1"));
}

#[test]
fn enter_opens_detail_and_esc_goes_back() {
    let mut app = app_with_rows(0..5);
    update(&mut app, ch('j'));
    let effects = update(&mut app, key(KeyCode::Enter));
    let id = "00000000-0000-4000-8000-000000000001".to_owned();
    assert_eq!(effects, vec![Effect::LoadIdentity { id: id.clone() }]);
    assert_eq!(app.screen, Screen::Detail);
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: id.clone(),
            result: Ok(identity(1)),
        },
    );
    assert!(app.detail.state.as_ref().is_some_and(|d| d.identity.is_some()));
    update(&mut app, key(KeyCode::Tab));
    assert_eq!(app.detail.state.as_ref().map(|d| d.current), Some(1));
    assert_eq!(update(&mut app, ch('y')), vec![Effect::Copy(id)]);
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::List);
    assert_eq!(app.list.selected, 1, "the cursor is where it was");
}

#[test]
fn q_quits_from_the_list_and_ctrl_c_from_anywhere() {
    let (mut app, _) = started_app();
    assert_eq!(update(&mut app, ch('q')), vec![Effect::Quit]);
    let (mut app, _) = started_app();
    update(&mut app, ch('/'));
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(update(&mut app, ctrl_c), vec![Effect::Quit]);
}

#[test]
fn read_only_profile_explains_on_edit_keys() {
    let (mut app, _) = started_app();
    app.profile.read_only = true;
    update(&mut app, ch('e'));
    assert!(matches!(&app.chrome.status, Status::Error(text) if text.contains("read-only")));
}

#[test]
fn keys_typed_while_the_identity_loads_act_when_it_arrives() {
    let mut app = app_with_rows(0..5);
    update(&mut app, key(KeyCode::Enter));
    update(&mut app, ch('s'));
    update(&mut app, ch(' '));
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
    );
    assert_eq!(
        app.screen,
        Screen::Detail,
        "nothing happens before the identity is there"
    );
    let id = "00000000-0000-4000-8000-000000000000".to_owned();
    update(
        &mut app,
        Msg::IdentityLoaded {
            id,
            result: Ok(identity(0)),
        },
    );
    assert_eq!(app.screen, Screen::Review, "s, space and Ctrl-S ran in order");
    let effects = update(&mut app, ch('y'));
    assert!(matches!(effects.as_slice(), [Effect::Write(_)]), "{effects:?}");
}

#[test]
fn y_never_copies_an_id_holding_a_line_break_or_invisible_characters() {
    let (mut app, _) = started_app();
    update(&mut app, Msg::SchemasLoaded(Ok(Vec::new())));
    let mut hostile = identity(0);
    hostile["id"] = json!("00000000-0000-4000-8000-000000000000\nrm -rf ~");
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(LoadedPage {
                items: vec![hostile, identity(1)],
                next: None,
            }),
        },
    );
    assert_eq!(update(&mut app, ch('y')), Vec::new(), "nothing reaches the clipboard");
    assert!(matches!(&app.chrome.status, Status::Error(text) if text.contains("Not copied")));
    update(&mut app, ch('j'));
    assert_eq!(
        update(&mut app, ch('y')),
        vec![Effect::Copy("00000000-0000-4000-8000-000000000001".to_owned())]
    );
}

// ---- Schemas that cannot be listed ------------------------------------------

/// A phone schema that marks `phone` as the identifier and wants it to look
/// like a phone number.
fn phone_schema() -> Value {
    json!({"type": "object", "properties": {"traits": {"type": "object", "properties": {
        "phone": {"type": "string", "pattern": "^\\+[0-9]+$",
                  "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}}}}}})
}

fn load_schemas_count(effects: &[Effect]) -> usize {
    effects.iter().filter(|e| **e == Effect::LoadSchemas).count()
}

#[test]
fn when_the_list_fails_each_schema_in_use_is_asked_for_and_rows_wait_for_it() {
    let (mut app, _) = started_app();
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(page(0..3, Some("p2"))),
        },
    );
    let effects = update(
        &mut app,
        Msg::SchemasLoaded(Err("HTTP 404 Not Found [GET /schemas]".into())),
    );
    assert_eq!(load_schemas_count(&effects), 1, "asks again, for the schemas in use");
    assert!(matches!(app.schemas.status, SchemaStatus::Unlisted(_)));
    assert!(app.list.rows.is_empty(), "rows wait for the schema of their identifier");
    assert!(app.busy());
    // The runtime loaded it from the identities' schema_url.
    let effects = update(&mut app, Msg::SchemasLoaded(Ok(vec![("phone".into(), phone_schema())])));
    assert_eq!(load_schemas_count(&effects), 0);
    assert_eq!(app.list.rows.len(), 3);
    assert_eq!(
        app.list.rows[1].identifier, "+491510000001",
        "the schema's identifier trait"
    );
    assert_eq!(app.schema_warning(), None, "every schema in use is known");
    // A later page of the same schema asks for nothing.
    update(&mut app, ch('G'));
    let effects = update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(page(3..6, None)),
        },
    );
    assert_eq!(load_schemas_count(&effects), 0);
    assert_eq!(app.list.rows.len(), 6);
}

#[test]
fn a_schema_that_cannot_be_loaded_is_marked_and_asked_for_once() {
    let (mut app, _) = started_app();
    update(&mut app, Msg::SchemasLoaded(Err("HTTP 404 Not Found".into())));
    let effects = update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(page(0..3, Some("p2"))),
        },
    );
    assert_eq!(load_schemas_count(&effects), 1);
    assert_eq!(app.schema_warning(), None, "not before the answer");
    update(&mut app, Msg::SchemasLoaded(Ok(Vec::new())));
    assert_eq!(app.list.rows.len(), 3, "rows come anyway");
    assert_eq!(app.list.rows[1].identifier, "user1@example.com", "the usual fallback");
    assert_eq!(app.schema_warning(), Some(forms::SCHEMA_UNKNOWN_MARK));
    assert!(app.schema_missing("phone"));
    assert!(
        matches!(&app.chrome.status, Status::Info(text) if text.contains("phone") && text.contains("not validated")),
        "{:?}",
        app.chrome.status
    );
    update(&mut app, ch('G'));
    let effects = update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(page(3..6, None)),
        },
    );
    assert_eq!(load_schemas_count(&effects), 0, "each schema is asked for once");
}

#[test]
fn a_schema_the_server_does_not_list_is_marked_without_asking_again() {
    let mut app = app_with_rows(0..3);
    assert_eq!(app.schemas.status, SchemaStatus::Listed);
    assert_eq!(app.schema_warning(), Some(forms::SCHEMA_UNKNOWN_MARK));
    update(&mut app, key(KeyCode::Enter));
    let effects = update(
        &mut app,
        Msg::IdentityLoaded {
            id: "00000000-0000-4000-8000-000000000000".into(),
            result: Ok(identity(0)),
        },
    );
    assert_eq!(load_schemas_count(&effects), 0);
}

#[test]
fn the_traits_form_says_when_its_schema_is_unknown_and_checks_once_it_arrives() {
    let (mut app, _) = started_app();
    update(&mut app, Msg::SchemasLoaded(Err("HTTP 404 Not Found".into())));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(page(0..3, None)),
        },
    );
    update(&mut app, Msg::SchemasLoaded(Ok(Vec::new())));
    update(&mut app, key(KeyCode::Enter));
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: "00000000-0000-4000-8000-000000000000".into(),
            result: Ok(identity(0)),
        },
    );
    update(&mut app, ch('e'));
    assert_eq!(app.screen, Screen::Form);
    assert_eq!(app.traits_form_mark(), Some(forms::SCHEMA_UNKNOWN_MARK));
    // Without the schema only the syntax is checked: a bad phone is accepted here.
    if let Some(forms::FormBody::Traits(traits)) = app.edit.form.as_mut().map(|f| &mut f.body) {
        traits.field.editor.select_all();
        traits.field.editor.cut();
        traits.field.editor.insert_str(r#"{"phone": "not a number"}"#);
    }
    update(&mut app, key(KeyCode::End));
    let problems = |app: &App| match app.edit.form.as_ref().map(|f| &f.body) {
        Some(forms::FormBody::Traits(traits)) => traits.field.problems.len(),
        _ => usize::MAX,
    };
    assert_eq!(problems(&app), 0);
    // The schema arrives after all (say, another load brought it): checked now.
    update(&mut app, Msg::SchemasLoaded(Ok(vec![("phone".into(), phone_schema())])));
    assert_eq!(app.traits_form_mark(), None);
    assert_eq!(problems(&app), 1, "the pattern is checked now");
    assert_eq!(app.schema_warning(), None);
}

#[test]
fn the_traits_form_says_its_schema_is_on_its_way() {
    let (mut app, _) = started_app();
    update(&mut app, Msg::SchemasLoaded(Err("HTTP 404 Not Found".into())));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(page(0..3, None)),
        },
    );
    // The fallback load for the page is still running.
    assert!(app.list.rows.is_empty());
    let mut other = identity(1);
    other["schema_id"] = json!("other");
    // Open the detail of an identity of another schema straight from a search result.
    update(&mut app, ch('/'));
    update(&mut app, Msg::Paste("user1".into()));
    update(&mut app, key(KeyCode::Enter));
    update(
        &mut app,
        Msg::SearchLoaded {
            generation: 1,
            query: "user1".into(),
            result: Ok(vec![other.clone()]),
        },
    );
    update(&mut app, key(KeyCode::Enter));
    let effects = update(
        &mut app,
        Msg::IdentityLoaded {
            id: "00000000-0000-4000-8000-000000000001".into(),
            result: Ok(other),
        },
    );
    assert_eq!(load_schemas_count(&effects), 0, "one load at a time");
    update(&mut app, ch('e'));
    assert_eq!(app.traits_form_mark(), Some(forms::SCHEMA_LOADING_MARK));
    let effects = update(&mut app, Msg::SchemasLoaded(Ok(Vec::new())));
    assert_eq!(load_schemas_count(&effects), 1, "then the next schema is asked for");
    update(&mut app, Msg::SchemasLoaded(Ok(Vec::new())));
    assert_eq!(app.traits_form_mark(), Some(forms::SCHEMA_UNKNOWN_MARK));
}
