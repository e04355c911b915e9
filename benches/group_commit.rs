//! What an fsync costs where the audit trail lives, and what group commit
//! (`idcon::audit::GroupCommit`) saves when `apply --jobs N` writes lines at
//! the same time.
//!
//! `cargo bench --bench group_commit [-- DIR]` (default: the system temp
//! folder; pass the folder the trail lives in, e.g. `~/.local/state/idcon`).
//! Prints the folder's filesystem, the cost of one write+fdatasync of an
//! audit-sized line, and for 1, 2, 4 and 8 writers appending at once: the
//! time per line and fsyncs per line, one fsync per line behind a lock (how
//! idcon wrote before) against group commit. A measuring binary, not a
//! criterion bench: an fsync's cost is the disk's, and the point is the
//! ratio on the machine at hand.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use idcon::audit::{FileLock, GroupCommit};

/// Lines each writer appends per measurement.
const LINES_PER_WRITER: usize = 200;

/// An audit intent line is 600–900 bytes.
const LINE_BYTES: usize = 700;

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .map_or_else(std::env::temp_dir, PathBuf::from);
    let scratch = match tempfile::tempdir_in(&dir) {
        Ok(scratch) => scratch,
        Err(err) => {
            eprintln!("group_commit: cannot make a scratch folder in {}: {err}", dir.display());
            std::process::exit(2);
        }
    };
    println!(
        "folder {} on {}",
        dir.display(),
        filesystem_of(&dir).unwrap_or_else(|| "an unknown filesystem".to_owned())
    );
    let line = vec![b'x'; LINE_BYTES];

    let single = scratch.path().join("single.jsonl");
    let per_sync = one_writer_syncs(&single, &line, 300);
    println!(
        "one write + fdatasync of a {LINE_BYTES}-byte line: {:.3} ms",
        ms(per_sync)
    );

    println!("writers  lines  one fsync per line (locked)   group commit (shared fsyncs)");
    for writers in [1usize, 2, 4, 8] {
        let locked = scratch.path().join(format!("locked-{writers}.jsonl"));
        let grouped = scratch.path().join(format!("grouped-{writers}.jsonl"));
        let lines = writers * LINES_PER_WRITER;
        let locked_time = locked_writers(&locked, &line, writers);
        let (grouped_time, syncs) = grouped_writers(&grouped, &line, writers);
        println!(
            "{writers:>7}  {lines:>5}  {:>8.3} ms a line, 1.00 fsync/line   {:>8.3} ms a line, {:.2} fsync/line",
            ms(locked_time) / lines as f64,
            ms(grouped_time) / lines as f64,
            syncs as f64 / lines as f64
        );
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn open(path: &Path) -> File {
    match idcon::paths::open_private_append(path) {
        Ok(file) => file,
        Err(err) => {
            eprintln!("group_commit: cannot open {}: {err}", path.display());
            std::process::exit(2);
        }
    }
}

/// The time of one write + fdatasync, the median of `count`.
fn one_writer_syncs(path: &Path, line: &[u8], count: usize) -> Duration {
    let mut file = open(path);
    let mut times: Vec<Duration> = (0..count)
        .map(|_| {
            let started = Instant::now();
            if let Err(err) = file.write_all(line).and_then(|()| file.sync_data()) {
                eprintln!("group_commit: write failed: {err}");
                std::process::exit(2);
            }
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// `writers` threads, each line written and synced alone behind one lock.
fn locked_writers(path: &Path, line: &[u8], writers: usize) -> Duration {
    let file = Arc::new(Mutex::new(open(path)));
    run_writers(writers, move |_| {
        let file = Arc::clone(&file);
        let mut whole = line.to_vec();
        whole.push(b'\n');
        move || {
            for _ in 0..LINES_PER_WRITER {
                let mut file = file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Err(err) = file.write_all(&whole).and_then(|()| file.sync_data()) {
                    eprintln!("group_commit: write failed: {err}");
                    std::process::exit(2);
                }
            }
        }
    })
}

/// `writers` threads through one [`GroupCommit`]; the time and the fsyncs.
fn grouped_writers(path: &Path, line: &[u8], writers: usize) -> (Duration, u64) {
    let commit = Arc::new(GroupCommit::new(open(path), FileLock::EachCommit));
    let shared = Arc::clone(&commit);
    let time = run_writers(writers, move |_| {
        let commit = Arc::clone(&shared);
        let line = line.to_vec();
        move || {
            for _ in 0..LINES_PER_WRITER {
                if let Err(err) = commit.append(&line) {
                    eprintln!("group_commit: append failed: {err}");
                    std::process::exit(2);
                }
            }
        }
    });
    (time, commit.syncs())
}

/// Starts `writers` threads made by `make` together; the wall time until
/// all are done.
fn run_writers<F, W>(writers: usize, make: F) -> Duration
where
    F: Fn(usize) -> W,
    W: FnOnce() + Send + 'static,
{
    let start = Arc::new(Barrier::new(writers + 1));
    let handles: Vec<_> = (0..writers)
        .map(|n| {
            let work = make(n);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                work();
            })
        })
        .collect();
    start.wait();
    let started = Instant::now();
    for handle in handles {
        if handle.join().is_err() {
            eprintln!("group_commit: a writer panicked");
            std::process::exit(2);
        }
    }
    started.elapsed()
}

/// The filesystem type of the mount `dir` is on, from `/proc/self/mounts`
/// (the longest mount point that is a prefix of its canonical path).
fn filesystem_of(dir: &Path) -> Option<String> {
    let dir = std::fs::canonicalize(dir).ok()?;
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let device = fields.next()?;
            let point = fields.next()?;
            let kind = fields.next()?;
            dir.starts_with(point)
                .then(|| (point.len(), format!("{kind} ({device} at {point})")))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, kind)| kind)
}
