//! Secrets a server quotes back never leave idcon: the real binary against a
//! loopback server that echoes every request (body and headers) into its
//! error envelope, its 200 answers and its own headers. Whatever it says,
//! stderr, stdout, the audit trail and the log hold no password, hash,
//! issuance token, signature, bearer token or static header value.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

const ID: &str = "6c2f1c2e-0b6b-4bb1-b4a3-0d7c1b4c9b1a";
const PASSWORD: &str = "Hunter2";
const HASH: &str = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g";
const TOKEN: &str = "aXNzdWFuY2UtdG9rZW4tZWNob2Vk/+Yz0001";
const BEARER: &str = "gateway-bearer-token-0123456789";
const API_KEY: &str = "static-api-key-0123456789abcdef";

/// What the echo server was sent, to know the signatures it saw.
#[derive(Default)]
struct Seen {
    digests: Vec<String>,
}

/// `400` to every PUT unless the path is `.../echo-200`, quoting the body,
/// Go-escaped too, and every header; `X-Echo-*` headers repeat the secrets.
async fn handle(State(seen): State<Arc<Mutex<Seen>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default().to_vec();
    let body_text = String::from_utf8_lossy(&body).into_owned();
    let headers: serde_json::Map<String, Value> = parts
        .headers
        .iter()
        .map(|(name, value)| (name.to_string(), json!(String::from_utf8_lossy(value.as_bytes()))))
        .collect();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default()
    };
    let digest = header("x-yoti-auth-digest");
    if let Ok(mut seen) = seen.lock() {
        seen.digests.push(digest.clone());
    }
    let go = body_text
        .replace('&', "\\u0026")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e");
    let mut identity = json!({
        "id": ID,
        "schema_id": "default",
        "schema_url": "http://kratos.internal/schemas/ZGVmYXVsdA",
        "state": "active",
        "traits": {"email": "ana@example.com"},
        "metadata_public": null,
        "metadata_admin": {"yoti": {"issuance_token": TOKEN}},
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
    });
    let mut response = match parts.method.as_str() {
        "GET" => (StatusCode::OK, axum::Json(identity)).into_response(),
        "PUT" if parts.uri.path().ends_with("echo-200") || body_text.contains("echo-200") => {
            if let Ok(sent) = serde_json::from_slice::<Value>(&body)
                && let Some(traits) = sent.get("traits")
            {
                identity["traits"] = traits.clone();
            }
            identity["echo"] = json!({"body": body_text, "go": go, "headers": headers});
            (StatusCode::OK, axum::Json(identity)).into_response()
        }
        _ => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {
                "code": 400,
                "status": "Bad Request",
                "reason": format!("you sent {body_text}"),
                "message": format!("Go says {go}; headers {}", Value::Object(headers.clone())),
                "details": {"headers": headers},
            }})),
        )
            .into_response(),
    };
    for (name, value) in [
        ("x-echo-digest", digest),
        ("x-echo-authorization", header("authorization")),
        ("x-echo-api-key", header("x-api-key")),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

struct Env {
    dir: tempfile::TempDir,
    seen: Arc<Mutex<Seen>>,
}

impl Env {
    async fn start() -> Env {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let app = Router::new().fallback(handle).with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("key.pem");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys/rsa_pkcs8.pem");
        std::fs::copy(&source, &key).expect("copy key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let config_dir = dir.path().join("config/idcon");
        std::fs::create_dir_all(&config_dir).expect("config dir");
        let config = format!(
            "[profiles.echo]\n\
             base_url = \"http://{addr}\"\n\
             key_file = \"{}\"\n\
             sdk_id = \"echo-sdk\"\n\
             bearer_token_env = \"IDCON_ECHO_BEARER\"\n\
             [profiles.echo.headers]\n\
             X-Api-Key = \"{API_KEY}\"\n",
            key.display()
        );
        std::fs::write(config_dir.join("config.toml"), config).expect("config");
        Env { dir, seen }
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    async fn idcon(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_idcon"))
            .args(["--profile", "echo"])
            .args(args)
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_STATE_HOME", self.state())
            .env("IDCON_ECHO_BEARER", BEARER)
            .env("IDCON_LOG", "trace")
            .env("NO_COLOR", "1")
            .env_remove("IDCON_PROFILE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("run idcon");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin).await.expect("write stdin");
        drop(input);
        tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("idcon finished in time")
            .expect("idcon output")
    }

    /// Every secret, in the spellings a server quotes it in.
    fn secrets(&self) -> Vec<String> {
        let mut raw = vec![
            PASSWORD.to_owned(),
            HASH.to_owned(),
            TOKEN.to_owned(),
            BEARER.to_owned(),
            API_KEY.to_owned(),
        ];
        raw.extend(self.seen.lock().map(|s| s.digests.clone()).unwrap_or_default());
        raw.retain(|s| !s.is_empty());
        let mut all = Vec::new();
        for secret in raw {
            all.push(secret.replace('/', "\\/"));
            all.push(secret);
        }
        all
    }

    /// stdout, stderr, and every file idcon wrote under its state folder
    /// (the audit trail, a log).
    fn assert_clean(&self, out: &Output, what: &str) {
        let mut texts = vec![
            ("stdout".to_owned(), String::from_utf8_lossy(&out.stdout).into_owned()),
            ("stderr".to_owned(), String::from_utf8_lossy(&out.stderr).into_owned()),
        ];
        for path in files_under(&self.state()) {
            texts.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap_or_default(),
            ));
        }
        for secret in self.secrets() {
            for (name, text) in &texts {
                assert!(!text.contains(&secret), "{what}: {name} holds {secret:?}:\n{text}");
            }
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn audit(env: &Env) -> String {
    std::fs::read_to_string(env.state().join("idcon/audit.jsonl")).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_the_server_quotes_in_its_error_reaches_no_output_and_no_file() {
    let env = Env::start().await;
    let out = env
        .idcon(
            &["update", ID, "--password-stdin", "--yes"],
            format!("{PASSWORD}\n").as_bytes(),
        )
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("you sent"),
        "the server's words are still shown: {stderr}"
    );
    assert!(
        audit(&env).contains("\"outcome\""),
        "the outcome is audited: {}",
        audit(&env)
    );
    env.assert_clean(&out, "update --password-stdin");

    // The same in JSON, with a hash and the issuance token in the body.
    let out = env
        .idcon(
            &[
                "update",
                ID,
                "--password-hash-stdin",
                "--set",
                "/traits/name=\"Ana\"",
                "--yes",
                "--output",
                "json",
            ],
            format!("{HASH}\n").as_bytes(),
        )
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    env.assert_clean(&out, "update --password-hash-stdin --output json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_a_server_echoes_in_a_success_reach_no_output_and_no_file() {
    let env = Env::start().await;
    for output in ["text", "json"] {
        let out = env
            .idcon(
                &[
                    "update",
                    ID,
                    "--set",
                    "/traits/note=\"echo-200\"",
                    "--yes",
                    "--output",
                    output,
                ],
                b"",
            )
            .await;
        assert!(
            out.status.code() == Some(0) || out.status.code() == Some(6),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if output == "json" {
            // `update --output json` prints the identity the server now holds,
            // its own token included, as `idcon get` does: that is data the
            // command was asked for, not something quoted back. Anywhere else
            // in the output the token must not be.
            let mut doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
            if let Some(token) = doc.pointer_mut("/identity/metadata_admin/yoti/issuance_token") {
                *token = json!("(the identity's own)");
            }
            let out = Output {
                stdout: doc.to_string().into_bytes(),
                ..out
            };
            env.assert_clean(&out, output);
        } else {
            env.assert_clean(&out, output);
        }
    }
}

/// `update --dry-run` prints the body it would send: the issuance token it
/// echoes in `metadata_admin` is masked, and the signature (which would let
/// anyone holding the public key test guesses of it) is hidden, in every
/// format; the identity's other members are printed as they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_prints_no_issuance_token_and_no_signature_over_it() {
    let env = Env::start().await;
    for format in ["http", "json", "curl"] {
        for output in ["text", "json"] {
            let out = env
                .idcon(
                    &[
                        "update",
                        ID,
                        "--set",
                        "/traits/name=\"Ana\"",
                        "--dry-run",
                        "--format",
                        format,
                        "--output",
                        output,
                    ],
                    b"",
                )
                .await;
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
            let printed = String::from_utf8_lossy(&out.stdout);
            assert!(printed.contains("ana@example.com"), "{format}/{output}: {printed}");
            assert!(printed.contains("<redacted>"), "{format}/{output}: {printed}");
            for secret in [TOKEN.to_owned(), TOKEN.replace('/', "\\/")] {
                assert!(!printed.contains(&secret), "{format}/{output}: the token:\n{printed}");
            }
            // The message's last part is the base64 of the body, token included.
            assert!(
                !printed.contains("eyJzY2hlbWFfaWQi"),
                "the signed body's base64: {printed}"
            );
            // No signature: an RSA-2048 digest is 344 characters of base64.
            let longest_base64 = printed
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
                .map(str::len)
                .max()
                .unwrap_or_default();
            assert!(longest_base64 < 300, "a signature is printed: {printed}");
        }
    }
    assert!(audit(&env).is_empty(), "a dry run sends and records nothing");
    assert!(
        env.seen.lock().map(|s| s.digests.len()).unwrap_or_default() == 6,
        "six GETs, no PUT"
    );
}
