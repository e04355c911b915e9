//! Non-interactive subcommands. Each returns an exit code or an error; `main`
//! prints the error as one line.

pub mod apply;
pub mod attribute;
pub mod audit;
pub mod completions;
pub mod console;
pub mod get;
pub mod info;
pub mod list;
pub mod plan;
pub mod profiles;
pub mod script;
pub mod sign;
pub mod update;

/// Renders an error and its causes as one line ("what: why: why"), the way
/// every failure of a subcommand reaches the user.
pub fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for (i, cause) in err.chain().enumerate() {
        let text = cause.to_string();
        // Skip a cause that merely repeats the tail of what is already said.
        if i > 0 {
            if line.ends_with(&text) {
                continue;
            }
            line.push_str(": ");
        }
        line.push_str(text.trim());
    }
    line.replace(['\n', '\r'], " ")
}
