//! A stand-in for an application's own API under `/v1`, answered from the
//! sandbox database's real state, so that smoke tests after a migration
//! see what the migration did: `GET /v1/admin/NAME` lists the rows of the
//! table NAME (`routing-rules` is `routing_rules`), `GET /v1/admin/NAME/ID`
//! one of them, and `POST /v1/chat/completions` answers in OpenAI's shape
//! once a row of `routing_rules` (when the database has that table) routes
//! the model asked for. `GET /v1/admin/logs`, when no table holds logs, is
//! this endpoint's own log of the `/v1` requests it answered.

use serde_json::{Value, json};

use super::request::{Request, Response};
use crate::db::conn::DbConfig;

/// Most rows one listing returns: sandbox datasets are small, and a
/// listing must not hold the endpoint for long.
const MAX_ROWS: u64 = 10_000;

/// `rest` is the path after `/v1`; `log` the requests answered so far.
pub async fn answer(db: &str, req: &Request, rest: &str, log: &[Value]) -> Response {
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    match (req.method.as_str(), parts.as_slice()) {
        ("GET", ["admin", resource]) => list(db, resource, req, log).await,
        ("GET", ["admin", resource, id]) => one(db, resource, id).await,
        ("POST", ["chat", "completions"]) => chat(db, req).await,
        _ => Response::error(
            404,
            format!(
                "{} /v1{rest} is not part of the sandbox's application API: it answers GET /v1/admin/TABLE[/ID] and POST /v1/chat/completions",
                req.method
            ),
        ),
    }
}

/// A table's name from an API resource, when it can be one.
fn table_of(resource: &str) -> Option<String> {
    let name = resource.replace('-', "_").to_ascii_lowercase();
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    ok.then_some(name)
}

async fn client(db: &str) -> Result<tokio_postgres::Client, Response> {
    let cfg = DbConfig::parse("sandbox", Some(db), &|_| None)
        .map_err(|e| Response::error(503, e.to_string()))?;
    cfg.connect()
        .await
        .map_err(|e| Response::error(503, e.to_string()))
}

/// Whether `table` is a table or view the database's search path sees.
async fn exists(c: &tokio_postgres::Client, table: &str) -> Result<bool, Response> {
    c.query_opt(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname = $1 AND n.nspname = ANY (current_schemas(false)) \
         AND c.relkind IN ('r', 'v', 'm', 'p')",
        &[&table],
    )
    .await
    .map(|r| r.is_some())
    .map_err(|e| Response::error(503, e.to_string()))
}

fn no_table(resource: &str, table: &str) -> Response {
    Response::error(
        404,
        format!(
            "no table `{table}` in the sandbox database: /v1/admin/{resource} lists that table's rows; add it to the runbook's sandbox dataset"
        ),
    )
}

async fn list(db: &str, resource: &str, req: &Request, log: &[Value]) -> Response {
    let Some(table) = table_of(resource) else {
        return Response::error(404, format!("/v1/admin/{resource} names no table"));
    };
    let number = |name: &str, default: u64| {
        req.query(name)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(default)
    };
    let limit = number("limit", MAX_ROWS).min(MAX_ROWS);
    let offset = number("offset", 0);
    let c = match client(db).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match exists(&c, &table).await {
        Ok(true) => {}
        Ok(false) if table == "logs" => {
            let newest: Vec<Value> = log
                .iter()
                .rev()
                .skip(offset as usize)
                .take(limit as usize)
                .cloned()
                .collect();
            return Response::json(200, &Value::Array(newest));
        }
        Ok(false) => return no_table(resource, &table),
        Err(r) => return r,
    }
    let sql = format!(
        "SELECT coalesce(json_agg(t), '[]'::json)::text FROM \
         (SELECT * FROM \"{table}\" ORDER BY 1 LIMIT {limit} OFFSET {offset}) t"
    );
    rows_json(&c, &sql, &[]).await
}

async fn one(db: &str, resource: &str, id: &str) -> Response {
    let Some(table) = table_of(resource) else {
        return Response::error(404, format!("/v1/admin/{resource} names no table"));
    };
    let c = match client(db).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match exists(&c, &table).await {
        Ok(true) => {}
        Ok(false) => return no_table(resource, &table),
        Err(r) => return r,
    }
    let sql = format!(
        "SELECT coalesce(json_agg(t), '[]'::json)::text FROM \
         (SELECT * FROM \"{table}\" WHERE id::text = $1 LIMIT 1) t"
    );
    match rows_json(&c, &sql, &[&id]).await {
        r if r.status != 200 => r,
        r => {
            let first = serde_json::from_str::<Value>(&r.body)
                .ok()
                .and_then(|v| v.get(0).cloned());
            match first {
                Some(row) => Response::json(200, &row),
                None => Response::error(404, format!("no row of `{table}` has id {id}")),
            }
        }
    }
}

async fn rows_json(
    c: &tokio_postgres::Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Response {
    match c.query_one(sql, params).await {
        Ok(row) => {
            let text: String = row.get(0);
            Response {
                status: 200,
                headers: Vec::new(),
                body: text,
            }
        }
        Err(e) => Response::error(503, e.to_string()),
    }
}

fn openai_error(status: u16, message: String, code: &str) -> Response {
    Response::json(
        status,
        &json!({"error": {"message": message, "type": "invalid_request_error", "code": code}}),
    )
}

async fn chat(db: &str, req: &Request) -> Response {
    let body = req.json().unwrap_or(Value::Null);
    let Some(model) = body["model"].as_str().filter(|m| !m.is_empty()) else {
        return openai_error(400, "`model` is required".into(), "invalid_request");
    };
    let Some(messages) = body["messages"].as_array().filter(|m| !m.is_empty()) else {
        return openai_error(
            400,
            "`messages` must be a non-empty array".into(),
            "invalid_request",
        );
    };
    let provider = match route(db, model).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let asked = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default();
    let content = format!("(sandbox, routed to {provider}) {asked}");
    let words = |s: &str| s.split_whitespace().count();
    Response::json(
        200,
        &json!({
            "id": "chatcmpl-sandbox",
            "object": "chat.completion",
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }],
            "usage": {
                "prompt_tokens": words(asked),
                "completion_tokens": words(&content),
                "total_tokens": words(asked) + words(&content),
            },
        }),
    )
}

/// The provider the first enabled rule of `routing_rules` (by priority)
/// whose `model_pattern` matches gives `model`; "sandbox" when the
/// database has no such table.
async fn route(db: &str, model: &str) -> Result<String, Response> {
    let c = client(db).await?;
    let columns: Vec<String> = c
        .query(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_name = 'routing_rules' AND table_schema = ANY (current_schemas(false))",
            &[],
        )
        .await
        .map_err(|e| Response::error(503, e.to_string()))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let has = |c: &str| columns.iter().any(|x| x == c);
    if !has("model_pattern") || !has("provider") {
        return Ok("sandbox".into());
    }
    let filter = if has("enabled") { "WHERE enabled" } else { "" };
    let order = if has("priority") {
        "ORDER BY priority, 1"
    } else {
        "ORDER BY 1"
    };
    let rules = c
        .query(
            &format!(
                "SELECT model_pattern::text, provider::text FROM routing_rules {filter} {order}"
            ),
            &[],
        )
        .await
        .map_err(|e| Response::error(503, e.to_string()))?;
    let found = rules
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
        .find(|(pattern, _)| glob(pattern, model));
    match found {
        Some((_, provider)) => Ok(provider),
        None => Err(openai_error(
            404,
            format!(
                "no routing rule for model `{model}`: routing_rules has {} enabled rule(s) and none matches",
                rules.len()
            ),
            "model_not_found",
        )),
    }
}

/// `*` matches any run of characters; everything else itself.
fn glob(pattern: &str, s: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == s,
        Some((head, tail)) => {
            let Some(rest) = s.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|i| rest.is_char_boundary(*i))
                .any(|i| glob(tail, &rest[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_name_tables_and_patterns_route_models() {
        assert_eq!(table_of("routing-rules").as_deref(), Some("routing_rules"));
        assert_eq!(table_of("users").as_deref(), Some("users"));
        for bad in ["", "1users", "users;drop", "a\"b", "é"] {
            assert!(table_of(bad).is_none(), "{bad}");
        }
        assert!(glob("gpt-4o*", "gpt-4o-mini"));
        assert!(glob("*", "anything"));
        assert!(glob("claude-*-v2", "claude-3-v2"));
        assert!(!glob("claude-*", "gpt-4o-mini"));
        assert!(!glob("gpt-4o", "gpt-4o-mini"));
    }
}
