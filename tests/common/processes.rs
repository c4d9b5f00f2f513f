//! Runner processes for the reliability tests: a test binary starts itself again to run one
//! `#[ignore]`d child test, which prints `CHILD-APPLIED <n>` (or `CHILD-ERROR ...`).

use std::process::{Child, Command, Stdio};

/// Trials per test: `STRATA_RELIABILITY_TRIALS`, else `short` (the normal suite's).
pub fn trials(short: usize) -> usize {
    std::env::var("STRATA_RELIABILITY_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(short)
}

/// A pseudo-random number below `max` from the clock, enough to spread kill moments.
pub fn jitter(max: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    (nanos.wrapping_mul(6364136223846793005).rotate_left(17)) % max.max(1)
}

/// Starts this test binary running only its ignored test `child`, with `env` set.
pub fn spawn_child(child: &str, env: &[(&str, &str)]) -> Child {
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command
        .args([
            "--exact",
            child,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    command.spawn().expect("spawn runner")
}

/// How many migrations a child runner applied; fails the test when it failed.
pub fn applied_count(output: &std::process::Output) -> usize {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "runner failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.split_once("CHILD-APPLIED "))
        .and_then(|(_, n)| n.trim().parse().ok())
        .expect("runner output")
}

/// Starts `count` runner processes at once with `spawn`, waits for all of them, and returns
/// how many migrations they applied in all (each must succeed) and how long it took.
pub fn applied_at_once(count: usize, spawn: impl Fn() -> Child) -> (usize, std::time::Duration) {
    let started = std::time::Instant::now();
    let children: Vec<Child> = (0..count).map(|_| spawn()).collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait"))
        .collect();
    let elapsed = started.elapsed();
    (outputs.iter().map(applied_count).sum(), elapsed)
}
