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

/// Secrets shorter than this (in characters) are not searched for in what
/// a server says: replacing a two- or three-letter string everywhere would
/// mangle every answer, and such a secret is guessed anyway. Answers are
/// scrubbed as JSON (member names and string values) when they are JSON, so
/// no secret, however short or odd, can break their syntax.
pub const SHORTEST_SCRUBBED: usize = 4;

/// A static header value shorter than this is not scrubbed from an answer
/// whose body and headers are data (status below 400: identities, `Link`,
/// `Location`). A key is long; a short value (`X-Team = "support"`) is a
/// label that identity data may hold too (`support@example.com`), and masking
/// it there would change the identity the next write is built from. Error
/// answers are scrubbed of every static header value.
pub const SHORTEST_SCRUBBED_HEADER_IN_DATA: usize = 16;

/// What a secret of a request is; decides where it may stand in an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// A value at a secret member of the body (password, hash, OIDC or
    /// issuance token), or the body's base64 (servers quote what was signed).
    Body,
    /// The `X-Yoti-Auth-Digest` value.
    Signature,
    /// The bearer token, alone and as the `Authorization` value.
    Bearer,
    /// A value of the profile's static headers.
    StaticHeader,
}

#[derive(Clone)]
struct Secret {
    kind: SecretKind,
    chars: usize,
    /// Where, in a successful answer, the value is the identity's own data
    /// and stays: the pointers at which an identity write's body sent it
    /// (the issuance token in `metadata_admin`), never under `credentials`.
    kept_at: Vec<String>,
}

/// The secrets one request carried, and the one place that scrubs them from
/// everything its answer says ([`Secrets::scrub_answer`]) and from error
/// texts ([`Secrets::scrub_text`]). Each secret is searched for in every
/// spelling a server may quote it in: as sent, JSON-escaped (also with `\/`,
/// twice-escaped, with non-ASCII as `\uXXXX`) and as Go's `encoding/json`
/// escapes it (`&`, `<`, `>` as `\u0026`, `\u003c`, `\u003e`: Kratos is Go).
/// `Debug` tells how many there are, never what they are.
#[derive(Clone, Default)]
pub struct Secrets {
    secrets: Vec<Secret>,
    /// (spelling, index into `secrets`), longest first, so a secret inside
    /// another (the bearer token inside `Bearer <token>`) never leaves a part.
    spellings: Vec<(String, usize)>,
    /// The raw values, to tell a kept member from a quoted one.
    values: Vec<String>,
    /// The body holds a secret, however short (see [`Secrets::in_body`]).
    body_secret: bool,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} values)", self.values.len())
    }
}

impl Secrets {
    /// Adds one secret; a value shorter than [`SHORTEST_SCRUBBED`] is left
    /// out (see there), one already known only gains `kept_at`.
    pub fn add(&mut self, value: &str, kind: SecretKind, kept_at: Option<&str>) {
        let chars = value.chars().count();
        if chars < SHORTEST_SCRUBBED {
            return;
        }
        if let Some(index) = self.values.iter().position(|known| known == value) {
            if let Some(pointer) = kept_at {
                self.secrets[index].kept_at.push(pointer.to_owned());
            }
            return;
        }
        let index = self.secrets.len();
        self.secrets.push(Secret {
            kind,
            chars,
            kept_at: kept_at.into_iter().map(str::to_owned).collect(),
        });
        self.values.push(value.to_owned());
        for spelling in spellings(value) {
            if !self.spellings.iter().any(|(known, _)| *known == spelling) {
                self.spellings.push((spelling, index));
            }
        }
        self.spellings
            .sort_by_key(|(spelling, _)| std::cmp::Reverse(spelling.len()));
    }

    /// Adds every secret of a JSON body ([`super::models::secret_strings`];
    /// `token_pointer` is the profile's `issuance_token_pointer`) and, when
    /// there is one, the body's base64, which is the signed message's last
    /// part. `identity_write`: the answer is the identity, which holds the
    /// body's members where they were sent; those outside `credentials` stay
    /// there (see [`Secrets::scrub_answer`]).
    pub fn add_body(&mut self, body: &[u8], token_pointer: Option<&str>, identity_write: bool) {
        let Ok(json) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        let found = super::models::secret_strings(&json, token_pointer);
        self.body_secret |= !found.is_empty();
        for (pointer, value) in &found {
            let in_credentials = pointer == "/credentials" || pointer.starts_with("/credentials/");
            let kept_at = (identity_write && !in_credentials).then_some(pointer.as_str());
            self.add(value, SecretKind::Body, kept_at);
        }
        if !found.is_empty() {
            use base64::Engine as _;
            let encoded = base64::engine::general_purpose::STANDARD.encode(body);
            self.add(&encoded, SecretKind::Body, None);
        }
    }

    /// True when the request carried no secret worth scrubbing.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// True when the body carried a secret, also one too short to scrub (a
    /// dry run then hides the body's secrets and the signature).
    pub fn in_body(&self) -> bool {
        self.body_secret
    }

    /// `text` with every secret, in every spelling, replaced by
    /// [`super::models::REDACTED`]: for error texts (transport failures,
    /// anything that quotes the request).
    pub fn scrub_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.scrub_str_as(text, |_| true, super::models::REDACTED)
    }

    /// [`Secrets::scrub_text`] with another stand-in (the attribute form
    /// shows a token as its mask, to tell two tokens apart).
    pub fn scrub_text_as<'a>(&self, text: &'a str, stand_in: &str) -> Cow<'a, str> {
        self.scrub_str_as(text, |_| true, stand_in)
    }

    /// [`Secrets::scrub_text_as`] for bytes that may not be UTF-8.
    pub fn scrub_bytes_as(&self, bytes: &[u8], stand_in: &str) -> Vec<u8> {
        self.scrub_bytes(bytes, &|_| true, stand_in)
    }

    /// The answer's headers and body, scrubbed: an error answer (status 400
    /// and up) of every secret; any other answer, whose body and headers are
    /// data, of every secret but two kinds of data: the identity's own value
    /// at a member an identity write sent it in, and a static header value
    /// shorter than [`SHORTEST_SCRUBBED_HEADER_IN_DATA`]. A JSON body is
    /// scrubbed member by member (names and strings) and written again only
    /// when something was replaced; any other body as bytes.
    pub fn scrub_answer(
        &self,
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> (Vec<(String, String)>, Vec<u8>) {
        if self.is_empty() {
            return (headers, body);
        }
        let data = status < 400;
        let applies = |secret: &Secret| {
            !(data && secret.kind == SecretKind::StaticHeader && secret.chars < SHORTEST_SCRUBBED_HEADER_IN_DATA)
        };
        let headers = headers
            .into_iter()
            .map(|(name, value)| {
                let value = self.scrub_str(&value, applies).into_owned();
                (name, value)
            })
            .collect();
        // The common case, without parsing: no `\u` or `\/` escape, so every
        // string is spelled one way, and none of the spellings is there.
        if let Ok(text) = std::str::from_utf8(&body)
            && !text.contains("\\u")
            && !text.contains("\\/")
            && !self
                .spellings
                .iter()
                .any(|(spelling, index)| applies(&self.secrets[*index]) && text.contains(spelling.as_str()))
        {
            return (headers, body);
        }
        let body = match serde_json::from_slice::<Value>(&body) {
            Ok(mut json) => {
                let mut changed = false;
                self.scrub_json("", &mut json, data, &applies, &mut changed);
                if changed {
                    serde_json::to_vec(&json).unwrap_or(body)
                } else {
                    body
                }
            }
            Err(_) => self.scrub_bytes(&body, &applies, super::models::REDACTED),
        };
        (headers, body)
    }

    fn scrub_str<'a>(&self, text: &'a str, applies: impl Fn(&Secret) -> bool) -> Cow<'a, str> {
        self.scrub_str_as(text, applies, super::models::REDACTED)
    }

    fn scrub_str_as<'a>(&self, text: &'a str, applies: impl Fn(&Secret) -> bool, stand_in: &str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for (spelling, index) in &self.spellings {
            if applies(&self.secrets[*index]) && out.contains(spelling.as_str()) {
                out = Cow::Owned(out.replace(spelling.as_str(), stand_in));
            }
        }
        out
    }

    fn scrub_bytes(&self, bytes: &[u8], applies: &dyn Fn(&Secret) -> bool, stand_in: &str) -> Vec<u8> {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return self.scrub_str_as(text, applies, stand_in).into_owned().into_bytes();
        }
        let mut out = bytes.to_vec();
        for (spelling, index) in &self.spellings {
            if applies(&self.secrets[*index]) {
                out = replace_bytes(&out, spelling.as_bytes(), stand_in.as_bytes());
            }
        }
        out
    }

    fn scrub_json(
        &self,
        pointer: &str,
        value: &mut Value,
        data: bool,
        applies: &dyn Fn(&Secret) -> bool,
        changed: &mut bool,
    ) {
        match value {
            Value::String(text) => {
                let kept = data
                    && self
                        .values
                        .iter()
                        .position(|known| known == text)
                        .is_some_and(|index| self.secrets[index].kept_at.iter().any(|p| p == pointer));
                if kept {
                    return;
                }
                if let Cow::Owned(scrubbed) = self.scrub_str(text, applies) {
                    *text = scrubbed;
                    *changed = true;
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter_mut().enumerate() {
                    self.scrub_json(&format!("{pointer}/{index}"), item, data, applies, changed);
                }
            }
            Value::Object(map) => {
                let needs_renaming = map
                    .keys()
                    .any(|key| matches!(self.scrub_str(key, applies), Cow::Owned(_)));
                if needs_renaming {
                    *map = std::mem::take(map)
                        .into_iter()
                        .map(|(key, child)| (self.scrub_str(&key, applies).into_owned(), child))
                        .collect();
                    *changed = true;
                }
                for (key, child) in map.iter_mut() {
                    let child_pointer = format!("{pointer}/{}", crate::diff::escape_token(key));
                    self.scrub_json(&child_pointer, child, data, applies, changed);
                }
            }
            _ => {}
        }
    }
}

/// Every spelling of `secret` a server may quote: as sent, JSON-escaped,
/// JSON-escaped with `\/`, as Go escapes it, with non-ASCII as `\u` escapes
/// (lower and upper case hex), and JSON-escaped twice (a body quoted inside
/// a string of a JSON answer that is itself quoted).
fn spellings(secret: &str) -> Vec<String> {
    let escaped = json_escaped(secret);
    let go = escaped
        .replace('&', "\\u0026")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    let ascii = |upper: bool| {
        let mut out = String::with_capacity(escaped.len());
        for c in escaped.chars() {
            if c.is_ascii() {
                out.push(c);
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    if upper {
                        out.push_str(&format!("\\u{unit:04X}"));
                    } else {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
            }
        }
        out
    };
    let mut all = vec![
        secret.to_owned(),
        escaped.replace('/', "\\/"),
        ascii(false),
        ascii(true),
        json_escaped(&escaped),
        json_escaped(&go),
        go,
        escaped,
    ];
    all.sort();
    all.dedup();
    all
}

/// `text` as it stands between the quotes of a JSON string.
fn json_escaped(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(text)
        .to_owned()
}

fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
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

    fn header_secrets() -> Secrets {
        let mut secrets = Secrets::default();
        secrets.add("support", SecretKind::StaticHeader, None);
        secrets.add("k3y-0123456789abcdef", SecretKind::StaticHeader, None);
        secrets.add("abc", SecretKind::Bearer, None);
        secrets
    }

    #[test]
    fn every_spelling_of_a_secret_is_scrubbed_and_json_stays_json() {
        let mut secrets = Secrets::default();
        secrets.add("p\"w/&<é>x", SecretKind::Body, None);
        let quoted = [
            "p\"w/&<é>x",
            "p\\\"w/&<é>x",
            "p\\\"w\\/&<é>x",
            "p\\\"w/\\u0026\\u003cé\\u003ex",
            "p\\\"w/&<\\u00e9>x",
            "p\\\"w/&<\\u00E9>x",
            "p\\\\\\\"w/&<é>x",
        ];
        for text in quoted {
            assert_eq!(secrets.scrub_text(&format!("[{text}]")), "[<redacted>]", "{text}");
        }
        // JSON answers are scrubbed member by member, names too.
        let body =
            serde_json::to_vec(&serde_json::json!({"reason": "sent p\"w/&<é>x", "p\"w/&<é>x": 1})).unwrap_or_default();
        let (_, scrubbed) = secrets.scrub_answer(400, Vec::new(), body);
        let json: Value = serde_json::from_slice(&scrubbed).unwrap_or(Value::Null);
        assert_eq!(json, serde_json::json!({"reason": "sent <redacted>", "<redacted>": 1}));
        // Bytes that are not UTF-8 are scrubbed as bytes.
        let bytes = [b"\xff ".as_slice(), "p\"w/&<é>x".as_bytes()].concat();
        let (_, scrubbed) = secrets.scrub_answer(502, Vec::new(), bytes);
        assert_eq!(scrubbed, b"\xff <redacted>");
    }

    #[test]
    fn a_secret_spelled_with_any_escape_is_found() {
        let mut secrets = Secrets::default();
        secrets.add("Hunter2-x/y", SecretKind::Body, None);
        for body in [
            r#"{"r":"\u0048unter2-x/y"}"#,
            r#"{"r":"Hunter2-x\/y"}"#,
            r#"{"r":"nothing", "k": "Hunter2-x/y"}"#,
        ] {
            let (_, scrubbed) = secrets.scrub_answer(200, Vec::new(), body.as_bytes().to_vec());
            let json: Value = serde_json::from_slice(&scrubbed).unwrap_or(Value::Null);
            assert!(!json.to_string().contains("unter2"), "{body}: {json}");
        }
        let plain = br#"{"r":"nothing here"}"#.to_vec();
        assert_eq!(
            secrets.scrub_answer(400, Vec::new(), plain.clone()).1,
            plain,
            "untouched bytes"
        );
    }

    #[test]
    fn short_values_and_data_are_left_alone() {
        let secrets = header_secrets();
        let headers = vec![(
            "Link".to_owned(),
            "</x?credentials_identifier=support%40x.com>".to_owned(),
        )];
        let body = br#"{"traits":{"email":"support@x.com","key":"k3y-0123456789abcdef"},"abc":"abc"}"#.to_vec();
        let (kept_headers, data) = secrets.scrub_answer(200, headers.clone(), body.clone());
        assert_eq!(kept_headers, headers, "a short static value is no key: the Link stays");
        let json: Value = serde_json::from_slice(&data).unwrap_or(Value::Null);
        assert_eq!(json["traits"]["email"], "support@x.com");
        assert_eq!(json["traits"]["key"], "<redacted>", "a long one is a key");
        assert_eq!(json["abc"], "abc", "three characters are too short to scrub");
        let (error_headers, error) = secrets.scrub_answer(400, headers, body);
        assert!(error_headers[0].1.contains("<redacted>%40x.com"), "{error_headers:?}");
        assert!(String::from_utf8_lossy(&error).contains("<redacted>@x.com"));
        assert_eq!(format!("{secrets:?}"), "Secrets(2 values)");
    }

    #[test]
    fn an_identity_keeps_its_own_token_only_where_it_was_sent() {
        let mut secrets = Secrets::default();
        let body = br#"{"metadata_admin":{"yoti":{"issuance_token":"tok-0123456789"}},"credentials":{"password":{"config":{"password":"pw-0123456789"}}}}"#;
        secrets.add_body(body, Some("/metadata_admin/yoti/issuance_token"), true);
        assert!(secrets.in_body());
        let answer = br#"{"metadata_admin":{"yoti":{"issuance_token":"tok-0123456789"}},"traits":{"t":"tok-0123456789","p":"pw-0123456789"},"credentials":{"password":{"config":{"password":"pw-0123456789"}}}}"#;
        let (_, ok) = secrets.scrub_answer(200, Vec::new(), answer.to_vec());
        let json: Value = serde_json::from_slice(&ok).unwrap_or(Value::Null);
        assert_eq!(
            json.pointer("/metadata_admin/yoti/issuance_token"),
            Some(&Value::from("tok-0123456789"))
        );
        assert_eq!(json.pointer("/traits/t"), Some(&Value::from("<redacted>")));
        assert_eq!(json.pointer("/traits/p"), Some(&Value::from("<redacted>")));
        assert_eq!(
            json.pointer("/credentials/password/config/password"),
            Some(&Value::from("<redacted>"))
        );
        let (_, error) = secrets.scrub_answer(400, Vec::new(), answer.to_vec());
        assert!(!String::from_utf8_lossy(&error).contains("tok-0123456789"));
    }

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
