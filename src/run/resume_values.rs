//! On resume, the variables' values against the ones the session used:
//! a release number typed differently the second time must not slip in
//! unseen. The journal's values also stand in for a variable the
//! resuming shell does not set, before its default and before asking.

use crate::session::display::MASK;
use std::collections::BTreeMap;

/// A non-secret variable whose value now is not the session's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    pub name: String,
    /// What the session used (masked as the journal keeps it).
    pub was: String,
    pub now: String,
}

/// What a resume does with the values it was given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compared {
    /// Values that differ from the session's: the operator must agree.
    pub changed: Vec<Changed>,
    /// Every value the session did not hold as it is now (the changed ones
    /// and those it never kept): journaled on the resume record.
    pub record: BTreeMap<String, String>,
}

/// `now`: the non-secret values resolved for this resume, masked as the
/// journal would keep them; `session`: the values the session holds.
pub fn compare(now: &BTreeMap<String, String>, session: &BTreeMap<String, String>) -> Compared {
    let mut out = Compared::default();
    for (name, value) in now {
        match session.get(name) {
            Some(was) if was == value => {}
            Some(was) => {
                out.changed.push(Changed {
                    name: name.clone(),
                    was: was.clone(),
                    now: value.clone(),
                });
                out.record.insert(name.clone(), value.clone());
            }
            // Kept by no earlier record (an older journal, a variable the
            // runbook gained): nothing to compare it with.
            None => {
                out.record.insert(name.clone(), value.clone());
            }
        }
    }
    out
}

/// The session's value for `name`, when it can stand in for one the
/// environment does not give: never one the journal holds masked.
pub fn from_journal(session: &BTreeMap<String, String>, name: &str) -> Option<String> {
    session.get(name).filter(|v| !v.contains(MASK)).cloned()
}

/// The changes, one a line: `  RELEASE: 2.4.1 → 2.4.2`.
pub fn describe(changed: &[Changed]) -> String {
    changed
        .iter()
        .map(|c| format!("  {}: {} → {}", c.name, c.was, c.now))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Why `--auto` does not resume with changed values, and what to do.
pub fn refused_under_auto(changed: &[Changed]) -> String {
    let exports: Vec<String> = changed
        .iter()
        .map(|c| format!("export {}={}", c.name, shell_quote(&c.was)))
        .collect();
    format!(
        "not resumed: {} this session used (listed above), and --auto does not change a session's values. Set {} back ({}) and resume again, or resume without --auto to confirm the new value{}",
        if changed.len() == 1 {
            "a variable's value differs from the one"
        } else {
            "variables' values differ from the ones"
        },
        if changed.len() == 1 { "it" } else { "them" },
        exports.join("; "),
        if changed.len() == 1 { "" } else { "s" }
    )
}

fn shell_quote(v: &str) -> String {
    if !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/:@%+=,".contains(&b))
    {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_different_value_is_a_change_a_new_one_is_only_recorded() {
        let c = compare(
            &map(&[("RELEASE", "2.4.2"), ("CLIENT", "A"), ("NEW", "x")]),
            &map(&[("RELEASE", "2.4.1"), ("CLIENT", "A")]),
        );
        assert_eq!(
            c.changed,
            vec![Changed {
                name: "RELEASE".into(),
                was: "2.4.1".into(),
                now: "2.4.2".into()
            }]
        );
        assert_eq!(c.record, map(&[("RELEASE", "2.4.2"), ("NEW", "x")]));
        assert_eq!(describe(&c.changed), "  RELEASE: 2.4.1 → 2.4.2");
        let why = refused_under_auto(&c.changed);
        assert!(why.contains("export RELEASE=2.4.1"), "{why}");
    }

    #[test]
    fn a_masked_value_never_stands_in() {
        let s = map(&[("URL", "https://u:***@h"), ("RELEASE", "2.4.1")]);
        assert_eq!(from_journal(&s, "URL"), None);
        assert_eq!(from_journal(&s, "RELEASE").as_deref(), Some("2.4.1"));
    }
}
