//! `GET /statistics`: process-local counters, field for field as the reference names them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Upper bounds (seconds) of the cumulative response-time buckets, as labelled on the wire.
pub const BUCKET_LABELS: [&str; 11] = [
    "0.01", "0.05", "0.1", "0.5", "1", "5", "10", "30", "60", "300", "+Inf",
];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseTimes {
    pub count: u64,
    pub total: f64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub average: Option<f64>,
    pub last: Option<f64>,
    /// Cumulative counts in ascending bucket order (a JSON object that keeps its order).
    pub buckets: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub queries: u64,
    pub completed: u64,
    pub in_flight: u64,
    pub successes: u64,
    pub errors: u64,
    pub module_errors: u64,
    pub exceptions: u64,
    pub timeouts: u64,
    pub success_rate: Option<f64>,
    pub error_rate: Option<f64>,
    pub request_bytes: u64,
    pub response_bytes: u64,
    pub last_query_at: Option<String>,
    pub last_completed_at: Option<String>,
    pub response_time_seconds: ResponseTimes,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleStats {
    #[serde(rename = "type")]
    pub module_type: String,
    #[serde(flatten)]
    pub stats: Stats,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatisticsReport {
    pub started_at: String,
    pub uptime_seconds: f64,
    pub totals: Stats,
    pub modules: BTreeMap<String, ModuleStats>,
}
