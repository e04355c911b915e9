//! An identity's sessions: list them, read one, revoke one or all, extend
//! one. Kratos's admin API (`session/handler.go`), at the profile's paths:
//! `{identities_path}/{id}/sessions` and `{sessions_path}/{id}[/extend]`.
//!
//! What Kratos does that a client must know (v1.3.1 to v26.2.0):
//! - **Paging** of an identity's sessions is the old kind
//!   (`listIdentitySessions` → `x.ParsePagination`, ory/x
//!   `migrationpagination`), and off by one: the `Link` header counts pages
//!   from 0, the query (pop's `Paginate`) from 1, so pages 0 and 1 are the
//!   same and the `next` links repeat the first page and never reach the
//!   last (ory/kratos#3883). idcon ignores the links and asks for `page=0,
//!   1, 2, …` with `per_page`, dropping sessions it has already seen: that
//!   reads every session whether or not Kratos fixes the count (fixed, page
//!   1 is simply the second page). It stops at `X-Total-Count` (deprecated,
//!   so also at a short or empty page), and refuses to go on when a page
//!   after the second brings nothing new ([`ApiError::PagingLoop`]: a server
//!   that ignores `page` would answer the first page forever).
//! - `active` in a session is `Session.IsActive`: the stored flag, not
//!   expired, and an active identity when the identity is expanded (the
//!   list expands it); the `active` *filter* looks at the flag and the
//!   expiry only.
//! - **Revoking one session** deactivates it (`disableSession`: 204; the
//!   data stays, it lists as inactive); again is no error.
//! - **Revoking all** (`deleteIdentitySessions`) deletes every session of
//!   the identity, active or not: 204; a 404 with sqlcon's "Unable to locate
//!   the resource" when there was none left, which is also what an unknown
//!   identity gets ([`RevokedAll::NoneLeft`]).
//! - **Extending** (`adminSessionExtend`) moves `expires_at` to now + the
//!   session lifespan: 200 with the session by default, 204 with
//!   `feature_flags.faster_session_extend` ([`Client::extend_session`]
//!   gives `None` then).
//!
//! Revoking and extending are writes: refused on a read-only profile before
//! anything is signed, like every write. They carry no secret, and a session
//! as Kratos's admin API writes it holds none (its token never leaves the
//! server; `tokenized`, a JWT only `whoami` makes, is dropped when read).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::client::{Client, PreparedRequest, checked_segment, parse_json, success};
use super::error::ApiError;
use super::exchange::{Exchange, Response};
use super::models::parse_time;

/// Sessions a page holds unless asked otherwise: Kratos's default.
pub const DEFAULT_PER_PAGE: u32 = 250;
/// The most Kratos gives in one page (ory/x `pagepagination` `MaxItems`).
pub const MAX_PER_PAGE: u32 = 1000;
/// Pages a [`SessionPager`] reads before it stops with
/// [`ApiError::PageLimit`] (at 1,000 a page, a million sessions).
pub const MAX_SESSION_PAGES: usize = 1000;

/// sqlcon's message for a missing row: what `deleteIdentitySessions` answers
/// when the identity has no session left.
const NO_ROWS_MESSAGE: &str = "Unable to locate the resource";

/// One session (`session`), members idcon does not know kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    /// `Session.IsActive` as the server computed it when it answered.
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub authenticated_at: Option<String>,
    /// `aal0` … `aal3`.
    #[serde(default)]
    pub authenticator_assurance_level: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub authentication_methods: Vec<AuthenticationMethod>,
    #[serde(default)]
    pub issued_at: Option<String>,
    /// The identity, when the answer expands it (a list does); its
    /// credentials and `metadata_admin` are never in it.
    #[serde(default)]
    pub identity: Option<Value>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub devices: Vec<SessionDevice>,
    #[serde(flatten, deserialize_with = "without_tokenized")]
    pub extra: Map<String, Value>,
}

/// A device the session was used from (`sessionDevice`). All of it is
/// written by the client that signed in (`User-Agent`, a proxy's location
/// headers): untrusted text, sanitised before it is drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionDevice {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub ip_address: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
    /// `Cf-Ipcity, Cf-Ipcountry`; empty without Cloudflare in front.
    #[serde(default)]
    pub location: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How a session was authenticated (`sessionAuthenticationMethod`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthenticationMethod {
    /// `password`, `oidc`, `totp`, `code`, `webauthn`, `link_recovery`, …
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub aal: Option<String>,
    #[serde(default)]
    pub completed_at: Option<String>,
    /// The OIDC or SAML provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// `tokenized` is a JWT of the session (only `whoami` makes one): never
/// kept, so no view, log or file can show it.
fn without_tokenized<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Map<String, Value>, D::Error> {
    let mut extra = Map::deserialize(deserializer)?;
    extra.remove("tokenized");
    Ok(extra)
}

/// What a session amounts to for a person reading the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// The server says active.
    Active,
    /// Its `expires_at` has passed.
    Expired,
    /// Not active, not expired: revoked, or its identity is inactive.
    Inactive,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Active => "active",
            SessionState::Expired => "expired",
            SessionState::Inactive => "inactive",
        }
    }
}

impl Session {
    /// The first eight characters of the id, as lists show ids.
    pub fn short_id(&self) -> &str {
        self.id.get(..8).unwrap_or(&self.id)
    }

    pub fn expires_at_time(&self) -> Option<DateTime<Utc>> {
        self.expires_at.as_deref().and_then(parse_time)
    }

    pub fn authenticated_at_time(&self) -> Option<DateTime<Utc>> {
        self.authenticated_at.as_deref().and_then(parse_time)
    }

    pub fn issued_at_time(&self) -> Option<DateTime<Utc>> {
        self.issued_at.as_deref().and_then(parse_time)
    }

    /// Active as the server said; else expired when `expires_at` is past at
    /// `now`, else inactive (revoked, or the identity is inactive).
    pub fn state(&self, now: DateTime<Utc>) -> SessionState {
        if self.active {
            SessionState::Active
        } else if self.expires_at_time().is_some_and(|at| at <= now) {
            SessionState::Expired
        } else {
            SessionState::Inactive
        }
    }

    /// The methods in the order they were completed, `+`-joined, providers
    /// in brackets: `password+totp`, `oidc (google)`. Raw server text:
    /// sanitise before drawing.
    pub fn methods_text(&self) -> String {
        self.authentication_methods
            .iter()
            .map(|m| {
                let method = m.method.as_deref().unwrap_or("?");
                match m.provider.as_deref().filter(|p| !p.is_empty()) {
                    Some(provider) => format!("{method} ({provider})"),
                    None => method.to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join("+")
    }
}

/// What a session read expands (`expand=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionExpand {
    Identity,
    Devices,
}

impl SessionExpand {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionExpand::Identity => "identity",
            SessionExpand::Devices => "devices",
        }
    }
}

/// Which of an identity's sessions to list, and how many a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionQuery {
    /// `Some(true)`: only sessions whose flag is set and that have not
    /// expired (Kratos's filter: an inactive identity's sessions still
    /// pass, and read `active: false`); `Some(false)`: the others.
    pub active: Option<bool>,
    /// Sessions a page, 1 to [`MAX_PER_PAGE`].
    pub per_page: u32,
}

impl Default for SessionQuery {
    fn default() -> Self {
        SessionQuery {
            active: None,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

impl SessionQuery {
    /// The query of page `page` (counted from 0, see the module docs).
    pub fn params(&self, page: u32) -> Vec<(String, String)> {
        let mut params = Vec::new();
        if let Some(active) = self.active {
            params.push(("active".to_owned(), active.to_string()));
        }
        params.push(("per_page".to_owned(), self.per_page.clamp(1, MAX_PER_PAGE).to_string()));
        params.push(("page".to_owned(), page.to_string()));
        params
    }
}

/// One page of an identity's sessions as the server sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionPage {
    pub items: Vec<Session>,
    /// `X-Total-Count`: how many sessions match, when the server says.
    pub total: Option<u64>,
}

/// What revoking all of an identity's sessions did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokedAll {
    /// 204: every session is gone.
    Revoked,
    /// 404 "Unable to locate the resource": there was none left to revoke,
    /// or the identity does not exist (Kratos answers both alike,
    /// `persistence/sql/persister_session.go` `DeleteSessionsByIdentity`).
    /// A caller that knows the identity exists (it just read or wrote it)
    /// may take this as done: a revoke-all retried after a lost answer ends
    /// here without revoking twice.
    NoneLeft,
}

impl Client {
    /// `{base}{identities_path}/{id}/sessions`, for people and the audit trail.
    pub fn identity_sessions_url(&self, identity_id: &str) -> String {
        format!("{}/sessions", self.identity_url(identity_id))
    }

    /// `{base}{sessions_path}/{id}`, for people and the audit trail.
    pub fn session_url(&self, session_id: &str) -> String {
        format!(
            "{}{}/{}",
            self.base_url(),
            self.sessions_path(),
            super::client::encode_segment(session_id)
        )
    }

    fn identity_sessions_endpoint(&self, identity_id: &str) -> Result<String, ApiError> {
        Ok(format!("{}/sessions", self.identity_endpoint(identity_id)?))
    }

    fn session_endpoint(&self, session_id: &str) -> Result<String, ApiError> {
        Ok(format!(
            "{}/{}",
            self.sessions_path(),
            checked_segment(session_id, "session id")?
        ))
    }

    /// Page `page` (from 0) of the identity's sessions, as the server
    /// answers it; [`Client::session_pager`] reads them all.
    pub async fn list_identity_sessions(
        &self,
        identity_id: &str,
        query: &SessionQuery,
        page: u32,
    ) -> Result<Response<SessionPage>, ApiError> {
        let endpoint = self.identity_sessions_endpoint(identity_id)?;
        let prepared = self.prepare(self.base_url(), "GET", &endpoint, &query.params(page), None)?;
        let exchange = success(self.execute(&prepared).await?)?;
        let items: Vec<Session> = parse_json(&exchange, "a list of sessions")?;
        let total = exchange
            .header("x-total-count")
            .and_then(|total| total.trim().parse::<u64>().ok());
        Ok(Response {
            value: SessionPage { items, total },
            exchange,
        })
    }

    /// Walks the identity's sessions page by page (see the module docs).
    pub fn session_pager(&self, identity_id: &str, query: SessionQuery) -> SessionPager {
        SessionPager {
            client: self.clone(),
            identity_id: identity_id.to_owned(),
            query,
            page: 0,
            seen: HashSet::new(),
            done: false,
        }
    }

    /// One session, with what `expand` asks for (nothing: `identity` is
    /// `None` and `devices` empty).
    pub async fn get_session(&self, session_id: &str, expand: &[SessionExpand]) -> Result<Response<Session>, ApiError> {
        let endpoint = self.session_endpoint(session_id)?;
        let params: Vec<(String, String)> = expand
            .iter()
            .map(|e| ("expand".to_owned(), e.as_str().to_owned()))
            .collect();
        let prepared = self.prepare(self.base_url(), "GET", &endpoint, &params, None)?;
        let exchange = success(self.execute(&prepared).await?)?;
        let session = parse_json(&exchange, "a session")?;
        Ok(Response {
            value: session,
            exchange,
        })
    }

    /// The signed `DELETE {sessions_path}/{id}`, without sending it;
    /// refused for a read-only profile before anything is signed.
    pub fn prepare_revoke_session(&self, session_id: &str) -> Result<PreparedRequest, ApiError> {
        self.refuse_if_read_only()?;
        let endpoint = self.session_endpoint(session_id)?;
        self.prepare(self.base_url(), "DELETE", &endpoint, &[], None)
    }

    /// Sends a request made by [`Client::prepare_revoke_session`].
    pub async fn send_revoke_session(&self, prepared: &PreparedRequest) -> Result<Exchange, ApiError> {
        success(self.execute(prepared).await?)
    }

    /// Revokes (deactivates) one session: `DELETE {sessions_path}/{id}`.
    pub async fn revoke_session(&self, session_id: &str) -> Result<Exchange, ApiError> {
        let prepared = self.prepare_revoke_session(session_id)?;
        self.send_revoke_session(&prepared).await
    }

    /// The signed `DELETE {identities_path}/{id}/sessions`, without sending
    /// it; refused for a read-only profile before anything is signed.
    pub fn prepare_revoke_identity_sessions(&self, identity_id: &str) -> Result<PreparedRequest, ApiError> {
        self.refuse_if_read_only()?;
        let endpoint = self.identity_sessions_endpoint(identity_id)?;
        self.prepare(self.base_url(), "DELETE", &endpoint, &[], None)
    }

    /// Sends a request made by [`Client::prepare_revoke_identity_sessions`].
    /// Kratos's 404 for "none left" is [`RevokedAll::NoneLeft`], with the
    /// exchange; any other 404 (a gateway without the route) is an error.
    pub async fn send_revoke_identity_sessions(
        &self,
        prepared: &PreparedRequest,
    ) -> Result<Response<RevokedAll>, ApiError> {
        let exchange = self.execute(prepared).await?;
        let none_left = exchange.status == 404
            && exchange
                .error()
                .is_some_and(|e| e.message.as_deref() == Some(NO_ROWS_MESSAGE));
        if none_left {
            return Ok(Response {
                value: RevokedAll::NoneLeft,
                exchange,
            });
        }
        let exchange = success(exchange)?;
        Ok(Response {
            value: RevokedAll::Revoked,
            exchange,
        })
    }

    /// Revokes (deletes) every session of the identity.
    pub async fn revoke_identity_sessions(&self, identity_id: &str) -> Result<Response<RevokedAll>, ApiError> {
        let prepared = self.prepare_revoke_identity_sessions(identity_id)?;
        self.send_revoke_identity_sessions(&prepared).await
    }

    /// The signed `PATCH {sessions_path}/{id}/extend`, without sending it;
    /// refused for a read-only profile before anything is signed.
    pub fn prepare_extend_session(&self, session_id: &str) -> Result<PreparedRequest, ApiError> {
        self.refuse_if_read_only()?;
        let endpoint = format!("{}/extend", self.session_endpoint(session_id)?);
        self.prepare(self.base_url(), "PATCH", &endpoint, &[], None)
    }

    /// Sends a request made by [`Client::prepare_extend_session`]: the
    /// session as extended (200), or `None` when the server answers 204
    /// (read it with [`Client::get_session`]).
    pub async fn send_extend_session(&self, prepared: &PreparedRequest) -> Result<Response<Option<Session>>, ApiError> {
        let exchange = success(self.execute(prepared).await?)?;
        let session = if exchange.body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(parse_json(&exchange, "a session")?)
        };
        Ok(Response {
            value: session,
            exchange,
        })
    }

    /// Extends one session: `PATCH {sessions_path}/{id}/extend`.
    pub async fn extend_session(&self, session_id: &str) -> Result<Response<Option<Session>>, ApiError> {
        let prepared = self.prepare_extend_session(session_id)?;
        self.send_extend_session(&prepared).await
    }
}

/// Reads an identity's sessions page by page (see the module docs): each
/// page holds only sessions not seen before.
#[derive(Debug)]
pub struct SessionPager {
    client: Client,
    identity_id: String,
    query: SessionQuery,
    /// The next page to ask for, from 0.
    page: u32,
    seen: HashSet<String>,
    done: bool,
}

impl SessionPager {
    /// The next page's new sessions, or `None` when all were read. After an
    /// error the same page can be asked for again.
    pub async fn next_page(&mut self) -> Result<Option<Response<SessionPage>>, ApiError> {
        if self.done {
            return Ok(None);
        }
        let response = self
            .client
            .list_identity_sessions(&self.identity_id, &self.query, self.page)
            .await?;
        let per_page = self.query.per_page.clamp(1, MAX_PER_PAGE) as usize;
        let received = response.value.items.len();
        let total = response.value.total;
        let fresh: Vec<Session> = response
            .value
            .items
            .into_iter()
            .filter(|s| self.seen.insert(s.id.clone()))
            .collect();
        // Page 1 repeats page 0 on Kratos as released; a later page that
        // brings nothing new means the server ignores `page`.
        if received > 0 && fresh.is_empty() && self.page >= 2 {
            return Err(ApiError::PagingLoop {
                request: response.exchange.request_info(),
                detail: format!("page {} holds only sessions already read", self.page),
            });
        }
        self.page += 1;
        let all_read = total.is_some_and(|t| self.seen.len() as u64 >= t);
        let short = received < per_page;
        if received == 0 || all_read || (total.is_none() && short) {
            self.done = true;
        }
        if !self.done && self.page as usize >= MAX_SESSION_PAGES {
            return Err(ApiError::PageLimit {
                request: response.exchange.request_info(),
                limit: MAX_SESSION_PAGES,
            });
        }
        Ok(Some(Response {
            value: SessionPage { items: fresh, total },
            exchange: response.exchange,
        }))
    }

    /// Whether another page may hold sessions.
    pub fn has_more(&self) -> bool {
        !self.done
    }

    /// Sessions read so far.
    pub fn count(&self) -> usize {
        self.seen.len()
    }

    /// Every remaining session, in the order the server lists them
    /// (newest first).
    pub async fn collect_all(&mut self) -> Result<Vec<Session>, ApiError> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await? {
            all.extend(page.value.items);
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_reads_as_kratos_writes_it_and_drops_a_token() {
        let text = r#"{"id":"a021e6c2-e2d0-4635-ba12-17d2d393c96d","active":false,
            "expires_at":"2020-01-01T00:00:00Z","authenticated_at":"2019-12-31T00:00:00Z",
            "authenticator_assurance_level":"aal2",
            "authentication_methods":[{"method":"password","aal":"aal1","completed_at":"2019-12-31T00:00:00Z"},
                                      {"method":"oidc","aal":"aal1","completed_at":"2019-12-31T00:00:00Z","provider":"google"}],
            "issued_at":"2019-12-31T00:00:01Z","identity":null,"devices":null,
            "tokenized":"eyJhbGciOi.secret.jwt","region":"eu-central"}"#;
        let session: Session = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(session.short_id(), "a021e6c2");
        assert!(session.devices.is_empty() && session.identity.is_none());
        assert_eq!(session.methods_text(), "password+oidc (google)");
        assert_eq!(session.state(Utc::now()), SessionState::Expired);
        assert!(!format!("{session:?}").contains("secret.jwt"));
        assert_eq!(session.extra.get("region"), Some(&Value::from("eu-central")));
        let mut revoked = session.clone();
        revoked.expires_at = Some("2999-01-01T00:00:00Z".to_owned());
        assert_eq!(revoked.state(Utc::now()), SessionState::Inactive);
        revoked.active = true;
        assert_eq!(revoked.state(Utc::now()), SessionState::Active);
    }

    #[test]
    fn pages_are_asked_for_by_number_from_zero() {
        let query = SessionQuery {
            active: Some(true),
            per_page: 5000,
        };
        assert_eq!(
            query.params(2),
            [
                ("active".to_owned(), "true".to_owned()),
                ("per_page".to_owned(), "1000".to_owned()),
                ("page".to_owned(), "2".to_owned())
            ]
        );
        assert_eq!(SessionQuery::default().params(0).len(), 2);
    }
}
