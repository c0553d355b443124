//! Terminal styling that turns itself off: `--color never`, NO_COLOR, or
//! output that is not a terminal get plain text.

use anstyle::{AnsiColor, Style};

pub struct Paint {
    on: bool,
}

impl Paint {
    pub fn new(on: bool) -> Self {
        Paint { on }
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.on {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, t: &str) -> String {
        self.paint(Style::new().bold(), t)
    }

    pub fn dim(&self, t: &str) -> String {
        self.paint(Style::new().dimmed(), t)
    }

    pub fn red(&self, t: &str) -> String {
        self.paint(AnsiColor::Red.on_default().bold(), t)
    }

    pub fn yellow(&self, t: &str) -> String {
        self.paint(AnsiColor::Yellow.on_default(), t)
    }

    pub fn green(&self, t: &str) -> String {
        self.paint(AnsiColor::Green.on_default(), t)
    }
}

/// Auto: a terminal on stdout, and NO_COLOR unset (https://no-color.org).
pub fn color_auto() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}
