//! Copying to the clipboard with OSC 52, which works over SSH because the
//! user's own terminal does the copy. Inside tmux and GNU screen the sequence
//! is wrapped in their pass-through so it reaches the outer terminal.

use base64::Engine as _;

/// Which multiplexer, if any, sits between idcon and the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Multiplexer {
    None,
    Tmux,
    Screen,
}

impl Multiplexer {
    pub fn detect() -> Self {
        if std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()) {
            Multiplexer::Tmux
        } else if std::env::var_os("STY").is_some_and(|v| !v.is_empty())
            || std::env::var("TERM").is_ok_and(|t| t.starts_with("screen"))
        {
            Multiplexer::Screen
        } else {
            Multiplexer::None
        }
    }
}

/// The bytes that put `text` on the system clipboard.
pub fn osc52(text: &str, multiplexer: Multiplexer) -> Vec<u8> {
    let payload = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let osc = format!("\x1b]52;c;{payload}\x07");
    let wrapped = match multiplexer {
        Multiplexer::None => osc,
        // tmux pass-through: every ESC inside is doubled.
        Multiplexer::Tmux => format!("\x1bPtmux;{}\x1b\\", osc.replace('\x1b', "\x1b\x1b")),
        Multiplexer::Screen => format!("\x1bP{osc}\x1b\\"),
    };
    wrapped.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_wrapped_sequences() {
        assert_eq!(osc52("id", Multiplexer::None), b"\x1b]52;c;aWQ=\x07");
        assert_eq!(
            osc52("id", Multiplexer::Tmux),
            b"\x1bPtmux;\x1b\x1b]52;c;aWQ=\x07\x1b\\"
        );
        assert_eq!(osc52("id", Multiplexer::Screen), b"\x1bP\x1b]52;c;aWQ=\x07\x1b\\");
    }
}
