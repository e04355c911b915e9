//! A reason for every write, and who is written to, from the scripted
//! commands: the real binary against the in-process demo server. `--reason`
//! lands in the audit intent (`why`) of `update`, `attribute update` and
//! `apply`, with the identity's primary identifier (`identifier`); a profile
//! with `require_reason = true` refuses a write without one before anything
//! is read or sent, and records the refusal; a reason with control characters
//! and line breaks is stored as one plain line and every line still parses;
//! `idcon audit --reason` finds the writes; plan diffs and the `apply`
//! question name each identity.

use std::process::{Output, Stdio};
use std::time::Duration;

use crate::support::cli_env::CliEnv;
use crate::support::pty;
use idcon::api::IdentityQuery;
use idcon::demo::{self, DemoOptions};
use idcon::registry;
use serde_json::Value;

const TOKEN_POINTER: &str = "/metadata_admin/yoti/issuance_token";

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

/// A config with a profile that requires a reason (`strict`) and one that
/// does not (`relaxed`); the flags give both the demo's URL and key.
const CONFIG: &str = r#"
[profiles.strict]
base_url = "http://127.0.0.1:9"
danger = true
require_reason = true

[profiles.relaxed]
base_url = "http://127.0.0.1:9"
"#;

impl Env {
    async fn start() -> Env {
        let base = CliEnv::start_with(DemoOptions::for_tests()).await;
        let config = base.dir.path().join("config/idcon");
        std::fs::create_dir_all(&config).expect("config folder");
        std::fs::write(config.join("config.toml"), CONFIG).expect("config");
        Env { base }
    }

    /// `idcon --profile PROFILE --base-url <demo> ... ARGS`, stdin not a terminal.
    async fn idcon(&self, profile: &str, args: &[&str]) -> Output {
        let mut all = vec!["--profile", profile];
        all.extend_from_slice(args);
        let mut command = self.command(&all);
        command
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        let child = command.spawn().expect("run idcon");
        tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("idcon finished in time")
            .expect("idcon output")
    }

    /// Active identities whose traits hold an email and a first name, with
    /// the email and "First Last".
    async fn people(&self, count: usize) -> Vec<(String, String, String)> {
        let page = self
            .client()
            .list_identities(&IdentityQuery {
                page_size: Some(500),
                ..IdentityQuery::default()
            })
            .await
            .expect("list");
        let mut found = Vec::new();
        for identity in page.value.items {
            let stored = self.stored(&identity.id).await;
            let traits = &stored["traits"];
            let (Some(email), Some(first), Some(last)) = (
                traits["email"].as_str(),
                traits["name"]["first"].as_str(),
                traits["name"]["last"].as_str(),
            ) else {
                continue;
            };
            if stored["state"] != "active" || !email.is_ascii() || stored.pointer(TOKEN_POINTER).is_none() {
                continue;
            }
            found.push((identity.id.clone(), email.to_owned(), format!("{first} {last}")));
            if found.len() == count {
                return found;
            }
        }
        panic!("only {} people in the demo seed, {count} wanted", found.len())
    }

    fn puts(&self) -> usize {
        self.demo.request_log().iter().filter(|r| r.method == "PUT").count()
    }

    fn write_file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path.to_str().expect("utf-8 path").to_owned()
    }

    fn events(&self, event: &str) -> Vec<Value> {
        self.audit_lines()
            .into_iter()
            .filter(|line| line["event"] == event)
            .collect()
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_exit(out: &Output, expected: i32) {
    assert_eq!(
        out.status.code().unwrap_or(-1),
        expected,
        "exit code\nstdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_records_why_and_who_and_shows_them_in_the_review() {
    let env = Env::start().await;
    let (id, email, name) = env.people(1).await.remove(0);
    let out = env
        .idcon(
            "relaxed",
            &[
                "update",
                &id,
                "--state",
                "inactive",
                "--reason",
                "SUP-42 customer asked to close",
                "--yes",
            ],
        )
        .await;
    assert_exit(&out, 0);
    let review = stdout(&out);
    assert!(review.contains(&format!("  identity: {email} ({name})\n")), "{review}");
    assert!(
        review.contains("  reason: SUP-42 customer asked to close\n"),
        "{review}"
    );
    assert_eq!(env.stored(&id).await["state"], "inactive");

    let intents = env.events("intent");
    assert_eq!(intents.len(), 1, "{:?}", env.audit_text());
    assert_eq!(intents[0]["why"], "SUP-42 customer asked to close");
    assert_eq!(intents[0]["identifier"], email.as_str());
    assert_eq!(intents[0]["identity_id"], id.as_str());
    // Said once: the outcome joins its intent by request id.
    let outcomes = env.events("outcome");
    assert_eq!(outcomes.len(), 1);
    assert!(outcomes[0].get("why").is_none() && outcomes[0].get("identifier").is_none());

    // --output json says it too.
    let out = env
        .idcon(
            "relaxed",
            &[
                "update", &id, "--state", "active", "--reason", "SUP-43", "--yes", "--output", "json",
            ],
        )
        .await;
    assert_exit(&out, 0);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(
        (doc["reason"].as_str(), doc["identifier"].as_str()),
        (Some("SUP-43"), Some(email.as_str()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reason_with_controls_and_line_breaks_is_stored_as_one_plain_line() {
    let env = Env::start().await;
    let (id, _, _) = env.people(1).await.remove(0);
    let hostile = "SUP-7\r\nsecond line\u{1b}]52;c;ZXZpbA==\u{7} \u{9b}31m\u{202e}evil\ttab";
    let out = env
        .idcon(
            "relaxed",
            &["update", &id, "--state", "inactive", "--reason", hostile, "--yes"],
        )
        .await;
    assert_exit(&out, 0);
    let printed = stdout(&out);
    assert!(
        !printed.chars().any(|c| c != '\n' && idcon::sanitize::is_unsafe(c)),
        "{printed:?}"
    );
    let text = env.audit_text();
    assert!(
        !text.chars().any(|c| c != '\n' && idcon::sanitize::is_unsafe(c)),
        "{text:?}"
    );
    // Every line still parses (audit_lines panics otherwise), and the reason
    // is one plain line.
    let intents = env.events("intent");
    assert_eq!(intents[0]["why"], "SUP-7 second line ]52;c;ZXZpbA== 31m evil tab");

    // Longer than the trail keeps: refused before anything is sent (usage).
    let puts = env.puts();
    let long = "x".repeat(501);
    let out = env
        .idcon(
            "relaxed",
            &["update", &id, "--state", "active", "--reason", &long, "--yes"],
        )
        .await;
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("--reason: the reason is 501 characters long"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.puts(), puts);
    assert_eq!(env.stored(&id).await["state"], "inactive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_reason_refuses_a_write_without_one_before_anything_is_sent() {
    let env = Env::start().await;
    let (id, _, _) = env.people(1).await.remove(0);
    let before = env.stored(&id).await;
    let requests = env.demo.request_log().len();

    for reason in [None, Some("   \n\t ")] {
        let mut args = vec!["update", id.as_str(), "--state", "inactive", "--yes"];
        if let Some(reason) = reason {
            args.extend(["--reason", reason]);
        }
        let out = env.idcon("strict", &args).await;
        assert_exit(&out, 5);
        assert_eq!(
            stderr(&out).trim_end(),
            "idcon: profile \"strict\" requires a reason for every write: pass --reason TEXT; nothing was sent"
        );
    }
    // Nothing read, nothing sent, nothing changed.
    assert_eq!(env.demo.request_log().len(), requests);
    assert_eq!(env.stored(&id).await, before);
    let refusals = env.events("refusal");
    assert_eq!(refusals.len(), 2, "{}", env.audit_text());
    for refusal in &refusals {
        assert_eq!(refusal["identity_id"], id.as_str());
        assert_eq!(refusal["profile"], "strict");
        assert!(
            refusal["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("requires a reason for every write"),
            "{refusal}"
        );
    }
    assert!(env.events("intent").is_empty());

    // A dry run writes nothing, so it needs none.
    let out = env
        .idcon("strict", &["update", &id, "--state", "inactive", "--dry-run"])
        .await;
    assert_exit(&out, 0);

    // With one, the write goes out.
    let out = env
        .idcon(
            "strict",
            &["update", &id, "--state", "inactive", "--reason", "SUP-9", "--yes"],
        )
        .await;
    assert_exit(&out, 0);
    assert_eq!(env.stored(&id).await["state"], "inactive");
    assert_eq!(env.events("intent")[0]["why"], "SUP-9");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attribute_update_carries_the_reason_and_who_and_is_refused_without_one() {
    let env = Env::start().await;
    let (id, email, _) = env.people(1).await.remove(0);
    let registry_url = env.demo.attribute_registry_url();
    let update = |reason: Option<&'static str>| {
        let mut args = vec![
            "attribute".to_owned(),
            "update".to_owned(),
            "--attribute-registry-url".to_owned(),
            registry_url.clone(),
            "--identity".to_owned(),
            id.clone(),
            "--name".to_owned(),
            "com.example.membership_level".to_owned(),
            "--value".to_owned(),
            "\"gold\"".to_owned(),
            "--yes".to_owned(),
        ];
        if let Some(reason) = reason {
            args.extend(["--reason".to_owned(), reason.to_owned()]);
        }
        args
    };

    let args = update(None);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.idcon("strict", &args).await;
    assert_exit(&out, 5);
    assert!(
        stderr(&out).contains("requires a reason for every write: pass --reason TEXT"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.puts(), 0);
    let refusals = env.events("refusal");
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0]["identity_id"], id.as_str());

    let args = update(Some("SUP-5 upgrade"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.idcon("strict", &args).await;
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("reason: SUP-5 upgrade\n"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(&format!("identity: {id}, {email}")),
        "{}",
        stdout(&out)
    );
    let intents = env.events("intent");
    assert_eq!(intents.len(), 1);
    assert_eq!(intents[0]["why"], "SUP-5 upgrade");
    assert_eq!(intents[0]["identifier"], email.as_str());
    let token = registry::issuance_token_at(&env.stored(&id).await, TOKEN_POINTER).unwrap_or_default();
    assert!(!token.is_empty() && !env.audit_text().contains(&token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_and_apply_carry_each_entrys_reason_and_name_each_identity() {
    let env = Env::start().await;
    let people = env.people(3).await;
    let input = env.write_file(
        "changes.jsonl",
        &format!(
            "{{\"id\": \"{}\", \"state\": \"inactive\", \"reason\": \"SUP-1 own reason\"}}\n{}\n{}\n",
            people[0].0, people[1].0, people[2].0
        ),
    );
    let plan = env.dir.path().join("p.plan.json").to_str().expect("utf-8").to_owned();
    let out = env
        .idcon(
            "strict",
            &["plan", "--input", &input, "--state", "inactive", "--output", &plan],
        )
        .await;
    assert_exit(&out, 0);
    let diffs = stdout(&out);
    for (_, email, name) in &people {
        assert!(diffs.contains(&format!("  identity: {email} ({name})\n")), "{diffs}");
    }
    assert!(diffs.contains("  reason: SUP-1 own reason\n"), "{diffs}");
    assert!(
        stderr(&out).contains("profile \"strict\" requires a reason for every write and 2 planned entries have none"),
        "{}",
        stderr(&out)
    );
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&plan).expect("plan")).expect("JSON");
    assert_eq!(stored["entries"][0]["reason"], "SUP-1 own reason");
    assert_eq!(stored["entries"][0]["identifier"], people[0].1.as_str());
    assert!(stored["entries"][1].get("reason").is_none());

    // Two entries have no reason: the strict profile refuses the whole run.
    let out = env.idcon("strict", &["apply", &plan, "--yes"]).await;
    assert_exit(&out, 5);
    assert!(stderr(&out).contains("2 entries in plan"), "{}", stderr(&out));
    assert_eq!(env.puts(), 0);
    assert_eq!(env.events("refusal").len(), 1);
    assert!(!env.dir.path().join("p.plan.json.results.jsonl").exists());

    // apply --reason fills them in; the entry's own is kept.
    let out = env
        .idcon("strict", &["apply", &plan, "--yes", "--reason", "SUP-2 bulk close"])
        .await;
    assert_exit(&out, 0);
    assert_eq!(env.puts(), 3);
    let mut why: Vec<(String, String, String)> = env
        .events("intent")
        .iter()
        .map(|line| {
            let text = |key: &str| line[key].as_str().unwrap_or_default().to_owned();
            (text("identity_id"), text("identifier"), text("why"))
        })
        .collect();
    why.sort();
    let mut expected: Vec<(String, String, String)> = people
        .iter()
        .enumerate()
        .map(|(i, (id, email, _))| {
            let reason = if i == 0 { "SUP-1 own reason" } else { "SUP-2 bulk close" };
            (id.clone(), email.clone(), reason.to_owned())
        })
        .collect();
    expected.sort();
    assert_eq!(why, expected);

    // The trail finds them by reason, outcomes included.
    let out = env
        .idcon("strict", &["audit", "--reason", "sup-2", "--output", "json"])
        .await;
    assert_exit(&out, 0);
    let found: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let events: Vec<&str> = found
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["event"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(events.iter().filter(|e| **e == "intent").count(), 2, "{events:?}");
    assert_eq!(events.iter().filter(|e| **e == "outcome").count(), 2, "{events:?}");

    // The table names who and shows what changed, old → new.
    let out = env.idcon("strict", &["audit", "--reason", "SUP-1"]).await;
    assert_exit(&out, 0);
    let table = stdout(&out);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[1].contains(&people[0].1) && lines[1].contains(" 200 ") && lines[1].contains("SUP-1 own reason"));
    assert_eq!(lines[2], "    ~ /state: \"active\" → \"inactive\"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_table_shows_old_and_new_values_with_secrets_redacted() {
    let env = Env::start().await;
    let (id, email, _) = env.people(1).await.remove(0);
    let hash = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
    let mut command = env.command(&[
        "--profile",
        "relaxed",
        "update",
        &id,
        "--set",
        "/traits/name/first=\"Sofie\"",
        "--password-hash-stdin",
        "--reason",
        "SUP-8 rename and reset",
        "--yes",
    ]);
    command.stdin(Stdio::piped()).current_dir(env.dir.path());
    let mut child = command.spawn().expect("run idcon");
    let mut input = child.stdin.take().expect("stdin");
    tokio::io::AsyncWriteExt::write_all(&mut input, format!("{hash}\n").as_bytes())
        .await
        .expect("stdin");
    drop(input);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("in time")
        .expect("output");
    assert_exit(&out, 0);

    let out = env.idcon("relaxed", &["audit", "--identity", &id]).await;
    assert_exit(&out, 0);
    let table = stdout(&out);
    assert!(!table.contains(hash) && !env.audit_text().contains(hash), "{table}");
    let row = table.lines().nth(1).unwrap_or_default();
    assert!(
        row.contains(&email) && row.contains("SUP-8 rename and reset") && row.contains(" 200 "),
        "{table}"
    );
    assert!(table.contains("    ~ /traits/name/first: \""), "{table}");
    assert!(table.contains("\" → \"Sofie\"\n"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("    + /credentials") && l.contains("\"<redacted>\"")),
        "{table}"
    );
}

/// The question on a terminal names who is about to be written to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apply_question_names_the_identities() {
    let env = Env::start().await;
    let people = env.people(3).await;
    let ids: Vec<&str> = people.iter().map(|(id, _, _)| id.as_str()).collect();
    let input = env.write_file("ids.txt", &format!("{}\n", ids.join("\n")));
    let plan = env.dir.path().join("q.plan.json").to_str().expect("utf-8").to_owned();
    let out = env
        .idcon(
            "relaxed",
            &[
                "plan", "--input", &input, "--state", "inactive", "--output", &plan, "--reason", "SUP-3",
            ],
        )
        .await;
    assert_exit(&out, 0);

    let base_url = env.demo.base_url();
    let key = env.key.to_str().expect("utf-8 path").to_owned();
    let home = env.dir.path().to_str().expect("utf-8 path").to_owned();
    let config = env.dir.path().join("config");
    let config = config.to_str().expect("utf-8").to_owned();
    let state = env.dir.path().join("state");
    let state = state.to_str().expect("utf-8").to_owned();
    let vars = [
        ("HOME", home.as_str()),
        ("XDG_CONFIG_HOME", config.as_str()),
        ("XDG_STATE_HOME", state.as_str()),
    ];
    let argv = [
        "--profile",
        "relaxed",
        "--base-url",
        &base_url,
        "--key",
        &key,
        "--sdk-id",
        demo::DEMO_SDK_ID,
        "apply",
        &plan,
    ];
    let mut console = pty::Console::spawn(&argv, &vars, 200, 30);
    let screen = console.wait_for("[y/N]");
    let names: Vec<String> = people
        .iter()
        .map(|(_, email, name)| format!("{email} ({name})"))
        .collect();
    assert!(
        screen.contains(&format!("Send 3 changes? {}", names.join(", "))),
        "{screen}"
    );
    assert!(screen.contains("Reason: SUP-3"), "{screen}");
    console.keys("n");
    console.enter();
    assert_eq!(console.wait_exit(pty::WAIT), Some(false));
    assert_eq!(env.puts(), 0);
}
