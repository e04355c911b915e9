//! The attribute registry, and what the demo server is seeded with.

use crate::support::demo as support;

use serde_json::{Value, json};
use support::{Client, client, find, id_of, list_all, start, start_with};

const ADA_TOKEN: &str = "demo-issuance-token-ada";

#[tokio::test]
async fn an_attribute_update_lands_on_the_identity_holding_the_token() {
    let server = start().await;
    let registry = Client::new(&server.attribute_registry_url());
    let reply = registry
        .put(
            "/attribute/update",
            &json!({
                "issuance_token": ADA_TOKEN,
                "name": "com.example.membership_level",
                "value": "diamond"
            }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["value"], "diamond");

    let c = client(&server);
    let ada = find(&c, |i| i["metadata_admin"]["yoti"]["issuance_token"] == ADA_TOKEN).await;
    assert_eq!(
        ada["metadata_admin"]["yoti"]["attributes"]["com.example.membership_level"],
        "diamond"
    );
    server.stop().await;
}

#[tokio::test]
async fn registry_errors_are_yoti_style() {
    let server = start().await;
    let registry = Client::new(&server.attribute_registry_url());
    let unknown = registry
        .put(
            "/attribute/update",
            &json!({"issuance_token": "no-such-token", "name": "n", "value": "v"}),
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["code"], "NOT_FOUND");
    assert!(unknown.json()["message"].is_string());

    let missing = registry
        .put("/attribute/update", &json!({"name": "n", "value": "v"}))
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.json()["code"], "INVALID_REQUEST");
    assert!(
        missing.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("issuance_token"))
    );

    let wrong_method = registry
        .send("GET", "/attribute/update", &[], None, support::Signing::default())
        .await;
    assert_eq!(wrong_method.status, 405);
    server.stop().await;
}

#[tokio::test]
async fn the_curated_seed_is_varied() {
    let server = start().await;
    let c = client(&server);
    let all = list_all(&c, "500").await;
    assert_eq!(all.len(), 240);
    let count = |pick: &dyn Fn(&Value) -> bool| all.iter().filter(|i| pick(i)).count();
    assert!(count(&|i| i["schema_id"] == "email-password") > 100);
    assert!(count(&|i| i["schema_id"] == "phone-password") > 20);
    assert!(count(&|i| i["state"] == "inactive") > 10);
    assert!(count(&|i| i["metadata_public"].is_null()) > 0);
    assert!(count(&|i| i["metadata_public"] == json!({})) > 0);
    assert!(count(&|i| i["metadata_admin"]["yoti"]["issuance_token"].is_string()) > 10);
    assert!(count(&|i| i["verifiable_addresses"][0]["verified"] == true) > 50);
    assert!(count(&|i| i["verifiable_addresses"][0]["verified"] == false) > 50);
    assert!(count(&|i| i.get("external_id").is_some()) > 10);
    // Edge cases: non-Latin names, very long values.
    assert!(count(&|i| i["traits"]["name"]["first"] == "李") == 1);
    assert!(count(&|i| i["traits"]["name"]["last"].as_str().is_some_and(|l| l.len() > 300)) == 1);
    let with_oidc = c
        .get(
            "/admin/identities",
            &[("include_credential", "oidc"), ("page_size", "500")],
        )
        .await
        .json();
    let oidc = with_oidc
        .as_array()
        .map(|l| l.iter().filter(|i| i["credentials"]["oidc"].is_object()).count())
        .unwrap_or(0);
    assert!(oidc > 20, "{oidc} identities with OIDC links");
    server.stop().await;
}

#[tokio::test]
async fn seed_count_generates_deterministic_identities() {
    let first = start_with(|o| o.seed_count = Some(2_000)).await;
    let second = start_with(|o| o.seed_count = Some(2_000)).await;
    let without_url = |mut list: Vec<Value>| {
        for identity in &mut list {
            if let Some(object) = identity.as_object_mut() {
                object.remove("schema_url");
            }
        }
        list
    };
    let a = without_url(list_all(&client(&first), "500").await);
    let b = without_url(list_all(&client(&second), "500").await);
    assert_eq!(a.len(), 2_000);
    assert!(a == b, "the same seed count gives the same identities");
    let generated = a
        .iter()
        .find(|i| i["traits"]["email"].as_str().is_some_and(|e| e.contains(".1234@")));
    let Some(generated) = generated else {
        panic!("generated identity 1234 is missing")
    };
    let email = generated["traits"]["email"].as_str().unwrap_or_default();
    let found = client(&first)
        .get("/admin/identities", &[("credentials_identifier", email)])
        .await
        .json();
    assert_eq!(found[0]["id"], generated["id"]);
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn hostile_identities_carry_escape_sequences_in_traits() {
    let server = start_with(|o| o.hostile = true).await;
    let c = client(&server);
    let all = list_all(&c, "500").await;
    assert_eq!(all.len(), 247);
    let names: Vec<String> = all
        .iter()
        .filter(|i| i["traits"]["email"].as_str().is_some_and(|e| e.starts_with("hostile.")))
        .map(|i| i["traits"]["name"].to_string())
        .collect();
    let joined = names.join(" ");
    for needle in ["\\u001b]52;", "\\u001b]0;", "\\u001b[2J", "\\u0007", "\\r", "\u{9b}"] {
        assert!(joined.contains(needle), "no {needle:?} in {joined}");
    }
    // They stay valid identities a console can save.
    let hostile = all
        .iter()
        .find(|i| i["traits"]["email"] == "hostile.osc52@example.com")
        .cloned()
        .unwrap_or_default();
    let reply = c
        .put(
            &format!("/admin/identities/{}", id_of(&hostile)),
            &json!({
                "schema_id": hostile["schema_id"],
                "state": hostile["state"],
                "traits": hostile["traits"],
                "metadata_public": hostile["metadata_public"],
                "metadata_admin": hostile["metadata_admin"],
                "external_id": hostile["external_id"],
            }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    server.stop().await;
}
