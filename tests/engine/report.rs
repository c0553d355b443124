//! `runsheet report`: a post-mortem from a real session's journal, in
//! Markdown and HTML, and from a journal that fails verification.

use crate::support::workdir;

use std::path::PathBuf;
use workdir::{Workdir, text};

/// A session on production: a checklist, a gate typed right, a failure
/// with output, skipped with a reason, and a last step.
fn session() -> (Workdir, PathBuf) {
    let w = Workdir::new();
    let rb = w.write(
        "pm.md",
        &std::fs::read_to_string("tests/fixtures/postmortem.md").unwrap_or_default(),
    );
    let out = w.plain(
        &rb,
        "production",
        "y\n\n\nproduction\n\ns\ndisk is full, handled by hand\n\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    let journal = w.journals().pop().unwrap_or_default();
    (w, journal)
}

fn report(w: &Workdir, journal: &std::path::Path, format: &str) -> String {
    let out = w.run(
        &["report", &journal.to_string_lossy(), "--format", format],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_markdown_report_names_every_step_gate_skip_and_failure() {
    let (w, journal) = session();
    let md = report(&w, &journal, "markdown");
    for title in ["Checklist", "Hello", "Wipe", "Broken", "Last"] {
        assert!(
            md.contains(&format!("| {title} |")),
            "{title} missing:\n{md}"
        );
    }
    assert!(md.contains("| Target | **production** |"), "{md}");
    assert!(md.contains("| Outcome | completed"), "{md}");
    // The gate, who confirmed it and what was typed.
    let gate = md
        .lines()
        .find(|l| l.starts_with("| Wipe |") && l.contains("`production`"))
        .unwrap_or_else(|| panic!("no gate row:\n{md}"));
    assert!(gate.contains("confirmed"), "{gate}");
    assert!(md.contains("disk is full, handled by hand"), "{md}");
    // The failure with the last lines of its output, not all of them.
    assert!(md.contains("### Broken"), "{md}");
    assert!(md.contains("broken: exit 4"), "{md}");
    assert!(
        md.contains("FATAL: disk full") && md.contains("progress 30"),
        "{md}"
    );
    assert!(!md.contains("progress 3\n"), "{md}");
    // Planned against actual.
    let broken = md
        .lines()
        .find(|l| l.starts_with("| 4 |"))
        .unwrap_or_default();
    assert!(broken.contains("| 1s |"), "{broken}");
    // The final hash is the one verify prints.
    let verify = w.run(&["verify", &journal.to_string_lossy()], "");
    let printed = String::from_utf8_lossy(&verify.stdout);
    let hash = printed
        .lines()
        .find_map(|l| l.strip_prefix("final hash: "))
        .unwrap_or_else(|| panic!("{printed}"));
    assert!(md.contains(&format!("`{hash}` (chain verified")), "{md}");
}

#[test]
fn the_html_report_is_one_page_with_a_chart_of_planned_and_actual_time() {
    let (w, journal) = session();
    let out = w.path().join("pm.html");
    let run = w.run(
        &[
            "report",
            &journal.to_string_lossy(),
            "--format",
            "html",
            "--output",
            &out.to_string_lossy(),
        ],
        "",
    );
    assert!(run.status.success(), "{}", text(&run));
    let html = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    // Self-contained: nothing fetched from anywhere.
    for outside in ["<script", "src=\"http", "href=\"http", "<link"] {
        assert!(!html.contains(outside), "{outside}");
    }
    // Same content as the Markdown report.
    assert!(html.contains("<h2>Timeline</h2>") && html.contains("<h2>Gates</h2>"));
    assert!(html.contains("disk is full, handled by hand"));
    // One planned bar per step with an estimate, one bar per run of a
    // step (the checklist's: from its turn to its last tick); the failed
    // run says so.
    let svg = &html[html.find("<svg").unwrap_or(0)..html.find("</svg>").unwrap_or(0)];
    assert_eq!(svg.matches("<title>planned").count(), 4, "{svg}");
    assert_eq!(svg.matches("data-bar=\"run\"").count(), 5, "{svg}");
    assert_eq!(svg.matches("<title>took").count(), 4, "{svg}");
    assert_eq!(svg.matches("<title>failed after").count(), 1, "{svg}");
    assert_eq!(svg.matches("<rect").count(), svg.matches("</rect>").count());
}

#[test]
fn an_edited_journal_is_reported_up_to_the_break_under_a_warning() {
    let (w, journal) = session();
    let original = std::fs::read_to_string(&journal).unwrap_or_default();
    let edited = original.replace("disk is full, handled by hand", "all fine");
    std::fs::write(&journal, edited).unwrap();
    let md = report(&w, &journal, "markdown");
    assert!(
        md.contains("Warning: the journal fails verification at line"),
        "{md}"
    );
    assert!(
        !md.contains("all fine"),
        "the edited record is not trusted:\n{md}"
    );
    assert!(md.contains("chain BROKEN"), "{md}");
}

#[test]
fn a_file_that_is_not_a_journal_is_refused_with_a_reason() {
    let w = Workdir::new();
    let bogus = w.write("x.jsonl", "not json\n");
    let out = w.run(&["report", &bogus.to_string_lossy()], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("runsheet:"), "{}", text(&out));
}

#[test]
fn the_asciicast_parses_as_asciinema_reads_it_with_a_marker_per_step() {
    let (w, journal) = session();
    let cast = w.path().join("pm.cast");
    let out = w.run(
        &[
            "export",
            &journal.to_string_lossy(),
            "--asciicast",
            "-o",
            &cast.to_string_lossy(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    let text = std::fs::read_to_string(&cast).unwrap_or_default();
    let mut lines = text.lines();
    // Line 1: the header, a JSON object with the version and the size.
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap_or_default()).unwrap();
    assert_eq!(header["version"], 2);
    assert!(header["width"].as_u64().is_some_and(|w| w > 0));
    assert!(header["height"].as_u64().is_some_and(|h| h > 0));
    // Then events: [time, code, data], times never going back.
    let mut last = 0.0;
    let mut markers = Vec::new();
    let mut output = String::new();
    for line in lines {
        let ev: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let t = ev[0].as_f64().unwrap_or_else(|| panic!("time in {line}"));
        assert!(t >= last, "time goes back at {line}");
        last = t;
        let data = ev[2].as_str().unwrap_or_else(|| panic!("data in {line}"));
        match ev[1].as_str() {
            Some("o") => output.push_str(data),
            Some("m") => markers.push(data.to_string()),
            other => panic!("unknown event code {other:?} in {line}"),
        }
        assert_eq!(ev.as_array().map(Vec::len), Some(3), "{line}");
    }
    // The checklist step runs nothing: it has no output and no marker.
    assert_eq!(markers, ["Hello", "Wipe", "Broken", "Last"]);
    assert!(output.contains("progress 30\r\n"), "{output}");
    assert!(output.contains("FATAL: disk full"));
    assert!(output.contains("typed “production”"));
    assert!(output.contains("skipped Broken: disk is full, handled by hand"));
}

/// Set when this test binary runs again as the process that measures one
/// command's peak memory (see `peak_rss_kb`).
const MEASURE: &str = "RUNSHEET_TEST_MEASURE_ARGS";
/// Where the measured command's standard output goes.
const MEASURE_OUT: &str = "RUNSHEET_TEST_MEASURE_OUT";

/// Not a test of its own: when run again with MEASURE set, runs the
/// command it names as its only child and prints the child's peak RSS.
#[test]
fn peak_rss_helper() {
    let Ok(args) = std::env::var(MEASURE) else {
        return;
    };
    let args: Vec<&str> = args.split('\u{1f}').collect();
    let out = std::env::var(MEASURE_OUT).unwrap();
    let out = std::fs::File::create(out).unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_runsheet"))
        .args(&args)
        .stdout(out)
        .status()
        .unwrap();
    assert!(status.success(), "{args:?}: {status:?}");
    let usage =
        nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).unwrap();
    println!("PEAK_KB={}", usage.max_rss());
}

/// Peak RSS (KiB) and output of `runsheet ARGS`, measured by this test
/// binary run again, so that no other test's child counts.
fn peak_rss_kb(w: &Workdir, args: &[&str]) -> (u64, String) {
    let printed = w.path().join("measured.out");
    let out = std::process::Command::new(std::env::current_exe().unwrap_or_default())
        .args([
            "--exact",
            test_path("peak_rss_helper").as_str(),
            "--nocapture",
            "--test-threads=1",
        ])
        .env(MEASURE, args.join("\u{1f}"))
        .env(MEASURE_OUT, &printed)
        .env("RUNSHEET_DATA_DIR", w.data())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let kb = stdout
        .lines()
        .find_map(|l| {
            let (_, n) = l.split_once("PEAK_KB=")?;
            n.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("not measured: {stdout}{}", text(&out)));
    (kb, std::fs::read_to_string(&printed).unwrap_or_default())
}

#[test]
fn a_large_journal_is_reported_in_bounded_memory() {
    let w = Workdir::new();
    // 96 MB of log lines, then a failure whose last lines the report shows.
    let rb = w.write(
        "big.md",
        "# Big\n\n## Phase\n\n### Flood {#flood}\n\n```bash\nseq -f 'line %.0f of a long migration log, padded to look like one' 1 1600000\n```\n\n### Fail {#fail}\n\n```bash\nfor i in $(seq 1 30); do echo \"check $i\"; done\necho 'FATAL: out of space' >&2\nexit 1\n```\n",
    );
    let out = w.auto(&rb, "staging");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let journal = w.journals().pop().unwrap_or_default();
    let size = std::fs::metadata(&journal).map(|m| m.len()).unwrap_or(0);
    assert!(size > 90_000_000, "the journal is only {size} bytes");
    let j = journal.to_string_lossy().to_string();
    let mut md = String::new();
    for format in ["markdown", "html"] {
        let (kb, printed) = peak_rss_kb(&w, &["report", &j, "--format", format]);
        assert!(
            kb < 64 * 1024,
            "report --format {format} of a {} MB journal took {} MB",
            size / 1_000_000,
            kb / 1024
        );
        if format == "markdown" {
            md = printed;
        }
    }
    assert!(md.contains("FATAL: out of space"), "{md}");
    assert!(md.contains("check 30"), "{md}");
    assert!(
        !md.contains("check 10\n"),
        "only the last lines are kept:\n{md}"
    );
}

/// The name libtest knows `test` by: its module path in this test binary,
/// without the binary's own name (`report::peak_rss_helper`).
fn test_path(test: &str) -> String {
    match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::{test}"),
        None => test.to_string(),
    }
}
