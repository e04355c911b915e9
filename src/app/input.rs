//! Single-line text inputs for forms: plain (provider, subject, hash) and
//! secret (passwords), which never show, log or persist their content.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use zeroize::Zeroize;

/// A one-line input with a cursor (in characters).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextInput {
    text: String,
    cursor: usize,
}

impl TextInput {
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn set(&mut self, text: &str) {
        self.text = text.to_owned();
        self.cursor = self.text.chars().count();
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text.char_indices().nth(chars).map_or(self.text.len(), |(i, _)| i)
    }

    /// Inserts typed or pasted text; control characters are dropped.
    pub fn insert(&mut self, text: &str) {
        for c in text.chars().filter(|c| !crate::sanitize::is_unsafe(*c)) {
            let at = self.byte_at(self.cursor);
            self.text.insert(at, c);
            self.cursor += 1;
        }
    }

    /// Applies an editing key, and says what it did: forms check a field
    /// again only when its text changed (a cursor move leaves its error).
    pub fn on_key(&mut self, key: KeyEvent) -> KeyEffect {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.text.chars().count();
        match key.code {
            KeyCode::Char('u') if ctrl => {
                if self.cursor == 0 {
                    return KeyEffect::Moved;
                }
                let at = self.byte_at(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
                KeyEffect::Changed
            }
            KeyCode::Char('a') if ctrl => {
                self.cursor = 0;
                KeyEffect::Moved
            }
            KeyCode::Char('e') if ctrl => {
                self.cursor = len;
                KeyEffect::Moved
            }
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
                self.insert(&c.to_string());
                if self.text.chars().count() == len {
                    KeyEffect::Moved // a control character, dropped
                } else {
                    KeyEffect::Changed
                }
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
                KeyEffect::Changed
            }
            KeyCode::Delete if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
                KeyEffect::Changed
            }
            KeyCode::Left => {
                self.cursor = self.cursor.saturating_sub(1);
                KeyEffect::Moved
            }
            KeyCode::Right => {
                self.cursor = (self.cursor + 1).min(len);
                KeyEffect::Moved
            }
            KeyCode::Home => {
                self.cursor = 0;
                KeyEffect::Moved
            }
            KeyCode::End => {
                self.cursor = len;
                KeyEffect::Moved
            }
            KeyCode::Backspace | KeyCode::Delete => KeyEffect::Moved,
            _ => KeyEffect::Ignored,
        }
    }
}

/// What a key did to a one-line input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyEffect {
    /// Not an editing key.
    Ignored,
    /// An editing key that left the text as it was (a cursor move).
    Moved,
    /// The text changed.
    Changed,
}

/// A password: shown only as a count of bullets, never in `Debug`, wiped from
/// memory when dropped or cleared.
#[derive(Default, PartialEq)]
pub struct SecretInput {
    inner: TextInput,
}

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SecretInput(<{} chars hidden>, cursor {})",
            self.len(),
            self.cursor()
        )
    }
}

impl SecretInput {
    pub fn len(&self) -> usize {
        self.inner.text().chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.text().is_empty()
    }

    pub fn cursor(&self) -> usize {
        self.inner.cursor()
    }

    /// The secret itself, for hashing or the import body only.
    pub fn expose(&self) -> &str {
        self.inner.text()
    }

    pub fn masked(&self) -> String {
        "•".repeat(self.len())
    }

    pub fn on_key(&mut self, key: KeyEvent) -> KeyEffect {
        self.inner.on_key(key)
    }

    pub fn insert(&mut self, text: &str) {
        self.inner.insert(text);
    }

    pub fn clear(&mut self) {
        self.inner.text.zeroize();
        self.inner.cursor = 0;
    }
}

impl Drop for SecretInput {
    fn drop(&mut self) {
        self.inner.text.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn editing_keys() {
        let mut input = TextInput::default();
        input.insert("gogle");
        assert_eq!(input.on_key(key(KeyCode::Left)), KeyEffect::Moved);
        input.on_key(key(KeyCode::Left));
        input.on_key(key(KeyCode::Left));
        assert_eq!(input.on_key(key(KeyCode::Char('o'))), KeyEffect::Changed);
        assert_eq!(input.text(), "google");
        input.on_key(key(KeyCode::End));
        assert_eq!(
            input.on_key(key(KeyCode::Delete)),
            KeyEffect::Moved,
            "nothing after the cursor"
        );
        assert_eq!(input.on_key(key(KeyCode::Backspace)), KeyEffect::Changed);
        assert_eq!(input.text(), "googl");
        assert_eq!(input.on_key(key(KeyCode::F(2))), KeyEffect::Ignored);
        input.insert("\u{1b}[2Je\n");
        assert_eq!(input.text(), "googl[2Je", "control characters never enter");
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let mut secret = SecretInput::default();
        secret.insert("hunter2");
        assert_eq!(secret.masked(), "•••••••");
        assert!(!format!("{secret:?}").contains("hunter2"));
        secret.clear();
        assert!(secret.is_empty());
    }
}
