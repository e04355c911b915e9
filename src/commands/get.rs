//! `idcon get ID`: one identity as the server returns it (`json`), or the
//! same laid out for reading (`table`), which starts with the person's
//! primary identifier and name as the console and `list` show them
//! ([`crate::who`], with the identity's schema). idcon never asks for
//! credentials' secrets, and any a server sends anyway are redacted.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::Value;

use super::script::{self, Failure};
use crate::api::Client;
use crate::api::models::redact_secrets;
use crate::config;
use crate::config::Overrides;
use crate::sanitize::{for_display, for_display_multiline};
use crate::who::{IdentifierHints, display_name, primary_identifier};
use crate::write::{self, Snapshot};

#[derive(Debug, Args)]
#[command(after_help = script::EXIT_CODES_HELP)]
pub struct GetArgs {
    /// The identity id.
    #[arg(value_name = "ID")]
    pub id: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = GetOutput::Json)]
    pub output: GetOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GetOutput {
    /// The identity's JSON as the server sent it, pretty-printed.
    Json,
    /// The main members one per line, traits and metadata as indented JSON.
    Table,
}

pub fn run(global: &Overrides, args: &GetArgs) -> anyhow::Result<ExitCode> {
    Ok(script::run(args.output == GetOutput::Json, get(global, args)))
}

async fn get(global: &Overrides, args: &GetArgs) -> Result<(), Failure> {
    let profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;
    let snapshot = write::fetch(&client, &args.id)
        .await
        .map_err(|err| Failure::api(&err))?;
    let text = match args.output {
        GetOutput::Json => {
            let mut raw = snapshot.raw.clone();
            redact_secrets(&mut raw);
            script::json_pretty(&raw)
        }
        GetOutput::Table => {
            let hints = schema_hints(&client, &snapshot.raw).await;
            table(&snapshot, hints.as_ref())
        }
    };
    script::print_stdout(&format!("{text}\n"))
}

/// The identifier marks of the identity's schema: `GET {schemas_path}/{id}`
/// (through Kratos's redirect, or from `public_url`), else the identity's
/// `schema_url`, as the console loads schemas. Without them the person is
/// named by the usual traits, and stderr says so.
async fn schema_hints(client: &Client, raw: &Value) -> Option<IdentifierHints> {
    let schema_id = raw.get("schema_id").and_then(Value::as_str)?;
    let by_id = match client.get_schema(schema_id).await {
        Ok(schema) => return Some(IdentifierHints::from_schema(&schema.value)),
        Err(err) => err.to_string(),
    };
    let by_url = match raw.get("schema_url").and_then(Value::as_str) {
        Some(url) => match client.get_schema_at(url).await {
            Ok(schema) => return Some(IdentifierHints::from_schema(&schema.value)),
            Err(err) => err.to_string(),
        },
        None => "the identity has no schema_url".to_owned(),
    };
    let line = format!(
        "identity schema \"{schema_id}\" could not be read ({}; {}): the identifier shown is the email, phone or \
         username trait",
        crate::text::single_line(&by_id),
        crate::text::single_line(&by_url)
    );
    eprintln!("idcon: warning: {}", for_display(&line));
    None
}

/// Label and value lines; JSON members indented below their label. Every
/// value is made safe for the terminal.
fn table(snapshot: &Snapshot, hints: Option<&IdentifierHints>) -> String {
    let mut raw = snapshot.raw.clone();
    redact_secrets(&mut raw);
    let identity = &snapshot.identity;
    let mut lines: Vec<(String, String)> = Vec::new();
    let traits = raw.get("traits").unwrap_or(&Value::Null);
    if let Some(identifier) = primary_identifier(traits, hints) {
        lines.push(("identifier".to_owned(), identifier));
    }
    if let Some(name) = display_name(traits) {
        lines.push(("name".to_owned(), name));
    }
    let text = |key: &str| match raw.get(key) {
        None => None,
        Some(Value::Null) => Some("null".to_owned()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    for key in [
        "id",
        "schema_id",
        "state",
        "state_changed_at",
        "created_at",
        "updated_at",
    ] {
        if let Some(value) = text(key) {
            lines.push((key.to_owned(), value));
        }
    }
    for key in ["external_id", "organization_id", "region"] {
        if let Some(value) = text(key).filter(|v| v != "null" && !v.is_empty()) {
            lines.push((key.to_owned(), value));
        }
    }
    if let Some(credentials) = identity.credentials.get() {
        for (kind, credential) in credentials {
            let identifiers = credential.identifiers.get().cloned().unwrap_or_default();
            let shown = if identifiers.is_empty() {
                "(no identifiers)".to_owned()
            } else {
                identifiers.join(", ")
            };
            lines.push((format!("credential {kind}"), shown));
        }
    }
    for address in identity.verifiable_addresses.get().into_iter().flatten() {
        let verified = if address.verified { "verified" } else { "not verified" };
        lines.push((
            "address".to_owned(),
            format!("{} ({}, {verified})", address.value, address.via),
        ));
    }
    let mut out = String::new();
    for (label, value) in &lines {
        out.push_str(&format!("{:<20} {}\n", for_display(label), for_display(value)));
    }
    for key in ["traits", "metadata_public", "metadata_admin"] {
        let Some(value) = raw.get(key) else { continue };
        out.push_str(&format!("{key}:\n"));
        let pretty = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
        for line in for_display_multiline(&pretty).lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    // Members idcon does not know, so nothing the server sent is hidden.
    let known = [
        "id",
        "schema_id",
        "schema_url",
        "state",
        "state_changed_at",
        "created_at",
        "updated_at",
        "external_id",
        "organization_id",
        "region",
        "credentials",
        "verifiable_addresses",
        "recovery_addresses",
        "traits",
        "metadata_public",
        "metadata_admin",
    ];
    if let Value::Object(members) = &raw {
        for (key, value) in members.iter().filter(|(key, _)| !known.contains(&key.as_str())) {
            out.push_str(&format!("{:<20} {}\n", for_display(key), script::json_text(value)));
        }
    }
    out.trim_end().to_owned()
}
