//! Bulk changes read in batches, and nothing given up for it: `plan` and
//! `apply` read identities with the list `ids` filter (counted in the demo's
//! request log); a plan made from list answers and a fresh GET of the same
//! identity compare equal (no change seen where there is none); a read that
//! got older than a second is read again before its PUT; a plan of format 1
//! (whole GET answers, credentials included) is still read one GET each; a
//! gateway that refuses long lists makes both read one by one; every audit
//! intent is on disk when its PUT reaches the server (a proxy reads the
//! trail at that moment); faults never make a write go out twice; `plan`
//! and `update` name each identity by its schema's identifier.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::cli_env::CliEnv;
use idcon::api::{IdentityQuery, batches};
use idcon::app::rows::IdentityRow;
use idcon::demo::{DemoOptions, KratosVersion, LoggedRequest};
use idcon::who::IdentifierHints;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

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

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write file");
        path.to_str().expect("utf-8 path").to_owned()
    }

    /// Runs `idcon --base-url ... ARGS` (plus `extra` global flags first);
    /// stdin is not a terminal.
    async fn idcon_with(&self, extra: &[&str], args: &[&str]) -> Output {
        let all: Vec<&str> = extra.iter().chain(args).copied().collect();
        let mut command = self.command(&all);
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

    async fn idcon(&self, args: &[&str]) -> Output {
        self.idcon_with(&[], args).await
    }

    /// Every identity the server lists, as it sends them.
    async fn listed(&self) -> Vec<Value> {
        let client = self.client();
        let mut pager = client.pager(IdentityQuery {
            page_size: Some(500),
            ..IdentityQuery::default()
        });
        let mut all = Vec::new();
        while let Some(page) = pager.next_page().await.expect("list") {
            if let Some(Value::Array(items)) = page.exchange.body_json() {
                all.extend(items);
            }
        }
        all
    }

    /// `count` active identities that hold credentials (their GET answers
    /// carry `credentials`, their list answers do not).
    async fn active(&self, count: usize) -> Vec<String> {
        let mut found = Vec::new();
        for identity in self.listed().await {
            let id = identity["id"].as_str().unwrap_or_default().to_owned();
            let stored = self.stored(&id).await;
            if stored["state"] == "active" && stored["credentials"].as_object().is_some_and(|c| !c.is_empty()) {
                found.push(id);
                if found.len() == count {
                    return found;
                }
            }
        }
        panic!(
            "only {} active identities with credentials, {count} wanted",
            found.len()
        )
    }

    /// Plans `--state inactive` for `ids` into `name`; the plan's path.
    async fn plan_deactivation(&self, name: &str, ids: &[String]) -> String {
        let input = self.write(&format!("{name}.txt"), &format!("{}\n", ids.join("\n")));
        let plan = self
            .path(&format!("{name}.plan.json"))
            .to_str()
            .expect("utf-8")
            .to_owned();
        let out = self
            .idcon(&["plan", "--input", &input, "--state", "inactive", "--output", &plan])
            .await;
        assert_exit(&out, 0);
        plan
    }

    /// The requests the demo logged since `from` (an earlier log length).
    fn log_since(&self, from: usize) -> Vec<LoggedRequest> {
        self.demo.request_log().into_iter().skip(from).collect()
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

fn read_json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON")
}

/// The last recorded result of each identity.
fn last_results(plan: &str) -> BTreeMap<String, String> {
    std::fs::read_to_string(format!("{plan}.results.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("result line is JSON"))
        .map(|line| {
            (
                line["id"].as_str().unwrap_or_default().to_owned(),
                line["result"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// `GET {identities}`: a list (batched) read.
fn is_list_read(request: &LoggedRequest) -> bool {
    request.method == "GET" && request.path == "/admin/identities"
}

/// `GET {identities}/{id}`: a read of one identity.
fn is_single_read(request: &LoggedRequest, id: &str) -> bool {
    request.method == "GET" && request.path == format!("/admin/identities/{id}")
}

fn is_put(request: &LoggedRequest, id: &str) -> bool {
    request.method == "PUT" && request.path == format!("/admin/identities/{id}")
}

/// The intents and outcomes of the audit trail, paired by request id:
/// identity id → the status of each of its writes (`None`: no answer).
fn writes_by_identity(lines: &[Value]) -> BTreeMap<String, Vec<Option<u64>>> {
    let mut outcomes: HashMap<String, Option<u64>> = HashMap::new();
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

/// 450 identities: `plan` reads them in as many list requests as the ids
/// filter needs (none alone), `apply` in batches too, and each gets exactly
/// one PUT and one audit intent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_and_apply_read_identities_in_batches_and_write_each_once() {
    let env = Env::seeded(800).await;
    let ids = env.active(450).await;

    let from = env.demo.request_log().len();
    let plan = env.plan_deactivation("many", &ids).await;
    let log = env.log_since(from);
    let url_len = env.client().identity_url("").len();
    let expected_batches = batches::ids_batches(&ids, url_len).len();
    assert!(expected_batches >= 3, "450 UUIDs take more than two requests");
    assert_eq!(
        log.iter().filter(|r| is_list_read(r)).count(),
        expected_batches,
        "plan reads in batches of the ids filter"
    );
    for id in &ids {
        assert!(
            !log.iter().any(|r| is_single_read(r, id)),
            "{id} was read alone by plan"
        );
    }

    let doc = read_json(&plan);
    assert_eq!(doc["idcon_plan"], 2, "a plan of the list shape");
    for entry in doc["entries"].as_array().expect("entries") {
        assert!(
            entry["snapshot"].get("credentials").is_none(),
            "a plan holds no credentials: {}",
            entry["snapshot"]
        );
    }

    let from = env.demo.request_log().len();
    let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "4"]).await;
    assert_exit(&out, 0);
    let log = env.log_since(from);
    let list_reads = log.iter().filter(|r| is_list_read(r)).count();
    let single_reads = ids
        .iter()
        .map(|id| log.iter().filter(|r| is_single_read(r, id)).count())
        .sum::<usize>();
    assert!(list_reads >= 1, "apply reads in batches: {list_reads}");
    // A batch holds at least --jobs identities; a read too old by its PUT
    // (a very busy host) is read again alone, which stays rare.
    assert!(
        list_reads + single_reads <= ids.len() / 4,
        "{list_reads} list reads and {single_reads} single reads for {} identities",
        ids.len()
    );
    for id in &ids {
        assert_eq!(log.iter().filter(|r| is_put(r, id)).count(), 1, "{id}: one PUT");
    }
    let writes = writes_by_identity(&env.audit_lines());
    assert_eq!(writes.len(), ids.len());
    assert!(writes.values().all(|w| w.len() == 1 && is_success(&w[0])));
    assert!(last_results(&plan).values().all(|r| r == "sent"));
    for id in ids.iter().step_by(37) {
        assert_eq!(env.stored(id).await["state"], "inactive");
    }
}

/// With 400 ms per answer and one job, the batch's read is over a second
/// old by the third identity's turn: that identity is read again (a GET,
/// whose answer holds credentials the plan's list answer did not) right
/// before its PUT. The GET compares equal to the plan (no change seen where
/// there is none), and no PUT goes out on a read older than the rule allows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_too_old_is_read_again_and_a_get_compares_equal_to_a_listed_plan() {
    let env = Env::start(DemoOptions {
        latency: Duration::from_millis(400),
        ..DemoOptions::for_tests()
    })
    .await;
    let ids = env.active(4).await;
    let plan = env.plan_deactivation("slow", &ids).await;

    let from = env.demo.request_log().len();
    let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "1"]).await;
    assert_exit(&out, 0);
    assert_eq!(
        last_results(&plan).values().collect::<Vec<_>>(),
        ["sent"; 4],
        "nothing seen as changed: {}",
        stdout(&out)
    );
    let log = env.log_since(from);
    assert!(is_list_read(&log[0]), "one batched read first: {log:?}");
    let reread: Vec<&String> = ids
        .iter()
        .filter(|id| log.iter().any(|r| is_single_read(r, id)))
        .collect();
    assert!(
        !reread.is_empty() && reread.len() < ids.len(),
        "the later identities are read again, the first is not: {log:?}"
    );
    assert!(!reread.contains(&&ids[0]));
    for id in &ids {
        let put = log
            .iter()
            .position(|r| is_put(r, id))
            .unwrap_or_else(|| panic!("no PUT of {id}: {log:?}"));
        // The last read of this identity before its PUT: its own GET, or
        // the batch.
        let read = log[..put].iter().rposition(|r| is_single_read(r, id)).unwrap_or(0);
        let age = log[put].at.duration_since(log[read].at);
        // The rule is checked before the write is signed and its intent
        // synced; those take milliseconds.
        assert!(
            age < Duration::from_millis(1300),
            "{id}: its PUT went out {age:?} after its read"
        );
    }
}

/// The `ids` filter is in every Kratos release the demo imitates (v1.3.1's
/// `list` reads it without a limit, v25 and v26 take at most 500), and each
/// answers it in the list shape: plan and apply read in batches against
/// all three and change every identity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_imitated_kratos_release_serves_the_batched_reads() {
    for version in [KratosVersion::V1_3, KratosVersion::V25, KratosVersion::V26] {
        let env = Env::start(DemoOptions {
            kratos_version: version,
            seed_count: Some(120),
            ..DemoOptions::for_tests()
        })
        .await;
        let ids = env.active(40).await;
        let from = env.demo.request_log().len();
        let plan = env.plan_deactivation("versions", &ids).await;
        let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "4"]).await;
        assert_exit(&out, 0);
        let log = env.log_since(from);
        assert!(log.iter().any(is_list_read), "{version:?}: {log:?}");
        let single_reads = ids
            .iter()
            .filter(|id| log.iter().any(|r| is_single_read(r, id)))
            .count();
        assert!(single_reads < ids.len() / 4, "{version:?}: {single_reads} read alone");
        assert!(
            last_results(&plan).values().all(|r| r == "sent"),
            "{version:?}: {}",
            stdout(&out)
        );
        assert!(!stderr(&out).contains("one by one"), "{version:?}: {}", stderr(&out));
    }
}

/// A plan written by an idcon before batched reads (format 1: whole GET
/// answers, credentials included) is read one GET per identity, as it was
/// planned, and compared whole: the unchanged ones are sent, the changed
/// one skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_plan_with_credentials_in_its_snapshots_is_read_one_get_each() {
    let env = Env::seeded(60).await;
    let ids = env.active(3).await;
    let plan = env.plan_deactivation("old", &ids).await;
    // Made into the old format: each snapshot with the credentials a GET
    // answers with.
    let client = env.client();
    let mut doc = read_json(&plan);
    doc["idcon_plan"] = json!(1);
    for entry in doc["entries"].as_array_mut().expect("entries") {
        let id = entry["id"].as_str().expect("id").to_owned();
        let got = client.get_identity(&id).await.expect("get");
        let raw = got.exchange.body_json().expect("JSON");
        assert!(raw.get("credentials").is_some());
        entry["snapshot"]["credentials"] = raw["credentials"].clone();
    }
    std::fs::write(&plan, serde_json::to_string_pretty(&doc).expect("JSON")).expect("write plan");
    env.demo
        .mutate_identity(&ids[1], |identity| {
            identity["metadata_public"] = json!({"note": "meanwhile"})
        })
        .await
        .expect("mutate");

    let from = env.demo.request_log().len();
    let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "2"]).await;
    assert_exit(&out, 3);
    let log = env.log_since(from);
    assert!(
        !log.iter().any(is_list_read),
        "no batched read for an old plan: {log:?}"
    );
    for id in &ids {
        assert_eq!(log.iter().filter(|r| is_single_read(r, id)).count(), 1, "{id}: one GET");
    }
    let results = last_results(&plan);
    assert_eq!(results[&ids[0]], "sent");
    assert_eq!(results[&ids[1]], "skipped_changed");
    assert_eq!(results[&ids[2]], "sent");
    assert_eq!(env.stored(&ids[1]).await["state"], "active");
}

/// A gateway in front that refuses long request lines (here 600 bytes, so
/// a list of a dozen ids): `plan` and `apply` say so once each and read
/// every identity alone; the change is made all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_refusing_long_lists_makes_plan_and_apply_read_one_by_one() {
    let env = Env::start(DemoOptions {
        max_request_line: Some(600),
        ..DemoOptions::for_tests()
    })
    .await;
    let ids = env.active(30).await;
    let input = env.write("gw.txt", &format!("{}\n", ids.join("\n")));
    let plan = env.path("gw.plan.json").to_str().expect("utf-8").to_owned();
    let from = env.demo.request_log().len();
    let out = env
        .idcon(&["plan", "--input", &input, "--state", "inactive", "--output", &plan])
        .await;
    assert_exit(&out, 0);
    let err = stderr(&out);
    let notes: Vec<&str> = err.lines().filter(|l| l.contains("one by one")).collect();
    assert_eq!(notes.len(), 1, "{}", stderr(&out));
    assert!(notes[0].contains("414"), "{}", notes[0]);
    let log = env.log_since(from);
    for id in &ids {
        assert_eq!(log.iter().filter(|r| is_single_read(r, id)).count(), 1, "{id}");
    }

    let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "4"]).await;
    assert_exit(&out, 0);
    assert_eq!(
        stderr(&out).lines().filter(|l| l.contains("one by one")).count(),
        1,
        "{}",
        stderr(&out)
    );
    assert!(last_results(&plan).values().all(|r| r == "sent"));
    for id in &ids {
        assert_eq!(env.stored(id).await["state"], "inactive");
    }
}

/// What the proxy saw of the PUTs that went through it.
#[derive(Default)]
struct Seen {
    puts: AtomicUsize,
    /// PUTs whose intent was not (whole) in the audit file when they
    /// arrived, with why.
    early: std::sync::Mutex<Vec<String>>,
}

/// A loopback proxy in front of the demo that, at the moment a PUT's
/// headers arrive and before it forwards them, reads the audit trail and
/// checks that an intent with the PUT's `X-Request-ID` is in it, whole.
async fn audit_checking_proxy(upstream: std::net::SocketAddr, audit: PathBuf, seen: Arc<Seen>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let audit = audit.clone();
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut from_client, mut to_client) = client.into_split();
                let (mut from_server, mut to_server) = server.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
                });
                let mut buffer: Vec<u8> = Vec::new();
                let mut chunk = [0u8; 16 * 1024];
                loop {
                    // One request's head, then its body (Content-Length).
                    let head_end = loop {
                        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                            break at + 4;
                        }
                        match from_client.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
                    let header = |name: &str| {
                        head.lines().find_map(|line| {
                            let (key, value) = line.split_once(':')?;
                            key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
                        })
                    };
                    if head.starts_with("PUT ") {
                        seen.puts.fetch_add(1, Ordering::SeqCst);
                        let request_id = header("x-request-id").unwrap_or_default();
                        let trail = std::fs::read_to_string(&audit).unwrap_or_default();
                        let whole = trail.lines().any(|line| {
                            serde_json::from_str::<Value>(line).is_ok_and(|entry| {
                                entry["event"] == "intent" && entry["request_id"] == request_id.as_str()
                            })
                        });
                        if !whole {
                            seen.early
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .push(format!("PUT {request_id:?} arrived before its intent was on disk"));
                        }
                    }
                    let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                    while buffer.len() < head_end + length {
                        match from_client.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let rest = buffer.split_off(head_end + length);
                    if to_server.write_all(&buffer).await.is_err() {
                        return;
                    }
                    buffer = rest;
                }
            });
        }
    });
    format!("http://{address}")
}

/// Group commit shares fsyncs between concurrent writes, never the promise:
/// each PUT reaches the server only after its intent is in the trail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_intent_is_in_the_audit_trail_when_its_put_reaches_the_server() {
    let env = Env::seeded(200).await;
    let ids = env.active(60).await;
    let plan = env.plan_deactivation("durable", &ids).await;
    let upstream: std::net::SocketAddr = env
        .demo
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("the demo's address");
    let seen = Arc::new(Seen::default());
    let proxy = audit_checking_proxy(upstream, env.audit_path(), Arc::clone(&seen)).await;

    // The proxy's address for the identities URL the plan was made for:
    // the plan names the demo's, so point the plan at the proxy.
    let mut doc = read_json(&plan);
    let demo_url = doc["identities_url"].as_str().expect("url").to_owned();
    doc["identities_url"] = json!(demo_url.replace(&env.demo.base_url(), &proxy));
    std::fs::write(&plan, serde_json::to_string(&doc).expect("JSON")).expect("write plan");

    let key = env.key.to_str().expect("utf-8 path");
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_idcon"))
        .args(["--base-url", &proxy, "--key", key, "--sdk-id", idcon::demo::DEMO_SDK_ID])
        .args(["apply", &plan, "--yes", "--jobs", "8"])
        .env("XDG_CONFIG_HOME", env.dir.path().join("config"))
        .env("XDG_STATE_HOME", env.dir.path().join("state"))
        .env("NO_COLOR", "1")
        .env_remove("IDCON_PROFILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run idcon");
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("idcon finished in time")
        .expect("idcon output");
    assert_exit(&out, 0);
    assert_eq!(
        seen.puts.load(Ordering::SeqCst),
        ids.len(),
        "every PUT went through the proxy"
    );
    let early = seen
        .early
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert!(early.is_empty(), "{early:#?}");
    assert!(last_results(&plan).values().all(|r| r == "sent"));
}

/// Injected 500s with --keep-going (batched reads fail too, and are read
/// alone instead), then dropped connections, then a clean run: every
/// identity ends written exactly once, and nothing written in an earlier
/// run is written again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_keep_going_never_make_a_write_go_out_twice() {
    let env = Env::seeded(300).await;
    let ids = env.active(80).await;
    let lines: Vec<String> = ids
        .iter()
        .map(|id| json!({"id": id, "state": "inactive", "set": {"/metadata_public/closed": "SUP-80"}}).to_string())
        .collect();
    let input = env.write("faults.jsonl", &format!("{}\n", lines.join("\n")));
    let plan = env.path("faults.plan.json").to_str().expect("utf-8").to_owned();
    let out = env.idcon(&["plan", "--input", &input, "--output", &plan]).await;
    assert_exit(&out, 0);

    env.demo.set_fail_every(Some(5));
    let out = env
        .idcon(&["apply", &plan, "--yes", "--jobs", "4", "--keep-going"])
        .await;
    assert_exit(&out, 1);
    let after_1 = writes_by_identity(&env.audit_lines());
    let done_1: Vec<&String> = after_1
        .iter()
        .filter(|(_, w)| w.iter().any(is_success))
        .map(|(id, _)| id)
        .collect();
    assert!(!done_1.is_empty() && done_1.len() < ids.len(), "{}", stdout(&out));

    env.demo.set_fail_every(None);
    env.demo.drop_next_connections(3);
    let _ = env
        .idcon(&["apply", &plan, "--yes", "--jobs", "4", "--keep-going"])
        .await;
    let out = env.idcon(&["apply", &plan, "--yes", "--jobs", "4"]).await;
    assert_exit(&out, 0);

    let writes = writes_by_identity(&env.audit_lines());
    for id in &ids {
        let statuses = writes.get(id).cloned().unwrap_or_default();
        assert_eq!(
            statuses.iter().filter(|s| is_success(s)).count(),
            1,
            "{id}: {statuses:?}"
        );
        if done_1.contains(&id) {
            assert_eq!(statuses.len(), after_1[id].len(), "{id} was written again");
        }
        let stored = env.stored(id).await;
        assert_eq!(stored["state"], "inactive");
        assert_eq!(stored["metadata_public"]["closed"], "SUP-80");
    }
    assert!(
        last_results(&plan)
            .values()
            .all(|r| r == "sent" || r == "already_applied")
    );
}

/// The console's name for each identity the server lists.
async fn console_identifiers(env: &Env) -> HashMap<String, String> {
    let client = env.client();
    let hints: HashMap<String, IdentifierHints> = client
        .list_schemas()
        .await
        .expect("schemas")
        .value
        .iter()
        .map(|s| (s.id.clone(), IdentifierHints::from_schema(&s.schema)))
        .collect();
    env.listed()
        .await
        .iter()
        .map(|identity| {
            let schema = identity["schema_id"].as_str().unwrap_or_default();
            let row = IdentityRow::from_identity(identity, hints.get(schema));
            (row.id.clone(), row.identifier)
        })
        .collect()
}

/// `plan` names each identity as the console does (its schema's
/// identifier), loading each schema once per run: the list, or, when the
/// public URL does not answer, each schema in use from an identity's
/// `schema_url`, once. `update` records the same name in its intent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_and_update_name_each_identity_by_its_schemas_identifier() {
    let env = Env::start(DemoOptions::for_tests()).await;
    let names = console_identifiers(&env).await;
    let mut ids = env.active(6).await;
    // People of both demo schemas.
    for identity in env.listed().await {
        if identity["schema_id"] == "phone-password" && identity["state"] == "active" {
            let id = identity["id"].as_str().unwrap_or_default().to_owned();
            if !ids.contains(&id) {
                ids.push(id);
                break;
            }
        }
    }

    let public_before = env.demo.public_request_count();
    let plan = env.plan_deactivation("named", &ids).await;
    assert_eq!(
        env.demo.public_request_count() - public_before,
        1,
        "one read of the schema list"
    );
    let doc = read_json(&plan);
    for entry in doc["entries"].as_array().expect("entries") {
        let id = entry["id"].as_str().expect("id");
        assert_eq!(entry["identifier"].as_str(), Some(names[id].as_str()), "{id}");
    }

    // The public URL down: each schema in use is read from a schema_url, once.
    let dead = "http://127.0.0.1:9";
    let input = env.write("named2.txt", &format!("{}\n", ids.join("\n")));
    let second = env.path("named2.plan.json").to_str().expect("utf-8").to_owned();
    let public_before = env.demo.public_request_count();
    let out = env
        .idcon_with(
            &["--public-url", dead],
            &["plan", "--input", &input, "--state", "inactive", "--output", &second],
        )
        .await;
    assert_exit(&out, 0);
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    assert_eq!(
        env.demo.public_request_count() - public_before,
        2,
        "the two schemas in use, once each"
    );
    let doc = read_json(&second);
    for entry in doc["entries"].as_array().expect("entries") {
        let id = entry["id"].as_str().expect("id");
        assert_eq!(entry["identifier"].as_str(), Some(names[id].as_str()), "{id}");
    }

    // update: the intent names the person the same way.
    let phone_person = ids.last().expect("an id").clone();
    let out = env
        .idcon(&[
            "update",
            &phone_person,
            "--state",
            "inactive",
            "--yes",
            "--reason",
            "SUP-7",
        ])
        .await;
    assert_exit(&out, 0);
    let intent = env
        .audit_lines()
        .into_iter()
        .rfind(|l| l["event"] == "intent")
        .expect("an intent");
    assert_eq!(intent["identity_id"], phone_person.as_str());
    assert_eq!(intent["identifier"].as_str(), Some(names[&phone_person].as_str()));
}
