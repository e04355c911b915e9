//! Issue 18 in the console: `x` on the Credentials section removes the
//! chosen credential (one OIDC/SAML link, TOTP, backup codes, WebAuthn
//! second factors, the password while another first factor is left), `v`
//! on the Addresses section marks the chosen verifiable address verified or
//! back to unverified.
//!
//! ↑/↓ choose the entry (marked `▶`; `sections::marked` draws it). Both
//! open a small confirm screen over the detail naming the identity, the
//! entry and what the person loses, with the review's reason line; `y`
//! sends through the runtime ([`Effect::CredentialWrite`]), which reads the
//! identity again first (the credential must still be there; the address
//! is found again by id so the JSON Patch's index points at it, as Kratos
//! refuses JSON Patch's `test`), sends it audited (intent and outcome,
//! identifiers and flags only, never a config), and explains Kratos's
//! refusals in plain words. The identity is read again afterwards. A
//! read-only profile is refused at once (recorded, nothing sent); passkey
//! and code credentials, which Kratos cannot delete, are refused with why.

use crossterm::event::KeyEvent;
use serde_json::Value;

use super::detail::SectionKind;
use super::keys::Action;
use super::text_view::{Viewport, rows};
use super::{App, Effect, Status, Task};
use crate::api::credentials::{never_removable, what_is_lost};
use crate::sanitize::for_display;

/// The chosen entries of the two sections, and the confirm screen.
#[derive(Debug, Clone, Default)]
pub struct EntriesState {
    /// The chosen credential entry (see [`credential_entries`]).
    pub credential: usize,
    /// The chosen verifiable address (its index in the identity).
    pub address: usize,
    /// The confirm screen of `x` or `v`, while it is open.
    pub confirm: Option<CredentialConfirm>,
}

/// One removable thing of the Credentials section: a type, or one link of
/// an OIDC or SAML type (`provider:subject`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialEntry {
    pub kind: String,
    pub identifier: Option<String>,
    /// Every identifier of the type (for the audit's before and after).
    pub identifiers: Vec<String>,
}

/// The entries in the order the section lists them (the server's order of
/// types; OIDC and SAML a row per link).
pub fn credential_entries(identity: &Value) -> Vec<CredentialEntry> {
    let Some(map) = identity.get("credentials").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (kind, credential) in map {
        let identifiers: Vec<String> = credential
            .get("identifiers")
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        if kind == "oidc" || kind == "saml" {
            for identifier in &identifiers {
                out.push(CredentialEntry {
                    kind: kind.clone(),
                    identifier: Some(identifier.clone()),
                    identifiers: identifiers.clone(),
                });
            }
        } else {
            out.push(CredentialEntry {
                kind: kind.clone(),
                identifier: None,
                identifiers,
            });
        }
    }
    out
}

/// One verifiable address as the confirm screen and the write need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressEntry {
    pub index: usize,
    pub id: Option<String>,
    pub value: String,
    pub via: String,
    pub verified: bool,
    pub status: String,
}

/// The verifiable addresses in the identity's order (the index a JSON
/// Patch names), as the Addresses section lists them.
pub fn address_entries(identity: &Value) -> Vec<AddressEntry> {
    identity
        .get("verifiable_addresses")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .enumerate()
                .map(|(index, a)| {
                    let text = |key: &str| a.get(key).and_then(Value::as_str).map(str::to_owned);
                    AddressEntry {
                        index,
                        id: text("id"),
                        value: text("value").unwrap_or_default(),
                        via: text("via").unwrap_or_default(),
                        verified: a.get("verified").and_then(Value::as_bool).unwrap_or(false),
                        status: text("status").unwrap_or_default(),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What the confirm screen asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialChange {
    /// `DELETE {identities}/{id}/credentials/{type}[?identifier=…]`.
    Remove(CredentialEntry),
    /// `PATCH {identities}/{id}` on the address's `verified`, `status`, `verified_at`.
    Verify { address: AddressEntry, verified: bool },
}

/// A credential removal or address verification as the runtime sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialWriteRequest {
    pub identity_id: String,
    /// The identity's primary identifier, so the audit trail names a person.
    pub identifier: Option<String>,
    pub change: CredentialChange,
    /// The reason line, checked with `write::check_reason`.
    pub why: Option<String>,
}

/// The small screen that says what will change and asks.
#[derive(Debug, Clone)]
pub struct CredentialConfirm {
    pub change: CredentialChange,
    /// The identity: primary identifier and name, sanitised.
    pub who: String,
    pub identifier: Option<String>,
    pub reason: super::review::ReasonLine,
    /// `y` was pressed: the request is on its way.
    pub sending: bool,
}

impl CredentialConfirm {
    /// The title of the box.
    pub fn title(&self) -> &'static str {
        match &self.change {
            CredentialChange::Remove(_) => " Remove a credential ",
            CredentialChange::Verify { verified: true, .. } => " Mark an address verified ",
            CredentialChange::Verify { .. } => " Mark an address unverified ",
        }
    }

    /// What the write does, in words (raw identifiers: sanitise to draw).
    pub fn what(&self) -> String {
        match &self.change {
            CredentialChange::Remove(entry) => {
                format!("They lose {}.", what_is_lost(&entry.kind, entry.identifier.as_deref()))
            }
            CredentialChange::Verify { verified: true, .. } => {
                "Marks it verified (status completed), as if they had followed the verification message.".to_owned()
            }
            CredentialChange::Verify { .. } => {
                "Marks it unverified (status pending): they have to verify it again.".to_owned()
            }
        }
    }
}

/// Whether the detail shows `kind` now, loaded. A draft offer does not
/// take `x` or `v` here: its keys move aside (`d`, `V`; the offer contexts
/// in `app::keymap`), so the entries keep theirs.
pub(super) fn showing(app: &App, kind: SectionKind) -> bool {
    app.detail
        .state
        .as_ref()
        .filter(|d| d.identity.is_some())
        .and_then(|d| d.section())
        .is_some_and(|s| s.kind == kind)
}

/// Marks the chosen entries in both sections (after a fill or a move).
pub(super) fn rebuild(app: &mut App) {
    let now = app.chrome.now;
    let Some(detail) = app.detail.state.as_mut() else {
        return;
    };
    let Some(identity) = detail.identity.as_ref() else {
        return;
    };
    let credentials = credential_entries(identity).len();
    let addresses = address_entries(identity).len();
    detail.entries.credential = detail.entries.credential.min(credentials.saturating_sub(1));
    detail.entries.address = detail.entries.address.min(addresses.saturating_sub(1));
    for section in &mut detail.sections {
        let selected = match section.kind {
            SectionKind::Credentials => detail.entries.credential,
            SectionKind::Addresses => detail.entries.address,
            _ => continue,
        };
        if let Some(lines) = super::sections::marked(section.kind, identity, now, selected) {
            section.lines = lines;
            section.view.refresh(&section.lines);
        }
    }
}

/// Scrolls the section so the `▶` line can be seen.
fn keep_in_view(app: &mut App, viewport: Viewport) {
    let Some(detail) = app.detail.state.as_mut() else {
        return;
    };
    let Some(section) = detail.sections.get_mut(detail.current) else {
        return;
    };
    let Some(marked) = section.lines.iter().position(|l| l.text().starts_with('▶')) else {
        return;
    };
    let all_rows = rows(&section.lines, viewport.width, section.view.wrap);
    let row = all_rows.iter().position(|r| r.line >= marked).unwrap_or(0);
    let height = section.view.body_height(viewport.height);
    if row < section.view.scroll {
        section.view.scroll = row;
    } else if row >= section.view.scroll + height {
        section.view.scroll = row + 1 - height;
    }
}

/// A key on the Credentials or Addresses section that is theirs; `None`
/// when the detail's usual handling should take it.
pub(super) fn on_action(app: &mut App, action: Action, viewport: Viewport) -> Option<Vec<Effect>> {
    let on_credentials = showing(app, SectionKind::Credentials);
    if !on_credentials && !showing(app, SectionKind::Addresses) {
        return None;
    }
    let detail = app.detail.state.as_mut()?;
    let identity = detail.identity.as_ref()?;
    let count = if on_credentials {
        credential_entries(identity).len()
    } else {
        address_entries(identity).len()
    };
    match action {
        Action::Down | Action::Up | Action::Top | Action::Bottom => {
            let last = count.saturating_sub(1);
            let chosen = if on_credentials {
                &mut detail.entries.credential
            } else {
                &mut detail.entries.address
            };
            *chosen = match action {
                Action::Down => (*chosen + 1).min(last),
                Action::Up => chosen.saturating_sub(1),
                Action::Top => 0,
                _ => last,
            };
            rebuild(app);
            keep_in_view(app, viewport);
            Some(Vec::new())
        }
        Action::RemoveCredential if on_credentials => Some(ask(app)),
        Action::ToggleVerified if !on_credentials => Some(ask(app)),
        _ => None,
    }
}

/// The identity's primary identifier and "identifier  name" to show.
fn who(app: &App) -> (Option<String>, String) {
    let Some(identity) = app.detail.identity() else {
        return (None, String::new());
    };
    let traits = identity.get("traits").unwrap_or(&Value::Null);
    let schema = identity.get("schema_id").and_then(Value::as_str).unwrap_or_default();
    let identifier = crate::app::rows::primary_identifier(traits, app.schemas.hints.get(schema));
    let name = crate::app::rows::display_name(traits);
    let shown = match (&identifier, name) {
        (Some(i), Some(n)) => format!("{}  {}", for_display(i), for_display(&n)),
        (Some(i), None) => for_display(i).into_owned(),
        (None, Some(n)) => for_display(&n).into_owned(),
        (None, None) => "(no identifier)".to_owned(),
    };
    (identifier, shown)
}

/// `x` or `v`: refused on a read-only profile (recorded, nothing sent) and
/// for what Kratos cannot remove, else the confirm screen.
fn ask(app: &mut App) -> Vec<Effect> {
    let on_credentials = showing(app, SectionKind::Credentials);
    let Some(detail) = app.detail.state.as_ref() else {
        return Vec::new();
    };
    let Some(identity) = detail.identity.as_ref() else {
        return Vec::new();
    };
    if detail.entries.confirm.as_ref().is_some_and(|c| c.sending) {
        app.chrome.status = Status::Info("A change is on its way; wait for its answer".into());
        return Vec::new();
    }
    let identity_id = detail.id.clone();
    let change = if on_credentials {
        match credential_entries(identity).into_iter().nth(detail.entries.credential) {
            Some(entry) => CredentialChange::Remove(entry),
            None => {
                app.chrome.status = Status::Info("No credential to remove".into());
                return Vec::new();
            }
        }
    } else {
        match address_entries(identity).into_iter().nth(detail.entries.address) {
            Some(address) => {
                let verified = !address.verified;
                CredentialChange::Verify { address, verified }
            }
            None => {
                app.chrome.status = Status::Info("No verifiable address".into());
                return Vec::new();
            }
        }
    };
    if app.profile.read_only {
        let what = match &change {
            CredentialChange::Remove(_) => "removing a credential",
            CredentialChange::Verify { .. } => "changing whether an address is verified",
        };
        let reason = format!(
            "profile \"{}\" is read-only: {what} was refused, nothing was signed or sent",
            app.profile.name
        );
        app.chrome.status = Status::Error(for_display(&reason).into_owned());
        return vec![Effect::AuditRefusal {
            identity_id: Some(identity_id),
            reason,
        }];
    }
    if let CredentialChange::Remove(entry) = &change
        && let Some(why) = never_removable(&entry.kind)
    {
        app.chrome.status = Status::Error(format!("Not removable: {}", for_display(&why)));
        return Vec::new();
    }
    let (identifier, shown) = who(app);
    let reason = super::review::ReasonLine::offered(app.history.last_reason.as_deref());
    if let Some(detail) = app.detail.state.as_mut() {
        detail.entries.confirm = Some(CredentialConfirm {
            change,
            who: shown,
            identifier,
            reason,
            sending: false,
        });
    }
    app.chrome.status = Status::None;
    Vec::new()
}

/// A key on the confirm screen: `y` sends, `n`/Esc goes back, `r` the reason.
pub(super) fn on_confirm_action(app: &mut App, action: Action, key: KeyEvent) -> Vec<Effect> {
    let required = app.profile.require_reason;
    let profile = app.profile.name.clone();
    let Some(detail) = app.detail.state.as_mut() else {
        return Vec::new();
    };
    let identity_id = detail.id.clone();
    let Some(confirm) = detail.entries.confirm.as_mut() else {
        return Vec::new();
    };
    if confirm.reason.editing() {
        if let Some(status) = confirm.reason.on_key(action, key) {
            app.chrome.status = status;
        }
        return Vec::new();
    }
    match action {
        Action::Back if !confirm.sending => {
            detail.entries.confirm = None;
            app.chrome.status = Status::Info("Nothing was sent".into());
        }
        Action::Reason if !confirm.sending => app.chrome.status = confirm.reason.edit(),
        Action::Send if !confirm.sending => match confirm.reason.for_sending(required, &profile) {
            Err(status) => app.chrome.status = status,
            Ok(why) => {
                confirm.sending = true;
                let request = CredentialWriteRequest {
                    identity_id,
                    identifier: confirm.identifier.clone(),
                    change: confirm.change.clone(),
                    why: why.clone(),
                };
                app.history.last_reason = why;
                app.chrome.status = Status::Info("Sending…".into());
                app.begin(Task::CredentialWrite);
                return vec![Effect::CredentialWrite(Box::new(request))];
            }
        },
        _ => {}
    }
    Vec::new()
}

/// Typing or a paste while the reason line has the keys.
pub(super) fn on_confirm_paste(app: &mut App, text: &str) {
    if let Some(confirm) = app.detail.state.as_mut().and_then(|d| d.entries.confirm.as_mut()) {
        confirm.reason.paste(text);
    }
}

/// What became of the write: said on the status line, and the identity
/// read again (it changed, or the answer was lost).
pub(super) fn on_write_done(app: &mut App, identity_id: String, result: Result<String, String>) -> Vec<Effect> {
    app.chrome.finish(Task::CredentialWrite);
    app.chrome.status = match &result {
        Ok(done) => Status::Info(for_display(done).into_owned()),
        Err(error) => Status::Error(for_display(error).into_owned()),
    };
    let Some(detail) = app.detail.state.as_mut().filter(|d| d.id == identity_id) else {
        return Vec::new(); // the user has left this identity already
    };
    detail.entries.confirm = None;
    detail.loading = true;
    app.begin(Task::Identity);
    vec![Effect::LoadIdentity { id: identity_id }]
}
