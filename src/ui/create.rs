//! The create screen (`n` on the list): the schema pick, then the trait
//! form with the state, password, PHC hash and metadata fields under it,
//! then the review of what will be created. Schema ids, traits, metadata
//! and server answers are sanitised before they are drawn; the password and
//! the hash only ever as bullets, and on the review as "set".

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::theme::Theme;
use crate::app::App;
use crate::app::create::{CreateScreen, Focus, Stage};
use crate::app::doc::Tone;
use crate::sanitize::{for_display, json_inert};

/// Width of the labels, as the review's.
const LABEL: usize = 18;

fn label<'a>(text: &str, theme: &Theme) -> Span<'a> {
    Span::styled(format!("{text:<LABEL$}"), theme.tone(Tone::Label))
}

/// Draws the create screen into `area`.
pub fn draw(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let Some(screen) = app.create.as_ref() else {
        return;
    };
    match screen.stage {
        Stage::Schema => draw_schemas(app, screen, theme, area, frame),
        Stage::Form => draw_form(screen, theme, area, frame),
        Stage::Review | Stage::Sending => draw_review(app, screen, theme, area, frame),
    }
}

fn draw_schemas(app: &App, screen: &CreateScreen, theme: &Theme, area: Rect, frame: &mut Frame) {
    let width = usize::from(area.width);
    let mut lines = vec![
        Line::from(Span::styled("Create an identity", theme.tone(Tone::Heading))),
        Line::from(Span::styled(
            "Choose its identity schema (the server's); its traits form comes next.",
            theme.tone(Tone::Muted),
        )),
        Line::default(),
    ];
    if let Some(problem) = app.schema_list_problem() {
        lines.push(Line::from(Span::styled(
            crate::text::fit(
                &format!("The server's list could not be read: {}", for_display(problem)),
                width,
            ),
            theme.tone(Tone::Bad),
        )));
    }
    let room = usize::from(area.height).saturating_sub(lines.len()).max(1);
    let first = screen.chosen.saturating_sub(room.saturating_sub(1));
    for (at, id) in screen.schemas.iter().enumerate().skip(first).take(room) {
        let marker = if at == screen.chosen { "▶ " } else { "  " };
        let text = crate::text::fit(&format!("{marker}{}", for_display(id)), width);
        let style = if at == screen.chosen {
            theme.selected()
        } else {
            theme.tone(Tone::Plain)
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The rows under the trait form (`app::create::FIELD_ROWS`).
const FIELD_ROWS: u16 = crate::app::create::FIELD_ROWS as u16;

/// The part of a one-line field that fits `room` columns around its cursor,
/// and the cursor's column in it.
fn window(text: &str, cursor: usize, room: usize) -> (String, usize) {
    let chars: Vec<char> = text.chars().collect();
    let room = room.max(2);
    let first = (cursor + 1).saturating_sub(room);
    let shown: String = chars.iter().skip(first).take(room).collect();
    (shown, cursor - first)
}

fn draw_form(screen: &CreateScreen, theme: &Theme, area: Rect, frame: &mut Frame) {
    let width = usize::from(area.width);
    let title = Line::from(vec![
        Span::styled("Create an identity", theme.tone(Tone::Heading)),
        Span::styled(
            crate::text::fit(
                &format!(" · schema {} · traits (* required)", for_display(&screen.schema_id)),
                width.saturating_sub(18),
            ),
            theme.tone(Tone::Muted),
        ),
    ]);
    frame.render_widget(Paragraph::new(title), Rect { height: 1, ..area });
    let fields_height = FIELD_ROWS.min(area.height.saturating_sub(2));
    let form_area = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1 + fields_height),
        ..area
    };
    if let Some(form) = screen.traits.as_ref() {
        super::trait_form::draw(form, theme, form_area, frame);
    }
    let fields_area = Rect {
        y: form_area.y + form_area.height,
        height: fields_height,
        ..area
    };
    let focused = |focus: Focus| {
        if screen.focus == focus {
            theme.selected()
        } else {
            theme.tone(Tone::Plain)
        }
    };
    let state = if screen.active {
        "(•) active  ( ) inactive"
    } else {
        "( ) active  (•) inactive"
    };
    let hash = if screen.hash_here {
        "[x] hash here with argon2id (the plaintext never leaves this host)"
    } else {
        "[ ] hash here with argon2id (else the server hashes it)"
    };
    let room = width.saturating_sub(LABEL + 1);
    let password = screen.password.masked();
    let again = screen.again.masked();
    let (phc, phc_at) = window(&screen.phc.masked(), screen.phc.cursor(), room);
    let (public, public_at) = window(screen.metadata_public.text(), screen.metadata_public.cursor(), room);
    let (admin, admin_at) = window(screen.metadata_admin.text(), screen.metadata_admin.cursor(), room);
    let empty_hint = |text: &str, hint: &'static str| {
        if text.is_empty() {
            Span::styled(hint, theme.tone(Tone::Muted))
        } else {
            Span::raw("")
        }
    };
    let differs = !screen.again.is_empty() && screen.password.expose() != screen.again.expose();
    let mut lines = vec![
        Line::from(Span::styled(
            "─ state, a password or a PHC hash, metadata (all optional)",
            theme.tone(Tone::Muted),
        )),
        Line::from(vec![label("state", theme), Span::styled(state, focused(Focus::State))]),
        Line::from(vec![
            label("password", theme),
            Span::styled(format!("{password} "), focused(Focus::Password)),
        ]),
        Line::from(vec![
            label("password again", theme),
            Span::styled(format!("{again} "), focused(Focus::Again)),
            if differs {
                Span::styled("  differs from the first", theme.tone(Tone::Bad))
            } else {
                Span::raw("")
            },
        ]),
        Line::from(vec![label("", theme), Span::styled(hash, focused(Focus::HashHere))]),
        Line::from(vec![
            label("or a PHC hash", theme),
            Span::styled(format!("{phc} "), focused(Focus::Hash)),
            empty_hint(&phc, "paste one to import instead ($argon2id$…, $2a$…)"),
        ]),
        Line::from(vec![
            label("metadata_public", theme),
            Span::styled(format!("{} ", for_display(&public)), focused(Focus::MetadataPublic)),
            empty_hint(&public, "a JSON object, or empty"),
        ]),
        Line::from(vec![
            label("metadata_admin", theme),
            Span::styled(format!("{} ", for_display(&admin)), focused(Focus::MetadataAdmin)),
            empty_hint(&admin, "a JSON object, or empty"),
        ]),
    ];
    if let Some(problem) = screen.field_problem() {
        lines.push(Line::from(Span::styled(
            crate::text::fit(&for_display(&problem), width),
            theme.tone(Tone::Bad),
        )));
    }
    frame.render_widget(Paragraph::new(lines), fields_area);
    let cursor = match screen.focus {
        Focus::Password => Some((2, screen.password.cursor())),
        Focus::Again => Some((3, screen.again.cursor())),
        Focus::Hash => Some((5, phc_at)),
        Focus::MetadataPublic => Some((6, public_at)),
        Focus::MetadataAdmin => Some((7, admin_at)),
        _ => None,
    };
    if let Some((row, at)) = cursor {
        let x = fields_area
            .x
            .saturating_add(u16::try_from(LABEL + at).unwrap_or(u16::MAX));
        let y = fields_area.y.saturating_add(row);
        if x < fields_area.right() && y < fields_area.bottom() {
            frame.set_cursor_position(Position { x, y });
        }
    }
}

fn draw_review(app: &App, screen: &CreateScreen, theme: &Theme, area: Rect, frame: &mut Frame) {
    let width = usize::from(area.width);
    let value_width = width.saturating_sub(LABEL + 2).max(10);
    let mut lines = vec![
        Line::from(Span::styled(
            format!("Create {}?", screen.who.label()),
            theme.tone(Tone::Heading),
        )),
        Line::from(vec![
            label("request", theme),
            Span::raw(crate::text::fit(
                &format!("POST {}", for_display(&app.profile.identities_url)),
                value_width,
            )),
        ]),
    ];
    for (member, name) in [("schema_id", "schema"), ("state", "state")] {
        if let Some(value) = screen.body.get(member).and_then(serde_json::Value::as_str) {
            lines.push(Line::from(vec![
                label(name, theme),
                Span::raw(for_display(value).into_owned()),
            ]));
        }
    }
    let mut values = Vec::new();
    for member in ["traits", "metadata_public", "metadata_admin"] {
        flatten(&format!("/{member}"), screen.body.get(member), &mut values);
    }
    let pointer_width = values
        .iter()
        .map(|(p, _)| UnicodeWidthStr::width(p.as_str()))
        .max()
        .unwrap_or(0)
        .min(width / 2);
    for (pointer, value) in values {
        lines.push(Line::from(vec![
            Span::styled(
                {
                    let fitted = crate::text::fit(&pointer, pointer_width);
                    let pad = pointer_width.saturating_sub(UnicodeWidthStr::width(fitted.as_str()));
                    format!("  {fitted}{}  ", " ".repeat(pad))
                },
                theme.tone(Tone::Key),
            ),
            Span::raw(crate::text::fit(
                &value,
                width.saturating_sub(pointer_width + 4).max(10),
            )),
        ]));
    }
    lines.push(Line::from(vec![
        label("password", theme),
        Span::raw(
            screen
                .password_words()
                .unwrap_or("none (the person sets one by recovery)"),
        ),
    ]));
    let reason = if screen.reason.text().is_empty() && !screen.reason.editing() {
        Span::styled(
            if app.profile.require_reason {
                "none yet: r adds one (this profile requires it)"
            } else {
                "none: r adds one (a ticket)"
            },
            theme.tone(Tone::Muted),
        )
    } else {
        Span::raw(format!("{} ", for_display(screen.reason.text())))
    };
    let reason_row = lines.len();
    lines.push(Line::from(vec![label("reason", theme), reason]));
    if app.profile.read_only {
        lines.push(Line::from(Span::styled(
            format!(
                "Profile \"{}\" is read-only: Enter is refused, nothing is sent",
                for_display(&app.profile.name)
            ),
            theme.tone(Tone::Bad),
        )));
    }
    if let Some(error) = &screen.error {
        lines.push(Line::from(Span::styled(
            format!("Not created: {}", for_display(error)),
            theme.tone(Tone::Bad),
        )));
    }
    lines.push(Line::from(Span::styled(
        match screen.stage {
            Stage::Sending => "Creating…",
            _ => "Enter or y creates it; n or Esc goes back to the form.",
        },
        theme.tone(Tone::Muted),
    )));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    if screen.reason.editing() {
        let before: String = screen.reason.text().chars().take(screen.reason.cursor()).collect();
        let x = LABEL + UnicodeWidthStr::width(for_display(&before).as_ref());
        let x = area.x.saturating_add(u16::try_from(x).unwrap_or(u16::MAX));
        let y = area.y.saturating_add(u16::try_from(reason_row).unwrap_or(u16::MAX));
        if x < area.right() && y < area.bottom() {
            frame.set_cursor_position(Position { x, y });
        }
    }
}

/// Each leaf value under `pointer` on its own line, inert.
fn flatten(pointer: &str, value: Option<&serde_json::Value>, out: &mut Vec<(String, String)>) {
    match value {
        Some(serde_json::Value::Object(members)) if !members.is_empty() => {
            for (key, member) in members {
                flatten(
                    &format!("{pointer}/{}", crate::diff::escape_token(key)),
                    Some(member),
                    out,
                );
            }
        }
        Some(value) => out.push((for_display(pointer).into_owned(), json_inert(&value.to_string()))),
        None => {}
    }
}
