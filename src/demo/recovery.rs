//! Recovery links and codes made by an admin, as Kratos makes them (the same
//! at v1.3.1, v25.4.0 and v26.2.0):
//!
//! - `POST {prefix}/recovery/link` (`selfservice/strategy/link/
//!   strategy_recovery.go` `createRecoveryLinkForIdentity`): 200
//!   `{"recovery_link", "expires_at"}`, the link on the public URL
//!   (`{public}/self-service/recovery?flow=…&token=…`, a 32-character
//!   token: `NewAdminRecoveryToken`). An unknown identity is a **400** "The
//!   requested identity id does not exist.".
//! - `POST {prefix}/recovery/code` (`selfservice/strategy/code/
//!   strategy_recovery_admin.go` `createRecoveryCodeForIdentity`): **201**
//!   `{"recovery_link", "recovery_code", "expires_at"}`, a six-digit code
//!   (`GenerateCode`, `CodeLength`) and the recovery UI's link with the flow.
//!   An unknown identity is a 404 "could not find identity"; a `flow_type`
//!   other than `browser` or `api` a 400.
//!
//! Both read `{"identity_id", "expires_in"}` with `decoderx` (JSON only; an
//! empty body or another content type is a 400), then `expires_in` with Go's
//! `time.ParseDuration` (a 400 naming `expires_in` when it cannot, another
//! when it is not positive; the two handlers word the second differently),
//! defaulting to the method's lifespan (1 h). Neither looks at the identity's
//! recovery addresses or state: an identity without a recovery address gets
//! its link or code like any other. A method switched off
//! (`selfservice.methods.link|code.enabled: false`, see [`Toggles`]) is a
//! 404 with `EndpointDisabledMessage` (`selfservice/strategy/handler.go`
//! `IsDisabled`), before the body is read.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::errors::{ApiError, json_response};
use super::model::Timestamp;
use super::routes::DemoState;
use crate::api::recovery::{ENDPOINT_DISABLED_MESSAGE, format_go_duration, parse_go_duration};

/// Kratos's default `selfservice.methods.link|code.config.lifespan`.
const DEFAULT_LIFESPAN_NANOS: i64 = 3_600_000_000_000;

/// Settings of the imitated Kratos's configuration that tests flip while
/// the server runs.
#[derive(Debug)]
pub struct Toggles {
    /// `selfservice.methods.link.enabled` (default true).
    link_enabled: AtomicBool,
    /// `selfservice.methods.code.enabled` (default true).
    code_enabled: AtomicBool,
    /// `feature_flags.faster_session_extend` (default false: extend answers
    /// 200 with the session; true: 204).
    faster_session_extend: AtomicBool,
}

impl Default for Toggles {
    fn default() -> Self {
        Toggles {
            link_enabled: AtomicBool::new(true),
            code_enabled: AtomicBool::new(true),
            faster_session_extend: AtomicBool::new(false),
        }
    }
}

impl Toggles {
    /// Switches recovery by `method` (`link` or `code`) on or off; false for
    /// an unknown method.
    pub fn set_recovery_method(&self, method: &str, enabled: bool) -> bool {
        match method {
            "link" => self.link_enabled.store(enabled, Ordering::SeqCst),
            "code" => self.code_enabled.store(enabled, Ordering::SeqCst),
            _ => return false,
        }
        true
    }

    pub fn set_faster_session_extend(&self, on: bool) {
        self.faster_session_extend.store(on, Ordering::SeqCst);
    }

    pub fn faster_session_extend(&self) -> bool {
        self.faster_session_extend.load(Ordering::SeqCst)
    }

    fn enabled(&self, kind: Kind) -> bool {
        match kind {
            Kind::Link => self.link_enabled.load(Ordering::SeqCst),
            Kind::Code => self.code_enabled.load(Ordering::SeqCst),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Link,
    Code,
}

/// The body both handlers decode.
struct Body {
    identity_id: Uuid,
    expires_in: String,
    flow_type: Option<String>,
}

/// `decoderx.Decode(r, &p, decoderx.HTTPJSONDecoder())` into
/// `createRecovery…ForIdentityBody`.
fn decode(headers: &HeaderMap, body: &[u8]) -> Result<Body, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "Unable to decode HTTP Request Body because its HTTP Header \"Content-Length\" is zero.",
        ));
    }
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::bad_request(format!(
            "HTTP POST Request used unknown HTTP Header \"Content-Type: {content_type}\", only [application/json] are supported."
        )));
    }
    let payload = |detail: String| ApiError::bad_request(format!("Unable to decode JSON payload: {detail}"));
    let json: Value = serde_json::from_slice(body).map_err(|err| payload(err.to_string()))?;
    let Some(object) = json.as_object() else {
        return Err(payload(
            "json: cannot unmarshal into Go value of type createRecoveryForIdentityBody".to_owned(),
        ));
    };
    let string = |key: &str| -> Result<Option<String>, ApiError> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(payload(format!(
                "json: cannot unmarshal {} into Go struct field .{key} of type string",
                go_json_kind(other)
            ))),
        }
    };
    let identity_id = match string("identity_id")? {
        None => Uuid::nil(),
        Some(raw) => Uuid::try_parse(&raw).map_err(|_| {
            payload(format!(
                "uuid: incorrect UUID length {} in string {}",
                raw.len(),
                super::paging::go_quote(&raw)
            ))
        })?,
    };
    Ok(Body {
        identity_id,
        expires_in: string("expires_in")?.unwrap_or_default(),
        flow_type: string("flow_type")?,
    })
}

fn go_json_kind(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        _ => "string",
    }
}

/// `expires_in`, read as both handlers read it.
fn expires_in(body: &Body, kind: Kind) -> Result<i64, ApiError> {
    let nanos = if body.expires_in.is_empty() {
        DEFAULT_LIFESPAN_NANOS
    } else {
        parse_go_duration(&body.expires_in).map_err(|_| {
            ApiError::bad_request(format!(
                "Unable to parse \"expires_in\" whose format should match \"[0-9]+(ns|us|ms|s|m|h)\" but did not: {}",
                body.expires_in
            ))
        })?
    };
    if nanos <= 0 {
        return Err(ApiError::bad_request(match kind {
            Kind::Link => format!(
                "Value from \"expires_in\" must be result to a future time: {}",
                body.expires_in
            ),
            Kind::Code => format!(
                "Value from \"expires_in\" must result to a future time: {}",
                format_go_duration(nanos)
            ),
        }));
    }
    Ok(nanos)
}

/// `n` random characters of `alphabet` (Kratos: `randx.MustString`).
fn random_string(n: usize, alphabet: &[u8]) -> String {
    use ring::rand::SecureRandom as _;
    let rng = ring::rand::SystemRandom::new();
    let mut out = String::with_capacity(n);
    while out.len() < n {
        let mut byte = [0u8; 1];
        if rng.fill(&mut byte).is_err() {
            // No system randomness: a v4 UUID's (the same source, tried again).
            byte[0] = Uuid::new_v4().as_bytes()[0];
        }
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - (256 % alphabet.len());
        if usize::from(byte[0]) < limit {
            out.push(char::from(alphabet[usize::from(byte[0]) % alphabet.len()]));
        }
    }
    out
}

const ALPHANUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const NUMERIC: &[u8] = b"0123456789";

async fn create(state: &DemoState, kind: Kind, headers: &HeaderMap, body: &[u8]) -> Result<Response, ApiError> {
    if !state.toggles.enabled(kind) {
        return Err(ApiError::not_found(ENDPOINT_DISABLED_MESSAGE));
    }
    let body = decode(headers, body)?;
    let nanos = expires_in(&body, kind)?;
    if kind == Kind::Code
        && let Some(flow_type) = &body.flow_type
        && flow_type != "browser"
        && flow_type != "api"
    {
        return Err(ApiError::bad_request(format!(
            "Value from \"flow_type\" is not valid: {}",
            super::paging::go_quote(flow_type)
        )));
    }
    let known = state.read_store().get(&body.identity_id).is_some();
    if !known {
        return Err(match kind {
            Kind::Link => ApiError::bad_request("The requested identity id does not exist."),
            Kind::Code => ApiError::no_rows().with_reason("could not find identity"),
        });
    }
    let flow = Uuid::new_v4();
    // The flow's expiry as held in memory (nanoseconds).
    let expires_at = Timestamp(Utc::now() + Duration::nanoseconds(nanos));
    let public = state.public_base();
    let answer = match kind {
        Kind::Link => {
            let token = random_string(32, ALPHANUM);
            let link = format!("{public}/self-service/recovery?flow={flow}&token={token}");
            (
                StatusCode::OK,
                json!({ "recovery_link": link, "expires_at": expires_at }),
            )
        }
        Kind::Code => {
            let code = random_string(6, NUMERIC);
            let link = format!("{public}/recovery?flow={flow}");
            (
                StatusCode::CREATED,
                json!({ "recovery_link": link, "recovery_code": code, "expires_at": expires_at }),
            )
        }
    };
    Ok(json_response(answer.0, &answer.1))
}

/// `POST {prefix}/recovery/link`.
pub(super) async fn create_link(
    State(state): State<Arc<DemoState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    create(&state, Kind::Link, &headers, &body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `POST {prefix}/recovery/code`.
pub(super) async fn create_code(
    State(state): State<Arc<DemoState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    create(&state, Kind::Code, &headers, &body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(expires_in: &str) -> Body {
        Body {
            identity_id: Uuid::nil(),
            expires_in: expires_in.to_owned(),
            flow_type: None,
        }
    }

    #[test]
    fn expires_in_is_read_with_go_and_worded_per_handler() {
        assert_eq!(expires_in(&body(""), Kind::Link).ok(), Some(DEFAULT_LIFESPAN_NANOS));
        assert_eq!(expires_in(&body("90m"), Kind::Code).ok(), Some(5_400_000_000_000));
        let reason = |e: Result<i64, ApiError>| e.err().and_then(|e| e.reason).unwrap_or_default();
        assert_eq!(
            reason(expires_in(&body("soon"), Kind::Link)),
            "Unable to parse \"expires_in\" whose format should match \"[0-9]+(ns|us|ms|s|m|h)\" but did not: soon"
        );
        assert_eq!(
            reason(expires_in(&body("-1h"), Kind::Link)),
            "Value from \"expires_in\" must be result to a future time: -1h"
        );
        assert_eq!(
            reason(expires_in(&body("-60m"), Kind::Code)),
            "Value from \"expires_in\" must result to a future time: -1h0m0s"
        );
        assert_eq!(
            reason(expires_in(&body("0"), Kind::Code)),
            "Value from \"expires_in\" must result to a future time: 0s"
        );
    }

    #[test]
    fn bodies_are_decoded_as_decoderx_decodes_them() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        );
        let reason = |r: Result<Body, ApiError>| r.err().and_then(|e| e.reason).unwrap_or_default();
        assert!(reason(decode(&headers, b"")).contains("\"Content-Length\" is zero"));
        assert!(reason(decode(&headers, br#"{"identity_id":"abc"}"#)).contains("incorrect UUID length 3"));
        assert!(reason(decode(&headers, br#"{"expires_in":5}"#)).contains("cannot unmarshal number"));
        let ok = decode(
            &headers,
            br#"{"identity_id":"6762b34f-4e26-4a8e-a032-35a1e58e1b1c","expires_in":"1h"}"#,
        );
        assert!(ok.is_ok_and(|b| b.expires_in == "1h" && !b.identity_id.is_nil()));
        let mut form = HeaderMap::new();
        form.insert(
            header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert!(reason(decode(&form, b"identity_id=x")).contains("only [application/json] are supported"));
    }

    #[test]
    fn secrets_are_random_and_of_kratos_length() {
        let a = random_string(32, ALPHANUM);
        let b = random_string(32, ALPHANUM);
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        let code = random_string(6, NUMERIC);
        assert!(code.len() == 6 && code.bytes().all(|c| c.is_ascii_digit()), "{code}");
    }
}
