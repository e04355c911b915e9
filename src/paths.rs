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

/// `$XDG_CONFIG_HOME/idcon/config.toml`, else `~/.config/idcon/config.toml`.
pub fn config_file() -> Option<PathBuf> {
    config_dir().map(|dir| dir.join("config.toml"))
}

/// The log file of the console (tracing output never goes to the terminal).
pub fn log_file() -> Option<PathBuf> {
    state_dir().map(|d| d.join("idcon.log"))
}

/// `$XDG_STATE_HOME/idcon/audit.jsonl`: the audit trail of a profile that
/// names no `audit_file`. Here rather than in `audit`, so that `config` can
/// default to it without depending on the audit trail.
pub fn audit_file() -> Option<PathBuf> {
    state_dir().map(|dir| dir.join("audit.jsonl"))
}

/// `$XDG_STATE_HOME/idcon/drafts`: the console's drafts, one folder per profile.
pub fn drafts_dir() -> Option<PathBuf> {
    state_dir().map(|dir| dir.join("drafts"))
}

/// `$XDG_STATE_HOME/idcon/demo-private-key.pem`: the 0600 copy of the
/// embedded demo key that the demo's printed profile points `key_file` at
/// (the copy in `assets/demo/` is refused: git does not keep a 0600 mode).
pub fn demo_key_file() -> Option<PathBuf> {
    state_dir().map(|dir| dir.join("demo-private-key.pem"))
}

/// Creates `dir` (and parents) with mode 0700 for the parts it creates.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Opens `path` for appending (and reading back its end), creating it 0600.
///
/// A shared bastion is hostile ground, so the file is refused when:
/// - it is a symbolic link (`O_NOFOLLOW`): a planted `PLAN.results.jsonl` link
///   would make idcon append to a file of the attacker's choosing;
/// - it is not a regular file, or not owned by the user running idcon;
/// - group or others can write it (they could forge lines in it);
/// - its folder can be written by group or others without the sticky bit
///   (anyone could swap the file between two runs); a sticky folder such as
///   `/tmp` is accepted, since there only the owner can replace a file and the
///   checks above catch a file planted before us.
pub fn open_private_append(path: &Path) -> io::Result<fs::File> {
    if let Some(parent) = path.parent() {
        create_private_dir(parent)?;
        refuse_open_folder(parent)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|err| symlink_explained(path, err))?;
    refuse_foreign(path, &file.metadata()?)?;
    Ok(file)
}

/// `ELOOP` from `O_NOFOLLOW` means the name is a symbolic link: say so.
fn symlink_explained(path: &Path, err: io::Error) -> io::Error {
    if err.raw_os_error() == Some(libc::ELOOP) {
        return io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is a symbolic link; idcon never writes through one (remove it, or choose another file)",
                path.display()
            ),
        );
    }
    err
}

/// Refuses a file idcon is about to write that is not a regular file of the
/// user's own with mode bits that keep others out.
fn refuse_foreign(path: &Path, meta: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let refuse = |why: String| Err(io::Error::new(io::ErrorKind::PermissionDenied, why));
    if !meta.is_file() {
        return refuse(format!("{} is not a regular file", path.display()));
    }
    let Some(me) = effective_uid() else {
        return Ok(());
    };
    if meta.uid() != me {
        return refuse(format!(
            "{} belongs to uid {}, not to you (uid {me}); idcon writes only its own files",
            path.display(),
            meta.uid()
        ));
    }
    let mode = meta.permissions().mode();
    if mode & 0o022 != 0 {
        return refuse(format!(
            "{} is writable by group or others (mode {:o}); fix with chmod 600",
            path.display(),
            mode & 0o777
        ));
    }
    Ok(())
}

/// Refuses a folder that group or others can write without the sticky bit.
fn refuse_open_folder(folder: &Path) -> io::Result<()> {
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let mode = fs::metadata(folder)?.permissions().mode();
    let sticky = mode & 0o1000 != 0;
    if mode & 0o022 != 0 && !sticky {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "the folder {} is writable by group or others (mode {:o}): anyone could replace files in it; \
                 use a private folder or fix with chmod go-w",
                folder.display(),
                mode & 0o7777
            ),
        ));
    }
    Ok(())
}

/// The effective uid of this process: Linux makes `/proc/self` belong to it.
/// `None` without procfs (then ownership is not checked; the mode and link
/// checks still are).
fn effective_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt as _;
    fs::metadata("/proc/self").ok().map(|meta| meta.uid())
}

/// Creates a fresh private folder (0700, a random name) inside `parent` for
/// scratch files: nobody else can have planted a link in it.
pub fn create_private_scratch_dir(parent: &Path) -> io::Result<PathBuf> {
    create_private_dir(parent)?;
    refuse_open_folder(parent)?;
    let dir = parent.join(format!("idcon-{}", uuid::Uuid::new_v4().simple()));
    fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(dir)
}

/// Creates `path` new (never an existing file or link: `O_EXCL` and
/// `O_NOFOLLOW`), mode 0600.
pub fn create_private_new(path: &Path) -> io::Result<fs::File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|err| symlink_explained(path, err))
}

/// Writes `bytes` to `path` so that readers see the old or the new content,
/// never a part: a 0600 temporary file in the same folder, fsync, rename, then
/// fsync of the folder so the rename itself survives a crash. The rename
/// replaces a symbolic link at `path` rather than writing through it.
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
    refuse_open_folder(&folder)?;
    let temp = folder.join(format!(".{name}.{}.{}.tmp", std::process::id(), uuid::Uuid::new_v4()));
    let written = (|| {
        let mut file = create_private_new(&temp)?;
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

/// Makes `path` a private copy of `bytes` (for the demo key): a copy that is
/// already there with the same content is reused (made 0600 if it was not),
/// else the file is written atomically with mode 0600 in a 0700 folder.
/// Returns whether it wrote the file.
///
/// Refused, never followed or overwritten: a symbolic link at `path`
/// (`O_NOFOLLOW`), anything but a regular file, a file of another user, a
/// file with other content (it is someone's, not idcon's copy), and a folder
/// that group or others can write without the sticky bit.
pub fn ensure_private_copy(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    use std::io::Read as _;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent)?;
        refuse_open_folder(parent)?;
    }
    let existing = OpenOptions::new()
        .read(true)
        // A FIFO planted here must not block the open.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let mut file = match existing {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            write_private_atomically(path, bytes)?;
            return Ok(true);
        }
        Err(err) => return Err(symlink_explained(path, err)),
    };
    let meta = file.metadata()?;
    refuse_foreign(path, &meta)?;
    let mut present = Vec::new();
    // A little more than expected tells "longer" from "the same".
    (&mut file).take(bytes.len() as u64 + 1).read_to_end(&mut present)?;
    if present != bytes {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} already exists with other content; idcon does not overwrite it (remove it to get a fresh copy)",
                path.display()
            ),
        ));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        // On the open file, not the name: nothing can be swapped in between.
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    Ok(false)
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
    fn a_private_copy_is_written_once_reused_and_never_through_a_link() {
        let Ok(dir) = tempfile::tempdir() else { return };
        let path = dir.path().join("state/idcon/key.pem");
        assert_eq!(ensure_private_copy(&path, b"key").ok(), Some(true), "written");
        let mode = |p: &Path| fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("state/idcon")), 0o700);
        assert_eq!(ensure_private_copy(&path, b"key").ok(), Some(false), "reused");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).ok();
        assert_eq!(ensure_private_copy(&path, b"key").ok(), Some(false));
        assert_eq!(mode(&path), 0o600, "made private again");

        let other = ensure_private_copy(&path, b"another key").err().map(|e| e.to_string());
        assert!(
            other.as_deref().is_some_and(|e| e.contains("other content")),
            "{other:?}"
        );
        assert_eq!(fs::read(&path).ok().as_deref(), Some(&b"key"[..]), "not overwritten");

        let target = dir.path().join("target.txt");
        fs::write(&target, b"theirs").ok();
        let link = dir.path().join("state/idcon/link.pem");
        std::os::unix::fs::symlink(&target, &link).ok();
        let refused = ensure_private_copy(&link, b"key").err().map(|e| e.to_string());
        assert!(
            refused.as_deref().is_some_and(|e| e.contains("symbolic link")),
            "{refused:?}"
        );
        assert_eq!(fs::read(&target).ok().as_deref(), Some(&b"theirs"[..]));
        let dangling = dir.path().join("state/idcon/dangling.pem");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).ok();
        assert!(ensure_private_copy(&dangling, b"key").is_err(), "a dangling link too");
        assert!(!dir.path().join("nowhere").exists());
    }

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
