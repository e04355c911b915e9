//! `idcon sign` as scripts use it: the real binary, its JSON and curl output, and
//! one clear line for every bad input.

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use idcon::signing::{VerifyingKey, verify_request};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_idcon");
const BASE: &str = "https://api.yoti.com/api/v1/attribute-registry";

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path)
}

/// A private copy of a committed test key (git does not keep mode 0600).
fn key_copy(dir: &Path, name: &str) -> PathBuf {
    let target = dir.join(name);
    fs::copy(data(&format!("keys/{name}")), &target).expect("copy key");
    fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).expect("chmod");
    target
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("IDCON_PROFILE")
        // Never read the config of whoever runs the tests.
        .env("XDG_CONFIG_HOME", "/nonexistent/idcon-test-config")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn idcon");
    let mut pipe = child.stdin.take().expect("stdin");
    pipe.write_all(stdin).expect("write stdin");
    drop(pipe);
    child.wait_with_output().expect("idcon output")
}

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "idcon failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout.clone()).expect("utf-8 stdout");
    assert_eq!(text.lines().count(), 1, "one JSON line expected: {text}");
    serde_json::from_str(&text).expect("stdout is JSON")
}

struct Fixture {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    pkcs1: String,
    pkcs8: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    Fixture {
        pkcs1: key_copy(&path, "rsa_pkcs1.pem").display().to_string(),
        pkcs8: key_copy(&path, "rsa_pkcs8.pem").display().to_string(),
        dir: path,
        _dir: dir,
    }
}

fn vector(name: &str) -> Value {
    let doc: Value =
        serde_json::from_str(&fs::read_to_string(data("yoti/vectors.json")).expect("vectors")).expect("vectors JSON");
    doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|case| case["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no vector {name}"))
}

/// Runs `idcon sign` with a vector's inputs (body via a file) and returns its JSON.
fn sign_vector(fx: &Fixture, case: &Value, extra: &[&str]) -> Value {
    let key = if case["key"] == "pkcs1" { &fx.pkcs1 } else { &fx.pkcs8 };
    let mut args: Vec<String> = [
        "sign",
        "--key",
        key,
        "--base-url",
        case["base_url"].as_str().expect("base_url"),
        "--method",
        case["method"].as_str().expect("method"),
        "--endpoint",
        case["endpoint"].as_str().expect("endpoint"),
        "--nonce",
        case["nonce"].as_str().expect("nonce"),
        "--timestamp",
        &case["timestamp"].to_string(),
    ]
    .map(str::to_owned)
    .to_vec();
    for pair in case["params"].as_array().expect("params") {
        args.push("--param".into());
        args.push(format!(
            "{}={}",
            pair[0].as_str().expect("n"),
            pair[1].as_str().expect("v")
        ));
    }
    if let Some(b64) = case["body_base64"].as_str() {
        let path = fx.dir.join(format!("{}.body", case["name"].as_str().expect("name")));
        fs::write(
            &path,
            base64::engine::general_purpose::STANDARD.decode(b64).expect("b64"),
        )
        .expect("write body");
        args.push("--body-file".into());
        args.push(path.display().to_string());
    }
    if let Some(file) = case["body_file"].as_str() {
        args.push("--body-file".into());
        args.push(data(file).display().to_string());
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    json_of(&run(&refs, b""))
}

/// Every vector whose params `--param NAME=VALUE` can express (a NAME holding
/// '=' cannot be written that way; the flag splits at the first '=').
#[test]
fn json_output_matches_the_official_sdk_for_its_vectors() {
    let fx = fixture();
    let doc: Value =
        serde_json::from_str(&fs::read_to_string(data("yoti/vectors.json")).expect("vectors")).expect("vectors JSON");
    let mut checked = 0;
    for case in doc["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let expressible = case["params"]
            .as_array()
            .expect("params")
            .iter()
            .all(|pair| !pair[0].as_str().expect("param name").contains('='));
        if !expressible {
            continue;
        }
        let out = sign_vector(&fx, case, &[]);
        assert_eq!(out["url"], case["url"], "{name}");
        assert_eq!(out["message"], case["message"], "{name}");
        assert_eq!(out["headers"]["X-Yoti-Auth-Digest"], case["digest"], "{name}");
        assert_eq!(out["method"], case["method"], "{name}");
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} vectors checked");
}

#[test]
fn json_output_has_the_documented_shape_and_header_order() {
    let fx = fixture();
    let case = vector("pkcs1_put_json_body");
    let out = sign_vector(&fx, &case, &["--sdk-id", "sdk-123", "--header", "X-Request-Id: r1"]);
    let keys: Vec<&str> = out.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys, ["method", "url", "headers", "body", "message"]);
    let headers = out["headers"].as_object().expect("headers");
    let names: Vec<&str> = headers.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "X-Yoti-Auth-Digest",
            "X-Yoti-Auth-Id",
            "X-Yoti-SDK",
            "X-Yoti-SDK-Version",
            "Content-Type",
            "Accept",
            "X-Request-Id"
        ]
    );
    assert_eq!(headers["X-Yoti-Auth-Id"], "sdk-123");
    assert_eq!(headers["X-Yoti-SDK"], idcon::signing::SDK_HEADER_VALUE);
    assert_eq!(headers["X-Yoti-SDK-Version"], idcon::signing::SDK_VERSION_HEADER_VALUE);
    assert_eq!(headers["Content-Type"], "application/json");
    assert_eq!(headers["Accept"], "application/json");
    let body = base64::engine::general_purpose::STANDARD
        .decode(case["body_base64"].as_str().expect("body"))
        .expect("b64");
    assert_eq!(out["body"], String::from_utf8(body).expect("utf-8 body"));
}

#[test]
fn no_body_empty_body_and_binary_body_are_told_apart() {
    let fx = fixture();
    let base = [
        "sign",
        "--key",
        &fx.pkcs1,
        "--base-url",
        BASE,
        "--method",
        "PUT",
        "--endpoint",
        "/x",
    ];
    let none = json_of(&run(&base, b""));
    assert_eq!(none["body"], Value::Null);
    assert!(!none["message"].as_str().expect("message").ends_with('&'));

    let empty_path = fx.dir.join("empty");
    fs::write(&empty_path, b"").expect("write");
    let empty_arg = empty_path.display().to_string();
    let empty = json_of(&run(&[&base[..], &["--body-file", &empty_arg]].concat(), b""));
    assert_eq!(empty["body"], "");
    assert!(empty["message"].as_str().expect("message").ends_with('&'));

    let binary = [0xff_u8, 0x00, b'a', 0xc3];
    let out = json_of(&run(&[&base[..], &["--body-file", "-"]].concat(), &binary));
    assert_eq!(
        out["body"]["base64"],
        base64::engine::general_purpose::STANDARD.encode(binary)
    );
    assert!(out["message"].as_str().expect("message").ends_with("&/wBhww=="));
}

#[test]
fn fresh_nonce_and_timestamp_are_made_when_not_given() {
    let fx = fixture();
    let args = [
        "sign",
        "--key",
        &fx.pkcs8,
        "--base-url",
        BASE,
        "--method",
        "GET",
        "--endpoint",
        "/a",
    ];
    let millis =
        || u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis()).expect("fits");
    let before = millis();
    let first = json_of(&run(&args, b""));
    let second = json_of(&run(&args, b""));
    let after = millis();
    let query_of = |out: &Value| -> (String, u64) {
        let url = url::Url::parse(out["url"].as_str().expect("url")).expect("url parses");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert_eq!((pairs[0].0.as_str(), pairs[1].0.as_str()), ("nonce", "timestamp"));
        (pairs[0].1.clone(), pairs[1].1.parse().expect("numeric timestamp"))
    };
    let (nonce1, ts1) = query_of(&first);
    let (nonce2, ts2) = query_of(&second);
    assert_ne!(nonce1, nonce2);
    assert_eq!(uuid::Uuid::parse_str(&nonce1).expect("uuid").get_version_num(), 4);
    for ts in [ts1, ts2] {
        assert!((before..=after).contains(&ts), "{before} <= {ts} <= {after}");
    }
}

#[test]
fn headers_may_replace_content_type_but_not_the_signature() {
    let fx = fixture();
    let base = [
        "sign",
        "--key",
        &fx.pkcs1,
        "--base-url",
        BASE,
        "--method",
        "GET",
        "--endpoint",
        "/x",
    ];
    let out = json_of(&run(
        &[
            &base[..],
            &["--header", "content-type:  text/plain ", "--header", "X-A: 1"],
        ]
        .concat(),
        b"",
    ));
    let headers = out["headers"].as_object().expect("headers");
    assert_eq!(headers.get("content-type"), Some(&Value::from("text/plain")));
    assert!(
        !headers.contains_key("Content-Type"),
        "replaced, not doubled: {headers:?}"
    );
    assert_eq!(headers["X-A"], "1");
    for refused in ["X-Yoti-Auth-Digest: forged", "x-yoti-auth-id: 1"] {
        let output = run(&[&base[..], &["--header", refused]].concat(), b"");
        assert_one_line_error(&output, refused.split(':').next().unwrap_or_default());
    }
}

/// Runs the printed curl command in `sh` with `curl` replaced by a function that
/// prints each argument NUL-terminated, then what it reads on stdin.
fn curl_args_and_stdin(command: &str) -> (Vec<Vec<u8>>, Vec<u8>) {
    let script = format!(
        "curl() {{ for a in \"$@\"; do printf '%s\\0' \"$a\"; done; printf 'STDIN\\0'; \
         case \" $* \" in *' @- '*) cat ;; esac; }}\n{command}\n"
    );
    let output = Command::new("sh").arg("-c").arg(script).output().expect("sh");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let marker = b"STDIN\0";
    let at = output
        .stdout
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("marker");
    // Each argument ends with a NUL, so an empty argument is a lone NUL.
    let printed = &output.stdout[..at];
    let args = printed
        .strip_suffix(&[0])
        .map(|all| all.split(|b| *b == 0).map(<[u8]>::to_vec).collect())
        .unwrap_or_default();
    (args, output.stdout[at + marker.len()..].to_vec())
}

fn curl_command(fx: &Fixture, endpoint: &str, body: Option<&[u8]>, extra: &[&str]) -> (String, Value) {
    let mut args = vec![
        "sign",
        "--key",
        &fx.pkcs1,
        "--base-url",
        BASE,
        "--method",
        "PUT",
        "--endpoint",
        endpoint,
        "--nonce",
        "n-1",
        "--timestamp",
        "1700000000000",
    ];
    args.extend_from_slice(extra);
    if body.is_some() {
        args.extend_from_slice(&["--body-file", "-"]);
    }
    let stdin = body.unwrap_or_default();
    let json = json_of(&run(&args, stdin));
    let output = run(&[&args[..], &["--format", "curl"]].concat(), stdin);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    (String::from_utf8(output.stdout).expect("utf-8 curl"), json)
}

#[test]
fn curl_output_quotes_every_byte_back_exactly() {
    let fx = fixture();
    let tricky_text = "{\"name\": \"O'Brien\", \"path\": \"C:\\\\dir\", \"cmd\": \"$(rm -rf /) `x` $HOME !!\",\n \"é\": \"王🚀\"}\n\n";
    let large_text = "it's ünïcode 🚀 \\ $x\n".repeat(4000);
    let bodies: Vec<(&str, Option<Vec<u8>>)> = vec![
        ("none", None),
        ("empty", Some(Vec::new())),
        ("tricky text", Some(tricky_text.as_bytes().to_vec())),
        ("starts with @", Some(b"@/etc/passwd".to_vec())),
        ("large text", Some(large_text.into_bytes())),
        ("escape codes", Some(b"\x1b[2J\x1b]0;pwned\x07 \r\n".to_vec())),
        ("binary", Some((0..=255).collect())),
    ];
    for (label, body) in bodies {
        let (command, json) = curl_command(
            &fx,
            "/it's/a \"path\"",
            body.as_deref(),
            &["--header", "X-Note: don't $(panic)"],
        );
        let (args, stdin) = curl_args_and_stdin(&command);
        let text: Vec<String> = args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        assert_eq!(
            &text[..5],
            ["-sS", "--globoff", "-X", "PUT", json["url"].as_str().expect("url")],
            "{label}"
        );
        let headers: Vec<String> = json["headers"]
            .as_object()
            .expect("headers")
            .iter()
            .map(|(name, value)| format!("{name}: {}", value.as_str().expect("str")))
            .collect();
        let sent_headers: Vec<String> = text.windows(2).filter(|w| w[0] == "-H").map(|w| w[1].clone()).collect();
        assert_eq!(sent_headers, headers, "{label}");
        let data_at = args.iter().position(|a| a == b"--data-binary");
        match &body {
            None => assert_eq!(data_at, None, "{label}: no body, no data option"),
            Some(bytes) => {
                let value = &args[data_at.expect("--data-binary") + 1];
                let sent = if value == b"@-" { &stdin } else { value };
                assert_eq!(sent, bytes, "{label}: body bytes differ");
                if bytes.is_empty() {
                    assert_eq!(value, b"", "{label}: empty body is inline ''");
                }
            }
        }
        if label == "escape codes" || label == "binary" {
            assert!(
                !command.contains('\x1b') && !command.contains('\x07'),
                "{label}: control codes printed raw"
            );
        }
    }
}

/// Without `--globoff` curl reads `[1-2]` and `{x,y}` in a URL as globs and
/// sends four requests, none of them the signed one.
#[test]
fn curl_output_turns_off_url_globbing() {
    let fx = fixture();
    let (command, json) = curl_command(&fx, "/a[1-2]{x,y}", None, &[]);
    let url = json["url"].as_str().expect("url");
    assert!(url.contains("/a[1-2]{x,y}?"), "{url}");
    let (args, _) = curl_args_and_stdin(&command);
    let text: Vec<String> = args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    let url_at = text
        .iter()
        .position(|a| a == url)
        .expect("the signed URL is one argument");
    assert!(
        text[..url_at].iter().any(|a| a == "--globoff" || a == "-g"),
        "no --globoff before the URL: {text:?}"
    );
}

/// The printed curl command, run for real against a loopback server, sends a
/// request whose signature verifies.
#[test]
fn curl_command_sends_a_request_that_verifies() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("skipping: curl is not installed");
        return;
    }
    let fx = fixture();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let body = "{\"name\": \"O'Brien\", \"v\": \"ünï 🚀\"}\n";
    let body_path = fx.dir.join("body.json");
    fs::write(&body_path, body).expect("write");
    let body_arg = body_path.display().to_string();
    let args = [
        "sign",
        "--key",
        &fx.pkcs8,
        "--base-url",
        &base,
        "--method",
        "PUT",
        "--endpoint",
        // Glob characters curl would expand without --globoff.
        "/attribute/it's[1-2]{a,b}",
        "--param",
        "q=a b&c",
        "--body-file",
        &body_arg,
        "--format",
        "curl",
    ];
    let output = run(&args, b"");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let command = String::from_utf8(output.stdout).expect("utf-8");

    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
        let mut request = Vec::new();
        let mut chunk = [0_u8; 8192];
        // Bounded: stop at the declared length, EOF, the timeout, or 1 MiB.
        while request.len() < 1 << 20 {
            let n = stream.read(&mut chunk).expect("read");
            if n == 0 {
                break;
            }
            request.extend_from_slice(&chunk[..n]);
            if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&request[..end]).to_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().expect("length"));
                if request.len() >= end + 4 + length {
                    break;
                }
            }
        }
        stream
            .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            .expect("respond");
        request
    });
    let curl = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .env("NO_PROXY", "*")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .output()
        .expect("run curl");
    let request = server.join().expect("server thread");
    assert!(
        curl.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&curl.stderr)
    );

    let end = request.windows(4).position(|w| w == b"\r\n\r\n").expect("head");
    let head = String::from_utf8(request[..end].to_vec()).expect("utf-8 head");
    let received_body = &request[end + 4..];
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let target = request_line
        .strip_prefix("PUT ")
        .and_then(|rest| rest.strip_suffix(" HTTP/1.1"))
        .expect("PUT request line");
    let digest = lines
        .find_map(|l| l.strip_prefix("X-Yoti-Auth-Digest: "))
        .expect("digest header");
    assert_eq!(received_body, body.as_bytes());
    let relative = target.strip_prefix("/api/v1").expect("under the base path");
    let public = VerifyingKey::from_pem_file(&data("keys/rsa_pkcs8.pem")).expect("public key");
    assert_eq!(
        verify_request(&public, "PUT", relative, Some(received_body), digest),
        Ok(())
    );
}

fn assert_one_line_error(output: &Output, mentions: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "accepted; stderr: {stderr}");
    assert!(output.stdout.is_empty(), "printed output on failure");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr:?}");
    assert!(stderr.starts_with("idcon: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(mentions), "{stderr:?} does not mention {mentions:?}");
}

/// Exit codes as the README's table gives them for every command.
const EXIT_ERROR: i32 = 1;
const EXIT_USAGE: i32 = 2;

#[test]
fn bad_input_gives_one_clear_line_and_a_failure_exit() {
    let fx = fixture();
    let open_key = fx.dir.join("open.pem");
    fs::copy(&fx.pkcs1, &open_key).expect("copy");
    fs::set_permissions(&open_key, fs::Permissions::from_mode(0o644)).expect("chmod");
    let open_key = open_key.display().to_string();
    let ec_key = key_copy(&fx.dir, "ec_pkcs8.pem").display().to_string();
    let missing_body = fx.dir.join("missing.json").display().to_string();
    let ok = |key: &str| -> Vec<String> {
        ["sign", "--key", key, "--base-url", BASE, "--endpoint", "/x"]
            .map(str::to_owned)
            .to_vec()
    };
    let get = |key: &str| [ok(key), vec!["--method".into(), "GET".into()]].concat();
    let with = |extra: &[&str]| [get(&fx.pkcs1), extra.iter().map(|s| (*s).to_owned()).collect()].concat();
    let owned = |args: &[&str]| args.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
    // (arguments, what the line must mention, exit code): a bad flag or input
    // value is a usage error; a key or config problem is an error.
    let cases: Vec<(Vec<String>, &str, i32)> = vec![
        (
            owned(&["sign", "--base-url", BASE, "--method", "GET", "--endpoint", "/x"]),
            "--key",
            EXIT_ERROR,
        ),
        (
            owned(&["sign", "--key", &fx.pkcs1, "--method", "GET", "--endpoint", "/x"]),
            "--base-url",
            EXIT_ERROR,
        ),
        (with(&["--param", "novalue"]), "novalue", EXIT_USAGE),
        (with(&["--header", "NoColon"]), "NoColon", EXIT_USAGE),
        (with(&["--header", "Bad Name: v"]), "Bad Name", EXIT_USAGE),
        (
            with(&["--header", "X-Yoti-Auth-Digest: forged"]),
            "X-Yoti-Auth-Digest",
            EXIT_USAGE,
        ),
        (with(&["--body-file", &missing_body]), &missing_body, EXIT_USAGE),
        (with(&["--timestamp", "17e11"]), "17e11", EXIT_USAGE),
        (with(&["--timestamp", "-5"]), "-5", EXIT_USAGE),
        (
            with(&["--timestamp", "99999999999999999999999"]),
            "too large",
            EXIT_USAGE,
        ),
        (with(&["--nonce", ""]), "--nonce", EXIT_USAGE),
        (
            [ok(&fx.pkcs1), owned(&["--method", "HEAD"])].concat(),
            "HEAD",
            EXIT_USAGE,
        ),
        (
            owned(&[
                "sign",
                "--key",
                &fx.pkcs1,
                "--base-url",
                BASE,
                "--method",
                "GET",
                "--endpoint",
                "/a\u{1}b",
            ]),
            "--endpoint",
            EXIT_USAGE,
        ),
        (get(&open_key), &open_key, EXIT_ERROR),
        (get(&ec_key), &ec_key, EXIT_ERROR),
        (
            get(&fx.dir.join("absent.pem").display().to_string()),
            "absent.pem",
            EXIT_ERROR,
        ),
        (
            owned(&[
                "sign",
                "--key",
                &fx.pkcs1,
                "--base-url",
                "api.yoti.com",
                "--method",
                "GET",
                "--endpoint",
                "/x",
            ]),
            "api.yoti.com",
            EXIT_USAGE,
        ),
        (
            owned(&[
                "sign",
                "--key",
                &fx.pkcs1,
                "--base-url",
                "ftp://api.yoti.com",
                "--method",
                "GET",
                "--endpoint",
                "/x",
            ]),
            "ftp://api.yoti.com",
            EXIT_USAGE,
        ),
        // Without --key the profile is resolved, and it refuses the flag.
        (
            owned(&[
                "sign",
                "--base-url",
                "api.yoti.com",
                "--method",
                "GET",
                "--endpoint",
                "/x",
            ]),
            "api.yoti.com",
            EXIT_USAGE,
        ),
    ];
    for (args, mentions, code) in cases {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = run(&refs, b"");
        assert_one_line_error(&output, mentions);
        assert_eq!(
            output.status.code(),
            Some(code),
            "exit code of {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // The override makes the group-readable key usable.
    let args = [get(&open_key), vec!["--insecure-key-permissions".into()]].concat();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    json_of(&run(&refs, b""));
}

#[test]
fn surprising_but_valid_input_warns_on_stderr_and_still_signs_like_the_sdk() {
    let fx = fixture();
    let case = vector("pkcs1_get_endpoint_already_has_query");
    let key = &fx.pkcs1;
    let output = run(
        &[
            "sign",
            "--key",
            key,
            "--base-url",
            BASE,
            "--method",
            "GET",
            "--endpoint",
            "/identities?page_size=5",
            "--param",
            "page_token=t",
            "--nonce",
            case["nonce"].as_str().expect("nonce"),
            "--timestamp",
            &case["timestamp"].to_string(),
        ],
        b"",
    );
    let out = json_of(&output);
    assert_eq!(out["headers"]["X-Yoti-Auth-Digest"], case["digest"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("warning") && stderr.contains("'?'"), "{stderr}");
}

#[test]
fn without_key_or_base_url_flags_the_profile_supplies_them() {
    let fx = fixture();
    let config = fx.dir.join("config.toml");
    fs::write(
        &config,
        format!(
            "default = \"yoti\"\n\n[profiles.yoti]\nbase_url = \"{BASE}\"\nkey_file = \"rsa_pkcs8.pem\"\nsdk_id = \"sdk-from-profile\"\n"
        ),
    )
    .expect("write config");
    let config_arg = config.display().to_string();
    let common = [
        "sign",
        "--method",
        "PUT",
        "--endpoint",
        "/attribute/update",
        "--nonce",
        "n",
        "--timestamp",
        "1700000000000",
    ];
    let from_profile = json_of(&run(&[&["--config", config_arg.as_str()][..], &common].concat(), b""));
    let from_flags = json_of(&run(
        &[
            &common[..],
            &["--key", &fx.pkcs8, "--base-url", BASE, "--sdk-id", "sdk-from-profile"],
        ]
        .concat(),
        b"",
    ));
    assert_eq!(from_profile, from_flags);
    assert_eq!(
        from_profile["url"]
            .as_str()
            .map(|u| u.contains("registry/attribute/update?")),
        Some(true)
    );

    // With both --key and --base-url the config is not read, even a broken one.
    fs::write(&config, "this is [not toml").expect("write config");
    let ignored = json_of(&run(
        &[
            &["--config", config_arg.as_str()][..],
            &common,
            &["--key", &fx.pkcs8, "--base-url", BASE],
        ]
        .concat(),
        b"",
    ));
    assert_eq!(ignored["message"], from_flags["message"]);
    // Without them, the broken config is reported, naming the file.
    assert_one_line_error(
        &run(&[&["--config", config_arg.as_str()][..], &common].concat(), b""),
        &config_arg,
    );
}

#[test]
fn json_output_never_carries_raw_terminal_control_codes() {
    let fx = fixture();
    let body = "name: \u{1b}[2J\u{9b}31m\u{7f}\u{7}end";
    let args = [
        "sign",
        "--key",
        &fx.pkcs1,
        "--base-url",
        BASE,
        "--method",
        "PUT",
        "--endpoint",
        "/x",
        "--body-file",
        "-",
    ];
    let output = run(&args, body.as_bytes());
    let stdout = String::from_utf8(output.stdout.clone()).expect("utf-8");
    assert!(
        !stdout.chars().any(|c| c.is_control() && c != '\n'),
        "raw control characters in {stdout:?}"
    );
    assert_eq!(json_of(&output)["body"], body);
}
