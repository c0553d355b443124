//! `run`, `resume`, `demo`, `verify`, `unlock`.

use super::runtime;
use crate::journal::{self, lock::SessionLock, paths};
use crate::run::{self, ResumeOptions, RunEnd, StartOptions, Ui};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The demo runbook, compiled in so `runsheet demo` needs no checkout.
const DEMO: &str = include_str!("../../assets/runbooks/demo.md");

fn finish(result: Result<RunEnd, String>) -> color_eyre::Result<ExitCode> {
    match result {
        Ok(end) => Ok(ExitCode::from(end.exit_code())),
        Err(e) => {
            eprintln!("runsheet: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

/// The full-screen UI when a person is at a terminal, lines otherwise.
pub fn ui(plain: bool, auto: bool) -> Ui {
    use std::io::IsTerminal;
    if plain || auto || !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        Ui::Plain
    } else {
        Ui::Tui
    }
}

pub fn run(
    runbook: PathBuf,
    target: String,
    ui: Ui,
    auto: bool,
    drill: bool,
    color: bool,
) -> color_eyre::Result<ExitCode> {
    let opts = StartOptions {
        ui,
        // The journal names the runbook so that a resume from any folder
        // finds the file (and sees whether it changed).
        runbook: std::path::absolute(&runbook).unwrap_or(runbook),
        target,
        auto,
        drill,
        color,
    };
    finish(runtime()?.block_on(run::start(opts)))
}

pub fn resume(
    journal: Option<PathBuf>,
    ui: Ui,
    auto: bool,
    accept_changed_runbook: bool,
    color: bool,
) -> color_eyre::Result<ExitCode> {
    // Once, here: the lock, the journal's own records and every message
    // name a journal by its absolute path, whatever folder resume runs in.
    let journal = journal.map(|p| absolute(&p));
    if !crate::sandbox::applied()
        && let Ok(info) = run::resumed_session(journal.as_deref())
        && info.sandbox
    {
        return super::sandbox::exec_resume(&info);
    }
    // A demo resumed: its made-up token went with the process that made it.
    if std::env::var_os(DEMO_SECRET).is_none()
        && let Ok(info) = run::resumed_session(journal.as_deref())
        && demo_path().is_ok_and(|p| Path::new(&info.runbook_path) == p)
    {
        return with_demo_token();
    }
    let opts = ResumeOptions {
        ui,
        journal,
        auto,
        color,
        accept_changed_runbook,
    };
    finish(runtime()?.block_on(run::resume(opts)))
}

/// `path` made absolute (symbolic links resolved when it exists), so
/// that `resume x.jsonl` and `resume /data/journals/x.jsonl` are one
/// journal.
fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The demo's secret. A runbook cannot carry a secret's value (its text is
/// copied into the journal), so the demo makes one up and hands it over
/// the way an operator would: in the environment.
const DEMO_SECRET: &str = "DEMO_TOKEN";

/// Starts this very command again with a made-up demo token in the
/// environment (no `set_var` in a running program).
fn with_demo_token() -> color_eyre::Result<ExitCode> {
    let token = format!("demo-token-{}", fake_token());
    let args: Vec<String> = std::env::args().skip(1).collect();
    eprintln!(
        "runsheet: {}",
        crate::sandbox::exec_with_env(&[(DEMO_SECRET.into(), token)], &args)
    );
    Ok(ExitCode::from(2))
}

/// Where the demo runbook is written, so that resume finds it again.
fn demo_path() -> Result<PathBuf, String> {
    let d = paths::journal_dir().map_err(|e| e.to_string())?;
    Ok(d.parent()
        .map(|p| p.join("demo"))
        .unwrap_or(d)
        .join("demo.md"))
}

pub fn demo(target: String, ui: Ui, auto: bool, color: bool) -> color_eyre::Result<ExitCode> {
    if std::env::var_os(DEMO_SECRET).is_none() {
        return with_demo_token();
    }
    let path = match demo_path() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("runsheet: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, DEMO)) {
        eprintln!(
            "runsheet: cannot write the demo runbook to {}: {e}",
            path.display()
        );
        return Ok(ExitCode::from(2));
    }
    // A rehearsal on every target: the demo's `production` is pretend too
    // (a scratch folder), so its report, header and history say drill.
    run(path, target, ui, auto, true, color)
}

/// 16 hex digits from the system's random source (the time, if there is
/// none: it only has to differ from one demo to the next).
fn fake_token() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 8];
    let random = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if random.is_err() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes = (now ^ u64::from(std::process::id())).to_le_bytes();
    }
    hex::encode(bytes)
}

/// `runsheet verify`: see [`crate::evidence::check`].
pub fn verify(
    path: &Path,
    expect: Option<&str>,
    mut opts: crate::evidence::check::Options,
) -> color_eyre::Result<ExitCode> {
    if let Some(given) = expect {
        match crate::evidence::parse_expected(given) {
            Ok(h) => opts.expect = Some(h),
            Err(e) => {
                eprintln!("runsheet: {e}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let done = runtime()?.block_on(crate::evidence::check::verify(path, &opts));
    print!("{}", done.out);
    eprint!("{}", done.err);
    Ok(ExitCode::from(done.code))
}

/// `runsheet sign`.
pub fn sign(path: &Path, key: Option<&Path>) -> color_eyre::Result<ExitCode> {
    match runtime()?.block_on(crate::evidence::check::sign_journal(path, key)) {
        Ok(said) => {
            print!("{said}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("runsheet: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

pub fn unlock(runbook: &Path, target: &str) -> color_eyre::Result<ExitCode> {
    if let Some(said) = super::store::unlock_team(runbook, target) {
        println!("{said}");
    }
    let dir = match paths::journal_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("runsheet: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let lock = journal::lock::lock_path(&dir, runbook, target);
    if !lock.exists() {
        println!("no lock for {} on {target}", runbook.display());
        return Ok(ExitCode::SUCCESS);
    }
    // Taking it proves nobody holds it; a live holder is refused.
    match SessionLock::acquire(&dir, runbook, target, Path::new("")) {
        Ok(_) => {
            println!("no lock for {} on {target}", runbook.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(journal::LockError::Stale { lock_path, pid, .. }) => {
            if let Err(e) = SessionLock::clear_stale(&lock_path) {
                eprintln!("runsheet: cannot remove {}: {e}", lock_path.display());
                return Ok(ExitCode::from(2));
            }
            println!(
                "removed the lock left by pid {pid} ({})",
                lock_path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("runsheet: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

pub fn report(
    journal: &Path,
    format: super::ReportFormat,
    output: Option<&Path>,
) -> color_eyre::Result<ExitCode> {
    let format = match format {
        super::ReportFormat::Markdown => crate::report::Format::Markdown,
        super::ReportFormat::Html => crate::report::Format::Html,
    };
    let text = match crate::report::write(journal, format) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("runsheet: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    match output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("runsheet: cannot write {}: {e}", path.display());
                return Ok(ExitCode::from(2));
            }
            eprintln!("report written to {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn export(journal: &Path, output: Option<&Path>) -> color_eyre::Result<ExitCode> {
    let result = match output {
        Some(path) => std::fs::File::create(path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
            .and_then(|f| {
                let mut w = std::io::BufWriter::new(f);
                crate::export::asciicast::write(journal, &mut w).map_err(|e| e.to_string())?;
                std::io::Write::flush(&mut w).map_err(|e| e.to_string())
            }),
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            crate::export::asciicast::write(journal, &mut w)
                .map_err(|e| e.to_string())
                .and_then(|()| std::io::Write::flush(&mut w).map_err(|e| e.to_string()))
        }
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("runsheet: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

pub fn history(runbook: &Path) -> color_eyre::Result<ExitCode> {
    let (rb, _) = match run::load_runbook(runbook, false) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("runsheet: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let dir = match paths::journal_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("runsheet: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    // The team's sessions, when there is a store: fetched beside ours.
    if let Ok(rt) = runtime()
        && let Some(warning) = rt.block_on(crate::store::history::refresh_configured(runbook, &dir))
    {
        eprintln!("warning: {warning}");
    }
    let past = crate::history::sessions(&dir, runbook, &rb.title);
    print!("{}", crate::history::render(&rb, &past));
    Ok(ExitCode::SUCCESS)
}
