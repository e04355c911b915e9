//! Console speed and size figures (issue: browse, search and inspect).
//!
//! Criterion measures drawing the list with 100,000 identities loaded at
//! 200x50 and filtering them on a keystroke. Before that, the bench prints the
//! bytes one cursor step and one scrolling step write to a real crossterm
//! backend (with the synchronized-output wrapper), and the memory the 100,000
//! rows take.

use std::hint::black_box;
use std::io::Write;
use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use idcon::app::{App, LoadedPage, Msg, ProfileInfo, update};
use idcon::demo::{DemoOptions, DemoServer};
use idcon::tui::terminal::FrameWriter;
use idcon::ui::{theme::Theme, view};
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use serde_json::{Value, json};

const ROWS: usize = 100_000;

fn identity(i: usize) -> Value {
    json!({
        "id": format!("{:08x}-5b1e-4c2d-9a8f-{:012x}", i, i * 31),
        "schema_id": "email",
        "state": if i.is_multiple_of(7) { "inactive" } else { "active" },
        "traits": {"email": format!("user{i}@example.com"), "name": {"first": "Given", "last": format!("Family{i}")}},
        "updated_at": "2026-11-20T10:00:00Z"
    })
}

/// Which identities the app is loaded with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Data {
    /// Short, regular, ASCII rows (`user{i}@example.com`).
    Synthetic,
    /// What the demo server serves (`idcon serve-demo --seed-count 100000`):
    /// varied names and domains, accents, phone-only identities. The live
    /// figures (`benches/console_live.rs`) run on this data.
    Demo,
}

impl Data {
    fn label(self) -> &'static str {
        match self {
            Data::Synthetic => "synthetic",
            Data::Demo => "demo data",
        }
    }

    /// `ROWS` identities in pages of 500, as the console receives them.
    fn pages(self) -> Vec<Vec<Value>> {
        match self {
            Data::Synthetic => (0..ROWS)
                .step_by(500)
                .map(|start| (start..start + 500).map(identity).collect())
                .collect(),
            Data::Demo => demo_pages(),
        }
    }
}

/// Pages through an in-process demo server seeded with `ROWS` identities.
fn demo_pages() -> Vec<Vec<Value>> {
    let mut options = DemoOptions::for_tests();
    options.seed_count = Some(ROWS);
    let server = match DemoServer::build(&options) {
        Ok(server) => server,
        Err(e) => panic!("demo server: {e:#}"),
    };
    let mut pages = Vec::new();
    let mut query = "page_size=500".to_owned();
    for _ in 0..ROWS / 500 + 2 {
        let answer = server.list_identities(&query);
        let items: Vec<Value> = serde_json::from_slice(&answer.body).unwrap_or_default();
        pages.push(items);
        let next = answer
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("link"))
            .flat_map(|(_, value)| value.split(','))
            .find(|link| link.contains("rel=\"next\""))
            .and_then(|link| link.split("page_token=").nth(1))
            .and_then(|rest| rest.split(['&', '>']).next())
            .map(str::to_owned);
        match next {
            Some(token) => query = format!("page_size=500&page_token={token}"),
            None => break,
        }
    }
    pages
}

fn loaded_app(width: u16, height: u16) -> App {
    app_with(width, height, &Data::Synthetic.pages())
}

fn app_with(width: u16, height: u16, pages: &[Vec<Value>]) -> App {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let mut app = App::new(
        ProfileInfo {
            name: "bench".into(),
            base_url: "http://127.0.0.1:4455".into(),
            ..Default::default()
        },
        width,
        height,
        now,
    );
    app.start();
    update(&mut app, Msg::SchemasLoaded(Ok(Vec::new())));
    for (n, items) in pages.iter().enumerate() {
        let next = Some(vec![("page_token".to_owned(), format!("{}", (n + 1) * 500))]);
        update(
            &mut app,
            Msg::PageLoaded {
                generation: 1,
                result: Ok(LoadedPage {
                    items: items.clone(),
                    next,
                }),
            },
        );
    }
    app
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A writer whose bytes can be counted from outside the terminal.
#[derive(Clone, Default)]
struct Counter(Arc<Mutex<usize>>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut n) = self.0.lock() {
            *n += buf.len();
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Where the time of one filter keystroke goes (median of 30, in ms).
fn keystroke_phases(app: &mut App, label: &str) {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let time = |f: &mut dyn FnMut()| {
        let start = std::time::Instant::now();
        f();
        start.elapsed().as_secs_f64() * 1000.0
    };
    let (mut set_filter, mut through_update) = (Vec::new(), Vec::new());
    for _ in 0..30 {
        set_filter.push(time(&mut || app.list.set_filter(black_box("m"))));
        app.list.set_filter("");
    }
    update(app, key(KeyCode::Char('/')));
    for _ in 0..30 {
        through_update.push(time(&mut || {
            update(app, key(KeyCode::Char('m')));
        }));
        update(app, key(KeyCode::Backspace));
    }
    update(app, key(KeyCode::Esc));
    println!(
        "figure ({label}): first filter key over {ROWS}: update {:.2} ms, ListState::set_filter {:.2} ms",
        median(through_update),
        median(set_filter)
    );
}

fn print_figures(data: Data) {
    let label = data.label();
    let pages = data.pages();
    let before = resident_kib().unwrap_or(0);
    let mut app = app_with(200, 50, &pages);
    let after = resident_kib().unwrap_or(0);
    drop(pages);
    println!("figure ({label}): rows loaded: {}", app.list.rows.len());
    keystroke_phases(&mut app, label);
    println!(
        "figure ({label}): resident memory for {ROWS} rows: {:.1} MiB (process total {:.1} MiB)",
        after.saturating_sub(before) as f64 / 1024.0,
        after as f64 / 1024.0
    );

    let counter = Counter::default();
    let theme = Theme { color: true };
    let backend = CrosstermBackend::new(FrameWriter::new(counter.clone()));
    // A fixed 200x50 viewport: `Terminal::new` would take the size of the
    // terminal the bench runs in (or a fallback when there is none).
    let options = TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, 200, 50)),
    };
    let Ok(mut terminal) = Terminal::with_options(backend, options) else {
        return;
    };
    let _ = terminal.draw(|f| view(&app, &theme, f));
    let measure = |terminal: &mut Terminal<CrosstermBackend<FrameWriter<Counter>>>, app: &mut App, code: KeyCode| {
        let start = counter.0.lock().map(|n| *n).unwrap_or(0);
        update(app, key(code));
        let _ = terminal.draw(|f| view(app, &theme, f));
        counter.0.lock().map(|n| *n).unwrap_or(0) - start
    };
    let mut inside = Vec::new();
    for _ in 0..10 {
        inside.push(measure(&mut terminal, &mut app, KeyCode::Char('j')));
    }
    let body = app.list_body_height();
    for _ in 0..body {
        measure(&mut terminal, &mut app, KeyCode::Char('j'));
    }
    let mut scrolling = Vec::new();
    for _ in 0..10 {
        scrolling.push(measure(&mut terminal, &mut app, KeyCode::Char('j')));
    }
    println!(
        "figure ({label}): bytes per cursor step inside the page at 200x50: max {} (steps: {inside:?})",
        inside.iter().max().unwrap_or(&0)
    );
    println!(
        "figure ({label}): bytes per scrolling step at 200x50: max {} (steps: {scrolling:?})",
        scrolling.iter().max().unwrap_or(&0)
    );
}

fn benches(c: &mut Criterion) {
    let app = loaded_app(200, 50);
    let theme = Theme { color: true };
    let Ok(mut terminal) = Terminal::new(TestBackend::new(200, 50));
    c.bench_function("draw list, 100k loaded, 200x50", |b| {
        b.iter(|| {
            let _ = terminal.draw(|f| view(black_box(&app), &theme, f));
        })
    });
    let app = app_with(200, 50, &Data::Demo.pages());
    c.bench_function("draw list, 100k loaded (demo data), 200x50", |b| {
        b.iter(|| {
            let _ = terminal.draw(|f| view(black_box(&app), &theme, f));
        })
    });
    drop(app);

    let mut app = loaded_app(200, 50);
    c.bench_function("filter 100k rows on a keystroke", |b| {
        b.iter(|| {
            app.list.set_filter(black_box("family4"));
            app.list.set_filter("");
        })
    });
    let mut app = loaded_app(200, 50);
    app.list.set_filter("family");
    c.bench_function("narrow 100k filtered rows by one more character", |b| {
        b.iter(|| {
            app.list.set_filter(black_box("family9"));
            app.list.set_filter("family");
        })
    });
}

/// One keystroke in the search prompt as the console handles it: `update`
/// (which filters) and the frame drawn after it. Only the measured key is
/// timed; the key that undoes it runs outside the clock.
fn keystroke_benches(c: &mut Criterion) {
    for data in [Data::Synthetic, Data::Demo] {
        keystrokes(c, data);
    }
}

fn keystrokes(c: &mut Criterion, data: Data) {
    let theme = Theme { color: true };
    let Ok(mut terminal) = Terminal::new(TestBackend::new(200, 50));
    let pages = data.pages();
    let label = data.label();
    let mut keystroke = |name: &str, prefix: &str, typed: KeyCode, undo: KeyCode| {
        let mut app = app_with(200, 50, &pages);
        update(&mut app, key(KeyCode::Char('/')));
        for ch in prefix.chars() {
            update(&mut app, key(KeyCode::Char(ch)));
        }
        let _ = terminal.draw(|f| view(&app, &theme, f));
        c.bench_function(&format!("{name} ({label})"), |b| {
            b.iter_custom(|iters| {
                let mut total = std::time::Duration::ZERO;
                for _ in 0..iters {
                    let start = std::time::Instant::now();
                    black_box(update(&mut app, key(typed)));
                    let _ = terminal.draw(|f| view(&app, &theme, f));
                    total += start.elapsed();
                    update(&mut app, key(undo));
                    let _ = terminal.draw(|f| view(&app, &theme, f));
                }
                total
            })
        });
    };
    keystroke(
        "search prompt, 100k loaded: first character (full scan) + draw",
        "",
        KeyCode::Char('m'),
        KeyCode::Backspace,
    );
    keystroke(
        "search prompt, 100k loaded: one more character (narrowing) + draw",
        "ma",
        KeyCode::Char('r'),
        KeyCode::Backspace,
    );
    keystroke(
        "search prompt, 100k loaded: backspace (widening, full scan) + draw",
        "mar",
        KeyCode::Backspace,
        KeyCode::Char('r'),
    );
}

criterion_group!(console, benches, keystroke_benches);

fn main() {
    print_figures(Data::Synthetic);
    print_figures(Data::Demo);
    console();
    Criterion::default().configure_from_args().final_summary();
}
