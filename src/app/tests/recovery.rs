//! The recovery screen (`R`): choices checked before anything is sent, one
//! question naming the person, the answer held in one place only and
//! dropped on leaving, refusals and failures said in words.

use super::*;
use crate::api::recovery::{RecoveryAnswer, RecoveryKind, RecoverySecret};
use crate::app::keys::Context;
use crate::app::recovery::{RecoveryDone, RecoveryOrder, Stage};

const ID: &str = "7a1c0e52-3d4b-4f6e-9a01-5b2c3d4e5f60";
const LINK: &str = "http://127.0.0.1:4433/self-service/recovery?flow=0b3c&token=AbCdEfGhIjKlMnOpQrStUvWxYz012345";
const CODE: &str = "043917";

fn person() -> Value {
    json!({
        "id": ID,
        "schema_id": "email",
        "state": "active",
        "traits": {"email": "sofia@example.com", "name": {"first": "Sofia", "last": "Berg"}},
        "recovery_addresses": [{"value": "sofia@example.com", "via": "email"}],
        "updated_at": "2026-11-20T10:00:00Z"
    })
}

fn email_schema() -> Vec<(String, Value)> {
    vec![(
        "email".to_owned(),
        json!({"properties": {"traits": {"properties": {"email": {
            "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}
        }}}}}),
    )]
}

fn opened() -> App {
    opened_in_detail(email_schema(), person())
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| update(app, ch(c))).collect()
}

/// `R`, the expiry typed (Tab to it, Tab back), Enter: the question.
fn asked(app: &mut App, expiry: &str) {
    assert!(update(app, ch('R')).is_empty(), "opening the screen sends nothing");
    assert_eq!(app.screen, Screen::Recovery);
    if !expiry.is_empty() {
        update(app, key(KeyCode::Tab));
        typed(app, expiry);
    }
    assert!(update(app, key(KeyCode::Enter)).is_empty(), "Enter only asks");
}

fn order(effects: &[Effect]) -> RecoveryOrder {
    match effects {
        [Effect::CreateRecovery(order)] => (**order).clone(),
        other => panic!("expected one CreateRecovery, got {other:?}"),
    }
}

fn answer(kind: RecoveryKind) -> RecoveryAnswer {
    RecoveryAnswer {
        kind,
        link: RecoverySecret::new(LINK.to_owned()),
        code: (kind == RecoveryKind::Code).then(|| RecoverySecret::new(CODE.to_owned())),
        expires_at: Some("2026-11-24T13:00:00Z".to_owned()),
    }
}

fn done(result: Result<RecoveryAnswer, String>) -> Msg {
    Msg::RecoveryDone(Box::new(RecoveryDone {
        identity_id: ID.to_owned(),
        result,
        response: None,
        audit_warning: None,
    }))
}

fn status(app: &App) -> String {
    match &app.chrome.status {
        Status::Info(s) | Status::Error(s) => s.clone(),
        Status::None => String::new(),
    }
}

fn question(app: &App) -> String {
    let Some(screen) = app.recovery.as_ref() else {
        panic!("the recovery screen is not open");
    };
    match &screen.stage {
        Stage::Confirm { expires_in, .. } => screen.question(expires_in.as_ref()),
        other => panic!("not asking: {other:?}"),
    }
}

#[test]
fn a_link_is_asked_for_once_naming_the_person_then_sent_with_the_expiry() {
    let mut app = opened();
    asked(&mut app, "1h");
    assert_eq!(
        question(&app),
        "Create a recovery link for sofia@example.com (Sofia Berg), valid 1h? y/n"
    );
    let effects = update(&mut app, ch('y'));
    let sent = order(&effects);
    assert_eq!(sent.request.identity_id, ID);
    assert_eq!(sent.request.kind, RecoveryKind::Link);
    assert_eq!(sent.request.expires_in.as_ref().map(|e| e.as_str()), Some("1h"));
    assert_eq!(sent.identifier.as_deref(), Some("sofia@example.com"));
    assert_eq!(app.key_context(), Context::RecoverySending);
    // Nothing more goes out while it is on its way.
    for c in ['y', 'q'] {
        assert!(update(&mut app, ch(c)).is_empty());
    }
    assert!(update(&mut app, key(KeyCode::Esc)).is_empty());
    assert_eq!(app.screen, Screen::Recovery, "the answer is waited for");
}

#[test]
fn a_code_with_the_servers_default_expiry_says_so() {
    let mut app = opened();
    update(&mut app, ch('R'));
    update(&mut app, key(KeyCode::Right));
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(
        question(&app),
        "Create a recovery code for sofia@example.com (Sofia Berg), valid for the server's default lifespan \
         (Kratos: 1h)? y/n"
    );
    let sent = order(&update(&mut app, ch('y')));
    assert_eq!(sent.request.kind, RecoveryKind::Code);
    assert_eq!(sent.request.expires_in, None, "no expires_in: the server's lifespan");
}

#[test]
fn an_expiry_kratos_would_not_read_is_refused_before_anything_is_asked() {
    let mut app = opened();
    asked(&mut app, "1d");
    assert!(
        matches!(app.recovery.as_ref().map(|s| &s.stage), Some(Stage::Choose)),
        "still choosing"
    );
    assert!(status(&app).contains("\"1d\" is not a duration"), "{}", status(&app));
    // Fixed in place: Backspace, then a unit Go knows.
    update(&mut app, key(KeyCode::Backspace));
    typed(&mut app, "h");
    update(&mut app, key(KeyCode::Enter));
    assert!(question(&app).contains("valid 1h"), "{}", question(&app));
    // n goes back to the choices, nothing sent.
    assert!(update(&mut app, ch('n')).is_empty());
    assert!(matches!(app.recovery.as_ref().map(|s| &s.stage), Some(Stage::Choose)));
}

#[test]
fn a_required_reason_is_asked_for_and_carried_with_the_request() {
    let mut app = opened();
    app.profile.require_reason = true;
    asked(&mut app, "");
    assert!(status(&app).contains("requires a reason"), "{}", status(&app));
    assert_eq!(app.key_context(), Context::RecoveryReason);
    typed(&mut app, "SUP-4711 locked out");
    update(&mut app, key(KeyCode::Enter));
    update(&mut app, key(KeyCode::Enter));
    let sent = order(&update(&mut app, ch('y')));
    assert_eq!(sent.why.as_deref(), Some("SUP-4711 locked out"));
    assert_eq!(app.history.last_reason.as_deref(), Some("SUP-4711 locked out"));
}

#[test]
fn a_read_only_profile_refuses_with_an_audit_line_and_no_request() {
    let mut app = opened();
    app.profile.read_only = true;
    let effects = update(&mut app, ch('R'));
    match effects.as_slice() {
        [Effect::AuditRefusal { identity_id, reason }] => {
            assert_eq!(identity_id.as_deref(), Some(ID));
            assert!(reason.contains("read-only"), "{reason}");
        }
        other => panic!("expected only a refusal, got {other:?}"),
    }
    assert_eq!(app.screen, Screen::Detail);
    assert!(app.recovery.is_none());
    assert!(status(&app).contains("read-only"), "{}", status(&app));
}

#[test]
fn the_answer_is_held_only_on_the_screen_and_dropped_on_leaving() {
    let mut app = opened();
    asked(&mut app, "1h");
    update(&mut app, ch('y'));
    update(&mut app, done(Ok(answer(RecoveryKind::Link))));
    assert_eq!(app.key_context(), Context::RecoveryAnswer);
    assert!(status(&app).contains("Recovery link created"), "{}", status(&app));
    // Nothing printable of the app holds it (Debug redacts the secret).
    assert!(
        !format!("{app:?}").contains("AbCdEfGh"),
        "the secret is in the app's Debug"
    );
    // The history says that it was made and until when, never the secret.
    let entry = app.history.entries.last().cloned();
    let Some(entry) = entry else { panic!("no history entry") };
    assert_eq!(
        entry.changed_label(),
        "recovery link created, expires 2026-11-24 13:00:00 UTC"
    );
    assert!(!format!("{entry:?}").contains("AbCdEfGh"));
    // y copies it.
    assert_eq!(update(&mut app, ch('y')), vec![Effect::Copy(LINK.to_owned())]);
    // Esc asks; n stays; Esc y leaves and the screen is gone.
    assert!(update(&mut app, key(KeyCode::Esc)).is_empty());
    assert_eq!(app.key_context(), Context::RecoveryLeave);
    update(&mut app, ch('n'));
    assert_eq!(app.key_context(), Context::RecoveryAnswer);
    update(&mut app, ch('q'));
    assert_eq!(app.key_context(), Context::RecoveryLeave);
    update(&mut app, ch('y'));
    assert_eq!(app.screen, Screen::Detail);
    assert!(app.recovery.is_none(), "the secret is dropped with the screen");
    assert!(app.drafts.known.is_empty());
}

#[test]
fn a_code_is_what_y_copies() {
    let mut app = opened();
    update(&mut app, ch('R'));
    update(&mut app, key(KeyCode::Left));
    update(&mut app, key(KeyCode::Enter));
    update(&mut app, ch('y'));
    update(&mut app, done(Ok(answer(RecoveryKind::Code))));
    assert_eq!(update(&mut app, ch('y')), vec![Effect::Copy(CODE.to_owned())]);
    assert!(status(&app).contains("Copied the code"), "{}", status(&app));
}

#[test]
fn a_secret_with_control_characters_is_not_copied() {
    let mut app = opened();
    asked(&mut app, "");
    update(&mut app, ch('y'));
    let mut hostile = answer(RecoveryKind::Link);
    hostile.link = RecoverySecret::new(format!("{LINK}\n; rm -rf ~"));
    update(&mut app, done(Ok(hostile)));
    assert!(update(&mut app, ch('y')).is_empty());
    assert!(status(&app).contains("Not copied"), "{}", status(&app));
}

#[test]
fn a_failure_is_said_in_words_and_the_choices_stay_to_try_again() {
    let mut app = opened();
    asked(&mut app, "1h");
    update(&mut app, ch('y'));
    let why = "recovery by link is switched off on this server (selfservice.methods.link.enabled); no recovery \
               link was made: try a code (→ on the choices)";
    update(&mut app, done(Err(why.to_owned())));
    let Some(screen) = app.recovery.as_ref() else {
        panic!("the screen closed on a failure")
    };
    assert!(matches!(screen.stage, Stage::Choose));
    assert_eq!(screen.error.as_deref(), Some(why));
    assert_eq!(screen.expiry.text(), "1h", "what was typed is kept");
    assert!(matches!(&app.chrome.status, Status::Error(s) if s.contains("No recovery link was made")));
    let entry = app
        .history
        .entries
        .last()
        .map(|e| (e.changed_label(), e.outcome.clone()));
    assert_eq!(
        entry,
        Some((
            "recovery link: none made".to_owned(),
            history::Outcome::Failed(why.to_owned())
        ))
    );
    // Back to the kind (the expiry had the focus), a code, and again.
    update(&mut app, key(KeyCode::BackTab));
    update(&mut app, key(KeyCode::Right));
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(order(&update(&mut app, ch('y'))).request.kind, RecoveryKind::Code);
}

#[test]
fn esc_on_the_choices_leaves_and_nothing_is_sent() {
    let mut app = opened();
    update(&mut app, ch('R'));
    assert!(update(&mut app, key(KeyCode::Esc)).is_empty());
    assert_eq!(app.screen, Screen::Detail);
    assert!(status(&app).contains("Nothing was sent"), "{}", status(&app));
    assert!(app.history.entries.is_empty());
}

#[test]
fn a_paste_goes_into_the_expiry_field_only_when_it_has_the_focus() {
    let mut app = opened();
    update(&mut app, ch('R'));
    update(&mut app, Msg::Paste("30m".to_owned()));
    assert_eq!(
        app.recovery.as_ref().map(|s| s.expiry.text().to_owned()),
        Some(String::new())
    );
    update(&mut app, key(KeyCode::Tab));
    update(&mut app, Msg::Paste(" 30m\n".to_owned()));
    assert_eq!(
        app.recovery.as_ref().map(|s| s.expiry.text().to_owned()),
        Some("30m".to_owned())
    );
}
