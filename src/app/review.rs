//! The review before a write, the lost-update decision, and the answer.
//!
//! Ctrl-S in a form builds the complete request body from the identity as the
//! server sent it (only the edited parts changed) and shows it as a diff.
//! `y` asks the runtime to fetch the identity again and send only if nobody
//! changed it meanwhile; if someone did, the review shows their change and the
//! user merges, overwrites or goes back. The form stays untouched throughout,
//! so going back or a failed send never loses an edit.
//!
//! The review names who the write is about ([`Who`]: primary identifier and
//! name) and carries a reason line (`r`), recorded with the write in the
//! audit trail; a `require_reason` profile refuses `y` until one is given.
//! The last reason sent is offered on the next review of the run.
//!
//! Esc while sending stops *waiting*, not the write: the PUT may already be
//! on the wire. The review is then disarmed (`y` says why it does not send
//! again), and the write stays followed in the history (`H`) until its
//! answer arrives, which is then shown (on the review if still open, else as
//! a notice) and recorded in the same history entry.

use crossterm::event::KeyEvent;
use serde_json::{Value, json};

use super::doc::{StyledLine, Tone};
use super::forms::FormOutput;
pub use super::history::Who;
use super::history::{Outcome, Request};
use super::input::TextInput;
use super::keys::{Action, Context};
pub use super::response::{ResponseView, note_verification, registry_response_view, response_view};
use super::{App, Effect, Screen, Status, Task};
use crate::api::{CredentialsImport, UpdateIdentityBody};
use crate::diff::Change;
use crate::sanitize::for_display;
use crate::write::{self, Edit, PlannedWrite, Resolution, Snapshot};

/// How the password shows in reviews (never the real one).
pub const MASK: &str = "••••";

/// One request to send: the planned write (body built by the shared write
/// pipeline, `crate::write`), checked for freshness right before sending.
pub type WriteRequest = PlannedWrite;

/// Where the review is.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Showing the diff, waiting for y / n.
    Ready,
    /// Fetching the identity again and sending.
    Sending,
    /// The user stopped waiting (Esc) for the write, which may still be
    /// applied: `y` does not send again; the answer shows when it comes.
    StoppedWaiting,
    /// The server's version changed since the form opened.
    Conflict {
        latest: Box<Snapshot>,
        server_lines: Vec<StyledLine>,
        /// Why merging did not work, when it did not.
        merge_error: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub request: WriteRequest,
    pub url: String,
    pub lines: Vec<StyledLine>,
    pub stage: Stage,
    /// Where the body is scrolled, wrapped and searched (`text_view`).
    pub view: super::text_view::TextView,
    /// Who the write is about, as the server had them when the form opened.
    pub who: Who,
    /// Why the write is made (a ticket): recorded in the audit `intent`.
    pub reason: ReasonLine,
}

/// The reason line of a review (`r`): why the write is made (a ticket),
/// recorded in the audit `intent` as `why`. The identity review and the
/// attribute review (`attribute`) share it: `r` gives it the keys
/// ([`ReasonLine::edit`]), typing edits it, Enter keeps it, Esc puts back
/// what it held ([`ReasonLine::on_key`]); `y` takes it only once
/// `write::check_reason` does ([`ReasonLine::for_sending`]); a new review
/// offers the run's last reason ([`ReasonLine::offered`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReasonLine {
    input: TextInput,
    /// While the line has the keys: its text before (Esc restores it).
    before: Option<String>,
    /// The text is the last write's, offered again and not yet changed.
    remembered: bool,
}

impl ReasonLine {
    /// The line of a new review: the run's last reason, when there is one
    /// (support staff make several writes for one ticket).
    pub fn offered(last: Option<&str>) -> Self {
        let mut input = TextInput::default();
        if let Some(last) = last {
            input.set(last);
        }
        Self {
            remembered: !input.text().is_empty(),
            input,
            before: None,
        }
    }

    /// The text as typed (raw: sanitise to draw it).
    pub fn text(&self) -> &str {
        self.input.text()
    }

    /// Where the cursor is, in characters.
    pub fn cursor(&self) -> usize {
        self.input.cursor()
    }

    /// Whether the line has the keys (after `r`, or after `y` refused).
    pub fn editing(&self) -> bool {
        self.before.is_some()
    }

    /// Whether the text is the last write's, offered again unchanged.
    pub fn remembered(&self) -> bool {
        self.remembered
    }

    /// `r`: the line takes the keys; the status line says what it is for.
    pub(super) fn edit(&mut self) -> Status {
        self.before = Some(self.input.text().to_owned());
        Status::Info("Type why (a ticket): it goes into the audit trail with the write".into())
    }

    /// A paste goes into the line while it has the keys (a ticket's URL or
    /// title); false when it does not have them (then the paste goes
    /// nowhere: it never answers `y`). Line breaks, tabs and other controls
    /// become spaces, as the trail's one plain line makes them, rather than
    /// gluing the words of a multi-line paste together.
    pub(super) fn paste(&mut self, text: &str) -> bool {
        if !self.editing() {
            return false;
        }
        let spaced: String = text
            .chars()
            .map(|c| {
                if c.is_whitespace() || crate::sanitize::is_unsafe(c) {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        self.input.insert(&spaced);
        self.remembered = false;
        true
    }

    /// A key while the line has the keys: typing edits it, Enter keeps it,
    /// Esc puts back what it held before. The status line to show.
    pub(super) fn on_key(&mut self, action: Action, key: KeyEvent) -> Option<Status> {
        match action {
            Action::Type => {
                let before = self.input.text().to_owned();
                self.input.on_key(key);
                if self.input.text() != before {
                    self.remembered = false;
                }
                None
            }
            Action::Done => {
                self.before = None;
                let kept = !self.input.text().trim().is_empty();
                Some(if kept {
                    Status::Info("Reason kept: it is recorded with the write. y sends".into())
                } else {
                    Status::None
                })
            }
            Action::Back => {
                if let Some(before) = self.before.take()
                    && before != self.input.text()
                {
                    self.input.set(&before);
                }
                Some(Status::None)
            }
            _ => None,
        }
    }

    /// `y`: the reason as the audit trail will keep it
    /// (`write::check_reason`: one plain line, bounded; `None` when there is
    /// none and `required` is false), or the status line saying why nothing
    /// is sent; then the line takes the keys, to give or shorten it.
    /// `profile` names the profile that requires one.
    pub(super) fn for_sending(&mut self, required: bool, profile: &str) -> Result<Option<String>, Status> {
        match crate::write::check_reason(required, Some(self.input.text())) {
            Ok(reason) => {
                self.before = None;
                Ok(reason)
            }
            Err(error) => {
                self.before = Some(self.input.text().to_owned());
                Err(Status::Error(match error {
                    crate::write::ReasonError::Required => format!(
                        "Not sent: profile “{}” requires a reason — type it, Enter, then y",
                        for_display(profile)
                    ),
                    error => format!("Not sent: {error}"),
                }))
            }
        }
    }
}

/// What the runtime reports back about a write.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    /// The identity changed on the server since the form opened; nothing was sent.
    Changed {
        latest: Box<Snapshot>,
        server_changes: Vec<Change>,
    },
    /// An answer came (2xx or not). `identity` is the returned identity on success.
    Answered {
        response: ResponseView,
        identity: Option<Value>,
    },
    /// Nothing came back: the error says why (timeout, refused, ...).
    Failed {
        error: String,
        response: Option<ResponseView>,
    },
}

/// What a form's output asks the write pipeline to change.
pub fn edit_for(output: &FormOutput) -> Result<Edit, String> {
    let mut edit = Edit::default();
    match output {
        FormOutput::Traits(traits) => edit.traits = Some(traits.clone()),
        FormOutput::State(state) => {
            edit.state = Some(serde_json::from_value(json!(state)).map_err(|e| e.to_string())?);
        }
        FormOutput::Metadata { public, admin } => {
            edit.metadata_public = Some(public.clone());
            edit.metadata_admin = Some(admin.clone());
        }
        FormOutput::Schema { schema_id } => edit.schema_id = Some(schema_id.clone()),
        FormOutput::Password(password) => {
            edit.credentials = Some(CredentialsImport::plaintext_password(password.0.clone()));
        }
        FormOutput::PasswordHash(hash) => edit.credentials = Some(CredentialsImport::hashed_password(hash.clone())),
        FormOutput::Oidc { provider, subject } => {
            edit.credentials = Some(CredentialsImport::oidc(vec![crate::api::OidcProviderImport {
                provider: provider.clone(),
                subject: subject.clone(),
                use_auto_link: None,
                organization: crate::api::Nullable::Absent,
                extra: serde_json::Map::new(),
            }]));
        }
    }
    Ok(edit)
}

/// Builds the write: everything as the server sent it, with only the form's
/// change applied (`crate::write::plan`). Credentials appear only for an
/// intended import.
pub fn plan_write(base: &Value, output: &FormOutput) -> Result<PlannedWrite, String> {
    let snapshot =
        Snapshot::from_raw(base.clone()).map_err(|e| format!("the identity from the server cannot be read: {e}"))?;
    let edit = edit_for(output)?;
    write::plan(&snapshot, &edit).map_err(|e| e.to_string())
}

/// The body a form would send, for tests and tools that check it against the
/// OpenAPI spec.
pub fn build_body(base: &Value, output: &FormOutput) -> Result<UpdateIdentityBody, String> {
    plan_write(base, output).map(|planned| planned.body)
}

fn short_json(value: Option<&Value>) -> String {
    match value {
        None => "(absent)".to_owned(),
        Some(v) => for_display(&serde_json::to_string(v).unwrap_or_default()).into_owned(),
    }
}

/// Diff lines: `- pointer: old` / `+ pointer: new`.
pub fn change_lines(changes: &[Change]) -> Vec<StyledLine> {
    let mut lines = Vec::new();
    for change in changes {
        let pointer = for_display(&change.pointer).into_owned();
        lines.push(StyledLine(vec![
            (Tone::Bad, format!("- {pointer}: ")),
            (Tone::Bad, short_json(change.old.as_ref())),
        ]));
        lines.push(StyledLine(vec![
            (Tone::Good, format!("+ {pointer}: ")),
            (Tone::Good, short_json(change.new.as_ref())),
        ]));
    }
    if lines.is_empty() {
        lines.push(StyledLine::toned(Tone::Muted, "(no change)"));
    }
    lines
}

/// Puts [`MASK`] where the write pipeline redacted a secret under
/// `credentials`, so a password or hash shows as `••••` and never as text.
fn mask_credentials(value: &mut Value) {
    match value {
        Value::String(text) if text == crate::diff::REDACTED => *text = MASK.to_owned(),
        Value::Object(map) => map.values_mut().for_each(mask_credentials),
        Value::Array(items) => items.iter_mut().for_each(mask_credentials),
        _ => {}
    }
}

/// The changes as the reviewer sees them. A credentials import keeps its
/// shape (`password.config.password` or `.hashed_password`, so the reviewer
/// can tell a plaintext from a hash) with only the secret masked; the
/// pipeline's own diff hides the whole `password` member.
fn shown_changes(request: &WriteRequest, shown_body: &Value) -> Vec<Change> {
    request
        .changes
        .iter()
        .map(|change| {
            let in_credentials = change.pointer == "/credentials" || change.pointer.starts_with("/credentials/");
            match shown_body.pointer(&change.pointer) {
                Some(shown) if in_credentials && change.new.is_some() => Change {
                    pointer: change.pointer.clone(),
                    old: change.old.clone(),
                    new: Some(shown.clone()),
                },
                _ => change.clone(),
            }
        })
        .collect()
}

/// The review: where the write goes, what changes and the body to send.
/// Every secret of the body is masked (the issuance token it echoes in
/// `metadata_admin`, also at the profile's own `issuance_token_pointer`;
/// passwords, hashes and OIDC tokens), in the body and in the changes.
fn review_lines(app: &App, request: &WriteRequest, url: &str) -> Vec<StyledLine> {
    let token_pointer = Some(app.profile.issuance_token_pointer.as_str());
    let mut new = request.display_body();
    crate::api::models::redact_all_secrets(&mut new, token_pointer);
    if let Some(credentials) = new.get_mut("credentials") {
        mask_credentials(credentials);
    }
    let changes: Vec<Change> = shown_changes(request, &new)
        .into_iter()
        .map(|mut change| {
            // Credentials are shown masked in their shape already.
            if change.pointer != "/credentials" && !change.pointer.starts_with("/credentials/") {
                for side in [&mut change.old, &mut change.new].into_iter().flatten() {
                    crate::api::models::redact_secrets_at(&change.pointer, side, token_pointer);
                }
            }
            change
        })
        .collect();
    let changes = &changes;
    let mut lines = vec![
        StyledLine::field("method", "PUT", Tone::Plain),
        StyledLine::field("url", for_display(url).into_owned(), Tone::Plain),
        StyledLine::field("profile", for_display(&app.profile.name).into_owned(), Tone::Plain),
        StyledLine::field(
            "signed",
            if app.profile.signing {
                "yes (Yoti digest)"
            } else {
                "no key configured"
            },
            Tone::Plain,
        ),
        StyledLine::default(),
        StyledLine::toned(Tone::Heading, "What changes (server now → will be sent)"),
    ];
    lines.extend(change_lines(changes));
    let warnings = request.warnings();
    if !warnings.is_empty() {
        lines.push(StyledLine::default());
        lines.push(StyledLine::toned(Tone::Heading, "Before you send"));
        lines.extend(
            warnings
                .iter()
                .map(|warning| StyledLine::toned(Tone::Bad, for_display(warning).into_owned())),
        );
    }
    lines.push(StyledLine::default());
    lines.push(StyledLine::toned(Tone::Heading, "Body to send"));
    lines.extend(super::doc::json_lines(&new));
    lines
}

fn identity_url(app: &App, id: &str) -> String {
    format!("{}/{}", app.profile.identities_url.trim_end_matches('/'), id)
}

/// Ctrl-S in a form: build the request and show the review.
pub(super) fn open(app: &mut App, output: FormOutput) -> Vec<Effect> {
    let Some(form) = app.edit.form.as_mut() else {
        return Vec::new();
    };
    let request = match plan_write(&form.base, &output) {
        Ok(planned) if planned.is_noop() => {
            form.error = Some("this changes nothing: the server has exactly this already".into());
            return Vec::new();
        }
        Ok(planned) => planned,
        Err(error) => {
            form.error = Some(error);
            return Vec::new();
        }
    };
    let base = form.base.clone();
    let url = identity_url(app, &request.identity_id);
    let lines = review_lines(app, &request, &url);
    let who = Who::of(app, &base);
    let reason = ReasonLine::offered(app.history.last_reason.as_deref());
    app.edit.review = Some(Review {
        request,
        url,
        lines,
        stage: Stage::Ready,
        // Wrapped: what is approved must be visible in full.
        view: super::text_view::TextView::new(true),
        who,
        reason,
    });
    app.screen = Screen::Review;
    app.chrome.status = Status::None;
    Vec::new()
}

/// Back to the form, exactly as it was.
fn back_to_form(app: &mut App) -> Vec<Effect> {
    app.edit.review = None;
    app.screen = if app.edit.form.is_some() {
        Screen::Form
    } else {
        Screen::Detail
    };
    Vec::new()
}

/// `y`: sends, unless something says not to — the user stopped waiting for
/// this very write (it may still be applied), an earlier write is still in
/// flight (its answer must find its own request), or the profile wants a
/// reason and none is given (then the reason line takes the keys).
fn send(app: &mut App) -> Vec<Effect> {
    let stopped = app
        .edit
        .review
        .as_ref()
        .is_some_and(|r| r.stage == Stage::StoppedWaiting);
    if refused_while_in_flight(app, stopped) {
        return Vec::new();
    }
    let require_reason = app.profile.require_reason;
    let profile = app.profile.name.clone();
    let now = app.chrome.now;
    let Some(review) = app.edit.review.as_mut() else {
        return Vec::new();
    };
    if review.stage == Stage::StoppedWaiting {
        // The answer came while the user was elsewhere; this review stays disarmed.
        app.chrome.status =
            Status::Error("Not sent again: the first send was answered (H shows it); n/Esc back to the form".into());
        return Vec::new();
    }
    // The reason as the audit trail will keep it, or why there is none
    // that will do (the reason line then has the keys).
    let reason = match review.reason.for_sending(require_reason, &profile) {
        Ok(reason) => reason,
        Err(status) => {
            app.chrome.status = status;
            return Vec::new();
        }
    };
    review.stage = Stage::Sending;
    let mut request = review.request.clone().with_reason(reason.clone());
    let schema = request.base.identity.schema_id.clone();
    if let Some(hints) = app.schemas.hints.get(&schema) {
        // The trail names the identity as the review did.
        request = request.with_identifier_hints(hints);
    }
    app.history.begin(Request {
        at: Some(now),
        who: review.who.clone(),
        changed: request.changes.iter().map(|c| c.pointer.clone()).collect(),
        reason: reason.clone(),
        outcome: Outcome::Sending,
        response: None,
        late: false,
    });
    app.history.last_reason = reason;
    if let Some(form) = app.edit.form.as_mut() {
        // To tell, when the answer lands, whether the form changed since.
        form.mark_sent();
    }
    app.chrome.status = Status::Info("Checking the identity is unchanged, then sending…".into());
    app.begin(Task::Write);
    vec![Effect::Write(Box::new(request))]
}

/// One write at a time, whichever screen sends it (a review or the
/// attribute form): while one is in flight, `y` sends nothing and says why
/// (`stopped`: this review sent it and the user stopped waiting), so each
/// answer finds its own request. True when refused.
pub(super) fn refused_while_in_flight(app: &mut App, stopped: bool) -> bool {
    let Some(earlier) = app.history.in_flight() else {
        return false;
    };
    let who = earlier.who.short();
    app.chrome.status = Status::Error(if stopped {
        "Not sent again: the first send may still be applied; wait for its answer".to_owned()
    } else {
        format!("Not sent: your write to {who} is still in flight; wait for its answer")
    });
    true
}

/// A paste goes into the reason line while it has the keys (a ticket's URL),
/// and nowhere else on the review: it never answers `y`.
pub(super) fn on_paste(app: &mut App, text: &str) {
    if let Some(review) = app.edit.review.as_mut() {
        review.reason.paste(text);
    }
}

/// A key on the reason line (`r` gave it the keys): [`ReasonLine::on_key`].
fn on_reason_key(app: &mut App, action: Action, key: KeyEvent) -> Vec<Effect> {
    if let Some(review) = app.edit.review.as_mut()
        && let Some(status) = review.reason.on_key(action, key)
    {
        app.chrome.status = status;
    }
    Vec::new()
}

/// After a conflict: rebuilds the write on the server's newer version
/// (`crate::write::rebase`). `Merge` carries the edit over only where the
/// server left those fields alone; `Overwrite` lets the edited fields win and
/// keeps the server's other changes. Either way the result is reviewed again
/// (and checked for freshness again when sent).
fn rebase(app: &mut App, resolution: Resolution) -> Vec<Effect> {
    let Some(review) = app.edit.review.as_mut() else {
        return Vec::new();
    };
    let Stage::Conflict { latest, .. } = &review.stage else {
        return Vec::new();
    };
    let latest = latest.clone();
    match write::rebase(&review.request, &latest, resolution) {
        Ok(planned) => {
            review.request = planned;
            if let Some(form) = app.edit.form.as_mut() {
                // The form now builds on the newer version too.
                form.base = latest.raw.clone();
            }
            let Some(review) = app.edit.review.as_ref() else {
                return Vec::new();
            };
            let (request, url) = (review.request.clone(), review.url.clone());
            let lines = review_lines(app, &request, &url);
            if let Some(review) = app.edit.review.as_mut() {
                review.lines = lines;
                review.stage = Stage::Ready;
                review.view = super::text_view::TextView::new(true);
            }
            app.chrome.status = Status::Info(match resolution {
                Resolution::Merge => "Merged your change onto the server's version: review it, then y sends".into(),
                Resolution::Overwrite => {
                    "Your edited fields now replace the server's; its other changes stay. Review, then y sends".into()
                }
            });
        }
        Err(error) => {
            if let Stage::Conflict { merge_error, .. } = &mut review.stage {
                *merge_error = Some(error.to_string());
            }
        }
    }
    Vec::new()
}

/// Where the review's keys go: its stage decides, and the reason line when
/// it has them.
pub(super) fn context(app: &App) -> Context {
    let Some(review) = app.edit.review.as_ref() else {
        return Context::ReviewReady;
    };
    match &review.stage {
        Stage::Sending => Context::ReviewSending,
        Stage::StoppedWaiting => Context::ReviewStopped,
        _ if review.reason.editing() => Context::ReviewReason,
        Stage::Conflict { .. } => Context::ReviewConflict,
        Stage::Ready => Context::ReviewReady,
    }
}

/// A key on the review, by its action (see `keys`).
pub(super) fn on_action(app: &mut App, action: Action, key: KeyEvent) -> Vec<Effect> {
    if context(app) == Context::ReviewReason {
        return on_reason_key(app, action, key);
    }
    let viewport = super::text_view::viewport(app);
    let Some(review) = app.edit.review.as_mut() else {
        return back_to_form(app);
    };
    match action {
        Action::StopWaiting => {
            // The write is not aborted (it may be on the wire already): the
            // review is disarmed and the history keeps following it.
            review.stage = Stage::StoppedWaiting;
            app.history.stop_waiting();
            app.chrome.status = Status::Error("Stopped waiting; the write is still followed (H lists it)".into());
        }
        Action::Reason => app.chrome.status = review.reason.edit(),
        Action::Send => return send(app),
        Action::Back => return back_to_form(app),
        Action::Merge => return rebase(app, Resolution::Merge),
        Action::Overwrite => return rebase(app, Resolution::Overwrite),
        // Scrolling, wrap and search of the body: the text view's keys.
        _ => {
            review.view.act(&review.lines, viewport, action, None);
        }
    }
    Vec::new()
}

/// The runtime's report about a write. It belongs to the one write in
/// flight (a new one is not sent before it is in): its history entry takes
/// the outcome, then it is shown on the review when the review of this write
/// is still open (waiting, or stopped waiting), else as a notice.
pub(super) fn on_outcome(app: &mut App, outcome: WriteOutcome) -> Vec<Effect> {
    app.finish(Task::Write);
    let Some(index) = app.history.following.take() else {
        return Vec::new(); // not an answer to any write of this run
    };
    let stage = app.edit.review.as_ref().map(|r| &r.stage);
    let waiting = matches!(stage, Some(Stage::Sending));
    let on_its_review = waiting || matches!(stage, Some(Stage::StoppedWaiting));
    settle(app, index, &outcome, !waiting);
    if on_its_review {
        show_on_review(app, outcome)
    } else {
        late_notice(app, index, outcome)
    }
}

/// The history entry of the write takes its real outcome (`late`: it came
/// after the user stopped waiting). Attribute updates settle here too.
pub(super) fn settle(app: &mut App, index: usize, outcome: &WriteOutcome, late: bool) {
    let Some(entry) = app.history.entries.get_mut(index) else {
        return;
    };
    entry.late = late;
    match outcome {
        WriteOutcome::Changed { .. } => entry.outcome = Outcome::NotSent,
        WriteOutcome::Answered { response, .. } => {
            entry.outcome = Outcome::Answered;
            entry.response = Some(response.clone());
        }
        WriteOutcome::Failed { error, response } => {
            entry.outcome = Outcome::Failed(error.clone());
            entry.response = response.clone();
        }
    }
}

/// What the server returned after a successful write replaces what the
/// console shows of that identity: its list row, the detail when it is the
/// one open, and a form open on it, which builds on and compares with the
/// server as it is now, not as it was (`editing::take_server_version`).
fn take_returned_identity(app: &mut App, identity: &Value) {
    let now = app.chrome.now;
    super::list::refresh_row(app, identity);
    let id = identity.get("id").and_then(Value::as_str).unwrap_or_default();
    if app.detail.id() == Some(id)
        && let Some(detail) = app.detail.state.as_mut()
    {
        detail.fill(identity.clone(), now);
    }
    super::editing::take_server_version(app, identity);
}

/// The answer of a write the user stopped waiting for and left the review
/// of: the console says what became of it, and `H` has it. Attribute
/// updates are told here too.
pub(super) fn late_notice(app: &mut App, index: usize, outcome: WriteOutcome) -> Vec<Effect> {
    let who = app
        .history
        .entries
        .get(index)
        .map(|entry| entry.who.short())
        .unwrap_or_default();
    app.chrome.status = match outcome {
        WriteOutcome::Answered { response, identity } => {
            let status = match response.status {
                Some(code) => format!("{code} {}", for_display(&response.reason)),
                None => "no status".to_owned(),
            };
            if response.success {
                if let Some(identity) = identity {
                    take_returned_identity(app, &identity);
                }
                if super::response::all_kept(&response) {
                    Status::Info(format!("Late answer for {who}: {status}, saved — H shows it"))
                } else {
                    Status::Error(format!(
                        "Late answer for {who}: {status}, but not everything was kept — H shows it"
                    ))
                }
            } else {
                Status::Error(format!(
                    "Late answer for {who}: refused, {status}; nothing changed — H shows it"
                ))
            }
        }
        WriteOutcome::Failed { error, .. } => Status::Error(format!(
            "The write to {who} you stopped waiting for failed: {} — H shows it",
            for_display(&error)
        )),
        WriteOutcome::Changed { .. } => Status::Error(format!(
            "The write to {who} was not sent: it had changed on the server first — H shows it"
        )),
    };
    Vec::new()
}

/// The answer on the review of its write: the response screen, or the
/// conflict to decide.
fn show_on_review(app: &mut App, outcome: WriteOutcome) -> Vec<Effect> {
    let Some(review) = app.edit.review.as_mut() else {
        return Vec::new();
    };
    match outcome {
        WriteOutcome::Changed { latest, server_changes } => {
            let mut server_lines = vec![StyledLine::toned(
                Tone::Bad,
                "Someone changed this identity on the server since you opened the form:",
            )];
            server_lines.extend(change_lines(&server_changes));
            review.stage = Stage::Conflict {
                latest,
                server_lines,
                merge_error: None,
            };
            app.chrome.status =
                Status::Error("Not sent: the identity changed on the server — m merge, o overwrite, Esc back".into());
            Vec::new()
        }
        WriteOutcome::Answered { response, identity } => {
            let success = response.success;
            app.edit.response = Some(response);
            app.screen = Screen::Response;
            if success {
                // The form is done; the detail shows what the server returned.
                app.edit.form = None;
                app.edit.review = None;
                if let Some(identity) = identity {
                    take_returned_identity(app, &identity);
                }
                app.chrome.status = Status::Info("Saved. Esc shows the identity as the server returned it".into());
            } else {
                app.edit.review = None;
                app.chrome.status =
                    Status::Error("The server refused the change: Esc returns to the form with your edit".into());
            }
            Vec::new()
        }
        WriteOutcome::Failed { error, response } => {
            app.edit.review = None;
            if let Some(response) = response {
                app.edit.response = Some(response);
                app.screen = Screen::Response;
            } else {
                app.screen = if app.edit.form.is_some() {
                    Screen::Form
                } else {
                    Screen::Detail
                };
            }
            let shown = for_display(&error).into_owned();
            // What to do first: a long error would push it off a narrow screen.
            app.chrome.status = Status::Error(format!("Not saved, your edit is kept (Ctrl-S to try again): {shown}"));
            Vec::new()
        }
    }
}
