//! Real systems written into a runbook: a URL with a host, an ssh or scp
//! destination, a `--host` option. A rehearsal in the sandbox must never
//! reach them, and it can only be made not to when the host comes from a
//! variable that the rehearsal sets to a sandbox value: `check` says where
//! each literal one is, and the sandbox refuses an action that would reach
//! one (`action::reach`), with the same finder.
//!
//! Not hosts: loopback, the names reserved for examples and tests (RFC 2606
//! and 6761), placeholders (`<host>`, `$VAR`, `{{VAR}}`), e-mail addresses
//! outside an ssh-like command, comments, and a pasted session's output.

use std::net::{IpAddr, Ipv4Addr};
use std::ops::Range;

use super::diagnostic::Diagnostic;
use super::model::{Action, ActionKind, Runbook};
use super::role::Role;
use super::span::Span;

/// One literal real host in the runbook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiteralHost {
    /// Where it sits in the runbook's source.
    pub span: Span,
    pub host: String,
    /// How it is written: "a URL", "an ssh destination", "`--host`" …
    pub what: &'static str,
}

/// A host found in one text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The host's bytes in the text.
    pub range: Range<usize>,
    pub host: String,
    pub what: &'static str,
}

impl Runbook {
    /// Every literal real host of the sections that can run, and of the
    /// targets' `env:` and `database:`, in source order.
    pub fn literal_hosts(&self, source: &str) -> Vec<LiteralHost> {
        find(self, source)
    }
}

/// Every literal real host of the runbook (see `Runbook::literal_hosts`).
pub fn find(rb: &Runbook, source: &str) -> Vec<LiteralHost> {
    let mut out = Vec::new();
    for (p, s) in rb.steps() {
        // A context section is read, never run.
        if p.role == Role::Context || s.role == Role::Context {
            continue;
        }
        for a in &s.actions {
            for f in in_action(a) {
                out.push(LiteralHost {
                    span: a.code_span.within(f.range),
                    host: f.host,
                    what: f.what,
                });
            }
        }
    }
    out.extend(in_targets(source));
    out.sort_by_key(|h| h.span.start);
    out.dedup_by(|a, b| a.span == b.span);
    out
}

/// `check`'s warning for each literal real host.
pub(super) fn check(rb: &Runbook, source: &str, diags: &mut Vec<Diagnostic>) {
    for h in find(rb, source) {
        diags.push(
            Diagnostic::warning(
                "literal-host",
                h.span,
                format!(
                    "`{}` ({}) is a real system written in the runbook: a rehearsal in the sandbox would reach it",
                    h.host, h.what
                ),
            )
            .with_help(
                "put it in a variable (`KEYCLOAK_URL`) set by the target, and map it for rehearsals under `sandbox: env:`:\n\
                 targets:\n  production:\n    env:\n      KEYCLOAK_URL: $PROD_KEYCLOAK_URL\n\
                 sandbox:\n  env:\n    PROD_KEYCLOAK_URL: $APP_URL",
            ),
        );
    }
}

/// The real hosts an action's text names, as written (or as it will run,
/// once its variables are expanded: `action::reach`).
pub fn in_action(a: &Action) -> Vec<Found> {
    in_text(&a.kind, &a.code)
}

/// The real hosts in `text`, read as a block of `kind`.
pub fn in_text(kind: &ActionKind, text: &str) -> Vec<Found> {
    let mut out = match kind {
        ActionKind::Shell { .. } => in_shell(text),
        ActionKind::Http(check) => match text.find(check.url.as_str()) {
            Some(at) if !check.url.is_empty() => urls(&check.url, Schemes::Any)
                .into_iter()
                .map(|f| Found {
                    range: at + f.range.start..at + f.range.end,
                    ..f
                })
                .collect(),
            // The URL as given (the block was filled or expanded).
            _ => urls(text.lines().next().unwrap_or(""), Schemes::Any),
        },
        ActionKind::Sql { .. }
        | ActionKind::Compare(_)
        | ActionKind::Migrations(_)
        | ActionKind::Batch(_) => {
            // Data in a statement is not a destination; a connection is.
            let mut v = urls(text, Schemes::Database);
            v.extend(conninfo(text));
            v
        }
        // Buckets and keys, never hosts: the endpoint comes from `env:`.
        ActionKind::S3(_) => Vec::new(),
    };
    out.retain(|f| is_real(&f.host));
    out.sort_by_key(|f| f.range.start);
    out.dedup_by(|a, b| a.range.start == b.range.start);
    out
}

/// The real hosts of a value an action is given (a target's `env:` value,
/// a database URL), read as a value, not as a command.
pub fn in_value(name: &str, value: &str) -> Vec<Found> {
    let mut out = urls(value, Schemes::Any);
    if out.is_empty() && names_a_host(name) {
        let v = value.trim().trim_matches(['"', '\'']);
        let host = strip_port(v);
        if looks_like_host(host) {
            let at = value.find(host).unwrap_or(0);
            out.push(Found {
                range: at..at + host.len(),
                host: host.to_string(),
                what: "a host variable",
            });
        }
    }
    out.extend(conninfo(value));
    out.retain(|f| is_real(&f.host));
    out
}

/// Whether `host` is a real system: not loopback, not a name reserved for
/// documentation or tests, not a placeholder.
pub fn is_real(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    let h = h.trim_start_matches('[').trim_end_matches(']');
    if h.is_empty() || !looks_like_host(h) {
        return false;
    }
    if let Ok(ip) = h.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) => !(v4.is_loopback() || v4 == Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(v6) => !(v6.is_loopback() || v6.is_unspecified()),
        };
    }
    const RESERVED_DOMAINS: [&str; 3] = ["example.com", "example.net", "example.org"];
    const RESERVED_TLDS: [&str; 4] = ["localhost", "example", "test", "invalid"];
    // Words that stand for a host in documentation, not a host.
    const PLACEHOLDERS: [&str; 6] = ["host", "hostname", "server", "domain", "your-host", "xxx"];
    if PLACEHOLDERS.contains(&h) {
        return false;
    }
    let tld = h.rsplit('.').next().unwrap_or(h);
    if RESERVED_TLDS.contains(&tld) {
        return false;
    }
    !RESERVED_DOMAINS
        .iter()
        .any(|d| h == *d || h.ends_with(&format!(".{d}")))
}

/// A hostname or an IP address: letters, digits, `.`, `-`, `_`, `:` (IPv6),
/// with at least one letter or digit. Anything else (`$HOST`, `<host>`,
/// `{{host}}`, `*.foo`) is a placeholder or a pattern.
fn looks_like_host(h: &str) -> bool {
    !h.is_empty()
        && h.bytes().any(|b| b.is_ascii_alphanumeric())
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':'))
        && !h.starts_with(['-', '.'])
}

/// `DB_HOST`, `PGHOST`, `REDIS_HOSTNAME`, `SMTP_SERVER`: a name that says
/// its value is a host.
fn names_a_host(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    n == "HOST"
        || n.ends_with("HOST")
        || n.ends_with("_HOSTNAME")
        || n.ends_with("_SERVER")
        || n.ends_with("_ENDPOINT")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Schemes {
    Any,
    Database,
}

/// Schemes whose authority is a host on the network.
const NETWORK: &[&str] = &[
    "http",
    "https",
    "ws",
    "wss",
    "ftp",
    "ftps",
    "sftp",
    "ssh",
    "scp",
    "rsync",
    "git",
    "telnet",
    "ldap",
    "ldaps",
    "smtp",
    "smtps",
    "imap",
    "imaps",
    "amqp",
    "amqps",
    "mqtt",
    "mqtts",
    "nats",
    "kafka",
    "grpc",
    "grpcs",
    "tcp",
    "udp",
    "rtmp",
    "sip",
    "webdav",
    "dav",
    "nfs",
    "smb",
    "vnc",
    "rdp",
    "docker",
    "memcached",
    "elasticsearch",
];
const DATABASE: &[&str] = &[
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "redis",
    "rediss",
    "mongodb",
    "mongodb+srv",
    "mssql",
    "sqlserver",
    "oracle",
    "clickhouse",
    "cassandra",
    "couchdb",
    "jdbc:postgresql",
    "jdbc:mysql",
    "jdbc:sqlserver",
];

/// The real hosts of a URL (an http block's, once expanded).
pub fn in_url(url: &str) -> Vec<Found> {
    let mut out = urls(url, Schemes::Any);
    out.retain(|f| is_real(&f.host));
    out
}

/// Hosts of `scheme://[user[:pass]@]host[:port]` URLs.
fn urls(text: &str, which: Schemes) -> Vec<Found> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(off) = text[from..].find("://") {
        let at = from + off;
        from = at + 3;
        let mut s = at;
        while s > 0
            && (bytes[s - 1].is_ascii_alphanumeric()
                || matches!(bytes[s - 1], b'+' | b'.' | b'-' | b':'))
        {
            s -= 1;
        }
        while s < at && !bytes[s].is_ascii_alphabetic() {
            s += 1;
        }
        let scheme = text[s..at].to_ascii_lowercase();
        let known = DATABASE.contains(&scheme.as_str())
            || (which == Schemes::Any && NETWORK.contains(&scheme.as_str()));
        if !known {
            continue;
        }
        let mut e = from;
        while e < bytes.len()
            && !bytes[e].is_ascii_whitespace()
            && !matches!(
                bytes[e],
                b'/' | b'?'
                    | b'#'
                    | b'"'
                    | b'\''
                    | b'`'
                    | b')'
                    | b']'
                    | b','
                    | b';'
                    | b'>'
                    | b'|'
                    | b'\\'
            )
        {
            // `[::1]` stays whole.
            if bytes[e] == b'[' {
                while e < bytes.len() && bytes[e] != b']' {
                    e += 1;
                }
            }
            e += 1;
        }
        let e = e.min(bytes.len());
        let authority = &text[from..e];
        // The host follows the last `@` (a password may hold one).
        let host_at = authority.rfind('@').map_or(from, |i| from + i + 1);
        let rest = &text[host_at..e];
        let host = if rest.starts_with('[') {
            rest.find(']').map_or(rest, |i| &rest[..=i])
        } else {
            rest.split(':').next().unwrap_or(rest)
        };
        if host.is_empty() || !looks_like_host(host.trim_matches(['[', ']'])) {
            continue;
        }
        out.push(Found {
            range: host_at..host_at + host.len(),
            host: host.trim_matches(['[', ']']).to_string(),
            what: "a URL",
        });
    }
    out
}

/// `host=db.internal` in a libpq connection string (`psql "host=… dbname=…"`,
/// `dblink('host=…')`).
fn conninfo(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(off) = text[from..].find("host=") {
        let at = from + off;
        from = at + 5;
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| !(c.is_whitespace() || matches!(c, '\'' | '"' | '('))) {
            continue;
        }
        let value = &text[from..];
        let end = value
            .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | ')' | ','))
            .unwrap_or(value.len());
        // A list of hosts: each one.
        let mut at = from;
        for h in value[..end].split(',') {
            if looks_like_host(h) {
                out.push(Found {
                    range: at..at + h.len(),
                    host: h.to_string(),
                    what: "a connection string's `host=`",
                });
            }
            at += h.len() + 1;
        }
    }
    out
}

/// `host:5432` → `host`; an IPv6 address is left whole.
fn strip_port(v: &str) -> &str {
    if v.matches(':').count() > 1 {
        return v;
    }
    v.split(':').next().unwrap_or(v)
}

// --- shell ---------------------------------------------------------------

/// One word of a command line: its bytes in the text and its text with
/// quotes taken off.
#[derive(Clone, Debug)]
struct Word {
    range: Range<usize>,
    text: String,
    /// The word as written.
    raw: String,
    /// The word began a line, or followed `;`, `|`, `&`, `(`, `` ` ``.
    starts_command: bool,
}

/// Hosts in a shell block: URLs, ssh-like destinations, host options and
/// `…_HOST=` assignments, outside comments.
fn in_shell(text: &str) -> Vec<Found> {
    let code = blank_comments(text);
    let mut out = urls(&code, Schemes::Any);
    out.extend(conninfo(&code));
    let words = words(&code);
    for cmd in commands(&words) {
        out.extend(in_command(cmd));
    }
    for w in &words {
        out.extend(assignment(w));
    }
    out
}

/// The text with each comment replaced by spaces (byte offsets kept): a
/// `#` starting a word, outside quotes.
fn blank_comments(text: &str) -> String {
    let mut out = text.as_bytes().to_vec();
    let bytes = text.as_bytes();
    let (mut single, mut double) = (false, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\\' if !single => i += 1,
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single
                && !double
                && (i == 0
                    || bytes[i - 1].is_ascii_whitespace()
                    || matches!(bytes[i - 1], b';' | b'&' | b'|' | b'(')) =>
            {
                while i < bytes.len() && bytes[i] != b'\n' {
                    out[i] = b' ';
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    // Only ASCII bytes were replaced, by ASCII spaces: still UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// The words of a shell text, split at blanks and operators outside quotes.
fn words(code: &str) -> Vec<Word> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut starts_command = true;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            // A line continued with `\` goes on with the same command.
            let continued = i > 0 && bytes[i - 1] == b'\\';
            starts_command = starts_command || !continued;
            i += 1;
            continue;
        }
        if b.is_ascii_whitespace() || b == b'\\' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        if matches!(b, b';' | b'|' | b'&' | b'(' | b')' | b'`' | b'{' | b'}') {
            starts_command = !matches!(b, b')' | b'}');
            i += 1;
            continue;
        }
        let start = i;
        let mut text = String::new();
        let (mut single, mut double) = (false, false);
        while i < bytes.len() {
            let c = bytes[i];
            if !single
                && !double
                && (c.is_ascii_whitespace() || matches!(c, b';' | b'|' | b'&' | b'(' | b')' | b'`'))
            {
                break;
            }
            match c {
                b'\'' if !double => single = !single,
                b'"' if !single => double = !double,
                b'\\' if !single && i + 1 < bytes.len() => {
                    i += 1;
                    text.push(bytes[i] as char);
                }
                _ => text.push(c as char),
            }
            i += 1;
        }
        // Bytes pushed one by one: rebuild the text from the source when it
        // holds more than ASCII.
        let text = if text.is_ascii() {
            text
        } else {
            code[start..i].trim_matches(['"', '\'']).to_string()
        };
        out.push(Word {
            raw: code[start..i].to_string(),
            range: start..i,
            text,
            starts_command,
        });
        starts_command = false;
    }
    out
}

/// Simple commands: from a command-starting word to the next one.
fn commands(words: &[Word]) -> Vec<&[Word]> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, w) in words.iter().enumerate() {
        if w.starts_command && i > start {
            out.push(&words[start..i]);
            start = i;
        }
    }
    if start < words.len() {
        out.push(&words[start..]);
    }
    out
}

/// Words that run the next word as the command.
const WRAPPERS: &[&str] = &[
    "sudo", "env", "time", "nohup", "exec", "command", "nice", "then", "do", "else", "if", "while",
    "until", "!",
];

const SSH_LIKE: &[&str] = &[
    "ssh",
    "scp",
    "sftp",
    "rsync",
    "mosh",
    "ssh-copy-id",
    "autossh",
];

/// ssh's options that take a value (the value is not the destination).
const SSH_VALUED: &str = "BbcDEeFIiJLlmOoPpQRSWw";

/// Clients whose `-h HOST` is the server's host (for the others `-h` is help).
const DASH_H_HOST: &[&str] = &[
    "psql",
    "pg_dump",
    "pg_dumpall",
    "pg_restore",
    "pg_isready",
    "pg_basebackup",
    "createdb",
    "dropdb",
    "createuser",
    "dropuser",
    "vacuumdb",
    "reindexdb",
    "clusterdb",
    "pgbench",
    "mysql",
    "mysqldump",
    "mysqladmin",
    "mariadb",
    "mariadb-dump",
    "redis-cli",
    "mongo",
    "mongosh",
    "mongodump",
    "mongorestore",
    "clickhouse-client",
    "cqlsh",
];

/// Options, of any command, whose value is a host or a URL.
const HOST_OPTIONS: &[&str] = &[
    "--host",
    "--hostname",
    "--server",
    "--url",
    "--endpoint-url",
    "--endpoint",
    "--address",
    "--db-host",
    "--dbhost",
    "--remote",
    "--uri",
];

fn in_command(cmd: &[Word]) -> Vec<Found> {
    let mut i = 0;
    while i < cmd.len() {
        let t = cmd[i].text.as_str();
        let assignment = t.split_once('=').is_some_and(|(n, _)| {
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
        // A wrapper's own options (`sudo -u app`) come before the command.
        let wrapped = i > 0 && WRAPPERS.contains(&cmd[i - 1].text.as_str());
        if wrapped && matches!(t, "-u" | "-g" | "-C" | "-n") && t.len() == 2 {
            i += 2;
            continue;
        }
        if (wrapped && t.starts_with('-'))
            || assignment
            || WRAPPERS.contains(&t)
            || (i > 0
                && cmd[i - 1].text == "timeout"
                && t.bytes().next().is_some_and(|b| b.is_ascii_digit()))
            || t == "timeout"
        {
            i += 1;
            continue;
        }
        break;
    }
    let Some(name) = cmd
        .get(i)
        .map(|w| w.text.rsplit('/').next().unwrap_or(&w.text))
    else {
        return Vec::new();
    };
    let args = &cmd[i + 1..];
    let mut out = Vec::new();
    if SSH_LIKE.contains(&name) {
        out.extend(ssh_destinations(name, args));
    }
    let dash_h = DASH_H_HOST.contains(&name);
    for (k, w) in args.iter().enumerate() {
        let t = w.text.as_str();
        let (opt, value): (&str, Option<(&Word, usize)>) = match t.split_once('=') {
            Some((o, _)) if o.starts_with("--") => (o, Some((w, o.len() + 1))),
            _ => (t, args.get(k + 1).map(|n| (n, 0))),
        };
        let is_host_opt = HOST_OPTIONS.contains(&opt) || (dash_h && opt == "-h");
        if let Some(rest) = t
            .strip_prefix("-h")
            .filter(|r| dash_h && !r.is_empty() && !t.starts_with("--"))
        {
            out.extend(host_word(w, w.text.len() - rest.len(), "`-h`"));
            continue;
        }
        if !is_host_opt {
            continue;
        }
        if let Some((v, skip)) = value {
            out.extend(host_word(v, skip, "a host option"));
        }
    }
    out
}

/// The host a word holds from byte `skip` of its text on: a URL's is found
/// by `urls`, so only a bare `host[:port]` here.
fn host_word(w: &Word, skip: usize, what: &'static str) -> Option<Found> {
    let value = w.text.get(skip..)?;
    if value.contains("://") {
        return None;
    }
    let host = strip_port(value);
    if !looks_like_host(host) {
        return None;
    }
    locate(w, host, what)
}

/// A `Found` for `host` inside word `w`, by where it stands in the
/// source (the word's source may hold quotes its text does not).
fn locate(w: &Word, host: &str, what: &'static str) -> Option<Found> {
    let at = w
        .raw
        .find(host)
        .map_or(w.range.start, |i| w.range.start + i);
    let end = if w.raw.contains(host) {
        at + host.len()
    } else {
        w.range.end
    };
    Some(Found {
        range: at..end,
        host: host.to_string(),
        what,
    })
}

/// Destinations of ssh, scp, rsync and friends: `[user@]host`,
/// `[user@]host:path`, `host::module`, and `-J` jump hosts.
fn ssh_destinations(name: &str, args: &[Word]) -> Vec<Found> {
    let mut out = Vec::new();
    let copies = matches!(name, "scp" | "rsync");
    let mut k = 0;
    while k < args.len() {
        let w = &args[k];
        let t = w.text.as_str();
        if t.starts_with('-') && t.len() > 1 {
            let flag = t.as_bytes()[1] as char;
            if t.starts_with("--") {
                // rsync's `--rsh=…`, `--port=…`: nothing of a destination.
            } else if t.len() == 2 && SSH_VALUED.contains(flag) && name != "rsync" {
                if flag == 'J'
                    && let Some(v) = args.get(k + 1)
                {
                    for jump in v.text.split(',') {
                        out.extend(destination(v, jump, "an ssh jump host"));
                    }
                }
                k += 1;
            } else if t.len() > 2 && flag == 'J' {
                out.extend(destination(w, &t[2..], "an ssh jump host"));
            }
            k += 1;
            continue;
        }
        if copies {
            // Only `host:path` names a remote side; `./file` is local.
            if let Some((host, _)) = t.split_once(':')
                && !host.contains('/')
                && !host.is_empty()
            {
                out.extend(destination(w, host, "an scp/rsync destination"));
            }
        } else {
            out.extend(destination(w, t, "an ssh destination"));
            // The rest is the remote command.
            break;
        }
        k += 1;
    }
    out
}

/// The host of `[user@]host[:port]` (or `ssh://…`, left to `urls`).
fn destination(w: &Word, dest: &str, what: &'static str) -> Option<Found> {
    if dest.contains("://") {
        return None;
    }
    let host = dest.rsplit('@').next().unwrap_or(dest);
    let host = strip_port(host);
    if !looks_like_host(host) {
        return None;
    }
    locate(w, host, what)
}

/// `DB_HOST=db.internal`, `export PGHOST=…`: a host given to what follows.
fn assignment(w: &Word) -> Option<Found> {
    let (name, value) = w.text.split_once('=')?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    if !names_a_host(name) || value.contains("://") {
        return None;
    }
    let host = strip_port(value);
    if !looks_like_host(host) {
        return None;
    }
    locate(w, host, "a host variable")
}

/// Hosts in the targets' `database:` and `env:` values of the front
/// matter: they carry no span of their own, so they are read in its text.
fn in_targets(source: &str) -> Vec<LiteralHost> {
    let Some(body) = source.strip_prefix("---") else {
        return Vec::new();
    };
    let end = body.find("\n---").map_or(0, |e| e + 1);
    let head = &source[..3 + end];
    let mut out = Vec::new();
    let mut at = 0;
    let mut section = "";
    for line in head.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if !line.starts_with([' ', '\t', '#']) {
            section = line.split(':').next().unwrap_or("").trim();
        }
        if section == "targets"
            && !trimmed.starts_with('#')
            && let Some((raw_key, value)) = trimmed.split_once(':')
        {
            let key = raw_key.trim();
            // What describes a target is read by people, not given to commands.
            if !matches!(key, "description" | "protected" | "timeout" | "countdown") {
                let value_at = at + (line.len() - trimmed.len()) + raw_key.len() + 1;
                let value = value.split(" #").next().unwrap_or(value);
                for f in in_value(key, value) {
                    out.push(LiteralHost {
                        span: Span::new(value_at + f.range.start, value_at + f.range.end),
                        host: f.host,
                        what: if key == "database" {
                            "a target's database"
                        } else {
                            "a target's `env:` value"
                        },
                    });
                }
            }
        }
        at += line.len();
    }
    out
}
