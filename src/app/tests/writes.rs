//! Writes from the console, at the level of app state: the review names who
//! the write is about and carries a reason; Esc while sending stops the
//! waiting, never the write, and disarms the review; the answer that comes
//! later lands in the same history entry and is told.

use super::super::review::{Stage, WriteOutcome};
use super::*;
use crate::app::history::Outcome;

const ID: &str = "00000000-0000-4000-8000-000000000001";

/// Ana, as the server holds her: active, with an e-mail and a name.
fn ana() -> Value {
    json!({
        "id": ID,
        "schema_id": "phone",
        "state": "active",
        "traits": {"email": "ana.silva@example.com", "phone": "+4915100000001", "name": {"first": "Ana", "last": "Silva"}},
        "updated_at": "2026-11-20T10:00:00Z"
    })
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        update(app, ch(c));
    }
}

/// The detail of Ana, loaded.
fn on_ana(require_reason: bool) -> App {
    let mut app = app_with_rows(0..3);
    app.profile.require_reason = require_reason;
    app.profile.name = "prod".into();
    update(&mut app, key(KeyCode::Down));
    update(&mut app, key(KeyCode::Enter));
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(ana()),
        },
    );
    assert_eq!(app.detail.id(), Some(ID));
    app
}

/// The state form on Ana, toggled to inactive, reviewed.
fn reviewing(require_reason: bool) -> App {
    let mut app = on_ana(require_reason);
    update(&mut app, ch('s'));
    update(&mut app, ch(' '));
    update(&mut app, ctrl('s'));
    assert_eq!(app.screen, Screen::Review, "{:?}", app.chrome.status);
    app
}

fn status(app: &App) -> String {
    match &app.chrome.status {
        Status::None => String::new(),
        Status::Info(text) | Status::Error(text) => text.clone(),
    }
}

fn writes(effects: &[Effect]) -> Vec<&review::WriteRequest> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Write(request) => Some(request.as_ref()),
            _ => None,
        })
        .collect()
}

/// The server's `200 OK` to the PUT, with Ana inactive.
fn saved() -> WriteOutcome {
    let mut identity = ana();
    identity["state"] = json!("inactive");
    identity["updated_at"] = json!("2026-11-24T12:00:01Z");
    let exchange = crate::api::Exchange {
        request_id: "req-1".into(),
        method: "PUT".into(),
        url: format!("http://127.0.0.1/admin/identities/{ID}"),
        request_headers: Vec::new(),
        request_body: None,
        status: 200,
        reason: "OK".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: identity.to_string().into_bytes(),
        started_at: Utc::now(),
        elapsed: std::time::Duration::from_millis(412),
    };
    WriteOutcome::Answered {
        response: review::response_view(&exchange, Some(ID.into())),
        identity: Some(identity),
    }
}

#[test]
fn the_review_names_the_identity_by_identifier_and_name() {
    let app = reviewing(false);
    let review = app.edit.review.as_ref().map(|r| r.who.label()).unwrap_or_default();
    assert_eq!(review, "ana.silva@example.com (Ana Silva)");
}

#[test]
fn who_is_sanitised_and_falls_back_to_the_id() {
    let hostile = json!({"id": ID, "traits": {"email": "evil\u{1b}[2J@example.com", "name": "\u{202e}Eve"}});
    let app = app_with_rows(0..1);
    let label = crate::app::review::Who::of(&app, &hostile).label();
    assert!(!label.chars().any(crate::sanitize::is_unsafe), "{label:?}");
    assert!(label.contains("evil") && label.contains("Eve"), "{label}");
    let nobody = crate::app::review::Who::of(&app, &json!({"id": ID, "traits": {}}));
    assert_eq!(nobody.label(), format!("identity {ID}"));
}

/// The bug of issue 14: `y`, Esc, `y` sent a second PUT (refused by the
/// freshness check), the first one's `200` was shown as the second's answer,
/// and `H` listed one request. Now the second `y` sends nothing and says
/// why, and the answer of the first lands in its own entry.
#[test]
fn after_stopping_the_wait_y_sends_nothing_and_the_answer_still_lands() {
    let mut app = reviewing(false);
    let first = update(&mut app, ch('y'));
    assert_eq!(writes(&first).len(), 1);
    assert_eq!(app.key_context(), crate::app::keys::Context::ReviewSending);

    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.key_context(), crate::app::keys::Context::ReviewStopped);
    assert!(status(&app).contains("still followed"), "{}", status(&app));
    assert_eq!(app.history.entries.len(), 1);
    assert_eq!(app.history.entries[0].outcome, Outcome::StoppedWaiting);
    assert!(app.busy(), "the write is still followed (the spinner says so)");

    let again = update(&mut app, ch('y'));
    assert!(writes(&again).is_empty(), "a second y sends nothing: {again:?}");
    assert!(status(&app).contains("Not sent again"), "{}", status(&app));
    assert_eq!(app.history.entries.len(), 1, "no second request");

    // The answer comes while the stopped review is still open: shown there.
    update(&mut app, Msg::WriteDone(saved()));
    assert_eq!(app.screen, Screen::Response);
    // Deactivating then revokes all sessions (on by default); its answer.
    update(
        &mut app,
        Msg::SessionWriteDone {
            identity_id: ID.into(),
            result: Ok("Revoked all sessions of this identity: HTTP 204".into()),
        },
    );
    assert!(!app.busy());
    let entry = &app.history.entries[0];
    assert_eq!(entry.outcome, Outcome::Answered);
    assert!(entry.late, "it came after the user stopped waiting");
    assert_eq!(entry.outcome_label().1, "✓ 200 OK");
    assert_eq!(entry.changed, vec!["/state".to_owned()]);
    assert_eq!(
        app.detail.identity().and_then(|i| i.get("state")).cloned(),
        Some(json!("inactive")),
        "the detail shows what the server returned"
    );
}

/// Leaving the stopped review for the form: the answer is told on the
/// status line, recorded in the one entry, and the form now builds on the
/// server's new version (a second review says there is nothing to send).
#[test]
fn a_late_answer_after_leaving_the_review_is_told_and_recorded() {
    let mut app = reviewing(false);
    update(&mut app, ch('y'));
    update(&mut app, key(KeyCode::Esc));
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Form, "Esc on the stopped review: back to the form");

    // Ctrl-S and y again while the first is in flight: nothing is sent.
    update(&mut app, ctrl('s'));
    assert_eq!(app.screen, Screen::Review);
    let effects = update(&mut app, ch('y'));
    assert!(writes(&effects).is_empty(), "{effects:?}");
    assert!(status(&app).contains("still in flight"), "{}", status(&app));
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Form);

    update(&mut app, Msg::WriteDone(saved()));
    assert_eq!(app.screen, Screen::Form, "the user is not moved");
    let told = status(&app);
    assert!(
        told.contains("ana.silva@example.com") && told.contains("200 OK") && told.contains("saved"),
        "{told}"
    );
    assert_eq!(app.history.entries.len(), 1);
    assert_eq!(app.history.entries[0].outcome_label().1, "✓ 200 OK");
    assert_eq!(
        app.edit.form.as_ref().and_then(|f| f.base.get("state")).cloned(),
        Some(json!("inactive")),
        "the form builds on what the server holds now"
    );
    update(&mut app, ctrl('s'));
    assert_eq!(app.screen, Screen::Form, "nothing left to send");

    // H: one entry, who, what, how it ended; Enter shows the answer.
    update(&mut app, key(KeyCode::Esc));
    if app.key_context() == crate::app::keys::Context::Discard {
        update(&mut app, ch('y'));
    }
    assert_eq!(app.screen, Screen::Detail);
    update(&mut app, ch('H'));
    assert_eq!(app.screen, Screen::History);
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Response);
    assert_eq!(app.edit.response.as_ref().and_then(|r| r.status), Some(200));
}

#[test]
fn late_failures_say_what_became_of_the_write() {
    let cases: Vec<(WriteOutcome, &str, &str)> = vec![
        (
            WriteOutcome::Failed {
                error: "timed out after 30 s".into(),
                response: None,
            },
            "failed: timed out after 30 s",
            "timed out",
        ),
        (
            WriteOutcome::Changed {
                latest: Box::new(crate::write::Snapshot::from_raw(ana()).unwrap_or_else(|e| panic!("{e}"))),
                server_changes: Vec::new(),
            },
            "not sent: changed on the server",
            "not sent",
        ),
    ];
    for (outcome, label, told) in cases {
        let mut app = reviewing(false);
        update(&mut app, ch('y'));
        update(&mut app, key(KeyCode::Esc));
        update(&mut app, key(KeyCode::Esc));
        update(&mut app, Msg::WriteDone(outcome));
        assert_eq!(app.history.entries.len(), 1);
        assert_eq!(app.history.entries[0].outcome_label().1, label);
        assert!(status(&app).contains(told), "{}", status(&app));
        // A new write may go now.
        update(&mut app, ctrl('s'));
        let effects = update(&mut app, ch('y'));
        assert_eq!(writes(&effects).len(), 1, "{}", status(&app));
    }
}

/// `r` gives the reason line the keys; Enter keeps it, and `y` sends it
/// with the write (the audit `intent` records it as `why`). The next review
/// of the run offers it again; Esc undoes the typing.
#[test]
fn the_reason_goes_with_the_write_and_is_offered_next_time() {
    let mut app = reviewing(false);
    update(&mut app, ch('r'));
    assert_eq!(app.key_context(), crate::app::keys::Context::ReviewReason);
    typed(&mut app, "SUP-4711 customer asked");
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.key_context(), crate::app::keys::Context::ReviewReady);
    let effects = update(&mut app, ch('y'));
    let sent = writes(&effects);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].reason.as_deref(), Some("SUP-4711 customer asked"));
    assert_eq!(sent[0].identifier.as_deref(), Some("ana.silva@example.com"));
    update(&mut app, Msg::WriteDone(saved()));
    assert_eq!(
        app.history.entries[0].reason.as_deref(),
        Some("SUP-4711 customer asked")
    );

    // The next write (back to active) starts with the same reason.
    update(&mut app, key(KeyCode::Esc));
    update(&mut app, ch('s'));
    update(&mut app, ch(' '));
    update(&mut app, ctrl('s'));
    let review = app
        .edit
        .review
        .as_ref()
        .map(|r| (r.reason.text().to_owned(), r.reason.remembered()));
    assert_eq!(review, Some(("SUP-4711 customer asked".to_owned(), true)));
    // r, typing, Esc: the reason is as it was.
    update(&mut app, ch('r'));
    typed(&mut app, " and more");
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(
        app.edit.review.as_ref().map(|r| r.reason.text().to_owned()).as_deref(),
        Some("SUP-4711 customer asked")
    );
}

/// A `require_reason` profile: `y` without a reason sends nothing, says so,
/// and gives the reason line the keys; with one, it sends.
#[test]
fn a_profile_that_requires_a_reason_refuses_y_without_one() {
    let mut app = reviewing(true);
    let effects = update(&mut app, ch('y'));
    assert!(writes(&effects).is_empty(), "{effects:?}");
    assert!(app.history.entries.is_empty());
    assert!(status(&app).contains("requires a reason"), "{}", status(&app));
    assert_eq!(app.key_context(), crate::app::keys::Context::ReviewReason);
    // Only spaces are no reason.
    typed(&mut app, "   ");
    update(&mut app, key(KeyCode::Enter));
    assert!(writes(&update(&mut app, ch('y'))).is_empty());
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    typed(&mut app, "SUP-1");
    update(&mut app, key(KeyCode::Enter));
    let effects = update(&mut app, ch('y'));
    assert_eq!(
        writes(&effects).first().and_then(|w| w.reason.as_deref()),
        Some("SUP-1")
    );
}

#[test]
fn a_reason_longer_than_the_trail_keeps_is_refused_not_cut() {
    let mut app = reviewing(false);
    update(&mut app, ch('r'));
    // A paste goes into the reason line (and nowhere while it has no keys).
    update(
        &mut app,
        Msg::Paste("x".repeat(crate::write::reason::MAX_REASON_CHARS + 1)),
    );
    update(&mut app, key(KeyCode::Enter));
    let effects = update(&mut app, ch('y'));
    assert!(writes(&effects).is_empty());
    assert!(status(&app).contains("at most"), "{}", status(&app));
}

/// `m`/`o` are offered (footer and help) only while the server's change
/// waits for a decision, never on a plain review.
#[test]
fn merge_and_overwrite_are_offered_only_during_a_conflict() {
    let offered = |context| -> Vec<&'static str> {
        crate::app::keys::bindings(context)
            .into_iter()
            .filter(|b| b.in_footer)
            .map(|b| b.keys)
            .collect()
    };
    for context in [
        crate::app::keys::Context::ReviewReady,
        crate::app::keys::Context::ReviewReason,
        crate::app::keys::Context::ReviewSending,
        crate::app::keys::Context::ReviewStopped,
    ] {
        let keys = offered(context);
        assert!(!keys.contains(&"m") && !keys.contains(&"o"), "{context:?}: {keys:?}");
    }
    let conflict = offered(crate::app::keys::Context::ReviewConflict);
    assert!(conflict.contains(&"m") && conflict.contains(&"o"), "{conflict:?}");

    let mut app = reviewing(false);
    update(&mut app, ch('y'));
    let mut changed = ana();
    changed["traits"]["name"]["last"] = json!("Costa");
    let latest = crate::write::Snapshot::from_raw(changed.clone()).unwrap_or_else(|e| panic!("{e}"));
    let server_changes = crate::diff::diff(&ana(), &changed);
    update(
        &mut app,
        Msg::WriteDone(WriteOutcome::Changed {
            latest: Box::new(latest),
            server_changes,
        }),
    );
    assert!(matches!(
        app.edit.review.as_ref().map(|r| &r.stage),
        Some(Stage::Conflict { .. })
    ));
    assert_eq!(app.key_context(), crate::app::keys::Context::ReviewConflict);
    assert_eq!(app.history.entries[0].outcome, Outcome::NotSent);
}
