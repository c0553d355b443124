//! An interactive block in a context: it gets a terminal there (`ssh -tt`;
//! an `exec:` wrapper gets one when its own words ask, `docker exec -it`),
//! and the operator's terminal as its input. Its script, with the block's
//! variables as `export` lines, cannot come down stdin as a piped block's
//! does (stdin is the operator's), so it is staged first: written through
//! a piped call into a file only that user can read, which the terminal
//! call opens and removes before the script's first line runs. No value
//! reaches a command line there or here.

use std::process::Stdio;

use super::{Place, ssh, wrapper};
use crate::exec::interpreter::Interpreter;

/// Writes stdin to a fresh private file and prints its path.
const STAGE: &str = r#"umask 077; f=$(mktemp "${TMPDIR:-/tmp}/runsheet.XXXXXXXX") && cat > "$f" && printf '%s\n' "$f""#;

/// Opens the staged file, removes it, and runs it: `$1` the file, then
/// the interpreter and its options.
const RUN: &str = r#"exec 3<"$1" && rm -f -- "$1" && shift && exec "$@" /dev/fd/3"#;

/// The programs whose `-t` asks for a terminal, and which refuse piped
/// input with one: staging goes through them without it.
const TTY_WRAPPERS: [&str; 5] = ["docker", "podman", "nerdctl", "kubectl", "oc"];

/// The command that runs an interactive block there: the staged file's
/// path comes from `stage`.
pub fn command(place: &Place, interpreter: Interpreter, staged: &str) -> Vec<String> {
    let mut tail: Vec<String> = vec!["sh".into(), "-c".into(), RUN.into(), "sh".into()];
    tail.push(staged.to_string());
    tail.push(interpreter.program().to_string());
    tail.extend(interpreter.options().iter().map(|s| (*s).to_string()));
    wrapper::with_tail(&place.words(ssh::Mode::Terminal), tail)
}

/// Stages `script` (its exports first) there; the file's path, or why not.
pub async fn stage(
    place: &Place,
    script: &str,
    env: &[(String, String)],
) -> Result<String, String> {
    let words = match place {
        Place::Exec(words) => without_tty(words),
        Place::Ssh { .. } => place.words(ssh::Mode::Piped),
    };
    let argv = wrapper::with_tail(&words, ["sh", "-c", STAGE].map(String::from).to_vec());
    let Some((program, rest)) = argv.split_first() else {
        return Err("the context's `exec:` list is empty".into());
    };
    let mut child = tokio::process::Command::new(program)
        .args(rest)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        let body = wrapper::with_exports(script, env);
        stdin
            .write_all(body.as_bytes())
            .await
            .map_err(|e| format!("could not hand the script to `{program}`: {e}"))?;
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait_with_output())
        .await
        .map_err(|_| "no answer within 30 s while handing the script over".to_string())?
        .map_err(|e| format!("lost `{program}`: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let path = stdout.lines().map(str::trim).rfind(|l| l.starts_with('/'));
    match (out.status.success(), path) {
        (true, Some(p)) => Ok(p.to_string()),
        _ => Err(format!(
            "could not hand the script over there ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// Removes the staged file if the run never opened it (the terminal call
/// failed to start there); harmless once it did.
pub async fn unstage(place: &Place, staged: &str) {
    let words = match place {
        Place::Exec(words) => without_tty(words),
        Place::Ssh { .. } => place.words(ssh::Mode::Piped),
    };
    let argv = wrapper::with_tail(
        &words,
        vec!["rm".into(), "-f".into(), "--".into(), staged.to_string()],
    );
    if let Some((program, rest)) = argv.split_first() {
        let _ = tokio::process::Command::new(program)
            .args(rest)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await;
    }
}

/// A container wrapper's words without its terminal flag (`-it` → `-i`).
fn without_tty(words: &[String]) -> Vec<String> {
    let is_tty_wrapper = words
        .first()
        .and_then(|w| std::path::Path::new(w).file_name())
        .and_then(|n| n.to_str())
        .is_some_and(|n| TTY_WRAPPERS.contains(&n));
    if !is_tty_wrapper {
        return words.to_vec();
    }
    let mut out = Vec::new();
    let mut wrapped = false;
    for w in words {
        // The wrapped command's own words start after `--`.
        if wrapped || w == "--" {
            wrapped = true;
            out.push(w.clone());
            continue;
        }
        match w.as_str() {
            "-t" | "--tty" | "--tty=true" => {}
            "-it" | "-ti" => out.push("-i".into()),
            _ => out.push(w.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_drops_a_container_wrapper_s_terminal_only() {
        let w = |ws: &[&str]| ws.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(
            without_tty(&w(&["docker", "exec", "-it", "app"])),
            w(&["docker", "exec", "-i", "app"])
        );
        assert_eq!(
            without_tty(&w(&[
                "kubectl", "exec", "-i", "-t", "pod", "--", "env", "-t"
            ])),
            w(&["kubectl", "exec", "-i", "pod", "--", "env", "-t"])
        );
        assert_eq!(
            without_tty(&w(&["sudo", "-t", "x", "-u", "pg"])),
            w(&["sudo", "-t", "x", "-u", "pg"])
        );
    }
}
