//! A shell block run through an `exec:` wrapper (`docker exec -i app`,
//! `kubectl exec -i … --`, `sudo -u postgres`). The wrapper's command line
//! carries only a fixed bootstrap; the script, with the block's variables
//! as `export` lines, goes through stdin, so no value reaches a command
//! line or the process list on the other side. Stdin then stays open as a
//! lifeline: when it closes (runsheet cancelled the step, it timed out, the
//! wrapper died), the bootstrap ends the script's whole process group.

use crate::exec::interpreter::Interpreter;

/// Runs on the far side of the wrapper. It reads a byte count and that
/// many bytes of script from stdin, runs the script in a process group of
/// its own with stdin from /dev/null (as a local step), and exits with the
/// script's code. A watcher reads the rest of stdin; at its end it sends
/// TERM to the group, then KILL after a grace. `$0` is the interpreter
/// (`bash` or `sh`), `$1..` its options.
pub const BOOTSTRAP: &str = r#"export LC_ALL=C; IFS= read -r n || exit 125; IFS= read -r -d '' -N "$n" s; unset LC_ALL; set -m; "$0" "$@" /dev/fd/3 3<<<"$s" </dev/null & p=$!; unset s; ( while IFS= read -r _; do :; done; kill -TERM -- -"$p" 2>/dev/null && { sleep 5; kill -KILL -- -"$p" 2>/dev/null; } ) & w=$!; set +m; wait "$p"; r=$?; kill -- -"$w" 2>/dev/null; exit "$r""#;

/// The wrapper's full command line: its own words, then the bootstrap
/// under bash, with the interpreter's options (never the script).
pub fn argv(wrapper: &[String], interpreter: Interpreter) -> Vec<String> {
    let mut tail: Vec<String> = ["bash", "-c", BOOTSTRAP].map(String::from).to_vec();
    tail.push(interpreter.program().to_string());
    tail.extend(interpreter.options().iter().map(|s| (*s).to_string()));
    with_tail(wrapper, tail)
}

/// The wrapper's words, then `tail`: the command to run on the far side.
pub fn with_tail(wrapper: &[String], tail: Vec<String>) -> Vec<String> {
    let mut out = wrapper.to_vec();
    // ssh hands its words to the remote user's shell joined by spaces:
    // they go quoted, as one command line, or that shell would split the
    // bootstrap.
    let via_ssh = wrapper
        .first()
        .and_then(|w| std::path::Path::new(w).file_name())
        .is_some_and(|n| n == "ssh");
    if via_ssh {
        out.push(tail.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" "));
    } else {
        out.extend(tail);
    }
    out
}

/// What goes down the wrapper's stdin: the script's length, then the
/// script with `env` exported first. Names a shell cannot export are left
/// out (they could not have reached a local step's script either).
pub fn payload(script: &str, env: &[(String, String)]) -> Vec<u8> {
    let body = with_exports(script, env);
    let mut out = format!("{}\n", body.len()).into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// The script with `env` exported first.
pub fn with_exports(script: &str, env: &[(String, String)]) -> String {
    let mut body = String::new();
    for (k, v) in env {
        if is_name(k) {
            body.push_str(&format!("export {k}={}\n", quote(v)));
        }
    }
    body.push_str(script);
    body.push('\n');
    body
}

fn is_name(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Single quotes keep every byte but `'` literal; `'` becomes `'\''`.
pub fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_quotes_values_and_counts_bytes() {
        let p = payload(
            "echo hé",
            &[("A".into(), "it's $x".into()), ("1x".into(), "no".into())],
        );
        let text = String::from_utf8(p).unwrap();
        let (n, body) = text.split_once('\n').unwrap();
        assert_eq!(n.parse::<usize>().unwrap(), body.len());
        assert_eq!(body, "export A='it'\\''s $x'\necho hé\n");
    }

    #[test]
    fn the_command_line_holds_no_script() {
        let a = argv(&["env".into()], Interpreter::Bash);
        assert_eq!(a[..3], ["env", "bash", "-c"]);
        assert!(a.contains(&"pipefail".to_string()));
        assert!(!a.contains(&"-c".to_string()) || a.iter().filter(|w| *w == "-c").count() == 1);
    }
}
