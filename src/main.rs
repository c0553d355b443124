use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Readable reports for panics and errors; the full-screen UI chains its
    // own hook in front of this one to give the terminal back first.
    let _ = color_eyre::install();
    let cli = runsheet::cli::Cli::parse();
    match runsheet::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("runsheet: {e:#}");
            ExitCode::from(2)
        }
    }
}
