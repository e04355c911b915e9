//! The identity list screen.

use ratatui::Frame;
use std::borrow::Cow;

use ratatui::layout::{Constraint, Flex, Layout, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::theme::Theme;
use crate::app::App;
use crate::app::doc::Tone;
use crate::app::list::{ListSource, Paging};
use crate::app::rows::{IdentityRow, RowState};
use crate::app::search::Badge;
use crate::app::time::{RELATIVE_WIDTH, absolute, relative};

/// Terminals at least this wide show the absolute update time.
const ABSOLUTE_TIME_WIDTH: u16 = 140;
/// Terminals at least this wide show the whole id (36 columns for a UUID),
/// so it can be read off or compared without opening the identity; below,
/// its first eight characters tell rows apart.
pub const FULL_ID_WIDTH: u16 = 160;

/// Width of the MATCH column of search results ("prefix").
const MATCH_WIDTH: u16 = 6;

/// Column widths for a terminal `width` wide: the identifier and name share
/// what is left after the fixed columns; the absolute time and the whole id
/// show when they fit; search results start with how each row was found.
fn columns(width: u16, found: bool) -> (Vec<Constraint>, bool) {
    let wide = width >= ABSOLUTE_TIME_WIDTH;
    let mut constraints = Vec::new();
    if found {
        constraints.push(Constraint::Length(MATCH_WIDTH)); // how it was found
    }
    constraints.extend([
        Constraint::Fill(3),                                   // identifier
        Constraint::Fill(2),                                   // name
        Constraint::Length(8),                                 // state
        Constraint::Length(if width >= 100 { 14 } else { 9 }), // schema
        Constraint::Length(RELATIVE_WIDTH),                    // updated (relative)
    ]);
    if wide {
        constraints.push(Constraint::Length(23)); // updated (absolute)
    }
    constraints.push(Constraint::Length(if width >= FULL_ID_WIDTH { 36 } else { 8 })); // id
    (constraints, wide)
}

pub fn draw(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let list = &app.list;
    let badge = list.badge();
    let parts = Layout::vertical([
        Constraint::Length(u16::from(badge.is_some())),
        Constraint::Min(1),
        Constraint::Length(u16::from(list.search_input.is_some())),
    ])
    .split(area);
    let (badge_area, table_area) = (parts[0], parts[1]);
    let search_area = list.search_input.is_some().then_some(parts[2]);
    if let Some(badge) = badge {
        draw_badge(&badge, theme, badge_area, frame);
    }
    let body_height = usize::from(table_area.height.saturating_sub(1));
    let found = matches!(list.source, ListSource::ServerSearch(_));
    let (widths, wide) = columns(table_area.width, found);
    // The same split the table makes, to cut long cells with an ellipsis.
    let cols: Vec<u16> = Layout::horizontal(widths.clone())
        .flex(Flex::Start)
        .spacing(1)
        .split(table_area)
        .iter()
        .map(|r| r.width)
        .collect();

    let mut titles = if found { vec!["MATCH"] } else { Vec::new() };
    titles.extend(["IDENTIFIER", "NAME", "STATE", "SCHEMA", "UPDATED"]);
    if wide {
        titles.push("UPDATED AT");
    }
    titles.push("ID");
    let header = Row::new(titles).style(theme.column_titles());

    let start = list.offset.min(list.visible.len());
    let end = (start + body_height).min(list.visible.len());
    let rows: Vec<Row> = list.visible[start..end]
        .iter()
        .enumerate()
        .map(|(i, &index)| {
            let row = table_row(&list.rows[index], app, theme, wide, &cols, found);
            if start + i == list.selected {
                row.style(theme.selected())
            } else {
                row
            }
        })
        .collect();

    let drawn = rows.len();
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    frame.render_widget(table, table_area);

    // The lines after the last row tell what happens next, across the full
    // width; a failure says why, wrapped over the rows left.
    if drawn < body_height
        && let Some((text, style)) = trailing_note(app)
    {
        let y = table_area.y + 1 + u16::try_from(drawn).unwrap_or(0);
        let note_area = Rect {
            y,
            height: table_area.bottom().saturating_sub(y),
            ..table_area
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, style)).wrap(Wrap { trim: false }),
            note_area,
        );
    }

    if let Some(search_area) = search_area {
        let text = app.list.search_input.as_deref().unwrap_or_default();
        let shown = crate::sanitize::for_display(text);
        let line = Line::from(vec![
            Span::styled("/", theme.footer_key()),
            Span::raw(shown.to_string()),
        ]);
        frame.render_widget(Paragraph::new(line), search_area);
        let x = search_area.x + 1 + u16::try_from(shown.chars().count()).unwrap_or(u16::MAX);
        frame.set_cursor_position(Position {
            x: x.min(search_area.right().saturating_sub(1)),
            y: search_area.y,
        });
    } else if end > start {
        // The hardware cursor sits on the selected row, for screen readers.
        let y = table_area.y + 1 + u16::try_from(list.selected.saturating_sub(start)).unwrap_or(0);
        frame.set_cursor_position(Position { x: table_area.x, y });
    }
}

/// `text` cut to `width` columns, ending in `…` when something was cut, so a
/// truncated address never looks like a complete one.
pub(super) fn fit(text: &str, width: usize) -> Cow<'_, str> {
    if UnicodeWidthStr::width(text) <= width {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    Cow::Owned(out)
}

/// The line above the rows: the filter or search and "N of M" in the
/// label colour, then (dimmed) whether the rows are stale, cut to the width.
fn draw_badge(badge: &Badge, theme: &Theme, area: Rect, frame: &mut Frame) {
    let width = usize::from(area.width);
    let mut spans = Vec::new();
    let mut used = 0;
    if !badge.text.is_empty() {
        let text = fit(&badge.text, width).into_owned();
        used = text.width();
        spans.push(Span::styled(text, theme.tone(Tone::Label).add_modifier(Modifier::BOLD)));
    }
    if let Some(stale) = &badge.stale {
        let gap = if used == 0 { "" } else { "  " };
        let room = width.saturating_sub(used + gap.width());
        if room > 1 {
            spans.push(Span::raw(gap));
            spans.push(Span::styled(fit(stale, room).into_owned(), theme.tone(Tone::Muted)));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn table_row<'a>(row: &'a IdentityRow, app: &App, theme: &Theme, wide: bool, cols: &[u16], found: bool) -> Row<'a> {
    // Search results have the MATCH column first; the others follow it.
    let skip = usize::from(found);
    let col = |i: usize| usize::from(cols.get(i + skip).copied().unwrap_or(u16::MAX));
    let state_style = match row.state {
        RowState::Active => theme.tone(Tone::Good),
        RowState::Inactive | RowState::Other => theme.tone(Tone::Bad),
    };
    let (ago, at) = match row.updated_at {
        Some(t) => (relative(t, app.chrome.now), absolute(t)),
        None => ("—".to_owned(), "—".to_owned()),
    };
    let mut cells = Vec::new();
    if found {
        let label = row.found.map_or("", |found| found.label());
        cells.push(Cell::from(Span::styled(label, theme.tone(Tone::Label))));
    }
    cells.extend([
        Cell::from(fit(&row.identifier, col(0))),
        Cell::from(fit(&row.name, col(1))),
        Cell::from(Span::styled(fit(&row.state_label, col(2)), state_style)),
        schema_cell(row, app, theme, col(3)),
        Cell::from(ago),
    ]);
    if wide {
        cells.push(Cell::from(at));
    }
    let id_width = usize::from(cols.last().copied().unwrap_or(0));
    let id = if id_width >= 36 {
        fit(&row.id_display, id_width)
    } else {
        Cow::Borrowed(row.short_id())
    };
    cells.push(Cell::from(id));
    Row::new(cells)
}

/// The schema id; marked `?` when that schema could not be loaded (its
/// traits are not validated here).
fn schema_cell<'a>(row: &'a IdentityRow, app: &App, theme: &Theme, width: usize) -> Cell<'a> {
    if app.schema_missing(&row.schema_id) {
        let text = fit(&row.schema_id, width.saturating_sub(1)).into_owned() + "?";
        return Cell::from(Span::styled(text, theme.tone(Tone::Bad)));
    }
    Cell::from(fit(&row.schema_id, width))
}

fn trailing_note(app: &App) -> Option<(String, Style)> {
    let list = &app.list;
    match &list.paging {
        Paging::Loading => list.note().map(|note| (note, theme_muted(app))),
        Paging::Failed { .. } => list.note().map(|note| (note, Style::new())),
        Paging::More(_) => None,
        Paging::Done => {
            if list.visible.is_empty() {
                let text = match &list.source {
                    ListSource::ServerSearch(_) if list.rows.is_empty() => {
                        "  no match on the server — Esc shows the full list"
                    }
                    ListSource::ServerSearch(_) => "  no match passes the filter — Esc shows the full list",
                    ListSource::All if list.search_input.is_some() && !list.filter.query().is_empty() => {
                        "  no loaded identity matches — Enter asks the server"
                    }
                    ListSource::All if !list.filter.is_empty() => {
                        "  no loaded identity matches — Esc clears the filter"
                    }
                    ListSource::All => "  no identities",
                };
                Some((text.to_owned(), theme_muted(app)))
            } else {
                None
            }
        }
    }
}

fn theme_muted(_app: &App) -> Style {
    Style::new().add_modifier(ratatui::style::Modifier::DIM)
}
