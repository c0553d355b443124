//! Which runbook a sandbox was started for. A sandbox seeded from one
//! runbook's dataset is no rehearsal of another: `run --sandbox` compares
//! the runbook it is given with the one recorded here, and a changed
//! `sandbox:` section counts as another runbook (its dataset, its
//! variables may differ).

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::runbook::model::Sandbox;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct RunbookIdentity {
    /// The runbook's canonical path (as given when it cannot be resolved).
    pub path: String,
    pub title: String,
    /// SHA-256 of the runbook's `sandbox:` section, as parsed.
    pub sandbox_hash: String,
    /// The dataset the sandbox was seeded from, for the messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
}

impl RunbookIdentity {
    pub fn of(path: &Path, title: &str, spec: &Sandbox) -> RunbookIdentity {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        // The parsed section, not its text: a reindented or recommented
        // section is the same rehearsal.
        let serialized = serde_json::to_string(spec).unwrap_or_default();
        RunbookIdentity {
            path: canonical.to_string_lossy().into_owned(),
            title: title.to_string(),
            sandbox_hash: hex::encode(Sha256::digest(serialized.as_bytes())),
            dataset: spec.dataset.clone(),
        }
    }

    /// "«title» (path, dataset …)", for the messages.
    pub fn describe(&self) -> String {
        let dataset = self
            .dataset
            .as_deref()
            .map(|d| format!(", dataset {d}"))
            .unwrap_or_default();
        format!("«{}» ({}{dataset})", self.title, self.path)
    }
}

/// Why a running sandbox cannot serve a session of `wanted`; None when it
/// can (the same runbook and sandbox section, or a sandbox started from
/// flags only, which serves any runbook as before).
pub fn mismatch(running: Option<&RunbookIdentity>, wanted: &RunbookIdentity) -> Option<String> {
    let running = running?;
    if running == wanted {
        return None;
    }
    if running.path == wanted.path {
        return Some(format!(
            "the sandbox running was started for {}, whose `sandbox:` section has changed since; this session needs it as it is now",
            running.describe()
        ));
    }
    Some(format!(
        "the sandbox running was started for {}; this session needs {}",
        running.describe(),
        wanted.describe()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(path: &str, hash: &str) -> RunbookIdentity {
        RunbookIdentity {
            path: path.into(),
            title: "T".into(),
            sandbox_hash: hash.into(),
            dataset: Some("d.sql".into()),
        }
    }

    #[test]
    fn a_sandbox_started_from_flags_serves_any_runbook() {
        assert_eq!(mismatch(None, &id("/a.md", "1")), None);
    }

    #[test]
    fn the_same_runbook_and_section_is_served() {
        assert_eq!(mismatch(Some(&id("/a.md", "1")), &id("/a.md", "1")), None);
    }

    #[test]
    fn another_runbook_is_named_with_both() {
        let why = mismatch(Some(&id("/a.md", "1")), &id("/b.md", "1")).unwrap_or_default();
        assert!(why.contains("/a.md") && why.contains("/b.md"), "{why}");
        assert!(why.contains("dataset d.sql"), "{why}");
    }

    #[test]
    fn a_changed_sandbox_section_is_another_rehearsal() {
        let why = mismatch(Some(&id("/a.md", "1")), &id("/a.md", "2")).unwrap_or_default();
        assert!(why.contains("changed"), "{why}");
    }

    #[test]
    fn the_hash_follows_the_section() {
        let a = Sandbox::default();
        let b = Sandbox {
            dataset: Some("x.sql".into()),
            ..Sandbox::default()
        };
        let p = Path::new("/nowhere/r.md");
        assert_eq!(
            RunbookIdentity::of(p, "T", &a),
            RunbookIdentity::of(p, "T", &a)
        );
        assert_ne!(
            RunbookIdentity::of(p, "T", &a).sandbox_hash,
            RunbookIdentity::of(p, "T", &b).sandbox_hash
        );
    }
}
