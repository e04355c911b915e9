//! The sections of the detail view, built once when the identity arrives:
//! summary, traits, metadata, credentials (never their secrets), addresses
//! and the raw JSON.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::detail::{Section, SectionKind};
use super::doc::{StyledLine, Tone, json_lines};
use super::text_view::TextView;
use super::time::describe_time;
use crate::sanitize::for_display;

fn text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(s)) if s.is_empty() => "(empty)".to_owned(),
        Some(Value::String(s)) => for_display(s).into_owned(),
        Some(other) => for_display(&other.to_string()).into_owned(),
    }
}

fn time_field(label: &str, value: Option<&Value>, now: DateTime<Utc>) -> StyledLine {
    let shown = match value.and_then(Value::as_str) {
        Some(raw) => describe_time(raw, now),
        None => "—".to_owned(),
    };
    StyledLine::field(label, shown, Tone::Plain)
}

pub(super) fn build_sections(identity: &Value, now: DateTime<Utc>) -> Vec<Section> {
    SectionKind::ALL
        .iter()
        .map(|&kind| {
            let lines = match kind {
                SectionKind::Summary => summary(identity, now),
                SectionKind::Traits => json_lines(identity.get("traits").unwrap_or(&Value::Null)),
                SectionKind::Metadata => metadata(&without_secrets(identity)),
                SectionKind::Credentials => credentials(identity, now, None),
                SectionKind::Addresses => addresses(identity, now, None),
                SectionKind::Raw => json_lines(&without_secrets(identity)),
                // Filled from the sessions read (`DetailState::fill`, `sessions::rebuild`).
                SectionKind::Sessions => Vec::new(),
            };
            Section {
                kind,
                lines,
                view: TextView::default(),
            }
        })
        .collect()
}

fn summary(identity: &Value, now: DateTime<Utc>) -> Vec<StyledLine> {
    let state = identity.get("state").and_then(Value::as_str).unwrap_or("?");
    let state_tone = if state == "active" { Tone::Good } else { Tone::Bad };
    let mut lines = vec![
        StyledLine::field("id", text(identity.get("id")), Tone::Plain),
        StyledLine::field("schema", text(identity.get("schema_id")), Tone::Plain),
        StyledLine::field("state", for_display(state).into_owned(), state_tone),
        time_field("state changed", identity.get("state_changed_at"), now),
        time_field("created", identity.get("created_at"), now),
        time_field("updated", identity.get("updated_at"), now),
        StyledLine::field("organization", text(identity.get("organization_id")), Tone::Plain),
        StyledLine::field("external id", text(identity.get("external_id")), Tone::Plain),
    ];
    if let Some(url) = identity.get("schema_url") {
        lines.push(StyledLine::field("schema url", text(Some(url)), Tone::Muted));
    }
    let credential_types: Vec<String> = identity
        .get("credentials")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(|k| for_display(k).into_owned()).collect())
        .unwrap_or_default();
    let credentials = if credential_types.is_empty() {
        "none".to_owned()
    } else {
        credential_types.join(", ")
    };
    lines.push(StyledLine::field("credentials", credentials, Tone::Plain));
    lines
}

fn metadata(identity: &Value) -> Vec<StyledLine> {
    let mut lines = Vec::new();
    for (index, key) in ["metadata_public", "metadata_admin"].into_iter().enumerate() {
        if index > 0 {
            lines.push(StyledLine::default());
        }
        lines.push(StyledLine::toned(Tone::Heading, key));
        match identity.get(key) {
            None => lines.push(StyledLine::toned(Tone::Muted, "(not set)")),
            Some(value) => lines.extend(json_lines(value)),
        }
    }
    lines
}

/// The Credentials or Addresses section with entry `selected` marked `▶`
/// (the entry `x` or `v` acts on: `app::credential_removal` counts the
/// entries the same way). Other sections: `None`.
pub(super) fn marked(
    kind: SectionKind,
    identity: &Value,
    now: DateTime<Utc>,
    selected: usize,
) -> Option<Vec<StyledLine>> {
    match kind {
        SectionKind::Credentials => Some(credentials(identity, now, Some(selected))),
        SectionKind::Addresses => Some(addresses(identity, now, Some(selected))),
        _ => None,
    }
}

/// `▶ ` on the selected entry, else the usual indent.
fn indent(entry: usize, selected: Option<usize>) -> &'static str {
    if selected == Some(entry) { "▶ " } else { "  " }
}

fn credentials(identity: &Value, now: DateTime<Utc>, selected: Option<usize>) -> Vec<StyledLine> {
    let mut entry = 0;
    let Some(map) = identity
        .get("credentials")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty())
    else {
        return vec![StyledLine::toned(Tone::Muted, "No credentials.")];
    };
    let mut lines = Vec::new();
    for (kind, credential) in map {
        if !lines.is_empty() {
            lines.push(StyledLine::default());
        }
        lines.push(StyledLine::toned(Tone::Heading, for_display(kind).into_owned()));
        let identifiers: Vec<&str> = credential
            .get("identifiers")
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if kind == "oidc" || kind == "saml" {
            lines.push(StyledLine::toned(Tone::Label, "  provider            subject"));
            for identifier in &identifiers {
                let (provider, subject) = identifier.split_once(':').unwrap_or((identifier, ""));
                lines.push(StyledLine::plain(format!(
                    "{}{:<18}  {}",
                    indent(entry, selected),
                    for_display(provider),
                    for_display(subject)
                )));
                entry += 1;
            }
            if identifiers.is_empty() {
                lines.push(StyledLine::toned(Tone::Muted, "  (no linked providers)"));
            }
        } else {
            let shown: Vec<String> = identifiers.iter().map(|i| for_display(i).into_owned()).collect();
            let shown = if shown.is_empty() {
                "—".to_owned()
            } else {
                shown.join(", ")
            };
            let label = format!("{}identifiers", indent(entry, selected));
            lines.push(StyledLine::field(&label, shown, Tone::Plain));
            entry += 1;
        }
        lines.push(StyledLine::field(
            "  version",
            text(credential.get("version")),
            Tone::Plain,
        ));
        lines.push(time_field("  created", credential.get("created_at"), now));
        lines.push(time_field("  updated", credential.get("updated_at"), now));
    }
    lines
}

fn addresses(identity: &Value, now: DateTime<Utc>, selected: Option<usize>) -> Vec<StyledLine> {
    let mut lines = vec![StyledLine::toned(Tone::Heading, "verifiable addresses")];
    let verifiable = identity.get("verifiable_addresses").and_then(Value::as_array);
    match verifiable.filter(|a| !a.is_empty()) {
        None => lines.push(StyledLine::toned(Tone::Muted, "  none")),
        Some(items) => {
            for (entry, address) in items.iter().enumerate() {
                let verified = address.get("verified").and_then(Value::as_bool).unwrap_or(false);
                let mut line = StyledLine::plain(format!(
                    "{}{:<40} {:<6} ",
                    indent(entry, selected),
                    text(address.get("value")),
                    text(address.get("via"))
                ));
                if verified {
                    line.push(Tone::Good, "verified");
                    let when = address.get("verified_at").and_then(Value::as_str);
                    if let Some(when) = when {
                        line.push(Tone::Muted, format!(" {}", describe_time(when, now)));
                    }
                } else {
                    line.push(Tone::Bad, format!("not verified ({})", text(address.get("status"))));
                }
                lines.push(line);
            }
        }
    }
    lines.push(StyledLine::default());
    lines.push(StyledLine::toned(Tone::Heading, "recovery addresses"));
    let recovery = identity.get("recovery_addresses").and_then(Value::as_array);
    match recovery.filter(|a| !a.is_empty()) {
        None => lines.push(StyledLine::toned(Tone::Muted, "  none")),
        Some(items) => {
            for address in items {
                lines.push(StyledLine::plain(format!(
                    "  {:<40} {}",
                    text(address.get("value")),
                    text(address.get("via"))
                )));
            }
        }
    }
    lines
}

/// The identity for the raw view, with any credential `config` hidden: idcon
/// never asks for secrets, but a server may send them anyway.
fn without_secrets(identity: &Value) -> Value {
    let mut shown = identity.clone();
    if let Some(map) = shown.get_mut("credentials").and_then(Value::as_object_mut) {
        for credential in map.values_mut() {
            if let Some(config) = credential.get_mut("config") {
                *config = Value::String("<hidden by idcon>".to_owned());
            }
        }
    }
    mask_issuance_tokens(&mut shown);
    shown
}

/// A Yoti issuance token lets whoever holds it change the person's
/// attributes: views show only its last four characters (the attribute form
/// still prefills the real one).
pub(crate) fn mask_issuance_tokens(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(token) if key == "issuance_token" => {
                        *token = crate::registry::mask_token(token);
                    }
                    other => mask_issuance_tokens(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_issuance_tokens),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::detail::DetailState;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "id": "9f1c0c1e-0000-4000-8000-000000000001",
            "schema_id": "email",
            "state": "active",
            "traits": {"email": "ana@example.com"},
            "metadata_public": null,
            "credentials": {
                "password": {"type": "password", "identifiers": ["ana@example.com"], "version": 0,
                              "config": {"hashed_password": "$argon2id$v=19$m=16,t=2,p=1$c2FsdA$aGFzaA"}},
                "oidc": {"type": "oidc", "identifiers": ["google:1234", "github:99"], "version": 0}
            },
            "verifiable_addresses": [{"value": "ana@example.com", "via": "email", "verified": true, "status": "completed", "verified_at": "2026-01-01T00:00:00Z"}],
            "recovery_addresses": [{"value": "ana@example.com", "via": "email"}]
        })
    }

    fn all_text(state: &DetailState, kind: SectionKind) -> String {
        let section = state
            .sections
            .iter()
            .find(|s| s.kind == kind)
            .map(|s| s.lines.clone())
            .unwrap_or_default();
        section.iter().map(StyledLine::text).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn secrets_never_reach_the_view() {
        let mut state = DetailState::loading("x".into());
        state.fill(sample(), Utc::now());
        for kind in SectionKind::ALL {
            assert!(!all_text(&state, kind).contains("argon2id"), "{kind:?} shows a hash");
        }
    }

    #[test]
    fn oidc_pairs_and_addresses_are_listed() {
        let mut state = DetailState::loading("x".into());
        state.fill(sample(), Utc::now());
        let creds = all_text(&state, SectionKind::Credentials);
        assert!(creds.contains("google") && creds.contains("1234") && creds.contains("github"));
        let addresses = all_text(&state, SectionKind::Addresses);
        assert!(addresses.contains("ana@example.com") && addresses.contains("verified"));
        let metadata = all_text(&state, SectionKind::Metadata);
        assert!(metadata.contains("metadata_admin\n(not set)"));
    }

    #[test]
    fn sections_cycle_both_ways() {
        let mut state = DetailState::loading("x".into());
        state.next_section(false);
        assert_eq!(state.current, SectionKind::ALL.len() - 1);
        state.next_section(true);
        assert_eq!(state.current, 0);
    }
}
