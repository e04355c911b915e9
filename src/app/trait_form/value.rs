//! Values ↔ form fields. A field starts from the value the traits hold
//! ([`from_value`]) and remembers it, so the value built back
//! ([`build_object`]) keeps the server's exact JSON wherever nothing was
//! typed: numbers as the server spelled them (`1.0` stays `1.0`), strings
//! with their unicode and escapes, members in their order. What was typed is
//! read by the field's kind: text as a string, a number as a JSON number
//! (never a string; a typo is a problem at the field, not a guess), a JSON
//! part as JSON. An optional field emptied is left out of the traits rather
//! than sent as `""`, and so is an empty list item.
//!
//! A value that does not fit its field (text where the schema wants a
//! number, a choice the schema does not list) is not bent into it: that
//! field is edited as JSON, with the reason.

use serde_json::{Map, Value};

use super::schema::{Field, ObjectShape, Shape};
use crate::app::input::TextInput;

/// One field's state in the form.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Typed: text, a number or a JSON part.
    Text(TextNode),
    /// A checkbox (yes, no, or not set).
    Bool(BoolNode),
    /// A choice list.
    Choice(ChoiceNode),
    /// A group of members.
    Object(ObjectNode),
    /// Items added and removed.
    List(ListNode),
}

/// How a typed field's text becomes JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum TextKind {
    /// A string, as typed.
    Text,
    /// A JSON number (`integer`: the schema wants a whole number).
    Number { integer: bool },
    /// A JSON value, typed as JSON; why the form shows it so.
    Json(String),
}

/// A typed field and the value it started from.
#[derive(Debug, Clone, PartialEq)]
pub struct TextNode {
    pub kind: TextKind,
    /// What is typed now (server data until edited: sanitise before drawing).
    pub input: TextInput,
    initial_text: String,
    initial: Option<Value>,
}

impl TextNode {
    fn node(kind: TextKind, text: String, initial: Option<&Value>) -> Node {
        let mut input = TextInput::default();
        input.set(&text);
        Node::Text(TextNode {
            kind,
            input,
            initial_text: text,
            initial: initial.cloned(),
        })
    }

    /// Whether the text differs from what the field started with.
    pub fn touched(&self) -> bool {
        self.input.text() != self.initial_text
    }
}

/// A checkbox and the value it started from.
#[derive(Debug, Clone, PartialEq)]
pub struct BoolNode {
    /// `None`: not set (the member is left out).
    pub value: Option<bool>,
    initial_state: Option<bool>,
    initial: Option<Value>,
}

/// A choice and the value it started from.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceNode {
    /// Index into the field's choices; `None`: not set.
    pub selected: Option<usize>,
    initial_selected: Option<usize>,
    initial: Option<Value>,
}

/// A group: its schema's members (in schema order), and the members the
/// value holds that the schema does not list (kept as they are).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectNode {
    pub fields: Vec<Node>,
    /// Members not in the schema, as the server sent them (read-only here).
    pub extras: Vec<(String, Value)>,
    /// The value's member names in its order; `None` when it had no object here.
    initial_keys: Option<Vec<String>>,
}

/// A list's items.
#[derive(Debug, Clone, PartialEq)]
pub struct ListNode {
    pub items: Vec<Node>,
    /// The value had a list here (an emptied list is sent as `[]`).
    present: bool,
}

/// Typed text the form cannot turn into JSON: where (a JSON pointer below
/// the traits) and why, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typo {
    pub pointer: String,
    pub message: String,
}

/// The field of `shape` filled from `value` (`None`: the member is absent).
pub fn from_value(field: &Field, value: Option<&Value>) -> Node {
    match (&field.shape, value) {
        (Shape::Text(_), None) => TextNode::node(TextKind::Text, String::new(), None),
        (Shape::Text(_), Some(v @ Value::String(s))) => TextNode::node(TextKind::Text, s.clone(), Some(v)),
        (Shape::Number(rules), None) => {
            TextNode::node(TextKind::Number { integer: rules.integer }, String::new(), None)
        }
        (Shape::Number(rules), Some(v @ Value::Number(n))) => {
            TextNode::node(TextKind::Number { integer: rules.integer }, n.to_string(), Some(v))
        }
        (Shape::Bool, None) => Node::Bool(BoolNode {
            value: None,
            initial_state: None,
            initial: None,
        }),
        (Shape::Bool, Some(v @ Value::Bool(b))) => Node::Bool(BoolNode {
            value: Some(*b),
            initial_state: Some(*b),
            initial: Some(v.clone()),
        }),
        (Shape::Choice(_), None) => Node::Choice(ChoiceNode {
            selected: None,
            initial_selected: None,
            initial: None,
        }),
        (Shape::Choice(choices), Some(v)) => match choices.iter().position(|c| c == v) {
            Some(at) => Node::Choice(ChoiceNode {
                selected: Some(at),
                initial_selected: Some(at),
                initial: Some(v.clone()),
            }),
            None => json_node(
                "holds a value the schema's choices do not list: edited as JSON".into(),
                Some(v),
            ),
        },
        (Shape::Object(shape), None) => Node::Object(object_from(shape, None)),
        (Shape::Object(shape), Some(Value::Object(members))) => Node::Object(object_from(shape, Some(members))),
        (Shape::List(_), None) => Node::List(ListNode {
            items: Vec::new(),
            present: false,
        }),
        (Shape::List(list), Some(Value::Array(items))) => Node::List(ListNode {
            items: items.iter().map(|item| from_value(&list.item, Some(item))).collect(),
            present: true,
        }),
        (Shape::Json(why), value) => json_node(why.clone(), value),
        (shape, Some(value)) => json_node(
            format!(
                "holds {} where the schema wants {}: edited as JSON",
                kind_of(value),
                wanted(shape)
            ),
            Some(value),
        ),
    }
}

/// An object's fields filled from `members`.
pub fn object_from(shape: &ObjectShape, members: Option<&Map<String, Value>>) -> ObjectNode {
    let fields = shape
        .fields
        .iter()
        .map(|field| from_value(field, members.and_then(|m| m.get(&field.name))))
        .collect();
    let extras = members
        .map(|m| {
            m.iter()
                .filter(|(key, _)| !shape.fields.iter().any(|f| f.name == **key))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default();
    ObjectNode {
        fields,
        extras,
        initial_keys: members.map(|m| m.keys().cloned().collect()),
    }
}

fn json_node(why: String, value: Option<&Value>) -> Node {
    let text = value
        .map(|v| crate::sanitize::json_inert_line(v).unwrap_or_default())
        .unwrap_or_default();
    TextNode::node(TextKind::Json(why), text, value)
}

/// A value's kind in words ("a number", "text").
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "yes/no",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a group of members",
    }
}

fn wanted(shape: &Shape) -> &'static str {
    match shape {
        Shape::Text(_) => "text",
        Shape::Number(rules) if rules.integer => "a whole number",
        Shape::Number(_) => "a number",
        Shape::Bool => "yes/no",
        Shape::Choice(_) => "one of its choices",
        Shape::Object(_) => "a group of members",
        Shape::List(_) => "a list",
        Shape::Json(_) => "JSON",
    }
}

/// `pointer` with `token` appended (escaped as JSON pointers want).
pub fn child_pointer(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", crate::diff::escape_token(token))
}

/// The value an object group stands for: `None` when it had no object and
/// nothing was filled in. Members keep the value's order; new ones follow
/// in schema order. Typos are collected, their fields left out.
pub fn build_object(shape: &ObjectShape, node: &ObjectNode, pointer: &str, typos: &mut Vec<Typo>) -> Option<Value> {
    let mut built: Vec<Option<Value>> = shape
        .fields
        .iter()
        .zip(&node.fields)
        .map(|(field, child)| build(field, child, &child_pointer(pointer, &field.name), typos))
        .collect();
    let mut members = Map::new();
    for key in node.initial_keys.iter().flatten() {
        if let Some(at) = shape.fields.iter().position(|f| f.name == *key) {
            if let Some(value) = built.get_mut(at).and_then(Option::take) {
                members.insert(key.clone(), value);
            }
        } else if let Some((_, value)) = node.extras.iter().find(|(k, _)| k == key) {
            members.insert(key.clone(), value.clone());
        }
    }
    for (field, value) in shape.fields.iter().zip(built) {
        if let Some(value) = value {
            members.insert(field.name.clone(), value);
        }
    }
    for (key, value) in &node.extras {
        if !members.contains_key(key) {
            members.insert(key.clone(), value.clone());
        }
    }
    (node.initial_keys.is_some() || !members.is_empty()).then_some(Value::Object(members))
}

/// The value of one field (`None`: left out), or its typo.
pub fn build(field: &Field, node: &Node, pointer: &str, typos: &mut Vec<Typo>) -> Option<Value> {
    match node {
        Node::Text(text) => build_text(field, text, pointer, typos),
        Node::Bool(check) if check.value == check.initial_state => check.initial.clone(),
        Node::Bool(check) => check.value.map(Value::Bool),
        Node::Choice(choice) if choice.selected == choice.initial_selected => choice.initial.clone(),
        Node::Choice(choice) => match &field.shape {
            Shape::Choice(choices) => choice.selected.and_then(|at| choices.get(at).cloned()),
            _ => None,
        },
        Node::Object(object) => match &field.shape {
            Shape::Object(shape) => build_object(shape, object, pointer, typos),
            _ => None,
        },
        Node::List(list) => {
            let Shape::List(shape) = &field.shape else {
                return None;
            };
            let items: Vec<Value> = list
                .items
                .iter()
                .enumerate()
                .filter_map(|(at, item)| build(&shape.item, item, &child_pointer(pointer, &at.to_string()), typos))
                .collect();
            (list.present || !items.is_empty()).then_some(Value::Array(items))
        }
    }
}

fn build_text(field: &Field, node: &TextNode, pointer: &str, typos: &mut Vec<Typo>) -> Option<Value> {
    if !node.touched() {
        return node.initial.clone();
    }
    let text = node.input.text();
    let mut typo = |message: String| {
        typos.push(Typo {
            pointer: pointer.to_owned(),
            message,
        })
    };
    match &node.kind {
        TextKind::Text if text.is_empty() && !field.required => None,
        TextKind::Text => Some(Value::String(text.to_owned())),
        TextKind::Number { .. } | TextKind::Json(_) if text.trim().is_empty() => None,
        TextKind::Number { integer } => match parse_number(text.trim(), *integer) {
            Ok(number) => Some(number),
            Err(message) => {
                typo(message);
                None
            }
        },
        TextKind::Json(_) => match crate::app::json_edit::parse(text.trim()) {
            Ok(value) => Some(value),
            Err(problem) => {
                let column = problem.location.rsplit(' ').next().unwrap_or_default();
                typo(format!("not JSON: {} at column {column}", problem.message));
                None
            }
        },
    }
}

/// A typed number as a JSON number, spelled as typed where serde_json keeps
/// it; a whole number beyond 64 bits is refused rather than rounded.
pub fn parse_number(text: &str, integer: bool) -> Result<Value, String> {
    let hint = if integer {
        "not a whole number: type digits, e.g. 42"
    } else {
        "not a number: type e.g. 42 or 4.5"
    };
    let value: Value = serde_json::from_str(text).map_err(|_| hint.to_owned())?;
    let Value::Number(number) = &value else {
        return Err(hint.to_owned());
    };
    let whole_literal = !text.contains(['.', 'e', 'E']);
    if whole_literal && number.is_f64() {
        return Err(
            "too large to send exactly: whole numbers go from -9223372036854775808 to 18446744073709551615".into(),
        );
    }
    Ok(value)
}

/// What was typed into a field, as drafts keep it: text as typed, a
/// checkbox or choice as chosen (`null`: not set), groups by member name,
/// lists item by item. Members not in the schema are the server's and are
/// not kept.
pub fn typed(field: &Field, node: &Node) -> Value {
    match node {
        Node::Text(text) => Value::String(text.input.text().to_owned()),
        Node::Bool(check) => check.value.map_or(Value::Null, Value::Bool),
        Node::Choice(choice) => match (&field.shape, choice.selected) {
            (Shape::Choice(choices), Some(at)) => choices.get(at).cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        },
        Node::Object(object) => match &field.shape {
            Shape::Object(shape) => typed_object(shape, object),
            _ => Value::Null,
        },
        Node::List(list) => match &field.shape {
            Shape::List(shape) => Value::Array(list.items.iter().map(|item| typed(&shape.item, item)).collect()),
            _ => Value::Null,
        },
    }
}

/// [`typed`] of a group.
pub fn typed_object(shape: &ObjectShape, node: &ObjectNode) -> Value {
    Value::Object(
        shape
            .fields
            .iter()
            .zip(&node.fields)
            .map(|(field, child)| (field.name.clone(), typed(field, child)))
            .collect(),
    )
}

/// Puts what [`typed`] kept back into a form opened afresh; a text that is
/// `skip` (a secret a draft did not keep) stays as the form opened it.
/// Returns how many were skipped. Parts that no longer fit (the schema
/// changed) are left as they are.
pub fn restore(field: &Field, node: &mut Node, typed: &Value, skip: &str) -> usize {
    match (node, typed) {
        (Node::Text(_), Value::String(text)) if text == skip => 1,
        (Node::Text(node), Value::String(text)) => {
            node.input.set(text);
            0
        }
        (Node::Bool(check), Value::Bool(b)) => {
            check.value = Some(*b);
            0
        }
        (Node::Bool(check), Value::Null) => {
            check.value = None;
            0
        }
        (Node::Choice(choice), value) => {
            if let Shape::Choice(choices) = &field.shape {
                choice.selected = choices.iter().position(|c| c == value);
            }
            0
        }
        (Node::Object(object), Value::Object(_)) => match &field.shape {
            Shape::Object(shape) => restore_object(shape, object, typed, skip),
            _ => 0,
        },
        (Node::List(list), Value::Array(items)) => {
            let Shape::List(shape) = &field.shape else {
                return 0;
            };
            list.items.truncate(items.len());
            while list.items.len() < items.len() {
                list.items.push(from_value(&shape.item, None));
            }
            list.items
                .iter_mut()
                .zip(items)
                .map(|(node, typed)| restore(&shape.item, node, typed, skip))
                .sum()
        }
        _ => 0,
    }
}

/// [`restore`] of a group.
pub fn restore_object(shape: &ObjectShape, node: &mut ObjectNode, typed: &Value, skip: &str) -> usize {
    let Some(members) = typed.as_object() else {
        return 0;
    };
    shape
        .fields
        .iter()
        .zip(node.fields.iter_mut())
        .filter_map(|(field, child)| members.get(&field.name).map(|typed| restore(field, child, typed, skip)))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::super::schema;
    use super::*;
    use serde_json::json;

    fn shape(traits: Value) -> ObjectShape {
        let doc = json!({"properties": {"traits": traits}});
        match schema::read(&doc) {
            Ok(read) => read.root,
            Err(why) => panic!("{why}"),
        }
    }

    fn person() -> ObjectShape {
        shape(json!({"type": "object", "properties": {
            "email": {"type": "string", "format": "email"},
            "age": {"type": "integer"},
            "ratio": {"type": "number"},
            "vip": {"type": "boolean"},
            "plan": {"enum": ["free", "pro", 3]},
            "name": {"type": "object", "properties": {"first": {"type": "string"}, "last": {"type": "string"}}},
            "tags": {"type": "array", "items": {"type": "string"}}
        }, "required": ["email"]}))
    }

    fn built(shape: &ObjectShape, node: &ObjectNode) -> (Option<Value>, Vec<Typo>) {
        let mut typos = Vec::new();
        let value = build_object(shape, node, "", &mut typos);
        (value, typos)
    }

    fn text_at(node: &mut ObjectNode, at: usize) -> &mut TextNode {
        match &mut node.fields[at] {
            Node::Text(text) => text,
            other => panic!("not text: {other:?}"),
        }
    }

    #[test]
    fn untouched_fields_keep_the_exact_json_and_order() {
        let shape = person();
        let raw = r#"{"zeta": "\u00e9\u001b", "age": 1.0, "email": "a@example.com", "ratio": 1e300, "plan": 3,
                      "name": {"last": "Lee", "first": "Ana"}, "tags": ["", "x"], "vip": false}"#;
        let value: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
        let node = object_from(&shape, value.as_object());
        let (again, typos) = built(&shape, &node);
        assert!(typos.is_empty());
        let again = again.unwrap_or(Value::Null);
        assert_eq!(
            serde_json::to_string(&again).ok(),
            serde_json::to_string(&value).ok(),
            "byte for byte"
        );
        assert_eq!(node.extras, vec![("zeta".to_owned(), json!("é\u{1b}"))]);
    }

    #[test]
    fn typed_values_are_read_by_their_kind() {
        let shape = person();
        let value = json!({"email": "a@example.com", "age": 41, "name": {"first": "Ana"}});
        let mut node = object_from(&shape, value.as_object());
        text_at(&mut node, 1).input.set("42");
        text_at(&mut node, 2).input.set("0.5");
        let (again, typos) = built(&shape, &node);
        assert!(typos.is_empty());
        let again = again.unwrap_or(Value::Null);
        assert_eq!(again["age"], json!(42), "a number, never a string");
        assert!(again["ratio"].is_f64());
        assert_eq!(serde_json::to_string(&again["ratio"]).ok().as_deref(), Some("0.5"));
    }

    #[test]
    fn typos_stay_at_their_field_and_are_never_sent_as_text() {
        let shape = person();
        let mut node = object_from(&shape, json!({"email": "a@example.com"}).as_object());
        text_at(&mut node, 1).input.set("12a");
        text_at(&mut node, 2).input.set("99999999999999999999999");
        let (again, typos) = built(&shape, &node);
        assert_eq!(again, Some(json!({"email": "a@example.com"})), "both left out");
        assert_eq!(typos.len(), 2);
        assert_eq!(typos[0].pointer, "/age");
        assert!(typos[0].message.contains("whole number"), "{typos:?}");
        assert_eq!(typos[1].pointer, "/ratio");
        assert!(typos[1].message.contains("too large to send exactly"), "{typos:?}");
        assert_eq!(
            parse_number("99999999999999999999", true)
                .err()
                .map(|m| m.contains("too large")),
            Some(true)
        );
        assert_eq!(parse_number("-5", true), Ok(json!(-5)));
        assert!(parse_number("+5", false).is_err());
        assert!(parse_number("\"5\"", false).is_err());
    }

    #[test]
    fn an_emptied_optional_field_is_left_out_and_a_required_one_sent_empty() {
        let shape = person();
        let mut node = object_from(
            &shape,
            json!({"email": "a@example.com", "name": {"first": "Ana", "last": "Lee"}}).as_object(),
        );
        text_at(&mut node, 0).input.set("");
        if let Node::Object(name) = &mut node.fields[5] {
            text_at(name, 0).input.set("");
        }
        let (again, _) = built(&shape, &node);
        assert_eq!(again, Some(json!({"email": "", "name": {"last": "Lee"}})));
    }

    #[test]
    fn a_value_that_does_not_fit_its_field_is_edited_as_json() {
        let shape = person();
        let node = object_from(&shape, json!({"email": 5, "plan": "gold", "name": "Ana"}).as_object());
        for at in [0, 4, 5] {
            assert!(
                matches!(&node.fields[at], Node::Text(t) if matches!(t.kind, TextKind::Json(_))),
                "{:?}",
                node.fields[at]
            );
        }
        let (again, _) = built(&shape, &node);
        assert_eq!(again, Some(json!({"email": 5, "plan": "gold", "name": "Ana"})));
    }

    #[test]
    fn lists_add_and_drop_items_and_empty_new_items_are_left_out() {
        let shape = person();
        let mut node = object_from(&shape, json!({"email": "a@example.com"}).as_object());
        let Shape::List(list) = &shape.fields[6].shape else {
            panic!("tags is a list")
        };
        if let Node::List(tags) = &mut node.fields[6] {
            tags.items.push(from_value(&list.item, None));
            tags.items.push(from_value(&list.item, None));
            if let Node::Text(text) = &mut tags.items[1] {
                text.input.set("vip");
            }
        }
        let (again, _) = built(&shape, &node);
        assert_eq!(again.map(|v| v["tags"].clone()), Some(json!(["vip"])));
    }

    #[test]
    fn what_was_typed_comes_back_into_a_fresh_form() {
        let shape = person();
        let value = json!({"email": "a@example.com", "tags": ["a"], "vip": true});
        let mut node = object_from(&shape, value.as_object());
        text_at(&mut node, 1).input.set("4x");
        if let Node::List(tags) = &mut node.fields[6] {
            tags.items.clear();
        }
        if let Node::Bool(vip) = &mut node.fields[3] {
            vip.value = None;
        }
        let kept = typed_object(&shape, &node);
        let mut fresh = object_from(&shape, value.as_object());
        assert_eq!(restore_object(&shape, &mut fresh, &kept, "<secret>"), 0);
        assert_eq!(fresh, node);
    }
}
