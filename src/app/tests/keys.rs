//! The key test: on every screen (each key context, in one or more states
//! where its keys can act), every printable key, F1–F12, the arrows and the
//! other named keys are pressed. A key that changes anything (state or
//! effects) must be listed in that context's table, and each listed key
//! must change something in at least one of the context's states. The
//! README's key table and the help overlay are checked against the same
//! tables.

use chrono::TimeZone;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};

use super::super::keys::{self, Context, Pattern};
use super::super::review::WriteOutcome;
use super::super::*;
use crate::drafts::Draft;

const ID: &str = "00000000-0000-4000-8000-000000000002";

fn press(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn ch(app: &mut App, c: char) {
    press(app, KeyCode::Char(c));
}

fn ctrl(app: &mut App, c: char) {
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)));
}

fn typed(app: &mut App, text: &str) {
    text.chars().for_each(|c| ch(app, c));
}

/// An identity with enough in it that every section and the review scroll.
fn identity(i: usize) -> Value {
    let mut traits = serde_json::Map::new();
    traits.insert("email".into(), json!(format!("user{i}@example.com")));
    for n in 0..12 {
        traits.insert(
            format!("field{n:02}"),
            json!(format!("a value long enough to scroll sideways {n} {}", "x".repeat(60))),
        );
    }
    json!({
        "id": format!("00000000-0000-4000-8000-{i:012}"),
        "schema_id": "phone",
        "state": "active",
        "traits": traits,
        "metadata_public": {"plan": "pro"},
        "metadata_admin": {"ticket": "SUP-1", "yoti": {"issuance_token": "it-token-0123456789abcdef"}},
        "credentials": {"password": {"type": "password", "identifiers": ["a@example.com"], "version": 0}},
        "updated_at": "2026-11-20T10:00:00Z"
    })
}

fn schemas() -> Msg {
    let open = json!({"type": "object", "properties": {"traits": {"type": "object"}}});
    Msg::SchemasLoaded(Ok(vec![
        ("email".into(), open.clone()),
        ("phone".into(), open.clone()),
        ("zeta".into(), open),
    ]))
}

/// The list of 100 identities (all loaded unless `more`), at `width`x`height`.
fn list_app(width: u16, height: u16, more: bool) -> App {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let profile = ProfileInfo {
        name: "test".into(),
        identities_url: "http://127.0.0.1/admin/identities".into(),
        attribute_registry_url: "http://127.0.0.1/registry".into(),
        attribute_registry: true,
        issuance_token_pointer: "/metadata_admin/yoti/issuance_token".into(),
        ..Default::default()
    };
    let mut app = App::new(profile, width, height, now);
    app.start();
    update(&mut app, schemas());
    let next = more.then(|| vec![("page_token".to_owned(), "p2".to_owned())]);
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(LoadedPage {
                items: (0..100).map(identity).collect(),
                next,
            }),
        },
    );
    app
}

/// The create screen (`n`) on the state field of the first schema's form.
fn create_state() -> App {
    let mut app = list_app(80, 24, false);
    let traits = json!({"type": "object", "properties": {"email": {"type": "string", "format": "email"}}});
    let schema = json!({"type": "object", "properties": {"traits": traits}});
    update(&mut app, Msg::SchemasLoaded(Ok(vec![("email".into(), schema)])));
    ch(&mut app, 'n');
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Tab);
    app
}

/// The create screen's review.
fn create_review() -> App {
    let mut app = create_state();
    ctrl(&mut app, 's');
    app
}

/// The create review's reason line, something typed.
fn create_reason() -> App {
    let mut app = create_review();
    ch(&mut app, 'r');
    typed(&mut app, "T-1");
    app
}

/// The list with the cursor in the middle.
fn list() -> App {
    let mut app = list_app(80, 24, false);
    (0..50).for_each(|_| ch(&mut app, 'j'));
    app
}

/// The detail of the third identity, loaded.
fn detail() -> App {
    let mut app = list_app(80, 24, false);
    ch(&mut app, 'j');
    ch(&mut app, 'j');
    press(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(identity(2)),
        },
    );
    app
}

fn draft(identity_id: &str) -> Draft {
    let text = serde_json::to_string_pretty(&json!({
        "email": "changed@example.com",
        "a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8,
        "note": format!("a value wider than the screen {}", "x".repeat(90))
    }))
    .unwrap_or_default();
    Draft::new("test", identity_id, "traits", json!({ "text": text }), None)
}

/// The detail with a draft waiting for it.
fn detail_with_offer() -> App {
    let mut app = list_app(80, 24, false);
    update(
        &mut app,
        Msg::DraftsListed(Ok(vec![
            draft(ID),
            draft("00000000-0000-4000-8000-000000000007"),
            draft("00000000-0000-4000-8000-000000000009"),
        ])),
    );
    ch(&mut app, 'j');
    ch(&mut app, 'j');
    press(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(identity(2)),
        },
    );
    app
}

/// The detail on its raw JSON, scrolled down and sideways.
fn detail_scrolled() -> App {
    scrolled(detail())
}

fn scrolled(mut app: App) -> App {
    (0..5).for_each(|_| press(&mut app, KeyCode::Tab));
    (0..5).for_each(|_| ch(&mut app, 'j'));
    // A search with a match on every trait, so n/N move.
    ch(&mut app, '/');
    typed(&mut app, "long enough");
    press(&mut app, KeyCode::Enter);
    (0..2).for_each(|_| ch(&mut app, 'l'));
    app
}

/// The Sessions section with eight sessions read, the third chosen, a
/// search with a match in each and scrolled sideways (`tests::sessions`
/// has the rest).
fn detail_sessions() -> App {
    sessions_of(detail())
}

/// `app`'s Sessions section as [`detail_sessions`] has it.
fn sessions_of(mut app: App) -> App {
    ch(&mut app, '7');
    let items: Vec<crate::api::sessions::Session> = (0..8)
        .filter_map(|i| {
            serde_json::from_value(json!({
                "id": format!("{i:08}-aaaa-4bbb-8ccc-000000000000"), "active": true,
                "expires_at": "2026-12-01T00:00:00Z", "authenticator_assurance_level": "aal1",
                "devices": [{"ip_address": "203.0.113.7", "user_agent": "x".repeat(120)}]
            }))
            .ok()
        })
        .collect();
    let id = app.detail.id().unwrap_or_default().to_owned();
    update(
        &mut app,
        Msg::SessionsLoaded {
            identity_id: id,
            active_only: false,
            page: 0,
            result: Ok(crate::api::sessions::SessionPage { items, total: Some(8) }),
        },
    );
    ch(&mut app, '/');
    typed(&mut app, "aal1");
    press(&mut app, KeyCode::Enter);
    (0..3).for_each(|_| ch(&mut app, 'j'));
    (0..2).for_each(|_| ch(&mut app, 'l'));
    app
}

/// The raw JSON with its search prompt open and something typed.
fn view_searching() -> App {
    let mut app = detail();
    ch(&mut app, '6');
    ch(&mut app, '/');
    typed(&mut app, "val");
    app
}

fn form(key: char) -> App {
    let mut app = detail();
    ch(&mut app, key);
    app
}

/// A JSON editor with its cursor inside the text, away from every edge.
fn traits_form() -> App {
    let mut app = form('e');
    (0..3).for_each(|_| press(&mut app, KeyCode::Down));
    (0..4).for_each(|_| press(&mut app, KeyCode::Right));
    app
}

/// The traits form built from a schema with every kind of field (the rest
/// of the identity's traits are listed as not in the schema).
fn trait_fields() -> App {
    let mut app = detail();
    let schema = json!({"type": "object", "properties": {"traits": {"type": "object", "properties": {
        "email": {"type": "string", "title": "E-Mail"},
        "field00": {"type": "string"},
        "vip": {"type": "boolean"},
        "plan": {"enum": ["free", "pro", "enterprise"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "field01": {"type": "string"}
    }}}});
    update(&mut app, Msg::SchemasLoaded(Ok(vec![("phone".into(), schema)])));
    ch(&mut app, 'e');
    app
}

/// `tabs` fields down the traits form.
fn trait_field(tabs: usize) -> App {
    let mut app = trait_fields();
    (0..tabs).for_each(|_| press(&mut app, KeyCode::Tab));
    app
}

/// A typed field between others, its cursor inside the text.
fn trait_text() -> App {
    let mut app = trait_field(1);
    (0..3).for_each(|_| press(&mut app, KeyCode::Left));
    app
}

/// The choice list open, its highlight between the first and the last.
fn trait_choosing() -> App {
    let mut app = trait_field(3);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Down);
    app
}

fn metadata_form() -> App {
    let mut app = form('m');
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Right);
    app
}

fn state_form(inactive: bool) -> App {
    let mut app = form('s');
    if inactive {
        ch(&mut app, ' ');
    }
    app
}

fn credentials_on(field: usize) -> App {
    let mut app = form('c');
    // Password, confirm, hash here, then around to the import choice.
    (0..field).for_each(|_| press(&mut app, KeyCode::Tab));
    app
}

fn credentials_text_field() -> App {
    let mut app = form('c');
    typed(&mut app, "abcd");
    press(&mut app, KeyCode::Left);
    app
}

fn hashing() -> App {
    let mut app = form('c');
    typed(&mut app, "pw");
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "pw");
    press(&mut app, KeyCode::Tab);
    ch(&mut app, ' ');
    ctrl(&mut app, 's');
    app
}

fn discard_form() -> App {
    let mut app = state_form(true);
    press(&mut app, KeyCode::Esc);
    app
}

fn review() -> App {
    let mut app = state_form(true);
    ctrl(&mut app, 's');
    (0..2).for_each(|_| ch(&mut app, 'j'));
    app
}

fn sending() -> App {
    let mut app = review();
    ch(&mut app, 'y');
    app
}

/// The review's reason line with the keys, the cursor inside the text.
fn review_reason() -> App {
    let mut app = review();
    ch(&mut app, 'r');
    typed(&mut app, "SUP-1");
    press(&mut app, KeyCode::Left);
    app
}

/// Esc while sending: the write is still followed, the review disarmed.
fn stopped_waiting() -> App {
    let mut app = sending();
    press(&mut app, KeyCode::Esc);
    app
}

fn conflict() -> App {
    let mut app = sending();
    let mut newer = identity(2);
    newer["traits"]["email"] = json!("someone-else@example.com");
    newer["updated_at"] = json!("2026-11-21T10:00:00Z");
    let latest = match crate::write::Snapshot::from_raw(newer.clone()) {
        Ok(snapshot) => Box::new(snapshot),
        Err(e) => panic!("snapshot: {e}"),
    };
    let server_changes = crate::diff::diff(&identity(2), &newer);
    update(
        &mut app,
        Msg::WriteDone(WriteOutcome::Changed { latest, server_changes }),
    );
    app
}

fn answer() -> response::ResponseView {
    let exchange = crate::api::Exchange {
        request_id: "r".into(),
        method: "PUT".into(),
        url: format!("http://127.0.0.1/admin/identities/{ID}"),
        request_headers: Vec::new(),
        request_body: None,
        status: 200,
        reason: "OK".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: identity(2).to_string().into_bytes(),
        started_at: Utc::now(),
        elapsed: std::time::Duration::from_millis(3),
    };
    response::response_view(&exchange, Some(ID.into()))
}

fn response_screen() -> App {
    let mut app = sending();
    update(
        &mut app,
        Msg::WriteDone(WriteOutcome::Answered {
            response: answer(),
            identity: Some(identity(2)),
        }),
    );
    (0..2).for_each(|_| ch(&mut app, 'j'));
    app
}

fn history() -> App {
    let mut app = list();
    for _ in 0..3 {
        app.history.record(&answer());
    }
    ch(&mut app, 'H');
    ch(&mut app, 'k');
    app
}

fn drafts() -> App {
    let mut app = detail_with_offer();
    press(&mut app, KeyCode::Esc);
    ch(&mut app, 'D');
    ch(&mut app, 'j');
    app
}

/// A text view unwrapped, searched for something found more than once and
/// scrolled sideways: every view key can act on it.
fn read_closely(mut app: App) -> App {
    ch(&mut app, 'w');
    ch(&mut app, '/');
    typed(&mut app, "a");
    press(&mut app, KeyCode::Enter);
    ch(&mut app, 'l');
    app
}

fn text() -> App {
    let mut app = detail_with_offer();
    update(&mut app, Msg::Resize { width: 80, height: 15 });
    ch(&mut app, 'v');
    ch(&mut app, 'j');
    app
}

fn attribute_name() -> App {
    let mut app = form('a');
    typed(&mut app, "name");
    press(&mut app, KeyCode::Left);
    app
}

fn attribute_value() -> App {
    let mut app = form('a');
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "xyz");
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "abc");
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Left);
    app
}

fn attribute_discard() -> App {
    let mut app = attribute_name();
    press(&mut app, KeyCode::Esc);
    app
}

fn attribute_review() -> App {
    let mut app = form('a');
    typed(&mut app, "com.example.membership");
    ctrl(&mut app, 's');
    app
}

fn attribute_sending() -> App {
    let mut app = attribute_review();
    ch(&mut app, 'y');
    app
}

fn help(width: u16, height: u16) -> App {
    let mut app = list_app(width, height, false);
    ch(&mut app, '?');
    if app.key_context() == (Context::Help { scrolls: true }) {
        press(&mut app, KeyCode::Down);
    }
    app
}

fn list_loading_more() -> App {
    let mut app = list_app(80, 24, true);
    ch(&mut app, 'G');
    ch(&mut app, 'k');
    app
}

fn searching() -> App {
    let mut app = list();
    ch(&mut app, '/');
    typed(&mut app, "user");
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    app
}

fn detail_loading() -> App {
    let mut app = list();
    press(&mut app, KeyCode::Enter);
    app
}

fn detail_failed() -> App {
    let mut app = list();
    press(&mut app, KeyCode::Enter);
    let id = app.detail.id().unwrap_or_default().to_owned();
    update(
        &mut app,
        Msg::IdentityLoaded {
            id,
            result: Err("HTTP 500".into()),
        },
    );
    app
}

/// The recovery screen (`R`) of the detail's identity, on its choices.
fn recovery() -> App {
    let mut app = detail();
    ch(&mut app, 'R');
    app
}

/// The recovery screen with "1h" typed into its expiry field.
fn recovery_expiry(cursor_inside: bool) -> App {
    let mut app = recovery();
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "1h");
    if cursor_inside {
        press(&mut app, KeyCode::Left);
    }
    app
}

/// The recovery screen showing the link the server made.
fn recovery_answer() -> App {
    use crate::api::recovery::{RecoveryAnswer, RecoveryKind, RecoverySecret};
    let mut app = recovery();
    press(&mut app, KeyCode::Enter);
    ch(&mut app, 'y');
    let answer = RecoveryAnswer {
        kind: RecoveryKind::Link,
        link: RecoverySecret::new("http://127.0.0.1:4433/self-service/recovery?flow=f&token=t0k3n".into()),
        code: None,
        expires_at: Some("2026-11-24T13:00:00Z".into()),
    };
    update(
        &mut app,
        Msg::RecoveryDone(Box::new(recovery::RecoveryDone {
            identity_id: ID.into(),
            result: Ok(answer),
            response: None,
            audit_warning: None,
        })),
    );
    app
}

/// The detail on its Credentials (`4`) or Addresses (`5`) section, with
/// entries enough to scroll, the second chosen, searched for "example".
fn detail_entries(section: char) -> App {
    entries_of(list_app(80, 24, false), section)
}

/// [`detail_entries`] with a draft waiting for the identity.
fn entries_with_offer(section: char) -> App {
    let mut app = list_app(80, 24, false);
    update(&mut app, Msg::DraftsListed(Ok(vec![draft(ID)])));
    entries_of(app, section)
}

fn entries_of(mut app: App, section: char) -> App {
    ch(&mut app, 'j');
    ch(&mut app, 'j');
    press(&mut app, KeyCode::Enter);
    let mut rich = identity(2);
    let links: Vec<String> = (0..20).map(|i| format!("google:{i}-{}", "s".repeat(90))).collect();
    rich["credentials"]["oidc"] = json!({"type": "oidc", "identifiers": links, "version": 0});
    rich["verifiable_addresses"] = Value::Array(
        (0..30)
            .map(|i| {
                json!({"id": format!("a{i}"), "value": format!("user{i}.{}@example.com", "x".repeat(60)),
                            "via": "email", "verified": false, "status": "sent"})
            })
            .collect(),
    );
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(rich),
        },
    );
    ch(&mut app, section);
    ch(&mut app, 'j');
    ch(&mut app, '/');
    typed(&mut app, "example");
    press(&mut app, KeyCode::Enter);
    app
}

type Scenario = (&'static str, fn() -> App);

/// Each context and the states in which its keys are tried.
fn scenarios() -> Vec<(Context, Vec<Scenario>)> {
    vec![
        (Context::Help { scrolls: false }, vec![("help", || help(200, 50))]),
        (
            Context::Help { scrolls: true },
            vec![("help at 60x15", || help(60, 15))],
        ),
        (
            Context::List,
            vec![("list", list), ("list loading more", list_loading_more)],
        ),
        (Context::Search, vec![("search", searching)]),
        (Context::DetailLoading, vec![("detail loading", detail_loading)]),
        (Context::DetailFailed, vec![("detail failed", detail_failed)]),
        (
            Context::DetailSessions,
            vec![("detail, Sessions, scrolled and searched", detail_sessions)],
        ),
        (
            Context::DetailSessionsOffer,
            vec![("detail, Sessions, a draft waiting", || sessions_of(detail_with_offer()))],
        ),
        (
            Context::SessionConfirm,
            vec![("revoke confirm", || {
                let mut app = detail_sessions();
                ch(&mut app, 'x');
                app
            })],
        ),
        (
            Context::SessionReason,
            vec![
                ("revoke confirm, reason", || {
                    let mut app = detail_sessions();
                    ch(&mut app, 'x');
                    ch(&mut app, 'r');
                    typed(&mut app, "SUP-1");
                    app
                }),
                ("revoke confirm, reason, cursor inside", || {
                    let mut app = detail_sessions();
                    ch(&mut app, 'x');
                    ch(&mut app, 'r');
                    typed(&mut app, "SUP-1");
                    press(&mut app, KeyCode::Left);
                    press(&mut app, KeyCode::Left);
                    app
                }),
            ],
        ),
        (
            Context::SessionSending,
            vec![("revoke sending", || {
                let mut app = detail_sessions();
                ch(&mut app, 'x');
                ch(&mut app, 'y');
                app
            })],
        ),
        (
            Context::DetailCredentials,
            vec![
                ("detail, Credentials, scrolled and searched", || detail_entries('4')),
                ("detail, Credentials, paged down and sideways", || {
                    let mut app = detail_entries('4');
                    press(&mut app, KeyCode::PageDown);
                    ch(&mut app, 'l');
                    app
                }),
            ],
        ),
        (
            Context::DetailAddresses,
            vec![
                ("detail, Addresses, scrolled and searched", || detail_entries('5')),
                ("detail, Addresses, paged down and sideways", || {
                    let mut app = detail_entries('5');
                    press(&mut app, KeyCode::PageDown);
                    ch(&mut app, 'l');
                    app
                }),
            ],
        ),
        (
            Context::DetailCredentialsOffer,
            vec![
                ("detail, Credentials, a draft waiting", || entries_with_offer('4')),
                ("detail, Credentials, a draft waiting, paged down and sideways", || {
                    let mut app = entries_with_offer('4');
                    press(&mut app, KeyCode::PageDown);
                    ch(&mut app, 'l');
                    app
                }),
            ],
        ),
        (
            Context::DetailAddressesOffer,
            vec![
                ("detail, Addresses, a draft waiting", || entries_with_offer('5')),
                ("detail, Addresses, a draft waiting, paged down and sideways", || {
                    let mut app = entries_with_offer('5');
                    press(&mut app, KeyCode::PageDown);
                    ch(&mut app, 'l');
                    app
                }),
            ],
        ),
        (
            Context::CredentialConfirm,
            vec![("credential removal confirm", || {
                let mut app = detail_entries('4');
                ch(&mut app, 'x');
                app
            })],
        ),
        (
            Context::CredentialReason,
            vec![
                ("verify confirm, reason", || {
                    let mut app = detail_entries('5');
                    ch(&mut app, 'v');
                    ch(&mut app, 'r');
                    typed(&mut app, "SUP-1");
                    app
                }),
                ("verify confirm, reason, cursor inside", || {
                    let mut app = detail_entries('5');
                    ch(&mut app, 'v');
                    ch(&mut app, 'r');
                    typed(&mut app, "SUP-1");
                    press(&mut app, KeyCode::Left);
                    press(&mut app, KeyCode::Left);
                    app
                }),
            ],
        ),
        (
            Context::CredentialSending,
            vec![("credential removal sending", || {
                let mut app = detail_entries('4');
                ch(&mut app, 'x');
                ch(&mut app, 'y');
                app
            })],
        ),
        (Context::RecoveryKind, vec![("recovery, link or code", recovery)]),
        (
            Context::RecoveryExpiry,
            vec![
                ("recovery, expiry typed", || recovery_expiry(false)),
                ("recovery, expiry, cursor inside", || recovery_expiry(true)),
            ],
        ),
        (
            Context::RecoveryReason,
            vec![
                ("recovery, reason", || {
                    let mut app = recovery();
                    ch(&mut app, 'r');
                    typed(&mut app, "SUP-1");
                    app
                }),
                ("recovery, reason, cursor inside", || {
                    let mut app = recovery();
                    ch(&mut app, 'r');
                    typed(&mut app, "SUP-1");
                    press(&mut app, KeyCode::Left);
                    press(&mut app, KeyCode::Left);
                    app
                }),
            ],
        ),
        (
            Context::RecoveryConfirm,
            vec![("recovery, asked", || {
                let mut app = recovery();
                press(&mut app, KeyCode::Enter);
                app
            })],
        ),
        (
            Context::RecoverySending,
            vec![("recovery, sending", || {
                let mut app = recovery();
                press(&mut app, KeyCode::Enter);
                ch(&mut app, 'y');
                app
            })],
        ),
        (Context::RecoveryAnswer, vec![("recovery, the answer", recovery_answer)]),
        (
            Context::RecoveryLeave,
            vec![("recovery, leaving the answer", || {
                let mut app = recovery_answer();
                press(&mut app, KeyCode::Esc);
                app
            })],
        ),
        (
            Context::DeleteConfirm,
            vec![
                ("delete, nothing typed", || {
                    let mut app = detail();
                    ctrl(&mut app, 'd');
                    app
                }),
                ("delete, identifier typed, cursor inside", || {
                    let mut app = detail();
                    ctrl(&mut app, 'd');
                    typed(&mut app, "user2@example.com");
                    press(&mut app, KeyCode::Left);
                    app
                }),
            ],
        ),
        (
            Context::DeleteReason,
            vec![
                ("delete, reason", || {
                    let mut app = detail();
                    ctrl(&mut app, 'd');
                    press(&mut app, KeyCode::Tab);
                    typed(&mut app, "GDPR-1");
                    app
                }),
                ("delete, reason, cursor inside", || {
                    let mut app = detail();
                    ctrl(&mut app, 'd');
                    press(&mut app, KeyCode::Tab);
                    typed(&mut app, "GDPR-1");
                    press(&mut app, KeyCode::Left);
                    press(&mut app, KeyCode::Left);
                    app
                }),
            ],
        ),
        (
            Context::DeleteSending,
            vec![("delete, sending", || {
                let mut app = detail();
                ctrl(&mut app, 'd');
                typed(&mut app, "user2@example.com");
                press(&mut app, KeyCode::Enter);
                app
            })],
        ),
        (
            Context::CreateSchema,
            vec![("create, second schema", || {
                let mut app = list_app(80, 24, false);
                ch(&mut app, 'n');
                ch(&mut app, 'j');
                app
            })],
        ),
        (
            Context::CreateState,
            vec![
                ("create, state active", create_state),
                ("create, state inactive", || {
                    let mut app = create_state();
                    ch(&mut app, 'i');
                    app
                }),
            ],
        ),
        (Context::CreateReview, vec![("create, review", create_review)]),
        (
            Context::CreateReason,
            vec![
                ("create, reason", create_reason),
                ("create, reason, cursor inside", || {
                    let mut app = create_reason();
                    press(&mut app, KeyCode::Left);
                    app
                }),
            ],
        ),
        (
            Context::CreateSending,
            vec![("create, sending", || {
                let mut app = create_review();
                press(&mut app, KeyCode::Enter);
                app
            })],
        ),
        (
            Context::Detail { offer: false },
            vec![("detail", detail), ("detail scrolled", detail_scrolled)],
        ),
        (
            Context::Detail { offer: true },
            vec![
                ("detail with a draft", detail_with_offer),
                ("scrolled, with a draft", || scrolled(detail_with_offer())),
            ],
        ),
        (Context::FormTraits, vec![("traits JSON editor", traits_form)]),
        (Context::FormTraitText, vec![("traits form, text field", trait_text)]),
        (
            Context::FormTraitCheck,
            vec![("traits form, checkbox", || trait_field(2))],
        ),
        (
            Context::FormTraitChoice,
            vec![("traits form, choice", || trait_field(3))],
        ),
        (
            Context::FormTraitChoosing,
            vec![("traits form, choosing", trait_choosing)],
        ),
        (
            Context::FormTraitOther,
            vec![
                ("traits form, list heading", || trait_field(4)),
                ("traits form, trait not in the schema", || trait_field(7)),
            ],
        ),
        (Context::FormMetadata, vec![("metadata form", metadata_form)]),
        (
            Context::FormState,
            vec![
                ("state form", || state_form(false)),
                ("state form toggled", || state_form(true)),
            ],
        ),
        (Context::FormSchema, vec![("schema form", || form('i'))]),
        (Context::FormMode, vec![("import choice", || credentials_on(3))]),
        (Context::FormToggle, vec![("hash here", || credentials_on(2))]),
        (Context::FormField, vec![("password field", credentials_text_field)]),
        (Context::FormHashing, vec![("hashing", hashing)]),
        (
            Context::Discard,
            vec![("form, Esc", discard_form), ("attribute form, Esc", attribute_discard)],
        ),
        (
            Context::ReviewReady,
            vec![("review", review), ("review, read closely", || read_closely(review()))],
        ),
        (Context::ReviewReason, vec![("review reason line", review_reason)]),
        (Context::ReviewSending, vec![("review sending", sending)]),
        (
            Context::ReviewStopped,
            vec![("review, stopped waiting", stopped_waiting)],
        ),
        (
            Context::ReviewConflict,
            vec![
                ("review conflict", conflict),
                ("conflict, read closely", || read_closely(conflict())),
            ],
        ),
        (
            Context::Response,
            vec![
                ("response", response_screen),
                ("response, read closely", || read_closely(response_screen())),
            ],
        ),
        (Context::History, vec![("history", history)]),
        (Context::Drafts, vec![("drafts", drafts)]),
        (
            Context::Text,
            vec![
                ("draft diff", text),
                ("draft diff, read closely", || read_closely(text())),
            ],
        ),
        (Context::ViewSearch, vec![("detail, searching", view_searching)]),
        (Context::AttributeLine, vec![("attribute name", attribute_name)]),
        (Context::AttributeValue, vec![("attribute value", attribute_value)]),
        (Context::AttributeReview, vec![("attribute review", attribute_review)]),
        (
            Context::AttributeSending,
            vec![("attribute sending", attribute_sending)],
        ),
    ]
}

/// Every key the test presses: printable ASCII, F1–F12, arrows and the
/// other named keys a terminal sends.
fn all_keys() -> Vec<KeyEvent> {
    let mut codes: Vec<KeyCode> = (' '..='~').map(KeyCode::Char).collect();
    codes.extend((1..=12).map(KeyCode::F));
    codes.extend([
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::PageUp,
        KeyCode::PageDown,
    ]);
    codes
        .into_iter()
        .map(|code| {
            // Terminals report capitals and Shift-Tab with Shift.
            let shift = matches!(code, KeyCode::Char(c) if c.is_ascii_uppercase()) || code == KeyCode::BackTab;
            let modifiers = if shift { KeyModifiers::SHIFT } else { KeyModifiers::NONE };
            KeyEvent::new(code, modifiers)
        })
        .collect()
}

/// The scenario as it stands, after one message that changes nothing (so
/// what `update` does after every message has been done).
fn settled(build: fn() -> App) -> App {
    let mut app = build();
    let (width, height) = (app.chrome.width, app.chrome.height);
    update(&mut app, Msg::Resize { width, height });
    app
}

/// Whether `key` changes the state or asks for anything.
fn acts(build: fn() -> App, key: KeyEvent) -> bool {
    let mut app = settled(build);
    let before = format!("{app:?}");
    let effects = update(&mut app, Msg::Key(key));
    !effects.is_empty() || format!("{app:?}") != before
}

fn name(key: &KeyEvent) -> String {
    let pattern = match key.code {
        KeyCode::Char(c) => Pattern::Char(c),
        code => Pattern::Code(code),
    };
    pattern.name()
}

#[test]
fn every_key_does_what_its_screen_lists_and_nothing_else() {
    let keys = all_keys();
    let mut problems = Vec::new();
    for (context, states) in scenarios() {
        for (label, build) in &states {
            let found = settled(*build).key_context();
            assert_eq!(found, context, "the scenario \"{label}\" is not in {context:?}");
        }
        for key in &keys {
            let listed = keys::action(context, key).is_some();
            let acted: Vec<&str> = states
                .iter()
                .filter(|(_, build)| acts(*build, *key))
                .map(|(label, _)| *label)
                .collect();
            if !listed && !acted.is_empty() {
                problems.push(format!(
                    "{context:?}: {} does something ({}) but is not listed",
                    name(key),
                    acted.join(", ")
                ));
            }
            if listed && acted.is_empty() {
                problems.push(format!("{context:?}: {} is listed but does nothing", name(key)));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_context_is_tried_and_in_the_readme_table() {
    let tried: Vec<Context> = scenarios().into_iter().map(|(context, _)| context).collect();
    for (_, context) in keys::README_ROWS {
        assert!(tried.contains(context), "{context:?} has no scenario in the key test");
    }
    assert_eq!(
        tried.len(),
        keys::README_ROWS.len(),
        "a context is missing from README_ROWS"
    );
}

/// The help names every key that works: each key a row takes is named in
/// the row's `keys` text, and every context offers the help and Ctrl-C.
#[test]
fn the_help_names_every_key_of_every_row() {
    for (_, context) in keys::README_ROWS {
        let bindings = keys::bindings(*context);
        for binding in &bindings {
            for (pattern, _) in binding.map {
                assert!(
                    binding.keys.contains(&pattern.name()),
                    "{context:?}: \"{}\" does not name {}",
                    binding.keys,
                    pattern.name()
                );
            }
        }
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(keys::action(*context, &ctrl_c), Some(keys::Action::Quit), "{context:?}");
    }
}

#[test]
fn the_readme_key_table_is_the_key_tables() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap_or_default();
    let table = keys::readme_table();
    assert!(
        readme.contains(&table),
        "README.md's key table differs from app::keys; it should read:\n\n{table}"
    );
}
