//! Drives the real `idcon` binary in a pseudo-terminal, as a person would:
//! type keys, read the screen back through a vt100 parser, and keep every raw
//! byte the program wrote for checks on what reached the terminal.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// How long a wait may take before the harness gives up and shows the screen.
/// Generous: tests share two cores with the rest of the suite.
pub const WAIT: Duration = Duration::from_secs(15);

fn non_zero(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n.max(1)).unwrap_or(std::num::NonZeroU16::MIN)
}

/// A running console in a pseudo-terminal.
pub struct Console {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    master: Box<dyn MasterPty + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

impl Console {
    /// Starts `idcon` with `args` in a `cols` x `rows` terminal. `env` is added
    /// to a clean environment (HOME and XDG folders should point into a tempdir).
    pub fn spawn(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Console {
        let pty = native_pty_system();
        let pair = match pty.openpty(PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        }) {
            Ok(pair) => pair,
            Err(e) => panic!("openpty: {e}"),
        };
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_idcon"));
        cmd.args(args);
        cmd.env_clear();
        cmd.env("TERM", "xterm-256color");
        cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = match pair.slave.spawn_command(cmd) {
            Ok(child) => child,
            Err(e) => panic!("spawn idcon: {e}"),
        };
        drop(pair.slave);
        let mut reader = match pair.master.try_clone_reader() {
            Ok(r) => r,
            Err(e) => panic!("pty reader: {e}"),
        };
        let writer = match pair.master.take_writer() {
            Ok(w) => w,
            Err(e) => panic!("pty writer: {e}"),
        };
        let parser = Arc::new(Mutex::new(vt100::Parser::new(non_zero(rows), non_zero(cols), 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        {
            let parser = Arc::clone(&parser);
            let raw = Arc::clone(&raw);
            thread::spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if let Ok(mut p) = parser.lock() {
                                p.process(&buf[..n]);
                            }
                            if let Ok(mut r) = raw.lock() {
                                r.extend_from_slice(&buf[..n]);
                            }
                        }
                    }
                }
            });
        }
        Console {
            child,
            writer,
            master: pair.master,
            parser,
            raw,
        }
    }

    /// Sends bytes at once, without waiting after them (for timing).
    pub fn send_now(&mut self, bytes: &[u8]) {
        if let Err(e) = self.writer.write_all(bytes).and_then(|()| self.writer.flush()) {
            panic!("writing to the console: {e}");
        }
    }

    /// Sends bytes as if typed.
    pub fn send(&mut self, bytes: &[u8]) {
        if let Err(e) = self.writer.write_all(bytes).and_then(|()| self.writer.flush()) {
            panic!("writing to the console: {e}");
        }
        // Let the key be read as its own event (Esc sequences must not merge).
        thread::sleep(Duration::from_millis(40));
    }

    pub fn keys(&mut self, text: &str) {
        for c in text.chars() {
            let mut b = [0u8; 4];
            self.send(c.encode_utf8(&mut b).as_bytes());
        }
    }

    pub fn enter(&mut self) {
        self.send(b"\r");
    }

    pub fn esc(&mut self) {
        self.send(b"\x1b");
        thread::sleep(Duration::from_millis(60));
    }

    pub fn tab(&mut self) {
        self.send(b"\t");
    }

    /// Sends `text` in one write, as a fast typist or a terminal replaying
    /// input would: every character still arrives as its own key.
    pub fn type_text(&mut self, text: &str) {
        self.send(text.as_bytes());
    }

    /// Pastes `text` with bracketed-paste markers, as a terminal does.
    pub fn paste(&mut self, text: &str) {
        let mut bytes = b"\x1b[200~".to_vec();
        bytes.extend_from_slice(text.as_bytes());
        bytes.extend_from_slice(b"\x1b[201~");
        self.send(&bytes);
    }

    pub fn back_tab(&mut self) {
        self.send(b"\x1b[Z");
    }

    pub fn ctrl_c(&mut self) {
        self.send(b"\x03");
    }

    /// Resizes the terminal (the program gets SIGWINCH) and the screen model.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        if let Ok(mut p) = self.parser.lock() {
            p.set_size(non_zero(rows), non_zero(cols));
        }
        let size = PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        };
        if let Err(e) = self.master.resize(size) {
            panic!("resizing the pty: {e}");
        }
    }

    /// One row of the screen as text (trailing blanks trimmed).
    pub fn row(&self, row: u16) -> String {
        self.screen()
            .lines()
            .nth(usize::from(row))
            .unwrap_or_default()
            .trim_end()
            .to_owned()
    }

    /// The text of the cells of `row` drawn in reverse video (the selection).
    pub fn inverse_text(&self, row: u16) -> String {
        let Ok(parser) = self.parser.lock() else {
            return String::new();
        };
        let screen = parser.screen();
        let cols = screen.size().1.get();
        (0..cols)
            .filter_map(|col| screen.cell(row, col))
            .filter(|cell| cell.inverse())
            .map(|cell| if cell.has_contents() { cell.contents() } else { " " }.to_owned())
            .collect::<String>()
            .trim()
            .to_owned()
    }

    /// The rows that hold reverse-video text.
    pub fn inverse_rows(&self) -> Vec<u16> {
        let rows = self.parser.lock().map(|p| p.screen().size().0.get()).unwrap_or(0);
        (0..rows).filter(|&r| !self.inverse_text(r).is_empty()).collect()
    }

    /// Whether the program hid the hardware cursor.
    pub fn cursor_hidden(&self) -> bool {
        self.parser.lock().map(|p| p.screen().hide_cursor()).unwrap_or(false)
    }

    /// Whether the terminal is in canonical (cooked) mode with signals on, as
    /// a shell expects it; `false` while the program holds it in raw mode.
    /// `None` when the termios cannot be read.
    pub fn cooked_mode(&self) -> Option<bool> {
        let termios = self.master.get_termios()?;
        // Read through Debug to avoid depending on the nix crate's types.
        let flags = format!("{:?}", termios.local_flags);
        Some(flags.contains("ICANON") && flags.contains("ISIG"))
    }

    /// The process id of the program.
    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// What the program wrote after the first `offset` bytes.
    pub fn raw_since(&self, offset: usize) -> Vec<u8> {
        self.raw
            .lock()
            .map(|r| r.get(offset..).unwrap_or_default().to_vec())
            .unwrap_or_default()
    }

    /// The screen as text, one line per row.
    pub fn screen(&self) -> String {
        match self.parser.lock() {
            Ok(p) => p.screen().contents(),
            Err(_) => String::new(),
        }
    }

    /// Everything the program has written so far.
    pub fn raw_output(&self) -> Vec<u8> {
        self.raw.lock().map(|r| r.clone()).unwrap_or_default()
    }

    pub fn raw_len(&self) -> usize {
        self.raw.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// Waits (bounded) until `predicate` holds for the screen; panics with the
    /// screen when it does not.
    pub fn wait_until(&self, what: &str, timeout: Duration, predicate: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if predicate(&screen) {
                return screen;
            }
            if Instant::now() >= deadline {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), WAIT, |s| s.contains(text))
    }

    /// Waits (bounded) for the program to exit and returns whether it succeeded.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<bool> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.success());
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(25));
        }
    }

    /// The cursor position (row, column) the program left.
    pub fn cursor(&self) -> (u16, u16) {
        self.parser
            .lock()
            .map(|p| p.screen().cursor_position())
            .unwrap_or((0, 0))
    }

    /// Whether the program is still on the alternate screen.
    pub fn alternate_screen(&self) -> bool {
        self.parser
            .lock()
            .map(|p| p.screen().alternate_screen())
            .unwrap_or(false)
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        // Only the child we started, by its own handle.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
