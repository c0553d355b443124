//! Past sessions of a runbook, from the journals in the data directory:
//! `runsheet history RUNBOOK`, and what each step took in them, which
//! becomes the step's expected time in the next session (drills exist to
//! learn it).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::journal::paths::runbook_slug;
use crate::journal::record::decode_line;
use crate::runbook;
use crate::session::state::Rehearsed;
use crate::session::{Millis, Msg, Session, SessionEnd, SessionInfo, SessionOutcome, StepStatus};

/// One past session, as its journal tells it.
#[derive(Debug, Clone)]
pub struct PastSession {
    pub journal: PathBuf,
    pub info: SessionInfo,
    pub started_at: Millis,
    pub last_at: Millis,
    pub ending: Ending,
    /// How long each step that got done took, by step id: only steps whose
    /// run was seen from start to end (not one settled after it was in
    /// doubt, whose end nobody saw).
    pub step_ms: HashMap<String, i64>,
    /// Time the session was down between a stop and its resume.
    pub down_ms: i64,
}

impl PastSession {
    /// How long the session ran, from its first record to its last, less
    /// the time it was down.
    pub fn ran_ms(&self) -> i64 {
        (self.last_at - self.started_at - self.down_ms).max(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Completed,
    Abandoned,
    /// A step failed, a rollback step undid it, and the session was ended
    /// there.
    RolledBack,
    /// Stopped at a failure, a person, a crash: resumable. `undone` when a
    /// rollback undid the failure but nobody ended the session.
    Unfinished {
        undone: bool,
    },
    /// The journal could not be read to its end.
    Unreadable(String),
}

/// Sessions of the runbook at `runbook` found in `dir`, oldest first. A
/// journal belongs to it when its name starts with the runbook's slug and
/// the runbook it holds has the same title.
pub fn sessions(dir: &Path, runbook: &Path, title: &str) -> Vec<PastSession> {
    let prefix = format!("{}--", runbook_slug(runbook));
    let mine = of_runbook(dir, &prefix);
    // The team's sessions the store brought (`store::history`), less those
    // this machine has itself.
    let names: std::collections::HashSet<_> = mine
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_owned()))
        .collect();
    let mut paths = mine;
    paths.extend(
        of_runbook(&team_dir(dir), &prefix)
            .into_iter()
            .filter(|p| p.file_name().is_none_or(|n| !names.contains(n))),
    );
    let mut out: Vec<PastSession> = paths
        .iter()
        .filter_map(|p| read(p))
        .filter(|s| {
            runbook::parse(&s.info.runbook_path, &s.info.runbook_text)
                .runbook
                .title
                == title
        })
        .collect();
    out.sort_by_key(|s| s.started_at);
    out
}

/// Where the team's sessions, fetched from the store, are kept beside
/// this machine's journals in `journals`.
pub fn team_dir(journals: &Path) -> PathBuf {
    journals.with_file_name("team")
}

/// The journals in `dir` whose names start with `prefix`, sorted.
fn of_runbook(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "jsonl")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    paths.sort();
    paths
}

/// Folds one journal, skipping output (most of its bytes, and nothing a
/// step's timing needs). None when it is not a session journal.
fn read(path: &Path) -> Option<PastSession> {
    let file = std::fs::File::open(path).ok()?;
    let mut lines = BufReader::new(file).lines();
    let first = decode_line::<Msg>(lines.next()?.ok()?.as_bytes()).ok()?;
    let Msg::SessionStarted(info) = first.body else {
        return None;
    };
    let started_at = first.ts.as_millisecond();
    let text = info.runbook_text.clone();
    let rb = Arc::new(runbook::parse(&info.runbook_path, &text).runbook);
    let mut session = Session::new(rb, info.clone(), started_at);
    let mut unreadable = None;
    let mut last_at = started_at;
    for line in lines {
        let Ok(line) = line else { break };
        if is_output(&line) {
            continue;
        }
        let record = match decode_line::<Msg>(line.as_bytes()) {
            Ok(r) => r,
            // A torn last line: the session died mid-write.
            Err(_) => break,
        };
        last_at = record.ts.as_millisecond();
        if let Err(e) = session.replay(last_at, &record.body) {
            unreadable = Some(e.to_string());
            break;
        }
    }
    let ending = match (unreadable, session.ended()) {
        (Some(why), _) => Ending::Unreadable(why),
        (None, Some(SessionEnd::Completed)) => Ending::Completed,
        (None, Some(SessionEnd::Abandoned)) => Ending::Abandoned,
        (None, Some(SessionEnd::RolledBack)) => Ending::RolledBack,
        (None, None) => Ending::Unfinished {
            undone: matches!(session.outcome(), SessionOutcome::RolledBack(_)),
        },
    };
    Some(PastSession {
        journal: path.to_path_buf(),
        info,
        started_at,
        last_at,
        ending,
        step_ms: step_times(&session),
        down_ms: session.down_ms(),
    })
}

/// What each step done in `session` took, when that was measured.
pub fn step_times(session: &Session) -> HashMap<String, i64> {
    session
        .steps()
        .iter()
        .filter(|(_, st)| st.status == StepStatus::Done && st.attempts > 0)
        .filter_map(|(id, st)| st.measured_ms().map(|d| (id.clone(), d)))
        .collect()
}

/// The expected step times of a session of the runbook at `runbook`
/// (titled `title`), from the other sessions in `dir`: every one but the
/// session in `own` (its journal), whose partial times must not become
/// what it expects of itself when it resumes.
pub fn rehearsed_for(
    dir: &Path,
    runbook: &Path,
    title: &str,
    sandbox: bool,
    own: Option<&Path>,
) -> HashMap<String, Rehearsed> {
    let past: Vec<PastSession> = sessions(dir, runbook, title)
        .into_iter()
        .filter(|s| !own.is_some_and(|own| same_file(&s.journal, own)))
        .collect();
    rehearsed(&past, sandbox)
}

/// Whether two paths name one file (a relative path and an absolute one).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Output records are most of a journal; their type is always the first
/// body field, right after the header.
fn is_output(line: &str) -> bool {
    line.get(..200)
        .unwrap_or(line)
        .contains("\"type\":\"output\"")
}

/// Each step's median and slowest time across `past`, for steps that were
/// done at least once: the sessions in the sandbox for a session in the
/// sandbox, the others for the others. A sandbox's small databases say
/// nothing of how long a step takes on the real ones.
pub fn rehearsed(past: &[PastSession], sandbox: bool) -> HashMap<String, Rehearsed> {
    let mut runs: HashMap<String, Vec<i64>> = HashMap::new();
    for s in past.iter().filter(|s| s.info.sandbox == sandbox) {
        for (step, ms) in &s.step_ms {
            runs.entry(step.clone()).or_default().push(*ms);
        }
    }
    runs.into_iter()
        .map(|(step, mut v)| {
            v.sort_unstable();
            let median = if v.len() % 2 == 1 {
                v[v.len() / 2]
            } else {
                (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2
            };
            let slowest = v.last().copied().unwrap_or(median);
            (
                step,
                Rehearsed {
                    runs: v.len() as u32,
                    median_ms: median,
                    slowest_ms: slowest,
                },
            )
        })
        .collect()
}

/// The listing `runsheet history` prints.
pub fn render(rb: &crate::runbook::Runbook, past: &[PastSession]) -> String {
    use crate::report::markdown::{span, time};
    let mut out = String::new();
    if past.is_empty() {
        out.push_str(&format!(
            "no past session of “{}” in the journals; run it (`--drill` for a rehearsal) and they will show here\n",
            rb.title
        ));
        return out;
    }
    out.push_str(&format!(
        "{} session{} of “{}”:\n\n",
        past.len(),
        if past.len() == 1 { "" } else { "s" },
        rb.title
    ));
    let mut rows = vec![vec![
        "started".to_string(),
        "target".into(),
        "kind".into(),
        "outcome".into(),
        "duration".into(),
        "operator".into(),
    ]];
    for s in past {
        rows.push(vec![
            time(s.started_at),
            s.info.target.clone(),
            match (s.info.drill, s.info.sandbox) {
                (true, true) => "drill (sandbox)",
                (true, false) => "drill",
                (false, true) => "sandbox",
                (false, false) => "live",
            }
            .into(),
            match &s.ending {
                Ending::Completed => "completed".into(),
                Ending::Abandoned => "abandoned".into(),
                Ending::RolledBack => "rolled back".into(),
                Ending::Unfinished { undone: false } => "unfinished".into(),
                Ending::Unfinished { undone: true } => "unfinished, rolled back".into(),
                Ending::Unreadable(why) => format!("unreadable: {why}"),
            },
            span(s.ran_ms()),
            format!("{}@{}", s.info.operator, s.info.host),
        ]);
    }
    out.push_str(&columns(&rows));
    let expected = rehearsed(past, false);
    if past.iter().any(|s| s.info.sandbox) {
        out.push_str(
            "\nsessions in the sandbox are left out of the expected times below: its databases are small\n",
        );
    }
    if !expected.is_empty() {
        out.push_str("\nexpected step times (shown in the next sessions):\n\n");
        let mut rows = vec![vec![
            "step".to_string(),
            "runs".into(),
            "median".into(),
            "slowest".into(),
            "runbook estimate".into(),
        ]];
        for (_, step) in rb.steps() {
            if let Some(r) = expected.get(&step.id) {
                rows.push(vec![
                    step.title.clone(),
                    r.runs.to_string(),
                    span(r.median_ms),
                    span(r.slowest_ms),
                    step.estimate.map(|e| e.to_string()).unwrap_or_default(),
                ]);
            }
        }
        out.push_str(&columns(&rows));
    }
    out
}

/// Left-aligned columns, two spaces apart.
fn columns(rows: &[Vec<String>]) -> String {
    use unicode_width::UnicodeWidthStr;
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.width())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.width()))))
            .collect();
        out.push_str("  ");
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn past(steps: &[(&str, i64)]) -> PastSession {
        PastSession {
            journal: PathBuf::new(),
            info: SessionInfo {
                runbook_path: "r.md".into(),
                runbook_hash: String::new(),
                runbook_text: String::new(),
                target: "staging".into(),
                operator: "a".into(),
                host: "h".into(),
                tool_version: "0".into(),
                drill: true,
                sandbox: false,
                workdir: None,
                targets: Vec::new(),
                variables: vec![],
                values: Default::default(),
            },
            started_at: 0,
            last_at: 0,
            ending: Ending::Completed,
            step_ms: steps.iter().map(|(s, ms)| (s.to_string(), *ms)).collect(),
            down_ms: 0,
        }
    }

    #[test]
    fn median_and_slowest_across_sessions() {
        let mut in_sandbox = past(&[("dump", 5), ("restore", 1)]);
        in_sandbox.info.sandbox = true;
        let sessions = [
            past(&[("dump", 100), ("restore", 50)]),
            past(&[("dump", 300)]),
            in_sandbox,
            past(&[("dump", 200), ("restore", 70)]),
        ];
        // A sandbox's times are its own.
        let sandbox = rehearsed(&sessions, true);
        assert_eq!((sandbox["dump"].runs, sandbox["dump"].median_ms), (1, 5));
        let r = rehearsed(&sessions, false);
        let dump = &r["dump"];
        assert_eq!((dump.runs, dump.median_ms, dump.slowest_ms), (3, 200, 300));
        let restore = &r["restore"];
        assert_eq!(
            (restore.runs, restore.median_ms, restore.slowest_ms),
            (2, 60, 70)
        );
    }

    #[test]
    fn output_lines_are_recognised_without_decoding() {
        assert!(is_output(
            r#"{"v":1,"seq":4,"ts":"2026-11-21T14:03:12.345Z","prev":"00","type":"output","step":"s","action":0,"stream":"stdout","data":"x"}"#
        ));
        assert!(!is_output(
            r#"{"v":1,"seq":4,"ts":"2026-11-21T14:03:12.345Z","prev":"00","type":"note","text":"\"type\":\"output\" later in a long text"}"#
                .replace("later", &"x".repeat(300))
                .as_str()
        ));
    }
}
