//! The request history (`H`): every request answered in this run, and the
//! audit trail of the identity `H` was pressed on.

use super::keys::Action;
use super::response::ResponseView;
use super::{App, AuditLines, Effect, Screen, Status, Task};

#[derive(Debug)]
pub struct History {
    /// Every request answered in this run, newest last.
    pub entries: Vec<ResponseView>,
    pub selected: usize,
    /// The audit trail of the identity `H` was pressed on: its id and lines
    /// (`None` while loading).
    pub audit: Option<(String, Option<AuditLines>)>,
    /// The response screen shows an entry of this list: Esc comes back here.
    pub showing: bool,
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
            return_to: Screen::List,
        }
    }
}

impl History {
    /// Keeps an answered request.
    pub(super) fn record(&mut self, response: &ResponseView) {
        self.entries.push(response.clone());
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
            if let Some(response) = history.entries.get(history.selected) {
                let mut again = response.clone();
                again.scroll = 0;
                app.edit.response = Some(again);
                history.showing = true;
                app.screen = Screen::Response;
            }
        }
        _ => {}
    }
    Vec::new()
}
