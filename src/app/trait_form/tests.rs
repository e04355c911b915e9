//! The traits form as a user meets it, without a terminal: the demo and
//! Kratos example schemas, typing, problems, lists, choices, the layout at
//! 80 and 200 columns; and the property test: for generated schemas and
//! values within them, form → value → form is the identity and untouched
//! fields are byte-identical in the PUT body.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::layout::{self, WIDE};
use super::*;

fn demo_schema(name: &str) -> Value {
    let text = match name {
        "email" => include_str!("../../../assets/demo/schemas/email-password.schema.json"),
        "phone" => include_str!("../../../assets/demo/schemas/phone-password.schema.json"),
        _ => include_str!("../../../tests/data/identity-schemas/all-strategies.identity.schema.json"),
    };
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn ada() -> Value {
    json!({"email": "ada.lovelace@example.com", "name": {"first": "Ada", "last": "Lovelace"}})
}

fn open(schema: &Value, traits: &Value) -> TraitForm {
    match TraitForm::open(schema, traits, traits) {
        Ok(form) => form,
        Err(why) => panic!("the form opens: {why}"),
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl_u() -> KeyEvent {
    KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)
}

fn type_text(form: &mut TraitForm, text: &str) {
    for c in text.chars() {
        form.type_key(key(KeyCode::Char(c)));
    }
}

/// The focused row's label and value as the layout shows them.
fn focused_line(form: &TraitForm, width: usize) -> String {
    layout::lay_out(form, width)
        .into_iter()
        .find(|laid| laid.row == form.focus())
        .map(|laid| laid.lines[0].text())
        .unwrap_or_default()
}

/// The words of `text` with single spaces: what a person reads, wrapped or not.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn screen(form: &TraitForm, width: usize) -> String {
    layout::lay_out(form, width)
        .iter()
        .flat_map(|laid| laid.lines.iter().map(|l| l.text().trim_end().to_owned()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_demo_email_schema_is_a_form_of_its_fields() {
    let form = open(&demo_schema("email"), &ada());
    let kinds: Vec<RowKind> = form.rows().iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [RowKind::Text, RowKind::Group, RowKind::Text, RowKind::Text]);
    let text = flat(&screen(&form, 80));
    assert!(text.contains("E-Mail *"), "{text}");
    assert!(text.contains("First Name"), "{text}");
    assert!(text.contains("ada.lovelace@example.com"), "{text}");
    // The focused e-mail says what it is to Kratos.
    assert!(text.contains("this is what the person signs in with"), "{text}");
    assert!(
        text.contains("a changed value becomes a new, unverified address"),
        "{text}"
    );
    assert!(!form.modified());
    assert!(form.problems().is_empty(), "{:?}", form.problems());
}

#[test]
fn the_kratos_examples_open_as_forms() {
    for name in ["email", "phone", "all"] {
        let schema = demo_schema(name);
        let form = TraitForm::open(&schema, &json!({"email": "a@example.com"}), &json!({}));
        assert!(form.is_ok(), "{name}: {:?}", form.err());
    }
    let form = open(&demo_schema("all"), &ada());
    let text = screen(&form, 200);
    assert!(
        text.contains("sign-in identifier (password, webauthn, code by email)"),
        "{text}"
    );
}

#[test]
fn an_invalid_email_is_flagged_at_its_field_and_ctrl_s_points_at_it() {
    let mut form = open(&demo_schema("email"), &ada());
    form.type_key(ctrl_u());
    type_text(&mut form, "ada@");
    assert!(form.modified());
    let text = screen(&form, 80);
    assert!(
        text.contains("✗ not an e-mail address, e.g. name@example.com"),
        "the reason in plain words, next to the field:\n{text}"
    );
    form.move_focus(true);
    form.move_focus(true);
    assert_ne!(form.focus(), 0);
    let refused = form.submit();
    assert_eq!(
        refused,
        Err("E-Mail: not an e-mail address, e.g. name@example.com: fix it first".to_owned())
    );
    assert_eq!(form.focus(), 0, "the focus is on the first invalid field");
    type_text(&mut form, "example.org");
    assert_eq!(form.submit().map(|v| v["email"].clone()), Ok(json!("ada@example.org")));
}

#[test]
fn a_nested_change_changes_only_that_member() {
    let mut form = open(&demo_schema("email"), &ada());
    form.move_focus(true);
    assert_eq!(form.focused_kind(), Some(RowKind::Text), "the group heading is skipped");
    form.type_key(ctrl_u());
    type_text(&mut form, "Augusta Ada");
    let Ok(value) = form.submit() else { panic!("valid") };
    let mut expected = ada();
    expected["name"]["first"] = json!("Augusta Ada");
    assert_eq!(value, expected);
    assert_eq!(
        serde_json::to_string(&value).ok(),
        serde_json::to_string(&expected).ok(),
        "order kept"
    );
}

#[test]
fn an_emptied_optional_field_is_left_out_and_the_form_says_so() {
    let mut form = open(&demo_schema("email"), &ada());
    form.move_focus(true);
    form.type_key(ctrl_u());
    let text = screen(&form, 80);
    assert!(
        text.contains("empty: left out of the traits, not sent as \"\""),
        "{text}"
    );
    assert_eq!(
        form.submit().ok(),
        Some(json!({"email": "ada.lovelace@example.com", "name": {"last": "Lovelace"}}))
    );
}

#[test]
fn traits_not_in_the_schema_are_listed_read_only_with_a_warning() {
    let mut traits = ada();
    traits["nickname"] = json!("Countess");
    let mut form = open(&demo_schema("email"), &traits);
    let rows = form.rows();
    assert_eq!(rows.last().map(|r| r.kind), Some(RowKind::Extra));
    let text = screen(&form, 200);
    assert!(text.contains("⚠ nickname"), "{text}");
    assert!(text.contains("\"Countess\""), "{text}");
    assert!(text.contains("not in the identity schema"), "{text}");
    assert!(
        text.contains("the server refuses it"),
        "the schema forbids other traits:\n{text}"
    );
    while form.focused_kind() != Some(RowKind::Extra) {
        form.move_focus(true);
    }
    form.type_key(key(KeyCode::Char('x')));
    assert!(form.notice.as_deref().is_some_and(|n| n.contains("read-only")));
    assert_eq!(form.value().0, traits, "kept as it is");
    assert!(form.submit().is_err(), "the server would refuse it");
}

fn rich_schema() -> Value {
    json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {"traits": {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email"},
            "age": {"type": "integer", "minimum": 0, "maximum": 150, "title": "Age"},
            "newsletter": {"type": "boolean", "title": "Newsletter"},
            "plan": {"enum": ["free", "pro", "enterprise"], "title": "Plan"},
            "tags": {"type": "array", "items": {"type": "string"}, "title": "Tags"},
            "addresses": {"type": "array", "title": "Addresses", "items": {"type": "object", "properties": {
                "city": {"type": "string", "title": "City"},
                "zip": {"type": "string", "title": "ZIP", "pattern": "^[0-9]{5}$"}
            }, "required": ["city"]}},
            "contact": {"oneOf": [{"type": "string"}, {"type": "integer"}], "title": "Contact"}
        }
    }}})
}

fn focus_on(form: &mut TraitForm, pointer: &str) {
    form.focus_pointer(pointer);
    assert_eq!(form.rows()[form.focus()].pointer, pointer);
}

#[test]
fn numbers_stay_numbers_and_typos_stay_at_their_field() {
    let traits = json!({"email": "a@example.com", "age": 41});
    let mut form = open(&rich_schema(), &traits);
    focus_on(&mut form, "/age");
    form.type_key(ctrl_u());
    type_text(&mut form, "4l");
    let text = screen(&form, 80);
    assert!(text.contains("✗ not a whole number: type digits, e.g. 42"), "{text}");
    assert!(form.submit().is_err());
    form.type_key(key(KeyCode::Backspace));
    type_text(&mut form, "2");
    assert_eq!(form.submit().map(|v| v["age"].clone()), Ok(json!(42)));
    form.type_key(ctrl_u());
    type_text(&mut form, "151");
    assert!(screen(&form, 80).contains("✗ too large: at most 150"));
}

#[test]
fn checkboxes_and_choices() {
    let traits = json!({"email": "a@example.com", "plan": "pro"});
    let mut form = open(&rich_schema(), &traits);
    focus_on(&mut form, "/newsletter");
    assert_eq!(form.focused_kind(), Some(RowKind::Check));
    assert!(focused_line(&form, 80).contains("[ ] not set"));
    form.toggle();
    assert!(focused_line(&form, 80).contains("[x] yes"));
    form.toggle();
    assert!(focused_line(&form, 80).contains("[ ] no"));
    focus_on(&mut form, "/plan");
    form.open_choice();
    assert!(form.choosing());
    let text = screen(&form, 80);
    assert!(text.contains("› pro") && text.contains("  enterprise"), "{text}");
    form.move_choice(true);
    form.pick_choice();
    assert!(!form.choosing());
    let value = form.value().0;
    assert_eq!(value["plan"], json!("enterprise"));
    assert_eq!(value["newsletter"], json!(false));
    form.unset();
    assert_eq!(form.value().0.get("plan"), None, "not set: left out");
}

#[test]
fn list_items_are_added_and_removed() {
    let traits = json!({"email": "a@example.com", "tags": ["a", "b"]});
    let mut form = open(&rich_schema(), &traits);
    focus_on(&mut form, "/tags/0");
    form.add_item();
    assert_eq!(
        form.rows()[form.focus()].pointer,
        "/tags/1",
        "a new item after the focused one"
    );
    type_text(&mut form, "new");
    assert_eq!(form.value().0["tags"], json!(["a", "new", "b"]));
    focus_on(&mut form, "/tags/0");
    form.remove_item();
    assert_eq!(form.value().0["tags"], json!(["new", "b"]));
    assert_eq!(form.rows()[form.focus()].pointer, "/tags/0");
    focus_on(&mut form, "/addresses");
    form.add_item();
    assert_eq!(form.rows()[form.focus()].pointer, "/addresses/0/city");
    type_text(&mut form, "Berlin");
    form.move_focus(true);
    type_text(&mut form, "1011");
    assert!(screen(&form, 80).contains("✗ does not match the pattern ^[0-9]{5}$"));
    type_text(&mut form, "5");
    assert_eq!(
        form.submit().map(|v| v["addresses"].clone()),
        Ok(json!([{"city": "Berlin", "zip": "10115"}]))
    );
    focus_on(&mut form, "/email");
    form.add_item();
    assert!(form.notice.as_deref().is_some_and(|n| n.contains("Not in a list")));
}

#[test]
fn a_part_the_form_cannot_show_is_json_with_why() {
    let traits = json!({"email": "a@example.com", "contact": 5});
    let mut form = open(&rich_schema(), &traits);
    focus_on(&mut form, "/contact");
    let text = screen(&form, 80);
    assert!(text.contains("edited as JSON: its schema uses oneOf"), "{text}");
    assert!(focused_line(&form, 80).contains('5'));
    form.type_key(ctrl_u());
    type_text(&mut form, "\"+49 151\"");
    assert_eq!(form.value().0["contact"], json!("+49 151"));
    form.type_key(ctrl_u());
    type_text(&mut form, "{oops");
    assert!(screen(&form, 80).contains("✗ not JSON:"));
}

#[test]
fn traits_that_cannot_be_a_form_say_why() {
    let open_schema = json!({"properties": {"traits": {"type": "object"}}});
    assert_eq!(
        TraitForm::open(&open_schema, &json!({}), &json!({})).err(),
        Some("the identity schema lists no traits (no properties)".to_owned())
    );
    assert_eq!(
        TraitForm::open(&demo_schema("email"), &json!([1]), &json!({})).err(),
        Some("the traits are a list, not a group of members".to_owned())
    );
}

/// A schema with many fields: more than 80x24 shows.
fn long_schema() -> Value {
    let mut properties = serde_json::Map::new();
    for n in 0..30 {
        properties.insert(
            format!("field{n:02}"),
            json!({"type": "string", "title": format!("Field {n}"), "description": "A field with a description"}),
        );
    }
    json!({"properties": {"traits": {"type": "object", "properties": properties}}})
}

#[test]
fn the_focused_field_is_always_in_view() {
    let mut form = open(&long_schema(), &json!({}));
    let viewport = 17;
    for width in [80, 200] {
        for step in 0..60 {
            form.move_focus(step < 30);
            form.keep_in_view(width, viewport);
            let laid = layout::lay_out(&form, width);
            let start: usize = laid
                .iter()
                .take_while(|l| l.row != form.focus())
                .map(|l| l.lines.len())
                .sum();
            let height = laid.iter().find(|l| l.row == form.focus()).map_or(0, |l| l.lines.len());
            assert!(
                start >= form.scroll && start + height <= form.scroll + viewport,
                "{width}: the row at {start}+{height} is outside {}..{}",
                form.scroll,
                form.scroll + viewport
            );
        }
    }
}

#[test]
fn narrow_shows_the_focused_hints_under_it_wide_shows_every_hint_beside_its_field() {
    let form = open(
        &demo_schema("phone"),
        &json!({"email": "a@example.com", "phone": "+4915112345678"}),
    );
    let narrow = screen(&form, 80);
    assert_eq!(
        narrow.matches("sign-in identifier").count(),
        1,
        "only the focused field's hints:\n{narrow}"
    );
    let wide = screen(&form, WIDE + 80);
    assert_eq!(wide.matches("sign-in identifier").count(), 2, "{wide}");
    let phone_line = wide.lines().find(|l| l.contains("Phone number")).unwrap_or_default();
    assert!(
        phone_line.contains("a phone number in international form"),
        "the hint is beside the field:\n{wide}"
    );
    for line in narrow.lines() {
        assert!(unicode_width::UnicodeWidthStr::width(line) <= 80, "{line}");
    }
}

#[test]
fn hostile_values_are_drawn_as_escapes() {
    let traits = json!({"email": "a\u{1b}[2J@example.com\u{202e}", "name": {"first": "\u{9b}31m"}});
    let form = open(&demo_schema("email"), &traits);
    let text = screen(&form, 200);
    assert!(
        !text
            .chars()
            .any(|c| c != '\n' && (c.is_control() || crate::sanitize::is_unsafe(c))),
        "{text:?}"
    );
    assert!(text.contains("\\u001b[2J"), "{text}");
    assert_eq!(form.value().0, traits, "the value itself is untouched");
}

#[test]
fn a_landed_write_becomes_the_baseline() {
    let mut form = open(&demo_schema("email"), &ada());
    form.move_focus(true);
    type_text(&mut form, "!");
    form.mark_sent();
    let (sent, _) = form.value();
    form.take_server_version(&sent);
    assert!(!form.modified(), "the server holds what was sent");
    type_text(&mut form, "?");
    let mut other = sent.clone();
    other["name"]["last"] = json!("King");
    form.take_server_version(&other);
    assert!(form.modified(), "typed since: kept");
    assert_eq!(form.value().0["name"]["first"], json!("Ada!?"));
}

#[test]
fn typed_values_survive_a_draft() {
    let traits = json!({"email": "a@example.com", "age": 41, "tags": ["a"]});
    let mut form = open(&rich_schema(), &traits);
    focus_on(&mut form, "/age");
    type_text(&mut form, "x");
    focus_on(&mut form, "/tags");
    form.add_item();
    type_text(&mut form, "typed");
    let kept = form.typed();
    let mut fresh = open(&rich_schema(), &traits);
    assert_eq!(fresh.restore_typed(&kept, "<skip>"), 0);
    assert_eq!(fresh.typed(), kept);
    assert_eq!(fresh.value(), form.value());
    assert_eq!(fresh.problems(), form.problems(), "the typo is back too");
}

// ---- the property test ------------------------------------------------------

/// A generated schema node.
#[derive(Debug, Clone)]
enum Gen {
    Text,
    Int,
    Num,
    Bool,
    Choice(Vec<Value>),
    Object(Vec<(String, Gen, bool)>),
    List(Box<Gen>),
}

fn gen_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,6}",
        Just("a/b~c".to_owned()),
        Just("ünï".to_owned()),
        Just("with space".to_owned())
    ]
}

fn gen_shape() -> impl Strategy<Value = Gen> {
    let leaf = prop_oneof![
        Just(Gen::Text),
        Just(Gen::Int),
        Just(Gen::Num),
        Just(Gen::Bool),
        prop::collection::vec(
            prop_oneof![
                "[a-z]{1,4}".prop_map(Value::from),
                any::<i32>().prop_map(Value::from),
                Just(Value::from(1.5))
            ],
            1..4
        )
        .prop_map(|mut choices| {
            choices.dedup();
            Gen::Choice(choices)
        }),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec((gen_name(), inner.clone(), any::<bool>()), 1..4).prop_map(|fields| {
                let mut seen = Vec::new();
                Gen::Object(
                    fields
                        .into_iter()
                        .filter(|(name, _, _)| {
                            let fresh = !seen.contains(name);
                            seen.push(name.clone());
                            fresh
                        })
                        .collect(),
                )
            }),
            inner
                .prop_filter("no lists of lists", |g| !matches!(g, Gen::List(_)))
                .prop_map(|g| Gen::List(Box::new(g))),
        ]
    })
}

fn schema_of(node: &Gen) -> Value {
    match node {
        Gen::Text => json!({"type": "string"}),
        Gen::Int => json!({"type": "integer"}),
        Gen::Num => json!({"type": "number"}),
        Gen::Bool => json!({"type": "boolean"}),
        Gen::Choice(choices) => json!({"enum": choices}),
        Gen::Object(fields) => {
            let properties: serde_json::Map<String, Value> =
                fields.iter().map(|(name, g, _)| (name.clone(), schema_of(g))).collect();
            let required: Vec<&str> = fields.iter().filter(|f| f.2).map(|f| f.0.as_str()).collect();
            json!({"type": "object", "properties": properties, "required": required})
        }
        Gen::List(item) => json!({"type": "array", "items": schema_of(item)}),
    }
}

fn gen_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        Just(String::new()),
        Just("\u{1b}[31m\\\"\u{202e}é🙂".to_owned()),
        "[ -~]{0,12}"
    ]
}

fn gen_value(node: &Gen) -> BoxedStrategy<Value> {
    match node {
        Gen::Text => gen_string().prop_map(Value::from).boxed(),
        Gen::Int => prop_oneof![any::<i64>().prop_map(Value::from), any::<u64>().prop_map(Value::from)].boxed(),
        Gen::Num => prop_oneof![
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            (-1000i32..1000).prop_map(|i| Value::from(f64::from(i))),
            any::<i64>().prop_map(Value::from),
        ]
        .boxed(),
        Gen::Bool => any::<bool>().prop_map(Value::from).boxed(),
        Gen::Choice(choices) => prop::sample::select(choices.clone()).boxed(),
        Gen::Object(fields) => {
            let members: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
                .iter()
                .map(|(name, g, required)| {
                    let name = name.clone();
                    let value = gen_value(g).prop_map(move |v| Some((name.clone(), v)));
                    if *required {
                        value.boxed()
                    } else {
                        prop_oneof![Just(None), value].boxed()
                    }
                })
                .collect();
            let taken: Vec<String> = fields.iter().map(|f| f.0.clone()).collect();
            let extra = prop::option::of(("x[0-9]{1,3}", gen_string())).prop_filter("not a schema member", move |e| {
                e.as_ref().is_none_or(|(k, _)| !taken.contains(k))
            });
            (members, extra, any::<bool>())
                .prop_map(|(members, extra, extra_first)| {
                    let mut map = serde_json::Map::new();
                    let extra = extra.map(|(k, v)| (k, Value::from(v)));
                    if extra_first && let Some((k, v)) = extra.clone() {
                        map.insert(k, v);
                    }
                    for (name, value) in members.into_iter().flatten() {
                        map.insert(name, value);
                    }
                    if !extra_first && let Some((k, v)) = extra {
                        map.insert(k, v);
                    }
                    Value::Object(map)
                })
                .boxed()
        }
        Gen::List(item) => prop::collection::vec(gen_value(item), 0..3)
            .prop_map(Value::from)
            .boxed(),
    }
}

fn gen_case() -> impl Strategy<Value = (Value, Value, Vec<(usize, String)>)> {
    gen_shape()
        .prop_map(|g| match g {
            Gen::Object(_) => g,
            other => Gen::Object(vec![("only".to_owned(), other, false)]),
        })
        .prop_flat_map(|g| {
            let schema = json!({"type": "object", "properties": {"traits": schema_of(&g)}});
            let edits = prop::collection::vec((any::<usize>(), gen_string()), 0..4);
            (Just(schema), gen_value(&g), edits)
        })
}

/// Every leaf of `value` with its pointer.
fn leaves(pointer: String, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                leaves(value::child_pointer(&pointer, key), child, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (at, child) in items.iter().enumerate() {
                leaves(format!("{pointer}/{at}"), child, out);
            }
        }
        other => out.push((pointer, other.clone())),
    }
}

fn text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn form_value_form_is_the_identity_and_untouched_fields_stay_byte_identical(
        (schema, traits, edits) in gen_case()
    ) {
        // Untouched: the value comes back byte for byte.
        let form = TraitForm::open(&schema, &traits, &traits);
        prop_assert!(form.is_ok(), "{:?}", form.as_ref().err());
        let Ok(mut form) = form else { return Ok(()) };
        let (value, typos) = form.value();
        prop_assert!(typos.is_empty(), "{typos:?}");
        prop_assert_eq!(text(&value), text(&traits));
        prop_assert!(!form.modified());
        let again = TraitForm::open(&schema, &value, &traits).map(|f| f.typed());
        prop_assert_eq!(again.ok(), Some(form.typed()));

        // Typed into some fields: the value holds exactly what was typed,
        // and a form opened on it holds the same as the edited one.
        let rows = form.rows();
        let texts: Vec<&Row> = rows.iter().filter(|r| r.kind == RowKind::Text).collect();
        let mut edited: Vec<String> = Vec::new();
        for (pick, typed) in &edits {
            let Some(row) = texts.get(pick % texts.len().max(1)) else { break };
            let numeric = schema_kind(&schema, &row.pointer);
            // What the field takes (paste drops control characters); an
            // item typed empty is left out of the list, so give it a letter.
            let clean: String = typed
                .chars()
                .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
                .filter(|c| !crate::sanitize::is_unsafe(*c))
                .collect();
            let item = row.path.last().is_some_and(|step| matches!(step, Step::Item(_)));
            let typed = match (numeric, clean.is_empty() && item) {
                (true, _) => (pick % 20_000).to_string(),
                (false, true) => "x".to_owned(),
                (false, false) => clean,
            };
            form.focus_pointer(&row.pointer);
            form.type_key(ctrl_u());
            form.paste(&typed);
            edited.push(row.pointer.clone());
        }
        let (edited_value, typos) = form.value();
        prop_assert!(typos.is_empty(), "{typos:?}");
        let reopened = TraitForm::open(&schema, &edited_value, &traits);
        prop_assert!(reopened.is_ok());
        let Ok(reopened) = reopened else { return Ok(()) };
        prop_assert_eq!(text(&reopened.value().0), text(&edited_value));
        prop_assert_eq!(reopened.typed(), form.typed());

        // Through the write pipeline: every field not typed into is in the
        // PUT body exactly as the server sent it.
        let identity = json!({
            "id": "4f1b0c2e-0000-4000-8000-000000000001", "schema_id": "s", "state": "active",
            "traits": traits, "metadata_public": null, "metadata_admin": null,
            "updated_at": "2024-01-01T00:00:00Z"
        });
        let snapshot = crate::write::plan::Snapshot::from_raw(identity);
        prop_assert!(snapshot.is_ok());
        let Ok(snapshot) = snapshot else { return Ok(()) };
        let edit = crate::write::plan::Edit { traits: Some(edited_value.clone()), ..Default::default() };
        let planned = crate::write::plan::plan(&snapshot, &edit);
        prop_assert!(planned.is_ok(), "{:?}", planned.as_ref().err());
        let Ok(planned) = planned else { return Ok(()) };
        let body = serde_json::to_string(&planned.body).unwrap_or_default();
        let sent_traits = &planned.body.traits;
        let embedded = format!("\"traits\":{}", text(sent_traits));
        prop_assert!(body.contains(&embedded), "{body}");
        let mut before = Vec::new();
        leaves(String::new(), &traits, &mut before);
        for (pointer, original) in before {
            // Typed into, or an empty group or list that typing filled.
            let touched = edited.iter().any(|e| {
                pointer == *e || pointer.starts_with(&format!("{e}/")) || e.starts_with(&format!("{pointer}/"))
            });
            if touched {
                continue;
            }
            let sent = sent_traits.pointer(&pointer).map(text);
            prop_assert_eq!(sent, Some(text(&original)), "{} changed", pointer);
        }
    }
}

/// Whether the schema wants a number at `pointer` (list items included).
fn schema_kind(schema: &Value, pointer: &str) -> bool {
    let mut node = schema.pointer("/properties/traits").cloned().unwrap_or(Value::Null);
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        node = match node.get("type").and_then(Value::as_str) {
            Some("array") => node.get("items").cloned().unwrap_or(Value::Null),
            _ => node
                .pointer(&format!(
                    "/properties/{}",
                    value::child_pointer("", &token).trim_start_matches('/')
                ))
                .cloned()
                .unwrap_or(Value::Null),
        };
    }
    matches!(node.get("type").and_then(Value::as_str), Some("integer" | "number"))
}
