//! What the scriptable commands (`list`, `get`, `update`, `attribute
//! update`, `plan`, `apply`) share: their exit codes, how a failure is
//! reported (one plain line, or JSON), JSON that is safe to print on a
//! terminal, the runtime they run on, and the steps of a write seen from a
//! script: the audit trail opened first, the changes shown, the question
//! asked, the signed request printed by `--dry-run`.

use std::io::{self, BufRead as _, IsTerminal as _, Write};
use std::process::{ExitCode, Termination};
use std::sync::Arc;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use crate::api::{ApiError, GenericError, PreparedRequest};
use crate::audit::AuditLog;
use crate::config::{ConfigError, Profile};
use crate::diff::Change;
use crate::write::WriteError;

/// Success.
pub const EXIT_OK: u8 = 0;
/// Any other failure (network, server error, config).
pub const EXIT_ERROR: u8 = 1;
/// Bad flags or input values; nothing was sent.
pub const EXIT_USAGE: u8 = 2;
/// The identity changed since it was read; nothing was sent.
pub const EXIT_CONFLICT: u8 = 3;
/// No such identity.
pub const EXIT_NOT_FOUND: u8 = 4;
/// Refused: read-only profile, no reason where the profile requires one, or
/// not confirmed; nothing was sent.
pub const EXIT_REFUSED: u8 = 5;
/// Sent and answered with success, but the server did not keep every member
/// that was sent (an older Kratos or a gateway dropped a field it does not know).
pub const EXIT_NOT_KEPT: u8 = 6;

/// The exit codes, for each command's `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  error (network, server, config)
  2  usage: bad flags or input values; nothing was sent
  3  conflict: the identity changed since it was read; nothing was sent
  4  not found
  5  refused: read-only profile, no --reason where the profile has
     require_reason = true, or not confirmed; nothing was sent
  6  not kept: the write succeeded, but the server's answer does not hold
     every member sent (e.g. external_id on Kratos v1.x); see the audit outcome";

/// A secret given on the command line (`--password-hash`, `--issuance-token`):
/// never printed by `Debug`, wiped when dropped. Taking one prints
/// [`warn_secret_in_argv`]: every user of the host can read a command line.
#[derive(Clone, PartialEq)]
pub struct SecretArg(String);

impl SecretArg {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretArg(<redacted>)")
    }
}

impl Drop for SecretArg {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// The clap value parser of a [`SecretArg`].
pub fn parse_secret_arg(raw: &str) -> Result<SecretArg, String> {
    Ok(SecretArg(raw.to_owned()))
}

/// Says once, on stderr, that a secret passed as a flag was visible to every
/// user of the host, and which flag keeps it private.
/// With `json_output` the warning is one JSON line (`{"warning": ...}`), so
/// stderr stays machine-readable.
pub fn warn_secret_in_argv(flag: &str, instead: &str, json_output: bool) {
    let warning = format!(
        "{flag} was visible to every user of this host while idcon ran (ps, /proc/PID/cmdline) \
         and stays in your shell history; use {instead} next time"
    );
    if json_output {
        eprintln!("{}", json_text(&json!({ "warning": warning })));
    } else {
        eprintln!("idcon: warning: {warning}");
    }
}

/// Says `warning` on stderr: `idcon: warning: …`, or with `json_output` one
/// JSON line (`{"warning": …}`), so stderr stays machine-readable.
pub fn warn(warning: &str, json_output: bool) {
    if json_output {
        eprintln!("{}", json_text(&json!({ "warning": warning })));
    } else {
        eprintln!("idcon: warning: {}", one_line(warning));
    }
}

/// SIGINT (Ctrl-C), SIGTERM and SIGHUP (the SSH session dropped), heard
/// instead of ending the process: a write in flight is finished and its
/// outcome recorded first (`apply` starts no new identity; `update` and
/// `attribute update` finish their one PUT).
pub struct Signals {
    listeners: Vec<(&'static str, tokio::signal::unix::Signal)>,
}

impl Signals {
    pub fn listen() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        let kinds = [
            ("interrupted (Ctrl-C)", SignalKind::interrupt()),
            ("terminated", SignalKind::terminate()),
            ("hung up", SignalKind::hangup()),
        ];
        let listeners = kinds
            .into_iter()
            .filter_map(|(name, kind)| match signal(kind) {
                Ok(listener) => Some((name, listener)),
                Err(err) => {
                    tracing::warn!("cannot listen for the signal \"{name}\": {err}");
                    None
                }
            })
            .collect();
        Signals { listeners }
    }

    /// The name of the next signal; never resolves when none can be heard.
    pub async fn next(&mut self) -> &'static str {
        if self.listeners.is_empty() {
            return std::future::pending().await;
        }
        let waits = self.listeners.iter_mut().map(|(name, listener)| {
            let name: &'static str = name;
            Box::pin(async move {
                match listener.recv().await {
                    Some(()) => name,
                    // The listener closed: never again.
                    None => std::future::pending().await,
                }
            })
        });
        futures::future::select_all(waits).await.0
    }
}

/// Runs `write` to its end even when SIGINT, SIGTERM or SIGHUP arrive
/// meanwhile: killed mid-PUT, the audit trail would hold an intent without
/// its outcome, and nobody would know whether the change was made. The
/// signal is told on stderr; the write has its own timeout, so this ends.
pub async fn finish_despite_signals<F: std::future::Future>(write: F) -> F::Output {
    let mut signals = Signals::listen();
    let mut write = std::pin::pin!(write);
    loop {
        tokio::select! {
            done = &mut write => return done,
            name = signals.next() => eprintln!(
                "idcon: {name}: the write in flight is finished first, so that its outcome is known and recorded"
            ),
        }
    }
}

/// A command's failure: the exit code and what to tell the user.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub code: u8,
    /// One line, safe for a terminal.
    pub message: String,
    /// HTTP status, when the server answered.
    pub status: Option<u16>,
    /// The `X-Request-ID` idcon sent, when a request was made.
    pub request_id: Option<String>,
    /// The server's error envelope, when it sent one (boxed: it is large and
    /// rare).
    pub server: Option<Box<GenericError>>,
    /// What to do next, on several lines (a first run's profile to copy):
    /// printed after the message, never in JSON output.
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: one_line(&message.into()),
            status: None,
            request_id: None,
            server: None,
            hint: None,
        }
    }

    /// Not a failure: the command stops early and quietly with exit code 0
    /// (the reader of stdout went away).
    pub fn quiet() -> Failure {
        Failure::new(EXIT_OK, "")
    }

    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(EXIT_USAGE, message)
    }

    pub fn error(message: impl Into<String>) -> Failure {
        Failure::new(EXIT_ERROR, message)
    }

    /// An error of the client: 404 is "not found", everything else an error.
    /// A very long request URL (hundreds of `ids`) is cut short in the
    /// message, which stays one readable line.
    pub fn api(err: &ApiError) -> Failure {
        let code = if err.is_not_found() { EXIT_NOT_FOUND } else { EXIT_ERROR };
        let mut message = err.to_string();
        if let Some(request) = err.request() {
            let url = crate::sanitize::for_display(&request.display_url()).into_owned();
            message = message.replace(&url, &shorten(&url, MAX_URL_CHARS_IN_ERRORS));
        }
        Failure {
            status: err.status(),
            request_id: err.request_id(),
            server: err.server_error().cloned().map(Box::new),
            ..Failure::new(code, message)
        }
    }

    pub fn write(err: &WriteError) -> Failure {
        match err {
            WriteError::Api(api) => Failure::api(api),
            WriteError::InvalidEdit(message) => Failure::usage(message.clone()),
            WriteError::ReadOnly { .. } => Failure::new(EXIT_REFUSED, err.to_string()),
            WriteError::Conflict { .. } => Failure::new(EXIT_CONFLICT, err.to_string()),
            WriteError::Audit(_) => Failure::error(err.to_string()),
        }
    }

    /// No profile could be made: a bad flag value (`--base-url ftp://x`) is
    /// a usage error, anything else (the config file) an error.
    pub fn config(err: &ConfigError) -> Failure {
        let failure = match err {
            ConfigError::BadFlag { .. } => Failure::usage(err.to_string()),
            _ => Failure::error(err.to_string()),
        };
        Failure {
            hint: err.hint(),
            ..failure
        }
    }

    /// Any other error, with its chain of causes.
    pub fn other(err: &anyhow::Error) -> Failure {
        Failure::error(crate::text::error_line(err))
    }

    fn kind(&self) -> &'static str {
        match self.code {
            EXIT_USAGE => "usage",
            EXIT_CONFLICT => "conflict",
            EXIT_NOT_FOUND => "not_found",
            EXIT_REFUSED => "refused",
            EXIT_NOT_KEPT => "not_kept",
            _ => "error",
        }
    }

    /// The failure as a JSON document (`{"error": {...}}`).
    pub fn to_json(&self) -> Value {
        let mut error = json!({
            "kind": self.kind(),
            "exit_code": self.code,
            "message": self.message,
        });
        if let Some(status) = self.status {
            error["status"] = json!(status);
        }
        if let Some(id) = &self.request_id {
            error["request_id"] = json!(id);
        }
        if let Some(server) = &self.server {
            error["server"] = serde_json::to_value(server).unwrap_or(Value::Null);
        }
        json!({ "error": error })
    }
}

/// How much of a request URL an error line shows.
pub const MAX_URL_CHARS_IN_ERRORS: usize = 300;

pub use crate::text::{one_line, shorten};

/// Prints `failure` to stderr (one line and the server's envelope, or one
/// JSON line) and gives its exit code.
pub fn report(failure: &Failure, json_output: bool) -> ExitCode {
    if failure.code == EXIT_OK {
        return ExitCode::SUCCESS;
    }
    let mut stderr = io::stderr().lock();
    // Nothing sensible is left to do when stderr itself cannot be written.
    if json_output {
        let _ = writeln!(stderr, "{}", json_text(&failure.to_json()));
    } else {
        let _ = writeln!(stderr, "idcon: {}", failure.message);
        if let Some(server) = &failure.server {
            let envelope = json!({ "error": server });
            let _ = writeln!(stderr, "idcon: server error: {}", json_text(&envelope));
        }
        if let Some(hint) = &failure.hint {
            let _ = write!(
                stderr,
                "\n{}\n",
                crate::sanitize::for_display_multiline(hint.trim_end())
            );
        }
    }
    ExitCode::from(failure.code)
}

/// Compact JSON in which every character that could act on a terminal (C1
/// controls, bidi overrides, ...) is a `\u` escape: the same JSON value,
/// inert when printed.
pub fn json_text(value: &Value) -> String {
    escape_for_terminal(&value.to_string())
}

/// [`json_text`], pretty-printed.
pub fn json_pretty(value: &Value) -> String {
    escape_for_terminal(&serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()))
}

fn escape_for_terminal(json: &str) -> String {
    crate::sanitize::json_inert(json)
}

/// Whether to colour what goes to stdout: a terminal, and `NO_COLOR` unset.
pub fn use_colour() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A small runtime for one command (the blocking pool writes audit lines).
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| Failure::error(format!("cannot start the async runtime: {err}")))
}

/// Runs a command's work on a [`runtime`] and gives its exit code: success
/// (work that gives `()`), the code the work chose, or that of its failure,
/// reported first on stderr (one JSON line with `json_errors`).
pub fn run<T: Termination>(json_errors: bool, work: impl Future<Output = Result<T, Failure>>) -> ExitCode {
    finish(runtime().and_then(|runtime| runtime.block_on(work)), json_errors)
}

/// Most worker threads a [`parallel_runtime`] starts.
const MAX_WORKER_THREADS: usize = 8;

/// A runtime with a worker thread per core (at most
/// `MAX_WORKER_THREADS`, 8), for the commands that work on many identities
/// at once (`plan`, `apply`): what their tasks do between requests — signing
/// (RSA, about half a millisecond a request), JSON, the comparisons — runs
/// on every core, so `--jobs` means parallel work and not only parallel
/// waiting. The command's own future (progress, signals, the summary) runs
/// on the calling thread; the work it spawns runs on the workers.
pub fn parallel_runtime() -> Result<tokio::runtime::Runtime, Failure> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores.clamp(1, MAX_WORKER_THREADS))
        .enable_all()
        .build()
        .map_err(|err| Failure::error(format!("cannot start the async runtime: {err}")))
}

/// [`run`] on a [`parallel_runtime`].
pub fn run_parallel<T: Termination>(json_errors: bool, work: impl Future<Output = Result<T, Failure>>) -> ExitCode {
    finish(
        parallel_runtime().and_then(|runtime| runtime.block_on(work)),
        json_errors,
    )
}

/// `f` of every item, in order, computed on up to one thread per core
/// (scoped threads: the items are borrowed). For pure work over many
/// identities (planning hundreds of writes); a panic in `f` is passed on.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, MAX_WORKER_THREADS);
    if threads == 1 || items.len() < 2 * threads {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

fn finish<T: Termination>(outcome: Result<T, Failure>, json_errors: bool) -> ExitCode {
    match outcome {
        Ok(done) => done.report(),
        Err(failure) => report(&failure, json_errors),
    }
}

/// The identity schemas' identifier marks for one run, so that `plan` and
/// `update` name each identity by its primary identifier exactly as the
/// console does ([`crate::who`]). Schemas are loaded as the console loads
/// them: the server's list ([`crate::api::Client::list_schemas`]: `public_url`, or the
/// admin port's 307 to the public port), and a schema missing from it by
/// its id ([`crate::api::Client::get_schema`]) and then from an identity's `schema_url`
/// ([`crate::api::Client::get_schema_at`]); each schema at most once per run. A schema
/// that cannot be loaded is no error: its identities are named by their
/// email, phone or username trait, and [`SchemaHints::missing_note`] says so
/// in one line.
#[derive(Debug, Default)]
pub struct SchemaHints {
    hints: std::collections::HashMap<String, crate::who::IdentifierHints>,
    /// Schema ids that were looked for (found or not).
    tried: std::collections::HashSet<String>,
    /// Schema ids that could not be loaded, with why.
    failed: Vec<(String, String)>,
}

impl SchemaHints {
    /// Every schema of the server's list; `Err` says why there is none
    /// (then [`SchemaHints::learn`] loads them one by one).
    pub async fn from_list(client: &crate::api::Client) -> (SchemaHints, Option<String>) {
        match client.list_schemas().await {
            Ok(response) => {
                let hints = response
                    .value
                    .iter()
                    .map(|s| (s.id.clone(), crate::who::IdentifierHints::from_schema(&s.schema)))
                    .collect();
                (
                    SchemaHints {
                        hints,
                        ..SchemaHints::default()
                    },
                    None,
                )
            }
            Err(err) => (SchemaHints::default(), Some(crate::text::single_line(&err.to_string()))),
        }
    }

    /// Loads the schema of each identity in `identities` (as the server
    /// sent them) that is not known or tried yet, each once, at the same time.
    pub async fn learn<'a>(&mut self, client: &crate::api::Client, identities: impl IntoIterator<Item = &'a Value>) {
        let mut wanted: Vec<(String, Option<String>)> = Vec::new();
        for raw in identities {
            let Some(id) = raw.get("schema_id").and_then(Value::as_str) else {
                continue;
            };
            if self.hints.contains_key(id) || self.tried.contains(id) {
                continue;
            }
            self.tried.insert(id.to_owned());
            let url = raw.get("schema_url").and_then(Value::as_str).map(str::to_owned);
            wanted.push((id.to_owned(), url));
        }
        let loaded = futures::future::join_all(wanted.into_iter().map(|(id, url)| async move {
            let by_id = match client.get_schema(&id).await {
                Ok(schema) => return (id, Ok(schema.value)),
                Err(err) => crate::text::single_line(&err.to_string()),
            };
            let by_url = match &url {
                Some(url) => match client.get_schema_at(url).await {
                    Ok(schema) => return (id, Ok(schema.value)),
                    Err(err) => crate::text::single_line(&err.to_string()),
                },
                None => "the identity has no schema_url".to_owned(),
            };
            (id, Err(format!("{by_id}; {by_url}")))
        }))
        .await;
        for (id, result) in loaded {
            match result {
                Ok(schema) => {
                    self.hints.insert(id, crate::who::IdentifierHints::from_schema(&schema));
                }
                Err(why) => self.failed.push((id, why)),
            }
        }
    }

    /// The marks of schema `schema_id`, when it was loaded.
    pub fn get(&self, schema_id: &str) -> Option<&crate::who::IdentifierHints> {
        self.hints.get(schema_id)
    }

    /// One line naming the schemas that could not be loaded and what that
    /// means for the names shown, made safe for a terminal; `None` when
    /// every schema looked for was loaded.
    pub fn missing_note(&self) -> Option<String> {
        let (first, why) = self.failed.first()?;
        let others = self.failed.len() - 1;
        let more = if others > 0 {
            format!(" and {others} more")
        } else {
            String::new()
        };
        Some(one_line(&format!(
            "identity schema \"{first}\"{more} could not be read ({why}): identities of {} are named by their \
             email, phone or username trait",
            if others > 0 { "those schemas" } else { "that schema" }
        )))
    }
}

/// True when writing failed because the reader went away (`| head`): the
/// command then stops quietly.
pub fn is_broken_pipe(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::BrokenPipe
}

/// A write to stdout that failed for another reason than a closed pipe.
pub fn stdout_failure(err: &io::Error) -> Failure {
    Failure::error(format!("cannot write to stdout: {err}"))
}

/// Writes `text` to stdout; a reader that went away (`| head`) is not a
/// failure.
pub fn print_stdout(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(err) if is_broken_pipe(&err) => Ok(()),
        Err(err) => Err(stdout_failure(&err)),
    }
}

/// Asks on stdin, which must be a terminal; anything but y/yes refuses.
pub fn confirm(question: &str) -> Result<(), Failure> {
    if !io::stdin().is_terminal() {
        return Err(Failure::new(
            EXIT_REFUSED,
            "stdin is not a terminal, so idcon cannot ask: pass --yes to send; nothing was sent",
        ));
    }
    eprint!("{question} [y/N] ");
    let _ = io::stderr().flush();
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|err| Failure::error(format!("cannot read the answer: {err}")))?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Failure::new(EXIT_REFUSED, "not confirmed; nothing was sent")),
    }
}

/// A secret typed on the terminal after `prompt`, without echo. Ctrl-C and
/// Esc cancel (nothing was sent). Hand-written on crossterm's raw mode, which
/// the console already uses, rather than a password-prompt crate: it also
/// takes a bracketed paste as one piece.
pub fn read_secret_from_terminal(prompt: &str) -> Result<String, Failure> {
    use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
    eprint!("{prompt}");
    let _ = io::stderr().flush();
    crossterm::terminal::enable_raw_mode()
        .map_err(|err| Failure::error(format!("cannot switch off echo on the terminal: {err}")))?;
    let mut secret = String::new();
    let outcome = loop {
        match event::read() {
            Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => match key.code {
                KeyCode::Enter => break Ok(()),
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    break Err(Failure::new(EXIT_REFUSED, "cancelled; nothing was sent"));
                }
                KeyCode::Char(c) => secret.push(c),
                KeyCode::Backspace => {
                    secret.pop();
                }
                KeyCode::Esc => break Err(Failure::new(EXIT_REFUSED, "cancelled; nothing was sent")),
                _ => {}
            },
            // Pasted text arrives as one event when bracketed paste is on.
            Ok(Event::Paste(text)) => secret.push_str(&text),
            Ok(_) => {}
            Err(err) => break Err(Failure::error(format!("cannot read the terminal: {err}"))),
        }
    };
    let _ = crossterm::terminal::disable_raw_mode();
    eprintln!();
    outcome.map(|()| secret)
}

/// Opens the profile's audit trail ([`crate::audit::require`]) and prints
/// its warnings. A write without a trail is no write: callers open it before
/// anything is read or sent.
pub fn open_audit(profile: &Profile) -> Result<Arc<AuditLog>, Failure> {
    let required = crate::audit::require(profile).map_err(|err| Failure::error(err.to_string()))?;
    for warning in &required.warnings {
        eprintln!("idcon: warning: {}", one_line(warning));
    }
    Ok(required.log)
}

/// A refusal the audit trail could not record: only a warning, since nothing
/// is sent either way.
pub fn warn_refusal_not_recorded(err: &impl std::fmt::Display) {
    eprintln!(
        "idcon: warning: the refusal was not recorded: {}",
        one_line(&err.to_string())
    );
}

/// An identity in words a person recognises, made safe for a terminal:
/// `sofia@example.com (Sofia Berg)`, the identifier or the name alone when
/// only one is known, `None` when neither is ([`crate::who`]; identity data
/// is untrusted, so both pass through [`one_line`]).
pub fn who_text(identifier: Option<&str>, name: Option<&str>) -> Option<String> {
    let identifier = identifier.map(one_line).filter(|s| !s.is_empty());
    let name = name.map(one_line).filter(|s| !s.is_empty());
    match (identifier, name) {
        (Some(identifier), Some(name)) if identifier != name => Some(format!("{identifier} ({name})")),
        (Some(identifier), _) => Some(identifier),
        (None, Some(name)) => Some(name),
        (None, None) => None,
    }
}

/// The lines under a write's heading that say who is changed and why
/// (`  identity: …`, `  reason: …`), each only when known; safe for a
/// terminal.
pub fn render_who_and_why(who: Option<&str>, reason: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(who) = who {
        out.push_str(&format!("  identity: {who}\n"));
    }
    if let Some(reason) = reason {
        out.push_str(&format!("  reason: {}\n", one_line(reason)));
    }
    out
}

const RED: &str = "\u{1b}[31m";
const GREEN: &str = "\u{1b}[32m";
const BOLD: &str = "\u{1b}[1m";
const RESET: &str = "\u{1b}[0m";

/// The head line of a change under review (where it goes), bold in colour.
pub fn render_heading(head: &str, colour: bool) -> String {
    if colour {
        format!("{BOLD}{head}{RESET}\n")
    } else {
        format!("{head}\n")
    }
}

/// `~ /pointer: old → new`, `+ /pointer: new`, `- /pointer: old`; values as
/// compact JSON made safe for the terminal.
pub fn render_changes(changes: &[Change], colour: bool) -> String {
    let paint = |text: String, code: &str| {
        if colour { format!("{code}{text}{RESET}") } else { text }
    };
    let mut out = String::new();
    for change in changes {
        let pointer = one_line(&change.pointer);
        let line = match (&change.old, &change.new) {
            (Some(old), Some(new)) => format!(
                "  ~ {pointer}: {} → {}",
                paint(json_text(old), RED),
                paint(json_text(new), GREEN)
            ),
            (None, Some(new)) => paint(format!("  + {pointer}: {}", json_text(new)), GREEN),
            (Some(old), None) => paint(format!("  - {pointer}: {}", json_text(old)), RED),
            (None, None) => format!("  ? {pointer}"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// How `--dry-run` prints the signed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RequestFormat {
    /// Method, URL, headers, body and the signed message.
    Http,
    /// One JSON object.
    Json,
    /// A curl command for a POSIX shell.
    Curl,
}

/// What a write command prints on stdout (its errors follow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WriteOutput {
    Text,
    Json,
}

/// `--reason TEXT`, defined once for every write command (`update`,
/// `attribute update` through [`WriteFlags`], `plan`, `apply`).
#[derive(Debug, Clone, Default, Args)]
pub struct ReasonFlag {
    /// Why this write is made, e.g. a ticket: "SUP-42 customer asked to close
    /// the account". Recorded in the audit trail (`why`; find it with `idcon
    /// audit --reason`); required by profiles with require_reason = true. One
    /// line of at most 500 characters: line breaks and control characters
    /// become spaces. For `plan` and `apply`: the reason of every entry that
    /// has none of its own.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub reason: Option<String>,
}

impl ReasonFlag {
    pub fn as_deref(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

/// How the commands ask for a missing reason.
pub const CLI_REASON_HINT: &str = crate::write::reason::CLI_HINT;

/// Why a write's reason is not acceptable, as a command failure: too long
/// is a usage error (exit 2); missing where `profile` requires one is a
/// refusal (exit 5), which the caller records in the audit trail
/// ([`crate::write::ReasonError::Required`]).
pub fn reason_failure(err: &crate::write::ReasonError, profile: &str) -> Failure {
    let message = err.message(profile, crate::write::reason::CLI_HINT);
    match err {
        crate::write::ReasonError::Required => Failure::new(EXIT_REFUSED, format!("{message}; nothing was sent")),
        crate::write::ReasonError::TooLong { .. } => Failure::usage(format!("--reason: {message}")),
    }
}

/// The reason for a write of `profile`, cleaned and checked
/// ([`crate::write::check_reason`]). Required only when something would be
/// written: a read-only profile refuses every write anyway (and says so),
/// and a dry run writes nothing; a reason given there is still checked.
pub fn check_reason(
    profile: &Profile,
    given: Option<&str>,
    dry_run: bool,
) -> Result<Option<String>, crate::write::ReasonError> {
    let required = profile.require_reason && !profile.read_only && !dry_run;
    crate::write::check_reason(required, given)
}

/// The flags every write command shares (`update`, `attribute update`),
/// defined once so they mean the same everywhere.
#[derive(Debug, Clone, Args)]
pub struct WriteFlags {
    /// Send without asking. Required when stdin is not a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Print what would be sent (the diff or body) and the signed request;
    /// send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// How --dry-run prints the signed request.
    #[arg(long, value_enum, default_value_t = RequestFormat::Http)]
    pub format: RequestFormat,

    /// Output format (errors too).
    #[arg(long, value_enum, default_value_t = WriteOutput::Text)]
    pub output: WriteOutput,

    #[command(flatten)]
    pub reason: ReasonFlag,
}

impl WriteFlags {
    /// True with `--output json`: stdout and stderr are JSON lines.
    pub fn json(&self) -> bool {
        self.output == WriteOutput::Json
    }
}

/// A signed request as `--dry-run` shows it: the caller has already hidden
/// its secrets (in the body, the signed message and the headers).
pub struct DryRunRequest<'a> {
    pub prepared: &'a PreparedRequest,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub message: Option<String>,
    /// Say on stderr when the curl command holds terminal controls, shown
    /// escaped (off when the caller has already said the printed request is
    /// not the signed one).
    pub warn_if_escaped: bool,
}

impl DryRunRequest<'_> {
    fn to_json(&self) -> Value {
        json!({
            "method": self.prepared.method,
            "url": self.prepared.url,
            "headers": self.headers.iter().map(|(n, v)| (n.clone(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
            "body": self.body,
            "message": self.message,
        })
    }

    fn to_http(&self) -> String {
        let mut text = format!("{} {}\n", self.prepared.method, one_line(&self.prepared.url));
        for (name, value) in &self.headers {
            text.push_str(&format!("{name}: {}\n", one_line(value)));
        }
        text.push('\n');
        text.push_str(&one_line(&self.body));
        if let Some(message) = &self.message {
            text.push_str(&format!("\n\nsigned message: {}", one_line(message)));
        }
        text
    }

    /// A curl command for a POSIX shell, safe to show on a terminal.
    fn to_curl(&self) -> String {
        use super::sign::{CURL_PREFIX, shell_quote};
        let mut command = format!(
            "{CURL_PREFIX} -X {} {}",
            self.prepared.method,
            shell_quote(&self.prepared.url)
        );
        for (name, value) in &self.headers {
            command.push_str(" \\\n  -H ");
            command.push_str(&shell_quote(&format!("{name}: {value}")));
        }
        if !self.body.is_empty() {
            command.push_str(" \\\n  --data-binary ");
            command.push_str(&shell_quote(&self.body));
        }
        let safe = crate::sanitize::for_display_multiline(&command);
        if self.warn_if_escaped && safe != command {
            eprintln!(
                "idcon: the request holds terminal control characters, shown escaped: the printed body is not the signed one"
            );
        }
        safe
    }
}

/// Prints a dry run on stdout: with `json_output`, `doc` (the command's own
/// members) with the request (and the curl command) added; else the request
/// in `format`.
pub fn print_dry_run(
    request: &DryRunRequest<'_>,
    format: RequestFormat,
    json_output: bool,
    mut doc: Value,
) -> Result<(), Failure> {
    if json_output {
        doc["request"] = request.to_json();
        if format == RequestFormat::Curl {
            doc["curl"] = json!(request.to_curl());
        }
        return print_stdout(&format!("{}\n", json_text(&doc)));
    }
    let text = match format {
        RequestFormat::Json => json_text(&request.to_json()),
        RequestFormat::Curl => request.to_curl(),
        RequestFormat::Http => request.to_http(),
    };
    print_stdout(&format!("dry run, nothing was sent:\n{text}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_map_keeps_the_order_of_its_items() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled = parallel_map(&items, |n| n * 2);
        assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert!(parallel_map(&[] as &[u32], |n| *n).is_empty());
    }

    #[test]
    fn json_for_terminals_escapes_controls_but_stays_the_same_value() {
        let value = json!({"name": "a\u{9b}2J\u{202e}b", "esc": "\u{1b}[31m"});
        let text = json_text(&value);
        assert!(!text.chars().any(crate::sanitize::is_unsafe), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).ok(), Some(value));
    }

    #[test]
    fn the_diff_shows_each_kind_of_change_and_no_controls() {
        let changes = vec![
            Change {
                pointer: "/state".into(),
                old: Some(json!("active")),
                new: Some(json!("inactive")),
            },
            Change {
                pointer: "/metadata_admin/ticket".into(),
                old: None,
                new: Some(json!("SUP-\u{9b}42")),
            },
            Change {
                pointer: "/external_id".into(),
                old: Some(json!("x")),
                new: None,
            },
        ];
        let plain = render_changes(&changes, false);
        assert_eq!(
            plain,
            "  ~ /state: \"active\" → \"inactive\"\n  + /metadata_admin/ticket: \"SUP-\\u009b42\"\n  - /external_id: \"x\"\n"
        );
        let coloured = render_changes(&changes, true);
        assert!(coloured.contains(RED) && coloured.contains(GREEN));
        assert_eq!(render_heading("PUT x", false), "PUT x\n");
        assert_eq!(render_heading("PUT x", true), format!("{BOLD}PUT x{RESET}\n"));
    }

    #[test]
    fn an_identity_is_named_by_identifier_and_name_made_safe() {
        assert_eq!(
            who_text(Some("sofia@example.com"), Some("Sofia Berg")).as_deref(),
            Some("sofia@example.com (Sofia Berg)")
        );
        assert_eq!(who_text(Some("ana"), Some("ana")).as_deref(), Some("ana"));
        assert_eq!(who_text(None, Some("Ana")).as_deref(), Some("Ana"));
        assert_eq!(who_text(Some(""), None), None);
        let hostile = who_text(Some("a\u{1b}]52;c;x\u{7}@x"), Some("\u{202e}Bob\nEve")).unwrap_or_default();
        assert!(!hostile.chars().any(crate::sanitize::is_unsafe), "{hostile}");
        assert_eq!(
            render_who_and_why(Some("ana@example.com"), Some("SUP-1")),
            "  identity: ana@example.com\n  reason: SUP-1\n"
        );
        assert_eq!(render_who_and_why(None, None), "");
    }

    #[test]
    fn failures_keep_their_exit_codes_and_become_json() {
        let failure = Failure::new(EXIT_REFUSED, "profile \"p\" is read-only\nsecond line");
        assert_eq!(failure.message, "profile \"p\" is read-only second line");
        let doc = failure.to_json();
        assert_eq!(doc["error"]["exit_code"], 5);
        assert_eq!(doc["error"]["kind"], "refused");
    }
}
