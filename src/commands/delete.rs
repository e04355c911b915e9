//! `idcon delete ID [--yes] [--reason R]`: deletes one identity, with
//! everything Kratos keeps for it (credentials, addresses, sessions). There
//! is no undo, so:
//!
//! - the audit trail opens and the reason is checked (`require_reason`)
//!   before anything is read; a read-only profile is refused then too (one
//!   `refusal` line, nothing read or sent);
//! - a fresh read shows what will be lost: who (primary identifier and name,
//!   [`crate::who`]), state, traits, metadata, each credential by type with
//!   its identifiers (never a secret), and how many sessions go too;
//! - on a terminal the user types the identity's primary identifier (its id
//!   when it has none) to go on; `--yes` skips that; without a terminal and
//!   without `--yes` nothing is sent;
//! - the identity is read again just before the `DELETE`: if what would be
//!   lost changed since it was shown, nothing is sent and the changes are
//!   named (a `refusal` line); if it is gone already, that is said (exit 4);
//! - the `DELETE` goes between its `intent` and `outcome` audit lines; the
//!   intent holds the redacted snapshot of what is deleted
//!   ([`crate::api::delete::snapshot_changes`]), so "who deleted this, and
//!   what was it" has an answer (`idcon audit --identity ID`).
//!
//! Sessions are counted at the first read only: people sign in and out all
//! the time, and every one of them goes with the identity anyway.
//!
//! Kratos answers an unknown id with its no-rows 404, which idcon reads as
//! "already gone" (another admin deleted it between the re-read and the
//! `DELETE`): exit 0, said in words.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;

use chrono::Utc;
use clap::Args;
use serde_json::{Value, json};

use super::script::{self, EXIT_NOT_FOUND, EXIT_REFUSED, Failure, print_stdout};
use super::sessions::{AuditedWrite, ConfirmFlags, Person, before_a_write, record_refusal, send_audited, sent_failure};
use crate::api::Client;
use crate::api::delete::{self as deleting, Deleted};
use crate::api::sessions::{MAX_PER_PAGE, SessionQuery, SessionState};
use crate::config::{self, Overrides};

/// `idcon delete`.
#[derive(Debug, Args)]
#[command(after_help = script::EXIT_CODES_HELP)]
pub struct DeleteArgs {
    /// The identity to delete, with its credentials and sessions (no undo).
    #[arg(value_name = "ID")]
    pub id: String,

    #[command(flatten)]
    pub flags: ConfirmFlags,
}

pub fn run(global: &Overrides, args: &DeleteArgs) -> anyhow::Result<ExitCode> {
    Ok(script::run(args.flags.json(), delete(global, args)))
}

/// The sessions that go with the identity: their ids and how many are
/// active, or `None` with a warning when they cannot be read (a server
/// without the sessions API still deletes).
async fn read_sessions(client: &Client, id: &str, json_output: bool) -> Option<(Vec<String>, usize)> {
    let query = SessionQuery {
        active: None,
        per_page: MAX_PER_PAGE,
    };
    match client.session_pager(id, query).collect_all().await {
        Ok(sessions) => {
            let now = Utc::now();
            let active = sessions.iter().filter(|s| s.state(now) == SessionState::Active).count();
            Some((sessions.into_iter().map(|s| s.id).collect(), active))
        }
        Err(err) => {
            script::warn(
                &format!("the identity's sessions could not be read ({err}); they are deleted with it all the same"),
                json_output,
            );
            None
        }
    }
}

/// What will be lost, for the terminal: who, then each member of the
/// snapshot as a removal, the credentials in words and the sessions.
fn render_loss(
    url: &str,
    person: &Person,
    reason: Option<&str>,
    snapshot: &Value,
    sessions: Option<&(Vec<String>, usize)>,
) -> String {
    let mut out = script::render_heading(&format!("DELETE {}", script::one_line(url)), false);
    out.push_str(&script::render_who_and_why(Some(&person.who()), reason));
    out.push_str(&format!("  id: {}\n", script::one_line(&person.id)));
    out.push_str("  deletes:\n");
    out.push_str(&script::render_changes(
        &deleting::snapshot_changes(snapshot, None),
        false,
    ));
    let credentials = deleting::credential_entries(&person.raw);
    if credentials.is_empty() {
        out.push_str("  credentials: none\n");
    } else {
        out.push_str("  credentials (each stops working):\n");
        for credential in &credentials {
            let identifiers = if credential.identifiers.is_empty() {
                "(no identifier)".to_owned()
            } else {
                credential
                    .identifiers
                    .iter()
                    .map(|i| script::one_line(i))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out.push_str(&format!("    {}: {identifiers}\n", script::one_line(&credential.kind)));
        }
    }
    match sessions {
        Some((ids, active)) => out.push_str(&format!(
            "  sessions: {} ({active} active), deleted with it\n",
            ids.len()
        )),
        None => out.push_str("  sessions: could not be read; deleted with it\n"),
    }
    out.push_str("  Kratos deletes the identity and everything it keeps for it; there is no undo\n");
    out
}

/// On a terminal: the user types `expected` (exactly) to go on.
fn ask_to_type(expected: &str, who: &str) -> Result<(), Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(
            EXIT_REFUSED,
            "stdin is not a terminal, so idcon cannot ask for the identifier: pass --yes to delete; nothing was sent",
        ));
    }
    eprint!(
        "To delete {who}, type {} (anything else keeps it): ",
        script::one_line(expected)
    );
    let _ = std::io::stderr().flush();
    let mut typed = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut typed)
        .map_err(|err| Failure::error(format!("cannot read the answer: {err}")))?;
    let typed = typed.strip_suffix('\n').unwrap_or(&typed);
    let typed = typed.strip_suffix('\r').unwrap_or(typed);
    if typed == expected {
        Ok(())
    } else {
        Err(Failure::new(
            EXIT_REFUSED,
            "what was typed is not the identifier; nothing was deleted",
        ))
    }
}

async fn delete(global: &Overrides, args: &DeleteArgs) -> Result<(), Failure> {
    let json_output = args.flags.json();
    let profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;
    let url = client.identity_url(&args.id);
    let (audit, reason) = before_a_write(&profile, &client, &args.flags, "DELETE", url.clone(), Some(&args.id)).await?;
    let person = Person::read(&client, &args.id, json_output).await?;
    let url = client.identity_url(&person.id);
    let snapshot = deleting::snapshot(&person.raw);
    let sessions = read_sessions(&client, &person.id, json_output).await;
    let plan = render_loss(&url, &person, reason.as_deref(), &snapshot, sessions.as_ref());
    if json_output {
        if !args.flags.yes {
            eprint!("{plan}");
        }
    } else {
        print_stdout(&plan)?;
    }
    if !args.flags.yes {
        let expected = deleting::confirmation_text(person.identifier.as_deref(), &person.id);
        ask_to_type(expected, &person.who())?;
    }

    let session_ids = sessions.as_ref().map(|(ids, _)| ids.as_slice());
    let write = AuditedWrite {
        identity_id: Some(person.id.clone()),
        identifier: person.identifier.clone(),
        why: reason.clone(),
        changes: deleting::snapshot_changes(&snapshot, session_ids),
    };

    // The lost-update check: what is deleted must be what was shown.
    let latest = match crate::write::fetch(&client, &person.id).await {
        Ok(latest) => latest,
        Err(err) if err.is_not_found() => {
            return Err(Failure::new(
                EXIT_NOT_FOUND,
                format!(
                    "{} was deleted by someone else since it was read; nothing was sent",
                    person.who()
                ),
            ));
        }
        Err(err) => return Err(Failure::api(&err)),
    };
    let changed = deleting::changed_since(&snapshot, &deleting::snapshot(&latest.raw));
    if !changed.is_empty() {
        let pointers: Vec<&str> = changed.iter().map(|c| c.pointer.as_str()).collect();
        let message = format!(
            "{} changed on the server since it was shown ({}); nothing was sent: run idcon delete again to review it",
            person.who(),
            script::one_line(&pointers.join(", "))
        );
        record_refusal(&audit, &client, "DELETE", url.clone(), &write, &message).await;
        eprint!("{}", script::render_changes(&changed, false));
        return Err(Failure::new(EXIT_REFUSED, message));
    }

    let prepared = client
        .prepare_delete_identity(&person.id)
        .map_err(|err| Failure::api(&err))?;
    let done = script::finish_despite_signals(send_audited(
        &client,
        Some(&audit),
        &prepared,
        &write,
        client.send_delete_identity_exchange(&prepared),
    ))
    .await
    .map_err(|err| sent_failure(&err))?;
    if let Some(warning) = &done.audit_warning {
        script::warn(warning, json_output);
    }
    let exchange = &done.response.exchange;
    let gone = done.response.value == Deleted::AlreadyGone;
    if json_output {
        let doc = json!({
            "identity_id": person.id,
            "identifier": person.identifier,
            "reason": reason,
            "deleted": !gone,
            "already_gone": gone,
            "sessions": session_ids.map(<[String]>::len),
            "snapshot": snapshot,
            "status": exchange.status,
            "request_id": prepared.request_id,
        });
        return print_stdout(&format!("{}\n", script::json_text(&doc)));
    }
    if gone {
        return print_stdout(&format!(
            "{} was already gone: someone deleted it just before (HTTP {}; request id {})\n",
            person.who(),
            exchange.status,
            prepared.request_id
        ));
    }
    print_stdout(&format!(
        "deleted {} ({}): HTTP {} {} in {} ms (request id {})\n",
        person.who(),
        script::one_line(&person.id),
        exchange.status,
        exchange.reason,
        exchange.elapsed.as_millis(),
        prepared.request_id
    ))
}

/// The console's delete (`Ctrl-D`, [`crate::app::delete`]): the identity is
/// read again; gone is [`DeleteAnswer::AlreadyGone`], a change to what would
/// be lost is [`DeleteAnswer::Changed`] (nothing sent); otherwise its
/// sessions are listed for the audit trail and the `DELETE` goes between its
/// intent (the redacted snapshot) and outcome, as `idcon delete` sends it.
/// The client refuses a read-only profile before signing.
///
/// [`DeleteAnswer::AlreadyGone`]: crate::app::delete::DeleteAnswer::AlreadyGone
/// [`DeleteAnswer::Changed`]: crate::app::delete::DeleteAnswer::Changed
pub async fn console_delete(
    client: &Client,
    audit: Result<std::sync::Arc<crate::audit::AuditLog>, String>,
    order: crate::app::delete::DeleteOrder,
) -> Result<crate::app::delete::DeleteAnswer, String> {
    use crate::app::delete::DeleteAnswer;
    let line = |err: &dyn std::fmt::Display| crate::text::single_line(&err.to_string());
    let log = audit.map_err(|why| format!("the audit trail cannot be written ({why}): nothing was sent"))?;
    let latest = match crate::write::fetch(client, &order.identity_id).await {
        Ok(latest) => latest,
        Err(err) if err.is_not_found() => return Ok(DeleteAnswer::AlreadyGone),
        Err(err) => return Err(format!("reading it again failed, nothing was sent: {}", line(&err))),
    };
    let changes = deleting::changed_since(&order.snapshot, &deleting::snapshot(&latest.raw));
    if !changes.is_empty() {
        return Ok(DeleteAnswer::Changed {
            latest: latest.raw,
            changes,
        });
    }
    let session_ids = client
        .session_pager(
            &order.identity_id,
            SessionQuery {
                active: None,
                per_page: MAX_PER_PAGE,
            },
        )
        .collect_all()
        .await
        .ok()
        .map(|sessions| sessions.into_iter().map(|s| s.id).collect::<Vec<_>>());
    let write = AuditedWrite {
        identity_id: Some(order.identity_id.clone()),
        identifier: order.identifier.clone(),
        why: order.why.clone(),
        changes: deleting::snapshot_changes(&order.snapshot, session_ids.as_deref()),
    };
    let prepared = client
        .prepare_delete_identity(&order.identity_id)
        .map_err(|e| line(&e))?;
    let done = send_audited(
        client,
        Some(&log),
        &prepared,
        &write,
        client.send_delete_identity_exchange(&prepared),
    )
    .await
    .map_err(|e| line(&e))?;
    Ok(match done.response.value {
        Deleted::AlreadyGone => DeleteAnswer::AlreadyGone,
        Deleted::Deleted => DeleteAnswer::Deleted {
            status: done.response.exchange.status,
            response: Some(Box::new(crate::app::response::response_view(
                &done.response.exchange,
                Some(order.identity_id.clone()),
            ))),
            request_id: prepared.request_id,
        },
    })
}
