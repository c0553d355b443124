//! A checklist written as teams write it, on the full-screen UI: nested
//! items drawn under their parent with their own ticks, the blocks written
//! inside items at their place, and the footer saying what space and Enter
//! do next, in document order.

use crate::support::tui as support;

use crossterm::event::KeyCode;
use runsheet::session::StepStatus;
use runsheet::tui::{App, Outputs, Theme};
use support::*;

const PLAIN: Theme = Theme { color: false };

const RUNBOOK: &str = "# Release\n\n## Migrate\n\n### Migrate {#migrate}\n\n\
- [ ] Pre-flight\n  - [ ] Backups verified\n  - [ ] Team notified\n\
- [ ] Run the dry run:\n  ```bash\n  ./migrate --dry-run\n  ```\n\
- [ ] Confirm the dry run shows no errors\n\
- [ ] Run it for real:\n  ```bash\n  ./migrate\n  ```\n";

/// The line of the step pane holding `text`.
fn line_of<'a>(screen: &'a str, text: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(text))
        .unwrap_or_else(|| panic!("no `{text}` on the screen:\n{screen}"))
}

/// Where `text` starts on its line, in columns.
fn column(screen: &str, text: &str) -> usize {
    let line = line_of(screen, text);
    line[..line.find(text).unwrap_or(0)].chars().count()
}

#[test]
fn nested_items_and_their_blocks_are_drawn_in_place_and_ticked_in_order() {
    let mut s = session_of(RUNBOOK, "staging");
    let mut app = App::new(&s);
    let mut outputs = Outputs::new();
    let size = (120, 40);
    let first = screen(&s, &mut app, &mut outputs, size, T0, &PLAIN);
    // Children one level in from their parent, each with its own box.
    assert!(line_of(&first, "Pre-flight").contains("1 [ ]"), "{first}");
    assert!(
        line_of(&first, "Backups verified").contains("2 [ ]"),
        "{first}"
    );
    assert!(
        column(&first, "Backups verified") > column(&first, "Pre-flight"),
        "{first}"
    );
    // Each block below the item it is written in, before the next item.
    let rows: Vec<&str> = first.lines().collect();
    let row = |t: &str| {
        rows.iter()
            .position(|l| l.contains(t))
            .unwrap_or(usize::MAX)
    };
    assert!(
        row("Run the dry run:") < row("./migrate --dry-run"),
        "{first}"
    );
    assert!(
        row("./migrate --dry-run") < row("Confirm the dry run"),
        "{first}"
    );
    let last_block = rows.iter().rposition(|l| l.contains("./migrate"));
    assert!(Some(row("Run it for real:")) < last_block, "{first}");
    // Items come first: space ticks, Enter is not offered yet.
    let footer = rows.last().copied().unwrap_or_default();
    assert!(footer.contains("tick next"), "{first}");
    assert!(!footer.contains("run"), "{first}");
    for at in 0..3 {
        press(&mut app, &mut s, T0 + at, ch(' '));
    }
    let ready = screen(&s, &mut app, &mut outputs, size, T0 + 10, &PLAIN);
    assert!(
        line_of(&ready, "Backups verified").contains("[x]"),
        "{ready}"
    );
    let footer = ready.lines().last().unwrap_or_default().to_string();
    assert!(footer.contains("Enter run"), "{ready}");
    // The dry run runs and succeeds: its item is ticked by it, and the
    // step pauses for the check of its output.
    press(&mut app, &mut s, T0 + 20, key(KeyCode::Enter));
    submit(&mut app, &mut s, T0 + 30, finished("migrate", 0, 0, 10));
    assert_eq!(
        s.state("migrate").map(|x| x.status.clone()),
        Some(StepStatus::AwaitingChecklist)
    );
    let paused = screen(&s, &mut app, &mut outputs, size, T0 + 40, &PLAIN);
    assert!(
        line_of(&paused, "Run the dry run:").contains("[x]"),
        "{paused}"
    );
    assert!(paused.contains("paused after block 1 of 2"), "{paused}");
    // Enter before the check is refused, naming it; space ticks it.
    press(&mut app, &mut s, T0 + 50, key(KeyCode::Enter));
    assert_eq!(s.state("migrate").map(|x| x.next_action), Some(1));
    assert!(s.state("migrate").is_some_and(|x| !x.ticked[4]));
    press(&mut app, &mut s, T0 + 60, ch(' '));
    let checked = screen(&s, &mut app, &mut outputs, size, T0 + 70, &PLAIN);
    let footer = checked.lines().last().unwrap_or_default().to_string();
    assert!(footer.contains("Enter run next block"), "{checked}");
    press(&mut app, &mut s, T0 + 80, key(KeyCode::Enter));
    assert_eq!(
        s.state("migrate").map(|x| x.status.clone()),
        Some(StepStatus::Running { action: 1 })
    );
}
