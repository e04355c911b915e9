//! Sessions and recovery: the demo's routes (`demo_routes`), their shapes
//! against the Kratos OpenAPI spec (`contract`), idcon's client, and the
//! `idcon sessions` and `idcon recovery` commands run as the binary.

mod client;
mod contract;
mod demo_routes;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use chrono::Utc;
use idcon::demo::DemoOptions;
use serde_json::{Value, json};

use crate::support::cli_env::CliEnv;
use crate::support::demo::{client as demo_client, id_of, list_all};
use demo_routes::{items, sessions, total, with_sessions};

/// The shared CLI harness, plus this file's helpers.
struct Env {
    base: CliEnv,
}

impl std::ops::Deref for Env {
    type Target = CliEnv;
    fn deref(&self) -> &CliEnv {
        &self.base
    }
}

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

impl Env {
    async fn start() -> Env {
        Env::start_with(DemoOptions::for_tests()).await
    }

    async fn start_with(options: DemoOptions) -> Env {
        let base = CliEnv::start_with(options).await;
        let config = base.dir.path().join("config/idcon");
        std::fs::create_dir_all(&config).expect("config folder");
        std::fs::write(config.join("config.toml"), CONFIG).expect("config");
        Env { base }
    }

    /// `idcon --base-url <demo> ... ARGS`, stdin not a terminal, logging
    /// as much as it can (a secret must not reach the log either).
    async fn run(&self, args: &[&str]) -> Output {
        let mut command = self.command(args);
        command
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("IDCON_LOG", "trace")
            .stdin(Stdio::null());
        let child = command.spawn().expect("run idcon");
        tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("idcon finished in time")
            .expect("idcon output")
    }

    /// An active identity with five sessions: two active, one revoked, two expired.
    async fn person(&self) -> Value {
        with_sessions(&demo_client(&self.demo), "active", 5).await
    }

    async fn sessions_of(&self, id: &str) -> Vec<Value> {
        items(&sessions(&demo_client(&self.demo), id, &[]).await)
    }

    /// Requests that reached the demo with `method`.
    fn sent(&self, method: &str) -> usize {
        self.demo.request_log().iter().filter(|r| r.method == method).count()
    }
}

fn out(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn err(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_holding(&path, needle));
        } else if std::fs::read(&path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes())) {
            found.push(path.display().to_string());
        }
    }
    found
}

#[tokio::test]
async fn sessions_lists_newest_first_with_devices_named_as_the_console_names_people() {
    let env = Env::start().await;
    let person = env.person().await;
    let id = id_of(&person);
    let listed = env.run(&["sessions", &id]).await;
    assert_eq!(code(&listed), Some(0), "{}", err(&listed));
    let text = out(&listed);
    let email = person["traits"]["email"].as_str().unwrap_or_default();
    assert!(
        text.lines()
            .next()
            .is_some_and(|l| l.starts_with(&format!("identity: {email}"))),
        "{text}"
    );
    assert!(text.contains("5 sessions, 2 active"), "{text}");
    let expected = env.sessions_of(&id).await;
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.len() > 36 && l.as_bytes()[8] == b'-')
        .collect();
    assert_eq!(rows.len(), 5, "{text}");
    for (row, session) in rows.iter().zip(&expected) {
        assert!(
            row.starts_with(session["id"].as_str().unwrap_or_default()),
            "newest first: {text}"
        );
    }
    let states: Vec<&str> = rows.iter().map(|r| r[38..46].trim()).collect();
    assert_eq!(states, ["active", "active", "inactive", "expired", "expired"]);
    let device = &expected[0]["devices"][0];
    assert!(
        text.contains(&format!(
            "    device: {}",
            device["ip_address"].as_str().unwrap_or_default()
        )),
        "{text}"
    );

    let active = env.run(&["sessions", &id, "--active"]).await;
    assert!(
        out(&active).contains("2 sessions (--active), 2 active"),
        "{}",
        out(&active)
    );

    let json = env.run(&["sessions", &id, "--output", "json"]).await;
    let parsed: Value = serde_json::from_str(&out(&json)).unwrap_or_else(|e| panic!("{e}: {}", out(&json)));
    let ids: Vec<&Value> = parsed
        .as_array()
        .map(|a| a.iter().map(|s| &s["id"]).collect())
        .unwrap_or_default();
    let expected_ids: Vec<&Value> = expected.iter().map(|s| &s["id"]).collect();
    assert_eq!(ids, expected_ids);
    assert_eq!(
        parsed[0]["devices"], expected[0]["devices"],
        "the server's sessions, member for member"
    );
    let jsonl = env.run(&["sessions", &id, "--output", "jsonl", "--active"]).await;
    let lines: Vec<Value> = out(&jsonl)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_default())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|s| s["active"] == true));

    let unknown = env.run(&["sessions", "00000000-0000-4000-8000-000000000001"]).await;
    assert_eq!(
        code(&unknown),
        Some(4),
        "an unknown identity is not found, not an empty list: {}",
        err(&unknown)
    );
}

#[tokio::test]
async fn device_text_from_hostile_clients_is_shown_escaped() {
    let env = Env::start_with(DemoOptions {
        hostile: true,
        ..DemoOptions::for_tests()
    })
    .await;
    let c = demo_client(&env.demo);
    let all = list_all(&c, "500").await;
    let mut shown = 0;
    for identity in all
        .iter()
        .filter(|i| i["traits"]["email"].as_str().is_some_and(|e| e.starts_with("hostile.")))
    {
        let listed = env.run(&["sessions", &id_of(identity)]).await;
        assert_eq!(code(&listed), Some(0), "{}", err(&listed));
        let text = out(&listed);
        assert!(
            text.lines().all(|line| !line.chars().any(idcon::sanitize::is_unsafe)),
            "{text:?}"
        );
        if text.contains("\\u001b") || text.contains("\\u202e") || text.contains("\\u009b") {
            shown += 1;
        }
    }
    assert!(shown > 0, "some hostile device text was listed (escaped)");
}

#[tokio::test]
async fn revoking_one_session_deactivates_it_audited_with_its_id() {
    let env = Env::start().await;
    let person = env.person().await;
    let id = id_of(&person);
    let before = env.sessions_of(&id).await;
    let sid = before[0]["id"].as_str().unwrap_or_default().to_owned();

    // Not a terminal and no --yes: asked, refused, nothing sent.
    let unasked = env.run(&["sessions", "revoke", &id, "--session", &sid]).await;
    assert_eq!(code(&unasked), Some(5), "{}", err(&unasked));
    assert!(
        out(&unasked).contains(&sid),
        "the review names the session: {}",
        out(&unasked)
    );
    assert_eq!(env.sent("DELETE"), 0);

    let revoked = env
        .run(&[
            "sessions",
            "revoke",
            &id,
            "--session",
            &sid,
            "--yes",
            "--reason",
            "SUP-7 lost phone",
        ])
        .await;
    assert_eq!(code(&revoked), Some(0), "{}", err(&revoked));
    let text = out(&revoked);
    assert!(text.contains(&format!("revoked session {sid} of ")), "{text}");
    assert!(text.contains("  reason: SUP-7 lost phone"), "{text}");
    let after = env.sessions_of(&id).await;
    assert_eq!(after.len(), 5);
    assert_eq!(after[0]["active"], false, "the demo shows it inactive");
    assert_eq!(after[1]["active"], true, "the others are untouched");

    let lines = env.audit_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let (intent, outcome) = (&lines[0], &lines[1]);
    assert_eq!(
        (intent["event"].as_str(), outcome["event"].as_str()),
        (Some("intent"), Some("outcome"))
    );
    assert_eq!(intent["request_id"], outcome["request_id"]);
    assert_eq!(intent["method"], "DELETE");
    assert_eq!(intent["identity_id"], id);
    assert_eq!(intent["identifier"], person["traits"]["email"]);
    assert_eq!(intent["why"], "SUP-7 lost phone");
    assert_eq!(
        intent["changes"],
        json!([{"pointer": format!("/sessions/{sid}/active"), "old": true, "new": false}])
    );
    assert_eq!(outcome["status"], 204);
    assert!(
        !env.audit_text().to_lowercase().contains("token"),
        "{}",
        env.audit_text()
    );
}

#[tokio::test]
async fn revoking_all_removes_every_session_and_a_second_run_sends_nothing() {
    let env = Env::start().await;
    let person = env.person().await;
    let id = id_of(&person);
    let before: Vec<Value> = env.sessions_of(&id).await.iter().map(|s| s["id"].clone()).collect();
    let revoked = env
        .run(&["sessions", "revoke", &id, "--all", "--yes", "--output", "json"])
        .await;
    assert_eq!(code(&revoked), Some(0), "{}", err(&revoked));
    let doc: Value = serde_json::from_str(&out(&revoked)).unwrap_or_default();
    assert_eq!(doc["revoked"], Value::Array(before.clone()));
    assert_eq!(doc["status"], 204);
    // Kratos deletes them (deleteIdentitySessions), it does not deactivate them.
    assert!(env.sessions_of(&id).await.is_empty());
    let intent = &env.audit_lines()[0];
    assert_eq!(
        intent["changes"],
        json!([{"pointer": "/sessions", "old": before, "new": []}])
    );

    let again = env.run(&["sessions", "revoke", &id, "--all", "--yes"]).await;
    assert_eq!(code(&again), Some(0), "{}", err(&again));
    assert!(
        out(&again).contains("has no sessions; nothing was sent"),
        "{}",
        out(&again)
    );
    assert_eq!(env.sent("DELETE"), 1);
}

#[tokio::test]
async fn a_session_of_someone_else_is_refused_and_recorded() {
    let env = Env::start().await;
    let person = env.person().await;
    let c = demo_client(&env.demo);
    let others = with_sessions(&c, "inactive", 5).await;
    let foreign = env.sessions_of(&id_of(&others)).await[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let refused = env
        .run(&["sessions", "revoke", &id_of(&person), "--session", &foreign, "--yes"])
        .await;
    assert_eq!(code(&refused), Some(2), "{}", err(&refused));
    assert!(
        err(&refused).contains(&format!("belongs to identity {}", id_of(&others))),
        "{}",
        err(&refused)
    );
    assert_eq!(env.sent("DELETE"), 0);
    let lines = env.audit_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["event"], "refusal");
}

#[tokio::test]
async fn extending_moves_expires_at_a_day_from_now() {
    let env = Env::start().await;
    let person = env.person().await;
    let id = id_of(&person);
    let expired = env.sessions_of(&id).await[3].clone();
    let sid = expired["id"].as_str().unwrap_or_default().to_owned();
    let started = Utc::now();
    let extended = env
        .run(&[
            "sessions", "extend", &sid, "--yes", "--output", "json", "--reason", "SUP-8",
        ])
        .await;
    assert_eq!(code(&extended), Some(0), "{}", err(&extended));
    let doc: Value = serde_json::from_str(&out(&extended)).unwrap_or_default();
    assert_eq!(doc["expires_at_before"], expired["expires_at"]);
    let expires = doc["expires_at"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("{doc}"));
    assert!(expires > started + chrono::Duration::hours(23) && expires <= Utc::now() + chrono::Duration::hours(24));
    assert_eq!(doc["active"], true, "an expired session extended is active again");
    assert_eq!(env.sessions_of(&id).await[3]["expires_at"], doc["expires_at"]);
    let intent = &env.audit_lines()[0];
    assert_eq!(intent["method"], "PATCH");
    assert_eq!(intent["identity_id"], id);
    assert_eq!(intent["changes"][0]["pointer"], format!("/sessions/{sid}/expires_at"));
    assert_eq!(intent["changes"][0]["old"], expired["expires_at"]);

    // A server that answers 204 (faster_session_extend): the new expiry is read back.
    env.demo.set_faster_session_extend(true);
    let fast = env.run(&["sessions", "extend", &sid, "--yes"]).await;
    assert_eq!(code(&fast), Some(0), "{}", err(&fast));
    assert!(out(&fast).contains("HTTP 204"), "{}", out(&fast));
    assert!(out(&fast).contains("expires 20"), "{}", out(&fast));
    let missing = env
        .run(&["sessions", "extend", "00000000-0000-4000-8000-000000000001", "--yes"])
        .await;
    assert_eq!(code(&missing), Some(4), "{}", err(&missing));
}

#[tokio::test]
async fn a_read_only_profile_sends_nothing_at_all_and_records_the_refusal() {
    let env = Env::start().await;
    let person = env.person().await;
    let id = id_of(&person);
    let sid = env.sessions_of(&id).await[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let before = env.demo.request_log().len();
    for args in [
        vec!["--read-only", "sessions", "revoke", &id, "--session", &sid, "--yes"],
        vec!["--read-only", "sessions", "revoke", &id, "--all", "--yes"],
        vec!["--read-only", "sessions", "extend", &sid, "--yes"],
        vec!["--read-only", "recovery", &id, "--yes"],
        vec!["--read-only", "recovery", &id, "--code", "--yes"],
    ] {
        let refused = env.run(&args).await;
        assert_eq!(code(&refused), Some(5), "{args:?}: {}", err(&refused));
        assert!(
            err(&refused).contains("is read-only: nothing was signed or sent"),
            "{}",
            err(&refused)
        );
    }
    assert_eq!(
        env.demo.request_log().len(),
        before,
        "not even a read: {:?}",
        env.demo.request_log()
    );
    let lines = env.audit_lines();
    assert_eq!(lines.len(), 5);
    assert!(
        lines
            .iter()
            .all(|l| l["event"] == "refusal" && l["reason"] == "read-only profile")
    );
    assert_eq!(lines[0]["method"], "DELETE");
    assert_eq!(lines[3]["method"], "POST");
    assert!(
        lines[3]["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/admin/recovery/link"))
    );
}

#[tokio::test]
async fn a_profile_that_requires_a_reason_refuses_without_one() {
    let env = Env::start().await;
    let person = env.person().await;
    let id = id_of(&person);
    let before = env.demo.request_log().len();
    let refused = env
        .run(&["--profile", "strict", "sessions", "revoke", &id, "--all", "--yes"])
        .await;
    assert_eq!(code(&refused), Some(5), "{}", err(&refused));
    assert!(err(&refused).contains("requires a reason"), "{}", err(&refused));
    let refused = env.run(&["--profile", "strict", "recovery", &id, "--yes"]).await;
    assert_eq!(code(&refused), Some(5), "{}", err(&refused));
    assert_eq!(env.demo.request_log().len(), before);
    assert!(env.audit_lines().iter().all(|l| l["event"] == "refusal"));
    let with_reason = env
        .run(&[
            "--profile",
            "strict",
            "sessions",
            "revoke",
            &id,
            "--all",
            "--yes",
            "--reason",
            "SUP-9",
        ])
        .await;
    assert_eq!(code(&with_reason), Some(0), "{}", err(&with_reason));
    assert_eq!(total(&sessions(&demo_client(&env.demo), &id, &[]).await), 0);
}

#[tokio::test]
async fn a_recovery_link_goes_to_stdout_and_nowhere_else() {
    let env = Env::start().await;
    let person = env.person().await;
    let id = id_of(&person);
    let made = env
        .run(&[
            "recovery",
            &id,
            "--expires-in",
            "15m",
            "--yes",
            "--reason",
            "SUP-10 locked out",
        ])
        .await;
    assert_eq!(code(&made), Some(0), "{}", err(&made));
    let text = out(&made);
    let link = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("link:"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("{text}"))
        .to_owned();
    assert!(
        link.starts_with(&format!("{}/self-service/recovery?flow=", env.demo.public_url())),
        "{link}"
    );
    let token = link.split("token=").nth(1).unwrap_or_default().to_owned();
    assert_eq!(token.len(), 32);
    assert!(text.contains("expires:     20"), "{text}");
    assert!(text.contains("(in 14 min)") || text.contains("(in 15 min)"), "{text}");
    assert!(!err(&made).contains(&token), "{}", err(&made));
    assert_eq!(files_holding(env.dir.path(), &token), Vec::<String>::new());

    let lines = env.audit_lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["event"], "intent");
    assert_eq!(lines[0]["method"], "POST");
    assert_eq!(lines[0]["identity_id"], id);
    assert_eq!(lines[0]["identifier"], person["traits"]["email"]);
    assert_eq!(lines[0]["why"], "SUP-10 locked out");
    assert_eq!(
        lines[0]["changes"],
        json!([{"pointer": "/recovery/link", "new": {"expires_in": "15m"}}])
    );
    assert!(lines[0]["user"].is_string(), "by whom");
    assert_eq!(lines[1]["status"], 200);
}

#[tokio::test]
async fn a_recovery_code_goes_to_stdout_and_nowhere_else() {
    let env = Env::start().await;
    let person = env.person().await;
    let id = id_of(&person);
    for _ in 0..3 {
        let made = env.run(&["recovery", &id, "--code", "--yes", "--output", "json"]).await;
        assert_eq!(code(&made), Some(0), "{}", err(&made));
        let doc: Value = serde_json::from_str(&out(&made)).unwrap_or_else(|e| panic!("{e}: {}", out(&made)));
        let code_text = doc["recovery_code"].as_str().unwrap_or_default().to_owned();
        assert!(
            code_text.len() == 6 && code_text.bytes().all(|b| b.is_ascii_digit()),
            "{doc}"
        );
        assert_eq!(doc["kind"], "code");
        let flow = doc["recovery_link"].as_str().unwrap_or_default().to_owned();
        assert!(
            flow.starts_with(&format!("{}/recovery?flow=", env.demo.public_url())),
            "{doc}"
        );
        let expires = doc["expires_at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert!(
            expires > Utc::now() + chrono::Duration::minutes(58),
            "the server's hour: {doc}"
        );
        assert!(!err(&made).contains(&code_text));
        // A six-digit number could be anywhere by chance (a timestamp's
        // digits): look for it as the JSON would hold it.
        assert_eq!(
            files_holding(env.dir.path(), &format!("\"{code_text}\"")),
            Vec::<String>::new()
        );
        assert_eq!(files_holding(env.dir.path(), &flow), Vec::<String>::new());
    }
    let intent = &env.audit_lines()[0];
    assert_eq!(
        intent["changes"],
        json!([{"pointer": "/recovery/code", "new": {"expires_in": null}}])
    );
}

#[tokio::test]
async fn recovery_says_in_plain_words_what_stops_it_or_what_to_know() {
    let env = Env::start().await;
    let c = demo_client(&env.demo);
    let all = list_all(&c, "500").await;
    let bare = all
        .iter()
        .find(|i| i["state"] == "active" && i["recovery_addresses"].as_array().is_none_or(Vec::is_empty))
        .cloned()
        .unwrap_or_default();
    let made = env.run(&["recovery", &id_of(&bare), "--yes"]).await;
    assert_eq!(code(&made), Some(0), "Kratos makes it anyway: {}", err(&made));
    assert!(
        err(&made).contains("the identity has no recovery address"),
        "{}",
        err(&made)
    );

    let before = env.demo.request_log().len();
    for bad in ["soon", "0s", "-1h", "1d"] {
        let refused = env
            .run(&["recovery", &id_of(&bare), "--expires-in", bad, "--yes"])
            .await;
        assert_eq!(code(&refused), Some(2), "{bad}: {}", err(&refused));
        assert!(
            err(&refused).starts_with(&format!("idcon: --expires-in \"{bad}\"")),
            "{}",
            err(&refused)
        );
    }
    assert_eq!(env.demo.request_log().len(), before, "a bad expiry sends nothing");

    env.demo.set_recovery_method("link", false);
    let off = env.run(&["recovery", &id_of(&bare), "--yes"]).await;
    assert_eq!(code(&off), Some(1), "{}", err(&off));
    assert!(
        err(&off).contains("recovery by link is switched off on this server (selfservice.methods.link.enabled); no recovery link was made: try a code (--code)"),
        "{}",
        err(&off)
    );
    let missing = env
        .run(&["recovery", "00000000-0000-4000-8000-000000000001", "--yes"])
        .await;
    assert_eq!(code(&missing), Some(4), "{}", err(&missing));
}

/// A server that refuses the expiry (Kratos accepts whatever Go reads; a
/// gateway or another release may not): the refusal in plain words, exit 2.
#[tokio::test]
async fn an_expiry_the_server_refuses_is_said_plainly() {
    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::{get, post};

    let identity = json!({
        "id": "6762b34f-4e26-4a8e-a032-35a1e58e1b1c",
        "schema_id": "default",
        "schema_url": "",
        "state": "active",
        "traits": {"email": "ada.lovelace@example.com"},
        "recovery_addresses": [{"id": "x", "value": "ada.lovelace@example.com", "via": "email"}]
    });
    let app = Router::new()
        .route(
            "/admin/identities/{id}",
            get(move || async move { axum::Json(identity.clone()) }),
        )
        .route(
            "/admin/recovery/link",
            post(|| async {
                (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({"error": {"code": 400, "status": "Bad Request",
                        "reason": "Value from \"expires_in\" must not exceed 24h: 48h",
                        "message": "The request was malformed or contained invalid parameters"}})),
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_idcon"));
    command
        .args([
            "--base-url",
            &format!("http://{addr}"),
            "recovery",
            "6762b34f-4e26-4a8e-a032-35a1e58e1b1c",
        ])
        .args(["--expires-in", "48h", "--yes"])
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env_remove("IDCON_PROFILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("in time")
        .expect("output");
    assert_eq!(code(&output), Some(2), "{}", err(&output));
    assert!(
        err(&output).contains(
            "idcon: the server refused the expiry \"48h\": Value from \"expires_in\" must not exceed 24h: 48h; no recovery link was made"
        ),
        "{}",
        err(&output)
    );
    assert_eq!(out(&output), "");
    server.abort();
}

#[test]
fn completions_and_manual_pages_know_the_new_commands() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_idcon"))
            .args(args)
            .env_remove("IDCON_PROFILE")
            .output()
            .expect("run idcon")
    };
    for shell in ["bash", "zsh", "fish"] {
        let script = out(&run(&["completions", shell]));
        for word in ["sessions", "revoke", "extend", "recovery", "expires-in"] {
            assert!(script.contains(word), "{shell} completions miss {word}");
        }
    }
    for page in ["sessions", "recovery"] {
        let roff = run(&["man", page]);
        assert!(roff.status.success(), "{}", err(&roff));
        assert!(out(&roff).contains(".TH"), "{page}");
    }
}
