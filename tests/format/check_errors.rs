//! Every diagnostic `runsheet check` can give: its severity, its position,
//! the text it points at, and what it says would be accepted.

use runsheet::runbook::span::LineIndex;
use runsheet::runbook::{Diagnostic, Severity, parse};

struct Found {
    d: Diagnostic,
    line: usize,
    column: usize,
    pointed: String,
}

/// The one diagnostic with `code` in `src`; fails if there is none or several.
fn only(src: &str, code: &str) -> Found {
    let parsed = parse("rb.md", src);
    let matching: Vec<&Diagnostic> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "expected one `{code}`, got {:#?}",
        parsed.diagnostics
    );
    let d = matching[0].clone();
    let idx = LineIndex::new(src);
    let pos = idx.position(src, d.span.start);
    Found {
        pointed: src[d.span.range()].to_string(),
        line: pos.line,
        column: pos.column,
        d,
    }
}

fn codes(src: &str) -> Vec<&'static str> {
    parse("rb.md", src)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

const HEAD: &str = "# Runbook\n\n## Phase 1\n\n### Step\n\n";

#[test]
fn a_mistyped_timeout_says_which_durations_are_accepted() {
    let src = format!("{HEAD}```bash {{timeout=10 mn}}\necho\n```\n");
    let f = only(&src, "bad-duration");
    assert_eq!(f.d.severity, Severity::Error);
    assert_eq!(f.pointed, "10 mn");
    assert_eq!((f.line, f.column), (7, 18));
    assert_eq!(
        f.d.help.as_deref(),
        Some("expected a duration like 90s, 10m, 1h30m")
    );
    // One mistake, one error: `mn` is not reported as an attribute of its own.
    assert_eq!(codes(&src), vec!["bad-duration"]);
}

#[test]
fn json_style_attributes_are_checked_the_same_way() {
    let src = format!("{HEAD}```bash {{\"timeout\":\"10 minutes\"}}\necho\n```\n");
    let f = only(&src, "bad-duration");
    assert_eq!(f.pointed, "10 minutes");
}

#[test]
fn a_bad_estimate_on_a_heading() {
    let src = "# R\n\n## P\n\n### S {estimate=soon}\n\n- [ ] a\n";
    let f = only(src, "bad-duration");
    assert_eq!(f.pointed, "soon");
    assert!(f.d.help.unwrap_or_default().contains("20m-40m"));
}

#[test]
fn an_unknown_attribute_suggests_the_close_one() {
    let src = format!("{HEAD}```bash {{timout=10m}}\necho\n```\n");
    let f = only(&src, "unknown-attribute");
    assert_eq!(f.pointed, "timout");
    assert!(f.d.message.contains("`timout`"));
    let help = f.d.help.unwrap_or_default();
    assert!(help.starts_with("did you mean `timeout`?"), "{help}");
    assert!(
        help.contains("cwd"),
        "lists what a bash block takes: {help}"
    );
}

#[test]
fn an_attribute_of_another_kind_names_the_kind() {
    let src = format!("{HEAD}```bash {{writes}}\necho\n```\n");
    let f = only(&src, "unknown-attribute");
    assert!(
        f.d.help
            .unwrap_or_default()
            .contains("applies to sql blocks")
    );
}

#[test]
fn a_runme_attribute_is_only_a_warning() {
    let src = format!("{HEAD}```bash {{background=true}}\necho\n```\n");
    let f = only(&src, "ignored-attribute");
    assert_eq!(f.d.severity, Severity::Warning);
}

#[test]
fn an_unknown_target_lists_the_known_ones() {
    let src = format!("{HEAD}```bash {{target=prodution}}\necho\n```\n");
    let f = only(&src, "unknown-target");
    assert_eq!(f.pointed, "prodution");
    let help = f.d.help.unwrap_or_default();
    assert!(help.starts_with("did you mean `production`?"), "{help}");
    assert!(help.contains("staging, production"), "{help}");
}

#[test]
fn targets_declared_in_front_matter_replace_the_built_in_ones() {
    let src =
        "---\ntargets:\n  preprod: {}\n---\n# R\n\n## P\n\n### S {target=staging}\n\n- [ ] a\n";
    let f = only(src, "unknown-target");
    assert!(f.d.help.unwrap_or_default().contains("preprod"));
}

#[test]
fn clearing_a_destructive_step_needs_a_reason() {
    let src = format!("{HEAD}```sql {{writes destructive=false}}\nDROP TABLE scratch;\n```\n");
    let f = only(&src, "override-without-reason");
    assert_eq!(f.pointed, "destructive=false");
    assert!(f.d.help.unwrap_or_default().contains("reason=\""));
    let ok = format!(
        "{HEAD}```sql {{writes destructive=false reason=\"scratch table from step 1\"}}\nDROP TABLE scratch;\n```\n"
    );
    assert!(codes(&ok).is_empty(), "{:?}", codes(&ok));
}

#[test]
fn an_empty_phase_is_a_warning() {
    let src = "# R\n\n## Nothing here\n\n## P\n\n### S\n\n- [ ] a\n";
    let f = only(src, "empty-phase");
    assert_eq!(f.d.severity, Severity::Warning);
    assert_eq!((f.line, f.column), (3, 1));
}

#[test]
fn duplicate_explicit_step_ids_are_an_error() {
    let src = "# R\n\n## P\n\n### A {#same}\n\n- [ ] a\n\n### B {#same}\n\n- [ ] b\n";
    let f = only(src, "duplicate-id");
    assert_eq!(f.line, 9);
    assert!(f.d.message.contains("`same`"));
}

#[test]
fn steps_with_the_same_title_in_two_phases_get_distinct_ids() {
    let src = "# R\n\n## One\n\n### Backup\n\n- [ ] a\n\n## Two\n\n### Backup\n\n- [ ] b\n";
    let parsed = parse("rb.md", src);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let ids: Vec<&str> = parsed.runbook.steps().map(|(_, s)| s.id.as_str()).collect();
    assert_eq!(ids, vec!["backup", "two.backup"]);
}

#[test]
fn an_unknown_front_matter_field_suggests_the_right_one() {
    let src = "---\ntargets:\n  production:\n    protect: true\n---\n# R\n\n## P\n\n- [ ] a\n";
    let f = only(src, "bad-front-matter");
    assert_eq!(f.line, 4, "points into the YAML: {}", f.d.message);
    assert!(f.d.message.contains("protect"), "{}", f.d.message);
    assert!(
        f.d.help
            .unwrap_or_default()
            .contains("did you mean `protected`?"),
        "{:?}",
        f.d.message
    );
}

#[test]
fn a_bad_duration_in_front_matter() {
    let src = "---\ntargets:\n  staging:\n    timeout: 5 minutes\n---\n# R\n\n## P\n\n- [ ] a\n";
    let f = only(src, "bad-duration");
    assert_eq!(f.pointed, "5 minutes");
    assert_eq!(f.line, 4);
}

#[test]
fn an_unclosed_front_matter() {
    let src = "---\ntargets: {}\n# R\n";
    let f = only(src, "bad-front-matter");
    assert!(f.d.message.contains("not closed"));
}

#[test]
fn unclosed_attributes() {
    let src = "# R\n\n## P\n\n### S {target=\"staging}\n\n- [ ] a\n";
    let f = only(src, "bad-attributes");
    assert!(f.d.message.contains("not closed"), "{}", f.d.message);
}

#[test]
fn a_step_before_any_phase() {
    let src = "# R\n\n### Lost step\n\n- [ ] a\n";
    let f = only(src, "step-outside-phase");
    assert_eq!(f.line, 3);
    assert!(f.d.help.unwrap_or_default().contains("## Phase"));
}

#[test]
fn an_action_before_any_phase_would_never_run() {
    let src = "# R\n\n```bash\nrm -rf /tmp/x\n```\n\n## P\n\n- [ ] a\n";
    let f = only(src, "outside-phase");
    assert_eq!(f.line, 3);
    assert!(f.d.help.unwrap_or_default().contains("```text"));
}

#[test]
fn a_runbook_without_a_title() {
    let src = "## P\n\n- [ ] a\n";
    let f = only(src, "no-title");
    // The fix names the line to add (check_estimates applies it).
    assert_eq!(
        f.d.help.as_deref(),
        Some("add the line `# P` above line 1 to title the runbook")
    );
}

#[test]
fn a_second_title_is_a_warning() {
    let src = "# R\n\n## P\n\n- [ ] a\n\n# Again\n";
    assert_eq!(only(src, "extra-title").d.severity, Severity::Warning);
}

#[test]
fn a_rollback_for_an_unknown_phase() {
    let src = "# R\n\n## Import {#import}\n\n- [ ] a\n\n## Rollback\n\n### Undo {undoes=imprt}\n\n- [ ] b\n";
    let f = only(src, "unknown-phase");
    assert!(
        f.d.help
            .unwrap_or_default()
            .contains("did you mean `import`?")
    );
}

#[test]
fn a_rollback_linked_to_nothing_is_a_warning() {
    let src = "# R\n\n## Import\n\n- [ ] a\n\n## Rollback\n\n### Undo\n\n- [ ] b\n";
    let f = only(src, "rollback-unlinked");
    assert_eq!(f.d.severity, Severity::Warning);
    assert!(f.d.help.unwrap_or_default().contains("import"));
}

#[test]
fn a_rollback_named_after_its_phase_is_linked() {
    let src = "# R\n\n## Phase 2 — Import\n\n- [ ] a\n\n## Rollback\n\n### Rollback Phase 2 (avant cutover)\n\n- [ ] b\n";
    let parsed = parse("rb.md", src);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let undo: Vec<_> = parsed.runbook.rollbacks_for("phase-2-import").collect();
    assert_eq!(undo.len(), 1);
    assert!(undo[0].undoes_inferred);
}

#[test]
fn an_undeclared_variable_is_a_warning_pointing_at_it() {
    let src = format!("{HEAD}```bash\npsql \"$PROD_DB_URL\" -c 'select 1'\n```\n");
    let f = only(&src, "undeclared-variable");
    assert_eq!(f.pointed, "PROD_DB_URL");
    assert!(f.d.help.unwrap_or_default().contains("secret: true"));
}

#[test]
fn variables_assigned_in_the_block_or_common_are_not_reported() {
    let src = format!(
        "{HEAD}```bash\nCOUNT=$(wc -l < x)\nuser=$(id -un)\necho \"$COUNT $HOME $user $RUNSHEET_TARGET\"\n```\n"
    );
    assert!(codes(&src).is_empty(), "{:?}", codes(&src));
}

/// Lower-case names count too (issue 16): one set nowhere expands to
/// nothing at run time.
#[test]
fn a_lower_case_name_set_nowhere_is_reported() {
    let src = format!("{HEAD}```bash\necho \"$HOME $user\"\n```\n");
    let f = only(&src, "undeclared-variable");
    assert_eq!(f.pointed, "user");
}

#[test]
fn an_unused_variable_is_a_warning() {
    let src = "---\nvariables:\n  NEVER_USED: { secret: true }\n---\n# R\n\n## P\n\n- [ ] a\n";
    let f = only(src, "unused-variable");
    assert_eq!(f.pointed, "NEVER_USED");
}

#[test]
fn a_bad_expectation_says_what_each_kind_expects() {
    let shell = format!("{HEAD}```bash {{expect=ok}}\necho\n```\n");
    assert!(
        only(&shell, "bad-expect")
            .d
            .help
            .unwrap_or_default()
            .contains("expect=0,1")
    );
    let sql = format!("{HEAD}```sql {{expect=many}}\nselect 1\n```\n");
    assert!(
        only(&sql, "bad-expect")
            .d
            .help
            .unwrap_or_default()
            .contains("rows>0")
    );
    let cmp = format!("{HEAD}```compare {{expect=same}}\nusers\n```\n");
    assert!(
        only(&cmp, "bad-expect")
            .d
            .help
            .unwrap_or_default()
            .contains("equal, differ")
    );
}

#[test]
fn a_batch_without_its_bounds() {
    let src = format!(
        "{HEAD}```sql {{writes batch=old_users.id}}\nINSERT INTO users SELECT * FROM old_users;\n```\n"
    );
    let f = only(&src, "bad-batch");
    assert!(f.d.message.contains("$1 and $2"));
}

#[test]
fn a_migrations_block_needs_its_folder() {
    let src = format!("{HEAD}```migrations\n```\n");
    let f = only(&src, "bad-migrations");
    assert!(f.d.help.unwrap_or_default().contains("dir=db/migrate"));
}

#[test]
fn a_comparison_of_a_target_with_itself() {
    let src = format!("{HEAD}```compare {{left=production right=production}}\nusers\n```\n");
    let f = only(&src, "same-target");
    assert_eq!(f.pointed, "production");
}

#[test]
fn only_shell_blocks_can_be_interactive() {
    let src = format!("{HEAD}```sql {{interactive}}\nselect 1\n```\n");
    only(&src, "bad-interactive");
}

#[test]
fn attributes_on_a_block_that_is_not_run_are_a_warning() {
    let src = format!("{HEAD}```python {{timeout=5m}}\nprint(1)\n```\n");
    let f = only(&src, "not-an-action");
    assert_eq!(f.d.severity, Severity::Warning);
    assert!(f.d.help.unwrap_or_default().contains("bash"));
}

#[test]
fn body_errors_of_http_s3_and_compare_blocks_are_positioned() {
    let http = format!("{HEAD}```http\nGET https://x/health\n\nHTTP 200\n.status = \"ok\"\n```\n");
    let f = only(&http, "bad-http");
    assert_eq!(f.line, 11);
    let s3 = format!("{HEAD}```s3\nuplaod ./a s3://b/k\n```\n");
    let f = only(&s3, "bad-s3");
    assert_eq!(f.pointed, "uplaod");
    assert!(f.d.help.unwrap_or_default().contains("upload"));
    let cmp = format!("{HEAD}```compare\nSELECT count(*) FROM users;\n```\n");
    let f = only(&cmp, "bad-compare");
    assert_eq!(f.line, 8);
}

#[test]
fn every_error_is_listed_not_just_the_first() {
    let src =
        "# R\n\n## P\n\n### S {estimate=soon}\n\n```bash {timeout=never target=moon}\necho\n```\n";
    let c = codes(src);
    assert_eq!(c, vec!["bad-duration", "bad-duration", "unknown-target"]);
}

#[test]
fn rendered_errors_quote_the_line_with_its_position() {
    let src = format!("{HEAD}```bash {{timeout=10 mn}}\necho\n```\n");
    let parsed = parse("runbook.md", &src);
    let rendered = parsed.diagnostics[0].render("runbook.md", &src, false);
    insta::assert_snapshot!(rendered);
}

#[test]
fn a_flag_with_a_value_that_is_not_a_boolean() {
    let src = format!("{HEAD}```bash {{interactive=maybe}}\npsql\n```\n");
    let f = only(&src, "bad-attribute-value");
    assert_eq!(f.pointed, "maybe");
    assert!(f.d.help.unwrap_or_default().contains("interactive=false"));
}

#[test]
fn a_reason_without_an_override_is_a_warning() {
    let src = format!("{HEAD}```bash {{reason=\"why not\"}}\necho\n```\n");
    assert_eq!(
        only(&src, "reason-without-override").d.severity,
        Severity::Warning
    );
}

#[test]
fn undoes_outside_a_rollback_section_is_a_warning() {
    let src = "# R\n\n## P {#p}\n\n### S {undoes=p}\n\n- [ ] a\n";
    assert_eq!(
        only(src, "undoes-outside-rollback").d.severity,
        Severity::Warning
    );
}

#[test]
fn two_phases_with_the_same_id() {
    let src = "# R\n\n## One {#same}\n\n- [ ] a\n\n## Two {#same}\n\n- [ ] b\n";
    let f = only(src, "duplicate-id");
    assert!(f.d.message.contains("two phases"), "{}", f.d.message);
    assert_eq!(f.line, 7);
}

#[test]
fn an_unsupported_hurl_section_is_a_warning() {
    let src = format!(
        "{HEAD}```http\nGET https://x/health\n\nHTTP 200\n[Captures]\ntoken: jsonpath \"$.t\"\n```\n"
    );
    let f = only(&src, "unsupported-http");
    assert_eq!(f.d.severity, Severity::Warning);
    assert_eq!(f.pointed, "[Captures]");
}

#[test]
fn a_table_compared_twice_is_a_warning() {
    let src = format!("{HEAD}```compare\nusers\nusers\n```\n");
    let f = only(&src, "duplicate-table");
    assert_eq!(f.d.severity, Severity::Warning);
    assert_eq!(f.line, 9);
}

#[test]
fn a_runbook_without_phases_has_nothing_to_follow() {
    let src = "# Notes\n\nJust prose, no phase.\n";
    let f = only(src, "no-phases");
    assert_eq!(f.line, 1);
    assert!(f.d.help.unwrap_or_default().contains("## Phase"));
}

use crate::support::workdir;

/// A runbook saved by an editor that writes a UTF-8 byte order mark.
const BOM_RUNBOOK: &str = "\u{feff}---\ntargets:\n  live:\n    protected: true\n---\n# Wipe\n\n## Phase\n\n### Wipe {#wipe}\n\n```bash {target=live}\nrm -rf \"$WORK/victim\"\ntouch \"$WORK/wiped\"\n```\n";

#[test]
fn a_byte_order_mark_does_not_hide_the_front_matter() {
    let parsed = parse("rb.md", BOM_RUNBOOK);
    assert!(
        parsed
            .runbook
            .targets
            .iter()
            .any(|t| t.name == "live" && t.protected),
        "{:?}",
        parsed
            .runbook
            .targets
            .iter()
            .map(|t| &t.name)
            .collect::<Vec<_>>()
    );
    assert_eq!(parsed.runbook.title, "Wipe");
    assert!(!parsed.has_errors(), "{:#?}", parsed.diagnostics);
}

#[test]
fn spans_after_a_byte_order_mark_are_byte_offsets_into_the_file() {
    let src = "\u{feff}---\ntargets:\n  live:\n    protectd: true\n---\n# R\n\n## P\n\n- [ ] a\n";
    let f = only(src, "bad-front-matter");
    assert_eq!(f.pointed, "protectd");
    assert_eq!(f.line, 4);
    let unclosed = only("\u{feff}---\ntargets: {}\n# R\n", "bad-front-matter");
    assert_eq!(unclosed.pointed, "---");
}

#[test]
fn check_and_run_read_the_front_matter_behind_a_byte_order_mark() {
    let w = workdir::Workdir::new();
    let rb = w.write("bom.md", BOM_RUNBOOK);
    let check = w.run(&["check", &rb.to_string_lossy(), "--format", "json"], "");
    let out = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{out}");
    assert!(out.contains("\"live\""), "{out}");
    // The protected target declared behind the mark gates its step.
    let run = w.auto(&rb, "live");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(3),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("type the target's name"), "{stdout}");
    assert!(!w.path().join("wiped").exists());
}

#[test]
fn a_block_found_interactive_by_rule_is_reported_with_its_command() {
    let src = format!("{HEAD}```bash\necho start\nsudo -u postgres psql -d app\n```\n");
    let f = only(&src, "interactive-command");
    assert_eq!(f.d.severity, Severity::Warning);
    assert_eq!(f.pointed, "sudo -u postgres psql -d app");
    assert_eq!(f.line, 9);
    assert!(
        f.d.message.contains("`psql` opens a prompt"),
        "{}",
        f.d.message
    );
    let help = f.d.help.unwrap_or_default();
    assert!(
        help.contains("`interactive`") && help.contains("interactive=false"),
        "{help}"
    );
    let parsed = parse("rb.md", &src);
    let a = &parsed.runbook.phases[0].steps[0].actions[0];
    assert!(a.interactive, "the block gets the terminal");
    // Said explicitly, either way: no warning, and the mark wins.
    for (mark, interactive) in [("interactive", true), ("interactive=false", false)] {
        let src = format!("{HEAD}```bash {{{mark}}}\nvim /etc/hosts\n```\n");
        assert!(!codes(&src).contains(&"interactive-command"), "{mark}");
        let parsed = parse("rb.md", &src);
        assert_eq!(
            parsed.runbook.phases[0].steps[0].actions[0].interactive, interactive,
            "{mark}"
        );
    }
    // What is fed its input, or given its command, is not interactive.
    let src =
        format!("{HEAD}```bash\npsql -c 'select 1'\necho y | read ok\nssh web1 uptime\n```\n");
    assert!(!codes(&src).contains(&"interactive-command"));
}

#[test]
fn a_command_that_never_ends_is_a_warning_unless_bounded() {
    let src = format!("{HEAD}```bash\ntail -f /var/log/app.log\n```\n");
    let f = only(&src, "never-ends");
    assert_eq!(f.d.severity, Severity::Warning);
    assert_eq!(f.pointed, "tail -f /var/log/app.log");
    assert!(
        f.d.message.contains("never ends by itself"),
        "{}",
        f.d.message
    );
    for bounded in [
        "```bash {timeout=30s}\ntail -f app.log\n```\n",
        "```bash\ntimeout 30s tail -f app.log\n```\n",
        "```bash\ntail -n 100 app.log\n```\n",
        // The operator ends it: the block has the terminal.
        "```bash {interactive}\ntail -f app.log\n```\n",
        "```bash\nwatch kubectl get pods\n```\n",
    ] {
        assert!(
            !codes(&format!("{HEAD}{bounded}")).contains(&"never-ends"),
            "{bounded}"
        );
    }
}

#[test]
fn approvals_that_would_never_be_asked_are_warned_about() {
    let src = "---\ntargets:\n  staging: { approvals: 1 }\n  production: { protected: true, approvals: 2 }\n---\n# R\n\n## P\n\n### Look {approvals=1}\n\n- [ ] look at it\n\n### Wipe\n\n```bash\nrm -rf /tmp/x\n```\n";
    let f = only(src, "approvals-unprotected");
    assert_eq!(f.d.severity, Severity::Warning);
    assert_eq!(f.pointed, "staging");
    assert!(
        f.d.message.contains("nobody is ever asked"),
        "{}",
        f.d.message
    );
    let f = only(src, "approvals-nothing-runs");
    assert_eq!(f.line, 10);
}

#[test]
fn a_number_of_approvals_is_checked() {
    let f = only(
        &format!(
            "{}```bash\necho\n```\n",
            HEAD.replace("### Step", "### Step {approvals=one}")
        ),
        "bad-approvals",
    );
    assert_eq!(f.pointed, "one");
    assert!(f.d.help.as_deref().unwrap_or("").contains("{approvals=1}"));
    let f = only(
        "---\ntargets:\n  production: { protected: true, approvals: 40 }\n---\n# R\n\n## P\n\n### S\n\n- [ ] a\n",
        "bad-approvals",
    );
    assert!(f.d.message.contains("at most 9"), "{}", f.d.message);
    assert!(codes("---\ntargets:\n  production: { protected: true, approvals: 1 }\n---\n# R\n\n## P\n\n### S {approvals=2}\n\n```bash\necho\n```\n").is_empty());
}
