//! A command writing ~500 MB through the runner (journaled, redacted,
//! printed) against the same command redirected to /dev/null, and the
//! runner's peak memory. Run: cargo bench --bench output
//! Targets: within 1.15x of the baseline's wall time, under 64 MB.
//! RUNSHEET_BENCH_MB changes the volume (default 500).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let mb: u64 = std::env::var("RUNSHEET_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let bin = env!("CARGO_BIN_EXE_runsheet");
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    // A realistic producer: log lines, written as fast as a program can,
    // not `head -c` of zeros (which no real step does).
    // `seq` alone, no `| head`: steps run with pipefail, and a producer cut
    // by SIGPIPE would fail the step.
    let line = "line %.0f of a long-running migration step, with some text to look like a log";
    let line_bytes = line.len() as u64 - 4 + 8 + 1;
    let producer = format!("seq -f '{line}' 1 {}", mb * 1_000_000 / line_bytes);
    let runbook = dir.path().join("bench.md");
    let text = format!(
        "# Bench\n\n## Phase\n\n### Flood {{#flood}}\n\n```bash {{timeout=30m}}\n{producer}\n```\n"
    );
    if let Err(e) = std::fs::write(&runbook, text) {
        panic!("write runbook: {e}");
    }

    let baseline = time("the baseline", || {
        Command::new("bash")
            .args(["-c", &format!("{producer} > /dev/null")])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    });
    let before = children_maxrss_kb();
    let runner = time("runsheet", || {
        Command::new(bin)
            .args([
                "run",
                &runbook.to_string_lossy(),
                "--target",
                "staging",
                "--auto",
            ])
            .env("RUNSHEET_DATA_DIR", dir.path().join("data"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    });
    let peak_kb = children_maxrss_kb();
    let journal_bytes: u64 = std::fs::read_dir(dir.path().join("data/journals"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    let ratio = runner.as_secs_f64() / baseline.as_secs_f64();
    println!("output volume:                 {mb} MB");
    println!(
        "baseline (cmd > /dev/null):    {:>8.2} s",
        baseline.as_secs_f64()
    );
    println!(
        "through runsheet (journaled):  {:>8.2} s",
        runner.as_secs_f64()
    );
    println!("ratio:                         {ratio:>8.2}x   (target 1.15x)");
    println!(
        "journal size:                  {:>8.1} MB",
        journal_bytes as f64 / 1e6
    );
    if peak_kb > before {
        println!(
            "runner peak RSS:               {:>8.1} MB  (target 64 MB)",
            peak_kb as f64 / 1024.0
        );
    } else {
        println!(
            "runner peak RSS:               not above the baseline's {:.1} MB (target 64 MB)",
            before as f64 / 1024.0
        );
    }
}

fn time(what: &str, f: impl FnOnce() -> bool) -> Duration {
    let t = Instant::now();
    if !f() {
        panic!("{what} failed");
    }
    t.elapsed()
}

/// Largest resident set of any waited-for child so far, in KiB.
fn children_maxrss_kb() -> u64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map(|u| u.max_rss().max(0) as u64)
        .unwrap_or(0)
}
