//! `idcon audit`: reads the audit trail back, to answer "who changed this,
//! when, and what exactly".
//!
//! The table shows one row per request (its intent and outcome joined by
//! `request_id`; a request without outcome shows `no outcome`, the trace of a
//! crash or a dropped link) and one row per refusal. `--output json` prints
//! the matching lines themselves as one JSON array. Everything printed is made
//! safe for a terminal: the trail holds identity data, which is untrusted.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::audit::{self, Entry, Filter};
use crate::config::Overrides;
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
    status: String,
    changes: String,
    note: String,
}

const HEADINGS: [&str; 9] = [
    "TIME",
    "USER",
    "SSH CLIENT",
    "PROFILE",
    "METHOD",
    "IDENTITY",
    "STATUS",
    "CHANGES",
    "NOTE",
];

/// Longest cell before the last column; longer ones end in `…`.
const MAX_CELL: usize = 48;

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
        status: String::new(),
        changes: entry.changed_pointers().join(" "),
        note: String::new(),
    }
}

fn fill_outcome(row: &mut Row, entry: &Entry) {
    row.status = entry
        .status
        .map_or_else(|| "failed".to_owned(), |status| status.to_string());
    row.note = entry.error.clone().unwrap_or_default();
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

/// The table as text, one line per row, columns padded to their widest cell.
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
            &row.status,
            &row.changes,
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
    for line in &lines {
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
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[1].contains("2024-05-01 10:00:00Z") && lines[1].contains(" 200 ") && lines[1].contains("/state"));
        assert!(lines[2].contains("refused") && lines[2].ends_with("read-only profile"));
        assert!(lines[3].contains("no outcome"));
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
