//! Following a session through the team's store: from a record on the
//! operator's disk to the follower's copy of the journal, which the replay
//! screen reads at its next frame (33 ms while following). Target: median
//! and p99 under 1 s. Measured on a real throwaway PostgreSQL cluster, with
//! runsheet's own shipper (poked as the driver pokes it) and follower
//! (LISTEN/NOTIFY), in one process; the baseline is one bare INSERT and
//! SELECT round trip on the same server, measured in the same run.
//!
//! Run: cargo bench --bench follow. Needs the PostgreSQL server binaries,
//! as the tests do. RUNSHEET_BENCH_RECORDS sets how many records (200).

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../tests/support/pg.rs"]
mod pg;

use std::io::Write;
use std::time::{Duration, Instant};

fn line(seq: u64) -> String {
    let head = if seq == 0 {
        "\"type\":\"session-started\",\"runbook_path\":\"/bench/team.md\",\"target\":\"staging\",\"operator\":\"bench\",\"host\":\"bench\",\"drill\":true,\"sandbox\":false".to_string()
    } else {
        format!("\"type\":\"note\",\"text\":\"record {seq}\"")
    };
    format!(
        "{{\"v\":1,\"seq\":{seq},\"ts\":\"2026-12-03T07:00:00.000Z\",\"prev\":\"{:064}\",{head}}}\n",
        seq
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let records: u64 = std::env::var("RUNSHEET_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 1)
        .unwrap_or(200);
    let cluster = pg::Cluster::start("store");
    cluster.create_db("team");
    let url = format!("{}?sslmode=disable", cluster.url("team"));
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = dir.path().join("team--staging--bench.jsonl");
    std::fs::write(&journal, line(0)).expect("journal");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let baseline = rt.block_on(async {
        let mut client = runsheet::store::connect(&url).await.expect("store");
        runsheet::store::schema::init(&mut client)
            .await
            .expect("init");
        client
            .batch_execute("CREATE TABLE bench_rt (n int)")
            .await
            .expect("table");
        let mut times = Vec::new();
        for n in 0..50 {
            let t = Instant::now();
            client
                .execute("INSERT INTO bench_rt VALUES ($1)", &[&n])
                .await
                .expect("insert");
            client
                .query_one("SELECT count(*) FROM bench_rt", &[])
                .await
                .expect("select");
            times.push(t.elapsed());
        }
        times.sort();
        percentile(&times, 0.5)
    });
    let _guard = rt.enter();
    let shipper = runsheet::store::ship::Shipper::start(url.clone(), journal.clone());
    let started = Instant::now();
    while shipper.progress().stored < 1 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the shipper never shipped"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let mirror = runsheet::store::follow::start_in(
        &url,
        &runsheet::store::follow::Which::Session("team--staging--bench".into()),
        Some(&dir.path().join("followed.jsonl")),
    )
    .expect("follow");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .expect("journal");
    let mut latencies = Vec::new();
    let mut expected = std::fs::metadata(&mirror).map(|m| m.len()).unwrap_or(0);
    for seq in 1..records {
        let text = line(seq);
        let t = Instant::now();
        file.write_all(text.as_bytes()).expect("append");
        file.sync_data().expect("sync");
        shipper.poke();
        expected += text.len() as u64;
        while std::fs::metadata(&mirror).map(|m| m.len()).unwrap_or(0) < expected {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "record {seq} never reached the follower"
            );
            std::thread::sleep(Duration::from_micros(500));
        }
        latencies.push(t.elapsed());
        // Records as a session writes them: not all in the same instant.
        std::thread::sleep(Duration::from_millis(10));
    }
    latencies.sort();
    let (median, p99, max) = (
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "runsheet follow: record on the operator's disk → follower's copy ({} records)\n",
        latencies.len()
    );
    println!(
        "  baseline: INSERT + SELECT round trip, median {:.2} ms",
        ms(baseline)
    );
    println!(
        "  median {:.1} ms ({:.1}x the round trip), p99 {:.1} ms, max {:.1} ms",
        ms(median),
        median.as_secs_f64() / baseline.as_secs_f64().max(1e-9),
        ms(p99),
        ms(max)
    );
    println!(
        "  to the screen: add the replay's frame (33 ms at most): median {:.0} ms, p99 {:.0} ms; target under 1000 ms: {}",
        ms(median) + 33.0,
        ms(p99) + 33.0,
        if ms(p99) + 33.0 < 1000.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}
