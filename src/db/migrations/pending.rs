//! Which migration files are pending: the files compared with what the
//! migrations table records as applied.

use serde::Serialize;

use super::{Applied, MigrationFile, Semantics, VersionKey};

/// The files not yet applied, and what else the table says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pending {
    /// Not applied, in version order (failed ones included: they must run
    /// again).
    pub files: Vec<MigrationFile>,
    /// Versions recorded in the table with no file: migrations deleted or
    /// squashed, or code older than the database.
    pub applied_unknown: Vec<String>,
    /// golang-migrate's dirty flag, or failed rows (sqlx, Flyway).
    pub dirty: bool,
    /// The versions that are dirty or failed.
    pub failed: Vec<String>,
    pub semantics: Semantics,
    /// How many versions the table records as applied (Latest: 0 or 1).
    pub applied_count: usize,
    /// The newest applied version (Latest: the recorded one).
    pub newest_applied: Option<String>,
    /// The newest version among all the files scanned, pending or not.
    pub newest_file: Option<String>,
}

impl Pending {
    pub fn destructive(&self) -> impl Iterator<Item = &MigrationFile> {
        self.files.iter().filter(|f| !f.destructive.is_empty())
    }
}

/// Compares the files with the table. Set: a file is pending unless its
/// version is recorded (or at or below a Flyway baseline). Latest: a file
/// is pending if its version is above the recorded one.
pub fn pending(files: Vec<MigrationFile>, applied: &Applied) -> Pending {
    let file_keys: Vec<Option<VersionKey>> = files
        .iter()
        .map(|f| VersionKey::parse(&f.version))
        .collect();
    let applied_keys: Vec<Option<VersionKey>> = applied
        .versions
        .iter()
        .map(|v| VersionKey::parse(v))
        .collect();
    let to_run = match applied.semantics {
        Semantics::Set => {
            let baseline = applied.baseline.as_deref().and_then(VersionKey::parse);
            not_recorded(&file_keys, &applied_keys, baseline.as_ref())
        }
        Semantics::Latest { .. } => above_current(&file_keys, applied_keys.last()),
    };
    let applied_unknown = applied
        .versions
        .iter()
        .zip(&applied_keys)
        .filter(|(_, k)| k.is_none() || !file_keys.contains(k))
        .map(|(v, _)| v.clone())
        .collect();
    let latest_dirty = matches!(applied.semantics, Semantics::Latest { dirty: true });
    let failed = if latest_dirty {
        applied.versions.clone()
    } else {
        applied.failed.clone()
    };
    Pending {
        newest_file: newest(files.iter().map(|f| &f.version).zip(&file_keys)),
        newest_applied: newest(applied.versions.iter().zip(&applied_keys)),
        files: files
            .into_iter()
            .zip(to_run)
            .filter_map(|(f, run)| run.then_some(f))
            .collect(),
        applied_unknown,
        dirty: latest_dirty || !failed.is_empty(),
        failed,
        semantics: applied.semantics,
        applied_count: applied.versions.len(),
    }
}

/// Set semantics: not recorded, and above the baseline if there is one.
/// A file whose version cannot be compared runs: assuming so is the safe side.
fn not_recorded(
    files: &[Option<VersionKey>],
    applied: &[Option<VersionKey>],
    baseline: Option<&VersionKey>,
) -> Vec<bool> {
    files
        .iter()
        .map(|k| match k {
            Some(k) => !applied.contains(&Some(k.clone())) && baseline.is_none_or(|b| k > b),
            None => true,
        })
        .collect()
}

/// Latest semantics: above the recorded version; everything when the
/// table is empty (or its version cannot be compared).
fn above_current(files: &[Option<VersionKey>], current: Option<&Option<VersionKey>>) -> Vec<bool> {
    files
        .iter()
        .map(|k| match (k, current) {
            (Some(k), Some(Some(current))) => k > current,
            _ => true,
        })
        .collect()
}

fn newest<'a>(
    versions: impl Iterator<Item = (&'a String, &'a Option<VersionKey>)>,
) -> Option<String> {
    versions
        .filter_map(|(v, k)| Some((k.as_ref()?, v)))
        .max_by(|a, b| a.0.cmp(b.0))
        .map(|(_, v)| v.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::migrations::Reason;
    use crate::db::migrations::tests::{file, latest, set, versions};

    #[test]
    fn pending_with_set_semantics() {
        let files = vec![
            file("1", "a"),
            file("2", "b"),
            file("3", "c"),
            file("10", "d"),
        ];
        let p = pending(files, &set(&["1", "3", "11", "weird"]));
        assert_eq!(versions(&p.files), ["2", "10"]);
        assert_eq!(p.applied_unknown, ["11", "weird"]);
        assert_eq!(p.newest_applied.as_deref(), Some("11"));
        assert_eq!(p.newest_file.as_deref(), Some("10"));
        assert_eq!(p.applied_count, 4);
        assert!(!p.dirty);
    }

    #[test]
    fn pending_matches_versions_numerically() {
        let files = vec![file("000001", "a"), file("000002", "b")];
        let p = pending(files, &set(&["1"]));
        assert_eq!(versions(&p.files), ["000002"]);
        assert!(p.applied_unknown.is_empty());
    }

    #[test]
    fn pending_honours_flyway_baseline_and_failures() {
        let files = vec![
            file("1", "a"),
            file("1.5", "b"),
            file("2", "c"),
            file("3", "d"),
        ];
        let mut applied = set(&["3"]);
        applied.baseline = Some("1.5".into());
        applied.failed = vec!["2".into()];
        let p = pending(files, &applied);
        assert_eq!(versions(&p.files), ["2"]);
        assert!(p.dirty);
        assert_eq!(p.failed, ["2"]);
    }

    #[test]
    fn pending_with_latest_semantics() {
        let files = vec![
            file("000001", "a"),
            file("000002", "b"),
            file("000003", "c"),
        ];
        let p = pending(files.clone(), &latest(Some("2"), false));
        assert_eq!(versions(&p.files), ["000003"]);
        assert!(p.applied_unknown.is_empty());
        assert!(!p.dirty);

        let p = pending(files.clone(), &latest(None, false));
        assert_eq!(p.files.len(), 3);

        let p = pending(files.clone(), &latest(Some("2"), true));
        assert!(p.dirty);
        assert_eq!(p.failed, ["2"]);
        assert_eq!(versions(&p.files), ["000003"]);

        let p = pending(files, &latest(Some("7"), false));
        assert!(p.files.is_empty());
        assert_eq!(p.applied_unknown, ["7"]);
    }

    #[test]
    fn destructive_iterator_filters() {
        let mut b = file("2", "b");
        b.destructive.push(Reason {
            rule: "sql-drop".into(),
            excerpt: "DROP TABLE x".into(),
            line: Some(1),
        });
        let p = pending(vec![file("1", "a"), b], &set(&[]));
        let d: Vec<&str> = p.destructive().map(|f| f.version.as_str()).collect();
        assert_eq!(d, ["2"]);
    }
}
