//! What the scriptable commands (`list`, `get`, `update`) share: their exit
//! codes, how a failure is reported (one plain line, or JSON), JSON that is
//! safe to print on a terminal, and the runtime they run on.

use std::io::{self, IsTerminal as _, Write};
use std::process::ExitCode;

use serde_json::{Value, json};

use crate::api::{ApiError, GenericError};
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
/// Refused: read-only profile or not confirmed; nothing was sent.
pub const EXIT_REFUSED: u8 = 5;

/// The exit codes, for each command's `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  error (network, server, config)
  2  usage: bad flags or input values; nothing was sent
  3  conflict: the identity changed since it was read; nothing was sent
  4  not found
  5  refused: read-only profile or not confirmed; nothing was sent";

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
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: one_line(&message.into()),
            status: None,
            request_id: None,
            server: None,
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
    pub fn api(err: &ApiError) -> Failure {
        let code = if err.is_not_found() { EXIT_NOT_FOUND } else { EXIT_ERROR };
        Failure {
            status: err.status(),
            request_id: err.request_id(),
            server: err.server_error().cloned().map(Box::new),
            ..Failure::new(code, err.to_string())
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

    /// Any other error, with its chain of causes.
    pub fn other(err: &anyhow::Error) -> Failure {
        Failure::error(super::one_line(err))
    }

    fn kind(&self) -> &'static str {
        match self.code {
            EXIT_USAGE => "usage",
            EXIT_CONFLICT => "conflict",
            EXIT_NOT_FOUND => "not_found",
            EXIT_REFUSED => "refused",
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
    }
    ExitCode::from(failure.code)
}

/// Text on one line with every terminal control made visible.
pub fn one_line(text: &str) -> String {
    let joined = text.replace(['\n', '\r'], " ");
    crate::sanitize::for_display(&joined).into_owned()
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
    if !json.chars().any(|c| crate::sanitize::is_unsafe(c) && c != '\n') {
        return json.to_owned();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        // serde_json escapes C0 controls; outside strings JSON holds only ASCII
        // structure and (pretty) line breaks, so anything else is in a string.
        if crate::sanitize::is_unsafe(c) && c != '\n' {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
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

/// True when writing failed because the reader went away (`| head`): the
/// command then stops quietly.
pub fn is_broken_pipe(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::BrokenPipe
}

/// A write to stdout that failed for another reason than a closed pipe.
pub fn stdout_failure(err: &io::Error) -> Failure {
    Failure::error(format!("cannot write to stdout: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_for_terminals_escapes_controls_but_stays_the_same_value() {
        let value = json!({"name": "a\u{9b}2J\u{202e}b", "esc": "\u{1b}[31m"});
        let text = json_text(&value);
        assert!(!text.chars().any(crate::sanitize::is_unsafe), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).ok(), Some(value));
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
