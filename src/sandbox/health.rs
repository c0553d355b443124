//! The sandbox's stand-in for the application's endpoints, answering from
//! the sandbox databases' real state. Health, with the JSON shapes seed
//! 002 documents: a migration applied in the sandbox changes what
//! `/health` says; `/healthz` and `/up` answer 200 while the database does;
//! `/health` and `/health/migrations` report pending migrations. The
//! identity provider (`identity`): a Keycloak realm's discovery document,
//! its token endpoint and admin API. The application's API (`app_api`):
//! `/v1/admin/TABLE`, `/v1/chat/completions`; `/sandbox/mails` lists the
//! action e-mails the identity provider was asked to send. Paths under `/staging/`
//! answer for the staging side, which has its own database, realms and
//! tokens.

mod app_api;
mod identity;
mod request;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Mutex;

use crate::db::conn::DbConfig;
use crate::db::migrations;
use identity::Identity;
use request::{Request, Response};

pub struct Health {
    pub production: String,
    pub staging: String,
    /// The app's migrations folder, when there is one.
    pub migrations: Option<PathBuf>,
    pub table: String,
}

/// What one side (production or staging) remembers between requests.
#[derive(Default)]
struct Side {
    identity: Identity,
    /// The `/v1` requests answered, oldest first.
    log: Vec<Value>,
}

struct Shared {
    health: Health,
    production: Mutex<Side>,
    staging: Mutex<Side>,
}

/// Serves until the process is stopped.
pub async fn serve(listener: TcpListener, health: Health) -> std::io::Result<()> {
    let shared = Arc::new(Shared {
        health,
        production: Mutex::new(Side::default()),
        staging: Mutex::new(Side::default()),
    });
    loop {
        let (mut socket, _) = listener.accept().await?;
        let shared = shared.clone();
        tokio::spawn(async move {
            let Some(req) = request::read(&mut socket).await else {
                return;
            };
            let response = route(&shared, &req).await;
            let _ = socket.write_all(&response.to_bytes()).await;
        });
    }
}

async fn route(shared: &Shared, req: &Request) -> Response {
    let host = req.header("host").unwrap_or("127.0.0.1").to_string();
    let (prefix, rest) = match req.path.strip_prefix("/staging") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => ("/staging", rest),
        _ => ("", req.path.as_str()),
    };
    let (side, db) = if prefix.is_empty() {
        (&shared.production, &shared.health.production)
    } else {
        (&shared.staging, &shared.health.staging)
    };
    let base = format!("http://{host}{prefix}");
    if let Some(doc) = openid_configuration(&host, &req.path) {
        return Response::json(200, &doc);
    }
    if let Some(realm) = rest
        .strip_prefix("/realms/")
        .and_then(|r| r.strip_suffix("/protocol/openid-connect/token"))
        .filter(|r| !r.is_empty() && !r.contains('/'))
    {
        if req.method != "POST" {
            return Response::error(405, "the token endpoint takes a POST");
        }
        return side.lock().await.identity.token(realm, &req.form());
    }
    if let Some(admin) = rest.strip_prefix("/admin/realms")
        && (admin.is_empty() || admin.starts_with('/'))
    {
        return side.lock().await.identity.admin(req, admin, &base);
    }
    // What a rehearsal would have e-mailed: nobody, but the operator (and a
    // test) can see what was asked.
    if rest == "/sandbox/mails" && req.method == "GET" {
        return Response::json(200, &Value::Array(side.lock().await.identity.mails.clone()));
    }
    if let Some(api) = rest.strip_prefix("/v1/") {
        return api_call(side, db, req, api).await;
    }
    let (status, body) = answer(&shared.health, &req.path).await;
    Response {
        status,
        headers: Vec::new(),
        body,
    }
}

/// `/v1/…` with a bearer token this side issued, logged.
async fn api_call(side: &Mutex<Side>, db: &str, req: &Request, api: &str) -> Response {
    let (user, log) = {
        let s = side.lock().await;
        let user = req
            .bearer()
            .and_then(|t| s.identity.grant(t))
            .map(|g| g.subject.clone());
        (user, s.log.clone())
    };
    let response = match &user {
        None => Response::error(
            401,
            "a bearer token from the identity provider is required (POST …/realms/REALM/protocol/openid-connect/token)",
        ),
        Some(_) => app_api::answer(db, req, &format!("/{api}"), &log).await,
    };
    let mut s = side.lock().await;
    let n = s.log.len() + 1;
    s.log.push(json!({
        "request_id": format!("sandbox-{n:06}"),
        "method": req.method,
        "path": req.path,
        "status": response.status,
        "user": user,
        "at": jiff::Timestamp::now().to_string(),
    }));
    response
}

async fn answer(h: &Health, path: &str) -> (u16, String) {
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
        _ => return (404, json!({"error": "not found"}).to_string()),
    };
    let status = if state.is_ok() { 200 } else { 503 };
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
