//! Follows the paths the parser normalized (`.a.b[0].c`, `.` for the whole
//! document, `.[0]` for a top-level array). The parser already refused
//! wildcards, filters and `..`, so a path names at most one value.

use serde_json::Value;

/// The value at `path`, or None when a key or index is missing (or the
/// path does not have the normalized form).
pub fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    if path == "." {
        return Some(root);
    }
    let mut at = root;
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let (index, r) = r.split_once(']')?;
            at = at.as_array()?.get(index.parse::<usize>().ok()?)?;
            rest = r;
        } else if let Some(r) = rest.strip_prefix('.') {
            if r.starts_with('[') {
                rest = r;
                continue;
            }
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let (key, r) = r.split_at(end);
            if key.is_empty() {
                return None;
            }
            at = at.as_object()?.get(key)?;
            rest = r;
        } else {
            return None;
        }
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_indexes_and_the_root() {
        let doc = json!({"status": "ok", "migrations": {"pending_count": 0},
                         "items": [{"id": 7}, {"id": 8}], "pending-count": 3});
        assert_eq!(lookup(&doc, "."), Some(&doc));
        assert_eq!(lookup(&doc, ".status"), Some(&json!("ok")));
        assert_eq!(lookup(&doc, ".migrations.pending_count"), Some(&json!(0)));
        assert_eq!(lookup(&doc, ".items[1].id"), Some(&json!(8)));
        assert_eq!(lookup(&doc, ".pending-count"), Some(&json!(3)));
        let list = json!([{"id": 1}, {"id": 2}]);
        assert_eq!(lookup(&list, ".[1].id"), Some(&json!(2)));
    }

    #[test]
    fn missing_values_and_wrong_shapes_are_none() {
        let doc = json!({"a": {"b": [1]}, "n": null});
        assert_eq!(lookup(&doc, ".x"), None);
        assert_eq!(lookup(&doc, ".a.b[3]"), None);
        assert_eq!(lookup(&doc, ".a[0]"), None);
        assert_eq!(lookup(&doc, ".a.b.c"), None);
        assert_eq!(lookup(&doc, ".n"), Some(&Value::Null));
        assert_eq!(lookup(&doc, "a"), None);
    }
}
