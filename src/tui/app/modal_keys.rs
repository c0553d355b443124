//! Keys while a modal is open: help, gate, countdown, the text inputs, the
//! rollback choice, the in-doubt question.

use super::input::{Edit, edit, is_ctrl};
use super::{App, Command, Focus, Jump, Mode, Search};
use crate::session::{Decision, Msg, Session, StepStatus};
use crossterm::event::{KeyCode, KeyEvent};

impl App {
    pub(super) fn help_key(&mut self, key: KeyEvent) {
        if self.scroll_key(key, &['?', 'q']) {
            self.mode = Mode::Help;
        }
    }

    pub(super) fn overview_key(&mut self, key: KeyEvent) {
        if self.scroll_key(key, &['i', 'q']) {
            self.mode = Mode::Overview;
        }
    }

    /// A key in a read-only overlay (help, overview): scrolls it, or
    /// closes it (false) on Esc, Ctrl-C or one of `closers`.
    fn scroll_key(&mut self, key: KeyEvent, closers: &[char]) -> bool {
        match key.code {
            KeyCode::Char(c) if closers.contains(&c) => return false,
            KeyCode::Esc => return false,
            KeyCode::Char('j') | KeyCode::Down => {
                self.help_scroll = self.help_scroll.saturating_add(1)
            }
            KeyCode::Char('k') | KeyCode::Up => {
                self.help_scroll = self.help_scroll.saturating_sub(1)
            }
            KeyCode::PageDown => self.help_scroll = self.help_scroll.saturating_add(10),
            KeyCode::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
            KeyCode::Home | KeyCode::Char('g') => self.help_scroll = 0,
            _ if is_ctrl(&key, 'c') => return false,
            _ => {}
        }
        true
    }

    pub(super) fn gate_key(
        &mut self,
        session: &Session,
        step: String,
        mut input: String,
        key: KeyEvent,
        now_ms: i64,
    ) -> Vec<Command> {
        match edit(&mut input, &key) {
            Edit::Cancel => {
                self.hint = None;
                let title = session.step_title(&step);
                // A refusal overwrites this if the engine refuses.
                self.flash_info(
                    format!("Refused: “{title}” did not run (journaled)."),
                    now_ms,
                );
                vec![Command::Submit(Msg::GateRefused { step })]
            }
            Edit::Submit if input.trim().is_empty() => {
                let name = self.gate_target(&step);
                self.hint = Some(format!("Type {name} to run this step, or Esc to refuse."));
                self.mode = Mode::Gate { step, input };
                Vec::new()
            }
            Edit::Submit => {
                // The engine says whether the name was right: a wrong one
                // comes back as `Effect::GateMistyped`, and the gate with it.
                self.hint = None;
                vec![Command::Submit(Msg::GateAnswered { step, typed: input })]
            }
            Edit::Changed | Edit::Ignored => {
                self.mode = Mode::Gate { step, input };
                Vec::new()
            }
        }
    }

    fn gate_target(&self, step: &str) -> String {
        self.gate
            .as_ref()
            .filter(|g| g.step == step)
            .map_or_else(|| "the target's name".to_string(), |g| g.target.clone())
    }

    pub(super) fn skip_key(
        &mut self,
        session: &Session,
        step: String,
        mut input: String,
        key: KeyEvent,
        now_ms: i64,
    ) -> Vec<Command> {
        match edit(&mut input, &key) {
            Edit::Cancel => {
                self.hint = None;
                Vec::new()
            }
            Edit::Submit if input.trim().is_empty() => {
                self.hint = Some("A skip needs a reason, for whoever reads the journal.".into());
                self.mode = Mode::Skip { step, input };
                Vec::new()
            }
            Edit::Submit => {
                self.hint = None;
                let reason = input.trim().to_string();
                let title = session.step_title(&step);
                // Not the reason itself: the footer is drawn outside the
                // screen's secret mask, and what was typed may hold one.
                self.flash_info(format!("↷ “{title}” skipped (reason journaled)."), now_ms);
                let in_doubt = session
                    .state(&step)
                    .is_some_and(|s| s.status == StepStatus::InDoubt);
                let msg = if in_doubt {
                    Msg::InDoubtResolved {
                        step,
                        decision: Decision::Skip { reason },
                    }
                } else {
                    Msg::Skipped { step, reason }
                };
                vec![Command::Submit(msg)]
            }
            Edit::Changed | Edit::Ignored => {
                self.mode = Mode::Skip { step, input };
                Vec::new()
            }
        }
    }

    pub(super) fn note_key(
        &mut self,
        session: &Session,
        step: Option<String>,
        mut input: String,
        key: KeyEvent,
        now_ms: i64,
    ) -> Vec<Command> {
        match edit(&mut input, &key) {
            Edit::Cancel => {
                self.hint = None;
                Vec::new()
            }
            Edit::Submit if input.trim().is_empty() => {
                self.hint = Some("Type the note, or Esc to leave without one.".into());
                self.mode = Mode::Note { step, input };
                Vec::new()
            }
            Edit::Submit => {
                self.hint = None;
                let on = step
                    .as_deref()
                    .map(|s| format!(" on “{}”", session.step_title(s)))
                    .unwrap_or_default();
                self.flash_info(format!("✎ Note added to the journal{on}."), now_ms);
                vec![Command::Submit(Msg::Note {
                    step,
                    text: input.trim().to_string(),
                })]
            }
            Edit::Changed | Edit::Ignored => {
                self.mode = Mode::Note { step, input };
                Vec::new()
            }
        }
    }

    pub(super) fn search_key(&mut self, mut input: String, key: KeyEvent) -> Vec<Command> {
        match edit(&mut input, &key) {
            Edit::Cancel => {}
            Edit::Submit if input.is_empty() => self.search = None,
            Edit::Submit => {
                self.focus = Focus::Output;
                self.search = Some(Search {
                    query: input,
                    step: None,
                    matches: Vec::new(),
                    current: None,
                    jump: Some(Jump::Last),
                });
            }
            Edit::Changed | Edit::Ignored => self.mode = Mode::Search { input },
        }
        Vec::new()
    }

    pub(super) fn rollback_key(
        &mut self,
        failed: String,
        choices: Vec<String>,
        selected: usize,
        key: KeyEvent,
    ) -> Vec<Command> {
        let last = choices.len().saturating_sub(1);
        let selected = match key.code {
            KeyCode::Esc | KeyCode::Char('q') => return Vec::new(),
            _ if is_ctrl(&key, 'c') => return Vec::new(),
            KeyCode::Enter => {
                let Some(rollback) = choices.get(selected).cloned() else {
                    return Vec::new();
                };
                self.select(&rollback);
                return vec![Command::Submit(Msg::RollbackRequested { failed, rollback })];
            }
            KeyCode::Char('j') | KeyCode::Down => (selected + 1).min(last),
            KeyCode::Char('k') | KeyCode::Up => selected.saturating_sub(1),
            KeyCode::Char(c @ '1'..='9') => {
                let n = c as usize - '1' as usize;
                if n <= last { n } else { selected }
            }
            _ => selected,
        };
        self.mode = Mode::Rollback {
            failed,
            choices,
            selected,
        };
        Vec::new()
    }

    pub(super) fn in_doubt_key(
        &mut self,
        session: &Session,
        step: String,
        key: KeyEvent,
    ) -> Vec<Command> {
        let resolve = |decision| {
            vec![Command::Submit(Msg::InDoubtResolved {
                step: step.clone(),
                decision,
            })]
        };
        match key.code {
            KeyCode::Char('r') => return resolve(Decision::Rerun),
            KeyCode::Char('d') => return resolve(Decision::MarkDone),
            KeyCode::Char('s') => {
                self.hint = None;
                self.mode = Mode::Skip {
                    step,
                    input: String::new(),
                };
                return Vec::new();
            }
            KeyCode::Char('n') if !(self.focus == Focus::Output && self.search.is_some()) => {
                self.mode = Mode::Note {
                    step: Some(step),
                    input: String::new(),
                };
                return Vec::new();
            }
            KeyCode::Char('?') => {
                self.mode = Mode::Help;
                return Vec::new();
            }
            KeyCode::Char('q') => return vec![Command::Quit],
            _ if is_ctrl(&key, 'c') => return vec![Command::Quit],
            _ => {}
        }
        // "Check, then decide": the output can be scrolled and searched,
        // the focus moved, while the question stays open (the selection
        // stays on the step it is about). A search typed now comes back
        // to the question once it is entered.
        self.mode = Mode::InDoubt { step };
        self.look(session, key, false);
        Vec::new()
    }
}
