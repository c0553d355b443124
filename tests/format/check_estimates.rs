//! Estimates as people write them (at the end of a heading, on a labelled
//! line, in a key/value table, a total under the title), read by `check`
//! with the title cleaned of them; durations in prose that are not
//! estimates left alone; a second estimate for a step reported; and a
//! runbook without a `# title` given one error whose fix works as written.

use runsheet::runbook::span::LineIndex;
use runsheet::runbook::{Diagnostic, parse};
use serde_json::Value;
use std::process::Command;

fn check_json(path: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_runsheet"))
        .args(["check", "--format", "json", path])
        .env("NO_COLOR", "1")
        .output()
        .expect("could not run runsheet");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    v[0].clone()
}

/// (id, title, estimate in minutes as low–high) of a phase or a step.
type Row = (String, String, Option<(u64, u64)>);

/// Every phase's and step's row, in order.
fn estimates(rb: &Value) -> Vec<Row> {
    let est = |v: &Value| {
        v["estimate"].as_object().map(|e| {
            (
                e["low_secs"].as_u64().unwrap() / 60,
                e["high_secs"].as_u64().unwrap() / 60,
            )
        })
    };
    let mut out = Vec::new();
    for p in rb["phases"].as_array().unwrap() {
        out.push((
            p["id"].as_str().unwrap().to_string(),
            p["title"].as_str().unwrap().to_string(),
            est(p),
        ));
        for s in p["steps"].as_array().unwrap() {
            out.push((
                s["id"].as_str().unwrap().to_string(),
                s["title"].as_str().unwrap().to_string(),
                est(s),
            ));
        }
    }
    out
}

fn row(id: &str, title: &str, est: Option<(u64, u64)>) -> Row {
    (id.to_string(), title.to_string(), est)
}

#[test]
fn estimates_in_headings_tables_and_totals_of_an_english_runbook() {
    let rb = check_json("tests/format/runbooks/estimates-en.md");
    assert_eq!(rb["declared"]["low_secs"], 7200, "{rb}");
    // "Keep backups 7 days", "a timeout of 30s", "Wait 5 minutes": prose.
    assert_eq!(rb["warnings"], 0, "{rb}");
    assert_eq!(
        estimates(&rb),
        vec![
            row(
                "1-preparation-t-1-00",
                "1. Preparation (T-1:00)",
                Some((15, 15))
            ),
            row(
                "1-1-announce-the-window",
                "1.1 Announce the window",
                Some((5, 5))
            ),
            row("1-2-take-a-backup", "1.2 Take a backup", Some((20, 20))),
            row("2-upgrade", "2. Upgrade", Some((30, 30))),
            row("stop-the-application", "Stop the application", Some((5, 5))),
            // Prose about waiting is not an estimate, in a heading or under it.
            row(
                "wait-5-minutes-for-the-cache",
                "Wait 5 minutes for the cache",
                None
            ),
            // The table row under the step: | Estimated time | 10 min |.
            row(
                "install-the-packages",
                "Install the packages",
                Some((10, 10))
            ),
            // A schedule offset alone is no estimate: the phase's is its step's.
            row("3-checks-t-0-45", "3. Checks (T+0:45)", Some((90, 90))),
            row("smoke-test", "Smoke test", Some((90, 90))),
        ],
        "{rb}"
    );
}

#[test]
fn estimates_of_a_french_runbook_with_a_metadata_table() {
    let rb = check_json("tests/format/runbooks/estimates-fr.md");
    // | Temps estimé | 2-4 heures | under the title.
    assert_eq!(
        (
            rb["declared"]["low_secs"].as_u64(),
            rb["declared"]["high_secs"].as_u64()
        ),
        (Some(7200), Some(14_400)),
        "{rb}"
    );
    let got = estimates(&rb);
    let find = |id: &str| {
        got.iter()
            .find(|r| r.0 == id)
            .unwrap_or_else(|| panic!("no {id} in {got:?}"))
            .clone()
    };
    // A phase that is itself one step keeps its heading's estimate on it.
    assert_eq!(
        find("etape-1-sauvegarde"),
        row("etape-1-sauvegarde", "Étape 1 : Sauvegarde", Some((15, 30)))
    );
    assert_eq!(
        find("etape-2-restauration"),
        row(
            "etape-2-restauration",
            "Étape 2 : Restauration",
            Some((90, 90))
        )
    );
    assert_eq!(find("restaurer-le-dump").2, Some((45, 45)));
    assert_eq!(find("verifier-les-comptes").2, Some((10, 10)));
    assert_eq!(
        find("basculer-le-trafic"),
        row("basculer-le-trafic", "Basculer le trafic", Some((5, 5)))
    );
    assert_eq!(find("etape-3-bascule").2, Some((5, 5)), "its one step's");
    // "Conserver les sauvegardes 7 jours", "Attendre 5 minutes" under a
    // heading with an estimate: not taken (it would be a second estimate).
    assert_eq!(rb["warnings"], 0, "{rb}");
}

#[test]
fn a_second_estimate_for_a_step_is_reported_and_the_first_kept() {
    let src = "# R\n\n## P\n\n### Backup (15 min)\n\nEstimated time: 30 min\n\n- [ ] done\n\n\
               ### Restore\n\nDurée estimée : 10 min\n\n| Temps estimé | 20 min |\n|---|---|\n\n- [ ] done\n";
    let parsed = parse("rb.md", src);
    let twice: Vec<&Diagnostic> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.code == "estimate-twice")
        .collect();
    assert_eq!(twice.len(), 2, "{:#?}", parsed.diagnostics);
    let idx = LineIndex::new(src);
    let line = |d: &Diagnostic| idx.position(src, d.span.start).line;
    assert_eq!(line(twice[0]), 7);
    assert!(twice[0].message.contains("line 5"), "{}", twice[0].message);
    assert!(twice[0].message.contains("15m"), "{}", twice[0].message);
    assert_eq!(line(twice[1]), 15);
    assert!(twice[1].message.contains("line 13"), "{}", twice[1].message);
    let steps = &parsed.runbook.phases[0].steps;
    assert_eq!(steps[0].estimate.map(|e| e.low.as_secs()), Some(900));
    assert_eq!(steps[1].estimate.map(|e| e.low.as_secs()), Some(600));
    assert!(!parsed.has_errors(), "{:#?}", parsed.diagnostics);
}

/// Applies a `no-title` help literally: "make line N `X`", "add the line
/// `X` above line N", "add the lines `X` and `Y` above line N".
fn apply_fix(src: &str, help: &str) -> String {
    let quoted: Vec<&str> = help.split('`').skip(1).step_by(2).collect();
    let line: usize = help
        .rsplit("line ")
        .next()
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no line in {help:?}"));
    let mut lines: Vec<String> = src.lines().map(str::to_string).collect();
    if help.starts_with("make line") {
        lines[line - 1] = quoted[0].to_string();
    } else if help.starts_with("add the line") {
        for (k, q) in quoted.iter().enumerate() {
            lines.insert(line - 1 + k, q.to_string());
        }
    } else {
        panic!("a fix this test cannot apply: {help:?}");
    }
    lines.join("\n") + "\n"
}

#[test]
fn a_runbook_without_a_title_gets_one_error_whose_fix_works() {
    for src in [
        // A `##` first, holding steps: a title line is added.
        "## Restart nginx\n\n### Stop\n\n```bash\necho stop\n```\n\n### Start\n\n- [ ] started\n",
        // A `##` first that is only text: it becomes the title.
        "## Restart nginx\n\nWhat this does.\n\n## Do it\n\n```bash\necho restart\n```\n",
        // `###` headings only, as a scraped page often has.
        "### Stop nginx\n\n```bash\necho stop\n```\n\n### Start nginx\n\n```bash\necho start\n```\n",
        // A `####` first, commands before any step.
        "#### Notes\n\n```bash\necho a\n```\n\n### Step\n\n- [ ] b\n",
        // No heading at all.
        "Run these:\n\n```bash\necho one\n```\n\n- [ ] it worked\n",
        // After front matter.
        "---\ntargets:\n  local:\n    timeout: 5m\n---\n\n### Only step\n\n```bash\necho x\n```\n",
    ] {
        let parsed = parse("restart-nginx.md", src);
        let errors: Vec<&Diagnostic> = parsed.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errors.len(), 1, "{src}\n{errors:#?}");
        assert_eq!(errors[0].code, "no-title", "{src}");
        let help = errors[0].help.clone().unwrap_or_default();
        let fixed = apply_fix(src, &help);
        let again = parse("restart-nginx.md", &fixed);
        assert!(
            !again.has_errors(),
            "the fix {help:?} gave\n{fixed}\n{:#?}",
            again.diagnostics
        );
        assert!(!again.runbook.title.is_empty(), "{fixed}");
    }
}

#[test]
fn a_scraped_page_with_two_titles_keeps_the_first_and_warns_once() {
    let src = "# Team wiki\n\n# Restart nginx\n\n## Do it\n\n```bash\necho restart\n```\n";
    let parsed = parse("rb.md", src);
    assert_eq!(parsed.runbook.title, "Team wiki");
    let codes: Vec<&str> = parsed.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["extra-title"], "{:#?}", parsed.diagnostics);
    assert_eq!(parsed.runbook.phases.len(), 1);
    assert_eq!(parsed.runbook.phases[0].steps[0].actions.len(), 1);
}

#[test]
fn a_title_with_an_estimate_states_the_runbook_s() {
    let parsed = parse("rb.md", "# Upgrade (2h)\n\n## P\n\n- [ ] a\n");
    assert_eq!(parsed.runbook.title, "Upgrade");
    assert_eq!(
        parsed.runbook.declared_estimate.map(|e| e.low.as_secs()),
        Some(7200)
    );
}
