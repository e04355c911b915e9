//! The demo server's gatekeeping: Yoti signatures (each rejection with its own
//! message), the Connhex bearer token, request ids, and injected faults.

use crate::support::demo as support;

use idcon::signing;
use support::{Client, Signing, client, start, start_with};

const LIST: &str = "/admin/identities";

async fn list_with(c: &Client, how: Signing) -> support::Reply {
    c.send("GET", LIST, &[("page_size", "1")], None, how).await
}

fn assert_401(reply: &support::Reply, reason_part: &str) {
    assert_eq!(reply.status, 401, "{}", reply.text);
    let error = &reply.json()["error"];
    assert_eq!(error["code"], 401);
    assert_eq!(error["status"], "Unauthorized");
    assert_eq!(error["message"], "The request could not be authorized");
    let reason = error["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(reason_part), "{reason:?} lacks {reason_part:?}");
}

#[tokio::test]
async fn a_correctly_signed_request_passes() {
    let server = start().await;
    let reply = list_with(&client(&server), Signing::default()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    server.stop().await;
}

#[tokio::test]
async fn missing_headers_are_refused_each_with_its_own_reason() {
    let server = start().await;
    let c = client(&server);
    let no_id = list_with(
        &c,
        Signing {
            sdk_id: None,
            ..Signing::default()
        },
    )
    .await;
    assert_401(&no_id, "X-Yoti-Auth-Id header is missing");
    let no_digest = list_with(
        &c,
        Signing {
            send_digest: false,
            ..Signing::default()
        },
    )
    .await;
    assert_401(&no_digest, "X-Yoti-Auth-Digest header is missing");

    // No nonce or timestamp at all: a plain request with the headers.
    let url = format!("{}{LIST}", server.base_url());
    let response = c
        .http
        .get(url)
        .header(signing::AUTH_ID_HEADER, idcon::demo::DEMO_SDK_ID)
        .header(signing::DIGEST_HEADER, "AAAA")
        .send()
        .await;
    let Ok(response) = response else {
        panic!("request failed")
    };
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    assert_401(
        &support::Reply {
            url: String::new(),
            status,
            headers: Default::default(),
            text,
        },
        "nonce and a numeric timestamp",
    );
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_sdk_id_is_refused() {
    let server = start().await;
    let reply = list_with(
        &client(&server),
        Signing {
            sdk_id: Some("someone-else".to_owned()),
            ..Signing::default()
        },
    )
    .await;
    assert_401(&reply, "\"someone-else\" is not a client SDK id this server knows");
    server.stop().await;
}

#[tokio::test]
async fn a_bad_digest_is_refused() {
    let server = start().await;
    let c = client(&server);
    // Signed correctly, then the digest replaced by another request's.
    let other = signing::sign_request(&c.key, "GET", "/admin/other", &[], None, "n", 1);
    let reply = list_with(
        &c,
        Signing {
            digest: Some(other.digest),
            ..Signing::default()
        },
    )
    .await;
    assert_401(&reply, "The request signature is not valid");
    let garbage = list_with(
        &c,
        Signing {
            digest: Some("not base64 at all!".to_owned()),
            ..Signing::default()
        },
    )
    .await;
    assert_401(&garbage, "not valid base64");
    server.stop().await;
}

#[tokio::test]
async fn a_body_changed_after_signing_is_refused() {
    let server = start().await;
    let c = client(&server);
    let id = "00000000-0000-4000-8000-000000000000";
    let endpoint = format!("/admin/identities/{id}");
    let signed_body = br#"{"traits":{}}"#;
    let how = Signing::default();
    let signed = signing::sign_request(
        &c.key,
        "PUT",
        &endpoint,
        &[],
        Some(signed_body),
        &how.nonce,
        how.timestamp_ms,
    );
    let response = c
        .http
        .put(format!("{}{}", server.base_url(), signed.path_and_query))
        .header(signing::AUTH_ID_HEADER, idcon::demo::DEMO_SDK_ID)
        .header(signing::DIGEST_HEADER, signed.digest)
        .body(r#"{"traits":{"email":"x@example.com"}}"#)
        .send()
        .await;
    let Ok(response) = response else {
        panic!("request failed")
    };
    assert_eq!(response.status().as_u16(), 401);
    server.stop().await;
}

#[tokio::test]
async fn a_stale_or_future_timestamp_is_refused() {
    let server = start().await;
    let c = client(&server);
    let now = signing::now_millis();
    for timestamp_ms in [now - 6 * 60 * 1000, now + 6 * 60 * 1000] {
        let reply = list_with(
            &c,
            Signing {
                timestamp_ms,
                ..Signing::default()
            },
        )
        .await;
        assert_401(&reply, "more than 5 minutes away from the server's clock");
    }
    let within = list_with(
        &c,
        Signing {
            timestamp_ms: now - 4 * 60 * 1000,
            ..Signing::default()
        },
    )
    .await;
    assert_eq!(within.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_replayed_nonce_is_refused() {
    let server = start().await;
    let c = client(&server);
    let how = Signing::default();
    let first = list_with(&c, how.clone()).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let replay = list_with(&c, how).await;
    assert_401(&replay, "was already used");
    server.stop().await;
}

#[tokio::test]
async fn the_registry_is_signed_relative_to_its_mount() {
    let server = start().await;
    let registry = Client::new(&server.attribute_registry_url());
    let body = serde_json::json!({"issuance_token": "unknown", "name": "n", "value": "v"});
    let reply = registry.put("/attribute/update", &body).await;
    assert_eq!(reply.status, 404, "signature accepted, token unknown: {}", reply.text);

    // Signing the full server path instead is what a client with the wrong
    // base URL would do: refused.
    let wrong = client(&server).put("/attribute-registry/attribute/update", &body).await;
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    let error = wrong.json();
    assert_eq!(error["code"], "UNAUTHORIZED", "Yoti-style error: {error}");
    server.stop().await;
}

#[tokio::test]
async fn no_auth_accepts_unsigned_requests() {
    let server = start_with(|o| o.verifying_key = None).await;
    let response = reqwest::get(format!("{}{LIST}?page_size=1", server.base_url())).await;
    let Ok(response) = response else {
        panic!("request failed")
    };
    assert_eq!(response.status().as_u16(), 200);
    server.stop().await;
}

#[tokio::test]
async fn the_bearer_token_is_required_when_configured() {
    let server = start_with(|o| o.bearer_token = Some("gateway-token".to_owned())).await;
    let mut c = client(&server);
    assert_401(
        &list_with(&c, Signing::default()).await,
        "Authorization header is missing",
    );
    c.extra_headers = vec![("Authorization".into(), "Bearer wrong".into())];
    assert_401(&list_with(&c, Signing::default()).await, "bearer token is not valid");
    c.extra_headers = vec![("Authorization".into(), "Bearer gateway-token".into())];
    assert_eq!(list_with(&c, Signing::default()).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn the_request_id_is_echoed_in_errors() {
    let server = start().await;
    let mut c = client(&server);
    c.extra_headers = vec![("X-Request-ID".into(), "trace-7f3a".into())];
    let reply = c.get(LIST, &[("page_size", "lots")]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["request"], "trace-7f3a");
    let unauthorized = list_with(
        &c,
        Signing {
            sdk_id: None,
            ..Signing::default()
        },
    )
    .await;
    assert_eq!(unauthorized.json()["error"]["request"], "trace-7f3a");
    server.stop().await;
}

#[tokio::test]
async fn fail_every_answers_500_on_every_nth_request() {
    let server = start().await;
    let c = client(&server);
    server.set_fail_every(Some(2));
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(list_with(&c, Signing::default()).await.status);
    }
    assert_eq!(statuses, [200, 500, 200, 500]);
    server.set_fail_every(None);
    let reply = list_with(&c, Signing::default()).await;
    assert_eq!(reply.status, 200);

    server.set_fail_every(Some(1));
    let failed = list_with(&c, Signing::default()).await;
    assert_eq!(failed.json()["error"]["code"], 500);
    assert_eq!(
        failed.json()["error"]["message"],
        "An internal server error occurred, please contact the system administrator"
    );
    server.stop().await;
}

#[tokio::test]
async fn dropped_connections_get_no_answer_at_all() {
    let server = start().await;
    let c = client(&server);
    server.drop_next_connections(1);
    let dropped = c
        .try_send("GET", LIST, &[("page_size", "1")], None, Signing::default())
        .await;
    assert!(dropped.is_err(), "got an answer: {dropped:?}");
    let next = list_with(&c, Signing::default()).await;
    assert_eq!(next.status, 200, "the server keeps serving");
    server.stop().await;
}

#[tokio::test]
async fn drop_every_cuts_every_nth_request() {
    let server = start_with(|o| o.drop_every = Some(2)).await;
    let c = client(&server);
    let mut answered = Vec::new();
    for _ in 0..4 {
        let reply = c
            .try_send("GET", LIST, &[("page_size", "1")], None, Signing::default())
            .await;
        answered.push(reply.is_ok());
    }
    assert_eq!(answered, [true, false, true, false]);
    server.stop().await;
}

#[tokio::test]
async fn latency_still_answers() {
    let server = start_with(|o| o.latency = std::time::Duration::from_millis(30)).await;
    let reply = list_with(&client(&server), Signing::default()).await;
    assert_eq!(reply.status, 200);
    server.stop().await;
}
