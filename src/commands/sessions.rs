//! `idcon sessions ID`: an identity's sessions (table, JSON or JSON lines);
//! `idcon sessions revoke ID (--session SID | --all)` and `idcon sessions
//! extend SID`: the console's session writes, from a script.
//!
//! The writes go the way every write goes: the audit trail opened before
//! anything is read, the reason checked (`require_reason`), a read-only
//! profile refused before anything is read or sent (one `refusal` line),
//! what will be done shown with who it is for, a question on a terminal
//! (`--yes` otherwise), then the signed request between its `intent` and
//! `outcome` audit lines ([`send_audited`], which the recovery command
//! shares). The audit lines name the session ids, never a token (a session
//! token never leaves Kratos; its admin API has none to give).
//!
//! Everything the server says about a device (IP address, user agent,
//! location) was written by whoever signed in, and is shown sanitised.

use std::process::ExitCode;
use std::sync::Arc;

use chrono::Utc;
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use super::script::{self, EXIT_NOT_FOUND, EXIT_REFUSED, Failure, ReasonFlag, WriteOutput, confirm, print_stdout};
use crate::api::sessions::{MAX_PER_PAGE, RevokedAll, Session, SessionExpand, SessionQuery, SessionState};
use crate::api::{ApiError, Client, PreparedRequest, Response};
use crate::audit::{self, AuditLog, Intent, Outcome, Refusal, Target};
use crate::config::{self, Overrides, Profile};
use crate::diff::Change;
use crate::write::{ReasonError, WriteError};

/// `idcon sessions`.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = script::EXIT_CODES_HELP
)]
pub struct SessionsArgs {
    #[command(subcommand)]
    pub action: Option<SessionsAction>,

    /// The identity whose sessions to list (newest first).
    #[arg(value_name = "ID", required = true)]
    pub id: Option<String>,

    /// Only sessions that are active and have not expired. Kratos filters on
    /// the session alone: an inactive identity's sessions still pass, and
    /// read "inactive".
    #[arg(long)]
    pub active: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = SessionsOutput::Table)]
    pub output: SessionsOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SessionsOutput {
    /// A row per session (state, assurance level, when, methods) and a line
    /// per device, made safe for a terminal.
    Table,
    /// One JSON array of the sessions as the server described them.
    Json,
    /// One session per line, as pages arrive.
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum SessionsAction {
    /// Revoke one session of an identity (--session SID), which Kratos
    /// deactivates, or all of them (--all), which Kratos deletes.
    Revoke(RevokeArgs),
    /// Extend one session: it expires one session lifespan from now
    /// (Kratos's session.lifespan, 24 h by default), active or not.
    Extend(ExtendArgs),
}

/// `--yes`, `--output` and `--reason` of a session or recovery write.
#[derive(Debug, Clone, Args)]
pub struct ConfirmFlags {
    /// Send without asking. Required when stdin is not a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Output format (errors too).
    #[arg(long, value_enum, default_value_t = WriteOutput::Text)]
    pub output: WriteOutput,

    #[command(flatten)]
    pub reason: ReasonFlag,
}

impl ConfirmFlags {
    pub fn json(&self) -> bool {
        self.output == WriteOutput::Json
    }
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["session", "all"])), after_help = script::EXIT_CODES_HELP)]
pub struct RevokeArgs {
    /// The identity whose session(s) to revoke.
    #[arg(value_name = "ID")]
    pub id: String,

    /// The session to revoke (its full id, as `idcon sessions ID` lists it).
    #[arg(long, value_name = "SID")]
    pub session: Option<String>,

    /// Revoke every session of the identity, active or not.
    #[arg(long)]
    pub all: bool,

    #[command(flatten)]
    pub flags: ConfirmFlags,
}

#[derive(Debug, Args)]
#[command(after_help = script::EXIT_CODES_HELP)]
pub struct ExtendArgs {
    /// The session to extend.
    #[arg(value_name = "SID")]
    pub session: String,

    #[command(flatten)]
    pub flags: ConfirmFlags,
}

pub fn run(global: &Overrides, args: &SessionsArgs) -> anyhow::Result<ExitCode> {
    Ok(match &args.action {
        None => script::run(args.output != SessionsOutput::Table, list(global, args)),
        Some(SessionsAction::Revoke(revoke_args)) => script::run(revoke_args.flags.json(), revoke(global, revoke_args)),
        Some(SessionsAction::Extend(extend_args)) => script::run(extend_args.flags.json(), extend(global, extend_args)),
    })
}

// ----- who it is ------------------------------------------------------------

/// An identity named as the console names it: its primary identifier and
/// display name ([`crate::who`], with its schema's marks).
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub identifier: Option<String>,
    pub name: Option<String>,
    /// The identity as the server sent it.
    pub raw: Value,
}

impl Person {
    /// GETs the identity (404: exit 4) and its schema's identifier marks
    /// (a schema that cannot be read is a warning on stderr).
    pub async fn read(client: &Client, id: &str, json_output: bool) -> Result<Person, Failure> {
        let snapshot = crate::write::fetch(client, id)
            .await
            .map_err(|err| Failure::api(&err))?;
        let mut schemas = script::SchemaHints::default();
        schemas.learn(client, [&snapshot.raw]).await;
        let hints = schemas.get(&snapshot.identity.schema_id);
        if hints.is_none()
            && let Some(note) = schemas.missing_note()
        {
            script::warn(&note, json_output);
        }
        let traits = snapshot.raw.get("traits").cloned().unwrap_or(Value::Null);
        Ok(Person {
            id: snapshot.id().to_owned(),
            identifier: crate::who::primary_identifier(&traits, hints),
            name: crate::who::display_name(&traits),
            raw: snapshot.raw,
        })
    }

    /// `sofia@example.com (Sofia Berg)`, else the id; safe for a terminal.
    pub fn who(&self) -> String {
        script::who_text(self.identifier.as_deref(), self.name.as_deref()).unwrap_or_else(|| script::one_line(&self.id))
    }
}

// ----- the audit lines of a write that is not an identity PUT -------------

/// What the audit trail says about a session or recovery write: whose, why,
/// and what changes (`/sessions/SID/active: true → false`, `/recovery/link:
/// {"expires_in": …}`). Never a secret: session ids and expiries only.
#[derive(Debug, Clone, Default)]
pub struct AuditedWrite {
    pub identity_id: Option<String>,
    /// The identity's primary identifier, so the trail names a person.
    pub identifier: Option<String>,
    /// The user's reason (`--reason`), checked by `write::check_reason`.
    pub why: Option<String>,
    pub changes: Vec<Change>,
}

impl AuditedWrite {
    fn target(&self, client: &Client, request_id: String, method: &str, url: String) -> Target {
        Target::of_client(client, request_id, method, url, self.identity_id.clone())
            .about(self.identifier.clone(), self.why.clone())
    }
}

/// A write that went through, and whether its outcome line was recorded.
#[derive(Debug)]
pub struct Audited<T> {
    pub response: Response<T>,
    /// The outcome line could not be written (the write itself was made).
    pub audit_warning: Option<String>,
}

/// Sends `prepared` (by awaiting `send`, which must send exactly it)
/// between its audit lines: the `intent`, synced to disk before anything
/// goes out (if it cannot be written, nothing is sent), and the `outcome`
/// after the answer or failure. `audit` `None` writes no lines (tests).
/// The same for revoke, extend and recovery, in the console as in the
/// commands.
pub async fn send_audited<T>(
    client: &Client,
    audit: Option<&Arc<AuditLog>>,
    prepared: &PreparedRequest,
    write: &AuditedWrite,
    send: impl std::future::Future<Output = Result<Response<T>, ApiError>>,
) -> Result<Audited<T>, WriteError> {
    let target = write.target(
        client,
        prepared.request_id.clone(),
        &prepared.method,
        prepared.url.clone(),
    );
    if let Some(log) = audit {
        let intent = Intent {
            target: target.clone(),
            changes: write.changes.clone(),
        };
        audit::on_blocking_pool(log, move |log| log.intent(&intent)).await?;
    }
    let started = std::time::Instant::now();
    let result = send.await;
    let measured = started.elapsed();
    let mut audit_warning = None;
    if let Some(log) = audit {
        let outcome = Outcome::of(target, result.as_ref().map(|r| &r.exchange), measured);
        if let Err(err) = audit::on_blocking_pool(log, move |log| log.outcome(&outcome)).await {
            audit_warning = Some(format!("the outcome was not recorded in the audit trail: {err}"));
        }
    }
    let response = result?;
    Ok(Audited {
        response,
        audit_warning,
    })
}

/// Records a write refused before anything was sent; a failure to record
/// it is a warning on stderr (nothing is sent either way).
pub async fn record_refusal(
    audit: &Arc<AuditLog>,
    client: &Client,
    method: &str,
    url: String,
    write: &AuditedWrite,
    reason: &str,
) {
    let refusal = Refusal {
        target: write.target(client, audit::new_request_id(), method, url),
        changes: write.changes.clone(),
        reason: reason.to_owned(),
    };
    if let Err(err) = audit::on_blocking_pool(audit, move |log| log.refusal(&refusal)).await {
        script::warn_refusal_not_recorded(&err);
    }
}

/// The checks every session or recovery write makes before anything is
/// read: the audit trail opens, the reason is acceptable, the profile may
/// write. A refusal is recorded (`method` and `url` say what would have been
/// sent) and is the failure returned.
pub async fn before_a_write(
    profile: &Profile,
    client: &Client,
    flags: &ConfirmFlags,
    method: &str,
    url: String,
    identity_id: Option<&str>,
) -> Result<(Arc<AuditLog>, Option<String>), Failure> {
    let audit = script::open_audit(profile)?;
    let refused = |why: Option<String>| AuditedWrite {
        identity_id: identity_id.map(str::to_owned),
        why,
        ..AuditedWrite::default()
    };
    let reason = match script::check_reason(profile, flags.reason.as_deref(), false) {
        Ok(reason) => reason,
        Err(err) => {
            if err == ReasonError::Required {
                let recorded = err.message(&profile.name, "none was given");
                record_refusal(&audit, client, method, url, &refused(None), &recorded).await;
            }
            return Err(script::reason_failure(&err, &profile.name));
        }
    };
    if client.is_read_only() {
        record_refusal(&audit, client, method, url, &refused(reason), "read-only profile").await;
        let err = ApiError::ReadOnly {
            profile: client.profile_name().to_owned(),
        };
        return Err(Failure::new(EXIT_REFUSED, err.to_string()));
    }
    Ok((audit, reason))
}

/// Prints what is about to be sent (stdout for text; stderr as well when a
/// question follows JSON output) and asks unless `--yes`.
pub fn show_and_confirm(plan: &str, flags: &ConfirmFlags, question: &str) -> Result<(), Failure> {
    if flags.json() {
        if !flags.yes {
            eprint!("{plan}");
        }
    } else {
        print_stdout(plan)?;
    }
    if !flags.yes {
        confirm(question)?;
    }
    Ok(())
}

/// The failure of a sent write: `WriteError` as the other write commands
/// report it.
pub fn sent_failure(err: &WriteError) -> Failure {
    Failure::write(err)
}

// ----- list -------------------------------------------------------------------

async fn list(global: &Overrides, args: &SessionsArgs) -> Result<(), Failure> {
    let json_output = args.output != SessionsOutput::Table;
    let Some(id) = args.id.as_deref() else {
        return Err(Failure::usage("give the identity id: idcon sessions ID"));
    };
    let profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;
    // An unknown identity is a 404 here, not Kratos's empty list.
    let person = Person::read(&client, id, json_output).await?;
    let query = SessionQuery {
        active: args.active.then_some(true),
        per_page: MAX_PER_PAGE,
    };
    let mut pager = client.session_pager(&person.id, query);
    match args.output {
        SessionsOutput::Jsonl => {
            while let Some(page) = pager.next_page().await.map_err(|err| Failure::api(&err))? {
                let mut text = String::new();
                for session in &page.value.items {
                    text.push_str(&script::json_text(&session_value(session)));
                    text.push('\n');
                }
                print_stdout(&text)?;
            }
            Ok(())
        }
        SessionsOutput::Json => {
            let all = pager.collect_all().await.map_err(|err| Failure::api(&err))?;
            let list = Value::Array(all.iter().map(session_value).collect());
            print_stdout(&format!("{}\n", script::json_text(&list)))
        }
        SessionsOutput::Table => {
            let all = pager.collect_all().await.map_err(|err| Failure::api(&err))?;
            print_stdout(&render_table(&person, &all, args.active, Utc::now()))
        }
    }
}

fn session_value(session: &Session) -> Value {
    serde_json::to_value(session).unwrap_or(Value::Null)
}

/// Untrusted text on one line, made safe, at most `width` characters.
fn cell(text: &str, width: usize) -> String {
    crate::text::fit(&script::one_line(text.trim()), width)
}

fn when(raw: Option<&str>) -> String {
    raw.and_then(crate::api::models::parse_time)
        .map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

fn how_long(raw: Option<&str>, now: chrono::DateTime<Utc>) -> String {
    raw.and_then(crate::api::models::parse_time)
        .map_or_else(String::new, |t| crate::app::time::relative(t, now))
}

/// Longest user agent a device line shows.
const USER_AGENT_CHARS: usize = 100;

/// One device: `192.0.2.17 · Berlin, DE · Mozilla/5.0 …`, each part
/// sanitised, empty parts left out.
pub fn device_line(device: &crate::api::sessions::SessionDevice) -> String {
    let parts: Vec<String> = [
        (device.ip_address.as_deref(), 45),
        (device.location.as_deref(), 60),
        (device.user_agent.as_deref(), USER_AGENT_CHARS),
    ]
    .into_iter()
    .filter_map(|(text, width)| text.filter(|t| !t.trim().is_empty()).map(|t| cell(t, width)))
    .collect();
    if parts.is_empty() {
        "(no device information)".to_owned()
    } else {
        parts.join(" · ")
    }
}

fn render_table(person: &Person, sessions: &[Session], only_active: bool, now: chrono::DateTime<Utc>) -> String {
    let active = sessions.iter().filter(|s| s.state(now) == SessionState::Active).count();
    let mut out = format!(
        "identity: {} · {}\n{} session{}{}, {active} active\n",
        person.who(),
        script::one_line(&person.id),
        sessions.len(),
        if sessions.len() == 1 { "" } else { "s" },
        if only_active { " (--active)" } else { "" },
    );
    if sessions.is_empty() {
        return out;
    }
    out.push_str(&format!(
        "\n{:<36}  {:<8}  {:<4}  {:<20}  {:<33}  METHODS\n",
        "SESSION", "STATE", "AAL", "AUTHENTICATED", "EXPIRES"
    ));
    for session in sessions {
        out.push_str(&format!(
            "{:<36}  {:<8}  {:<4}  {:<20}  {:<20}  {:<11}  {}\n",
            cell(&session.id, 36),
            session.state(now).as_str(),
            cell(session.authenticator_assurance_level.as_deref().unwrap_or("-"), 4),
            when(session.authenticated_at.as_deref()),
            when(session.expires_at.as_deref()),
            how_long(session.expires_at.as_deref(), now),
            cell(&session.methods_text(), 60),
        ));
        for device in &session.devices {
            out.push_str(&format!("    device: {}\n", device_line(device)));
        }
    }
    out
}

/// One session in a sentence for a review: state, when, methods, devices.
pub fn describe_session(session: &Session, now: chrono::DateTime<Utc>) -> String {
    let mut text = format!(
        "  session: {} ({}, {}; authenticated {}; expires {}, {})\n",
        cell(&session.id, 36),
        session.state(now).as_str(),
        cell(&session.methods_text(), 60),
        when(session.authenticated_at.as_deref()),
        when(session.expires_at.as_deref()),
        how_long(session.expires_at.as_deref(), now),
    );
    for device in &session.devices {
        text.push_str(&format!("    device: {}\n", device_line(device)));
    }
    text
}

// ----- revoke -----------------------------------------------------------------

async fn revoke(global: &Overrides, args: &RevokeArgs) -> Result<(), Failure> {
    let json_output = args.flags.json();
    let profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;
    let (url, method) = match &args.session {
        Some(sid) => (client.session_url(sid), "DELETE"),
        None => (client.identity_sessions_url(&args.id), "DELETE"),
    };
    let (audit, reason) = before_a_write(&profile, &client, &args.flags, method, url.clone(), Some(&args.id)).await?;
    let person = Person::read(&client, &args.id, json_output).await?;
    let now = Utc::now();
    let mut write = AuditedWrite {
        identity_id: Some(person.id.clone()),
        identifier: person.identifier.clone(),
        why: reason.clone(),
        changes: Vec::new(),
    };
    let mut plan = script::render_heading(&format!("{method} {}", script::one_line(&url)), false);
    plan.push_str(&script::render_who_and_why(Some(&person.who()), reason.as_deref()));

    if let Some(sid) = &args.session {
        let session = client
            .get_session(sid, &[SessionExpand::Identity, SessionExpand::Devices])
            .await
            .map_err(|err| {
                if err.is_not_found() {
                    Failure::new(
                        EXIT_NOT_FOUND,
                        format!("no session {} on this server; nothing was sent", script::one_line(sid)),
                    )
                } else {
                    Failure::api(&err)
                }
            })?
            .value;
        let owner = session
            .identity
            .as_ref()
            .and_then(|i| i.get("id"))
            .and_then(Value::as_str);
        if let Some(owner) = owner
            && owner != person.id
        {
            let message = format!(
                "session {} belongs to identity {}, not to {} ({}); nothing was sent",
                script::one_line(sid),
                script::one_line(owner),
                person.who(),
                script::one_line(&person.id)
            );
            record_refusal(&audit, &client, method, url, &write, &message).await;
            return Err(Failure::usage(message));
        }
        write.changes = vec![Change {
            pointer: format!("/sessions/{}/active", crate::diff::escape_token(&session.id)),
            old: Some(json!(session.active)),
            new: Some(json!(false)),
        }];
        plan.push_str(&describe_session(&session, now));
        plan.push_str("  revokes it: Kratos deactivates the session (its data stays)\n");
        show_and_confirm(&plan, &args.flags, &format!("Revoke this session of {}?", person.who()))?;
        let prepared = client
            .prepare_revoke_session(&session.id)
            .map_err(|err| Failure::api(&err))?;
        let sending = async {
            client
                .send_revoke_session(&prepared)
                .await
                .map(|exchange| Response { value: (), exchange })
        };
        let done = script::finish_despite_signals(send_audited(&client, Some(&audit), &prepared, &write, sending))
            .await
            .map_err(|err| sent_failure(&err))?;
        if let Some(warning) = &done.audit_warning {
            script::warn(warning, json_output);
        }
        let exchange = &done.response.exchange;
        if json_output {
            let doc = json!({
                "identity_id": person.id,
                "identifier": person.identifier,
                "reason": reason,
                "revoked": [session.id],
                "status": exchange.status,
                "request_id": prepared.request_id,
            });
            return print_stdout(&format!("{}\n", script::json_text(&doc)));
        }
        return print_stdout(&format!(
            "revoked session {} of {}: HTTP {} {} in {} ms (request id {})\n",
            script::one_line(&session.id),
            person.who(),
            exchange.status,
            exchange.reason,
            exchange.elapsed.as_millis(),
            prepared.request_id
        ));
    }

    // --all
    let sessions = client
        .session_pager(
            &person.id,
            SessionQuery {
                active: None,
                per_page: MAX_PER_PAGE,
            },
        )
        .collect_all()
        .await
        .map_err(|err| Failure::api(&err))?;
    if sessions.is_empty() {
        if json_output {
            let doc = json!({"identity_id": person.id, "revoked": [], "sent": false});
            return print_stdout(&format!("{}\n", script::json_text(&doc)));
        }
        return print_stdout(&format!("{} has no sessions; nothing was sent\n", person.who()));
    }
    let ids: Vec<String> = sessions.iter().map(|s| s.id.clone()).collect();
    let active = sessions.iter().filter(|s| s.state(now) == SessionState::Active).count();
    write.changes = vec![Change {
        pointer: "/sessions".to_owned(),
        old: Some(json!(ids)),
        new: Some(json!([])),
    }];
    for session in &sessions {
        plan.push_str(&describe_session(session, now));
    }
    plan.push_str(&format!(
        "  revokes all {} sessions ({active} active): Kratos deletes them\n",
        sessions.len()
    ));
    show_and_confirm(
        &plan,
        &args.flags,
        &format!(
            "Revoke all {} sessions ({active} active) of {}?",
            sessions.len(),
            person.who()
        ),
    )?;
    let prepared = client
        .prepare_revoke_identity_sessions(&person.id)
        .map_err(|err| Failure::api(&err))?;
    let done = script::finish_despite_signals(send_audited(
        &client,
        Some(&audit),
        &prepared,
        &write,
        client.send_revoke_identity_sessions(&prepared),
    ))
    .await
    .map_err(|err| sent_failure(&err))?;
    if let Some(warning) = &done.audit_warning {
        script::warn(warning, json_output);
    }
    let exchange = &done.response.exchange;
    let none_left = done.response.value == RevokedAll::NoneLeft;
    if json_output {
        let doc = json!({
            "identity_id": person.id,
            "identifier": person.identifier,
            "reason": reason,
            "revoked": if none_left { json!([]) } else { json!(ids) },
            "none_left": none_left,
            "status": exchange.status,
            "request_id": prepared.request_id,
        });
        return print_stdout(&format!("{}\n", script::json_text(&doc)));
    }
    if none_left {
        return print_stdout(&format!(
            "{} had no sessions left to revoke (HTTP {}; request id {})\n",
            person.who(),
            exchange.status,
            prepared.request_id
        ));
    }
    print_stdout(&format!(
        "revoked all {} sessions of {}: HTTP {} {} in {} ms (request id {})\n",
        ids.len(),
        person.who(),
        exchange.status,
        exchange.reason,
        exchange.elapsed.as_millis(),
        prepared.request_id
    ))
}

// ----- extend -----------------------------------------------------------------

async fn extend(global: &Overrides, args: &ExtendArgs) -> Result<(), Failure> {
    let json_output = args.flags.json();
    let profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;
    let url = format!("{}/extend", client.session_url(&args.session));
    let (audit, reason) = before_a_write(&profile, &client, &args.flags, "PATCH", url.clone(), None).await?;
    let session = client
        .get_session(&args.session, &[SessionExpand::Identity, SessionExpand::Devices])
        .await
        .map_err(|err| {
            if err.is_not_found() {
                Failure::new(
                    EXIT_NOT_FOUND,
                    format!(
                        "no session {} on this server; nothing was sent",
                        script::one_line(&args.session)
                    ),
                )
            } else {
                Failure::api(&err)
            }
        })?
        .value;
    let owner = session
        .identity
        .as_ref()
        .and_then(|i| i.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let person = match &owner {
        Some(owner) => Some(Person::read(&client, owner, json_output).await?),
        None => None,
    };
    let now = Utc::now();
    let write = AuditedWrite {
        identity_id: owner.clone(),
        identifier: person.as_ref().and_then(|p| p.identifier.clone()),
        why: reason.clone(),
        changes: vec![Change {
            pointer: format!("/sessions/{}/expires_at", crate::diff::escape_token(&session.id)),
            old: Some(json!(session.expires_at)),
            new: Some(json!("now + the server's session lifespan")),
        }],
    };
    let who = person.as_ref().map(Person::who);
    let mut plan = script::render_heading(&format!("PATCH {}", script::one_line(&url)), false);
    plan.push_str(&script::render_who_and_why(who.as_deref(), reason.as_deref()));
    plan.push_str(&describe_session(&session, now));
    plan.push_str(
        "  extends it: it expires one session lifespan from now (Kratos: session.lifespan, 24 h by default)\n",
    );
    show_and_confirm(
        &plan,
        &args.flags,
        &format!(
            "Extend this session{}?",
            who.as_deref().map(|w| format!(" of {w}")).unwrap_or_default()
        ),
    )?;
    let prepared = client
        .prepare_extend_session(&session.id)
        .map_err(|err| Failure::api(&err))?;
    let done = script::finish_despite_signals(send_audited(
        &client,
        Some(&audit),
        &prepared,
        &write,
        client.send_extend_session(&prepared),
    ))
    .await
    .map_err(|err| sent_failure(&err))?;
    if let Some(warning) = &done.audit_warning {
        script::warn(warning, json_output);
    }
    let status = done.response.exchange.status;
    // 204 (faster_session_extend): read the session for its new expiry.
    let extended = match done.response.value {
        Some(session) => Some(session),
        None => client.get_session(&session.id, &[]).await.ok().map(|r| r.value),
    };
    let expires_at = extended.as_ref().and_then(|s| s.expires_at.clone());
    if json_output {
        let doc = json!({
            "session_id": session.id,
            "identity_id": owner,
            "identifier": person.as_ref().and_then(|p| p.identifier.clone()),
            "reason": reason,
            "expires_at_before": session.expires_at,
            "expires_at": expires_at,
            "active": extended.as_ref().map(|s| s.active),
            "status": status,
            "request_id": prepared.request_id,
        });
        return print_stdout(&format!("{}\n", script::json_text(&doc)));
    }
    print_stdout(&format!(
        "extended session {}{}: expires {} ({}), was {}: HTTP {} (request id {})\n",
        script::one_line(&session.id),
        who.as_deref().map(|w| format!(" of {w}")).unwrap_or_default(),
        when(expires_at.as_deref()),
        how_long(expires_at.as_deref(), Utc::now()),
        when(session.expires_at.as_deref()),
        status,
        prepared.request_id
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::sessions::SessionDevice;

    fn session(text: &str) -> Session {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn device_text_from_the_server_is_made_safe() {
        let device = SessionDevice {
            id: None,
            ip_address: Some("192.0.2.1".to_owned()),
            user_agent: Some("Evil\u{1b}]0;pwned\u{7}\u{9b}31m\u{202e}Agent\nSecond line".to_owned()),
            location: Some(String::new()),
            extra: serde_json::Map::new(),
        };
        let line = device_line(&device);
        assert!(!line.chars().any(crate::sanitize::is_unsafe), "{line}");
        assert_eq!(
            line,
            "192.0.2.1 · Evil\\u001b]0;pwned\\u0007\\u009b31m\\u202eAgent Second line"
        );
    }

    #[test]
    fn the_table_has_a_row_per_session_and_a_line_per_device() {
        let person = Person {
            id: "6762b34f-4e26-4a8e-a032-35a1e58e1b1c".to_owned(),
            identifier: Some("ada.lovelace@example.com".to_owned()),
            name: Some("Ada Lovelace".to_owned()),
            raw: Value::Null,
        };
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-02T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let sessions = vec![
            session(
                r#"{"id":"a021e6c2-e2d0-4635-ba12-17d2d393c96d","active":true,"expires_at":"2026-01-03T10:00:00Z",
                "authenticated_at":"2026-01-02T10:00:00Z","authenticator_assurance_level":"aal1",
                "authentication_methods":[{"method":"password"}],
                "devices":[{"id":"d","ip_address":"192.0.2.17","location":"Berlin, DE","user_agent":"curl/8.5.0"}]}"#,
            ),
            session(
                r#"{"id":"b021e6c2-e2d0-4635-ba12-17d2d393c96d","active":false,"expires_at":"2026-01-01T10:00:00Z"}"#,
            ),
        ];
        let table = render_table(&person, &sessions, false, now);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0],
            "identity: ada.lovelace@example.com (Ada Lovelace) · 6762b34f-4e26-4a8e-a032-35a1e58e1b1c"
        );
        assert_eq!(lines[1], "2 sessions, 1 active");
        assert!(lines[3].starts_with("SESSION"), "{table}");
        assert!(
            lines[4].starts_with("a021e6c2-e2d0-4635-ba12-17d2d393c96d  active    aal1  2026-01-02 10:00 UTC"),
            "{table}"
        );
        assert!(
            lines[4].contains("in 22 h") && lines[4].ends_with("password"),
            "{table}"
        );
        assert_eq!(lines[5], "    device: 192.0.2.17 · Berlin, DE · curl/8.5.0");
        assert!(lines[6].contains("expired") && lines[6].contains("1 d ago"), "{table}");
    }
}
