//! Running a shell block in its context (`runbook::context`): this machine,
//! an `exec:` wrapper (`wrapper`), and, in a sandbox, the local stand-in
//! that replaces every context. A block whose context is an ssh host, or an
//! interactive block in a wrapper, fails before it starts, saying so: it
//! never runs on this machine as if it had reached the context.

pub mod ssh;
mod stand_in;
pub mod wrapper;

pub use stand_in::stand_in_env;

use crate::runbook::context::Context;

/// Why a block of `ctx` cannot run in this version, for its outcome.
pub fn not_supported(ctx: &Context) -> String {
    format!(
        "this block runs in context `{}` ({}), and this version of runsheet cannot run blocks there yet: \
         nothing was run. Run the command by hand there, then skip the step with a reason, \
         or rehearse the runbook with --sandbox, where every context runs on this machine",
        ctx.name,
        ctx.describe()
    )
}

/// The wrapper words of an `exec:` context with `$VARS` expanded from the
/// block's environment, or why the block cannot run there.
pub fn wrapper_words(ctx: &Context, env: &[(String, String)]) -> Result<Vec<String>, String> {
    match &ctx.kind {
        crate::runbook::context::ContextKind::Exec { argv } => {
            let values: std::collections::HashMap<String, String> = env.iter().cloned().collect();
            let process_env = |n: &str| std::env::var(n).ok();
            Ok(argv
                .iter()
                .map(|w| crate::runbook::vars::expand(w, &values, &process_env))
                .collect())
        }
        crate::runbook::context::ContextKind::Ssh { dest, jump, port } => {
            let values: std::collections::HashMap<String, String> = env.iter().cloned().collect();
            let process_env = |n: &str| std::env::var(n).ok();
            let word = |w: &str| crate::runbook::vars::expand(w, &values, &process_env);
            let dest = word(dest);
            let jump = jump.as_deref().map(word);
            if let Some(w) = [Some(&dest), jump.as_ref()]
                .into_iter()
                .flatten()
                .find(|w| w.contains('$'))
            {
                return Err(format!(
                    "context `{}`: `{w}` still holds a variable with no value: set it (the target's `env:`, or `export NAME=…`) before the session; nothing was run",
                    ctx.name
                ));
            }
            Ok(ssh::argv(&dest, jump.as_deref(), *port, false))
        }
        crate::runbook::context::ContextKind::Local => Err(not_supported(ctx)),
    }
}
