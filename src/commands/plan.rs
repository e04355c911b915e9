//! `idcon plan --input FILE`: the first half of a bulk change ("deactivate
//! these 300 accounts"). Each input entry names one identity and what to
//! change; the identity is read and its body built with [`write::plan()`],
//! exactly as `idcon update` builds it, and everything `idcon apply` needs
//! later goes into one plan file for review.
//!
//! The plan file (JSON, written 0600 and atomically) holds, per identity:
//! its id, the input line, `updated_at`, the redacted changes, the complete
//! body to send, and the whole identity as it was read (the `snapshot`).
//! `apply` compares the snapshot with a fresh read right before sending, so
//! any change since the plan, in any member a PUT replaces, is noticed; and
//! it tells a write that already reached the server from one that did not.
//!
//! Identities are read in batches of the list `ids` filter
//! ([`write::read_many`]: about 190 a request, within Kratos's 500 and a
//! gateway's 8 KiB request line), identifiers with one search each, and the
//! identity schemas once per run, at the same time as the reads, so each
//! identity is named by its schema's identifier ([`script::SchemaHints`]).
//! A list answer carries no `credentials`, so the snapshot is kept in that
//! shape ([`write::ReadShape::List`], plan format 2) and `apply` reads and
//! compares in the same shape.
//!
//! No secret reaches the disk. Plans never carry passwords, hashes or any
//! credentials, and the secrets an identity holds (the Yoti issuance token in
//! `metadata_admin`, also at the profile's own `issuance_token_pointer`,
//! anything else the secret rules name) are `<redacted>` in the body and the
//! snapshot. A plan cannot change such a member (it is refused at plan time),
//! so `apply` puts back what the fresh read holds there right before the
//! PUT ([`with_fresh_secrets`]) and compares the rest
//! ([`redacted_like`]).

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::script::{self, Failure};
use super::update::StateArg;
use crate::api::models::{REDACTED, redact_all_secrets, secret_strings};
use crate::api::{ApiError, Client, IdentityFilter, IdentityQuery, IdentityState};
use crate::config;
use crate::config::Overrides;
use crate::diff::{self, Change};
use crate::write::{self, Edit, PlannedWrite, Snapshot};

/// The plan file format this idcon writes: 2, snapshots in Kratos's list
/// shape (no `credentials`; [`write::ReadShape::List`]). `apply` still reads
/// format 1 (whole GET answers as snapshots), each identity with one GET as
/// when it was planned ([`PlanFile::read_shape`]). An older idcon refuses a
/// format 2 plan rather than taking every snapshot for changed.
pub const PLAN_FORMAT: u32 = 2;

/// The format of a plan with a step beyond the PUT: an entry that revokes
/// its identity's sessions (`plan --revoke-sessions`) or deletes its
/// identity. A plan without such entries is written as [`PLAN_FORMAT`], so an
/// older idcon still applies it; one with them as 3, which an older idcon
/// refuses instead of silently leaving the sessions alone.
pub const PLAN_FORMAT_WITH_STEPS: u32 = 3;

/// The oldest plan format this idcon applies.
pub const OLDEST_PLAN_FORMAT: u32 = 1;

/// The newest plan format this idcon applies.
pub const NEWEST_PLAN_FORMAT: u32 = PLAN_FORMAT_WITH_STEPS;

/// Input errors shown before the rest is summarised as "and N more".
const MAX_SHOWN_INPUT_ERRORS: usize = 20;

const PLAN_HELP: &str = "\
Input (one entry per line; blank lines and lines starting with # are skipped):
  {\"id\": \"ID\", \"set\": {\"/metadata_admin/ticket\": \"SUP-42\"}}
  {\"identifier\": \"ana@example.com\", \"state\": \"inactive\", \"reason\": \"SUP-42\"}
  ID                      (a plain id: needs --state)
\"identifier\" is resolved with Kratos's credentials_identifier search and must
match exactly one identity. \"set\" maps JSON pointers to JSON values, as
`idcon update --set`. --state applies to every entry without its own \"state\",
--reason to every entry without its own \"reason\" (recorded in the audit
trail when the entry is applied).
Passwords and credentials cannot be planned (plans are files: no secrets on disk).
--revoke-sessions: apply revokes all sessions of each identity the entry leaves
inactive, after its PUT (entries that leave it active keep their sessions).

The plan file (0600) holds per identity the id, updated_at, the changes, the
body to send and the identity as read; review it, then run `idcon apply PLAN`.
Planning only reads, so it also works with a read-only profile.

Exit codes:
  0  every entry planned (or already as asked)
  1  some entries could not be planned (the plan holds the others), or an error
  2  usage: bad flags or input; nothing was read and no plan written";

#[derive(Debug, Args)]
#[command(after_help = PLAN_HELP)]
pub struct PlanArgs {
    /// JSON lines of {"id" or "identifier", "set", "state"}, or one identity
    /// id per line (with --state); - reads stdin.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,

    /// New state for every entry that does not give its own "state".
    #[arg(long, value_enum)]
    pub state: Option<StateArg>,

    /// Where to write the plan (default: INPUT.plan.json).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// How many requests at the same time (identifier searches; batched
    /// reads of up to ~190 identities each).
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=32))]
    pub jobs: u16,

    /// After each deactivation's PUT, revoke all of the identity's sessions
    /// (`DELETE {identities_path}/{id}/sessions`, its own audited request).
    /// Only for entries that leave their identity inactive; others are
    /// planned without it (said on stderr).
    #[arg(long, conflicts_with = "delete")]
    pub revoke_sessions: bool,

    /// Delete every identity named by an entry without its own "set",
    /// "state" or "delete" (a plain id per line, or {"id": ...}): `apply`
    /// checks each against the plan's snapshot and deletes it for good
    /// (`DELETE {identities_path}/{id}`; its sessions go with it).
    #[arg(long, conflicts_with = "state")]
    pub delete: bool,

    #[command(flatten)]
    pub reason: script::ReasonFlag,
}

/// A plan as stored on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanFile {
    /// Format version ([`PLAN_FORMAT`]).
    pub idcon_plan: u32,
    /// Ties the result file to this plan: results of another plan are never
    /// taken for this one's.
    pub plan_id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The profile the plan was read with (informative: `apply` checks the URL).
    pub profile: String,
    /// Where the identities live (`{base}{identities_path}/`): `apply` refuses
    /// a profile that points elsewhere.
    pub identities_url: String,
    /// The input file, as given.
    pub input: String,
    /// The writes, in input order.
    pub entries: Vec<PlanEntry>,
    /// Entries whose identity already is as asked: nothing to send.
    #[serde(default)]
    pub noops: Vec<PlanNote>,
    /// Entries that could not be planned.
    #[serde(default)]
    pub errors: Vec<PlanNote>,
}

impl PlanFile {
    /// How the snapshots were read, and so how `apply` reads them again:
    /// format 1 plans hold whole GET answers, later ones the list shape.
    pub fn read_shape(&self) -> write::ReadShape {
        if self.idcon_plan <= 1 {
            write::ReadShape::Get
        } else {
            write::ReadShape::List
        }
    }
}

/// One planned write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanEntry {
    /// The input line it came from.
    pub line: usize,
    pub id: String,
    /// `updated_at` of the identity as read.
    pub updated_at: Option<String>,
    /// What the write changes (secrets redacted; plans hold none anyway).
    /// Empty for a delete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// The complete `updateIdentityBody` to send; none (`null`) for a delete.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub body: Value,
    /// The identity as read, in Kratos's list shape (no `credentials`;
    /// format 1 plans: the whole GET answer), every secret redacted: what
    /// `apply` compares a fresh read with.
    pub snapshot: Value,
    /// Why (the entry's `"reason"`, else `plan --reason`): the audit intent's
    /// `why` when `apply` sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who the identity is ([`crate::who::primary_identifier`]), for the
    /// review, `apply`'s question and the audit trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// The identity's name ([`crate::who::display_name`]), for the review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// After the PUT, revoke all of the identity's sessions (`plan
    /// --revoke-sessions`; only on entries that leave it inactive). `apply`
    /// records it as its own step in the results file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revoke_sessions: bool,
    /// Delete the identity (`{"id": ..., "delete": true}`, `plan --delete`)
    /// instead of a PUT: `apply` compares a fresh read with `snapshot` first
    /// and deletes only an unchanged identity.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete: bool,
    /// For a delete: the credentials the person loses, as read by a GET when
    /// planned (`[{"type", "identifiers"}]`, never a config), for the review
    /// and the audit intent's snapshot of what was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_lost: Option<Value>,
}

/// An input entry that is not a write: a no-op or an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanNote {
    pub line: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub message: String,
}

impl PlanEntry {
    /// The entry of `planned`, every secret `<redacted>` (`token_pointer` is
    /// the profile's `issuance_token_pointer`). Refused when the write
    /// changes, adds or drops a secret member: the plan could not carry it,
    /// and `apply` could not put it back.
    fn from_planned(line: usize, planned: &PlannedWrite, token_pointer: &str) -> Result<PlanEntry, String> {
        if planned.body.credentials.is_some() {
            return Err("a plan cannot carry credentials".to_owned());
        }
        let mut body = serde_json::to_value(&planned.body).map_err(|err| format!("cannot encode the body: {err}"))?;
        let unchanged = write::plan(&planned.base, &Edit::default()).map_err(|err| err.to_string())?;
        let unchanged =
            serde_json::to_value(&unchanged.body).map_err(|err| format!("cannot encode the body: {err}"))?;
        let before = secret_strings(&unchanged, Some(token_pointer));
        let after = secret_strings(&body, Some(token_pointer));
        if let Some((pointer, _)) = after
            .iter()
            .find(|secret| !before.contains(secret))
            .or_else(|| before.iter().find(|secret| !after.contains(secret)))
        {
            return Err(format!(
                "it would change the secret member {} (a plan is a file and cannot carry a secret):                  change it with `idcon update` instead",
                script::one_line(pointer)
            ));
        }
        redact_all_secrets(&mut body, Some(token_pointer));
        // The list shape, whatever the read was: a plan holds no credentials.
        let mut snapshot = write::shaped(planned.base.clone(), write::ReadShape::List).raw;
        redact_all_secrets(&mut snapshot, Some(token_pointer));
        let entry = PlanEntry {
            line,
            id: planned.identity_id.clone(),
            updated_at: planned.base.updated_at().map(str::to_owned),
            changes: planned.changes.clone(),
            body,
            snapshot,
            reason: planned.reason.clone(),
            identifier: planned.identifier.clone(),
            name: planned.display_name(),
            revoke_sessions: false,
            delete: false,
            credentials_lost: None,
        };
        // What `apply` will read back must be this very write (a member
        // that holds a copy of a secret would not be).
        entry
            .planned()
            .map_err(|why| format!("it touches a member that holds a secret, which a plan cannot carry ({why})"))?;
        Ok(entry)
    }

    /// The delete entry of the identity `planned` was planned on (its body
    /// unchanged, no changes), every secret of the snapshot `<redacted>`;
    /// `credentials` what a GET said it signs in with.
    fn from_delete(
        line: usize,
        planned: &PlannedWrite,
        token_pointer: &str,
        credentials: &[crate::api::delete::CredentialEntry],
    ) -> PlanEntry {
        let mut snapshot = write::shaped(planned.base.clone(), write::ReadShape::List).raw;
        redact_all_secrets(&mut snapshot, Some(token_pointer));
        let credentials: Vec<Value> = credentials
            .iter()
            .map(|c| serde_json::json!({"type": c.kind, "identifiers": c.identifiers}))
            .collect();
        PlanEntry {
            line,
            id: planned.identity_id.clone(),
            updated_at: planned.base.updated_at().map(str::to_owned),
            changes: Vec::new(),
            body: Value::Null,
            snapshot,
            reason: planned.reason.clone(),
            identifier: planned.identifier.clone(),
            name: planned.display_name(),
            revoke_sessions: false,
            delete: true,
            credentials_lost: Some(Value::Array(credentials)),
        }
    }

    /// What a delete takes away, for the audit intent: the snapshot (its
    /// secrets already `<redacted>`) as [`crate::api::delete::snapshot`]
    /// keeps it, with the credentials the plan read (types and identifiers).
    pub fn deleted_snapshot(&self) -> Value {
        let mut doc = crate::api::delete::snapshot(&self.snapshot);
        if let (Some(credentials), Some(members)) = (&self.credentials_lost, doc.as_object_mut()) {
            members.insert("credentials".to_owned(), credentials.clone());
        }
        doc
    }

    /// For the review: `password (ana@example.com), oidc (google:1234), totp`,
    /// made safe for a terminal; `none` when it has none.
    pub fn credentials_text(&self) -> String {
        let entries = self
            .credentials_lost
            .as_ref()
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let parts: Vec<String> = entries
            .iter()
            .map(|c| {
                let kind = script::one_line(c.get("type").and_then(Value::as_str).unwrap_or("?"));
                let identifiers: Vec<String> = c
                    .get("identifiers")
                    .and_then(Value::as_array)
                    .map(|ids| ids.iter().filter_map(Value::as_str).map(script::one_line).collect())
                    .unwrap_or_default();
                if identifiers.is_empty() {
                    kind
                } else {
                    format!("{kind} ({})", identifiers.join(", "))
                }
            })
            .collect();
        if parts.is_empty() {
            "none".to_owned()
        } else {
            parts.join(", ")
        }
    }

    /// The write this entry describes, ready for [`write::send()`]. The changes
    /// are worked out again from the snapshot and the body and must match the
    /// stored ones, so what was reviewed is what is sent and audited. A
    /// delete's is its identity as planned, with a body that changes nothing.
    pub fn planned(&self) -> Result<PlannedWrite, String> {
        let base = Snapshot::from_raw(self.snapshot.clone())
            .map_err(|err| format!("its snapshot is not an identity: {err}"))?;
        if base.id() != self.id {
            return Err(format!(
                "its snapshot is identity {}, not {}",
                script::one_line(base.id()),
                script::one_line(&self.id)
            ));
        }
        if self.delete {
            if !self.body.is_null() || !self.changes.is_empty() || self.revoke_sessions {
                return Err("a delete entry holds no body, changes or revoke (was the plan file edited?)".to_owned());
            }
            let unchanged = write::plan(&base, &Edit::default()).map_err(|err| err.to_string())?;
            let identifier = self
                .identifier
                .clone()
                .or_else(|| crate::who::primary_identifier(&base.identity.traits, None));
            return Ok(PlannedWrite {
                identifier,
                reason: self.reason.clone(),
                ..unchanged
            });
        }
        let body: crate::api::UpdateIdentityBody = serde_json::from_value(self.body.clone())
            .map_err(|err| format!("its body is not an identity update: {err}"))?;
        if body.credentials.is_some() {
            return Err("its body carries credentials, which plans never do".to_owned());
        }
        // The body that changes nothing, built by the shared pipeline.
        let unchanged = write::plan(&base, &Edit::default()).map_err(|err| err.to_string())?;
        let old = serde_json::to_value(&unchanged.body).map_err(|err| err.to_string())?;
        let new = serde_json::to_value(&body).map_err(|err| err.to_string())?;
        let changes = diff::redacted(diff::diff(&old, &new));
        if changes.is_empty() {
            return Err("its body changes nothing".to_owned());
        }
        if changes != self.changes {
            return Err("its body does not match its changes (was the plan file edited?)".to_owned());
        }
        let identifier = self
            .identifier
            .clone()
            .or_else(|| crate::who::primary_identifier(&base.identity.traits, None));
        Ok(PlannedWrite {
            identity_id: self.id.clone(),
            base,
            body,
            changes,
            identifier,
            reason: self.reason.clone(),
        })
    }
}

/// `latest` (a fresh read) as a plan's snapshot `base` holds it: every secret
/// the secret rules name, and every member `base` holds as `<redacted>` (the
/// profile's own token pointer), `<redacted>` too. A secret the server changed
/// meanwhile is not seen as a change: the plan never changes one, and
/// [`with_fresh_secrets`] sends the server's current value.
pub fn redacted_like(base: &Snapshot, latest: Snapshot) -> Snapshot {
    let mut raw = latest.raw;
    redact_all_secrets(&mut raw, None);
    for pointer in placeholders(&base.raw) {
        if let Some(slot) = raw
            .pointer_mut(&pointer)
            .filter(|slot| slot.is_string() || slot.is_number())
        {
            *slot = Value::String(REDACTED.to_owned());
        }
    }
    Snapshot {
        identity: latest.identity,
        raw,
    }
}

/// The write to send now: `planned`'s body with every `<redacted>` member (a
/// secret the plan leaves as it is) filled with what `latest`, the read right
/// before the PUT, holds there. Refused when the server no longer holds one.
pub fn with_fresh_secrets(planned: &PlannedWrite, latest: &Snapshot) -> Result<PlannedWrite, String> {
    let mut body = serde_json::to_value(&planned.body).map_err(|err| format!("cannot encode the body: {err}"))?;
    let missing: Vec<String> = placeholders(&body)
        .into_iter()
        .filter(
            |pointer| match (latest.raw.pointer(pointer), body.pointer_mut(pointer)) {
                (Some(now), Some(slot)) => {
                    *slot = now.clone();
                    false
                }
                _ => true,
            },
        )
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the server no longer holds {}, which the plan keeps as it was: make a new plan",
            missing
                .iter()
                .map(|p| script::one_line(p))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let body = serde_json::from_value(body).map_err(|err| format!("the body is not an identity update: {err}"))?;
    Ok(PlannedWrite {
        identity_id: planned.identity_id.clone(),
        base: latest.clone(),
        body,
        changes: planned.changes.clone(),
        identifier: planned.identifier.clone(),
        reason: planned.reason.clone(),
    })
}

/// The pointers of every string `<redacted>` in `value`.
fn placeholders(value: &Value) -> Vec<String> {
    diff::pointers(value)
        .into_iter()
        .filter(|pointer| value.pointer(pointer).and_then(Value::as_str) == Some(REDACTED))
        .collect()
}

/// Reads and checks a plan file. Every problem names the file.
pub fn load(path: &Path) -> Result<PlanFile, String> {
    load_with_digest(path).map(|(plan, _)| plan)
}

/// The short digest of a plan file's bytes, `sha256:` and 16 hex digits:
/// `plan` prints it, `apply` shows it before asking (and checks it against
/// `--digest`), so a plan swapped or edited after it was reviewed is noticed.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::{Digest as _, Sha256};
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// [`load`], with the [`digest`] of exactly the bytes that were read.
pub fn load_with_digest(path: &Path) -> Result<(PlanFile, String), String> {
    let shown = script::one_line(&path.display().to_string());
    let bytes = fs::read(path).map_err(|err| format!("plan {shown}: cannot read it: {err}"))?;
    let digest = digest(&bytes);
    let text = String::from_utf8(bytes).map_err(|err| format!("plan {shown}: not UTF-8 text: {err}"))?;
    let head: Value = serde_json::from_str(&text)
        .map_err(|err| format!("plan {shown}:{}:{}: not JSON: {err}", err.line(), err.column()))?;
    match head.get("idcon_plan").and_then(Value::as_u64) {
        Some(version) if (u64::from(OLDEST_PLAN_FORMAT)..=u64::from(NEWEST_PLAN_FORMAT)).contains(&version) => {}
        Some(version) => {
            return Err(format!(
                "plan {shown} has format {version}; this idcon reads formats {OLDEST_PLAN_FORMAT} to {NEWEST_PLAN_FORMAT}"
            ));
        }
        None => return Err(format!("plan {shown} is not an idcon plan (no \"idcon_plan\" member)")),
    }
    let plan: PlanFile = serde_json::from_value(head).map_err(|err| format!("plan {shown}: {err}"))?;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for entry in &plan.entries {
        if let Some(line) = seen.insert(entry.id.as_str(), entry.line) {
            return Err(format!(
                "plan {shown}: identity {} is planned twice (lines {line} and {})",
                script::one_line(&entry.id),
                entry.line
            ));
        }
    }
    Ok((plan, digest))
}

/// Where `apply` records what it did with each identity of `plan`:
/// `PLAN.results.jsonl` next to it.
pub fn results_path(plan: &Path) -> PathBuf {
    let mut name: OsString = plan.as_os_str().to_owned();
    name.push(".results.jsonl");
    PathBuf::from(name)
}

/// `{base}{identities_path}/`: the URL prefix of every identity of a client.
pub fn identities_url(client: &Client) -> String {
    client.identity_url("")
}

pub fn run(global: &Overrides, args: &PlanArgs) -> anyhow::Result<ExitCode> {
    Ok(script::run_parallel(false, plan(global, args)))
}

/// Which identity an input entry names.
#[derive(Debug, Clone, PartialEq)]
enum Selector {
    Id(String),
    Identifier(String),
}

/// One parsed input entry.
#[derive(Debug, Clone, PartialEq)]
struct Request {
    line: usize,
    selector: Selector,
    edit: Edit,
    /// `"delete": true` (or `--delete`): delete the identity, `edit` is empty.
    delete: bool,
    /// Its own `"reason"` (cleaned), else `--reason`.
    reason: Option<String>,
}

/// What reading and planning one entry gave.
enum Resolved {
    /// The write, and its plan entry once made (or why it cannot be one).
    Planned(Box<PlannedWrite>, Option<Box<Result<PlanEntry, String>>>),
    Noop(String),
}

/// Why one entry was not planned: a problem of that entry alone, or one that
/// stops the whole plan (the server is down, the key is refused).
enum EntryError {
    Entry { id: Option<String>, message: String },
    Fatal(Failure),
}

async fn plan(global: &Overrides, args: &PlanArgs) -> Result<ExitCode, Failure> {
    let reading_stdin = args.input == Path::new("-");
    let output = match (&args.output, reading_stdin) {
        (Some(path), _) => path.clone(),
        (None, true) => {
            return Err(Failure::usage(
                "--input - reads stdin: name the plan file with --output",
            ));
        }
        (None, false) => {
            let mut name: OsString = args.input.as_os_str().to_owned();
            name.push(".plan.json");
            PathBuf::from(name)
        }
    };
    let output_shown = script::one_line(&output.display().to_string());
    if let (Ok(input), Ok(plan)) = (fs::canonicalize(&args.input), fs::canonicalize(&output))
        && input == plan
    {
        return Err(Failure::usage(format!(
            "--output {output_shown} is the input file: the plan would replace it"
        )));
    }
    let results = results_path(&output);
    if results.exists() {
        return Err(Failure::usage(format!(
            "{} exists: the plan at {output_shown} has been applied already; \
             write the new plan elsewhere with --output (or move both away)",
            script::one_line(&results.display().to_string())
        )));
    }

    // The reason of every entry without its own: checked before anything is
    // read. Planning sends nothing, so it is not required here (`apply` is).
    let default_reason =
        write::check_reason(false, args.reason.as_deref()).map_err(|err| script::reason_failure(&err, ""))?;
    let text = read_input(&args.input)?;
    let default_state = args.state.map(|state| match state {
        StateArg::Active => IdentityState::Active,
        StateArg::Inactive => IdentityState::Inactive,
    });
    let requests =
        parse_input_with(&text, default_state.as_ref(), args.delete, default_reason.as_deref()).map_err(|errors| {
            let input = script::one_line(&args.input.display().to_string());
            let mut message = format!("{input}: {} bad entries, nothing was read:", errors.len());
            for error in errors.iter().take(MAX_SHOWN_INPUT_ERRORS) {
                message.push_str("\n  ");
                message.push_str(error);
            }
            if errors.len() > MAX_SHOWN_INPUT_ERRORS {
                message.push_str(&format!("\n  and {} more", errors.len() - MAX_SHOWN_INPUT_ERRORS));
            }
            // Each error on its own line: `Failure` would join them into one.
            eprintln!("idcon: {message}");
            Failure::usage(format!("{input}: no plan written"))
        })?;
    if requests.is_empty() {
        return Err(Failure::usage(format!(
            "{}: no entries (blank lines and # comments only)",
            script::one_line(&args.input.display().to_string())
        )));
    }

    let profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;

    // Identifiers first (a search each), then every identity in batches of
    // the `ids` filter while the schemas load.
    let jobs = usize::from(args.jobs);
    let ids: Vec<Result<String, EntryError>> = futures::stream::iter(&requests)
        .map(|request| {
            let client = &client;
            async move {
                match &request.selector {
                    Selector::Id(id) => Ok(id.clone()),
                    Selector::Identifier(identifier) => find_by_identifier(client, identifier).await,
                }
            }
        })
        .buffered(jobs)
        .collect()
        .await;
    let mut wanted: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for id in ids.iter().flatten() {
        if seen.insert(id.as_str()) {
            wanted.push(id.clone());
        }
    }
    let (read, (mut schemas, _)) = tokio::join!(
        write::read_many(&client, &wanted, jobs),
        script::SchemaHints::from_list(&client)
    );
    if let Some(note) = &read.note {
        eprintln!("idcon: note: {}", script::one_line(note));
    }
    schemas
        .learn(
            &client,
            read.reads.values().filter_map(|r| r.as_ref().ok()).map(|s| &s.raw),
        )
        .await;
    if let Some(note) = schemas.missing_note() {
        script::warn(&note, false);
    }

    let mut entries = Vec::new();
    let mut noops = Vec::new();
    let mut errors = Vec::new();
    let mut planned_ids: HashMap<String, usize> = HashMap::new();
    let mut planned_writes = Vec::new();
    // Lines planned without revoking sessions under --revoke-sessions.
    let mut kept_sessions: Vec<usize> = Vec::new();
    // Each entry planned on its identity, on every core (pure work: the
    // bodies, diffs and checks of hundreds of identities), then taken in
    // input order below.
    let mut outcomes: Vec<Option<Result<Resolved, EntryError>>> = Vec::with_capacity(requests.len());
    let mut work: Vec<(usize, &Request, &Snapshot)> = Vec::new();
    for (index, (request, id)) in requests.iter().zip(ids).enumerate() {
        outcomes.push(match id {
            Err(err) => Some(Err(err)),
            Ok(id) => match read.reads.get(&id) {
                Some(Ok(snapshot)) => {
                    work.push((index, request, snapshot));
                    None
                }
                Some(Err(err)) => Some(Err(api_error(Some(id.clone()), err))),
                None => Some(Err(EntryError::Entry {
                    message: format!("identity {} was not read", script::one_line(&id)),
                    id: Some(id),
                })),
            },
        });
    }
    // What each identity to delete signs in with: a list answer carries no
    // credentials, so one GET each (types and identifiers; the admin GET
    // sends no secret config without include_credential).
    let deleting: Vec<String> = work
        .iter()
        .filter(|(_, request, _)| request.delete)
        .map(|(_, _, snapshot)| snapshot.id().to_owned())
        .collect();
    let lost: HashMap<String, Result<Vec<crate::api::delete::CredentialEntry>, ApiError>> =
        futures::stream::iter(deleting)
            .map(|id| {
                let client = &client;
                async move {
                    let read = write::fetch(client, &id)
                        .await
                        .map(|snapshot| crate::api::delete::credential_entries(&snapshot.raw));
                    (id, read)
                }
            })
            .buffer_unordered(jobs)
            .collect()
            .await;
    let token_pointer = profile.issuance_token_pointer.as_str();
    let planned_work = script::parallel_map(&work, |(index, request, snapshot)| {
        let outcome = resolve(snapshot, request, schemas.get(&snapshot.identity.schema_id)).and_then(|resolved| {
            Ok(match resolved {
                Resolved::Planned(planned, _) if request.delete => {
                    let credentials = match lost.get(&planned.identity_id) {
                        Some(Ok(credentials)) => credentials,
                        Some(Err(err)) => return Err(api_error(Some(planned.identity_id.clone()), err)),
                        None => {
                            return Err(EntryError::Entry {
                                id: Some(planned.identity_id.clone()),
                                message: "its credentials were not read".to_owned(),
                            });
                        }
                    };
                    let entry = PlanEntry::from_delete(request.line, &planned, token_pointer, credentials);
                    Resolved::Planned(planned, Some(Box::new(Ok(entry))))
                }
                Resolved::Planned(planned, _) => {
                    let entry = PlanEntry::from_planned(request.line, &planned, token_pointer);
                    Resolved::Planned(planned, Some(Box::new(entry)))
                }
                noop => noop,
            })
        });
        (*index, outcome)
    });
    for (index, outcome) in planned_work {
        if let Some(slot) = outcomes.get_mut(index) {
            *slot = Some(outcome);
        }
    }
    for (request, outcome) in requests.iter().zip(outcomes) {
        let line = request.line;
        let Some(outcome) = outcome else { continue };
        let id = match &outcome {
            Ok(Resolved::Planned(planned, _)) => Some(planned.identity_id.clone()),
            Ok(Resolved::Noop(id)) => Some(id.clone()),
            Err(_) => None,
        };
        if let Some(id) = &id
            && let Some(first) = planned_ids.get(id)
        {
            errors.push(PlanNote {
                line,
                id: Some(id.clone()),
                message: format!(
                    "identity {} is already in the plan (line {first})",
                    script::one_line(id)
                ),
            });
            continue;
        }
        if let Some(id) = id {
            planned_ids.insert(id, line);
        }
        match outcome {
            Ok(Resolved::Planned(planned, entry)) => {
                match entry.map_or_else(
                    || PlanEntry::from_planned(line, &planned, token_pointer),
                    |entry| *entry,
                ) {
                    Ok(mut entry) => {
                        // Revoking sessions belongs to a deactivation: an
                        // entry that leaves its identity active keeps them.
                        if args.revoke_sessions && !entry.delete {
                            if leaves_inactive(&entry.body) {
                                entry.revoke_sessions = true;
                            } else {
                                kept_sessions.push(line);
                            }
                        }
                        let shown = Shown {
                            line,
                            revoke: entry.revoke_sessions,
                            deletes: entry.delete.then(|| entry.credentials_text()),
                            planned,
                        };
                        entries.push(entry);
                        planned_writes.push(shown);
                    }
                    Err(message) => errors.push(PlanNote {
                        line,
                        id: Some(planned.identity_id.clone()),
                        message,
                    }),
                }
            }
            Ok(Resolved::Noop(id)) => noops.push(PlanNote {
                line,
                id: Some(id),
                message: "already as asked: nothing to send".to_owned(),
            }),
            Err(EntryError::Entry { id, message }) => errors.push(PlanNote { line, id, message }),
            Err(EntryError::Fatal(failure)) => {
                return Err(Failure {
                    message: format!("line {line}: {}; no plan written", failure.message),
                    ..failure
                });
            }
        }
    }

    let with_steps = entries.iter().any(|entry| entry.revoke_sessions || entry.delete);
    let plan = PlanFile {
        idcon_plan: if with_steps {
            PLAN_FORMAT_WITH_STEPS
        } else {
            PLAN_FORMAT
        },
        plan_id: uuid::Uuid::new_v4().to_string(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        profile: client.profile_name().to_owned(),
        identities_url: identities_url(&client),
        input: args.input.display().to_string(),
        entries,
        noops,
        errors,
    };
    // Identity data as `\u` escapes: the plan is read with `less` and `cat`.
    let mut bytes = crate::sanitize::json_inert_pretty(&plan)
        .map_err(|err| Failure::error(format!("cannot encode the plan: {err}")))?
        .into_bytes();
    bytes.push(b'\n');
    let plan_digest = digest(&bytes);
    crate::paths::write_private_atomically(&output, &bytes)
        .map_err(|err| Failure::error(format!("cannot write the plan {output_shown}: {err}")))?;

    print_plan(&plan, &planned_writes, &client, &output_shown, &plan_digest)?;
    if !kept_sessions.is_empty() {
        let lines: Vec<String> = kept_sessions.iter().map(usize::to_string).collect();
        eprintln!(
            "idcon: note: --revoke-sessions revokes the sessions of deactivated identities only; {} {} \
             active, so {} sessions are kept (line {})",
            kept_sessions.len(),
            if kept_sessions.len() == 1 {
                "entry leaves its identity"
            } else {
                "entries leave their identities"
            },
            if kept_sessions.len() == 1 { "its" } else { "their" },
            lines.join(", ")
        );
    }
    let without_reason = plan.entries.iter().filter(|entry| entry.reason.is_none()).count();
    if profile.require_reason && without_reason > 0 {
        eprintln!(
            "idcon: note: profile \"{}\" requires a reason for every write and {without_reason} planned {} none: \
             apply will need --reason TEXT",
            script::one_line(&profile.name),
            if without_reason == 1 {
                "entry has"
            } else {
                "entries have"
            }
        );
    }
    if plan.errors.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        let count = plan.errors.len();
        let noun = if count == 1 { "entry" } else { "entries" };
        Err(Failure::error(format!(
            "{count} {noun} could not be planned (listed above); the plan holds the others"
        )))
    }
}

fn read_input(path: &Path) -> Result<String, Failure> {
    if path == Path::new("-") {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| Failure::usage(format!("--input -: cannot read stdin: {err}")))?;
        return Ok(text);
    }
    fs::read_to_string(path).map_err(|err| {
        Failure::usage(format!(
            "--input {}: cannot read it: {err}",
            script::one_line(&path.display().to_string())
        ))
    })
}

/// Every entry of the input, or every problem in it (with its line number).
/// `default_reason` (`--reason`, already checked) goes to every entry
/// without its own.
#[cfg(test)]
fn parse_input(
    text: &str,
    default_state: Option<&IdentityState>,
    default_reason: Option<&str>,
) -> Result<Vec<Request>, Vec<String>> {
    parse_input_with(text, default_state, false, default_reason)
}

/// [`parse_input`], with `--delete` (`default_delete`): entries that give
/// neither "set", "state" nor "delete" delete their identity.
fn parse_input_with(
    text: &str,
    default_state: Option<&IdentityState>,
    default_delete: bool,
    default_reason: Option<&str>,
) -> Result<Vec<Request>, Vec<String>> {
    let mut requests = Vec::new();
    let mut errors = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        match parse_line(line, raw, default_state, default_delete, default_reason) {
            Ok(Some(request)) => requests.push(request),
            Ok(None) => {}
            Err(message) => errors.push(format!("line {line}: {message}")),
        }
    }
    if errors.is_empty() { Ok(requests) } else { Err(errors) }
}

const SECRET_REFUSAL: &str = "passwords and credentials cannot be planned (a plan is a file, and secrets never go \
                              to disk): use `idcon update ID --password-stdin` or `--add-oidc` for each";

fn parse_line(
    line: usize,
    raw: &str,
    default_state: Option<&IdentityState>,
    default_delete: bool,
    default_reason: Option<&str>,
) -> Result<Option<Request>, String> {
    let text = raw.trim();
    if text.is_empty() || text.starts_with('#') {
        return Ok(None);
    }
    if !text.starts_with('{') {
        if text.contains(char::is_whitespace) || text.starts_with('[') || text.starts_with('"') {
            return Err(format!(
                "expected a JSON object or one identity id, got {:?}",
                script::one_line(&crate::text::shorten(text, 60))
            ));
        }
        if default_delete {
            return Ok(Some(Request {
                line,
                selector: Selector::Id(text.to_owned()),
                edit: Edit::default(),
                delete: true,
                reason: default_reason.map(str::to_owned),
            }));
        }
        let Some(state) = default_state else {
            return Err(
                "a plain identity id needs --state or --delete (or write the line as JSON with \"set\")".to_owned(),
            );
        };
        return Ok(Some(Request {
            line,
            selector: Selector::Id(text.to_owned()),
            edit: Edit {
                state: Some(state.clone()),
                ..Edit::default()
            },
            delete: false,
            reason: default_reason.map(str::to_owned),
        }));
    }
    let members: Map<String, Value> = match serde_json::from_str(text) {
        Ok(Value::Object(members)) => members,
        Ok(_) => return Err("expected a JSON object".to_owned()),
        Err(err) => return Err(format!("not JSON: {err}")),
    };
    for key in members.keys() {
        let lower = key.to_ascii_lowercase();
        if lower.contains("password") || lower == "credentials" || lower.contains("hash") {
            return Err(SECRET_REFUSAL.to_owned());
        }
        if !["id", "identifier", "set", "state", "delete", "reason"].contains(&key.as_str()) {
            return Err(format!(
                "unknown member {:?}: an entry holds \"id\" or \"identifier\", \"set\" and/or \"state\" \
                 (or \"delete\": true), and may give a \"reason\"",
                script::one_line(key)
            ));
        }
    }
    let text_member = |name: &str| -> Result<Option<String>, String> {
        match members.get(name) {
            None => Ok(None),
            Some(Value::String(value)) if !value.trim().is_empty() => Ok(Some(value.trim().to_owned())),
            Some(Value::String(_)) => Err(format!("\"{name}\" is empty")),
            Some(_) => Err(format!("\"{name}\" must be a string")),
        }
    };
    let selector = match (text_member("id")?, text_member("identifier")?) {
        (Some(id), None) => Selector::Id(id),
        (None, Some(identifier)) => Selector::Identifier(identifier),
        (Some(_), Some(_)) => return Err("give \"id\" or \"identifier\", not both".to_owned()),
        (None, None) => return Err("name the identity with \"id\" or \"identifier\"".to_owned()),
    };
    let delete = match members.get("delete") {
        None => None,
        Some(Value::Bool(delete)) => Some(*delete),
        Some(other) => {
            return Err(format!(
                "\"delete\" must be true or false, not {}",
                script::json_text(other)
            ));
        }
    };
    let edits = members.contains_key("set") || members.contains_key("state");
    if delete == Some(true) && edits {
        return Err(
            "a \"delete\" entry deletes the identity: it takes no \"set\" or \"state\" (make those separate entries \
             of another plan)"
                .to_owned(),
        );
    }
    let reason = match members.get("reason") {
        None => default_reason.map(str::to_owned),
        Some(Value::String(given)) => match write::check_reason(false, Some(given)) {
            Ok(Some(reason)) => Some(reason),
            Ok(None) => return Err("\"reason\" is empty: leave it out, or say why".to_owned()),
            Err(err) => return Err(format!("\"reason\": {err}")),
        },
        Some(_) => return Err("\"reason\" must be a string".to_owned()),
    };
    if delete == Some(true) || (delete.is_none() && default_delete && !edits) {
        return Ok(Some(Request {
            line,
            selector,
            edit: Edit::default(),
            delete: true,
            reason,
        }));
    }
    let mut set = Vec::new();
    match members.get("set") {
        None => {}
        Some(Value::Object(pointers)) => {
            for (pointer, value) in pointers {
                diff::parse_pointer(pointer).map_err(|err| format!("\"set\": {err}"))?;
                let first = diff::parse_pointer(pointer)
                    .ok()
                    .and_then(|tokens| tokens.into_iter().next());
                let Some(first) = first else {
                    return Err(
                        "\"set\": the pointer \"\" is the whole identity: name a member, e.g. /traits/email".to_owned(),
                    );
                };
                if first == "credentials" || diff::is_secret_pointer(pointer) {
                    return Err(SECRET_REFUSAL.to_owned());
                }
                set.push((pointer.clone(), value.clone()));
            }
        }
        Some(_) => {
            return Err(
                "\"set\" must be an object of JSON pointer: value, e.g. {\"/traits/name/first\": \"Ana\"}".to_owned(),
            );
        }
    }
    let state = match members.get("state") {
        None => default_state.cloned(),
        Some(Value::String(state)) if state == "active" => Some(IdentityState::Active),
        Some(Value::String(state)) if state == "inactive" => Some(IdentityState::Inactive),
        Some(other) => {
            return Err(format!(
                "\"state\" must be \"active\" or \"inactive\", not {}",
                script::json_text(other)
            ));
        }
    };
    let edit = Edit {
        state,
        set,
        ..Edit::default()
    };
    if edit.is_empty() {
        return Err(
            "nothing to change: give \"set\" and/or \"state\" (or --state), or \"delete\": true (or --delete)"
                .to_owned(),
        );
    }
    Ok(Some(Request {
        line,
        selector,
        edit,
        delete: false,
        reason,
    }))
}

/// Whether a planned body leaves its identity inactive: the entries whose
/// sessions `--revoke-sessions` revokes (Kratos blocks an inactive
/// identity's sessions at once, `session/session.go` `Session.IsActive`, but
/// revives the ones not expired on reactivation; revoking deletes them).
fn leaves_inactive(body: &Value) -> bool {
    body.get("state").and_then(Value::as_str) == Some("inactive")
}

/// A failure of the service itself (down, refusing our key, erroring) stops
/// the plan; one that concerns only this entry (no such identity, a bad
/// identifier) does not.
fn api_error(id: Option<String>, err: &ApiError) -> EntryError {
    match err.status() {
        Some(404) => EntryError::Entry {
            message: match &id {
                Some(id) => format!("identity {} not found", script::one_line(id)),
                None => script::one_line(&err.to_string()),
            },
            id,
        },
        Some(400) => EntryError::Entry {
            id,
            message: script::one_line(&err.to_string()),
        },
        _ => EntryError::Fatal(Failure::api(err)),
    }
}

/// Plans one entry on its identity as read (in the list shape the plan
/// keeps), naming the identity with its schema's identifier marks.
fn resolve(
    snapshot: &Snapshot,
    request: &Request,
    hints: Option<&crate::who::IdentifierHints>,
) -> Result<Resolved, EntryError> {
    let id = snapshot.id().to_owned();
    let mut planned = write::plan(snapshot, &request.edit)
        .map_err(|err| match err {
            write::WriteError::Api(api) => api_error(Some(id.clone()), &api),
            other => EntryError::Entry {
                id: Some(id.clone()),
                message: script::one_line(&other.to_string()),
            },
        })?
        .with_reason(request.reason.clone());
    if let Some(hints) = hints {
        planned = planned.with_identifier_hints(hints);
    }
    if request.delete {
        return Ok(Resolved::Planned(Box::new(planned), None));
    }
    if planned.is_noop() {
        Ok(Resolved::Noop(id))
    } else {
        Ok(Resolved::Planned(Box::new(planned), None))
    }
}

/// The one identity with exactly this identifier.
async fn find_by_identifier(client: &Client, identifier: &str) -> Result<String, EntryError> {
    let query = IdentityQuery {
        page_size: Some(2),
        filter: IdentityFilter::CredentialsIdentifier(identifier.to_owned()),
    };
    let page = client
        .list_identities(&query)
        .await
        .map_err(|err| api_error(None, &err))?;
    let shown = script::one_line(identifier);
    let items = &page.value.items;
    match items.as_slice() {
        [] => Err(EntryError::Entry {
            id: None,
            message: format!("identifier {shown:?} matches no identity"),
        }),
        [only] if page.value.next.is_none() => Ok(only.id.clone()),
        _ => {
            let ids: Vec<String> = items.iter().map(|i| script::one_line(&i.id)).collect();
            Err(EntryError::Entry {
                id: None,
                message: format!(
                    "identifier {shown:?} matches more than one identity ({}, ...): name the one meant by its id",
                    ids.join(", ")
                ),
            })
        }
    }
}

/// One planned entry as `plan` prints it.
struct Shown {
    line: usize,
    planned: Box<PlannedWrite>,
    /// Its sessions are revoked after the PUT.
    revoke: bool,
    /// A delete: the credentials the person loses, as the review says them.
    deletes: Option<String>,
}

/// The diffs, the no-ops, the errors (stderr) and the summary.
fn print_plan(
    plan: &PlanFile,
    planned: &[Shown],
    client: &Client,
    output_shown: &str,
    plan_digest: &str,
) -> Result<(), Failure> {
    let colour = script::use_colour();
    let mut out = String::new();
    for Shown {
        line,
        planned: write,
        revoke,
        deletes,
    } in planned
    {
        let head = format!(
            "{} {} (line {line}, updated_at {})",
            if deletes.is_some() { "DELETE" } else { "PUT" },
            script::one_line(&client.identity_url(&write.identity_id)),
            script::one_line(write.base.updated_at().unwrap_or("unknown"))
        );
        out.push_str(&script::render_heading(&head, colour));
        let who = script::who_text(write.identifier.as_deref(), write.display_name().as_deref());
        out.push_str(&script::render_who_and_why(who.as_deref(), write.reason.as_deref()));
        if let Some(credentials) = deletes {
            out.push_str(&format!(
                "  - deletes the identity for good: its traits, metadata and addresses, its credentials \
                 ({credentials}) and its sessions\n"
            ));
            continue;
        }
        out.push_str(&script::render_changes(&write.changes, colour));
        if *revoke {
            out.push_str(&format!(
                "  and revoke all sessions: DELETE {}\n",
                script::one_line(&client.identity_sessions_url(&write.identity_id))
            ));
        }
    }
    for noop in &plan.noops {
        out.push_str(&format!(
            "unchanged {} (line {}): already as asked, skipped\n",
            script::one_line(noop.id.as_deref().unwrap_or("?")),
            noop.line
        ));
    }
    let change_count: usize = plan.entries.iter().map(|e| e.changes.len()).sum();
    let read = plan.entries.len() + plan.noops.len() + plan.errors.len();
    let deletes = plan.entries.iter().filter(|e| e.delete).count();
    let to_delete = if deletes > 0 {
        format!(
            ", {deletes} {} to delete",
            if deletes == 1 { "identity" } else { "identities" }
        )
    } else {
        String::new()
    };
    out.push_str(&format!(
        "\nplan {output_shown}: {read} entries, {} identities to change ({change_count} member changes), \
         {} no-ops skipped, {} errors{to_delete}\n",
        plan.entries.len() - deletes,
        plan.noops.len(),
        plan.errors.len()
    ));
    let revoking = plan.entries.iter().filter(|entry| entry.revoke_sessions).count();
    if revoking > 0 {
        out.push_str(&format!(
            "and revoke all sessions of {revoking} {} after {} PUT\n",
            if revoking == 1 { "identity" } else { "identities" },
            if revoking == 1 { "its" } else { "their" }
        ));
    }
    out.push_str(&format!("plan digest {plan_digest}\n"));
    if !plan.entries.is_empty() {
        out.push_str(&format!(
            "review it, then run: idcon apply {} --digest {plan_digest}\n",
            super::sign::shell_quote(output_shown)
        ));
    }
    script::print_stdout(&out)?;
    for error in &plan.errors {
        eprintln!("idcon: line {}: {}", error.line, script::one_line(&error.message));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(text: &str, state: Option<IdentityState>) -> Result<Vec<Request>, Vec<String>> {
        parse_input(text, state.as_ref(), None)
    }

    #[test]
    fn an_entry_gives_its_own_reason_or_takes_the_flags() {
        let text = "{\"id\": \"a1\", \"state\": \"inactive\", \"reason\": \"  SUP-1\\nclose\\u001b[2J  \"}\n\
                    {\"id\": \"a2\", \"state\": \"inactive\"}\n\
                    a3\n";
        let requests = parse_input(text, Some(&IdentityState::Inactive), Some("SUP-9")).unwrap_or_default();
        let reasons: Vec<Option<&str>> = requests.iter().map(|r| r.reason.as_deref()).collect();
        assert_eq!(reasons, vec![Some("SUP-1 close [2J"), Some("SUP-9"), Some("SUP-9")]);

        let text = format!(
            "{{\"id\": \"a1\", \"state\": \"inactive\", \"reason\": \"  \"}}\n\
             {{\"id\": \"a2\", \"state\": \"inactive\", \"reason\": 42}}\n\
             {{\"id\": \"a3\", \"state\": \"inactive\", \"reason\": \"{}\"}}\n",
            "x".repeat(501)
        );
        let errors = parse_input(&text, None, None).err().unwrap_or_default();
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(
            errors[0].starts_with("line 1: ") && errors[0].contains("empty"),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with("line 2: ") && errors[1].contains("must be a string"),
            "{errors:?}"
        );
        assert!(
            errors[2].starts_with("line 3: ") && errors[2].contains("at most 500"),
            "{errors:?}"
        );
    }

    #[test]
    fn json_lines_and_plain_ids_become_edits() {
        let text = "# ticket SUP-7\n\
                    {\"id\": \"a1\", \"set\": {\"/metadata_admin/ticket\": \"SUP-7\"}}\n\
                    \n\
                    {\"identifier\": \"ana@example.com\", \"state\": \"active\"}\n\
                    b2\r\n";
        let requests = parsed(text, Some(IdentityState::Inactive)).unwrap_or_default();
        assert_eq!(requests.len(), 3);
        assert_eq!(requests[0].line, 2);
        assert_eq!(requests[0].selector, Selector::Id("a1".into()));
        assert_eq!(
            requests[0].edit.set,
            vec![("/metadata_admin/ticket".to_owned(), json!("SUP-7"))]
        );
        assert_eq!(
            requests[0].edit.state,
            Some(IdentityState::Inactive),
            "--state is the default"
        );
        assert_eq!(requests[1].selector, Selector::Identifier("ana@example.com".into()));
        assert_eq!(
            requests[1].edit.state,
            Some(IdentityState::Active),
            "the line's own state wins"
        );
        assert_eq!(requests[2].selector, Selector::Id("b2".into()));
        assert_eq!(requests[2].line, 5);
    }

    #[test]
    fn every_bad_line_is_named_and_secrets_are_refused() {
        let text = "a1\n\
                    {\"id\": \"x\", \"password\": \"hunter2\"}\n\
                    {\"id\": \"x\", \"set\": {\"/credentials/password/config/password\": \"p\"}}\n\
                    {\"id\": \"x\", \"identifier\": \"y\", \"state\": \"active\"}\n\
                    {\"id\": \"x\", \"state\": \"deleted\"}\n\
                    {\"id\": \"x\", \"sets\": {}}\n\
                    {\"id\": \"x\"}\n\
                    {\"id\": \"x\", \"set\": {\"traits\": 1}}\n\
                    {not json\n";
        let errors = parsed(text, None).err().unwrap_or_default();
        let expect = [
            (1, "--state"),
            (2, "cannot be planned"),
            (3, "cannot be planned"),
            (4, "not both"),
            (5, "\"active\" or \"inactive\""),
            (6, "unknown member \"sets\""),
            (7, "nothing to change"),
            (8, "start with '/'"),
            (9, "not JSON"),
        ];
        assert_eq!(errors.len(), expect.len(), "{errors:#?}");
        for ((line, fragment), error) in expect.iter().zip(&errors) {
            assert!(error.starts_with(&format!("line {line}: ")), "{error}");
            assert!(error.contains(fragment), "{error}");
            assert!(!error.contains("hunter2"));
        }
    }

    /// A profile whose token sits where no member name says "token": the
    /// plan still holds none, and the write `apply` sends has it back.
    #[test]
    fn a_token_at_the_profiles_own_pointer_stays_out_of_the_plan_and_goes_back_out() {
        const TOKEN: &str = "tok-at-a-custom-pointer-0001";
        let identity = json!({
            "id": "x1", "schema_id": "s", "state": "active", "traits": {"email": "a@example.com"},
            "metadata_admin": {"ref": TOKEN, "ticket": "SUP-1"}, "updated_at": "2026-01-01T00:00:00Z"
        });
        let base = Snapshot::from_raw(identity.clone()).expect("identity");
        let edit = Edit {
            state: Some(IdentityState::Inactive),
            ..Edit::default()
        };
        let planned = write::plan(&base, &edit).expect("planned");
        let entry = PlanEntry::from_planned(1, &planned, "/metadata_admin/ref").expect("entry");
        let stored = serde_json::to_string(&entry).unwrap_or_default();
        assert!(!stored.contains(TOKEN), "{stored}");

        let loaded = entry.planned().expect("appliable");
        let latest = Snapshot::from_raw(identity).expect("identity");
        let compared = write::compare(&loaded.base, redacted_like(&loaded.base, latest.clone()));
        assert_eq!(compared, write::Freshness::Unchanged);
        let ready = with_fresh_secrets(&loaded, &latest).expect("filled");
        assert_eq!(
            ready.body.metadata_admin.get().and_then(|m| m.get("ref")),
            Some(&json!(TOKEN))
        );
        assert_eq!(ready.body.state.get(), Some(&IdentityState::Inactive));
        assert_eq!(ready.changes, planned.changes);

        // Changing it, or dropping it with metadata_admin, cannot be planned.
        for edit in [
            Edit {
                set: vec![("/metadata_admin/ref".to_owned(), json!("new-token-0000"))],
                ..Edit::default()
            },
            Edit {
                metadata_admin: Some(json!({"ticket": "SUP-2"})),
                ..Edit::default()
            },
        ] {
            let planned = write::plan(&base, &edit).expect("planned");
            let refused = PlanEntry::from_planned(1, &planned, "/metadata_admin/ref")
                .err()
                .unwrap_or_default();
            assert!(refused.contains("/metadata_admin/ref"), "{refused}");
            assert!(!refused.contains(TOKEN), "{refused}");
        }
    }

    #[test]
    fn delete_entries_are_written_by_hand_or_with_the_flag() {
        let text = "{\"id\": \"a1\", \"delete\": true, \"reason\": \"SUP-18\"}\n\
                    {\"id\": \"a2\", \"delete\": false, \"state\": \"inactive\"}\n\
                    {\"id\": \"a3\"}\n\
                    a4\n";
        let requests = parse_input_with(text, None, true, None).unwrap_or_default();
        let deletes: Vec<bool> = requests.iter().map(|r| r.delete).collect();
        assert_eq!(
            deletes,
            [true, false, true, true],
            "--delete fills in entries without an edit"
        );
        assert!(requests.iter().filter(|r| r.delete).all(|r| r.edit.is_empty()));
        assert_eq!(requests[0].reason.as_deref(), Some("SUP-18"));
        // Without --delete, an entry with nothing to do names both ways out.
        let errors = parse_input("{\"id\": \"a3\"}\n", None, None).err().unwrap_or_default();
        assert!(errors[0].contains("\"delete\": true (or --delete)"), "{errors:?}");
    }

    /// A delete entry's identity is what `apply` compares; its credentials
    /// (types and identifiers only) go into the audit snapshot.
    #[test]
    fn a_delete_entry_keeps_the_snapshot_and_what_is_lost_without_secrets() {
        const TOKEN: &str = "tok-at-a-custom-pointer-0001";
        let identity = json!({
            "id": "x1", "schema_id": "s", "state": "active", "traits": {"email": "a@example.com"},
            "metadata_admin": {"ref": TOKEN}, "updated_at": "2026-01-01T00:00:00Z",
            "created_at": "2025-01-01T00:00:00Z"
        });
        let base = Snapshot::from_raw(identity).expect("identity");
        let planned = write::plan(&base, &Edit::default()).expect("planned");
        let credentials = [crate::api::delete::CredentialEntry {
            kind: "password".to_owned(),
            identifiers: vec!["a@example.com".to_owned()],
        }];
        let entry = PlanEntry::from_delete(4, &planned, "/metadata_admin/ref", &credentials);
        let stored = serde_json::to_string(&entry).unwrap_or_default();
        assert!(!stored.contains(TOKEN), "{stored}");
        assert!(
            !stored.contains("\"body\"") && !stored.contains("\"changes\""),
            "{stored}"
        );
        assert_eq!(entry.credentials_text(), "password (a@example.com)");
        let loaded = entry.planned().expect("appliable");
        assert!(loaded.changes.is_empty());
        let deleted = entry.deleted_snapshot();
        assert_eq!(deleted["traits"]["email"], "a@example.com");
        assert_eq!(deleted["metadata_admin"]["ref"], REDACTED);
        assert_eq!(
            deleted["credentials"],
            json!([{"type": "password", "identifiers": ["a@example.com"]}])
        );

        let mut edited = entry.clone();
        edited.body = json!({"state": "inactive"});
        assert!(
            edited.planned().is_err(),
            "a delete entry with a body was edited by hand"
        );
    }

    #[test]
    fn the_results_file_sits_next_to_the_plan() {
        assert_eq!(
            results_path(Path::new("/tmp/x/deactivate.plan.json")),
            PathBuf::from("/tmp/x/deactivate.plan.json.results.jsonl")
        );
    }
}
