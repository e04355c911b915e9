//! The identity's Sessions section: read when first shown, a page at a
//! time, filtered with `a`, every piece sanitised.

use super::*;
use crate::api::sessions::{Session, SessionPage};
use crate::app::detail::SectionKind;
use crate::app::doc::StyledLine;
use crate::app::keys::Context;
use crate::app::sessions::PAGE_SIZE;

const ID: &str = "00000000-0000-4000-8000-000000000001";

fn session(i: usize, active: bool, expires: &str) -> Session {
    let value = json!({
        "id": format!("{i:08}-aaaa-4bbb-8ccc-000000000000"),
        "active": active,
        "expires_at": expires,
        "authenticated_at": "2026-11-24T10:00:00Z",
        "authenticator_assurance_level": "aal2",
        "authentication_methods": [{"method": "password"}, {"method": "totp"}],
        "devices": [{"id": "d", "ip_address": "203.0.113.7", "location": "Berlin, DE",
                     "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"}]
    });
    serde_json::from_value(value).unwrap_or_else(|e| panic!("test session: {e}"))
}

fn on_detail() -> App {
    let mut app = app_with_rows(1..4);
    update(&mut app, key(KeyCode::Enter));
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(identity(1)),
        },
    );
    app
}

fn text(app: &App) -> String {
    let detail = app.detail.state.as_ref().unwrap_or_else(|| panic!("no detail"));
    let section = detail
        .sections
        .iter()
        .find(|s| s.kind == SectionKind::Sessions)
        .unwrap_or_else(|| panic!("no Sessions section"));
    section
        .lines
        .iter()
        .map(StyledLine::text)
        .collect::<Vec<_>>()
        .join("\n")
}

fn loaded(app: &mut App, page: u32, active_only: bool, items: Vec<Session>, total: Option<u64>) -> Vec<Effect> {
    update(
        app,
        Msg::SessionsLoaded {
            identity_id: ID.into(),
            active_only,
            page,
            result: Ok(SessionPage { items, total }),
        },
    )
}

#[test]
fn the_section_is_read_once_when_first_shown() {
    let mut app = on_detail();
    assert_eq!(app.detail.id(), Some(ID));
    let effects = update(&mut app, key(KeyCode::Tab));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::LoadSessions { .. })),
        "the Traits section reads no sessions"
    );
    let effects = update(&mut app, ch('7'));
    assert_eq!(
        effects,
        vec![Effect::LoadSessions {
            identity_id: ID.into(),
            active_only: false,
            page: 0
        }]
    );
    assert_eq!(app.key_context(), Context::DetailSessions);
    assert!(text(&app).contains("loading sessions…"));
    loaded(
        &mut app,
        0,
        false,
        vec![session(1, true, "2026-11-25T12:00:00Z")],
        Some(1),
    );
    let shown = text(&app);
    assert!(shown.contains("▶ 00000001  active"), "{shown}");
    assert!(shown.contains("AAL aal2"), "{shown}");
    assert!(shown.contains("password+totp"), "{shown}");
    assert!(shown.contains("2026-11-25 12:00:00 UTC (in 1 d)"), "{shown}");
    assert!(shown.contains("203.0.113.7") && shown.contains("Berlin, DE") && shown.contains("Mozilla/5.0"));
    // Back to Summary and again to Sessions: nothing read twice.
    update(&mut app, ch('1'));
    let effects = update(&mut app, ch('7'));
    assert!(!effects.iter().any(|e| matches!(e, Effect::LoadSessions { .. })));
    // Tab from Raw JSON reaches Sessions too.
    update(&mut app, ch('6'));
    update(&mut app, key(KeyCode::Tab));
    assert_eq!(app.key_context(), Context::DetailSessions);
}

#[test]
fn expired_and_revoked_sessions_say_so() {
    let mut app = on_detail();
    update(&mut app, ch('7'));
    loaded(
        &mut app,
        0,
        false,
        vec![
            session(1, false, "2026-11-20T12:00:00Z"),
            session(2, false, "2026-12-20T12:00:00Z"),
        ],
        Some(2),
    );
    let shown = text(&app);
    assert!(shown.contains("00000001  expired"), "{shown}");
    assert!(shown.contains("00000002  inactive"), "{shown}");
    assert!(shown.contains("(4 d ago)"), "{shown}");
}

#[test]
fn a_asks_for_the_active_ones_only_and_back() {
    let mut app = on_detail();
    update(&mut app, ch('7'));
    loaded(&mut app, 0, false, vec![session(1, true, "2026-11-25T12:00:00Z")], None);
    let effects = update(&mut app, ch('a'));
    assert!(effects.contains(&Effect::LoadSessions {
        identity_id: ID.into(),
        active_only: true,
        page: 0
    }));
    assert!(text(&app).contains("active only (a: all)"));
    // A late answer to the unfiltered question is dropped.
    loaded(
        &mut app,
        0,
        false,
        vec![session(9, false, "2026-11-20T12:00:00Z")],
        None,
    );
    assert!(!text(&app).contains("00000009"));
    loaded(&mut app, 0, true, Vec::new(), Some(0));
    assert!(text(&app).contains("No active sessions."));
    let effects = update(&mut app, ch('a'));
    assert!(effects.contains(&Effect::LoadSessions {
        identity_id: ID.into(),
        active_only: false,
        page: 0
    }));
    assert_eq!(
        app.screen,
        Screen::Detail,
        "a on Sessions never opens the attribute form"
    );
}

#[test]
fn the_next_page_is_read_when_the_selection_reaches_the_last_session() {
    let mut app = on_detail();
    update(&mut app, ch('7'));
    let per_page = usize::try_from(PAGE_SIZE).unwrap_or(50);
    let first: Vec<Session> = (0..per_page)
        .map(|i| session(i, true, "2026-11-25T12:00:00Z"))
        .collect();
    loaded(
        &mut app,
        0,
        false,
        first,
        Some(u64::try_from(per_page + 2).unwrap_or(52)),
    );
    assert!(text(&app).contains("more below"));
    let mut asked = Vec::new();
    for _ in 0..per_page {
        asked.extend(update(&mut app, key(KeyCode::Down)));
    }
    let loads: Vec<&Effect> = asked
        .iter()
        .filter(|e| matches!(e, Effect::LoadSessions { .. }))
        .collect();
    assert_eq!(
        loads,
        vec![&Effect::LoadSessions {
            identity_id: ID.into(),
            active_only: false,
            page: 1
        }],
        "one request for the next page, however often ↓ is pressed"
    );
    loaded(
        &mut app,
        1,
        false,
        vec![
            session(per_page - 1, true, "2026-11-25T12:00:00Z"), // repeated: shown once
            session(per_page, true, "2026-11-25T12:00:00Z"),
            session(per_page + 1, true, "2026-11-25T12:00:00Z"),
        ],
        None,
    );
    let sessions = &app
        .detail
        .state
        .as_ref()
        .map(|d| d.sessions.clone())
        .unwrap_or_default();
    assert_eq!(sessions.items.len(), per_page + 2);
    assert_eq!(sessions.next_page, None, "all of X-Total-Count read");
    assert!(!text(&app).contains("more below"));
}

#[test]
fn hostile_device_text_is_sanitised() {
    let mut app = on_detail();
    update(&mut app, ch('7'));
    let mut hostile = session(1, true, "2026-11-25T12:00:00Z");
    hostile.devices[0].user_agent = Some("evil\u{1b}[2J\u{202e}agent\nnext".into());
    hostile.devices[0].location = Some("Ber\u{7}lin".into());
    loaded(&mut app, 0, false, vec![hostile], None);
    let shown = text(&app);
    assert!(
        !shown.chars().any(|c| c == '\u{1b}' || c == '\u{202e}' || c == '\u{7}'),
        "{shown:?}"
    );
    assert!(shown.contains("evil"));
}

#[test]
fn a_failed_read_says_why_and_r_reads_again() {
    let mut app = on_detail();
    update(&mut app, ch('7'));
    update(
        &mut app,
        Msg::SessionsLoaded {
            identity_id: ID.into(),
            active_only: false,
            page: 0,
            result: Err("HTTP 500 from the server".into()),
        },
    );
    assert!(text(&app).contains("✗ HTTP 500 from the server — r retries"));
    let effects = update(&mut app, ch('r'));
    assert!(effects.contains(&Effect::LoadSessions {
        identity_id: ID.into(),
        active_only: false,
        page: 0
    }));
}

#[test]
fn leaving_the_identity_stops_the_read_and_drops_its_answer() {
    let mut app = on_detail();
    update(&mut app, ch('7'));
    let effects = update(&mut app, key(KeyCode::Esc));
    assert!(effects.contains(&Effect::Cancel(Task::Sessions)));
    let effects = loaded(&mut app, 0, false, vec![session(1, true, "2026-11-25T12:00:00Z")], None);
    assert!(effects.is_empty());
    assert_eq!(app.screen, Screen::List);
}

fn with_sessions(read_only: bool, require_reason: bool) -> App {
    let mut app = on_detail();
    app.profile.read_only = read_only;
    app.profile.require_reason = require_reason;
    update(&mut app, ch('7'));
    loaded(
        &mut app,
        0,
        false,
        vec![
            session(1, true, "2026-11-25T12:00:00Z"),
            session(2, true, "2026-11-26T12:00:00Z"),
        ],
        Some(2),
    );
    app
}

fn confirm_kind(app: &App) -> Option<crate::app::sessions::SessionWriteKind> {
    app.detail
        .state
        .as_ref()
        .and_then(|d| d.sessions.confirm.as_ref())
        .map(|c| c.kind.clone())
}

#[test]
fn x_asks_about_the_chosen_session_then_y_sends_it_with_the_reason() {
    use crate::app::sessions::SessionWriteKind;
    let mut app = with_sessions(false, false);
    update(&mut app, key(KeyCode::Down));
    let effects = update(&mut app, ch('x'));
    assert!(effects.is_empty(), "x only asks: {effects:?}");
    let second = "00000002-aaaa-4bbb-8ccc-000000000000".to_owned();
    assert_eq!(
        confirm_kind(&app),
        Some(SessionWriteKind::Revoke {
            session_id: second.clone()
        })
    );
    assert_eq!(app.key_context(), Context::SessionConfirm);
    update(&mut app, ch('r'));
    assert_eq!(app.key_context(), Context::SessionReason);
    for c in "SUP-42".chars() {
        update(&mut app, ch(c));
    }
    update(&mut app, key(KeyCode::Enter));
    let effects = update(&mut app, ch('y'));
    let Some(Effect::SessionWrite(request)) = effects.first() else {
        panic!("y sends: {effects:?}");
    };
    assert_eq!(request.identity_id, ID);
    assert_eq!(request.kind, SessionWriteKind::Revoke { session_id: second });
    assert_eq!(request.why.as_deref(), Some("SUP-42"));
    assert_eq!(app.key_context(), Context::SessionSending);
    // The answer: said, and the list read again.
    let effects = update(
        &mut app,
        Msg::SessionWriteDone {
            identity_id: ID.into(),
            result: Ok("Revoked session 00000002: HTTP 204".into()),
        },
    );
    assert!(effects.contains(&Effect::LoadSessions {
        identity_id: ID.into(),
        active_only: false,
        page: 0
    }));
    assert!(matches!(&app.chrome.status, Status::Info(s) if s.contains("Revoked session 00000002")));
    assert_eq!(app.key_context(), Context::DetailSessions);
}

#[test]
fn capital_x_and_plus_ask_about_all_and_about_extending() {
    use crate::app::sessions::SessionWriteKind;
    let mut app = with_sessions(false, false);
    update(&mut app, ch('X'));
    assert_eq!(confirm_kind(&app), Some(SessionWriteKind::RevokeAll));
    let effects = update(&mut app, ch('n'));
    assert!(effects.is_empty());
    assert_eq!(confirm_kind(&app), None, "n goes back, nothing sent");
    update(&mut app, ch('+'));
    assert_eq!(
        confirm_kind(&app),
        Some(SessionWriteKind::Extend {
            session_id: "00000001-aaaa-4bbb-8ccc-000000000000".into()
        })
    );
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(confirm_kind(&app), None);
    assert_eq!(app.screen, Screen::Detail, "Esc closes the question, not the identity");
}

#[test]
fn a_read_only_profile_refuses_and_records_it_without_asking() {
    let mut app = with_sessions(true, false);
    for c in ['x', 'X', '+'] {
        let effects = update(&mut app, ch(c));
        assert!(
            matches!(effects.as_slice(), [Effect::AuditRefusal { identity_id: Some(id), reason }]
                if id == ID && reason.contains("read-only")),
            "{c}: {effects:?}"
        );
        assert_eq!(confirm_kind(&app), None);
        assert!(matches!(&app.chrome.status, Status::Error(s) if s.contains("read-only")));
    }
}

#[test]
fn a_required_reason_holds_y_back() {
    let mut app = with_sessions(false, true);
    update(&mut app, ch('X'));
    let effects = update(&mut app, ch('y'));
    assert!(effects.is_empty(), "nothing sent without a reason: {effects:?}");
    assert_eq!(app.key_context(), Context::SessionReason, "the line takes the keys");
    for c in "ticket 7".chars() {
        update(&mut app, ch(c));
    }
    update(&mut app, key(KeyCode::Enter));
    let effects = update(&mut app, ch('y'));
    assert!(matches!(effects.as_slice(), [Effect::SessionWrite(r)] if r.why.as_deref() == Some("ticket 7")));
}

/// The server's 200 to the state form's PUT, the identity now `state`.
fn put_answered(state: &str) -> crate::app::review::WriteOutcome {
    let mut returned = identity(1);
    returned["state"] = json!(state);
    let exchange = crate::api::Exchange {
        request_id: "req-1".into(),
        method: "PUT".into(),
        url: format!("http://127.0.0.1/admin/identities/{ID}"),
        request_headers: Vec::new(),
        request_body: None,
        status: 200,
        reason: "OK".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: returned.to_string().into_bytes(),
        started_at: Utc::now(),
        elapsed: std::time::Duration::from_millis(12),
    };
    crate::app::review::WriteOutcome::Answered {
        response: crate::app::review::response_view(&exchange, Some(ID.into())),
        identity: Some(returned),
    }
}

/// The state form on the detail, set to inactive (`r` pressed `toggles`
/// times), reviewed with a reason and sent.
fn deactivate(toggles: usize) -> (App, Vec<Effect>) {
    let mut app = on_detail();
    update(&mut app, ch('s'));
    update(&mut app, ch('i'));
    for _ in 0..toggles {
        update(&mut app, ch('r'));
    }
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
    );
    assert_eq!(app.screen, Screen::Review, "{:?}", app.chrome.status);
    update(&mut app, ch('r'));
    for c in "SUP-9".chars() {
        update(&mut app, ch(c));
    }
    update(&mut app, key(KeyCode::Enter));
    let effects = update(&mut app, ch('y'));
    assert!(effects.iter().any(|e| matches!(e, Effect::Write(_))), "{effects:?}");
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::SessionWrite(_))),
        "nothing before the PUT"
    );
    let effects = update(&mut app, Msg::WriteDone(put_answered("inactive")));
    (app, effects)
}

#[test]
fn deactivating_revokes_all_sessions_after_the_put_succeeds_with_the_same_reason() {
    use crate::app::sessions::SessionWriteKind;
    let (mut app, effects) = deactivate(0);
    let requests: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::SessionWrite(r) => Some(r.as_ref()),
            _ => None,
        })
        .collect();
    assert_eq!(requests.len(), 1, "{effects:?}");
    assert_eq!(requests[0].kind, SessionWriteKind::RevokeAll);
    assert_eq!(requests[0].identity_id, ID);
    assert_eq!(requests[0].why.as_deref(), Some("SUP-9"));
    update(
        &mut app,
        Msg::SessionWriteDone {
            identity_id: ID.into(),
            result: Ok("Revoked all sessions of this identity: HTTP 204".into()),
        },
    );
    assert!(matches!(&app.chrome.status, Status::Info(s) if s.contains("Revoked all sessions")));
}

#[test]
fn r_on_the_state_form_keeps_the_sessions() {
    let (_, effects) = deactivate(1);
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::SessionWrite(_))),
        "{effects:?}"
    );
}

#[test]
fn a_put_that_did_not_deactivate_revokes_nothing() {
    let mut app = on_detail();
    update(&mut app, ch('s'));
    update(&mut app, ch('i'));
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
    );
    update(&mut app, ch('y'));
    let effects = update(&mut app, Msg::WriteDone(put_answered("active")));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::SessionWrite(_))),
        "{effects:?}"
    );
}
