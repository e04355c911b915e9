//! Error answers, in the two shapes clients of the real services parse:
//! Kratos's `{"error": {"code", "status", "request", "reason", "message"}}`
//! (texts from herodot and Kratos), and a Yoti-style `{"code", "message"}` for
//! the attribute registry.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

tokio::task_local! {
    /// The `X-Request-ID` of the request being answered, echoed as `error.request`.
    pub(crate) static REQUEST_ID: Option<String>;
}

fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok().flatten()
}

/// Herodot's default messages, which Kratos puts in `error.message`.
pub const MSG_BAD_REQUEST: &str = "The request was malformed or contained invalid parameters";
pub const MSG_UNAUTHORIZED: &str = "The request could not be authorized";
pub const MSG_NOT_FOUND: &str = "The requested resource could not be found";
pub const MSG_INTERNAL: &str = "An internal server error occurred, please contact the system administrator";
/// sqlcon's messages for a missing row and a unique violation.
pub const MSG_NO_ROWS: &str = "Unable to locate the resource";
pub const MSG_UNIQUE_VIOLATION: &str =
    "Unable to insert or update resource because a resource with that value exists already";

/// An error in Kratos's envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    /// Herodot's text for the status (`error.message`).
    pub message: &'static str,
    pub reason: Option<String>,
    pub details: Option<Box<Map<String, Value>>>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: &'static str) -> Self {
        Self {
            status,
            message,
            reason: None,
            details: None,
        }
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn with_detail(mut self, key: &str, value: Value) -> Self {
        self.details
            .get_or_insert_with(Default::default)
            .insert(key.to_owned(), value);
        self
    }

    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, MSG_BAD_REQUEST).with_reason(reason)
    }

    pub fn unauthorized(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, MSG_UNAUTHORIZED).with_reason(reason)
    }

    /// A missing identity, as Kratos answers it (sqlcon's no-rows error).
    pub fn no_rows() -> Self {
        Self::new(StatusCode::NOT_FOUND, MSG_NO_ROWS)
    }

    pub fn not_found(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, MSG_NOT_FOUND).with_reason(reason)
    }

    pub fn conflict(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, MSG_UNIQUE_VIOLATION).with_reason(reason)
    }

    pub fn internal(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, MSG_INTERNAL).with_reason(reason)
    }

    /// The envelope, with `request` filled from the current request's X-Request-ID.
    pub fn envelope(&self) -> Value {
        let mut error = Map::new();
        error.insert("code".into(), json!(self.status.as_u16()));
        error.insert(
            "status".into(),
            json!(self.status.canonical_reason().unwrap_or("Unknown")),
        );
        if let Some(request) = current_request_id() {
            error.insert("request".into(), json!(request));
        }
        if let Some(reason) = &self.reason {
            error.insert("reason".into(), json!(reason));
        }
        if let Some(details) = &self.details {
            error.insert("details".into(), Value::Object((**details).clone()));
        }
        error.insert("message".into(), json!(self.message));
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status, &self.envelope())
    }
}

/// An error of the attribute registry, in the flat shape Yoti's APIs use.
#[derive(Debug, Clone, PartialEq)]
pub struct YotiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl YotiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// The same failure the identities API reports in Kratos's envelope.
    pub fn from_api(error: &ApiError) -> Self {
        let code = match error.status {
            StatusCode::UNAUTHORIZED => "UNAUTHORIZED",
            StatusCode::BAD_REQUEST => "INVALID_REQUEST",
            StatusCode::NOT_FOUND => "NOT_FOUND",
            _ => "INTERNAL_SERVER_ERROR",
        };
        Self::new(
            error.status,
            code,
            error.reason.clone().unwrap_or_else(|| error.message.to_owned()),
        )
    }
}

impl IntoResponse for YotiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "code": self.code, "message": self.message });
        if let Some(request) = current_request_id() {
            body["request_id"] = json!(request);
        }
        json_response(self.status, &body)
    }
}

/// A JSON body with the right content type; serialising a `Value` cannot fail.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    bytes_response(status, body.to_string().into_bytes())
}

pub fn bytes_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn envelope_echoes_the_request_id_inside_its_scope() {
        let error = ApiError::bad_request("bad page size");
        let with_id = REQUEST_ID
            .scope(Some("req-42".into()), async { error.envelope() })
            .await;
        assert_eq!(with_id["error"]["request"], "req-42");
        assert_eq!(with_id["error"]["code"], 400);
        assert_eq!(with_id["error"]["status"], "Bad Request");
        assert_eq!(with_id["error"]["message"], MSG_BAD_REQUEST);
        assert_eq!(with_id["error"]["reason"], "bad page size");
        assert!(error.envelope()["error"].get("request").is_none());
    }
}
