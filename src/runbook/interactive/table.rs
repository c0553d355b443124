//! The programs that need a person, and the flags that make them so or
//! not: one row per program (or subcommand), read by `Cx::entry`.

use super::super::destructive::shell_lex::Word;
use super::{How, Verdict};

/// When a row's program is interactive (or never ends).
#[derive(Clone, Copy)]
pub(super) enum When {
    Always,
    /// Unless one of these flags (or words) is given.
    Unless(&'static [&'static str]),
    /// Only with one of these flags (or words).
    With(&'static [&'static str]),
    /// With at most this many operands (`psql` alone, `ssh host`).
    Operands(usize),
}

/// Where a program's own options end.
#[derive(Clone, Copy)]
pub(super) enum Until {
    /// At `--` (`kubectl exec -it pod -- ls -l`).
    Separator,
    /// At its first operand (`docker exec -it app ls -la`: `-la` is ls's).
    Operand,
}

pub(super) struct Entry {
    pub names: &'static [&'static str],
    /// The subcommand (first operand) the row is about.
    pub sub: Option<&'static [&'static str]>,
    /// Options that take a value (`-n ns`, `--namespace ns`).
    pub values: &'static [&'static str],
    pub own_until: Until,
    pub when: When,
    /// Flags or words after which it is never interactive (`top -b`).
    pub never: &'static [&'static str],
    /// Input from a pipe, a file or a heredoc stands for the person.
    pub fed_ok: bool,
    /// Writing into a pipe it does not wait (`less` then only copies).
    pub pipe_ok: bool,
    /// None: not interactive, but it never ends by itself.
    pub how: Option<How>,
}

impl Entry {
    pub(super) fn verdict(&self) -> Verdict {
        self.how.map_or(Verdict::Endless, Verdict::Interactive)
    }
}

const fn row(names: &'static [&'static str], how: How) -> Entry {
    Entry {
        names,
        sub: None,
        values: &[],
        own_until: Until::Separator,
        when: When::Always,
        never: &[],
        fed_ok: false,
        pipe_ok: false,
        how: Some(how),
    }
}

const fn endless(names: &'static [&'static str], when: When) -> Entry {
    Entry {
        when,
        how: None,
        ..row(names, How::Monitor)
    }
}

const KUBECTL: &[&str] = &["kubectl", "oc"];
const KUBECTL_VALUES: &[&str] = &[
    "-n",
    "--namespace",
    "--context",
    "--kubeconfig",
    "-s",
    "--server",
    "--cluster",
    "--user",
    "-c",
    "--container",
    "-l",
    "--selector",
    "-f",
    "--filename",
    "-o",
    "--output",
    "--as",
    "--image",
    "--pod-running-timeout",
];
const DOCKER: &[&str] = &["docker", "podman", "nerdctl"];
const DOCKER_VALUES: &[&str] = &[
    "-e",
    "--env",
    "-v",
    "--volume",
    "-p",
    "--publish",
    "-w",
    "--workdir",
    "-u",
    "--user",
    "--name",
    "--network",
    "--entrypoint",
    "--mount",
    "-l",
    "--label",
    "-h",
    "--hostname",
    "--env-file",
    "--add-host",
    "--cpus",
    "-m",
    "--memory",
    "--platform",
    "--restart",
    "-H",
    "--host",
    "--context",
    "-f",
    "--file",
    "--project-name",
    "--log-level",
];
const TTY_FLAGS: &[&str] = &["-i", "-t", "--stdin", "--tty", "--interactive"];
const SSH_VALUES: &[&str] = &[
    "-p", "-i", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-b", "-c", "-E", "-e", "-m", "-O", "-Q",
    "-S", "-W", "-w", "-B",
];
const PSQL_VALUES: &[&str] = &[
    "-h",
    "-p",
    "-U",
    "-d",
    "-c",
    "-f",
    "-v",
    "--set",
    "-P",
    "-o",
    "-L",
    "-T",
    "-F",
    "-R",
    "--host",
    "--port",
    "--username",
    "--dbname",
];
const SHELLS: &[&str] = &["bash", "sh", "zsh", "dash", "ksh", "fish", "ash"];

pub(super) const ENTRIES: &[Entry] = &[
    // Editors.
    Entry {
        never: &["-es", "-Es", "--version", "--help", "-h"],
        ..row(&["vi", "vim", "nvim", "view", "gvim"], How::Editor)
    },
    Entry {
        never: &["--batch", "-batch", "--script", "--daemon", "--version"],
        ..row(&["emacs", "emacsclient"], How::Editor)
    },
    Entry {
        never: &["--version", "--help"],
        ..row(
            &[
                "nano", "pico", "micro", "joe", "jed", "mcedit", "hx", "helix", "kak", "ne",
                "vipw", "vigr", "visudo", "sudoedit", "edquota",
            ],
            How::Editor,
        )
    },
    Entry {
        when: When::With(&["-e"]),
        ..row(&["crontab"], How::Editor)
    },
    Entry {
        sub: Some(&["edit"]),
        never: &["--stdin"],
        ..row(&["systemctl", "virsh"], How::Editor)
    },
    Entry {
        sub: Some(&["edit", "edit-last-applied"]),
        values: KUBECTL_VALUES,
        ..row(KUBECTL, How::Editor)
    },
    Entry {
        sub: Some(&["commit"]),
        values: &["-C", "-c", "--git-dir", "--work-tree"],
        when: When::Unless(&[
            "-m",
            "--message",
            "-F",
            "--file",
            "--no-edit",
            "-C",
            "--reuse-message",
            "--fixup",
        ]),
        ..row(&["git"], How::Editor)
    },
    Entry {
        sub: Some(&["rebase"]),
        values: &["-C", "-c", "--git-dir", "--work-tree"],
        when: When::With(&["-i", "--interactive"]),
        ..row(&["git"], How::Editor)
    },
    Entry {
        sub: Some(&["add", "checkout", "reset", "stash"]),
        values: &["-C", "-c", "--git-dir", "--work-tree"],
        when: When::With(&["-p", "--patch", "--interactive"]),
        ..row(&["git"], How::Reads)
    },
    // Pagers: into a pipe they only copy.
    Entry {
        pipe_ok: true,
        ..row(&["less", "more", "most", "pg"], How::Pager)
    },
    // Full-screen monitors.
    Entry {
        never: &["-b", "--batch"],
        ..row(&["top", "iotop"], How::Monitor)
    },
    Entry {
        never: &[
            "-t",
            "--text",
            "--stdout",
            "-r",
            "--report",
            "--version",
            "-h",
        ],
        ..row(
            &[
                "htop",
                "atop",
                "btop",
                "bpytop",
                "iftop",
                "nethogs",
                "glances",
                "nmon",
                "nload",
                "bmon",
                "k9s",
                "lazygit",
                "lazydocker",
                "tig",
                "ncdu",
                "mc",
                "ranger",
                "nnn",
                "nmtui",
                "mtr",
                "pg_top",
                "pgcenter",
                "mytop",
                "innotop",
                "ctop",
                "virt-top",
                "powertop",
                "s-tui",
                "cmatrix",
                "watch",
                "alsamixer",
                "aptitude",
            ],
            How::Monitor,
        )
    },
    // Prompts: a shell, a database client, a REPL, a login.
    Entry {
        values: PSQL_VALUES,
        when: When::Unless(&[
            "-c",
            "--command",
            "-f",
            "--file",
            "-l",
            "--list",
            "-V",
            "--version",
            "--help",
        ]),
        fed_ok: true,
        ..row(&["psql", "pgcli"], How::Prompt)
    },
    Entry {
        values: &[
            "-u",
            "-h",
            "-P",
            "-D",
            "-S",
            "--user",
            "--host",
            "--port",
            "--database",
        ],
        when: When::Unless(&["-e", "--execute", "-V", "--version", "--help"]),
        fed_ok: true,
        ..row(&["mysql", "mariadb", "mycli"], How::Prompt)
    },
    Entry {
        values: &[
            "-h", "-p", "-a", "-n", "-u", "-s", "--user", "--pass", "--tls", "--cacert", "--cert",
            "--key",
        ],
        when: When::Operands(0),
        never: &[
            "--scan",
            "--bigkeys",
            "--memkeys",
            "--pipe",
            "-x",
            "--rdb",
            "--stat",
            "--latency",
            "--version",
            "-v",
        ],
        fed_ok: true,
        ..row(&["redis-cli", "valkey-cli", "keydb-cli"], How::Prompt)
    },
    Entry {
        when: When::Unless(&["--eval", "-f", "--file", "--version", "--help"]),
        fed_ok: true,
        ..row(&["mongo", "mongosh"], How::Prompt)
    },
    Entry {
        values: &["-cmd", "-separator", "-nullvalue"],
        when: When::Operands(1),
        never: &["-version", "-help", "--version"],
        fed_ok: true,
        ..row(&["sqlite3", "sqlite"], How::Prompt)
    },
    Entry {
        when: When::Unless(&["-q", "--query", "--queries-file", "--version"]),
        values: &[
            "-h",
            "--host",
            "--port",
            "-u",
            "--user",
            "--password",
            "-d",
            "--database",
        ],
        fed_ok: true,
        ..row(&["clickhouse-client"], How::Prompt)
    },
    Entry {
        when: When::Unless(&["-e", "--execute", "-f", "--file", "--version"]),
        values: &["-u", "-p", "-k", "--keyspace"],
        fed_ok: true,
        ..row(&["cqlsh"], How::Prompt)
    },
    Entry {
        values: &["-o", "-O", "--rcfile", "--init-file"],
        when: When::Operands(0),
        never: &["-c", "--version", "--help"],
        fed_ok: true,
        ..row(SHELLS, How::Prompt)
    },
    Entry {
        values: &["-W", "-X", "-Q"],
        when: When::Operands(0),
        never: &["-c", "-m", "-V", "--version", "-h", "--help"],
        fed_ok: true,
        ..row(
            &["python", "python3", "python2", "pypy", "pypy3", "ipython"],
            How::Prompt,
        )
    },
    Entry {
        values: &["-r", "--require"],
        when: When::Operands(0),
        never: &[
            "-e",
            "--eval",
            "-p",
            "--print",
            "-v",
            "--version",
            "-c",
            "--check",
        ],
        fed_ok: true,
        ..row(&["node", "deno", "bun"], How::Prompt)
    },
    Entry {
        fed_ok: true,
        never: &["--version"],
        ..row(&["irb", "pry", "ghci", "iex", "erl"], How::Prompt)
    },
    Entry {
        sub: Some(&["console", "c", "dbconsole", "db"]),
        fed_ok: true,
        ..row(&["rails"], How::Prompt)
    },
    Entry {
        when: When::With(&["-a"]),
        fed_ok: true,
        ..row(&["php"], How::Prompt)
    },
    Entry {
        values: SSH_VALUES,
        when: When::With(&["-t"]),
        ..row(&["ssh"], How::Terminal)
    },
    Entry {
        values: SSH_VALUES,
        when: When::Operands(1),
        never: &["-t", "-N", "-V", "-G", "-O", "-Q", "-f"],
        fed_ok: true,
        ..row(&["ssh", "autossh"], How::Prompt)
    },
    Entry {
        values: &["-P", "-i", "-o", "-F", "-b"],
        when: When::Unless(&["-b"]),
        fed_ok: true,
        ..row(&["sftp", "ftp", "lftp", "telnet"], How::Prompt)
    },
    Entry {
        values: &["-s", "--shell", "-g", "--group"],
        when: When::Unless(&["-c", "--command"]),
        fed_ok: true,
        ..row(&["su"], How::Prompt)
    },
    // A terminal to a container, a pod, a session.
    Entry {
        sub: Some(&["exec", "run", "attach", "debug"]),
        values: KUBECTL_VALUES,
        when: When::With(TTY_FLAGS),
        fed_ok: true,
        ..row(KUBECTL, How::Terminal)
    },
    Entry {
        sub: Some(&["run", "exec", "create"]),
        values: DOCKER_VALUES,
        own_until: Until::Operand,
        when: When::With(TTY_FLAGS),
        never: &["-d", "--detach"],
        fed_ok: true,
        ..row(DOCKER, How::Terminal)
    },
    Entry {
        sub: Some(&["attach"]),
        values: DOCKER_VALUES,
        ..row(DOCKER, How::Terminal)
    },
    Entry {
        sub: Some(&["exec", "run"]),
        values: DOCKER_VALUES,
        own_until: Until::Operand,
        when: When::Unless(&["-T", "--no-TTY", "--no-tty", "-d", "--detach"]),
        ..row(&["docker-compose", "podman-compose"], How::Terminal)
    },
    Entry {
        sub: Some(&["attach", "attach-session", "a", "at", "att"]),
        values: &["-L", "-S", "-f"],
        ..row(&["tmux"], How::Terminal)
    },
    Entry {
        sub: Some(&["new", "new-session"]),
        values: &["-L", "-S", "-f"],
        when: When::Unless(&["-d"]),
        ..row(&["tmux"], How::Terminal)
    },
    Entry {
        values: &["-L", "-S", "-f"],
        when: When::Operands(0),
        never: &["-V", "ls", "list-sessions"],
        ..row(&["tmux"], How::Terminal)
    },
    Entry {
        when: When::With(&["-r", "-x", "-R"]),
        never: &["-ls", "-list"],
        ..row(&["screen"], How::Terminal)
    },
    Entry {
        values: &["-S"],
        when: When::Operands(0),
        never: &["-d", "-m", "-r", "-x", "-R", "-ls", "-list", "-v"],
        ..row(&["screen"], How::Terminal)
    },
    Entry {
        ..row(&["mosh", "minicom", "picocom"], How::Terminal)
    },
    // Answers read from the terminal.
    Entry {
        when: When::Unless(&["-u"]),
        fed_ok: true,
        ..row(&["read"], How::Reads)
    },
    Entry {
        fed_ok: true,
        ..row(&["select"], How::Reads)
    },
    Entry {
        never: &[
            "--stdin", "-S", "--status", "-l", "--lock", "-u", "--unlock", "-d", "--delete", "-e",
            "--expire",
        ],
        fed_ok: true,
        ..row(
            &[
                "passwd",
                "chsh",
                "chfn",
                "kpasswd",
                "mysql_secure_installation",
            ],
            How::Reads,
        )
    },
    Entry {
        when: When::Unless(&["-b", "-i"]),
        fed_ok: true,
        ..row(&["htpasswd"], How::Reads)
    },
    // Confirmations.
    Entry {
        sub: Some(&[
            "install",
            "remove",
            "purge",
            "upgrade",
            "dist-upgrade",
            "full-upgrade",
            "autoremove",
            "reinstall",
        ]),
        values: &["-o", "-c", "-t"],
        when: When::Unless(&[
            "-y",
            "--yes",
            "--assume-yes",
            "--assume-no",
            "-s",
            "--simulate",
        ]),
        fed_ok: true,
        ..row(&["apt", "apt-get"], How::Confirms)
    },
    Entry {
        sub: Some(&[
            "install",
            "remove",
            "erase",
            "update",
            "upgrade",
            "downgrade",
            "reinstall",
            "autoremove",
        ]),
        when: When::Unless(&["-y", "--assumeyes", "--assumeno"]),
        fed_ok: true,
        ..row(&["yum", "dnf", "microdnf"], How::Confirms)
    },
    Entry {
        sub: Some(&["apply"]),
        values: &["-var", "-var-file", "-target", "-chdir"],
        when: When::Operands(0),
        never: &["-auto-approve", "--auto-approve", "-input=false"],
        fed_ok: true,
        ..row(&["terraform", "tofu"], How::Confirms)
    },
    Entry {
        sub: Some(&["destroy"]),
        values: &["-var", "-var-file", "-target", "-chdir"],
        when: When::Unless(&["-auto-approve", "--auto-approve", "-input=false"]),
        fed_ok: true,
        ..row(&["terraform", "tofu"], How::Confirms)
    },
    Entry {
        when: When::With(&["-i", "--interactive"]),
        fed_ok: true,
        ..row(&["rm", "cp", "mv", "ln"], How::Confirms)
    },
    Entry {
        sub: Some(&[
            "system",
            "volume",
            "image",
            "container",
            "network",
            "builder",
        ]),
        values: DOCKER_VALUES,
        when: When::With(&["prune"]),
        never: &["-f", "--force"],
        fed_ok: true,
        ..row(DOCKER, How::Confirms)
    },
    Entry {
        sub: Some(&["reset"]),
        when: When::Unless(&["-f", "--force"]),
        fed_ok: true,
        ..row(&["kubeadm"], How::Confirms)
    },
    Entry {
        sub: Some(&["uninstall"]),
        when: When::Unless(&["-y", "--yes"]),
        fed_ok: true,
        ..row(&["pip", "pip3"], How::Confirms)
    },
    // Commands that never end by themselves.
    endless(&["tail"], When::With(&["-f", "-F", "--follow", "--retry"])),
    endless(&["journalctl"], When::With(&["-f", "--follow"])),
    endless(&["dmesg"], When::With(&["-w", "--follow", "-W"])),
    endless(&["watch", "stern", "kail"], When::Always),
    endless(&["sleep"], When::With(&["infinity", "inf"])),
    endless(
        &["ping", "ping6"],
        When::Unless(&["-c", "--count", "-w", "--deadline"]),
    ),
    endless(&["tcpdump", "tshark"], When::Unless(&["-c", "-r"])),
    endless(&["inotifywait"], When::With(&["-m", "--monitor"])),
    endless(
        &["nc", "ncat", "netcat", "socat"],
        When::With(&["-l", "--listen"]),
    ),
    Entry {
        sub: Some(&["logs"]),
        values: KUBECTL_VALUES,
        ..endless(KUBECTL, When::With(&["-f", "--follow"]))
    },
    Entry {
        sub: Some(&["get", "rollout"]),
        values: KUBECTL_VALUES,
        ..endless(KUBECTL, When::With(&["-w", "--watch"]))
    },
    Entry {
        sub: Some(&["port-forward", "proxy"]),
        values: KUBECTL_VALUES,
        ..endless(KUBECTL, When::Always)
    },
    Entry {
        sub: Some(&["logs"]),
        values: DOCKER_VALUES,
        ..endless(
            &["docker", "podman", "docker-compose", "podman-compose"],
            When::With(&["-f", "--follow"]),
        )
    },
    Entry {
        sub: Some(&["events", "stats"]),
        values: DOCKER_VALUES,
        ..endless(DOCKER, When::Unless(&["--until", "--no-stream"]))
    },
];

/// What a wrapper does with its arguments.
pub(super) enum Wrapped {
    /// The command it runs starts at this argument.
    At(usize),
    /// The argument is shell code it runs (`sh -c '…'`).
    Code(usize),
    /// With nothing to run, it is itself interactive (`sudo -i`).
    Itself(How),
    /// A login that runs the command its arguments from `at` on make,
    /// joined with spaces, on the other side (`ssh host 'vim /etc/x'`);
    /// `tty`: it was asked for a terminal (`ssh -t`).
    Remote { at: usize, tty: bool },
    /// It runs nothing we can read.
    Nothing,
}

/// Whether `name` is a wrapper, and what it runs.
pub(super) fn wrapped(name: &str, args: &[Word]) -> Option<Wrapped> {
    let at = |values: &[&str]| match positional(args, values, 0) {
        Some(k) => Wrapped::At(k),
        None => Wrapped::Nothing,
    };
    Some(match name {
        "nohup" | "exec" | "command" | "builtin" | "unbuffer" | "setsid" | "time" | "stdbuf"
        | "ionice" | "caffeinate" | "fakeroot" | "torsocks" | "proxychains" | "proxychains4" => {
            if name == "command" && (has_flag(args, "-v") || has_flag(args, "-V")) {
                Wrapped::Nothing
            } else {
                at(&["-n", "-c", "-i", "-o", "-e", "-a"])
            }
        }
        "nice" => at(&["-n", "--adjustment"]),
        // GNU xargs gives its command the terminal only with -o, but an
        // editor under it still takes the screen.
        "xargs" => at(&[
            "-I",
            "-n",
            "-P",
            "-L",
            "-d",
            "-E",
            "-s",
            "-a",
            "--arg-file",
            "--delimiter",
            "--max-args",
            "--max-procs",
            "--max-lines",
            "--replace",
        ]),
        // The remote command decides; with none, the table's rows do.
        "ssh" | "autossh" => match positional(args, SSH_VALUES, 0) {
            Some(host) if host + 1 < args.len() => Wrapped::Remote {
                at: host + 1,
                tty: has_flag(&args[..host], "-t"),
            },
            _ => return None,
        },
        "timeout" => match positional(args, &["-s", "--signal", "-k", "--kill-after"], 0) {
            Some(k) => Wrapped::At(k + 1),
            None => Wrapped::Nothing,
        },
        "flock" | "chroot" => match positional(args, &["-w", "-E", "--timeout"], 0) {
            Some(k) => Wrapped::At(k + 1),
            None => Wrapped::Nothing,
        },
        "env" => {
            // Assignments and options, then the command.
            let mut k = 0;
            while let Some(w) = args.get(k) {
                let t = w.text.as_str();
                if matches!(t, "-u" | "--unset" | "-C" | "--chdir" | "-S") {
                    k += 2;
                } else if t.starts_with('-') || t.contains('=') {
                    k += 1;
                } else {
                    return Some(Wrapped::At(k));
                }
            }
            Wrapped::Nothing
        }
        "sudo" | "doas" | "runuser" | "pkexec" => {
            let values = &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"];
            match positional(args, values, 0) {
                Some(k) => Wrapped::At(k),
                None if has_flag(args, "-i") || has_flag(args, "-s") || name == "pkexec" => {
                    Wrapped::Itself(How::Prompt)
                }
                None => Wrapped::Nothing,
            }
        }
        _ if SHELLS.contains(&name) => match code_after(args, "-c") {
            Some(k) => Wrapped::Code(k),
            None => return None,
        },
        "su" | "runcon" => match code_after(args, "-c").or_else(|| code_after(args, "--command")) {
            Some(k) => Wrapped::Code(k),
            None => return None,
        },
        _ => return None,
    })
}

/// The argument after a `-c` flag (alone or ending a group like `-lc`).
fn code_after(args: &[Word], flag: &str) -> Option<usize> {
    let letter = flag.strip_prefix('-').filter(|l| l.len() == 1);
    let k = args.iter().position(|w| {
        let t = w.text.as_str();
        t == flag
            || letter.is_some_and(|l| {
                t.starts_with('-') && !t.starts_with("--") && t.ends_with(l) && t.len() > 1
            })
    })?;
    (k + 1 < args.len()).then_some(k + 1)
}

/// Whether the option takes the next word as its value.
fn takes_value(word: &str, values: &[&str]) -> bool {
    values.contains(&word)
}

/// The index of the first operand from `from` on, skipping options and
/// their values.
pub(super) fn positional(args: &[Word], values: &[&str], from: usize) -> Option<usize> {
    let mut k = from;
    while let Some(w) = args.get(k) {
        let t = w.text.as_str();
        if t == "--" {
            return (k + 1 < args.len()).then_some(k + 1);
        }
        if t.starts_with('-') && t.len() > 1 {
            k += if takes_value(t, values) { 2 } else { 1 };
        } else {
            return Some(k);
        }
    }
    None
}

/// How many operands there are (everything after `--` counts).
pub(super) fn positionals(args: &[Word], values: &[&str]) -> usize {
    let mut n = 0;
    let mut k = 0;
    while let Some(k2) = positional(args, values, k) {
        if args.get(k2.wrapping_sub(1)).is_some_and(|w| w.text == "--") {
            return n + args.len() - k2;
        }
        n += 1;
        k = k2 + 1;
    }
    n
}

/// The end of a program's own options.
pub(super) fn own_end(args: &[Word], values: &[&str], until: Until) -> usize {
    match until {
        Until::Separator => args
            .iter()
            .position(|w| w.text == "--")
            .unwrap_or(args.len()),
        Until::Operand => positional(args, values, 0).unwrap_or(args.len()),
    }
}

/// Whether `flag` is among the words: `-t` alone or in a group (`-it`),
/// `--tty` or `--tty=…`, `-auto-approve`, or a plain word (`prune`).
pub(super) fn has_flag(args: &[Word], flag: &str) -> bool {
    args.iter().any(|w| {
        let t = w.text.as_str();
        if t == flag {
            return true;
        }
        if let Some(long) = flag.strip_prefix("--") {
            return t
                .strip_prefix("--")
                .and_then(|r| r.strip_prefix(long))
                .is_some_and(|r| r.starts_with('='));
        }
        match flag.strip_prefix('-') {
            Some(letter) if letter.len() == 1 => {
                let group = t.strip_prefix('-').filter(|g| !g.starts_with('-'));
                // `-it`, `-Atc`: a short group; `-cSELECT…`: a value attached.
                t.starts_with(flag)
                    || group.is_some_and(|g| {
                        g.len() <= 4
                            && g.chars().all(|c| c.is_ascii_alphabetic())
                            && g.contains(letter)
                    })
            }
            Some(long) => t
                .strip_prefix('-')
                .and_then(|r| r.strip_prefix(long))
                .is_some_and(|r| r.starts_with('=')),
            None => false,
        }
    })
}
