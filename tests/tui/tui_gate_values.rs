//! What the gate and the instructions show of the session's values: the
//! database identified at the start (host, port, database, version, system
//! identifier), the command with the values it runs with, secrets `***`,
//! and which variable each value is. TestBackend at 80x24 and 200x50.

use crate::support::tui as support;

use crossterm::event::KeyCode;
use runsheet::runbook::parse;
use runsheet::session::{DbIdentity, Msg, Session, SessionInfo};
use runsheet::tui::{App, Outputs, Theme};
use std::sync::Arc;
use support::*;

const PLAIN: Theme = Theme { color: false };

const RESTORE: &str = r#"---
targets:
  staging: { countdown: 5s }
  production: { protected: true, database: "$PROD_DB_URL" }
variables:
  PROD_DB_URL: { secret: true }
  PROD_DB_HOST: { description: "production's database host" }
  PROD_DB_PORT: {}
  DUMP: {}
  RELEASE: {}
  TOKEN: { secret: true }
---
# Restore production

## Restore

### Check the release {#check}

Deploying release `$RELEASE` from $DUMP.

- [ ] Release $RELEASE is the one in the ticket

### Restore the dump {#restore}

```bash {target=production}
pg_restore --clean --if-exists --host="$PROD_DB_HOST" --port="$PROD_DB_PORT" --dbname=app "$DUMP"
curl -fsS -H "Authorization: Bearer $TOKEN" "https://ops.example/restored?release=$RELEASE"
```
"#;

/// A session of `RESTORE` on `target` with the values a start keeps (no
/// secret among them) and, on production, the database identified.
fn session(text: &str, target: &str) -> Session {
    let parsed = parse("restore.md", text);
    assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
    let values = [
        ("PROD_DB_HOST", "db-prod-1.internal"),
        ("PROD_DB_PORT", "5433"),
        ("DUMP", "/backups/app-2024-05-01.dump"),
        ("RELEASE", "2.4.1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let info = SessionInfo {
        runbook_path: "restore.md".into(),
        runbook_hash: "hash".into(),
        runbook_text: text.into(),
        target: target.into(),
        operator: "alice".into(),
        host: "bastion".into(),
        tool_version: "0.1.0".into(),
        drill: false,
        sandbox: false,
        workdir: None,
        targets: Vec::new(),
        variables: parsed
            .runbook
            .variables
            .iter()
            .map(|v| v.name.clone())
            .collect(),
        values,
    };
    let mut s = Session::new(Arc::new(parsed.runbook), info, T0);
    ok(
        &mut s,
        T0 + 10,
        Msg::DatabaseIdentified {
            target: "production".into(),
            identity: DbIdentity {
                server: "10.20.0.7:5433".into(),
                database: "app".into(),
                version: "16.4 (Debian 16.4-1.pgdg120+1)".into(),
                system_identifier: Some("7368215923784512345".into()),
            },
        },
    );
    s
}

/// Checked the release, then Enter until the restore stops (its gate, or
/// its countdown).
fn at_restore(text: &str, target: &str) -> (Session, App, Outputs) {
    use runsheet::tui::app::Mode;
    let mut s = session(text, target);
    let mut app = App::new(&s).with_journal_path(JOURNAL);
    submit(
        &mut app,
        &mut s,
        T0 + 1_000,
        Msg::ChecklistTicked {
            step: "check".into(),
            item: 0,
            checked: true,
        },
    );
    for i in 0..3 {
        if matches!(app.mode, Mode::Gate { .. } | Mode::Countdown { .. }) {
            break;
        }
        press(&mut app, &mut s, T0 + 2_000 + i, key(KeyCode::Enter));
    }
    (s, app, Outputs::new())
}

fn gate_screen(size: (u16, u16)) -> String {
    let (s, mut app, mut out) = at_restore(RESTORE, "production");
    assert!(
        matches!(app.mode, runsheet::tui::app::Mode::Gate { .. }),
        "{:?}",
        app.mode
    );
    screen(&s, &mut app, &mut out, size, T0 + 3_000, &PLAIN)
}

fn assert_lands_and_fills(screen: &str) {
    for want in [
        "Where it lands: production (protected)",
        "host 10.20.0.7, port 5433",
        "database app",
        "PostgreSQL 16.4",
        "7368215923784512345",
        "--host=\"db-prod-1.internal\"",
        "Bearer ***",
    ] {
        assert!(screen.contains(want), "{want} not on the gate:\n{screen}");
    }
    // The gate's command has the values in place (the step pane behind
    // it shows the code as written).
    let gate_code: Vec<&str> = screen.lines().filter(|l| l.contains("║┃")).collect();
    assert!(!gate_code.is_empty(), "{screen}");
    assert!(
        gate_code.iter().all(|l| !l.contains("$PROD_DB_HOST")),
        "{screen}"
    );
}

#[test]
fn gate_with_values_200x50() {
    let screen = gate_screen((200, 50));
    assert_lands_and_fills(&screen);
    assert!(
        screen.contains("$PROD_DB_HOST = db-prod-1.internal"),
        "{screen}"
    );
    assert!(screen.contains("$TOKEN = *** (secret)"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn gate_with_values_80x24() {
    let screen = gate_screen((80, 24));
    assert_lands_and_fills(&screen);
    insta::assert_snapshot!(screen);
}

#[test]
fn countdown_with_values_80x24() {
    // Not pinned to production: on staging it counts down.
    let text = RESTORE.replace("```bash {target=production}", "```bash");
    let (s, mut app, mut out) = at_restore(&text, "staging");
    assert!(
        matches!(app.mode, runsheet::tui::app::Mode::Countdown { .. }),
        "{:?}",
        app.mode
    );
    let screen = screen(&s, &mut app, &mut out, (80, 24), T0 + 3_000, &PLAIN);
    for want in [
        "Where it lands: staging",
        "no database declared: the commands run here, on bastion",
        "shell-pg-restore-clean",
        "--host=\"db-prod-1.internal\"",
    ] {
        assert!(screen.contains(want), "{want} not shown:\n{screen}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn instructions_and_checklist_show_values_200x50() {
    let s = session(RESTORE, "production");
    let mut app = App::new(&s).with_journal_path(JOURNAL);
    let mut out = Outputs::new();
    let screen = screen(&s, &mut app, &mut out, (200, 50), T0 + 500, &PLAIN);
    for want in [
        "Deploying release 2.4.1 from /backups/app-2024-05-01.dump.",
        "Release 2.4.1 is the one in the ticket",
        "values: $RELEASE = 2.4.1",
    ] {
        assert!(screen.contains(want), "{want} not shown:\n{screen}");
    }
    insta::assert_snapshot!(screen);
}
