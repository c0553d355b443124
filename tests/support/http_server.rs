//! A small HTTP/1.1 server for tests, on 127.0.0.1 (std::net and a thread
//! per connection, optionally TLS): replies programmed per path, in
//! sequence (the last one repeats), optionally late; it remembers every
//! request it received. Use it from a test
//! module with `use crate::support::http_server;`.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A throwaway CA for the HTTPS tests, valid 2000–2100, and the
/// certificate it signed for 127.0.0.1 and localhost. The key is for these
/// tests only.
pub const TEST_CA_PEM: &str = "-----BEGIN CERTIFICATE-----\n\
MIIBajCCARCgAwIBAgICEAAwCgYIKoZIzj0EAwIwGzEZMBcGA1UEAwwQcnVuc2hl\n\
ZXQgdGVzdCBDQTAgFw0wMDAxMDEwMDAwMDBaGA8yMTAwMDEwMTAwMDAwMFowGzEZ\n\
MBcGA1UEAwwQcnVuc2hlZXQgdGVzdCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n\
A0IABBlqY3Ocz+Sx+XAmaUG/zos4CCTwxAAPfHPybD3maPnUTxnN/dzdZgqRpJpF\n\
yPTNqOqa8Y6YFCOJVFaI2siJIx6jQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0P\n\
AQH/BAQDAgEGMB0GA1UdDgQWBBT7R33vcL3wxrhe9J9P6tIKk8wLkDAKBggqhkjO\n\
PQQDAgNIADBFAiEA0PXGcLXAwFcCSuwMkGrF46yBh+28ZlJwJYA53wUpzwkCIFOc\n\
p8JzpGHmbENrLiZbb1xYCozta3i+paVWpi6DAbir\n\
-----END CERTIFICATE-----\n";
const SERVER_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----\n\
MIIBtDCCAVqgAwIBAgICEAEwCgYIKoZIzj0EAwIwGzEZMBcGA1UEAwwQcnVuc2hl\n\
ZXQgdGVzdCBDQTAgFw0wMDAxMDEwMDAwMDBaGA8yMTAwMDEwMTAwMDAwMFowFDES\n\
MBAGA1UEAwwJbG9jYWxob3N0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEvRzx\n\
H90nIAHXl+44UEvLr2815ERcMtcyD95lpb8oAJ6zGou+g56k3ybo2PgDZmQkxcps\n\
uAqZRflqw2C9dTmnpaOBkjCBjzAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3Qw\n\
DAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMCB4AwEwYDVR0lBAwwCgYIKwYBBQUH\n\
AwEwHwYDVR0jBBgwFoAU+0d973C98Ma4XvSfT+rSCpPMC5AwHQYDVR0OBBYEFPHG\n\
6YQ0RLRWRmkh/UUbHmtpIWbUMAoGCCqGSM49BAMCA0gAMEUCIFXzwxL59vZGS+Dl\n\
qLpPHT6ABy3GVfbg2HDHYbv6Ia/HAiEA8gOAnCNuXYmAYpJIH/JDUwGiDKO+z4Vn\n\
nD+T2qZjY3w=\n\
-----END CERTIFICATE-----\n";
const SERVER_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6WHmgKGtKasasF+u\n\
W13LlUa4+M6fhKz9WplQ2gvBa1+hRANCAAS9HPEf3ScgAdeX7jhQS8uvbzXkRFwy\n\
1zIP3mWlvygAnrMai76DnqTfJujY+ANmZCTFymy4CplF+WrDYL11Oael\n\
-----END PRIVATE KEY-----\n";

#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Waits this long before answering.
    pub delay: Duration,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn json(status: u16, body: &str) -> Reply {
        Reply::status(status)
            .header("Content-Type", "application/json")
            .body(body)
    }

    pub fn text(status: u16, body: &str) -> Reply {
        Reply::status(status)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(body)
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    pub fn delay(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// The request target, query string included.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    routes: HashMap<String, VecDeque<Reply>>,
    seen: Vec<Seen>,
}

pub struct Server {
    addr: SocketAddr,
    tls: bool,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    pub fn start() -> Server {
        Server::listen(None)
    }

    /// HTTPS with a certificate from [`TEST_CA_PEM`].
    pub fn start_tls() -> Server {
        Server::listen(Some(tls_config()))
    }

    fn listen(tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let server = Server {
            addr,
            tls: tls.is_some(),
            state: state.clone(),
            stop: stop.clone(),
        };
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let state = state.clone();
                let tls = tls.clone();
                std::thread::spawn(move || serve(conn, tls, &state));
            }
        });
        server
    }

    /// Replies for `path` (no query string), one per request in order; the
    /// last one repeats.
    pub fn route(&self, path: &str, replies: Vec<Reply>) -> &Server {
        lock(&self.state)
            .routes
            .insert(path.to_string(), replies.into());
        self
    }

    /// `http://127.0.0.1:PORT` (or https).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.addr.port())
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.state).seen.clone()
    }

    pub fn hits(&self, path: &str) -> usize {
        lock(&self.state)
            .seen
            .iter()
            .filter(|s| s.path() == path)
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().map(|a| a.port()).unwrap()
}

fn serve(conn: TcpStream, tls: Option<Arc<rustls::ServerConfig>>, state: &Mutex<State>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    match tls {
        None => exchange(conn, state),
        Some(cfg) => {
            let Ok(session) = rustls::ServerConnection::new(cfg) else {
                return;
            };
            exchange(rustls::StreamOwned::new(session, conn), state);
        }
    }
}

/// One request per connection: the reply says `Connection: close`.
fn exchange<S: Read + Write>(stream: S, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream);
    let Some(seen) = read_request(&mut reader) else {
        return;
    };
    let reply = {
        let mut st = lock(state);
        let path = seen.path().to_string();
        st.seen.push(seen);
        match st.routes.get_mut(&path) {
            Some(q) if q.len() > 1 => q.pop_front(),
            Some(q) => q.front().cloned(),
            None => None,
        }
    }
    .unwrap_or_else(|| Reply::text(404, "no route"));
    if !reply.delay.is_zero() {
        std::thread::sleep(reply.delay);
    }
    let mut head = format!("HTTP/1.1 {} X\r\n", reply.status);
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        reply.body.len()
    ));
    let stream = reader.get_mut();
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&reply.body);
    let _ = stream.flush();
}

fn read_request<R: BufRead>(r: &mut R) -> Option<Seen> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        target,
        headers,
        body,
    })
}

fn tls_config() -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(SERVER_CERT_PEM.as_bytes())
            .collect::<Result<_, _>>()
            .expect("test certificate");
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY_PEM.as_bytes()).expect("test key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .expect("test TLS config");
    Arc::new(cfg)
}
