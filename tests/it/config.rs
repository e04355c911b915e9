//! Profiles: bad config files are reported with file, line and column; flags
//! override profiles; `idcon profiles` lists them without ever printing a
//! secret.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use idcon::config::{self, ConfigError, Overrides, load_config, resolve_profile_from};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write config");
    path
}

fn args_with_config(path: &Path) -> Overrides {
    Overrides {
        config: Some(path.to_owned()),
        ..Overrides::default()
    }
}

/// Runs the real binary with a private config folder and no inherited
/// profile selection.
fn idcon(xdg: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idcon"));
    cmd.args(args)
        .env("XDG_CONFIG_HOME", xdg)
        .env("XDG_STATE_HOME", xdg.join("state"))
        .env_remove("IDCON_PROFILE");
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.output().expect("run idcon")
}

#[test]
fn each_bad_config_names_the_file_line_and_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: &[(&str, usize, usize, &str)] = &[
        // (file text, line, column, what the message must say)
        (
            "[profiles.a]\nbase_url = \"http://x\"\nread_onyl = true\n",
            3,
            1,
            "unknown field `read_onyl`",
        ),
        ("[profiles.a\nbase_url = \"http://x\"\n", 1, 12, "expected `]`"),
        (
            "[profiles.a]\nbase_url = \"http://x\"\nread_only = \"yes\"\n",
            3,
            13,
            "expected a boolean",
        ),
        (
            "[profiles.a]\nbase_url = \"http://x\"\ntimeout_secs = 1.5\n",
            3,
            16,
            "expected i64",
        ),
        ("[profiles.a]\n\n  base_url = \"not a url\"\n", 3, 14, "invalid URL"),
        (
            "[profiles.a]\nbase_url = \"ftp://files.example\"\n",
            2,
            12,
            "http or https",
        ),
        ("[profiles.a]\nbase_url = \"https://x/?a=1\"\n", 2, 12, "query"),
        (
            "[profiles.a]\nbase_url = \"http://x\"\nattribute_registry_url = \"nope\"\n",
            3,
            26,
            "invalid URL",
        ),
        (
            "[profiles.a]\nbase_url = \"http://x\"\nidentities_path = \"iam/identities\"\n",
            3,
            19,
            "must start with /",
        ),
        (
            "[profiles.a]\nbase_url = \"http://x\"\ntimeout_secs = 0\n",
            3,
            16,
            "invalid timeout 0",
        ),
        (
            "[profiles.a]\nbase_url = \"http://x\"\n[profiles.a.headers]\n\"X Bad\" = \"v\"\n",
            4,
            1,
            "invalid header name",
        ),
        (
            "default = \"prod\"\n[profiles.a]\nbase_url = \"http://x\"\n",
            1,
            11,
            "default = \"prod\" names no profile",
        ),
        ("defualt = \"a\"\n", 1, 1, "unknown field `defualt`"),
        (
            "[profiles.a]\nbase_url = \"http://x\"\naudit_syslog = \"yes\"\n",
            3,
            16,
            "expected a boolean",
        ),
        (
            "[profiles.a]\nbase_url = \"http://x\"\nrequire_reason = \"yes\"\n",
            3,
            18,
            "expected a boolean",
        ),
        (
            "[profiles.a]\nbase_url = \"http://x\"\nrequire_reasons = true\n",
            3,
            1,
            "unknown field `require_reasons`",
        ),
        (
            "[profiles.a]\nbase_url = \"http://x\"\naudit_fille = \"/tmp/a.jsonl\"\n",
            3,
            1,
            "unknown field `audit_fille`",
        ),
        (
            "[profiles.a]\nbase_url = \"http://x\"\naudit_file = \"  \"\n",
            3,
            14,
            "file path is empty",
        ),
        (
            "[profiles.a]\nbase_url = \"http://x\"\nissuance_token_pointer = \"metadata_admin/yoti\"\n",
            3,
            26,
            "must be empty or start with '/'",
        ),
        (
            "[profiles.a]\nbase_url = \"http://x\"\nissuance_token_pointer = \"/a/~2\"\n",
            3,
            26,
            "'~' must be followed by 0 or 1",
        ),
        (
            "[profiles.a]\nbase_url = \"http://x\"\nissuance_token_pointer = \"\"\n",
            3,
            26,
            "the JSON pointer is empty",
        ),
        (
            "[profiles.a]\nbase_url = \"http://x\"\npublic_url = \"ftp://kratos.example\"\n",
            3,
            14,
            "http or https",
        ),
        (
            "[profiles.a]\nbase_url = \"http://x\"\npublic_url = \"https://kratos.example/?x=1\"\n",
            3,
            14,
            "query",
        ),
    ];
    for (index, (text, line, column, fragment)) in cases.iter().enumerate() {
        let path = write(dir.path(), &format!("bad{index}.toml"), text);
        let err = load_config(&path).expect_err(&format!("case {index} must fail:\n{text}"));
        let message = err.to_string();
        let place = format!("{}:{line}:{column}:", path.display());
        assert!(message.contains(&place), "case {index}: expected {place} in: {message}");
        assert!(
            message.contains(fragment),
            "case {index}: expected {fragment:?} in: {message}"
        );
        assert!(!message.contains('\n'), "case {index}: not one line: {message}");
    }
}

#[test]
fn a_misplaced_token_is_not_echoed_in_the_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu";
    for text in [
        format!("[profiles.a]\nbase_url = \"http://x\"\nbearer_token_env = \"{token}\"\n"),
        format!("[profiles.a]\nbase_url = \"http://x\"\nheaders = \"Bearer {token}\"\n"),
    ] {
        let path = write(dir.path(), "tok.toml", &text);
        let message = load_config(&path).expect_err("must fail").to_string();
        assert!(message.contains("tok.toml:3:"), "{message}");
        assert!(!message.contains(token), "token echoed: {message}");
    }
}

#[test]
fn unknown_profile_names_the_file_and_the_choices() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "c.toml",
        "[profiles.alpha]\nbase_url = \"http://a\"\n[profiles.beta]\nbase_url = \"http://b\"\n",
    );
    let global = Overrides {
        profile: Some("gamma".into()),
        ..args_with_config(&path)
    };
    let err = resolve_profile_from(&global, None).expect_err("unknown profile");
    let message = err.to_string();
    assert!(matches!(err, ConfigError::UnknownProfile { .. }), "{message}");
    assert!(
        message.contains(&path.display().to_string()) && message.contains("alpha, beta"),
        "{message}"
    );

    // Several profiles and no default: say how to pick one.
    let err = resolve_profile_from(&args_with_config(&path), None).expect_err("no default");
    assert!(err.to_string().contains("--profile"), "{err}");
}

#[test]
fn a_profile_without_base_url_names_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "c.toml", "# comment\n[profiles.only]\nsdk_id = \"x\"\n");
    let err = resolve_profile_from(&args_with_config(&path), None).expect_err("no base_url");
    let message = err.to_string();
    assert!(
        message.contains(&format!("{}:2", path.display())) && message.contains("base_url"),
        "{message}"
    );

    // The flag fills it in.
    let global = Overrides {
        base_url: Some("http://127.0.0.1:4434".into()),
        ..args_with_config(&path)
    };
    let profile = resolve_profile_from(&global, None).expect("flag gives the base URL");
    assert_eq!(profile.name, "only");
    assert_eq!(profile.sdk_id.as_deref(), Some("x"));
}

#[test]
fn defaults_apply_and_flags_override_the_profile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "c.toml",
        r#"default = "prod"

[profiles.prod]
base_url = "https://kratos.example.com/admin-gw/"
key_file = "keys/prod.pem"
sdk_id = "prod-sdk"
ca_file = "/etc/ssl/private-ca.pem"
timeout_secs = 12
danger = true
bearer_token_env = "PROD_TOKEN"
attribute_registry_url = "https://api.yoti.com/api/v1/attribute-registry"

[profiles.prod.headers]
X-Tenant = "acme"

[profiles.ro]
base_url = "http://ro.example"
read_only = true
"#,
    );
    let profile = resolve_profile_from(&args_with_config(&path), None).expect("default profile");
    assert_eq!(profile.name, "prod");
    assert_eq!(profile.base_url.as_str(), "https://kratos.example.com/admin-gw/");
    assert_eq!(profile.identities_path, "/admin/identities");
    assert_eq!(profile.schemas_path, "/schemas");
    assert_eq!(
        profile.key_file,
        Some(dir.path().join("keys/prod.pem")),
        "relative to the config file"
    );
    assert_eq!(profile.timeout, Duration::from_secs(12));
    assert_eq!(profile.connect_timeout, Duration::from_secs(10));
    assert_eq!(profile.headers, vec![("X-Tenant".to_owned(), "acme".to_owned())]);
    assert_eq!(profile.bearer_token_env.as_deref(), Some("PROD_TOKEN"));
    assert!(profile.danger && !profile.read_only && !profile.danger_accept_invalid_certs);
    assert_eq!(
        profile.attribute_registry_url.as_ref().map(|u| u.as_str()),
        Some("https://api.yoti.com/api/v1/attribute-registry")
    );

    let global = Overrides {
        base_url: Some("http://127.0.0.1:9999".into()),
        identities_path: Some("/iam/identities".into()),
        key: Some(PathBuf::from("/tmp/other.pem")),
        sdk_id: Some("flag-sdk".into()),
        read_only: true,
        insecure_key_permissions: true,
        ..args_with_config(&path)
    };
    let profile = resolve_profile_from(&global, None).expect("overridden");
    assert_eq!(profile.base_url.as_str(), "http://127.0.0.1:9999/");
    assert_eq!(profile.identities_path, "/iam/identities");
    assert_eq!(profile.key_file, Some(PathBuf::from("/tmp/other.pem")));
    assert_eq!(profile.sdk_id.as_deref(), Some("flag-sdk"));
    assert!(profile.read_only && profile.insecure_key_permissions);
    // Not overridden by any flag: kept from the profile.
    assert_eq!(profile.timeout, Duration::from_secs(12));

    // A read-only profile stays read-only without the flag.
    let global = Overrides {
        profile: Some("ro".into()),
        ..args_with_config(&path)
    };
    assert!(resolve_profile_from(&global, None).expect("ro").read_only);
}

#[test]
fn audit_and_attribute_registry_settings_have_defaults_and_can_be_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "c.toml",
        r#"default = "plain"

[profiles.plain]
base_url = "http://plain.example"

[profiles.audited]
base_url = "http://audited.example"
audit_file = "trail/audit.jsonl"
audit_syslog = true
issuance_token_pointer = "/metadata_public/yoti~1token"
"#,
    );
    let plain = resolve_profile_from(&args_with_config(&path), None).expect("plain");
    assert_eq!(plain.audit_file, idcon::paths::audit_file());
    assert!(!plain.audit_syslog);
    assert_eq!(plain.issuance_token_pointer, "/metadata_admin/yoti/issuance_token");
    assert_eq!(plain.issuance_token_pointer, config::DEFAULT_ISSUANCE_TOKEN_POINTER);

    let global = Overrides {
        profile: Some("audited".into()),
        ..args_with_config(&path)
    };
    let audited = resolve_profile_from(&global, None).expect("audited");
    assert_eq!(
        audited.audit_file,
        Some(dir.path().join("trail/audit.jsonl")),
        "relative to the config file"
    );
    assert!(audited.audit_syslog);
    assert_eq!(audited.issuance_token_pointer, "/metadata_public/yoti~1token");
    assert!(!plain.require_reason && !audited.require_reason, "off unless asked for");
    let shown = format!("{audited:?}");
    assert!(
        shown.contains("audit_file") && shown.contains("issuance_token_pointer"),
        "{shown}"
    );
}

#[test]
fn bad_flags_are_refused_with_the_flag_named() {
    let global = Overrides {
        base_url: Some("localhost:4434".into()),
        ..Overrides::default()
    };
    let message = resolve_profile_from(&global, None).expect_err("bad URL").to_string();
    assert!(message.starts_with("--base-url:"), "{message}");

    let global = Overrides {
        base_url: Some("http://localhost:4434".into()),
        identities_path: Some("../x".into()),
        ..Overrides::default()
    };
    let message = resolve_profile_from(&global, None).expect_err("bad path").to_string();
    assert!(message.starts_with("--identities-path:"), "{message}");
}

#[test]
fn no_config_file_is_fine_when_flags_give_a_base_url() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("idcon/config.toml");
    let global = Overrides {
        base_url: Some("http://127.0.0.1:4434".into()),
        sdk_id: Some("sdk".into()),
        ..Overrides::default()
    };
    let profile = resolve_profile_from(&global, Some(&missing)).expect("flags suffice");
    assert_eq!(profile.name, config::FLAGS_PROFILE_NAME);
    assert_eq!(profile.base_url.as_str(), "http://127.0.0.1:4434/");
    assert_eq!(profile.identities_path, "/admin/identities");
    assert!(!profile.read_only);

    // Without the flag, the message says where a config was looked for.
    let err = resolve_profile_from(&Overrides::default(), Some(&missing)).expect_err("nothing configured");
    assert!(err.to_string().contains(&missing.display().to_string()), "{err}");

    // An explicit --config that does not exist is an error, flags or not.
    let global = Overrides {
        config: Some(missing.clone()),
        base_url: Some("http://127.0.0.1:4434".into()),
        ..Overrides::default()
    };
    let err = resolve_profile_from(&global, None).expect_err("missing --config");
    assert!(matches!(err, ConfigError::Read { .. }), "{err}");
}

#[test]
fn idcon_profile_env_selects_the_profile() {
    let xdg = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(xdg.path().join("idcon")).expect("mkdir");
    write(
        &xdg.path().join("idcon"),
        "config.toml",
        "default = \"a\"\n[profiles.a]\nbase_url = \"http://a\"\n[profiles.b]\nbase_url = \"http://b\"\n",
    );
    let json = |out: &Output| -> serde_json::Value {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("json output")
    };
    let out = idcon(xdg.path(), &["profiles", "--output", "json"], &[]);
    assert_eq!(json(&out)["selected"], "a");
    let out = idcon(xdg.path(), &["profiles", "--output", "json"], &[("IDCON_PROFILE", "b")]);
    let doc = json(&out);
    assert_eq!(doc["selected"], "b");
    assert_eq!(doc["default"], "a");
    // --profile wins over the environment.
    let out = idcon(
        xdg.path(),
        &["--profile", "a", "profiles", "--output", "json"],
        &[("IDCON_PROFILE", "b")],
    );
    assert_eq!(json(&out)["selected"], "a");
}

#[test]
fn profiles_lists_everything_but_never_a_secret() {
    let xdg = tempfile::tempdir().expect("tempdir");
    let folder = xdg.path().join("idcon");
    std::fs::create_dir_all(&folder).expect("mkdir");
    write(
        &folder,
        "config.toml",
        r#"default = "connhex"

[profiles.connhex]
base_url = "https://connhex.example.com"
identities_path = "/iam/identities"
bearer_token_env = "CONNHEX_TOKEN"
danger = true
headers = { "X-Api-Key" = "static-header-secret-42" }

[profiles.kratos]
base_url = "http://127.0.0.1:4434"
public_url = "http://127.0.0.1:4433"
key_file = "/home/support/.config/idcon/kratos.pem"
sdk_id = "sdk-kratos-1"
read_only = true
danger_accept_invalid_certs = true
"#,
    );
    let token = "bearer-token-value-do-not-print";
    for format in ["table", "json"] {
        let out = idcon(
            xdg.path(),
            &["profiles", "--output", format],
            &[("CONNHEX_TOKEN", token)],
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        for text in [&stdout, &stderr] {
            assert!(!text.contains(token), "{format}: token printed:\n{text}");
            assert!(
                !text.contains("static-header-secret-42"),
                "{format}: header value printed:\n{text}"
            );
        }
        for expected in [
            "connhex",
            "kratos",
            "https://connhex.example.com",
            "http://127.0.0.1:4433",
            "/iam/identities",
            "CONNHEX_TOKEN",
            "/home/support/.config/idcon/kratos.pem",
            "sdk-kratos-1",
        ] {
            assert!(stdout.contains(expected), "{format}: {expected} missing:\n{stdout}");
        }
        assert!(
            stderr.contains("WARNING") && stderr.contains("kratos"),
            "{format}: no TLS warning:\n{stderr}"
        );
    }
    let out = idcon(xdg.path(), &["profiles", "--output", "json"], &[]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let profiles = doc["profiles"].as_array().expect("profiles array");
    let kratos = profiles.iter().find(|p| p["name"] == "kratos").expect("kratos listed");
    assert_eq!(kratos["read_only"], true);
    assert_eq!(kratos["danger_accept_invalid_certs"], true);
    assert_eq!(kratos["public_url"], "http://127.0.0.1:4433/");
    let connhex = profiles
        .iter()
        .find(|p| p["name"] == "connhex")
        .expect("connhex listed");
    assert_eq!(connhex["default"], true);
    assert_eq!(connhex["danger"], true);
    assert_eq!(connhex["header_names"], serde_json::json!(["X-Api-Key"]));
    // The session and recovery endpoints follow a gateway's prefix unless set.
    assert_eq!(connhex["sessions_path"], "/iam/sessions");
    assert_eq!(connhex["recovery_path"], "/iam/recovery");
    assert_eq!(kratos["sessions_path"], "/admin/sessions");
    assert_eq!(kratos["recovery_path"], "/admin/recovery");
}

#[test]
fn a_bad_config_ends_the_binary_with_one_line_and_no_panic() {
    let xdg = tempfile::tempdir().expect("tempdir");
    let path = write(
        xdg.path(),
        "bad.toml",
        "[profiles.a]\nbase_url = \"http://x\"\nreadonly = true\n",
    );
    let out = idcon(
        xdg.path(),
        &["--config", path.to_str().expect("utf-8 path"), "profiles"],
        &[],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&format!("{}:3:1", path.display())), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn public_url_comes_from_the_profile_or_the_flag_and_is_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "c.toml",
        "[profiles.k]\nbase_url = \"http://127.0.0.1:4434\"\npublic_url = \"http://127.0.0.1:4433/\"\n",
    );
    let profile = resolve_profile_from(&args_with_config(&path), None).expect("profile");
    assert_eq!(
        profile.public_url.as_ref().map(|u| u.as_str()),
        Some("http://127.0.0.1:4433/")
    );
    let global = Overrides {
        public_url: Some("https://auth.example.com/.ory/kratos/public".into()),
        ..args_with_config(&path)
    };
    let profile = resolve_profile_from(&global, None).expect("flag wins");
    assert_eq!(
        profile.public_url.as_ref().map(|u| u.as_str()),
        Some("https://auth.example.com/.ory/kratos/public")
    );
    let global = Overrides {
        public_url: Some("file:///etc/passwd".into()),
        ..args_with_config(&path)
    };
    let err = resolve_profile_from(&global, None).expect_err("not http");
    let message = err.to_string();
    assert!(
        message.contains("--public-url") && message.contains("http or https"),
        "{message}"
    );
    let without = write(
        dir.path(),
        "d.toml",
        "[profiles.k]\nbase_url = \"http://127.0.0.1:4434\"\n",
    );
    let profile = resolve_profile_from(&args_with_config(&without), None).expect("profile");
    assert_eq!(profile.public_url, None, "no public URL unless one is given");
}

#[test]
fn a_first_run_offers_the_demo_and_a_profile_to_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The snippet is a valid config with one profile.
    let example = write(dir.path(), "example.toml", config::EXAMPLE_CONFIG);
    let parsed = load_config(&example).expect("the example config reads");
    assert_eq!(parsed.implicit_profile().map(|p| p.name.as_str()), Some("staging"));

    // The console with nothing configured: exit 1, the one line, then the way on.
    let out = idcon(dir.path(), &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let config_path = dir.path().join("idcon/config.toml");
    assert!(stderr.starts_with("idcon: no profile to use"), "{stderr}");
    assert!(stderr.contains("    idcon demo\n"), "{stderr}");
    assert!(
        stderr.contains(&format!("create {}", config_path.display())),
        "{stderr}"
    );
    assert!(stderr.contains("    [profiles.staging]\n"), "{stderr}");

    // A script asking for JSON gets one JSON line, without the snippet.
    let out = idcon(dir.path(), &["list", "--output", "json"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("idcon demo") && !stderr.contains("[profiles."),
        "{stderr}"
    );
}

#[test]
fn require_reason_is_read_from_the_profile_and_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "c.toml",
        r#"default = "prod"

[profiles.prod]
base_url = "https://kratos.example"
danger = true
require_reason = true

[profiles.staging]
base_url = "https://staging.example"
require_reason = false
"#,
    );
    let prod = resolve_profile_from(&args_with_config(&path), None).expect("prod");
    assert!(prod.require_reason && prod.danger);
    assert!(format!("{prod:?}").contains("require_reason: true"));
    let global = Overrides {
        profile: Some("staging".into()),
        ..args_with_config(&path)
    };
    assert!(!resolve_profile_from(&global, None).expect("staging").require_reason);
    // A profile made from flags alone asks for no reason.
    let flags = Overrides {
        base_url: Some("http://127.0.0.1:1".into()),
        ..Overrides::default()
    };
    assert!(!resolve_profile_from(&flags, None).expect("flags").require_reason);
}
