//! Planning an attribute update: pure, no I/O. What Yoti would refuse anyway
//! is refused here ([`check_update`]); the reviewer sees the body with the
//! token masked ([`display_body`], [`mask_token`]); the audit trail gets the
//! redacted [`changes`]; and every text made here is scrubbed of the token
//! ([`scrub_text`]).

use serde_json::Value;

use crate::api::exchange::{SecretKind, Secrets};
use crate::api::{ApiError, AttributeUpdate, Exchange, PreparedRequest};
use crate::audit::AuditError;
use crate::diff::{self, Change, REDACTED};

/// Tokens shorter than this are shown fully masked: revealing four characters
/// of a short token would give away too much of it.
const SHORTEST_PARTLY_SHOWN: usize = 12;

/// How many characters of a token are shown.
const SHOWN_TAIL: usize = 4;

/// Why an attribute update was not made. Messages are one line and never hold
/// the issuance token.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The update cannot be sent as it is (empty token, blank name, ...).
    /// Nothing was sent.
    #[error("{0}")]
    InvalidUpdate(String),
    #[error("profile \"{profile}\" is read-only: nothing was signed or sent")]
    ReadOnly { profile: String },
    /// The intent could not be recorded, so the update was not sent.
    #[error("the attribute update was not sent because the audit trail cannot record it: {0}")]
    Audit(#[from] AuditError),
    /// The request failed or Yoti refused it. The error's exchange has the
    /// token masked; `explanation` says in plain words what Yoti's answer
    /// means (see [`super::explain_yoti_error`]).
    #[error("{error}")]
    Api {
        error: Box<ApiError>,
        explanation: Option<String>,
    },
}

impl RegistryError {
    /// What Yoti's refusal means, in plain words, when Yoti answered.
    pub fn explanation(&self) -> Option<&str> {
        match self {
            RegistryError::Api { explanation, .. } => explanation.as_deref(),
            _ => None,
        }
    }

    /// The client's error, when the request was attempted.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            RegistryError::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The exchange (token masked), when Yoti answered: for the response view.
    pub fn exchange(&self) -> Option<&Exchange> {
        self.api_error().and_then(ApiError::exchange)
    }
}

/// The issuance token stored in `identity` at the JSON pointer `pointer`
/// (the profile's `issuance_token_pointer`), to prefill the attribute form.
/// `None` when there is none, it is not a string, or it is blank.
pub fn issuance_token_at(identity: &Value, pointer: &str) -> Option<String> {
    if !pointer.starts_with('/') {
        return None;
    }
    let token = identity.pointer(pointer)?.as_str()?.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

/// The token as people may see it: eight `*` and, for a token long enough,
/// its last four characters (enough to tell two tokens apart, not to use one).
/// The number of `*` does not depend on the token's length.
pub fn mask_token(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    let mut shown = "********".to_owned();
    if chars.len() >= SHORTEST_PARTLY_SHOWN {
        let tail: String = chars[chars.len() - SHOWN_TAIL..].iter().collect();
        shown.push_str(&crate::sanitize::for_display(&tail));
    }
    shown
}

/// The token as the one secret of a [`Secrets`] set: the client's scrubbing,
/// with every spelling a server may quote it in.
fn token_secret(token: &str) -> Secrets {
    let mut secrets = Secrets::default();
    secrets.add(token, SecretKind::Body, None);
    secrets
}

/// `text` with every occurrence of `token` (as sent, JSON- or Go-escaped;
/// see [`Secrets`]) replaced by its mask. The client already scrubs every
/// answer of it ([`crate::api::client`]); this is for texts made here.
/// A token shorter than [`crate::api::exchange::SHORTEST_SCRUBBED`] is not
/// searched for.
pub fn scrub_text(text: &str, token: &str) -> String {
    token_secret(token).scrub_text_as(text, &mask_token(token)).into_owned()
}

/// `bytes` with every occurrence of `token` replaced by its mask.
pub(super) fn scrub_bytes(bytes: &[u8], token: &str) -> Vec<u8> {
    token_secret(token).scrub_bytes_as(bytes, &mask_token(token))
}

/// Checks what Yoti would refuse anyway, and what a slip when pasting
/// produces, before anything is signed. The message never quotes the token.
pub fn check_update(update: &AttributeUpdate) -> Result<(), RegistryError> {
    let token = &update.issuance_token;
    if token.is_empty() {
        return Err(invalid(
            "the issuance token is empty: give the token Yoti issued the attribute with",
        ));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "the issuance token holds spaces, line breaks or control characters (a slip when pasting?): \
             give it exactly as Yoti issued it",
        ));
    }
    let name = &update.name;
    if name.trim().is_empty() {
        return Err(invalid(
            "the attribute name is empty: give the name it was issued under, e.g. com.example.someAttribute",
        ));
    }
    if name.trim() != name {
        return Err(invalid(format!(
            "the attribute name {:?} starts or ends with spaces: Yoti matches names exactly",
            crate::sanitize::for_display(name)
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(format!(
            "the attribute name {:?} holds control characters",
            crate::sanitize::for_display(name)
        )));
    }
    Ok(())
}

pub(super) fn invalid(message: impl Into<String>) -> RegistryError {
    RegistryError::InvalidUpdate(message.into())
}

/// The body as it is sent, with the token masked: what a reviewer confirms.
pub fn display_body(update: &AttributeUpdate) -> Value {
    let mut json = serde_json::to_value(update).unwrap_or(Value::Null);
    mask_body_token(&mut json, &update.issuance_token);
    json
}

/// The exact bytes of `prepared`'s body, with the token masked: the same
/// member order and layout as sent.
pub fn display_sent_body(prepared: &PreparedRequest, token: &str) -> Option<String> {
    prepared
        .body
        .as_ref()
        .map(|bytes| String::from_utf8_lossy(&scrub_bytes(bytes, token)).into_owned())
}

fn mask_body_token(json: &mut Value, token: &str) {
    if let Some(slot) = json.get_mut("issuance_token") {
        *slot = Value::String(mask_token(token));
    }
}

/// What the update asks for, as the review and the audit trail show it: the
/// body's members, the token redacted. The registry cannot be read, so there
/// are no old values.
pub fn changes(update: &AttributeUpdate) -> Vec<Change> {
    let mut changes = vec![
        Change {
            pointer: "/issuance_token".to_owned(),
            old: None,
            new: Some(Value::String(REDACTED.to_owned())),
        },
        Change {
            pointer: "/name".to_owned(),
            old: None,
            new: Some(Value::String(update.name.clone())),
        },
        Change {
            pointer: "/value".to_owned(),
            old: None,
            new: Some(update.value.clone()),
        },
    ];
    for (key, value) in &update.extra {
        changes.push(Change {
            pointer: format!("/{}", diff::escape_token(key)),
            old: None,
            new: Some(value.clone()),
        });
    }
    diff::redacted(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TOKEN: &str = "c2VjcmV0LWlzc3VhbmNlLXRva2VuLTAwMDE/x+Yz";

    #[test]
    fn the_token_is_found_at_the_profile_pointer_only_as_a_nonblank_string() {
        let identity = json!({
            "metadata_admin": {"yoti": {"issuance_token": " tok-1234 ", "n": 5, "blank": "  "}}
        });
        let pointer = "/metadata_admin/yoti/issuance_token";
        assert_eq!(issuance_token_at(&identity, pointer).as_deref(), Some("tok-1234"));
        assert_eq!(issuance_token_at(&identity, "/metadata_admin/yoti/n"), None);
        assert_eq!(issuance_token_at(&identity, "/metadata_admin/yoti/blank"), None);
        assert_eq!(issuance_token_at(&identity, "/metadata_public/x"), None);
        assert_eq!(issuance_token_at(&identity, "metadata_admin"), None);
        assert_eq!(issuance_token_at(&json!("tok"), ""), None);
    }

    #[test]
    fn a_mask_shows_at_most_the_last_four_characters() {
        assert_eq!(mask_token(TOKEN), "********x+Yz");
        assert_eq!(mask_token("short-tok"), "********");
        assert_eq!(mask_token(""), "********");
        assert!(!mask_token("abcdefgh\u{1b}[2J").contains('\u{1b}'));
    }

    #[test]
    fn scrubbing_replaces_the_token_also_when_json_escaped() {
        let text = format!("token {TOKEN} or {} was refused", TOKEN.replace('/', "\\/"));
        let scrubbed = scrub_text(&text, TOKEN);
        assert!(!scrubbed.contains("c2VjcmV0"), "{scrubbed}");
        assert_eq!(scrubbed.matches("********x+Yz").count(), 2);
        let bytes = [b"\xff".as_slice(), TOKEN.as_bytes()].concat();
        assert!(!String::from_utf8_lossy(&scrub_bytes(&bytes, TOKEN)).contains("c2VjcmV0"));
    }

    #[test]
    fn the_reviewed_body_and_the_changes_never_hold_the_token() {
        let update = AttributeUpdate::new(TOKEN.to_owned(), "com.example.level".to_owned(), json!("gold"));
        let body = display_body(&update);
        assert_eq!(body["issuance_token"], "********x+Yz");
        assert_eq!(body["name"], "com.example.level");
        let changes = changes(&update);
        let text = serde_json::to_string(&changes).unwrap_or_default();
        assert!(!text.contains("c2VjcmV0") && text.contains("gold"), "{text}");
    }

    #[test]
    fn slips_are_refused_without_quoting_the_token() {
        for (token, name, fragment) in [
            ("", "com.example.a", "token is empty"),
            ("abc def-ghijklmnop", "com.example.a", "spaces"),
            ("abcdefghijklmnop\n", "com.example.a", "line breaks"),
            ("abcdefghijklmnop", " ", "name is empty"),
            ("abcdefghijklmnop", "com.example.a ", "starts or ends"),
        ] {
            let update = AttributeUpdate::new(token.to_owned(), name.to_owned(), json!("x"));
            match check_update(&update) {
                Err(RegistryError::InvalidUpdate(message)) => {
                    assert!(message.contains(fragment), "{message}");
                    assert!(token.len() < 4 || !message.contains(token.trim()), "{message}");
                }
                other => panic!("{token:?}/{name:?}: {other:?}"),
            }
        }
        let fine = AttributeUpdate::new(TOKEN.to_owned(), "com.example.a".to_owned(), json!({"a": 1}));
        assert!(check_update(&fine).is_ok());
    }
}
