//! The append-only audit trail: one JSON line for every write and every
//! refusal, so that "who changed this, when, and what exactly" has an answer
//! on a shared bastion where everyone uses the same admin key.
//!
//! A request leaves two lines sharing one `request_id` (also sent as
//! `X-Request-ID`): `intent`, written and synced to disk before the request
//! goes out, and `outcome` after the answer. A crash in between still leaves
//! the evidence of the intent. A write that was refused before anything was
//! sent leaves one `refusal` line.
//!
//! Every line is one `write` on a file opened with `O_APPEND`, so two idcon
//! processes on the same host never interleave their lines. Secrets never
//! reach the file: changes are redacted here, whatever the caller passes, and
//! the password part of a URL is dropped.
//!
//! Intent and refusal lines also say *who* the identity is (`identifier`, its
//! primary identifier when the write was planned, [`crate::who`]) and *why*
//! the write is made (`why`, the user's reason, e.g. a ticket). `why` is not
//! the refusal's `reason` (why idcon refused): two names, so neither is read
//! as the other. Both are untrusted text, made one plain line of bounded
//! length here ([`clean_why`], [`clean_identifier`]) whatever the caller
//! passes; the outcome line joins them by `request_id`.

mod commit;
mod read;
mod syslog;
mod who;

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::{ApiError, Client, Exchange};
use crate::diff::{self, Change};

pub use commit::{FileLock, GroupCommit};
pub use read::{AuditRead, CorruptLine, Filter, parse_duration, read_entries, read_log};
pub use syslog::{DEV_LOG, Severity, Syslog};
pub use who::{Who, account_name, ssh_client, user_name};

/// Why the audit trail could not be opened, written or read. Each message
/// names the file.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(
        "refusing the audit {kind} {path}: it is writable by group or others (mode {mode:o}); fix with chmod {fix}"
    )]
    Shared {
        kind: &'static str,
        path: PathBuf,
        mode: u32,
        fix: &'static str,
    },
    #[error("refusing the audit trail {path}: it is not a regular file")]
    NotAFile { path: PathBuf },
    #[error("cannot open the audit trail {path}: {source}")]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot write to the audit trail {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot read the audit trail {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "profile \"{profile}\" has no audit_file and no state folder can be found ($XDG_STATE_HOME, $HOME): \
         writes are refused without an audit trail"
    )]
    NoPath { profile: String },
}

/// The three kinds of line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Intent,
    Outcome,
    Refusal,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Intent => "intent",
            Event::Outcome => "outcome",
            Event::Refusal => "refusal",
        }
    }
}

/// Which request a line is about; the same for its intent and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    /// Sent as `X-Request-ID`.
    pub request_id: String,
    pub profile: String,
    pub base_url: String,
    pub method: String,
    pub url: String,
    /// `None` for a write that is not about one identity.
    pub identity_id: Option<String>,
    /// The identity's primary identifier when the write was planned
    /// ([`crate::who::primary_identifier`]), so that the trail names a
    /// person, not only a UUID. Written on intent and refusal lines.
    pub identifier: Option<String>,
    /// The user's reason for the write (a ticket), checked by
    /// `write::reason::check_reason`. Written as `why` on intent and refusal
    /// lines.
    pub why: Option<String>,
}

/// About to send a write.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Intent {
    pub target: Target,
    /// Old body → new body; redacted when written.
    pub changes: Vec<Change>,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    pub target: Target,
    /// `None` when no answer arrived (timeout, dropped connection).
    pub status: Option<u16>,
    pub elapsed_ms: u64,
    /// The server's id for the request (response header or error envelope).
    pub server_request_id: Option<String>,
    /// The error in one line: the envelope's reason and message, or the
    /// transport failure.
    pub error: Option<String>,
    /// Pointers that were sent but that the server's answer does not hold.
    pub not_kept: Vec<String>,
    /// Pointers the server rewrote in a way it is known to (E.164 phones).
    pub normalised: Vec<String>,
    /// When what the answer made stops working, as the server wrote it: a
    /// recovery link's or code's `expires_at` (the trail says until when a
    /// secret it never holds could be used), an extended session's new one.
    pub expires_at: Option<String>,
}

/// A write stopped before anything was signed or sent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Refusal {
    pub target: Target,
    pub changes: Vec<Change>,
    /// Why, e.g. "read-only profile", "traits do not match the schema".
    pub reason: String,
}

/// Longest `why` the trail keeps, in characters: a ticket reference and a
/// sentence or two. `write::reason::check_reason` refuses a longer reason
/// with a message; [`clean_why`] cuts one that reaches the trail anyway.
pub const MAX_WHY_CHARS: usize = 500;

/// Longest `identifier` the trail keeps, in characters (identity data can be
/// anything; an email address is at most 254).
pub const MAX_IDENTIFIER_CHARS: usize = 256;

/// `text` as one plain line: every run of whitespace, line breaks, control,
/// invisible and bidi characters ([`crate::sanitize::is_unsafe`]) becomes
/// one space, and the ends are trimmed. Pure; the same rule the reason check
/// applies before it counts characters, so what is checked is what is kept.
pub fn one_plain_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars() {
        if c.is_whitespace() || crate::sanitize::is_unsafe(c) {
            gap = true;
        } else {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(c);
        }
    }
    out
}

/// A reason as the trail keeps it: [`one_plain_line`], at most
/// [`MAX_WHY_CHARS`] characters (cut with `…`), `None` when nothing is left.
pub fn clean_why(text: &str) -> Option<String> {
    bounded(text, MAX_WHY_CHARS)
}

/// An identifier as the trail keeps it: [`one_plain_line`], at most
/// [`MAX_IDENTIFIER_CHARS`] characters (cut with `…`), `None` when empty.
pub fn clean_identifier(text: &str) -> Option<String> {
    bounded(text, MAX_IDENTIFIER_CHARS)
}

fn bounded(text: &str, max: usize) -> Option<String> {
    let line = one_plain_line(text);
    (!line.is_empty()).then(|| crate::text::fit(&line, max))
}

/// A fresh id for a request, for callers that do not have one yet.
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Target {
    /// Request `request_id` of `client`: every line names the profile and
    /// base URL it went through.
    pub fn of_client(
        client: &Client,
        request_id: String,
        method: &str,
        url: String,
        identity_id: Option<String>,
    ) -> Target {
        Target {
            request_id,
            profile: client.profile_name().to_owned(),
            base_url: client.base_url().to_owned(),
            method: method.to_owned(),
            url,
            identity_id,
            identifier: None,
            why: None,
        }
    }

    /// This target with who the identity is and why it is written to.
    pub fn about(mut self, identifier: Option<String>, why: Option<String>) -> Target {
        self.identifier = identifier;
        self.why = why;
        self
    }

    /// A `PUT` of `client` refused before it was signed: it never got a
    /// request id, so it gets a fresh one.
    pub fn refused_put(client: &Client, url: String, identity_id: Option<String>) -> Target {
        Target::of_client(client, new_request_id(), "PUT", url, identity_id)
    }
}

impl Outcome {
    /// What came back for `target`: the answer's status and timing, or the
    /// failure in one line ([`error_summary`]). `measured` is the time the
    /// caller saw, for a failure that has no exchange to time.
    pub fn of(target: Target, result: Result<&Exchange, &ApiError>, measured: Duration) -> Outcome {
        match result {
            Ok(exchange) => Outcome {
                // Read before `target` moves in.
                expires_at: answer_expires_at(&target, exchange),
                target,
                status: Some(exchange.status),
                elapsed_ms: millis(exchange.elapsed),
                server_request_id: exchange.server_request_id(),
                error: None,
                not_kept: Vec::new(),
                normalised: Vec::new(),
            },
            Err(err) => Outcome {
                target,
                status: err.status(),
                elapsed_ms: millis(err.exchange().map_or(measured, |e| e.elapsed)),
                server_request_id: err.exchange().and_then(Exchange::server_request_id),
                error: Some(error_summary(err)),
                not_kept: Vec::new(),
                normalised: Vec::new(),
                expires_at: None,
            },
        }
    }
}

/// The top-level `expires_at` of a successful answer to a `POST` or `PATCH`
/// (`POST {recovery}/link|code`: `expires_at` of Kratos's
/// `selfservice/strategy/link/strategy_recovery.go`
/// `createRecoveryLinkForIdentity` and `selfservice/strategy/code/
/// strategy_recovery_admin.go` `createRecoveryCodeForIdentity`, the same at
/// v1.3.1, v25.4.0 and v26.2.0; `PATCH {sessions}/{id}/extend`: the session),
/// as one plain bounded line; `None` for anything else (identity `PUT`s are
/// not read again here: bulk writes pay for every byte looked at).
fn answer_expires_at(target: &Target, exchange: &Exchange) -> Option<String> {
    if !matches!(target.method.as_str(), "POST" | "PATCH") || !exchange.is_success() {
        return None;
    }
    let needle = b"\"expires_at\"";
    if !exchange.body.windows(needle.len()).any(|w| w == needle) {
        return None;
    }
    let json: Value = serde_json::from_slice(&exchange.body).ok()?;
    json.get("expires_at")
        .and_then(Value::as_str)
        .and_then(|text| bounded(text, 64))
}

/// A failure in one line for the audit trail: the server's reason and
/// message when it gave them, else the error itself.
pub fn error_summary(err: &ApiError) -> String {
    match err.server_error() {
        Some(server) => {
            let parts: Vec<&str> = [server.reason.as_deref(), server.message.as_deref()]
                .into_iter()
                .flatten()
                .filter(|s| !s.trim().is_empty())
                .collect();
            if parts.is_empty() {
                err.to_string()
            } else {
                parts.join(": ")
            }
        }
        None => err.to_string(),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The audit trail a profile's writes are recorded in, open, with what did
/// not stop it.
#[derive(Debug, Clone)]
pub struct Required {
    pub log: Arc<AuditLog>,
    /// Problems that did not stop the trail (syslog unreachable), for the
    /// caller to show: the commands print them, the console shows them with
    /// the next write's answer.
    pub warnings: Vec<String>,
}

/// Opens the trail every write of `profile` is recorded in: the one way the
/// console and the commands get it. A write without a trail is no write, so
/// callers open it before anything is read or sent; `Err` says in one line
/// (naming the file, or the profile when there is none) why no write can be
/// sent.
pub fn require(profile: &crate::config::Profile) -> Result<Required, AuditError> {
    let path = profile.audit_file.as_deref().ok_or_else(|| AuditError::NoPath {
        profile: crate::sanitize::for_display(&profile.name).into_owned(),
    })?;
    let log = AuditLog::open(path, profile.audit_syslog)?;
    let warnings = log.warnings();
    Ok(Required {
        log: Arc::new(log),
        warnings,
    })
}

/// Runs an audit write on tokio's blocking pool: each line is fsync'ed, and
/// the task that drives the terminal must never wait on the disk. A writer
/// that stopped (it panicked, the runtime is shutting down) is a write error
/// naming the trail.
pub async fn on_blocking_pool<F>(audit: &Arc<AuditLog>, write: F) -> Result<(), AuditError>
where
    F: FnOnce(&AuditLog) -> Result<(), AuditError> + Send + 'static,
{
    let log = Arc::clone(audit);
    let path = log.path().to_owned();
    match tokio::task::spawn_blocking(move || write(&log)).await {
        Ok(result) => result,
        Err(join) => Err(AuditError::Write {
            path,
            source: io::Error::other(format!("the audit writer stopped: {join}")),
        }),
    }
}

/// One line of the audit trail as read back (and as written). Members idcon
/// does not know, written by a newer version, are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// RFC 3339, UTC.
    pub time: String,
    /// `intent`, `outcome` or `refusal`.
    pub event: String,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(default)]
    pub ssh_client: Option<String>,
    #[serde(default)]
    pub tty: Option<String>,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub identity_id: Option<String>,
    /// Intent and refusal: the identity's primary identifier when the write
    /// was planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// Intent and refusal: the user's reason for the write (not the
    /// refusal's `reason`, which says why idcon refused it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Outcome: members sent that the server did not keep.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_kept: Vec<String>,
    /// Outcome: members the server rewrote in a known way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub normalised: Vec<String>,
    /// Outcome: when what the answer made expires (a recovery link or
    /// code, an extended session), as the server wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Entry {
    fn new(event: Event, who: &Who, target: &Target) -> Self {
        Entry {
            time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            event: event.as_str().to_owned(),
            request_id: Some(target.request_id.clone()),
            user: Some(who.user.clone()),
            uid: who.uid,
            ssh_client: who.ssh_client.clone(),
            tty: who.tty.clone(),
            host: Some(who.host.clone()),
            profile: Some(target.profile.clone()),
            base_url: Some(redact_url(&target.base_url)),
            method: Some(target.method.clone()),
            url: Some(redact_url(&target.url)),
            identity_id: target.identity_id.clone(),
            // The outcome joins its intent by `request_id`: said once.
            identifier: (event != Event::Outcome)
                .then(|| target.identifier.as_deref().and_then(clean_identifier))
                .flatten(),
            why: (event != Event::Outcome)
                .then(|| target.why.as_deref().and_then(clean_why))
                .flatten(),
            changes: Vec::new(),
            status: None,
            elapsed_ms: None,
            server_request_id: None,
            error: None,
            reason: None,
            not_kept: Vec::new(),
            normalised: Vec::new(),
            expires_at: None,
            extra: Map::new(),
        }
    }

    /// The pointers this line says were changed.
    pub fn changed_pointers(&self) -> Vec<&str> {
        self.changes.iter().map(|c| c.pointer.as_str()).collect()
    }
}

/// Query parameters whose values are secrets (never in idcon's own URLs, but a
/// profile's base URL is typed by people).
fn is_secret_query_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key != "page_token"
        && [
            "token",
            "secret",
            "password",
            "signature",
            "digest",
            "api_key",
            "apikey",
        ]
        .iter()
        .any(|part| key.contains(part))
}

/// `url` without a password in its user part and without secret query values.
/// Text that is not a URL, or has nothing to hide, is kept exactly as it is.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let has_secret = parsed.password().is_some() || parsed.query_pairs().any(|(key, _)| is_secret_query_key(&key));
    if !has_secret {
        return url.to_owned();
    }
    if parsed.password().is_some() {
        // Cannot fail for a URL that already has a password (it has a host).
        let _ = parsed.set_password(Some(diff::REDACTED));
    }
    if parsed.query_pairs().any(|(key, _)| is_secret_query_key(&key)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if is_secret_query_key(&key) {
                    diff::REDACTED.to_owned()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// The open audit trail of this process.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    /// Lines written at the same time share one write and one fsync
    /// ([`GroupCommit`]); each is on disk when its call returns. The file
    /// lock (`flock`) keeps other processes out around each group; threads
    /// of this one take turns through the commit queue (a lock on the shared
    /// descriptor is theirs already, so it could not).
    commit: GroupCommit,
    who: Who,
    syslog: Option<Syslog>,
    warnings: Mutex<Vec<String>>,
}

impl AuditLog {
    /// Opens (creating 0600 in a 0700 folder) the trail at `path`. A file or
    /// folder that group or others can write is refused: someone else could
    /// forge or erase lines. With `syslog`, lines are also sent to `/dev/log`;
    /// a missing syslog socket is a warning (see [`AuditLog::warnings`]).
    pub fn open(path: &Path, syslog: bool) -> Result<Self, AuditError> {
        Self::open_with_syslog_socket(path, syslog.then_some(Path::new(DEV_LOG)))
    }

    /// [`AuditLog::open`] with the syslog socket at another path (tests,
    /// hosts where the daemon listens elsewhere).
    pub fn open_with_syslog_socket(path: &Path, syslog_socket: Option<&Path>) -> Result<Self, AuditError> {
        let open_error = |source| AuditError::Open {
            path: path.to_owned(),
            source,
        };
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        crate::paths::create_private_dir(folder).map_err(open_error)?;
        refuse_shared(folder, "folder", "700")?;
        match fs::metadata(path) {
            Ok(meta) if !meta.is_file() => return Err(AuditError::NotAFile { path: path.to_owned() }),
            Ok(_) => refuse_shared(path, "trail", "600")?,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(open_error(err)),
        }
        let file = crate::paths::open_private_append(path).map_err(open_error)?;
        let mut warnings = Vec::new();
        let syslog = syslog_socket.and_then(|socket| match Syslog::connect(socket) {
            Ok(syslog) => Some(syslog),
            Err(err) => {
                let warning = format!(
                    "audit lines are not sent to syslog: cannot connect to {}: {err}",
                    socket.display()
                );
                tracing::warn!("{warning}");
                warnings.push(warning);
                None
            }
        });
        Ok(AuditLog {
            path: path.to_owned(),
            commit: GroupCommit::new(file, FileLock::EachCommit),
            who: Who::from_env(),
            syslog,
            warnings: Mutex::new(warnings),
        })
    }

    /// Records lines as `who` instead of the environment's user (tests, and
    /// callers that already know).
    pub fn with_who(mut self, who: Who) -> Self {
        self.who = who;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn who(&self) -> &Who {
        &self.who
    }

    /// True when lines also go to syslog.
    pub fn has_syslog(&self) -> bool {
        self.syslog.is_some()
    }

    /// Problems that did not stop the trail (syslog unreachable), for the
    /// console to show once.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.lock().map(|w| w.clone()).unwrap_or_default()
    }

    /// Records a write about to be sent; on disk (fsync) when this returns.
    pub fn intent(&self, intent: &Intent) -> Result<(), AuditError> {
        let mut entry = Entry::new(Event::Intent, &self.who, &intent.target);
        entry.changes = diff::redacted(intent.changes.clone());
        self.append(&entry, Severity::Notice)
    }

    /// Records the answer to a write.
    pub fn outcome(&self, outcome: &Outcome) -> Result<(), AuditError> {
        let mut entry = Entry::new(Event::Outcome, &self.who, &outcome.target);
        entry.status = outcome.status;
        entry.elapsed_ms = Some(outcome.elapsed_ms);
        entry.server_request_id = outcome.server_request_id.clone();
        entry.error = outcome.error.clone();
        entry.not_kept = outcome.not_kept.clone();
        entry.normalised = outcome.normalised.clone();
        entry.expires_at = outcome.expires_at.clone();
        let failed = outcome.status.is_none_or(|s| s >= 400) || outcome.error.is_some();
        self.append(&entry, if failed { Severity::Warning } else { Severity::Notice })
    }

    /// Records a write refused before it was sent.
    pub fn refusal(&self, refusal: &Refusal) -> Result<(), AuditError> {
        let mut entry = Entry::new(Event::Refusal, &self.who, &refusal.target);
        entry.changes = diff::redacted(refusal.changes.clone());
        entry.reason = Some(refusal.reason.clone());
        self.append(&entry, Severity::Warning)
    }

    fn append(&self, entry: &Entry, severity: Severity) -> Result<(), AuditError> {
        let write_error = |source| AuditError::Write {
            path: self.path.clone(),
            source,
        };
        // Identity data written as `\u` escapes: `tail -f` on the trail and
        // syslog readers never meet a raw C1 control or bidi override.
        let text = crate::sanitize::json_inert_line(entry).map_err(|e| write_error(io::Error::other(e)))?;
        self.append_line(&text).map_err(write_error)?;
        if let Some(syslog) = &self.syslog
            && let Err(err) = syslog.send(severity, &text)
        {
            let warning = format!("an audit line was not sent to syslog: {err}");
            tracing::warn!("{warning}");
            if let Ok(mut warnings) = self.warnings.lock() {
                warnings.push(warning);
            }
        }
        Ok(())
    }

    /// Appends `text` as one whole line, synced to disk when this returns.
    ///
    /// idcon processes of the same user take an exclusive lock on the trail
    /// around each write, so that a failed write can be undone: a full disk
    /// (`ENOSPC`) can take part of a line, and the next line glued to that
    /// part would be unreadable, losing a real write from `idcon audit`. On a
    /// failure the file is cut back to where it was. A part left by a
    /// process that died mid-write (no chance to cut it back) is closed with
    /// a line break before the next line. Lines of concurrent writers (`apply
    /// --jobs`) share the write and the fsync ([`GroupCommit`]).
    fn append_line(&self, text: &str) -> io::Result<()> {
        self.commit.append(text.as_bytes())
    }

    /// fsyncs of the trail by this process so far (lines written together
    /// share one).
    pub fn syncs(&self) -> u64 {
        self.commit.syncs()
    }
}

/// Refuses `path` when group or others can write it.
fn refuse_shared(path: &Path, kind: &'static str, fix: &'static str) -> Result<(), AuditError> {
    let meta = fs::metadata(path).map_err(|source| AuditError::Open {
        path: path.to_owned(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(AuditError::Shared {
            kind,
            path: path.to_owned(),
            mode,
            fix,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_keeps_the_expiry_of_what_the_answer_made() {
        let exchange = |method: &str, status: u16, body: &str| Exchange {
            request_id: "r".to_owned(),
            method: method.to_owned(),
            url: "http://127.0.0.1/admin/recovery/link".to_owned(),
            request_headers: Vec::new(),
            request_body: None,
            status,
            reason: String::new(),
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            started_at: Utc::now(),
            elapsed: Duration::ZERO,
        };
        let target = |method: &str| Target {
            request_id: "r".to_owned(),
            method: method.to_owned(),
            ..Target::default()
        };
        // As the client hands the recovery answer back: the secret redacted.
        let answer = r#"{"recovery_link":"<redacted>","expires_at":"2030-01-01T00:00:00Z"}"#;
        let kept = |method: &str, status: u16, body: &str| {
            Outcome::of(target(method), Ok(&exchange(method, status, body)), Duration::ZERO).expires_at
        };
        assert_eq!(kept("POST", 200, answer), Some("2030-01-01T00:00:00Z".to_owned()));
        assert_eq!(kept("PATCH", 200, answer), Some("2030-01-01T00:00:00Z".to_owned()));
        assert_eq!(kept("PUT", 200, answer), None, "identity PUTs are not read again");
        assert_eq!(kept("POST", 400, answer), None, "a refusal made nothing");
        assert_eq!(
            kept("POST", 200, r#"{"traits":{"expires_at":"x"}}"#),
            None,
            "top level only"
        );
        assert_eq!(
            kept("POST", 200, r#"{"expires_at":"2030\u001b[2J"}"#),
            Some("2030 [2J".to_owned()),
            "one plain line"
        );

        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path, false).expect("open");
        let outcome = Outcome::of(target("POST"), Ok(&exchange("POST", 201, answer)), Duration::ZERO);
        log.outcome(&outcome).expect("outcome");
        let line = std::fs::read_to_string(&path).expect("read");
        let entry: Value = serde_json::from_str(line.trim()).expect("json");
        assert_eq!(entry["expires_at"], "2030-01-01T00:00:00Z", "{line}");
        assert!(!line.contains("recovery_link"), "{line}");
    }

    #[test]
    fn threads_sharing_one_trail_never_leave_a_blank_or_broken_line() {
        // As `apply --jobs N` writes: one open trail, many threads at once,
        // lines long enough to cross page boundaries.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        let log = Arc::new(AuditLog::open(&path, false).expect("open"));
        let writers: Vec<_> = (0..8)
            .map(|n| {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    for i in 0..40 {
                        let big = serde_json::json!({"traits": {"bio": "y".repeat(1500 + 97 * i)}});
                        let intent = Intent {
                            target: Target {
                                request_id: format!("{n}-{i}"),
                                ..Target::default()
                            },
                            changes: diff::diff(&serde_json::json!({}), &big),
                        };
                        log.intent(&intent).expect("intent");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("writer thread");
        }
        let text = fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 320);
        for line in lines {
            assert!(serde_json::from_str::<Value>(line).is_ok(), "not a JSON line: {line:?}");
        }
    }

    #[test]
    fn who_and_why_are_one_bounded_plain_line_on_intents_and_refusals_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path, false).expect("open");
        let target = Target {
            request_id: "r1".to_owned(),
            ..Target::default()
        }
        .about(
            Some("sofia@example.com\u{1b}[2J".to_owned()),
            Some(format!("SUP-42\r\n\u{202e}evil \u{9b}31m {}", "x".repeat(600))),
        );
        log.intent(&Intent {
            target: target.clone(),
            changes: Vec::new(),
        })
        .expect("intent");
        log.outcome(&Outcome {
            target: target.clone(),
            status: Some(200),
            ..Outcome::default()
        })
        .expect("outcome");
        log.refusal(&Refusal {
            target,
            changes: Vec::new(),
            reason: "read-only profile".to_owned(),
        })
        .expect("refusal");
        let text = fs::read_to_string(&path).expect("read");
        let entries: Vec<Entry> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line parses"))
            .collect();
        assert_eq!(entries.len(), 3);
        let why = entries[0].why.clone().unwrap_or_default();
        assert!(why.starts_with("SUP-42 evil 31m xxx"), "{why}");
        assert_eq!(why.chars().count(), MAX_WHY_CHARS);
        assert!(why.ends_with('…'));
        assert_eq!(entries[0].identifier.as_deref(), Some("sofia@example.com [2J"));
        assert_eq!((entries[1].why.as_ref(), entries[1].identifier.as_ref()), (None, None));
        assert_eq!(entries[2].why.as_deref(), Some(why.as_str()));
        assert_eq!(entries[2].reason.as_deref(), Some("read-only profile"));
    }

    #[test]
    fn url_passwords_and_secret_parameters_are_redacted() {
        assert_eq!(
            redact_url("https://admin:s3cret@kratos.example/admin/identities/1"),
            "https://admin:%3Credacted%3E@kratos.example/admin/identities/1"
        );
        let url = redact_url("https://x.example/a?nonce=n&timestamp=1&access_token=abc&page_token=p");
        assert_eq!(
            url,
            "https://x.example/a?nonce=n&timestamp=1&access_token=%3Credacted%3E&page_token=p"
        );
        assert_eq!(redact_url("not a url"), "not a url");
        assert_eq!(redact_url("https://x.example"), "https://x.example");
    }
}
