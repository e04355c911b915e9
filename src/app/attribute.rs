//! The Yoti attribute-registry form (`a`): issuance token (prefilled from the
//! identity at the profile's pointer), attribute name and a JSON value;
//! reviewed as the exact body (token masked) and sent through the same
//! read-only check, audit trail and request history as identity writes
//! (`crate::registry`).
//!
//! Sending behaves as the identity review's (`review`): the update is
//! listed in `H` from `y` on and followed to its answer; Esc while sending
//! stops the waiting, not the update, and disarms the review (`y` says why,
//! with the keys of [`Context::ReviewStopped`]); the answer is shown on
//! the review if it is still open, else told on the status line, and lands
//! in the update's own history entry, marked late. One write is in flight
//! at a time, identity write or attribute update.
//!
//! The review has the identity review's reason line (`r`,
//! [`ReasonLine`]): checked the same way before `y` sends (a
//! `require_reason` profile refuses `y` without one), carried with the
//! update to its audit `intent` ([`AttributeRequest::reason`]), listed in
//! `H`, and offered again on the next review of the run, of either kind.

use crossterm::event::KeyEvent;
use serde_json::Value;

use super::doc::{StyledLine, Tone};
use super::forms::{JsonField, Named};
use super::history::{Outcome, Request, Who};
use super::input::TextInput;
use super::keys::{Action, Context};
use super::review::{ReasonLine, WriteOutcome};
use super::{App, Effect, Screen, Status, Task};
use crate::api::AttributeUpdate;
use crate::sanitize::for_display;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeField {
    Token,
    Name,
    Value,
}

/// The open attribute form.
#[derive(Debug)]
pub struct AttributeForm {
    pub identity_id: String,
    /// Whom the update is for, as the header names them.
    pub named: Named,
    pub token: TextInput,
    /// Where the token came from, shown next to it.
    pub token_source: String,
    pub name: TextInput,
    pub value: JsonField,
    pub focus: AttributeField,
    pub error: Option<String>,
    /// The review of the update, once Ctrl-S built it.
    pub review: Option<AttributeReview>,
    /// Asking whether to drop what was typed (Esc on a changed form).
    pub confirm_discard: bool,
    /// The update `y` sent from this form, until its answer comes.
    pub sent: Option<AttributeUpdate>,
    /// The update from this form the registry accepted while the form
    /// stayed open (the user stopped waiting): what the form is compared
    /// with from then on.
    pub landed: Option<AttributeUpdate>,
}

impl AttributeForm {
    /// True when closing would lose something the user typed: anything,
    /// until an update from this form landed; after that, anything else
    /// than what landed.
    pub fn modified(&self) -> bool {
        match &self.landed {
            Some(landed) => !self.holds(landed),
            None => !self.name.text().is_empty() || self.value.modified() || self.token_source == "typed",
        }
    }

    /// Whether the fields say exactly `update`, as [`build`] reads them.
    fn holds(&self, update: &AttributeUpdate) -> bool {
        self.token.text().trim() == update.issuance_token
            && self.name.text().trim() == update.name
            && super::json_edit::parse(&self.value.text()).ok().as_ref() == Some(&update.value)
    }
}

#[derive(Debug)]
pub struct AttributeReview {
    pub update: AttributeUpdate,
    pub lines: Vec<StyledLine>,
    /// Sent, and the screen waits for the answer.
    pub sending: bool,
    /// Sent from this review, and the user stopped waiting (Esc): the
    /// registry may still apply it, so `y` does not send again.
    pub stopped: bool,
    /// Why the update is made (a ticket), as the identity review asks it.
    pub reason: ReasonLine,
}

/// One request for the runtime to send, with what its audit lines say
/// beyond the request (`registry::UpdateContext`).
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeRequest {
    pub identity_id: String,
    pub update: AttributeUpdate,
    /// The identity's primary identifier (raw), as the review named it.
    pub identifier: Option<String>,
    /// The reviewer's reason, already checked (`write::check_reason`):
    /// recorded in the audit `intent` as `why`.
    pub reason: Option<String>,
}

/// The token as shown: stars and only its last four characters; nothing at
/// all when there is no token, so an empty field never looks filled.
pub fn masked_token(token: &str) -> String {
    if token.is_empty() {
        return String::new();
    }
    crate::registry::mask_token(token)
}

/// `a` on an identity: opens the form, token prefilled when the identity
/// carries one at the profile's pointer.
pub(super) fn open(app: &mut App) -> Vec<Effect> {
    let Some(detail) = app.detail.state.as_ref() else {
        return Vec::new();
    };
    let Some(identity) = detail.identity.as_ref() else {
        app.chrome.status = Status::Info("Wait until the identity has loaded".into());
        return Vec::new();
    };
    if !app.profile.attribute_registry {
        app.chrome.status = Status::Error(format!(
            "Profile “{}” has no attribute_registry_url: the registry cannot be reached",
            app.profile.name
        ));
        return Vec::new();
    }
    let pointer = app.profile.issuance_token_pointer.clone();
    let mut token = TextInput::default();
    let (token_source, focus) = match crate::registry::issuance_token_at(identity, &pointer) {
        Some(found) => {
            token.set(&found);
            (format!("from {pointer}"), AttributeField::Name)
        }
        None => (format!("none at {pointer}: type it"), AttributeField::Token),
    };
    let named = Named::of(identity, &app.schemas);
    app.edit.attribute = Some(AttributeForm {
        identity_id: detail.id.clone(),
        named,
        token,
        token_source,
        name: TextInput::default(),
        value: JsonField::new(&Value::String(String::new())),
        focus,
        error: None,
        review: None,
        confirm_discard: false,
        sent: None,
        landed: None,
    });
    app.screen = Screen::Attribute;
    app.chrome.status = Status::None;
    Vec::new()
}

fn build(form: &mut AttributeForm) -> Option<AttributeUpdate> {
    let token = form.token.text().trim().to_owned();
    let name = form.name.text().trim().to_owned();
    if token.is_empty() {
        form.focus = AttributeField::Token;
        form.error = Some("the issuance token is empty".into());
        return None;
    }
    if name.is_empty() {
        form.focus = AttributeField::Name;
        form.error = Some("the attribute name is empty (e.g. com.example.membership)".into());
        return None;
    }
    let Some(value) = form.value.check(None) else {
        form.focus = AttributeField::Value;
        form.error = Some("the value is not valid JSON (a string needs its quotes)".into());
        return None;
    };
    let update = AttributeUpdate::new(token, name, value);
    if let Err(err) = crate::registry::check_update(&update) {
        form.error = Some(err.to_string());
        return None;
    }
    Some(update)
}

fn review_lines(app: &App, update: &AttributeUpdate) -> Vec<StyledLine> {
    let url = format!(
        "{}/attribute/update",
        app.profile.attribute_registry_url.trim_end_matches('/')
    );
    let mut lines = vec![
        StyledLine::field("method", "PUT", Tone::Plain),
        StyledLine::field("url", for_display(&url).into_owned(), Tone::Plain),
        StyledLine::field("profile", for_display(&app.profile.name).into_owned(), Tone::Plain),
        StyledLine::field("signed", "yes (Yoti digest, X-Yoti-Auth-Id)", Tone::Plain),
        StyledLine::default(),
        StyledLine::toned(Tone::Heading, "Body to send (issuance token masked)"),
    ];
    lines.extend(super::doc::json_lines(&crate::registry::display_body(update)));
    lines
}

/// Where the attribute form's keys go: its review (disarmed once the user
/// stopped waiting, or its reason line: the identity review's keys for
/// those), the question whether to drop what was typed, or the focused
/// field.
pub(super) fn context(app: &App) -> Context {
    match app.edit.attribute.as_ref() {
        Some(form) => match form.review.as_ref() {
            Some(review) if review.sending => Context::AttributeSending,
            Some(review) if review.stopped => Context::ReviewStopped,
            Some(review) if review.reason.editing() => Context::ReviewReason,
            Some(_) => Context::AttributeReview,
            None if form.confirm_discard => Context::Discard,
            None if form.focus == AttributeField::Value => Context::AttributeValue,
            None => Context::AttributeLine,
        },
        None => Context::AttributeLine,
    }
}

fn close(app: &mut App) {
    app.edit.attribute = None;
    app.screen = Screen::Detail;
}

/// A key on the attribute form or its review, by its action (see `keys`).
pub(super) fn on_action(app: &mut App, action: Action, key: KeyEvent) -> Vec<Effect> {
    let Some(form) = app.edit.attribute.as_mut() else {
        app.screen = Screen::Detail;
        return Vec::new();
    };
    if let Some(review) = form.review.as_mut() {
        if review.reason.editing() {
            if let Some(status) = review.reason.on_key(action, key) {
                app.chrome.status = status;
            }
            return Vec::new();
        }
        match action {
            Action::StopWaiting => {
                // The update is not aborted (it may be on the wire already):
                // the review is disarmed and the history keeps following it,
                // counted in flight until its answer comes.
                review.sending = false;
                review.stopped = true;
                app.history.stop_waiting();
                app.chrome.status = Status::Error("Stopped waiting; the update is still followed (H lists it)".into());
            }
            Action::Reason => app.chrome.status = review.reason.edit(),
            Action::Send => return send(app),
            Action::Back => form.review = None,
            _ => {}
        }
        return Vec::new();
    }
    match action {
        Action::Review => {
            if let Some(update) = build(form) {
                let lines = review_lines(app, &update);
                let reason = ReasonLine::offered(app.history.last_reason.as_deref());
                if let Some(form) = app.edit.attribute.as_mut() {
                    form.error = None;
                    form.review = Some(AttributeReview {
                        update,
                        lines,
                        sending: false,
                        stopped: false,
                        reason,
                    });
                }
            }
            return Vec::new();
        }
        Action::Discard => close(app),
        Action::KeepEditing => form.confirm_discard = false,
        Action::Back if form.modified() => form.confirm_discard = true,
        Action::Back => close(app),
        Action::NextField | Action::PrevField => {
            form.error = None;
            let order = [AttributeField::Token, AttributeField::Name, AttributeField::Value];
            let at = order.iter().position(|f| *f == form.focus).unwrap_or(0);
            let next = if action == Action::NextField {
                (at + 1) % 3
            } else {
                (at + 2) % 3
            };
            form.focus = order[next];
        }
        Action::Type => {
            form.error = None;
            match form.focus {
                AttributeField::Token => {
                    form.token.on_key(key);
                    form.token_source = "typed".into();
                }
                AttributeField::Name => {
                    form.name.on_key(key);
                }
                AttributeField::Value => {
                    form.value.editor.input(key);
                    form.value.check(None);
                }
            }
        }
        _ => {}
    }
    Vec::new()
}

/// `y` on the review: sends, unless a write is still in flight (this one,
/// stopped waiting for, or another: `review::refused_while_in_flight`),
/// this review's update was sent already, or the reason will not do
/// (`ReasonLine::for_sending`: none on a `require_reason` profile, or too
/// long; the reason line then has the keys).
fn send(app: &mut App) -> Vec<Effect> {
    let stopped = app
        .edit
        .attribute
        .as_ref()
        .and_then(|form| form.review.as_ref())
        .is_some_and(|review| review.stopped);
    if super::review::refused_while_in_flight(app, stopped) {
        return Vec::new();
    }
    if stopped {
        // The answer came while the user was elsewhere; this review stays disarmed.
        app.chrome.status =
            Status::Error("Not sent again: the first send was answered (H shows it); n/Esc back to the form".into());
        return Vec::new();
    }
    let now = app.chrome.now;
    let Some(identity_id) = app.edit.attribute.as_ref().map(|form| form.identity_id.clone()) else {
        return Vec::new();
    };
    let who = Who::by_id(app, &identity_id);
    let (require_reason, profile) = (app.profile.require_reason, app.profile.name.clone());
    let Some(form) = app.edit.attribute.as_mut() else {
        return Vec::new();
    };
    let Some(review) = form.review.as_mut() else {
        return Vec::new();
    };
    let reason = match review.reason.for_sending(require_reason, &profile) {
        Ok(reason) => reason,
        Err(status) => {
            app.chrome.status = status;
            return Vec::new();
        }
    };
    review.sending = true;
    let update = review.update.clone();
    let identifier = who.identifier.clone();
    app.history.begin(Request {
        at: Some(now),
        who,
        changed: vec![format!("attribute {}", update.name)],
        reason: reason.clone(),
        outcome: Outcome::Sending,
        response: None,
        late: false,
    });
    app.history.last_reason.clone_from(&reason);
    form.sent = Some(update.clone());
    app.chrome.status = Status::Info("Sending the attribute update…".into());
    app.begin(Task::Write);
    vec![Effect::WriteAttribute(Box::new(AttributeRequest {
        identity_id,
        update,
        identifier,
        reason,
    }))]
}

pub(super) fn on_paste(app: &mut App, text: &str) {
    let Some(form) = app.edit.attribute.as_mut() else {
        return;
    };
    if let Some(review) = form.review.as_mut() {
        // Into the reason line while it has the keys; it never answers
        // the review's prompt.
        review.reason.paste(text);
        return;
    }
    match form.focus {
        AttributeField::Token => form.token.insert(text.lines().next().unwrap_or_default().trim()),
        AttributeField::Name => form.name.insert(text.lines().next().unwrap_or_default()),
        AttributeField::Value => {
            form.value.paste(text);
            form.value.check(None);
        }
    }
}

/// The registry's answer (or why none came). It belongs to the one write
/// in flight: its history entry takes the outcome (late when the user had
/// stopped waiting), then it is shown on the review that sent it when that
/// is still open (waiting, or stopped waiting), else told as a notice
/// (`review::late_notice`). A form left open while its update was accepted
/// takes that update as its baseline.
pub(super) fn on_done(app: &mut App, outcome: WriteOutcome) -> Vec<Effect> {
    app.finish(Task::Write);
    let Some(index) = app.history.following.take() else {
        return Vec::new(); // not an answer to any write of this run
    };
    let review = app
        .edit
        .attribute
        .as_ref()
        .and_then(|form| form.review.as_ref())
        .map(|review| (review.sending, review.stopped));
    let waiting = matches!(review, Some((true, _)));
    let on_its_review = waiting || matches!(review, Some((_, true)));
    super::review::settle(app, index, &outcome, !waiting);
    let accepted = matches!(&outcome, WriteOutcome::Answered { response, .. } if response.success);
    if let Some(form) = app.edit.attribute.as_mut() {
        let sent = form.sent.take();
        if accepted && sent.is_some() {
            form.landed = sent;
        }
    }
    if on_its_review {
        show_on_review(app, outcome)
    } else {
        super::review::late_notice(app, index, outcome)
    }
}

/// The answer on the review that sent it: the response screen, or the form
/// kept when nothing came back.
fn show_on_review(app: &mut App, outcome: WriteOutcome) -> Vec<Effect> {
    let Some(form) = app.edit.attribute.as_mut() else {
        return Vec::new();
    };
    match outcome {
        WriteOutcome::Answered { response, .. }
        | WriteOutcome::Failed {
            response: Some(response),
            ..
        } => {
            let success = response.success;
            app.edit.response = Some(response);
            app.screen = Screen::Response;
            if success {
                app.edit.attribute = None;
                app.chrome.status = Status::Info("The registry accepted the update".into());
            } else {
                form.review = None;
                app.chrome.status = Status::Error("The registry refused the update: Esc returns to the form".into());
            }
        }
        WriteOutcome::Failed { error, response: None } => {
            form.review = None;
            app.chrome.status = Status::Error(format!("Not sent: {} — the form is kept", for_display(&error)));
        }
        WriteOutcome::Changed { .. } => form.review = None,
    }
    Vec::new()
}
