//! `idcon serve-demo` as a process: the one line it prints, serving signed
//! requests, a clean stop on SIGTERM, and clear refusals of bad flags.

#[path = "demo_support.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const IDCON: &str = env!("CARGO_BIN_EXE_idcon");

/// Starts `idcon serve-demo ARGS` and returns it with the URL it printed.
fn serve(args: &[&str]) -> (Child, String) {
    let child = Command::new(IDCON)
        .arg("serve-demo")
        .args(args)
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
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next();
        let _ = tx.send(first.and_then(Result::ok));
        // Keep draining so the server never blocks on a full pipe.
        for _ in lines.map_while(Result::ok) {}
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
    (child, url.to_owned())
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
    let (mut child, url) = serve(&["--listen", "127.0.0.1:0", "--prefix", "/iam"]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(!url.ends_with(":0"), "the real port is printed: {url}");
    let c = support::Client::new(&url);
    let reply = c.get("/iam/identities", &[("page_size", "3")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json().as_array().map(Vec::len), Some(3));
    let status = terminate(&mut child);
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn bad_flags_are_refused_with_a_clear_message() {
    let cases: [(&[&str], &str); 4] = [
        (&["--prefix", "admin"], "must look like /admin or /iam"),
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
}
