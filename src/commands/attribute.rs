//! `idcon attribute update`: sets an attribute in the Yoti attribute registry
//! from a script or runbook, through the same audited write as the console's
//! attribute form ([`crate::registry`]): the exact body shown (the issuance
//! token masked), a confirmation, the signed `PUT`, the answer, and Yoti's
//! error codes explained in plain words.
//!
//! The issuance token is a secret. `--issuance-token-stdin` keeps it out of
//! shell history and `ps`; `--identity ID` alone reads it from the identity
//! at the profile's `issuance_token_pointer`. It is never printed: people see
//! `********` and its last four characters.
//!
//! Exit codes and error output follow the other scriptable commands
//! ([`super::script`]).

use std::io::{self, IsTerminal as _, Read as _};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::script::{self, DryRunRequest, EXIT_REFUSED, Failure, RequestFormat, confirm, print_stdout};
use crate::api::client::ATTRIBUTE_UPDATE_ENDPOINT;
use crate::api::{AttributeUpdate, Client, PreparedRequest};
use crate::audit::{self, Refusal, Target};
use crate::config;
use crate::config::Overrides;
use crate::diff::REDACTED;
use crate::registry::{self, RegistryError, UpdateContext};
use crate::write::ReasonError;

#[derive(Debug, Args)]
pub struct AttributeArgs {
    #[command(subcommand)]
    pub command: AttributeCommand,
}

#[derive(Debug, Subcommand)]
pub enum AttributeCommand {
    /// Set an attribute's value with the issuance token it was issued with:
    /// review, confirm, signed PUT, audit.
    Update(AttributeUpdateArgs),
}

#[derive(Debug, Args)]
#[command(after_help = script::EXIT_CODES_HELP)]
pub struct AttributeUpdateArgs {
    /// The issuance token the attribute was issued with. It shows in shell
    /// history and `ps`: prefer --issuance-token-stdin.
    #[arg(long, value_name = "TOKEN", value_parser = script::parse_secret_arg,
          conflicts_with = "issuance_token_stdin")]
    pub issuance_token: Option<script::SecretArg>,

    /// Read the issuance token from stdin (typed without echo on a terminal).
    #[arg(long)]
    pub issuance_token_stdin: bool,

    /// The attribute's name, e.g. com.example.someAttribute.
    #[arg(long, value_name = "NAME")]
    pub name: String,

    /// The new value as JSON; a string needs its quotes: --value '"gold"'.
    #[arg(long, value_name = "JSON", value_parser = parse_value, allow_hyphen_values = true)]
    pub value: Value,

    /// The identity the token belongs to: named in the audit trail. Without a
    /// token flag, the token is read from this identity at the profile's
    /// issuance_token_pointer.
    #[arg(long, value_name = "ID")]
    pub identity: Option<String>,

    /// Base URL of the attribute registry, overriding the profile's
    /// attribute_registry_url (e.g. https://api.yoti.com/api/v1/attribute-registry).
    #[arg(long, value_name = "URL")]
    pub attribute_registry_url: Option<String>,

    #[command(flatten)]
    pub write: script::WriteFlags,
}

/// `--value`: any JSON document. A bare word is the usual slip: say how to
/// quote it.
fn parse_value(raw: &str) -> Result<Value, String> {
    serde_json::from_str(raw).map_err(|err| {
        format!(
            "not JSON ({err}); a JSON string needs its quotes, e.g. --value '\"{}\"'",
            script::one_line(raw.trim().trim_matches('"'))
        )
    })
}

pub fn run(global: &Overrides, args: &AttributeArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        AttributeCommand::Update(update) => Ok(script::run(update.write.json(), update_attribute(global, update))),
    }
}

/// Where the issuance token came from, for the review.
enum TokenSource {
    Flag,
    Stdin,
    Identity { id: String, pointer: String },
}

async fn update_attribute(global: &Overrides, args: &AttributeUpdateArgs) -> Result<(), Failure> {
    let json_output = args.write.json();
    let mut profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    if let Some(raw) = &args.attribute_registry_url {
        profile.attribute_registry_url = Some(parse_registry_url(raw)?);
    }
    let Some(registry_url) = profile.attribute_registry_url.clone() else {
        return Err(Failure::error(format!(
            "profile \"{}\" has no attribute_registry_url: add it to the profile \
             (e.g. https://api.yoti.com/api/v1/attribute-registry) or pass --attribute-registry-url",
            script::one_line(&profile.name)
        )));
    };
    let endpoint_url = format!(
        "{}{ATTRIBUTE_UPDATE_ENDPOINT}",
        registry_url.as_str().trim_end_matches('/')
    );
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;
    // Before a token is read or anything is sent: a profile that requires a
    // reason refuses a write without one, on the trail.
    let reason = match script::check_reason(&profile, args.write.reason.as_deref(), args.write.dry_run) {
        Ok(reason) => reason,
        Err(err) => {
            if err == ReasonError::Required {
                let log = script::open_audit(&profile)?;
                let refusal = Refusal {
                    target: Target::refused_put(&client, endpoint_url.clone(), args.identity.clone()),
                    changes: Vec::new(),
                    reason: err.message(&profile.name, "none was given"),
                };
                if let Err(audit_err) = audit::on_blocking_pool(&log, move |log| log.refusal(&refusal)).await {
                    script::warn_refusal_not_recorded(&audit_err);
                }
            }
            return Err(script::reason_failure(&err, &profile.name));
        }
    };

    let typed_token = match (&args.issuance_token, args.issuance_token_stdin) {
        (Some(token), _) => {
            script::warn_secret_in_argv("--issuance-token", "--issuance-token-stdin", args.write.json());
            Some((token.expose().trim().to_owned(), TokenSource::Flag))
        }
        (None, true) => Some((read_token()?, TokenSource::Stdin)),
        (None, false) => None,
    };
    if typed_token.is_none() && args.identity.is_none() {
        return Err(Failure::usage(format!(
            "no issuance token: give --issuance-token-stdin (keeps it out of shell history), --issuance-token, \
             or --identity ID to read it from the identity at {}",
            script::one_line(&profile.issuance_token_pointer)
        )));
    }

    // A write without a trail is no write: open it before anything is read.
    let audit = if args.write.dry_run {
        None
    } else {
        Some(script::open_audit(&profile)?)
    };

    let (token, source, who) = match typed_token {
        Some((token, source)) => (token, source, Who::default()),
        None => {
            // Checked above: without a token there is an identity.
            let id = args.identity.clone().unwrap_or_default();
            let (token, who) = token_from_identity(&client, &id, &profile.issuance_token_pointer).await?;
            let pointer = profile.issuance_token_pointer.clone();
            (token, TokenSource::Identity { id, pointer }, who)
        }
    };
    let update = AttributeUpdate::new(token, args.name.clone(), args.value.clone());
    registry::check_update(&update).map_err(|err| failure(&err, None))?;
    let identity_id = args.identity.as_deref();
    let context = UpdateContext {
        identity_id: args.identity.clone(),
        identifier: who.identifier.clone(),
        reason,
    };

    let shown_who = script::who_text(who.identifier.as_deref(), who.name.as_deref());
    let review = render_review(
        &endpoint_url,
        client.profile_name(),
        identity_id,
        &source,
        &update,
        shown_who.as_deref(),
        context.reason.as_deref(),
    );
    let interactive = !args.write.yes && !args.write.dry_run;
    if !json_output {
        print_stdout(&review)?;
    } else if interactive {
        eprint!("{review}");
    }

    if client.is_read_only() {
        let err = RegistryError::ReadOnly {
            profile: client.profile_name().to_owned(),
        };
        if let Some(log) = &audit {
            let recorded = registry::record_refusal_for(
                log,
                &client,
                &update,
                &context,
                "read-only profile",
                Some(&endpoint_url),
            )
            .await;
            if let Err(audit_err) = recorded {
                script::warn_refusal_not_recorded(&audit_err);
            }
        }
        return Err(failure(&err, Some(&update.issuance_token)));
    }

    if args.write.dry_run {
        let prepared = registry::sign_attribute_update(&client, &update)
            .map_err(|err| failure(&err, Some(&update.issuance_token)))?;
        return print_dry_run(&prepared, &update, &context, args.write.format, json_output);
    }

    if interactive {
        confirm(&format!(
            "Send this attribute update to profile \"{}\"?",
            script::one_line(client.profile_name())
        ))?;
    }

    let result = script::finish_despite_signals(registry::send_attribute_update_for(
        &client,
        audit.as_ref(),
        &update,
        &context,
    ))
    .await
    .map_err(|err| failure(&err, Some(&update.issuance_token)))?;
    if let Some(warning) = &result.audit_warning {
        eprintln!("idcon: warning: {}", script::one_line(warning));
    }
    let exchange = &result.exchange;
    let elapsed_ms = u64::try_from(exchange.elapsed.as_millis()).unwrap_or(u64::MAX);
    if json_output {
        let doc = json!({
            "identity_id": identity_id,
            "identifier": context.identifier,
            "reason": context.reason,
            "name": update.name,
            "status": exchange.status,
            "request_id": result.request_id,
            "elapsed_ms": elapsed_ms,
            "request": {
                "method": exchange.method,
                "url": exchange.request_info().display_url(),
                "body": registry::display_body(&update),
            },
            "answer": result.answer,
        });
        print_stdout(&format!("{}\n", script::json_text(&doc)))
    } else {
        let answer = match &result.answer {
            Some(answer) => script::json_pretty(answer),
            None => "(no body)".to_owned(),
        };
        print_stdout(&format!(
            "updated {}: HTTP {} {} in {elapsed_ms} ms (request id {})\nanswer:\n{answer}\n",
            script::one_line(&update.name),
            exchange.status,
            exchange.reason,
            result.request_id
        ))
    }
}

/// The override URL: http or https, as the profile's setting.
fn parse_registry_url(raw: &str) -> Result<url::Url, Failure> {
    let url = url::Url::parse(raw.trim()).map_err(|err| {
        Failure::usage(format!(
            "--attribute-registry-url {:?} is not a URL: {err}",
            script::one_line(raw)
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Failure::usage(format!(
            "--attribute-registry-url {:?} must be an http:// or https:// URL with a host",
            script::one_line(raw)
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Failure::usage(
            "--attribute-registry-url must not have a query or fragment: requests are signed below its path",
        ));
    }
    Ok(url)
}

/// Who an identity is, when it was read ([`crate::who`]); raw identity
/// data, shown only through [`script::who_text`].
#[derive(Debug, Default)]
struct Who {
    identifier: Option<String>,
    name: Option<String>,
}

/// The token stored in identity `id` at `pointer`, and who the identity is.
async fn token_from_identity(client: &Client, id: &str, pointer: &str) -> Result<(String, Who), Failure> {
    let response = client.get_identity(id).await.map_err(|err| Failure::api(&err))?;
    let raw = response
        .exchange
        .body_json()
        .unwrap_or_else(|| serde_json::to_value(&response.value).unwrap_or(Value::Null));
    let who = Who {
        identifier: crate::who::primary_identifier(&response.value.traits, None),
        name: crate::who::display_name(&response.value.traits),
    };
    let token = registry::issuance_token_at(&raw, pointer).ok_or_else(|| {
        Failure::usage(format!(
            "identity {} has no issuance token at {} (the profile's issuance_token_pointer): \
             give it with --issuance-token-stdin or --issuance-token",
            script::one_line(id),
            script::one_line(pointer)
        ))
    })?;
    Ok((token, who))
}

/// The failure of a registry write; Yoti's refusal explained in plain words
/// after the server's own message. `token` is scrubbed from everything said.
fn failure(err: &RegistryError, token: Option<&str>) -> Failure {
    let scrub = |text: &str| match token {
        Some(token) => registry::scrub_text(text, token),
        None => text.to_owned(),
    };
    let mut failure = match err {
        RegistryError::InvalidUpdate(message) => Failure::usage(scrub(message)),
        RegistryError::ReadOnly { .. } => Failure::new(EXIT_REFUSED, err.to_string()),
        RegistryError::Audit(_) => Failure::error(scrub(&err.to_string())),
        RegistryError::Api { error, explanation } => {
            let mut failure = Failure::api(error);
            let mut message = scrub(&failure.message);
            if let Some(words) = explanation {
                message = format!("{message}; what this means: {words}");
            }
            failure.message = script::one_line(&message);
            failure
        }
    };
    failure.message = script::one_line(&failure.message);
    failure
}

/// What will be sent, for the reviewer: where, for which identity (and who
/// that is, when it was read), why, and the exact body with the token masked.
fn render_review(
    url: &str,
    profile: &str,
    identity_id: Option<&str>,
    source: &TokenSource,
    update: &AttributeUpdate,
    who: Option<&str>,
    reason: Option<&str>,
) -> String {
    let mut out = format!(
        "PUT {} (profile \"{}\")\n",
        script::one_line(url),
        script::one_line(profile)
    );
    match (identity_id, who) {
        (Some(id), Some(who)) => out.push_str(&format!("identity: {}, {who}\n", script::one_line(id))),
        (Some(id), None) => out.push_str(&format!("identity: {}\n", script::one_line(id))),
        _ => {}
    }
    if let Some(reason) = reason {
        out.push_str(&format!("reason: {}\n", script::one_line(reason)));
    }
    let masked = registry::mask_token(&update.issuance_token);
    match source {
        TokenSource::Flag => out.push_str(&format!("issuance token: {masked} (from --issuance-token)\n")),
        TokenSource::Stdin => out.push_str(&format!("issuance token: {masked} (from stdin)\n")),
        TokenSource::Identity { id, pointer } => out.push_str(&format!(
            "issuance token: {masked} (from identity {} at {})\n",
            script::one_line(id),
            script::one_line(pointer)
        )),
    }
    out.push_str(&format!(
        "body: {}\n",
        script::json_text(&registry::display_body(update))
    ));
    out
}

fn print_dry_run(
    prepared: &PreparedRequest,
    update: &AttributeUpdate,
    context: &UpdateContext,
    format: RequestFormat,
    json_output: bool,
) -> Result<(), Failure> {
    let token = update.issuance_token.as_str();
    let body = registry::display_sent_body(prepared, token).unwrap_or_default();
    // The message's last part is the base64 of the body, token included.
    let message = prepared
        .signed_message
        .as_ref()
        .map(|message| match message.rsplit_once('&') {
            Some((signed, _body)) => format!("{signed}&{REDACTED}"),
            None => message.clone(),
        });
    // The signature would let anyone with the public key test guesses of the
    // token: hidden too.
    let headers = prepared.display_headers(true);
    if !json_output {
        eprintln!(
            "idcon: the issuance token is shown masked and the signature {REDACTED}: the printed request is not the signed one"
        );
    }
    let request = DryRunRequest {
        prepared,
        headers,
        body,
        message,
        // The masked token already makes it differ from the signed request
        // (the note above says so): no second warning.
        warn_if_escaped: false,
    };
    let doc = json!({
        "identity_id": context.identity_id,
        "identifier": context.identifier,
        "reason": context.reason,
        "dry_run": true,
    });
    script::print_dry_run(&request, format, json_output, doc)
}

/// The token from stdin: typed without echo on a terminal, else the first
/// line of stdin, trimmed.
fn read_token() -> Result<String, Failure> {
    let token = if io::stdin().is_terminal() {
        script::read_secret_from_terminal("Issuance token: ")?
    } else {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| Failure::usage(format!("--issuance-token-stdin: cannot read stdin: {err}")))?;
        text.lines().next().unwrap_or_default().to_owned()
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err(Failure::usage("--issuance-token-stdin: the token is empty"));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_must_be_json_and_a_bare_word_is_told_to_quote() {
        assert_eq!(parse_value("\"gold\""), Ok(json!("gold")));
        assert_eq!(parse_value("{\"level\": 2}"), Ok(json!({"level": 2})));
        assert_eq!(parse_value("-3"), Ok(json!(-3)));
        let err = parse_value("gold").err().unwrap_or_default();
        assert!(err.contains("quotes") && err.contains("'\"gold\"'"), "{err}");
    }

    #[test]
    fn the_review_shows_the_body_with_the_token_masked() {
        let update = AttributeUpdate::new(
            "dG9rZW4tdGhhdC1pcy1zZWNyZXQtOTg3Ng==".to_owned(),
            "com.example.level".to_owned(),
            json!("gold"),
        );
        let review = render_review(
            "https://api.example/attribute-registry/attribute/update",
            "prod",
            Some("id-1"),
            &TokenSource::Identity {
                id: "id-1".into(),
                pointer: "/metadata_admin/yoti/issuance_token".into(),
            },
            &update,
            Some("ana@example.com (Ana)"),
            Some("SUP-42"),
        );
        assert!(
            review.contains("identity: id-1, ana@example.com (Ana)\nreason: SUP-42\n"),
            "{review}"
        );
        assert!(
            review.contains(
                "body: {\"issuance_token\":\"********Ng==\",\"name\":\"com.example.level\",\"value\":\"gold\"}"
            ),
            "{review}"
        );
        assert!(!review.contains("dG9rZW4"), "{review}");
    }

    #[test]
    fn registry_urls_must_be_plain_http_bases() {
        assert!(parse_registry_url("https://api.yoti.com/api/v1/attribute-registry").is_ok());
        assert!(parse_registry_url("ftp://x/y").is_err());
        assert!(parse_registry_url("https://x/y?a=1").is_err());
        assert!(parse_registry_url("not a url").is_err());
    }
}
