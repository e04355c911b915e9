//! Checking the form's value against the identity schema, field by field.
//!
//! The `jsonschema` crate does the checking (the same rules Kratos applies,
//! formats on); each error it reports is put at the field its instance path
//! names, worded in plain words from its kind. Two things it cannot say are
//! done by hand: where a missing required member belongs (it reports the
//! object, the form wants the member's field) and members the schema
//! forbids (one error for the object, the form shows one per member). The
//! `tel` format, which the crate does not know, is checked as Kratos's
//! format does it: a phone number in international form.

use serde_json::{Value, json};

use super::value::child_pointer;

/// One reason a field is invalid: where (a JSON pointer below the traits,
/// `""` for the traits as a whole) and why, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub pointer: String,
    pub message: String,
}

/// An identity schema compiled for checking the form, or why it could not be.
pub struct Checker {
    validator: Result<jsonschema::Validator, String>,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.validator {
            Ok(_) => f.write_str("Checker(compiled)"),
            Err(why) => write!(f, "Checker({why})"),
        }
    }
}

/// Answers every `$ref` to another document with the empty schema (anything
/// goes): the form edits such a part as JSON and the server checks it.
struct ServerChecks;

impl jsonschema::Retrieve for ServerChecks {
    fn retrieve(&self, _uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Ok(json!({}))
    }
}

impl Checker {
    /// Compiles the identity schema (the whole identity, `traits` under
    /// `properties`) with format checks on, as Kratos does.
    pub fn new(schema: &Value) -> Checker {
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .with_format("tel", looks_like_phone)
            .with_retriever(ServerChecks)
            .build(schema)
            .map_err(|err| crate::sanitize::for_display(&err.to_string()).into_owned());
        Checker { validator }
    }

    /// Why the schema cannot check the traits here, when it cannot.
    pub fn problem(&self) -> Option<&str> {
        self.validator.as_ref().err().map(String::as_str)
    }

    /// Every problem of `traits` with the schema, in plain words.
    pub fn check(&self, traits: &Value) -> Vec<FieldProblem> {
        let Ok(validator) = &self.validator else {
            return Vec::new();
        };
        let identity = json!({ "traits": traits });
        let mut out = Vec::new();
        for error in validator.iter_errors(&identity) {
            let path = error.instance_path().as_str().to_owned();
            let Some(pointer) = path.strip_prefix("/traits") else {
                continue;
            };
            let pointer = pointer.to_owned();
            use jsonschema::error::ValidationErrorKind as K;
            match error.kind() {
                K::Required { property } => out.push(FieldProblem {
                    pointer: child_pointer(&pointer, property.as_str().unwrap_or_default()),
                    message: "required: fill it in".into(),
                }),
                K::AdditionalProperties { unexpected } => {
                    for member in unexpected {
                        out.push(FieldProblem {
                            pointer: child_pointer(&pointer, member),
                            message: "not in the schema, which allows no other members: the server refuses it \
                                      (remove it in the JSON editor)"
                                .into(),
                        });
                    }
                }
                kind => out.push(FieldProblem {
                    message: plain(kind)
                        .unwrap_or_else(|| crate::sanitize::for_display(&error.to_string()).into_owned()),
                    pointer,
                }),
            }
        }
        out
    }
}

/// A phone number as Kratos's `tel` format takes it: `+` and 7–15 digits
/// (E.164), ignoring spaces, dashes, dots and brackets.
pub fn looks_like_phone(text: &str) -> bool {
    let compact: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let Some(digits) = compact.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

/// What a format asks for, in words with an example.
pub fn format_hint(format: &str) -> String {
    match format {
        "email" => "an e-mail address, e.g. name@example.com".into(),
        "tel" => "a phone number in international form, e.g. +4915112345678".into(),
        "date" => "a date, YYYY-MM-DD".into(),
        "date-time" => "a date and time, e.g. 2026-05-01T12:00:00Z".into(),
        "time" => "a time, e.g. 12:00:00Z".into(),
        "uri" | "url" => "a URI, e.g. https://example.com/".into(),
        "uuid" => "a UUID".into(),
        "ipv4" => "an IPv4 address".into(),
        "ipv6" => "an IPv6 address".into(),
        "hostname" => "a host name".into(),
        other => format!("format {}", crate::sanitize::for_display(other)),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => crate::sanitize::for_display(s).into_owned(),
        other => crate::sanitize::for_display(&other.to_string()).into_owned(),
    }
}

/// A validation error in plain words, for the kinds the form meets.
fn plain(kind: &jsonschema::error::ValidationErrorKind) -> Option<String> {
    use jsonschema::error::{TypeKind, ValidationErrorKind as K};
    Some(match kind {
        K::MinLength { limit } => format!("too short: at least {}", plural(*limit, "character", "characters")),
        K::MaxLength { limit } => format!("too long: at most {}", plural(*limit, "character", "characters")),
        K::Pattern { pattern } => format!("does not match the pattern {}", crate::sanitize::for_display(pattern)),
        K::Format { format } => format!("not {}", format_hint(format)),
        K::Minimum { limit } => format!("too small: at least {}", shown(limit)),
        K::Maximum { limit } => format!("too large: at most {}", shown(limit)),
        K::ExclusiveMinimum { limit } => format!("too small: more than {} please", shown(limit)),
        K::ExclusiveMaximum { limit } => format!("too large: less than {} please", shown(limit)),
        K::MultipleOf { multiple_of } => format!("not a multiple of {multiple_of}"),
        K::MinItems { limit } => format!("too few items: at least {}", plural(*limit, "item", "items")),
        K::MaxItems { limit } => format!("too many items: at most {}", plural(*limit, "item", "items")),
        K::UniqueItems => "the items must all differ".into(),
        K::MinProperties { limit } => format!("needs at least {}", plural(*limit, "member", "members")),
        K::MaxProperties { limit } => format!("holds too many members: at most {limit}"),
        K::Enum { options } => match options.as_array() {
            Some(choices) => format!(
                "not one of the choices: {}",
                choices.iter().map(shown).collect::<Vec<_>>().join(", ")
            ),
            None => "not one of the choices".into(),
        },
        K::Constant { expected_value } => format!("must be {}", shown(expected_value)),
        K::Type { kind } => {
            let names: Vec<String> = match kind {
                TypeKind::Single(one) => vec![one.to_string()],
                TypeKind::Multiple(many) => many.iter().map(|t| t.to_string()).collect(),
            };
            let words: Vec<&str> = names
                .iter()
                .map(|name| match name.as_str() {
                    "integer" => "a whole number",
                    "number" => "a number",
                    "string" => "text",
                    "boolean" => "yes or no",
                    "object" => "a group of members",
                    "array" => "a list",
                    "null" => "null",
                    _ => "another type",
                })
                .collect();
            format!("must be {}", words.join(" or "))
        }
        K::FalseSchema => "the schema allows no value here".into(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker() -> Checker {
        Checker::new(&json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"traits": {"type": "object", "properties": {
                "email": {"type": "string", "format": "email", "minLength": 3},
                "phone": {"type": "string", "format": "tel"},
                "age": {"type": "integer", "minimum": 0, "maximum": 150},
                "plan": {"enum": ["free", "pro"]},
                "name": {"type": "object", "properties": {"first": {"type": "string", "maxLength": 5}},
                         "required": ["first"]},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 1},
                "remote": {"$ref": "https://example.com/remote.json"}
            }, "required": ["email"], "additionalProperties": false}}
        }))
    }

    fn messages(traits: Value) -> Vec<(String, String)> {
        checker()
            .check(&traits)
            .into_iter()
            .map(|p| (p.pointer, p.message))
            .collect()
    }

    #[test]
    fn each_problem_is_at_its_field_in_plain_words() {
        let found = messages(json!({
            "email": "no", "phone": "call me", "age": 151, "plan": "gold",
            "name": {"first": "Augusta"}, "tags": ["a", "b"], "zeta": 1
        }));
        let at = |pointer: &str| -> Vec<String> {
            found
                .iter()
                .filter(|(p, _)| p == pointer)
                .map(|(_, m)| m.clone())
                .collect()
        };
        assert!(
            at("/email")
                .iter()
                .any(|m| m == "not an e-mail address, e.g. name@example.com"),
            "{found:?}"
        );
        assert!(
            at("/email").iter().any(|m| m == "too short: at least 3 characters"),
            "{found:?}"
        );
        assert_eq!(
            at("/phone"),
            ["not a phone number in international form, e.g. +4915112345678"]
        );
        assert_eq!(at("/age"), ["too large: at most 150"]);
        assert_eq!(at("/plan"), ["not one of the choices: free, pro"]);
        assert_eq!(at("/name/first"), ["too long: at most 5 characters"]);
        assert_eq!(at("/tags"), ["too many items: at most 1 item"]);
        assert!(at("/zeta")[0].starts_with("not in the schema"), "{found:?}");
    }

    #[test]
    fn a_missing_required_member_is_at_its_own_field() {
        let found = messages(json!({"name": {}}));
        assert!(
            found.contains(&("/email".to_owned(), "required: fill it in".to_owned())),
            "{found:?}"
        );
        assert!(
            found.contains(&("/name/first".to_owned(), "required: fill it in".to_owned())),
            "{found:?}"
        );
    }

    #[test]
    fn a_wrong_type_says_what_it_must_be() {
        let found = messages(json!({"email": "a@example.com", "age": 4.5}));
        assert_eq!(found, [("/age".to_owned(), "must be a whole number".to_owned())]);
    }

    #[test]
    fn another_documents_part_is_left_to_the_server() {
        let checker = checker();
        assert_eq!(checker.problem(), None, "compiles: the remote part accepts anything");
        assert!(
            checker
                .check(&json!({"email": "a@example.com", "remote": [1, {"x": null}]}))
                .is_empty()
        );
    }

    #[test]
    fn phone_numbers_are_international() {
        for good in ["+4915112345678", "+49 151 1234-5678", "+1 (555) 010.9999"] {
            assert!(looks_like_phone(good), "{good}");
        }
        for bad in ["015112345678", "+0151123456", "call me", "+12", "+1234567890123456"] {
            assert!(!looks_like_phone(bad), "{bad}");
        }
    }
}
