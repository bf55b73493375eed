//! Lookups through the IPGeolocation.io API (v3 `ipgeo`), with an in-memory cache so
//! repeated lookups (hover, pivots) do not spend credits.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::fields::{Fields, normalize};
use crate::engine::ModuleError;
use crate::pycompat::python_ip_text;
use crate::service::{get_with_retry, read_limited, transport_error};

pub const DEFAULT_URL: &str = "https://api.ipgeolocation.io/v3/ipgeo";
pub const DEFAULT_INCLUDE: &str = "security,abuse,hostname";
pub const DEFAULT_CACHE_TTL: u64 = 3600;
const CACHE_MAX_ENTRIES: usize = 10_000;
/// An answer is a few kilobytes; anything near this is not the API.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// The API and what it answered lately.
pub struct Api {
    url: String,
    client: Option<Client>,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    answers: HashMap<(String, String, IpAddr), (Instant, Fields)>,
    /// Keys whose plan refused the optional `include` modules, until when.
    base_plan: HashMap<String, Instant>,
}

impl Cache {
    fn answer(&mut self, key: &(String, String, IpAddr)) -> Option<Fields> {
        match self.answers.get(key) {
            Some((expires, fields)) if *expires > Instant::now() => Some(fields.clone()),
            Some(_) => {
                self.answers.remove(key);
                None
            }
            None => None,
        }
    }

    fn store(&mut self, key: (String, String, IpAddr), fields: Fields, ttl: Duration) {
        let now = Instant::now();
        if self.answers.len() >= CACHE_MAX_ENTRIES {
            self.answers.retain(|_, (expires, _)| *expires > now);
        }
        if self.answers.len() >= CACHE_MAX_ENTRIES
            && let Some(soonest) = self
                .answers
                .iter()
                .min_by_key(|(_, (expires, _))| *expires)
                .map(|(k, _)| k.clone())
        {
            self.answers.remove(&soonest);
        }
        self.answers.insert(key, (now + ttl, fields));
    }

    fn on_base_plan(&mut self, key: &str) -> bool {
        let now = Instant::now();
        self.base_plan.retain(|_, until| *until > now);
        self.base_plan.contains_key(key)
    }
}

/// The cache keeps a digest of the API key, not the key.
fn key_id(api_key: &str) -> String {
    Sha256::digest(api_key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn api_error(status: StatusCode, body: &[u8]) -> ModuleError {
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .filter(|m| !m.is_empty())
        .or_else(|| status.canonical_reason().map(str::to_owned))
        .unwrap_or_else(|| "unknown error".to_owned());
    ModuleError::reported(format!(
        "IPGeolocation.io API error {}: {message}",
        status.as_u16()
    ))
}

impl Api {
    pub fn new(url: String, client: Option<Client>) -> Self {
        Self {
            url,
            client,
            cache: Mutex::default(),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn get(
        &self,
        ip: &str,
        api_key: &str,
        include: &str,
    ) -> Result<(StatusCode, Vec<u8>), ModuleError> {
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| ModuleError::internal("no HTTP client"))?;
        let mut params = vec![("apiKey", api_key), ("ip", ip)];
        if !include.is_empty() {
            params.push(("include", include));
        }
        let unreachable = |e| {
            ModuleError::reported(format!(
                "Could not reach the IPGeolocation.io API: {}",
                transport_error(e, &[api_key])
            ))
        };
        let response = get_with_retry(client, &self.url, &params)
            .await
            .map_err(unreachable)?;
        let status = response.status();
        let body = read_limited(response, MAX_ANSWER_BYTES)
            .await
            .map_err(|e| {
                ModuleError::reported(format!("The IPGeolocation.io API answer is unusable: {e}."))
            })?;
        Ok((status, body))
    }

    /// What the API knows about `ip`. `include` names the optional API modules; a plan
    /// that refuses them (401) gets the base lookup, and is remembered for an hour.
    /// `cache_ttl` of 0 turns the cache off.
    pub async fn lookup(
        &self,
        address: IpAddr,
        api_key: &str,
        include: &str,
        cache_ttl: u64,
    ) -> Result<Fields, ModuleError> {
        let ip = python_ip_text(address);
        let key = key_id(api_key);
        let mut include = include.to_owned();
        if !include.is_empty() && self.cache().on_base_plan(&key) {
            include.clear();
        }
        if cache_ttl > 0
            && let Some(fields) = self
                .cache()
                .answer(&(key.clone(), include.clone(), address))
        {
            return Ok(fields);
        }

        let (mut status, mut body) = self.get(&ip, api_key, &include).await?;
        if status == StatusCode::UNAUTHORIZED && !include.is_empty() {
            // Free plans refuse the optional modules; the base lookup is still allowed.
            let (retry_status, retry_body) = self.get(&ip, api_key, "").await?;
            if retry_status == StatusCode::OK {
                tracing::info!(
                    "the IPGeolocation.io plan does not include `{include}`; using the base lookup"
                );
                self.cache().base_plan.insert(
                    key.clone(),
                    Instant::now() + Duration::from_secs(DEFAULT_CACHE_TTL),
                );
                include.clear();
            }
            (status, body) = (retry_status, retry_body);
        }
        match status {
            StatusCode::OK => {}
            StatusCode::LOCKED => {
                return Err(ModuleError::reported(format!(
                    "{ip} is a bogon or private address and cannot be looked up."
                )));
            }
            StatusCode::NOT_FOUND => {
                return Err(ModuleError::reported(format!(
                    "{ip} is not in the IPGeolocation.io database."
                )));
            }
            other => return Err(api_error(other, &body)),
        }
        let data: Value = serde_json::from_slice(&body).map_err(|_| {
            ModuleError::reported("The IPGeolocation.io API returned a response that is not JSON.")
        })?;
        let fields = normalize(&[data]);
        if cache_ttl > 0 {
            self.cache().store(
                (key, include, address),
                fields.clone(),
                Duration::from_secs(cache_ttl),
            );
        }
        Ok(fields)
    }
}
