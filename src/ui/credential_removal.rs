//! The confirm screen of `x` on the Credentials section and `v` on the
//! Addresses section: drawn over the detail, naming the identity and the
//! credential or address, saying what changes, with the review's reason line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::theme::Theme;
use crate::app::App;
use crate::app::credential_removal::CredentialChange;
use crate::app::doc::Tone;
use crate::sanitize::for_display;

/// Draws the confirm box over `area` (the detail's), when one is open.
pub fn draw_confirm(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let Some(detail) = app.detail.state.as_ref() else {
        return;
    };
    let Some(confirm) = detail.entries.confirm.as_ref() else {
        return;
    };
    let width = area.width.saturating_sub(4).clamp(20, 100);
    let height = area.height.saturating_sub(2).min(14);
    let boxed = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    };
    let label = |text: &'static str| Span::styled(format!("{text:<12}"), theme.tone(Tone::Label));
    let mut lines = vec![
        Line::from(vec![
            label("identity"),
            Span::styled(confirm.who.clone(), theme.tone(Tone::Heading)),
        ]),
        Line::from(vec![label("id"), Span::raw(for_display(&detail.id).into_owned())]),
    ];
    match &confirm.change {
        CredentialChange::Remove(entry) => {
            lines.push(Line::from(vec![
                label("credential"),
                Span::styled(for_display(&entry.kind).into_owned(), theme.tone(Tone::Key)),
            ]));
            let shown = match &entry.identifier {
                Some(one) => for_display(one).into_owned(),
                None if entry.identifiers.is_empty() => "—".to_owned(),
                None => for_display(&entry.identifiers.join(", ")).into_owned(),
            };
            lines.push(Line::from(vec![
                label(if entry.identifier.is_some() {
                    "link"
                } else {
                    "identifiers"
                }),
                Span::raw(shown),
            ]));
        }
        CredentialChange::Verify { address, .. } => {
            lines.push(Line::from(vec![
                label("address"),
                Span::styled(for_display(&address.value).into_owned(), theme.tone(Tone::Key)),
                Span::raw(format!("  {}", for_display(&address.via))),
            ]));
            let now = if address.verified {
                "verified".to_owned()
            } else {
                format!("not verified ({})", for_display(&address.status))
            };
            lines.push(Line::from(vec![label("now"), Span::raw(now)]));
        }
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        for_display(&confirm.what()).into_owned(),
        theme.tone(Tone::Plain),
    )));
    lines.push(Line::default());
    lines.push(super::review::reason_line(app, &confirm.reason, true, theme));
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        if confirm.sending {
            "Sending… (read again first, signed, recorded in the audit trail)"
        } else {
            "y sends (read again first, signed, audited) · n/Esc back · r reason"
        },
        theme.tone(Tone::Muted),
    )));
    frame.render_widget(Clear, boxed);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(confirm.title(), theme.tone(Tone::Heading)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), boxed);
}
