//! The traits form in the console, without a terminal: `e` opens it from
//! the identity schema (or the JSON editor, saying why), Ctrl-J/F2 switch to
//! the JSON editor on the same value and back, Ctrl-S reviews or points at
//! the first invalid field, Esc asks, drafts keep what was typed and restore
//! it into the form, and the focused field stays in view at 80x24.

use chrono::TimeZone;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};

use super::super::forms::{FormBody, FormOutput};
use super::super::keys::Context;
use super::super::trait_form::{RowKind, layout};
use super::super::*;
use crate::drafts::Draft;

const ID: &str = "00000000-0000-4000-8000-000000000016";

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| press(app, KeyCode::Char(c))).collect()
}

fn ada() -> Value {
    json!({
        "id": ID,
        "schema_id": "person",
        "state": "active",
        "traits": {"email": "ada@example.com", "age": 36, "plan": "pro",
                   "name": {"first": "Ada", "last": "Lovelace"}},
        "metadata_public": null,
        "metadata_admin": {"ticket": "SUP-16"},
        "updated_at": "2026-11-20T10:00:00Z"
    })
}

fn person_schema() -> Value {
    json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {"traits": {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email", "title": "E-Mail",
                      "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}, "verification": {"via": "email"}}},
            "age": {"type": "integer", "minimum": 0, "title": "Age"},
            "newsletter": {"type": "boolean", "title": "Newsletter"},
            "plan": {"enum": ["free", "pro", "enterprise"], "title": "Plan"},
            "name": {"type": "object", "properties": {
                "first": {"type": "string", "title": "First Name"},
                "last": {"type": "string", "title": "Last Name"}}},
            "tags": {"type": "array", "items": {"type": "string"}, "title": "Tags"}
        },
        "required": ["email"],
        "additionalProperties": false
    }}})
}

/// An app of `width`x`height` showing Ada's detail, `schemas` known.
fn detail_with(schemas: Vec<(String, Value)>, drafts: Vec<Draft>, width: u16, height: u16) -> App {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let profile = ProfileInfo {
        name: "support".into(),
        identities_url: "http://127.0.0.1/admin/identities".into(),
        issuance_token_pointer: "/metadata_admin/yoti/issuance_token".into(),
        ..Default::default()
    };
    let mut app = App::new(profile, width, height, now);
    app.start();
    update(&mut app, Msg::DraftsListed(Ok(drafts)));
    update(&mut app, Msg::SchemasLoaded(Ok(schemas)));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(LoadedPage {
                items: vec![ada()],
                next: None,
            }),
        },
    );
    press(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(ada()),
        },
    );
    assert_eq!(app.screen, Screen::Detail);
    app
}

fn form_app() -> App {
    let mut app = detail_with(vec![("person".into(), person_schema())], Vec::new(), 80, 24);
    press(&mut app, KeyCode::Char('e'));
    app
}

fn json_text(app: &App) -> Option<String> {
    match app.edit.form.as_ref().map(|f| &f.body) {
        Some(FormBody::Traits(json)) => Some(json.field.text()),
        _ => None,
    }
}

fn fields_value(app: &App) -> Option<Value> {
    match app.edit.form.as_ref().map(|f| &f.body) {
        Some(FormBody::TraitFields(fields)) => Some(fields.value().0),
        _ => None,
    }
}

fn focused_pointer(app: &App) -> Option<String> {
    match app.edit.form.as_ref().map(|f| &f.body) {
        Some(FormBody::TraitFields(fields)) => fields.rows().get(fields.focus()).map(|r| r.pointer.clone()),
        _ => None,
    }
}

fn error(app: &App) -> String {
    app.edit.form.as_ref().and_then(|f| f.error.clone()).unwrap_or_default()
}

#[test]
fn e_opens_the_form_built_from_the_schema() {
    let app = form_app();
    assert_eq!(app.screen, Screen::Form);
    assert_eq!(app.key_context(), Context::FormTraitText);
    assert_eq!(focused_pointer(&app).as_deref(), Some("/email"));
    assert_eq!(fields_value(&app), Some(ada()["traits"].clone()));
    assert_eq!(app.traits_form_unavailable(), None);
}

#[test]
fn without_the_schema_or_with_one_the_form_cannot_show_it_is_the_json_editor_saying_why() {
    let mut app = detail_with(Vec::new(), Vec::new(), 80, 24);
    press(&mut app, KeyCode::Char('e'));
    assert!(json_text(&app).is_some(), "the JSON editor");
    assert_eq!(
        app.traits_form_unavailable().as_deref(),
        Some("the identity schema person is not loaded here")
    );
    press(&mut app, KeyCode::F(2));
    assert!(json_text(&app).is_some(), "stays in JSON");
    assert!(error(&app).contains("not loaded here"), "{}", error(&app));

    let one_of = json!({"properties": {"traits": {"oneOf": [{"type": "object"}]}}});
    let mut app = detail_with(vec![("person".into(), one_of)], Vec::new(), 80, 24);
    press(&mut app, KeyCode::Char('e'));
    assert!(json_text(&app).is_some());
    assert_eq!(
        app.traits_form_unavailable().as_deref(),
        Some("the traits' schema uses oneOf: the form cannot show a choice between schemas")
    );
}

#[test]
fn ctrl_j_and_f2_switch_to_the_json_editor_on_the_same_value_and_back() {
    let mut app = form_app();
    // An edit in the form shows in the JSON editor...
    ctrl(&mut app, 'u');
    typed(&mut app, "ada@example.org");
    ctrl(&mut app, 'j');
    assert_eq!(app.key_context(), Context::FormTraits);
    let text = json_text(&app).unwrap_or_default();
    assert!(text.contains("\"email\": \"ada@example.org\""), "{text}");
    assert!(app.edit.form.as_ref().is_some_and(|f| f.modified()));
    // ... and one in the JSON editor in the form.
    if let Some(FormBody::Traits(json)) = app.edit.form.as_mut().map(|f| &mut f.body) {
        json.field.editor.select_all();
        json.field.editor.cut();
        json.field
            .editor
            .insert_str(r#"{"email": "ada@example.org", "age": 37, "name": {"first": "Augusta"}}"#);
    }
    press(&mut app, KeyCode::F(2));
    assert_eq!(
        fields_value(&app),
        Some(json!({"email": "ada@example.org", "age": 37, "name": {"first": "Augusta"}}))
    );
    // Back and forth without typing: the same text.
    ctrl(&mut app, 'j');
    let once = json_text(&app);
    ctrl(&mut app, 'j');
    ctrl(&mut app, 'j');
    assert_eq!(json_text(&app), once);
}

#[test]
fn json_that_does_not_fit_the_form_says_why_and_stays() {
    let mut app = form_app();
    ctrl(&mut app, 'j');
    press(&mut app, KeyCode::End);
    typed(&mut app, ",");
    ctrl(&mut app, 'j');
    assert!(json_text(&app).is_some(), "stays in JSON");
    assert!(
        error(&app).starts_with("the JSON does not parse (line"),
        "{}",
        error(&app)
    );
    if let Some(FormBody::Traits(json)) = app.edit.form.as_mut().map(|f| &mut f.body) {
        json.field.editor.select_all();
        json.field.editor.cut();
        json.field.editor.insert_str("[1, 2]");
    }
    ctrl(&mut app, 'j');
    assert!(json_text(&app).is_some());
    assert_eq!(
        error(&app),
        "No form for these traits: the traits are a list, not a group of members; they stay in JSON"
    );
}

#[test]
fn a_typo_does_not_cross_into_the_json_editor() {
    let mut app = form_app();
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "x");
    press(&mut app, KeyCode::Tab);
    ctrl(&mut app, 'j');
    assert!(fields_value(&app).is_some(), "stays in the form");
    assert_eq!(focused_pointer(&app).as_deref(), Some("/age"), "at the typo");
    assert!(
        error(&app).starts_with("Age: not a whole number: type digits, e.g. 42: fix it before switching"),
        "{}",
        error(&app)
    );
}

#[test]
fn ctrl_s_refuses_an_invalid_field_and_reviews_a_valid_change() {
    let mut app = form_app();
    ctrl(&mut app, 'u');
    typed(&mut app, "ada@");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    let effects = ctrl(&mut app, 's');
    assert!(effects.is_empty(), "nothing to send: {effects:?}");
    assert_eq!(app.screen, Screen::Form);
    assert_eq!(
        focused_pointer(&app).as_deref(),
        Some("/email"),
        "the first invalid field"
    );
    assert_eq!(
        error(&app),
        "E-Mail: not an e-mail address, e.g. name@example.com: fix it first"
    );
    typed(&mut app, "example.org");
    ctrl(&mut app, 's');
    assert_eq!(app.screen, Screen::Review);
    let request = app.edit.review.as_ref().map(|r| r.request.clone());
    let Some(request) = request else { panic!("a review") };
    let pointers: Vec<&str> = request.changes.iter().map(|c| c.pointer.as_str()).collect();
    assert_eq!(pointers, ["/traits/email"]);
    assert_eq!(request.body.traits["age"], json!(36), "a number stays a number");
    // Back to the form: as it was.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Form);
    assert_eq!(
        fields_value(&app).map(|v| v["email"].clone()),
        Some(json!("ada@example.org"))
    );
}

#[test]
fn checkboxes_choices_and_list_items_by_their_keys() {
    let mut app = form_app();
    // email, age, newsletter
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.key_context(), Context::FormTraitCheck);
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Down);
    assert_eq!(app.key_context(), Context::FormTraitChoice);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.key_context(), Context::FormTraitChoosing);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.key_context(), Context::FormTraitChoice);
    // Esc in the list closes it, not the form.
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Form);
    // name: first, last; then the tags' heading.
    for _ in 0..3 {
        press(&mut app, KeyCode::Tab);
    }
    assert_eq!(focused_pointer(&app).as_deref(), Some("/tags"));
    assert_eq!(app.key_context(), Context::FormTraitOther);
    ctrl(&mut app, 'n');
    assert_eq!(focused_pointer(&app).as_deref(), Some("/tags/0"));
    typed(&mut app, "vip");
    ctrl(&mut app, 'n');
    typed(&mut app, "gone");
    ctrl(&mut app, 'd');
    let value = fields_value(&app).unwrap_or_default();
    assert_eq!(value["newsletter"], json!(true));
    assert_eq!(value["plan"], json!("enterprise"));
    assert_eq!(value["tags"], json!(["vip"]));
}

#[test]
fn esc_asks_before_dropping_changes() {
    let mut app = form_app();
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Detail, "nothing changed: closes");
    press(&mut app, KeyCode::Char('e'));
    typed(&mut app, "x");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.key_context(), Context::Discard);
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.screen, Screen::Form, "kept");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(app.screen, Screen::Detail);
}

fn saved(effects: Vec<Effect>) -> Vec<Draft> {
    effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::SaveDraft(draft) => Some(*draft),
            _ => None,
        })
        .collect()
}

#[test]
fn a_draft_keeps_what_was_typed_and_restores_it_into_the_form() {
    let mut app = form_app();
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "x"); // "36x": a typo, kept as typed
    let effects = typed(&mut app, "");
    assert!(effects.is_empty());
    let drafts = saved(update(&mut app, Msg::DraftTick));
    assert_eq!(drafts.len(), 1);
    let draft = drafts[0].clone();
    assert_eq!(draft.form, "traits");
    assert_eq!(draft.content["editor"], json!("form"));
    assert_eq!(draft.content["fields"]["age"], json!("36x"));
    assert_eq!(draft.content["fields"]["email"], json!("ada@example.com"));
    assert!(
        draft.content["text"]
            .as_str()
            .is_some_and(|t| t.contains("ada@example.com"))
    );

    // Next session: offered, restored into the form with the typo.
    let mut app = detail_with(vec![("person".into(), person_schema())], vec![draft], 80, 24);
    assert!(app.detail.offer.is_some());
    press(&mut app, KeyCode::Enter);
    let form = app.edit.form.as_ref();
    let Some(FormBody::TraitFields(fields)) = form.map(|f| &f.body) else {
        panic!("the form, not the JSON editor: {form:?}")
    };
    assert_eq!(fields.typed()["age"], json!("36x"));
    assert!(fields.problems().iter().any(|p| p.pointer == "/age"));
    assert!(app.edit.form.as_ref().is_some_and(|f| f.modified()));
}

#[test]
fn a_draft_of_the_json_editor_restores_into_the_json_editor() {
    let text = "{\"email\": \"ada@example.com\",\n  \"age\": 3";
    let draft = Draft::new("support", ID, "traits", json!({ "text": text }), None);
    let mut app = detail_with(vec![("person".into(), person_schema())], vec![draft], 80, 24);
    press(&mut app, KeyCode::Enter);
    assert_eq!(json_text(&app).as_deref(), Some(text), "half-typed JSON, as typed");
}

#[test]
fn the_form_submits_what_the_review_sends() {
    let mut app = form_app();
    for _ in 0..4 {
        press(&mut app, KeyCode::Tab);
    }
    ctrl(&mut app, 'u');
    typed(&mut app, "Augusta Ada");
    let submitted = app.edit.form.as_mut().and_then(|f| f.submit(None));
    let Some(super::super::forms::Submit::Review(FormOutput::Traits(traits))) = submitted else {
        panic!("a review: {submitted:?}")
    };
    let mut expected = ada()["traits"].clone();
    expected["name"]["first"] = json!("Augusta Ada");
    assert_eq!(
        serde_json::to_string(&traits).ok(),
        serde_json::to_string(&expected).ok(),
        "only that member, the rest as the server sent it"
    );
}

fn long_schema() -> Value {
    let mut properties = serde_json::Map::new();
    for n in 0..25 {
        properties.insert(
            format!("field{n:02}"),
            json!({"type": "string", "title": format!("Field {n}"), "description": "One of many"}),
        );
    }
    json!({"properties": {"traits": {"type": "object", "properties": properties}}})
}

#[test]
fn at_80x24_the_focused_field_stays_in_view() {
    let mut app = detail_with(vec![("person".into(), long_schema())], Vec::new(), 80, 24);
    press(&mut app, KeyCode::Char('e'));
    // 24 rows: header, title, bottom line, status, footer.
    let viewport = 24 - 5;
    for step in 0..50 {
        press(&mut app, if step < 25 { KeyCode::Tab } else { KeyCode::BackTab });
        let Some(FormBody::TraitFields(fields)) = app.edit.form.as_ref().map(|f| &f.body) else {
            panic!("the form")
        };
        let laid = layout::lay_out(fields, 80);
        let start: usize = laid
            .iter()
            .take_while(|l| l.row != fields.focus())
            .map(|l| l.lines.len())
            .sum();
        let height = laid
            .iter()
            .find(|l| l.row == fields.focus())
            .map_or(0, |l| l.lines.len());
        assert!(
            start >= fields.scroll && start + height <= fields.scroll + viewport,
            "step {step}: rows {start}..{} outside {}..{}",
            start + height,
            fields.scroll,
            fields.scroll + viewport
        );
        assert!(fields.focused_kind().is_some_and(RowKind::focusable));
    }
}
