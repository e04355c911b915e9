//! The runtime of the console: turns terminal events, request results and
//! signals into [`Msg`]s, runs the [`Effect`]s that `update` returns on tokio
//! tasks, and redraws only after a message.
//!
//! Nothing here decides anything; all behaviour lives in `app::update`. The
//! loop ([`run_loop`]) takes any ratatui backend and a [`Host`] for what
//! only the outside provides (input, the external editor, the clipboard),
//! so tests run the real loop on a `TestBackend` with scripted keys; [`run`]
//! is the loop on the real terminal.

mod clipboard;
mod editor;
mod effects;
pub mod terminal;

use std::future::Future;
use std::io::{self, Write as _};
use std::time::Duration;

use anyhow::Context as _;
use crossterm::event::{Event, EventStream};
use futures::StreamExt as _;
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

use crate::app::{App, Effect, Msg, ProfileInfo, Status, update};
use crate::drafts::DraftStore;
use crate::ui::{theme::Theme, view};
pub use effects::{DRAFT_INTERVAL, IdentitySource, Services};
use terminal::{FrameWriter, TerminalGuard};

/// How often the spinner moves while a request is in flight. Nothing ticks
/// while the console is idle.
const TICK: Duration = Duration::from_millis(120);

/// How long quitting waits for a PUT already sent (its answer and audit line).
const WRITE_GRACE: Duration = Duration::from_secs(60);

/// How long quitting waits for drafts still being written.
const DRAFT_GRACE: Duration = Duration::from_secs(5);

/// What reaches the loop from outside the app.
#[derive(Debug)]
pub enum Input {
    Event(Event),
    /// SIGTERM, SIGHUP (dropped SSH) or SIGINT: save the draft and leave.
    Signal(&'static str),
}

/// The outside of the loop: where input comes from and what only a real
/// terminal can do. [`run`] uses the real one; tests script their own.
pub trait Host<B: Backend> {
    /// The next input; `None` when there is no more (the loop then ends).
    fn next(&mut self) -> impl Future<Output = Option<io::Result<Input>>>;
    /// Hands the terminal to `$VISUAL`/`$EDITOR` for `text` and takes it
    /// back: what the user saved, or why not (the outer error: the terminal
    /// could not be taken back).
    fn edit_externally(&mut self, terminal: &mut Terminal<B>, text: &str) -> io::Result<Result<String, String>>;
    /// Puts `text` on the clipboard (OSC 52).
    fn copy(&mut self, terminal: &mut Terminal<B>, text: &str) -> io::Result<()>;
    /// Called after each frame is drawn (tests read the screen here).
    fn drawn(&mut self, _terminal: &Terminal<B>) {}
}

/// What the loop needs besides the terminal and the services.
pub struct LoopOptions {
    pub theme: Theme,
    /// Where drafts live; `None` saves none.
    pub drafts: Option<DraftStore>,
}

/// Runs the console on the real terminal until the user quits or a signal
/// arrives.
pub async fn run(profile: ProfileInfo, services: Services) -> anyhow::Result<()> {
    terminal::install_panic_hook();
    let guard = TerminalGuard::new().context("cannot switch the terminal to full-screen mode")?;
    let writer = FrameWriter::new(io::stdout());
    let mut terminal = Terminal::new(CrosstermBackend::new(writer)).context("cannot use the terminal")?;
    let size = terminal.size()?;
    let app = App::new(profile, size.width, size.height, chrono::Utc::now());
    let mut host = RealTerminal::new()?;
    let drafts = DraftStore::default_root().map(DraftStore::new);
    let options = LoopOptions {
        theme: Theme::from_env(),
        drafts: drafts.clone(),
    };
    let app = run_loop(&mut terminal, &mut host, app, services, options).await?;
    // The shell's screen is back: say what became of the form left open.
    drop(terminal);
    drop(guard);
    if let Some(line) = farewell(&app, drafts.as_ref()) {
        // The terminal may be gone (SIGHUP): nothing to do about it then.
        let mut out = io::stdout();
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    }
    Ok(())
}

/// The line printed after the terminal is restored when a form with a
/// change was open at the end: where the change went (the draft file, read
/// back to be sure it is there), or that a password was not kept. `None`
/// when no form with a change was open.
pub fn farewell(app: &App, store: Option<&DraftStore>) -> Option<String> {
    use crate::app::drafting::{LeftOpen, left_open};
    Some(match left_open(app)? {
        LeftOpen::Draft { identity_id, form, who } => {
            let saved = store
                .and_then(|store| store.load(&app.profile.name, &identity_id).ok().flatten())
                .is_some_and(|draft| draft.form == form);
            if saved {
                format!(
                    "Draft saved: your {form} change for {who}. The next idcon session offers it on that \
                     identity (D lists drafts)."
                )
            } else {
                format!(
                    "The {form} change for {who} could NOT be saved as a draft (see idcon's log); \
                     it is lost."
                )
            }
        }
        LeftOpen::NotSaved { form, who } => {
            format!("Not saved: the {form} form for {who} (passwords and hashes are never written down).")
        }
    })
}

/// The event loop: draws, waits for input, answers and ticks, updates, runs
/// the effects; returns the app as it ended (tests look at it).
pub async fn run_loop<B, H>(
    terminal: &mut Terminal<B>,
    host: &mut H,
    mut app: App,
    services: Services,
    options: LoopOptions,
) -> anyhow::Result<App>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    H: Host<B>,
{
    clear_screen(terminal)?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut runner = effects::Runner::new(services, tx, options.drafts, app.profile.name.clone());
    // Effects from the start are handled by the loop like any others.
    let mut pending = app.start();
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let mut dirty = true;
    loop {
        // Run what the last message asked for; the external editor answers
        // at once and may queue more.
        while !pending.is_empty() {
            for effect in std::mem::take(&mut pending) {
                match effect {
                    Effect::Quit => {}
                    Effect::EditExternally { identity_id, text } => {
                        let result = host.edit_externally(terminal, &text)?;
                        clear_screen(terminal)?;
                        pending.extend(update(&mut app, Msg::ExternalEditDone { identity_id, result }));
                    }
                    Effect::Copy(text) => host.copy(terminal, &text)?,
                    other => runner.run(other),
                }
            }
        }
        if app.chrome.quit {
            break;
        }
        if dirty {
            terminal.draw(|frame| view(&app, &options.theme, frame))?;
            host.drawn(terminal);
            dirty = false;
        }
        let busy = app.busy();
        let msg = tokio::select! {
            input = host.next() => match input {
                Some(Ok(Input::Event(event))) => match to_msg(event) {
                    Some(msg) => msg,
                    None => continue,
                },
                Some(Ok(Input::Signal(name))) => {
                    tracing::info!("{name}: leaving");
                    // The open form is saved as a draft on the way out.
                    app.chrome.now = chrono::Utc::now();
                    for effect in update(&mut app, Msg::DraftTick) {
                        runner.run(effect);
                    }
                    break;
                }
                Some(Err(err)) => return Err(err).context("reading the terminal failed"),
                None => break,
            },
            Some(msg) = rx.recv() => msg,
            _ = ticker.tick(), if busy => Msg::Tick,
        };
        app.chrome.now = chrono::Utc::now();
        pending = update(&mut app, msg);
        dirty = true;
    }
    runner.cancel_all();
    if runner.writes_in_flight() {
        app.chrome.status = Status::Info("Waiting for the write in flight to finish…".into());
        // The terminal may be gone (SIGHUP): waiting matters more than drawing.
        let _ = terminal.draw(|frame| view(&app, &options.theme, frame));
    }
    runner.finish_writes(WRITE_GRACE).await;
    // Their answers: the draft of an edit that went out must not outlive it
    // (a SIGHUP mid-PUT saved one just before).
    while let Ok(msg) = rx.try_recv() {
        for effect in update(&mut app, msg) {
            if matches!(effect, Effect::RemoveDraft { .. } | Effect::SaveDraft(_)) {
                runner.run(effect);
            }
        }
    }
    runner.finish_drafts(DRAFT_GRACE).await;
    Ok(app)
}

/// Clears the screen and makes the next frame draw every cell. Unlike
/// ratatui's `Terminal::clear`, it does not ask the terminal where its cursor
/// is: that query costs a round trip over SSH before the first frame, and the
/// console would fail to start ("cursor position could not be read") on a
/// terminal or a slow link that does not answer within crossterm's 2 s.
fn clear_screen<B>(terminal: &mut Terminal<B>) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    let size = terminal.size()?;
    terminal.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))?;
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

/// The real terminal: crossterm's events, the three signals that end the
/// console, `$EDITOR`, OSC 52.
struct RealTerminal {
    /// `None` while the external editor has the terminal.
    events: Option<EventStream>,
    sigterm: Signal,
    sighup: Signal,
    sigint: Signal,
    multiplexer: clipboard::Multiplexer,
}

impl RealTerminal {
    fn new() -> io::Result<Self> {
        Ok(Self {
            events: Some(EventStream::new()),
            sigterm: signal(SignalKind::terminate())?,
            sighup: signal(SignalKind::hangup())?,
            sigint: signal(SignalKind::interrupt())?,
            multiplexer: clipboard::Multiplexer::detect(),
        })
    }
}

type RealBackend = CrosstermBackend<FrameWriter<io::Stdout>>;

impl Host<RealBackend> for RealTerminal {
    async fn next(&mut self) -> Option<io::Result<Input>> {
        let events = self.events.get_or_insert_with(EventStream::new);
        tokio::select! {
            event = events.next() => event.map(|result| result.map(Input::Event)),
            _ = self.sigterm.recv() => Some(Ok(Input::Signal("SIGTERM"))),
            _ = self.sighup.recv() => Some(Ok(Input::Signal("SIGHUP (connection dropped)"))),
            _ = self.sigint.recv() => Some(Ok(Input::Signal("SIGINT"))),
        }
    }

    fn edit_externally(
        &mut self,
        _terminal: &mut Terminal<RealBackend>,
        text: &str,
    ) -> io::Result<Result<String, String>> {
        // The editor needs the real terminal: give it back, wait, take it
        // again. The event reader must stop first, or it would steal the
        // editor's keys.
        self.events = None;
        terminal::restore();
        let result = editor::edit(text, "traits").map_err(|e| crate::text::error_line(&e));
        terminal::enter()?;
        self.events = Some(EventStream::new());
        Ok(result)
    }

    fn copy(&mut self, terminal: &mut Terminal<RealBackend>, text: &str) -> io::Result<()> {
        let bytes = clipboard::osc52(text, self.multiplexer);
        let backend = terminal.backend_mut();
        backend.write_all(&bytes)?;
        io::Write::flush(backend)
    }
}
