//! Deleting the identity open (`Ctrl-D` on its detail, issue 18).
//!
//! The delete screen shows everything that goes: who (primary identifier and
//! name), state, schema, every trait and metadata value, each credential by
//! type with its identifiers (never a config), and how many sessions go too
//! (read when the screen opens, [`Effect::CountDeleteSessions`]). The user
//! types the identity's primary identifier (its id when it has none) into a
//! field; Enter sends only when it matches exactly. Tab edits the reason
//! line (`require_reason` honoured, the run's last reason offered).
//!
//! The runtime reads the identity again just before the `DELETE`
//! ([`Effect::DeleteIdentity`]); if what would be lost changed, nothing is
//! sent and the screen shows what changed, with the new values, and asks
//! again (Enter once more; retyping when the identifier itself changed).
//! The `DELETE` is audited with the redacted snapshot of what was deleted
//! (`api::delete::snapshot_changes`). Afterwards the console is back on the
//! list with the row gone and a status line. A read-only profile is refused
//! before the screen opens (a refusal line in the audit trail, no request).

use crossterm::event::KeyEvent;
use serde_json::Value;

use super::history::{Outcome, Request, Who};
use super::input::TextInput;
use super::keys::{Action, Context};
use super::response::ResponseView;
use super::review::ReasonLine;
use super::{App, DetailScreen, Effect, Screen, Status, Task};
use crate::api::delete::{self as deleting, CredentialEntry};
use crate::diff::Change;
use crate::sanitize::for_display;

/// The sessions that go with the identity, as far as known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionCount {
    Reading,
    /// How many; `more` when the server gave no total and a full page came.
    Known {
        count: usize,
        more: bool,
    },
    /// Why they could not be read (raw: sanitise to draw it).
    Unknown(String),
}

/// Where the screen stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Typing the identifier (or, with the reason line editing, the reason).
    Confirm,
    /// The `DELETE` is on its way (after the runtime's re-read).
    Sending,
}

/// The delete screen's state.
#[derive(Debug, Clone)]
pub struct DeleteScreen {
    pub identity_id: String,
    /// Who it is (raw: [`Who::label`] sanitises).
    pub who: Who,
    /// The identity as read (the detail's, or the runtime's re-read).
    pub identity: Value,
    /// What is deleted, redacted ([`deleting::snapshot`]).
    pub snapshot: Value,
    pub credentials: Vec<CredentialEntry>,
    pub sessions: SessionCount,
    /// What the user typed to confirm.
    pub typed: TextInput,
    pub reason: ReasonLine,
    pub stage: Stage,
    /// What changed on the server since the screen was first shown (the
    /// re-read before sending found it), redacted.
    pub changed: Vec<Change>,
    /// Why the last attempt failed (raw: sanitise to draw it).
    pub error: Option<String>,
    /// The request history's entry of the attempt in flight.
    entry: Option<usize>,
}

impl DeleteScreen {
    /// What must be typed: the primary identifier, else the id.
    pub fn expected(&self) -> &str {
        deleting::confirmation_text(self.who.identifier.as_deref(), &self.identity_id)
    }

    /// Whether what was typed is exactly [`DeleteScreen::expected`].
    pub fn matches(&self) -> bool {
        self.typed.text() == self.expected()
    }
}

/// What the runtime sends: read again, compare with `snapshot`, then the
/// audited `DELETE` (never a secret: the snapshot is redacted).
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteOrder {
    pub identity_id: String,
    /// The primary identifier, so the audit trail names a person.
    pub identifier: Option<String>,
    /// The reason line, checked with `write::check_reason`.
    pub why: Option<String>,
    /// What the user saw and agreed to lose.
    pub snapshot: Value,
}

/// What became of a delete ([`Effect::DeleteIdentity`]).
#[derive(Debug, Clone, PartialEq)]
pub enum DeleteAnswer {
    /// Deleted: the answer's status and request id, and the exchange for
    /// the request history.
    Deleted {
        status: u16,
        request_id: String,
        response: Option<Box<ResponseView>>,
    },
    /// Gone before the `DELETE` (the re-read's 404) or at it (Kratos's
    /// no-rows 404): someone else deleted it.
    AlreadyGone,
    /// The re-read differs from what was shown: nothing was sent. The
    /// identity as it is now, and what changed (redacted).
    Changed { latest: Value, changes: Vec<Change> },
}

/// [`DeleteAnswer`] for an identity, or why nothing happened.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteDone {
    pub identity_id: String,
    pub result: Result<DeleteAnswer, String>,
}

/// `Ctrl-D` on the identity open: refused on a read-only profile
/// (recorded, nothing sent), else the delete screen.
pub(super) fn open(app: &mut App) -> Vec<Effect> {
    let Some(identity) = app.detail.identity().cloned() else {
        app.chrome.status = Status::Info("Wait until the identity has loaded".into());
        return Vec::new();
    };
    let identity_id = app.detail.id().unwrap_or_default().to_owned();
    if app.profile.read_only {
        let reason = format!(
            "profile \"{}\" is read-only: deleting the identity was refused, nothing was signed or sent",
            app.profile.name
        );
        app.chrome.status = Status::Error(for_display(&reason).into_owned());
        return vec![Effect::AuditRefusal {
            identity_id: Some(identity_id),
            reason,
        }];
    }
    let who = Who::of(app, &identity);
    app.delete = Some(DeleteScreen {
        identity_id: identity_id.clone(),
        who,
        snapshot: deleting::snapshot(&identity),
        credentials: deleting::credential_entries(&identity),
        identity,
        sessions: SessionCount::Reading,
        typed: TextInput::default(),
        reason: ReasonLine::offered(app.history.last_reason.as_deref()),
        stage: Stage::Confirm,
        changed: Vec::new(),
        error: None,
        entry: None,
    });
    app.screen = Screen::Delete;
    app.chrome.status = Status::None;
    app.begin(Task::DeleteSessions);
    vec![Effect::CountDeleteSessions { identity_id }]
}

/// Where the keys go on the delete screen.
pub(super) fn context(app: &App) -> Context {
    match app.delete.as_ref() {
        Some(screen) if screen.stage == Stage::Sending => Context::DeleteSending,
        Some(screen) if screen.reason.editing() => Context::DeleteReason,
        _ => Context::DeleteConfirm,
    }
}

/// Back to the identity, nothing sent.
fn close(app: &mut App, status: Status) -> Vec<Effect> {
    let counting = app.delete.as_ref().is_some_and(|s| s.sessions == SessionCount::Reading);
    app.delete = None;
    app.screen = Screen::Detail;
    app.chrome.status = status;
    if counting {
        return vec![app.cancel(Task::DeleteSessions)];
    }
    Vec::new()
}

/// A key on the delete screen, by its action (see `keys`).
pub(super) fn on_action(app: &mut App, action: Action, key: KeyEvent) -> Vec<Effect> {
    let required = app.profile.require_reason;
    let profile = app.profile.name.clone();
    let Some(screen) = app.delete.as_mut() else {
        app.screen = Screen::Detail;
        return Vec::new();
    };
    if screen.stage == Stage::Sending {
        return Vec::new();
    }
    if screen.reason.editing() {
        if let Some(status) = screen.reason.on_key(action, key) {
            app.chrome.status = status;
        }
        if !screen.reason.editing() && action == Action::Done {
            // The review's words say `y` sends; here Enter does.
            app.chrome.status = Status::Info("Reason kept: it is recorded with the delete".into());
        }
        return Vec::new();
    }
    match action {
        Action::Type => {
            screen.typed.on_key(key);
        }
        Action::Reason => app.chrome.status = screen.reason.edit(),
        Action::Back => {
            return close(app, Status::Info("Nothing was deleted".into()));
        }
        Action::Send if !screen.matches() => {
            app.chrome.status = Status::Error(format!(
                "Not deleted: type {} exactly to delete this identity",
                for_display(screen.expected())
            ));
        }
        Action::Send => match screen.reason.for_sending(required, &profile) {
            Err(status) => app.chrome.status = status,
            Ok(why) => return send(app, why),
        },
        _ => {}
    }
    Vec::new()
}

/// Enter with the identifier typed: the runtime reads again and deletes.
fn send(app: &mut App, why: Option<String>) -> Vec<Effect> {
    let Some(screen) = app.delete.as_mut() else {
        return Vec::new();
    };
    screen.stage = Stage::Sending;
    screen.error = None;
    let order = DeleteOrder {
        identity_id: screen.identity_id.clone(),
        identifier: screen.who.identifier.clone(),
        why: why.clone(),
        snapshot: screen.snapshot.clone(),
    };
    app.chrome.status = Status::Info(format!("Deleting {}…", screen.who.label()));
    // The request history (`H`) lists it from now on.
    app.history.entries.push(Request {
        at: Some(app.chrome.now),
        who: screen.who.clone(),
        changed: vec!["identity deleted, with its credentials and sessions".to_owned()],
        reason: why.clone(),
        outcome: Outcome::Sending,
        response: None,
        late: false,
    });
    screen.entry = Some(app.history.entries.len() - 1);
    app.history.last_reason = why;
    app.begin(Task::Delete);
    vec![Effect::DeleteIdentity(Box::new(order))]
}

/// The sessions' first page: how many go with the identity.
pub(super) fn on_sessions(
    app: &mut App,
    identity_id: String,
    result: Result<crate::api::sessions::SessionPage, String>,
) -> Vec<Effect> {
    app.finish(Task::DeleteSessions);
    let Some(screen) = app.delete.as_mut().filter(|s| s.identity_id == identity_id) else {
        return Vec::new();
    };
    screen.sessions = match result {
        Ok(page) => match page.total.and_then(|t| usize::try_from(t).ok()) {
            Some(total) => SessionCount::Known {
                count: total.max(page.items.len()),
                more: false,
            },
            None => SessionCount::Known {
                count: page.items.len(),
                more: page.items.len() >= crate::app::sessions::PAGE_SIZE as usize,
            },
        },
        Err(why) => SessionCount::Unknown(why),
    };
    Vec::new()
}

/// What the runtime's re-read and `DELETE` gave.
pub(super) fn on_done(app: &mut App, done: DeleteDone) -> Vec<Effect> {
    app.finish(Task::Delete);
    let DeleteDone { identity_id, result } = done;
    let Some(screen) = app.delete.as_mut().filter(|s| s.identity_id == identity_id) else {
        return Vec::new();
    };
    if let Some(request) = screen.entry.take().and_then(|i| app.history.entries.get_mut(i)) {
        match &result {
            Ok(DeleteAnswer::Deleted { response, .. }) => {
                request.outcome = Outcome::Answered;
                request.response = response.as_deref().cloned();
            }
            Ok(DeleteAnswer::AlreadyGone) => {
                request.outcome = Outcome::Failed("nothing to delete: it was already gone".to_owned());
            }
            Ok(DeleteAnswer::Changed { .. }) => request.outcome = Outcome::NotSent,
            Err(why) => request.outcome = Outcome::Failed(why.clone()),
        }
    }
    let label = screen.who.label();
    match result {
        Ok(DeleteAnswer::Deleted { status, request_id, .. }) => gone(
            app,
            &identity_id,
            format!(
                "Deleted {label} ({}) · HTTP {status} · request {}",
                for_display(&identity_id),
                for_display(&request_id)
            ),
        ),
        Ok(DeleteAnswer::AlreadyGone) => gone(
            app,
            &identity_id,
            format!("{label} was already deleted (by someone else): it is no longer on the server"),
        ),
        Ok(DeleteAnswer::Changed { latest, changes }) => {
            let schema = latest.get("schema_id").and_then(Value::as_str).map(str::to_owned);
            let hints = schema.and_then(|s| app.schemas.hints.get(&s).cloned());
            let traits = latest.get("traits").cloned().unwrap_or(Value::Null);
            screen.who.identifier = crate::who::primary_identifier(&traits, hints.as_ref());
            screen.who.name = crate::who::display_name(&traits);
            screen.snapshot = deleting::snapshot(&latest);
            screen.credentials = deleting::credential_entries(&latest);
            screen.identity = latest;
            screen.changed = changes;
            screen.stage = Stage::Confirm;
            app.chrome.status =
                Status::Error("Not deleted: it changed on the server; check the changes, then Enter again".into());
            Vec::new()
        }
        Err(why) => {
            screen.stage = Stage::Confirm;
            app.chrome.status = Status::Error(format!("Not deleted: {}", for_display(&why)));
            screen.error = Some(why);
            Vec::new()
        }
    }
}

/// The identity is gone: back to the list without its row.
fn gone(app: &mut App, identity_id: &str, status: String) -> Vec<Effect> {
    app.delete = None;
    app.detail = DetailScreen::default();
    app.screen = Screen::List;
    let rows: Vec<_> = app.list.rows.iter().filter(|r| r.id != identity_id).cloned().collect();
    app.list.set_rows(rows);
    if let Some(stash) = app.list.stash.as_mut() {
        stash.rows.retain(|r| r.id != identity_id);
        let mut index = super::rows::SearchIndex::default();
        for row in &stash.rows {
            index.push(row);
        }
        stash.index = index;
    }
    app.chrome.status = Status::Info(status);
    Vec::new()
}

/// A paste goes into the reason line while it has the keys, else into the
/// identifier field (one line).
pub(super) fn on_paste(app: &mut App, text: &str) {
    let Some(screen) = app.delete.as_mut() else {
        return;
    };
    if screen.stage != Stage::Confirm || screen.reason.paste(text) {
        return;
    }
    screen.typed.insert(text.lines().next().unwrap_or_default());
}
