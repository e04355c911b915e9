//! Shared helpers for the demo server's integration tests (imported as
//! `support` by the `demo_*` modules): a server on a free loopback port and a
//! small reqwest client that signs like the Yoti SDKs.
#![allow(dead_code)]

use std::time::Duration;

use idcon::demo::{self, DemoOptions, RunningDemo};
use idcon::signing::{self, SigningKey};
use serde_json::Value;

/// The demo server with the test options, or with `adjust` applied to them.
pub async fn start_with(adjust: impl FnOnce(&mut DemoOptions)) -> RunningDemo {
    let mut opts = DemoOptions::for_tests();
    adjust(&mut opts);
    match demo::start(opts).await {
        Ok(server) => server,
        Err(e) => panic!("demo server did not start: {e:#}"),
    }
}

pub async fn start() -> RunningDemo {
    start_with(|_| {}).await
}

pub fn demo_key() -> SigningKey {
    match SigningKey::from_pem_str(demo::DEMO_PRIVATE_KEY_PEM, "embedded demo key") {
        Ok(key) => key,
        Err(e) => panic!("{e}"),
    }
}

/// What the test client got back.
#[derive(Debug)]
pub struct Reply {
    /// The URL requested (with the signed query).
    pub url: String,
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        match serde_json::from_str(&self.text) {
            Ok(v) => v,
            Err(e) => panic!("answer is not JSON ({e}): {}", self.text),
        }
    }

    /// `error.reason` of a Kratos envelope.
    pub fn reason(&self) -> String {
        self.json()["error"]["reason"].as_str().unwrap_or_default().to_owned()
    }

    /// One header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// The `Link` header fields as sent (Kratos sends one).
    pub fn links(&self) -> Vec<String> {
        self.headers
            .get_all("link")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    }

    /// Every `<url>; rel="..."` entry of every `Link` field (entries are
    /// joined by `,`; the URLs themselves hold no raw comma).
    pub fn link_entries(&self) -> Vec<String> {
        let mut entries: Vec<String> = Vec::new();
        for field in self.links() {
            for piece in field.split(',') {
                match entries.last_mut() {
                    Some(last) if !piece.trim_start().starts_with('<') => {
                        last.push(',');
                        last.push_str(piece);
                    }
                    _ => entries.push(piece.trim_start().to_owned()),
                }
            }
        }
        entries
    }

    /// The decoded query pairs of the link entry with `rel="{rel}"`.
    pub fn link_query(&self, rel: &str) -> Option<Vec<(String, String)>> {
        let suffix = format!("rel=\"{rel}\"");
        let entry = self.link_entries().into_iter().find(|l| l.ends_with(&suffix))?;
        let url = entry.strip_prefix('<')?.split('>').next()?.to_owned();
        let parsed = reqwest::Url::parse(&format!("http://x{url}")).ok()?;
        Some(
            parsed
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The `page_token` of the `rel="next"` link, if any.
    pub fn next_token(&self) -> Option<String> {
        self.link_query("next")?
            .into_iter()
            .find(|(k, _)| k == "page_token")
            .map(|(_, v)| v)
    }
}

/// How one request is signed; tests change a field to break it.
#[derive(Clone)]
pub struct Signing {
    pub sdk_id: Option<String>,
    pub nonce: String,
    pub timestamp_ms: u64,
    /// Replace the computed digest.
    pub digest: Option<String>,
    pub send_digest: bool,
}

impl Default for Signing {
    fn default() -> Self {
        Self {
            sdk_id: Some(demo::DEMO_SDK_ID.to_owned()),
            nonce: signing::fresh_nonce(),
            timestamp_ms: signing::now_millis(),
            digest: None,
            send_digest: true,
        }
    }
}

pub struct Client {
    pub http: reqwest::Client,
    pub key: SigningKey,
    pub base: String,
    pub extra_headers: Vec<(String, String)>,
}

impl Client {
    /// A signing client for `base` (e.g. the server's base URL, or its
    /// attribute registry URL).
    pub fn new(base: &str) -> Self {
        // Redirects are answers to look at, never to follow: a followed 307
        // would carry the signature headers to another origin.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build();
        let Ok(http) = http else { panic!("reqwest client") };
        Self {
            http,
            key: demo_key(),
            base: base.to_owned(),
            extra_headers: Vec::new(),
        }
    }

    pub async fn get(&self, endpoint: &str, params: &[(&str, &str)]) -> Reply {
        self.send("GET", endpoint, params, None, Signing::default()).await
    }

    pub async fn put(&self, endpoint: &str, body: &Value) -> Reply {
        let bytes = body.to_string().into_bytes();
        self.send("PUT", endpoint, &[], Some(&bytes), Signing::default()).await
    }

    pub async fn put_raw(&self, endpoint: &str, body: &[u8]) -> Reply {
        self.send("PUT", endpoint, &[], Some(body), Signing::default()).await
    }

    pub async fn send(
        &self,
        method: &str,
        endpoint: &str,
        params: &[(&str, &str)],
        body: Option<&[u8]>,
        how: Signing,
    ) -> Reply {
        match self.try_send(method, endpoint, params, body, how).await {
            Ok(reply) => reply,
            Err(e) => panic!("{method} {endpoint}: {e}"),
        }
    }

    pub async fn try_send(
        &self,
        method: &str,
        endpoint: &str,
        params: &[(&str, &str)],
        body: Option<&[u8]>,
        how: Signing,
    ) -> Result<Reply, reqwest::Error> {
        let params: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let signed = signing::sign_request(&self.key, method, endpoint, &params, body, &how.nonce, how.timestamp_ms);
        let url = format!("{}{}", self.base, signed.path_and_query);
        let method = match reqwest::Method::from_bytes(method.as_bytes()) {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        };
        let mut request = self
            .http
            .request(method, &url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json");
        if let Some(id) = &how.sdk_id {
            request = request.header(signing::AUTH_ID_HEADER, id);
        }
        if how.send_digest {
            let digest = how.digest.clone().unwrap_or(signed.digest);
            request = request.header(signing::DIGEST_HEADER, digest);
        }
        for (k, v) in &self.extra_headers {
            request = request.header(k, v);
        }
        if let Some(body) = body {
            request = request.body(body.to_vec());
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await?;
        Ok(Reply {
            url,
            status,
            headers,
            text,
        })
    }
}

/// A plain GET with no signature and no credentials (the public listener's
/// clients), never following redirects.
pub async fn get_unsigned(url: &str) -> Reply {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build();
    let Ok(http) = http else { panic!("reqwest client") };
    let response = match http.get(url).header("Accept", "application/json").send().await {
        Ok(r) => r,
        Err(e) => panic!("GET {url}: {e}"),
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = match response.text().await {
        Ok(t) => t,
        Err(e) => panic!("GET {url}: {e}"),
    };
    Reply {
        url: url.to_owned(),
        status,
        headers,
        text,
    }
}

/// A signing client for the server's identities API and `/schemas`.
pub fn client(server: &RunningDemo) -> Client {
    Client::new(&server.base_url())
}

/// Every identity, following the Link header.
pub async fn list_all(client: &Client, page_size: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10_000 {
        let mut params = vec![("page_size", page_size)];
        if let Some(t) = &token {
            params.push(("page_token", t.as_str()));
        }
        let reply = client.get("/admin/identities", &params).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let page = reply.json();
        all.extend(page.as_array().cloned().unwrap_or_default());
        token = reply.next_token();
        if token.is_none() {
            return all;
        }
    }
    panic!("paging did not end")
}

/// The first seeded identity whose JSON satisfies `pick`.
pub async fn find(client: &Client, pick: impl Fn(&Value) -> bool) -> Value {
    let all = list_all(client, "500").await;
    match all.into_iter().find(|i| pick(i)) {
        Some(i) => i,
        None => panic!("no seeded identity matches"),
    }
}

pub fn id_of(identity: &Value) -> String {
    identity["id"].as_str().unwrap_or_default().to_owned()
}
