//! The form's rows as lines for a terminal width: made here (pure data, as
//! `doc` does for the text views) so that scrolling knows exactly where the
//! focused field is; `ui::trait_form` paints the lines, the focused value
//! and the cursor.
//!
//! Narrow terminals (under [`WIDE`] columns, 80x24 included): one line per
//! field (label, value), its problems under it, and the focused field's
//! hints under it as well. Wide terminals: the hints and problems of every
//! field stand beside it, in a column of their own.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{RowKind, RowView, Shown, TraitForm};
use crate::app::doc::{StyledLine, Tone};

/// From this width on, hints stand beside their fields.
pub const WIDE: usize = 120;

/// The label column (the gutter and indentation included) when narrow.
const LABEL_NARROW: usize = 24;
/// The label column when wide.
const LABEL_WIDE: usize = 30;
/// The value column when wide; the hints column starts after it.
const VALUE_WIDE: usize = 44;
/// Lines of notes above the fields at most (the schema cannot check here,
/// problems of the traits as a whole); the fields get the rest.
pub const MAX_BANNER: usize = 2;
/// Choices shown at once in an open list (a window around the highlight).
const CHOICES_SHOWN: usize = 8;

/// One row laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct Laid {
    /// Index into the form's rows.
    pub row: usize,
    pub lines: Vec<StyledLine>,
    /// Where the value is on the row's first line: (column, width).
    pub value: Option<(usize, usize)>,
    /// The text cursor of a focused typed field: (line, column).
    pub cursor: Option<(usize, usize)>,
}

/// Every row of `form` laid out for `width` columns.
pub fn lay_out(form: &TraitForm, width: usize) -> Vec<Laid> {
    let rows = form.rows();
    (0..rows.len())
        .filter_map(|at| form.view(&rows, at).map(|view| lay_row(at, &view, width)))
        .collect()
}

/// The first line to show so that the focused row is visible in `viewport`
/// lines, moving as little as possible from `scroll`; a focused field
/// right under a group heading brings the heading along.
pub fn top_for(scroll: usize, laid: &[Laid], focus: usize, viewport: usize) -> usize {
    let total: usize = laid.iter().map(|l| l.lines.len()).sum();
    let viewport = viewport.max(1);
    let Some(index) = laid.iter().position(|l| l.row == focus) else {
        return scroll.min(total.saturating_sub(viewport));
    };
    let start_of = |i: usize| -> usize { laid[..i].iter().map(|l| l.lines.len()).sum() };
    let start = start_of(index);
    let end = start + laid[index].lines.len();
    // The headings just above it, when they fit with it.
    let mut heading = index;
    while heading > 0 && is_heading(&laid[heading - 1]) && end - start_of(heading - 1) <= viewport {
        heading -= 1;
    }
    let start = start_of(heading);
    let top = if end - start > viewport || start < scroll {
        start
    } else if end > scroll + viewport {
        end - viewport
    } else {
        scroll
    };
    top.min(total.saturating_sub(viewport))
}

fn is_heading(laid: &Laid) -> bool {
    laid.value.is_none() && laid.cursor.is_none() && laid.lines.len() == 1
}

fn lay_row(row: usize, view: &RowView, width: usize) -> Laid {
    let wide = width >= WIDE;
    let label_width = if wide { LABEL_WIDE } else { LABEL_NARROW };
    let indent = 2 * view.depth;
    let gutter = if view.focused { "› " } else { "  " };
    let mut first = StyledLine::default();
    first.push(Tone::Plain, gutter);
    first.push(Tone::Plain, " ".repeat(indent));
    let mut label = view.label.clone();
    if view.required {
        label.push_str(" *");
    }
    if view.kind == RowKind::Extra {
        label = format!("⚠ {label}");
    }
    let label_room = label_width.saturating_sub(2 + indent).max(6);
    let label_tone = match view.kind {
        RowKind::Group | RowKind::List => Tone::Heading,
        _ => Tone::Label,
    };
    let value_col = 2 + indent + label_room + 1;
    let value_room = if wide {
        VALUE_WIDE
    } else {
        width.saturating_sub(value_col + 1).max(8)
    };
    let mut cursor = None;
    let value = if view.kind == RowKind::Group {
        first.push(label_tone, fit(&label, width.saturating_sub(2 + indent)));
        None
    } else {
        first.push(label_tone, pad(&fit(&label, label_room), label_room));
        first.push(Tone::Plain, " ");
        let (tone, text, at) = value_text(view, value_room);
        if let Some(column) = at {
            cursor = Some((0, value_col + column));
        }
        let text_width = text.width();
        first.push(tone, text);
        let box_width = if view.focused && view.kind == RowKind::Text {
            value_room
        } else {
            text_width
        };
        if box_width > text_width {
            first.push(Tone::Plain, " ".repeat(box_width - text_width));
        }
        Some((value_col, box_width))
    };
    let mut lines = vec![first];
    // The open choice list, under the value.
    if let Shown::Choice {
        list: Some((choices, highlighted)),
        ..
    } = &view.value
    {
        let from = highlighted
            .saturating_sub(CHOICES_SHOWN / 2)
            .min(choices.len().saturating_sub(CHOICES_SHOWN));
        for (at, choice) in choices.iter().enumerate().skip(from).take(CHOICES_SHOWN) {
            let mark = if at == *highlighted { "› " } else { "  " };
            let tone = if at == *highlighted { Tone::Key } else { Tone::Plain };
            let mut line = StyledLine::plain(" ".repeat(value_col));
            line.push(tone, fit(&format!("{mark}{choice}"), value_room));
            lines.push(line);
        }
        if choices.len() > CHOICES_SHOWN {
            let mut line = StyledLine::plain(" ".repeat(value_col));
            line.push(
                Tone::Muted,
                format!("  {} of {} · ↑/↓ Enter", highlighted + 1, choices.len()),
            );
            lines.push(line);
        }
    }
    let mut side: Vec<(Tone, String)> = view.problems.iter().map(|p| (Tone::Bad, format!("✗ {p}"))).collect();
    if wide || view.focused {
        side.extend(view.notes.iter().cloned());
    }
    if wide {
        let column = value_col + VALUE_WIDE + 2;
        let room = width.saturating_sub(column + 1).max(20);
        let mut wrapped: Vec<(Tone, String)> = Vec::new();
        for (tone, text) in &side {
            wrapped.extend(wrap(text, room).into_iter().map(|line| (*tone, line)));
        }
        for (at, (tone, text)) in wrapped.into_iter().enumerate() {
            while lines.len() <= at {
                lines.push(StyledLine::default());
            }
            let line = &mut lines[at];
            let used = line.text().width();
            line.push(Tone::Plain, " ".repeat(column.saturating_sub(used)));
            line.push(tone, text);
        }
    } else {
        let column = 2 + indent + 2;
        let room = width.saturating_sub(column + 1).max(20);
        for (tone, text) in &side {
            for piece in wrap(text, room) {
                let mut line = StyledLine::plain(" ".repeat(column));
                line.push(*tone, piece);
                lines.push(line);
            }
        }
    }
    Laid {
        row,
        lines,
        value,
        cursor,
    }
}

/// The value of a row in `room` columns: its tone, its text, and for a
/// focused typed field where the cursor is in it.
fn value_text(view: &RowView, room: usize) -> (Tone, String, Option<usize>) {
    match &view.value {
        Shown::Nothing => (Tone::Plain, String::new(), None),
        Shown::Text { text, cursor } => {
            if view.focused {
                // Scrolled sideways so the cursor stays in the field.
                let skip = (cursor + 1).saturating_sub(room);
                let shown = columns(text, skip, room);
                (Tone::Plain, shown, Some(cursor - skip))
            } else if text.is_empty() {
                (Tone::Muted, "–".into(), None)
            } else {
                (Tone::Plain, fit(text, room), None)
            }
        }
        Shown::Check(Some(true)) => (Tone::Plain, "[x] yes".into(), None),
        Shown::Check(Some(false)) => (Tone::Plain, "[ ] no".into(), None),
        Shown::Check(None) => (Tone::Muted, "[ ] not set".into(), None),
        Shown::Choice { chosen, .. } => match chosen {
            Some(choice) => (Tone::Plain, fit(&format!("{choice} ▾"), room), None),
            None => (Tone::Muted, "not set ▾".into(), None),
        },
        Shown::Count(0) => (Tone::Muted, "no items".into(), None),
        Shown::Count(1) => (Tone::Muted, "1 item".into(), None),
        Shown::Count(n) => (Tone::Muted, format!("{n} items"), None),
        Shown::Extra(json) => (Tone::Muted, fit(json, room), None),
    }
}

/// `text` padded with spaces to `width` columns.
fn pad(text: &str, width: usize) -> String {
    let used = text.width();
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

/// `text` cut to `width` columns, with `…` where it was cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// The columns `skip..skip + width` of `text` (a wide character cut in half
/// is left out).
fn columns(text: &str, skip: usize, width: usize) -> String {
    let mut out = String::new();
    let mut at = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if at >= skip && at + w <= skip + width {
            out.push(c);
        }
        at += w;
        if at >= skip + width {
            break;
        }
    }
    out
}

/// `text` wrapped at spaces into lines of at most `width` columns (a word
/// longer than that is cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if candidate.width() <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word.to_owned();
        while rest.width() > width {
            let piece = columns(&rest, 0, width);
            rest = rest[piece.len()..].to_owned();
            if piece.is_empty() {
                break;
            }
            lines.push(piece);
        }
        line = rest;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_and_cuts_only_what_cannot_fit() {
        assert_eq!(
            wrap("a changed value becomes new", 10),
            ["a changed", "value", "becomes", "new"]
        );
        assert_eq!(wrap("abcdefghijkl", 5), ["abcde", "fghij", "kl"]);
        assert_eq!(wrap("", 5), [""]);
    }

    #[test]
    fn fitting_cuts_with_an_ellipsis_by_columns() {
        assert_eq!(fit("hello", 5), "hello");
        assert_eq!(fit("hello world", 6), "hello…");
        assert_eq!(fit("日本語テキスト", 5), "日本…");
    }

    #[test]
    fn columns_scroll_sideways() {
        assert_eq!(columns("abcdef", 2, 3), "cde");
        assert_eq!(columns("日本語", 1, 4), "本");
    }
}
