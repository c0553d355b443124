//! The parser meets messy Markdown (scraped pages, half-written runbooks,
//! files cut by a full disk): it must return diagnostics, never panic, and
//! every span it returns must be a valid slice of the input.

use proptest::prelude::*;
use runsheet::runbook::{Parsed, parse};

const SEEDS: [&str; 5] = [
    include_str!("../fixtures/seeds/000_1737b63d2db1bbc2.txt"),
    include_str!("../fixtures/seeds/001_fba1195817db9122.txt"),
    include_str!("../fixtures/seeds/002_9e56ddfb051e62d3.txt"),
    include_str!("../fixtures/seeds/003_62cae6780525dd3b.txt"),
    include_str!("../fixtures/seeds/004_576466ef4a5ca9a9.txt"),
];

fn assert_sound(src: &str, parsed: &Parsed) {
    for d in &parsed.diagnostics {
        assert!(
            src.get(d.span.range()).is_some(),
            "diagnostic span {:?} is not a slice of the input: {d:?}",
            d.span
        );
        // Rendering must not panic either.
        let _ = d.render("fuzz.md", src, false);
    }
    for (_, step) in parsed.runbook.steps() {
        for a in &step.actions {
            assert!(src.get(a.span.range()).is_some());
            assert!(src.get(a.code_span.range()).is_some());
            for f in &a.destructive.findings {
                assert!(src.get(f.span.range()).is_some(), "{f:?}");
            }
        }
    }
}

fn check(src: &str) {
    let parsed = parse("fuzz.md", src);
    assert_sound(src, &parsed);
    let _ = runsheet::runbook::outline::outline(&parsed);
}

#[test]
fn every_prefix_of_every_raw_seed_parses() {
    for seed in SEEDS {
        let mut cut = 0;
        while cut <= seed.len() {
            if seed.is_char_boundary(cut) {
                check(&seed[..cut]);
            }
            cut += 97;
        }
        check(seed);
    }
}

/// Fragments that exercise every construct, so random sequences of them
/// reach the parser's corners faster than random bytes would.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("# Titre\n".to_string()),
        Just("## Phase 1 {#p1}\n".to_string()),
        Just("## Rollback\n".to_string()),
        Just("### Étape {estimate=5m target=production}\n".to_string()),
        Just("### Rollback Phase 1 {undoes=p1}\n".to_string()),
        Just("- [ ] cocher ceci\n".to_string()),
        Just("  - [x] imbriqué\n".to_string()),
        Just("```bash {timeout=10m}\nrm -rf /tmp/x\n```\n".to_string()),
        Just("```sql {writes destructive=false reason=\"ok\"}\nDELETE FROM t;\n".to_string()),
        Just("```http\nGET ${API}/health\n\nHTTP 200\n.status == \"ok\"\n```\n".to_string()),
        Just("```s3\nverify s3://b/k exists age<30m\n```\n".to_string()),
        Just("```compare {left=staging}\nusers where x > 1\n```\n".to_string()),
        Just("Estimation du temps : ~ 5 minutes\n".to_string()),
        Just("---\ntargets:\n  staging: {}\n---\n".to_string()),
        Just("{\"timeout\": }\n".to_string()),
        Just("| a | b |\n|---|---|\n".to_string()),
        Just("\n".to_string()),
        "[ -~éà🗄️{}`#\\[\\]\n]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_markdown_never_panics(parts in prop::collection::vec(fragment(), 0..24)) {
        check(&parts.concat());
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,300}") {
        check(&src);
    }
}
