//! The attribute review's reason line (issue 14, point 5): the identity
//! review's own (`r` gives it the keys, typing edits it, Enter keeps it,
//! Esc undoes the typing), checked the same way before `y` sends, carried
//! with the update to the audit `intent`, offered again on the next review
//! of the run (either kind), and required by a `require_reason` profile.

use super::super::attribute::AttributeRequest;
use super::super::keys::Context;
use super::super::review::WriteOutcome;
use super::*;

const ID: &str = "00000000-0000-4000-8000-000000000007";
const TOKEN: &str = "it-5Hq8Lm2Zr7Xw4Kp9";
const NAME: &str = "com.example.membership";

/// Sofia, with her issuance token where the profile looks for it.
fn sofia() -> Value {
    json!({
        "id": ID,
        "schema_id": "email",
        "state": "active",
        "traits": {"email": "sofia.rossi@example.com", "name": {"first": "Sofia", "last": "Rossi"}},
        "metadata_admin": {"yoti": {"issuance_token": TOKEN}},
        "updated_at": "2026-11-20T10:00:00Z"
    })
}

/// A schema that names the e-mail as the identifier.
fn schema() -> Value {
    json!({"type": "object", "properties": {"traits": {"type": "object", "properties": {
        "email": {"type": "string", "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}},
        "name": {"type": "object"}
    }}}})
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        update(app, ch(c));
    }
}

fn status(app: &App) -> String {
    match &app.chrome.status {
        Status::None => String::new(),
        Status::Info(text) | Status::Error(text) => text.clone(),
    }
}

/// The detail of Sofia, loaded, on a profile with an attribute registry.
fn on_sofia(require_reason: bool) -> App {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let profile = ProfileInfo {
        name: "prod".into(),
        identities_url: "http://127.0.0.1/admin/identities".into(),
        attribute_registry_url: "http://127.0.0.1/registry".into(),
        attribute_registry: true,
        issuance_token_pointer: "/metadata_admin/yoti/issuance_token".into(),
        require_reason,
        ..Default::default()
    };
    let mut app = App::new(profile, 80, 24, now);
    app.start();
    update(&mut app, Msg::SchemasLoaded(Ok(vec![("email".into(), schema())])));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(LoadedPage {
                items: vec![sofia()],
                next: None,
            }),
        },
    );
    update(&mut app, key(KeyCode::Enter));
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(sofia()),
        },
    );
    assert_eq!(app.screen, Screen::Detail);
    app
}

/// `a` on the detail, the attribute named, Ctrl-S: the review.
fn review_from_detail(app: &mut App) {
    update(app, ch('a'));
    assert_eq!(app.screen, Screen::Attribute);
    typed(app, NAME);
    update(app, ctrl('s'));
    assert_eq!(app.key_context(), Context::AttributeReview, "{}", status(app));
}

/// The attribute update of Sofia, reviewed.
fn attribute_review(require_reason: bool) -> App {
    let mut app = on_sofia(require_reason);
    review_from_detail(&mut app);
    app
}

fn sent(effects: &[Effect]) -> Vec<&AttributeRequest> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::WriteAttribute(request) => Some(request.as_ref()),
            _ => None,
        })
        .collect()
}

/// The reason line of the attribute review: its text and whether it is
/// the last write's, offered again.
fn reason_line(app: &App) -> Option<(String, bool)> {
    let review = app.edit.attribute.as_ref()?.review.as_ref()?;
    Some((review.reason.text().to_owned(), review.reason.remembered()))
}

/// The registry's `200 OK`.
fn accepted() -> WriteOutcome {
    let exchange = crate::api::Exchange {
        request_id: "req-1".into(),
        method: "PUT".into(),
        url: "http://127.0.0.1/registry/attribute/update".into(),
        request_headers: Vec::new(),
        request_body: None,
        status: 200,
        reason: "OK".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: b"{}".to_vec(),
        started_at: Utc::now(),
        elapsed: std::time::Duration::from_millis(42),
    };
    WriteOutcome::Answered {
        response: review::registry_response_view(&exchange, ID),
        identity: None,
    }
}

/// `r`, typing, Enter, `y`: the update goes with the reason and who it is
/// for, as the audit trail records them; keys that answer the review (`y`,
/// `n`) are typed into the reason while the line has the keys; `H` lists
/// the reason, and the run remembers it.
#[test]
fn the_reason_goes_with_the_attribute_update() {
    let mut app = attribute_review(false);
    assert_eq!(reason_line(&app), Some((String::new(), false)));
    update(&mut app, ch('r'));
    assert_eq!(app.key_context(), Context::ReviewReason);
    assert_eq!(app.screen, Screen::Attribute);
    let effects: Vec<Effect> = "SUP-4711 yes, renew"
        .chars()
        .flat_map(|c| update(&mut app, ch(c)))
        .collect();
    assert!(sent(&effects).is_empty(), "typing y sent: {effects:?}");
    typed(&mut app, " n");
    assert_eq!(app.screen, Screen::Attribute, "n is typed, not back to the form");
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.key_context(), Context::AttributeReview);
    assert!(status(&app).contains("Reason kept"), "{}", status(&app));

    let effects = update(&mut app, ch('y'));
    let sent = sent(&effects);
    assert_eq!(sent.len(), 1, "{effects:?}");
    assert_eq!(sent[0].identity_id, ID);
    assert_eq!(sent[0].reason.as_deref(), Some("SUP-4711 yes, renew n"));
    assert_eq!(sent[0].identifier.as_deref(), Some("sofia.rossi@example.com"));
    assert_eq!(sent[0].update.name, NAME);
    assert_eq!(app.history.entries[0].reason.as_deref(), Some("SUP-4711 yes, renew n"));
    assert_eq!(app.history.last_reason.as_deref(), Some("SUP-4711 yes, renew n"));
}

/// Esc on the reason line puts back what it held; the reason of one write
/// is offered on the next review, attribute or identity, marked as the
/// last write's.
#[test]
fn esc_undoes_the_typing_and_the_reason_is_offered_next_time() {
    let mut app = attribute_review(false);
    update(&mut app, ch('r'));
    typed(&mut app, "SUP-1");
    update(&mut app, key(KeyCode::Enter));
    update(&mut app, ch('r'));
    typed(&mut app, " and more");
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.key_context(), Context::AttributeReview);
    assert_eq!(reason_line(&app), Some(("SUP-1".to_owned(), false)));
    assert_eq!(sent(&update(&mut app, ch('y'))).len(), 1);
    update(&mut app, Msg::AttributeDone(accepted()));
    assert_eq!(app.screen, Screen::Response);
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Detail);

    review_from_detail(&mut app);
    assert_eq!(reason_line(&app), Some(("SUP-1".to_owned(), true)));
    let effects = update(&mut app, ch('y'));
    assert_eq!(sent(&effects).first().and_then(|r| r.reason.as_deref()), Some("SUP-1"));
    update(&mut app, Msg::AttributeDone(accepted()));
    update(&mut app, key(KeyCode::Esc));

    // The identity review of the same run offers it too.
    update(&mut app, ch('s'));
    update(&mut app, ch(' '));
    update(&mut app, ctrl('s'));
    assert_eq!(app.screen, Screen::Review, "{}", status(&app));
    let offered = app
        .edit
        .review
        .as_ref()
        .map(|r| (r.reason.text().to_owned(), r.reason.remembered()));
    assert_eq!(offered, Some(("SUP-1".to_owned(), true)));
}

/// A `require_reason` profile: `y` without a reason sends nothing, lists
/// nothing in `H`, says so and gives the reason line the keys; spaces are
/// no reason; with one, it sends.
#[test]
fn a_profile_that_requires_a_reason_refuses_y_without_one() {
    let mut app = attribute_review(true);
    let effects = update(&mut app, ch('y'));
    assert!(sent(&effects).is_empty(), "{effects:?}");
    assert!(app.history.entries.is_empty());
    assert!(!app.busy());
    let told = status(&app);
    assert!(told.contains("requires a reason") && told.contains("prod"), "{told}");
    assert_eq!(app.key_context(), Context::ReviewReason);
    typed(&mut app, "   ");
    update(&mut app, key(KeyCode::Enter));
    assert!(sent(&update(&mut app, ch('y'))).is_empty());
    assert_eq!(app.key_context(), Context::ReviewReason);
    update(&mut app, ctrl('u'));
    typed(&mut app, "SUP-2");
    update(&mut app, key(KeyCode::Enter));
    let effects = update(&mut app, ch('y'));
    assert_eq!(sent(&effects).first().and_then(|r| r.reason.as_deref()), Some("SUP-2"));
}

/// A paste goes into the reason line only while it has the keys, made one
/// plain line when sent; a reason longer than the trail keeps is refused,
/// not cut.
#[test]
fn a_pasted_reason_is_one_line_and_a_long_one_is_refused() {
    let mut app = attribute_review(false);
    update(&mut app, Msg::Paste("SUP-9".into()));
    assert_eq!(
        reason_line(&app),
        Some((String::new(), false)),
        "a paste never reaches the review"
    );
    update(&mut app, ch('r'));
    update(&mut app, Msg::Paste("SUP-3\ncustomer called\ttwice".into()));
    update(&mut app, key(KeyCode::Enter));
    let effects = update(&mut app, ch('y'));
    assert_eq!(
        sent(&effects).first().and_then(|r| r.reason.as_deref()),
        Some("SUP-3 customer called twice")
    );

    let mut app = attribute_review(false);
    update(&mut app, ch('r'));
    update(
        &mut app,
        Msg::Paste("x".repeat(crate::write::reason::MAX_REASON_CHARS + 1)),
    );
    update(&mut app, key(KeyCode::Enter));
    let effects = update(&mut app, ch('y'));
    assert!(sent(&effects).is_empty());
    assert!(status(&app).contains("at most"), "{}", status(&app));
    assert_eq!(
        app.key_context(),
        Context::ReviewReason,
        "the line takes the keys to shorten it"
    );
}

/// The review offers `r` in its footer and help, as the identity review
/// does; while sending it does not (the reason went with the update).
#[test]
fn the_attribute_review_offers_r() {
    let footer = |context| -> Vec<&'static str> {
        crate::app::keys::bindings(context)
            .into_iter()
            .filter(|b| b.in_footer)
            .map(|b| b.keys)
            .collect()
    };
    assert!(footer(Context::AttributeReview).contains(&"r"));
    assert!(!footer(Context::AttributeSending).contains(&"r"));

    let mut app = attribute_review(false);
    update(&mut app, ch('y'));
    assert_eq!(app.key_context(), Context::AttributeSending);
    update(&mut app, ch('r'));
    assert_eq!(
        app.key_context(),
        Context::AttributeSending,
        "r does nothing while sending"
    );
}
