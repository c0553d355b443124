//! How much of its flow a rehearsal rehearsed: flow steps that ran to
//! completion (done: actions passed, or a checklist-only or manual step
//! confirmed) over all flow steps, and why the others were not.

use super::build::Report;
use crate::session::StepStatus;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    pub rehearsed: usize,
    /// Steps of the flow: rollbacks, alternatives and context excluded.
    pub total: usize,
    /// Skipped by the operator: title, reason.
    pub skipped: Vec<(String, String)>,
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

    /// "Rehearsed: 41 of 45 steps in the flow (91%)".
    pub fn line(&self) -> String {
        format!(
            "Rehearsed: {} of {} steps in the flow ({}%)",
            self.rehearsed,
            self.total,
            self.percent()
        )
    }
}

/// The coverage of a report's session; it says something only for a
/// drill or a sandbox session, where the caller shows it.
pub fn coverage(r: &Report) -> Coverage {
    let mut c = Coverage {
        rehearsed: 0,
        total: 0,
        skipped: Vec::new(),
        not_reached: Vec::new(),
    };
    for s in r.steps.iter().filter(|s| !s.off_flow) {
        c.total += 1;
        match &s.status {
            StepStatus::Done => c.rehearsed += 1,
            StepStatus::Skipped { reason } => c.skipped.push((s.title.clone(), reason.clone())),
            _ => c.not_reached.push(s.title.clone()),
        }
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
}
