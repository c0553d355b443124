//! A real OpenSSH server on a free loopback port, with throwaway host and
//! user keys, for the tests of `ssh:` contexts. The client side is an ssh
//! config file (`config()`), given to runsheet as `RUNSHEET_SSH_CONFIG`:
//! host alias `box`, the user key, a known_hosts file holding the server's
//! key (strict checking stays on).
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";

pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Child,
}

/// None (with a note) when sshd is not installed and this is not CI; in
/// CI its absence fails the test (`.ci/run` installs openssh-server).
pub fn start() -> Option<Sshd> {
    start_with("")
}

/// `start`, with more lines for its sshd_config (`LogLevel DEBUG1`, to
/// see a bastion's forwarding).
pub fn start_with(extra_config: &str) -> Option<Sshd> {
    if !Path::new(SSHD).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{SSHD} is missing: .ci/run installs openssh-server"
        );
        eprintln!("SKIPPED: {SSHD} is not installed (apt-get install openssh-server)");
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for key in ["host_key", "user_key"] {
        let st = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", ""])
            .arg("-f")
            .arg(d.join(key))
            .status()
            .expect("ssh-keygen");
        assert!(st.success(), "ssh-keygen {key}");
    }
    std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).expect("authorized_keys");
    // sshd's privilege separation folder; Debian's package makes it at boot.
    let _ = std::fs::create_dir_all("/run/sshd");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let user = whoami();
    std::fs::write(
        d.join("sshd_config"),
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n\
             PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             StrictModes no\nUsePAM no\nPidFile {d}/sshd.pid\nAllowUsers {user}\n{extra_config}",
            d = d.display()
        ),
    )
    .expect("sshd_config");
    let host_pub = std::fs::read_to_string(d.join("host_key.pub")).expect("host key");
    let host_pub: Vec<&str> = host_pub.split_whitespace().take(2).collect();
    std::fs::write(
        d.join("known_hosts"),
        format!("[127.0.0.1]:{port} {}\n", host_pub.join(" ")),
    )
    .expect("known_hosts");
    std::fs::write(
        d.join("config"),
        format!(
            "Host box\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  IdentityFile {d}/user_key\n  IdentitiesOnly yes\n  UserKnownHostsFile {d}/known_hosts\n\
             Host stranger\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  IdentityFile {d}/user_key\n  IdentitiesOnly yes\n  UserKnownHostsFile {d}/empty_known_hosts\n",
            d = d.display()
        ),
    )
    .expect("ssh config");
    std::fs::write(d.join("empty_known_hosts"), "").expect("empty known_hosts");
    let child = Command::new(SSHD)
        .args(["-D", "-e", "-f"])
        .arg(d.join("sshd_config"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(d.join("sshd.log")).expect("log"))
        .spawn()
        .expect("start sshd");
    let s = Sshd { dir, port, child };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "sshd did not listen: {}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(s)
}

/// Two servers: `target`, reached through `bastion`, and a client
/// config (`config`, in the target's folder) with aliases `bastion` and
/// `box2` (the target) and `lax-bastion`: the bastion with its key not
/// known and a config that would take any new one (`accept-new`), and
/// `127.0.0.1` for `user@127.0.0.1:port` destinations of either. The
/// bastion logs at DEBUG1, which names each forwarding it makes.
pub struct JumpPair {
    pub bastion: Sshd,
    pub target: Sshd,
}

pub fn jump_pair() -> Option<JumpPair> {
    let bastion = start_with("LogLevel DEBUG1\nAllowTcpForwarding yes\n")?;
    let target = start()?;
    let config = [
        bastion.host_entry("bastion", "known_hosts", ""),
        bastion.host_entry(
            "lax-bastion",
            "empty_known_hosts",
            "  StrictHostKeyChecking accept-new\n",
        ),
        target.host_entry("box2", "known_hosts", ""),
        // `user@127.0.0.1:port` destinations: either server's key and
        // host key.
        format!(
            "Host 127.0.0.1\n  IdentityFile {b}/user_key\n  IdentityFile {t}/user_key\n  IdentitiesOnly yes\n  UserKnownHostsFile {b}/known_hosts {t}/known_hosts\n",
            b = bastion.dir.path().display(),
            t = target.dir.path().display()
        ),
    ]
    .concat();
    std::fs::write(target.dir.path().join("config"), config).expect("pair config");
    Some(JumpPair { bastion, target })
}

impl JumpPair {
    pub fn config(&self) -> PathBuf {
        self.target.config()
    }
}

fn whoami() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Sshd {
    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// A client config `Host` entry for this server: its port, its user
    /// key, and `known_hosts` (a file of this server's folder) for its
    /// host key.
    pub fn host_entry(&self, alias: &str, known_hosts: &str, extra: &str) -> String {
        format!(
            "Host {alias}\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile {d}/user_key\n  IdentitiesOnly yes\n  UserKnownHostsFile {d}/{known_hosts}\n{extra}",
            self.port,
            whoami(),
            d = self.dir.path().display()
        )
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
