//! Keyset pagination as Kratos does it: `page_size` (default 250, at most 500,
//! larger silently clamped), an opaque `page_token`, and an RFC 8288 `Link`
//! header with `rel="first"` and, unless this is the last page, `rel="next"`.
//! The links are built like ory/x's `keysetpagination.Header`: the request's
//! path and query with `page_token` and `page_size` set, keys sorted, Go's
//! query escaping.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::errors::ApiError;

pub const DEFAULT_PAGE_SIZE: usize = 250;
pub const MAX_PAGE_SIZE: usize = 500;

/// Kratos's text for a token it did not issue.
pub const INVALID_TOKEN_REASON: &str = "The page token is invalid, do not craft your own page tokens";

/// Binds tokens to this server so a hand-made token is refused.
const TOKEN_KEY: &[u8] = b"idcon demo server page token v1";

/// `page_size` as Kratos reads it: Go's `strconv.Atoi`, then clamped.
pub fn parse_page_size(raw: Option<&str>) -> Result<usize, ApiError> {
    let Some(text) = raw else {
        return Ok(DEFAULT_PAGE_SIZE);
    };
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request(format!(
            "strconv.Atoi: parsing {}: invalid syntax",
            go_quote(text)
        )));
    }
    let Ok(size) = text.parse::<i64>() else {
        return Err(ApiError::bad_request(format!(
            "strconv.Atoi: parsing {}: value out of range",
            go_quote(text)
        )));
    };
    Ok(match size {
        ..=0 => DEFAULT_PAGE_SIZE,
        1..=500 => size as usize,
        _ => MAX_PAGE_SIZE,
    })
}

/// A string quoted the way Go's `%q` / `strconv.Quote` prints it, for the
/// texts Kratos copies from Go errors.
pub fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn tag(id: &Uuid) -> String {
    let mut hasher = Sha256::new();
    hasher.update(TOKEN_KEY);
    hasher.update(id.as_bytes());
    let digest = hasher.finalize();
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// The token for "the page after `id`"; the nil id is the first page.
pub fn encode_token(after: &Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1.{}.{}", after.simple(), tag(after)))
}

/// Reads a token this server issued; anything else is Kratos's 400.
pub fn decode_token(token: &str) -> Result<Uuid, ApiError> {
    let invalid = || ApiError::bad_request(INVALID_TOKEN_REASON);
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.split('.');
    let (Some("v1"), Some(id), Some(check), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let id = Uuid::try_parse(id).map_err(|_| invalid())?;
    if tag(&id) != check {
        return Err(invalid());
    }
    Ok(id)
}

/// Go's `url.QueryEscape`.
pub fn go_query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char);
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// One `Link` header value: `<path?query>; rel="rel"`. `params` are the
/// request's decoded query pairs; the signing pair (`nonce`, `timestamp`) is
/// left out, since it belongs to one request.
pub fn link(path: &str, params: &[(String, String)], rel: &str, token: &str, size: usize) -> String {
    let mut pairs: Vec<(&str, String)> = params
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "page_token" | "page_size" | "nonce" | "timestamp"))
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    pairs.push(("page_token", token.to_owned()));
    pairs.push(("page_size", size.to_string()));
    // url.Values.Encode sorts by key and keeps each key's values in order.
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", go_query_escape(k), go_query_escape(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("<{path}?{query}>; rel=\"{rel}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_defaults_clamps_and_refuses_non_integers() {
        assert_eq!(parse_page_size(None).ok(), Some(250));
        assert_eq!(parse_page_size(Some("2")).ok(), Some(2));
        assert_eq!(parse_page_size(Some("501")).ok(), Some(500));
        assert_eq!(parse_page_size(Some("100000")).ok(), Some(500));
        let Err(error) = parse_page_size(Some("ten")) else {
            panic!("accepted ten")
        };
        assert_eq!(
            error.reason.as_deref(),
            Some(r#"strconv.Atoi: parsing "ten": invalid syntax"#)
        );
        assert!(parse_page_size(Some("2.5")).is_err());
        assert!(parse_page_size(Some("99999999999999999999")).is_err());
    }

    #[test]
    fn tokens_round_trip_and_crafted_ones_are_refused() {
        let id = Uuid::from_u128(0x1234);
        assert_eq!(decode_token(&encode_token(&id)).ok(), Some(id));
        for crafted in [
            "not-base64!!",
            &URL_SAFE_NO_PAD.encode(format!("v1.{}.000000000000", id.simple())),
            &id.to_string(),
            "",
        ] {
            let Err(error) = decode_token(crafted) else {
                panic!("accepted {crafted:?}")
            };
            assert_eq!(error.reason.as_deref(), Some(INVALID_TOKEN_REASON));
        }
    }

    #[test]
    fn links_sort_keys_and_drop_the_signing_pair() {
        let params = vec![
            ("include_credential".to_owned(), "oidc".to_owned()),
            ("nonce".to_owned(), "n".to_owned()),
            ("page_size".to_owned(), "2".to_owned()),
            ("timestamp".to_owned(), "1".to_owned()),
            ("credentials_identifier".to_owned(), "a b@c".to_owned()),
        ];
        assert_eq!(
            link("/admin/identities", &params, "next", "tok", 2),
            "</admin/identities?credentials_identifier=a+b%40c&include_credential=oidc&page_size=2&page_token=tok>; rel=\"next\""
        );
    }
}
