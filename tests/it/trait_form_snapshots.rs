//! Render snapshots of the traits form (`e`) at 80x24 and 200x50: each demo
//! schema with errors shown, every kind of field, a long form scrolled to
//! its focused field, the refusal of Ctrl-S and the switch to the JSON
//! editor. At 80x24 the focused field's hints stand under it; at 200x50
//! every field's hints stand beside it.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use idcon::app::{App, LoadedPage, Msg, ProfileInfo, Screen, update};
use idcon::ui::{theme::Theme, view};
use ratatui::{Terminal, backend::TestBackend};
use serde_json::{Value, json};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];
const ID: &str = "16000000-5b1e-4c2d-9a8f-000000000016";

fn demo_schema(file: &str) -> Value {
    let text = match file {
        "email" => include_str!("../../assets/demo/schemas/email-password.schema.json"),
        _ => include_str!("../../assets/demo/schemas/phone-password.schema.json"),
    };
    match serde_json::from_str(text) {
        Ok(schema) => schema,
        Err(e) => panic!("demo schema {file}: {e}"),
    }
}

/// Every kind of field the form knows, and a part it shows as JSON.
fn every_kind_schema() -> Value {
    json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {"traits": {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email", "title": "E-Mail",
                      "ory.sh/kratos": {"credentials": {"password": {"identifier": true}},
                                        "verification": {"via": "email"}, "recovery": {"via": "email"}}},
            "age": {"type": "integer", "minimum": 16, "maximum": 120, "title": "Age"},
            "newsletter": {"type": "boolean", "title": "Newsletter", "description": "Monthly product news"},
            "plan": {"enum": ["free", "pro", "enterprise"], "title": "Plan"},
            "name": {"type": "object", "title": "Name", "properties": {
                "first": {"type": "string", "title": "First Name", "maxLength": 40},
                "last": {"type": "string", "title": "Last Name", "maxLength": 40}}},
            "tags": {"type": "array", "title": "Tags", "items": {"type": "string"}, "maxItems": 5},
            "addresses": {"type": "array", "title": "Addresses", "items": {"type": "object", "properties": {
                "city": {"type": "string", "title": "City"},
                "zip": {"type": "string", "title": "ZIP", "pattern": "^[0-9]{5}$"}}}},
            "contact": {"title": "Contact", "oneOf": [{"type": "string"}, {"type": "integer"}]}
        },
        "required": ["email"]
    }}})
}

fn long_schema() -> Value {
    let mut properties = serde_json::Map::new();
    for n in 0..30 {
        properties.insert(
            format!("field{n:02}"),
            json!({"type": "string", "title": format!("Field {n}"), "description": format!("Field number {n} of a long form")}),
        );
    }
    json!({"properties": {"traits": {"type": "object", "properties": properties}}})
}

/// A console of `width`x`height` on the detail of an identity of `schema_id`
/// with `traits`, the schemas known.
fn detail(width: u16, height: u16, schema_id: &str, traits: Value) -> App {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let profile = ProfileInfo {
        name: "demo".into(),
        base_url: "http://127.0.0.1:4455".into(),
        identities_url: "http://127.0.0.1:4455/admin/identities".into(),
        signing: true,
        issuance_token_pointer: "/metadata_admin/yoti/issuance_token".into(),
        ..Default::default()
    };
    let mut app = App::new(profile, width, height, now);
    app.start();
    update(
        &mut app,
        Msg::SchemasLoaded(Ok(vec![
            ("email".into(), demo_schema("email")),
            ("phone".into(), demo_schema("phone")),
            ("every".into(), every_kind_schema()),
            ("long".into(), long_schema()),
        ])),
    );
    let identity = json!({
        "id": ID, "schema_id": schema_id, "state": "active", "traits": traits,
        "metadata_public": null, "metadata_admin": null,
        "created_at": "2025-12-24T09:30:00Z", "updated_at": "2026-11-20T10:00:00Z"
    });
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
    key(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(identity),
        },
    );
    key(&mut app, KeyCode::Char('e'));
    assert_eq!(app.screen, Screen::Form);
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
    terminal.backend().to_string()
}

/// What a person reads: the screen's words with single spaces.
fn words(screen: &str) -> String {
    screen
        .lines()
        .map(|line| line.trim_matches('"'))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Snapshots `name` at both sizes after `prepare`, checking `expect` is read.
fn snapshot(name: &str, schema_id: &str, traits: Value, prepare: impl Fn(&mut App), expect: &[&str]) {
    for (width, height) in SIZES {
        let mut app = detail(width, height, schema_id, traits.clone());
        prepare(&mut app);
        let screen = render(&app);
        assert!(!screen.contains('\u{1b}'), "escape reached the screen");
        let read = words(&screen);
        for text in expect {
            assert!(
                read.contains(text),
                "{name} at {width}x{height} lacks {text:?}:\n{screen}"
            );
        }
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen);
    }
}

fn ada() -> Value {
    json!({"email": "ada.lovelace@example.com", "name": {"first": "Ada", "last": "Lovelace"}})
}

#[test]
fn the_email_demo_schema_with_an_invalid_email() {
    snapshot(
        "email_schema_invalid",
        "email",
        ada(),
        |app| {
            ctrl(app, 'u');
            type_text(app, "ada@");
        },
        &[
            "E-Mail *",
            "First Name",
            "Last Name",
            "✗ not an e-mail address, e.g. name@example.com",
            "sign-in identifier (password): this is what the person signs in with",
            "verification and recovery address (by email): a changed value becomes a new, unverified address",
        ],
    );
}

#[test]
fn ctrl_s_refuses_and_points_at_the_first_invalid_field() {
    snapshot(
        "email_schema_refused",
        "email",
        ada(),
        |app| {
            ctrl(app, 'u');
            type_text(app, "ada@");
            key(app, KeyCode::Tab);
            key(app, KeyCode::Tab);
            ctrl(app, 's');
        },
        &["✗ E-Mail: not an e-mail address, e.g. name@example.com: fix it first"],
    );
}

#[test]
fn the_phone_demo_schema_with_two_invalid_fields() {
    snapshot(
        "phone_schema_invalid",
        "phone",
        json!({"email": "grace@example.com", "phone": "+4915112345678"}),
        |app| {
            ctrl(app, 'u');
            type_text(app, "gh");
            key(app, KeyCode::Tab);
            ctrl(app, 'u');
            type_text(app, "call me");
        },
        &[
            "Phone number *",
            "✗ not a phone number in international form, e.g. +4915112345678",
            "✗ too short: at least 3 characters",
            "verification address (by sms)",
        ],
    );
}

fn everything() -> Value {
    json!({
        "email": "ada@example.com", "age": 36, "newsletter": true, "plan": "pro",
        "name": {"first": "Ada", "last": "Lovelace"},
        "tags": ["vip", "beta"],
        "addresses": [{"city": "London", "zip": "W1"}],
        "contact": 42,
        "nickname": "Countess"
    })
}

#[test]
fn every_kind_of_field_with_the_choice_list_open() {
    snapshot(
        "every_kind",
        "every",
        everything(),
        |app| {
            // age: a typo; then to the plan, its list open.
            key(app, KeyCode::Tab);
            type_text(app, "x");
            key(app, KeyCode::Tab);
            key(app, KeyCode::Tab);
            key(app, KeyCode::Enter);
            key(app, KeyCode::Down);
        },
        &["✗ not a whole number: type digits, e.g. 42", "› enterprise", "[x] yes"],
    );
}

#[test]
fn every_kind_of_field_further_down() {
    snapshot(
        "every_kind_lists",
        "every",
        everything(),
        |app| {
            // To the ZIP of the first address, which does not match.
            for _ in 0..11 {
                key(app, KeyCode::Tab);
            }
        },
        &["› ZIP", "✗ does not match the pattern ^[0-9]{5}$"],
    );
}

#[test]
fn a_part_shown_as_json_and_a_trait_not_in_the_schema() {
    snapshot(
        "every_kind_json_part",
        "every",
        everything(),
        |app| {
            for _ in 0..12 {
                key(app, KeyCode::Tab);
            }
        },
        &["› Contact", "42", "edited as JSON: its schema uses oneOf", "⚠ nickname"],
    );
    snapshot(
        "every_kind_not_in_schema",
        "every",
        everything(),
        |app| {
            for _ in 0..13 {
                key(app, KeyCode::Tab);
            }
        },
        &[
            "› ⚠ nickname",
            "\"Countess\"",
            "not in the identity schema: kept as it is",
        ],
    );
}

#[test]
fn a_long_form_scrolls_to_its_focused_field() {
    snapshot(
        "long_scrolled",
        "long",
        json!({"field00": "first", "field25": "far down"}),
        |app| {
            for _ in 0..25 {
                key(app, KeyCode::Tab);
            }
        },
        &["Field 25", "far down", "Field number 25 of a long form"],
    );
}

#[test]
fn ctrl_j_shows_the_same_value_in_the_json_editor() {
    snapshot(
        "switched_to_json",
        "email",
        ada(),
        |app| {
            key(app, KeyCode::Tab);
            type_text(app, " Augusta");
            ctrl(app, 'j');
        },
        &["\"first\": \"Ada Augusta\"", "Ctrl-J (or F2): the form, on this value"],
    );
}

#[test]
fn hostile_traits_are_escaped_in_the_form() {
    let traits = json!({"email": "x\u{1b}]52;c;cm0=\u{7}@evil.test",
                        "name": {"first": "\u{1b}]0;pwned\u{7}Mallory", "last": "\u{9b}31m\u{202e}"}});
    for (width, height) in SIZES {
        let app = detail(width, height, "email", traits.clone());
        let screen = render(&app);
        assert!(!screen.contains('\u{1b}') && !screen.contains('\u{9b}') && !screen.contains('\u{202e}'));
        assert!(screen.contains("\\u001b]0;pwned\\u0007Mallory"), "{screen}");
    }
}
