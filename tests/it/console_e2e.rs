//! The console as a person uses it: the real `idcon` binary in a pseudo-terminal
//! against the demo server on a loopback port, keys typed, the screen read back
//! through a vt100 parser, and every raw byte the binary wrote kept for checks.
//!
//! Every wait is bounded (the harness panics with the screen on timeout).

use crate::support::pty;

use crate::support::console_env;

use std::time::Duration;

use console_env::{Demo, Home, contains, curated, id_of};
use pty::{Console, WAIT};

/// The number in the header's "N loaded" / "N+ loaded", and whether more pages exist.
fn loaded(screen: &str) -> Option<(usize, bool)> {
    let header = screen.lines().next()?;
    let before = header.trim_end().strip_suffix("loaded")?.trim_end();
    let count = before.rsplit(' ').next()?;
    let more = count.ends_with('+');
    Some((count.trim_end_matches('+').parse().ok()?, more))
}

fn first_frame(console: &Console) -> String {
    console.wait_until("the first list frame", WAIT, |s| {
        s.contains("IDENTIFIER") && loaded(s).is_some_and(|(n, _)| n > 0)
    })
}

/// The screen row of the selected (reverse-video) list row, below the titles.
fn selected_row(console: &Console) -> Option<u16> {
    console.inverse_rows().into_iter().find(|&r| r >= 2)
}

/// Moves the selection up one row and waits until the screen shows it.
fn move_up_and_see_it(console: &mut Console) {
    let before = selected_row(console);
    assert!(before.is_some(), "a row is selected:\n{}", console.screen());
    console.keys("k");
    console.wait_until("the selection one row up", WAIT, |_| {
        selected_row(console) == before.map(|r| r - 1)
    });
}

fn status_line(console: &Console, rows: u16) -> String {
    console.row(rows - 2)
}

/// Quits with `q` and checks that the shell gets its terminal back.
fn quit_and_check_restored(console: &mut Console) {
    console.keys("q");
    assert_eq!(console.wait_exit(WAIT), Some(true), "q exits with status 0");
    assert_terminal_restored(console);
}

fn assert_terminal_restored(console: &Console) {
    assert!(!console.alternate_screen(), "left the alternate screen");
    assert!(!console.cursor_hidden(), "the cursor is visible again");
    let raw = console.raw_output();
    assert!(contains(&raw, b"\x1b[?1049l"), "leave-alternate-screen was written");
    assert!(contains(&raw, b"\x1b[?2004l"), "bracketed paste was turned off");
    assert_eq!(console.cooked_mode(), Some(true), "the terminal is back in cooked mode");
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).filter(|w| *w == needle).count()
}

/// True when the header shows a spinner (a request is in flight).
fn spinning(screen: &str) -> bool {
    let header = screen.lines().next().unwrap_or_default();
    let mut words = header.split_whitespace().rev();
    // "... - 250+ loaded": the word before the count is the spinner.
    let _loaded = words.next();
    let _count = words.next();
    matches!(words.next(), Some("-" | "\\" | "|" | "/"))
}

/// Waits (bounded) until no request has been in flight for 300 ms.
fn wait_idle(console: &Console) {
    let deadline = std::time::Instant::now() + WAIT;
    let mut quiet_since = std::time::Instant::now();
    loop {
        let screen = console.screen();
        if spinning(&screen) || screen.contains("loading more") {
            quiet_since = std::time::Instant::now();
        } else if quiet_since.elapsed() >= Duration::from_millis(300) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "requests kept running:\n{screen}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Types a search and sends it to the server with Enter; returns the screen
/// once the server's answer is shown.
fn server_search(console: &mut Console, query: &str) -> String {
    console.keys("/");
    console.wait_until("the search prompt", WAIT, |s| s.contains("ask the server"));
    console.type_text(query);
    // Typing may have started page loads; let them finish so the server's
    // answer is not mixed with a page that lands after it (see the report on
    // pages in flight during a server search).
    wait_idle(console);
    console.enter();
    console.wait_until("the server's answer", WAIT, |s| {
        s.contains("on the server match") || s.contains("No identity on the server")
    })
}

#[test]
fn list_appears_with_header_selection_and_cursor_at_80x24() {
    let demo = Demo::paged();
    let home = Home::new();
    let mut console = home.spawn_console(&demo, &[], &[], 80, 24);
    let screen = first_frame(&console);
    assert_eq!(console.cooked_mode(), Some(false), "raw mode while the console runs");
    let header = console.row(0);
    assert!(header.contains("idcon"), "{header}");
    assert!(
        header.contains(&demo.server.base_url()),
        "header names the base URL: {header}"
    );
    assert_eq!(
        loaded(&screen),
        Some((250, true)),
        "first page of 1,200 loaded: {screen}"
    );
    for title in ["IDENTIFIER", "NAME", "STATE", "SCHEMA", "UPDATED", "ID"] {
        assert!(console.row(1).contains(title), "column {title}: {}", console.row(1));
    }
    let footer = console.row(23);
    for key in ["Enter open", "/ search", "? help", "q quit"] {
        assert!(footer.contains(key), "footer shows {key:?}: {footer}");
    }
    // Rows carry identifiers; the selection is reverse video on the first row,
    // and the hardware cursor sits on it (screen readers follow it).
    assert!(console.row(2).contains('@'), "a row with an e-mail: {screen}");
    assert_eq!(console.inverse_rows().iter().filter(|&&r| r > 0).count(), 1, "{screen}");
    assert!(!console.inverse_text(2).is_empty(), "first row selected");
    assert_eq!(console.cursor().0, 2);
    console.keys("jj");
    console.wait_until("the selection two rows down", WAIT, |_| {
        !console.inverse_text(4).is_empty()
    });
    assert!(console.inverse_text(2).is_empty());
    assert_eq!(console.cursor().0, 4, "the hardware cursor follows the selection");
    console.keys("k");
    console.wait_until("the selection one row up", WAIT, |_| {
        !console.inverse_text(3).is_empty()
    });

    // Nothing moves, so nothing is written: no timer redraws an idle screen.
    let before = console.raw_len();
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(console.raw_len(), before, "bytes written while idle");

    quit_and_check_restored(&mut console);
}

#[test]
fn paging_loads_more_with_a_visible_loading_row_until_the_end() {
    // Some latency, so the "loading more" row is on screen long enough to see.
    let demo = Demo::start_with(|o| {
        o.seed_count = Some(1200);
        o.latency = Duration::from_millis(300);
    });
    let home = Home::new();
    let mut console = home.spawn_console(&demo, &[], &[], 80, 24);
    let screen = first_frame(&console);
    let mut counts = vec![loaded(&screen).map_or(0, |(n, _)| n)];
    let saw_loading_row = std::cell::Cell::new(false);
    let saw_spinner = std::cell::Cell::new(false);
    // 1,200 identities in pages of 250: four more pages; bounded at ten tries.
    for _ in 0..10 {
        let (last, more) = loaded(&console.screen()).unwrap_or((0, false));
        if !more {
            break;
        }
        console.keys("G");
        let screen = console.wait_until("more identities after G", WAIT, |s| {
            if s.contains("loading more identities") {
                saw_loading_row.set(true);
            }
            if spinning(s) {
                saw_spinner.set(true);
            }
            loaded(s).is_some_and(|(n, _)| n > last)
        });
        counts.push(loaded(&screen).map_or(0, |(n, _)| n));
    }
    assert!(saw_spinner.get(), "the header spun while a page was in flight");
    assert!(saw_loading_row.get(), "a loading row showed while a page was in flight");
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "the count grows: {counts:?}");
    assert_eq!(counts.last(), Some(&1200), "everything loaded: {counts:?}");
    console.wait_until("the final count", WAIT, |s| loaded(s) == Some((1200, false)));
    // G once more reaches the very last identity, with no loading row under it.
    console.keys("G");
    let screen = console.wait_until("the last row selected", WAIT, |_| selected_row(&console) == Some(21));
    assert!(!screen.contains("loading more"), "{screen}");
    assert!(!spinning(&screen), "no spinner once nothing is in flight: {screen}");
    console.keys("g");
    console.wait_until("the top again", WAIT, |_| !console.inverse_text(2).is_empty());
    quit_and_check_restored(&mut console);
}

#[test]
fn search_finds_an_identity_by_email_and_by_id_at_200x50() {
    let demo = Demo::paged();
    let home = Home::new();
    let mut console = home.spawn_console(&demo, &[], &[], 200, 50);
    first_frame(&console);

    // By e-mail: exact, answered by the server.
    let ada = curated("ada.lovelace@example.com");
    let screen = server_search(&mut console, "ada.lovelace@example.com");
    assert!(screen.contains("1 identity on the server matches"), "{screen}");
    assert!(screen.contains("ada.lovelace@example.com"), "{screen}");
    assert!(screen.contains("Ada Lovelace"), "{screen}");
    assert!(screen.contains(&id_of(&ada)[..8]), "short id shown: {screen}");
    let listed = screen
        .lines()
        .filter(|l| l.contains('@') && !l.contains("matches") && !l.starts_with("search “"))
        .count();
    assert_eq!(listed, 1, "only the match is listed: {screen}");
    assert!(
        screen.lines().any(|l| l.starts_with("exact  ada.lovelace@example.com")),
        "marked as the exact match: {screen}"
    );
    assert!(
        badge(&screen).starts_with("search “ada.lovelace@example.com” · 1 of 1 (1 exact)"),
        "{screen}"
    );
    assert!(
        loaded(&screen).is_some_and(|(n, _)| n > 1),
        "the header still counts the full list: {screen}"
    );

    // Esc goes back to the full list.
    console.esc();
    console.wait_until("the full list again", WAIT, |s| {
        loaded(s).is_some_and(|(n, _)| n > 1) && !s.contains("on the server match")
    });

    // By id: the whole UUID of another identity.
    let sven = curated("sven.suzuki@users.example.de");
    let screen = server_search(&mut console, &id_of(&sven));
    assert!(screen.contains("1 identity on the server matches"), "{screen}");
    assert!(screen.contains("sven.suzuki@users.example.de"), "{screen}");
    console.enter();
    let screen = console.wait_for("Summary");
    console.wait_for(&id_of(&sven));
    assert!(screen.contains("Sven Suzuki") || console.screen().contains("Sven Suzuki"));
    console.esc();
    console.wait_until("the search result list", WAIT, |s| s.contains("IDENTIFIER"));

    // Something nobody has: said so, and Esc brings the list back.
    console.esc();
    console.wait_until("the full list again", WAIT, |s| loaded(s).is_some_and(|(n, _)| n > 1));
    let screen = server_search(&mut console, "nobody@example.invalid");
    assert!(screen.contains("No identity on the server matches"), "{screen}");
    assert!(screen.contains("no match on the server"), "{screen}");

    // y copies the selected id with OSC 52 (not inside tmux here: unwrapped).
    console.esc();
    console.wait_until("the full list again", WAIT, |s| loaded(s).is_some_and(|(n, _)| n > 1));
    let before = console.raw_len();
    console.keys("y");
    let screen = console.wait_for("Copied");
    let copied = screen
        .lines()
        .find(|l| l.contains("Copied"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_default()
        .to_owned();
    use base64::Engine as _;
    let expected = format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(copied.as_bytes())
    );
    assert!(
        contains(&console.raw_since(before), expected.as_bytes()),
        "OSC 52 with the id {copied}"
    );
    quit_and_check_restored(&mut console);
}

#[test]
fn detail_sections_scroll_help_and_ctrl_c_at_80x24() {
    let demo = Demo::paged();
    let home = Home::new();
    let mut console = home.spawn_console(&demo, &[], &[], 80, 24);
    first_frame(&console);
    let ada = curated("ada.lovelace@example.com");
    server_search(&mut console, "ada.lovelace@example.com");
    console.enter();
    let screen = console.wait_for("Summary");
    assert_eq!(
        console.inverse_text(2),
        "Summary",
        "the current section is reverse video"
    );
    let screen = console.wait_until("the summary", WAIT, |s| s.contains("email-password")) + &screen;
    assert!(screen.contains(&id_of(&ada)), "{screen}");
    for label in ["schema", "state", "created", "updated", "external id"] {
        assert!(screen.contains(label), "summary has {label}: {screen}");
    }
    let footer = console.row(23);
    assert!(footer.contains("Tab") && footer.contains("back"), "{footer}");

    // Tab walks the sections; each shows its own content.
    let sections: [(&str, &[&str]); 5] = [
        (
            "Traits",
            &["\"email\": \"ada.lovelace@example.com\"", "\"first\": \"Ada\""],
        ),
        ("Metadata", &["metadata_public", "metadata_admin"]),
        ("Credentials", &["password", "google", "108000000000000000001"]),
        (
            "Addresses",
            &["verifiable addresses", "recovery addresses", "ada.lovelace@example.com"],
        ),
        (
            "Raw JSON",
            &["\"id\": \"6762b34f-4e26-4a8e-a032-35a1e58e1b1c\"", "\"credentials\": {"],
        ),
    ];
    for (title, marks) in sections {
        console.tab();
        console.wait_until(&format!("section {title}"), WAIT, |_| console.inverse_text(2) == title);
        let screen = console.wait_until(&format!("the {title} content"), WAIT, |s| s.contains(marks[0]));
        for mark in marks {
            assert!(screen.contains(mark), "{title} shows {mark:?}:\n{screen}");
        }
    }
    // Long content scrolls: the raw JSON is taller than the screen.
    assert_eq!(console.row(3), "{", "raw JSON starts at the top");
    console.keys("j");
    console.wait_until("scrolled one line", WAIT, |_| console.row(3) != "{");
    console.keys("G");
    console.wait_until("the end of the raw JSON", WAIT, |_| console.row(21) == "}");
    // Shift-Tab goes back.
    console.back_tab();
    console.wait_until("back to Addresses", WAIT, |_| console.inverse_text(2) == "Addresses");

    // Help lists the keys of this screen and any key closes it.
    console.keys("?");
    let screen = console.wait_for("Keys");
    assert!(screen.contains("scroll sideways"), "detail help: {screen}");
    console.keys("x");
    console.wait_until("help closed", WAIT, |s| !s.contains("scroll sideways"));
    assert_eq!(
        console.inverse_text(2),
        "Addresses",
        "closing help changed nothing else"
    );

    // Never a secret on screen: the detail was fetched without hashes.
    let raw = console.raw_output();
    assert!(
        !contains(&raw, b"hashed_password"),
        "no password hash reached the terminal"
    );
    assert!(!contains(&raw, b"$pbkdf2"), "no password hash reached the terminal");

    // Ctrl-C quits from the detail view and gives the terminal back.
    console.ctrl_c();
    assert_eq!(console.wait_exit(WAIT), Some(true), "Ctrl-C exits with status 0");
    assert_terminal_restored(&console);
}

#[test]
fn help_opens_and_closes_and_q_quits_at_200x50() {
    let demo = Demo::paged();
    let home = Home::new();
    let mut console = home.spawn_console(&demo, &[], &[], 200, 50);
    let screen = first_frame(&console);
    assert!(
        console.row(1).contains("UPDATED AT"),
        "the absolute time fits at 200: {screen}"
    );
    let row = console.row(2);
    assert!(row.contains(" UTC "), "absolute time shown: {row}");
    assert!(console.row(49).contains("q quit"), "footer on the last row");

    console.keys("?");
    let screen = console.wait_for("Keys");
    for key in ["move", "top / bottom", "search", "copy id", "quit from anywhere"] {
        assert!(screen.contains(key), "help lists {key:?}: {screen}");
    }
    console.keys("?");
    console.wait_until("help closed", WAIT, |s| !s.contains("quit from anywhere"));
    // q while help is open only closes the help.
    console.keys("?");
    console.wait_for("quit from anywhere");
    console.keys("q");
    console.wait_until("help closed", WAIT, |s| !s.contains("quit from anywhere"));
    assert_eq!(console.wait_exit(Duration::from_millis(300)), None, "still running");
    quit_and_check_restored(&mut console);
}

#[test]
fn resizing_redraws_and_a_tiny_terminal_is_told_so() {
    let demo = Demo::paged();
    let home = Home::new();
    let mut console = home.spawn_console(&demo, &[], &[], 80, 24);
    first_frame(&console);
    assert!(!console.row(1).contains("UPDATED AT"));
    console.resize(200, 50);
    console.wait_until("the wide layout", WAIT, |_| console.row(1).contains("UPDATED AT"));
    console.resize(50, 12);
    let screen = console.wait_for("Terminal too small");
    assert!(screen.contains("50x12"), "{screen}");
    console.resize(80, 24);
    console.wait_until("the list again", WAIT, |s| s.contains("IDENTIFIER"));
    console.ctrl_c();
    assert_eq!(console.wait_exit(WAIT), Some(true));
    assert_terminal_restored(&console);
}

/// The hostile seed: every identity whose traits carry escape sequences, by
/// e-mail, with the visible (sanitised) form of its payload.
const HOSTILE: [(&str, &str); 7] = [
    ("hostile.osc52@example.com", "Mallory\\u001b]52;c;"),
    ("hostile.osc0@example.com", "Eve\\u001b]0;root@prod"),
    ("hostile.csi2j@example.com", "Trudy\\u001b[2J\\u001b[H"),
    ("hostile.bel@example.com", "Beep\\u0007\\u0007\\u0007"),
    ("hostile.cr@example.com", "Innocent\\u000dADMIN"),
    ("hostile.c1csi@example.com", "Cee\\u009b31mOne"),
    (
        "hostile.mixed@example.com",
        "\\u001b]8;;https://evil.example/\\u001b\\\\click",
    ),
];

/// Checks the bytes written from `offset` on: no escape sequence from the data
/// reached the terminal raw.
fn assert_no_hostile_bytes(raw: &[u8]) {
    let forbidden: [(&[u8], &str); 9] = [
        (b"\x1b]52", "OSC 52 (clipboard write)"),
        (b"\x1b]0", "OSC 0 (window title)"),
        (b"\x1b]8", "OSC 8 (hyperlink)"),
        (b"\x1b[2J", "CSI 2J (clear screen)"),
        (b"\x07", "BEL"),
        (b"\r", "a raw CR"),
        (b"\xc2\x9b", "U+009B (C1 CSI)"),
        (b"\xe2\x80\xae", "U+202E (right-to-left override)"),
        (b"\x1b[5m", "blink from the external id"),
    ];
    for (bytes, what) in forbidden {
        assert!(!contains(raw, bytes), "{what} reached the terminal");
    }
    // Payloads glued to the text around them must appear only in visible form.
    for glued in [
        &b"Trudy\x1b"[..],
        b"Clear\x1b",
        b"key\x1b",
        b"Mallory\x1b",
        b"Eve\x1b",
        b"Innocent\r",
    ] {
        assert!(
            !contains(raw, glued),
            "{:?} reached the terminal",
            String::from_utf8_lossy(glued)
        );
    }
}

#[test]
fn hostile_identities_never_reach_the_terminal_raw_at_200x50() {
    let demo = Demo::start_with(|o| o.hostile = true);
    let home = Home::new();
    let mut console = home.spawn_console(&demo, &[], &[], 200, 50);
    first_frame(&console);
    // The console's own first clear is done; from here on, only data is drawn.
    let start = console.raw_len();

    // In the list: filter the loaded rows to the hostile ones.
    console.keys("/");
    console.type_text("hostile.");
    let screen = console.wait_until("the hostile rows", WAIT, |s| {
        HOSTILE.iter().all(|(email, _)| s.contains(email))
    });
    for (_, visible) in HOSTILE {
        // As much as the NAME column holds beside the whole id at 200 columns.
        let shown = &visible[..visible.len().min(36)];
        assert!(screen.contains(shown), "{shown:?} shown as visible escapes:\n{screen}");
    }
    let raw = console.raw_since(start);
    assert!(
        contains(&raw, b"Trudy\\u001b[2J\\u001b[H"),
        "the clear-screen shows as text"
    );
    assert_no_hostile_bytes(&raw);
    console.esc();

    // In the detail, every section, of every hostile identity.
    for (email, visible) in HOSTILE {
        let screen = server_search(&mut console, email);
        assert!(screen.contains("1 identity on the server matches"), "{screen}");
        console.enter();
        console.wait_until("the hostile detail", WAIT, |s| {
            s.contains("Summary") && s.contains(visible)
        });
        for _ in 0..5 {
            let before = console.inverse_text(2);
            console.tab();
            console.wait_until("the next section", WAIT, |_| console.inverse_text(2) != before);
        }
        console.wait_until("the raw JSON", WAIT, |s| s.contains("\"traits\""));
        console.esc();
        console.wait_until("the list", WAIT, |s| s.contains("IDENTIFIER"));
        console.esc();
        console.wait_until("the full list", WAIT, |s| loaded(s).is_some_and(|(n, _)| n > 1));
    }
    let raw = console.raw_since(start);
    assert_no_hostile_bytes(&raw);
    assert!(
        contains(&raw, b"hostile-\\u001b[5mosc52"),
        "the external id shows its escape"
    );
    assert!(
        contains(&raw, b"Bidi\\u202egnp.exe"),
        "the bidi override shows as an escape"
    );
    assert!(
        contains(&raw, b"\\u001b]52;c;osc52\\u0007"),
        "metadata_admin in JSON escapes"
    );
    // The console never sets the window title, from data or otherwise.
    assert_eq!(count(&console.raw_output(), b"\x1b]0;"), 0);
    quit_and_check_restored(&mut console);
}

#[test]
fn hostile_rows_at_80x24_are_cut_but_stay_inert() {
    let demo = Demo::start_with(|o| o.hostile = true);
    let home = Home::new();
    let mut console = home.spawn_console(&demo, &[], &[], 80, 24);
    first_frame(&console);
    let start = console.raw_len();
    console.keys("/");
    console.type_text("hostile.");
    // Every hostile row listed (an address may be cut to the column).
    console.wait_until("the hostile rows", WAIT, |s| {
        s.lines().filter(|l| l.starts_with("hostile.")).count() == HOSTILE.len()
    });
    // Move over every row, so each is drawn selected as well.
    for _ in 0..HOSTILE.len() {
        console.send(b"\x1b[B");
    }
    assert_no_hostile_bytes(&console.raw_since(start));
    console.ctrl_c();
    assert_eq!(console.wait_exit(WAIT), Some(true));
    assert_terminal_restored(&console);
}

#[test]
fn a_server_error_while_listing_shows_in_the_status_line_and_r_retries() {
    let demo = Demo::paged();
    let home = Home::new();
    let mut console = home.spawn_console(&demo, &[], &[], 80, 24);
    first_frame(&console);
    demo.server.set_fail_every(Some(1));
    console.keys("G");
    let screen = console.wait_until("the error", WAIT, |s| s.contains("Loading identities failed"));
    let status = status_line(&console, 24);
    assert!(
        status.contains("Loading identities failed") && status.contains("500"),
        "status line: {status}\n{screen}"
    );
    assert_eq!(loaded(&screen), Some((250, true)), "what was loaded stays: {screen}");

    // Still usable: the cursor moves, help opens and closes.
    move_up_and_see_it(&mut console);
    // The list's keys run past 25 rows: the help's own last line shows.
    console.keys("?");
    console.wait_for("closes this help");
    console.keys("?");
    console.wait_until("help closed", WAIT, |s| !s.contains("closes this help"));

    // The server recovers; r retries the page that failed, keeping the rest.
    demo.server.set_fail_every(None);
    console.keys("r");
    let screen = console.wait_until("the retried page", WAIT, |s| loaded(s).is_some_and(|(n, _)| n == 500));
    assert!(!screen.contains("failed"), "the error is gone: {screen}");
    quit_and_check_restored(&mut console);
}

#[test]
fn a_failing_first_page_shows_in_the_status_line_and_r_loads_the_list() {
    let demo = Demo::start_with(|o| {
        o.seed_count = Some(1200);
        o.fail_every = Some(1);
    });
    let home = Home::new();
    let mut console = home.spawn_console(&demo, &[], &[], 80, 24);
    let screen = console.wait_until("the error", WAIT, |s| s.contains("Loading identities failed"));
    assert!(status_line(&console, 24).contains("500"), "{screen}");
    demo.server.set_fail_every(None);
    console.keys("r");
    first_frame(&console);
    quit_and_check_restored(&mut console);
}

#[test]
fn a_dropped_connection_while_listing_shows_in_the_status_line_and_r_retries() {
    let demo = Demo::paged();
    let home = Home::new();
    let mut console = home.spawn_console(&demo, &[], &[], 80, 24);
    first_frame(&console);
    demo.server.drop_next_connections(1);
    console.keys("G");
    let screen = console.wait_until("the error", WAIT, |s| s.contains("Loading identities failed"));
    let status = status_line(&console, 24);
    assert!(
        status.contains("connection"),
        "the status names the connection: {status}\n{screen}"
    );
    move_up_and_see_it(&mut console);
    console.keys("r");
    let screen = console.wait_until("the retried page", WAIT, |s| loaded(s).is_some_and(|(n, _)| n == 500));
    assert!(!screen.contains("failed"), "the error is gone: {screen}");
    quit_and_check_restored(&mut console);
}

/// The line above the list's rows (the badge): the filter or search shown
/// and how many rows of how many.
fn badge(screen: &str) -> String {
    screen.lines().nth(1).unwrap_or_default().trim().to_owned()
}

/// The number before `word` in `text` ("279 prefix" -> 279), `+` dropped.
fn count_before(text: &str, word: &str) -> Option<usize> {
    let at = text.find(word)?;
    let number = text[..at].trim_end().rsplit([' ', '(']).next()?;
    number.trim_end_matches('+').parse().ok()
}

/// Issue 14's first ticket on a 20,000-identity tenant: `/sofia` filters
/// the few loaded rows; Enter asks the server for the prefix and lists
/// what it finds (279 in the demo's seed, two pages), each row marked by
/// how it was found; the badge says how many, survives a visit to the
/// detail, and Esc brings the full list back.
#[test]
fn slash_sofia_enter_lists_the_servers_prefix_matches_beyond_the_loaded_rows() {
    let demo = Demo::start_with(|o| o.seed_count = Some(20_000));
    let home = Home::new();
    let mut console = home.spawn_console(&demo, &[], &[], 200, 50);
    first_frame(&console);
    wait_idle(&console);

    console.keys("/");
    console.wait_until("the search prompt", WAIT, |s| s.contains("ask the server"));
    console.type_text("sofia");
    let screen = console.wait_until("the loaded rows filtered", WAIT, |s| {
        badge(s).starts_with("filter “sofia”") && badge(s).contains("of 250+ loaded")
    });
    let loaded_here = count_before(&badge(&screen), "of 250+").unwrap_or(usize::MAX);
    assert!(loaded_here < 20, "a few Sofias among the loaded rows: {screen}");

    console.enter();
    let screen = console.wait_until("the server's answer", WAIT, |s| s.contains("on the server match"));
    let first = badge(&screen);
    assert!(first.starts_with("search “sofia” · 250 of 250+"), "{screen}");
    let prefix = count_before(&first, "prefix").unwrap_or(0);
    assert!(
        prefix > loaded_here,
        "the server finds more than the loaded rows hold ({prefix} > {loaded_here}): {screen}"
    );
    let marked = screen.lines().filter(|l| l.starts_with("prefix ")).count();
    assert!(marked > 40, "rows say they are prefix matches: {screen}");
    assert!(screen.contains("MATCH"), "{screen}");
    assert!(
        screen
            .lines()
            .filter(|l| l.starts_with("prefix "))
            .all(|l| l.contains("sofia")),
        "{screen}"
    );

    // The rest arrives as the cursor nears the end.
    console.keys("G");
    let screen = console.wait_until("every prefix match", WAIT, |s| {
        badge(s).starts_with("search “sofia” · 279 of 279 (279 prefix)")
    });
    assert!(
        screen.contains("279 identities on the server match “sofia”"),
        "{screen}"
    );

    // Into the detail of the last match and back: the results and the badge stay.
    console.enter();
    console.wait_for("Summary");
    console.esc();
    let screen = console.wait_until("the results again", WAIT, |s| s.contains("MATCH"));
    assert!(badge(&screen).starts_with("search “sofia” · 279 of 279"), "{screen}");

    // Esc: the full list, without a badge.
    console.esc();
    let screen = console.wait_until("the full list again", WAIT, |s| {
        !s.contains("MATCH") && loaded(s).is_some_and(|(n, _)| n >= 250)
    });
    assert!(badge(&screen).starts_with("IDENTIFIER"), "no badge: {screen}");
    quit_and_check_restored(&mut console);
}
