//! The shell a step's code runs in, and the one command line that starts
//! it: the supervised spawn (`exec::shell`) and the interactive one
//! (`action::interactive`) both build it here, so the two cannot drift
//! apart on flags or on what of the caller's shell setup leaks in.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tokio::process::Command;

use super::exports::{self, Capture};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Interpreter {
    #[default]
    Bash,
    Sh,
}

impl Interpreter {
    /// `sh` for a block written ```` ```sh ````; bash for every other shell
    /// block.
    pub fn for_lang(lang: &str) -> Interpreter {
        if lang == "sh" {
            Interpreter::Sh
        } else {
            Interpreter::Bash
        }
    }

    pub fn program(self) -> &'static str {
        match self {
            Self::Bash => "bash",
            Self::Sh => "sh",
        }
    }

    /// Options make the first failing command fail the step (pipelines
    /// too, for bash) and keep the user's startup files out of it.
    pub fn args(self, script: &str) -> Vec<&str> {
        let mut args = self.options().to_vec();
        args.extend(["-c", script]);
        args
    }

    /// The options alone, the same wherever the block runs.
    pub fn options(self) -> &'static [&'static str] {
        match self {
            Self::Bash => &["--noprofile", "--norc", "-e", "-o", "pipefail"],
            Self::Sh => &["-e"],
        }
    }

    /// The command that runs `script`: this shell with its options, the
    /// inherited environment without the caller's shell setup, `env` added,
    /// in `cwd` when given. Standard streams and the process group are the
    /// caller's to set: a supervised step gets pipes and a group of its own,
    /// an interactive one the terminal.
    pub fn command(self, script: &str, env: &[(String, String)], cwd: Option<&Path>) -> Command {
        self.command_capturing(script, env, cwd, None)
    }

    /// `command`, and with a capture, the block's exports written to it as
    /// it ends (`exec::exports`): the same for the supervised and the
    /// interactive spawn.
    pub fn command_capturing(
        self,
        script: &str,
        env: &[(String, String)],
        cwd: Option<&Path>,
        capture: Option<&Capture>,
    ) -> Command {
        let mut cmd = Command::new(self.program());
        let wrapped;
        let script = match capture {
            Some(_) => {
                wrapped = exports::wrap(script);
                wrapped.as_str()
            }
            None => script,
        };
        cmd.args(self.args(script))
            // bash sources $BASH_ENV even with --norc; a step must not
            // depend on whoever's shell setup happens to be inherited.
            .env_remove("BASH_ENV")
            .envs(env.iter().map(|(k, v)| (k, v)));
        if let Some(c) = capture {
            let (k, v) = c.env();
            cmd.env(k, v);
        }
        if let Some(cwd) = cwd {
            cmd.current_dir(cwd);
        }
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sh_blocks_run_in_sh_every_other_shell_in_bash() {
        assert_eq!(Interpreter::for_lang("sh"), Interpreter::Sh);
        for lang in ["bash", "shell", "console", "zsh"] {
            assert_eq!(Interpreter::for_lang(lang), Interpreter::Bash, "{lang}");
        }
    }

    #[test]
    fn the_command_line_fails_fast_and_drops_bash_env() {
        let cmd = Interpreter::Bash.command("true", &[("A".into(), "1".into())], None);
        let std = cmd.as_std();
        assert_eq!(std.get_program(), "bash");
        let args: Vec<_> = std.get_args().collect();
        assert_eq!(
            args,
            [
                "--noprofile",
                "--norc",
                "-e",
                "-o",
                "pipefail",
                "-c",
                "true"
            ]
        );
        let envs: Vec<_> = std.get_envs().collect();
        assert!(envs.contains(&("BASH_ENV".as_ref(), None)), "{envs:?}");
        assert!(
            envs.contains(&("A".as_ref(), Some("1".as_ref()))),
            "{envs:?}"
        );
    }
}
