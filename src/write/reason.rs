//! A reason for every write: support writes are made for a ticket, and the
//! audit trail records why (`why` on the intent and refusal lines).
//!
//! Pure (no I/O, no clock), so the console's `app` layer may call it from
//! `update` for the review's reason line, and the commands call it for
//! `--reason TEXT`. The API:
//!
//! ```text
//! check_reason(required: bool, given: Option<&str>) -> Result<Option<String>, ReasonError>
//! ```
//!
//! - `required` is the profile's `require_reason` (`config::Profile`).
//! - `given` is what the user typed, untrusted: it is made one plain line
//!   first ([`crate::audit::one_plain_line`]: every run of whitespace, line
//!   breaks, control, invisible and bidi characters becomes one space; ends
//!   trimmed), so a pasted multi-line ticket becomes one line.
//! - `Ok(None)`: no reason (none given, or only whitespace) and none required.
//! - `Ok(Some(text))`: the cleaned reason, at most [`MAX_REASON_CHARS`]
//!   characters, exactly what the audit trail will keep: put it in
//!   [`PlannedWrite::with_reason`](super::PlannedWrite::with_reason), or
//!   `audit::Target::about` for a write that is not a `PlannedWrite`.
//! - `Err(ReasonError::Required)`: the profile requires one and there is
//!   none. Refuse the write before anything is signed or sent, and record
//!   the refusal. [`ReasonError::message`] words it for a profile, with how
//!   to give one ("pass --reason TEXT" for the commands, [`CLI_HINT`]; the
//!   console names its own reason line).
//! - `Err(ReasonError::TooLong { .. })`: longer than [`MAX_REASON_CHARS`]
//!   after cleaning; refused rather than cut, so that what the user wrote is
//!   what the trail holds.

/// Longest reason, in characters after cleaning (the audit trail's own bound,
/// [`crate::audit::MAX_WHY_CHARS`]).
pub const MAX_REASON_CHARS: usize = crate::audit::MAX_WHY_CHARS;

/// How the commands ask for a reason, for [`ReasonError::message`].
pub const CLI_HINT: &str = "pass --reason TEXT";

/// Why a reason was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReasonError {
    /// The profile has `require_reason = true` and none was given.
    #[error("this profile requires a reason for every write")]
    Required,
    /// Longer than [`MAX_REASON_CHARS`] after cleaning.
    #[error(
        "the reason is {chars} characters long; the audit trail keeps at most {max}: shorten it \
         (a ticket reference and a few words are enough)"
    )]
    TooLong { chars: usize, max: usize },
}

impl ReasonError {
    /// The message for a user of `profile`. A missing reason ends with `hint`
    /// (how to give one, e.g. [`CLI_HINT`]): `profile "prod" requires a
    /// reason for every write: pass --reason TEXT`.
    pub fn message(&self, profile: &str, hint: &str) -> String {
        match self {
            ReasonError::Required => format!(
                "profile \"{}\" requires a reason for every write: {hint}",
                crate::sanitize::for_display(profile)
            ),
            other => other.to_string(),
        }
    }
}

/// The reason to record for a write, or why there is none that will do.
/// See the module documentation.
pub fn check_reason(required: bool, given: Option<&str>) -> Result<Option<String>, ReasonError> {
    let cleaned = given.map(crate::audit::one_plain_line).filter(|text| !text.is_empty());
    match cleaned {
        None if required => Err(ReasonError::Required),
        None => Ok(None),
        Some(text) => {
            let chars = text.chars().count();
            if chars > MAX_REASON_CHARS {
                Err(ReasonError::TooLong {
                    chars,
                    max: MAX_REASON_CHARS,
                })
            } else {
                Ok(Some(text))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_trimmed_and_kept() {
        assert_eq!(
            check_reason(false, Some("  SUP-42 customer asked  ")),
            Ok(Some("SUP-42 customer asked".to_owned()))
        );
        assert_eq!(check_reason(true, Some("SUP-42")), Ok(Some("SUP-42".to_owned())));
    }

    #[test]
    fn no_reason_or_only_whitespace_is_none_and_refused_when_required() {
        for given in [None, Some(""), Some("   "), Some("\n\t \u{200b}\u{1b}")] {
            assert_eq!(check_reason(false, given), Ok(None), "{given:?}");
            assert_eq!(check_reason(true, given), Err(ReasonError::Required), "{given:?}");
        }
        assert_eq!(
            ReasonError::Required.message("prod", CLI_HINT),
            "profile \"prod\" requires a reason for every write: pass --reason TEXT"
        );
    }

    #[test]
    fn controls_line_breaks_and_bidi_become_single_spaces() {
        let given = "SUP-42\r\nline two\u{1b}[31m red\u{202e}evil\u{9b}\ttab";
        assert_eq!(
            check_reason(false, Some(given)),
            Ok(Some("SUP-42 line two [31m red evil tab".to_owned()))
        );
    }

    #[test]
    fn a_reason_longer_than_the_trail_keeps_is_refused_not_cut() {
        let exactly = "é".repeat(MAX_REASON_CHARS);
        assert_eq!(check_reason(true, Some(&exactly)), Ok(Some(exactly.clone())));
        let longer = format!("{exactly}x");
        let err = check_reason(false, Some(&longer));
        assert_eq!(
            err,
            Err(ReasonError::TooLong {
                chars: MAX_REASON_CHARS + 1,
                max: MAX_REASON_CHARS
            })
        );
        let message = err.err().map(|e| e.message("prod", CLI_HINT)).unwrap_or_default();
        assert!(
            message.contains("501 characters") && message.contains("at most 500"),
            "{message}"
        );
        // Counted after cleaning: spaces that collapse do not count.
        let padded = format!("{}{}", "a ".repeat(250), " ".repeat(400));
        assert!(check_reason(false, Some(&padded)).is_ok());
    }
}
