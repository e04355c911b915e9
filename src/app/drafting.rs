//! Draft tracking: the drafts waiting from earlier sessions (the `D` list,
//! the offer on an identity's detail view), and keeping the open form saved
//! so a dropped SSH session loses nothing. What a draft holds, and how it
//! goes back into a form, is `draft_text`.
//!
//! Saving is an effect like any other: a changed form asks the runtime for a
//! [`Effect::ScheduleDraftSave`], whose [`super::Msg::DraftTick`] saves it (at
//! most once a second), and quitting saves it at once.

use serde_json::Value;

use super::doc::StyledLine;
pub use super::draft_text::{content, content_with, diff_lines, kind_of, restore_into};
use super::forms::Named;
use super::keys::Action;
use super::{App, Effect, Screen, Status, editing};
use crate::drafts::Draft;
use crate::sanitize::for_display;

/// A read-only text screen (a draft's diff).
#[derive(Debug, Clone)]
pub struct TextView {
    pub title: String,
    pub lines: Vec<StyledLine>,
    /// Where the diff is scrolled, wrapped and searched (`text_view`).
    pub view: super::text_view::TextView,
}

#[derive(Debug)]
pub struct Drafting {
    /// Drafts of this profile, known from the start and kept in step.
    pub known: Vec<Draft>,
    /// The row of the drafts list under the cursor.
    pub selected: usize,
    /// The open form changed since its draft was last saved.
    pub dirty: bool,
    /// A save is scheduled ([`Effect::ScheduleDraftSave`] sent, no tick yet).
    scheduled: bool,
    /// The content last saved for the open form (to skip identical saves).
    last_content: Option<Value>,
    /// The draft's diff (`v`), when shown.
    pub text: Option<TextView>,
    /// Where Esc on the drafts list or the diff goes back to.
    return_to: Screen,
}

impl Default for Drafting {
    fn default() -> Self {
        Self {
            known: Vec::new(),
            selected: 0,
            dirty: false,
            scheduled: false,
            last_content: None,
            text: None,
            return_to: Screen::List,
        }
    }
}

/// After every message: keeps drafts in step with the open form. Marks it
/// for saving when its content changed, and forgets the draft once the form
/// is gone after a successful send or an explicit discard.
pub(super) fn track(app: &mut App, form_before: Option<String>) -> Vec<Effect> {
    if let Some(form) = app.edit.form.as_ref() {
        let drafts = &mut app.drafts;
        if !form.modified() && drafts.last_content.is_some() {
            // Edited back to what the server holds (or to a mere
            // reformatting of it): the draft saved meanwhile would restore a
            // change nobody wants any more.
            drafts.last_content = None;
            drafts.dirty = false;
            let identity_id = form.identity_id.clone();
            drafts.known.retain(|d| d.identity_id != identity_id);
            return vec![Effect::RemoveDraft { identity_id }];
        }
        let content = content_with(form, &app.profile.issuance_token_pointer);
        if content.is_some() && content != drafts.last_content {
            drafts.dirty = true;
            if !drafts.scheduled {
                drafts.scheduled = true;
                return vec![Effect::ScheduleDraftSave];
            }
        }
        return Vec::new();
    }
    let Some(identity_id) = form_before else {
        return Vec::new();
    };
    app.drafts.dirty = false;
    // Only a draft this session saved or restored is dropped with a discarded
    // form; a draft waiting from an earlier session stays until it is restored,
    // discarded with `x`, or made obsolete by a successful send.
    let saved_here = app.drafts.last_content.take().is_some();
    let waiting = app.drafts.known.iter().any(|d| d.identity_id == identity_id);
    let sent = app.screen == Screen::Response && app.edit.response.as_ref().is_some_and(|r| r.success);
    let discarded = !matches!(app.screen, Screen::Review | Screen::Response);
    if (sent && (saved_here || waiting)) || (discarded && saved_here) {
        app.drafts.known.retain(|d| d.identity_id != identity_id);
        return vec![Effect::RemoveDraft { identity_id }];
    }
    Vec::new()
}

/// The drafts of earlier sessions were read.
pub(super) fn on_listed(app: &mut App, result: Result<Vec<Draft>, String>) -> Vec<Effect> {
    match result {
        Ok(drafts) => {
            if !drafts.is_empty() && app.chrome.status == Status::None {
                let n = drafts.len();
                app.chrome.status = Status::Info(format!(
                    "{n} draft{} waiting from an earlier session — D lists {}",
                    if n == 1 { " is" } else { "s are" },
                    if n == 1 { "it" } else { "them" }
                ));
            }
            app.drafts.known = drafts;
        }
        Err(error) => app.chrome.status = Status::Error(format!("Drafts cannot be read: {error}")),
    }
    Vec::new()
}

/// The debounce timer fired (or the console is closing): save the open form.
pub(super) fn save_now(app: &mut App) -> Vec<Effect> {
    app.drafts.scheduled = false;
    if !app.drafts.dirty {
        return Vec::new();
    }
    app.drafts.dirty = false;
    let Some(form) = app.edit.form.as_ref() else {
        return Vec::new();
    };
    let Some(content) = content_with(form, &app.profile.issuance_token_pointer) else {
        return Vec::new();
    };
    let base_updated_at = form.base.get("updated_at").and_then(Value::as_str).map(str::to_owned);
    let mut draft = Draft::new(
        &app.profile.name,
        &form.identity_id,
        form.kind().name(),
        content.clone(),
        base_updated_at,
    );
    // Stamped with the app's clock (set by the runtime), not read here.
    draft.saved_at = app.chrome.now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let named = Named::of(&form.base, &app.schemas);
    let draft = draft.naming(named.identifier, named.name);
    let drafts = &mut app.drafts;
    drafts.last_content = Some(content);
    drafts.known.retain(|d| d.identity_id != draft.identity_id);
    drafts.known.push(draft.clone());
    vec![Effect::SaveDraft(Box::new(draft))]
}

/// What quitting leaves of the form open at that moment, for the line the
/// console prints once the terminal is restored (`tui::run`), so nobody
/// wonders whether a half-done edit was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeftOpen {
    /// The form's content was saved (or is being saved) as a draft.
    Draft {
        identity_id: String,
        /// The form's draft name ("traits", "state", ...).
        form: &'static str,
        /// Whom it is for, sanitised: `ada@example.com (Ada Lovelace)`, or
        /// `identity <id>` when the traits name nobody.
        who: String,
    },
    /// Something was typed that is never written down (a password or hash).
    NotSaved { form: &'static str, who: String },
}

/// See [`LeftOpen`]; `None` when no form with a change is open.
pub fn left_open(app: &App) -> Option<LeftOpen> {
    let form = app.edit.form.as_ref().filter(|f| f.modified())?;
    let who = Named::of(&form.base, &app.schemas)
        .label()
        .unwrap_or_else(|| format!("identity {}", for_display(&form.identity_id)));
    let name = form.kind().name();
    Some(match content_with(form, &app.profile.issuance_token_pointer) {
        Some(_) => LeftOpen::Draft {
            identity_id: form.identity_id.clone(),
            form: name,
            who,
        },
        None => LeftOpen::NotSaved { form: name, who },
    })
}

/// Whom a draft is for, made safe to draw: the primary identifier and name
/// it recorded when saved, else (a draft saved before they were recorded)
/// those of the identity's row in the loaded list; empty when neither knows.
pub fn named_draft(app: &App, draft: &Draft) -> (String, String) {
    let clean = |s: &Option<String>| for_display(s.as_deref().unwrap_or_default().trim()).into_owned();
    if draft.identifier.is_some() || draft.name.is_some() {
        return (clean(&draft.identifier), clean(&draft.name));
    }
    app.list
        .rows
        .iter()
        .find(|row| row.id == draft.identity_id)
        .map(|row| (row.identifier.clone(), row.name.clone()))
        .unwrap_or_default()
}

/// Enter on a draft offered on the detail view: into its form.
pub(super) fn restore_offer(app: &mut App) -> Vec<Effect> {
    let Some(draft) = app.detail.offer.clone() else {
        return Vec::new();
    };
    if app.profile.read_only {
        app.chrome.status = Status::Error(format!(
            "Profile “{}” is read-only: the draft cannot be restored into a form here",
            app.profile.name
        ));
        return vec![Effect::AuditRefusal {
            identity_id: Some(draft.identity_id.clone()),
            reason: "read-only profile: restoring a draft into a form was refused".into(),
        }];
    }
    app.detail.offer = None;
    let Some(kind) = kind_of(&draft) else {
        return Vec::new();
    };
    let effects = editing::open_form(app, kind);
    if let Some(form) = app.edit.form.as_mut() {
        if restore_into(form, &draft) {
            app.drafts.last_content = content_with(form, &app.profile.issuance_token_pointer);
            app.chrome.status = Status::Info(format!("Draft from {} restored", for_display(&draft.saved_at)));
        } else {
            app.chrome.status = Status::Error("The draft does not fit this form any more; it is kept on disk".into());
        }
    }
    effects
}

/// `v` on a draft offered: what it would change, on a text screen.
pub(super) fn show_offer(app: &mut App) -> Vec<Effect> {
    let Some(draft) = app.detail.offer.as_ref() else {
        return Vec::new();
    };
    let current = app.detail.identity().cloned().unwrap_or(Value::Null);
    let title = match Named::of(&current, &app.schemas).label() {
        Some(who) => format!("Draft — {who}"),
        None => format!("Draft — identity {}", for_display(&draft.identity_id)),
    };
    app.drafts.text = Some(TextView {
        title,
        lines: diff_lines(draft, &current),
        view: super::text_view::TextView::new(true),
    });
    app.drafts.return_to = app.screen;
    app.screen = Screen::Text;
    Vec::new()
}

/// `x` on a draft offered: forget it, here and on disk.
pub(super) fn discard_offer(app: &mut App) -> Vec<Effect> {
    let Some(draft) = app.detail.offer.take() else {
        return Vec::new();
    };
    app.drafts.known.retain(|d| d.identity_id != draft.identity_id);
    app.chrome.status = Status::Info("Draft discarded".into());
    vec![Effect::RemoveDraft {
        identity_id: draft.identity_id,
    }]
}

/// `D`: the drafts waiting.
pub(super) fn open_list(app: &mut App) -> Vec<Effect> {
    app.chrome.status = Status::None;
    let drafts = &mut app.drafts;
    drafts.selected = drafts.selected.min(drafts.known.len().saturating_sub(1));
    drafts.return_to = app.screen;
    app.screen = Screen::Drafts;
    Vec::new()
}

/// A key on the drafts list or the draft's diff, by its action (see `keys`).
pub(super) fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    if app.screen == Screen::Text {
        return on_text_action(app, action);
    }
    let drafts = &mut app.drafts;
    match action {
        Action::Back => app.screen = drafts.return_to,
        Action::Down => drafts.selected = (drafts.selected + 1).min(drafts.known.len().saturating_sub(1)),
        Action::Up => drafts.selected = drafts.selected.saturating_sub(1),
        Action::Open => {
            if let Some(draft) = drafts.known.get(drafts.selected) {
                let id = draft.identity_id.clone();
                return super::detail::open(app, id, None);
            }
        }
        _ => {}
    }
    Vec::new()
}

fn on_text_action(app: &mut App, action: Action) -> Vec<Effect> {
    let viewport = super::text_view::viewport(app);
    let drafts = &mut app.drafts;
    let Some(text) = drafts.text.as_mut() else {
        app.screen = drafts.return_to;
        return Vec::new();
    };
    match action {
        Action::Back => {
            drafts.text = None;
            app.screen = drafts.return_to;
        }
        // Scrolling, wrap and search: the text view's keys.
        _ => {
            text.view.act(&text.lines, viewport, action, None);
        }
    }
    Vec::new()
}
