//! Styled text as plain data: what the detail and response views show, built
//! once when the data arrives so that scrolling knows the length and `ui/` only
//! maps tones to colours.

use serde_json::Value;

/// What a piece of text is, so the theme can colour it (or, with `NO_COLOR`,
/// not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Label,
    Muted,
    Key,
    Str,
    Number,
    Literal,
    Good,
    Bad,
    Heading,
}

/// One line: a run of toned pieces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StyledLine(pub Vec<(Tone, String)>);

impl StyledLine {
    pub fn plain(text: impl Into<String>) -> Self {
        Self(vec![(Tone::Plain, text.into())])
    }
    pub fn toned(tone: Tone, text: impl Into<String>) -> Self {
        Self(vec![(tone, text.into())])
    }
    /// `label: value` with the label padded so values line up.
    pub fn field(label: &str, value: impl Into<String>, tone: Tone) -> Self {
        Self(vec![(Tone::Label, format!("{label:<18}")), (tone, value.into())])
    }
    pub fn push(&mut self, tone: Tone, text: impl Into<String>) {
        self.0.push((tone, text.into()));
    }
    /// The text without styles (tests and width measuring).
    pub fn text(&self) -> String {
        self.0.iter().map(|(_, t)| t.as_str()).collect()
    }
}

/// Pretty-prints JSON as toned lines. Keys and strings are JSON-escaped and
/// then sanitised, so C1 controls and bidi characters (which JSON leaves raw)
/// show as visible escapes.
pub fn json_lines(value: &Value) -> Vec<StyledLine> {
    let mut out = Vec::new();
    let mut first = StyledLine::default();
    write_value(value, 0, &mut first, &mut out);
    out.push(first);
    out
}

/// A JSON string as JSON writes it, with every unsafe character JSON leaves
/// raw (C1, bidi, invisible ones) as a `\uXXXX` escape too: the same style
/// as the editors.
fn escaped(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}"));
    crate::sanitize::json_inert(&quoted)
}

fn indent(level: usize) -> String {
    "  ".repeat(level)
}

/// Writes `value` continuing `line`; finished lines go to `out`, the last open
/// line stays in `line` so the caller can append a comma.
fn write_value(value: &Value, level: usize, line: &mut StyledLine, out: &mut Vec<StyledLine>) {
    match value {
        Value::Null => line.push(Tone::Literal, "null"),
        Value::Bool(b) => line.push(Tone::Literal, b.to_string()),
        Value::Number(n) => line.push(Tone::Number, n.to_string()),
        Value::String(s) => line.push(Tone::Str, escaped(s)),
        Value::Array(items) if items.is_empty() => line.push(Tone::Plain, "[]"),
        Value::Object(map) if map.is_empty() => line.push(Tone::Plain, "{}"),
        Value::Array(items) => {
            line.push(Tone::Plain, "[");
            out.push(std::mem::take(line));
            for (i, item) in items.iter().enumerate() {
                line.push(Tone::Plain, indent(level + 1));
                write_value(item, level + 1, line, out);
                if i + 1 < items.len() {
                    line.push(Tone::Plain, ",");
                }
                out.push(std::mem::take(line));
            }
            line.push(Tone::Plain, format!("{}]", indent(level)));
        }
        Value::Object(map) => {
            line.push(Tone::Plain, "{");
            out.push(std::mem::take(line));
            let count = map.len();
            for (i, (key, item)) in map.iter().enumerate() {
                line.push(Tone::Plain, indent(level + 1));
                line.push(Tone::Key, escaped(key));
                line.push(Tone::Plain, ": ");
                write_value(item, level + 1, line, out);
                if i + 1 < count {
                    line.push(Tone::Plain, ",");
                }
                out.push(std::mem::take(line));
            }
            line.push(Tone::Plain, format!("{}}}", indent(level)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pretty_json_matches_serde_layout() {
        let value = json!({"a": 1, "b": [true, null, "x"], "c": {}, "d": {"e": "f"}});
        let ours: Vec<String> = json_lines(&value).iter().map(StyledLine::text).collect();
        let theirs = serde_json::to_string_pretty(&value).unwrap_or_default();
        assert_eq!(ours.join("\n"), theirs);
    }

    #[test]
    fn hostile_strings_are_visible_escapes() {
        let value = json!({"k\u{9b}": "a\u{1b}[2J\u{7f}\u{202e}"});
        let text: String = json_lines(&value).iter().map(StyledLine::text).collect();
        assert!(!text.chars().any(|c| c.is_control()), "{text:?}");
        assert!(text.contains("\\u009b"));
        assert!(text.contains("\\u001b[2J"));
        assert!(text.contains("\\u007f"));
        assert!(text.contains("\\u202e"));
    }
}
