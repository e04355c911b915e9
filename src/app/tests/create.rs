//! The create screen (`n` on the list): schema pick, the empty trait form
//! with its problems as typed, the password typed twice and never shown,
//! the review, the read-only and reason refusals, and what a 201 and a 409
//! leave on screen.

use super::*;
use crate::app::create::{CreateAnswer, CreateDone, CreateOrder, Focus, Stage};
use crate::app::keys::Context;

const NEW_ID: &str = "9b2d1f63-4e5c-4a7f-8b12-6c3d4e5f6071";
const PASSWORD: &str = "Tr0ub4dor&3-horse";

fn schemas() -> Vec<(String, Value)> {
    let email = json!({"properties": {"traits": {
        "type": "object",
        "properties": {
            "email": {
                "type": "string",
                "format": "email",
                "title": "E-mail",
                "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}
            },
            "name": {"type": "string", "title": "Name"}
        },
        "required": ["email"]
    }}});
    let phone = json!({"properties": {"traits": {
        "type": "object",
        "properties": {"phone": {"type": "string", "title": "Phone"}}
    }}});
    vec![("email".to_owned(), email), ("phone".to_owned(), phone)]
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| update(app, ch(c))).collect()
}

fn app_on(profile: ProfileInfo) -> App {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let mut app = App::new(profile, 80, 24, now);
    app.start();
    update(&mut app, Msg::SchemasLoaded(Ok(schemas())));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(page(0..3, None)),
        },
    );
    app
}

fn profile() -> ProfileInfo {
    ProfileInfo {
        name: "support".into(),
        identities_url: "http://127.0.0.1/admin/identities".into(),
        ..Default::default()
    }
}

/// `n`, the `email` schema, its form open.
fn form_open(profile: ProfileInfo) -> App {
    let mut app = app_on(profile);
    update(&mut app, ch('n'));
    assert_eq!(app.screen, Screen::Create);
    update(&mut app, key(KeyCode::Enter));
    app
}

/// The form filled (e-mail, name, the password twice) and reviewed.
fn reviewed(profile: ProfileInfo) -> App {
    let mut app = form_open(profile);
    typed(&mut app, "ada@example.com");
    update(&mut app, key(KeyCode::Tab));
    typed(&mut app, "Ada Lovelace");
    update(&mut app, key(KeyCode::Tab)); // state
    update(&mut app, key(KeyCode::Tab)); // password
    typed(&mut app, PASSWORD);
    update(&mut app, key(KeyCode::Tab)); // again
    typed(&mut app, PASSWORD);
    update(&mut app, ctrl('s'));
    assert_eq!(app.key_context(), Context::CreateReview, "{:?}", app.chrome.status);
    app
}

fn order_of(effects: &[Effect]) -> CreateOrder {
    match effects {
        [Effect::CreateIdentity(order)] => (**order).clone(),
        other => panic!("expected one CreateIdentity, got {other:?}"),
    }
}

#[test]
fn n_offers_the_servers_schemas_and_enter_opens_an_empty_form_of_the_chosen_one() {
    let mut app = app_on(profile());
    update(&mut app, ch('n'));
    assert_eq!(app.key_context(), Context::CreateSchema);
    let screen = app.create.as_ref().expect("the create screen");
    assert_eq!(screen.schemas, vec!["email".to_owned(), "phone".to_owned()]);
    update(&mut app, ch('j'));
    update(&mut app, key(KeyCode::Enter));
    let screen = app.create.as_ref().expect("the create screen");
    assert_eq!(screen.stage, Stage::Form);
    assert_eq!(screen.schema_id, "phone");
    let form = screen.traits.as_ref().expect("a trait form");
    assert_eq!(form.value().0, json!({}), "a new identity's form starts empty");
    assert_eq!(app.key_context(), Context::FormTraitText);
}

#[test]
fn without_schemas_n_says_why_and_stays_on_the_list() {
    let (mut app, _) = started_app();
    update(&mut app, Msg::SchemasLoaded(Ok(Vec::new())));
    update(&mut app, ch('n'));
    assert_eq!(app.screen, Screen::List);
    assert!(
        matches!(&app.chrome.status, Status::Error(s) if s.contains("no identity schema")),
        "{:?}",
        app.chrome.status
    );
}

#[test]
fn a_required_trait_and_a_bad_email_keep_the_review_closed_and_say_where() {
    let mut app = form_open(profile());
    update(&mut app, ctrl('s'));
    assert_eq!(app.create.as_ref().map(|s| s.stage), Some(Stage::Form));
    assert!(
        matches!(&app.chrome.status, Status::Error(s) if s.contains("E-mail")),
        "{:?}",
        app.chrome.status
    );
    typed(&mut app, "not-an-email");
    let problems = app
        .create
        .as_ref()
        .and_then(|s| s.traits.as_ref())
        .map(|f| f.problems().len())
        .unwrap_or_default();
    assert!(problems > 0, "the problem shows as typed");
    update(&mut app, ctrl('s'));
    assert_eq!(app.create.as_ref().map(|s| s.stage), Some(Stage::Form));
}

#[test]
fn two_different_passwords_are_refused_with_the_focus_on_the_second() {
    let mut app = form_open(profile());
    typed(&mut app, "ada@example.com");
    for _ in 0..3 {
        update(&mut app, key(KeyCode::Tab));
    }
    assert_eq!(app.key_context(), Context::FormField);
    typed(&mut app, PASSWORD);
    update(&mut app, key(KeyCode::Tab));
    typed(&mut app, "something else");
    update(&mut app, ctrl('s'));
    let screen = app.create.as_ref().expect("the create screen");
    assert_eq!(screen.stage, Stage::Form);
    assert_eq!(screen.focus, Focus::Again);
    assert!(matches!(&app.chrome.status, Status::Error(s) if s.contains("passwords differ")));
}

#[test]
fn the_review_names_the_person_and_the_password_never_appears_in_state_debug_or_history() {
    let mut app = reviewed(profile());
    let screen = app.create.as_ref().expect("the create screen");
    assert_eq!(screen.who.identifier.as_deref(), Some("ada@example.com"));
    assert_eq!(
        screen.body,
        json!({"schema_id": "email", "state": "active", "traits": {"email": "ada@example.com", "name": "Ada Lovelace"}})
    );
    assert_eq!(screen.password_words(), Some("set (sent for the server to hash)"));
    assert!(
        !format!("{app:?}").contains(PASSWORD),
        "the password is in the app's Debug"
    );
    let effects = update(&mut app, key(KeyCode::Enter));
    let order = order_of(&effects);
    assert_eq!(order.password.as_ref().map(|p| p.0.as_str()), Some(PASSWORD));
    assert!(!order.hash_here);
    assert_eq!(order.identifier.as_deref(), Some("ada@example.com"));
    assert!(
        order.body.get("credentials").is_none(),
        "the body reviewed holds no secret"
    );
    assert!(
        !format!("{effects:?}").contains(PASSWORD),
        "the password is in the effect's Debug"
    );
    assert!(!format!("{app:?}").contains(PASSWORD));
    assert_eq!(app.key_context(), Context::CreateSending);
    let entry = app.history.entries.last().expect("a history entry");
    assert!(entry.changed.iter().any(|c| c.contains("password set")));
}

#[test]
fn hash_here_is_asked_for_in_the_order() {
    let mut app = form_open(profile());
    typed(&mut app, "ada@example.com");
    for _ in 0..3 {
        update(&mut app, key(KeyCode::Tab));
    }
    typed(&mut app, PASSWORD);
    update(&mut app, key(KeyCode::Tab));
    typed(&mut app, PASSWORD);
    update(&mut app, key(KeyCode::Tab));
    assert_eq!(app.key_context(), Context::FormToggle);
    update(&mut app, ch(' '));
    update(&mut app, ctrl('s'));
    let effects = update(&mut app, ch('y'));
    assert!(order_of(&effects).hash_here);
}

#[test]
fn a_read_only_profile_refuses_on_the_review_and_sends_nothing() {
    let mut app = reviewed(ProfileInfo {
        read_only: true,
        ..profile()
    });
    let effects = update(&mut app, key(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::AuditRefusal { identity_id: None, reason }] if reason.contains("read-only")),
        "{effects:?}"
    );
    assert_eq!(app.key_context(), Context::CreateReview);
}

#[test]
fn a_required_reason_is_asked_for_before_sending() {
    let mut app = reviewed(ProfileInfo {
        require_reason: true,
        ..profile()
    });
    let effects = update(&mut app, key(KeyCode::Enter));
    assert!(effects.is_empty(), "{effects:?}");
    // The reason line takes the keys at once.
    assert_eq!(app.key_context(), Context::CreateReason);
    typed(&mut app, "HR-7");
    update(&mut app, key(KeyCode::Enter));
    let order = order_of(&update(&mut app, key(KeyCode::Enter)));
    assert_eq!(order.why.as_deref(), Some("HR-7"));
}

#[test]
fn created_opens_the_new_identity_and_puts_its_row_in_the_list() {
    let mut app = reviewed(profile());
    update(&mut app, key(KeyCode::Enter));
    let identity = json!({
        "id": NEW_ID,
        "schema_id": "email",
        "state": "active",
        "traits": {"email": "ada@example.com", "name": "Ada Lovelace"},
        "updated_at": "2026-11-24T12:00:00Z"
    });
    update(
        &mut app,
        Msg::CreateDone(Box::new(CreateDone {
            result: Ok(CreateAnswer::Created {
                identity,
                status: 201,
                request_id: "req-1".into(),
                response: None,
            }),
        })),
    );
    assert!(app.create.is_none(), "the screen (and the password) is gone");
    assert_eq!(app.screen, Screen::Detail);
    assert_eq!(app.detail.id(), Some(NEW_ID));
    assert!(
        app.detail.identity().is_some(),
        "the detail shows it without another read"
    );
    assert!(app.list.rows.iter().any(|r| r.id == NEW_ID));
    assert!(
        matches!(&app.chrome.status, Status::Info(s) if s.contains("Created") && s.contains("201")),
        "{:?}",
        app.chrome.status
    );
    assert!(!app.busy());
}

#[test]
fn a_conflict_keeps_the_review_and_says_who_holds_the_identifier() {
    let mut app = reviewed(profile());
    update(&mut app, key(KeyCode::Enter));
    let why = "\"ada@example.com\" is already taken by 0190 (ada@example.com (Ada King))";
    update(
        &mut app,
        Msg::CreateDone(Box::new(CreateDone {
            result: Ok(CreateAnswer::Conflict(why.into())),
        })),
    );
    assert_eq!(app.key_context(), Context::CreateReview);
    assert_eq!(app.create.as_ref().and_then(|s| s.error.as_deref()), Some(why));
    assert!(matches!(&app.chrome.status, Status::Error(s) if s.contains("already taken")));
    // Back to the form, everything typed is still there.
    update(&mut app, key(KeyCode::Esc));
    let screen = app.create.as_ref().expect("the create screen");
    assert_eq!(screen.stage, Stage::Form);
    assert_eq!(screen.password.expose(), PASSWORD);
}

#[test]
fn esc_after_typing_asks_before_dropping_it() {
    let mut app = form_open(profile());
    typed(&mut app, "ada@example.com");
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.key_context(), Context::Discard);
    update(&mut app, ch('x'));
    assert_eq!(app.create.as_ref().map(|s| s.stage), Some(Stage::Form));
    update(&mut app, key(KeyCode::Esc));
    update(&mut app, ch('y'));
    assert!(app.create.is_none());
    assert_eq!(app.screen, Screen::List);
}

/// The form filled (e-mail, name), the focus moved to `target` by Tab.
fn at_field(target: Focus) -> App {
    let mut app = form_open(profile());
    typed(&mut app, "ada@example.com");
    update(&mut app, key(KeyCode::Tab));
    typed(&mut app, "Ada Lovelace");
    for _ in 0..10 {
        if app.create.as_ref().map(|s| s.focus) == Some(target) {
            break;
        }
        update(&mut app, key(KeyCode::Tab));
    }
    assert_eq!(app.create.as_ref().map(|s| s.focus), Some(target));
    assert_eq!(app.key_context(), Context::FormField);
    app
}

fn problem_line(app: &App) -> String {
    app.create.as_ref().and_then(|s| s.field_problem()).unwrap_or_default()
}

#[test]
fn metadata_that_is_not_a_json_object_is_refused_at_its_field_as_typed() {
    let mut app = at_field(Focus::MetadataPublic);
    typed(&mut app, "{\"team\": ");
    assert!(
        problem_line(&app).starts_with("metadata_public: not JSON yet"),
        "{}",
        problem_line(&app)
    );
    typed(&mut app, "\"ops\"}");
    assert_eq!(problem_line(&app), "", "a whole object is fine");
    update(&mut app, key(KeyCode::Tab));
    typed(&mut app, "[1, 2]");
    assert!(
        problem_line(&app).contains("metadata_admin: must be a JSON object"),
        "{}",
        problem_line(&app)
    );
    // Ctrl-S from elsewhere comes back to the field that is wrong.
    update(&mut app, key(KeyCode::BackTab));
    update(&mut app, ctrl('s'));
    let screen = app.create.as_ref().expect("the create screen");
    assert_eq!(screen.stage, Stage::Form);
    assert_eq!(screen.focus, Focus::MetadataAdmin);
    assert!(
        matches!(&app.chrome.status, Status::Error(s) if s.contains("metadata_admin") && s.contains("JSON object")),
        "{:?}",
        app.chrome.status
    );
}

#[test]
fn metadata_typed_or_pasted_goes_into_the_body_the_review_and_the_history() {
    let mut app = at_field(Focus::MetadataPublic);
    typed(&mut app, r#"{"team": "ops"}"#);
    update(&mut app, key(KeyCode::Tab));
    update(
        &mut app,
        Msg::Paste("{\n  \"ticket\": \"HR-7\",\n  \"level\": 2\n}\n".into()),
    );
    assert_eq!(problem_line(&app), "", "pretty JSON pasted is joined into one line");
    update(&mut app, ctrl('s'));
    assert_eq!(app.key_context(), Context::CreateReview, "{:?}", app.chrome.status);
    let screen = app.create.as_ref().expect("the create screen");
    assert_eq!(screen.body["metadata_public"], json!({"team": "ops"}));
    assert_eq!(screen.body["metadata_admin"], json!({"ticket": "HR-7", "level": 2}));
    assert_eq!(screen.password_words(), None);
    let order = order_of(&update(&mut app, key(KeyCode::Enter)));
    assert_eq!(order.body["metadata_admin"]["ticket"], "HR-7");
    assert!(order.password.is_none() && order.password_hash.is_none());
    let entry = app.history.entries.last().expect("a history entry");
    assert!(
        entry.changed.iter().any(|c| c == "metadata_admin set"),
        "{:?}",
        entry.changed
    );
}

#[test]
fn empty_metadata_is_left_out_of_the_body() {
    let mut app = at_field(Focus::MetadataPublic);
    typed(&mut app, "   ");
    update(&mut app, ctrl('s'));
    let screen = app.create.as_ref().expect("the create screen");
    assert_eq!(screen.stage, Stage::Review);
    assert!(screen.body.get("metadata_public").is_none() && screen.body.get("metadata_admin").is_none());
}

#[test]
fn a_phc_hash_kratos_would_not_import_is_refused_at_the_field_in_plain_words() {
    let mut app = at_field(Focus::Hash);
    let bad = "$argon2id$v=19$m=65536,t=3,p=4$not-base64!$nope";
    update(&mut app, Msg::Paste(bad.into()));
    update(&mut app, key(KeyCode::Tab));
    update(&mut app, ctrl('s'));
    let screen = app.create.as_ref().expect("the create screen");
    assert_eq!(screen.stage, Stage::Form);
    assert_eq!(screen.focus, Focus::Hash, "the focus goes to the hash");
    let problem = problem_line(&app);
    assert!(
        problem.starts_with("PHC hash: Kratos would not import it: "),
        "{problem}"
    );
    assert!(!problem.contains(bad), "the error never quotes the hash: {problem}");
    assert!(!format!("{:?}", app.chrome.status).contains(bad));
    // Editing the hash takes the stale error away.
    update(&mut app, key(KeyCode::Backspace));
    assert_eq!(problem_line(&app), "");
}

#[test]
fn a_password_and_a_hash_both_are_refused() {
    let mut app = at_field(Focus::Password);
    typed(&mut app, PASSWORD);
    update(&mut app, key(KeyCode::Tab));
    typed(&mut app, PASSWORD);
    update(&mut app, key(KeyCode::Tab)); // hash here
    update(&mut app, key(KeyCode::Tab)); // the hash
    let hash = crate::hashes::hash_password_argon2id(PASSWORD).unwrap_or_default();
    update(&mut app, Msg::Paste(hash));
    update(&mut app, ctrl('s'));
    let screen = app.create.as_ref().expect("the create screen");
    assert_eq!(screen.stage, Stage::Form);
    assert_eq!(screen.focus, Focus::Hash);
    assert!(
        matches!(&app.chrome.status, Status::Error(s) if s.contains("keep one")),
        "{:?}",
        app.chrome.status
    );
}

#[test]
fn a_good_phc_hash_is_sent_as_hashed_password_and_never_shown_debugged_or_kept() {
    let mut app = at_field(Focus::Hash);
    let hash = crate::hashes::hash_password_argon2id(PASSWORD).unwrap_or_default();
    assert!(hash.starts_with("$argon2id$"));
    update(&mut app, Msg::Paste(format!("{hash}\n")));
    let screen = app.create.as_ref().expect("the create screen");
    assert_eq!(screen.phc.masked(), "•".repeat(hash.chars().count()));
    update(&mut app, ctrl('s'));
    assert_eq!(app.key_context(), Context::CreateReview, "{:?}", app.chrome.status);
    let screen = app.create.as_ref().expect("the create screen");
    assert_eq!(screen.password_words(), Some(crate::app::create::IMPORTED_WORDS));
    assert!(
        screen.body.get("credentials").is_none(),
        "the body reviewed holds no secret"
    );
    assert!(!format!("{app:?}").contains(&hash), "the hash is in the app's Debug");
    let effects = update(&mut app, key(KeyCode::Enter));
    let order = order_of(&effects);
    assert_eq!(order.password_hash.as_ref().map(|h| h.0.as_str()), Some(hash.as_str()));
    assert!(order.password.is_none(), "no plaintext goes with an imported hash");
    assert!(
        !format!("{effects:?}").contains(&hash),
        "the hash is in the effect's Debug"
    );
    assert!(!format!("{app:?}").contains(&hash));
    let entry = app.history.entries.last().expect("a history entry");
    assert!(
        entry.changed.iter().any(|c| c == "password set (a hash imported)"),
        "{:?}",
        entry.changed
    );
    assert!(!format!("{entry:?}").contains(&hash));
}
