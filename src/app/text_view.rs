//! A scrollable, searchable view of styled lines: the detail's sections, the
//! response, the review's body and a draft's diff all read long JSON through
//! it. Pure state: where it is scrolled (down and sideways), whether long
//! lines wrap, and a search with its matches. The lines themselves stay with
//! the screen that owns them and are passed in, so a screen that rebuilds its
//! lines keeps its place (and calls [`TextView::refresh`] to search again).
//!
//! Positions are characters of a line's text as displayed (already
//! sanitised), so a search finds exactly what is on screen, escapes
//! included (`\u202e` is six characters to search for, as shown). Wrapping
//! cuts at the column, not at words: JSON has few spaces, and a match's
//! place on screen is then simple to tell.

use crossterm::event::{KeyCode, KeyEvent};
use unicode_width::UnicodeWidthChar;

use super::doc::{StyledLine, Tone};
use super::keys::Action;
use super::{App, Effect, Screen};
use crate::sanitize::json_inert;

/// Columns `h`/`l` (←/→) move sideways.
pub const SIDE_STEP: usize = 8;

/// Longest search text kept (typing more does nothing).
const MAX_QUERY: usize = 200;

/// The room a view has on screen: its width and its height, the view's own
/// info line included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    pub width: usize,
    pub height: usize,
}

/// One match: characters `start..end` of line `line`'s displayed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Match {
    pub line: usize,
    pub start: usize,
    pub end: usize,
}

/// Which way the last `n`/`N` went past an end of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapped {
    ToTop,
    ToBottom,
}

/// The last search run: what was searched for and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub query: String,
    /// In reading order.
    pub matches: Vec<Match>,
    /// The match shown (index into `matches`); `None` when nothing matched.
    pub current: Option<usize>,
    /// Set when the last move went past the end (or the start) and around.
    pub wrapped: Option<Wrapped>,
}

/// One screen row of a view: characters `start..end` of line `line` (a
/// whole line unless wrapping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub start: usize,
    pub end: usize,
}

/// How a piece of a visible row is marked by the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    None,
    /// Part of a match.
    Match,
    /// Part of the match `n`/`N` moved to.
    Current,
}

/// A run of characters of one tone and one mark, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub tone: Tone,
    pub mark: Mark,
    pub text: String,
}

/// The state of one view (see the module comment).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextView {
    /// The first screen row shown (rows, not lines: a wrapped line takes several).
    pub scroll: usize,
    /// Characters scrolled to the right (without wrapping).
    pub hscroll: usize,
    /// Long lines wrap at the view's width instead of running off it.
    pub wrap: bool,
    /// The search being typed after `/`; keys go to it while it is open.
    pub prompt: Option<String>,
    /// The last search run.
    pub search: Option<Search>,
}

fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// The screen rows of `lines` at `width` columns. Wrapping breaks after
/// the last space that follows some text on the row (as ratatui's word
/// wrap does, the spaces at the break are not drawn); a word longer than
/// the row (a token, a URL without spaces) is cut at the column.
pub fn rows(lines: &[StyledLine], width: usize, wrap: bool) -> Vec<Row> {
    let width = width.max(1);
    let mut out = Vec::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        let chars: Vec<char> = line.0.iter().flat_map(|(_, text)| text.chars()).collect();
        let count = chars.len();
        if !wrap {
            out.push(Row {
                line: index,
                start: 0,
                end: count,
            });
            continue;
        }
        let mut start = 0;
        loop {
            let mut used = 0;
            let mut end = start;
            while end < count {
                let w = char_width(chars[end]);
                if used + w > width && end > start {
                    break;
                }
                used += w;
                end += 1;
            }
            if end >= count {
                out.push(Row {
                    line: index,
                    start,
                    end: count,
                });
                break;
            }
            let has_text = |to: usize| chars[start..to].iter().any(|c| !c.is_whitespace());
            let word_break = if chars[end].is_whitespace() && has_text(end) {
                Some(end) // the row ends right where a word does
            } else {
                (start + 1..=end).rev().find(|&at| {
                    chars[at - 1].is_whitespace() && (at == end || !chars[at].is_whitespace()) && has_text(at - 1)
                })
            };
            let cut = word_break.unwrap_or(end);
            out.push(Row {
                line: index,
                start,
                end: cut,
            });
            start = cut;
            if word_break.is_some() {
                while start < count && chars[start].is_whitespace() {
                    start += 1;
                }
            }
            if start >= count {
                break;
            }
        }
    }
    out
}

/// A character folded for comparing without case. One character in, one
/// out, so positions in the folded text are positions on screen.
fn fold(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// Every place `query` appears in the displayed text of `lines`, ignoring
/// case, in reading order and not overlapping.
pub fn find_all(lines: &[StyledLine], query: &str) -> Vec<Match> {
    let needle: Vec<char> = query.chars().map(fold).collect();
    let mut out = Vec::new();
    if needle.is_empty() {
        return out;
    }
    for (index, line) in lines.iter().enumerate() {
        let hay: Vec<char> = line.text().chars().map(fold).collect();
        let mut at = 0;
        while at + needle.len() <= hay.len() {
            if hay[at..at + needle.len()] == needle[..] {
                out.push(Match {
                    line: index,
                    start: at,
                    end: at + needle.len(),
                });
                at += needle.len();
            } else {
                at += 1;
            }
        }
    }
    out
}

impl TextView {
    /// A view at the top; `wrap` for screens where everything must be seen
    /// without scrolling sideways (what is approved, what came back).
    pub fn new(wrap: bool) -> Self {
        Self {
            wrap,
            ..Self::default()
        }
    }

    /// The view's own line under the text, when it has something to say:
    /// the search being typed, where the last search is, and how far the
    /// text is scrolled sideways.
    pub fn info(&self) -> Option<String> {
        // The search is the user's own text, kept free of unsafe characters
        // as it is typed: shown as typed, backslashes not doubled, so it
        // reads exactly like the text it looks for.
        if let Some(prompt) = &self.prompt {
            return Some(format!("/{}", json_inert(prompt)));
        }
        let mut parts = Vec::new();
        if let Some(search) = &self.search {
            let query = json_inert(&search.query);
            match search.current {
                Some(index) if !search.matches.is_empty() => {
                    let around = match search.wrapped {
                        Some(Wrapped::ToTop) => " (from the top again)",
                        Some(Wrapped::ToBottom) => " (from the bottom again)",
                        None => "",
                    };
                    parts.push(format!(
                        "match {} of {} for “{query}”{around}",
                        index + 1,
                        search.matches.len()
                    ));
                }
                _ => parts.push(format!("no match for “{query}”")),
            }
        }
        if !self.wrap && self.hscroll > 0 {
            parts.push(format!("→ col {}", self.hscroll));
        }
        (!parts.is_empty()).then(|| parts.join("  ·  "))
    }

    /// Rows left for the text in a view `height` rows high.
    pub fn body_height(&self, height: usize) -> usize {
        height.saturating_sub(usize::from(self.info().is_some())).max(1)
    }

    fn max_scroll(&self, lines: &[StyledLine], viewport: Viewport) -> usize {
        rows(lines, viewport.width, self.wrap)
            .len()
            .saturating_sub(self.body_height(viewport.height))
    }

    /// Scrolls by `delta` rows, staying within the text.
    pub fn scroll_by(&mut self, lines: &[StyledLine], viewport: Viewport, delta: isize) {
        let max = self.max_scroll(lines, viewport);
        self.scroll = self.scroll.saturating_add_signed(delta).min(max);
    }

    /// The widest line, in characters: how far sideways scrolling may go.
    fn longest(lines: &[StyledLine]) -> usize {
        lines
            .iter()
            .map(|line| line.0.iter().map(|(_, t)| t.chars().count()).sum::<usize>())
            .max()
            .unwrap_or(0)
    }

    fn scroll_sideways(&mut self, lines: &[StyledLine], viewport: Viewport, right: bool) {
        if self.wrap {
            return; // everything is in view already
        }
        if right {
            // Far enough that the end of the longest line can be seen.
            let beyond = Self::longest(lines).saturating_sub(viewport.width.max(1));
            let max = beyond.div_ceil(SIDE_STEP) * SIDE_STEP;
            self.hscroll = (self.hscroll + SIDE_STEP).min(max).max(self.hscroll);
        } else {
            self.hscroll = self.hscroll.saturating_sub(SIDE_STEP);
        }
    }

    /// Turns wrapping on or off, keeping the line at the top in place and
    /// the current match in view.
    pub fn set_wrap(&mut self, lines: &[StyledLine], viewport: Viewport, wrap: bool) {
        if self.wrap == wrap {
            return;
        }
        let top = rows(lines, viewport.width, self.wrap)
            .get(self.scroll)
            .map_or(0, |row| row.line);
        self.wrap = wrap;
        self.hscroll = 0;
        self.scroll = rows(lines, viewport.width, wrap)
            .iter()
            .position(|row| row.line == top)
            .unwrap_or(0);
        self.scroll = self.scroll.min(self.max_scroll(lines, viewport));
        self.reveal(lines, viewport);
    }

    /// The lines changed (a reload): searches again and keeps the place.
    pub fn refresh(&mut self, lines: &[StyledLine]) {
        if let Some(search) = self.search.as_mut() {
            search.matches = find_all(lines, &search.query);
            search.current = match search.matches.len() {
                0 => None,
                n => Some(search.current.unwrap_or(0).min(n - 1)),
            };
            search.wrapped = None;
        }
    }

    /// Runs the search typed in the prompt: the first match at or after the
    /// top of the view (around from the start if there is none below). An
    /// empty search clears the last one.
    fn run_search(&mut self, lines: &[StyledLine], viewport: Viewport) {
        let query = self.prompt.take().unwrap_or_default();
        if query.is_empty() {
            self.search = None;
            return;
        }
        let matches = find_all(lines, &query);
        let from = rows(lines, viewport.width, self.wrap)
            .get(self.scroll)
            .map_or((0, 0), |row| (row.line, row.start));
        let below = matches.iter().position(|m| (m.line, m.start) >= from);
        let (current, wrapped) = match below {
            Some(index) => (Some(index), None),
            None if matches.is_empty() => (None, None),
            None => (Some(0), Some(Wrapped::ToTop)),
        };
        self.search = Some(Search {
            query,
            matches,
            current,
            wrapped,
        });
        self.reveal(lines, viewport);
    }

    /// `n`/`N`: the next or previous match, around the ends.
    fn step(&mut self, lines: &[StyledLine], viewport: Viewport, forward: bool) {
        let Some(search) = self.search.as_mut() else {
            return;
        };
        let count = search.matches.len();
        if count == 0 {
            return;
        }
        let at = search.current.unwrap_or(0);
        let next = if forward {
            (at + 1) % count
        } else {
            (at + count - 1) % count
        };
        search.wrapped = match (forward, next <= at, next >= at) {
            (true, true, _) => Some(Wrapped::ToTop),
            (false, _, true) => Some(Wrapped::ToBottom),
            _ => None,
        };
        search.current = Some(next);
        self.reveal(lines, viewport);
    }

    /// The current match, if any.
    pub fn current_match(&self) -> Option<Match> {
        let search = self.search.as_ref()?;
        search.matches.get(search.current?).copied()
    }

    /// Scrolls so that the current match is on screen (down and sideways),
    /// a third of the way down when the view has to move.
    fn reveal(&mut self, lines: &[StyledLine], viewport: Viewport) {
        let Some(found) = self.current_match() else {
            return;
        };
        let all = rows(lines, viewport.width, self.wrap);
        let row = all
            .iter()
            .rposition(|row| row.line == found.line && row.start <= found.start)
            .unwrap_or(0);
        let body = self.body_height(viewport.height);
        if row < self.scroll || row >= self.scroll + body {
            self.scroll = row.saturating_sub(body / 3);
        }
        self.scroll = self.scroll.min(all.len().saturating_sub(body));
        if !self.wrap {
            let width = viewport.width.max(1);
            if found.end <= width {
                self.hscroll = 0;
            } else if found.end > self.hscroll + width {
                // Just far enough (with a step to spare), so that as much as
                // possible of what leads to the match stays in view.
                let right = (found.end + SIDE_STEP).saturating_sub(width);
                self.hscroll = right.div_ceil(SIDE_STEP) * SIDE_STEP;
            } else if found.start < self.hscroll {
                self.hscroll = found.start.saturating_sub(SIDE_STEP) / SIDE_STEP * SIDE_STEP;
            }
        }
    }

    /// Acts on a key's action; `false` when the action is not the view's
    /// (the screen handles it). While the search prompt is open every key
    /// goes to it: `key` is the character typed.
    pub fn act(&mut self, lines: &[StyledLine], viewport: Viewport, action: Action, typed: Option<char>) -> bool {
        let body = self.body_height(viewport.height) as isize;
        if let Some(prompt) = self.prompt.as_mut() {
            match action {
                Action::Type => {
                    if let Some(c) = typed.filter(|c| !crate::sanitize::is_unsafe(*c))
                        && prompt.chars().count() < MAX_QUERY
                    {
                        prompt.push(c);
                    }
                }
                Action::Erase => {
                    prompt.pop();
                }
                Action::Find => self.run_search(lines, viewport),
                Action::Back => self.prompt = None,
                _ => return false,
            }
            return true;
        }
        match action {
            Action::Down => self.scroll_by(lines, viewport, 1),
            Action::Up => self.scroll_by(lines, viewport, -1),
            Action::PageDown => self.scroll_by(lines, viewport, body),
            Action::PageUp => self.scroll_by(lines, viewport, -body),
            Action::Top => self.scroll = 0,
            Action::Bottom => self.scroll = self.max_scroll(lines, viewport),
            Action::Right => self.scroll_sideways(lines, viewport, true),
            Action::Left => self.scroll_sideways(lines, viewport, false),
            Action::ToggleWrap => self.set_wrap(lines, viewport, !self.wrap),
            Action::Search => self.prompt = Some(String::new()),
            Action::NextMatch => self.step(lines, viewport, true),
            Action::PrevMatch => self.step(lines, viewport, false),
            _ => return false,
        }
        true
    }

    /// Text pasted while the prompt is open goes into it (one line, nothing
    /// a terminal would obey); `false` when no prompt is open.
    pub fn paste(&mut self, text: &str) -> bool {
        let Some(prompt) = self.prompt.as_mut() else {
            return false;
        };
        for c in text.chars().filter(|c| !crate::sanitize::is_unsafe(*c)) {
            if prompt.chars().count() >= MAX_QUERY {
                break;
            }
            prompt.push(c);
        }
        true
    }

    /// The rows on screen, cut to the view and marked by the search: all
    /// `ui` has to do is pick colours.
    pub fn visible(&self, lines: &[StyledLine], viewport: Viewport) -> Vec<Vec<Piece>> {
        let all = rows(lines, viewport.width, self.wrap);
        let body = self.body_height(viewport.height);
        let first = self.scroll.min(all.len().saturating_sub(body));
        all.iter()
            .skip(first)
            .take(body)
            .map(|row| self.pieces(lines, *row, viewport.width))
            .collect()
    }

    fn pieces(&self, lines: &[StyledLine], row: Row, width: usize) -> Vec<Piece> {
        let Some(line) = lines.get(row.line) else {
            return Vec::new();
        };
        let (start, end) = if self.wrap {
            (row.start, row.end)
        } else {
            (self.hscroll, usize::MAX)
        };
        let on_line: Vec<Match> = self
            .search
            .as_ref()
            .map(|s| s.matches.iter().filter(|m| m.line == row.line).copied().collect())
            .unwrap_or_default();
        let current = self.current_match();
        let mark_of = |i: usize| {
            if current.is_some_and(|m| m.line == row.line && m.start <= i && i < m.end) {
                Mark::Current
            } else if on_line.iter().any(|m| m.start <= i && i < m.end) {
                Mark::Match
            } else {
                Mark::None
            }
        };
        let mut out: Vec<Piece> = Vec::new();
        let mut index = 0;
        let mut used = 0;
        'line: for (tone, text) in &line.0 {
            for c in text.chars() {
                let i = index;
                index += 1;
                if i < start {
                    continue;
                }
                if i >= end {
                    break 'line;
                }
                let w = char_width(c);
                if used + w > width.max(1) {
                    break 'line;
                }
                used += w;
                let mark = mark_of(i);
                match out.last_mut() {
                    Some(last) if last.tone == *tone && last.mark == mark => last.text.push(c),
                    _ => out.push(Piece {
                        tone: *tone,
                        mark,
                        text: c.to_string(),
                    }),
                }
            }
        }
        out
    }
}

/// The room the view of the screen in front has, as `ui` lays the screen
/// out: the terminal less the header, banner, status line and footer, and
/// the screen's own lines above its text. The review's head (who, why) is
/// counted as its usual two rows; `ui` draws into the rows it really has,
/// so an odd size only shifts where a match lands, never hides the text.
pub(super) fn viewport(app: &App) -> Viewport {
    if app.screen == Screen::Detail {
        return super::detail::viewport(app);
    }
    let area = app.chrome.height.saturating_sub(3 + u16::from(app.profile.danger));
    let above = match (app.screen, app.edit.review.as_ref()) {
        (Screen::Review, Some(review)) => {
            let extra = match &review.stage {
                super::review::Stage::Conflict {
                    server_lines,
                    merge_error,
                    ..
                } => server_lines.len() + usize::from(merge_error.is_some()) + 1,
                _ => 0,
            };
            let extra = u16::try_from(extra).unwrap_or(u16::MAX).min(area / 2);
            1 + 2u16.min(area / 3).max(1) + extra
        }
        // The response's verdict and whom it is about.
        (Screen::Response, _) => 1 + u16::from(app.edit.response.as_ref().is_some_and(|r| r.identity_id.is_some())),
        _ => 1, // the diff's title
    };
    Viewport {
        width: usize::from(app.chrome.width),
        height: usize::from(area.saturating_sub(above)).max(1),
    }
}

/// The text view of the screen in front, when it has one.
pub(super) fn in_front(app: &App) -> Option<&TextView> {
    match app.screen {
        Screen::Detail => app.detail.state.as_ref()?.section().map(|s| &s.view),
        Screen::Response => app.edit.response.as_ref().map(|r| &r.view),
        Screen::Review => app.edit.review.as_ref().map(|r| &r.view),
        Screen::Text => app.drafts.text.as_ref().map(|t| &t.view),
        _ => None,
    }
}

/// The same, to act on: the view, its lines and the room it has.
fn in_front_mut(app: &mut App) -> Option<(&mut TextView, &[StyledLine], Viewport)> {
    let viewport = viewport(app);
    match app.screen {
        Screen::Detail => {
            let detail = app.detail.state.as_mut()?;
            let section = detail.sections.get_mut(detail.current)?;
            Some((&mut section.view, &section.lines, viewport))
        }
        Screen::Response => app
            .edit
            .response
            .as_mut()
            .map(|r| (&mut r.view, &r.lines[..], viewport)),
        Screen::Review => app.edit.review.as_mut().map(|r| (&mut r.view, &r.lines[..], viewport)),
        Screen::Text => app.drafts.text.as_mut().map(|t| (&mut t.view, &t.lines[..], viewport)),
        _ => None,
    }
}

/// Whether the view in front is taking a search (its prompt has the keys).
pub(super) fn prompt_open(app: &App) -> bool {
    in_front(app).is_some_and(|view| view.prompt.is_some())
}

/// A key while the search prompt is open (`Context::ViewSearch`).
pub(super) fn on_prompt(app: &mut App, action: Action, key: KeyEvent) -> Vec<Effect> {
    let typed = match key.code {
        KeyCode::Char(c) => Some(c),
        _ => None,
    };
    if let Some((view, lines, viewport)) = in_front_mut(app) {
        view.act(lines, viewport, action, typed);
    }
    Vec::new()
}

/// A paste into the open search prompt; `false` when none is open.
pub(super) fn on_paste(app: &mut App, text: &str) -> bool {
    in_front_mut(app).is_some_and(|(view, _, _)| view.paste(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(texts: &[&str]) -> Vec<StyledLine> {
        texts.iter().map(|t| StyledLine::plain(*t)).collect()
    }

    #[test]
    fn rows_wrap_at_the_width_and_keep_empty_lines() {
        let lines = lines(&["abcdefghij", "", "xyz"]);
        let wrapped = rows(&lines, 4, true);
        let spans: Vec<(usize, usize, usize)> = wrapped.iter().map(|r| (r.line, r.start, r.end)).collect();
        assert_eq!(spans, vec![(0, 0, 4), (0, 4, 8), (0, 8, 10), (1, 0, 0), (2, 0, 3)]);
        assert_eq!(rows(&lines, 4, false).len(), 3);
    }

    #[test]
    fn words_wrap_at_spaces_and_long_words_at_the_column() {
        let lines = lines(&["url   http://host/a-long-path", "  \"k\": \"one two three\""]);
        let texts: Vec<String> = rows(&lines, 12, true)
            .iter()
            .map(|r| {
                lines[r.line]
                    .text()
                    .chars()
                    .skip(r.start)
                    .take(r.end - r.start)
                    .collect()
            })
            .collect();
        assert_eq!(
            texts,
            vec![
                "url   ",
                "http://host/",
                "a-long-path",
                "  \"k\": \"one ",
                "two three\""
            ]
        );
    }

    #[test]
    fn wide_characters_wrap_by_their_columns() {
        let lines = lines(&["日本語テキスト"]);
        let wrapped = rows(&lines, 5, true);
        // Two wide characters (4 columns) per row of 5.
        assert_eq!(wrapped.len(), 4);
        assert_eq!((wrapped[0].start, wrapped[0].end), (0, 2));
    }

    #[test]
    fn search_ignores_case_and_does_not_overlap() {
        let lines = lines(&["Ana ANA ana", "banana"]);
        let found = find_all(&lines, "ana");
        let places: Vec<(usize, usize)> = found.iter().map(|m| (m.line, m.start)).collect();
        assert_eq!(places, vec![(0, 0), (0, 4), (0, 8), (1, 1)]);
        assert!(find_all(&lines, "").is_empty());
    }

    #[test]
    fn pieces_mark_the_current_match_apart_from_the_others() {
        let lines = lines(&["one two one"]);
        let mut view = TextView::new(false);
        let viewport = Viewport { width: 40, height: 5 };
        view.act(&lines, viewport, Action::Search, None);
        for c in "one".chars() {
            view.act(&lines, viewport, Action::Type, Some(c));
        }
        view.act(&lines, viewport, Action::Find, None);
        let shown = view.visible(&lines, viewport);
        let marks: Vec<(Mark, &str)> = shown[0].iter().map(|p| (p.mark, p.text.as_str())).collect();
        assert_eq!(
            marks,
            vec![(Mark::Current, "one"), (Mark::None, " two "), (Mark::Match, "one")]
        );
        assert_eq!(view.info().as_deref(), Some("match 1 of 2 for “one”"));
    }
}
