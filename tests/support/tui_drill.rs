//! A newcomer at the full-screen UI, in a real terminal (tmux): starts
//! `runsheet run RUNBOOK --target T --sandbox --drill` in an empty folder
//! with a data folder of its own, reads each screen and does what a careful
//! first-time operator would, the same for any runbook: ticks checklists,
//! runs the step, confirms a manual step, types the target's name at a
//! gate, waits while something runs, takes the first option of an offer,
//! and skips a failed step with a reason ("drill: <its error>") after
//! writing the failure down. It answers a value prompt only when the
//! question says how (a date, in the format the question gives); any other
//! prompt is a finding: the drill stops there and says so.
//!
//! Every decision is logged with the screen it was taken on, for the
//! failure message. Use it from a test module with
//! `use crate::support::tui_drill;`.
#![allow(dead_code)]

use super::tmux::Tmux;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Printed by the shell once runsheet has exited, with its exit code.
const EXITED: &str = "[drill-exit ";
/// How many screens the failure message shows, the last ones.
const SCREENS_KEPT: usize = 4;

/// How long the drill may take.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// One step running (or one screen staying the same) at most this long:
    /// then the driver cancels it, as an operator would, and skips it.
    pub step: Duration,
    /// The whole drill, start to end.
    pub total: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            step: Duration::from_secs(30),
            total: Duration::from_secs(240),
        }
    }
}

/// A step the drill could not rehearse, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub step: String,
    pub why: String,
}

/// How the drill ended.
#[derive(Debug)]
pub enum End {
    /// runsheet exited after the operator quit a settled session.
    Finished { exit_code: Option<i32> },
    /// A question the newcomer cannot answer (a value with no hint of what
    /// it should be): the drill stopped there.
    Blocked { question: String },
}

/// What the drill did: its end, the journal, the steps it had to skip.
#[derive(Debug)]
pub struct Drill {
    pub end: End,
    pub journal: Option<PathBuf>,
    pub skipped: Vec<Finding>,
    pub took: Duration,
}

/// A runsheet session in a terminal, in folders of its own: `home` (HOME),
/// `data` (RUNSHEET_DATA_DIR), `sandbox` (RUNSHEET_SANDBOX_DIR) and an
/// empty `cwd` it starts in. The sandbox is stopped when this is dropped,
/// even after a failed assert.
pub struct Newcomer {
    term: Tmux,
    root: tempfile::TempDir,
    log: Vec<String>,
    screens: Vec<(String, String)>,
    target: String,
}

impl Newcomer {
    pub fn new(name: &str) -> Newcomer {
        let root = tempfile::tempdir().expect("tempdir");
        for d in ["home", "data", "cwd"] {
            std::fs::create_dir_all(root.path().join(d)).expect("mkdir");
        }
        Newcomer {
            term: Tmux::new(&format!("drill-{name}")),
            root,
            log: Vec::new(),
            screens: Vec::new(),
            target: String::new(),
        }
    }

    pub fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    pub fn cwd(&self) -> PathBuf {
        self.root.path().join("cwd")
    }

    /// The environment every runsheet command of this newcomer gets: its
    /// own folders, and none of the caller's database settings.
    fn env(&self) -> Vec<(String, String)> {
        let p = |d: &str| self.root.path().join(d).to_string_lossy().into_owned();
        vec![
            ("HOME".into(), p("home")),
            ("RUNSHEET_DATA_DIR".into(), p("data")),
            ("RUNSHEET_SANDBOX_DIR".into(), p("sandbox")),
            ("TMPDIR".into(), p("home")),
        ]
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_runsheet"));
        c.args(args).current_dir(self.cwd());
        for k in unset() {
            c.env_remove(k);
        }
        c.envs(self.env());
        c
    }

    /// `runsheet ARGS` in the terminal, from the empty folder.
    pub fn start(&mut self, runbook: &Path, target: &str) {
        self.target = target.to_string();
        let env: Vec<String> = self
            .env()
            .into_iter()
            .map(|(k, v)| format!("{k}={}", quoted(&v)))
            .collect();
        let unset: Vec<String> = unset().map(|k| format!("-u {k}")).collect();
        let line = format!(
            "cd {} && env {} {} {} run {} --target {} --sandbox --drill; echo \"{EXITED}$?]\"",
            quoted(&self.cwd().to_string_lossy()),
            unset.join(" "),
            env.join(" "),
            quoted(env!("CARGO_BIN_EXE_runsheet")),
            quoted(&runbook.to_string_lossy()),
            quoted(target),
        );
        self.note(&format!(
            "start: runsheet run {} --target {target} --sandbox --drill",
            runbook.display()
        ));
        self.term.start(&line);
    }

    /// `runsheet report JOURNAL`, its Markdown.
    pub fn report(&self, journal: &Path) -> String {
        let out = self
            .cmd(&["report", &journal.to_string_lossy()])
            .output()
            .expect("runsheet report");
        assert!(
            out.status.success(),
            "runsheet report failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The session's journal, once runsheet has written one.
    pub fn journal(&self) -> Option<PathBuf> {
        std::fs::read_dir(self.data().join("journals"))
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
    }

    fn note(&mut self, what: &str) {
        self.log.push(what.to_string());
    }

    /// The decisions taken and the last screens, for a failure message.
    pub fn story(&self) -> String {
        let mut out = String::from("decisions:\n");
        for l in &self.log {
            out.push_str(&format!("  {l}\n"));
        }
        for (decision, screen) in &self.screens {
            out.push_str(&format!("\n--- screen before: {decision}\n{screen}"));
        }
        out.push_str(&format!("\n--- screen now\n{}", self.term.screen()));
        out
    }

    fn remember(&mut self, decision: &str, screen: &str) {
        self.note(decision);
        self.screens
            .push((decision.to_string(), screen.to_string()));
        if self.screens.len() > SCREENS_KEPT {
            self.screens.remove(0);
        }
    }

    /// Drives the session to its end, screen by screen.
    pub fn drive(&mut self, limits: Limits) -> Drill {
        let started = Instant::now();
        let mut skipped = Vec::new();
        // The cue last acted on, and since when it has stood: a screen that
        // stays the same past the step limit is a step that hangs.
        let mut standing: Option<(String, Instant)> = None;
        let end = loop {
            assert!(
                started.elapsed() < limits.total,
                "the drill took more than {:?}\n{}",
                limits.total,
                self.story()
            );
            let screen = self.term.screen();
            let cue = read(&screen, &self.target);
            let same = standing.as_ref().is_some_and(|(c, _)| *c == cue.key());
            if !same {
                standing = Some((cue.key(), Instant::now()));
            }
            let stood = standing
                .as_ref()
                .map_or(Duration::ZERO, |(_, t)| t.elapsed());
            match cue {
                Cue::Exited(code) => {
                    self.remember(&format!("runsheet exited ({code:?})"), &screen);
                    break End::Finished { exit_code: code };
                }
                Cue::Starting => {
                    assert!(
                        stood < limits.step,
                        "runsheet showed nothing runsheet-like for {stood:?}\n{}",
                        self.story()
                    );
                    pause(250);
                }
                Cue::Value { name, question } => match answer(&question) {
                    Some(v) => {
                        self.remember(
                            &format!("value {name}: typed {v:?} (the question says how)"),
                            &screen,
                        );
                        self.term.type_text(&v);
                        self.term.keys(&["Enter"]);
                        self.settle(&screen);
                    }
                    None => {
                        self.remember(
                            &format!("value {name}: cannot answer {question:?}"),
                            &screen,
                        );
                        break End::Blocked { question };
                    }
                },
                Cue::YesNo(question) => {
                    self.remember(&format!("question: cannot decide {question:?}"), &screen);
                    break End::Blocked { question };
                }
                Cue::Gate(name) => {
                    // The capture may be older than the screen: a gate that
                    // closed since would take the name's letters as keys of
                    // the screen behind it (`o` opens the overview).
                    if gate_name(&self.term.screen()).as_deref() != Some(name.as_str()) {
                        continue;
                    }
                    self.remember(&format!("gate: typed {name:?}"), &screen);
                    self.term.keys(&["C-u"]);
                    self.term.type_text(&name);
                    self.term.keys(&["Enter"]);
                    // Not just any change (the name typed shows first):
                    // the gate itself gone, else its name would be typed
                    // again into the screen behind it. A loaded machine
                    // (drills in parallel) may take seconds to journal it.
                    self.wait_gone(&format!("Type {name} to "), Duration::from_secs(20));
                }
                Cue::Countdown => pause(250),
                // A newcomer has nothing to type into a step's own program
                // (psql, a shell): end of input, then an interrupt.
                Cue::Interactive if stood >= limits.step => {
                    self.remember("interactive step still has the terminal: Ctrl-C", &screen);
                    self.term.keys(&["C-c"]);
                    standing = None;
                }
                Cue::Interactive if stood >= Duration::from_secs(1) => {
                    self.remember(
                        "interactive step has the terminal: Ctrl-D (nothing to type)",
                        &screen,
                    );
                    self.term.keys(&["C-d"]);
                    pause(1000);
                }
                Cue::Interactive => pause(250),
                Cue::Offer => {
                    self.remember("offer of alternatives: took the first (a)", &screen);
                    self.term.keys(&["a"]);
                    self.settle(&screen);
                }
                Cue::Dialog(title) => {
                    self.remember(&format!("dialog {title:?}: Esc"), &screen);
                    self.term.keys(&["Escape"]);
                    self.settle(&screen);
                }
                // The reason just typed is being journaled.
                Cue::Skipping if stood < Duration::from_secs(5) => pause(250),
                Cue::Skipping => {
                    self.remember("skip dialog left open: Esc", &screen);
                    self.term.keys(&["Escape"]);
                    self.settle(&screen);
                }
                Cue::Running if stood >= limits.step => {
                    let step = step_title(&screen);
                    self.remember(
                        &format!("`{step}` still running after {stood:?}: c"),
                        &screen,
                    );
                    self.term.keys(&["c"]);
                    pause(500);
                    if self.term.screen().contains("Stop the command?") {
                        self.term.keys(&["y"]);
                    }
                    standing = None;
                }
                Cue::Running => pause(250),
                Cue::Failed => {
                    let step = step_title(&screen);
                    let why = self
                        .journal()
                        .and_then(|j| last_failure(&j))
                        .unwrap_or_else(|| "failed".to_string());
                    let reason = format!("drill: {why}");
                    self.remember(&format!("`{step}` failed: s, {reason:?}"), &screen);
                    skipped.push(Finding {
                        step: step.clone(),
                        why: why.clone(),
                    });
                    self.term.keys(&["s"]);
                    self.wait_for("Why skip");
                    self.term.type_text(&reason);
                    self.term.keys(&["Enter"]);
                    self.settle(&screen);
                }
                Cue::Tick => self.press("space", "tick the next item", &screen),
                Cue::Done => self.press("d", "confirm the manual step done", &screen),
                Cue::Run => self.press("Enter", "run it", &screen),
                Cue::Next => self.press("Enter", "next step", &screen),
                Cue::ShowGate => self.press("Enter", "show the gate", &screen),
                Cue::Complete => {
                    self.remember("every step settled: q", &screen);
                    self.term.keys(&["q"]);
                    self.settle(&screen);
                }
                Cue::Idle if stood >= limits.step => {
                    panic!(
                        "nothing to do on this screen for {stood:?}\n{}",
                        self.story()
                    );
                }
                // A flash stands in for the footer a moment.
                Cue::Idle if stood < Duration::from_secs(1) => pause(250),
                Cue::Idle => {
                    // Nothing offered: Enter on a settled step says whether
                    // anything is left ("q to finish") or selects the next.
                    self.press("Enter", "nothing offered: Enter", &screen);
                    pause(150);
                    if self.term.screen().contains("q to finish") {
                        let s = self.term.screen();
                        self.remember("every step settled: q", &s);
                        self.term.keys(&["q"]);
                        self.settle(&s);
                    }
                }
            }
        };
        Drill {
            end,
            journal: self.journal(),
            skipped,
            took: started.elapsed(),
        }
    }

    fn press(&mut self, key: &str, why: &str, screen: &str) {
        let step = step_title(screen);
        self.remember(&format!("`{step}`: {why} ({key})"), screen);
        self.term.keys(&[key]);
        self.settle(screen);
    }

    /// Waits (a little) for the screen under the header to change after a
    /// key, so that one screen is never answered twice.
    fn settle(&self, before: &str) {
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && body(&self.term.screen()) == body(before) {
            pause(50);
        }
        pause(100);
    }

    fn wait_gone(&self, needle: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline && self.term.screen().contains(needle) {
            pause(50);
        }
        pause(100);
    }

    fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && !self.term.screen().contains(needle) {
            pause(50);
        }
    }
}

impl Drop for Newcomer {
    fn drop(&mut self) {
        // The terminal first (runsheet gets SIGHUP), then the sandbox.
        self.term.hang_up();
        pause(300);
        let _ = self.cmd(&["sandbox", "stop"]).output();
    }
}

/// The caller's settings that would point a newcomer's commands elsewhere.
fn unset() -> impl Iterator<Item = &'static str> {
    super::workdir::PG_ENV
        .into_iter()
        .chain(["STAGING_DB_URL", "PROD_DB_URL"])
}

fn pause(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// What the screen asks for, from the UI's own cues: the footer's keys,
/// the titles of dialogs and gates.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Cue {
    Exited(Option<i32>),
    /// Before the UI (the sandbox starting, the pre-flight).
    Starting,
    /// An interactive step has the terminal (`psql`, a `read`).
    Interactive,
    /// A variable's value, asked at the console before the UI or in it.
    Value {
        name: String,
        question: String,
    },
    YesNo(String),
    Gate(String),
    Countdown,
    Offer,
    Skipping,
    Dialog(String),
    Running,
    Failed,
    Tick,
    Done,
    Run,
    Next,
    ShowGate,
    Complete,
    Idle,
}

impl Cue {
    /// Which cue this is, whatever its details, for "the same screen still".
    fn key(&self) -> String {
        format!("{self:?}")
    }
}

fn read(screen: &str, target: &str) -> Cue {
    if let Some(at) = screen.find(EXITED) {
        let code = screen[at + EXITED.len()..]
            .split(']')
            .next()
            .and_then(|c| c.trim().parse().ok());
        return Cue::Exited(code);
    }
    let lines: Vec<&str> = screen.lines().collect();
    let footer = lines
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty())
        .copied()
        .unwrap_or("");
    let in_ui = screen.contains("┌ Steps");
    if !in_ui && screen.contains("has the terminal until it exits") {
        return Cue::Interactive;
    }
    if !in_ui {
        return console_question(footer);
    }
    if let Some(at) = screen.find("A value for $") {
        let rest = &screen[at + "A value for $".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // The question runs on until the input line.
        let question: String = rest
            .split("> ")
            .next()
            .unwrap_or("")
            .lines()
            .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()))
            .collect::<Vec<_>>()
            .join(" ");
        return Cue::Value { name, question };
    }
    if let Some(name) = gate_name(screen) {
        return Cue::Gate(name);
    }
    if screen.contains(" to cancel") && screen.contains(" runs in ") {
        return Cue::Countdown;
    }
    if screen.contains("run that option") {
        return Cue::Offer;
    }
    if screen.contains("Why skip") {
        return Cue::Skipping;
    }
    for title in ["Quit?", "Stop the command?", "Rollback", "In doubt"] {
        if screen.contains(&format!(" {title} ")) && screen.contains('╭') {
            return Cue::Dialog(title.to_string());
        }
    }
    let _ = target;
    let has = |k: &str| footer.contains(k);
    if has("r retry") {
        Cue::Failed
    } else if has("space tick next") || has("tick “") {
        Cue::Tick
    } else if has("Enter run") {
        Cue::Run
    } else if has("d done") {
        Cue::Done
    } else if has("c cancel") {
        Cue::Running
    } else if has("Enter gate") {
        Cue::ShowGate
    } else if has("Enter next step") {
        Cue::Next
    } else if screen.contains("all steps settled") {
        Cue::Complete
    } else {
        Cue::Idle
    }
}

/// A question of the console before the UI starts: `NAME (what it is): `
/// for a value, `… [y/N]` for a yes or no.
fn console_question(last: &str) -> Cue {
    let line = last.trim();
    if line.ends_with("[y/N]") {
        return Cue::YesNo(line.to_string());
    }
    let Some(question) = line
        .strip_suffix(':')
        .or_else(|| line.strip_suffix("[secret, not shown]:"))
    else {
        return Cue::Starting;
    };
    let name: String = question
        .chars()
        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
        .collect();
    if name.is_empty() {
        return Cue::Starting;
    }
    Cue::Value {
        name,
        question: question.to_string(),
    }
}

/// `Type production to run it:`, `Type production to approve it and go
/// on:`: the name the gate wants.
fn gate_name(screen: &str) -> Option<String> {
    screen.lines().find_map(|line| {
        let at = line.find("Type ")?;
        let rest = &line[at + "Type ".len()..];
        let (name, after) = rest.split_once(" to ")?;
        let asks = after.contains("it:") || after.contains("on:");
        (asks && !name.trim().is_empty() && !name.contains(' ')).then(|| name.trim().to_string())
    })
}

/// The selected step's title: the first line of the Step pane.
fn step_title(screen: &str) -> String {
    screen
        .lines()
        .skip_while(|l| !l.contains("┐┌ Step "))
        .nth(1)
        .and_then(|l| l.split("││").nth(1))
        .map(|r| {
            r.trim_matches(|c: char| c == '│' || c.is_whitespace())
                .to_string()
        })
        .unwrap_or_default()
}

/// The screen without its header, whose clock ticks on its own.
fn body(screen: &str) -> String {
    screen.lines().skip(2).collect::<Vec<_>>().join("\n")
}

/// A value the question itself tells how to give: a date in the format it
/// names (today's, the day of the drill). Anything else is not guessed.
fn answer(question: &str) -> Option<String> {
    let q = question.to_uppercase();
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
    for (format, strftime) in [
        ("AAAAMMJJ", "%Y%m%d"),
        ("YYYYMMDD", "%Y%m%d"),
        ("AAAA-MM-JJ", "%Y-%m-%d"),
        ("YYYY-MM-DD", "%Y-%m-%d"),
    ] {
        if q.contains(format) {
            return Some(today.strftime(strftime).to_string());
        }
    }
    None
}

/// Why the last failed action failed, in one line: its error, else the
/// last line it wrote to stderr (the shell's, which names what failed),
/// else its exit.
pub fn last_failure(journal: &Path) -> Option<String> {
    let records = records(journal);
    let (i, finished) = records
        .iter()
        .enumerate()
        .rev()
        .find(|(_, r)| r["type"] == "action-finished")?;
    let outcome = &finished["outcome"];
    for key in ["error", "failure"] {
        if let Some(text) = outcome[key].as_str() {
            return Some(one_line(text));
        }
    }
    let step = &finished["step"];
    let action = &finished["action"];
    let started = records[..i]
        .iter()
        .rposition(|r| {
            r["type"] == "action-started" && r["step"] == *step && r["action"] == *action
        })
        .unwrap_or(0);
    let output: String = records[started..i]
        .iter()
        .filter(|r| r["type"] == "output" && r["step"] == *step && r["stream"] == "stderr")
        .filter_map(|r| r["data"].as_str())
        .collect();
    let last = output.lines().rev().map(str::trim).find(|l| !l.is_empty());
    Some(match (last, outcome["exit_code"].as_i64()) {
        (Some(l), _) => one_line(l),
        (None, Some(code)) => format!("exit {code}"),
        (None, None) if outcome["timed_out"] == true => "timed out".to_string(),
        (None, None) if outcome["cancelled"] == true => "cancelled".to_string(),
        (None, None) => "failed".to_string(),
    })
}

fn one_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let clean: String = line.chars().filter(|c| !c.is_control()).collect();
    clean.chars().take(120).collect()
}

pub fn records(journal: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(journal)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Steps rehearsed (run to done, not skipped) of the steps in the flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coverage {
    pub rehearsed: usize,
    pub total: usize,
}

impl Coverage {
    pub fn percent(self) -> u32 {
        if self.total == 0 {
            return 0;
        }
        u32::try_from(self.rehearsed * 100 / self.total).unwrap_or(0)
    }

    /// `Rehearsed: N of M steps in the flow (P%)`, as the report says it
    /// once it says it.
    pub fn from_report(report: &str) -> Option<Coverage> {
        let line = report.lines().find(|l| l.contains("Rehearsed: "))?;
        let rest = &line[line.find("Rehearsed: ")? + "Rehearsed: ".len()..];
        let mut words = rest.split_whitespace();
        let rehearsed = words.next()?.parse().ok()?;
        let _of = words.next()?;
        let total = words.next()?.parse().ok()?;
        Some(Coverage { rehearsed, total })
    }

    /// From the journal, as the report folds it: the steps of the flow
    /// (with the alternatives the drill chose), and those done.
    pub fn from_journal(journal: &Path) -> Coverage {
        use runsheet::journal::record::decode_line;
        use runsheet::session::{Msg, StepStatus};
        let text = std::fs::read(journal).unwrap_or_default();
        let msgs: Vec<(i64, Msg)> = text
            .split(|b| *b == b'\n')
            .filter_map(|l| decode_line::<Msg>(l).ok())
            .map(|r| (r.ts.as_millisecond(), r.body))
            .collect();
        let Ok(report) = runsheet::report::build::build(&msgs) else {
            return Coverage {
                rehearsed: 0,
                total: 0,
            };
        };
        let settled = |s: &StepStatus| s.is_settled();
        // Off the flow, only a chosen alternative is settled in a drill that
        // never turns to a rollback.
        let flow: Vec<_> = report
            .steps
            .iter()
            .filter(|s| !s.off_flow || (!s.not_chosen && settled(&s.status)))
            .collect();
        Coverage {
            rehearsed: flow.iter().filter(|s| s.status == StepStatus::Done).count(),
            total: flow.len(),
        }
    }
}
