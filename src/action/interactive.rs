//! An interactive action: the step's command gets the real terminal (the
//! front end gives it up first and takes it back after), started with the
//! same command line as a supervised one (`exec::interpreter`).

use std::io::IsTerminal;
use std::os::unix::process::ExitStatusExt;

use super::prepare::Prepared;
use super::running::{error_outcome, failed_to_start};
use crate::exec::descendants;
use crate::exec::exports;
use crate::exec::interpreter::Interpreter;
use crate::exec::shell;
use crate::session::ActionOutcome;

/// How an interactive action ended.
pub struct Interactive {
    /// When it started.
    pub pid: Option<u32>,
    pub outcome: ActionOutcome,
    /// What it exported (`exec::exports`), as a supervised block's.
    pub exported: Vec<(String, String)>,
}

/// Runs an interactive action to its end.
pub async fn run_interactive(p: &Prepared) -> Interactive {
    let capture = exports::Capture::new().ok();
    let (pid, outcome) = run(p, capture.as_ref()).await;
    let exported = capture
        .map(|c| c.read(&p.env, std::env::vars()))
        .unwrap_or_default();
    Interactive {
        pid,
        outcome,
        exported,
    }
}

async fn run(p: &Prepared, capture: Option<&exports::Capture>) -> (Option<u32>, ActionOutcome) {
    let started = std::time::Instant::now();
    if let Some(why) = &p.refused {
        return (None, error_outcome(why.clone()));
    }
    if let Some(why) = no_terminal_for(&p.action.code) {
        return (None, error_outcome(why));
    }
    let interpreter = p.interpreter.unwrap_or(Interpreter::Bash);
    if let Some(ctx) = &p.context {
        return in_context(p, ctx, interpreter, started).await;
    }
    let mut cmd = interpreter.command_capturing(
        &p.action.code,
        &p.env,
        p.action.cwd.as_deref().map(std::path::Path::new),
        capture,
    );
    let before = descendants::Action::before_spawn();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return (None, failed_to_start(&e.to_string())),
    };
    let pid = child.id();
    let leftovers = before.zip(pid).and_then(|(b, pid)| b.spawned(pid));
    let mut o = ActionOutcome::default();
    match child.wait().await {
        Ok(st) => {
            o.exit_code = st.code();
            o.signal = st.signal();
        }
        Err(e) => o.error = Some(format!("lost the interactive command: {e}")),
    }
    // It shares the terminal's process group, so only what it started and
    // left behind is ended (what it put in the background, what escaped
    // with setsid), never the group.
    if let Some(leftovers) = leftovers {
        leftovers.end_all(shell::DEFAULT_GRACE).await;
    }
    o.duration_ms = started.elapsed().as_millis() as u64;
    (pid, o)
}

/// Runs the block there, with a terminal (`exec::context::interactive`);
/// its exports stay there, as a piped block's in a context do.
async fn in_context(
    p: &Prepared,
    ctx: &crate::runbook::context::Context,
    interpreter: Interpreter,
    started: std::time::Instant,
) -> (Option<u32>, ActionOutcome) {
    use crate::exec::context::{interactive, place};
    let place = match place(ctx, &p.env) {
        Ok(place) => place,
        Err(why) => return (None, error_outcome(why)),
    };
    let crossing = crate::exec::context::crossing::crossing(ctx, &p.action.code, &p.env);
    let staged = match interactive::stage(&place, &p.action.code, &crossing).await {
        Ok(path) => path,
        Err(why) => {
            return (
                None,
                error_outcome(format!(
                    "context `{}` ({}): {why}; nothing was run",
                    ctx.name,
                    ctx.describe()
                )),
            );
        }
    };
    let argv = interactive::command(&place, interpreter, &staged);
    let Some((program, rest)) = argv.split_first() else {
        return (None, failed_to_start("the context's `exec:` list is empty"));
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(rest).env_remove("BASH_ENV");
    if let Some(cwd) = &p.action.cwd {
        cmd.current_dir(cwd);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            interactive::unstage(&place, &staged).await;
            return (None, failed_to_start(&e.to_string()));
        }
    };
    let pid = child.id();
    let mut o = ActionOutcome::default();
    match child.wait().await {
        Ok(st) => {
            o.exit_code = st.code();
            o.signal = st.signal();
        }
        Err(e) => o.error = Some(format!("lost the interactive command: {e}")),
    }
    interactive::unstage(&place, &staged).await;
    o.duration_ms = started.elapsed().as_millis() as u64;
    (pid, o)
}

/// An editor, a pager, a full-screen monitor or a container's terminal
/// cannot work from lines typed into a pipe: with standard input not a
/// terminal, the step fails at once saying so, instead of hanging until
/// its timeout (a prompt that reads lines, like `read` or `psql`, still
/// gets them).
fn no_terminal_for(code: &str) -> Option<String> {
    if std::io::stdin().is_terminal() {
        return None;
    }
    let scan = crate::runbook::interactive::scan(code);
    let first = scan.interactive.iter().find(|i| i.how.needs_terminal())?;
    Some(format!(
        "{} and needs a terminal, but standard input is not one: run this step from a terminal \
         (not with input piped in)",
        first.reason()
    ))
}
