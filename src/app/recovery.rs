//! The recovery screen (`R` on an identity, issue 17): a recovery link or
//! code for a person who cannot get back in, made by the admin API
//! (`POST {recovery_path}/link|code`, see [`crate::api::recovery`]) and
//! shown once, large enough to read out on the phone.
//!
//! The screen goes through its [`Stage`]s: choose (link or code, the
//! expiry as Kratos reads `expires_in`, checked as typed with
//! [`ExpiresIn::parse`], and the review's reason line), one question naming
//! the person, sending (signed and audited by the runtime; a read-only
//! profile is refused before the screen opens, with a refusal line in the
//! audit trail and no request), then the answer. The answer is the only copy
//! of the secret in the console: it is not in the request history (which
//! keeps "recovery link created, expires …" and the exchange with the secret
//! `<redacted>`), not in drafts, not in the log. Leaving the answer asks
//! first, and the secret is dropped (and wiped: [`RecoverySecret`] zeroes
//! itself) when the screen closes.
//!
//! [`RecoverySecret`]: crate::api::recovery::RecoverySecret

use crossterm::event::KeyEvent;

use super::history::{Outcome, Request, Who};
use super::input::TextInput;
use super::keys::{Action, Context};
use super::response::ResponseView;
use super::review::ReasonLine;
use super::{App, Effect, Screen, Status, Task};
use crate::api::recovery::{ExpiresIn, RecoveryAnswer, RecoveryKind, RecoveryRequest, RecoveryWarning};
use crate::sanitize::for_display;

/// Which field of the choose stage has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Link or code (←/→).
    Kind,
    /// `expires_in`, typed.
    Expiry,
}

/// Where the screen stands.
#[derive(Debug, Clone)]
pub enum Stage {
    /// Choosing the kind, the expiry and the reason.
    Choose,
    /// Enter was pressed: "Create a recovery link for …, valid 1h? y/n".
    Confirm {
        /// The reason as the audit trail keeps it (checked already).
        why: Option<String>,
        expires_in: Option<ExpiresIn>,
    },
    /// `y`: the request is on its way (never cancelled: its answer is the
    /// only chance to see the secret).
    Sending,
    /// The answer, shown once.
    Answer(Box<RecoveryAnswer>),
    /// Esc on the answer: "The link will not be shown again. Leave? y/n".
    Leaving(Box<RecoveryAnswer>),
}

/// The recovery screen's state. `Debug` never shows the secret
/// ([`RecoveryAnswer`]'s own `Debug` redacts it).
#[derive(Debug, Clone)]
pub struct RecoveryScreen {
    /// The identity, as the server spelled its id.
    pub identity_id: String,
    /// Who it is (primary identifier and name, `crate::who`), raw: shown
    /// through [`Who::label`], which sanitises.
    pub who: Who,
    /// What is worth saying before making it (no recovery address, inactive).
    pub warnings: Vec<RecoveryWarning>,
    pub kind: RecoveryKind,
    pub field: Field,
    /// `expires_in` as typed; empty: the server's lifespan for the method.
    pub expiry: TextInput,
    /// The same reason line as the identity review's (`r`).
    pub reason: ReasonLine,
    pub stage: Stage,
    /// Why the last request made nothing, in plain words (raw: sanitise to
    /// draw it).
    pub error: Option<String>,
    /// The history entry of the request sent from this screen.
    entry: Option<usize>,
}

impl RecoveryScreen {
    /// The expiry as typed, checked as Kratos will read it: `Ok(None)` when
    /// empty (the server's default lifespan).
    pub fn expires_in(&self) -> Result<Option<ExpiresIn>, String> {
        let text = self.expiry.text();
        if text.trim().is_empty() {
            Ok(None)
        } else {
            ExpiresIn::parse(text).map(Some)
        }
    }

    /// The question of the confirm stage, made safe to draw.
    pub fn question(&self, expires_in: Option<&ExpiresIn>) -> String {
        let valid = match expires_in {
            Some(e) => format!("valid {}", for_display(e.as_str())),
            None => "valid for the server's default lifespan (Kratos: 1h)".to_owned(),
        };
        format!("Create a {} for {}, {valid}? y/n", self.kind.noun(), self.who.label())
    }
}

/// What the runtime sends: the request, and what the audit trail records
/// with it (the identifier, the reason). Never a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryOrder {
    pub request: RecoveryRequest,
    /// The identity's primary identifier, so the audit trail names a person.
    pub identifier: Option<String>,
    /// The reason line, checked with `write::check_reason`.
    pub why: Option<String>,
}

/// What became of a recovery request ([`Effect::CreateRecovery`]).
#[derive(Debug, Clone)]
pub struct RecoveryDone {
    pub identity_id: String,
    /// The link or code, or why none was made in plain words
    /// (`api::recovery::explain_failure` where Kratos has its own texts).
    pub result: Result<RecoveryAnswer, String>,
    /// The exchange for the request history, the secret `<redacted>`
    /// (`None` when no answer came).
    pub response: Option<ResponseView>,
    /// The audit trail could not record the outcome.
    pub audit_warning: Option<String>,
}

/// `R` on the identity open: refused on a read-only profile (recorded,
/// nothing sent), else the screen, on a link with the server's expiry.
pub(super) fn open(app: &mut App) -> Vec<Effect> {
    let Some(identity) = app.detail.identity().cloned() else {
        app.chrome.status = Status::Info("Wait until the identity has loaded".into());
        return Vec::new();
    };
    let identity_id = app.detail.id().unwrap_or_default().to_owned();
    if app.profile.read_only {
        let reason = format!(
            "profile \"{}\" is read-only: creating a recovery link or code was refused, nothing was signed or sent",
            app.profile.name
        );
        app.chrome.status = Status::Error(for_display(&reason).into_owned());
        return vec![Effect::AuditRefusal {
            identity_id: Some(identity_id),
            reason,
        }];
    }
    let who = Who::of(app, &identity);
    app.recovery = Some(RecoveryScreen {
        identity_id,
        who,
        warnings: RecoveryWarning::of_identity(&identity),
        kind: RecoveryKind::Link,
        field: Field::Kind,
        expiry: TextInput::default(),
        reason: ReasonLine::offered(app.history.last_reason.as_deref()),
        stage: Stage::Choose,
        error: None,
        entry: None,
    });
    app.screen = Screen::Recovery;
    app.chrome.status = Status::None;
    Vec::new()
}

/// Where the keys go on the recovery screen.
pub(super) fn context(app: &App) -> Context {
    let Some(screen) = app.recovery.as_ref() else {
        return Context::RecoveryKind;
    };
    match &screen.stage {
        Stage::Choose if screen.reason.editing() => Context::RecoveryReason,
        Stage::Choose if screen.field == Field::Expiry => Context::RecoveryExpiry,
        Stage::Choose => Context::RecoveryKind,
        Stage::Confirm { .. } => Context::RecoveryConfirm,
        Stage::Sending => Context::RecoverySending,
        Stage::Answer(_) => Context::RecoveryAnswer,
        Stage::Leaving(_) => Context::RecoveryLeave,
    }
}

/// Closes the screen (dropping, and so wiping, any secret it held).
fn close(app: &mut App, status: Status) {
    app.recovery = None;
    app.screen = Screen::Detail;
    app.chrome.status = status;
}

/// A key on the recovery screen, by its action (see `keys`).
pub(super) fn on_action(app: &mut App, action: Action, key: KeyEvent) -> Vec<Effect> {
    let required = app.profile.require_reason;
    let profile = app.profile.name.clone();
    let now = app.chrome.now;
    let Some(screen) = app.recovery.as_mut() else {
        app.screen = Screen::Detail;
        return Vec::new();
    };
    if matches!(screen.stage, Stage::Choose) && screen.reason.editing() {
        if let Some(status) = screen.reason.on_key(action, key) {
            app.chrome.status = status;
        }
        return Vec::new();
    }
    match (&screen.stage, action) {
        (Stage::Choose, Action::PrevMode | Action::NextMode) => {
            screen.kind = match screen.kind {
                RecoveryKind::Link => RecoveryKind::Code,
                RecoveryKind::Code => RecoveryKind::Link,
            };
        }
        (Stage::Choose, Action::NextField | Action::PrevField) => {
            screen.field = match screen.field {
                Field::Kind => Field::Expiry,
                Field::Expiry => Field::Kind,
            };
        }
        (Stage::Choose, Action::Type) if screen.field == Field::Expiry => {
            screen.expiry.on_key(key);
        }
        (Stage::Choose, Action::Reason) => app.chrome.status = screen.reason.edit(),
        (Stage::Choose, Action::Review) => review(app, required, &profile),
        (Stage::Choose, Action::Back) => close(
            app,
            Status::Info("Nothing was sent: no recovery link or code was made".into()),
        ),
        (Stage::Confirm { .. }, Action::Send) => return send(app, now),
        (Stage::Confirm { .. }, Action::Back) => {
            screen.stage = Stage::Choose;
            app.chrome.status = Status::Info("Nothing was sent".into());
        }
        (Stage::Answer(answer), Action::CopySecret) => {
            let (what, secret) = match &answer.code {
                Some(code) => ("code", code.expose()),
                None => ("link", answer.link.expose()),
            };
            if secret.chars().any(crate::sanitize::is_unsafe) {
                app.chrome.status = Status::Error(format!(
                    "Not copied: the {what} holds control or invisible characters; read it from the screen"
                ));
                return Vec::new();
            }
            let secret = secret.to_owned();
            app.chrome.status = Status::Info(format!(
                "Copied the {what} to the clipboard (OSC 52): paste it only where the person will get it"
            ));
            return vec![Effect::Copy(secret)];
        }
        (Stage::Answer(_), Action::Back) => {
            if let Stage::Answer(answer) = std::mem::replace(&mut screen.stage, Stage::Choose) {
                screen.stage = Stage::Leaving(answer);
            }
        }
        (Stage::Leaving(_), Action::Discard) => close(
            app,
            Status::Info("Left the recovery screen: the secret is no longer held here".into()),
        ),
        (Stage::Leaving(_), Action::Back) => {
            if let Stage::Leaving(answer) = std::mem::replace(&mut screen.stage, Stage::Choose) {
                screen.stage = Stage::Answer(answer);
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Enter: the expiry and the reason checked, then the one question.
fn review(app: &mut App, required: bool, profile: &str) {
    let Some(screen) = app.recovery.as_mut() else {
        return;
    };
    let expires_in = match screen.expires_in() {
        Ok(expires_in) => expires_in,
        Err(why) => {
            screen.field = Field::Expiry;
            app.chrome.status = Status::Error(format!("Not sent: the expiry {why}"));
            return;
        }
    };
    match screen.reason.for_sending(required, profile) {
        Err(status) => app.chrome.status = status,
        Ok(why) => {
            screen.stage = Stage::Confirm { why, expires_in };
            screen.error = None;
            app.chrome.status = Status::None;
        }
    }
}

/// `y` on the question: listed in the request history now (without any
/// secret), sent by the runtime.
fn send(app: &mut App, now: chrono::DateTime<chrono::Utc>) -> Vec<Effect> {
    let Some(screen) = app.recovery.as_mut() else {
        return Vec::new();
    };
    let Stage::Confirm { why, expires_in } = std::mem::replace(&mut screen.stage, Stage::Sending) else {
        return Vec::new();
    };
    let order = RecoveryOrder {
        request: RecoveryRequest {
            identity_id: screen.identity_id.clone(),
            kind: screen.kind,
            expires_in,
        },
        identifier: screen.who.identifier.clone(),
        why: why.clone(),
    };
    app.history.entries.push(Request {
        at: Some(now),
        who: screen.who.clone(),
        changed: vec![format!("{} asked for", screen.kind.noun())],
        reason: why.clone(),
        outcome: Outcome::Sending,
        response: None,
        late: false,
    });
    screen.entry = Some(app.history.entries.len() - 1);
    app.history.last_reason = why;
    app.chrome.status = Status::Info(format!("Creating the {}…", screen.kind.noun()));
    app.begin(Task::Recovery);
    vec![Effect::CreateRecovery(Box::new(order))]
}

/// The answer: the secret goes on the screen (and nowhere else); a failure
/// is said in plain words and the choices stay, to try again.
pub(super) fn on_done(app: &mut App, done: RecoveryDone) -> Vec<Effect> {
    app.finish(Task::Recovery);
    let now = app.chrome.now;
    let RecoveryDone {
        identity_id,
        result,
        response,
        audit_warning,
    } = done;
    let screen = app
        .recovery
        .as_mut()
        .filter(|s| s.identity_id == identity_id && matches!(s.stage, Stage::Sending));
    let kind = screen.as_ref().map_or(RecoveryKind::Link, |s| s.kind);
    let entry = screen.as_ref().and_then(|s| s.entry);
    // The history keeps that it was made and until when, never the secret.
    if let Some(request) = entry.and_then(|i| app.history.entries.get_mut(i)) {
        request.changed = vec![match &result {
            Ok(answer) => match answer.expires_at_time() {
                Some(t) => format!("{} created, expires {}", kind.noun(), super::time::absolute(t)),
                None => format!("{} created", kind.noun()),
            },
            Err(_) => format!("{}: none made", kind.noun()),
        }];
        request.outcome = match (&result, &response) {
            (Err(why), None) => Outcome::Failed(why.clone()),
            _ => Outcome::Answered,
        };
        request.response = response;
    }
    let warning = audit_warning
        .map(|w| format!(" (warning: {})", for_display(&w)))
        .unwrap_or_default();
    let Some(screen) = app.recovery.as_mut().filter(|s| s.identity_id == identity_id) else {
        // Nobody is looking (the screen cannot close while it waits): the
        // secret is dropped unseen.
        return Vec::new();
    };
    match result {
        Ok(answer) => {
            let until = answer
                .expires_at_time()
                .map(|t| format!(", expires {}", super::time::relative(t, now)))
                .unwrap_or_default();
            screen.stage = Stage::Answer(Box::new(answer));
            app.chrome.status = Status::Info(format!(
                "{} created{until}: shown here once, never saved{warning}",
                capitalised(kind.noun())
            ));
        }
        Err(why) => {
            screen.stage = Stage::Choose;
            app.chrome.status = Status::Error(format!("No {} was made{warning}", kind.noun()));
            screen.error = Some(why);
        }
    }
    Vec::new()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A paste goes into the reason line while it has the keys, else into the
/// expiry field when it has the focus; never anywhere else.
pub(super) fn on_paste(app: &mut App, text: &str) {
    let Some(screen) = app.recovery.as_mut() else {
        return;
    };
    if !matches!(screen.stage, Stage::Choose) || screen.reason.paste(text) {
        return;
    }
    if screen.field == Field::Expiry {
        screen.expiry.insert(text.trim());
    }
}
