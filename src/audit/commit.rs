//! Group commit: writers that append at the same time share one `write` and
//! one `fsync`, and each still returns only once its own line is on disk.
//!
//! An fsync costs milliseconds (3.5–4.5 ms on the ext4 disk idcon was
//! measured on, `cargo bench --bench group_commit`), and `apply --jobs 4`
//! has up to four intents, outcomes and result lines waiting at any moment.
//! Written one by one behind a lock, every write queues behind every other
//! one's fsync. Here the first writer to arrive becomes the leader: it takes
//! every line queued so far, writes them as one piece, syncs once and wakes
//! the others; lines that arrive meanwhile wait for the next leader (one of
//! them). Nothing waits on purpose to gather a group: a group is whatever
//! arrived while the previous fsync ran, so a lone writer pays exactly what
//! it paid before.
//!
//! What each line was promised before stays promised:
//! - [`GroupCommit::append`] returns `Ok` only after an fsync that covers its
//!   line succeeded (an audit intent is durable before its request is sent);
//! - a group is one `write` on an `O_APPEND` file under the file lock
//!   ([`FileLock::EachCommit`], for files other processes append to), so
//!   another idcon never lands between its lines;
//! - a failed write or fsync cuts the file back to where the group started
//!   and fails every line of the group (none of them is on disk for sure);
//! - a part of a line left by a process that died mid-write is closed with a
//!   line break before the group.

use std::fs::File;
use std::io::{self, Write as _};
use std::os::unix::fs::FileExt as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Who keeps other processes out of the file while a group is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileLock {
    /// Take the file's exclusive lock (`flock`) around each group: the audit
    /// trail, shared by every idcon of the user.
    EachCommit,
    /// The caller holds the lock for the file's whole life (`apply`'s
    /// results file, locked for the run): taking and dropping it here would
    /// let it go.
    Held,
}

/// An append-only file whose lines are committed in groups.
pub struct GroupCommit {
    file: File,
    lock: FileLock,
    queue: Mutex<Queue>,
    /// Signalled when a group is done: its writers take their results and
    /// one waiting writer becomes the next leader.
    turn: Condvar,
    /// fsyncs done (for the figures and tests).
    syncs: AtomicU64,
    /// Lines committed.
    lines: AtomicU64,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("lock", &self.lock)
            .field("syncs", &self.syncs())
            .field("lines", &self.lines())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Queue {
    /// Lines waiting for the next group, with their tickets.
    waiting: Vec<(u64, Vec<u8>)>,
    next_ticket: u64,
    /// A leader is writing a group now.
    writing: bool,
    /// Results of finished groups not yet taken by their writers.
    done: Vec<(u64, Result<(), Failed>)>,
}

/// A group's failure, given to each of its writers.
#[derive(Debug, Clone)]
struct Failed {
    kind: io::ErrorKind,
    message: String,
}

impl Failed {
    fn of(err: &io::Error) -> Failed {
        Failed {
            kind: err.kind(),
            message: err.to_string(),
        }
    }

    fn to_error(&self) -> io::Error {
        io::Error::new(self.kind, self.message.clone())
    }
}

impl GroupCommit {
    /// Commits lines to `file`, which must be open for appending
    /// (`O_APPEND`).
    pub fn new(file: File, lock: FileLock) -> GroupCommit {
        GroupCommit {
            file,
            lock,
            queue: Mutex::new(Queue::default()),
            turn: Condvar::new(),
            syncs: AtomicU64::new(0),
            lines: AtomicU64::new(0),
        }
    }

    /// The file, for callers that lock or inspect it.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// fsyncs done so far.
    pub fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }

    /// Lines committed so far.
    pub fn lines(&self) -> u64 {
        self.lines.load(Ordering::Relaxed)
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        // The queue holds plain data; a writer that panicked left it whole.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `line` (without its line break) as one whole line and returns
    /// once it is on disk, or with the error that kept it off. Blocks: call
    /// it off the async runtime (`audit::on_blocking_pool`).
    pub fn append(&self, line: &[u8]) -> io::Result<()> {
        let mut queue = self.queue();
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.waiting.push((ticket, line.to_vec()));
        loop {
            if let Some(at) = queue.done.iter().position(|(t, _)| *t == ticket) {
                let (_, result) = queue.done.swap_remove(at);
                return result.map_err(|failed| failed.to_error());
            }
            if !queue.writing {
                queue.writing = true;
                let group = std::mem::take(&mut queue.waiting);
                drop(queue);
                let mut leader = Leader {
                    commit: self,
                    tickets: group.iter().map(|(t, _)| *t).collect(),
                    result: None,
                };
                let lines: Vec<&[u8]> = group.iter().map(|(_, l)| l.as_slice()).collect();
                leader.result = Some(self.write_group(&lines).map_err(|err| Failed::of(&err)));
                drop(leader);
                queue = self.queue();
                continue;
            }
            queue = self.turn.wait(queue).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Writes `lines` as one piece, synced, under the file lock when this
    /// file takes it per group; cut back on failure.
    fn write_group(&self, lines: &[&[u8]]) -> io::Result<()> {
        let file = &self.file;
        if self.lock == FileLock::EachCommit {
            file.lock()?;
        }
        let result = (|| {
            let start = file.metadata()?.len();
            let size: usize = lines.iter().map(|l| l.len() + 1).sum();
            let mut piece = Vec::with_capacity(size + 1);
            if start > 0 {
                let mut last = [0u8; 1];
                file.read_exact_at(&mut last, start - 1)?;
                if last[0] != b'\n' {
                    piece.push(b'\n');
                }
            }
            for line in lines {
                piece.extend_from_slice(line);
                piece.push(b'\n');
            }
            // One write of the whole group on an O_APPEND file, then to disk.
            if let Err(err) = (&*file).write_all(&piece).and_then(|()| file.sync_data()) {
                if let Err(cut) = file.set_len(start).and_then(|()| file.sync_data()) {
                    tracing::warn!("cannot cut a partial group of lines back: {cut}");
                }
                return Err(err);
            }
            self.syncs.fetch_add(1, Ordering::Relaxed);
            self.lines.fetch_add(lines.len() as u64, Ordering::Relaxed);
            Ok(())
        })();
        if self.lock == FileLock::EachCommit {
            let unlocked = file.unlock();
            return result.and(unlocked);
        }
        result
    }
}

/// The leader's duty, done also when writing panicked: hand every writer of
/// the group its result (an error when there is none) and let the next
/// leader in. Without it a panic mid-write would leave the others waiting
/// for ever.
struct Leader<'a> {
    commit: &'a GroupCommit,
    tickets: Vec<u64>,
    result: Option<Result<(), Failed>>,
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        let result = self.result.take().unwrap_or_else(|| {
            Err(Failed {
                kind: io::ErrorKind::Other,
                message: "the writer of this group of lines stopped midway".to_owned(),
            })
        });
        let mut queue = self.commit.queue();
        for ticket in self.tickets.drain(..) {
            queue.done.push((ticket, result.clone()));
        }
        queue.writing = false;
        drop(queue);
        self.commit.turn.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    fn open(path: &std::path::Path) -> File {
        crate::paths::open_private_append(path).expect("open")
    }

    #[test]
    fn a_lone_writer_syncs_each_line_and_every_line_is_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log.jsonl");
        let commit = GroupCommit::new(open(&path), FileLock::EachCommit);
        for i in 0..5 {
            commit.append(format!("{{\"n\":{i}}}").as_bytes()).expect("append");
        }
        assert_eq!(commit.syncs(), 5, "nobody to share with: one fsync per line");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n");
    }

    /// Writers that arrive together share fsyncs, and each line is on disk
    /// (in the file, whole) when its writer returns.
    #[test]
    fn writers_arriving_together_share_fsyncs_and_each_returns_after_its_line_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log.jsonl");
        let commit = Arc::new(GroupCommit::new(open(&path), FileLock::EachCommit));
        let threads = 8;
        let rounds = 25;
        let start = Arc::new(Barrier::new(threads));
        let writers: Vec<_> = (0..threads)
            .map(|n| {
                let commit = Arc::clone(&commit);
                let start = Arc::clone(&start);
                let path = path.clone();
                std::thread::spawn(move || {
                    start.wait();
                    for i in 0..rounds {
                        let line = format!("{{\"writer\":{n},\"i\":{i},\"pad\":\"{}\"}}", "x".repeat(700));
                        commit.append(line.as_bytes()).expect("append");
                        // Returned: the line is in the file.
                        let text = std::fs::read_to_string(&path).expect("read");
                        assert!(
                            text.lines().any(|l| l == line),
                            "line {n}/{i} not in the file on return"
                        );
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("writer");
        }
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), threads * rounds);
        assert!(
            text.lines()
                .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
        );
        assert_eq!(commit.lines(), (threads * rounds) as u64);
        assert!(
            commit.syncs() < (threads * rounds) as u64,
            "{} fsyncs for {} lines: nothing was shared",
            commit.syncs(),
            threads * rounds
        );
    }

    #[test]
    fn a_part_of_a_line_left_behind_is_closed_before_the_next_group() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log.jsonl");
        std::fs::write(&path, "{\"whole\":1}\n{\"cut\":").expect("plant");
        let commit = GroupCommit::new(open(&path), FileLock::EachCommit);
        commit.append(b"{\"next\":2}").expect("append");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, "{\"whole\":1}\n{\"cut\":\n{\"next\":2}\n");
    }

    /// A full disk fails every line of the group, cuts the file back to
    /// where the group started, and the next group (once there is room)
    /// writes whole lines. Needs a small tmpfs, so root (as in CI).
    #[test]
    fn a_failed_group_fails_all_its_writers_and_is_cut_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mount_point = dir.path().join("small");
        std::fs::create_dir(&mount_point).expect("mkdir");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=16k,mode=0700", "tmpfs"])
            .arg(&mount_point)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("a_failed_group_fails_all_its_writers_and_is_cut_back: cannot mount a tmpfs (not root); not run");
            return;
        }
        struct Unmount(std::path::PathBuf);
        impl Drop for Unmount {
            fn drop(&mut self) {
                let _ = std::process::Command::new("umount").arg(&self.0).status();
            }
        }
        let _unmount = Unmount(mount_point.clone());
        let path = mount_point.join("log.jsonl");
        let commit = Arc::new(GroupCommit::new(open(&path), FileLock::EachCommit));
        commit.append(b"{\"first\":1}").expect("fits");
        let before = std::fs::read(&path).expect("read");
        let filler = mount_point.join("filler");
        {
            let mut file = File::create(&filler).expect("filler");
            while file.write_all(&[b'x'; 256]).is_ok() {}
        }
        let big = format!("{{\"big\":\"{}\"}}", "y".repeat(6000));
        let results: Vec<io::Result<()>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let commit = Arc::clone(&commit);
                    let big = big.clone();
                    scope.spawn(move || commit.append(big.as_bytes()))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(io::Error::other("panicked"))))
                .collect()
        });
        assert!(results.iter().all(Result::is_err), "no line fits: {results:?}");
        assert_eq!(std::fs::read(&path).expect("read"), before, "cut back to where it was");
        std::fs::remove_file(&filler).expect("free the disk");
        commit.append(b"{\"after\":3}").expect("room again");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, "{\"first\":1}\n{\"after\":3}\n");
    }
}
