//! What every screen shares: the terminal's size, the clock, the status
//! line, the help overlay, the spinner and the requests in flight.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::keys::Action;
use super::{Effect, Task};

/// The one-line message under the content.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    None,
    Info(String),
    Error(String),
}

#[derive(Debug)]
pub struct Chrome {
    pub width: u16,
    pub height: u16,
    /// The clock used for relative times; set by the runtime on each message
    /// so that drawing stays a pure function of state.
    pub now: DateTime<Utc>,
    pub spinner: usize,
    pub status: Status,
    /// The help overlay, when open: the first key row it shows.
    pub help: Option<usize>,
    pub quit: bool,
    /// Requests in flight, by kind.
    in_flight: HashMap<Task, usize>,
}

/// Rows of the help overlay's key list at terminal height `height`: the
/// frame and the pinned last line ("Ctrl-C quits · any key closes") are
/// taken away. The overlay draws the same number; more rows scroll.
pub fn help_page(height: u16) -> usize {
    usize::from(height.saturating_sub(3)).max(1)
}

impl Chrome {
    pub fn new(width: u16, height: u16, now: DateTime<Utc>) -> Self {
        Self {
            width,
            height,
            now,
            spinner: 0,
            status: Status::None,
            help: None,
            quit: false,
            in_flight: HashMap::new(),
        }
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.width = width;
        self.height = height;
    }

    /// True while any request is in flight.
    pub fn busy(&self) -> bool {
        self.in_flight.values().any(|&n| n > 0)
    }

    /// How many requests of `task` are in flight.
    pub fn running(&self, task: Task) -> usize {
        self.in_flight.get(&task).copied().unwrap_or(0)
    }

    pub(super) fn begin(&mut self, task: Task) {
        *self.in_flight.entry(task).or_default() += 1;
    }

    pub(super) fn finish(&mut self, task: Task) {
        if let Some(n) = self.in_flight.get_mut(&task) {
            *n = n.saturating_sub(1);
        }
    }

    pub(super) fn cancel(&mut self, task: Task) -> Effect {
        self.in_flight.insert(task, 0);
        Effect::Cancel(task)
    }

    /// A key on the help overlay, which lists `rows` keys: scroll or close.
    pub(super) fn on_help_action(&mut self, action: Action, rows: usize) {
        let Some(first) = self.help.as_mut() else {
            return;
        };
        let page = help_page(self.height);
        let last = rows.saturating_sub(page);
        *first = match action {
            Action::Up => first.saturating_sub(1),
            Action::Down => (*first + 1).min(last),
            Action::PageUp => first.saturating_sub(page),
            Action::PageDown => (*first + page).min(last),
            _ => {
                self.help = None;
                return;
            }
        };
    }
}
