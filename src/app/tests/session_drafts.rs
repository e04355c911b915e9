//! A draft waiting while the Sessions section is shown (where `x` revokes a
//! session), and the state form's "also revoke all sessions" choice kept in
//! its draft.

use super::*;
use crate::api::sessions::{Session, SessionPage};
use crate::app::forms::FormBody;
use crate::app::keys::Context;
use crate::drafts::Draft;
use ratatui::{Terminal, backend::TestBackend};

const ID: &str = "00000000-0000-4000-8000-000000000001";

fn session() -> Session {
    let value = json!({
        "id": "00000001-aaaa-4bbb-8ccc-000000000000",
        "active": true,
        "expires_at": "2026-11-25T12:00:00Z",
        "authenticated_at": "2026-11-24T10:00:00Z",
        "devices": [{"id": "d", "ip_address": "203.0.113.7", "user_agent": "curl/8"}]
    });
    serde_json::from_value(value).unwrap_or_else(|e| panic!("test session: {e}"))
}

fn traits_draft() -> Draft {
    Draft::new(
        "test",
        ID,
        "traits",
        json!({"text": "{\"email\": \"changed@example.com\"}"}),
        Some("2026-11-20T10:00:00Z".into()),
    )
}

/// The detail of identity 1 with `drafts` waiting from an earlier session,
/// wide enough for the whole offer line.
fn detail_with(drafts: Vec<Draft>) -> App {
    let mut app = app_with_rows(1..4);
    update(&mut app, Msg::DraftsListed(Ok(drafts)));
    update(&mut app, Msg::Resize { width: 120, height: 30 });
    update(&mut app, key(KeyCode::Enter));
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(identity(1)),
        },
    );
    assert_eq!(app.screen, Screen::Detail);
    app
}

/// The detail on the Sessions section, one session read.
fn sessions_with_offer() -> App {
    let mut app = detail_with(vec![traits_draft()]);
    update(&mut app, ch('7'));
    update(
        &mut app,
        Msg::SessionsLoaded {
            identity_id: ID.into(),
            active_only: false,
            page: 0,
            result: Ok(SessionPage {
                items: vec![session()],
                total: Some(1),
            }),
        },
    );
    assert_eq!(app.key_context(), Context::DetailSessionsOffer);
    app
}

fn screen(app: &App) -> String {
    let backend = TestBackend::new(app.chrome.width, app.chrome.height);
    let mut terminal = match Terminal::new(backend) {
        Ok(terminal) => terminal,
        Err(e) => panic!("test backend: {e}"),
    };
    let theme = crate::ui::theme::Theme { color: false };
    if let Err(e) = terminal.draw(|frame| crate::ui::view(app, &theme, frame)) {
        panic!("draw: {e}");
    }
    terminal.backend().to_string()
}

/// The offer line as drawn.
fn offer(app: &App) -> String {
    let shown = screen(app);
    shown
        .lines()
        .find(|line| line.contains("Draft of the"))
        .unwrap_or_else(|| panic!("no offer line on\n{shown}"))
        .trim_matches(|c| c == '"' || c == ' ')
        .to_owned()
}

/// The key the offer line names before `what` (" discard", " diff", …).
fn named_key(line: &str, what: &str) -> String {
    let before = line
        .split(what)
        .next()
        .filter(|_| line.contains(what))
        .unwrap_or_else(|| panic!("the offer names no {what:?}: {line}"));
    before.split_whitespace().last().unwrap_or_default().to_owned()
}

fn press_named(app: &mut App, named: &str) -> Vec<Effect> {
    match named {
        "Enter" => update(app, key(KeyCode::Enter)),
        one if one.chars().count() == 1 => update(app, ch(one.chars().next().unwrap_or(' '))),
        other => panic!("the offer names a key a test cannot press: {other}"),
    }
}

fn revoke_asked(app: &App) -> bool {
    app.detail.state.as_ref().is_some_and(|d| d.sessions.confirm.is_some())
}

#[test]
fn on_sessions_the_offer_names_d_and_d_discards_the_draft_without_asking_to_revoke() {
    let mut app = sessions_with_offer();
    let line = offer(&app);
    assert!(!line.contains("x discard"), "x revokes here: {line}");
    let discard = named_key(&line, " discard");
    assert_eq!(discard, "d", "{line}");
    // At 80 columns the time gets shorter; the keys stay on screen.
    update(&mut app, Msg::Resize { width: 80, height: 24 });
    let narrow = offer(&app);
    assert!(narrow.ends_with("d discard"), "{narrow}");

    let effects = press_named(&mut app, &discard);
    assert_eq!(effects, vec![Effect::RemoveDraft { identity_id: ID.into() }]);
    assert!(app.detail.offer.is_none());
    assert!(app.drafts.known.is_empty());
    assert!(!revoke_asked(&app), "discarding the draft asked to revoke a session");
    assert_eq!(app.key_context(), Context::DetailSessions);
    assert_eq!(app.chrome.status, Status::Info("Draft discarded".into()));
    assert!(!screen(&app).contains("Draft of the"), "the offer is gone");

    // x still revokes the chosen session (asking first), draft or not.
    update(&mut app, ch('x'));
    assert!(revoke_asked(&app));
}

#[test]
fn on_sessions_x_with_a_draft_waiting_asks_to_revoke_and_keeps_the_draft() {
    let mut app = sessions_with_offer();
    let effects = update(&mut app, ch('x'));
    assert!(!effects.iter().any(|e| matches!(e, Effect::RemoveDraft { .. })));
    assert!(revoke_asked(&app));
    assert!(app.detail.offer.is_some(), "the draft still waits");
}

#[test]
fn on_sessions_the_offer_restore_and_diff_keys_work() {
    let mut app = sessions_with_offer();
    let line = offer(&app);
    let diff = named_key(&line, " diff");
    press_named(&mut app, &diff);
    assert_eq!(app.screen, Screen::Text, "{diff} shows the draft: {line}");
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Detail);

    let restore = named_key(&line, " restore");
    press_named(&mut app, &restore);
    assert_eq!(app.screen, Screen::Form, "{restore} restores the draft: {line}");
    assert!(!revoke_asked(&app));
}

#[test]
fn on_every_section_the_discard_key_the_offer_names_discards_and_nothing_else() {
    for section in ['1', '2', '3', '4', '5', '6', '7'] {
        let mut app = detail_with(vec![traits_draft()]);
        update(&mut app, ch(section));
        let line = offer(&app);
        let discard = named_key(&line, " discard");
        let effects = press_named(&mut app, &discard);
        assert_eq!(
            effects,
            vec![Effect::RemoveDraft { identity_id: ID.into() }],
            "section {section}: {line}"
        );
        assert!(app.detail.offer.is_none(), "section {section}");
        assert!(!revoke_asked(&app), "section {section}");
        assert_eq!(app.screen, Screen::Detail, "section {section}");
    }
}

fn state_form(app: &App) -> &crate::app::forms::StateForm {
    match app.edit.form.as_ref().map(|f| &f.body) {
        Some(FormBody::State(state)) => state,
        other => panic!("not the state form: {other:?}"),
    }
}

/// Deactivating with "also revoke all sessions" turned off, saved as the
/// console saves a draft (the debounce tick, or quitting).
fn saved_deactivation_without_revoke() -> Draft {
    let mut app = detail_with(Vec::new());
    update(&mut app, ch('s'));
    assert!(state_form(&app).revoke_sessions, "on by default");
    update(&mut app, ch('i'));
    update(&mut app, ch('r'));
    assert!(!state_form(&app).revoke_sessions);
    let effects = update(&mut app, Msg::DraftTick);
    effects
        .into_iter()
        .find_map(|e| match e {
            Effect::SaveDraft(draft) => Some(*draft),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no draft saved"))
}

#[test]
fn a_resumed_state_draft_keeps_revoke_sessions_turned_off() {
    let draft = saved_deactivation_without_revoke();
    assert_eq!(draft.form, "state");
    assert_eq!(draft.content.get("revoke_sessions"), Some(&json!(false)));

    // Quit and start again: the draft is offered, `v` says what it will do.
    let mut app = detail_with(vec![draft]);
    update(&mut app, ch('v'));
    let diff = screen(&app);
    assert!(diff.contains("also revoke all sessions: no"), "{diff}");
    update(&mut app, key(KeyCode::Esc));
    update(&mut app, key(KeyCode::Enter));
    let state = state_form(&app);
    assert!(!state.active, "the deactivation is back");
    assert!(!state.revoke_sessions, "the user's choice is back, not the default");
    assert!(screen(&app).contains("[ ]"), "the toggle shows off");
}

#[test]
fn an_older_state_draft_without_the_choice_resumes_with_revoke_on() {
    let older = Draft::new(
        "test",
        ID,
        "state",
        json!({"active": false}),
        Some("2026-11-20T10:00:00Z".into()),
    );
    let mut app = detail_with(vec![older]);
    update(&mut app, key(KeyCode::Enter));
    let state = state_form(&app);
    assert!(!state.active);
    assert!(
        state.revoke_sessions,
        "the default (on) for drafts that predate the choice"
    );
}

#[test]
fn a_state_draft_whose_choice_is_not_a_boolean_is_kept_on_disk_and_said() {
    let odd = Draft::new(
        "test",
        ID,
        "state",
        json!({"active": false, "revoke_sessions": "no"}),
        Some("2026-11-20T10:00:00Z".into()),
    );
    let mut app = detail_with(vec![odd]);
    let effects = update(&mut app, key(KeyCode::Enter));
    assert!(!effects.iter().any(|e| matches!(e, Effect::RemoveDraft { .. })));
    assert_eq!(
        app.chrome.status,
        Status::Error("The draft does not fit this form any more; it is kept on disk".into())
    );
}
