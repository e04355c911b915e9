//! The drafts list (`D`), the draft offer on the detail view, and read-only
//! text screens.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use crate::app::App;
use crate::app::doc::Tone;
use crate::app::drafting::named_draft;
use crate::app::keys::Action;
use crate::app::time::relative;
use crate::sanitize::for_display;
use unicode_width::UnicodeWidthStr;

/// The drafts waiting, one row each: the form, whom it is for (identifier
/// and name, so nobody has to recognise a UUID), how long ago it was saved
/// (the exact time is on the offer and the draft's view), and the id: whole
/// when the terminal has room (the name column gives way first), else its
/// first eight characters.
pub fn draw_list(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let mut lines = vec![Line::from(Span::styled(
        "Drafts waiting from earlier sessions (never passwords or hashes)",
        theme.tone(Tone::Heading),
    ))];
    if app.drafts.known.is_empty() {
        lines.push(Line::from(Span::styled("  none", theme.tone(Tone::Muted))));
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    let rows: Vec<Row> = app
        .drafts
        .known
        .iter()
        .map(|draft| {
            let (identifier, name) = named_draft(app, draft);
            let identifier = if identifier.is_empty() && name.is_empty() {
                "(not recorded)".to_owned()
            } else {
                identifier
            };
            Row {
                form: for_display(&draft.form).into_owned(),
                identifier,
                name,
                saved: saved_ago(&draft.saved_at, app.chrome.now),
                id: for_display(&draft.identity_id).into_owned(),
            }
        })
        .collect();
    let widest = |pick: fn(&Row) -> &String, header: &str, cap: usize| {
        rows.iter()
            .map(|row| pick(row).width())
            .chain(std::iter::once(header.width()))
            .max()
            .unwrap_or(0)
            .min(cap)
    };
    let identifier_width = widest(|r| &r.identifier, "IDENTIFIER", 32);
    let saved_width = widest(|r| &r.saved, "SAVED", 16);
    let id_width = widest(|r| &r.id, "ID", 64);
    let full_name_width = widest(|r| &r.name, "NAME", 24);
    let fixed = 1 + FORM_WIDTH + 1 + identifier_width + 1 + saved_width + 1;
    let width = usize::from(area.width);
    // The whole id when the name column can give way for it (down to 12
    // columns); when even that is not enough, the name keeps its room.
    let spare = width.saturating_sub(fixed + 1 + id_width);
    let name_width = if spare >= 12.min(full_name_width) {
        full_name_width.min(spare)
    } else {
        full_name_width
    };
    let room = width.saturating_sub(fixed + name_width + 1);
    let line = |row: &Row| {
        let id = if row.id.width() <= room {
            row.id.clone()
        } else if room >= 9 {
            format!("{}…", row.id.chars().take(8).collect::<String>())
        } else {
            String::new()
        };
        format!(
            " {} {} {} {} {id}",
            pad(&row.form, FORM_WIDTH),
            pad(&row.identifier, identifier_width),
            pad(&row.name, name_width),
            pad(&row.saved, saved_width)
        )
    };
    let header = Row {
        form: "FORM".into(),
        identifier: "IDENTIFIER".into(),
        name: "NAME".into(),
        saved: "SAVED".into(),
        id: "ID".into(),
    };
    lines.push(Line::from(Span::styled(line(&header), theme.tone(Tone::Label))));
    let height = usize::from(area.height.saturating_sub(2));
    let start = app.drafts.selected.saturating_sub(height.saturating_sub(1));
    for (i, row) in rows.iter().enumerate().skip(start).take(height) {
        let style = if i == app.drafts.selected {
            theme.selected()
        } else {
            Style::new()
        };
        lines.push(Line::from(Span::styled(line(row), style)));
    }
    frame.render_widget(Paragraph::new(lines), area);
    let y = area.y + 2 + u16::try_from(app.drafts.selected.saturating_sub(start)).unwrap_or(0);
    frame.set_cursor_position(Position { x: area.x, y });
}

/// One line of the drafts list, every part made safe to draw.
struct Row {
    form: String,
    identifier: String,
    name: String,
    saved: String,
    id: String,
}

/// The column of the form name ("credentials" is the longest).
const FORM_WIDTH: usize = 11;

/// `text` cut or padded to exactly `width` columns (`…` where cut).
fn pad(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let cut = text.width() > width;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + usize::from(cut) > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if cut && width > 0 {
        out.push('…');
        used += 1;
    }
    out.push_str(&" ".repeat(width.saturating_sub(used)));
    out
}

/// How long ago the draft was saved ("18 h ago"); a stamp that does not
/// parse is shown as it is, made safe.
fn saved_ago(raw: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    match chrono::DateTime::parse_from_rfc3339(raw) {
        Ok(t) => relative(t.with_timezone(&chrono::Utc), now),
        Err(_) => for_display(raw).into_owned(),
    }
}

pub fn draw_text(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let Some(text) = app.drafts.text.as_ref() else {
        return;
    };
    let parts = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).split(area);
    frame.render_widget(
        Paragraph::new(Span::styled(text.title.as_str(), theme.tone(Tone::Heading))),
        parts[0],
    );
    // Wrapped by default, searchable (`/`, n/N): `ui::text_view`.
    super::text_view::draw(&text.view, &text.lines, theme, parts[1], frame);
}

/// The one-line offer shown above the detail sections when a draft waits.
/// Its keys are read from the key table of where the user is, so the line
/// never names a key that does something else there (on Sessions and
/// Credentials `x` acts on an entry and `d` discards the draft; on
/// Addresses `v` verifies and `V` shows the diff); a key the table lacks
/// (a confirm open over the section) is left out.
pub fn offer_line<'a>(app: &'a App, theme: &Theme) -> Option<Line<'a>> {
    let draft = app.detail.offer.as_ref()?;
    let bindings = crate::app::keys::bindings(app.screen_key_context());
    let key_of = |action: Action| {
        bindings
            .iter()
            .find(|b| b.map.iter().any(|(_, a)| *a == action))
            .map(|b| b.keys)
    };
    let mut keys: Vec<Span<'a>> = Vec::new();
    for (action, what) in [
        (Action::RestoreDraft, " restore"),
        (Action::ShowDraft, " diff"),
        (Action::DiscardDraft, " discard"),
    ] {
        if let Some(key) = key_of(action) {
            if keys.is_empty() {
                keys.push(Span::styled(format!(" {key}"), theme.footer_key()));
            } else {
                keys.push(Span::raw("  "));
                keys.push(Span::styled(key, theme.footer_key()));
            }
            keys.push(Span::raw(what));
        }
    }
    // The keys must stay on screen: where the exact time leaves them no
    // room (80 columns), the time is said relatively, then shorter still.
    let keys_width: usize = keys.iter().map(|s| s.content.width()).sum();
    let form = for_display(&draft.form);
    let ago = saved_ago(&draft.saved_at, app.chrome.now);
    let lead = [
        format!("Draft of the {form} form from {}: ", for_display(&draft.saved_at)),
        format!("Draft of the {form} form from {ago}: "),
        format!("Draft ({form}, {ago}): "),
    ]
    .into_iter()
    .find(|lead| lead.width() + keys_width <= usize::from(app.chrome.width))
    .unwrap_or_else(|| format!("Draft ({form}, {ago}): "));
    let mut spans = vec![Span::styled(lead, theme.badge())];
    spans.extend(keys);
    Some(Line::from(spans))
}
