//! What changed between the runbook a session ran with and the file it
//! is resumed with, as the operator must read it before going on. A
//! *safety* change is one that changes what runs, where, or what guards
//! it: a target's settings, an action's text or attributes, the steps and
//! their order, a variable's secrecy or value. `--auto` never resumes over
//! one; prose, titles and checklist wording are listed as other changes.

use crate::runbook::duration::format_duration;
use crate::runbook::model::{Action, Phase, Runbook, Step, Target};
use serde_json::Value;

#[derive(Debug, Default)]
pub struct Changes {
    pub safety: Vec<String>,
    pub other: Vec<String>,
}

impl Changes {
    pub fn touches_safety(&self) -> bool {
        !self.safety.is_empty()
    }

    /// The summary shown on resume, one change a line.
    pub fn render(&self) -> String {
        let mut lines = Vec::new();
        if !self.safety.is_empty() {
            lines.push(
                "  safety changes (what runs, where, or what guards it; --auto does not resume over these):"
                    .to_string(),
            );
            lines.extend(self.safety.iter().map(|l| format!("    ! {l}")));
        }
        if !self.other.is_empty() {
            lines.push("  other changes:".to_string());
            lines.extend(self.other.iter().map(|l| format!("    ~ {l}")));
        }
        if lines.is_empty() {
            lines.push("  (only text outside the steps changed)".into());
        }
        lines.join("\n")
    }
}

pub fn describe(before: &Runbook, after: &Runbook) -> Changes {
    let mut c = Changes::default();
    targets(before, after, &mut c);
    variables(before, after, &mut c);
    steps(before, after, &mut c);
    c
}

fn targets(before: &Runbook, after: &Runbook, c: &mut Changes) {
    for old in &before.targets {
        let Some(new) = after.target(&old.name) else {
            c.safety.push(format!("target `{}` was removed", old.name));
            continue;
        };
        target(old, new, c);
    }
    for new in &after.targets {
        if before.target(&new.name).is_none() {
            c.safety.push(format!(
                "target `{}` was added ({})",
                new.name,
                if new.protected {
                    "protected"
                } else {
                    "not protected"
                }
            ));
        }
    }
}

fn target(old: &Target, new: &Target, c: &mut Changes) {
    let name = &old.name;
    if old.protected != new.protected {
        c.safety.push(format!(
            "target `{name}`: protected: {} → {}",
            old.protected, new.protected
        ));
    }
    for (what, a, b) in [
        ("countdown", old.countdown, new.countdown),
        ("timeout", old.timeout, new.timeout),
    ] {
        if a != b {
            c.safety.push(format!(
                "target `{name}`: {what}: {} → {}",
                format_duration(a),
                format_duration(b)
            ));
        }
    }
    if old.database != new.database {
        let show = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".into());
        c.safety.push(format!(
            "target `{name}`: database: {} → {}",
            show(&old.database),
            show(&new.database)
        ));
    }
    // Names only: a value may be a URL with a password in it.
    for (k, v) in &old.env {
        match new.env.iter().find(|(n, _)| n == k) {
            None => c
                .safety
                .push(format!("target `{name}`: env `{k}` was removed")),
            Some((_, nv)) if nv != v => {
                c.safety.push(format!("target `{name}`: env `{k}` changed"));
            }
            _ => {}
        }
    }
    for (k, _) in &new.env {
        if !old.env.iter().any(|(n, _)| n == k) {
            c.safety
                .push(format!("target `{name}`: env `{k}` was added"));
        }
    }
    if old.description != new.description {
        c.other
            .push(format!("target `{name}`: description changed"));
    }
}

fn variables(before: &Runbook, after: &Runbook, c: &mut Changes) {
    for old in &before.variables {
        let Some(new) = after.variables.iter().find(|v| v.name == old.name) else {
            // Its value is no longer asked for nor masked, though the
            // environment may still hand it to the commands.
            c.safety
                .push(format!("variable `{}` was removed", old.name));
            continue;
        };
        let name = &old.name;
        if old.secret != new.secret {
            c.safety.push(format!(
                "variable `{name}`: secret: {} → {}",
                old.secret, new.secret
            ));
        }
        if old.default != new.default {
            // Never the values: a default may be a secret's.
            c.safety
                .push(format!("variable `{name}`: its default changed"));
        }
        if old.description != new.description {
            c.other
                .push(format!("variable `{name}`: description changed"));
        }
    }
    for new in &after.variables {
        if !before.variables.iter().any(|v| v.name == new.name) {
            c.other.push(format!("variable `{}` was added", new.name));
        }
    }
}

fn steps(before: &Runbook, after: &Runbook, c: &mut Changes) {
    let old: Vec<(&Phase, &Step)> = before.steps().collect();
    let new: Vec<(&Phase, &Step)> = after.steps().collect();
    for (_, s) in &new {
        if !old.iter().any(|(_, o)| o.id == s.id) {
            c.safety.push(format!("step `{}` was added", s.id));
        }
    }
    for (_, s) in &old {
        if !new.iter().any(|(_, n)| n.id == s.id) {
            c.safety.push(format!("step `{}` was removed", s.id));
        }
    }
    let common = |list: &[(&Phase, &Step)], other: &[(&Phase, &Step)]| -> Vec<String> {
        list.iter()
            .filter(|(_, s)| other.iter().any(|(_, o)| o.id == s.id))
            .map(|(_, s)| s.id.clone())
            .collect()
    };
    let (old_order, new_order) = (common(&old, &new), common(&new, &old));
    if old_order != new_order {
        c.safety.push(format!(
            "the steps were reordered: {} → {}",
            old_order.join(", "),
            new_order.join(", ")
        ));
    }
    for (np, ns) in &new {
        if let Some((op, os)) = old.iter().find(|(_, o)| o.id == ns.id) {
            step(op, os, np, ns, c);
        }
    }
}

fn step(op: &Phase, os: &Step, np: &Phase, ns: &Step, c: &mut Changes) {
    let id = &ns.id;
    if op.rollback != np.rollback {
        c.safety.push(format!(
            "step `{id}` moved {} a rollback section",
            if np.rollback { "into" } else { "out of" }
        ));
    }
    if os.undoes != ns.undoes {
        c.safety
            .push(format!("step `{id}`: the phases it undoes changed"));
    }
    if os.actions.len() != ns.actions.len() {
        c.safety.push(format!(
            "step `{id}`: {} action(s) → {}",
            os.actions.len(),
            ns.actions.len()
        ));
    }
    for (i, (oa, na)) in os.actions.iter().zip(&ns.actions).enumerate() {
        action(id, i + 1, (op, os, oa), (np, ns, na), c);
    }
    if os.title != ns.title {
        c.other.push(format!("step `{id}`: title changed"));
    }
    let items = |s: &Step| {
        s.checklist
            .iter()
            .map(|i| i.text.clone())
            .collect::<Vec<_>>()
    };
    if items(os) != items(ns) {
        c.other.push(format!("step `{id}`: checklist changed"));
    }
    if os.estimate != ns.estimate {
        c.other.push(format!("step `{id}`: estimate changed"));
    }
    // The body holds the actions' text too: only prose is news here.
    let codes = |s: &Step| s.actions.iter().map(|a| a.code.clone()).collect::<Vec<_>>();
    if os.body != ns.body && codes(os) == codes(ns) {
        c.other.push(format!("step `{id}`: text changed"));
    }
}

/// The target an action runs on as written: its own, its step's, its
/// phase's; None is the session's.
fn written_target<'a>(p: &'a Phase, s: &'a Step, a: &'a Action) -> Option<&'a str> {
    a.target
        .as_deref()
        .or(s.target.as_deref())
        .or(p.target.as_deref())
}

fn action(
    id: &str,
    n: usize,
    (op, os, oa): (&Phase, &Step, &Action),
    (np, ns, na): (&Phase, &Step, &Action),
    c: &mut Changes,
) {
    if oa.code != na.code {
        c.safety
            .push(format!("step `{id}`: action {n}'s text changed"));
    }
    if oa.lang != na.lang {
        c.safety.push(format!(
            "step `{id}`: action {n} is now `{}` (was `{}`)",
            na.lang, oa.lang
        ));
    }
    let (ot, nt) = (written_target(op, os, oa), written_target(np, ns, na));
    if ot != nt {
        let show =
            |t: Option<&str>| t.map_or("the session's target".to_string(), |t| format!("`{t}`"));
        c.safety.push(format!(
            "step `{id}`: action {n} now runs on {} (was {})",
            show(nt),
            show(ot)
        ));
    }
    let (od, nd) = (
        oa.destructive.is_destructive(),
        na.destructive.is_destructive(),
    );
    if od != nd {
        c.safety.push(format!(
            "step `{id}`: action {n} is {}",
            if nd {
                "now destructive"
            } else {
                "no longer destructive"
            }
        ));
    } else if overrides(oa) != overrides(na) {
        c.safety.push(format!(
            "step `{id}`: action {n}'s destructive override changed"
        ));
    }
    // Every other attribute, however many the format grows: compared as
    // data, positions left out.
    let (oattrs, nattrs) = (attributes(oa), attributes(na));
    for key in changed_keys(&oattrs, &nattrs) {
        let (what, safety) = match key.as_str() {
            "name" | "estimate" => (key.as_str(), false),
            _ => (key.as_str(), true),
        };
        let line = format!("step `{id}`: action {n}'s {what} changed");
        if safety {
            c.safety.push(line);
        } else {
            c.other.push(line);
        }
    }
}

fn overrides(a: &Action) -> Option<(bool, Option<String>)> {
    a.destructive
        .overridden
        .as_ref()
        .map(|o| (o.destructive, o.reason.clone()))
}

/// An action's attributes and settings as data, without what is compared
/// on its own (text, target, destructive) nor source positions.
fn attributes(a: &Action) -> Value {
    let mut v = serde_json::to_value(a).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        for k in ["code", "lang", "target", "destructive", "span", "code_span"] {
            m.remove(k);
        }
        // The kind's own settings (`writes`, a comparison's tables …)
        // are named one by one.
        if let Some(Value::Object(kind)) = m.remove("kind") {
            for (k, v) in kind {
                m.insert(k, v);
            }
        }
    }
    strip_spans(&mut v);
    v
}

fn strip_spans(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("span");
            m.values_mut().for_each(strip_spans);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_spans),
        _ => {}
    }
}

fn changed_keys(a: &Value, b: &Value) -> Vec<String> {
    let (Value::Object(a), Value::Object(b)) = (a, b) else {
        return if a == b {
            Vec::new()
        } else {
            vec!["settings".into()]
        };
    };
    let mut keys: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::parse;

    const RB: &str = "---\ntargets:\n  production: { protected: true }\n---\n# T\n\n## P\n\n### A {#a}\n\n```sql\nSELECT 1;\n```\n";

    fn changes(edited: &str) -> Changes {
        describe(&parse("r.md", RB).runbook, &parse("r.md", edited).runbook)
    }

    #[test]
    fn a_kind_setting_is_a_safety_change() {
        let c = changes(&RB.replace("```sql\n", "```sql {writes}\n"));
        assert!(
            c.safety
                .iter()
                .any(|l| l.contains("action 1's writes changed")),
            "{c:?}"
        );
    }

    #[test]
    fn prose_is_not() {
        let c = changes(&RB.replace("## P\n", "## P\n\nSome words.\n"));
        assert!(!c.touches_safety(), "{c:?}");
    }

    #[test]
    fn the_same_runbook_moved_down_the_file_is_no_change() {
        let c = changes(&RB.replace("# T\n", "# T\n\n\n\n"));
        assert!(!c.touches_safety(), "{c:?}");
        assert!(c.other.is_empty(), "{c:?}");
    }
}
