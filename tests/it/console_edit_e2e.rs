//! Editing and sending, as a support person does it: the real `idcon` binary in
//! a pseudo-terminal against the demo server, each form filled in with keys,
//! reviewed, sent as a signed PUT, and the identity then read back from the
//! server to check it holds exactly the intended change and nothing else.
//!
//! Every wait is bounded (the harness panics with the screen on timeout).

use crate::support::pty;

use crate::support::console_env;

use std::os::unix::fs::PermissionsExt as _;

use console_env::{
    COLS, CTRL_S, DELETE, DOWN, Demo, END, Home, LEFT, RIGHT, ROWS, contains, curated, first_identity, id_of,
    open_detail, review, send_and_wait_response, wait_detail_loaded,
};
use idcon::demo::DEMO_SDK_ID;
use pty::{Console, WAIT};
use serde_json::{Value, json};

/// The identity without what every write moves.
fn stable(identity: &Value) -> Value {
    let mut identity = identity.clone();
    if let Some(map) = identity.as_object_mut() {
        map.remove("updated_at");
        map.remove("state_changed_at");
    }
    identity
}

/// The identity with every credential's timestamps taken out too.
fn stable_credentials(identity: &Value) -> Value {
    let mut identity = stable(identity);
    if let Some(credentials) = identity.get_mut("credentials").and_then(Value::as_object_mut) {
        for credential in credentials.values_mut() {
            if let Some(map) = credential.as_object_mut() {
                map.remove("updated_at");
            }
        }
    }
    identity
}

fn without_password(identity: &Value) -> Value {
    let mut identity = stable(identity);
    if let Some(credentials) = identity.get_mut("credentials").and_then(Value::as_object_mut) {
        credentials.remove("password");
    }
    identity
}

fn hashed_password(identity: &Value) -> String {
    identity
        .pointer("/credentials/password/config/hashed_password")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn argon2_verifies(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// The bottom line of a form (its inline error or hint).
fn form_hint(console: &Console) -> String {
    console.row(ROWS - 3)
}

/// Asserts the screen stays on the form (no review opens) for a moment.
fn assert_stays_on_form(console: &Console, what: &str) {
    std::thread::sleep(std::time::Duration::from_millis(400));
    let screen = console.screen();
    assert!(
        !screen.contains("Send this change?"),
        "{what}: no review opens:\n{screen}"
    );
}

/// `H` on the detail view: the requests this run has sent.
fn history(console: &mut Console) -> String {
    console.keys("H");
    console.wait_for("Requests made in this run")
}

#[test]
fn enter_s_space_ctrl_s_y_changes_the_first_identitys_state_signed_with_200() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let first = first_identity();
    let id = id_of(&first);
    let before = demo.identity(&id);
    let was = before["state"].as_str().unwrap_or_default().to_owned();
    let now = if was == "active" { "inactive" } else { "active" };

    // The first row is selected at start.
    assert!(
        console
            .inverse_text(2)
            .contains(&first["traits"]["email"].as_str().unwrap_or("?")[..8]),
        "the first identity is selected:\n{}",
        console.screen()
    );
    console.enter();
    wait_detail_loaded(&console, &id);
    console.keys("s");
    let screen = console.wait_for("Change state");
    assert!(screen.contains(&format!("Current state: {was}")), "{screen}");
    console.keys(" ");
    let screen = review(&mut console);
    assert!(
        screen.contains(&format!("/admin/identities/{id}")),
        "full URL: {screen}"
    );
    assert!(screen.contains("signed            yes"), "{screen}");
    assert!(screen.contains(&format!("- /state: \"{was}\"")), "{screen}");
    assert!(screen.contains(&format!("+ /state: \"{now}\"")), "{screen}");
    let screen = send_and_wait_response(&mut console);
    // The demo server refuses unsigned or badly signed requests (401), so a
    // 200 is a signed PUT the server verified.
    assert!(screen.contains("Response  ✓ 200 OK"), "{screen}");
    assert!(
        screen.contains(&format!("PUT {}/admin/identities/{id}", demo.server.base_url())),
        "{screen}"
    );

    let after = demo.identity(&id);
    let mut expected = stable(&before);
    expected["state"] = json!(now);
    assert_eq!(stable(&after), expected, "only the state changed");
    assert_ne!(after["state_changed_at"], before["state_changed_at"]);

    // Esc shows the identity as the server returned it.
    console.esc();
    let screen = wait_detail_loaded(&console, &id);
    assert!(screen.contains(now), "{screen}");
}

#[test]
fn a_trait_edit_reaches_the_server_and_nothing_else_changes() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let before = demo.identity(&id);
    open_detail(&mut console, "ada.lovelace@example.com", &id);

    console.keys("e");
    // F2: the JSON editor (`e` opens the form built from the schema).
    console.send(b"\x1bOQ");
    console.wait_until("the traits editor", WAIT, |s| {
        s.contains("Edit traits") && s.contains("\"first\": \"Ada\"")
    });
    // Line 4 is `    "first": "Ada",`: to its end, back over `",`, type.
    for _ in 0..3 {
        console.send(DOWN);
    }
    console.send(END);
    console.send(LEFT);
    console.send(LEFT);
    console.type_text("lia");
    console.wait_until("the edit", WAIT, |s| {
        s.contains("\"first\": \"Adalia\"") && s.contains("— valid")
    });

    // Broken JSON: shown with line and column, refused at Ctrl-S, kept.
    console.type_text("\"");
    let screen = console.wait_until("the syntax error", WAIT, |s| s.contains("— invalid"));
    assert!(
        screen.contains("line 4, column"),
        "the error has line and column:\n{screen}"
    );
    console.send(CTRL_S);
    console.wait_until("the refusal", WAIT, |_| form_hint(&console).contains("not valid JSON"));
    assert_stays_on_form(&console, "invalid JSON");
    console.send(b"\x7f");
    console.wait_until("valid again", WAIT, |s| {
        s.contains("— valid") && s.contains("\"Adalia\",")
    });

    let screen = review(&mut console);
    assert!(screen.contains("- /traits/name/first: \"Ada\""), "{screen}");
    assert!(screen.contains("+ /traits/name/first: \"Adalia\""), "{screen}");
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");

    let after = demo.identity(&id);
    let mut expected = stable(&before);
    expected["traits"]["name"]["first"] = json!("Adalia");
    // The e-mail did not change, so addresses and identifiers stay exactly.
    assert_eq!(stable(&after), expected, "only /traits/name/first changed");
}

#[test]
fn a_metadata_edit_sets_public_and_nulls_admin_and_nothing_else_changes() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let before = demo.identity(&id);
    open_detail(&mut console, "ada.lovelace@example.com", &id);

    console.keys("m");
    console.wait_until("the metadata editors", WAIT, |s| {
        s.contains("Edit metadata") && s.contains("\"plan\": \"enterprise\"") && s.contains("\"crm_id\"")
    });
    // metadata_public, line 2 `  "plan": "enterprise",`.
    console.send(DOWN);
    console.send(END);
    console.send(LEFT);
    console.send(LEFT);
    console.type_text("-plus");
    console.wait_for("\"plan\": \"enterprise-plus\"");
    // Tab to metadata_admin, delete all of it, type null.
    console.tab();
    let admin_text = serde_json::to_string_pretty(&before["metadata_admin"]).unwrap_or_default();
    console.send(&DELETE.repeat(admin_text.chars().count() + 10));
    console.wait_until("metadata_admin emptied", WAIT, |s| !s.contains("\"crm_id\""));
    console.type_text("null");
    let screen = console.wait_until("both valid", WAIT, |s| {
        s.contains("metadata_public (JSON, null allowed) — valid")
            && s.contains("metadata_admin (JSON, null allowed) — valid")
    });
    assert!(
        screen.contains("\"plan\": \"enterprise-plus\""),
        "the public edit is kept:\n{screen}"
    );

    let screen = review(&mut console);
    assert!(
        screen.contains("+ /metadata_public/plan: \"enterprise-plus\""),
        "{screen}"
    );
    assert!(screen.contains("+ /metadata_admin: null"), "{screen}");
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");

    let after = demo.identity(&id);
    let mut expected = stable(&before);
    expected["metadata_public"]["plan"] = json!("enterprise-plus");
    expected["metadata_admin"] = Value::Null;
    assert_eq!(stable(&after), expected, "only the two metadata edits");
    assert_eq!(
        after.get("metadata_admin"),
        Some(&Value::Null),
        "metadata_admin is null"
    );
}

#[test]
fn a_plaintext_password_import_replaces_the_password_and_never_shows_it() {
    const PASSWORD: &str = "Tr0ub4dor&3-staple";
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let before = demo.identity(&id);
    open_detail(&mut console, "ada.lovelace@example.com", &id);

    console.keys("c");
    console.wait_until("the credentials form", WAIT, |s| {
        s.contains("Credentials") && s.contains("new password")
    });
    // Focus starts on the new password.
    console.type_text(PASSWORD);
    console.tab();
    console.type_text("Tr0ub4dor&3-stapel");
    console.send(CTRL_S);
    console.wait_until("the mismatch", WAIT, |s| s.contains("the two passwords differ"));
    assert_stays_on_form(&console, "mismatched passwords");
    // Fix the repeat: the first field kept what was typed.
    console.send(&b"\x7f".repeat(3));
    console.type_text("ple");
    let screen = review(&mut console);
    assert!(
        screen.contains(r#"+ /credentials: {"password":{"config":{"password":"••••"}}}"#),
        "a plaintext password, masked:\n{screen}"
    );
    assert!(screen.contains("/credentials"), "{screen}");
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");

    let after = demo.identity(&id);
    assert_eq!(
        without_password(&after),
        without_password(&before),
        "only the password credential changed"
    );
    let hash = hashed_password(&after);
    assert_ne!(hash, hashed_password(&before), "the password credential changed");
    assert!(
        argon2_verifies(&hash, PASSWORD),
        "the server holds a hash of the typed password: {hash}"
    );
    assert_eq!(
        after["credentials"]["password"]["identifiers"],
        before["credentials"]["password"]["identifiers"]
    );
    assert!(
        !contains(&console.raw_output(), PASSWORD.as_bytes()),
        "the plaintext never reached the terminal"
    );
    assert!(!contains(&console.raw_output(), b"Tr0ub4dor"), "not even in part");
}

/// Switches the credentials form (focus on a field) to the `steps`-th mode.
fn credentials_mode(console: &mut Console, steps: usize, title: &str) {
    console.back_tab();
    for _ in 0..steps {
        console.send(RIGHT);
    }
    console.wait_for(title);
    console.tab();
}

fn import_hash(console: &mut Console, hash: &str) -> String {
    console.keys("c");
    console.wait_until("the credentials form", WAIT, |s| {
        s.contains("Credentials") && s.contains("new password")
    });
    credentials_mode(console, 1, "PHC / crypt hash");
    console.type_text(hash);
    let screen = review(console);
    assert!(
        screen.contains(r#"+ /credentials: {"password":{"config":{"hashed_password":"••••"}}}"#),
        "a hash import, masked:\n{screen}"
    );
    assert!(
        !screen.contains(&hash[hash.len() - 12..]),
        "the hash is not on the review:\n{screen}"
    );
    send_and_wait_response(console)
}

#[test]
fn hashed_password_imports_argon2id_and_bcrypt_arrive_as_made() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    const PASSWORD: &str = "correct horse battery staple";
    let argon2_hash = match SaltString::encode_b64(b"sixteen byte sal").and_then(|salt| {
        argon2::Argon2::default()
            .hash_password(PASSWORD.as_bytes(), &salt)
            .map(|h| h.to_string())
    }) {
        Ok(hash) => hash,
        Err(e) => panic!("argon2: {e}"),
    };
    let bcrypt_hash = match bcrypt::hash(PASSWORD, 4) {
        Ok(hash) => hash,
        Err(e) => panic!("bcrypt: {e}"),
    };
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let before = demo.identity(&id);
    open_detail(&mut console, "ada.lovelace@example.com", &id);

    let screen = import_hash(&mut console, &argon2_hash);
    assert!(screen.contains("✓ 200"), "{screen}");
    let after = demo.identity(&id);
    assert_eq!(
        hashed_password(&after),
        argon2_hash,
        "the argon2id hash arrived as made"
    );
    assert!(argon2_verifies(&hashed_password(&after), PASSWORD));
    assert_eq!(
        without_password(&after),
        without_password(&before),
        "only the password changed"
    );

    // Again with bcrypt, from the detail the server returned.
    console.esc();
    wait_detail_loaded(&console, &id);
    let screen = import_hash(&mut console, &bcrypt_hash);
    assert!(screen.contains("✓ 200"), "{screen}");
    let after = demo.identity(&id);
    assert_eq!(hashed_password(&after), bcrypt_hash, "the bcrypt hash arrived as made");
    assert_eq!(bcrypt::verify(PASSWORD, &hashed_password(&after)).ok(), Some(true));
    assert_eq!(
        without_password(&after),
        without_password(&before),
        "only the password changed"
    );

    let raw = console.raw_output();
    for hash in [&argon2_hash, &bcrypt_hash] {
        let tail = &hash.as_bytes()[hash.len() - 20..];
        assert!(!contains(&raw, tail), "the hash never reached the terminal in full");
    }
}

#[test]
fn hash_here_sends_an_argon2id_hash_of_the_typed_password_never_the_plaintext() {
    const PASSWORD: &str = "only-this-host-knows";
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let before = demo.identity(&id);
    open_detail(&mut console, "ada.lovelace@example.com", &id);

    console.keys("c");
    console.wait_until("the credentials form", WAIT, |s| s.contains("new password"));
    console.type_text(PASSWORD);
    console.tab();
    console.type_text(PASSWORD);
    console.tab();
    console.keys(" ");
    console.wait_for("[x] the plaintext never leaves this host");
    let screen = review(&mut console);
    assert!(
        screen.contains(r#"+ /credentials: {"password":{"config":{"hashed_password":"••••"}}}"#),
        "a hash is sent, not the password:\n{screen}"
    );
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");

    let after = demo.identity(&id);
    let hash = hashed_password(&after);
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(argon2_verifies(&hash, PASSWORD));
    assert_eq!(without_password(&after), without_password(&before));
    assert!(!contains(&console.raw_output(), PASSWORD.as_bytes()));
}

#[test]
fn an_invalid_hash_is_refused_at_the_field_and_nothing_is_sent() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let before = demo.identity(&id);
    open_detail(&mut console, "ada.lovelace@example.com", &id);

    console.keys("c");
    console.wait_until("the credentials form", WAIT, |s| s.contains("new password"));
    credentials_mode(&mut console, 1, "PHC / crypt hash");
    // A bcrypt hash that lost its last character on the way.
    let whole = match bcrypt::hash("correct horse battery staple", 4) {
        Ok(hash) => hash,
        Err(e) => panic!("bcrypt: {e}"),
    };
    let broken = &whole[..whole.len() - 1];
    console.type_text(broken);
    console.send(CTRL_S);
    let screen = console.wait_until("the inline error", WAIT, |s| {
        s.lines().any(|l| l.contains("PHC / crypt hash") && l.contains('✗'))
    });
    assert_stays_on_form(&console, "an invalid hash");
    assert!(screen.contains(broken), "what was typed stays:\n{screen}");
    // Not a hash at all.
    console.send(&b"\x7f".repeat(broken.len()));
    console.type_text("hunter2");
    console.send(CTRL_S);
    console.wait_until("the inline error", WAIT, |s| {
        s.lines().any(|l| l.contains("hunter2") && l.contains('✗'))
    });
    assert_stays_on_form(&console, "a plaintext in the hash field");

    // Leave: the form asks first; then the history shows nothing sent.
    console.esc();
    console.wait_for("Discard your changes?");
    console.keys("y");
    wait_detail_loaded(&console, &id);
    let screen = history(&mut console);
    assert!(screen.contains("none yet"), "no request was sent:\n{screen}");
    assert_eq!(demo.identity(&id), before, "the server's identity is untouched");
}

#[test]
fn an_oidc_provider_is_appended_and_nothing_else_changes() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let before = demo.identity(&id);
    open_detail(&mut console, "ada.lovelace@example.com", &id);

    console.keys("c");
    console.wait_until("the credentials form", WAIT, |s| s.contains("new password"));
    credentials_mode(&mut console, 2, "linked now");
    let screen = console.screen();
    assert!(
        screen.contains("google") && screen.contains("108000000000000000001"),
        "{screen}"
    );
    assert!(screen.contains("unlinking is not possible here"), "{screen}");
    // The subject first: an empty provider is then refused at its field.
    console.tab();
    console.type_text("octocat-583231");
    console.send(CTRL_S);
    console.wait_for("the provider id is empty");
    assert_stays_on_form(&console, "an empty provider");
    // Esc does not silently drop the typed subject.
    console.esc();
    console.wait_for("Discard your changes?");
    console.keys("n");
    let screen = console.wait_until("still editing", WAIT, |s| !s.contains("Discard your changes?"));
    assert!(screen.contains("octocat-583231"), "the subject is kept:\n{screen}");
    // The refusal moved the focus to the provider.
    console.type_text("github");
    let screen = review(&mut console);
    assert!(
        screen.contains("github") && screen.contains("octocat-583231"),
        "{screen}"
    );
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");

    let after = demo.identity(&id);
    let mut expected = stable_credentials(&before);
    let oidc = &mut expected["credentials"]["oidc"];
    if let Some(ids) = oidc["identifiers"].as_array_mut() {
        ids.push(json!("github:octocat-583231"));
    }
    if let Some(providers) = oidc["config"]["providers"].as_array_mut() {
        providers.push(json!({
            "subject": "octocat-583231",
            "provider": "github",
            "initial_id_token": "",
            "initial_access_token": "",
            "initial_refresh_token": "",
        }));
    }
    assert_eq!(stable_credentials(&after), expected, "google stays, github is appended");
}

/// Opens the state form on the detail and toggles it; returns the new state.
fn toggle_state(console: &mut Console, was: &str) -> &'static str {
    console.keys("s");
    console.wait_for("Change state");
    console.keys(" ");
    let now = if was == "active" { "inactive" } else { "active" };
    console.wait_for(&format!("(•) {now}"));
    now
}

#[test]
fn a_put_answered_500_keeps_the_form_and_a_retry_succeeds() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let before = demo.identity(&id);
    open_detail(&mut console, "ada.lovelace@example.com", &id);
    let now = toggle_state(&mut console, "active");
    review(&mut console);

    // From here: the fresh GET (1st) is served, the PUT (2nd) answers 500.
    demo.server.set_fail_every(Some(2));
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("Response  ✗ 500"), "{screen}");
    assert!(
        screen.contains("What the server said"),
        "the error envelope stands first:\n{screen}"
    );
    assert!(screen.contains("Injected fault"), "{screen}");
    assert!(screen.contains("Esc returns to the form"), "{screen}");
    assert_eq!(demo.identity(&id), before, "nothing changed on the server");

    // Esc: back in the form, the edit intact.
    console.esc();
    let screen = console.wait_for("Change state");
    assert!(screen.contains(&format!("(•) {now}")), "the toggle is kept:\n{screen}");

    demo.server.set_fail_every(None);
    review(&mut console);
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");
    let after = demo.identity(&id);
    let mut expected = stable(&before);
    expected["state"] = json!(now);
    assert_eq!(stable(&after), expected);

    // Both attempts are in the history, the failure first.
    console.esc();
    wait_detail_loaded(&console, &id);
    let screen = history(&mut console);
    let put_rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("ada.lovelace@example.com") && l.contains("/state"))
        .collect();
    assert_eq!(put_rows.len(), 2, "{screen}");
    assert!(
        put_rows[0].contains("✗ 500") && put_rows[1].contains("✓ 200"),
        "{screen}"
    );
}

#[test]
fn a_dropped_connection_keeps_the_form_and_a_retry_succeeds() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let before = demo.identity(&id);
    open_detail(&mut console, "ada.lovelace@example.com", &id);
    let now = toggle_state(&mut console, "active");
    review(&mut console);

    demo.server.drop_next_connections(1);
    console.keys("y");
    let screen = console.wait_until("the failure", WAIT, |s| s.contains("Not saved"));
    assert!(screen.contains("Change state"), "back on the form:\n{screen}");
    assert!(screen.contains(&format!("(•) {now}")), "the toggle is kept:\n{screen}");
    let status = console.row(ROWS - 2);
    assert!(
        status.contains("your edit is kept"),
        "the status says so first: {status}"
    );
    assert_eq!(demo.identity(&id), before, "nothing changed on the server");

    review(&mut console);
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");
    assert_eq!(demo.identity(&id)["state"], now);
}

#[test]
fn a_read_only_profile_explains_every_edit_key_and_sends_nothing() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &["--read-only"], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let before = demo.identity(&id);
    assert!(console.row(0).contains("READ-ONLY"), "{}", console.row(0));

    let status = |console: &Console| console.row(ROWS - 2);
    // On the list, then on the detail: every write key says why not.
    for on_detail in [false, true] {
        if on_detail {
            open_detail(&mut console, "ada.lovelace@example.com", &id);
        }
        for key in ["e", "s", "m", "c", "i", "E"] {
            // Clear the status first, so each key's refusal is seen afresh.
            if on_detail {
                console.keys("r");
                console.wait_until("the reload", WAIT, |_| status(&console).contains("Reloading"));
            } else {
                console.keys("/");
                console.esc();
                console.wait_until("the status cleared", WAIT, |_| status(&console).trim().is_empty());
            }
            console.keys(key);
            console.wait_until(&format!("the read-only refusal of {key}"), WAIT, |_| {
                status(&console).contains("is read-only: nothing can be changed or sent")
            });
            let screen = console.screen();
            for form in [
                "Edit traits",
                "Change state",
                "Edit metadata",
                "Change schema",
                "new password",
            ] {
                assert!(!screen.contains(form), "{key} opened {form}:\n{screen}");
            }
        }
    }
    let screen = history(&mut console);
    assert!(screen.contains("none yet"), "{screen}");
    assert_eq!(demo.identity(&id), before, "the server's identity is untouched");
}

/// `y` in the review when the identity changed on the server: waits for the conflict.
fn send_into_conflict(console: &mut Console) -> String {
    console.keys("y");
    console.wait_for("Changed on the server")
}

#[test]
fn a_change_behind_the_consoles_back_is_shown_never_overwritten_and_merged() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    open_detail(&mut console, "ada.lovelace@example.com", &id);
    let now = toggle_state(&mut console, "active");

    // Another admin changes the plan while the form is open.
    demo.change_behind_the_back(&id, |identity| {
        identity["metadata_public"]["plan"] = json!("changed-by-someone");
    });
    let theirs = demo.identity(&id);
    review(&mut console);
    let screen = send_into_conflict(&mut console);
    assert!(
        screen.contains("Someone changed this identity on the server"),
        "{screen}"
    );
    assert!(
        screen.contains("+ /metadata_public/plan: \"changed-by-someone\""),
        "their change is shown:\n{screen}"
    );
    assert_eq!(demo.identity(&id), theirs, "nothing was sent over their change");

    // Going back leaves the form as it was.
    console.esc();
    let screen = console.wait_for("Change state");
    assert!(screen.contains(&format!("(•) {now}")), "the toggle is kept:\n{screen}");
    assert_eq!(demo.identity(&id), theirs, "still nothing sent");

    // Again, and this time merge: both changes reach the server.
    review(&mut console);
    send_into_conflict(&mut console);
    console.keys("m");
    let screen = console.wait_until("the merged review", WAIT, |s| {
        s.contains("Send this change?") && s.contains("Merged your change")
    });
    assert!(screen.contains(&format!("+ /state: \"{now}\"")), "my change:\n{screen}");
    assert!(
        screen.contains("\"plan\": \"changed-by-someone\""),
        "their change in the body:\n{screen}"
    );
    assert_eq!(demo.identity(&id), theirs, "merging alone sends nothing");
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");
    let after = demo.identity(&id);
    let mut expected = stable(&theirs);
    expected["state"] = json!(now);
    assert_eq!(stable(&after), expected, "their change and mine, nothing else");
}

#[test]
fn the_same_field_changed_on_the_server_cannot_merge_and_overwrite_is_explicit() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    open_detail(&mut console, "ada.lovelace@example.com", &id);

    console.keys("e");
    // F2: the JSON editor (`e` opens the form built from the schema).
    console.send(b"\x1bOQ");
    console.wait_until("the traits editor", WAIT, |s| s.contains("\"first\": \"Ada\""));
    for _ in 0..3 {
        console.send(DOWN);
    }
    console.send(END);
    console.send(LEFT);
    console.send(LEFT);
    console.type_text("lia");
    console.wait_until("the edit", WAIT, |s| {
        s.contains("\"first\": \"Adalia\"") && s.contains("— valid")
    });

    // They change the same trait, and the plan.
    demo.change_behind_the_back(&id, |identity| {
        identity["traits"]["name"]["first"] = json!("Augusta");
        identity["metadata_public"]["plan"] = json!("changed-by-someone");
    });
    let theirs = demo.identity(&id);
    review(&mut console);
    let screen = send_into_conflict(&mut console);
    assert!(screen.contains("+ /traits/name/first: \"Augusta\""), "{screen}");
    console.keys("m");
    let screen = console.wait_for("Cannot merge");
    assert!(screen.contains("/traits/name/first"), "the clash is named:\n{screen}");
    assert!(screen.contains("Changed on the server"), "still deciding:\n{screen}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(demo.identity(&id), theirs, "a failed merge sends nothing");

    // Overwrite is the user's explicit choice, reviewed again before it goes.
    console.keys("o");
    let screen = console.wait_until("the overwrite review", WAIT, |s| {
        s.contains("Send this change?") && s.contains("replace the server's")
    });
    assert!(screen.contains("- /traits/name/first: \"Augusta\""), "{screen}");
    assert!(screen.contains("+ /traits/name/first: \"Adalia\""), "{screen}");
    assert_eq!(demo.identity(&id), theirs, "choosing overwrite alone sends nothing");
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");
    let after = demo.identity(&id);
    let mut expected = stable(&theirs);
    expected["traits"]["name"]["first"] = json!("Adalia");
    assert_eq!(stable(&after), expected, "my field wins, their other change stays");
}

/// The identity without what a new e-mail recomputes on the server.
fn without_derived(identity: &Value) -> Value {
    let mut identity = stable_credentials(identity);
    if let Some(map) = identity.as_object_mut() {
        map.remove("verifiable_addresses");
        map.remove("recovery_addresses");
    }
    if let Some(credentials) = identity.get_mut("credentials").and_then(Value::as_object_mut) {
        for credential in credentials.values_mut() {
            if let Some(map) = credential.as_object_mut()
                && map.get("type") != Some(&json!("oidc"))
            {
                map.remove("identifiers");
            }
        }
    }
    identity
}

#[test]
fn a_put_the_server_refuses_shows_why_and_the_fixed_edit_is_sent() {
    const TAKEN: &str = "bjorn.dubois@example.com";
    const NEW: &str = "ada.king@example.com";
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let before = demo.identity(&id);
    open_detail(&mut console, "ada.lovelace@example.com", &id);

    console.keys("e");
    // F2: the JSON editor (`e` opens the form built from the schema).
    console.send(b"\x1bOQ");
    console.wait_until("the traits editor", WAIT, |s| {
        s.contains("\"email\": \"ada.lovelace@example.com\"")
    });
    // Line 2 is `  "email": "ada.lovelace@example.com",`: replace the address.
    console.send(DOWN);
    console.send(END);
    console.send(LEFT);
    console.send(LEFT);
    console.send(&b"\x7f".repeat("ada.lovelace@example.com".len()));
    console.type_text(TAKEN);
    console.wait_until("the edit", WAIT, |s| {
        s.contains(&format!("\"email\": \"{TAKEN}\"")) && s.contains("— valid")
    });
    review(&mut console);
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("Response  ✗ 409"), "{screen}");
    assert!(screen.contains("What the server said"), "{screen}");
    assert!(
        screen.contains("conflicts with another identity"),
        "the reason in plain words:\n{screen}"
    );
    assert_eq!(demo.identity(&id), before, "nothing changed on the server");

    console.esc();
    let screen = console.wait_for("Edit traits");
    assert!(
        screen.contains(&format!("\"email\": \"{TAKEN}\"")),
        "the edit is intact:\n{screen}"
    );
    console.send(&b"\x7f".repeat(TAKEN.len()));
    console.type_text(NEW);
    console.wait_until("the fix", WAIT, |s| {
        s.contains(&format!("\"email\": \"{NEW}\"")) && s.contains("— valid")
    });
    review(&mut console);
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");

    let after = demo.identity(&id);
    let mut expected = without_derived(&before);
    expected["traits"]["email"] = json!(NEW);
    assert_eq!(
        without_derived(&after),
        expected,
        "only the e-mail changed (and what derives from it)"
    );
    assert_eq!(after["credentials"]["password"]["identifiers"], json!([NEW]));
    assert_eq!(after["verifiable_addresses"][0]["value"], NEW);
}

#[test]
fn the_schema_form_revalidates_the_traits_and_sends_only_a_fitting_schema() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    // Ada's traits (e-mail and name) do not fit phone-password.
    let ada = curated("ada.lovelace@example.com");
    let ada_id = id_of(&ada);
    let ada_before = demo.identity(&ada_id);
    open_detail(&mut console, "ada.lovelace@example.com", &ada_id);
    console.keys("i");
    console.wait_for("Change schema");
    console.keys("j");
    let screen = console.wait_for("The traits do not fit the selected schema");
    assert!(
        screen.contains("/traits"),
        "the violations name their pointer:\n{screen}"
    );
    console.send(CTRL_S);
    console.wait_until("the refusal", WAIT, |_| {
        form_hint(&console).contains("do not fit the schema")
    });
    assert_stays_on_form(&console, "traits that do not fit");
    // The form points at the route that works: schema and traits together.
    let command = schema_command_on(&console.screen());
    assert_eq!(
        command,
        format!("idcon update {ada_id} --set '/schema_id=\"phone-password\"' --traits-file traits.json")
    );
    console.esc();
    console.wait_for("Discard your changes?");
    console.keys("y");
    wait_detail_loaded(&console, &ada_id);
    console.esc();
    console.wait_until("the list", WAIT, |s| s.contains("IDENTIFIER"));
    assert_eq!(demo.identity(&ada_id), ada_before);

    // Run as shown (with this console's connection flags and --yes), with
    // traits that fit: the schema and the traits change in one request.
    let traits = json!({"email": "ada.lovelace@example.com", "phone": "+441632960961"});
    let folder = home.path("work");
    if let Err(e) =
        std::fs::create_dir_all(&folder).and_then(|()| std::fs::write(folder.join("traits.json"), traits.to_string()))
    {
        panic!("writing traits.json: {e}");
    }
    let output = run_shown_command(&home, &demo, &folder, &command);
    assert!(
        output.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let after = demo.identity(&ada_id);
    assert_eq!(after["schema_id"], json!("phone-password"));
    assert_eq!(after["traits"], traits);

    // An identity left with only an e-mail under phone-password moves to
    // email-password, where its traits fit.
    let other = curated("abena.nowak@example.fr");
    let id = id_of(&other);
    demo.change_behind_the_back(&id, |identity| {
        if let Some(traits) = identity["traits"].as_object_mut() {
            traits.remove("phone");
        }
    });
    let before = demo.identity(&id);
    console.esc();
    open_detail(&mut console, "abena.nowak@example.fr", &id);
    console.keys("i");
    console.wait_for("Change schema");
    console.keys("k");
    console.wait_for("The traits fit the selected schema.");
    let screen = review(&mut console);
    assert!(screen.contains("+ /schema_id: \"email-password\""), "{screen}");
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");
    let after = demo.identity(&id);
    let mut expected = without_derived(&before);
    expected["schema_id"] = json!("email-password");
    // The phone-only code credential may go with the schema; compare the rest.
    let mut got = without_derived(&after);
    for value in [&mut expected, &mut got] {
        if let Some(credentials) = value.get_mut("credentials").and_then(Value::as_object_mut) {
            credentials.remove("code");
        }
    }
    assert_eq!(got, expected, "only the schema changed");
}

/// The command the schema form shows for a schema change that needs new
/// traits, its two lines (joined by a backslash) made one.
fn schema_command_on(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().map(str::trim).collect();
    let Some(at) = lines.iter().position(|l| l.starts_with("idcon update ")) else {
        panic!("no command on the schema form:\n{screen}");
    };
    let first = lines[at].strip_suffix('\\').unwrap_or_else(|| panic!("{screen}"));
    format!(
        "{} {}",
        first.trim_end(),
        lines.get(at + 1).copied().unwrap_or_default()
    )
}

/// Runs `command` (as the console shows it, `idcon` being this build) in a
/// POSIX shell in `folder`, living in `home`, against `demo`, with `--yes`.
fn run_shown_command(home: &Home, demo: &Demo, folder: &std::path::Path, command: &str) -> std::process::Output {
    let Some(args) = command.strip_prefix("idcon ") else {
        panic!("{command}");
    };
    let line = format!("\"$IDCON\" {args} --yes --base-url \"$BASE\" --key \"$KEY\" --sdk-id {DEMO_SDK_ID}");
    let ran = std::process::Command::new("sh")
        .args(["-c", &line])
        .current_dir(folder)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path(""))
        .env("XDG_STATE_HOME", home.path("state"))
        .env("XDG_CONFIG_HOME", home.path("config"))
        .env("IDCON", env!("CARGO_BIN_EXE_idcon"))
        .env("BASE", demo.server.base_url())
        .env("KEY", &home.key)
        .stdin(std::process::Stdio::null())
        .output();
    match ran {
        Ok(output) => output,
        Err(e) => panic!("sh -c {line}: {e}"),
    }
}

/// Checks that no escape sequence from identity data reached the terminal raw.
fn assert_no_hostile_bytes(raw: &[u8]) {
    let forbidden: [(&[u8], &str); 8] = [
        (b"\x1b]52", "OSC 52 (clipboard write)"),
        (b"\x1b]0", "OSC 0 (window title)"),
        (b"\x1b]8", "OSC 8 (hyperlink)"),
        (b"\x1b[2J", "CSI 2J (clear screen)"),
        (b"\x07", "BEL"),
        (b"\xc2\x9b", "U+009B (C1 CSI)"),
        (b"\xe2\x80\xae", "U+202E (right-to-left override)"),
        (b"\x1b[5m", "blink from the external id"),
    ];
    for (bytes, what) in forbidden {
        assert!(!contains(raw, bytes), "{what} reached the terminal");
    }
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
fn hostile_identities_stay_inert_in_every_form_and_round_trip_exactly() {
    let demo = Demo::start_with(|o| o.hostile = true);
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let start = console.raw_len();

    // A trait edit next to escape sequences: they reach the server unchanged.
    let trudy_id = {
        console.keys("/");
        console.wait_until("the search prompt", WAIT, |s| s.contains("ask the server"));
        console.type_text("hostile.csi2j@example.com");
        console.enter();
        console.wait_until("the search result", WAIT, |s| {
            s.contains("1 identity on the server matches")
        });
        console.enter();
        let screen = console.wait_until("the detail", WAIT, |s| {
            s.contains("Summary") && s.contains("Trudy\\u001b[2J")
        });
        let id = screen
            .split_whitespace()
            .find(|w| uuid::Uuid::try_parse(w).is_ok())
            .unwrap_or_default()
            .to_owned();
        assert!(!id.is_empty(), "the detail shows the id:\n{screen}");
        id
    };
    let before = demo.identity(&trudy_id);
    console.keys("e");
    // F2: the JSON editor (`e` opens the form built from the schema).
    console.send(b"\x1bOQ");
    console.wait_for("\"last\": \"Clear\\u001b[31mRed\"");
    for _ in 0..4 {
        console.send(DOWN);
    }
    console.send(END);
    console.send(LEFT);
    console.type_text("X");
    console.wait_until("the edit", WAIT, |s| s.contains("RedX\"") && s.contains("— valid"));
    review(&mut console);
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");
    let after = demo.identity(&trudy_id);
    let mut expected = stable(&before);
    expected["traits"]["name"]["last"] = json!("Clear\u{1b}[31mRedX");
    assert_eq!(stable(&after), expected, "escapes round-trip byte for byte");
    console.esc();
    wait_detail_loaded(&console, &trudy_id);

    // Every other form opens on it without letting a control code out.
    console.keys("m");
    console.wait_for("Edit metadata");
    console.esc();
    wait_detail_loaded(&console, &trudy_id);
    console.keys("c");
    console.wait_for("new password");
    credentials_mode(&mut console, 2, "linked now");
    console.esc();
    wait_detail_loaded(&console, &trudy_id);
    let now = toggle_state(&mut console, "active");
    review(&mut console);
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");
    let latest = demo.identity(&trudy_id);
    let mut expected = stable(&after);
    expected["state"] = json!(now);
    assert_eq!(
        stable(&latest),
        expected,
        "metadata keys, values and external id with escapes kept"
    );
    assert_no_hostile_bytes(&console.raw_since(start));
}

#[test]
fn a_credential_linked_behind_the_consoles_back_is_shown_in_the_review() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    open_detail(&mut console, "ada.lovelace@example.com", &id);
    let now = toggle_state(&mut console, "active");

    // Another admin links a GitHub account meanwhile: only credentials change.
    demo.change_behind_the_back(&id, |identity| {
        let oidc = &mut identity["credentials"]["oidc"];
        if let Some(ids) = oidc["identifiers"].as_array_mut() {
            ids.push(json!("github:linked-by-someone"));
        }
        if let Some(providers) = oidc["config"]["providers"].as_array_mut() {
            providers.push(json!({"provider": "github", "subject": "linked-by-someone",
                "initial_id_token": "secret-id-token", "initial_access_token": "", "initial_refresh_token": ""}));
        }
    });
    let theirs = demo.identity(&id);
    review(&mut console);
    let screen = send_into_conflict(&mut console);
    assert!(
        screen.contains("github:linked-by-someone"),
        "their change is shown:\n{screen}"
    );
    assert!(!screen.contains("secret-id-token"), "never a token:\n{screen}");
    assert_eq!(demo.identity(&id), theirs, "nothing sent over their change");

    console.keys("m");
    console.wait_until("the merged review", WAIT, |s| s.contains("Merged your change"));
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");
    let after = demo.identity(&id);
    let mut expected = stable(&theirs);
    expected["state"] = json!(now);
    assert_eq!(stable(&after), expected, "their link stays, my state arrives");
}

#[test]
fn capital_e_edits_the_traits_in_the_users_editor_and_the_result_is_sent() {
    let demo = Demo::start();
    let home = Home::new();
    // An "editor" that notes the file's mode, renames Ada the first time and
    // fails the second time.
    let log = home.path("editor.log").display().to_string();
    let script = home.path("fake-editor.sh").display().to_string();
    let body = format!(
        "#!/bin/sh\nstat -c %a \"$1\" >> '{log}'\nif [ -e '{log}.ran' ]; then exit 3; fi\n\
         touch '{log}.ran'\nsed -i 's/\"Ada\"/\"Adalia\"/' \"$1\"\n"
    );
    if let Err(e) = std::fs::write(&script, body)
        .and_then(|()| std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)))
    {
        panic!("writing the editor script: {e}");
    }
    let mut console = home.console(&demo, &[], &[("VISUAL", script.as_str())]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let before = demo.identity(&id);
    open_detail(&mut console, "ada.lovelace@example.com", &id);

    console.keys("E");
    let screen = console.wait_until("the traits form after the editor", WAIT, |s| {
        s.contains("Edit traits") && s.contains("\"first\": \"Adalia\"")
    });
    assert!(screen.contains("— valid"), "what came back is checked:\n{screen}");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap_or_default().trim(),
        "600",
        "the editor's file is 0600"
    );
    let screen = review(&mut console);
    assert!(screen.contains("+ /traits/name/first: \"Adalia\""), "{screen}");
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");
    let after = demo.identity(&id);
    let mut expected = stable(&before);
    expected["traits"]["name"]["first"] = json!("Adalia");
    assert_eq!(stable(&after), expected);

    // An editor that fails changes nothing and says so.
    console.esc();
    wait_detail_loaded(&console, &id);
    console.keys("E");
    let screen = console.wait_for("The editor failed");
    assert!(!screen.contains("Edit traits"), "no form opened:\n{screen}");
    assert_eq!(stable(&demo.identity(&id)), stable(&after));
    // The scratch files are gone.
    let scratch = home.path("state/idcon/edit").display().to_string();
    let leftovers: Vec<_> = match std::fs::read_dir(&scratch) {
        Ok(dir) => dir.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => panic!("the editor's scratch folder {scratch}: {e}"),
    };
    assert!(leftovers.is_empty(), "scratch files left: {leftovers:?}");
    let mode = std::fs::metadata(&scratch)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0);
    assert_eq!(mode & 0o077, 0, "the scratch folder is private: {mode:o}");
}

/// Issue 7: an attribute update from the console reaches the registry signed
/// (the demo refuses unsigned requests), its answer is shown, an unknown token
/// is explained in plain words, and the token never shows in full.
#[test]
fn an_attribute_update_reaches_the_registry_signed_and_its_answer_is_shown() {
    let demo = Demo::start();
    let home = Home::new();
    let config_dir = home.dir.path().join("config/idcon");
    let config = format!(
        "default = \"demo\"\n[profiles.demo]\nbase_url = \"{}\"\nsdk_id = \"{}\"\nkey_file = \"{}\"\nattribute_registry_url = \"{}\"\n",
        demo.server.base_url(),
        DEMO_SDK_ID,
        home.key.display(),
        demo.server.attribute_registry_url()
    );
    if let Err(e) =
        std::fs::create_dir_all(&config_dir).and_then(|()| std::fs::write(config_dir.join("config.toml"), config))
    {
        panic!("writing the config: {e}");
    }
    let mut console = home.spawn(&[], &[], COLS, ROWS);
    console.wait_until("the first list frame", WAIT, |s| {
        s.contains("IDENTIFIER") && s.contains('@')
    });

    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    let token = ada["metadata_admin"]["yoti"]["issuance_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(token.len() > 8, "the curated identity carries a token");
    open_detail(&mut console, "ada.lovelace@example.com", &id);
    console.keys("a");
    let form = console.wait_for("issuance token");
    assert!(form.contains("from /metadata_admin/yoti/issuance_token"), "{form}");
    assert!(!form.contains(&token), "the token is masked:\n{form}");
    console.type_text("com.example.membership");
    console.tab();
    console.send(RIGHT);
    console.type_text("gold");
    console.send(CTRL_S);
    let review = console.wait_for("Send this update?");
    assert!(
        review.contains("\"name\": \"com.example.membership\"") && review.contains("\"value\": \"gold\""),
        "{review}"
    );
    assert!(!review.contains(&token), "the token is masked in the review:\n{review}");
    console.keys("y");
    let answer = console.wait_until("the registry's answer", WAIT, |s| s.contains("Response  ✓"));
    assert!(answer.contains("200"), "{answer}");
    assert!(
        !contains(&console.raw_output(), token.as_bytes()),
        "the token never reaches the terminal"
    );

    // An unknown token: the registry says 404, explained in plain words.
    console.esc();
    console.wait_for("Summary");
    console.keys("a");
    console.wait_for("issuance token");
    console.tab();
    console.tab();
    console.send(b"\x15"); // Ctrl-U clears the token field
    console.type_text("no-such-token-0000");
    console.tab();
    console.type_text("com.example.membership");
    console.tab();
    console.send(RIGHT);
    console.type_text("x");
    console.send(CTRL_S);
    console.wait_for("Send this update?");
    console.keys("y");
    let refused = console.wait_until("the registry's refusal", WAIT, |s| s.contains("Response  ✗"));
    assert!(
        refused.contains("404") && refused.contains("what this means"),
        "{refused}"
    );
}

/// Kratos answers a PUT with nanosecond timestamps and a later GET with
/// microseconds; the console keeps the PUT answer as the next baseline. Two
/// edits of one identity in a row must both go out, with no "changed on the
/// server" stop in between, and the state form says what Kratos does to
/// sessions.
#[test]
fn two_edits_in_a_row_both_go_out_without_a_false_conflict() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    open_detail(&mut console, "ada.lovelace@example.com", &id);

    let screen = {
        console.keys("s");
        console.wait_for("Change state")
    };
    assert!(
        screen.contains("all sessions are blocked at once"),
        "the state form says what deactivating does to sessions:\n{screen}"
    );
    console.keys(" ");
    console.wait_for("(•) inactive");
    review(&mut console);
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "{screen}");
    assert_eq!(demo.identity(&id)["state"], "inactive");

    console.esc();
    wait_detail_loaded(&console, &id);
    let now = toggle_state(&mut console, "inactive");
    assert_eq!(now, "active");
    let screen = review(&mut console);
    assert!(!screen.contains("changed on the server"), "{screen}");
    let screen = send_and_wait_response(&mut console);
    assert!(screen.contains("✓ 200"), "the second edit went out:\n{screen}");
    assert_eq!(demo.identity(&id)["state"], "active");
    assert!(
        !std::fs::read_to_string(home.audit_file())
            .unwrap_or_default()
            .contains("changed on the server"),
        "no refusal was recorded for a false conflict"
    );
}

/// What the shell shows once the console has closed (the main screen).
fn after_exit(console: &mut Console) -> String {
    assert!(console.wait_exit(WAIT).is_some(), "the console quits");
    console.wait_until("the shell's screen", WAIT, |_| !console.alternate_screen())
}

#[test]
fn forms_name_the_identity_and_quitting_mid_edit_says_where_the_draft_went() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let ada = curated("ada.lovelace@example.com");
    let id = id_of(&ada);
    open_detail(&mut console, "ada.lovelace@example.com", &id);

    console.keys("e");
    // F2: the JSON editor (`e` opens the form built from the schema).
    console.send(b"\x1bOQ");
    let screen = console.wait_until("the traits editor", WAIT, |s| {
        s.contains("Edit traits") && s.contains("\"first\": \"Ada\"")
    });
    let header = screen.lines().nth(1).unwrap_or_default();
    assert!(
        header.contains("ada.lovelace@example.com (Ada Lovelace)") && header.contains(&id),
        "the header names whom the form changes: {header}"
    );
    for _ in 0..3 {
        console.send(DOWN);
    }
    console.send(END);
    console.send(LEFT);
    console.send(LEFT);
    console.type_text("lia");
    console.wait_for("\"first\": \"Adalia\"");
    console.ctrl_c();
    let shell = after_exit(&mut console);
    assert!(
        shell.contains("Draft saved: your traits change for ada.lovelace@example.com (Ada Lovelace)."),
        "{shell}"
    );
    let Some(path) = home.draft_file(&id) else {
        panic!("the line says saved, the draft is on disk:\n{shell}");
    };
    let draft: Value = match std::fs::read(&path).map(|b| serde_json::from_slice(&b)) {
        Ok(Ok(draft)) => draft,
        other => panic!("{}: {other:?}", path.display()),
    };
    assert_eq!(draft["identifier"], json!("ada.lovelace@example.com"));
    assert_eq!(draft["name"], json!("Ada Lovelace"));

    // The next session lists it by whom it is for, and a password typed
    // into the credentials form is said not to be kept when the console is
    // ended (SIGTERM here).
    let mut console = home.console(&demo, &[], &[]);
    console.keys("D");
    let screen = console.wait_for("Drafts waiting");
    let row = screen.lines().find(|l| l.contains("traits")).unwrap_or_default();
    assert!(
        row.contains("ada.lovelace@example.com") && row.contains("Ada Lovelace"),
        "{screen}"
    );
    console.enter();
    wait_detail_loaded(&console, &id);
    console.keys("c");
    console.wait_until("the credentials form", WAIT, |s| s.contains("new password"));
    console.type_text("Tr0ub4dor&3");
    console.wait_for("•••••••••••");
    let pid = console.pid().map(|p| p.to_string()).unwrap_or_default();
    let killed = std::process::Command::new("kill").args(["-TERM", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()), "kill -TERM {pid}");
    let shell = after_exit(&mut console);
    assert!(
        shell.contains(
            "Not saved: the credentials form for ada.lovelace@example.com (Ada Lovelace) (passwords and hashes are never written down)."
        ),
        "{shell}"
    );
    assert!(!contains(&console.raw_output(), b"Tr0ub4dor"));
    // The traits draft of the first session is still there.
    assert!(home.draft_file(&id).is_some());
}
