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

    /// Applies an editing key; returns false when the key is not an editing key.
    pub fn on_key(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') if ctrl => {
                let at = self.byte_at(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
            }
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.text.chars().count(),
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
                self.insert(&c.to_string());
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
            }
            KeyCode::Delete if self.cursor < self.text.chars().count() => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.text.chars().count()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.text.chars().count(),
            KeyCode::Backspace | KeyCode::Delete => {}
            _ => return false,
        }
        true
    }
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

    pub fn on_key(&mut self, key: KeyEvent) -> bool {
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
        input.on_key(key(KeyCode::Left));
        input.on_key(key(KeyCode::Left));
        input.on_key(key(KeyCode::Left));
        input.on_key(key(KeyCode::Char('o')));
        assert_eq!(input.text(), "google");
        input.on_key(key(KeyCode::End));
        input.on_key(key(KeyCode::Backspace));
        assert_eq!(input.text(), "googl");
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
