//! The header names where commands run: the contexts the preflight
//! identified and who answered there, cut to the terminal's width without
//! wrapping; in a sandbox, the contexts the runbook uses, as stand-ins.

use crate::support::tui as support;

use runsheet::session::{ContextIdentity, Msg, Session};
use runsheet::tui::render::contexts;
use runsheet::tui::render::text::width;
use runsheet::tui::{App, Outputs, Theme};
use support::*;

const PLAIN: Theme = Theme { color: false };

const RUNBOOK: &str = "---\nrunsheet: 1\ncontexts:\n  db:\n    exec: [kubectl, exec, -i, -n, veylant, deploy/postgres, --]\n  app:\n    ssh: deploy@grenoble.example.com\ntargets:\n  production:\n    context: db\n    protected: true\n---\n# Move the database\n\n## Prepare\n\n### Dump {#dump}\n\n```bash\npg_dump app\n```\n\n### Restart {#restart context=app}\n\n```bash\nsystemctl restart app\n```\n\n### Here {#here}\n\n```bash {context=local}\nls\n```\n";

fn identified(s: &mut Session) {
    let pod = ContextIdentity {
        reached: "exec kubectl exec -i -n veylant deploy/postgres --".into(),
        host_key: None,
        hostname: "veylant-pg-7f4c".into(),
        user: "postgres".into(),
    };
    let host = ContextIdentity {
        reached: "ssh deploy@grenoble.example.com".into(),
        host_key: Some("ssh-ed25519 SHA256:4pN0bq8kZ5Vb".into()),
        hostname: "grenoble-roller-prod".into(),
        user: "deploy".into(),
    };
    for (at, name, kind, identity) in [
        (T0 + 100, "db", "exec", pod),
        (T0 + 200, "app", "ssh", host),
    ] {
        ok(
            s,
            at,
            Msg::ContextIdentified {
                name: name.into(),
                kind: kind.into(),
                identity,
            },
        );
    }
}

/// The two header rows at each width, one after the other.
fn headers(s: &Session, widths: &[u16]) -> String {
    let mut app = App::new(s).with_journal_path(JOURNAL);
    let mut outputs = Outputs::new();
    let mut out = String::new();
    for &w in widths {
        let shown = screen(s, &mut app, &mut outputs, (w, 24), T0 + 1_000, &PLAIN);
        out.push_str(&format!("── {w} columns\n"));
        for line in shown.lines().take(2) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn the_header_names_each_identified_context_and_who_answered_cut_to_the_width() {
    let mut s = session_of(RUNBOOK, "production");
    let before = headers(&s, &[120]);
    assert!(!before.contains("ctx:"), "nothing identified yet: {before}");
    identified(&mut s);
    let shown = headers(&s, &[160, 100, 80, 60, 40, 24]);
    // In order of use, the target's own first; this machine is no context.
    assert!(
        shown.contains("ctx: db → veylant-pg-7f4c · app → grenoble-roller-prod · journal …"),
        "{shown}"
    );
    assert!(!shown.contains("local →"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn the_segment_never_outgrows_its_room() {
    let mut s = session_of(RUNBOOK, "production");
    identified(&mut s);
    let sandbox = sandbox_of(RUNBOOK);
    for room in 0..80 {
        for s in [&s, &sandbox] {
            if let Some(seg) = contexts::segment(s, room) {
                assert!(width(&seg) <= room, "{seg:?} in {room}");
                assert!(seg.starts_with("ctx: "), "{seg:?}");
            }
        }
    }
    assert_eq!(
        contexts::segment(&s, 44).as_deref(),
        Some("ctx: db → veylant-pg-… · app → grenoble-ro…"),
    );
    assert_eq!(contexts::segment(&s, 15).as_deref(), Some("ctx: db · app"));
    assert_eq!(contexts::segment(&s, 12).as_deref(), Some("ctx: db +1"));
    assert_eq!(contexts::segment(&s, 7).as_deref(), Some("ctx: +2"));
    assert_eq!(contexts::segment(&s, 6), None);
}

fn sandbox_of(text: &str) -> Session {
    let s = session_of(text, "production");
    let mut info = s.info().clone();
    info.sandbox = true;
    Session::new(s.runbook().clone(), info, T0)
}

#[test]
fn in_the_sandbox_the_contexts_are_said_to_be_stand_ins() {
    let s = sandbox_of(RUNBOOK);
    let shown = headers(&s, &[100, 40]);
    // In order of use: the target's own first.
    assert!(shown.contains("ctx: db · app (stand-ins)"), "{shown}");
    assert!(!shown.contains("→"), "no one answered there: {shown}");
    insta::assert_snapshot!(shown);
    // A runbook without contexts says nothing of them.
    let none = headers(&sandbox_of(DEMO), &[100]);
    assert!(!none.contains("ctx:"), "{none}");
}

/// What a pod answers is drawn, never obeyed: no escape sequence or line
/// break of it reaches the terminal.
#[test]
fn a_pod_name_with_escapes_is_drawn_plain_on_one_row() {
    let mut s = session_of(RUNBOOK, "production");
    ok(
        &mut s,
        T0 + 100,
        Msg::ContextIdentified {
            name: "db".into(),
            kind: "exec".into(),
            identity: ContextIdentity {
                reached: "exec kubectl".into(),
                host_key: None,
                hostname: "\x1b[31mveylant\x1b]0;owned\x07\npg".into(),
                user: "postgres".into(),
            },
        },
    );
    let seg = contexts::segment(&s, 80).unwrap_or_default();
    assert!(
        seg.starts_with("ctx: db → veylant") && seg.ends_with(" pg"),
        "{seg:?}"
    );
    assert!(!seg.contains(char::is_control), "{seg:?}");
}

/// A team store that is down: the header says how many records it lacks,
/// and says nothing once it has caught up.
#[test]
fn the_header_says_how_far_behind_the_store_is() {
    let s = session_of(RUNBOOK, "production");
    let mut app = App::new(&s).with_journal_path(JOURNAL);
    let mut outputs = Outputs::new();
    app.store_behind = Some((12, Some("connection refused".into())));
    let shown = screen(&s, &mut app, &mut outputs, (120, 24), T0 + 1_000, &PLAIN);
    let header: String = shown.lines().take(2).collect::<Vec<_>>().join("\n");
    assert!(header.contains("store: 12 records behind"), "{header}");
    app.store_behind = None;
    let shown = screen(&s, &mut app, &mut outputs, (120, 24), T0 + 1_000, &PLAIN);
    assert!(!shown.contains("store:"), "{shown}");
}
