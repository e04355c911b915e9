//! What `create` and `update` read from files and stdin: JSON documents,
//! a password, a password hash. One place, so both commands name a bad
//! input the same way (the flag, the file, the line and column) and read a
//! secret the same way (without echo on a terminal, never printed).

use std::io::{self, IsTerminal, Read};
use std::path::Path;

use serde_json::Value;

use super::script::{self, Failure};

/// `-` stands for stdin wherever a file is asked for.
pub fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// A JSON document from a file or stdin; a syntax error names the place.
pub fn read_json(flag: &str, path: &Path) -> Result<Value, Failure> {
    let (text, name) = if is_stdin(path) {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| Failure::usage(format!("{flag} -: cannot read stdin: {err}")))?;
        (text, "stdin".to_owned())
    } else {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|err| Failure::usage(format!("{flag} {}: cannot read it: {err}", script::one_line(&name))))?;
        (text, name)
    };
    serde_json::from_str(&text).map_err(|err| {
        Failure::usage(format!(
            "{flag} {}:{}:{}: not JSON: {err}",
            script::one_line(&name),
            err.line(),
            err.column()
        ))
    })
}

/// A password for `--password-stdin`: typed without echo after `prompt` on
/// a terminal, else all of stdin without its final line break (a password
/// may hold spaces, so nothing else is trimmed).
pub fn read_password(prompt: &str) -> Result<String, Failure> {
    let password = if io::stdin().is_terminal() {
        script::read_secret_from_terminal(prompt)?
    } else {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| Failure::usage(format!("--password-stdin: cannot read stdin: {err}")))?;
        let trimmed = text.strip_suffix('\n').unwrap_or(&text);
        trimmed.strip_suffix('\r').unwrap_or(trimmed).to_owned()
    };
    if password.is_empty() {
        return Err(Failure::usage("--password-stdin: the password is empty"));
    }
    Ok(password)
}

/// The first line of stdin for `--password-hash-stdin`: a password hash
/// (typed without echo on a terminal), spaces around it dropped.
pub fn read_hash() -> Result<String, Failure> {
    let hash = if io::stdin().is_terminal() {
        script::read_secret_from_terminal("Password hash: ")?
    } else {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| Failure::usage(format!("--password-hash-stdin: cannot read stdin: {err}")))?;
        text.lines().next().unwrap_or_default().to_owned()
    };
    let hash = hash.trim().to_owned();
    if hash.is_empty() {
        return Err(Failure::usage("--password-hash-stdin: the hash is empty"));
    }
    Ok(hash)
}
