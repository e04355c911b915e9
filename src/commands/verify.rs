//! `idcon verify ID --address VALUE [--unverify]`: mark one verifiable
//! address of an identity verified (or back to unverified) for the person
//! who "never got the verification mail", as the console's `v` in the
//! Addresses section does.
//!
//! Kratos has no admin call for this; `PATCH {identities_path}/{id}` with a
//! JSON Patch on `/verifiable_addresses/N/…` does it
//! ([`crate::api::credentials::address_verification_patch`]: `verified`,
//! `status`, `verified_at`, as the verification flow leaves them). The
//! patch names the address by its index, and Kratos refuses JSON Patch's
//! `test` operation (`oryx/jsonx/patch.go` `ApplyJSONPatch`), so the patch
//! cannot check that the index still points at that address: idcon reads
//! the identity again right before sending (after the question), finds the
//! address there by value, and checks in the answer that it is the one
//! that changed. The window left is the round trip between that read and
//! the PATCH.
//!
//! Audited like every write: intent before, outcome after, reason,
//! read-only refusal.

use std::process::ExitCode;

use chrono::{SecondsFormat, Utc};
use clap::Args;
use serde_json::{Value, json};

use super::script::{self, EXIT_CONFLICT, EXIT_ERROR, EXIT_NOT_FOUND, Failure, print_stdout};
use super::sessions::{AuditedWrite, ConfirmFlags, Person, before_a_write, send_audited, show_and_confirm};
use crate::api::credentials::{address_verification_patch, explain_patch_failure};
use crate::api::{ApiError, Client};
use crate::config::{self, Overrides};
use crate::diff::Change;
use crate::write::WriteError;

/// `idcon verify`.
#[derive(Debug, Args)]
#[command(after_help = script::EXIT_CODES_HELP)]
pub struct VerifyArgs {
    /// The identity.
    #[arg(value_name = "ID")]
    pub id: String,

    /// The verifiable address (an e-mail address or phone number, as `idcon
    /// get ID` shows it under verifiable_addresses).
    #[arg(long, value_name = "VALUE")]
    pub address: String,

    /// Mark it unverified instead (status pending, verified_at cleared).
    #[arg(long)]
    pub unverify: bool,

    #[command(flatten)]
    pub flags: ConfirmFlags,
}

pub fn run(global: &Overrides, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    Ok(script::run(args.flags.json(), verify(global, args)))
}

/// One verifiable address as the identity holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    pub index: usize,
    pub id: Option<String>,
    pub value: String,
    pub via: String,
    pub verified: bool,
    pub status: String,
    pub verified_at: Option<String>,
}

/// The verifiable addresses of an identity as the server sent it, in its order.
pub fn addresses(raw: &Value) -> Vec<Address> {
    raw.get("verifiable_addresses")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .enumerate()
                .map(|(index, a)| {
                    let text = |key: &str| a.get(key).and_then(Value::as_str).map(str::to_owned);
                    Address {
                        index,
                        id: text("id"),
                        value: text("value").unwrap_or_default(),
                        via: text("via").unwrap_or_default(),
                        verified: a.get("verified").and_then(Value::as_bool).unwrap_or(false),
                        status: text("status").unwrap_or_default(),
                        verified_at: text("verified_at"),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The address `value` names: exactly, else ignoring ASCII case (Kratos
/// stores e-mail addresses lower-cased).
pub fn find_address<'a>(all: &'a [Address], value: &str) -> Option<&'a Address> {
    all.iter()
        .find(|a| a.value == value)
        .or_else(|| all.iter().find(|a| a.value.eq_ignore_ascii_case(value)))
}

/// The same address in a fresher read: by id when both have one, else by
/// value and channel.
pub fn same_address<'a>(all: &'a [Address], was: &Address) -> Option<&'a Address> {
    match &was.id {
        Some(id) => all.iter().find(|a| a.id.as_deref() == Some(id)),
        None => all.iter().find(|a| a.value == was.value && a.via == was.via),
    }
}

/// What the audit trail records: the address's verified flag and status,
/// before and after.
pub fn verification_changes(address: &Address, verified: bool) -> Vec<Change> {
    let at = format!("/verifiable_addresses/{}", address.index);
    vec![
        Change {
            pointer: format!("{at}/verified"),
            old: Some(json!(address.verified)),
            new: Some(json!(verified)),
        },
        Change {
            pointer: format!("{at}/status"),
            old: Some(json!(address.status)),
            new: Some(json!(if verified { "completed" } else { "pending" })),
        },
    ]
}

fn not_found(person: &Person, all: &[Address], value: &str) -> Failure {
    let listed: Vec<&str> = all.iter().map(|a| a.value.as_str()).collect();
    Failure::new(
        EXIT_NOT_FOUND,
        format!(
            "{} has no verifiable address {} (it has: {}); nothing was sent",
            person.who(),
            script::one_line(value),
            if listed.is_empty() {
                "none".to_owned()
            } else {
                script::one_line(&listed.join(", "))
            }
        ),
    )
}

async fn verify(global: &Overrides, args: &VerifyArgs) -> Result<(), Failure> {
    let json_output = args.flags.json();
    let verified = !args.unverify;
    let value = args.address.trim();
    if value.is_empty() {
        return Err(Failure::usage(
            "--address is empty: give the address as the identity holds it",
        ));
    }
    let profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;
    let url = client.identity_url(&args.id);
    let (audit, reason) = before_a_write(&profile, &client, &args.flags, "PATCH", url.clone(), Some(&args.id)).await?;
    let person = Person::read(&client, &args.id, json_output).await?;
    let all = addresses(&person.raw);
    let Some(address) = find_address(&all, value).cloned() else {
        return Err(not_found(&person, &all, value));
    };
    let word = if verified { "verified" } else { "unverified" };
    if address.verified == verified {
        if json_output {
            let doc = json!({"identity_id": person.id, "address": address.value, "verified": verified, "sent": false});
            return print_stdout(&format!("{}\n", script::json_text(&doc)));
        }
        return print_stdout(&format!(
            "{} of {} is already {word}; nothing was sent\n",
            script::one_line(&address.value),
            person.who()
        ));
    }

    let mut plan = script::render_heading(&format!("PATCH {}", script::one_line(&url)), false);
    plan.push_str(&script::render_who_and_why(Some(&person.who()), reason.as_deref()));
    plan.push_str(&format!(
        "  address: {} ({}), now {}{}\n",
        script::one_line(&address.value),
        script::one_line(&address.via),
        if address.verified { "verified" } else { "not verified" },
        if address.status.is_empty() {
            String::new()
        } else {
            format!(", status {}", script::one_line(&address.status))
        }
    ));
    plan.push_str(&if verified {
        "  marks it verified (status completed), as if the person had followed the verification message\n".to_owned()
    } else {
        "  marks it unverified (status pending): the person has to verify it again\n".to_owned()
    });
    show_and_confirm(
        &plan,
        &args.flags,
        &format!("Mark {} of {} {word}?", script::one_line(&address.value), person.who()),
    )?;

    // Read again right before sending: the index must point at this address.
    let fresh = Person::read(&client, &person.id, json_output).await?;
    let fresh_all = addresses(&fresh.raw);
    let Some(target) = same_address(&fresh_all, &address).cloned() else {
        return Err(Failure::new(
            EXIT_CONFLICT,
            format!(
                "{} is no longer an address of {} (changed meanwhile); nothing was sent",
                script::one_line(&address.value),
                person.who()
            ),
        ));
    };
    let write = AuditedWrite {
        identity_id: Some(person.id.clone()),
        identifier: person.identifier.clone(),
        why: reason.clone(),
        changes: verification_changes(&target, verified),
    };
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
    let patch = address_verification_patch(target.index, verified, &now);
    let prepared = client
        .prepare_patch_identity(&person.id, &patch)
        .map_err(|err| Failure::api(&err))?;
    let done = script::finish_despite_signals(send_audited(
        &client,
        Some(&audit),
        &prepared,
        &write,
        client.send_patch_identity(&prepared),
    ))
    .await
    .map_err(|err| patch_failure(&err))?;
    if let Some(warning) = &done.audit_warning {
        script::warn(warning, json_output);
    }
    let exchange = &done.response.exchange;
    let answer: Value = serde_json::from_slice(&exchange.body).unwrap_or(Value::Null);
    let after = same_address(&addresses(&answer), &target).cloned();
    if after.as_ref().map(|a| a.verified) != Some(verified) {
        return Err(Failure::new(
            EXIT_ERROR,
            format!(
                "the server answered HTTP {} but does not show {} as {word} (request id {}): check the identity",
                exchange.status,
                script::one_line(&target.value),
                prepared.request_id
            ),
        ));
    }
    if json_output {
        let doc = json!({
            "identity_id": person.id,
            "identifier": person.identifier,
            "address": target.value,
            "verified": verified,
            "status": after.map(|a| a.status),
            "reason": reason,
            "http_status": exchange.status,
            "request_id": prepared.request_id,
        });
        return print_stdout(&format!("{}\n", script::json_text(&doc)));
    }
    print_stdout(&format!(
        "marked {} of {} {word}: HTTP {} {} in {} ms (request id {})\n",
        script::one_line(&target.value),
        person.who(),
        exchange.status,
        exchange.reason,
        exchange.elapsed.as_millis(),
        prepared.request_id
    ))
}

/// A refused patch in plain words where Kratos has its own texts.
pub fn patch_failure(err: &WriteError) -> Failure {
    let mut failure = Failure::write(err);
    if let WriteError::Api(api) = err
        && let Some(said) = explain_patch_failure(api)
    {
        failure.message = script::one_line(&said);
        failure.code = if api.status() == Some(404) {
            EXIT_NOT_FOUND
        } else {
            EXIT_ERROR
        };
        if let ApiError::Http(http) = api.as_ref() {
            failure.status = Some(http.status);
        }
    }
    failure
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> Value {
        json!({"verifiable_addresses": [
            {"id": "a", "value": "ada@example.com", "via": "email", "verified": false, "status": "sent"},
            {"id": "b", "value": "+4412345", "via": "sms", "verified": true, "status": "completed", "verified_at": "2024-01-01T00:00:00Z"}
        ]})
    }

    #[test]
    fn addresses_are_found_by_value_then_by_id() {
        let all = addresses(&raw());
        assert_eq!(find_address(&all, "ADA@example.com").map(|a| a.index), Some(0));
        assert_eq!(find_address(&all, "+4412345").map(|a| a.index), Some(1));
        assert!(find_address(&all, "nobody@example.com").is_none());
        // After another admin's edit the address moved to index 1.
        let moved = addresses(&json!({"verifiable_addresses": [
            {"id": "c", "value": "new@example.com", "via": "email", "verified": false, "status": "pending"},
            {"id": "a", "value": "ada@example.com", "via": "email", "verified": false, "status": "sent"}
        ]}));
        assert_eq!(same_address(&moved, &all[0]).map(|a| a.index), Some(1));
    }

    #[test]
    fn the_audit_names_flag_and_status() {
        let all = addresses(&raw());
        let changes = verification_changes(&all[0], true);
        assert_eq!(changes[0].pointer, "/verifiable_addresses/0/verified");
        assert_eq!(changes[1].old, Some(json!("sent")));
        assert_eq!(changes[1].new, Some(json!("completed")));
    }
}
