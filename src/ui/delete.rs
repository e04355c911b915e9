//! The delete screen (`Ctrl-D` on an identity): what goes, above; the
//! confirmation (the identifier typed, the reason, what changed since it was
//! shown), below, always in view. Every trait, identifier and server text is
//! sanitised before it is drawn.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::theme::Theme;
use crate::app::App;
use crate::app::delete::{DeleteScreen, SessionCount, Stage};
use crate::app::doc::Tone;
use crate::diff::Change;
use crate::sanitize::{for_display, json_inert};

/// Width of the labels, as the review's.
const LABEL: usize = 18;
/// Changes since the screen was shown that are listed before "… more".
const MAX_CHANGES: usize = 4;

fn label<'a>(text: &str, theme: &Theme) -> Span<'a> {
    Span::styled(format!("{text:<LABEL$}"), theme.tone(Tone::Label))
}

/// A JSON value on one line, inert, at most `width` characters.
fn value_text(value: &serde_json::Value, width: usize) -> String {
    crate::text::fit(&json_inert(&value.to_string()), width)
}

/// Draws the delete screen into `area`.
pub fn draw(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let Some(screen) = app.delete.as_ref() else {
        return;
    };
    let width = usize::from(area.width);
    let bottom = confirm_lines(app, screen, theme, width);
    let bottom_height = u16::try_from(bottom.len()).unwrap_or(u16::MAX).min(area.height);
    let top_height = area.height.saturating_sub(bottom_height);
    let top_area = Rect {
        height: top_height,
        ..area
    };
    let bottom_area = Rect {
        y: area.y.saturating_add(top_height),
        height: bottom_height,
        ..area
    };
    let mut top = loss_lines(screen, theme, width);
    let room = usize::from(top_height);
    if top.len() > room && room > 0 {
        let hidden = top.len() - (room - 1);
        top.truncate(room - 1);
        top.push(Line::from(Span::styled(
            format!("… {hidden} more lines (a taller terminal shows them; all of it goes)"),
            theme.tone(Tone::Muted),
        )));
    }
    frame.render_widget(Paragraph::new(top), top_area);
    frame.render_widget(Paragraph::new(bottom).wrap(Wrap { trim: false }), bottom_area);
    if screen.stage == Stage::Confirm {
        let row = if screen.reason.editing() { 2 } else { 1 };
        let row = row + changed_rows(screen);
        let (text, cursor) = if screen.reason.editing() {
            (screen.reason.text(), screen.reason.cursor())
        } else {
            (screen.typed.text(), screen.typed.cursor())
        };
        let before: String = text.chars().take(cursor).collect();
        let x = LABEL + UnicodeWidthStr::width(for_display(&before).as_ref());
        let x = bottom_area.x.saturating_add(u16::try_from(x).unwrap_or(u16::MAX));
        let y = bottom_area.y.saturating_add(u16::try_from(row).unwrap_or(u16::MAX));
        if x < bottom_area.right() && y < bottom_area.bottom() {
            frame.set_cursor_position(Position { x, y });
        }
    }
}

/// Rows the "changed since shown" block takes (0 without changes).
fn changed_rows(screen: &DeleteScreen) -> usize {
    if screen.changed.is_empty() {
        0
    } else {
        1 + screen.changed.len().min(MAX_CHANGES) + usize::from(screen.changed.len() > MAX_CHANGES)
    }
}

/// Everything that goes: who, the snapshot's values, the credentials, the
/// sessions, and that there is no undo.
fn loss_lines<'a>(screen: &DeleteScreen, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let value_width = width.saturating_sub(LABEL + 2).max(10);
    let mut lines = vec![
        Line::from(Span::styled(
            format!("Delete {}", screen.who.label()),
            theme.tone(Tone::Heading),
        )),
        Line::from(vec![
            label("identity", theme),
            Span::raw(for_display(&screen.identity_id).into_owned()),
        ]),
    ];
    for (member, name) in [("state", "state"), ("schema_id", "schema")] {
        if let Some(value) = screen.snapshot.get(member).and_then(serde_json::Value::as_str) {
            lines.push(Line::from(vec![
                label(name, theme),
                Span::raw(for_display(value).into_owned()),
            ]));
        }
    }
    // Every value of the traits and metadata, one per line, the pointers in
    // a column as wide as the longest (at most half the width).
    let values: Vec<(String, String)> = crate::api::delete::snapshot_changes(&screen.snapshot, None)
        .into_iter()
        .filter(|change| {
            ["/traits", "/metadata_public", "/metadata_admin", "/external_id"]
                .iter()
                .any(|p| change.pointer == *p || change.pointer.starts_with(&format!("{p}/")))
        })
        .map(|change| {
            let value = change.old.map_or_else(String::new, |v| value_text(&v, width));
            (for_display(&change.pointer).into_owned(), value)
        })
        .collect();
    let column = values
        .iter()
        .map(|(p, _)| UnicodeWidthStr::width(p.as_str()) + 1)
        .max()
        .unwrap_or(LABEL)
        .clamp(LABEL, (width / 2).max(LABEL));
    for (pointer, value) in values {
        let pointer = crate::text::fit(&pointer, column - 1);
        let pad = column.saturating_sub(UnicodeWidthStr::width(pointer.as_str()));
        lines.push(Line::from(vec![
            Span::styled(format!("{pointer}{}", " ".repeat(pad)), theme.tone(Tone::Key)),
            Span::styled(
                crate::text::fit(&value, width.saturating_sub(column).max(10)),
                theme.tone(Tone::Str),
            ),
        ]));
    }
    if screen.credentials.is_empty() {
        lines.push(Line::from(vec![
            label("credentials", theme),
            Span::styled("none", theme.tone(Tone::Muted)),
        ]));
    }
    for (index, credential) in screen.credentials.iter().enumerate() {
        let identifiers = if credential.identifiers.is_empty() {
            "(no identifier)".to_owned()
        } else {
            credential
                .identifiers
                .iter()
                .map(|i| for_display(i).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let head = if index == 0 { "credentials" } else { "" };
        lines.push(Line::from(vec![
            label(head, theme),
            Span::styled(
                crate::text::fit(&format!("{}: ", for_display(&credential.kind)), 20),
                theme.tone(Tone::Key),
            ),
            Span::raw(crate::text::fit(&identifiers, value_width.saturating_sub(12))),
        ]));
    }
    let sessions = match &screen.sessions {
        SessionCount::Reading => Span::styled("reading…", theme.tone(Tone::Muted)),
        SessionCount::Known { count, more } => Span::raw(format!(
            "{count}{} (each signs out)",
            if *more { " or more" } else { "" }
        )),
        SessionCount::Unknown(why) => Span::styled(
            crate::text::fit(&format!("could not be read: {}", for_display(why)), value_width),
            theme.tone(Tone::Muted),
        ),
    };
    lines.push(Line::from(vec![label("sessions", theme), sessions]));
    lines.push(Line::from(Span::styled(
        "Kratos deletes it with its credentials, addresses and sessions: no undo.",
        theme.tone(Tone::Bad),
    )));
    lines
}

fn change_line<'a>(change: &Change, theme: &Theme, width: usize) -> Line<'a> {
    let value = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .map_or_else(|| "(none)".to_owned(), |v| value_text(v, width / 3))
    };
    Line::from(vec![
        Span::styled(
            format!("  ~ {} ", crate::text::fit(&for_display(&change.pointer), width / 3)),
            theme.tone(Tone::Key),
        ),
        Span::raw(format!("{} → {}", value(&change.old), value(&change.new))),
    ])
}

/// The confirmation: what changed (if anything), the field, the reason, and
/// what the keys do.
fn confirm_lines<'a>(app: &App, screen: &DeleteScreen, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let mut lines = vec![Line::default()];
    if !screen.changed.is_empty() {
        lines.push(Line::from(Span::styled(
            "Changed on the server since it was shown (now as below):",
            theme.error(),
        )));
        for change in screen.changed.iter().take(MAX_CHANGES) {
            lines.push(change_line(change, theme, width));
        }
        if screen.changed.len() > MAX_CHANGES {
            lines.push(Line::from(Span::styled(
                format!("  … {} more", screen.changed.len() - MAX_CHANGES),
                theme.tone(Tone::Muted),
            )));
        }
    }
    let editing_reason = screen.reason.editing();
    let typed = for_display(screen.typed.text()).into_owned();
    let field_style = if editing_reason || screen.stage != Stage::Confirm {
        theme.tone(Tone::Plain)
    } else {
        theme.selected()
    };
    let mark = if screen.matches() {
        Span::styled("  ✓ matches", theme.tone(Tone::Good))
    } else {
        Span::styled(
            format!("  type {}", for_display(screen.expected())),
            theme.tone(Tone::Muted),
        )
    };
    lines.push(Line::from(vec![
        label("type to confirm", theme),
        Span::styled(format!("{typed} "), field_style),
        mark,
    ]));
    let reason_text = for_display(screen.reason.text()).into_owned();
    let reason = if reason_text.is_empty() && !editing_reason {
        let (hint, style) = if app.profile.require_reason {
            ("(none yet: this profile needs one; Tab gives it)", theme.error())
        } else {
            ("(none; Tab gives one, e.g. a ticket)", theme.tone(Tone::Muted))
        };
        Span::styled(hint, style)
    } else if editing_reason {
        Span::styled(format!("{reason_text} "), theme.selected())
    } else {
        Span::raw(reason_text)
    };
    lines.push(Line::from(vec![label("reason", theme), reason]));
    if let Some(error) = &screen.error {
        lines.push(Line::from(Span::styled(
            crate::text::fit(&format!("✗ {}", for_display(error)), width),
            theme.error(),
        )));
    }
    let hint = match screen.stage {
        Stage::Sending => "Reading it again, then deleting… (signed, audited)",
        Stage::Confirm if editing_reason => "Enter keeps the reason · Esc undoes the typing",
        Stage::Confirm => "Enter deletes once it matches · Tab reason · Esc back",
    };
    lines.push(Line::from(Span::styled(hint, theme.tone(Tone::Muted))));
    lines
}
