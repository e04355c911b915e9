//! Yoti-compatible request signing and verification (no I/O beyond reading a key
//! file).
//!
//! The scheme, as the official Yoti Python SDK (`SignedRequestBuilder`) builds it,
//! byte for byte:
//! 1. The query is the request's own parameters, then `nonce`, then `timestamp`
//!    (milliseconds), form-url-encoded like Python's `urlencode` ([`encode_query`]).
//!    It is appended to the endpoint with `?`, always, even when the endpoint
//!    already holds a `?` (the SDK then produces `path?a=b?nonce=...`).
//! 2. The message is `METHOD&path?query`, plus `&` and the standard base64 of the
//!    body when there is a body. An empty body is a body: its message ends in `&`.
//! 3. The digest is the standard base64 of the RSA PKCS#1 v1.5 SHA-256 signature of
//!    the message's UTF-8 bytes, sent as `X-Yoti-Auth-Digest`.

mod key;
mod query;

use base64::Engine as _;

pub use key::{KeyError, KeyProblem, SigningKey, VerifyingKey};
pub use query::encode_query;

/// Our `X-Yoti-SDK` value: the SDKs name themselves ("Python", "Node", ...).
pub const SDK_HEADER_VALUE: &str = "idcon";
/// Our `X-Yoti-SDK-Version` value, `<sdk>-<version>` as the SDKs send it.
pub const SDK_VERSION_HEADER_VALUE: &str = concat!("idcon-", env!("CARGO_PKG_VERSION"));

/// Header names of the scheme, spelled as the SDKs send them.
pub const DIGEST_HEADER: &str = "X-Yoti-Auth-Digest";
pub const AUTH_ID_HEADER: &str = "X-Yoti-Auth-Id";
pub const SDK_HEADER: &str = "X-Yoti-SDK";
pub const SDK_VERSION_HEADER: &str = "X-Yoti-SDK-Version";

/// What was signed and what to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// Endpoint + `?` + the query including nonce and timestamp: append it to the base URL.
    pub path_and_query: String,
    /// The exact string that was signed.
    pub message: String,
    /// Standard base64 signature, the `X-Yoti-Auth-Digest` value.
    pub digest: String,
}

/// A signature that does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("X-Yoti-Auth-Digest is not valid base64")]
    DigestNotBase64,
    #[error(
        "X-Yoti-Auth-Digest does not match the request (method, path, query or body differ, or another key signed it)"
    )]
    Mismatch,
}

/// Signs a request exactly as the official Yoti SDKs do.
///
/// `params` behave like the Python SDK's `with_param` calls, which fill a dict: a
/// name given twice keeps its first position and takes the last value, and a
/// `nonce` or `timestamp` param is overwritten in place by the signing values.
pub fn sign_request(
    key: &SigningKey,
    method: &str,
    endpoint: &str,
    params: &[(String, String)],
    body: Option<&[u8]>,
    nonce: &str,
    timestamp_ms: u64,
) -> Signed {
    let merged = query::merge_like_sdk(params, nonce, timestamp_ms);
    let path_and_query = format!("{endpoint}?{}", encode_query(&merged));
    let message = build_message(method, &path_and_query, body);
    let digest = key.sign_base64(message.as_bytes());
    Signed {
        path_and_query,
        message,
        digest,
    }
}

/// Checks a received request's `X-Yoti-Auth-Digest`. For the demo server:
/// `path_and_query` is the request's path relative to where the API is mounted,
/// plus `?` and the raw query exactly as received.
///
/// An empty body is ambiguous on the wire: an SDK that signed no body and one that
/// signed `b""` send the same bytes (no content, or `Content-Length: 0`). So when
/// `body` is `None` or empty, the digest is accepted if it matches either message,
/// `M&path?query` or `M&path?query&`; a non-empty body must match `...&base64(body)`.
pub fn verify_request(
    key: &VerifyingKey,
    method: &str,
    path_and_query: &str,
    body: Option<&[u8]>,
    digest_b64: &str,
) -> Result<(), VerifyError> {
    let signature = base64::engine::general_purpose::STANDARD
        .decode(digest_b64.trim())
        .map_err(|_| VerifyError::DigestNotBase64)?;
    let candidates = match body {
        Some(bytes) if !bytes.is_empty() => vec![build_message(method, path_and_query, body)],
        _ => vec![
            build_message(method, path_and_query, None),
            build_message(method, path_and_query, Some(b"")),
        ],
    };
    if candidates
        .iter()
        .any(|message| key.verifies(message.as_bytes(), &signature))
    {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

/// The string the scheme signs: `METHOD&path?query[&base64(body)]`.
pub fn build_message(method: &str, path_and_query: &str, body: Option<&[u8]>) -> String {
    let mut message = format!("{method}&{path_and_query}");
    if let Some(bytes) = body {
        message.push('&');
        base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut message);
    }
    message
}

/// The signed `nonce` and `timestamp` of a received query, so a server can refuse
/// replays and stale requests. `None` when either is missing or the timestamp is
/// not a number. Takes the last occurrence, as the SDK appends them last.
pub fn nonce_and_timestamp(raw_query: &str) -> Option<(String, u64)> {
    let mut nonce = None;
    let mut timestamp = None;
    for pair in raw_query.split(['&', '?']) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "nonce" => nonce = Some(query::decode_component(value)),
            "timestamp" => timestamp = value.parse::<u64>().ok(),
            _ => {}
        }
    }
    Some((nonce?, timestamp?))
}

/// A fresh nonce, a random UUID v4 as the SDKs make.
pub fn fresh_nonce() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The current Unix time in milliseconds (0 if the clock is before 1970).
pub fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
