//! `idcon create --schema ID (--traits-file F | --set POINTER=JSON...)`:
//! creates one identity ("an account for the new hire") with
//! `POST {identities_path}` (Kratos's `identity/handler.go` `create`).
//!
//! - The body is built from the flags: `--traits-file` (a JSON object) and
//!   `--set` (JSON pointers into the body, applied after the file, e.g.
//!   `--set /traits/email='"ana@example.com"'`, `--set
//!   /metadata_admin/ticket='"HR-7"'`), `--state`, `--metadata-*-file`.
//! - The traits are checked against the schema (`GET /schemas/{id}`) here
//!   first, with the same checker as the console's trait form, so a typo is
//!   told field by field before anything is signed. A schema the server does
//!   not have is refused with the ones it has; a schema that cannot be read
//!   leaves the check to the server (a warning says so).
//! - A password comes only from stdin (`--password-stdin`, no echo on a
//!   terminal; `--hash-locally` sends an argon2id hash made here instead, so
//!   the plaintext never leaves the host) or is imported as a hash
//!   (`--password-hash-stdin`, PHC formats Kratos imports, checked first).
//!   It never reaches the screen, the dry run, the audit trail or an error
//!   text: they say `password: set`.
//! - Audited like every write (intent before, outcome after, `--reason`,
//!   `require_reason`), refused on a read-only profile before anything is
//!   read, asked unless `--yes`, `--dry-run` prints the request (secrets
//!   redacted) and sends nothing.
//! - Kratos's 409 names nothing; idcon looks the body's identifiers up
//!   (`credentials_identifier`) and says which is taken and by whom (exit 3).
//! - Prints the new identity's id (`--output json`: `{"identity_id": ...}`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::{Map, Value, json};

use super::input::{is_stdin, read_hash, read_json, read_password};
use super::script::{
    self, DryRunRequest, EXIT_CONFLICT, EXIT_NOT_FOUND, EXIT_USAGE, Failure, print_stdout, render_changes,
};
use super::sessions::{AuditedWrite, ConfirmFlags, before_a_write, record_refusal, send_audited, show_and_confirm};
use super::update::StateArg;
use crate::api::Client;
use crate::api::create::redacted_body;
use crate::api::models::REDACTED;
use crate::app::trait_form::validate::Checker;
use crate::config::{self, Overrides};
use crate::diff::{self, Change};
use crate::who::{self, IdentifierHints};
use crate::write::WriteError;

/// `idcon create`.
#[derive(Debug, Args)]
#[command(after_help = script::EXIT_CODES_HELP)]
pub struct CreateArgs {
    /// The identity schema the traits follow (as `GET /schemas` lists it).
    #[arg(long, value_name = "ID")]
    pub schema: String,

    /// The traits: the JSON object in FILE (- reads stdin).
    #[arg(long, value_name = "FILE")]
    pub traits_file: Option<PathBuf>,

    /// Set one member of the body to a JSON value, e.g.
    /// --set /traits/email='"ana@example.com"' or --set
    /// /metadata_admin/ticket='"HR-7"'. Repeatable, applied after
    /// --traits-file; missing parent objects are created. Only under
    /// /traits, /metadata_public, /metadata_admin and /external_id.
    #[arg(long = "set", value_name = "POINTER=JSON", value_parser = parse_set, allow_hyphen_values = true)]
    pub set: Vec<(String, Value)>,

    /// The new identity's state (Kratos's default: active).
    #[arg(long, value_enum)]
    pub state: Option<StateArg>,

    /// metadata_public: the JSON in FILE (- reads stdin).
    #[arg(long, value_name = "FILE")]
    pub metadata_public_file: Option<PathBuf>,

    /// metadata_admin: the JSON in FILE (- reads stdin).
    #[arg(long, value_name = "FILE")]
    pub metadata_admin_file: Option<PathBuf>,

    /// Read a first password from stdin (typed without echo on a terminal).
    #[arg(long, conflicts_with = "password_hash_stdin")]
    pub password_stdin: bool,

    /// With --password-stdin: hash it here with argon2id and send only the
    /// hash, so the plaintext never leaves this host.
    #[arg(long, requires = "password_stdin")]
    pub hash_locally: bool,

    /// Import a password hash (PHC format: argon2, bcrypt, pbkdf2, scrypt,
    /// ...) read from the first line of stdin; checked before anything is sent.
    #[arg(long)]
    pub password_hash_stdin: bool,

    #[command(flatten)]
    pub write: script::WriteFlags,
}

/// Where a `--set` may write: the members a create body holds as data
/// (schema, state and credentials have their own flags).
const SETTABLE: &[&str] = &["traits", "metadata_public", "metadata_admin", "external_id"];

/// `POINTER=JSON`, split at the first `=`, the pointer under [`SETTABLE`].
fn parse_set(raw: &str) -> Result<(String, Value), String> {
    let Some((pointer, value)) = raw.split_once('=') else {
        return Err(format!(
            "expected POINTER=JSON, e.g. /traits/email='\"ana@example.com\"', got {:?}",
            script::one_line(raw)
        ));
    };
    let tokens = diff::parse_pointer(pointer).map_err(|err| err.to_string())?;
    if !tokens.first().is_some_and(|t| SETTABLE.contains(&t.as_str())) {
        return Err(format!(
            "{pointer}: --set writes under /traits, /metadata_public, /metadata_admin or /external_id \
             (the schema, state and password have their own flags)"
        ));
    }
    let value: Value = serde_json::from_str(value).map_err(|err| {
        format!("the value for {pointer} is not JSON ({err}); a string needs its quotes: {pointer}='\"text\"'")
    })?;
    Ok((pointer.to_owned(), value))
}

pub fn run(global: &Overrides, args: &CreateArgs) -> anyhow::Result<ExitCode> {
    Ok(script::run(args.write.json(), create(global, args)))
}

/// How the password was given, for the review and the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSource {
    Plaintext,
    HashedHere,
    Imported,
}

impl PasswordSource {
    /// What the review and the trail say instead of the value.
    pub fn words(self) -> &'static str {
        match self {
            PasswordSource::Plaintext => "set (sent for the server to hash)",
            PasswordSource::HashedHere => "set (hashed here with argon2id)",
            PasswordSource::Imported => "set (a hash imported)",
        }
    }
}

/// The body and how its password was given.
#[derive(Debug)]
pub struct NewIdentity {
    pub body: Value,
    pub password: Option<PasswordSource>,
}

/// Sets `value` at `pointer` in `doc`, creating missing parent objects.
fn set_at(doc: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    let tokens = diff::parse_pointer(pointer).map_err(|err| err.to_string())?;
    let Some((last, parents)) = tokens.split_last() else {
        return Err("the pointer is empty".to_owned());
    };
    let mut node = doc;
    for token in parents {
        if node.is_null() {
            *node = json!({});
        }
        let Some(object) = node.as_object_mut() else {
            return Err(format!("{pointer}: {token} is inside a value that is not an object"));
        };
        node = object.entry(token.clone()).or_insert(Value::Null);
    }
    if node.is_null() {
        *node = json!({});
    }
    match node.as_object_mut() {
        Some(object) => {
            object.insert(last.clone(), value);
            Ok(())
        }
        None => Err(format!("{pointer}: the parent is not an object")),
    }
}

/// The create body from the traits, metadata and the password, in the
/// order a reader expects (schema, state, traits, metadata, credentials).
pub fn build_body(
    schema: &str,
    state: Option<&str>,
    traits: Value,
    metadata_public: Option<Value>,
    metadata_admin: Option<Value>,
    sets: &[(String, Value)],
    credentials: Option<Value>,
) -> Result<Value, String> {
    let mut body = Map::new();
    body.insert("schema_id".into(), json!(schema));
    if let Some(state) = state {
        body.insert("state".into(), json!(state));
    }
    body.insert("traits".into(), traits);
    if let Some(value) = metadata_public {
        body.insert("metadata_public".into(), value);
    }
    if let Some(value) = metadata_admin {
        body.insert("metadata_admin".into(), value);
    }
    let mut body = Value::Object(body);
    for (pointer, value) in sets {
        set_at(&mut body, pointer, value.clone())?;
    }
    if !body.get("traits").is_some_and(Value::is_object) {
        return Err("the traits must be a JSON object".to_owned());
    }
    if let Some(credentials) = credentials {
        body["credentials"] = credentials;
    }
    Ok(body)
}

/// What the review and the audit trail show of a create: one added member
/// per top-level field, the password as words.
pub fn review_changes(body: &Value, password: Option<PasswordSource>) -> Vec<Change> {
    let shown = redacted_body(body);
    let mut changes = Vec::new();
    if let Some(object) = shown.as_object() {
        for (key, value) in object {
            if key == "credentials" {
                continue;
            }
            changes.push(Change {
                pointer: format!("/{}", diff::escape_token(key)),
                old: None,
                new: Some(value.clone()),
            });
        }
    }
    if let Some(source) = password {
        changes.push(Change {
            pointer: "/credentials/password".to_owned(),
            old: None,
            new: Some(json!(source.words())),
        });
    }
    changes
}

fn read_new_identity(args: &CreateArgs) -> Result<NewIdentity, Failure> {
    let stdin_users = [
        args.traits_file.as_deref().is_some_and(is_stdin),
        args.metadata_public_file.as_deref().is_some_and(is_stdin),
        args.metadata_admin_file.as_deref().is_some_and(is_stdin),
        args.password_stdin,
        args.password_hash_stdin,
    ];
    if stdin_users.iter().filter(|used| **used).count() > 1 {
        return Err(Failure::usage(
            "only one of --traits-file -, --metadata-public-file -, --metadata-admin-file -, --password-stdin \
             and --password-hash-stdin can read stdin",
        ));
    }
    if args.traits_file.is_none() && !args.set.iter().any(|(p, _)| p.starts_with("/traits")) {
        return Err(Failure::usage(
            "give the traits: --traits-file FILE or --set /traits/...=JSON (e.g. --set /traits/email='\"ana@example.com\"')",
        ));
    }
    if args.schema.trim().is_empty() {
        return Err(Failure::usage(
            "--schema is empty: name the identity schema (idcon lists them in errors)",
        ));
    }
    let traits = match &args.traits_file {
        Some(path) => read_json("--traits-file", path)?,
        None => json!({}),
    };
    if !traits.is_object() {
        return Err(Failure::usage("--traits-file: the traits must be a JSON object"));
    }
    let metadata_public = args
        .metadata_public_file
        .as_deref()
        .map(|p| read_json("--metadata-public-file", p))
        .transpose()?;
    let metadata_admin = args
        .metadata_admin_file
        .as_deref()
        .map(|p| read_json("--metadata-admin-file", p))
        .transpose()?;
    let mut password = None;
    let mut credentials = None;
    if args.password_stdin {
        let plain = read_password("First password: ")?;
        let config = if args.hash_locally {
            let hash = crate::hashes::hash_password_argon2id(&plain)
                .map_err(|err| Failure::usage(format!("--hash-locally: {err}")))?;
            password = Some(PasswordSource::HashedHere);
            json!({ "hashed_password": hash })
        } else {
            password = Some(PasswordSource::Plaintext);
            json!({ "password": plain })
        };
        credentials = Some(json!({ "password": { "config": config } }));
    }
    if args.password_hash_stdin {
        let hash = read_hash()?;
        // The reason never quotes the hash.
        crate::hashes::check_importable(&hash).map_err(|err| {
            Failure::usage(format!(
                "--password-hash-stdin: Kratos would not import this hash: {err}"
            ))
        })?;
        for warning in crate::hashes::import_warnings(&hash) {
            script::warn(&warning, args.write.json());
        }
        password = Some(PasswordSource::Imported);
        credentials = Some(json!({ "password": { "config": { "hashed_password": hash } } }));
    }
    let state = args.state.map(|s| match s {
        StateArg::Active => "active",
        StateArg::Inactive => "inactive",
    });
    let body = build_body(
        args.schema.trim(),
        state,
        traits,
        metadata_public,
        metadata_admin,
        &args.set,
        credentials,
    )
    .map_err(|err| Failure::usage(format!("--set: {err}")))?;
    Ok(NewIdentity { body, password })
}

/// The schema's identifier marks and the local check of the traits. `Err`:
/// the server has no such schema, or the traits break it (every problem,
/// with its place).
pub async fn check_against_schema(
    client: &Client,
    schema_id: &str,
    traits: &Value,
    json_output: bool,
) -> Result<Option<IdentifierHints>, Failure> {
    match client.get_schema(schema_id).await {
        Ok(schema) => {
            let checker = Checker::new(&schema.value);
            if let Some(problem) = checker.problem() {
                script::warn(
                    &format!(
                        "the schema {schema_id:?} cannot be checked here ({problem}); the server checks the traits"
                    ),
                    json_output,
                );
            } else {
                let problems = checker.check(traits);
                if !problems.is_empty() {
                    let listed: Vec<String> = problems
                        .iter()
                        .map(|p| {
                            let at = if p.pointer.is_empty() {
                                "/traits".to_owned()
                            } else {
                                format!("/traits{}", p.pointer)
                            };
                            format!("{at}: {}", cli_words(&p.message))
                        })
                        .collect();
                    return Err(Failure::usage(format!(
                        "the traits do not match the schema {}: {}; nothing was sent",
                        script::one_line(schema_id),
                        script::one_line(&listed.join("; "))
                    )));
                }
            }
            Ok(Some(IdentifierHints::from_schema(&schema.value)))
        }
        Err(err) if err.is_not_found() => {
            let known = match client.list_schemas().await {
                Ok(list) => list.value.iter().map(|s| s.id.clone()).collect::<Vec<_>>().join(", "),
                Err(_) => "unknown".to_owned(),
            };
            Err(Failure::new(
                EXIT_NOT_FOUND,
                format!(
                    "the server has no identity schema {} (it has: {}); nothing was sent",
                    script::one_line(schema_id),
                    script::one_line(&known)
                ),
            ))
        }
        Err(err) => {
            script::warn(
                &format!(
                    "cannot read the schema {schema_id:?} to check the traits here ({err}); the server checks them"
                ),
                json_output,
            );
            Ok(None)
        }
    }
}

/// A trait-form problem in words for the command line (the form's advice
/// to use its JSON editor does not apply here).
pub fn cli_words(message: &str) -> String {
    message.replace(" (remove it in the JSON editor)", "")
}

/// The person the body describes: primary identifier and name.
pub fn who_of(body: &Value, hints: Option<&IdentifierHints>) -> (Option<String>, Option<String>) {
    let traits = body.get("traits").unwrap_or(&Value::Null);
    (who::primary_identifier(traits, hints), who::display_name(traits))
}

async fn create(global: &Overrides, args: &CreateArgs) -> Result<(), Failure> {
    let json_output = args.write.json();
    let new = read_new_identity(args)?;
    let profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;
    let url = format!("{}{}", client.base_url(), client.identities_path());
    let confirm_flags = ConfirmFlags {
        yes: args.write.yes,
        output: args.write.output,
        reason: args.write.reason.clone(),
    };
    // A write without a trail is no write: the trail opens, the reason is
    // checked and a read-only profile refuses before anything is read.
    let before = if args.write.dry_run {
        let reason = script::check_reason(&profile, args.write.reason.as_deref(), true)
            .map_err(|err| script::reason_failure(&err, &profile.name))?;
        (None, reason)
    } else {
        let (audit, reason) = before_a_write(&profile, &client, &confirm_flags, "POST", url.clone(), None).await?;
        (Some(audit), reason)
    };
    let (audit, reason) = before;
    let schema_id = args.schema.trim();
    let traits = new.body.get("traits").cloned().unwrap_or(Value::Null);
    let checked = check_against_schema(&client, schema_id, &traits, json_output).await;
    let (identifier, name) = who_of(&new.body, checked.as_ref().ok().and_then(Option::as_ref));
    let changes = review_changes(&new.body, new.password);
    let write = AuditedWrite {
        identity_id: None,
        identifier: identifier.clone(),
        why: reason.clone(),
        changes: changes.clone(),
    };
    let hints = match checked {
        Ok(hints) => hints,
        Err(failure) => {
            if let Some(audit) = &audit {
                record_refusal(audit, &client, "POST", url.clone(), &write, &failure.message).await;
            }
            return Err(failure);
        }
    };
    let who = script::who_text(identifier.as_deref(), name.as_deref());

    let prepared = client
        .prepare_create_identity(&new.body)
        .map_err(|err| Failure::api(&err))?;
    if args.write.dry_run {
        return print_dry_run(&prepared, args, who.as_deref(), reason.as_deref());
    }

    let mut plan = script::render_heading(
        &format!(
            "POST {} (profile \"{}\")",
            script::one_line(&url),
            script::one_line(&profile.name)
        ),
        false,
    );
    plan.push_str(&script::render_who_and_why(who.as_deref(), reason.as_deref()));
    plan.push_str(&render_changes(&changes, false));
    show_and_confirm(
        &plan,
        &confirm_flags,
        &format!("Create {}?", who.as_deref().unwrap_or("this identity")),
    )?;

    let sent = script::finish_despite_signals(send_audited(
        &client,
        audit.as_ref(),
        &prepared,
        &write,
        client.send_create_identity(&prepared),
    ))
    .await;
    let done = match sent {
        Ok(done) => done,
        Err(WriteError::Api(err)) if err.status() == Some(409) => {
            let explained = client.explain_conflict(&new.body, hints.as_ref()).await;
            return Err(Failure::new(
                EXIT_CONFLICT,
                format!(
                    "{} was not created: {}",
                    who.as_deref().unwrap_or("the identity"),
                    script::one_line(&explained)
                ),
            ));
        }
        Err(err) => return Err(create_failure(&err)),
    };
    if let Some(warning) = &done.audit_warning {
        script::warn(warning, json_output);
    }
    let created = &done.response.value;
    if json_output {
        let doc = json!({
            "identity_id": created.id,
            "identifier": identifier,
            "reason": reason,
            "created": true,
        });
        return print_stdout(&format!("{}\n", script::json_text(&doc)));
    }
    print_stdout(&format!(
        "created {}{}\n",
        script::one_line(&created.id),
        who.map(|w| format!(" ({w})")).unwrap_or_default()
    ))
}

/// A refused or failed create as the other write commands report it, with
/// Kratos's refusals in plain words.
fn create_failure(err: &WriteError) -> Failure {
    if let WriteError::Api(api) = err
        && api.status() == Some(400)
    {
        let detail = api
            .server_error()
            .map(|e| {
                let reason = e.reason.clone().unwrap_or_default();
                let message = e.message.clone().unwrap_or_default();
                if reason.is_empty() { message } else { reason }
            })
            .unwrap_or_default();
        return Failure::new(
            EXIT_USAGE,
            format!(
                "the server refused the new identity: {}; nothing was created",
                script::one_line(&detail)
            ),
        );
    }
    Failure::write(err)
}

fn print_dry_run(
    prepared: &crate::api::PreparedRequest,
    args: &CreateArgs,
    who: Option<&str>,
    reason: Option<&str>,
) -> Result<(), Failure> {
    let json_output = args.write.json();
    let secret = prepared.body_has_secrets() || args.password_stdin || args.password_hash_stdin;
    let body = prepared.display_body().unwrap_or_default();
    let message = prepared
        .signed_message
        .as_ref()
        .map(|message| match message.rsplit_once('&') {
            Some((signed, _body)) if secret => format!("{signed}&{REDACTED}"),
            _ => message.clone(),
        });
    let headers = prepared.display_headers(secret);
    if secret && !json_output {
        eprintln!(
            "idcon: the body holds a secret (a password or hash), shown as {REDACTED}: the printed request does not match its signature"
        );
    }
    let request = DryRunRequest {
        prepared,
        headers,
        body,
        message,
        warn_if_escaped: true,
    };
    let doc = json!({ "identity": who, "reason": reason, "dry_run": true });
    script::print_dry_run(&request, args.write.format, json_output, doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_build_nested_members_under_the_allowed_roots_only() {
        let sets = vec![
            ("/traits/name/first".to_owned(), json!("Ana")),
            ("/metadata_admin/ticket".to_owned(), json!("HR-7")),
        ];
        let body = match build_body(
            "email-password",
            Some("inactive"),
            json!({"email": "a@b.c"}),
            None,
            None,
            &sets,
            None,
        ) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(body["traits"], json!({"email": "a@b.c", "name": {"first": "Ana"}}));
        assert_eq!(body["metadata_admin"]["ticket"], "HR-7");
        assert_eq!(body["state"], "inactive");
        assert!(parse_set("/credentials/password/config/password=\"x\"").is_err());
        assert!(parse_set("/schema_id=\"x\"").is_err());
        assert!(parse_set("/traits/email=ana").is_err(), "a string needs quotes");
        assert!(parse_set("/traits/email=\"ana\"").is_ok());
    }

    #[test]
    fn the_review_says_a_password_is_set_and_never_what() {
        let body = json!({"schema_id": "s", "traits": {"email": "a@b.c"},
            "credentials": {"password": {"config": {"password": "hunter2-secret"}}}});
        let changes = review_changes(&body, Some(PasswordSource::Plaintext));
        let text = serde_json::to_string(&changes.iter().map(|c| (&c.pointer, &c.new)).collect::<Vec<_>>())
            .unwrap_or_default();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("/credentials/password") && text.contains("set (sent for the server to hash)"));
        assert!(changes.iter().any(|c| c.pointer == "/traits"));
    }
}
