//! Reading long values in a real terminal: the `idcon` binary in a pty
//! against the demo server; an identity opened, its raw JSON searched with
//! `/` and stepped through with `n`, the match in reverse video, wrapping
//! toggled with `w`. Every wait is bounded and waits for what the screen
//! shows (the harness panics with the screen on timeout).

use crate::support::console_env::Demo;
use crate::support::console_env::{Home, first_identity, id_of, wait_detail_loaded};
use crate::support::pty::{Console, WAIT};

/// "match K of N for …" on the screen: (K, N).
fn match_position(screen: &str) -> Option<(usize, usize)> {
    let at = screen.find("match ")?;
    let mut words = screen[at + "match ".len()..].split_whitespace();
    let current = words.next()?.parse().ok()?;
    let _of = words.next().filter(|w| *w == "of")?;
    let total = words.next()?.parse().ok()?;
    Some((current, total))
}

/// The rows whose reverse-video text is exactly `text` (the current match;
/// the selected tab is reverse video too, but reads otherwise).
fn rows_marked(console: &Console, text: &str) -> Vec<u16> {
    console
        .inverse_rows()
        .into_iter()
        .filter(|&row| console.inverse_text(row) == text)
        .collect()
}

#[test]
fn raw_json_is_searched_with_slash_and_n_steps_through_the_matches() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let first = first_identity();
    let id = id_of(&first);
    let email = first["traits"]["email"].as_str().unwrap_or_default().to_owned();
    let Some((local, _)) = email.split_once('@') else {
        panic!("the first demo identity has no e-mail: {first}");
    };

    // The first row is the identity with the smallest id.
    console.enter();
    wait_detail_loaded(&console, &id);
    // 6: straight to the raw JSON.
    console.keys("6");
    console.wait_until("the raw JSON", WAIT, |s| s.contains("\"schema_id\":"));

    console.keys("/");
    console.wait_until("the search prompt", WAIT, |s| s.contains("Enter finds"));
    console.type_text(local);
    console.wait_until("the search typed", WAIT, |s| s.contains(&format!("/{local}")));
    console.enter();
    let screen = console.wait_until("the first match", WAIT, |s| {
        match_position(s).is_some_and(|(k, n)| k == 1 && n >= 2)
    });
    let total = match_position(&screen).map_or(0, |(_, n)| n);
    assert!(screen.contains(&format!("for “{local}”")), "{screen}");
    assert_eq!(rows_marked(&console, local).len(), 1, "one current match:\n{screen}");
    let first_row = rows_marked(&console, local);

    console.keys("n");
    let screen = console.wait_until("the second match", WAIT, |s| match_position(s) == Some((2, total)));
    let second_row = rows_marked(&console, local);
    assert_eq!(second_row.len(), 1, "the second match is marked:\n{screen}");
    assert_ne!(first_row, second_row, "n moved to another line:\n{screen}");

    // N goes back; w wraps and the search stays.
    console.keys("N");
    console.wait_until("back to the first match", WAIT, |s| {
        match_position(s) == Some((1, total))
    });
    console.keys("w");
    console.keys("n");
    let screen = console.wait_until("the second match, wrapped", WAIT, |s| {
        match_position(s) == Some((2, total))
    });
    assert_eq!(rows_marked(&console, local).len(), 1, "{screen}");

    // Esc leaves the detail; q quits cleanly.
    console.esc();
    console.wait_until("the list", WAIT, |s| s.contains("IDENTIFIER"));
    console.keys("q");
    assert_eq!(console.wait_exit(WAIT), Some(true), "q exits with status 0");
}
