//! One typed list of normalised indicators (ipv4, ipv6, domain, url or a hash kind) with
//! the attributes each value came from: what the Wazuh CDB and QRadar reference-set
//! exports are built on.

use crate::builtin::export::indicators::screened_kind;
use serde_json::{Map, Value};

use super::syntax::{SplitUrl, dns_name, ip_address, ip_text};
use super::{Checked, DataShape, Invalid, Skips, push_unique, reference, sources};

pub(crate) const HASHES: [(&str, usize); 4] =
    [("md5", 32), ("sha1", 40), ("sha256", 64), ("sha512", 128)];

/// MISP types the list exports read (URLs only where the target takes them).
pub(crate) const INPUT_TYPES: [&str; 15] = [
    "domain",
    "domain|ip",
    "filename|md5",
    "filename|sha1",
    "filename|sha256",
    "filename|sha512",
    "hostname",
    "ip-dst",
    "ip-src",
    "malware-sample",
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "url",
];

pub(crate) const DATA_REFUSED: DataShape = DataShape::EventOrList(
    "data must contain an event or list of events.",
    "data must contain an event or list of events.",
);

pub(crate) fn hash_length(kind: &str) -> Option<usize> {
    HASHES.iter().find(|(k, _)| *k == kind).map(|(_, n)| *n)
}

pub(crate) fn is_hex_of(value: &str, length: usize) -> bool {
    value.len() == length && value.bytes().all(|b| b.is_ascii_hexdigit())
}

fn has_control(value: &str) -> bool {
    value.chars().any(|c| (c as u32) < 32 || c as u32 == 127)
}

/// The list type and normal form of one atomic value of MISP type `kind`.
fn atomic(kind: &str, value: &str) -> Checked<(&'static str, String)> {
    if has_control(value) {
        return Err("Control characters are not supported.".into());
    }
    if let Some(length) = hash_length(kind) {
        if !is_hex_of(value, length) {
            return Err("Invalid hash.".into());
        }
        let name = HASHES
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or("md5", |h| h.0);
        return Ok((name, value.to_ascii_lowercase()));
    }
    match kind {
        "ip-src" | "ip-dst" => {
            if value.contains('%') {
                return Err("Scoped IPv6 is unsupported.".into());
            }
            let address = ip_address(value)?;
            let family = if address.is_ipv4() { "ipv4" } else { "ipv6" };
            Ok((family, ip_text(address)))
        }
        "url" => {
            let url = SplitUrl::parse(value)?;
            if url.scheme.is_empty()
                || url.hostname().is_none()
                || value.chars().any(char::is_whitespace)
            {
                return Err("URL must be absolute with a host and no whitespace.".into());
            }
            url.port()?;
            Ok(("url", value.to_owned()))
        }
        _ => Ok(("domain", dns_name(value)?)),
    }
}

/// The atoms of a value: composites give one per part (`domain|ip`) or their hash.
pub(crate) fn atoms(kind: &str, value: &str) -> Checked<Vec<(&'static str, String)>> {
    if !kind.contains('|') && kind != "malware-sample" {
        return Ok(vec![atomic(kind, value)?]);
    }
    let (first, second) = value
        .rsplit_once('|')
        .filter(|(a, b)| !a.trim().is_empty() && !b.trim().is_empty())
        .ok_or_else(|| Invalid::from("Invalid composite."))?;
    if kind == "domain|ip" {
        return Ok(vec![atomic("domain", first)?, atomic("ip-dst", second)?]);
    }
    let hash = if kind == "malware-sample" {
        "md5"
    } else {
        kind.split('|').nth(1).unwrap_or("md5")
    };
    Ok(vec![atomic(hash, second)?])
}

/// Unique values of `selected` type in first-seen order, each with its references.
pub(crate) struct Collected {
    pub values: Vec<(String, Vec<Value>)>,
    pub skipped: Skips,
}

impl Collected {
    pub fn sources_json(&self) -> Value {
        Value::Object(
            self.values
                .iter()
                .map(|(value, refs)| (value.clone(), Value::Array(refs.clone())))
                .collect(),
        )
    }

    pub fn sorted_values(&self) -> Vec<&str> {
        let mut values: Vec<&str> = self.values.iter().map(|(v, _)| v.as_str()).collect();
        values.sort_unstable();
        values
    }
}

pub(crate) fn collect(
    data: Option<&Value>,
    selected: &str,
    include_non_ids: bool,
    limit: Option<usize>,
) -> Checked<Collected> {
    let mut values: Vec<(String, Vec<Value>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = Default::default();
    let mut skipped = Skips::default();
    for source in sources(data, DATA_REFUSED)? {
        let Some(kind) = screened_kind(&source, include_non_ids, &INPUT_TYPES, &mut skipped)?
        else {
            continue;
        };
        let value = source.attribute.get("value").and_then(Value::as_str);
        let Some(Ok(found)) = value
            .filter(|v| !v.trim().is_empty())
            .map(|v| atoms(kind, v))
        else {
            skipped.add("malformed");
            continue;
        };
        let matching: Vec<String> = found
            .into_iter()
            .filter(|(t, _)| *t == selected)
            .map(|(_, v)| v)
            .collect();
        if matching.is_empty() {
            skipped.add("other indicator type");
            continue;
        }
        let origin: Map<String, Value> = reference(&source, kind);
        for atom in matching {
            let position = *index.entry(atom.clone()).or_insert_with(|| {
                values.push((atom, Vec::new()));
                values.len() - 1
            });
            push_unique(&mut values[position].1, origin.clone());
            if let Some(limit) = limit.filter(|l| values.len() > *l) {
                return Err(
                    format!("At most {limit} unique values are allowed; split the input.").into(),
                );
            }
        }
    }
    Ok(Collected { values, skipped })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn atoms_normalise_and_split_composites() {
        assert_eq!(
            atoms("domain|ip", "Mx.Example.org|192.0.2.25").unwrap(),
            [
                ("domain", "mx.example.org".to_owned()),
                ("ipv4", "192.0.2.25".to_owned())
            ]
        );
        assert_eq!(
            atoms("filename|md5", "a|b.exe|E99A18C428CB38D5F260853678922E03").unwrap(),
            [("md5", "e99a18c428cb38d5f260853678922e03".to_owned())]
        );
        assert!(atoms("ip-dst", "fe80::1%eth0").is_err());
        assert!(atoms("filename|sha1", "x.exe|").is_err());
        assert!(atoms("url", "example.com/path").is_err());
        assert_eq!(atoms("ip-src", "2001:DB8::1").unwrap()[0].0, "ipv6");
    }

    #[test]
    fn collect_counts_and_deduplicates() {
        let data = json!({"Event": {"uuid": "e", "Attribute": [
            {"uuid": "a1", "type": "ip-src", "value": "192.0.2.1", "to_ids": true},
            {"uuid": "a2", "type": "domain|ip", "value": "x.example|192.0.2.1", "to_ids": "1"},
            {"uuid": "a3", "type": "ip-dst", "value": "192.0.2.300", "to_ids": true},
            {"uuid": "a4", "type": "text", "value": "x", "to_ids": true},
            {"uuid": "a5", "type": "md5", "value": "e99a18c428cb38d5f260853678922e03", "to_ids": true},
            {"uuid": "a6", "type": "ip-dst", "value": "192.0.2.9", "to_ids": false}
        ]}});
        let got = collect(Some(&data), "ipv4", false, None).unwrap();
        assert_eq!(got.sorted_values(), ["192.0.2.1"]);
        assert_eq!(got.values[0].1.len(), 2);
        assert_eq!(
            got.skipped.to_json(),
            json!({"malformed": 1, "unsupported": 1, "other indicator type": 1, "deleted or non-IDS": 1})
        );
        assert_eq!(
            collect(Some(&data), "ipv4", true, Some(1)).err().unwrap().0,
            "At most 1 unique values are allowed; split the input."
        );
    }
}
