//! The shape of the crate, checked: the import graph between the top-level
//! modules of `src/` has no cycle, and the console's state and drawing
//! layers (`app/`, `ui/`) reach only pure code.
//!
//! Every `.rs` file under `src/` is read (not `main.rs`: the binary only uses
//! the library) with its comments and string literals blanked out, and each
//! path that names another top-level module is an edge: `crate::NAME`, the
//! names inside `use crate::{a, b::c}`, and `super::` paths that climb out of
//! the module. `#[cfg(test)]` modules are left out: they are not part of what
//! is built and shipped, and a unit test may reach for anything (the demo
//! key, the whole clap definition) without that shaping the library.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Edges that may close a cycle, each with the reason it is inherent. Empty:
/// none is. (`cli` names every command's arguments and the commands take
/// `config::Overrides`, not `cli::GlobalArgs`; `completions` gets the clap
/// definition handed in; `config` defaults to `paths::audit_file`, not to
/// `audit`; the console's runtime reaches the client only through the
/// `tui::IdentitySource` trait that `commands::console` implements.)
const ALLOWED: &[(&str, &str, &str)] = &[];

/// What `app/` and `ui/` must never name: the sending halves of `write` and
/// `registry`, the HTTP client, the audit trail, the runtime, the commands.
/// Their state changes in `app::update` only, with I/O described as effects
/// that `tui` runs; so they can be tested without a network or a terminal.
const IMPURE_FOR_APP: &[&str] = &[
    "crate::write::send",
    "crate::registry::send",
    "crate::api::client",
    "crate::api::Client",
    "crate::audit",
    "crate::tui",
    "crate::commands",
    "tokio::",
    "reqwest::",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() && is_test_only_dir(&path) {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// A `tests/` folder whose parent module declares it as `#[cfg(test)] mod
/// tests;` holds test code only (like an inline `#[cfg(test)]` module, which
/// is left out too): `src/app/tests/` may draw with `ui` to check a screen.
fn is_test_only_dir(dir: &Path) -> bool {
    if dir.file_name().is_none_or(|name| name != "tests") {
        return false;
    }
    let Some(parent) = dir.parent() else {
        return false;
    };
    let parent_file = if parent == src() {
        parent.join("lib.rs")
    } else {
        parent.join("mod.rs")
    };
    let Ok(source) = std::fs::read_to_string(&parent_file) else {
        return false;
    };
    let compact: String = source.split_whitespace().collect::<Vec<_>>().join(" ");
    compact.contains("#[cfg(test)] mod tests;")
}

/// The module path of a file: `src/write/plan.rs` is `["write", "plan"]`,
/// `src/write/mod.rs` is `["write"]`, `src/lib.rs` is `[]`.
fn module_path(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src()).unwrap_or(file);
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|last| last == "mod" || last == "lib") {
        parts.pop();
    }
    parts
}

/// `source` with comments and the insides of string and character literals
/// blanked, line breaks kept (so line numbers stay right).
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let keep_lines = |out: &mut String, c: char| {
        if c == '\n' {
            out.push('\n');
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = at(i + 1);
        let after_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == Some('*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == Some('/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    keep_lines(&mut out, chars[i]);
                    i += 1;
                }
            }
            continue;
        }
        if !after_ident && (c == 'r' || (c == 'b' && next == Some('r'))) {
            let mut j = if c == 'b' { i + 2 } else { i + 1 };
            let mut hashes = 0;
            while at(j) == Some('#') {
                hashes += 1;
                j += 1;
            }
            if at(j) == Some('"') {
                j += 1;
                while j < chars.len() {
                    if chars[j] == '"' && (0..hashes).all(|k| at(j + 1 + k) == Some('#')) {
                        j += 1 + hashes;
                        break;
                    }
                    keep_lines(&mut out, chars[j]);
                    j += 1;
                }
                out.push_str("\"\"");
                i = j;
                continue;
            }
        }
        if c == '"' {
            i += 1;
            while i < chars.len() {
                match chars[i] {
                    '\\' => i += 2,
                    '"' => {
                        i += 1;
                        break;
                    }
                    other => {
                        keep_lines(&mut out, other);
                        i += 1;
                    }
                }
            }
            out.push_str("\"\"");
            continue;
        }
        if c == '\'' {
            // A character literal ('x', '\n', '\u{1b}'); anything else is a lifetime.
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
                continue;
            }
            if at(i + 2) == Some('\'') {
                i += 3;
                out.push_str("' '");
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// `code` (already [`code_only`]) without its `#[cfg(test)] mod NAME { ... }`
/// blocks, line breaks kept.
fn without_test_modules(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        let after = &rest[at + "#[cfg(test)]".len()..];
        let header = after.trim_start();
        let is_module = header.starts_with("mod ") || header.starts_with("pub mod ");
        let open = header.find(['{', ';']);
        match open {
            Some(open) if is_module && header.as_bytes()[open] == b'{' => {
                out.push_str(&rest[..at]);
                let start = code.len() - header.len() + open;
                let body = &code[start..];
                let mut depth = 0;
                let mut end = body.len();
                for (i, c) in body.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let skipped = &code[code.len() - rest.len() + at..start + end];
                out.extend(skipped.chars().filter(|c| *c == '\n'));
                rest = &body[end..];
            }
            _ => {
                out.push_str(&rest[..at + "#[cfg(test)]".len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn ident_at(text: &str) -> &str {
    let end = text.find(|c: char| !is_ident(c)).unwrap_or(text.len());
    &text[..end]
}

/// The first names of the paths in a `{a, b::c, d::{e, f}}` group that
/// starts `text` (just after its `{`).
fn group_heads(text: &str) -> Vec<&str> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expecting = true;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        let c = bytes[i] as char;
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expecting = true,
            c if expecting && depth == 0 && is_ident(c) => {
                let name = ident_at(&text[i..]);
                heads.push(name);
                i += name.len();
                expecting = false;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    heads
}

/// The top-level modules a file names, with the line of each mention.
fn mentions(file: &Path, code: &str, top_level: &BTreeSet<String>) -> Vec<(String, usize)> {
    let module = module_path(file);
    let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
    let mut found = Vec::new();
    let mut note = |name: &str, offset: usize| {
        if top_level.contains(name) {
            found.push((name.to_owned(), line_of(offset)));
        }
    };
    for (offset, _) in code.match_indices("crate::") {
        let before = code[..offset].chars().next_back();
        if before.is_some_and(|c| is_ident(c) || c == '$' || c == ':') {
            continue;
        }
        let rest = &code[offset + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            for head in group_heads(group) {
                note(head, offset);
            }
        } else {
            note(ident_at(rest), offset);
        }
    }
    for (offset, _) in code.match_indices("super::") {
        let before = code[..offset].chars().next_back();
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            continue;
        }
        let mut rest = &code[offset..];
        let mut climbs = 0;
        while let Some(after) = rest.strip_prefix("super::") {
            climbs += 1;
            rest = after;
        }
        if climbs >= module.len() {
            // Out of the file's top-level module, at the crate root.
            if let Some(group) = rest.strip_prefix('{') {
                for head in group_heads(group) {
                    note(head, offset);
                }
            } else {
                note(ident_at(rest), offset);
            }
        }
    }
    found
}

/// Top-level module → (module it names → where, as `file:line`).
type Graph = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn import_graph() -> Graph {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("read src/lib.rs");
    let top_level: BTreeSet<String> = code_only(&lib)
        .lines()
        .filter_map(|line| {
            line.trim()
                .strip_prefix("pub mod ")
                .or(line.trim().strip_prefix("mod "))
        })
        .map(|rest| rest.trim_end_matches(';').trim().to_owned())
        .collect();
    assert!(top_level.len() > 10, "modules found in lib.rs: {top_level:?}");
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut graph = Graph::new();
    for file in files {
        let module = module_path(&file);
        let Some(from) = module.first().cloned() else {
            continue; // lib.rs only declares the modules
        };
        if from == "main" {
            continue;
        }
        let source = std::fs::read_to_string(&file).unwrap_or_else(|err| panic!("read {}: {err}", file.display()));
        let shown = file.strip_prefix(src()).unwrap_or(&file).display().to_string();
        let code = without_test_modules(&code_only(&source));
        for (to, line) in mentions(&file, &code, &top_level) {
            if to != from {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .push(format!("src/{shown}:{line}"));
            }
        }
    }
    graph
}

/// The strongly connected components with more than one module (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.to_owned());
                    if top == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}

#[test]
fn the_top_level_modules_import_each_other_without_a_cycle() {
    let graph = import_graph();
    let allowed = |from: &str, to: &str| ALLOWED.iter().any(|(f, t, _)| *f == from && *t == to);
    let edges: BTreeMap<String, BTreeSet<String>> = graph
        .iter()
        .map(|(from, tos)| {
            let kept = tos.keys().filter(|to| !allowed(from, to)).cloned().collect();
            (from.clone(), kept)
        })
        .collect();
    let found = cycles(&edges);
    let mut report = String::new();
    for component in &found {
        report.push_str(&format!("cycle among {}:\n", component.join(", ")));
        for from in component {
            for (to, places) in &graph[from] {
                if component.contains(to) && !allowed(from, to) {
                    report.push_str(&format!("  {from} -> {to}: {}\n", places.join(", ")));
                }
            }
        }
    }
    assert!(found.is_empty(), "the import graph has cycles:\n{report}");
}

#[test]
fn the_console_state_and_drawing_reach_only_pure_code() {
    let mut files = Vec::new();
    rust_files(&src().join("app"), &mut files);
    rust_files(&src().join("ui"), &mut files);
    // The public items of the sending halves, also as re-exported
    // (`write::send`, `registry::send_attribute_update`, ...).
    let mut forbidden: Vec<String> = IMPURE_FOR_APP.iter().map(|s| (*s).to_owned()).collect();
    for (module, file) in [("write", "write/send.rs"), ("registry", "registry/send.rs")] {
        let code = code_only(&std::fs::read_to_string(src().join(file)).expect("read the sending half"));
        for line in code.lines() {
            let line = line.trim();
            for prefix in ["pub async fn ", "pub fn ", "pub struct "] {
                if let Some(rest) = line.strip_prefix(prefix) {
                    forbidden.push(format!("{module}::{}", ident_at(rest)));
                }
            }
        }
    }
    assert!(forbidden.iter().any(|f| f == "write::send"), "{forbidden:?}");
    let mut found = Vec::new();
    for file in files {
        let code = code_only(&std::fs::read_to_string(&file).expect("read"));
        for (number, line) in code.lines().enumerate() {
            for name in &forbidden {
                let hit = line.match_indices(name.as_str()).any(|(at, _)| {
                    let after = line[at + name.len()..].chars().next();
                    !after.is_some_and(is_ident)
                });
                if hit {
                    found.push(format!("{}:{}: {name}", file.display(), number + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "app/ or ui/ reaches I/O:\n{}", found.join("\n"));
}

#[test]
fn the_reader_sees_paths_in_code_only() {
    let top: BTreeSet<String> = ["api", "app", "audit", "diff", "tui", "write"].map(String::from).into();
    let code = code_only(
        "// crate::tui in a comment\n\
         /* crate::tui /* nested */ crate::tui */\n\
         let s = \"crate::tui\"; let r = r#\"crate::tui\"#; let c = '\"';\n\
         use crate::{api::{Client, Exchange}, diff};\n\
         fn f<'a>(x: &'a str) { crate::write::plan(x); super::super::audit::x(); }\n",
    );
    let found = mentions(&src().join("commands/update.rs"), &code, &top);
    let names: Vec<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["api", "diff", "write", "audit"], "{code}");
    assert_eq!(found[0].1, 4, "line numbers survive the blanking");
    assert!(group_heads("self, a::{b, c}, d}").contains(&"d"));
    let code =
        "use crate::api;\n#[cfg(test)]\nmod tests {\n    use crate::tui;\n    fn f() { {} }\n}\nuse crate::diff;\n";
    let kept = without_test_modules(code);
    assert_eq!(kept.lines().count(), code.lines().count(), "{kept}");
    let found = mentions(&src().join("commands/update.rs"), &kept, &top);
    assert_eq!(found, [("api".to_owned(), 1), ("diff".to_owned(), 7)], "{kept}");
}

#[test]
fn a_cycle_is_found_however_long() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("cli", vec!["commands"]),
        ("commands", vec!["config", "tui"]),
        ("config", vec!["paths"]),
        ("tui", vec!["app", "commands"]),
        ("app", vec!["write"]),
        ("write", vec!["app"]),
    ]
    .into_iter()
    .map(|(from, tos)| (from.to_owned(), tos.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        cycles(&graph),
        [
            vec!["app".to_owned(), "write".to_owned()],
            vec!["commands".to_owned(), "tui".to_owned()]
        ]
    );
}

#[test]
fn test_only_folders_are_left_out_and_nothing_else() {
    // src/app/tests/ is declared `#[cfg(test)] mod tests;` in app/mod.rs.
    assert!(is_test_only_dir(&src().join("app").join("tests")));
    assert!(!is_test_only_dir(&src().join("app")));
    assert!(!is_test_only_dir(&src().join("ui")));
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    assert!(files.iter().any(|f| f.ends_with("app/list.rs")));
    assert!(!files.iter().any(|f| f.ends_with("app/tests/text_view.rs")));
}
