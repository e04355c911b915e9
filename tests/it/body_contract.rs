//! The body contract, without a terminal: every body the console's forms
//! build (for every demo identity and odd server shapes) validates against
//! the Kratos OpenAPI `updateIdentityBody`, sends back what it did not edit and
//! carries credentials only for an intended import.

use crate::support::console_env::{curated, id_of};
use crate::support::openapi::{update_identity_body_validator, violations};
use serde_json::{Value, json};

/// Every form's output, as the console would build it for `identity`.
fn every_form_output(identity: &Value, argon2_hash: &str) -> Vec<(&'static str, idcon::app::forms::FormOutput)> {
    use idcon::app::forms::{FormOutput, SecretString};
    let mut traits = identity["traits"].clone();
    traits["name"] = json!({"first": "Edited", "last": "Name"});
    let flipped = if identity["state"] == "active" {
        "inactive"
    } else {
        "active"
    };
    vec![
        ("traits", FormOutput::Traits(traits)),
        ("state", FormOutput::State(flipped.to_owned())),
        (
            "metadata",
            FormOutput::Metadata {
                public: json!({"plan": "pro", "tags": ["a", 1, null]}),
                admin: Value::Null,
            },
        ),
        (
            "metadata scalars",
            FormOutput::Metadata {
                public: json!(42),
                admin: json!("note"),
            },
        ),
        (
            "schema",
            FormOutput::Schema {
                schema_id: "phone-password".to_owned(),
            },
        ),
        (
            "password",
            FormOutput::Password(SecretString("s3cret-Passw0rd".to_owned())),
        ),
        ("hash", FormOutput::PasswordHash(argon2_hash.to_owned())),
        (
            "oidc",
            FormOutput::Oidc {
                provider: "github".to_owned(),
                subject: "octocat-583231".to_owned(),
            },
        ),
    ]
}

#[test]
fn every_body_the_console_builds_validates_against_update_identity_body() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let validator = update_identity_body_validator();
    let argon2_hash = match SaltString::encode_b64(b"sixteen byte sal").and_then(|salt| {
        argon2::Argon2::default()
            .hash_password(b"pw", &salt)
            .map(|h| h.to_string())
    }) {
        Ok(hash) => hash,
        Err(e) => panic!("argon2: {e}"),
    };
    let all: Vec<Value> = match serde_json::from_str(include_str!("../../assets/demo/identities.json")) {
        Ok(all) => all,
        Err(e) => panic!("demo identities: {e}"),
    };
    // The curated identities, plus shapes a Kratos-like server may send:
    // nulls where Kratos leaves a field out, fields idcon does not know.
    let ada = curated("ada.lovelace@example.com");
    let mut odd = Vec::new();
    for (field, value) in [
        ("external_id", Value::Null),
        ("metadata_public", Value::Null),
        ("metadata_admin", Value::Null),
        ("organization_id", json!("8f2a2b1c-3d4e-4f50-8a6b-7c8d9e0f1a2b")),
        ("region", Value::Null),
        ("region", json!("eu-central")),
        ("x_future_field", json!({"nested": [1, 2]})),
    ] {
        let mut identity = ada.clone();
        identity[field] = value;
        odd.push(identity);
    }
    let mut without = ada.clone();
    if let Some(map) = without.as_object_mut() {
        for field in ["external_id", "metadata_public", "metadata_admin", "credentials"] {
            map.remove(field);
        }
    }
    odd.push(without);

    let mut checked = 0;
    for identity in all.iter().chain(&odd) {
        for (form, output) in every_form_output(identity, &argon2_hash) {
            let body = match idcon::app::review::build_body(identity, &output) {
                Ok(body) => body,
                Err(e) => panic!("{form} on {}: build_body failed: {e}", id_of(identity)),
            };
            let json = match serde_json::to_string(&body).and_then(|t| serde_json::from_str::<Value>(&t)) {
                Ok(json) => json,
                Err(e) => panic!("{form}: the body does not serialise: {e}"),
            };
            let problems = violations(&validator, &json);
            assert!(
                problems.is_empty(),
                "{form} on {} breaks updateIdentityBody: {problems:?}\n{json:#}",
                id_of(identity)
            );
            // Everything the form did not edit goes back as the server sent it.
            let edited: &[&str] = match form {
                "traits" => &["traits"],
                "state" => &["state"],
                "metadata" | "metadata scalars" => &["metadata_public", "metadata_admin"],
                "schema" => &["schema_id"],
                _ => &[],
            };
            for field in [
                "schema_id",
                "state",
                "traits",
                "metadata_public",
                "metadata_admin",
                "external_id",
                "region",
                "x_future_field",
            ] {
                let sent = identity
                    .get(field)
                    .filter(|v| !v.is_null() || field.starts_with("metadata"));
                if !edited.contains(&field) {
                    assert_eq!(
                        json.get(field),
                        sent,
                        "{form} on {}: {field} as the server sent it",
                        id_of(identity)
                    );
                }
            }
            // And what it edited is exactly what it asked for.
            let wanted = match form {
                "traits" => json!({"traits": {"name": {"first": "Edited", "last": "Name"}}}),
                "state" => json!({"state": if identity["state"] == "active" { "inactive" } else { "active" }}),
                "metadata" => {
                    json!({"metadata_public": {"plan": "pro", "tags": ["a", 1, null]}, "metadata_admin": null})
                }
                "metadata scalars" => json!({"metadata_public": 42, "metadata_admin": "note"}),
                "schema" => json!({"schema_id": "phone-password"}),
                "password" => json!({"credentials": {"password": {"config": {"password": "s3cret-Passw0rd"}}}}),
                "hash" => json!({"credentials": {"password": {"config": {"hashed_password": argon2_hash}}}}),
                _ => json!({"credentials": {"oidc": {"config": {"providers": [
                    {"provider": "github", "subject": "octocat-583231"}
                ]}}}}),
            };
            for (field, value) in wanted.as_object().into_iter().flatten() {
                let got = if field == "traits" {
                    json.pointer("/traits/name")
                } else {
                    json.get(field)
                };
                let value = if field == "traits" { &value["name"] } else { value };
                assert_eq!(got, Some(value), "{form}: {field}");
            }
            // Credentials only for an intended import, never echoed from the GET.
            let imports = matches!(form, "password" | "hash" | "oidc");
            assert_eq!(json.get("credentials").is_some(), imports, "{form}: {json:#}");
            if let Some(credentials) = json.get("credentials") {
                assert!(
                    !credentials.to_string().contains("$pbkdf2"),
                    "a GET hash was echoed: {json:#}"
                );
                assert_eq!(credentials.as_object().map(|m| m.len()), Some(1), "{form}: {json:#}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, (all.len() + odd.len()) * 8);

    // The validator is not a rubber stamp: bodies Kratos refuses fail it.
    for bad in [
        json!({"traits": {}, "state": "active"}),
        json!({"schema_id": "default", "traits": {}, "state": "deleted"}),
        json!({"schema_id": "default", "traits": [], "state": "active"}),
        json!({"schema_id": "default", "traits": {}, "state": "active",
               "credentials": {"oidc": {"config": {"providers": [{"provider": "github"}]}}}}),
    ] {
        assert!(!violations(&validator, &bad).is_empty(), "{bad} should be refused");
    }
}
