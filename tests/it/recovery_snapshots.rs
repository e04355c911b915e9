//! Render snapshots of the recovery screen (`R`, issue 17) at 80x24 and
//! 200x50: the choices, the question, the answer as a link and as a code
//! (read out on the phone), leaving it, and a failure in plain words.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use idcon::api::recovery::{RecoveryAnswer, RecoveryKind, RecoverySecret};
use idcon::app::recovery::RecoveryDone;
use idcon::app::{App, LoadedPage, Msg, ProfileInfo, update};
use idcon::ui::{theme::Theme, view};
use ratatui::{Terminal, backend::TestBackend};
use serde_json::{Value, json};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];
const ID: &str = "7a1c0e52-3d4b-4f6e-9a01-5b2c3d4e5f60";
const LINK: &str = "http://127.0.0.1:4433/self-service/recovery?flow=0b3c5d7e-1f2a-4b6c-8d9e-0a1b2c3d4e5f&token=AbCdEfGhIjKlMnOpQrStUvWxYz012345";

fn identity(recovery_addresses: bool) -> Value {
    let mut identity = json!({
        "id": ID,
        "schema_id": "email",
        "state": "active",
        "traits": {"email": "sofia@example.com", "name": {"first": "Sofia", "last": "Berg"}},
        "updated_at": "2026-11-20T10:00:00Z"
    });
    if recovery_addresses {
        identity["recovery_addresses"] = json!([{"value": "sofia@example.com", "via": "email"}]);
    }
    identity
}

fn app(width: u16, height: u16, recovery_addresses: bool) -> App {
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
                items: vec![identity(recovery_addresses)],
                next: None,
            }),
        },
    );
    key(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(identity(recovery_addresses)),
        },
    );
    key(&mut app, KeyCode::Char('R'));
    app
}

fn key(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn typed(app: &mut App, text: &str) {
    text.chars().for_each(|c| key(app, KeyCode::Char(c)));
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

/// The screen as a person reads it: the backend's rows, without the
/// quoting `TestBackend`'s `Display` puts around each.
fn text_of(screen: &str) -> String {
    screen
        .lines()
        .map(|l| l.trim_start_matches('"').trim_end_matches('"'))
        .collect::<Vec<_>>()
        .join("\n")
}

fn snapshot_each_size(name: &str, recovery_addresses: bool, prepare: impl Fn(&mut App)) -> Vec<String> {
    let mut screens = Vec::new();
    for (width, height) in SIZES {
        let mut app = app(width, height, recovery_addresses);
        prepare(&mut app);
        let screen = render(&app);
        assert!(!screen.contains('\u{1b}'), "escape reached the screen");
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen);
        screens.push(text_of(&screen));
    }
    screens
}

fn answered(app: &mut App, kind: RecoveryKind) {
    if kind == RecoveryKind::Code {
        key(app, KeyCode::Right);
    }
    key(app, KeyCode::Tab);
    typed(app, "1h");
    key(app, KeyCode::Enter);
    key(app, KeyCode::Char('y'));
    let answer = RecoveryAnswer {
        kind,
        link: RecoverySecret::new(LINK.to_owned()),
        code: (kind == RecoveryKind::Code).then(|| RecoverySecret::new("043917".to_owned())),
        expires_at: Some("2026-11-24T12:59:30Z".to_owned()),
    };
    update(
        app,
        Msg::RecoveryDone(Box::new(RecoveryDone {
            identity_id: ID.to_owned(),
            result: Ok(answer),
            response: None,
            audit_warning: None,
        })),
    );
}

#[test]
fn recovery_choose() {
    for screen in snapshot_each_size("recovery_choose", true, |_| {}) {
        assert!(
            screen.contains("Recovery for sofia@example.com (Sofia Berg)"),
            "{screen}"
        );
        assert!(screen.contains("the server's default lifespan"), "{screen}");
    }
}

#[test]
fn recovery_choose_without_a_recovery_address_and_a_bad_expiry() {
    let screens = snapshot_each_size("recovery_choose_warned", false, |app| {
        key(app, KeyCode::Tab);
        typed(app, "1d");
    });
    for screen in screens {
        assert!(screen.contains("no recovery address"), "{screen}");
        assert!(screen.contains("\"1d\" is not a duration"), "{screen}");
    }
}

#[test]
fn recovery_confirm() {
    let screens = snapshot_each_size("recovery_confirm", true, |app| {
        key(app, KeyCode::Tab);
        typed(app, "1h");
        key(app, KeyCode::Enter);
    });
    for screen in screens {
        assert!(
            screen.contains("Create a recovery link for sofia@example.com (Sofia Berg), valid 1h? y/n"),
            "{screen}"
        );
    }
}

#[test]
fn recovery_answer_link() {
    for screen in snapshot_each_size("recovery_answer_link", true, |app| answered(app, RecoveryKind::Link)) {
        // Wrapped on lines of its own, never cut: joined, the link is whole.
        let joined: String = screen.lines().map(str::trim).collect();
        assert!(joined.contains(LINK), "the link is cut:\n{screen}");
        assert!(screen.contains("2026-11-24 12:59:30 UTC (in 59 min)"), "{screen}");
    }
}

#[test]
fn recovery_answer_code() {
    for screen in snapshot_each_size("recovery_answer_code", true, |app| answered(app, RecoveryKind::Code)) {
        assert!(
            screen.contains("0 4 3   9 1 7"),
            "the code spaced on its own line:\n{screen}"
        );
        assert!(screen.contains("██████"), "the code in big digits:\n{screen}");
    }
}

#[test]
fn recovery_leaving_asks() {
    let screens = snapshot_each_size("recovery_leaving", true, |app| {
        answered(app, RecoveryKind::Link);
        key(app, KeyCode::Esc);
    });
    for screen in screens {
        assert!(
            screen.contains("The link will not be shown again. Leave? y/n"),
            "{screen}"
        );
    }
}

#[test]
fn recovery_failed() {
    let why = "recovery by link is switched off on this server (selfservice.methods.link.enabled); no recovery \
               link was made: try a code (→ on the choices)";
    let screens = snapshot_each_size("recovery_failed", true, |app| {
        key(app, KeyCode::Enter);
        key(app, KeyCode::Char('y'));
        update(
            app,
            Msg::RecoveryDone(Box::new(RecoveryDone {
                identity_id: ID.to_owned(),
                result: Err(why.to_owned()),
                response: None,
                audit_warning: None,
            })),
        );
    });
    for screen in screens {
        assert!(screen.contains("switched off on this server"), "{screen}");
        assert!(screen.contains("No recovery link was made"), "{screen}");
    }
}

/// The smallest terminal the console draws in (60x15): the question and
/// the whole answer still show; the big digits give way first.
#[test]
fn at_60x15_nothing_that_matters_is_cut() {
    let mut asking = app(60, 15, false);
    key(&mut asking, KeyCode::Tab);
    typed(&mut asking, "1h");
    key(&mut asking, KeyCode::Enter);
    let screen = text_of(&render(&asking));
    let joined: String = screen.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    assert!(joined.contains("valid 1h? y/n"), "the question is on screen:\n{screen}");

    let mut answering = app(60, 15, true);
    answered(&mut answering, RecoveryKind::Code);
    let screen = text_of(&render(&answering));
    assert!(screen.contains("0 4 3   9 1 7"), "{screen}");
    let joined: String = screen.lines().map(str::trim).collect();
    assert!(joined.contains(LINK), "the link is whole:\n{screen}");
    assert!(screen.contains("(in 59 min)"), "{screen}");
    assert!(screen.contains("y copies the code"), "{screen}");
}
