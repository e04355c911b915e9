//! After a write: did the server keep what was sent?
//!
//! A `200` does not mean every member arrived. Kratos v1.x and gateways that
//! predate a field decode the body leniently and drop what they do not know
//! (`external_id` before Kratos v1.3's successors), and newer Kratos rewrites
//! phone-number identifiers to E.164 (`identity/validator.go`,
//! `Validator.normalizePhoneTraits`). So after every PUT each edited pointer
//! of the body is looked up in the answer and compared by meaning:
//! - the same value (numbers by value, members in any order): kept;
//! - a rewrite the server is known to make: [`Normalised`], told as such;
//! - anything else: not kept, told to the user in plain words, recorded in the
//!   audit `outcome` and reported by `apply`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diff::{self, Change};
use crate::meaning::same_value;

/// Members where `null` and absent mean the same to Kratos (it stores both as
/// SQL NULL and answers either way).
const NULL_IS_ABSENT: &[&str] = &["metadata_public", "metadata_admin", "external_id", "region"];

/// A member the server rewrote in a way it is known to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Normalised {
    pub pointer: String,
    /// What the server did, in plain words.
    pub how: String,
}

/// What the server kept of one write.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Verification {
    /// Members the server changed in a known way (not a failure).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub normalised: Vec<Normalised>,
    /// Members sent but not held by the answer (dropped or changed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_kept: Vec<String>,
}

impl Verification {
    /// True when everything sent was kept (normalisations included).
    pub fn all_kept(&self) -> bool {
        self.not_kept.is_empty()
    }

    /// One plain line per finding, for the console and stderr.
    pub fn messages(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .not_kept
            .iter()
            .map(|pointer| {
                format!(
                    "sent, but the server did not keep {}",
                    crate::sanitize::for_display(pointer)
                )
            })
            .collect();
        lines.extend(self.normalised.iter().map(|n| {
            format!(
                "the server normalised {}: {}",
                crate::sanitize::for_display(&n.pointer),
                n.how
            )
        }));
        lines
    }
}

/// Compares every member `changes` names in the `sent` body with the `answer`
/// (the identity the server returned).
pub fn verify(changes: &[Change], sent: &Value, answer: &Value) -> Verification {
    let mut result = Verification::default();
    for change in changes {
        let Ok(tokens) = diff::parse_pointer(&change.pointer) else {
            continue;
        };
        if tokens.first().is_some_and(|t| t == "credentials") {
            if !credentials_kept(sent, answer) {
                result.not_kept.push(change.pointer.clone());
            }
            continue;
        }
        let was_sent = lookup(sent, &tokens);
        let held = lookup(answer, &tokens);
        match judge(&tokens, was_sent, held) {
            Judgement::Kept => {}
            Judgement::Normalised(how) => result.normalised.push(Normalised {
                pointer: change.pointer.clone(),
                how,
            }),
            Judgement::NotKept => result.not_kept.push(change.pointer.clone()),
        }
    }
    result
}

enum Judgement {
    Kept,
    Normalised(String),
    NotKept,
}

fn judge(tokens: &[String], sent: Option<&Value>, held: Option<&Value>) -> Judgement {
    let nullish = |v: Option<&Value>| v.is_none_or(Value::is_null);
    match (sent, held) {
        (Some(a), Some(b)) if same_value(a, b) => Judgement::Kept,
        (None, None) => Judgement::Kept,
        _ if tokens.len() == 1 && NULL_IS_ABSENT.contains(&tokens[0].as_str()) && nullish(sent) && nullish(held) => {
            Judgement::Kept
        }
        (Some(Value::String(a)), Some(Value::String(b))) if is_e164_of(a, b) => {
            Judgement::Normalised("phone number written in E.164 form".to_owned())
        }
        (Some(a), Some(b)) if a.is_object() && b.is_object() => {
            // A whole object (traits, metadata) was sent: judge member by member.
            let mut how = Vec::new();
            for change in diff::diff(a, b) {
                let Ok(inner) = diff::parse_pointer(&change.pointer) else {
                    return Judgement::NotKept;
                };
                let mut full = tokens.to_vec();
                full.extend(inner);
                match judge(&full, change.old.as_ref(), change.new.as_ref()) {
                    Judgement::Kept => {}
                    Judgement::Normalised(note) => {
                        how.push(format!("{} {}", crate::sanitize::for_display(&change.pointer), note))
                    }
                    Judgement::NotKept => return Judgement::NotKept,
                }
            }
            if how.is_empty() {
                Judgement::Kept
            } else {
                Judgement::Normalised(how.join("; "))
            }
        }
        _ => Judgement::NotKept,
    }
}

/// True when `held` is the E.164 spelling of the phone number `sent`
/// (`+49 170 123-4567` → `+491701234567`), as newer Kratos rewrites phone
/// identifiers (`identity/validator.go`, `normalizePhoneAt`).
fn is_e164_of(sent: &str, held: &str) -> bool {
    let Some(digits) = held.strip_prefix('+') else {
        return false;
    };
    if digits.len() < 7 || !digits.bytes().all(|b| b.is_ascii_digit()) || sent == held {
        return false;
    }
    let trimmed = sent.trim();
    let international = trimmed.starts_with('+') || trimmed.starts_with("00");
    let formatting = |c: char| c.is_ascii_digit() || " +-.()/\u{a0}".contains(c);
    if !international || !trimmed.chars().all(formatting) {
        return false;
    }
    let mut sent_digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if !trimmed.starts_with('+') {
        sent_digits.replace_range(..2, "");
    }
    sent_digits == digits
}

/// A credentials import leaves its type in the answer (without its secret):
/// a password credential, or every imported OIDC link among the identifiers.
/// An answer without any `credentials` member cannot tell, and is not held
/// against the write.
fn credentials_kept(sent: &Value, answer: &Value) -> bool {
    let Some(held) = answer.get("credentials").filter(|c| c.is_object()) else {
        return true;
    };
    let Some(imported) = sent.get("credentials").and_then(Value::as_object) else {
        return true;
    };
    imported.iter().all(|(kind, config)| match kind.as_str() {
        "oidc" => {
            let identifiers: Vec<&str> = held
                .pointer("/oidc/identifiers")
                .and_then(Value::as_array)
                .map(|ids| ids.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            config
                .pointer("/config/providers")
                .and_then(Value::as_array)
                .map(|providers| {
                    providers.iter().all(|p| {
                        let provider = p.get("provider").and_then(Value::as_str).unwrap_or_default();
                        let subject = p.get("subject").and_then(Value::as_str).unwrap_or_default();
                        identifiers.contains(&format!("{provider}:{subject}").as_str())
                    })
                })
                .unwrap_or(true)
        }
        other => held.get(other).is_some(),
    })
}

fn lookup<'a>(value: &'a Value, tokens: &[String]) -> Option<&'a Value> {
    tokens.iter().try_fold(value, |current, token| match current {
        Value::Object(members) => members.get(token),
        Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(pointer: &str) -> Change {
        Change {
            pointer: pointer.to_owned(),
            old: None,
            new: Some(json!("x")),
        }
    }

    #[test]
    fn a_dropped_external_id_is_not_kept() {
        let sent = json!({"external_id": "crm-1", "traits": {"email": "a@example.com"}});
        let answer = json!({"traits": {"email": "a@example.com"}});
        let found = verify(&[change("/external_id")], &sent, &answer);
        assert_eq!(found.not_kept, ["/external_id"]);
        assert_eq!(found.messages(), ["sent, but the server did not keep /external_id"]);
    }

    #[test]
    fn equal_meaning_is_kept() {
        let sent = json!({"traits": {"age": 30, "name": {"first": "Ana", "last": "Lee"}}, "metadata_admin": null});
        let answer = json!({"traits": {"name": {"last": "Lee", "first": "Ana"}, "age": 30.0}});
        let found = verify(
            &[change("/traits/age"), change("/traits/name"), change("/metadata_admin")],
            &sent,
            &answer,
        );
        assert!(found.all_kept() && found.normalised.is_empty(), "{found:?}");
    }

    #[test]
    fn a_phone_in_e164_is_a_known_normalisation_not_a_failure() {
        let sent = json!({"traits": {"phone": "+49 170 123-4567"}});
        let answer = json!({"traits": {"phone": "+491701234567"}});
        let found = verify(&[change("/traits/phone")], &sent, &answer);
        assert!(found.all_kept());
        assert_eq!(found.normalised.len(), 1);
        // A whole traits object sent: the rewrite is still named.
        let found = verify(&[change("/traits")], &sent, &answer);
        assert!(
            found.all_kept() && found.normalised[0].how.contains("/phone"),
            "{found:?}"
        );
        // Another number is not a normalisation.
        let other = json!({"traits": {"phone": "+491709999999"}});
        assert_eq!(
            verify(&[change("/traits/phone")], &sent, &other).not_kept,
            ["/traits/phone"]
        );
    }

    #[test]
    fn imports_are_checked_by_what_the_answer_can_show() {
        let sent =
            json!({"credentials": {"oidc": {"config": {"providers": [{"provider": "github", "subject": "9"}]}}}});
        let linked = json!({"credentials": {"oidc": {"identifiers": ["github:9"]}}});
        let missing = json!({"credentials": {"password": {}}});
        assert!(verify(&[change("/credentials/oidc")], &sent, &linked).all_kept());
        assert_eq!(
            verify(&[change("/credentials/oidc")], &sent, &missing).not_kept,
            ["/credentials/oidc"]
        );
        assert!(verify(&[change("/credentials/oidc")], &sent, &json!({})).all_kept());
    }
}
