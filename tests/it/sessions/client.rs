//! idcon's client for sessions and recovery: against the demo (Kratos's
//! paging off by one, revoke one and all, extend's two answers, recovery
//! secrets kept out of the exchange), and against small servers that page
//! as a fixed Kratos would, or ignore `page`.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use idcon::api::recovery::{ExpiresIn, RecoveryKind, RecoveryRequest, RecoveryWarning, explain_failure};
use idcon::api::sessions::{RevokedAll, SessionExpand, SessionQuery, SessionState};
use idcon::api::{ApiError, Client};
use idcon::config::Profile;

use super::demo_routes::with_sessions;
use crate::support::cli_env::CliEnv;
use crate::support::demo::{client as demo_client, id_of, list_all};

async fn env() -> CliEnv {
    CliEnv::start_with(idcon::demo::DemoOptions::for_tests()).await
}

#[tokio::test]
async fn the_pager_reads_every_session_once_despite_kratos_paging() {
    let env = env().await;
    let c = demo_client(&env.demo);
    let identity = with_sessions(&c, "active", 5).await;
    let id = id_of(&identity);
    let client = env.client();
    let everything = client
        .session_pager(&id, SessionQuery::default())
        .collect_all()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(everything.len(), 5);
    for per_page in [1, 2, 3, 4, 5, 6] {
        let mut pager = client.session_pager(&id, SessionQuery { active: None, per_page });
        let mut pages = 0;
        let mut read = Vec::new();
        while let Some(page) = pager.next_page().await.unwrap_or_else(|e| panic!("{e}")) {
            pages += 1;
            read.extend(page.value.items);
        }
        let ids: Vec<&str> = read.iter().map(|s| s.id.as_str()).collect();
        let expected: Vec<&str> = everything.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, expected, "per_page {per_page}: every session once, newest first");
        assert!(
            pages <= 5usize.div_ceil(per_page as usize) + 1,
            "per_page {per_page}: {pages} pages"
        );
    }
    let active = client
        .session_pager(
            &id,
            SessionQuery {
                active: Some(true),
                per_page: 1,
            },
        )
        .collect_all()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(active.len(), 2);
    let now = chrono::Utc::now();
    let states: Vec<SessionState> = everything.iter().map(|s| s.state(now)).collect();
    assert_eq!(
        states,
        [
            SessionState::Active,
            SessionState::Active,
            SessionState::Inactive,
            SessionState::Expired,
            SessionState::Expired
        ]
    );
    assert!(everything.iter().all(|s| !s.devices.is_empty() && s.identity.is_some()));
    env.demo.stop().await;
}

#[tokio::test]
async fn revoke_one_and_all_and_extend_through_the_client() {
    let env = env().await;
    let c = demo_client(&env.demo);
    let identity = with_sessions(&c, "active", 5).await;
    let id = id_of(&identity);
    let client = env.client();
    let all = client
        .session_pager(&id, SessionQuery::default())
        .collect_all()
        .await
        .unwrap_or_default();
    let first = all[0].id.clone();
    let exchange = client.revoke_session(&first).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exchange.status, 204);
    let read = client
        .get_session(&first, &[SessionExpand::Devices])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!read.value.active && !read.value.devices.is_empty());

    let expired = all[4].id.clone();
    let extended = client.extend_session(&expired).await.unwrap_or_else(|e| panic!("{e}"));
    let session = extended.value.unwrap_or_else(|| panic!("200 with the session"));
    assert!(session.active && session.expires_at_time() > Some(chrono::Utc::now() + chrono::Duration::hours(23)));
    env.demo.set_faster_session_extend(true);
    let fast = client.extend_session(&expired).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((fast.value, fast.exchange.status), (None, 204));

    let revoked = client
        .revoke_identity_sessions(&id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(revoked.value, RevokedAll::Revoked);
    let again = client
        .revoke_identity_sessions(&id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((again.value, again.exchange.status), (RevokedAll::NoneLeft, 404));
    let left = client
        .session_pager(&id, SessionQuery::default())
        .collect_all()
        .await
        .unwrap_or_default();
    assert!(left.is_empty());
    let missing = client.get_session(&first, &[]).await.err();
    assert!(missing.as_ref().is_some_and(ApiError::is_not_found), "{missing:?}");
    env.demo.stop().await;
}

#[tokio::test]
async fn a_read_only_profile_signs_and_sends_no_session_or_recovery_write() {
    let env = env().await;
    let c = demo_client(&env.demo);
    let identity = with_sessions(&c, "active", 5).await;
    let id = id_of(&identity);
    let mut profile = env.profile();
    profile.read_only = true;
    let client = Client::new(&profile).unwrap_or_else(|e| panic!("{e}"));
    let before = env.demo.request_log().len();
    let request = RecoveryRequest {
        identity_id: id.clone(),
        kind: RecoveryKind::Link,
        expires_in: None,
    };
    for refused in [
        client
            .revoke_session("a021e6c2-e2d0-4635-ba12-17d2d393c96d")
            .await
            .err(),
        client.revoke_identity_sessions(&id).await.err(),
        client
            .extend_session("a021e6c2-e2d0-4635-ba12-17d2d393c96d")
            .await
            .err(),
        client.create_recovery(&request).await.err(),
    ] {
        assert!(matches!(refused, Some(ApiError::ReadOnly { .. })), "{refused:?}");
    }
    assert_eq!(env.demo.request_log().len(), before, "nothing reached the server");
    // Reading is fine.
    let listed = client.list_identity_sessions(&id, &SessionQuery::default(), 0).await;
    assert!(listed.is_ok_and(|page| page.value.total == Some(5)));
    env.demo.stop().await;
}

#[tokio::test]
async fn recovery_secrets_reach_the_caller_and_never_the_exchange() {
    let env = env().await;
    let c = demo_client(&env.demo);
    let all = list_all(&c, "500").await;
    let client = env.client();
    for kind in [RecoveryKind::Link, RecoveryKind::Code] {
        let request = RecoveryRequest {
            identity_id: id_of(&all[0]),
            kind,
            expires_in: ExpiresIn::parse("20m").ok(),
        };
        let answer = client.create_recovery(&request).await.unwrap_or_else(|e| panic!("{e}"));
        let link = answer.value.link.expose().to_owned();
        assert!(link.starts_with(&env.demo.public_url()), "{link}");
        let exchange = format!("{:?}", answer.exchange);
        assert!(!exchange.contains(&link), "{exchange}");
        if let Some(token) = link.split("token=").nth(1) {
            assert!(!exchange.contains(token), "{exchange}");
        }
        if let Some(code) = &answer.value.code {
            assert_eq!(code.expose().len(), 6);
            assert!(!answer.exchange.body_text().contains(code.expose()), "{exchange}");
        }
        assert!(!format!("{:?}", answer.value).contains(&link));
        let expires = answer.value.expires_at_time().unwrap_or_default();
        assert!(expires <= chrono::Utc::now() + chrono::Duration::minutes(20));
        assert!(answer.exchange.body_text().contains("expires_at"));
    }
    env.demo.stop().await;
}

#[tokio::test]
async fn recovery_failures_are_told_in_plain_words() {
    let env = env().await;
    let c = demo_client(&env.demo);
    let all = list_all(&c, "500").await;
    let client = env.client();
    let request = |kind, id: &str| RecoveryRequest {
        identity_id: id.to_owned(),
        kind,
        expires_in: None,
    };
    let unknown = "00000000-0000-4000-8000-000000000001";
    for kind in [RecoveryKind::Link, RecoveryKind::Code] {
        let asked = request(kind, unknown);
        let Err(err) = client.create_recovery(&asked).await else {
            panic!("an unknown identity got a {kind}")
        };
        let said = explain_failure(&err, &asked).unwrap_or_default();
        assert_eq!(
            said,
            format!("no identity {unknown} on this server; no recovery {kind} was made")
        );
    }
    assert!(env.demo.set_recovery_method("code", false));
    let asked = request(RecoveryKind::Code, &id_of(&all[0]));
    let err = client
        .create_recovery(&asked)
        .await
        .err()
        .unwrap_or_else(|| panic!("made a code"));
    let said = explain_failure(&err, &asked).unwrap_or_default();
    assert!(
        said.starts_with("recovery by code is switched off on this server"),
        "{said}"
    );

    // What idcon says before making one, from the identity it read.
    let bare = all
        .iter()
        .find(|i| i["recovery_addresses"].as_array().is_none_or(Vec::is_empty))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        RecoveryWarning::of_identity(&bare),
        [RecoveryWarning::NoRecoveryAddress]
    );
    let mut inactive = all[0].clone();
    inactive["state"] = json!("inactive");
    assert!(RecoveryWarning::of_identity(&inactive).contains(&RecoveryWarning::Inactive));
    env.demo.stop().await;
}

// ----- servers that page otherwise ----------------------------------------

#[derive(Clone)]
struct Paging {
    /// `page` counted from 0 (a fixed Kratos), or ignored.
    honour_page: bool,
    total_header: bool,
}

fn fake_sessions(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "id": format!("00000000-0000-4000-8000-{i:012}"),
                "active": true,
                "expires_at": "2999-01-01T00:00:00Z",
                "authentication_methods": [],
                "devices": [],
                "identity": null
            })
        })
        .collect()
}

async fn fake_list(State(paging): State<Paging>, Query(query): Query<Vec<(String, String)>>) -> impl IntoResponse {
    let get = |k: &str| {
        query
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let per_page = get("per_page").unwrap_or(250);
    let page = if paging.honour_page {
        get("page").unwrap_or(0)
    } else {
        0
    };
    let all = fake_sessions(7);
    let items: Vec<Value> = all.iter().skip(page * per_page).take(per_page).cloned().collect();
    let mut headers = HeaderMap::new();
    if paging.total_header {
        headers.insert("x-total-count", "7".parse().unwrap_or_else(|_| panic!("header")));
    }
    (headers, axum::Json(Value::Array(items)))
}

async fn serve(paging: Paging) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let app = Router::new()
        .route("/admin/identities/{id}/sessions", axum::routing::get(fake_list))
        .with_state(paging);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}

fn unsigned_client(addr: SocketAddr) -> Client {
    let url = url::Url::parse(&format!("http://{addr}")).unwrap_or_else(|e| panic!("{e}"));
    Client::new(&Profile::for_base_url("fake", url)).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_server_that_counts_pages_from_zero_is_read_whole_too() {
    for total_header in [true, false] {
        let (addr, task) = serve(Paging {
            honour_page: true,
            total_header,
        })
        .await;
        let client = unsigned_client(addr);
        let query = SessionQuery {
            active: None,
            per_page: 3,
        };
        let read = client
            .session_pager("x", query)
            .collect_all()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.len(), 7, "total header {total_header}");
        task.abort();
    }
}

#[tokio::test]
async fn a_server_that_ignores_the_page_is_stopped_not_followed_forever() {
    let (addr, task) = serve(Paging {
        honour_page: false,
        total_header: true,
    })
    .await;
    let client = unsigned_client(addr);
    let query = SessionQuery {
        active: None,
        per_page: 3,
    };
    let result = client.session_pager("x", query).collect_all().await;
    assert!(matches!(result, Err(ApiError::PagingLoop { .. })), "{result:?}");
    task.abort();
}
