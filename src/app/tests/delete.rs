//! The delete screen (`Ctrl-D`): what goes is listed, Enter deletes only
//! once the identifier is typed exactly, the reason rule holds, a change
//! found by the re-read is shown and asked again, and afterwards the list
//! has lost the row.

use super::*;
use crate::app::delete::{DeleteAnswer, DeleteDone, DeleteOrder, SessionCount, Stage};
use crate::app::keys::Context;

const ID: &str = "7a1c0e52-3d4b-4f6e-9a01-5b2c3d4e5f60";

fn person() -> Value {
    json!({
        "id": ID,
        "schema_id": "email",
        "state": "active",
        "traits": {"email": "sofia@example.com", "name": {"first": "Sofia", "last": "Berg"}},
        "metadata_admin": {"ticket": "SUP-1"},
        "credentials": {
            "password": {"type": "password", "identifiers": ["sofia@example.com"], "config": {}},
            "oidc": {"type": "oidc", "identifiers": ["google:1234"], "config": {"providers": []}}
        },
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

fn ctrl_d() -> Msg {
    Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('d'),
        crossterm::event::KeyModifiers::CONTROL,
    ))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| update(app, ch(c))).collect()
}

/// The detail of [`person`], then `Ctrl-D`.
fn opened() -> App {
    let mut app = opened_in_detail(email_schema(), person());
    let effects = update(&mut app, ctrl_d());
    assert_eq!(app.screen, Screen::Delete);
    assert!(
        matches!(effects.as_slice(), [Effect::CountDeleteSessions { identity_id }] if identity_id == ID),
        "{effects:?}"
    );
    app
}

fn order(effects: &[Effect]) -> DeleteOrder {
    match effects {
        [Effect::DeleteIdentity(order)] => (**order).clone(),
        other => panic!("expected one DeleteIdentity, got {other:?}"),
    }
}

#[test]
fn the_screen_lists_what_goes_and_counts_the_sessions() {
    let mut app = opened();
    let Some(screen) = app.delete.as_ref() else {
        panic!("no screen")
    };
    assert_eq!(screen.expected(), "sofia@example.com");
    let kinds: Vec<&str> = screen.credentials.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, ["password", "oidc"]);
    assert_eq!(screen.snapshot["metadata_admin"]["ticket"], "SUP-1");
    assert_eq!(screen.sessions, SessionCount::Reading);
    update(
        &mut app,
        Msg::DeleteSessionsCounted {
            identity_id: ID.into(),
            result: Ok(crate::api::sessions::SessionPage {
                items: Vec::new(),
                total: Some(3),
            }),
        },
    );
    let Some(screen) = app.delete.as_ref() else {
        panic!("no screen")
    };
    assert_eq!(screen.sessions, SessionCount::Known { count: 3, more: false });
}

#[test]
fn enter_deletes_only_once_the_identifier_is_typed_exactly() {
    let mut app = opened();
    typed(&mut app, "sofia@example.co");
    assert!(update(&mut app, key(KeyCode::Enter)).is_empty(), "not the identifier");
    assert!(matches!(&app.chrome.status, Status::Error(e) if e.contains("sofia@example.com")));
    assert_eq!(app.screen, Screen::Delete);
    typed(&mut app, "m ");
    assert!(update(&mut app, key(KeyCode::Enter)).is_empty(), "a space too many");
    update(&mut app, key(KeyCode::Backspace));
    let effects = update(&mut app, key(KeyCode::Enter));
    let order = order(&effects);
    assert_eq!(order.identity_id, ID);
    assert_eq!(order.identifier.as_deref(), Some("sofia@example.com"));
    assert_eq!(order.snapshot["traits"]["email"], "sofia@example.com");
    assert!(order.snapshot.get("updated_at").is_none());
    assert_eq!(app.key_context(), Context::DeleteSending);
    assert!(
        update(&mut app, key(KeyCode::Esc)).is_empty(),
        "no way out while it goes"
    );
}

#[test]
fn the_reason_goes_with_it_and_a_required_one_is_asked_for() {
    let mut app = opened();
    app.profile.require_reason = true;
    typed(&mut app, "sofia@example.com");
    assert!(update(&mut app, key(KeyCode::Enter)).is_empty(), "no reason given");
    assert!(
        matches!(&app.chrome.status, Status::Error(_)),
        "{:?}",
        app.chrome.status
    );
    update(&mut app, key(KeyCode::Tab));
    assert_eq!(app.key_context(), Context::DeleteReason);
    typed(&mut app, "GDPR-9");
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.key_context(), Context::DeleteConfirm);
    let order = order(&update(&mut app, key(KeyCode::Enter)));
    assert_eq!(order.why.as_deref(), Some("GDPR-9"));
}

#[test]
fn a_read_only_profile_refuses_without_opening_the_screen() {
    let mut app = opened_in_detail(email_schema(), person());
    app.profile.read_only = true;
    let effects = update(&mut app, ctrl_d());
    assert!(
        matches!(effects.as_slice(), [Effect::AuditRefusal { identity_id: Some(id), .. }] if id == ID),
        "{effects:?}"
    );
    assert_eq!(app.screen, Screen::Detail);
    assert!(app.delete.is_none());
}

#[test]
fn esc_goes_back_with_nothing_sent() {
    let mut app = opened();
    typed(&mut app, "sofia@example.com");
    let effects = update(&mut app, key(KeyCode::Esc));
    assert!(
        effects.iter().all(|e| matches!(e, Effect::Cancel(_))),
        "only the count is cancelled: {effects:?}"
    );
    assert_eq!(app.screen, Screen::Detail);
    assert!(app.delete.is_none());
}

#[test]
fn deleted_returns_to_the_list_without_the_row() {
    let mut app = opened();
    typed(&mut app, "sofia@example.com");
    order(&update(&mut app, key(KeyCode::Enter)));
    update(
        &mut app,
        Msg::DeleteDone(Box::new(DeleteDone {
            identity_id: ID.into(),
            result: Ok(DeleteAnswer::Deleted {
                status: 204,
                request_id: "req-1".into(),
                response: None,
            }),
        })),
    );
    assert_eq!(app.screen, Screen::List);
    assert!(app.delete.is_none());
    let listed = app
        .history
        .entries
        .last()
        .map(|r| (r.outcome.clone(), r.reason.clone()));
    assert_eq!(
        listed,
        Some((crate::app::history::Outcome::Answered, None)),
        "in the request history"
    );
    assert!(app.list.rows.iter().all(|r| r.id != ID), "the row is gone");
    assert!(
        matches!(&app.chrome.status, Status::Info(s) if s.contains("Deleted sofia@example.com") && s.contains("204")),
        "{:?}",
        app.chrome.status
    );
}

#[test]
fn a_change_found_before_sending_is_shown_and_asked_again() {
    let mut app = opened();
    typed(&mut app, "sofia@example.com");
    order(&update(&mut app, key(KeyCode::Enter)));
    let mut latest = person();
    latest["traits"]["email"] = json!("sofia.berg@example.com");
    let changes = crate::api::delete::changed_since(
        &crate::api::delete::snapshot(&person()),
        &crate::api::delete::snapshot(&latest),
    );
    update(
        &mut app,
        Msg::DeleteDone(Box::new(DeleteDone {
            identity_id: ID.into(),
            result: Ok(DeleteAnswer::Changed { latest, changes }),
        })),
    );
    assert_eq!(app.screen, Screen::Delete);
    let Some(screen) = app.delete.as_ref() else {
        panic!("no screen")
    };
    assert_eq!(screen.stage, Stage::Confirm);
    assert_eq!(screen.changed.len(), 1);
    assert_eq!(screen.changed[0].pointer, "/traits/email");
    assert_eq!(screen.expected(), "sofia.berg@example.com", "the new identifier");
    assert!(
        update(&mut app, key(KeyCode::Enter)).is_empty(),
        "the old text no longer matches"
    );
    for _ in 0.."sofia@example.com".len() {
        update(&mut app, key(KeyCode::Backspace));
    }
    typed(&mut app, "sofia.berg@example.com");
    let order = order(&update(&mut app, key(KeyCode::Enter)));
    assert_eq!(
        order.snapshot["traits"]["email"], "sofia.berg@example.com",
        "the snapshot now"
    );
}

#[test]
fn a_failure_is_said_and_the_screen_stays() {
    let mut app = opened();
    typed(&mut app, "sofia@example.com");
    order(&update(&mut app, key(KeyCode::Enter)));
    update(
        &mut app,
        Msg::DeleteDone(Box::new(DeleteDone {
            identity_id: ID.into(),
            result: Err("HTTP 500 \u{1b}[31m".into()),
        })),
    );
    assert_eq!(app.screen, Screen::Delete);
    assert_eq!(app.key_context(), Context::DeleteConfirm);
    assert!(
        matches!(&app.chrome.status, Status::Error(e) if e.contains("Not deleted") && !e.contains('\u{1b}')),
        "{:?}",
        app.chrome.status
    );
}
