//! HTTP routes of the two listeners.
//!
//! Admin: the identities API under the prefix, `/schemas` answered with a 307
//! to the public listener, the attribute registry under
//! `/attribute-registry`, and the guard every request passes (faults, bearer
//! token, signature, request id).
//!
//! Public: `/schemas` and `/schemas/{id}` (also under `/admin`, as Kratos's
//! public router registers them), unauthenticated, counting what reaches it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, put};
use serde_json::{Value, json};
use uuid::Uuid;

use super::auth::{self, SignatureCheck};
use super::errors::{ApiError, REQUEST_ID, YotiError, bytes_response, json_response};
use super::faults::{Connection, Faults, Verdict};
use super::model::{CredentialsView, Identity, IdentityJson, Source, Timestamp};
use super::paging;
use super::recovery;
use super::schema::{IdentitySchema, Schemas, normalize_identifier};
use super::sessions;
use super::store::Store;
use super::update::{self, UpdateBody};
use super::version::KratosVersion;

/// Where the attribute registry is mounted.
pub const REGISTRY_MOUNT: &str = "/attribute-registry";
/// Request bodies larger than this are refused.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Kratos's admin prefix (`httprouterx.AdminPrefix`).
const ADMIN_PREFIX: &str = "/admin";

/// Credential types Kratos knows (`include_credential` accepts these).
const CREDENTIAL_TYPES: &[&str] = &[
    "password",
    "oidc",
    "totp",
    "lookup_secret",
    "webauthn",
    "code",
    "passkey",
    "profile",
    "saml",
    "deviceauthn",
    "identifier_first",
    "link_recovery",
    "code_recovery",
];

/// Everything a request handler needs.
pub struct DemoState {
    pub store: RwLock<Store>,
    pub schemas: Schemas,
    /// `/admin` or `/iam`.
    pub prefix: String,
    pub signature: Option<SignatureCheck>,
    pub bearer: Option<String>,
    pub faults: Faults,
    /// `http://addr` of the public listener, known once it is bound (for
    /// `schema_url` and the `/schemas` redirect).
    pub public_base: OnceLock<String>,
    /// The Kratos release imitated.
    pub version: KratosVersion,
    /// What reached the public listener.
    pub public: PublicCounts,
    /// The gateway's request-line limit (see `DemoOptions::max_request_line`).
    pub max_request_line: Option<usize>,
    /// The latest requests the admin listener received, for tests that check
    /// the order and timing of what a client sent.
    pub log: RequestLog,
    /// Kratos settings tests flip while it runs (recovery methods, the
    /// extend answer).
    pub toggles: super::recovery::Toggles,
}

/// One request as the admin listener saw it.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub at: std::time::Instant,
}

/// The last [`RequestLog::CAPACITY`] requests (older ones are dropped, so a
/// long-running `serve-demo` stays small).
#[derive(Debug, Default)]
pub struct RequestLog {
    entries: std::sync::Mutex<std::collections::VecDeque<LoggedRequest>>,
}

impl RequestLog {
    pub const CAPACITY: usize = 10_000;

    fn record(&self, method: &Method, path: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() == Self::CAPACITY {
            entries.pop_front();
        }
        entries.push_back(LoggedRequest {
            method: method.as_str().to_owned(),
            path: path.to_owned(),
            at: std::time::Instant::now(),
        });
    }

    pub fn entries(&self) -> Vec<LoggedRequest> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.iter().cloned().collect()
    }
}

/// Requests the public listener received, and how many carried credentials
/// (`Authorization`, `Proxy-Authorization` or any `X-Yoti-*` header), so
/// tests can prove nothing secret went to the other origin.
#[derive(Debug, Default)]
pub struct PublicCounts {
    pub requests: AtomicUsize,
    pub with_credentials: AtomicUsize,
}

impl PublicCounts {
    fn record(&self, headers: &axum::http::HeaderMap) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let credential = headers.keys().any(|name| {
            let name = name.as_str();
            name == "authorization" || name == "proxy-authorization" || name.starts_with("x-yoti-")
        });
        if credential {
            self.with_credentials.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl DemoState {
    pub fn read_store(&self) -> RwLockReadGuard<'_, Store> {
        // A panic while holding the lock leaves the store as consistent as any
        // single write; keep serving.
        self.store.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn write_store(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn public_base(&self) -> &str {
        self.public_base.get().map_or("http://127.0.0.1", String::as_str)
    }

    /// Identities link their schema on the public URL
    /// (`persistence/sql/identity/persister_identity.go`
    /// `InjectTraitsSchemaURL`: `SchemaURL(SelfPublicURL)`).
    pub(super) fn schema_url(&self, schema_id: &str) -> String {
        format!("{}{}", self.public_base(), IdentitySchema::url_path(schema_id))
    }

    /// An identity as this Kratos writes it.
    fn identity_json<'a>(
        &self,
        identity: &'a Identity,
        credentials: CredentialsView<'a>,
        schema_url: &'a str,
        source: Source,
    ) -> IdentityJson<'a> {
        IdentityJson {
            identity,
            credentials,
            schema_url,
            source,
            external_id: self.version.has_external_id(),
        }
    }
}

/// The admin listener.
pub fn router(state: Arc<DemoState>) -> Router {
    let identities = format!("{}/identities", state.prefix);
    let identity = format!("{}/identities/{{id}}", state.prefix);
    let prefix = state.prefix.clone();
    Router::new()
        // identity/handler.go `RegisterAdminRoutes`: create one, create many.
        .route(
            &identities,
            get(list_identities)
                .post(super::create::create_identity)
                .patch(super::create::batch_patch_identities)
                .fallback(method_not_allowed),
        )
        .route(
            &identity,
            get(get_identity)
                .put(update_identity)
                .delete(super::delete::delete_identity)
                .fallback(method_not_allowed),
        )
        // session/handler.go `RegisterAdminRoutes`.
        .route(
            &format!("{identity}/sessions"),
            get(sessions::list_identity_sessions)
                .delete(sessions::delete_identity_sessions)
                .fallback(method_not_allowed),
        )
        // identity/handler.go `RegisterAdminRoutes`: `patch` and
        // `deleteIdentityCredentials` (see demo/credentials.rs).
        .route(&identity, axum::routing::patch(super::credentials::patch_identity))
        .route(
            &format!("{identity}/credentials/{{type}}"),
            axum::routing::delete(super::credentials::delete_credential).fallback(method_not_allowed),
        )
        .route(
            &format!("{prefix}/sessions/{{id}}"),
            get(sessions::get_session)
                .delete(sessions::disable_session)
                .fallback(method_not_allowed),
        )
        .route(
            &format!("{prefix}/sessions/{{id}}/extend"),
            axum::routing::patch(sessions::extend_session).fallback(method_not_allowed),
        )
        // The link and code strategies' `RegisterAdminRoutes`.
        .route(
            &format!("{prefix}/recovery/link"),
            axum::routing::post(recovery::create_link).fallback(method_not_allowed),
        )
        .route(
            &format!("{prefix}/recovery/code"),
            axum::routing::post(recovery::create_code).fallback(method_not_allowed),
        )
        .route("/schemas", get(redirect_to_public).fallback(method_not_allowed))
        .route("/schemas/{id}", get(redirect_to_public).fallback(method_not_allowed))
        .route(
            &format!("{ADMIN_PREFIX}/schemas"),
            get(redirect_to_public).fallback(method_not_allowed),
        )
        .route(
            &format!("{ADMIN_PREFIX}/schemas/{{id}}"),
            get(redirect_to_public).fallback(method_not_allowed),
        )
        .route(
            &format!("{REGISTRY_MOUNT}/attribute/update"),
            put(update_attribute).fallback(registry_method_not_allowed),
        )
        .route(&format!("{REGISTRY_MOUNT}/{{*rest}}"), any(registry_not_found))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// The public listener: schemas only, no authentication at all.
pub fn public_router(state: Arc<DemoState>) -> Router {
    // schema/handler.go `RegisterPublicRoutes` serves both spellings.
    Router::new()
        .route("/schemas", get(list_schemas).fallback(method_not_allowed))
        .route("/schemas/{id}", get(get_schema).fallback(method_not_allowed))
        .route(
            &format!("{ADMIN_PREFIX}/schemas"),
            get(list_schemas).fallback(method_not_allowed),
        )
        .route(
            &format!("{ADMIN_PREFIX}/schemas/{{id}}"),
            get(get_schema).fallback(method_not_allowed),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), public_guard))
        .with_state(state)
}

/// Counts the request (and any credential on it) and applies the latency;
/// injected failures and drops stay on the admin listener, whose request
/// counter they key on.
async fn public_guard(State(state): State<Arc<DemoState>>, request: Request, next: Next) -> Response {
    state.public.record(request.headers());
    let latency = state.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    REQUEST_ID.scope(request_id, next.run(request)).await
}

/// `GET /schemas[/{id}]` on the admin port, as Kratos answers it: a 307 to
/// the same path (without `/admin`) and query on the public URL
/// (`schema/handler.go` `RegisterAdminRoutes` with `x/redir/port_redirect.go`
/// `RedirectToPublicRoute`; `AddAdminPrefixIfNotPresentNegroni` first turns
/// `/schemas` into `/admin/schemas`, and the redirect trims it again; v1.3.1
/// has the same function in `x/redir.go`). The body is what Go's
/// `http.Redirect` writes for a GET.
///
/// In a real deployment the admin port has no authentication of its own; the
/// demo's guard stands in for the gateway in front of it, so the redirect is
/// only answered to a request that passed it.
async fn redirect_to_public(State(state): State<Arc<DemoState>>, method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let rest = path.strip_prefix(ADMIN_PREFIX).unwrap_or(path);
    let mut location = format!("{}{rest}", state.public_base());
    if let Some(query) = uri.query() {
        location.push('?');
        location.push_str(query);
    }
    let body = if method == Method::GET {
        format!("<a href=\"{}\">Temporary Redirect</a>.\n\n", html_escape(&location))
    } else {
        String::new()
    };
    let mut response = (StatusCode::TEMPORARY_REDIRECT, body).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, value);
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// Go's `html.EscapeString` as `http.Redirect` uses it.
fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            c => out.push(c),
        }
    }
    out
}

fn is_registry(path: &str) -> bool {
    path == REGISTRY_MOUNT || path.starts_with(&format!("{REGISTRY_MOUNT}/"))
}

fn reject(path: &str, error: ApiError) -> Response {
    if is_registry(path) {
        YotiError::from_api(&error).into_response()
    } else {
        error.into_response()
    }
}

/// Runs before every handler: latency, injected faults, the bearer token and
/// the signature, with the request id in scope for error envelopes.
async fn guard(State(state): State<Arc<DemoState>>, request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    REQUEST_ID.scope(request_id, guarded(state, request, next)).await
}

async fn guarded(state: Arc<DemoState>, request: Request, next: Next) -> Response {
    let latency = state.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    state.log.record(request.method(), request.uri().path());
    if let Some(limit) = state.max_request_line {
        // `GET /admin/identities?... HTTP/1.1`, as the proxy measures it.
        let target = request.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
        let line = request.method().as_str().len() + 1 + target + " HTTP/1.1".len();
        if line > limit {
            return gateway_uri_too_long();
        }
    }
    let path = request.uri().path().to_owned();
    match state.faults.judge() {
        Verdict::Serve => {}
        Verdict::Drop => {
            if let Some(ConnectInfo(connection)) = request.extensions().get::<ConnectInfo<Connection>>() {
                connection.cut();
            }
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        Verdict::Fail => {
            return reject(
                &path,
                ApiError::internal("Injected fault: the demo server fails every Nth request (--fail-every)."),
            );
        }
    }
    if let Some(expected) = &state.bearer
        && let Err(error) = auth::check_bearer(expected, request.headers())
    {
        return reject(&path, error);
    }
    let Some(check) = &state.signature else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return reject(
                &path,
                ApiError::bad_request(format!(
                    "Unable to read HTTP body (at most {MAX_BODY_BYTES} bytes are accepted)."
                )),
            );
        }
    };
    let relative = if is_registry(&path) {
        &path[REGISTRY_MOUNT.len()..]
    } else {
        path.as_str()
    };
    if let Err(error) = check.check(
        parts.method.as_str(),
        relative,
        parts.uri.query(),
        &parts.headers,
        &body,
        crate::signing::now_millis(),
    ) {
        return reject(&path, error);
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// What nginx answers a request line beyond its buffer: 414 with its own
/// HTML page, not Kratos's JSON envelope.
fn gateway_uri_too_long() -> Response {
    let body = "<html>\r\n<head><title>414 Request-URI Too Large</title></head>\r\n<body>\r\n\
                <center><h1>414 Request-URI Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n\
                </body>\r\n</html>\r\n";
    (StatusCode::URI_TOO_LONG, [(header::CONTENT_TYPE, "text/html")], body).into_response()
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn values<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn parse_include(pairs: &[(String, String)]) -> Result<Vec<String>, ApiError> {
    values(pairs, "include_credential")
        .into_iter()
        .map(|v| {
            if CREDENTIAL_TYPES.contains(&v) {
                Ok(v.to_owned())
            } else {
                Err(ApiError::bad_request(format!(
                    "Invalid value `{v}` for parameter `include_credential`."
                )))
            }
        })
        .collect()
}

/// v1.3.1's `list` formats the types parsed *so far* into the message
/// instead of the bad value (`WithReasonf("Invalid value `%s` ...", declassify)`),
/// which Go prints as `[password oidc]`.
fn parse_include_v1_3(pairs: &[(String, String)]) -> Result<Vec<String>, ApiError> {
    let mut parsed: Vec<String> = Vec::new();
    for v in values(pairs, "include_credential") {
        if CREDENTIAL_TYPES.contains(&v) {
            parsed.push(v.to_owned());
        } else {
            return Err(ApiError::bad_request(format!(
                "Invalid value `[{}]` for parameter `include_credential`.",
                parsed.join(" ")
            )));
        }
    }
    Ok(parsed)
}

/// The first non-empty value of `key` (Go's `cmp.Or(q[key]...)`).
fn first_non_empty<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

fn parse_ids(pairs: &[(String, String)]) -> Result<Vec<Uuid>, ApiError> {
    values(pairs, "ids")
        .into_iter()
        .map(|raw| {
            Uuid::try_parse(raw)
                .map_err(|_| ApiError::bad_request(format!("Invalid UUID value `{raw}` for parameter `ids`.")))
        })
        .collect()
}

/// A list request's parameters, parsed and checked as the imitated release does.
struct ListQuery<'a> {
    ids: Vec<Uuid>,
    organization: Option<Uuid>,
    exact: Option<&'a str>,
    similar: Option<&'a str>,
    include: Vec<String>,
    size: usize,
    after: Uuid,
}

impl<'a> ListQuery<'a> {
    /// v25/v26: `identity/handler.go` `parseListIdentitiesParameters`, then
    /// `x.ParseKeysetOrPagePagination`, then the token check of
    /// `persister_identity.go` `ListIdentities`.
    fn parse_v25(pairs: &'a [(String, String)], version: KratosVersion) -> Result<Self, ApiError> {
        let mut filters = 0;
        let ids = parse_ids(pairs)?;
        filters += usize::from(!ids.is_empty());
        if let Some(max) = version.max_ids_filter()
            && ids.len() > max
        {
            return Err(ApiError::bad_request(format!(
                "The number of ids to filter must not exceed {max}."
            )));
        }
        let mut organization = None;
        if let Some(raw) = first(pairs, "organization_id").filter(|v| !v.is_empty()) {
            filters += 1;
            organization = Some(Uuid::try_parse(raw).map_err(|_| {
                ApiError::bad_request(format!("Invalid UUID value `{raw}` for parameter `organization_id`."))
            })?);
        }
        let exact = first(pairs, "credentials_identifier").filter(|v| !v.is_empty());
        let similar = first(pairs, "preview_credentials_identifier_similar").filter(|v| !v.is_empty());
        filters += usize::from(exact.is_some()) + usize::from(similar.is_some());
        let include = parse_include(pairs)?;
        if filters > 1 {
            return Err(ApiError::bad_request("You cannot combine multiple filters in this API"));
        }
        Self::with_paging(pairs, version, ids, organization, exact, similar, include)
    }

    /// v1.3: `identity/handler.go` `list` at v1.3.1. Filters combine (the SQL
    /// ANDs them), `ids` has no limit, `organization_id` is not a parameter,
    /// and only the two identifier searches exclude each other.
    fn parse_v1_3(pairs: &'a [(String, String)], version: KratosVersion) -> Result<Self, ApiError> {
        let include = parse_include_v1_3(pairs)?;
        let ids = parse_ids(pairs)?;
        let exact = first(pairs, "credentials_identifier").filter(|v| !v.is_empty());
        let similar = first(pairs, "preview_credentials_identifier_similar").filter(|v| !v.is_empty());
        if exact.is_some() && similar.is_some() {
            return Err(ApiError::bad_request(
                "Cannot pass both credentials_identifier and preview_credentials_identifier_similar.",
            ));
        }
        Self::with_paging(pairs, version, ids, None, exact, similar, include)
    }

    fn with_paging(
        pairs: &'a [(String, String)],
        version: KratosVersion,
        ids: Vec<Uuid>,
        organization: Option<Uuid>,
        exact: Option<&'a str>,
        similar: Option<&'a str>,
        include: Vec<String>,
    ) -> Result<Self, ApiError> {
        // keysetpagination.Parse unescapes the token, then reads the size;
        // ListIdentities checks the token is an id afterwards.
        let token = first_non_empty(pairs, "page_token")
            .map(paging::unescape_token)
            .transpose()?;
        let size = paging::parse_page_size(first_non_empty(pairs, "page_size"), version)?;
        let after = match token {
            Some(token) => paging::token_id(&token)?,
            None => Uuid::nil(),
        };
        Ok(Self {
            ids,
            organization,
            exact,
            similar,
            include,
            size,
            after,
        })
    }
}

/// `a` narrowed to the sorted ids in `b` (filters that combine are ANDed).
fn narrow(a: Option<Vec<Uuid>>, b: Vec<Uuid>) -> Option<Vec<Uuid>> {
    Some(match a {
        None => b,
        Some(a) => a.into_iter().filter(|id| b.binary_search(id).is_ok()).collect(),
    })
}

/// A finished in-process answer (status, headers, body), what the HTTP handlers
/// send and what benchmarks measure.
pub struct Answer {
    pub status: StatusCode,
    pub headers: Vec<(header::HeaderName, String)>,
    pub body: Vec<u8>,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = bytes_response(self.status, self.body);
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

/// `GET {prefix}/identities`, as Kratos's `parseListIdentitiesParameters`,
/// `list` and `ListIdentities` do it for the imitated release. `path` is the
/// request path (for the `Link` URLs).
pub fn list_answer(state: &DemoState, path: &str, uri: &Uri) -> Result<Answer, ApiError> {
    let pairs = query_pairs(uri);
    let version = state.version;
    let query = if version.filters_combine() {
        ListQuery::parse_v1_3(&pairs, version)?
    } else {
        ListQuery::parse_v25(&pairs, version)?
    };
    let size = query.size;
    let after = query.after;

    let view = if !query.include.is_empty() {
        CredentialsView::Declassify(&query.include)
    } else if query.exact.is_some() || query.similar.is_some() {
        CredentialsView::WithoutConfig
    } else {
        CredentialsView::Omit
    };

    let store = state.read_store();
    // Every filter given narrows the selection (v25+ allow only one).
    let mut selection: Option<Vec<Uuid>> = None;
    if !query.ids.is_empty() {
        let mut ids = query.ids.clone();
        ids.sort_unstable();
        ids.dedup();
        selection = narrow(selection, ids);
    }
    if let Some(identifier) = query.exact {
        let mut owner = store.owner_of_identifier(identifier.trim());
        if owner.is_none() {
            owner = store.owner_of_identifier(&normalize_identifier(identifier));
        }
        selection = narrow(selection, owner.into_iter().collect());
    }
    if let Some(prefix) = query.similar {
        // Candidates from the identifier index (the prefix as sent, and as
        // Kratos folds it for password identifiers); Kratos's rule per
        // credential type (`Identity::has_identifier_prefix`) is checked as
        // the page is read, so only what is sent is looked at.
        let mut owners = store.owners_of_identifier_prefix(prefix);
        let folded = prefix.trim_start().to_lowercase();
        if folded != prefix {
            owners.extend(store.owners_of_identifier_prefix(&folded));
            owners.sort_unstable();
            owners.dedup();
        }
        selection = narrow(selection, owners);
    }
    if query.organization.is_some() {
        // The demo identities belong to no organization.
        selection = narrow(selection, Vec::new());
    }

    let (page, more) = match selection {
        None => store.page_after(&after, size),
        Some(ids) => {
            let mut rest = ids
                .into_iter()
                .filter(|id| *id > after)
                .filter_map(|id| store.get(&id))
                .filter(|identity| {
                    query
                        .similar
                        .is_none_or(|prefix| identity.has_identifier_prefix(prefix))
                });
            let page: Vec<_> = rest.by_ref().take(size).collect();
            (page, rest.next().is_some())
        }
    };

    let mut body = Vec::with_capacity(page.len() * 1200 + 2);
    body.push(b'[');
    // A page has few distinct schemas: build each URL once.
    let mut schema_urls: Vec<(&str, String)> = Vec::new();
    for (i, identity) in page.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let known = schema_urls.iter().position(|(id, _)| *id == identity.schema_id);
        let index = known.unwrap_or_else(|| {
            schema_urls.push((&identity.schema_id, state.schema_url(&identity.schema_id)));
            schema_urls.len() - 1
        });
        serde_json::to_writer(
            &mut body,
            &state.identity_json(identity, view, &schema_urls[index].1, Source::Database),
        )
        .map_err(|e| ApiError::internal(format!("Unable to encode identities: {e}")))?;
    }
    body.push(b']');

    let next = if more { page.last().map(|last| last.id) } else { None };
    let headers = vec![(header::LINK, paging::link_header(path, &pairs, next.as_ref(), size))];
    Ok(Answer {
        status: StatusCode::OK,
        headers,
        body,
    })
}

async fn list_identities(State(state): State<Arc<DemoState>>, uri: Uri) -> Response {
    match list_answer(&state, uri.path(), &uri) {
        Ok(answer) => answer.into_response(),
        Err(error) => error.into_response(),
    }
}

/// Kratos parses the id leniently and answers a malformed one like a missing one.
fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(raw).map_err(|_| ApiError::no_rows())
}

async fn get_identity(
    State(state): State<Arc<DemoState>>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let include = parse_include(&query_pairs(&uri))?;
    let id = parse_id(&id)?;
    let store = state.read_store();
    let identity = store.get(&id).ok_or_else(ApiError::no_rows)?;
    let schema_url = state.schema_url(&identity.schema_id);
    let json = state.identity_json(
        &identity,
        CredentialsView::Declassify(&include),
        &schema_url,
        Source::Database,
    );
    let body =
        serde_json::to_vec(&json).map_err(|e| ApiError::internal(format!("Unable to encode the identity: {e}")))?;
    Ok(bytes_response(StatusCode::OK, body))
}

async fn update_identity(
    State(state): State<Arc<DemoState>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // Kratos decodes the body before it looks the identity up. Hashing a
    // plaintext password happens here, outside the store lock.
    let decoded = tokio::task::spawn_blocking(move || UpdateBody::decode(&body))
        .await
        .map_err(|e| ApiError::internal(format!("Unable to decode the body: {e}")))??;
    let id = parse_id(&id)?;
    let mut store = state.write_store();
    let updated = update::apply(&store, &state.schemas, &id, decoded, Timestamp::now(), state.version)?;
    let schema_url = state.schema_url(&updated.schema_id);
    // The answer is the identity as held in memory, not as stored: see Source.
    let body =
        serde_json::to_vec(&state.identity_json(&updated, CredentialsView::WithoutConfig, &schema_url, Source::Memory))
            .map_err(|e| ApiError::internal(format!("Unable to encode the identity: {e}")))?;
    store.replace(updated);
    Ok(bytes_response(StatusCode::OK, body))
}

async fn list_schemas(State(state): State<Arc<DemoState>>) -> Response {
    let list: Vec<Value> = state
        .schemas
        .all()
        .iter()
        .map(|s| json!({ "id": s.id, "schema": s.raw }))
        .collect();
    json_response(StatusCode::OK, &Value::Array(list))
}

async fn get_schema(State(state): State<Arc<DemoState>>, Path(id): Path<String>) -> Result<Response, ApiError> {
    use base64::Engine as _;
    let schema = state.schemas.get(&id).or_else(|| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&id)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|decoded| state.schemas.get(&decoded))
    });
    match schema {
        Some(schema) => Ok(json_response(StatusCode::OK, &schema.raw)),
        None => Err(ApiError::not_found(format!(
            "Identity schema `{id}` could not be found."
        ))),
    }
}

/// `PUT /attribute-registry/attribute/update` with `{issuance_token, name, value}`:
/// sets the attribute on the identity holding that issuance token (kept in its
/// `metadata_admin.yoti.attributes`).
async fn update_attribute(State(state): State<Arc<DemoState>>, body: axum::body::Bytes) -> Result<Response, YotiError> {
    let invalid = |message: &str| YotiError::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message);
    let payload: Value =
        serde_json::from_slice(&body).map_err(|e| invalid(&format!("The body is not valid JSON: {e}")))?;
    let text = |key: &str| payload.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
    let token = text("issuance_token").ok_or_else(|| invalid("issuance_token is required (a non-empty string)"))?;
    let name = text("name").ok_or_else(|| invalid("name is required (a non-empty string)"))?;
    let value = payload
        .get("value")
        .filter(|v| !v.is_null())
        .cloned()
        .ok_or_else(|| invalid("value is required"))?;

    let mut store = state.write_store();
    let Some(owner) = store.owner_of_issuance_token(token) else {
        return Err(YotiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "No attribute was issued with this issuance token",
        ));
    };
    let Some(identity) = store.get(&owner) else {
        return Err(YotiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "No attribute was issued with this issuance token",
        ));
    };
    let mut identity = identity.into_owned();
    if let Some(yoti) = identity.metadata_admin.get_mut("yoti").and_then(Value::as_object_mut) {
        let attributes = yoti.entry("attributes").or_insert_with(|| json!({}));
        if !attributes.is_object() {
            *attributes = json!({});
        }
        attributes[name] = value.clone();
    }
    identity.updated_at = Timestamp::now();
    store.replace(identity);
    Ok(json_response(StatusCode::OK, &json!({ "name": name, "value": value })))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "The requested HTTP method is not supported by this endpoint",
    )
    .with_reason(format!("The demo server does not implement {method} {}.", uri.path()))
}

async fn registry_method_not_allowed(method: Method) -> YotiError {
    YotiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("{method} is not supported here; use PUT"),
    )
}

async fn registry_not_found(uri: Uri) -> YotiError {
    YotiError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("No attribute registry endpoint at {}", uri.path()),
    )
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("No route for {method} {}.", uri.path()))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::demo::{DemoAnswer, DemoOptions, DemoServer};

    fn server(seed_count: Option<usize>) -> DemoServer {
        let options = DemoOptions {
            seed_count,
            ..DemoOptions::for_tests()
        };
        match DemoServer::build(&options) {
            Ok(server) => server,
            Err(err) => panic!("the demo builds: {err}"),
        }
    }

    fn items(answer: &DemoAnswer) -> Vec<Value> {
        assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
        match serde_json::from_slice(&answer.body) {
            Ok(Value::Array(items)) => items,
            other => panic!("not a list: {other:?}"),
        }
    }

    /// The ids a prefix search finds, following every page as Kratos's
    /// `Link` says.
    fn similar(server: &DemoServer, prefix: &str, page_size: usize) -> Vec<Value> {
        let encoded: String = url::form_urlencoded::byte_serialize(prefix.as_bytes()).collect();
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..1000 {
            let mut query = format!("preview_credentials_identifier_similar={encoded}&page_size={page_size}");
            if let Some(token) = &token {
                query.push_str(&format!("&page_token={token}"));
            }
            let answer = server.list_identities(&query);
            found.extend(items(&answer));
            let link = answer
                .headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("link"))
                .map(|(_, value)| value.clone())
                .unwrap_or_default();
            let Some(next) = link.split(',').find(|l| l.contains("rel=\"next\"")) else {
                return found;
            };
            assert!(
                next.contains("preview_credentials_identifier_similar="),
                "the next link repeats the filter: {next}"
            );
            token = next
                .split(['?', '&', '>'])
                .find_map(|part| part.strip_prefix("page_token="))
                .map(str::to_owned);
        }
        panic!("more than 1000 pages");
    }

    fn identifiers(identity: &Value) -> Vec<String> {
        identity["credentials"]
            .as_object()
            .into_iter()
            .flat_map(|c| c.values())
            .filter_map(|c| c["identifiers"].as_array())
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn prefix_matches_page_in_id_order_each_once_with_the_filter_repeated() {
        let server = server(Some(3000));
        let all = similar(&server, "sofia", 500);
        let paged = similar(&server, "sofia", 7);
        assert!(all.len() > 20, "the seed has Sofias: {}", all.len());
        assert_eq!(paged, all, "small pages give the same identities in the same order");
        let ids: Vec<&str> = all.iter().filter_map(|i| i["id"].as_str()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order, each once");
        for identity in &all {
            assert!(
                identifiers(identity).iter().any(|i| i.starts_with("sofia")),
                "{identity}"
            );
            assert!(
                identity["credentials"]["password"].get("config").is_none(),
                "no configs"
            );
        }
        // Every identity with such an identifier is found.
        let everyone = items(&server.list_identities("page_size=500"));
        assert!(everyone.len() == 500, "the first 500 are enough to compare");
        let last = everyone.last().and_then(|i| i["id"].as_str()).unwrap_or_default();
        let mut expected = 0;
        for identity in &everyone {
            let id = identity["id"].as_str().unwrap_or_default();
            let email = identity["traits"]["email"].as_str().unwrap_or_default();
            if email.starts_with("sofia") {
                expected += 1;
                assert!(ids.contains(&id), "{email} is missing");
            }
        }
        assert_eq!(ids.iter().filter(|id| **id <= last).count(), expected);
    }

    /// `persistence/sql/identity/persister_identity.go` `ListIdentities`:
    /// password identifiers against the prefix lower-cased, OIDC ones
    /// (`provider:subject`) as typed; `%` and `_` are no wildcards.
    #[test]
    fn prefixes_match_as_kratos_matches_them() {
        let server = server(None);
        let ada = "ada.lovelace@example.com";
        let emails = |found: Vec<Value>| -> Vec<String> {
            found
                .iter()
                .filter_map(|i| i["traits"]["email"].as_str().map(str::to_owned))
                .collect()
        };
        assert!(emails(similar(&server, "Ada.Love", 250)).contains(&ada.to_owned()));
        assert!(emails(similar(&server, " ada.love", 250)).contains(&ada.to_owned()));
        let google = similar(&server, "google:1080000000000000000", 250);
        assert!(emails(google).contains(&ada.to_owned()));
        assert!(
            similar(&server, "GOOGLE:1080000000000000000", 250).is_empty(),
            "OIDC identifiers keep their case"
        );
        assert!(similar(&server, "ada%", 250).is_empty(), "% is no wildcard");
        assert!(similar(&server, "ada_lovelace", 250).is_empty(), "_ is no wildcard");
    }
}
