//! Sessions in the console, as a support person handles "my account was
//! taken over": the real `idcon` binary in a pseudo-terminal against the
//! demo server, the identity's Sessions section read, one session revoked,
//! one extended, then all of them revoked; each asked first, sent signed
//! (the demo refuses anything else) and recorded in the audit trail.
//!
//! Every wait is bounded (the harness panics with the screen on timeout).

use crate::support::console_env::{Demo, Home, first_identity, id_of, wait_detail_loaded};
use crate::support::pty::{Console, WAIT};

/// The Sessions section once its sessions are read.
fn sessions_read(console: &Console) -> String {
    console.wait_until("the sessions", WAIT, |s| {
        s.contains("sessions, newest first") && s.contains(" read") && !s.contains("loading sessions")
    })
}

/// The short id the status line names after "{verb} session ".
fn short_id_after(screen: &str, verb: &str) -> String {
    let Some(at) = screen.find(verb) else {
        panic!("no {verb:?} on screen:\n{screen}");
    };
    screen[at + verb.len()..].chars().take(8).collect()
}

/// The row of the session whose id starts with `short`.
fn row_of(screen: &str, short: &str) -> String {
    screen
        .lines()
        .find(|l| l.trim_start_matches(['▶', ' ']).starts_with(short))
        .unwrap_or_else(|| panic!("no session {short} on screen:\n{screen}"))
        .to_owned()
}

#[test]
fn revoke_one_extend_one_then_revoke_all_from_the_sessions_section() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let id = id_of(&first_identity());
    console.enter();
    wait_detail_loaded(&console, &id);
    console.keys("7");
    let screen = sessions_read(&console);
    assert!(
        screen.contains("active"),
        "the demo gives each identity active sessions:\n{screen}"
    );

    // x: the chosen (newest) session, asked first, then revoked.
    console.keys("x");
    let screen = console.wait_for("Revoke a session");
    assert!(screen.contains(&id), "the question names the identity:\n{screen}");
    console.keys("y");
    let screen = console.wait_until("the revoke's answer", WAIT, |s| {
        s.contains("Revoked session") && s.contains(" read") && !s.contains("loading sessions")
    });
    let revoked = short_id_after(&screen, "Revoked session ");
    assert!(screen.contains("HTTP 204"), "{screen}");
    let screen = sessions_read(&console);
    assert!(
        row_of(&screen, &revoked).contains("inactive"),
        "Kratos deactivates a revoked session, it stays listed:\n{screen}"
    );

    // +: extends the chosen session; the server answers with its new expiry.
    console.keys("+");
    console.wait_for("Extend a session");
    console.keys("y");
    let screen = console.wait_until("the extend's answer", WAIT, |s| s.contains("Extended session"));
    assert!(screen.contains("now expires"), "{screen}");
    let extended = short_id_after(&screen, "Extended session ");
    let screen = sessions_read(&console);
    assert!(
        row_of(&screen, &extended).contains("active"),
        "an extended session is active:\n{screen}"
    );

    // X: all of them, then none is left.
    console.keys("X");
    console.wait_for("Revoke all sessions");
    console.keys("n");
    console.wait_for("Nothing was sent");
    console.keys("X");
    console.wait_for("Revoke all sessions");
    console.keys("y");
    let screen = console.wait_until("no sessions left", WAIT, |s| {
        s.contains("Revoked all sessions of this identity") && s.contains("No sessions.")
    });
    assert!(screen.contains("HTTP 204"), "{screen}");

    // The audit trail: intent and outcome of each write, the session ids, never a token.
    let trail = std::fs::read_to_string(home.audit_file()).unwrap_or_else(|e| panic!("audit trail: {e}"));
    let lines: Vec<&str> = trail.lines().filter(|l| l.contains("/sessions")).collect();
    assert_eq!(
        lines.iter().filter(|l| l.contains("\"intent\"")).count(),
        3,
        "three intents:\n{trail}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.contains("\"outcome\"")).count(),
        3,
        "three outcomes:\n{trail}"
    );
    assert!(lines.iter().any(|l| l.contains(&revoked)), "{trail}");
    assert!(lines.iter().any(|l| l.contains(&extended)), "{trail}");
    assert!(!trail.to_lowercase().contains("tokenized"), "{trail}");
}

#[test]
fn a_read_only_profile_refuses_revoking_and_sends_nothing() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &["--read-only"], &[]);
    let id = id_of(&first_identity());
    console.enter();
    wait_detail_loaded(&console, &id);
    console.keys("7");
    sessions_read(&console);
    console.keys("X");
    let screen = console.wait_for("read-only");
    assert!(
        !screen.contains("Revoke all sessions"),
        "no question on a read-only profile:\n{screen}"
    );
    console.keys("r");
    let screen = sessions_read(&console);
    assert!(
        !screen.contains("No sessions."),
        "the sessions are still there:\n{screen}"
    );
}

#[test]
fn deactivating_with_revoke_all_revokes_the_sessions_after_the_put() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let first = first_identity();
    let id = id_of(&first);
    if first["state"] != "active" {
        panic!("the first demo identity is expected active: {first}");
    }
    console.enter();
    wait_detail_loaded(&console, &id);
    console.keys("7");
    let screen = sessions_read(&console);
    assert!(!screen.contains("No sessions."), "{screen}");
    console.keys("s");
    console.wait_for("Change state");
    console.keys("i");
    let screen = console.wait_for("[x] also revoke all sessions");
    assert!(screen.contains("r toggles"), "{screen}");
    console.send(crate::support::console_env::CTRL_S);
    console.wait_for("Send this change?");
    console.keys("y");
    let screen = console.wait_until("the PUT and the revoke-all", WAIT, |s| {
        s.contains("Response  ✓ 200 OK") && s.contains("Revoked all sessions of this identity")
    });
    assert!(
        screen.contains("Saved."),
        "what the PUT did is still said first:\n{screen}"
    );
    assert_eq!(demo.identity(&id)["state"], "inactive");
    console.esc();
    wait_detail_loaded(&console, &id);
    console.keys("r");
    let screen = console.wait_until("the sessions read again", WAIT, |s| {
        s.contains("No sessions.") && !s.contains("loading sessions")
    });
    assert!(screen.contains("Sessions"), "{screen}");
    // Its own audit lines: the PUT's, then the revoke-all's.
    let trail = std::fs::read_to_string(home.audit_file()).unwrap_or_else(|e| panic!("audit trail: {e}"));
    let put = trail
        .find("\"PUT\"")
        .unwrap_or_else(|| panic!("no PUT in the trail:\n{trail}"));
    let revoke = trail
        .find(&format!("/identities/{id}/sessions"))
        .unwrap_or_else(|| panic!("no revoke-all in the trail:\n{trail}"));
    assert!(put < revoke, "the revoke-all comes after the PUT:\n{trail}");
}
