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
use crate::api::models::{parse_time, redact_secrets};
use crate::api::{Client, Identity, IdentityFilter, IdentityQuery, IdentityState};
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
    let mut out = BufWriter::new(stdout.lock());
    let mut printer = Printer::new(args.output, terminal, !args.csv_raw_formulas);
    let wanted_state = args.state.map(StateFilter::state);
    let mut printed: u64 = 0;
    // Only the table and CSV name people; JSON is the server's identity.
    let mut who = match args.output {
        ListOutput::Table | ListOutput::Csv => Some(Identifiers::load(&client).await),
        ListOutput::Json | ListOutput::Jsonl => None,
    };

    let outcome: Result<(), Failure> = async {
        write_or_stop(printer.begin(&mut out))?;
        'queries: for query in queries(args, client.identity_url("").len()) {
            let mut pager = client
                .pager(query)
                .with_max_pages(usize::try_from(args.max_pages).unwrap_or(usize::MAX));
            while let Some(page) = pager.next_page().await.map_err(|err| Failure::api(&err))? {
                let raw_items = raw_items(&page.exchange.body_json(), page.value.items.len());
                if let (Some(who), Some(items)) = (who.as_mut(), raw_items.as_ref()) {
                    who.learn(&client, items).await;
                }
                for (index, identity) in page.value.items.iter().enumerate() {
                    if args.limit.is_some_and(|limit| printed >= limit) {
                        break 'queries;
                    }
                    let state_ok = wanted_state
                        .as_ref()
                        .is_none_or(|state| identity.state.get() == Some(state));
                    let schema_ok = args.schema.as_ref().is_none_or(|s| *s == identity.schema_id);
                    if !(state_ok && schema_ok) {
                        continue;
                    }
                    let mut raw = raw_items
                        .as_ref()
                        .and_then(|items| items.get(index).cloned())
                        .unwrap_or_else(|| serde_json::to_value(identity).unwrap_or(Value::Null));
                    redact_secrets(&mut raw);
                    let named = who.as_mut().map(|who| who.of(&identity.schema_id, &raw));
                    write_or_stop(printer.item(&mut out, identity, &raw, named.as_ref()))?;
                    printed += 1;
                }
                // The page is out before the next one is asked for.
                write_or_stop(out.flush())?;
                if args.limit.is_some_and(|limit| printed >= limit) {
                    break 'queries;
                }
            }
        }
        Ok(())
    }
    .await;
    // Close the JSON array (or finish the table) even after a failure, so
    // what was printed stays parseable; the failure still decides the exit code.
    let closed = write_or_stop(printer.end(&mut out).and_then(|()| out.flush()));
    outcome?;
    closed?;
    if printed == 0 && args.output == ListOutput::Table {
        eprintln!("idcon: no identities matched");
    }
    Ok(())
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
fn raw_items(body: &Option<Value>, expected: usize) -> Option<Vec<Value>> {
    match body {
        Some(Value::Array(items)) if items.len() == expected => Some(items.clone()),
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
        let first = std::mem::replace(&mut self.first, false);
        match self.output {
            ListOutput::Json => {
                out.write_all(if first { b"\n" } else { b",\n" })?;
                out.write_all(script::json_text(raw).as_bytes())
            }
            ListOutput::Jsonl => writeln!(out, "{}", script::json_text(raw)),
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
