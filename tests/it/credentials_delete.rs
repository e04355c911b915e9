//! The demo server's `DELETE {prefix}/identities/{id}/credentials/{type}` and
//! `PATCH {prefix}/identities/{id}` against what Kratos answers
//! (identity/handler.go `deleteIdentityCredentials` and `patch`).

use crate::support::demo as support;

use serde_json::{Value, json};
use support::{Client, Reply, Signing, client, start, start_with};

const ADA: &str = "6762b34f-4e26-4a8e-a032-35a1e58e1b1c";
const GRACE: &str = "8c10562b-7b99-4e16-950e-5651b8d96afd";
const MULTI: &str = "5fe32315-af5f-4f90-94d8-acb81ec6d45e";
const MINH: &str = "071df4db-4f59-4bfd-be53-0b74f0d9560d";

async fn delete(c: &Client, id: &str, kind: &str, identifier: Option<&str>) -> Reply {
    let params: Vec<(&str, &str)> = identifier.map(|i| vec![("identifier", i)]).unwrap_or_default();
    c.send(
        "DELETE",
        &format!("/admin/identities/{id}/credentials/{kind}"),
        &params,
        None,
        Signing::default(),
    )
    .await
}

async fn patch(c: &Client, id: &str, body: &Value) -> Reply {
    let bytes = body.to_string().into_bytes();
    c.send(
        "PATCH",
        &format!("/admin/identities/{id}"),
        &[],
        Some(&bytes),
        Signing::default(),
    )
    .await
}

async fn stored(server: &idcon::demo::RunningDemo, id: &str) -> Value {
    match server.identity(id).await {
        Some(v) => v,
        None => panic!("{id} is not stored"),
    }
}

fn message(reply: &Reply) -> String {
    reply.json()["error"]["message"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn one_oidc_link_goes_and_the_others_stay() {
    let server = start().await;
    let c = client(&server);
    let reply = delete(&c, MULTI, "oidc", Some("github:4401214")).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_eq!(reply.text, "");
    let after = stored(&server, MULTI).await;
    assert_eq!(
        after["credentials"]["oidc"]["identifiers"],
        json!([
            "google:108000000000000000014",
            "microsoft:00000000-0000-0000-4ab1-1234567890ab"
        ])
    );
    let providers: Vec<&str> = after["credentials"]["oidc"]["config"]["providers"]
        .as_array()
        .map(|l| l.iter().filter_map(|p| p["provider"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(providers, ["google", "microsoft"]);
    assert!(after["credentials"]["password"]["config"]["hashed_password"].is_string());
}

#[tokio::test]
async fn oidc_needs_an_identifier_it_knows() {
    let server = start().await;
    let c = client(&server);
    let before = stored(&server, MULTI).await;

    let reply = delete(&c, MULTI, "oidc", None).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(
        reply.reason(),
        "You must provide an identifier to delete this credential."
    );

    let reply = delete(&c, MULTI, "oidc", Some("google:nobody")).await;
    assert_eq!(reply.status, 404, "{}", reply.text);
    assert_eq!(
        reply.reason(),
        "The identifier `google:nobody` was not found among OIDC credentials."
    );
    assert_eq!(stored(&server, MULTI).await, before);
}

#[tokio::test]
async fn the_last_first_factor_stays() {
    let server = start().await;
    let c = client(&server);
    let before = stored(&server, GRACE).await;
    let reply = delete(&c, GRACE, "password", None).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.reason(), "You cannot remove the last first factor credential.");
    assert_eq!(stored(&server, GRACE).await, before);

    // Ada has a password and a Google link: either may go, not both.
    let reply = delete(&c, ADA, "password", None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let after = stored(&server, ADA).await;
    // deleteCredentialPassword: identifiers stay, the hash goes.
    assert_eq!(after["credentials"]["password"]["config"], json!({}));
    assert_eq!(
        after["credentials"]["password"]["identifiers"],
        json!(["ada.lovelace@example.com"])
    );
    let reply = delete(&c, ADA, "oidc", Some("google:108000000000000000001")).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.reason(), "You cannot remove the last first factor credential.");
    assert_eq!(
        stored(&server, ADA).await["credentials"]["oidc"]["identifiers"],
        json!(["google:108000000000000000001"])
    );
}

fn plant(identity: &mut Value, kind: &str, config: Value) {
    identity["credentials"][kind] = json!({
        "type": kind,
        "identifiers": [],
        "config": config,
        "version": 0,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z"
    });
}

#[tokio::test]
async fn second_factors_go_and_passwordless_keys_stay() {
    let server = start().await;
    let c = client(&server);
    let planted = server
        .mutate_identity(GRACE, |i| {
            plant(i, "totp", json!({ "totp_url": "otpauth://totp/x?secret=SECRET" }));
            plant(i, "lookup_secret", json!({ "recovery_codes": [{ "code": "abc" }] }));
            plant(
                i,
                "webauthn",
                json!({ "credentials": [
                    { "id": "a2V5MQ", "display_name": "YubiKey", "is_passwordless": false },
                    { "id": "a2V5Mg", "display_name": "Touch ID", "is_passwordless": true }
                ], "user_handle": "aGFuZGxl" }),
            );
        })
        .await;
    assert!(planted.is_ok(), "{planted:?}");

    for kind in ["totp", "lookup_secret", "webauthn"] {
        let reply = delete(&c, GRACE, kind, None).await;
        assert_eq!(reply.status, 204, "{kind}: {}", reply.text);
    }
    let after = stored(&server, GRACE).await;
    assert!(after["credentials"].get("totp").is_none());
    assert!(after["credentials"].get("lookup_secret").is_none());
    assert_eq!(
        after["credentials"]["webauthn"]["config"]["credentials"],
        json!([{ "id": "a2V5Mg", "display_name": "Touch ID", "is_passwordless": true }])
    );

    // The passwordless key counts as a first factor, so now the password may go.
    let reply = delete(&c, GRACE, "password", None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);

    // Nothing of the type left: 404 with Kratos's wording.
    let reply = delete(&c, GRACE, "totp", None).await;
    assert_eq!(reply.status, 404, "{}", reply.text);
    assert_eq!(
        reply.reason(),
        "You tried to remove a totp but this user have no totp set up."
    );
}

#[tokio::test]
async fn code_and_passkey_cannot_be_deleted() {
    let server = start().await;
    let c = client(&server);
    let reply = delete(&c, MINH, "code", None).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.reason(), "Credentials type code cannot be deleted.");
    assert_eq!(
        message(&reply),
        "The request was malformed or contained invalid parameters"
    );
    let planted = server
        .mutate_identity(MINH, |i| plant(i, "passkey", json!({ "credentials": [] })))
        .await;
    assert!(planted.is_ok());
    let reply = delete(&c, MINH, "passkey", None).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.reason(), "Credentials type passkey cannot be deleted.");
}

#[tokio::test]
async fn unknown_identities_are_404() {
    let server = start().await;
    let c = client(&server);
    for id in ["00000000-0000-4000-8000-000000000000", "not-a-uuid"] {
        let reply = delete(&c, id, "totp", None).await;
        assert_eq!(reply.status, 404, "{}", reply.text);
        assert_eq!(message(&reply), "Unable to locate the resource");
        let reply = patch(&c, id, &json!([])).await;
        assert_eq!(reply.status, 404, "{}", reply.text);
    }
}

#[tokio::test]
async fn v1_3_refuses_every_first_factor() {
    let server = start_with(|o| o.kratos_version = idcon::demo::KratosVersion::V1_3).await;
    let c = client(&server);
    let reply = delete(&c, ADA, "password", None).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.reason(), "You cannot remove first factor credentials.");
    let reply = delete(&c, MULTI, "oidc", Some("github:4401214")).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
}

fn verify_patch(index: usize) -> Value {
    json!([
        { "op": "replace", "path": format!("/verifiable_addresses/{index}/verified"), "value": true },
        { "op": "replace", "path": format!("/verifiable_addresses/{index}/status"), "value": "completed" },
        { "op": "add", "path": format!("/verifiable_addresses/{index}/verified_at"), "value": "2026-01-02T03:04:05Z" }
    ])
}

#[tokio::test]
async fn a_patch_marks_an_address_verified() {
    let server = start().await;
    let c = client(&server);
    let before = stored(&server, GRACE).await;
    assert_eq!(before["verifiable_addresses"][0]["verified"], false);
    let reply = patch(&c, GRACE, &verify_patch(0)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let answer = reply.json();
    assert_eq!(answer["verifiable_addresses"][0]["verified"], true);
    assert_eq!(answer["verifiable_addresses"][0]["status"], "completed");
    // The answer carries credentials without their configs, as a PUT's does.
    assert!(answer["credentials"]["password"].get("config").is_none());
    let after = stored(&server, GRACE).await;
    assert_eq!(after["verifiable_addresses"][0]["verified"], true);
    assert_eq!(after["verifiable_addresses"][0]["verified_at"], "2026-01-02T03:04:05Z");
    assert_eq!(
        after["verifiable_addresses"][0]["id"],
        before["verifiable_addresses"][0]["id"]
    );
    assert_ne!(after["updated_at"], before["updated_at"]);
    assert_eq!(after["traits"], before["traits"]);
    assert_eq!(after["credentials"], before["credentials"]);

    // And back.
    let reply = patch(
        &c,
        GRACE,
        &json!([
            { "op": "replace", "path": "/verifiable_addresses/0/verified", "value": false },
            { "op": "replace", "path": "/verifiable_addresses/0/status", "value": "pending" },
            { "op": "replace", "path": "/verifiable_addresses/0/verified_at", "value": null }
        ]),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let after = stored(&server, GRACE).await;
    assert_eq!(after["verifiable_addresses"][0]["verified"], false);
    assert!(after["verifiable_addresses"][0].get("verified_at").is_none());
}

#[tokio::test]
async fn refused_patches_change_nothing() {
    let server = start().await;
    let c = client(&server);
    let before = stored(&server, GRACE).await;
    let cases = [
        (
            json!([{ "op": "test", "path": "/verifiable_addresses/0/value", "value": "x" }]),
            "unsupported operation: test",
        ),
        (
            json!([{ "op": "move", "from": "/traits", "path": "/metadata_public" }]),
            "unsupported operation: move",
        ),
        (
            json!([{ "op": "replace", "path": "/id", "value": "00000000-0000-4000-8000-000000000000" }]),
            "patch includes denied path: /id",
        ),
        (
            json!([{ "op": "remove", "path": "/credentials" }]),
            "patch includes denied path: /credentials",
        ),
        (
            json!([{ "op": "add", "path": "/credentials/oidc/config", "value": {} }]),
            "patch includes denied path: /credentials/oidc/config",
        ),
        (
            json!({ "op": "add" }),
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
        ),
    ];
    for (body, expected) in cases {
        let reply = patch(&c, GRACE, &body).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text);
        assert_eq!(reply.reason(), "An error occured when applying the JSON patch");
        assert_eq!(message(&reply), expected, "{body}");
    }

    let reply = patch(
        &c,
        GRACE,
        &json!([{ "op": "replace", "path": "/state", "value": "gone" }]),
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(
        reply.reason(),
        "The supplied state ('gone') was not valid. Valid states are ('active', 'inactive')."
    );

    // Traits are validated against the schema, as on a PUT.
    let reply = patch(&c, GRACE, &json!([{ "op": "remove", "path": "/traits/email" }])).await;
    assert_eq!(reply.status, 400, "{}", reply.text);

    assert_eq!(stored(&server, GRACE).await, before);
}

#[tokio::test]
async fn a_patched_email_is_a_new_unverified_address() {
    let server = start().await;
    let c = client(&server);
    let reply = patch(
        &c,
        GRACE,
        &json!([{ "op": "replace", "path": "/traits/email", "value": "grace@navy.example" }]),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let after = stored(&server, GRACE).await;
    assert_eq!(after["verifiable_addresses"][0]["value"], "grace@navy.example");
    assert_eq!(after["verifiable_addresses"][0]["verified"], false);
    assert_eq!(
        after["credentials"]["password"]["identifiers"],
        json!(["grace@navy.example"])
    );
}

/// A validator for `#/components/schemas/{name}` of the Kratos OpenAPI spec
/// (`tests/data/kratos-openapi.json`), OpenAPI's `nullable` read as JSON
/// Schema's `null` type.
fn spec_validator(name: &str) -> jsonschema::Validator {
    fn nullable(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if map.get("nullable") == Some(&Value::Bool(true))
                    && let Some(Value::String(kind)) = map.get("type").cloned()
                {
                    map.insert("type".to_owned(), json!([kind, "null"]));
                }
                map.values_mut().for_each(nullable);
            }
            Value::Array(items) => items.iter_mut().for_each(nullable),
            _ => {}
        }
    }
    let mut spec: Value = match serde_json::from_str(include_str!("../data/kratos-openapi.json")) {
        Ok(spec) => spec,
        Err(e) => panic!("tests/data/kratos-openapi.json: {e}"),
    };
    assert!(
        spec.pointer(&format!("/components/schemas/{name}")).is_some(),
        "the spec defines {name}"
    );
    nullable(&mut spec);
    let schema = json!({ "$ref": format!("#/components/schemas/{name}"), "components": spec["components"] });
    match jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
    {
        Ok(validator) => validator,
        Err(e) => panic!("{name} does not compile: {e}"),
    }
}

fn violations(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[tokio::test]
async fn answers_and_idcons_patch_are_the_specs() {
    let server = start().await;
    let c = client(&server);
    let identity = spec_validator("identity");
    let error = spec_validator("errorGeneric");
    let document = spec_validator("jsonPatchDocument");
    // The validators do refuse what the spec does not describe.
    assert!(!violations(&identity, &json!({ "id": 5 })).is_empty());
    assert!(!violations(&document, &json!([{ "op": "add" }])).is_empty());

    // The patch idcon sends to verify an address, and to unverify it.
    for verified in [true, false] {
        let body = idcon::api::credentials::address_verification_patch(0, verified, "2026-01-02T03:04:05.000006Z");
        assert_eq!(violations(&document, &body), Vec::<String>::new(), "{body}");
        let reply = patch(&c, GRACE, &body).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(
            violations(&identity, &reply.json()),
            Vec::<String>::new(),
            "{}",
            reply.text
        );
    }

    let refusals = [
        patch(
            &c,
            GRACE,
            &json!([{ "op": "test", "path": "/state", "value": "active" }]),
        )
        .await,
        patch(&c, "00000000-0000-4000-8000-000000000000", &json!([])).await,
        delete(&c, GRACE, "password", None).await,
        delete(&c, MINH, "code", None).await,
        delete(&c, MULTI, "oidc", Some("google:nobody")).await,
    ];
    for reply in refusals {
        assert!(reply.status >= 400, "{}", reply.text);
        assert_eq!(
            violations(&error, &reply.json()),
            Vec::<String>::new(),
            "{}",
            reply.text
        );
    }
}
