//! The runtime of the console: owns the terminal, turns terminal events,
//! request results and signals into [`Msg`]s, runs the [`Effect`]s that
//! `update` returns on tokio tasks, and redraws only after a message.
//!
//! Nothing here decides anything; all behaviour lives in `app::update`.

mod clipboard;
mod editor;
mod effects;
pub mod terminal;

use std::io::{self, Write as _};
use std::time::Duration;

use anyhow::Context as _;
use crossterm::event::{Event, EventStream};
use futures::StreamExt as _;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::app::{App, Effect, Msg, ProfileInfo, update};
use crate::ui::{theme::Theme, view};
pub use effects::{IdentitySource, Services};
use terminal::{FrameWriter, TerminalGuard};

/// How often the spinner moves while a request is in flight. Nothing ticks
/// while the console is idle.
const TICK: Duration = Duration::from_millis(120);

/// Runs the console until the user quits or a signal arrives.
pub async fn run(profile: ProfileInfo, services: Services) -> anyhow::Result<()> {
    terminal::install_panic_hook();
    let _guard = TerminalGuard::new().context("cannot switch the terminal to full-screen mode")?;
    let writer = FrameWriter::new(io::stdout());
    let mut terminal = Terminal::new(CrosstermBackend::new(writer)).context("cannot use the terminal")?;
    terminal.clear()?;
    let size = terminal.size()?;
    let theme = Theme::from_env();
    let multiplexer = clipboard::Multiplexer::detect();

    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut runner = effects::Runner::new(services, tx);
    let mut app = App::new(profile, size.width, size.height, chrono::Utc::now());
    let first = app.start();
    runner.run_all(first);

    let mut events = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|frame| view(&app, &theme, frame))?;
            dirty = false;
        }
        let busy = app.busy();
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => match to_msg(event) {
                    Some(msg) => msg,
                    None => continue,
                },
                Some(Err(err)) => return Err(err).context("reading the terminal failed"),
                None => break,
            },
            Some(msg) = rx.recv() => msg,
            _ = ticker.tick(), if busy => Msg::Tick,
            _ = sigterm.recv() => { tracing::info!("SIGTERM: leaving"); break }
            _ = sighup.recv() => { tracing::info!("SIGHUP (connection dropped): leaving"); break }
            _ = sigint.recv() => { tracing::info!("SIGINT: leaving"); break }
        };
        app.now = chrono::Utc::now();
        let effects = update(&mut app, msg);
        dirty = true;
        for effect in effects {
            match effect {
                Effect::Quit => {}
                Effect::EditExternally { identity_id, text } => {
                    // The editor needs the real terminal: give it back, wait, take it again.
                    // The event reader must stop first, or it would steal the editor's keys.
                    drop(events);
                    terminal::restore();
                    let result = editor::edit(&text, "traits").map_err(|e| crate::commands::one_line(&e));
                    terminal::enter()?;
                    terminal.clear()?;
                    events = EventStream::new();
                    let follow_up = update(&mut app, Msg::ExternalEditDone { identity_id, result });
                    runner.run_all(follow_up);
                }
                Effect::Copy(text) => {
                    let bytes = clipboard::osc52(&text, multiplexer);
                    let backend = terminal.backend_mut();
                    backend.write_all(&bytes)?;
                    backend.flush()?;
                }
                other => runner.run(other),
            }
        }
        if app.quit {
            break;
        }
    }
    runner.cancel_all();
    Ok(())
}

/// Turns a terminal event into a message; `None` for events the console
/// ignores (focus, mouse).
fn to_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) => Some(Msg::Key(key)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(width, height) => Some(Msg::Resize { width, height }),
        _ => None,
    }
}
