//! Render snapshots of every console screen at 80x24 and 200x50 (ratatui's
//! TestBackend, reviewed with insta). A change to any screen shows up here as a
//! diff to review.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use idcon::app::{App, LoadedPage, Msg, ProfileInfo, update};
use idcon::ui::{theme::Theme, view};
use ratatui::{Terminal, backend::TestBackend};
use serde_json::{Value, json};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

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
        "metadata_admin": {"ticket": format!("SUP-{i}"), "yoti": {"issuance_token": "tok"}},
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
    };
    let mut app = App::new(profile, width, height, now);
    app.start();
    let schema = json!({"properties": {"traits": {"properties": {"email": {"ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}}}}}});
    update(&mut app, Msg::SchemasLoaded(Ok(vec![("email".into(), schema)])));
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
    let mut terminal = match Terminal::new(TestBackend::new(app.width, app.height)) {
        Ok(t) => t,
        Err(e) => panic!("test backend: {e}"),
    };
    let theme = Theme { color: true };
    if let Err(e) = terminal.draw(|frame| view(app, &theme, frame)) {
        panic!("draw: {e}");
    }
    terminal.backend().to_string()
}

fn snapshot_each_size(name: &str, prepare: impl Fn(&mut App), danger: bool) {
    for (width, height) in SIZES {
        let mut app = app(width, height, danger);
        prepare(&mut app);
        let screen = render(&app);
        assert!(!screen.contains('\u{1b}'), "escape reached the screen");
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

#[test]
fn help_overlay() {
    snapshot_each_size("help_list", |app| key(app, KeyCode::Char('?')), false);
}

fn open_detail(app: &mut App, sections_forward: usize) {
    key(app, KeyCode::Enter);
    let id = app.detail.as_ref().map(|d| d.id.clone()).unwrap_or_default();
    update(
        app,
        Msg::IdentityLoaded {
            id,
            result: Ok(identity(0)),
        },
    );
    for _ in 0..sections_forward {
        key(app, KeyCode::Tab);
    }
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
    app.width = 59;
    app.height = 14;
    insta::assert_snapshot!("too_small", render(&app));
}

#[test]
fn forms() {
    snapshot_each_size(
        "form_traits_invalid",
        |app| {
            open_detail(app, 0);
            key(app, KeyCode::Char('e'));
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
            open_detail(app, 0);
            key(app, KeyCode::Char('a'));
            type_text(app, "com.example.membership");
        },
        false,
    );
    snapshot_each_size(
        "attribute_review",
        |app| {
            open_detail(app, 0);
            key(app, KeyCode::Char('a'));
            type_text(app, "com.example.membership");
            ctrl(app, 's');
        },
        false,
    );
}
