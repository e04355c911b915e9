//! A draft waiting while the Credentials or Addresses section is shown: the
//! entries keep `x` (remove) and `v` (verify) and ↑/↓, the offer's keys move
//! aside (`d` discards; `V` shows the diff on Addresses), and the offer line
//! names the keys that do what it says.

use super::*;
use crate::app::credential_removal::CredentialChange;
use crate::app::detail::SectionKind;
use crate::app::doc::StyledLine;
use crate::app::keys::Context;
use crate::drafts::Draft;
use ratatui::{Terminal, backend::TestBackend};

const ID: &str = "00000000-0000-4000-8000-0000000000a1";

fn person() -> Value {
    json!({
        "id": ID,
        "schema_id": "default",
        "state": "active",
        "traits": {"email": "ada@example.com"},
        "credentials": {
            "password": {"type": "password", "identifiers": ["ada@example.com"]},
            "oidc": {"type": "oidc", "identifiers": ["google:1", "github:2"]}
        },
        "verifiable_addresses": [
            {"id": "a1", "value": "ada@example.com", "via": "email", "verified": false, "status": "sent"},
            {"id": "a2", "value": "+4412345", "via": "sms", "verified": true, "status": "completed"}
        ]
    })
}

/// Ada's detail on `section` with a traits draft waiting, wide enough for
/// the whole offer line.
fn with_offer(section: char) -> App {
    let mut app = opened_in_detail(Vec::new(), person());
    let draft = Draft::new(
        "support",
        ID,
        "traits",
        json!({"text": "{\"email\": \"x@example.com\"}"}),
        None,
    );
    app.drafts.known.push(draft.clone());
    app.detail.offer = Some(draft);
    update(&mut app, Msg::Resize { width: 120, height: 30 });
    update(&mut app, ch(section));
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

fn asked(app: &App) -> Option<&CredentialChange> {
    app.detail
        .state
        .as_ref()
        .and_then(|d| d.entries.confirm.as_ref())
        .map(|c| &c.change)
}

#[test]
fn on_credentials_with_a_draft_waiting_arrows_choose_and_x_asks_to_remove_keeping_the_draft() {
    let mut app = with_offer('4');
    assert_eq!(app.key_context(), Context::DetailCredentialsOffer);
    let line = offer(&app);
    assert!(!line.contains("x discard"), "x removes a credential here: {line}");
    update(&mut app, key(KeyCode::Down));
    update(&mut app, key(KeyCode::Down));
    let text = section_text(&app, SectionKind::Credentials);
    assert!(
        text.lines().any(|l| l.starts_with("▶ github") && l.ends_with(" 2")),
        "↓ chooses the entry: {text}"
    );

    let effects = update(&mut app, ch('x'));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::RemoveDraft { .. })),
        "{effects:?}"
    );
    match asked(&app) {
        Some(CredentialChange::Remove(entry)) => {
            assert_eq!(entry.kind, "oidc");
            assert_eq!(entry.identifier.as_deref(), Some("github:2"));
        }
        other => panic!("x should ask to remove the chosen link: {other:?}"),
    }
    assert!(app.detail.offer.is_some(), "the draft still waits");
    assert!(screen(&app).contains("github:2"), "the confirm names the link");

    update(&mut app, ch('n'));
    assert!(asked(&app).is_none(), "n goes back, nothing sent");
    assert_eq!(app.key_context(), Context::DetailCredentialsOffer);
}

#[test]
fn on_credentials_the_offer_names_d_and_d_discards_without_asking_to_remove() {
    let mut app = with_offer('4');
    let line = offer(&app);
    let discard = named_key(&line, " discard");
    assert_eq!(discard, "d", "{line}");
    let effects = press_named(&mut app, &discard);
    assert_eq!(effects, vec![Effect::RemoveDraft { identity_id: ID.into() }]);
    assert!(app.detail.offer.is_none());
    assert!(app.drafts.known.is_empty());
    assert!(asked(&app).is_none(), "discarding asked to remove a credential");
    assert_eq!(app.key_context(), Context::DetailCredentials);
    assert!(!screen(&app).contains("Draft of the"), "the offer is gone");
}

#[test]
fn on_addresses_with_a_draft_waiting_v_asks_to_verify_keeping_the_draft() {
    let mut app = with_offer('5');
    assert_eq!(app.key_context(), Context::DetailAddressesOffer);
    let line = offer(&app);
    assert!(!line.contains(" v diff"), "v verifies here: {line}");
    let effects = update(&mut app, ch('v'));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::RemoveDraft { .. })),
        "{effects:?}"
    );
    assert_eq!(app.screen, Screen::Detail, "v did not show the draft");
    match asked(&app) {
        Some(CredentialChange::Verify { address, verified }) => {
            assert_eq!(address.value, "ada@example.com");
            assert!(*verified, "the unverified address is to be marked verified");
        }
        other => panic!("v should ask to verify the chosen address: {other:?}"),
    }
    assert!(app.detail.offer.is_some(), "the draft still waits");

    // ↓ chooses the other address, which v would mark unverified.
    update(&mut app, ch('n'));
    update(&mut app, key(KeyCode::Down));
    assert!(
        section_text(&app, SectionKind::Addresses).contains("▶"),
        "a chosen address is marked"
    );
    update(&mut app, ch('v'));
    assert!(matches!(
        asked(&app),
        Some(CredentialChange::Verify { verified: false, address }) if address.value == "+4412345"
    ));
}

#[test]
fn on_credentials_and_addresses_each_key_the_offer_names_does_what_it_says() {
    for section in ['4', '5'] {
        let mut app = with_offer(section);
        let line = offer(&app);

        let diff = named_key(&line, " diff");
        let effects = press_named(&mut app, &diff);
        assert_eq!(
            app.screen,
            Screen::Text,
            "section {section}: {diff} shows the draft: {line}"
        );
        assert!(asked(&app).is_none(), "section {section}: {diff} asked a write");
        assert!(!effects.iter().any(|e| matches!(e, Effect::RemoveDraft { .. })));
        update(&mut app, key(KeyCode::Esc));
        assert_eq!(app.screen, Screen::Detail, "section {section}");

        let discard = named_key(&line, " discard");
        let mut discarding = with_offer(section);
        let effects = press_named(&mut discarding, &discard);
        assert_eq!(
            effects,
            vec![Effect::RemoveDraft { identity_id: ID.into() }],
            "section {section}: {line}"
        );
        assert!(
            asked(&discarding).is_none(),
            "section {section}: {discard} asked a write"
        );

        let restore = named_key(&line, " restore");
        press_named(&mut app, &restore);
        assert_eq!(
            app.screen,
            Screen::Form,
            "section {section}: {restore} restores: {line}"
        );
        assert!(asked(&app).is_none(), "section {section}");
    }
}

#[test]
fn at_80_columns_the_offer_keeps_its_keys_on_credentials_and_addresses() {
    for (section, ends) in [('4', "d discard"), ('5', "d discard")] {
        let mut app = with_offer(section);
        update(&mut app, Msg::Resize { width: 80, height: 24 });
        let line = offer(&app);
        assert!(line.ends_with(ends), "section {section}: {line}");
        if section == '5' {
            assert!(line.contains("V diff"), "{line}");
        }
    }
}
