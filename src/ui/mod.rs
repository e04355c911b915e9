//! Pure rendering: draws the app state into a ratatui frame and does nothing
//! else (no I/O, no state changes). Only the rows and lines that fit on screen
//! are turned into widgets, so drawing costs the same for 100 or 1,000,000
//! loaded identities.

mod create;
mod credential_removal;
mod delete;
mod detail;
mod drafts;
mod forms;
mod help;
mod list;
mod recovery;
mod review;
mod sessions;
mod text_view;
pub mod theme;
mod trait_form;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::app::{App, MIN_HEIGHT, MIN_WIDTH, Screen, Status, keys};
use theme::Theme;

/// Frames of the spinner shown while a request is in flight.
const SPINNER: [&str; 4] = ["-", "\\", "|", "/"];

/// Draws the whole screen.
pub fn view(app: &App, theme: &Theme, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(area, frame);
        return;
    }
    let mut constraints = vec![Constraint::Length(1)];
    if app.profile.danger {
        constraints.push(Constraint::Length(1));
    }
    constraints.extend([Constraint::Min(1), Constraint::Length(1), Constraint::Length(1)]);
    let chunks = Layout::vertical(constraints).split(area);
    let mut next = 0;
    let mut take = || {
        let rect = chunks[next];
        next += 1;
        rect
    };
    header(app, theme, take(), frame);
    if app.profile.danger {
        danger_banner(theme, take(), frame);
    }
    let body = take();
    match app.screen {
        Screen::List => list::draw(app, theme, body, frame),
        Screen::Detail => {
            detail::draw(app, theme, body, frame);
            sessions::draw_confirm(app, theme, body, frame);
            credential_removal::draw_confirm(app, theme, body, frame);
        }
        Screen::Form => forms::draw(app, theme, body, frame),
        Screen::Review => review::draw_review(app, theme, body, frame),
        Screen::Response => review::draw_response(app, theme, body, frame),
        Screen::History => review::draw_history(app, theme, body, frame),
        Screen::Drafts => drafts::draw_list(app, theme, body, frame),
        Screen::Text => drafts::draw_text(app, theme, body, frame),
        Screen::Attribute => forms::draw_attribute(app, theme, body, frame),
        Screen::Recovery => recovery::draw(app, theme, body, frame),
        Screen::Delete => delete::draw(app, theme, body, frame),
        Screen::Create => create::draw(app, theme, body, frame),
    }
    status_line(app, theme, take(), frame);
    footer(app, theme, take(), frame);
    if app.chrome.help.is_some() {
        help::draw(app, theme, area, frame);
    }
}

fn too_small(area: Rect, frame: &mut Frame) {
    let text = vec![
        Line::from("Terminal too small"),
        Line::from(format!(
            "{}x{} — idcon needs at least {MIN_WIDTH}x{MIN_HEIGHT}",
            area.width, area.height
        )),
        Line::from("Ctrl-C quits"),
    ];
    let top = area.height.saturating_sub(3) / 2;
    let rect = Rect {
        y: area.y + top,
        height: area.height.saturating_sub(top).min(3),
        ..area
    };
    frame.render_widget(Paragraph::new(text).alignment(Alignment::Center), rect);
}

/// Narrowest the profile's name and URL get in the header before the schema
/// mark is shortened to make room.
const MIN_PROFILE_WIDTH: usize = 16;

fn header(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let style = theme.header();
    let width = usize::from(area.width);
    let mut badges: Vec<String> = Vec::new();
    if !app.profile.signing {
        // No key: requests go out unsigned (a server behind its own auth).
        badges.push(" UNSIGNED ".to_owned());
    }
    if app.profile.read_only {
        badges.push(" READ-ONLY ".to_owned());
    }
    let loaded = app.list.loaded_count();
    let more = match app.list.full_list_paging() {
        crate::app::list::Paging::Done => "",
        _ => "+",
    };
    let mut right = format!("{loaded}{more} loaded ");
    if app.busy() {
        right = format!("{} {right}", SPINNER[app.chrome.spinner % SPINNER.len()]);
    }
    let used_by = |badges: &[String]| -> usize {
        " idcon ".width() + badges.iter().map(|b| b.width() + 1).sum::<usize>() + right.width()
    };
    // Schemas that could not be loaded: say so on every screen; the URL
    // gives way first, then the mark shortens.
    if let Some(mark) = app.schema_warning() {
        let full = format!(" {mark} ");
        let room = width.saturating_sub(used_by(&badges) + full.width() + 1);
        badges.push(if room >= MIN_PROFILE_WIDTH {
            full
        } else {
            " SCHEMA UNKNOWN ".to_owned()
        });
    }
    let profile = format!("│ {} │ {} ", app.profile.name, app.profile.base_url);
    let profile = list::fit(&profile, width.saturating_sub(used_by(&badges)));
    let mut spans = vec![Span::styled(" idcon ", style), Span::styled(profile, style)];
    for badge in badges {
        spans.push(Span::styled(badge, theme.badge()));
        spans.push(Span::styled(" ", style));
    }
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    let pad = width.saturating_sub(used + right.width());
    spans.push(Span::styled(" ".repeat(pad), style));
    spans.push(Span::styled(right, style));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(style), area);
}

fn danger_banner(theme: &Theme, area: Rect, frame: &mut Frame) {
    let text = "PRODUCTION PROFILE — every change reaches live accounts";
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .style(theme.danger_banner()),
        area,
    );
}

fn status_line(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let (text, style) = match &app.chrome.status {
        Status::None => (String::new(), theme.info()),
        Status::Info(text) => (text.clone(), theme.info()),
        Status::Error(text) => (format!("✗ {text}"), theme.error()),
    };
    frame.render_widget(Paragraph::new(Span::styled(text, style)), area);
}

fn footer(app: &App, theme: &Theme, area: Rect, frame: &mut Frame) {
    let bindings = keys::bindings(app.screen_key_context());
    let mut spans = Vec::new();
    for binding in bindings.iter().filter(|b| b.in_footer) {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(binding.keys, theme.footer_key()));
        spans.push(Span::raw(format!(
            " {}",
            binding.help.split(" (").next().unwrap_or(binding.help)
        )));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
