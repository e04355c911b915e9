//! Issue 18 in the console, as support handles "unlink my GitHub" and "I
//! never got the verification mail": the real `idcon` binary in a
//! pseudo-terminal against the demo server. Each test ends by checking the
//! server holds exactly the intended change.
//!
//! Every wait is bounded (the harness panics with the screen on timeout).

use serde_json::{Value, json};

use crate::support::console_env::{Demo, Home, curated, id_of, open_detail};
use crate::support::pty::WAIT;

/// `identity` without what a write moves by itself.
fn settled(mut identity: Value) -> Value {
    if let Some(object) = identity.as_object_mut() {
        object.remove("updated_at");
    }
    identity
}

#[test]
fn x_unlinks_one_social_sign_in_and_nothing_else() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let email = "multi.provider@example.com";
    let id = id_of(&curated(email));
    let before = demo.identity(&id);
    open_detail(&mut console, email, &id);
    console.keys("4");
    console.wait_for("▶ google");
    console.keys("j");
    console.wait_for("▶ github");
    console.keys("x");
    let screen = console.wait_for("Remove a credential");
    assert!(screen.contains("social sign-in with github"), "{screen}");
    assert!(screen.contains(&id), "the question names the identity:\n{screen}");
    console.keys("y");
    console.wait_until("the answer and the identity read again", WAIT, |s| {
        s.contains("Removed the oidc credential link github:4401214") && !s.contains("  github ")
    });

    let mut expected = before.clone();
    expected["credentials"]["oidc"]["identifiers"] = json!([
        "google:108000000000000000014",
        "microsoft:00000000-0000-0000-4ab1-1234567890ab"
    ]);
    if let Some(providers) = expected["credentials"]["oidc"]["config"]["providers"].as_array_mut() {
        providers.retain(|p| p["provider"] != "github");
    }
    assert_eq!(settled(demo.identity(&id)), settled(expected));

    let trail = std::fs::read_to_string(home.audit_file()).unwrap_or_else(|e| panic!("audit trail: {e}"));
    let lines: Vec<&str> = trail.lines().filter(|l| l.contains("/credentials/oidc")).collect();
    assert_eq!(lines.len(), 2, "intent and outcome:\n{trail}");
    assert!(
        lines[0].contains("\"intent\"") && lines[1].contains("\"outcome\""),
        "{trail}"
    );
    assert!(
        !trail.contains("initial_access_token") && !trail.contains("hashed_password"),
        "{trail}"
    );
}

#[test]
fn v_marks_the_address_verified_and_kratos_refusals_are_explained() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let email = "grace.hopper@example.org";
    let id = id_of(&curated(email));
    let before = demo.identity(&id);
    open_detail(&mut console, email, &id);

    // Her only first factor: Kratos refuses, in plain words, nothing changes.
    console.keys("4");
    console.wait_for("▶ identifiers");
    console.keys("x");
    console.wait_for("Remove a credential");
    console.keys("y");
    console.wait_for("last way to sign in");
    assert_eq!(demo.identity(&id), before);

    console.keys("5");
    console.wait_for("▶ grace.hopper@example.org");
    console.keys("v");
    console.wait_for("Mark an address verified");
    console.keys("n");
    console.wait_for("Nothing was sent");
    console.keys("v");
    console.wait_for("Mark an address verified");
    console.keys("y");
    console.wait_until("the answer and the identity read again", WAIT, |s| {
        s.contains("Marked grace.hopper@example.org verified") && s.contains("  verified")
    });

    let after = demo.identity(&id);
    let address = &after["verifiable_addresses"][0];
    assert_eq!(address["verified"], true);
    assert_eq!(address["status"], "completed");
    assert!(address["verified_at"].is_string());
    let mut expected = before.clone();
    expected["verifiable_addresses"][0]["verified"] = json!(true);
    expected["verifiable_addresses"][0]["status"] = json!("completed");
    expected["verifiable_addresses"][0]["verified_at"] = address["verified_at"].clone();
    assert_eq!(settled(after), settled(expected));
}

#[test]
fn a_read_only_profile_removes_nothing() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &["--read-only"], &[]);
    let email = "multi.provider@example.com";
    let id = id_of(&curated(email));
    let before = demo.identity(&id);
    open_detail(&mut console, email, &id);
    console.keys("4");
    console.wait_for("▶ google");
    console.keys("x");
    let screen = console.wait_for("read-only");
    assert!(!screen.contains("Remove a credential"), "no question:\n{screen}");
    console.keys("5");
    console.wait_for("▶ multi.provider@example.com");
    console.keys("v");
    console.wait_until("the second refusal", WAIT, |s| {
        s.contains("whether an address is verified")
    });
    assert_eq!(demo.identity(&id), before);
}
