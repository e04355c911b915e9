//! `idcon audit`: reads the audit trail back, to answer "who changed this,
//! when, and what exactly".
//!
//! The table shows one row per request (its intent and outcome joined by
//! `request_id`; a request without outcome shows `no outcome`, the trace of a
//! crash or a dropped link) and one row per refusal: who the identity is (its
//! primary identifier when the write was planned), the outcome and the
//! user's reason; under each row, one line per changed member with its old
//! and new value (secrets `<redacted>`, as the trail holds them).
//! `--output json` prints the matching lines themselves as one JSON array.
//! Everything printed is made safe for a terminal: the trail holds identity
//! data, which is untrusted.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::audit::{self, Entry, Filter};
use crate::config::Overrides;
use crate::diff::{self, Change};
use crate::sanitize::{for_display, is_unsafe};

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only entries about this identity id.
    #[arg(long, value_name = "ID")]
    pub identity: Option<String>,

    /// Only entries at most this old, e.g. 90m, 24h, 7d, 1h30m.
    #[arg(long, value_name = "DURATION", value_parser = audit::parse_duration)]
    pub since: Option<Duration>,

    /// Only entries recorded for this OS user.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// Only writes whose reason (`why`, given with --reason or on the
    /// console's review) contains TEXT, in any case; with their outcomes.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,

    /// Audit trail to read (default: $XDG_STATE_HOME/idcon/audit.jsonl).
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

pub fn run(_global: &Overrides, args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let (path, explicit) = match &args.file {
        Some(path) => (path.clone(), true),
        None => (
            crate::paths::audit_file()
                .context("cannot find the audit trail: neither XDG_STATE_HOME nor HOME is set; pass --file")?,
            false,
        ),
    };
    let shown_path = for_display(&path.display().to_string()).into_owned();
    let entries = if !explicit && !path.exists() {
        eprintln!("idcon: no audit trail yet at {shown_path}");
        Vec::new()
    } else {
        let filter = Filter {
            identity: args.identity.clone(),
            since: args.since,
            user: args.user.clone(),
            reason: args.reason.clone().filter(|text| !text.trim().is_empty()),
        };
        let read = audit::read_log(&path, &filter)?;
        for corrupt in &read.corrupt {
            eprintln!(
                "idcon: warning: {shown_path} {}, skipped",
                for_display(&corrupt.to_string())
            );
        }
        read.entries
    };
    match args.output {
        Output::Json => println!("{}", json_for_terminal(&entries)?),
        Output::Table => print!("{}", table(&entries)),
    }
    Ok(ExitCode::SUCCESS)
}

/// Pretty JSON in which every character that could act on a terminal is a
/// `\u` escape: still the same JSON, but inert when printed.
pub fn json_for_terminal(entries: &[Entry]) -> anyhow::Result<String> {
    let text = serde_json::to_string_pretty(entries).context("cannot encode the audit entries as JSON")?;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        // serde_json already escapes C0 controls; outside strings JSON holds
        // only ASCII structure, so any such character here is inside a string.
        if is_unsafe(c) && c != '\n' {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// One row of the table.
#[derive(Debug, Default)]
struct Row {
    request_id: Option<String>,
    time: String,
    user: String,
    ssh_client: String,
    profile: String,
    method: String,
    identity: String,
    identifier: String,
    status: String,
    reason: String,
    note: String,
    /// Printed under the row: one line per changed member, old → new.
    changes: Vec<Change>,
}

const HEADINGS: [&str; 10] = [
    "TIME",
    "USER",
    "SSH CLIENT",
    "PROFILE",
    "METHOD",
    "IDENTITY",
    "IDENTIFIER",
    "OUTCOME",
    "REASON",
    "NOTE",
];

/// Longest cell before the last column; longer ones end in `…`.
const MAX_CELL: usize = 48;

/// Longest old or new value shown under a row; longer ones end in `…`
/// (`--output json` has them whole).
const MAX_VALUE: usize = 80;

fn opt(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "-".to_owned())
}

fn short_time(time: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(time)
        .map(|t| t.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_else(|_| time.to_owned())
}

fn row_for(entry: &Entry) -> Row {
    Row {
        request_id: entry.request_id.clone(),
        time: short_time(&entry.time),
        user: opt(&entry.user),
        ssh_client: opt(&entry.ssh_client),
        profile: opt(&entry.profile),
        method: opt(&entry.method),
        identity: opt(&entry.identity_id),
        identifier: opt(&entry.identifier),
        status: String::new(),
        reason: entry.why.clone().unwrap_or_default(),
        note: String::new(),
        // Redacted again: the trail holds them redacted, but it is a file a
        // person may have edited.
        changes: diff::redacted(entry.changes.clone()),
    }
}

fn fill_outcome(row: &mut Row, entry: &Entry) {
    row.status = entry
        .status
        .map_or_else(|| "failed".to_owned(), |status| status.to_string());
    let mut notes: Vec<String> = entry.error.iter().cloned().collect();
    if !entry.not_kept.is_empty() {
        notes.push(format!("not kept: {}", entry.not_kept.join(" ")));
    }
    row.note = notes.join("; ");
}

/// Joins intents and outcomes into rows, in the order the requests started.
fn rows(entries: &[Entry]) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    for entry in entries {
        let same_request =
            |row: &Row| row.request_id.is_some() && row.request_id == entry.request_id && row.status == "no outcome";
        match entry.event.as_str() {
            "intent" => {
                let mut row = row_for(entry);
                row.status = "no outcome".to_owned();
                rows.push(row);
            }
            "outcome" => match rows.iter_mut().rev().find(|row| same_request(row)) {
                Some(row) => fill_outcome(row, entry),
                None => {
                    let mut row = row_for(entry);
                    fill_outcome(&mut row, entry);
                    rows.push(row);
                }
            },
            "refusal" => {
                let mut row = row_for(entry);
                row.status = "refused".to_owned();
                row.note = entry.reason.clone().unwrap_or_default();
                rows.push(row);
            }
            other => {
                let mut row = row_for(entry);
                row.status = other.to_owned();
                rows.push(row);
            }
        }
    }
    rows
}

fn cell(text: &str, limit: Option<usize>) -> String {
    let safe = for_display(text);
    match limit {
        Some(limit) => crate::text::fit(&safe, limit),
        None => safe.into_owned(),
    }
}

/// `    ~ /pointer: old → new` (`+` added, `-` removed), values as compact
/// JSON, each at most [`MAX_VALUE`] characters, made safe for a terminal.
fn change_lines(changes: &[Change]) -> String {
    // JSON text: its backslashes are JSON's own, so only unsafe characters
    // are escaped (not `for_display`, which would double them).
    let value = |v: &serde_json::Value| crate::text::fit(&crate::sanitize::json_inert(&v.to_string()), MAX_VALUE);
    let mut out = String::new();
    for change in changes {
        let pointer = cell(&change.pointer, None);
        let line = match (&change.old, &change.new) {
            (Some(old), Some(new)) => format!("    ~ {pointer}: {} → {}", value(old), value(new)),
            (None, Some(new)) => format!("    + {pointer}: {}", value(new)),
            (Some(old), None) => format!("    - {pointer}: {}", value(old)),
            (None, None) => format!("    ? {pointer}"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The table as text: one line per row, columns padded to their widest
/// cell, and under each row its changes, old → new.
fn table(entries: &[Entry]) -> String {
    let rows = rows(entries);
    if rows.is_empty() {
        return "no audit entries\n".to_owned();
    }
    let last = HEADINGS.len() - 1;
    let mut lines: Vec<Vec<String>> = vec![HEADINGS.iter().map(|h| (*h).to_owned()).collect()];
    for row in &rows {
        let cells = [
            &row.time,
            &row.user,
            &row.ssh_client,
            &row.profile,
            &row.method,
            &row.identity,
            &row.identifier,
            &row.status,
            &row.reason,
            &row.note,
        ];
        lines.push(
            cells
                .iter()
                .enumerate()
                .map(|(i, text)| cell(text, (i < last).then_some(MAX_CELL)))
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..HEADINGS.len())
        .map(|col| lines.iter().map(|line| line[col].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        let mut text = String::new();
        for (col, value) in line.iter().enumerate() {
            if col == last {
                text.push_str(value);
            } else {
                text.push_str(value);
                text.push_str(&" ".repeat(widths[col] - value.chars().count() + 2));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
        // Line 0 is the headings.
        if let Some(row) = index.checked_sub(1).and_then(|i| rows.get(i)) {
            out.push_str(&change_lines(&row.changes));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(line: &str) -> Entry {
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    #[test]
    fn intent_and_outcome_make_one_row() {
        let entries = [
            entry(
                r#"{"time":"2024-05-01T10:00:00.000Z","event":"intent","request_id":"r1","user":"ana","method":"PUT","identity_id":"i1","changes":[{"pointer":"/state","old":"active","new":"inactive"}]}"#,
            ),
            entry(
                r#"{"time":"2024-05-01T10:00:01.000Z","event":"refusal","request_id":"r2","user":"bob","reason":"read-only profile"}"#,
            ),
            entry(r#"{"time":"2024-05-01T10:00:02.000Z","event":"outcome","request_id":"r1","status":200}"#),
            entry(r#"{"time":"2024-05-01T10:00:03.000Z","event":"intent","request_id":"r3","user":"ana"}"#),
        ];
        let text = table(&entries);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(lines[0].contains("IDENTIFIER") && lines[0].contains("REASON"), "{text}");
        assert!(
            lines[1].contains("2024-05-01 10:00:00Z") && lines[1].contains(" 200"),
            "{text}"
        );
        assert_eq!(lines[2], "    ~ /state: \"active\" → \"inactive\"");
        assert!(lines[3].contains("refused") && lines[3].ends_with("read-only profile"));
        assert!(lines[4].contains("no outcome"));
    }

    #[test]
    fn a_row_names_who_and_why_and_shows_old_and_new_values_redacted() {
        let entries = [
            entry(
                r#"{"time":"2024-05-01T10:00:00.000Z","event":"intent","request_id":"r1","user":"ana","method":"PUT","identity_id":"i1","identifier":"sofia@example.com","why":"SUP-42 asked to close","changes":[{"pointer":"/traits/name/first","old":"Sofia","new":"Sofie \"S\""},{"pointer":"/credentials/password/config/hashed_password","new":"$2a$10$abcdefghijklmnopqrstuv"},{"pointer":"/metadata_admin/ticket","new":"SUP-42"},{"pointer":"/external_id","old":"x"}]}"#,
            ),
            entry(
                r#"{"time":"2024-05-01T10:00:02.000Z","event":"outcome","request_id":"r1","status":200,"not_kept":["/external_id"]}"#,
            ),
        ];
        let text = table(&entries);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[1].contains("sofia@example.com")
                && lines[1].contains(" 200 ")
                && lines[1].contains("SUP-42 asked to close"),
            "{text}"
        );
        assert!(lines[1].ends_with("not kept: /external_id"), "{text}");
        assert_eq!(lines[2], "    ~ /traits/name/first: \"Sofia\" → \"Sofie \\\"S\\\"\"");
        assert_eq!(
            lines[3],
            "    + /credentials/password/config/hashed_password: \"<redacted>\""
        );
        assert_eq!(lines[4], "    + /metadata_admin/ticket: \"SUP-42\"");
        assert_eq!(lines[5], "    - /external_id: \"x\"");
        assert!(!text.contains("$2a$10$"), "{text}");
    }

    #[test]
    fn terminal_controls_never_reach_the_output() {
        let hostile =
            entry(r#"{"time":"x","event":"intent","user":"a\u001b]52;c;eA==\u0007\u009b31m\u202e","identity_id":"i"}"#);
        let text = table(std::slice::from_ref(&hostile));
        assert!(!text.chars().any(|c| is_unsafe(c) && c != '\n'), "{text:?}");
        let json = json_for_terminal(std::slice::from_ref(&hostile)).unwrap_or_default();
        assert!(!json.chars().any(|c| is_unsafe(c) && c != '\n'), "{json:?}");
        let back: Vec<Entry> = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, vec![hostile]);
    }
}
