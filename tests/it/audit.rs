//! The audit trail as a support lead reads it afterwards: two lines per
//! request, refusals, private files, no secrets, damaged lines skipped, and
//! `idcon audit` reading it back through the real binary.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use idcon::audit::{self, AuditLog, Filter, Intent, Outcome, Refusal, Target, Who};
use idcon::diff;
use serde_json::{Value, json};

fn who(user: &str) -> Who {
    Who {
        user: user.to_owned(),
        uid: Some(1000),
        ssh_client: Some("203.0.113.7:52144".to_owned()),
        tty: Some("/dev/pts/3".to_owned()),
        host: "bastion-1".to_owned(),
    }
}

fn target(request_id: &str, identity: &str) -> Target {
    Target {
        request_id: request_id.to_owned(),
        profile: "prod".to_owned(),
        base_url: "https://kratos.example".to_owned(),
        method: "PUT".to_owned(),
        url: format!("https://kratos.example/admin/identities/{identity}?nonce=n&timestamp=1"),
        identity_id: Some(identity.to_owned()),
        ..Target::default()
    }
}

fn state_change() -> Vec<diff::Change> {
    diff::diff(&json!({"state": "active"}), &json!({"state": "inactive"}))
}

fn lines(path: &Path) -> Vec<Value> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0)
}

fn open(path: &Path, user: &str) -> AuditLog {
    AuditLog::open(path, false)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
        .with_who(who(user))
}

#[test]
fn a_request_leaves_intent_then_outcome_with_one_request_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state/idcon/audit.jsonl");
    let log = open(&path, "ana");
    log.intent(&Intent {
        target: target("req-1", "id-1"),
        changes: state_change(),
    })
    .expect("intent");

    // The intent is on disk before the request goes out: another reader sees it now.
    let after_intent = lines(&path);
    assert_eq!(after_intent.len(), 1);
    assert_eq!(after_intent[0]["event"], "intent");

    log.outcome(&Outcome {
        target: target("req-1", "id-1"),
        status: Some(200),
        elapsed_ms: 37,
        server_request_id: Some("srv-9".to_owned()),
        error: None,
        ..Default::default()
    })
    .expect("outcome");

    let written = lines(&path);
    assert_eq!(written.len(), 2);
    let (intent, outcome) = (&written[0], &written[1]);
    assert_eq!(intent["event"], "intent");
    assert_eq!(outcome["event"], "outcome");
    assert_eq!(intent["request_id"], "req-1");
    assert_eq!(outcome["request_id"], "req-1");
    for line in &written {
        let time = line["time"].as_str().unwrap_or_default();
        assert!(time.ends_with('Z'), "UTC time: {time}");
        assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "RFC 3339: {time}");
        assert_eq!(line["user"], "ana");
        assert_eq!(line["ssh_client"], "203.0.113.7:52144");
        assert_eq!(line["tty"], "/dev/pts/3");
        assert_eq!(line["host"], "bastion-1");
        assert_eq!(line["profile"], "prod");
        assert_eq!(line["base_url"], "https://kratos.example");
        assert_eq!(line["method"], "PUT");
        assert_eq!(line["identity_id"], "id-1");
        assert!(
            line["url"]
                .as_str()
                .unwrap_or_default()
                .contains("/admin/identities/id-1")
        );
    }
    assert_eq!(
        intent["changes"],
        json!([{"pointer": "/state", "old": "active", "new": "inactive"}])
    );
    assert_eq!(outcome["status"], 200);
    assert_eq!(outcome["elapsed_ms"], 37);
    assert_eq!(outcome["server_request_id"], "srv-9");
    assert!(intent.get("status").is_none());
}

#[test]
fn a_failed_request_records_the_error_and_a_refusal_its_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    let log = open(&path, "ana");
    log.outcome(&Outcome {
        target: target("req-2", "id-2"),
        status: None,
        elapsed_ms: 30_000,
        server_request_id: None,
        error: Some("timed out after 30s".to_owned()),
        ..Default::default()
    })
    .expect("outcome");
    log.refusal(&Refusal {
        target: target("req-3", "id-2"),
        changes: state_change(),
        reason: "profile prod is read-only".to_owned(),
    })
    .expect("refusal");
    let written = lines(&path);
    assert_eq!(written[0]["error"], "timed out after 30s");
    assert!(written[0].get("status").is_none());
    assert_eq!(written[1]["event"], "refusal");
    assert_eq!(written[1]["reason"], "profile prod is read-only");
    assert_eq!(written[1]["changes"][0]["pointer"], "/state");
}

#[test]
fn trail_is_private_and_shared_files_or_folders_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("new/idcon");
    let path = folder.join("audit.jsonl");
    drop(open(&path, "ana"));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&folder), 0o700);

    fs::set_permissions(&path, fs::Permissions::from_mode(0o620)).expect("chmod");
    let err = AuditLog::open(&path, false)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("writable by group or others"), "{err}");

    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o777)).expect("chmod");
    let err = AuditLog::open(&path, false)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains(&folder.display().to_string()) && err.contains("folder"),
        "{err}"
    );

    let not_a_file = dir.path().join("dir.jsonl");
    fs::create_dir(&not_a_file).expect("mkdir");
    assert!(AuditLog::open(&not_a_file, false).is_err());
}

#[test]
fn no_password_hash_or_token_reaches_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    let log = open(&path, "ana");
    let password = "Tr0ub4dor&3-typed-in-form";
    let hash = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW";
    let old = json!({"state": "active", "traits": {"email": "a@example.com"}});
    let new = json!({
        "state": "active",
        "traits": {"email": "a@example.com", "password": password},
        "credentials": {
            "password": {"config": {"password": password}},
            "oidc": {"config": {"providers": [{"provider": "google", "subject": "s-1",
                "initial_access_token": "ya29.token-value", "initial_id_token": "eyJ.id.token"}]}}
        },
        "metadata_admin": {"yoti": {"issuance_token": "issuance-secret-value"}, "hashed": {"hashed_password": hash}}
    });
    let mut with_secret_url = target("req-4", "id-4");
    with_secret_url.base_url = format!("https://admin:{password}@kratos.example");
    log.intent(&Intent {
        target: with_secret_url.clone(),
        changes: diff::diff(&old, &new),
    })
    .expect("intent");
    log.refusal(&Refusal {
        target: with_secret_url,
        changes: diff::diff(&old, &new),
        reason: "lost-update conflict".to_owned(),
    })
    .expect("refusal");
    let text = fs::read_to_string(&path).expect("read");
    for secret in [
        password,
        hash,
        "ya29.token-value",
        "eyJ.id.token",
        "issuance-secret-value",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    assert!(text.contains("<redacted>"));
    // What is not secret stays readable.
    assert!(text.contains("\"subject\":\"s-1\""), "{text}");
}

#[test]
fn damaged_lines_are_skipped_with_their_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    let log = open(&path, "ana");
    log.intent(&Intent {
        target: target("a", "id-1"),
        changes: Vec::new(),
    })
    .expect("intent");
    let mut text = fs::read_to_string(&path).expect("read");
    text.push_str("this is not json\n\n{\"event\":\"intent\"}\n");
    fs::write(&path, &text).expect("write");
    log.intent(&Intent {
        target: target("b", "id-1"),
        changes: Vec::new(),
    })
    .expect("intent");
    let mut bytes = fs::read(&path).expect("read");
    bytes.extend_from_slice(b"{\"time\":\"2024-01-01T00:00:00Z\",\"ev");
    fs::write(&path, &bytes).expect("write");

    let read = audit::read_log(&path, &Filter::default()).expect("read_log");
    let ids: Vec<_> = read
        .entries
        .iter()
        .map(|e| e.request_id.clone().unwrap_or_default())
        .collect();
    assert_eq!(ids, ["a", "b"]);
    let numbers: Vec<usize> = read.corrupt.iter().map(|c| c.line).collect();
    // Line 3 is blank (ignored); line 4 lacks the time; line 6 was cut short.
    assert_eq!(numbers, [2, 4, 6]);
    assert!(read.corrupt[2].message.contains("unfinished"), "{:?}", read.corrupt[2]);
    assert_eq!(
        audit::read_entries(&path, &Filter::default()).map(|e| e.len()).ok(),
        Some(2)
    );
}

#[test]
fn unknown_fields_are_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    fs::write(
        &path,
        "{\"time\":\"2024-01-01T00:00:00Z\",\"event\":\"approval\",\"approver\":{\"name\":\"lead\"}}\n",
    )
    .expect("write");
    let entries = audit::read_entries(&path, &Filter::default()).expect("read");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].event, "approval");
    assert_eq!(entries[0].extra.get("approver"), Some(&json!({"name": "lead"})));
}

fn write_sample_trail(path: &Path) {
    let old_line = json!({"time": "2020-01-01T00:00:00Z", "event": "intent", "request_id": "old",
        "user": "ana", "identity_id": "id-1", "changes": []});
    fs::write(path, format!("{old_line}\n")).expect("write");
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).expect("chmod");
    let ana = open(path, "ana");
    let bob = open(path, "bob");
    ana.intent(&Intent {
        target: target("r-ana", "id-1").about(
            Some("sofia@example.com".to_owned()),
            Some("SUP-42 customer asked to close".to_owned()),
        ),
        changes: state_change(),
    })
    .expect("intent");
    ana.outcome(&Outcome {
        target: target("r-ana", "id-1"),
        status: Some(200),
        elapsed_ms: 12,
        server_request_id: None,
        error: None,
        ..Default::default()
    })
    .expect("outcome");
    bob.refusal(&Refusal {
        target: target("r-bob", "id-2").about(None, Some("sup-77 Spam account".to_owned())),
        changes: state_change(),
        reason: "read-only profile".to_owned(),
    })
    .expect("refusal");
}

#[test]
fn filters_by_identity_user_and_age() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    write_sample_trail(&path);
    let ids = |filter: Filter| -> Vec<String> {
        audit::read_entries(&path, &filter)
            .expect("read")
            .into_iter()
            .map(|e| format!("{}:{}", e.request_id.unwrap_or_default(), e.event))
            .collect()
    };
    assert_eq!(ids(Filter::default()).len(), 4);
    let by_identity = Filter {
        identity: Some("id-1".to_owned()),
        ..Filter::default()
    };
    assert_eq!(ids(by_identity), ["old:intent", "r-ana:intent", "r-ana:outcome"]);
    let by_user = Filter {
        user: Some("bob".to_owned()),
        ..Filter::default()
    };
    assert_eq!(ids(by_user), ["r-bob:refusal"]);
    let recent = Filter {
        since: Some(Duration::from_secs(24 * 3600)),
        identity: Some("id-1".to_owned()),
        ..Filter::default()
    };
    assert_eq!(ids(recent), ["r-ana:intent", "r-ana:outcome"]);
    // The outcome carries no reason of its own: it comes with its intent.
    let by_reason = |text: &str| {
        ids(Filter {
            reason: Some(text.to_owned()),
            ..Filter::default()
        })
    };
    assert_eq!(by_reason("sup-42"), ["r-ana:intent", "r-ana:outcome"]);
    assert_eq!(by_reason("SUP-77"), ["r-bob:refusal"]);
    assert_eq!(by_reason("sup-"), ["r-ana:intent", "r-ana:outcome", "r-bob:refusal"]);
    assert!(by_reason("SUP-99").is_empty());
}

#[test]
fn concurrent_writers_never_interleave_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    let big = json!({"traits": {"bio": "x".repeat(3000)}});
    let writers: Vec<_> = (0..4)
        .map(|n| {
            let path = path.clone();
            let big = big.clone();
            std::thread::spawn(move || {
                // Separate opens, as separate processes would have.
                let log = open(&path, &format!("user{n}"));
                for i in 0..50 {
                    log.intent(&Intent {
                        target: target(&format!("{n}-{i}"), "id"),
                        changes: diff::diff(&json!({}), &big),
                    })
                    .expect("intent");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("writer thread");
    }
    let read = audit::read_log(&path, &Filter::default()).expect("read");
    assert!(read.corrupt.is_empty(), "{:?}", read.corrupt);
    assert_eq!(read.entries.len(), 200);
}

#[test]
fn lines_also_go_to_syslog_and_a_missing_socket_is_only_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket_path = dir.path().join("log.sock");
    let server = UnixDatagram::bind(&socket_path).expect("bind");
    server.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let log = AuditLog::open_with_syslog_socket(&dir.path().join("a.jsonl"), Some(&socket_path))
        .expect("open")
        .with_who(who("ana"));
    assert!(log.has_syslog());
    log.refusal(&Refusal {
        target: target("r-sys", "id-1"),
        changes: Vec::new(),
        reason: "read-only profile".to_owned(),
    })
    .expect("refusal");
    let mut buf = vec![0u8; 65536];
    let n = server.recv(&mut buf).expect("a syslog datagram");
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("<84>"), "authpriv.warning: {text}");
    let json_part = text.split_once("]: ").map(|(_, json)| json).unwrap_or_default();
    let line: Value = serde_json::from_str(json_part).expect("the audit line as JSON");
    assert_eq!(line["request_id"], "r-sys");
    assert_eq!(line["event"], "refusal");

    let missing = AuditLog::open_with_syslog_socket(&dir.path().join("b.jsonl"), Some(&dir.path().join("nope")))
        .expect("a missing syslog socket does not stop the trail");
    assert!(!missing.has_syslog());
    assert!(
        missing.warnings().iter().any(|w| w.contains("nope")),
        "{:?}",
        missing.warnings()
    );
    missing
        .intent(&Intent {
            target: target("r", "id"),
            changes: Vec::new(),
        })
        .expect("intent still written");
}

fn idcon(state: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_idcon"))
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env("XDG_CONFIG_HOME", state.join("config"))
        .env("HOME", state)
        .env_remove("IDCON_PROFILE")
        .output()
        .expect("run idcon")
}

fn default_trail(state: &Path) -> PathBuf {
    state.join("idcon").join("audit.jsonl")
}

#[test]
fn idcon_audit_prints_the_trail_as_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trail = default_trail(dir.path());
    fs::create_dir_all(trail.parent().expect("parent")).expect("mkdir");
    fs::set_permissions(trail.parent().expect("parent"), fs::Permissions::from_mode(0o700)).expect("chmod");
    write_sample_trail(&trail);
    let mut bytes = fs::read(&trail).expect("read");
    bytes.extend_from_slice(b"not json\n");
    fs::write(&trail, bytes).expect("write");

    let out = idcon(
        dir.path(),
        &["audit", "--output", "json", "--identity", "id-1", "--since", "7d"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).expect("one JSON array");
    let ids: Vec<&str> = printed
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["request_id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ids, ["r-ana", "r-ana"]);
    assert_eq!(printed[0]["changes"][0]["pointer"], "/state");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 5"), "{stderr}");

    let by_user = idcon(dir.path(), &["audit", "--output", "json", "--user", "bob"]);
    let printed: Value = serde_json::from_slice(&by_user.stdout).expect("JSON");
    assert_eq!(printed.as_array().map(Vec::len), Some(1));
    assert_eq!(printed[0]["reason"], "read-only profile");
}

#[test]
fn idcon_audit_table_joins_intent_and_outcome() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("elsewhere.jsonl");
    write_sample_trail(&file);
    let file_arg = file.display().to_string();
    let out = idcon(dir.path(), &["audit", "--file", &file_arg, "--since", "1h"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(lines[0].starts_with("TIME") && lines[0].contains("IDENTIFIER") && lines[0].contains("REASON"));
    assert!(lines[1].contains("ana") && lines[1].contains("203.0.113.7:52144") && lines[1].contains(" 200 "));
    assert!(
        lines[1].contains("id-1") && lines[1].contains("sofia@example.com"),
        "{stdout}"
    );
    assert!(lines[1].contains("SUP-42 customer asked to close"), "{stdout}");
    // Under each row, what changed: old → new.
    assert_eq!(lines[2], "    ~ /state: \"active\" → \"inactive\"", "{stdout}");
    assert!(lines[3].contains("bob") && lines[3].contains("refused") && lines[3].contains("read-only profile"));
    assert!(lines[3].contains("sup-77 Spam account"), "{stdout}");
    assert_eq!(lines[4], "    ~ /state: \"active\" → \"inactive\"", "{stdout}");
}

#[test]
fn idcon_audit_finds_writes_by_reason_in_any_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("trail.jsonl");
    write_sample_trail(&file);
    let file_arg = file.display().to_string();
    let out = idcon(
        dir.path(),
        &["audit", "--file", &file_arg, "--reason", "sup-42", "--output", "json"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).expect("one JSON array");
    let events: Vec<(&str, &str)> = printed
        .as_array()
        .expect("array")
        .iter()
        .map(|e| {
            (
                e["request_id"].as_str().unwrap_or_default(),
                e["event"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(events, [("r-ana", "intent"), ("r-ana", "outcome")]);
    // Faithful: the lines as written, who and why included.
    assert_eq!(printed[0]["why"], "SUP-42 customer asked to close");
    assert_eq!(printed[0]["identifier"], "sofia@example.com");

    let table = idcon(dir.path(), &["audit", "--file", &file_arg, "--reason", "SPAM"]);
    let stdout = String::from_utf8_lossy(&table.stdout);
    let rows: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("    ")).collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    assert!(rows[1].contains("bob") && rows[1].contains("refused"), "{stdout}");

    let none = idcon(dir.path(), &["audit", "--file", &file_arg, "--reason", "SUP-99"]);
    assert_eq!(String::from_utf8_lossy(&none.stdout), "no audit entries\n");
}

#[test]
fn idcon_audit_explains_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad_since = idcon(dir.path(), &["audit", "--since", "soon"]);
    assert!(!bad_since.status.success());
    assert!(String::from_utf8_lossy(&bad_since.stderr).contains("90m"));

    let missing = dir.path().join("missing.jsonl").display().to_string();
    let out = idcon(dir.path(), &["audit", "--file", &missing]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.jsonl"));

    // No trail yet at the default place: an empty answer, not a failure.
    let empty = idcon(dir.path(), &["audit", "--output", "json"]);
    assert!(empty.status.success());
    assert_eq!(serde_json::from_slice::<Value>(&empty.stdout).ok(), Some(json!([])));
}

fn intent_with(log: &AuditLog, request_id: &str, changes: Vec<diff::Change>) -> Result<(), audit::AuditError> {
    log.intent(&Intent {
        target: target(request_id, "id-1"),
        changes,
    })
}

/// A line cut short (a process killed mid-write, a disk that filled up) must
/// not swallow the next intent: it starts on a line of its own and reads back.
#[test]
fn a_partial_last_line_does_not_swallow_the_next_intent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state/audit.jsonl");
    let log = open(&path, "ana");
    intent_with(&log, "req-1", state_change()).expect("intent");
    // The attack/accident: a partial line at the end of the file.
    let mut file = fs::OpenOptions::new().append(true).open(&path).expect("open");
    std::io::Write::write_all(&mut file, br#"{"time":"2026-12-07T12:00:00.000Z","event":"inte"#).expect("write");
    drop(file);
    intent_with(&log, "req-2", state_change()).expect("intent after the partial line");
    let read = audit::read_log(&path, &Filter::default()).expect("read");
    let ids: Vec<_> = read.entries.iter().filter_map(|e| e.request_id.clone()).collect();
    assert_eq!(ids, ["req-1", "req-2"], "the real write is not lost");
    assert_eq!(read.corrupt.len(), 1, "the partial line is reported, not glued");
}

/// Unmounts the small filesystem of a test, whatever happens in it.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A full disk: the failed append is cut back, nothing is glued, and once
/// there is room again the next intent reads back whole. Needs a small
/// tmpfs, so root (as in CI); elsewhere the test says why it did nothing.
#[test]
fn a_full_disk_leaves_no_partial_audit_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mount_point = dir.path().join("small");
    fs::create_dir(&mount_point).expect("mkdir");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16k,mode=0700", "tmpfs"])
        .arg(&mount_point)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("a_full_disk_leaves_no_partial_audit_line: cannot mount a tmpfs here (not root); not run");
        return;
    }
    let _guard = Mounted(mount_point.clone());
    let path = mount_point.join("audit.jsonl");
    let log = open(&path, "ana");
    intent_with(&log, "req-1", state_change()).expect("first intent fits");
    let before = fs::read(&path).expect("read");

    // Fill the filesystem up to a few hundred bytes.
    let filler = mount_point.join("filler");
    let free = 16 * 1024 - before.len();
    let mut written = 0;
    let mut file = fs::File::create(&filler).expect("filler");
    while std::io::Write::write_all(&mut file, &[b'x'; 256]).is_ok() && written < free {
        written += 256;
    }
    drop(file);
    let big = diff::diff(&json!({"note": ""}), &json!({"note": "y".repeat(4000)}));
    let err = intent_with(&log, "req-2", big.clone()).expect_err("the disk is full");
    assert!(err.to_string().contains("audit.jsonl"), "{err}");
    assert_eq!(fs::read(&path).expect("read"), before, "the failed append was cut back");

    fs::remove_file(&filler).expect("free the disk");
    intent_with(&log, "req-3", big).expect("intent once there is room");
    let read = audit::read_log(&path, &Filter::default()).expect("read");
    let ids: Vec<_> = read.entries.iter().filter_map(|e| e.request_id.clone()).collect();
    assert_eq!(ids, ["req-1", "req-3"]);
    assert!(read.corrupt.is_empty(), "{:?}", read.corrupt);
}

/// Identity data holding C1 controls and bidi overrides reaches the audit
/// file only as `\u` escapes: `tail -f` shows them inert, and the line still
/// reads back as the same value.
#[test]
fn hostile_identity_data_is_written_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.jsonl");
    let log = open(&path, "ana");
    let hostile = "Ana\u{9b}2J\u{202e}gnp.exe\u{1b}]52;c;x\u{7}";
    let changes = diff::diff(
        &json!({"traits": {"name": "Ana"}}),
        &json!({"traits": {"name": hostile}}),
    );
    intent_with(&log, "req-1", changes).expect("intent");
    let raw = fs::read_to_string(&path).expect("read");
    assert!(
        !raw.chars().any(|c| c != '\n' && idcon::sanitize::is_unsafe(c)),
        "raw controls in the file: {raw:?}"
    );
    assert!(raw.contains("\\u009b") && raw.contains("\\u202e"), "{raw}");
    let read = audit::read_log(&path, &Filter::default()).expect("read");
    assert_eq!(read.entries[0].changes[0].new, Some(json!(hostile)));
}
