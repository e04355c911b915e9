//! The identity detail screen: the identity as the server sent it, cut into
//! sections of styled lines (`sections`), each read through its own text
//! view (scroll, wrap, search: `text_view`); the keys typed before it
//! arrived, the form to open once it is there, and the draft waiting for it.

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use serde_json::Value;

use super::doc::StyledLine;
use super::forms::FormKind;
use super::keys::{Action, Context};
use super::sections::build_sections;
use super::text_view::{TextView, Viewport};
use super::{App, Effect, Screen, Status, Task, attribute, drafting, editing, schemas};

/// At most this many keys typed ahead of a loading identity are kept.
const MAX_TYPEAHEAD: usize = 64;

/// The detail sections, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    Summary,
    Traits,
    Metadata,
    Credentials,
    Addresses,
    Raw,
    /// The identity's sessions, read when first shown (`app::sessions`).
    Sessions,
}

impl SectionKind {
    pub const ALL: [SectionKind; 7] = [
        SectionKind::Summary,
        SectionKind::Traits,
        SectionKind::Metadata,
        SectionKind::Credentials,
        SectionKind::Addresses,
        SectionKind::Raw,
        SectionKind::Sessions,
    ];

    pub fn title(self) -> &'static str {
        match self {
            SectionKind::Summary => "Summary",
            SectionKind::Traits => "Traits",
            SectionKind::Metadata => "Metadata",
            SectionKind::Credentials => "Credentials",
            SectionKind::Addresses => "Addresses",
            SectionKind::Raw => "Raw JSON",
            SectionKind::Sessions => "Sessions",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Section {
    pub kind: SectionKind,
    pub lines: Vec<StyledLine>,
    /// Where the section is scrolled, wrapped and searched.
    pub view: TextView,
}

#[derive(Debug, Clone)]
pub struct DetailState {
    /// The id as the server sent it (used for requests).
    pub id: String,
    /// The identity exactly as the server sent it; `None` while loading.
    pub identity: Option<Value>,
    pub sections: Vec<Section>,
    pub current: usize,
    pub loading: bool,
    pub error: Option<String>,
    /// The Sessions section's sessions, read when it is first shown.
    pub sessions: super::sessions::SessionsState,
    /// The Credentials and Addresses sections' chosen entries, and the
    /// confirm screen of `x` or `v`.
    pub entries: super::credential_removal::EntriesState,
}

impl DetailState {
    /// A detail view waiting for its identity.
    pub fn loading(id: String) -> Self {
        Self {
            id,
            identity: None,
            sections: Vec::new(),
            current: 0,
            loading: true,
            error: None,
            sessions: super::sessions::SessionsState::default(),
            entries: super::credential_removal::EntriesState::default(),
        }
    }

    /// Fills the view from a freshly fetched identity, keeping the section,
    /// scroll, wrap and search of each section when it is a reload (the
    /// search runs again on the new text).
    pub fn fill(&mut self, identity: Value, now: DateTime<Utc>) {
        let views: Vec<TextView> = self.sections.drain(..).map(|s| s.view).collect();
        self.sections = build_sections(&identity, now);
        for (section, view) in self.sections.iter_mut().zip(views) {
            if section.kind == SectionKind::Sessions {
                section.lines = super::sessions::lines(&self.sessions, now).0;
            }
            section.view = view;
            section.view.refresh(&section.lines);
        }
        self.identity = Some(identity);
        self.loading = false;
        self.error = None;
    }

    pub fn section(&self) -> Option<&Section> {
        self.sections.get(self.current)
    }

    pub fn next_section(&mut self, forward: bool) {
        let count = SectionKind::ALL.len();
        self.current = if forward {
            (self.current + 1) % count
        } else {
            (self.current + count - 1) % count
        };
    }

    /// `1`–`7`: the section of that number, in the order the tabs show.
    pub fn jump_to(&mut self, digit: char) {
        let index = digit.to_digit(10).and_then(|d| usize::try_from(d).ok());
        if let Some(index) = index
            .and_then(|d| d.checked_sub(1))
            .filter(|i| *i < SectionKind::ALL.len())
        {
            self.current = index;
        }
    }

    /// `w`: wrapping is one choice for the whole identity, so every section
    /// follows the one it was pressed on.
    fn toggle_wrap(&mut self, viewport: Viewport) {
        let wrap = !self.section().is_some_and(|s| s.view.wrap);
        for section in &mut self.sections {
            section.view.set_wrap(&section.lines, viewport, wrap);
        }
    }
}

/// The room the detail's sections have: the terminal less the header,
/// banner, title, tabs, draft offer, status line and footer (as
/// `ui::detail` lays it out).
pub(super) fn viewport(app: &App) -> Viewport {
    let chrome = 5 + u16::from(app.profile.danger) + u16::from(app.detail.offer.is_some());
    Viewport {
        width: usize::from(app.chrome.width),
        height: usize::from(app.chrome.height.saturating_sub(chrome)).max(1),
    }
}

/// What opens once the identity has arrived (an edit key on the list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    Form(FormKind),
    /// The traits in the user's own editor (`E`).
    External,
    /// The attribute-registry form (`a`).
    Attribute,
}

/// The detail screen.
#[derive(Debug, Default)]
pub struct DetailScreen {
    /// The identity open (loading, loaded or failed).
    pub state: Option<DetailState>,
    /// A draft waiting for this identity: Enter restores, `v` shows, `x`
    /// discards (`d` on Sessions and Credentials, where `x` acts on an entry;
    /// `V` shows on Addresses, where `v` verifies; `ui::drafts::offer_line`).
    pub offer: Option<crate::drafts::Draft>,
    /// Keys typed before the identity arrived, acted on when it does.
    typeahead: Vec<KeyEvent>,
    pending: Option<Pending>,
}

impl DetailScreen {
    /// The id of the identity open.
    pub fn id(&self) -> Option<&str> {
        self.state.as_ref().map(|d| d.id.as_str())
    }

    /// The identity as the server sent it, once it is there.
    pub fn identity(&self) -> Option<&Value> {
        self.state.as_ref().and_then(|d| d.identity.as_ref())
    }
}

/// Opens the detail of `id` and asks for it; `pending` opens once it is there.
pub(super) fn open(app: &mut App, id: String, pending: Option<Pending>) -> Vec<Effect> {
    app.detail.state = Some(DetailState::loading(id.clone()));
    app.detail.pending = pending;
    app.screen = Screen::Detail;
    app.chrome.status = Status::None;
    app.begin(Task::Identity);
    vec![Effect::LoadIdentity { id }]
}

pub(super) fn context(app: &App) -> Context {
    match app.detail.state.as_ref() {
        Some(d) if d.identity.is_some() && d.section().is_some_and(|s| s.kind == SectionKind::Sessions) => {
            match d.sessions.confirm.as_ref() {
                Some(c) if c.sending => Context::SessionSending,
                Some(c) if c.reason.editing() => Context::SessionReason,
                Some(_) => Context::SessionConfirm,
                None if app.detail.offer.is_some() => Context::DetailSessionsOffer,
                None => Context::DetailSessions,
            }
        }
        Some(d) if d.identity.is_some() && d.entries.confirm.is_some() => match d.entries.confirm.as_ref() {
            Some(c) if c.sending => Context::CredentialSending,
            Some(c) if c.reason.editing() => Context::CredentialReason,
            _ => Context::CredentialConfirm,
        },
        Some(_) if super::credential_removal::showing(app, SectionKind::Credentials) => match app.detail.offer {
            Some(_) => Context::DetailCredentialsOffer,
            None => Context::DetailCredentials,
        },
        Some(_) if super::credential_removal::showing(app, SectionKind::Addresses) => match app.detail.offer {
            Some(_) => Context::DetailAddressesOffer,
            None => Context::DetailAddresses,
        },
        Some(d) if d.identity.is_some() => Context::Detail {
            offer: app.detail.offer.is_some(),
        },
        Some(d) if d.loading => Context::DetailLoading,
        _ => Context::DetailFailed,
    }
}

fn leave(app: &mut App) -> Vec<Effect> {
    let was_loading = app.detail.state.as_ref().is_some_and(|d| d.loading);
    let sessions_loading = app.detail.state.as_ref().is_some_and(|d| d.sessions.loading);
    app.screen = Screen::List;
    app.detail = DetailScreen::default();
    app.chrome.status = Status::None;
    let mut effects = Vec::new();
    if was_loading {
        effects.push(app.cancel(Task::Identity));
    }
    if sessions_loading {
        effects.push(app.cancel(Task::Sessions));
    }
    effects
}

/// A key on the detail view, by its action (see `keys`).
pub(super) fn on_action(app: &mut App, action: Action, key: KeyEvent) -> Vec<Effect> {
    let viewport = viewport(app);
    if app.detail.state.is_none() {
        return leave(app);
    }
    if super::sessions::showing(app)
        && let Some(effects) = super::sessions::on_action(app, action, viewport)
    {
        return effects;
    }
    if let Some(effects) = super::credential_removal::on_action(app, action, viewport) {
        return effects;
    }
    let Some(detail) = app.detail.state.as_mut() else {
        return leave(app);
    };
    match action {
        Action::Back => return leave(app),
        Action::TypeAhead if app.detail.typeahead.len() < MAX_TYPEAHEAD => app.detail.typeahead.push(key),
        Action::RestoreDraft => return drafting::restore_offer(app),
        Action::ShowDraft => return drafting::show_offer(app),
        Action::DiscardDraft => return drafting::discard_offer(app),
        Action::ToggleWrap => detail.toggle_wrap(viewport),
        Action::Down
        | Action::Up
        | Action::PageDown
        | Action::PageUp
        | Action::Top
        | Action::Bottom
        | Action::Right
        | Action::Left
        | Action::Search
        | Action::NextMatch
        | Action::PrevMatch => {
            if let Some(section) = detail.sections.get_mut(detail.current) {
                section.view.act(&section.lines, viewport, action, None);
            }
        }
        Action::NextSection => {
            detail.next_section(true);
            return super::sessions::on_shown_if(app);
        }
        Action::PrevSection => {
            detail.next_section(false);
            return super::sessions::on_shown_if(app);
        }
        Action::JumpSection => {
            if let crossterm::event::KeyCode::Char(digit) = key.code {
                detail.jump_to(digit);
            }
            return super::sessions::on_shown_if(app);
        }
        Action::Reload => {
            detail.loading = true;
            let id = detail.id.clone();
            app.begin(Task::Identity);
            app.chrome.status = Status::Info("Reloading…".into());
            return vec![Effect::LoadIdentity { id }];
        }
        Action::CopyId => {
            let id = Some(detail.id.clone());
            return super::copy_id(app, id);
        }
        Action::History => return super::history::open(app),
        Action::Drafts => return drafting::open_list(app),
        Action::Edit(kind) => return editing::edit_on_detail(app, Pending::Form(kind)),
        Action::EditExternally => return editing::edit_on_detail(app, Pending::External),
        Action::EditAttribute => return editing::edit_on_detail(app, Pending::Attribute),
        Action::Recovery => return super::recovery::open(app),
        Action::DeleteIdentity => return super::delete::open(app),
        _ => {}
    }
    Vec::new()
}

/// The identity arrived (or could not be read).
pub(super) fn on_identity(app: &mut App, id: String, result: Result<Value, String>) -> Vec<Effect> {
    app.finish(Task::Identity);
    let now = app.chrome.now;
    let Some(detail) = app.detail.state.as_mut().filter(|d| d.id == id) else {
        return Vec::new(); // the user has left this identity already
    };
    match result {
        Ok(identity) => {
            let schema_id = identity.get("schema_id").and_then(Value::as_str).map(str::to_owned);
            detail.fill(identity, now);
            super::credential_removal::rebuild(app);
            // Its schema is asked for first, so a form opening now knows it is on its way.
            schemas::want_ids(app, schema_id.as_deref());
            let mut effects = schemas::request(app);
            app.detail.offer = app.drafts.known.iter().find(|d| d.identity_id == id).cloned();
            effects.extend(match app.detail.pending.take() {
                Some(Pending::Attribute) => attribute::open(app),
                Some(pending) => {
                    let effects = match pending {
                        Pending::Form(kind) => editing::open_form(app, kind),
                        _ => editing::open_externally(app),
                    };
                    if app.detail.offer.is_some() {
                        app.chrome.status =
                            Status::Info("A draft waits for this identity: Esc, then Enter restores it".into());
                    }
                    effects
                }
                None => Vec::new(),
            });
            // Keys typed while the identity loaded act now, in order, as if
            // typed after it arrived (scripts and fast typists type ahead).
            for key in std::mem::take(&mut app.detail.typeahead) {
                effects.extend(super::on_key(app, key));
            }
            effects
        }
        Err(error) => {
            detail.loading = false;
            detail.error = Some(error.clone());
            app.detail.pending = None;
            app.detail.typeahead.clear();
            app.chrome.status = Status::Error(format!(
                "Loading the identity failed: {} — press r to retry",
                crate::sanitize::for_display(&error)
            ));
            Vec::new()
        }
    }
}
