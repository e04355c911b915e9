//! Keyset pagination as Kratos does it for identities:
//! - `page_size`: the first non-empty value, Go's `strconv.Atoi`, default 250;
//!   v25+ clamp it to 500 silently (`oryx/pagination/keysetpagination/
//!   paginator.go` `Paginator.Size`, `DefaultMaxSize`), v1.3 has no bound.
//! - `page_token`: the plain id of the last identity seen
//!   (`identity/identity.go` `Identity.PageToken`, a `keysetpagination.
//!   StringPageToken`), the nil UUID for the first page (`DefaultPageToken`).
//!   Nothing signs or encrypts it: any UUID is a valid token, and anything
//!   else is refused by `persistence/sql/identity/persister_identity.go`
//!   `ListIdentities` with `x.PageTokenInvalid`. The same in v1.3.1, v25.4.0
//!   and v26.2.0 (`x/pagination.go` `ParseKeysetOrPagePagination` passes
//!   `keysetpagination.NewStringPageToken` in all three).
//! - `Link`: ONE header field, `first` then `next` joined by `,` without a
//!   space, each a relative URL repeating every request parameter
//!   (`oryx/pagination/keysetpagination/header.go` `Header` and `header`).

use uuid::Uuid;

use super::errors::ApiError;
use super::version::KratosVersion;

pub const DEFAULT_PAGE_SIZE: usize = 250;

/// Kratos's text for a token that is not an id (`x/err.go` `PageTokenInvalid`).
pub const INVALID_TOKEN_REASON: &str = "The page token is invalid, do not craft your own page tokens";

/// Go's `strconv.Atoi` on `page_size`, with its error texts.
fn atoi(text: &str) -> Result<i64, ApiError> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request(format!(
            "strconv.Atoi: parsing {}: invalid syntax",
            go_quote(text)
        )));
    }
    text.parse::<i64>()
        .map_err(|_| ApiError::bad_request(format!("strconv.Atoi: parsing {}: value out of range", go_quote(text))))
}

/// `page_size` as `keysetpagination.Parse` reads it and `Paginator.Size`
/// bounds it for `version`. `raw` is the first non-empty value (`cmp.Or`).
pub fn parse_page_size(raw: Option<&str>, version: KratosVersion) -> Result<usize, ApiError> {
    let Some(text) = raw else {
        return Ok(DEFAULT_PAGE_SIZE);
    };
    let size = atoi(text)?;
    match version.max_page_size() {
        // v25+: `if size <= 0 { size = defaultSize }; if size > maxSize { size = maxSize }`.
        Some(max) => Ok(match usize::try_from(size) {
            Ok(0) | Err(_) => DEFAULT_PAGE_SIZE,
            Ok(n) => n.min(max),
        }),
        // ory/x v0.0.660: only 0 falls back to the default; a negative size
        // reaches SQL as a negative LIMIT, which the database refuses.
        None => match usize::try_from(size) {
            Ok(0) => Ok(DEFAULT_PAGE_SIZE),
            Ok(n) => Ok(n),
            Err(_) => Err(ApiError::internal(format!(
                "page_size {size}: Kratos v1.3 passes a negative page size to SQL as a negative LIMIT, which the database refuses."
            ))),
        },
    }
}

/// The token of the first page: the nil UUID.
pub fn first_token() -> String {
    Uuid::nil().to_string()
}

/// The token of the page after `last`: its id, as Go's `uuid.UUID.String` writes it.
pub fn encode_token(last: &Uuid) -> String {
    last.to_string()
}

/// Reads `page_token` (already query-decoded once) as Kratos does:
/// `keysetpagination.Parse` unescapes it a second time (`url.QueryUnescape`,
/// whose error is answered as a 400 with Go's text), then `ListIdentities`
/// wants a UUID (`uuid.FromString`).
#[cfg(test)]
pub fn decode_token(raw: &str) -> Result<Uuid, ApiError> {
    token_id(&unescape_token(raw)?)
}

/// The first half of [`decode_token`], done while the query is parsed.
pub fn unescape_token(raw: &str) -> Result<Vec<u8>, ApiError> {
    go_query_unescape(raw).map_err(ApiError::bad_request)
}

/// The second half of [`decode_token`], done when the page is read.
pub fn token_id(token: &[u8]) -> Result<Uuid, ApiError> {
    std::str::from_utf8(token)
        .ok()
        .and_then(|text| Uuid::try_parse(text).ok())
        .ok_or_else(|| ApiError::bad_request(INVALID_TOKEN_REASON))
}

/// Go's `url.QueryUnescape`: `+` is a space, `%XX` a byte; a broken escape is
/// `invalid URL escape "%.."`.
pub fn go_query_unescape(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (
                    bytes.get(i + 1).copied().and_then(hex),
                    bytes.get(i + 2).copied().and_then(hex),
                ) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        i += 3;
                    }
                    _ => {
                        let end = (i + 3).min(bytes.len());
                        let broken = String::from_utf8_lossy(&bytes[i..end]);
                        return Err(format!("invalid URL escape {}", go_quote(&broken)));
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    Ok(out)
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

/// One `<path?query>; rel="rel"` entry. `params` are the request's decoded
/// query pairs. Kratos repeats every one of them (`u.Query()`, then
/// `q.Set("page_token")`, `q.Set("page_size")`, `q.Encode()`: keys sorted,
/// each key's values in order, Go's query escaping). The signing pair
/// (`nonce`, `timestamp`) is left out here: it belongs to one request, and
/// the signing gateway the demo stands in for strips it before Kratos sees
/// the query, so Kratos never repeats it.
fn entry(path: &str, params: &[(String, String)], rel: &str, token: &str, size: usize) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "page_token" | "page_size" | "nonce" | "timestamp"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let size = size.to_string();
    pairs.push(("page_token", token));
    pairs.push(("page_size", &size));
    // A stable sort keeps each key's values in request order, as url.Values does.
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", go_query_escape(k), go_query_escape(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!("<{path}?{query}>; rel=\"{rel}\"")
}

/// The whole `Link` field: `first` (nil UUID), then `next` (the page's last
/// id) unless this is the last page, joined by `,`.
pub fn link_header(path: &str, params: &[(String, String)], next: Option<&Uuid>, size: usize) -> String {
    let mut link = entry(path, params, "first", &first_token(), size);
    if let Some(last) = next {
        link.push(',');
        link.push_str(&entry(path, params, "next", &encode_token(last), size));
    }
    link
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_defaults_clamps_and_refuses_non_integers() {
        let v26 = KratosVersion::V26;
        assert_eq!(parse_page_size(None, v26).ok(), Some(250));
        assert_eq!(parse_page_size(Some("2"), v26).ok(), Some(2));
        assert_eq!(parse_page_size(Some("0"), v26).ok(), Some(250));
        assert_eq!(parse_page_size(Some("-3"), v26).ok(), Some(250));
        assert_eq!(parse_page_size(Some("501"), v26).ok(), Some(500));
        assert_eq!(parse_page_size(Some("100000"), v26).ok(), Some(500));
        let Err(error) = parse_page_size(Some("ten"), v26) else {
            panic!("accepted ten")
        };
        assert_eq!(
            error.reason.as_deref(),
            Some(r#"strconv.Atoi: parsing "ten": invalid syntax"#)
        );
        assert!(parse_page_size(Some("2.5"), v26).is_err());
        assert!(parse_page_size(Some("99999999999999999999"), v26).is_err());
    }

    #[test]
    fn kratos_1_3_has_no_page_size_bound() {
        let v13 = KratosVersion::V1_3;
        assert_eq!(parse_page_size(Some("100000"), v13).ok(), Some(100_000));
        assert_eq!(parse_page_size(Some("0"), v13).ok(), Some(250));
        assert!(parse_page_size(Some("-1"), v13).is_err_and(|e| e.status.as_u16() == 500));
    }

    #[test]
    fn tokens_are_plain_ids_and_anything_else_is_refused() {
        let id = Uuid::from_u128(0x1234);
        assert_eq!(encode_token(&id), "00000000-0000-0000-0000-000000001234");
        assert_eq!(first_token(), "00000000-0000-0000-0000-000000000000");
        assert_eq!(decode_token(&encode_token(&id)).ok(), Some(id));
        // Any UUID is a token: Kratos does not refuse hand-made ones.
        assert_eq!(decode_token(&id.simple().to_string()).ok(), Some(id));
        for crafted in ["bm90IGEgdG9rZW4", "v1.abc", ""] {
            let Err(error) = decode_token(crafted) else {
                panic!("accepted {crafted:?}")
            };
            assert_eq!(error.reason.as_deref(), Some(INVALID_TOKEN_REASON));
        }
        let Err(error) = decode_token("%%%") else {
            panic!("accepted a broken escape")
        };
        assert_eq!(error.reason.as_deref(), Some(r#"invalid URL escape "%%%""#));
        let Err(error) = decode_token("ab%4") else {
            panic!("accepted a short escape")
        };
        assert_eq!(error.reason.as_deref(), Some(r#"invalid URL escape "%4""#));
        // The second unescape turns %2D into '-'.
        assert_eq!(decode_token("00000000%2D0000-0000-0000-000000001234").ok(), Some(id));
    }

    #[test]
    fn one_field_sorted_keys_no_signing_pair() {
        let params = vec![
            ("include_credential".to_owned(), "oidc".to_owned()),
            ("nonce".to_owned(), "n".to_owned()),
            ("page_size".to_owned(), "2".to_owned()),
            ("timestamp".to_owned(), "1".to_owned()),
            ("credentials_identifier".to_owned(), "a b@c".to_owned()),
        ];
        let last = Uuid::from_u128(7);
        assert_eq!(
            link_header("/admin/identities", &params, Some(&last), 2),
            "</admin/identities?credentials_identifier=a+b%40c&include_credential=oidc&page_size=2&page_token=00000000-0000-0000-0000-000000000000>; rel=\"first\",\
             </admin/identities?credentials_identifier=a+b%40c&include_credential=oidc&page_size=2&page_token=00000000-0000-0000-0000-000000000007>; rel=\"next\""
        );
        assert_eq!(
            link_header("/admin/identities", &[], None, 250),
            "</admin/identities?page_size=250&page_token=00000000-0000-0000-0000-000000000000>; rel=\"first\""
        );
    }
}
