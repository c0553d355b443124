use super::context::{self, Ctx};
use super::*;
use crate::runbook::parse;
use std::collections::HashMap;

/// (text, variable) of each placeholder in shell code.
fn shell(code: &str) -> Vec<(String, String)> {
    let ctx = context::shell(code);
    shape::find(code)
        .into_iter()
        .filter(|f| ctx[f.range.start] != Ctx::Comment)
        .map(|f| (f.text, f.var))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn the_shapes_people_write_and_the_names_they_become() {
    for (code, want) in [
        (
            "kubectl get pods -n <namespace>",
            vec![("<namespace>", "NAMESPACE")],
        ),
        (
            "gcloud config set project <your-project-id>",
            vec![("<your-project-id>", "PROJECT_ID")],
        ),
        ("ssh admin@<DB-HOST>", vec![("<DB-HOST>", "DB_HOST")]),
        ("git checkout v<version>", vec![("<version>", "VERSION")]),
        ("curl https://app-<env>.example.com", vec![("<env>", "ENV")]),
        (
            "echo <your project name>",
            vec![("<your project name>", "PROJECT_NAME")],
        ),
        (
            "curl https://api.example.com/pages/[PAGE_ID]",
            vec![("[PAGE_ID]", "PAGE_ID")],
        ),
        (
            "curl -H \"Authorization: Bearer YOUR_TOKEN\" x",
            vec![("YOUR_TOKEN", "TOKEN")],
        ),
        ("export KEY=your-api-key", vec![("your-api-key", "API_KEY")]),
        (
            "cd /path/to/app && make",
            vec![("/path/to/app", "APP_PATH")],
        ),
        (
            "tar xf /path/to/your/backup.tar",
            vec![("/path/to/your/backup.tar", "BACKUP_TAR_PATH")],
        ),
        ("app --token xxx", vec![("xxx", "TOKEN")]),
        ("app --password=changeme", vec![("changeme", "PASSWORD")]),
        ("echo XXXX", vec![("XXXX", "VALUE")]),
        (
            "export GH_TOKEN=ghp_xxxxxxxxxxxx",
            vec![("ghp_xxxxxxxxxxxx", "GH_TOKEN")],
        ),
        ("echo xxxx-xxxx-xxxx", vec![("xxxx-xxxx-xxxx", "VALUE")]),
        (
            "curl -H \"Authorization: Bearer xxxx\" u",
            vec![("xxxx", "TOKEN")],
        ),
        (
            "psql -c 'select * from <table>'",
            vec![("<table>", "TABLE")],
        ),
        (
            "aws configure set aws_access_key_id AKIAXXXXXXXXXXXXXXXX",
            vec![("AKIAXXXXXXXXXXXXXXXX", "VALUE")],
        ),
        (
            "psql -c \"select '<INSERT DATE>'\"",
            vec![("<INSERT DATE>", "DATE")],
        ),
        (
            "kubectl delete pod <nom_du_pod> -n <votre-namespace>",
            vec![
                ("<nom_du_pod>", "NOM_DU_POD"),
                ("<votre-namespace>", "NAMESPACE"),
            ],
        ),
        (
            "cp x /chemin/vers/le/dossier/",
            vec![("/chemin/vers/le/dossier", "DOSSIER_PATH")],
        ),
        (
            "helm upgrade app . --set image.tag=REPLACE_ME",
            vec![("REPLACE_ME", "TAG")],
        ),
        (
            "echo <hôte-de-la-base>",
            vec![("<hôte-de-la-base>", "HOTE_DE_LA_BASE")],
        ),
    ] {
        assert_eq!(shell(code), pairs(&want), "{code}");
    }
}

#[test]
fn what_only_looks_like_one_is_left_alone() {
    for code in [
        "cat < file",
        "sort <input.txt >output.txt",
        "cat <<EOF\nhello\nEOF",
        "cat <<-'END'\n\tx\n\tEND",
        "diff <(ls a) <(ls b)",
        "[ -z \"$X\" ] && exit 1",
        "[[ -f /etc/passwd ]]",
        "echo ${a[0]} ${ARR[IDX]}",
        "ls [abc]*.log [A-Z]* [0-9]",
        "cat > page.html <<EOF\n<html><body><b>hi</b><div>x</div></body></html>\nEOF",
        "echo \"<b>bold</b>\"",
        "test $x < 3",
        "if (( a<b && c>d )); then :; fi",
        "let v: Vec<String> = HashMap<K, V>::new();",
        "echo $YOUR_TOKEN ${YOUR_TOKEN}",
        "YOUR_TOKEN=abc ./run",
        "# kubectl get pods -n <namespace>",
        "echo hi # see <docs> and YOUR_TOKEN",
        "echo exit 2>&1 >/dev/null",
        "grep -c xx file; echo max Xerxes Your-Thing your",
        "echo <3 <v1> <x>",
        "echo \"[INFO] started\"; echo '[ERROR] failed' >&2",
        "echo \"Usage: $0 <environment> <version>\"",
        "git log --format='%an <%ae>' && mail <ops@example.com>",
        "printf 'XXXXXXXabc123\\rCANARY-\\n'",
        "mkdir -p ./path/to/app my/path/to/x",
        "ls /usr/local/bin",
    ] {
        assert_eq!(shell(code), Vec::<(String, String)>::new(), "{code}");
    }
}

#[test]
fn odd_text_around_a_shape_never_panics() {
    for code in [
        "cd /path/to/ && ls",
        "cd /path/to",
        "echo «token» xxx",
        "echo —xxx —changeme é=xxx",
        "🚀--token xxx",
        "<",
        "[",
        "/path/to/",
        "your-",
        "<é>",
        "[É_É]",
    ] {
        let _ = shell(code);
    }
    assert_eq!(shell("clé: xxx"), pairs(&[("xxx", "CLE")]));
    assert_eq!(shell("echo «clé»: xxx"), pairs(&[("xxx", "VALUE")]));
}

#[test]
fn sql_comparisons_and_comments_are_not_placeholders() {
    let rb = parse(
        "r.md",
        "# T\n\n## P\n\n```sql\nSELECT * FROM t WHERE a <> b AND x < 3 AND y > 4;\n-- run as <admin>\nSELECT 1 WHERE a<b AND c>d;\nDELETE FROM users WHERE tenant = '<tenant_id>';\n```\n",
    )
    .runbook;
    let found: Vec<&str> = rb.placeholders.iter().map(|p| p.var.as_str()).collect();
    assert_eq!(found, ["TENANT_ID"]);
}

const RB: &str = "---
variables:
  NAMESPACE: { description: \"the team's namespace\" }
---
# Runbook

## Deploy

### Pods

```bash
kubectl get pods -n <namespace>
curl -H \"Authorization: Bearer YOUR_TOKEN\" https://x/<user>
```

### Again

```bash
kubectl logs -n <namespace> deploy/app
```
";

#[test]
fn a_runbook_s_placeholders_become_its_variables() {
    let parsed = parse("r.md", RB);
    let rb = &parsed.runbook;
    let got: Vec<(&str, &str, bool, usize, &str)> = rb
        .placeholders
        .iter()
        .map(|p| {
            (
                p.text.as_str(),
                p.var.as_str(),
                p.secret,
                p.line,
                p.step.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("<namespace>", "NAMESPACE", false, 12, "pods"),
            ("YOUR_TOKEN", "TOKEN", true, 13, "pods"),
            // `<user>` never takes over the shell's $USER.
            ("<user>", "USER_VALUE", false, 13, "pods"),
            ("<namespace>", "NAMESPACE", false, 19, "again"),
        ]
    );
    for p in &rb.placeholders {
        assert_eq!(&parsed.source[p.span.range()], p.text, "{p:?}");
    }
    let asked: Vec<(String, bool, Option<String>)> = asked_variables(rb)
        .into_iter()
        .map(|v| (v.name, v.secret, v.description))
        .collect();
    assert_eq!(
        asked,
        [
            (
                "NAMESPACE".into(),
                false,
                Some("the team's namespace".into())
            ),
            (
                "TOKEN".into(),
                true,
                Some("placeholder `YOUR_TOKEN`, line 13".into())
            ),
            (
                "USER_VALUE".into(),
                false,
                Some("placeholder `<user>`, line 13".into())
            ),
        ]
    );
}

#[test]
fn check_warns_once_per_placeholder_with_the_variable_and_the_fix() {
    let parsed = parse("r.md", RB);
    let warnings: Vec<_> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.code == "placeholder")
        .collect();
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(
        !parsed
            .diagnostics
            .iter()
            .any(|d| d.code == "unused-variable"),
        "NAMESPACE is used as `<namespace>`: {:#?}",
        parsed.diagnostics
    );
    assert!(
        warnings[0].message.contains("`<namespace>`"),
        "{:?}",
        warnings[0]
    );
    assert!(
        warnings[0].message.contains("once more"),
        "{:?}",
        warnings[0]
    );
    assert!(
        warnings[1].message.contains("TOKEN (a secret)"),
        "{:?}",
        warnings[1]
    );
    let help = warnings[1].help.clone().unwrap_or_default();
    assert!(
        help.contains("TOKEN: { description: \"…\", secret: true }"),
        "{help}"
    );
}

/// Runs `code` through bash with the values in the environment, as a
/// step does.
fn run(code: &str, values: &HashMap<String, String>) -> String {
    let out = std::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-e", "-c", code])
        .envs(values)
        .output();
    match out {
        Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Err(e) => panic!("bash: {e}"),
    }
}

#[test]
fn a_value_arrives_as_itself_wherever_the_placeholder_stands() {
    let md = "# T\n\n## P\n\n```bash\nprintf '[%s]\\n' <ns> \"in <ns> dq\" 'in <ns> sq' $'a <ns>' \"$(echo <ns>)\"\ncat <<EOF\nbody <ns>\nEOF\ncat <<'EOF'\nlit <ns>\nEOF\n# keep <ns>\n```\n";
    let rb = parse("r.md", md).runbook;
    let action = &rb.phases[0].steps[0].actions[0];
    let nasty = "a b \"q\" 'z' $(touch /tmp/pwned-by-placeholder) `id` $HOME *";
    let values: HashMap<String, String> = [("NS".to_string(), nasty.to_string())].into();
    let filled = fill_action(&rb, action, &values);
    assert!(filled.code.contains("# keep <ns>"), "{}", filled.code);
    let out = run(&filled.code, &values);
    let want = format!(
        "[{nasty}]\n[in {nasty} dq]\n[in {nasty} sq]\n[a {nasty}]\n[{nasty}]\nbody {nasty}\nlit {nasty}\n"
    );
    assert_eq!(out, want);
    assert!(!std::path::Path::new("/tmp/pwned-by-placeholder").exists());
}

#[test]
fn without_a_value_the_code_stays_as_written() {
    let rb = parse("r.md", RB).runbook;
    let action = &rb.phases[0].steps[0].actions[0];
    assert_eq!(fill_action(&rb, action, &HashMap::new()).code, action.code);
}

#[test]
fn sql_values_are_quoted_for_where_they_stand() {
    let md = "# T\n\n## P\n\n```sql\nSELECT '<tenant>', \"<col>\" FROM <table> WHERE id = <id> AND n = <name>;\n```\n";
    let rb = parse("r.md", md).runbook;
    let action = &rb.phases[0].steps[0].actions[0];
    let values: HashMap<String, String> = [
        ("TENANT", "o'brien"),
        ("COL", "we\"ird"),
        ("TABLE", "public.users"),
        ("ID", "42"),
        ("NAME", "x'; DROP TABLE users; --"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(
        fill_action(&rb, action, &values).code,
        "SELECT 'o''brien', \"we\"\"ird\" FROM public.users WHERE id = 42 AND n = 'x''; DROP TABLE users; --';\n"
    );
}

#[test]
fn a_secret_is_named_by_its_words() {
    for n in [
        "TOKEN",
        "API_KEY",
        "DB_PASSWORD",
        "MOT_DE_PASSE",
        "CLIENT_SECRET",
    ] {
        assert!(names_a_secret(n), "{n}");
    }
    for n in ["NAMESPACE", "KEYSPACE", "PASSAGE", "MONKEY"] {
        assert!(!names_a_secret(n), "{n}");
    }
}
