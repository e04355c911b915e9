//! `idcon plan` and `idcon apply` as runbooks use them: the real binary
//! against the in-process demo server. A plan of 300 changes applies once
//! and only once; a run interrupted by injected faults resumes without
//! repeating a write (proved with the audit trail); an identity changed after
//! planning is skipped; a read-only profile sends nothing; and every body in
//! a plan validates against `updateIdentityBody`.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use crate::support::cli_env::CliEnv;
use crate::support::openapi::update_identity_body_validator as body_validator;
use idcon::api::IdentityQuery;
use idcon::demo::DemoOptions;
use serde_json::{Value, json};

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

impl Env {
    async fn start(options: DemoOptions) -> Env {
        Env {
            base: CliEnv::start_with(options).await,
        }
    }

    async fn seeded(count: usize) -> Env {
        Env::start(DemoOptions {
            seed_count: Some(count),
            ..DemoOptions::for_tests()
        })
        .await
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `idcon --base-url ... --key ... --sdk-id ... ARGS`; stdin is not a terminal.
    async fn idcon(&self, args: &[&str]) -> Output {
        let mut command = self.command(args);
        command
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        let child = command.spawn().expect("run idcon");
        tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
            .await
            .expect("idcon finished in time")
            .expect("idcon output")
    }

    async fn all_ids(&self) -> Vec<String> {
        let page = self
            .client()
            .list_identities(&IdentityQuery {
                page_size: Some(500),
                ..IdentityQuery::default()
            })
            .await
            .expect("list");
        assert!(page.value.next.is_none(), "the seed fits one page of 500");
        page.value.items.into_iter().map(|i| i.id).collect()
    }

    /// `count` identities that are active now.
    async fn active(&self, count: usize) -> Vec<String> {
        let mut found = Vec::new();
        for id in self.all_ids().await {
            if self.stored(&id).await["state"] == "active" {
                found.push(id);
                if found.len() == count {
                    return found;
                }
            }
        }
        panic!("only {} active identities, {count} wanted", found.len())
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write file");
        path.to_str().expect("utf-8 path").to_owned()
    }

    /// Plans `--state inactive` for `ids`; the plan's path.
    async fn plan_deactivation(&self, ids: &[String]) -> String {
        let input = self.write("ids.txt", &format!("{}\n", ids.join("\n")));
        let plan = self.path("plan.json").to_str().expect("utf-8").to_owned();
        let out = self
            .idcon(&["plan", "--input", &input, "--state", "inactive", "--output", &plan])
            .await;
        assert_exit(&out, 0);
        plan
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
        out.status.code(),
        Some(expected),
        "exit code\nstdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

fn read_plan(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read plan")).expect("the plan is JSON")
}

fn results(plan: &str) -> Vec<Value> {
    std::fs::read_to_string(format!("{plan}.results.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("result line is JSON"))
        .collect()
}

/// The last recorded result of each identity.
fn last_results(plan: &str) -> BTreeMap<String, String> {
    results(plan)
        .into_iter()
        .map(|line| {
            (
                line["id"].as_str().unwrap_or_default().to_owned(),
                line["result"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn updated_at_of_all(stored: &[Value]) -> Vec<Value> {
    stored.iter().map(|s| s["updated_at"].clone()).collect()
}

/// The intents and outcomes of the audit trail, paired by request id:
/// identity id → the status of each of its writes (`None`: no answer).
fn writes_by_identity(lines: &[Value]) -> BTreeMap<String, Vec<Option<u64>>> {
    let mut outcomes: BTreeMap<String, Option<u64>> = BTreeMap::new();
    for line in lines.iter().filter(|l| l["event"] == "outcome") {
        outcomes.insert(
            line["request_id"].as_str().expect("request id").to_owned(),
            line["status"].as_u64(),
        );
    }
    let mut writes: BTreeMap<String, Vec<Option<u64>>> = BTreeMap::new();
    for line in lines.iter().filter(|l| l["event"] == "intent") {
        let request = line["request_id"].as_str().expect("request id");
        let status = *outcomes
            .get(request)
            .unwrap_or_else(|| panic!("intent {request} has no outcome line"));
        writes
            .entry(line["identity_id"].as_str().expect("identity id").to_owned())
            .or_default()
            .push(status);
    }
    writes
}

fn is_success(status: &Option<u64>) -> bool {
    status.is_some_and(|s| (200..300).contains(&s))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_of_300_state_changes_applies_once_and_applying_again_sends_nothing() {
    let env = Env::seeded(400).await;
    let ids = env.active(300).await;
    let before: Vec<Value> = futures::future::join_all(ids.iter().map(|id| env.stored(id))).await;

    let input = env.write("deactivate.txt", &format!("# SUP-300\n{}\n", ids.join("\n")));
    let out = env.idcon(&["plan", "--input", &input, "--state", "inactive"]).await;
    assert_exit(&out, 0);
    let plan = format!("{input}.plan.json");
    assert!(
        stdout(&out).contains("300 entries, 300 identities to change (300 member changes), 0 no-ops skipped, 0 errors"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("~ /state: \"active\" → \"inactive\""));
    let mode = std::fs::metadata(&plan).expect("plan written").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // Planning only reads.
    assert!(env.audit_lines().is_empty());
    for (id, old) in ids.iter().zip(&before) {
        assert_eq!(&env.stored(id).await, old);
    }

    let doc = read_plan(&plan);
    let entries = doc["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 300);
    let validator = body_validator();
    for (entry, (id, old)) in entries.iter().zip(ids.iter().zip(&before)) {
        assert_eq!(entry["id"], id.as_str(), "input order is kept");
        assert_eq!(entry["updated_at"], old["updated_at"]);
        assert_eq!(
            entry["changes"],
            json!([{"pointer": "/state", "old": "active", "new": "inactive"}])
        );
        let body = &entry["body"];
        let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}\n{body}");
        assert_eq!(body["state"], "inactive");
        assert_eq!(body["traits"], old["traits"], "every other member is sent back");
        // Sent back as it is, but for the issuance token: a plan holds none
        // (apply takes it from the fresh read).
        let mut kept = json!({"metadata_admin": old["metadata_admin"].clone()});
        idcon::api::models::redact_all_secrets(&mut kept, None);
        assert_eq!(body["metadata_admin"], kept["metadata_admin"]);
        assert!(body.get("credentials").is_none(), "no credentials in a plan");
        assert_eq!(entry["snapshot"]["id"], id.as_str());
    }

    let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "4"]).await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("300 identities: 300 sent (300 by this run)"),
        "{}",
        stdout(&out)
    );
    // Not a terminal: one progress line per identity.
    assert_eq!(stdout(&out).lines().filter(|l| l.starts_with('[')).count(), 300);
    let after: Vec<Value> = futures::future::join_all(ids.iter().map(|id| env.stored(id))).await;
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(new["state"], "inactive");
        assert_eq!(new["traits"], old["traits"]);
        assert_eq!(new["metadata_public"], old["metadata_public"]);
    }
    let writes = writes_by_identity(&env.audit_lines());
    assert_eq!(writes.len(), 300);
    assert!(writes.values().all(|w| w.len() == 1 && is_success(&w[0])), "{writes:?}");
    assert!(last_results(&plan).values().all(|r| r == "sent"));
    let mode = std::fs::metadata(format!("{plan}.results.jsonl"))
        .expect("results")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // Again: nothing is read or sent, nothing changes on the server.
    let audit_before = env.audit_lines().len();
    let out = env.idcon(&["apply", &plan, "--yes"]).await;
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("nothing left to send"), "{}", stdout(&out));
    assert_eq!(env.audit_lines().len(), audit_before);
    let again: Vec<Value> = futures::future::join_all(ids.iter().map(|id| env.stored(id))).await;
    assert_eq!(updated_at_of_all(&again), updated_at_of_all(&after));

    // A new plan cannot silently reuse an applied plan's path.
    let out = env
        .idcon(&["plan", "--input", &input, "--state", "active", "--output", &plan])
        .await;
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("applied already"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_interrupted_by_faults_resumes_without_repeating_a_write() {
    let env = Env::seeded(120).await;
    let ids = env.active(60).await;
    // JSON lines, each with its own edit.
    let lines: Vec<String> = ids
        .iter()
        .map(|id| json!({"id": id, "state": "inactive", "set": {"/metadata_admin/bulk": "SUP-60"}}).to_string())
        .collect();
    let input = env.write("bulk.jsonl", &format!("{}\n", lines.join("\n")));
    let plan = env.path("bulk.plan").to_str().expect("utf-8").to_owned();
    let out = env.idcon(&["plan", "--input", &input, "--output", &plan]).await;
    assert_exit(&out, 0);

    // Run 1: every 7th request answers 500; the first one stops the run.
    env.demo.set_fail_every(Some(7));
    let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "4"]).await;
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("stopped: HTTP 500"), "{}", stderr(&out));
    let after_run_1 = writes_by_identity(&env.audit_lines());
    let done_in_run_1: BTreeSet<String> = after_run_1
        .iter()
        .filter(|(_, w)| w.iter().any(is_success))
        .map(|(id, _)| id.clone())
        .collect();
    assert!(done_in_run_1.len() < ids.len(), "the run stopped early");

    // Run 2: the next connection drops without an answer (the batched read
    // before the writes): the run stops, nothing is sent.
    env.demo.set_fail_every(None);
    env.demo.drop_next_connections(1);
    let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "4"]).await;
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("network failure"), "{}", stderr(&out));

    // Run 3: no faults; it finishes.
    let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "4"]).await;
    assert_exit(&out, 0);

    let lines = env.audit_lines();
    let writes = writes_by_identity(&lines);
    assert_eq!(writes.len(), ids.len());
    for id in &ids {
        let statuses = &writes[id];
        // Exactly one write per identity reached the server's handler; every
        // other attempt was refused before it (an injected 500) or lost.
        assert_eq!(
            statuses.iter().filter(|s| is_success(s)).count(),
            1,
            "{id}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| is_success(s) || *s == Some(500) || s.is_none()),
            "{id}: {statuses:?}"
        );
        // Nothing done in run 1 was sent again.
        if done_in_run_1.contains(id) {
            assert_eq!(statuses.len(), after_run_1[id].len(), "{id} was sent again");
        }
        let stored = env.stored(id).await;
        assert_eq!(stored["state"], "inactive");
        assert_eq!(stored["metadata_admin"]["bulk"], "SUP-60");
    }
    assert!(last_results(&plan).values().all(|r| r == "sent"));

    // Run 4: all done, nothing sent.
    let count = lines.len();
    let out = env.idcon(&["apply", &plan, "--yes"]).await;
    assert_exit(&out, 0);
    assert_eq!(env.audit_lines().len(), count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_whose_answer_was_lost_is_checked_on_the_server_and_not_sent_again() {
    // Every 4th request loses its connection. With --jobs 1 apply goes: one
    // batched read of the four, then PUT, PUT, PUT: the third PUT is lost.
    let env = Env::start(DemoOptions {
        drop_every: Some(4),
        ..DemoOptions::for_tests()
    })
    .await;
    env.demo.set_fail_every(None); // restarts the request count
    let ids = env.active(4).await;
    env.demo.set_fail_every(None);
    let plan = env.plan_deactivation(&ids).await;

    env.demo.set_fail_every(None);
    let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "1"]).await;
    assert_exit(&out, 1);
    assert!(stdout(&out).contains("outcome unknown"), "{}", stdout(&out));
    let recorded = last_results(&plan);
    assert_eq!(recorded.get(&ids[0]).map(String::as_str), Some("sent"));
    assert_eq!(recorded.get(&ids[1]).map(String::as_str), Some("sent"));
    assert_eq!(recorded.get(&ids[2]).map(String::as_str), Some("unknown"));
    assert!(!recorded.contains_key(&ids[3]), "not started after the stop");

    // The lost PUT did reach the server this time (only its answer was lost).
    env.demo
        .mutate_identity(&ids[2], |identity| identity["state"] = json!("inactive"))
        .await
        .expect("mutate");

    env.demo.set_fail_every(None);
    let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "1"]).await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains(&format!("already applied {}", ids[2])),
        "{}",
        stdout(&out)
    );
    let recorded = last_results(&plan);
    assert_eq!(recorded[&ids[2]], "already_applied");
    assert_eq!(recorded[&ids[3]], "sent");

    let writes = writes_by_identity(&env.audit_lines());
    assert_eq!(writes[&ids[0]].len(), 1);
    assert_eq!(writes[&ids[1]].len(), 1);
    assert_eq!(writes[&ids[2]], vec![None], "the lost write is not sent again");
    assert_eq!(writes[&ids[3]].len(), 1);
    for id in &ids {
        assert_eq!(env.stored(id).await["state"], "inactive");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identity_changed_after_planning_is_skipped_and_reported() {
    let env = Env::seeded(60).await;
    let ids = env.active(5).await;
    let plan = env.plan_deactivation(&ids).await;

    // Someone else edits one identity, and deactivates another, meanwhile.
    env.demo
        .mutate_identity(&ids[1], |identity| {
            identity["metadata_public"] = json!({"note": "edited meanwhile"})
        })
        .await
        .expect("mutate");
    env.demo
        .mutate_identity(&ids[3], |identity| identity["state"] = json!("inactive"))
        .await
        .expect("mutate");

    let out = env.idcon(&["apply", &plan, "--yes"]).await;
    assert_exit(&out, 3);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("skipped, changed since the plan {}", ids[1])) && text.contains("/metadata_public"),
        "{text}"
    );
    assert!(
        text.contains("3 sent (3 by this run), 1 already applied, 1 skipped as changed"),
        "{text}"
    );
    assert!(stderr(&out).contains("plan them again"), "{}", stderr(&out));

    let changed = env.stored(&ids[1]).await;
    assert_eq!(changed["state"], "active", "a changed identity is not written");
    assert_eq!(changed["metadata_public"]["note"], "edited meanwhile");
    let recorded = results(&plan);
    let skipped = recorded.iter().find(|r| r["id"] == ids[1].as_str()).expect("recorded");
    assert_eq!(skipped["result"], "skipped_changed");
    assert!(
        skipped["server_changes"].as_array().is_some_and(|p| p
            .iter()
            .any(|p| p.as_str().is_some_and(|p| p.starts_with("/metadata_public")))),
        "{skipped}"
    );
    let writes = writes_by_identity(&env.audit_lines());
    assert!(
        !writes.contains_key(&ids[1]) && !writes.contains_key(&ids[3]),
        "{writes:?}"
    );
    for id in [&ids[0], &ids[2], &ids[4]] {
        assert_eq!(env.stored(id).await["state"], "inactive");
    }

    // The skip is final: a second run sends nothing and still says so.
    let count = env.audit_lines().len();
    let out = env.idcon(&["apply", &plan, "--yes"]).await;
    assert_exit(&out, 3);
    assert_eq!(env.audit_lines().len(), count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_profile_or_an_unconfirmed_apply_sends_nothing_with_exit_5() {
    let env = Env::seeded(30).await;
    let ids = env.active(3).await;
    let plan = env.plan_deactivation(&ids).await;

    let out = env.idcon(&["--read-only", "apply", &plan, "--yes"]).await;
    assert_exit(&out, 5);
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    let audit = env.audit_lines();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["event"], "refusal");
    assert!(
        audit[0]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("read-only profile"))
    );

    // No terminal to ask and no --yes: refused.
    let out = env.idcon(&["apply", &plan]).await;
    assert_exit(&out, 5);
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));

    for id in &ids {
        assert_eq!(env.stored(id).await["state"], "active");
    }
    assert!(results(&plan).is_empty());
    assert_eq!(env.audit_lines().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_resolves_identifiers_reports_bad_entries_and_refuses_secrets() {
    let env = Env::seeded(60).await;
    let mut ids = env.active(2).await;
    // One that signs in with its email, found by that identifier.
    let mut email = None;
    for id in env.all_ids().await {
        let stored = env.stored(&id).await;
        let login = stored["traits"]["email"].as_str().map(str::to_owned);
        let identifiers = &stored["credentials"]["password"]["identifiers"];
        if stored["state"] == "active"
            && !ids.contains(&id)
            && let Some(login) = login
            && identifiers.as_array().is_some_and(|i| i.contains(&json!(login)))
        {
            email = Some(login);
            ids.insert(1, id);
            break;
        }
    }
    let email = email.expect("an identity that signs in with its email");
    let missing = "00000000-0000-4000-8000-000000000000";
    let input = env.write(
        "mixed.jsonl",
        &[
            json!({"id": ids[0], "set": {"/metadata_admin/ticket": "SUP-1"}}).to_string(),
            json!({"identifier": email.to_uppercase(), "state": "inactive"}).to_string(),
            json!({"identifier": "nobody@example.invalid", "state": "inactive"}).to_string(),
            json!({"id": missing, "state": "inactive"}).to_string(),
            json!({"id": ids[1], "state": "inactive"}).to_string(),
            json!({"id": ids[2], "state": "active"}).to_string(),
        ]
        .join("\n"),
    );
    let plan = env.path("mixed.plan.json").to_str().expect("utf-8").to_owned();
    let out = env.idcon(&["plan", "--input", &input, "--output", &plan]).await;
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("line 3: identifier \"nobody@example.invalid\" matches no identity"),
        "{err}"
    );
    assert!(err.contains(&format!("line 4: identity {missing} not found")), "{err}");
    assert!(
        err.contains("line 5: identity") && err.contains("already in the plan (line 2)"),
        "{err}"
    );
    assert!(stdout(&out).contains("2 identities to change"), "{}", stdout(&out));
    assert!(stdout(&out).contains("1 no-ops skipped, 3 errors"), "{}", stdout(&out));
    let doc = read_plan(&plan);
    let planned: Vec<&str> = doc["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(planned, [ids[0].as_str(), ids[1].as_str()]);
    assert_eq!(doc["noops"][0]["id"], ids[2].as_str());
    assert_eq!(doc["errors"].as_array().map(Vec::len), Some(3));

    // A password in the input: nothing is read and no plan written.
    let secret_input = env.write(
        "secret.jsonl",
        &json!({"id": ids[0], "set": {"/credentials/password/config/password": "Hunter2-Secret"}}).to_string(),
    );
    let secret_plan = env.path("secret.plan.json");
    let out = env
        .idcon(&[
            "plan",
            "--input",
            &secret_input,
            "--output",
            secret_plan.to_str().expect("utf-8"),
        ])
        .await;
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("cannot be planned"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("Hunter2"));
    assert!(!Path::new(&secret_plan).exists());
}

/// A results file planted as a symbolic link (another user on the bastion,
/// or a mistake) would make `apply` append to whatever it points at: refused,
/// the target untouched, nothing sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_results_file_planted_as_a_symlink_is_refused_and_nothing_is_sent() {
    let env = Env::seeded(20).await;
    let ids = env.active(2).await;
    let plan = env.plan_deactivation(&ids).await;
    let victim = env.write("victim.txt", "precious\n");
    let results = idcon::commands::plan::results_path(std::path::Path::new(&plan));
    std::os::unix::fs::symlink(&victim, &results).expect("plant the link at the results path");
    let out = env.idcon(&["apply", &plan, "--yes"]).await;
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "precious\n");
    for id in &ids {
        assert_eq!(env.stored(id).await["state"], "active", "nothing was sent");
    }
}

/// `plan` prints a digest of the plan file; `apply --digest` refuses a plan
/// whose bytes changed after that review (a swapped or edited file).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_changed_after_review_is_refused_by_its_digest() {
    let env = Env::seeded(20).await;
    let ids = env.active(2).await;
    let input = env.write("ids.txt", &format!("{}\n", ids.join("\n")));
    let plan = env.path("plan.json").to_str().expect("utf-8").to_owned();
    let out = env
        .idcon(&["plan", "--input", &input, "--state", "inactive", "--output", &plan])
        .await;
    assert_exit(&out, 0);
    let printed = stdout(&out);
    let digest = printed
        .split_whitespace()
        .find(|word| word.starts_with("sha256:"))
        .expect("plan prints its digest")
        .to_owned();

    // Someone edits the reviewed plan: another identity's body, say.
    let original = std::fs::read_to_string(&plan).expect("plan");
    std::fs::write(&plan, original.replacen("\"inactive\"", "\"active\"", 1)).expect("edit");
    let out = env.idcon(&["apply", &plan, "--yes", "--digest", &digest]).await;
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("changed after it was reviewed"),
        "{}",
        stderr(&out)
    );
    for id in &ids {
        assert_eq!(env.stored(id).await["state"], "active", "nothing was sent");
    }

    std::fs::write(&plan, &original).expect("restore");
    let out = env.idcon(&["apply", &plan, "--yes", "--digest", &digest]).await;
    assert_exit(&out, 0);
    for id in &ids {
        assert_eq!(env.stored(id).await["state"], "inactive");
    }
}

/// Under `--rps`, the fresh read and its PUT take their rate-limit permits
/// together: no wait for a permit falls between them, so someone else's edit
/// cannot land in a gap of seconds and be overwritten. At 0.5 requests a
/// second a batch holds one identity: checked on the server's own log, every
/// PUT follows a batched read, within a second, with nothing in between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_rate_limit_each_read_and_its_put_go_out_together() {
    let env = Env::seeded(20).await;
    let ids = env.active(2).await;
    let plan = env.plan_deactivation(&ids).await;
    let started = env.demo.request_log().len();
    let out = env
        .idcon(&["apply", &plan, "--yes", "--jobs", "3", "--rps", "0.5"])
        .await;
    assert_exit(&out, 0);
    let log: Vec<_> = env.demo.request_log().into_iter().skip(started).collect();
    let shape: Vec<(&str, bool)> = log
        .iter()
        .map(|r| (r.method.as_str(), r.path == "/admin/identities"))
        .collect();
    assert_eq!(
        shape,
        [("GET", true), ("PUT", false), ("GET", true), ("PUT", false)],
        "a read of one, its PUT; again: {log:?}"
    );
    for pair in log.chunks(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(
            gap < Duration::from_secs(1),
            "{gap:?} between a read and its PUT: a rate-limit wait fell between them"
        );
    }
    let paced = log[2].at.duration_since(log[1].at);
    assert!(
        paced >= Duration::from_millis(3500),
        "0.5 requests a second: the second pair waits for its permits ({paced:?})"
    );
    for id in &ids {
        let put = format!("/admin/identities/{id}");
        assert_eq!(log.iter().filter(|r| r.path == put).count(), 1, "{log:?}");
    }
}

/// The identities of the demo that hold a Yoti issuance token, with it.
async fn token_holders(env: &Env, count: usize) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for id in env.all_ids().await {
        let stored = env.stored(&id).await;
        if stored["state"] != "active" {
            continue;
        }
        if let Some(token) = stored
            .pointer("/metadata_admin/yoti/issuance_token")
            .and_then(Value::as_str)
        {
            found.push((id, token.to_owned()));
            if found.len() == count {
                return found;
            }
        }
    }
    panic!("only {} active token holders, {count} wanted", found.len())
}

/// A plan is a file a person reads and keeps: the issuance token the body
/// echoes in `metadata_admin` (and the snapshot holds) is not in it; `apply`
/// takes it from the fresh read right before the PUT, so the identity keeps
/// its token. A plan that would change or drop a token is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_holds_no_issuance_token_and_apply_sends_the_servers_own_back() {
    let env = Env::seeded(120).await;
    let holders = token_holders(&env, 2).await;
    let input = env.write(
        "tokens.jsonl",
        &[
            json!({"id": holders[0].0, "set": {"/metadata_admin/ticket": "SUP-9"}}).to_string(),
            json!({"id": holders[1].0, "state": "inactive"}).to_string(),
        ]
        .join("\n"),
    );
    let plan = env.path("tokens.plan.json").to_str().expect("utf-8").to_owned();
    let out = env.idcon(&["plan", "--input", &input, "--output", &plan]).await;
    assert_exit(&out, 0);
    let text = std::fs::read_to_string(&plan).expect("plan written");
    for (_, token) in &holders {
        assert!(!text.contains(token.as_str()), "the plan holds a token:\n{text}");
        assert!(!stdout(&out).contains(token.as_str()) && !stderr(&out).contains(token.as_str()));
    }
    let doc = read_plan(&plan);
    assert_eq!(
        doc["entries"][0]["body"]["metadata_admin"]["yoti"]["issuance_token"],
        "<redacted>"
    );
    assert_eq!(doc["entries"][0]["body"]["metadata_admin"]["ticket"], "SUP-9");

    let out = env.idcon(&["apply", &plan, "--yes"]).await;
    assert_exit(&out, 0);
    assert_eq!(
        last_results(&plan).values().collect::<Vec<_>>(),
        ["sent", "sent"],
        "{}",
        stdout(&out)
    );
    let first = env.stored(&holders[0].0).await;
    assert_eq!(first["metadata_admin"]["ticket"], "SUP-9");
    assert_eq!(
        first["metadata_admin"]["yoti"]["issuance_token"],
        json!(holders[0].1),
        "the token is kept"
    );
    let second = env.stored(&holders[1].0).await;
    assert_eq!(second["state"], "inactive");
    assert_eq!(second["metadata_admin"]["yoti"]["issuance_token"], json!(holders[1].1));
    let trail = std::fs::read_to_string(env.path("state/idcon/audit.jsonl")).unwrap_or_default();
    for (_, token) in &holders {
        assert!(!trail.contains(token.as_str()), "{trail}");
        assert!(
            !std::fs::read_to_string(format!("{plan}.results.jsonl"))
                .unwrap_or_default()
                .contains(token.as_str())
        );
    }

    // Replacing metadata_admin whole would drop the token: a secret member
    // cannot be changed by a plan.
    let dropping = env.write(
        "drop.jsonl",
        &json!({"id": holders[0].0, "set": {"/metadata_admin": {"ticket": "SUP-10"}}}).to_string(),
    );
    let refused = env.path("drop.plan.json").to_str().expect("utf-8").to_owned();
    let out = env.idcon(&["plan", "--input", &dropping, "--output", &refused]).await;
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("/metadata_admin/yoti/issuance_token"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(holders[0].1.as_str()));
    assert!(read_plan(&refused)["entries"].as_array().is_some_and(Vec::is_empty));
}
