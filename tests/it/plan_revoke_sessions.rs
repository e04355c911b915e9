//! `idcon plan --revoke-sessions` and `idcon apply`: a bulk deactivation
//! that revokes each identity's sessions after its PUT, as its own audited
//! request and its own step in the results file, resumed after connections
//! lost during the revoke step without sending any PUT again or revoking a
//! second time what was revoked (Kratos's 404 "none left" counts as done).
//!
//! The faults come from a loopback proxy in front of the demo that loses
//! chosen `DELETE …/sessions` requests: one forwarded and its answer lost
//! (the revoke happened, idcon cannot know), one dropped before it reaches
//! the server (it never happened).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idcon::api::sessions::SessionQuery;
use idcon::demo::DemoOptions;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

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
                seed_count: Some(40),
                ..DemoOptions::for_tests()
            })
            .await,
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().expect("utf-8 path").to_owned()
    }

    /// `idcon --base-url BASE ... ARGS`, stdin not a terminal.
    async fn idcon_at(&self, base: &str, args: &[&str]) -> Output {
        let key = self.key.to_str().expect("utf-8 path");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_idcon"))
            .args(["--base-url", base, "--key", key, "--sdk-id", idcon::demo::DEMO_SDK_ID])
            .args(args)
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env("NO_COLOR", "1")
            .env_remove("IDCON_PROFILE")
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("run idcon");
        tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
            .await
            .expect("idcon finished in time")
            .expect("idcon output")
    }

    async fn idcon(&self, args: &[&str]) -> Output {
        self.idcon_at(&self.demo.base_url(), args).await
    }

    async fn sessions(&self, id: &str) -> usize {
        self.client()
            .session_pager(id, SessionQuery::default())
            .collect_all()
            .await
            .expect("sessions")
            .len()
    }

    /// `count` active identities with at least one session each.
    async fn active_with_sessions(&self, count: usize) -> Vec<String> {
        let page = self
            .client()
            .list_identities(&idcon::api::IdentityQuery {
                page_size: Some(500),
                ..idcon::api::IdentityQuery::default()
            })
            .await
            .expect("list");
        let mut found = Vec::new();
        for identity in page.value.items {
            if self.stored(&identity.id).await["state"] == "active" && self.sessions(&identity.id).await > 0 {
                found.push(identity.id);
                if found.len() == count {
                    return found;
                }
            }
        }
        panic!("only {} active identities with sessions, {count} wanted", found.len())
    }

    /// How many `METHOD {identities}/{id}{suffix}` requests reached the demo,
    /// per identity of `ids`.
    fn reached(&self, method: &str, suffix: &str, ids: &[String]) -> BTreeMap<String, usize> {
        let log = self.demo.request_log();
        ids.iter()
            .map(|id| {
                let path = format!("/admin/identities/{id}{suffix}");
                let count = log.iter().filter(|r| r.method == method && r.path == path).count();
                (id.clone(), count)
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

/// The result lines of the plan, in order.
fn results(plan: &str) -> Vec<Value> {
    std::fs::read_to_string(format!("{plan}.results.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a result line is JSON"))
        .collect()
}

/// The last result of `step` (`None`: the write) of each identity.
fn last(plan: &str, step: Option<&str>) -> BTreeMap<String, String> {
    results(plan)
        .into_iter()
        .filter(|line| line["step"].as_str() == step)
        .map(|line| {
            (
                line["id"].as_str().unwrap_or_default().to_owned(),
                line["result"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The audit intents of `method` requests whose URL ends in `suffix`, per
/// identity: the status of each one's outcome (`None`: no answer came).
fn audited(lines: &[Value], method: &str, suffix: &str) -> BTreeMap<String, Vec<Option<u64>>> {
    let outcomes: BTreeMap<&str, Option<u64>> = lines
        .iter()
        .filter(|l| l["event"] == "outcome")
        .map(|l| (l["request_id"].as_str().unwrap_or_default(), l["status"].as_u64()))
        .collect();
    let mut found: BTreeMap<String, Vec<Option<u64>>> = BTreeMap::new();
    for line in lines.iter().filter(|l| l["event"] == "intent" && l["method"] == method) {
        let url = line["url"].as_str().unwrap_or_default();
        let path = url.split('?').next().unwrap_or_default();
        if !path.ends_with(suffix) {
            continue;
        }
        let request = line["request_id"].as_str().unwrap_or_default();
        let status = *outcomes
            .get(request)
            .unwrap_or_else(|| panic!("intent {request} has no outcome line"));
        found
            .entry(line["identity_id"].as_str().unwrap_or_default().to_owned())
            .or_default()
            .push(status);
    }
    found
}

/// What the proxy does with the `n`th `DELETE …/sessions` it sees (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Forwarded; the server acts, and its answer never reaches idcon.
    LoseAnswer,
    /// The connection closes before the request reaches the server.
    DropBefore,
}

/// A loopback proxy in front of the demo: every request is forwarded as it
/// is, one at a time per connection, but the `n`th `DELETE …/sessions`
/// meets its [`Fate`]. The paths of the lost ones are kept.
struct Proxy {
    url: String,
    lost: Arc<Mutex<Vec<String>>>,
}

/// One HTTP/1.1 message read off `stream` (head and body: Content-Length,
/// none for a 204, or chunked up to its last chunk); `None` at the end.
async fn read_message(stream: &mut tokio::net::TcpStream, buffer: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim().to_owned())
        })
    };
    let end = if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        Some(head_end + length)
    } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        None
    } else {
        Some(head_end)
    };
    loop {
        let complete = match end {
            Some(end) => buffer.len() >= end,
            None => buffer[head_end..].windows(5).any(|w| w == b"0\r\n\r\n"),
        };
        if complete {
            let end = end.unwrap_or(buffer.len());
            let rest = buffer.split_off(end);
            return Some(std::mem::replace(buffer, rest));
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

async fn proxy(upstream: SocketAddr, nth: usize, fate: Fate) -> Proxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let lost = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let kept = Arc::clone(&lost);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let lost = Arc::clone(&kept);
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut from_client, mut from_server) = (Vec::new(), Vec::new());
                while let Some(request) = read_message(&mut client, &mut from_client).await {
                    let head = String::from_utf8_lossy(&request);
                    let target = head.split(' ').nth(1).unwrap_or_default();
                    let path = target.split('?').next().unwrap_or_default().to_owned();
                    let chosen = head.starts_with("DELETE ")
                        && path.ends_with("/sessions")
                        && seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == nth;
                    if chosen {
                        lost.lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(path);
                        if fate == Fate::DropBefore {
                            return;
                        }
                    }
                    if server.write_all(&request).await.is_err() {
                        return;
                    }
                    let Some(answer) = read_message(&mut server, &mut from_server).await else {
                        return;
                    };
                    // The server acted; for the chosen one, idcon never hears.
                    if chosen || client.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Proxy {
        url: format!("http://{address}"),
        lost,
    }
}

fn lost(proxy: &Proxy) -> Vec<String> {
    proxy
        .lost
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

/// The identity id in `/admin/identities/{id}/sessions`.
fn identity_of(path: &str) -> String {
    path.trim_end_matches("/sessions")
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivation_with_revoke_sessions_resumes_after_lost_revokes_without_revoking_twice() {
    let env = Env::start().await;
    let ids = env.active_with_sessions(4).await;
    let upstream: SocketAddr = env
        .demo
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("the demo's address");

    let input = env.path("ids.txt");
    std::fs::write(&input, format!("{}\n", ids.join("\n"))).expect("write input");
    let plan = env.path("deactivate.plan.json");
    let out = env
        .idcon(&[
            "plan",
            "--input",
            &input,
            "--state",
            "inactive",
            "--revoke-sessions",
            "--output",
            &plan,
            "--reason",
            "SUP-17 accounts taken over",
        ])
        .await;
    assert_exit(&out, 0);
    let shown = stdout(&out);
    for id in &ids {
        assert!(
            shown.contains(&format!(
                "and revoke all sessions: DELETE {}/admin/identities/{id}/sessions",
                env.demo.base_url()
            )),
            "{shown}"
        );
    }
    assert!(
        shown.contains("and revoke all sessions of 4 identities after their PUT"),
        "{shown}"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&plan).expect("plan")).expect("JSON");
    assert_eq!(
        doc["idcon_plan"], 3,
        "a plan with revokes is format 3: an older idcon refuses it"
    );
    assert!(
        doc["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .all(|e| e["revoke_sessions"] == true)
    );

    // The plan's URL is the demo's: each run through a proxy names the proxy.
    let through = |proxy: &Proxy| {
        let mut doc = doc.clone();
        let url = doc["identities_url"]
            .as_str()
            .expect("url")
            .replace(&env.demo.base_url(), &proxy.url);
        doc["identities_url"] = json!(url);
        let path = env.path(&format!(
            "via-{}.plan.json",
            proxy.url.rsplit(':').next().unwrap_or("x")
        ));
        std::fs::write(&path, serde_json::to_string_pretty(&doc).expect("JSON")).expect("write plan");
        // The same results file for every copy: one plan, several runs.
        let results = PathBuf::from(format!("{plan}.results.jsonl"));
        let copy = PathBuf::from(format!("{path}.results.jsonl"));
        if results.exists() {
            std::fs::copy(&results, &copy).expect("copy results");
        }
        path
    };
    let back = |path: &str| {
        std::fs::copy(format!("{path}.results.jsonl"), format!("{plan}.results.jsonl")).expect("copy back");
    };

    // Run 1: the second revoke reaches the server, its answer is lost.
    let first = proxy(upstream, 2, Fate::LoseAnswer).await;
    let via = through(&first);
    let out = env.idcon_at(&first.url, &["apply", &via, "--yes", "--jobs", "1"]).await;
    back(&via);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("stopped: network failure on revoking sessions"),
        "{}",
        stderr(&out)
    );
    let answer_lost = lost(&first).iter().map(|p| identity_of(p)).collect::<Vec<_>>();
    assert_eq!(answer_lost.len(), 1, "{answer_lost:?}");
    let answer_lost = answer_lost[0].clone();
    assert_eq!(env.sessions(&answer_lost).await, 0, "the lost revoke was carried out");
    assert_eq!(
        last(&plan, Some("revoke_sessions"))
            .get(&answer_lost)
            .map(String::as_str),
        Some("unknown")
    );
    assert_eq!(last(&plan, None).get(&answer_lost).map(String::as_str), Some("sent"));

    // Run 2: its first revoke is the retry of the lost one (none left: done);
    // its second never reaches the server.
    let second = proxy(upstream, 2, Fate::DropBefore).await;
    let via = through(&second);
    let out = env
        .idcon_at(&second.url, &["apply", &via, "--yes", "--jobs", "1"])
        .await;
    back(&via);
    assert_exit(&out, 1);
    let never_reached = identity_of(&lost(&second)[0]);
    assert_ne!(never_reached, answer_lost);
    assert!(
        env.sessions(&never_reached).await > 0,
        "the dropped revoke never reached the server"
    );
    assert_eq!(
        env.stored(&never_reached).await["state"],
        "inactive",
        "its PUT went out"
    );
    let revokes = last(&plan, Some("revoke_sessions"));
    assert_eq!(
        revokes.get(&answer_lost).map(String::as_str),
        Some("already_applied"),
        "{revokes:?}"
    );
    assert_eq!(
        revokes.get(&never_reached).map(String::as_str),
        Some("unknown"),
        "{revokes:?}"
    );

    // Run 3, straight to the server: the rest, and that revoke only.
    let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "1"]).await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("sessions of 4 identities: 3 revoked, 1 had none left, 0 still to revoke"),
        "{}",
        stdout(&out)
    );

    // The server: every identity inactive, no session left.
    for id in &ids {
        assert_eq!(env.stored(id).await["state"], "inactive");
        assert_eq!(env.sessions(id).await, 0, "{id} has sessions left");
    }
    // One PUT each, ever; one revoke each reached the server, but for the
    // one whose answer was lost, retried once and answered "none left".
    let puts = env.reached("PUT", "", &ids);
    assert!(puts.values().all(|&n| n == 1), "{puts:?}");
    let deletes = env.reached("DELETE", "/sessions", &ids);
    for id in &ids {
        let expected = if *id == answer_lost { 2 } else { 1 };
        assert_eq!(deletes[id], expected, "{id}: {deletes:?}");
    }
    // The audit trail: each revoke its own intent and outcome, with the reason.
    let lines = env.audit_lines();
    let revoked = audited(&lines, "DELETE", "/sessions");
    assert_eq!(revoked[&answer_lost], vec![None, Some(404)]);
    assert_eq!(revoked[&never_reached], vec![None, Some(204)]);
    for id in ids.iter().filter(|id| **id != answer_lost && **id != never_reached) {
        assert_eq!(revoked[id], vec![Some(204)], "{id}");
    }
    assert!(
        lines
            .iter()
            .filter(|l| l["event"] == "intent" && l["method"] == "DELETE")
            .all(|l| l["why"] == "SUP-17 accounts taken over"),
        "{lines:#?}"
    );
    let written = audited(&lines, "PUT", "");
    assert!(written.values().all(|w| w.len() == 1), "{written:?}");

    // Again: nothing left, nothing sent.
    let count = env.audit_lines().len();
    let out = env.idcon(&["apply", &plan, "--yes"]).await;
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("nothing left to send"), "{}", stdout(&out));
    assert_eq!(env.audit_lines().len(), count);
}
