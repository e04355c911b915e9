//! The edit forms.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme::Theme;
use crate::app::App;
use crate::app::doc::Tone;
use crate::app::forms::{
    CredentialField, CredentialMode, CredentialsForm, Form, FormBody, JsonField, MetadataFocus, Named, SchemaForm,
    StateForm, schema_and_traits_command,
};
use crate::app::json_edit::Problem;
use crate::sanitize::for_display;
use unicode_width::UnicodeWidthStr;

pub fn draw(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let Some(form) = app.edit.form.as_ref() else {
        return;
    };
    let parts = Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).split(area);
    let named = Named::of(&form.base, &app.schemas);
    let title = identity_title(form.kind().title(), &named, &form.identity_id, usize::from(area.width));
    frame.render_widget(Paragraph::new(Span::styled(title, theme.tone(Tone::Heading))), parts[0]);
    match &form.body {
        FormBody::Traits(traits) => {
            let mark = app.traits_form_mark();
            let halves = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).split(parts[1]);
            marked_json_editor(&traits.field, "traits (JSON)", mark, theme, halves[0], frame);
            // Whether the form is one key away, or why these traits stay here.
            let note = match app.traits_form_unavailable() {
                Some(why) => format!("No form for these traits: {}", for_display(&why)),
                None => "Ctrl-J (or F2): the form, on this value".to_owned(),
            };
            frame.render_widget(Paragraph::new(Span::styled(note, theme.tone(Tone::Muted))), halves[1]);
        }
        FormBody::TraitFields(fields) => super::trait_form::draw(fields, theme, parts[1], frame),
        FormBody::State(state) => state_form(state, theme, parts[1], frame),
        FormBody::Metadata(meta) => {
            let halves = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).split(parts[1]);
            let public_focus = meta.focus == MetadataFocus::Public;
            json_editor(
                &meta.public,
                "metadata_public (JSON, null allowed)",
                public_focus,
                theme,
                halves[0],
                frame,
            );
            json_editor(
                &meta.admin,
                "metadata_admin (JSON, null allowed)",
                !public_focus,
                theme,
                halves[1],
                frame,
            );
        }
        FormBody::Credentials(creds) => credentials_form(creds, theme, parts[1], frame),
        FormBody::Schema(schema) => schema_form(form, schema, app, theme, parts[1], frame),
    }
    bottom_line(form, app.traits_form_mark().is_some(), theme, parts[2], frame);
}

/// `unchecked`: the traits cannot be checked here (no schema), so the hint
/// says who checks them.
fn bottom_line(form: &Form, unchecked: bool, theme: &Theme, area: Rect, frame: &mut Frame) {
    let line = if form.confirm_discard {
        Line::from(vec![
            Span::styled("Discard your changes? ", theme.error()),
            Span::styled("y", theme.footer_key()),
            Span::raw(" discard  "),
            Span::styled("any other key", theme.footer_key()),
            Span::raw(" keep editing"),
        ])
    } else if let Some(error) = &form.error {
        Line::from(Span::styled(format!("✗ {}", for_display(error)), theme.error()))
    } else if let FormBody::TraitFields(fields) = &form.body {
        let hint = match &fields.notice {
            Some(notice) => for_display(notice).into_owned(),
            None => "Ctrl-S reviews the change before anything is sent · * required".to_owned(),
        };
        Line::from(Span::styled(hint, theme.tone(Tone::Muted)))
    } else if unchecked {
        Line::from(Span::styled(
            "Ctrl-S reviews the change; without the schema only the server checks the traits",
            theme.tone(Tone::Muted),
        ))
    } else {
        Line::from(Span::styled(
            "Ctrl-S reviews the change before anything is sent",
            theme.tone(Tone::Muted),
        ))
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// `Edit traits — ada@example.com (Ada Lovelace) · <id>`: the form, and whom
/// it changes in words a person recognises. The whole id when the line has
/// room for it, else its first eight characters; the name is cut last.
pub(super) fn identity_title(title: &str, named: &Named, id: &str, width: usize) -> String {
    let id = for_display(id);
    let short: String = if id.chars().count() > 9 {
        id.chars().take(8).chain(std::iter::once('…')).collect()
    } else {
        id.clone().into_owned()
    };
    let candidates = match named.label() {
        Some(label) => vec![
            format!("{title} — {label} · {id}"),
            format!("{title} — {label} · {short}"),
            format!("{title} — {label}"),
        ],
        None => vec![
            format!("{title} — identity {id}"),
            format!("{title} — identity {short}"),
        ],
    };
    let last = candidates.last().cloned().unwrap_or_default();
    candidates
        .into_iter()
        .find(|line| line.width() <= width)
        .unwrap_or_else(|| cut(&last, width))
}

/// `text` cut to `width` columns, with `…` where it was cut.
fn cut(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

fn focused_block<'a>(title: String, focused: bool, theme: &Theme) -> Block<'a> {
    let style = if focused {
        theme.tone(Tone::Heading)
    } else {
        theme.tone(Tone::Muted)
    };
    Block::default().borders(Borders::ALL).title(Span::styled(title, style))
}

fn problem_lines<'a>(problems: &'a [Problem], theme: &Theme) -> Vec<Line<'a>> {
    problems
        .iter()
        .map(|p| {
            Line::from(vec![
                Span::styled(format!("✗ {}: ", p.location), theme.error()),
                Span::raw(p.message.as_str()),
            ])
        })
        .collect()
}

fn json_editor(field: &JsonField, title: &str, focused: bool, theme: &Theme, area: Rect, frame: &mut Frame) {
    let state = if field.problems.is_empty() { "valid" } else { "invalid" };
    let block = focused_block(format!(" {title} — {state} "), focused, theme);
    draw_json_editor(field, block, focused, theme, area, frame);
}

/// The traits editor: when its schema is not there (`mark`), the title says
/// so instead of calling the traits valid, since only their syntax is checked.
fn marked_json_editor(
    field: &JsonField,
    title: &str,
    mark: Option<&str>,
    theme: &Theme,
    area: Rect,
    frame: &mut Frame,
) {
    let Some(mark) = mark else {
        json_editor(field, title, true, theme, area, frame);
        return;
    };
    let mut spans = vec![Span::styled(format!(" {title} —"), theme.tone(Tone::Heading))];
    if !field.problems.is_empty() {
        spans.push(Span::styled(" invalid —", theme.tone(Tone::Heading)));
    }
    spans.push(Span::styled(format!(" {mark} "), theme.badge()));
    spans.push(Span::raw(" "));
    let block = Block::default().borders(Borders::ALL).title(Line::from(spans));
    draw_json_editor(field, block, true, theme, area, frame);
}

fn draw_json_editor(
    field: &JsonField,
    block: Block<'static>,
    focused: bool,
    theme: &Theme,
    area: Rect,
    frame: &mut Frame,
) {
    let shown = field.problems.len().min(usize::from(area.height / 3)) as u16;
    let parts = Layout::vertical([Constraint::Min(3), Constraint::Length(shown)]).split(area);
    let mut editor = field.editor.clone();
    editor.set_block(block);
    editor.set_cursor_line_style(Style::new());
    editor.set_line_number_style(theme.tone(Tone::Muted));
    if focused {
        editor.set_cursor_style(Style::new().add_modifier(Modifier::REVERSED));
    } else {
        editor.set_cursor_style(Style::new());
    }
    frame.render_widget(&editor, parts[0]);
    frame.render_widget(Paragraph::new(problem_lines(&field.problems, theme)), parts[1]);
}

fn state_form(form: &StateForm, theme: &Theme, area: Rect, frame: &mut Frame) {
    let changed = form
        .changed_at
        .as_deref()
        .map(|t| format!(" (since {})", for_display(t)))
        .unwrap_or_default();
    let option = |label: &'static str, on: bool| {
        let mark = if on { "(•) " } else { "( ) " };
        let style = if on { theme.selected() } else { Style::new() };
        Line::from(Span::styled(format!("  {mark}{label}  "), style))
    };
    let lines = vec![
        Line::from(vec![
            Span::styled("Current state: ", theme.tone(Tone::Label)),
            Span::raw(for_display(&form.current).into_owned()),
            Span::styled(changed, theme.tone(Tone::Muted)),
        ]),
        Line::from(""),
        Line::from("New state (space toggles):"),
        option("active", form.active),
        option("inactive", !form.active),
        Line::from(""),
        if form.active {
            Line::from(Span::styled(STATE_SESSIONS_NOTE, theme.tone(Tone::Muted)))
        } else {
            let mark = if form.revoke_sessions { "[x]" } else { "[ ]" };
            Line::from(vec![
                Span::raw(format!("{mark} also revoke all sessions after the change  ")),
                Span::styled("(r toggles)", theme.tone(Tone::Muted)),
            ])
        },
        Line::from(""),
        Line::from(Span::styled(
            if form.active {
                ""
            } else {
                "Inactive alone blocks the sessions; reactivating revives those not expired. Revoking deletes them."
            },
            theme.tone(Tone::Muted),
        )),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }), area);
    let y = area.y + if form.active { 3 } else { 4 };
    frame.set_cursor_position(Position { x: area.x + 2, y });
}

/// What a state change does to sessions, as Kratos decides it: a session is
/// active only while its identity is (`session/session.go`,
/// `Session.IsActive`), so deactivating blocks every session at once and
/// reactivating revives those that have not expired. Sessions are not
/// deleted either way.
pub const STATE_SESSIONS_NOTE: &str = "Inactive: cannot sign in, and all sessions are blocked at once. \
Reactivating revives sessions that have not expired yet.";

fn input_line<'a>(
    label: &'a str,
    value: String,
    field: CredentialField,
    form: &CredentialsForm,
    theme: &Theme,
) -> Line<'a> {
    let focused = form.focus == field;
    let style = if focused { theme.selected() } else { Style::new() };
    let mut spans = vec![
        Span::styled(format!("  {label:<22}"), theme.tone(Tone::Label)),
        Span::styled(format!(" {value} "), style),
    ];
    if matches!(&form.field_error, Some((bad, _)) if *bad == field) {
        spans.push(Span::styled("  ✗", theme.error()));
    }
    Line::from(spans)
}

/// The error of the field marked ✗, on a line of its own so it is never cut.
fn field_error_line<'a>(form: &'a CredentialsForm, theme: &Theme) -> Option<Line<'a>> {
    let (_, message) = form.field_error.as_ref()?;
    Some(Line::from(Span::styled(
        format!("  ✗ {}", for_display(message)),
        theme.error(),
    )))
}

fn credentials_form(form: &CredentialsForm, theme: &Theme, area: Rect, frame: &mut Frame) {
    let mut lines = Vec::new();
    let mut modes = vec![Span::styled("  import  ", theme.tone(Tone::Label))];
    for mode in CredentialMode::ALL {
        let style = if mode == form.mode {
            theme.selected()
        } else {
            Style::new()
        };
        modes.push(Span::styled(format!(" {} ", mode.title()), style));
        modes.push(Span::raw(" "));
    }
    lines.push(Line::from(modes));
    // How to switch is said from the start, wherever the focus is (it
    // starts in the first text field, where ←/→ move the cursor).
    let hint = if form.focus == CredentialField::Mode {
        "  ←/→ or space switch what to import · Tab/↓ go to its fields"
    } else {
        "  to import something else: S-Tab/↑ up to this choice, then ←/→"
    };
    lines.push(Line::from(Span::styled(hint, theme.tone(Tone::Muted))));
    lines.push(Line::from(""));
    let mut cursor_line = None;
    match form.mode {
        CredentialMode::Password => {
            lines.push(input_line(
                "new password",
                form.password.masked(),
                CredentialField::Password,
                form,
                theme,
            ));
            lines.push(input_line(
                "repeat it",
                form.confirm.masked(),
                CredentialField::Confirm,
                form,
                theme,
            ));
            let check = if form.hash_locally { "[x]" } else { "[ ]" };
            lines.push(input_line(
                "hash here (argon2id)",
                format!("{check} the plaintext never leaves this host"),
                CredentialField::HashLocally,
                form,
                theme,
            ));
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "  Replaces the current password. Never shown, logged or saved.",
                theme.tone(Tone::Muted),
            )));
            cursor_line = match form.focus {
                CredentialField::Password => Some((3, form.password.cursor())),
                CredentialField::Confirm => Some((4, form.confirm.cursor())),
                _ => None,
            };
        }
        CredentialMode::Hash => {
            lines.push(input_line(
                "PHC / crypt hash",
                for_display(form.phc.text()).into_owned(),
                CredentialField::Phc,
                form,
                theme,
            ));
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "  Accepted: argon2id/argon2i, bcrypt, pbkdf2 (sha1/sha256/sha512), scrypt, firebase scrypt, ssha, md5, sha.",
                theme.tone(Tone::Muted),
            )));
            if form.focus == CredentialField::Phc {
                cursor_line = Some((3, form.phc.cursor()));
            }
        }
        CredentialMode::Oidc => {
            lines.push(Line::from(Span::styled("  linked now", theme.tone(Tone::Heading))));
            if form.linked.is_empty() {
                lines.push(Line::from(Span::styled("    (none)", theme.tone(Tone::Muted))));
            }
            for (provider, subject) in &form.linked {
                lines.push(Line::from(format!(
                    "    {:<20} {}",
                    for_display(provider),
                    for_display(subject)
                )));
            }
            lines.push(Line::from(""));
            let first = lines.len();
            lines.push(input_line(
                "provider",
                for_display(form.provider.text()).into_owned(),
                CredentialField::Provider,
                form,
                theme,
            ));
            lines.push(input_line(
                "subject",
                for_display(form.subject.text()).into_owned(),
                CredentialField::Subject,
                form,
                theme,
            ));
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "  Kratos's PUT only adds providers: unlinking is not possible here.",
                theme.tone(Tone::Bad),
            )));
            cursor_line = match form.focus {
                CredentialField::Provider => Some((first, form.provider.cursor())),
                CredentialField::Subject => Some((first + 1, form.subject.cursor())),
                _ => None,
            };
        }
    }
    lines.push(Line::from(""));
    if let Some(error) = field_error_line(form, theme) {
        lines.push(error);
    }
    lines.push(Line::from(Span::styled(
        "  Tab moves between fields",
        theme.tone(Tone::Muted),
    )));
    frame.render_widget(Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }), area);
    if let Some((line, column)) = cursor_line {
        let x = area.x + 2 + 22 + 1 + u16::try_from(column).unwrap_or(0);
        let y = area.y + u16::try_from(line).unwrap_or(0);
        if y < area.bottom() && x < area.right() {
            frame.set_cursor_position(Position { x, y });
        }
    }
}

/// The schema choice and whether the traits fit it; when they do not, the
/// command that changes schema and traits together. Below, why the choices
/// may be incomplete (the server's schema list could not be read: then only
/// the schemas of identities seen are offered).
fn schema_form(form: &Form, schema: &SchemaForm, app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Current schema: ", theme.tone(Tone::Label)),
            Span::raw(for_display(&schema.current).into_owned()),
        ]),
        Line::from(""),
    ];
    for (i, choice) in schema.choices.iter().enumerate() {
        let style = if i == schema.selected {
            theme.selected()
        } else {
            Style::new()
        };
        let current = if *choice == schema.current { "  (current)" } else { "" };
        lines.push(Line::from(Span::styled(
            format!("  {}{current}  ", for_display(choice)),
            style,
        )));
    }
    lines.push(Line::from(""));
    if schema.problems.is_empty() {
        lines.push(Line::from(Span::styled(
            "The traits fit the selected schema.",
            theme.tone(Tone::Good),
        )));
    } else {
        lines.push(Line::from(Span::styled(
            "The traits do not fit the selected schema:",
            theme.error(),
        )));
        lines.extend(problem_lines(&schema.problems, theme));
    }
    if let Some(choice) = schema.choices.get(schema.selected).filter(|_| schema.needs_new_traits) {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!(
                "This form changes the schema alone. To change schema and traits in one request, \
                 put the new traits (a JSON object) in traits.json and run, with profile “{}”:",
                for_display(&app.profile.name)
            ),
            theme.tone(Tone::Label),
        )));
        // Two lines joined by a backslash: a narrow terminal never wraps it
        // where a copy would run the first half alone.
        let command = for_display(&schema_and_traits_command(&form.identity_id, choice)).into_owned();
        match command.split_once(" --set ") {
            Some((first, rest)) => {
                lines.push(Line::from(format!("  {first} \\")));
                lines.push(Line::from(format!("      --set {rest}")));
            }
            None => lines.push(Line::from(format!("  {command}"))),
        }
    }
    if let Some(problem) = app.schema_list_problem() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!(
                "The server's schema list could not be read ({}): only schemas of identities seen so far are offered.",
                for_display(problem)
            ),
            theme.tone(Tone::Muted),
        )));
    }
    frame.render_widget(Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }), area);
    let y = area.y + 2 + u16::try_from(schema.selected).unwrap_or(0);
    if y < area.bottom() {
        frame.set_cursor_position(Position { x: area.x + 2, y });
    }
}

/// The attribute-registry form, or its review once Ctrl-S built the body.
pub fn draw_attribute(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    use crate::app::attribute::{AttributeField, masked_token};
    let Some(form) = app.edit.attribute.as_ref() else {
        return;
    };
    let parts = Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).split(area);
    let title = identity_title(
        "Attribute registry update",
        &form.named,
        &form.identity_id,
        usize::from(area.width),
    );
    frame.render_widget(Paragraph::new(Span::styled(title, theme.tone(Tone::Heading))), parts[0]);
    if let Some(review) = form.review.as_ref() {
        let prompt = if review.sending {
            Line::from(Span::styled("Sending… (Esc stops waiting)", theme.tone(Tone::Muted)))
        } else if review.stopped {
            // As the identity review says it (`ui::review`): `y` is disarmed.
            Line::from(vec![
                Span::styled("Stopped waiting: ", theme.error()),
                Span::raw("the registry may still apply it; its answer will show here"),
            ])
        } else if review.reason.editing() {
            Line::from(vec![
                Span::styled("Why this update? ", theme.tone(Tone::Heading)),
                Span::styled("Enter", theme.footer_key()),
                Span::raw(" keeps the reason  "),
                Span::styled("Esc", theme.footer_key()),
                Span::raw(" undoes the typing"),
            ])
        } else {
            Line::from(vec![
                Span::styled("Send this update? ", theme.tone(Tone::Heading)),
                Span::styled("y", theme.footer_key()),
                Span::raw(" send  "),
                Span::styled("n/Esc", theme.footer_key()),
                Span::raw(" back to the form  "),
                Span::styled("r", theme.footer_key()),
                Span::raw(" reason"),
            ])
        };
        // The reason line of the identity review (`ui::review`), under the
        // prompt, so it never scrolls away with the body.
        let ready = !review.sending && !review.stopped;
        let reason = vec![super::review::reason_line(app, &review.reason, ready, theme)];
        let reason_rows = super::review::wrapped_rows(&reason, area.width)
            .min(parts[1].height / 3)
            .max(1);
        let rows = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(reason_rows),
            Constraint::Min(1),
        ])
        .split(parts[1]);
        frame.render_widget(Paragraph::new(prompt), rows[0]);
        frame.render_widget(
            Paragraph::new(reason).wrap(ratatui::widgets::Wrap { trim: false }),
            rows[1],
        );
        let lines: Vec<Line> = review
            .lines
            .iter()
            .map(|l| super::detail::styled(l, theme, 0))
            .take(usize::from(rows[2].height))
            .collect();
        frame.render_widget(
            Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
            rows[2],
        );
        let cursor = if review.reason.editing() {
            super::review::reason_cursor(&review.reason, area, rows[1].y, rows[1].bottom())
        } else {
            Position {
                x: area.x,
                y: parts[1].y,
            }
        };
        frame.set_cursor_position(cursor);
        return;
    }
    let body = Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).split(parts[1]);
    let field = |label: &str, value: String, focused: bool, note: Option<&str>| {
        let style = if focused { theme.selected() } else { Style::new() };
        let mut spans = vec![
            Span::styled(format!("  {label:<18}"), theme.tone(Tone::Label)),
            Span::styled(format!(" {value} "), style),
        ];
        if let Some(note) = note {
            spans.push(Span::styled(
                format!("  {}", for_display(note)),
                theme.tone(Tone::Muted),
            ));
        }
        Line::from(spans)
    };
    let lines = vec![
        field(
            "issuance token",
            masked_token(form.token.text()),
            form.focus == AttributeField::Token,
            Some(&form.token_source),
        ),
        field(
            "attribute name",
            for_display(form.name.text()).into_owned(),
            form.focus == AttributeField::Name,
            None,
        ),
    ];
    frame.render_widget(Paragraph::new(lines), body[0]);
    json_editor(
        &form.value,
        "value (JSON; a string needs its quotes)",
        form.focus == AttributeField::Value,
        theme,
        body[1],
        frame,
    );
    if form.focus == AttributeField::Name {
        let x = body[0].x + 2 + 18 + 1 + u16::try_from(form.name.cursor()).unwrap_or(0);
        frame.set_cursor_position(Position {
            x: x.min(body[0].right().saturating_sub(1)),
            y: body[0].y + 1,
        });
    }
    let bottom = match &form.error {
        _ if form.confirm_discard => Line::from(vec![
            Span::styled("Discard what you typed? ", theme.error()),
            Span::styled("y", theme.footer_key()),
            Span::raw(" discard  "),
            Span::styled("any other key", theme.footer_key()),
            Span::raw(" keep editing"),
        ]),
        Some(error) => Line::from(Span::styled(format!("✗ {}", for_display(error)), theme.error())),
        None => Line::from(Span::styled(
            "Ctrl-S reviews the exact body before anything is sent",
            theme.tone(Tone::Muted),
        )),
    };
    frame.render_widget(Paragraph::new(bottom), parts[2]);
}
