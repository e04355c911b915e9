//! Form content that survives a dropped SSH session.
//!
//! While a form is open its content is saved to
//! `<root>/<profile>/<identity id>.json` (root: `$XDG_STATE_HOME/idcon/drafts`),
//! and offered again on the next start. Drafts are private to their user (files
//! 0600, folders 0700), written atomically (a temp file in the same folder,
//! synced, then renamed) so a crash mid-save leaves the previous draft intact,
//! and never hold a secret: [`DraftStore::save`] refuses content with a
//! secret-looking member, also inside form text (read as JSON, or half-typed
//! JSON as far as it goes: [`text_secrets`]); the caller must strip it first
//! (`crate::app::drafting` puts placeholders in: [`server_placeholder`] for the
//! server's own unchanged value, restored from the server, and [`NOT_SAVED`]
//! for a secret that was typed).
//!
//! Profile names and identity ids come from config files and servers, so they
//! are escaped into file names that cannot leave the folder (`..`, `/`, NUL).

use std::fs::{self, File};
use std::io::{self, Read};
use std::ops::Range;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::models::{is_secret_member, looks_like_password_hash};
use crate::diff;

/// Stands in a draft's text for a secret that was typed into the form (a
/// `password` member, a password hash, a new token): it is never written
/// down, and the restored form says it must be typed again.
pub const NOT_SAVED: &str = "<secret not saved>";

/// Stands in a draft's text for the `n`th (from 1) secret that is the
/// server's own value (the identity's issuance token, unchanged): the draft
/// keeps only where it came from, and a restore puts the server's current
/// value back.
pub fn server_placeholder(n: usize) -> String {
    format!("<redacted {n}>")
}

/// True for the stand-ins above (and the plain `<redacted>`).
pub fn is_placeholder(text: &str) -> bool {
    text == NOT_SAVED
        || text == diff::REDACTED
        || text
            .strip_prefix("<redacted ")
            .and_then(|rest| rest.strip_suffix('>'))
            .is_some_and(|n| n.parse::<usize>().is_ok())
}

/// Longest escaped profile or identity id accepted, well under the 255-byte
/// file name limit once `.json` and a temp suffix are added.
const MAX_NAME_BYTES: usize = 200;

/// Larger draft files are refused rather than read into memory.
const MAX_DRAFT_BYTES: u64 = 16 * 1024 * 1024;

/// A form's content, saved to be restored later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub profile: String,
    pub identity_id: String,
    /// Which form: "traits", "metadata", "state", "credentials", "attribute", ...
    pub form: String,
    /// The form content, never a password or hash.
    pub content: Value,
    /// `updated_at` of the identity the form was opened on, to tell whether the
    /// server changed since.
    #[serde(default)]
    pub base_updated_at: Option<String>,
    /// RFC 3339, UTC.
    pub saved_at: String,
    /// The identity's primary identifier when the draft was saved (what it
    /// signs in with), so the drafts list names a person, not only a UUID.
    /// Drafts saved before it was recorded have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// The identity's name when the draft was saved, as [`Draft::identifier`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Draft {
    /// A draft stamped with the current time.
    pub fn new(profile: &str, identity_id: &str, form: &str, content: Value, base_updated_at: Option<String>) -> Self {
        Draft {
            profile: profile.to_owned(),
            identity_id: identity_id.to_owned(),
            form: form.to_owned(),
            content,
            base_updated_at,
            saved_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            identifier: None,
            name: None,
        }
    }

    /// The same draft, naming whom it is for (`crate::who`'s primary
    /// identifier and name, read when it is saved).
    pub fn naming(mut self, identifier: Option<String>, name: Option<String>) -> Self {
        self.identifier = identifier;
        self.name = name;
        self
    }
}

/// Why a draft could not be saved, read or removed. Each message names the
/// value or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("cannot keep a draft for {what} {value:?}: {reason}")]
    InvalidName {
        what: &'static str,
        /// Shortened and made safe for display.
        value: String,
        reason: &'static str,
    },
    #[error(
        "refusing to save a draft that holds a secret at {pointer} (passwords and hashes never go to disk; remove it first)"
    )]
    Secret { pointer: String },
    #[error("draft {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("draft {path} is damaged and was left in place: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("refusing draft folder or file {path}: it is writable by group or others (mode {mode:o})")]
    Shared { path: PathBuf, mode: u32 },
}

/// Drafts found by [`DraftStore::scan`], and the files that could not be read.
#[derive(Debug, Default)]
pub struct DraftScan {
    pub drafts: Vec<Draft>,
    pub problems: Vec<DraftError>,
}

/// The drafts folder of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftStore {
    root: PathBuf,
}

impl DraftStore {
    pub fn new(root: PathBuf) -> Self {
        DraftStore { root }
    }

    /// `$XDG_STATE_HOME/idcon/drafts`.
    pub fn default_root() -> Option<PathBuf> {
        crate::paths::state_dir().map(|dir| dir.join("drafts"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the draft of this identity lives.
    pub fn path_for(&self, profile: &str, identity_id: &str) -> Result<PathBuf, DraftError> {
        let folder = self.root.join(file_name("profile", profile)?);
        Ok(folder.join(format!("{}.json", file_name("identity id", identity_id)?)))
    }

    /// Saves (replacing) the draft of `draft.identity_id` atomically.
    pub fn save(&self, draft: &Draft) -> Result<(), DraftError> {
        refuse_secrets(draft)?;
        let path = self.path_for(&draft.profile, &draft.identity_id)?;
        let folder = path.parent().unwrap_or(&self.root).to_owned();
        let io_error = |path: &Path| {
            let path = path.to_owned();
            move |source| DraftError::Io { path, source }
        };
        crate::paths::create_private_dir(&folder).map_err(io_error(&folder))?;
        refuse_shared(&self.root)?;
        refuse_shared(&folder)?;
        let mut bytes = crate::sanitize::json_inert_pretty(draft)
            .map_err(|e| io_error(&path)(io::Error::other(e)))?
            .into_bytes();
        bytes.push(b'\n');
        crate::paths::write_private_atomically(&path, &bytes).map_err(io_error(&path))
    }

    /// The draft of this identity, if there is one. A damaged file is an
    /// error naming it, and stays where it is for a person to look at.
    pub fn load(&self, profile: &str, identity_id: &str) -> Result<Option<Draft>, DraftError> {
        let path = self.path_for(profile, identity_id)?;
        let Some(draft) = read_draft(&path)? else {
            return Ok(None);
        };
        if draft.profile != profile || draft.identity_id != identity_id {
            return Err(DraftError::Corrupt {
                path,
                message: format!(
                    "it belongs to identity {:?} of profile {:?}",
                    crate::sanitize::for_display(&draft.identity_id),
                    crate::sanitize::for_display(&draft.profile)
                ),
            });
        }
        Ok(Some(draft))
    }

    /// All drafts (of one profile, or of all), oldest first. Damaged files are
    /// skipped with a warning; [`DraftStore::scan`] reports them.
    pub fn list(&self, profile: Option<&str>) -> Result<Vec<Draft>, DraftError> {
        let scan = self.scan(profile)?;
        for problem in &scan.problems {
            tracing::warn!("{problem}");
        }
        Ok(scan.drafts)
    }

    /// Like [`DraftStore::list`], with the files that could not be read.
    pub fn scan(&self, profile: Option<&str>) -> Result<DraftScan, DraftError> {
        let folders = match profile {
            Some(profile) => vec![self.root.join(file_name("profile", profile)?)],
            None => list_dir(&self.root)?
                .into_iter()
                .filter(|path| is_own_name(path) && path.is_dir())
                .collect(),
        };
        let mut scan = DraftScan::default();
        for folder in folders {
            for path in list_dir(&folder)? {
                let is_draft = is_own_name(&path) && path.extension().is_some_and(|ext| ext == "json");
                if !is_draft {
                    continue;
                }
                match read_draft(&path) {
                    Ok(Some(draft)) => scan.drafts.push(draft),
                    Ok(None) => {}
                    Err(err) => scan.problems.push(err),
                }
            }
        }
        scan.drafts.sort_by(|a, b| a.saved_at.cmp(&b.saved_at));
        Ok(scan)
    }

    /// Forgets the draft of this identity (after a successful write, or when
    /// the user discards it). No draft is not an error.
    pub fn remove(&self, profile: &str, identity_id: &str) -> Result<(), DraftError> {
        let path = self.path_for(profile, identity_id)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(DraftError::Io { path, source }),
        }
    }
}

/// Escapes `value` into one safe file name: ASCII letters, digits, `-`, `_`
/// and (not first) `.` stay; every other byte becomes `%XX`. The result never
/// starts with a dot (so never `.` or `..`, nor a hidden temp file) and never
/// holds a `/`. Empty, NUL-holding and overlong values are refused.
pub fn file_name(what: &'static str, value: &str) -> Result<String, DraftError> {
    let invalid = |reason| DraftError::InvalidName {
        what,
        value: crate::sanitize::for_display(&value.chars().take(60).collect::<String>()).into_owned(),
        reason,
    };
    if value.is_empty() {
        return Err(invalid("it is empty"));
    }
    if value.contains('\0') {
        return Err(invalid("it holds a NUL character"));
    }
    let mut name = String::with_capacity(value.len());
    for (index, byte) in value.bytes().enumerate() {
        let keep = byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' || (byte == b'.' && index > 0);
        if keep {
            name.push(char::from(byte));
        } else {
            name.push_str(&format!("%{byte:02X}"));
        }
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(invalid("it is too long"));
    }
    Ok(name)
}

/// Names this store writes never start with a dot; temp files do.
fn is_own_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| !name.starts_with('.'))
}

fn refuse_secrets(draft: &Draft) -> Result<(), DraftError> {
    let form = diff::escape_token(&draft.form);
    // Form text is saved as typed: read it as JSON to see what it holds.
    if let Some(members) = draft.content.as_object() {
        for (key, value) in members {
            let Some(text) = value.as_str() else {
                continue;
            };
            if let Some(found) = text_secrets(text, &text_member(&draft.form, key), None).first() {
                return Err(DraftError::Secret {
                    pointer: format!("/{}{}", diff::escape_token(key), found.pointer),
                });
            }
        }
    }
    // Judged both inside the form and as a member of the identity
    // (`/credentials/...`), whichever is stricter.
    for pointer in diff::pointers(&draft.content) {
        if diff::is_secret_pointer(&pointer) || diff::is_secret_pointer(&format!("/{form}{pointer}")) {
            return Err(DraftError::Secret { pointer });
        }
    }
    if let Some(pointer) = find_hash_value("", &draft.content) {
        return Err(DraftError::Secret {
            pointer: if pointer.is_empty() { "/".to_owned() } else { pointer },
        });
    }
    Ok(())
}

/// The pointer of a string that looks like a password hash.
fn find_hash_value(pointer: &str, value: &Value) -> Option<String> {
    match value {
        Value::String(text) => looks_like_password_hash(text).then(|| pointer.to_owned()),
        Value::Object(map) => map
            .iter()
            .find_map(|(key, child)| find_hash_value(&format!("{pointer}/{}", diff::escape_token(key)), child)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, child)| find_hash_value(&format!("{pointer}/{index}"), child)),
        _ => None,
    }
}

/// The identity member a draft's text member edits: `admin_text` of the
/// metadata form is `/metadata_admin`, `text` of the traits form `/traits`.
pub fn text_member(form: &str, key: &str) -> String {
    match (form, key) {
        ("metadata", "admin_text") => "/metadata_admin".to_owned(),
        ("metadata", "public_text") => "/metadata_public".to_owned(),
        (form, _) => format!("/{}", diff::escape_token(form)),
    }
}

/// One scalar value of form text: where it stands (a pointer relative to the
/// text's document), its bytes in the text, and its value (a string
/// decoded, anything else as written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextScalar {
    pub pointer: String,
    pub span: Range<usize>,
    pub value: String,
    pub is_string: bool,
}

/// A container open at some point of the text.
enum Frame {
    Object { key: Option<String>, in_value: bool },
    Array { index: usize },
}

/// Every scalar value of `text`, which is JSON or half-typed JSON (read as
/// far as it goes: an unterminated string runs to the end, a stray bracket
/// closes what is open), with its pointer and byte span.
pub fn text_scalars(text: &str) -> Vec<TextScalar> {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'{' => {
                stack.push(Frame::Object {
                    key: None,
                    in_value: false,
                });
                i += 1;
            }
            b'[' => {
                stack.push(Frame::Array { index: 0 });
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                i += 1;
            }
            b',' => {
                match stack.last_mut() {
                    Some(Frame::Array { index }) => *index += 1,
                    Some(Frame::Object { key, in_value }) => {
                        *key = None;
                        *in_value = false;
                    }
                    None => {}
                }
                i += 1;
            }
            b':' => {
                if let Some(Frame::Object { in_value, .. }) = stack.last_mut() {
                    *in_value = true;
                }
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                // Quotes and backslashes are ASCII: the end is a char boundary
                // (or the end of the text).
                let end = i.min(bytes.len());
                let literal = text.get(start..end).unwrap_or_default();
                let value = serde_json::from_str::<String>(literal).unwrap_or_else(|_| {
                    let inner = literal.strip_prefix('"').unwrap_or(literal);
                    inner.strip_suffix('"').unwrap_or(inner).to_owned()
                });
                match stack.last_mut() {
                    Some(Frame::Object { key, in_value: false }) => *key = Some(value),
                    _ => out.push(TextScalar {
                        pointer: pointer_of(&stack),
                        span: start..end,
                        value,
                        is_string: true,
                    }),
                }
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(
                        bytes[i],
                        b' ' | b'\t' | b'\n' | b'\r' | b',' | b'}' | b']' | b':' | b'"' | b'{' | b'['
                    )
                {
                    i += 1;
                }
                let in_value = !matches!(stack.last(), Some(Frame::Object { in_value: false, .. }));
                if in_value {
                    out.push(TextScalar {
                        pointer: pointer_of(&stack),
                        span: start..i,
                        value: text.get(start..i).unwrap_or_default().to_owned(),
                        is_string: false,
                    });
                }
            }
        }
    }
    out
}

fn pointer_of(stack: &[Frame]) -> String {
    let mut pointer = String::new();
    for frame in stack {
        match frame {
            Frame::Object {
                key: Some(key),
                in_value: true,
            } => {
                pointer.push('/');
                pointer.push_str(&diff::escape_token(key));
            }
            // A value without a key (half-typed): no member name to judge.
            Frame::Object { .. } => pointer.push_str("/-"),
            Frame::Array { index } => pointer.push_str(&format!("/{index}")),
        }
    }
    pointer
}

/// The scalars of form text that hold a secret: every string or number at a
/// secret member (`member` + its pointer judged by
/// [`crate::api::models::is_secret_member`], `token_pointer` being the
/// profile's `issuance_token_pointer`) and every string that looks like a
/// password hash. Placeholders, `true`, `false` and `null` hold none.
pub fn text_secrets(text: &str, member: &str, token_pointer: Option<&str>) -> Vec<TextScalar> {
    text_scalars(text)
        .into_iter()
        .filter(|scalar| {
            if scalar.is_string && is_placeholder(&scalar.value) {
                return false;
            }
            if !scalar.is_string && matches!(scalar.value.as_str(), "true" | "false" | "null") {
                return false;
            }
            is_secret_member(&format!("{member}{}", scalar.pointer), token_pointer)
                || (scalar.is_string && looks_like_password_hash(&scalar.value))
        })
        .collect()
}

fn refuse_shared(path: &Path) -> Result<(), DraftError> {
    let meta = fs::metadata(path).map_err(|source| DraftError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(DraftError::Shared {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

fn list_dir(folder: &Path) -> Result<Vec<PathBuf>, DraftError> {
    let io_error = |source| DraftError::Io {
        path: folder.to_owned(),
        source,
    };
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(io_error(err)),
    };
    let mut paths = Vec::new();
    for entry in entries {
        paths.push(entry.map_err(io_error)?.path());
    }
    paths.sort();
    Ok(paths)
}

/// Reads one draft file; `None` when there is none.
fn read_draft(path: &Path) -> Result<Option<Draft>, DraftError> {
    let io_error = |source| DraftError::Io {
        path: path.to_owned(),
        source,
    };
    let corrupt = |message: String| DraftError::Corrupt {
        path: path.to_owned(),
        message,
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io_error(err)),
    };
    let meta = file.metadata().map_err(io_error)?;
    if !meta.is_file() {
        return Err(corrupt("it is not a regular file".to_owned()));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(DraftError::Shared {
            path: path.to_owned(),
            mode,
        });
    }
    if meta.len() > MAX_DRAFT_BYTES {
        return Err(corrupt(format!("it is larger than {MAX_DRAFT_BYTES} bytes")));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_DRAFT_BYTES).read_to_end(&mut bytes).map_err(io_error)?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|err| corrupt(format!("not a draft: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_leave_the_folder() {
        assert_eq!(file_name("id", "9f1c-AB_x.y").ok().as_deref(), Some("9f1c-AB_x.y"));
        assert_eq!(file_name("id", "..").ok().as_deref(), Some("%2E."));
        assert_eq!(file_name("id", ".").ok().as_deref(), Some("%2E"));
        assert_eq!(
            file_name("id", "../../etc/passwd").ok().as_deref(),
            Some("%2E.%2F..%2Fetc%2Fpasswd")
        );
        assert_eq!(file_name("id", "é").ok().as_deref(), Some("%C3%A9"));
        assert!(file_name("id", "").is_err());
        assert!(file_name("id", "a\0b").is_err());
        assert!(file_name("id", &"x".repeat(201)).is_err());
        assert!(file_name("id", &"/".repeat(67)).is_err());
        // Distinct values give distinct names.
        assert_ne!(file_name("id", "a%2F").ok(), file_name("id", "a/").ok());
    }

    #[test]
    fn form_text_is_read_as_far_as_it_goes() {
        let text = r#"{"a": {"password": "p\"w", "n": [1, "x"]}, "t": true, "h": "$2b$12$abc", "open": "unterminated"#;
        let scalars = text_scalars(text);
        let found: Vec<(&str, &str, bool)> = scalars
            .iter()
            .map(|s| (s.pointer.as_str(), s.value.as_str(), s.is_string))
            .collect();
        assert_eq!(
            found,
            vec![
                ("/a/password", "p\"w", true),
                ("/a/n/0", "1", false),
                ("/a/n/1", "x", true),
                ("/t", "true", false),
                ("/h", "$2b$12$abc", true),
                ("/open", "unterminated", true),
            ]
        );
        assert_eq!(&text[scalars[0].span.clone()], r#""p\"w""#);
        let secrets: Vec<String> = text_secrets(text, "/traits", None)
            .into_iter()
            .map(|s| s.pointer)
            .collect();
        assert_eq!(secrets, vec!["/a/password", "/h"]);
        // The profile's own pointer, wherever it is.
        let custom = text_secrets(
            r#"{"yoti_tok": "abc", "x": "<redacted 1>"}"#,
            "/metadata_admin",
            Some("/metadata_admin/yoti_tok"),
        );
        assert_eq!(custom.len(), 1);
        assert!(text_secrets(r#"{"password": "<secret not saved>"}"#, "/traits", None).is_empty());
    }

    #[test]
    fn hash_values_are_found_wherever_they_are() {
        let content = serde_json::json!({"a": [{"b": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"}]});
        assert_eq!(find_hash_value("", &content).as_deref(), Some("/a/0/b"));
        assert_eq!(find_hash_value("", &serde_json::json!({"price": "$5"})), None);
    }
}
