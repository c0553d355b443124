//! A real S3-compatible server for integration tests: moto (PyPI
//! `moto[server]`, `bash .ci/run` installs it) on a free loopback port.
//!
//! Use it from a test module with `use crate::support::s3;`.
//!
//! [`server`] starts one, lazily, per test binary; it accepts any keys.
//! [`guarded`] starts a second one that checks them against its own IAM
//! users (moto's `INITIAL_NO_AUTH_ACTION_COUNT`, set to 0 through
//! `/moto-api/reset-auth` once the users exist): one allowed everything,
//! one allowed nothing.
//!
//! No server outlives the test process: as for the PostgreSQL clusters
//! (support/pg.rs), a watchdog in its own session holds the read end of a
//! pipe whose write end only the test process holds; it starts moto, and
//! when the process ends however it ends (a panic, `exit`, SIGKILL), it
//! reads end-of-file and kills moto. Moto logs every request it serves
//! (`"PUT /bucket/key?partNumber=3&uploadId=… HTTP/1.1" 200`), which
//! [`Moto::requests`] reads back.
// Also included by benches/, which do not allow unwrap crate-wide.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::PipeWriter;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{Credentials, Region};
use sha2::{Digest, Sha256};

const INSTALL_HINT: &str = "install moto's server with `python3 -m pip install 'moto[server]'` \
    (`bash .ci/run` does it)";

/// Keys for the unguarded server: moto takes any.
pub const ANY_KEY: &str = "AKIATESTTESTTESTTEST";
pub const ANY_SECRET: &str = "test-secret-not-checked";

#[derive(Clone, Debug)]
pub struct Keys {
    pub id: String,
    pub secret: String,
}

/// One running moto server; killed when dropped or, for a shared one,
/// when the test process ends.
pub struct Moto {
    port: u16,
    log: PathBuf,
    dir: PathBuf,
    watchdog: Option<Child>,
    /// The watchdog's lifeline: closing it makes the watchdog kill moto.
    lifeline: Option<PipeWriter>,
}

impl Drop for Moto {
    fn drop(&mut self) {
        drop(self.lifeline.take());
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.wait();
        }
    }
}

/// A server that checks credentials, its users' keys, and a bucket.
pub struct Guarded {
    pub moto: Moto,
    /// May do anything.
    pub admin: Keys,
    /// Known to the server, allowed nothing.
    pub nobody: Keys,
    pub bucket: String,
}

/// The shared server that takes any keys.
pub fn server() -> &'static Moto {
    static SERVER: OnceLock<Moto> = OnceLock::new();
    SERVER.get_or_init(|| Moto::start("open"))
}

/// The shared server that checks keys.
pub fn guarded() -> &'static Guarded {
    static GUARDED: OnceLock<Guarded> = OnceLock::new();
    GUARDED.get_or_init(|| {
        let moto = Moto::start("guarded");
        let admin = moto.iam_user(
            "runner",
            Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
        );
        let nobody = moto.iam_user("nobody", None);
        let bucket = unique_bucket("guarded");
        moto.create_bucket(&bucket);
        // From now on every request must be signed by a known user.
        let (status, body) = moto.http("POST", "/moto-api/reset-auth", &[("Content-Type", "text/plain")], b"0");
        assert_eq!(status, 200, "moto reset-auth: {body}");
        Guarded {
            moto,
            admin,
            nobody,
            bucket,
        }
    })
}

/// A bucket name unique within the process: `unique_bucket("up")` -> `up-3`.
pub fn unique_bucket(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

impl Moto {
    /// Starts moto on a free port and waits until it answers. Panics with
    /// the install hint when moto is missing, with its log when it fails.
    pub fn start(name: &str) -> Moto {
        let started = Instant::now();
        let cmd = moto_command();
        let found = Command::new("python3")
            .args(["-c", "import moto.server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(found, "moto is not installed for python3: {INSTALL_HINT}");
        let dir = tempfile::Builder::new()
            .prefix(&format!("runsheet-moto-{name}-"))
            .tempdir()
            .unwrap_or_else(|e| panic!("moto {name}: cannot create a temp dir: {e}"))
            .keep();
        let log = dir.join("moto.log");
        let port = free_port();
        let (watchdog, lifeline) = spawn_watchdog(&dir, &log, port, &cmd);
        let moto = Moto {
            port,
            log,
            dir,
            watchdog: Some(watchdog),
            lifeline: Some(lifeline),
        };
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(60) {
                panic!(
                    "moto {name} did not listen on port {port} within 60s ({INSTALL_HINT})\n--- log ---\n{}",
                    moto.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let (status, _) = moto.http("GET", "/moto-api/", &[], b"");
        assert_eq!(
            status,
            200,
            "moto {name} does not answer like moto:\n{}",
            moto.log_text()
        );
        eprintln!(
            "s3: moto `{name}` on port {port} started in {:.2?}",
            started.elapsed()
        );
        moto
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The request lines moto served, oldest first: `PUT /b/k?partNumber=1&uploadId=…`.
    pub fn requests(&self) -> Vec<String> {
        self.log_text()
            .lines()
            .filter_map(|l| {
                let start = l.find("] \"")? + 3;
                let rest = &l[start..];
                let end = rest.find(" HTTP/")?;
                Some(rest[..end].to_string())
            })
            .collect()
    }

    /// The `Range` headers of the GETs of `bucket/key` moto served, oldest
    /// first: `bytes=0-5242879`.
    pub fn ranged_gets(&self, bucket: &str, key: &str) -> Vec<String> {
        let prefix = format!("runsheet-range GET /{bucket}/{key} ");
        std::fs::read_to_string(self.dir.join(RANGE_LOG))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix).map(str::to_string))
            .collect()
    }

    /// The digest checks of each UploadPart to `bucket/key`, in arrival
    /// order: `partNumber=3 crc32=ok md5=none`.
    pub fn part_checks(&self, bucket: &str, key: &str) -> Vec<String> {
        let prefix = format!("runsheet-part PUT /{bucket}/{key}?");
        std::fs::read_to_string(self.dir.join(PART_LOG))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix).map(str::to_string))
            .collect()
    }

    /// Creates `bucket` (an unsigned PUT: only before keys are checked).
    pub fn create_bucket(&self, bucket: &str) {
        let (status, body) = self.http("PUT", &format!("/{bucket}"), &[], b"");
        assert_eq!(status, 200, "create bucket {bucket}: {body}");
    }

    /// An IAM user with an access key and, if given, an inline policy.
    fn iam_user(&self, name: &str, policy: Option<&str>) -> Keys {
        self.iam(&format!("Action=CreateUser&UserName={name}"));
        let created = self.iam(&format!("Action=CreateAccessKey&UserName={name}"));
        let between = |a: &str, b: &str| {
            let start = created.find(a).map(|i| i + a.len()).unwrap_or(0);
            let end = created[start..].find(b).map_or(start, |i| start + i);
            created[start..end].to_string()
        };
        if let Some(p) = policy {
            self.iam(&format!(
                "Action=PutUserPolicy&UserName={name}&PolicyName=all&PolicyDocument={}",
                form_encode(p)
            ));
        }
        Keys {
            id: between("<AccessKeyId>", "</AccessKeyId>"),
            secret: between("<SecretAccessKey>", "</SecretAccessKey>"),
        }
    }

    /// An IAM query call; moto routes by the credential scope's service.
    fn iam(&self, form: &str) -> String {
        let auth = "AWS4-HMAC-SHA256 Credential=AKIASETUP/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00";
        let body = format!("{form}&Version=2010-05-08");
        let (status, text) = self.http(
            "POST",
            "/",
            &[
                ("Authorization", auth),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        );
        assert_eq!(status, 200, "moto iam {form}: {text}");
        text
    }

    /// One plain HTTP/1.1 request: the status and the body as text.
    fn http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let base = format!("http://127.0.0.1:{}", self.port);
        super::raw_http::request(&base, method, path, headers, body)
    }

    /// An SDK client for checks, with `keys` (any, on the open server).
    pub fn client(&self, keys: Option<&Keys>) -> Client {
        let (id, secret) = match keys {
            Some(k) => (k.id.clone(), k.secret.clone()),
            None => (ANY_KEY.to_string(), ANY_SECRET.to_string()),
        };
        // The SDK comes without its default HTTP client (Cargo.toml): plain
        // HTTP to the loopback server is all a check needs.
        let config = aws_sdk_s3::config::Builder::new()
            .behavior_version_latest()
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .region(Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .force_path_style(true)
            .credentials_provider(Credentials::new(id, secret, None, None, "test"))
            .build();
        Client::from_conf(config)
    }

    /// Puts `data` at `bucket/key`.
    pub fn put(&self, bucket: &str, key: &str, data: &[u8]) {
        let client = self.client(None);
        let body = aws_sdk_s3::primitives::ByteStream::from(data.to_vec());
        block_on(
            client
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(body)
                .send(),
        )
        .unwrap_or_else(|e| panic!("put s3://{bucket}/{key}: {e:?}"));
    }

    /// The bytes of the object at `bucket/key`, None if missing.
    pub fn get(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let client = self.client(None);
        block_on(async {
            let out = client
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .ok()?;
            let mut body = out.body;
            let mut data = Vec::new();
            while let Ok(Some(chunk)) = body.try_next().await {
                data.extend_from_slice(&chunk);
            }
            Some(data)
        })
    }

    /// The object's `x-amz-meta-*` values and size, None if missing.
    pub fn head(&self, bucket: &str, key: &str) -> Option<(u64, Vec<(String, String)>)> {
        let client = self.client(None);
        let out = block_on(client.head_object().bucket(bucket).key(key).send()).ok()?;
        let meta = out
            .metadata()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        Some((out.content_length().unwrap_or(0) as u64, meta))
    }

    /// The object's tags, None if it is missing.
    pub fn tags(&self, bucket: &str, key: &str) -> Option<Vec<(String, String)>> {
        let client = self.client(None);
        let out = block_on(client.get_object_tagging().bucket(bucket).key(key).send()).ok()?;
        Some(
            out.tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
        )
    }

    /// The object's CRC32 as the server keeps it (asked with ChecksumMode).
    pub fn checksum_crc32(&self, bucket: &str, key: &str) -> Option<String> {
        let client = self.client(None);
        let out = block_on(
            client
                .head_object()
                .bucket(bucket)
                .key(key)
                .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
                .send(),
        )
        .ok()?;
        out.checksum_crc32().map(str::to_string)
    }

    /// Puts `data` at `bucket/key` with metadata and tags, as another
    /// writer (or a damaged store) could leave beside runsheet's own.
    pub fn put_with(
        &self,
        bucket: &str,
        key: &str,
        data: &[u8],
        meta: &[(&str, &str)],
        tags: &[(&str, &str)],
    ) {
        let client = self.client(None);
        let body = aws_sdk_s3::primitives::ByteStream::from(data.to_vec());
        let mut put = client.put_object().bucket(bucket).key(key).body(body);
        for (k, v) in meta {
            put = put.metadata(*k, *v);
        }
        let tagging: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if !tagging.is_empty() {
            put = put.tagging(tagging.join("&"));
        }
        block_on(put.send()).unwrap_or_else(|e| panic!("put s3://{bucket}/{key}: {e:?}"));
    }

    /// The keys under `prefix`, in order.
    pub fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let client = self.client(None);
        block_on(async {
            let mut pages = client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .into_paginator()
                .send();
            let mut keys = Vec::new();
            while let Some(Ok(page)) = pages.next().await {
                keys.extend(
                    page.contents()
                        .iter()
                        .filter_map(|o| o.key().map(str::to_string)),
                );
            }
            keys
        })
    }
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Moto's server under `python3`, with one fix: moto 5.2 names the root
/// element of its ListParts answer `ListPartsResponse` where S3 says
/// `ListPartsResult` (the same slip as getmoto/moto#10055, fixed there for
/// CompleteMultipartUpload only), and the Rust SDK, unlike boto3, refuses
/// it. Once moto fixes it, the replacement finds nothing to replace. And
/// one addition: the Range header of every GET is logged (see
/// [`Moto::ranged_gets`]).
const MOTO: &str = r#"
import os
import sys
from moto.s3.responses import S3Response

_list_parts = S3Response.list_parts

def list_parts(self):
    status, headers, body = _list_parts(self)
    if isinstance(body, bytes):
        body = body.replace(b"ListPartsResponse", b"ListPartsResult")
    elif isinstance(body, str):
        body = body.replace("ListPartsResponse", "ListPartsResult")
    return status, headers, body

S3Response.list_parts = list_parts

# Moto's request log has no headers: each GET with a Range header is
# logged as `runsheet-range GET /bucket/key bytes=a-b` in RANGE_LOG.
_get_object = S3Response.get_object

def get_object(self):
    wanted = self.headers.get("Range") or self.headers.get("range")
    if wanted:
        # A file of its own, appended to line by line (O_APPEND): the
        # server's log, written by its threads through a buffered stream,
        # loses lines written beside it.
        with open(os.environ["RUNSHEET_RANGE_LOG"], "a") as f:
            f.write(f"runsheet-range GET {self.path} {wanted}\n")
    return _get_object(self)

S3Response.get_object = get_object

# Moto checks neither Content-MD5 nor x-amz-checksum-crc32 on an UploadPart;
# S3 refuses a part whose digest does not match (BadDigest). The wrapper
# does as S3 does, and logs each part's checks as
# `runsheet-part PUT /bucket/key?query crc32=ok md5=none` in PART_LOG. In a
# bucket named `garble-…`, the first copy of part 2 of each upload arrives
# with a byte flipped, as if damaged on its way.
import base64, binascii, hashlib
_upload_part = S3Response.upload_part
_garbled = set()

def upload_part(self):
    body = self.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    body = body or b""
    upload = self._get_param("uploadId")
    part = self._get_param("partNumber")
    if self.path.split("/")[1].startswith("garble-") and str(part) == "2" and body and upload not in _garbled:
        _garbled.add(upload)
        body = bytes([body[0] ^ 1]) + body[1:]
        self.body = body
    checks = []
    crc = self.headers.get("x-amz-checksum-crc32")
    crc_ok = crc is None or base64.b64encode(binascii.crc32(body).to_bytes(4, "big")).decode() == crc
    checks.append("crc32=" + ("none" if crc is None else "ok" if crc_ok else "bad"))
    md5 = self.headers.get("Content-MD5")
    md5_ok = md5 is None or base64.b64encode(hashlib.md5(body).digest()).decode() == md5
    checks.append("md5=" + ("none" if md5 is None else "ok" if md5_ok else "bad"))
    with open(os.environ["RUNSHEET_PART_LOG"], "a") as f:
        f.write(f"runsheet-part PUT {self.path}?partNumber={part} {' '.join(checks)}\n")
    if not (crc_ok and md5_ok):
        return 400, {"content-type": "application/xml"}, (
            '<?xml version="1.0" encoding="UTF-8"?><Error><Code>BadDigest</Code>'
            "<Message>The digest you specified did not match the calculated one.</Message></Error>"
        )
    return _upload_part(self)

S3Response.upload_part = upload_part

# Some S3-compatible providers refuse a declared checksum. A bucket named
# `nocrc-…` does: a CreateMultipartUpload or an UploadPart that declares
# one is answered 400 InvalidRequest, as they answer it.
_key_post = S3Response._key_response_post

def key_response_post(self, request, body, bucket_name, query, key_name):
    if bucket_name.startswith("nocrc-") and "uploads" in query and request.headers.get("x-amz-checksum-algorithm"):
        return 400, {"content-type": "application/xml"}, (
            '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidRequest</Code>'
            "<Message>x-amz-checksum-algorithm is not supported</Message></Error>"
        )
    return _key_post(self, request, body, bucket_name, query, key_name)

S3Response._key_response_post = key_response_post
_checked_part = S3Response.upload_part

def upload_part_nocrc(self):
    if self.path.split("/")[1].startswith("nocrc-") and self.headers.get("x-amz-checksum-crc32"):
        return 400, {"content-type": "application/xml"}, (
            '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidRequest</Code>'
            "<Message>x-amz-checksum-crc32 is not supported</Message></Error>"
        )
    return _checked_part(self)

S3Response.upload_part = upload_part_nocrc
from moto.server import main
sys.argv[0] = "moto_server"
main()
"#;

/// Where the wrapper logs each GET's Range header, in the server's folder.
const RANGE_LOG: &str = "ranges.log";
/// Where it logs each UploadPart's digest checks.
const PART_LOG: &str = "parts.log";

fn moto_command() -> Vec<String> {
    vec!["python3".into(), "-c".into(), MOTO.into()]
}

/// Starts the watchdog: in its own session it starts moto, waits for
/// end-of-file on a pipe only this process can write to, then kills moto
/// and deletes `dir`.
fn spawn_watchdog(dir: &Path, log: &Path, port: u16, moto: &[String]) -> (Child, PipeWriter) {
    let (reader, writer) = std::io::pipe().expect("moto watchdog: cannot make a pipe");
    let script = r#"dir="$1"; log="$2"; port="$3"; shift 3
"$@" -H 127.0.0.1 -p "$port" >"$log" 2>&1 </dev/null &
pid=$!
read -r _
kill "$pid" 2>/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
kill -9 "$pid" 2>/dev/null
rm -rf -- "$dir""#;
    let mut cmd = Command::new("bash");
    cmd.process_group(0)
        .arg("-c")
        .arg(script)
        .arg("runsheet-moto-watchdog")
        .env("RUNSHEET_RANGE_LOG", dir.join(RANGE_LOG))
        .env("RUNSHEET_PART_LOG", dir.join(PART_LOG))
        .arg(dir)
        .arg(log)
        .arg(port.to_string())
        .args(moto)
        .current_dir(dir)
        // Moto's own settings must not leak in from the developer's shell.
        .env_remove("INITIAL_NO_AUTH_ACTION_COUNT")
        .stdin(reader)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("moto watchdog: cannot start bash: {e} ({INSTALL_HINT})"));
    (child, writer)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("cannot find a free port on 127.0.0.1")
}

/// Deterministic bytes that do not compress or repeat: a xorshift stream.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// `sha256sum`'s answer: hashing in the test itself would be slow in a
/// debug build.
/// S3's composite CRC32 of `data` uploaded in parts of `part` bytes: the
/// CRC32 of the parts' big-endian CRC32s, base64, then `-N`.
pub fn composite_crc32(data: &[u8], part: usize) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let crcs: Vec<u8> = data
        .chunks(part)
        .flat_map(|c| crc32fast::hash(c).to_be_bytes())
        .collect();
    let n = data.len().div_ceil(part);
    format!("{}-{n}", b64.encode(crc32fast::hash(&crcs).to_be_bytes()))
}

pub fn sha256_file(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("sha256sum {}: {e}", path.display()));
    assert!(out.status.success(), "sha256sum {}", path.display());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}
