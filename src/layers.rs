//! The import layering of `src/`, checked on the source itself: which
//! top-level folder uses which (`use crate::…` and `crate::…` paths, code
//! only, comments left out). A new edge that closes a cycle, or that makes
//! the pure engine or the runbook format reach into the runtime, fails
//! here before it spreads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The folders (or root files) each folder uses, with a file that does so.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// Folders the pure parts must never use: the engine and the runbook
/// format do no I/O and know no front end or step kind.
const PURE: [&str; 2] = ["session", "runbook"];
const ABOVE_THE_PURE: [&str; 8] = ["run", "tui", "db", "http", "s3", "exec", "action", "driver"];

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = Graph::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            panic!("cannot list {}", dir.display());
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap_or(&path);
            let rel = rel.to_string_lossy().into_owned();
            if matches!(rel.as_str(), "lib.rs" | "main.rs" | "layers.rs") {
                continue;
            }
            let folder = rel.split('/').next().unwrap_or_default();
            let folder = folder.trim_end_matches(".rs").to_string();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for used in uses(&text) {
                if used != folder {
                    graph
                        .entry(folder.clone())
                        .or_default()
                        .entry(used)
                        .or_insert_with(|| rel.clone());
                }
            }
        }
    }
    graph
}

/// The top-level modules `text` names through `crate::`, in code.
fn uses(text: &str) -> BTreeSet<String> {
    let prefix = concat!("crate", "::");
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + prefix.len()..];
            // `runsheet::crate_x` or `my_crate::` are not this crate.
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group
                    .split('}')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .collect(),
                None => vec![rest],
            };
            for name in names {
                let name: String = name
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != "self" {
                    out.insert(name);
                }
            }
        }
    }
    out
}

/// A cycle through `from`, as the folders on it, if there is one.
fn cycle_from(graph: &Graph, from: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &Graph,
        at: &str,
        goal: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flat_map(|e| e.keys()) {
            if next == goal {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, next, goal, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![from.to_string()];
    walk(graph, from, from, &mut path, &mut BTreeSet::new()).then(|| {
        path.push(from.to_string());
        path
    })
}

fn edge(graph: &Graph, from: &str, to: &str) -> Option<String> {
    graph.get(from).and_then(|e| e.get(to)).cloned()
}

#[test]
fn no_cycle_between_folders() {
    let graph = graph();
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|f| cycle_from(&graph, f))
        .map(|c| {
            let hops: Vec<String> = c
                .windows(2)
                .map(|w| {
                    format!(
                        "{} ({})",
                        w[0],
                        edge(&graph, &w[0], &w[1]).unwrap_or_default()
                    )
                })
                .collect();
            format!("{} → {}", hops.join(" → "), c[c.len() - 1])
        })
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_engine_and_the_runbook_format_use_nothing_above_them() {
    let graph = graph();
    let mut wrong = Vec::new();
    for from in PURE {
        for to in ABOVE_THE_PURE {
            if let Some(file) = edge(&graph, from, to) {
                wrong.push(format!("{from} → {to} (in {file})"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `adopt/` proposes edits to a runbook: pure like the format it reads,
/// above `runbook/` and below `cli/`, using nothing else of runsheet.
#[test]
fn adopt_uses_only_the_runbook_format() {
    let graph = graph();
    let used: Vec<String> = graph
        .get("adopt")
        .map(|e| {
            e.iter()
                .map(|(to, file)| format!("adopt → {to} (in {file})"))
                .collect()
        })
        .unwrap_or_default();
    let wrong: Vec<&String> = used
        .iter()
        .filter(|u| !u.starts_with("adopt → runbook "))
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
    for pure in PURE {
        assert!(edge(&graph, pure, "adopt").is_none(), "{pure} uses adopt");
    }
}

#[test]
fn step_kinds_use_neither_the_dispatch_nor_each_other() {
    let graph = graph();
    let kinds = ["db", "http", "s3"];
    let mut wrong = Vec::new();
    for from in kinds {
        for to in kinds
            .iter()
            .copied()
            .chain(["action", "driver", "run", "tui", "replay"])
        {
            if from != to
                && let Some(file) = edge(&graph, from, to)
            {
                wrong.push(format!("{from} → {to} (in {file})"));
            }
        }
    }
    for to in ["db", "http", "s3", "action", "driver", "run", "tui"] {
        if let Some(file) = edge(&graph, "exec", to) {
            wrong.push(format!("exec → {to} (in {file})"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The full-screen UI and the replay draw and fold; the plain console is a
/// sibling front end, not a library: what both need lives in the driver.
#[test]
fn the_full_screen_ui_and_the_replay_do_not_use_the_plain_console() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for folder in ["tui", "replay"] {
        let mut stack = vec![src.join(folder)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for console in ["run::runner", "run::console", "console::"] {
                    if text
                        .lines()
                        .any(|l| l.split("//").next().unwrap_or_default().contains(console))
                    {
                        wrong.push(format!("{} uses {console}", path.display()));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_reader_finds_grouped_and_inline_paths_and_skips_comments() {
    let text = concat!(
        "use crate::{db::ctx, exec::step::StepCtx};\n",
        "let x = crate::runbook::vars::expand(a);\n",
        "// crate::tui in a comment\n",
        "use runsheet_crate::nothing;\n",
    );
    let found: Vec<String> = uses(text).into_iter().collect();
    assert_eq!(found, ["db", "exec", "runbook"]);
    let mut g = Graph::new();
    g.entry("a".into())
        .or_default()
        .insert("b".into(), "a.rs".into());
    assert_eq!(cycle_from(&g, "a"), None);
    g.entry("b".into())
        .or_default()
        .insert("a".into(), "b/x.rs".into());
    assert_eq!(
        cycle_from(&g, "a"),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
}
