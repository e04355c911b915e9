//! `idcon apply PLAN`: sends the writes of a plan made by `idcon plan`, each
//! through the shared pipeline ([`write::sign_or_refuse`],
//! [`write::put_signed`]: signed PUT, audit intent on disk before it, and
//! outcome), so that a bulk change is as safe as one made on screen.
//!
//! Per identity, with at most `--jobs` PUTs in flight and at most `--rps`
//! requests per second:
//! 1. read it again and compare with the plan's snapshot (every member a PUT
//!    replaces, not only `updated_at`). The reads come in batches of the list
//!    `ids` filter, each read as the previous batch is down to its last
//!    round and sized so that its last PUT goes out well within a second of
//!    it (`Feeder`); a read older than a second (`FRESH_READ`) when its PUT's turn
//!    comes is done again (one GET). A format 1 plan, a server that ignores
//!    or refuses the filter, and an id that is not a UUID are read one GET
//!    each ([`write::ReadShape`] says how a plan's snapshots compare);
//! 2. unchanged: send the planned body, with the secrets the plan keeps as
//!    `<redacted>` (the issuance token) taken from this read;
//! 3. changed, but the server already holds every planned value (a write of
//!    an earlier run whose answer was lost, or someone else's identical
//!    change): nothing is sent, it is recorded as `already_applied`;
//! 4. changed otherwise, or deleted: skipped and reported; make a new plan.
//!
//! Each identity's result is appended to `PLAN.results.jsonl` (0600, synced
//! to disk; lines of identities finishing together share one fsync) as soon
//! as it is known, so running `apply` again continues where
//! it stopped: identities recorded as sent, already applied or skipped are
//! left alone; failed ones, and ones whose answer never arrived, go through
//! the steps above again, and step 3 keeps a write that did reach the server
//! from being sent twice. The file is locked while `apply` runs, so two runs
//! of the same plan cannot interleave.
//!
//! An entry of `plan --revoke-sessions` has a second step: once its PUT is
//! sent (or found already applied), `DELETE {identities_path}/{id}/sessions`
//! in the same slot, between its own audit intent and outcome, recorded as
//! its own `"step": "revoke_sessions"` line. A run that stops between the
//! two resumes with the revoke alone (no read, no PUT); Kratos's 404 "none
//! left" ([`RevokedAll::NoneLeft`]) is a revoke done, which is what a retry
//! after a lost answer finds.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, BufRead as _, IsTerminal as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};

use super::plan::{self, PlanEntry, PlanFile};
use super::script::{self, EXIT_CONFLICT, EXIT_ERROR, EXIT_NOT_KEPT, EXIT_REFUSED, Failure};
use super::sessions::{AuditedWrite, send_audited};
use crate::api::delete::Deleted;
use crate::api::sessions::RevokedAll;
use crate::api::{ApiError, Client};
use crate::audit::{self, AuditLog, FileLock, GroupCommit, Refusal, Target};
use crate::config;
use crate::config::Overrides;
use crate::diff::Change;
use crate::write::{self, Freshness, PlannedWrite, ReadShape, Resolution, Snapshot, WriteError};

const APPLY_HELP: &str = "\
Before each write the identity is read again: one that changed since the plan
is skipped and reported (make a new plan for it); one that already holds the
planned values is recorded as done without sending. Results go to
PLAN.results.jsonl as each identity completes; running apply again continues
where it stopped and never sends a change twice. An entry planned with
--revoke-sessions revokes all the identity's sessions after its PUT, recorded
as its own step: a run that stopped between the two revokes only.

Each write's audit intent records its reason (`why`): the entry's own, from
the plan, else --reason. A profile with require_reason = true refuses the
whole run (exit 5, nothing sent) while an entry to send has none.

Exit codes:
  0  every identity of the plan is done (sent, now or earlier, or already so)
  1  some failed, have an unknown outcome or were not started: run apply again
  2  usage: bad flags or plan file; nothing was sent
  3  the rest is done, but some identities changed or were deleted since the
     plan and were skipped
  5  refused: read-only profile, an entry without a reason where the profile
     requires one, or not confirmed; nothing was sent
  6  everything was sent, but for some identities the server's answer does
     not hold every planned member (not_kept in the results file)";

#[derive(Debug, Args)]
#[command(after_help = APPLY_HELP)]
pub struct ApplyArgs {
    /// The plan file written by `idcon plan`.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,

    /// How many identities to work on at the same time.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,

    /// At most R requests per second, reads and writes together (e.g. 2.5);
    /// unlimited when not given.
    #[arg(long, value_name = "R", value_parser = parse_rps)]
    pub rps: Option<f64>,

    /// Go on after a server error (5xx) or a network failure instead of
    /// stopping at the first one.
    #[arg(long)]
    pub keep_going: bool,

    /// Send without asking. Required when stdin is not a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// The digest `idcon plan` printed (sha256:…): refuse a plan file whose
    /// bytes are not the ones that were reviewed.
    #[arg(long, value_name = "DIGEST")]
    pub digest: Option<String>,

    #[command(flatten)]
    pub reason: script::ReasonFlag,
}

fn parse_rps(raw: &str) -> Result<f64, String> {
    match raw.trim().parse::<f64>() {
        Ok(rps) if rps.is_finite() && rps > 0.0 && rps <= 10_000.0 => Ok(rps),
        _ => Err(format!(
            "expected requests per second between 0 and 10000, e.g. 5 or 0.5, got {:?}",
            script::one_line(raw)
        )),
    }
}

/// What happened to one identity, as recorded in the result file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultKind {
    /// The PUT succeeded.
    Sent,
    /// The server already held every planned value; nothing was sent.
    AlreadyApplied,
    /// The identity changed since the plan; nothing was sent.
    SkippedChanged,
    /// The identity was deleted since the plan; nothing was sent.
    SkippedMissing,
    /// The server refused the write or the read before it, or it could not
    /// be sent; the next run tries again.
    Failed,
    /// The PUT went out but no answer came back: it may or may not have been
    /// carried out. The next run reads the identity and decides.
    Unknown,
}

impl ResultKind {
    /// Final results are never retried; the others are, after a fresh read.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ResultKind::Sent | ResultKind::AlreadyApplied | ResultKind::SkippedChanged | ResultKind::SkippedMissing
        )
    }

    fn label(self) -> &'static str {
        match self {
            ResultKind::Sent => "sent",
            ResultKind::AlreadyApplied => "already applied",
            ResultKind::SkippedChanged => "skipped, changed since the plan",
            ResultKind::SkippedMissing => "skipped, deleted since the plan",
            ResultKind::Failed => "failed",
            ResultKind::Unknown => "outcome unknown",
        }
    }
}

/// Which step of an identity's entry a result line is about. An entry of
/// `plan --revoke-sessions` has two, each recorded on its own, so a run
/// that stops between them resumes with the revoke alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The entry's PUT. Lines without `step` (every line of a plan without
    /// revokes, and of older idcons) are this.
    #[default]
    Write,
    /// `DELETE {identities_path}/{id}/sessions` after the PUT: `sent` when
    /// the sessions were revoked, `already_applied` when none was left
    /// (Kratos's 404, [`RevokedAll::NoneLeft`]: `session/handler.go`
    /// `deleteIdentitySessions` → `persistence/sql/persister_session.go`
    /// `DeleteSessionsByIdentity`, v1.3.1 to v26.2.0).
    RevokeSessions,
}

impl Step {
    fn is_write(&self) -> bool {
        *self == Step::Write
    }
}

/// One line of `PLAN.results.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultLine {
    /// The plan's id: results of another plan are never taken for this one's.
    pub plan_id: String,
    pub id: String,
    /// The input line of the plan entry.
    pub line: usize,
    pub result: ResultKind,
    /// Which step of the entry: its write (the default, left out of the
    /// line) or the revoke of its sessions after it.
    #[serde(default, skip_serializing_if = "Step::is_write")]
    pub step: Step,
    /// RFC 3339, UTC.
    pub at: String,
    /// The `X-Request-ID` of the PUT, as in the audit trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The HTTP status of the PUT (or of the read that failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For a skipped identity: where the server changed it since the plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_changes: Vec<String>,
    /// For a sent identity: members the server's answer does not hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_kept: Vec<String>,
}

pub fn run(global: &Overrides, args: &ApplyArgs) -> anyhow::Result<ExitCode> {
    Ok(script::run_parallel(false, apply(global, args)))
}

/// A plan entry ready to send.
struct Pending {
    line: usize,
    /// The identity's name as planned, for the question.
    name: Option<String>,
    planned: PlannedWrite,
    /// Revoke all of the identity's sessions after the PUT.
    revoke_sessions: bool,
    /// A delete instead of a PUT.
    deletes: Option<Deletion>,
}

/// What deleting one identity takes away.
struct Deletion {
    /// The plan's snapshot as the audit intent records it
    /// ([`PlanEntry::deleted_snapshot`]: secrets already `<redacted>`).
    snapshot: serde_json::Value,
    /// Its credentials for the review: `password (ana@example.com), totp`.
    credentials: String,
}

/// What is left to do for one identity, after the results file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Todo {
    /// Read, compare, write (and revoke, when planned).
    Everything,
    /// The write is done (sent or already applied), its revoke is not.
    RevokeOnly,
    Nothing,
}

/// The last result line of each identity's steps in the results file.
#[derive(Debug, Default)]
struct Recorded {
    writes: HashMap<String, ResultLine>,
    revokes: HashMap<String, ResultLine>,
}

impl Recorded {
    fn insert(&mut self, line: ResultLine) {
        let steps = match line.step {
            Step::Write => &mut self.writes,
            Step::RevokeSessions => &mut self.revokes,
        };
        steps.insert(line.id.clone(), line);
    }

    fn extend(&mut self, other: Recorded) {
        self.writes.extend(other.writes);
        self.revokes.extend(other.revokes);
    }

    /// What is left to do for `pending`: a write not recorded as final is
    /// done again from its read; a final one that sent (or found) the
    /// change leaves only a revoke not recorded as final.
    fn todo(&self, pending: &Pending) -> Todo {
        let id = &pending.planned.identity_id;
        match self.writes.get(id) {
            Some(line) if line.result.is_final() => {
                let wrote = matches!(line.result, ResultKind::Sent | ResultKind::AlreadyApplied);
                let revoked = self.revokes.get(id).is_some_and(|r| r.result.is_final());
                if pending.revoke_sessions && wrote && !revoked {
                    Todo::RevokeOnly
                } else {
                    Todo::Nothing
                }
            }
            _ => Todo::Everything,
        }
    }
}

/// Deletions listed, with what each loses, before `apply`'s question.
const MAX_DELETIONS_LISTED: usize = 20;

/// Identities named in `apply`'s question before "and N more".
const MAX_NAMED_IN_QUESTION: usize = 3;

/// The identities about to be written, as people know them, made safe for a
/// terminal: `sofia@example.com (Sofia Berg), ana@example.com and 298 more`;
/// an identity with neither identifier nor name is named by its id.
fn who_list(writes: &[&Pending], max: usize) -> String {
    let mut names: Vec<String> = writes
        .iter()
        .take(max)
        .map(|w| {
            script::who_text(w.planned.identifier.as_deref(), w.name.as_deref())
                .unwrap_or_else(|| script::one_line(&w.planned.identity_id))
        })
        .collect();
    let rest = writes.len().saturating_sub(max);
    if rest > 0 {
        names.push(format!("and {rest} more"));
        let last = names.pop().unwrap_or_default();
        return format!("{} {last}", names.join(", "));
    }
    names.join(", ")
}

async fn apply(global: &Overrides, args: &ApplyArgs) -> Result<ExitCode, Failure> {
    let (plan, plan_digest) = plan::load_with_digest(&args.plan).map_err(Failure::usage)?;
    let plan_shown = script::one_line(&args.plan.display().to_string());
    if let Some(expected) = &args.digest
        && expected.trim() != plan_digest
    {
        return Err(Failure::usage(format!(
            "plan {plan_shown} has digest {plan_digest}, not {}: it changed after it was reviewed; nothing was sent",
            script::one_line(expected.trim())
        )));
    }
    // Fills in the reason of the entries planned without one: a reason given
    // to `plan` (per entry or with its --reason) was reviewed with the plan
    // and is kept.
    let apply_reason =
        write::check_reason(false, args.reason.as_deref()).map_err(|err| script::reason_failure(&err, ""))?;
    let mut writes = Vec::with_capacity(plan.entries.len());
    // Each entry checked (its changes worked out again) on every core.
    let checked = script::parallel_map(&plan.entries, PlanEntry::planned);
    for (entry, planned) in plan.entries.iter().zip(checked) {
        let mut planned = planned.map_err(|why| {
            Failure::usage(format!(
                "plan {plan_shown}, identity {} (line {}): {why}; nothing was sent",
                script::one_line(&entry.id),
                entry.line
            ))
        })?;
        if planned.reason.is_none() {
            planned.reason.clone_from(&apply_reason);
        }
        writes.push(Pending {
            line: entry.line,
            name: entry.name.clone(),
            planned,
            revoke_sessions: entry.revoke_sessions,
            deletes: entry.delete.then(|| Deletion {
                snapshot: entry.deleted_snapshot(),
                credentials: entry.credentials_text(),
            }),
        });
    }

    let profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;
    let here = plan::identities_url(&client);
    if here != plan.identities_url {
        return Err(Failure::usage(format!(
            "plan {plan_shown} was made for {} but profile \"{}\" points at {}; nothing was sent",
            script::one_line(&plan.identities_url),
            script::one_line(client.profile_name()),
            script::one_line(&here)
        )));
    }

    let results_path = plan::results_path(&args.plan);
    let earlier = read_results(&results_path, &plan.plan_id)?;
    let to_do = pending_count(&writes, &earlier);

    if client.is_read_only() {
        let reason = format!(
            "read-only profile: apply of plan {} ({to_do} writes) refused",
            plan.plan_id
        );
        refuse_run(&profile, &client, &plan, reason, apply_reason.clone()).await;
        return Err(Failure::new(
            EXIT_REFUSED,
            format!(
                "profile \"{}\" is read-only: nothing was signed or sent",
                script::one_line(client.profile_name())
            ),
        ));
    }
    if writes.is_empty() {
        print_line(&format!("plan {plan_shown} holds no writes: nothing to send"))?;
        return Ok(ExitCode::SUCCESS);
    }
    if to_do == 0 {
        print_line(&format!(
            "nothing left to send: every identity of plan {plan_shown} was handled by an earlier run"
        ))?;
        return Ok(finish(&plan_shown, &writes, &earlier, 0, None));
    }

    let unsettled: Vec<&Pending> = writes.iter().filter(|w| earlier.todo(w) != Todo::Nothing).collect();
    let without_reason = unsettled.iter().filter(|w| w.planned.reason.is_none()).count();
    if profile.require_reason && without_reason > 0 {
        let required = write::ReasonError::Required.message(&profile.name, script::CLI_REASON_HINT);
        let reason = format!(
            "{required}: apply of plan {} refused, {without_reason} of {to_do} writes have none",
            plan.plan_id
        );
        refuse_run(&profile, &client, &plan, reason, None).await;
        return Err(Failure::new(
            EXIT_REFUSED,
            format!(
                "{required} ({} in plan {plan_shown} {} none of its own); nothing was sent",
                identities(without_reason, "entry", "entries"),
                if without_reason == 1 { "has" } else { "have" }
            ),
        ));
    }

    // A write without a trail is no write: open it before anything is sent.
    let audit = script::open_audit(&profile)?;

    if !args.yes {
        let done = writes.len() - to_do;
        let earlier_note = if done > 0 {
            format!(" ({done} handled by an earlier run)")
        } else {
            String::new()
        };
        eprintln!(
            "Plan {plan_shown} (digest {plan_digest}): {}{earlier_note}; {to_do} to send to profile \"{}\" at {}.",
            identities(writes.len(), "identity", "identities"),
            script::one_line(client.profile_name()),
            script::one_line(&here)
        );
        let reasons: std::collections::BTreeSet<&str> =
            unsettled.iter().filter_map(|w| w.planned.reason.as_deref()).collect();
        if reasons.len() == 1
            && let Some(reason) = reasons.first()
        {
            eprintln!("Reason: {}", script::one_line(reason));
        }
        let deleting: Vec<&&Pending> = unsettled
            .iter()
            .filter(|w| w.deletes.is_some() && earlier.todo(w) == Todo::Everything)
            .collect();
        for pending in deleting.iter().take(MAX_DELETIONS_LISTED) {
            let who = script::who_text(pending.planned.identifier.as_deref(), pending.name.as_deref())
                .unwrap_or_else(|| script::one_line(&pending.planned.identity_id));
            let credentials = pending.deletes.as_ref().map_or("none", |d| d.credentials.as_str());
            eprintln!(
                "  delete {who} ({}): its traits, metadata and addresses, its credentials ({credentials}) and its \
                 sessions, for good",
                script::one_line(&pending.planned.identity_id)
            );
        }
        if deleting.len() > MAX_DELETIONS_LISTED {
            eprintln!(
                "  and {} more deletions (each is in the plan)",
                deleting.len() - MAX_DELETIONS_LISTED
            );
        }
        script::confirm(&format!(
            "{}? {}",
            what_to_send(&unsettled, &earlier),
            who_list(&unsettled, MAX_NAMED_IN_QUESTION)
        ))?;
    }

    // Lock, then read again: another run may have finished meanwhile.
    let results = ResultsFile::open(&results_path)?;
    let earlier = read_results(&results_path, &plan.plan_id)?;
    let writes: Arc<Vec<Pending>> = Arc::new(writes);
    let pending: VecDeque<usize> = writes
        .iter()
        .enumerate()
        .filter(|(_, w)| earlier.todo(w) == Todo::Everything)
        .map(|(index, _)| index)
        .collect();
    let revoke_only: Vec<usize> = writes
        .iter()
        .enumerate()
        .filter(|(_, w)| earlier.todo(w) == Todo::RevokeOnly)
        .map(|(index, _)| index)
        .collect();

    let jobs = usize::from(args.jobs);
    let runner = Arc::new(Runner {
        client: client.clone(),
        audit: Arc::clone(&audit),
        results,
        plan_id: plan.plan_id.clone(),
        shape: plan.read_shape(),
        writes: Arc::clone(&writes),
        limiter: args.rps.map(|rps| RateLimiter::new(rps, batch_limit_for_rps(rps))),
        keep_going: args.keep_going,
        stop: Mutex::new(None),
        stopped: AtomicBool::new(false),
        interrupted: AtomicBool::new(false),
        per_identity: Mutex::new(None),
        one_by_one: AtomicBool::new(false),
        slots: Arc::new(tokio::sync::Semaphore::new(jobs)),
    });
    let mut progress = Progress::new(pending.len() + revoke_only.len());
    let mut now = Recorded::default();
    // Identities whose PUT an earlier run made but whose sessions it did not
    // revoke: only the revoke (no read: the write is recorded as done).
    // Ctrl-C, SIGTERM, SIGHUP: no new identity (or revoke) is started.
    let mut signals = script::Signals::listen();
    let mut revokes = futures::stream::iter(revoke_only)
        .map(|index| {
            let runner = Arc::clone(&runner);
            async move {
                if runner.stopped() {
                    return (index, None);
                }
                (index, runner.revoke(index, None).await)
            }
        })
        .buffer_unordered(jobs);
    loop {
        tokio::select! {
            revoked = revokes.next() => match revoked {
                Some((index, Some(line))) => {
                    progress.record(&line, writes.get(index));
                    now.insert(line);
                }
                Some((_, None)) => {}
                None => break,
            },
            name = signals.next() => {
                runner.interrupted.store(true, Ordering::SeqCst);
                runner.stop_because(format!("{name}: no new identity was started"));
            }
        }
    }
    drop(revokes);
    let mut feeder = Feeder::new(&runner, pending, jobs, args.rps);
    let mut sent_now = 0;
    let mut in_flight = futures::stream::FuturesUnordered::new();
    // At most --jobs identities prepare (judged, PUT signed) while at most
    // --jobs others hold a slot for their PUT (Runner::process).
    let preparing = Arc::new(tokio::sync::Semaphore::new(jobs));
    {
        loop {
            // Hand out read identities to free places, then read the next
            // batch once this one is down to its last round (its reads stay
            // fresh while the last writes of this one are in flight).
            while !runner.stopped() && !feeder.ready.is_empty() {
                let Ok(place) = Arc::clone(&preparing).try_acquire_owned() else {
                    break;
                };
                let Some(work) = feeder.ready.pop_front() else { break };
                in_flight.push(tokio::spawn(Arc::clone(&runner).process(work, place)));
            }
            feeder.read_next_if_due(&runner);
            if in_flight.is_empty() && feeder.reading.is_none() && (feeder.ready.is_empty() || runner.stopped()) {
                break;
            }
            let waiting = !feeder.ready.is_empty() && !runner.stopped();
            tokio::select! {
                place = Arc::clone(&preparing).acquire_owned(), if waiting => {
                    if let (Ok(place), Some(work)) = (place, feeder.ready.pop_front()) {
                        in_flight.push(tokio::spawn(Arc::clone(&runner).process(work, place)));
                    }
                }
                joined = in_flight.next(), if !in_flight.is_empty() => {
                    let Done { index, line, revoke } = match joined {
                        Some(Ok(Some(done))) => done,
                        Some(Ok(None)) | None => continue,
                        Some(Err(err)) => {
                            // A task that failed midway recorded nothing: the
                            // next run reads its identity before anything.
                            runner.stop_because(format!("an identity's work stopped midway: {err}"));
                            continue;
                        }
                    };
                    if line.result == ResultKind::Sent {
                        sent_now += 1;
                    }
                    progress.record(&line, writes.get(index));
                    now.insert(line);
                    if let Some(revoke) = revoke {
                        progress.record_step(&revoke, writes.get(index));
                        now.insert(revoke);
                    }
                }
                batch = feeder.reading_done() => feeder.take(batch, &runner),
                name = signals.next() => {
                    if runner.stopped() && runner.interrupted.load(Ordering::SeqCst) {
                        progress.finish();
                        eprintln!(
                            "idcon: {name} again: stopping now; the next `idcon apply` of the plan checks the \
                             identities that were in flight before sending anything"
                        );
                        std::process::exit(130);
                    }
                    runner.interrupted.store(true, Ordering::SeqCst);
                    runner.stop_because(format!("{name}: no new identity was started"));
                }
            }
        }
    }
    progress.finish();
    let mut all = earlier;
    all.extend(now);
    let stop = runner.take_stop().map(|reason| Stop {
        reason,
        by_signal: runner.interrupted.load(Ordering::SeqCst),
    });
    Ok(finish(&plan_shown, &writes, &all, sent_now, stop.as_ref()))
}

/// Why a run ended before every identity was tried.
struct Stop {
    reason: String,
    /// A signal, rather than a failure, stopped it (the stop reason may
    /// still be the failure that came first).
    by_signal: bool,
}

/// How many identities have something left to do after `results`.
fn pending_count(writes: &[Pending], results: &Recorded) -> usize {
    writes.iter().filter(|w| results.todo(w) != Todo::Nothing).count()
}

/// What `apply` is about to do, for its question: `Send 3 changes and
/// revoke all sessions of 3 identities`, or `Revoke all sessions of 2
/// identities` when an earlier run sent their changes.
fn what_to_send(unsettled: &[&Pending], earlier: &Recorded) -> String {
    let everything = |w: &&&Pending| earlier.todo(w) == Todo::Everything;
    let changes = unsettled
        .iter()
        .filter(everything)
        .filter(|w| w.deletes.is_none())
        .count();
    let deletes = unsettled
        .iter()
        .filter(everything)
        .filter(|w| w.deletes.is_some())
        .count();
    let revokes = unsettled.iter().filter(|w| w.revoke_sessions).count();
    let revoking = identities(revokes, "identity", "identities");
    let mut parts = Vec::new();
    if changes > 0 {
        parts.push(format!("send {}", identities(changes, "change", "changes")));
    }
    if deletes > 0 {
        parts.push(format!("delete {}", identities(deletes, "identity", "identities")));
    }
    if revokes > 0 {
        parts.push(if changes == 0 && deletes == 0 {
            format!("revoke all sessions of {revoking} (their changes were sent by an earlier run)")
        } else {
            format!("revoke all sessions of {revoking}")
        });
    }
    if parts.is_empty() {
        parts.push("send 0 changes".to_owned());
    }
    let last = parts.pop().unwrap_or_default();
    let text = if parts.is_empty() {
        last
    } else {
        format!("{} and {last}", parts.join(", "))
    };
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// One refusal line for the whole plan (the apply was refused, not each
/// write), with `why`, the user's reason, when one was given.
async fn refuse_run(profile: &config::Profile, client: &Client, plan: &PlanFile, reason: String, why: Option<String>) {
    let log = match audit::require(profile) {
        Ok(required) => required.log,
        Err(err) => {
            script::warn_refusal_not_recorded(&err);
            return;
        }
    };
    let refusal = Refusal {
        target: Target::refused_put(client, plan.identities_url.clone(), None).about(None, why),
        changes: Vec::new(),
        reason,
    };
    if let Err(err) = audit::on_blocking_pool(&log, move |log| log.refusal(&refusal)).await {
        script::warn_refusal_not_recorded(&err);
    }
}

/// Counts per result over the whole plan, prints the summary and what to do
/// next, and gives the exit code.
fn finish(plan_shown: &str, writes: &[Pending], recorded: &Recorded, sent_now: usize, stop: Option<&Stop>) -> ExitCode {
    let results = &recorded.writes;
    let mut counts: HashMap<ResultKind, usize> = HashMap::new();
    let mut not_started = 0;
    for write in writes {
        match results.get(&write.planned.identity_id) {
            Some(line) => *counts.entry(line.result).or_default() += 1,
            None => not_started += 1,
        }
    }
    let count = |kind| counts.get(&kind).copied().unwrap_or(0);
    let summary = format!(
        "plan {plan_shown}: {} identities: {} sent ({sent_now} by this run), {} already applied, \
         {} skipped as changed since the plan, {} skipped as deleted, {} failed, {} with unknown outcome, \
         {not_started} not started",
        writes.len(),
        count(ResultKind::Sent),
        count(ResultKind::AlreadyApplied),
        count(ResultKind::SkippedChanged),
        count(ResultKind::SkippedMissing),
        count(ResultKind::Failed),
        count(ResultKind::Unknown),
    );
    if let Err(failure) = print_line(&summary) {
        return script::report(&failure, false);
    }
    let deleting: Vec<&Pending> = writes.iter().filter(|w| w.deletes.is_some()).collect();
    if !deleting.is_empty() {
        let of = |kind: ResultKind| {
            deleting
                .iter()
                .filter(|w| results.get(&w.planned.identity_id).map(|l| l.result) == Some(kind))
                .count()
        };
        let summary = format!(
            "deletions of {}: {} deleted, {} already gone, {} skipped as changed since the plan",
            identities(deleting.len(), "identity", "identities"),
            of(ResultKind::Sent),
            of(ResultKind::AlreadyApplied),
            of(ResultKind::SkippedChanged)
        );
        if let Err(failure) = print_line(&summary) {
            return script::report(&failure, false);
        }
    }
    // The revokes after the PUTs: one still to do keeps the run unfinished.
    let revoking: Vec<&Pending> = writes.iter().filter(|w| w.revoke_sessions).collect();
    let mut revokes_left = 0;
    if !revoking.is_empty() {
        let revoke = |id: &str| recorded.revokes.get(id).map(|line| line.result);
        let revoked = revoking
            .iter()
            .filter(|w| revoke(&w.planned.identity_id) == Some(ResultKind::Sent))
            .count();
        let none_left = revoking
            .iter()
            .filter(|w| revoke(&w.planned.identity_id) == Some(ResultKind::AlreadyApplied))
            .count();
        revokes_left = revoking.iter().filter(|w| recorded.todo(w) == Todo::RevokeOnly).count();
        let summary = format!(
            "sessions of {}: {revoked} revoked, {none_left} had none left, {revokes_left} still to revoke{}",
            identities(revoking.len(), "identity", "identities"),
            if revokes_left > 0 {
                " (their changes are sent)"
            } else {
                ""
            }
        );
        if let Err(failure) = print_line(&summary) {
            return script::report(&failure, false);
        }
    }
    let skipped = count(ResultKind::SkippedChanged) + count(ResultKind::SkippedMissing);
    let unfinished = count(ResultKind::Failed) + count(ResultKind::Unknown) + not_started + revokes_left;
    if let Some(stop) = stop {
        let or_keep_going = if stop.by_signal { "" } else { ", or add --keep-going" };
        eprintln!(
            "idcon: stopped: {}; identities in flight were finished. Run `idcon apply` on the plan again \
             to continue (nothing is sent twice){or_keep_going}",
            script::one_line(&stop.reason)
        );
    }
    if skipped > 0 {
        eprintln!(
            "idcon: {} since the plan and not sent; \
             their results are in the .results.jsonl file next to the plan: plan them again",
            identities(
                skipped,
                "identity changed or was deleted",
                "identities changed or were deleted"
            )
        );
    }
    let not_kept = writes
        .iter()
        .filter_map(|write| results.get(&write.planned.identity_id))
        .filter(|line| !line.not_kept.is_empty())
        .count();
    if not_kept > 0 {
        eprintln!(
            "idcon: {} sent, but the server did not keep every planned member \
             (not_kept in the .results.jsonl file next to the plan; an older Kratos or a gateway drops fields it does not know)",
            identities(not_kept, "identity was", "identities were")
        );
    }
    if unfinished > 0 {
        eprintln!(
            "idcon: {} not done; run `idcon apply` on the plan again: each is read \
             first, and one whose write already reached the server is not sent again",
            identities(unfinished, "identity is", "identities are")
        );
        return ExitCode::from(EXIT_ERROR);
    }
    if skipped > 0 {
        return ExitCode::from(EXIT_CONFLICT);
    }
    if not_kept > 0 {
        return ExitCode::from(EXIT_NOT_KEPT);
    }
    ExitCode::SUCCESS
}

/// One identity to work on, with what its batch read found.
struct Work {
    /// Its index in the plan's writes.
    index: usize,
    first: FirstRead,
}

/// What the batched read said about one identity.
enum FirstRead {
    /// In the batch's answer; the read went out at `at`.
    Listed { latest: Box<Snapshot>, at: Instant },
    /// To be read on its own (one GET): not in a batch (an old plan, an id
    /// that is not a UUID), missing from the answer (a GET says whether it
    /// is gone), or in a batch the server would not serve.
    Alone,
}

/// Most identities in one batch: Kratos's limit (the request line splits
/// it further, about 190 UUIDs a request).
const MAX_BATCH: usize = crate::api::batches::MAX_IDS_PER_REQUEST;

/// The first batch, before anything says how long an identity takes, in
/// identities per job.
const FIRST_BATCH_PER_JOB: usize = 4;

/// How old a batch's read may get, by the sizing, when its last PUT goes
/// out: half of [`FRESH_READ`], so a slow moment still leaves the rule to
/// catch it rather than forcing re-reads.
const BATCH_BUDGET: Duration = Duration::from_millis(500);

/// Under `--rps R`, at most `R - 1` identities per batch (never less than
/// one): the batch's read and all its PUTs then fit in one second's
/// permits, taken together before the read.
fn batch_limit_for_rps(rps: f64) -> usize {
    // `rps` is at most 10,000 (parse_rps), so the cast cannot overflow.
    let whole = rps.floor() as usize;
    whole.saturating_sub(1).clamp(1, MAX_BATCH)
}

/// Feeds the run: reads the plan's identities batch by batch (the list
/// `ids` filter) and hands them out. The next batch is read when the
/// current one is down to its last round, so its read overlaps the current
/// batch's last writes; batches are sized from how long an identity takes,
/// so that the last identity of a batch is written well within
/// [`FRESH_READ`] of the batch's read ([`BATCH_BUDGET`]).
struct Feeder {
    queue: VecDeque<usize>,
    ready: VecDeque<Work>,
    reading: Option<tokio::task::JoinHandle<Vec<Work>>>,
    jobs: usize,
    /// The largest batch `--rps` allows, when given.
    rps_limit: Option<usize>,
}

impl Feeder {
    fn new(runner: &Runner, pending: VecDeque<usize>, jobs: usize, rps: Option<f64>) -> Feeder {
        let mut feeder = Feeder {
            queue: VecDeque::new(),
            ready: VecDeque::new(),
            reading: None,
            jobs: jobs.max(1),
            rps_limit: rps.map(batch_limit_for_rps),
        };
        // An old plan's identities are read one by one, as they were
        // planned; a new plan's in batches (`read_batch` reads an id that is
        // not a UUID on its own).
        if runner.shape == ReadShape::List {
            feeder.queue = pending;
        } else {
            feeder.ready = pending
                .into_iter()
                .map(|index| Work {
                    index,
                    first: FirstRead::Alone,
                })
                .collect();
        }
        feeder
    }

    /// How many identities the next batch takes.
    fn next_size(&self, per_identity: Option<Duration>) -> usize {
        let size = match per_identity {
            None => FIRST_BATCH_PER_JOB * self.jobs,
            Some(each) => {
                let each = each.max(Duration::from_micros(50)).as_secs_f64();
                // Budget / (time per identity / jobs), whole identities.
                (BATCH_BUDGET.as_secs_f64() * self.jobs as f64 / each).floor() as usize
            }
        };
        let size = size.clamp(self.jobs, MAX_BATCH);
        match self.rps_limit {
            Some(limit) => size.min(limit),
            None => size,
        }
    }

    /// Starts reading the next batch when the current one is down to its
    /// last round (at most `--jobs` identities not yet handed out): the
    /// read then overlaps that round instead of leaving the slots idle
    /// after it, and is at most one round older for it.
    fn read_next_if_due(&mut self, runner: &Arc<Runner>) {
        if self.reading.is_some() || self.ready.len() > self.jobs || self.queue.is_empty() || runner.stopped() {
            return;
        }
        let size = self.next_size(runner.per_identity());
        let mut batch = Vec::with_capacity(size);
        while batch.len() < size {
            let Some(index) = self.queue.pop_front() else { break };
            batch.push(index);
        }
        let runner = Arc::clone(runner);
        self.reading = Some(tokio::spawn(async move { runner.read_batch(batch).await }));
    }

    /// Resolves when the batch being read is in (never, when none is).
    async fn reading_done(&mut self) -> Vec<Work> {
        match &mut self.reading {
            Some(handle) => {
                let joined = handle.await;
                self.reading = None;
                joined.unwrap_or_default()
            }
            None => std::future::pending().await,
        }
    }

    fn take(&mut self, batch: Vec<Work>, runner: &Runner) {
        if batch.is_empty() && !self.queue.is_empty() && !runner.stopped() {
            // The read task failed midway: nothing is known of its batch.
            runner.stop_because("reading a batch of identities stopped midway".to_owned());
        }
        self.ready.extend(batch);
    }
}

/// Works on the identities of a plan: shared by every identity's task,
/// each on the runtime's worker threads.
struct Runner {
    client: Client,
    audit: Arc<AuditLog>,
    results: ResultsFile,
    plan_id: String,
    /// How the plan's snapshots were read: fresh reads have the same shape.
    shape: ReadShape,
    writes: Arc<Vec<Pending>>,
    limiter: Option<RateLimiter>,
    keep_going: bool,
    /// Why the run stops early; set once, by the first failure that stops it.
    stop: Mutex<Option<String>>,
    stopped: AtomicBool,
    /// A signal asked to stop (a second one stops at once).
    interrupted: AtomicBool,
    /// How long an identity takes from its turn to its result (a moving
    /// average), for sizing batches.
    per_identity: Mutex<Option<Duration>>,
    /// The server ignored or refused the `ids` filter once: every identity
    /// after that is read on its own (said once on stderr).
    one_by_one: AtomicBool,
    /// An identity holds one from its fresh read's check to its PUT's
    /// answer: at most `--jobs` PUTs of this run are in flight.
    slots: Arc<tokio::sync::Semaphore>,
}

impl Runner {
    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    fn stop_because(&self, reason: String) {
        let mut stop = self.stop.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if stop.is_none() {
            *stop = Some(reason);
        }
        self.stopped.store(true, Ordering::SeqCst);
    }

    fn take_stop(&self) -> Option<String> {
        self.stop
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    fn per_identity(&self) -> Option<Duration> {
        *self
            .per_identity
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn note_time(&self, took: Duration) {
        let mut average = self
            .per_identity
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *average = Some(match *average {
            None => took,
            Some(before) => (before * 3 + took) / 4,
        });
    }

    /// A server error, a network failure or a refused signature or token
    /// (the same for every identity) stops the run, unless --keep-going.
    fn stop_on(&self, err: &ApiError, what: &str) {
        let serious = err
            .status()
            .is_none_or(|status| status >= 500 || status == 401 || status == 403);
        if serious && !self.keep_going {
            let why = match err.status() {
                Some(status) => format!("HTTP {status} on {what}"),
                None => format!("network failure on {what}"),
            };
            self.stop_because(why);
        }
    }

    /// Waits for the permits of `requests` requests under `--rps`.
    async fn pace(&self, requests: usize) {
        if let Some(limiter) = &self.limiter {
            limiter.wait(requests).await;
        }
    }

    /// Reads the identities `batch` (indices into the plan's writes) with
    /// the list `ids` filter. Under `--rps` the permits of the read and of
    /// every PUT of the batch are taken first, together, so no wait for a
    /// permit falls between a read and its PUT.
    async fn read_batch(self: Arc<Self>, batch: Vec<usize>) -> Vec<Work> {
        // A delete is read on its own, with a GET: the list shape has no
        // credentials, and what the person loses is compared too.
        let ids: Vec<String> = batch
            .iter()
            .filter_map(|&index| self.writes.get(index))
            .filter(|w| w.deletes.is_none())
            .map(|w| w.planned.identity_id.clone())
            .filter(|id| write::batchable(id))
            .collect();
        let alone = |batch: &[usize]| -> Vec<Work> {
            batch
                .iter()
                .map(|&index| Work {
                    index,
                    first: FirstRead::Alone,
                })
                .collect()
        };
        if self.one_by_one.load(Ordering::SeqCst) {
            return alone(&batch);
        }
        let mut found: HashMap<String, (Box<Snapshot>, Instant)> = HashMap::with_capacity(ids.len());
        for part in write::batch::batches(&self.client, &ids) {
            if self.stopped() {
                return Vec::new();
            }
            self.pace(1 + part.len()).await;
            match write::fetch_listed(&self.client, &part).await {
                Ok(listed) if listed.ignored_filter => {
                    self.read_one_by_one(
                        "the server answered a list filtered by ids with identities not asked for (it ignores \
                         the ids filter)",
                    );
                    return alone(&batch);
                }
                Ok(listed) => {
                    let at = listed.started;
                    found.extend(
                        listed
                            .found
                            .into_iter()
                            .map(|(id, snapshot)| (id, (Box::new(snapshot), at))),
                    );
                }
                Err(err) if write::refused_batch(&err) => {
                    self.read_one_by_one(&format!(
                        "the server refused a list filtered by ids ({})",
                        script::one_line(&err.to_string())
                    ));
                    return alone(&batch);
                }
                Err(err) => {
                    self.stop_on(&err, "a batched read before the writes");
                    if self.stopped() {
                        return Vec::new();
                    }
                    // --keep-going: each is read (and fails or not) alone.
                    return alone(&batch);
                }
            }
        }
        batch
            .into_iter()
            .map(|index| {
                let first = self
                    .writes
                    .get(index)
                    .and_then(|w| found.remove(&w.planned.identity_id))
                    .map_or(FirstRead::Alone, |(latest, at)| FirstRead::Listed { latest, at });
                Work { index, first }
            })
            .collect()
    }

    /// From now on every identity is read on its own; says why, once.
    fn read_one_by_one(&self, why: &str) {
        if !self.one_by_one.swap(true, Ordering::SeqCst) {
            eprintln!("idcon: note: {why}, so identities are read one by one");
        }
    }

    /// Decides from a read: a final result, or send. For a `delete`: gone
    /// already is done (`already_applied`), unchanged since the plan is
    /// deleted, changed is skipped (the lost-update check, as for a PUT).
    fn judge(
        &self,
        planned: &PlannedWrite,
        deletion: Option<&Deletion>,
        read: Result<Snapshot, ApiError>,
        line: &(dyn Fn(ResultKind) -> ResultLine + Sync),
    ) -> Judged {
        let delete = deletion.is_some();
        let latest = match read {
            Err(err) if delete && err.is_not_found() => {
                return Judged::Done(ResultLine {
                    status: Some(404),
                    message: Some("the identity is already gone; nothing was sent".to_owned()),
                    ..line(ResultKind::AlreadyApplied)
                });
            }
            Err(err) if err.is_not_found() => {
                return Judged::Done(ResultLine {
                    status: Some(404),
                    message: Some("the identity no longer exists".to_owned()),
                    ..line(ResultKind::SkippedMissing)
                });
            }
            Err(err) => {
                self.stop_on(&err, "the read before the write");
                return Judged::Done(ResultLine {
                    status: err.status(),
                    message: Some(format!("reading it failed: {}", script::one_line(&err.to_string()))),
                    ..line(ResultKind::Failed)
                });
            }
            Ok(latest) => latest,
        };
        if let Some(deletion) = deletion {
            // The identity as planned (list shape), and the credentials the
            // review named: Kratos v1.3 does not move `updated_at` on a
            // write, so a credential added since would go unseen otherwise.
            let credentials = crate::api::delete::snapshot(&latest.raw)
                .get("credentials")
                .cloned()
                .unwrap_or_default();
            let listed = write::shaped(latest, ReadShape::List);
            let mut changed: Vec<String> =
                match write::compare(&planned.base, plan::redacted_like(&planned.base, listed)) {
                    Freshness::Unchanged => Vec::new(),
                    Freshness::Changed { server_changes, .. } => {
                        server_changes.into_iter().map(|c| c.pointer).collect()
                    }
                };
            if deletion
                .snapshot
                .get("credentials")
                .is_some_and(|planned| *planned != credentials)
            {
                changed.push("/credentials".to_owned());
            }
            if changed.is_empty() {
                return Judged::Send(Box::new(planned.clone()));
            }
            return Judged::Done(ResultLine {
                message: Some("changed on the server since the plan; not deleted".to_owned()),
                server_changes: changed,
                ..line(ResultKind::SkippedChanged)
            });
        }
        // Secrets are `<redacted>` in a plan: compared as such, and put back
        // from this read before the PUT.
        let freshness = write::compare(&planned.base, plan::redacted_like(&planned.base, latest.clone()));
        match freshness {
            Freshness::Unchanged => match plan::with_fresh_secrets(planned, &latest) {
                Ok(ready) => Judged::Send(Box::new(ready)),
                Err(why) => Judged::Done(ResultLine {
                    message: Some(why),
                    ..line(ResultKind::Failed)
                }),
            },
            Freshness::Changed { server_changes, latest } => {
                // Either our own write of an earlier run (its answer lost)
                // or someone else's identical change: nothing to send.
                let holds_plan = write::rebase(planned, &latest, Resolution::Merge).is_ok_and(|m| m.is_noop());
                Judged::Done(if holds_plan {
                    ResultLine {
                        message: Some("the server already holds the planned values; nothing was sent".to_owned()),
                        ..line(ResultKind::AlreadyApplied)
                    }
                } else {
                    ResultLine {
                        message: Some("changed on the server since the plan; nothing was sent".to_owned()),
                        server_changes: server_changes.into_iter().map(|c| c.pointer).collect(),
                        ..line(ResultKind::SkippedChanged)
                    }
                })
            }
        }
    }

    /// Reads (unless its batch did), compares, sends and records one
    /// identity; its index and result, `None` when the run stopped before
    /// anything was done with it.
    ///
    /// An identity whose batch read is in hand is judged and its PUT signed
    /// while it waits for a slot (`prep` is its place among the at most
    /// `--jobs` identities preparing). A slot (at most `--jobs`) is held
    /// from then to the PUT's answer: the read's age is checked in it, right
    /// before the intent is recorded and the PUT sent (a read older than
    /// [`FRESH_READ`] is done again, in the slot, and so is the read of an
    /// identity that has none in hand). The outcome and result lines are
    /// written once the slot is free again.
    async fn process(self: Arc<Self>, work: Work, prep: tokio::sync::OwnedSemaphorePermit) -> Option<Done> {
        let (index, line, slot) = self.process_write(work, prep).await?;
        let wrote = matches!(line.result, ResultKind::Sent | ResultKind::AlreadyApplied);
        let revoke = match self.writes.get(index) {
            Some(pending) if pending.revoke_sessions && wrote => self.revoke(index, slot).await,
            _ => None,
        };
        Some(Done { index, line, revoke })
    }

    /// The write step of [`Runner::process`]: the result line, and the
    /// slot when the PUT's identity keeps it for revoking its sessions.
    async fn process_write(
        &self,
        work: Work,
        prep: tokio::sync::OwnedSemaphorePermit,
    ) -> Option<(usize, ResultLine, Option<tokio::sync::OwnedSemaphorePermit>)> {
        let pending = self.writes.get(work.index)?;
        let planned = &pending.planned;
        let delete = pending.deletes.as_ref();
        let id = planned.identity_id.as_str();
        let line = |result: ResultKind| ResultLine {
            plan_id: self.plan_id.clone(),
            id: id.to_owned(),
            line: pending.line,
            result,
            step: Step::Write,
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            request_id: None,
            status: None,
            message: None,
            server_changes: Vec::new(),
            not_kept: Vec::new(),
        };
        if self.stopped() {
            return None;
        }
        let mut reads = 0;
        let mut ready: Option<Ready> = None;
        if let FirstRead::Listed { latest, at } = work.first {
            reads += 1;
            match self.prepare(planned, delete, Ok(*latest), at, &line).await {
                Ok(prepared) => ready = Some(prepared),
                Err(result) => return self.settle(work.index, result, prep).await.map(|(i, l)| (i, l, None)),
            }
        }
        let slot = Arc::clone(&self.slots).acquire_owned().await.ok()?;
        drop(prep);
        let began = Instant::now();
        let result = loop {
            if self.stopped() {
                return None;
            }
            if let Some(prepared) = ready.take() {
                if prepared.read_at.elapsed() <= FRESH_READ {
                    if let Some(deletion) = &pending.deletes {
                        let result = self.delete(prepared, deletion, slot, began, &line).await;
                        return Some((work.index, result, None));
                    }
                    let keep = pending.revoke_sessions;
                    let (result, slot) = self.put(prepared, slot, keep, began, &line).await;
                    return Some((work.index, result, slot));
                }
                if reads >= MAX_READS {
                    break ResultLine {
                        message: Some(format!(
                            "not sent: {MAX_READS} reads in a row were older than {} s by the time the write \
                             could go out",
                            FRESH_READ.as_secs()
                        )),
                        ..line(ResultKind::Failed)
                    };
                }
                // Too long since the read (a slow round, a slow disk for
                // the audit line, a busy host): read again before trusting
                // it.
            }
            // The first read of an identity read alone takes the permits of
            // the read and its PUT together; a read again only its own (its
            // PUT's was taken with the first read).
            self.pace(if reads == 0 { 2 } else { 1 }).await;
            reads += 1;
            let at = Instant::now();
            // A delete's read keeps the credentials (a GET), to compare them.
            let shape = if delete.is_some() { ReadShape::Get } else { self.shape };
            let read = write::fetch_one(&self.client, id, shape).await;
            match self.prepare(planned, delete, read, at, &line).await {
                Ok(prepared) => ready = Some(prepared),
                Err(result) => break result,
            }
        };
        self.note_time(began.elapsed());
        self.settle(work.index, result, slot).await.map(|(i, l)| (i, l, None))
    }

    /// Judges a read and, when it says send, signs the PUT: the write ready
    /// to go, or the identity's final result.
    async fn prepare(
        &self,
        planned: &PlannedWrite,
        delete: Option<&Deletion>,
        read: Result<Snapshot, ApiError>,
        read_at: Instant,
        line: &(dyn Fn(ResultKind) -> ResultLine + Sync),
    ) -> Result<Ready, ResultLine> {
        let write = match self.judge(planned, delete, read, line) {
            Judged::Done(result) => return Err(result),
            Judged::Send(write) => write,
        };
        let signed = if delete.is_some() {
            self.client
                .prepare_delete_identity(&write.identity_id)
                .map_err(WriteError::from)
        } else {
            write::sign_or_refuse(&self.client, Some(&self.audit), &write).await
        };
        match signed {
            Ok(request) => Ok(Ready {
                write,
                request: Box::new(request),
                read_at,
            }),
            Err(err) => {
                // The profile refuses (read-only) or the request cannot be
                // made: the same for every identity, so stop.
                self.stop_because(err.to_string());
                Err(ResultLine {
                    message: Some(script::one_line(&err.to_string())),
                    ..line(ResultKind::Failed)
                })
            }
        }
    }

    /// Records a result that sent nothing, after giving back `permit`.
    async fn settle(
        &self,
        index: usize,
        result: ResultLine,
        permit: tokio::sync::OwnedSemaphorePermit,
    ) -> Option<(usize, ResultLine)> {
        drop(permit);
        if let Err(why) = self.results.append(&result).await {
            self.stop_because(format!("the result cannot be recorded: {why}"));
        }
        Some((index, result))
    }

    /// Records the intent (on disk first: the identity as the plan saw it,
    /// which the read just found unchanged, one removal per value, secrets
    /// `<redacted>`) and sends the DELETE; `already_applied` when Kratos
    /// answers that no such identity is left (a lost answer's retry): its
    /// `identity/handler.go` `delete` answers 204, or sqlcon's no-rows 404
    /// when `persistence/sql/identity/persister_identity.go`
    /// `DeleteIdentity` removed no row (v1.3.1 to v26.2.0).
    async fn delete(
        &self,
        ready: Ready,
        deletion: &Deletion,
        slot: tokio::sync::OwnedSemaphorePermit,
        began: Instant,
        line: &(dyn Fn(ResultKind) -> ResultLine + Sync),
    ) -> ResultLine {
        let write = AuditedWrite {
            identity_id: Some(ready.write.identity_id.clone()),
            identifier: ready.write.identifier.clone(),
            why: ready.write.reason.clone(),
            changes: crate::api::delete::snapshot_changes(&deletion.snapshot, None),
        };
        let sending = self.client.send_delete_identity_exchange(&ready.request);
        let sent = send_audited(&self.client, Some(&self.audit), &ready.request, &write, sending).await;
        drop(slot);
        self.note_time(began.elapsed());
        let result = match sent {
            Ok(done) => {
                if let Some(warning) = &done.audit_warning {
                    eprintln!("idcon: warning: {}", script::one_line(warning));
                }
                let (kind, message) = match done.response.value {
                    Deleted::Deleted => (ResultKind::Sent, "deleted"),
                    Deleted::AlreadyGone => (ResultKind::AlreadyApplied, "the identity is already gone"),
                };
                ResultLine {
                    request_id: Some(ready.request.request_id.clone()),
                    status: Some(done.response.exchange.status),
                    message: Some(message.to_owned()),
                    ..line(kind)
                }
            }
            Err(WriteError::Api(err)) => {
                self.stop_on(&err, "a delete");
                let kind = if outcome_unknown(&err) {
                    ResultKind::Unknown
                } else {
                    ResultKind::Failed
                };
                ResultLine {
                    request_id: err.request_id(),
                    status: err.status(),
                    message: Some(script::one_line(&err.to_string())),
                    ..line(kind)
                }
            }
            Err(err) => {
                // The audit trail cannot record: nothing was sent.
                self.stop_because(err.to_string());
                ResultLine {
                    message: Some(script::one_line(&err.to_string())),
                    ..line(ResultKind::Failed)
                }
            }
        };
        if let Err(why) = self.results.append(&result).await {
            self.stop_because(format!("the result cannot be recorded: {why}"));
        }
        result
    }

    /// Records the intent (on disk first) and sends the PUT; gives the slot
    /// back when it is answered (unless `keep`: the identity's sessions are
    /// revoked next, in the same slot), then writes the outcome line and
    /// the result line at once (two files). The result line, and the slot
    /// when kept.
    async fn put(
        &self,
        ready: Ready,
        slot: tokio::sync::OwnedSemaphorePermit,
        keep: bool,
        began: Instant,
        line: &(dyn Fn(ResultKind) -> ResultLine + Sync),
    ) -> (ResultLine, Option<tokio::sync::OwnedSemaphorePermit>) {
        let sent = write::put_signed(&self.client, Some(&self.audit), &ready.write, &ready.request).await;
        let slot = if keep {
            Some(slot)
        } else {
            drop(slot);
            None
        };
        self.note_time(began.elapsed());
        let answered = match sent {
            Ok(answered) => answered,
            Err(err) => {
                // The audit trail cannot record: the same for every
                // identity, so stop. Nothing was sent.
                self.stop_because(err.to_string());
                let result = ResultLine {
                    message: Some(script::one_line(&err.to_string())),
                    ..line(ResultKind::Failed)
                };
                return (result, None);
            }
        };
        let result = match answered.result() {
            Ok(result) => {
                let findings = result.verification.messages();
                ResultLine {
                    request_id: Some(result.request_id.clone()),
                    status: Some(result.exchange.status),
                    message: (!findings.is_empty()).then(|| script::one_line(&findings.join("; "))),
                    not_kept: result.verification.not_kept.clone(),
                    ..line(ResultKind::Sent)
                }
            }
            Err(err) => {
                self.stop_on(err, "a write");
                let kind = if outcome_unknown(err) {
                    ResultKind::Unknown
                } else {
                    ResultKind::Failed
                };
                ResultLine {
                    request_id: err.request_id(),
                    status: err.status(),
                    message: Some(script::one_line(&err.to_string())),
                    ..line(kind)
                }
            }
        };
        let (warning, recorded) =
            futures::future::join(answered.record(Some(&self.audit)), self.results.append(&result)).await;
        if let Some(warning) = warning.ok().and_then(|r| r.audit_warning) {
            eprintln!("idcon: warning: {}", script::one_line(&warning));
        }
        if let Err(why) = recorded {
            self.stop_because(format!("the result cannot be recorded: {why}"));
        }
        (result, slot)
    }
}

/// What one identity's task did: its write's result line, and its revoke's
/// when the entry revokes sessions and the revoke was tried.
struct Done {
    index: usize,
    line: ResultLine,
    revoke: Option<ResultLine>,
}

impl Runner {
    /// Revokes all sessions of the identity of entry `index` (`DELETE
    /// {identities_path}/{id}/sessions`, between its own audit intent and
    /// outcome, with the entry's reason) and records the result as its
    /// `revoke_sessions` step. Kratos's 404 "Unable to locate the resource"
    /// ([`RevokedAll::NoneLeft`]: none left, what a retry after a lost
    /// answer gets) is done too. `None` when the run was stopped by a
    /// failure before it (the next run revokes without writing again); a
    /// signal lets an identity in flight finish its revoke. `slot`: the one
    /// its PUT held, else one is taken.
    async fn revoke(&self, index: usize, slot: Option<tokio::sync::OwnedSemaphorePermit>) -> Option<ResultLine> {
        if self.stopped() && !self.interrupted.load(Ordering::SeqCst) {
            return None;
        }
        let pending = self.writes.get(index)?;
        let planned = &pending.planned;
        let line = |result: ResultKind| ResultLine {
            plan_id: self.plan_id.clone(),
            id: planned.identity_id.clone(),
            line: pending.line,
            result,
            step: Step::RevokeSessions,
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            request_id: None,
            status: None,
            message: None,
            server_changes: Vec::new(),
            not_kept: Vec::new(),
        };
        let slot = match slot {
            Some(slot) => slot,
            None => Arc::clone(&self.slots).acquire_owned().await.ok()?,
        };
        self.pace(1).await;
        let write = AuditedWrite {
            identity_id: Some(planned.identity_id.clone()),
            identifier: planned.identifier.clone(),
            why: planned.reason.clone(),
            changes: vec![Change {
                pointer: "/sessions".to_owned(),
                old: None,
                new: Some(serde_json::json!("all revoked")),
            }],
        };
        let sent = match self.client.prepare_revoke_identity_sessions(&planned.identity_id) {
            Ok(prepared) => {
                let sending = self.client.send_revoke_identity_sessions(&prepared);
                send_audited(&self.client, Some(&self.audit), &prepared, &write, sending)
                    .await
                    .map(|done| (done, prepared.request_id.clone()))
            }
            Err(err) => Err(WriteError::from(err)),
        };
        drop(slot);
        let result = match sent {
            Ok((done, request_id)) => {
                if let Some(warning) = &done.audit_warning {
                    eprintln!("idcon: warning: {}", script::one_line(warning));
                }
                let (kind, message) = match done.response.value {
                    RevokedAll::Revoked => (ResultKind::Sent, "all sessions revoked"),
                    RevokedAll::NoneLeft => (ResultKind::AlreadyApplied, "no sessions left to revoke"),
                };
                ResultLine {
                    request_id: Some(request_id),
                    status: Some(done.response.exchange.status),
                    message: Some(message.to_owned()),
                    ..line(kind)
                }
            }
            Err(WriteError::Api(err)) => {
                self.stop_on(&err, "revoking sessions");
                let kind = if outcome_unknown(&err) {
                    ResultKind::Unknown
                } else {
                    ResultKind::Failed
                };
                ResultLine {
                    request_id: err.request_id(),
                    status: err.status(),
                    message: Some(format!(
                        "revoking its sessions failed: {}",
                        script::one_line(&err.to_string())
                    )),
                    ..line(kind)
                }
            }
            Err(err) => {
                // The audit trail cannot record (nothing was sent), or the
                // profile refuses: the same for every identity.
                self.stop_because(err.to_string());
                ResultLine {
                    message: Some(script::one_line(&err.to_string())),
                    ..line(ResultKind::Failed)
                }
            }
        };
        if let Err(why) = self.results.append(&result).await {
            self.stop_because(format!("the result cannot be recorded: {why}"));
        }
        Some(result)
    }
}

/// A write ready to go out: judged on a read, its PUT signed.
struct Ready {
    write: Box<PlannedWrite>,
    request: Box<crate::api::PreparedRequest>,
    /// When the read it was judged on went out.
    read_at: Instant,
}

/// True when a PUT may have been carried out although no success came back:
/// the request went out and the answer was lost, cut or unreadable.
fn outcome_unknown(err: &ApiError) -> bool {
    match err {
        ApiError::ConnectionRefused { .. } | ApiError::Dns { .. } | ApiError::Tls { .. } => false,
        ApiError::Timeout { phase, .. } => *phase != crate::api::TimeoutPhase::Connect,
        _ => err.status().is_none_or(|status| (200..300).contains(&status)),
    }
}

/// What the fresh read says to do with one identity.
enum Judged {
    /// Settled without a write (skipped, already applied, the read failed).
    Done(ResultLine),
    /// Unchanged since the plan: send this (the plan's write, its secrets
    /// taken from the read).
    Send(Box<PlannedWrite>),
}

/// How old the fresh read may be when its PUT goes out (checked right
/// before the write is signed, its intent recorded and sent).
const FRESH_READ: Duration = Duration::from_secs(1);

/// Reads of one identity before giving up on a fresh one.
const MAX_READS: u32 = 3;

/// `--rps`, through governor's GCRA limiter. A read and the PUTs it guards
/// take their permits together, before the read (an identity read alone:
/// 2; a batch: 1 for the list request and 1 per identity in it), so no wait
/// for a permit ever falls between a read and its PUT: the fresh read is
/// what stands between someone else's edit and an overwrite, and it must be
/// fresh when the PUT goes out. The burst is what the largest batch needs
/// (`R` at most, 2 at least), so over any second at most `max(R, 2)`
/// requests go out.
struct RateLimiter {
    limiter: governor::DefaultDirectRateLimiter,
    burst: u32,
}

impl RateLimiter {
    fn new(rps: f64, batch_limit: usize) -> RateLimiter {
        let period = Duration::from_secs_f64(1.0 / rps).max(Duration::from_nanos(1));
        let burst = u32::try_from(batch_limit + 1).unwrap_or(u32::MAX).max(2);
        let burst_permits = std::num::NonZeroU32::new(burst).unwrap_or(std::num::NonZeroU32::MIN);
        let quota = governor::Quota::with_period(period)
            .unwrap_or_else(|| governor::Quota::per_second(std::num::NonZeroU32::MAX))
            .allow_burst(burst_permits);
        RateLimiter {
            limiter: governor::RateLimiter::direct(quota),
            burst,
        }
    }

    /// Waits until `n` more requests may go out, in pieces of at most the
    /// burst (a batch is sized to fit it, so normally one piece).
    async fn wait(&self, n: usize) {
        let mut left = u32::try_from(n).unwrap_or(u32::MAX);
        while left > 0 {
            let piece = left.min(self.burst);
            left -= piece;
            let Some(piece) = std::num::NonZeroU32::new(piece) else {
                break;
            };
            if self.limiter.until_n_ready(piece).await.is_err() {
                // More than the burst: cannot happen with piece <= burst.
                self.limiter.until_ready().await;
            }
        }
    }
}

/// `PLAN.results.jsonl`, open for appending and locked for this run. Lines
/// of identities finishing at the same time share one write and one fsync
/// ([`GroupCommit`]); each is on disk when its `append` returns.
struct ResultsFile {
    path: PathBuf,
    commit: Arc<GroupCommit>,
}

impl ResultsFile {
    fn open(path: &Path) -> Result<ResultsFile, Failure> {
        let shown = script::one_line(&path.display().to_string());
        let file = crate::paths::open_private_append(path)
            .map_err(|err| Failure::error(format!("cannot open the result file {shown}: {err}")))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Failure::error(format!(
                    "another idcon apply is working on this plan ({shown} is locked); nothing was sent"
                )));
            }
            Err(std::fs::TryLockError::Error(err)) => {
                return Err(Failure::error(format!("cannot lock the result file {shown}: {err}")));
            }
        }
        Ok(ResultsFile {
            path: path.to_owned(),
            // Locked for the whole run above: the commits must not let go.
            commit: Arc::new(GroupCommit::new(file, FileLock::Held)),
        })
    }

    /// Appends one line and syncs it to disk (on tokio's blocking pool).
    async fn append(&self, line: &ResultLine) -> Result<(), String> {
        let text = crate::sanitize::json_inert_line(line).map_err(|err| err.to_string())?;
        let commit = Arc::clone(&self.commit);
        let written = tokio::task::spawn_blocking(move || commit.append(text.as_bytes())).await;
        let shown = script::one_line(&self.path.display().to_string());
        match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(format!("{shown}: {err}")),
            Err(err) => Err(format!("{shown}: the writer stopped: {err}")),
        }
    }
}

/// The last result of each identity of this plan in the result file. A
/// damaged line (a crash mid-write) is skipped with a warning: its identity
/// is then simply read and checked again. Lines of another plan are refused.
fn read_results(path: &Path, plan_id: &str) -> Result<Recorded, Failure> {
    let shown = script::one_line(&path.display().to_string());
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Recorded::default()),
        Err(err) => return Err(Failure::error(format!("cannot read the result file {shown}: {err}"))),
    };
    let mut results = Recorded::default();
    for (index, text) in io::BufReader::new(file).lines().enumerate() {
        let text = text.map_err(|err| Failure::error(format!("cannot read the result file {shown}: {err}")))?;
        if text.trim().is_empty() {
            continue;
        }
        let line: ResultLine = match serde_json::from_str(&text) {
            Ok(line) => line,
            Err(err) => {
                eprintln!(
                    "idcon: warning: {shown} line {}: damaged ({err}); ignored, its identity is checked on the server again",
                    index + 1
                );
                continue;
            }
        };
        if line.plan_id != plan_id {
            return Err(Failure::usage(format!(
                "{shown} holds results of another plan ({}, this plan is {plan_id}); move it away to apply this plan; \
                 nothing was sent",
                script::one_line(&line.plan_id)
            )));
        }
        results.insert(line);
    }
    Ok(results)
}

/// The progress of a run: a bar on stderr when it is a terminal, one line
/// per identity on stdout when that is not a terminal (logs, pipes), and on
/// a terminal only the identities that were not simply sent. The bar is
/// indicatif's: counters only (no identity data), drawn once per result and
/// at most ten times a second (indicatif's limit), never on a timer: every
/// byte goes through SSH.
struct Progress {
    total: usize,
    done: usize,
    /// What the bar's `{counters}` shows, read when it draws.
    shown: Arc<Counters>,
    bar: indicatif::ProgressBar,
    every_line: bool,
}

/// Most redraws of the bar per second.
const REDRAWS_PER_SECOND: u8 = 10;

/// The counts the bar shows, shared with its template.
#[derive(Debug, Default)]
struct Counters {
    sent: AtomicUsize,
    already: AtomicUsize,
    skipped: AtomicUsize,
    failed: AtomicUsize,
}

impl Counters {
    fn write(&self, out: &mut dyn std::fmt::Write) {
        let get = |count: &AtomicUsize| count.load(Ordering::Relaxed);
        // Nothing to do when the bar's line cannot take more text.
        let _ = write!(
            out,
            "sent {}  already {}  skipped {}  failed {}",
            get(&self.sent),
            get(&self.already),
            get(&self.skipped),
            get(&self.failed)
        );
    }
}

impl Progress {
    fn new(total: usize) -> Progress {
        let target = if io::stderr().is_terminal() {
            indicatif::ProgressDrawTarget::stderr_with_hz(REDRAWS_PER_SECOND)
        } else {
            indicatif::ProgressDrawTarget::hidden()
        };
        let shown = Arc::new(Counters::default());
        let counters = Arc::clone(&shown);
        // A constant template: it parses; the default style is only a fallback.
        let style = indicatif::ProgressStyle::with_template("[{bar:20}] {pos}/{len}  {counters}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .with_key(
                "counters",
                move |_: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| counters.write(out),
            )
            .progress_chars("#-");
        let bar = indicatif::ProgressBar::with_draw_target(Some(total as u64), target).with_style(style);
        bar.tick();
        Progress {
            total,
            done: 0,
            shown,
            bar,
            every_line: !io::stdout().is_terminal(),
        }
    }

    /// Counts `line` and, when it is worth a line, prints it with who the
    /// identity is (`write`, the plan's entry).
    fn record(&mut self, line: &ResultLine, write: Option<&Pending>) {
        self.done += 1;
        let counter = match line.result {
            ResultKind::Sent => &self.shown.sent,
            ResultKind::AlreadyApplied => &self.shown.already,
            ResultKind::SkippedChanged | ResultKind::SkippedMissing => &self.shown.skipped,
            ResultKind::Failed | ResultKind::Unknown => &self.shown.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let notable =
            !matches!(line.result, ResultKind::Sent | ResultKind::AlreadyApplied) || !line.not_kept.is_empty();
        if self.every_line || notable {
            let who = write
                .and_then(|w| script::who_text(w.planned.identifier.as_deref(), w.name.as_deref()))
                .map(|who| format!(" {who}"))
                .unwrap_or_default();
            let mut text = format!(
                "[{}/{}] {} {}{who} (line {})",
                self.done,
                self.total,
                match write {
                    Some(w) if w.deletes.is_some() && line.step == Step::Write => delete_label(line.result),
                    _ => step_label(line),
                },
                script::one_line(&line.id),
                line.line
            );
            if let Some(status) = line.status {
                text.push_str(&format!(": HTTP {status}"));
            }
            if let Some(message) = &line.message
                && (line.result != ResultKind::Sent || !line.not_kept.is_empty())
            {
                text.push_str(&format!(": {}", script::one_line(message)));
            }
            if !line.server_changes.is_empty() {
                let changed: Vec<String> = line.server_changes.iter().map(|p| script::one_line(p)).collect();
                text.push_str(&format!(" [{}]", changed.join(", ")));
            }
            // The bar steps aside for the line. A closed stdout must not
            // stop the run: the result file has it all.
            self.bar.suspend(|| {
                let _ = print_line(&text);
            });
        }
        self.bar.set_position(self.done as u64);
    }

    /// Prints the line of a step after an identity's write (its sessions
    /// revoked), which [`Progress::record`] counted: on a terminal only
    /// when it did not succeed.
    fn record_step(&mut self, line: &ResultLine, write: Option<&Pending>) {
        let notable = !matches!(line.result, ResultKind::Sent | ResultKind::AlreadyApplied);
        if !self.every_line && !notable {
            return;
        }
        let who = write
            .and_then(|w| script::who_text(w.planned.identifier.as_deref(), w.name.as_deref()))
            .map(|who| format!(" {who}"))
            .unwrap_or_default();
        let mut text = format!(
            "[{}/{}] {} {}{who} (line {})",
            self.done,
            self.total,
            step_label(line),
            script::one_line(&line.id),
            line.line
        );
        if let Some(status) = line.status {
            text.push_str(&format!(": HTTP {status}"));
        }
        if notable && let Some(message) = &line.message {
            text.push_str(&format!(": {}", script::one_line(message)));
        }
        self.bar.suspend(|| {
            let _ = print_line(&text);
        });
    }

    /// Takes the bar off the screen before the summary.
    fn finish(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// How a result line reads in the progress lines: `sent`, or for a revoke
/// step `sessions revoked`, `no sessions left`, ...
fn step_label(line: &ResultLine) -> &'static str {
    match (line.step, line.result) {
        (Step::Write, result) => result.label(),
        (Step::RevokeSessions, ResultKind::Sent) => "sessions revoked",
        (Step::RevokeSessions, ResultKind::AlreadyApplied) => "no sessions left",
        (Step::RevokeSessions, ResultKind::Unknown) => "sessions revoke outcome unknown",
        (Step::RevokeSessions, _) => "sessions not revoked",
    }
}

/// How a delete's result reads in the progress lines.
fn delete_label(result: ResultKind) -> &'static str {
    match result {
        ResultKind::Sent => "deleted",
        ResultKind::AlreadyApplied => "already gone",
        ResultKind::SkippedChanged => "not deleted, changed since the plan",
        ResultKind::Unknown => "delete outcome unknown",
        _ => "not deleted",
    }
}

/// "1 identity", "2 identities".
fn identities(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

fn print_line(text: &str) -> Result<(), Failure> {
    script::print_stdout(&format!("{text}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feeder(jobs: usize, rps: Option<f64>) -> Feeder {
        Feeder {
            queue: VecDeque::new(),
            ready: VecDeque::new(),
            reading: None,
            jobs,
            rps_limit: rps.map(batch_limit_for_rps),
        }
    }

    /// A batch's last PUT should go out within the budget of its read: the
    /// size follows how long an identity holds a slot, within --jobs and
    /// Kratos's 500, and --rps caps it so a batch's permits fit one burst.
    #[test]
    fn batches_are_sized_from_the_time_an_identity_takes() {
        let four = feeder(4, None);
        assert_eq!(four.next_size(None), 16, "before anything is known");
        assert_eq!(four.next_size(Some(Duration::from_millis(25))), 80, "0.5 s x 4 / 25 ms");
        assert_eq!(four.next_size(Some(Duration::from_millis(2))), MAX_BATCH);
        assert_eq!(
            four.next_size(Some(Duration::from_secs(2))),
            4,
            "never fewer than --jobs"
        );
        assert_eq!(batch_limit_for_rps(0.5), 1);
        assert_eq!(batch_limit_for_rps(5.0), 4);
        assert_eq!(batch_limit_for_rps(10_000.0), MAX_BATCH);
        assert_eq!(feeder(4, Some(5.0)).next_size(Some(Duration::from_millis(2))), 4);
        assert_eq!(feeder(4, Some(0.5)).next_size(None), 1);
    }

    fn pending(id: &str, revoke_sessions: bool) -> Pending {
        let snapshot = Snapshot::from_raw(serde_json::json!({
            "id": id, "schema_id": "s", "state": "active", "traits": {"email": "a@example.com"}
        }))
        .expect("identity");
        let edit = write::Edit {
            state: Some(crate::api::IdentityState::Inactive),
            ..write::Edit::default()
        };
        Pending {
            line: 1,
            name: None,
            planned: write::plan(&snapshot, &edit).expect("planned"),
            revoke_sessions,
            deletes: None,
        }
    }

    fn recorded(id: &str, step: Step, result: ResultKind) -> ResultLine {
        ResultLine {
            plan_id: "p".into(),
            id: id.into(),
            line: 1,
            result,
            step,
            at: "2024-01-01T00:00:00.000Z".into(),
            request_id: None,
            status: None,
            message: None,
            server_changes: Vec::new(),
            not_kept: Vec::new(),
        }
    }

    /// A PUT done and its revoke not: the revoke alone; a PUT skipped
    /// (changed on the server): no revoke at all.
    #[test]
    fn a_resume_revokes_what_an_earlier_run_wrote_but_did_not_revoke() {
        let mut results = Recorded::default();
        let (a, b, c, d) = (
            pending("a", true),
            pending("b", true),
            pending("c", true),
            pending("d", false),
        );
        assert_eq!(results.todo(&a), Todo::Everything);
        results.insert(recorded("a", Step::Write, ResultKind::Sent));
        results.insert(recorded("b", Step::Write, ResultKind::AlreadyApplied));
        results.insert(recorded("b", Step::RevokeSessions, ResultKind::Unknown));
        results.insert(recorded("c", Step::Write, ResultKind::SkippedChanged));
        results.insert(recorded("d", Step::Write, ResultKind::Sent));
        assert_eq!(results.todo(&a), Todo::RevokeOnly);
        assert_eq!(results.todo(&b), Todo::RevokeOnly, "an unknown revoke is tried again");
        assert_eq!(results.todo(&c), Todo::Nothing);
        assert_eq!(results.todo(&d), Todo::Nothing);
        assert_eq!(
            what_to_send(&[&a, &b], &results),
            "Revoke all sessions of 2 identities (their changes were sent by an earlier run)"
        );
        results.insert(recorded("b", Step::RevokeSessions, ResultKind::AlreadyApplied));
        assert_eq!(results.todo(&b), Todo::Nothing, "none left is done");
        let mut erase = pending("f", false);
        erase.deletes = Some(Deletion {
            snapshot: serde_json::json!({}),
            credentials: "none".to_owned(),
        });
        assert_eq!(
            what_to_send(&[&pending("g", false), &erase], &results),
            "Send 1 change and delete 1 identity"
        );
        assert_eq!(what_to_send(&[&erase], &results), "Delete 1 identity");
        assert_eq!(
            what_to_send(&[&a, &pending("e", true)], &results),
            "Send 1 change and revoke all sessions of 2 identities"
        );
        let text = serde_json::to_string(&recorded("b", Step::RevokeSessions, ResultKind::Sent)).unwrap_or_default();
        assert!(text.contains("\"step\":\"revoke_sessions\""), "{text}");
        let text = serde_json::to_string(&recorded("b", Step::Write, ResultKind::Sent)).unwrap_or_default();
        assert!(!text.contains("step"), "a write's line is as before: {text}");
    }

    #[test]
    fn rps_must_be_a_positive_number() {
        assert_eq!(parse_rps("2.5"), Ok(2.5));
        for bad in ["0", "-1", "NaN", "inf", "fast", "20000"] {
            assert!(parse_rps(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn result_lines_round_trip_and_only_settled_ones_are_final() {
        let line = ResultLine {
            plan_id: "p".into(),
            id: "i".into(),
            line: 3,
            result: ResultKind::AlreadyApplied,
            step: Step::Write,
            at: "2024-01-01T00:00:00.000Z".into(),
            request_id: None,
            status: None,
            message: None,
            server_changes: vec!["/state".into()],
            not_kept: Vec::new(),
        };
        let text = serde_json::to_string(&line).unwrap_or_default();
        assert!(text.contains("\"result\":\"already_applied\""), "{text}");
        assert_eq!(serde_json::from_str::<ResultLine>(&text).ok(), Some(line));
        assert!(ResultKind::Sent.is_final() && ResultKind::SkippedChanged.is_final());
        assert!(!ResultKind::Failed.is_final() && !ResultKind::Unknown.is_final());
    }
}
