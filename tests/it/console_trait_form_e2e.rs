//! The traits form (`e`) as a support person uses it: the real `idcon`
//! binary in a pseudo-terminal against the demo server (whose identities use
//! the demo's email-password and phone-password schemas). One nested field
//! changed through the form is exactly the change sent; an invalid e-mail is
//! flagged at its field and nothing is sent; the form and the JSON editor
//! switch on the same value both ways; a draft survives SIGHUP and restores
//! into the form.
//!
//! Every wait is bounded and waits for what the screen (or the disk) shows.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::console_env::{
    CTRL_S, Demo, END, Home, LEFT, curated, id_of, open_detail, review, send_and_wait_response,
};
use crate::support::pty::{Console, WAIT};
use serde_json::{Value, json};

const CTRL_J: &[u8] = b"\n";
const CTRL_U: &[u8] = b"\x15";
const F2: &[u8] = b"\x1bOQ";
const DOWN: &[u8] = b"\x1b[B";

/// The identity without what every write moves.
fn stable(identity: &Value) -> Value {
    let mut identity = identity.clone();
    if let Some(map) = identity.as_object_mut() {
        map.remove("updated_at");
        map.remove("state_changed_at");
    }
    identity
}

/// Ada's traits form, opened from her detail (the email-password schema).
fn ada_form(home: &Home, demo: &Demo) -> (Console, String) {
    let mut console = home.console(demo, &[], &[]);
    let id = id_of(&curated("ada.lovelace@example.com"));
    open_detail(&mut console, "ada.lovelace@example.com", &id);
    console.keys("e");
    console.wait_until("the traits form", WAIT, |s| {
        s.contains("Edit traits") && s.contains("› E-Mail *") && s.contains("First Name")
    });
    (console, id)
}

/// The audit trail's lines, parsed.
fn audit_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// The pointers the audit trail's intents changed, in order.
fn intent_pointers(path: &Path) -> Vec<Vec<String>> {
    audit_lines(path)
        .iter()
        .filter(|line| line["event"] == "intent")
        .map(|line| {
            line["changes"]
                .as_array()
                .map(|changes| {
                    changes
                        .iter()
                        .filter_map(|c| c["pointer"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
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

#[test]
fn a_nested_field_changed_through_the_form_is_exactly_the_change_sent() {
    let demo = Demo::start();
    let home = Home::new();
    let (mut console, id) = ada_form(&home, &demo);
    let before = demo.identity(&id);

    // Tab to First Name (the group heading is passed over), clear it, type.
    console.tab();
    console.wait_until("First Name focused", WAIT, |s| s.contains("›   First Name"));
    console.send(CTRL_U);
    console.type_text("Augusta");
    console.wait_until("the typed name", WAIT, |s| s.contains("First Name           Augusta"));

    let screen = review(&mut console);
    assert!(screen.contains("- /traits/name/first: \"Ada\""), "{screen}");
    assert!(screen.contains("+ /traits/name/first: \"Augusta\""), "{screen}");
    assert!(!screen.contains("/traits/email"), "only the typed field:\n{screen}");
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");

    // The PUT carried that change and nothing else: the audit intent lists
    // one changed member, and the server holds exactly that change.
    assert_eq!(intent_pointers(&home.audit_file()), [["/traits/name/first"]]);
    let after = demo.identity(&id);
    let mut expected = stable(&before);
    expected["traits"]["name"]["first"] = json!("Augusta");
    assert_eq!(stable(&after), expected, "only /traits/name/first changed");
    assert_eq!(
        serde_json::to_string(&after["traits"]).ok(),
        serde_json::to_string(&expected["traits"]).ok(),
        "the other traits byte for byte, in their order"
    );
}

#[test]
fn an_invalid_email_is_flagged_at_its_field_and_nothing_is_sent() {
    let demo = Demo::start();
    let home = Home::new();
    let (mut console, id) = ada_form(&home, &demo);
    let before = demo.identity(&id);

    console.send(CTRL_U);
    console.type_text("ada@");
    let screen = console.wait_until("the problem at the field", WAIT, |s| {
        s.contains("✗ not an e-mail address, e.g. name@example.com")
    });
    let rows: Vec<&str> = screen.lines().collect();
    let field = rows.iter().position(|r| r.contains("› E-Mail *") && r.contains("ada@"));
    let problem = rows.iter().position(|r| r.contains("✗ not an e-mail address"));
    assert!(
        matches!((field, problem), (Some(f), Some(p)) if p == f + 1),
        "the problem stands right under its field:\n{screen}"
    );
    // Away from it, Ctrl-S points back at it and opens no review.
    console.tab();
    console.wait_until("First Name focused", WAIT, |s| s.contains("›   First Name"));
    console.send(CTRL_S);
    let screen = console.wait_until("the refusal", WAIT, |s| {
        s.contains("✗ E-Mail: not an e-mail address, e.g. name@example.com: fix it first")
    });
    assert!(
        screen.contains("› E-Mail *"),
        "the focus is back on the e-mail:\n{screen}"
    );
    assert!(!screen.contains("Send this change?"), "{screen}");
    assert!(intent_pointers(&home.audit_file()).is_empty(), "nothing was sent");
    assert_eq!(demo.identity(&id), before, "the server's identity is untouched");

    // Esc asks before dropping the change; y drops it, still nothing sent.
    console.esc();
    console.wait_for("Discard your changes?");
    console.keys("y");
    console.wait_until("the detail", WAIT, |s| {
        s.contains("Summary") && !s.contains("Edit traits")
    });
    assert_eq!(demo.identity(&id), before);
}

#[test]
fn the_form_and_the_json_editor_switch_on_the_same_value() {
    let demo = Demo::start();
    let home = Home::new();
    let (mut console, id) = ada_form(&home, &demo);
    let before = demo.identity(&id);

    // In the form: Last Name gets "-King".
    console.tab();
    console.tab();
    console.wait_until("Last Name focused", WAIT, |s| s.contains("›   Last Name"));
    console.type_text("-King");
    console.wait_for("Lovelace-King");
    // Ctrl-J: the JSON editor holds it.
    console.send(CTRL_J);
    console.wait_until("the JSON editor with the form's edit", WAIT, |s| {
        s.contains("traits (JSON)") && s.contains("\"last\": \"Lovelace-King\"")
    });
    // In the JSON editor: line 4 is `    "first": "Ada",`; the first name
    // becomes "Adalia".
    for _ in 0..3 {
        console.send(DOWN);
    }
    console.send(END);
    console.send(LEFT);
    console.send(LEFT);
    console.type_text("lia");
    console.wait_for("\"first\": \"Adalia\"");
    // F2 (as a terminal that sends Ctrl-J as Enter would): the form holds both.
    console.send(F2);
    let screen = console.wait_until("the form with both edits", WAIT, |s| {
        s.contains("First Name") && s.contains("Adalia") && s.contains("Lovelace-King")
    });
    assert!(!screen.contains("traits (JSON)"), "{screen}");
    // And back once more without typing: the JSON is the same.
    console.send(CTRL_J);
    console.wait_until("the JSON editor again", WAIT, |s| {
        s.contains("\"first\": \"Adalia\"") && s.contains("\"last\": \"Lovelace-King\"")
    });
    console.send(CTRL_J);
    console.wait_until("the form again", WAIT, |s| {
        s.contains("First Name") && s.contains("Adalia")
    });

    let screen = review(&mut console);
    assert!(screen.contains("+ /traits/name/first: \"Adalia\""), "{screen}");
    assert!(screen.contains("+ /traits/name/last: \"Lovelace-King\""), "{screen}");
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");
    let mut expected = stable(&before);
    expected["traits"]["name"] = json!({"first": "Adalia", "last": "Lovelace-King"});
    assert_eq!(stable(&demo.identity(&id)), expected);
}

/// What a draft file keeps of the form's fields.
fn draft_fields(path: &Path) -> Option<Value> {
    let bytes = std::fs::read(path).ok()?;
    let draft: Value = serde_json::from_slice(&bytes).ok()?;
    (draft["content"]["editor"] == "form").then(|| draft["content"]["fields"].clone())
}

#[test]
fn a_draft_survives_sighup_and_restores_into_the_form() {
    const TYPED: &str = "lia «é» \\ \"q\"";
    let demo = Demo::start();
    let home = Home::new();
    let (mut console, id) = ada_form(&home, &demo);
    let traits = demo.identity(&id)["traits"].clone();

    console.tab();
    console.wait_until("First Name focused", WAIT, |s| s.contains("›   First Name"));
    console.type_text(TYPED);
    // The form shows a backslash doubled (an escape can never pass for text).
    console.wait_for("Adalia «é» \\\\ \"q\"");
    let pid = match console.pid() {
        Some(pid) => pid.to_string(),
        None => panic!("the console has no pid"),
    };
    let killed = std::process::Command::new("kill").args(["-HUP", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()), "kill -HUP {pid}");
    assert!(console.wait_exit(WAIT).is_some(), "the console leaves on SIGHUP");
    drop(console);

    let typed_first = format!("Ada{TYPED}");
    let path = wait_for_disk("the draft saved on SIGHUP", || home.draft_file(&id));
    let fields = draft_fields(&path);
    assert_eq!(
        fields,
        Some(json!({"email": "ada.lovelace@example.com", "name": {"first": typed_first, "last": "Lovelace"}})),
        "the form's values exactly as typed"
    );

    // The next start offers it; Enter restores it into the form.
    let mut console = home.console(&demo, &[], &[]);
    let screen = open_detail(&mut console, "ada.lovelace@example.com", &id);
    if !screen.contains("Draft of the traits form from") {
        console.wait_for("Draft of the traits form from");
    }
    console.enter();
    let screen = console.wait_until("the restored form", WAIT, |s| {
        s.contains("Edit traits") && s.contains("First Name") && s.contains("Adalia «é» \\\\ \"q\"")
    });
    assert!(
        !screen.contains("traits (JSON)"),
        "the form, not the JSON editor:\n{screen}"
    );
    assert!(screen.contains("restored"), "the status says so:\n{screen}");

    let screen = review(&mut console);
    assert!(screen.contains("- /traits/name/first: \"Ada\""), "{screen}");
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");
    let mut expected = traits.clone();
    expected["name"]["first"] = json!(typed_first);
    assert_eq!(demo.identity(&id)["traits"], expected, "byte for byte, nothing else");
    wait_for_disk("the draft removed after the send", || (!path.exists()).then_some(()));
}
