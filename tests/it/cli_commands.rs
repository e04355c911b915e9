//! `idcon list`, `idcon get` and `idcon update` as scripts run them: the real
//! binary against the in-process demo server, checking output formats, exit
//! codes and that each update flag changes exactly its member.

use std::path::Path;
use std::process::{Output, Stdio};

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use idcon::api::IdentityQuery;
use idcon::demo::{self, DemoOptions};
use idcon::diff;
use serde_json::{Value, json};

use crate::support::cli_env::CliEnv;
use crate::support::pty;

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
    async fn start() -> Env {
        Env::start_with(DemoOptions::for_tests()).await
    }

    async fn start_with(options: DemoOptions) -> Env {
        Env {
            base: CliEnv::start_with(options).await,
        }
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
        assert!(page.value.next.is_none(), "the curated seed fits one page of 500");
        page.value.items.into_iter().map(|i| i.id).collect()
    }

    async fn find(&self, pick: impl Fn(&Value) -> bool) -> String {
        for id in self.all_ids().await {
            if pick(&self.stored(&id).await) {
                return id;
            }
        }
        panic!("no demo identity fits the test")
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn assert_exit(out: &Output, expected: i32) {
    assert_eq!(
        code(out),
        expected,
        "exit code\nstdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

const MOVING: &[&str] = &[
    "/updated_at",
    "/state_changed_at",
    "/verifiable_addresses",
    "/recovery_addresses",
];

fn assert_only_changed(before: &Value, after: &Value, allowed: &[&str]) {
    let under = |pointer: &str, prefix: &str| pointer == prefix || pointer.starts_with(&format!("{prefix}/"));
    let changes = diff::diff(before, after);
    assert!(!changes.is_empty(), "nothing changed");
    for change in changes {
        assert!(
            allowed
                .iter()
                .chain(MOVING)
                .any(|prefix| under(&change.pointer, prefix)),
            "{} changed although it was not edited: {:?} -> {:?}",
            change.pointer,
            change.old,
            change.new
        );
    }
}

fn is_email_schema(stored: &Value) -> bool {
    stored["schema_id"] == "email-password" && stored["traits"]["name"]["first"].is_string()
}

fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write file");
    path.to_str().expect("utf-8 path").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_follows_every_page_in_every_format() {
    let env = Env::start().await;
    let all = env.all_ids().await;
    assert!(all.len() > 100);

    // Small pages: dozens of requests, each page written as it arrives.
    let out = env.idcon(&["list", "--page-size", "7", "--output", "jsonl"], b"").await;
    assert_exit(&out, 0);
    let ids: Vec<String> = stdout(&out)
        .lines()
        .map(|line| {
            let identity: Value = serde_json::from_str(line).expect("each line is one identity");
            identity["id"].as_str().expect("id").to_owned()
        })
        .collect();
    assert_eq!(ids, all, "every identity once, in server order");

    let out = env.idcon(&["list", "--page-size", "9", "--output", "json"], b"").await;
    assert_exit(&out, 0);
    let array: Vec<Value> = serde_json::from_str(&stdout(&out)).expect("one JSON array");
    assert_eq!(
        array
            .iter()
            .map(|i| i["id"].as_str().unwrap_or_default())
            .collect::<Vec<_>>(),
        all
    );
    let first = env.client().get_identity(&all[0]).await.expect("GET");
    let listed = &array[0];
    assert_eq!(
        listed["traits"], first.value.traits,
        "identities as the server sent them"
    );

    let out = env.idcon(&["list", "--page-size", "11", "--output", "csv"], b"").await;
    assert_exit(&out, 0);
    let text = stdout(&out);
    let rows: Vec<&str> = text.split_terminator("\r\n").collect();
    assert!(rows[0].starts_with("id,schema_id,state,"), "{}", rows[0]);
    assert_eq!(rows.len(), all.len() + 1);
    assert!(rows[1].starts_with(&format!("{},", all[0])));

    let out = env.idcon(&["list", "--page-size", "13"], b"").await;
    assert_exit(&out, 0);
    let table = stdout(&out);
    assert!(table.starts_with("ID"), "{table}");
    assert_eq!(table.lines().count(), all.len() + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_filters_by_state_and_schema_while_paging_and_stops_at_the_limit() {
    let env = Env::start().await;
    let mut inactive = Vec::new();
    let mut phone = Vec::new();
    for id in env.all_ids().await {
        let stored = env.stored(&id).await;
        if stored["state"] == "inactive" {
            inactive.push(id.clone());
        }
        if stored["schema_id"] == "phone-password" {
            phone.push(id);
        }
    }
    assert!(!inactive.is_empty() && !phone.is_empty());

    let ids = |out: &Output| -> Vec<String> {
        stdout(out)
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).expect("json line")["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    };
    let out = env
        .idcon(
            &["list", "--state", "inactive", "--page-size", "20", "--output", "jsonl"],
            b"",
        )
        .await;
    assert_exit(&out, 0);
    assert_eq!(ids(&out), inactive);
    let out = env
        .idcon(
            &[
                "list",
                "--schema",
                "phone-password",
                "--page-size",
                "20",
                "--output",
                "jsonl",
            ],
            b"",
        )
        .await;
    assert_eq!(ids(&out), phone);
    let out = env
        .idcon(&["list", "--limit", "5", "--page-size", "3", "--output", "jsonl"], b"")
        .await;
    assert_eq!(ids(&out).len(), 5);

    // One exact identifier.
    let stored = env.stored(&phone[0]).await;
    let email = stored["traits"]["email"].as_str().expect("email").to_owned();
    let out = env.idcon(&["list", "--search", &email, "--output", "jsonl"], b"").await;
    assert_eq!(ids(&out), [phone[0].clone()]);

    // Filters Kratos cannot combine are refused as usage errors.
    let out = env.idcon(&["list", "--search", "a@b", "--ids", "x"], b"").await;
    assert_exit(&out, 2);
}

/// The ids of a `--output jsonl` listing, in the order printed.
fn listed_ids(out: &Output) -> Vec<String> {
    stdout(out)
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).expect("each line is one identity")["id"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect()
}

/// `--ids` beyond what one request can carry is split: the demo answers 400
/// past Kratos's 500 ids and, like the nginx in front of a real deployment,
/// 414 past an 8 KiB request line (about 190 UUIDs). Every request fits both;
/// each identity comes once, whichever request it falls in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_500_ids_are_asked_for_in_several_requests() {
    let env = Env::start().await;
    let existing = env.all_ids().await;
    // 700 ids nobody has, spread over the whole id range so that the real
    // ones fall into both requests.
    let mut ids: Vec<String> = (0..700u64)
        .map(|n| format!("{:08x}-0000-4000-8000-000000000000", n * 6_000_000))
        .collect();
    ids.extend(existing.iter().cloned());
    ids.push(existing[0].clone());
    let joined = ids.join(",");
    let out = env
        .idcon(
            &["list", "--ids", &joined, "--page-size", "100", "--output", "jsonl"],
            b"",
        )
        .await;
    assert_exit(&out, 0);
    let mut expected = existing.clone();
    expected.sort();
    assert_eq!(listed_ids(&out), expected, "every wanted identity, once");

    // --limit still counts across the requests.
    let out = env
        .idcon(&["list", "--ids", &joined, "--limit", "3", "--output", "jsonl"], b"")
        .await;
    assert_exit(&out, 0);
    assert_eq!(listed_ids(&out), expected[..3]);

    // A server error on such a request stays a short line: the URL with its
    // hundreds of ids is cut.
    ids.push("not-a-uuid".to_owned());
    let joined = ids.join(",");
    let out = env.idcon(&["list", "--ids", &joined, "--output", "jsonl"], b"").await;
    assert_exit(&out, 1);
    let text = stderr(&out);
    assert!(text.contains("not-a-uuid") && text.contains('…'), "{text}");
    for line in text.lines() {
        assert!(
            line.chars().count() < 1000,
            "a {}-character line: {line}",
            line.chars().count()
        );
    }
}

/// A bad value of a global flag is a usage error (exit 2) like any other.
#[test]
fn a_bad_base_url_flag_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in [
        vec!["--base-url", "ftp://kratos.example", "list"],
        vec!["--base-url", "kratos.example", "list", "--output", "json"],
        vec![
            "--base-url",
            "ftp://kratos.example",
            "update",
            "00000000-0000-4000-8000-000000000001",
            "--state",
            "inactive",
            "--yes",
        ],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_idcon"))
            .args(&args)
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env_remove("IDCON_PROFILE")
            .stdin(Stdio::null())
            .output()
            .expect("run idcon");
        assert_exit(&out, 2);
        assert!(stderr(&out).contains("--base-url"), "{args:?}: {}", stderr(&out));
    }
}

/// Parses RFC 4180 CSV (quoted cells may hold commas, quotes and line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

/// CSV of identities holding terminal escapes: exact through a pipe (it is
/// data), and on a terminal every control shown escaped in every column.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_csv_keeps_data_exact_in_a_pipe_and_escapes_controls_on_a_terminal() {
    let env = Env::start_with(DemoOptions {
        hostile: true,
        seed_count: Some(0),
        ..DemoOptions::for_tests()
    })
    .await;
    let ids = env.all_ids().await;
    assert_eq!(ids.len(), 7, "only the hostile identities");

    // Through a pipe: the cells are the server's values, byte for byte.
    let out = env.idcon(&["list", "--output", "csv"], b"").await;
    assert_exit(&out, 0);
    let rows = parse_csv(&stdout(&out));
    assert_eq!(rows.len(), ids.len() + 1, "{rows:?}");
    let header = &rows[0];
    let column = |name: &str| header.iter().position(|h| h == name).expect("column");
    let mut controls_seen = 0;
    for (row, id) in rows[1..].iter().zip(&ids) {
        let stored = env
            .client()
            .get_identity(id)
            .await
            .expect("GET")
            .exchange
            .body_json()
            .expect("a JSON identity");
        assert_eq!(&row[column("id")], id);
        assert_eq!(
            row[column("external_id")],
            stored["external_id"].as_str().expect("external_id")
        );
        assert!(row[column("external_id")].contains('\u{1b}'), "kept raw: {row:?}");
        for member in ["traits", "metadata_public", "metadata_admin"] {
            let cell: Value = serde_json::from_str(&row[column(member)]).expect("a JSON cell");
            assert_eq!(cell, stored[member], "{member} of {id}");
        }
        controls_seen += row.iter().filter(|cell| cell.contains('\u{1b}')).count();
    }
    assert!(controls_seen >= 7);

    // On a terminal: no ESC, BEL, CR of the data or C1 control reaches it.
    let base_url = env.demo.base_url();
    let key = env.key.to_str().expect("utf-8 path").to_owned();
    let home = env.dir.path().to_str().expect("utf-8 path").to_owned();
    let argv = [
        "--base-url",
        &base_url,
        "--key",
        &key,
        "--sdk-id",
        demo::DEMO_SDK_ID,
        "list",
        "--output",
        "csv",
    ];
    let vars = [("HOME", home.as_str())];
    let mut console = pty::Console::spawn(&argv, &vars, 200, 50);
    assert_eq!(console.wait_exit(pty::WAIT), Some(true), "{}", console.screen());
    // Bounded: the reader thread drains what the program wrote.
    let deadline = std::time::Instant::now() + pty::WAIT;
    let raw = loop {
        let raw = console.raw_output();
        let rows = raw.windows(2).filter(|w| w == b"\r\n").count();
        if rows > ids.len() || std::time::Instant::now() >= deadline {
            break raw;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    };
    let text = String::from_utf8(raw.clone()).expect("UTF-8 on the terminal");
    // The pty turns each "\n" into "\r\n": the row ends are "\r\r\n".
    let without_row_ends = text.replace("\r\r\n", "").replace("\r\n", "");
    assert!(!without_row_ends.contains('\r'), "a raw CR: {text:?}");
    assert!(
        !text
            .chars()
            .any(|c| c == '\u{1b}' || c == '\u{7}' || ('\u{80}'..='\u{9f}').contains(&c)),
        "a control reached the terminal: {text:?}"
    );
    for id in &ids {
        assert!(text.contains(id.as_str()), "{id} listed: {text:?}");
    }
    assert!(
        text.contains("hostile-\\u001b[5mosc52"),
        "the escape is shown: {text:?}"
    );
    // In a JSON cell as JSON's own escape, the same value.
    assert!(text.contains("Cee\\u009b31mOne"), "the C1 CSI is shown: {text:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_prints_the_identity_and_not_found_is_exit_4_in_both_error_formats() {
    let env = Env::start().await;
    let id = env.find(is_email_schema).await;
    let out = env.idcon(&["get", &id], b"").await;
    assert_exit(&out, 0);
    let printed: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let served = env.client().get_identity(&id).await.expect("GET").exchange.body_json();
    assert_eq!(Some(printed), served);

    let out = env.idcon(&["get", &id, "--output", "table"], b"").await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains(&id) && stdout(&out).contains("traits:"),
        "{}",
        stdout(&out)
    );

    let missing = "00000000-0000-4000-8000-000000000000";
    let out = env.idcon(&["get", missing, "--output", "table"], b"").await;
    assert_exit(&out, 4);
    let lines: Vec<String> = stderr(&out).lines().map(str::to_owned).collect();
    assert!(lines[0].starts_with("idcon: HTTP 404"), "{lines:?}");
    assert!(lines.len() <= 2, "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("\"code\":404")),
        "the server's envelope: {lines:?}"
    );

    let out = env.idcon(&["get", missing, "--output", "json"], b"").await;
    assert_exit(&out, 4);
    let error: Value = serde_json::from_str(stderr(&out).trim()).expect("the error as JSON");
    assert_eq!(error["error"]["kind"], "not_found");
    assert_eq!(error["error"]["status"], 404);
    assert_eq!(error["error"]["server"]["code"], 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_prints_diff_and_signed_request_and_sends_nothing() {
    let env = Env::start().await;
    let id = env.find(|s| is_email_schema(s) && s["state"] == "active").await;
    let before = env.stored(&id).await;

    let out = env
        .idcon(
            &[
                "update",
                &id,
                "--state",
                "inactive",
                "--set",
                "/traits/name/first=\"Dry\"",
                "--dry-run",
            ],
            b"",
        )
        .await;
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("~ /state: \"active\" → \"inactive\""), "{text}");
    assert!(text.contains("/traits/name/first"), "{text}");
    assert!(text.contains("X-Yoti-Auth-Digest: ") && text.contains("signed message: PUT&/admin/identities/"));
    assert!(!text.contains('\u{1b}'), "no colour when stdout is not a terminal");

    let out = env
        .idcon(
            &["update", &id, "--state", "inactive", "--dry-run", "--format", "curl"],
            b"",
        )
        .await;
    assert_exit(&out, 0);
    // --globoff: curl must not expand [..] or {..} in the signed URL.
    assert!(
        stdout(&out).contains("curl -sS --globoff -X PUT 'http://"),
        "{}",
        stdout(&out)
    );

    let out = env
        .idcon(
            &["update", &id, "--state", "inactive", "--dry-run", "--output", "json"],
            b"",
        )
        .await;
    assert_exit(&out, 0);
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(doc["dry_run"], true);
    assert_eq!(
        doc["changes"],
        json!([{"pointer": "/state", "old": "active", "new": "inactive"}])
    );
    let body: Value = serde_json::from_str(doc["request"]["body"].as_str().expect("body")).expect("body JSON");
    assert_eq!(body["state"], "inactive");
    let validator = crate::support::openapi::update_identity_body_validator();
    assert!(validator.is_valid(&body), "{body}");
    assert_eq!(
        body["metadata_admin"], before["metadata_admin"],
        "every member is sent back"
    );
    assert!(body.get("credentials").is_none());

    assert_eq!(env.stored(&id).await, before, "a dry run sends nothing");
    assert!(env.audit_lines().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_with_yes_changes_the_identity_and_leaves_an_audit_trail() {
    let env = Env::start().await;
    let id = env.find(|s| is_email_schema(s) && s["state"] == "active").await;
    let before = env.stored(&id).await;
    let out = env
        .idcon(
            &[
                "update",
                &id,
                "--state",
                "inactive",
                "--set",
                "/metadata_admin/ticket=\"SUP-42\"",
                "--yes",
            ],
            b"",
        )
        .await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains(&format!("updated {id}: HTTP 200")),
        "{}",
        stdout(&out)
    );
    let after = env.stored(&id).await;
    assert_eq!(after["state"], "inactive");
    assert_eq!(after["metadata_admin"]["ticket"], "SUP-42");
    assert_only_changed(&before, &after, &["/state", "/metadata_admin"]);
    if let Some(members) = before["metadata_admin"].as_object() {
        for (key, value) in members {
            assert_eq!(&after["metadata_admin"][key], value, "metadata_admin/{key} kept");
        }
    }

    let lines = env.audit_lines();
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap_or_default()).collect();
    assert_eq!(events, ["intent", "outcome"]);
    assert_eq!(lines[0]["request_id"], lines[1]["request_id"]);
    assert_eq!(lines[1]["status"], 200);
    assert_eq!(lines[0]["identity_id"], id.as_str());

    // Without --yes and without a terminal there is nobody to ask: refused.
    let again = env.stored(&id).await;
    let out = env.idcon(&["update", &id, "--state", "active"], b"y\n").await;
    assert_exit(&out, 5);
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert_eq!(env.stored(&id).await, again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_for_conflict_not_found_refused_and_usage() {
    let env = Env::start().await;
    let id = env.find(is_email_schema).await;
    let before = env.stored(&id).await;

    // 3: changed since the given updated_at.
    let out = env
        .idcon(
            &[
                "update",
                &id,
                "--set",
                "/traits/name/first=\"X\"",
                "--yes",
                "--expect-updated-at",
                "2001-01-01T00:00:00Z",
            ],
            b"",
        )
        .await;
    assert_exit(&out, 3);
    assert_eq!(env.stored(&id).await, before);
    let refusal = env.audit_lines();
    assert_eq!(refusal.len(), 1);
    assert_eq!(refusal[0]["event"], "refusal");
    // The current updated_at passes.
    let current = before["updated_at"].as_str().expect("updated_at").to_owned();
    let out = env
        .idcon(
            &[
                "update",
                &id,
                "--set",
                "/traits/name/first=\"X\"",
                "--yes",
                "--expect-updated-at",
                &current,
            ],
            b"",
        )
        .await;
    assert_exit(&out, 0);
    let after = env.stored(&id).await;

    // 4: no such identity, also as JSON.
    let missing = "00000000-0000-4000-8000-000000000000";
    let out = env
        .idcon(&["update", missing, "--state", "inactive", "--yes"], b"")
        .await;
    assert_exit(&out, 4);
    let out = env
        .idcon(
            &["update", missing, "--state", "inactive", "--yes", "--output", "json"],
            b"",
        )
        .await;
    assert_exit(&out, 4);
    let error: Value = serde_json::from_str(stderr(&out).trim()).expect("JSON error");
    assert_eq!(error["error"]["exit_code"], 4);

    // 5: read-only, nothing sent, a refusal recorded.
    let lines = env.audit_lines().len();
    let out = env
        .idcon(&["--read-only", "update", &id, "--state", "inactive", "--yes"], b"")
        .await;
    assert_exit(&out, 5);
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    assert_eq!(env.stored(&id).await, after);
    let audit = env.audit_lines();
    assert_eq!(audit.len(), lines + 1);
    assert_eq!(audit[lines]["event"], "refusal");
    assert_eq!(audit[lines]["reason"], "read-only profile");

    // 2: bad flags and values; nothing sent.
    for args in [
        vec!["update", id.as_str(), "--set", "/traits/name/first=Ana", "--yes"],
        vec!["update", id.as_str(), "--yes"],
        vec!["update", id.as_str(), "--set", "/id=\"x\"", "--yes"],
        vec!["update", id.as_str(), "--password-hash", "$2b$10$tooshort", "--yes"],
        vec!["update", id.as_str(), "--state", "deleted", "--yes"],
        vec![
            "update",
            id.as_str(),
            "--state",
            "active",
            "--expect-updated-at",
            "yesterday",
            "--yes",
        ],
    ] {
        let out = env.idcon(&args, b"").await;
        assert_exit(&out, 2);
        assert!(!stderr(&out).trim().is_empty());
    }
    assert_eq!(env.stored(&id).await, after);
}

/// Input that only fails once the identity is read (a hash Kratos would not
/// import, an OIDC link the identity has already) is refused with exit 2,
/// and the refusal is on the audit trail with its reason but not the hash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_after_the_identity_was_read_are_on_the_audit_trail() {
    let env = Env::start().await;
    let id = env.find(is_email_schema).await;
    let before = env.stored(&id).await;
    let bad_hash = "$2a$04$invalid";
    let out = env
        .idcon(&["update", &id, "--password-hash", bad_hash, "--yes"], b"")
        .await;
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("cannot be imported"), "{}", stderr(&out));
    assert_eq!(env.stored(&id).await, before, "nothing sent");
    let audit = env.audit_lines();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["event"], "refusal");
    assert_eq!(audit[0]["identity_id"], id.as_str());
    assert!(
        audit[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("password hash cannot be imported")),
        "{}",
        audit[0]
    );
    let trail = std::fs::read_to_string(env.audit_path()).expect("audit file");
    assert!(!trail.contains(bad_hash) && !trail.contains("$2a$04$"), "{trail}");

    let linked_id = env
        .find(|s| s["credentials"]["oidc"]["identifiers"][0].is_string())
        .await;
    let linked = env.stored(&linked_id).await;
    let link = linked["credentials"]["oidc"]["identifiers"][0]
        .as_str()
        .expect("an OIDC identifier")
        .to_owned();
    let out = env
        .idcon(&["update", &linked_id, "--add-oidc", &link, "--yes"], b"")
        .await;
    assert_exit(&out, 2);
    assert_eq!(env.stored(&linked_id).await, linked, "nothing sent");
    let audit = env.audit_lines();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[1]["event"], "refusal");
    assert_eq!(audit[1]["identity_id"], linked_id.as_str());
    assert!(
        audit[1]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("exists already")),
        "{}",
        audit[1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_update_flag_changes_exactly_its_member() {
    let env = Env::start().await;
    let dir = env.dir.path().to_owned();
    let traits_file = write_file(
        &dir,
        "traits.json",
        r#"{"email": "file.edit@example.com", "name": {"first": "File", "last": "Edit"}}"#,
    );
    let public_file = write_file(&dir, "public.json", r#"{"plan": "enterprise"}"#);
    let null_file = write_file(&dir, "null.json", "null");
    let hash = "$2a$10$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq";

    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        // A new email is a new login identifier: the server derives those.
        (
            vec!["--traits-file", &traits_file],
            &[
                "/traits",
                "/credentials/password/identifiers",
                "/credentials/password/updated_at",
            ],
        ),
        (vec!["--metadata-public-file", &public_file], &["/metadata_public"]),
        (vec!["--metadata-admin-file", &null_file], &["/metadata_admin"]),
        (vec!["--password-hash", hash], &["/credentials/password"]),
        (vec!["--add-oidc", "github:cli-test-77"], &["/credentials/oidc"]),
        (vec!["--set", "/traits/name/last=\"Set\""], &["/traits/name/last"]),
    ];
    let ids = env.all_ids().await;
    let mut candidates = Vec::new();
    for id in ids {
        let stored = env.stored(&id).await;
        if is_email_schema(&stored)
            && stored["metadata_admin"].is_object()
            && stored["credentials"]["oidc"].is_null()
            && stored["credentials"]["password"].is_object()
        {
            candidates.push(id);
        }
    }
    assert!(candidates.len() >= cases.len());
    for ((flags, allowed), id) in cases.iter().zip(&candidates) {
        let before = env.stored(id).await;
        let mut args = vec!["update", id.as_str(), "--yes"];
        args.extend(flags.iter().copied());
        let out = env.idcon(&args, b"").await;
        assert_exit(&out, 0);
        let after = env.stored(id).await;
        assert_only_changed(&before, &after, allowed);
        match flags[0] {
            "--traits-file" => assert_eq!(after["traits"]["email"], "file.edit@example.com"),
            "--metadata-public-file" => assert_eq!(after["metadata_public"], json!({"plan": "enterprise"})),
            "--metadata-admin-file" => assert_eq!(after["metadata_admin"], Value::Null),
            "--password-hash" => assert_eq!(after["credentials"]["password"]["config"]["hashed_password"], hash),
            "--add-oidc" => assert_eq!(
                after["credentials"]["oidc"]["identifiers"],
                json!(["github:cli-test-77"])
            ),
            _ => assert_eq!(after["traits"]["name"]["last"], "Set"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_from_stdin_is_imported_and_printed_nowhere() {
    let env = Env::start().await;
    let id = env.find(|s| s["credentials"]["password"].is_object()).await;
    let before = env.stored(&id).await;
    let password = "Stdin-Secret-5521-Passphrase";
    let out = env
        .idcon(
            &["update", &id, "--password-stdin", "--yes"],
            format!("{password}\n").as_bytes(),
        )
        .await;
    assert_exit(&out, 0);
    let after = env.stored(&id).await;
    let hash = after["credentials"]["password"]["config"]["hashed_password"]
        .as_str()
        .expect("stored hash")
        .to_owned();
    let parsed = PasswordHash::new(&hash).expect("PHC");
    assert!(
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    );
    assert_only_changed(&before, &after, &["/credentials/password"]);
    let audit = std::fs::read_to_string(env.audit_path()).unwrap_or_default();
    for text in [stdout(&out), stderr(&out), audit] {
        assert!(!text.contains(password), "password printed or recorded:\n{text}");
    }

    // Hashed locally: the server receives an argon2id hash, never the plaintext.
    let out = env
        .idcon(
            &[
                "update",
                &id,
                "--password-stdin",
                "--hash-locally",
                "--yes",
                "--dry-run",
                "--output",
                "json",
            ],
            b"local-secret-1\n",
        )
        .await;
    assert_exit(&out, 0);
    assert!(!stdout(&out).contains("local-secret-1"));
    let out = env
        .idcon(
            &["update", &id, "--password-stdin", "--hash-locally", "--yes"],
            b"local-secret-1\n",
        )
        .await;
    assert_exit(&out, 0);
    let stored = env.stored(&id).await;
    let hash = stored["credentials"]["password"]["config"]["hashed_password"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let parsed = PasswordHash::new(&hash).expect("PHC");
    assert!(
        argon2::Argon2::default()
            .verify_password(b"local-secret-1", &parsed)
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_between_read_and_send_is_merged_or_refused_with_exit_3() {
    // The window between the command's GET and its PUT is too short to hit
    // from outside, so the lost-update path is driven through the library in
    // tests/write.rs; here the command's --expect-updated-at guard stands for
    // it, against a change made by someone else.
    let env = Env::start().await;
    let id = env.find(is_email_schema).await;
    let read = env.stored(&id).await;
    let seen = read["updated_at"].as_str().expect("updated_at").to_owned();
    env.demo
        .mutate_identity(&id, |identity| {
            identity["traits"]["name"]["first"] = json!("Someone else")
        })
        .await
        .expect("mutate");
    let out = env
        .idcon(
            &[
                "update",
                &id,
                "--set",
                "/traits/name/first=\"Me\"",
                "--yes",
                "--expect-updated-at",
                &seen,
            ],
            b"",
        )
        .await;
    assert_exit(&out, 3);
    assert!(stderr(&out).contains("changed since"), "{}", stderr(&out));
    assert_eq!(env.stored(&id).await["traits"]["name"]["first"], "Someone else");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_the_diff_is_coloured_the_question_asked_and_the_password_not_echoed() {
    let env = Env::start().await;
    let id = env.find(|s| is_email_schema(s) && s["state"] == "active").await;
    let before = env.stored(&id).await;
    let base_url = env.demo.base_url();
    let key = env.key.to_str().expect("utf-8 path").to_owned();
    let home = env.dir.path().to_str().expect("utf-8 path").to_owned();
    let state = env.dir.path().join("state");
    let state = state.to_str().expect("utf-8 path").to_owned();
    let vars = [("HOME", home.as_str()), ("XDG_STATE_HOME", state.as_str())];
    let args = |extra: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = [
            "--base-url",
            &base_url,
            "--key",
            &key,
            "--sdk-id",
            demo::DEMO_SDK_ID,
            "update",
            &id,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        all.extend(extra.iter().map(|s| (*s).to_owned()));
        all
    };

    // "n": refused, nothing sent.
    let argv = args(&["--state", "inactive"]);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let mut console = pty::Console::spawn(&argv, &vars, 120, 30);
    console.wait_for("Send this change");
    let raw = String::from_utf8_lossy(&console.raw_output()).into_owned();
    assert!(
        raw.contains("\u{1b}[31m\"active\"") && raw.contains("\u{1b}[32m\"inactive\""),
        "{raw:?}"
    );
    console.keys("n");
    console.enter();
    assert_eq!(console.wait_exit(pty::WAIT), Some(false));
    assert_eq!(env.stored(&id).await, before);

    // "y": sent.
    let mut console = pty::Console::spawn(&argv, &vars, 120, 30);
    console.wait_for("Send this change");
    console.keys("y");
    console.enter();
    assert_eq!(console.wait_exit(pty::WAIT), Some(true), "{}", console.screen());
    assert_eq!(env.stored(&id).await["state"], "inactive");

    // A password typed at the terminal is not echoed.
    let argv = args(&["--password-stdin"]);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let mut console = pty::Console::spawn(&argv, &vars, 120, 30);
    console.wait_for("New password:");
    console.type_text("Typed-Secret-8812");
    console.enter();
    console.wait_for("Send this change");
    assert!(!console.screen().contains("Typed-Secret"), "{}", console.screen());
    console.keys("y");
    console.enter();
    assert_eq!(console.wait_exit(pty::WAIT), Some(true), "{}", console.screen());
    let raw = String::from_utf8_lossy(&console.raw_output()).into_owned();
    assert!(!raw.contains("Typed-Secret"), "echoed: {raw:?}");
    let stored = env.stored(&id).await;
    let hash = stored["credentials"]["password"]["config"]["hashed_password"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let parsed = PasswordHash::new(&hash).expect("PHC");
    assert!(
        argon2::Argon2::default()
            .verify_password(b"Typed-Secret-8812", &parsed)
            .is_ok()
    );
}

/// Two `idcon update`s of one identity in a row both go out: the second read
/// sees Kratos's database spelling (microseconds) where the first PUT answered
/// with nanoseconds, and that is not a change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_updates_in_a_row_both_go_out() {
    let env = Env::start().await;
    let id = env.all_ids().await[0].clone();
    for (value, expected) in [("\"SUP-1\"", "SUP-1"), ("\"SUP-2\"", "SUP-2")] {
        let set = format!("/metadata_admin/ticket={value}");
        let out = env.idcon(&["update", &id, "--set", &set, "--yes"], b"").await;
        assert_exit(&out, 0);
        assert_eq!(env.stored(&id).await["metadata_admin"]["ticket"], expected);
    }
    let outcomes = env
        .audit_lines()
        .into_iter()
        .filter(|line| line["event"] == "outcome" && line["status"] == 200)
        .count();
    assert_eq!(outcomes, 2);
}

/// Against Kratos v1.3, which silently drops `external_id`, `idcon update`
/// says what the server did not keep, exits 6, and the audit outcome names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_says_when_the_server_did_not_keep_a_member() {
    let env = Env::start_with(DemoOptions {
        kratos_version: demo::KratosVersion::V1_3,
        ..DemoOptions::for_tests()
    })
    .await;
    let id = env.all_ids().await[0].clone();
    let out = env
        .idcon(&["update", &id, "--set", "/external_id=\"x\"", "--yes"], b"")
        .await;
    assert_exit(&out, 6);
    let text = stderr(&out);
    assert!(
        text.contains("sent, but the server did not keep /external_id"),
        "{text}"
    );
    let outcome = env
        .audit_lines()
        .into_iter()
        .find(|line| line["event"] == "outcome")
        .expect("an outcome line");
    assert_eq!(outcome["status"], 200);
    assert_eq!(outcome["not_kept"], json!(["/external_id"]));

    // JSON output carries it too.
    let out = env
        .idcon(
            &[
                "update",
                &id,
                "--set",
                "/external_id=\"y\"",
                "--yes",
                "--output",
                "json",
            ],
            b"",
        )
        .await;
    assert_exit(&out, 6);
}

/// A hash on the command line is readable by every user of the host: idcon
/// warns each time, and `--password-hash-stdin` keeps it out of argv.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_in_argv_is_warned_about_and_stdin_keeps_it_out() {
    let env = Env::start().await;
    let id = env.all_ids().await[0].clone();
    let hash = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
    let out = env.idcon(&["update", &id, "--password-hash", hash, "--yes"], b"").await;
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("visible to every user of this host"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(hash) && !stdout(&out).contains(hash));

    let out = env
        .idcon(
            &["update", &id, "--password-hash-stdin", "--yes"],
            format!("{hash}\n").as_bytes(),
        )
        .await;
    assert_exit(&out, 0);
    assert!(!stderr(&out).contains("visible to every user"), "{}", stderr(&out));
    assert_eq!(
        env.stored(&id).await["credentials"]["password"]["config"]["hashed_password"],
        hash
    );
}

impl Env {
    /// Starts `idcon --base-url ... ARGS` without waiting (stdin closed).
    fn spawn_idcon(&self, args: &[&str]) -> tokio::process::Child {
        let mut command = self.command(args);
        command.stdin(Stdio::null());
        command.spawn().expect("run idcon")
    }
}

/// Ctrl-C while `idcon update`'s PUT is in flight does not kill it mid-write:
/// the write finishes, the audit trail holds its intent and its outcome, and
/// the change is on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_slow_put_lets_the_write_finish_and_be_recorded() {
    let env = Env::start_with(DemoOptions {
        latency: std::time::Duration::from_millis(1500),
        ..DemoOptions::for_tests()
    })
    .await;
    let id = env
        .client()
        .list_identities(&IdentityQuery::default())
        .await
        .expect("list")
        .value
        .items[0]
        .id
        .clone();
    let child = env.spawn_idcon(&["update", &id, "--set", "/metadata_admin/ticket=\"SUP-77\"", "--yes"]);
    let pid = child.id().expect("pid").to_string();
    // The intent is on disk right before the PUT goes out.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !env.audit_lines().iter().any(|line| line["event"] == "intent") {
        assert!(std::time::Instant::now() < deadline, "no intent line appeared");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let sent = std::process::Command::new("kill").args(["-INT", &pid]).status();
    assert!(sent.is_ok_and(|s| s.success()), "kill -INT {pid}");
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("idcon finished")
        .expect("output");
    assert_exit(&out, 0);
    assert!(stderr(&out).contains("finished first"), "{}", stderr(&out));
    let events: Vec<Value> = env
        .audit_lines()
        .into_iter()
        .map(|line| line["event"].clone())
        .collect();
    assert_eq!(events, [json!("intent"), json!("outcome")]);
    assert_eq!(env.stored(&id).await["metadata_admin"]["ticket"], "SUP-77");
}
