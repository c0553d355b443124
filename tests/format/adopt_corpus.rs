//! `runsheet adopt` on the corpus of runbooks written for people (English
//! and French; emoji headings, options, troubleshooting, rollback at the
//! end, transcripts, untyped fences, placeholders, interactive commands):
//! `check` never panics on them; after `adopt --write`, the copy checks
//! with no error, every heading has the role its sidecar says (so no
//! rollback or alternative section runs in the flow), every interactive
//! command runs with the terminal handed over, every placeholder became a
//! variable, at most the sidecar's edits are left, and adopting the copy
//! again proposes nothing.

use super::adopt_expect::{corpus, expect_of, score};
use crate::support::workdir::Workdir;

#[test]
fn the_corpus_has_runbooks_in_english_and_french() {
    let files = corpus();
    assert!(files.len() >= 8, "{files:?}");
    for f in &files {
        let _ = expect_of(f);
    }
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().ends_with("-fr.md"))
    );
}

#[test]
fn check_never_panics_on_the_corpus() {
    let w = Workdir::new();
    for f in corpus() {
        let out = w
            .cmd(&["check", "--color", "never", f.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}: {stderr}",
            f.display()
        );
        assert!(!stderr.contains("panicked"), "{}: {stderr}", f.display());
    }
}

#[test]
fn adopt_write_makes_a_copy_that_checks_clean_and_the_original_is_kept() {
    let w = Workdir::new();
    for f in corpus() {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let original = std::fs::read_to_string(&f).unwrap();
        let path = w.write(&name, &original);
        let out = w
            .cmd(&[
                "adopt",
                "--color",
                "never",
                path.to_str().unwrap(),
                "--write",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name}: {stderr}\n{stdout}");
        assert!(
            stdout.starts_with(&format!(
                "--- {}\n+++ {} (adopted)\n@@ ",
                path.display(),
                path.display()
            )),
            "{name}: {stdout}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            original,
            "{name}: the original changed"
        );
        let copy = path.with_file_name(name.replace(".md", ".runsheet.md"));
        assert!(
            stderr.contains(&format!("wrote {}", copy.display())),
            "{stderr}"
        );
        let check = w
            .cmd(&["check", "--format", "json", copy.to_str().unwrap()])
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
        assert_eq!(
            json[0]["errors"],
            0,
            "{name}: {}",
            serde_json::to_string_pretty(&json[0]["diagnostics"]).unwrap()
        );
        // A second --write refuses to overwrite the copy without --force.
        let again = w
            .cmd(&["adopt", path.to_str().unwrap(), "--write"])
            .output()
            .unwrap();
        assert_eq!(again.status.code(), Some(2), "{name}");
        assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
        let forced = w
            .cmd(&["adopt", path.to_str().unwrap(), "--write", "--force"])
            .output()
            .unwrap();
        assert_eq!(forced.status.code(), Some(0), "{name}");
    }
}

#[test]
fn every_heading_interactive_command_and_placeholder_of_the_corpus_is_found() {
    let mut failures = Vec::new();
    for f in corpus() {
        let s = score(&f);
        let after = runsheet::runbook::parse(&s.name, &s.adoption.patched);
        for (line, role, heading) in &s.expect.roles {
            let at = s.adoption.line_in_copy(line - 1) + 1;
            let got = super::adopt_expect::role_at(&after, at);
            if got.map(|r| r.label()) != Some(role.as_str()) {
                failures.push(format!(
                    "{}:{line} `{heading}`: {role} expected, got {got:?}",
                    s.name
                ));
            }
        }
        for line in &s.expect.interactive {
            let at = s.adoption.line_in_copy(line - 1) + 1;
            if !super::adopt_expect::interactive_at(&after, at) {
                failures.push(format!("{}:{line}: interactive command not found", s.name));
            }
        }
        for w in &s.expect.placeholders {
            if !s.adoption.placeholders.iter().any(|p| &p.written == w) {
                failures.push(format!("{}: placeholder {w} not found", s.name));
            }
        }
        if (s.roles_after, s.interactive_after, s.placeholders_found)
            != (s.roles_total, s.interactive_total, s.placeholders_total)
        {
            failures.push(format!(
                "{}: the score disagrees with the lines above",
                s.name
            ));
        }
        if s.off_flow_in_flow_after > 0 {
            failures.push(format!(
                "{}: {} rollback/alternative sections in the flow",
                s.name, s.off_flow_in_flow_after
            ));
        }
        let left = s.adoption.edits_left();
        if left > s.expect.edits_after_adopt_max {
            let what: Vec<String> = s
                .adoption
                .left
                .iter()
                .map(|d| format!("{}: {}", d.code, d.message))
                .chain(
                    s.adoption
                        .notes
                        .iter()
                        .map(|n| format!("line {}: {}", n.line, n.text)),
                )
                .collect();
            failures.push(format!(
                "{}: {left} edits left, at most {} expected: {what:#?}",
                s.name, s.expect.edits_after_adopt_max
            ));
        }
        let again = runsheet::adopt::adopt(&s.name, &s.adoption.patched);
        if !again.edits.is_empty() {
            failures.push(format!(
                "{}: adopting the copy again proposes {:#?}",
                s.name, again.edits
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every prefix of every corpus runbook (a file cut short, a fence left
/// open): adopt never panics, its copy parses, and adopting the copy again
/// changes nothing.
#[test]
fn adopt_never_panics_and_is_idempotent_on_every_prefix_of_the_corpus() {
    let seeds = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/runbooks"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"));
    for f in corpus().into_iter().chain(seeds) {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut cut = 0;
        while cut <= text.len() {
            if text.is_char_boundary(cut) {
                let a = runsheet::adopt::adopt("cut.md", &text[..cut]);
                let _ = runsheet::adopt::diff::unified("cut.md", &a.source, &a.edits);
                let again = runsheet::adopt::adopt("cut.md", &a.patched);
                assert!(
                    again.edits.is_empty(),
                    "{} cut at {cut}: {:#?}\n{}",
                    f.display(),
                    again.edits,
                    a.patched
                );
            }
            cut += 53;
        }
    }
}

/// `check --suggest` is adopt without writing: the same patch, nothing
/// written; a runbook with nothing to adopt says so.
#[test]
fn check_suggest_prints_the_patch_adopt_would_write() {
    let w = Workdir::new();
    let f = &corpus()[0];
    let path = w.write("r.md", &std::fs::read_to_string(f).unwrap());
    let adopt = w.cmd(&["adopt", path.to_str().unwrap()]).output().unwrap();
    let suggest = w
        .cmd(&["check", "--suggest", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(suggest.status.code(), Some(0));
    assert!(!adopt.stdout.is_empty());
    assert_eq!(adopt.stdout, suggest.stdout);
    assert!(!w.path().join("r.runsheet.md").exists());
    let clean = w.write("clean.md", "# T\n\n## P\n\n```bash\necho ok\n```\n");
    let out = w
        .cmd(&["check", "--suggest", clean.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to adopt"));
}
