//! The async HTTP client for the Kratos admin API and the Yoti attribute
//! registry.
//!
//! Every request:
//! - goes to the profile's base URL + an endpoint path; the endpoint (not the
//!   base URL's own path) and the query are what is signed, and the URL sent
//!   is built as a string and checked to survive URL parsing byte for byte, so
//!   the server sees exactly what was signed;
//! - is signed with the Yoti scheme when the profile has a key, and carries
//!   `X-Request-ID` (a fresh UUID v4, handed back for the audit trail);
//! - has the profile's connect and total timeouts, a cap on the answer size,
//!   never follows redirects (a signed request or bearer token must not go
//!   where the profile does not point), and never asks for credentials
//!   (`include_credential`), so no secret is ever fetched.
//!
//! Identity schemas are the one exception to "never follows redirects":
//! Kratos's admin port answers `GET /schemas[/{id}]` with a 307 to its
//! public port (`schema/handler.go` `RegisterAdminRoutes`), and identities'
//! `schema_url` point there too. Schema reads follow at most
//! [`MAX_SCHEMA_REDIRECTS`] http(s) hops by hand (reqwest itself follows
//! none); a hop to another origin than the profile's is a plain GET without
//! signature, bearer token or profile headers, a hop back to the profile's
//! origin is signed again for its own path.
//!
//! Secrets never come back out: each prepared request knows the secrets it
//! carries ([`Secrets`]: the body's passwords, hashes and tokens, the
//! signature, the bearer token and the profile's static header values), and
//! every answer is scrubbed of them as it arrives, before anything reads it
//! (see [`Secrets::scrub_answer`]), as are transport error texts. So errors,
//! audit lines, logs, the response view and the request history only ever
//! see a scrubbed exchange, whatever a server quotes back.

use std::collections::HashSet;
use std::error::Error as StdError;
use std::sync::Arc;
use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::error::{ApiError, HttpError, TimeoutPhase};
use super::exchange::{Exchange, RequestInfo, Response, SecretKind, Secrets};
use super::link;
use super::models::{
    AttributeUpdate, Identity, IdentityPage, IdentitySchema, PageCursor, REDACTED, UpdateIdentityBody,
    redact_all_secrets,
};
use crate::config::Profile;
use crate::signing::{self, SigningKey};

/// The largest answer idcon reads (a page of 500 identities is far smaller).
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The attribute registry's update endpoint, relative to `attribute_registry_url`.
pub const ATTRIBUTE_UPDATE_ENDPOINT: &str = "/attribute/update";

/// Header idcon sends its own request id in.
pub const REQUEST_ID_HEADER: &str = "X-Request-ID";

/// Most pages `list_schemas` follows before it gives up.
const MAX_SCHEMA_PAGES: usize = 100;

/// Most redirects a schema read follows (Kratos needs one: admin -> public).
pub const MAX_SCHEMA_REDIRECTS: usize = 3;

/// The redirect statuses a schema read follows (always with a GET).
const FOLLOWED_REDIRECTS: [u16; 5] = [301, 302, 303, 307, 308];

/// Where Kratos's public port serves the identity schemas.
const PUBLIC_SCHEMAS_PATH: &str = "/schemas";

/// Characters percent-encoded in a path segment (an identity or schema id):
/// everything but `A-Za-z0-9-._~`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Tuning that is not part of a profile.
#[derive(Debug)]
pub struct ClientOptions {
    pub max_body_bytes: usize,
    /// A key given directly (the demo's embedded key) instead of the
    /// profile's `key_file`.
    pub signing_key: Option<SigningKey>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            signing_key: None,
        }
    }
}

/// Which identities to list. Kratos refuses to combine filters, so there is
/// at most one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum IdentityFilter {
    #[default]
    All,
    /// `ids=...` repeated.
    Ids(Vec<String>),
    /// Exact identifier (email case-folded by Kratos; `provider:subject` for OIDC).
    CredentialsIdentifier(String),
    /// `preview_credentials_identifier_similar` (experimental in Kratos).
    SimilarIdentifier(String),
}

/// The first page of an identity listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityQuery {
    /// Kratos's default is 250, its maximum 500 (larger is clamped).
    pub page_size: Option<u32>,
    pub filter: IdentityFilter,
}

impl IdentityQuery {
    /// The query parameters, in the order they are sent.
    pub fn params(&self) -> Vec<(String, String)> {
        let mut params = Vec::new();
        if let Some(size) = self.page_size {
            params.push(("page_size".to_owned(), size.to_string()));
        }
        match &self.filter {
            IdentityFilter::All => {}
            IdentityFilter::Ids(ids) => {
                params.extend(ids.iter().map(|id| ("ids".to_owned(), id.clone())));
            }
            IdentityFilter::CredentialsIdentifier(identifier) => {
                params.push(("credentials_identifier".to_owned(), identifier.clone()));
            }
            IdentityFilter::SimilarIdentifier(prefix) => {
                params.push(("preview_credentials_identifier_similar".to_owned(), prefix.clone()));
            }
        }
        params
    }
}

/// A request ready to send: signed, with its URL, headers and body fixed.
/// `--dry-run` prints it; [`Client::execute`] sends it.
#[derive(Clone)]
pub struct PreparedRequest {
    pub request_id: String,
    pub method: String,
    /// Exactly the URL that is sent.
    pub url: String,
    pub body: Option<Vec<u8>>,
    /// The string that was signed (`None` when the profile has no key).
    pub signed_message: Option<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// Header names whose values are secrets (bearer, static headers).
    secret_headers: Vec<HeaderName>,
    /// Every secret this request carries, scrubbed from its answer.
    secrets: Secrets,
    /// The profile's `issuance_token_pointer`: a secret member of the body.
    token_pointer: Option<String>,
}

impl std::fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedRequest")
            .field("request_id", &self.request_id)
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.display_headers(true))
            .finish_non_exhaustive()
    }
}

impl PreparedRequest {
    /// The headers, with secret values (bearer token, static header values)
    /// replaced; the signature too when `hide_signature`.
    pub fn display_headers(&self, hide_signature: bool) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(name, value)| {
                let hidden = self.secret_headers.contains(name)
                    || (hide_signature && name.as_str().eq_ignore_ascii_case(signing::DIGEST_HEADER));
                let shown = if hidden {
                    REDACTED.to_owned()
                } else {
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                };
                (canonical_name(name), shown)
            })
            .collect()
    }

    /// The body with every secret redacted (passwords, hashes, OIDC tokens,
    /// the issuance token also at the profile's own pointer), for display
    /// and history.
    pub fn display_body(&self) -> Option<String> {
        self.body
            .as_ref()
            .map(|bytes| match serde_json::from_slice::<Value>(bytes) {
                Ok(mut json) => {
                    redact_all_secrets(&mut json, self.token_pointer.as_deref());
                    json.to_string()
                }
                Err(_) => self.secrets.scrub_text(&String::from_utf8_lossy(bytes)).into_owned(),
            })
    }

    /// True when the body carries a secret: a dry run then prints
    /// [`PreparedRequest::display_body`] and hides the signature.
    pub fn body_has_secrets(&self) -> bool {
        self.secrets.in_body()
    }

    /// `text` with every secret of this request replaced by `<redacted>`.
    pub fn scrub(&self, text: &str) -> String {
        self.secrets.scrub_text(text).into_owned()
    }

    fn info(&self) -> RequestInfo {
        RequestInfo {
            method: self.method.clone(),
            url: self.url.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

/// The client for one profile. Cheap to clone (shared inside), so each
/// request can run on its own task.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    profile_name: String,
    /// The base URL without a trailing `/`.
    base: String,
    /// The base URL parsed: its origin decides where credentials may go.
    base_url: Url,
    /// Kratos's public URL (without a trailing `/`), when the profile has one.
    public: Option<Url>,
    host: String,
    identities_path: String,
    schemas_path: String,
    /// Where sessions live (`/admin/sessions`; see `Profile::sessions_path`).
    sessions_path: String,
    /// Where recovery links and codes are made (`/admin/recovery`).
    recovery_path: String,
    registry_base: Option<String>,
    key: Option<SigningKey>,
    sdk_id: Option<String>,
    static_headers: Vec<(HeaderName, HeaderValue)>,
    bearer: Option<HeaderValue>,
    /// The profile's `issuance_token_pointer`.
    token_pointer: String,
    read_only: bool,
    timeout: Duration,
    connect_timeout: Duration,
    max_body_bytes: usize,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("profile", &self.inner.profile_name)
            .field("base", &self.inner.base)
            .field("signed", &self.inner.key.is_some())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds the client for `profile`: loads the key (refusing a bad one),
    /// the extra CA roots and the bearer token from its environment variable.
    pub fn new(profile: &Profile) -> Result<Client, ApiError> {
        Client::with_options(profile, ClientOptions::default())
    }

    pub fn with_options(profile: &Profile, options: ClientOptions) -> Result<Client, ApiError> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(profile.timeout)
            .connect_timeout(profile.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("idcon/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &profile.ca_file {
            let pem = std::fs::read(path).map_err(|err| ApiError::CaFile {
                path: path.clone(),
                detail: format!("cannot read it: {err}"),
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|err| ApiError::CaFile {
                path: path.clone(),
                detail: format!("not a PEM certificate bundle: {err}"),
            })?;
            if certs.is_empty() {
                return Err(ApiError::CaFile {
                    path: path.clone(),
                    detail: "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned(),
                });
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if profile.danger_accept_invalid_certs {
            builder = builder.danger_accept_invalid_certs(true);
        }
        let http = builder.build().map_err(|err| ApiError::Setup(error_detail(&err)))?;

        let bearer = match &profile.bearer_token_env {
            Some(variable) => Some(bearer_from_env(&profile.name, variable)?),
            None => None,
        };
        let mut static_headers = Vec::with_capacity(profile.headers.len());
        for (name, value) in &profile.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| ApiError::InvalidInput(format!("invalid header name {name:?} in profile")))?;
            let mut value = HeaderValue::from_str(value)
                .map_err(|_| ApiError::InvalidInput(format!("invalid value for header {name} in profile")))?;
            value.set_sensitive(true);
            static_headers.push((name, value));
        }
        let key = match (options.signing_key, &profile.key_file) {
            (Some(key), _) => Some(key),
            (None, Some(path)) => Some(SigningKey::from_pem_file(path, profile.insecure_key_permissions)?),
            (None, None) => None,
        };
        let host = match (profile.base_url.host_str(), profile.base_url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => profile.base_url.as_str().to_owned(),
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                profile_name: profile.name.clone(),
                base: trim_base(&profile.base_url),
                base_url: profile.base_url.clone(),
                public: profile.public_url.clone(),
                host,
                identities_path: profile.identities_path.trim_end_matches('/').to_owned(),
                schemas_path: profile.schemas_path.trim_end_matches('/').to_owned(),
                sessions_path: profile.sessions_path.trim_end_matches('/').to_owned(),
                recovery_path: profile.recovery_path.trim_end_matches('/').to_owned(),
                registry_base: profile.attribute_registry_url.as_ref().map(trim_base),
                key,
                sdk_id: profile.sdk_id.clone(),
                static_headers,
                bearer,
                token_pointer: profile.issuance_token_pointer.clone(),
                read_only: profile.read_only,
                timeout: profile.timeout,
                connect_timeout: profile.connect_timeout,
                max_body_bytes: options.max_body_bytes,
            }),
        })
    }

    /// The attribute registry's base URL, when the profile has one.
    pub fn attribute_registry_url(&self) -> Option<&str> {
        self.inner.registry_base.as_deref()
    }

    /// The name of the profile this client was made for.
    pub fn profile_name(&self) -> &str {
        &self.inner.profile_name
    }

    /// The profile's base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Whether requests are signed (the profile has a key).
    pub fn is_signing(&self) -> bool {
        self.inner.key.is_some()
    }

    pub fn is_read_only(&self) -> bool {
        self.inner.read_only
    }

    /// The identities API's path under the base URL (`/admin/identities`).
    pub fn identities_path(&self) -> &str {
        &self.inner.identities_path
    }

    /// The sessions API's path under the base URL (`/admin/sessions`).
    pub fn sessions_path(&self) -> &str {
        &self.inner.sessions_path
    }

    /// The path under the base URL where recovery links and codes are made
    /// (`/admin/recovery`).
    pub fn recovery_path(&self) -> &str {
        &self.inner.recovery_path
    }

    /// The URL of an identity, as people see it (no signing parameters).
    pub fn identity_url(&self, id: &str) -> String {
        format!(
            "{}{}/{}",
            self.inner.base,
            self.inner.identities_path,
            encode_segment(id)
        )
    }

    // ----- identities -------------------------------------------------------

    /// The first page of identities.
    pub async fn list_identities(&self, query: &IdentityQuery) -> Result<Response<IdentityPage>, ApiError> {
        self.fetch_identity_page(query.params()).await
    }

    /// The page a previous page's `next` points at.
    pub async fn list_identities_from(&self, cursor: &PageCursor) -> Result<Response<IdentityPage>, ApiError> {
        self.fetch_identity_page(cursor.clone()).await
    }

    /// Pages through every identity the query selects.
    pub fn pager(&self, query: IdentityQuery) -> IdentityPager {
        IdentityPager {
            client: self.clone(),
            next: Some(query.params()),
            seen: HashSet::new(),
            pages: 0,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }

    async fn fetch_identity_page(&self, params: Vec<(String, String)>) -> Result<Response<IdentityPage>, ApiError> {
        let raw = self.fetch_raw_identity_page(params).await?;
        let items = parse_identity_list(&raw.exchange)?;
        Ok(Response {
            value: IdentityPage {
                items,
                next: raw.value.next,
            },
            exchange: raw.exchange,
        })
    }

    /// One page as the server sent it, its items not parsed (the answer's
    /// bytes are in the exchange), with the next page's query, which the
    /// `Link` header gives before the body is read.
    async fn fetch_raw_identity_page(
        &self,
        params: Vec<(String, String)>,
    ) -> Result<Response<RawIdentityPage>, ApiError> {
        let endpoint = self.inner.identities_path.clone();
        let prepared = self.prepare(&self.inner.base, "GET", &endpoint, &params, None)?;
        let exchange = self.execute(&prepared).await?;
        let exchange = success(exchange)?;
        let next = next_cursor(&exchange, &prepared.url, &params)?;
        Ok(Response {
            value: RawIdentityPage { next },
            exchange,
        })
    }

    /// One identity, without credentials' secrets (never asks for them).
    pub async fn get_identity(&self, id: &str) -> Result<Response<Identity>, ApiError> {
        let endpoint = self.identity_endpoint(id)?;
        let prepared = self.prepare(&self.inner.base, "GET", &endpoint, &[], None)?;
        let exchange = success(self.execute(&prepared).await?)?;
        let identity = parse_json(&exchange, "an identity")?;
        Ok(Response {
            value: identity,
            exchange,
        })
    }

    /// The signed `PUT` for an identity, without sending it. Refused for a
    /// read-only profile before anything is signed.
    pub fn prepare_update_identity(&self, id: &str, body: &UpdateIdentityBody) -> Result<PreparedRequest, ApiError> {
        self.refuse_if_read_only()?;
        let endpoint = self.identity_endpoint(id)?;
        let bytes =
            serde_json::to_vec(body).map_err(|err| ApiError::InvalidInput(format!("cannot encode the body: {err}")))?;
        let mut prepared = self.prepare(&self.inner.base, "PUT", &endpoint, &[], Some(bytes))?;
        // The answer is the identity: its own members stay where they were sent.
        if let Some(bytes) = &prepared.body {
            prepared.secrets.add_body(bytes, Some(&self.inner.token_pointer), true);
        }
        Ok(prepared)
    }

    /// `PUT {identities}/{id}`: replaces the identity with `body` and returns
    /// the identity the server now holds, with the whole exchange.
    pub async fn update_identity(&self, id: &str, body: &UpdateIdentityBody) -> Result<Response<Identity>, ApiError> {
        let prepared = self.prepare_update_identity(id, body)?;
        self.send_identity_write(&prepared).await
    }

    /// Sends a prepared identity write and reads the identity it returns.
    pub async fn send_identity_write(&self, prepared: &PreparedRequest) -> Result<Response<Identity>, ApiError> {
        let exchange = success(self.execute(prepared).await?)?;
        let identity = parse_json(&exchange, "an identity")?;
        Ok(Response {
            value: identity,
            exchange,
        })
    }

    // ----- schemas ----------------------------------------------------------

    /// Every identity schema, following next links. Read from the profile's
    /// `public_url` when it has one, else from `GET {schemas_path}` on the
    /// admin API, following Kratos's redirect to the public port (see the
    /// module documentation). Next pages are asked for where the previous
    /// page finally came from. The exchange is the last page's.
    pub async fn list_schemas(&self) -> Result<Response<Vec<IdentitySchema>>, ApiError> {
        let mut url = self.schemas_url("")?;
        let mut params: Vec<(String, String)> = Vec::new();
        let mut seen: HashSet<(String, Vec<(String, String)>)> = HashSet::new();
        let mut schemas = Vec::new();
        loop {
            let followed = self.get_following(url, params).await?;
            let exchange = success(followed.exchange)?;
            let page: Vec<IdentitySchema> = parse_json(&exchange, "a list of identity schemas")?;
            let page_was_empty = page.is_empty();
            schemas.extend(page);
            seen.insert((followed.url.to_string(), followed.params.clone()));
            match next_cursor(&exchange, &exchange.url, &followed.params)? {
                Some(next)
                    if !page_was_empty
                        && !seen.contains(&(followed.url.to_string(), next.clone()))
                        && seen.len() < MAX_SCHEMA_PAGES =>
                {
                    url = followed.url;
                    params = next;
                }
                _ => {
                    return Ok(Response {
                        value: schemas,
                        exchange,
                    });
                }
            }
        }
    }

    /// One identity JSON Schema, raw: `GET {schemas_path}/{id}` (or from the
    /// profile's `public_url`), redirects followed as for [`Client::list_schemas`].
    pub async fn get_schema(&self, id: &str) -> Result<Response<Value>, ApiError> {
        let url = self.schemas_url(&format!("/{}", checked_segment(id, "schema id")?))?;
        self.read_schema(url, Vec::new()).await
    }

    /// One identity JSON Schema from a URL that came as data (an identity's
    /// `schema_url`). Only http(s); credentials go with it only when it
    /// points at the profile's own origin; redirects as for
    /// [`Client::list_schemas`].
    pub async fn get_schema_at(&self, schema_url: &str) -> Result<Response<Value>, ApiError> {
        let refuse = |url: &str, detail: String| ApiError::UrlRefused {
            what: "the schema_url",
            url: url.to_owned(),
            detail,
        };
        let mut url = Url::parse(schema_url.trim())
            .map_err(|err| refuse(schema_url, format!("it is not a valid URL ({err})")))?;
        if !url.username().is_empty() || url.password().is_some() {
            // Never repeat what looks like a password.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            return Err(refuse(url.as_str(), "it holds a user name or password".to_owned()));
        }
        if let Some(problem) = unfollowable(&url) {
            return Err(refuse(url.as_str(), problem));
        }
        url.set_fragment(None);
        let params = link::carried_query(&url);
        url.set_query(None);
        self.read_schema(url, params).await
    }

    async fn read_schema(&self, url: Url, params: Vec<(String, String)>) -> Result<Response<Value>, ApiError> {
        let followed = self.get_following(url, params).await?;
        let exchange = success(followed.exchange)?;
        let schema = parse_json(&exchange, "a JSON Schema")?;
        Ok(Response {
            value: schema,
            exchange,
        })
    }

    /// Where a schema read starts: the public URL when the profile has one,
    /// else the admin API's schemas path; `suffix` is `""` or `/{id}`.
    fn schemas_url(&self, suffix: &str) -> Result<Url, ApiError> {
        let text = match &self.inner.public {
            Some(public) => format!("{}{PUBLIC_SCHEMAS_PATH}{suffix}", trim_base(public)),
            None => format!("{}{}{suffix}", self.inner.base, self.inner.schemas_path),
        };
        Url::parse(&text).map_err(|err| {
            ApiError::InvalidInput(format!(
                "invalid schemas URL {}: {err}",
                crate::sanitize::for_display(&text)
            ))
        })
    }

    /// Whether a request to `url` may carry the profile's credentials
    /// (signature, bearer token, static headers): only on the profile's own
    /// origin, and never under its `public_url` (which needs none).
    fn credentials_for(&self, url: &Url) -> bool {
        url.origin() == self.inner.base_url.origin() && !self.under_public(url)
    }

    fn under_public(&self, url: &Url) -> bool {
        let Some(public) = &self.inner.public else {
            return false;
        };
        let prefix = public.path().trim_end_matches('/');
        url.origin() == public.origin()
            && (prefix.is_empty()
                || url.path() == prefix
                || url
                    .path()
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/')))
    }

    /// A `GET` of `url` (without query) + `params`: signed with the profile's
    /// credentials when [`Client::credentials_for`] allows, else plain.
    fn prepare_get_at(&self, url: &Url, params: &[(String, String)]) -> Result<PreparedRequest, ApiError> {
        if !self.credentials_for(url) {
            return prepare_plain_get(url, params);
        }
        // Sign the path relative to the base URL, as every request is signed;
        // a path outside the base URL's own path is signed whole.
        let base_path = self.inner.base_url.path().trim_end_matches('/');
        let relative = url
            .path()
            .strip_prefix(base_path)
            .filter(|rest| !base_path.is_empty() && (rest.is_empty() || rest.starts_with('/')));
        match relative {
            Some(endpoint) => self.prepare(&self.inner.base, "GET", endpoint, params, None),
            None => self.prepare(&url.origin().ascii_serialization(), "GET", url.path(), params, None),
        }
    }

    /// `GET url?params`, following at most [`MAX_SCHEMA_REDIRECTS`]
    /// redirects to http(s) URLs, each hop prepared by
    /// [`Client::prepare_get_at`] (credentials only on the profile's origin).
    /// Only for schema reads: nothing else is ever followed.
    async fn get_following(&self, start: Url, params: Vec<(String, String)>) -> Result<Followed, ApiError> {
        let mut url = start;
        let mut params = params;
        let mut hops = 0;
        loop {
            let prepared = self.prepare_get_at(&url, &params)?;
            let exchange = self.send(&prepared).await?;
            if !FOLLOWED_REDIRECTS.contains(&exchange.status) {
                let exchange = refuse_redirect(exchange)?;
                return Ok(Followed { exchange, url, params });
            }
            let request = exchange.request_info();
            let status = exchange.status;
            let location = exchange.header("location").map(str::trim).filter(|l| !l.is_empty());
            let Some(location) = location.map(str::to_owned) else {
                return Err(ApiError::RedirectRefused {
                    request,
                    status,
                    location: "(nowhere)".to_owned(),
                    detail: "the answer has no (or an empty) Location header".to_owned(),
                });
            };
            let refused = |detail: String| ApiError::RedirectRefused {
                request: request.clone(),
                status,
                location: location.clone(),
                detail,
            };
            let mut next = Url::parse(&prepared.url)
                .and_then(|sent| sent.join(&location))
                .map_err(|err| refused(format!("it is not a valid URL ({err})")))?;
            if let Some(problem) = unfollowable(&next) {
                return Err(refused(problem));
            }
            if !next.username().is_empty() || next.password().is_some() {
                return Err(refused("it holds a user name or password".to_owned()));
            }
            if hops == MAX_SCHEMA_REDIRECTS {
                return Err(ApiError::TooManyRedirects {
                    request,
                    limit: MAX_SCHEMA_REDIRECTS,
                    location,
                });
            }
            hops += 1;
            tracing::debug!(
                from = %request.display_url(),
                to = %crate::sanitize::for_display(next.as_str()),
                status,
                "following a schema redirect"
            );
            // The server may have copied the signed request's query into the
            // location: its nonce and timestamp are not carried (a hop back to
            // the profile is signed afresh, a hop elsewhere is not signed).
            params = link::carried_query(&next);
            next.set_query(None);
            next.set_fragment(None);
            url = next;
        }
    }

    // ----- attribute registry -----------------------------------------------

    /// The signed attribute-registry `PUT`, without sending it.
    pub fn prepare_update_attribute(&self, update: &AttributeUpdate) -> Result<PreparedRequest, ApiError> {
        self.refuse_if_read_only()?;
        let base = self
            .inner
            .registry_base
            .clone()
            .ok_or_else(|| ApiError::NotConfigured {
                profile: self.inner.profile_name.clone(),
                setting: "attribute_registry_url",
            })?;
        let bytes = serde_json::to_vec(update)
            .map_err(|err| ApiError::InvalidInput(format!("cannot encode the body: {err}")))?;
        self.prepare(&base, "PUT", ATTRIBUTE_UPDATE_ENDPOINT, &[], Some(bytes))
    }

    /// `PUT {attribute_registry_url}/attribute/update`. The value is the
    /// answer's JSON, `None` when the answer has no body.
    pub async fn update_attribute(&self, update: &AttributeUpdate) -> Result<Response<Option<Value>>, ApiError> {
        let prepared = self.prepare_update_attribute(update)?;
        self.send_attribute_write(&prepared).await
    }

    /// Sends a prepared attribute-registry write.
    pub async fn send_attribute_write(&self, prepared: &PreparedRequest) -> Result<Response<Option<Value>>, ApiError> {
        let exchange = success(self.execute(prepared).await?)?;
        let value = if exchange.body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(parse_json(&exchange, "JSON")?)
        };
        Ok(Response { value, exchange })
    }

    // ----- the request machinery --------------------------------------------

    /// Builds and signs a request to `base` + `endpoint` (+ query).
    pub fn prepare(
        &self,
        base: &str,
        method: &str,
        endpoint: &str,
        params: &[(String, String)],
        body: Option<Vec<u8>>,
    ) -> Result<PreparedRequest, ApiError> {
        let inner = &self.inner;
        let request_id = uuid::Uuid::new_v4().to_string();
        let (path_and_query, signed) = match &inner.key {
            Some(key) => {
                let nonce = signing::fresh_nonce();
                let timestamp = signing::now_millis();
                let signed = sign(key, method, endpoint, params, body.as_deref(), &nonce, timestamp);
                (signed.path_and_query.clone(), Some(signed))
            }
            None if params.is_empty() => (endpoint.to_owned(), None),
            None => (format!("{endpoint}?{}", signing::encode_query(params)), None),
        };
        let url = format!("{base}{path_and_query}");
        // The server must see the bytes that were signed: refuse a URL that
        // parsing would re-encode or normalise.
        match Url::parse(&url) {
            Ok(parsed) if parsed.as_str() == url => {}
            Ok(parsed) => {
                return Err(ApiError::InvalidInput(format!(
                    "the URL {} would be sent as {}, which is not what was signed",
                    crate::sanitize::for_display(&url),
                    crate::sanitize::for_display(parsed.as_str())
                )));
            }
            Err(err) => {
                return Err(ApiError::InvalidInput(format!(
                    "invalid URL {}: {err}",
                    crate::sanitize::for_display(&url)
                )));
            }
        }

        let mut headers = Headers::default();
        for (name, value) in &inner.static_headers {
            headers.set(name.clone(), value.clone(), true);
        }
        if let Some(bearer) = &inner.bearer {
            headers.set(reqwest::header::AUTHORIZATION, bearer.clone(), true);
        }
        if let Some(signed) = &signed {
            headers.set_named(signing::DIGEST_HEADER, header_value(&signed.digest)?);
        }
        if let Some(sdk_id) = &inner.sdk_id {
            headers.set_named(signing::AUTH_ID_HEADER, header_value(sdk_id)?);
        }
        headers.set_named(signing::SDK_HEADER, HeaderValue::from_static(signing::SDK_HEADER_VALUE));
        headers.set_named(
            signing::SDK_VERSION_HEADER,
            HeaderValue::from_static(signing::SDK_VERSION_HEADER_VALUE),
        );
        headers.set(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
            false,
        );
        headers.set(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
            false,
        );
        headers.set_named(REQUEST_ID_HEADER, header_value(&request_id)?);
        let mut secrets = Secrets::default();
        if let Some(bytes) = &body {
            secrets.add_body(bytes, Some(&inner.token_pointer), false);
        }
        if let Some(signed) = &signed {
            secrets.add(&signed.digest, SecretKind::Signature, None);
        }
        if let Some(bearer) = &inner.bearer {
            let value = String::from_utf8_lossy(bearer.as_bytes());
            secrets.add(&value, SecretKind::Bearer, None);
            if let Some((_, token)) = value.split_once(' ') {
                secrets.add(token.trim(), SecretKind::Bearer, None);
            }
        }
        for (_, value) in &inner.static_headers {
            secrets.add(
                &String::from_utf8_lossy(value.as_bytes()),
                SecretKind::StaticHeader,
                None,
            );
        }
        Ok(PreparedRequest {
            request_id,
            method: method.to_owned(),
            url,
            body,
            signed_message: signed.map(|s| s.message),
            headers: headers.list,
            secret_headers: headers.secret,
            secrets,
            token_pointer: Some(inner.token_pointer.clone()),
        })
    }

    /// Sends a prepared request and reads the whole answer (up to the size
    /// cap), whatever its status; a redirect is an error (never followed).
    pub async fn execute(&self, prepared: &PreparedRequest) -> Result<Exchange, ApiError> {
        refuse_redirect(self.send(prepared).await?)
    }

    /// Sends a prepared request and reads the whole answer (up to the size
    /// cap), whatever its status, redirects included.
    async fn send(&self, prepared: &PreparedRequest) -> Result<Exchange, ApiError> {
        let inner = &self.inner;
        let info = prepared.info();
        let method = reqwest::Method::from_bytes(prepared.method.as_bytes())
            .map_err(|_| ApiError::InvalidInput(format!("invalid HTTP method {:?}", prepared.method)))?;
        let url = Url::parse(&prepared.url).map_err(|err| ApiError::InvalidInput(format!("invalid URL: {err}")))?;
        let mut header_map = HeaderMap::with_capacity(prepared.headers.len());
        for (name, value) in &prepared.headers {
            header_map.insert(name.clone(), value.clone());
        }
        let mut request = inner.http.request(method, url).headers(header_map);
        if let Some(body) = &prepared.body {
            request = request.body(body.clone());
        }

        let started_at = chrono::Utc::now();
        let started = Instant::now();
        let mut response = request
            .send()
            .await
            .map_err(|err| self.classify(&err, &info, &prepared.secrets))?;
        let status = response.status();
        if let Some(length) = response.content_length()
            && length > inner.max_body_bytes as u64
        {
            return Err(ApiError::BodyTooLarge {
                request: info,
                limit: inner.max_body_bytes,
            });
        }
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    canonical_name(name),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|err| self.classify(&err, &info, &prepared.secrets))?
        {
            if body.len() + chunk.len() > inner.max_body_bytes {
                return Err(ApiError::BodyTooLarge {
                    request: info,
                    limit: inner.max_body_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        let elapsed = started.elapsed();
        // Before anything reads the answer: what it quotes of our secrets goes.
        let (headers, body) = prepared.secrets.scrub_answer(status.as_u16(), headers, body);

        let exchange = Exchange {
            request_id: prepared.request_id.clone(),
            method: prepared.method.clone(),
            url: prepared.url.clone(),
            request_headers: prepared.display_headers(true),
            request_body: prepared.display_body(),
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or_default().to_owned(),
            headers,
            body,
            started_at,
            elapsed,
        };
        Ok(exchange)
    }

    pub(crate) fn refuse_if_read_only(&self) -> Result<(), ApiError> {
        if self.inner.read_only {
            return Err(ApiError::ReadOnly {
                profile: self.inner.profile_name.clone(),
            });
        }
        Ok(())
    }

    pub(crate) fn identity_endpoint(&self, id: &str) -> Result<String, ApiError> {
        Ok(format!(
            "{}/{}",
            self.inner.identities_path,
            checked_segment(id, "identity id")?
        ))
    }

    /// Turns a transport failure into the error that says what to check.
    /// Its texts are scrubbed of the request's `secrets`.
    fn classify(&self, err: &reqwest::Error, info: &RequestInfo, secrets: &Secrets) -> ApiError {
        let inner = &self.inner;
        let request = info.clone();
        // The host this request went to (a schema read may go elsewhere).
        let host = Url::parse(&info.url)
            .ok()
            .and_then(|url| {
                url.host_str().map(|h| match url.port() {
                    Some(port) => format!("{h}:{port}"),
                    None => h.to_owned(),
                })
            })
            .unwrap_or_else(|| inner.host.clone());
        if err.is_timeout() {
            let (phase, limit) = if err.is_connect() {
                (TimeoutPhase::Connect, inner.connect_timeout)
            } else {
                (TimeoutPhase::Total, inner.timeout)
            };
            return ApiError::Timeout { request, phase, limit };
        }
        let chain = source_chain(err);
        if chain
            .iter()
            .filter_map(|e| e.downcast_ref::<std::io::Error>())
            .any(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return ApiError::ConnectionRefused { request, address: host };
        }
        let texts: Vec<String> = chain.iter().map(|e| e.to_string().to_ascii_lowercase()).collect();
        let mentions = |needles: &[&str]| texts.iter().any(|t| needles.iter().any(|n| t.contains(n)));
        let detail = secrets.scrub_text(&error_detail(err)).into_owned();
        if err.is_connect() {
            if mentions(&[
                "dns error",
                "failed to lookup address",
                "name or service not known",
                "no address associated",
                "nodename nor servname",
                "name resolution",
            ]) {
                return ApiError::Dns {
                    request,
                    host: host.split(':').next().unwrap_or_default().to_owned(),
                    detail,
                };
            }
            if info.url.starts_with("https:")
                && mentions(&[
                    "certificate",
                    "tls",
                    "handshake",
                    "corrupt message",
                    "alert",
                    "peer",
                    "unknownissuer",
                    "notvalidforname",
                ])
            {
                return ApiError::Tls { request, host, detail };
            }
        }
        ApiError::Connection { request, host, detail }
    }
}

/// Headers being assembled: a later `set` replaces an earlier one of the same
/// name (ours win over the profile's static ones).
#[derive(Default)]
struct Headers {
    list: Vec<(HeaderName, HeaderValue)>,
    secret: Vec<HeaderName>,
}

impl Headers {
    fn set(&mut self, name: HeaderName, value: HeaderValue, secret: bool) {
        self.list.retain(|(existing, _)| *existing != name);
        self.secret.retain(|existing| *existing != name);
        if secret {
            self.secret.push(name.clone());
        }
        self.list.push((name, value));
    }

    /// For header names known to be valid (constants of this crate).
    fn set_named(&mut self, name: &str, value: HeaderValue) {
        if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
            self.set(name, value, false);
        }
    }
}

/// Walks an identity listing page by page; stops at the last page and
/// refuses to loop when a server repeats a next link.
#[derive(Debug)]
pub struct IdentityPager {
    client: Client,
    /// The query of the next request; `None` after the last page.
    next: Option<Vec<(String, String)>>,
    seen: HashSet<Vec<(String, String)>>,
    pages: usize,
    max_pages: usize,
}

/// Pages a listing follows before it stops with [`ApiError::PageLimit`]: a
/// server (or a gateway in front of it) that keeps inventing next links must
/// not keep a script running forever. 10,000 pages are 2.5 million
/// identities at Kratos's default page size, 5 million at its maximum.
pub const DEFAULT_MAX_PAGES: usize = 10_000;

impl IdentityPager {
    /// Stops after `max_pages` pages instead of [`DEFAULT_MAX_PAGES`].
    pub fn with_max_pages(mut self, max_pages: usize) -> IdentityPager {
        self.max_pages = max_pages.max(1);
        self
    }

    /// The next page, or `None` when the listing is complete. After an error
    /// the same page can be asked for again.
    pub async fn next_page(&mut self) -> Result<Option<Response<IdentityPage>>, ApiError> {
        let Some(params) = self.next.clone() else {
            return Ok(None);
        };
        let response = self.client.fetch_identity_page(params.clone()).await?;
        self.advance(params, response.value.next.as_ref(), &response.exchange)?;
        Ok(Some(response))
    }

    /// Like [`IdentityPager::next_page`], with the items left unparsed in
    /// the exchange's body (`idcon list` streams them out as they came;
    /// [`parse_identity_list`] reads them as [`next_page`] would). Paging
    /// needs only the `Link` header, so the next request can go out before
    /// this page is read.
    ///
    /// [`next_page`]: IdentityPager::next_page
    pub async fn next_raw_page(&mut self) -> Result<Option<Response<RawIdentityPage>>, ApiError> {
        let Some(params) = self.next.clone() else {
            return Ok(None);
        };
        let response = self.client.fetch_raw_identity_page(params.clone()).await?;
        self.advance(params, response.value.next.as_ref(), &response.exchange)?;
        Ok(Some(response))
    }

    /// Counts the page just read and moves on to `next`, unless the page
    /// limit is reached or `next` was asked for already (a loop).
    fn advance(
        &mut self,
        params: Vec<(String, String)>,
        next: Option<&PageCursor>,
        exchange: &Exchange,
    ) -> Result<(), ApiError> {
        self.seen.insert(params);
        self.pages += 1;
        if next.is_some() && self.pages >= self.max_pages {
            return Err(ApiError::PageLimit {
                request: exchange.request_info(),
                limit: self.max_pages,
            });
        }
        if let Some(next) = next
            && self.seen.contains(next)
        {
            let token = next
                .iter()
                .find(|(name, _)| name == "page_token")
                .map_or("", |(_, value)| value.as_str());
            return Err(ApiError::PagingLoop {
                request: exchange.request_info(),
                detail: format!("page_token {token:?}"),
            });
        }
        self.next = next.cloned();
        Ok(())
    }

    /// Whether another page remains.
    pub fn has_more(&self) -> bool {
        self.next.is_some()
    }
}

/// Signs like the SDK. The SDK keeps a query as a dict, so a name given twice
/// (`ids=a&ids=b`, which Kratos needs) would collapse; such a query is signed
/// the same way, but with every pair kept.
fn sign(
    key: &SigningKey,
    method: &str,
    endpoint: &str,
    params: &[(String, String)],
    body: Option<&[u8]>,
    nonce: &str,
    timestamp: u64,
) -> signing::Signed {
    let mut names = HashSet::new();
    let repeats = params
        .iter()
        .any(|(name, _)| !names.insert(name.as_str()) || name == "nonce" || name == "timestamp");
    if !repeats {
        return signing::sign_request(key, method, endpoint, params, body, nonce, timestamp);
    }
    let mut all: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| name != "nonce" && name != "timestamp")
        .cloned()
        .collect();
    all.push(("nonce".to_owned(), nonce.to_owned()));
    all.push(("timestamp".to_owned(), timestamp.to_string()));
    let path_and_query = format!("{endpoint}?{}", signing::encode_query(&all));
    let message = signing::build_message(method, &path_and_query, body);
    let digest = key.sign_base64(message.as_bytes());
    signing::Signed {
        path_and_query,
        message,
        digest,
    }
}

/// A schema read after its redirects: the last answer, and the URL (without
/// query) and query it was asked with (next pages are asked for there).
struct Followed {
    exchange: Exchange,
    url: Url,
    params: Vec<(String, String)>,
}

/// The exchange, unless it is a redirect (which is not followed).
fn refuse_redirect(exchange: Exchange) -> Result<Exchange, ApiError> {
    if !(300..400).contains(&exchange.status) {
        return Ok(exchange);
    }
    Err(ApiError::Redirect {
        request: exchange.request_info(),
        status: exchange.status,
        location: exchange.header("location").unwrap_or("(no Location header)").to_owned(),
    })
}

/// Why a URL is not fetched: `None` for an http(s) URL with a host.
fn unfollowable(url: &Url) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!(
            "only http and https are followed, not {}:",
            crate::sanitize::for_display(url.scheme())
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Some("it has no host".to_owned());
    }
    None
}

/// A `GET` that carries nothing of the profile: no signature, bearer token,
/// static headers or `X-Yoti-*`; only `Accept` and a fresh `X-Request-ID`.
/// For schema reads from another origin (Kratos's public port).
fn prepare_plain_get(url: &Url, params: &[(String, String)]) -> Result<PreparedRequest, ApiError> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut full = url.clone();
    if params.is_empty() {
        full.set_query(None);
    } else {
        full.set_query(Some(&signing::encode_query(params)));
    }
    let mut headers = Headers::default();
    headers.set(
        reqwest::header::ACCEPT,
        HeaderValue::from_static("application/json"),
        false,
    );
    headers.set_named(REQUEST_ID_HEADER, header_value(&request_id)?);
    Ok(PreparedRequest {
        request_id,
        method: "GET".to_owned(),
        url: full.to_string(),
        body: None,
        signed_message: None,
        headers: headers.list,
        secret_headers: headers.secret,
        secrets: Secrets::default(),
        token_pointer: None,
    })
}

/// The exchange when its status is a success, else the HTTP error.
pub(crate) fn success(exchange: Exchange) -> Result<Exchange, ApiError> {
    if exchange.is_success() {
        return Ok(exchange);
    }
    let error = exchange.error();
    Err(ApiError::Http(Box::new(HttpError {
        status: exchange.status,
        error,
        exchange,
    })))
}

/// A page of identities left unparsed: its items are the exchange's body.
#[derive(Debug, Clone, PartialEq)]
pub struct RawIdentityPage {
    /// As [`IdentityPage::next`].
    pub next: Option<PageCursor>,
}

/// The identities of a page's answer, as [`IdentityPager::next_page`]
/// reads them (the same error when the body is no list of identities).
pub fn parse_identity_list(exchange: &Exchange) -> Result<Vec<Identity>, ApiError> {
    parse_json(exchange, "a list of identities")
}

pub(crate) fn parse_json<T: DeserializeOwned>(exchange: &Exchange, what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(&exchange.body).map_err(|err| ApiError::InvalidResponse {
        detail: format!("the body is not {what}: {err}"),
        exchange: Box::new(exchange.clone()),
    })
}

/// The query of the next page: the request's own parameters (what idcon
/// itself sent, every repeated `ids` kept) with the `page_token` of the
/// `Link` header's `rel="next"`. Nothing else is taken from the link: a
/// server or gateway must not be able to slip parameters into the next
/// signed request (`include_credential=password` would fetch hashes), and
/// behind a gateway the link's path is Kratos's internal one anyway.
fn next_cursor(
    exchange: &Exchange,
    request_url: &str,
    sent: &[(String, String)],
) -> Result<Option<PageCursor>, ApiError> {
    let values = exchange
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("link"))
        .map(|(_, value)| value.as_str());
    let Some(target) = link::next_target(values) else {
        return Ok(None);
    };
    let request_url = Url::parse(request_url).map_err(|err| ApiError::InvalidInput(format!("invalid URL: {err}")))?;
    let linked = link::cursor_from_target(&target, &request_url).map_err(|detail| ApiError::InvalidResponse {
        detail,
        exchange: Box::new(exchange.clone()),
    })?;
    let Some(token) = linked
        .iter()
        .rev()
        .find(|(name, _)| name == "page_token")
        .map(|(_, value)| value.clone())
    else {
        return Err(ApiError::InvalidResponse {
            detail: "the next-page link carries no page_token".to_owned(),
            exchange: Box::new(exchange.clone()),
        });
    };
    let mut cursor: PageCursor = sent.iter().filter(|(name, _)| name != "page_token").cloned().collect();
    cursor.push(("page_token".to_owned(), token));
    Ok(Some(cursor))
}

fn bearer_from_env(profile: &str, variable: &str) -> Result<HeaderValue, ApiError> {
    let token = std::env::var(variable)
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::BearerTokenMissing {
            profile: profile.to_owned(),
            variable: variable.to_owned(),
        })?;
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| ApiError::BearerTokenInvalid {
        variable: variable.to_owned(),
    })?;
    value.set_sensitive(true);
    Ok(value)
}

fn header_value(text: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(text)
        .map_err(|_| ApiError::InvalidInput(format!("{text:?} cannot be sent in an HTTP header")))
}

/// An id as one path segment, percent-encoded; refuses what no server could
/// mean as an id.
pub(crate) fn checked_segment(id: &str, what: &str) -> Result<String, ApiError> {
    if id.is_empty() || id == "." || id == ".." || id.chars().any(char::is_control) {
        return Err(ApiError::InvalidInput(format!(
            "invalid {what} {:?}",
            crate::sanitize::for_display(id)
        )));
    }
    Ok(encode_segment(id))
}

pub(crate) fn encode_segment(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

fn trim_base(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// Header names as people write them (`X-Request-Id`), for display.
fn canonical_name(name: &HeaderName) -> String {
    name.as_str()
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn source_chain<'a>(err: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut chain = vec![err];
    let mut current = err.source();
    while let Some(next) = current {
        chain.push(next);
        current = next.source();
    }
    chain
}

/// The innermost causes of a transport error, without reqwest's own
/// "error sending request for url (...)" wrapper.
fn error_detail(err: &(dyn StdError + 'static)) -> String {
    let chain = source_chain(err);
    let mut parts: Vec<String> = Vec::new();
    for cause in chain.iter().skip(1) {
        let text = cause.to_string();
        // hyper's wrapper says nothing a person can use.
        if text.starts_with("client error (") {
            continue;
        }
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    if parts.is_empty() {
        parts.push(err.to_string());
    }
    crate::sanitize::for_display(&parts.join(": ")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_one_encoded_segment() {
        assert_eq!(encode_segment("a/b?c d"), "a%2Fb%3Fc%20d");
        assert!(checked_segment("..", "identity id").is_err());
        assert!(checked_segment("", "identity id").is_err());
        assert_eq!(
            checked_segment("6c2f1c2e-0b6b-4bb1-b4a3-0d7c1b4c9b1a", "x")
                .ok()
                .as_deref(),
            Some("6c2f1c2e-0b6b-4bb1-b4a3-0d7c1b4c9b1a")
        );
    }

    #[test]
    fn query_keeps_at_most_one_filter_and_repeats_ids() {
        let query = IdentityQuery {
            page_size: Some(2),
            filter: IdentityFilter::Ids(vec!["a".into(), "b".into()]),
        };
        assert_eq!(
            query.params(),
            vec![
                ("page_size".to_owned(), "2".to_owned()),
                ("ids".to_owned(), "a".to_owned()),
                ("ids".to_owned(), "b".to_owned())
            ]
        );
    }

    #[test]
    fn header_names_are_shown_capitalised() {
        assert_eq!(
            canonical_name(&HeaderName::from_static("x-yoti-auth-digest")),
            "X-Yoti-Auth-Digest"
        );
    }
}
