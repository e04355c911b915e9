//! The keys of each screen, in one table that both the help overlay and the
//! footer read, so the two can never disagree with each other.

use super::Screen;

/// One key binding as shown to the user.
#[derive(Debug, Clone, Copy)]
pub struct KeyHelp {
    pub keys: &'static str,
    pub action: &'static str,
    /// Shown in the footer, not only in the help overlay.
    pub in_footer: bool,
}

const fn key(keys: &'static str, action: &'static str, in_footer: bool) -> KeyHelp {
    KeyHelp {
        keys,
        action,
        in_footer,
    }
}

const LIST: &[KeyHelp] = &[
    key("j/k ↑/↓", "move", true),
    key("PgUp/PgDn", "page up / down", false),
    key("g/G", "top / bottom", false),
    key("Enter", "open", true),
    key("/", "search", true),
    key("r", "reload (retry after an error)", true),
    key("y", "copy id (OSC 52)", false),
    key("Esc", "clear search / cancel", false),
    key(
        "e s m c i a",
        "edit traits, state, metadata, credentials, schema, attribute",
        false,
    ),
    key("?", "help", true),
    key("q", "quit", true),
    key("Ctrl-C", "quit from anywhere", false),
];

const SEARCH: &[KeyHelp] = &[
    key("type", "filter loaded rows", true),
    key("Enter", "ask the server (exact identifier, or id)", true),
    key("↑/↓", "move", false),
    key("Esc", "cancel", true),
    key("Ctrl-C", "quit", false),
];

const DETAIL: &[KeyHelp] = &[
    key("Tab/S-Tab", "section", true),
    key("j/k ↑/↓", "scroll", true),
    key("PgUp/PgDn", "page up / down", false),
    key("g/G", "top / bottom", false),
    key("h/l ←/→", "scroll sideways", false),
    key("r", "reload", true),
    key("y", "copy id (OSC 52)", true),
    key(
        "e s m c i a",
        "edit traits, state, metadata, credentials, schema, attribute",
        false,
    ),
    key("?", "help", true),
    key("Esc/q", "back", true),
    key("Ctrl-C", "quit", false),
];

const FORM: &[KeyHelp] = &[
    key("Ctrl-S", "review the change (nothing is sent yet)", true),
    key("F1", "help", true),
    key("Tab", "next field / editor", true),
    key("Esc", "close the form (asks before dropping changes)", true),
    key("type", "edit; JSON is checked as you type", false),
    key("space", "toggle (state, options)", false),
    key("Ctrl-C", "quit", false),
];

const REVIEW: &[KeyHelp] = &[
    key("y", "send", true),
    key("n/Esc", "back to the form", true),
    key("m/o", "after a conflict: merge / overwrite", true),
    key("j/k PgUp/PgDn", "scroll", false),
    key("F1", "help", false),
    key("Ctrl-C", "quit", false),
];

const RESPONSE: &[KeyHelp] = &[
    key("j/k PgUp/PgDn", "scroll", true),
    key("g/G", "top / bottom", false),
    key("Esc", "back", true),
    key("?", "help", true),
    key("Ctrl-C", "quit", false),
];

const HISTORY: &[KeyHelp] = &[
    key("j/k", "move", true),
    key("Enter", "show the request again", true),
    key("Esc", "back", true),
    key("?", "help", true),
    key("Ctrl-C", "quit", false),
];

const DRAFTS: &[KeyHelp] = &[
    key("j/k", "move", true),
    key("Enter", "open the identity (then Enter restores the draft)", true),
    key("Esc", "back", true),
    key("Ctrl-C", "quit", false),
];

const ATTRIBUTE: &[KeyHelp] = &[
    key("Tab", "next field (token, name, value)", true),
    key("F1", "help", false),
    key("Ctrl-S", "review the exact body", true),
    key("y / n", "in the review: send / back", true),
    key("Esc", "close", true),
    key("Ctrl-C", "quit", false),
];

const TEXT: &[KeyHelp] = &[
    key("j/k PgUp/PgDn", "scroll", true),
    key("Esc", "back", true),
    key("Ctrl-C", "quit", false),
];

/// The bindings of the screen the user is on.
pub fn bindings(screen: Screen, searching: bool) -> &'static [KeyHelp] {
    match (screen, searching) {
        (Screen::List, true) => SEARCH,
        (Screen::List, false) => LIST,
        (Screen::Detail, _) => DETAIL,
        (Screen::Form, _) => FORM,
        (Screen::Review, _) => REVIEW,
        (Screen::Response, _) => RESPONSE,
        (Screen::History, _) => HISTORY,
        (Screen::Drafts, _) => DRAFTS,
        (Screen::Attribute, _) => ATTRIBUTE,
        (Screen::Text, _) => TEXT,
    }
}
