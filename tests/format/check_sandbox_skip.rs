//! `{sandbox=skip reason=…}`: where `check` accepts it, what it refuses
//! (with the position and what to write), and what the model records.

use crate::diags::only;
use runsheet::runbook::{Runbook, parse};

fn runbook(src: &str) -> Runbook {
    let parsed = parse("rb.md", src);
    let errs: Vec<_> = parsed.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errs.is_empty(), "{errs:#?}");
    parsed.runbook
}

/// The reason each step is marked with, by title.
fn step_marks(rb: &Runbook) -> Vec<(String, Option<String>)> {
    rb.steps()
        .map(|(_, s)| {
            (
                s.title.clone(),
                s.sandbox_skip.as_ref().map(|m| m.reason.clone()),
            )
        })
        .collect()
}

#[test]
fn a_phase_marks_its_steps_and_a_step_its_own() {
    let src = "# Rb

## Cluster {sandbox=skip reason=\"no cluster in the sandbox\"}

### Nodes

```bash
kubectl get nodes
```

### Console {sandbox=skip reason=\"the web console is not there\"}

Open the console.

## Data

### Dump

```bash
echo dump
```

### Check {sandbox=skip reason='a browser is needed'}

- [ ] the page loads
";
    let rb = runbook(src);
    assert_eq!(
        step_marks(&rb),
        vec![
            ("Nodes".into(), Some("no cluster in the sandbox".into())),
            (
                "Console".into(),
                Some("the web console is not there".into())
            ),
            ("Dump".into(), None),
            ("Check".into(), Some("a browser is needed".into())),
        ]
    );
    // The mark points at the attribute that made it.
    let (_, nodes) = rb.steps().next().expect("a step");
    let at = nodes.sandbox_skip.as_ref().expect("marked").span;
    assert_eq!(&src[at.range()], "sandbox=skip");
}

#[test]
fn a_block_is_marked_alone_and_its_reason_is_no_override() {
    let src = "# Rb

## One

### Deploy

```bash
echo local
```

```bash {sandbox=skip reason=\"needs the CDN\" timeout=1m}
curl -X PURGE https://cdn.example.com/
```
";
    let parsed = parse("rb.md", src);
    // `reason` explains the mark here: no `reason-without-override`.
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let rb = parsed.runbook;
    let (_, step) = rb.steps().next().expect("a step");
    assert!(step.sandbox_skip.is_none());
    let marks: Vec<_> = step
        .actions
        .iter()
        .map(|a| a.sandbox_skip.as_ref().map(|m| m.reason.as_str()))
        .collect();
    assert_eq!(marks, vec![None, Some("needs the CDN")]);
    assert!(step.actions[1].destructive.overridden.is_none());
}

#[test]
fn a_skip_without_a_reason_says_what_to_write() {
    let src = "# Rb\n\n## One\n\n### Nodes {sandbox=skip}\n\n```bash\nkubectl get nodes\n```\n";
    let (d, line, pointed) = only(src, "skip-without-reason");
    assert_eq!((line, pointed.as_str()), (5, "sandbox=skip"));
    assert!(
        d.help.as_deref().is_some_and(|h| h.contains("reason=\"")),
        "{d:?}"
    );
    // The same on a block, and an empty reason is no reason.
    let src = "# Rb\n\n## One\n\n### Nodes\n\n```bash {sandbox=skip reason=\" \"}\nkubectl get nodes\n```\n";
    let (_, line, _) = only(src, "skip-without-reason");
    assert_eq!(line, 7);
    let rb = parse("rb.md", src).runbook;
    let (_, step) = rb.steps().next().expect("a step");
    assert!(step.actions[0].sandbox_skip.is_none());
}

#[test]
fn an_unknown_sandbox_setting_is_an_error() {
    for (attrs, pointed) in [
        ("{sandbox=run reason=x}", "sandbox=run"),
        ("{sandbox reason=x}", "sandbox"),
    ] {
        let src = format!("# Rb\n\n## One {attrs}\n\n### Nodes\n\n```bash\necho\n```\n");
        let (d, line, at) = only(&src, "bad-sandbox");
        assert_eq!((line, at.as_str()), (3, pointed));
        assert!(d.help.unwrap_or_default().contains("sandbox=skip"));
    }
    let src = "# Rb\n\n## One\n\n### Nodes\n\n```sql {sandbox=later reason=x}\nselect 1\n```\n";
    only(src, "bad-sandbox");
}

#[test]
fn a_reason_on_a_heading_without_a_skip_is_an_error() {
    let src = "# Rb\n\n## One\n\n### Nodes {reason=\"no cluster\"}\n\n```bash\necho\n```\n";
    let (d, line, pointed) = only(src, "reason-without-skip");
    assert_eq!((line, pointed.as_str()), (5, "reason"));
    assert!(d.help.unwrap_or_default().contains("sandbox=skip"));
}

#[test]
fn check_names_the_code_and_the_fix() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("rb.md");
    std::fs::write(
        &path,
        "# Rb\n\n## One\n\n### Nodes {sandbox=skip}\n\n```bash\nkubectl get nodes\n```\n",
    )
    .expect("write");
    let (code, out, err) = crate::check(&["check", path.to_str().expect("utf-8")]);
    let all = format!("{out}{err}");
    assert_ne!(code, 0, "{all}");
    assert!(all.contains("skip-without-reason"), "{all}");
    assert!(all.contains("add one: {sandbox=skip reason="), "{all}");
}

/// `check`'s outline says, step by step, what a drill will pass by and
/// where the blocks run, before anyone starts one.
#[test]
fn the_outline_names_what_a_drill_passes_by_and_where_blocks_run() {
    let src = "---
contexts:
  db:
    exec: [kubectl, exec, -i, -n, veylant, deploy/postgres, --]
---
# Rb

## Cluster {sandbox=skip reason=\"no cluster in the sandbox\"}

### Nodes

```bash
kubectl get nodes
```

## Data

### Dump

```bash {context=db}
pg_dump -U veylant veylant_db
```

```bash {sandbox=skip reason=\"opens a browser\"}
xdg-open https://example.invalid
```

### Plain

```bash
echo here
```
";
    let parsed = parse("rb.md", src);
    let o = runsheet::runbook::outline::outline(&parsed);
    let steps: Vec<_> = o.phases.iter().flat_map(|p| &p.steps).collect();
    assert_eq!(steps[0].not_rehearsable, vec!["no cluster in the sandbox"]);
    assert_eq!(steps[1].contexts, vec!["db"]);
    assert_eq!(
        steps[1].not_rehearsable,
        vec!["the block at line 24: opens a browser"]
    );
    assert!(steps[2].contexts.is_empty() && steps[2].not_rehearsable.is_empty());
    let text = runsheet::cli::check::render_text(&o, &parsed.diagnostics, false);
    assert!(
        text.contains("⊘ not rehearsable in the sandbox: no cluster in the sandbox"),
        "{text}"
    );
    assert!(text.contains("· runs in db"), "{text}");
}
