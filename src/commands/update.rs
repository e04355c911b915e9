//! `idcon update ID`: changes one identity from a script or runbook, through
//! the same pipeline as the console ([`crate::write`]): the full body built
//! from a fresh GET, the diff shown, a confirmation, the lost-update check
//! right before the signed PUT, and the audit trail.
//!
//! Output: the diff (coloured on a terminal unless `NO_COLOR` is set) and a
//! result line on stdout; with `--output json` one JSON document on stdout
//! instead (and the diff on stderr when a question is asked). Passwords and
//! hashes are never printed: the diff and the dry-run body show
//! `<redacted>`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use super::input::{is_stdin, read_hash, read_json, read_password};
use super::script::{
    self, DryRunRequest, EXIT_CONFLICT, EXIT_NOT_KEPT, Failure, RequestFormat, confirm, print_stdout, render_changes,
};
use crate::api::models::REDACTED;
use crate::api::{Client, CredentialsImport, IdentityState, OidcProviderImport, PreparedRequest};
use crate::audit::{self, AuditLog, Refusal, Target};
use crate::config;
use crate::config::Overrides;
use crate::diff;
use crate::write::{self, Edit, Freshness, PlannedWrite, ReasonError, Resolution, WriteError};

#[derive(Debug, Args)]
#[command(after_help = script::EXIT_CODES_HELP)]
pub struct UpdateArgs {
    /// The identity id.
    #[arg(value_name = "ID")]
    pub id: String,

    /// New state.
    #[arg(long, value_enum)]
    pub state: Option<StateArg>,

    /// Set one member to a JSON value, e.g. --set /traits/name/first='"Ana"'
    /// or --set /metadata_admin/ticket='"SUP-42"'. Repeatable. Missing parent
    /// objects are created.
    #[arg(long = "set", value_name = "POINTER=JSON", value_parser = parse_set, allow_hyphen_values = true)]
    pub set: Vec<(String, Value)>,

    /// Replace the traits with the JSON object in FILE (- reads stdin).
    #[arg(long, value_name = "FILE")]
    pub traits_file: Option<PathBuf>,

    /// Replace metadata_public with the JSON in FILE (null allowed; - reads stdin).
    #[arg(long, value_name = "FILE")]
    pub metadata_public_file: Option<PathBuf>,

    /// Replace metadata_admin with the JSON in FILE (null allowed; - reads stdin).
    #[arg(long, value_name = "FILE")]
    pub metadata_admin_file: Option<PathBuf>,

    /// Import this password hash (PHC format: argon2, bcrypt, pbkdf2, scrypt, ...);
    /// it replaces the password. Checked before anything is sent. Visible to
    /// every user of the host in `ps`: prefer --password-hash-stdin.
    #[arg(long, value_name = "PHC", value_parser = script::parse_secret_arg,
          conflicts_with_all = ["password_stdin", "password_hash_stdin"])]
    pub password_hash: Option<script::SecretArg>,

    /// Read a password hash to import (PHC format) from stdin, its first line;
    /// it replaces the password. Keeps the hash out of `ps` and shell history.
    #[arg(long, conflicts_with = "password_stdin")]
    pub password_hash_stdin: bool,

    /// Read a new password from stdin (typed without echo on a terminal); it
    /// replaces the password.
    #[arg(long)]
    pub password_stdin: bool,

    /// With --password-stdin: hash the password here with argon2id and send
    /// only the hash, so the plaintext never leaves this host.
    #[arg(long, requires = "password_stdin")]
    pub hash_locally: bool,

    /// Link an OIDC provider account (repeatable). Kratos only ever adds links
    /// through this API; none can be removed here.
    #[arg(long = "add-oidc", value_name = "PROVIDER:SUBJECT", value_parser = parse_oidc)]
    pub add_oidc: Vec<(String, String)>,

    /// Refuse (exit 3) unless the identity's updated_at is still TIMESTAMP (RFC 3339).
    #[arg(long, value_name = "TIMESTAMP")]
    pub expect_updated_at: Option<String>,

    #[command(flatten)]
    pub write: script::WriteFlags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    Active,
    Inactive,
}

/// `POINTER=JSON`, split at the first `=`.
fn parse_set(raw: &str) -> Result<(String, Value), String> {
    let Some((pointer, value)) = raw.split_once('=') else {
        return Err(format!(
            "expected POINTER=JSON, e.g. /traits/name/first='\"Ana\"', got {:?}",
            script::one_line(raw)
        ));
    };
    diff::parse_pointer(pointer).map_err(|err| err.to_string())?;
    if pointer.is_empty() {
        return Err("the pointer is empty: name a member, e.g. /traits/email".to_owned());
    }
    let value: Value = serde_json::from_str(value).map_err(|err| {
        format!("the value for {pointer} is not JSON ({err}); a string needs its quotes: {pointer}='\"text\"'")
    })?;
    Ok((pointer.to_owned(), value))
}

/// `PROVIDER:SUBJECT`, split at the first `:` (a subject may hold more).
fn parse_oidc(raw: &str) -> Result<(String, String), String> {
    match raw.split_once(':') {
        Some((provider, subject)) if !provider.trim().is_empty() && !subject.trim().is_empty() => {
            Ok((provider.trim().to_owned(), subject.trim().to_owned()))
        }
        _ => Err("expected PROVIDER:SUBJECT, e.g. google:108204268033311374519".to_owned()),
    }
}

pub fn run(global: &Overrides, args: &UpdateArgs) -> anyhow::Result<ExitCode> {
    Ok(script::run(args.write.json(), update(global, args)))
}

async fn update(global: &Overrides, args: &UpdateArgs) -> Result<(), Failure> {
    let json_output = args.write.json();
    let edit = read_edit(args)?;
    if edit.is_empty() {
        return Err(Failure::usage(
            "nothing to change: give --state, --set, --traits-file, --metadata-public-file, \
             --metadata-admin-file, --password-hash, --password-stdin or --add-oidc",
        ));
    }
    let expected = match &args.expect_updated_at {
        Some(raw) => Some(crate::meaning::parse_instant(raw.trim()).ok_or_else(|| {
            Failure::usage(format!(
                "--expect-updated-at {:?} is not an RFC 3339 time such as 2024-05-06T07:08:09Z",
                script::one_line(raw)
            ))
        })?),
        None => None,
    };

    let profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;
    // A write without a trail is no write: open it before anything is read.
    let audit = if args.write.dry_run {
        None
    } else {
        Some(script::open_audit(&profile)?)
    };
    // Before anything is read: a profile that requires a reason refuses a
    // write without one at once, and the refusal is on the trail.
    let reason = match script::check_reason(&profile, args.write.reason.as_deref(), args.write.dry_run) {
        Ok(reason) => reason,
        Err(err) => {
            if err == ReasonError::Required {
                let recorded = err.message(&profile.name, "none was given");
                refuse_unplanned(audit.as_ref(), &client, &args.id, &recorded, None).await;
            }
            return Err(script::reason_failure(&err, &profile.name));
        }
    };

    let snapshot = write::fetch(&client, &args.id)
        .await
        .map_err(|err| Failure::api(&err))?;
    let mut planned = match write::plan(&snapshot, &edit) {
        Ok(planned) => planned,
        Err(err) => {
            // Refused after the identity was read (a hash Kratos would not
            // import, an OIDC link that exists already, ...): on the trail too.
            let mut refused_because = err.to_string();
            // The messages never quote a hash; should one ever, it stays off the trail.
            if let Some(hash) = args
                .password_hash
                .as_ref()
                .map(|h| h.expose().trim())
                .filter(|h| !h.is_empty())
            {
                refused_because = refused_because.replace(hash, REDACTED);
            }
            refuse_unplanned(audit.as_ref(), &client, snapshot.id(), &refused_because, reason).await;
            return Err(Failure::write(&err));
        }
    };
    planned = planned.with_reason(reason);
    if planned.is_noop() {
        return report_nothing_to_do(&planned, json_output);
    }
    // Who it is, named as the console names it: by the identifier its
    // schema marks (one schema read; without it, the usual traits). A dry
    // run reads the identity and nothing else: it names the person by the
    // usual traits.
    if !args.write.dry_run {
        let mut schemas = script::SchemaHints::default();
        schemas.learn(&client, [&snapshot.raw]).await;
        match schemas.get(&snapshot.identity.schema_id) {
            Some(hints) => planned = planned.with_identifier_hints(hints),
            None => {
                if let Some(note) = schemas.missing_note() {
                    script::warn(&note, json_output);
                }
            }
        }
    }

    if let Some(expected) = expected {
        // As instants at microsecond precision: a PUT answer's nanoseconds
        // and a later GET's microseconds name the same moment.
        let current = snapshot.updated_at().and_then(crate::meaning::parse_instant);
        if current != Some(expected) {
            let now = snapshot.updated_at().unwrap_or("(none)");
            let message = format!(
                "identity {} changed since {}: its updated_at is now {}; nothing was sent",
                script::one_line(&args.id),
                expected.to_rfc3339(),
                script::one_line(now)
            );
            refuse(audit.as_ref(), &client, &planned, &message).await;
            return Err(Failure::new(EXIT_CONFLICT, message));
        }
    }

    let colour = !json_output && script::use_colour();
    let url = client.identity_url(&planned.identity_id);
    if !json_output {
        print_stdout(&render_diff(&planned, &url, client.profile_name(), colour))?;
    }
    for warning in planned.warnings() {
        eprintln!("idcon: warning: {}", script::one_line(&warning));
    }

    if client.is_read_only() {
        let err = match &audit {
            Some(_) => write::send(&client, audit.as_ref(), &planned).await.err(),
            None => write::sign(&client, &planned).err(),
        };
        let err = err.unwrap_or(WriteError::ReadOnly {
            profile: client.profile_name().to_owned(),
        });
        return Err(Failure::write(&err));
    }

    if args.write.dry_run {
        let prepared = write::sign(&client, &planned).map_err(|err| Failure::write(&err))?;
        return print_dry_run(&planned, &prepared, args.write.format, json_output);
    }

    let interactive = !args.write.yes;
    if interactive {
        if json_output {
            eprint!("{}", render_diff(&planned, &url, client.profile_name(), false));
        }
        confirm(&format!(
            "Send this change to profile \"{}\"?",
            script::one_line(client.profile_name())
        ))?;
    }

    // The only guard Kratos offers: read it again right before sending, and
    // again after every merge (the person may have taken minutes to confirm).
    let mut merges = 0;
    loop {
        let Freshness::Changed { server_changes, latest } = write::check_fresh(&client, &planned)
            .await
            .map_err(|err| Failure::api(&err))?
        else {
            break;
        };
        merges += 1;
        if merges > MAX_MERGES {
            let message = format!(
                "identity {} kept changing on the server while it was merged {MAX_MERGES} times; nothing was sent",
                script::one_line(&args.id)
            );
            refuse(audit.as_ref(), &client, &planned, &message).await;
            return Err(Failure::new(EXIT_CONFLICT, message));
        }
        eprint!(
            "idcon: the identity changed on the server since it was read:\n{}",
            render_changes(&server_changes, false)
        );
        planned = match write::rebase(&planned, &latest, Resolution::Merge) {
            Ok(merged) => merged,
            Err(err) => {
                refuse(audit.as_ref(), &client, &planned, &err.to_string()).await;
                return Err(Failure::write(&err));
            }
        };
        if planned.is_noop() {
            return report_nothing_to_do(&planned, json_output);
        }
        eprintln!("idcon: the edit was merged onto the newer version; it now changes:");
        eprint!("{}", render_changes(&planned.changes, false));
        if interactive {
            confirm("Send the merged change?")?;
        }
    }

    let result = script::finish_despite_signals(write::send(&client, audit.as_ref(), &planned))
        .await
        .map_err(|err| Failure::write(&err))?;
    if let Some(warning) = &result.audit_warning {
        eprintln!("idcon: warning: {}", script::one_line(warning));
    }
    let exchange = &result.exchange;
    let findings = result.verification.messages();
    if json_output {
        let mut identity = result.identity.raw.clone();
        crate::api::models::redact_secrets(&mut identity);
        let doc = json!({
            "identity_id": planned.identity_id,
            "identifier": planned.identifier,
            "reason": planned.reason,
            "status": exchange.status,
            "request_id": result.request_id,
            "elapsed_ms": u64::try_from(exchange.elapsed.as_millis()).unwrap_or(u64::MAX),
            "changes": result.changes,
            "not_kept": result.verification.not_kept,
            "normalised": result.verification.normalised,
            "identity": identity,
        });
        print_stdout(&format!("{}\n", script::json_text(&doc)))?;
    } else {
        print_stdout(&format!(
            "updated {}: HTTP {} {} in {} ms (request id {})\n",
            script::one_line(&planned.identity_id),
            exchange.status,
            exchange.reason,
            exchange.elapsed.as_millis(),
            result.request_id
        ))?;
    }
    for finding in &findings {
        eprintln!("idcon: {}", script::one_line(finding));
    }
    if !result.verification.all_kept() {
        return Err(Failure::new(
            EXIT_NOT_KEPT,
            format!(
                "the server answered {} but did not keep {}: an older Kratos or a gateway drops fields it does not know; \
                 the audit outcome records it",
                exchange.status,
                result.verification.not_kept.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Records a refusal; a failure to record it is only a warning (nothing is
/// sent either way).
async fn refuse(audit: Option<&Arc<AuditLog>>, client: &Client, planned: &PlannedWrite, reason: &str) {
    if let Some(log) = audit
        && let Err(err) = write::record_refusal(log, client, planned, reason).await
    {
        script::warn_refusal_not_recorded(&err);
    }
}

/// Records a refusal of an edit that could not even be planned: no body, so
/// no changes, only the reason (whose messages never hold a password or
/// hash) and the user's own reason for the write (`why`), when given. A
/// failure to record it is only a warning.
async fn refuse_unplanned(
    audit: Option<&Arc<AuditLog>>,
    client: &Client,
    identity_id: &str,
    reason: &str,
    why: Option<String>,
) {
    let Some(log) = audit else {
        return;
    };
    let refusal = Refusal {
        target: Target::refused_put(client, client.identity_url(identity_id), Some(identity_id.to_owned()))
            .about(None, why),
        changes: Vec::new(),
        reason: reason.to_owned(),
    };
    if let Err(err) = audit::on_blocking_pool(log, move |log| log.refusal(&refusal)).await {
        script::warn_refusal_not_recorded(&err);
    }
}

fn report_nothing_to_do(planned: &PlannedWrite, json_output: bool) -> Result<(), Failure> {
    if json_output {
        let doc = json!({"identity_id": planned.identity_id, "changes": [], "sent": false});
        print_stdout(&format!("{}\n", script::json_text(&doc)))
    } else {
        print_stdout(&format!(
            "nothing to change: identity {} already has these values; nothing was sent\n",
            script::one_line(&planned.identity_id)
        ))
    }
}

/// The edit the flags ask for. Reads files and stdin; every problem is a
/// usage failure naming the flag.
fn read_edit(args: &UpdateArgs) -> Result<Edit, Failure> {
    let stdin_users = [
        args.traits_file.as_deref().is_some_and(is_stdin),
        args.metadata_public_file.as_deref().is_some_and(is_stdin),
        args.metadata_admin_file.as_deref().is_some_and(is_stdin),
        args.password_stdin,
    ];
    if stdin_users.iter().filter(|used| **used).count() > 1 {
        return Err(Failure::usage(
            "only one of --traits-file -, --metadata-public-file -, --metadata-admin-file - and --password-stdin can read stdin",
        ));
    }
    let mut edit = Edit {
        state: args.state.map(|s| match s {
            StateArg::Active => IdentityState::Active,
            StateArg::Inactive => IdentityState::Inactive,
        }),
        set: args.set.clone(),
        ..Edit::default()
    };
    if let Some(path) = &args.traits_file {
        edit.traits = Some(read_json("--traits-file", path)?);
    }
    if let Some(path) = &args.metadata_public_file {
        edit.metadata_public = Some(read_json("--metadata-public-file", path)?);
    }
    if let Some(path) = &args.metadata_admin_file {
        edit.metadata_admin = Some(read_json("--metadata-admin-file", path)?);
    }

    let mut credentials: Option<CredentialsImport> = None;
    if let Some(hash) = &args.password_hash {
        script::warn_secret_in_argv("--password-hash", "--password-hash-stdin", args.write.json());
        credentials = Some(CredentialsImport::hashed_password(hash.expose().trim().to_owned()));
    }
    if args.password_hash_stdin {
        credentials = Some(CredentialsImport::hashed_password(read_hash()?));
    }
    if args.password_stdin {
        let password = read_password("New password: ")?;
        let import = if args.hash_locally {
            let hash = crate::hashes::hash_password_argon2id(&password)
                .map_err(|err| Failure::usage(format!("--hash-locally: {err}")))?;
            CredentialsImport::hashed_password(hash)
        } else {
            CredentialsImport::plaintext_password(password)
        };
        credentials = Some(import);
    }
    if !args.add_oidc.is_empty() {
        let providers = args
            .add_oidc
            .iter()
            .map(|(provider, subject)| OidcProviderImport {
                provider: provider.clone(),
                subject: subject.clone(),
                ..OidcProviderImport::default()
            })
            .collect();
        let oidc = CredentialsImport::oidc(providers).oidc;
        credentials = Some(match credentials {
            Some(mut both) => {
                both.oidc = oidc;
                both
            }
            None => CredentialsImport {
                oidc,
                ..CredentialsImport::default()
            },
        });
    }
    edit.credentials = credentials;
    Ok(edit)
}

/// How often `update` merges onto a newer version before it gives up: an
/// identity that changes under every merge is being edited by someone else
/// right now.
const MAX_MERGES: u32 = 3;

/// The review: where it goes, who the identity is and why it is changed,
/// then one line per changed member.
fn render_diff(planned: &PlannedWrite, url: &str, profile: &str, colour: bool) -> String {
    let head = format!(
        "PUT {} (profile \"{}\")",
        script::one_line(url),
        script::one_line(profile)
    );
    let mut out = script::render_heading(&head, colour);
    let who = script::who_text(planned.identifier.as_deref(), planned.display_name().as_deref());
    out.push_str(&script::render_who_and_why(who.as_deref(), planned.reason.as_deref()));
    out.push_str(&render_changes(&planned.changes, colour));
    out
}

/// Prints the diff's request without sending it. When the body holds a
/// secret (a password or hash, an OIDC token, or the issuance token it
/// echoes in `metadata_admin`, also at the profile's own pointer), the body
/// is printed with every secret `<redacted>` and the signature and the
/// signed body's base64 are hidden: with the public key, they would let
/// anyone test guesses of the secret.
fn print_dry_run(
    planned: &PlannedWrite,
    prepared: &PreparedRequest,
    format: RequestFormat,
    json_output: bool,
) -> Result<(), Failure> {
    let secret = prepared.body_has_secrets();
    let body = if secret {
        // The redacted body, in the layout sent.
        prepared.display_body().unwrap_or_default()
    } else {
        prepared
            .body
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    let message = prepared.signed_message.as_ref().map(|message| {
        // The last part is the base64 of the body, secrets included (the
        // query before it holds `&` too).
        match message.rsplit_once('&') {
            Some((signed, _body)) if secret => format!("{signed}&{REDACTED}"),
            _ => message.clone(),
        }
    });
    let headers = prepared.display_headers(secret);
    if secret && !json_output {
        eprintln!(
            "idcon: the body holds a secret (a password, hash or token), shown as {REDACTED}: the printed request does not match its signature"
        );
    }
    let request = DryRunRequest {
        prepared,
        headers,
        body,
        message,
        warn_if_escaped: true,
    };
    let doc = json!({
        "identity_id": planned.identity_id,
        "identifier": planned.identifier,
        "reason": planned.reason,
        "dry_run": true,
        "changes": planned.changes,
    });
    script::print_dry_run(&request, format, json_output, doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_takes_a_pointer_and_json() {
        assert_eq!(
            parse_set("/traits/name/first=\"Ana\""),
            Ok(("/traits/name/first".to_owned(), json!("Ana")))
        );
        assert_eq!(
            parse_set("/metadata_public=null"),
            Ok(("/metadata_public".to_owned(), Value::Null))
        );
        assert!(parse_set("/traits/name/first=Ana").is_err_and(|e| e.contains("quotes")));
        assert!(parse_set("traits/x=1").is_err());
        assert!(parse_set("/traits/x").is_err());
    }

    #[test]
    fn oidc_links_split_at_the_first_colon() {
        assert_eq!(
            parse_oidc("saml:urn:x:1"),
            Ok(("saml".to_owned(), "urn:x:1".to_owned()))
        );
        assert!(parse_oidc("google:").is_err());
        assert!(parse_oidc("google").is_err());
    }
}
