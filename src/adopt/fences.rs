//! Which language an untyped fence (or a terminal transcript) should say,
//! read from what it holds. A simple rule for now: the lead plugs in
//! `runbook::fences::classify` (helper "fences") behind [`language_for`].

/// Languages whose blocks are terminal transcripts: `$ command` lines and
/// the output they printed.
pub const TRANSCRIPTS: [&str; 6] = [
    "console",
    "shell-session",
    "sh-session",
    "shellsession",
    "terminal",
    "term",
];

/// Programs a runbook's shell lines start with; a block whose lines start
/// with them is commands, not output.
const COMMANDS: &[&str] = &[
    "ansible",
    "ansible-playbook",
    "apt",
    "apt-get",
    "aws",
    "az",
    "bash",
    "brew",
    "bundle",
    "cat",
    "cd",
    "certbot",
    "chmod",
    "chown",
    "cp",
    "createdb",
    "crontab",
    "curl",
    "date",
    "df",
    "dig",
    "docker",
    "docker-compose",
    "dropdb",
    "du",
    "echo",
    "env",
    "export",
    "find",
    "gcloud",
    "git",
    "grep",
    "gunzip",
    "gzip",
    "head",
    "helm",
    "host",
    "htop",
    "journalctl",
    "jq",
    "kill",
    "kubectl",
    "kubectx",
    "kubens",
    "less",
    "ln",
    "ls",
    "make",
    "mkdir",
    "more",
    "mv",
    "mysql",
    "mysqldump",
    "nano",
    "nc",
    "nginx",
    "node",
    "npm",
    "npx",
    "nslookup",
    "openssl",
    "patronictl",
    "pg_basebackup",
    "pg_ctl",
    "pg_ctlcluster",
    "pg_dump",
    "pg_dumpall",
    "pg_isready",
    "pg_restore",
    "pg_upgrade",
    "pg_lsclusters",
    "ping",
    "pip",
    "printf",
    "ps",
    "psql",
    "python",
    "python3",
    "rails",
    "rake",
    "read",
    "redis-cli",
    "rm",
    "rsync",
    "scp",
    "sed",
    "service",
    "set",
    "sh",
    "sleep",
    "source",
    "ssh",
    "sudo",
    "systemctl",
    "tail",
    "tar",
    "terraform",
    "test",
    "timeout",
    "top",
    "touch",
    "true",
    "unset",
    "vault",
    "vi",
    "vim",
    "watch",
    "wget",
    "yarn",
    "kubeadm",
    "etcdctl",
    "mc",
    "s3cmd",
    "pgbackrest",
    "barman",
    "wal-g",
    "repmgr",
    "pg_rewind",
    "pg_controldata",
    "rclone",
    "restic",
    "borg",
    "zcat",
    "tee",
    "awk",
    "xargs",
    "for",
    "if",
    "while",
    "cut",
    "sort",
    "uniq",
    "wc",
    "stat",
    "file",
    "id",
    "whoami",
    "hostname",
    "uptime",
    "free",
    "lsof",
    "ss",
    "netstat",
    "traceroute",
    "mtr",
    "telnet",
    "openstack",
    "k9s",
    "stern",
    "flux",
    "argocd",
    "kustomize",
    "skaffold",
    "minikube",
    "kind",
    "eksctl",
    "doctl",
    "heroku",
    "fly",
    "cargo",
    "go",
    "ruby",
    "gem",
    "php",
    "composer",
    "java",
    "mvn",
    "gradle",
    "dotnet",
    "nginx",
    "apachectl",
    "haproxy",
    "varnishadm",
    "redis-server",
    "mongo",
    "mongosh",
    "mongodump",
    "mongorestore",
    "cqlsh",
    "sqlite3",
    "supervisorctl",
    "pm2",
    "useradd",
    "usermod",
    "passwd",
    "mount",
    "umount",
    "lsblk",
    "fdisk",
    "mkfs",
    "e2fsck",
    "resize2fs",
    "pvcreate",
    "lvextend",
    "iptables",
    "ufw",
    "firewall-cmd",
    "chronyc",
    "timedatectl",
    "hostnamectl",
    "update-ca-certificates",
    "keytool",
    "step",
    "cfssl",
    "acme.sh",
    "dnscontrol",
    "octodns-sync",
    "nsupdate",
    "rndc",
    "named-checkconf",
    "named-checkzone",
    "unbound-control",
    "whois",
    "base64",
    "sha256sum",
    "md5sum",
    "diff",
    "cmp",
    "truncate",
    "chattr",
    "shred",
];

/// The first word of SQL statements.
const SQL: &[&str] = &[
    "select",
    "insert",
    "update",
    "delete",
    "alter",
    "create",
    "drop",
    "truncate",
    "vacuum",
    "analyze",
    "begin",
    "commit",
    "rollback",
    "grant",
    "revoke",
    "with",
    "explain",
    "reindex",
    "cluster",
    "copy",
    "refresh",
    "comment",
    "lock",
    "checkpoint",
];

/// The language an untyped fence should be given (`bash`, `sql`), or None
/// when it holds output, configuration or prose. `info` is the fence's
/// info string as written (empty for an untyped fence).
pub fn language_for(info: &str, code: &str) -> Option<&'static str> {
    let _ = info;
    let lines: Vec<&str> = code
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("--"))
        .collect();
    let first = lines.first()?;
    if is_sql_line(first) && code.contains(';') {
        return Some("sql");
    }
    let commands = lines.iter().filter(|l| is_command_line(l)).count();
    (is_command_line(first) && commands * 2 >= lines.len()).then_some("bash")
}

/// Whether the fence starts with a command but is mostly something else:
/// commands and their output in one fence, with no `$ ` to tell them apart.
pub fn starts_with_command(code: &str) -> bool {
    code.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(is_command_line)
}

/// A line whose first word (past `sudo`, `VAR=value`) is a known program.
pub fn is_command_line(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let mut word = words.next();
    while let Some(w) = word {
        let assignment = w.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if assignment && w != "export" {
            word = words.next();
            continue;
        }
        break;
    }
    let Some(w) = word else {
        return false;
    };
    let w = w.rsplit('/').next().unwrap_or(w);
    COMMANDS.contains(&w)
}

fn is_sql_line(line: &str) -> bool {
    let first = line
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    SQL.contains(&first.as_str())
}

/// The command of a transcript line (`$ kubectl get pods` → `kubectl get
/// pods`), None for output.
pub fn prompt_command(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if t == "$" {
        return Some("");
    }
    t.strip_prefix("$ ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_output_and_sql() {
        assert_eq!(language_for("", "kubectl get pods -n app\n"), Some("bash"));
        assert_eq!(
            language_for("", "sudo systemctl restart nginx\n"),
            Some("bash")
        );
        assert_eq!(
            language_for("", "PGPASSWORD=x psql -h db -c 'select 1'\n"),
            Some("bash")
        );
        assert_eq!(
            language_for("", "SELECT count(*) FROM users;\n"),
            Some("sql")
        );
        assert_eq!(
            language_for("", "NAME   READY   STATUS\napi-1  1/1  Running\n"),
            None
        );
        assert_eq!(language_for("", "server {\n  listen 80;\n}\n"), None);
        assert_eq!(language_for("", "Select the right option\n"), None);
        assert_eq!(
            language_for("", "kubectl get pods\nNAME READY\napi-1 1/1\nweb-1 1/1\n"),
            None
        );
        assert!(starts_with_command(
            "kubectl get pods\nNAME READY\napi-1 1/1\n"
        ));
    }

    #[test]
    fn prompts() {
        assert_eq!(
            prompt_command("$ kubectl get pods"),
            Some("kubectl get pods")
        );
        assert_eq!(prompt_command("  $ ls"), Some("ls"));
        assert_eq!(prompt_command("$HOME/bin"), None);
        assert_eq!(prompt_command("NAME READY"), None);
    }
}
