//! HTTP routes: the identities API under the prefix, `/schemas` at the root,
//! the attribute registry under `/attribute-registry`, and the guard every
//! request passes (faults, bearer token, signature, request id).

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
use super::model::{CredentialsView, IdentityJson, Timestamp};
use super::paging;
use super::schema::{IdentitySchema, Schemas, normalize_identifier};
use super::store::Store;
use super::update::{self, UpdateBody};

/// Where the attribute registry is mounted.
pub const REGISTRY_MOUNT: &str = "/attribute-registry";
/// Request bodies larger than this are refused.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Kratos's limit on the `ids` filter.
const MAX_IDS_FILTER: usize = 500;

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
    /// `http://addr`, known once the listener is bound (for `schema_url`).
    pub public_base: OnceLock<String>,
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

    fn schema_url(&self, schema_id: &str) -> String {
        let base = self.public_base.get().map_or("http://127.0.0.1", String::as_str);
        format!("{base}{}", IdentitySchema::url_path(schema_id))
    }
}

pub fn router(state: Arc<DemoState>) -> Router {
    let identities = format!("{}/identities", state.prefix);
    let identity = format!("{}/identities/{{id}}", state.prefix);
    Router::new()
        .route(&identities, get(list_identities).fallback(method_not_allowed))
        .route(
            &identity,
            get(get_identity).put(update_identity).fallback(method_not_allowed),
        )
        .route("/schemas", get(list_schemas).fallback(method_not_allowed))
        .route("/schemas/{id}", get(get_schema).fallback(method_not_allowed))
        .route(
            &format!("{REGISTRY_MOUNT}/attribute/update"),
            put(update_attribute).fallback(registry_method_not_allowed),
        )
        .route(&format!("{REGISTRY_MOUNT}/{{*rest}}"), any(registry_not_found))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
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

/// Which identities a list request selects.
enum Selection {
    All,
    /// Matching ids, sorted.
    Some(Vec<Uuid>),
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

/// `GET {prefix}/identities`, as Kratos's `parseListIdentitiesParameters` and
/// `list` do it. `path` is the request path (for the `Link` URLs).
pub fn list_answer(state: &DemoState, path: &str, uri: &Uri) -> Result<Answer, ApiError> {
    let pairs = query_pairs(uri);
    let mut filters = 0;

    let ids = values(&pairs, "ids");
    let mut id_filter = Vec::new();
    if !ids.is_empty() {
        filters += 1;
        for raw in ids {
            let id = Uuid::try_parse(raw)
                .map_err(|_| ApiError::bad_request(format!("Invalid UUID value `{raw}` for parameter `ids`.")))?;
            id_filter.push(id);
        }
    }
    if id_filter.len() > MAX_IDS_FILTER {
        return Err(ApiError::bad_request(
            "The number of ids to filter must not exceed 500.",
        ));
    }
    let mut organization = None;
    if let Some(raw) = first(&pairs, "organization_id").filter(|v| !v.is_empty()) {
        filters += 1;
        organization = Some(Uuid::try_parse(raw).map_err(|_| {
            ApiError::bad_request(format!("Invalid UUID value `{raw}` for parameter `organization_id`."))
        })?);
    }
    let exact = first(&pairs, "credentials_identifier").filter(|v| !v.is_empty());
    let similar = first(&pairs, "preview_credentials_identifier_similar").filter(|v| !v.is_empty());
    filters += usize::from(exact.is_some()) + usize::from(similar.is_some());
    let include = parse_include(&pairs)?;
    if filters > 1 {
        return Err(ApiError::bad_request("You cannot combine multiple filters in this API"));
    }
    let size = paging::parse_page_size(first(&pairs, "page_size"))?;
    let after = match first(&pairs, "page_token").filter(|t| !t.is_empty()) {
        Some(token) => paging::decode_token(token)?,
        None => Uuid::nil(),
    };

    let view_types;
    let view = if !include.is_empty() {
        view_types = include;
        CredentialsView::Declassify(&view_types)
    } else if exact.is_some() || similar.is_some() {
        CredentialsView::WithoutConfig
    } else {
        CredentialsView::Omit
    };

    let store = state.read_store();
    let selection = if !id_filter.is_empty() {
        id_filter.sort_unstable();
        id_filter.dedup();
        Selection::Some(id_filter)
    } else if let Some(identifier) = exact {
        let mut owner = store.owner_of_identifier(identifier.trim());
        if owner.is_none() {
            owner = store.owner_of_identifier(&normalize_identifier(identifier));
        }
        Selection::Some(owner.into_iter().collect())
    } else if let Some(prefix) = similar {
        let mut owners = store.owners_of_identifier_prefix(prefix.trim());
        let folded = prefix.trim().to_lowercase();
        if folded != prefix.trim() {
            owners.extend(store.owners_of_identifier_prefix(&folded));
            owners.sort_unstable();
            owners.dedup();
        }
        Selection::Some(owners)
    } else if organization.is_some() {
        // The demo identities belong to no organization.
        Selection::Some(Vec::new())
    } else {
        Selection::All
    };

    let (page, more) = match selection {
        Selection::All => store.page_after(&after, size),
        Selection::Some(ids) => {
            let mut rest = ids.into_iter().filter(|id| *id > after);
            let page: Vec<_> = rest.by_ref().filter_map(|id| store.get(&id)).take(size).collect();
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
            &IdentityJson {
                identity,
                credentials: view,
                schema_url: &schema_urls[index].1,
            },
        )
        .map_err(|e| ApiError::internal(format!("Unable to encode identities: {e}")))?;
    }
    body.push(b']');

    let mut headers = vec![(
        header::LINK,
        paging::link(path, &pairs, "first", &paging::encode_token(&Uuid::nil()), size),
    )];
    if more && let Some(last) = page.last() {
        headers.push((
            header::LINK,
            paging::link(path, &pairs, "next", &paging::encode_token(&last.id), size),
        ));
    }
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
    let json = IdentityJson {
        identity: &identity,
        credentials: CredentialsView::Declassify(&include),
        schema_url: &schema_url,
    };
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
    let updated = update::apply(&store, &state.schemas, &id, decoded, Timestamp::now())?;
    let schema_url = state.schema_url(&updated.schema_id);
    let body = serde_json::to_vec(&IdentityJson {
        identity: &updated,
        credentials: CredentialsView::WithoutConfig,
        schema_url: &schema_url,
    })
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
