//! Creating an identity in the console, as HR's "an account for the new
//! hire" ticket is handled: the real `idcon` binary in a pseudo-terminal
//! against the demo server. `n` on the list, the schema, the traits typed
//! into the schema's form, a password typed twice, the review, Enter: the
//! new identity's detail opens, the server holds exactly it (its password
//! verifies against the stored hash), the audit trail records a password set
//! (redacted), and no file idcon wrote holds the password. A taken e-mail
//! is explained on the review (who holds it) and creates nothing. A PHC
//! hash pasted instead of a password, with metadata typed as JSON, creates
//! the identity holding both: the hash verifies the password it was made
//! of, and no file idcon wrote holds it.
//!
//! Every wait is bounded (the harness panics with the screen on timeout).

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use serde_json::{Value, json};

use crate::support::console_env::{CTRL_S, Demo, Home};
use crate::support::pty::WAIT;

const TAB: &[u8] = b"\t";
const EMAIL: &str = "grace.hopper@example.com";
const PASSWORD: &str = "Cobol-1959-compiler!";

/// Every file under `dir` (recursively).
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(next) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// The id in "Created … (ID) · HTTP 201" on the status line.
fn created_id(screen: &str) -> String {
    let Some(line) = screen.lines().find(|l| l.contains("HTTP 201")) else {
        panic!("no status line with HTTP 201:\n{screen}")
    };
    let Some(before) = line.split(") · HTTP 201").next() else {
        panic!("{line}")
    };
    match before.rsplit_once('(') {
        Some((_, id)) => id.trim().to_owned(),
        None => panic!("no id in {line}"),
    }
}

#[test]
fn n_creates_an_identity_with_a_password_typed_twice() {
    let demo = Demo::start();
    let before = demo.server.identity_count();
    let home = Home::new();
    let mut console = home.spawn_console(&demo, &[], &[], 200, 50);
    console.wait_until("the first list frame", WAIT, |s| {
        s.contains("IDENTIFIER") && s.contains(" loaded") && s.contains('@')
    });

    console.keys("n");
    let screen = console.wait_for("Choose its identity schema");
    assert!(screen.contains("▶ email-password"), "{screen}");
    assert!(screen.contains("phone-password"), "{screen}");
    console.enter();
    console.wait_for("schema email-password");

    console.type_text(EMAIL);
    console.send(TAB);
    console.type_text("Grace");
    console.send(TAB);
    console.type_text("Hopper");
    console.send(TAB); // state: active
    console.send(TAB);
    console.type_text(PASSWORD);
    console.send(TAB);
    console.type_text(PASSWORD);
    let screen = console.wait_until("both passwords typed", WAIT, |s| {
        s.matches(&"•".repeat(PASSWORD.chars().count())).count() >= 2
    });
    assert!(!screen.contains(PASSWORD), "{screen}");

    console.send(CTRL_S);
    let screen = console.wait_for("Enter or y creates it");
    assert!(screen.contains(&format!("Create {EMAIL} (Grace Hopper)?")), "{screen}");
    assert!(screen.contains("set (sent for the server to hash)"), "{screen}");
    assert!(!screen.contains(PASSWORD), "{screen}");
    assert!(
        demo.server.request_log().iter().all(|r| r.method != "POST"),
        "nothing is sent before Enter"
    );

    console.enter();
    let screen = console.wait_until("the new identity's detail", WAIT, |s| {
        s.contains("HTTP 201") && s.contains(EMAIL)
    });
    assert!(!screen.contains(PASSWORD), "{screen}");
    let id = created_id(&screen);

    // The server holds exactly the new identity, with a password that verifies.
    assert_eq!(demo.server.identity_count(), before + 1);
    let posts: Vec<_> = demo
        .server
        .request_log()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "{posts:?}");
    let stored = demo.identity(&id);
    assert_eq!(stored["schema_id"], "email-password");
    assert_eq!(stored["state"], "active");
    assert_eq!(
        stored["traits"],
        json!({"email": EMAIL, "name": {"first": "Grace", "last": "Hopper"}})
    );
    let hash = stored
        .pointer("/credentials/password/config/hashed_password")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no password hash: {stored}"))
        .to_owned();
    let parsed = PasswordHash::new(&hash).unwrap_or_else(|e| panic!("{hash}: {e}"));
    assert!(
        argon2::Argon2::default()
            .verify_password(PASSWORD.as_bytes(), &parsed)
            .is_ok(),
        "the stored hash does not verify the password typed"
    );

    // The audit trail: intent and outcome, the password as words.
    let audit = std::fs::read_to_string(home.audit_file()).unwrap_or_default();
    let lines: Vec<Value> = audit.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let intent = lines
        .iter()
        .find(|l| l["event"] == "intent" && l["method"] == "POST")
        .unwrap_or_else(|| panic!("no POST intent:\n{audit}"));
    assert_eq!(intent["identifier"], EMAIL);
    let changes = intent["changes"].as_array().cloned().unwrap_or_default();
    // The trail records that a password was set, as `idcon create` does
    // (the audit layer keeps no value under /credentials, not even words).
    assert!(
        changes
            .iter()
            .any(|c| c["pointer"] == "/credentials/password" && c["new"] == "<redacted>"),
        "{changes:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "outcome" && l["method"] == "POST" && l["status"] == 201),
        "{audit}"
    );

    console.keys("q");
    console.keys("q");
    assert!(console.wait_exit(WAIT).is_some());

    // No file idcon wrote (audit trail, log, drafts, state) holds the password.
    let written = files_under(home.dir.path());
    assert!(written.iter().any(|p| p == &home.audit_file()), "{written:?}");
    for path in written {
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !bytes.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes()),
            "{} holds the password",
            path.display()
        );
    }
}

#[test]
fn a_taken_email_is_explained_on_the_review_and_nothing_is_created() {
    let demo = Demo::start();
    let before = demo.server.identity_count();
    let taken = crate::support::console_env::first_identity();
    let Some(email) = taken["traits"]["email"].as_str().map(str::to_owned) else {
        panic!("the first identity has no e-mail: {taken}")
    };
    let home = Home::new();
    let mut console = home.spawn_console(&demo, &[], &[], 200, 50);
    console.wait_until("the first list frame", WAIT, |s| {
        s.contains("IDENTIFIER") && s.contains(" loaded") && s.contains('@')
    });
    console.keys("n");
    console.wait_for("Choose its identity schema");
    console.enter();
    console.wait_for("schema email-password");
    console.type_text(&email);
    console.send(CTRL_S);
    console.wait_for("Enter or y creates it");
    console.keys("y");
    let screen = console.wait_for("is already taken by");
    assert!(screen.contains(&crate::support::console_env::id_of(&taken)), "{screen}");
    assert_eq!(demo.server.identity_count(), before);
    console.send(b"\x1b"); // back to the form
    console.send(b"\x1b"); // something typed: asks
    console.wait_for("discard");
    console.keys("y");
    console.keys("q");
    assert!(console.wait_exit(WAIT).is_some());
}

/// Whether any file under `dir` holds `secret`; the first one that does.
fn file_holding(dir: &std::path::Path, secret: &str) -> Option<std::path::PathBuf> {
    files_under(dir).into_iter().find(|path| {
        let bytes = std::fs::read(path).unwrap_or_default();
        bytes.windows(secret.len()).any(|w| w == secret.as_bytes())
    })
}

#[test]
fn n_creates_an_identity_with_metadata_and_an_imported_hash() {
    let demo = Demo::start();
    let before = demo.server.identity_count();
    let home = Home::new();
    let imported = idcon::hashes::hash_password_argon2id(PASSWORD).unwrap_or_else(|e| panic!("hashing: {e}"));
    let mut console = home.spawn_console(&demo, &[], &[], 200, 50);
    console.wait_until("the first list frame", WAIT, |s| {
        s.contains("IDENTIFIER") && s.contains(" loaded") && s.contains('@')
    });
    console.keys("n");
    console.wait_for("Choose its identity schema");
    console.enter();
    console.wait_for("schema email-password");
    console.type_text(EMAIL);
    console.send(TAB);
    console.type_text("Grace");
    console.send(TAB);
    console.type_text("Hopper");
    for _ in 0..5 {
        console.send(TAB); // state, password, again, hash here, the hash
    }
    console.paste(&imported);
    let screen = console.wait_until("the hash pasted, as bullets", WAIT, |s| {
        s.contains(&"•".repeat(imported.chars().count()))
    });
    assert!(
        !screen.contains(&imported) && !screen.contains("$argon2id$v"),
        "{screen}"
    );
    console.send(TAB);
    console.type_text(r#"{"team": "compilers"}"#);
    console.send(TAB);
    console.type_text(r#"{"ticket": "#);
    console.wait_for("metadata_admin: not JSON yet");
    console.type_text(r#""HR-1959"}"#);
    console.wait_until("the metadata whole", WAIT, |s| !s.contains("not JSON yet"));

    console.send(CTRL_S);
    let screen = console.wait_for("Enter or y creates it");
    assert!(screen.contains("set (a hash imported)"), "{screen}");
    assert!(screen.contains("/metadata_public/team"), "{screen}");
    assert!(screen.contains("/metadata_admin/ticket"), "{screen}");
    assert!(!screen.contains(&imported), "{screen}");
    console.enter();
    let screen = console.wait_until("the new identity's detail", WAIT, |s| {
        s.contains("HTTP 201") && s.contains(EMAIL)
    });
    let id = created_id(&screen);

    assert_eq!(demo.server.identity_count(), before + 1);
    let stored = demo.identity(&id);
    assert_eq!(stored["metadata_public"], json!({"team": "compilers"}));
    assert_eq!(stored["metadata_admin"], json!({"ticket": "HR-1959"}));
    let hash = stored
        .pointer("/credentials/password/config/hashed_password")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no password hash: {stored}"))
        .to_owned();
    assert_eq!(hash, imported, "the hash pasted is the hash stored");
    let parsed = PasswordHash::new(&hash).unwrap_or_else(|e| panic!("{hash}: {e}"));
    assert!(
        argon2::Argon2::default()
            .verify_password(PASSWORD.as_bytes(), &parsed)
            .is_ok(),
        "the stored hash does not verify its password"
    );

    // Audited like `idcon create`: the metadata as sent, the password redacted.
    let audit = std::fs::read_to_string(home.audit_file()).unwrap_or_default();
    let lines: Vec<Value> = audit.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let intent = lines
        .iter()
        .find(|l| l["event"] == "intent" && l["method"] == "POST")
        .unwrap_or_else(|| panic!("no POST intent:\n{audit}"));
    let changes = intent["changes"].as_array().cloned().unwrap_or_default();
    assert!(
        changes
            .iter()
            .any(|c| c["pointer"] == "/metadata_admin" && c["new"] == json!({"ticket": "HR-1959"})),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c["pointer"] == "/credentials/password" && c["new"] == "<redacted>"),
        "{changes:?}"
    );

    console.keys("q");
    console.keys("q");
    assert!(console.wait_exit(WAIT).is_some());
    assert!(home.audit_file().exists());
    // The hash's salt+digest part is what matters: no file holds it whole.
    let tail = imported.rsplit('$').next().unwrap_or_default();
    assert!(tail.len() > 20, "{imported}");
    assert_eq!(
        file_holding(home.dir.path(), tail),
        None,
        "a file idcon wrote holds the hash"
    );
}
