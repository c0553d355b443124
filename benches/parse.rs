//! Parse time of a 10,000-line runbook, against pulldown-cmark alone on the
//! same text (the floor: runsheet's own work is the difference).
//! Run: cargo bench --bench parse      Target: well under 50 ms.
//!
//! Then the time to check one shell line of 100 000 and of 200 000 words,
//! in a few shapes (the same program repeated, one unknown program and its
//! arguments, wrappers in a row): the ratio must stay near 2, because
//! `check` reads each word of a line a bounded number of times.

use pulldown_cmark::{Options, Parser};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn runbook(lines: usize) -> String {
    let mut s = String::from(
        "---\ntargets:\n  staging: { timeout: 5m, database: $STAGING_DB_URL }\n  production: { protected: true, database: $PROD_DB_URL }\nvariables:\n  STAGING_DB_URL: { secret: true }\n  PROD_DB_URL: { secret: true }\n---\n# Big runbook\n\nDurée estimée : 2–4 heures\n\n",
    );
    let mut phase = 0;
    while s.lines().count() < lines {
        phase += 1;
        s.push_str(&format!(
            "## Phase {phase} {{#phase-{phase}}}\n\nEstimation du temps : ~ 20 minutes\n\n"
        ));
        for step in 1..=5 {
            s.push_str(&format!(
                "### {phase}.{step} Étape numéro {step} {{estimate=4m}}\n\nVérifier **soigneusement** l'état avant de continuer.\n\n- [ ] Backup vérifié\n- [ ] Client prévenu\n\n```bash {{target=production timeout=10m}}\npg_dump \"$PROD_DB_URL\" | gzip > backup_{phase}_{step}.sql.gz\ngunzip -t backup_{phase}_{step}.sql.gz\nkubectl get pods -n app --context=production\n```\n\n```sql {{target=staging}}\nSELECT count(*) FROM users WHERE last_login > now() - interval '30 days';\n```\n\n"
            ));
        }
    }
    s
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    f();
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let src = runbook(10_000);
    let lines = src.lines().count();
    let runs = 30;
    let baseline = time(runs, || {
        let n = Parser::new_ext(&src, Options::ENABLE_TASKLISTS | Options::ENABLE_TABLES)
            .into_offset_iter()
            .count();
        black_box(n);
    });
    let full = time(runs, || {
        let parsed = runsheet::runbook::parse("bench.md", black_box(&src));
        black_box(parsed.runbook.phases.len());
    });
    let parsed = runsheet::runbook::parse("bench.md", &src);
    assert!(
        !parsed.has_errors(),
        "bench runbook must be valid: {:?}",
        parsed.diagnostics.first()
    );
    let steps = parsed.runbook.steps().count();
    println!("runbook: {lines} lines, {} bytes, {steps} steps", src.len());
    println!(
        "pulldown-cmark events only: {:>8.2} ms (median of {runs})",
        baseline.as_secs_f64() * 1e3
    );
    println!(
        "runsheet parse + lint:      {:>8.2} ms (median of {runs})",
        full.as_secs_f64() * 1e3
    );
    println!(
        "ratio to pulldown-cmark:    {:>8.2}x",
        full.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "target: under 50 ms -> {}",
        if full < Duration::from_millis(50) {
            "met"
        } else {
            "NOT MET"
        }
    );
    long_lines();
}

/// A runbook whose one step is one shell line: `first` then `words` times `word`.
fn one_line(first: &str, word: &str, words: usize) -> String {
    let mut line = String::with_capacity(words * (word.len() + 1) + first.len());
    line.push_str(first);
    for _ in 0..words {
        line.push(' ');
        line.push_str(word);
    }
    format!("# Long line\n\n## Phase\n\n### Step\n\n```bash\n{line}\n```\n")
}

fn long_lines() {
    let shapes = [
        ("rm rm rm …", "rm", "rm"),
        ("foo x x x …", "foo", "x"),
        ("sudo nohup nice …", "sudo", "nohup"),
        ("echo $(rm) $(rm) …", "echo", "$(rm)"),
    ];
    let mut worst: f64 = 0.0;
    for (name, first, word) in shapes {
        let small = one_line(first, word, 100_000);
        let large = one_line(first, word, 200_000);
        let parse = |src: &str| {
            let parsed = runsheet::runbook::parse("line.md", black_box(src));
            black_box(parsed.runbook.phases.len());
        };
        // Interleaved, and the fastest of several runs: on a busy machine
        // the minimum is the figure other processes disturb least.
        let (mut t_small, mut t_large) = (Duration::MAX, Duration::MAX);
        for _ in 0..15 {
            t_small = t_small.min(time(1, || parse(&small)));
            t_large = t_large.min(time(1, || parse(&large)));
        }
        let ratio = t_large.as_secs_f64() / t_small.as_secs_f64();
        worst = worst.max(ratio);
        println!(
            "one line, {name:<20} 100k words: {:>8.1} ms   200k words: {:>8.1} ms   ratio {ratio:.2}x",
            t_small.as_secs_f64() * 1e3,
            t_large.as_secs_f64() * 1e3,
        );
    }
    println!(
        "target: 200k words cost about twice 100k (ratio under 2.6) -> {}",
        if worst < 2.6 { "met" } else { "NOT MET" }
    );
}
