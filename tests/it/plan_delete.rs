//! Plan delete entries (`{"id": ..., "delete": true}`, `plan --delete`)
//! through plan → review → apply: the review names who is deleted and what
//! they lose; each identity is read again and compared with the plan's
//! snapshot before its `DELETE`; one already gone is `already_applied`, one
//! changed since the plan is not deleted; a run stopped by a 500 resumes
//! without deleting anybody twice; the audit intent records what was
//! deleted, secrets redacted.

use std::collections::BTreeMap;
use std::process::{Output, Stdio};
use std::time::Duration;

use idcon::api::IdentityQuery;
use idcon::demo::DemoOptions;
use serde_json::{Value, json};

use crate::support::cli_env::CliEnv;

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
    async fn start() -> Env {
        Env {
            base: CliEnv::start_with(DemoOptions {
                seed_count: Some(30),
                ..DemoOptions::for_tests()
            })
            .await,
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().expect("utf-8 path").to_owned()
    }

    /// `idcon ARGS` with stdin not a terminal.
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

    async fn first_ids(&self, count: usize) -> Vec<String> {
        let page = self
            .client()
            .list_identities(&IdentityQuery {
                page_size: Some(500),
                ..IdentityQuery::default()
            })
            .await
            .expect("list");
        page.value.items.into_iter().take(count).map(|i| i.id).collect()
    }

    /// `DELETE {identities}/{id}` requests that reached the demo, per id.
    fn deletes_reached(&self, ids: &[String]) -> BTreeMap<String, usize> {
        let log = self.demo.request_log();
        ids.iter()
            .map(|id| {
                let path = format!("/admin/identities/{id}");
                (
                    id.clone(),
                    log.iter().filter(|r| r.method == "DELETE" && r.path == path).count(),
                )
            })
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
        out.status.code(),
        Some(expected),
        "exit code\nstdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

/// The last result line of each identity's write.
fn last_results(plan: &str) -> BTreeMap<String, Value> {
    std::fs::read_to_string(format!("{plan}.results.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("a result line is JSON"))
        .filter(|line| line.get("step").is_none())
        .map(|line| (line["id"].as_str().unwrap_or_default().to_owned(), line))
        .collect()
}

/// The audit intents of `DELETE {identities}/{id}`, per identity: each
/// intent and its outcome's status (`None`: no answer).
fn audited_deletes(lines: &[Value]) -> BTreeMap<String, Vec<(Value, Option<u64>)>> {
    let outcomes: BTreeMap<&str, Option<u64>> = lines
        .iter()
        .filter(|l| l["event"] == "outcome")
        .map(|l| (l["request_id"].as_str().unwrap_or_default(), l["status"].as_u64()))
        .collect();
    let mut found: BTreeMap<String, Vec<(Value, Option<u64>)>> = BTreeMap::new();
    for line in lines
        .iter()
        .filter(|l| l["event"] == "intent" && l["method"] == "DELETE")
    {
        let request = line["request_id"].as_str().unwrap_or_default();
        let status = *outcomes
            .get(request)
            .unwrap_or_else(|| panic!("intent {request} has no outcome line"));
        found
            .entry(line["identity_id"].as_str().unwrap_or_default().to_owned())
            .or_default()
            .push((line.clone(), status));
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_plan_stopped_by_a_500_resumes_and_deletes_each_identity_once() {
    let env = Env::start().await;
    let ids = env.first_ids(6).await;
    let keep = env.first_ids(8).await.split_off(6);
    let before = env.demo.identity_count();
    let mut stored = BTreeMap::new();
    for id in &ids {
        stored.insert(id.clone(), env.stored(id).await);
    }

    // A data-erasure ticket, written by hand as JSON lines.
    let lines: Vec<String> = ids
        .iter()
        .map(|id| json!({"id": id, "delete": true, "reason": "SUP-18 erasure request"}).to_string())
        .collect();
    let input = env.path("erase.jsonl");
    std::fs::write(&input, format!("# SUP-18\n{}\n", lines.join("\n"))).expect("write input");
    let plan = env.path("erase.plan");
    let out = env.idcon(&["plan", "--input", &input, "--output", &plan]).await;
    assert_exit(&out, 0);
    let shown = stdout(&out);
    assert!(
        shown.contains(
            "6 entries, 0 identities to change (0 member changes), 0 no-ops skipped, 0 errors, 6 identities to delete"
        ),
        "{shown}"
    );
    for id in &ids {
        assert!(
            shown.contains(&format!("DELETE {}/admin/identities/{id} (line", env.demo.base_url())),
            "{shown}"
        );
    }
    assert!(shown.contains("deletes the identity for good"), "{shown}");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&plan).expect("plan")).expect("JSON");
    assert_eq!(doc["idcon_plan"], 3);
    for (entry, id) in doc["entries"].as_array().expect("entries").iter().zip(&ids) {
        assert_eq!(entry["id"], id.as_str());
        assert_eq!(entry["delete"], true);
        assert!(entry.get("body").is_none(), "a delete sends no body: {entry}");
        assert!(
            entry["snapshot"].get("credentials").is_none(),
            "no credentials in a plan's snapshot"
        );
        // What the person loses: the credentials' types and identifiers, as
        // a GET shows them (no config).
        let lost = entry["credentials_lost"].as_array().expect("credentials_lost");
        let server: Vec<String> = stored[id]["credentials"]
            .as_object()
            .map(|map| map.keys().cloned().collect())
            .unwrap_or_default();
        let planned: Vec<String> = lost
            .iter()
            .map(|c| c["type"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(planned, server, "{entry}");
        assert!(lost.iter().all(|c| c.get("config").is_none()));
        if let Some(password) = lost.iter().find(|c| c["type"] == "password") {
            let identifier = password["identifiers"][0].as_str().expect("a password identifier");
            assert!(shown.contains(&format!("password ({identifier}")), "{shown}");
        }
    }
    assert!(env.audit_lines().is_empty(), "planning sends nothing");

    // Not confirmed: the review lists each deletion on stderr, nothing is sent.
    let out = env.idcon(&["apply", &plan]).await;
    assert_exit(&out, 5);
    for id in &ids {
        assert!(
            stderr(&out).contains(&format!("({id}): its traits, metadata and addresses")),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(env.demo.identity_count(), before);

    // Run 1: every 4th request answers 500. A delete is read with a GET
    // right before it (GET, DELETE, GET, DELETE): the second DELETE fails,
    // and the run stops there.
    env.demo.set_fail_every(Some(4));
    let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "1"]).await;
    env.demo.set_fail_every(None);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("stopped: HTTP 500 on a delete"),
        "{}",
        stderr(&out)
    );
    let gone_in_run_1: Vec<&String> = {
        let mut gone = Vec::new();
        for id in &ids {
            if env.demo.identity(id).await.is_none() {
                gone.push(id);
            }
        }
        gone
    };
    assert!(
        !gone_in_run_1.is_empty() && gone_in_run_1.len() < ids.len(),
        "{gone_in_run_1:?}"
    );
    let results = last_results(&plan);
    let failed: Vec<&String> = ids
        .iter()
        .filter(|id| results.get(*id).is_some_and(|r| r["result"] == "failed"))
        .collect();
    assert_eq!(failed.len(), 1, "{results:#?}");
    assert_eq!(results[failed[0]]["status"], 500);

    // Run 2: the rest, the one that failed included.
    let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "1"]).await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out)
            .contains("deletions of 6 identities: 6 deleted, 0 already gone, 0 skipped as changed since the plan"),
        "{}",
        stdout(&out)
    );
    for id in &ids {
        assert!(env.demo.identity(id).await.is_none(), "{id} is still there");
    }
    for id in &keep {
        assert!(env.demo.identity(id).await.is_some(), "{id} was not in the plan");
    }
    assert_eq!(env.demo.identity_count(), before - ids.len());

    // Nobody deleted twice: one DELETE each reached the demo's handler (the
    // failed one's first try was answered 500 by the fault, before it).
    let reached = env.deletes_reached(&ids);
    let audited = audited_deletes(&env.audit_lines());
    for id in &ids {
        let statuses: Vec<Option<u64>> = audited[id].iter().map(|(_, status)| *status).collect();
        if id == failed[0] {
            assert_eq!(statuses, vec![Some(500), Some(204)], "{id}");
            assert_eq!(reached[id], 2, "{id}");
        } else {
            assert_eq!(statuses, vec![Some(204)], "{id}");
            assert_eq!(reached[id], 1, "{id}");
        }
        // The intent says who and what was deleted, and why.
        let (intent, _) = audited[id].last().expect("an intent");
        assert_eq!(intent["why"], "SUP-18 erasure request");
        let changes = intent["changes"].as_array().expect("changes");
        let email = stored[id]["traits"]["email"].clone();
        if !email.is_null() {
            assert!(
                changes
                    .iter()
                    .any(|c| c["pointer"] == "/traits/email" && c["old"] == email && c.get("new").is_none()),
                "{intent}"
            );
        }
        assert!(changes.iter().any(|c| c["pointer"] == "/state"), "{intent}");
    }
    // No secret of theirs in the trail (hashes, tokens).
    let trail = env.audit_text();
    for id in &ids {
        if let Some(hash) = stored[id]
            .pointer("/credentials/password/config/hashed_password")
            .and_then(Value::as_str)
        {
            assert!(!trail.contains(hash), "{id}'s hash in the audit trail");
        }
    }

    // Again: nothing to send.
    let count = env.audit_lines().len();
    let out = env.idcon(&["apply", &plan, "--yes"]).await;
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("nothing left to send"), "{}", stdout(&out));
    assert_eq!(env.audit_lines().len(), count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_is_refused_when_the_identity_changed_and_done_when_it_is_already_gone() {
    let env = Env::start().await;
    let ids = env.first_ids(4).await;
    let input = env.path("ids.txt");
    std::fs::write(&input, format!("{}\n", ids.join("\n"))).expect("write input");
    let plan = env.path("ids.plan");
    let out = env
        .idcon(&[
            "plan", "--input", &input, "--delete", "--reason", "SUP-18", "--output", &plan,
        ])
        .await;
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("4 identities to delete"), "{}", stdout(&out));

    // After the plan: one deleted by someone else, one edited.
    env.client()
        .delete_identity(&ids[0])
        .await
        .expect("delete behind the plan's back");
    env.demo
        .mutate_identity(&ids[1], |identity| {
            identity["metadata_public"] = json!({"note": "keep me"})
        })
        .await
        .expect("mutate");
    // And one whose credentials changed while its `updated_at` did not (Kratos
    // v1.3 does not move it on a write): the list shape has no credentials,
    // so only the credentials' comparison sees it.
    let kind = env.stored(&ids[3]).await["credentials"]
        .as_object()
        .and_then(|map| map.keys().next().cloned())
        .expect("a seeded identity has a credential");
    env.demo
        .mutate_identity(&ids[3], |identity| {
            identity["credentials"][kind.as_str()]["identifiers"] = json!(["someone-else@example.com"]);
            // The same instant spelled otherwise: the demo keeps its value.
            let at = identity["updated_at"].as_str().unwrap_or_default().to_owned();
            if let Ok(parsed) = chrono::DateTime::parse_from_rfc3339(&at) {
                identity["updated_at"] = json!(parsed.to_rfc3339_opts(chrono::SecondsFormat::Nanos, false));
            }
        })
        .await
        .expect("mutate");

    let out = env.idcon(&["apply", &plan, "--yes"]).await;
    assert_exit(&out, 3);
    let results = last_results(&plan);
    assert_eq!(results[&ids[0]]["result"], "already_applied", "{results:#?}");
    assert_eq!(results[&ids[1]]["result"], "skipped_changed", "{results:#?}");
    let changed = results[&ids[1]]["server_changes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(changed.contains(&json!("/metadata_public/note")), "{changed:?}");
    assert_eq!(results[&ids[2]]["result"], "sent", "{results:#?}");
    assert_eq!(results[&ids[3]]["result"], "skipped_changed", "{results:#?}");
    assert_eq!(results[&ids[3]]["server_changes"], json!(["/credentials"]));
    assert!(
        env.demo.identity(&ids[3]).await.is_some(),
        "its credentials changed: kept"
    );
    assert!(
        stdout(&out).contains(&format!("already gone {}", ids[0])),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains(&format!("not deleted, changed since the plan {}", ids[1])),
        "{}",
        stdout(&out)
    );
    assert!(
        env.demo.identity(&ids[1]).await.is_some(),
        "a changed identity is not deleted"
    );
    assert!(env.demo.identity(&ids[2]).await.is_none());
    // Only the unchanged one was sent.
    let audited = audited_deletes(&env.audit_lines());
    assert_eq!(audited.keys().collect::<Vec<_>>(), vec![&ids[2]]);

    // Bad delete entries are named with their line.
    let bad = env.path("bad.jsonl");
    std::fs::write(
        &bad,
        format!(
            "{}\n{}\n",
            json!({"id": ids[1], "delete": true, "state": "inactive"}),
            json!({"id": ids[1], "delete": "yes"})
        ),
    )
    .expect("write");
    let out = env
        .idcon(&["plan", "--input", &bad, "--output", &env.path("bad.plan")])
        .await;
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("line 1: a \"delete\" entry deletes the identity"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("line 2: \"delete\" must be true or false"),
        "{}",
        stderr(&out)
    );
}
