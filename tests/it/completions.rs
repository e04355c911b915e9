//! `idcon completions` and `idcon man` as packagers run them: the real
//! binary, its output generated from the same clap definitions it parses.

use std::process::{Command, Output};

fn idcon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_idcon"))
        .args(args)
        .env_remove("IDCON_PROFILE")
        .output()
        .expect("run idcon")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Subcommands every generated artefact must know about.
const SUBCOMMANDS: &[&str] = &["list", "get", "update", "plan", "apply", "completions", "man"];

#[test]
fn completions_for_each_shell_name_the_subcommands_and_their_flags() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef idcon"),
        ("fish", "complete -c idcon"),
    ] {
        let out = idcon(&["completions", shell]);
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell} script lacks {marker:?}");
        for subcommand in SUBCOMMANDS {
            assert!(script.contains(subcommand), "{shell} completions miss {subcommand}");
        }
        // Flags of a subcommand, not only the names.
        assert!(
            script.contains("keep-going"),
            "{shell} completions miss apply --keep-going"
        );
        assert!(
            script.contains("expect-updated-at"),
            "{shell} completions miss update's flags"
        );
    }

    let out = idcon(&["completions", "powershell"]);
    assert_eq!(out.status.code(), Some(2), "an unsupported shell is a usage error");
}

#[test]
fn man_prints_roff_with_the_subcommands_and_one_page_per_subcommand() {
    let out = idcon(&["man"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = stdout(&out);
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq"),
        "roff preamble: {:?}",
        &page[..page.len().min(80)]
    );
    assert!(page.contains(".TH idcon 1"), "title header");
    assert!(page.contains(".SH SUBCOMMANDS"), "subcommands section");
    for subcommand in SUBCOMMANDS {
        assert!(
            page.contains(&format!("idcon\\-{subcommand}(1)")),
            "man page misses {subcommand}"
        );
    }

    let out = idcon(&["man", "apply"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = stdout(&out);
    assert!(page.contains(".TH idcon-apply 1"), "{page}");
    assert!(
        page.contains(&format!("\"idcon {}\"", env!("CARGO_PKG_VERSION"))),
        "{page}"
    );
    assert!(page.contains("keep\\-going") && page.contains("Exit codes"), "{page}");

    let out = idcon(&["man", "nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pages exist for"));
}
