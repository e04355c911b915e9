//! Yoti's answers to a refused attribute update in plain words, for support
//! staff who do not know Yoti's codes. Pure: reads an answer, does no I/O.

use serde_json::Value;

use crate::api::ApiError;

/// What Yoti's answer to a failed request means, in plain words, or `None`
/// when the request did not get an answer.
pub fn explain(err: &ApiError) -> Option<String> {
    let exchange = err.exchange()?;
    let body = exchange.body_json().unwrap_or(Value::Null);
    explain_yoti_error(exchange.status, &body)
}

/// The refusal `status` with `body` in plain words, for support staff: what
/// went wrong and what to check. Yoti's documented error codes (`code`, or
/// `error` in newer APIs) are explained one by one; anything else by its
/// HTTP status and the member Yoti names in `errors[].property`. `None` for a
/// success.
pub fn explain_yoti_error(status: u16, body: &Value) -> Option<String> {
    if status < 400 {
        return None;
    }
    let code = yoti_code(body).unwrap_or_default();
    let text = yoti_text(body);
    if let Some(words) = explain_code(&code) {
        return Some(words.to_owned());
    }
    Some(explain_status(status, &text).to_owned())
}

/// Yoti's error code: `code` (most APIs, and the SDKs' error model), `error`
/// (newer APIs), or the same inside an `error` object.
fn yoti_code(body: &Value) -> Option<String> {
    let direct = |v: &Value| {
        ["code", "error"]
            .iter()
            .find_map(|key| v.get(*key).and_then(Value::as_str).map(str::to_owned))
    };
    direct(body)
        .or_else(|| body.get("error").and_then(direct))
        .map(|code| code.trim().to_ascii_uppercase())
}

/// Everything Yoti said in words (message, error items, property names),
/// lower-cased, to look for hints in.
fn yoti_text(body: &Value) -> String {
    let mut parts = Vec::new();
    let mut collect = |v: &Value| {
        for key in ["message", "reason", "error_description"] {
            if let Some(text) = v.get(key).and_then(Value::as_str) {
                parts.push(text.to_owned());
            }
        }
        for key in ["errors", "details"] {
            match v.get(key) {
                Some(Value::Array(items)) => {
                    for item in items {
                        for field in ["property", "message"] {
                            if let Some(text) = item.get(field).and_then(Value::as_str) {
                                parts.push(text.to_owned());
                            }
                        }
                    }
                }
                Some(other @ Value::Object(_)) => parts.push(other.to_string()),
                _ => {}
            }
        }
    };
    collect(body);
    if let Some(inner) = body.get("error").filter(|e| e.is_object()) {
        collect(inner);
    }
    parts.join(" ").to_lowercase()
}

/// The codes Yoti documents for its signed APIs.
fn explain_code(code: &str) -> Option<&'static str> {
    Some(match code {
        "INVALID_DIGEST" => {
            "Yoti could not verify the request's signature: the profile's key_file is not the key of the \
             Yoti application with this sdk_id, or something between idcon and Yoti changed the request. \
             Check that key_file and sdk_id come from the same application in Yoti Hub. Nothing was changed."
        }
        "MISSING_DIGEST" => {
            "The request reached Yoti unsigned (no X-Yoti-Auth-Digest): the profile has no key_file, or a \
             proxy removed the header. Set key_file to the application's PEM key. Nothing was changed."
        }
        "INVALID_APP_ID" | "APP_NOT_FOUND" | "INVALID_X_YOTI_AUTH_ID" => {
            "Yoti knows no application with the SDK id this profile sends (X-Yoti-Auth-Id): check the \
             profile's sdk_id against Yoti Hub. Nothing was changed."
        }
        "MISSING_APP_ID" => {
            "The request carried no SDK id (X-Yoti-Auth-Id): set sdk_id in the profile. Nothing was changed."
        }
        "MISSING_NONCE" | "MISSING_TIMESTAMP" => {
            "The signed nonce and timestamp did not reach Yoti: something between idcon and Yoti drops the \
             query string. Point attribute_registry_url straight at Yoti. Nothing was changed."
        }
        "DISABLED_APP" | "DISABLED_APP_STATE" => {
            "The Yoti application with this sdk_id is disabled in Yoti Hub: no attribute can be updated until \
             it is enabled again. Nothing was changed."
        }
        "ORG_NOT_FOUND" => {
            "Yoti does not know the organisation this application belongs to: ask Yoti support. Nothing was \
             changed."
        }
        suspended if suspended.starts_with("SUSPENDED") => {
            "The Yoti application or its organisation is suspended: ask Yoti support. Nothing was changed."
        }
        _ => return None,
    })
}

/// The refusal by HTTP status, refined by what the message names.
fn explain_status(status: u16, text: &str) -> &'static str {
    let mentions = |words: &[&str]| words.iter().any(|w| text.contains(w));
    match status {
        400 | 422 => {
            if mentions(&["not valid json", "malformed", "cannot parse", "could not parse"]) {
                "Yoti could not read the request body as JSON. Nothing was changed."
            } else if mentions(&["issuance_token", "issuance token", "token"]) {
                "Yoti refused the issuance token as malformed: copy it again exactly as it was issued, with no \
                 spaces or line breaks. Nothing was changed."
            } else if mentions(&["name", "definition"]) {
                "Yoti refused the attribute name: it must be exactly the name the attribute was issued under \
                 with this token (e.g. com.example.someAttribute, same case). Nothing was changed."
            } else if mentions(&["value"]) {
                "Yoti refused the value: it must have the type and format the attribute's definition expects \
                 (usually a JSON string, in quotes). Nothing was changed."
            } else {
                "Yoti refused the request as invalid: check that the name is the attribute issued with this \
                 token and that the value has the format its definition expects. Nothing was changed."
            }
        }
        401 => {
            // A signature message may quote the signed query (with its
            // timestamp): look at the signature first.
            if mentions(&["digest"]) && mentions(&["missing", "not included", "absent"]) {
                explain_code("MISSING_DIGEST").unwrap_or_default()
            } else if mentions(&["signature", "digest"]) {
                "Yoti could not verify the request's signature: the profile's key_file must be the key of the \
                 Yoti application with this sdk_id. Nothing was changed."
            } else if mentions(&["timestamp", "clock", "expired request", "stale"]) {
                "Yoti refused the request's timestamp: this host's clock is more than a few minutes off. \
                 Fix the clock (NTP) and send again. Nothing was changed."
            } else if mentions(&["auth-id", "auth id", "sdk id", "sdk_id", "app id", "application"]) {
                "Yoti does not accept the SDK id this profile sends (X-Yoti-Auth-Id): check the profile's \
                 sdk_id against Yoti Hub. Nothing was changed."
            } else {
                "Yoti did not accept the request's signature: the profile's key_file and sdk_id must belong to \
                 the same Yoti application, and this host's clock must be right to within a few minutes. \
                 Nothing was changed."
            }
        }
        403 => {
            "Yoti accepted the signature but does not let this application do this: the application may be \
             disabled or suspended, or may not update this attribute (only the application that issued it \
             can). Nothing was changed."
        }
        404 => {
            if mentions(&["endpoint", "route", "path"]) {
                "There is no attribute registry at this address: check the profile's attribute_registry_url \
                 (e.g. https://api.yoti.com/api/v1/attribute-registry). Nothing was changed."
            } else {
                "Yoti knows no attribute issued with this issuance token: it may be mistyped, belong to another \
                 Yoti application (sdk_id), or have expired or been cancelled (an issuance not completed by \
                 its expiry date is cancelled). A new token comes from the user sharing again. Nothing was \
                 changed."
            }
        }
        405 => {
            "The server does not take a PUT at this address: the profile's attribute_registry_url points at \
             the wrong place (it should end in /api/v1/attribute-registry). Nothing was changed."
        }
        409 => {
            "Yoti reported a conflict: the attribute is being changed by another request. Wait a moment and \
             send again."
        }
        413 => "The value is larger than Yoti accepts. Nothing was changed.",
        415 => "Yoti did not accept the request's content type (it expects JSON). Nothing was changed.",
        429 => {
            "Yoti is limiting how many requests this application may send: wait a minute before sending \
             again. Nothing was changed."
        }
        500 | 504 => {
            "Yoti failed while handling the update; it may or may not have been applied. Sending the same \
             value again is safe; if it keeps failing, ask Yoti support with the request id."
        }
        502 | 503 => {
            "Yoti (or a gateway in front of it) is unavailable right now; the update was not applied. Send \
             again later."
        }
        s if s >= 500 => {
            "Yoti failed while handling the update; it may or may not have been applied. Sending the same \
             value again is safe."
        }
        _ => "Yoti refused the update; the server's message says why. Nothing was changed.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documented_codes_are_explained_one_by_one() {
        let cases = [
            (401, json!({"code": "INVALID_DIGEST", "message": "x"}), "signature"),
            (
                401,
                json!({"id": "r1", "status": 401, "error": "MISSING_DIGEST", "message": "x"}),
                "unsigned",
            ),
            (401, json!({"code": "MISSING_APP_ID"}), "no SDK id"),
            (404, json!({"code": "APP_NOT_FOUND"}), "sdk_id"),
            (403, json!({"error": "DISABLED_APP"}), "disabled"),
            (401, json!({"code": "MISSING_TIMESTAMP"}), "query string"),
        ];
        for (status, body, fragment) in cases {
            let words = explain_yoti_error(status, &body).unwrap_or_default();
            assert!(words.contains(fragment), "{body}: {words}");
        }
    }

    #[test]
    fn other_refusals_are_explained_by_status_and_what_they_name() {
        let unknown_token = json!({"code": "NOT_FOUND", "message": "No attribute was issued with this issuance token"});
        let words = explain_yoti_error(404, &unknown_token).unwrap_or_default();
        assert!(words.contains("issuance token") && words.contains("expired"), "{words}");

        let wrong_url = json!({"code": "NOT_FOUND", "message": "No attribute registry endpoint at /x"});
        assert!(explain_yoti_error(404, &wrong_url).is_some_and(|w| w.contains("attribute_registry_url")));

        let bad_name = json!({"code": "INVALID_REQUEST", "message": "invalid", "errors": [{"property": "name", "message": "not allowed"}]});
        assert!(explain_yoti_error(400, &bad_name).is_some_and(|w| w.contains("attribute name")));
        let bad_value = json!({"code": "INVALID_REQUEST", "errors": [{"property": "value", "message": "bad"}]});
        assert!(explain_yoti_error(400, &bad_value).is_some_and(|w| w.contains("value")));

        let clock = json!({"code": "UNAUTHORIZED", "message": "The request timestamp 1 is more than 5 minutes away"});
        assert!(explain_yoti_error(401, &clock).is_some_and(|w| w.contains("clock")));
        assert!(explain_yoti_error(429, &Value::Null).is_some_and(|w| w.contains("wait")));
        assert!(explain_yoti_error(503, &Value::Null).is_some_and(|w| w.contains("not applied")));
        assert!(explain_yoti_error(500, &json!("oops")).is_some_and(|w| w.contains("may or may not")));
        assert_eq!(explain_yoti_error(200, &json!({"code": "INVALID_DIGEST"})), None);
    }
}
