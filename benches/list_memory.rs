//! The memory figure of `idcon list --output jsonl` over a 50,000-identity
//! tenant (the README quotes it): runs the real binary against the in-process
//! demo, checks every identity comes exactly once in id order with no
//! secrets, samples the child's VmRSS from /proc, and prints the peak.
//!
//! `cargo bench --bench list_memory` (moved out of the test suite: it seeds
//! 50,000 identities and streams them all, which is a measurement, not a
//! behaviour test).

use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use idcon::demo::{self, DemoOptions};
use serde_json::Value;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(measure());
}

async fn measure() {
    let demo = demo::start(DemoOptions {
        seed_count: Some(50_000),
        ..DemoOptions::for_tests()
    })
    .await
    .expect("demo server");
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("demo-key.pem");
    std::fs::write(&key, demo::DEMO_PRIVATE_KEY_PEM).expect("write key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let base_url = demo.base_url();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_idcon"))
        .args([
            "--base-url",
            &base_url,
            "--key",
            key.to_str().expect("utf-8"),
            "--sdk-id",
            demo::DEMO_SDK_ID,
        ])
        .args(["list", "--output", "jsonl"])
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run idcon");
    let pid = child.id().expect("pid");
    let stdout = child.stdout.take().expect("stdout");
    let sampler = tokio::spawn(async move {
        let mut peak_kib = 0u64;
        // Bounded: at most 10 minutes of samples.
        for _ in 0..12_000 {
            let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
                break;
            };
            let rss = status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            peak_kib = peak_kib.max(rss);
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        peak_kib
    });
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let mut count = 0usize;
    let mut previous = String::new();
    while let Some(line) = lines.next_line().await.expect("read a line") {
        let identity: Value = serde_json::from_str(&line).expect("each line is one JSON identity");
        let id = identity["id"].as_str().expect("id").to_owned();
        assert!(id > previous, "ids come in order, each once: {previous} then {id}");
        assert!(
            identity
                .get("credentials")
                .is_none_or(|c| c.pointer("/password/config").is_none()),
            "no secrets"
        );
        previous = id;
        count += 1;
    }
    let status = child.wait().await.expect("idcon exits");
    assert!(status.success(), "idcon list failed: {status}");
    assert_eq!(count, 50_000);
    let peak_kib = sampler.await.expect("sampler");
    println!("idcon list --output jsonl over 50,000 identities: peak RSS {peak_kib} KiB");
    assert!(
        peak_kib < 100 * 1024,
        "memory stays flat while streaming: peak {peak_kib} KiB"
    );
    demo.stop().await;
}
