use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Readable reports for panics and errors; the full-screen UI chains its
    // own hook in front of this one to give the terminal back first.
    let _ = color_eyre::install();
    // Before anything is started: a step's process that leaves its group
    // with setsid is then re-parented to runsheet, which ends it with the
    // step instead of leaving it running. Without it (not Linux), steps
    // still cannot leave anything behind in their process group.
    runsheet::exec::descendants::become_subreaper();
    let cli = runsheet::cli::Cli::parse();
    match runsheet::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("runsheet: {e:#}");
            ExitCode::from(2)
        }
    }
}
