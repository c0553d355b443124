//! Keys on the main screen: selection, running, ticking, skipping, notes,
//! rollback, cancel, scrolling and search in the output, help, quit.

use super::input::is_ctrl;
use super::{App, Command, Focus, Jump, Mode, all_steps, is_failed};
use crate::session::{Msg, Next, Session, StepStatus};
use crate::tui::render;
use crossterm::event::{KeyCode, KeyEvent};

impl App {
    pub(super) fn normal_key(
        &mut self,
        session: &Session,
        key: KeyEvent,
        now_ms: i64,
    ) -> Vec<Command> {
        if is_ctrl(&key, 'c') {
            return match session.running() {
                Some(step) => self.cancel_running(session, step),
                None => vec![Command::Quit],
            };
        }
        if self.look(session, key, true) {
            return Vec::new();
        }
        match key.code {
            KeyCode::Enter | KeyCode::Char('r') => return self.run(session, now_ms),
            KeyCode::Char(' ' | 'x') => return self.tick_next(session, now_ms),
            KeyCode::Char(c @ '1'..='9') => {
                return self.toggle_item(session, c as usize - '1' as usize, now_ms);
            }
            KeyCode::Char('d') => {
                if let Some(step) = self.selected.clone() {
                    return vec![Command::Submit(Msg::ConfirmedDone { step })];
                }
            }
            KeyCode::Char('s') => self.open_skip(session, now_ms),
            KeyCode::Char('n') => {
                self.hint = None;
                self.mode = Mode::Note {
                    step: self.selected.clone(),
                    input: String::new(),
                };
            }
            KeyCode::Char('b') => self.open_rollback(session, now_ms),
            KeyCode::Char('o') => self.reopen_offer(session, now_ms),
            KeyCode::Char('e') => {
                if session.running().is_some() {
                    self.flash_alert("A command is running: let it end first.", now_ms);
                } else if session.rolled_back().is_some() {
                    return vec![Command::EndRolledBack];
                } else {
                    self.flash_alert(
                        "Nothing to end as rolled back: no rollback step has undone a failure.",
                        now_ms,
                    );
                }
            }
            KeyCode::Char('c') => match session.running() {
                Some(step) => return self.cancel_running(session, step),
                None => self.flash_alert("Nothing is running.", now_ms),
            },
            KeyCode::Char('?') => {
                self.help_scroll = 0;
                self.mode = Mode::Help;
            }
            KeyCode::Char('i') => {
                self.help_scroll = 0;
                self.mode = Mode::Overview;
            }
            KeyCode::Char('q') => {
                if session.running().is_some() {
                    self.mode = Mode::ConfirmQuit;
                } else {
                    return vec![Command::Quit];
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// The keys that only look around (focus, scroll, search, follow):
    /// true when `key` was one. `may_select`: j/k and g move the tree's
    /// selection when it has the focus (not while a question is about
    /// the selected step).
    pub(super) fn look(&mut self, session: &Session, key: KeyEvent, may_select: bool) -> bool {
        if is_ctrl(&key, 'u') {
            self.scroll_by(-(self.half_page() as i64));
            return true;
        }
        if is_ctrl(&key, 'd') {
            self.scroll_by(self.half_page() as i64);
            return true;
        }
        let searching = self.focus == Focus::Output && self.search.is_some();
        let tree = self.focus == Focus::Steps;
        match key.code {
            KeyCode::Char('j') | KeyCode::Down if tree && may_select => {
                self.move_selection(session, 1)
            }
            KeyCode::Char('k') | KeyCode::Up if tree && may_select => {
                self.move_selection(session, -1)
            }
            KeyCode::Char('j' | 'k') | KeyCode::Down | KeyCode::Up if tree => return false,
            KeyCode::Char('j') | KeyCode::Down => self.scroll_by(1),
            KeyCode::Char('k') | KeyCode::Up => self.scroll_by(-1),
            KeyCode::PageDown => self.scroll_by(self.page() as i64),
            KeyCode::PageUp => self.scroll_by(-(self.page() as i64)),
            KeyCode::Char('g') | KeyCode::Home => match self.focus {
                Focus::Steps if may_select => {
                    if let Some(first) = all_steps(session).first() {
                        self.select(first);
                    }
                }
                Focus::Steps => return false,
                Focus::Step => self.step_scroll = 0,
                Focus::Output => {
                    self.follow = false;
                    self.scroll = usize::MAX;
                }
            },
            KeyCode::Char('G') | KeyCode::End => {
                self.follow = true;
                self.scroll = 0;
            }
            KeyCode::Tab => {
                self.focus = match self.focus {
                    Focus::Steps => Focus::Step,
                    Focus::Step => Focus::Output,
                    Focus::Output => Focus::Steps,
                }
            }
            KeyCode::BackTab => {
                self.focus = match self.focus {
                    Focus::Steps => Focus::Output,
                    Focus::Step => Focus::Steps,
                    Focus::Output => Focus::Step,
                }
            }
            KeyCode::Char('n') if searching => self.jump(Jump::Next),
            KeyCode::Char('N') if searching => self.jump(Jump::Prev),
            KeyCode::Char('/') => {
                self.mode = Mode::Search {
                    input: String::new(),
                }
            }
            KeyCode::Esc if self.search.is_some() => self.search = None,
            _ => return false,
        }
        true
    }

    fn jump(&mut self, jump: Jump) {
        if let Some(s) = &mut self.search {
            s.jump = Some(jump);
        }
    }

    /// j/k and the page keys move the focused pane; the page keys move the
    /// output when the tree has the focus (that is where they are wanted).
    fn scroll_by(&mut self, rows: i64) {
        if self.focus == Focus::Step {
            let by = u16::try_from(rows.unsigned_abs()).unwrap_or(u16::MAX);
            self.step_scroll = if rows < 0 {
                self.step_scroll.saturating_sub(by)
            } else {
                self.step_scroll.saturating_add(by)
            };
            return;
        }
        // Output rows count up from the bottom: "down" (positive) means newer.
        if rows > 0 {
            self.scroll = self.scroll.saturating_sub(rows as usize);
            if self.scroll == 0 {
                self.follow = true;
            }
        } else {
            self.scroll = self.scroll.saturating_add(rows.unsigned_abs() as usize);
            self.follow = false;
        }
    }

    fn page(&self) -> usize {
        let regions = render::layout(self.frame, true, 4);
        let pane = match self.focus {
            Focus::Step => regions.step,
            _ => regions.output,
        };
        usize::from(regions.inner(pane).height.max(2) - 1)
    }

    fn half_page(&self) -> usize {
        (self.page() / 2).max(1)
    }

    fn run(&mut self, session: &Session, now_ms: i64) -> Vec<Command> {
        let Some(step) = self.selected.clone() else {
            return Vec::new();
        };
        let Some(state) = session.state(&step) else {
            return Vec::new();
        };
        let has_actions = session
            .step(&step)
            .is_some_and(|(_, s)| !s.actions.is_empty());
        match &state.status {
            StepStatus::Pending | StepStatus::Failed { .. } if has_actions => {
                return vec![Command::Submit(Msg::RunRequested { step })];
            }
            StepStatus::Pending | StepStatus::Failed { .. } => {
                let tick = session
                    .step(&step)
                    .is_some_and(|(_, s)| !s.checklist.is_empty());
                let what = if tick {
                    "Nothing to run here: tick its items (space, or 1–9), then it is done."
                } else {
                    "Nothing to run here: do it by hand, then press d."
                };
                self.flash_alert(what, now_ms);
            }
            StepStatus::AwaitingGate => {
                if self.gate.as_ref().is_some_and(|g| g.step == step) {
                    self.mode = Mode::Gate {
                        step,
                        input: String::new(),
                    };
                }
            }
            StepStatus::Running { .. } | StepStatus::Countdown => {
                self.flash_alert("It is running: c cancels it.", now_ms)
            }
            StepStatus::AwaitingChecklist => match session.next_in_order(&step) {
                // Paused between two blocks, the items between them ticked.
                Next::Run(_) => return vec![Command::Submit(Msg::RunRequested { step })],
                Next::Tick(i) if session.actions_done(&step) < action_count(session, &step) => self
                    .flash_alert(
                        format!(
                            "Tick item {} first (space): its next block runs after it.",
                            i + 1
                        ),
                        now_ms,
                    ),
                _ => self.flash_alert("Its actions are done: tick the remaining items.", now_ms),
            },
            StepStatus::InDoubt => self.mode = Mode::InDoubt { step },
            StepStatus::Done | StepStatus::Skipped { .. } | StepStatus::NotRehearsable { .. } => {
                match session.next_step() {
                    Some(next) if next != step => {
                        let next = next.to_string();
                        self.select(&next);
                    }
                    _ => self.flash_info("Every step is done or skipped: q to finish.", now_ms),
                }
            }
        }
        Vec::new()
    }

    fn tick_next(&mut self, session: &Session, now_ms: i64) -> Vec<Command> {
        let Some(step) = self.selected.clone() else {
            return Vec::new();
        };
        // The item due first, in document order; with none due, the first
        // unticked (whose turn comes after a block: the refusal says so).
        let next = match session.next_in_order(&step) {
            Next::Tick(i) => Some(i),
            Next::Run(_) => {
                self.flash_alert(
                    "The items before its next block are ticked: Enter runs it.",
                    now_ms,
                );
                return Vec::new();
            }
            _ => session
                .state(&step)
                .and_then(|s| s.ticked.iter().position(|t| !t)),
        };
        match next {
            Some(item) => vec![Command::Submit(Msg::ChecklistTicked {
                step,
                item,
                checked: true,
            })],
            None => {
                let empty = session
                    .step(&step)
                    .is_some_and(|(_, s)| s.checklist.is_empty());
                self.flash_alert(
                    if empty {
                        "This step has no checklist."
                    } else {
                        "Every item is ticked."
                    },
                    now_ms,
                );
                Vec::new()
            }
        }
    }

    fn toggle_item(&mut self, session: &Session, item: usize, now_ms: i64) -> Vec<Command> {
        let Some(step) = self.selected.clone() else {
            return Vec::new();
        };
        match session.state(&step).and_then(|s| s.ticked.get(item)) {
            Some(ticked) => vec![Command::Submit(Msg::ChecklistTicked {
                step,
                item,
                checked: !ticked,
            })],
            None => {
                self.flash_alert(format!("This step has no item {}.", item + 1), now_ms);
                Vec::new()
            }
        }
    }

    fn open_skip(&mut self, session: &Session, now_ms: i64) {
        let Some(step) = self.selected.clone() else {
            return;
        };
        match session.state(&step).map(|s| &s.status) {
            Some(StepStatus::Running { .. }) => {
                self.flash_alert("It is running: c cancels it first.", now_ms)
            }
            Some(StepStatus::Done) => self.flash_alert("It is already done.", now_ms),
            Some(StepStatus::Skipped { .. }) => self.flash_alert("It is already skipped.", now_ms),
            _ => {
                self.hint = None;
                self.mode = Mode::Skip {
                    step,
                    input: String::new(),
                };
            }
        }
    }

    fn open_rollback(&mut self, session: &Session, now_ms: i64) {
        let failed = self
            .selected
            .clone()
            .filter(|s| is_failed(session, s))
            .or_else(|| {
                session
                    .flow()
                    .iter()
                    .find(|s| is_failed(session, s))
                    .cloned()
            });
        let Some(failed) = failed else {
            self.flash_alert(
                "Rollbacks are offered after a failure, and nothing failed.",
                now_ms,
            );
            return;
        };
        let choices: Vec<String> = session
            .rollbacks_for(&failed)
            .iter()
            .map(|s| s.id.clone())
            .collect();
        if choices.is_empty() {
            self.flash_alert("No rollback step undoes this phase.", now_ms);
            return;
        }
        self.mode = Mode::Rollback {
            failed,
            choices,
            selected: 0,
        };
    }
}

/// How many blocks `step` has.
fn action_count(session: &Session, step: &str) -> usize {
    session.step(step).map_or(0, |(_, s)| s.actions.len())
}
