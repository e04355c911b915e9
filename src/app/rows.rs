//! Compact summaries of identities for the list.
//!
//! A tenant can hold millions of identities, so the list keeps one small
//! [`IdentityRow`] per loaded identity (a few short strings) and fetches the full
//! identity only when it is opened. Every string here is already sanitised for
//! display; the raw JSON is never kept for list rows.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::sanitize::for_display;
pub use crate::who::{IdentifierHints, display_name, primary_identifier};

/// The state of an identity as Kratos reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowState {
    Active,
    Inactive,
    Other,
}

/// How a row of server search results was found, in the order the results
/// list them (the derived order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Found {
    /// The identity whose id was typed (`GET /identities/{id}`).
    Id,
    /// A credential identifier equals the text (`credentials_identifier`).
    Exact,
    /// A credential identifier starts with the text
    /// (`preview_credentials_identifier_similar`).
    Prefix,
    /// Loaded here and containing the text, but not (yet) found by the server.
    Local,
}

impl Found {
    /// The word the list's MATCH column shows.
    pub fn label(self) -> &'static str {
        match self {
            Found::Id => "id",
            Found::Exact => "exact",
            Found::Prefix => "prefix",
            Found::Local => "local",
        }
    }
}

/// One line of the identity list.
#[derive(Debug, Clone)]
pub struct IdentityRow {
    /// The identity id exactly as the server sent it (used for requests).
    pub id: String,
    /// The id made safe to draw.
    pub id_display: String,
    pub identifier: String,
    pub name: String,
    pub state: RowState,
    pub state_label: String,
    pub schema_id: String,
    pub updated_at: Option<DateTime<Utc>>,
    /// How a server search found this row; `None` in the full list.
    pub found: Option<Found>,
}

impl IdentityRow {
    /// Builds a row from an identity as the server sent it. `hints` come from
    /// the identity's schema when it is known.
    pub fn from_identity(identity: &Value, hints: Option<&IdentifierHints>) -> Self {
        let id = identity
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let traits = identity.get("traits").unwrap_or(&Value::Null);
        let identifier = primary_identifier(traits, hints).unwrap_or_default();
        let name = display_name(traits).unwrap_or_default();
        let state_raw = identity.get("state").and_then(Value::as_str).unwrap_or("");
        let state = match state_raw {
            "active" => RowState::Active,
            "inactive" => RowState::Inactive,
            _ => RowState::Other,
        };
        let schema_id = identity.get("schema_id").and_then(Value::as_str).unwrap_or_default();
        let updated_at = identity
            .get("updated_at")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        let id_display = for_display(&id).into_owned();
        let identifier = for_display(&identifier).into_owned();
        let name = for_display(&name).into_owned();
        let schema_id = for_display(schema_id).into_owned();
        let state_label = if state_raw.is_empty() {
            "?".to_owned()
        } else {
            for_display(state_raw).into_owned()
        };
        Self {
            id,
            id_display,
            identifier,
            name,
            state,
            state_label,
            schema_id,
            updated_at,
            found: None,
        }
    }

    /// Lower-cased text the type-to-filter search looks in. Fields are
    /// separated by a character nobody types, so a match never spans two.
    pub fn search_text(&self) -> String {
        let sep = '\u{1f}';
        format!(
            "{}{sep}{}{sep}{}{sep}{}{sep}{}",
            self.identifier, self.name, self.id_display, self.state_label, self.schema_id
        )
        .to_lowercase()
    }

    /// The first eight characters of the id, enough to tell rows apart.
    pub fn short_id(&self) -> &str {
        let end = self
            .id_display
            .char_indices()
            .nth(8)
            .map_or(self.id_display.len(), |(i, _)| i);
        &self.id_display[..end]
    }
}

/// One `key:value` word of a filter, matched exactly (case aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// `state:VALUE`: the identity's state is VALUE (`active`, `inactive`).
    State(String),
    /// `schema:ID`: the identity's schema id is ID.
    Schema(String),
}

impl Term {
    fn matches(&self, row: &IdentityRow) -> bool {
        let (have, want) = match self {
            Term::State(want) => (&row.state_label, want),
            Term::Schema(want) => (&row.schema_id, want),
        };
        // `want` is lower-cased; only a non-ASCII value needs lower-casing
        // too (no allocation per row for the usual ASCII states and ids).
        have.eq_ignore_ascii_case(want) || (!have.is_ascii() && have.to_lowercase() == *want)
    }
}

/// What the search prompt holds, parsed. `state:` and `schema:` words are
/// terms that match a row's state or schema id exactly (so `state:active`
/// leaves out inactive rows, which the free text `active` would match);
/// the other words are free text, found anywhere in a row's identifier,
/// name, id, state or schema, case-insensitively. Everything must hold
/// (AND). A term with nothing after the colon is still being typed and
/// filters nothing yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// The free text as typed, words joined by one space: what Enter asks
    /// the server for.
    query: String,
    /// `query` lower-cased: what the rows are searched for.
    needle: String,
    terms: Vec<Term>,
    /// The term words as typed, for showing the filter again.
    term_words: Vec<String>,
}

impl Filter {
    /// Reads what the prompt holds: words split at white space, `state:`
    /// and `schema:` words as terms (key case ignored), the rest free text.
    pub fn parse(text: &str) -> Self {
        let mut words: Vec<&str> = Vec::new();
        let mut terms = Vec::new();
        let mut term_words = Vec::new();
        for word in text.split_whitespace() {
            let term = match word.split_once(':') {
                Some((key, value)) if key.eq_ignore_ascii_case("state") => Some(Term::State(value.to_lowercase())),
                Some((key, value)) if key.eq_ignore_ascii_case("schema") => Some(Term::Schema(value.to_lowercase())),
                _ => None,
            };
            match term {
                Some(term) => {
                    term_words.push(word.to_owned());
                    if !matches!(&term, Term::State(v) | Term::Schema(v) if v.is_empty()) {
                        terms.push(term);
                    }
                }
                None => words.push(word),
            }
        }
        let query = words.join(" ");
        Self {
            needle: query.to_lowercase(),
            query,
            terms,
            term_words,
        }
    }

    /// True when the filter lets every row through.
    pub fn is_empty(&self) -> bool {
        self.needle.is_empty() && self.terms.is_empty()
    }

    /// The free text as typed (terms left out).
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The free text, lower-cased.
    pub fn needle(&self) -> &str {
        &self.needle
    }

    /// The terms as typed, space-separated ("" when there is none).
    pub fn terms_text(&self) -> String {
        self.term_words.join(" ")
    }

    /// The whole filter as typed, normalised: free text, then the terms.
    pub fn text(&self) -> String {
        let mut words: Vec<&str> = Vec::new();
        if !self.query.is_empty() {
            words.push(&self.query);
        }
        words.extend(self.term_words.iter().map(String::as_str));
        words.join(" ")
    }

    /// The same filter without its free text: what stays applied to the
    /// server's answer once the free text has been asked for.
    pub fn terms_only(&self) -> Filter {
        Filter {
            terms: self.terms.clone(),
            term_words: self.term_words.clone(),
            ..Filter::default()
        }
    }

    /// True when every row this filter lets through, `wider` lets through
    /// too: then only the rows `wider` kept need checking again.
    pub fn narrows(&self, wider: &Filter) -> bool {
        self.terms == wider.terms && self.needle.starts_with(wider.needle.as_str())
    }

    /// Whether the terms hold for `row` (the free text is checked against
    /// the [`SearchIndex`]).
    pub fn terms_match(&self, row: &IdentityRow) -> bool {
        self.terms.iter().all(|term| term.matches(row))
    }
}

/// The lower-cased search text of every loaded row in one contiguous buffer:
/// filtering 100,000 rows is then a linear scan of memory instead of 100,000
/// scattered heap strings (cache misses made that 3x slower).
#[derive(Debug, Default)]
pub(super) struct SearchIndex {
    text: String,
    /// Where each row's text ends in `text`.
    ends: Vec<usize>,
}

impl SearchIndex {
    pub(super) fn push(&mut self, row: &IdentityRow) {
        self.text.push_str(&row.search_text());
        self.ends.push(self.text.len());
    }

    /// Puts `row`'s text in place of row `index`'s: a row refreshed after
    /// a write is found by what it shows now, not by what it showed before.
    /// Shifts the texts after it (one copy of the buffer, once per write).
    pub(super) fn replace(&mut self, index: usize, row: &IdentityRow) {
        let Some(&end) = self.ends.get(index) else {
            return;
        };
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        let text = row.search_text();
        self.text.replace_range(start..end, &text);
        let (old_len, new_len) = (end - start, text.len());
        for end in &mut self.ends[index..] {
            *end = *end - old_len + new_len;
        }
    }

    fn row_text(&self, index: usize) -> &str {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.text[start..self.ends[index]]
    }

    pub(super) fn matches(&self, index: usize, needle: &str) -> bool {
        self.row_text(index).contains(needle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(id: &str, email: &str) -> IdentityRow {
        IdentityRow::from_identity(&json!({"id": id, "traits": {"email": email}}), None)
    }

    /// A replaced row is found by its new text only, and the rows around
    /// it (shorter, longer, first, last) still by theirs.
    #[test]
    fn a_replaced_row_is_found_by_its_new_text() {
        let mut index = SearchIndex::default();
        for (id, email) in [("a", "ana@x.org"), ("b", "bo@x.org"), ("c", "cy@x.org")] {
            index.push(&row(id, email));
        }
        index.replace(1, &row("b", "bartholomew@elsewhere.example"));
        assert!(index.matches(1, "bartholomew@elsewhere"));
        assert!(!index.matches(1, "bo@x"));
        index.replace(0, &row("a", "al@y"));
        index.replace(2, &row("c", "c@z"));
        assert!(index.matches(0, "al@y") && !index.matches(0, "ana"));
        assert!(index.matches(1, "bartholomew") && !index.matches(1, "al@y"));
        assert!(index.matches(2, "c@z") && !index.matches(2, "cy@"));
        // A row the index does not have changes nothing.
        index.replace(3, &row("d", "dee@x.org"));
        assert!(!(0..3).any(|i| index.matches(i, "dee")));
    }

    #[test]
    fn row_is_sanitised_and_searchable() {
        let identity = json!({
            "id": "0b0a4f5e-1111-4222-8333-444455556666",
            "schema_id": "default",
            "state": "inactive",
            "traits": {"email": "evil\u{1b}]52;c;AAAA\u{7}@example.com", "name": {"first": "Åsa", "last": "Berg"}},
            "updated_at": "2026-01-02T03:04:05.123456Z"
        });
        let row = IdentityRow::from_identity(&identity, None);
        assert_eq!(row.identifier, "evil\\u001b]52;c;AAAA\\u0007@example.com");
        assert_eq!(row.name, "Åsa Berg");
        assert_eq!(row.state, RowState::Inactive);
        assert_eq!(row.short_id(), "0b0a4f5e");
        assert!(row.search_text().contains("åsa berg"));
        assert!(row.updated_at.is_some());
    }
}
