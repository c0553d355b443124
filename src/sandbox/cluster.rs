//! A throwaway PostgreSQL cluster of the sandbox: `initdb` and `pg_ctl` on
//! a free loopback port, in a folder the sandbox owns. PostgreSQL refuses
//! to run as root, so under root the server runs as the `postgres` user of
//! the distribution's package.

use std::ffi::OsStr;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::error::SandboxError;

pub const INSTALL_HINT: &str = "install PostgreSQL's server binaries: `sudo apt-get install -y postgresql` (Debian, Ubuntu), `brew install postgresql` (macOS). Without them there is no sandbox, but `runsheet demo`, `check`, `replay`, `report` and runbooks run against real databases all work";

/// Where PostgreSQL's server binaries are.
#[derive(Clone, Debug)]
pub struct Binaries {
    dir: Option<PathBuf>,
}

impl Binaries {
    /// `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`,
    /// else PATH; an error says how to install them.
    pub fn find() -> Result<Binaries, SandboxError> {
        let from_config = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
            .filter(|d| d.join("initdb").exists());
        let debian = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|entries| {
                let mut dirs: Vec<(u32, PathBuf)> = entries
                    .filter_map(|e| e.ok())
                    .filter_map(|e| {
                        let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
                        let bin = e.path().join("bin");
                        bin.join("initdb").exists().then_some((v, bin))
                    })
                    .collect();
                dirs.sort();
                dirs.pop().map(|(_, d)| d)
            });
        let b = Binaries {
            dir: from_config.or(debian),
        };
        for tool in ["initdb", "pg_ctl", "psql"] {
            if b.dir.is_none() && !on_path(tool) {
                return Err(SandboxError::NotInstalled { tool });
            }
        }
        Ok(b)
    }

    pub fn path(&self, tool: &str) -> PathBuf {
        match &self.dir {
            Some(d) if d.join(tool).exists() => d.join(tool),
            _ => PathBuf::from(tool),
        }
    }
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).exists()))
}

/// The uid and gid the server runs as: None unless runsheet runs as root.
pub fn server_user() -> Result<Option<(u32, u32)>, SandboxError> {
    if !nix::unistd::Uid::effective().is_root() {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&"postgres"))
                .then(|| Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?)))?
        })
        .map(Some)
        .ok_or(SandboxError::NoPostgresUser)
}

pub struct Cluster {
    pub name: String,
    pub dir: PathBuf,
    pub port: u16,
    pub password: String,
}

impl Cluster {
    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn url(&self, db: &str) -> String {
        format!(
            "postgresql://postgres:{}@127.0.0.1:{}/{db}?sslmode=disable",
            self.password, self.port
        )
    }
}

/// initdb + start in `dir` (created), on a free port.
pub fn start(
    bins: &Binaries,
    name: &str,
    dir: &Path,
    password: &str,
) -> Result<Cluster, SandboxError> {
    let run_as = server_user()?;
    std::fs::create_dir_all(dir)
        .map_err(|e| SandboxError::io(format!("cannot create {}", dir.display()), e))?;
    give(dir, run_as)?;
    let data = dir.join("data");
    let pwfile = dir.join("pwfile");
    std::fs::write(&pwfile, password)
        .map_err(|e| SandboxError::io(format!("cannot write {}", pwfile.display()), e))?;
    give(&pwfile, run_as)?;
    let _ = std::fs::set_permissions(&pwfile, std::fs::Permissions::from_mode(0o600));
    let init = run(
        server_cmd(&bins.path("initdb"), dir, run_as)
            .env("TZ", "UTC")
            .args([
                OsStr::new("-N"),
                OsStr::new("--no-instructions"),
                OsStr::new("-D"),
            ])
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .args(["-E", "UTF8", "--no-locale"])
            .arg("--pwfile")
            .arg(&pwfile),
        &format!("{name}: initdb"),
    );
    let _ = std::fs::remove_file(&pwfile);
    init?;
    // `cluster_name` is the cluster's role, so a dataset loaded into both
    // can tell them apart: `WHERE current_setting('cluster_name') = 'staging'`.
    let settings = format!(
        "\n# runsheet sandbox\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\ncluster_name = '{}'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n",
        dir.display().to_string().replace('\'', "''"),
        name.replace('\'', "''")
    );
    std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .and_then(|mut f| f.write_all(settings.as_bytes()))
        .map_err(|e| SandboxError::io(format!("{name}: cannot configure the cluster"), e))?;
    let log = dir.join("server.log");
    for attempt in 1.. {
        let port = free_port()?;
        let out = output(
            server_cmd(&bins.path("pg_ctl"), dir, run_as)
                .args(["start", "-w", "-s", "-t", "60", "-D"])
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .arg("-o")
                .arg(format!("-p {port}")),
            &format!("{name}: pg_ctl start"),
        )?;
        if out.status.success() {
            return Ok(Cluster {
                name: name.to_string(),
                dir: dir.to_path_buf(),
                port,
                password: password.to_string(),
            });
        }
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if attempt < 5 && text.contains("Address already in use") {
            continue;
        }
        return Err(SandboxError::DidNotStart {
            name: name.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            log: log.display().to_string(),
        });
    }
    Err(SandboxError::Internal(format!("{name}: no free port")))
}

/// Stops the cluster in `dir`, whether its server is up or not.
pub fn stop(bins: &Binaries, dir: &Path) {
    let run_as = server_user().ok().flatten();
    let _ = output(
        server_cmd(&bins.path("pg_ctl"), dir, run_as)
            .args(["stop", "-m", "fast", "-w", "-s", "-t", "30", "-D"])
            .arg(dir.join("data")),
        "pg_ctl stop",
    );
}

/// Runs SQL (a file) through psql on the cluster's socket, as postgres.
pub fn psql_file(bins: &Binaries, c: &Cluster, db: &str, file: &Path) -> Result<(), SandboxError> {
    run(
        Command::new(bins.path("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-h"])
            .arg(&c.dir)
            .args(["-p", &c.port.to_string(), "-d", db, "-f"])
            .arg(file)
            .env_remove("PGPASSWORD"),
        &format!("{}: loading {}", c.name, file.display()),
    )
}

/// Restores a pg_dump archive (custom or directory format).
pub fn restore(bins: &Binaries, c: &Cluster, db: &str, dump: &Path) -> Result<(), SandboxError> {
    run(
        Command::new(bins.path("pg_restore"))
            .args(["--no-owner", "--exit-on-error", "-U", "postgres", "-h"])
            .arg(&c.dir)
            .args(["-p", &c.port.to_string(), "-d", db])
            .arg(dump),
        &format!("{}: restoring {}", c.name, dump.display()),
    )
}

pub fn create_db(bins: &Binaries, c: &Cluster, db: &str) -> Result<(), SandboxError> {
    run(
        Command::new(bins.path("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-h"])
            .arg(&c.dir)
            .args(["-p", &c.port.to_string(), "-d", "postgres", "-c"])
            .arg(format!("CREATE DATABASE \"{}\"", db.replace('"', "\"\""))),
        &format!("{}: CREATE DATABASE {db}", c.name),
    )
}

fn server_cmd(program: &Path, dir: &Path, run_as: Option<(u32, u32)>) -> Command {
    let mut c = Command::new(program);
    // The postgres user may not enter the operator's current directory.
    c.current_dir(dir);
    if let Some((uid, gid)) = run_as {
        c.uid(uid).gid(gid);
    }
    for k in ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"] {
        c.env_remove(k);
    }
    c
}

fn give(path: &Path, run_as: Option<(u32, u32)>) -> Result<(), SandboxError> {
    if let Some((uid, gid)) = run_as {
        chown(path, Some(uid), Some(gid)).map_err(|e| {
            SandboxError::io(
                format!("cannot hand {} to the postgres user", path.display()),
                e,
            )
        })?;
    }
    Ok(())
}

fn output(cmd: &mut Command, what: &str) -> Result<Output, SandboxError> {
    cmd.stdin(Stdio::null()).output().map_err(|e| {
        SandboxError::io(
            format!(
                "{what}: cannot start {}",
                cmd.get_program().to_string_lossy()
            ),
            e,
        )
    })
}

fn run(cmd: &mut Command, what: &str) -> Result<(), SandboxError> {
    let out = output(cmd, what)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(SandboxError::Tool {
            what: what.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

pub fn free_port() -> Result<u16, SandboxError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| SandboxError::io("no free loopback port", e))
}
