//! Render snapshots of every console screen at 80x24 and 200x50 (ratatui's
//! TestBackend, reviewed with insta). A change to any screen shows up here as a
//! diff to review.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use idcon::api::Exchange;
use idcon::app::forms::FormBody;
use idcon::app::review::{ResponseView, WriteOutcome, response_view};
use idcon::app::{App, Effect, LoadedPage, MIN_HEIGHT, MIN_WIDTH, Msg, ProfileInfo, Screen, update};
use idcon::diff::diff;
use idcon::drafts::Draft;
use idcon::ui::{theme::Theme, view};
use idcon::write::Snapshot;
use ratatui::{Terminal, backend::TestBackend};
use serde_json::{Value, json};
use std::time::Duration;

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

/// The id of the first list row, which `open_detail` opens.
const FIRST_ID: &str = "10000000-5b1e-4c2d-9a8f-000000000000";

/// Strings that must never reach any screen: the issuance token (whole, or
/// more than its last four characters), the password typed in
/// `password_never_shows` and the parameters of argon2 and bcrypt hashes (the
/// bare prefixes may be named in help text).
fn assert_no_secrets(screen: &str) {
    let token_head = &ISSUANCE_TOKEN[..ISSUANCE_TOKEN.len() - 4];
    for secret in [
        token_head,
        "S3cret",
        "$argon2id$v=",
        "$argon2i$v=",
        "$2a$1",
        "$2b$1",
        "$2y$1",
    ] {
        assert!(!screen.contains(secret), "{secret} on screen:\n{screen}");
    }
}

fn identity(i: usize) -> Value {
    let first = ["Ana", "Björn", "Chloé", "Dmitri", "Eun-ji", "Farah", "Giulia", "Hiro"][i % 8];
    let last = [
        "Silva",
        "Lindqvist",
        "Dubois",
        "Ivanov",
        "Kim",
        "Haddad",
        "Rossi",
        "Tanaka",
    ][(i / 8) % 8];
    json!({
        "id": format!("{:08x}-5b1e-4c2d-9a8f-{:012x}", 0x1000_0000 + i * 7919, i),
        "schema_id": if i % 4 == 3 { "phone" } else { "email" },
        "state": if i % 5 == 4 { "inactive" } else { "active" },
        "traits": {
            "email": format!("{}.{}{i}@example.com", first.to_lowercase(), last.to_lowercase()),
            "phone": format!("+49151{i:07}"),
            "name": {"first": first, "last": last}
        },
        "metadata_public": {"plan": "pro"},
        "metadata_admin": {"ticket": format!("SUP-{i}"), "yoti": {"sdk_id": "demo-app"}},
        "credentials": {
            "password": {"type": "password", "identifiers": [format!("{}@example.com", first.to_lowercase())], "version": 0,
                          "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-02-01T00:00:00Z"},
            "oidc": {"type": "oidc", "identifiers": ["google:1098765", "github:4242"], "version": 0,
                      "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
        },
        "verifiable_addresses": [{"value": "ana@example.com", "via": "email", "status": "completed", "verified": true,
                                   "verified_at": "2026-01-03T00:00:00Z"},
                                  {"value": "+491510000001", "via": "sms", "status": "pending", "verified": false}],
        "recovery_addresses": [{"value": "ana@example.com", "via": "email"}],
        "state_changed_at": "2026-03-01T08:00:00Z",
        "created_at": "2025-12-24T09:30:00Z",
        "updated_at": format!("2026-11-{:02}T10:00:00Z", 1 + i % 23),
        "organization_id": null,
        "external_id": format!("crm-{i}")
    })
}

/// The issuance token of `identity_with_token`; no screen may show it whole
/// (detail, metadata form and review show `metadata_admin` as it is, so only
/// the attribute cases use an identity that carries it).
const ISSUANCE_TOKEN: &str = "it-7Qm2xV9kLp4Rz8Wd3Nf6";

fn identity_with_token(i: usize) -> Value {
    let mut with_token = identity(i);
    with_token["metadata_admin"]["yoti"]["issuance_token"] = json!(ISSUANCE_TOKEN);
    with_token
}

fn hostile() -> Value {
    json!({
        "id": "ffffffff-0000-4000-8000-000000000bad",
        "schema_id": "email",
        "state": "active",
        "traits": {"email": "x\u{1b}]52;c;cm0gLXJmIH4=\u{7}@evil.test", "name": {"first": "\u{1b}]0;pwned\u{7}Mallory", "last": "\u{1b}[2J\r\u{9b}31m\u{202e}"}},
        "updated_at": "2026-11-24T11:59:00Z"
    })
}

fn app(width: u16, height: u16, danger: bool) -> App {
    app_with_schemas(width, height, danger, true)
}

fn email_schema() -> Value {
    json!({"properties": {"traits": {"properties": {"email": {"ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}}}}}})
}

/// The app with its first page. `listed`: the server listed both schemas;
/// else the list failed (Kratos's redirect not followable, say) and only the
/// email schema could be loaded from its identities' `schema_url`.
fn app_with_schemas(width: u16, height: u16, danger: bool, listed: bool) -> App {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let profile = ProfileInfo {
        name: if danger { "prod-eu".into() } else { "demo".into() },
        base_url: "http://127.0.0.1:4455".into(),
        read_only: danger,
        danger,
        identities_url: "http://127.0.0.1:4455/admin/identities".into(),
        signing: true,
        attribute_registry_url: "http://127.0.0.1:4455/attribute-registry".into(),
        attribute_registry: true,
        issuance_token_pointer: "/metadata_admin/yoti/issuance_token".into(),
        require_reason: false,
    };
    let mut app = App::new(profile, width, height, now);
    app.start();
    if listed {
        // A phone schema without constraints: the snapshots show no schema problems.
        let phone = json!({"properties": {"traits": {}}});
        update(
            &mut app,
            Msg::SchemasLoaded(Ok(vec![("email".into(), email_schema()), ("phone".into(), phone)])),
        );
    } else {
        let error = "HTTP 404 Not Found (empty body) [GET http://127.0.0.1:4455/schemas]".to_owned();
        update(&mut app, Msg::SchemasLoaded(Err(error)));
    }
    let mut items: Vec<Value> = (0..120).map(identity).collect();
    items.insert(2, hostile());
    let next = Some(vec![("page_token".to_owned(), "next".to_owned())]);
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(LoadedPage { items, next }),
        },
    );
    if !listed {
        assert!(app.list.rows.is_empty(), "rows wait for the schemas asked for");
        update(&mut app, Msg::SchemasLoaded(Ok(vec![("email".into(), email_schema())])));
    }
    app
}

fn key(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn ctrl(app: &mut App, c: char) {
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn render(app: &App) -> String {
    let mut terminal = match Terminal::new(TestBackend::new(app.chrome.width, app.chrome.height)) {
        Ok(t) => t,
        Err(e) => panic!("test backend: {e}"),
    };
    let theme = Theme { color: true };
    if let Err(e) = terminal.draw(|frame| view(app, &theme, frame)) {
        panic!("draw: {e}");
    }
    if app.chrome.width == 0 {
        // The backend cannot print a buffer without columns; nothing to see.
        return String::new();
    }
    terminal.backend().to_string()
}

fn snapshot_each_size(name: &str, prepare: impl Fn(&mut App), danger: bool) {
    for (width, height) in SIZES {
        let mut app = app(width, height, danger);
        prepare(&mut app);
        let screen = render(&app);
        assert!(!screen.contains('\u{1b}'), "escape reached the screen");
        assert_no_secrets(&screen);
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen);
    }
}

#[test]
fn list() {
    snapshot_each_size("list", |_| {}, false);
}

#[test]
fn list_scrolled_with_selection() {
    snapshot_each_size(
        "list_scrolled",
        |app| {
            for _ in 0..30 {
                key(app, KeyCode::Char('j'));
            }
        },
        false,
    );
}

#[test]
fn list_danger_read_only() {
    snapshot_each_size("list_danger", |_| {}, true);
}

#[test]
fn list_searching() {
    snapshot_each_size(
        "list_search",
        |app| {
            key(app, KeyCode::Char('/'));
            for c in "lindq".chars() {
                key(app, KeyCode::Char(c));
            }
        },
        false,
    );
}

#[test]
fn list_loading_more_at_the_end() {
    snapshot_each_size(
        "list_loading",
        |app| {
            key(app, KeyCode::Char('G'));
        },
        false,
    );
}

#[test]
fn list_error() {
    snapshot_each_size(
        "list_error",
        |app| {
            key(app, KeyCode::Char('G'));
            let result = Err("HTTP 500 Internal Server Error: the server failed".to_owned());
            update(app, Msg::PageLoaded { generation: 1, result });
        },
        false,
    );
}

/// `/state:inactive` Enter: the loaded rows filtered exactly by state, the
/// badge saying so and how many of the loaded rows pass ("of 121+": more
/// pages exist).
fn filter_inactive(app: &mut App) {
    key(app, KeyCode::Char('/'));
    type_text(app, "state:inactive");
    key(app, KeyCode::Enter);
}

#[test]
fn list_filtered_with_a_badge() {
    snapshot_each_size("list_filtered", filter_inactive, false);
}

/// `/ana` Enter, answered: nothing by id or exact identifier, a first page
/// of prefix matches (one never loaded here), more pages to come, and the
/// loaded rows that contain "ana" elsewhere, each row marked in MATCH.
fn search_results(app: &mut App) {
    key(app, KeyCode::Char('/'));
    type_text(app, "ana");
    key(app, KeyCode::Enter);
    update(
        app,
        Msg::SearchLoaded {
            generation: 1,
            query: "ana".into(),
            result: Ok(Vec::new()),
        },
    );
    let items = [0, 8, 16, 200].into_iter().map(identity).collect();
    let next = Some(vec![("page_token".to_owned(), "more".to_owned())]);
    update(
        app,
        Msg::SimilarLoaded {
            generation: 1,
            search: 1,
            result: Ok(LoadedPage { items, next }),
        },
    );
}

#[test]
fn list_search_results_marked_by_match() {
    snapshot_each_size("list_search_results", search_results, false);
}

/// `r`, and the reload fails: the rows stay, dimmed "stale" says why.
fn failed_reload(app: &mut App) {
    key(app, KeyCode::Char('r'));
    let result = Err("HTTP 503 Service Unavailable: upstream connect error\nor disconnect".to_owned());
    update(app, Msg::PageLoaded { generation: 2, result });
}

#[test]
fn list_stale_after_a_failed_reload() {
    snapshot_each_size("list_stale", failed_reload, false);
}

#[test]
fn help_overlay() {
    snapshot_each_size("help_list", |app| key(app, KeyCode::Char('?')), false);
}

fn open_detail(app: &mut App, sections_forward: usize) {
    open_detail_with(app, identity(0));
    for _ in 0..sections_forward {
        key(app, KeyCode::Tab);
    }
}

/// Opens the first row's detail with `identity` as the server's answer.
fn open_detail_with(app: &mut App, identity: Value) {
    key(app, KeyCode::Enter);
    let id = app.detail.state.as_ref().map(|d| d.id.clone()).unwrap_or_default();
    assert_eq!(id, FIRST_ID);
    update(
        app,
        Msg::IdentityLoaded {
            id,
            result: Ok(identity),
        },
    );
}

#[test]
fn detail_sections() {
    for (index, name) in ["summary", "traits", "metadata", "credentials", "addresses", "raw"]
        .iter()
        .enumerate()
    {
        snapshot_each_size(&format!("detail_{name}"), |app| open_detail(app, index), false);
    }
}

#[test]
fn detail_loading_and_help() {
    snapshot_each_size("detail_loading", |app| key(app, KeyCode::Enter), false);
    snapshot_each_size(
        "help_detail",
        |app| {
            open_detail(app, 0);
            key(app, KeyCode::Char('?'));
        },
        false,
    );
}

#[test]
fn too_small() {
    let mut app = app(59, 14, false);
    app.chrome.width = 59;
    app.chrome.height = 14;
    insta::assert_snapshot!("too_small", render(&app));
}

#[test]
fn forms() {
    snapshot_each_size(
        "form_traits_invalid",
        |app| {
            open_detail(app, 0);
            key(app, KeyCode::Char('e'));
            // The JSON editor (`e` opens the form from the schema).
            key(app, KeyCode::F(2));
            key(app, KeyCode::Down);
            key(app, KeyCode::End);
            key(app, KeyCode::Backspace);
        },
        false,
    );
    snapshot_each_size(
        "form_state",
        |app| {
            open_detail(app, 0);
            key(app, KeyCode::Char('s'));
            key(app, KeyCode::Char(' '));
        },
        false,
    );
    snapshot_each_size(
        "form_metadata",
        |app| {
            open_detail(app, 0);
            key(app, KeyCode::Char('m'));
            key(app, KeyCode::Tab);
        },
        false,
    );
    snapshot_each_size(
        "form_password_mismatch",
        |app| {
            open_detail(app, 0);
            key(app, KeyCode::Char('c'));
            type_text(app, "correct horse");
            key(app, KeyCode::Tab);
            type_text(app, "correct house");
            ctrl(app, 's');
        },
        false,
    );
    snapshot_each_size(
        "form_oidc",
        |app| {
            open_detail(app, 0);
            key(app, KeyCode::Char('c'));
            key(app, KeyCode::BackTab);
            key(app, KeyCode::Right);
            key(app, KeyCode::Right);
            key(app, KeyCode::Tab);
            type_text(app, "google");
            ctrl(app, 's');
        },
        false,
    );
}

#[test]
fn review_of_a_state_change() {
    snapshot_each_size(
        "review_state",
        |app| {
            open_detail(app, 0);
            key(app, KeyCode::Char('s'));
            key(app, KeyCode::Char(' '));
            ctrl(app, 's');
        },
        false,
    );
}

#[test]
fn password_never_shows() {
    for (width, height) in SIZES {
        let mut app = app(width, height, false);
        open_detail(&mut app, 0);
        key(&mut app, KeyCode::Char('c'));
        type_text(&mut app, "S3cret-Pa55");
        key(&mut app, KeyCode::Tab);
        type_text(&mut app, "S3cret-Pa55");
        let form = render(&app);
        ctrl(&mut app, 's');
        let review = render(&app);
        for screen in [form, review] {
            assert!(!screen.contains("S3cret"), "password on screen:\n{screen}");
        }
        assert!(format!("{app:?}").contains("hidden") && !format!("{app:?}").contains("S3cret"));
    }
}

#[test]
fn attribute_form_and_review() {
    snapshot_each_size(
        "attribute_form",
        |app| {
            open_detail_with(app, identity_with_token(0));
            key(app, KeyCode::Char('a'));
            type_text(app, "com.example.membership");
        },
        false,
    );
    snapshot_each_size(
        "attribute_review",
        |app| {
            open_detail_with(app, identity_with_token(0));
            key(app, KeyCode::Char('a'));
            type_text(app, "com.example.membership");
            ctrl(app, 's');
        },
        false,
    );
}

/// The attribute review with a reason (`r`, typed, Enter keeps it): the
/// line under the prompt says why, as the identity review's does; while
/// the line has the keys the prompt says how to keep or undo it.
#[test]
fn attribute_review_with_a_reason() {
    let review = |app: &mut App| {
        open_detail_with(app, identity_with_token(0));
        key(app, KeyCode::Char('a'));
        type_text(app, "com.example.membership");
        ctrl(app, 's');
        key(app, KeyCode::Char('r'));
        type_text(app, "SUP-4711 membership renewed by phone");
    };
    snapshot_each_size("attribute_review_reason_typing", review, false);
    snapshot_each_size(
        "attribute_review_reason",
        |app| {
            review(app);
            key(app, KeyCode::Enter);
            let screen = render(app);
            assert!(screen.contains("SUP-4711 membership renewed by phone"), "{screen}");
            assert!(screen.contains("r reason"), "{screen}");
        },
        false,
    );
}

/// A profile with `require_reason`: `y` on the attribute review sends
/// nothing, says so, and the reason line takes the keys.
#[test]
fn attribute_review_refuses_without_a_required_reason() {
    snapshot_each_size(
        "attribute_review_reason_required",
        |app| {
            app.profile.require_reason = true;
            open_detail_with(app, identity_with_token(0));
            key(app, KeyCode::Char('a'));
            type_text(app, "com.example.membership");
            ctrl(app, 's');
            assert!(y(app).is_empty(), "nothing is sent without a reason");
        },
        false,
    );
}

// ---- After a write: answers, the lost-update review, history ------------

/// One answered request, with fixed ids, times and headers.
fn exchange(url: &str, status: u16, reason: &str, body: &Value) -> Exchange {
    let started_at = Utc
        .with_ymd_and_hms(2026, 11, 24, 11, 59, 58)
        .single()
        .unwrap_or_default();
    Exchange {
        request_id: "6f1c2a9e-3b7d-4e15-8c40-2d9b7a1e5f03".into(),
        method: "PUT".into(),
        url: format!("{url}?nonce=0b8e4f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b&timestamp=1795953598000"),
        request_headers: vec![("content-type".into(), "application/json".into())],
        request_body: None,
        status,
        reason: reason.into(),
        headers: vec![
            ("content-type".into(), "application/json; charset=utf-8".into()),
            ("date".into(), "Tue, 24 Nov 2026 11:59:58 GMT".into()),
            ("x-request-id".into(), "srv-5d0e7c1b".into()),
        ],
        body: serde_json::to_vec(body).unwrap_or_default(),
        started_at,
        elapsed: Duration::from_millis(87),
    }
}

fn identity_url() -> String {
    format!("http://127.0.0.1:4455/admin/identities/{FIRST_ID}")
}

/// The identity as a successful PUT returns it: without credentials (Kratos
/// leaves out their configuration).
fn returned_identity(state: &str) -> Value {
    let mut returned = identity(0);
    returned["state"] = json!(state);
    returned["updated_at"] = json!("2026-11-24T11:59:58Z");
    if let Some(object) = returned.as_object_mut() {
        object.remove("credentials");
    }
    returned
}

/// `s`, space, Ctrl-S, `y`: a state change waiting for the server.
fn send_state_change(app: &mut App) {
    open_detail(app, 0);
    key(app, KeyCode::Char('s'));
    key(app, KeyCode::Char(' '));
    ctrl(app, 's');
    let effects = update(app, Msg::Key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE)));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Write(_))),
        "y did not send: {effects:?}"
    );
}

fn state_change_saved(app: &mut App) {
    send_state_change(app);
    let body = returned_identity("inactive");
    let response = response_view(&exchange(&identity_url(), 200, "OK", &body), Some(FIRST_ID.into()));
    update(
        app,
        Msg::WriteDone(WriteOutcome::Answered {
            response,
            identity: Some(body),
        }),
    );
}

/// The traits form with the email replaced by "x" (valid for the test's
/// schema, which has no format), reviewed and sent; Kratos refuses it.
fn email_change_refused(app: &mut App) {
    open_detail(app, 0);
    key(app, KeyCode::Char('e'));
    // The JSON editor (`e` opens the form from the schema).
    key(app, KeyCode::F(2));
    key(app, KeyCode::Down);
    key(app, KeyCode::End);
    for _ in 0.."ana.silva0@example.com\",".len() {
        key(app, KeyCode::Backspace);
    }
    type_text(app, "x\",");
    ctrl(app, 's');
    key(app, KeyCode::Char('y'));
    let body = json!({"error": {
        "code": 400,
        "status": "Bad Request",
        "reason": "I[#/traits/email] S[#/properties/traits/properties/email/format] \"x\" is not valid \"email\"",
        "message": "The request was malformed or contained invalid parameters"
    }});
    let response = response_view(
        &exchange(&identity_url(), 400, "Bad Request", &body),
        Some(FIRST_ID.into()),
    );
    update(
        app,
        Msg::WriteDone(WriteOutcome::Answered {
            response,
            identity: None,
        }),
    );
}

#[test]
fn response_after_a_write() {
    snapshot_each_size(
        "response_saved",
        |app| {
            state_change_saved(app);
            assert_eq!(app.screen, Screen::Response);
        },
        false,
    );
    snapshot_each_size(
        "response_refused",
        |app| {
            email_change_refused(app);
            assert_eq!(app.screen, Screen::Response);
        },
        false,
    );
}

#[test]
fn lost_update_review() {
    snapshot_each_size(
        "review_conflict",
        |app| {
            send_state_change(app);
            let old = identity(0);
            let mut new = identity(0);
            new["traits"]["name"]["last"] = json!("Silva-Costa");
            new["metadata_public"]["plan"] = json!("enterprise");
            new["updated_at"] = json!("2026-11-24T11:57:12Z");
            let latest = match Snapshot::from_raw(new.clone()) {
                Ok(snapshot) => Box::new(snapshot),
                Err(e) => panic!("snapshot of the newer identity: {e}"),
            };
            let server_changes = diff(&old, &new);
            update(app, Msg::WriteDone(WriteOutcome::Changed { latest, server_changes }));
            assert_eq!(app.screen, Screen::Review);
        },
        false,
    );
}

#[test]
fn history_with_audit_trail() {
    snapshot_each_size(
        "history",
        |app| {
            // A refused traits edit, discarded, then a state change that went through.
            email_change_refused(app);
            key(app, KeyCode::Esc); // response → form
            key(app, KeyCode::Esc); // the form asks before discarding
            key(app, KeyCode::Char('y'));
            assert_eq!(app.screen, Screen::Detail);
            key(app, KeyCode::Char('s'));
            key(app, KeyCode::Char(' '));
            ctrl(app, 's');
            key(app, KeyCode::Char('y'));
            let body = returned_identity("inactive");
            let response = response_view(&exchange(&identity_url(), 200, "OK", &body), Some(FIRST_ID.into()));
            update(
                app,
                Msg::WriteDone(WriteOutcome::Answered {
                    response,
                    identity: Some(body),
                }),
            );
            key(app, KeyCode::Esc); // response → detail
            key(app, KeyCode::Char('H'));
            assert_eq!(app.screen, Screen::History);
            let who = "maria from 203.0.113.7:52144";
            let line = |time: &str, event: &str, result: &str, changed: &str| {
                format!("{time}  {who:<24} {event:<8} {result:<10} {changed}")
            };
            let lines = vec![
                line("2026-11-24T11:58:40.512Z", "intent", "intent", "/traits/email"),
                line("2026-11-24T11:58:40.601Z", "outcome", "400", "/traits/email"),
                line("2026-11-24T11:59:58.020Z", "intent", "intent", "/state"),
                line("2026-11-24T11:59:58.107Z", "outcome", "200", "/state"),
            ];
            update(
                app,
                Msg::AuditLoaded {
                    identity_id: FIRST_ID.into(),
                    result: Ok(lines),
                },
            );
        },
        false,
    );
}

// ---- Who, why, and honest waiting ------------------------------------------

fn y(app: &mut App) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE)))
}

/// The review with a reason typed into its line (`r`), the line still
/// holding the keys: who, why and what, before `y`.
#[test]
fn review_with_a_reason() {
    snapshot_each_size(
        "review_reason",
        |app| {
            open_detail(app, 0);
            key(app, KeyCode::Char('s'));
            key(app, KeyCode::Char(' '));
            ctrl(app, 's');
            key(app, KeyCode::Char('r'));
            type_text(app, "SUP-4711 customer asked to pause the account");
            let screen = render(app);
            assert!(screen.contains("ana.silva0@example.com (Ana Silva)"), "{screen}");
        },
        false,
    );
}

/// A profile with `require_reason`: `y` without one sends nothing and says so.
#[test]
fn review_refuses_without_a_required_reason() {
    snapshot_each_size(
        "review_reason_required",
        |app| {
            app.profile.require_reason = true;
            open_detail(app, 0);
            key(app, KeyCode::Char('s'));
            key(app, KeyCode::Char(' '));
            ctrl(app, 's');
            assert!(y(app).is_empty(), "nothing is sent without a reason");
        },
        false,
    );
}

/// Esc while sending, then `y`: the review is disarmed and says why.
#[test]
fn review_after_stopping_the_wait() {
    snapshot_each_size(
        "review_stopped",
        |app| {
            send_state_change(app);
            key(app, KeyCode::Esc);
            assert!(y(app).is_empty(), "a second y sends nothing");
        },
        false,
    );
}

/// `H` after a write whose answer came after the user stopped waiting, and
/// a second one still in flight: one entry each, time, who, what changed and
/// how it ended.
#[test]
fn history_with_a_late_answer_and_a_write_in_flight() {
    snapshot_each_size(
        "history_late",
        |app| {
            send_state_change(app);
            key(app, KeyCode::Esc); // stop waiting
            key(app, KeyCode::Esc); // back to the form
            let body = returned_identity("inactive");
            let response = response_view(&exchange(&identity_url(), 200, "OK", &body), Some(FIRST_ID.into()));
            update(
                app,
                Msg::WriteDone(WriteOutcome::Answered {
                    response,
                    identity: Some(body),
                }),
            );
            key(app, KeyCode::Esc); // its change landed: closed without asking
            assert_eq!(app.screen, Screen::Detail);
            // A second change, with a reason, stopped waiting for.
            key(app, KeyCode::Char('s'));
            key(app, KeyCode::Char(' '));
            ctrl(app, 's');
            key(app, KeyCode::Char('r'));
            type_text(app, "SUP-4711");
            key(app, KeyCode::Enter);
            assert_eq!(y(app).len(), 1);
            key(app, KeyCode::Esc);
            key(app, KeyCode::Esc);
            key(app, KeyCode::Esc);
            key(app, KeyCode::Char('y'));
            key(app, KeyCode::Esc);
            key(app, KeyCode::Char('H'));
            assert_eq!(app.screen, Screen::History);
            assert_eq!(app.history.entries.len(), 2);
        },
        false,
    );
}

// ---- Drafts ---------------------------------------------------------------

fn drafts() -> Vec<Draft> {
    let mut traits = Draft::new(
        "demo",
        FIRST_ID,
        "traits",
        json!({"text": "{\n  \"email\": \"ana.silva@example.org\"\n}"}),
        Some("2026-11-01T10:00:00Z".into()),
    );
    traits.saved_at = "2026-11-23T17:42:09.315Z".into();
    let mut state = Draft::new(
        "demo",
        "1000f76e-5b1e-4c2d-9a8f-00000000000e",
        "state",
        json!({"active": false}),
        Some("2026-11-15T10:00:00Z".into()),
    );
    state.saved_at = "2026-11-24T08:05:51.004Z".into();
    vec![traits, state]
}

#[test]
fn drafts_list_and_offer() {
    snapshot_each_size(
        "drafts_list",
        |app| {
            update(app, Msg::DraftsListed(Ok(drafts())));
            key(app, KeyCode::Char('D'));
            assert_eq!(app.screen, Screen::Drafts);
        },
        false,
    );
    snapshot_each_size(
        "detail_draft_offer",
        |app| {
            update(app, Msg::DraftsListed(Ok(drafts())));
            open_detail(app, 0);
            assert!(app.detail.offer.is_some(), "no draft offered");
        },
        false,
    );
}

// ---- Schema form and hash import -------------------------------------------

#[test]
fn schema_form_with_a_choice() {
    snapshot_each_size(
        "form_schema",
        |app| {
            let phone = json!({
                "$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "properties": {"traits": {
                    "type": "object",
                    "properties": {
                        "phone": {"type": "string", "pattern": "^\\+[0-9]{6,15}$"},
                        "name": {"type": "object"}
                    },
                    "required": ["phone"],
                    "additionalProperties": false
                }}
            });
            update(app, Msg::SchemasLoaded(Ok(vec![("phone".into(), phone)])));
            open_detail(app, 0);
            key(app, KeyCode::Char('i'));
            key(app, KeyCode::Down);
            // The selection shows only as a style, which the text snapshot lacks.
            let selected = match app.edit.form.as_ref().map(|f| &f.body) {
                Some(FormBody::Schema(schema)) => schema.choices.get(schema.selected).cloned(),
                _ => None,
            };
            assert_eq!(selected.as_deref(), Some("phone"));
        },
        false,
    );
}

#[test]
fn credentials_hash_import_refused() {
    snapshot_each_size(
        "form_hash_invalid",
        |app| {
            open_detail(app, 0);
            key(app, KeyCode::Char('c'));
            key(app, KeyCode::BackTab);
            key(app, KeyCode::Right);
            key(app, KeyCode::Tab);
            type_text(app, "not-a-hash");
            ctrl(app, 's');
            assert_eq!(app.screen, Screen::Form);
        },
        false,
    );
}

// ---- Attribute registry answer ---------------------------------------------

/// The registry's refusal as the console shows it: Yoti's code explained in
/// plain words above the response (the view the console shows).
fn registry_refusal() -> ResponseView {
    let body = json!({"code": "NOT_FOUND", "message": "issuance token not found"});
    let exchange = exchange(
        "http://127.0.0.1:4455/attribute-registry/attribute/update",
        404,
        "Not Found",
        &body,
    );
    idcon::app::review::registry_response_view(&exchange, FIRST_ID)
}

#[test]
fn attribute_response() {
    snapshot_each_size(
        "attribute_response_refused",
        |app| {
            open_detail_with(app, identity_with_token(0));
            key(app, KeyCode::Char('a'));
            type_text(app, "com.example.membership");
            ctrl(app, 's');
            let effects = update(app, Msg::Key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE)));
            assert!(
                effects.iter().any(|e| matches!(e, Effect::WriteAttribute(_))),
                "y did not send: {effects:?}"
            );
            update(
                app,
                Msg::AttributeDone(WriteOutcome::Answered {
                    response: registry_refusal(),
                    identity: None,
                }),
            );
            assert_eq!(app.screen, Screen::Response);
        },
        false,
    );
}

/// Esc while the attribute update is sending, then `y`: the review is
/// disarmed and says so, as the identity review does; the update is still
/// followed (the spinner runs, `H` lists it).
#[test]
fn attribute_review_after_stopping_the_wait() {
    snapshot_each_size(
        "attribute_review_stopped",
        |app| {
            open_detail_with(app, identity_with_token(0));
            key(app, KeyCode::Char('a'));
            type_text(app, "com.example.membership");
            ctrl(app, 's');
            let sent = |effects: &[Effect]| {
                effects
                    .iter()
                    .filter(|e| matches!(e, Effect::WriteAttribute(_)))
                    .count()
            };
            assert_eq!(sent(&y(app)), 1);
            key(app, KeyCode::Esc);
            assert_eq!(sent(&y(app)), 0, "a second y sends nothing");
            assert!(app.busy(), "the update is still followed");
            assert_eq!(app.history.entries.len(), 1);
        },
        false,
    );
}

// ---- Schemas that could not be loaded --------------------------------------

/// Like `snapshot_each_size`, on the app whose schema list failed and whose
/// phone schema could not be loaded from its `schema_url` either.
fn snapshot_unlisted(name: &str, prepare: impl Fn(&mut App)) {
    for (width, height) in SIZES {
        let mut app = app_with_schemas(width, height, false, false);
        prepare(&mut app);
        let screen = render(&app);
        assert!(screen.contains("schema unknown — traits not validated"), "{screen}");
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen);
    }
}

#[test]
fn list_with_a_schema_unknown() {
    snapshot_unlisted("list_schema_unknown", |app| {
        assert!(app.schema_missing("phone") && !app.schema_missing("email"));
    });
}

#[test]
fn traits_form_with_its_schema_unknown() {
    snapshot_unlisted("form_traits_schema_unknown", |app| {
        let mut phone_identity = identity(0);
        phone_identity["schema_id"] = json!("phone");
        open_detail_with(app, phone_identity);
        key(app, KeyCode::Char('e'));
        assert_eq!(app.screen, Screen::Form);
        assert!(app.traits_form_mark().is_some());
    });
}

/// The review shows the body to send, which echoes `metadata_admin` with the
/// identity's issuance token even for a state change. It is masked, also at
/// a profile's own `issuance_token_pointer`, which no member name gives away.
#[test]
fn the_review_never_shows_the_issuance_token() {
    for pointer in ["/metadata_admin/yoti/issuance_token", "/metadata_admin/yoti_ref"] {
        let mut app = app(120, 60, false);
        app.profile.issuance_token_pointer = pointer.to_owned();
        let mut identity = identity(0);
        if let Some(slot) = identity.pointer_mut("/metadata_admin") {
            slot["yoti"]["issuance_token"] = json!(ISSUANCE_TOKEN);
            slot["yoti_ref"] = json!(ISSUANCE_TOKEN);
        }
        open_detail_with(&mut app, identity);
        key(&mut app, KeyCode::Char('s'));
        key(&mut app, KeyCode::Char(' '));
        ctrl(&mut app, 's');
        let review = app.edit.review.as_ref().expect("the review is open");
        let text: String = review.lines.iter().map(|line| line.text() + "\n").collect();
        assert!(text.contains("Body to send"), "{text}");
        assert!(text.contains("SUP-0"), "the rest of metadata_admin is shown: {text}");
        assert!(
            !text.contains(ISSUANCE_TOKEN),
            "{pointer}: the token is in the review:\n{text}"
        );
        assert_no_secrets(&render(&app));
    }
}

// ---- Every screen at the edges: the minimum size and no size at all --------

type Prepare = Box<dyn Fn(&mut App)>;

/// Every screen (and the states that change what it draws), as the user
/// reaches it.
fn every_screen() -> Vec<(&'static str, Prepare)> {
    let boxed = |f: fn(&mut App)| -> Prepare { Box::new(f) };
    let mut screens: Vec<(&'static str, Prepare)> = vec![
        ("list", boxed(|_| {})),
        (
            "list_search",
            boxed(|app| {
                key(app, KeyCode::Char('/'));
                type_text(app, "lindq");
            }),
        ),
        ("list_loading", boxed(|app| key(app, KeyCode::Char('G')))),
        (
            "list_error",
            boxed(|app| {
                key(app, KeyCode::Char('G'));
                let result = Err("HTTP 500 Internal Server Error: the server failed".to_owned());
                update(app, Msg::PageLoaded { generation: 1, result });
            }),
        ),
        ("list_filtered", boxed(filter_inactive)),
        ("list_search_results", boxed(search_results)),
        ("list_stale", boxed(failed_reload)),
        ("help_list", boxed(|app| key(app, KeyCode::Char('?')))),
        ("detail_loading", boxed(|app| key(app, KeyCode::Enter))),
        (
            "detail_failed",
            boxed(|app| {
                key(app, KeyCode::Enter);
                let id = FIRST_ID.to_owned();
                update(
                    app,
                    Msg::IdentityLoaded {
                        id,
                        result: Err(NOT_JSON.to_owned()),
                    },
                );
            }),
        ),
        (
            "help_detail",
            boxed(|app| {
                open_detail(app, 0);
                key(app, KeyCode::Char('?'));
            }),
        ),
        (
            "form_traits",
            boxed(|app| {
                open_detail(app, 0);
                key(app, KeyCode::Char('e'));
            }),
        ),
        (
            "help_form",
            boxed(|app| {
                open_detail(app, 0);
                key(app, KeyCode::Char('e'));
                key(app, KeyCode::F(1));
            }),
        ),
        (
            "form_state",
            boxed(|app| {
                open_detail(app, 0);
                key(app, KeyCode::Char('s'));
            }),
        ),
        (
            "form_metadata",
            boxed(|app| {
                open_detail(app, 0);
                key(app, KeyCode::Char('m'));
            }),
        ),
        (
            "form_credentials",
            boxed(|app| {
                open_detail(app, 0);
                key(app, KeyCode::Char('c'));
            }),
        ),
        (
            "form_schema",
            boxed(|app| {
                open_detail(app, 0);
                key(app, KeyCode::Char('i'));
            }),
        ),
        (
            "form_discard",
            boxed(|app| {
                open_detail(app, 0);
                key(app, KeyCode::Char('s'));
                key(app, KeyCode::Char(' '));
                key(app, KeyCode::Esc);
            }),
        ),
        (
            "review",
            boxed(|app| {
                open_detail(app, 0);
                key(app, KeyCode::Char('s'));
                key(app, KeyCode::Char(' '));
                ctrl(app, 's');
            }),
        ),
        ("review_sending", boxed(send_state_change)),
        ("response", boxed(state_change_saved)),
        ("response_refused", boxed(email_change_refused)),
        (
            "history",
            boxed(|app| {
                state_change_saved(app);
                key(app, KeyCode::Esc);
                key(app, KeyCode::Char('H'));
            }),
        ),
        (
            "drafts",
            boxed(|app| {
                update(app, Msg::DraftsListed(Ok(drafts())));
                key(app, KeyCode::Char('D'));
            }),
        ),
        (
            "detail_draft_offer",
            boxed(|app| {
                update(app, Msg::DraftsListed(Ok(drafts())));
                open_detail(app, 0);
            }),
        ),
        (
            "draft_diff",
            boxed(|app| {
                update(app, Msg::DraftsListed(Ok(drafts())));
                open_detail(app, 0);
                key(app, KeyCode::Char('v'));
            }),
        ),
        (
            "attribute_form",
            boxed(|app| {
                open_detail_with(app, identity_with_token(0));
                key(app, KeyCode::Char('a'));
            }),
        ),
        (
            "attribute_review",
            boxed(|app| {
                open_detail_with(app, identity_with_token(0));
                key(app, KeyCode::Char('a'));
                type_text(app, "com.example.membership");
                ctrl(app, 's');
            }),
        ),
    ];
    for (index, name) in ["summary", "traits", "metadata", "credentials", "addresses", "raw"]
        .into_iter()
        .enumerate()
    {
        let leaked: &'static str = Box::leak(format!("detail_{name}").into_boxed_str());
        screens.push((leaked, Box::new(move |app: &mut App| open_detail(app, index))));
    }
    screens
}

/// What a server said that is not JSON, as the client words it.
const NOT_JSON: &str = "the answer of GET http://127.0.0.1:4455/admin/identities/10000000-5b1e-4c2d-9a8f-000000000000 \
     is not JSON: expected value at line 1 column 1 (body: <html><body>502 Bad Gateway</body></html>)";

/// At 60x15, the smallest size the console draws at, every screen keeps its
/// footer, shows no escape and no secret; the help overlay keeps "Ctrl-C"
/// and how to close it in view.
#[test]
fn every_screen_at_the_minimum_size() {
    for (name, prepare) in every_screen() {
        let mut app = app(MIN_WIDTH, MIN_HEIGHT, false);
        prepare(&mut app);
        let screen = render(&app);
        assert!(!screen.contains('\u{1b}'), "{name}: escape reached the screen");
        assert_no_secrets(&screen);
        let rows: Vec<&str> = screen.lines().collect();
        assert_eq!(rows.len(), usize::from(MIN_HEIGHT), "{name}");
        let footer = rows
            .last()
            .map(|r| r.trim_matches(|c| c == '"' || c == ' '))
            .unwrap_or_default();
        if !name.starts_with("help") {
            assert!(!footer.is_empty(), "{name}: no footer at 60x15:\n{screen}");
        } else {
            assert!(screen.contains("Ctrl-C"), "{name}: Ctrl-C is cut:\n{screen}");
            assert!(
                screen.contains("any key closes this help") || screen.contains("any other key closes this help"),
                "{name}: how to close the help is cut:\n{screen}"
            );
        }
        if [
            "list",
            "help_list",
            "help_detail",
            "help_form",
            "detail_failed",
            "list_error",
            "review",
        ]
        .contains(&name)
        {
            insta::assert_snapshot!(format!("{name}_60x15"), screen);
        }
    }
}

/// A terminal shrunk to nothing (or one cell) draws without panicking, and
/// says it is too small as soon as it has room to.
#[test]
fn every_screen_at_no_size_at_all() {
    for (width, height) in [(0, 0), (1, 1), (0, 15), (60, 0), (59, 15), (60, 14)] {
        for (name, prepare) in every_screen() {
            let mut app = app(80, 24, false);
            prepare(&mut app);
            update(&mut app, Msg::Resize { width, height });
            let screen = render(&app);
            assert!(!screen.contains('\u{1b}'), "{name} at {width}x{height}");
            if width >= 20 && height >= 3 {
                assert!(screen.contains("too small"), "{name} at {width}x{height}:\n{screen}");
            }
        }
    }
}

/// Why the list stopped loading, in the list itself and wrapped: a server
/// error, an answer that is not JSON, a dropped connection.
#[test]
fn the_list_says_why_loading_stopped() {
    let reasons = [
        "HTTP 500 Internal Server Error: the server failed",
        NOT_JSON,
        "GET http://127.0.0.1:4455/admin/identities?page_size=250&page_token=next failed: connection closed before message completed",
    ];
    for error in reasons {
        let mut app = app(80, 24, false);
        key(&mut app, KeyCode::Char('G'));
        update(
            &mut app,
            Msg::PageLoaded {
                generation: 1,
                result: Err(error.to_owned()),
            },
        );
        // The end of the list, where the note stands under the last row.
        key(&mut app, KeyCode::Char('G'));
        let screen: String = render(&app)
            .lines()
            .map(|line| line.trim_matches('"').trim_end())
            .collect::<Vec<_>>()
            .join(" ");
        let words: String = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains("loading stopped (r retries)"), "{words}");
        let tail: String = error
            .split_whitespace()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            words.contains(&tail),
            "the end of the reason {tail:?} is shown:\n{words}"
        );
    }
}

/// The detail's error wraps: the end of a long reason stays on screen.
#[test]
fn the_detail_error_wraps() {
    let mut app = app(80, 24, false);
    key(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: FIRST_ID.into(),
            result: Err(NOT_JSON.to_owned()),
        },
    );
    let screen = render(&app);
    assert!(
        screen.contains("Gateway</body></html>)"),
        "the end of the reason is shown:\n{screen}"
    );
    insta::assert_snapshot!("detail_failed_80x24", screen);
}

// ---- Forms and drafts name whom they change -------------------------------

/// Every form's header names the identity by its primary identifier and
/// name, with the whole id where the line has room and its start where not.
#[test]
fn every_form_names_whom_it_changes() {
    for (width, height) in SIZES {
        for form in ['e', 's', 'm', 'c', 'i', 'a'] {
            let mut app = app(width, height, false);
            open_detail_with(&mut app, identity_with_token(0));
            key(&mut app, KeyCode::Char(form));
            let screen = render(&app);
            let header = screen.lines().nth(1).unwrap_or_default();
            assert!(
                header.contains("ana.silva0@example.com (Ana Silva)"),
                "{form} at {width}x{height}:\n{screen}"
            );
            let id = if width >= 120 { FIRST_ID } else { "10000000…" };
            assert!(header.contains(id), "{form} at {width}x{height}: {header}");
        }
    }
}

#[test]
fn credentials_form_says_how_to_switch_from_the_start() {
    snapshot_each_size(
        "form_credentials_start",
        |app| {
            open_detail(app, 0);
            key(app, KeyCode::Char('c'));
            let screen = render(app);
            assert!(screen.contains("S-Tab/↑ up to this choice, then ←/→"), "{screen}");
        },
        false,
    );
}

#[test]
fn attribute_form_without_a_token_shows_no_stars() {
    snapshot_each_size(
        "attribute_form_no_token",
        |app| {
            open_detail(app, 0);
            key(app, KeyCode::Char('a'));
            let screen = render(app);
            let token = screen.lines().nth(2).unwrap_or_default();
            assert!(token.contains("issuance token") && !token.contains('*'), "{screen}");
        },
        false,
    );
}

#[test]
fn drafts_list_names_whom_each_draft_is_for() {
    snapshot_each_size(
        "drafts_list_named",
        |app| {
            let recorded = Draft::new(
                "demo",
                "3f6e2b1a-0c4d-4e8f-9a7b-5c2d1e0f9a8b",
                "metadata",
                json!({"public_text": "{}", "admin_text": "{}", "focus": "admin"}),
                None,
            )
            .naming(
                Some("farah.haddad5@example.com".into()),
                Some("Farah \u{1b}[2JHaddad".into()),
            );
            let mut recorded = recorded;
            recorded.saved_at = "2026-11-24T09:15:00.000Z".into();
            let mut all = drafts();
            all.push(recorded);
            update(app, Msg::DraftsListed(Ok(all)));
            key(app, KeyCode::Char('D'));
            assert_eq!(app.screen, Screen::Drafts);
        },
        false,
    );
}

/// The first row's identity with a long note whose ticket number sits far
/// to the right (column 150 and more of the raw JSON).
fn identity_with_a_long_note() -> Value {
    let mut identity = identity(0);
    identity["traits"]["notes"] = json!(format!(
        "Called in about her login; {}see ticket SUP-4711 (second time)",
        "checked the addresses, the sessions and the recovery codes; ".repeat(2)
    ));
    identity
}

/// Where the cells of `text` are on screen, with whether each is in reverse
/// video (the search's current match).
fn reversed_cells(app: &App, text: &str) -> Vec<bool> {
    let mut terminal = match Terminal::new(TestBackend::new(app.chrome.width, app.chrome.height)) {
        Ok(t) => t,
        Err(e) => panic!("test backend: {e}"),
    };
    let theme = Theme { color: true };
    if let Err(e) = terminal.draw(|frame| view(app, &theme, frame)) {
        panic!("draw: {e}");
    }
    let buffer = terminal.backend().buffer().clone();
    let width = usize::from(buffer.area.width);
    let symbols: Vec<&str> = buffer.content.iter().map(|c| c.symbol()).collect();
    let count = text.chars().count();
    for start in 0..symbols.len().saturating_sub(count) {
        let here: String = symbols[start..start + count].concat();
        if here == text && start % width + count <= width {
            return buffer.content[start..start + count]
                .iter()
                .map(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED))
                .collect();
        }
    }
    Vec::new()
}

/// Reading long values: the raw JSON searched (`/`), unwrapped and
/// scrolled sideways to the match, then wrapped (`w`); the match is in
/// reverse video and the line under the text says where the search is.
#[test]
fn raw_json_searched_unwrapped_and_wrapped() {
    let search = |app: &mut App| {
        open_detail_with(app, identity_with_a_long_note());
        key(app, KeyCode::Char('6'));
        key(app, KeyCode::Char('/'));
        type_text(app, "sup-");
        key(app, KeyCode::Enter);
    };
    snapshot_each_size("detail_raw_searched", search, false);
    snapshot_each_size(
        "detail_raw_searched_wrapped",
        |app| {
            search(app);
            key(app, KeyCode::Char('w'));
        },
        false,
    );
    for (width, height) in SIZES {
        for wrapped in [false, true] {
            let mut app = app(width, height, false);
            search(&mut app);
            if wrapped {
                key(&mut app, KeyCode::Char('w'));
            }
            let screen = render(&app);
            assert!(screen.contains("match 1 of 2 for “sup-”"), "{screen}");
            assert_eq!(
                reversed_cells(&app, "SUP-"),
                vec![true; 4],
                "the current match is marked at {width}x{height}:\n{screen}"
            );
        }
    }
}

/// The detail's title: the full id when it fits (200 wide), its first eight
/// characters when a long identifier and name leave no room (80 wide).
#[test]
fn detail_title_with_the_full_id_where_it_fits() {
    snapshot_each_size(
        "detail_long_identifier",
        |app| {
            let mut identity = identity(0);
            identity["traits"]["email"] = json!("ana.silva.customer-support-escalations@example.com");
            identity["traits"]["name"] = json!({"first": "Ana Beatriz", "last": "Silva Albuquerque"});
            open_detail_with(app, identity);
            let title = render(app).lines().nth(1).unwrap_or_default().to_owned();
            if app.chrome.width >= 200 {
                assert!(title.contains(&format!("({FIRST_ID})")), "{title}");
            } else {
                assert!(title.contains("(10000000…)") && !title.contains(FIRST_ID), "{title}");
            }
        },
        false,
    );
}
