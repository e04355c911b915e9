//! The demo server's read side: listing (paging, filters), get by id, schemas,
//! errors for unknown routes.

use crate::support::demo as support;

use idcon::demo::KratosVersion;
use serde_json::Value;
use support::{Signing, client, find, get_unsigned, id_of, list_all, start, start_with};

const NIL: &str = "00000000-0000-0000-0000-000000000000";

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

/// ory/x `keysetpagination.Header`: ONE `Link` field, `first` and `next`
/// joined by `,`, relative URLs; `first` carries the nil UUID and `next` the
/// last id of the page.
#[tokio::test]
async fn pages_follow_the_next_link_without_gaps_or_overlap() {
    let server = start().await;
    let c = client(&server);
    let first = c.get("/admin/identities", &[("page_size", "100")]).await;
    let links = first.links();
    assert_eq!(links.len(), 1, "one Link field: {links:?}");
    let page = first.json();
    let last = page.as_array().and_then(|l| l.last()).map(id_of).unwrap_or_default();
    assert_eq!(
        links[0],
        format!(
            "</admin/identities?page_size=100&page_token={NIL}>; rel=\"first\",\
             </admin/identities?page_size=100&page_token={last}>; rel=\"next\""
        )
    );
    assert_eq!(first.next_token(), Some(last));
    let all = list_all(&c, "100").await;
    assert_eq!(all.len(), 240);
    let ids: Vec<String> = all.iter().map(id_of).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids, unique, "pages are in id order and never repeat");
    server.stop().await;
}

/// `header()` in ory/x: `u.Query()`, then `Set("page_token")` and
/// `Set("page_size")`, then `Encode()` (keys sorted): every request parameter
/// comes back, even one Kratos does not know; only the signing pair, which
/// belongs to one request, is left out.
#[tokio::test]
async fn the_link_repeats_every_request_parameter_sorted() {
    let server = start().await;
    let c = client(&server);
    let how = Signing::default();
    let reply = c
        .send(
            "GET",
            "/admin/identities",
            &[
                ("page_size", "3"),
                ("include_credential", "oidc"),
                ("zz_unknown", "a b&c"),
                ("consistency", "eventual"),
            ],
            None,
            how.clone(),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.url.contains(&format!("nonce={}", how.nonce)), "{}", reply.url);
    let entries = reply.link_entries();
    assert_eq!(entries.len(), 2, "{entries:?}");
    let last = reply
        .json()
        .as_array()
        .and_then(|l| l.last())
        .map(id_of)
        .unwrap_or_default();
    let expected = |token: &str, rel: &str| {
        format!(
            "</admin/identities?consistency=eventual&include_credential=oidc&page_size=3&page_token={token}&zz_unknown=a+b%26c>; rel=\"{rel}\""
        )
    };
    assert_eq!(entries[0], expected(NIL, "first"));
    assert_eq!(entries[1], expected(&last, "next"));
    for entry in &entries {
        assert!(!entry.contains("nonce=") && !entry.contains("timestamp="), "{entry}");
    }
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

/// Kratos's page token is the plain last id (`Identity.PageToken`): any UUID
/// is accepted, even one it never issued; anything else is refused, and a
/// broken escape fails Go's second `url.QueryUnescape`.
#[tokio::test]
async fn page_tokens_are_plain_ids_and_anything_else_is_refused() {
    let server = start().await;
    let c = client(&server);
    let all = list_all(&c, "500").await;
    let from_nil = c
        .get("/admin/identities", &[("page_token", NIL), ("page_size", "2")])
        .await;
    assert_eq!(from_nil.status, 200, "{}", from_nil.text);
    assert_eq!(id_of(&from_nil.json()[0]), id_of(&all[0]));

    // A hand-made token: the id of the 10th identity starts after it.
    let tenth = id_of(&all[9]);
    let crafted = c
        .get(
            "/admin/identities",
            &[("page_token", tenth.as_str()), ("page_size", "2")],
        )
        .await;
    assert_eq!(crafted.status, 200, "{}", crafted.text);
    assert_eq!(id_of(&crafted.json()[0]), id_of(&all[10]));

    for token in ["bm90IGEgdG9rZW4", "v1.not-an-id"] {
        let reply = c.get("/admin/identities", &[("page_token", token)]).await;
        assert_eq!(reply.status, 400, "{token}");
        assert_eq!(
            reply.reason(),
            "The page token is invalid, do not craft your own page tokens"
        );
    }
    let broken = c.get("/admin/identities", &[("page_token", "%%%")]).await;
    assert_eq!(broken.status, 400);
    assert_eq!(broken.reason(), "invalid URL escape \"%%%\"");
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
    // Kratos's own limit on ids is checked with no gateway in front.
    let server = start_with(|o| {
        o.verifying_key = None;
        o.max_request_line = None;
    })
    .await;
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

/// Kratos's admin port answers `/schemas` with a 307 to the public port
/// (`schema/handler.go` `RegisterAdminRoutes`, `RedirectToPublicRoute`); the
/// public port serves the raw schemas with no authentication, and
/// identities' `schema_url` points there.
#[tokio::test]
async fn the_admin_port_redirects_schemas_to_the_public_port() {
    let server = start().await;
    let c = client(&server);
    let public = server.public_url();
    assert_ne!(public, server.base_url());
    assert!(public.starts_with("http://127.0.0.1:"), "{public}");

    for (asked, target) in [
        ("/schemas", "/schemas"),
        ("/schemas/phone-password", "/schemas/phone-password"),
        ("/admin/schemas", "/schemas"),
        ("/admin/schemas/email-password", "/schemas/email-password"),
    ] {
        let reply = c.get(asked, &[("page", "1")]).await;
        assert_eq!(reply.status, 307, "{asked}: {}", reply.text);
        let Some((_, query)) = reply.url.split_once('?') else {
            panic!("signed URL without query: {}", reply.url)
        };
        assert_eq!(
            reply.header("location"),
            Some(format!("{public}{target}?{query}")),
            "{asked}"
        );
        assert!(reply.text.contains("Temporary Redirect"), "{}", reply.text);
    }
    // The admin port's guard still applies to the redirect.
    let unsigned = get_unsigned(&format!("{}/schemas", server.base_url())).await;
    assert_eq!(unsigned.status, 401);
    assert_eq!(server.public_request_count(), 0, "nothing followed a redirect");

    let list = get_unsigned(&format!("{public}/schemas")).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let list = list.json();
    let ids: Vec<&str> = list
        .as_array()
        .map(|l| l.iter().filter_map(|s| s["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, ["email-password", "phone-password"]);
    assert_eq!(list[0]["schema"]["properties"]["traits"]["required"][0], "email");

    let raw = get_unsigned(&format!("{public}/schemas/phone-password")).await;
    assert_eq!(raw.status, 200);
    assert_eq!(
        raw.json()["properties"]["traits"]["properties"]["phone"]["format"],
        "tel"
    );
    let prefixed = get_unsigned(&format!("{public}/admin/schemas/phone-password")).await;
    assert_eq!(prefixed.status, 200, "the public router serves /admin/schemas too");

    // The identity's schema_url points at the public port (base64url id).
    let identity = c.get("/admin/identities", &[("page_size", "1")]).await.json();
    let schema_url = identity[0]["schema_url"].as_str().unwrap_or_default().to_owned();
    assert!(schema_url.starts_with(&format!("{public}/schemas/")), "{schema_url}");
    let by_url = get_unsigned(&schema_url).await;
    assert_eq!(by_url.status, 200, "{schema_url}");
    assert!(by_url.json()["properties"]["traits"].is_object());

    let missing = get_unsigned(&format!("{public}/schemas/nope")).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.reason(), "Identity schema `nope` could not be found.");
    let other = get_unsigned(&format!("{public}/admin/identities")).await;
    assert_eq!(other.status, 404, "the public port serves no identities");

    assert_eq!(server.public_request_count(), 6);
    assert_eq!(server.public_requests_with_credentials(), 0);

    // The counter does see credentials when they are sent there.
    let leaked = support::Client::new(&public).get("/schemas", &[]).await;
    assert_eq!(leaked.status, 200, "the public port checks nothing");
    assert_eq!(server.public_request_count(), 7);
    assert_eq!(server.public_requests_with_credentials(), 1);
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
            // Not DELETE: the single-identity route deletes (demo::delete).
            "POST",
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

/// An unsigned GET of `{base}/admin/identities?{query}` (repeated `ids` cannot
/// be signed with the Yoti scheme).
async fn raw_list(server: &idcon::demo::RunningDemo, query: &str) -> support::Reply {
    get_unsigned(&format!("{}/admin/identities?{query}", server.base_url())).await
}

/// v25+ (`parseListIdentitiesParameters`): one filter at a time, `ids` up to 500.
#[tokio::test]
async fn kratos_25_and_26_refuse_combined_filters() {
    for version in [KratosVersion::V25, KratosVersion::V26] {
        let server = start_with(|o| {
            o.verifying_key = None;
            o.kratos_version = version;
        })
        .await;
        let c = client(&server);
        let ada = find(&c, |i| i["traits"]["email"] == ADA).await;
        let reply = raw_list(&server, &format!("ids={}&credentials_identifier={ADA}", id_of(&ada))).await;
        assert_eq!(reply.status, 400, "{version}: {}", reply.text);
        assert_eq!(reply.reason(), "You cannot combine multiple filters in this API");
        let with_org = raw_list(&server, &format!("ids={}&organization_id={NIL}", id_of(&ada))).await;
        assert_eq!(with_org.status, 400, "{version}");
        let big = raw_list(&server, "page_size=100000").await;
        assert_eq!(big.json().as_array().map(Vec::len), Some(240), "{version}");
        assert!(big.link_entries()[0].contains("page_size=500"), "{version}: clamped");
        server.stop().await;
    }
}

/// v1.3.1's `list`: filters combine (the SQL ANDs them), `ids` has no limit,
/// `organization_id` is no parameter, `page_size` no upper bound; only the
/// two identifier searches exclude each other.
#[tokio::test]
async fn kratos_1_3_combines_filters_without_limits() {
    let server = start_with(|o| {
        o.verifying_key = None;
        o.kratos_version = KratosVersion::V1_3;
        o.seed_count = Some(700);
        // Kratos's own (absent) ids limit, with no gateway in front.
        o.max_request_line = None;
    })
    .await;
    let c = client(&server);
    let all = list_all(&c, "700").await;
    assert_eq!(all.len(), 700);
    let first_page = raw_list(&server, "page_size=600").await;
    assert_eq!(first_page.json().as_array().map(Vec::len), Some(600), "no clamp at 500");
    assert!(first_page.link_entries()[0].contains("page_size=600"));

    let ada = id_of(&find(&c, |i| i["traits"]["email"] == ADA).await);
    let other = id_of(&all[0]);
    let both = raw_list(&server, &format!("ids={ada}&ids={other}&credentials_identifier={ADA}")).await;
    assert_eq!(both.status, 200, "{}", both.text);
    let found: Vec<String> = both
        .json()
        .as_array()
        .map(|l| l.iter().map(id_of).collect())
        .unwrap_or_default();
    assert_eq!(found, std::slice::from_ref(&ada), "ids AND credentials_identifier");
    let neither = raw_list(&server, &format!("ids={other}&credentials_identifier={ADA}")).await;
    assert_eq!(neither.json().as_array().map(Vec::len), Some(0));

    let org = raw_list(&server, &format!("ids={ada}&organization_id=not-even-a-uuid")).await;
    assert_eq!(org.status, 200, "organization_id is ignored: {}", org.text);
    assert_eq!(org.json().as_array().map(Vec::len), Some(1));

    let many: Vec<String> = all.iter().take(501).map(|i| format!("ids={}", id_of(i))).collect();
    let many = raw_list(&server, &format!("{}&page_size=1000", many.join("&"))).await;
    assert_eq!(many.status, 200, "{}", many.reason());
    assert_eq!(many.json().as_array().map(Vec::len), Some(501));

    let searches = raw_list(
        &server,
        &format!("credentials_identifier={ADA}&preview_credentials_identifier_similar=ada"),
    )
    .await;
    assert_eq!(searches.status, 400);
    assert_eq!(
        searches.reason(),
        "Cannot pass both credentials_identifier and preview_credentials_identifier_similar."
    );
    // v1.3.1 formats the types parsed so far instead of the bad value.
    let include = raw_list(&server, "include_credential=password&include_credential=passwords").await;
    assert_eq!(include.status, 400);
    assert_eq!(
        include.reason(),
        "Invalid value `[password]` for parameter `include_credential`."
    );
    server.stop().await;
}

/// A real deployment has a reverse proxy in front of Kratos: a request line
/// past nginx's 8 KiB gets its 414 page, long before Kratos's limit of 500
/// ids (500 UUIDs make a 20 KiB URL).
#[tokio::test]
async fn the_gateway_refuses_a_request_line_over_8_kib() {
    let server = start_with(|o| o.verifying_key = None).await;
    let ids: Vec<String> = (0..300)
        .map(|i| format!("ids=00000000-0000-4000-8000-{i:012}"))
        .collect();
    let url = format!("{}/admin/identities?{}", server.base_url(), ids.join("&"));
    let reply = get_unsigned(&url).await;
    assert_eq!(reply.status, 414);
    assert!(reply.text.contains("414 Request-URI Too Large"), "{}", reply.text);
    let short = format!("{}/admin/identities?{}", server.base_url(), ids[..150].join("&"));
    assert_eq!(get_unsigned(&short).await.status, 200);
    server.stop().await;
}
