//! Key-to-screen latency of the full-screen UI in a real terminal (tmux):
//! while idle, and while the running step floods output. The key opens and
//! closes the help overlay; the time is from send-keys to the change being
//! visible in capture-pane (so it includes tmux's own work, the same in both
//! runs). Run: cargo bench --bench latency   (needs tmux)

use std::process::Command;
use std::time::{Duration, Instant};

const SOCKET: &str = "runsheet-latency-bench";
const ROUNDS: usize = 20;

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(["-L", SOCKET])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("tmux is needed for this benchmark: {e}"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn screen() -> String {
    tmux(&["capture-pane", "-p", "-t", "b"])
}

fn wait_until(what: &str, cond: impl Fn(&str) -> bool) -> Duration {
    let t = Instant::now();
    loop {
        if cond(&screen()) {
            return t.elapsed();
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "{what} never happened:\n{}",
            screen()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Median time for `?` to open the help overlay and for `Esc` to close it.
fn measure() -> Duration {
    let mut times = Vec::new();
    for _ in 0..ROUNDS {
        tmux(&["send-keys", "-t", "b", "?"]);
        times.push(wait_until("help opening", |s| s.contains("╭ Keys")));
        tmux(&["send-keys", "-t", "b", "Escape"]);
        times.push(wait_until("help closing", |s| !s.contains("╭ Keys")));
    }
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let runbook = dir.path().join("flood.md");
    let flood = "for i in $(seq 1 500); do seq -f 'line %.0f of a long-running migration step, with some text to look like a log' 1 100000; done";
    std::fs::write(
        &runbook,
        format!(
            "# Flood\n\n## P\n\n### Flood {{#flood}}\n\n```bash {{timeout=30m}}\n{flood}\n```\n"
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cmd = format!(
        "RUNSHEET_DATA_DIR={} {} run {} --target staging; sleep 60",
        dir.path().join("data").display(),
        env!("CARGO_BIN_EXE_runsheet"),
        runbook.display()
    );
    let _ = Command::new("tmux")
        .args(["-L", SOCKET, "kill-server"])
        .output();
    tmux(&[
        "new-session",
        "-d",
        "-s",
        "b",
        "-x",
        "200",
        "-y",
        "50",
        &cmd,
    ]);
    wait_until("the session to open", |s| s.contains("Flood"));

    let idle = measure();
    tmux(&["send-keys", "-t", "b", "Enter"]);
    wait_until("output to flow", |s| {
        s.contains("FOLLOW") && s.contains("line ")
    });
    std::thread::sleep(Duration::from_millis(500));
    let flooding = measure();

    tmux(&["send-keys", "-t", "b", "q"]);
    std::thread::sleep(Duration::from_millis(200));
    tmux(&["send-keys", "-t", "b", "y"]);
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("tmux")
        .args(["-L", SOCKET, "kill-server"])
        .output();

    println!(
        "key-to-screen latency (median of {} key presses, via tmux):",
        ROUNDS * 2
    );
    println!(
        "  idle:                      {:>7.1} ms",
        idle.as_secs_f64() * 1e3
    );
    println!(
        "  while the step floods:     {:>7.1} ms",
        flooding.as_secs_f64() * 1e3
    );
    println!(
        "  ratio:                     {:>7.2}x",
        flooding.as_secs_f64() / idle.as_secs_f64()
    );
}
