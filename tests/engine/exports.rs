//! Variables exported by one shell block carry over to the next shell
//! blocks of the same target, through the real binary and real bash, as in
//! one terminal: journaled (secrets masked, and masked in later output),
//! shown after the step, restored by a resume, never seen by another
//! target's blocks.

use crate::support::workdir::{Workdir, text};

const TOKEN: &str = "tok-exp0rted-by-a-block";

const RB: &str = r#"---
targets:
  staging: {}
  other: {}
---
# Exports

## Phase

### Set {#set}

```bash
export BACKUP_DIR="$WORK/x y"
export API_TOKEN=$(printf 'tok-%s' exp0rted-by-a-block)
export MULTI='line one
line "two" = 2'
local_only=1
echo set
```

### Use {#use}

```bash
test -f "$WORK/go"
test "$BACKUP_DIR" = "$WORK/x y"
test -z "${local_only:-}"
test "$MULTI" = 'line one
line "two" = 2'
echo "token is $API_TOKEN"
echo "backup in $BACKUP_DIR"
```

### Elsewhere {#elsewhere target=other}

```bash
test -z "${BACKUP_DIR:-}" || { echo "other target saw $BACKUP_DIR"; exit 9; }
echo elsewhere clean
```
"#;

#[test]
fn an_export_reaches_the_next_block_of_its_target_journaled_masked_and_resumed() {
    let w = Workdir::new();
    let rb = w.write("exports.md", RB);
    std::fs::write(w.path().join("go"), "").unwrap();
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("backup in "), "{all}");
    assert!(all.contains("elsewhere clean"), "{all}");
    assert!(
        all.contains("exported: API_TOKEN=*** · BACKUP_DIR=") && all.contains("MULTI=line one⏎"),
        "{all}"
    );
    // The secret exported by a block is masked in the journal and in the
    // output of the block after it.
    assert!(all.contains("token is ***"), "{all}");
    assert!(!all.contains(TOKEN), "{all}");
    assert!(!w.journal_text().contains(TOKEN));
    let exported = w.of_type("vars-exported");
    assert_eq!(exported.len(), 1, "{exported:?}");
    let r = &exported[0];
    assert_eq!(r["step"], "set");
    assert_eq!(r["target"], "staging");
    assert_eq!(r["secret"], serde_json::json!(["API_TOKEN"]));
    let vars = r["vars"].as_array().cloned().unwrap_or_default();
    let dir = format!("{}/x y", w.path().display());
    assert!(
        vars.contains(&serde_json::json!(["BACKUP_DIR", dir])),
        "{vars:?}"
    );
    assert!(
        vars.contains(&serde_json::json!(["API_TOKEN", "***"])),
        "{vars:?}"
    );
    assert!(!vars.iter().any(|v| v[0] == "local_only"), "{vars:?}");
}

#[test]
fn a_resume_restores_the_exports_and_says_the_secret_is_gone() {
    let w = Workdir::new();
    let rb = w.write(
        "exports.md",
        &RB.replace(
            "echo \"token is $API_TOKEN\"",
            "echo \"token is ${API_TOKEN:-gone}\"",
        ),
    );
    // `use` fails until $WORK/go exists: the session stops there.
    let out = w.auto(&rb, "staging");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    std::fs::write(w.path().join("go"), "").unwrap();
    let out = w.run(&["resume"], "r\n\n\n\n");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("backup in "), "{all}");
    assert!(all.contains("token is gone"), "{all}");
    assert!(
        all.contains(
            "exported secret API_TOKEN (target staging) from before the stop was not journaled"
        ),
        "{all}"
    );
}

const INTERACTIVE: &str = r#"---
targets:
  staging: {}
---
# Interactive

## Phase

### Pick {#pick}

```bash {interactive}
read -r colour
export PICKED="$colour"
```

### Use {#use}

```bash
test "$PICKED" = "deep blue" && echo "picked $PICKED"
```
"#;

/// A block run with the terminal handed over (here, lines piped in)
/// carries its exports like a supervised one.
#[test]
fn an_interactive_blocks_exports_carry_over_too() {
    let w = Workdir::new();
    let rb = w.write("inter.md", INTERACTIVE);
    let out = w.plain(&rb, "staging", "\ndeep blue\n\n");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("exported: PICKED=deep blue"), "{all}");
    assert!(all.contains("picked deep blue"), "{all}");
}
