//! What the engine's benchmarks print: medians and p90s of timed rounds, in milliseconds; and the runtime they run
//! on (two workers, as the machine has two cores).

use std::time::Duration;

/// (median, p90) of `v`.
pub fn summary(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[v.len() * 9 / 10])
}

/// `d` as "1.23 ms".
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// A multi-threaded runtime with two workers.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}
