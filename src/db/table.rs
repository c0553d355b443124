//! Query results as text, psql-style, for the output pane and the journal.

use unicode_width::UnicodeWidthStr;

/// Widest a column is drawn; longer values are cut with "…".
const MAX_COLUMN: usize = 40;

/// `columns` over `rows`, NULL shown as an empty cell, as psql does.
pub fn render(columns: &[String], rows: &[Vec<Option<String>>]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| cell(c.as_deref().unwrap_or(""))).collect())
        .collect();
    let mut widths: Vec<usize> = columns.iter().map(|c| cell(c).width()).collect();
    for row in &cells {
        for (i, c) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.width());
            }
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, values: &[String]| {
        let parts: Vec<String> = values
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!(" {v}{} ", " ".repeat(w.saturating_sub(v.width()))))
            .collect();
        out.push_str(parts.join("|").trim_end());
        out.push('\n');
    };
    let header: Vec<String> = columns.iter().map(|c| cell(c)).collect();
    line(&mut out, &header);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
    out.push_str(&rule.join("+"));
    out.push('\n');
    for row in &cells {
        line(&mut out, row);
    }
    out
}

/// One line, at most MAX_COLUMN wide: a value with newlines or a long
/// JSON document must not wreck the table.
fn cell(value: &str) -> String {
    let flat: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.width() <= MAX_COLUMN {
        return flat;
    }
    let mut out = String::new();
    for c in flat.chars() {
        if out.width() + c.to_string().width() >= MAX_COLUMN {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_like_with_nulls_and_long_values() {
        let columns = vec!["id".to_string(), "email".to_string()];
        let rows = vec![
            vec![Some("1".to_string()), Some("a@example.com".to_string())],
            vec![Some("22".to_string()), None],
            vec![
                Some("3".to_string()),
                Some(format!("x{}\ny", "é".repeat(60))),
            ],
        ];
        let text = render(&columns, &rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], " id | email");
        assert_eq!(lines[1], format!("----+-{}", "-".repeat(41)));
        assert_eq!(lines[2], " 1  | a@example.com");
        assert_eq!(lines[3], " 22 |");
        assert!(lines[4].ends_with('…') && lines[4].width() <= 5 + 1 + MAX_COLUMN + 1);
    }
}
