//! The sandbox's stand-in for the application's health endpoints, with
//! the JSON shapes seed 002 documents, answering from the sandbox
//! database's real state: a migration applied in the sandbox changes what
//! `/health` says. `/healthz` and `/up` answer 200 while the database
//! does; `/health` and `/health/migrations` report pending migrations.
//! Paths under `/staging/` answer for the staging database. A Keycloak
//! realm's `/realms/NAME/.well-known/openid-configuration` is answered too,
//! with this server as the issuer, for runbooks that check their identity
//! provider before a migration.

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
            let host = request
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.trim()
                        .eq_ignore_ascii_case("host")
                        .then(|| value.trim().to_string())
                })
                .unwrap_or_else(|| "127.0.0.1".to_string());
            let (status, body) = match openid_configuration(&host, &path) {
                Some(doc) => ("200 OK", doc.to_string()),
                None => answer(&health, &path).await,
            };
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

/// A realm's OpenID discovery document, as Keycloak serves it at
/// `[/staging]/realms/NAME/.well-known/openid-configuration`, with `host`
/// (the request's `Host`) as the issuer's; None for any other path.
fn openid_configuration(host: &str, path: &str) -> Option<Value> {
    let path = path.split('?').next().unwrap_or("");
    let (prefix, rest) = match path.strip_prefix("/staging") {
        Some(rest) => ("/staging", rest),
        None => ("", path),
    };
    let realm = rest
        .strip_prefix("/realms/")?
        .strip_suffix("/.well-known/openid-configuration")?;
    if realm.is_empty() || realm.contains('/') {
        return None;
    }
    let issuer = format!("http://{host}{prefix}/realms/{realm}");
    let endpoint = |p: &str| format!("{issuer}/protocol/openid-connect/{p}");
    Some(json!({
        "issuer": issuer,
        "authorization_endpoint": endpoint("auth"),
        "token_endpoint": endpoint("token"),
        "userinfo_endpoint": endpoint("userinfo"),
        "jwks_uri": endpoint("certs"),
    }))
}

/// The `migrations` object of seed 002's `/health`.
async fn state(h: &Health, url: &str) -> Result<Value, String> {
    let cfg = DbConfig::parse("sandbox", Some(url), &|_| None).map_err(|e| e.to_string())?;
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
        .map(|f| json!({"version": f.version, "name": display_name(f)}))
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

/// A migration's name as the app reports it: Rails names a migration by
/// its class (`AddConfirmableToUsers` for `…_add_confirmable_to_users.rb`),
/// as seed 002's `/health` shows; other tools by the file's name.
fn display_name(f: &migrations::MigrationFile) -> String {
    if f.path.extension().is_none_or(|e| e != "rb") {
        return f.name.clone();
    }
    f.name
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, path: &str) -> migrations::MigrationFile {
        migrations::MigrationFile {
            version: "20251124020634".into(),
            name: name.into(),
            path: path.into(),
            destructive: Vec::new(),
        }
    }

    #[test]
    fn rails_migrations_are_named_by_their_class() {
        let f = file(
            "add_confirmable_to_users",
            "db/migrate/20251124020634_add_confirmable_to_users.rb",
        );
        assert_eq!(display_name(&f), "AddConfirmableToUsers");
        let f = file("add_users", "migrations/20251124020634_add_users.sql");
        assert_eq!(display_name(&f), "add_users");
    }

    #[test]
    fn a_realm_discovery_document_names_this_server_as_issuer() {
        let doc = openid_configuration(
            "127.0.0.1:4000",
            "/realms/veylant/.well-known/openid-configuration",
        );
        let doc = doc.unwrap_or_default();
        assert_eq!(doc["issuer"], "http://127.0.0.1:4000/realms/veylant");
        assert_eq!(
            doc["token_endpoint"],
            "http://127.0.0.1:4000/realms/veylant/protocol/openid-connect/token"
        );
        let staging = openid_configuration(
            "127.0.0.1:4000",
            "/staging/realms/veylant/.well-known/openid-configuration",
        )
        .unwrap_or_default();
        assert_eq!(
            staging["issuer"],
            "http://127.0.0.1:4000/staging/realms/veylant"
        );
        for other in [
            "/healthz",
            "/realms//.well-known/openid-configuration",
            "/realms/a/b/.well-known/openid-configuration",
            "/realms/veylant",
        ] {
            assert!(openid_configuration("h", other).is_none(), "{other}");
        }
    }
}
