//! Makes untrusted text safe to draw on a terminal.
//!
//! Identity data comes from the server and may hold terminal escape sequences
//! (OSC 52 clipboard writes, title changes, screen clears) or invisible format
//! characters that make a value look like something else (bidi overrides,
//! zero-width joiners). Every string that comes from the server passes through
//! [`for_display`] where it enters display state, so that:
//! - no control code ever reaches the terminal,
//! - a reviewer *sees* that something was there: characters are replaced by a
//!   visible escape rather than dropped, and
//! - an escape can never be confused with the same text typed literally.
//!
//! One escaping style everywhere, JSON's: a character that must not reach the
//! terminal is shown as `\uXXXX` (UTF-16 units, lower-case hex, as the JSON
//! editors show it). In plain text a literal backslash is shown doubled
//! (`\\`), so `\u001b` on screen always means an escape, `\\u001b` the six
//! characters someone typed. In JSON text ([`for_display_multiline`],
//! [`json_inert`]) backslashes are already escaped by JSON itself.
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
        // Hangul fillers: letters that draw nothing.
        | '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}'
        // Combining grapheme joiner, Khmer inherent vowels, Mongolian free
        // variation selectors, braille blank: invisible in names and emails.
        | '\u{034f}' | '\u{17b4}' | '\u{17b5}' | '\u{180b}'..='\u{180d}' | '\u{180f}' | '\u{2800}'
        // Variation selectors (and their supplement).
        | '\u{fe00}'..='\u{fe0f}'
        | '\u{e0100}'..='\u{e01ef}'
    )
}

/// Appends the visible form of one unsafe character: `\uXXXX`, as JSON
/// writes it (two units for a character beyond the BMP).
fn push_escape(out: &mut String, c: char) {
    let mut units = [0u16; 2];
    for unit in c.encode_utf16(&mut units) {
        out.push_str(&format!("\\u{unit:04x}"));
    }
}

/// Returns `text` with every unsafe character replaced by a visible escape
/// and every backslash doubled, so an escape is never mistaken for text.
/// Borrows when there is nothing to replace, which is the common case.
pub fn for_display(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c == '\\' || is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if is_unsafe(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// For JSON text and other multi-line text (pretty JSON, error bodies, a curl
/// command): unsafe characters become `\uXXXX` escapes, line breaks stay so
/// the text can be split into lines, tabs become spaces. Backslashes are left
/// alone: in JSON they are escaped already.
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
            push_escape(&mut out, c);
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
        assert_eq!(shown, "x\\u001b]52;c;ZXZpbA==\\u0007y\\u001b[2J\\u000dz\\u009b31m");
        assert!(!shown.chars().any(|c| c.is_control()));
    }

    #[test]
    fn invisible_format_characters_are_shown() {
        assert_eq!(for_display("a\u{202e}b"), "a\\u202eb");
        assert_eq!(for_display("a\u{200b}b\u{feff}"), "a\\u200bb\\ufeff");
        assert_eq!(for_display("\u{2066}x\u{2069}"), "\\u2066x\\u2069");
        assert_eq!(for_display("del\u{7f}"), "del\\u007f");
        // Fillers and selectors that draw nothing.
        for c in [
            '\u{115f}',
            '\u{1160}',
            '\u{3164}',
            '\u{ffa0}',
            '\u{34f}',
            '\u{fe0f}',
            '\u{e0100}',
        ] {
            let shown = for_display(&format!("a{c}b")).into_owned();
            assert!(shown.starts_with("a\\u") && shown.ends_with('b'), "{c:?}: {shown}");
        }
        // Beyond the BMP: two UTF-16 units, as JSON writes it.
        assert_eq!(for_display("\u{e0041}"), "\\udb40\\udc41");
    }

    #[test]
    fn an_escape_is_never_the_same_as_text_typed_literally() {
        // ESC, and the six characters backslash-u-0-0-1-b typed by someone.
        let escaped = for_display("\u{1b}");
        let typed = for_display("\\u001b");
        assert_ne!(escaped, typed);
        assert_eq!(typed, "\\\\u001b");
        assert_eq!(for_display("C:\\temp"), "C:\\\\temp");
        // A caret is just a caret now.
        assert_eq!(for_display("^[[2J"), "^[[2J");
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
        let shown = for_display_multiline("a\n\tb\r\n\u{1b}c\\\"");
        assert_eq!(shown, "a\n    b\\u000d\n\\u001bc\\\"");
    }
}
