//! One journal line: its fields, how it is encoded and decoded, and the hash
//! that chains it to the next line.

use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::escape::push_json_str;

/// Written in every record's `v`; readers refuse other versions rather
/// than guess at their meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// The `prev` of the first record (seq 0): there is no previous line.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The header fields, which a body must not use as its own field names.
pub const RESERVED_FIELDS: [&str; 4] = ["v", "seq", "ts", "prev"];

/// A decoded journal line. `body` holds every field after the header.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<T> {
    pub v: u32,
    pub seq: u64,
    pub ts: Timestamp,
    /// Hex SHA-256 of the previous line, or [`GENESIS_PREV`].
    pub prev: String,
    pub body: T,
}

/// The header of a line, decoded without knowing the body type.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub v: u32,
    pub seq: u64,
    pub ts: Timestamp,
    pub prev: String,
}

/// Hex SHA-256 of a line's exact bytes, without its newline.
pub fn line_hash(line: &[u8]) -> String {
    hex::encode(Sha256::digest(line))
}

/// `ts` as written in a line: RFC 3339, UTC, always three fractional digits,
/// so lines line up and sort as text. Finer precision is truncated.
pub fn format_ts(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Turns a body into the fields that follow the header.
///
/// Errors (as text) if the body is not a JSON object or uses a header name,
/// which would make the line ambiguous.
pub fn body_fields<T: Serialize>(body: &T) -> Result<Map<String, Value>, String> {
    match serde_json::to_value(body) {
        Ok(Value::Object(fields)) => {
            if let Some(name) = RESERVED_FIELDS.iter().find(|n| fields.contains_key(**n)) {
                Err(format!(
                    "the body has a field named `{name}`, which the header uses"
                ))
            } else {
                Ok(fields)
            }
        }
        Ok(other) => Err(format!(
            "the body must serialize as a JSON object, not {}",
            json_kind(&other)
        )),
        Err(e) => Err(format!("the body could not be serialized: {e}")),
    }
}

/// The line (without newline) for a record whose body is already `fields`.
/// Written field by field, without copying the body again: output chunks
/// make most of a journal's bytes.
pub fn encode_fields(seq: u64, ts: Timestamp, prev: &str, fields: &Map<String, Value>) -> String {
    let mut out: Vec<u8> =
        Vec::with_capacity(160 + fields.values().map(value_len_hint).sum::<usize>());
    out.extend_from_slice(
        format!(
            "{{\"v\":{SCHEMA_VERSION},\"seq\":{seq},\"ts\":\"{}\",\"prev\":\"{prev}\"",
            format_ts(ts)
        )
        .as_bytes(),
    );
    for (k, v) in fields {
        out.push(b',');
        // Keys and values of a JSON map always serialize.
        let _ = serde_json::to_writer(&mut out, k);
        out.push(b':');
        match v {
            Value::String(text) => push_json_str(&mut out, text),
            other => {
                let _ = serde_json::to_writer(&mut out, other);
            }
        }
    }
    out.push(b'}');
    String::from_utf8(out).unwrap_or_default()
}

fn value_len_hint(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len() + 16,
        _ => 16,
    }
}

impl<T: Serialize> Record<T> {
    /// The line (without newline) for this record. `v` is always written as
    /// [`SCHEMA_VERSION`]: this code cannot write any other version.
    pub fn to_line(&self) -> Result<String, String> {
        let fields = body_fields(&self.body)?;
        Ok(encode_fields(self.seq, self.ts, &self.prev, &fields))
    }
}

/// Why a line is not a record this runsheet can read. The text is a
/// reason fit for [`crate::journal::Break`] or a `Corrupt` error; the
/// variant lets `verify` and the replay tell a journal of another version
/// (still a journal) from a file that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The line is not JSON at all.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON, but not a record (another kind of value, or a field missing).
    #[error("not a record: {0}")]
    NotARecord(String),
    /// A record of a schema version this runsheet does not read.
    #[error(
        "unknown schema version {0} (this runsheet reads version {SCHEMA_VERSION}; \
         use the runsheet that wrote the journal)"
    )]
    UnknownVersion(u64),
    /// A header field (`v`, `seq`, `ts`, `prev`) has a value it cannot have.
    #[error("bad {field} {value}")]
    BadHeader { field: &'static str, value: String },
    /// The header is sound but the body is no message this runsheet knows.
    #[error("a record this runsheet does not understand: {0}")]
    UnknownBody(String),
}

/// Splits a line into its header and body fields.
pub fn decode_header(line: &[u8]) -> Result<(Header, Map<String, Value>), RecordError> {
    let value: Value =
        serde_json::from_slice(line).map_err(|e| RecordError::NotJson(e.to_string()))?;
    let Value::Object(mut obj) = value else {
        return Err(RecordError::NotARecord(format!(
            "a JSON {}",
            json_kind(&value)
        )));
    };
    let bad = |field: &'static str, value: String| RecordError::BadHeader { field, value };
    let missing = |what: &str| RecordError::NotARecord(format!("no {what}"));
    let v = match obj.remove("v") {
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| bad("schema version", n.to_string()))?,
        Some(other) => return Err(bad("schema version", other.to_string())),
        None => return Err(missing("schema version `v`")),
    };
    if v != u64::from(SCHEMA_VERSION) {
        return Err(RecordError::UnknownVersion(v));
    }
    let seq = match obj.remove("seq") {
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| bad("seq", n.to_string()))?,
        Some(other) => return Err(bad("seq", other.to_string())),
        None => return Err(missing("`seq`")),
    };
    let ts = match obj.remove("ts") {
        Some(Value::String(s)) => s
            .parse::<Timestamp>()
            .map_err(|e| bad("timestamp", format!("{s:?}: {e}")))?,
        Some(other) => return Err(bad("timestamp", other.to_string())),
        None => return Err(missing("`ts`")),
    };
    let prev = match obj.remove("prev") {
        Some(Value::String(s)) if is_hash(&s) => s,
        Some(other) => return Err(bad("prev", format!("{other} (expected 64 hex digits)"))),
        None => return Err(missing("`prev`")),
    };
    let header = Header {
        v: SCHEMA_VERSION,
        seq,
        ts,
        prev,
    };
    Ok((header, obj))
}

/// Decodes a whole line into a record with a typed body.
pub fn decode_line<T: DeserializeOwned>(line: &[u8]) -> Result<Record<T>, RecordError> {
    let (h, fields) = decode_header(line)?;
    let body = serde_json::from_value(Value::Object(fields))
        .map_err(|e| RecordError::UnknownBody(e.to_string()))?;
    Ok(Record {
        v: h.v,
        seq: h.seq,
        ts: h.ts,
        prev: h.prev,
        body,
    })
}

fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "kebab-case")]
    enum Body {
        SessionStarted { target: String },
        Note { text: String },
    }

    fn ts() -> Timestamp {
        "2026-11-21T14:03:12.345Z".parse().unwrap_or_default()
    }

    #[test]
    fn header_comes_first_then_body_fields() {
        let line = encode_fields(
            0,
            ts(),
            GENESIS_PREV,
            &body_fields(&Body::SessionStarted {
                target: "production".into(),
            })
            .unwrap_or_default(),
        );
        assert_eq!(
            line,
            format!(
                r#"{{"v":1,"seq":0,"ts":"2026-11-21T14:03:12.345Z","prev":"{GENESIS_PREV}","type":"session-started","target":"production"}}"#
            )
        );
    }

    #[test]
    fn whole_seconds_keep_three_digits() {
        let t: Timestamp = "2026-11-21T14:03:12Z".parse().unwrap_or_default();
        assert_eq!(format_ts(t), "2026-11-21T14:03:12.000Z");
    }

    #[test]
    fn round_trip() {
        let rec = Record {
            v: SCHEMA_VERSION,
            seq: 7,
            ts: ts(),
            prev: line_hash(b"x"),
            body: Body::Note {
                text: "é\n\"".into(),
            },
        };
        let line = rec.to_line().unwrap_or_default();
        assert!(!line.contains('\n'));
        assert_eq!(decode_line::<Body>(line.as_bytes()), Ok(rec));
    }

    #[test]
    fn bodies_that_would_be_ambiguous_are_refused() {
        #[derive(Serialize)]
        struct Clash {
            seq: u32,
        }
        assert!(body_fields(&Clash { seq: 1 }).is_err());
        assert!(body_fields(&42).is_err());
    }

    #[test]
    fn unknown_version_is_named() {
        let line =
            format!(r#"{{"v":7,"seq":0,"ts":"2026-11-21T14:03:12.345Z","prev":"{GENESIS_PREV}"}}"#);
        let err = decode_header(line.as_bytes()).err();
        assert_eq!(err, Some(RecordError::UnknownVersion(7)));
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.starts_with("unknown schema version 7"), "{text}");
        // Every reason keeps the words `verify` and the replay show.
        for (line, reason) in [
            ("[1]", "not a record: a JSON array"),
            ("{}", "not a record: no schema version `v`"),
            (r#"{"v":1}"#, "not a record: no `seq`"),
            (r#"{"v":1,"seq":-1}"#, "bad seq -1"),
            (r#"{"v":1,"seq":0,"ts":5}"#, "bad timestamp 5"),
            (
                r#"{"v":1,"seq":0,"ts":"2026-11-21T14:03:12.345Z","prev":"x"}"#,
                "bad prev \"x\" (expected 64 hex digits)",
            ),
        ] {
            let got = decode_header(line.as_bytes()).err().map(|e| e.to_string());
            assert_eq!(got.as_deref(), Some(reason), "{line}");
        }
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            line_hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
