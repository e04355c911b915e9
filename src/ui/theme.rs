//! Colours and text attributes. With `NO_COLOR` idcon uses its own monochrome
//! theme (bold, dim, reverse) instead of leaving it to the terminal, so every
//! state stays distinguishable without colour; with colour, only the 16 basic
//! ANSI colours are used so it reads the same on any terminal.

use ratatui::style::{Color, Modifier, Style};

use crate::app::doc::Tone;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to anything non-empty (no-color.org).
    pub fn from_env() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self { color: !no_color }
    }

    fn pick(&self, colored: Style, mono: Style) -> Style {
        if self.color { colored } else { mono }
    }

    pub fn tone(&self, tone: Tone) -> Style {
        match tone {
            Tone::Plain => Style::new(),
            Tone::Label => self.pick(Style::new().fg(Color::Cyan), Style::new()),
            Tone::Muted => self.pick(
                Style::new().fg(Color::DarkGray),
                Style::new().add_modifier(Modifier::DIM),
            ),
            Tone::Key => self.pick(Style::new().fg(Color::Blue), Style::new().add_modifier(Modifier::BOLD)),
            Tone::Str => self.pick(Style::new().fg(Color::Green), Style::new()),
            Tone::Number => self.pick(Style::new().fg(Color::Magenta), Style::new()),
            Tone::Literal => self.pick(
                Style::new().fg(Color::Yellow),
                Style::new().add_modifier(Modifier::ITALIC),
            ),
            Tone::Good => self.pick(Style::new().fg(Color::Green), Style::new()),
            Tone::Bad => self.pick(Style::new().fg(Color::Red), Style::new().add_modifier(Modifier::BOLD)),
            Tone::Heading => self.pick(
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
                Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            ),
        }
    }

    /// The selected row: reverse video, so it never depends on colour alone.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn header(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Black).bg(Color::Cyan),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }

    pub fn danger_banner(&self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )
    }

    pub fn badge(&self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            // Stands out from the reversed header: normal video, underlined.
            Style::new()
                .remove_modifier(Modifier::REVERSED)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    pub fn column_titles(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn footer_key(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    pub fn error(&self) -> Style {
        self.tone(Tone::Bad)
    }

    pub fn info(&self) -> Style {
        Style::new()
    }
}
