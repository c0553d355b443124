//! Real, throwaway PostgreSQL clusters for integration tests.
//!
//! Use it from a test module with `use crate::support::pg;`.
//!
//! Each [`Cluster`] is a fresh `initdb` under the system temp dir, listening on
//! a free loopback TCP port with TLS (a self-signed CA and a server certificate
//! for `localhost` and `127.0.0.1`) and SCRAM password authentication over TCP.
//! [`pair`] starts two of them once per test binary: staging and production.
//!
//! No cluster outlives the test process: next to every server runs a small
//! watchdog, in its own session, that holds the read end of a pipe whose write
//! end only the test process holds. When the process ends, however it ends
//! (a panic, `exit`, SIGKILL), the kernel closes the write end, the watchdog
//! reads end-of-file, stops the server (`pg_ctl stop -m immediate`) and
//! deletes the cluster directory. Dropping an owned `Cluster` does the same
//! at once.
//!
//! PostgreSQL refuses to run as root, so when the tests run as root, `initdb`,
//! `pg_ctl`, the server and the watchdog run as the `postgres` system user
//! (created by Debian's `postgresql` package). `psql` runs as the current user.
// Also included by benches/, which do not allow unwrap crate-wide.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::io::{PipeWriter, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const INSTALL_HINT: &str = "install the PostgreSQL server binaries with \
    `sudo apt-get install -y postgresql` (Debian/Ubuntu; `bash .ci/run` does it)";

/// One running PostgreSQL cluster; stopped and deleted on drop (or, for a
/// cluster that is never dropped, when the test process ends).
pub struct Cluster {
    name: String,
    port: u16,
    password: String,
    /// Holds everything: `data/`, the certificates, the log, the socket.
    dir: PathBuf,
    data: PathBuf,
    ca_cert: PathBuf,
    /// `(uid, gid)` the server runs as when the tests run as root.
    run_as: Option<(u32, u32)>,
    watchdog: Option<Child>,
    /// The watchdog's lifeline: closing it makes the watchdog clean up.
    lifeline: Option<PipeWriter>,
}

impl Cluster {
    /// `initdb` + start on a free loopback TCP port, with TLS on.
    ///
    /// Panics with a clear message if PostgreSQL (or `openssl`) is not
    /// installed, or if any step fails (the command, its stderr, and the tail
    /// of the server log).
    pub fn start(name: &str) -> Cluster {
        for tool in ["initdb", "pg_ctl", "postgres", "psql"] {
            bin(tool);
        }
        let openssl = on_path("openssl").unwrap_or_else(|| {
            panic!("`openssl` not found on PATH; install it with `sudo apt-get install -y openssl`")
        });
        let run_as = server_user();

        let safe: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let dir = tempfile::Builder::new()
            .prefix(&format!("runsheet-pg-{safe}-"))
            .tempdir()
            .unwrap_or_else(|e| panic!("pg cluster {name}: cannot create a temp dir: {e}"))
            .keep();
        // The temp dir is 0700 and owned by whoever runs the tests: hand it
        // to the server's user.
        give(&dir, run_as);
        let data = dir.join("data");

        // The watchdog first, so that even a failed start is cleaned up.
        let (watchdog, lifeline) = spawn_watchdog(&dir, &data, run_as);

        // The superuser password, for `initdb --pwfile`.
        let password = random_hex(16);
        let pwfile = dir.join("pwfile");
        write_private(&pwfile, &password, run_as);

        let mut cluster = Cluster {
            name: name.to_owned(),
            port: 0,
            password,
            dir: dir.clone(),
            data: data.clone(),
            ca_cert: dir.join("ca.crt"),
            run_as,
            watchdog: Some(watchdog),
            lifeline: Some(lifeline),
        };

        // initdb (about a second) while openssl makes the certificates.
        std::thread::scope(|scope| {
            let certs = scope.spawn(|| make_certs(&openssl, &dir, run_as));
            run(
                // TZ: the clusters' time zone is UTC, whatever the machine's.
                server_cmd(&bin("initdb"), &dir, run_as)
                    .env("TZ", "UTC")
                    .args([
                        OsStr::new("-N"),
                        OsStr::new("--no-instructions"),
                        OsStr::new("-D"),
                        data.as_os_str(),
                        OsStr::new("-U"),
                        OsStr::new("postgres"),
                        OsStr::new("--pwfile"),
                        pwfile.as_os_str(),
                        OsStr::new("--auth-local=trust"),
                        OsStr::new("--auth-host=scram-sha-256"),
                        OsStr::new("-E"),
                        OsStr::new("UTF8"),
                        OsStr::new("--no-locale"),
                    ]),
                &format!("pg cluster {name}: initdb"),
            );
            if let Err(payload) = certs.join() {
                std::panic::resume_unwind(payload);
            }
        });
        let _ = std::fs::remove_file(&pwfile);

        let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "''"));
        let settings = format!(
            "\n# runsheet test harness\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = {socket}\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n\
             ssl = on\n\
             ssl_cert_file = {cert}\n\
             ssl_key_file = {key}\n",
            socket = quote(&dir),
            cert = quote(&dir.join("server.crt")),
            key = quote(&dir.join("server.key")),
        );
        let conf = data.join("postgresql.conf");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&conf)
            .and_then(|mut f| f.write_all(settings.as_bytes()))
            .unwrap_or_else(|e| panic!("pg cluster {name}: cannot write {}: {e}", conf.display()));

        // Start on a free port; another process may take the port between
        // our probe and the server's bind, so retry on a clash.
        let log = dir.join("server.log");
        for attempt in 1.. {
            let port = free_port();
            let log_start = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
            let out = output(
                server_cmd(&bin("pg_ctl"), &dir, run_as)
                    .args([OsStr::new("start"), OsStr::new("-w"), OsStr::new("-s")])
                    .args(["-t", "60"])
                    .arg("-D")
                    .arg(&data)
                    .arg("-l")
                    .arg(&log)
                    .arg("-o")
                    .arg(format!("-p {port}")),
                &format!("pg cluster {name}: pg_ctl start"),
            );
            if out.status.success() {
                cluster.port = port;
                break;
            }
            let new_log = read_lossy(&log)
                .get(usize::try_from(log_start).unwrap_or(0)..)
                .unwrap_or_default()
                .to_owned();
            if attempt < 10 && new_log.contains("Address already in use") {
                continue;
            }
            panic!(
                "pg cluster {name}: `pg_ctl start` on port {port} failed ({})\n\
                 --- stderr ---\n{}\n--- server log ({}) ---\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end(),
                log.display(),
                tail(&read_lossy(&log), 40),
            );
        }
        cluster
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The password of the superuser `postgres`.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// `postgresql://postgres:PASSWORD@127.0.0.1:PORT/db`
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgresql://postgres:{}@127.0.0.1:{}/{db}",
            self.password, self.port
        )
    }

    /// PEM of the CA that signed the server certificate (subjectAltName
    /// `DNS:localhost`, `IP:127.0.0.1`), for `sslmode=verify-full`.
    pub fn ca_cert(&self) -> &Path {
        &self.ca_cert
    }

    /// The cluster's directory (the data directory is `dir/data`, the server
    /// log `dir/server.log`, the Unix socket is in `dir`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `CREATE DATABASE db`.
    pub fn create_db(&self, db: &str) {
        self.psql(
            "postgres",
            &format!("CREATE DATABASE \"{}\"", db.replace('"', "\"\"")),
        );
    }

    /// Runs `sql` (any number of statements) through `psql -X -q -v
    /// ON_ERROR_STOP=1 -At` as the superuser, over the cluster's Unix socket.
    /// Returns stdout without its final newline (rows on lines, columns
    /// separated by `|`); panics with stderr if psql fails.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let mut cmd = Command::new(bin("psql"));
        clear_pg_env(&mut cmd);
        cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-U", "postgres"])
            .arg("-h")
            .arg(&self.dir)
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-d")
            .arg(db)
            .args(["-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let what = format!("pg cluster {}: psql -d {db}", self.name);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{what}: cannot start {}: {e}", bin("psql").display()));
        let mut stdin = child.stdin.take();
        let out = std::thread::scope(|scope| {
            scope.spawn(move || {
                if let Some(stdin) = stdin.as_mut() {
                    // A failure to write shows up as psql's own error.
                    let _ = stdin.write_all(sql.as_bytes());
                }
            });
            child.wait_with_output()
        })
        .unwrap_or_else(|e| panic!("{what}: {e}"));
        if !out.status.success() {
            panic!(
                "{what} failed ({})\n--- sql ---\n{sql}\n--- stderr ---\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end()
            );
        }
        let mut stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if stdout.ends_with('\n') {
            stdout.pop();
        }
        stdout
    }

    /// Stops the server and keeps its data (`pg_ctl stop -m fast`): an
    /// outage, which [`Cluster::restart`] ends.
    pub fn halt(&self) {
        let out = output(
            server_cmd(&bin("pg_ctl"), &self.dir, self.run_as)
                .args(["stop", "-m", "fast", "-w", "-s", "-t", "30", "-D"])
                .arg(&self.data),
            &format!("pg cluster {}: pg_ctl stop", self.name),
        );
        assert!(
            out.status.success(),
            "pg cluster {}: stop failed: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts a halted server again, on the same port.
    pub fn restart(&self) {
        let out = output(
            server_cmd(&bin("pg_ctl"), &self.dir, self.run_as)
                .args(["start", "-w", "-s", "-t", "60", "-D"])
                .arg(&self.data)
                .arg("-l")
                .arg(self.dir.join("server.log"))
                .arg("-o")
                .arg(format!("-p {}", self.port)),
            &format!("pg cluster {}: pg_ctl start", self.name),
        );
        assert!(
            out.status.success(),
            "pg cluster {}: restart failed: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Path of a PostgreSQL binary (`pg_dump`, `pg_restore`, `psql` ...).
    pub fn bin(&self, name: &str) -> PathBuf {
        bin(name)
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`) and deletes the
    /// cluster directory.
    fn stop(&mut self) {
        // Never panics: this runs in Drop, maybe while a test unwinds.
        let _ = server_cmd(&bin("pg_ctl"), Path::new("/"), self.run_as)
            .args(["stop", "-m", "immediate", "-w", "-s", "-t", "30", "-D"])
            .arg(&self.data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        // End of file for the watchdog: it stops (already done) and deletes.
        drop(self.lifeline.take());
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Two clusters shared by all tests of one test binary: `(staging,
/// production)`. Started once, lazily, on two threads; never dropped (their
/// watchdogs remove them when the test process ends).
pub fn pair() -> &'static (Cluster, Cluster) {
    static PAIR: OnceLock<Result<(Cluster, Cluster), String>> = OnceLock::new();
    let pair = PAIR.get_or_init(|| {
        let started = Instant::now();
        let (staging, production) = std::thread::scope(|scope| {
            let staging = scope.spawn(|| Cluster::start("staging"));
            let production = scope.spawn(|| Cluster::start("production"));
            (staging.join(), production.join())
        });
        match (staging, production) {
            (Ok(staging), Ok(production)) => {
                eprintln!(
                    "pg: staging (port {}) and production (port {}) started in {:.2?}",
                    staging.port,
                    production.port,
                    started.elapsed()
                );
                Ok((staging, production))
            }
            (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(panic_text(&e)),
            (Err(a), Err(b)) => Err(format!("{}\n\n{}", panic_text(&a), panic_text(&b))),
        }
    });
    match pair {
        Ok(pair) => pair,
        Err(message) => panic!("the staging/production PostgreSQL pair did not start:\n{message}"),
    }
}

/// A database name unique within the process: `unique_db("compare")` ->
/// `"compare_3"`.
pub fn unique_db(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    format!("{prefix}_{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

// ---------------------------------------------------------------------------

/// The directory of the PostgreSQL binaries: `pg_config --bindir`, else the
/// highest `/usr/lib/postgresql/*/bin`; `None` means: look each up on PATH.
fn bindir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let has_initdb = |dir: &Path| dir.join("initdb").is_file();
        if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
            && out.status.success()
        {
            let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if has_initdb(&dir) {
                return Some(dir);
            }
        }
        let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let version = entry
                    .file_name()
                    .to_str()?
                    .split('.')
                    .map(|n| n.parse().ok())
                    .collect::<Option<Vec<u32>>>()?;
                let dir = entry.path().join("bin");
                has_initdb(&dir).then_some((version, dir))
            })
            .collect();
        versions.sort();
        versions.pop().map(|(_, dir)| dir)
    })
    .as_deref()
}

/// Path of a PostgreSQL binary; panics, saying how to install it, if missing.
fn bin(name: &str) -> PathBuf {
    if let Some(dir) = bindir()
        && dir.join(name).is_file()
    {
        return dir.join(name);
    }
    on_path(name).unwrap_or_else(|| {
        panic!(
            "PostgreSQL binary `{name}` not found (looked in `pg_config --bindir`, \
             /usr/lib/postgresql/*/bin and PATH); {INSTALL_HINT}"
        )
    })
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// `Some((uid, gid))` of the `postgres` user when running as root.
fn server_user() -> Option<(u32, u32)> {
    if effective_uid() != 0 {
        return None;
    }
    let out = Command::new("getent")
        .args(["passwd", "postgres"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .or_else(|| {
            std::fs::read_to_string("/etc/passwd")
                .ok()?
                .lines()
                .find(|line| line.starts_with("postgres:"))
                .map(str::to_owned)
        });
    let ids = out.and_then(|line| {
        let fields: Vec<&str> = line.trim().split(':').collect();
        Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?))
    });
    ids.unwrap_or_else(|| {
        panic!(
            "the tests run as root, which PostgreSQL refuses, and there is no `postgres` \
             system user to run it as; {INSTALL_HINT} (it creates that user), or run the \
             tests as an ordinary user"
        )
    })
    .into()
}

fn effective_uid() -> u32 {
    // /proc/self/status: "Uid:\treal\teffective\tsaved\tfs".
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .or_else(|| {
            let out = Command::new("id").arg("-u").output().ok()?;
            String::from_utf8_lossy(&out.stdout).trim().parse().ok()
        })
        .expect("cannot tell which user runs the tests")
}

/// Gives `path` to the server's user (when running as root).
fn give(path: &Path, run_as: Option<(u32, u32)>) {
    if let Some((uid, gid)) = run_as {
        chown(path, Some(uid), Some(gid))
            .unwrap_or_else(|e| panic!("cannot chown {} to postgres: {e}", path.display()));
    }
}

fn write_private(path: &Path, text: &str, run_as: Option<(u32, u32)>) {
    std::fs::write(path, text)
        .and_then(|()| std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    give(path, run_as);
}

/// A command for a server-side binary: run as the server's user, from the
/// cluster dir (the server's user may not be able to enter the current one),
/// without the caller's PG* environment.
fn server_cmd(program: &Path, dir: &Path, run_as: Option<(u32, u32)>) -> Command {
    let mut cmd = Command::new(program);
    clear_pg_env(&mut cmd);
    cmd.current_dir(dir).stdin(Stdio::null());
    if let Some((uid, gid)) = run_as {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

fn clear_pg_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PG") {
            cmd.env_remove(key);
        }
    }
}

/// Runs a command to completion; panics if it cannot start.
fn output(cmd: &mut Command, what: &str) -> Output {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{what}: cannot run {:?} in {:?}: {e} (when the tests run as root, the \
                 `postgres` user must be able to reach the system temp dir)",
                cmd.get_program(),
                cmd.get_current_dir().unwrap_or(Path::new(".")),
            )
        })
}

/// Runs a command that must succeed; panics with its output if it fails.
fn run(cmd: &mut Command, what: &str) -> Output {
    let out = output(cmd, what);
    if !out.status.success() {
        panic!(
            "{what} failed ({})\n--- command ---\n{:?}\n--- stderr ---\n{}\n--- stdout ---\n{}",
            out.status,
            cmd,
            String::from_utf8_lossy(&out.stderr).trim_end(),
            String::from_utf8_lossy(&out.stdout).trim_end(),
        );
    }
    out
}

/// A CA, and a server certificate for `localhost`/`127.0.0.1` signed by it
/// (P-256 keys: instant to generate).
fn make_certs(openssl: &Path, dir: &Path, run_as: Option<(u32, u32)>) {
    let cnf = dir.join("openssl.cnf");
    std::fs::write(
        &cnf,
        "[req]\n\
         distinguished_name = dn\n\
         prompt = no\n\
         [dn]\n\
         CN = unused\n\
         [ca]\n\
         basicConstraints = critical,CA:TRUE\n\
         keyUsage = critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier = hash\n\
         [server]\n\
         basicConstraints = critical,CA:FALSE\n\
         keyUsage = critical,digitalSignature\n\
         extendedKeyUsage = serverAuth\n\
         subjectAltName = DNS:localhost,IP:127.0.0.1\n\
         subjectKeyIdentifier = hash\n\
         authorityKeyIdentifier = keyid\n",
    )
    .unwrap_or_else(|e| panic!("cannot write {}: {e}", cnf.display()));
    // Every argument is a plain word: the file names are fixed, in `dir`.
    let openssl = |args: &str| {
        let mut cmd = Command::new(openssl);
        cmd.current_dir(dir)
            .stdin(Stdio::null())
            .args(args.split_whitespace());
        run(&mut cmd, "making the test certificates: openssl");
    };
    let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    openssl(&format!(
        "req -config openssl.cnf -x509 -days 7 {key} -keyout ca.key -out ca.crt \
         -subj /CN=runsheet-test-CA -extensions ca"
    ));
    openssl(&format!(
        "req -config openssl.cnf -new {key} -keyout server.key -out server.csr \
         -subj /CN=localhost"
    ));
    openssl(&format!(
        "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -days 7 -set_serial 0x{} \
         -extfile openssl.cnf -extensions server -out server.crt",
        random_hex(16)
    ));
    // The server reads its key only if it is 0600 and its own.
    for file in "ca.crt ca.key server.csr server.crt openssl.cnf".split(' ') {
        give(&dir.join(file), run_as);
    }
    let key = dir.join("server.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", key.display()));
    give(&key, run_as);
}

/// Starts the watchdog: in its own session, as the server's user, it waits
/// for end-of-file on a pipe only this process can write to, then stops the
/// server and deletes `dir`.
fn spawn_watchdog(dir: &Path, data: &Path, run_as: Option<(u32, u32)>) -> (Child, PipeWriter) {
    let (reader, writer) = std::io::pipe().expect("pg watchdog: cannot make a pipe");
    let script =
        r#"read -r _; "$1" stop -D "$2" -m immediate -w -t 30 >/dev/null 2>&1; rm -rf -- "$3""#;
    let bash = on_path("bash").expect("pg watchdog: `bash` not found on PATH");
    let mut cmd = match on_path("setsid") {
        Some(setsid) => {
            let mut cmd = Command::new(setsid);
            cmd.arg(bash);
            cmd
        }
        None => {
            let mut cmd = Command::new(bash);
            cmd.process_group(0);
            cmd
        }
    };
    cmd.arg("-c")
        .arg(script)
        .arg("runsheet-pg-watchdog")
        .arg(bin("pg_ctl"))
        .arg(data)
        .arg(dir)
        .current_dir("/")
        .stdin(reader)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    clear_pg_env(&mut cmd);
    if let Some((uid, gid)) = run_as {
        cmd.uid(uid).gid(gid);
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("pg watchdog: cannot start {cmd:?}: {e}"));
    (child, writer)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("cannot find a free port on 127.0.0.1")
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .expect("cannot read /dev/urandom");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_else(|e| format!("(cannot read {}: {e})", path.display()))
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(a panic without a message)".to_owned())
}
