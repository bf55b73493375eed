//! `GET /statistics`: per-module and total query counters, as the reference reports them.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use app::statistics::{BUCKET_LABELS, ModuleStats, ResponseTimes, StatisticsReport, Stats};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::AppState;

/// Upper bounds of the response-time buckets, in seconds, matching [`BUCKET_LABELS`].
const BUCKET_BOUNDS: [f64; 10] = [0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    Success,
    ModuleError,
    Exception,
    Timeout,
    /// Not counted: the reference counts only queries naming a loaded module.
    Unknown,
}

#[derive(Debug, Default, Clone)]
struct Counters {
    queries: u64,
    completed: u64,
    in_flight: u64,
    successes: u64,
    module_errors: u64,
    exceptions: u64,
    timeouts: u64,
    request_bytes: u64,
    response_bytes: u64,
    last_query_at: Option<DateTime<Utc>>,
    last_completed_at: Option<DateTime<Utc>>,
    time_count: u64,
    time_total: f64,
    time_min: Option<f64>,
    time_max: Option<f64>,
    time_last: Option<f64>,
    buckets: [u64; 11],
}

pub struct Statistics {
    started_at: DateTime<Utc>,
    started: Instant,
    inner: Mutex<Inner>,
}

struct Inner {
    totals: Counters,
    modules: BTreeMap<String, (String, Counters)>,
}

impl Statistics {
    /// Counters for each `(name, type)` module, all at zero.
    pub fn new<'a>(modules: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let modules = modules
            .into_iter()
            .map(|(name, kind)| (name.to_owned(), (kind.to_owned(), Counters::default())))
            .collect();
        Self {
            started_at: Utc::now(),
            started: Instant::now(),
            inner: Mutex::new(Inner {
                totals: Counters::default(),
                modules,
            }),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut inner)
    }

    /// Counts a query of `module` as started; the returned tracker records how it ended.
    pub fn track<'a>(&'a self, module: &'a str, request_bytes: u64) -> QueryTracker<'a> {
        self.started(module, request_bytes);
        QueryTracker {
            statistics: self,
            module,
            done: false,
        }
    }

    fn started(&self, module: &str, request_bytes: u64) {
        let now = Utc::now();
        self.with(|inner| {
            let Inner { totals, modules } = inner;
            for counters in [Some(totals), modules.get_mut(module).map(|(_, c)| c)]
                .into_iter()
                .flatten()
            {
                counters.queries += 1;
                counters.in_flight += 1;
                counters.request_bytes += request_bytes;
                counters.last_query_at = Some(now);
            }
        });
    }

    fn abandoned(&self, module: &str) {
        self.with(|inner| {
            let Inner { totals, modules } = inner;
            for counters in [Some(totals), modules.get_mut(module).map(|(_, c)| c)]
                .into_iter()
                .flatten()
            {
                counters.in_flight = counters.in_flight.saturating_sub(1);
            }
        });
    }

    fn finished(&self, module: &str, kind: OutcomeKind, response_bytes: u64, elapsed: Duration) {
        let now = Utc::now();
        let seconds = elapsed.as_secs_f64();
        self.with(|inner| {
            let Inner { totals, modules } = inner;
            for counters in [Some(totals), modules.get_mut(module).map(|(_, c)| c)]
                .into_iter()
                .flatten()
            {
                counters.in_flight = counters.in_flight.saturating_sub(1);
                counters.completed += 1;
                counters.response_bytes += response_bytes;
                counters.last_completed_at = Some(now);
                match kind {
                    OutcomeKind::Success => counters.successes += 1,
                    OutcomeKind::ModuleError => counters.module_errors += 1,
                    OutcomeKind::Exception => counters.exceptions += 1,
                    OutcomeKind::Timeout => counters.timeouts += 1,
                    OutcomeKind::Unknown => {}
                }
                counters.record_time(seconds);
            }
        });
    }

    pub fn report(&self) -> StatisticsReport {
        self.with(|inner| StatisticsReport {
            started_at: iso(self.started_at),
            uptime_seconds: self.started.elapsed().as_secs_f64(),
            totals: inner.totals.snapshot(),
            modules: inner
                .modules
                .iter()
                .map(|(name, (kind, counters))| {
                    let stats = ModuleStats {
                        module_type: kind.clone(),
                        stats: counters.snapshot(),
                    };
                    (name.clone(), stats)
                })
                .collect(),
        })
    }
}

/// One query in flight. Dropped without [`QueryTracker::finished`] (the client left), it
/// only leaves the in-flight count.
pub struct QueryTracker<'a> {
    statistics: &'a Statistics,
    module: &'a str,
    done: bool,
}

impl QueryTracker<'_> {
    pub fn finished(mut self, kind: OutcomeKind, response_bytes: u64, elapsed: Duration) {
        self.done = true;
        self.statistics
            .finished(self.module, kind, response_bytes, elapsed);
    }
}

impl Drop for QueryTracker<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.statistics.abandoned(self.module);
        }
    }
}

impl Counters {
    fn record_time(&mut self, seconds: f64) {
        self.time_count += 1;
        self.time_total += seconds;
        self.time_min = Some(self.time_min.map_or(seconds, |m| m.min(seconds)));
        self.time_max = Some(self.time_max.map_or(seconds, |m| m.max(seconds)));
        self.time_last = Some(seconds);
        for (index, bound) in BUCKET_BOUNDS.iter().enumerate() {
            if seconds <= *bound {
                self.buckets[index] += 1;
            }
        }
        self.buckets[10] += 1;
    }

    fn snapshot(&self) -> Stats {
        let errors = self.module_errors + self.exceptions + self.timeouts;
        let rate = |part: u64| (self.completed > 0).then(|| part as f64 / self.completed as f64);
        Stats {
            queries: self.queries,
            completed: self.completed,
            in_flight: self.in_flight,
            successes: self.successes,
            errors,
            module_errors: self.module_errors,
            exceptions: self.exceptions,
            timeouts: self.timeouts,
            success_rate: rate(self.successes),
            error_rate: rate(errors),
            request_bytes: self.request_bytes,
            response_bytes: self.response_bytes,
            last_query_at: self.last_query_at.map(iso),
            last_completed_at: self.last_completed_at.map(iso),
            response_time_seconds: ResponseTimes {
                count: self.time_count,
                total: self.time_total,
                min: self.time_min,
                max: self.time_max,
                average: (self.time_count > 0).then(|| self.time_total / self.time_count as f64),
                last: self.time_last,
                buckets: BUCKET_LABELS
                    .iter()
                    .zip(self.buckets)
                    .map(|(label, count)| ((*label).to_owned(), count.into()))
                    .collect(),
            },
        }
    }
}

fn iso(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, false)
}

pub async fn report(State(state): State<AppState>) -> Response {
    let body = serde_json::to_vec(&state.statistics.report()).unwrap_or_default();
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_outcomes_per_module_and_in_total() {
        let stats = Statistics::new([("a", "expansion"), ("b", "import_mod")]);
        stats
            .track("a", 10)
            .finished(OutcomeKind::Success, 20, Duration::from_millis(5));
        stats
            .track("a", 10)
            .finished(OutcomeKind::Timeout, 5, Duration::from_secs(2));
        let open = stats.track("b", 1);
        let left = stats.track("b", 1);
        drop(left);
        let report = stats.report();
        let a = &report.modules["a"].stats;
        assert_eq!(
            (a.queries, a.completed, a.successes, a.timeouts, a.errors),
            (2, 2, 1, 1, 1)
        );
        assert_eq!(a.success_rate, Some(0.5));
        assert_eq!(a.response_time_seconds.buckets["0.01"], 1);
        assert_eq!(a.response_time_seconds.buckets["5"], 2);
        assert_eq!(report.modules["b"].stats.in_flight, 1);
        assert_eq!(report.modules["b"].stats.completed, 0);
        assert_eq!(report.totals.queries, 4);
        assert_eq!(report.totals.request_bytes, 22);
        drop(open);
        assert_eq!(report.modules["b"].module_type, "import_mod");
    }
}
