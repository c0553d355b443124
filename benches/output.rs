//! A command writing ~500 MB through the runner (journaled, redacted,
//! printed) against the same command redirected to /dev/null, and the
//! runner's peak memory. Run: cargo bench --bench output
//! Targets: within 1.15x of the baseline's wall time, under 64 MB.
//!
//! Writing the same bytes to a file (`cmd > file`, `cmd | cat > file`) is
//! timed in the same run: it is the floor for anything that keeps the
//! whole stream. Each command runs RUNSHEET_BENCH_ROUNDS times (default 3),
//! interleaved, after a `sync` so that one run's dirty pages do not slow
//! the next; medians are printed. RUNSHEET_BENCH_MB changes the volume
//! (default 500). RUNSHEET_BENCH_SECRET=1 declares a secret variable, so
//! every byte also goes through the redactor and the drawn-line check;
//! RUNSHEET_BENCH_COLOR=1 makes every line coloured (escape sequences:
//! the redactor's slow path).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let mb: u64 = env_num("RUNSHEET_BENCH_MB", 500);
    let rounds = env_num("RUNSHEET_BENCH_ROUNDS", 3).max(1) as usize;
    let bin = env!("CARGO_BIN_EXE_runsheet");
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    // A realistic producer: log lines, written as fast as a program can,
    // not `head -c` of zeros (which no real step does).
    // `seq` alone, no `| head`: steps run with pipefail, and a producer cut
    // by SIGPIPE would fail the step.
    let color = std::env::var_os("RUNSHEET_BENCH_COLOR").is_some();
    let line = if color {
        "line %.0f of a long-running \\033[1;32mmigration\\033[0m step, with some text to look like a log"
    } else {
        "line %.0f of a long-running migration step, with some text to look like a log"
    };
    let line_bytes = line.len() as u64 - 4 + 8 + 1 - if color { 6 } else { 0 };
    let quote = if color { "$'" } else { "'" };
    let producer = format!("seq -f {quote}{line}' 1 {}", mb * 1_000_000 / line_bytes);
    let runbook = dir.path().join("bench.md");
    let secret = std::env::var_os("RUNSHEET_BENCH_SECRET").is_some();
    let front = if secret {
        "---\nvariables:\n  BENCH_TOKEN: { secret: true }\n---\n"
    } else {
        ""
    };
    let text = format!(
        "{front}# Bench\n\n## Phase\n\n### Flood {{#flood}}\n\n```bash {{timeout=30m}}\n{producer}\n```\n"
    );
    if let Err(e) = std::fs::write(&runbook, text) {
        panic!("write runbook: {e}");
    }
    let sink = dir.path().join("sink.txt");
    let data = dir.path().join("data");

    let mut null = Vec::new();
    let mut file = Vec::new();
    let mut cat = Vec::new();
    let mut runner = Vec::new();
    let mut peak_kb = 0;
    for _ in 0..rounds {
        null.push(shell("the baseline", &format!("{producer} > /dev/null")));
        file.push(shell(
            "the file baseline",
            &format!("{producer} > '{}'", sink.display()),
        ));
        cat.push(shell(
            "the pipe baseline",
            &format!("{producer} | cat > '{}'", sink.display()),
        ));
        let _ = std::fs::remove_dir_all(&data);
        let before = children_maxrss_kb();
        runner.push(time("runsheet", || {
            Command::new(bin)
                .args([
                    "run",
                    &runbook.to_string_lossy(),
                    "--target",
                    "staging",
                    "--auto",
                ])
                .env("RUNSHEET_DATA_DIR", &data)
                .env("NO_COLOR", "1")
                .env("BENCH_TOKEN", "bench-secret-value-0123456789")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        }));
        let after = children_maxrss_kb();
        if after > before {
            peak_kb = peak_kb.max(after);
        }
    }
    let journal_bytes = dir_bytes(&data.join("journals"));
    let (null, file, cat, runner) = (
        median(&mut null),
        median(&mut file),
        median(&mut cat),
        median(&mut runner),
    );
    let x = |d: Duration| d.as_secs_f64() / null.as_secs_f64();
    println!("output volume:                 {mb} MB, median of {rounds} rounds");
    println!(
        "cmd > /dev/null (baseline):    {:>8.2} s",
        null.as_secs_f64()
    );
    println!(
        "cmd > file:                    {:>8.2} s   {:.2}x",
        file.as_secs_f64(),
        x(file)
    );
    println!(
        "cmd | cat > file:              {:>8.2} s   {:.2}x",
        cat.as_secs_f64(),
        x(cat)
    );
    println!(
        "through runsheet (journaled):  {:>8.2} s   {:.2}x   (target 1.15x)",
        runner.as_secs_f64(),
        x(runner)
    );
    println!(
        "runsheet / (cmd | cat > file): {:>8.2}x",
        runner.as_secs_f64() / cat.as_secs_f64()
    );
    println!(
        "journal size:                  {:>8.1} MB",
        journal_bytes as f64 / 1e6
    );
    if peak_kb > 0 {
        println!(
            "runner peak RSS:               {:>8.1} MB  (target 64 MB)",
            peak_kb as f64 / 1024.0
        );
    } else {
        println!("runner peak RSS:               not above the baselines' (target 64 MB)");
    }
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn shell(what: &str, script: &str) -> Duration {
    time(what, || {
        Command::new("bash")
            .args(["-c", script])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    })
}

/// Times `f` after flushing the page cache's dirty data left by earlier runs.
fn time(what: &str, f: impl FnOnce() -> bool) -> Duration {
    let _ = Command::new("sync").status();
    let t = Instant::now();
    if !f() {
        panic!("{what} failed");
    }
    t.elapsed()
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Largest resident set of any waited-for child so far, in KiB.
fn children_maxrss_kb() -> u64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map(|u| u.max_rss().max(0) as u64)
        .unwrap_or(0)
}
