//! What was sent and what came back, kept whole for the response view, the
//! request history and the audit trail.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::models::GenericError;

/// Identifies one request in messages and logs: method, URL and the
/// `X-Request-ID` idcon sent with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    pub method: String,
    /// The URL exactly as sent (with the signing nonce and timestamp).
    pub url: String,
    pub request_id: String,
}

impl RequestInfo {
    /// The URL without the per-request `nonce` and `timestamp`, for people.
    pub fn display_url(&self) -> String {
        without_signing_params(&self.url)
    }
}

impl fmt::Display for RequestInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} (request id {})",
            self.method,
            crate::sanitize::for_display(&self.display_url()),
            self.request_id
        )
    }
}

/// One request and its answer, whatever the status.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// Sent as `X-Request-ID`; also in the audit trail.
    pub request_id: String,
    pub method: String,
    /// The URL exactly as sent.
    pub url: String,
    /// Headers sent; the bearer token, static header values and the signature
    /// are replaced by `<redacted>`.
    pub request_headers: Vec<(String, String)>,
    /// The body sent, with credential secrets redacted; `None` without body.
    pub request_body: Option<String>,
    pub status: u16,
    /// The standard reason phrase of the status ("Bad Request").
    pub reason: String,
    pub headers: Vec<(String, String)>,
    /// The body as received (at most the client's size cap).
    pub body: Vec<u8>,
    pub started_at: DateTime<Utc>,
    /// From sending the request to the last byte of the answer.
    pub elapsed: Duration,
}

impl Exchange {
    pub fn request_info(&self) -> RequestInfo {
        RequestInfo {
            method: self.method.clone(),
            url: self.url.clone(),
            request_id: self.request_id.clone(),
        }
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first response header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body for reading: pretty JSON when it is JSON, else the text.
    pub fn pretty_body(&self) -> String {
        match self.body_json() {
            Some(json) => serde_json::to_string_pretty(&json).unwrap_or_else(|_| self.body_text().into_owned()),
            None => self.body_text().into_owned(),
        }
    }

    /// The error the server described in the body, if it did.
    pub fn error(&self) -> Option<GenericError> {
        if self.is_success() {
            return None;
        }
        GenericError::from_body(&self.body)
    }

    /// The server's own id for this request: a response header
    /// (`X-Request-Id`, `Request-Id`, `X-Correlation-Id`) or the error
    /// envelope's `request`.
    pub fn server_request_id(&self) -> Option<String> {
        ["x-request-id", "request-id", "x-correlation-id", "x-amzn-requestid"]
            .iter()
            .find_map(|name| self.header(name).map(str::to_owned))
            .or_else(|| self.error().and_then(|e| e.request))
    }
}

/// A successful answer: the parsed value and the exchange it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Response<T> {
    pub value: T,
    pub exchange: Exchange,
}

/// `url` without its `nonce=` and `timestamp=` query parameters.
pub fn without_signing_params(url: &str) -> String {
    let Some((head, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            name != "nonce" && name != "timestamp"
        })
        .collect();
    if kept.is_empty() {
        head.to_owned()
    } else {
        format!("{head}?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_params_are_left_out_for_people() {
        assert_eq!(
            without_signing_params("http://h/a?page_size=2&nonce=x&timestamp=1"),
            "http://h/a?page_size=2"
        );
        assert_eq!(without_signing_params("http://h/a?nonce=x&timestamp=1"), "http://h/a");
        assert_eq!(without_signing_params("http://h/a"), "http://h/a");
    }
}
