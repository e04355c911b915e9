//! Request authentication: the Connhex gateway's bearer token (optional) and the
//! Yoti request signature, checked as the real services check them, each
//! failure with its own message.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::http::HeaderMap;

use super::errors::ApiError;
use crate::signing::{self, VerifyingKey};

/// How far a signed timestamp may be from the server's clock.
pub const TIMESTAMP_WINDOW_MS: u64 = 5 * 60 * 1000;
/// Nonces remembered at most; past this the oldest are forgotten early.
const NONCE_CAPACITY: usize = 200_000;

/// Remembers nonces for the timestamp window (a replay outside the window is
/// already refused as stale), within a fixed memory bound.
#[derive(Debug, Default)]
struct NonceCache {
    expiry_by_nonce: HashMap<String, u64>,
    order: VecDeque<(u64, String)>,
}

impl NonceCache {
    /// False if the nonce was seen and has not expired.
    fn admit(&mut self, nonce: &str, now_ms: u64) -> bool {
        while self.order.front().is_some_and(|(expiry, _)| *expiry <= now_ms) {
            self.forget_oldest();
        }
        if self.expiry_by_nonce.contains_key(nonce) {
            return false;
        }
        while self.order.len() >= NONCE_CAPACITY {
            self.forget_oldest();
        }
        // A timestamp may be up to one window in the future, so keep the nonce
        // for two windows.
        let expiry = now_ms + 2 * TIMESTAMP_WINDOW_MS;
        self.expiry_by_nonce.insert(nonce.to_owned(), expiry);
        self.order.push_back((expiry, nonce.to_owned()));
        true
    }

    fn forget_oldest(&mut self) {
        if let Some((_, old)) = self.order.pop_front() {
            self.expiry_by_nonce.remove(&old);
        }
    }
}

/// The Yoti signature check of one server.
pub struct SignatureCheck {
    key: VerifyingKey,
    sdk_id: String,
    nonces: Mutex<NonceCache>,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl SignatureCheck {
    pub fn new(key: VerifyingKey, sdk_id: String) -> Self {
        Self {
            key,
            sdk_id,
            nonces: Mutex::new(NonceCache::default()),
        }
    }

    /// Checks one request. `relative_path` is the path below where its API is
    /// mounted (what a client with that base URL signed), `raw_query` the query
    /// exactly as received.
    pub fn check(
        &self,
        method: &str,
        relative_path: &str,
        raw_query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
        now_ms: u64,
    ) -> Result<(), ApiError> {
        let Some(auth_id) = header(headers, signing::AUTH_ID_HEADER) else {
            return Err(ApiError::unauthorized(
                "The X-Yoti-Auth-Id header is missing: send your client SDK id with every request.",
            ));
        };
        if auth_id != self.sdk_id {
            return Err(ApiError::unauthorized(format!(
                "X-Yoti-Auth-Id {auth_id:?} is not a client SDK id this server knows."
            )));
        }
        let Some(digest) = header(headers, signing::DIGEST_HEADER) else {
            return Err(ApiError::unauthorized(
                "The X-Yoti-Auth-Digest header is missing: every request must be signed.",
            ));
        };
        let raw_query = raw_query.unwrap_or("");
        let Some((nonce, timestamp)) = signing::nonce_and_timestamp(raw_query) else {
            return Err(ApiError::unauthorized(
                "The signed query must carry a nonce and a numeric timestamp (milliseconds since the Unix epoch).",
            ));
        };
        if timestamp.abs_diff(now_ms) > TIMESTAMP_WINDOW_MS {
            return Err(ApiError::unauthorized(format!(
                "The request timestamp {timestamp} is more than 5 minutes away from the server's clock ({now_ms}): check the client's clock."
            )));
        }
        let path_and_query = format!("{relative_path}?{raw_query}");
        let body = (!body.is_empty()).then_some(body);
        signing::verify_request(&self.key, method, &path_and_query, body, digest).map_err(|e| {
            ApiError::unauthorized(format!(
                "The request signature is not valid: {e}. The server checked the message {method}&{path_and_query}{}.",
                if body.is_some() { "&<base64 of the body>" } else { "" }
            ))
        })?;
        // Only a correctly signed request uses up its nonce, so a forger cannot
        // burn nonces.
        let admitted = self
            .nonces
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .admit(&nonce, now_ms);
        if !admitted {
            return Err(ApiError::unauthorized(format!(
                "The nonce {nonce:?} was already used: every request needs a fresh nonce (replayed request refused)."
            )));
        }
        Ok(())
    }
}

/// The bearer token a Connhex-style gateway demands.
pub fn check_bearer(expected: &str, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = header(headers, "authorization")
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")));
    match given {
        None => Err(ApiError::unauthorized(
            "The Authorization header is missing: send Authorization: Bearer <token>.",
        )),
        Some(token) if constant_time_eq(token.trim().as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::unauthorized("The bearer token is not valid.")),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_refused_the_second_time_until_it_expires() {
        let mut cache = NonceCache::default();
        assert!(cache.admit("n1", 1_000));
        assert!(!cache.admit("n1", 2_000));
        assert!(cache.admit("n2", 2_000));
        assert!(cache.admit("n1", 1_000 + 2 * TIMESTAMP_WINDOW_MS + 1));
    }

    #[test]
    fn memory_stays_bounded() {
        let mut cache = NonceCache::default();
        for i in 0..(NONCE_CAPACITY + 10) {
            assert!(cache.admit(&i.to_string(), 5));
        }
        assert!(cache.order.len() <= NONCE_CAPACITY);
        assert!(cache.expiry_by_nonce.len() <= NONCE_CAPACITY);
    }

    #[test]
    fn bearer_must_match() {
        let mut headers = HeaderMap::new();
        assert!(check_bearer("s3cret", &headers).is_err());
        headers.insert("authorization", axum::http::HeaderValue::from_static("Bearer nope"));
        assert!(check_bearer("s3cret", &headers).is_err());
        headers.insert("authorization", axum::http::HeaderValue::from_static("Bearer s3cret"));
        assert!(check_bearer("s3cret", &headers).is_ok());
    }
}
