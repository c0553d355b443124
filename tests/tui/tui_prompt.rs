//! Variable prompts before the full-screen session: an empty answer asks
//! that variable again and keeps what was already typed (secrets too), in
//! a real terminal and in the UI's own prompt.

use std::time::Duration;

use crate::support::tmux;
use crate::support::tui::*;
use crossterm::event::KeyCode;
use runsheet::tui::{App, Ask, Command, Mode};

const RUNBOOK: &str = r#"---
variables:
  RELEASE: { description: "Version to deploy" }
  TOKEN: { secret: true, description: "Deploy token" }
---
# Prompted release

## Go {#go}

### Deploy {#deploy}

```bash
echo "deploying $RELEASE with token $TOKEN"
```
"#;

#[test]
fn an_empty_answer_in_the_terminal_asks_again_and_keeps_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rb = dir.path().join("release.md");
    std::fs::write(&rb, RUNBOOK).expect("write the runbook");
    let t = tmux::Tmux::new("prompt");
    t.start(&format!(
        "cd {} && env -u TOKEN -u RELEASE RUNSHEET_DATA_DIR={} {} run {} --target staging",
        dir.path().display(),
        dir.path().join("data").display(),
        env!("CARGO_BIN_EXE_runsheet"),
        rb.display(),
    ));
    t.wait_screen("RELEASE (Version to deploy):");
    t.type_text("2.4.1");
    t.keys(&["Enter"]);
    t.wait_screen("TOKEN (Deploy token) [secret, not shown]:");
    // Enter alone: asked again, RELEASE kept.
    t.keys(&["Enter"]);
    t.wait_screen("TOKEN needs a value");
    t.type_text("tok-9d2e77aa");
    t.keys(&["Enter"]);
    // Both values reached the session: the step shows them (the token
    // masked) once it runs.
    t.wait_screen("Prompted release");
    t.keys(&["Enter"]);
    t.wait_screen("deploying 2.4.1 with token ***");
    let screen = t.screen();
    assert!(!screen.contains("tok-9d2e77aa"), "{screen}");
    t.keys(&["q"]);
    std::thread::sleep(Duration::from_millis(200));
}

fn asks() -> Vec<Ask> {
    vec![
        Ask {
            name: "RELEASE".into(),
            secret: false,
        },
        Ask {
            name: "TOKEN".into(),
            secret: true,
        },
    ]
}

#[test]
fn the_ui_prompt_keeps_asking_a_variable_left_empty() {
    let mut s = session_of(RUNBOOK, "staging");
    let mut app = App::new(&s);
    let at = T0 + 1_000;
    app.ask_variables(asks());
    type_text(&mut app, &mut s, at, "2.4.1");
    assert_eq!(
        app.handle_key(&s, key(KeyCode::Enter), at),
        vec![Command::Variable {
            name: "RELEASE".into(),
            value: "2.4.1".into()
        }]
    );
    // Enter on an empty secret: nothing is sent, the same prompt stays and
    // says why.
    type_text(&mut app, &mut s, at, "  ");
    assert_eq!(app.handle_key(&s, key(KeyCode::Enter), at), vec![]);
    assert!(
        matches!(app.mode, Mode::Prompt { ref name, secret: true, .. } if name == "TOKEN"),
        "{:?}",
        app.mode
    );
    let hint = app.hint.clone().unwrap_or_default();
    assert!(hint.contains("$TOKEN needs a value"), "{hint}");
    type_text(&mut app, &mut s, at, "tok");
    assert_eq!(
        app.handle_key(&s, key(KeyCode::Enter), at),
        vec![Command::Variable {
            name: "TOKEN".into(),
            value: "  tok".into()
        }]
    );
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.hint, None);
}
