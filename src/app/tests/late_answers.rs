//! Answers that come after the user stopped waiting, and forms still open
//! when their change lands (issue 14, point 3).
//!
//! The attribute form (`a`) follows the identity review: Esc while sending
//! stops the waiting, never the update; the review is disarmed (`y` says
//! why); the update stays counted in flight (the spinner runs until its
//! answer) and its answer is told and recorded in its own history entry,
//! marked late. One write is in flight at a time, whichever form sent it.
//!
//! A form left open while its change lands takes the server's answer as its
//! new baseline: Esc closes it without asking when nothing new was typed,
//! and asks when something was.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};

use super::super::forms::{Form, FormBody};
use super::super::history::Outcome;
use super::super::keys::Context;
use super::super::review::{WriteOutcome, response_view};
use super::super::*;

const ID: &str = "00000000-0000-4000-8000-000000000009";
const TOKEN: &str = "aXNzdWFuY2UtdG9rZW4tc29maWEtMDAwOQ==";
const NAME: &str = "com.example.membership";

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ch(app: &mut App, c: char) -> Vec<Effect> {
    press(app, KeyCode::Char(c))
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| ch(app, c)).collect()
}

fn status(app: &App) -> String {
    match &app.chrome.status {
        Status::None => String::new(),
        Status::Info(text) | Status::Error(text) => text.clone(),
    }
}

fn attribute_sends(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::WriteAttribute(_)))
        .count()
}

fn identity_sends(effects: &[Effect]) -> usize {
    effects.iter().filter(|e| matches!(e, Effect::Write(_))).count()
}

/// Sofia, with her issuance token where the profile looks for it.
fn sofia() -> Value {
    json!({
        "id": ID,
        "schema_id": "email",
        "state": "active",
        "traits": {"email": "sofia.rossi@example.com", "name": {"first": "Sofia", "last": "Rossi"}},
        "metadata_public": {"tier": "gold"},
        "metadata_admin": {"yoti": {"issuance_token": TOKEN}},
        "updated_at": "2026-11-20T10:00:00Z"
    })
}

/// A schema that names the e-mail as the identifier and takes any traits.
fn schema() -> Value {
    json!({"type": "object", "properties": {"traits": {"type": "object", "properties": {
        "email": {"type": "string", "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}},
        "name": {"type": "object"}
    }}}})
}

/// The detail of Sofia, loaded, on a profile with an attribute registry;
/// two schemas she fits (`email`, `email_v2`).
fn on_sofia() -> App {
    super::opened_in_detail(vec![("email".into(), schema()), ("email_v2".into(), schema())], sofia())
}

/// The attribute update of Sofia, reviewed.
fn attribute_review() -> App {
    let mut app = on_sofia();
    ch(&mut app, 'a');
    assert_eq!(app.screen, Screen::Attribute);
    typed(&mut app, NAME);
    ctrl(&mut app, 's');
    assert_eq!(app.key_context(), Context::AttributeReview, "{}", status(&app));
    app
}

fn exchange(url: &str, method: &str, status: u16, reason: &str, body: &Value) -> crate::api::Exchange {
    crate::api::Exchange {
        request_id: format!("req-{status}"),
        method: method.into(),
        url: url.into(),
        request_headers: Vec::new(),
        request_body: None,
        status,
        reason: reason.into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
        started_at: Utc::now(),
        elapsed: std::time::Duration::from_millis(420),
    }
}

/// The registry's answer to the update.
fn registry_answer(status: u16, reason: &str) -> WriteOutcome {
    let body = if status == 200 {
        json!({})
    } else {
        json!({"code": "NOT_FOUND", "message": "issuance token not found"})
    };
    let exchange = exchange(
        "http://127.0.0.1/registry/attribute/update",
        "PUT",
        status,
        reason,
        &body,
    );
    WriteOutcome::Answered {
        response: review::registry_response_view(&exchange, ID),
        identity: None,
    }
}

/// Kratos's `200 OK` to a PUT, returning `identity`.
fn saved(identity: Value) -> WriteOutcome {
    let exchange = exchange(
        &format!("http://127.0.0.1/admin/identities/{ID}"),
        "PUT",
        200,
        "OK",
        &identity,
    );
    WriteOutcome::Answered {
        response: response_view(&exchange, Some(ID.into())),
        identity: Some(identity),
    }
}

// ---- The attribute form --------------------------------------------------

/// The bug: Esc while the update was sending reset the count of writes in
/// flight (the spinner stopped while the PUT was still out), left `y` armed,
/// and the answer that came later was dropped: told nowhere, not in `H`.
#[test]
fn stopping_the_wait_for_an_attribute_update_keeps_following_it() {
    let mut app = attribute_review();
    let first = ch(&mut app, 'y');
    assert_eq!(attribute_sends(&first), 1);
    assert!(app.busy());
    assert_eq!(app.history.entries.len(), 1, "listed from the moment it is sent");
    assert_eq!(app.history.entries[0].outcome, Outcome::Sending);
    assert_eq!(
        app.history.entries[0].who.label(),
        "sofia.rossi@example.com (Sofia Rossi)"
    );

    let stop = press(&mut app, KeyCode::Esc);
    assert!(status(&app).contains("still followed"), "{}", status(&app));
    assert!(app.busy(), "the update is still out: the spinner keeps running");
    assert_eq!(app.chrome.running(Task::Write), 1);
    assert!(!stop.contains(&Effect::Cancel(Task::Write)), "{stop:?}");
    assert_eq!(app.history.entries[0].outcome, Outcome::StoppedWaiting);

    let again = ch(&mut app, 'y');
    assert_eq!(attribute_sends(&again), 0, "a second y sends nothing: {again:?}");
    assert!(status(&app).contains("Not sent again"), "{}", status(&app));
    assert_eq!(app.history.entries.len(), 1);

    // The answer comes while the stopped review is still open: shown there.
    update(&mut app, Msg::AttributeDone(registry_answer(200, "OK")));
    assert_eq!(app.screen, Screen::Response);
    assert!(!app.busy());
    let entry = &app.history.entries[0];
    assert_eq!(entry.outcome, Outcome::Answered);
    assert!(entry.late, "it came after the user stopped waiting");
    assert_eq!(entry.outcome_label().1, "✓ 200 OK");
    assert!(entry.changed_label().contains(NAME), "{}", entry.changed_label());
}

/// Back on the form, then the detail: the answer is told where the user
/// is, recorded in the one entry, and `H` shows it.
#[test]
fn a_late_attribute_answer_after_leaving_the_form_is_told_and_recorded() {
    let mut app = attribute_review();
    ch(&mut app, 'y');
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Attribute);
    assert_eq!(app.key_context(), Context::AttributeLine, "back on the form");

    // Ctrl-S and y again while the first is out: nothing is sent.
    ctrl(&mut app, 's');
    let effects = ch(&mut app, 'y');
    assert_eq!(attribute_sends(&effects), 0, "{effects:?}");
    assert!(status(&app).contains("still in flight"), "{}", status(&app));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.key_context(), Context::Discard, "what was typed is not sent yet");
    ch(&mut app, 'y');
    assert_eq!(app.screen, Screen::Detail);
    assert!(app.busy());

    update(&mut app, Msg::AttributeDone(registry_answer(200, "OK")));
    assert_eq!(app.screen, Screen::Detail, "the user is not moved");
    assert!(!app.busy());
    let told = status(&app);
    assert!(
        told.contains("Late answer for sofia.rossi@example.com: 200 OK"),
        "{told}"
    );
    assert_eq!(app.history.entries.len(), 1);
    assert!(app.history.entries[0].late);
    ch(&mut app, 'H');
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Response);
    assert_eq!(app.edit.response.as_ref().and_then(|r| r.status), Some(200));
}

/// A refusal or a failure that comes late says so, in the status and in `H`.
#[test]
fn a_late_attribute_refusal_or_failure_says_what_became_of_it() {
    let cases = [
        (registry_answer(404, "Not Found"), "✗ 404 Not Found", "refused"),
        (
            WriteOutcome::Failed {
                error: "timed out after 30 s".into(),
                response: None,
            },
            "failed: timed out after 30 s",
            "timed out",
        ),
    ];
    for (outcome, label, told) in cases {
        let mut app = attribute_review();
        ch(&mut app, 'y');
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Esc);
        update(&mut app, Msg::AttributeDone(outcome));
        assert_eq!(app.screen, Screen::Attribute, "the form, with what was typed");
        assert_eq!(app.history.entries[0].outcome_label().1, label);
        assert!(app.history.entries[0].late);
        assert!(status(&app).contains(told), "{}", status(&app));
        // Nothing landed: the form still holds the update, and may send it now.
        ctrl(&mut app, 's');
        assert_eq!(attribute_sends(&ch(&mut app, 'y')), 1, "{}", status(&app));
    }
}

/// One write at a time, whichever form sent it: its answer must find its
/// own request, and the spinner runs until the last one is in.
#[test]
fn an_attribute_update_and_an_identity_write_wait_for_each_other() {
    // The identity write first, stopped waiting for.
    let mut app = on_sofia();
    ch(&mut app, 's');
    ch(&mut app, ' ');
    ctrl(&mut app, 's');
    assert_eq!(identity_sends(&ch(&mut app, 'y')), 1);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    ch(&mut app, 'y'); // discard the form
    assert_eq!(app.screen, Screen::Detail);
    ch(&mut app, 'a');
    typed(&mut app, NAME);
    ctrl(&mut app, 's');
    let effects = ch(&mut app, 'y');
    assert_eq!(attribute_sends(&effects), 0, "{effects:?}");
    assert!(status(&app).contains("still in flight"), "{}", status(&app));
    assert_eq!(app.key_context(), Context::AttributeReview, "still armed for later");
    let mut inactive = sofia();
    inactive["state"] = json!("inactive");
    update(&mut app, Msg::WriteDone(saved(inactive)));
    assert!(!app.busy());
    assert_eq!(attribute_sends(&ch(&mut app, 'y')), 1, "{}", status(&app));

    // The attribute update stopped waiting for: the state form waits.
    press(&mut app, KeyCode::Esc);
    assert!(app.busy());
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    ch(&mut app, 'y');
    assert_eq!(app.screen, Screen::Detail);
    ch(&mut app, 's');
    ch(&mut app, ' ');
    ctrl(&mut app, 's');
    assert_eq!(identity_sends(&ch(&mut app, 'y')), 0);
    assert!(status(&app).contains("still in flight"), "{}", status(&app));
    update(&mut app, Msg::AttributeDone(registry_answer(200, "OK")));
    assert!(!app.busy());
    assert_eq!(app.history.entries.len(), 2);
    assert!(status(&app).contains("Late answer"), "{}", status(&app));
    assert_eq!(identity_sends(&ch(&mut app, 'y')), 1, "{}", status(&app));
}

/// The attribute form left open while its update lands holds what the
/// registry now has: Esc closes it without asking, unless something new
/// was typed.
#[test]
fn a_landed_attribute_update_is_the_forms_new_baseline() {
    for type_more in [false, true] {
        let mut app = attribute_review();
        ch(&mut app, 'y');
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Esc);
        if type_more {
            typed(&mut app, ".v2");
        }
        update(&mut app, Msg::AttributeDone(registry_answer(200, "OK")));
        press(&mut app, KeyCode::Esc);
        if type_more {
            assert_eq!(app.key_context(), Context::Discard, "the new typing is not sent");
        } else {
            assert_eq!(app.screen, Screen::Detail, "nothing to lose: {}", status(&app));
        }
    }
}

// ---- Forms whose change landed while they were open ----------------------

/// Sends the form open on Sofia, stops waiting, goes back to the form.
fn send_and_go_back(app: &mut App) {
    ctrl(app, 's');
    assert_eq!(app.screen, Screen::Review, "{}", status(app));
    assert_eq!(identity_sends(&ch(app, 'y')), 1, "{}", status(app));
    press(app, KeyCode::Esc);
    press(app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Form);
}

/// The bug: the state form compared with the state when it opened, so after
/// its change had landed Esc still asked "discard?" (and a draft of the
/// landed change stayed on disk).
#[test]
fn a_landed_state_change_is_the_forms_new_baseline() {
    let mut app = on_sofia();
    ch(&mut app, 's');
    ch(&mut app, ' ');
    update(&mut app, Msg::DraftTick); // the draft is saved
    send_and_go_back(&mut app);
    let mut inactive = sofia();
    inactive["state"] = json!("inactive");
    inactive["state_changed_at"] = json!("2026-11-24T12:00:00Z");
    let effects = update(&mut app, Msg::WriteDone(saved(inactive)));
    assert!(
        effects.contains(&Effect::RemoveDraft { identity_id: ID.into() }),
        "the draft of a change that landed goes: {effects:?}"
    );
    match app.edit.form.as_ref().map(|f| &f.body) {
        Some(FormBody::State(state)) => {
            assert_eq!((state.current.as_str(), state.active), ("inactive", false));
            assert_eq!(state.changed_at.as_deref(), Some("2026-11-24T12:00:00Z"));
        }
        other => panic!("the state form is gone: {other:?}"),
    }
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Detail, "Esc closes without asking");
}

/// Changed again after sending: the form keeps the new choice, compares it
/// with the server's state now, and asks before dropping it.
#[test]
fn a_form_changed_again_after_sending_still_asks() {
    let mut app = on_sofia();
    ch(&mut app, 's');
    ch(&mut app, ' ');
    send_and_go_back(&mut app);
    ch(&mut app, ' '); // back to active: not sent
    let mut inactive = sofia();
    inactive["state"] = json!("inactive");
    update(&mut app, Msg::WriteDone(saved(inactive)));
    match app.edit.form.as_ref().map(|f| &f.body) {
        Some(FormBody::State(state)) => assert_eq!((state.current.as_str(), state.active), ("inactive", true)),
        other => panic!("the state form is gone: {other:?}"),
    }
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.key_context(), Context::Discard);
}

/// A form opened afresh (on the old version) while a write was out, and
/// not touched: it follows the server's answer instead of turning into a
/// change back to the old value.
#[test]
fn an_untouched_form_follows_the_landed_change() {
    let mut app = on_sofia();
    ch(&mut app, 's');
    ch(&mut app, ' ');
    send_and_go_back(&mut app);
    press(&mut app, KeyCode::Esc);
    ch(&mut app, 'y'); // discard the form; the detail still shows "active"
    ch(&mut app, 's');
    assert_eq!(app.edit.form.as_ref().map(Form::modified), Some(false));
    let mut inactive = sofia();
    inactive["state"] = json!("inactive");
    update(&mut app, Msg::WriteDone(saved(inactive)));
    match app.edit.form.as_ref().map(|f| &f.body) {
        Some(FormBody::State(state)) => assert_eq!((state.current.as_str(), state.active), ("inactive", false)),
        other => panic!("the state form is gone: {other:?}"),
    }
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Detail);
}

/// The other forms, each sent, stopped waiting for and landed while open:
/// Esc closes them without asking; typed into again, they ask.
#[test]
fn every_form_takes_its_landed_change_as_its_baseline() {
    type Edit = fn(&mut App);
    let traits: Edit = |app| {
        ch(app, 'e');
        press(app, KeyCode::End);
        typed(app, "\"nickname\": \"sofi\",");
    };
    let metadata: Edit = |app| {
        ch(app, 'm');
        press(app, KeyCode::End);
        typed(app, "\"vip\": true,");
    };
    let schema: Edit = |app| {
        ch(app, 'i');
        press(app, KeyCode::Down);
    };
    let credentials: Edit = |app| {
        ch(app, 'c');
        typed(app, "S3cret-Pa55");
        press(app, KeyCode::Tab);
        typed(app, "S3cret-Pa55");
    };
    let landed = |what: &str| {
        let mut identity = sofia();
        match what {
            "traits" => identity["traits"]["nickname"] = json!("sofi"),
            "metadata" => identity["metadata_public"]["vip"] = json!(true),
            "schema" => identity["schema_id"] = json!("email_v2"),
            _ => {
                identity["credentials"] =
                    json!({"password": {"type": "password", "identifiers": ["sofia.rossi@example.com"]}})
            }
        }
        identity["updated_at"] = json!("2026-11-24T12:00:01Z");
        identity
    };
    let more: Edit = |app| match app.edit.form.as_ref().map(Form::kind) {
        Some(forms::FormKind::Schema) => {
            press(app, KeyCode::Up);
        }
        Some(forms::FormKind::Credentials) => {
            typed(app, "!");
        }
        _ => {
            typed(app, " ");
            press(app, KeyCode::Backspace);
            typed(app, "\"more\": 1,");
        }
    };
    for (what, edit) in [
        ("traits", traits),
        ("metadata", metadata),
        ("schema", schema),
        ("credentials", credentials),
    ] {
        for type_more in [false, true] {
            let mut app = on_sofia();
            edit(&mut app);
            send_and_go_back(&mut app);
            if type_more {
                more(&mut app);
            }
            update(&mut app, Msg::WriteDone(saved(landed(what))));
            assert_eq!(app.screen, Screen::Form, "{what}: the user is not moved");
            assert!(status(&app).contains("Late answer"), "{what}: {}", status(&app));
            press(&mut app, KeyCode::Esc);
            if type_more {
                assert_eq!(app.key_context(), Context::Discard, "{what}: typed after sending");
            } else {
                assert_eq!(app.screen, Screen::Detail, "{what}: Esc closes without asking");
            }
        }
    }
}

/// After its password landed, the credentials form holds no password any
/// more: nothing is left to send again, or to lose.
#[test]
fn a_landed_password_is_not_kept_in_the_form() {
    let mut app = on_sofia();
    ch(&mut app, 'c');
    typed(&mut app, "S3cret-Pa55");
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "S3cret-Pa55");
    send_and_go_back(&mut app);
    update(&mut app, Msg::WriteDone(saved(sofia())));
    match app.edit.form.as_ref().map(|f| &f.body) {
        Some(FormBody::Credentials(creds)) => {
            assert!(creds.password.is_empty() && creds.confirm.is_empty());
        }
        other => panic!("the credentials form is gone: {other:?}"),
    }
    assert!(!format!("{app:?}").contains("S3cret"));
}
