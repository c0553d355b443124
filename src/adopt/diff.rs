//! The edits as a unified diff (`--- FILE`, `+++ FILE (adopted)`, hunks
//! with three lines of context), read straight from the edits: each one
//! already says which original lines it replaces.

use super::{Edit, split_lines};

const CONTEXT: usize = 3;

/// The unified diff of `edits` (sorted, not overlapping) on `source`.
pub fn unified(path: &str, source: &str, edits: &[Edit]) -> String {
    if edits.is_empty() {
        return String::new();
    }
    let lines = split_lines(source);
    let mut out = format!("--- {path}\n+++ {path} (adopted)\n");
    // Group edits whose contexts touch into one hunk.
    let mut groups: Vec<Vec<&Edit>> = Vec::new();
    for e in edits {
        match groups.last_mut() {
            Some(g)
                if g.last()
                    .is_some_and(|l| l.first + l.removed + 2 * CONTEXT >= e.first) =>
            {
                g.push(e);
            }
            _ => groups.push(vec![e]),
        }
    }
    // How many lines the edits before a hunk added (or took away).
    let mut shift: isize = 0;
    for g in groups {
        let (Some(first), Some(last)) = (g.first(), g.last()) else {
            continue;
        };
        let start = first.first.saturating_sub(CONTEXT);
        let end = (last.first + last.removed + CONTEXT).min(lines.len());
        let mut body = String::new();
        let mut at = start;
        let mut old = 0;
        let mut new = 0;
        for e in &g {
            for l in lines.iter().take(e.first).skip(at) {
                body.push_str(&format!(" {l}\n"));
                old += 1;
                new += 1;
            }
            for l in lines.iter().skip(e.first).take(e.removed) {
                body.push_str(&format!("-{l}\n"));
                old += 1;
            }
            for l in &e.lines {
                body.push_str(&format!("+{l}\n"));
                new += 1;
            }
            at = e.first + e.removed;
        }
        for l in lines.iter().take(end).skip(at) {
            body.push_str(&format!(" {l}\n"));
            old += 1;
            new += 1;
        }
        let new_start = start as isize + shift;
        let from = |s: isize, n: usize| if n == 0 { s } else { s + 1 };
        out.push_str(&format!(
            "@@ -{},{old} +{},{new} @@\n",
            from(start as isize, old),
            from(new_start, new)
        ));
        out.push_str(&body);
        shift += new as isize - old as isize;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adopt::EditKind;

    #[test]
    fn hunks_with_context_and_line_numbers() {
        let source = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
        let edits = [Edit {
            first: 4,
            removed: 1,
            lines: vec!["E".into(), "E2".into()],
            why: String::new(),
            kind: EditKind::Language,
        }];
        assert_eq!(
            unified("f.md", source, &edits),
            "--- f.md\n+++ f.md (adopted)\n@@ -2,7 +2,8 @@\n b\n c\n d\n-e\n+E\n+E2\n f\n g\n h\n"
        );
        let insert = [Edit {
            first: 0,
            removed: 0,
            lines: vec!["---".into()],
            why: String::new(),
            kind: EditKind::FrontMatter,
        }];
        assert_eq!(
            unified("f.md", source, &insert),
            "--- f.md\n+++ f.md (adopted)\n@@ -1,3 +1,4 @@\n+---\n a\n b\n c\n"
        );
    }
}
