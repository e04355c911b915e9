//! Failures of the API client, each worded so that a support person knows
//! what happened and what to check. Every message is one line; server text in
//! it is sanitised (no terminal control codes) and truncated; secrets (tokens,
//! keys, passwords, signatures) never appear in it.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::exchange::{Exchange, RequestInfo};
use super::models::GenericError;
use crate::sanitize::for_display;

/// How much of a non-JSON error body a message quotes.
const QUOTED_BODY_CHARS: usize = 300;
/// How much of an error's `details` a message quotes.
const QUOTED_DETAILS_CHARS: usize = 500;

/// Which time limit ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Establishing the connection (TCP and TLS): `connect_timeout_secs`.
    Connect,
    /// The whole request and answer: `timeout_secs`.
    Total,
}

/// The server answered with a status that is not a success.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpError {
    pub status: u16,
    /// The server's error description, when the body had one.
    pub error: Option<GenericError>,
    /// The whole exchange, for the response view.
    pub exchange: Exchange,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if !self.exchange.reason.is_empty() {
            write!(f, " {}", self.exchange.reason)?;
        }
        match &self.error {
            Some(error) => {
                let mut parts = Vec::new();
                // Reason first: Kratos puts the validation detail there.
                if let Some(reason) = error.reason.as_deref().filter(|s| !s.trim().is_empty()) {
                    parts.push(clip(reason, QUOTED_BODY_CHARS));
                }
                if let Some(message) = error.message.as_deref().filter(|s| !s.trim().is_empty()) {
                    parts.push(clip(message, QUOTED_BODY_CHARS));
                }
                if let Some(details) = error.details.as_ref().filter(|d| !is_empty_json(d)) {
                    parts.push(format!("details: {}", clip(&details.to_string(), QUOTED_DETAILS_CHARS)));
                }
                if let Some(request) = error.request.as_deref().filter(|s| !s.is_empty()) {
                    parts.push(format!("server request id {}", clip(request, 100)));
                }
                if parts.is_empty() {
                    parts.push(format!("body: {}", clip(&self.exchange.body_text(), QUOTED_BODY_CHARS)));
                }
                write!(f, ": {}", parts.join("; "))?;
            }
            None if self.exchange.body.iter().all(u8::is_ascii_whitespace) => write!(f, " (empty body)")?,
            None => write!(f, ": {}", clip(&self.exchange.body_text(), QUOTED_BODY_CHARS))?,
        }
        write!(f, " [{}]", self.exchange.request_info())
    }
}

/// Everything that can go wrong talking to the identity service or the
/// attribute registry.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A non-success status; see [`HttpError`].
    #[error("{0}")]
    Http(Box<HttpError>),
    #[error(
        "{}: {request}",
        match phase {
            TimeoutPhase::Connect => format!("could not connect within {} (connect_timeout_secs of the profile): the host may be down or a firewall drops the traffic", secs(*limit)),
            TimeoutPhase::Total => format!("no complete answer within {} (timeout_secs of the profile): the server is slow or overloaded; the request may still have been carried out", secs(*limit)),
        }
    )]
    Timeout {
        request: RequestInfo,
        phase: TimeoutPhase,
        limit: Duration,
    },
    #[error(
        "connection refused by {address}: nothing listens there (is the service running, is the port in base_url right?): {request}"
    )]
    ConnectionRefused { request: RequestInfo, address: String },
    #[error("cannot resolve the host name {host} (check base_url and DNS): {detail}: {request}")]
    Dns {
        request: RequestInfo,
        host: String,
        detail: String,
    },
    #[error("TLS failure talking to {host} ({}): {detail}: {request}", tls_hint(detail))]
    Tls {
        request: RequestInfo,
        host: String,
        detail: String,
    },
    #[error("the connection to {host} failed: {detail}: {request}")]
    Connection {
        request: RequestInfo,
        host: String,
        detail: String,
    },
    #[error("the answer is larger than {limit} bytes, more than idcon reads: {request}")]
    BodyTooLarge { request: RequestInfo, limit: usize },
    #[error(
        "the server redirected (HTTP {status}) to {location}; idcon does not follow redirects with signed requests: fix the profile's base_url: {request}",
        location = for_display(location)
    )]
    Redirect {
        request: RequestInfo,
        status: u16,
        location: String,
    },
    /// A schema request was redirected more often than idcon follows.
    #[error(
        "the server redirected more than {limit} times (the last hop pointed at {location}); stopped following: {request}",
        location = clip(location, QUOTED_BODY_CHARS)
    )]
    TooManyRedirects {
        request: RequestInfo,
        limit: usize,
        location: String,
    },
    /// A redirect idcon will not follow (not http/https, not a URL, no
    /// Location).
    #[error(
        "the server redirected (HTTP {status}) to {location}, which idcon does not follow: {detail}: {request}",
        location = clip(location, QUOTED_BODY_CHARS)
    )]
    RedirectRefused {
        request: RequestInfo,
        status: u16,
        location: String,
        detail: String,
    },
    /// A URL that came as data (an identity's `schema_url`) and is not safe
    /// or not possible to fetch.
    #[error("refused to fetch {what} {url}: {detail}", url = clip(url, QUOTED_BODY_CHARS))]
    UrlRefused {
        what: &'static str,
        url: String,
        detail: String,
    },
    #[error("HTTP {} but the answer is not what was expected: {detail} [{request}]", exchange.status, request = exchange.request_info())]
    InvalidResponse { detail: String, exchange: Box<Exchange> },
    #[error("the server keeps sending the same next-page link ({detail}); stopped paging: {request}")]
    PagingLoop { request: RequestInfo, detail: String },
    #[error(
        "stopped after {limit} pages: the server still sends a next-page link (raise the limit with --max-pages \
         if the tenant really is that large): {request}"
    )]
    PageLimit { request: RequestInfo, limit: usize },
    #[error("profile \"{profile}\" is read-only: nothing was signed or sent")]
    ReadOnly { profile: String },
    #[error("profile \"{profile}\" has no {setting}: add it to the profile to use this")]
    NotConfigured { profile: String, setting: &'static str },
    #[error("cannot use the signing key: {0}")]
    Key(#[from] crate::signing::KeyError),
    #[error(
        "the environment variable {variable} (bearer_token_env of profile \"{profile}\") is not set or is empty: export the gateway token in it"
    )]
    BearerTokenMissing { profile: String, variable: String },
    #[error("the token in {variable} cannot go into an HTTP header (it holds control or non-ASCII characters)")]
    BearerTokenInvalid { variable: String },
    #[error("ca_file {}: {detail}", path.display())]
    CaFile { path: PathBuf, detail: String },
    #[error("{0}")]
    InvalidInput(String),
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

impl ApiError {
    /// The request this error belongs to, when one was made.
    pub fn request(&self) -> Option<RequestInfo> {
        match self {
            ApiError::Http(http) => Some(http.exchange.request_info()),
            ApiError::InvalidResponse { exchange, .. } => Some(exchange.request_info()),
            ApiError::Timeout { request, .. }
            | ApiError::ConnectionRefused { request, .. }
            | ApiError::Dns { request, .. }
            | ApiError::Tls { request, .. }
            | ApiError::Connection { request, .. }
            | ApiError::BodyTooLarge { request, .. }
            | ApiError::Redirect { request, .. }
            | ApiError::TooManyRedirects { request, .. }
            | ApiError::RedirectRefused { request, .. }
            | ApiError::PagingLoop { request, .. }
            | ApiError::PageLimit { request, .. } => Some(request.clone()),
            _ => None,
        }
    }

    /// The `X-Request-ID` idcon sent, when a request was made.
    pub fn request_id(&self) -> Option<String> {
        self.request().map(|r| r.request_id)
    }

    /// The exchange, when the server answered.
    pub fn exchange(&self) -> Option<&Exchange> {
        match self {
            ApiError::Http(http) => Some(&http.exchange),
            ApiError::InvalidResponse { exchange, .. } => Some(exchange),
            _ => None,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        self.exchange().map(|e| e.status)
    }

    /// The server's error description, when it gave one.
    pub fn server_error(&self) -> Option<&GenericError> {
        match self {
            ApiError::Http(http) => http.error.as_ref(),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// True when the request may have reached the server and been carried
    /// out although no answer arrived (a write must then be checked, not
    /// blindly retried).
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            ApiError::Timeout {
                phase: TimeoutPhase::Total,
                ..
            } | ApiError::Connection { .. }
                | ApiError::BodyTooLarge { .. }
        )
    }
}

/// What to check for a TLS failure, from what rustls said.
fn tls_hint(detail: &str) -> &'static str {
    let lower = detail.to_ascii_lowercase();
    if lower.contains("corrupt message") || lower.contains("invalidcontenttype") {
        "the port does not speak TLS: is the service plain http://?"
    } else if lower.contains("expired") || lower.contains("notvalidyet") {
        "the server's certificate is expired or not yet valid (check the clocks)"
    } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
        "the server's certificate is for another host name than the one in base_url"
    } else {
        "is the certificate trusted? a private CA goes in the profile's ca_file"
    }
}

fn secs(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn is_empty_json(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => true,
        serde_json::Value::Object(map) => map.is_empty(),
        serde_json::Value::Array(items) => items.is_empty(),
        serde_json::Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Sanitised, on one line, at most `max` characters (with a note when cut).
fn clip(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let safe = for_display(&one_line);
    let total = safe.chars().count();
    if total <= max {
        safe.into_owned()
    } else {
        let cut: String = safe.chars().take(max).collect();
        format!("{cut}… ({total} characters in all)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_sanitises_and_truncates() {
        assert_eq!(clip("a\n  b\x1b[2J", 50), "a b\\u001b[2J");
        let long = "x".repeat(400);
        let clipped = clip(&long, 10);
        assert!(clipped.starts_with("xxxxxxxxxx…"), "{clipped}");
        assert!(clipped.contains("400 characters"));
    }
}
