//! Reports of real demo sessions at the plain console: a failure with
//! coloured output leaves no escape sequence in them, a manual step is
//! timed from its turn, the demo is a rehearsal, a rolled-back session
//! says so in its journal, its report and `history`, and the HTML chart is
//! checked in a real browser (headless Chromium) after layout.

use crate::support::{operator, workdir};

use operator::{Ask, Operator, say};
use std::path::{Path, PathBuf};
use std::time::Duration;
use workdir::{Workdir, text};

/// How long the operator takes over the demo's manual step.
const MANUAL_MS: u64 = 1_300;

/// The demo on `rehearsal`, run by an operator: the health check fails
/// once (coloured `HTTP 503`), gets a note and a retry typed with escape
/// sequences in them (a paste from a coloured terminal), and passes.
fn demo_with_a_retry() -> (Workdir, PathBuf, std::process::ExitStatus) {
    let w = Workdir::new();
    let mut cmd = w.cmd(&["demo", "--plain"]);
    cmd.env("TMPDIR", w.path());
    let mut op = Operator::start(cmd);
    let mut failed = 0;
    let status = op.drive(|m| match &m.ask {
        Ask::Run => say([""]),
        Ask::Tick(_) => say(["y"]),
        Ask::Done => {
            std::thread::sleep(Duration::from_millis(MANUAL_MS));
            say(["y"])
        }
        Ask::Failed => {
            failed += 1;
            if failed == 1 { say(["n"]) } else { say(["r"]) }
        }
        Ask::Note => say(["\x1b[31mred note\x1b[0m pasted \u{9b}1mbold\u{9b}0m"]),
        _ => say(["q"]),
    });
    let journal = w.journals().pop().unwrap_or_default();
    (w, journal, status)
}

fn report(w: &Workdir, journal: &Path, format: &str) -> String {
    let out = w.run(
        &["report", &journal.to_string_lossy(), "--format", format],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A control character a report must not hold (newlines and tabs are text).
fn control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// The Actual cell of the timeline row of `title`, in ms.
fn actual_ms(md: &str, title: &str) -> i64 {
    let row = md
        .lines()
        .find(|l| l.starts_with("| ") && l.contains(&format!("| {title} |")))
        .unwrap_or_else(|| panic!("no row for {title}:\n{md}"));
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    // | # | Phase | Step | Status | Planned | Actual | Started | Attempts |
    let actual = cells.get(6).copied().unwrap_or_default();
    if let Some(ms) = actual.strip_suffix("ms") {
        return ms.parse().unwrap_or_else(|_| panic!("{row}"));
    }
    let secs: f64 = actual
        .strip_suffix('s')
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{row}"));
    (secs * 1000.0) as i64
}

#[test]
fn a_failure_in_colour_leaves_no_escape_in_the_report_and_a_manual_step_has_its_time() {
    let (w, journal, status) = demo_with_a_retry();
    assert!(status.success(), "{status:?}");
    // The journal holds the colours (output as it was, the note as typed):
    // the report is what takes them out.
    let raw = std::fs::read_to_string(&journal).unwrap_or_default();
    assert!(raw.contains("\\u001b[31mHTTP 503"), "no coloured output");
    assert!(raw.contains("\\u001b[31mred note"), "the note as typed");
    let md = report(&w, &journal, "markdown");
    assert!(!md.chars().any(control), "{md:?}");
    assert!(md.contains("HTTP 503 {\"status\":\"starting\"}"), "{md}");
    assert!(md.contains("red note pasted bold"), "{md}");
    let html = report(&w, &journal, "html");
    assert!(!html.chars().any(control), "{html:?}");
    assert!(html.contains("red note pasted bold"));
    // A manual step takes its time from its turn to its confirmation.
    let manual = actual_ms(&md, "Announce the maintenance window");
    assert!(
        (MANUAL_MS as i64..MANUAL_MS as i64 + 10_000).contains(&manual),
        "{manual} ms\n{md}"
    );
    // The checklist steps: a few ms each, but not zero, and not more than
    // the session lasted.
    let check = actual_ms(&md, "Pre-flight checklist");
    assert!((1..30_000).contains(&check), "{check} ms\n{md}");
    // The demo touches nothing real on any target: a rehearsal.
    assert!(md.contains("| Kind | drill (rehearsal) |"), "{md}");
    let rb = w.data().join("demo").join("demo.md");
    let history = w.run(&["history", &rb.to_string_lossy()], "");
    let listed = String::from_utf8_lossy(&history.stdout);
    assert!(listed.contains(" drill "), "{listed}");
}

#[test]
fn a_session_rolled_back_says_so_in_its_journal_report_and_history() {
    let w = Workdir::new();
    let mut cmd = w.cmd(&["demo", "--plain"]);
    cmd.env("TMPDIR", w.path());
    let mut op = Operator::start(cmd);
    let mut offers = Vec::new();
    let status = op.drive(|m| match &m.ask {
        Ask::Run => say([""]),
        Ask::Tick(_) | Ask::Done => say(["y"]),
        Ask::Failed => {
            let offered = m
                .since_header
                .trim_end()
                .ends_with("e end, rolled back · n note · q quit >");
            offers.push(offered);
            if offered { say(["e"]) } else { say(["b"]) }
        }
        _ => say(["q"]),
    });
    // Not offered before the rollback ran; offered once it was done.
    assert_eq!(offers, [false, true], "{}", op.transcript);
    assert_eq!(status.code(), Some(4), "{}", op.transcript);
    assert!(
        op.transcript.contains(
            "■ session rolled back: “Health check” failed, “Restore the previous releases” undid it"
        ),
        "{}",
        op.transcript
    );
    assert!(
        !op.transcript.contains("runsheet resume"),
        "{}",
        op.transcript
    );
    let records = w.records();
    let last = records.last().cloned().unwrap_or_default();
    assert_eq!(last["type"], "session-ended", "{last}");
    assert_eq!(last["outcome"], "rolled-back", "{last}");
    let journal = w.journals().pop().unwrap_or_default();
    let md = report(&w, &journal, "markdown");
    assert!(
        md.contains("| Outcome | **rolled back**: “Health check” failed and “Restore the previous releases” undid it"),
        "{md}"
    );
    let rb = w.data().join("demo").join("demo.md");
    let history = w.run(&["history", &rb.to_string_lossy()], "");
    let listed = String::from_utf8_lossy(&history.stdout);
    assert!(listed.contains("rolled back"), "{listed}");
    // An ended session is not resumed.
    let again = w.run(&["resume", &journal.to_string_lossy(), "--plain"], "");
    assert!(!again.status.success(), "{}", text(&again));
}

/// Chromium on PATH. CI installs it (.ci/run): a missing browser fails
/// the test instead of skipping it, so the check cannot quietly vanish.
fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        let found = std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        });
        if let Some(p) = found {
            return p;
        }
    }
    panic!(
        "no chromium on PATH: the HTML report is checked in a real browser; install it (`apt-get install chromium`, as .ci/run does)"
    );
}

/// Measures, after layout, every bar of the chart and every header cell.
const MEASURE: &str = r#"<script>
const bars = [...document.querySelectorAll('rect[data-bar]')].map(r => {
  const b = r.getBoundingClientRect();
  return { step: r.dataset.step, bar: r.dataset.bar, run: Number(r.dataset.run || 0),
           failed: r.dataset.failed === 'true', x: b.left, w: b.width,
           fill: getComputedStyle(r).fill };
});
const svg = document.querySelector('svg').getBoundingClientRect();
const emptyHeaders = [...document.querySelectorAll('th')].filter(t => !t.textContent.trim()).length;
const pre = document.createElement('pre');
pre.id = 'measured';
pre.textContent = JSON.stringify({ svg: { x: svg.left, w: svg.width }, bars, emptyHeaders });
document.body.appendChild(pre);
</script>"#;

#[test]
fn the_html_chart_lines_up_in_a_real_browser_with_the_failed_run_in_red() {
    let browser = chromium();
    let (w, journal, status) = demo_with_a_retry();
    assert!(status.success(), "{status:?}");
    let html = report(&w, &journal, "html");
    assert!(!html.contains("<script"), "the report itself runs nothing");
    let page = w.write(
        "measured.html",
        &html.replace("</body>", &format!("{MEASURE}</body>")),
    );
    let profile = w.path().join("chromium-profile");
    let out = std::process::Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--window-size=1200,900",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", browser.display()));
    let dom = String::from_utf8_lossy(&out.stdout);
    let json = dom
        .split_once("<pre id=\"measured\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(j, _)| {
            j.replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
        })
        .unwrap_or_else(|| {
            panic!(
                "no measures in the DOM:\n{dom}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let m: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(m["emptyHeaders"], 0, "a header cell with nothing in it");
    let bars = m["bars"].as_array().cloned().unwrap_or_default();
    let f = |b: &serde_json::Value, k: &str| b[k].as_f64().unwrap_or(f64::NAN);
    let (left, right) = (f(&m["svg"], "x"), f(&m["svg"], "x") + f(&m["svg"], "w"));
    for b in &bars {
        assert!(
            f(b, "x") >= left - 0.5 && f(b, "x") + f(b, "w") <= right + 0.5,
            "a bar outside the chart: {b}"
        );
    }
    let of = |step: &str| -> Vec<&serde_json::Value> {
        bars.iter().filter(|b| b["step"] == step).collect()
    };
    // Every step that ran: its plan starts where its first run starts.
    let mut compared = 0;
    for planned in bars.iter().filter(|b| b["bar"] == "planned") {
        let step = planned["step"].as_str().unwrap_or_default();
        if let Some(first) = of(step).into_iter().find(|b| b["bar"] == "run") {
            assert!(
                (f(planned, "x") - f(first, "x")).abs() < 0.5,
                "{step}: planned at {}, ran at {}",
                f(planned, "x"),
                f(first, "x")
            );
            compared += 1;
        }
    }
    assert!(compared >= 7, "{bars:?}");
    // The health check: a failed first run in red, then a green one, later.
    let health: Vec<_> = of("health-check")
        .into_iter()
        .filter(|b| b["bar"] == "run")
        .collect();
    assert_eq!(health.len(), 2, "{health:?}");
    assert_eq!(health[0]["fill"], "rgb(198, 40, 40)", "{health:?}");
    assert_eq!(health[0]["failed"], true);
    assert_eq!(health[1]["fill"], "rgb(46, 125, 50)", "{health:?}");
    assert!(f(health[1], "x") > f(health[0], "x"), "{health:?}");
    // The rollback never ran: no bar for it.
    assert!(of("restore-the-previous-releases").is_empty(), "{bars:?}");
}
