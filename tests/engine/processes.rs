//! No process a step started outlives it, whichever way it left the step's
//! process group (setsid, a daemon's double fork, `setsid -f`, nohup, a
//! cleared environment) and whichever way the step ended (success,
//! failure, timeout, cancel, runsheet stopped). Real processes through the
//! built binary; each leftover writes its pid to a file for /proc checks.

use crate::support::workdir;

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use workdir::Workdir;

/// Ways a step's process escapes its process group, each writing the pid
/// of a `sleep 1000` that would be left behind to `$WORK/NAME.pid`, and
/// waiting until it has (a daemon's pid file is written after the fork).
const ESCAPES: &[(&str, &str)] = &[
    (
        "setsid",
        r#"setsid sleep 1000 & echo $! > "$WORK/setsid.pid""#,
    ),
    (
        "daemon",
        r#"( setsid sh -c 'sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > "$WORK/daemon.pid"' & )"#,
    ),
    (
        "nohup",
        r#"nohup sleep 1000 >/dev/null 2>&1 & echo $! > "$WORK/nohup.pid""#,
    ),
    (
        "setsid-f",
        r#"setsid -f sh -c 'echo $$ > "$WORK/setsid-f.pid"; exec sleep 1000' </dev/null >/dev/null 2>&1"#,
    ),
    (
        "env-i",
        r#"setsid -f env -i sh -c 'echo $$ > "$1"; exec sleep 1000' sh "$WORK/env-i.pid" </dev/null >/dev/null 2>&1"#,
    ),
    (
        "deaf",
        r#"setsid sh -c 'trap "" TERM HUP; echo $$ > "$WORK/deaf.pid"; while :; do sleep 1; done' >/dev/null 2>&1 &"#,
    ),
];

/// A bash block that starts every escape, waits for their pid files, then
/// runs `then`.
fn escaping_block(attrs: &str, then: &str) -> String {
    let mut block = format!("```bash {attrs}\n");
    for (name, line) in ESCAPES {
        block.push_str(line);
        block.push('\n');
        block.push_str(&format!(
            "while [ ! -s \"$WORK/{name}.pid\" ]; do sleep 0.02; done\n"
        ));
    }
    block.push_str("echo started\n");
    block.push_str(then);
    block.push_str("\n```\n");
    block
}

fn runbook(step: &str) -> String {
    format!(
        "# Leftovers\n\n## Phase\n\n### Escape {{#escape}}\n\n{step}\n### After {{#after}}\n\n```bash\ntouch \"$WORK/after\"\nsleep 1\n```\n"
    )
}

fn text(o: &Output) -> String {
    format!(
        "--- exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The pid each escape wrote.
fn escaped_pids(w: &Workdir) -> Vec<(&'static str, i32)> {
    ESCAPES
        .iter()
        .map(|(name, _)| {
            let file = w.path().join(format!("{name}.pid"));
            wait_for(&format!("{name}.pid"), || {
                std::fs::read_to_string(&file).is_ok_and(|t| t.trim().parse::<i32>().is_ok())
            });
            let pid = std::fs::read_to_string(&file)
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or_else(|| panic!("{name}.pid"));
            (*name, pid)
        })
        .collect()
}

/// The state letter of a process (R, S, Z …), `None` once it is gone.
fn state(pid: i32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().next().map(str::to_string)
}

fn running(pid: i32) -> bool {
    state(pid).is_some_and(|s| s != "Z" && s != "X")
}

/// Kills what a failed assertion would otherwise leave running.
struct Cleanup(Vec<i32>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for pid in &self.0 {
            let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
        }
    }
}

/// While runsheet still runs: none of the escapes is left, not even as a
/// zombie (runsheet, their reaper, has waited for them).
fn assert_ended_and_reaped(pids: &[(&str, i32)]) {
    for (name, pid) in pids {
        assert_eq!(
            state(*pid),
            None,
            "`{name}` (pid {pid}) is still there after its step ended"
        );
    }
}

/// After runsheet exited: none of the escapes still runs.
fn assert_none_running(pids: &[(&str, i32)]) {
    for (name, pid) in pids {
        assert!(
            !running(*pid),
            "`{name}` (pid {pid}) still runs ({:?}) after runsheet ended",
            state(*pid)
        );
    }
}

fn spawn(w: &Workdir, args: &[&str]) -> Child {
    w.cmd(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runsheet")
}

fn signal(child: &Child, sig: Signal) {
    let _ = kill(Pid::from_raw(child.id() as i32), sig);
}

#[test]
fn every_process_a_step_started_ends_with_it_and_nothing_else_does() {
    let w = Workdir::new();
    let rb = w.write("rb.md", &runbook(&escaping_block("", "")));
    // As `run --sandbox` leaves it: runsheet replaced a process that had
    // started a child (the sandbox's PostgreSQL), which must survive.
    let inner = w.cmd(&[
        "run",
        &rb.to_string_lossy(),
        "--target",
        "staging",
        "--auto",
    ]);
    let mut outer = Command::new("sh");
    outer
        .arg("-c")
        .arg(r#"sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > "$WORK/foreign.pid"; exec "$0" "$@""#)
        .arg(inner.get_program())
        .args(inner.get_args())
        .current_dir(w.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => outer.env(k, v),
            None => outer.env_remove(k),
        };
    }
    let child = outer.spawn().expect("spawn");
    let pids = escaped_pids(&w);
    let foreign: i32 = {
        let f = w.path().join("foreign.pid");
        wait_for("foreign.pid", || f.exists());
        std::fs::read_to_string(&f)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .expect("foreign pid")
    };
    let _cleanup = Cleanup(pids.iter().map(|(_, p)| *p).chain([foreign]).collect());
    wait_for("the next step", || w.path().join("after").exists());
    assert_ended_and_reaped(&pids);
    assert!(
        running(foreign),
        "runsheet killed a child it had before the step started"
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(running(foreign));
}

#[test]
fn a_failed_step_leaves_nothing_behind() {
    let w = Workdir::new();
    let rb = w.write("rb.md", &runbook(&escaping_block("", "exit 3")));
    let mut child = spawn(&w, &["run", &rb.to_string_lossy(), "--target", "staging"]);
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"\n");
    }
    let pids = escaped_pids(&w);
    let _cleanup = Cleanup(pids.iter().map(|(_, p)| *p).collect());
    // The failure prompt waits for the operator: runsheet is alive, and
    // has already ended and reaped everything.
    wait_for("the step's failure", || {
        w.of_type("action-finished").len() == 1
    });
    assert_ended_and_reaped(&pids);
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"q\n");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert_none_running(&pids);
    let finished = w.of_type("action-finished");
    assert_eq!(finished[0]["outcome"]["exit_code"], 3, "{}", text(&out));
}

#[test]
fn a_timed_out_step_leaves_nothing_behind() {
    let w = Workdir::new();
    let rb = w.write(
        "rb.md",
        &runbook(&escaping_block("{timeout=2s}", "sleep 60")),
    );
    let started = Instant::now();
    let child = spawn(
        &w,
        &[
            "run",
            &rb.to_string_lossy(),
            "--target",
            "staging",
            "--auto",
        ],
    );
    let pids = escaped_pids(&w);
    let _cleanup = Cleanup(pids.iter().map(|(_, p)| *p).collect());
    let out = child.wait_with_output().unwrap();
    assert_none_running(&pids);
    let finished = w.of_type("action-finished");
    assert_eq!(finished.len(), 1, "{}", text(&out));
    assert_eq!(finished[0]["outcome"]["timed_out"], true, "{}", text(&out));
    // Timeout, then at most the grace period for the one deaf to SIGTERM.
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn a_cancelled_step_leaves_nothing_behind() {
    let w = Workdir::new();
    let rb = w.write("rb.md", &runbook(&escaping_block("", "sleep 60")));
    let mut child = spawn(&w, &["run", &rb.to_string_lossy(), "--target", "staging"]);
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"\n");
    }
    let pids = escaped_pids(&w);
    let _cleanup = Cleanup(pids.iter().map(|(_, p)| *p).collect());
    signal(&child, Signal::SIGINT);
    wait_for("the cancelled step's end", || {
        w.of_type("action-finished").len() == 1
    });
    assert_ended_and_reaped(&pids);
    assert_eq!(
        w.of_type("action-finished")[0]["outcome"]["cancelled"],
        true
    );
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"q\n");
    }
    drop(child.stdin.take());
    let _ = child.wait_with_output();
    assert_none_running(&pids);
}

#[test]
fn stopping_runsheet_mid_step_leaves_nothing_behind() {
    let w = Workdir::new();
    let rb = w.write("rb.md", &runbook(&escaping_block("", "sleep 60")));
    let child = spawn(
        &w,
        &[
            "run",
            &rb.to_string_lossy(),
            "--target",
            "staging",
            "--auto",
        ],
    );
    let pids = escaped_pids(&w);
    let _cleanup = Cleanup(pids.iter().map(|(_, p)| *p).collect());
    signal(&child, Signal::SIGTERM);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert_none_running(&pids);
}

#[test]
fn an_interactive_step_leaves_nothing_behind() {
    let w = Workdir::new();
    let rb = w.write("rb.md", &runbook(&escaping_block("{interactive}", "")));
    let mut child = spawn(&w, &["run", &rb.to_string_lossy(), "--target", "staging"]);
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"\n");
    }
    let pids = escaped_pids(&w);
    let _cleanup = Cleanup(pids.iter().map(|(_, p)| *p).collect());
    wait_for("the interactive step's end", || {
        w.of_type("action-finished").len() == 1
    });
    assert_ended_and_reaped(&pids);
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"\n\n\n");
    }
    drop(child.stdin.take());
    let _ = child.wait_with_output();
    assert_none_running(&pids);
}

use crate::support::tmux;

/// CPU time (user + system, in clock ticks) `pid` has used so far.
fn cpu_ticks(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn ppid(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

const WAITING: &str = "# Wait\n\n## Phase\n\n### Wait {#wait}\n\n```bash\necho started\nfor i in $(seq 1 600); do [ -f \"$WORK/go\" ] && break; sleep 0.1; done\necho finished\n```\n\n### Next {#next}\n\n```bash\necho next-step-ran\n```\n";

/// Runs the waiting step in a real terminal, closes the terminal while
/// the step runs, and returns the CPU ticks runsheet used in the 2 s
/// after, once it has had a moment to notice.
fn ticks_after_the_terminal_went_away(name: &str, ui: &[&str]) -> u64 {
    let w = Workdir::new();
    let rb = w.write("wait.md", WAITING);
    let t = tmux::Tmux::new(&format!("hup-{name}"));
    t.start(&format!(
        "cd {dir} && RUNSHEET_DATA_DIR={data} WORK={dir} {bin} run {rb} --target staging {ui}",
        dir = w.path().display(),
        data = w.data().display(),
        bin = env!("CARGO_BIN_EXE_runsheet"),
        rb = rb.display(),
        ui = ui.join(" "),
    ));
    wait_for("the session's journal", || !w.journals().is_empty());
    // Enter runs the first step, in either front end.
    let started = || !w.of_type("action-started").is_empty();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !started() {
        t.keys(&["Enter"]);
        assert!(
            Instant::now() < deadline,
            "the step never started:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let shell = w.of_type("action-started")[0]["pid"]
        .as_i64()
        .and_then(|p| i32::try_from(p).ok())
        .expect("no pid in action-started");
    let runsheet = ppid(shell).unwrap_or_else(|| panic!("no parent for {shell}"));
    t.hang_up();
    std::thread::sleep(Duration::from_millis(500));
    let before = cpu_ticks(runsheet).expect("runsheet died on the hang-up");
    std::thread::sleep(Duration::from_secs(2));
    let after = cpu_ticks(runsheet).expect("runsheet died during the step");
    // The step still ends, is journaled, and the session stops resumably.
    std::fs::write(w.path().join("go"), "").unwrap();
    wait_for("the session to stop", || {
        state(runsheet).is_none_or(|s| s == "Z")
    });
    let recs = w.records();
    assert!(
        recs.iter().any(|r| r["type"] == "interrupted"),
        "how the session ended is not recorded"
    );
    assert!(recs.iter().any(|r| r["type"] == "action-finished"
        && r["step"] == "wait"
        && r["outcome"]["exit_code"] == 0));
    assert!(
        !recs
            .iter()
            .any(|r| r["type"] == "run-requested" && r["step"] == "next")
    );
    after - before
}

// 2 s of one core is 200 ticks at the usual 100 Hz; an idle supervisor
// (a 1 s clock, one pipe) uses next to none.
const IDLE_TICKS: u64 = 20;

#[test]
fn the_full_screen_ui_does_not_spin_once_its_terminal_is_gone() {
    let ticks = ticks_after_the_terminal_went_away("tui", &[]);
    assert!(
        ticks < IDLE_TICKS,
        "runsheet used {ticks} ticks of CPU in 2 s"
    );
}

#[test]
fn the_plain_console_does_not_spin_once_its_terminal_is_gone() {
    let ticks = ticks_after_the_terminal_went_away("plain", &["--plain"]);
    assert!(
        ticks < IDLE_TICKS,
        "runsheet used {ticks} ticks of CPU in 2 s"
    );
}
