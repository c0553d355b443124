//! The sandbox's stand-in for the application's health endpoints, with
//! the JSON shapes seed 002 documents, answering from the sandbox
//! database's real state: a migration applied in the sandbox changes what
//! `/health` says. `/healthz` and `/up` answer 200 while the database
//! does; `/health` and `/health/migrations` report pending migrations.
//! Paths under `/staging/` answer for the staging database.

use std::path::PathBuf;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::db::conn::DbConfig;
use crate::db::migrations;

pub struct Health {
    pub production: String,
    pub staging: String,
    /// The app's migrations folder, when there is one.
    pub migrations: Option<PathBuf>,
    pub table: String,
}

/// Serves until the process is stopped.
pub async fn serve(listener: TcpListener, health: Health) -> std::io::Result<()> {
    let health = std::sync::Arc::new(health);
    loop {
        let (mut socket, _) = listener.accept().await?;
        let health = health.clone();
        tokio::spawn(async move {
            // A request may arrive in pieces: read until its head is whole.
            let mut buf = Vec::with_capacity(1024);
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let request = String::from_utf8_lossy(&buf);
            let path = request
                .lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .unwrap_or("/")
                .to_string();
            let (status, body) = answer(&health, &path).await;
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        });
    }
}

async fn answer(h: &Health, path: &str) -> (&'static str, String) {
    let (url, rest) = match path.strip_prefix("/staging") {
        Some(rest) => (&h.staging, rest),
        None => (&h.production, path),
    };
    let state = state(h, url).await;
    let body = match rest.split('?').next().unwrap_or("") {
        "/healthz" | "/up" => match &state {
            Ok(_) => json!({"status": "ok"}),
            Err(e) => json!({"status": "error", "database": "unreachable", "error": e}),
        },
        "/health" => match &state {
            Ok(m) => {
                let pending = m["pending_count"].as_u64().unwrap_or(0);
                json!({
                    "status": if pending == 0 { "ok" } else { "degraded" },
                    "database": "connected",
                    "migrations": m,
                })
            }
            Err(e) => json!({"status": "error", "database": "unreachable", "error": e}),
        },
        "/health/migrations" => match &state {
            Ok(m) => m.clone(),
            Err(e) => json!({"status": "error", "error": e}),
        },
        _ => return ("404 Not Found", json!({"error": "not found"}).to_string()),
    };
    let status = if state.is_ok() {
        "200 OK"
    } else {
        "503 Service Unavailable"
    };
    (status, body.to_string())
}

/// The `migrations` object of seed 002's `/health`.
async fn state(h: &Health, url: &str) -> Result<Value, String> {
    let cfg = DbConfig::parse("sandbox", Some(url), &|_| None)?;
    let client = cfg.connect().await.map_err(|e| e.to_string())?;
    let Some(dir) = &h.migrations else {
        return Ok(json!({"pending_count": 0, "status": "up_to_date"}));
    };
    let files = migrations::scan_dir(dir).map_err(|e| e.to_string())?;
    let applied = migrations::applied(&client, &h.table)
        .await
        .map_err(|e| e.to_string())?;
    let p = migrations::pending(files, &applied);
    let list: Vec<Value> = p
        .files
        .iter()
        .map(|f| json!({"version": f.version, "name": f.name}))
        .collect();
    let mut m = json!({
        "pending_count": list.len(),
        "status": if list.is_empty() { "up_to_date" } else { "pending" },
    });
    if !list.is_empty() {
        m["pending_migrations"] = Value::Array(list);
    }
    Ok(m)
}
