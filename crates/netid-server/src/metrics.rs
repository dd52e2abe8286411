//! Operational metrics in the Prometheus text exposition format (version 0.0.4), served at
//! `GET /metrics`: requests and their latency per route and outcome, verifications and
//! disclosures per platform, the transparency log's size and sequencing time, storage errors.
//!
//! Labels are routes (the matched pattern, never the raw path), status codes and platform
//! client ids, which are public parties named in the transparency log anyway: no holder, no
//! Net ID, no personal value can reach a label. Counters live in memory and start from zero at
//! each start, as Prometheus expects of counters.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histograms' buckets.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 15.0,
];

/// The service's metrics.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// (route, method, status) → count.
    requests: BTreeMap<(String, String, u16), u64>,
    /// route → latency histogram.
    latency: BTreeMap<String, Histogram>,
    /// platform client id → online verifications.
    verifications: BTreeMap<String, u64>,
    /// platform client id → verifications that disclosed plaintext fields.
    disclosures: BTreeMap<String, u64>,
    /// Entries in the sequenced log.
    log_size: u64,
    /// Time to sequence and sign a checkpoint.
    sequencing: Histogram,
    /// Requests that failed on a storage error.
    store_errors: u64,
    /// Requests refused by a rate limit.
    rate_limited: u64,
}

#[derive(Debug, Clone, Default)]
struct Histogram {
    /// Cumulative counts per bucket of [`LATENCY_BUCKETS`].
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

impl Histogram {
    fn observe(&mut self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in self.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        self.count += 1;
        self.sum_seconds += seconds;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let separator = if labels.is_empty() { "" } else { "," };
        for (bound, count) in LATENCY_BUCKETS.iter().zip(self.buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{separator}le=\"{bound}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{separator}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum_seconds);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

impl Metrics {
    fn with<T>(&self, change: impl FnOnce(&mut Inner) -> T) -> T {
        // A poisoned lock only means a panic mid-update of a counter; the counts stay usable.
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        change(&mut inner)
    }

    /// Counts a finished request.
    pub(crate) fn request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        self.with(|inner| {
            *inner
                .requests
                .entry((route.to_owned(), method.to_owned(), status))
                .or_default() += 1;
            inner
                .latency
                .entry(route.to_owned())
                .or_default()
                .observe(elapsed);
        });
    }

    /// Counts an online verification by `platform`, and whether it disclosed fields.
    pub(crate) fn verification(&self, platform: &str, disclosed: bool) {
        self.with(|inner| {
            *inner.verifications.entry(platform.to_owned()).or_default() += 1;
            if disclosed {
                *inner.disclosures.entry(platform.to_owned()).or_default() += 1;
            }
        });
    }

    /// Records a sequencing run: how long it took and the log's size after it.
    pub(crate) fn sequenced(&self, size: u64, elapsed: Duration) {
        self.with(|inner| {
            inner.log_size = size;
            inner.sequencing.observe(elapsed);
        });
    }

    /// Counts a request that failed on a storage error.
    pub(crate) fn store_error(&self) {
        self.with(|inner| inner.store_errors += 1);
    }

    /// Counts a request refused by a rate limit.
    pub(crate) fn rate_limited(&self) {
        self.with(|inner| inner.rate_limited += 1);
    }

    /// The metrics in the Prometheus text format; `backend` names the store.
    pub(crate) fn render(&self, backend: &str, group_commits: netid_store::GroupCommits) -> String {
        self.with(|inner| {
            let mut out = String::new();
            family(
                &mut out,
                "netid_http_requests_total",
                "counter",
                "HTTP requests by matched route, method and status.",
            );
            for ((route, method, status), count) in &inner.requests {
                let _ = writeln!(
                    out,
                    "netid_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {count}",
                    escape(route)
                );
            }
            family(
                &mut out,
                "netid_http_request_duration_seconds",
                "histogram",
                "HTTP request latency by matched route.",
            );
            for (route, histogram) in &inner.latency {
                histogram.render(
                    &mut out,
                    "netid_http_request_duration_seconds",
                    &format!("route=\"{}\"", escape(route)),
                );
            }
            family(
                &mut out,
                "netid_verifications_total",
                "counter",
                "Online verifications by platform client id.",
            );
            for (platform, count) in &inner.verifications {
                let _ = writeln!(
                    out,
                    "netid_verifications_total{{platform=\"{}\"}} {count}",
                    escape(platform)
                );
            }
            family(
                &mut out,
                "netid_disclosures_total",
                "counter",
                "Verifications that disclosed plaintext fields, by platform client id.",
            );
            for (platform, count) in &inner.disclosures {
                let _ = writeln!(
                    out,
                    "netid_disclosures_total{{platform=\"{}\"}} {count}",
                    escape(platform)
                );
            }
            family(
                &mut out,
                "netid_log_entries",
                "gauge",
                "Entries in the sequenced transparency log.",
            );
            let _ = writeln!(out, "netid_log_entries {}", inner.log_size);
            family(
                &mut out,
                "netid_log_sequence_duration_seconds",
                "histogram",
                "Time to sequence committed entries and sign a checkpoint.",
            );
            inner
                .sequencing
                .render(&mut out, "netid_log_sequence_duration_seconds", "");
            family(
                &mut out,
                "netid_store_errors_total",
                "counter",
                "Requests that failed on a storage error.",
            );
            let _ = writeln!(out, "netid_store_errors_total {}", inner.store_errors);
            family(
                &mut out,
                "netid_rate_limited_total",
                "counter",
                "Requests refused by a rate limit.",
            );
            let _ = writeln!(out, "netid_rate_limited_total {}", inner.rate_limited);
            family(
                &mut out,
                "netid_store_info",
                "gauge",
                "The storage backend in use.",
            );
            let _ = writeln!(out, "netid_store_info{{backend=\"{}\"}} 1", escape(backend));
            family(
                &mut out,
                "netid_store_group_commits_total",
                "counter",
                "Transactions that stored grouped writes (verifications, nonces, enrollments).",
            );
            let _ = writeln!(
                out,
                "netid_store_group_commits_total {}",
                group_commits.commits
            );
            family(
                &mut out,
                "netid_store_grouped_writes_total",
                "counter",
                "Grouped writes stored; divided by netid_store_group_commits_total, the average group.",
            );
            let _ = writeln!(
                out,
                "netid_store_grouped_writes_total {}",
                group_commits.writes
            );
            family(
                &mut out,
                "netid_log_counter_holds_total",
                "counter",
                "Grouped transactions that moved the transparency log's counter.",
            );
            let _ = writeln!(
                out,
                "netid_log_counter_holds_total {}",
                group_commits.sequenced
            );
            family(
                &mut out,
                "netid_log_counter_held_seconds_total",
                "counter",
                "How long they held it, from moving it to the end of their commit (the serial part of every node's writes); divided by netid_log_counter_holds_total, the average hold.",
            );
            let _ = writeln!(
                out,
                "netid_log_counter_held_seconds_total {:.6}",
                Duration::from_micros(group_commits.counter_held_micros).as_secs_f64()
            );
            out
        })
    }
}

/// Writes the `HELP` and `TYPE` lines of a metric family.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Escapes a label value (backslash, double quote, newline).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_per_route_method_and_status_with_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.request("/v1/platform/verify", "POST", 200, Duration::from_millis(3));
        metrics.request(
            "/v1/platform/verify",
            "POST",
            200,
            Duration::from_millis(30),
        );
        metrics.request("/v1/platform/verify", "POST", 403, Duration::from_millis(1));
        let text = metrics.render(
            "sqlite",
            netid_store::GroupCommits {
                commits: 3,
                writes: 17,
                sequenced: 2,
                counter_held_micros: 2_500,
            },
        );
        assert!(text.contains(
            "netid_http_requests_total{route=\"/v1/platform/verify\",method=\"POST\",status=\"200\"} 2\n"
        ));
        assert!(text.contains("status=\"403\"} 1\n"));
        let bucket = |le: &str| {
            format!(
                "netid_http_request_duration_seconds_bucket{{route=\"/v1/platform/verify\",le=\"{le}\"}}"
            )
        };
        assert!(text.contains(&format!("{} 1\n", bucket("0.001"))));
        assert!(text.contains(&format!("{} 2\n", bucket("0.005"))));
        assert!(text.contains(&format!("{} 3\n", bucket("0.05"))));
        assert!(text.contains(&format!("{} 3\n", bucket("+Inf"))));
        assert!(text.contains(
            "netid_http_request_duration_seconds_count{route=\"/v1/platform/verify\"} 3\n"
        ));
        assert!(text.contains("netid_store_info{backend=\"sqlite\"} 1\n"));
        assert!(text.contains("netid_store_group_commits_total 3\n"));
        assert!(text.contains("netid_store_grouped_writes_total 17\n"));
        assert!(text.contains("netid_log_counter_holds_total 2\n"));
        assert!(text.contains("netid_log_counter_held_seconds_total 0.002500\n"));
    }

    #[test]
    fn verifications_disclosures_and_the_log_are_reported() {
        let metrics = Metrics::default();
        metrics.verification("pl-a", false);
        metrics.verification("pl-a", true);
        metrics.sequenced(42, Duration::from_micros(200));
        metrics.store_error();
        let text = metrics.render("sqlite", netid_store::GroupCommits::default());
        assert!(text.contains("netid_verifications_total{platform=\"pl-a\"} 2\n"));
        assert!(text.contains("netid_disclosures_total{platform=\"pl-a\"} 1\n"));
        assert!(text.contains("netid_log_entries 42\n"));
        assert!(text.contains("netid_log_sequence_duration_seconds_count 1\n"));
        assert!(text.contains("netid_store_errors_total 1\n"));
        // Every family is typed once.
        assert_eq!(
            text.matches("# TYPE netid_verifications_total counter")
                .count(),
            1
        );
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
