//! `contexts:` and `{context=…}`: what `check` accepts, what it refuses
//! (with the position and a fix), and which context each block resolves to.

use crate::diags::only;
use runsheet::runbook::context::ContextKind;
use runsheet::runbook::parse;

const FRONT: &str = "---
contexts:
  db:
    exec: [kubectl, exec, -i, -n, veylant, deploy/postgres, --]
  app:
    exec: [docker, exec, -i, $APP_CONTAINER]
  host:
    ssh: deploy@db1.internal:2222
    jump: ops@bastion.example.com
targets:
  staging:
    context: app
  production:
    ssh: root@prod.internal
---
";

#[test]
fn contexts_resolve_block_then_step_then_phase_then_target() {
    let src = format!(
        "{FRONT}# Rb

## One {{context=db}}

### A {{context=host}}

```bash {{context=local}}
echo local
```

```bash
echo host
```

### B

```bash
echo db
```

## Two

```bash {{target=production}}
echo prod
```

```bash
echo staging
```
"
    );
    let parsed = parse("rb.md", &src);
    assert!(!parsed.has_errors(), "{:#?}", parsed.diagnostics);
    let rb = &parsed.runbook;
    let mut got = Vec::new();
    for (phase, step) in rb.steps() {
        for action in &step.actions {
            let target = action.target.as_deref().unwrap_or("staging");
            got.push(
                rb.action_context(phase, step, action, target)
                    .map_or("local".to_string(), |c| c.name.clone()),
            );
        }
    }
    assert_eq!(
        got,
        ["local", "host", "db", "target:production", "app"],
        "block > step > phase > target > local"
    );
    let host = rb.contexts.iter().find(|c| c.name == "host").unwrap();
    assert_eq!(
        host.kind,
        ContextKind::Ssh {
            dest: "deploy@db1.internal".into(),
            jump: Some("ops@bastion.example.com".into()),
            port: Some(2222),
        }
    );
}

#[test]
fn an_unknown_context_is_named_where_it_is_written_with_the_known_ones() {
    let src = format!("{FRONT}# Rb\n\n## One\n\n```bash {{context=dbb}}\necho\n```\n");
    let (d, line, pointed) = only(&src, "unknown-context");
    assert_eq!(pointed, "dbb");
    assert_eq!(line, 20);
    let help = d.help.unwrap();
    assert!(help.contains("did you mean `db`?"), "{help}");
    assert!(help.contains("local"), "{help}");
}

#[test]
fn a_target_naming_an_unknown_context_is_refused() {
    let src =
        "---\ntargets:\n  staging:\n    context: pod\n---\n# Rb\n\n## One\n\n```bash\necho\n```\n";
    let (d, line, _) = only(src, "unknown-context");
    assert_eq!(line, 3);
    assert!(d.message.contains("pod"), "{}", d.message);
}

#[test]
fn a_context_with_both_ssh_and_exec_or_an_empty_exec_or_a_bad_host_is_refused() {
    let cases = [
        (
            "both:\n    ssh: a@b\n    exec: [env]",
            "both `ssh:` and `exec:`",
        ),
        ("empty:\n    exec: []", "empty `exec:` list"),
        (
            "bad:\n    ssh: \"-oProxyCommand=evil\"",
            "not an ssh destination",
        ),
        ("port:\n    ssh: a@b:http", "not an ssh destination"),
        (
            "jumpy:\n    exec: [env]\n    jump: a@b",
            "`jump:` is for `ssh:`",
        ),
        ("nothing: {}", "neither `ssh:` nor `exec:`"),
    ];
    for (spec, says) in cases {
        let src = format!("---\ncontexts:\n  {spec}\n---\n# Rb\n\n## One\n\n```bash\necho\n```\n");
        let (d, line, _) = only(&src, "bad-context");
        assert_eq!(line, 3, "{spec}");
        assert!(d.message.contains(says), "{spec}: {}", d.message);
        assert!(d.help.is_some(), "{spec}");
    }
}

#[test]
fn only_shell_blocks_take_a_context() {
    let src = format!("{FRONT}# Rb\n\n## One\n\n```sql {{context=db}}\nselect 1\n```\n");
    let (d, _, pointed) = only(&src, "bad-context");
    assert_eq!(pointed, "context");
    assert!(d.message.contains("shell block"), "{}", d.message);
}

#[test]
fn local_cannot_be_redeclared() {
    let src =
        "---\ncontexts:\n  local:\n    exec: [env]\n---\n# Rb\n\n## One\n\n```bash\necho\n```\n";
    let (_, line, _) = only(src, "bad-context");
    assert_eq!(line, 3);
}

#[test]
fn pass_takes_variable_names_and_a_context_reading_database_url_unpassed_is_warned() {
    let src = "---\ncontexts:\n  app:\n    exec: [docker, exec, -i, app]\n    pass: [PGPASSWORD, not-a-name]\n---\n# Rb\n\n## P\n\n### S\n\n```bash\ntrue\n```\n";
    let (d, line, _) = only(src, "bad-context");
    assert!(d.message.contains("`not-a-name`"), "{}", d.message);
    assert_eq!(line, 3);
    let warned = |pass: &str, block_ctx: &str| {
        let src = format!(
            "---\ncontexts:\n  app:\n    exec: [docker, exec, -i, app]\n{pass}targets:\n  production:\n    context: app\n    database: $PROD_DB_URL\n---\n# Rb\n\n## P\n\n### S\n\n```bash {block_ctx}\necho \"${{DATABASE_URL%%@*}}\"\n```\n"
        );
        parse("rb.md", &src)
            .diagnostics
            .iter()
            .filter(|d| d.code == "context-database-url")
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
    };
    let said = warned("", "");
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("context `app`"), "{said:?}");
    assert!(warned("    pass: [DATABASE_URL]\n", "").is_empty());
    assert!(warned("", "{context=local}").is_empty());
}

#[test]
fn stdout_names_a_file_for_a_block_that_is_not_interactive_and_expects_nothing() {
    let block =
        |attrs: &str| format!("# Rb\n\n## P\n\n### S\n\n```bash {attrs}\npg_dump shop\n```\n");
    let rb = parse("rb.md", &block("{stdout=shop.sql}")).runbook;
    let (_, step) = rb.steps().next().unwrap();
    assert_eq!(step.actions[0].stdout.as_deref(), Some("shop.sql"));
    for (attrs, says) in [
        ("{stdout=\"\"}", "needs a file name"),
        ("{stdout=shop.sql interactive}", "interactive"),
        ("{stdout=shop.sql expect=0}", "`expect`"),
    ] {
        let (d, line, _) = only(&block(attrs), "bad-stdout");
        assert!(d.message.contains(says), "{attrs}: {}", d.message);
        assert_eq!(line, 7, "{attrs}");
    }
}

#[test]
fn a_name_only_the_far_side_sets_is_no_warning_in_a_context_block() {
    let src = |ctx: &str| {
        format!(
            "---\ncontexts:\n  db:\n    exec: [kubectl, exec, -i, deploy/postgres, --]\n---\n# Rb\n\n## P\n\n### S\n\n```bash {ctx}\npg_dump -U \"$POSTGRES_USER\" \"$POSTGRES_DB\"\n```\n"
        )
    };
    let undeclared = |src: &str| {
        parse("rb.md", src)
            .diagnostics
            .iter()
            .filter(|d| d.code == "undeclared-variable")
            .count()
    };
    assert_eq!(undeclared(&src("{context=db}")), 0);
    assert_eq!(undeclared(&src("")), 2);
}
