//! The demo server's `PUT {prefix}/identities/{id}`, with Kratos's semantics.

use crate::support::demo as support;

use serde_json::{Value, json};
use support::{Client, client, find, id_of, start};

const ADA: &str = "ada.lovelace@example.com";

/// A PUT body made from a GET answer, every field sent back as given (what a
/// careful client does), with `edit` applied.
fn body_from(identity: &Value, edit: impl FnOnce(&mut Value)) -> Value {
    let mut body = json!({
        "schema_id": identity["schema_id"],
        "state": identity["state"],
        "traits": identity["traits"],
        "metadata_public": identity["metadata_public"],
        "metadata_admin": identity["metadata_admin"],
    });
    if let Some(external) = identity.get("external_id") {
        body["external_id"] = external.clone();
    }
    edit(&mut body);
    body
}

async fn get(c: &Client, id: &str, params: &[(&str, &str)]) -> Value {
    let reply = c.get(&format!("/admin/identities/{id}"), params).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

async fn lookup(c: &Client, identifier: &str) -> Vec<String> {
    c.get("/admin/identities", &[("credentials_identifier", identifier)])
        .await
        .json()
        .as_array()
        .map(|l| l.iter().map(id_of).collect())
        .unwrap_or_default()
}

async fn ada(c: &Client) -> Value {
    let listed = find(c, |i| i["traits"]["email"] == ADA).await;
    get(c, &id_of(&listed), &[]).await
}

#[tokio::test]
async fn a_new_email_replaces_identifiers_and_gets_an_unverified_address() {
    let server = start().await;
    let c = client(&server);
    let before = ada(&c).await;
    let id = id_of(&before);
    let body = body_from(&before, |b| b["traits"]["email"] = json!("Countess@Example.org"));
    let reply = c.put(&format!("/admin/identities/{id}"), &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let answer = reply.json();
    assert_eq!(answer["traits"]["email"], "Countess@Example.org");
    let credentials = answer["credentials"].as_object().cloned().unwrap_or_default();
    assert!(credentials.values().all(|c| c.get("config").is_none()));
    assert_eq!(
        answer["credentials"]["password"]["identifiers"],
        json!(["countess@example.org"])
    );
    let address = &answer["verifiable_addresses"][0];
    assert_eq!(address["value"], "countess@example.org");
    assert_eq!(address["verified"], false);
    assert_eq!(address["status"], "pending");
    assert_ne!(address["id"], before["verifiable_addresses"][0]["id"]);
    assert_eq!(answer["recovery_addresses"][0]["value"], "countess@example.org");
    assert!(answer["updated_at"].as_str() > before["updated_at"].as_str());

    let after = get(&c, &id, &[]).await;
    assert_eq!(after["traits"], answer["traits"]);
    assert!(lookup(&c, ADA).await.is_empty());
    assert_eq!(lookup(&c, "countess@example.org").await, vec![id.clone()]);
    // The OIDC link is untouched.
    assert_eq!(
        after["credentials"]["oidc"]["identifiers"],
        before["credentials"]["oidc"]["identifiers"]
    );
    server.stop().await;
}

#[tokio::test]
async fn an_unchanged_address_keeps_its_verification() {
    let server = start().await;
    let c = client(&server);
    let before = ada(&c).await;
    let id = id_of(&before);
    let body = body_from(&before, |b| b["traits"]["name"]["first"] = json!("Augusta Ada"));
    let answer = c.put(&format!("/admin/identities/{id}"), &body).await.json();
    assert_eq!(answer["traits"]["name"]["first"], "Augusta Ada");
    assert_eq!(answer["verifiable_addresses"], before["verifiable_addresses"]);
    assert_eq!(answer["recovery_addresses"], before["recovery_addresses"]);
    assert_eq!(answer["state_changed_at"], before["state_changed_at"]);
    assert_eq!(answer["metadata_admin"], before["metadata_admin"]);
    assert_eq!(answer["external_id"], before["external_id"]);
    server.stop().await;
}

#[tokio::test]
async fn omitted_fields_follow_kratos_put_semantics() {
    let server = start().await;
    let c = client(&server);
    let before = ada(&c).await;
    let id = id_of(&before);
    // Only traits: schema_id and state are kept; metadata and external_id erased.
    let reply = c
        .put(
            &format!("/admin/identities/{id}"),
            &json!({ "traits": before["traits"], "some_future_field": 1 }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let answer = reply.json();
    assert_eq!(answer["schema_id"], before["schema_id"]);
    assert_eq!(answer["state"], before["state"]);
    assert_eq!(answer["metadata_public"], Value::Null);
    assert_eq!(answer["metadata_admin"], Value::Null);
    assert!(answer.get("external_id").is_none());
    // Absent credentials keep every credential, password hash included.
    let with_hash = get(&c, &id, &[("include_credential", "password")]).await;
    assert!(with_hash["credentials"]["password"]["config"]["hashed_password"].is_string());
    assert!(with_hash["credentials"]["oidc"].is_object());

    // Omitted traits become {}, which this schema refuses.
    let no_traits = c
        .put(&format!("/admin/identities/{id}"), &json!({ "state": "active" }))
        .await;
    assert_eq!(no_traits.status, 400);
    assert_eq!(
        no_traits.reason(),
        r#"I[#/traits] S[#/properties/traits/required] missing properties: "email""#
    );
    server.stop().await;
}

#[tokio::test]
async fn state_changes_move_state_changed_at_and_bad_states_are_400() {
    let server = start().await;
    let c = client(&server);
    let before = ada(&c).await;
    let id = id_of(&before);
    let body = body_from(&before, |b| b["state"] = json!("inactive"));
    let answer = c.put(&format!("/admin/identities/{id}"), &body).await.json();
    assert_eq!(answer["state"], "inactive");
    assert!(answer["state_changed_at"].as_str() > before["state_changed_at"].as_str());

    let bad = body_from(&before, |b| b["state"] = json!("banned"));
    let reply = c.put(&format!("/admin/identities/{id}"), &bad).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.reason(), "identity state is not valid");
    assert_eq!(get(&c, &id, &[]).await["state"], "inactive");
    server.stop().await;
}

#[tokio::test]
async fn invalid_traits_are_400_with_kratos_reason_and_change_nothing() {
    let server = start().await;
    let c = client(&server);
    let before = ada(&c).await;
    let id = id_of(&before);
    let cases = [
        (
            json!("foo"),
            r#"I[#/traits/email] S[#/properties/traits/properties/email/format] "foo" is not valid "email""#,
        ),
        (
            json!(42),
            "I[#/traits/email] S[#/properties/traits/properties/email/type] expected string, but got integer",
        ),
    ];
    for (email, reason) in cases {
        let body = body_from(&before, |b| b["traits"]["email"] = email.clone());
        let reply = c.put(&format!("/admin/identities/{id}"), &body).await;
        assert_eq!(reply.status, 400, "{}", reply.text);
        let error = &reply.json()["error"];
        assert_eq!(error["reason"], reason);
        assert_eq!(error["status"], "Bad Request");
    }
    let extra = body_from(&before, |b| b["traits"]["nickname"] = json!("Ada"));
    let reply = c.put(&format!("/admin/identities/{id}"), &extra).await;
    assert_eq!(
        reply.reason(),
        r#"I[#/traits] S[#/properties/traits/additionalProperties] additionalProperties "nickname" not allowed"#
    );
    assert_eq!(get(&c, &id, &[]).await, before);
    server.stop().await;
}

#[tokio::test]
async fn empty_and_broken_bodies_are_400() {
    let server = start().await;
    let c = client(&server);
    let id = id_of(&ada(&c).await);
    let path = format!("/admin/identities/{id}");
    let empty = c.put_raw(&path, b"").await;
    assert_eq!(empty.status, 400);
    assert_eq!(empty.reason(), "Unable to decode JSON payload: EOF");
    let broken = c.put_raw(&path, b"{\"traits\": ").await;
    assert_eq!(broken.status, 400);
    assert!(broken.reason().starts_with("Unable to decode JSON payload: "));
    server.stop().await;
}

#[tokio::test]
async fn unknown_identities_are_404_on_put() {
    let server = start().await;
    let c = client(&server);
    for id in ["00000000-0000-4000-8000-000000000000", "nope"] {
        let reply = c
            .put(
                &format!("/admin/identities/{id}"),
                &json!({"traits": {"email": "x@example.com"}}),
            )
            .await;
        assert_eq!(reply.status, 404, "{id}");
        assert_eq!(reply.json()["error"]["message"], "Unable to locate the resource");
    }
    server.stop().await;
}

#[tokio::test]
async fn passwords_are_hashed_or_imported_and_bad_hashes_refused() {
    let server = start().await;
    let c = client(&server);
    let before = ada(&c).await;
    let id = id_of(&before);
    let path = format!("/admin/identities/{id}");

    let plaintext = body_from(&before, |b| {
        b["credentials"] = json!({"password": {"config": {"password": "correct horse battery"}}});
    });
    let reply = c.put(&path, &plaintext).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(!reply.text.contains("correct horse"), "the password never comes back");
    let stored = get(&c, &id, &[("include_credential", "password")]).await;
    let hash = stored["credentials"]["password"]["config"]["hashed_password"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert_eq!(stored["credentials"]["password"]["identifiers"], json!([ADA]));

    let bcrypt = "$2a$10$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq";
    let imported = body_from(&before, |b| {
        b["credentials"] = json!({"password": {"config": {"hashed_password": bcrypt}}});
    });
    assert_eq!(c.put(&path, &imported).await.status, 200);
    let stored = get(&c, &id, &[("include_credential", "password")]).await;
    assert_eq!(stored["credentials"]["password"]["config"]["hashed_password"], bcrypt);

    for bad in [
        "hunter2",
        "$2a$99$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq",
        "$argon2id$v=19$broken",
    ] {
        let body = body_from(&before, |b| {
            b["credentials"] = json!({"password": {"config": {"hashed_password": bad}}});
        });
        let reply = c.put(&path, &body).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(
            reply.reason(),
            "The imported password does not match any known hash format. For more information see https://www.ory.sh/dr/2"
        );
    }
    let stored = get(&c, &id, &[("include_credential", "password")]).await;
    assert_eq!(stored["credentials"]["password"]["config"]["hashed_password"], bcrypt);
    server.stop().await;
}

#[tokio::test]
async fn oidc_providers_are_appended_never_replaced() {
    let server = start().await;
    let c = client(&server);
    let before = ada(&c).await;
    let id = id_of(&before);
    let path = format!("/admin/identities/{id}");
    let link = body_from(&before, |b| {
        b["credentials"] = json!({"oidc": {"config": {"providers": [
            {"provider": "github", "subject": "ada-gh-1815"}
        ]}}});
    });
    let reply = c.put(&path, &link).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json()["credentials"]["oidc"]["identifiers"],
        json!(["google:108000000000000000001", "github:ada-gh-1815"])
    );
    let stored = get(&c, &id, &[("include_credential", "oidc")]).await;
    let providers = &stored["credentials"]["oidc"]["config"]["providers"];
    assert_eq!(providers[0]["provider"], "google");
    assert_eq!(providers[1]["subject"], "ada-gh-1815");
    assert_eq!(lookup(&c, "github:ada-gh-1815").await, vec![id.clone()]);

    // The same provider:subject again is a conflict.
    let again = c.put(&path, &link).await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.json()["error"]["code"], 409);

    // So is one linked to another identity.
    let other = find(&c, |i| i["traits"]["email"] == "multi.provider@example.com").await;
    let steal = body_from(&get(&c, &id_of(&other), &[]).await, |b| {
        b["credentials"] = json!({"oidc": {"config": {"providers": [
            {"provider": "github", "subject": "ada-gh-1815"}
        ]}}});
    });
    let reply = c.put(&format!("/admin/identities/{}", id_of(&other)), &steal).await;
    assert_eq!(reply.status, 409, "{}", reply.text);
    server.stop().await;
}

#[tokio::test]
async fn identifiers_and_external_ids_stay_unique() {
    let server = start().await;
    let c = client(&server);
    let before = ada(&c).await;
    let id = id_of(&before);
    let path = format!("/admin/identities/{id}");

    let taken_email = body_from(&before, |b| b["traits"]["email"] = json!("GRACE.hopper@example.org"));
    let reply = c.put(&path, &taken_email).await;
    assert_eq!(reply.status, 409, "{}", reply.text);
    let error = &reply.json()["error"];
    assert_eq!(error["status"], "Conflict");
    assert_eq!(
        error["message"],
        "Unable to insert or update resource because a resource with that value exists already"
    );

    let grace = find(&c, |i| i["traits"]["email"] == "grace.hopper@example.org").await;
    let external = find(&c, |i| i.get("external_id").is_some() && i["id"] != before["id"]).await;
    let taken_external = body_from(&grace, |b| b["external_id"] = external["external_id"].clone());
    let reply = c
        .put(&format!("/admin/identities/{}", id_of(&grace)), &taken_external)
        .await;
    assert_eq!(reply.status, 409, "{}", reply.text);
    assert_eq!(get(&c, &id, &[]).await, before);
    server.stop().await;
}

#[tokio::test]
async fn switching_schema_revalidates_and_derives_new_credentials() {
    let server = start().await;
    let c = client(&server);
    let before = ada(&c).await;
    let id = id_of(&before);
    let path = format!("/admin/identities/{id}");
    let missing_phone = body_from(&before, |b| {
        b["schema_id"] = json!("phone-password");
        b["traits"] = json!({"email": ADA});
    });
    let reply = c.put(&path, &missing_phone).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.reason(),
        r#"I[#/traits] S[#/properties/traits/required] missing properties: "phone""#
    );

    let phone = body_from(&before, |b| {
        b["schema_id"] = json!("phone-password");
        b["traits"] = json!({"email": ADA, "phone": "+44 7700 900999"});
    });
    let answer = c.put(&path, &phone).await.json();
    assert_eq!(answer["schema_id"], "phone-password");
    assert_eq!(
        answer["credentials"]["password"]["identifiers"],
        json!([ADA, "+447700900999"])
    );
    assert_eq!(answer["credentials"]["code"]["identifiers"], json!([ADA]));
    let sms: Vec<&Value> = answer["verifiable_addresses"]
        .as_array()
        .map(|l| l.iter().filter(|a| a["via"] == "sms").collect())
        .unwrap_or_default();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0]["value"], "+447700900999");
    assert_eq!(sms[0]["verified"], false);
    assert!(
        answer.get("recovery_addresses").is_none(),
        "this schema has no recovery"
    );
    assert_eq!(lookup(&c, "+447700900999").await, vec![id]);

    let unknown = body_from(&before, |b| b["schema_id"] = json!("nope"));
    assert_eq!(c.put(&path, &unknown).await.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn mutate_identity_changes_it_behind_the_clients_back() {
    let server = start().await;
    let c = client(&server);
    let before = ada(&c).await;
    let id = id_of(&before);
    let changed = server
        .mutate_identity(&id, |identity| {
            identity["traits"]["name"]["last"] = json!("King");
        })
        .await;
    assert!(changed.is_ok(), "{changed:?}");
    let after = get(&c, &id, &[]).await;
    assert_eq!(after["traits"]["name"]["last"], "King");
    assert!(after["updated_at"].as_str() > before["updated_at"].as_str());
    let stored = server.identity(&id).await.unwrap_or_default();
    assert_eq!(stored["traits"]["name"]["last"], "King");
    assert!(server.mutate_identity("nope", |_| {}).await.is_err());
    server.stop().await;
}

/// Digits after the decimal point of an RFC 3339 timestamp (Go trims
/// trailing zeros, so nanoseconds show as 7 to 9 digits, except 1 time in 1000).
fn fraction_digits(timestamp: &Value) -> usize {
    let text = timestamp.as_str().unwrap_or_default();
    text.split_once('.')
        .map_or(0, |(_, rest)| rest.trim_end_matches('Z').len())
}

/// The instant, cut to microseconds as the database keeps it.
fn micros(timestamp: &Value) -> chrono::DateTime<chrono::Utc> {
    use chrono::Timelike as _;
    let text = timestamp.as_str().unwrap_or_default();
    let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) else {
        panic!("not a timestamp: {timestamp}")
    };
    let at = at.with_timezone(&chrono::Utc);
    let nanos = at.nanosecond();
    at.with_nanosecond(nanos - nanos % 1_000).unwrap_or(at)
}

fn address_ids(identity: &Value) -> Vec<String> {
    identity["verifiable_addresses"]
        .as_array()
        .map(|l| l.iter().map(id_of).collect())
        .unwrap_or_default()
}

/// Kratos answers a PUT with the identity as held in memory
/// (`identity/handler.go` `update`): `state_changed_at` is a fresh
/// `time.Now()` with nanoseconds and the addresses come kept-first, new after
/// (`updateAssociationWith`). A later GET reads the database: microseconds,
/// addresses `ORDER BY id`. `updated_at` is already cut to microseconds by
/// `UpdateIdentity` in v25+. Each round changes the e-mail (a new address with
/// a random id, which the schema lists before the kept phone) and flips the
/// state, until both differences have shown.
#[tokio::test]
async fn the_put_answer_is_held_in_memory_and_a_get_reads_the_database() {
    let server = start().await;
    let c = client(&server);
    let listed = find(&c, |i| i["schema_id"] == "phone-password").await;
    let id = id_of(&listed);
    let path = format!("/admin/identities/{id}");
    let (mut saw_nanos, mut saw_order_differ) = (false, false);
    for round in 0..40 {
        let before = get(&c, &id, &[]).await;
        let phone_address = before["verifiable_addresses"]
            .as_array()
            .and_then(|l| l.iter().find(|a| a["via"] == "sms"))
            .cloned()
            .unwrap_or_default();
        let state = if before["state"] == "active" {
            "inactive"
        } else {
            "active"
        };
        let email = format!("round{round}@example.test");
        let body = body_from(&before, |b| {
            b["traits"]["email"] = json!(email);
            b["state"] = json!(state);
        });
        let reply = c.put(&path, &body).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let answer = reply.json();
        let after = get(&c, &id, &[]).await;

        // Kept address first, the new one after, whatever their ids and
        // although the schema names the e-mail first.
        let held = address_ids(&answer);
        assert_eq!(held.len(), 2, "{answer}");
        assert_eq!(held[0], id_of(&phone_address), "the kept address comes first");
        assert_eq!(answer["verifiable_addresses"][1]["value"], email);
        // The database orders by id.
        let stored = address_ids(&after);
        let mut sorted = held.clone();
        sorted.sort();
        assert_eq!(stored, sorted, "GET orders addresses by id");
        saw_order_differ |= stored != held;

        assert!(fraction_digits(&after["state_changed_at"]) <= 6, "{after}");
        assert_eq!(micros(&answer["state_changed_at"]), micros(&after["state_changed_at"]));
        saw_nanos |= fraction_digits(&answer["state_changed_at"]) > 6;
        assert!(fraction_digits(&answer["updated_at"]) <= 6, "v26 cuts updated_at to µs");
        assert_eq!(answer["updated_at"], after["updated_at"]);
        assert!(answer["updated_at"].as_str() > before["updated_at"].as_str());
        for address in after["verifiable_addresses"].as_array().into_iter().flatten() {
            assert!(fraction_digits(&address["created_at"]) <= 6, "{address}");
        }
        if saw_nanos && saw_order_differ {
            break;
        }
    }
    assert!(saw_nanos, "no PUT answer carried nanoseconds in 40 rounds");
    assert!(saw_order_differ, "the new address never sorted first in 40 rounds");
    server.stop().await;
}

/// v1.3.1: no `external_id` anywhere (the decoder drops it), `updated_at`
/// written back unchanged (`UpdateIdentity` before ory/kratos#4131), and the
/// PUT answer's addresses in schema order with pop's nanosecond stamps.
#[tokio::test]
async fn kratos_1_3_drops_external_id_and_keeps_updated_at() {
    let server = support::start_with(|o| o.kratos_version = idcon::demo::KratosVersion::V1_3).await;
    let c = client(&server);
    let all = support::list_all(&c, "500").await;
    assert!(
        all.iter().all(|i| i.get("external_id").is_none()),
        "no identity carries external_id"
    );
    let listed = find(&c, |i| i["schema_id"] == "phone-password").await;
    let id = id_of(&listed);
    let path = format!("/admin/identities/{id}");
    let before = get(&c, &id, &[]).await;
    assert!(before.get("external_id").is_none());

    let body = body_from(&before, |b| {
        b["external_id"] = json!("crm-4711");
        b["traits"]["email"] = json!("v13@example.test");
    });
    let reply = c.put(&path, &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let answer = reply.json();
    assert!(answer.get("external_id").is_none(), "silently dropped: {answer}");
    assert_eq!(
        answer["updated_at"], before["updated_at"],
        "1.3 does not move updated_at"
    );
    let vias: Vec<&str> = answer["verifiable_addresses"]
        .as_array()
        .map(|l| l.iter().filter_map(|a| a["via"].as_str()).collect())
        .unwrap_or_default();
    // The new e-mail address before the kept phone: schema order, not kept-then-new.
    assert_eq!(vias, ["email", "sms"]);

    let after = get(&c, &id, &[]).await;
    assert!(after.get("external_id").is_none());
    assert_eq!(after["updated_at"], before["updated_at"]);
    assert_eq!(after["traits"]["email"], "v13@example.test");
    let stored = address_ids(&after);
    let mut sorted = stored.clone();
    sorted.sort();
    assert_eq!(stored, sorted);
    let new_address = answer["verifiable_addresses"][0].clone();
    assert_eq!(new_address["value"], "v13@example.test");
    let stored_new = after["verifiable_addresses"]
        .as_array()
        .and_then(|l| l.iter().find(|a| a["id"] == new_address["id"]))
        .cloned()
        .unwrap_or_default();
    assert_eq!(micros(&new_address["created_at"]), micros(&stored_new["created_at"]));
    assert!(fraction_digits(&stored_new["created_at"]) <= 6);
    server.stop().await;
}
