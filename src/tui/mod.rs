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
    clear_screen(&mut terminal)?;
    let size = terminal.size()?;
    let theme = Theme::from_env();
    let multiplexer = clipboard::Multiplexer::detect();

    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut runner = effects::Runner::new(services, tx);
    let mut app = App::new(profile, size.width, size.height, chrono::Utc::now());
    // Effects from the start are handled by the loop like any others.
    let mut pending = app.start();

    let mut events = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let drafts = crate::drafts::DraftStore::default_root().map(crate::drafts::DraftStore::new);
    // Drafts are saved at most once a second while a form changes.
    let mut last_draft_save = tokio::time::Instant::now() - DRAFT_INTERVAL;
    let mut draft_deadline: Option<tokio::time::Instant> = None;

    let mut dirty = true;
    loop {
        // Run what the last message asked for; some effects answer at once
        // (drafts, the external editor) and queue more.
        while !pending.is_empty() {
            for effect in std::mem::take(&mut pending) {
                match effect {
                    Effect::Quit => save_draft(&mut app, drafts.as_ref()),
                    Effect::ListDrafts => {
                        let listed = match drafts.as_ref() {
                            Some(store) => store.list(Some(&app.profile.name)).map_err(|e| e.to_string()),
                            None => Ok(Vec::new()),
                        };
                        pending.extend(update(&mut app, Msg::DraftsListed(listed)));
                    }
                    Effect::SaveDraft(draft) => store_draft(drafts.as_ref(), &draft),
                    Effect::RemoveDraft { identity_id } => remove_draft(drafts.as_ref(), &app, &identity_id),
                    Effect::EditExternally { identity_id, text } => {
                        // The editor needs the real terminal: give it back, wait, take it again.
                        // The event reader must stop first, or it would steal the editor's keys.
                        drop(events);
                        terminal::restore();
                        let result = editor::edit(&text, "traits").map_err(|e| crate::commands::one_line(&e));
                        terminal::enter()?;
                        clear_screen(&mut terminal)?;
                        events = EventStream::new();
                        pending.extend(update(&mut app, Msg::ExternalEditDone { identity_id, result }));
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
        }
        if app.quit {
            break;
        }
        if dirty {
            terminal.draw(|frame| view(&app, &theme, frame))?;
            dirty = false;
        }
        if app.draft_dirty && draft_deadline.is_none() {
            draft_deadline = Some(last_draft_save + DRAFT_INTERVAL);
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
            _ = tokio::time::sleep_until(draft_deadline.unwrap_or_else(tokio::time::Instant::now)), if draft_deadline.is_some() => {
                draft_deadline = None;
                last_draft_save = tokio::time::Instant::now();
                Msg::DraftTick
            }
            _ = sigterm.recv() => { tracing::info!("SIGTERM: leaving"); save_draft(&mut app, drafts.as_ref()); break }
            _ = sighup.recv() => { tracing::info!("SIGHUP (connection dropped): leaving"); save_draft(&mut app, drafts.as_ref()); break }
            _ = sigint.recv() => { tracing::info!("SIGINT: leaving"); save_draft(&mut app, drafts.as_ref()); break }
        };
        app.now = chrono::Utc::now();
        pending = update(&mut app, msg);
        dirty = true;
    }
    runner.cancel_all();
    if runner.writes_in_flight() {
        app.status = crate::app::Status::Info("Waiting for the write in flight to finish…".into());
        // The terminal may be gone (SIGHUP): waiting matters more than drawing.
        let _ = terminal.draw(|frame| view(&app, &theme, frame));
        runner.finish_writes(WRITE_GRACE).await;
        // Their answers: the draft of an edit that went out must not outlive
        // it (a SIGHUP mid-PUT saved one just before).
        while let Ok(msg) = rx.try_recv() {
            for effect in update(&mut app, msg) {
                match effect {
                    Effect::RemoveDraft { identity_id } => remove_draft(drafts.as_ref(), &app, &identity_id),
                    Effect::SaveDraft(draft) => store_draft(drafts.as_ref(), &draft),
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

fn remove_draft(store: Option<&crate::drafts::DraftStore>, app: &App, identity_id: &str) {
    if let Some(store) = store
        && let Err(err) = store.remove(&app.profile.name, identity_id)
    {
        tracing::warn!("cannot remove the draft of {identity_id}: {err}");
    }
}

/// How long quitting waits for a PUT already sent (its answer and audit line).
const WRITE_GRACE: Duration = Duration::from_secs(60);

/// Clears the screen and makes the next frame draw every cell. Unlike
/// ratatui's `Terminal::clear`, it does not ask the terminal where its cursor
/// is: that query costs a round trip over SSH before the first frame, and the
/// console would fail to start ("cursor position could not be read") on a
/// terminal or a slow link that does not answer within crossterm's 2 s.
fn clear_screen<W: io::Write>(terminal: &mut Terminal<CrosstermBackend<W>>) -> io::Result<()> {
    let size = terminal.size()?;
    terminal.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
}

/// How often, at most, the open form is saved as a draft.
const DRAFT_INTERVAL: Duration = Duration::from_secs(1);

fn store_draft(store: Option<&crate::drafts::DraftStore>, draft: &crate::drafts::Draft) {
    if let Some(store) = store
        && let Err(err) = store.save(draft)
    {
        tracing::warn!("cannot save the draft of {}: {err}", draft.identity_id);
    }
}

/// Saves the open form right now (leaving on a signal or quit), whatever the
/// debounce timer says.
fn save_draft(app: &mut App, store: Option<&crate::drafts::DraftStore>) {
    for effect in update(app, Msg::DraftTick) {
        if let Effect::SaveDraft(draft) = effect {
            store_draft(store, &draft);
        }
    }
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
