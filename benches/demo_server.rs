//! Demo server speed with a 1,000,000-identity seed:
//! - seeding the store (and the peak RSS it costs, printed from /proc),
//! - serving one list page of 500 identities (the maximum), in-process,
//! - a `credentials_identifier` lookup, in-process,
//! - the same page over HTTP on loopback (unsigned), for the full round trip.
//!
//! Run with `cargo bench --bench demo_server`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use idcon::demo::{self, DemoOptions, DemoServer};

const SEED: usize = 1_000_000;

fn options() -> DemoOptions {
    DemoOptions {
        seed_count: Some(SEED),
        verifying_key: None,
        ..DemoOptions::for_tests()
    }
}

fn build() -> DemoServer {
    match DemoServer::build(&options()) {
        Ok(server) => server,
        Err(e) => panic!("seeding failed: {e:#}"),
    }
}

/// Peak resident set size of this process so far, from /proc/self/status.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The `page_token` of the answer's `rel="next"` link.
fn next_token(answer: &demo::DemoAnswer) -> String {
    // Kratos writes one Link field, its entries joined by `,`.
    let link = answer
        .headers
        .iter()
        .filter(|(k, _)| k == "link")
        .flat_map(|(_, v)| v.split(','))
        .find(|v| v.trim_end().ends_with("rel=\"next\""));
    let Some(link) = link else { panic!("no next link") };
    let start = link.find("page_token=").map_or(0, |i| i + "page_token=".len());
    link[start..].split(['&', '>']).next().unwrap_or_default().to_owned()
}

fn benches(c: &mut Criterion) {
    // Peak memory of one seeding, before anything else holds memory.
    let started = std::time::Instant::now();
    let server = build();
    println!(
        "seeded {} identities in {:.2?}; peak RSS {:.0} MiB",
        server.identity_count(),
        started.elapsed(),
        peak_rss_mib().unwrap_or(f64::NAN)
    );

    let first = server.list_identities("page_size=500");
    assert_eq!(first.status, 200);
    // A page in the middle of the keyspace: follow a few next links.
    let mut token = next_token(&first);
    for _ in 0..10 {
        token = next_token(&server.list_identities(&format!("page_size=500&page_token={token}")));
    }
    let page_query = format!("page_size=500&page_token={token}");
    let page = server.list_identities(&page_query);
    let items: serde_json::Value = match serde_json::from_slice(&page.body) {
        Ok(v) => v,
        Err(e) => panic!("page is not JSON: {e}"),
    };
    assert_eq!(items.as_array().map(Vec::len), Some(500));
    println!("one page of 500 identities is {} KiB of JSON", page.body.len() / 1024);
    let email = items[250]["traits"]["email"]
        .as_str()
        .unwrap_or_default()
        .to_uppercase();
    let lookup_query = format!("credentials_identifier={email}");
    let found = server.list_identities(&lookup_query);
    assert_eq!(found.status, 200);
    assert!(found.body.len() > 100, "lookup found nothing");

    let mut group = c.benchmark_group("demo_server_1m");
    group.bench_function("list_page_500", |b| {
        b.iter(|| black_box(server.list_identities(black_box(&page_query))))
    });
    group.bench_function("credentials_identifier_lookup", |b| {
        b.iter(|| black_box(server.list_identities(black_box(&lookup_query))))
    });

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("runtime: {e}"),
    };
    let running = match runtime.block_on(demo::start(options())) {
        Ok(r) => r,
        Err(e) => panic!("demo server: {e:#}"),
    };
    let http = reqwest::Client::new();
    let url = format!("{}?{page_query}", running.identities_url());
    group.bench_function("list_page_500_http", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let response = http.get(&url).send().await;
                let Ok(response) = response else {
                    panic!("request failed")
                };
                black_box(response.bytes().await.map(|b| b.len()).unwrap_or(0))
            })
        })
    });
    group.finish();
    runtime.block_on(running.stop());
    drop(server);

    let mut seeding = c.benchmark_group("demo_server_seed");
    seeding.sample_size(10).measurement_time(Duration::from_secs(30));
    seeding.bench_function("seed_1m", |b| b.iter_with_large_drop(build));
    seeding.finish();
}

criterion_group!(demo_server, benches);
criterion_main!(demo_server);
