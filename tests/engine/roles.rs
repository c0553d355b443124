//! Rollback, alternative and context sections never run in the normal
//! flow, whatever their headings look like: a session on a runbook written
//! for people runs its flow and leaves the rest alone (real shell, real
//! files, real journal).

use crate::support::workdir::{self, Workdir};

/// A runbook where every section writes a marker file, and the rollback
/// deletes a data folder, as the runbooks people write do.
fn runbook(dir: &str) -> String {
    format!(
        r#"# 🚀 Upgrade the database

## 📋 Overview

```bash
touch {dir}/ran-overview
```

## 1. Prepare

```bash
touch {dir}/ran-prepare
```

### Step 1.1 — Copy the files

```bash
touch {dir}/ran-copy
```

#### If the copy fails

```bash
touch {dir}/ran-copy-fails
```

### Step 1.2 — Verify

```bash
touch {dir}/ran-verify
```

## Option A: keep the old cluster

```bash
touch {dir}/ran-option-a
```

## 🛠️ Troubleshooting

```bash
touch {dir}/ran-troubleshooting
```

## En cas d'erreur

```bash
touch {dir}/ran-en-cas-d-erreur
```

## ☎️ Contacts d'urgence

```bash
touch {dir}/ran-contacts
```

## 🔙 Rollback

```bash
rm -rf {dir}/data
```
"#
    )
}

#[test]
fn a_session_runs_only_the_flow_of_a_runbook_written_for_people() {
    let env = Workdir::new();
    let dir = env.path().to_string_lossy().into_owned();
    std::fs::create_dir_all(env.path().join("data")).unwrap();
    std::fs::write(env.path().join("data/PG_VERSION"), "16\n").unwrap();
    let rb = env.write("upgrade.md", &runbook(&dir));
    let out = env.auto(&rb, "staging");
    let text = workdir::text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for ran in ["prepare", "copy", "verify"] {
        assert!(
            env.path().join(format!("ran-{ran}")).exists(),
            "flow step {ran} did not run:\n{text}"
        );
    }
    for never in [
        "overview",
        "copy-fails",
        "option-a",
        "troubleshooting",
        "en-cas-d-erreur",
        "contacts",
    ] {
        assert!(
            !env.path().join(format!("ran-{never}")).exists(),
            "`{never}` is not in the flow but ran:\n{text}"
        );
    }
    assert!(
        env.path().join("data/PG_VERSION").exists(),
        "the rollback's rm -rf ran in the flow:\n{text}"
    );
    // The journal shows no countdown: nothing destructive was under way.
    assert!(env.of_type("countdown-elapsed").is_empty(), "{text}");
}
