//! A failed shell action's outcome, told with the runbook line its shell
//! error names: the operator reads "(runbook line 45)", not bash's "line 3"
//! of a script they never saw whole.

use super::msg::ActionOutcome;
use super::state::Session;
use super::update::expected_exit_codes;
use crate::runbook::model::ActionKind;
use crate::runbook::shell_error::with_runbook_line;

/// `outcome` of action `index` of `step`, with a failure that names the
/// runbook's line when the step's output ends on a shell error about a line
/// of the script (`bash: line 3: …`); as it was otherwise.
pub fn locate(
    session: &Session,
    step: &str,
    index: usize,
    outcome: ActionOutcome,
) -> ActionOutcome {
    let Some(action) = session.step(step).and_then(|(_, s)| s.actions.get(index)) else {
        return outcome;
    };
    let plain_exit = outcome.error.is_none()
        && outcome.failure.is_none()
        && !outcome.timed_out
        && !outcome.cancelled;
    let Some(code) = outcome.exit_code.filter(|_| plain_exit) else {
        return outcome;
    };
    if !matches!(action.kind, ActionKind::Shell { .. })
        || expected_exit_codes(action).contains(&code)
    {
        return outcome;
    }
    let Some(output) = session.state(step).map(|s| s.output_tail_text()) else {
        return outcome;
    };
    match with_runbook_line(session.runbook(), action, &output) {
        Some(message) => ActionOutcome {
            failure: Some(format!("exit {code}: {message}")),
            ..outcome
        },
        None => outcome,
    }
}
