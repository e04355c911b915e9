//! The help overlay: every key of the current screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::theme::Theme;
use crate::app::{App, keys};

pub fn draw(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let bindings = keys::bindings(app.screen, app.search_input.is_some());
    let key_width = bindings.iter().map(|b| b.keys.chars().count()).max().unwrap_or(0);
    let mut lines: Vec<Line> = bindings
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:<key_width$}  ", b.keys), theme.footer_key()),
                Span::raw(b.action),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " any key closes this help",
        theme.tone(crate::app::doc::Tone::Muted),
    )));

    let content_width = lines.iter().map(Line::width).max().unwrap_or(20) as u16 + 3;
    let width = content_width.min(area.width.saturating_sub(2));
    let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
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
