//! The query string of a signed request, encoded exactly as Python's
//! `urllib.parse.urlencode` does, since the Yoti Python SDK signs that string.

/// Form-url-encodes like Python's `urllib.parse.urlencode` (`quote_plus`): space
/// becomes `+`; every byte of the UTF-8 form except `A-Za-z0-9_.-~` is
/// percent-encoded with upper-case hex. Pairs are joined with `&` in the order given.
pub fn encode_query(params: &[(String, String)]) -> String {
    let mut out = String::new();
    for (index, (name, value)) in params.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        quote_plus_into(name, &mut out);
        out.push('=');
        quote_plus_into(value, &mut out);
    }
    out
}

fn quote_plus_into(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in text.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
        }
    }
}

/// The SDK collects params in a dict and then merges `{nonce, timestamp}` into
/// it: a repeated name keeps its first position with its last value, and the
/// signing nonce and timestamp replace same-named params in place (else go last).
pub(crate) fn merge_like_sdk(params: &[(String, String)], nonce: &str, timestamp_ms: u64) -> Vec<(String, String)> {
    let mut merged: Vec<(String, String)> = Vec::with_capacity(params.len() + 2);
    let mut put = |name: &str, value: String| match merged.iter_mut().find(|(existing, _)| existing == name) {
        Some(slot) => slot.1 = value,
        None => merged.push((name.to_owned(), value)),
    };
    for (name, value) in params {
        put(name, value.clone());
    }
    put("nonce", nonce.to_owned());
    put("timestamp", timestamp_ms.to_string());
    merged
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space);
/// invalid UTF-8 is replaced rather than refused, since this only reads values back.
pub(crate) fn decode_component(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn encodes_like_python_quote_plus() {
        let query = encode_query(&pairs(&[("a b", "x+y&z=/~*"), ("é", "")]));
        assert_eq!(query, "a+b=x%2By%26z%3D%2F~%2A&%C3%A9=");
    }

    #[test]
    fn repeated_names_and_signing_params_behave_like_the_sdk_dict() {
        let merged = merge_like_sdk(
            &pairs(&[("a", "1"), ("timestamp", "x"), ("b", "2"), ("a", "3")]),
            "n",
            7,
        );
        assert_eq!(
            merged,
            pairs(&[("a", "3"), ("timestamp", "7"), ("b", "2"), ("nonce", "n")])
        );
    }
}
