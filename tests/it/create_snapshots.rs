//! Render snapshots of the create screen (`n` on the list, issue 18) at
//! 80x24 and 200x50: the schema pick, the filled form (the password as
//! bullets), the review (the person named, the password as "set") and a 409
//! explained on the review.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use idcon::app::create::{CreateAnswer, CreateDone};
use idcon::app::{App, LoadedPage, Msg, ProfileInfo, update};
use idcon::ui::{theme::Theme, view};
use ratatui::{Terminal, backend::TestBackend};
use serde_json::json;

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];
const PASSWORD: &str = "correct-horse-battery";

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
    let email = json!({"properties": {"traits": {
        "type": "object",
        "properties": {
            "email": {
                "type": "string",
                "format": "email",
                "title": "E-mail",
                "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}
            },
            "name": {"type": "object", "properties": {
                "first": {"type": "string", "title": "First name"},
                "last": {"type": "string", "title": "Last name"}
            }}
        },
        "required": ["email"]
    }}});
    let phone = json!({"properties": {"traits": {"type": "object", "properties": {"phone": {"type": "string"}}}}});
    update(
        &mut app,
        Msg::SchemasLoaded(Ok(vec![("email".into(), email), ("phone".into(), phone)])),
    );
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(LoadedPage {
                items: Vec::new(),
                next: None,
            }),
        },
    );
    key(&mut app, KeyCode::Char('n'));
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

/// The `email` schema's form: e-mail, first and last name, both passwords.
fn filled(app: &mut App) {
    key(app, KeyCode::Enter);
    typed(app, "ana.silva@example.com");
    key(app, KeyCode::Tab);
    typed(app, "Ana");
    key(app, KeyCode::Tab);
    typed(app, "Silva");
    key(app, KeyCode::Tab); // state
    key(app, KeyCode::Tab);
    typed(app, PASSWORD);
    key(app, KeyCode::Tab);
    typed(app, PASSWORD);
}

fn reviewed(app: &mut App) {
    filled(app);
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)));
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

fn snapshot_each_size(name: &str, shows: &str, prepare: impl Fn(&mut App)) {
    for (width, height) in SIZES {
        let mut app = app(width, height);
        prepare(&mut app);
        let screen = render(&app);
        assert!(!screen.contains('\u{1b}'), "escape reached the screen");
        assert!(!screen.contains(PASSWORD), "the password reached the screen:\n{screen}");
        assert!(screen.contains(shows), "{shows:?} is not on screen:\n{screen}");
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen);
    }
}

#[test]
fn create_schema_pick() {
    snapshot_each_size("create_schema_pick", "Choose its identity schema", |_| {});
}

#[test]
fn create_form_filled_with_the_password_masked() {
    snapshot_each_size("create_form_filled", "•••••", filled);
}

#[test]
fn create_review_names_the_person_and_says_the_password_is_set() {
    snapshot_each_size("create_review", "Create ana.silva@example.com", reviewed);
}

#[test]
fn create_conflict_says_who_holds_the_identifier() {
    snapshot_each_size("create_conflict", "already taken by", |app| {
        reviewed(app);
        key(app, KeyCode::Enter);
        update(
            app,
            Msg::CreateDone(Box::new(CreateDone {
                result: Ok(CreateAnswer::Conflict(
                    "\"ana.silva@example.com\" is already taken by 0190e7a2 (ana.silva@example.com (Ana Souza))".into(),
                )),
            })),
        );
    });
}

/// The same form with metadata typed (the admin one not an object yet) and
/// a PHC hash pasted instead of a password.
fn filled_with_metadata_and_a_hash(app: &mut App) {
    key(app, KeyCode::Enter);
    typed(app, "ana.silva@example.com");
    key(app, KeyCode::Tab);
    typed(app, "Ana");
    key(app, KeyCode::Tab);
    typed(app, "Silva");
    for _ in 0..5 {
        key(app, KeyCode::Tab); // state, password, again, hash here, the hash
    }
    update(app, Msg::Paste(hash()));
    key(app, KeyCode::Tab);
    typed(app, r#"{"team": "ops", "desk": 4}"#);
    key(app, KeyCode::Tab);
    typed(app, r#"["HR-7"]"#);
}

/// An argon2id hash of [`PASSWORD`] (its length, all the screen shows of
/// it, is the same each run).
fn hash() -> String {
    match idcon::hashes::hash_password_argon2id(PASSWORD) {
        Ok(hash) => hash,
        Err(e) => panic!("hashing: {e}"),
    }
}

fn snapshot_without_the_hash(name: &str, shows: &str, prepare: impl Fn(&mut App, &str)) {
    let hash = hash();
    for (width, height) in SIZES {
        let mut app = app(width, height);
        prepare(&mut app, &hash);
        let screen = render(&app);
        assert!(!screen.contains('\u{1b}'), "escape reached the screen");
        assert!(!screen.contains("$argon2id$"), "the hash reached the screen:\n{screen}");
        assert!(screen.contains(shows), "{shows:?} is not on screen:\n{screen}");
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen);
    }
}

#[test]
fn create_form_with_metadata_and_a_hash_masked_and_the_bad_metadata_said() {
    snapshot_without_the_hash(
        "create_form_metadata_hash",
        "metadata_admin: must be a JSON object",
        |app, _| filled_with_metadata_and_a_hash(app),
    );
}

#[test]
fn create_review_lists_the_metadata_and_says_the_hash_is_imported() {
    snapshot_without_the_hash("create_review_metadata_hash", "set (a hash imported)", |app, _| {
        filled_with_metadata_and_a_hash(app);
        for _ in 0..8 {
            key(app, KeyCode::Backspace);
        }
        typed(app, r#"{"ticket": "HR-7"}"#);
        update(app, Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)));
    });
}
