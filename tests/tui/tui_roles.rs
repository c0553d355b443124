//! Sections off the flow (rollback, alternative, context) are drawn as
//! such in the tree, and the narrow tree counts only the flow's phases.

use crate::support::tui as support;

use runsheet::tui::{App, Outputs, Theme};
use support::*;

const PLAIN: Theme = Theme { color: false };

const RUNBOOK: &str = "# Roles\n\n## 📖 Overview\n\nWhat this is.\n\n## 1. Deploy {#deploy}\n\n### Ship it {#ship}\n\n```bash\necho ship\n```\n\n## Option B: by hand\n\n### Copy the files {#copy}\n\n```bash\necho copy\n```\n\n## 2. Verify {#verify}\n\n### Look {#look}\n\n```bash\necho look\n```\n\n## 🔙 Rollback\n\n### Put it back {#back undoes=deploy}\n\n```bash\necho back\n```\n";

#[test]
fn the_tree_marks_each_section_off_the_flow_by_its_role() {
    let s = session_of(RUNBOOK, "staging");
    let mut app = App::new(&s);
    let wide = screen(&s, &mut app, &mut Outputs::new(), (120, 30), T0, &PLAIN);
    assert!(
        wide.contains("¶ 📖 Overview") || wide.contains("¶ Overview"),
        "{wide}"
    );
    assert!(wide.contains("⎇ Option B"), "{wide}");
    assert!(
        wide.contains("↺ 🔙 Rollback") || wide.contains("↺ Rollback"),
        "{wide}"
    );
    // The flow starts at the first step of the flow, not the overview.
    assert_eq!(app.selected.as_deref(), Some("ship"));
    let narrow = screen(&s, &mut app, &mut Outputs::new(), (80, 24), T0, &PLAIN);
    assert!(narrow.contains("Phase 1/2 · 1. Deploy"), "{narrow}");
    app.selected = Some("copy".into());
    let alt = screen(&s, &mut app, &mut Outputs::new(), (80, 24), T0, &PLAIN);
    assert!(alt.contains("Alternative · Option B"), "{alt}");
}

/// Context sections are the runbook's overview: `i` shows them with the
/// introduction, read, never run; the footer offers it only when there is
/// something to read.
#[test]
fn i_shows_the_overview_the_context_sections_make() {
    let text = "# Roles\n\nRun it in the window.\n\n## 📖 Overview\n\nWhat this is.\n\n## 1. Deploy {#deploy}\n\n### Contacts\n\n- DBA: @jdoe\n\n### Ship it {#ship}\n\n```bash\necho ship\n```\n\n## References\n\n- https://example.com/doc\n";
    let mut s = session_of(text, "staging");
    let mut app = App::new(&s);
    let before = screen(&s, &mut app, &mut Outputs::new(), (120, 30), T0, &PLAIN);
    assert!(before.contains("i overview"), "{before}");
    press(&mut app, &mut s, T0, ch('i'));
    let shown = screen(&s, &mut app, &mut Outputs::new(), (120, 30), T0, &PLAIN);
    for said in [
        "Overview · read, not run",
        "Run it in the window.",
        "What this is.",
        "Contacts",
        "DBA: @jdoe",
        "References",
        "https://example.com/doc",
    ] {
        assert!(shown.contains(said), "{said}: {shown}");
    }
    assert!(
        !shown.contains("echo ship"),
        "a flow step is not overview: {shown}"
    );
    press(&mut app, &mut s, T0, key(crossterm::event::KeyCode::Esc));
    let closed = screen(&s, &mut app, &mut Outputs::new(), (120, 30), T0, &PLAIN);
    assert!(!closed.contains("Overview · read, not run"), "{closed}");

    let bare = session_of(
        "# Bare\n\n## P\n\n### S {#s}\n\n```bash\ntrue\n```\n",
        "staging",
    );
    let mut app = App::new(&bare);
    let footer = screen(&bare, &mut app, &mut Outputs::new(), (120, 30), T0, &PLAIN);
    assert!(!footer.contains("i overview"), "{footer}");
}
