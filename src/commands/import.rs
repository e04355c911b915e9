//! `idcon import FILE`: creates many identities ("the new cohort", a
//! migration) from JSON lines, one `createIdentityBody` per line, as Kratos's
//! batch `PATCH {identities_path}` creates them (`identity/handler.go`
//! `batchPatchIdentities`), in chunks of `--chunk` (at most 1000, and at most
//! 200 lines with a plaintext password: Kratos's limits). A server without
//! the batch route (404 or 405: an older Kratos, a gateway that does not
//! pass `PATCH`) gets one `POST` per line instead, for the rest of the run.
//!
//! Never the same identity twice, also across runs and lost answers:
//! - every line is checked before anything is sent: a JSON object with
//!   `schema_id` and object `traits`, the traits valid for their schema (read
//!   once per schema), and at least one credential identifier (the traits the
//!   schema marks, or an OIDC/SAML link): a line without one could not be
//!   told apart from an identity already created, so it is refused;
//! - each line's result is appended to `FILE.results.jsonl` (0600, synced)
//!   as soon as it is known, with the file's SHA-256 so results of another
//!   file are never taken for this one's; running `import` again skips lines
//!   already `created`, `already_applied`, `conflict` or `refused`, and tries
//!   `unknown` and `failed` ones again. The file is locked while `import`
//!   runs;
//! - right before each chunk is sent, each line's identifiers are looked up
//!   (`credentials_identifier`, exact). Decision (the issue is silent):
//!   when all of them are held by one identity of the line's schema whose
//!   traits equal the line's (by meaning), it is recorded `already_applied`
//!   with that id (an earlier run's create whose answer was lost); when any
//!   is held otherwise (someone else, or the same identifiers with other
//!   traits), it is a `conflict` naming the holder, and nothing is sent for
//!   it. So an import resumed after a dropped connection creates nobody
//!   twice, even when the results file missed the answer.
//!
//! Audited: one intent and one outcome per request (a batch's intent lists
//! each line's number, schema and identifiers, and "password: set" where
//! there is one: never a password or hash); `--reason`, `require_reason`
//! and read-only refusals as for every write.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{SecondsFormat, Utc};
use clap::Args;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::create::{PasswordSource, cli_words, review_changes};
use super::script::{self, EXIT_CONFLICT, EXIT_ERROR, Failure, print_stdout};
use super::sessions::{AuditedWrite, ConfirmFlags, before_a_write, send_audited, show_and_confirm};
use crate::api::create::{
    BATCH_LIMIT, BATCH_PLAINTEXT_LIMIT, BatchAnswer, BatchItem, Holder, describe_holders, has_plaintext_password,
    identifiers_of,
};
use crate::api::{ApiError, Client};
use crate::app::trait_form::validate::Checker;
use crate::config::{self, Overrides};
use crate::diff::Change;
use crate::who::IdentifierHints;
use crate::write::WriteError;

/// `idcon import`.
#[derive(Debug, Args)]
#[command(after_help = IMPORT_HELP)]
pub struct ImportArgs {
    /// JSON lines, one identity to create per line (Kratos's
    /// createIdentityBody: schema_id, traits, state, metadata_public,
    /// metadata_admin, credentials, ...).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Lines per batch request (at most 1000; at most 200 lines with a
    /// plaintext password go in one).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub chunk: usize,

    #[command(flatten)]
    pub flags: ConfirmFlags,
}

const IMPORT_HELP: &str = "\
Each line's result goes to FILE.results.jsonl as soon as it is known; running
import again continues where it stopped. Before each chunk, every line's
identifiers are looked up: one already held by an identity with the same
traits is recorded as already_applied, one held otherwise as a conflict; no
identity is ever created twice.

Exit codes:
  0  every line is created (now or earlier) or was already there
  1  some lines have an unknown outcome or failed: run import again
  2  a bad line, flag or file; nothing was sent
  3  some lines conflict with existing identities or were refused by the server
  5  refused: read-only profile, or a reason is required; nothing was sent";

pub fn run(global: &Overrides, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    Ok(script::run(args.flags.json(), import(global, args)))
}

/// What became of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineResult {
    /// This run (or an earlier one) created it.
    Created,
    /// An identity with its identifiers and traits was there already.
    AlreadyApplied,
    /// An identifier is held by another identity (or with other traits).
    Conflict,
    /// The server refused the body (400).
    Refused,
    /// The request failed with an answer (not 400/409): try again.
    Failed,
    /// No answer (dropped connection, timeout): try again; the lookup
    /// before the next try tells whether it was created.
    Unknown,
}

impl LineResult {
    /// Whether a later run leaves the line alone.
    pub fn is_final(self) -> bool {
        !matches!(self, LineResult::Failed | LineResult::Unknown)
    }
}

/// One line of `FILE.results.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultLine {
    /// SHA-256 of the input file: results of another file are never taken.
    pub file_sha256: String,
    /// The input line (1-based).
    pub line: usize,
    pub result: LineResult,
    /// The identity created or found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<String>,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `FILE.results.jsonl`.
pub fn results_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".results.jsonl");
    PathBuf::from(name)
}

/// One line to create.
#[derive(Debug, Clone)]
struct Entry {
    line: usize,
    body: Value,
    identifiers: Vec<String>,
}

/// Reads and checks every line; every problem is named by file and line.
fn read_lines(path: &Path, text: &str) -> Result<Vec<(usize, Value)>, Failure> {
    let shown = script::one_line(&path.display().to_string());
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let body: Value = match serde_json::from_str(raw) {
            Ok(body) => body,
            Err(err) => {
                problems.push(format!("{shown}:{line}:{}: not JSON: {err}", err.column()));
                continue;
            }
        };
        if let Err(why) = crate::api::create::check_body_shape(&body) {
            problems.push(format!("{shown}:{line}: {why}"));
            continue;
        }
        out.push((line, body));
    }
    if !problems.is_empty() {
        return Err(Failure::usage(format!("{}; nothing was sent", problems.join("; "))));
    }
    if out.is_empty() {
        return Err(Failure::usage(format!(
            "{shown} holds no identity to create (one JSON object per line)"
        )));
    }
    Ok(out)
}

/// The last result of each line of this file.
fn read_results(path: &Path, sha: &str) -> Result<HashMap<usize, ResultLine>, Failure> {
    let shown = script::one_line(&path.display().to_string());
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(err) => return Err(Failure::error(format!("cannot read the result file {shown}: {err}"))),
    };
    let mut results = HashMap::new();
    for (index, text) in io::BufReader::new(file).lines().enumerate() {
        let text = text.map_err(|err| Failure::error(format!("cannot read the result file {shown}: {err}")))?;
        if text.trim().is_empty() {
            continue;
        }
        let line: ResultLine = match serde_json::from_str(&text) {
            Ok(line) => line,
            Err(err) => {
                eprintln!(
                    "idcon: warning: {shown} line {}: damaged ({err}); ignored, its identity is looked up again",
                    index + 1
                );
                continue;
            }
        };
        if line.file_sha256 != sha {
            return Err(Failure::usage(format!(
                "{shown} holds results of another version of the input file (it changed since); move it away to \
                 import this file; nothing was sent"
            )));
        }
        results.insert(line.line, line);
    }
    Ok(results)
}

/// The results file, locked for this run; each line synced as written.
struct Results {
    file: File,
    shown: String,
    sha: String,
}

impl Results {
    fn open(path: &Path, sha: &str) -> Result<Results, Failure> {
        let shown = script::one_line(&path.display().to_string());
        let file = crate::paths::open_private_append(path)
            .map_err(|err| Failure::error(format!("cannot open the result file {shown}: {err}")))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Failure::error(format!(
                    "another idcon import is working on this file ({shown} is locked); nothing was sent"
                )));
            }
            Err(std::fs::TryLockError::Error(err)) => {
                return Err(Failure::error(format!("cannot lock the result file {shown}: {err}")));
            }
        }
        Ok(Results {
            file,
            shown,
            sha: sha.to_owned(),
        })
    }

    fn record(&mut self, entry: &Entry, result: LineResult, details: Details) -> Result<ResultLine, Failure> {
        let line = ResultLine {
            file_sha256: self.sha.clone(),
            line: entry.line,
            result,
            id: details.id,
            identifiers: entry.identifiers.clone(),
            at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            request_id: details.request_id,
            status: details.status,
            message: details.message.map(|m| script::one_line(&m)),
        };
        let mut text = crate::sanitize::json_inert_line(&line).map_err(|err| Failure::error(err.to_string()))?;
        text.push('\n');
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|err| Failure::error(format!("cannot write the result file {}: {err}", self.shown)))?;
        Ok(line)
    }
}

/// What a result line says beyond its kind.
#[derive(Debug, Default)]
struct Details {
    id: Option<String>,
    request_id: Option<String>,
    status: Option<u16>,
    message: Option<String>,
}

/// What a lookup found for one line before it is sent.
#[derive(Debug, PartialEq)]
enum Found {
    /// None of its identifiers is held: send it.
    Free,
    /// Held by one identity like it: done earlier.
    Same(String),
    /// Held otherwise.
    Taken(Vec<Holder>),
}

/// Decides a line from the identities holding its identifiers (see the
/// module documentation).
async fn look_up(client: &Client, entry: &Entry) -> Result<Found, ApiError> {
    let holders = client.holders_of(&entry.identifiers).await?;
    if holders.is_empty() {
        return Ok(Found::Free);
    }
    let mut ids: Vec<&str> = holders.iter().map(|h| h.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let all_held = entry
        .identifiers
        .iter()
        .all(|i| holders.iter().any(|h| &h.identifier == i));
    if ids.len() == 1 && all_held {
        let id = ids[0].to_owned();
        let held = client.get_identity(&id).await?;
        let same_schema = entry.body.get("schema_id").and_then(Value::as_str) == Some(held.value.schema_id.as_str());
        let same_traits = entry
            .body
            .get("traits")
            .is_some_and(|t| crate::meaning::same_value(t, &held.value.traits));
        if same_schema && same_traits {
            return Ok(Found::Same(id));
        }
    }
    Ok(Found::Taken(holders))
}

/// Counts for the summary.
#[derive(Debug, Default)]
struct Tally {
    by_kind: BTreeMap<&'static str, usize>,
    problems: Vec<String>,
}

impl Tally {
    fn add(&mut self, line: &ResultLine) {
        let kind = match line.result {
            LineResult::Created => "created",
            LineResult::AlreadyApplied => "already_applied",
            LineResult::Conflict => "conflict",
            LineResult::Refused => "refused",
            LineResult::Failed => "failed",
            LineResult::Unknown => "unknown",
        };
        *self.by_kind.entry(kind).or_default() += 1;
        if !matches!(line.result, LineResult::Created | LineResult::AlreadyApplied) {
            self.problems.push(format!(
                "line {}: {kind}: {}",
                line.line,
                line.message.as_deref().unwrap_or("no detail")
            ));
        }
    }

    fn count(&self, kind: &str) -> usize {
        self.by_kind.get(kind).copied().unwrap_or(0)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest as _, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The audit trail's view of one line: its number, schema, identifiers and
/// whether it sets a password (never the value).
fn line_change(index: usize, entry: &Entry) -> Change {
    let password = entry.body.pointer("/credentials/password/config").map(|config| {
        if config
            .get("password")
            .and_then(Value::as_str)
            .is_some_and(|p| !p.is_empty())
        {
            PasswordSource::Plaintext.words()
        } else {
            PasswordSource::Imported.words()
        }
    });
    let mut new = json!({
        "line": entry.line,
        "schema_id": entry.body.get("schema_id"),
        "identifiers": entry.identifiers,
    });
    if let Some(words) = password {
        new["password"] = json!(words);
    }
    Change {
        pointer: format!("/identities/{index}"),
        old: None,
        new: Some(new),
    }
}

async fn import(global: &Overrides, args: &ImportArgs) -> Result<(), Failure> {
    let json_output = args.flags.json();
    if args.chunk == 0 || args.chunk > BATCH_LIMIT {
        return Err(Failure::usage(format!(
            "--chunk {}: give 1 to {BATCH_LIMIT} (Kratos's batch limit)",
            args.chunk
        )));
    }
    let shown = script::one_line(&args.file.display().to_string());
    let bytes = std::fs::read(&args.file).map_err(|err| Failure::usage(format!("{shown}: cannot read it: {err}")))?;
    let text = String::from_utf8(bytes.clone()).map_err(|err| Failure::usage(format!("{shown}: not UTF-8: {err}")))?;
    let sha = sha256_hex(&bytes);
    let lines = read_lines(&args.file, &text)?;
    let results_file = results_path(&args.file);
    let earlier = read_results(&results_file, &sha)?;

    let profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;
    let url = format!("{}{}", client.base_url(), client.identities_path());
    let (audit, reason) = before_a_write(&profile, &client, &args.flags, "PATCH", url.clone(), None).await?;

    // Every line checked against its schema (read once each) before anything is sent.
    let mut schemas: HashMap<String, Option<(Checker, IdentifierHints)>> = HashMap::new();
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (line, body) in lines {
        let schema_id = body
            .get("schema_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if !schemas.contains_key(&schema_id) {
            let read = match client.get_schema(&schema_id).await {
                Ok(schema) => Some((Checker::new(&schema.value), IdentifierHints::from_schema(&schema.value))),
                Err(err) if err.is_not_found() => None,
                Err(err) => return Err(Failure::api(&err)),
            };
            schemas.insert(schema_id.clone(), read);
        }
        let Some(Some((checker, hints))) = schemas.get(&schema_id) else {
            problems.push(format!(
                "line {line}: the server has no identity schema {}",
                script::one_line(&schema_id)
            ));
            continue;
        };
        let traits = body.get("traits").cloned().unwrap_or(Value::Null);
        let found: Vec<String> = checker
            .check(&traits)
            .iter()
            .map(|p| format!("/traits{}: {}", p.pointer, cli_words(&p.message)))
            .collect();
        if !found.is_empty() {
            problems.push(format!("line {line}: {}", script::one_line(&found.join("; "))));
            continue;
        }
        let identifiers = identifiers_of(&body, Some(hints));
        if identifiers.is_empty() {
            problems.push(format!(
                "line {line}: no credential identifier (the schema's identifier traits are empty and there is no OIDC \
                 link): import could not tell whether it was created already"
            ));
            continue;
        }
        entries.push(Entry {
            line,
            body,
            identifiers,
        });
    }
    if !problems.is_empty() {
        return Err(Failure::usage(format!(
            "{shown}: {}; nothing was sent",
            problems.join("; ")
        )));
    }
    // Identifiers appearing twice in the file would be the same person twice.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for entry in &entries {
        for identifier in &entry.identifiers {
            if let Some(first) = seen.insert(identifier.as_str(), entry.line) {
                return Err(Failure::usage(format!(
                    "{shown}: lines {first} and {} both have the identifier {}; nothing was sent",
                    entry.line,
                    script::one_line(identifier)
                )));
            }
        }
    }

    let mut tally = Tally::default();
    let mut todo = Vec::new();
    for entry in entries {
        match earlier.get(&entry.line) {
            Some(done) if done.result.is_final() => tally.add(done),
            _ => todo.push(entry),
        }
    }
    let before_run = entries_done(&tally);
    if todo.is_empty() {
        return report(&tally, json_output, &results_file);
    }
    let mut plan = script::render_heading(
        &format!(
            "PATCH {} (profile \"{}\")",
            script::one_line(&url),
            script::one_line(&profile.name)
        ),
        false,
    );
    plan.push_str(&script::render_who_and_why(None, reason.as_deref()));
    plan.push_str(&format!(
        "  creates {} identities from {shown}{}\n",
        todo.len(),
        if before_run > 0 {
            format!(" ({before_run} done in an earlier run)")
        } else {
            String::new()
        }
    ));
    for entry in todo.iter().take(5) {
        plan.push_str(&format!(
            "    line {}: {}\n",
            entry.line,
            script::one_line(&entry.identifiers.join(", "))
        ));
    }
    if todo.len() > 5 {
        plan.push_str(&format!("    … and {} more\n", todo.len() - 5));
    }
    show_and_confirm(&plan, &args.flags, &format!("Create {} identities?", todo.len()))?;

    let mut results = Results::open(&results_file, &sha)?;
    let mut batch_supported = true;
    let mut rest = todo.as_slice();
    while !rest.is_empty() {
        // A chunk: at most --chunk lines, at most 200 with a plaintext password.
        let mut size = 0;
        let mut plaintexts = 0;
        for entry in rest.iter().take(args.chunk) {
            let plain = has_plaintext_password(&entry.body);
            if plain && plaintexts == BATCH_PLAINTEXT_LIMIT {
                break;
            }
            plaintexts += usize::from(plain);
            size += 1;
        }
        let (chunk, after) = rest.split_at(size.max(1));
        rest = after;

        // Right before sending: who holds these identifiers now?
        let mut to_send: Vec<&Entry> = Vec::new();
        for entry in chunk {
            match look_up(&client, entry).await {
                Ok(Found::Free) => to_send.push(entry),
                Ok(Found::Same(id)) => {
                    let message = "an identity with these identifiers and traits exists already (an earlier run's)";
                    let details = Details {
                        id: Some(id),
                        message: Some(message.to_owned()),
                        ..Details::default()
                    };
                    tally.add(&results.record(entry, LineResult::AlreadyApplied, details)?);
                }
                Ok(Found::Taken(holders)) => {
                    let details = Details {
                        message: Some(format!("{}; not sent", describe_holders(&holders))),
                        ..Details::default()
                    };
                    tally.add(&results.record(entry, LineResult::Conflict, details)?);
                }
                Err(err) => {
                    let details = Details {
                        status: err.status(),
                        message: Some(format!("the lookup before sending failed: {err}")),
                        ..Details::default()
                    };
                    tally.add(&results.record(entry, LineResult::Unknown, details)?);
                }
            }
        }
        if to_send.is_empty() {
            continue;
        }
        if batch_supported {
            match send_batch(&client, &audit, reason.as_deref(), &to_send, &mut results, &mut tally).await? {
                BatchSent::Done => continue,
                BatchSent::Unsupported => {
                    script::warn(
                        "the server has no batch create (PATCH answered 404/405): one POST per identity from here on",
                        json_output,
                    );
                    batch_supported = false;
                }
            }
        }
        for entry in to_send {
            send_one(&client, &audit, reason.as_deref(), entry, &mut results, &mut tally).await?;
        }
    }
    report(&tally, json_output, &results_file)
}

fn entries_done(tally: &Tally) -> usize {
    tally.by_kind.values().sum()
}

enum BatchSent {
    Done,
    Unsupported,
}

/// One batch request between its audit intent and outcome; each line's
/// result recorded.
async fn send_batch(
    client: &Client,
    audit: &std::sync::Arc<crate::audit::AuditLog>,
    reason: Option<&str>,
    entries: &[&Entry],
    results: &mut Results,
    tally: &mut Tally,
) -> Result<BatchSent, Failure> {
    let bodies: Vec<(String, Value)> = entries
        .iter()
        .map(|e| (uuid::Uuid::new_v4().to_string(), e.body.clone()))
        .collect();
    let prepared = client.prepare_batch_create(&bodies).map_err(|err| Failure::api(&err))?;
    let write = AuditedWrite {
        identity_id: None,
        identifier: Some(format!("{} identities: {}", entries.len(), first_identifiers(entries))),
        why: reason.map(str::to_owned),
        changes: entries.iter().enumerate().map(|(i, e)| line_change(i, e)).collect(),
    };
    let sent = script::finish_despite_signals(send_audited(client, Some(audit), &prepared, &write, async {
        match client.send_batch_create(&prepared, entries.len()).await? {
            BatchAnswer::Results(response) => Ok(crate::api::Response {
                value: Some(response.value),
                exchange: response.exchange,
            }),
            BatchAnswer::Unsupported(exchange) => Ok(crate::api::Response {
                value: None,
                exchange: *exchange,
            }),
        }
    }))
    .await;
    let request_id = Some(prepared.request_id.clone());
    let done = match sent {
        Ok(done) => done,
        Err(err) => {
            let (kind, status) = failed_kind(&err);
            for entry in entries {
                let details = Details {
                    request_id: request_id.clone(),
                    status,
                    message: Some(format!("{err}")),
                    ..Details::default()
                };
                tally.add(&results.record(entry, kind, details)?);
            }
            return Ok(BatchSent::Done);
        }
    };
    if let Some(warning) = &done.audit_warning {
        script::warn(warning, false);
    }
    let status = Some(done.response.exchange.status);
    let Some(items) = done.response.value else {
        return Ok(BatchSent::Unsupported);
    };
    for (entry, item) in entries.iter().zip(items) {
        let (kind, details) = match item {
            BatchItem::Created { id } => (
                LineResult::Created,
                Details {
                    id: Some(id),
                    ..Details::default()
                },
            ),
            failed @ BatchItem::Failed { .. } if failed.is_conflict() => {
                let holders = client.holders_of(&entry.identifiers).await.unwrap_or_default();
                let message = if holders.is_empty() {
                    "the server says an identifier is already taken".to_owned()
                } else {
                    describe_holders(&holders)
                };
                (
                    LineResult::Conflict,
                    Details {
                        message: Some(message),
                        ..Details::default()
                    },
                )
            }
            BatchItem::Failed { code, error } => {
                let kind = if code == Some(400) {
                    LineResult::Refused
                } else {
                    LineResult::Failed
                };
                let text = error.reason.clone().or(error.message.clone()).unwrap_or_default();
                (
                    kind,
                    Details {
                        message: Some(format!("the server refused it: {text}")),
                        ..Details::default()
                    },
                )
            }
            BatchItem::Missing => (
                LineResult::Unknown,
                Details {
                    message: Some("the server's answer has no result for it".to_owned()),
                    ..Details::default()
                },
            ),
        };
        let details = Details {
            request_id: request_id.clone(),
            status,
            ..details
        };
        tally.add(&results.record(entry, kind, details)?);
    }
    Ok(BatchSent::Done)
}

/// One `POST` between its audit intent and outcome.
async fn send_one(
    client: &Client,
    audit: &std::sync::Arc<crate::audit::AuditLog>,
    reason: Option<&str>,
    entry: &Entry,
    results: &mut Results,
    tally: &mut Tally,
) -> Result<(), Failure> {
    let prepared = client
        .prepare_create_identity(&entry.body)
        .map_err(|err| Failure::api(&err))?;
    let password = entry.body.pointer("/credentials/password/config").map(|_| {
        if has_plaintext_password(&entry.body) {
            PasswordSource::Plaintext
        } else {
            PasswordSource::Imported
        }
    });
    let write = AuditedWrite {
        identity_id: None,
        identifier: entry.identifiers.first().cloned(),
        why: reason.map(str::to_owned),
        changes: review_changes(&entry.body, password),
    };
    let sent = script::finish_despite_signals(send_audited(
        client,
        Some(audit),
        &prepared,
        &write,
        client.send_create_identity(&prepared),
    ))
    .await;
    let request_id = Some(prepared.request_id.clone());
    let (kind, details) = match sent {
        Ok(done) => (
            LineResult::Created,
            Details {
                id: Some(done.response.value.id.clone()),
                status: Some(done.response.exchange.status),
                ..Details::default()
            },
        ),
        Err(WriteError::Api(err)) if err.status() == Some(409) => {
            let holders = client.holders_of(&entry.identifiers).await.unwrap_or_default();
            (
                LineResult::Conflict,
                Details {
                    status: Some(409),
                    message: Some(if holders.is_empty() {
                        "the server says an identifier is already taken".to_owned()
                    } else {
                        describe_holders(&holders)
                    }),
                    ..Details::default()
                },
            )
        }
        Err(err) => {
            let (kind, status) = failed_kind(&err);
            (
                kind,
                Details {
                    status,
                    message: Some(format!("{err}")),
                    ..Details::default()
                },
            )
        }
    };
    let details = Details { request_id, ..details };
    tally.add(&results.record(entry, kind, details)?);
    Ok(())
}

/// A failed request: refused (400), failed (another answer) or unknown (no answer).
fn failed_kind(err: &WriteError) -> (LineResult, Option<u16>) {
    match err {
        WriteError::Api(api) => match api.status() {
            Some(400) => (LineResult::Refused, Some(400)),
            Some(status) => (LineResult::Failed, Some(status)),
            None => (LineResult::Unknown, None),
        },
        _ => (LineResult::Failed, None),
    }
}

fn first_identifiers(entries: &[&Entry]) -> String {
    let mut shown: Vec<&str> = entries
        .iter()
        .take(3)
        .filter_map(|e| e.identifiers.first().map(String::as_str))
        .collect();
    if entries.len() > 3 {
        shown.push("…");
    }
    shown.join(", ")
}

/// `1 line` or `N lines`.
fn count_lines(n: usize) -> String {
    if n == 1 {
        "1 line".to_owned()
    } else {
        format!("{n} lines")
    }
}

fn report(tally: &Tally, json_output: bool, results_file: &Path) -> Result<(), Failure> {
    let shown = script::one_line(&results_file.display().to_string());
    if json_output {
        let doc = json!({
            "created": tally.count("created"),
            "already_applied": tally.count("already_applied"),
            "conflict": tally.count("conflict"),
            "refused": tally.count("refused"),
            "failed": tally.count("failed"),
            "unknown": tally.count("unknown"),
            "results_file": results_file.display().to_string(),
        });
        print_stdout(&format!("{}\n", script::json_text(&doc)))?;
    } else {
        print_stdout(&format!(
            "created {}, already there {}, conflicts {}, refused {}, failed {}, unknown {} (each line's result in {shown})\n",
            tally.count("created"),
            tally.count("already_applied"),
            tally.count("conflict"),
            tally.count("refused"),
            tally.count("failed"),
            tally.count("unknown"),
        ))?;
        for problem in &tally.problems {
            eprintln!("idcon: {}", script::one_line(problem));
        }
    }
    if tally.count("failed") + tally.count("unknown") > 0 {
        return Err(Failure::new(
            EXIT_ERROR,
            format!(
                "{} failed or have no answer: run idcon import again (it continues from {shown} and looks each \
                 one up first)",
                count_lines(tally.count("failed") + tally.count("unknown"))
            ),
        ));
    }
    if tally.count("conflict") + tally.count("refused") > 0 {
        return Err(Failure::new(
            EXIT_CONFLICT,
            format!(
                "{} not created (conflicts or refused): see {shown}",
                count_lines(tally.count("conflict") + tally.count("refused"))
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failed_and_unknown_lines_are_tried_again() {
        for (kind, final_) in [
            (LineResult::Created, true),
            (LineResult::AlreadyApplied, true),
            (LineResult::Conflict, true),
            (LineResult::Refused, true),
            (LineResult::Failed, false),
            (LineResult::Unknown, false),
        ] {
            assert_eq!(kind.is_final(), final_, "{kind:?}");
        }
    }

    #[test]
    fn bad_lines_are_named_by_file_and_line() {
        let text = "{\"schema_id\":\"s\",\"traits\":{}}\n\nnot json\n{\"traits\":{}}\n";
        let Err(failure) = read_lines(Path::new("new.jsonl"), text) else {
            panic!("accepted bad lines")
        };
        assert!(
            failure.message.contains("new.jsonl:3:2: not JSON"),
            "{}",
            failure.message
        );
        assert!(
            failure
                .message
                .contains("new.jsonl:4: a create body needs \"schema_id\""),
            "{}",
            failure.message
        );
    }

    #[test]
    fn the_audit_view_of_a_line_never_holds_the_password() {
        let entry = Entry {
            line: 7,
            body: json!({"schema_id": "s", "traits": {"email": "a@b.c"},
                "credentials": {"password": {"config": {"password": "hunter2-secret"}}}}),
            identifiers: vec!["a@b.c".into()],
        };
        let change = line_change(0, &entry);
        let text = change.new.map(|v| v.to_string()).unwrap_or_default();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("\"line\":7") && text.contains("password"), "{text}");
    }
}
