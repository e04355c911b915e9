//! The review before sending, the response view and the request history.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Long lines (a URL, a changed value) wrap rather than being cut: what is
/// approved must be visible in full.
const WRAP: Wrap = Wrap { trim: false };

use super::detail::styled;
use super::theme::Theme;
use crate::app::App;
use crate::app::doc::{StyledLine, Tone};
use crate::app::review::Stage;
use crate::sanitize::for_display;

fn lines_window<'a>(lines: &'a [StyledLine], scroll: usize, height: usize, theme: &Theme) -> Vec<Line<'a>> {
    lines
        .iter()
        .skip(scroll)
        .take(height)
        .map(|l| styled(l, theme, 0))
        .collect()
}

pub fn draw_review(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let Some(review) = app.edit.review.as_ref() else {
        return;
    };
    let (prompt, extra): (Line, Vec<StyledLine>) = match &review.stage {
        Stage::Ready => (
            Line::from(vec![
                Span::styled("Send this change? ", theme.tone(Tone::Heading)),
                Span::styled("y", theme.footer_key()),
                Span::raw(" send  "),
                Span::styled("n/Esc", theme.footer_key()),
                Span::raw(" back to the form"),
            ]),
            Vec::new(),
        ),
        Stage::Sending => (
            Line::from(Span::styled(
                "Sending… (checked against the server's current version first; Esc stops waiting)",
                theme.tone(Tone::Muted),
            )),
            Vec::new(),
        ),
        Stage::Conflict {
            server_lines,
            merge_error,
            ..
        } => {
            let mut extra = server_lines.clone();
            if let Some(error) = merge_error {
                extra.push(StyledLine::toned(
                    Tone::Bad,
                    format!("Cannot merge: {}", for_display(error)),
                ));
            }
            extra.push(StyledLine::default());
            (
                Line::from(vec![
                    Span::styled("Changed on the server: ", theme.error()),
                    Span::styled("m", theme.footer_key()),
                    Span::raw(" merge my edit onto it  "),
                    Span::styled("o", theme.footer_key()),
                    Span::raw(" overwrite  "),
                    Span::styled("Esc", theme.footer_key()),
                    Span::raw(" back"),
                ]),
                extra,
            )
        }
    };
    let parts = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::try_from(extra.len()).unwrap_or(0).min(area.height / 2)),
        Constraint::Min(1),
    ])
    .split(area);
    frame.render_widget(Paragraph::new(prompt), parts[0]);
    frame.render_widget(
        Paragraph::new(lines_window(&extra, 0, usize::from(parts[1].height), theme)).wrap(WRAP),
        parts[1],
    );
    let body = parts[2];
    frame.render_widget(
        Paragraph::new(lines_window(
            &review.lines,
            review.scroll,
            usize::from(body.height),
            theme,
        ))
        .wrap(WRAP),
        body,
    );
    frame.set_cursor_position(Position { x: area.x, y: area.y });
}

pub fn draw_response(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let Some(response) = app.edit.response.as_ref() else {
        return;
    };
    let verdict = match (response.success, response.status) {
        (true, Some(status)) => Span::styled(
            format!("✓ {status} {}", for_display(&response.reason)),
            theme.tone(Tone::Good),
        ),
        (false, Some(status)) => Span::styled(format!("✗ {status} {}", for_display(&response.reason)), theme.error()),
        (_, None) => Span::styled("✗ no answer".to_owned(), theme.error()),
    };
    let parts = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).split(area);
    let title = Line::from(vec![
        Span::styled("Response  ", theme.tone(Tone::Heading)),
        verdict,
        Span::styled(format!("  {} ms", response.elapsed_ms), theme.tone(Tone::Muted)),
    ]);
    frame.render_widget(Paragraph::new(title), parts[0]);
    frame.render_widget(
        Paragraph::new(lines_window(
            &response.lines,
            response.scroll,
            usize::from(parts[1].height),
            theme,
        ))
        .wrap(WRAP),
        parts[1],
    );
    frame.set_cursor_position(Position { x: area.x, y: area.y });
}

pub fn draw_history(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let mut lines = vec![Line::from(Span::styled(
        "Requests made in this run",
        theme.tone(Tone::Heading),
    ))];
    if app.history.entries.is_empty() {
        lines.push(Line::from(Span::styled("  none yet", theme.tone(Tone::Muted))));
    }
    let height = usize::from(area.height.saturating_sub(1));
    let start = app.history.selected.saturating_sub(height.saturating_sub(1));
    for (i, entry) in app.history.entries.iter().enumerate().skip(start).take(height) {
        let status = entry.status.map_or_else(|| "---".to_owned(), |s| s.to_string());
        let style = if i == app.history.selected {
            theme.selected()
        } else {
            Style::new()
        };
        let tone = if entry.success {
            theme.tone(Tone::Good)
        } else {
            theme.error()
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {status} "), tone.patch(style)),
            Span::styled(
                format!(
                    " {} {}  {} ms ",
                    entry.method,
                    for_display(&entry.url),
                    entry.elapsed_ms
                ),
                style,
            ),
        ]));
    }
    let (area, audit_area) = match app.history.audit.as_ref() {
        Some(_) => {
            let parts = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).split(area);
            (parts[0], Some(parts[1]))
        }
        None => (area, None),
    };
    frame.render_widget(Paragraph::new(lines), area);
    if let (Some((identity_id, audit)), Some(audit_area)) = (app.history.audit.as_ref(), audit_area) {
        let mut lines = vec![Line::from(Span::styled(
            format!("Audit trail of identity {}", for_display(identity_id)),
            theme.tone(Tone::Heading),
        ))];
        match audit {
            None => lines.push(Line::from(Span::styled("  reading…", theme.tone(Tone::Muted)))),
            Some(Err(error)) => lines.push(Line::from(Span::styled(
                format!("  ✗ {}", for_display(error)),
                theme.error(),
            ))),
            Some(Ok(entries)) if entries.is_empty() => {
                lines.push(Line::from(Span::styled(
                    "  no writes recorded",
                    theme.tone(Tone::Muted),
                )));
            }
            Some(Ok(entries)) => {
                // Newest at the bottom, as many as fit.
                let room = usize::from(audit_area.height.saturating_sub(1));
                let skip = entries.len().saturating_sub(room);
                lines.extend(entries.iter().skip(skip).map(|e| Line::from(format!("  {e}"))));
            }
        }
        frame.render_widget(Paragraph::new(lines), audit_area);
    }
    let y = area.y + 1 + u16::try_from(app.history.selected.saturating_sub(start)).unwrap_or(0);
    if !app.history.entries.is_empty() && y < area.bottom() {
        frame.set_cursor_position(Position { x: area.x, y });
    }
}
