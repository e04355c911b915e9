//! The traits form (`e`): the lines `app::trait_form::layout` made for this
//! width, scrolled so the focused field shows, its value in reverse video
//! and the cursor in it. Notes the form cannot put at a field (the schema
//! cannot check here, a problem of the traits as a whole) stand above the
//! fields.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use crate::app::doc::StyledLine;
use crate::app::trait_form::{TraitForm, layout};

/// Draws `form` into `area`.
pub fn draw(form: &TraitForm, theme: &Theme, area: Rect, frame: &mut Frame) {
    let width = usize::from(area.width);
    let banner: Vec<Line> = form
        .banner()
        .into_iter()
        .take(layout::MAX_BANNER)
        .map(|(tone, text)| Line::from(Span::styled(layout::fit(&text, width), theme.tone(tone))))
        .collect();
    let banner_rows = u16::try_from(banner.len()).unwrap_or(0).min(area.height);
    frame.render_widget(
        Paragraph::new(banner),
        Rect {
            height: banner_rows,
            ..area
        },
    );
    let body = Rect {
        y: area.y + banner_rows,
        height: area.height - banner_rows,
        ..area
    };
    let viewport = usize::from(body.height);
    let laid = layout::lay_out(form, width);
    let top = layout::top_for(form.scroll, &laid, form.focus(), viewport);
    let total: usize = laid.iter().map(|l| l.lines.len()).sum();
    let mut y = 0usize;
    let mut cursor = None;
    for row in &laid {
        for (at, line) in row.lines.iter().enumerate() {
            let shown = y >= top && y < top + viewport;
            if shown {
                let screen_y = body.y + u16::try_from(y - top).unwrap_or(0);
                let focused = row.row == form.focus() && at == 0;
                let rendered = if focused {
                    highlighted(line, row.value, theme)
                } else {
                    super::detail::styled(line, theme, 0)
                };
                frame.render_widget(
                    Paragraph::new(rendered),
                    Rect {
                        y: screen_y,
                        height: 1,
                        ..body
                    },
                );
                if row.row == form.focus()
                    && let Some((line_at, column)) = row.cursor
                    && line_at == at
                {
                    cursor = Some((column, screen_y));
                }
            }
            y += 1;
        }
    }
    scroll_marks(top, total, viewport, theme, body, frame);
    if let Some((column, screen_y)) = cursor {
        let x = body.x + u16::try_from(column).unwrap_or(u16::MAX);
        if x < body.right() {
            frame.set_cursor_position(Position { x, y: screen_y });
        }
    } else if let Some(start) = focused_start(&laid, form.focus(), top, viewport) {
        // No text cursor (a checkbox, a choice): the cursor rests on the
        // row, as on the list's selected row.
        frame.set_cursor_position(Position {
            x: body.x,
            y: body.y + u16::try_from(start).unwrap_or(0),
        });
    }
}

/// The screen line (from the body's top) where the focused row starts, when shown.
fn focused_start(laid: &[layout::Laid], focus: usize, top: usize, viewport: usize) -> Option<usize> {
    let mut y = 0;
    for row in laid {
        if row.row == focus {
            return (y >= top && y < top + viewport).then(|| y - top);
        }
        y += row.lines.len();
    }
    None
}

/// `line` with the columns of `value` in the selection style.
fn highlighted<'a>(line: &'a StyledLine, value: Option<(usize, usize)>, theme: &Theme) -> Line<'a> {
    let Some((start, width)) = value.filter(|(_, width)| *width > 0) else {
        return super::detail::styled(line, theme, 0);
    };
    let end = start + width;
    let mut spans = Vec::new();
    let mut column = 0;
    for (tone, text) in &line.0 {
        let style = theme.tone(*tone);
        let mut plain = String::new();
        let mut marked = String::new();
        for c in text.chars() {
            let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            let inside = column >= start && column < end;
            if inside {
                if !plain.is_empty() {
                    spans.push(Span::styled(std::mem::take(&mut plain), style));
                }
                marked.push(c);
            } else {
                if !marked.is_empty() {
                    spans.push(Span::styled(std::mem::take(&mut marked), theme.selected()));
                }
                plain.push(c);
            }
            column += w;
        }
        if !plain.is_empty() {
            spans.push(Span::styled(plain, style));
        }
        if !marked.is_empty() {
            spans.push(Span::styled(marked, theme.selected()));
        }
    }
    Line::from(spans)
}

/// `↑ more` / `↓ more` at the right edge when fields are out of view.
fn scroll_marks(top: usize, total: usize, viewport: usize, theme: &Theme, body: Rect, frame: &mut Frame) {
    if body.width < 10 || body.height == 0 {
        return;
    }
    let mark = |text: &'static str, y: u16, frame: &mut Frame| {
        let width = 6u16;
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.tone(crate::app::doc::Tone::Muted))),
            Rect {
                x: body.right() - width,
                y,
                width,
                height: 1,
            },
        );
    };
    if top > 0 {
        mark("↑ more", body.y, frame);
    }
    if top + viewport < total {
        mark("↓ more", body.bottom() - 1, frame);
    }
}
