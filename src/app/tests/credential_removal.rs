//! `x` on the Credentials section and `v` on the Addresses section: the
//! chosen entry, the confirm screen, the request it sends, refusals.

use super::*;
use crate::app::credential_removal::{CredentialChange, CredentialWriteRequest};
use crate::app::detail::SectionKind;
use crate::app::doc::StyledLine;
use crate::app::keys::Context;

const ID: &str = "00000000-0000-4000-8000-000000000042";

fn person() -> Value {
    json!({
        "id": ID,
        "schema_id": "default",
        "state": "active",
        "traits": {"email": "ada@example.com"},
        "credentials": {
            "password": {"type": "password", "identifiers": ["ada@example.com"]},
            "oidc": {"type": "oidc", "identifiers": ["google:1", "github:2\u{1b}[31m"]},
            "passkey": {"type": "passkey", "identifiers": []}
        },
        "verifiable_addresses": [
            {"id": "a1", "value": "ada@example.com", "via": "email", "verified": false, "status": "sent"},
            {"id": "a2", "value": "+4412345", "via": "sms", "verified": true, "status": "completed"}
        ]
    })
}

fn on(section: char, read_only: bool, require_reason: bool) -> App {
    let mut app = opened_in_detail(Vec::new(), person());
    app.profile.read_only = read_only;
    app.profile.require_reason = require_reason;
    update(&mut app, ch(section));
    app
}

fn section_text(app: &App, kind: SectionKind) -> String {
    let detail = app.detail.state.as_ref().unwrap_or_else(|| panic!("no detail"));
    let section = detail
        .sections
        .iter()
        .find(|s| s.kind == kind)
        .unwrap_or_else(|| panic!("no section"));
    section
        .lines
        .iter()
        .map(StyledLine::text)
        .collect::<Vec<_>>()
        .join("\n")
}

fn sent(effects: &[Effect]) -> Option<&CredentialWriteRequest> {
    effects.iter().find_map(|e| match e {
        Effect::CredentialWrite(request) => Some(request.as_ref()),
        _ => None,
    })
}

#[test]
fn arrows_choose_the_entry_and_x_asks_before_removing_one_link() {
    let mut app = on('4', false, false);
    assert_eq!(app.key_context(), Context::DetailCredentials);
    assert!(section_text(&app, SectionKind::Credentials).contains("▶ identifiers"));
    update(&mut app, key(KeyCode::Down));
    update(&mut app, key(KeyCode::Down));
    let text = section_text(&app, SectionKind::Credentials);
    assert!(text.contains("▶ github"), "{text}");
    assert!(!text.contains('\u{1b}'), "escape sequences never reach the screen");
    let effects = update(&mut app, ch('x'));
    assert!(effects.is_empty(), "nothing sent before y: {effects:?}");
    assert_eq!(app.key_context(), Context::CredentialConfirm);
    let effects = update(&mut app, ch('y'));
    let Some(request) = sent(&effects) else {
        panic!("y sends: {effects:?}")
    };
    assert_eq!(request.identity_id, ID);
    assert_eq!(request.identifier.as_deref(), Some("ada@example.com"));
    let CredentialChange::Remove(entry) = &request.change else {
        panic!("a removal")
    };
    assert_eq!(entry.kind, "oidc");
    assert_eq!(entry.identifier.as_deref(), Some("github:2\u{1b}[31m"));
    assert_eq!(app.key_context(), Context::CredentialSending);

    let effects = update(
        &mut app,
        Msg::CredentialWriteDone {
            identity_id: ID.into(),
            result: Ok("Removed the oidc credential link github:2".into()),
        },
    );
    assert!(
        effects.contains(&Effect::LoadIdentity { id: ID.into() }),
        "read again: {effects:?}"
    );
    assert!(matches!(&app.chrome.status, Status::Info(s) if s.starts_with("Removed the oidc")));
    assert_eq!(app.key_context(), Context::DetailCredentials);
}

#[test]
fn n_sends_nothing_and_a_required_reason_is_asked_for() {
    let mut app = on('4', false, true);
    update(&mut app, ch('x'));
    let effects = update(&mut app, ch('y'));
    assert!(sent(&effects).is_none(), "no reason, nothing sent");
    // The reason line takes the keys at once.
    assert_eq!(app.key_context(), Context::CredentialReason);
    update(&mut app, Msg::Paste("SUP-18".into()));
    update(&mut app, key(KeyCode::Enter));
    let effects = update(&mut app, ch('y'));
    assert_eq!(sent(&effects).and_then(|r| r.why.as_deref()), Some("SUP-18"));

    let mut app = on('4', false, false);
    update(&mut app, ch('x'));
    let effects = update(&mut app, ch('n'));
    assert!(sent(&effects).is_none());
    assert_eq!(app.key_context(), Context::DetailCredentials);
}

#[test]
fn a_read_only_profile_refuses_at_once_and_records_it() {
    let mut app = on('4', true, false);
    let effects = update(&mut app, ch('x'));
    assert!(
        matches!(effects.as_slice(), [Effect::AuditRefusal { .. }]),
        "{effects:?}"
    );
    assert!(matches!(&app.chrome.status, Status::Error(s) if s.contains("read-only")));
    assert_eq!(app.key_context(), Context::DetailCredentials);
    let mut app = on('5', true, false);
    let effects = update(&mut app, ch('v'));
    assert!(
        matches!(effects.as_slice(), [Effect::AuditRefusal { .. }]),
        "{effects:?}"
    );
}

#[test]
fn passkeys_are_not_offered_for_removal() {
    let mut app = on('4', false, false);
    update(&mut app, key(KeyCode::End));
    assert!(section_text(&app, SectionKind::Credentials).contains("passkey"));
    let effects = update(&mut app, ch('x'));
    assert!(effects.is_empty());
    assert!(matches!(&app.chrome.status, Status::Error(s) if s.contains("cannot delete passkeys")));
    assert_eq!(app.key_context(), Context::DetailCredentials);
}

#[test]
fn v_toggles_the_chosen_address() {
    let mut app = on('5', false, false);
    assert_eq!(app.key_context(), Context::DetailAddresses);
    let effects = update(&mut app, ch('v'));
    assert!(effects.is_empty());
    update(&mut app, ch('y'));
    let mut app2 = on('5', false, false);
    update(&mut app2, key(KeyCode::Down));
    assert!(section_text(&app2, SectionKind::Addresses).contains("▶ +4412345"));
    update(&mut app2, ch('v'));
    let effects = update(&mut app2, ch('y'));
    let Some(CredentialWriteRequest {
        change: CredentialChange::Verify { address, verified },
        ..
    }) = sent(&effects)
    else {
        panic!("a verification: {effects:?}")
    };
    assert_eq!(address.value, "+4412345");
    assert_eq!(address.id.as_deref(), Some("a2"));
    assert!(!verified, "a verified address goes back to unverified");
    // The first app asked to verify the unverified one.
    assert!(matches!(
        app.detail
            .state
            .as_ref()
            .and_then(|d| d.entries.confirm.as_ref())
            .map(|c| &c.change),
        Some(CredentialChange::Verify { verified: true, .. })
    ));
}

#[test]
fn a_draft_offer_leaves_x_and_v_to_the_entries() {
    // The offer's keys move aside here (`app::tests::offer_keys`).
    let mut app = on('4', false, false);
    app.detail.offer = Some(crate::drafts::Draft::new("support", ID, "traits", json!({}), None));
    assert_eq!(app.key_context(), Context::DetailCredentialsOffer);
}
