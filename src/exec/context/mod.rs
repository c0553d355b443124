//! Running a shell block in its context (`runbook::context`): this machine,
//! an `exec:` wrapper (`wrapper`), and, in a sandbox, the local stand-in
//! that replaces every context. Before the first step the preflight
//! (`preflight`) reaches each context the session will use and names who
//! answered there; an interactive block runs there with a terminal
//! (`interactive`).

pub mod crossing;
pub mod interactive;
mod jump;
pub mod no_bash;
pub mod preflight;
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

/// Where a context leads once its `$VARS` have values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// An `exec:` wrapper's words.
    Exec(Vec<String>),
    Ssh {
        dest: String,
        jump: Option<String>,
        port: Option<u16>,
    },
}

/// `ctx` with `$VARS` expanded from the block's environment. A word left
/// with a variable that has no value is refused: a wrapper or a
/// destination missing a word would run somewhere else.
pub fn place(ctx: &Context, env: &[(String, String)]) -> Result<Place, String> {
    use crate::runbook::context::ContextKind;
    let values: std::collections::HashMap<String, String> = env.iter().cloned().collect();
    let process_env = |n: &str| std::env::var(n).ok();
    let word = |w: &str| -> Result<String, String> {
        let lookup = |n: &str| values.contains_key(n) || process_env(n).is_some();
        match crate::runbook::vars::references(w)
            .into_iter()
            .find(|(n, _)| !lookup(n))
        {
            Some((missing, _)) => Err(format!(
                "context `{}`: `{w}` uses ${missing}, which has no value: set it (the target's `env:`, or `export {missing}=…`) before the session; nothing was run",
                ctx.name
            )),
            None => Ok(crate::runbook::vars::expand(w, &values, &process_env)),
        }
    };
    match &ctx.kind {
        ContextKind::Exec { argv } => Ok(Place::Exec(
            argv.iter().map(|w| word(w)).collect::<Result<_, _>>()?,
        )),
        ContextKind::Ssh { dest, jump, port } => Ok(Place::Ssh {
            dest: word(dest)?,
            jump: jump.as_deref().map(word).transpose()?,
            port: *port,
        }),
        ContextKind::Local => Err(not_supported(ctx)),
    }
}

/// The words that start a block of `ctx`: an `exec:` wrapper's, or ssh's
/// for an `ssh:` host (`tty`: with a terminal, for an interactive block).
pub fn wrapper_words(ctx: &Context, env: &[(String, String)]) -> Result<Vec<String>, String> {
    Ok(place(ctx, env)?.words(ssh::Mode::Piped))
}

impl Place {
    pub fn words(&self, mode: ssh::Mode) -> Vec<String> {
        match self {
            Place::Exec(words) => words.clone(),
            Place::Ssh { dest, jump, port } => ssh::argv(dest, jump.as_deref(), *port, mode),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::context::ContextKind;

    fn exec(words: &[&str]) -> Context {
        Context {
            name: "app".into(),
            kind: ContextKind::Exec {
                argv: words.iter().map(|w| (*w).to_string()).collect(),
            },
            sandbox_env: Vec::new(),
            pass: Vec::new(),
            span: crate::runbook::span::Span::new(0, 0),
        }
    }

    #[test]
    fn a_wrapper_word_takes_the_block_s_values_and_an_unset_one_is_refused() {
        let env = [(
            "APP_CONTAINER".to_string(),
            "grenoble-roller-prod".to_string(),
        )];
        let ctx = exec(&["docker", "exec", "-i", "$APP_CONTAINER"]);
        assert_eq!(
            wrapper_words(&ctx, &env),
            Ok(vec![
                "docker".to_string(),
                "exec".into(),
                "-i".into(),
                "grenoble-roller-prod".into()
            ])
        );
        let ctx = exec(&["docker", "exec", "-i", "${RUNSHEET_TEST_UNSET_1234}"]);
        let err = wrapper_words(&ctx, &env).unwrap_err();
        assert!(
            err.contains("$RUNSHEET_TEST_UNSET_1234") && err.contains("nothing was run"),
            "{err}"
        );
    }
}
