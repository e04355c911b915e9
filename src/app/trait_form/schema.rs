//! The identity schema's `properties.traits`, read into the fields a form
//! shows: each member in schema order, with its title, description, whether
//! it is required, what kind of input it takes, and the Kratos extension
//! (`ory.sh/kratos`) that says what the member means to Kratos.
//!
//! What the form cannot represent faithfully is not guessed at: a member
//! that uses `oneOf`/`anyOf`/`allOf`, refers to another document, names its
//! members by pattern (`patternProperties`) or gives unlisted members a
//! schema (`additionalProperties: {…}`) becomes a [`Shape::Json`] part,
//! edited as JSON text, with the reason in plain words. When `traits` itself
//! is such a construct, [`read`] says why and the whole traits stay in the
//! JSON editor.

use serde_json::{Map, Value};

/// Deepest nesting (and longest chain of local `$ref`s) the form follows;
/// deeper parts are edited as JSON.
pub const MAX_DEPTH: usize = 12;

/// The Kratos schema extension's key (`schema/extension.go`, `ExtensionName`).
pub const KRATOS_EXTENSION: &str = "ory.sh/kratos";

/// One member of an object in the traits.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The member's name in the traits (server data: sanitise before drawing).
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Listed in its object's `required`.
    pub required: bool,
    pub shape: Shape,
    pub kratos: Kratos,
}

impl Field {
    /// What the form calls the field: its `title`, else its name.
    pub fn label(&self) -> &str {
        self.title
            .as_deref()
            .filter(|title| !title.trim().is_empty())
            .unwrap_or(&self.name)
    }
}

/// What kind of input a field takes.
// A schema has tens of fields, read once per form: boxing the larger rules
// would only add indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A string, typed.
    Text(TextRules),
    /// A number or an integer, typed; sent as a JSON number, never a string.
    Number(NumberRules),
    /// A checkbox.
    Bool,
    /// `enum` (or `const`) of scalars: a choice list.
    Choice(Vec<Value>),
    /// Nested members, shown as an indented group.
    Object(ObjectShape),
    /// An array: add and remove items of one kind.
    List(ListShape),
    /// A part the form cannot represent faithfully, edited as JSON text;
    /// the reason, in plain words.
    Json(String),
}

/// The checks a string field shows as hints (the schema checks them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextRules {
    pub format: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub pattern: Option<String>,
}

/// The bounds a number field shows as hints, as the schema spells them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NumberRules {
    pub integer: bool,
    pub minimum: Option<Value>,
    pub maximum: Option<Value>,
    pub exclusive_minimum: Option<Value>,
    pub exclusive_maximum: Option<Value>,
    pub multiple_of: Option<Value>,
}

/// The members of an object, in schema order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectShape {
    pub fields: Vec<Field>,
    /// `additionalProperties: false`: members not listed are refused by the
    /// server.
    pub closed: bool,
}

/// The items of an array.
#[derive(Debug, Clone, PartialEq)]
pub struct ListShape {
    /// The schema of every item (its name is the list's).
    pub item: Box<Field>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
}

/// What the Kratos extension (`ory.sh/kratos`) says about a field, as Kratos
/// reads it (`schema/extension.go`, `ExtensionConfig`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Kratos {
    /// The credential types this value is a sign-in identifier of
    /// (`credentials.{password,webauthn,code}.identifier`;
    /// `identity/extension_credentials.go`, `SchemaExtensionCredentials.Run`).
    pub identifier: Vec<String>,
    /// `verification.via` (`identity/extension_verification.go`).
    pub verification: Option<String>,
    /// `recovery.via` (`identity/extension_recovery.go`).
    pub recovery: Option<String>,
}

impl Kratos {
    /// Reads the extension of one schema node.
    fn of(node: &Map<String, Value>) -> Kratos {
        let Some(ext) = node.get(KRATOS_EXTENSION).and_then(Value::as_object) else {
            return Kratos::default();
        };
        let marked = |kind: &str| {
            ext.get("credentials")
                .and_then(|c| c.get(kind))
                .and_then(|c| c.get("identifier"))
                .and_then(Value::as_bool)
                == Some(true)
        };
        let mut identifier = Vec::new();
        for kind in ["password", "webauthn"] {
            if marked(kind) {
                identifier.push(kind.to_owned());
            }
        }
        if marked("code") {
            let via = ext
                .get("credentials")
                .and_then(|c| c.pointer("/code/via"))
                .and_then(Value::as_str);
            identifier.push(match via {
                Some(via) if !via.is_empty() => format!("code by {via}"),
                _ => "code".to_owned(),
            });
        }
        let via = |key: &str| {
            ext.get(key)
                .and_then(|v| v.get("via"))
                .and_then(Value::as_str)
                .filter(|via| !via.is_empty())
                .map(str::to_owned)
        };
        Kratos {
            identifier,
            verification: via("verification"),
            recovery: via("recovery"),
        }
    }

    /// Whether the extension says anything the form shows.
    pub fn is_empty(&self) -> bool {
        self.identifier.is_empty() && self.verification.is_none() && self.recovery.is_none()
    }
}

/// The traits as a form: the members of `properties.traits`.
#[derive(Debug, Clone, PartialEq)]
pub struct TraitsSchema {
    pub root: ObjectShape,
}

/// Reads the traits' fields from an identity schema (the whole identity,
/// with `traits` under `properties`), or says in plain words why the traits
/// cannot be a form at all (they stay in the JSON editor).
pub fn read(schema: &Value) -> Result<TraitsSchema, String> {
    let Some(traits) = schema.pointer("/properties/traits") else {
        return Err("the identity schema has no properties.traits".into());
    };
    let reader = Reader { doc: schema };
    let node = match reader.resolve(traits) {
        Ok(node) => node,
        Err(why) => return Err(format!("the traits' schema {why}")),
    };
    let Some(node) = node.as_object() else {
        return Err("the traits' schema is not an object schema".into());
    };
    if let Some(why) = object_problem(node) {
        return Err(format!("the traits' schema {why}"));
    }
    if let Some(kind) = node.get("type").filter(|t| t.as_str() != Some("object")) {
        return Err(format!("the traits' schema has type {kind}, not object"));
    }
    let listed = node
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    if !listed {
        return Err("the identity schema lists no traits (no properties)".into());
    }
    Ok(TraitsSchema {
        root: reader.object(node, 0),
    })
}

/// Why an object schema cannot be shown as a group of fields, if it cannot
/// ("uses oneOf: …", to follow "the traits' schema" or "its schema").
fn object_problem(node: &Map<String, Value>) -> Option<String> {
    if let Some(word) = ["oneOf", "anyOf", "allOf"].into_iter().find(|w| node.contains_key(*w)) {
        return Some(format!("uses {word}: the form cannot show a choice between schemas"));
    }
    if node.contains_key("patternProperties") {
        return Some("names its members by pattern (patternProperties): the form cannot list them".into());
    }
    if node.get("additionalProperties").is_some_and(Value::is_object) {
        return Some("gives unlisted members a schema (additionalProperties): the form cannot list them".into());
    }
    None
}

struct Reader<'a> {
    doc: &'a Value,
}

impl<'a> Reader<'a> {
    /// Follows local `$ref`s (`#/definitions/…`, `#/$defs/…`) to the node
    /// they name; a `$ref` to another document is not followed (its reason).
    fn resolve(&self, mut node: &'a Value) -> Result<&'a Value, String> {
        for _ in 0..MAX_DEPTH {
            let Some(reference) = node.get("$ref").and_then(Value::as_str) else {
                return Ok(node);
            };
            let Some(fragment) = reference.strip_prefix('#') else {
                return Err(format!(
                    "refers to another document ($ref {}): the form cannot read it; the server checks it",
                    cut(reference, 60)
                ));
            };
            let decoded = percent_encoding::percent_decode_str(fragment).decode_utf8_lossy();
            node = match self.doc.pointer(&decoded) {
                Some(target) => target,
                None => {
                    return Err(format!(
                        "refers to {} ($ref), which the schema does not hold",
                        cut(reference, 60)
                    ));
                }
            };
        }
        Err("refers through too many $refs".into())
    }

    fn object(&self, node: &Map<String, Value>, depth: usize) -> ObjectShape {
        let required: Vec<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let fields = node
            .get("properties")
            .and_then(Value::as_object)
            .map(|properties| {
                properties
                    .iter()
                    .map(|(name, child)| self.field(name, child, required.contains(&name.as_str()), depth + 1))
                    .collect()
            })
            .unwrap_or_default();
        ObjectShape {
            fields,
            closed: node.get("additionalProperties") == Some(&Value::Bool(false)),
        }
    }

    fn field(&self, name: &str, node: &Value, required: bool, depth: usize) -> Field {
        let mut field = Field {
            name: name.to_owned(),
            title: None,
            description: None,
            required,
            shape: Shape::Json(String::new()),
            kratos: Kratos::default(),
        };
        let resolved = match self.resolve(node) {
            Ok(resolved) => resolved,
            Err(why) => {
                field.shape = Shape::Json(format!("its schema {why}"));
                return field;
            }
        };
        let text = |key: &str| {
            resolved
                .get(key)
                .or_else(|| node.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        field.title = text("title");
        field.description = text("description");
        field.shape = match resolved {
            Value::Bool(true) => Shape::Json("the schema allows any JSON value here".into()),
            Value::Bool(false) => Shape::Json("the schema allows no value here".into()),
            Value::Object(map) => {
                field.kratos = Kratos::of(map);
                self.shape(map, depth)
            }
            _ => Shape::Json("its schema is not an object".into()),
        };
        field
    }

    fn shape(&self, node: &Map<String, Value>, depth: usize) -> Shape {
        if depth > MAX_DEPTH {
            return Shape::Json("nested deeper than the form goes".into());
        }
        if let Some(word) = ["oneOf", "anyOf", "allOf"].into_iter().find(|w| node.contains_key(*w)) {
            return Shape::Json(format!(
                "its schema uses {word}: the form cannot show a choice between schemas"
            ));
        }
        if let Some(choices) = choices(node) {
            return choices;
        }
        let kind = match node.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            Some(Value::Array(kinds)) => match kinds.as_slice() {
                [Value::String(kind)] => kind.as_str(),
                _ => {
                    let names: Vec<String> = kinds.iter().map(|k| k.as_str().unwrap_or("?").to_owned()).collect();
                    return Shape::Json(format!("may be any of {}", names.join(", ")));
                }
            },
            Some(_) => return Shape::Json("its type is not a type name".into()),
            None => infer_type(node),
        };
        match kind {
            "string" => Shape::Text(TextRules {
                format: node.get("format").and_then(Value::as_str).map(str::to_owned),
                min_length: node.get("minLength").and_then(Value::as_u64),
                max_length: node.get("maxLength").and_then(Value::as_u64),
                pattern: node.get("pattern").and_then(Value::as_str).map(str::to_owned),
            }),
            "number" | "integer" => Shape::Number(NumberRules {
                integer: kind == "integer",
                minimum: node.get("minimum").filter(|v| v.is_number()).cloned(),
                maximum: node.get("maximum").filter(|v| v.is_number()).cloned(),
                exclusive_minimum: node.get("exclusiveMinimum").filter(|v| v.is_number()).cloned(),
                exclusive_maximum: node.get("exclusiveMaximum").filter(|v| v.is_number()).cloned(),
                multiple_of: node.get("multipleOf").filter(|v| v.is_number()).cloned(),
            }),
            "boolean" => Shape::Bool,
            "object" => {
                if let Some(why) = object_problem(node) {
                    return Shape::Json(format!("its schema {why}"));
                }
                let listed = node
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_some_and(|p| !p.is_empty());
                if !listed {
                    return Shape::Json("an object whose members the schema does not list".into());
                }
                Shape::Object(self.object(node, depth))
            }
            "array" => self.list(node, depth),
            "null" => Shape::Json("the schema allows only null here".into()),
            "any" => Shape::Json("the schema allows any JSON value here".into()),
            other => Shape::Json(format!("of the unknown type {}", cut(other, 30))),
        }
    }

    fn list(&self, node: &Map<String, Value>, depth: usize) -> Shape {
        let items = match node.get("items") {
            None => return Shape::Json("a list of anything (no items schema)".into()),
            Some(Value::Array(_)) => return Shape::Json("a list whose items differ by position".into()),
            Some(items) => items,
        };
        if node.contains_key("prefixItems") {
            return Shape::Json("a list whose items differ by position".into());
        }
        let item = self.field("", items, false, depth + 1);
        match &item.shape {
            Shape::List(_) => Shape::Json("a list of lists".into()),
            Shape::Json(why) => Shape::Json(format!("a list whose items the form cannot show ({why})")),
            _ => Shape::List(ListShape {
                item: Box::new(item),
                min_items: node.get("minItems").and_then(Value::as_u64),
                max_items: node.get("maxItems").and_then(Value::as_u64),
            }),
        }
    }
}

/// `enum` (or `const`) of strings, numbers and booleans as a choice list.
fn choices(node: &Map<String, Value>) -> Option<Shape> {
    let values: Vec<Value> = match (node.get("enum"), node.get("const")) {
        (Some(Value::Array(values)), _) => values.clone(),
        (Some(_), _) => return Some(Shape::Json("its enum is not a list".into())),
        (None, Some(value)) => vec![value.clone()],
        (None, None) => return None,
    };
    let scalar = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
    if values.is_empty() {
        return Some(Shape::Json("its enum allows no value".into()));
    }
    if !values.iter().all(scalar) {
        return Some(Shape::Json(
            "a choice between values that are not text, numbers or yes/no".into(),
        ));
    }
    Some(Shape::Choice(values))
}

/// The type a schema without `type` describes, from its other keywords.
fn infer_type(node: &Map<String, Value>) -> &'static str {
    let has = |keys: &[&str]| keys.iter().any(|k| node.contains_key(*k));
    if has(&["properties", "additionalProperties", "patternProperties", "required"]) {
        "object"
    } else if has(&["items", "minItems", "maxItems", "uniqueItems"]) {
        "array"
    } else if has(&["format", "minLength", "maxLength", "pattern"]) {
        "string"
    } else if has(&[
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    ]) {
        "number"
    } else {
        "any"
    }
}

/// `text` cut to `max` characters with `…`, for reasons quoting the schema.
fn cut(text: &str, max: usize) -> String {
    let clean = crate::sanitize::for_display(text);
    if clean.chars().count() <= max {
        return clean.into_owned();
    }
    let mut out: String = clean.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn demo(name: &str) -> Value {
        let text = match name {
            "email" => include_str!("../../../assets/demo/schemas/email-password.schema.json"),
            _ => include_str!("../../../assets/demo/schemas/phone-password.schema.json"),
        };
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    fn wrap(traits: Value) -> Value {
        json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
               "properties": {"traits": traits}})
    }

    /// [`wrap`] with `definitions` at the document's root, where `#/definitions/…` points.
    fn wrap_with(definitions: Value, traits: Value) -> Value {
        let mut schema = wrap(traits);
        schema["definitions"] = definitions;
        schema
    }

    #[test]
    fn the_demo_email_schema_is_fields_in_schema_order_with_kratos_marks() {
        let schema = read(&demo("email")).map_err(|e| e.to_string());
        let Ok(schema) = schema else {
            panic!("the demo schema reads: {schema:?}")
        };
        let names: Vec<&str> = schema.root.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["email", "name"]);
        assert!(schema.root.closed);
        let email = &schema.root.fields[0];
        assert_eq!(email.label(), "E-Mail");
        assert!(email.required);
        assert_eq!(email.kratos.identifier, ["password"]);
        assert_eq!(email.kratos.verification.as_deref(), Some("email"));
        assert_eq!(email.kratos.recovery.as_deref(), Some("email"));
        assert!(
            matches!(&email.shape, Shape::Text(rules) if rules.format.as_deref() == Some("email") && rules.min_length == Some(3))
        );
        let Shape::Object(name) = &schema.root.fields[1].shape else {
            panic!("name is a group")
        };
        let labels: Vec<&str> = name.fields.iter().map(Field::label).collect();
        assert_eq!(labels, ["First Name", "Last Name"]);
        assert!(!name.fields[0].required);
    }

    #[test]
    fn the_phone_schema_marks_code_by_email_and_sms_verification() {
        let Ok(schema) = read(&demo("phone")) else {
            panic!("the demo schema reads")
        };
        let email = &schema.root.fields[0];
        assert_eq!(email.kratos.identifier, ["password", "code by email"]);
        assert_eq!(email.kratos.recovery, None);
        let phone = &schema.root.fields[1];
        assert_eq!(phone.kratos.verification.as_deref(), Some("sms"));
        assert!(phone.required);
    }

    #[test]
    fn every_kind_of_field_is_read() {
        let schema = wrap(json!({"type": "object", "properties": {
            "age": {"type": "integer", "minimum": 0, "maximum": 150},
            "score": {"type": "number", "exclusiveMaximum": 1},
            "newsletter": {"type": "boolean", "title": "Newsletter"},
            "plan": {"enum": ["free", "pro"]},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            "addresses": {"type": "array", "items": {"type": "object", "properties": {
                "city": {"type": "string"}}}},
            "since": {"format": "date"}
        }}));
        let Ok(read) = read(&schema) else { panic!("reads") };
        let shapes: Vec<&Shape> = read.root.fields.iter().map(|f| &f.shape).collect();
        assert!(matches!(shapes[0], Shape::Number(n) if n.integer && n.minimum == Some(json!(0))));
        assert!(matches!(shapes[1], Shape::Number(n) if !n.integer && n.exclusive_maximum == Some(json!(1))));
        assert_eq!(shapes[2], &Shape::Bool);
        assert_eq!(shapes[3], &Shape::Choice(vec![json!("free"), json!("pro")]));
        assert!(
            matches!(shapes[4], Shape::List(l) if matches!(l.item.shape, Shape::Text(_)) && l.max_items == Some(3))
        );
        assert!(matches!(shapes[5], Shape::List(l) if matches!(l.item.shape, Shape::Object(_))));
        assert!(matches!(shapes[6], Shape::Text(t) if t.format.as_deref() == Some("date")));
    }

    #[test]
    fn what_the_form_cannot_show_is_a_json_part_with_its_reason() {
        let schema = wrap_with(
            json!({"city": {"type": "string", "title": "City"}}),
            json!({"type": "object",
            "properties": {
                "contact": {"oneOf": [{"type": "string"}, {"type": "number"}]},
                "remote": {"$ref": "https://example.com/other.json"},
                "local": {"$ref": "#/definitions/city"},
                "labels": {"type": "object", "patternProperties": {"^x-": {"type": "string"}}},
                "extra": {"type": "object", "additionalProperties": {"type": "string"}},
                "nullable": {"type": ["string", "null"]},
                "matrix": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
                "anything": true
            }}),
        );
        let Ok(read) = read(&schema) else { panic!("reads") };
        let why = |name: &str| -> String {
            match read.root.fields.iter().find(|f| f.name == name).map(|f| &f.shape) {
                Some(Shape::Json(why)) => why.clone(),
                other => format!("not JSON: {other:?}"),
            }
        };
        assert!(why("contact").contains("oneOf"), "{}", why("contact"));
        assert!(why("remote").contains("another document"), "{}", why("remote"));
        assert!(why("labels").contains("patternProperties"), "{}", why("labels"));
        assert!(why("extra").contains("additionalProperties"), "{}", why("extra"));
        assert!(why("nullable").contains("string, null"), "{}", why("nullable"));
        assert!(why("matrix").contains("lists"), "{}", why("matrix"));
        assert!(why("anything").contains("any JSON value"), "{}", why("anything"));
        let local = read.root.fields.iter().find(|f| f.name == "local");
        assert!(
            local.is_some_and(|f| f.label() == "City" && matches!(f.shape, Shape::Text(_))),
            "a local $ref is followed: {local:?}"
        );
    }

    #[test]
    fn traits_the_form_cannot_be_say_why() {
        let cases = [
            (wrap(json!({"type": "object"})), "lists no traits"),
            (wrap(json!({"oneOf": [{"type": "object"}]})), "oneOf"),
            (
                wrap(json!({"type": "object", "properties": {"a": {}}, "additionalProperties": {"type": "string"}})),
                "additionalProperties",
            ),
            (
                wrap(json!({"type": "object", "properties": {"a": {}}, "patternProperties": {}})),
                "patternProperties",
            ),
            (wrap(json!({"$ref": "other.json#/traits"})), "another document"),
            (wrap(json!({"type": "array"})), "not object"),
            (json!({"properties": {}}), "no properties.traits"),
        ];
        for (schema, expected) in cases {
            match read(&schema) {
                Err(why) => assert!(why.contains(expected), "{why} lacks {expected}"),
                Ok(read) => panic!("{schema} read as {read:?}"),
            }
        }
    }

    #[test]
    fn a_ref_cycle_ends() {
        let schema = wrap_with(
            json!({"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}),
            json!({"type": "object", "properties": {"loop": {"$ref": "#/definitions/a"}}}),
        );
        let Ok(read) = read(&schema) else { panic!("reads") };
        assert!(matches!(&read.root.fields[0].shape, Shape::Json(why) if why.contains("too many")));
    }

    #[test]
    fn a_recursive_schema_stops_at_the_depth_limit() {
        let schema = wrap_with(
            json!({"node": {"type": "object", "properties": {"child": {"$ref": "#/definitions/node"}}}}),
            json!({"type": "object", "properties": {"tree": {"$ref": "#/definitions/node"}}}),
        );
        let Ok(read) = read(&schema) else { panic!("reads") };
        let mut shape = &read.root.fields[0].shape;
        let mut depth = 0;
        while let Shape::Object(object) = shape {
            shape = &object.fields[0].shape;
            depth += 1;
        }
        assert!(matches!(shape, Shape::Json(why) if why.contains("deeper")), "{shape:?}");
        assert!(depth >= MAX_DEPTH - 1, "{depth}");
    }
}
