//! docs/running.md's key tables say what the key map says: the footer and
//! the help overlay are drawn from the same map, so all three agree.

use runsheet::tui::keymap;

const DOCS: &str = include_str!("../../docs/running.md");
const BEGIN: &str =
    "<!-- keys: generated from src/tui/keymap.rs, checked by tests/tui/keymap_docs.rs -->";
const END: &str = "<!-- /keys -->";

/// (section, keys, what they do) for every row of every table.
fn rows(markdown: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in markdown.lines() {
        if let Some(title) = line.strip_prefix("#### ") {
            section = title.trim().to_string();
        } else if let Some(row) = line.strip_prefix("| `") {
            let Some((keys, rest)) = row.split_once("` | ") else {
                panic!("a key row that is not `| `keys` | does |`: {line}");
            };
            out.push((
                section.clone(),
                keys.to_string(),
                rest.trim_end_matches('|').trim().to_string(),
            ));
        }
    }
    out
}

#[test]
fn the_docs_key_tables_are_the_key_map() {
    let generated = keymap::markdown();
    let (Some(start), Some(end)) = (DOCS.find(BEGIN), DOCS.find(END)) else {
        panic!("docs/running.md lost its key tables' markers ({BEGIN} … {END})");
    };
    let documented = &DOCS[start + BEGIN.len()..end];
    assert_eq!(
        rows(documented),
        rows(&generated),
        "docs/running.md's key tables differ from the key map; they should read:\n{generated}"
    );
    assert!(!rows(documented).is_empty());
}

#[test]
fn the_docs_say_nothing_else_about_keys_that_contradicts_the_map() {
    // The two sentences that disagreed with the UI before: Enter neither
    // cancels a countdown nor refuses at the full-screen gate.
    let full_screen = &DOCS[..DOCS.find("### How commands run").unwrap_or(DOCS.len())];
    for wrong in ["press Enter to cancel", "is journaled; Enter refuses"] {
        assert!(!full_screen.contains(wrong), "docs still say: {wrong}");
    }
}
