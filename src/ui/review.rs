//! The review before sending, the response view and the request history.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Long lines (a URL, a changed value) wrap rather than being cut: what is
/// approved must be visible in full.
const WRAP: Wrap = Wrap { trim: false };

use unicode_width::UnicodeWidthStr;

use super::detail::styled;
use super::list;
use super::theme::Theme;
use crate::app::App;
use crate::app::doc::{StyledLine, Tone};
use crate::app::review::{ReasonLine, Stage};
use crate::sanitize::for_display;

fn lines_window<'a>(lines: &'a [StyledLine], scroll: usize, height: usize, theme: &Theme) -> Vec<Line<'a>> {
    lines
        .iter()
        .skip(scroll)
        .take(height)
        .map(|l| styled(l, theme, 0))
        .collect()
}

/// A `label  value` line of the review and response heads, as the body's
/// fields are drawn (label padded to 18).
fn head_line<'a>(label: &str, value: Vec<Span<'a>>, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(format!("{label:<18}"), theme.tone(Tone::Label))];
    spans.extend(value);
    Line::from(spans)
}

/// Rows `lines` take in `width` columns once wrapped (at least one each).
pub(super) fn wrapped_rows(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let rows: usize = lines.iter().map(|line| line.width().max(1).div_ceil(width)).sum();
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// Who the write is about and why: the two lines a reviewer must see before
/// `y`, above the scrolled body so they never scroll away.
fn who_and_why<'a>(app: &App, review: &'a crate::app::review::Review, theme: &Theme) -> Vec<Line<'a>> {
    let who = head_line(
        "identity",
        vec![Span::styled(review.who.label(), theme.tone(Tone::Heading))],
        theme,
    );
    vec![
        who,
        reason_line(app, &review.reason, review.stage == Stage::Ready, theme),
    ]
}

/// The `reason` line of a review (the identity review's and the attribute
/// review's): what is typed (highlighted while the line has the keys), else
/// how to give one, in red when the profile requires one. `ready`: `y`
/// would send now; otherwise an empty reason is "(none)".
pub(super) fn reason_line<'a>(app: &App, reason: &ReasonLine, ready: bool, theme: &Theme) -> Line<'a> {
    let editing = reason.editing();
    let text = for_display(reason.text()).into_owned();
    let mut value = Vec::new();
    if text.is_empty() && !editing && !ready {
        value.push(Span::styled("(none)", theme.tone(Tone::Muted)));
    } else if text.is_empty() && !editing {
        let hint = if app.profile.require_reason {
            "(none yet: this profile needs one; r gives it)"
        } else {
            "(none; r gives one, e.g. a ticket)"
        };
        let tone = if app.profile.require_reason {
            theme.error()
        } else {
            theme.tone(Tone::Muted)
        };
        value.push(Span::styled(hint, tone));
    } else {
        let style = if editing {
            theme.selected()
        } else {
            theme.tone(Tone::Plain)
        };
        value.push(Span::styled(text, style));
        if editing {
            value.push(Span::styled(" ", theme.selected()));
        } else if reason.remembered() {
            value.push(Span::styled(
                "  (your last write's; r changes it)",
                theme.tone(Tone::Muted),
            ));
        }
    }
    head_line("reason", value, theme)
}

/// Where the cursor stands while the reason line has the keys: after the
/// label and the text before the cursor, the line starting `top` rows into
/// `area` and wrapping at its width (kept above `bottom`).
pub(super) fn reason_cursor(reason: &ReasonLine, area: Rect, top: u16, bottom: u16) -> Position {
    let before: String = reason.text().chars().take(reason.cursor()).collect();
    let column = 18 + UnicodeWidthStr::width(for_display(&before).as_ref());
    let width = usize::from(area.width.max(1));
    let row = u16::try_from(column / width).unwrap_or(u16::MAX);
    Position {
        x: area.x + u16::try_from(column % width).unwrap_or(0),
        y: top.saturating_add(row).min(bottom.saturating_sub(1)),
    }
}

pub fn draw_review(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let Some(review) = app.edit.review.as_ref() else {
        return;
    };
    let (prompt, extra): (Line, Vec<StyledLine>) = match &review.stage {
        Stage::Ready if review.reason.editing() => (
            Line::from(vec![
                Span::styled("Why this write? ", theme.tone(Tone::Heading)),
                Span::styled("Enter", theme.footer_key()),
                Span::raw(" keeps the reason  "),
                Span::styled("Esc", theme.footer_key()),
                Span::raw(" undoes the typing"),
            ]),
            Vec::new(),
        ),
        Stage::Ready => (
            Line::from(vec![
                Span::styled("Send this change? ", theme.tone(Tone::Heading)),
                Span::styled("y", theme.footer_key()),
                Span::raw(" send  "),
                Span::styled("n/Esc", theme.footer_key()),
                Span::raw(" back to the form  "),
                Span::styled("r", theme.footer_key()),
                Span::raw(" reason"),
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
        Stage::StoppedWaiting => (
            Line::from(vec![
                Span::styled("Stopped waiting: ", theme.error()),
                Span::raw("the server may still apply it; its answer will show here"),
            ]),
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
    let head = who_and_why(app, review, theme);
    let head_rows = wrapped_rows(&head, area.width).min(area.height / 3).max(1);
    let parts = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(head_rows),
        Constraint::Length(u16::try_from(extra.len()).unwrap_or(0).min(area.height / 2)),
        Constraint::Min(1),
    ])
    .split(area);
    frame.render_widget(Paragraph::new(prompt), parts[0]);
    frame.render_widget(Paragraph::new(head.clone()).wrap(WRAP), parts[1]);
    frame.render_widget(
        Paragraph::new(lines_window(&extra, 0, usize::from(parts[2].height), theme)).wrap(WRAP),
        parts[2],
    );
    // Wrapped by default, searchable (`/`, Ctrl-N/Ctrl-P): `ui::text_view`.
    super::text_view::draw(&review.view, &review.lines, theme, parts[3], frame);
    let cursor = if review.reason.editing() {
        // On the reason line, under the identity line (which may wrap).
        let width = usize::from(area.width.max(1));
        let who_rows = head.first().map_or(1, |line| line.width().max(1).div_ceil(width));
        let top = parts[1].y.saturating_add(u16::try_from(who_rows).unwrap_or(u16::MAX));
        reason_cursor(&review.reason, area, top, parts[1].bottom())
    } else {
        Position { x: area.x, y: area.y }
    };
    if review.view.prompt.is_none() {
        // Else the cursor stays where the body's search is typed.
        frame.set_cursor_position(cursor);
    }
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
    let title = Line::from(vec![
        Span::styled("Response  ", theme.tone(Tone::Heading)),
        verdict,
        Span::styled(format!("  {} ms", response.elapsed_ms), theme.tone(Tone::Muted)),
    ]);
    // Who it was about (and why), from the request this answers.
    let request = app.history.request_of(response);
    let who = match request {
        Some(request) => request.who.label(),
        None => match response.identity_id.as_deref() {
            Some(id) => crate::app::review::Who::by_id(app, id).label(),
            None => String::new(),
        },
    };
    let mut head = Vec::new();
    if !who.is_empty() {
        head.push(head_line(
            "identity",
            vec![Span::styled(who, theme.tone(Tone::Heading))],
            theme,
        ));
    }
    if let Some(reason) = request.and_then(|r| r.reason.as_deref()) {
        head.push(head_line(
            "reason",
            vec![Span::raw(for_display(reason).into_owned())],
            theme,
        ));
    }
    let head_rows = if head.is_empty() {
        0
    } else {
        wrapped_rows(&head, area.width).min(area.height / 3).max(1)
    };
    let parts =
        Layout::vertical([Constraint::Length(1), Constraint::Length(head_rows), Constraint::Min(1)]).split(area);
    frame.render_widget(Paragraph::new(title), parts[0]);
    frame.render_widget(Paragraph::new(head).wrap(WRAP), parts[1]);
    // Wrapped by default, searchable (`/`, n/N): `ui::text_view`.
    super::text_view::draw(&response.view, &response.lines, theme, parts[2], frame);
}

pub fn draw_history(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let width = usize::from(area.width);
    let mut lines = vec![Line::from(Span::styled(
        "Requests made in this run",
        theme.tone(Tone::Heading),
    ))];
    // Columns: time, identity, changed members, outcome, and on a wide
    // terminal the reason; identity and changes share what the outcome leaves.
    let time_w = 9;
    let outcome_w = (width / 4).clamp(16, 40);
    let with_reason = width >= 120;
    let rest = width.saturating_sub(time_w + outcome_w + 3 + usize::from(with_reason));
    let (who_w, changed_w, reason_w) = if with_reason {
        (rest * 2 / 5, rest * 3 / 10, rest - rest * 2 / 5 - rest * 3 / 10)
    } else {
        (rest * 3 / 5, rest - rest * 3 / 5, 0)
    };
    let cell = |text: &str, w: usize| format!("{:<w$}", list::fit(text, w));
    if app.history.entries.is_empty() {
        lines.push(Line::from(Span::styled("  none yet", theme.tone(Tone::Muted))));
    } else {
        let mut titles = format!(
            " {} {} {} ",
            cell("UTC", time_w - 1),
            cell("IDENTITY", who_w),
            cell("CHANGED", changed_w)
        );
        if with_reason {
            titles.push_str(&cell("REASON", reason_w));
            titles.push(' ');
        }
        titles.push_str("OUTCOME");
        lines.push(Line::from(Span::styled(titles, theme.column_titles())));
    }
    let height = usize::from(area.height.saturating_sub(2));
    let start = app.history.selected.saturating_sub(height.saturating_sub(1));
    for (i, entry) in app.history.entries.iter().enumerate().skip(start).take(height) {
        let style = if i == app.history.selected {
            theme.selected()
        } else {
            Style::new()
        };
        let time = entry
            .at
            .map_or_else(|| "--:--:--".to_owned(), |at| at.format("%H:%M:%S").to_string());
        let (tone, outcome) = entry.outcome_label();
        let outcome = if entry.late {
            format!("{outcome} (late)")
        } else {
            outcome
        };
        let tone = match tone {
            Tone::Good => theme.tone(Tone::Good),
            Tone::Bad => theme.error(),
            other => theme.tone(other),
        };
        let mut text = format!(
            " {} {} {} ",
            cell(&time, time_w - 1),
            cell(&entry.who.label(), who_w),
            cell(&entry.changed_label(), changed_w)
        );
        if with_reason {
            let reason = entry.reason.as_deref().map(for_display).unwrap_or_default();
            text.push_str(&cell(&reason, reason_w));
            text.push(' ');
        }
        lines.push(Line::from(vec![
            Span::styled(text, style),
            Span::styled(list::fit(&outcome, outcome_w).into_owned(), tone.patch(style)),
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
    let y = area.y + 2 + u16::try_from(app.history.selected.saturating_sub(start)).unwrap_or(0);
    if !app.history.entries.is_empty() && y < area.bottom() {
        frame.set_cursor_position(Position { x: area.x, y });
    }
}
