//! The recovery screen (`R`): the choices (link or code, expiry, reason),
//! the one question, and the answer drawn to be read out on the phone: a
//! code in big digits and again spaced, a link on lines of its own, wrapped
//! and never cut, the expiry as a time and "in 59 min".
//!
//! Everything the server wrote (the link, the code, the expiry) and every
//! trait is sanitised before it is drawn.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::theme::Theme;
use crate::api::recovery::{RecoveryAnswer, RecoveryKind, format_go_duration};
use crate::app::App;
use crate::app::doc::Tone;
use crate::app::recovery::{Field, RecoveryScreen, Stage};
use crate::app::time::{absolute, relative};
use crate::sanitize::for_display;

/// Width of the labels, as the review's (`ui::review::head_line`).
const LABEL: usize = 18;

/// Draws the recovery screen into `area`.
pub fn draw(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let Some(screen) = app.recovery.as_ref() else {
        return;
    };
    match &screen.stage {
        Stage::Answer(answer) => draw_answer(app, screen, answer, false, theme, area, frame),
        Stage::Leaving(answer) => draw_answer(app, screen, answer, true, theme, area, frame),
        _ => draw_choose(app, screen, theme, area, frame),
    }
}

/// A label in the review's column (the reason line's too); the focused
/// field's ends with `▸`.
fn label<'a>(text: &str, focused: bool, theme: &Theme) -> Span<'a> {
    let marker = if focused { "▸ " } else { "  " };
    Span::styled(
        format!("{text:<width$}{marker}", width = LABEL - 2),
        theme.tone(Tone::Label),
    )
}

fn draw_choose(app: &App, screen: &RecoveryScreen, theme: &Theme, area: Rect, frame: &mut Frame) {
    let choosing = matches!(screen.stage, Stage::Choose);
    let mut lines = vec![
        Line::from(Span::styled(
            format!("Recovery for {}", screen.who.label()),
            theme.tone(Tone::Heading),
        )),
        Line::from(vec![
            label("identity", false, theme),
            Span::raw(for_display(&screen.identity_id).into_owned()),
        ]),
        Line::default(),
    ];
    let kind_focused = choosing && screen.field == Field::Kind && !screen.reason.editing();
    let option = |kind: RecoveryKind, text: &'static str| {
        if screen.kind == kind {
            Span::styled(format!("[ {text} ]"), theme.selected())
        } else {
            Span::styled(format!("  {text}  "), theme.tone(Tone::Muted))
        }
    };
    let mut kind_line = vec![
        label("make", kind_focused, theme),
        option(RecoveryKind::Link, "link"),
        Span::raw(" "),
        option(RecoveryKind::Code, "code"),
    ];
    if kind_focused {
        kind_line.push(Span::styled("   ←/→ switch", theme.tone(Tone::Muted)));
    }
    lines.push(Line::from(kind_line));
    let expiry_focused = choosing && screen.field == Field::Expiry && !screen.reason.editing();
    let typed = for_display(screen.expiry.text()).into_owned();
    let field_style = if expiry_focused {
        theme.selected()
    } else {
        theme.tone(Tone::Plain)
    };
    let expiry_row = lines.len();
    lines.push(Line::from(vec![
        label("expires in", expiry_focused, theme),
        Span::styled(format!("{typed:<8}"), field_style),
        Span::styled("  e.g. 15m, 1h, 24h", theme.tone(Tone::Muted)),
    ]));
    let check = match screen.expires_in() {
        Ok(Some(e)) => {
            let nanos = i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX);
            Span::styled(
                format!("✓ valid {} after it is made", format_go_duration(nanos)),
                theme.tone(Tone::Good),
            )
        }
        Ok(None) => Span::styled(
            format!(
                "empty: the server's default lifespan for a {} (Kratos: 1h)",
                screen.kind.as_str()
            ),
            theme.tone(Tone::Muted),
        ),
        Err(why) => Span::styled(format!("✗ {why}"), theme.error()),
    };
    lines.push(Line::from(vec![Span::raw(" ".repeat(LABEL)), check]));
    let reason_row = lines.len();
    lines.push(super::review::reason_line(app, &screen.reason, choosing, theme));
    lines.push(Line::default());
    lines.push(Line::from(Span::raw(match screen.kind {
        RecoveryKind::Link => {
            "A link: opening it signs the person in and takes them to their settings to set a new password."
        }
        RecoveryKind::Code => {
            "A code: six digits the person types on the recovery page its link opens; easy to read out on the phone."
        }
    })));
    for warning in &screen.warnings {
        lines.push(Line::from(Span::styled(
            format!("! {}", warning.message()),
            theme.tone(Tone::Literal),
        )));
    }
    if let Some(error) = &screen.error {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            format!("✗ {}", for_display(error)),
            theme.error(),
        )));
    }
    lines.push(Line::default());
    let mut prompt = Vec::new();
    match &screen.stage {
        Stage::Confirm { expires_in, .. } => {
            prompt.push(Line::from(Span::styled(
                screen.question(expires_in.as_ref()),
                theme.selected(),
            )));
            prompt.push(Line::from(Span::styled(
                "y creates it (signed, recorded in the audit trail) · n/Esc back, nothing sent",
                theme.tone(Tone::Muted),
            )));
        }
        Stage::Sending => prompt.push(Line::from(Span::styled(
            format!(
                "Creating the {}… (signed, recorded in the audit trail)",
                screen.kind.noun()
            ),
            theme.tone(Tone::Muted),
        ))),
        _ => prompt.push(Line::from(Span::styled(
            "Enter reviews (one question before anything is sent) · Esc back, nothing sent",
            theme.tone(Tone::Muted),
        ))),
    }
    let rows_before = |row: usize| super::review::wrapped_rows(&lines[..row], area.width);
    let expiry_y = area.y.saturating_add(rows_before(expiry_row));
    let reason_y = area.y.saturating_add(rows_before(reason_row));
    render_with_prompt(lines, prompt, area, frame);
    if choosing && screen.reason.editing() {
        frame.set_cursor_position(super::review::reason_cursor(
            &screen.reason,
            area,
            reason_y,
            area.bottom(),
        ));
    } else if expiry_focused {
        let before: String = screen.expiry.text().chars().take(screen.expiry.cursor()).collect();
        let x = LABEL + UnicodeWidthStr::width(for_display(&before).as_ref());
        let x = area.x.saturating_add(u16::try_from(x).unwrap_or(u16::MAX));
        if x < area.right() && expiry_y < area.bottom() {
            frame.set_cursor_position(Position { x, y: expiry_y });
        }
    }
}

/// The rows of the big digits, 5 high and 3 wide (each cell drawn twice as
/// wide, so a digit reads clearly even on a small font).
const DIGITS: [[&str; 5]; 10] = [
    ["███", "█ █", "█ █", "█ █", "███"],
    [" █ ", "██ ", " █ ", " █ ", "███"],
    ["███", "  █", "███", "█  ", "███"],
    ["███", "  █", "███", "  █", "███"],
    ["█ █", "█ █", "███", "  █", "  █"],
    ["███", "█  ", "███", "  █", "███"],
    ["███", "█  ", "███", "█ █", "███"],
    ["███", "  █", "  █", "  █", "  █"],
    ["███", "█ █", "███", "█ █", "███"],
    ["███", "█ █", "███", "  █", "███"],
];

/// The code in big digits (groups of three apart), when it is digits only
/// and fits `width`; `None` otherwise.
fn big_digits(code: &str, width: usize) -> Option<Vec<String>> {
    let digits: Vec<usize> = code
        .chars()
        .map(|c| c.to_digit(10).and_then(|d| usize::try_from(d).ok()))
        .collect::<Option<_>>()?;
    if digits.is_empty() || digits.len() > 12 {
        return None;
    }
    let mut rows = vec![String::from("    "); 5];
    for (i, digit) in digits.iter().enumerate() {
        for (row, out) in rows.iter_mut().enumerate() {
            if i > 0 {
                out.push_str(if i % 3 == 0 { "    " } else { "  " });
            }
            let cells = DIGITS.get(*digit).map_or("   ", |d| d[row]);
            for c in cells.chars() {
                out.push(c);
                out.push(c);
            }
        }
    }
    (rows.iter().all(|r| r.width() <= width)).then_some(rows)
}

/// The code spaced for reading out: `0 4 3   9 1 7`.
fn spaced(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if i > 0 {
            out.push_str(if i % 3 == 0 && chars.len() > 4 { "   " } else { " " });
        }
        out.push(*c);
    }
    out
}

/// `text` cut into pieces of at most `width` columns, every character
/// kept (a link is never truncated: it is useless cut).
fn wrap_all(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width && !line.is_empty() {
            out.push(std::mem::take(&mut line));
            used = 0;
        }
        line.push(c);
        used += w;
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// Draws `lines` and under them the `prompt` (the question, what the keys
/// do); when both do not fit, the prompt keeps the last rows of `area` and
/// the lines give way (a small terminal never loses the question).
fn render_with_prompt<'a>(mut lines: Vec<Line<'a>>, prompt: Vec<Line<'a>>, area: Rect, frame: &mut Frame) {
    let body_rows = super::review::wrapped_rows(&lines, area.width);
    let prompt_rows = super::review::wrapped_rows(&prompt, area.width).min(area.height);
    if body_rows.saturating_add(prompt_rows) <= area.height {
        lines.extend(prompt);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        return;
    }
    let body = Rect {
        height: area.height - prompt_rows,
        ..area
    };
    let bottom = Rect {
        y: body.bottom(),
        height: prompt_rows,
        ..area
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    frame.render_widget(Paragraph::new(prompt).wrap(Wrap { trim: false }), bottom);
}

fn draw_answer(
    app: &App,
    screen: &RecoveryScreen,
    answer: &RecoveryAnswer,
    leaving: bool,
    theme: &Theme,
    area: Rect,
    frame: &mut Frame,
) {
    let what = match answer.kind {
        RecoveryKind::Link => "link",
        RecoveryKind::Code => "code",
    };
    let prompt = vec![if leaving {
        Line::from(Span::styled(
            format!("The {what} will not be shown again. Leave? y/n"),
            theme.selected(),
        ))
    } else {
        Line::from(Span::styled(
            format!("y copies the {what} (OSC 52) · Esc leaves (asks first: it is not shown again)"),
            theme.tone(Tone::Muted),
        ))
    }];
    let prompt_rows = super::review::wrapped_rows(&prompt, area.width);
    // Big digits only when everything else still fits with them.
    let mut lines = answer_lines(app, screen, answer, true, theme, area);
    let too_tall =
        |lines: &[Line]| super::review::wrapped_rows(lines, area.width).saturating_add(prompt_rows) > area.height;
    if too_tall(&lines) {
        lines = answer_lines(app, screen, answer, false, theme, area);
    }
    if too_tall(&lines) {
        // Still too tall: the "shown once" note (the status line says it
        // too) and the blank lines go; the secret and its expiry stay.
        lines.remove(1);
        lines.retain(|line| line.width() > 0);
    }
    // Pieces are cut to the width already: wrapping only ever touches the
    // sentences, never the secret.
    render_with_prompt(lines, prompt, area, frame);
}

/// The answer's lines (without the prompt), the code in big digits when `big`.
fn answer_lines<'a>(
    app: &App,
    screen: &RecoveryScreen,
    answer: &RecoveryAnswer,
    big: bool,
    theme: &Theme,
    area: Rect,
) -> Vec<Line<'a>> {
    let width = usize::from(area.width);
    let indent = "    ";
    let room = width.saturating_sub(indent.len());
    let noun = answer.kind.noun();
    let mut lines = vec![
        Line::from(Span::styled(
            format!("{} for {}", capitalised(noun), screen.who.label()),
            theme.tone(Tone::Heading),
        )),
        Line::from(Span::styled(
            "Shown once, here only: it is not saved, logged or kept in the history.",
            theme.tone(Tone::Muted),
        )),
        Line::default(),
    ];
    let secret_style = theme.tone(Tone::Heading);
    match &answer.code {
        Some(code) => {
            let code = for_display(code.expose()).into_owned();
            lines.push(Line::from(label("code", false, theme)));
            if let Some(rows) = big_digits(&code, width).filter(|_| big) {
                lines.extend(rows.into_iter().map(|r| Line::from(Span::styled(r, secret_style))));
            }
            lines.push(Line::from(vec![
                Span::raw(indent),
                Span::styled(spaced(&code), secret_style),
            ]));
            lines.push(Line::default());
            lines.push(Line::from(label("enter it at", false, theme)));
        }
        None => lines.push(Line::from(label("link", false, theme))),
    }
    let link = for_display(answer.link.expose()).into_owned();
    let link_style = if answer.code.is_some() {
        theme.tone(Tone::Plain)
    } else {
        secret_style
    };
    for piece in wrap_all(&link, room) {
        lines.push(Line::from(vec![Span::raw(indent), Span::styled(piece, link_style)]));
    }
    lines.push(Line::default());
    let expires = match (answer.expires_at_time(), answer.expires_at.as_deref()) {
        (Some(t), _) => format!("{} ({})", absolute(t), relative(t, app.chrome.now)),
        (None, Some(raw)) => for_display(raw).into_owned(),
        (None, None) => "(the server did not say)".to_owned(),
    };
    lines.push(Line::from(vec![label("expires", false, theme), Span::raw(expires)]));
    lines.push(Line::default());
    lines
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_cut_into_lines_and_nothing_is_lost() {
        let link = "http://127.0.0.1:4433/self-service/recovery?flow=0b3c&token=AbCdEfGhIjKlMnOpQrStUvWxYz012345";
        let pieces = wrap_all(link, 40);
        assert!(pieces.iter().all(|p| p.width() <= 40), "{pieces:?}");
        assert_eq!(pieces.concat(), link);
        assert_eq!(wrap_all("", 10), vec![String::new()]);
    }

    #[test]
    fn a_code_is_spaced_and_drawn_big_when_it_is_digits() {
        assert_eq!(spaced("043917"), "0 4 3   9 1 7");
        assert_eq!(spaced("1234"), "1 2 3 4");
        let Some(rows) = big_digits("043917", 80) else {
            panic!("six digits fit 80 columns")
        };
        assert_eq!(rows.len(), 5);
        assert!(rows[0].starts_with("    ██████"), "{rows:?}");
        assert_eq!(big_digits("04a917", 80), None, "only digits are drawn big");
        assert_eq!(big_digits("043917", 20), None, "too wide: spaced only");
    }
}
