//! How much of its flow a rehearsal rehearsed: flow steps that ran to
//! completion (done: actions passed, or a checklist-only or manual step
//! confirmed) over all flow steps, and why the others were not. A step the
//! runbook marks `sandbox=skip` is in the flow and is not rehearsed: it is
//! counted in the total and listed apart, with its reason, so a reader
//! sees what the drill could not reach and why.

use super::build::Report;
use crate::session::{Session, StepStatus};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    pub rehearsed: usize,
    /// Steps of the flow: rollbacks, alternatives and context excluded.
    pub total: usize,
    /// Skipped by the operator: title, reason.
    pub skipped: Vec<(String, String)>,
    /// Passed by in the sandbox, as the runbook marks them: title, reason.
    pub not_rehearsable: Vec<(String, String)>,
    /// Blocks passed by in steps that otherwise ran: the step's title, the
    /// block's number (from 1) and the reason.
    pub blocks_not_rehearsed: Vec<(String, usize, String)>,
    /// Neither done nor skipped (failed, at a gate, never turned to).
    pub not_reached: Vec<String>,
}

impl Coverage {
    /// Whole percent, rounded down: 44 of 45 is 97%, never 100%.
    pub fn percent(&self) -> usize {
        (self.rehearsed * 100)
            .checked_div(self.total)
            .unwrap_or(100)
    }

    /// "Rehearsed: 41 of 45 steps in the flow (91%); 2 not rehearsable".
    pub fn line(&self) -> String {
        let mut line = format!(
            "Rehearsed: {} of {} steps in the flow ({}%)",
            self.rehearsed,
            self.total,
            self.percent()
        );
        if !self.not_rehearsable.is_empty() {
            line.push_str(&format!("; {} not rehearsable", self.not_rehearsable.len()));
        }
        line
    }
}

/// The coverage of a report's session; it says something only for a
/// drill or a sandbox session, where the caller shows it.
pub fn coverage(r: &Report) -> Coverage {
    tally(r.steps.iter().map(|s| Tallied {
        title: &s.title,
        off_flow: s.off_flow,
        status: &s.status,
        not_rehearsed: &s.not_rehearsed,
    }))
}

/// The coverage of a live session, as its report will give it: what a
/// drill's last line and end screen say.
pub fn of_session(session: &Session) -> Coverage {
    let flow = session.flow();
    tally(session.runbook().steps().filter_map(|(_, s)| {
        let state = session.state(&s.id)?;
        Some(Tallied {
            title: &s.title,
            off_flow: !flow.contains(&s.id),
            status: &state.status,
            not_rehearsed: &state.not_rehearsed,
        })
    }))
}

/// Whether `session` is a rehearsal, whose coverage is worth saying.
pub fn session_applies(session: &Session) -> bool {
    session.info().drill || session.info().sandbox
}

/// A step as coverage reads it, from a report or a session.
struct Tallied<'a> {
    title: &'a str,
    off_flow: bool,
    status: &'a StepStatus,
    not_rehearsed: &'a [(usize, String)],
}

fn tally<'a>(steps: impl Iterator<Item = Tallied<'a>>) -> Coverage {
    let mut c = Coverage {
        rehearsed: 0,
        total: 0,
        skipped: Vec::new(),
        not_rehearsable: Vec::new(),
        blocks_not_rehearsed: Vec::new(),
        not_reached: Vec::new(),
    };
    for s in steps.filter(|s| !s.off_flow) {
        let title = s.title.to_string();
        c.total += 1;
        match s.status {
            StepStatus::Done => c.rehearsed += 1,
            StepStatus::Skipped { reason } => c.skipped.push((title.clone(), reason.clone())),
            StepStatus::NotRehearsable { reason } => {
                c.not_rehearsable.push((title.clone(), reason.clone()))
            }
            _ => c.not_reached.push(title.clone()),
        }
        c.blocks_not_rehearsed.extend(
            s.not_rehearsed
                .iter()
                .map(|(i, reason)| (title.clone(), i + 1, reason.clone())),
        );
    }
    c
}

/// A rehearsal: its coverage is worth reporting.
pub fn applies(r: &Report) -> bool {
    r.info.drill || r.info.sandbox
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(rehearsed: usize, total: usize) -> Coverage {
        Coverage {
            rehearsed,
            total,
            skipped: Vec::new(),
            not_rehearsable: Vec::new(),
            blocks_not_rehearsed: Vec::new(),
            not_reached: Vec::new(),
        }
    }

    #[test]
    fn the_line_rounds_down_and_an_empty_flow_is_whole() {
        assert_eq!(
            c(41, 45).line(),
            "Rehearsed: 41 of 45 steps in the flow (91%)"
        );
        assert_eq!(c(44, 45).percent(), 97);
        assert_eq!(c(0, 0).percent(), 100);
    }

    #[test]
    fn steps_not_rehearsable_count_in_the_flow_and_are_named_apart() {
        let mut cov = c(9, 10);
        cov.not_rehearsable
            .push(("Nodes".into(), "no cluster in the sandbox".into()));
        assert_eq!(
            cov.line(),
            "Rehearsed: 9 of 10 steps in the flow (90%); 1 not rehearsable"
        );
    }
}
