//! The key tables themselves: one per [`Context`], in the order the help
//! shows them and matching tries them (the first row that takes a key wins,
//! so Ctrl-C and Ctrl-S stand before a text field's typing row). What the
//! rows mean is in `keys`.

use crossterm::event::KeyCode as K;

use super::forms::FormKind;
use super::keys::Pattern::{Any, Char, Code, Ctrl, LineEditing, Printable, Range, TextEditing};
use super::keys::{Action as A, Binding, Context};

/// Shown in the footer (and the help).
const SHOWN: bool = true;
/// Shown in the help only.
const HELP_ONLY: bool = false;

/// `row!(keys, help, footer; pattern => action, ...)`: one [`Binding`].
macro_rules! row {
    ($keys:literal, $help:literal, $footer:expr; $($pattern:expr => $action:expr),+ $(,)?) => {
        Binding { keys: $keys, help: $help, in_footer: $footer, map: &[$(($pattern, $action)),+] }
    };
}

pub(super) const QUIT_ANYWHERE: Binding = row!("Ctrl-C", "quit from anywhere", HELP_ONLY; Ctrl('c') => A::Quit);
const HELP: Binding = row!("?", "help", SHOWN; Char('?') => A::Help);
const F1_TOO: Binding = row!("F1", "help (also where ? types)", HELP_ONLY; Code(K::F(1)) => A::Help);
/// Where `?` types, F1 opens the help.
const F1_HELP: Binding = row!("F1", "help", SHOWN; Code(K::F(1)) => A::Help);
const MOVE: Binding = row!("j/k ↑/↓", "move", SHOWN;
    Char('j') => A::Down, Code(K::Down) => A::Down, Char('k') => A::Up, Code(K::Up) => A::Up);
const SCROLL: Binding = row!("j/k ↑/↓", "scroll", SHOWN;
    Char('j') => A::Down, Code(K::Down) => A::Down, Char('k') => A::Up, Code(K::Up) => A::Up);
const SCROLL_QUIET: Binding = row!("j/k ↑/↓", "scroll", HELP_ONLY;
    Char('j') => A::Down, Code(K::Down) => A::Down, Char('k') => A::Up, Code(K::Up) => A::Up);
const PAGE: Binding = row!("PgUp/PgDn", "page up / down", HELP_ONLY;
    Code(K::PageUp) => A::PageUp, Code(K::PageDown) => A::PageDown);
const ENDS: Binding = row!("g/G Home/End", "top / bottom", HELP_ONLY;
    Char('g') => A::Top, Code(K::Home) => A::Top, Char('G') => A::Bottom, Code(K::End) => A::Bottom);
const COPY_ID: Binding = row!("y", "copy id (OSC 52)", HELP_ONLY; Char('y') => A::CopyId);
const HISTORY: Binding = row!("H", "requests of this run, audit trail", HELP_ONLY; Char('H') => A::History);
const DRAFTS: Binding = row!("D", "drafts from earlier sessions", HELP_ONLY; Char('D') => A::Drafts);
const EDIT: &[Binding] = &[
    row!("e", "edit the traits", HELP_ONLY; Char('e') => A::Edit(FormKind::Traits)),
    row!("s", "change the state", HELP_ONLY; Char('s') => A::Edit(FormKind::State)),
    row!("m", "edit the metadata", HELP_ONLY; Char('m') => A::Edit(FormKind::Metadata)),
    row!("c", "credentials: password, hash import, OIDC", HELP_ONLY; Char('c') => A::Edit(FormKind::Credentials)),
    row!("i", "change the identity schema", HELP_ONLY; Char('i') => A::Edit(FormKind::Schema)),
    row!("E", "edit the traits in $VISUAL/$EDITOR", HELP_ONLY; Char('E') => A::EditExternally),
    row!("a", "update a Yoti registry attribute", HELP_ONLY; Char('a') => A::EditAttribute),
];
const BACK: Binding = row!("Esc/q", "back", SHOWN; Code(K::Esc) => A::Back, Char('q') => A::Back);
const REVIEW: Binding = row!("Ctrl-S", "review the change (nothing is sent yet)", SHOWN; Ctrl('s') => A::Review);
const CLOSE_FORM: Binding = row!("Esc", "close (asks before dropping changes)", SHOWN; Code(K::Esc) => A::Back);
const FIELDS: Binding = row!("Tab/↓ S-Tab/↑", "fields (next / previous)", SHOWN;
    Code(K::Tab) => A::NextField, Code(K::Down) => A::NextField,
    Code(K::BackTab) => A::PrevField, Code(K::Up) => A::PrevField);

const LIST: &[Binding] = &[
    MOVE,
    PAGE,
    ENDS,
    row!("Enter", "open", SHOWN; Code(K::Enter) => A::Open),
    row!("/", "search", SHOWN; Char('/') => A::Search),
    row!("r", "reload (rows kept; retries a failed page)", SHOWN; Char('r') => A::Reload),
    CREATE,
    COPY_ID,
    HISTORY,
    DRAFTS,
];
const LIST_END: &[Binding] = &[
    row!("Esc", "clear results or filter, stop loading", HELP_ONLY; Code(K::Esc) => A::Back),
    HELP,
    F1_TOO,
    row!("q", "quit", SHOWN; Char('q') => A::Quit),
    QUIT_ANYWHERE,
];

const SEARCH: &[Binding] = &[
    row!("type", "filter the rows (text, state:S, schema:ID)", SHOWN; Printable => A::Type),
    row!("Backspace", "erase the last character", HELP_ONLY; Code(K::Backspace) => A::Erase),
    row!("Enter", "ask the server (id, identifier, prefix)", SHOWN; Code(K::Enter) => A::AskServer),
    row!("↑/↓", "move", HELP_ONLY; Code(K::Up) => A::Up, Code(K::Down) => A::Down),
    row!("Esc", "cancel", SHOWN; Code(K::Esc) => A::Back),
    F1_HELP,
    QUIT_ANYWHERE,
];

const DETAIL_LOADING: &[Binding] = &[
    row!("Esc/q", "back (stops loading)", SHOWN; Code(K::Esc) => A::Back, Char('q') => A::Back),
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
    row!("other keys", "act once the identity is there", HELP_ONLY; Any => A::TypeAhead),
];

const DETAIL_FAILED: &[Binding] = &[
    row!("r", "retry", SHOWN; Char('r') => A::Reload),
    COPY_ID,
    HISTORY,
    DRAFTS,
    HELP,
    F1_TOO,
    BACK,
    QUIT_ANYWHERE,
];

/// The offer's own line names these three; the footer keeps the rest.
const DRAFT_OFFER: &[Binding] = &[
    row!("Enter", "restore the draft into its form", HELP_ONLY; Code(K::Enter) => A::RestoreDraft),
    row!("v", "what the draft would change", HELP_ONLY; Char('v') => A::ShowDraft),
    row!("x", "discard the draft", HELP_ONLY; Char('x') => A::DiscardDraft),
];

/// The offer's keys on the Sessions section, where `x` revokes a session:
/// `d` discards the draft there (the offer line reads its keys from the
/// table, `ui::drafts::offer_line`).
const DRAFT_OFFER_ON_SESSIONS: &[Binding] = &[
    row!("Enter", "restore the draft into its form", HELP_ONLY; Code(K::Enter) => A::RestoreDraft),
    row!("v", "what the draft would change", HELP_ONLY; Char('v') => A::ShowDraft),
    row!("d", "discard the draft (x revokes here)", HELP_ONLY; Char('d') => A::DiscardDraft),
];

/// The offer's keys on the Credentials section, where `x` removes the
/// chosen credential: `d` discards the draft there, as on Sessions.
const DRAFT_OFFER_ON_CREDENTIALS: &[Binding] = &[
    row!("Enter", "restore the draft into its form", HELP_ONLY; Code(K::Enter) => A::RestoreDraft),
    row!("v", "what the draft would change", HELP_ONLY; Char('v') => A::ShowDraft),
    row!("d", "discard the draft (x removes here)", HELP_ONLY; Char('d') => A::DiscardDraft),
];

/// The offer's keys on the Addresses section, where `v` marks the chosen
/// address: `V` shows the draft's diff (a slip either way is harmless: `v`
/// asks first, `V` only shows) and `d` discards.
const DRAFT_OFFER_ON_ADDRESSES: &[Binding] = &[
    row!("Enter", "restore the draft into its form", HELP_ONLY; Code(K::Enter) => A::RestoreDraft),
    row!("V", "what the draft would change (v verifies)", HELP_ONLY; Char('V') => A::ShowDraft),
    row!("d", "discard the draft", HELP_ONLY; Char('d') => A::DiscardDraft),
];

/// What every text view takes (`app::text_view`): the detail's sections,
/// the response, the review's body and a draft's diff.
const SIDEWAYS: Binding = row!("h/l ←/→", "scroll sideways", HELP_ONLY;
    Char('h') => A::Left, Code(K::Left) => A::Left, Char('l') => A::Right, Code(K::Right) => A::Right);
const WRAP: Binding = row!("w", "wrap (long lines on / off)", SHOWN; Char('w') => A::ToggleWrap);
const FIND: Binding = row!("/", "search (case ignored)", SHOWN; Char('/') => A::Search);
const MATCHES: Binding = row!("n/N", "next / previous match", HELP_ONLY;
    Char('n') => A::NextMatch, Char('N') => A::PrevMatch);
const WRAP_QUIET: Binding = row!("w", "wrap (long lines on / off)", HELP_ONLY; Char('w') => A::ToggleWrap);
/// The review's body: searched, wrapped (on at first) and scrolled like
/// every text view. The review keeps `n` for "no", so its matches move
/// with Ctrl-N/Ctrl-P (one row each: the review's key column stays narrow
/// enough for its help to fit 60 columns).
const REVIEW_VIEW: &[Binding] = &[
    SIDEWAYS,
    FIND,
    row!("Ctrl-N", "next match", HELP_ONLY; Ctrl('n') => A::NextMatch),
    row!("Ctrl-P", "previous match", HELP_ONLY; Ctrl('p') => A::PrevMatch),
    WRAP_QUIET,
];

const DETAIL: &[Binding] = &[
    row!("Tab/S-Tab 1–7", "section (1 summary … 7 sessions)", SHOWN;
        Code(K::Tab) => A::NextSection, Code(K::BackTab) => A::PrevSection, Range('1', '7') => A::JumpSection),
    SCROLL,
    PAGE,
    ENDS,
    SIDEWAYS,
    FIND,
    MATCHES,
    WRAP,
    row!("r", "reload", HELP_ONLY; Char('r') => A::Reload),
    COPY_ID,
    HISTORY,
    DRAFTS,
    RECOVERY,
    DELETE,
];
const DETAIL_END: &[Binding] = &[HELP, F1_TOO, BACK, QUIT_ANYWHERE];

/// The Sessions section (`app::sessions`): ↑/↓ choose a session, `a`
/// filters; the edit keys stay, but `a` is the filter here (the attribute
/// form is on every other section).
const SESSIONS: &[Binding] = &[
    row!("↑/↓ j/k", "choose a session (more read at the last)", SHOWN;
        Code(K::Down) => A::Down, Char('j') => A::Down, Code(K::Up) => A::Up, Char('k') => A::Up),
    row!("g/G Home/End", "first / last session", HELP_ONLY;
        Char('g') => A::Top, Code(K::Home) => A::Top, Char('G') => A::Bottom, Code(K::End) => A::Bottom),
    row!("a", "active sessions only / all", SHOWN; Char('a') => A::FilterActive),
    row!("x", "revoke the chosen session (asks first)", SHOWN; Char('x') => A::RevokeSession),
    row!("X", "revoke all its sessions (asks first)", SHOWN; Char('X') => A::RevokeAllSessions),
    row!("+", "extend the chosen session (asks first)", SHOWN; Char('+') => A::ExtendSession),
    row!("r", "read the sessions again", HELP_ONLY; Char('r') => A::Reload),
    row!("Tab/S-Tab 1–6", "other section (1 summary … 6 raw JSON)", SHOWN;
        Code(K::Tab) => A::NextSection, Code(K::BackTab) => A::PrevSection, Range('1', '6') => A::JumpSection),
    PAGE,
    SIDEWAYS,
    FIND,
    MATCHES,
    WRAP,
    COPY_ID,
    HISTORY,
    DRAFTS,
];
/// The confirm screen of a session write (`app::sessions::SessionConfirm`).
const SESSION_CONFIRM: &[Binding] = &[
    row!("y", "send", SHOWN; Char('y') => A::Send),
    row!("n/Esc", "back, nothing sent", SHOWN; Char('n') => A::Back, Code(K::Esc) => A::Back),
    REASON,
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];
const SESSION_SENDING: &[Binding] = &[HELP, F1_TOO, QUIT_ANYWHERE];

/// The Credentials and Addresses sections (`app::credential_removal`):
/// ↑/↓ choose the entry `x` or `v` acts on; the rest as on the detail.
const ENTRIES_REST: &[Binding] = &[
    PAGE,
    SIDEWAYS,
    FIND,
    MATCHES,
    WRAP,
    row!("r", "reload", HELP_ONLY; Char('r') => A::Reload),
    COPY_ID,
    HISTORY,
    DRAFTS,
    RECOVERY,
    DELETE,
];
const CREDENTIAL_ENTRIES: &[Binding] = &[
    row!("↑/↓ j/k", "choose a credential (▶)", SHOWN;
        Code(K::Down) => A::Down, Char('j') => A::Down, Code(K::Up) => A::Up, Char('k') => A::Up),
    row!("g/G Home/End", "first / last", HELP_ONLY;
        Char('g') => A::Top, Code(K::Home) => A::Top, Char('G') => A::Bottom, Code(K::End) => A::Bottom),
    row!("x", "remove the credential (asks first)", SHOWN; Char('x') => A::RemoveCredential),
    row!("Tab/S-Tab", "next / previous section", SHOWN;
        Code(K::Tab) => A::NextSection, Code(K::BackTab) => A::PrevSection),
    row!("1–3 5–7", "other section (1 summary … 7 sessions)", HELP_ONLY;
        Range('1', '3') => A::JumpSection, Range('5', '7') => A::JumpSection),
];
const ADDRESS_ENTRIES: &[Binding] = &[
    row!("↑/↓ j/k", "choose an address (▶)", SHOWN;
        Code(K::Down) => A::Down, Char('j') => A::Down, Code(K::Up) => A::Up, Char('k') => A::Up),
    row!("g/G Home/End", "first / last", HELP_ONLY;
        Char('g') => A::Top, Code(K::Home) => A::Top, Char('G') => A::Bottom, Code(K::End) => A::Bottom),
    row!("v", "mark verified / unverified (asks first)", SHOWN; Char('v') => A::ToggleVerified),
    row!("Tab/S-Tab", "next / previous section", SHOWN;
        Code(K::Tab) => A::NextSection, Code(K::BackTab) => A::PrevSection),
    row!("1–4 6–7", "other section (1 summary … 7 sessions)", HELP_ONLY;
        Range('1', '4') => A::JumpSection, Range('6', '7') => A::JumpSection),
];

/// `Ctrl-D` on an identity (`app::delete`).
const DELETE: Binding = row!("Ctrl-D", "delete the identity (asks first)", HELP_ONLY;
    Ctrl('d') => A::DeleteIdentity);
/// The delete screen: type the identifier, Enter deletes once it matches.
const DELETE_CONFIRM: &[Binding] = &[
    row!("Enter", "delete (once the identifier matches)", SHOWN; Code(K::Enter) => A::Send),
    row!("Tab", "reason (a ticket; recorded in the audit trail)", SHOWN; Code(K::Tab) => A::Reason),
    row!("Esc", "back, nothing deleted", SHOWN; Code(K::Esc) => A::Back),
    F1_HELP,
    QUIT_ANYWHERE,
    row!("type", "the identifier, exactly (Ctrl-U/A/E)", HELP_ONLY; LineEditing => A::Type),
];
/// `n` on the list (`app::create`).
const CREATE: Binding = row!("n", "new identity (schema, traits, review)", HELP_ONLY; Char('n') => A::NewIdentity);
/// The create screen: choose the schema, then its trait form.
const CREATE_SCHEMA: &[Binding] = &[
    row!("j/k ↑/↓", "choose a schema", SHOWN;
        Char('j') => A::Down, Code(K::Down) => A::Down, Char('k') => A::Up, Code(K::Up) => A::Up),
    row!("Enter", "fill its traits", SHOWN; Code(K::Enter) => A::Open),
    row!("Esc", "back, nothing created", SHOWN; Code(K::Esc) => A::Back),
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];
/// The create screen's state field.
const CREATE_STATE: &[Binding] = &[
    row!("space", "toggle (active / inactive)", SHOWN; Char(' ') => A::Toggle),
    row!("a/i", "active / inactive", HELP_ONLY; Char('a') => A::SetActive, Char('i') => A::SetInactive),
    FIELDS,
    REVIEW,
    HELP,
    F1_TOO,
    CLOSE_FORM,
    QUIT_ANYWHERE,
];
/// The create review: Enter or `y` posts.
const CREATE_REVIEW: &[Binding] = &[
    row!("Enter/y", "create (sends the POST)", SHOWN; Code(K::Enter) => A::Send, Char('y') => A::Send),
    row!("n/Esc", "back to the form", SHOWN; Char('n') => A::Back, Code(K::Esc) => A::Back),
    REASON,
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];
/// `R` on an identity (`app::recovery`).
const RECOVERY: Binding = row!("R", "recovery link or code (asks first)", HELP_ONLY; Char('R') => A::Recovery);
/// The recovery screen's choices: ←/→ link or code, Tab the expiry field,
/// `r` the reason, Enter the one question.
const RECOVERY_KIND: &[Binding] = &[
    row!("←/→ space", "link or code", SHOWN;
        Code(K::Left) => A::PrevMode, Code(K::Right) => A::NextMode, Char(' ') => A::NextMode),
    FIELDS,
    row!("Enter", "review (asks before sending)", SHOWN; Code(K::Enter) => A::Review),
    // The review's `r`, said shorter: this table's key column is wider.
    row!("r", "reason (a ticket, for the audit trail)", SHOWN; Char('r') => A::Reason),
    row!("Esc/q", "back, nothing sent", SHOWN; Code(K::Esc) => A::Back, Char('q') => A::Back),
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];
const RECOVERY_EXPIRY: &[Binding] = &[
    FIELDS,
    row!("Enter", "review (asks before sending)", SHOWN; Code(K::Enter) => A::Review),
    row!("Esc", "back, nothing sent", SHOWN; Code(K::Esc) => A::Back),
    F1_HELP,
    QUIT_ANYWHERE,
    row!("type", "expiry, e.g. 15m, 1h (empty: the server's)", HELP_ONLY; LineEditing => A::Type),
];
const RECOVERY_CONFIRM: &[Binding] = &[
    row!("y", "create it (signed, audited)", SHOWN; Char('y') => A::Send),
    row!("n/Esc", "back, nothing sent", SHOWN; Char('n') => A::Back, Code(K::Esc) => A::Back),
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];
const RECOVERY_ANSWER: &[Binding] = &[
    row!("y", "copy it (OSC 52)", SHOWN; Char('y') => A::CopySecret),
    row!("Esc/q", "leave (asks: shown once)", SHOWN; Code(K::Esc) => A::Back, Char('q') => A::Back),
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];
const RECOVERY_LEAVE: &[Binding] = &[
    row!("y", "leave (the secret is dropped)", SHOWN; Char('y') => A::Discard),
    row!("n/Esc", "stay on the answer", SHOWN; Char('n') => A::Back, Code(K::Esc) => A::Back),
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];
const EDIT_ON_SESSIONS: &[Binding] = &[
    row!("e", "edit the traits", HELP_ONLY; Char('e') => A::Edit(FormKind::Traits)),
    row!("s", "change the state", HELP_ONLY; Char('s') => A::Edit(FormKind::State)),
    row!("m", "edit the metadata", HELP_ONLY; Char('m') => A::Edit(FormKind::Metadata)),
    row!("c", "credentials: password, hash import, OIDC", HELP_ONLY; Char('c') => A::Edit(FormKind::Credentials)),
    row!("i", "change the identity schema", HELP_ONLY; Char('i') => A::Edit(FormKind::Schema)),
    row!("E", "edit the traits in $VISUAL/$EDITOR", HELP_ONLY; Char('E') => A::EditExternally),
    RECOVERY,
    DELETE,
];

/// The traits' JSON editor: Ctrl-J (F2 where Ctrl-J arrives as Enter)
/// goes to the form; it stands before the typing row, which takes Ctrl keys.
const FORM_TRAITS: &[Binding] = &[
    REVIEW,
    row!("Ctrl-J", "form (the fields, from the identity schema)", SHOWN; Ctrl('j') => A::SwitchEditor),
    row!("F2", "form, where Ctrl-J arrives as Enter", HELP_ONLY; Code(K::F(2)) => A::SwitchEditor),
    F1_HELP,
    CLOSE_FORM,
    QUIT_ANYWHERE,
    row!("type", "edit the JSON (checked as you type)", HELP_ONLY; TextEditing => A::Type),
];

/// The traits form (`e`), one table per kind of focused field: Tab moves,
/// Ctrl-S reviews, Ctrl-J (or F2) is the JSON editor on the same value.
const TO_JSON: &[Binding] = &[
    row!("Ctrl-J", "JSON (the JSON editor, on the same value)", SHOWN; Ctrl('j') => A::SwitchEditor),
    row!("F2", "JSON, where Ctrl-J arrives as Enter", HELP_ONLY; Code(K::F(2)) => A::SwitchEditor),
];
const TRAIT_FIELDS_QUIET: Binding = row!("Tab/↓ S-Tab/↑", "fields (next / previous)", HELP_ONLY;
    Code(K::Tab) => A::NextField, Code(K::Down) => A::NextField,
    Code(K::BackTab) => A::PrevField, Code(K::Up) => A::PrevField);
const NEXT_ON_ENTER: Binding = row!("Enter", "next field", HELP_ONLY; Code(K::Enter) => A::NextField);
const LIST_ITEMS: Binding = row!("Ctrl-N/Ctrl-D", "add a list item / remove this one", HELP_ONLY;
    Ctrl('n') => A::AddItem, Ctrl('d') => A::RemoveItem);
const UNSET: Binding = row!("Ctrl-U", "not set (left out of the traits)", HELP_ONLY; Ctrl('u') => A::Unset);
const TRAIT_FORM_END: &[Binding] = &[CLOSE_FORM, QUIT_ANYWHERE];

const FORM_TRAIT_TEXT: &[Binding] = &[FIELDS, NEXT_ON_ENTER, REVIEW, LIST_ITEMS];
const FORM_TRAIT_TEXT_END: &[Binding] = &[
    F1_HELP,
    CLOSE_FORM,
    QUIT_ANYWHERE,
    row!("type", "edit the field (Ctrl-U clears it)", HELP_ONLY; LineEditing => A::Type),
];

const FORM_TRAIT_CHECK: &[Binding] = &[
    row!("space", "toggle (yes / no)", SHOWN; Char(' ') => A::Toggle),
    UNSET,
    TRAIT_FIELDS_QUIET,
    NEXT_ON_ENTER,
    REVIEW,
    LIST_ITEMS,
];

const FORM_TRAIT_CHOICE: &[Binding] = &[
    row!("Enter", "choose (opens the list)", SHOWN; Code(K::Enter) => A::OpenChoice),
    UNSET,
    TRAIT_FIELDS_QUIET,
    REVIEW,
    LIST_ITEMS,
];
const HELP_KEYS: &[Binding] = &[HELP, F1_TOO];

const FORM_TRAIT_CHOOSING: &[Binding] = &[
    row!("j/k ↑/↓", "move in the list", SHOWN;
        Char('j') => A::Down, Code(K::Down) => A::Down, Char('k') => A::Up, Code(K::Up) => A::Up),
    row!("Enter", "take this choice", SHOWN; Code(K::Enter) => A::PickChoice),
    row!("Esc", "close the list (the choice as it was)", SHOWN; Code(K::Esc) => A::CloseChoice),
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];

const FORM_TRAIT_OTHER: &[Binding] = &[
    FIELDS,
    row!("Ctrl-N", "add an item (on a list's heading)", HELP_ONLY; Ctrl('n') => A::AddItem),
    NEXT_ON_ENTER,
    REVIEW,
];
const FORM_TRAIT_OTHER_END: &[Binding] = &[
    F1_HELP,
    CLOSE_FORM,
    QUIT_ANYWHERE,
    row!("type", "says why it takes no typing", HELP_ONLY; Printable => A::Type),
];

const FORM_METADATA: &[Binding] = &[
    REVIEW,
    F1_HELP,
    row!("Tab/S-Tab", "the other editor", SHOWN; Code(K::Tab) => A::NextField, Code(K::BackTab) => A::NextField),
    CLOSE_FORM,
    QUIT_ANYWHERE,
    row!("type", "edit the JSON (null allowed)", HELP_ONLY; TextEditing => A::Type),
];

const FORM_STATE: &[Binding] = &[
    row!("space Enter Tab", "toggle (active / inactive)", SHOWN;
        Char(' ') => A::Toggle, Code(K::Enter) => A::Toggle, Code(K::Tab) => A::Toggle),
    row!("a/k/↑ i/j/↓", "active / inactive", HELP_ONLY;
        Char('a') => A::SetActive, Char('k') => A::SetActive, Code(K::Up) => A::SetActive,
        Char('i') => A::SetInactive, Char('j') => A::SetInactive, Code(K::Down) => A::SetInactive),
    row!("r", "revoke sessions too (when deactivating)", SHOWN; Char('r') => A::ToggleRevokeSessions),
    REVIEW,
    HELP,
    F1_TOO,
    CLOSE_FORM,
    QUIT_ANYWHERE,
];

const FORM_SCHEMA: &[Binding] = &[
    row!("j/k ↑/↓", "choose a schema", SHOWN;
        Char('j') => A::Down, Code(K::Down) => A::Down, Char('k') => A::Up, Code(K::Up) => A::Up),
    REVIEW,
    HELP,
    F1_TOO,
    CLOSE_FORM,
    QUIT_ANYWHERE,
];

const FORM_MODE: &[Binding] = &[
    FIELDS,
    row!("←/→ space", "switch (password, hash import, OIDC link)", SHOWN;
        Code(K::Left) => A::PrevMode, Code(K::Right) => A::NextMode, Char(' ') => A::NextMode),
    REVIEW,
    F1_HELP,
    CLOSE_FORM,
    QUIT_ANYWHERE,
];

const FORM_TOGGLE: &[Binding] = &[
    FIELDS,
    row!("space/Enter", "toggle (hash here with argon2id)", SHOWN; Char(' ') => A::Toggle, Code(K::Enter) => A::Toggle),
    REVIEW,
    F1_HELP,
    CLOSE_FORM,
    QUIT_ANYWHERE,
];

const FORM_FIELD: &[Binding] = &[
    FIELDS,
    REVIEW,
    F1_HELP,
    CLOSE_FORM,
    QUIT_ANYWHERE,
    row!("type", "edit the field (Ctrl-U/A/E as in a shell)", HELP_ONLY; LineEditing => A::Type),
];

const FORM_HASHING: &[Binding] = &[
    row!("Esc", "stop waiting (the form is kept)", SHOWN; Code(K::Esc) => A::StopWaiting),
    F1_HELP,
    QUIT_ANYWHERE,
];

const DISCARD: &[Binding] = &[
    QUIT_ANYWHERE,
    row!("y", "discard what was typed", SHOWN; Char('y') => A::Discard),
    row!("other keys", "keep editing", SHOWN; Any => A::KeepEditing),
];

/// `r` on a review (identity or attribute): the reason line takes the keys.
const REASON: Binding = row!("r", "reason (a ticket; recorded in the audit trail)", SHOWN; Char('r') => A::Reason);

const REVIEW_READY: &[Binding] = &[
    row!("y", "send", SHOWN; Char('y') => A::Send),
    row!("n/Esc", "back to the form", SHOWN; Char('n') => A::Back, Code(K::Esc) => A::Back),
    REASON,
    SCROLL_QUIET,
    PAGE,
];
const REVIEW_END: &[Binding] = &[HELP, F1_TOO, QUIT_ANYWHERE];

const REVIEW_REASON: &[Binding] = &[
    row!("Enter", "keep the reason", SHOWN; Code(K::Enter) => A::Done),
    row!("Esc", "undo the typing", SHOWN; Code(K::Esc) => A::Back),
    F1_HELP,
    QUIT_ANYWHERE,
    row!("type", "edit the reason (Ctrl-U/A/E as in a shell)", HELP_ONLY; LineEditing => A::Type),
];

const REVIEW_SENDING: &[Binding] = &[
    row!("Esc", "stop waiting (the server may still apply it)", SHOWN; Code(K::Esc) => A::StopWaiting),
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];

/// Esc stopped the waiting, not the write: `y` only says why it does not
/// send again.
const REVIEW_STOPPED: &[Binding] = &[
    row!("n/Esc", "back to the form (the write is still followed)", SHOWN;
        Char('n') => A::Back, Code(K::Esc) => A::Back),
    row!("y", "does not send again (says why)", HELP_ONLY; Char('y') => A::Send),
    SCROLL_QUIET,
    PAGE,
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];

const REVIEW_CONFLICT: &[Binding] = &[
    row!("m", "merge (my edit onto the server's version)", SHOWN; Char('m') => A::Merge),
    row!("o", "overwrite (the fields I edited win)", SHOWN; Char('o') => A::Overwrite),
    row!("n/Esc", "back to the form", SHOWN; Char('n') => A::Back, Code(K::Esc) => A::Back),
    SCROLL_QUIET,
    PAGE,
];

const RESPONSE: &[Binding] = &[
    SCROLL,
    PAGE,
    ENDS,
    SIDEWAYS,
    FIND,
    MATCHES,
    WRAP_QUIET,
    row!("Esc/q/Enter", "back", SHOWN; Code(K::Esc) => A::Back, Char('q') => A::Back, Code(K::Enter) => A::Back),
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];

const HISTORY_SCREEN: &[Binding] = &[
    MOVE,
    row!("Enter", "show the request again", SHOWN; Code(K::Enter) => A::Open),
    BACK,
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];

const DRAFTS_SCREEN: &[Binding] = &[
    MOVE,
    row!("Enter", "open the identity (Enter again restores)", SHOWN; Code(K::Enter) => A::Open),
    BACK,
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];

const TEXT: &[Binding] = &[
    SCROLL,
    PAGE,
    ENDS,
    SIDEWAYS,
    FIND,
    MATCHES,
    WRAP_QUIET,
    BACK,
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];

/// The search prompt of a text view (`/`).
const VIEW_SEARCH: &[Binding] = &[
    row!("type", "the text to find (case ignored)", SHOWN; Printable => A::Type),
    row!("Backspace", "erase the last character", HELP_ONLY; Code(K::Backspace) => A::Erase),
    row!("Enter", "find (empty: clear the search)", SHOWN; Code(K::Enter) => A::Find),
    row!("Esc", "cancel", SHOWN; Code(K::Esc) => A::Back),
    F1_HELP,
    QUIT_ANYWHERE,
];

const ATTRIBUTE_START: &[Binding] = &[
    row!("Tab/S-Tab", "next field (token, name, value)", SHOWN;
        Code(K::Tab) => A::NextField, Code(K::BackTab) => A::PrevField),
    row!("Ctrl-S", "review the exact body", SHOWN; Ctrl('s') => A::Review),
    row!("Esc", "close (asks before dropping it)", SHOWN; Code(K::Esc) => A::Back),
    F1_HELP,
    QUIT_ANYWHERE,
];
const ATTRIBUTE_LINE: &[Binding] = &[row!("type", "edit the field", HELP_ONLY; LineEditing => A::Type)];
const ATTRIBUTE_VALUE: &[Binding] =
    &[row!("type", "edit the JSON value (a string needs quotes)", HELP_ONLY; TextEditing => A::Type)];

const ATTRIBUTE_REVIEW: &[Binding] = &[
    row!("y", "send", SHOWN; Char('y') => A::Send),
    row!("n/Esc", "back to the form", SHOWN; Char('n') => A::Back, Code(K::Esc) => A::Back),
    REASON,
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];

const ATTRIBUTE_SENDING: &[Binding] = &[
    row!("Esc", "stop waiting (the registry may still apply it)", SHOWN; Code(K::Esc) => A::StopWaiting),
    HELP,
    F1_TOO,
    QUIT_ANYWHERE,
];

const HELP_SCROLLS: &[Binding] = &[
    QUIT_ANYWHERE,
    row!("↑/↓ PgUp/PgDn", "scroll the help", SHOWN;
        Code(K::Up) => A::Up, Code(K::Down) => A::Down, Code(K::PageUp) => A::PageUp, Code(K::PageDown) => A::PageDown),
    row!("other keys", "close the help", SHOWN; Any => A::CloseHelp),
];

const HELP_FITS: &[Binding] = &[
    QUIT_ANYWHERE,
    row!("any key", "closes the help", SHOWN; Any => A::CloseHelp),
];

/// The groups of rows that make the table of `context`.
pub(super) fn table(context: Context) -> &'static [&'static [Binding]] {
    match context {
        Context::Help { scrolls: true } => &[HELP_SCROLLS],
        Context::Help { scrolls: false } => &[HELP_FITS],
        Context::List => &[LIST, EDIT, LIST_END],
        Context::Search => &[SEARCH],
        Context::DetailLoading => &[DETAIL_LOADING],
        Context::DetailFailed => &[DETAIL_FAILED],
        Context::Detail { offer: true } => &[DRAFT_OFFER, DETAIL, EDIT, DETAIL_END],
        Context::Detail { offer: false } => &[DETAIL, EDIT, DETAIL_END],
        Context::DetailSessions => &[SESSIONS, EDIT_ON_SESSIONS, DETAIL_END],
        Context::DetailSessionsOffer => &[DRAFT_OFFER_ON_SESSIONS, SESSIONS, EDIT_ON_SESSIONS, DETAIL_END],
        Context::SessionConfirm => &[SESSION_CONFIRM],
        Context::SessionReason => &[REVIEW_REASON],
        Context::SessionSending => &[SESSION_SENDING],
        Context::DetailCredentials => &[CREDENTIAL_ENTRIES, ENTRIES_REST, EDIT, DETAIL_END],
        Context::DetailAddresses => &[ADDRESS_ENTRIES, ENTRIES_REST, EDIT, DETAIL_END],
        Context::DetailCredentialsOffer => &[
            DRAFT_OFFER_ON_CREDENTIALS,
            CREDENTIAL_ENTRIES,
            ENTRIES_REST,
            EDIT,
            DETAIL_END,
        ],
        Context::DetailAddressesOffer => &[
            DRAFT_OFFER_ON_ADDRESSES,
            ADDRESS_ENTRIES,
            ENTRIES_REST,
            EDIT,
            DETAIL_END,
        ],
        Context::CredentialConfirm => &[SESSION_CONFIRM],
        Context::CredentialReason => &[REVIEW_REASON],
        Context::CredentialSending => &[SESSION_SENDING],
        Context::RecoveryKind => &[RECOVERY_KIND],
        Context::RecoveryExpiry => &[RECOVERY_EXPIRY],
        Context::RecoveryReason => &[REVIEW_REASON],
        Context::RecoveryConfirm => &[RECOVERY_CONFIRM],
        Context::RecoverySending => &[SESSION_SENDING],
        Context::RecoveryAnswer => &[RECOVERY_ANSWER],
        Context::RecoveryLeave => &[RECOVERY_LEAVE],
        Context::DeleteConfirm => &[DELETE_CONFIRM],
        Context::DeleteReason => &[REVIEW_REASON],
        Context::DeleteSending => &[SESSION_SENDING],
        Context::CreateSchema => &[CREATE_SCHEMA],
        Context::CreateState => &[CREATE_STATE],
        Context::CreateReview => &[CREATE_REVIEW],
        Context::CreateReason => &[REVIEW_REASON],
        Context::CreateSending => &[SESSION_SENDING],
        Context::FormTraits => &[FORM_TRAITS],
        Context::FormTraitText => &[FORM_TRAIT_TEXT, TO_JSON, FORM_TRAIT_TEXT_END],
        Context::FormTraitCheck => &[FORM_TRAIT_CHECK, TO_JSON, HELP_KEYS, TRAIT_FORM_END],
        Context::FormTraitChoice => &[FORM_TRAIT_CHOICE, TO_JSON, HELP_KEYS, TRAIT_FORM_END],
        Context::FormTraitChoosing => &[FORM_TRAIT_CHOOSING],
        Context::FormTraitOther => &[FORM_TRAIT_OTHER, TO_JSON, FORM_TRAIT_OTHER_END],
        Context::FormMetadata => &[FORM_METADATA],
        Context::FormState => &[FORM_STATE],
        Context::FormSchema => &[FORM_SCHEMA],
        Context::FormMode => &[FORM_MODE],
        Context::FormToggle => &[FORM_TOGGLE],
        Context::FormField => &[FORM_FIELD],
        Context::FormHashing => &[FORM_HASHING],
        Context::Discard => &[DISCARD],
        Context::ReviewReady => &[REVIEW_READY, REVIEW_VIEW, REVIEW_END],
        Context::ReviewReason => &[REVIEW_REASON],
        Context::ReviewSending => &[REVIEW_SENDING],
        Context::ReviewStopped => &[REVIEW_STOPPED],
        Context::ReviewConflict => &[REVIEW_CONFLICT, REVIEW_VIEW, REVIEW_END],
        Context::Response => &[RESPONSE],
        Context::History => &[HISTORY_SCREEN],
        Context::Drafts => &[DRAFTS_SCREEN],
        Context::Text => &[TEXT],
        Context::ViewSearch => &[VIEW_SEARCH],
        Context::AttributeLine => &[ATTRIBUTE_START, ATTRIBUTE_LINE],
        Context::AttributeValue => &[ATTRIBUTE_START, ATTRIBUTE_VALUE],
        Context::AttributeReview => &[ATTRIBUTE_REVIEW],
        Context::AttributeSending => &[ATTRIBUTE_SENDING],
    }
}
