//! JSON string escaping for journal lines, byte-for-byte what serde_json
//! writes, but eight bytes at a time: output text is most of a journal, and
//! serde_json's byte-at-a-time escaper was the runner's largest cost when a
//! step floods output.

/// Appends `s` as a JSON string literal (quotes included) to `out`.
pub fn push_json_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Skip words with nothing to escape; stop at the first one that has.
        while i + 8 <= bytes.len() {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[i..i + 8]);
            if needs_escape(u64::from_le_bytes(word)) {
                break;
            }
            i += 8;
        }
        let end = (i + 8).min(bytes.len());
        while i < end {
            let b = bytes[i];
            if let Some(esc) = escape(b) {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(esc.as_bytes());
                start = i + 1;
            } else if b < 0x20 {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex(b >> 4), hex(b & 0xf)]);
                start = i + 1;
            }
            i += 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// True if any byte of `w` is a control byte, `"` or `\`. Exact for
/// bytes below 0x80; may say true for some UTF-8 bytes, which the byte
/// loop then passes through unchanged.
fn needs_escape(w: u64) -> bool {
    let below_space = w.wrapping_sub(LOW * 0x20);
    let quote = (w ^ (LOW * b'"' as u64)).wrapping_sub(LOW);
    let backslash = (w ^ (LOW * b'\\' as u64)).wrapping_sub(LOW);
    (below_space | quote | backslash) & !w & HIGH != 0
}

fn escape(b: u8) -> Option<&'static str> {
    Some(match b {
        b'"' => "\\\"",
        b'\\' => "\\\\",
        b'\n' => "\\n",
        b'\r' => "\\r",
        b'\t' => "\\t",
        0x08 => "\\b",
        0x0c => "\\f",
        _ => return None,
    })
}

fn hex(n: u8) -> u8 {
    b"0123456789abcdef"[usize::from(n & 0xf)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ours(s: &str) -> String {
        let mut out = Vec::new();
        push_json_str(&mut out, s);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn every_special_byte_matches_serde_json() {
        for b in 0u8..0x80 {
            let s = format!("abcdefgh{}ijklmnopq{}", b as char, b as char);
            assert_eq!(
                ours(&s),
                serde_json::to_string(&s).unwrap_or_default(),
                "byte {b:#x}"
            );
        }
    }

    #[test]
    fn utf8_passes_through() {
        let s = "déjà vu — 日本語 \u{7f} \u{80}\u{10ffff}\"\n";
        assert_eq!(ours(s), serde_json::to_string(s).unwrap_or_default());
    }

    proptest! {
        #[test]
        fn same_bytes_as_serde_json(s in "(?s).{0,200}") {
            prop_assert_eq!(ours(&s), serde_json::to_string(&s).unwrap_or_default());
        }

        #[test]
        fn same_bytes_on_log_like_text(s in "[ -~\t\n\"\\\\]{0,300}") {
            prop_assert_eq!(ours(&s), serde_json::to_string(&s).unwrap_or_default());
        }
    }
}
