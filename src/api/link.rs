//! The RFC 8288 `Link` header, which Kratos uses for paging (`rel="next"`).
//!
//! Only the *query* of a next link is used. Behind a gateway the link's path
//! is Kratos's internal one, and another Kratos-like server may put any host
//! in it; the client rebuilds the URL on the profile's own base URL and
//! identities path, so a link can never send a signed request elsewhere.
//!
//! Hand-written (RFC 8288's grammar is small): a malformed piece must be
//! skipped without losing the links around it, and only a next link's query
//! is ever used, so a crate's parsed URLs would be thrown away.

use url::Url;

use super::models::PageCursor;

/// Query parameters that belong to one request and must not be carried over
/// from a link: the signing values (fresh for every request) and the secrets
/// switch idcon never sends.
const NOT_CARRIED: &[&str] = &["nonce", "timestamp", "include_credential"];

/// One link-value: its target as written, and its parameters in order
/// (names lower-cased, values unquoted; a parameter without `=` has "").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub target: String,
    pub params: Vec<(String, String)>,
}

impl Link {
    /// The relation types of this link (the first `rel` parameter, split on
    /// white space, lower-cased; later `rel` parameters are ignored, as RFC
    /// 8288 says).
    pub fn rels(&self) -> Vec<String> {
        self.params
            .iter()
            .find(|(name, _)| name == "rel")
            .map(|(_, value)| value.split_ascii_whitespace().map(str::to_ascii_lowercase).collect())
            .unwrap_or_default()
    }

    pub fn has_rel(&self, rel: &str) -> bool {
        self.rels().iter().any(|r| r.eq_ignore_ascii_case(rel))
    }
}

/// Parses every link-value in one or more `Link` header values. Malformed
/// pieces are skipped; well-formed links around them are still found.
pub fn parse_links<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Link> {
    let mut links = Vec::new();
    for value in values {
        parse_into(value, &mut links);
    }
    links
}

/// The target of the first link with `rel="next"`, if any.
pub fn next_target<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<String> {
    parse_links(values)
        .into_iter()
        .find(|link| link.has_rel("next"))
        .map(|link| link.target)
}

/// The query of a next link, decoded, without the per-request parameters.
/// The target is resolved against `request_url` first, so relative links
/// (`?page_token=x`, `/admin/identities?...`) work like absolute ones.
pub fn cursor_from_target(target: &str, request_url: &Url) -> Result<PageCursor, String> {
    let resolved = request_url
        .join(target.trim())
        .map_err(|err| format!("the server's next-page link {target:?} is not a valid URL: {err}"))?;
    Ok(carried_query(&resolved))
}

/// The query of `url`, decoded, without the per-request parameters (signing
/// values, the secrets switch). Used for next links and for redirect targets,
/// whose query a server may have copied from the signed request.
pub fn carried_query(url: &Url) -> Vec<(String, String)> {
    url.query_pairs()
        .filter(|(name, _)| !NOT_CARRIED.contains(&name.as_ref()))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

fn parse_into(text: &str, links: &mut Vec<Link>) {
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return;
        }
        let Some(after_open) = rest.strip_prefix('<') else {
            // Not a link-value: skip to the next top-level comma.
            rest = skip_to_comma(rest);
            continue;
        };
        let Some(close) = after_open.find('>') else {
            return;
        };
        let target = after_open[..close].trim().to_owned();
        rest = &after_open[close + 1..];
        let mut params = Vec::new();
        loop {
            rest = rest.trim_start();
            if let Some(after) = rest.strip_prefix(';') {
                let (param, after_param) = parse_param(after);
                if let Some(param) = param {
                    params.push(param);
                }
                rest = after_param;
            } else {
                if !rest.is_empty() && !rest.starts_with(',') {
                    // Junk after the link: ignore it up to the next link-value.
                    rest = skip_to_comma(rest);
                }
                break;
            }
        }
        links.push(Link { target, params });
    }
}

/// Parses `name[=value]` after a `;`; returns it and the text after it.
fn parse_param(text: &str) -> (Option<(String, String)>, &str) {
    let text = text.trim_start();
    let name_end = text
        .find(|c: char| c == '=' || c == ';' || c == ',' || c.is_ascii_whitespace())
        .unwrap_or(text.len());
    let name = text[..name_end].to_ascii_lowercase();
    let mut rest = text[name_end..].trim_start();
    let mut value = String::new();
    if let Some(after_eq) = rest.strip_prefix('=') {
        let after_eq = after_eq.trim_start();
        if let Some(quoted) = after_eq.strip_prefix('"') {
            let (unquoted, after) = parse_quoted(quoted);
            value = unquoted;
            rest = after;
        } else {
            let end = after_eq
                .find(|c: char| c == ';' || c == ',' || c.is_ascii_whitespace())
                .unwrap_or(after_eq.len());
            value = after_eq[..end].to_owned();
            rest = &after_eq[end..];
        }
    }
    if name.is_empty() {
        (None, rest)
    } else {
        (Some((name, value)), rest)
    }
}

/// Reads a quoted-string body (after the opening quote), honouring `\"`.
fn parse_quoted(text: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            }
            '"' => return (value, &text[i + 1..]),
            c => value.push(c),
        }
    }
    // Unterminated: take what there is.
    (value, "")
}

/// Skips to the next comma that is not inside `<...>` or a quoted string.
fn skip_to_comma(text: &str) -> &str {
    let mut in_quotes = false;
    let mut in_angle = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' if !in_angle => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ',' if !in_quotes && !in_angle => return &text[i..],
            _ => {}
        }
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://idcon.example/gw/admin/identities?page_size=2&nonce=n&timestamp=1").unwrap()
    }

    #[test]
    fn kratos_style_first_and_next() {
        let header = r#"</admin/identities?page_size=250&page_token=eyJpZCI6IjEifQ%3D%3D>; rel="first",</admin/identities?page_size=250&page_token=abc%2Bdef>; rel="next""#;
        let target = next_target([header]).unwrap();
        let cursor = cursor_from_target(&target, &base()).unwrap();
        assert_eq!(
            cursor,
            vec![
                ("page_size".to_owned(), "250".to_owned()),
                ("page_token".to_owned(), "abc+def".to_owned())
            ]
        );
    }

    #[test]
    fn several_headers_unquoted_and_multi_valued_rel() {
        let links = parse_links([
            "<https://other.example/x?page_token=1>; rel=first",
            r#"<https://other.example/y?page_token=2&page_size=7>;title="a, b; c";REL="prev Next""#,
        ]);
        assert_eq!(links.len(), 2);
        assert!(links[1].has_rel("next"));
        assert_eq!(links[1].params[0], ("title".to_owned(), "a, b; c".to_owned()));
        let cursor = cursor_from_target(&links[1].target, &base()).unwrap();
        assert_eq!(cursor[0], ("page_token".to_owned(), "2".to_owned()));
    }

    #[test]
    fn only_the_first_rel_counts_and_junk_is_skipped() {
        let header = r#"garbage, <a?page_token=x>; rel="first"; rel="next", <b?page_token=y>; rel=next"#;
        let target = next_target([header]).unwrap();
        assert_eq!(target, "b?page_token=y");
    }

    #[test]
    fn relative_query_only_link_and_signing_params_dropped() {
        let cursor = cursor_from_target(
            "?page_token=t%20u&nonce=zzz&timestamp=5&include_credential=password",
            &base(),
        )
        .unwrap();
        assert_eq!(cursor, vec![("page_token".to_owned(), "t u".to_owned())]);
    }

    #[test]
    fn a_redirect_target_loses_the_copied_signing_values() {
        let url = Url::parse("http://public:4433/schemas?page=2&nonce=n&timestamp=1&include_credential=oidc").unwrap();
        assert_eq!(carried_query(&url), vec![("page".to_owned(), "2".to_owned())]);
    }

    #[test]
    fn no_next_means_last_page() {
        assert!(next_target([r#"</admin/identities?page_token=a>; rel="first""#]).is_none());
        assert!(next_target(std::iter::empty()).is_none());
    }
}
