//! Steps' times in earlier sessions of the runbook, as the live session
//! had them: they are not journaled (they come from the other journals in
//! its directory), so a replay reads them again, leaving out sessions that
//! started later and the session itself.

use std::collections::HashMap;
use std::path::Path;

use crate::history::{self, PastSession};
use crate::session::state::Rehearsed;
use crate::session::{Millis, Session};

/// What the session in `journal` had as rehearsals at `at`: the runbook's
/// other sessions started before then. Never its own steps: a start and a
/// resume expect the same (`runsheet resume` leaves them out too).
pub fn before(journal: &Path, session: &Session, at: Millis) -> HashMap<String, Rehearsed> {
    let Some(dir) = journal.parent() else {
        return HashMap::new();
    };
    let runbook = Path::new(&session.info().runbook_path);
    let past: Vec<PastSession> = history::sessions(dir, runbook, &session.runbook().title)
        .into_iter()
        .filter(|s| s.started_at < at && !history::same_file(&s.journal, journal))
        .collect();
    history::rehearsed(&past, session.info().sandbox)
}
