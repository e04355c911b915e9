//! `idcon list`: every identity a filter selects, following every page.
//!
//! Each page is written out as it arrives and then dropped, so memory stays
//! flat whatever the tenant size, in every format (`json` is one array with
//! one identity per line, `jsonl` one identity per line, `csv` one row per
//! identity, `table` rows sized to the terminal). Identities are printed as
//! the server sent them; a `credentials` member never shows a secret.
//!
//! The table and CSV name each person by the same primary identifier as the
//! console's list ([`crate::who::primary_identifier`] with the identity
//! schema's `ory.sh/kratos` credential identifier marks), so the schemas are
//! loaded first, as the console loads them ([`SchemaSource`]). JSON output
//! stays the server's identity, exactly, with nothing added.
//!
//! Nothing reaches a terminal as a control code: JSON escapes controls
//! always; csv and table cells show them escaped when stdout is a terminal,
//! while csv into a file or pipe stays exact (it is data).

use std::collections::{HashMap, HashSet};
use std::io::{self, BufWriter, IsTerminal as _, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::Value;

use super::console::SchemaSource;
use super::script::{self, Failure};
use crate::api::batches::ids_batches;
use crate::api::client::{RawIdentityPage, parse_identity_list};
use crate::api::models::{parse_time, redact_secrets};
use crate::api::{ApiError, Client, Exchange, Identity, IdentityFilter, IdentityQuery, IdentityState, Response};
use crate::config;
use crate::config::Overrides;
use crate::sanitize::for_display;
use crate::who::{IdentifierHints, primary_identifier};

/// Kratos's default page size.
const DEFAULT_PAGE_SIZE: u32 = 250;

/// Table width when stdout is no terminal and `COLUMNS` is not set.
const FALLBACK_TABLE_WIDTH: usize = 120;

#[derive(Debug, Args)]
#[command(after_help = script::EXIT_CODES_HELP)]
pub struct ListArgs {
    /// Only the identity with exactly this identifier (an email, case-folded by
    /// Kratos; a username; provider:subject for OIDC).
    #[arg(long, value_name = "IDENTIFIER", conflicts_with_all = ["similar", "ids"])]
    pub search: Option<String>,

    /// Identities whose identifier starts with PREFIX (Kratos's experimental
    /// preview_credentials_identifier_similar).
    #[arg(long, value_name = "PREFIX", conflicts_with = "ids")]
    pub similar: Option<String>,

    /// Only these identity ids (comma-separated, or the flag repeated). They
    /// are asked for in as many requests as it takes to keep each within 500
    /// ids (Kratos's limit) and 8 KiB of URL (a gateway's); each identity is
    /// printed once, in id order within each request.
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub ids: Vec<String>,

    /// Keep only identities in this state. Kratos cannot filter by state: idcon
    /// filters while paging, so every page is still fetched.
    #[arg(long, value_enum)]
    pub state: Option<StateFilter>,

    /// Keep only identities with this schema id. Kratos cannot filter by schema:
    /// idcon filters while paging, so every page is still fetched.
    #[arg(long, value_name = "ID")]
    pub schema: Option<String>,

    /// Stop after N identities (counted after --state and --schema).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,

    /// Identities per request (Kratos: default 250, at most 500).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PAGE_SIZE,
          value_parser = clap::value_parser!(u32).range(1..=500))]
    pub page_size: u32,

    /// Output format; json, jsonl and csv are streamed page by page. On a
    /// terminal every control or invisible character in a csv cell is shown
    /// escaped (ESC as \u001b, U+009B as \u009b); into a file or pipe csv cells
    /// are the server's values, exact. JSON is always exact (controls as \u
    /// escapes).
    #[arg(long, value_enum, default_value_t = ListOutput::Table)]
    pub output: ListOutput,

    /// Stop with an error after N pages (default 10,000) if the server still
    /// sends a next-page link: a server that keeps inventing links must not
    /// keep a script running forever. Raise it for a tenant larger than
    /// N × --page-size identities.
    #[arg(long, value_name = "N", default_value_t = crate::api::client::DEFAULT_MAX_PAGES as u32,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_pages: u32,

    /// CSV only: write cells that begin with = + - @ (or a tab or carriage
    /// return) as they are. By default such a cell gets a leading ' so that a
    /// spreadsheet opening the file shows it as text instead of running it as
    /// a formula (CSV injection); identity data is written by anyone who can
    /// sign up.
    #[arg(long)]
    pub csv_raw_formulas: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateFilter {
    Active,
    Inactive,
}

impl StateFilter {
    fn state(self) -> IdentityState {
        match self {
            StateFilter::Active => IdentityState::Active,
            StateFilter::Inactive => IdentityState::Inactive,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListOutput {
    /// Columns sized to the terminal width.
    Table,
    /// One JSON array, one identity per line.
    Json,
    /// One JSON identity per line.
    Jsonl,
    /// RFC 4180 CSV with a header row; JSON members as compact JSON. Exact
    /// into a file or pipe; controls shown escaped on a terminal.
    Csv,
}

pub fn run(global: &Overrides, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let json_errors = matches!(args.output, ListOutput::Json | ListOutput::Jsonl);
    Ok(script::run(json_errors, list(global, args)))
}

/// The queries to run one after the other: one, except for `--ids`, which is
/// split into requests that a gateway accepts ([`ids_batches`]: at most 500
/// ids, Kratos's limit, and a request line of at most 8 KiB, nginx's). The
/// ids are sorted and each kept once, so that an identity is printed once
/// and the requests come in the id order Kratos answers in. `url_len` is the
/// length of the identities URL before its query.
fn queries(args: &ListArgs, url_len: usize) -> Vec<IdentityQuery> {
    let query = |filter| IdentityQuery {
        page_size: Some(args.page_size),
        filter,
    };
    if let Some(identifier) = &args.search {
        return vec![query(IdentityFilter::CredentialsIdentifier(identifier.clone()))];
    }
    if let Some(prefix) = &args.similar {
        return vec![query(IdentityFilter::SimilarIdentifier(prefix.clone()))];
    }
    if args.ids.is_empty() {
        return vec![query(IdentityFilter::All)];
    }
    let ids: std::collections::BTreeSet<String> = args.ids.iter().map(|id| id.trim().to_owned()).collect();
    let ids: Vec<String> = ids.into_iter().collect();
    ids_batches(&ids, url_len)
        .into_iter()
        .map(|batch| query(IdentityFilter::Ids(batch)))
        .collect()
}

async fn list(global: &Overrides, args: &ListArgs) -> Result<(), Failure> {
    if args.ids.iter().any(|id| id.trim().is_empty()) {
        return Err(Failure::usage("--ids holds an empty id"));
    }
    let profile = config::resolve_profile(global).map_err(|err| Failure::config(&err))?;
    let client = Client::new(&profile).map_err(|err| Failure::api(&err))?;
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    // Only the table and CSV name people; JSON is the server's identity.
    let who = match args.output {
        ListOutput::Table | ListOutput::Csv => Some(Identifiers::load(&client).await),
        ListOutput::Json | ListOutput::Jsonl => None,
    };
    let mut listing = Listing {
        args,
        client: &client,
        out: BufWriter::with_capacity(OUTPUT_BUFFER_BYTES, stdout.lock()),
        printer: Printer::new(args.output, terminal, !args.csv_raw_formulas),
        wanted_state: args.state.map(StateFilter::state),
        printed: 0,
        who,
    };

    // The pages come from a task of their own, one request ahead: the next
    // page is on its way (the `Link` header gives its query before the body
    // is read) while this one is written out. With --limit each page waits
    // until the one before is out, so that no page is asked for in vain.
    let (page_tx, mut pages) = tokio::sync::mpsc::channel(1);
    let (ack_tx, acks) = match args.limit {
        Some(_) => {
            let (tx, rx) = tokio::sync::mpsc::channel(1);
            (Some(tx), Some(rx))
        }
        None => (None, None),
    };
    let max_pages = usize::try_from(args.max_pages).unwrap_or(usize::MAX);
    let fetcher = tokio::spawn(fetch_pages(
        client.clone(),
        queries(args, client.identity_url("").len()),
        max_pages,
        page_tx,
        acks,
    ));

    let outcome: Result<(), Failure> = async {
        write_or_stop(listing.printer.begin(&mut listing.out))?;
        while let Some(page) = pages.recv().await {
            let page = page.map_err(|err| Failure::api(&err))?;
            listing.page(&page.exchange).await?;
            // Each page is out as soon as it is written.
            write_or_stop(listing.out.flush())?;
            if listing.full() {
                break;
            }
            if let Some(ack) = &ack_tx {
                // The fetcher is gone only after its last page.
                let _ = ack.send(()).await;
            }
        }
        Ok(())
    }
    .await;
    drop(pages);
    fetcher.abort();
    // Close the JSON array (or finish the table) even after a failure, so
    // what was printed stays parseable; the failure still decides the exit code.
    let Listing {
        mut out,
        mut printer,
        printed,
        ..
    } = listing;
    let closed = write_or_stop(printer.end(&mut out).and_then(|()| out.flush()));
    outcome?;
    closed?;
    if printed == 0 && args.output == ListOutput::Table {
        eprintln!("idcon: no identities matched");
    }
    Ok(())
}

/// Output is written in blocks of this size (and at the end of each page).
const OUTPUT_BUFFER_BYTES: usize = 256 * 1024;

/// Every page of every query, in order, into `pages`; a failure is the last
/// thing sent. Stops when the receiver is gone. With `acks`, waits for one
/// after each page before asking for the next.
async fn fetch_pages(
    client: Client,
    queries: Vec<IdentityQuery>,
    max_pages: usize,
    pages: tokio::sync::mpsc::Sender<Result<Response<RawIdentityPage>, ApiError>>,
    mut acks: Option<tokio::sync::mpsc::Receiver<()>>,
) {
    for query in queries {
        let mut pager = client.pager(query).with_max_pages(max_pages);
        loop {
            let page = match pager.next_raw_page().await {
                Ok(Some(page)) => Ok(page),
                Ok(None) => break,
                Err(err) => Err(err),
            };
            let failed = page.is_err();
            if pages.send(page).await.is_err() || failed {
                return;
            }
            if let Some(acks) = acks.as_mut()
                && acks.recv().await.is_none()
            {
                return;
            }
        }
    }
}

/// One listing being printed: the flags, where it goes, and how far it is.
struct Listing<'a> {
    args: &'a ListArgs,
    client: &'a Client,
    out: BufWriter<io::StdoutLock<'static>>,
    printer: Printer,
    wanted_state: Option<IdentityState>,
    printed: u64,
    who: Option<Identifiers>,
}

impl Listing<'_> {
    /// `--limit` is reached.
    fn full(&self) -> bool {
        self.args.limit.is_some_and(|limit| self.printed >= limit)
    }

    /// Whether an identity passes `--state` and `--schema`.
    fn wanted(&self, state: Option<&str>, schema_id: &str) -> bool {
        let state_ok = self
            .wanted_state
            .as_ref()
            .is_none_or(|wanted| state == Some(wanted.as_str()));
        state_ok && self.args.schema.as_ref().is_none_or(|s| s == schema_id)
    }

    /// Prints the identities of one page's answer.
    async fn page(&mut self, exchange: &Exchange) -> Result<(), Failure> {
        if matches!(self.args.output, ListOutput::Json | ListOutput::Jsonl)
            && let Some(items) = streamable(&exchange.body)
        {
            return self.stream(items);
        }
        let identities = parse_identity_list(exchange).map_err(|err| Failure::api(&err))?;
        let raw_items = raw_items(exchange.body_json(), identities.len());
        if let (Some(who), Some(items)) = (self.who.as_mut(), raw_items.as_ref()) {
            who.learn(self.client, items).await;
        }
        for (index, identity) in identities.iter().enumerate() {
            if self.full() {
                break;
            }
            let state = identity.state.get().map(IdentityState::as_str);
            if !self.wanted(state, &identity.schema_id) {
                continue;
            }
            let mut raw = raw_items
                .as_ref()
                .and_then(|items| items.get(index).cloned())
                .unwrap_or_else(|| serde_json::to_value(identity).unwrap_or(Value::Null));
            redact_secrets(&mut raw);
            let named = self.who.as_mut().map(|who| who.of(&identity.schema_id, &raw));
            write_or_stop(self.printer.item(&mut self.out, identity, &raw, named.as_ref()))?;
            self.printed += 1;
        }
        Ok(())
    }

    /// JSON output of a page whose identities are written as the server
    /// spelled them ([`streamable`]); an identity that holds credentials
    /// (whose secrets are redacted) or spans lines is written again from
    /// its parsed value, as every identity used to be.
    fn stream(&mut self, items: Vec<(Probe<'_>, &str)>) -> Result<(), Failure> {
        for (probe, text) in items {
            if self.full() {
                break;
            }
            if !self.wanted(probe.state.as_deref(), &probe.schema_id) {
                continue;
            }
            let line = match one_line(text) {
                Some(line) if !probe.has_secrets() => line,
                _ => {
                    let mut raw: Value = serde_json::from_str(text)
                        .map_err(|err| Failure::error(format!("an identity of the page is not JSON: {err}")))?;
                    redact_secrets(&mut raw);
                    std::borrow::Cow::Owned(script::json_text(&raw))
                }
            };
            write_or_stop(self.printer.json_item(&mut self.out, &line))?;
            self.printed += 1;
        }
        Ok(())
    }
}

/// What a page's identity must hold to be written as the server sent it:
/// the members `--state` and `--schema` look at, and whether it carries
/// members that [`redact_secrets`] looks into. Parsing into it checks the
/// whole identity is JSON without building it (the rest is skipped).
#[derive(Debug, serde::Deserialize)]
struct Probe<'a> {
    #[serde(borrow, rename = "id")]
    _id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    schema_id: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    state: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    credentials: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    issuance_token: Option<serde::de::IgnoredAny>,
}

impl Probe<'_> {
    fn has_secrets(&self) -> bool {
        self.credentials.is_some() || self.issuance_token.is_some()
    }
}

/// A page's identities as slices of its text, each with its [`Probe`], when
/// the body is UTF-8, an array, and every item an object with a string `id`
/// and `schema_id`. `None` otherwise: the page is then read as a whole
/// ([`parse_identity_list`]), which says what is wrong with it.
fn streamable(body: &[u8]) -> Option<Vec<(Probe<'_>, &str)>> {
    let text = std::str::from_utf8(body).ok()?;
    split_array(text)?
        .into_iter()
        .map(|item| serde_json::from_str::<Probe<'_>>(item).ok().map(|probe| (probe, item)))
        .collect()
}

/// The items of a JSON array, as slices of its text (the bytes between the
/// commas at its top level, whitespace trimmed). Only splits: each item is
/// parsed afterwards. `None` when `text` is not one array.
/// Hand-written: serde_json's `RawValue` would need a crate feature, and the
/// scan is these few lines.
fn split_array(text: &str) -> Option<Vec<&str>> {
    let bytes = text.as_bytes();
    let skip_space = |mut at: usize| {
        while bytes.get(at).is_some_and(|b| b.is_ascii_whitespace()) {
            at += 1;
        }
        at
    };
    let mut at = skip_space(0);
    if bytes.get(at) != Some(&b'[') {
        return None;
    }
    let mut items = Vec::new();
    at = skip_space(at + 1);
    if bytes.get(at) == Some(&b']') {
        return (skip_space(at + 1) == bytes.len()).then_some(items);
    }
    loop {
        let start = at;
        let (mut depth, mut in_string) = (0usize, false);
        loop {
            if in_string {
                // To the closing quote, stepping over escaped characters.
                let skip = bytes.get(at..)?.iter().position(|&b| b == b'"' || b == b'\\')?;
                at += skip;
                if bytes[at] == b'\\' {
                    at += 2;
                    continue;
                }
                in_string = false;
                at += 1;
                continue;
            }
            match *bytes.get(at)? {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b',' | b']' if depth == 0 => break,
                b'}' | b']' => depth = depth.checked_sub(1)?,
                _ => {}
            }
            at += 1;
        }
        // `start` and `at` are at ASCII bytes: both are char boundaries.
        items.push(text[start..at].trim_end());
        if bytes[at] == b']' {
            return (skip_space(at + 1) == bytes.len()).then_some(items);
        }
        at = skip_space(at + 1);
    }
}

/// An identity's JSON text (checked by its [`Probe`]) as one inert line,
/// as [`script::json_text`] would write it: every character that could act
/// on a terminal as a `\\u` escape ([`crate::sanitize::json_inert`]).
/// Borrowed when there is none, which a scan of the bytes tells for ASCII.
/// `None` when it spans lines: a byte below 0x20 in valid JSON is
/// whitespace between tokens (tab, line feed, carriage return), which
/// `json_inert` must not escape; such text is written again instead.
fn one_line(json: &str) -> Option<std::borrow::Cow<'_, str>> {
    let Some(at) = json.bytes().position(|b| !(0x20..0x7f).contains(&b)) else {
        return Some(std::borrow::Cow::Borrowed(json));
    };
    let rest = &json[at..];
    if rest.bytes().any(|b| b < 0x20) {
        return None;
    }
    if rest.chars().any(crate::sanitize::is_unsafe) {
        return Some(std::borrow::Cow::Owned(crate::sanitize::json_inert(json)));
    }
    Some(std::borrow::Cow::Borrowed(json))
}

/// A closed pipe (`| head`) ends the listing quietly (a [`Failure::quiet`]
/// with exit code 0); any other write error fails.
fn write_or_stop(result: io::Result<()>) -> Result<(), Failure> {
    match result {
        Ok(()) => Ok(()),
        Err(err) if script::is_broken_pipe(&err) => Err(Failure::quiet()),
        Err(err) => Err(script::stdout_failure(&err)),
    }
}

/// The page's identities as the server sent them, when the body is an array
/// of as many objects as were parsed.
fn raw_items(body: Option<Value>, expected: usize) -> Option<Vec<Value>> {
    match body {
        Some(Value::Array(items)) if items.len() == expected => Some(items),
        _ => None,
    }
}

/// Writes one format, item by item.
struct Printer {
    output: ListOutput,
    /// Stdout is a terminal: CSV cells are made safe to show.
    terminal: bool,
    /// CSV cells that would run as spreadsheet formulas get a leading `'`.
    guard_formulas: bool,
    first: bool,
    table: Option<TableLayout>,
}

impl Printer {
    fn new(output: ListOutput, terminal: bool, guard_formulas: bool) -> Printer {
        let table = (output == ListOutput::Table).then(|| TableLayout::for_width(table_width(terminal)));
        Printer {
            output,
            terminal,
            guard_formulas,
            first: true,
            table,
        }
    }

    fn begin(&mut self, out: &mut impl Write) -> io::Result<()> {
        match self.output {
            ListOutput::Json => out.write_all(b"["),
            ListOutput::Jsonl => Ok(()),
            ListOutput::Csv => {
                let header: Vec<String> = CSV_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
                write_csv_row(out, &header)
            }
            ListOutput::Table => match &self.table {
                Some(layout) => writeln!(out, "{}", layout.header()),
                None => Ok(()),
            },
        }
    }

    /// Writes one identity; `who` names it (the table and CSV need it).
    fn item(&mut self, out: &mut impl Write, identity: &Identity, raw: &Value, who: Option<&Who>) -> io::Result<()> {
        if matches!(self.output, ListOutput::Json | ListOutput::Jsonl) {
            return self.json_item(out, &script::json_text(raw));
        }
        self.first = false;
        match self.output {
            ListOutput::Json | ListOutput::Jsonl => Ok(()),
            ListOutput::Csv => {
                let mut cells = csv_cells(identity, raw, who, self.terminal);
                if self.guard_formulas {
                    cells = cells.into_iter().map(formula_guarded).collect();
                }
                write_csv_row(out, &cells)
            }
            ListOutput::Table => match &self.table {
                Some(layout) => writeln!(out, "{}", layout.row(identity, who)),
                None => Ok(()),
            },
        }
    }

    /// Writes one identity of JSON output, given as inert compact JSON.
    fn json_item(&mut self, out: &mut impl Write, json: &str) -> io::Result<()> {
        let first = std::mem::replace(&mut self.first, false);
        if self.output == ListOutput::Json {
            out.write_all(if first { b"\n" } else { b",\n" })?;
            return out.write_all(json.as_bytes());
        }
        out.write_all(json.as_bytes())?;
        out.write_all(b"\n")
    }

    fn end(&mut self, out: &mut impl Write) -> io::Result<()> {
        match self.output {
            ListOutput::Json if self.first => out.write_all(b"]\n"),
            ListOutput::Json => out.write_all(b"\n]\n"),
            _ => Ok(()),
        }
    }
}

const CSV_COLUMNS: [&str; 11] = [
    "id",
    "schema_id",
    "state",
    "external_id",
    "created_at",
    "updated_at",
    "identifier",
    "identifiers",
    "traits",
    "metadata_public",
    "metadata_admin",
];

/// One row: plain members as text, JSON members as compact JSON, the
/// primary identifier, then every identifier separated by spaces ([`Who`]).
/// Absent and null are empty. For a terminal every unsafe character of
/// every cell is made visible ([`for_display`]); otherwise the cells are the
/// data, exact.
fn csv_cells(identity: &Identity, raw: &Value, who: Option<&Who>, terminal: bool) -> Vec<String> {
    let text = |key: &str| match raw.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    // JSON cells are already inert (`script::json_text`), and their
    // backslashes are JSON's own: shown as they are.
    let json = |key: &str| match raw.get(key) {
        None => String::new(),
        Some(value) => script::json_text(value),
    };
    let shown = |cell: String| {
        if terminal {
            for_display(&cell).into_owned()
        } else {
            cell
        }
    };
    vec![
        shown(identity.id.clone()),
        shown(identity.schema_id.clone()),
        shown(text("state")),
        shown(text("external_id")),
        shown(text("created_at")),
        shown(text("updated_at")),
        shown(who.map(|who| who.primary.clone()).unwrap_or_default()),
        shown(who.map(|who| who.all.join(" ")).unwrap_or_default()),
        json("traits"),
        json("metadata_public"),
        json("metadata_admin"),
    ]
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a
/// tab or carriage return first, as OWASP lists them) with a `'` in front,
/// which spreadsheets show as text; anything else unchanged.
fn formula_guarded(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled.
/// Hand-written: the quoting is these lines, and rows go straight to stdout
/// as pages arrive; the `csv` crate would be a dependency for nothing more.
fn write_csv_row(out: &mut impl Write, cells: &[String]) -> io::Result<()> {
    let mut line = String::new();
    for (index, cell) in cells.iter().enumerate() {
        if index > 0 {
            line.push(',');
        }
        if cell.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&cell.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(cell);
        }
    }
    line.push_str("\r\n");
    out.write_all(line.as_bytes())
}

/// Every credential identifier (emails, usernames, `provider:subject`), in
/// credential-type order, each once; empty when the server sent no
/// credentials (Kratos's list sends them only for a credentials filter:
/// `identity/handler.go` `parseListIdentitiesParameters`).
fn credential_identifiers(raw: &Value) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    let Some(credentials) = raw.get("credentials").and_then(Value::as_object) else {
        return all;
    };
    let mut kinds: Vec<&String> = credentials.keys().collect();
    kinds.sort();
    for kind in kinds {
        let ids = credentials[kind].get("identifiers").and_then(Value::as_array);
        for id in ids.into_iter().flatten().filter_map(Value::as_str) {
            if !id.is_empty() && !all.iter().any(|known| known == id) {
                all.push(id.to_owned());
            }
        }
    }
    all
}

/// The text at `path` below `traits`, when it is a non-empty string.
fn trait_text<'a>(traits: &'a Value, path: &[String]) -> Option<&'a str> {
    path.iter()
        .try_fold(traits, |node, key| node.get(key))
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
}

/// How one identity is named in the table and CSV.
#[derive(Debug, Clone, PartialEq, Default)]
struct Who {
    /// The primary identifier, exactly as the console's list row picks it
    /// ([`primary_identifier`] with the schema's hints); empty when the
    /// traits hold none.
    primary: String,
    /// Every identifier the person signs in with: the credential
    /// identifiers when the server sent credentials (Kratos stores emails
    /// lower-cased there), else the values of the traits the schema marks as
    /// credential identifiers, else the primary identifier alone.
    all: Vec<String>,
}

/// The identity schemas' identifier marks, loaded the way the console loads
/// them ([`SchemaSource`]: the server's list, read from `public_url` or
/// through Kratos's redirect to its public port; when the list cannot be
/// read, each schema in use from an identity's `schema_url`, once). When a
/// schema is missing, its identities are named by the usual traits (email,
/// phone, username), as in the console, and stderr says so once.
pub(super) struct Identifiers {
    source: SchemaSource,
    hints: HashMap<String, IdentifierHints>,
    /// Why the server's list could not be read (then `schema_url` is tried).
    list_error: Option<String>,
    /// Schema ids already looked for by `schema_url`.
    asked: HashSet<String>,
    /// The one line about missing schemas has been printed.
    warned: bool,
}

impl Identifiers {
    /// Reads the server's list of identity schemas.
    pub(super) async fn load(client: &Client) -> Identifiers {
        let source = SchemaSource::default();
        let (hints, list_error) = match source.load(client).await {
            Ok(schemas) => (
                schemas
                    .iter()
                    .map(|(id, schema)| (id.clone(), IdentifierHints::from_schema(schema)))
                    .collect(),
                None,
            ),
            Err(err) => (HashMap::new(), Some(err)),
        };
        Identifiers {
            source,
            ..Identifiers::with(hints, list_error)
        }
    }

    fn with(hints: HashMap<String, IdentifierHints>, list_error: Option<String>) -> Identifiers {
        Identifiers {
            source: SchemaSource::default(),
            hints,
            list_error,
            asked: HashSet::new(),
            warned: false,
        }
    }

    /// Before a page is printed: when the list could not be read, the
    /// schemas of this page not seen yet, each from its `schema_url`, once.
    pub(super) async fn learn(&mut self, client: &Client, identities: &[Value]) {
        if self.list_error.is_none() {
            return;
        }
        let new: Vec<String> = identities
            .iter()
            .filter_map(|identity| identity.get("schema_id").and_then(Value::as_str))
            .filter(|id| !self.hints.contains_key(*id) && !self.asked.contains(*id))
            .map(str::to_owned)
            .collect();
        if new.is_empty() {
            return;
        }
        self.asked.extend(new);
        self.source.note(identities);
        if let Ok(loaded) = self.source.load(client).await {
            for (id, schema) in loaded {
                self.hints
                    .entry(id)
                    .or_insert_with(|| IdentifierHints::from_schema(&schema));
            }
        }
    }

    /// The hints of one schema; the first time one is missing, says so on
    /// stderr (once for the whole listing, not per row).
    pub(super) fn hints(&mut self, schema_id: &str) -> Option<&IdentifierHints> {
        if !self.hints.contains_key(schema_id) && !self.warned {
            self.warned = true;
            eprintln!("idcon: warning: {}", self.missing_line(schema_id));
        }
        self.hints.get(schema_id)
    }

    fn missing_line(&self, schema_id: &str) -> String {
        let why = match &self.list_error {
            Some(err) => format!(
                "the identity schemas could not be listed ({}), nor schema \"{}\" read from its schema_url",
                crate::text::single_line(err),
                schema_id
            ),
            None => format!("identity schema \"{schema_id}\" is not among the server's schemas"),
        };
        let line = format!(
            "{why}; identities without their schema are named by their email, phone or username trait \
             (as the console does)"
        );
        for_display(&line).into_owned()
    }

    /// How one identity (as the server sent it) is named.
    fn of(&mut self, schema_id: &str, raw: &Value) -> Who {
        let traits = raw.get("traits").unwrap_or(&Value::Null);
        let hints = self.hints(schema_id);
        let primary = primary_identifier(traits, hints).unwrap_or_default();
        let mut all = credential_identifiers(raw);
        if all.is_empty()
            && let Some(hints) = hints
        {
            for path in &hints.paths {
                if let Some(text) = trait_text(traits, path)
                    && !all.iter().any(|known| known == text)
                {
                    all.push(text.to_owned());
                }
            }
        }
        if all.is_empty() && !primary.is_empty() {
            all.push(primary.clone());
        }
        Who { primary, all }
    }
}

/// The width a table may use: the terminal's, else `COLUMNS`, else 120.
fn table_width(terminal: bool) -> usize {
    if terminal && let Ok((columns, _)) = crossterm::terminal::size() {
        return usize::from(columns).max(40);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c >= 40)
        .unwrap_or(FALLBACK_TABLE_WIDTH)
}

/// Column widths for one table: the id whole when it fits, the identifier
/// takes what is left.
struct TableLayout {
    id: usize,
    state: usize,
    schema: usize,
    updated: usize,
    identifier: usize,
}

impl TableLayout {
    fn for_width(width: usize) -> TableLayout {
        let (state, updated) = (8, 19);
        let schema = if width >= 100 { 16 } else { 10 };
        let id = if width >= 90 { 36 } else { 13 };
        let used = id + state + schema + updated + 4 * 2;
        TableLayout {
            id,
            state,
            schema,
            updated,
            identifier: width.saturating_sub(used).max(10),
        }
    }

    fn header(&self) -> String {
        self.line(["ID", "STATE", "SCHEMA", "UPDATED", "IDENTIFIER"])
    }

    fn row(&self, identity: &Identity, who: Option<&Who>) -> String {
        let state = identity.state.get().map(|s| s.as_str().to_owned()).unwrap_or_default();
        let updated = identity
            .updated_at
            .get()
            .map(|t| parse_time(t).map_or_else(|| t.clone(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string()))
            .unwrap_or_default();
        let identifier = who.map(|who| who.primary.as_str()).unwrap_or_default();
        self.line([identity.id.as_str(), &state, &identity.schema_id, &updated, identifier])
    }

    fn line<S: AsRef<str>>(&self, cells: [S; 5]) -> String {
        let widths = [self.id, self.state, self.schema, self.updated, self.identifier];
        let mut line = String::new();
        for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if index > 0 {
                line.push_str("  ");
            }
            let shown = crate::text::fit(&for_display(cell.as_ref()), width);
            if index + 1 < widths.len() {
                line.push_str(&format!("{shown:<width$}"));
            } else {
                line.push_str(&shown);
            }
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let mut out = Vec::new();
        let cells = vec![
            "a".to_owned(),
            "b,c".to_owned(),
            "say \"hi\"".to_owned(),
            "x\ny".to_owned(),
        ];
        assert!(write_csv_row(&mut out, &cells).is_ok());
        assert_eq!(
            String::from_utf8_lossy(&out),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\"\r\n"
        );
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_are_guarded() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://evil.example\")",
                "'=HYPERLINK(\"http://evil.example\")",
            ),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("ana@example.com", "ana@example.com"),
            ("{\"email\":\"=1\"}", "{\"email\":\"=1\"}"),
        ] {
            assert_eq!(formula_guarded(cell.to_owned()), written);
        }
        let mut printer = Printer::new(ListOutput::Csv, false, true);
        let identity: Identity = match serde_json::from_value(serde_json::json!({
            "id": "4f1b0c2e-0000-4000-8000-000000000001", "schema_id": "default",
            "state": "active", "external_id": "=cmd|' /C calc'!A0", "traits": {}
        })) {
            Ok(identity) => identity,
            Err(err) => panic!("{err}"),
        };
        let raw = match serde_json::to_value(&identity) {
            Ok(raw) => raw,
            Err(err) => panic!("{err}"),
        };
        let mut out = Vec::new();
        assert!(printer.item(&mut out, &identity, &raw, None).is_ok());
        assert!(String::from_utf8_lossy(&out).contains(",'=cmd|' /C calc'!A0,"));
        let mut raw_printer = Printer::new(ListOutput::Csv, false, false);
        let mut out = Vec::new();
        assert!(raw_printer.item(&mut out, &identity, &raw, None).is_ok());
        assert!(String::from_utf8_lossy(&out).contains(",=cmd|' /C calc'!A0,"));
    }

    #[test]
    fn csv_cells_are_exact_for_data_and_inert_for_a_terminal() {
        let raw = serde_json::json!({
            "id": "id-\u{1b}[2J",
            "schema_id": "schema\u{9b}31m",
            "state": "active\u{7}",
            "external_id": "ext\u{1b}]52;c;aGk=\u{7}",
            "traits": {"email": "a@b.c\u{202e}"},
            "credentials": {"password": {"identifiers": ["who\r@example.com"]}}
        });
        let identity: Identity = match serde_json::from_value(raw.clone()) {
            Ok(identity) => identity,
            Err(err) => panic!("{err}"),
        };
        let who = Identifiers::with(HashMap::new(), None).of("schema", &raw);
        let data = csv_cells(&identity, &raw, Some(&who), false);
        assert_eq!(data[0], "id-\u{1b}[2J");
        assert_eq!(data[1], "schema\u{9b}31m");
        assert_eq!(data[2], "active\u{7}");
        assert_eq!(data[3], "ext\u{1b}]52;c;aGk=\u{7}");
        assert_eq!(data[6], "a@b.c\u{202e}");
        assert_eq!(data[7], "who\r@example.com");
        let shown = csv_cells(&identity, &raw, Some(&who), true);
        for cell in &shown {
            assert!(!cell.chars().any(crate::sanitize::is_unsafe), "{cell:?}");
        }
        assert_eq!(shown[1], "schema\\u009b31m");
        assert_eq!(shown[3], "ext\\u001b]52;c;aGk=\\u0007");
        assert_eq!(shown[6], "a@b.c\\u202e");
        assert_eq!(shown[7], "who\\u000d@example.com");
    }

    #[test]
    fn arrays_split_at_their_top_level_commas_only() {
        assert_eq!(split_array("[]"), Some(vec![]));
        assert_eq!(split_array(" [ \n ] \n"), Some(vec![]));
        assert_eq!(
            split_array(r#"[{"a":"x,]}\"{"},{"b":[1,{"c":2}]} , 3 ,"s\\"]"#),
            Some(vec![r#"{"a":"x,]}\"{"}"#, r#"{"b":[1,{"c":2}]}"#, "3", r#""s\\""#])
        );
        for not_one_array in ["", "{}", "[1] x", "[1,2", r#"[{"a":"open]"#, "[1}]", r#"["a\"#, "[1]]"] {
            assert_eq!(split_array(not_one_array), None, "{not_one_array:?}");
        }
    }

    #[test]
    fn identities_are_written_as_sent_when_that_is_one_inert_line() {
        let plain = r#"{"id":"a","traits":{"email":"ana@example.com"}}"#;
        assert!(matches!(one_line(plain), Some(std::borrow::Cow::Borrowed(_))));
        let accented = r#"{"id":"a","traits":{"name":"Søren Yılmaz 日本"}}"#;
        assert!(matches!(one_line(accented), Some(std::borrow::Cow::Borrowed(_))));
        let hostile = "{\"id\":\"a\",\"traits\":{\"name\":\"x\u{202e}y\u{9b}31m\u{7f}\"}}";
        let shown = one_line(hostile).map(std::borrow::Cow::into_owned).unwrap_or_default();
        assert_eq!(shown, r#"{"id":"a","traits":{"name":"x\u202ey\u009b31m\u007f"}}"#);
        let parsed: Result<Value, _> = serde_json::from_str(&shown);
        assert_eq!(
            parsed.ok(),
            serde_json::from_str::<Value>(hostile).ok(),
            "the same JSON value"
        );
        // Whitespace between tokens other than spaces: written again.
        for spread in [
            "{\"id\":\"a\",\n\"b\":1}",
            "{\"id\":\"a\",\t\"b\":\"ü\"}",
            "{\"b\":1}\r",
        ] {
            assert!(one_line(spread).is_none(), "{spread:?}");
        }
    }

    #[test]
    fn only_pages_of_identities_stream() {
        let page = br#"[{"id":"a","schema_id":"s","state":"inactive"},{"id":"b","schema_id":"t","credentials":{}}]"#;
        let items = streamable(page).unwrap_or_default();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].0.state.as_deref(), Some("inactive"));
        assert!(!items[0].0.has_secrets() && items[1].0.has_secrets());
        assert_eq!(items[1].1, r#"{"id":"b","schema_id":"t","credentials":{}}"#);
        for other in [
            &br#"[{"id":"a"}]"#[..],
            br#"[{"id":"a","schema_id":7}]"#,
            br#"[{"id":"a","schema_id":"s","state":1}]"#,
            br#"[1]"#,
            br#"[{"id":"a","schema_id":"s","credentials":null,"credentials":{}}]"#,
            br#"{"id":"a","schema_id":"s"}"#,
            b"[{\"id\":\"a\",\"schema_id\":\"\xff\"}]",
        ] {
            assert!(streamable(other).is_none(), "{}", String::from_utf8_lossy(other));
        }
    }

    fn schema_marking(paths: &[&str]) -> Value {
        let mut properties = serde_json::Map::new();
        for path in paths {
            properties.insert(
                (*path).to_owned(),
                serde_json::json!({"type": "string",
                    "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}}),
            );
        }
        serde_json::json!({"properties": {"traits": {"properties": properties}}})
    }

    /// The primary identifier is the console row's; `identifiers` lists the
    /// credentials when the server sent them, else the marked traits.
    #[test]
    fn people_are_named_as_the_console_names_them() {
        let hints = HashMap::from([
            (
                "phone".to_owned(),
                IdentifierHints::from_schema(&schema_marking(&["phone", "email"])),
            ),
            (
                "mail".to_owned(),
                IdentifierHints::from_schema(&schema_marking(&["email"])),
            ),
        ]);
        let mut who = Identifiers::with(hints.clone(), None);
        let linked = serde_json::json!({
            "id": "a", "schema_id": "mail",
            "traits": {"email": "Sofia@Example.com", "name": {"first": "Sofia"}},
            "credentials": {
                "oidc": {"identifiers": ["github:1234"]},
                "password": {"identifiers": ["sofia@example.com"]}
            }
        });
        let named = who.of("mail", &linked);
        let row = crate::app::rows::IdentityRow::from_identity(&linked, hints.get("mail"));
        assert_eq!(named.primary, row.identifier);
        assert_eq!(named.primary, "Sofia@Example.com", "not the github subject");
        assert_eq!(named.all, ["github:1234", "sofia@example.com"]);

        let phone = serde_json::json!({
            "id": "b", "schema_id": "phone",
            "traits": {"email": "p@example.com", "phone": "+15550001"}
        });
        let named = who.of("phone", &phone);
        let row = crate::app::rows::IdentityRow::from_identity(&phone, hints.get("phone"));
        assert_eq!(named.primary, row.identifier);
        assert_eq!(named.all.len(), 2, "both marked traits: {:?}", named.all);
        assert!(named.all.contains(&"+15550001".to_owned()) && named.all.contains(&"p@example.com".to_owned()));

        assert!(!who.warned, "every schema was known");
        let unknown = serde_json::json!({"id": "c", "schema_id": "other", "traits": {"username": "ana"}});
        let named = who.of("other", &unknown);
        assert!(who.warned, "a missing schema is said once");
        assert_eq!(named.primary, "ana");
        assert_eq!(named.all, ["ana"]);
        assert_eq!(who.of("other", &serde_json::json!({"traits": {}})), Who::default());
        assert!(
            who.missing_line("other")
                .contains("\"other\" is not among the server's schemas"),
            "{}",
            who.missing_line("other")
        );
    }

    #[test]
    fn table_rows_fit_the_width_and_show_no_controls() {
        let identity: Identity = match serde_json::from_value(serde_json::json!({
            "id": "4f1b0c2e-0000-4000-8000-000000000001",
            "schema_id": "default",
            "state": "active",
            "traits": {"email": "\u{1b}]52;c;aGk=\u{7}evil@example.com-with-a-very-long-address-indeed"},
            "updated_at": "2024-05-06T07:08:09Z"
        })) {
            Ok(identity) => identity,
            Err(err) => panic!("{err}"),
        };
        for width in [80, 120] {
            let layout = TableLayout::for_width(width);
            let who = Identifiers::with(HashMap::new(), None).of(
                "default",
                &serde_json::json!({
                    "traits": {"email": "\u{1b}]52;c;aGk=\u{7}evil@example.com-with-a-very-long-address-indeed"}
                }),
            );
            let row = layout.row(&identity, Some(&who));
            assert!(row.chars().count() <= width, "{width}: {row}");
            assert!(!row.contains('\u{1b}') && !row.contains('\u{7}'), "{row}");
            assert!(row.contains("2024-05-06 07:08:09"), "{row}");
            assert!(row.contains("\\u001b]52;c;aGk="), "the identifier, escaped: {row}");
        }
    }
}
