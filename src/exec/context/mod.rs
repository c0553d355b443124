//! Running a shell block in its context (`runbook::context`). This version
//! runs only two kinds: this machine, and, in a sandbox, the local stand-in
//! that replaces every context. A block whose context is an `exec:` wrapper
//! or an ssh host fails before it starts, saying so: it never runs on this
//! machine as if it had reached the context.

mod stand_in;

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
