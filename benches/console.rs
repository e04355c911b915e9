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
use idcon::tui::terminal::FrameWriter;
use idcon::ui::{theme::Theme, view};
use ratatui::Terminal;
use ratatui::backend::{CrosstermBackend, TestBackend};
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

fn loaded_app(width: u16, height: u16) -> App {
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
    for start in (0..ROWS).step_by(500) {
        let items = (start..start + 500).map(identity).collect();
        let next = Some(vec![("page_token".to_owned(), format!("{}", start + 500))]);
        update(
            &mut app,
            Msg::PageLoaded {
                generation: 1,
                result: Ok(LoadedPage { items, next }),
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

fn print_figures() {
    let before = resident_kib().unwrap_or(0);
    let mut app = loaded_app(200, 50);
    let after = resident_kib().unwrap_or(0);
    println!("figure: rows loaded: {}", app.list.rows.len());
    println!(
        "figure: resident memory for {ROWS} rows: {:.1} MiB (process total {:.1} MiB)",
        after.saturating_sub(before) as f64 / 1024.0,
        after as f64 / 1024.0
    );

    let counter = Counter::default();
    let theme = Theme { color: true };
    let backend = CrosstermBackend::new(FrameWriter::new(counter.clone()));
    let Ok(mut terminal) = Terminal::new(backend) else {
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
        "figure: bytes per cursor step inside the page at 200x50: max {} (steps: {inside:?})",
        inside.iter().max().unwrap_or(&0)
    );
    println!(
        "figure: bytes per scrolling step at 200x50: max {} (steps: {scrolling:?})",
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

criterion_group!(console, benches);

fn main() {
    print_figures();
    console();
    Criterion::default().configure_from_args().final_summary();
}
