//! JSON as the forms edit it: pretty text that is safe in an editor, parsing
//! with line and column, and validation against an identity schema.

use serde_json::Value;

/// One thing wrong with what the user typed, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// `line 3, column 7` for syntax errors, a JSON pointer for schema violations.
    pub location: String,
    pub message: String,
}

/// Pretty JSON for an editor. Every character that must not reach a terminal
/// (controls, C1, bidi and zero-width characters) is written as a `\uXXXX`
/// escape, which is the same JSON value but inert on screen.
pub fn editable_text(value: &Value) -> String {
    let pretty = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_owned());
    crate::sanitize::json_inert(&pretty)
}

/// Parses editor text, reporting a syntax error with its line and column.
pub fn parse(text: &str) -> Result<Value, Problem> {
    serde_json::from_str(text).map_err(|err| Problem {
        location: format!("line {}, column {}", err.line(), err.column()),
        message: syntax_message(&err),
    })
}

fn syntax_message(err: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the location is shown apart.
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// A compiled identity schema.
#[derive(Debug)]
pub struct TraitsValidator {
    validator: jsonschema::Validator,
}

impl TraitsValidator {
    /// Compiles an identity JSON Schema (the whole identity, with `traits`
    /// under `properties`), with format checks (email, ...) on, as Kratos does.
    pub fn new(schema: &Value) -> Result<Self, String> {
        jsonschema::options()
            .should_validate_formats(true)
            .build(schema)
            .map(|validator| Self { validator })
            .map_err(|err| format!("the identity schema cannot be used: {err}"))
    }

    /// Every violation of the schema by `traits`, with its JSON pointer.
    pub fn problems(&self, traits: &Value) -> Vec<Problem> {
        let identity = serde_json::json!({ "traits": traits });
        self.validator
            .iter_errors(&identity)
            .map(|err| {
                let pointer = err.instance_path().to_string();
                Problem {
                    location: if pointer.is_empty() { "/".to_owned() } else { pointer },
                    message: crate::sanitize::for_display(&err.to_string()).into_owned(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn editor_text_escapes_what_a_terminal_would_obey() {
        let value = json!({"name": "a\u{9b}31m\u{202e}b\u{7f}", "emoji": "🙂"});
        let text = editable_text(&value);
        assert!(text.contains("\\u009b31m\\u202eb\\u007f"), "{text}");
        assert!(text.contains("🙂"));
        assert_eq!(parse(&text).ok(), Some(value), "same value after the round trip");
        let tag = json!("\u{e0041}");
        assert_eq!(editable_text(&tag), "\"\\udb40\\udc41\"");
        assert_eq!(parse(&editable_text(&tag)).ok(), Some(tag));
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let problem = parse("{\n  \"a\": 1,\n  \"b\" 2\n}").err();
        let problem = problem.map(|p| (p.location, p.message));
        assert_eq!(
            problem,
            Some(("line 3, column 7".to_owned(), "expected `:`".to_owned()))
        );
    }

    #[test]
    fn schema_violations_name_the_pointer() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"traits": {"type": "object", "properties": {
                "email": {"type": "string", "format": "email"},
                "age": {"type": "integer"}
            }, "required": ["email"], "additionalProperties": false}}
        });
        let validator = TraitsValidator::new(&schema).ok();
        let Some(validator) = validator else {
            panic!("schema compiles")
        };
        assert!(validator.problems(&json!({"email": "a@example.com"})).is_empty());
        let problems = validator.problems(&json!({"email": "not-an-email", "age": "x"}));
        let pointers: Vec<&str> = problems.iter().map(|p| p.location.as_str()).collect();
        assert!(pointers.contains(&"/traits/email"), "{problems:?}");
        assert!(pointers.contains(&"/traits/age"), "{problems:?}");
        let missing = validator.problems(&json!({}));
        assert_eq!(missing.len(), 1);
        assert!(missing[0].message.contains("email"));
    }
}
