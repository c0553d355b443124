//! Styles for every region, in colour or without it (NO_COLOR). Without
//! colour, bold, reverse and underline carry the weight, so the production
//! badge and the gate still stand out on a monochrome terminal.

use crate::session::StepStatus;
use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn new(color: bool) -> Self {
        Theme { color }
    }

    /// Colour unless NO_COLOR is set to something (https://no-color.org).
    pub fn from_no_color(no_color: Option<&std::ffi::OsStr>) -> Self {
        Theme {
            color: no_color.is_none_or(|v| v.is_empty()),
        }
    }

    fn pick(&self, colored: Style, plain: Style) -> Style {
        if self.color { colored } else { plain }
    }

    pub fn base(&self) -> Style {
        Style::default()
    }

    pub fn bold(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        Style::default().add_modifier(Modifier::DIM)
    }

    pub fn italic(&self) -> Style {
        Style::default().add_modifier(Modifier::ITALIC)
    }

    /// The target badge: a protected target must be impossible to miss.
    pub fn target_badge(&self, protected: bool) -> Style {
        let strong = Modifier::BOLD;
        if protected {
            self.pick(
                Style::default()
                    .fg(Color::White)
                    .bg(Color::Red)
                    .add_modifier(strong),
                Style::default().add_modifier(strong | Modifier::REVERSED),
            )
        } else {
            self.pick(
                Style::default()
                    .fg(Color::Black)
                    .bg(Color::Yellow)
                    .add_modifier(strong),
                Style::default().add_modifier(strong | Modifier::UNDERLINED),
            )
        }
    }

    pub fn drill_badge(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::default().fg(Color::Cyan),
            (true, false) => Style::default().add_modifier(Modifier::BOLD),
            (false, _) => Style::default().add_modifier(Modifier::DIM),
        }
    }

    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    pub fn status(&self, status: &StepStatus) -> Style {
        let colored = match status {
            StepStatus::Pending => Style::default(),
            StepStatus::Done => Style::default().fg(Color::Green),
            StepStatus::Failed { .. } => {
                Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
            }
            StepStatus::Skipped { .. } => Style::default().add_modifier(Modifier::DIM),
            StepStatus::NotRehearsable { .. } => {
                Style::default().fg(Color::Blue).add_modifier(Modifier::DIM)
            }
            StepStatus::Running { .. } => Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            StepStatus::InDoubt => Style::default()
                .fg(Color::Magenta)
                .add_modifier(Modifier::BOLD),
            StepStatus::AwaitingGate | StepStatus::Countdown | StepStatus::AwaitingChecklist => {
                Style::default()
                    .fg(Color::Yellow)
                    .add_modifier(Modifier::BOLD)
            }
        };
        let plain = match status {
            StepStatus::Pending | StepStatus::Done => Style::default(),
            StepStatus::Skipped { .. } | StepStatus::NotRehearsable { .. } => {
                Style::default().add_modifier(Modifier::DIM)
            }
            _ => Style::default().add_modifier(Modifier::BOLD),
        };
        self.pick(colored, plain)
    }

    pub fn destructive(&self) -> Style {
        self.pick(
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    pub fn failure(&self) -> Style {
        self.pick(
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    pub fn ok(&self) -> Style {
        self.pick(Style::default().fg(Color::Green), Style::default())
    }

    pub fn code(&self) -> Style {
        self.pick(Style::default().fg(Color::Cyan), Style::default())
    }

    pub fn inline_code(&self) -> Style {
        self.pick(
            Style::default().fg(Color::Yellow),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    pub fn link(&self) -> Style {
        Style::default().add_modifier(Modifier::UNDERLINED)
    }

    pub fn key(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    pub fn gate_border(&self) -> Style {
        self.pick(
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    /// What the operator must type at the gate.
    pub fn gate_name(&self) -> Style {
        self.target_badge(true)
    }

    pub fn input(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn hint(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    pub fn flash(&self, alert: bool) -> Style {
        if alert {
            self.pick(
                Style::default()
                    .fg(Color::White)
                    .bg(Color::Red)
                    .add_modifier(Modifier::BOLD),
                Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            )
        } else {
            self.pick(
                Style::default()
                    .fg(Color::Black)
                    .bg(Color::Green)
                    .add_modifier(Modifier::BOLD),
                Style::default().add_modifier(Modifier::REVERSED),
            )
        }
    }

    pub fn search_match(&self, current: bool) -> Style {
        match (current, self.color) {
            (true, true) => Style::default().fg(Color::Black).bg(Color::Yellow),
            (false, true) => Style::default().fg(Color::Black).bg(Color::DarkGray),
            (true, false) => Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            (false, false) => Style::default().add_modifier(Modifier::UNDERLINED),
        }
    }

    pub fn marker(&self, follow: bool) -> Style {
        if follow {
            self.pick(
                Style::default()
                    .fg(Color::Green)
                    .add_modifier(Modifier::BOLD),
                self.bold(),
            )
        } else {
            self.pick(
                Style::default()
                    .fg(Color::Black)
                    .bg(Color::Yellow)
                    .add_modifier(Modifier::BOLD),
                Style::default().add_modifier(Modifier::REVERSED),
            )
        }
    }
}
