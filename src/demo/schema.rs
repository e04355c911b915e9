//! Identity schemas: the raw JSON Schemas served at `/schemas`, trait validation
//! with Kratos's `I[...] S[...] message` error texts, and what the schema's
//! `ory.sh/kratos` extension derives from traits (credential identifiers,
//! verifiable and recovery addresses).

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::{Value, json};

use super::errors::ApiError;

/// The schemas the demo ships, by id: (id, file contents).
const SCHEMA_SOURCES: &[(&str, &str)] = &[
    (
        "email-password",
        include_str!("../../assets/demo/schemas/email-password.schema.json"),
    ),
    (
        "phone-password",
        include_str!("../../assets/demo/schemas/phone-password.schema.json"),
    ),
];

/// What the `ory.sh/kratos` extension says about one trait.
#[derive(Debug, Clone, Default, PartialEq)]
struct TraitExtension {
    /// Credential types this trait is an identifier of (`password`, `code`, ...).
    identifier_of: Vec<String>,
    /// `credentials.code.via` (the channel a code is sent through).
    code_via: Option<String>,
    verification_via: Option<String>,
    recovery_via: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Property(String),
    EachItem,
}

#[derive(Debug, Clone)]
struct ExtendedTrait {
    /// Path inside `traits`.
    path: Vec<Step>,
    extension: TraitExtension,
}

/// One identity schema.
pub struct IdentitySchema {
    pub id: &'static str,
    pub raw: Value,
    validator: Validator,
    extended: Vec<ExtendedTrait>,
}

/// What an identity's traits make of its credentials and addresses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    /// Every credential type the schema makes identifiers for, with the
    /// normalised values (possibly none), in schema order.
    pub identifiers: Vec<(String, Vec<String>)>,
    /// `(channel, address)` for the `code` credential's config.
    pub code_addresses: Vec<(String, String)>,
    /// `(value, via)` of verifiable addresses.
    pub verifiable: Vec<(String, String)>,
    /// `(value, via)` of recovery addresses.
    pub recovery: Vec<(String, String)>,
}

/// All schemas, compiled once.
pub struct Schemas {
    list: Vec<IdentitySchema>,
}

/// A phone number as Kratos's `tel` format wants it: E.164 after dropping the
/// usual separators.
pub fn is_phone_number(text: &str) -> bool {
    let compact = normalize_phone(text);
    let Some(digits) = compact.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

fn normalize_phone(text: &str) -> String {
    text.trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect()
}

/// How Kratos stores and looks up identifiers: e-mail addresses lower-cased,
/// phone numbers in E.164, anything else trimmed.
pub fn normalize_identifier(value: &str) -> String {
    let trimmed = value.trim();
    if trimmed.contains('@') {
        trimmed.to_lowercase()
    } else if trimmed.starts_with('+') && is_phone_number(trimmed) {
        normalize_phone(trimmed)
    } else {
        trimmed.to_owned()
    }
}

impl Schemas {
    /// Compiles the embedded schemas. Failing here is a bug in `assets/demo/`.
    pub fn load() -> Result<Self, String> {
        let mut list = Vec::new();
        for (id, source) in SCHEMA_SOURCES {
            let raw: Value =
                serde_json::from_str(source).map_err(|e| format!("identity schema {id}: invalid JSON: {e}"))?;
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .with_format("tel", is_phone_number)
                .build(&raw)
                .map_err(|e| format!("identity schema {id}: {e}"))?;
            let mut extended = Vec::new();
            if let Some(traits) = raw.pointer("/properties/traits") {
                collect_extensions(traits, &mut Vec::new(), &mut extended);
            }
            list.push(IdentitySchema {
                id,
                raw,
                validator,
                extended,
            });
        }
        Ok(Self { list })
    }

    pub fn get(&self, id: &str) -> Option<&IdentitySchema> {
        self.list.iter().find(|s| s.id == id)
    }

    pub fn all(&self) -> &[IdentitySchema] {
        &self.list
    }
}

fn collect_extensions(node: &Value, path: &mut Vec<Step>, out: &mut Vec<ExtendedTrait>) {
    if let Some(ext) = node.get("ory.sh/kratos") {
        let mut extension = TraitExtension::default();
        if let Some(credentials) = ext.get("credentials").and_then(Value::as_object) {
            for (kind, config) in credentials {
                if config.get("identifier").and_then(Value::as_bool) == Some(true) {
                    extension.identifier_of.push(kind.clone());
                    if kind == "code" {
                        extension.code_via = config.get("via").and_then(Value::as_str).map(str::to_owned);
                    }
                }
            }
        }
        extension.verification_via = ext
            .pointer("/verification/via")
            .and_then(Value::as_str)
            .map(str::to_owned);
        extension.recovery_via = ext.pointer("/recovery/via").and_then(Value::as_str).map(str::to_owned);
        out.push(ExtendedTrait {
            path: path.clone(),
            extension,
        });
    }
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        for (name, child) in properties {
            path.push(Step::Property(name.clone()));
            collect_extensions(child, path, out);
            path.pop();
        }
    }
    if let Some(items) = node.get("items") {
        path.push(Step::EachItem);
        collect_extensions(items, path, out);
        path.pop();
    }
}

/// The string values found at `path` in `traits` (arrays fan out).
fn values_at<'a>(traits: &'a Value, path: &[Step], out: &mut Vec<&'a str>) {
    match path.split_first() {
        None => {
            if let Some(text) = traits.as_str() {
                out.push(text);
            }
        }
        Some((Step::Property(name), rest)) => {
            if let Some(child) = traits.get(name) {
                values_at(child, rest, out);
            }
        }
        Some((Step::EachItem, rest)) => {
            if let Some(items) = traits.as_array() {
                for item in items {
                    values_at(item, rest, out);
                }
            }
        }
    }
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

fn normalize_address(value: &str, via: &str) -> String {
    match via {
        "sms" => normalize_phone(value),
        _ => value.trim().to_lowercase(),
    }
}

impl IdentitySchema {
    /// The URL path Kratos links an identity to its schema with.
    pub fn url_path(id: &str) -> String {
        use base64::Engine as _;
        format!(
            "/schemas/{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
        )
    }

    /// Validates traits as Kratos does (the whole identity document, so pointers
    /// start at `#/traits`). The reason is the first failure, like Kratos's.
    pub fn validate(&self, traits: &Value) -> Result<(), ApiError> {
        let document = json!({ "traits": traits });
        let errors: Vec<ValidationError<'_>> = self.validator.iter_errors(&document).collect();
        match describe_first(&errors) {
            None => Ok(()),
            Some(reason) => Err(ApiError::bad_request(reason)),
        }
    }

    /// Credential identifiers and addresses the traits imply.
    pub fn derive(&self, traits: &Value) -> Derived {
        let mut derived = Derived::default();
        for field in &self.extended {
            for kind in &field.extension.identifier_of {
                if !derived.identifiers.iter().any(|(k, _)| k == kind) {
                    derived.identifiers.push((kind.clone(), Vec::new()));
                }
            }
            let mut values = Vec::new();
            values_at(traits, &field.path, &mut values);
            for value in values {
                let identifier = normalize_identifier(value);
                for kind in &field.extension.identifier_of {
                    if let Some((_, list)) = derived.identifiers.iter_mut().find(|(k, _)| k == kind) {
                        push_unique(list, identifier.clone());
                    }
                    if kind == "code" {
                        let channel = field.extension.code_via.as_deref().unwrap_or("email");
                        push_unique(
                            &mut derived.code_addresses,
                            (channel.to_owned(), normalize_address(value, channel)),
                        );
                    }
                }
                if let Some(via) = &field.extension.verification_via {
                    push_unique(&mut derived.verifiable, (normalize_address(value, via), via.clone()));
                }
                if let Some(via) = &field.extension.recovery_via {
                    push_unique(&mut derived.recovery, (normalize_address(value, via), via.clone()));
                }
            }
        }
        derived
    }
}

/// `I[#/traits/email] S[#/properties/traits/properties/email/format] "x" is not valid "email"`,
/// merging the per-property `required` failures into one line as Kratos's validator does.
fn describe_first(errors: &[ValidationError<'_>]) -> Option<String> {
    let first = errors.first()?;
    let instance = format!("#{}", first.instance_path());
    let schema = format!("#{}", first.schema_path());
    let message = if let ValidationErrorKind::Required { .. } = first.kind() {
        let missing: Vec<String> = errors
            .iter()
            .filter(|e| e.instance_path() == first.instance_path())
            .filter_map(|e| match e.kind() {
                ValidationErrorKind::Required { property } => Some(property.to_string()),
                _ => None,
            })
            .collect();
        format!("missing properties: {}", missing.join(", "))
    } else {
        describe(first)
    };
    Some(format!("I[{instance}] S[{schema}] {message}"))
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The message text of the Go validator Kratos uses, for the keywords identity
/// schemas use; anything rarer keeps the Rust validator's text.
fn describe(error: &ValidationError<'_>) -> String {
    let instance: &Value = error.instance();
    match error.kind() {
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" or "),
            };
            format!("expected {expected}, but got {}", json_type_name(instance))
        }
        ValidationErrorKind::Format { format } => {
            format!("{} is not valid {}", instance, Value::from(format.as_str()))
        }
        ValidationErrorKind::MinLength { limit } => format!(
            "length must be >= {limit}, but got {}",
            instance.as_str().map_or(0, |s| s.chars().count())
        ),
        ValidationErrorKind::MaxLength { limit } => format!(
            "length must be <= {limit}, but got {}",
            instance.as_str().map_or(0, |s| s.chars().count())
        ),
        ValidationErrorKind::Pattern { pattern } => {
            format!("does not match pattern {}", Value::from(pattern.as_str()))
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => format!(
            "additionalProperties {} not allowed",
            unexpected
                .iter()
                .map(|p| Value::from(p.as_str()).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ValidationErrorKind::Enum { options } => {
            let listed = options.as_array().map_or_else(
                || options.to_string(),
                |items| items.iter().map(Value::to_string).collect::<Vec<_>>().join(", "),
            );
            format!("value must be one of {listed}")
        }
        ValidationErrorKind::Constant { expected_value } => {
            format!("value must be {expected_value}")
        }
        ValidationErrorKind::Minimum { limit } => format!("must be >= {limit} but found {instance}"),
        ValidationErrorKind::Maximum { limit } => format!("must be <= {limit} but found {instance}"),
        ValidationErrorKind::MinItems { limit } => format!(
            "minimum {limit} items allowed, but found {} items",
            instance.as_array().map_or(0, Vec::len)
        ),
        ValidationErrorKind::MaxItems { limit } => format!(
            "maximum {limit} items allowed, but found {} items",
            instance.as_array().map_or(0, Vec::len)
        ),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemas() -> Schemas {
        match Schemas::load() {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    fn reason(schema: &str, traits: Value) -> String {
        let all = schemas();
        let Some(schema) = all.get(schema) else {
            panic!("no schema {schema}")
        };
        match schema.validate(&traits) {
            Ok(()) => String::from("valid"),
            Err(e) => e.reason.unwrap_or_default(),
        }
    }

    #[test]
    fn invalid_email_reads_like_kratos() {
        assert_eq!(
            reason("email-password", json!({"email": "foo"})),
            r#"I[#/traits/email] S[#/properties/traits/properties/email/format] "foo" is not valid "email""#
        );
    }

    #[test]
    fn missing_and_unexpected_traits_are_named() {
        assert_eq!(
            reason("phone-password", json!({})),
            r#"I[#/traits] S[#/properties/traits/required] missing properties: "email", "phone""#
        );
        assert_eq!(
            reason("email-password", json!({"email": "a@example.com", "age": 3})),
            r#"I[#/traits] S[#/properties/traits/additionalProperties] additionalProperties "age" not allowed"#
        );
        assert_eq!(
            reason("email-password", json!({"email": 5})),
            r#"I[#/traits/email] S[#/properties/traits/properties/email/type] expected string, but got integer"#
        );
    }

    #[test]
    fn phone_numbers_must_be_e164() {
        assert_eq!(
            reason(
                "phone-password",
                json!({"email": "a@example.com", "phone": "+44 7700 900123"})
            ),
            "valid"
        );
        assert!(
            reason("phone-password", json!({"email": "a@example.com", "phone": "call me"}))
                .contains(r#""call me" is not valid "tel""#)
        );
    }

    #[test]
    fn derive_follows_the_kratos_extension() {
        let all = schemas();
        let Some(phone) = all.get("phone-password") else {
            panic!("phone-password schema")
        };
        let derived = phone.derive(&json!({"email": " Ann@Example.COM", "phone": "+44 7700 900123"}));
        assert_eq!(
            derived.identifiers,
            vec![
                (
                    "password".to_owned(),
                    vec!["ann@example.com".to_owned(), "+447700900123".to_owned()]
                ),
                ("code".to_owned(), vec!["ann@example.com".to_owned()]),
            ]
        );
        assert_eq!(
            derived.code_addresses,
            vec![("email".to_owned(), "ann@example.com".to_owned())]
        );
        assert_eq!(
            derived.verifiable,
            vec![
                ("ann@example.com".to_owned(), "email".to_owned()),
                ("+447700900123".to_owned(), "sms".to_owned())
            ]
        );
        assert!(derived.recovery.is_empty());
    }
}
