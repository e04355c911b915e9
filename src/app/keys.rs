//! The keys of every screen, one table per context: which key, what it does
//! (an [`Action`]), how the help names it and whether the footer shows it.
//!
//! Key handling looks the action up here ([`action`]); the footer, the help
//! overlay and the README's key table read the same rows ([`bindings`]). A
//! key therefore cannot work without being listed, and the key test in
//! `app/tests` presses every key on every screen to prove that each listed
//! key does something (as gitui's `key_match` over the `KeysList` that also
//! feeds its command bar).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::forms::FormKind;

/// Which keys a binding takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// One character, without Ctrl or Alt (Shift is how terminals report
    /// capitals, so it is allowed).
    Char(char),
    /// A named key (Enter, arrows, F1, ...) without Ctrl or Alt.
    Code(KeyCode),
    /// Ctrl with a letter, either case.
    Ctrl(char),
    /// Any character from the first to the last, without Ctrl or Alt
    /// (`1`–`6`: the handler reads which one from the key).
    Range(char, char),
    /// Any printable character without Ctrl or Alt: typing into a field.
    Printable,
    /// What a one-line field takes: typing, Backspace, Delete, ←/→,
    /// Home/End, Ctrl-U/A/E.
    LineEditing,
    /// What a JSON editor takes: typing, Enter, Tab, Backspace, Delete,
    /// arrows, Home/End, PgUp/PgDn and its Emacs keys.
    TextEditing,
    /// Any key at all.
    Any,
}

impl Pattern {
    pub fn matches(self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let plain = !ctrl && !alt;
        match self {
            Pattern::Char(c) => plain && key.code == KeyCode::Char(c),
            Pattern::Range(first, last) => plain && matches!(key.code, KeyCode::Char(c) if (first..=last).contains(&c)),
            Pattern::Code(code) => plain && key.code == code,
            Pattern::Ctrl(c) => ctrl && !alt && matches!(key.code, KeyCode::Char(k) if k.eq_ignore_ascii_case(&c)),
            Pattern::Printable => plain && matches!(key.code, KeyCode::Char(c) if !c.is_control()),
            Pattern::LineEditing => {
                Pattern::Printable.matches(key)
                    || (plain
                        && matches!(
                            key.code,
                            KeyCode::Backspace
                                | KeyCode::Delete
                                | KeyCode::Left
                                | KeyCode::Right
                                | KeyCode::Home
                                | KeyCode::End
                        ))
                    || (ctrl && !alt && matches!(key.code, KeyCode::Char('u' | 'a' | 'e')))
            }
            Pattern::TextEditing => matches!(
                key.code,
                KeyCode::Char(_)
                    | KeyCode::Enter
                    | KeyCode::Tab
                    | KeyCode::BackTab
                    | KeyCode::Backspace
                    | KeyCode::Delete
                    | KeyCode::Left
                    | KeyCode::Right
                    | KeyCode::Up
                    | KeyCode::Down
                    | KeyCode::Home
                    | KeyCode::End
                    | KeyCode::PageUp
                    | KeyCode::PageDown
            ),
            Pattern::Any => true,
        }
    }

    /// How the help names this key; a binding's `keys` text contains it
    /// (checked by a test), so the help names every key that works.
    pub fn name(self) -> String {
        match self {
            Pattern::Char(' ') => "space".to_owned(),
            Pattern::Char(c) => c.to_string(),
            Pattern::Range(first, last) => format!("{first}–{last}"),
            Pattern::Ctrl(c) => format!("Ctrl-{}", c.to_ascii_uppercase()),
            Pattern::Code(code) => match code {
                KeyCode::Up => "↑".to_owned(),
                KeyCode::Down => "↓".to_owned(),
                KeyCode::Left => "←".to_owned(),
                KeyCode::Right => "→".to_owned(),
                KeyCode::PageUp => "PgUp".to_owned(),
                KeyCode::PageDown => "PgDn".to_owned(),
                KeyCode::BackTab => "S-Tab".to_owned(),
                KeyCode::F(n) => format!("F{n}"),
                KeyCode::Enter => "Enter".to_owned(),
                KeyCode::Esc => "Esc".to_owned(),
                KeyCode::Tab => "Tab".to_owned(),
                KeyCode::Backspace => "Backspace".to_owned(),
                KeyCode::Delete => "Delete".to_owned(),
                KeyCode::Home => "Home".to_owned(),
                KeyCode::End => "End".to_owned(),
                other => format!("{other:?}"),
            },
            Pattern::Printable | Pattern::LineEditing | Pattern::TextEditing => "type".to_owned(),
            Pattern::Any => "key".to_owned(),
        }
    }
}

/// What a key does. Handlers match on this, never on key codes (text
/// fields get the key itself with [`Action::Type`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    CloseHelp,
    /// Esc or `q`: leave this screen (or clear, or cancel what runs).
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Left,
    Right,
    NextSection,
    PrevSection,
    /// `1`–`6` on the detail: straight to that section.
    JumpSection,
    /// `w` in a text view: long lines wrap, or run off to the right.
    ToggleWrap,
    /// Enter in a text view's search prompt: find what was typed.
    Find,
    /// The next match of a text view's search (`n`).
    NextMatch,
    /// The previous match (`N`).
    PrevMatch,
    Open,
    Search,
    Reload,
    CopyId,
    History,
    Drafts,
    Edit(FormKind),
    EditExternally,
    EditAttribute,
    /// `a` on the Sessions section: active sessions only, or all.
    FilterActive,
    /// `x` on the Sessions section: revoke the chosen session (asks first).
    RevokeSession,
    /// `X` on the Sessions section: revoke all of the identity's sessions.
    RevokeAllSessions,
    /// `+` on the Sessions section: extend the chosen session.
    ExtendSession,
    /// `r` on the state form: also revoke all sessions when deactivating.
    ToggleRevokeSessions,
    /// `R` on an identity: the recovery screen (a link or code).
    Recovery,
    /// `Ctrl-D` on an identity: the delete screen.
    DeleteIdentity,
    /// `n` on the list: the create screen (schema, traits, review).
    NewIdentity,
    /// `x` on the Credentials section: remove the chosen credential (asks first).
    RemoveCredential,
    /// `v` on the Addresses section: mark the chosen address verified or not (asks first).
    ToggleVerified,
    /// `y` on a recovery answer: the link or code to the clipboard (OSC 52).
    CopySecret,
    RestoreDraft,
    ShowDraft,
    DiscardDraft,
    /// A key pressed before the identity arrived: kept, and acted on then.
    TypeAhead,
    /// The key goes into the focused text field.
    Type,
    /// Backspace in the search prompt.
    Erase,
    AskServer,
    Review,
    NextField,
    PrevField,
    Toggle,
    SetActive,
    SetInactive,
    PrevMode,
    NextMode,
    Send,
    Merge,
    Overwrite,
    StopWaiting,
    /// `r` on the review: the reason line takes the keys.
    Reason,
    /// Enter on the review's reason line: keep what was typed.
    Done,
    /// `y` when asked whether to drop what was typed.
    Discard,
    KeepEditing,
    /// Ctrl-J or F2 on the traits: the form ↔ the JSON editor, same value.
    SwitchEditor,
    /// Ctrl-N in the traits form: a new list item after the focused one.
    AddItem,
    /// Ctrl-D in the traits form: removes the list item the focus is in.
    RemoveItem,
    /// Ctrl-U on a checkbox or a choice: not set (left out of the traits).
    Unset,
    /// Enter on a choice: opens its list.
    OpenChoice,
    /// Enter in an open choice list: takes the highlighted choice.
    PickChoice,
    /// Esc in an open choice list: closes it, the choice as it was.
    CloseChoice,
}

/// One row of a screen's keys.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// The keys as help and footer name them.
    pub keys: &'static str,
    /// What they do, for the help overlay (the footer shows the part before
    /// any parenthesis).
    pub help: &'static str,
    pub in_footer: bool,
    /// Each key and what it does; the first matching row of a table wins.
    pub map: &'static [(Pattern, Action)],
}

/// Where the keys go: a screen, or a state of one that takes other keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The help overlay over another context; `scrolls` when it is longer
    /// than the screen.
    Help {
        scrolls: bool,
    },
    List,
    Search,
    DetailLoading,
    DetailFailed,
    /// `offer`: a draft waits for this identity.
    Detail {
        offer: bool,
    },
    /// The detail on its Sessions section (`a`, `x`, `X`, `+` act on sessions).
    DetailSessions,
    /// The Sessions section with a draft waiting: the offer's keys, with
    /// `d` discarding since `x` revokes a session.
    DetailSessionsOffer,
    /// The confirm screen of `x`, `X` or `+`.
    SessionConfirm,
    /// Its reason line has the keys.
    SessionReason,
    /// Its request is on its way.
    SessionSending,
    /// The detail on its Credentials section (`x` removes the chosen one).
    DetailCredentials,
    /// The detail on its Addresses section (`v` marks the chosen one verified or not).
    DetailAddresses,
    /// The Credentials section with a draft waiting: `x` still removes the
    /// chosen credential, so `d` discards the draft.
    DetailCredentialsOffer,
    /// The Addresses section with a draft waiting: `v` still marks the
    /// chosen address, so `V` shows the draft's diff and `d` discards it.
    DetailAddressesOffer,
    /// The confirm screen of `x` (Credentials) or `v` (Addresses).
    CredentialConfirm,
    /// Its reason line has the keys.
    CredentialReason,
    /// Its request is on its way.
    CredentialSending,
    /// The recovery screen (`R`), link or code focused.
    RecoveryKind,
    /// The recovery screen, the expiry field focused.
    RecoveryExpiry,
    /// The recovery screen's reason line has the keys.
    RecoveryReason,
    /// "Create a recovery link for …? y/n".
    RecoveryConfirm,
    /// The recovery request is on its way.
    RecoverySending,
    /// The link or code, shown once.
    RecoveryAnswer,
    /// "The link will not be shown again. Leave? y/n".
    RecoveryLeave,
    /// The delete screen (`Ctrl-D`), the identifier field typed into.
    DeleteConfirm,
    /// Its reason line has the keys.
    DeleteReason,
    /// The re-read and the `DELETE` are on their way.
    DeleteSending,
    /// The create screen (`n`): choosing the identity schema. Its trait
    /// rows take the traits form's contexts, its password fields
    /// [`Context::FormField`] and [`Context::FormToggle`].
    CreateSchema,
    /// The create screen's state field.
    CreateState,
    /// What will be created; Enter or `y` sends.
    CreateReview,
    /// The create review's reason line has the keys.
    CreateReason,
    /// The `POST` is on its way.
    CreateSending,
    /// The traits in the JSON editor.
    FormTraits,
    /// The traits form (fields from the identity schema), a typed field focused.
    FormTraitText,
    /// The traits form, a checkbox focused.
    FormTraitCheck,
    /// The traits form, a choice focused.
    FormTraitChoice,
    /// The traits form, its choice list open.
    FormTraitChoosing,
    /// The traits form, a list's heading or a trait the schema does not list.
    FormTraitOther,
    FormMetadata,
    FormState,
    FormSchema,
    /// The credentials form with the import choice focused.
    FormMode,
    /// The credentials form with "hash here" focused.
    FormToggle,
    /// The credentials form with a text field focused.
    FormField,
    /// Waiting for the password to be hashed here.
    FormHashing,
    /// "Discard your changes?" of a form.
    Discard,
    ReviewReady,
    /// The review's reason line has the keys (`r`).
    ReviewReason,
    ReviewSending,
    /// The user stopped waiting for the write; the review is disarmed.
    ReviewStopped,
    ReviewConflict,
    Response,
    History,
    Drafts,
    Text,
    /// The search prompt of a text view (`/` on the detail, the response,
    /// the review or a draft's diff).
    ViewSearch,
    /// The attribute form with the token or name focused.
    AttributeLine,
    /// The attribute form with the JSON value focused.
    AttributeValue,
    AttributeReview,
    AttributeSending,
}

/// The keys of `context`, in the order help shows them (and matching tries them).
pub fn bindings(context: Context) -> Vec<&'static Binding> {
    super::keymap::table(context)
        .iter()
        .flat_map(|group| group.iter())
        .collect()
}

/// What `key` does in `context`; `None` when the table does not list it
/// (then it does nothing).
pub fn action(context: Context, key: &KeyEvent) -> Option<Action> {
    bindings(context)
        .into_iter()
        .flat_map(|binding| binding.map.iter())
        .find(|(pattern, _)| pattern.matches(key))
        .map(|&(_, action)| action)
}

/// How the search prompt reads its text, under the keys of the list and
/// of the prompt in the help overlay (the README's "Searching" says the
/// same at length). Each line fits the narrowest help overlay.
const SEARCH_SYNTAX: &[&str] = &[
    " Searching (/): text is found in any part of a row;",
    " state:active, state:inactive, schema:ID match exactly;",
    " all of them must hold. Enter asks the server for the",
    " text: the id, the exact identifier, identifiers that",
    " start with it. MATCH says which (local: loaded here).",
];

/// Lines the help overlay shows under the keys of `context`.
pub fn help_notes(context: Context) -> &'static [&'static str] {
    match context {
        Context::List | Context::Search => SEARCH_SYNTAX,
        _ => &[],
    }
}

/// How many lines the help overlay lists for `context`: its keys, then
/// its notes (what scrolling the overlay goes by).
pub fn help_lines(context: Context) -> usize {
    bindings(context).len() + help_notes(context).len()
}

/// Every context with the name the README's key table gives it, in the
/// README's order.
pub const README_ROWS: &[(&str, Context)] = &[
    ("list", Context::List),
    ("search prompt (`/`)", Context::Search),
    ("detail, loading", Context::DetailLoading),
    ("detail", Context::Detail { offer: false }),
    ("detail, draft waiting", Context::Detail { offer: true }),
    ("detail, failed to load", Context::DetailFailed),
    ("detail, Sessions section (`7`)", Context::DetailSessions),
    ("detail, Sessions section, draft waiting", Context::DetailSessionsOffer),
    ("session write confirm (`x`, `X`, `+`)", Context::SessionConfirm),
    ("session write confirm, reason line", Context::SessionReason),
    ("session write confirm, sending", Context::SessionSending),
    ("detail, Credentials section (`4`)", Context::DetailCredentials),
    ("detail, Addresses section (`5`)", Context::DetailAddresses),
    (
        "detail, Credentials section, draft waiting",
        Context::DetailCredentialsOffer,
    ),
    (
        "detail, Addresses section, draft waiting",
        Context::DetailAddressesOffer,
    ),
    ("credential or address confirm (`x`, `v`)", Context::CredentialConfirm),
    ("credential or address confirm, reason line", Context::CredentialReason),
    ("credential or address confirm, sending", Context::CredentialSending),
    ("recovery (`R`), link or code", Context::RecoveryKind),
    ("recovery, expiry field", Context::RecoveryExpiry),
    ("recovery, reason line", Context::RecoveryReason),
    ("recovery, asked before sending", Context::RecoveryConfirm),
    ("recovery, sending", Context::RecoverySending),
    ("recovery, the answer (shown once)", Context::RecoveryAnswer),
    ("recovery, leaving the answer", Context::RecoveryLeave),
    ("delete (`Ctrl-D`), identifier typed", Context::DeleteConfirm),
    ("delete, reason line", Context::DeleteReason),
    ("delete, sending", Context::DeleteSending),
    ("create (`n` on the list), schema", Context::CreateSchema),
    ("create, state field", Context::CreateState),
    ("create, review", Context::CreateReview),
    ("create, reason line", Context::CreateReason),
    ("create, sending", Context::CreateSending),
    ("traits form (`e`), text field", Context::FormTraitText),
    ("traits form, checkbox", Context::FormTraitCheck),
    ("traits form, choice", Context::FormTraitChoice),
    ("traits form, choice list open", Context::FormTraitChoosing),
    (
        "traits form, list heading or trait not in the schema",
        Context::FormTraitOther,
    ),
    (
        "traits JSON editor (`Ctrl-J` or `F2` from the form)",
        Context::FormTraits,
    ),
    ("metadata form (`m`)", Context::FormMetadata),
    ("state form (`s`)", Context::FormState),
    ("schema form (`i`)", Context::FormSchema),
    ("credentials form (`c`), import choice", Context::FormMode),
    ("credentials form, hash here", Context::FormToggle),
    ("credentials form, text field", Context::FormField),
    ("credentials form, hashing", Context::FormHashing),
    ("a changed form, Esc pressed", Context::Discard),
    ("review", Context::ReviewReady),
    ("review, reason line (`r`)", Context::ReviewReason),
    ("review, sending", Context::ReviewSending),
    ("review, stopped waiting", Context::ReviewStopped),
    ("review, changed on the server", Context::ReviewConflict),
    ("response", Context::Response),
    ("history (`H`)", Context::History),
    ("drafts (`D`)", Context::Drafts),
    ("draft diff (`v`)", Context::Text),
    ("search in a view (`/`)", Context::ViewSearch),
    ("attribute form (`a`), token or name", Context::AttributeLine),
    ("attribute form, value", Context::AttributeValue),
    ("attribute review", Context::AttributeReview),
    ("attribute review, sending", Context::AttributeSending),
    ("help overlay (longer than the screen)", Context::Help { scrolls: true }),
    ("help overlay", Context::Help { scrolls: false }),
];

/// The README's key table, made from the tables above: the README must hold
/// exactly this (a test checks it), so scripts that drive the console by
/// its keys read the truth.
pub fn readme_table() -> String {
    let mut out = String::from("| where | keys |\n| --- | --- |\n");
    out.push_str(&format!(
        "| everywhere | `{}` {}; `?` or, where `?` types, `F1` help for the current screen |\n",
        super::keymap::QUIT_ANYWHERE.keys,
        super::keymap::QUIT_ANYWHERE.help
    ));
    for (name, context) in README_ROWS {
        let keys: Vec<String> = bindings(*context)
            .iter()
            .filter(|b| b.keys != super::keymap::QUIT_ANYWHERE.keys)
            .map(|b| format!("`{}` {}", b.keys, b.help))
            .collect();
        out.push_str(&format!("| {name} | {} |\n", keys.join("; ").replace('|', "\\|")));
    }
    out
}
