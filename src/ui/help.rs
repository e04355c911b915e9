//! The help overlay: every key of the current screen, from the same table
//! that handles them (`app::keys`). When the list is longer than the screen
//! it scrolls; its last line ("Ctrl-C quits · any key closes this help")
//! stays in view at any size.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::theme::Theme;
use crate::app::chrome::help_page;
use crate::app::doc::Tone;
use crate::app::{App, keys};

/// The line that always shows: how to leave the help (and the console).
pub const CLOSES: &str = " Ctrl-C quits · any key closes this help";
/// The same when the list scrolls.
pub const SCROLLS: &str = " ↑/↓ more · Ctrl-C quits · any other key closes this help";

/// The overlay's key rows, each as `(keys, what they do)` padded to one
/// column; also used by tests that check every row fits the narrowest
/// terminal.
pub fn rows(bindings: &[&keys::Binding]) -> Vec<(String, &'static str)> {
    let key_width = bindings.iter().map(|b| b.keys.width()).max().unwrap_or(0);
    bindings
        .iter()
        .map(|b| {
            let pad = key_width.saturating_sub(b.keys.width());
            (format!(" {}{}  ", b.keys, " ".repeat(pad)), b.help)
        })
        .collect()
}

pub fn draw(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let context = app.screen_key_context();
    let bindings = keys::bindings(context);
    let rows = rows(&bindings);
    let notes = keys::help_notes(context);
    let page = help_page(area.height);
    let total = rows.len() + notes.len();
    let scrolls = total > page;
    let first = app.chrome.help.unwrap_or(0).min(total.saturating_sub(page));
    let pinned = if scrolls { SCROLLS } else { CLOSES };
    // The keys, then the screen's notes (how search reads its text), as
    // one list that scrolls.
    let key_lines = rows
        .iter()
        .map(|(keys, help)| Line::from(vec![Span::styled(keys.clone(), theme.footer_key()), Span::raw(*help)]));
    let note_lines = notes
        .iter()
        .map(|note| Line::from(Span::styled(*note, theme.tone(Tone::Muted))));
    let mut lines: Vec<Line> = key_lines.chain(note_lines).skip(first).take(page).collect();
    lines.push(Line::from(Span::styled(pinned, theme.tone(Tone::Muted))));

    let content_width = lines.iter().map(Line::width).max().unwrap_or(20);
    let width = u16::try_from(content_width + 3).unwrap_or(u16::MAX).min(area.width);
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX).min(area.height);
    let rect = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(" Keys ");
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::MIN_WIDTH;

    /// Every help row, and the pinned line, fits the narrowest terminal the
    /// console draws on, inside the overlay's frame.
    #[test]
    fn help_rows_fit_the_minimum_width() {
        let inner = usize::from(MIN_WIDTH) - 2;
        assert!(SCROLLS.width() <= inner && CLOSES.width() <= inner);
        for (_, context) in keys::README_ROWS {
            for note in keys::help_notes(*context) {
                assert!(
                    note.width() <= inner,
                    "{context:?}: \"{note}\" is {} columns wide",
                    note.width()
                );
            }
            let bindings = keys::bindings(*context);
            for (keys, help) in rows(&bindings) {
                let width = format!("{keys}{help}").width();
                assert!(width <= inner, "{context:?}: \"{keys}{help}\" is {width} columns wide");
            }
        }
    }
}
