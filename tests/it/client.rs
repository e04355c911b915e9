//! The API client against a real HTTP server on a loopback port, started by
//! each test: paging by `Link` header (with foreign hosts in the links), every
//! error shape, timeouts, refused connections, TLS failure, size cap, request
//! signatures checked with the public key, unknown fields surviving
//! GET -> body -> PUT, and schema reads that follow Kratos's admin -> public
//! redirect without taking credentials along.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use url::Url;

use idcon::api::{
    ApiError, AttributeUpdate, Client, ClientOptions, CredentialsImport, IdentityFilter, IdentityQuery, TimeoutPhase,
    UpdateIdentityBody,
};
use idcon::config::Profile;
use idcon::signing::{self, SigningKey, VerifyingKey};

/// Where the test server mounts the Kratos API: the base URL's own path,
/// which is not part of what is signed.
const API_MOUNT: &str = "/gw";
const REGISTRY_MOUNT: &str = "/registry/api/v1/attribute-registry";
const SDK_ID: &str = "test-sdk-id";

// ---------------------------------------------------------------------------
// The test server

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    raw_query: String,
    headers: HeaderMap,
    body: Vec<u8>,
    /// `Some(true)` when a digest came and verified against the query and body.
    signature_ok: Option<bool>,
}

impl Seen {
    fn query(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.raw_query.as_bytes())
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect()
    }

    fn param(&self, name: &str) -> Option<String> {
        self.query().into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }
}

struct Server {
    key: VerifyingKey,
    seen: Mutex<Vec<Seen>>,
    identities: Vec<Value>,
    /// The identity returned by GET /identities/rich, and what PUT stores.
    rich: Mutex<Value>,
    /// Redirects this server answers before any route: path, status and
    /// location (`{query}` in it is replaced by the request's raw query, as
    /// Kratos's `RedirectToPublicRoute` copies it).
    redirects: Mutex<Vec<(String, u16, String)>>,
}

struct TestServer {
    state: Arc<Server>,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
    key_path: PathBuf,
}

impl TestServer {
    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("lock").clone()
    }

    fn base_url(&self) -> Url {
        Url::parse(&format!("http://{}{API_MOUNT}/", self.addr)).expect("base URL")
    }

    fn profile(&self) -> Profile {
        let mut profile = Profile::for_base_url("test", self.base_url());
        profile.key_file = Some(self.key_path.clone());
        profile.sdk_id = Some(SDK_ID.to_owned());
        profile.attribute_registry_url =
            Some(Url::parse(&format!("http://{}{REGISTRY_MOUNT}", self.addr)).expect("registry URL"));
        profile.timeout = Duration::from_secs(5);
        profile.connect_timeout = Duration::from_secs(2);
        profile
    }

    fn client(&self) -> Client {
        Client::new(&self.profile()).expect("client")
    }

    /// `http://addr/gw`: this server's origin and API mount.
    fn mount(&self) -> String {
        format!("http://{}{API_MOUNT}", self.addr)
    }

    /// Answers `path` (any method) with `status` and `location`.
    fn redirect(&self, path: &str, status: u16, location: &str) {
        self.state
            .redirects
            .lock()
            .expect("lock")
            .push((path.to_owned(), status, location.to_owned()));
    }
}

fn private_key_copy(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys/rsa_pkcs8.pem");
    let path = dir.join("key.pem");
    std::fs::copy(&source, &path).expect("copy key");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod 600");
    path
}

fn identity(n: usize) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "schema_id": "default",
        "schema_url": "http://kratos.internal/schemas/ZGVmYXVsdA",
        "state": "active",
        "traits": {"email": format!("user{n}@example.com")},
        "metadata_public": null,
        "metadata_admin": null,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "organization_id": null
    })
}

/// An identity with everything Kratos sends, plus fields no version of idcon
/// knows, at the top and nested; `null` and absent both present.
fn rich_identity() -> Value {
    json!({
        "id": "11111111-2222-4333-8444-555555555555",
        "schema_id": "customer",
        "schema_url": "https://kratos.internal/schemas/Y3VzdG9tZXI",
        "state": "inactive",
        "state_changed_at": "2024-03-01T10:00:00.123456Z",
        "traits": {"email": "ana@example.com", "name": {"first": "Ana", "last": "Müller"}, "future_trait": [1, 2.5, null]},
        "metadata_admin": null,
        "credentials": {
            "password": {"type": "password", "identifiers": ["ana@example.com"], "version": 0,
                          "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
                          "config": {}, "credential_future": true},
            "oidc": {"type": "oidc", "identifiers": ["google:1234:5678"], "config": null}
        },
        "verifiable_addresses": [{"id": "a1", "value": "ana@example.com", "verified": false, "via": "email",
                                   "status": "pending", "verified_at": null, "address_future": {"k": "v"}}],
        "recovery_addresses": [{"id": "r1", "value": "ana@example.com", "via": "email", "recovery_future": 7}],
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-03-01T10:00:00.123456Z",
        "organization_id": null,
        "external_id": "crm-42",
        "region": "eu-central",
        "future_top_level": {"nested": {"deep": [true, "x"]}},
        "another_future": null
    })
}

async fn start() -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let key_path = private_key_copy(dir.path());
    let key = SigningKey::from_pem_file(&key_path, false)
        .expect("test key")
        .verifying_key();
    let state = Arc::new(Server {
        key,
        seen: Mutex::new(Vec::new()),
        identities: (1..=5).map(identity).collect(),
        rich: Mutex::new(rich_identity()),
        redirects: Mutex::new(Vec::new()),
    });
    let app = Router::new().fallback(handle).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    TestServer {
        state,
        addr,
        _dir: dir,
        key_path,
    }
}

/// A page token in a server's own format, with characters that must be
/// percent-encoded in a URL.
fn token_for(offset: usize) -> String {
    format!("opaque+/={offset}é")
}

fn offset_of(token: &str) -> Option<usize> {
    token.strip_prefix("opaque+/=")?.strip_suffix('é')?.parse().ok()
}

fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

fn envelope(code: u16, status: &str, reason: &str, message: &str) -> Value {
    json!({"error": {"code": code, "status": status, "reason": reason, "message": message,
                     "details": {"docs": "https://example/errors", "attempt": 3}, "request": "srv-request-9"}})
}

async fn handle(State(state): State<Arc<Server>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default().to_vec();
    let path = parts.uri.path().to_owned();
    let raw_query = parts.uri.query().unwrap_or_default().to_owned();
    let method = parts.method.as_str().to_owned();

    // Check the signature the way the demo server will: the path relative to
    // where the API is mounted, plus the raw query as received.
    let relative = path
        .strip_prefix(API_MOUNT)
        .or_else(|| path.strip_prefix(REGISTRY_MOUNT))
        .unwrap_or(&path);
    let signature_ok = parts.headers.get(signing::DIGEST_HEADER).map(|digest| {
        let digest = String::from_utf8_lossy(digest.as_bytes()).into_owned();
        let path_and_query = format!("{relative}?{raw_query}");
        let body = (!body.is_empty()).then_some(body.as_slice());
        signing::verify_request(&state.key, &method, &path_and_query, body, &digest).is_ok()
    });
    let seen = Seen {
        method: method.clone(),
        path: path.clone(),
        raw_query,
        headers: parts.headers.clone(),
        body: body.clone(),
        signature_ok,
    };
    state.seen.lock().expect("lock").push(seen.clone());

    let redirect = state
        .state_redirect(&path)
        .map(|(status, location)| (status, location.replace("{query}", &seen.raw_query)));
    if let Some((status, location)) = redirect {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::TEMPORARY_REDIRECT);
        return (status, [("location", location)]).into_response();
    }

    let identities_path = format!("{API_MOUNT}/admin/identities");
    if let Some(kind) = path.strip_prefix(&format!("{identities_path}/echo-")) {
        return echo(kind, &seen);
    }
    match (method.as_str(), path.as_str()) {
        ("GET", p) if p == identities_path => list_page(&state, &seen),
        ("GET", p) if p == format!("{API_MOUNT}/schemas") => schema_page(&seen),
        ("GET", p) if p.starts_with(&format!("{API_MOUNT}/schemas/")) => {
            json_response(StatusCode::OK, &json!({"$id": "x", "type": "object"}))
        }
        ("PUT", p) if p == format!("{REGISTRY_MOUNT}/attribute/update") => {
            json_response(StatusCode::OK, &json!({"status": "UPDATED"}))
        }
        (_, p) if p.starts_with(&format!("{identities_path}/")) => {
            let id = p.trim_start_matches(&format!("{identities_path}/")).to_owned();
            identity_route(&state, &method, &id, &body).await
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            &envelope(
                404,
                "Not Found",
                "no such route",
                "The requested resource could not be found",
            ),
        ),
    }
}

impl Server {
    fn state_redirect(&self, path: &str) -> Option<(u16, String)> {
        self.redirects
            .lock()
            .expect("lock")
            .iter()
            .find(|(p, _, _)| p == path)
            .map(|(_, status, location)| (*status, location.clone()))
    }
}

fn list_page(state: &Server, seen: &Seen) -> Response {
    if seen.param("credentials_identifier").as_deref() == Some("endless") {
        // A hostile server: a new next link every time, which also tries to
        // slip `include_credential=password` into the next signed request.
        let offset = seen.param("page_token").and_then(|t| offset_of(&t)).unwrap_or(0);
        let link = format!(
            r#"</admin/identities?include_credential=password&credentials_identifier=other&page_token={}>; rel="next""#,
            enc(&token_for(offset + 1))
        );
        return ([("link", link)], Json(json!([identity(offset)]))).into_response();
    }
    if seen.param("credentials_identifier").as_deref() == Some("loop") {
        // A broken server that always points at the same next page.
        let link = format!(r#"</admin/identities?page_token={}>; rel="next""#, enc("same"));
        return ([("link", link)], Json(json!([identity(1)]))).into_response();
    }
    if let Some(ids) = Some(
        seen.query()
            .into_iter()
            .filter(|(n, _)| n == "ids")
            .map(|(_, v)| v)
            .collect::<Vec<_>>(),
    ) && !ids.is_empty()
    {
        let found: Vec<Value> = state
            .identities
            .iter()
            .filter(|i| ids.iter().any(|id| i["id"] == id.as_str()))
            .cloned()
            .collect();
        let Some(size) = seen.param("page_size").and_then(|s| s.parse::<usize>().ok()) else {
            return json_response(StatusCode::OK, &Value::Array(found));
        };
        // Paged like Kratos behind a gateway that strips the query: the next
        // link carries only the page token, not the filter.
        let offset = seen.param("page_token").and_then(|t| offset_of(&t)).unwrap_or(0);
        let page: Vec<Value> = found.iter().skip(offset).take(size).cloned().collect();
        let mut response = json_response(StatusCode::OK, &Value::Array(page));
        if offset + size < found.len() {
            let link = format!(
                r#"</admin/identities?page_token={}>; rel="next""#,
                enc(&token_for(offset + size))
            );
            if let Ok(value) = link.parse() {
                response.headers_mut().append("link", value);
            }
        }
        return response;
    }
    let size: usize = seen.param("page_size").and_then(|s| s.parse().ok()).unwrap_or(250);
    let offset = match seen.param("page_token") {
        None => 0,
        Some(token) => match offset_of(&token) {
            Some(offset) => offset,
            None => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &envelope(400, "Bad Request", "bad page token", "The request was malformed"),
                );
            }
        },
    };
    let items: Vec<Value> = state.identities.iter().skip(offset).take(size).cloned().collect();
    let next = offset + size;
    let mut headers = Vec::new();
    // Each page words its links differently; none points at this server.
    match offset {
        0 if next < state.identities.len() => headers.push((
            "link",
            format!(
                r#"<https://kratos.internal:4434/admin/identities?page_size={size}&page_token={}&nonce=stale&timestamp=1>; rel="next", <https://kratos.internal:4434/admin/identities?page_size={size}>; rel="first""#,
                enc(&token_for(next))
            ),
        )),
        _ if next < state.identities.len() => {
            headers.push(("link", format!("<http://10.0.0.9/admin/identities?page_size={size}>; rel=first")));
            headers.push((
                "link",
                format!(
                    r#"<//elsewhere.example/other/path?page_size={size}&page_token={}>;title="a, b";REL="prefetch Next""#,
                    enc(&token_for(next))
                ),
            ));
        }
        _ => headers.push((
            "link",
            format!(r#"</admin/identities?page_size={size}>; rel="first""#),
        )),
    }
    let mut response = Json(Value::Array(items)).into_response();
    for (name, value) in headers {
        if let Ok(value) = value.parse() {
            response.headers_mut().append(name, value);
        }
    }
    response
}

fn schema_page(seen: &Seen) -> Response {
    match seen.param("page_token").as_deref() {
        None => {
            let link = format!(r#"<http://internal/schemas?page_token={}>; rel="next""#, enc("s2"));
            (
                [("link", link)],
                Json(json!([{"id": "default", "schema": {"type": "object"}}])),
            )
                .into_response()
        }
        Some("s2") => Json(json!([{"id": "customer", "schema": {"type": "object"}, "extra_field": 1}])).into_response(),
        Some(_) => json_response(
            StatusCode::BAD_REQUEST,
            &envelope(400, "Bad Request", "bad token", "bad"),
        ),
    }
}

fn html_502() -> String {
    format!(
        "<html><body><h1>502 Bad Gateway</h1>{}</body></html>",
        "padding ".repeat(200)
    )
}

struct Json(Value);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, &self.0)
    }
}

async fn identity_route(state: &Server, method: &str, id: &str, body: &[u8]) -> Response {
    match (method, id) {
        ("GET", "rich") => json_response(StatusCode::OK, &state.rich.lock().expect("lock").clone()),
        ("PUT", "rich") => {
            let Ok(update) = serde_json::from_slice::<Value>(body) else {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &envelope(400, "Bad Request", "not JSON", "bad"),
                );
            };
            let mut stored = state.rich.lock().expect("lock");
            for (k, v) in update.as_object().into_iter().flatten() {
                stored[k] = v.clone();
            }
            json_response(StatusCode::OK, &stored.clone())
        }
        ("PUT", "invalid-email") => json_response(
            StatusCode::BAD_REQUEST,
            &envelope(
                400,
                "Bad Request",
                r#"I[#/traits/email] S[#/properties/traits/properties/email/format] "nope" is not valid "email""#,
                "The request was malformed or contained invalid parameters",
            ),
        ),
        ("GET", "html-502") => (StatusCode::BAD_GATEWAY, [("content-type", "text/html")], html_502()).into_response(),
        ("GET", "empty-503") => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        ("GET", "slow") => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            json_response(StatusCode::OK, &identity(1))
        }
        ("GET", "huge") => json_response(StatusCode::OK, &json!({"blob": "x".repeat(8192)})),
        ("GET", "huge-stream") => {
            let chunks: Vec<Result<Bytes, std::io::Error>> =
                (0..16).map(|_| Ok(Bytes::from(vec![b' '; 1024]))).collect();
            Body::from_stream(futures::stream::iter(chunks)).into_response()
        }
        ("GET", "moved") => (StatusCode::FOUND, [("location", "https://elsewhere.example/steal")]).into_response(),
        ("GET", "not-an-identity") => json_response(StatusCode::OK, &json!({"hello": "world"})),
        ("GET", id) => match state.identities.iter().find(|i| i["id"] == id) {
            Some(found) => json_response(StatusCode::OK, found),
            None => json_response(
                StatusCode::NOT_FOUND,
                &envelope(
                    404,
                    "Not Found",
                    "Unable to locate the resource",
                    "The requested resource could not be found",
                ),
            ),
        },
        _ => json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &envelope(405, "Method Not Allowed", "no", "no"),
        ),
    }
}

// ---------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn pages_follow_the_link_query_on_our_own_base_url() {
    let server = start().await;
    let client = server.client();
    let mut pager = client.pager(IdentityQuery {
        page_size: Some(2),
        filter: IdentityFilter::All,
    });
    let mut ids = Vec::new();
    let mut pages = 0;
    while let Some(page) = pager.next_page().await.expect("page") {
        pages += 1;
        assert!(pages <= 5, "paging does not end");
        ids.extend(page.value.items.iter().map(|i| i.id.clone()));
    }
    let expected: Vec<String> = (1..=5)
        .map(|n| identity(n)["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(pages, 3);

    let seen = server.seen();
    assert_eq!(seen.len(), 3, "one request per page, none elsewhere");
    for (index, request) in seen.iter().enumerate() {
        // Rebuilt on the profile's base URL and identities path, whatever the link said.
        assert_eq!(request.path, "/gw/admin/identities", "request {index}");
        assert_eq!(request.param("page_size").as_deref(), Some("2"), "request {index}");
        assert_eq!(request.signature_ok, Some(true), "request {index} signature");
        let nonces = request.query().iter().filter(|(n, _)| n == "nonce").count();
        assert_eq!(nonces, 1, "request {index}: one fresh nonce");
        assert_ne!(request.param("nonce").as_deref(), Some("stale"));
    }
    assert_eq!(seen[0].param("page_token"), None);
    assert_eq!(
        seen[1].param("page_token"),
        Some(token_for(2)),
        "token decoded and re-encoded exactly"
    );
    assert_eq!(seen[2].param("page_token"), Some(token_for(4)));
}

#[tokio::test]
async fn a_single_page_hands_back_the_next_cursor_and_the_last_page_has_none() {
    let server = start().await;
    let client = server.client();
    let first = client
        .list_identities(&IdentityQuery {
            page_size: Some(3),
            filter: IdentityFilter::All,
        })
        .await
        .expect("first page");
    assert_eq!(first.value.items.len(), 3);
    assert_eq!(first.value.next_page_token(), Some(token_for(3).as_str()));
    let cursor = first.value.next.clone().expect("a next page");
    let second = client.list_identities_from(&cursor).await.expect("second page");
    assert_eq!(second.value.items.len(), 2);
    assert_eq!(second.value.next, None, "no rel=next: last page");
}

#[tokio::test]
async fn a_filter_survives_paging_and_repeated_ids_are_signed() {
    let server = start().await;
    let client = server.client();
    let wanted = vec![
        identity(2)["id"].as_str().unwrap_or_default().to_owned(),
        identity(4)["id"].as_str().unwrap_or_default().to_owned(),
    ];
    let page = client
        .list_identities(&IdentityQuery {
            page_size: None,
            filter: IdentityFilter::Ids(wanted.clone()),
        })
        .await
        .expect("ids filter");
    let got: Vec<String> = page.value.items.iter().map(|i| i.id.clone()).collect();
    assert_eq!(got, wanted);
    let seen = server.seen();
    let ids: Vec<String> = seen[0]
        .query()
        .into_iter()
        .filter(|(n, _)| n == "ids")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(ids, wanted, "both ids sent");
    assert_eq!(seen[0].signature_ok, Some(true));
    assert_eq!(seen[0].param("include_credential"), None);
}

#[tokio::test]
async fn every_repeated_id_survives_a_link_that_carries_only_the_page_token() {
    let server = start().await;
    let client = server.client();
    let wanted: Vec<String> = [5, 2, 4, 1]
        .iter()
        .map(|&n| identity(n)["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut pager = client.pager(IdentityQuery {
        page_size: Some(1),
        filter: IdentityFilter::Ids(wanted.clone()),
    });
    let mut got = Vec::new();
    // Bounded: four identities, one per page.
    for _ in 0..10 {
        match pager.next_page().await.expect("page") {
            Some(page) => got.extend(page.value.items.iter().map(|i| i.id.clone())),
            None => break,
        }
    }
    let mut expected = wanted.clone();
    expected.sort();
    assert_eq!(got, expected, "every wanted identity, each once");
    let seen = server.seen();
    assert_eq!(seen.len(), 4, "one request per page");
    for (index, request) in seen.iter().enumerate() {
        let ids: Vec<String> = request
            .query()
            .into_iter()
            .filter(|(n, _)| n == "ids")
            .map(|(_, v)| v)
            .collect();
        assert_eq!(ids, wanted, "request {index}: every id, in the order given");
        assert_eq!(request.param("page_size").as_deref(), Some("1"), "request {index}");
        assert_eq!(request.signature_ok, Some(true), "request {index} signature");
    }
    assert_eq!(seen[1].param("page_token"), Some(token_for(1)));
}

#[tokio::test]
async fn a_server_repeating_its_next_link_is_stopped() {
    let server = start().await;
    let client = server.client();
    let mut pager = client.pager(IdentityQuery {
        page_size: None,
        filter: IdentityFilter::CredentialsIdentifier("loop".into()),
    });
    let mut result = Ok(None);
    for _ in 0..10 {
        result = pager.next_page().await;
        if result.is_err() {
            break;
        }
    }
    let err = result.expect_err("loop detected");
    assert!(matches!(err, ApiError::PagingLoop { .. }), "{err}");
    assert!(server.seen().len() <= 3, "stopped early");
    // The filter the link left out was carried to the next page.
    assert!(
        server
            .seen()
            .iter()
            .all(|s| s.param("credentials_identifier").as_deref() == Some("loop"))
    );
}

/// A server that invents a new next link forever is stopped at the page
/// limit, and nothing but the page token is taken from its links: the next
/// signed request carries exactly what idcon asked for.
#[tokio::test]
async fn an_endless_server_is_stopped_at_the_page_limit_and_its_links_add_nothing() {
    let server = start().await;
    let client = server.client();
    let mut pager = client
        .pager(IdentityQuery {
            page_size: Some(1),
            filter: IdentityFilter::CredentialsIdentifier("endless".into()),
        })
        .with_max_pages(5);
    let mut result = Ok(None);
    for _ in 0..20 {
        result = pager.next_page().await;
        if result.is_err() {
            break;
        }
    }
    let err = result.expect_err("the page limit stops it");
    assert!(matches!(err, ApiError::PageLimit { limit: 5, .. }), "{err}");
    assert!(err.to_string().contains("--max-pages"), "{err}");
    let seen = server.seen();
    assert_eq!(seen.len(), 5, "exactly the limit of requests");
    for request in &seen {
        assert_eq!(request.param("include_credential"), None, "never asked for secrets");
        assert_eq!(request.param("credentials_identifier").as_deref(), Some("endless"));
    }
}

#[tokio::test]
async fn every_request_carries_the_signature_headers_and_a_request_id() {
    let server = start().await;
    let client = server.client();
    let id = identity(3)["id"].as_str().unwrap_or_default().to_owned();
    let response = client.get_identity(&id).await.expect("get");
    assert_eq!(response.value.id, id);
    let seen = server.seen();
    let request = &seen[0];
    assert_eq!(request.path, format!("/gw/admin/identities/{id}"));
    assert_eq!(request.signature_ok, Some(true), "digest verifies with the public key");
    assert_eq!(request.header("x-yoti-auth-id").as_deref(), Some(SDK_ID));
    assert_eq!(request.header("x-yoti-sdk").as_deref(), Some(signing::SDK_HEADER_VALUE));
    assert_eq!(
        request.header("x-yoti-sdk-version").as_deref(),
        Some(signing::SDK_VERSION_HEADER_VALUE)
    );
    assert_eq!(request.header("content-type").as_deref(), Some("application/json"));
    assert_eq!(request.header("accept").as_deref(), Some("application/json"));
    let request_id = request.header("x-request-id").expect("X-Request-ID sent");
    assert_eq!(request_id, response.exchange.request_id);
    assert!(uuid::Uuid::parse_str(&request_id).is_ok_and(|u| u.get_version_num() == 4));
    assert!(request.param("timestamp").is_some_and(|t| t.parse::<u64>().is_ok()));
    assert_eq!(request.param("include_credential"), None, "never asks for secrets");
    // The exchange says what was sent, without the signature.
    let exchange = &response.exchange;
    assert!(
        exchange
            .url
            .starts_with(&format!("http://{}/gw/admin/identities/{id}?nonce=", server.addr))
    );
    assert_eq!(exchange.status, 200);
    assert_eq!(exchange.reason, "OK");
    let digest_shown = exchange
        .request_headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(signing::DIGEST_HEADER))
        .map(|(_, v)| v.as_str());
    assert_eq!(digest_shown, Some("<redacted>"));
}

#[tokio::test]
async fn unknown_fields_and_nulls_survive_get_body_put() {
    let server = start().await;
    let client = server.client();
    let original = rich_identity();

    let got = client.get_identity("rich").await.expect("get rich");
    // The typed identity serialises back to exactly what the server sent.
    assert_eq!(serde_json::to_value(&got.value).expect("to value"), original);

    let body = UpdateIdentityBody::from_identity(&got.value);
    let updated = client.update_identity("rich", &body).await.expect("put");
    let seen = server.seen();
    let put = seen.iter().find(|s| s.method == "PUT").expect("a PUT was sent");
    assert_eq!(put.signature_ok, Some(true), "the body is signed");
    let sent: Value = serde_json::from_slice(&put.body).expect("JSON body");
    let expected = json!({
        "schema_id": "customer",
        "state": "inactive",
        "traits": original["traits"],
        "metadata_admin": null,
        "external_id": "crm-42",
        "region": "eu-central",
        "future_top_level": original["future_top_level"],
        "another_future": null
    });
    assert_eq!(sent, expected, "every updatable and unknown field echoed, nothing else");
    let sent_object = sent.as_object().expect("object");
    assert!(!sent_object.contains_key("credentials"), "credentials are never echoed");
    assert!(!sent_object.contains_key("metadata_public"), "absent stays absent");
    assert!(
        sent_object.get("metadata_admin").is_some_and(Value::is_null),
        "null stays null"
    );

    // The write hands back the whole exchange and the identity.
    assert_eq!(updated.value.id, "11111111-2222-4333-8444-555555555555");
    assert_eq!(updated.exchange.method, "PUT");
    assert_eq!(updated.exchange.status, 200);
    assert!(updated.exchange.header("content-type").is_some());
    assert_eq!(updated.exchange.body_json().as_ref(), Some(&original));
    assert_eq!(
        updated
            .exchange
            .request_body
            .as_deref()
            .map(|b| serde_json::from_str::<Value>(b).ok()),
        Some(Some(expected))
    );
    assert!(updated.exchange.elapsed > Duration::ZERO);
    assert_eq!(
        put.header("x-request-id").as_deref(),
        Some(updated.exchange.request_id.as_str())
    );
}

#[tokio::test]
async fn a_password_import_is_sent_but_never_kept_in_the_exchange() {
    let server = start().await;
    let client = server.client();
    let got = client.get_identity("rich").await.expect("get");
    let mut body = UpdateIdentityBody::from_identity(&got.value);
    body.credentials = Some(CredentialsImport::plaintext_password(
        "correct horse battery staple".into(),
    ));
    let response = client.update_identity("rich", &body).await.expect("put");
    let seen = server.seen();
    let put = seen.iter().find(|s| s.method == "PUT").expect("PUT");
    let sent: Value = serde_json::from_slice(&put.body).expect("JSON");
    assert_eq!(
        sent["credentials"]["password"]["config"]["password"],
        "correct horse battery staple"
    );
    let kept = format!("{:?} {:?}", response.exchange, body);
    assert!(!kept.contains("correct horse"), "password kept or logged: {kept}");
}

#[tokio::test]
async fn an_error_envelope_puts_the_reason_first() {
    let server = start().await;
    let client = server.client();
    let body = UpdateIdentityBody::from_identity(&serde_json::from_value(identity(1)).expect("identity"));
    let err = client.update_identity("invalid-email", &body).await.expect_err("400");
    assert_eq!(err.status(), Some(400));
    let text = err.to_string();
    let reason = text.find("I[#/traits/email]").expect("reason shown");
    let message = text.find("The request was malformed").expect("message shown");
    assert!(text.starts_with("HTTP 400 Bad Request: "), "{text}");
    assert!(reason < message, "reason first: {text}");
    assert!(
        text.contains(r#""docs":"https://example/errors""#) && text.contains("\"attempt\":3"),
        "details: {text}"
    );
    assert!(text.contains("srv-request-9"), "server request id: {text}");
    let request_id = err.request_id().expect("our request id");
    assert!(text.contains(&request_id), "{text}");
    assert!(!text.contains('\n'));
    let server_error = err.server_error().expect("parsed envelope");
    assert_eq!(server_error.code, Some(400));
    let exchange = err.exchange().expect("the exchange for the response view");
    assert_eq!(exchange.method, "PUT");
    assert!(exchange.body_text().contains("I[#/traits/email]"));
}

#[tokio::test]
async fn a_non_json_error_is_shown_raw_and_truncated() {
    let server = start().await;
    let err = server.client().get_identity("html-502").await.expect_err("502");
    let text = err.to_string();
    assert!(
        text.starts_with("HTTP 502 Bad Gateway: <html><body><h1>502 Bad Gateway</h1>"),
        "{text}"
    );
    assert!(text.contains("characters in all"), "truncated: {text}");
    assert!(text.len() < 800, "short enough to read: {} chars", text.len());
    // The response view still has the whole body.
    assert_eq!(err.exchange().map(|e| e.body_text().into_owned()), Some(html_502()));
}

#[tokio::test]
async fn an_empty_error_body_is_said_to_be_empty() {
    let server = start().await;
    let err = server.client().get_identity("empty-503").await.expect_err("503");
    let text = err.to_string();
    assert!(text.starts_with("HTTP 503 Service Unavailable (empty body)"), "{text}");
}

#[tokio::test]
async fn not_found_is_recognisable() {
    let server = start().await;
    let err = server
        .client()
        .get_identity("00000000-0000-4000-8000-999999999999")
        .await
        .expect_err("404");
    assert!(err.is_not_found());
    assert!(err.to_string().contains("Unable to locate the resource"), "{err}");
}

#[tokio::test]
async fn a_slow_server_times_out_with_the_limit_named() {
    let server = start().await;
    let mut profile = server.profile();
    profile.timeout = Duration::from_millis(300);
    let client = Client::new(&profile).expect("client");
    let err = client.get_identity("slow").await.expect_err("timeout");
    match &err {
        ApiError::Timeout { phase, limit, .. } => {
            assert_eq!(*phase, TimeoutPhase::Total);
            assert_eq!(*limit, Duration::from_millis(300));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(err.to_string().contains("timeout_secs"), "{err}");
    assert!(err.outcome_unknown());
}

#[tokio::test]
async fn a_refused_connection_is_named_as_such() {
    // A port that was just free: nothing listens on it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let profile = Profile::for_base_url("down", Url::parse(&format!("http://{addr}")).expect("url"));
    let err = Client::new(&profile)
        .expect("client")
        .get_identity("x")
        .await
        .expect_err("refused");
    assert!(matches!(err, ApiError::ConnectionRefused { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("connection refused") && text.contains(&addr.to_string()),
        "{text}"
    );
}

#[tokio::test]
async fn tls_to_a_plain_http_port_is_a_tls_failure() {
    let server = start().await;
    let profile = Profile::for_base_url("tls", Url::parse(&format!("https://{}", server.addr)).expect("url"));
    let err = Client::new(&profile)
        .expect("client")
        .get_identity("x")
        .await
        .expect_err("TLS");
    assert!(matches!(err, ApiError::Tls { .. }), "{err:?}");
    assert!(err.to_string().starts_with("TLS failure"), "{err}");
}

#[tokio::test]
async fn answers_over_the_size_cap_are_refused() {
    let server = start().await;
    let options = ClientOptions {
        max_body_bytes: 4096,
        ..Default::default()
    };
    let client = Client::with_options(&server.profile(), options).expect("client");
    for id in ["huge", "huge-stream"] {
        let err = client.get_identity(id).await.expect_err("too large");
        assert!(
            matches!(err, ApiError::BodyTooLarge { limit: 4096, .. }),
            "{id}: {err:?}"
        );
        assert!(err.to_string().contains("4096 bytes"), "{err}");
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = start().await;
    let err = server.client().get_identity("moved").await.expect_err("redirect");
    assert!(matches!(err, ApiError::Redirect { status: 302, .. }), "{err:?}");
    assert!(err.to_string().contains("https://elsewhere.example/steal"));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_success_that_is_not_an_identity_is_reported() {
    let server = start().await;
    let err = server
        .client()
        .get_identity("not-an-identity")
        .await
        .expect_err("invalid");
    assert!(matches!(err, ApiError::InvalidResponse { .. }), "{err:?}");
    assert!(err.to_string().contains("not an identity"), "{err}");
}

#[tokio::test]
async fn read_only_profiles_sign_and_send_nothing() {
    let server = start().await;
    let mut profile = server.profile();
    profile.read_only = true;
    let client = Client::new(&profile).expect("client");
    let body = UpdateIdentityBody::from_identity(&serde_json::from_value(identity(1)).expect("identity"));
    let err = client.update_identity("rich", &body).await.expect_err("read-only");
    assert!(matches!(err, ApiError::ReadOnly { .. }), "{err:?}");
    let update = AttributeUpdate::new("tok".into(), "name".into(), json!("v"));
    assert!(matches!(
        client.update_attribute(&update).await,
        Err(ApiError::ReadOnly { .. })
    ));
    assert!(matches!(
        client.prepare_update_identity("rich", &body),
        Err(ApiError::ReadOnly { .. })
    ));
    assert!(server.seen().is_empty(), "nothing reached the server");
}

#[tokio::test]
async fn schemas_are_listed_across_pages_and_fetched_raw() {
    let server = start().await;
    let client = server.client();
    let schemas = client.list_schemas().await.expect("schemas");
    let ids: Vec<&str> = schemas.value.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["default", "customer"]);
    assert_eq!(schemas.value[1].extra.get("extra_field"), Some(&json!(1)));
    let schema = client.get_schema("customer").await.expect("schema");
    assert_eq!(schema.value["type"], "object");
    let seen = server.seen();
    assert_eq!(
        seen.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(),
        ["/gw/schemas", "/gw/schemas", "/gw/schemas/customer"]
    );
    assert!(seen.iter().all(|s| s.signature_ok == Some(true)));
}

#[tokio::test]
async fn the_attribute_registry_update_is_signed_for_its_own_endpoint() {
    let server = start().await;
    let client = server.client();
    let update = AttributeUpdate::new("issuance-token-1".into(), "com.example.member".into(), json!("gold"));
    let response = client.update_attribute(&update).await.expect("attribute update");
    assert_eq!(response.value, Some(json!({"status": "UPDATED"})));
    let seen = server.seen();
    let put = &seen[0];
    assert_eq!(put.method, "PUT");
    assert_eq!(put.path, format!("{REGISTRY_MOUNT}/attribute/update"));
    assert_eq!(put.signature_ok, Some(true), "signed with endpoint /attribute/update");
    let body: Value = serde_json::from_slice(&put.body).expect("JSON");
    assert_eq!(
        body,
        json!({"issuance_token": "issuance-token-1", "name": "com.example.member", "value": "gold"})
    );

    // A profile without a registry URL says which setting is missing.
    let mut profile = server.profile();
    profile.attribute_registry_url = None;
    let err = Client::new(&profile)
        .expect("client")
        .update_attribute(&update)
        .await
        .expect_err("no URL");
    assert!(err.to_string().contains("attribute_registry_url"), "{err}");
}

#[tokio::test]
async fn the_bearer_token_comes_from_the_named_variable_and_stays_secret() {
    let server = start().await;
    let mut profile = server.profile();
    profile.key_file = None;
    profile.headers = vec![("X-Tenant".into(), "tenant-secret-value".into())];
    // Cargo sets this variable for every test process; no need to touch the environment.
    profile.bearer_token_env = Some("CARGO_PKG_NAME".into());
    let token = std::env::var("CARGO_PKG_NAME").expect("set by cargo");
    let client = Client::new(&profile).expect("client");
    let response = client
        .get_identity(identity(1)["id"].as_str().unwrap_or_default())
        .await
        .expect("get");
    let seen = server.seen();
    assert_eq!(seen[0].header("authorization"), Some(format!("Bearer {token}")));
    assert_eq!(seen[0].header("x-tenant").as_deref(), Some("tenant-secret-value"));
    assert_eq!(seen[0].signature_ok, None, "no key: unsigned");
    assert!(
        !seen[0].raw_query.contains("nonce"),
        "no signing parameters without a key"
    );
    let shown = format!("{:?} {:?}", response.exchange.request_headers, client);
    assert!(
        !shown.contains(&format!("Bearer {token}")) && !shown.contains("tenant-secret-value"),
        "{shown}"
    );

    profile.bearer_token_env = Some("IDCON_TEST_VARIABLE_THAT_IS_NEVER_SET".into());
    let err = Client::new(&profile).expect_err("unset variable");
    assert!(
        err.to_string().contains("IDCON_TEST_VARIABLE_THAT_IS_NEVER_SET"),
        "{err}"
    );
}

#[tokio::test]
async fn a_bad_key_is_refused_before_any_request() {
    let server = start().await;
    let mut profile = server.profile();
    let loose = server._dir.path().join("loose.pem");
    std::fs::copy(&server.key_path, &loose).expect("copy");
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    profile.key_file = Some(loose.clone());
    let err = Client::new(&profile).expect_err("0644 key refused");
    assert!(matches!(err, ApiError::Key(_)), "{err:?}");
    assert!(err.to_string().contains(&loose.display().to_string()), "{err}");
    profile.insecure_key_permissions = true;
    assert!(Client::new(&profile).is_ok(), "allowed with --insecure-key-permissions");
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn a_bad_ca_file_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "just text, no certificate\n").expect("write");
    let mut profile = Profile::for_base_url("ca", Url::parse("https://127.0.0.1:1").expect("url"));
    for path in [not_pem.clone(), dir.path().join("missing.pem")] {
        profile.ca_file = Some(path.clone());
        let err = Client::new(&profile).expect_err("bad ca_file");
        assert!(matches!(err, ApiError::CaFile { .. }), "{err:?}");
        assert!(
            err.to_string().starts_with(&format!("ca_file {}", path.display())),
            "{err}"
        );
    }
    let cert = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys/certificate.pem");
    profile.ca_file = Some(cert);
    assert!(
        Client::new(&profile).is_ok(),
        "a PEM certificate is accepted as an extra root"
    );
}

// ---------------------------------------------------------------------------
// Schemas where Kratos keeps them: the admin port answers `/schemas` with a
// 307 to the public port (`schema/handler.go` `RegisterAdminRoutes`).

/// The profile with every credential idcon can send: key, sdk id, bearer
/// token and a static header.
fn credentialed_profile(admin: &TestServer) -> Profile {
    let mut profile = admin.profile();
    profile.headers = vec![("X-Tenant".into(), "tenant-secret-value".into())];
    // Cargo sets this variable for every test process.
    profile.bearer_token_env = Some("CARGO_PKG_NAME".into());
    profile
}

/// A request that carries nothing of the profile: no signature, no Yoti
/// headers, no bearer token, no static header, no signing parameters.
fn assert_plain(request: &Seen, what: &str) {
    for header in [
        "x-yoti-auth-digest",
        "x-yoti-auth-id",
        "x-yoti-sdk",
        "x-yoti-sdk-version",
        "authorization",
        "x-tenant",
    ] {
        assert_eq!(request.header(header), None, "{what}: {header} must not be sent");
    }
    assert_eq!(request.param("nonce"), None, "{what}: no signing nonce");
    assert_eq!(request.param("timestamp"), None, "{what}: no signing timestamp");
    assert_eq!(request.header("accept").as_deref(), Some("application/json"), "{what}");
    assert!(request.header("x-request-id").is_some(), "{what}: a request id");
}

/// Like Kratos: `/gw/schemas[/…]` on `admin` answers 307 to the same path
/// and query on `public`.
fn kratos_redirects(admin: &TestServer, public: &TestServer, paths: &[&str]) {
    for path in paths {
        let rest = path.trim_start_matches(API_MOUNT);
        admin.redirect(path, 307, &format!("{}{rest}?{{query}}", public.mount()));
    }
}

#[tokio::test]
async fn schemas_follow_the_307_to_the_public_port_without_credentials() {
    let admin = start().await;
    let public = start().await;
    kratos_redirects(&admin, &public, &["/gw/schemas", "/gw/schemas/customer"]);
    let client = Client::new(&credentialed_profile(&admin)).expect("client");

    let schemas = client.list_schemas().await.expect("schemas through the redirect");
    let ids: Vec<&str> = schemas.value.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        ["default", "customer"],
        "both pages, the second from the public port"
    );
    let schema = client
        .get_schema("customer")
        .await
        .expect("one schema through the redirect");
    assert_eq!(schema.value["type"], "object");

    let to_admin = admin.seen();
    assert_eq!(
        to_admin.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(),
        ["/gw/schemas", "/gw/schemas/customer"],
        "the admin port is asked once per read; the next page goes where the first came from"
    );
    assert!(to_admin.iter().all(|s| s.signature_ok == Some(true)));
    let to_public = public.seen();
    assert_eq!(
        to_public.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(),
        ["/gw/schemas", "/gw/schemas", "/gw/schemas/customer"]
    );
    for (index, request) in to_public.iter().enumerate() {
        assert_plain(request, &format!("public request {index}"));
    }
    assert_eq!(to_public[1].param("page_token").as_deref(), Some("s2"));
    assert_eq!(schema.exchange.url, format!("{}/schemas/customer", public.mount()));
}

#[tokio::test]
async fn a_hop_back_to_the_profile_origin_is_signed_again_and_three_hops_are_followed() {
    let admin = start().await;
    let public = start().await;
    // admin -> public -> admin (another path) -> public: three hops.
    admin.redirect("/gw/schemas/a", 302, &format!("{}/schemas/b", public.mount()));
    public.redirect(
        "/gw/schemas/b",
        308,
        &format!("{}/schemas/c?nonce=old&timestamp=1&v=2", admin.mount()),
    );
    admin.redirect("/gw/schemas/c", 303, &format!("{}/schemas/d", public.mount()));
    let client = Client::new(&credentialed_profile(&admin)).expect("client");
    let schema = client.get_schema("a").await.expect("three hops are followed");
    assert_eq!(schema.value["type"], "object");

    let to_admin = admin.seen();
    assert_eq!(to_admin.len(), 2);
    assert_eq!(to_admin[1].path, "/gw/schemas/c");
    assert_eq!(to_admin[1].signature_ok, Some(true), "re-signed for its new path");
    assert_eq!(
        to_admin[1].param("v").as_deref(),
        Some("2"),
        "the location's own query is kept"
    );
    assert_ne!(to_admin[1].param("nonce").as_deref(), Some("old"), "a fresh nonce");
    let token = std::env::var("CARGO_PKG_NAME").expect("set by cargo");
    assert_eq!(to_admin[1].header("authorization"), Some(format!("Bearer {token}")));
    let to_public = public.seen();
    assert_eq!(
        to_public.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(),
        ["/gw/schemas/b", "/gw/schemas/d"]
    );
    for request in &to_public {
        assert_plain(request, &request.path);
    }
}

#[tokio::test]
async fn more_than_three_hops_are_refused_with_a_clear_error() {
    let admin = start().await;
    let public = start().await;
    admin.redirect("/gw/schemas/loop", 307, &format!("{}/schemas/loop", public.mount()));
    public.redirect("/gw/schemas/loop", 307, &format!("{}/schemas/loop", admin.mount()));
    let client = admin.client();
    let err = client.get_schema("loop").await.expect_err("a redirect loop");
    assert!(matches!(err, ApiError::TooManyRedirects { limit: 3, .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("more than 3"), "{message}");
    assert!(message.contains("/schemas/loop"), "names where it pointed: {message}");
    assert_eq!(
        admin.seen().len() + public.seen().len(),
        4,
        "the first request and three hops"
    );
}

#[tokio::test]
async fn only_http_and_https_redirects_are_followed() {
    let admin = start().await;
    for (n, location) in [
        "ftp://files.example/schemas/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
    ]
    .iter()
    .enumerate()
    {
        let path = format!("/gw/schemas/bad{n}");
        admin.redirect(&path, 307, location);
        let err = admin
            .client()
            .get_schema(&format!("bad{n}"))
            .await
            .expect_err("not followed");
        assert!(matches!(err, ApiError::RedirectRefused { status: 307, .. }), "{err:?}");
        assert!(err.to_string().contains("only http and https"), "{err}");
    }
    admin.redirect("/gw/schemas/nowhere", 307, "");
    let err = admin.client().get_schema("nowhere").await.expect_err("empty location");
    assert!(matches!(err, ApiError::RedirectRefused { .. }), "{err:?}");
    assert!(err.to_string().contains("Location"), "{err}");
    assert_eq!(admin.seen().len(), 4, "nothing else was fetched");
}

#[tokio::test]
async fn identity_reads_and_writes_never_follow_redirects() {
    let admin = start().await;
    let public = start().await;
    let id = identity(2)["id"].as_str().unwrap_or_default().to_owned();
    let target = format!("{}/admin/identities/{id}", public.mount());
    admin.redirect(&format!("/gw/admin/identities/{id}"), 307, &target);
    admin.redirect(
        "/gw/admin/identities/rich",
        308,
        &format!("{}/admin/identities/rich", public.mount()),
    );
    admin.redirect(
        "/gw/admin/identities",
        307,
        &format!("{}/admin/identities", public.mount()),
    );
    let client = Client::new(&credentialed_profile(&admin)).expect("client");

    let err = client.get_identity(&id).await.expect_err("GET not followed");
    assert!(matches!(err, ApiError::Redirect { status: 307, .. }), "{err:?}");
    let err = client
        .list_identities(&IdentityQuery::default())
        .await
        .expect_err("list not followed");
    assert!(matches!(err, ApiError::Redirect { status: 307, .. }), "{err:?}");
    let body = UpdateIdentityBody::from_identity(&serde_json::from_value(rich_identity()).expect("identity"));
    let err = client
        .update_identity("rich", &body)
        .await
        .expect_err("PUT not followed");
    assert!(matches!(err, ApiError::Redirect { status: 308, .. }), "{err:?}");
    assert!(public.seen().is_empty(), "nothing reached the other origin");
}

#[tokio::test]
async fn public_url_is_read_directly_unsigned() {
    let admin = start().await;
    let public = start().await;
    let mut profile = credentialed_profile(&admin);
    profile.public_url = Some(Url::parse(&format!("{}/", public.mount())).expect("public URL"));
    let client = Client::new(&profile).expect("client");
    let schemas = client.list_schemas().await.expect("schemas from the public URL");
    assert_eq!(schemas.value.len(), 2);
    client
        .get_schema("customer")
        .await
        .expect("one schema from the public URL");
    assert!(admin.seen().is_empty(), "the admin port is not asked");
    let to_public = public.seen();
    assert_eq!(
        to_public.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(),
        ["/gw/schemas", "/gw/schemas", "/gw/schemas/customer"]
    );
    for request in &to_public {
        assert_plain(request, &request.path);
    }
}

#[tokio::test]
async fn a_schema_url_is_fetched_with_credentials_only_on_the_profile_origin() {
    let admin = start().await;
    let public = start().await;
    let client = Client::new(&credentialed_profile(&admin)).expect("client");

    let elsewhere = client
        .get_schema_at(&format!("{}/schemas/ZGVmYXVsdA#frag", public.mount()))
        .await
        .expect("schema_url on the public port");
    assert_eq!(elsewhere.value["type"], "object");
    let to_public = public.seen();
    assert_eq!(to_public.len(), 1);
    assert_eq!(to_public[0].path, "/gw/schemas/ZGVmYXVsdA");
    assert_plain(&to_public[0], "schema_url elsewhere");

    client
        .get_schema_at(&format!(
            "{}/schemas/Y3VzdG9tZXI?include_credential=password",
            admin.mount()
        ))
        .await
        .expect("schema_url on the profile's origin");
    let to_admin = admin.seen();
    assert_eq!(to_admin.len(), 1);
    assert_eq!(
        to_admin[0].signature_ok,
        Some(true),
        "signed for its path under the base URL"
    );
    assert_eq!(to_admin[0].param("include_credential"), None, "never asks for secrets");

    // A redirect from the schema_url back to the profile is signed; onwards is not.
    public.redirect(
        "/gw/schemas/bounce",
        307,
        &format!("{}/schemas/customer", admin.mount()),
    );
    client
        .get_schema_at(&format!("{}/schemas/bounce", public.mount()))
        .await
        .expect("bounced");
    assert_eq!(admin.seen().len(), 2);
    assert_eq!(admin.seen()[1].signature_ok, Some(true));
    assert_plain(&public.seen()[1], "bounce");

    for (url, detail) in [
        ("ftp://files.example/schema.json", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("not a url", "not a valid URL"),
        ("http://user:hunter2@kratos.example/schemas/x", "user name or password"),
    ] {
        let err = client.get_schema_at(url).await.expect_err(url);
        assert!(matches!(err, ApiError::UrlRefused { .. }), "{url}: {err:?}");
        let message = err.to_string();
        assert!(
            message.contains(detail) && message.contains("schema_url"),
            "{url}: {message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
    }
    assert_eq!(public.seen().len(), 2, "refused URLs are not fetched");
}

// ---------------------------------------------------------------------------
// Secrets a server quotes back

/// The password of the echo tests: quotes, a backslash and what Go's JSON
/// encoder escapes (`&`, `<`, `>`), so every spelling of it is tried.
const ECHO_PASSWORD: &str = r#"Hun"ter\2&<é>"#;
const ECHO_HASH: &str = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g";
const ECHO_ISSUANCE_TOKEN: &str = "aXNzdWFuY2UtdG9rZW4tZm9yLWVjaG8/+Yz";
const ECHO_ACCESS_TOKEN: &str = "oidc-access-token-0123456789";
const ECHO_REFRESH_TOKEN: &str = "oidc-refresh-token-0123456789";
const ECHO_ID_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJlY2hvIn0.c2lnbmF0dXJl";
const ECHO_API_KEY: &str = "static-api-key-0123456789abcdef";

/// Go's `encoding/json` spelling of `text` inside a string (Kratos is Go):
/// `&`, `<` and `>` as `\u00XX`.
fn go_escaped(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted[1..quoted.len() - 1]
        .replace('&', "\\u0026")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
}

/// A server that quotes everything it was sent: the body (as text, as JSON
/// and Go-escaped) and every header, in its body and in its own headers.
/// `400`: in a Kratos error envelope; `200`: beside an identity that holds
/// the issuance token where Kratos keeps it; `502`: as plain text.
fn echo(kind: &str, seen: &Seen) -> Response {
    let body_text = String::from_utf8_lossy(&seen.body).into_owned();
    let body_json: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
    let headers: serde_json::Map<String, Value> = seen
        .headers
        .iter()
        .map(|(name, value)| (name.to_string(), json!(String::from_utf8_lossy(value.as_bytes()))))
        .collect();
    let header_text = Value::Object(headers.clone()).to_string();
    let echoed_headers = [
        ("x-echo-digest", seen.header(signing::DIGEST_HEADER).unwrap_or_default()),
        ("x-echo-authorization", seen.header("authorization").unwrap_or_default()),
        ("x-echo-api-key", seen.header("x-api-key").unwrap_or_default()),
    ];
    let mut response = match kind {
        "400" => json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": {
                "code": 400,
                "status": "Bad Request",
                "reason": format!("you sent {body_text}"),
                "message": format!("with headers {header_text}; Go says {}", go_escaped(&body_text)),
                "details": {"body": body_json, "headers": headers},
            }}),
        ),
        "200" => {
            let mut identity = rich_identity();
            identity["metadata_admin"] = json!({"yoti": {"issuance_token": ECHO_ISSUANCE_TOKEN}});
            identity["traits"]["email"] = json!("support@example.com");
            identity["echo"] = json!({"text": body_text, "go": go_escaped(&body_text), "headers": headers});
            json_response(StatusCode::OK, &identity)
        }
        _ => (
            StatusCode::BAD_GATEWAY,
            [("content-type", "text/plain")],
            format!(
                "upstream refused {body_text}\nGo: {}\nheaders: {header_text}",
                go_escaped(&body_text)
            ),
        )
            .into_response(),
    };
    for (name, value) in echoed_headers {
        if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// A profile with every kind of secret a request carries: a signature, a
/// bearer token (from a variable cargo sets) and static header values.
fn secret_profile(server: &TestServer) -> Profile {
    let mut profile = server.profile();
    profile.bearer_token_env = Some("CARGO_MANIFEST_DIR".into());
    profile.headers = vec![
        ("X-Api-Key".into(), ECHO_API_KEY.into()),
        ("X-Team".into(), "support".into()),
    ];
    profile
}

/// A body with every secret an identity write can carry.
fn secret_body() -> UpdateIdentityBody {
    let mut body = UpdateIdentityBody::from_identity(&serde_json::from_value(rich_identity()).expect("identity"));
    body.metadata_admin = idcon::api::Nullable::Value(json!({"yoti": {"issuance_token": ECHO_ISSUANCE_TOKEN}}));
    let mut credentials = CredentialsImport::plaintext_password(ECHO_PASSWORD.to_owned());
    if let Some(password) = credentials.password.as_mut() {
        password.config.hashed_password = Some(ECHO_HASH.to_owned());
    }
    let mut provider = idcon::api::OidcProviderImport {
        provider: "google".into(),
        subject: "echo-subject".into(),
        ..Default::default()
    };
    provider
        .extra
        .insert("initial_access_token".into(), json!(ECHO_ACCESS_TOKEN));
    provider
        .extra
        .insert("initial_refresh_token".into(), json!(ECHO_REFRESH_TOKEN));
    provider.extra.insert("initial_id_token".into(), json!(ECHO_ID_TOKEN));
    credentials.oidc = CredentialsImport::oidc(vec![provider]).oidc;
    body.credentials = Some(credentials);
    body
}

/// Every spelling of every secret the request carried: raw, JSON-escaped,
/// with `\/`, and as Go escapes it.
fn secret_spellings(seen: &Seen, bearer: &str) -> Vec<String> {
    let digest = seen.header(signing::DIGEST_HEADER).expect("signed");
    let mut secrets = vec![
        ECHO_PASSWORD.to_owned(),
        ECHO_HASH.to_owned(),
        ECHO_ISSUANCE_TOKEN.to_owned(),
        ECHO_ACCESS_TOKEN.to_owned(),
        ECHO_REFRESH_TOKEN.to_owned(),
        ECHO_ID_TOKEN.to_owned(),
        ECHO_API_KEY.to_owned(),
        bearer.to_owned(),
        digest,
    ];
    let mut spellings = Vec::new();
    for secret in secrets.drain(..) {
        let quoted = serde_json::to_string(&secret).unwrap_or_default();
        let escaped = quoted[1..quoted.len() - 1].to_owned();
        spellings.push(escaped.replace('/', "\\/"));
        spellings.push(go_escaped(&secret));
        spellings.push(escaped);
        spellings.push(secret);
    }
    spellings.sort();
    spellings.dedup();
    spellings
}

fn assert_no_secret(spellings: &[String], texts: &[(&str, String)]) {
    for (what, text) in texts {
        for secret in spellings {
            assert!(
                !text.contains(secret.as_str()),
                "{what} holds the secret {secret:?}:\n{text}"
            );
        }
    }
}

/// Everything of an exchange a person, a log or the audit trail can see.
fn exchange_texts(exchange: &idcon::api::Exchange) -> Vec<(&'static str, String)> {
    vec![
        ("exchange body", exchange.body_text().into_owned()),
        ("exchange pretty body", exchange.pretty_body()),
        ("exchange headers", format!("{:?}", exchange.headers)),
        ("exchange request headers", format!("{:?}", exchange.request_headers)),
        (
            "exchange request body",
            exchange.request_body.clone().unwrap_or_default(),
        ),
        ("exchange debug", format!("{exchange:?}")),
        ("server error", format!("{:?}", exchange.error())),
    ]
}

#[tokio::test]
async fn secrets_a_server_quotes_in_an_error_are_scrubbed_from_everything_kept() {
    let server = start().await;
    let client = Client::new(&secret_profile(&server)).expect("client");
    let bearer = std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo");
    let err = client
        .update_identity("echo-400", &secret_body())
        .await
        .expect_err("400");
    let seen = server.seen();
    let put = seen.iter().find(|s| s.method == "PUT").expect("PUT");
    let sent = String::from_utf8_lossy(&put.body).into_owned();
    assert!(
        sent.contains(ECHO_ISSUANCE_TOKEN) && sent.contains("Hun\\\"ter"),
        "sent whole: {sent}"
    );
    let spellings = secret_spellings(put, &bearer);

    assert_eq!(err.status(), Some(400));
    let message = err.to_string();
    assert!(message.contains("you sent"), "the server's words stay: {message}");
    let mut texts = vec![("message", message), ("debug", format!("{err:?}"))];
    texts.extend(exchange_texts(err.exchange().expect("exchange")));
    texts.push(("server error", format!("{:?}", err.server_error())));
    texts.push(("audit summary", idcon::audit::error_summary(&err)));
    assert_no_secret(&spellings, &texts);
    // A static header value too short to be a key is still no secret of an error.
    assert!(!texts.iter().any(|(_, text)| text.contains("support")), "{texts:?}");
    // What is not secret stays readable.
    let exchange = err.exchange().expect("exchange");
    assert!(
        exchange.body_text().contains("echo-subject"),
        "{}",
        exchange.body_text()
    );
    assert!(
        exchange
            .header("x-echo-digest")
            .is_some_and(|v| v.contains("<redacted>"))
    );

    // The same as plain text, from a gateway.
    let err = client
        .update_identity("echo-502", &secret_body())
        .await
        .expect_err("502");
    let seen = server.seen();
    let spellings = secret_spellings(seen.last().expect("PUT"), &bearer);
    let mut texts = vec![("message", err.to_string()), ("debug", format!("{err:?}"))];
    texts.extend(exchange_texts(err.exchange().expect("exchange")));
    assert_no_secret(&spellings, &texts);
    assert!(err.to_string().contains("upstream refused"), "{err}");
}

#[tokio::test]
async fn secrets_a_server_quotes_in_a_success_are_scrubbed_but_the_identity_keeps_its_data() {
    let server = start().await;
    let client = Client::new(&secret_profile(&server)).expect("client");
    let bearer = std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo");
    let response = client.update_identity("echo-200", &secret_body()).await.expect("200");
    let seen = server.seen();
    let spellings = secret_spellings(seen.last().expect("PUT"), &bearer);

    // The identity's own token, where Kratos keeps it, is data: the next edit
    // starts from this answer and must send it back unchanged. So is a trait
    // that happens to hold a short static header value.
    let answer = response.exchange.body_json().expect("JSON");
    assert_eq!(
        answer.pointer("/metadata_admin/yoti/issuance_token"),
        Some(&json!(ECHO_ISSUANCE_TOKEN))
    );
    assert_eq!(
        response
            .value
            .metadata_admin
            .get()
            .and_then(|m| m.pointer("/yoti/issuance_token")),
        Some(&json!(ECHO_ISSUANCE_TOKEN))
    );
    assert_eq!(answer.pointer("/traits/email"), Some(&json!("support@example.com")));

    // Everywhere else the answer quotes the request, the secrets are gone.
    let echo = answer.get("echo").cloned().unwrap_or(Value::Null);
    assert!(
        echo["text"].as_str().is_some_and(|t| t.contains("echo-subject")),
        "{echo}"
    );
    let mut texts = vec![
        ("echo", echo.to_string()),
        ("answer headers", format!("{:?}", response.exchange.headers)),
        (
            "request body",
            response.exchange.request_body.clone().unwrap_or_default(),
        ),
        ("request headers", format!("{:?}", response.exchange.request_headers)),
    ];
    texts.push(("extra", format!("{:?}", response.value.extra)));
    assert_no_secret(&spellings, &texts);
}
