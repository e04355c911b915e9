//! The demo's sessions and recovery routes over HTTP, signed like every
//! admin request, against Kratos's behaviour (`src/demo/sessions.rs`,
//! `src/demo/recovery.rs` cite where each comes from).

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::support::demo::{Client, Reply, Signing, client, id_of, list_all, start, start_with};

/// `GET /admin/identities/{id}/sessions` with `params`.
pub async fn sessions(c: &Client, identity: &str, params: &[(&str, &str)]) -> Reply {
    c.get(&format!("/admin/identities/{identity}/sessions"), params).await
}

pub fn items(reply: &Reply) -> Vec<Value> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json().as_array().cloned().unwrap_or_default()
}

pub fn total(reply: &Reply) -> usize {
    reply
        .header("x-total-count")
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no X-Total-Count: {:?}", reply.headers))
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a time: {value}"))
}

async fn send(c: &Client, method: &str, endpoint: &str, params: &[(&str, &str)], body: Option<&Value>) -> Reply {
    let bytes = body.map(|b| b.to_string().into_bytes());
    c.send(method, endpoint, params, bytes.as_deref(), Signing::default())
        .await
}

/// A curated identity (state `state`) with exactly `count` sessions.
pub async fn with_sessions(c: &Client, state: &str, count: usize) -> Value {
    for identity in list_all(c, "500").await {
        if identity["state"] != state {
            continue;
        }
        let reply = sessions(c, &id_of(&identity), &[]).await;
        if total(&reply) == count {
            return identity;
        }
    }
    panic!("no {state} identity with {count} sessions in the seed")
}

#[tokio::test]
async fn an_identitys_sessions_come_newest_first_with_devices_and_the_identity() {
    let server = start().await;
    let c = client(&server);
    let identity = with_sessions(&c, "active", 5).await;
    let id = id_of(&identity);
    let reply = sessions(&c, &id, &[]).await;
    let list = items(&reply);
    assert_eq!((list.len(), total(&reply)), (5, 5));
    let issued: Vec<DateTime<Utc>> = list.iter().map(|s| time(&s["issued_at"])).collect();
    assert!(issued.windows(2).all(|w| w[0] > w[1]), "newest first: {issued:?}");
    let now = Utc::now();
    let active: Vec<bool> = list.iter().map(|s| s["active"] == true).collect();
    assert_eq!(
        active,
        [true, true, false, false, false],
        "two active, one revoked, two expired"
    );
    assert!(time(&list[2]["expires_at"]) > now, "the revoked one has not expired");
    assert!(time(&list[3]["expires_at"]) < now && time(&list[4]["expires_at"]) < now);
    for session in &list {
        let keys: Vec<&str> = session
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "id",
                "active",
                "expires_at",
                "authenticated_at",
                "authenticator_assurance_level",
                "authentication_methods",
                "issued_at",
                "identity",
                "devices"
            ],
            "session.Session's field order"
        );
        // ExpandEverything through pop's eager loading: the row, no schema_url,
        // no addresses; Identity.MarshalJSON drops metadata_admin.
        assert_eq!(session["identity"]["id"], identity["id"]);
        assert_eq!(session["identity"]["schema_url"], "");
        assert!(session["identity"].get("metadata_admin").is_none());
        assert!(session["identity"].get("credentials").is_none());
        assert!(session["identity"].get("recovery_addresses").is_none());
        let devices = session["devices"].as_array().cloned().unwrap_or_default();
        assert!(!devices.is_empty());
        for device in devices {
            for key in ["id", "ip_address", "user_agent", "location"] {
                assert!(device[key].is_string(), "{key}: {device}");
            }
        }
        assert!(
            session["authentication_methods"]
                .as_array()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // One page: ory/x's HeaderWithFormatter gives only `first`, sized to the total.
    let link = reply.header("link").unwrap_or_default();
    assert!(
        link.starts_with(&format!(
            "</admin/identities/{id}/sessions?page=0&page_size=5&page_token="
        )),
        "{link}"
    );
    assert!(link.ends_with("; rel=\"first\""), "{link}");
    assert!(!link.contains("nonce"), "the signing pair is not repeated: {link}");
    server.stop().await;
}

#[tokio::test]
async fn the_active_filter_reads_the_columns_and_an_inactive_identity_has_no_active_session() {
    let server = start().await;
    let c = client(&server);
    let identity = with_sessions(&c, "active", 5).await;
    let id = id_of(&identity);
    let active = items(&sessions(&c, &id, &[("active", "true")]).await);
    assert_eq!(active.len(), 2);
    assert!(active.iter().all(|s| s["active"] == true));
    let inactive = sessions(&c, &id, &[("active", "f")]).await;
    assert_eq!(total(&inactive), 3, "strconv.ParseBool reads f");
    let refused = sessions(&c, &id, &[("active", "yes")]).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["error"]["message"], "could not parse parameter active");

    // Deactivated: its sessions read inactive, but the filter, which looks
    // at the columns only, still counts them as active (session/session.go
    // IsActive; persister_session.go ListSessionsByIdentity).
    let blocked = with_sessions(&c, "inactive", 5).await;
    let blocked_id = id_of(&blocked);
    let all = items(&sessions(&c, &blocked_id, &[]).await);
    assert!(all.iter().all(|s| s["active"] == false), "{all:?}");
    let filtered = items(&sessions(&c, &blocked_id, &[("active", "true")]).await);
    assert_eq!(filtered.len(), 2);
    assert!(filtered.iter().all(|s| s["active"] == false));
    // One session read alone does not look at the identity.
    let sid = filtered[0]["id"].as_str().unwrap_or_default().to_owned();
    let alone = c.get(&format!("/admin/sessions/{sid}"), &[]).await;
    assert_eq!(alone.json()["active"], true);
    server.stop().await;
}

/// ory/kratos#3883: `page` is 0-based in the Link header and 1-based in
/// pop, so page 0 and 1 are the same page, and the `next` links repeat the
/// first page and never reach the last.
#[tokio::test]
async fn paging_has_kratos_off_by_one_and_page_numbers_from_one_see_everything() {
    let server = start().await;
    let c = client(&server);
    let identity = with_sessions(&c, "active", 5).await;
    let id = id_of(&identity);
    let all: Vec<Value> = items(&sessions(&c, &id, &[]).await);
    let ids = |list: &[Value]| {
        list.iter()
            .map(|s| s["id"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    let page = |n: &'static str| {
        let c = &c;
        let id = id.clone();
        async move { items(&sessions(c, &id, &[("per_page", "2"), ("page", n)]).await) }
    };
    assert_eq!(ids(&page("0").await), ids(&all[0..2]));
    assert_eq!(ids(&page("1").await), ids(&all[0..2]), "page 1 is page 0 again");
    assert_eq!(ids(&page("2").await), ids(&all[2..4]));
    assert_eq!(ids(&page("3").await), ids(&all[4..5]));
    assert!(page("4").await.is_empty());

    // Following `next` from the first page.
    let first = sessions(&c, &id, &[("page_size", "2")]).await;
    assert_eq!(
        first.link_entries().len(),
        2,
        "next and last, no first: {:?}",
        first.link_entries()
    );
    let mut seen = ids(&items(&first));
    let mut token = first.next_token();
    for _ in 0..10 {
        let Some(t) = token.take() else { break };
        let reply = sessions(&c, &id, &[("page_size", "2"), ("page_token", &t)]).await;
        seen.extend(ids(&items(&reply)));
        token = reply.next_token();
    }
    assert_eq!(seen.len(), 6, "three pages of two, one of them repeated: {seen:?}");
    assert!(!seen.contains(&ids(&all)[4]), "the last session is never reached");
    server.stop().await;
}

#[tokio::test]
async fn unknown_and_malformed_identities() {
    let server = start().await;
    let c = client(&server);
    let unknown = sessions(&c, "00000000-0000-4000-8000-000000000001", &[]).await;
    assert_eq!(
        (items(&unknown).len(), total(&unknown)),
        (0, 0),
        "no 404: nothing checks the identity"
    );
    let rels: Vec<String> = unknown
        .link_entries()
        .iter()
        .filter_map(|e| e.split("rel=\"").nth(1).map(|r| r.trim_end_matches('"').to_owned()))
        .collect();
    assert_eq!(rels, ["first", "next", "prev"], "HeaderWithFormatter with a total of 0");
    let bad = sessions(&c, "abc", &[]).await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json()["error"]["message"],
        "uuid: incorrect UUID length 3 in string \"abc\""
    );
    assert!(bad.json()["error"].get("reason").is_none());
    server.stop().await;
}

#[tokio::test]
async fn deleting_an_identitys_sessions_removes_them_and_a_second_delete_is_a_404() {
    let server = start().await;
    let c = client(&server);
    let identity = with_sessions(&c, "active", 5).await;
    let id = id_of(&identity);
    let before = items(&sessions(&c, &id, &[]).await);
    let endpoint = format!("/admin/identities/{id}/sessions");
    let deleted = send(&c, "DELETE", &endpoint, &[], None).await;
    assert_eq!((deleted.status, deleted.text.as_str()), (204, ""));
    let after = sessions(&c, &id, &[]).await;
    assert_eq!(total(&after), 0, "deleted, not deactivated");
    let again = send(&c, "DELETE", &endpoint, &[], None).await;
    assert_eq!(again.status, 404);
    assert_eq!(again.json()["error"]["message"], "Unable to locate the resource");
    let sid = before[0]["id"].as_str().unwrap_or_default();
    assert_eq!(c.get(&format!("/admin/sessions/{sid}"), &[]).await.status, 404);
    let nobody = send(
        &c,
        "DELETE",
        "/admin/identities/00000000-0000-4000-8000-000000000001/sessions",
        &[],
        None,
    )
    .await;
    assert_eq!(nobody.status, 404);
    server.stop().await;
}

#[tokio::test]
async fn one_session_is_read_with_what_expand_asks_for() {
    let server = start().await;
    let c = client(&server);
    let identity = with_sessions(&c, "active", 5).await;
    let list = items(&sessions(&c, &id_of(&identity), &[]).await);
    let sid = list[0]["id"].as_str().unwrap_or_default().to_owned();
    let endpoint = format!("/admin/sessions/{sid}");
    let plain = c.get(&endpoint, &[]).await;
    assert_eq!(plain.status, 200, "{}", plain.text);
    let plain = plain.json();
    assert_eq!(plain["identity"], Value::Null);
    assert_eq!(plain["devices"], json!([]));
    assert_eq!(plain["expires_at"], list[0]["expires_at"]);
    // (The test client signs as the Yoti SDK, which keeps one value per
    // name: one expand a request.)
    let with_devices = c.get(&endpoint, &[("expand", "devices")]).await.json();
    assert_eq!(with_devices["devices"], list[0]["devices"]);
    assert_eq!(with_devices["identity"], Value::Null);
    let expanded = c.get(&endpoint, &[("expand", "Identity")]).await.json();
    assert_eq!(expanded["devices"], json!([]));
    assert_eq!(expanded["identity"]["id"], identity["id"]);
    assert!(
        expanded["identity"]["schema_url"]
            .as_str()
            .is_some_and(|u| u.starts_with(&server.public_url())),
        "GetIdentity injects the schema URL"
    );
    assert!(expanded["identity"].get("metadata_admin").is_none());
    let refused = c.get(&endpoint, &[("expand", "credentials")]).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.reason(), "Could not parse expand option: credentials");
    let missing = c.get("/admin/sessions/00000000-0000-4000-8000-000000000001", &[]).await;
    assert_eq!(missing.status, 404);
    let bad = c.get("/admin/sessions/not-a-uuid", &[]).await;
    assert_eq!(bad.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn revoking_a_session_deactivates_it_and_is_idempotent() {
    let server = start().await;
    let c = client(&server);
    let identity = with_sessions(&c, "active", 5).await;
    let id = id_of(&identity);
    let sid = items(&sessions(&c, &id, &[]).await)[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let endpoint = format!("/admin/sessions/{sid}");
    for _ in 0..2 {
        let revoked = send(&c, "DELETE", &endpoint, &[], None).await;
        assert_eq!((revoked.status, revoked.text.as_str()), (204, ""));
    }
    let list = items(&sessions(&c, &id, &[]).await);
    assert_eq!(list.len(), 5, "the session data stays");
    assert_eq!(list[0]["active"], false);
    assert_eq!(c.get(&endpoint, &[]).await.json()["active"], false);
    let missing = send(
        &c,
        "DELETE",
        "/admin/sessions/00000000-0000-4000-8000-000000000001",
        &[],
        None,
    )
    .await;
    assert_eq!(missing.status, 404);
    server.stop().await;
}

#[tokio::test]
async fn extending_moves_expires_at_a_lifespan_from_now_and_answers_the_session() {
    let server = start().await;
    let c = client(&server);
    let identity = with_sessions(&c, "active", 5).await;
    let id = id_of(&identity);
    let list = items(&sessions(&c, &id, &[]).await);
    let expired = list[3]["id"].as_str().unwrap_or_default().to_owned();
    assert!(time(&list[3]["expires_at"]) < Utc::now());
    let before = Utc::now();
    let reply = send(&c, "PATCH", &format!("/admin/sessions/{expired}/extend"), &[], None).await;
    assert_eq!(
        reply.status, 200,
        "faster_session_extend is off by default: {}",
        reply.text
    );
    let session = reply.json();
    let expires = time(&session["expires_at"]);
    assert!(
        expires >= before + Duration::hours(24) - Duration::seconds(1) && expires <= Utc::now() + Duration::hours(24)
    );
    assert_eq!(session["active"], true, "an expired session extended is active again");
    assert_eq!(session["identity"]["id"], identity["id"]);
    assert_eq!(session["devices"], json!([]));
    let listed = items(&sessions(&c, &id, &[]).await);
    assert_eq!(listed[3]["expires_at"], session["expires_at"]);

    server.set_faster_session_extend(true);
    let fast = send(&c, "PATCH", &format!("/admin/sessions/{expired}/extend"), &[], None).await;
    assert_eq!((fast.status, fast.text.as_str()), (204, ""));
    let missing = send(
        &c,
        "PATCH",
        "/admin/sessions/00000000-0000-4000-8000-000000000001/extend",
        &[],
        None,
    )
    .await;
    assert_eq!(missing.status, 404);
    server.stop().await;
}

#[tokio::test]
async fn sessions_and_recovery_need_a_signature_like_every_admin_route() {
    let server = start().await;
    let c = client(&server);
    let identity = with_sessions(&c, "active", 5).await;
    let unsigned = Signing {
        send_digest: false,
        ..Signing::default()
    };
    let endpoint = format!("/admin/identities/{}/sessions", id_of(&identity));
    assert_eq!(c.send("GET", &endpoint, &[], None, unsigned.clone()).await.status, 401);
    assert_eq!(
        c.send("DELETE", &endpoint, &[], None, unsigned.clone()).await.status,
        401
    );
    let body = json!({"identity_id": identity["id"]}).to_string().into_bytes();
    assert_eq!(
        c.send("POST", "/admin/recovery/link", &[], Some(&body), unsigned)
            .await
            .status,
        401
    );
    assert_eq!(
        total(&sessions(&c, &id_of(&identity), &[]).await),
        5,
        "nothing was deleted"
    );
    server.stop().await;
}

#[tokio::test]
async fn behind_a_gateway_prefix_the_routes_move_with_it() {
    let server = start_with(|o| o.prefix = "/iam".to_owned()).await;
    let c = client(&server);
    let first = c.get("/iam/identities", &[("page_size", "1")]).await;
    let id = id_of(&items(&first)[0]);
    let reply = c.get(&format!("/iam/identities/{id}/sessions"), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        c.get(&format!("/admin/identities/{id}/sessions"), &[]).await.status,
        404
    );
    let body = json!({"identity_id": id});
    assert_eq!(
        send(&c, "POST", "/iam/recovery/code", &[], Some(&body)).await.status,
        201
    );
    server.stop().await;
}

#[tokio::test]
async fn a_recovery_link_is_on_the_public_url_and_expires_when_asked() {
    let server = start().await;
    let c = client(&server);
    let all = list_all(&c, "500").await;
    let with_address = all
        .iter()
        .find(|i| i["recovery_addresses"].as_array().is_some_and(|a| !a.is_empty()))
        .cloned()
        .unwrap_or_default();
    let before = Utc::now();
    let reply = send(
        &c,
        "POST",
        "/admin/recovery/link",
        &[],
        Some(&json!({"identity_id": with_address["id"]})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let answer = reply.json();
    let keys: Vec<&str> = answer
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys, ["recovery_link", "expires_at"]);
    let link = answer["recovery_link"].as_str().unwrap_or_default();
    let prefix = format!("{}/self-service/recovery?flow=", server.public_url());
    assert!(link.starts_with(&prefix), "{link}");
    let token = link.split("&token=").nth(1).unwrap_or_default();
    assert!(
        token.len() == 32 && token.chars().all(|c| c.is_ascii_alphanumeric()),
        "{link}"
    );
    let expires = time(&answer["expires_at"]);
    assert!(
        expires >= before + Duration::minutes(59) && expires <= Utc::now() + Duration::hours(1),
        "1 h by default"
    );

    let short = send(
        &c,
        "POST",
        "/admin/recovery/link",
        &[],
        Some(&json!({"identity_id": with_address["id"], "expires_in": "15m"})),
    )
    .await;
    let expires = time(&short.json()["expires_at"]);
    assert!(expires <= Utc::now() + Duration::minutes(15) && expires >= before + Duration::minutes(14));
    let again = send(
        &c,
        "POST",
        "/admin/recovery/link",
        &[],
        Some(&json!({"identity_id": with_address["id"]})),
    )
    .await;
    assert_ne!(
        again.json()["recovery_link"],
        answer["recovery_link"],
        "a fresh token each time"
    );

    // Kratos makes a link for an identity without a recovery address too.
    let without = all
        .iter()
        .find(|i| i["recovery_addresses"].as_array().is_none_or(Vec::is_empty))
        .cloned()
        .unwrap_or_default();
    let reply = send(
        &c,
        "POST",
        "/admin/recovery/link",
        &[],
        Some(&json!({"identity_id": without["id"]})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    server.stop().await;
}

#[tokio::test]
async fn a_recovery_code_is_six_digits_and_created() {
    let server = start().await;
    let c = client(&server);
    let all = list_all(&c, "500").await;
    let reply = send(
        &c,
        "POST",
        "/admin/recovery/code",
        &[],
        Some(&json!({"identity_id": all[0]["id"], "expires_in": "1h30m"})),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let answer = reply.json();
    let keys: Vec<&str> = answer
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys, ["recovery_link", "recovery_code", "expires_at"]);
    let code = answer["recovery_code"].as_str().unwrap_or_default();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    assert!(
        answer["recovery_link"]
            .as_str()
            .is_some_and(|l| l.starts_with(&format!("{}/recovery?flow=", server.public_url())))
    );
    assert!(time(&answer["expires_at"]) > Utc::now() + Duration::minutes(89));
    server.stop().await;
}

#[tokio::test]
async fn recovery_refusals_are_kratos_envelopes() {
    let server = start().await;
    let c = client(&server);
    let all = list_all(&c, "500").await;
    let id = all[0]["id"].clone();
    let unknown = json!({"identity_id": "00000000-0000-4000-8000-000000000001"});
    let link = send(&c, "POST", "/admin/recovery/link", &[], Some(&unknown)).await;
    assert_eq!(
        (link.status, link.reason()),
        (400, "The requested identity id does not exist.".to_owned())
    );
    let code = send(&c, "POST", "/admin/recovery/code", &[], Some(&unknown)).await;
    assert_eq!(
        (code.status, code.reason()),
        (404, "could not find identity".to_owned())
    );
    assert_eq!(code.json()["error"]["message"], "Unable to locate the resource");
    for (endpoint, expires_in, reason) in [
        (
            "/admin/recovery/link",
            "soon",
            "Unable to parse \"expires_in\" whose format should match \"[0-9]+(ns|us|ms|s|m|h)\" but did not: soon",
        ),
        (
            "/admin/recovery/link",
            "-1h",
            "Value from \"expires_in\" must be result to a future time: -1h",
        ),
        (
            "/admin/recovery/code",
            "0s",
            "Value from \"expires_in\" must result to a future time: 0s",
        ),
    ] {
        let reply = send(
            &c,
            "POST",
            endpoint,
            &[],
            Some(&json!({"identity_id": id, "expires_in": expires_in})),
        )
        .await;
        assert_eq!(
            (reply.status, reply.reason()),
            (400, reason.to_owned()),
            "{endpoint} {expires_in}"
        );
    }
    let flow = send(
        &c,
        "POST",
        "/admin/recovery/code",
        &[],
        Some(&json!({"identity_id": id, "flow_type": "native"})),
    )
    .await;
    assert_eq!(
        (flow.status, flow.reason()),
        (400, "Value from \"flow_type\" is not valid: \"native\"".to_owned())
    );

    assert!(server.set_recovery_method("link", false));
    let off = send(
        &c,
        "POST",
        "/admin/recovery/link",
        &[],
        Some(&json!({"identity_id": id})),
    )
    .await;
    assert_eq!(off.status, 404);
    assert!(
        off.reason()
            .starts_with("This endpoint was disabled by system administrator."),
        "{}",
        off.text
    );
    let code = send(
        &c,
        "POST",
        "/admin/recovery/code",
        &[],
        Some(&json!({"identity_id": id})),
    )
    .await;
    assert_eq!(code.status, 201, "the other method is still on");
    server.stop().await;
}
