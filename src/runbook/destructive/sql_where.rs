//! Whether a `WHERE` (or a `MERGE … ON`) really picks rows.
//!
//! A condition picks rows when it looks at them: one that mentions no column
//! of the table being changed is the same for every row, so it changes all
//! of them or none (`WHERE true`, `WHERE 1=1`, `WHERE 'a'='a'`,
//! `WHERE now() > '2000-01-01'`, `DELETE … USING u WHERE u.flag`). One that
//! does mention a column may still hold for every row: the condition is
//! folded with three-valued logic where constants compare as PostgreSQL
//! would, `x = x` holds, `… OR true` holds, `NOT false` holds and
//! `p OR NOT p` (`x IS NULL OR x IS NOT NULL`, `a = b OR a <> b`) holds.
//!
//! Limits, on purpose: a subquery with a `FROM` counts as looking at rows
//! (`WHERE EXISTS (SELECT 1 FROM other)` is not caught), and so do
//! functions of a column (`WHERE length(name) >= 0` is not caught).

use super::sql_lex::{Kind, Tok, is_kw, matching_paren, name, word};

/// Recursion guard for parenthesised conditions.
const MAX_DEPTH: usize = 32;

/// Words in a condition that are not columns.
const NOT_COLUMNS: &[&str] = &[
    "and",
    "or",
    "not",
    "is",
    "null",
    "true",
    "false",
    "unknown",
    "in",
    "between",
    "symmetric",
    "like",
    "ilike",
    "similar",
    "to",
    "escape",
    "distinct",
    "from",
    "case",
    "when",
    "then",
    "else",
    "end",
    "cast",
    "as",
    "any",
    "all",
    "some",
    "exists",
    "array",
    "interval",
    "at",
    "time",
    "zone",
    "with",
    "without",
    "precision",
    "varying",
    "collate",
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "current_user",
    "session_user",
    "user",
    "current_role",
    "current_catalog",
    "current_schema",
    "isnull",
    "notnull",
    "row",
    "overlaps",
    "double",
    "character",
    "varchar",
    "char",
    "int",
    "integer",
    "bigint",
    "smallint",
    "numeric",
    "decimal",
    "real",
    "text",
    "boolean",
    "bool",
    "date",
    "timestamp",
    "timestamptz",
    "uuid",
    "json",
    "jsonb",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "leading",
    "trailing",
    "both",
    "for",
    "placing",
    "only",
    "of",
];

/// Functions whose two calls differ, so `f() = f()` is not a tautology.
const VOLATILE: &[&str] = &[
    "random",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "gen_random_uuid",
];

/// The table a statement changes: its name and alias, as PostgreSQL folds them.
pub(super) struct Target {
    pub names: Vec<String>,
    /// `USING …` / `FROM …` / `MERGE … USING`: other tables are in scope,
    /// and a condition on them alone does not pick the target's rows.
    pub joined: bool,
}

/// True when `cond` picks rows of `target`: it looks at them and may be
/// false for some.
pub(super) fn picks_rows(text: &str, cond: &[Tok], target: &Target) -> bool {
    if cond.first().is_some_and(|t| is_kw(text, t, "CURRENT")) {
        // `WHERE CURRENT OF cursor`: one row.
        return true;
    }
    let value = eval(text, cond, 0);
    if !looks_at_rows(text, cond, target, 0) {
        // The same for every row: all of them, unless it is plainly false.
        return value == V::False;
    }
    value != V::True
}

/// The target of `DELETE FROM [ONLY] t [*] [[AS] a]`, `UPDATE [ONLY] t …`
/// or `MERGE INTO t [[AS] a]`: `toks` starts at the table's name.
pub(super) fn target_at(text: &str, toks: &[Tok], joined: bool) -> Target {
    let mut i = 0;
    if toks.first().is_some_and(|t| is_kw(text, t, "ONLY")) {
        i += 1;
    }
    let mut names = Vec::new();
    let mut last = None;
    while let Some(t) = toks.get(i) {
        if matches!(t.kind, Kind::Word | Kind::QuotedIdent) {
            last = name(text, t);
            i += 1;
            if toks.get(i).is_some_and(|d| d.kind == Kind::Dot) {
                i += 1;
                continue;
            }
        }
        break;
    }
    names.extend(last);
    if toks.get(i).is_some_and(|t| word(text, t) == "*") {
        i += 1;
    }
    if toks.get(i).is_some_and(|t| is_kw(text, t, "AS")) {
        i += 1;
    }
    if let Some(t) = toks.get(i) {
        let clause = ["USING", "WHERE", "RETURNING", "SET", "ON"]
            .iter()
            .any(|k| is_kw(text, t, k));
        if !clause && let Some(alias) = name(text, t) {
            names.push(alias);
        }
    }
    Target { names, joined }
}

/// Does the condition mention a column of the target (or, without a join,
/// any column at all)?
fn looks_at_rows(text: &str, cond: &[Tok], target: &Target, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return true; // too deep to read: taken as real, like a subquery
    }
    let mut i = 0;
    while i < cond.len() {
        let t = &cond[i];
        match t.kind {
            Kind::LParen => {
                let close = matching_paren(cond, i);
                let inner = cond.get(i + 1..close).unwrap_or_default();
                let subquery = inner.first().is_some_and(|f| {
                    ["SELECT", "WITH", "VALUES", "TABLE"]
                        .iter()
                        .any(|k| is_kw(text, f, k))
                });
                if subquery {
                    // A subquery reading a table is taken as a real
                    // condition (correlation cannot be told from text).
                    if inner.iter().any(|w| is_kw(text, w, "FROM")) {
                        return true;
                    }
                } else if looks_at_rows(text, inner, target, depth + 1) {
                    return true;
                }
                i = close + 1;
                continue;
            }
            Kind::Word | Kind::QuotedIdent if is_column(text, cond, i) => {
                if !target.joined {
                    return true;
                }
                // With other tables in scope, an unqualified column may be
                // the target's; a qualified one is the target's only when
                // its qualifier names it.
                let qualifier = (i >= 2 && cond[i - 1].kind == Kind::Dot)
                    .then(|| name(text, &cond[i - 2]))
                    .flatten();
                let qualifies_next = cond.get(i + 1).is_some_and(|n| n.kind == Kind::Dot);
                if !qualifies_next {
                    match qualifier {
                        None => return true,
                        Some(q) if target.names.contains(&q) => return true,
                        Some(_) => {}
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

fn is_column(text: &str, toks: &[Tok], i: usize) -> bool {
    let t = &toks[i];
    let next = toks.get(i + 1);
    if next.is_some_and(|n| n.kind == Kind::LParen) {
        return false; // a function
    }
    if t.kind == Kind::QuotedIdent {
        return true;
    }
    if next.is_some_and(|n| n.kind == Kind::Str) {
        return false; // a typed literal: DATE '2024-01-01'
    }
    let prev = i.checked_sub(1).map(|p| &toks[p]);
    if prev.is_some_and(|p| p.kind == Kind::Op && word(text, p) == "::") {
        return false; // a type name
    }
    if prev.is_some_and(|p| word(text, p).eq_ignore_ascii_case("AS")) {
        return false; // CAST (x AS type)
    }
    let w = word(text, t).to_ascii_lowercase();
    !NOT_COLUMNS.contains(&w.as_str())
}

/// Three-valued truth of a condition, as far as the text tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum V {
    True,
    False,
    Unknown,
}

impl V {
    fn not(self) -> V {
        match self {
            V::True => V::False,
            V::False => V::True,
            V::Unknown => V::Unknown,
        }
    }
}

fn eval(text: &str, toks: &[Tok], depth: usize) -> V {
    if depth > MAX_DEPTH || toks.is_empty() {
        return V::Unknown;
    }
    let disjuncts = split_top(text, toks, "OR");
    if disjuncts.len() > 1 {
        let values: Vec<V> = disjuncts.iter().map(|d| eval(text, d, depth + 1)).collect();
        // Pairs are compared only in a condition of human size.
        let small = disjuncts.len() <= 64;
        if values.contains(&V::True) || (small && complementary(text, &disjuncts)) {
            return V::True;
        }
        if values.iter().all(|v| *v == V::False) {
            return V::False;
        }
        return V::Unknown;
    }
    let conjuncts = split_top(text, toks, "AND");
    if conjuncts.len() > 1 {
        let values: Vec<V> = conjuncts.iter().map(|c| eval(text, c, depth + 1)).collect();
        if values.contains(&V::False) {
            return V::False;
        }
        if values.iter().all(|v| *v == V::True) {
            return V::True;
        }
        return V::Unknown;
    }
    if is_kw(text, &toks[0], "NOT") {
        return eval(text, &toks[1..], depth + 1).not();
    }
    if toks[0].kind == Kind::LParen && matching_paren(toks, 0) == toks.len() - 1 {
        return eval(text, &toks[1..toks.len() - 1], depth + 1);
    }
    predicate(text, toks, depth)
}

/// Pieces of `toks` between top-level `keyword`s; the `AND` of a
/// `BETWEEN … AND …` is not a separator.
fn split_top<'a>(text: &str, toks: &'a [Tok], keyword: &str) -> Vec<&'a [Tok]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut between = false;
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            _ if is_kw(text, t, "BETWEEN") => between = true,
            _ if is_kw(text, t, keyword) => {
                if keyword == "AND" && between {
                    between = false;
                } else {
                    out.push(&toks[start..i]);
                    start = i + 1;
                }
            }
            _ => {}
        }
    }
    out.push(&toks[start..]);
    out
}

/// A comparison, an `IS` test, a `LIKE`, or a single value.
fn predicate(text: &str, toks: &[Tok], depth: usize) -> V {
    if let Some(v) = constant_bool(text, toks) {
        return v;
    }
    if let Some(k) = toks.iter().position(|t| is_kw(text, t, "IS")) {
        let (operand, test) = (&toks[..k], &toks[k + 1..]);
        let negated = test.first().is_some_and(|t| is_kw(text, t, "NOT"));
        let test = if negated { &test[1..] } else { test };
        if test.first().is_some_and(|t| is_kw(text, t, "DISTINCT")) {
            // IS [NOT] DISTINCT FROM: identical sides are never distinct.
            let rhs = test.get(2..).unwrap_or_default();
            if same(text, operand, rhs) {
                return if negated { V::True } else { V::False };
            }
            return V::Unknown;
        }
        let value = eval(text, operand, depth + 1);
        let holds = match test.first().map(|t| word(text, t).to_ascii_uppercase()) {
            Some(w) if w == "TRUE" => is_known(value, V::True),
            Some(w) if w == "FALSE" => is_known(value, V::False),
            Some(w) if w == "NULL" || w == "UNKNOWN" => {
                if constant_null(text, operand) {
                    V::True
                } else if constant_bool(text, operand).is_some() {
                    V::False
                } else {
                    V::Unknown
                }
            }
            _ => V::Unknown,
        };
        return if negated { holds.not() } else { holds };
    }
    if let Some(k) = toks
        .iter()
        .position(|t| is_kw(text, t, "LIKE") || is_kw(text, t, "ILIKE"))
    {
        let pattern = &toks[k + 1..];
        let matches_all = matches!(pattern, [p] if p.kind == Kind::Str
            && word(text, p).trim_matches('\'').chars().all(|c| c == '%')
            && word(text, p).contains('%'));
        let negated = k > 0 && is_kw(text, &toks[k - 1], "NOT");
        if matches_all {
            return if negated { V::False } else { V::True };
        }
        return V::Unknown;
    }
    comparison(text, toks)
}

fn is_known(value: V, wanted: V) -> V {
    match value {
        V::Unknown => V::Unknown,
        v if v == wanted => V::True,
        _ => V::False,
    }
}

const COMPARISONS: &[&str] = &["=", "==", "<>", "!=", "<", ">", "<=", ">="];

fn comparison(text: &str, toks: &[Tok]) -> V {
    let Some(k) = toks
        .iter()
        .position(|t| t.kind == Kind::Op && COMPARISONS.contains(&word(text, t)))
    else {
        return V::Unknown;
    };
    let (lhs, op, rhs) = (&toks[..k], word(text, &toks[k]), &toks[k + 1..]);
    if same(text, lhs, rhs) {
        return match op {
            "=" | "==" | "<=" | ">=" => V::True,
            _ => V::False,
        };
    }
    let (Some(a), Some(b)) = (constant(text, lhs), constant(text, rhs)) else {
        return V::Unknown;
    };
    let ord = match (&a, &b) {
        (Const::Num(x), Const::Num(y)) => x.partial_cmp(y),
        (Const::Str(x), Const::Str(y)) => Some(x.cmp(y)),
        (Const::Num(x), Const::Str(y)) | (Const::Str(y), Const::Num(x)) => {
            // '1' = 1: the string takes the number's type.
            let y: Option<f64> = y.trim().parse().ok();
            let ord = y.and_then(|y| x.partial_cmp(&y));
            if matches!(&a, Const::Str(_)) {
                ord.map(std::cmp::Ordering::reverse)
            } else {
                ord
            }
        }
    };
    let Some(ord) = ord else {
        return V::Unknown;
    };
    use std::cmp::Ordering::*;
    let holds = match op {
        "=" | "==" => ord == Equal,
        "<>" | "!=" => ord != Equal,
        "<" => ord == Less,
        ">" => ord == Greater,
        "<=" => ord != Greater,
        _ => ord != Less,
    };
    if holds { V::True } else { V::False }
}

enum Const {
    Num(f64),
    Str(String),
}

/// A number or a string literal, possibly in parentheses or cast.
fn constant(text: &str, toks: &[Tok]) -> Option<Const> {
    let toks = strip_cast(text, strip_parens(toks));
    match toks {
        [t] if t.kind == Kind::Number => word(text, t).parse().ok().map(Const::Num),
        [sign, t] if t.kind == Kind::Number && word(text, sign) == "-" => {
            word(text, t).parse::<f64>().ok().map(|n| Const::Num(-n))
        }
        [t] if t.kind == Kind::Str => {
            let w = word(text, t);
            let inner = w.strip_prefix('\'')?.strip_suffix('\'')?;
            Some(Const::Str(inner.replace("''", "'")))
        }
        _ => None,
    }
}

fn constant_bool(text: &str, toks: &[Tok]) -> Option<V> {
    let toks = strip_cast(text, strip_parens(toks));
    let [t] = toks else {
        return None;
    };
    let w = match t.kind {
        Kind::Word => word(text, t).to_ascii_lowercase(),
        Kind::Str => word(text, t).trim_matches('\'').trim().to_ascii_lowercase(),
        _ => return None,
    };
    match w.as_str() {
        "true" | "t" | "yes" | "y" | "on" | "1" => Some(V::True),
        "false" | "f" | "no" | "n" | "off" | "0" => Some(V::False),
        _ => None,
    }
}

fn constant_null(text: &str, toks: &[Tok]) -> bool {
    matches!(strip_cast(text, strip_parens(toks)), [t] if is_kw(text, t, "NULL"))
}

fn strip_parens(mut toks: &[Tok]) -> &[Tok] {
    for _ in 0..MAX_DEPTH {
        if !(toks.len() >= 2
            && toks[0].kind == Kind::LParen
            && matching_paren(toks, 0) == toks.len() - 1)
        {
            break;
        }
        toks = &toks[1..toks.len() - 1];
    }
    toks
}

/// `x::type` → `x`.
fn strip_cast<'a>(text: &str, toks: &'a [Tok]) -> &'a [Tok] {
    match toks
        .iter()
        .position(|t| t.kind == Kind::Op && word(text, t) == "::")
    {
        Some(k) if k > 0 => &toks[..k],
        _ => toks,
    }
}

/// The same expression on both sides, with nothing in it that differs
/// from one call to the next.
fn same(text: &str, a: &[Tok], b: &[Tok]) -> bool {
    let (a, b) = (strip_parens(a), strip_parens(b));
    if a.is_empty() || a.len() != b.len() {
        return false;
    }
    let volatile = a.iter().any(|t| {
        t.kind == Kind::Word && VOLATILE.contains(&word(text, t).to_ascii_lowercase().as_str())
    });
    !volatile && a.iter().zip(b).all(|(x, y)| same_token(text, x, y))
}

fn same_token(text: &str, x: &Tok, y: &Tok) -> bool {
    if x.kind != y.kind {
        return false;
    }
    match x.kind {
        Kind::Word => word(text, x).eq_ignore_ascii_case(word(text, y)),
        _ => word(text, x) == word(text, y),
    }
}

/// Two disjuncts that are each other's negation: `p OR NOT p`,
/// `x IS NULL OR x IS NOT NULL`, `a = b OR a <> b`, `a < b OR a >= b`.
fn complementary(text: &str, disjuncts: &[&[Tok]]) -> bool {
    let forms: Vec<(bool, String)> = disjuncts
        .iter()
        .filter_map(|d| normal_form(text, strip_parens(d)))
        .collect();
    forms
        .iter()
        .enumerate()
        .any(|(i, (neg, key))| forms[i + 1..].iter().any(|(n, k)| k == key && n != neg))
}

/// (negated, canonical text) of a predicate.
fn normal_form(text: &str, toks: &[Tok]) -> Option<(bool, String)> {
    let canon = |ts: &[Tok]| -> String {
        ts.iter()
            .map(|t| match t.kind {
                Kind::Word => word(text, t).to_ascii_lowercase(),
                _ => word(text, t).to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let first = toks.first()?;
    if is_kw(text, first, "NOT") {
        let (neg, key) = normal_form(text, strip_parens(&toks[1..]))?;
        return Some((!neg, key));
    }
    if let Some(k) = toks.iter().position(|t| is_kw(text, t, "IS")) {
        let rest = &toks[k + 1..];
        let negated = rest.first().is_some_and(|t| is_kw(text, t, "NOT"));
        let rest = if negated { &rest[1..] } else { rest };
        return Some((negated, format!("{} is {}", canon(&toks[..k]), canon(rest))));
    }
    if let Some(k) = toks
        .iter()
        .position(|t| t.kind == Kind::Op && COMPARISONS.contains(&word(text, t)))
    {
        let (lhs, rhs) = (canon(&toks[..k]), canon(&toks[k + 1..]));
        let (negated, op) = match word(text, &toks[k]) {
            "=" | "==" => (false, "="),
            "<>" | "!=" => (true, "="),
            "<" => (false, "<"),
            ">=" => (true, "<"),
            ">" => (false, ">"),
            _ => (true, ">"),
        };
        return Some((negated, format!("{lhs} {op} {rhs}")));
    }
    Some((false, canon(toks)))
}
