//! A stand-in for Keycloak's token endpoint and admin REST API, so that a
//! runbook's `curl … $KEYCLOAK_URL/…` steps rehearse against state they
//! make themselves: a realm posted to `/admin/realms` is there for the next
//! step, users posted to a realm are listed, counted, found, updated and
//! sent their action e-mails (recorded, never sent).
//!
//! It knows no passwords: any non-empty username and password (or client
//! secret) get a token, since a rehearsal has no real credentials to check;
//! what it holds a runbook to is asking for a token and sending it. The
//! admin API wants a token of the `master` realm, as Keycloak does. Realms
//! exist as soon as they are named (discovery answers for any), so posting
//! one records its representation, and posting it twice is a conflict.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::request::{Request, Response};

/// The realm-scoped collections the admin API manages, each with the field
/// that names one of its members uniquely.
const COLLECTIONS: [(&str, &str); 4] = [
    ("users", "username"),
    ("clients", "clientId"),
    ("groups", "name"),
    ("roles", "name"),
];

/// Keycloak's default page size for listings.
const DEFAULT_MAX: usize = 100;

pub struct Grant {
    pub realm: String,
    pub subject: String,
}

#[derive(Default)]
struct Realm {
    representation: Option<Value>,
    collections: HashMap<&'static str, IndexMap<String, Value>>,
}

#[derive(Default)]
pub struct Identity {
    tokens: HashMap<String, Grant>,
    realms: IndexMap<String, Realm>,
    issued: u64,
    /// The action e-mails asked for, in order.
    pub mails: Vec<Value>,
}

impl Identity {
    /// `POST /realms/REALM/protocol/openid-connect/token`.
    pub fn token(&mut self, realm: &str, form: &[(String, String)]) -> Response {
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let Some(client) = field("client_id") else {
            return oauth_error(401, "invalid_client", "client_id is missing");
        };
        let subject = match field("grant_type") {
            Some("password") => match (field("username"), field("password")) {
                (Some(user), Some(_)) => user.to_string(),
                _ => {
                    return oauth_error(
                        401,
                        "invalid_grant",
                        "Invalid user credentials (the sandbox takes any non-empty username and password)",
                    );
                }
            },
            Some("client_credentials") => match field("client_secret") {
                Some(_) => format!("service-account-{client}"),
                None => {
                    return oauth_error(401, "unauthorized_client", "client_secret is missing");
                }
            },
            other => {
                return oauth_error(
                    400,
                    "unsupported_grant_type",
                    &format!(
                        "grant_type {} is not rehearsed: use password or client_credentials",
                        other.unwrap_or("(none)")
                    ),
                );
            }
        };
        let token = self.fresh_id("token");
        let refresh = self.fresh_id("refresh");
        self.tokens.insert(
            token.clone(),
            Grant {
                realm: realm.to_string(),
                subject,
            },
        );
        Response::json(
            200,
            &json!({
                "access_token": token,
                "expires_in": 300,
                "refresh_expires_in": 1800,
                "refresh_token": refresh,
                "token_type": "Bearer",
                "scope": "profile email",
            }),
        )
    }

    /// Who a bearer token was issued to, if this server issued it.
    pub fn grant(&self, token: &str) -> Option<&Grant> {
        self.tokens.get(token)
    }

    /// `/admin/realms…`: `rest` is what follows `/admin/realms`; `base` is
    /// this server's address with its prefix, for `Location`.
    pub fn admin(&mut self, req: &Request, rest: &str, base: &str) -> Response {
        match req.bearer().and_then(|t| self.grant(t)) {
            None => {
                return Response::json(401, &json!({"error": "HTTP 401 Unauthorized"}));
            }
            Some(g) if g.realm != "master" => {
                return Response::error(
                    403,
                    format!(
                        "the admin API wants a token of the master realm; this one is of `{}`",
                        g.realm
                    ),
                );
            }
            Some(_) => {}
        }
        let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
        let method = req.method.as_str();
        match parts.as_slice() {
            [] => match method {
                "GET" => Response::json(
                    200,
                    &Value::Array(
                        self.realms
                            .values()
                            .filter_map(|r| r.representation.clone())
                            .collect(),
                    ),
                ),
                "POST" => self.create_realm(req, base),
                _ => not_allowed(),
            },
            [realm] => self.realm(method, realm, req),
            [realm, "users", "count"] if method == "GET" => {
                let n = self
                    .realm_mut(realm)
                    .collections
                    .get("users")
                    .map_or(0, IndexMap::len);
                Response::json(200, &json!(n))
            }
            [realm, collection] => match known(collection) {
                Some((name, key)) => match method {
                    "GET" => self.list(realm, name, req),
                    "POST" => self.create(realm, name, key, req, base),
                    _ => not_allowed(),
                },
                None => unknown(rest),
            },
            [realm, collection, id] => match known(collection) {
                Some((name, _)) => self.member(method, realm, name, id, req),
                None => unknown(rest),
            },
            [
                realm,
                "users",
                id,
                action @ ("execute-actions-email" | "reset-password"),
            ] => {
                if method != "PUT" {
                    return not_allowed();
                }
                self.user_action(realm, id, action, req)
            }
            _ => unknown(rest),
        }
    }

    fn create_realm(&mut self, req: &Request, base: &str) -> Response {
        let Some(rep) = req.json().filter(Value::is_object) else {
            return Response::json(
                400,
                &json!({"errorMessage": "the body is not a realm representation (a JSON object): an empty or unreadable file?"}),
            );
        };
        let Some(name) = rep["realm"]
            .as_str()
            .filter(|n| !n.is_empty())
            .map(String::from)
        else {
            return Response::json(400, &json!({"errorMessage": "Realm name cannot be empty"}));
        };
        let realm = self.realm_mut(&name);
        if realm.representation.is_some() {
            return Response::json(
                409,
                &json!({"errorMessage": format!("Conflict detected: realm {name} already exists")}),
            );
        }
        // Users and clients in an import land in their collections.
        let mut rep = rep;
        for (collection, key) in COLLECTIONS {
            if let Some(items) = rep.get_mut(collection).and_then(|v| v.as_array_mut()) {
                let items = std::mem::take(items);
                for item in items {
                    let id = self.fresh_uuid();
                    let item = member(item, &id);
                    let realm = self.realm_mut(&name);
                    let members = realm.collections.entry(collection).or_default();
                    if !members.values().any(|m| same(m, &item, key)) {
                        members.insert(id, item);
                    }
                }
            }
        }
        if let Some(obj) = rep.as_object_mut() {
            obj.entry("enabled").or_insert(json!(true));
            for (collection, _) in COLLECTIONS {
                obj.remove(collection);
            }
        }
        self.realm_mut(&name).representation = Some(rep);
        Response::created(format!("{base}/admin/realms/{name}"))
    }

    fn realm(&mut self, method: &str, name: &str, req: &Request) -> Response {
        match method {
            "GET" => {
                let rep = self
                    .realm_mut(name)
                    .representation
                    .clone()
                    .unwrap_or_else(|| json!({"realm": name, "enabled": true}));
                Response::json(200, &rep)
            }
            "PUT" => {
                let Some(Value::Object(changes)) = req.json() else {
                    return Response::json(400, &json!({"errorMessage": "not a JSON object"}));
                };
                let realm = self.realm_mut(name);
                let mut rep = realm
                    .representation
                    .take()
                    .unwrap_or_else(|| json!({"realm": name, "enabled": true}));
                merge(&mut rep, changes);
                realm.representation = Some(rep);
                Response::no_content()
            }
            "DELETE" => match self.realms.shift_remove(name) {
                Some(_) => Response::no_content(),
                None => Response::json(404, &json!({"error": "Realm not found."})),
            },
            _ => not_allowed(),
        }
    }

    fn list(&mut self, realm: &str, collection: &'static str, req: &Request) -> Response {
        let first = req.query("first").and_then(|v| v.parse().ok()).unwrap_or(0);
        let max = req
            .query("max")
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_MAX);
        let exact = req.query("exact") == Some("true");
        let filters: Vec<(&str, String)> = ["username", "email", "clientId", "name", "search"]
            .into_iter()
            .filter_map(|k| Some((k, req.query(k)?.to_lowercase())))
            .collect();
        let members = self
            .realm_mut(realm)
            .collections
            .entry(collection)
            .or_default();
        let found: Vec<Value> = members
            .values()
            .filter(|m| filters.iter().all(|(k, want)| matches(m, k, want, exact)))
            .skip(first)
            .take(max)
            .cloned()
            .collect();
        Response::json(200, &Value::Array(found))
    }

    fn create(
        &mut self,
        realm: &str,
        collection: &'static str,
        key: &str,
        req: &Request,
        base: &str,
    ) -> Response {
        let Some(item) = req.json().filter(Value::is_object) else {
            return Response::json(
                400,
                &json!({"errorMessage": format!("the body is not a {} representation (a JSON object)", singular(collection))}),
            );
        };
        let id = self.fresh_uuid();
        let mut item = member(item, &id);
        if collection == "users" && item.get("username").is_none() {
            match item.get("email").cloned() {
                Some(email) => item["username"] = email,
                None => {
                    return Response::json(400, &json!({"errorMessage": "User name is missing"}));
                }
            }
        }
        if item
            .get(key)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Response::json(400, &json!({"errorMessage": format!("{key} is missing")}));
        }
        let members = self
            .realm_mut(realm)
            .collections
            .entry(collection)
            .or_default();
        if members.values().any(|m| same(m, &item, key)) {
            return Response::json(
                409,
                &json!({"errorMessage": format!("{} exists with same {key}", capital(singular(collection)))}),
            );
        }
        members.insert(id.clone(), item);
        Response::created(format!("{base}/admin/realms/{realm}/{collection}/{id}"))
    }

    fn member(
        &mut self,
        method: &str,
        realm: &str,
        collection: &'static str,
        id: &str,
        req: &Request,
    ) -> Response {
        let members = self
            .realm_mut(realm)
            .collections
            .entry(collection)
            .or_default();
        let missing = || {
            Response::json(
                404,
                &json!({"error": format!("{} not found", capital(singular(collection)))}),
            )
        };
        match method {
            "GET" => members
                .get(id)
                .map_or_else(missing, |m| Response::json(200, m)),
            "PUT" => {
                let Some(Value::Object(changes)) = req.json() else {
                    return Response::json(400, &json!({"errorMessage": "not a JSON object"}));
                };
                match members.get_mut(id) {
                    Some(m) => {
                        merge(m, changes);
                        m["id"] = json!(id);
                        Response::no_content()
                    }
                    None => missing(),
                }
            }
            "DELETE" => match members.shift_remove(id) {
                Some(_) => Response::no_content(),
                None => missing(),
            },
            _ => not_allowed(),
        }
    }

    fn user_action(&mut self, realm: &str, id: &str, action: &str, req: &Request) -> Response {
        let users = self
            .realm_mut(realm)
            .collections
            .entry("users")
            .or_default();
        let Some(user) = users.get(id) else {
            return Response::json(404, &json!({"error": "User not found"}));
        };
        if action == "reset-password" {
            return match req.json() {
                Some(Value::Object(c)) if c.get("value").and_then(Value::as_str).is_some() => {
                    Response::no_content()
                }
                _ => Response::json(
                    400,
                    &json!({"errorMessage": "a credential representation with a `value` is expected"}),
                ),
            };
        }
        let Some(actions) = req
            .json()
            .and_then(|v| v.as_array().cloned())
            .filter(|a| a.iter().all(Value::is_string))
        else {
            return Response::json(
                400,
                &json!({"errorMessage": "the body must be a JSON array of required actions, like [\"UPDATE_PASSWORD\"]"}),
            );
        };
        let Some(email) = user.get("email").and_then(Value::as_str).map(String::from) else {
            return Response::json(400, &json!({"errorMessage": "User email missing"}));
        };
        let username = user["username"].clone();
        self.mails.push(json!({
            "realm": realm,
            "user": id,
            "username": username,
            "email": email,
            "actions": actions,
        }));
        Response::no_content()
    }

    fn realm_mut(&mut self, name: &str) -> &mut Realm {
        self.realms.entry(name.to_string()).or_default()
    }

    fn fresh_id(&mut self, kind: &str) -> String {
        use sha2::{Digest, Sha256};
        self.issued += 1;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let digest = Sha256::digest(format!(
            "{kind}:{}:{nanos}:{}",
            self.issued,
            std::process::id()
        ));
        format!("sandbox-{kind}-{}", hex::encode(&digest[..16]))
    }

    fn fresh_uuid(&mut self) -> String {
        let id = self.fresh_id("uuid");
        let h = id.rsplit('-').next().unwrap_or_default();
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

fn known(collection: &str) -> Option<(&'static str, &'static str)> {
    COLLECTIONS.into_iter().find(|(c, _)| *c == collection)
}

/// A new member as Keycloak keeps it: its own id (one sent is ignored),
/// enabled unless told otherwise, no credentials echoed back.
fn member(item: Value, id: &str) -> Value {
    let mut item = item;
    if let Some(obj) = item.as_object_mut() {
        obj.insert("id".into(), json!(id));
        obj.entry("enabled").or_insert(json!(true));
        obj.remove("credentials");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        obj.entry("createdTimestamp").or_insert(json!(now));
    }
    item
}

fn same(a: &Value, b: &Value, key: &str) -> bool {
    let name = |v: &Value| v.get(key).and_then(Value::as_str).map(str::to_lowercase);
    name(a).is_some() && name(a) == name(b)
}

/// Keycloak's listing filters: infix and case-insensitive unless `exact`;
/// `search` looks in the names and e-mail.
fn matches(m: &Value, key: &str, want: &str, exact: bool) -> bool {
    let fields: &[&str] = if key == "search" {
        &[
            "username",
            "email",
            "firstName",
            "lastName",
            "clientId",
            "name",
        ]
    } else {
        std::slice::from_ref(&key)
    };
    fields.iter().any(|f| {
        m.get(*f).and_then(Value::as_str).is_some_and(|v| {
            let v = v.to_lowercase();
            if exact { v == want } else { v.contains(want) }
        })
    })
}

fn merge(target: &mut Value, changes: Map<String, Value>) {
    if let Some(obj) = target.as_object_mut() {
        obj.extend(changes);
    }
}

fn singular(collection: &str) -> &str {
    collection.strip_suffix('s').unwrap_or(collection)
}

fn capital(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    Response::json(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

fn not_allowed() -> Response {
    Response::error(405, "method not allowed here")
}

fn unknown(rest: &str) -> Response {
    Response::error(
        404,
        format!(
            "/admin/realms{rest} is not part of the sandbox's Keycloak stand-in: it rehearses realms and their users, clients, groups and roles"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, token: Option<&str>, query: &[(&str, &str)], body: &str) -> Request {
        Request {
            method: method.into(),
            path: String::new(),
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            headers: token
                .map(|t| vec![("Authorization".to_string(), format!("Bearer {t}"))])
                .unwrap_or_default(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn token(idp: &mut Identity, realm: &str) -> String {
        let r = idp.token(
            realm,
            &form(&[
                ("client_id", "admin-cli"),
                ("username", "admin"),
                ("password", "x"),
                ("grant_type", "password"),
            ]),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let v: Value = serde_json::from_str(&r.body).unwrap_or_default();
        v["access_token"].as_str().unwrap_or_default().to_string()
    }

    fn body(r: &Response) -> Value {
        serde_json::from_str(&r.body).unwrap_or(Value::Null)
    }

    #[test]
    fn a_token_needs_a_client_and_credentials() {
        let mut idp = Identity::default();
        let no_password = idp.token(
            "master",
            &form(&[
                ("client_id", "admin-cli"),
                ("username", "admin"),
                ("grant_type", "password"),
            ]),
        );
        assert_eq!(no_password.status, 401);
        assert_eq!(body(&no_password)["error"], "invalid_grant");
        let no_grant = idp.token("master", &form(&[("client_id", "admin-cli")]));
        assert_eq!(no_grant.status, 400);
        let t = token(&mut idp, "master");
        assert_eq!(idp.grant(&t).map(|g| g.subject.as_str()), Some("admin"));
        assert!(idp.grant("forged").is_none());
    }

    #[test]
    fn realms_and_users_live_from_one_call_to_the_next() {
        let mut idp = Identity::default();
        let admin = token(&mut idp, "master");
        let base = "http://127.0.0.1:1";
        // Without a token, or with a token of another realm: refused.
        assert_eq!(idp.admin(&req("GET", None, &[], ""), "", base).status, 401);
        let user_token = token(&mut idp, "veylant");
        assert_eq!(
            idp.admin(&req("GET", Some(&user_token), &[], ""), "", base)
                .status,
            403
        );
        // An empty import (a file that was never written) is a bad request.
        let empty = idp.admin(&req("POST", Some(&admin), &[], ""), "", base);
        assert_eq!(empty.status, 400, "{}", empty.body);
        let realm = r#"{"realm":"veylant","users":[{"username":"a@x.fr","email":"a@x.fr"}]}"#;
        let created = idp.admin(&req("POST", Some(&admin), &[], realm), "", base);
        assert_eq!(created.status, 201);
        assert_eq!(
            created.headers,
            vec![(
                "location".to_string(),
                format!("{base}/admin/realms/veylant")
            )]
        );
        let again = idp.admin(&req("POST", Some(&admin), &[], realm), "", base);
        assert_eq!(again.status, 409);
        // Users: the imported one, then one posted; a duplicate conflicts.
        let user = r#"{"id":"staging-id","username":"B@x.fr","email":"b@x.fr","credentials":[{"value":"p"}]}"#;
        let post = idp.admin(
            &req("POST", Some(&admin), &[], user),
            "/veylant/users",
            base,
        );
        assert_eq!(post.status, 201, "{}", post.body);
        let dup = idp.admin(
            &req("POST", Some(&admin), &[], r#"{"username":"b@x.fr"}"#),
            "/veylant/users",
            base,
        );
        assert_eq!(dup.status, 409);
        let list = idp.admin(&req("GET", Some(&admin), &[], ""), "/veylant/users", base);
        let users = body(&list);
        assert_eq!(users.as_array().map(Vec::len), Some(2), "{users}");
        let b = &users[1];
        assert_ne!(b["id"], "staging-id", "Keycloak gives its own ids");
        assert!(b.get("credentials").is_none());
        let one = idp.admin(
            &req("GET", Some(&admin), &[("max", "1"), ("first", "1")], ""),
            "/veylant/users",
            base,
        );
        assert_eq!(body(&one)[0]["username"], "B@x.fr");
        let search = idp.admin(
            &req("GET", Some(&admin), &[("email", "B@X")], ""),
            "/veylant/users",
            base,
        );
        assert_eq!(body(&search).as_array().map(Vec::len), Some(1));
        let count = idp.admin(
            &req("GET", Some(&admin), &[], ""),
            "/veylant/users/count",
            base,
        );
        assert_eq!(body(&count), json!(2));
        // Action e-mails: recorded for a user with an address.
        let id = b["id"].as_str().unwrap_or_default().to_string();
        let path = format!("/veylant/users/{id}/execute-actions-email");
        let mail = idp.admin(
            &req("PUT", Some(&admin), &[], r#"["UPDATE_PASSWORD"]"#),
            &path,
            base,
        );
        assert_eq!(mail.status, 204, "{}", mail.body);
        assert_eq!(idp.mails.len(), 1);
        assert_eq!(idp.mails[0]["email"], "b@x.fr");
        let bad = idp.admin(
            &req("PUT", Some(&admin), &[], "UPDATE_PASSWORD"),
            &path,
            base,
        );
        assert_eq!(bad.status, 400);
        let nobody = idp.admin(
            &req("PUT", Some(&admin), &[], r#"["UPDATE_PASSWORD"]"#),
            "/veylant/users/nobody/execute-actions-email",
            base,
        );
        assert_eq!(nobody.status, 404);
        let unknown = idp.admin(&req("GET", Some(&admin), &[], ""), "/veylant/flows", base);
        assert_eq!(unknown.status, 404);
    }
}
