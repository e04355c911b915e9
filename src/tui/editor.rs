//! Editing text in the user's own editor (`$VISUAL`, then `$EDITOR`, then
//! `vi`): the console gives the terminal back, waits for the editor, and takes
//! the terminal again. The text goes through a 0600 file in a private folder
//! that is removed afterwards.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

use anyhow::Context as _;

/// The editor command line, split on whitespace like git does for simple
/// values (`code --wait`, `vim -u NONE`).
fn editor_command() -> Vec<String> {
    let raw = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| std::env::var("EDITOR").ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_owned());
    raw.split_whitespace().map(str::to_owned).collect()
}

fn scratch_dir() -> PathBuf {
    crate::paths::state_dir().map_or_else(std::env::temp_dir, |d| d.join("edit"))
}

/// Runs the editor on `text` and returns what the user saved. The caller
/// must have restored the terminal first and take it back afterwards.
///
/// The scratch file lives in a fresh folder with a random name (0700) and is
/// created with `O_EXCL|O_NOFOLLOW`: on a shared host nobody can have planted
/// a link where the traits are written, or read them while they are edited.
pub fn edit(text: &str, name: &str) -> anyhow::Result<String> {
    let parent = scratch_dir();
    let dir = crate::paths::create_private_scratch_dir(&parent)
        .with_context(|| format!("cannot create a private folder in {}", parent.display()))?;
    let result = edit_in(&dir, text, name);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn edit_in(dir: &std::path::Path, text: &str, name: &str) -> anyhow::Result<String> {
    let safe_name: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect();
    let path = dir.join(format!("{safe_name}.json"));
    {
        let mut file =
            crate::paths::create_private_new(&path).with_context(|| format!("cannot write {}", path.display()))?;
        file.write_all(text.as_bytes())?;
    }
    let command = editor_command();
    let Some((program, args)) = command.split_first() else {
        anyhow::bail!("no editor configured (set VISUAL or EDITOR)");
    };
    let status = Command::new(program).args(args).arg(&path).status();
    match status {
        Ok(status) if status.success() => {
            std::fs::read_to_string(&path).with_context(|| format!("cannot read back {}", path.display()))
        }
        Ok(status) => Err(anyhow::anyhow!(
            "{program} exited with {status}; the form keeps the previous text"
        )),
        Err(err) => Err(anyhow::anyhow!(
            "cannot start the editor {program:?} (VISUAL/EDITOR): {err}"
        )),
    }
}
