//! Reading long values (issue 14, point 7): the detail's sections through a
//! text view with wrap, search with n/N and the sideways offset; `1`–`6`
//! jump to a section; one escaping style in views and editors.

use chrono::TimeZone;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::{Terminal, backend::TestBackend};
use serde_json::{Value, json};

use super::super::detail::SectionKind;
use super::super::text_view::{self, Mark, Viewport, rows};
use super::super::*;

const ID: &str = "00000000-0000-4000-8000-000000000042";

fn press(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        let shift = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), shift)));
    }
}

/// An identity whose raw JSON is long (many traits) and wide (long values).
fn wide_identity() -> Value {
    let mut traits = serde_json::Map::new();
    traits.insert("email".into(), json!("ana@example.com"));
    for n in 0..30 {
        traits.insert(
            format!("note{n:02}"),
            json!(format!("Ticket SUP-{n} {} end-of-note-{n}", "lorem ipsum ".repeat(12))),
        );
    }
    json!({
        "id": ID,
        "schema_id": "default",
        "state": "active",
        "traits": traits,
        "metadata_public": null,
        "metadata_admin": {"ticket": "SUP-1"},
        "updated_at": "2026-11-20T10:00:00Z"
    })
}

/// The detail of `identity` at `width`x`height`, on its first section.
fn detail_of(identity: Value, width: u16, height: u16) -> App {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let mut app = App::new(
        ProfileInfo {
            name: "test".into(),
            ..Default::default()
        },
        width,
        height,
        now,
    );
    app.start();
    update(&mut app, Msg::SchemasLoaded(Ok(Vec::new())));
    update(
        &mut app,
        Msg::PageLoaded {
            generation: 1,
            result: Ok(LoadedPage {
                items: vec![identity.clone()],
                next: None,
            }),
        },
    );
    press(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(identity),
        },
    );
    assert_eq!(app.screen, Screen::Detail);
    app
}

fn section(app: &App) -> &detail::Section {
    match app.detail.state.as_ref().and_then(|d| d.section()) {
        Some(section) => section,
        None => panic!("no section shown"),
    }
}

fn viewport(app: &App) -> Viewport {
    detail::viewport(app)
}

/// The text of the rows on screen.
fn shown(app: &App) -> Vec<String> {
    let section = section(app);
    section
        .view
        .visible(&section.lines, viewport(app))
        .iter()
        .map(|pieces| pieces.iter().map(|p| p.text.as_str()).collect())
        .collect()
}

fn info(app: &App) -> String {
    section(app).view.info().unwrap_or_default()
}

/// The screen as text, drawn by `ui` at the app's size.
fn screen(app: &App) -> String {
    let backend = TestBackend::new(app.chrome.width, app.chrome.height);
    let mut terminal = match Terminal::new(backend) {
        Ok(terminal) => terminal,
        Err(e) => panic!("test backend: {e}"),
    };
    let theme = crate::ui::theme::Theme { color: false };
    if let Err(e) = terminal.draw(|frame| crate::ui::view(app, &theme, frame)) {
        panic!("draw: {e}");
    }
    terminal.backend().to_string()
}

#[test]
fn one_to_six_jump_to_the_sections_in_their_order_on_screen() {
    let mut app = detail_of(wide_identity(), 80, 24);
    for (digit, kind) in ['1', '2', '3', '4', '5', '6', '7'].into_iter().zip(SectionKind::ALL) {
        typed(&mut app, &digit.to_string());
        assert_eq!(section(&app).kind, kind, "key {digit}");
    }
    // 8, 9 and 0 name no section: nothing moves.
    typed(&mut app, "890");
    assert_eq!(section(&app).kind, SectionKind::Sessions);
    typed(&mut app, "2");
    assert_eq!(section(&app).kind, SectionKind::Traits);
}

#[test]
fn w_wraps_long_lines_so_their_end_is_on_screen() {
    let mut app = detail_of(wide_identity(), 80, 24);
    typed(&mut app, "6");
    let lines = section(&app).lines.clone();
    let unwrapped = rows(&lines, 80, false).len();
    let wrapped = rows(&lines, 80, true).len();
    assert_eq!(unwrapped, lines.len());
    assert!(wrapped > unwrapped + 30, "{wrapped} rows wrapped, {unwrapped} not");
    // Unwrapped, the end of a long value is off to the right.
    typed(&mut app, "jjjjjjj");
    assert!(!shown(&app).join("\n").contains("end-of-note-"), "{:#?}", shown(&app));
    typed(&mut app, "w");
    assert!(section(&app).view.wrap);
    let text = shown(&app).join("\n");
    assert!(text.contains("end-of-note-"), "{text}");
    assert!(shown(&app).iter().all(|row| row.chars().count() <= 80));
    // The bottom is further down when wrapped: G scrolls over the rows.
    typed(&mut app, "G");
    let body = section(&app).view.body_height(viewport(&app).height);
    assert_eq!(section(&app).view.scroll, wrapped - body);
    // Wrapping is one choice for the whole identity; w again turns it off.
    typed(&mut app, "2");
    assert!(section(&app).view.wrap, "the traits section wraps too");
    typed(&mut app, "w6");
    assert!(!section(&app).view.wrap);
}

#[test]
fn the_sideways_offset_is_shown_and_wrapping_resets_it() {
    let mut app = detail_of(wide_identity(), 80, 24);
    typed(&mut app, "6");
    assert_eq!(info(&app), "", "nothing to say at column 0");
    typed(&mut app, "ll");
    assert_eq!(info(&app), "→ col 16");
    assert!(screen(&app).contains("→ col 16"), "{}", screen(&app));
    typed(&mut app, "h");
    assert_eq!(info(&app), "→ col 8");
    typed(&mut app, "h");
    assert_eq!(info(&app), "");
    // Sideways scrolling stops where the longest line ends.
    typed(&mut app, &"l".repeat(200));
    let longest = section(&app).lines.iter().map(|l| l.text().chars().count()).max();
    let hscroll = section(&app).view.hscroll;
    assert!(
        longest.is_some_and(|n| hscroll < n && hscroll + 80 >= n),
        "{hscroll} of {longest:?}"
    );
    typed(&mut app, "w");
    assert_eq!(info(&app), "", "wrapped text has no sideways offset");
}

#[test]
fn search_finds_every_match_and_n_and_shift_n_go_around() {
    let mut app = detail_of(wide_identity(), 80, 24);
    typed(&mut app, "6/");
    assert_eq!(app.key_context(), keys::Context::ViewSearch);
    // Keys type while the prompt is open: q does not leave, Esc only closes it.
    typed(&mut app, "END-of-NOTE-2");
    assert_eq!(info(&app), "/END-of-NOTE-2");
    assert!(screen(&app).contains("/END-of-NOTE-2"), "the prompt is on screen");
    press(&mut app, KeyCode::Enter);
    // Case ignored: end-of-note-2 and end-of-note-20 … 29 match.
    assert!(
        info(&app).starts_with("match 1 of 11 for “END-of-NOTE-2”  ·  → col"),
        "{}",
        info(&app)
    );
    assert_eq!(app.key_context(), keys::Context::Detail { offer: false });
    for expected in 2..=11 {
        typed(&mut app, "n");
        assert!(
            info(&app).starts_with(&format!("match {expected} of 11")),
            "{}",
            info(&app)
        );
    }
    // The end of the text, then around: the line says so.
    let info = |app: &App| info(app).split("  ·  ").next().unwrap_or_default().to_owned();
    typed(&mut app, "n");
    assert_eq!(info(&app), "match 1 of 11 for “END-of-NOTE-2” (from the top again)");
    typed(&mut app, "N");
    assert_eq!(info(&app), "match 11 of 11 for “END-of-NOTE-2” (from the bottom again)");
    typed(&mut app, "N");
    assert_eq!(info(&app), "match 10 of 11 for “END-of-NOTE-2”");
    // Nothing found says so, with what was searched for.
    typed(&mut app, "/zebra");
    press(&mut app, KeyCode::Enter);
    assert_eq!(info(&app), "no match for “zebra”");
    typed(&mut app, "n");
    assert_eq!(info(&app), "no match for “zebra”");
    // Esc closes the prompt and keeps the last search; an empty search clears it.
    typed(&mut app, "/abc");
    press(&mut app, KeyCode::Esc);
    assert_eq!(
        app.screen,
        Screen::Detail,
        "Esc in the prompt does not leave the detail"
    );
    assert_eq!(info(&app), "no match for “zebra”");
    typed(&mut app, "/");
    press(&mut app, KeyCode::Enter);
    assert!(section(&app).view.search.is_none());
    assert!(!info(&app).contains("match"), "{}", info(&app));
    // q types into the prompt rather than leaving.
    typed(&mut app, "/q");
    assert_eq!(app.screen, Screen::Detail);
    assert_eq!(info(&app), "/q");
    press(&mut app, KeyCode::Backspace);
    assert_eq!(info(&app), "/");
}

#[test]
fn the_current_match_is_scrolled_into_view_and_marked() {
    let mut app = detail_of(wide_identity(), 80, 24);
    typed(&mut app, "6/end-of-note-27");
    press(&mut app, KeyCode::Enter);
    let view = section(&app).view.clone();
    let found = view.current_match();
    let Some(found) = found else {
        panic!("no match: {}", info(&app));
    };
    let lines = section(&app).lines.clone();
    // Far down and far right: the view moved both ways to show it.
    assert!(view.scroll > 0 && view.hscroll > 0, "{view:?}");
    let body = view.body_height(viewport(&app).height);
    assert!(found.line >= view.scroll && found.line < view.scroll + body, "{view:?}");
    let marked: Vec<String> = view
        .visible(&lines, viewport(&app))
        .iter()
        .flatten()
        .filter(|p| p.mark == Mark::Current)
        .map(|p| p.text.clone())
        .collect();
    assert_eq!(marked.concat(), "end-of-note-27");
    assert!(info(&app).contains("→ col"), "the offset is shown: {}", info(&app));
    // Wrapped, the same match is still on screen, now without an offset.
    typed(&mut app, "w");
    let view = section(&app).view.clone();
    let marked: String = view
        .visible(&lines, viewport(&app))
        .iter()
        .flatten()
        .filter(|p| p.mark == Mark::Current)
        .map(|p| p.text.clone())
        .collect();
    assert_eq!(marked, "end-of-note-27");
    assert_eq!(view.hscroll, 0);
}

#[test]
fn search_looks_at_the_text_as_shown_escapes_included() {
    let mut identity = wide_identity();
    identity["traits"]["email"] = json!("ana\u{202e}moc.elpmaxe@evil");
    let mut app = detail_of(identity, 80, 24);
    typed(&mut app, "2/\\u202e");
    press(&mut app, KeyCode::Enter);
    assert_eq!(info(&app), "match 1 of 1 for “\\u202e”");
}

#[test]
fn a_reload_keeps_the_search_and_runs_it_again() {
    let mut app = detail_of(wide_identity(), 80, 24);
    typed(&mut app, "6/sup-");
    press(&mut app, KeyCode::Enter);
    assert!(info(&app).starts_with("match 1 of 31"), "{}", info(&app));
    let mut fewer = wide_identity();
    fewer["metadata_admin"] = json!({});
    typed(&mut app, "r");
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(fewer),
        },
    );
    assert_eq!(section(&app).kind, SectionKind::Raw);
    assert!(info(&app).starts_with("match 1 of 30"), "{}", info(&app));
}

#[test]
fn the_header_has_the_full_id_when_it_fits() {
    let wide = detail_of(wide_identity(), 200, 50);
    let header = screen(&wide).lines().nth(1).unwrap_or_default().to_owned();
    assert!(header.contains(&format!("({ID})")), "{header}");
    let mut long = wide_identity();
    long["traits"]["email"] = json!(format!("{}@example.com", "a-rather-long-mailbox-name".repeat(2)));
    long["traits"]["name"] = json!({"first": "Maximiliane", "last": "Oberhollenzer-Wittgenstein"});
    let narrow = detail_of(long, 80, 24);
    let header = screen(&narrow).lines().nth(1).unwrap_or_default().to_owned();
    assert!(header.contains("(00000000…)"), "{header}");
    assert!(!header.contains(ID), "{header}");
}

/// One escaping style: a trait holding U+202E (right-to-left override)
/// reads the same in the detail's traits and in the traits editor (`e`),
/// as JSON writes it (`\u202e`), never as Rust's `\u{202e}`.
/// With and without the identity's schema, so whichever editor the traits
/// form offers (JSON text, or fields from the schema) is compared.
#[test]
fn a_bidi_override_shows_the_same_in_the_view_and_the_editor() {
    let schema = json!({"type": "object", "properties": {"traits": {"type": "object", "properties": {
        "email": {"type": "string", "title": "E-Mail"}
    }}}});
    for with_schema in [false, true] {
        let mut identity = wide_identity();
        identity["traits"] = json!({"email": "ana\u{202e}moc.elpmaxe@evil"});
        let mut app = detail_of(identity, 200, 50);
        if with_schema {
            update(
                &mut app,
                Msg::SchemasLoaded(Ok(vec![("default".into(), schema.clone())])),
            );
        }
        typed(&mut app, "2");
        let view = screen(&app);
        typed(&mut app, "e");
        assert_eq!(app.screen, Screen::Form);
        let editor = screen(&app);
        // The value as both show it, JSON's way.
        let expected = "ana\\u202emoc.elpmaxe@evil";
        for (name, text) in [("detail", &view), ("editor", &editor)] {
            assert!(text.contains(expected), "{name} (schema: {with_schema}):\n{text}");
            assert!(
                !text.contains("\\u{202e}") && !text.contains('\u{202e}'),
                "{name} (schema: {with_schema}):\n{text}"
            );
        }
    }
}

fn ctrl(app: &mut App, c: char) {
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)));
}

/// The review of a state change of the wide identity (its body is long).
fn review_of_a_state_change() -> App {
    let mut app = detail_of(wide_identity(), 80, 24);
    typed(&mut app, "s ");
    ctrl(&mut app, 's');
    assert_eq!(app.screen, Screen::Review);
    app
}

fn review_info(app: &App) -> String {
    app.edit.review.as_ref().and_then(|r| r.view.info()).unwrap_or_default()
}

#[test]
fn the_review_body_is_searched_with_ctrl_n_and_n_still_means_no() {
    let mut app = review_of_a_state_change();
    assert!(
        app.edit.review.as_ref().is_some_and(|r| r.view.wrap),
        "the review wraps from the start"
    );
    typed(&mut app, "/end-of-note-1");
    press(&mut app, KeyCode::Enter);
    // end-of-note-1 and -10 … -19.
    assert_eq!(review_info(&app), "match 1 of 11 for “end-of-note-1”");
    ctrl(&mut app, 'n');
    assert_eq!(review_info(&app), "match 2 of 11 for “end-of-note-1”");
    ctrl(&mut app, 'p');
    ctrl(&mut app, 'p');
    assert_eq!(
        review_info(&app),
        "match 11 of 11 for “end-of-note-1” (from the bottom again)"
    );
    // The match is on screen: the body scrolled to it.
    let review = app.edit.review.as_ref().map(|r| (r.view.clone(), r.lines.clone()));
    let Some((view, lines)) = review else {
        panic!("the review is gone");
    };
    let shown: String = view
        .visible(&lines, text_view::viewport(&app))
        .iter()
        .flatten()
        .filter(|p| p.mark == Mark::Current)
        .map(|p| p.text.clone())
        .collect();
    assert_eq!(
        shown, "end-of-note-1",
        "the current match (in end-of-note-19) is on screen"
    );
    // n is still "no, back to the form", never a match.
    typed(&mut app, "n");
    assert_eq!(app.screen, Screen::Form);
}

#[test]
fn the_response_and_a_drafts_diff_are_searched_too() {
    let mut app = review_of_a_state_change();
    let body = {
        let mut returned = wide_identity();
        returned["state"] = json!("inactive");
        returned
    };
    let exchange = crate::api::Exchange {
        request_id: "r".into(),
        method: "PUT".into(),
        url: format!("http://127.0.0.1/admin/identities/{ID}"),
        request_headers: Vec::new(),
        request_body: None,
        status: 200,
        reason: "OK".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
        started_at: Utc::now(),
        elapsed: std::time::Duration::from_millis(3),
    };
    typed(&mut app, "y");
    update(
        &mut app,
        Msg::WriteDone(review::WriteOutcome::Answered {
            response: response::response_view(&exchange, Some(ID.into())),
            identity: Some(body),
        }),
    );
    assert_eq!(app.screen, Screen::Response);
    typed(&mut app, "/\"state\"");
    press(&mut app, KeyCode::Enter);
    let info = |app: &App| {
        app.edit
            .response
            .as_ref()
            .and_then(|r| r.view.info())
            .unwrap_or_default()
    };
    assert_eq!(info(&app), "match 1 of 1 for “\"state\"”");
    // q types into the prompt; Esc closes the prompt, the next Esc leaves.
    typed(&mut app, "/q");
    assert_eq!(app.screen, Screen::Response);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Response);
    press(&mut app, KeyCode::Esc);
    assert_ne!(app.screen, Screen::Response);

    // A draft's diff (v on the offer).
    let text = serde_json::to_string_pretty(&json!({"email": "changed@example.com", "note": "x".repeat(120)}))
        .unwrap_or_default();
    let draft = crate::drafts::Draft::new("test", ID, "traits", json!({ "text": text }), None);
    let mut app = detail_of(wide_identity(), 80, 24);
    update(&mut app, Msg::DraftsListed(Ok(vec![draft])));
    typed(&mut app, "r");
    update(
        &mut app,
        Msg::IdentityLoaded {
            id: ID.into(),
            result: Ok(wide_identity()),
        },
    );
    assert!(app.detail.offer.is_some(), "the draft is offered");
    typed(&mut app, "v");
    assert_eq!(app.screen, Screen::Text);
    typed(&mut app, "/changed@");
    press(&mut app, KeyCode::Enter);
    let info = app.drafts.text.as_ref().and_then(|t| t.view.info()).unwrap_or_default();
    assert!(info.starts_with("match 1 of "), "{info}");
}
