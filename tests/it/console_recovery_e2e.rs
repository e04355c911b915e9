//! Recovery in the console, as a support person handles "I can't get back
//! in": the real `idcon` binary in a pseudo-terminal against the demo
//! server, `R` on the identity, a link and then a code made, each asked
//! first, shown once, copied with OSC 52, and never written anywhere: not
//! the log (at debug level), not the audit trail (which records that it was
//! made, for whom, why and until when), not drafts, not any file idcon
//! wrote under its home.
//!
//! Every wait is bounded (the harness panics with the screen on timeout).

use std::path::Path;

use base64::Engine as _;

use crate::support::console_env::{Demo, Home, RIGHT, contains, first_identity, id_of, wait_detail_loaded};
use crate::support::pty::{Console, WAIT};

/// Every file under `dir`, the demo key (written by the test) left out.
fn files_under(dir: &Path, key: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, key, out);
        } else if path != key {
            out.push(path);
        }
    }
}

/// `needle` in `haystack` not touching another digit (a code is six digits;
/// inside a longer run of digits it is not the code).
fn standalone(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).enumerate().any(|(at, w)| {
        w == needle
            && !haystack.get(at.wrapping_sub(1)).is_some_and(u8::is_ascii_digit)
            && !haystack.get(at + needle.len()).is_some_and(u8::is_ascii_digit)
    })
}

/// The answer screen, once it is there.
fn answer(console: &Console) -> String {
    console.wait_until("the recovery answer", WAIT, |s| {
        s.contains("Shown once, here only") && s.contains("expires")
    })
}

/// The link as drawn: the lines under `label`, up to the blank line, joined.
fn link_under(screen: &str, label: &str) -> String {
    let mut lines = screen.lines().skip_while(|l| l.trim() != label);
    lines.next();
    lines
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<String>()
}

/// The code from its spaced line (`0 4 3   9 1 7`).
fn code_of(screen: &str) -> String {
    let line = screen
        .lines()
        .find(|l| {
            let t = l.trim();
            !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == ' ') && t.contains(' ')
        })
        .unwrap_or_else(|| panic!("no spaced code on screen:\n{screen}"));
    line.chars().filter(char::is_ascii_digit).collect()
}

#[test]
fn a_link_and_a_code_are_shown_once_copied_and_never_written_anywhere() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[("IDCON_LOG", "debug")]);
    let first = first_identity();
    let id = id_of(&first);
    let email = first["traits"]["email"].as_str().unwrap_or_default().to_owned();
    console.enter();
    wait_detail_loaded(&console, &id);

    // R: the choices; an expiry typed; Enter asks once, naming the person.
    console.keys("R");
    let screen = console.wait_for("Recovery for");
    assert!(screen.contains(&email), "the screen names the person:\n{screen}");
    console.tab();
    console.keys("30m");
    console.wait_for("✓ valid 30m0s after it is made");
    console.enter();
    let screen = console.wait_for("valid 30m? y/n");
    assert!(
        screen.contains(&format!("Create a recovery link for {email}")),
        "{screen}"
    );
    console.keys("y");
    let screen = answer(&console);
    let link = link_under(&screen, "link");
    assert!(
        link.starts_with("http://") && link.contains("/self-service/recovery?flow=") && link.contains("&token="),
        "the whole link on screen, on lines of its own:\n{screen}"
    );
    assert!(
        screen.contains("(in 29 min)") || screen.contains("(in 30 min)"),
        "{screen}"
    );

    // y copies it with OSC 52: the terminal gets exactly the link.
    let before = console.raw_len();
    console.keys("y");
    console.wait_for("Copied the link");
    let osc = format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(link.as_bytes())
    );
    assert!(
        contains(&console.raw_since(before), osc.as_bytes()),
        "the link went to the clipboard"
    );

    // Leaving asks; n stays on the answer; y leaves and it is gone.
    console.esc();
    console.wait_for("The link will not be shown again. Leave? y/n");
    console.keys("n");
    console.wait_for("y copies the link");
    console.esc();
    console.wait_for("Leave? y/n");
    console.keys("y");
    let screen = console.wait_for("Left the recovery screen");
    assert!(!screen.contains("token="), "{screen}");

    // A code, with the server's default expiry.
    console.keys("R");
    console.wait_for("Recovery for");
    console.send(RIGHT);
    console.enter();
    console.wait_until("the code's question", WAIT, |s| {
        s.contains("Create a recovery code") && s.contains("default lifespan") && s.contains("? y/n")
    });
    console.keys("y");
    let screen = answer(&console);
    let code = code_of(&screen);
    assert_eq!(code.len(), 6, "a six-digit code:\n{screen}");
    let code_link = link_under(&screen, "enter it at");
    assert!(code_link.contains("recovery?flow="), "{screen}");
    console.esc();
    console.wait_for("The code will not be shown again");
    console.keys("y");
    console.wait_for("Left the recovery screen");

    // H: the history says what was made and until when, never the secret.
    console.keys("H");
    let screen = console.wait_for("recovery link created");
    assert!(screen.contains("recovery code created"), "{screen}");
    assert!(!screen.contains("token="), "{screen}");
    console.ctrl_c();
    assert_eq!(console.wait_exit(WAIT), Some(true), "the console quits cleanly");

    // Nothing idcon wrote holds either secret: log, audit trail, drafts, all.
    let token = link.split("token=").nth(1).unwrap_or_default().to_owned();
    assert!(token.len() >= 16, "a token was read: {token:?}");
    let mut files = Vec::new();
    files_under(home.dir.path(), &home.key, &mut files);
    assert!(files.contains(&home.log_file()), "the log was written: {files:?}");
    assert!(files.contains(&home.audit_file()), "{files:?}");
    for file in &files {
        let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            !contains(&bytes, token.as_bytes()),
            "the link's token is in {}",
            file.display()
        );
        assert!(!contains(&bytes, link.as_bytes()), "the link is in {}", file.display());
        assert!(
            !contains(&bytes, code_link.as_bytes()),
            "the code's link is in {}",
            file.display()
        );
        assert!(
            !standalone(&bytes, code.as_bytes()),
            "the code is in {}",
            file.display()
        );
    }

    // The audit trail: intent and outcome of each, for whom, until when.
    let trail = std::fs::read_to_string(home.audit_file()).unwrap_or_else(|e| panic!("audit trail: {e}"));
    let lines: Vec<serde_json::Value> = trail
        .lines()
        .filter(|l| l.contains("/recovery/"))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let events: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["event"].as_str().unwrap_or(""), l["url"].as_str().unwrap_or("")))
        .map(|(event, url)| (event, url.split('?').next().unwrap_or("")))
        .map(|(event, path)| (event, path.rsplit('/').next().unwrap_or("")))
        .collect();
    assert_eq!(
        events,
        [
            ("intent", "link"),
            ("outcome", "link"),
            ("intent", "code"),
            ("outcome", "code")
        ],
        "{trail}"
    );
    assert_eq!(lines[0]["identity_id"], id.as_str());
    assert_eq!(lines[0]["identifier"], email.as_str());
    assert_eq!(lines[0]["changes"][0]["pointer"], "/recovery/link");
    assert_eq!(lines[0]["changes"][0]["new"]["expires_in"], "30m");
    for outcome in [&lines[1], &lines[3]] {
        assert!(outcome["status"].as_u64().is_some_and(|s| s < 300), "{trail}");
        assert!(
            outcome["expires_at"].as_str().is_some_and(|t| t.starts_with("20")),
            "the outcome says until when: {trail}"
        );
    }
}

#[test]
fn recovery_switched_off_is_said_in_words_and_the_other_method_still_works() {
    let demo = Demo::start();
    demo.server.set_recovery_method("link", false);
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let id = id_of(&first_identity());
    console.enter();
    wait_detail_loaded(&console, &id);
    console.keys("R");
    console.wait_for("Recovery for");
    console.enter();
    console.wait_for("? y/n");
    console.keys("y");
    let screen = console.wait_for("No recovery link was made");
    assert!(
        screen.contains("recovery by link is switched off on this server"),
        "plain words on the screen:\n{screen}"
    );
    // The choices stay: a code instead.
    console.send(RIGHT);
    console.enter();
    console.wait_for("Create a recovery code");
    console.keys("y");
    let screen = answer(&console);
    assert_eq!(code_of(&screen).len(), 6, "{screen}");
}

#[test]
fn a_read_only_profile_refuses_recovery_without_asking_or_sending() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &["--read-only"], &[]);
    let id = id_of(&first_identity());
    console.enter();
    wait_detail_loaded(&console, &id);
    console.keys("R");
    let screen = console.wait_for("read-only");
    assert!(
        !screen.contains("Recovery for"),
        "no screen on a read-only profile:\n{screen}"
    );
    console.ctrl_c();
    assert_eq!(console.wait_exit(WAIT), Some(true));
    let trail = std::fs::read_to_string(home.audit_file()).unwrap_or_default();
    assert!(
        trail.lines().any(|l| l.contains("\"refusal\"") && l.contains(&id)),
        "the refusal is recorded:\n{trail}"
    );
    assert!(!trail.contains("\"intent\""), "nothing was sent:\n{trail}");
}
