//! Steps' times in earlier sessions of the runbook, as the live session
//! had them: they are not journaled (they come from the other journals in
//! its directory), so a replay reads them again, leaving out sessions that
//! started later.

use std::collections::HashMap;
use std::path::Path;

use crate::history::{self, Ending, PastSession};
use crate::session::state::Rehearsed;
use crate::session::{Millis, Session, StepStatus};

/// What the session in `journal` had as rehearsals at `at`: the runbook's
/// other sessions started before then, and, after a resume, its own steps
/// done so far (`own`), as `runsheet resume` counts them.
pub fn before(
    journal: &Path,
    session: &Session,
    at: Millis,
    own: bool,
) -> HashMap<String, Rehearsed> {
    let Some(dir) = journal.parent() else {
        return HashMap::new();
    };
    let runbook = Path::new(&session.info().runbook_path);
    let mut past: Vec<PastSession> = history::sessions(dir, runbook, &session.runbook().title)
        .into_iter()
        .filter(|s| s.started_at < at && !same_file(&s.journal, journal))
        .collect();
    if own {
        past.push(PastSession {
            journal: journal.to_path_buf(),
            info: session.info().clone(),
            started_at: session.started_at(),
            last_at: session.last_at(),
            ending: Ending::Unfinished { undone: false },
            step_ms: session
                .steps()
                .iter()
                .filter(|(_, st)| st.status == StepStatus::Done && st.attempts > 0)
                .filter_map(|(id, st)| st.duration_ms().map(|d| (id.clone(), d)))
                .collect(),
        });
    }
    history::rehearsed(&past, session.info().sandbox)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
