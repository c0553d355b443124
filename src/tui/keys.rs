//! Which keys do something now (the footer), and every key (the help),
//! both read from the one key map (`keymap`).

use super::app::{App, Focus, Mode};
use super::keymap::{self, Act, Section};
use crate::session::{Next, Session, StepStatus};

/// One section of the help overlay: a title and (keys, what they do).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelpSection {
    pub title: &'static str,
    pub keys: Vec<(&'static str, &'static str)>,
}

impl HelpSection {
    fn of(fixed: (&'static str, &'static [(&'static str, &'static str)])) -> HelpSection {
        HelpSection {
            title: fixed.0,
            keys: fixed.1.to_vec(),
        }
    }
}

/// Every live key, by section, from the key map; then the marks.
pub fn live_help() -> Vec<HelpSection> {
    Section::ALL
        .iter()
        .map(|s| HelpSection {
            title: s.title(),
            keys: keymap::section(*s).map(|b| (b.keys, b.help)).collect(),
        })
        .chain(std::iter::once(HelpSection::of(MARKS)))
        .collect()
}

/// A key the footer shows now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FooterKey {
    pub key: String,
    pub label: String,
    /// See `keymap::Binding::priority`: the highest go first when the
    /// footer is short of room.
    pub priority: u8,
}

impl FooterKey {
    fn of(act: Act) -> FooterKey {
        let b = keymap::binding(act);
        FooterKey {
            key: b.key.to_string(),
            label: b.label.to_string(),
            priority: b.priority,
        }
    }

    /// The same binding, its key spelt for this moment (`1–3`, the
    /// target's name).
    fn keyed(act: Act, key: impl Into<String>) -> FooterKey {
        FooterKey {
            key: key.into(),
            ..FooterKey::of(act)
        }
    }
}

/// The marks the tree and the step pane draw: not keys, but the help
/// explains them beside the keys.
pub const MARKS: (&str, &[(&str, &str)]) = (
    "Marks",
    &[
        (
            "○ ◐ ◆ ◑",
            "pending, running, at a gate/countdown, checklist to tick",
        ),
        ("✔ ✖ ↷ ?", "done, failed, skipped, in doubt"),
        ("⚠", "destructive: gated on a protected target"),
    ],
);

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
pub fn help_sections(app: &App) -> Vec<HelpSection> {
    if app.read_only {
        vec![
            HelpSection::of(REPLAY_HELP),
            HelpSection::of(REPLAY_LOOK),
            HelpSection::of(MARKS),
        ]
    } else {
        live_help()
    }
}

fn replay_keys() -> Vec<FooterKey> {
    let n = REPLAY_FOOTER.len();
    REPLAY_FOOTER
        .iter()
        .enumerate()
        .map(|(i, (k, w))| FooterKey {
            key: k.to_string(),
            label: w.to_string(),
            // Help and quit are kept; the rest go from the end.
            priority: if i + 2 >= n { 0 } else { 1 + i as u8 },
        })
        .collect()
}

/// A replay's footer, in the order shown; `? help` and `q quit` last.
const REPLAY_FOOTER: &[(&str, &str)] = &[
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
];

/// The keys that do something in the current mode and selection, in the
/// order the footer shows them.
pub fn available(app: &App, session: &Session) -> Vec<FooterKey> {
    use FooterKey as K;
    if app.read_only && !matches!(app.mode, Mode::Help | Mode::Search { .. }) {
        return replay_keys();
    }
    match &app.mode {
        Mode::Help => vec![K::of(Act::HelpScroll), K::of(Act::HelpClose)],
        Mode::Overview => vec![K::of(Act::HelpScroll), K::of(Act::OverviewClose)],
        Mode::Gate { step, .. } => {
            let name = app
                .gate
                .as_ref()
                .filter(|g| g.step == *step)
                .map_or_else(|| "the target".to_string(), |g| g.target.clone());
            vec![
                K::keyed(Act::GateType, name),
                K::of(Act::GateConfirm),
                K::of(Act::GateRefuse),
            ]
        }
        Mode::Countdown { .. } => vec![K::of(Act::CountdownCancel)],
        Mode::Skip { .. } | Mode::Note { .. } | Mode::Search { .. } => vec![
            K::of(Act::InputOk),
            K::of(Act::InputClear),
            K::of(Act::InputClose),
        ],
        Mode::Prompt { .. } => vec![
            K::of(Act::InputOk),
            K::of(Act::InputClear),
            K::of(Act::PromptQuit),
        ],
        Mode::ConfirmQuit => vec![K::of(Act::QuitYes), K::of(Act::QuitNo)],
        Mode::ConfirmCancel { .. } => vec![K::of(Act::StopYes), K::of(Act::StopNo)],
        Mode::Rollback { .. } => vec![
            K::of(Act::RollbackChoose),
            K::of(Act::RollbackGo),
            K::of(Act::RollbackBack),
        ],
        Mode::Offer { .. } => vec![
            K::of(Act::OfferChoose),
            K::of(Act::OfferNone),
            K::of(Act::OfferBack),
        ],
        Mode::InDoubt { .. } => vec![
            K::of(Act::InDoubtRerun),
            K::of(Act::InDoubtDone),
            K::of(Act::InDoubtSkip),
            K::of(Act::InDoubtLook),
            K::of(Act::Note),
            K::of(Act::Help),
            K::of(Act::Quit),
        ],
        Mode::Normal => normal(app, session),
    }
}

fn normal(app: &App, session: &Session) -> Vec<FooterKey> {
    use FooterKey as K;
    let mut keys = Vec::new();
    let selected = app.selected.as_deref();
    let step = selected.and_then(|id| session.step(id)).map(|(_, s)| s);
    let state = selected.and_then(|id| session.state(id));
    if let (Some(step), Some(state)) = (step, state) {
        let has_actions = !step.actions.is_empty();
        let items = step.checklist.len();
        let unticked = state.ticked.iter().any(|t| !t);
        let tick = |keys: &mut Vec<FooterKey>| {
            if unticked {
                keys.push(K::of(Act::Tick));
            }
            if items > 1 {
                keys.push(K::keyed(Act::TickItem, format!("1–{}", items.min(9))));
            } else if items == 1 {
                keys.push(K::keyed(Act::TickItem, "1"));
            }
        };
        // In the order its items and blocks are written: Enter runs the
        // next block only once the items before it are ticked.
        let next = session.next_in_order(&step.id);
        match &state.status {
            StepStatus::Pending if has_actions => {
                if matches!(next, Next::Tick(_)) {
                    tick(&mut keys);
                } else {
                    keys.push(K::of(Act::Run));
                }
                keys.push(K::of(Act::Skip));
            }
            StepStatus::Pending => {
                tick(&mut keys);
                if !unticked {
                    keys.push(K::of(Act::Done));
                }
                keys.push(K::of(Act::Skip));
            }
            StepStatus::Running { .. } => keys.push(K::of(Act::Cancel)),
            StepStatus::Failed { .. } => {
                keys.push(K::of(Act::Retry));
                if !session.rollbacks_for(&step.id).is_empty() {
                    keys.push(K::of(Act::Rollback));
                }
                keys.push(K::of(Act::Skip));
            }
            StepStatus::AwaitingChecklist => {
                if matches!(next, Next::Run(_)) {
                    keys.push(FooterKey {
                        label: "run next block".into(),
                        ..K::of(Act::Run)
                    });
                }
                tick(&mut keys);
                keys.push(K::of(Act::Skip));
            }
            StepStatus::AwaitingGate => keys.push(K::of(Act::ShowGate)),
            StepStatus::InDoubt => keys.push(K::of(Act::Decide)),
            // Only when there is a next step to go to.
            StepStatus::Done | StepStatus::Skipped { .. } | StepStatus::NotRehearsable { .. } => {
                if session.next_step().is_some_and(|n| n != step.id) {
                    keys.push(K::of(Act::NextStep));
                }
            }
            StepStatus::Countdown => {}
        }
    }
    if session.pending_offer().is_some() {
        keys.push(K::of(Act::Offer));
    }
    if session.running().is_none() && session.rolled_back().is_some() {
        keys.push(K::of(Act::EndRolledBack));
    }
    if session.running().is_some()
        && !matches!(state.map(|s| &s.status), Some(StepStatus::Running { .. }))
    {
        keys.push(K::of(Act::CancelRunning));
    }
    let searching = app.focus == Focus::Output && app.search.is_some();
    if searching {
        keys.push(K::of(Act::Match));
        keys.push(K::of(Act::EndSearch));
    } else {
        keys.push(K::of(Act::Note));
    }
    keys.push(match app.focus {
        Focus::Steps => K::of(Act::Select),
        Focus::Step | Focus::Output => K::of(Act::Scroll),
    });
    if app.shows_output(session) {
        keys.push(K::of(Act::Page));
        if !app.follow {
            keys.push(K::of(Act::Follow));
        }
        if !searching {
            keys.push(K::of(Act::Search));
        }
    }
    keys.push(K::of(Act::Focus));
    if !session.runbook().overview().is_empty() {
        keys.push(K::of(Act::Overview));
    }
    keys.push(K::of(Act::Help));
    keys.push(K::of(Act::Quit));
    keys
}

/// What fits in `width` columns: the keys shown in their order, those
/// with the highest priority number left out first until the rest fit.
/// `item_width` is what one key takes on screen.
pub fn fit(
    mut keys: Vec<FooterKey>,
    width: usize,
    item_width: impl Fn(&FooterKey) -> usize,
) -> Vec<FooterKey> {
    loop {
        let used: usize = keys.iter().map(&item_width).sum();
        if used <= width {
            return keys;
        }
        let drop = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.priority > 0)
            // The last of the least important goes first.
            .max_by_key(|(i, k)| (k.priority, *i))
            .map(|(i, _)| i);
        match drop {
            Some(i) => {
                keys.remove(i);
            }
            // Only keys that are never dropped are left: cut from the end.
            None => {
                keys.pop();
                if keys.is_empty() {
                    return keys;
                }
            }
        }
    }
}
