//! The Yoti attribute-registry form (`a`): issuance token (prefilled from the
//! identity at the profile's pointer), attribute name and a JSON value;
//! reviewed as the exact body (token masked) and sent through the same
//! read-only check, audit trail and request history as identity writes
//! (`crate::registry`).

use crossterm::event::KeyEvent;
use serde_json::Value;

use super::doc::{StyledLine, Tone};
use super::forms::{JsonField, Named};
use super::input::TextInput;
use super::keys::{Action, Context};
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
}

impl AttributeForm {
    /// True when closing would lose something the user typed.
    pub fn modified(&self) -> bool {
        !self.name.text().is_empty() || self.value.modified() || self.token_source == "typed"
    }
}

#[derive(Debug)]
pub struct AttributeReview {
    pub update: AttributeUpdate,
    pub lines: Vec<StyledLine>,
    pub sending: bool,
}

/// One request for the runtime to send.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeRequest {
    pub identity_id: String,
    pub update: AttributeUpdate,
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

/// Where the attribute form's keys go: its review, the question whether to
/// drop what was typed, or the focused field.
pub(super) fn context(app: &App) -> Context {
    match app.edit.attribute.as_ref() {
        Some(form) => match form.review.as_ref() {
            Some(review) if review.sending => Context::AttributeSending,
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
        match action {
            Action::StopWaiting => {
                review.sending = false;
                app.chrome.status = Status::Error("Stopped waiting: the registry may still apply the update".into());
                return vec![app.cancel(Task::Write)];
            }
            Action::Send => {
                review.sending = true;
                let request = AttributeRequest {
                    identity_id: form.identity_id.clone(),
                    update: review.update.clone(),
                };
                app.chrome.status = Status::Info("Sending the attribute update…".into());
                app.begin(Task::Write);
                return vec![Effect::WriteAttribute(Box::new(request))];
            }
            Action::Back => form.review = None,
            _ => {}
        }
        return Vec::new();
    }
    match action {
        Action::Review => {
            if let Some(update) = build(form) {
                let lines = review_lines(app, &update);
                if let Some(form) = app.edit.attribute.as_mut() {
                    form.error = None;
                    form.review = Some(AttributeReview {
                        update,
                        lines,
                        sending: false,
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

pub(super) fn on_paste(app: &mut App, text: &str) {
    let Some(form) = app.edit.attribute.as_mut() else {
        return;
    };
    if form.review.is_some() {
        return; // a paste never answers the review's prompt
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

/// The registry's answer (or why none came).
pub(super) fn on_done(app: &mut App, outcome: super::review::WriteOutcome) -> Vec<Effect> {
    use super::review::WriteOutcome;
    app.finish(Task::Write);
    let Some(form) = app.edit.attribute.as_mut() else {
        return Vec::new();
    };
    let Some(review) = form.review.as_mut() else {
        return Vec::new();
    };
    if !review.sending {
        return Vec::new();
    }
    review.sending = false;
    match outcome {
        WriteOutcome::Answered { response, .. }
        | WriteOutcome::Failed {
            response: Some(response),
            ..
        } => {
            let success = response.success;
            app.history.record(&response);
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
        WriteOutcome::Changed { .. } => {}
    }
    Vec::new()
}
