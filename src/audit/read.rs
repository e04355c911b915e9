//! Reading the audit trail back, for `idcon audit` and the console's history.
//! A damaged line (a crash mid-write, an editor accident) is reported with its
//! number and skipped: the rest of the evidence stays readable.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{AuditError, Entry};

/// Which entries to keep; every set criterion must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Exact identity id.
    pub identity: Option<String>,
    /// Only entries at most this old.
    pub since: Option<Duration>,
    /// Exact OS user name.
    pub user: Option<String>,
    /// Text the user's reason for the write (`why`) contains, in any case.
    /// An outcome line carries no `why`: [`read_log`] keeps it when its
    /// intent (same `request_id`) was kept.
    pub reason: Option<String>,
}

impl Filter {
    /// True when `entry` passes, judged at `now`. An entry whose time does not
    /// parse cannot be shown to be recent, so `since` excludes it.
    pub fn matches(&self, entry: &Entry, now: DateTime<Utc>) -> bool {
        let identity_ok = self
            .identity
            .as_ref()
            .is_none_or(|id| entry.identity_id.as_ref() == Some(id));
        let user_ok = self.user.as_ref().is_none_or(|user| entry.user.as_ref() == Some(user));
        let since_ok = self.since.is_none_or(|since| {
            let Ok(time) = DateTime::parse_from_rfc3339(&entry.time) else {
                return false;
            };
            let age = now.signed_duration_since(time.with_timezone(&Utc));
            chrono::Duration::from_std(since).is_ok_and(|limit| age <= limit)
        });
        identity_ok && user_ok && since_ok && self.reason_matches(entry)
    }

    /// True when no reason is asked for, or `entry`'s `why` contains it
    /// (case-insensitive, Unicode lower case).
    pub fn reason_matches(&self, entry: &Entry) -> bool {
        self.reason.as_ref().is_none_or(|wanted| {
            let wanted = wanted.trim().to_lowercase();
            entry
                .why
                .as_ref()
                .is_some_and(|why| why.to_lowercase().contains(&wanted))
        })
    }
}

/// A line that is not a valid entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorruptLine {
    /// 1-based, as editors count.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for CorruptLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The entries that passed the filter, in file order, and the lines skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditRead {
    pub entries: Vec<Entry>,
    pub corrupt: Vec<CorruptLine>,
}

/// Reads the trail at `path`, keeping the entries `filter` accepts.
pub fn read_log(path: &Path, filter: &Filter) -> Result<AuditRead, AuditError> {
    let read_error = |source| AuditError::Read {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(read_error)?;
    let mut reader = BufReader::new(file);
    let now = Utc::now();
    let mut result = AuditRead::default();
    let mut buffer = Vec::new();
    let mut number = 0;
    // With a reason filter: the requests whose intent was kept, so that
    // their outcome lines (which carry no `why`) are kept too.
    let mut kept_requests: HashSet<String> = HashSet::new();
    let outcome_filter = Filter {
        reason: None,
        ..filter.clone()
    };
    loop {
        buffer.clear();
        if reader.read_until(b'\n', &mut buffer).map_err(read_error)? == 0 {
            break;
        }
        number += 1;
        let complete = buffer.last() == Some(&b'\n');
        let line = buffer.strip_suffix(b"\n").unwrap_or(&buffer);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_line(line) {
            Ok(entry) => {
                let keep = if filter.reason.is_some() && entry.event == "outcome" {
                    entry.request_id.as_ref().is_some_and(|id| kept_requests.contains(id))
                        && outcome_filter.matches(&entry, now)
                } else {
                    filter.matches(&entry, now)
                };
                if keep {
                    if filter.reason.is_some()
                        && let Some(id) = &entry.request_id
                    {
                        kept_requests.insert(id.clone());
                    }
                    result.entries.push(entry);
                }
            }
            Err(message) => {
                let message = if complete {
                    message
                } else {
                    format!("{message} (unfinished last line)")
                };
                result.corrupt.push(CorruptLine { line: number, message });
            }
        }
    }
    Ok(result)
}

fn parse_line(line: &[u8]) -> Result<Entry, String> {
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8 text".to_owned())?;
    serde_json::from_str(text).map_err(|err| {
        // Each entry is one line, so serde's "at line 1" would only confuse.
        let text = err.to_string();
        let what = text.split(" at line ").next().unwrap_or(&text);
        format!("not an audit entry: {what} (column {})", err.column())
    })
}

/// [`read_log`] for callers that only want the entries; skipped lines are
/// logged as warnings with their numbers.
pub fn read_entries(path: &Path, filter: &Filter) -> Result<Vec<Entry>, AuditError> {
    let read = read_log(path, filter)?;
    for corrupt in &read.corrupt {
        tracing::warn!("skipped {} {corrupt}", path.display());
    }
    Ok(read.entries)
}

/// Parses an age such as `90m`, `24h`, `7d`, `2w`, `30s` or `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("{text:?} is not a duration; write e.g. 90m, 24h, 7d or 1h30m (units s, m, h, d, w)");
    if text.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let amount: u64 = digits.parse().map_err(|_| bad())?;
        total = amount
            .checked_mul(unit)
            .and_then(|seconds| total.checked_add(seconds))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_common_units() {
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        for bad in ["", "10", "h", "5y", "-1h", "1.5h", "99999999999999999999w"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
