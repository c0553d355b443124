//! Command-line surface: one module per command.

mod check;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "runsheet",
    version,
    about = "Markdown runbooks as guided, gated, journaled terminal sessions"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check runbooks and print their outline: phases, steps, targets,
    /// estimates, variables, and every destructive step with its rule.
    /// Exits 1 when a runbook has errors.
    Check {
        /// Runbook files (Markdown).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Colour in the text output.
        #[arg(long, value_enum, default_value_t = Color::Auto)]
        color: Color,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    /// Auto: a terminal, and NO_COLOR unset (https://no-color.org).
    pub fn enabled(self) -> bool {
        use std::io::IsTerminal;
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }
}

pub fn run(cli: Cli) -> color_eyre::Result<ExitCode> {
    match cli.command {
        Command::Check {
            files,
            format,
            color,
        } => check::run(&files, format, color.enabled()),
    }
}
