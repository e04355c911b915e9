//! Makes untrusted text safe to draw on a terminal.
//!
//! Identity data comes from the server and may hold terminal escape sequences
//! (OSC 52 clipboard writes, title changes, screen clears) or invisible format
//! characters that make a value look like something else (bidi overrides,
//! zero-width joiners). Every string that comes from the server passes through
//! [`for_display`] where it enters display state, so that:
//! - no control code ever reaches the terminal, and
//! - a reviewer *sees* that something was there: characters are replaced by a
//!   visible escape (`^[`, `^G`, `\u{9b}`, `\u{202e}`) rather than dropped.
//!
//! The raw values are kept elsewhere: a PUT body is built from the server's
//! JSON, never from sanitised text.

use std::borrow::Cow;

/// True for characters that must never be written to a terminal as they are.
pub fn is_unsafe(c: char) -> bool {
    let cp = c as u32;
    // C0 controls (incl. ESC, BEL, CR, LF, TAB), DEL and C1 controls (incl. U+009B CSI).
    if cp < 0x20 || (0x7f..=0x9f).contains(&cp) {
        return true;
    }
    matches!(
        c,
        // Zero-width and invisible joiners/spaces.
        '\u{200b}'..='\u{200f}'
        // Bidi embeddings and overrides, line/paragraph separators.
        | '\u{2028}'..='\u{202e}'
        // Word joiner, invisible operators, bidi isolates, deprecated format chars.
        | '\u{2060}'..='\u{206f}'
        // Byte order mark / zero-width no-break space.
        | '\u{feff}'
        // Interlinear annotation and object replacement controls.
        | '\u{fff9}'..='\u{fffb}'
        // Soft hyphen, Arabic letter mark, Mongolian vowel separator.
        | '\u{00ad}' | '\u{061c}' | '\u{180e}'
        // Tag characters (invisible, used to smuggle text).
        | '\u{e0000}'..='\u{e007f}'
    )
}

/// Appends the visible form of one unsafe character.
fn push_escape(out: &mut String, c: char) {
    let cp = c as u32;
    match cp {
        // Caret notation for C0 and DEL, as terminals and `cat -v` show them.
        0x00..=0x1f => {
            out.push('^');
            out.push(char::from_u32(cp + 0x40).unwrap_or('?'));
        }
        0x7f => out.push_str("^?"),
        _ => {
            out.push_str(&format!("\\u{{{cp:x}}}"));
        }
    }
}

/// Returns `text` with every unsafe character replaced by a visible escape.
/// Borrows when there is nothing to replace, which is the common case.
pub fn for_display(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Like [`for_display`], but keeps line breaks so multi-line text (pretty JSON,
/// error bodies) can be split into lines afterwards. Tabs become spaces.
pub fn for_display_multiline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push_str("    "),
            c if is_unsafe(c) => push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// JSON text (compact or pretty) with every character that could act on a
/// terminal or hide from a reader written as a `\u` escape: the same JSON
/// value, inert when a file is shown with `cat`, `tail -f`, `less` or
/// `journalctl`. serde_json already escapes C0 controls inside strings;
/// outside strings JSON holds only ASCII structure and (pretty) line breaks,
/// so every other unsafe character is inside a string and may be escaped.
pub fn json_inert(json: &str) -> String {
    if !json.chars().any(|c| is_unsafe(c) && c != '\n') {
        return json.to_owned();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) && c != '\n' {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// [`json_inert`] of `value` serialised compactly.
pub fn json_inert_line(value: &impl serde::Serialize) -> Result<String, serde_json::Error> {
    serde_json::to_string(value).map(|json| json_inert(&json))
}

/// [`json_inert`] of `value` pretty-printed.
pub fn json_inert_pretty(value: &impl serde::Serialize) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(value).map(|json| json_inert(&json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let text = "Ana Müller <ana@example.com> 日本";
        assert!(matches!(for_display(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn escape_sequences_become_visible_and_inert() {
        let hostile = "x\u{1b}]52;c;ZXZpbA==\u{7}y\u{1b}[2J\rz\u{9b}31m";
        let shown = for_display(hostile);
        assert_eq!(shown, "x^[]52;c;ZXZpbA==^Gy^[[2J^Mz\\u{9b}31m");
        assert!(!shown.chars().any(|c| c.is_control()));
    }

    #[test]
    fn invisible_format_characters_are_shown() {
        assert_eq!(for_display("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(for_display("a\u{200b}b\u{feff}"), "a\\u{200b}b\\u{feff}");
        assert_eq!(for_display("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
        assert_eq!(for_display("del\u{7f}"), "del^?");
    }

    #[test]
    fn json_written_to_files_is_inert_and_the_same_value() {
        let value = serde_json::json!({"name": "a\u{9b}31m\u{202e}b\u{1b}c", "emoji": "😀"});
        let line = json_inert_line(&value).unwrap_or_default();
        assert!(!line.chars().any(is_unsafe), "{line}");
        assert!(line.contains("\\u009b") && line.contains("\\u202e"), "{line}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&line).ok(), Some(value));
    }

    #[test]
    fn multiline_keeps_newlines_only() {
        let shown = for_display_multiline("a\n\tb\r\n\u{1b}c");
        assert_eq!(shown, "a\n    b^M\n^[c");
    }
}
