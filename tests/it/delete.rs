//! Deleting an identity: the demo's `DELETE {prefix}/identities/{id}` against
//! Kratos (204, the no-rows 404 in its envelope, the sessions going too),
//! idcon's client (`Deleted` / `AlreadyGone`, read-only refused before
//! anything is sent), and `idcon delete` run as the binary.

use idcon::api::ApiError;
use idcon::api::delete::Deleted;
use idcon::demo::{DemoOptions, KratosVersion};

use crate::support::cli_env::CliEnv;
use crate::support::demo::{client as demo_client, id_of, list_all};

/// The first curated identity's id.
async fn some_identity(env: &CliEnv) -> String {
    let all = list_all(&demo_client(&env.demo), "10").await;
    let Some(first) = all.first() else {
        panic!("the demo seed is empty")
    };
    id_of(first)
}

// ----- the demo server ------------------------------------------------------

#[tokio::test]
async fn the_demo_deletes_with_204_then_answers_kratos_no_rows_404() {
    for version in [KratosVersion::V1_3, KratosVersion::V25, KratosVersion::V26] {
        let mut options = DemoOptions::for_tests();
        options.kratos_version = version;
        let env = CliEnv::start_with(options).await;
        let id = some_identity(&env).await;
        let raw = demo_client(&env.demo);
        let sessions_before = raw.get(&format!("/admin/identities/{id}/sessions"), &[]).await;
        assert_eq!(sessions_before.status, 200, "{}", sessions_before.text);
        let session_list = sessions_before.json();
        let Some(session_id) = session_list
            .as_array()
            .and_then(|list| list.first())
            .and_then(|s| s["id"].as_str())
            .map(str::to_owned)
        else {
            panic!("the seed identity has no session: {session_list}")
        };
        let count = env.demo.identity_count();

        let deleted = raw
            .send(
                "DELETE",
                &format!("/admin/identities/{id}"),
                &[],
                None,
                Default::default(),
            )
            .await;
        assert_eq!(deleted.status, 204, "{version:?}: {}", deleted.text);
        assert!(deleted.text.is_empty(), "a 204 has no body: {:?}", deleted.text);
        assert_eq!(env.demo.identity_count(), count - 1);
        assert!(env.demo.identity(&id).await.is_none(), "still stored");

        let get = raw.get(&format!("/admin/identities/{id}"), &[]).await;
        assert_eq!(get.status, 404);
        let session = raw.get(&format!("/admin/sessions/{session_id}"), &[]).await;
        assert_eq!(
            session.status, 404,
            "the session outlived its identity: {}",
            session.text
        );
        let listed = raw.get(&format!("/admin/identities/{id}/sessions"), &[]).await;
        assert_eq!(listed.json(), serde_json::json!([]), "sessions still listed");

        let again = raw
            .send(
                "DELETE",
                &format!("/admin/identities/{id}"),
                &[],
                None,
                Default::default(),
            )
            .await;
        assert_eq!(again.status, 404);
        let error = &again.json()["error"];
        assert_eq!(error["code"], 404, "{}", again.text);
        assert_eq!(error["status"], "Not Found");
        assert_eq!(error["message"], "Unable to locate the resource");

        let malformed = raw
            .send("DELETE", "/admin/identities/not-a-uuid", &[], None, Default::default())
            .await;
        assert_eq!(
            malformed.status, 404,
            "x.ParseUUID makes it the nil id: {}",
            malformed.text
        );
        assert_eq!(malformed.json()["error"]["message"], "Unable to locate the resource");
        env.demo.stop().await;
    }
}

#[tokio::test]
async fn a_deleted_identitys_identifiers_are_free_again() {
    let env = CliEnv::start_with(DemoOptions::for_tests()).await;
    let raw = demo_client(&env.demo);
    let all = list_all(&raw, "500").await;
    let Some(first) = all.first() else { panic!("empty seed") };
    let id = id_of(first);
    let Some(email) = first["traits"]["email"].as_str().map(str::to_owned) else {
        panic!("the first seed identity has no email: {first}")
    };
    let Some(other) = all.get(1).map(id_of) else {
        panic!("one identity only")
    };
    // Giving the other identity the email is refused while its owner exists...
    let mut body = env.stored(&other).await;
    body["traits"]["email"] = serde_json::json!(email);
    let body = serde_json::json!({
        "schema_id": body["schema_id"],
        "state": body["state"],
        "traits": body["traits"],
    });
    let taken = raw.put(&format!("/admin/identities/{other}"), &body).await;
    assert_eq!(taken.status, 409, "{}", taken.text);
    // ... and accepted once it is deleted.
    let deleted = raw
        .send(
            "DELETE",
            &format!("/admin/identities/{id}"),
            &[],
            None,
            Default::default(),
        )
        .await;
    assert_eq!(deleted.status, 204);
    let free = raw.put(&format!("/admin/identities/{other}"), &body).await;
    assert_eq!(free.status, 200, "{}", free.text);
    env.demo.stop().await;
}

// ----- the client -----------------------------------------------------------

#[tokio::test]
async fn the_client_says_deleted_then_already_gone() {
    let env = CliEnv::start_with(DemoOptions::for_tests()).await;
    let id = some_identity(&env).await;
    let client = env.client();
    let prepared = match client.prepare_delete_identity(&id) {
        Ok(p) => p,
        Err(e) => panic!("prepare: {e}"),
    };
    assert_eq!(prepared.method, "DELETE");
    let path = prepared.url.split('?').next().unwrap_or_default();
    assert!(path.ends_with(&format!("/admin/identities/{id}")), "{}", prepared.url);
    assert!(prepared.body.is_none());
    assert!(env.demo.identity(&id).await.is_some(), "preparing sends nothing");
    match client.send_delete_identity(&prepared).await {
        Ok(Deleted::Deleted) => {}
        other => panic!("first delete: {other:?}"),
    }
    assert!(env.demo.identity(&id).await.is_none());
    match client.delete_identity(&id).await {
        Ok(Deleted::AlreadyGone) => {}
        other => panic!("second delete: {other:?}"),
    }
    env.demo.stop().await;
}

#[tokio::test]
async fn a_read_only_profile_refuses_before_signing_or_sending() {
    let env = CliEnv::start_with(DemoOptions::for_tests()).await;
    let id = some_identity(&env).await;
    let mut profile = env.profile();
    profile.read_only = true;
    let client = match idcon::api::Client::new(&profile) {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    };
    let sent = env.demo.request_log().len();
    match client.prepare_delete_identity(&id) {
        Err(ApiError::ReadOnly { .. }) => {}
        other => panic!("not refused: {other:?}"),
    }
    assert_eq!(env.demo.request_log().len(), sent, "nothing reached the server");
    assert!(env.demo.identity(&id).await.is_some());
    env.demo.stop().await;
}

#[tokio::test]
async fn a_404_that_is_not_kratos_no_rows_is_an_error() {
    // A gateway without the route answers 404 in another shape: that is not
    // "already gone", or a typo in the base URL would read as success.
    let env = CliEnv::start_with(DemoOptions::for_tests()).await;
    let mut profile = env.profile();
    profile.identities_path = "/nowhere/identities".to_owned();
    let client = match idcon::api::Client::new(&profile) {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    };
    let outcome = client.delete_identity("7f7e2c9a-6bd4-4a8b-9d61-0c1b5b0a2f10").await;
    assert!(
        matches!(&outcome, Err(ApiError::Http(e)) if e.status == 404),
        "{outcome:?}"
    );
    env.demo.stop().await;
}

// ----- idcon delete -----------------------------------------------------------

/// A profile that requires a reason (`strict`) and the default one, which
/// does not; the flags give the demo's URL and key.
const CONFIG: &str = r#"
default = "relaxed"

[profiles.strict]
base_url = "http://127.0.0.1:9"
require_reason = true

[profiles.relaxed]
base_url = "http://127.0.0.1:9"
"#;

/// The CLI harness with the two profiles written.
async fn cli_env(options: DemoOptions) -> CliEnv {
    let env = CliEnv::start_with(options).await;
    let config = env.dir.path().join("config/idcon");
    std::fs::create_dir_all(&config).expect("config folder");
    std::fs::write(config.join("config.toml"), CONFIG).expect("config");
    env
}

/// `idcon ARGS` with stdin not a terminal (null), no colour.
async fn run(env: &CliEnv, args: &[&str]) -> std::process::Output {
    let mut command = env.command(args);
    command
        .current_dir(env.dir.path())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    let child = command.spawn().expect("run idcon");
    tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("idcon finished in time")
        .expect("idcon output")
}

fn out(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn err(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn deletes_sent(env: &CliEnv) -> usize {
    env.demo.request_log().iter().filter(|r| r.method == "DELETE").count()
}

/// A curated identity with a password credential for its e-mail alone (and
/// sessions, as every seed identity): its id and e-mail.
async fn someone(env: &CliEnv) -> (String, String) {
    let all = list_all(&demo_client(&env.demo), "500").await;
    for identity in &all {
        let id = id_of(identity);
        let stored = env.stored(&id).await;
        let email = identity["traits"]["email"].as_str().unwrap_or_default();
        // Signs in with its e-mail only: the identifier the console names it by.
        let has_password =
            !email.is_empty() && stored["credentials"]["password"]["identifiers"] == serde_json::json!([email]);
        if let (true, Some(email)) = (has_password, identity["traits"]["email"].as_str()) {
            return (id, email.to_owned());
        }
    }
    panic!("no curated identity with a password")
}

#[tokio::test]
async fn delete_shows_what_is_lost_deletes_and_audits_a_snapshot_without_secrets() {
    let env = cli_env(DemoOptions::for_tests()).await;
    let (id, email) = someone(&env).await;
    let stored = env.stored(&id).await;
    let hash = stored["credentials"]["password"]["config"]["hashed_password"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(hash.len() > 10, "the seed identity has a password hash: {stored}");
    let sessions = demo_client(&env.demo)
        .get(&format!("/admin/identities/{id}/sessions"), &[])
        .await
        .json();
    let session_count = sessions.as_array().map_or(0, Vec::len);
    assert!(session_count > 0);

    let done = run(&env, &["delete", &id, "--yes", "--reason", "GDPR-77 erasure request"]).await;
    assert_eq!(done.status.code(), Some(0), "{}", err(&done));
    let text = out(&done);
    assert!(
        text.starts_with(&format!("DELETE {}", env.demo.identities_url())),
        "{text}"
    );
    assert!(text.contains(&format!("  identity: {email}")), "{text}");
    assert!(text.contains("  reason: GDPR-77 erasure request"), "{text}");
    assert!(text.contains(&format!("  - /traits/email: \"{email}\"")), "{text}");
    assert!(text.contains(&format!("    password: {email}")), "{text}");
    assert!(text.contains(&format!("  sessions: {session_count} (")), "{text}");
    assert!(text.contains("there is no undo"), "{text}");
    assert!(
        text.contains(&format!("deleted {email}")) && text.contains("HTTP 204"),
        "{text}"
    );
    assert!(!text.contains(&hash) && !err(&done).contains(&hash));

    // Gone from the server, with its sessions.
    assert!(env.demo.identity(&id).await.is_none());
    let listed = demo_client(&env.demo)
        .get(&format!("/admin/identities/{id}/sessions"), &[])
        .await;
    assert_eq!(listed.json(), serde_json::json!([]));

    // The trail: an intent with the snapshot, then the outcome.
    let trail = env.audit_text();
    assert!(!trail.contains(&hash), "a hash in the audit trail");
    let lines = env.audit_lines();
    assert_eq!(lines.len(), 2, "{trail}");
    let intent = &lines[0];
    assert_eq!(intent["event"], "intent");
    assert_eq!(intent["method"], "DELETE");
    assert_eq!(intent["identity_id"], id.as_str());
    assert_eq!(intent["identifier"], email.as_str());
    assert_eq!(intent["why"], "GDPR-77 erasure request");
    let changes = intent["changes"].as_array().cloned().unwrap_or_default();
    let at = |pointer: &str| changes.iter().find(|c| c["pointer"] == pointer).cloned();
    assert_eq!(
        at("/traits/email").map(|c| c["old"].clone()),
        Some(serde_json::json!(email))
    );
    assert!(at("/state").is_some(), "{changes:?}");
    let password = changes.iter().find(|c| {
        c["pointer"].as_str().is_some_and(|p| p.starts_with("/credentials/")) && c["old"]["type"] == "password"
    });
    assert_eq!(
        password.map(|c| c["old"]["identifiers"].clone()),
        Some(serde_json::json!([email])),
        "{changes:?}"
    );
    assert_eq!(
        at("/sessions").and_then(|c| c["old"].as_array().map(Vec::len)),
        Some(session_count)
    );
    assert!(changes.iter().all(|c| c.get("new").is_none()), "removals only");
    assert_eq!(lines[1]["event"], "outcome");
    assert_eq!(lines[1]["status"], 204);

    // `idcon audit` shows what was deleted, one line per value.
    let audit = run(&env, &["audit", "--identity", &id]).await;
    assert_eq!(audit.status.code(), Some(0), "{}", err(&audit));
    let table = out(&audit);
    assert!(table.contains("DELETE") && table.contains("204"), "{table}");
    assert!(table.contains(&format!("    - /traits/email: \"{email}\"")), "{table}");
    assert!(table.contains("    - /credentials/0: {\"type\":"), "{table}");
    env.demo.stop().await;
}

#[tokio::test]
async fn delete_without_a_terminal_and_without_yes_sends_nothing() {
    let env = cli_env(DemoOptions::for_tests()).await;
    let (id, email) = someone(&env).await;
    let refused = run(&env, &["delete", &id]).await;
    assert_eq!(refused.status.code(), Some(5), "{}", err(&refused));
    assert!(err(&refused).contains("pass --yes"), "{}", err(&refused));
    assert!(
        out(&refused).contains(&format!("  identity: {email}")),
        "the loss is still shown"
    );
    assert_eq!(deletes_sent(&env), 0);
    assert!(env.demo.identity(&id).await.is_some());
    env.demo.stop().await;
}

#[tokio::test]
async fn delete_on_a_read_only_profile_or_without_a_required_reason_reads_and_sends_nothing() {
    let env = cli_env(DemoOptions::for_tests()).await;
    let (id, _) = someone(&env).await;
    let before = env.demo.request_log().len();

    let read_only = run(&env, &["--read-only", "delete", &id, "--yes"]).await;
    assert_eq!(read_only.status.code(), Some(5), "{}", err(&read_only));
    assert!(err(&read_only).contains("read-only"), "{}", err(&read_only));

    let strict = run(&env, &["--profile", "strict", "delete", &id, "--yes"]).await;
    assert_eq!(strict.status.code(), Some(5), "{}", err(&strict));
    assert!(err(&strict).contains("reason"), "{}", err(&strict));

    assert_eq!(env.demo.request_log().len(), before, "nothing was read or sent");
    assert!(env.demo.identity(&id).await.is_some());
    let lines = env.audit_lines();
    let events: Vec<&str> = lines.iter().filter_map(|l| l["event"].as_str()).collect();
    assert_eq!(events, ["refusal", "refusal"], "{lines:?}");
    assert!(lines.iter().all(|l| l["method"] == "DELETE"));
    env.demo.stop().await;
}

#[tokio::test]
async fn delete_of_an_unknown_identity_says_so_with_exit_4() {
    let env = cli_env(DemoOptions::for_tests()).await;
    let missing = "00000000-0000-4000-8000-000000000abc";
    let done = run(&env, &["delete", missing, "--yes"]).await;
    assert_eq!(done.status.code(), Some(4), "{}", err(&done));
    assert_eq!(deletes_sent(&env), 0);
    env.demo.stop().await;
}

#[tokio::test]
async fn delete_json_output_names_the_snapshot_and_the_answer() {
    let env = cli_env(DemoOptions::for_tests()).await;
    let (id, email) = someone(&env).await;
    let done = run(&env, &["delete", &id, "--yes", "--output", "json"]).await;
    assert_eq!(done.status.code(), Some(0), "{}", err(&done));
    let doc: serde_json::Value = serde_json::from_str(out(&done).trim()).expect("one JSON document");
    assert_eq!(doc["deleted"], true);
    assert_eq!(doc["already_gone"], false);
    assert_eq!(doc["status"], 204);
    assert_eq!(doc["identifier"], email.as_str());
    assert_eq!(doc["snapshot"]["traits"]["email"], email.as_str());
    assert!(doc["snapshot"]["credentials"].is_array());
    env.demo.stop().await;
}

#[tokio::test]
async fn hostile_traits_are_shown_inert() {
    let env = cli_env(DemoOptions {
        hostile: true,
        ..DemoOptions::for_tests()
    })
    .await;
    let all = list_all(&demo_client(&env.demo), "500").await;
    let Some(hostile) = all.iter().find(|i| i["traits"].to_string().contains("\\u001b")) else {
        panic!("no hostile identity in the seed")
    };
    let id = id_of(hostile);
    let done = run(&env, &["delete", &id, "--yes"]).await;
    assert_eq!(done.status.code(), Some(0), "{}", err(&done));
    let text = out(&done);
    assert!(
        !text.chars().any(|c| c == '\u{1b}' || c == '\u{9b}' || c == '\u{7}'),
        "a control character reached the terminal: {text:?}"
    );
    assert!(env.demo.identity(&id).await.is_none());
    env.demo.stop().await;
}

// ----- on a terminal: typing the identifier -----------------------------------

mod on_a_terminal {
    use crate::support::console_env::{Demo, Home, curated, id_of};
    use crate::support::pty::WAIT;

    const EMAIL: &str = "ada.lovelace@example.com";

    fn start(demo: &Demo, home: &Home, id: &str) -> crate::support::pty::Console {
        let console = home.spawn_console(demo, &["delete", id], &[("NO_COLOR", "1")], 160, 50);
        console.wait_for(&format!("To delete {EMAIL}"));
        console
    }

    #[test]
    fn a_wrong_identifier_keeps_the_identity_and_the_right_one_deletes_it() {
        let demo = Demo::start();
        let home = Home::new();
        let id = id_of(&curated(EMAIL));

        let mut wrong = start(&demo, &home, &id);
        wrong.type_text("ada.lovelace@example.co");
        wrong.enter();
        assert_eq!(wrong.wait_exit(WAIT), Some(false));
        wrong.wait_for("not the identifier; nothing was deleted");
        assert_eq!(demo.identity(&id)["id"], id.as_str(), "still stored");

        let mut right = start(&demo, &home, &id);
        right.type_text(EMAIL);
        right.enter();
        right.wait_for("HTTP 204");
        assert_eq!(right.wait_exit(WAIT), Some(true));
        let gone = demo
            .server
            .request_log()
            .iter()
            .filter(|r| r.method == "DELETE")
            .count();
        assert_eq!(gone, 1, "one DELETE, from the second run");
        let runtime = tokio::runtime::Builder::new_current_thread().build();
        let Ok(runtime) = runtime else { panic!("runtime") };
        assert!(runtime.block_on(demo.server.identity(&id)).is_none(), "still stored");
    }

    #[test]
    fn a_change_while_the_question_waits_is_named_and_nothing_is_sent() {
        let demo = Demo::start();
        let home = Home::new();
        let id = id_of(&curated(EMAIL));
        let mut console = start(&demo, &home, &id);
        demo.change_behind_the_back(&id, |identity| {
            identity["traits"]["name"]["first"] = serde_json::json!("Augusta");
        });
        console.type_text(EMAIL);
        console.enter();
        assert_eq!(console.wait_exit(WAIT), Some(false));
        let screen = console.wait_for("changed on the server since it was shown");
        assert!(screen.contains("/traits/name/first"), "{screen}");
        assert!(
            demo.server.request_log().iter().all(|r| r.method != "DELETE"),
            "a DELETE was sent"
        );
        assert_eq!(demo.identity(&id)["traits"]["name"]["first"], "Augusta");
        let audit = std::fs::read_to_string(home.audit_file()).unwrap_or_default();
        assert!(audit.contains("\"event\":\"refusal\""), "{audit}");
    }
}
