//! Render snapshots of the delete screen (`Ctrl-D`, issue 18) at 80x24 and
//! 200x50: what goes (traits, metadata, credentials by type with their
//! identifiers, sessions), the identifier half typed and typed, the reason
//! line, a change found before sending, and hostile traits drawn inert.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use idcon::api::sessions::SessionPage;
use idcon::app::delete::{DeleteAnswer, DeleteDone};
use idcon::app::{App, LoadedPage, Msg, ProfileInfo, update};
use idcon::ui::{theme::Theme, view};
use ratatui::{Terminal, backend::TestBackend};
use serde_json::{Value, json};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];
const ID: &str = "10000000-5b1e-4c2d-9a8f-00000000de1e";

fn identity() -> Value {
    json!({
        "id": ID,
        "schema_id": "email",
        "state": "active",
        "traits": {"email": "ana.silva@example.com", "name": {"first": "Ana", "last": "Silva"}},
        "metadata_public": {"plan": "pro"},
        "metadata_admin": {"ticket": "SUP-7"},
        "credentials": {
            "password": {"type": "password", "identifiers": ["ana.silva@example.com"], "config": {}},
            "oidc": {"type": "oidc", "identifiers": ["google:118234"], "config": {"providers": []}},
            "totp": {"type": "totp", "identifiers": [], "config": {}}
        },
        "created_at": "2024-03-01T09:00:00Z",
        "updated_at": "2026-11-20T10:00:00Z"
    })
}

fn app(width: u16, height: u16, person: &Value) -> App {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let profile = ProfileInfo {
        name: "demo".into(),
        base_url: "http://127.0.0.1:4455".into(),
        identities_url: "http://127.0.0.1:4455/admin/identities".into(),
        signing: true,
        ..Default::default()
    };
    let mut app = App::new(profile, width, height, now);
    app.start();
    let schema = json!({"properties": {"traits": {"properties": {"email": {"ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}}}}}});
    update(&mut app, Msg::SchemasLoaded(Ok(vec![("email".into(), schema)])));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(LoadedPage {
                items: vec![person.clone()],
                next: None,
            }),
        },
    );
    key(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(person.clone()),
        },
    );
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)),
    );
    app
}

fn key(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn counted(app: &mut App, total: u64) {
    update(
        app,
        Msg::DeleteSessionsCounted {
            identity_id: ID.into(),
            result: Ok(SessionPage {
                items: Vec::new(),
                total: Some(total),
            }),
        },
    );
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
    terminal.backend().to_string()
}

fn snapshot_each_size(name: &str, person: &Value, prepare: impl Fn(&mut App)) {
    for (width, height) in SIZES {
        let mut app = app(width, height, person);
        prepare(&mut app);
        let screen = render(&app);
        assert!(!screen.contains('\u{1b}'), "escape reached the screen");
        assert!(screen.contains("type to confirm"), "the field is on screen:\n{screen}");
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen);
    }
}

#[test]
fn delete_screen_reading_sessions() {
    snapshot_each_size("delete_reading", &identity(), |_| {});
}

#[test]
fn delete_screen_half_typed_then_matching_with_a_reason() {
    snapshot_each_size("delete_half_typed", &identity(), |app| {
        counted(app, 5);
        typed(app, "ana.silva@");
    });
    snapshot_each_size("delete_matching_reason", &identity(), |app| {
        counted(app, 5);
        typed(app, "ana.silva@example.com");
        key(app, KeyCode::Tab);
        typed(app, "GDPR-77 erasure");
        key(app, KeyCode::Enter);
    });
}

#[test]
fn delete_screen_after_a_change_on_the_server() {
    snapshot_each_size("delete_changed", &identity(), |app| {
        counted(app, 5);
        typed(app, "ana.silva@example.com");
        key(app, KeyCode::Enter);
        let mut latest = identity();
        latest["traits"]["name"]["first"] = json!("Anna");
        latest["state"] = json!("inactive");
        let changes = idcon::api::delete::changed_since(
            &idcon::api::delete::snapshot(&identity()),
            &idcon::api::delete::snapshot(&latest),
        );
        update(
            app,
            Msg::DeleteDone(Box::new(DeleteDone {
                identity_id: ID.into(),
                result: Ok(DeleteAnswer::Changed { latest, changes }),
            })),
        );
    });
}

#[test]
fn delete_screen_hostile_traits_are_inert() {
    let mut person = identity();
    person["traits"]["name"]["first"] = json!("Evil\u{1b}]0;pwned\u{7}\u{202e}Name");
    person["credentials"]["oidc"]["identifiers"] = json!(["google:\u{1b}[31mred"]);
    snapshot_each_size("delete_hostile", &person, |app| counted(app, 0));
}
