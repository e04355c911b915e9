//! Render snapshots of the identity's Sessions section (issue 17) at 80x24
//! and 200x50: read, filtered, loading more, failed, hostile device text.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use idcon::api::sessions::{Session, SessionPage};
use idcon::app::{App, LoadedPage, Msg, ProfileInfo, update};
use idcon::ui::{theme::Theme, view};
use ratatui::{Terminal, backend::TestBackend};
use serde_json::{Value, json};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];
const ID: &str = "10000000-5b1e-4c2d-9a8f-000000000000";

fn identity() -> Value {
    json!({
        "id": ID,
        "schema_id": "email",
        "state": "active",
        "traits": {"email": "ana.silva@example.com", "name": {"first": "Ana", "last": "Silva"}},
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

fn session(value: Value) -> Session {
    match serde_json::from_value(value) {
        Ok(session) => session,
        Err(e) => panic!("test session: {e}"),
    }
}

/// Five sessions like the demo's: two active (one with two devices), one
/// revoked, two expired.
fn sessions() -> Vec<Session> {
    vec![
        session(json!({
            "id": "5e55a001-1111-4aaa-8bbb-000000000001", "active": true,
            "authenticated_at": "2026-11-24T09:12:00Z", "expires_at": "2026-11-25T09:12:00Z",
            "authenticator_assurance_level": "aal2",
            "authentication_methods": [{"method": "password"}, {"method": "totp"}],
            "devices": [
                {"ip_address": "203.0.113.7", "location": "Berlin, DE",
                 "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"},
                {"ip_address": "2001:db8::42", "location": "Hamburg, DE", "user_agent": "idcon-tests/1.0"}
            ]
        })),
        session(json!({
            "id": "5e55a002-1111-4aaa-8bbb-000000000002", "active": true,
            "authenticated_at": "2026-11-23T18:40:00Z", "expires_at": "2026-11-24T18:40:00Z",
            "authenticator_assurance_level": "aal1",
            "authentication_methods": [{"method": "oidc", "provider": "google"}],
            "devices": [{"ip_address": "198.51.100.23", "location": "Lisbon, PT",
                         "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)"}]
        })),
        session(json!({
            "id": "5e55a003-1111-4aaa-8bbb-000000000003", "active": false,
            "authenticated_at": "2026-11-22T07:00:00Z", "expires_at": "2026-11-29T07:00:00Z",
            "authenticator_assurance_level": "aal1",
            "authentication_methods": [{"method": "code"}],
            "devices": []
        })),
        session(json!({
            "id": "5e55a004-1111-4aaa-8bbb-000000000004", "active": false,
            "authenticated_at": "2026-11-10T07:00:00Z", "expires_at": "2026-11-11T07:00:00Z",
            "authenticator_assurance_level": "aal1",
            "authentication_methods": [{"method": "password"}],
            "devices": [{"ip_address": "192.0.2.1", "user_agent": "curl/8.5.0"}]
        })),
    ]
}

fn loaded(app: &mut App, active_only: bool, items: Vec<Session>, total: Option<u64>) {
    update(
        app,
        Msg::SessionsLoaded {
            identity_id: ID.into(),
            active_only,
            page: 0,
            result: Ok(SessionPage { items, total }),
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

fn snapshot_each_size(name: &str, prepare: impl Fn(&mut App)) {
    for (width, height) in SIZES {
        let mut app = app(width, height);
        prepare(&mut app);
        let screen = render(&app);
        assert!(!screen.contains('\u{1b}'), "escape reached the screen");
        assert!(screen.contains("Sessions"), "the Sessions tab is on screen:\n{screen}");
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen);
    }
}

#[test]
fn sessions_read() {
    snapshot_each_size("sessions_read", |app| {
        key(app, KeyCode::Char('7'));
        loaded(app, false, sessions(), Some(4));
        key(app, KeyCode::Down);
    });
}

#[test]
fn sessions_loading_and_failed() {
    snapshot_each_size("sessions_loading", |app| key(app, KeyCode::Char('7')));
    snapshot_each_size("sessions_failed", |app| {
        key(app, KeyCode::Char('7'));
        update(
            app,
            Msg::SessionsLoaded {
                identity_id: ID.into(),
                active_only: false,
                page: 0,
                result: Err("HTTP 502 Bad Gateway from http://127.0.0.1:4455/admin/identities/…/sessions".into()),
            },
        );
    });
}

#[test]
fn sessions_active_only_and_none() {
    snapshot_each_size("sessions_active_none", |app| {
        key(app, KeyCode::Char('7'));
        loaded(app, false, sessions(), Some(4));
        key(app, KeyCode::Char('a'));
        loaded(app, true, Vec::new(), Some(0));
    });
}

#[test]
fn sessions_hostile_device_text() {
    snapshot_each_size("sessions_hostile", |app| {
        key(app, KeyCode::Char('7'));
        let hostile = session(json!({
            "id": "5e55\u{1b}[2Ja001-evil", "active": true,
            "expires_at": "2026-11-25T09:12:00Z",
            "authenticator_assurance_level": "aal1\u{202e}",
            "authentication_methods": [{"method": "password\u{7}"}],
            "devices": [{"ip_address": "10.0.0.1\r\n", "location": "\u{1b}]0;pwned\u{7}Nowhere",
                         "user_agent": "x\u{1b}]52;c;cm0gLXJmIH4=\u{7}agent"}]
        }));
        loaded(app, false, vec![hostile], Some(1));
    });
}

#[test]
fn session_write_confirms() {
    snapshot_each_size("sessions_confirm_revoke", |app| {
        key(app, KeyCode::Char('7'));
        loaded(app, false, sessions(), Some(4));
        key(app, KeyCode::Char('x'));
    });
    snapshot_each_size("sessions_confirm_revoke_all_reason", |app| {
        key(app, KeyCode::Char('7'));
        loaded(app, false, sessions(), Some(4));
        key(app, KeyCode::Char('X'));
        key(app, KeyCode::Char('r'));
        for c in "SUP-4711 account taken over".chars() {
            key(app, KeyCode::Char(c));
        }
    });
    snapshot_each_size("sessions_confirm_extend", |app| {
        key(app, KeyCode::Char('7'));
        loaded(app, false, sessions(), Some(4));
        key(app, KeyCode::Down);
        key(app, KeyCode::Char('+'));
    });
}

/// A draft waiting while the Sessions section is shown: the offer line names
/// `d` to discard it (`x` revokes the chosen session here), and at 80
/// columns the time is said relatively so the keys stay on screen.
#[test]
fn sessions_with_a_draft_waiting() {
    snapshot_each_size("sessions_draft_waiting", |app| {
        let mut draft = idcon::drafts::Draft::new(
            "demo",
            ID,
            "state",
            json!({"active": false, "revoke_sessions": false}),
            Some("2026-11-20T08:00:00Z".into()),
        );
        draft.saved_at = "2026-11-24T11:02:00.000Z".into();
        update(app, Msg::DraftsListed(Ok(vec![draft])));
        update(
            app,
            Msg::IdentityLoaded {
                id: ID.into(),
                result: Ok(identity()),
            },
        );
        key(app, KeyCode::Char('7'));
        loaded(app, false, sessions(), Some(4));
        let screen = render(app);
        assert!(screen.contains("d discard"), "{screen}");
        assert!(!screen.contains("x discard"), "{screen}");
    });
}
