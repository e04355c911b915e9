//! Safe on production, proven as a support person meets it: the real `idcon`
//! binary in a pseudo-terminal against the demo server.
//!
//! - The audit trail after a successful PUT, a failed PUT and a read-only
//!   refusal holds exactly the expected lines, privately (0600 in 0700), each
//!   line complete, and a password typed into the credentials form is nowhere
//!   on disk (audit trail, log, drafts).
//! - A trait edit survives the console being killed with SIGHUP (a dropped SSH
//!   session): the next start says a draft waits, offers it on the identity,
//!   and restoring it gives the typed text byte for byte; sending it removes
//!   the draft.
//! - A waiting draft can be viewed as a diff (`v`) and discarded (`x`).
//!
//! Every wait is bounded (the harness panics with the screen on timeout).

use crate::support::pty;

use crate::support::console_env;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use console_env::{
    DOWN, Demo, END, Home, LEFT, ROWS, contains, curated, first_identity, id_of, open_detail, review,
    send_and_wait_response, wait_detail_loaded,
};
use pty::{Console, WAIT};
use serde_json::{Value, json};

/// Who the audit trail must name: set in the console's environment.
const USER: &str = "support-ana";
const SSH_CONNECTION: &str = "203.0.113.7 52144 10.0.0.5 22";
const SSH_CLIENT_SEEN: &str = "203.0.113.7:52144";

/// Opens the console as [`USER`] over SSH from [`SSH_CLIENT_SEEN`], with
/// `extra` flags and `env` added, and waits for the first list frame.
fn open_console(home: &Home, demo: &Demo, extra: &[&str], env: &[(&str, &str)]) -> Console {
    let mut all_env = vec![("USER", USER), ("SSH_CONNECTION", SSH_CONNECTION)];
    all_env.extend_from_slice(env);
    home.console(demo, extra, &all_env)
}

/// Ctrl-C, and the console must be gone soon after.
fn quit(console: &mut Console) {
    console.ctrl_c();
    assert!(console.wait_exit(WAIT).is_some(), "the console quits on Ctrl-C");
}

fn mode_of(path: &Path) -> u32 {
    match std::fs::metadata(path) {
        Ok(meta) => meta.permissions().mode() & 0o7777,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

/// Polls (bounded) until `check` holds; panics with `what` otherwise.
fn wait_for_disk<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(found) = check() {
            return found;
        }
        if Instant::now() >= deadline {
            panic!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The audit trail, one parsed JSON value per line; every line must parse.
fn audit_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .enumerate()
        .map(|(n, line)| match serde_json::from_str::<Value>(line) {
            Ok(value) if value.is_object() => value,
            Ok(other) => panic!("audit line {} is not a JSON object: {other}", n + 1),
            Err(e) => panic!("audit line {} is not valid JSON ({e}): {line}", n + 1),
        })
        .collect()
}

/// Waits (bounded) until the trail holds `count` lines.
fn wait_audit_lines(path: &Path, count: usize) -> Vec<Value> {
    wait_for_disk(&format!("{count} audit lines in {}", path.display()), || {
        let lines = audit_lines(path);
        (lines.len() >= count).then_some(lines)
    })
}

fn text<'a>(line: &'a Value, key: &str) -> &'a str {
    match line.get(key).and_then(Value::as_str) {
        Some(text) => text,
        None => panic!("audit line without a string {key:?}: {line}"),
    }
}

/// What every line must say about who, when, where and what.
fn assert_line_is_complete(line: &Value, base_url: &str, identity_id: &str, event: &str) {
    assert_eq!(text(line, "event"), event, "{line}");
    let time = text(line, "time");
    assert!(
        chrono::DateTime::parse_from_rfc3339(time).is_ok() && time.ends_with('Z'),
        "time is RFC 3339 UTC: {line}"
    );
    // The account of the process's uid ($USER can be set by anyone); $USER only
    // when the uid has no account entry.
    let uid = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").expect("/proc/self"));
    let account = idcon::audit::account_name(uid).unwrap_or_else(|| USER.to_owned());
    assert_eq!(text(line, "user"), account, "the OS user: {line}");
    assert_eq!(text(line, "ssh_client"), SSH_CLIENT_SEEN, "the SSH client: {line}");
    assert!(text(line, "tty").starts_with("/dev/"), "the terminal: {line}");
    assert!(!text(line, "host").is_empty(), "the host: {line}");
    assert!(!text(line, "profile").is_empty(), "the profile: {line}");
    assert!(!text(line, "request_id").is_empty(), "a request id: {line}");
    assert_eq!(text(line, "base_url"), base_url, "{line}");
    assert_eq!(text(line, "method"), "PUT", "{line}");
    // The URL as sent: the identity's, plus at most the signing's nonce and
    // timestamp (the signature itself travels in a header, never here).
    let url = text(line, "url");
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    assert_eq!(path, format!("{base_url}/admin/identities/{identity_id}"), "{line}");
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let key = pair.split('=').next().unwrap_or_default();
        assert!(
            ["nonce", "timestamp"].contains(&key),
            "unexpected {key:?} in the URL: {line}"
        );
    }
    assert_eq!(text(line, "identity_id"), identity_id, "{line}");
    // Lines without changes (outcomes, refusals before a form opened) leave
    // the member out; when present it is the field-level diff.
    if let Some(changes) = line.get("changes") {
        assert!(changes.is_array(), "changes is a list: {line}");
    }
}

/// The `changes` of a line as (pointer, old, new).
fn changes(line: &Value) -> Vec<(String, Option<Value>, Option<Value>)> {
    line.get("changes")
        .and_then(Value::as_array)
        .map(|all| {
            all.iter()
                .map(|c| {
                    (
                        c["pointer"].as_str().unwrap_or_default().to_owned(),
                        c.get("old").cloned(),
                        c.get("new").cloned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every file under `dir` (recursively) whose bytes hold `needle`.
fn files_holding(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_holding(&path, needle));
        } else if std::fs::read(&path).is_ok_and(|bytes| contains(&bytes, needle)) {
            found.push(path);
        }
    }
    found
}

/// Toggles the state in the open state form; returns the new state.
fn toggle_state(console: &mut Console, was: &str) -> &'static str {
    console.keys("s");
    console.wait_for("Change state");
    console.keys(" ");
    let now = if was == "active" { "inactive" } else { "active" };
    console.wait_for(&format!("(•) {now}"));
    if now == "inactive" {
        // These tests follow the PUT alone: "also revoke all sessions" (on
        // by default, its own audit lines) is turned off here and tested in
        // console_sessions_e2e.
        console.keys("r");
        console.wait_for("[ ] also revoke all sessions");
    }
    now
}

#[test]
fn the_audit_trail_holds_exactly_each_write_its_outcome_and_the_refusal_and_no_secret() {
    const PASSWORD: &str = "Corr3ct-Horse-Battery!";
    let demo = Demo::start();
    let home = Home::new();
    let base_url = demo.server.base_url();
    // The most talkative log level: even then no password may reach the log.
    let mut console = open_console(&home, &demo, &[], &[("IDCON_LOG", "trace")]);
    let first = first_identity();
    let first_id = id_of(&first);
    let was = demo.identity(&first_id)["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // 1. A successful PUT: Enter s space Ctrl-S y.
    console.enter();
    wait_detail_loaded(&console, &first_id);
    let now = toggle_state(&mut console, &was);
    review(&mut console);
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("Response  ✓ 200"), "{screen}");
    let lines = wait_audit_lines(&home.audit_file(), 2);
    assert_eq!(lines.len(), 2, "one intent and one outcome: {lines:#?}");
    let (intent, outcome) = (&lines[0], &lines[1]);
    assert_line_is_complete(intent, &base_url, &first_id, "intent");
    assert_line_is_complete(outcome, &base_url, &first_id, "outcome");
    assert_eq!(intent["request_id"], outcome["request_id"], "one request id for both");
    assert_eq!(
        changes(intent),
        vec![("/state".to_owned(), Some(json!(was)), Some(json!(now)))],
        "the intent names the field-level change: {intent}"
    );
    assert_eq!(outcome["status"], json!(200), "{outcome}");
    assert!(outcome.get("error").is_none(), "{outcome}");

    // The trail is private: the file 0600, its folder 0700.
    assert_eq!(mode_of(&home.audit_file()), 0o600, "the audit file");
    assert_eq!(mode_of(&home.state()), 0o700, "the audit folder");

    // 2. A failed PUT: the fresh GET before it is served, the PUT answers 500.
    console.esc();
    wait_detail_loaded(&console, &first_id);
    let back = toggle_state(&mut console, now);
    review(&mut console);
    demo.server.set_fail_every(Some(2));
    let screen = send_and_wait_response(&mut console);
    demo.server.set_fail_every(None);
    assert!(screen.contains("Response  ✗ 500"), "{screen}");
    let lines = wait_audit_lines(&home.audit_file(), 4);
    assert_eq!(lines.len(), 4, "one more intent and outcome: {lines:#?}");
    let (intent, outcome) = (&lines[2], &lines[3]);
    assert_line_is_complete(intent, &base_url, &first_id, "intent");
    assert_line_is_complete(outcome, &base_url, &first_id, "outcome");
    assert_eq!(intent["request_id"], outcome["request_id"], "{intent}\n{outcome}");
    assert_ne!(intent["request_id"], lines[0]["request_id"], "a new request, a new id");
    assert_eq!(
        changes(intent),
        vec![("/state".to_owned(), Some(json!(now)), Some(json!(back)))],
        "{intent}"
    );
    assert_eq!(outcome["status"], json!(500), "{outcome}");
    assert!(
        outcome
            .get("error")
            .and_then(Value::as_str)
            .is_some_and(|e| !e.is_empty()),
        "the outcome says what went wrong: {outcome}"
    );
    assert_eq!(
        demo.identity(&first_id)["state"],
        json!(now),
        "the failed PUT changed nothing"
    );
    // A change that fails is never lost: the kept form is also a draft on disk.
    wait_for_disk("the draft of the failed state change", || {
        let path = home.draft_file(&first_id)?;
        let draft: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
        // The form's choice, and whether to revoke all sessions with it.
        (draft["content"]["active"] == json!(back == "active") && draft["content"]["revoke_sessions"].is_boolean())
            .then_some(())
    });

    // Leave the kept form (discarding it) and go back to the list.
    console.esc();
    console.wait_for("Change state");
    console.esc();
    console.wait_for("Discard your changes?");
    console.keys("y");
    wait_detail_loaded(&console, &first_id);
    wait_for_disk("the discarded form's draft to go", || {
        home.draft_file(&first_id).is_none().then_some(())
    });
    console.esc();
    console.wait_for("IDENTIFIER");

    // 3. A password import through the credentials form.
    let ada = curated("ada.lovelace@example.com");
    let ada_id = id_of(&ada);
    open_detail(&mut console, "ada.lovelace@example.com", &ada_id);
    console.keys("c");
    console.wait_until("the credentials form", WAIT, |s| {
        s.contains("Credentials") && s.contains("new password")
    });
    console.type_text(PASSWORD);
    console.tab();
    console.type_text(PASSWORD);
    // Long enough for the draft timer to fire while the password is typed.
    std::thread::sleep(Duration::from_millis(1500));
    review(&mut console);
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("Response  ✓ 200"), "{screen}");
    let lines = wait_audit_lines(&home.audit_file(), 6);
    assert_eq!(lines.len(), 6, "{lines:#?}");
    let (intent, outcome) = (&lines[4], &lines[5]);
    assert_line_is_complete(intent, &base_url, &ada_id, "intent");
    assert_line_is_complete(outcome, &base_url, &ada_id, "outcome");
    assert_eq!(intent["request_id"], outcome["request_id"]);
    assert_eq!(outcome["status"], json!(200), "{outcome}");
    let credential_changes = changes(intent);
    assert!(
        !credential_changes.is_empty() && credential_changes.iter().all(|(p, _, _)| p.starts_with("/credentials")),
        "the import is recorded as a credentials change: {intent}"
    );
    assert!(
        intent["changes"].to_string().contains("<redacted>"),
        "the password stands as <redacted>: {intent}"
    );
    quit(&mut console);

    // 4. A read-only profile: every edit key is refused before anything opens,
    // and each refusal is one `refusal` line.
    let mut console = open_console(&home, &demo, &["--read-only"], &[]);
    assert!(console.row(0).contains("READ-ONLY"), "{}", console.row(0));
    let before = demo.identity(&ada_id);
    open_detail(&mut console, "ada.lovelace@example.com", &ada_id);
    console.keys("e");
    console.wait_until("the read-only refusal", WAIT, |_| {
        console
            .row(ROWS - 2)
            .contains("is read-only: nothing can be changed or sent")
    });
    let lines = wait_audit_lines(&home.audit_file(), 7);
    assert_eq!(lines.len(), 7, "exactly one line for the refusal: {lines:#?}");
    let refusal = &lines[6];
    assert_line_is_complete(refusal, &base_url, &ada_id, "refusal");
    assert!(
        refusal
            .get("reason")
            .and_then(Value::as_str)
            .is_some_and(|r| r.contains("read-only")),
        "the refusal says why: {refusal}"
    );
    assert!(refusal.get("status").is_none(), "nothing was sent: {refusal}");
    assert_ne!(refusal["profile"], Value::Null);
    quit(&mut console);
    assert_eq!(demo.identity(&ada_id), before, "the read-only console changed nothing");
    // Exactly those seven lines, in that order, and nothing else.
    let events: Vec<String> = audit_lines(&home.audit_file())
        .iter()
        .map(|l| l["event"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        events,
        ["intent", "outcome", "intent", "outcome", "intent", "outcome", "refusal"]
    );
    assert_eq!(mode_of(&home.audit_file()), 0o600, "still private after a second run");

    // The password is nowhere: not in the trail, the log, the drafts, nor
    // anywhere else under the user's home.
    assert!(
        home.log_file().is_file(),
        "the console logged to {}",
        home.log_file().display()
    );
    for secret in [PASSWORD, "Horse-Battery"] {
        let leaks = files_holding(home.dir.path(), secret.as_bytes());
        assert!(leaks.is_empty(), "{secret:?} reached the disk in {leaks:?}");
    }
    assert!(
        home.draft_file(&ada_id).is_none(),
        "no draft of the credentials form was kept"
    );
}

/// Types `typed` into the `"first"` member of Ada's traits editor: line 4 is
/// `    "first": "Ada",`; to its end, back over `",`, type.
fn type_into_first_name(console: &mut Console, typed: &str) {
    for _ in 0..3 {
        console.send(DOWN);
    }
    console.send(END);
    console.send(LEFT);
    console.send(LEFT);
    console.type_text(typed);
}

/// The traits editor's text once `typed` was added to the first name, as the
/// console shows a fresh form of `traits`.
fn traits_text_with(traits: &Value, typed: &str) -> String {
    let original = idcon::app::json_edit::editable_text(traits);
    let line = "\"first\": \"Ada\",";
    assert!(original.contains(line), "the editor shows {line}:\n{original}");
    original.replacen(line, &format!("\"first\": \"Ada{typed}\","), 1)
}

/// The text a draft file keeps for the traits form.
fn draft_text(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let draft: Value = serde_json::from_slice(&bytes).ok()?;
    draft["content"]["text"].as_str().map(str::to_owned)
}

#[test]
fn a_trait_edit_survives_sighup_and_restores_byte_for_byte_and_a_send_removes_the_draft() {
    // Escaped quotes, a backslash pair, runs of spaces, non-ASCII letters.
    const TYPED_BEFORE_SAVE: &str = "lia «é» \\\"q\\\"";
    const TYPED_BEFORE_HUP: &str = "  ß\\\\ü  z";
    let demo = Demo::start();
    let home = Home::new();
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let traits = demo.identity(&id)["traits"].clone();

    let mut console = open_console(&home, &demo, &[], &[]);
    open_detail(&mut console, "ada.lovelace@example.com", &id);
    console.keys("e");
    // F2: the JSON editor (`e` opens the form built from the schema).
    console.send(b"\x1bOQ");
    console.wait_until("the traits editor", WAIT, |s| {
        s.contains("Edit traits") && s.contains("\"first\": \"Ada\"")
    });
    type_into_first_name(&mut console, TYPED_BEFORE_SAVE);
    let expected_first = traits_text_with(&traits, TYPED_BEFORE_SAVE);
    // Saved while typing (at most once a second), without any signal.
    let path = wait_for_disk("the first draft save", || {
        let path = home.draft_file(&id)?;
        (draft_text(&path)? == expected_first).then_some(path)
    });
    assert_eq!(mode_of(&path), 0o600, "the draft file is private");
    assert_eq!(mode_of(&home.drafts()), 0o700, "the drafts folder is private");

    // More typing, then the SSH session drops before the next timed save.
    console.type_text(TYPED_BEFORE_HUP);
    let typed = format!("{TYPED_BEFORE_SAVE}{TYPED_BEFORE_HUP}");
    let shown_line = format!("\"first\": \"Ada{typed}\",");
    console.wait_until("the typed text on screen", WAIT, |s| s.contains(&shown_line));
    let pid = match console.pid() {
        Some(pid) => pid.to_string(),
        None => panic!("the console has no pid"),
    };
    let killed = std::process::Command::new("kill").args(["-HUP", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()), "kill -HUP {pid}");
    assert!(console.wait_exit(WAIT).is_some(), "the console leaves on SIGHUP");
    drop(console);

    let expected = traits_text_with(&traits, &typed);
    assert_eq!(
        draft_text(&path).as_deref(),
        Some(expected.as_str()),
        "the draft holds the form's text exactly, saved on SIGHUP"
    );
    assert_eq!(mode_of(&path), 0o600, "still private after the last save");

    // The next start: the status says a draft waits.
    let mut console = open_console(&home, &demo, &[], &[]);
    console.wait_until("the drafts-waiting status", WAIT, |_| {
        console.row(ROWS - 2).contains("1 draft is waiting")
    });
    // The identity offers it; Enter restores it into the traits editor.
    let screen = open_detail(&mut console, "ada.lovelace@example.com", &id);
    let screen = if screen.contains("Draft of the traits form from") {
        screen
    } else {
        console.wait_for("Draft of the traits form from")
    };
    assert!(screen.contains("Enter restore") && screen.contains("v diff") && screen.contains("x discard"));
    console.enter();
    let screen = console.wait_until("the restored editor", WAIT, |s| {
        s.contains("Edit traits") && s.contains(&shown_line)
    });
    assert!(screen.contains("restored"), "the status says so:\n{screen}");
    // Each line of the restored text stands on screen, in order.
    let rows: Vec<&str> = screen.lines().collect();
    let mut at = 0;
    for line in expected.lines() {
        match rows[at..].iter().position(|row| row.contains(line)) {
            Some(found) => at += found + 1,
            None => panic!("restored line {line:?} is not on screen (in order):\n{screen}"),
        }
    }
    // The restored form is what the draft held: sent, the server gets exactly
    // the typed first name.
    let screen = review(&mut console);
    assert!(screen.contains("- /traits/name/first: \"Ada\""), "{screen}");
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("Response  ✓ 200"), "{screen}");
    let sent_first: String = match serde_json::from_str(&format!("\"Ada{typed}\"")) {
        Ok(first) => first,
        Err(e) => panic!("the typed text is a JSON string body: {e}"),
    };
    let after = demo.identity(&id);
    assert_eq!(after["traits"]["name"]["first"], json!(sent_first), "byte for byte");
    let mut expected_traits = traits.clone();
    expected_traits["name"]["first"] = json!(sent_first);
    assert_eq!(after["traits"], expected_traits, "nothing else in the traits changed");
    // A successful PUT removes the draft.
    wait_for_disk("the draft to be removed after the send", || {
        (!path.exists()).then_some(())
    });
    quit(&mut console);

    // And the next start has nothing waiting.
    let mut console = open_console(&home, &demo, &[], &[]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!console.screen().contains("draft"), "{}", console.screen());
    quit(&mut console);
}

#[test]
fn a_waiting_draft_shows_its_diff_with_v_and_x_discards_it() {
    const TYPED: &str = "lia";
    let demo = Demo::start();
    let home = Home::new();
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let traits = demo.identity(&id)["traits"].clone();

    // A draft left by a session that quit mid-edit (Ctrl-C saves it too).
    let mut console = open_console(&home, &demo, &[], &[]);
    open_detail(&mut console, "ada.lovelace@example.com", &id);
    console.keys("e");
    // F2: the JSON editor (`e` opens the form built from the schema).
    console.send(b"\x1bOQ");
    console.wait_until("the traits editor", WAIT, |s| s.contains("\"first\": \"Ada\""));
    type_into_first_name(&mut console, TYPED);
    console.wait_for("\"first\": \"Adalia\",");
    quit(&mut console);
    let path = match home.draft_file(&id) {
        Some(path) => path,
        None => panic!("quitting saved the draft"),
    };
    assert_eq!(
        draft_text(&path).as_deref(),
        Some(traits_text_with(&traits, TYPED).as_str())
    );
    // Someone else changes the identity meanwhile.
    demo.change_behind_the_back(&id, |identity| {
        identity["metadata_public"] = json!({"note": "changed by another admin"});
    });

    let mut console = open_console(&home, &demo, &[], &[]);
    console.wait_until("the drafts-waiting status", WAIT, |_| {
        console.row(ROWS - 2).contains("1 draft is waiting")
    });
    // `D` lists it.
    console.keys("D");
    let screen = console.wait_for("Drafts waiting from earlier sessions");
    assert!(
        screen.lines().any(|l| l.contains("traits") && l.contains(&id)),
        "the draft is listed:\n{screen}"
    );
    console.esc();
    console.wait_for("IDENTIFIER");

    let screen = open_detail(&mut console, "ada.lovelace@example.com", &id);
    if !screen.contains("Draft of the traits form from") {
        console.wait_for("Draft of the traits form from");
    }
    // `v`: what the draft would change against the server's current version.
    console.keys("v");
    let screen = console.wait_for("Draft against the server's current version");
    assert!(screen.contains("- /traits/name/first: \"Ada\""), "{screen}");
    assert!(screen.contains("+ /traits/name/first: \"Adalia\""), "{screen}");
    assert!(
        screen.contains("The identity changed on the server after this draft was started."),
        "{screen}"
    );
    assert!(
        !screen.contains("/traits/email"),
        "only what the draft changes:\n{screen}"
    );
    assert!(path.exists(), "viewing keeps the draft");
    // Esc: back on the identity, the offer still there.
    console.esc();
    let screen = console.wait_for("Draft of the traits form from");
    assert!(screen.contains("Summary"), "{screen}");

    // `x`: discarded, file gone, offer gone, server untouched.
    let before = demo.identity(&id);
    console.keys("x");
    console.wait_until("the discard", WAIT, |_| {
        console.row(ROWS - 2).contains("Draft discarded")
    });
    wait_for_disk("the draft file to be removed", || (!path.exists()).then_some(()));
    assert!(
        !console.screen().contains("Draft of the traits form from"),
        "{}",
        console.screen()
    );
    assert_eq!(demo.identity(&id), before, "discarding a draft sends nothing");
    // `D` (on the list) lists nothing any more.
    console.esc();
    console.wait_for("IDENTIFIER");
    console.keys("D");
    let screen = console.wait_for("Drafts waiting from earlier sessions");
    assert!(screen.contains("  none"), "{screen}");
    quit(&mut console);

    let mut console = open_console(&home, &demo, &[], &[]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!console.screen().contains("draft"), "{}", console.screen());
    quit(&mut console);
}

/// The SSH session drops while a PUT is in flight: the console saves the
/// open form as a draft and leaves, but waits for the write first (its audit
/// outcome is recorded), and then removes that draft, because the edit it
/// holds went out.
#[test]
fn sighup_during_a_put_waits_for_it_and_leaves_no_draft_of_the_sent_edit() {
    let demo = Demo::start_with(|options| options.latency = Duration::from_millis(700));
    let home = Home::new();
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let mut console = open_console(&home, &demo, &[], &[]);
    open_detail(&mut console, "ada.lovelace@example.com", &id);
    console.keys("s");
    console.wait_for("Change state");
    console.keys(" ");
    console.wait_for("(•) inactive");
    review(&mut console);
    console.keys("y");
    console.wait_for("Sending");
    let pid = match console.pid() {
        Some(pid) => pid.to_string(),
        None => panic!("the console has no pid"),
    };
    let killed = std::process::Command::new("kill").args(["-HUP", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()), "kill -HUP {pid}");
    assert!(console.wait_exit(WAIT).is_some(), "the console leaves after the write");
    drop(console);

    assert_eq!(demo.identity(&id)["state"], "inactive", "the PUT went out");
    assert!(home.draft_file(&id).is_none(), "no draft of an edit that was sent");
    let audit = std::fs::read_to_string(home.audit_file()).unwrap_or_default();
    let events: Vec<String> = audit
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["identity_id"] == id.as_str())
        .map(|line| line["event"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(events, ["intent", "outcome"], "{audit}");
}

/// Issue 14, as a support person met it: with 400 ms latency, `y` then Esc
/// said the server may still apply the change, but `y` stayed armed and a
/// second `y` sent again. Now Esc stops the waiting, not the write: the
/// review says a second `y` does not send, the first write's answer is told
/// when it arrives, `H` lists that one request with its real outcome, and
/// the audit trail holds one intent (with the reason typed on the review and
/// the identity's identifier) and one outcome, no refusal.
#[test]
fn stopping_the_wait_disarms_the_review_and_the_late_answer_is_told() {
    let demo = Demo::start_with(|options| options.latency = Duration::from_millis(400));
    let home = Home::new();
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let mut console = open_console(&home, &demo, &[], &[]);
    open_detail(&mut console, "ada.lovelace@example.com", &id);
    toggle_state(&mut console, "active");
    let screen = review(&mut console);
    assert!(
        screen.contains("ada.lovelace@example.com"),
        "the review names who: {screen}"
    );
    console.keys("r");
    console.wait_for("Why this write?");
    console.type_text("SUP-4711 deactivate on request");
    console.enter();
    console.wait_for("Reason kept");
    console.keys("y");
    console.wait_for("Sending");
    console.esc();
    console.wait_for("Stopped waiting:");
    console.keys("y");
    console.wait_for("Not sent again");
    // Back to the form; the answer comes while the user is there.
    console.esc();
    console.wait_for("Change state");
    let told = console.wait_for("Late answer for ada.lovelace@example.com");
    assert!(told.contains("200 OK") && told.contains("saved"), "{told}");
    assert_eq!(demo.identity(&id)["state"], "inactive", "the first write landed");

    // Close the form (it asks: its edit is what was sent), then H.
    console.esc();
    console.wait_until("the discard question or the detail", WAIT, |s| {
        s.contains("discard") || s.contains("Summary")
    });
    if !console.screen().contains("Summary") {
        console.keys("y");
    }
    console.wait_for("Summary");
    console.keys("H");
    let history = console.wait_for("Requests made in this run");
    assert!(history.contains("✓ 200 OK (late)"), "{history}");
    let requests = history.split("Audit trail").next().unwrap_or_default();
    assert_eq!(requests.matches("/state").count(), 1, "one request listed: {history}");
    quit(&mut console);

    let lines: Vec<Value> = audit_lines(&home.audit_file())
        .into_iter()
        .filter(|line| line["identity_id"] == id.as_str())
        .collect();
    let events: Vec<&str> = lines.iter().map(|line| text(line, "event")).collect();
    assert_eq!(
        events,
        ["intent", "outcome"],
        "no second attempt, no refusal: {lines:?}"
    );
    assert_eq!(text(&lines[0], "why"), "SUP-4711 deactivate on request");
    assert_eq!(text(&lines[0], "identifier"), "ada.lovelace@example.com");
    assert_eq!(lines[1]["status"], 200, "{}", lines[1]);
}
