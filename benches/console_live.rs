//! Live figures of the console (issue: browse, search and inspect), measured
//! on the real binary in a pseudo-terminal against `idcon serve-demo` on
//! loopback, as a support person would run it:
//! - time from spawn to the first list frame;
//! - bytes written per cursor step and per scrolling step at 200x50 (demo data);
//! - idle: CPU from /proc/PID/stat (and the finer schedstat), wake-ups
//!   (context switches of all threads) and bytes written over 10 s;
//! - resident memory once every identity is loaded (G until the end);
//! - keystroke-to-frame time of a filter keystroke over everything loaded.
//!
//! Prints figures; asserts nothing. `cargo bench --bench console_live`;
//! `IDCON_LIVE_SEED=N` changes the number of identities (default 100,000).

#[path = "../tests/it/support/pty.rs"]
mod pty;

use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use idcon::demo::{DEMO_PRIVATE_KEY_PEM, DEMO_SDK_ID};
use pty::{Console, WAIT};

const COLS: u16 = 200;
const ROWS: u16 = 50;

/// `idcon serve-demo` as a child process, stopped by its own handle.
struct DemoProcess {
    child: Child,
    base_url: String,
}

impl DemoProcess {
    fn start(seed: usize) -> DemoProcess {
        let mut child = match Command::new(env!("CARGO_BIN_EXE_idcon"))
            .args([
                "serve-demo",
                "--listen",
                "127.0.0.1:0",
                "--seed-count",
                &seed.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => panic!("starting idcon serve-demo: {e}"),
        };
        let Some(stdout) = child.stdout.take() else {
            panic!("serve-demo has no stdout")
        };
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        return DemoProcess {
                            child,
                            base_url: url.trim().to_owned(),
                        };
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("serve-demo did not say where it listens");
                }
            }
        }
    }
}

impl Drop for DemoProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(e) => panic!("tempdir: {e}"),
        };
        let key = dir.path().join("demo-key.pem");
        if let Err(e) = std::fs::write(&key, DEMO_PRIVATE_KEY_PEM)
            .and_then(|()| std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)))
        {
            panic!("writing the key: {e}");
        }
        Home { dir }
    }

    fn console(&self, demo: &DemoProcess) -> Console {
        let path = |sub: &str| self.dir.path().join(sub).display().to_string();
        let (home, state, config, key) = (path(""), path("state"), path("config"), path("demo-key.pem"));
        let args = [
            "--base-url",
            demo.base_url.as_str(),
            "--key",
            key.as_str(),
            "--sdk-id",
            DEMO_SDK_ID,
        ];
        let env = [
            ("HOME", home.as_str()),
            ("XDG_STATE_HOME", state.as_str()),
            ("XDG_CONFIG_HOME", config.as_str()),
            ("LANG", "C.UTF-8"),
        ];
        Console::spawn(&args, &env, COLS, ROWS)
    }
}

/// The header's "N loaded" / "N+ loaded".
fn loaded(screen: &str) -> Option<(usize, bool)> {
    let header = screen.lines().next()?;
    let before = header.trim_end().strip_suffix("loaded")?.trim_end();
    let count = before.rsplit(' ').next()?;
    Some((count.trim_end_matches('+').parse().ok()?, count.ends_with('+')))
}

fn is_list_frame(screen: &str) -> bool {
    screen.contains("IDENTIFIER") && loaded(screen).is_some_and(|(n, _)| n > 0)
}

/// Waits until nothing has been written for `quiet`; bounded.
fn settle(console: &Console, quiet: Duration) {
    let deadline = Instant::now() + WAIT;
    let mut last = console.raw_len();
    let mut since = Instant::now();
    while Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
        let now = console.raw_len();
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= quiet {
            return;
        }
    }
    panic!("the console kept writing; screen:\n{}", console.screen());
}

/// Bytes written for one key, once the console is quiet again.
fn bytes_for_key(console: &mut Console, key: &[u8]) -> usize {
    let before = console.raw_len();
    console.send(key);
    settle(console, Duration::from_millis(120));
    console.raw_len() - before
}

fn proc_file(pid: u32, name: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/{name}")).unwrap_or_default()
}

/// utime + stime of the whole process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = proc_file(pid, "stat");
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state): utime is field 14, stime field 15.
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    field(11) + field(12)
}

fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// Per thread: (time on CPU in ns from schedstat, context switches).
fn threads(pid: u32) -> Vec<(u64, u64)> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .map(|task| {
            let path = task.path();
            let run_ns = std::fs::read_to_string(path.join("schedstat"))
                .ok()
                .and_then(|s| s.split_whitespace().next().and_then(|f| f.parse().ok()))
                .unwrap_or(0);
            let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
            let switches: u64 = status
                .lines()
                .filter(|l| l.starts_with("voluntary_ctxt_switches") || l.starts_with("nonvoluntary_ctxt_switches"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
            (run_ns, switches)
        })
        .collect()
}

fn status_kib(pid: u32, field: &str) -> u64 {
    proc_file(pid, "status")
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn first_frame_times(demo: &DemoProcess, home: &Home, runs: usize) -> Vec<f64> {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            let mut console = home.console(demo);
            let deadline = start + WAIT;
            while !is_list_frame(&console.screen()) {
                if Instant::now() > deadline {
                    panic!("no list frame; screen:\n{}", console.screen());
                }
                thread::sleep(Duration::from_micros(500));
            }
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            console.keys("q");
            let _ = console.wait_exit(WAIT);
            ms
        })
        .collect()
}

fn idle(console: &Console, pid: u32, seconds: u64) {
    settle(console, Duration::from_millis(500));
    let ticks = clock_ticks_per_second();
    let (cpu0, threads0, bytes0) = (cpu_ticks(pid), threads(pid), console.raw_len());
    thread::sleep(Duration::from_secs(seconds));
    let (cpu1, threads1, bytes1) = (cpu_ticks(pid), threads(pid), console.raw_len());
    let run_ns: u64 = threads1.iter().map(|t| t.0).sum::<u64>() - threads0.iter().map(|t| t.0).sum::<u64>();
    let switches: u64 = threads1.iter().map(|t| t.1).sum::<u64>() - threads0.iter().map(|t| t.1).sum::<u64>();
    println!(
        "figure: idle {seconds} s: CPU {} ms from /proc/PID/stat utime+stime ({} ticks at {ticks}/s); {:.3} ms on CPU from schedstat over {} threads",
        (cpu1 - cpu0) * 1000 / ticks.max(1),
        cpu1 - cpu0,
        run_ns as f64 / 1e6,
        threads1.len()
    );
    println!(
        "figure: idle {seconds} s: {switches} context switches (all threads: {:.2} wake-ups/s), {} bytes written",
        switches as f64 / seconds as f64,
        bytes1 - bytes0
    );
}

fn steps(console: &mut Console) {
    settle(console, Duration::from_millis(300));
    let body = usize::from(ROWS) - 4;
    let inside: Vec<usize> = (0..10).map(|_| bytes_for_key(console, b"j")).collect();
    for _ in 10..body - 1 {
        console.send(b"j");
    }
    settle(console, Duration::from_millis(300));
    let scrolling: Vec<usize> = (0..10).map(|_| bytes_for_key(console, b"j")).collect();
    let up_inside: Vec<usize> = (0..5).map(|_| bytes_for_key(console, b"k")).collect();
    println!(
        "figure: live bytes per cursor step inside the page at {COLS}x{ROWS}: max {} (steps: {inside:?}; up: {up_inside:?})",
        inside.iter().max().unwrap_or(&0)
    );
    println!(
        "figure: live bytes per scrolling step at {COLS}x{ROWS}: max {} (steps: {scrolling:?})",
        scrolling.iter().max().unwrap_or(&0)
    );
    let page = bytes_for_key(console, b"\x1b[6~");
    println!("figure: live bytes for one PgDn at {COLS}x{ROWS}: {page}");
    console.send(b"g");
    settle(console, Duration::from_millis(300));
}

fn load_everything(console: &mut Console, seed: usize) -> Duration {
    let start = Instant::now();
    // One page (250) per G; bounded by the number of pages plus slack.
    for _ in 0..seed / 250 + 20 {
        let (last, more) = loaded(&console.screen()).unwrap_or((0, true));
        if !more {
            break;
        }
        console.send(b"G");
        console.wait_until("the next page", WAIT, |s| loaded(s).is_some_and(|(n, _)| n > last));
    }
    console.wait_until("everything loaded", WAIT, |s| loaded(s).is_some_and(|(_, more)| !more));
    start.elapsed()
}

/// Time from writing a key to the first byte of the answer and to the end
/// of the frame (quiet for 50 ms, subtracted).
fn key_to_frame(console: &mut Console, key: &[u8]) -> (f64, usize) {
    let before = console.raw_len();
    let start = Instant::now();
    console.send_now(key);
    let deadline = start + WAIT;
    let mut last = before;
    let mut last_at = start;
    loop {
        let now = console.raw_len();
        if now != last {
            last = now;
            last_at = Instant::now();
        } else if last > before && last_at.elapsed() >= Duration::from_millis(50) {
            break;
        }
        if Instant::now() > deadline {
            panic!("no frame after a key");
        }
        thread::sleep(Duration::from_micros(200));
    }
    ((last_at - start).as_secs_f64() * 1000.0, last - before)
}

fn main() {
    let seed: usize = std::env::var("IDCON_LIVE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    println!(
        "figure: machine: {} cores",
        thread::available_parallelism().map_or(0, |n| n.get())
    );
    let seeding = Instant::now();
    let demo = DemoProcess::start(seed);
    println!(
        "figure: serve-demo with {seed} identities ready in {:.1} s at {}",
        seeding.elapsed().as_secs_f64(),
        demo.base_url
    );
    let home = Home::new();

    let times = first_frame_times(&demo, &home, 7);
    println!(
        "figure: spawn to first list frame ({seed} on the server, {COLS}x{ROWS}): median {:.1} ms, max {:.1} ms (runs: {:?})",
        median(times.clone()),
        times.iter().copied().fold(0.0, f64::max),
        times.iter().map(|t| (t * 10.0).round() / 10.0).collect::<Vec<_>>()
    );

    let mut console = home.console(&demo);
    console.wait_until("the first list frame", WAIT, is_list_frame);
    let Some(pid) = console.pid() else {
        panic!("no pid for the console")
    };
    println!(
        "figure: resident memory after the first page: {:.1} MiB",
        status_kib(pid, "VmRSS:") as f64 / 1024.0
    );
    steps(&mut console);
    idle(&console, pid, 10);

    let took = load_everything(&mut console, seed);
    settle(&console, Duration::from_millis(500));
    let count = loaded(&console.screen()).map_or(0, |(n, _)| n);
    println!(
        "figure: resident memory with {count} identities loaded: VmRSS {:.1} MiB, VmHWM {:.1} MiB (loading took {:.1} s)",
        status_kib(pid, "VmRSS:") as f64 / 1024.0,
        status_kib(pid, "VmHWM:") as f64 / 1024.0,
        took.as_secs_f64()
    );
    idle(&console, pid, 10);

    // A plain cursor step, for comparison with the filter keystrokes.
    let moves: Vec<f64> = (0..5).map(|_| key_to_frame(&mut console, b"j").0).collect();
    println!(
        "figure: live cursor step with {count} loaded, key to end of frame: {:?} ms",
        moves.iter().map(|t| (t * 10.0).round() / 10.0).collect::<Vec<_>>()
    );

    // Typing in the search prompt filters everything loaded on each key.
    console.send(b"g");
    console.send(b"/");
    settle(&console, Duration::from_millis(200));
    let mut typed = Vec::new();
    for key in ["m", "a", "r", "t"] {
        typed.push(key_to_frame(&mut console, key.as_bytes()));
    }
    let erase = key_to_frame(&mut console, b"\x7f");
    println!(
        "figure: live filter keystroke over {count} loaded, key to end of frame: {:?} ms (bytes {:?}); backspace {:.1} ms",
        typed.iter().map(|t| (t.0 * 10.0).round() / 10.0).collect::<Vec<_>>(),
        typed.iter().map(|t| t.1).collect::<Vec<_>>(),
        erase.0
    );
    console.esc();
    console.keys("q");
    let exited = console.wait_exit(WAIT);
    println!("figure: console exited cleanly: {}", exited == Some(true));
}
