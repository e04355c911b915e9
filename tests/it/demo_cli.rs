//! `idcon serve-demo` as a process: the addresses and profile it prints
//! (a ready one: its `key_file` a 0600 copy of the demo key, unless
//! `--pubkey`), serving signed requests, a clean stop on SIGTERM, and clear
//! refusals of bad flags.

use crate::support::demo as support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const IDCON: &str = env!("CARGO_BIN_EXE_idcon");

/// Starts `idcon serve-demo ARGS` with scratch XDG folders below `xdg`
/// and returns it with the URL of its first line and the lines that
/// follow, as they come.
fn serve_in(xdg: &std::path::Path, args: &[&str]) -> (Child, String, mpsc::Receiver<Option<String>>) {
    let child = Command::new(IDCON)
        .arg("serve-demo")
        .args(args)
        .env_remove("HOME")
        .env("XDG_CONFIG_HOME", xdg.join("config"))
        .env("XDG_STATE_HOME", xdg.join("state"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => panic!("cannot start {IDCON}: {e}"),
    };
    let Some(stdout) = child.stdout.take() else {
        panic!("no stdout")
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Every line, and keep draining so the server never blocks on a full pipe.
        for line in BufReader::new(stdout).lines() {
            let _ = tx.send(line.ok());
        }
    });
    let line = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Some(line)) => line,
        other => {
            let _ = child.kill();
            panic!("serve-demo printed no line: {other:?}")
        }
    };
    let Some(url) = line.strip_prefix("listening on ") else {
        let _ = child.kill();
        panic!("unexpected line {line:?}")
    };
    (child, url.to_owned(), rx)
}

/// [`serve_in`] a scratch folder that lives as long as the test.
fn serve(args: &[&str]) -> (Child, String, mpsc::Receiver<Option<String>>, tempfile::TempDir) {
    let Ok(xdg) = tempfile::tempdir() else {
        panic!("tempdir")
    };
    let (child, url, rest) = serve_in(xdg.path(), args);
    (child, url, rest, xdg)
}

/// The lines after the first, up to the one that starts with `last`.
fn lines_until(child: &mut Child, rest: &mpsc::Receiver<Option<String>>, last: &str) -> Vec<String> {
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.starts_with(last)) {
        match rest.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(line)) => lines.push(line),
            other => {
                let _ = child.kill();
                panic!("the banner ended early: {other:?} after {lines:?}")
            }
        }
    }
    lines
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
    for _ in 0..200 {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("serve-demo did not stop within 10 s of SIGTERM")
}

#[tokio::test]
async fn serve_demo_prints_its_address_serves_and_stops_on_sigterm() {
    let (mut child, url, _rest, _xdg) = serve(&["--listen", "127.0.0.1:0", "--prefix", "/iam"]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(!url.ends_with(":0"), "the real port is printed: {url}");
    let c = support::Client::new(&url);
    let reply = c.get("/iam/identities", &[("page_size", "3")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json().as_array().map(Vec::len), Some(3));
    let status = terminate(&mut child);
    assert!(status.success(), "exit status {status:?}");
}

/// After `listening on ADMIN`: the public API's address, the Kratos version
/// and a profile that parses as TOML and points at both listeners.
#[tokio::test]
async fn serve_demo_prints_both_addresses_and_a_profile() {
    let (mut child, url, rest, _xdg) = serve(&["--listen", "127.0.0.1:0", "--kratos-version", "1.3"]);
    let lines = lines_until(&mut child, &rest, "key_file");
    let Some(public) = lines[0]
        .strip_prefix("public API on ")
        .and_then(|l| l.strip_suffix(" (GET /schemas, no authentication)"))
        .map(str::to_owned)
    else {
        let _ = child.kill();
        panic!("unexpected second line {:?}", lines[0])
    };
    assert!(public.starts_with("http://127.0.0.1:") && public != url, "{public}");
    assert_eq!(lines[1], "imitating Ory Kratos 1.3 (read from its source at v1.3.1)");
    let snippet = lines[2..].join("\n");
    let parsed: Result<toml::Table, _> = snippet.parse();
    let Ok(parsed) = parsed else {
        let _ = child.kill();
        panic!("the profile is not TOML: {parsed:?}\n{snippet}")
    };
    let profile = &parsed["profiles"]["demo"];
    assert_eq!(profile["base_url"].as_str(), Some(url.as_str()));
    assert_eq!(profile["public_url"].as_str(), Some(public.as_str()));
    assert_eq!(profile["identities_path"].as_str(), Some("/admin/identities"));
    assert_eq!(profile["sdk_id"].as_str(), Some(idcon::demo::DEMO_SDK_ID));

    let schemas = support::get_unsigned(&format!("{public}/schemas")).await;
    assert_eq!(schemas.status, 200, "{}", schemas.text);
    let redirect = support::Client::new(&url).get("/schemas/email-password", &[]).await;
    assert_eq!(redirect.status, 307);
    assert!(
        redirect
            .header("location")
            .is_some_and(|l| l.starts_with(&format!("{public}/schemas/email-password?"))),
        "{:?}",
        redirect.header("location")
    );
    let status = terminate(&mut child);
    assert!(status.success(), "exit status {status:?}");
}

/// The profile serve-demo prints is ready: its `key_file` is a 0600 copy of
/// the embedded demo key in idcon's state folder, and `idcon list` works
/// with the profile pasted into config.toml. With `--pubkey` no copy is
/// made (the key is the caller's).
#[tokio::test]
async fn serve_demo_prints_a_profile_that_works_as_pasted() {
    let (mut child, _url, rest, xdg) = serve(&["--listen", "127.0.0.1:0"]);
    let lines = lines_until(&mut child, &rest, "key_file");
    let Some(start) = lines.iter().position(|l| l == "[profiles.demo]") else {
        let _ = child.kill();
        panic!("no profile in {lines:?}")
    };
    let snippet = lines[start..].join("\n") + "\n";
    let copy = xdg.path().join("state/idcon/demo-private-key.pem");
    assert!(
        snippet.contains(&format!("key_file = {:?}", copy.display().to_string())),
        "{snippet}"
    );
    let mode = std::fs::metadata(&copy).map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777);
    assert_eq!(mode.ok(), Some(0o600));

    std::fs::create_dir_all(xdg.path().join("config/idcon")).expect("config folder");
    std::fs::write(xdg.path().join("config/idcon/config.toml"), &snippet).expect("config");
    let list = Command::new(IDCON)
        .args(["list", "--limit", "3", "--output", "jsonl"])
        .env_remove("HOME")
        .env_remove("IDCON_PROFILE")
        .env("XDG_CONFIG_HOME", xdg.path().join("config"))
        .env("XDG_STATE_HOME", xdg.path().join("state"))
        .output();
    let Ok(list) = list else {
        let _ = child.kill();
        panic!("cannot run {IDCON}")
    };
    assert!(list.status.success(), "{}", String::from_utf8_lossy(&list.stderr));
    assert_eq!(String::from_utf8_lossy(&list.stdout).lines().count(), 3);
    let status = terminate(&mut child);
    assert!(status.success(), "exit status {status:?}");

    let Ok(other) = tempfile::tempdir() else {
        panic!("tempdir")
    };
    let pubkey = other.path().join("pub.pem");
    std::fs::write(&pubkey, idcon::demo::DEMO_PUBLIC_KEY_PEM).expect("public key");
    let pubkey = pubkey.to_string_lossy().into_owned();
    let (mut child, _url, rest) = serve_in(other.path(), &["--listen", "127.0.0.1:0", "--pubkey", &pubkey]);
    let lines = lines_until(&mut child, &rest, "# key_file");
    assert!(
        lines
            .iter()
            .any(|l| l == "# key_file = the private key matching --pubkey"),
        "{lines:?}"
    );
    assert!(!other.path().join("state/idcon/demo-private-key.pem").exists());
    let status = terminate(&mut child);
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn bad_flags_are_refused_with_a_clear_message() {
    let cases: [(&[&str], &str); 5] = [
        (&["--prefix", "admin"], "must look like /admin or /iam"),
        (&["--kratos-version", "27"], "use 1.3, 25 or 26"),
        (&["--seed-count", "2000000"], "at most 1000000"),
        (
            &["--bearer-token-env", "IDCON_TEST_SURELY_UNSET_VARIABLE"],
            "IDCON_TEST_SURELY_UNSET_VARIABLE",
        ),
        (&["--pubkey", "/nonexistent/key.pem"], "/nonexistent/key.pem"),
    ];
    for (args, expected) in cases {
        let output = Command::new(IDCON)
            .arg("serve-demo")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("IDCON_TEST_SURELY_UNSET_VARIABLE")
            .output();
        let Ok(output) = output else {
            panic!("cannot run {IDCON}")
        };
        assert!(!output.status.success(), "{args:?} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "nothing on stdout: {args:?}");
    }
}

#[test]
fn a_busy_port_is_named() {
    let Ok(taken) = std::net::TcpListener::bind("127.0.0.1:0") else {
        panic!("cannot bind")
    };
    let Ok(addr) = taken.local_addr() else {
        panic!("no address")
    };
    let output = Command::new(IDCON)
        .args(["serve-demo", "--listen", &addr.to_string()])
        .output();
    let Ok(output) = output else {
        panic!("cannot run {IDCON}")
    };
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("cannot listen on {addr}")), "{stderr}");

    let public = Command::new(IDCON)
        .args(["serve-demo", "--listen", "127.0.0.1:0", "--public-port"])
        .arg(addr.port().to_string())
        .output();
    let Ok(public) = public else {
        panic!("cannot run {IDCON}")
    };
    assert!(!public.status.success());
    let stderr = String::from_utf8_lossy(&public.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr} (public API)")),
        "{stderr}"
    );
}
