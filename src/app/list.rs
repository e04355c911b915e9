//! The identity list: loaded rows, the type-to-filter view over them, the
//! selection and the lazy paging state.

use super::rows::IdentityRow;

/// Where the next page comes from: the query parameters the server's `Link`
/// header gave for `rel="next"`, to be sent on our own base URL.
pub type PageCursor = Vec<(String, String)>;

/// The state of loading more pages.
#[derive(Debug, Clone, PartialEq)]
pub enum Paging {
    /// More pages exist and none is being fetched.
    More(PageCursor),
    /// A page request is in flight.
    Loading,
    /// The last page has been read.
    Done,
    /// The last page request failed; `r` retries from the same place.
    Failed { cursor: Option<PageCursor>, error: String },
}

/// How many rows before the end of the loaded rows the next page is asked for.
pub const PREFETCH_ROWS: usize = 60;

/// What the list shows: everything loaded, or the answer to a server search.
#[derive(Debug, Clone, PartialEq)]
pub enum ListSource {
    All,
    /// Results of asking the server for `query` (exact identifier or id).
    ServerSearch {
        query: String,
    },
}

/// The lower-cased search text of every loaded row in one contiguous buffer:
/// filtering 100,000 rows is then a linear scan of memory instead of 100,000
/// scattered heap strings (cache misses made that 3x slower).
#[derive(Debug, Default)]
pub struct SearchIndex {
    text: String,
    /// Where each row's text ends in `text`.
    ends: Vec<usize>,
}

impl SearchIndex {
    fn push(&mut self, row: &IdentityRow) {
        self.text.push_str(&row.search_text());
        self.ends.push(self.text.len());
    }

    fn row_text(&self, index: usize) -> &str {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.text[start..self.ends[index]]
    }

    fn matches(&self, index: usize, needle: &str) -> bool {
        self.row_text(index).contains(needle)
    }

    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }
}

/// The full list set aside while server search results are shown.
#[derive(Debug)]
struct Stash {
    rows: Vec<IdentityRow>,
    index: SearchIndex,
    paging: Paging,
}

#[derive(Debug)]
pub struct ListState {
    pub rows: Vec<IdentityRow>,
    index: SearchIndex,
    /// Indices into `rows` that pass the filter, in order.
    pub visible: Vec<usize>,
    /// Position of the cursor in `visible`.
    pub selected: usize,
    /// First row of `visible` drawn at the top (kept by the view's height).
    pub offset: usize,
    /// Lower-cased filter text; empty shows everything.
    pub filter: String,
    pub paging: Paging,
    pub source: ListSource,
    /// The full list kept aside while server search results are shown.
    stash: Option<Stash>,
}

impl Default for ListState {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            index: SearchIndex::default(),
            visible: Vec::new(),
            selected: 0,
            offset: 0,
            filter: String::new(),
            paging: Paging::Loading,
            source: ListSource::All,
            stash: None,
        }
    }
}

impl ListState {
    /// The row under the cursor, if any.
    pub fn selected_row(&self) -> Option<&IdentityRow> {
        self.visible.get(self.selected).and_then(|&i| self.rows.get(i))
    }

    /// How many identities of the full list are loaded (also while server
    /// search results are shown).
    pub fn loaded_count(&self) -> usize {
        self.stash.as_ref().map_or(self.rows.len(), |stash| stash.rows.len())
    }

    /// The paging state of the full list.
    pub fn full_list_paging(&self) -> &Paging {
        self.stash.as_ref().map_or(&self.paging, |stash| &stash.paging)
    }

    /// Appends a loaded page to the full list, keeping the filter applied.
    /// While server search results are shown, the page goes to the full list
    /// set aside, not among the results.
    pub fn append(&mut self, rows: Vec<IdentityRow>, paging: Paging) {
        if let Some(stash) = self.stash.as_mut() {
            for row in &rows {
                stash.index.push(row);
            }
            stash.rows.extend(rows);
            stash.paging = paging;
            return;
        }
        let start = self.rows.len();
        for row in &rows {
            self.index.push(row);
        }
        self.rows.extend(rows);
        for index in start..self.rows.len() {
            if self.filter.is_empty() || self.index.matches(index, &self.filter) {
                self.visible.push(index);
            }
        }
        self.paging = paging;
    }

    /// Sets the paging state of the full list (a page request started or failed).
    pub fn set_paging(&mut self, paging: Paging) {
        match self.stash.as_mut() {
            Some(stash) => stash.paging = paging,
            None => self.paging = paging,
        }
    }

    /// Forgets every row (before a reload).
    pub fn clear(&mut self) {
        self.rows.clear();
        self.index.clear();
        self.visible.clear();
        self.selected = 0;
        self.offset = 0;
        self.stash = None;
        self.source = ListSource::All;
    }

    /// Applies a new filter text. Narrowing (the new text extends the old) only
    /// re-checks the rows that matched before, which keeps typing fast on large
    /// lists.
    pub fn set_filter(&mut self, text: &str) {
        let needle = text.to_lowercase();
        let keep_id = self.selected_row().map(|r| r.id.clone());
        if needle.is_empty() {
            self.visible = (0..self.rows.len()).collect();
        } else if !self.filter.is_empty() && needle.starts_with(self.filter.as_str()) {
            let index = &self.index;
            self.visible.retain(|&i| index.matches(i, &needle));
        } else {
            self.visible = (0..self.rows.len())
                .filter(|&i| self.index.matches(i, &needle))
                .collect();
        }
        self.filter = needle;
        // Keep the cursor on the same identity when it still matches.
        self.selected = keep_id
            .and_then(|id| self.visible.iter().position(|&i| self.rows[i].id == id))
            .unwrap_or(0);
        self.offset = self.offset.min(self.selected);
    }

    /// Moves the cursor by `delta` rows, clamped to the list.
    pub fn move_by(&mut self, delta: isize) {
        if self.visible.is_empty() {
            self.selected = 0;
            return;
        }
        let last = self.visible.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn move_to(&mut self, position: usize) {
        self.selected = position.min(self.visible.len().saturating_sub(1));
    }

    /// Keeps the cursor inside a window of `height` rows, scrolling as little as
    /// possible (the view calls this with the real height before drawing).
    pub fn scroll_into_view(&mut self, height: usize) {
        let height = height.max(1);
        // On the last row, also show the note under it ("loading more…").
        let extra = usize::from(self.has_trailing_note());
        let bottom = if self.selected + 1 >= self.visible.len() {
            self.selected + extra
        } else {
            self.selected
        };
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if bottom >= self.offset + height {
            self.offset = bottom + 1 - height;
        }
        let max_offset = (self.visible.len() + extra).saturating_sub(height);
        self.offset = self.offset.min(max_offset).min(self.selected);
    }

    /// True when a note row follows the last row (loading, failure).
    pub fn has_trailing_note(&self) -> bool {
        matches!(self.paging, Paging::Loading | Paging::Failed { .. })
    }

    /// True when the cursor is close enough to the end that the next page
    /// should be fetched now. Not while a filter is typed: a short filtered
    /// list would otherwise pull in every page of the tenant.
    pub fn wants_next_page(&self) -> bool {
        matches!(self.paging, Paging::More(_))
            && self.source == ListSource::All
            && self.filter.is_empty()
            && self.visible.len().saturating_sub(self.selected) <= PREFETCH_ROWS
    }

    /// Shows server search results, keeping the full list aside. The rows
    /// the filter found locally stay listed under the server's answer, so a
    /// partial match typed in the prompt can still be opened.
    pub fn show_server_results(&mut self, query: String, found: Vec<IdentityRow>) {
        let local: Vec<IdentityRow> = self
            .visible
            .iter()
            .filter_map(|&i| self.rows.get(i))
            .filter(|row| !self.filter.is_empty() && !found.iter().any(|f| f.id == row.id))
            .cloned()
            .collect();
        if self.stash.is_none() {
            self.stash = Some(Stash {
                rows: std::mem::take(&mut self.rows),
                index: std::mem::take(&mut self.index),
                paging: std::mem::replace(&mut self.paging, Paging::Done),
            });
        }
        self.rows = found.into_iter().chain(local).collect();
        self.index = SearchIndex::default();
        for row in &self.rows {
            self.index.push(row);
        }
        self.paging = Paging::Done;
        self.source = ListSource::ServerSearch { query };
        self.filter.clear();
        self.visible = (0..self.rows.len()).collect();
        self.selected = 0;
        self.offset = 0;
    }

    /// Leaves server search results and shows the full list again.
    pub fn restore_full_list(&mut self) -> bool {
        let Some(stash) = self.stash.take() else {
            return false;
        };
        self.rows = stash.rows;
        self.index = stash.index;
        self.paging = stash.paging;
        self.source = ListSource::All;
        self.filter.clear();
        self.visible = (0..self.rows.len()).collect();
        self.selected = 0;
        self.offset = 0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::rows::IdentityRow;
    use serde_json::json;

    fn row(i: usize, email: &str) -> IdentityRow {
        IdentityRow::from_identity(
            &json!({"id": format!("00000000-0000-4000-8000-{i:012}"), "state": "active", "traits": {"email": email}}),
            None,
        )
    }

    #[test]
    fn filter_narrows_and_widens_and_keeps_the_cursor() {
        let mut list = ListState::default();
        list.append(
            (0..10).map(|i| row(i, &format!("user{i}@example.com"))).collect(),
            Paging::Done,
        );
        list.move_to(3);
        list.set_filter("user3");
        assert_eq!(list.visible.len(), 1);
        assert_eq!(
            list.selected_row().map(|r| r.identifier.as_str()),
            Some("user3@example.com")
        );
        list.set_filter("user");
        assert_eq!(list.visible.len(), 10);
        assert_eq!(list.selected, 3, "cursor stays on the same identity");
        list.set_filter("USER1");
        assert_eq!(list.visible.len(), 1, "filter is case-insensitive");
    }

    #[test]
    fn appended_pages_respect_the_filter() {
        let mut list = ListState::default();
        list.set_filter("b");
        list.append(vec![row(1, "a@x.io"), row(2, "b@x.io")], Paging::Done);
        assert_eq!(list.visible.len(), 1);
    }

    #[test]
    fn scrolling_follows_the_cursor() {
        let mut list = ListState::default();
        list.append((0..100).map(|i| row(i, "x@y.z")).collect(), Paging::Done);
        list.move_by(30);
        list.scroll_into_view(10);
        assert_eq!(list.offset, 21);
        list.move_by(-25);
        list.scroll_into_view(10);
        assert_eq!(list.offset, 5);
        list.move_by(1000);
        assert_eq!(list.selected, 99);
    }

    #[test]
    fn server_results_can_be_left_again() {
        let mut list = ListState {
            paging: Paging::More(vec![("page_token".into(), "t".into())]),
            ..Default::default()
        };
        list.append(
            (0..5).map(|i| row(i, "x@y.z")).collect(),
            Paging::More(vec![("page_token".into(), "t".into())]),
        );
        list.show_server_results("q".into(), vec![row(9, "q@y.z")]);
        assert_eq!(list.rows.len(), 1);
        assert!(!list.wants_next_page());
        assert!(list.restore_full_list());
        assert_eq!(list.rows.len(), 5);
        assert!(matches!(list.paging, Paging::More(_)));
    }
}

#[cfg(test)]
mod search_tests {
    use super::*;
    use serde_json::json;

    fn row(i: usize, email: &str) -> IdentityRow {
        IdentityRow::from_identity(
            &json!({"id": format!("00000000-0000-4000-8000-{i:012}"), "state": "active", "traits": {"email": email}}),
            None,
        )
    }

    #[test]
    fn a_page_arriving_during_server_results_goes_to_the_full_list() {
        let mut list = ListState::default();
        list.append(vec![row(0, "a@x.io")], Paging::Loading);
        list.show_server_results("b@x.io".into(), vec![row(7, "b@x.io")]);
        list.append(vec![row(1, "c@x.io"), row(2, "d@x.io")], Paging::Done);
        assert_eq!(list.rows.len(), 1, "results stay the server's answer");
        assert_eq!(list.loaded_count(), 3);
        assert!(list.restore_full_list());
        assert_eq!(list.rows.len(), 3);
        assert_eq!(list.paging, Paging::Done);
    }

    #[test]
    fn local_matches_stay_openable_under_server_results() {
        let mut list = ListState::default();
        list.append(
            vec![row(0, "ana@x.io"), row(1, "anabel@x.io"), row(2, "bo@x.io")],
            Paging::Done,
        );
        list.set_filter("ana");
        list.show_server_results("ana".into(), Vec::new());
        let shown: Vec<&str> = list.rows.iter().map(|r| r.identifier.as_str()).collect();
        assert_eq!(shown, vec!["ana@x.io", "anabel@x.io"]);
    }

    #[test]
    fn a_typed_filter_does_not_pull_more_pages() {
        let mut list = ListState::default();
        list.append(
            vec![row(0, "a@x.io")],
            Paging::More(vec![("page_token".into(), "t".into())]),
        );
        assert!(list.wants_next_page());
        list.set_filter("zzz");
        assert!(!list.wants_next_page());
    }
}
