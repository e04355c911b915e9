//! The demo server's read side: listing (paging, filters), get by id, schemas,
//! errors for unknown routes.

#[path = "demo_support.rs"]
mod support;

use serde_json::Value;
use support::{client, find, id_of, list_all, start, start_with};

const ADA: &str = "ada.lovelace@example.com";

#[tokio::test]
async fn default_page_holds_the_whole_curated_seed_in_id_order() {
    let server = start().await;
    let c = client(&server);
    let reply = c.get("/admin/identities", &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let page = reply.json();
    let items = page.as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 240, "default page_size is 250");
    let ids: Vec<String> = items.iter().map(id_of).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "Kratos orders by id");
    assert!(reply.next_token().is_none(), "last page has no next link");
    let links = reply.links();
    assert_eq!(links.len(), 1, "{links:?}");
    assert!(links[0].starts_with("</admin/identities?page_size=250&page_token="));
    assert!(links[0].ends_with("; rel=\"first\""));
    assert!(reply.headers.get("x-total-count").is_none());
    assert!(items.iter().all(|i| i.get("credentials").is_none()));
    server.stop().await;
}

#[tokio::test]
async fn pages_follow_the_next_link_without_gaps_or_overlap() {
    let server = start().await;
    let c = client(&server);
    let first = c.get("/admin/identities", &[("page_size", "100")]).await;
    let links = first.links();
    assert_eq!(links.len(), 2, "{links:?}");
    let next = &links[1];
    assert!(
        next.starts_with("</admin/identities?page_size=100&page_token=") && next.ends_with(">; rel=\"next\""),
        "{next}"
    );
    let all = list_all(&c, "100").await;
    assert_eq!(all.len(), 240);
    let ids: Vec<String> = all.iter().map(id_of).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids, unique, "pages are in id order and never repeat");
    server.stop().await;
}

#[tokio::test]
async fn page_size_is_clamped_to_500_and_must_be_an_integer() {
    let server = start_with(|o| o.seed_count = Some(1_200)).await;
    let c = client(&server);
    let big = c.get("/admin/identities", &[("page_size", "100000")]).await;
    assert_eq!(big.status, 200);
    assert_eq!(big.json().as_array().map(Vec::len), Some(500));
    assert!(big.links().iter().all(|l| l.contains("page_size=500")));
    let all = list_all(&c, "500").await;
    assert_eq!(all.len(), 1_200);

    for bad in ["abc", "2.5", "1e3"] {
        let reply = c.get("/admin/identities", &[("page_size", bad)]).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(
            reply.reason(),
            format!("strconv.Atoi: parsing \"{bad}\": invalid syntax")
        );
        assert_eq!(reply.json()["error"]["code"], 400);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_crafted_page_token_is_refused() {
    let server = start().await;
    let c = client(&server);
    for token in ["00000000-0000-0000-0000-000000000000", "bm90IGEgdG9rZW4", "%%%"] {
        let reply = c.get("/admin/identities", &[("page_token", token)]).await;
        assert_eq!(reply.status, 400, "{token}");
        assert_eq!(
            reply.reason(),
            "The page token is invalid, do not craft your own page tokens"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn credentials_identifier_is_exact_and_case_folded_for_emails() {
    let server = start().await;
    let c = client(&server);
    let reply = c
        .get(
            "/admin/identities",
            &[("credentials_identifier", "Ada.Lovelace@EXAMPLE.com")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let found = reply.json();
    assert_eq!(found.as_array().map(Vec::len), Some(1));
    assert_eq!(found[0]["traits"]["email"], ADA);
    let password = &found[0]["credentials"]["password"];
    assert_eq!(password["identifiers"][0], ADA);
    assert!(
        password.get("config").is_none(),
        "no secrets without include_credential"
    );

    let oidc = c
        .get(
            "/admin/identities",
            &[("credentials_identifier", "google:108000000000000000001")],
        )
        .await
        .json();
    assert_eq!(oidc[0]["id"], found[0]["id"], "OIDC identifiers are provider:subject");

    let partial = c
        .get("/admin/identities", &[("credentials_identifier", "ada.lovelace")])
        .await
        .json();
    assert_eq!(partial, Value::Array(vec![]), "exact match only");

    let similar = c
        .get(
            "/admin/identities",
            &[("preview_credentials_identifier_similar", "ada.love")],
        )
        .await
        .json();
    assert!(
        similar
            .as_array()
            .is_some_and(|l| l.iter().any(|i| i["traits"]["email"] == ADA)),
        "{similar}"
    );
    server.stop().await;
}

/// `ids` repeats a query parameter, which the Yoti signing scheme cannot carry
/// (its SDKs keep parameters in a dict), so this runs without signatures.
#[tokio::test]
async fn ids_filter_returns_those_identities() {
    let server = start_with(|o| o.verifying_key = None).await;
    let c = client(&server);
    let all = list_all(&c, "500").await;
    let wanted = [id_of(&all[7]), id_of(&all[3])];
    let get = |query: String| {
        let url = format!("{}/admin/identities?{query}", server.base_url());
        let http = c.http.clone();
        async move {
            let response = http.get(url).send().await;
            let Ok(response) = response else {
                panic!("request failed")
            };
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or_default();
            (status, body)
        }
    };
    let (status, body) = get(format!("ids={}&ids={}", wanted[0], wanted[1])).await;
    assert_eq!(status, 200, "{body}");
    let mut got: Vec<String> = body
        .as_array()
        .map(|l| l.iter().map(id_of).collect())
        .unwrap_or_default();
    got.sort();
    let mut expected = wanted.to_vec();
    expected.sort();
    assert_eq!(got, expected);

    let (status, body) = get("ids=nope".to_owned()).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["reason"],
        "Invalid UUID value `nope` for parameter `ids`."
    );

    let many: Vec<String> = (0..501)
        .map(|i| format!("ids=00000000-0000-4000-8000-{i:012}"))
        .collect();
    let (status, body) = get(many.join("&")).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["reason"],
        "The number of ids to filter must not exceed 500."
    );
    server.stop().await;
}

#[tokio::test]
async fn filters_cannot_be_combined() {
    let server = start().await;
    let c = client(&server);
    let reply = c
        .get(
            "/admin/identities",
            &[
                ("credentials_identifier", ADA),
                ("preview_credentials_identifier_similar", "ada"),
            ],
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.reason(), "You cannot combine multiple filters in this API");
    assert_eq!(
        reply.json()["error"]["message"],
        "The request was malformed or contained invalid parameters"
    );
    server.stop().await;
}

#[tokio::test]
async fn include_credential_reveals_only_the_named_type() {
    let server = start().await;
    let c = client(&server);
    let reply = c
        .get(
            "/admin/identities",
            &[("credentials_identifier", ADA), ("include_credential", "password")],
        )
        .await;
    let ada = &reply.json()[0];
    let hash = ada["credentials"]["password"]["config"]["hashed_password"]
        .as_str()
        .unwrap_or_default();
    assert!(hash.starts_with('$') || hash.starts_with('{'), "{hash}");
    assert!(ada["credentials"]["oidc"].get("config").is_none());

    let bad = c.get("/admin/identities", &[("include_credential", "passwords")]).await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.reason(),
        "Invalid value `passwords` for parameter `include_credential`."
    );
    server.stop().await;
}

#[tokio::test]
async fn get_by_id_shows_credentials_without_secrets_unless_asked() {
    let server = start().await;
    let c = client(&server);
    let ada = find(&c, |i| i["traits"]["email"] == ADA).await;
    let path = format!("/admin/identities/{}", id_of(&ada));
    let got = c.get(&path, &[]).await;
    assert_eq!(got.status, 200);
    let body = got.json();
    assert_eq!(body["traits"], ada["traits"]);
    let credentials = body["credentials"].as_object().cloned().unwrap_or_default();
    assert!(credentials.contains_key("password") && credentials.contains_key("oidc"));
    assert!(credentials.values().all(|c| c.get("config").is_none()));
    assert_eq!(body["metadata_admin"]["crm_id"], "CRM-00001");

    let with_oidc = c.get(&path, &[("include_credential", "oidc")]).await.json();
    assert_eq!(
        with_oidc["credentials"]["oidc"]["config"]["providers"][0]["provider"],
        "google"
    );
    assert!(with_oidc["credentials"]["password"].get("config").is_none());
    server.stop().await;
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404() {
    let server = start().await;
    let c = client(&server);
    for id in ["00000000-0000-4000-8000-000000000000", "not-a-uuid"] {
        let reply = c.get(&format!("/admin/identities/{id}"), &[]).await;
        assert_eq!(reply.status, 404, "{id}");
        let error = &reply.json()["error"];
        assert_eq!(error["code"], 404);
        assert_eq!(error["status"], "Not Found");
        assert_eq!(error["message"], "Unable to locate the resource");
    }
    server.stop().await;
}

#[tokio::test]
async fn schemas_are_served_raw_at_the_root() {
    let server = start().await;
    let c = client(&server);
    let list = c.get("/schemas", &[]).await.json();
    let ids: Vec<&str> = list
        .as_array()
        .map(|l| l.iter().filter_map(|s| s["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, ["email-password", "phone-password"]);
    assert_eq!(list[0]["schema"]["properties"]["traits"]["required"][0], "email");

    let raw = c.get("/schemas/phone-password", &[]).await;
    assert_eq!(raw.status, 200);
    assert_eq!(
        raw.json()["properties"]["traits"]["properties"]["phone"]["format"],
        "tel"
    );

    // The identity's schema_url points at the same document (base64url id).
    let identity = c.get("/admin/identities", &[("page_size", "1")]).await.json();
    let schema_url = identity[0]["schema_url"].as_str().unwrap_or_default().to_owned();
    let Some(path) = schema_url.strip_prefix(&server.base_url()) else {
        panic!("schema_url {schema_url} is not on this server")
    };
    let by_url = c.get(path, &[]).await;
    assert_eq!(by_url.status, 200, "{path}");
    assert!(by_url.json()["properties"]["traits"].is_object());

    let missing = c.get("/schemas/nope", &[]).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.reason(), "Identity schema `nope` could not be found.");
    server.stop().await;
}

#[tokio::test]
async fn the_iam_prefix_moves_the_identities_api() {
    let server = start_with(|o| o.prefix = "/iam".to_owned()).await;
    let c = client(&server);
    let reply = c.get("/iam/identities", &[("page_size", "5")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.links().iter().all(|l| l.starts_with("</iam/identities?")));
    assert_eq!(server.identities_url(), format!("{}/iam/identities", server.base_url()));
    let old = c.get("/admin/identities", &[]).await;
    assert_eq!(old.status, 404);
    assert_eq!(old.json()["error"]["code"], 404);
    server.stop().await;
}

#[tokio::test]
async fn unsupported_methods_get_an_envelope() {
    let server = start().await;
    let c = client(&server);
    let reply = c
        .send(
            "DELETE",
            "/admin/identities/00000000-0000-4000-8000-000000000000",
            &[],
            None,
            support::Signing::default(),
        )
        .await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.json()["error"]["code"], 405);
    server.stop().await;
}
