//! The forms and drafts papercuts of issue 14: hash errors that follow the
//! hash, a schema change that needs new traits pointing at the command that
//! can make it, an empty token that looks empty, drafts that name whom they
//! are for and are not written for a change of spacing alone, and what
//! quitting says about the form left open.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};

use super::super::drafting::{LeftOpen, left_open, named_draft};
use super::super::forms::{CredentialField, FormBody, Named, schema_and_traits_command};
use super::super::*;
use crate::drafts::Draft;

const ID: &str = "00000000-0000-4000-8000-000000000007";

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

/// Sofia, known by her e-mail (the email schema's identifier), with a name.
fn sofia() -> Value {
    json!({
        "id": ID,
        "schema_id": "email",
        "state": "active",
        "traits": {"email": "sofia.rossi@example.com", "phone": "+4915100000007",
                   "name": {"first": "Sofia", "last": "Rossi"}},
        "metadata_admin": {"ticket": "SUP-7"},
        "updated_at": "2026-11-20T10:00:00Z"
    })
}

fn email_schema() -> Value {
    json!({"type": "object", "properties": {"traits": {"type": "object", "properties": {
        "email": {"type": "string", "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}},
        "phone": {"type": "string"},
        "name": {"type": "object"}
    }}}})
}

/// Needs a `username` Sofia lacks and forbids her e-mail.
fn username_schema() -> Value {
    json!({"type": "object", "properties": {"traits": {"type": "object",
        "properties": {"username": {"type": "string"}},
        "required": ["username"], "additionalProperties": false}}})
}

/// The detail of Sofia, loaded, in an app that knows both schemas.
fn detail() -> App {
    super::opened_in_detail(
        vec![("email".into(), email_schema()), ("username".into(), username_schema())],
        sofia(),
    )
}

fn hash_error(app: &App) -> Option<String> {
    match app.edit.form.as_ref().map(|f| &f.body) {
        Some(FormBody::Credentials(creds)) => creds
            .field_error
            .as_ref()
            .filter(|(field, _)| *field == CredentialField::Phc)
            .map(|(_, message)| message.clone()),
        _ => None,
    }
}

/// The credentials form switched to the hash import, the hash field focused.
fn hash_form() -> App {
    let mut app = detail();
    ch(&mut app, 'c');
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Tab);
    app
}

#[test]
fn the_scrypt_ln_error_reaches_the_form_and_follows_the_hash_as_it_is_edited() {
    let mut app = hash_form();
    // passlib's spelling: ln is log2(N), Kratos wants N itself.
    typed(&mut app, "$scrypt$ln=14,r=8,p=1$c2FsdA==$aGFzaA==");
    assert_eq!(hash_error(&app), None, "nothing is judged before Ctrl-S");
    ctrl(&mut app, 's');
    assert_eq!(app.screen, Screen::Form, "nothing to review");
    let error = hash_error(&app).unwrap_or_default();
    assert!(error.contains("Kratos expects N itself in ln="), "{error}");
    assert!(
        error.contains("ln=16384"),
        "the message shows the right spelling: {error}"
    );

    // Moving the cursor changes nothing: the error stays.
    press(&mut app, KeyCode::Home);
    (0..11).for_each(|_| {
        press(&mut app, KeyCode::Right);
    });
    assert!(hash_error(&app).is_some_and(|e| e.contains("Kratos expects N")));

    // Each change is judged again at once: the message is about the hash
    // as it is now, never the one Ctrl-S saw.
    press(&mut app, KeyCode::Delete);
    press(&mut app, KeyCode::Delete);
    let error = hash_error(&app).unwrap_or_default();
    assert!(error.contains("ln is not a number"), "revalidated: {error}");
    typed(&mut app, "16384");
    assert_eq!(hash_error(&app), None, "a fixed hash clears the error");
    let effects = ctrl(&mut app, 's');
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(app.screen, Screen::Review, "the fixed hash is reviewed");
}

#[test]
fn a_pasted_hash_replaces_a_stale_error_and_other_fields_errors_go_when_typed_into() {
    let mut app = hash_form();
    typed(&mut app, "not-a-hash");
    ctrl(&mut app, 's');
    assert!(hash_error(&app).is_some_and(|e| e.contains("unknown hash format")));
    ctrl(&mut app, 'u');
    assert_eq!(hash_error(&app), None, "an empty field is not wrong, only empty");
    update(&mut app, Msg::Paste("$2b$04$abcdefghijklmnopqrstuu".into()));
    let error = hash_error(&app).unwrap_or_default();
    assert!(!error.is_empty() && !error.contains("unknown hash format"), "{error}");

    // The password mismatch goes once either password is typed into.
    let mut app = detail();
    ch(&mut app, 'c');
    typed(&mut app, "correct horse");
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "correct house");
    ctrl(&mut app, 's');
    let mismatch = |app: &App| match app.edit.form.as_ref().map(|f| &f.body) {
        Some(FormBody::Credentials(c)) => c.field_error.clone(),
        _ => None,
    };
    assert_eq!(mismatch(&app).map(|(field, _)| field), Some(CredentialField::Confirm));
    press(&mut app, KeyCode::Left);
    assert!(mismatch(&app).is_some(), "a cursor move is not a change");
    press(&mut app, KeyCode::Backspace);
    assert_eq!(mismatch(&app), None);
}

#[test]
fn a_schema_change_that_needs_new_traits_points_at_the_command_that_makes_it() {
    let mut app = detail();
    ch(&mut app, 'i');
    let choice = |app: &App| match app.edit.form.as_ref().map(|f| &f.body) {
        Some(FormBody::Schema(s)) => (s.choices.get(s.selected).cloned(), s.needs_new_traits),
        _ => (None, false),
    };
    assert_eq!(choice(&app), (Some("email".into()), false));
    press(&mut app, KeyCode::Down);
    assert_eq!(choice(&app), (Some("username".into()), true), "the traits do not fit");
    ctrl(&mut app, 's');
    assert_eq!(app.screen, Screen::Form, "not sent as it is");
    let error = app.edit.form.as_ref().and_then(|f| f.error.clone()).unwrap_or_default();
    assert!(
        error.contains("username") && error.contains("change both with the command above"),
        "{error}"
    );
    assert_eq!(
        schema_and_traits_command(ID, "username"),
        format!("idcon update {ID} --set '/schema_id=\"username\"' --traits-file traits.json")
    );
    // Back to a schema that fits: no pointer any more.
    press(&mut app, KeyCode::Up);
    assert_eq!(choice(&app), (Some("email".into()), false));
}

#[test]
fn the_command_survives_a_shell_whatever_the_schema_is_called() {
    assert_eq!(
        schema_and_traits_command("abc", "it's"),
        r#"idcon update abc --set '/schema_id="it'\''s"' --traits-file traits.json"#
    );
    assert_eq!(
        schema_and_traits_command("a b", "x"),
        r#"idcon update 'a b' --set '/schema_id="x"' --traits-file traits.json"#
    );
}

#[test]
fn the_attribute_form_without_a_token_shows_an_empty_field() {
    let mut app = detail();
    ch(&mut app, 'a');
    assert_eq!(app.screen, Screen::Attribute);
    let form = app.edit.attribute.as_ref();
    assert_eq!(form.map(|f| f.token.text()), Some(""));
    assert_eq!(attribute::masked_token(""), "", "no stars for no token");
    assert!(
        form.is_some_and(|f| f.token_source.starts_with("none at")),
        "{:?}",
        form.map(|f| &f.token_source)
    );
    assert_eq!(
        form.and_then(|f| f.named.label()).as_deref(),
        Some("sofia.rossi@example.com (Sofia Rossi)")
    );
    // Typed, it is masked like any token.
    ch(&mut app, 'x');
    let shown = app
        .edit
        .attribute
        .as_ref()
        .map(|f| attribute::masked_token(f.token.text()));
    assert_eq!(shown.as_deref(), Some("********"));
}

fn draft_saves(effects: &[Effect]) -> Vec<&Draft> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::SaveDraft(draft) => Some(draft.as_ref()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_change_of_spacing_alone_is_not_a_draft_and_a_real_one_names_whom_it_is_for() {
    let mut app = detail();
    ch(&mut app, 'e');
    // The JSON editor (`e` opens the form built from the schema).
    press(&mut app, KeyCode::F(2));
    // A blank line and spaces after the opening brace: the same JSON.
    press(&mut app, KeyCode::End);
    let mut effects = press(&mut app, KeyCode::Enter);
    effects.extend(typed(&mut app, "   "));
    assert!(
        !effects.contains(&Effect::ScheduleDraftSave),
        "no draft for spacing: {effects:?}"
    );
    assert!(draft_saves(&update(&mut app, Msg::DraftTick)).is_empty());
    assert!(!app.edit.form.as_ref().is_some_and(|f| f.modified()));
    // Esc does not ask about a change that changes nothing.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Detail);

    // A real change is saved, with the identifier and the name.
    ch(&mut app, 'e');
    press(&mut app, KeyCode::F(2));
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::Enter);
    let effects = typed(&mut app, "\"nickname\": \"Sofi\",");
    assert!(effects.contains(&Effect::ScheduleDraftSave), "{effects:?}");
    let effects = update(&mut app, Msg::DraftTick);
    let saved = draft_saves(&effects);
    assert_eq!(saved.len(), 1, "{effects:?}");
    assert_eq!(saved[0].identifier.as_deref(), Some("sofia.rossi@example.com"));
    assert_eq!(saved[0].name.as_deref(), Some("Sofia Rossi"));

    // Taken back: the draft saved meanwhile goes.
    let mut effects = Vec::new();
    for _ in 0.."\"nickname\": \"Sofi\",".chars().count() {
        effects.extend(press(&mut app, KeyCode::Backspace));
    }
    assert!(
        effects.contains(&Effect::RemoveDraft {
            identity_id: ID.to_owned()
        }),
        "{effects:?}"
    );
    assert!(app.drafts.known.iter().all(|d| d.identity_id != ID));
    assert_eq!(left_open(&app), None, "nothing to say on quit");
}

#[test]
fn the_drafts_list_names_the_identity_also_for_drafts_that_did_not_record_it() {
    let mut app = detail();
    let recorded = Draft::new("support", "someone-else", "state", json!({"active": false}), None)
        .naming(Some("ada@example.com".into()), Some("Ada \u{1b}[2JLovelace".into()));
    // An old draft: nothing recorded, but Sofia is in the loaded list.
    let old = Draft::new("support", ID, "traits", json!({"text": "{}"}), None);
    let unknown = Draft::new("support", "gone", "state", json!({"active": true}), None);
    assert_eq!(
        named_draft(&app, &recorded),
        ("ada@example.com".to_owned(), "Ada \\u001b[2JLovelace".to_owned()),
        "recorded, and made safe to draw"
    );
    assert_eq!(
        named_draft(&app, &old),
        ("sofia.rossi@example.com".to_owned(), "Sofia Rossi".to_owned())
    );
    assert_eq!(named_draft(&app, &unknown), (String::new(), String::new()));
    // Old draft files (without the two members) still read.
    let text = r#"{"profile":"support","identity_id":"x","form":"state","content":{"active":true},
                   "saved_at":"2026-01-01T00:00:00.000Z"}"#;
    let read: Result<Draft, _> = serde_json::from_str(text);
    assert!(read.is_ok_and(|d| d.identifier.is_none() && d.name.is_none()));
    update(&mut app, Msg::DraftsListed(Ok(vec![recorded, old])));
    ch(&mut app, 'D');
    assert_eq!(app.screen, Screen::Drafts);
}

#[test]
fn quitting_says_what_became_of_the_form_left_open() {
    let mut app = detail();
    assert_eq!(left_open(&app), None);
    ch(&mut app, 's');
    ch(&mut app, ' ');
    assert_eq!(
        left_open(&app),
        Some(LeftOpen::Draft {
            identity_id: ID.into(),
            form: "state",
            who: "sofia.rossi@example.com (Sofia Rossi)".into()
        })
    );
    let effects = ctrl(&mut app, 'c');
    assert!(effects.contains(&Effect::Quit));
    assert_eq!(draft_saves(&effects).len(), 1, "saved on the way out: {effects:?}");

    // A password is never a draft, and quitting says so.
    let mut app = detail();
    ch(&mut app, 'c');
    typed(&mut app, "hunter2");
    assert_eq!(
        left_open(&app),
        Some(LeftOpen::NotSaved {
            form: "credentials",
            who: "sofia.rossi@example.com (Sofia Rossi)".into()
        })
    );
}

#[test]
fn a_person_is_named_by_identifier_and_name_or_whichever_there_is() {
    let named = |identifier: Option<&str>, name: Option<&str>| Named {
        identifier: identifier.map(str::to_owned),
        name: name.map(str::to_owned),
    };
    assert_eq!(
        named(Some("a@example.com"), Some("Ana")).label().as_deref(),
        Some("a@example.com (Ana)")
    );
    assert_eq!(named(None, Some("Ana")).label().as_deref(), Some("Ana"));
    assert_eq!(named(Some("ana"), Some("ana")).label().as_deref(), Some("ana"));
    assert_eq!(named(Some("  "), None).label(), None);
    assert_eq!(
        named(Some("x\u{1b}]0;pwned\u{7}@evil.test"), None).label().as_deref(),
        Some("x\\u001b]0;pwned\\u0007@evil.test")
    );
}
