//! Who an identity is, in words a person recognises: its primary identifier
//! (what it signs in with) and its name. One place, so the console, `list`,
//! `plan`, `apply`, drafts and the audit trail all name a person the same way.
//!
//! Kratos's list answers usually carry no credentials
//! (`identity/handler.go` `parseListIdentitiesParameters` expands only the
//! defaults unless a credentials filter or `include_credential` is given), and
//! when they do, the first one may be a `github:…` OIDC subject. So the
//! identifier comes from the traits, guided by the schema's
//! `ory.sh/kratos.credentials.*.identifier` marks.

use serde_json::Value;

/// Where an identity schema keeps the traits that identify a person (the ones
/// marked `ory.sh/kratos.credentials.*.identifier`), as paths below `traits`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdentifierHints {
    pub paths: Vec<Vec<String>>,
}

impl IdentifierHints {
    /// Reads the hints from a raw identity JSON Schema.
    pub fn from_schema(schema: &Value) -> Self {
        let mut paths = Vec::new();
        if let Some(traits) = schema.pointer("/properties/traits") {
            collect_identifier_paths(traits, &mut Vec::new(), &mut paths);
        }
        Self { paths }
    }
}

fn collect_identifier_paths(node: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let Some(properties) = node.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, child) in properties {
        prefix.push(name.clone());
        let marked = child
            .pointer("/ory.sh~1kratos/credentials")
            .and_then(Value::as_object)
            .is_some_and(|creds| {
                creds
                    .values()
                    .any(|c| c.get("identifier").and_then(Value::as_bool) == Some(true))
            });
        if marked {
            out.push(prefix.clone());
        }
        collect_identifier_paths(child, prefix, out);
        prefix.pop();
    }
}

fn text_at<'a>(traits: &'a Value, path: &[String]) -> Option<&'a str> {
    let mut node = traits;
    for key in path {
        node = node.get(key)?;
    }
    node.as_str().filter(|s| !s.is_empty())
}

/// The trait a person is known by: the schema's credential identifier when the
/// schema is known, else the usual suspects.
pub fn primary_identifier(traits: &Value, hints: Option<&IdentifierHints>) -> Option<String> {
    if let Some(hints) = hints {
        for path in &hints.paths {
            if let Some(text) = text_at(traits, path) {
                return Some(text.to_owned());
            }
        }
    }
    ["email", "phone", "phone_number", "username", "login"]
        .iter()
        .find_map(|key| traits.get(*key).and_then(Value::as_str).filter(|s| !s.is_empty()))
        .map(str::to_owned)
}

/// A human name when the traits carry one, in the shapes schemas commonly use.
pub fn display_name(traits: &Value) -> Option<String> {
    let join = |first: Option<&str>, last: Option<&str>| {
        let parts: Vec<&str> = [first, last].into_iter().flatten().filter(|s| !s.is_empty()).collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    };
    match traits.get("name") {
        Some(Value::String(s)) if !s.is_empty() => return Some(s.clone()),
        Some(name @ Value::Object(_)) => {
            let first = name.get("first").and_then(Value::as_str);
            let last = name.get("last").and_then(Value::as_str);
            if let Some(joined) = join(first, last) {
                return Some(joined);
            }
        }
        _ => {}
    }
    if let Some(joined) = join(
        traits.get("first_name").and_then(Value::as_str),
        traits.get("last_name").and_then(Value::as_str),
    ) {
        return Some(joined);
    }
    ["display_name", "full_name", "nickname"]
        .iter()
        .find_map(|key| traits.get(*key).and_then(Value::as_str).filter(|s| !s.is_empty()))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schema_identifier_wins_over_email() {
        let schema = json!({"properties": {"traits": {"properties": {
            "email": {"type": "string"},
            "phone": {"type": "string", "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}}
        }}}});
        let hints = IdentifierHints::from_schema(&schema);
        assert_eq!(hints.paths, vec![vec!["phone".to_owned()]]);
        let traits = json!({"email": "a@example.com", "phone": "+4915112345678"});
        assert_eq!(
            primary_identifier(&traits, Some(&hints)).as_deref(),
            Some("+4915112345678")
        );
        assert_eq!(primary_identifier(&traits, None).as_deref(), Some("a@example.com"));
    }
}
