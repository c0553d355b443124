//! The corpus of runbooks written for people (tests/fixtures/adopt/) and
//! what each sidecar `NAME.expect.json` says of it: the role of each
//! heading (by line of the original), the lines of its interactive
//! commands, its placeholders as written, and how many edits may be left
//! after `adopt`. Shared by tests/format/adopt_corpus.rs and
//! `cargo run --example adopt_report`.

use runsheet::adopt::{self, Adoption};
use runsheet::runbook::{self, Parsed, Role};
use std::path::{Path, PathBuf};

pub struct Expect {
    /// (1-based line of the original, role label, heading as written)
    pub roles: Vec<(usize, String, String)>,
    pub interactive: Vec<usize>,
    pub placeholders: Vec<String>,
    pub edits_after_adopt_max: usize,
}

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/adopt")
}

/// The runbooks of the corpus, sorted.
pub fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "md"));
    files.sort();
    files
}

pub fn expect_of(runbook: &Path) -> Expect {
    let side = runbook.with_extension("expect.json");
    let text = std::fs::read_to_string(&side).unwrap_or_else(|e| panic!("{}: {e}", side.display()));
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", side.display()));
    let roles = v["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["line"].as_u64().unwrap_or(0) as usize,
                r["role"].as_str().unwrap_or("").to_string(),
                r["heading"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let interactive = v["interactive"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| i["line"].as_u64().unwrap_or(0) as usize)
        .collect();
    let placeholders = v["placeholders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    Expect {
        roles,
        interactive,
        placeholders,
        edits_after_adopt_max: v["edits_after_adopt_max"].as_u64().unwrap_or(0) as usize,
    }
}

/// The role of the heading on 1-based `line` of a parsed runbook.
pub fn role_at(parsed: &Parsed, line: usize) -> Option<Role> {
    let index = runbook::span::LineIndex::new(&parsed.source);
    let at = |offset: usize| index.line_of(offset) + 1;
    for p in &parsed.runbook.phases {
        for s in &p.steps {
            if at(s.span.start) == line {
                return Some(s.role);
            }
        }
        if at(p.span.start) == line {
            return Some(p.role);
        }
    }
    None
}

/// Whether the command on 1-based `line` of a parsed runbook stands in a
/// block that runs with the terminal handed over.
pub fn interactive_at(parsed: &Parsed, line: usize) -> bool {
    let index = runbook::span::LineIndex::new(&parsed.source);
    parsed
        .runbook
        .steps()
        .flat_map(|(_, s)| s.actions.iter())
        .any(|a| {
            let open = index.line_of(a.span.start) + 1;
            let end = index.line_of(a.code_span.end) + 1;
            a.interactive && open <= line && line <= end
        })
}

/// What one runbook scores, before adopt (as written) and after.
pub struct Score {
    pub name: String,
    pub adoption: Adoption,
    pub roles_before: usize,
    pub roles_after: usize,
    pub roles_total: usize,
    /// Rollback or alternative sections of the sidecar that run in the flow.
    pub off_flow_in_flow_before: usize,
    pub off_flow_in_flow_after: usize,
    pub interactive_before: usize,
    pub interactive_after: usize,
    pub interactive_total: usize,
    pub placeholders_found: usize,
    pub placeholders_total: usize,
    pub expect: Expect,
}

pub fn score(path: &Path) -> Score {
    let source = std::fs::read_to_string(path).unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let expect = expect_of(path);
    let before = runbook::parse(&name, &source);
    let adoption = adopt::adopt(&name, &source);
    let after = runbook::parse(&name, &adoption.patched);
    let copy_line = |l: usize| adoption.line_in_copy(l - 1) + 1;
    let mut s = Score {
        name,
        roles_before: 0,
        roles_after: 0,
        roles_total: expect.roles.len(),
        off_flow_in_flow_before: 0,
        off_flow_in_flow_after: 0,
        interactive_before: 0,
        interactive_after: 0,
        interactive_total: expect.interactive.len(),
        placeholders_found: 0,
        placeholders_total: expect.placeholders.len(),
        adoption: adoption.clone(),
        expect: expect_of(path),
    };
    for (line, role, _) in &expect.roles {
        let want = Role::from_label(role);
        let off_flow = matches!(want, Some(Role::Rollback | Role::Alternative));
        let was = role_at(&before, *line);
        let now = role_at(&after, copy_line(*line));
        s.roles_before += usize::from(was == want);
        s.roles_after += usize::from(now == want);
        s.off_flow_in_flow_before += usize::from(off_flow && was.is_none_or(Role::is_flow));
        s.off_flow_in_flow_after += usize::from(off_flow && now.is_none_or(Role::is_flow));
    }
    for line in &expect.interactive {
        s.interactive_before += usize::from(interactive_at(&before, *line));
        s.interactive_after += usize::from(interactive_at(&after, copy_line(*line)));
    }
    s.placeholders_found = expect
        .placeholders
        .iter()
        .filter(|w| adoption.placeholders.iter().any(|p| &p.written == *w))
        .count();
    s
}
