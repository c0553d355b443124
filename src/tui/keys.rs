//! Which keys do something now (the footer), and every key (the help).

use super::app::{App, Focus, Mode};
use crate::session::{Session, StepStatus};

/// Every key, by section, for the help overlay.
pub const HELP: &[(&str, &[(&str, &str)])] = &[
    (
        "Steps",
        &[
            ("j/k ↓/↑", "select the next/previous step (tree focus)"),
            ("g/Home", "first step (tree focus)"),
            (
                "Enter, r",
                "run the selected step; retry it after a failure",
            ),
            ("space, x", "tick the next checklist item"),
            ("1–9", "tick or untick checklist item N"),
            ("d", "confirm a manual step is done"),
            ("s", "skip the selected step (asks for a reason)"),
            ("b", "after a failure: choose a rollback step of its phase"),
            ("c, Ctrl-C", "cancel the running step"),
            ("n", "add a note to the journal (any time)"),
        ],
    ),
    (
        "Panes",
        &[
            ("Tab/Shift-Tab", "focus: steps → instructions → output"),
            ("j/k ↓/↑", "scroll the focused pane by a line"),
            (
                "PgUp/PgDn",
                "scroll the output (the instructions when focused)",
            ),
            ("Ctrl-U/Ctrl-D", "scroll the output half a page"),
            ("g/Home", "top of the output (output focus)"),
            ("G/End", "follow the newest output"),
            ("/", "search the output"),
            ("n/N", "next/previous match (output focus, while searching)"),
            ("Esc", "clear the search"),
        ],
    ),
    (
        "Gate, countdown, prompts",
        &[
            ("type the name", "at a gate: the target's name, then Enter"),
            ("Esc (gate)", "refuse to run it (journaled)"),
            ("Esc, c, Enter", "during a countdown: cancel it"),
            ("Enter", "confirm what was typed"),
            ("Backspace, Ctrl-U", "erase a character, the whole line"),
            ("Esc", "close the prompt"),
        ],
    ),
    (
        "In doubt (after a crash)",
        &[
            (
                "r",
                "run it again (a destructive step goes through its gate)",
            ),
            ("d", "it completed: mark it done"),
            ("s", "skip it, with a reason"),
        ],
    ),
    (
        "Session",
        &[
            ("?", "this help"),
            (
                "q",
                "quit; the session stays resumable (asks while a step runs)",
            ),
            (
                "Ctrl-C",
                "cancel the running step, or quit when nothing runs",
            ),
        ],
    ),
    (
        "Marks",
        &[
            (
                "○ ◐ ◆ ◑",
                "pending, running, at a gate/countdown, checklist to tick",
            ),
            ("✔ ✖ ↷ ?", "done, failed, skipped, in doubt"),
            ("⚠", "destructive: gated on a protected target"),
        ],
    ),
];

/// A replay's own keys, for its help; the live UI's keys for looking
/// around (tree, panes, search) work there too.
pub const REPLAY_HELP: (&str, &[(&str, &str)]) = (
    "Replay (read-only)",
    &[
        ("space", "play / pause"),
        ("+/-", "faster / slower: 1x 2x 5x 10x 20x 50x 100x"),
        ("i", "skip idle time on/off (a long wait takes a second)"),
        (
            "→/←",
            "next/previous step boundary: a step starts, an action ends, a step settles",
        ),
        ("n/N", "next/previous failure"),
        ("g", "next gate (shown, answered, refused)"),
        ("o", "next note"),
        ("Home/End", "start / end of the journal"),
        ("t", "go to a time since the start (mm:ss or hh:mm:ss)"),
        (
            "f",
            "follow the journal as it grows (a session still running)",
        ),
        ("q, Ctrl-C", "quit"),
        ("anything else", "that would change the session is refused"),
    ],
);

/// The live keys that only look around, as they work in a replay (where
/// g, Home and End belong to the replay).
const REPLAY_LOOK: (&str, &[(&str, &str)]) = (
    "Looking around (as live)",
    &[
        (
            "j/k ↓/↑",
            "select a step (tree focus), or scroll the focused pane",
        ),
        ("Tab/Shift-Tab", "focus: steps → instructions → output"),
        (
            "PgUp/PgDn",
            "scroll the output (the instructions when focused)",
        ),
        ("Ctrl-U/Ctrl-D", "scroll the output half a page"),
        ("G", "follow the newest output"),
        ("/", "search the output"),
        ("n/N", "next/previous match (output focus, while searching)"),
        ("Esc", "clear the search"),
    ],
);

/// The help overlay's sections: a replay's keys and the live keys that
/// only look around, or every live key.
pub fn help_sections(app: &App) -> Vec<(&'static str, &'static [(&'static str, &'static str)])> {
    if app.read_only {
        [REPLAY_HELP, REPLAY_LOOK]
            .into_iter()
            .chain(HELP.iter().copied().filter(|(title, _)| *title == "Marks"))
            .collect()
    } else {
        HELP.to_vec()
    }
}

fn replay_keys() -> Vec<(String, String)> {
    [
        ("space", "play/pause"),
        ("+/-", "speed"),
        ("→/←", "step"),
        ("n", "failure"),
        ("g", "gate"),
        ("o", "note"),
        ("t", "time"),
        ("f", "follow"),
        ("i", "idle"),
        ("?", "help"),
        ("q", "quit"),
    ]
    .iter()
    .map(|(k, w)| (k.to_string(), w.to_string()))
    .collect()
}

/// The keys that do something in the current mode and selection.
pub fn available(app: &App, session: &Session) -> Vec<(String, String)> {
    let k = |key: &str, what: &str| (key.to_string(), what.to_string());
    if app.read_only && !matches!(app.mode, Mode::Help | Mode::Search { .. }) {
        return replay_keys();
    }
    match &app.mode {
        Mode::Help => vec![k("j/k", "scroll"), k("Esc", "close")],
        Mode::Gate { step, .. } => {
            let name = app
                .gate
                .as_ref()
                .filter(|g| g.step == *step)
                .map_or_else(|| "the target".to_string(), |g| g.target.clone());
            vec![
                (name, "type it".into()),
                k("Enter", "confirm"),
                k("Esc", "refuse"),
            ]
        }
        Mode::Countdown { .. } => vec![k("Esc/c", "cancel")],
        Mode::Skip { .. } | Mode::Note { .. } | Mode::Search { .. } => {
            vec![k("Enter", "ok"), k("Ctrl-U", "clear"), k("Esc", "cancel")]
        }
        Mode::Prompt { .. } => vec![k("Enter", "ok"), k("Ctrl-U", "clear"), k("Esc", "quit")],
        Mode::ConfirmQuit => vec![k("y", "quit"), k("any key", "stay")],
        Mode::Rollback { .. } => vec![k("j/k", "choose"), k("Enter", "go"), k("Esc", "back")],
        Mode::InDoubt { .. } => vec![
            k("r", "re-run"),
            k("d", "mark done"),
            k("s", "skip"),
            k("n", "note"),
            k("q", "quit"),
        ],
        Mode::Normal => normal(app, session),
    }
}

fn normal(app: &App, session: &Session) -> Vec<(String, String)> {
    let k = |key: &str, what: &str| (key.to_string(), what.to_string());
    let mut keys = Vec::new();
    let selected = app.selected.as_deref();
    let step = selected.and_then(|id| session.step(id)).map(|(_, s)| s);
    let state = selected.and_then(|id| session.state(id));
    if let (Some(step), Some(state)) = (step, state) {
        let has_actions = !step.actions.is_empty();
        let items = step.checklist.len();
        let unticked = state.ticked.iter().any(|t| !t);
        let tick = |keys: &mut Vec<(String, String)>| {
            if unticked {
                keys.push(k("space", "tick next"));
            }
            if items > 1 {
                keys.push(k(&format!("1–{}", items.min(9)), "tick item"));
            } else if items == 1 {
                keys.push(k("1", "tick item"));
            }
        };
        match &state.status {
            StepStatus::Pending if has_actions => {
                keys.push(k("Enter", "run"));
                keys.push(k("s", "skip"));
            }
            StepStatus::Pending => {
                tick(&mut keys);
                if !unticked {
                    keys.push(k("d", "done"));
                }
                keys.push(k("s", "skip"));
            }
            StepStatus::Running { .. } => keys.push(k("c", "cancel")),
            StepStatus::Failed { .. } => {
                keys.push(k("r", "retry"));
                if !session.rollbacks_for(&step.id).is_empty() {
                    keys.push(k("b", "rollback"));
                }
                keys.push(k("s", "skip"));
            }
            StepStatus::AwaitingChecklist => {
                tick(&mut keys);
                keys.push(k("s", "skip"));
            }
            StepStatus::AwaitingGate => keys.push(k("Enter", "gate")),
            StepStatus::InDoubt => keys.push(k("Enter", "decide")),
            StepStatus::Done | StepStatus::Skipped { .. } => keys.push(k("Enter", "next step")),
            StepStatus::Countdown => {}
        }
    }
    if session.running().is_some()
        && !matches!(state.map(|s| &s.status), Some(StepStatus::Running { .. }))
    {
        keys.push(k("c", "cancel running"));
    }
    let searching = app.focus == Focus::Output && app.search.is_some();
    if searching {
        keys.push(k("n/N", "match"));
        keys.push(k("Esc", "end search"));
    } else {
        keys.push(k("n", "note"));
    }
    keys.push(match app.focus {
        Focus::Steps => k("j/k", "select"),
        Focus::Step | Focus::Output => k("j/k", "scroll"),
    });
    if app.shows_output(session) {
        keys.push(k("PgUp/PgDn", "output"));
        if !app.follow {
            keys.push(k("G", "follow"));
        }
        if !searching {
            keys.push(k("/", "search"));
        }
    }
    keys.push(k("Tab", "focus"));
    keys.push(k("?", "help"));
    keys.push(k("q", "quit"));
    keys
}
