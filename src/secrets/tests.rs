use super::{Secrets, StreamRedactor};

fn secrets(values: &[&str]) -> Secrets {
    Secrets::new(values.iter().map(|v| (*v).to_owned()))
}

fn feed(redactor: &mut StreamRedactor, chunks: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in chunks {
        out.extend(redactor.push(chunk));
    }
    out.extend(redactor.finish());
    out
}

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn redacts_every_occurrence() {
    let s = secrets(&["hunter2"]);
    assert_eq!(s.redact("pw=hunter2; again hunter2."), "pw=***; again ***.");
}

#[test]
fn no_secrets_means_no_change() {
    let s = Secrets::default();
    assert!(s.is_empty());
    assert_eq!(s.redact("hunter2"), "hunter2");
    assert_eq!(s.redact_bytes(b"\xff\x00x"), b"\xff\x00x");
    let mut stream = s.stream();
    assert_eq!(stream.push(b"abc"), b"abc");
    assert_eq!(stream.held_back(), 0);
    assert!(stream.finish().is_empty());
}

#[test]
fn empty_values_are_ignored_and_duplicates_kept_once() {
    let mut s = secrets(&["", "tok", "tok"]);
    assert_eq!(format!("{s:?}"), "Secrets { count: 1 }");
    s.add(String::new());
    s.add("tok".to_owned());
    assert_eq!(format!("{s:?}"), "Secrets { count: 1 }");
    assert!(secrets(&[""]).is_empty());
    assert_eq!(secrets(&[""]).redact("a b"), "a b");
}

#[test]
fn add_takes_effect_for_later_redaction() {
    let mut s = Secrets::default();
    s.add("typed-at-prompt".to_owned());
    assert!(!s.is_empty());
    assert_eq!(s.redact("x typed-at-prompt y"), "x *** y");
}

#[test]
fn debug_never_shows_values() {
    let s = secrets(&["hunter2"]);
    let mut stream = s.stream();
    let _ = stream.push(b"hunt");
    assert!(!format!("{s:?}{stream:?}").contains("hunt"));
}

#[test]
fn overlapping_secrets_are_masked_whole() {
    let s = secrets(&["abc", "abcdef", "cde"]);
    assert_eq!(s.redact("xabcdefy"), "x***y");
    assert_eq!(s.redact("xabcdy"), "x***dy");
    assert_eq!(s.redact("xbcdey"), "xb***y");
    // Adjacent occurrences each become a mask.
    assert_eq!(s.redact("abcabc"), "******");
}

#[test]
fn utf8_text_stays_valid() {
    let s = secrets(&["pässwörd", "🔑key"]);
    assert_eq!(s.redact("naïve pässwörd → 🔑key ✓"), "naïve *** → *** ✓");
}

#[test]
fn non_utf8_bytes_pass_through() {
    let s = secrets(&["tok"]);
    assert_eq!(
        s.redact_bytes(b"\xff\xfetok\x00\x80"),
        b"\xff\xfe***\x00\x80"
    );
}

#[test]
fn secret_at_chunk_start_and_end() {
    let s = secrets(&["hunter2"]);
    let mut r = s.stream();
    assert_eq!(r.push(b"hunter2 is at the start"), b"*** is at the start");
    assert_eq!(r.push(b"and at the end hunter2"), b"and at the end ***");
    assert_eq!(r.held_back(), 0);
    assert_eq!(r.push(b"hunter2"), b"***");
    assert!(r.finish().is_empty());
}

#[test]
fn split_across_two_chunks_at_every_position() {
    let secret = "s3cr3t-value";
    let s = secrets(&[secret]);
    let text = format!("before {secret} after");
    let bytes = text.as_bytes();
    for cut in 0..=bytes.len() {
        let mut r = s.stream();
        let out = feed(&mut r, &[&bytes[..cut], &bytes[cut..]]);
        assert_eq!(out, b"before *** after", "cut at {cut}");
    }
}

#[test]
fn split_across_three_chunks_at_every_position() {
    let secret = "s3cr3t-value";
    let s = secrets(&[secret, "s3cr3t"]);
    let text = format!("a{secret}b{secret}");
    let bytes = text.as_bytes();
    for i in 0..=bytes.len() {
        for j in i..=bytes.len() {
            let mut r = s.stream();
            let out = feed(&mut r, &[&bytes[..i], &bytes[i..j], &bytes[j..]]);
            assert_eq!(out, b"a***b***", "cuts at {i}, {j}");
        }
    }
}

#[test]
fn split_one_byte_at_a_time() {
    let s = secrets(&["abc", "abcdef"]);
    let input = b"xxabcdeabcdefabcab";
    let mut r = s.stream();
    let chunks: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(feed(&mut r, &chunks), s.redact_bytes(input));
    assert_eq!(s.redact_bytes(input), b"xx***de******ab");
}

#[test]
fn holds_back_only_what_could_begin_a_secret() {
    let s = secrets(&["0123456789"]);
    let mut r = s.stream();
    // No suffix of this chunk starts the secret: nothing is held.
    assert_eq!(r.push(b"plain output\n"), b"plain output\n");
    assert_eq!(r.held_back(), 0);
    // "012" might continue as the secret.
    assert_eq!(r.push(b"value 012"), b"value ");
    assert_eq!(r.held_back(), 3);
    assert_eq!(r.push(b"x"), b"012x");
    assert_eq!(r.held_back(), 0);
    assert_eq!(r.push(b"01"), b"");
    assert_eq!(r.finish(), b"01");
}

#[test]
fn long_non_secret_stream_is_never_held_beyond_the_bound() {
    let s = secrets(&["needle-in-haystack", "other"]);
    let bound = "needle-in-haystack".len() - 1;
    let mut r = s.stream();
    let mut fed = 0;
    let mut shown = 0;
    let chunk = b"needle-in-haysta".repeat(3);
    for _ in 0..1000 {
        fed += chunk.len();
        shown += r.push(&chunk).len();
        assert!(r.held_back() <= bound);
        assert!(fed - shown <= bound, "{} bytes held", fed - shown);
    }
    shown += r.finish().len();
    assert_eq!(shown, fed);
}

#[test]
fn chunked_equals_one_shot_for_random_inputs() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // A small alphabet makes secrets, near-misses and overlaps common.
    let alphabet = b"ab\xffc";
    for round in 0..2000 {
        let n_secrets = 1 + rng.below(4);
        let values: Vec<String> = (0..n_secrets)
            .map(|_| {
                (0..1 + rng.below(6))
                    .map(|_| ['a', 'b', 'c'][rng.below(3)])
                    .collect()
            })
            .collect();
        let s = Secrets::new(values.clone());
        let len = rng.below(80);
        let input: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        let mut r = s.stream();
        let mut out = Vec::new();
        let mut at = 0;
        let longest = values.iter().map(String::len).max().unwrap_or(0);
        // A short value's token boundary is the byte after it: it is held
        // until that byte comes.
        let short = values.iter().map(String::len).filter(|&l| l <= 2).max();
        let bound = longest.saturating_sub(1).max(short.unwrap_or(0));
        while at < input.len() {
            let step = 1 + rng.below(10);
            let end = (at + step).min(input.len());
            out.extend(r.push(&input[at..end]));
            assert!(r.held_back() <= bound, "round {round}");
            at = end;
        }
        out.extend(r.finish());
        assert_eq!(
            out,
            s.redact_bytes(&input),
            "round {round}: secrets {values:?}, input {input:?}"
        );
    }
}

#[test]
fn a_stream_keeps_the_secrets_it_was_made_with() {
    let mut s = secrets(&["one"]);
    let mut r = s.stream();
    s.add("two".to_owned());
    assert_eq!(feed(&mut r, &[b"one two"]), b"*** two");
    assert_eq!(feed(&mut s.stream(), &[b"one two"]), b"*** ***");
}

#[test]
fn escape_sequences_inside_a_secret_do_not_hide_it() {
    let s = secrets(&["CANARY-abc123"]);
    // Bold turned on in the middle: the whole span goes, the colour stays.
    assert_eq!(s.redact("x CANARY-\x1b[1mabc123 y"), "x ***\x1b[1m y");
    // Cursor moves, OSC framing, a bell, a NUL: none of them is shown.
    assert_eq!(s.redact("CANARY\x1b[0K-ab\x07c\x00123"), "***");
    // A secret in a window title is still the secret.
    assert_eq!(s.redact("\x1b]0;CANARY-abc123\x07ok"), "\x1b]0;***\x07ok");
    // Newlines and tabs are shown: they break a secret.
    assert_eq!(s.redact("CANARY-\nabc123"), "CANARY-\nabc123");
}

#[test]
fn escape_inside_a_secret_split_at_every_position() {
    let s = secrets(&["CANARY-abc123"]);
    let text = b"pre \x1b[31mCANARY-\x1b[1;32mabc\x1b[2C\x07123\x1b[0m post";
    let whole = s.redact_bytes(text);
    assert_eq!(whole, b"pre \x1b[31m***\x1b[1;32m\x1b[0m post");
    for cut in 0..=text.len() {
        let mut r = s.stream();
        assert_eq!(
            feed(&mut r, &[&text[..cut], &text[cut..]]),
            whole,
            "cut at {cut}"
        );
    }
}

#[test]
fn chunked_equals_one_shot_with_escapes() {
    let mut rng = Rng(0x51_7cc1_b727_220a);
    let pieces: [&[u8]; 9] = [
        b"a", b"b", b"c", b"\x1b[1m", b"\x1b]0;", b"\x07", b"\r", b"\x1b", b"[",
    ];
    for round in 0..2000 {
        let values: Vec<String> = (0..1 + rng.below(3))
            .map(|_| {
                (0..3 + rng.below(4))
                    .map(|_| ['a', 'b', 'c'][rng.below(3)])
                    .collect()
            })
            .collect();
        let s = Secrets::new(values.clone());
        let input: Vec<u8> = (0..rng.below(40))
            .flat_map(|_| pieces[rng.below(pieces.len())].to_vec())
            .collect();
        let mut r = s.stream();
        let mut out = Vec::new();
        let mut at = 0;
        while at < input.len() {
            let end = (at + 1 + rng.below(8)).min(input.len());
            out.extend(r.push(&input[at..end]));
            at = end;
        }
        out.extend(r.finish());
        assert_eq!(
            out,
            s.redact_bytes(&input),
            "round {round}: {values:?} {input:?}"
        );
    }
}

#[test]
fn short_values_are_masked_only_as_whole_tokens() {
    let s = secrets(&["t", "pw"]);
    assert_eq!(s.redact("relation"), "relation");
    assert_eq!(s.redact("t is pw, not pwd"), "*** is ***, not pwd");
    let mut r = s.stream();
    assert_eq!(
        feed(&mut r, &[b"x p", b"w", b"d pw", b"\n"]),
        b"x pwd ***\n"
    );
    assert!(super::short_value_warning("TOKEN", "t").is_some());
    assert!(super::short_value_warning("TOKEN", "pwd").is_none());
    let w = super::short_value_warning("TOKEN", "pw").unwrap_or_default();
    assert!(w.contains("TOKEN") && !w.contains("pw"), "{w}");
}

mod drawn {
    use super::super::DrawnLine;
    use super::{Rng, secrets};

    const SECRET: &str = "CANARY-abc123";

    fn draw(pieces: &[&str]) -> Vec<String> {
        let s = secrets(&[SECRET]);
        let mut line = DrawnLine::new(&s);
        pieces.iter().map(|p| line.pass((*p).to_string())).collect()
    }

    /// What a terminal shows after the pieces, row by row.
    fn screen(pieces: &[String]) -> Vec<String> {
        let mut p = vt100::Parser::new(8, 200, 0);
        for piece in pieces {
            p.process(piece.replace('\n', "\r\n").as_bytes());
        }
        p.screen().rows(0, 200).collect()
    }

    fn shows_secret(pieces: &[String]) -> bool {
        screen(pieces).iter().any(|r| r.contains(SECRET))
    }

    #[test]
    fn an_overwrite_after_cr_is_caught() {
        let out = draw(&["XXXXXXXabc123\rCANARY-"]);
        assert!(!shows_secret(&out), "{out:?}");
        let out = draw(&["XXXXXXXabc123", "\r", "CANARY-", "\n"]);
        assert!(!shows_secret(&out), "{out:?}");
        assert_eq!(out[2], "*******");
    }

    #[test]
    fn a_backspace_and_cursor_moves_are_caught() {
        for pieces in [
            &["CANARY-abc12X\x083\n"][..],
            &["CANARY-abc1", "2X", "\x08", "3"],
            &["abc123\x1b[20GX\x1b[1GCANARY-"],
            &["CANARY-XXX123\x1b[3Dabc"],
            &["CANARY-abc\x1b[s999\x1b[u123"],
            // A title's text is not drawn on the line.
            &["CANARY-abc\x1b]0;title\x07123"],
            &["CANARY-abc\x1b]0;ti", "tle\x1b\\123"],
        ] {
            let out = draw(pieces);
            assert!(!shows_secret(&out), "{pieces:?} → {out:?}");
        }
    }

    #[test]
    fn halves_on_two_streams_are_caught() {
        // The pipe hands over stdout's piece, then stderr's.
        let out = draw(&["CANARY-", "abc123\n"]);
        assert!(!shows_secret(&out), "{out:?}");
        assert_eq!(out[1], "******\n");
    }

    #[test]
    fn ordinary_output_is_left_alone() {
        let pieces = [
            "progress 10%\rprogress 20%\r",
            "CANARY- is a bird\n",
            "abc123\n",
        ];
        let out = draw(&pieces);
        assert_eq!(out, pieces.map(String::from));
    }

    #[test]
    fn random_drawing_never_shows_the_secret() {
        let mut rng = Rng(0xdead_beef_1234_5678);
        let alphabet = [
            "CANARY-",
            "abc123",
            "CANARY-abc",
            "123",
            "C",
            "3",
            "X",
            "\r",
            "\x08",
            "\x1b[1m",
            "\x1b[2D",
            "\x1b[3C",
            "\x1b[K",
            "\x1b[1K",
            "\x1b[8G",
            "\t",
            "\x1b[2P",
            "\x1b[2@",
            "\x1b[2X",
            "\x1b7",
            "\x1b8",
            "\n",
        ];
        for round in 0..1500 {
            let mut pieces = Vec::new();
            for _ in 0..1 + rng.below(6) {
                let piece: String = (0..1 + rng.below(5))
                    .map(|_| alphabet[rng.below(alphabet.len())])
                    .collect();
                pieces.push(piece);
            }
            // Each piece has been through its stream's redactor already.
            let s = secrets(&[SECRET]);
            let redacted: Vec<String> = pieces.iter().map(|p| s.redact(p)).collect();
            let refs: Vec<&str> = redacted.iter().map(String::as_str).collect();
            let out = draw(&refs);
            for n in 1..=out.len() {
                assert!(
                    !shows_secret(&out[..n]),
                    "round {round}: {pieces:?} → {out:?} shows {:?}",
                    screen(&out[..n])
                );
            }
        }
    }
}
