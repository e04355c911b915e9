//! `idcon credentials delete ID --type T [--identifier I]`: remove one
//! credential of an identity (a social sign-in link, TOTP, backup codes,
//! second-factor security keys, a password while another first factor is
//! left), as the console's `x` in the Credentials section does.
//!
//! It goes the way every session write goes ([`super::sessions`]): the
//! audit trail opened first, the reason checked, a read-only profile refused
//! before anything is read or sent, then a fresh read of the identity, what
//! the person loses said in plain words, a question on a terminal (`--yes`
//! otherwise), the signed `DELETE` between its `intent` and `outcome` lines.
//! The audit lines name the credential type and its identifiers, never its
//! config (hashes, tokens). Kratos's refusals are explained
//! ([`crate::api::credentials::explain_delete_failure`]).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::script::{self, EXIT_ERROR, EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_USAGE, Failure, print_stdout};
use super::sessions::{AuditedWrite, ConfirmFlags, Person, before_a_write, send_audited, show_and_confirm};
use crate::api::credentials::{explain_delete_failure, needs_identifier, never_removable, what_is_lost};
use crate::api::{ApiError, Client};
use crate::config::{self, Overrides};
use crate::diff::Change;
use crate::write::WriteError;

/// `idcon credentials`.
#[derive(Debug, Args)]
#[command(after_help = script::EXIT_CODES_HELP)]
pub struct CredentialsArgs {
    #[command(subcommand)]
    pub action: CredentialsAction,
}

#[derive(Debug, Subcommand)]
pub enum CredentialsAction {
    /// Remove one credential of an identity: an OIDC/SAML link (--identifier
    /// provider:subject), TOTP, lookup secrets, second-factor WebAuthn keys,
    /// or the password while another first factor is left. Kratos cannot
    /// remove passkeys or code credentials.
    Delete(DeleteArgs),
}

#[derive(Debug, Args)]
#[command(after_help = script::EXIT_CODES_HELP)]
pub struct DeleteArgs {
    /// The identity.
    #[arg(value_name = "ID")]
    pub id: String,

    /// The credential type: password, oidc, saml, totp, lookup_secret, webauthn.
    #[arg(long = "type", value_name = "T")]
    pub kind: String,

    /// For oidc and saml: the link to remove, as provider:subject (`idcon get
    /// ID` lists them under credentials.oidc.identifiers).
    #[arg(long, value_name = "I")]
    pub identifier: Option<String>,

    #[command(flatten)]
    pub flags: ConfirmFlags,
}

pub fn run(global: &Overrides, args: &CredentialsArgs) -> anyhow::Result<ExitCode> {
    Ok(match &args.action {
        CredentialsAction::Delete(delete_args) => script::run(delete_args.flags.json(), delete(global, delete_args)),
    })
}

/// The credential types of an identity as the server sent it, each with
/// its identifiers (never a config).
pub fn credential_identifiers(raw: &Value) -> Vec<(String, Vec<String>)> {
    raw.get("credentials")
        .and_then(Value::as_object)
        .map(|all| {
            all.iter()
                .map(|(kind, credential)| {
                    let identifiers = credential
                        .get("identifiers")
                        .and_then(Value::as_array)
                        .map(|list| list.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                        .unwrap_or_default();
                    (kind.clone(), identifiers)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What the audit trail records of a removal: the type's identifiers before
/// and after, never its config.
pub fn removal_changes(kind: &str, identifiers: &[String], identifier: Option<&str>) -> Vec<Change> {
    let pointer = format!("/credentials/{}/identifiers", crate::diff::escape_token(kind));
    match identifier {
        Some(gone) => vec![Change {
            pointer,
            old: Some(json!(identifiers)),
            new: Some(json!(identifiers.iter().filter(|i| *i != gone).collect::<Vec<_>>())),
        }],
        None if kind == "password" => vec![Change {
            pointer: "/credentials/password/config".to_owned(),
            old: Some(json!("(a password hash)")),
            new: Some(json!({})),
        }],
        None => vec![Change {
            pointer: format!("/credentials/{}", crate::diff::escape_token(kind)),
            old: Some(json!({ "identifiers": identifiers })),
            new: None,
        }],
    }
}

/// Checks a removal against the identity as just read: the type is there,
/// Kratos can remove it, and an OIDC/SAML link is named and linked. The
/// message says what to do instead.
pub fn check_removal(
    credentials: &[(String, Vec<String>)],
    kind: &str,
    identifier: Option<&str>,
) -> Result<Vec<String>, (u8, String)> {
    let one = script::one_line;
    let Some((_, identifiers)) = credentials.iter().find(|(k, _)| k == kind) else {
        let has: Vec<&str> = credentials.iter().map(|(k, _)| k.as_str()).collect();
        return Err((
            EXIT_NOT_FOUND,
            format!(
                "the identity has no {} credential (it has: {}); nothing was sent",
                one(kind),
                if has.is_empty() {
                    "none".to_owned()
                } else {
                    one(&has.join(", "))
                }
            ),
        ));
    };
    if let Some(why) = never_removable(kind) {
        return Err((EXIT_REFUSED, format!("{}; nothing was sent", one(&why))));
    }
    match (needs_identifier(kind), identifier) {
        (true, None) => Err((
            EXIT_USAGE,
            format!(
                "say which {kind} link to remove: --identifier with one of {}; nothing was sent",
                one(&identifiers.join(", "))
            ),
        )),
        (true, Some(i)) if !identifiers.iter().any(|x| x == i) => Err((
            EXIT_NOT_FOUND,
            format!(
                "the identity has no {kind} link {} (linked: {}); nothing was sent",
                one(i),
                one(&identifiers.join(", "))
            ),
        )),
        (false, Some(_)) => Err((
            EXIT_USAGE,
            format!("--identifier is for oidc and saml links only, not {kind}; nothing was sent"),
        )),
        _ => Ok(identifiers.clone()),
    }
}

async fn delete(global: &Overrides, args: &DeleteArgs) -> Result<(), Failure> {
    let json_output = args.flags.json();
    let kind = args.kind.trim();
    if kind.is_empty() {
        return Err(Failure::usage(
            "--type is empty: give a credential type such as oidc or totp",
        ));
    }
    let identifier = args.identifier.as_deref().filter(|i| !i.is_empty());
    let profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;
    let url = client.credential_url(&args.id, kind, identifier);
    let (audit, reason) = before_a_write(&profile, &client, &args.flags, "DELETE", url.clone(), Some(&args.id)).await?;
    let person = Person::read(&client, &args.id, json_output).await?;
    let credentials = credential_identifiers(&person.raw);
    let identifiers =
        check_removal(&credentials, kind, identifier).map_err(|(code, message)| Failure::new(code, message))?;

    let write = AuditedWrite {
        identity_id: Some(person.id.clone()),
        identifier: person.identifier.clone(),
        why: reason.clone(),
        changes: removal_changes(kind, &identifiers, identifier),
    };
    let mut plan = script::render_heading(&format!("DELETE {}", script::one_line(&url)), false);
    plan.push_str(&script::render_who_and_why(Some(&person.who()), reason.as_deref()));
    plan.push_str(&format!(
        "  removes: the {} credential{}\n",
        script::one_line(kind),
        identifier
            .map(|i| format!(" link {}", script::one_line(i)))
            .unwrap_or_default()
    ));
    plan.push_str(&format!(
        "  they lose: {}\n",
        script::one_line(&what_is_lost(kind, identifier))
    ));
    let kept: Vec<String> = credentials
        .iter()
        .filter(|(k, _)| k != kind)
        .map(|(k, ids)| match ids.len() {
            0 => k.clone(),
            n => format!("{k} ({n})"),
        })
        .collect();
    plan.push_str(&format!(
        "  they keep: {}\n",
        if kept.is_empty() {
            "no other credential".to_owned()
        } else {
            script::one_line(&kept.join(", "))
        }
    ));
    show_and_confirm(
        &plan,
        &args.flags,
        &format!("Remove the {} credential of {}?", script::one_line(kind), person.who()),
    )?;
    let prepared = client
        .prepare_delete_credential(&person.id, kind, identifier)
        .map_err(|err| Failure::api(&err))?;
    let done = script::finish_despite_signals(send_audited(
        &client,
        Some(&audit),
        &prepared,
        &write,
        client.send_delete_credential(&prepared),
    ))
    .await
    .map_err(|err| delete_failure(&err, kind, identifier))?;
    if let Some(warning) = &done.audit_warning {
        script::warn(warning, json_output);
    }
    let exchange = &done.response.exchange;
    if json_output {
        let doc = json!({
            "identity_id": person.id,
            "identifier": person.identifier,
            "type": kind,
            "credential_identifier": identifier,
            "removed": true,
            "reason": reason,
            "status": exchange.status,
            "request_id": prepared.request_id,
        });
        return print_stdout(&format!("{}\n", script::json_text(&doc)));
    }
    print_stdout(&format!(
        "removed the {} credential{} of {}: HTTP {} {} in {} ms (request id {})\n",
        script::one_line(kind),
        identifier
            .map(|i| format!(" link {}", script::one_line(i)))
            .unwrap_or_default(),
        person.who(),
        exchange.status,
        exchange.reason,
        exchange.elapsed.as_millis(),
        prepared.request_id
    ))
}

/// A refused removal in plain words where Kratos has its own texts.
pub fn delete_failure(err: &WriteError, kind: &str, identifier: Option<&str>) -> Failure {
    let mut failure = Failure::write(err);
    if let WriteError::Api(api) = err
        && let Some(said) = explain_delete_failure(api, kind, identifier)
    {
        failure.message = script::one_line(&said);
        failure.code = match api.status() {
            Some(404) => EXIT_NOT_FOUND,
            _ => EXIT_ERROR,
        };
        if let ApiError::Http(http) = api.as_ref() {
            failure.status = Some(http.status);
        }
    }
    failure
}

/// The console's `x` (Credentials) and `v` (Addresses), sent: the identity
/// read again first (the credential still there; the address found again
/// by id, so the JSON Patch's index points at it), then the request between
/// its audit lines; what happened in words, or why not (Kratos's refusals
/// in plain words).
pub async fn console_write(
    client: &Client,
    audit: Result<std::sync::Arc<crate::audit::AuditLog>, String>,
    request: crate::app::credential_removal::CredentialWriteRequest,
) -> Result<String, String> {
    use crate::app::credential_removal::CredentialChange;
    let log = audit.map_err(|why| format!("the audit trail cannot be written ({why}): nothing was sent"))?;
    let fresh = crate::write::fetch(client, &request.identity_id)
        .await
        .map_err(|err| format!("reading the identity again failed: {err}; nothing was sent"))?;
    let mut write = AuditedWrite {
        identity_id: Some(request.identity_id.clone()),
        identifier: request.identifier.clone(),
        why: request.why.clone(),
        changes: Vec::new(),
    };
    match &request.change {
        CredentialChange::Remove(entry) => {
            let identifier = entry.identifier.as_deref();
            let identifiers = check_removal(&credential_identifiers(&fresh.raw), &entry.kind, identifier)
                .map_err(|(_, message)| message)?;
            write.changes = removal_changes(&entry.kind, &identifiers, identifier);
            let prepared = client
                .prepare_delete_credential(&request.identity_id, &entry.kind, identifier)
                .map_err(|err| err.to_string())?;
            send_audited(
                client,
                Some(&log),
                &prepared,
                &write,
                client.send_delete_credential(&prepared),
            )
            .await
            .map_err(|err| delete_failure(&err, &entry.kind, identifier).message)?;
            Ok(format!(
                "Removed the {} credential{}",
                entry.kind,
                identifier.map(|i| format!(" link {i}")).unwrap_or_default()
            ))
        }
        CredentialChange::Verify { address, verified } => {
            use super::verify::{Address, addresses, same_address, verification_changes};
            let was = Address {
                index: address.index,
                id: address.id.clone(),
                value: address.value.clone(),
                via: address.via.clone(),
                verified: address.verified,
                status: address.status.clone(),
                verified_at: None,
            };
            let Some(target) = same_address(&addresses(&fresh.raw), &was).cloned() else {
                return Err(format!(
                    "{} is no longer an address of this identity (changed meanwhile); nothing was sent",
                    address.value
                ));
            };
            let word = if *verified { "verified" } else { "unverified" };
            if target.verified == *verified {
                return Ok(format!("{} is already {word}; nothing was sent", target.value));
            }
            write.changes = verification_changes(&target, *verified);
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            let patch = crate::api::credentials::address_verification_patch(target.index, *verified, &now);
            let prepared = client
                .prepare_patch_identity(&request.identity_id, &patch)
                .map_err(|err| err.to_string())?;
            let done = send_audited(
                client,
                Some(&log),
                &prepared,
                &write,
                client.send_patch_identity(&prepared),
            )
            .await
            .map_err(|err| super::verify::patch_failure(&err).message)?;
            let answer: Value = serde_json::from_slice(&done.response.exchange.body).unwrap_or(Value::Null);
            match same_address(&addresses(&answer), &target) {
                Some(after) if after.verified == *verified => Ok(format!("Marked {} {word}", target.value)),
                _ => Err(format!(
                    "the server answered HTTP {} but does not show {} as {word}: check the identity",
                    done.response.exchange.status, target.value
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Vec<(String, Vec<String>)> {
        vec![
            ("code".into(), vec!["a@example.com".into()]),
            ("oidc".into(), vec!["google:1".into(), "github:2".into()]),
            ("password".into(), vec!["a@example.com".into()]),
        ]
    }

    #[test]
    fn a_link_must_be_named_and_linked() {
        assert!(matches!(check_removal(&creds(), "oidc", None), Err((EXIT_USAGE, m)) if m.contains("google:1")));
        assert!(matches!(
            check_removal(&creds(), "oidc", Some("google:9")),
            Err((EXIT_NOT_FOUND, _))
        ));
        assert!(check_removal(&creds(), "oidc", Some("github:2")).is_ok());
        assert!(matches!(
            check_removal(&creds(), "password", Some("x")),
            Err((EXIT_USAGE, _))
        ));
    }

    #[test]
    fn code_is_refused_and_missing_types_are_not_found() {
        assert!(matches!(check_removal(&creds(), "code", None), Err((EXIT_REFUSED, _))));
        assert!(
            matches!(check_removal(&creds(), "totp", None), Err((EXIT_NOT_FOUND, m)) if m.contains("code, oidc, password"))
        );
    }

    #[test]
    fn the_audit_change_never_holds_a_config() {
        let changes = removal_changes("password", &["a@example.com".to_owned()], None);
        let text = serde_json::to_string(&changes).unwrap_or_default();
        assert!(!text.contains('$'), "{text}");
        let changes = removal_changes(
            "oidc",
            &["google:1".to_owned(), "github:2".to_owned()],
            Some("google:1"),
        );
        assert_eq!(changes[0].new, Some(json!(["github:2"])));
    }
}
