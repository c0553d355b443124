//! The bastion of an `ssh:` context with `jump:`. OpenSSH's own `-J`
//! starts the bastion's ssh with the config file (`-F`) but none of the
//! `-o` options runsheet gives the target: that hop would ask for a
//! password mid-step, or take an unknown bastion key on a config's
//! `StrictHostKeyChecking accept-new`. So the hop is written as a
//! `ProxyCommand` (what `-J` expands to) that carries the same options.

/// The `ProxyCommand` value for `jump` (`[user@]host[:port]`, or several
/// such hops separated by commas, as `-J` takes them): the last hop
/// forwards to the target (`-W`), each earlier one is the proxy of the
/// next.
pub fn proxy_command(jump: &str, options: &[String]) -> String {
    let hops: Vec<&str> = jump
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    hop_command(&hops, options)
}

fn hop_command(hops: &[&str], options: &[String]) -> String {
    let Some((last, before)) = hops.split_last() else {
        return String::new();
    };
    let mut words: Vec<String> = vec!["ssh".into()];
    words.extend(options.iter().map(|o| word(o)));
    // The bastion's own connection is not shared: the target's master
    // keeps this one process alive for the whole session, and a user's
    // `ControlPersist` for the bastion would outlive it.
    words.extend(["-o", "ControlPath=none"].map(word));
    if !before.is_empty() {
        // Percent signs are doubled: this ssh expands them, the next
        // hop's ssh must see `%h` and `%p` as its own.
        words.push(word("-o"));
        words.push(word(&format!(
            "ProxyCommand={}",
            hop_command(before, options)
        )));
    }
    let (dest, port) = match crate::runbook::context::ssh_destination(last) {
        Ok((dest, port)) => (dest, port),
        // `check` refused it already; ssh says what is wrong with it.
        Err(_) => (last.to_string(), None),
    };
    if let Some(p) = port {
        words.push(word("-p"));
        words.push(word(&p.to_string()));
    }
    // `%h` and `%p` are the target's, expanded by the ssh that runs this.
    words.push("-W".into());
    words.push("'[%h]:%p'".into());
    words.push(word("--"));
    words.push(word(&dest));
    words.join(" ")
}

/// A literal word of the command: quoted for the `sh -c` ssh runs it
/// with, its `%` doubled so ssh's token expansion leaves it as written.
fn word(w: &str) -> String {
    super::wrapper::quote(w).replace('%', "%%")
}

/// A short key of the jump for the shared connection's socket name:
/// ssh's `%C` does not include a `ProxyCommand`, and the same host
/// reached directly and through a bastion must not share a master.
pub fn key(jump: &str) -> String {
    // FNV-1a: stable across builds, and only needs to tell jumps apart
    // within one process's sockets.
    let mut h: u32 = 0x811c_9dc5;
    for b in jump.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Vec<String> {
        ["-F", "/cfg 100%", "-o", "BatchMode=yes"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn one_hop_carries_the_options_and_its_port() {
        assert_eq!(
            proxy_command("ops@bastion:2222", &opts()),
            "ssh '-F' '/cfg 100%%' '-o' 'BatchMode=yes' '-o' 'ControlPath=none' '-p' '2222' -W '[%h]:%p' '--' 'ops@bastion'"
        );
    }

    #[test]
    fn an_earlier_hop_is_the_proxy_of_the_next_its_tokens_left_for_it() {
        let c = proxy_command("a, b", &[]);
        assert!(c.ends_with("-W '[%h]:%p' '--' 'b'"), "{c}");
        // The inner command's `%h` reaches the hop's ssh as `%h`.
        assert!(
            c.contains(
                "'ProxyCommand=ssh '\\''-o'\\'' '\\''ControlPath=none'\\'' -W '\\''[%%h]:%%p'\\''"
            ),
            "{c}"
        );
    }

    #[test]
    fn the_key_tells_jumps_apart() {
        assert_eq!(key("bastion"), key("bastion"));
        assert_ne!(key("bastion"), key("bastion2"));
        assert_eq!(key("x").len(), 8);
    }
}
