//! Peak memory and time of reading a large journal: `report` (Markdown
//! and HTML), `export --asciicast` and `history`, against `verify` of the
//! same file in the same run (it reads the journal line by line, the floor
//! for anything that reads it all). Run: cargo bench --bench report
//! Target: every reader under 64 MB, whatever the journal's size.
//!
//! The journal is a real session's: runsheet runs a runbook whose first
//! step floods RUNSHEET_BENCH_MB megabytes of log lines (default 250) and
//! whose second step fails after a few lines, so the report has a failure
//! with its last output to show. Each reader runs RUNSHEET_BENCH_ROUNDS
//! times (default 3); the medians of time and the highest peak are printed.
//! Peak RSS is each reader's own, from a small measuring process that runs
//! it as its only child (getrusage of its children).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set in the environment of the measuring process (this bench again).
const MEASURE: &str = "RUNSHEET_BENCH_MEASURE";

/// What no reader may use, in megabytes.
const LIMIT_MB: f64 = 64.0;

fn main() {
    if std::env::var_os(MEASURE).is_some() {
        measure();
        return;
    }
    let mb: u64 = env_num("RUNSHEET_BENCH_MB", 250);
    let rounds = env_num("RUNSHEET_BENCH_ROUNDS", 3).max(1) as usize;
    let bin = env!("CARGO_BIN_EXE_runsheet");
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let (runbook, journal) = session(bin, dir.path(), mb);
    let size = std::fs::metadata(&journal).map(|m| m.len()).unwrap_or(0);
    println!(
        "journal: {:.0} MB, {} records",
        size as f64 / 1e6,
        std::fs::read(&journal)
            .map(|d| d.iter().filter(|b| **b == b'\n').count())
            .unwrap_or(0)
    );
    let j = journal.to_string_lossy().to_string();
    let rb = runbook.to_string_lossy().to_string();
    let readers: Vec<(&str, Vec<&str>)> = vec![
        ("verify (baseline)", vec!["verify", &j]),
        (
            "report --format markdown",
            vec!["report", &j, "--format", "markdown"],
        ),
        (
            "report --format html",
            vec!["report", &j, "--format", "html"],
        ),
        ("export --asciicast", vec!["export", "--asciicast", &j]),
        ("history", vec!["history", &rb]),
    ];
    let mut results: Vec<(&str, Vec<Duration>, u64)> =
        readers.iter().map(|(n, _)| (*n, Vec::new(), 0)).collect();
    for _ in 0..rounds {
        for (i, (_, args)) in readers.iter().enumerate() {
            let (took, peak_kb) = run_measured(bin, args, dir.path());
            results[i].1.push(took);
            results[i].2 = results[i].2.max(peak_kb);
        }
    }
    println!("{:<28} {:>10} {:>12}", "reader", "time", "peak RSS");
    let mut over = Vec::new();
    for (name, mut times, peak_kb) in results {
        times.sort();
        let median = times[times.len() / 2];
        let peak_mb = peak_kb as f64 / 1024.0;
        println!(
            "{name:<28} {:>9.2}s {:>9.1} MB",
            median.as_secs_f64(),
            peak_mb
        );
        if peak_mb > LIMIT_MB {
            over.push(name);
        }
    }
    if over.is_empty() {
        println!("every reader stays under {LIMIT_MB} MB");
    } else {
        println!("OVER {LIMIT_MB} MB: {}", over.join(", "));
        std::process::exit(1);
    }
}

/// Runs a real session that journals `mb` megabytes of output, then a
/// failure; returns the runbook and its journal.
fn session(bin: &str, dir: &Path, mb: u64) -> (PathBuf, PathBuf) {
    // Log lines, as a real step writes them; `seq` alone (no `| head`):
    // steps run with pipefail.
    let line = "line %.0f of a long-running migration step, with some text to look like a log";
    let line_bytes = line.len() as u64 - 4 + 8 + 1;
    let producer = format!("seq -f '{line}' 1 {}", mb * 1_000_000 / line_bytes);
    let runbook = dir.join("bench.md");
    let text = format!(
        "# Bench\n\n## Phase\n\n### Flood {{#flood}}\n\n```bash {{timeout=30m}}\n{producer}\n```\n\n\
         ### Fail {{#fail}}\n\n```bash\nfor i in $(seq 1 40); do echo \"check $i\"; done\necho 'disk full' >&2\nexit 1\n```\n"
    );
    if let Err(e) = std::fs::write(&runbook, text) {
        panic!("write runbook: {e}");
    }
    let started = Instant::now();
    let status = Command::new(bin)
        .args([
            "run",
            &runbook.to_string_lossy(),
            "--target",
            "staging",
            "--auto",
        ])
        .env("RUNSHEET_DATA_DIR", dir.join("data"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    // 1: the second step failed, as intended.
    if !status.as_ref().is_ok_and(|s| s.code() == Some(1)) {
        panic!("the session did not run as planned: {status:?}");
    }
    println!(
        "session: {:.1}s to journal {mb} MB of output",
        started.elapsed().as_secs_f64()
    );
    let journals: Vec<PathBuf> = std::fs::read_dir(dir.join("data").join("journals"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    let Some(journal) = journals
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
    else {
        panic!("no journal written");
    };
    (runbook, journal)
}

/// Runs `runsheet ARGS` under a measuring copy of this bench: wall time,
/// and the reader's own peak RSS in KiB.
fn run_measured(bin: &str, args: &[&str], dir: &Path) -> (Duration, u64) {
    let me = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => panic!("current exe: {e}"),
    };
    let started = Instant::now();
    let out = Command::new(me)
        .env(MEASURE, "1")
        .env("RUNSHEET_DATA_DIR", dir.join("data"))
        .env("NO_COLOR", "1")
        .arg(bin)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output();
    let took = started.elapsed();
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("measure {args:?}: {e}"),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(kb) = text.trim().parse::<u64>().ok() else {
        panic!("{args:?} did not run: {text}");
    };
    (took, kb)
}

/// The measuring process: runs its arguments as its only child, its
/// output thrown away, and prints the child's peak RSS in KiB.
fn measure() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((program, rest)) = args.split_first() else {
        panic!("nothing to measure");
    };
    let status = Command::new(program)
        .args(rest)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !status.as_ref().is_ok_and(|s| s.success()) {
        panic!("{args:?} failed: {status:?}");
    }
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN);
    match usage {
        // Linux reports ru_maxrss in KiB.
        Ok(u) => println!("{}", u.max_rss()),
        Err(e) => panic!("getrusage: {e}"),
    }
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
