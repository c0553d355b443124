//! `check` knows what shell blocks export and set: no warning for a name
//! an earlier block of the same target exported (lower case too), set in
//! the same block (`x=1`, `for f in`, `read -p "…" ns`), or inside single
//! quotes (`awk '{print $NF}'`); a warning that says what is wrong for a
//! name exported only later, exported on another target, or set earlier
//! without `export`.

use std::process::Command;

fn check(text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runbook.md");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_runsheet"))
        .args(["check", "--color", "never"])
        .arg(&path)
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

/// The messages of the `undeclared-variable` warnings.
fn undeclared(all: &str) -> Vec<String> {
    all.lines()
        .filter_map(|l| l.strip_prefix("warning[undeclared-variable]: "))
        .map(str::to_string)
        .collect()
}

const CLEAN_EN: &str = r#"# Nightly backup

## Prepare

### 1. Set the backup folder

```bash
export BACKUP_DIR=/var/backups/$(date +%F)
export pg_host=db1.example
stamp=$(date +%s)
mkdir -p "$BACKUP_DIR/$stamp"
```

### 2. Dump

```bash
pg_dump -h "$pg_host" -f "$BACKUP_DIR/db.sql"
for f in "$BACKUP_DIR"/*.sql; do gzip "$f"; done
count=0; while read -r line; do count=$((count + 1)); done < "$BACKUP_DIR/list"
echo "$count files"
awk '{print $NF}' "$BACKUP_DIR/list"
cat <<'EOF2'
$NOT_A_VARIABLE in a quoted heredoc
EOF2
```
"#;

#[test]
fn names_exported_earlier_or_set_in_the_block_are_known() {
    let (code, all) = check(CLEAN_EN);
    assert_eq!(code, 0, "{all}");
    assert_eq!(undeclared(&all), Vec::<String>::new(), "{all}");
    assert!(all.contains("valid, 0 errors, 0 warnings"), "{all}");
}

const MESSY_FR: &str = r#"---
targets:
  recette: {}
  production: {}
---
# Sauvegarde et restauration

## 🛠️ Préparation

### Étape 1 — Dossier de sauvegarde {target=recette}

```bash
export DOSSIER=/srv/sauvegardes/$(date +%F)
horodatage=$(date +%s)
```

### Étape 2 — Copie

```bash
cp -r /srv/data "$DOSSIER/$horodatage"
tar czf "$ARCHIVE" "$DOSSIER"
echo "$nom_inconnu"
```

### Étape 3 — Nom de l'archive

```bash
export ARCHIVE=/tmp/archive.tgz
```

### Étape 4 — Vérification en production {target=production}

```bash
ls "$DOSSIER"
```
"#;

#[test]
fn a_name_exported_later_on_another_target_or_not_exported_is_a_warning() {
    let (code, all) = check(MESSY_FR);
    assert_eq!(code, 0, "{all}");
    let got = undeclared(&all);
    assert_eq!(
        got,
        [
            "`horodatage` is set by an earlier block (step `etape-1-dossier-de-sauvegarde`) but not \
             exported, so this block does not see it",
            "`ARCHIVE` is exported only by a later block (step `etape-3-nom-de-l-archive`), so it is \
             not set yet here",
            "`nom_inconnu` is not declared",
            "`DOSSIER` is exported by a block of target `recette` (step \
             `etape-1-dossier-de-sauvegarde`), and this block runs on `production`",
        ],
        "{all}"
    );
    assert!(
        all.contains("write `export horodatage=…` in that block"),
        "{all}"
    );
}
