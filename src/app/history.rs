//! The request history (`H`): every write of this run, with when it was
//! sent, who it was about (primary identifier and name, [`crate::who`]),
//! which members it changed, why (the reviewer's reason) and how it ended,
//! and the audit trail of the identity `H` was pressed on.
//!
//! A write is listed from the moment `y` sends it, and its entry follows it
//! to the end: a write the user stopped waiting for (Esc) is still in flight
//! and is listed as "stopped waiting" until its answer arrives; then the same
//! entry takes the real outcome. One request, one entry.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::doc::Tone;
use super::keys::Action;
use super::response::ResponseView;
use super::{App, AuditLines, Effect, Screen, Status, Task};
use crate::sanitize::for_display;

/// Who a write is about, in words a person recognises: the identity's
/// primary identifier and name ([`crate::who`], with the schema's identifier
/// hints) as the server had them when the write was reviewed, and its id.
/// Raw text: sanitised where it is shown ([`Who::label`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Who {
    pub id: String,
    pub identifier: Option<String>,
    pub name: Option<String>,
}

impl Who {
    /// Who `identity` (as the server sent it) is, with the identifier hints
    /// of its schema when the console has loaded it.
    pub fn of(app: &App, identity: &Value) -> Self {
        let id = identity
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let traits = identity.get("traits").unwrap_or(&Value::Null);
        let hints = identity
            .get("schema_id")
            .and_then(Value::as_str)
            .and_then(|schema| app.schemas.hints.get(schema));
        Self {
            id,
            identifier: crate::who::primary_identifier(traits, hints),
            name: crate::who::display_name(traits),
        }
    }

    /// Who the identity `id` is, from what the console has of it: the detail
    /// open, else its list row; only the id when neither holds it.
    pub fn by_id(app: &App, id: &str) -> Self {
        if app.detail.id() == Some(id)
            && let Some(identity) = app.detail.identity()
        {
            return Self::of(app, identity);
        }
        match app.list.rows.iter().find(|row| row.id == id) {
            // Row text is sanitised already; sanitising it again keeps it as is
            // (an escape holds only safe characters).
            Some(row) => Self {
                id: id.to_owned(),
                identifier: Some(row.identifier.clone()).filter(|s| !s.is_empty()),
                name: Some(row.name.clone()).filter(|s| !s.is_empty()),
            },
            None => Self {
                id: id.to_owned(),
                ..Self::default()
            },
        }
    }

    /// "identifier (name)", sanitised, as the forms' titles and the drafts
    /// list name a person ([`super::forms::Named`]); the id when the traits
    /// name nobody.
    pub fn label(&self) -> String {
        let named = super::forms::Named {
            identifier: self.identifier.clone(),
            name: self.name.clone(),
        };
        named
            .label()
            .unwrap_or_else(|| format!("identity {}", for_display(&self.id)))
    }

    /// The identifier alone (or the id), sanitised: for status lines.
    pub fn short(&self) -> String {
        match self.identifier.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(identifier) => for_display(identifier).into_owned(),
            None => for_display(&self.id).into_owned(),
        }
    }
}

/// Where a request of this run stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// In flight; the review waits for it.
    Sending,
    /// In flight, and the user stopped waiting (Esc): the server may still
    /// apply it. The console keeps following it.
    StoppedWaiting,
    /// The server answered; the response says how (`success`, status, and
    /// whether everything sent was kept).
    Answered,
    /// Nothing was sent: the identity had changed on the server since it was
    /// read (the freshness check before the PUT).
    NotSent,
    /// No answer came: why (timeout, refused connection, no audit trail…).
    Failed(String),
}

/// One request of this run.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// When `y` sent it (the app's clock); `None` only for a moment, for a
    /// request recorded without the clock at hand (stamped after the message).
    pub at: Option<DateTime<Utc>>,
    pub who: Who,
    /// The JSON pointers the write changes; for an attribute-registry
    /// update, `attribute NAME`.
    pub changed: Vec<String>,
    /// Why the write was made (the reason given on the review), if any.
    pub reason: Option<String>,
    pub outcome: Outcome,
    /// The answer, once one came.
    pub response: Option<ResponseView>,
    /// The outcome arrived after the user had stopped waiting.
    pub late: bool,
}

impl Request {
    /// How it ended, in a few words, and how to colour it. Sanitised.
    pub fn outcome_label(&self) -> (Tone, String) {
        match (&self.outcome, self.response.as_ref()) {
            (Outcome::Sending, _) => (Tone::Muted, "sending…".to_owned()),
            (Outcome::StoppedWaiting, _) => (Tone::Muted, "stopped waiting…".to_owned()),
            (Outcome::NotSent, _) => (Tone::Bad, "not sent: changed on the server".to_owned()),
            (Outcome::Failed(error), None) => (Tone::Bad, format!("failed: {}", for_display(error))),
            (Outcome::Answered, None) => (Tone::Bad, "no answer".to_owned()),
            (Outcome::Answered | Outcome::Failed(_), Some(response)) => {
                let status = match response.status {
                    Some(status) => format!("{status} {}", for_display(&response.reason)),
                    None => "no answer".to_owned(),
                };
                let status = status.trim_end().to_owned();
                if !response.success {
                    (Tone::Bad, format!("✗ {status}"))
                } else if super::response::all_kept(response) {
                    (Tone::Good, format!("✓ {status}"))
                } else {
                    (Tone::Bad, format!("✗ {status}, not all kept"))
                }
            }
        }
    }

    /// The changed pointers, comma-separated and sanitised; for a request
    /// without them (an attribute-registry update), its method and path.
    pub fn changed_label(&self) -> String {
        if !self.changed.is_empty() {
            return self
                .changed
                .iter()
                .map(|p| for_display(p).into_owned())
                .collect::<Vec<_>>()
                .join(", ");
        }
        match self.response.as_ref() {
            Some(response) => {
                let path = url::Url::parse(&response.url)
                    .map(|u| u.path().to_owned())
                    .unwrap_or_else(|_| response.url.clone());
                format!("{} {}", for_display(&response.method), for_display(&path))
            }
            None => String::new(),
        }
    }
}

#[derive(Debug)]
pub struct History {
    /// Every request of this run, newest last.
    pub entries: Vec<Request>,
    pub selected: usize,
    /// The audit trail of the identity `H` was pressed on: its id and lines
    /// (`None` while loading).
    pub audit: Option<(String, Option<AuditLines>)>,
    /// The response screen shows an entry of this list: Esc comes back here.
    pub showing: bool,
    /// The entry of the write in flight (at most one: a new write waits until
    /// the answer to the last one is in, so each answer finds its request).
    pub following: Option<usize>,
    /// The reason of the last write sent in this run, offered on the next
    /// review (support staff make several writes for one ticket).
    pub last_reason: Option<String>,
    /// Where Esc on the history goes back to.
    return_to: Screen,
}

impl Default for History {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            selected: 0,
            audit: None,
            showing: false,
            following: None,
            last_reason: None,
            return_to: Screen::List,
        }
    }
}

impl History {
    /// Keeps an answered request without following it; its time and who
    /// are filled in after the message ([`after_update`]). Tests fill the
    /// history with it: the console lists every request from the moment it
    /// is sent ([`History::begin`]).
    #[cfg(test)]
    pub(super) fn record(&mut self, response: &ResponseView) {
        self.entries.push(Request {
            at: None,
            who: Who {
                id: response.identity_id.clone().unwrap_or_default(),
                ..Who::default()
            },
            changed: Vec::new(),
            reason: None,
            outcome: Outcome::Answered,
            response: Some(response.clone()),
            late: false,
        });
    }

    /// A write (or an attribute-registry update) just sent: listed now, followed until its answer.
    pub(super) fn begin(&mut self, request: Request) {
        self.entries.push(request);
        self.following = Some(self.entries.len() - 1);
    }

    /// The user stopped waiting for the write in flight.
    pub(super) fn stop_waiting(&mut self) {
        if let Some(entry) = self.following.and_then(|i| self.entries.get_mut(i)) {
            entry.outcome = Outcome::StoppedWaiting;
        }
    }

    /// The write in flight, if any.
    pub fn in_flight(&self) -> Option<&Request> {
        self.following.and_then(|i| self.entries.get(i))
    }

    /// The entry whose answer is `response` (by request id), to name who a
    /// response screen is about.
    pub fn request_of(&self, response: &ResponseView) -> Option<&Request> {
        if response.request_id.is_empty() {
            return None;
        }
        self.entries.iter().rev().find(|entry| {
            entry
                .response
                .as_ref()
                .is_some_and(|r| r.request_id == response.request_id)
        })
    }
}

/// After every message: requests recorded without the clock (see
/// [`History::record`]) get the time and who the identity is.
pub(super) fn after_update(app: &mut App) {
    let now = app.chrome.now;
    let missing: Vec<usize> = app
        .history
        .entries
        .iter()
        .enumerate()
        .rev()
        .take_while(|(_, entry)| entry.at.is_none())
        .map(|(i, _)| i)
        .collect();
    for index in missing {
        let id = app.history.entries[index].who.id.clone();
        let who = if id.is_empty() {
            Who::default()
        } else {
            Who::by_id(app, &id)
        };
        let entry = &mut app.history.entries[index];
        entry.at = Some(now);
        entry.who = who;
    }
}

/// `H`: the requests of this run; on an identity, its audit trail beside them.
pub(super) fn open(app: &mut App) -> Vec<Effect> {
    let history = &mut app.history;
    history.selected = history.entries.len().saturating_sub(1);
    history.return_to = app.screen;
    app.chrome.status = Status::None;
    let from_detail = app.screen == Screen::Detail;
    app.screen = Screen::History;
    match app.detail.id().map(str::to_owned) {
        Some(identity_id) if from_detail => {
            app.history.audit = Some((identity_id.clone(), None));
            app.begin(Task::Audit);
            vec![Effect::LoadAudit { identity_id }]
        }
        _ => {
            app.history.audit = None;
            Vec::new()
        }
    }
}

/// The audit trail's lines arrived (for the identity still shown, or not).
pub(super) fn on_audit(app: &mut App, identity_id: String, result: AuditLines) -> Vec<Effect> {
    app.finish(Task::Audit);
    if let Some((id, lines)) = app.history.audit.as_mut()
        && *id == identity_id
    {
        *lines = Some(result);
    }
    Vec::new()
}

/// A key on the history, by its action (see `keys`).
pub(super) fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    let history = &mut app.history;
    match action {
        Action::Back => app.screen = history.return_to,
        Action::Down => history.selected = (history.selected + 1).min(history.entries.len().saturating_sub(1)),
        Action::Up => history.selected = history.selected.saturating_sub(1),
        Action::Open => {
            let Some(entry) = history.entries.get(history.selected) else {
                return Vec::new();
            };
            match (&entry.response, &entry.outcome) {
                (Some(response), _) => {
                    let mut again = response.clone();
                    again.view = super::text_view::TextView::new(true);
                    app.edit.response = Some(again);
                    history.showing = true;
                    app.screen = Screen::Response;
                }
                (None, Outcome::Sending | Outcome::StoppedWaiting) => {
                    app.chrome.status = Status::Info(format!(
                        "No answer yet for the write to {}: it shows here when it comes",
                        entry.who.short()
                    ));
                }
                (None, Outcome::NotSent) => {
                    app.chrome.status = Status::Info(format!(
                        "Nothing was sent to {}: it had changed on the server since it was read",
                        entry.who.short()
                    ));
                }
                (None, Outcome::Failed(error)) => {
                    app.chrome.status = Status::Error(format!(
                        "No answer from the server for {}: {}",
                        entry.who.short(),
                        for_display(error)
                    ));
                }
                (None, Outcome::Answered) => {}
            }
        }
        _ => {}
    }
    Vec::new()
}
