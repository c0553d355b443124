//! `runsheet check` on runbooks written for people with placeholders left
//! in their commands (English and French): each is a `placeholder` warning
//! at its line, naming the variable the session will ask for and how to
//! declare it; redirections, tests, heredocs and SQL comparisons are not.

use crate::support::workdir::Workdir;
use std::process::Command;

fn check(path: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_runsheet"))
        .args(["check", "--color", "never", path])
        .env("NO_COLOR", "1")
        .output()
        .expect("could not run runsheet");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

const EN: &str = r#"# 🚀 Rotate the API key

## 1. Prepare

Replace the values below with yours.

```bash
kubectl config use-context <cluster-name>
kubectl get secret api -n <namespace> -o yaml > /tmp/api.yaml
[ -f /tmp/api.yaml ] && wc -l < /tmp/api.yaml
```

## 2. Rotate

```bash
curl -X POST https://api.example.com/v1/keys/[KEY_ID]/rotate \
  -H "Authorization: Bearer YOUR_TOKEN"
kubectl rollout restart deploy/api -n <namespace>
cat <<EOF
<b>done</b>
EOF
```

```sql
SELECT count(*) FROM sessions WHERE a <> b AND created < now();
```
"#;

const FR: &str = r#"# Redémarrer le service

## Étape 1 — Arrêt

```bash
ssh <utilisateur>@<hôte> "sudo systemctl stop app"
cd /chemin/vers/application && ./stop.sh --mot-de-passe=changeme
```
"#;

#[test]
fn each_placeholder_is_a_warning_naming_its_variable_and_line() {
    let w = Workdir::new();
    let rb = w.write("rotate.md", EN);
    let (code, all) = check(&rb.to_string_lossy());
    assert_eq!(code, 0, "warnings only: {all}");
    for (text, var, line) in [
        ("<cluster-name>", "CLUSTER_NAME", 8),
        ("<namespace>", "NAMESPACE", 9),
        ("[KEY_ID]", "KEY_ID", 16),
        ("YOUR_TOKEN", "TOKEN (a secret)", 17),
    ] {
        let want = format!("`{text}` is a placeholder: the session will ask for {var}");
        let at = all
            .find(&want)
            .unwrap_or_else(|| panic!("no `{want}` in:\n{all}"));
        assert!(
            all[at..].contains(&format!("rotate.md:{line}:")),
            "{text} at line {line}:\n{all}"
        );
    }
    assert!(all.contains("(written once more below)"), "{all}");
    assert!(all.contains("declare it under `variables:`"), "{all}");
    assert!(
        all.contains("TOKEN: { description: \"…\", secret: true }"),
        "{all}"
    );
    assert_eq!(
        all.matches("warning[placeholder]").count(),
        4,
        "no redirection, test, tag or comparison: {all}"
    );
}

#[test]
fn french_placeholders_become_variables_too() {
    let w = Workdir::new();
    let rb = w.write("redemarrer.md", FR);
    let (code, all) = check(&rb.to_string_lossy());
    assert_eq!(code, 0, "{all}");
    for var in [
        "UTILISATEUR",
        "HOTE",
        "APPLICATION_PATH",
        "MOT_DE_PASSE (a secret)",
    ] {
        assert!(
            all.contains(&format!("the session will ask for {var}")),
            "{var}:\n{all}"
        );
    }
}
