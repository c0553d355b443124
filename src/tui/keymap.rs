//! The one key map of the full-screen UI: every key, the words the footer
//! gives it, the sentence the help overlay and docs/running.md give it, and
//! how much it matters when the footer is short of room. The footer
//! (`keys::available`), the help overlay and the docs' key tables are all
//! read from here (a test compares docs/running.md with [`markdown`]), so
//! they cannot say different things; the key handling itself is in
//! `app/`, whose tests press each key listed here.

/// A part of the help overlay and of the docs' key tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Steps,
    Panes,
    Guards,
    Inputs,
    Questions,
    Session,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::Steps,
        Section::Panes,
        Section::Guards,
        Section::Inputs,
        Section::Questions,
        Section::Session,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Steps => "Steps",
            Section::Panes => "Panes",
            Section::Guards => "Gate and countdown",
            Section::Inputs => "Typing (reason, note, search, variable)",
            Section::Questions => "Questions (in doubt, stop, quit, rollback)",
            Section::Session => "Session",
        }
    }
}

/// What a key does; the footer asks for bindings by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Select,
    First,
    Run,
    Retry,
    NextStep,
    ShowGate,
    Decide,
    Tick,
    TickItem,
    Done,
    Skip,
    Rollback,
    Cancel,
    CancelRunning,
    Note,
    Focus,
    Scroll,
    Page,
    HalfPage,
    Top,
    Follow,
    Search,
    Match,
    EndSearch,
    GateType,
    GateConfirm,
    GateRefuse,
    CountdownCancel,
    InputOk,
    InputClear,
    InputClose,
    PromptQuit,
    InDoubtRerun,
    InDoubtDone,
    InDoubtSkip,
    InDoubtLook,
    StopYes,
    StopNo,
    QuitYes,
    QuitNo,
    RollbackChoose,
    RollbackGo,
    RollbackBack,
    OfferChoose,
    OfferNone,
    OfferBack,
    Offer,
    HelpScroll,
    HelpClose,
    Help,
    Overview,
    OverviewClose,
    EndRolledBack,
    Quit,
    CtrlC,
}

/// One key (or a few that do the same), as the help, the docs and the
/// footer show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    pub act: Act,
    pub section: Section,
    /// The keys as the help and the docs list them.
    pub keys: &'static str,
    /// The key as the footer shows it (short).
    pub key: &'static str,
    /// The footer's word for it.
    pub label: &'static str,
    /// The help's and the docs' sentence.
    pub help: &'static str,
    /// The footer drops the highest numbers first when it is short of
    /// room; 0 is never dropped (`q quit`, `? keys`, how to get out of a
    /// gate or a countdown).
    pub priority: u8,
}

const fn b(
    act: Act,
    section: Section,
    keys: &'static str,
    key: &'static str,
    label: &'static str,
    help: &'static str,
    priority: u8,
) -> Binding {
    Binding {
        act,
        section,
        keys,
        key,
        label,
        help,
        priority,
    }
}

use Act::*;
use Section::*;

/// Every key of the live full-screen UI, in the order the help lists them.
pub const MAP: &[Binding] = &[
    b(
        Select,
        Steps,
        "j/k ↓/↑",
        "j/k",
        "select",
        "select the next/previous step (tree focus)",
        3,
    ),
    b(
        First,
        Steps,
        "g/Home",
        "g",
        "first",
        "the first step (tree focus)",
        9,
    ),
    b(
        Run,
        Steps,
        "Enter, r",
        "Enter",
        "run",
        "run the selected step",
        1,
    ),
    b(
        Retry,
        Steps,
        "r, Enter",
        "r",
        "retry",
        "after a failure: run it again",
        1,
    ),
    b(
        NextStep,
        Steps,
        "Enter",
        "Enter",
        "next step",
        "on a finished step (kept in view with its result): select the next step; Enter again runs it",
        1,
    ),
    b(
        ShowGate,
        Steps,
        "Enter",
        "Enter",
        "gate",
        "on a step waiting at its gate: show the gate again",
        1,
    ),
    b(
        Decide,
        Steps,
        "Enter",
        "Enter",
        "decide",
        "on a step in doubt: ask again what to do with it",
        1,
    ),
    b(
        Tick,
        Steps,
        "space, x",
        "space",
        "tick next",
        "tick the next checklist item",
        1,
    ),
    b(
        TickItem,
        Steps,
        "1–9",
        "1–9",
        "tick item",
        "tick or untick checklist item N",
        5,
    ),
    b(
        Done,
        Steps,
        "d",
        "d",
        "done",
        "confirm a manual step is done",
        1,
    ),
    b(
        Skip,
        Steps,
        "s",
        "s",
        "skip",
        "skip the selected step (asks for a reason)",
        2,
    ),
    b(
        Rollback,
        Steps,
        "b",
        "b",
        "rollback",
        "after a failure: choose a rollback step of its phase",
        2,
    ),
    b(
        Cancel,
        Steps,
        "c",
        "c",
        "cancel",
        "stop the running command (asks first on a protected target)",
        1,
    ),
    b(
        CancelRunning,
        Steps,
        "c",
        "c",
        "cancel running",
        "the same while another step is selected",
        1,
    ),
    b(
        Note,
        Steps,
        "n",
        "n",
        "note",
        "add a note to the journal (any time)",
        4,
    ),
    b(
        Focus,
        Panes,
        "Tab/Shift-Tab",
        "Tab",
        "focus",
        "focus: steps → instructions → output",
        5,
    ),
    b(
        Scroll,
        Panes,
        "j/k ↓/↑",
        "j/k",
        "scroll",
        "scroll the focused pane by a line (instructions or output focus)",
        3,
    ),
    b(
        Page,
        Panes,
        "PgUp/PgDn",
        "PgUp/PgDn",
        "output",
        "scroll the output (the instructions when focused)",
        6,
    ),
    b(
        HalfPage,
        Panes,
        "Ctrl-U/Ctrl-D",
        "Ctrl-U/D",
        "half page",
        "scroll the output half a page",
        9,
    ),
    b(
        Top,
        Panes,
        "g/Home",
        "g",
        "top",
        "the top of the output (output focus)",
        9,
    ),
    b(
        Follow,
        Panes,
        "G/End",
        "G",
        "follow",
        "follow the newest output",
        6,
    ),
    b(Search, Panes, "/", "/", "search", "search the output", 7),
    b(
        Match,
        Panes,
        "n/N",
        "n/N",
        "match",
        "next/previous match (output focus, while searching)",
        4,
    ),
    b(
        EndSearch,
        Panes,
        "Esc",
        "Esc",
        "end search",
        "clear the search",
        5,
    ),
    b(
        GateType,
        Guards,
        "type the name",
        "name",
        "type it",
        "at a gate: type the target's name",
        1,
    ),
    b(
        GateConfirm,
        Guards,
        "Enter",
        "Enter",
        "confirm",
        "at a gate: run it if the name is right (a wrong or empty name says so, runs nothing, and the gate stays)",
        1,
    ),
    b(
        GateRefuse,
        Guards,
        "Esc, Ctrl-C",
        "Esc",
        "refuse",
        "at a gate: refuse to run it (journaled)",
        0,
    ),
    b(
        CountdownCancel,
        Guards,
        "Esc, c, Ctrl-C",
        "Esc/c",
        "cancel",
        "during a countdown: cancel it (Enter does not: it says how)",
        0,
    ),
    b(
        InputOk,
        Inputs,
        "Enter",
        "Enter",
        "ok",
        "confirm what was typed",
        1,
    ),
    b(
        InputClear,
        Inputs,
        "Backspace, Ctrl-U",
        "Ctrl-U",
        "clear",
        "erase a character, the whole line",
        3,
    ),
    b(
        InputClose,
        Inputs,
        "Esc",
        "Esc",
        "cancel",
        "close the input, nothing sent",
        0,
    ),
    b(
        PromptQuit,
        Inputs,
        "Esc",
        "Esc",
        "quit",
        "at a variable's prompt, before the start: leave",
        0,
    ),
    b(
        InDoubtRerun,
        Questions,
        "r",
        "r",
        "re-run",
        "in doubt (after a crash): run it again (a destructive step goes through its gate)",
        1,
    ),
    b(
        InDoubtDone,
        Questions,
        "d",
        "d",
        "mark done",
        "in doubt: it completed, mark it done",
        1,
    ),
    b(
        InDoubtSkip,
        Questions,
        "s",
        "s",
        "skip",
        "in doubt: skip it, with a reason",
        1,
    ),
    b(
        InDoubtLook,
        Questions,
        "PgUp/PgDn, Tab, /",
        "PgUp/PgDn",
        "look",
        "in doubt: look at its output before deciding (scroll, focus, j/k on the output, search)",
        3,
    ),
    b(
        StopYes,
        Questions,
        "y, Ctrl-C",
        "y",
        "stop it",
        "stop a command on a protected target? yes: kill it",
        0,
    ),
    b(
        StopNo,
        Questions,
        "any other key",
        "any key",
        "let it run",
        "stop a command? no: it runs on",
        0,
    ),
    b(
        QuitYes,
        Questions,
        "y, Ctrl-C",
        "y",
        "quit",
        "quit while a step runs? yes (the session stays resumable)",
        0,
    ),
    b(
        QuitNo,
        Questions,
        "any other key",
        "any key",
        "stay",
        "quit? no",
        0,
    ),
    b(
        RollbackChoose,
        Questions,
        "j/k, 1–9",
        "j/k",
        "choose",
        "choosing a rollback step: move the choice",
        1,
    ),
    b(
        RollbackGo,
        Questions,
        "Enter",
        "Enter",
        "go",
        "select that rollback step; Enter again runs it",
        1,
    ),
    b(
        RollbackBack,
        Questions,
        "Esc, q",
        "Esc",
        "back",
        "choose none",
        0,
    ),
    b(
        OfferChoose,
        Questions,
        "a, b, …",
        "a/b",
        "choose",
        "at an offer of alternatives: run the option with that letter (its steps join the flow)",
        0,
    ),
    b(
        OfferNone,
        Questions,
        "n",
        "n",
        "none",
        "at an offer of alternatives: none of them (journaled)",
        0,
    ),
    b(
        OfferBack,
        Questions,
        "Esc",
        "Esc",
        "look",
        "at an offer of alternatives: close it to read the options' steps (o asks again)",
        1,
    ),
    b(
        Offer,
        Steps,
        "o",
        "o",
        "options",
        "ask again the offer of alternatives the flow has reached",
        3,
    ),
    b(
        HelpScroll,
        Session,
        "j/k, PgUp/PgDn",
        "j/k",
        "scroll",
        "in this help: scroll",
        1,
    ),
    b(
        HelpClose,
        Session,
        "Esc, ?, q",
        "Esc",
        "close",
        "close this help",
        0,
    ),
    b(Help, Session, "?", "?", "keys", "every key (this help)", 0),
    b(
        Overview,
        Session,
        "i",
        "i",
        "overview",
        "the runbook's overview: what it says before its first phase and its context sections (Overview, Contacts, References…), which are read, never run",
        9,
    ),
    b(
        OverviewClose,
        Session,
        "Esc, i, q",
        "Esc",
        "close",
        "in the overview: close it (j/k, PgUp/PgDn scroll)",
        0,
    ),
    b(
        EndRolledBack,
        Session,
        "e",
        "e",
        "end, rolled back",
        "after a rollback step undid a failure: end the session as rolled back (it cannot be resumed)",
        1,
    ),
    b(
        Quit,
        Session,
        "q",
        "q",
        "quit",
        "quit; the session stays resumable (asks while a step runs)",
        0,
    ),
    b(
        CtrlC,
        Session,
        "Ctrl-C",
        "Ctrl-C",
        "stop",
        "stop the running command (asks first on a protected target), or quit when nothing runs",
        0,
    ),
];

/// The binding of `act`. Every act has one (a test checks).
pub fn binding(act: Act) -> Binding {
    MAP.iter()
        .copied()
        .find(|b| b.act == act)
        .unwrap_or(Binding {
            act,
            section: Section::Session,
            keys: "?",
            key: "?",
            label: "?",
            help: "",
            priority: 9,
        })
}

/// One section's keys, in order.
pub fn section(section: Section) -> impl Iterator<Item = &'static Binding> {
    MAP.iter().filter(move |b| b.section == section)
}

/// The key tables of docs/running.md, as they must read there: one
/// `####` heading per section, one row per binding.
pub fn markdown() -> String {
    let mut out = String::new();
    for (i, s) in Section::ALL.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "#### {}\n\n| Key | Does |\n| --- | --- |\n",
            s.title()
        ));
        for b in section(*s) {
            out.push_str(&format!("| `{}` | {} |\n", b.keys, b.help));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_act_has_exactly_one_binding() {
        for b in MAP {
            assert_eq!(
                MAP.iter().filter(|o| o.act == b.act).count(),
                1,
                "{:?}",
                b.act
            );
        }
    }

    #[test]
    fn the_markdown_has_a_row_per_binding() {
        let md = markdown();
        assert_eq!(md.matches("\n| `").count(), MAP.len());
        assert_eq!(md.matches("#### ").count(), Section::ALL.len());
    }
}
