//! Form content that survives a dropped SSH session.
//!
//! While a form is open its content is saved to
//! `<root>/<profile>/<identity id>.json` (root: `$XDG_STATE_HOME/idcon/drafts`),
//! and offered again on the next start. Drafts are private to their user (files
//! 0600, folders 0700), written atomically (a temp file in the same folder,
//! synced, then renamed) so a crash mid-save leaves the previous draft intact,
//! and never hold a password or hash: [`DraftStore::save`] refuses content with
//! a secret-looking member, the caller must strip it first.
//!
//! Profile names and identity ids come from config files and servers, so they
//! are escaped into file names that cannot leave the folder (`..`, `/`, NUL).

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diff;

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
        }
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

/// PHC and crypt prefixes of the password hashes Kratos imports.
const HASH_PREFIXES: &[&str] = &[
    "$argon2",
    "$2a$",
    "$2b$",
    "$2x$",
    "$2y$",
    "$pbkdf2",
    "$scrypt",
    "$firescrypt",
    "$sha",
    "$md5",
    "$ssha",
    "$1$",
    "$5$",
    "$6$",
    "{SSHA",
    "{SHA",
];

fn refuse_secrets(draft: &Draft) -> Result<(), DraftError> {
    let form = diff::escape_token(&draft.form);
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
        Value::String(text) => HASH_PREFIXES
            .iter()
            .any(|prefix| text.trim_start().starts_with(prefix))
            .then(|| pointer.to_owned()),
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
    fn hash_values_are_found_wherever_they_are() {
        let content = serde_json::json!({"a": [{"b": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"}]});
        assert_eq!(find_hash_value("", &content).as_deref(), Some("/a/0/b"));
        assert_eq!(find_hash_value("", &serde_json::json!({"price": "$5"})), None);
    }
}
