//! Draws a text view (`app::text_view`): the rows on screen with the
//! search's matches marked, and under them the view's own line (the search
//! being typed, "match 3 of 12 for …", "→ col 40") when it has one. What is
//! on which row is decided in `app`; this only picks styles.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::theme::Theme;
use crate::app::doc::{StyledLine, Tone};
use crate::app::text_view::{Mark, TextView, Viewport};

/// A piece's style: its tone, and the search's mark over it. The current
/// match is reverse video (as the selected row is), so it never depends on
/// colour alone; other matches are yellow, or underlined without colour.
fn style(theme: &Theme, tone: Tone, mark: Mark) -> Style {
    let base = theme.tone(tone);
    match mark {
        Mark::None => base,
        Mark::Current => base.add_modifier(Modifier::REVERSED | Modifier::BOLD),
        Mark::Match if theme.color => base.fg(Color::Black).bg(Color::Yellow),
        Mark::Match => base.add_modifier(Modifier::UNDERLINED),
    }
}

/// Draws `view` of `lines` into `area`; the hardware cursor goes to the end
/// of the search being typed, else to the top of the text.
pub fn draw(view: &TextView, lines: &[StyledLine], theme: &Theme, area: Rect, frame: &mut Frame) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let viewport = Viewport {
        width: usize::from(area.width),
        height: usize::from(area.height),
    };
    let shown: Vec<Line> = view
        .visible(lines, viewport)
        .into_iter()
        .map(|pieces| {
            Line::from(
                pieces
                    .into_iter()
                    .map(|p| Span::styled(p.text, style(theme, p.tone, p.mark)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let body_height = u16::try_from(view.body_height(viewport.height))
        .unwrap_or(u16::MAX)
        .min(area.height);
    frame.render_widget(
        Paragraph::new(shown),
        Rect {
            height: body_height,
            ..area
        },
    );
    let info = view.info().filter(|_| area.height > body_height);
    let Some(info) = info else {
        frame.set_cursor_position(Position { x: area.x, y: area.y });
        return;
    };
    let y = area.bottom().saturating_sub(1);
    let line = Rect { y, height: 1, ..area };
    if view.prompt.is_some() {
        let hint = "  Enter finds · Esc cancels";
        let text = Line::from(vec![
            Span::styled(info.clone(), theme.footer_key()),
            Span::styled(hint, theme.tone(Tone::Muted)),
        ]);
        frame.render_widget(Paragraph::new(text), line);
        let end = u16::try_from(info.width()).unwrap_or(u16::MAX);
        let x = area.x.saturating_add(end).min(area.right().saturating_sub(1));
        frame.set_cursor_position(Position { x, y });
    } else {
        frame.render_widget(Paragraph::new(Span::styled(info, theme.tone(Tone::Label))), line);
        frame.set_cursor_position(Position { x: area.x, y: area.y });
    }
}
