//! The Kratos OpenAPI spec (`tests/data/kratos-openapi.json`) as a validator
//! for `#/components/schemas/updateIdentityBody`, the body of every PUT.

use serde_json::{Value, json};

/// `#/components/schemas/updateIdentityBody` of the Kratos OpenAPI spec, with
/// the spec's components beside it so every `$ref` resolves.
pub fn update_identity_body_validator() -> jsonschema::Validator {
    let spec: Value = match serde_json::from_str(include_str!("../../data/kratos-openapi.json")) {
        Ok(spec) => spec,
        Err(e) => panic!("tests/data/kratos-openapi.json: {e}"),
    };
    assert!(
        spec.pointer("/components/schemas/updateIdentityBody").is_some(),
        "the spec defines updateIdentityBody"
    );
    let schema = json!({
        "$ref": "#/components/schemas/updateIdentityBody",
        "components": spec["components"],
    });
    match jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
    {
        Ok(validator) => validator,
        Err(e) => panic!("updateIdentityBody does not compile: {e}"),
    }
}

/// Every way `body` breaks the schema, with where.
pub fn violations(validator: &jsonschema::Validator, body: &Value) -> Vec<String> {
    validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}
