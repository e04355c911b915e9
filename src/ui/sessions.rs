//! The confirm screen of a session write (`x`, `X`, `+` on the Sessions
//! section): drawn over the detail, naming the identity and the session,
//! saying what the write does, with the review's reason line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::theme::Theme;
use crate::app::App;
use crate::app::doc::Tone;
use crate::app::sessions::SessionWriteKind;
use crate::app::time::{absolute, relative};
use crate::sanitize::for_display;

/// Draws the confirm box over `area` (the detail's), when one is open.
pub fn draw_confirm(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let Some(confirm) = app.detail.state.as_ref().and_then(|d| d.sessions.confirm.as_ref()) else {
        return;
    };
    let now = app.chrome.now;
    let width = area.width.saturating_sub(4).clamp(20, 100);
    let height = area.height.saturating_sub(2).min(14);
    let boxed = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    };
    let title = match confirm.kind {
        SessionWriteKind::Revoke { .. } => " Revoke a session ",
        SessionWriteKind::RevokeAll => " Revoke all sessions ",
        SessionWriteKind::Extend { .. } => " Extend a session ",
    };
    let label = |text: &'static str| Span::styled(format!("{text:<10}"), theme.tone(Tone::Label));
    let mut lines = vec![Line::from(vec![
        label("identity"),
        Span::styled(confirm.who.clone(), theme.tone(Tone::Heading)),
    ])];
    if let Some(detail) = app.detail.state.as_ref() {
        lines.push(Line::from(vec![
            label("id"),
            Span::raw(for_display(&detail.id).into_owned()),
        ]));
    }
    match &confirm.session {
        Some(session) => {
            let expires = session
                .expires_at_time()
                .map(|t| format!("{} ({})", absolute(t), relative(t, now)))
                .unwrap_or_else(|| "—".to_owned());
            lines.push(Line::from(vec![
                label("session"),
                Span::styled(for_display(&session.id).into_owned(), theme.tone(Tone::Key)),
                Span::raw(format!("  {}", session.state(now).as_str())),
            ]));
            lines.push(Line::from(vec![label("expires"), Span::raw(expires)]));
            if let Some(device) = session.devices.first() {
                let ip = device.ip_address.as_deref().unwrap_or("—");
                let place = device.location.as_deref().unwrap_or("—");
                lines.push(Line::from(vec![
                    label("device"),
                    Span::raw(format!("{}  {}", for_display(ip), for_display(place))),
                ]));
            }
        }
        None => {
            let count = app.detail.state.as_ref().map(|d| d.sessions.items.len()).unwrap_or(0);
            lines.push(Line::from(vec![
                label("sessions"),
                Span::raw(format!("every one ({count} listed here)")),
            ]));
        }
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(confirm.what(), theme.tone(Tone::Plain))));
    lines.push(Line::default());
    lines.push(super::review::reason_line(app, &confirm.reason, true, theme));
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        if confirm.sending {
            "Sending… (signed, recorded in the audit trail)"
        } else {
            "y sends (signed, recorded in the audit trail) · n/Esc back · r reason"
        },
        theme.tone(Tone::Muted),
    )));
    frame.render_widget(Clear, boxed);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.tone(Tone::Heading)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), boxed);
}
