use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = runsheet::cli::Cli::parse();
    match runsheet::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("runsheet: {e:#}");
            ExitCode::from(2)
        }
    }
}
