//! The identity's Sessions section (issue 17): its sessions newest first as
//! the server lists them (`GET {identities}/{id}/sessions`, Kratos's
//! `identity/handler.go` `listIdentitySessions` via
//! `session/handler.go` `adminListIdentitySessions`), read a page at a
//! time when the section is first shown and as the selection reaches the
//! last session read. `a` asks for the active ones only (Kratos's `active`
//! filter). Every piece of a session is written by the server or by the
//! client that signed in (user agent, location): all of it is sanitised.

use chrono::{DateTime, Utc};

use super::detail::SectionKind;
use super::doc::{StyledLine, Tone};
use super::keys::Action;
use super::text_view::{Viewport, rows};
use super::time::{absolute, relative};
use super::{App, Effect, Status, Task};
use crate::api::sessions::{Session, SessionPage, SessionState};
use crate::sanitize::for_display;

/// Sessions one request asks for: a screenful or two, so an identity with
/// thousands of sessions opens at once and reads more only when scrolled to.
pub const PAGE_SIZE: u32 = 50;

/// The sessions of the identity open, as far as they are read.
#[derive(Debug, Clone, Default)]
pub struct SessionsState {
    /// The first page was asked for (the section has been shown).
    pub requested: bool,
    /// `a`: only the active sessions are listed.
    pub active_only: bool,
    /// The sessions read so far, in the server's order (newest first).
    pub items: Vec<Session>,
    /// The page to ask for next; `None` once the last one has come.
    pub next_page: Option<u32>,
    /// A page is on its way.
    pub loading: bool,
    /// Why the last page could not be read (sanitised when drawn).
    pub error: Option<String>,
    /// How many sessions match, when the server says (`X-Total-Count`).
    pub total: Option<u64>,
    /// The session `x` and `+` act on.
    pub selected: usize,
    /// The confirm screen of `x`, `X` or `+`, while it is open.
    pub confirm: Option<SessionConfirm>,
}

impl SessionsState {
    /// The selected session, when there is one.
    pub fn selected(&self) -> Option<&Session> {
        self.items.get(self.selected)
    }
}

/// Whether the detail shows the Sessions section now.
pub(super) fn showing(app: &App) -> bool {
    app.detail
        .state
        .as_ref()
        .and_then(|d| d.section())
        .is_some_and(|s| s.kind == SectionKind::Sessions)
}

/// A section was chosen: when it is Sessions, its first page is asked for once.
pub(super) fn on_shown_if(app: &mut App) -> Vec<Effect> {
    if showing(app) { on_shown(app) } else { Vec::new() }
}

/// The section was just shown: its first page is asked for once.
pub(super) fn on_shown(app: &mut App) -> Vec<Effect> {
    let Some(detail) = app.detail.state.as_mut() else {
        return Vec::new();
    };
    if detail.identity.is_none() || detail.sessions.requested {
        return Vec::new();
    }
    start(app)
}

/// Reads the sessions again from the first page (keeping the filter).
pub(super) fn start(app: &mut App) -> Vec<Effect> {
    let now = app.chrome.now;
    let Some(detail) = app.detail.state.as_mut() else {
        return Vec::new();
    };
    let active_only = detail.sessions.active_only;
    let selected = detail.sessions.selected;
    detail.sessions = SessionsState {
        requested: true,
        active_only,
        loading: true,
        // Kept across a refresh, so the cursor stays near the session acted on.
        selected,
        ..SessionsState::default()
    };
    let identity_id = detail.id.clone();
    rebuild(app, now);
    app.begin(Task::Sessions);
    vec![Effect::LoadSessions {
        identity_id,
        active_only,
        page: 0,
    }]
}

/// Asks for the next page when the selection is on the last session read.
fn more_if_at_end(app: &mut App) -> Vec<Effect> {
    let Some(detail) = app.detail.state.as_mut() else {
        return Vec::new();
    };
    let sessions = &mut detail.sessions;
    let at_end = sessions.selected + 1 >= sessions.items.len();
    match sessions.next_page {
        Some(page) if at_end && !sessions.loading && sessions.error.is_none() => {
            sessions.loading = true;
            let effect = Effect::LoadSessions {
                identity_id: detail.id.clone(),
                active_only: sessions.active_only,
                page,
            };
            let now = app.chrome.now;
            rebuild(app, now);
            app.begin(Task::Sessions);
            vec![effect]
        }
        _ => Vec::new(),
    }
}

/// A key on the Sessions section that is its own; `None` when the detail's
/// usual handling should take it.
pub(super) fn on_action(app: &mut App, action: Action, viewport: Viewport) -> Option<Vec<Effect>> {
    let now = app.chrome.now;
    let detail = app.detail.state.as_mut()?;
    let sessions = &mut detail.sessions;
    match action {
        Action::FilterActive => {
            sessions.active_only = !sessions.active_only;
            let was_loading = sessions.loading;
            app.chrome.status = Status::Info(if sessions.active_only {
                "Sessions: active only (a shows all)".into()
            } else {
                "Sessions: all (a shows active only)".into()
            });
            let mut effects = Vec::new();
            if was_loading {
                effects.push(app.cancel(Task::Sessions));
            }
            effects.extend(start(app));
            Some(effects)
        }
        Action::Reload => {
            let was_loading = sessions.loading;
            let mut effects = Vec::new();
            if was_loading {
                effects.push(app.cancel(Task::Sessions));
            }
            app.chrome.status = Status::Info("Reloading the sessions…".into());
            effects.extend(start(app));
            Some(effects)
        }
        Action::Down | Action::Up | Action::Top | Action::Bottom => {
            let last = sessions.items.len().saturating_sub(1);
            sessions.selected = match action {
                Action::Down => (sessions.selected + 1).min(last),
                Action::Up => sessions.selected.saturating_sub(1),
                Action::Top => 0,
                _ => last,
            };
            rebuild(app, now);
            keep_in_view(app, viewport);
            Some(more_if_at_end(app))
        }
        Action::RevokeSession | Action::RevokeAllSessions | Action::ExtendSession => Some(ask(app, action)),
        _ => None,
    }
}

/// A page of sessions arrived (or could not be read).
pub(super) fn on_loaded(
    app: &mut App,
    identity_id: String,
    active_only: bool,
    page: u32,
    result: Result<SessionPage, String>,
) -> Vec<Effect> {
    let now = app.chrome.now;
    let Some(detail) = app.detail.state.as_mut().filter(|d| d.id == identity_id) else {
        return Vec::new(); // the user has left this identity already
    };
    let sessions = &mut detail.sessions;
    let expected = sessions.next_page.unwrap_or(0);
    if !sessions.loading || sessions.active_only != active_only || page != expected {
        return Vec::new(); // an answer to a question no longer asked
    }
    app.chrome.finish(Task::Sessions);
    sessions.loading = false;
    match result {
        Ok(loaded) => {
            let count = loaded.items.len();
            // Each session once: a page that repeats one already read (rows
            // added or removed meanwhile) does not show it twice.
            for session in loaded.items {
                if !sessions.items.iter().any(|s| s.id == session.id) {
                    sessions.items.push(session);
                }
            }
            sessions.total = loaded.total.or(sessions.total);
            sessions.selected = sessions.selected.min(sessions.items.len().saturating_sub(1));
            let read = u64::try_from(sessions.items.len()).unwrap_or(u64::MAX);
            let full = u32::try_from(count).is_ok_and(|c| c >= PAGE_SIZE);
            let more = full && sessions.total.is_none_or(|total| read < total);
            sessions.next_page = more.then(|| page.saturating_add(1));
            sessions.error = None;
            if matches!(&app.chrome.status, Status::Info(s) if s.starts_with("Reloading the sessions")) {
                app.chrome.status = Status::None;
            }
        }
        Err(error) => {
            sessions.next_page = Some(page);
            app.chrome.status = Status::Error(format!(
                "Reading the sessions failed: {} — press r to retry",
                for_display(&error)
            ));
            sessions.error = Some(error);
        }
    }
    rebuild(app, now);
    Vec::new()
}

/// Puts the section's lines in place from the sessions read so far.
pub(super) fn rebuild(app: &mut App, now: DateTime<Utc>) {
    let Some(detail) = app.detail.state.as_mut() else {
        return;
    };
    let (lines, _) = lines(&detail.sessions, now);
    if let Some(section) = detail.sections.iter_mut().find(|s| s.kind == SectionKind::Sessions) {
        section.lines = lines;
        section.view.refresh(&section.lines);
    }
}

/// Scrolls the section so the selected session can be seen whole (or its
/// first line, when it is taller than the view).
fn keep_in_view(app: &mut App, viewport: Viewport) {
    let now = app.chrome.now;
    let Some(detail) = app.detail.state.as_mut() else {
        return;
    };
    let (_, starts) = lines(&detail.sessions, now);
    let Some(section) = detail.sections.iter_mut().find(|s| s.kind == SectionKind::Sessions) else {
        return;
    };
    let Some(&first_line) = starts.get(detail.sessions.selected) else {
        return;
    };
    let end_line = starts
        .get(detail.sessions.selected + 1)
        .copied()
        .unwrap_or(section.lines.len());
    let all_rows = rows(&section.lines, viewport.width, section.view.wrap);
    let first = all_rows.iter().position(|r| r.line >= first_line).unwrap_or(0);
    let end = all_rows
        .iter()
        .position(|r| r.line >= end_line)
        .unwrap_or(all_rows.len());
    let height = section.view.body_height(viewport.height);
    if first < section.view.scroll {
        section.view.scroll = first;
    } else if end > section.view.scroll + height {
        section.view.scroll = end.saturating_sub(height).min(first);
    }
}

/// The section's lines, and the line each session starts at.
pub fn lines(state: &SessionsState, now: DateTime<Utc>) -> (Vec<StyledLine>, Vec<usize>) {
    let mut out = Vec::new();
    let mut starts = Vec::new();
    let filter = if state.active_only {
        "active only (a: all)"
    } else {
        "all (a: active only)"
    };
    let count = match state.total {
        Some(total) => format!("{} of {total} read", state.items.len()),
        None => format!("{} read", state.items.len()),
    };
    let mut head = StyledLine::toned(Tone::Heading, "sessions, newest first");
    head.push(Tone::Muted, format!("  ·  {filter}  ·  {count}"));
    out.push(head);
    if !state.requested {
        out.push(StyledLine::toned(Tone::Muted, "  (read when this section is shown)"));
        return (out, starts);
    }
    if state.items.is_empty() && !state.loading && state.error.is_none() {
        out.push(StyledLine::toned(
            Tone::Muted,
            if state.active_only {
                "  No active sessions."
            } else {
                "  No sessions."
            },
        ));
    }
    for (index, session) in state.items.iter().enumerate() {
        out.push(StyledLine::default());
        starts.push(out.len());
        out.extend(session_lines(session, index == state.selected, now));
    }
    if state.loading {
        out.push(StyledLine::default());
        out.push(StyledLine::toned(Tone::Muted, "  loading sessions…"));
    } else if let Some(error) = &state.error {
        out.push(StyledLine::default());
        out.push(StyledLine::toned(
            Tone::Bad,
            format!("  ✗ {} — r retries", for_display(error)),
        ));
    } else if state.next_page.is_some() {
        out.push(StyledLine::default());
        out.push(StyledLine::toned(
            Tone::Muted,
            "  more below: ↓ at the last one reads them",
        ));
    }
    (out, starts)
}

/// A time as "2026-01-02 03:04:05 UTC (in 3 h)", or the text as it came.
fn when(raw: Option<&str>, parsed: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match (parsed, raw) {
        (Some(t), _) => format!("{} ({})", absolute(t), relative(t, now)),
        (None, Some(raw)) => for_display(raw).into_owned(),
        (None, None) => "—".to_owned(),
    }
}

fn session_lines(session: &Session, selected: bool, now: DateTime<Utc>) -> Vec<StyledLine> {
    let state = session.state(now);
    let state_tone = match state {
        SessionState::Active => Tone::Good,
        SessionState::Expired => Tone::Muted,
        SessionState::Inactive => Tone::Bad,
    };
    let marker = if selected { "▶ " } else { "  " };
    let mut first = StyledLine::toned(if selected { Tone::Heading } else { Tone::Plain }, marker);
    first.push(Tone::Key, for_display(session.short_id()).into_owned());
    first.push(Tone::Plain, "  ");
    first.push(state_tone, format!("{:<8}", state.as_str()));
    let aal = session.authenticator_assurance_level.as_deref().unwrap_or("—");
    first.push(Tone::Label, "  AAL ");
    first.push(Tone::Plain, for_display(aal).into_owned());
    let methods = session.methods_text();
    first.push(Tone::Label, "  methods ");
    first.push(
        Tone::Plain,
        if methods.is_empty() {
            "—".to_owned()
        } else {
            for_display(&methods).into_owned()
        },
    );
    let mut lines = vec![first];
    lines.push(StyledLine::field(
        "    authenticated",
        when(
            session.authenticated_at.as_deref(),
            session.authenticated_at_time(),
            now,
        ),
        Tone::Plain,
    ));
    lines.push(StyledLine::field(
        "    expires",
        when(session.expires_at.as_deref(), session.expires_at_time(), now),
        Tone::Plain,
    ));
    if session.devices.is_empty() {
        lines.push(StyledLine::toned(Tone::Muted, "    no device recorded"));
    }
    for device in &session.devices {
        let part = |value: Option<&str>| match value.filter(|v| !v.is_empty()) {
            Some(v) => for_display(v).into_owned(),
            None => "—".to_owned(),
        };
        let mut line = StyledLine::toned(Tone::Label, "    device ");
        line.push(Tone::Plain, format!("{:<15}", part(device.ip_address.as_deref())));
        line.push(Tone::Muted, "  ");
        line.push(Tone::Plain, part(device.location.as_deref()));
        line.push(Tone::Muted, "  ");
        line.push(Tone::Str, part(device.user_agent.as_deref()));
        lines.push(line);
    }
    lines
}

// ----- x, X and + : revoke one, revoke all, extend ---------------------------

/// Which session write the confirm screen asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionWriteKind {
    /// `x`: `DELETE {sessions}/{id}` (Kratos deactivates it:
    /// `session/handler.go` `disableSession`).
    Revoke { session_id: String },
    /// `X`: `DELETE {identities}/{id}/sessions` (Kratos deletes them:
    /// `session/handler.go` `deleteIdentitySessions`).
    RevokeAll,
    /// `+`: `PATCH {sessions}/{id}/extend` (Kratos moves `expires_at` to now
    /// plus the session lifespan: `session/handler.go` `adminSessionExtend`).
    Extend { session_id: String },
}

/// A session write as the runtime sends it: signed, audited (intent and
/// outcome, the session id, never a token), with the review's reason.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionWriteRequest {
    pub identity_id: String,
    /// The identity's primary identifier, so the audit trail names a person.
    pub identifier: Option<String>,
    pub kind: SessionWriteKind,
    /// The session as it was when asked (for the audit's old value).
    pub session: Option<Session>,
    /// The reason line, checked with `write::check_reason`.
    pub why: Option<String>,
}

/// The small screen that says what a session write will do and asks.
#[derive(Debug, Clone)]
pub struct SessionConfirm {
    pub kind: SessionWriteKind,
    /// The identity: primary identifier and name (`crate::who`), sanitised.
    pub who: String,
    pub identifier: Option<String>,
    /// The session chosen (for `x` and `+`).
    pub session: Option<Session>,
    /// The same reason line as the identity review's (`r`).
    pub reason: super::review::ReasonLine,
    /// `y` was pressed: the request is on its way.
    pub sending: bool,
}

impl SessionConfirm {
    /// What the write does, in words, for the confirm screen.
    pub fn what(&self) -> &'static str {
        match self.kind {
            SessionWriteKind::Revoke { .. } => {
                "Revoke this session: Kratos deactivates it (it stays in the list, inactive) and whoever holds it is signed out."
            }
            SessionWriteKind::RevokeAll => {
                "Revoke ALL sessions of this identity: Kratos deletes them and every device is signed out."
            }
            SessionWriteKind::Extend { .. } => {
                "Extend this session: its expiry moves to now plus the server's session lifespan (an expired one is active again)."
            }
        }
    }
}

/// The identity's primary identifier and "identifier  name" to show.
fn who(app: &App) -> (Option<String>, String) {
    let Some(identity) = app.detail.identity() else {
        return (None, String::new());
    };
    let traits = identity.get("traits").unwrap_or(&serde_json::Value::Null);
    let schema = identity
        .get("schema_id")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
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

/// `x`, `X` or `+`: refused on a read-only profile (recorded, nothing
/// sent), else the confirm screen.
pub(super) fn ask(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(detail) = app.detail.state.as_ref() else {
        return Vec::new();
    };
    if detail.sessions.confirm.as_ref().is_some_and(|c| c.sending) {
        app.chrome.status = Status::Info("A session write is on its way; wait for its answer".into());
        return Vec::new();
    }
    let identity_id = detail.id.clone();
    let selected = detail.sessions.selected().cloned();
    let kind = match (action, &selected) {
        (Action::RevokeAllSessions, _) => SessionWriteKind::RevokeAll,
        (Action::RevokeSession, Some(s)) => SessionWriteKind::Revoke {
            session_id: s.id.clone(),
        },
        (Action::ExtendSession, Some(s)) => SessionWriteKind::Extend {
            session_id: s.id.clone(),
        },
        _ => {
            app.chrome.status = Status::Info("No session chosen: ↑/↓ choose one".into());
            return Vec::new();
        }
    };
    if app.profile.read_only {
        let what = match kind {
            SessionWriteKind::Revoke { .. } => "revoking a session",
            SessionWriteKind::RevokeAll => "revoking all sessions",
            SessionWriteKind::Extend { .. } => "extending a session",
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
    let (identifier, shown) = who(app);
    let reason = super::review::ReasonLine::offered(app.history.last_reason.as_deref());
    let session = match kind {
        SessionWriteKind::RevokeAll => None,
        _ => selected,
    };
    if let Some(detail) = app.detail.state.as_mut() {
        detail.sessions.confirm = Some(SessionConfirm {
            kind,
            who: shown,
            identifier,
            session,
            reason,
            sending: false,
        });
    }
    app.chrome.status = Status::None;
    Vec::new()
}

/// A key on the confirm screen: `y` sends, `n`/Esc goes back, `r` the reason.
pub(super) fn on_confirm_action(app: &mut App, action: Action, key: crossterm::event::KeyEvent) -> Vec<Effect> {
    let required = app.profile.require_reason;
    let profile = app.profile.name.clone();
    let Some(detail) = app.detail.state.as_mut() else {
        return Vec::new();
    };
    let identity_id = detail.id.clone();
    let Some(confirm) = detail.sessions.confirm.as_mut() else {
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
            detail.sessions.confirm = None;
            app.chrome.status = Status::Info("Nothing was sent".into());
        }
        Action::Reason if !confirm.sending => app.chrome.status = confirm.reason.edit(),
        Action::Send if !confirm.sending => match confirm.reason.for_sending(required, &profile) {
            Err(status) => app.chrome.status = status,
            Ok(why) => {
                confirm.sending = true;
                let request = SessionWriteRequest {
                    identity_id,
                    identifier: confirm.identifier.clone(),
                    kind: confirm.kind.clone(),
                    session: confirm.session.clone(),
                    why: why.clone(),
                };
                app.history.last_reason = why;
                app.chrome.status = Status::Info("Sending…".into());
                app.begin(Task::SessionWrite);
                return vec![Effect::SessionWrite(Box::new(request))];
            }
        },
        _ => {}
    }
    Vec::new()
}

/// Typing or a paste while the reason line has the keys.
pub(super) fn on_confirm_paste(app: &mut App, text: &str) {
    if let Some(confirm) = app.detail.state.as_mut().and_then(|d| d.sessions.confirm.as_mut()) {
        confirm.reason.paste(text);
    }
}

/// What became of a session write: said on the status line, and the
/// sessions read again (they changed, or the answer was lost).
pub(super) fn on_write_done(app: &mut App, identity_id: String, result: Result<String, String>) -> Vec<Effect> {
    app.chrome.finish(Task::SessionWrite);
    let Some(detail) = app.detail.state.as_mut().filter(|d| d.id == identity_id) else {
        tell(app, result, true);
        return Vec::new();
    };
    // Not asked from the confirm screen: it followed a deactivation's PUT.
    let follow_up = detail.sessions.confirm.take().is_none();
    let was_loading = detail.sessions.loading;
    // Read again only when the section has been read: else it is read
    // when first shown, as always.
    let requested = detail.sessions.requested;
    let mut effects = Vec::new();
    if was_loading {
        effects.push(app.cancel(Task::Sessions));
    }
    if requested {
        effects.extend(start(app));
    }
    tell(app, result, follow_up);
    effects
}

/// The answer of a session write on the status line; a `follow_up` of a
/// deactivation's PUT comes after what the status said of that PUT (saved,
/// a late answer), so both are read.
fn tell(app: &mut App, result: Result<String, String>, follow_up: bool) {
    let (text, failed) = match result {
        Ok(done) => (for_display(&done).into_owned(), false),
        Err(error) => (format!("Sessions: {}", for_display(&error)), true),
    };
    let before = match &app.chrome.status {
        Status::Info(s) | Status::Error(s) if follow_up && !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    let text = match before {
        Some(before) => format!("{before} · {text}"),
        None => text,
    };
    app.chrome.status = if failed {
        Status::Error(text)
    } else {
        Status::Info(text)
    };
}

/// After a state form's PUT: when it deactivated the identity and "also
/// revoke all sessions" was on, and the server answered with the identity
/// inactive, the revoke-all goes out (audited on its own, with the same
/// reason). Called before the review takes the form away.
pub(super) fn revoke_after_deactivation(app: &mut App, outcome: &super::review::WriteOutcome) -> Vec<Effect> {
    let Some(form) = app.edit.form.as_ref() else {
        return Vec::new();
    };
    let super::forms::FormBody::State(state) = &form.body else {
        return Vec::new();
    };
    if state.sent != Some(false) || !state.revoke_sessions {
        return Vec::new();
    }
    let super::review::WriteOutcome::Answered {
        identity: Some(identity),
        ..
    } = outcome
    else {
        return Vec::new(); // not applied: the sessions stay as they are
    };
    if identity.get("state").and_then(serde_json::Value::as_str) != Some("inactive") {
        return Vec::new();
    }
    let identity_id = form.identity_id.clone();
    let traits = identity.get("traits").unwrap_or(&serde_json::Value::Null);
    let schema = identity
        .get("schema_id")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    let identifier = crate::app::rows::primary_identifier(traits, app.schemas.hints.get(schema));
    let request = SessionWriteRequest {
        identity_id,
        identifier,
        kind: SessionWriteKind::RevokeAll,
        session: None,
        why: app.history.last_reason.clone(),
    };
    app.begin(Task::SessionWrite);
    vec![Effect::SessionWrite(Box::new(request))]
}
