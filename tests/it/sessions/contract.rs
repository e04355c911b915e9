//! The demo's sessions and recovery answers, and the bodies idcon sends,
//! against the Kratos OpenAPI spec (`tests/data/kratos-openapi.json`):
//! `session`, `recoveryLinkForIdentity`, `recoveryCodeForIdentity`,
//! `errorGeneric`, `createRecoveryLinkForIdentityBody`,
//! `createRecoveryCodeForIdentityBody`.

use idcon::api::recovery::{ExpiresIn, RecoveryKind, RecoveryRequest};
use serde_json::{Value, json};

use super::demo_routes::{items, sessions, with_sessions};
use crate::support::demo::{Signing, client, id_of, start};

/// A validator for `#/components/schemas/{name}`, with the spec's
/// components beside it so every `$ref` resolves.
fn validator(name: &str) -> jsonschema::Validator {
    let spec: Value = match serde_json::from_str(include_str!("../../data/kratos-openapi.json")) {
        Ok(spec) => spec,
        Err(e) => panic!("tests/data/kratos-openapi.json: {e}"),
    };
    assert!(
        spec.pointer(&format!("/components/schemas/{name}")).is_some(),
        "the spec defines {name}"
    );
    let mut spec = spec;
    openapi_nullable(&mut spec);
    let schema = json!({ "$ref": format!("#/components/schemas/{name}"), "components": spec["components"] });
    match jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
    {
        Ok(validator) => validator,
        Err(e) => panic!("{name} does not compile: {e}"),
    }
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema says it: `null` is one
/// more type (`organization_id: NullUUID` is `null` for most identities).
fn openapi_nullable(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true))
                && let Some(Value::String(kind)) = map.get("type").cloned()
            {
                map.insert("type".to_owned(), json!([kind, "null"]));
            }
            map.values_mut().for_each(openapi_nullable);
        }
        Value::Array(items) => items.iter_mut().for_each(openapi_nullable),
        _ => {}
    }
}

fn violations(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[tokio::test]
async fn sessions_as_served_are_the_specs_session() {
    let server = start().await;
    let c = client(&server);
    let session = validator("session");
    let identity = with_sessions(&c, "active", 5).await;
    let list = items(&sessions(&c, &id_of(&identity), &[]).await);
    for item in &list {
        assert_eq!(violations(&session, item), Vec::<String>::new(), "{item}");
    }
    let sid = list[0]["id"].as_str().unwrap_or_default().to_owned();
    let expanded = c
        .get(&format!("/admin/sessions/{sid}"), &[("expand", "identity")])
        .await
        .json();
    assert_eq!(violations(&session, &expanded), Vec::<String>::new(), "{expanded}");
    let extended = c
        .send(
            "PATCH",
            &format!("/admin/sessions/{sid}/extend"),
            &[],
            None,
            Signing::default(),
        )
        .await
        .json();
    assert_eq!(violations(&session, &extended), Vec::<String>::new(), "{extended}");
    // Where Kratos and its spec disagree, the demo is Kratos: without
    // `expand=identity`, `identity` is null (a nil *identity.Identity without
    // omitempty), which the spec's `$ref: identity` does not allow.
    let plain = c.get(&format!("/admin/sessions/{sid}"), &[]).await.json();
    let found = violations(&session, &plain);
    assert!(
        !found.is_empty() && found.iter().all(|v| v.ends_with("at /identity")),
        "{found:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn recovery_answers_and_errors_are_the_specs_and_idcons_bodies_are_too() {
    let server = start().await;
    let c = client(&server);
    let identity = with_sessions(&c, "active", 5).await;
    let id = id_of(&identity);
    let post = |endpoint: &'static str, body: Value| {
        let c = &c;
        async move {
            let bytes = body.to_string().into_bytes();
            c.send("POST", endpoint, &[], Some(&bytes), Signing::default()).await
        }
    };
    let link = post("/admin/recovery/link", json!({"identity_id": id})).await.json();
    assert_eq!(
        violations(&validator("recoveryLinkForIdentity"), &link),
        Vec::<String>::new()
    );
    let code = post("/admin/recovery/code", json!({"identity_id": id})).await.json();
    assert_eq!(
        violations(&validator("recoveryCodeForIdentity"), &code),
        Vec::<String>::new()
    );
    let envelope = validator("errorGeneric");
    for refused in [
        post("/admin/recovery/link", json!({"identity_id": id, "expires_in": "soon"})).await,
        post(
            "/admin/recovery/code",
            json!({"identity_id": "00000000-0000-4000-8000-000000000001"}),
        )
        .await,
        c.get("/admin/sessions/nope", &[]).await,
        c.get("/admin/sessions/00000000-0000-4000-8000-000000000001", &[]).await,
    ] {
        assert_eq!(
            violations(&envelope, &refused.json()),
            Vec::<String>::new(),
            "{}",
            refused.text
        );
    }

    // What idcon sends validates too.
    for (kind, schema) in [
        (RecoveryKind::Link, "createRecoveryLinkForIdentityBody"),
        (RecoveryKind::Code, "createRecoveryCodeForIdentityBody"),
    ] {
        let check = validator(schema);
        for expires_in in [None, Some("15m"), Some("1h30m"), Some("1.5h")] {
            let request = RecoveryRequest {
                identity_id: id.clone(),
                kind,
                expires_in: expires_in.map(|e| ExpiresIn::parse(e).unwrap_or_else(|err| panic!("{err}"))),
            };
            let body: Value = serde_json::from_slice(&request.body()).unwrap_or_default();
            assert_eq!(violations(&check, &body), Vec::<String>::new(), "{schema} {body}");
        }
    }
    server.stop().await;
}
