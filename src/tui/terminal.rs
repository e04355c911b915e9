//! Owning the terminal: raw mode, alternate screen and bracketed paste on the
//! way in, and a restore that runs on every way out (normal exit, error, panic,
//! SIGTERM, SIGHUP, SIGINT).
//!
//! Frames go through [`FrameWriter`], which buffers everything ratatui writes
//! for one frame and sends it wrapped in synchronized-output markers (DEC mode
//! 2026), so tmux and slow links never show half a frame, and sends nothing at
//! all when the frame did not change.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};

/// Begin / end synchronized update (DEC private mode 2026).
const SYNC_BEGIN: &[u8] = b"\x1b[?2026h";
const SYNC_END: &[u8] = b"\x1b[?2026l";

/// Set while the terminal is in raw mode / alternate screen, so the restore
/// runs once whoever calls it first (panic hook, signal, drop).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Puts the terminal into the console's mode.
pub fn enter() -> io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen, EnableBracketedPaste)?;
    Ok(())
}

/// Gives the terminal back as it was. Safe to call more than once and from a
/// panic hook.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    // End a synchronized update that a panic may have left open.
    let _ = out.write_all(SYNC_END);
    let _ = execute!(
        out,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

/// Restores the terminal when dropped, so an early return or `?` never leaves
/// the user's shell in raw mode.
pub struct TerminalGuard;

impl TerminalGuard {
    pub fn new() -> io::Result<Self> {
        enter()?;
        Ok(Self)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Installs a panic hook that restores the terminal *first*, then writes the
/// report to the log (via tracing) and finally lets the default hook print it.
pub fn install_panic_hook() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        let backtrace = std::backtrace::Backtrace::force_capture();
        tracing::error!("panic: {info}\n{backtrace}");
        default_hook(info);
    }));
}

/// A writer that collects one frame and emits it in one synchronized write.
pub struct FrameWriter<W: Write> {
    inner: W,
    buffer: Vec<u8>,
    /// Bytes sent to the terminal so far (for measurements).
    pub written: u64,
}

impl<W: Write> FrameWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            buffer: Vec::with_capacity(16 * 1024),
            written: 0,
        }
    }
}

impl<W: Write> Write for FrameWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let mut frame = Vec::with_capacity(self.buffer.len() + SYNC_BEGIN.len() + SYNC_END.len());
        frame.extend_from_slice(SYNC_BEGIN);
        frame.append(&mut self.buffer);
        frame.extend_from_slice(SYNC_END);
        self.inner.write_all(&frame)?;
        self.written += frame.len() as u64;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_wrapped_and_empty_frames_send_nothing() {
        let mut writer = FrameWriter::new(Vec::new());
        writer.flush().ok();
        assert!(writer.inner.is_empty());
        writer.write_all(b"abc").ok();
        writer.flush().ok();
        assert_eq!(writer.inner, b"\x1b[?2026habc\x1b[?2026l");
        assert_eq!(writer.written, 19);
    }
}
