//! Render snapshots of issue 18 in the console at 80x24 and 200x50: the
//! Credentials section with the chosen link marked, the removal's confirm
//! screen, the Addresses section and the verification's confirm screen.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use idcon::app::{App, LoadedPage, Msg, ProfileInfo, update};
use idcon::ui::{theme::Theme, view};
use ratatui::{Terminal, backend::TestBackend};
use serde_json::{Value, json};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];
const ID: &str = "10000000-5b1e-4c2d-9a8f-000000000018";

fn identity() -> Value {
    json!({
        "id": ID,
        "schema_id": "email",
        "state": "active",
        "traits": {"email": "ana.silva@example.com", "name": {"first": "Ana", "last": "Silva"}},
        "credentials": {
            "password": {"type": "password", "identifiers": ["ana.silva@example.com"], "version": 0,
                         "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-02-01T00:00:00Z"},
            "oidc": {"type": "oidc", "identifiers": ["google:1098765", "github:4242\u{1b}[2J"], "version": 0,
                     "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"},
            "totp": {"type": "totp", "identifiers": [], "version": 0,
                     "created_at": "2026-03-01T00:00:00Z", "updated_at": "2026-03-01T00:00:00Z"}
        },
        "verifiable_addresses": [
            {"id": "a1", "value": "ana.silva@example.com", "via": "email", "verified": false, "status": "sent"},
            {"id": "a2", "value": "+351912345678", "via": "sms", "verified": true, "status": "completed",
             "verified_at": "2026-10-01T08:00:00Z"}
        ],
        "recovery_addresses": [{"value": "ana.silva@example.com", "via": "email"}],
        "updated_at": "2026-11-20T10:00:00Z"
    })
}

fn app(width: u16, height: u16) -> App {
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
                items: vec![identity()],
                next: None,
            }),
        },
    );
    key(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(identity()),
        },
    );
    app
}

fn key(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
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

fn snapshot_each_size(name: &str, expect: &str, prepare: impl Fn(&mut App)) {
    for (width, height) in SIZES {
        let mut app = app(width, height);
        prepare(&mut app);
        let screen = render(&app);
        assert!(!screen.contains('\u{1b}'), "escape reached the screen");
        assert!(screen.contains(expect), "{expect:?} on screen:\n{screen}");
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen);
    }
}

#[test]
fn credentials_chosen_link() {
    snapshot_each_size("credentials_chosen_link", "▶ github", |app| {
        key(app, KeyCode::Char('4'));
        key(app, KeyCode::Down);
        key(app, KeyCode::Down);
    });
}

#[test]
fn credentials_confirm_removal() {
    // The hostile link: its escape sequence shown as text, in the box too.
    snapshot_each_size("credentials_confirm_removal", "Remove a credential", |app| {
        key(app, KeyCode::Char('4'));
        key(app, KeyCode::Down);
        key(app, KeyCode::Down);
        key(app, KeyCode::Char('x'));
    });
}

#[test]
fn credentials_confirm_totp() {
    snapshot_each_size("credentials_confirm_totp", "authenticator app", |app| {
        key(app, KeyCode::Char('4'));
        key(app, KeyCode::End);
        key(app, KeyCode::Char('x'));
    });
}

#[test]
fn addresses_chosen() {
    snapshot_each_size("addresses_chosen", "▶ +351912345678", |app| {
        key(app, KeyCode::Char('5'));
        key(app, KeyCode::Down);
    });
}

#[test]
fn addresses_confirm_verify() {
    snapshot_each_size("addresses_confirm_verify", "Mark an address verified", |app| {
        key(app, KeyCode::Char('5'));
        key(app, KeyCode::Char('v'));
    });
}
