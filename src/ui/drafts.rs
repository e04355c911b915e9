//! The drafts list (`D`), the draft offer on the detail view, and read-only
//! text screens.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::detail::styled;
use super::theme::Theme;
use crate::app::App;
use crate::app::doc::Tone;
use crate::sanitize::for_display;

pub fn draw_list(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let mut lines = vec![Line::from(Span::styled(
        "Drafts waiting from earlier sessions (never passwords or hashes)",
        theme.tone(Tone::Heading),
    ))];
    if app.drafts.known.is_empty() {
        lines.push(Line::from(Span::styled("  none", theme.tone(Tone::Muted))));
    }
    let height = usize::from(area.height.saturating_sub(1));
    let start = app.drafts.selected.saturating_sub(height.saturating_sub(1));
    for (i, draft) in app.drafts.known.iter().enumerate().skip(start).take(height) {
        let style = if i == app.drafts.selected {
            theme.selected()
        } else {
            Style::new()
        };
        lines.push(Line::from(Span::styled(
            format!(
                " {:<12} {}  saved {} ",
                for_display(&draft.form),
                for_display(&draft.identity_id),
                for_display(&draft.saved_at)
            ),
            style,
        )));
    }
    frame.render_widget(Paragraph::new(lines), area);
    if !app.drafts.known.is_empty() {
        let y = area.y + 1 + u16::try_from(app.drafts.selected.saturating_sub(start)).unwrap_or(0);
        frame.set_cursor_position(Position { x: area.x, y });
    }
}

pub fn draw_text(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let Some(text) = app.drafts.text.as_ref() else {
        return;
    };
    let (title, lines, scroll) = (&text.title, &text.lines, &text.scroll);
    let parts = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).split(area);
    frame.render_widget(
        Paragraph::new(Span::styled(title.as_str(), theme.tone(Tone::Heading))),
        parts[0],
    );
    let shown: Vec<Line> = lines
        .iter()
        .skip(*scroll)
        .take(usize::from(parts[1].height))
        .map(|l| styled(l, theme, 0))
        .collect();
    frame.render_widget(
        Paragraph::new(shown).wrap(ratatui::widgets::Wrap { trim: false }),
        parts[1],
    );
}

/// The one-line offer shown above the detail sections when a draft waits.
pub fn offer_line<'a>(app: &'a App, theme: &Theme) -> Option<Line<'a>> {
    let draft = app.detail.offer.as_ref()?;
    Some(Line::from(vec![
        Span::styled(
            format!(
                "Draft of the {} form from {}: ",
                for_display(&draft.form),
                for_display(&draft.saved_at)
            ),
            theme.badge(),
        ),
        Span::styled(" Enter", theme.footer_key()),
        Span::raw(" restore  "),
        Span::styled("v", theme.footer_key()),
        Span::raw(" diff  "),
        Span::styled("x", theme.footer_key()),
        Span::raw(" discard"),
    ]))
}
