//! The identity detail screen: a title, section tabs and the current section.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::theme::Theme;
use crate::app::App;
use crate::app::detail::SectionKind;
use crate::app::doc::{StyledLine, Tone};
use crate::app::rows::{display_name, primary_identifier};
use crate::sanitize::for_display;
use unicode_width::UnicodeWidthStr;

pub fn draw(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let Some(detail) = app.detail.state.as_ref() else {
        return;
    };
    let parts = Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Min(1)]).split(area);

    let title = match &detail.identity {
        Some(identity) => {
            let traits = identity.get("traits").unwrap_or(&serde_json::Value::Null);
            let schema = identity.get("schema_id").and_then(|s| s.as_str()).unwrap_or_default();
            let who = primary_identifier(traits, app.schemas.hints.get(schema)).unwrap_or_default();
            let name = display_name(traits).map(|n| format!("  {n}")).unwrap_or_default();
            title(
                &for_display(&who),
                &for_display(&detail.id),
                &for_display(&name),
                area.width,
            )
        }
        None => format!("identity {}", for_display(&detail.id)),
    };
    frame.render_widget(Paragraph::new(Span::styled(title, theme.tone(Tone::Heading))), parts[0]);

    let mut tabs = Vec::new();
    // Seven tabs with roomy separators take 89 columns: narrower terminals
    // get bare ones, so Sessions stays on screen at 80.
    let titles: usize = SectionKind::ALL.iter().map(|k| k.title().width() + 2).sum();
    let roomy = titles + 3 * (SectionKind::ALL.len() - 1) <= usize::from(area.width);
    let separator = if roomy { " │ " } else { "│" };
    for (i, kind) in SectionKind::ALL.iter().enumerate() {
        if i > 0 {
            tabs.push(Span::raw(separator));
        }
        let style = if i == detail.current {
            theme.selected()
        } else {
            theme.tone(Tone::Label)
        };
        tabs.push(Span::styled(format!(" {} ", kind.title()), style));
    }
    frame.render_widget(Paragraph::new(Line::from(tabs)), parts[1]);

    let mut body = parts[2];
    if let Some(offer) = super::drafts::offer_line(app, theme) {
        frame.render_widget(Paragraph::new(offer), Rect { height: 1, ..body });
        body = Rect {
            y: body.y + 1,
            height: body.height.saturating_sub(1),
            ..body
        };
    }
    if detail.loading && detail.identity.is_none() {
        frame.render_widget(Paragraph::new(Span::styled("loading…", theme.tone(Tone::Muted))), body);
        return;
    }
    if let (Some(error), None) = (&detail.error, &detail.identity) {
        // Wrapped: the reason is never cut at the terminal's width.
        let text = vec![
            Line::from(Span::styled(format!("✗ {}", for_display(error)), theme.error())),
            Line::from("r retries, Esc goes back"),
        ];
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), body);
        return;
    }
    let Some(section) = detail.section() else {
        return;
    };
    super::text_view::draw(&section.view, &section.lines, theme, body, frame);
}

/// The title: identifier, id and name, all sanitised already. The id
/// stands right after the identifier, so a long name never pushes it off;
/// it is the full UUID when everything fits the width (to read out or
/// compare with a ticket), else its first eight characters and `…` (the
/// summary and `y` still have all of it).
fn title(who: &str, id: &str, name: &str, width: u16) -> String {
    let full = format!("{who}  ({id}){name}");
    if full.width() <= usize::from(width) {
        return full;
    }
    let short: String = id.chars().take(8).collect();
    let cut = if short.len() < id.len() { "…" } else { "" };
    format!("{who}  ({short}{cut}){name}")
}

/// Converts a styled line, dropping the first `skip` characters (sideways scroll).
pub(super) fn styled<'a>(line: &'a StyledLine, theme: &Theme, mut skip: usize) -> Line<'a> {
    let mut spans = Vec::with_capacity(line.0.len());
    for (tone, text) in &line.0 {
        let count = text.chars().count();
        if skip >= count {
            skip -= count;
            continue;
        }
        let piece: &str = if skip > 0 {
            let at = text.char_indices().nth(skip).map_or(text.len(), |(i, _)| i);
            skip = 0;
            &text[at..]
        } else {
            text
        };
        spans.push(Span::styled(piece, theme.tone(*tone)));
    }
    Line::from(spans)
}
