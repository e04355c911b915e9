//! Deleting an identity in the console, as a support person handles a
//! data-erasure ticket: the real `idcon` binary in a pseudo-terminal against
//! the demo server. `Ctrl-D` on the identity shows what goes, a wrong
//! identifier deletes nothing, a change made meanwhile on the server is
//! shown and asked again, then the identifier typed exactly deletes it: back
//! on the list without its row, the server without the identity or its
//! sessions, the audit trail with the snapshot.
//!
//! Every wait is bounded (the harness panics with the screen on timeout).

use crate::support::console_env::{Demo, Home, first_identity, id_of, wait_detail_loaded};
use crate::support::pty::WAIT;

const CTRL_D: &[u8] = b"\x04";
const TAB: &[u8] = b"\t";

#[test]
fn ctrl_d_shows_what_goes_asks_again_after_a_change_then_deletes() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &[], &[]);
    let person = first_identity();
    let id = id_of(&person);
    let Some(email) = person["traits"]["email"].as_str().map(str::to_owned) else {
        panic!("the first identity has no e-mail: {person}")
    };
    console.enter();
    wait_detail_loaded(&console, &id);

    console.send(CTRL_D);
    let screen = console.wait_until("the delete screen with its session count", WAIT, |s| {
        s.contains("type to confirm") && s.contains("(each signs out)")
    });
    assert!(screen.contains(&format!("Delete {email}")), "{screen}");
    assert!(screen.contains("/traits/email"), "{screen}");
    assert!(screen.contains("credentials"), "{screen}");
    assert!(screen.contains("no undo"), "{screen}");

    // A wrong identifier: Enter deletes nothing.
    console.type_text("someone@else.example");
    console.enter();
    console.wait_for("Not deleted: type");
    for _ in 0.."someone@else.example".chars().count() {
        console.send(b"\x7f");
    }

    // The reason, then the identifier; meanwhile another admin changes it.
    console.send(TAB);
    console.type_text("GDPR-77");
    console.enter();
    console.wait_for("Reason kept");
    demo.change_behind_the_back(&id, |identity| {
        identity["metadata_admin"] = serde_json::json!({"note": "changed meanwhile"});
    });
    console.type_text(&email);
    console.wait_for("✓ matches");
    console.enter();
    let screen = console.wait_for("Changed on the server since it was shown");
    assert!(screen.contains("/metadata_admin"), "{screen}");
    assert!(
        demo.server.request_log().iter().all(|r| r.method != "DELETE"),
        "nothing was deleted yet"
    );
    assert_eq!(demo.identity(&id)["id"], id.as_str(), "still there");

    // Asked again: Enter deletes it.
    console.enter();
    let screen = console.wait_until("the list after the delete", WAIT, |s| {
        s.contains(&format!("Deleted {email}")) && s.contains("IDENTIFIER")
    });
    assert!(screen.contains("HTTP 204"), "{screen}");
    let listed: Vec<&str> = screen.lines().filter(|l| l.contains(&email)).collect();
    assert_eq!(listed.len(), 1, "only the status line names it:\n{screen}");

    // The server: gone, with its sessions; one DELETE.
    let deletes: Vec<_> = demo
        .server
        .request_log()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert!(deletes[0].path.ends_with(&format!("/identities/{id}")));
    let runtime = tokio::runtime::Builder::new_current_thread().build();
    let Ok(runtime) = runtime else { panic!("runtime") };
    assert!(runtime.block_on(demo.server.identity(&id)).is_none(), "still stored");

    // The audit trail: the intent holds what was deleted, then the 204.
    let audit = std::fs::read_to_string(home.audit_file()).unwrap_or_default();
    let lines: Vec<serde_json::Value> = audit.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let intent = lines
        .iter()
        .find(|l| l["event"] == "intent" && l["method"] == "DELETE")
        .unwrap_or_else(|| panic!("no DELETE intent:\n{audit}"));
    assert_eq!(intent["why"], "GDPR-77");
    assert_eq!(intent["identifier"], email.as_str());
    let changes = intent["changes"].as_array().cloned().unwrap_or_default();
    assert!(
        changes
            .iter()
            .any(|c| c["pointer"] == "/traits/email" && c["old"] == email.as_str()),
        "{changes:?}"
    );
    assert!(
        changes.iter().any(|c| c["pointer"] == "/metadata_admin/note"),
        "the snapshot as deleted: {changes:?}"
    );
    assert!(changes.iter().any(|c| c["pointer"] == "/sessions"), "{changes:?}");
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "outcome" && l["method"] == "DELETE" && l["status"] == 204),
        "{audit}"
    );

    console.keys("q");
    assert_eq!(console.wait_exit(WAIT), Some(true));
}

#[test]
fn a_read_only_profile_refuses_ctrl_d_without_a_request() {
    let demo = Demo::start();
    let home = Home::new();
    let mut console = home.console(&demo, &["--read-only"], &[]);
    let id = id_of(&first_identity());
    console.enter();
    wait_detail_loaded(&console, &id);
    console.send(CTRL_D);
    console.wait_for("read-only");
    assert!(demo.server.request_log().iter().all(|r| r.method != "DELETE"));
    assert_eq!(demo.identity(&id)["id"], id.as_str());
    console.keys("q");
    console.keys("q");
    assert!(console.wait_exit(WAIT).is_some());
}
