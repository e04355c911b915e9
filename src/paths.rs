//! Where idcon keeps its files, following the XDG base directory spec, and how
//! it creates them: folders 0700 and files 0600, because bastion hosts are
//! shared and other users must not read what the console writes.

use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from)
}

fn xdg(var: &str, fallback: &str) -> Option<PathBuf> {
    match std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from) {
        // The spec says relative paths are invalid and must be ignored.
        Some(path) if path.is_absolute() => Some(path),
        _ => home().map(|h| h.join(fallback)),
    }
}

/// `$XDG_STATE_HOME/idcon` (logs, audit trail, drafts).
pub fn state_dir() -> Option<PathBuf> {
    xdg("XDG_STATE_HOME", ".local/state").map(|p| p.join("idcon"))
}

/// `$XDG_CONFIG_HOME/idcon`.
pub fn config_dir() -> Option<PathBuf> {
    xdg("XDG_CONFIG_HOME", ".config").map(|p| p.join("idcon"))
}

/// The log file of the console (tracing output never goes to the terminal).
pub fn log_file() -> Option<PathBuf> {
    state_dir().map(|d| d.join("idcon.log"))
}

/// Creates `dir` (and parents) with mode 0700 for the parts it creates.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Opens `path` for appending, creating it 0600. An existing file that group
/// or others can write is refused: someone else could forge lines in it.
pub fn open_private_append(path: &Path) -> io::Result<fs::File> {
    if let Some(parent) = path.parent() {
        create_private_dir(parent)?;
    }
    let file = OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
    let mode = file.metadata()?.permissions().mode();
    if mode & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is writable by group or others (mode {:o}); fix with chmod 600",
                path.display(),
                mode & 0o777
            ),
        ));
    }
    Ok(file)
}

/// Writes `bytes` to `path` so that readers see the old or the new content,
/// never a part: a 0600 temporary file in the same folder, fsync, rename, then
/// fsync of the folder so the rename itself survives a crash.
pub fn write_private_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned());
    let temp = folder.join(format!(".{name}.{}.{}.tmp", std::process::id(), uuid::Uuid::new_v4()));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(err) = written {
        let _ = fs::remove_file(&temp);
        return Err(err);
    }
    if let Err(err) = fs::rename(&temp, path) {
        let _ = fs::remove_file(&temp);
        return Err(err);
    }
    fs::File::open(&folder).and_then(|dir| dir.sync_all())
}

/// Sends tracing output to the log file. Failure to open the log is not fatal:
/// the console runs without a log rather than writing to the terminal.
pub fn init_file_logging() -> Option<PathBuf> {
    let path = log_file()?;
    let file = open_private_append(&path).ok()?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("IDCON_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .finish();
    tracing::subscriber::set_global_default(subscriber).ok()?;
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_are_0600_and_shared_ones_refused() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let path = dir.path().join("sub/log.txt");
        let file = open_private_append(&path);
        assert!(file.is_ok());
        let mode = fs::metadata(&path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
        assert_eq!(mode, 0o600);
        let dir_mode = fs::metadata(dir.path().join("sub"))
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(dir_mode, 0o700);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).ok();
        let err = open_private_append(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("writable by group or others"), "{err}");
    }
}
