//! Small text helpers shared by the commands, the console and `main`: one
//! copy each, so that "one line", "shortened" and "fits a column" mean the
//! same everywhere. No I/O and no other module of the crate but
//! [`crate::sanitize`], so any module may use it without an import cycle.

/// `text` on one line: line breaks become spaces. Nothing else changes;
/// callers that draw it make it safe themselves (the console's app layer
/// sanitises every string it shows).
pub fn single_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// `text` on one line with every terminal control made visible (JSON-style
/// escapes, see [`crate::sanitize::for_display`]): safe to print as it is.
pub fn one_line(text: &str) -> String {
    crate::sanitize::for_display(&single_line(text)).into_owned()
}

/// An error and its causes as one line ("what: why: why"), the way every
/// failure of a subcommand reaches the user. A cause that merely repeats the
/// tail of what is already said is left out.
pub fn error_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for (i, cause) in err.chain().enumerate() {
        let text = cause.to_string();
        if i > 0 {
            if line.ends_with(&text) {
                continue;
            }
            line.push_str(": ");
        }
        line.push_str(text.trim());
    }
    single_line(&line)
}

/// `text` cut to its first `max` characters followed by `…` when longer.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// At most `width` characters, the `…` where it was cut included: for table
/// columns.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        shorten(text, width.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_shortened_with_an_ellipsis() {
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("ééé", 2), "éé…");
    }

    #[test]
    fn fitting_counts_the_ellipsis_in_the_width() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abcd", 4), "abcd");
        assert_eq!(fit("ab", 0), "…");
    }

    #[test]
    fn one_line_joins_lines_and_shows_controls() {
        assert_eq!(single_line("a\nb\r\nc"), "a b  c");
        assert_eq!(one_line("a\n\u{1b}[2J"), "a \\u001b[2J");
    }

    #[test]
    fn an_error_chain_is_one_line_without_repeats() {
        let err = anyhow::anyhow!("disk full").context("cannot write x: disk full");
        assert_eq!(error_line(&err), "cannot write x: disk full");
        let err = anyhow::anyhow!("no such file\n(os error 2)").context("cannot read config");
        assert_eq!(error_line(&err), "cannot read config: no such file (os error 2)");
    }
}
