//! Sessions, as Kratos's admin API serves them (`session/handler.go`,
//! `persistence/sql/persister_session.go`; the same at v1.3.1, v25.4.0 and
//! v26.2.0 unless said):
//!
//! - `GET {prefix}/identities/{id}/sessions` (`listIdentitySessions`): the
//!   identity's sessions newest first (`ListSessionsByIdentity`: `ORDER BY
//!   created_at DESC`; v1.3.1 `authenticated_at DESC`, the same order here),
//!   each with its identity and devices (`ExpandEverything`). An unknown
//!   identity is an empty list, not a 404: nothing checks that it exists.
//!   `active=true|false` filters on the stored column and the expiry only
//!   (`active = true AND expires_at >= now`, or the opposite), not on the
//!   identity's state, so `active=true` can answer sessions whose `active`
//!   reads `false` (an inactive identity's). Paged the old way
//!   (`x.ParsePagination`: ory/x `migrationpagination`), with its bug: the
//!   parsed page is 0-based, pop's `Paginate` 1-based, so page 0 and page 1
//!   are both the first page, and following `next` from the first page
//!   repeats it and never reaches the last one (ory/kratos#3883). The `Link`
//!   header is `pagination.HeaderWithFormatter`'s, `X-Total-Count` the
//!   number of matching sessions. A client pages by `page`/`per_page` and
//!   stops on the total, see `api::sessions`.
//! - `DELETE {prefix}/identities/{id}/sessions` (`deleteIdentitySessions`):
//!   deletes every session of the identity (rows gone, not deactivated):
//!   204; 404 (sqlcon's no rows) when there were none, or no such identity.
//! - `GET {prefix}/sessions/{id}` (`getSession`): one session, `?expand=`
//!   `identity` and/or `devices` (case ignored; anything else is a 400);
//!   without them `identity` is `null` and `devices` `[]`, and `active`
//!   ignores the identity's state (`Session.IsActive` with no identity).
//! - `DELETE {prefix}/sessions/{id}` (`disableSession`): deactivates
//!   (`RevokeSessionById`: `UPDATE sessions SET active = false`): 204, also
//!   for a session already inactive; 404 for an unknown id.
//! - `PATCH {prefix}/sessions/{id}/extend` (`adminSessionExtend`):
//!   `expires_at` becomes now + the session lifespan (24 h, Kratos's
//!   default `session.lifespan`; `session.earliest_possible_extend`
//!   defaults to the lifespan, so every extend extends), whether the
//!   session is active or not. 200 with the session (identity expanded,
//!   devices `[]`), as `feature_flags.faster_session_extend` is off by
//!   default; 204 with the flag on; 404 for an unknown id.
//!
//! A session id that is not a UUID is a 400 whose `message` is gofrs/uuid's
//! error (`herodot.ErrBadRequest.WithError(err.Error())`).
//!
//! Each identity has a deterministic set of sessions made from its id (so a
//! million-identity seed costs nothing until one is touched): up to five,
//! newest first: two active, one revoked (inactive, not expired), two
//! expired; several devices (IP, user agent, location). Session ids are the
//! identity's id XOR a mask per position, so `GET /sessions/{id}` finds its
//! identity without an index. A change (revoke, extend, delete) stores the
//! identity's sessions as they then are.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::errors::{ApiError, REQUEST_ID, bytes_response, json_response};
use super::model::{CredentialsView, Identity, IdentityJson, Source, Timestamp};
use super::paging::{go_query_escape, go_quote};
use super::routes::DemoState;
use super::store::Store;

/// Kratos's default `session.lifespan`.
pub const SESSION_LIFESPAN_HOURS: i64 = 24;

/// Most sessions a generated identity has.
const MAX_SESSIONS: usize = 5;

/// ory/x `pagepagination` / `tokenpagination` defaults (`MaxItems` 1000,
/// `DefaultItems` 250): what `migrationpagination.NewDefaultPaginator` uses.
const DEFAULT_PER_PAGE: i64 = 250;
const MAX_PER_PAGE: i64 = 1000;

/// One authentication method of a session (`sessionAuthenticationMethod`).
#[derive(Clone, Debug, PartialEq)]
pub struct Method {
    pub method: &'static str,
    pub aal: &'static str,
    pub completed_at: Timestamp,
    pub provider: Option<&'static str>,
}

/// A device a session was used from (`sessionDevice`).
#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    pub id: Uuid,
    pub ip_address: String,
    pub user_agent: String,
    pub location: String,
}

/// A stored session (`session.Session`, the columns an admin sees).
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub id: Uuid,
    pub identity_id: Uuid,
    /// The stored `active` column; what is written out also looks at the
    /// expiry and, when the identity is expanded, its state.
    pub active: bool,
    pub expires_at: Timestamp,
    pub authenticated_at: Timestamp,
    pub issued_at: Timestamp,
    pub aal: &'static str,
    pub methods: Vec<Method>,
    pub devices: Vec<Device>,
}

impl Session {
    /// `Session.IsActive`: the column, not expired, and an identity (when
    /// there is one to look at) that is active.
    pub fn is_active(&self, now: DateTime<Utc>, identity: Option<&Identity>) -> bool {
        self.active && self.expires_at.0 > now && identity.is_none_or(|i| i.state == "active")
    }

    /// The `active` filter of `ListSessionsByIdentity`, on the columns only.
    fn matches_filter(&self, active: bool, now: DateTime<Utc>) -> bool {
        let current = self.active && self.expires_at.0 >= now;
        current == active
    }
}

/// The sessions that changed since startup, per identity; the others are
/// made from the identity's id when asked for.
#[derive(Debug)]
pub struct Sessions {
    /// When the seed was made: generated sessions are placed before it.
    anchor: DateTime<Utc>,
    changed: HashMap<Uuid, Vec<Session>>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions::new(Utc::now())
    }
}

impl Sessions {
    pub fn new(anchor: DateTime<Utc>) -> Self {
        Sessions {
            anchor,
            changed: HashMap::new(),
        }
    }

    /// The identity's sessions, newest first.
    pub fn of(&self, identity: &Identity) -> Vec<Session> {
        match self.changed.get(&identity.id) {
            Some(sessions) => sessions.clone(),
            None => generate(identity, self.anchor),
        }
    }

    fn set(&mut self, identity_id: Uuid, sessions: Vec<Session>) {
        self.changed.insert(identity_id, sessions);
    }
}

/// The session `id` and its identity, if there is such a session.
pub fn find(store: &Store, id: Uuid) -> Option<(Session, Identity)> {
    (0..MAX_SESSIONS).find_map(|position| {
        let owner = Uuid::from_u128(id.as_u128() ^ mask(position));
        let identity = store.get(&owner)?.into_owned();
        let session = store.sessions.of(&identity).into_iter().find(|s| s.id == id)?;
        Some((session, identity))
    })
}

/// Sets the stored `active` column of session `id` to false.
pub fn revoke(store: &mut Store, id: Uuid) -> bool {
    let Some((_, identity)) = find(store, id) else {
        return false;
    };
    let mut sessions = store.sessions.of(&identity);
    for session in &mut sessions {
        if session.id == id {
            session.active = false;
        }
    }
    store.sessions.set(identity.id, sessions);
    true
}

/// Deletes every session of the identity; how many there were.
pub fn delete_all(store: &mut Store, identity_id: Uuid) -> usize {
    let Some(identity) = store.get(&identity_id).map(std::borrow::Cow::into_owned) else {
        return 0;
    };
    let count = store.sessions.of(&identity).len();
    store.sessions.set(identity_id, Vec::new());
    count
}

/// Moves `expires_at` of session `id` to `now` + the lifespan
/// (`Session.Refresh`), as stored (microseconds).
pub fn extend(store: &mut Store, id: Uuid, now: DateTime<Utc>) -> Option<(Session, Identity)> {
    let (_, identity) = find(store, id)?;
    let mut sessions = store.sessions.of(&identity);
    let mut extended = None;
    for session in &mut sessions {
        if session.id == id {
            session.expires_at = Timestamp(now + Duration::hours(SESSION_LIFESPAN_HOURS)).micros();
            extended = Some(session.clone());
        }
    }
    store.sessions.set(identity.id, sessions);
    extended.map(|session| (session, identity))
}

// ----- generation -----------------------------------------------------------

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// What a session id XORs onto its identity's id at `position`: the UUID's
/// version and variant bits stay those of the identity's id.
fn mask(position: usize) -> u128 {
    let n = position as u64;
    let high = u128::from(splitmix(0x5e55_1000 + n));
    let low = u128::from(splitmix(0x5e55_2000 + n));
    let version = 0xf_u128 << 76;
    let variant = 0b11_u128 << 62;
    ((high << 64) | low) & !version & !variant
}

/// A second mask, for device ids (made from their session's id).
fn device_mask(index: usize) -> u128 {
    let n = index as u64;
    let high = u128::from(splitmix(0xde71_1000 + n));
    let low = u128::from(splitmix(0xde71_2000 + n));
    ((high << 64) | low) & !(0xf_u128 << 76) & !(0b11_u128 << 62)
}

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "ExampleApp/3.4.1 (Android 14; Pixel 8) okhttp/4.12.0",
    "curl/8.5.0",
];

/// Documentation addresses only (RFC 5737, RFC 3849).
const IP_ADDRESSES: &[&str] = &[
    "192.0.2.17",
    "198.51.100.42",
    "203.0.113.9",
    "2001:db8:85a3::8a2e:370:7334",
    "192.0.2.200",
    "203.0.113.77",
];

/// `Cf-Ipcity, Cf-Ipcountry` as Kratos joins them; empty without Cloudflare.
const LOCATIONS: &[&str] = &[
    "Berlin, DE",
    "Lisbon, PT",
    "São Paulo, BR",
    "Tokyo, JP",
    "",
    "Nairobi, KE",
];

/// Device strings of the `--hostile` identities: what a client controls
/// (`User-Agent`, a proxy's location headers) can hold terminal escapes.
const HOSTILE_USER_AGENTS: &[&str] = &[
    "Mozilla/5.0\u{1b}]0;root@prod\u{7}\u{1b}[2J",
    "Evil\u{9b}31mBrowser\u{202e}gnp.exe",
];
const HOSTILE_LOCATIONS: &[&str] = &["Z\u{fc}rich\u{1b}[5m, CH", "\u{202e}EVIL, XX"];

fn pick<'a>(pool: &[&'a str], seed: u64) -> &'a str {
    pool[(seed % pool.len() as u64) as usize]
}

/// How old session `position` is, and what became of it.
fn placement(position: usize, seed: u64) -> (Duration, bool, bool) {
    let jitter = (seed % 50) as i64;
    // (age, stored active, expired)
    match position {
        0 => (Duration::minutes(12 + jitter), true, false),
        1 => (Duration::minutes(3 * 60 + jitter * 3), true, false),
        2 => (Duration::minutes(7 * 60 + jitter), false, false),
        3 => (Duration::hours(2 * 24 + 5) + Duration::minutes(jitter), true, true),
        _ => (Duration::hours(9 * 24 + 2) + Duration::minutes(jitter), true, true),
    }
}

/// The sessions an identity starts with, newest first.
fn generate(identity: &Identity, anchor: DateTime<Utc>) -> Vec<Session> {
    let id = identity.id.as_u128();
    let seed = splitmix((id >> 64) as u64 ^ splitmix(id as u64));
    // One in eight has never signed in.
    let count = if seed.is_multiple_of(8) {
        0
    } else {
        1 + ((seed >> 8) % MAX_SESSIONS as u64) as usize
    };
    let hostile = identity
        .traits
        .get("email")
        .and_then(Value::as_str)
        .is_some_and(|email| email.starts_with("hostile."));
    let providers: Vec<&'static str> = identity
        .credentials
        .get("oidc")
        .map(|c| {
            c.identifiers
                .iter()
                .filter_map(|i| match i.split(':').next() {
                    Some("google") => Some("google"),
                    Some("github") => Some("github"),
                    Some("microsoft") => Some("microsoft"),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    (0..count)
        .map(|position| {
            let s = splitmix(seed ^ (position as u64 + 1).wrapping_mul(0x1000_0001));
            let (age, active, expired) = placement(position, s);
            let authenticated = Timestamp(anchor - age).micros();
            let issued = Timestamp(authenticated.0 + Duration::milliseconds((s % 900) as i64)).micros();
            let lifespan = Duration::hours(SESSION_LIFESPAN_HOURS);
            let expires_at = if expired {
                Timestamp(authenticated.0 + lifespan)
            } else {
                Timestamp(issued.0 + lifespan)
            };
            let (aal, methods) = match (s >> 16) % 4 {
                1 if !providers.is_empty() => (
                    "aal1",
                    vec![Method {
                        method: "oidc",
                        aal: "aal1",
                        completed_at: authenticated,
                        provider: Some(pick(&providers, s >> 20)),
                    }],
                ),
                2 => (
                    "aal2",
                    vec![
                        Method {
                            method: "password",
                            aal: "aal1",
                            completed_at: Timestamp(authenticated.0 - Duration::seconds(21)),
                            provider: None,
                        },
                        Method {
                            method: "totp",
                            aal: "aal2",
                            completed_at: authenticated,
                            provider: None,
                        },
                    ],
                ),
                3 => (
                    "aal1",
                    vec![Method {
                        method: "code",
                        aal: "aal1",
                        completed_at: authenticated,
                        provider: None,
                    }],
                ),
                _ => (
                    "aal1",
                    vec![Method {
                        method: "password",
                        aal: "aal1",
                        completed_at: authenticated,
                        provider: None,
                    }],
                ),
            };
            let session_id = Uuid::from_u128(id ^ mask(position));
            let device_count = 1 + (position % 2);
            let devices = (0..device_count)
                .map(|d| {
                    let ds = splitmix(s ^ (d as u64 + 7));
                    let (user_agent, location) = if hostile {
                        (pick(HOSTILE_USER_AGENTS, ds), pick(HOSTILE_LOCATIONS, ds >> 9))
                    } else {
                        (pick(USER_AGENTS, ds), pick(LOCATIONS, ds >> 9))
                    };
                    Device {
                        id: Uuid::from_u128(session_id.as_u128() ^ device_mask(d)),
                        ip_address: pick(IP_ADDRESSES, ds >> 17).to_owned(),
                        user_agent: user_agent.to_owned(),
                        location: location.to_owned(),
                    }
                })
                .collect();
            Session {
                id: session_id,
                identity_id: identity.id,
                active,
                expires_at,
                authenticated_at: authenticated,
                issued_at: issued,
                aal,
                methods,
                devices,
            }
        })
        .collect()
}

// ----- JSON ---------------------------------------------------------------

/// How a session's identity is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IdentityShape {
    /// Not expanded: `null`.
    None,
    /// Eager-loaded with the session list (`EagerPreload("Identity")`): the
    /// row only, no addresses, and no `schema_url` (`ListSessionsByIdentity`
    /// injects none).
    Row,
    /// `GetIdentity(ExpandDefault)` (`getSession` with `expand=identity`,
    /// the extend answer): addresses and `schema_url`.
    Full,
}

/// A session as `session.Session` marshals it (field order of the struct;
/// `active` from `IsActive`; `identity.Identity.MarshalJSON` drops
/// `credentials` and `metadata_admin`).
fn session_json(
    state: &DemoState,
    session: &Session,
    identity: &Identity,
    shape: IdentityShape,
    devices: bool,
    now: DateTime<Utc>,
) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), json!(session.id));
    let looked_at = (shape != IdentityShape::None).then_some(identity);
    object.insert("active".into(), json!(session.is_active(now, looked_at)));
    object.insert("expires_at".into(), json!(session.expires_at));
    object.insert("authenticated_at".into(), json!(session.authenticated_at));
    object.insert("authenticator_assurance_level".into(), json!(session.aal));
    let methods: Vec<Value> = session
        .methods
        .iter()
        .map(|m| {
            let mut method = Map::new();
            method.insert("method".into(), json!(m.method));
            method.insert("aal".into(), json!(m.aal));
            method.insert("completed_at".into(), json!(m.completed_at));
            if let Some(provider) = m.provider {
                method.insert("provider".into(), json!(provider));
            }
            Value::Object(method)
        })
        .collect();
    object.insert("authentication_methods".into(), Value::Array(methods));
    object.insert("issued_at".into(), json!(session.issued_at));
    let identity_json = match shape {
        IdentityShape::None => Value::Null,
        IdentityShape::Row | IdentityShape::Full => {
            let schema_url = if shape == IdentityShape::Full {
                state.schema_url(&identity.schema_id)
            } else {
                String::new()
            };
            let rendered = IdentityJson {
                identity,
                credentials: CredentialsView::Omit,
                schema_url: &schema_url,
                source: Source::Database,
                external_id: state.version.has_external_id(),
            };
            let mut value = serde_json::to_value(&rendered).unwrap_or(Value::Null);
            if let Some(map) = value.as_object_mut() {
                map.remove("metadata_admin");
                if shape == IdentityShape::Row {
                    map.remove("verifiable_addresses");
                    map.remove("recovery_addresses");
                }
            }
            value
        }
    };
    object.insert("identity".into(), identity_json);
    let device_list: Vec<Value> = if devices {
        session
            .devices
            .iter()
            .map(|d| {
                json!({
                    "id": d.id,
                    "ip_address": d.ip_address,
                    "user_agent": d.user_agent,
                    "location": d.location,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    object.insert("devices".into(), Value::Array(device_list));
    Value::Object(object)
}

// ----- requests -----------------------------------------------------------

/// gofrs/uuid's `FromString`: the id, or its error text.
fn parse_uuid(raw: &str) -> Result<Uuid, String> {
    Uuid::try_parse(raw).map_err(|_| match raw.len() {
        32 | 34 | 36 | 38 | 41 | 45 => format!("uuid: incorrect UUID format in string {}", go_quote(raw)),
        n => format!("uuid: incorrect UUID length {n} in string {}", go_quote(raw)),
    })
}

/// `herodot.ErrBadRequest.WithError(text)`: the text is the envelope's
/// `message`, there is no `reason`.
fn bad_request_message(text: &str) -> Response {
    let mut error = Map::new();
    error.insert("code".into(), json!(400));
    error.insert("status".into(), json!("Bad Request"));
    if let Some(request) = REQUEST_ID.try_with(Clone::clone).ok().flatten() {
        error.insert("request".into(), json!(request));
    }
    error.insert("message".into(), json!(text));
    json_response(StatusCode::BAD_REQUEST, &json!({ "error": error }))
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `url.Values.Get`: the first value, `""` when absent.
fn get<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
}

fn has(pairs: &[(String, String)], key: &str) -> bool {
    pairs.iter().any(|(k, _)| k == key)
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseInt(text, 10, 0)`.
fn parse_go_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// ory/x `tokenpagination.Encode`.
fn encode_offset(offset: i64) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{{\"offset\":\"{offset}\",\"v\":2}}"))
}

/// ory/x `tokenpagination.decode`, whose error `ParsePagination` ignores
/// (an unreadable token is offset 0).
fn decode_offset(token: &str) -> i64 {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|json| match json.get("offset") {
            // gjson's Int() reads numbers and numeric strings alike.
            Some(Value::String(s)) => s.parse::<f64>().ok().map(|f| f as i64),
            Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            _ => None,
        })
        .unwrap_or(0)
}

/// `migrationpagination.Paginator.ParsePagination`: (page, items per page),
/// the page 0-based as the `Link` header counts it.
fn parse_pagination(pairs: &[(String, String)]) -> (i64, i64) {
    let clamp = |n: i64| n.clamp(1, MAX_PER_PAGE);
    if has(pairs, "page_token") || has(pairs, "page_size") {
        // tokenpagination
        let token = get(pairs, "page_token");
        let offset = if token.is_empty() { 0 } else { decode_offset(token) };
        let per_page = clamp(parse_go_int(get(pairs, "page_size")).unwrap_or(DEFAULT_PER_PAGE));
        let page = if offset > 0 { offset / per_page } else { 0 };
        (page.max(0), per_page)
    } else {
        // pagepagination
        let page = match get(pairs, "page") {
            "" => 0,
            text => parse_go_int(text).unwrap_or(0),
        };
        let per_page = match get(pairs, "per_page") {
            "" => DEFAULT_PER_PAGE,
            text => parse_go_int(text).unwrap_or(DEFAULT_PER_PAGE),
        };
        (page.max(0), clamp(per_page))
    }
}

/// One `<url>; rel="…"` of `migrationpagination`'s formatter: the request's
/// path and query (keys sorted, Go's escaping, the signing pair left out as
/// `paging` explains) with `page_size`, `page_token`, `per_page` and `page`
/// set.
fn link_entry(path: &str, pairs: &[(String, String)], rel: &str, per_page: i64, offset: i64) -> String {
    let mut query: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "page_size" | "page_token" | "per_page" | "page" | "nonce" | "timestamp"
            )
        })
        .cloned()
        .collect();
    query.push(("page_size".into(), per_page.to_string()));
    query.push(("page_token".into(), encode_offset(offset)));
    query.push(("per_page".into(), per_page.to_string()));
    query.push(("page".into(), (offset / per_page.max(1)).to_string()));
    query.sort_by(|a, b| a.0.cmp(&b.0));
    let encoded = query
        .iter()
        .map(|(k, v)| format!("{}={}", go_query_escape(k), go_query_escape(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("<{path}?{encoded}>; rel=\"{rel}\"")
}

/// ory/x `pagination.HeaderWithFormatter`, quirks included: no `first` on
/// the first page, `next` and `prev` (to a negative offset) on an empty
/// list, the `first` of a single page sized to the total.
fn link_header(path: &str, pairs: &[(String, String)], total: i64, page: i64, per_page: i64) -> String {
    let per_page = per_page.max(1);
    let offset = page * per_page;
    let last_offset = if total % per_page == 0 {
        total - per_page
    } else {
        (total / per_page) * per_page
    };
    let entry = |rel: &str, size: i64, at: i64| link_entry(path, pairs, rel, size, at);
    if offset >= last_offset {
        if total == 0 {
            return [
                entry("first", per_page, 0),
                entry("next", per_page, ((offset / per_page) + 1) * per_page),
                entry("prev", per_page, ((offset / per_page) - 1) * per_page),
            ]
            .join(",");
        }
        if total <= per_page {
            return entry("first", total, 0);
        }
        return [
            entry("first", per_page, 0),
            entry("prev", per_page, last_offset - per_page),
        ]
        .join(",");
    }
    if offset < per_page {
        return [entry("next", per_page, per_page), entry("last", per_page, last_offset)].join(",");
    }
    [
        entry("first", per_page, 0),
        entry("next", per_page, ((offset / per_page) + 1) * per_page),
        entry("prev", per_page, ((offset / per_page) - 1) * per_page),
        entry("last", per_page, last_offset),
    ]
    .join(",")
}

/// `GET {prefix}/identities/{id}/sessions`.
pub(super) async fn list_identity_sessions(
    State(state): State<Arc<DemoState>>,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let identity_id = match parse_uuid(&id) {
        Ok(id) => id,
        Err(text) => return bad_request_message(&text),
    };
    let pairs = query_pairs(&uri);
    let active = match get(&pairs, "active") {
        "" => None,
        text => match parse_go_bool(text) {
            Some(active) => Some(active),
            None => return bad_request_message("could not parse parameter active"),
        },
    };
    let (page, per_page) = parse_pagination(&pairs);
    let now = Utc::now();
    let store = state.read_store();
    let Some(identity) = store.get(&identity_id).map(std::borrow::Cow::into_owned) else {
        // Nothing checks that the identity exists: an empty list.
        let body = b"[]".to_vec();
        return paged(body, &uri, &pairs, 0, page, per_page);
    };
    let matching: Vec<Session> = store
        .sessions
        .of(&identity)
        .into_iter()
        .filter(|s| active.is_none_or(|wanted| s.matches_filter(wanted, now)))
        .collect();
    drop(store);
    let total = matching.len() as i64;
    // pop's Paginate: pages count from 1, 0 is taken as 1.
    let pop_page = page.max(1);
    let skip = usize::try_from((pop_page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let take = usize::try_from(per_page).unwrap_or(usize::MAX);
    let items: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(take)
        .map(|session| session_json(&state, session, &identity, IdentityShape::Row, true, now))
        .collect();
    let body = serde_json::to_vec(&items).unwrap_or_else(|_| b"[]".to_vec());
    paged(body, &uri, &pairs, total, page, per_page)
}

fn paged(body: Vec<u8>, uri: &Uri, pairs: &[(String, String)], total: i64, page: i64, per_page: i64) -> Response {
    let mut response = bytes_response(StatusCode::OK, body);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&total.to_string()) {
        headers.insert("x-total-count", value);
    }
    if let Ok(value) = HeaderValue::from_str(&link_header(uri.path(), pairs, total, page, per_page)) {
        headers.insert(header::LINK, value);
    }
    response
}

/// `DELETE {prefix}/identities/{id}/sessions`.
pub(super) async fn delete_identity_sessions(State(state): State<Arc<DemoState>>, Path(id): Path<String>) -> Response {
    let identity_id = match parse_uuid(&id) {
        Ok(id) => id,
        Err(text) => return bad_request_message(&text),
    };
    let mut store = state.write_store();
    if delete_all(&mut store, identity_id) == 0 {
        return ApiError::no_rows().into_response();
    }
    StatusCode::NO_CONTENT.into_response()
}

/// The `expand` values of a `getSession` (`session.ParseExpandable`).
fn parse_expand(pairs: &[(String, String)]) -> Result<(bool, bool), ApiError> {
    let mut identity = false;
    let mut devices = false;
    for (_, value) in pairs.iter().filter(|(k, _)| k == "expand") {
        match value.to_lowercase().as_str() {
            "identity" => identity = true,
            "devices" => devices = true,
            _ => {
                return Err(ApiError::bad_request(format!("Could not parse expand option: {value}")));
            }
        }
    }
    Ok((identity, devices))
}

/// `GET {prefix}/sessions/{id}`.
pub(super) async fn get_session(State(state): State<Arc<DemoState>>, Path(id): Path<String>, uri: Uri) -> Response {
    let session_id = match parse_uuid(&id) {
        Ok(id) => id,
        Err(text) => return bad_request_message(&text),
    };
    let (expand_identity, expand_devices) = match parse_expand(&query_pairs(&uri)) {
        Ok(expand) => expand,
        Err(error) => return error.into_response(),
    };
    let found = find(&state.read_store(), session_id);
    let Some((session, identity)) = found else {
        return ApiError::no_rows().into_response();
    };
    let shape = if expand_identity {
        IdentityShape::Full
    } else {
        IdentityShape::None
    };
    let body = session_json(&state, &session, &identity, shape, expand_devices, Utc::now());
    json_response(StatusCode::OK, &body)
}

/// `DELETE {prefix}/sessions/{id}`.
pub(super) async fn disable_session(State(state): State<Arc<DemoState>>, Path(id): Path<String>) -> Response {
    let session_id = match parse_uuid(&id) {
        Ok(id) => id,
        Err(text) => return bad_request_message(&text),
    };
    if !revoke(&mut state.write_store(), session_id) {
        return ApiError::no_rows().into_response();
    }
    // herodot's WriteCode(204, nil): the content type, no body.
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// `PATCH {prefix}/sessions/{id}/extend`.
pub(super) async fn extend_session(State(state): State<Arc<DemoState>>, Path(id): Path<String>) -> Response {
    let session_id = match parse_uuid(&id) {
        Ok(id) => id,
        Err(text) => return bad_request_message(&text),
    };
    let now = Utc::now();
    let extended = extend(&mut state.write_store(), session_id, now);
    let Some((session, identity)) = extended else {
        return ApiError::no_rows().into_response();
    };
    if state.toggles.faster_session_extend() {
        return StatusCode::NO_CONTENT.into_response();
    }
    // GetSession(ExpandDefault): the identity, no devices.
    let body = session_json(&state, &session, &identity, IdentityShape::Full, false, now);
    json_response(StatusCode::OK, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn pagination_is_read_as_ory_x_reads_it() {
        assert_eq!(parse_pagination(&[]), (0, 250));
        assert_eq!(parse_pagination(&pairs(&[("page", "2"), ("per_page", "10")])), (2, 10));
        assert_eq!(parse_pagination(&pairs(&[("per_page", "5000")])), (0, 1000));
        assert_eq!(parse_pagination(&pairs(&[("per_page", "0"), ("page", "-3")])), (0, 1));
        assert_eq!(parse_pagination(&pairs(&[("per_page", "x"), ("page", "y")])), (0, 250));
        let token = encode_offset(20);
        assert_eq!(token, "eyJvZmZzZXQiOiIyMCIsInYiOjJ9");
        assert_eq!(
            parse_pagination(&pairs(&[("page_token", &token), ("page_size", "10")])),
            (2, 10)
        );
        // page_size wins over page/per_page; a bad token is offset 0.
        assert_eq!(parse_pagination(&pairs(&[("page_size", "7"), ("page", "3")])), (0, 7));
        assert_eq!(
            parse_pagination(&pairs(&[("page_token", "!!"), ("page_size", "7")])),
            (0, 7)
        );
    }

    #[test]
    fn the_link_header_has_ory_x_quirks() {
        let path = "/admin/identities/x/sessions";
        let rels = |header: &str| -> Vec<String> {
            header
                .split(',')
                .filter_map(|e| e.split("rel=\"").nth(1).map(|r| r.trim_end_matches('"').to_owned()))
                .collect()
        };
        // First page of several: next and last, no first.
        assert_eq!(rels(&link_header(path, &[], 5, 0, 2)), ["next", "last"]);
        // The last page: first and prev.
        assert_eq!(rels(&link_header(path, &[], 5, 2, 2)), ["first", "prev"]);
        // One page: only first, sized to the total.
        let single = link_header(path, &[], 3, 0, 250);
        assert_eq!(rels(&single), ["first"]);
        assert!(single.contains("page_size=3&page_token="), "{single}");
        // Nothing at all: first, next and prev.
        assert_eq!(rels(&link_header(path, &[], 0, 0, 250)), ["first", "next", "prev"]);
        let middle = link_header(path, &pairs(&[("active", "true"), ("nonce", "n")]), 9, 1, 2);
        assert_eq!(rels(&middle), ["first", "next", "prev", "last"]);
        assert!(middle.starts_with("</admin/identities/x/sessions?active=true&page=0&page_size=2&page_token="));
        assert!(!middle.contains("nonce"), "{middle}");
    }

    #[test]
    fn uuid_errors_read_as_gofrs_writes_them() {
        assert_eq!(
            parse_uuid("abc").err().as_deref(),
            Some("uuid: incorrect UUID length 3 in string \"abc\"")
        );
        assert_eq!(
            parse_uuid("zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz").err().as_deref(),
            Some("uuid: incorrect UUID format in string \"zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz\"")
        );
        assert!(parse_uuid("6762b34f-4e26-4a8e-a032-35a1e58e1b1c").is_ok());
    }

    #[test]
    fn generated_sessions_are_stable_varied_and_findable() {
        let store = match Store::seeded(Some(400), false) {
            Ok(store) => store,
            Err(err) => panic!("{err}"),
        };
        let (page, _) = store.page_after(&Uuid::nil(), 400);
        let now = Utc::now();
        let mut with_all_kinds = 0;
        let mut without = 0;
        for identity in &page {
            let sessions = store.sessions.of(identity);
            assert_eq!(sessions, store.sessions.of(identity), "deterministic");
            if sessions.is_empty() {
                without += 1;
            }
            assert!(
                sessions.windows(2).all(|w| w[0].issued_at > w[1].issued_at),
                "newest first"
            );
            for session in &sessions {
                assert_eq!(session.id.get_version_num(), 4);
                let found = find(&store, session.id).map(|(s, i)| (s.id, i.id));
                assert_eq!(found, Some((session.id, identity.id)));
                assert!(!session.devices.is_empty());
            }
            let active = sessions.iter().filter(|s| s.is_active(now, None)).count();
            let revoked = sessions.iter().filter(|s| !s.active && s.expires_at.0 > now).count();
            let expired = sessions.iter().filter(|s| s.expires_at.0 <= now).count();
            if active > 0 && revoked > 0 && expired > 0 {
                with_all_kinds += 1;
            }
        }
        assert!(with_all_kinds > 50, "{with_all_kinds}");
        assert!(without > 10, "{without}");
    }

    #[test]
    fn revoke_extend_and_delete_change_what_is_served() {
        let mut store = match Store::seeded(None, false) {
            Ok(store) => store,
            Err(err) => panic!("{err}"),
        };
        let (page, _) = store.page_after(&Uuid::nil(), 240);
        let identity = page
            .iter()
            .find(|i| store.sessions.of(i).len() >= 4)
            .map(|i| i.clone().into_owned())
            .unwrap_or_else(|| panic!("an identity with four sessions"));
        drop(page);
        let sessions = store.sessions.of(&identity);
        let first = sessions[0].id;
        assert!(revoke(&mut store, first));
        assert!(revoke(&mut store, first), "revoking twice is no error");
        assert_eq!(find(&store, first).map(|(s, _)| s.active), Some(false));
        let expired = sessions[3].id;
        let now = Utc::now();
        let extended = extend(&mut store, expired, now).map(|(s, _)| s.expires_at.0);
        assert!(
            extended.is_some_and(|at| at > now + Duration::hours(23)),
            "{extended:?}"
        );
        assert!(find(&store, expired).is_some_and(|(s, _)| s.is_active(now, None)));
        assert!(!revoke(&mut store, Uuid::from_u128(42)));
        assert_eq!(delete_all(&mut store, identity.id), sessions.len());
        assert_eq!(delete_all(&mut store, identity.id), 0);
        assert!(find(&store, first).is_none());
    }
}
