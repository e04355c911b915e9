//! Application state and its only mutator, [`update`].
//!
//! Messages come in (keys, resizes, answers to requests), state changes, and
//! effects go out as plain descriptions of I/O for the runtime in `tui` to run.
//! Nothing here touches the terminal, the network, the disk or the OS random
//! source, so every behaviour of the console can be tested by feeding
//! messages and looking at state and effects.
//!
//! This file holds the message type, the effect type and the dispatch; each
//! screen keeps its state and its handlers in its own module (`list`,
//! `detail`, `editing` with `forms` and `review`, `response`, `history`,
//! `attribute`, `drafting`), and `keys` says which key does what where.

pub mod attribute;
pub mod chrome;
pub mod create;
pub mod credential_removal;
pub mod credentials;
pub mod delete;
pub mod detail;
pub mod doc;
pub mod draft_text;
pub mod drafting;
pub mod editing;
pub mod forms;
pub mod history;
pub mod input;
pub mod json_edit;
mod keymap;
pub mod keys;
pub mod list;
pub mod recovery;
pub mod response;
pub mod review;
pub mod rows;
pub mod schemas;
pub mod search;
pub mod sections;
pub mod sessions;
pub mod text_view;
pub mod time;
pub mod trait_form;

use crate::sanitize::for_display;
use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, KeyEventKind};
use serde_json::Value;

pub use self::chrome::{Chrome, Status};
use self::detail::DetailScreen;
use self::drafting::Drafting;
use self::editing::Editing;
use self::forms::SecretString;
use self::history::History;
use self::keys::{Action, Context};
use self::list::ListState;
pub use self::list::LoadedPage;
pub use self::schemas::{SchemaStatus, Schemas};

/// How many identities one list request asks for (Kratos's maximum is 500).
pub const PAGE_SIZE: u32 = 250;

/// An identity's audit trail as worded lines, or why it cannot be read.
pub type AuditLines = Result<Vec<String>, String>;

/// Terminal size below which the console explains instead of drawing.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// What the header shows about the connection; fixed for a run.
#[derive(Debug, Clone, Default)]
pub struct ProfileInfo {
    pub name: String,
    pub base_url: String,
    pub read_only: bool,
    /// A production profile: a red banner on every screen.
    pub danger: bool,
    /// Base URL + identities path, for showing request URLs.
    pub identities_url: String,
    /// Whether requests are signed (a key is configured).
    pub signing: bool,
    /// The attribute registry's base URL; empty when the profile has none.
    pub attribute_registry_url: String,
    /// Whether the profile can reach an attribute registry.
    pub attribute_registry: bool,
    /// Where identities keep their Yoti issuance token (JSON pointer).
    pub issuance_token_pointer: String,
    /// Every write needs a reason (the profile's `require_reason`): the
    /// review refuses `y` until one is given.
    pub require_reason: bool,
}

/// Everything that can happen to the console.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Resize {
        width: u16,
        height: u16,
    },
    /// The identity schemas (`GET /schemas`), to find each schema's identifier trait.
    SchemasLoaded(Result<Vec<(String, Value)>, String>),
    PageLoaded {
        generation: u64,
        result: Result<LoadedPage, String>,
    },
    SearchLoaded {
        generation: u64,
        query: String,
        result: Result<Vec<Value>, String>,
    },
    /// A page of a server search's prefix matches ([`Effect::LoadSimilar`]).
    SimilarLoaded {
        generation: u64,
        search: u64,
        result: Result<LoadedPage, String>,
    },
    IdentityLoaded {
        id: String,
        result: Result<Value, String>,
    },
    /// The text the user saved in their own editor (`E`).
    ExternalEditDone {
        identity_id: String,
        result: Result<String, String>,
    },
    /// The password typed into the credentials form, hashed here with
    /// argon2id ([`Effect::HashPassword`]).
    PasswordHashed {
        identity_id: String,
        result: Result<SecretString, String>,
    },
    /// Audit-trail lines of one identity (for `H` on an identity), already
    /// worded and sanitised.
    AuditLoaded {
        identity_id: String,
        result: Result<Vec<String>, String>,
    },
    /// The drafts saved by earlier runs for this profile.
    DraftsListed(Result<Vec<crate::drafts::Draft>, String>),
    /// Save the open form as a draft now if it changed (the debounce timer
    /// of [`Effect::ScheduleDraftSave`] fired, or the console is closing).
    DraftTick,
    /// What became of an attribute-registry update.
    AttributeDone(review::WriteOutcome),
    /// What became of a write (`Effect::Write`).
    WriteDone(review::WriteOutcome),
    /// What became of a session write, in words ([`Effect::SessionWrite`]).
    SessionWriteDone {
        identity_id: String,
        result: Result<String, String>,
    },
    /// What became of a credential removal or address verification, in
    /// words ([`Effect::CredentialWrite`]).
    CredentialWriteDone {
        identity_id: String,
        result: Result<String, String>,
    },
    /// A page of an identity's sessions ([`Effect::LoadSessions`]).
    SessionsLoaded {
        identity_id: String,
        active_only: bool,
        page: u32,
        result: Result<crate::api::sessions::SessionPage, String>,
    },
    /// What became of a recovery link or code ([`Effect::CreateRecovery`]).
    RecoveryDone(Box<recovery::RecoveryDone>),
    /// The first page of the sessions a delete takes with it
    /// ([`Effect::CountDeleteSessions`]).
    DeleteSessionsCounted {
        identity_id: String,
        result: Result<crate::api::sessions::SessionPage, String>,
    },
    /// What became of a delete ([`Effect::DeleteIdentity`]).
    DeleteDone(Box<delete::DeleteDone>),
    /// What became of a create ([`Effect::CreateIdentity`]).
    CreateDone(Box<create::CreateDone>),
    /// Animation tick; the runtime sends it only while a request is in flight.
    Tick,
}

/// Which kind of work an effect starts, so it can be cancelled and the
/// spinner knows something runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Task {
    Schemas,
    Page,
    Search,
    Identity,
    Write,
    /// Reading an identity's audit trail (`H`).
    Audit,
    /// Hashing a password here (argon2id).
    Hash,
    /// Reading an identity's sessions (the Sessions section).
    Sessions,
    /// Revoking or extending sessions (`x`, `X`, `+`); never cancelled.
    SessionWrite,
    /// Removing a credential or marking an address verified (`x`, `v`); never cancelled.
    CredentialWrite,
    /// Making a recovery link or code (`R`); never cancelled (its answer is
    /// the only chance to see the secret).
    Recovery,
    /// Counting the sessions a delete takes with it (`Ctrl-D`).
    DeleteSessions,
    /// Deleting an identity (`Ctrl-D`); never cancelled.
    Delete,
    /// Creating an identity (`n`); never cancelled.
    Create,
}

/// I/O for the runtime to perform. Results come back as [`Msg`].
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadSchemas,
    LoadPage {
        generation: u64,
        cursor: Option<list::PageCursor>,
        page_size: u32,
    },
    /// Exact identifier search, plus a fetch by id when `query` looks like one.
    Search {
        generation: u64,
        query: String,
    },
    /// A page of the identities with an identifier starting with `prefix`
    /// (`preview_credentials_identifier_similar`): the first when `cursor`
    /// is `None`; answered with [`Msg::SimilarLoaded`].
    LoadSimilar {
        generation: u64,
        search: u64,
        prefix: String,
        cursor: Option<list::PageCursor>,
        page_size: u32,
    },
    LoadIdentity {
        id: String,
    },
    /// Page `page` (from 0) of the identity's sessions, [`sessions::PAGE_SIZE`]
    /// a page; answered with [`Msg::SessionsLoaded`].
    LoadSessions {
        identity_id: String,
        active_only: bool,
        page: u32,
    },
    /// Revoke or extend sessions: signed, audited (intent and outcome),
    /// refused on a read-only profile; answered with [`Msg::SessionWriteDone`].
    SessionWrite(Box<sessions::SessionWriteRequest>),
    /// Remove a credential or mark an address verified: read again, signed,
    /// audited (intent and outcome, never a config), refused on a read-only
    /// profile; answered with [`Msg::CredentialWriteDone`].
    CredentialWrite(Box<credential_removal::CredentialWriteRequest>),
    /// Make a recovery link or code: signed, audited (intent and outcome,
    /// never the secret), refused on a read-only profile; answered with
    /// [`Msg::RecoveryDone`].
    CreateRecovery(Box<recovery::RecoveryOrder>),
    /// Read the first page of an identity's sessions for the delete
    /// screen's count; answered with [`Msg::DeleteSessionsCounted`].
    CountDeleteSessions {
        identity_id: String,
    },
    /// Read the identity again and, when what would be lost is unchanged,
    /// delete it: signed, audited with the redacted snapshot, refused on a
    /// read-only profile; answered with [`Msg::DeleteDone`].
    DeleteIdentity(Box<delete::DeleteOrder>),
    /// Add the password (hashed here first when asked) and create the
    /// identity: signed, audited like `idcon create` (never the password),
    /// a 409 explained; answered with [`Msg::CreateDone`].
    CreateIdentity(Box<create::CreateOrder>),
    Cancel(Task),
    /// Suspend the console and edit `text` in `$VISUAL`/`$EDITOR`.
    EditExternally {
        identity_id: String,
        text: String,
    },
    /// Hash `password` with argon2id off the event loop (CPU work and OS
    /// randomness); answered with [`Msg::PasswordHashed`].
    HashPassword {
        identity_id: String,
        password: SecretString,
    },
    /// Fetch the identity again and, if unchanged (or `overwrite`), send the PUT.
    Write(Box<review::WriteRequest>),
    /// Record in the audit trail that a write was refused before anything
    /// was signed (read-only profile). Awaited on quit like writes.
    AuditRefusal {
        identity_id: Option<String>,
        reason: String,
    },
    /// Send an attribute-registry update (audited, read-only checked).
    WriteAttribute(Box<attribute::AttributeRequest>),
    /// Read the audit trail's lines about one identity.
    LoadAudit {
        identity_id: String,
    },
    /// Read the drafts of this profile.
    ListDrafts,
    /// Send [`Msg::DraftTick`] after the draft interval (drafts are saved
    /// at most once a second while a form changes).
    ScheduleDraftSave,
    /// Save (replace) the draft of an identity.
    SaveDraft(Box<crate::drafts::Draft>),
    /// Forget the draft of an identity (sent successfully, or discarded).
    RemoveDraft {
        identity_id: String,
    },
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    List,
    Detail,
    Form,
    Review,
    Response,
    History,
    /// The drafts waiting (`D`).
    Drafts,
    /// A read-only text (a draft's diff).
    Text,
    /// The attribute-registry form and its review (`a`).
    Attribute,
    /// A recovery link or code for the identity open (`R`).
    Recovery,
    /// Deleting the identity open (`Ctrl-D`).
    Delete,
    /// Creating an identity (`n` on the list).
    Create,
}

/// All state of the console, one part per screen.
#[derive(Debug)]
pub struct App {
    pub profile: ProfileInfo,
    /// The screen that has the keys.
    pub screen: Screen,
    /// What every screen shares: size, clock, status line, help, spinner.
    pub chrome: Chrome,
    /// The identity list, its search prompt and its paging.
    pub list: ListState,
    /// The identity open, and what waits for it to arrive.
    pub detail: DetailScreen,
    /// The identity schemas and how far loading them is.
    pub schemas: Schemas,
    /// The open form, its review, the attribute form and the last answer.
    pub edit: Editing,
    /// The requests of this run and an identity's audit trail.
    pub history: History,
    /// Drafts: those waiting, and saving the open form.
    pub drafts: Drafting,
    /// The recovery screen (`R`), while it is open: the only place a
    /// recovery secret is held.
    pub recovery: Option<recovery::RecoveryScreen>,
    /// The delete screen (`Ctrl-D`), while it is open.
    pub delete: Option<delete::DeleteScreen>,
    /// The create screen (`n`), while it is open: the only place the new
    /// identity's password is typed.
    pub create: Option<create::CreateScreen>,
}

impl App {
    pub fn new(profile: ProfileInfo, width: u16, height: u16, now: DateTime<Utc>) -> Self {
        Self {
            profile,
            screen: Screen::List,
            chrome: Chrome::new(width, height, now),
            list: ListState::default(),
            detail: DetailScreen::default(),
            schemas: Schemas::default(),
            edit: Editing::default(),
            history: History::default(),
            drafts: Drafting::default(),
            recovery: None,
            delete: None,
            create: None,
        }
    }

    /// The effects that start the console: schemas, drafts and the first page.
    pub fn start(&mut self) -> Vec<Effect> {
        let mut effects = schemas::start(self);
        effects.push(Effect::ListDrafts);
        effects.extend(list::reload(self));
        effects
    }

    /// True while any request is in flight (the runtime ticks the spinner only then).
    pub fn busy(&self) -> bool {
        self.chrome.busy()
    }

    fn begin(&mut self, task: Task) {
        self.chrome.begin(task);
    }

    fn finish(&mut self, task: Task) {
        self.chrome.finish(task);
    }

    fn cancel(&mut self, task: Task) -> Effect {
        self.chrome.cancel(task)
    }

    /// Rows of the list body for the current height (header, banner, column
    /// titles, status and footer taken away).
    pub fn list_body_height(&self) -> usize {
        let chrome = 4
            + u16::from(self.profile.danger)
            + u16::from(self.list.search_input.is_some())
            + u16::from(self.list.shows_badge());
        usize::from(self.chrome.height.saturating_sub(chrome)).max(1)
    }

    /// Lines of the detail body for the current height.
    pub fn detail_body_height(&self) -> usize {
        let chrome = 5 + u16::from(self.profile.danger);
        usize::from(self.chrome.height.saturating_sub(chrome)).max(1)
    }

    /// The header's mark when an identity's schema could not be loaded.
    pub fn schema_warning(&self) -> Option<&'static str> {
        self.schemas.warning()
    }

    /// Whether identities with schema `id` are shown without their schema.
    pub fn schema_missing(&self, id: &str) -> bool {
        self.schemas.missing.contains(id)
    }

    /// Why the schema form (`i`) may not offer every schema: the server's
    /// list could not be read.
    pub fn schema_list_problem(&self) -> Option<&str> {
        self.schemas.list_problem()
    }

    /// The mark of the open traits form when its traits cannot be checked
    /// against their schema here; `None` when they are.
    pub fn traits_form_mark(&self) -> Option<&'static str> {
        self.schemas.traits_form_mark(self.edit.form.as_ref())
    }

    /// Why the traits of the open form are in the JSON editor and not in
    /// the form built from their schema; `None` when the form can show
    /// them (`Ctrl-J` goes there).
    pub fn traits_form_unavailable(&self) -> Option<String> {
        let form = self.edit.form.as_ref()?;
        let forms::FormBody::Traits(json) = &form.body else {
            return None;
        };
        let schema_id = form.schema_id();
        let Some(schema) = self.schemas.docs.get(schema_id) else {
            return Some(format!(
                "the identity schema {} is not loaded here",
                for_display(schema_id)
            ));
        };
        if let Err(why) = trait_form::schema::read(schema) {
            return Some(why);
        }
        match json_edit::parse(&json.field.text()) {
            Ok(traits) if !traits.is_object() => Some(format!(
                "the traits are {}, not a group of members",
                trait_form::value::kind_of(&traits)
            )),
            _ => None,
        }
    }

    /// Where keys go now (the help overlay, or a screen in some state).
    pub fn key_context(&self) -> Context {
        keys_context::current(self)
    }

    /// The context whose keys the help overlay and the footer list: the
    /// screen's own, also while the help is open.
    pub fn screen_key_context(&self) -> Context {
        keys_context::under_help(self)
    }
}

/// Applies one message. The only place state changes.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let form_before = app.edit.form.as_ref().map(|f| f.identity_id.clone());
    let mut effects = match msg {
        Msg::Key(key) if key.kind == KeyEventKind::Release => Vec::new(),
        Msg::Key(key) => on_key(app, key),
        Msg::Paste(text) => on_paste(app, &text),
        Msg::Resize { width, height } => {
            app.chrome.resize(width, height);
            Vec::new()
        }
        Msg::SchemasLoaded(result) => schemas::on_loaded(app, result),
        Msg::PageLoaded { generation, result } => list::on_page(app, generation, result),
        Msg::SearchLoaded {
            generation,
            query,
            result,
        } => search::on_search(app, generation, query, result),
        Msg::SimilarLoaded {
            generation,
            search,
            result,
        } => search::on_similar(app, generation, search, result),
        Msg::IdentityLoaded { id, result } => detail::on_identity(app, id, result),
        Msg::ExternalEditDone { identity_id, result } => editing::on_external_edit(app, identity_id, result),
        Msg::PasswordHashed { identity_id, result } => editing::on_hashed(app, identity_id, result),
        Msg::WriteDone(outcome) => {
            // Before the review takes the form away: what it asked for.
            let revoke = sessions::revoke_after_deactivation(app, &outcome);
            let mut effects = review::on_outcome(app, outcome);
            effects.extend(revoke);
            effects
        }
        Msg::AttributeDone(outcome) => attribute::on_done(app, outcome),
        Msg::SessionsLoaded {
            identity_id,
            active_only,
            page,
            result,
        } => sessions::on_loaded(app, identity_id, active_only, page, result),
        Msg::SessionWriteDone { identity_id, result } => sessions::on_write_done(app, identity_id, result),
        Msg::CredentialWriteDone { identity_id, result } => credential_removal::on_write_done(app, identity_id, result),
        Msg::DraftsListed(result) => drafting::on_listed(app, result),
        Msg::AuditLoaded { identity_id, result } => history::on_audit(app, identity_id, result),
        Msg::DraftTick => drafting::save_now(app),
        Msg::RecoveryDone(done) => recovery::on_done(app, *done),
        Msg::DeleteSessionsCounted { identity_id, result } => delete::on_sessions(app, identity_id, result),
        Msg::DeleteDone(done) => delete::on_done(app, *done),
        Msg::CreateDone(done) => create::on_done(app, *done),
        Msg::Tick => {
            app.chrome.spinner = app.chrome.spinner.wrapping_add(1);
            Vec::new()
        }
    };
    effects.extend(drafting::track(app, form_before));
    effects.extend(list::after_update(app));
    history::after_update(app);
    effects
}

/// A key: its action in the current context, then the screen that acts.
fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let context = app.key_context();
    let Some(action) = keys::action(context, &key) else {
        return Vec::new();
    };
    match action {
        Action::Quit => {
            app.chrome.quit = true;
            // The open form is saved as a draft on the way out.
            let mut effects = drafting::save_now(app);
            effects.push(Effect::Quit);
            return effects;
        }
        Action::Help => {
            app.chrome.help = Some(0);
            return Vec::new();
        }
        _ => {}
    }
    match context {
        Context::Help { .. } => {
            let rows = keys::help_lines(keys_context::under_help(app));
            app.chrome.on_help_action(action, rows);
            Vec::new()
        }
        Context::FormTraitText
        | Context::FormTraitCheck
        | Context::FormTraitChoice
        | Context::FormTraitChoosing
        | Context::FormTraitOther
        | Context::FormField
        | Context::FormToggle
        | Context::Discard
            if app.screen == Screen::Create =>
        {
            create::on_action(app, action, key)
        }
        Context::CreateSchema
        | Context::CreateState
        | Context::CreateReview
        | Context::CreateReason
        | Context::CreateSending => create::on_action(app, action, key),
        Context::List => list::on_action(app, action),
        Context::Search => list::on_search_action(app, action, key),
        Context::DetailLoading
        | Context::DetailFailed
        | Context::Detail { .. }
        | Context::DetailSessions
        | Context::DetailSessionsOffer
        | Context::DetailCredentials
        | Context::DetailAddresses
        | Context::DetailCredentialsOffer
        | Context::DetailAddressesOffer => detail::on_action(app, action, key),
        Context::CredentialConfirm | Context::CredentialReason | Context::CredentialSending => {
            credential_removal::on_confirm_action(app, action, key)
        }
        Context::Discard | Context::ReviewStopped | Context::ReviewReason if app.screen == Screen::Attribute => {
            attribute::on_action(app, action, key)
        }
        Context::FormTraits
        | Context::FormTraitText
        | Context::FormTraitCheck
        | Context::FormTraitChoice
        | Context::FormTraitChoosing
        | Context::FormTraitOther
        | Context::FormMetadata
        | Context::FormState
        | Context::FormSchema
        | Context::FormMode
        | Context::FormToggle
        | Context::FormField
        | Context::FormHashing
        | Context::Discard => editing::on_action(app, action, key),
        Context::ReviewReady
        | Context::ReviewReason
        | Context::ReviewSending
        | Context::ReviewStopped
        | Context::ReviewConflict => review::on_action(app, action, key),
        Context::SessionConfirm | Context::SessionReason | Context::SessionSending => {
            sessions::on_confirm_action(app, action, key)
        }
        Context::RecoveryKind
        | Context::RecoveryExpiry
        | Context::RecoveryReason
        | Context::RecoveryConfirm
        | Context::RecoverySending
        | Context::RecoveryAnswer
        | Context::RecoveryLeave => recovery::on_action(app, action, key),
        Context::DeleteConfirm | Context::DeleteReason | Context::DeleteSending => delete::on_action(app, action, key),
        Context::Response => response::on_action(app, action),
        Context::History => history::on_action(app, action),
        Context::Drafts | Context::Text => drafting::on_action(app, action),
        Context::ViewSearch => text_view::on_prompt(app, action, key),
        Context::AttributeLine | Context::AttributeValue | Context::AttributeReview | Context::AttributeSending => {
            attribute::on_action(app, action, key)
        }
    }
}

/// `y`: the id to the clipboard, but only an id the sanitiser has nothing to
/// say about. An id is server data: one holding a line break or an invisible
/// character, pasted into a shell, would run or hide something.
fn copy_id(app: &mut App, id: Option<String>) -> Vec<Effect> {
    match id {
        Some(id) if id.chars().any(crate::sanitize::is_unsafe) => {
            app.chrome.status = Status::Error(format!(
                "Not copied: the id {} holds control or invisible characters",
                for_display(&id)
            ));
            Vec::new()
        }
        Some(id) => {
            app.chrome.status = Status::Info(format!("Copied {} to the clipboard", for_display(&id)));
            vec![Effect::Copy(id)]
        }
        None => Vec::new(),
    }
}

/// A paste only ever goes into a text field; it never answers a prompt or
/// triggers a key binding.
fn on_paste(app: &mut App, text: &str) -> Vec<Effect> {
    if text_view::prompt_open(app) {
        text_view::on_paste(app, text);
        return Vec::new();
    }
    match app.screen {
        Screen::Form => editing::on_paste(app, text),
        Screen::Attribute => attribute::on_paste(app, text),
        Screen::List => list::on_paste(app, text),
        Screen::Review => review::on_paste(app, text),
        Screen::Detail => {
            sessions::on_confirm_paste(app, text);
            credential_removal::on_confirm_paste(app, text);
        }
        Screen::Recovery => recovery::on_paste(app, text),
        Screen::Delete => delete::on_paste(app, text),
        Screen::Create => create::on_paste(app, text),
        _ => {}
    }
    Vec::new()
}

/// Which key context the app is in: read from each screen's state.
mod keys_context {
    use super::keys::Context;
    use super::{App, Screen, attribute, detail, editing, review};

    pub fn current(app: &App) -> Context {
        if app.chrome.help.is_some() {
            let rows = super::keys::help_lines(under_help(app));
            return Context::Help {
                scrolls: rows > super::chrome::help_page(app.chrome.height),
            };
        }
        under_help(app)
    }

    /// The context of the screen itself, which the help overlay lists.
    pub fn under_help(app: &App) -> Context {
        if super::text_view::prompt_open(app) {
            return Context::ViewSearch;
        }
        match app.screen {
            Screen::List if app.list.search_input.is_some() => Context::Search,
            Screen::List => Context::List,
            Screen::Detail => detail::context(app),
            Screen::Form => editing::context(app),
            Screen::Review => review::context(app),
            Screen::Response => Context::Response,
            Screen::History => Context::History,
            Screen::Drafts => Context::Drafts,
            Screen::Text => Context::Text,
            Screen::Attribute => attribute::context(app),
            Screen::Recovery => super::recovery::context(app),
            Screen::Delete => super::delete::context(app),
            Screen::Create => super::create::context(app),
        }
    }
}

#[cfg(test)]
mod tests;
