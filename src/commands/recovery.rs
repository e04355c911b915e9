//! `idcon recovery ID [--code] [--expires-in DUR]`: a recovery link (or a
//! code and the page to type it on) for an identity, for support staff to
//! hand over.
//!
//! The link or code is a key to the account until it expires: it goes to
//! **stdout only**, once. Never to stderr (the review, questions and warnings
//! go there), the audit trail (which records that a link or code was made,
//! for whom, by whom, why, and the expiry asked for: `/recovery/link:
//! {"expires_in": "15m"}`; its outcome keeps the answer's `expires_at`,
//! `audit::Outcome::of`), the log or any file idcon writes; the client
//! hands back an exchange with it replaced by `<redacted>` (see
//! [`crate::api::recovery`]).
//!
//! It is a write like any other: audit trail first, the reason checked, a
//! read-only profile refused before anything is read or sent, the review and
//! a question on a terminal (`--yes` otherwise). `--expires-in` is checked
//! as Kratos reads it (Go's `time.ParseDuration`, more than zero) before
//! anything is sent; without it the server's lifespan for the method
//! applies (Kratos: 1 h). An identity without a recovery address gets a link
//! or code all the same (Kratos checks none); idcon says so on stderr, as it
//! does for an inactive identity, which no recovery signs in.

use std::process::ExitCode;

use chrono::Utc;
use clap::Args;
use serde_json::json;

use super::script::{self, EXIT_ERROR, EXIT_NOT_FOUND, EXIT_USAGE, Failure, print_stdout};
use super::sessions::{AuditedWrite, ConfirmFlags, Person, before_a_write, send_audited};
use crate::api::recovery::{ExpiresIn, RecoveryKind, RecoveryRequest, RecoveryWarning, explain_failure};
use crate::api::{ApiError, Client};
use crate::config::{self, Overrides};
use crate::diff::Change;
use crate::write::WriteError;

#[derive(Debug, Args)]
#[command(after_help = script::EXIT_CODES_HELP)]
pub struct RecoveryArgs {
    /// The identity to make a recovery link or code for.
    #[arg(value_name = "ID")]
    pub id: String,

    /// Make a six-digit code (and the link of the page to type it on)
    /// instead of a link, e.g. to read out on the phone.
    #[arg(long)]
    pub code: bool,

    /// How long it is valid, as Kratos reads it: 15m, 1h, 1h30m, 24h (units
    /// ns, us, ms, s, m, h; at most 90 days). Default: the server's lifespan
    /// for the method (Kratos: 1h).
    #[arg(long, value_name = "DUR", allow_hyphen_values = true)]
    pub expires_in: Option<String>,

    #[command(flatten)]
    pub flags: ConfirmFlags,
}

pub fn run(global: &Overrides, args: &RecoveryArgs) -> anyhow::Result<ExitCode> {
    Ok(script::run(args.flags.json(), recovery(global, args)))
}

async fn recovery(global: &Overrides, args: &RecoveryArgs) -> Result<(), Failure> {
    let json_output = args.flags.json();
    let kind = if args.code {
        RecoveryKind::Code
    } else {
        RecoveryKind::Link
    };
    // Checked before anything else: a bad expiry sends nothing.
    let expires_in = args
        .expires_in
        .as_deref()
        .map(ExpiresIn::parse)
        .transpose()
        .map_err(|message| Failure::usage(format!("--expires-in {message}; nothing was sent")))?;
    let profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;
    let url = format!("{}{}/{}", client.base_url(), client.recovery_path(), kind.as_str());
    let (audit, reason) = before_a_write(&profile, &client, &args.flags, "POST", url.clone(), Some(&args.id)).await?;
    let person = Person::read(&client, &args.id, json_output).await?;
    for warning in RecoveryWarning::of_identity(&person.raw) {
        script::warn(warning.message(), json_output);
    }
    let request = RecoveryRequest {
        identity_id: person.id.clone(),
        kind,
        expires_in,
    };
    let lifetime = match &request.expires_in {
        Some(expires_in) => format!("valid for {}", script::one_line(expires_in.as_str())),
        None => "valid for the server's lifespan for it (Kratos: 1h)".to_owned(),
    };
    let write = AuditedWrite {
        identity_id: Some(person.id.clone()),
        identifier: person.identifier.clone(),
        why: reason.clone(),
        changes: vec![Change {
            pointer: format!("/recovery/{kind}"),
            old: None,
            new: Some(json!({
                "expires_in": request.expires_in.as_ref().map(ExpiresIn::as_str),
            })),
        }],
    };
    // The review goes to stderr: stdout is for the secret alone.
    let mut review = script::render_heading(&format!("POST {}", script::one_line(&url)), false);
    review.push_str(&script::render_who_and_why(Some(&person.who()), reason.as_deref()));
    review.push_str(&format!("  makes: a {}, {lifetime}\n", kind.noun()));
    if !args.flags.yes {
        eprint!("{review}");
        script::confirm(&format!("Make a {} for {}?", kind.noun(), person.who()))?;
    }
    let prepared = client
        .prepare_create_recovery(&request)
        .map_err(|err| Failure::api(&err))?;
    let done = script::finish_despite_signals(send_audited(
        &client,
        Some(&audit),
        &prepared,
        &write,
        client.send_create_recovery(&prepared, kind),
    ))
    .await
    .map_err(|err| failure(&err, &request))?;
    if let Some(warning) = &done.audit_warning {
        script::warn(warning, json_output);
    }
    let answer = &done.response.value;
    let expires = answer
        .expires_at
        .as_deref()
        .map(|raw| crate::app::time::describe_time(raw, Utc::now()));
    if json_output {
        let doc = json!({
            "identity_id": person.id,
            "identifier": person.identifier,
            "kind": kind.as_str(),
            "recovery_link": answer.link.expose(),
            "recovery_code": answer.code.as_ref().map(|c| c.expose()),
            "expires_at": answer.expires_at,
            "reason": reason,
            "request_id": prepared.request_id,
        });
        return print_stdout(&format!("{}\n", script::json_text(&doc)));
    }
    // The link and code as the server wrote them: made safe for a terminal
    // (a link is ASCII; anything else in it is shown escaped).
    let mut text = format!("{} for {}\n", kind.noun(), person.who());
    if let Some(code) = &answer.code {
        text.push_str(&format!("  code:        {}\n", script::one_line(code.expose())));
        text.push_str(&format!("  enter it at: {}\n", script::one_line(answer.link.expose())));
    } else {
        text.push_str(&format!("  link:        {}\n", script::one_line(answer.link.expose())));
    }
    text.push_str(&format!(
        "  expires:     {}\n",
        expires.as_deref().unwrap_or("(the server did not say)")
    ));
    print_stdout(&text)
}

/// A failed recovery request in plain words where Kratos has its own texts
/// (switched off, an expiry refused, no such identity); the exit code as for
/// any write (not found: 4, an expiry refused: 2).
fn failure(err: &WriteError, request: &RecoveryRequest) -> Failure {
    let mut failure = Failure::write(err);
    if let WriteError::Api(api) = err
        && let Some(said) = explain_failure(api, request)
    {
        failure.message = script::one_line(&said);
        let server = api.server_error();
        let reason = server.and_then(|s| s.reason.as_deref()).unwrap_or_default();
        failure.code = if reason.contains("identity id does not exist") || reason.contains("could not find identity") {
            EXIT_NOT_FOUND
        } else if reason.contains("expires_in") {
            EXIT_USAGE
        } else {
            // Switched off (Kratos's 404) or refused: not a missing identity.
            EXIT_ERROR
        };
        if let ApiError::Http(http) = api.as_ref() {
            failure.status = Some(http.status);
        }
    }
    failure
}
