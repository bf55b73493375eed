//! Network packets grouped into network-connection objects, and the timestamps Joe
//! writes for them.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Timelike};
use serde_json::{Map, Value};

use super::parser::{Walk, field, items};
use crate::engine::ModuleError;
use crate::misp::ObjectBuilder;

/// Protocols in the order they are read, with the OSI layer each belongs to.
const PROTOCOLS: [(&str, u8); 6] = [
    ("tcp", 4),
    ("udp", 4),
    ("icmp", 3),
    ("http", 7),
    ("https", 7),
    ("ftp", 7),
];
const ENDPOINT_FIELDS: [(&str, &str, &str); 4] = [
    ("srcip", "ip-src", "ip-src"),
    ("dstip", "ip-dst", "ip-dst"),
    ("srcport", "port", "src-port"),
    ("dstport", "port", "dst-port"),
];

/// Python's `datetime.isoformat()` of a naive time.
pub(super) fn iso(time: &NaiveDateTime) -> String {
    if time.nanosecond() == 0 {
        time.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        time.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
    }
}

/// A packet time such as `Mar 4, 2021 10:11:15.123456789 CET`, to the microsecond (the
/// zone name is dropped, as the reference does).
fn packet_time(text: &str) -> Option<NaiveDateTime> {
    let (minute_part, seconds) = text.rsplit_once(':')?;
    let seconds: f64 = seconds.split(' ').next()?.parse().ok()?;
    if !(0.0..61.0).contains(&seconds) {
        return None;
    }
    let start =
        NaiveDateTime::parse_from_str(&format!("{minute_part}:00"), "%b %d, %Y %H:%M:%S").ok()?;
    // Rounding may carry into the next minute (59.9999999 s), which adding handles.
    let micros = (seconds * 1_000_000.0).round() as i64;
    start.checked_add_signed(chrono::TimeDelta::microseconds(micros))
}

type Protocols = Vec<(&'static str, u8, NaiveDateTime)>;

pub(super) fn connections(
    walk: &mut Walk,
    network: &Map<String, Value>,
) -> Result<(), ModuleError> {
    // Connections in first-seen order; per connection, each protocol's earliest packet.
    let mut order: Vec<(Vec<&Value>, Protocols)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (protocol, layer) in PROTOCOLS {
        for packet in items(network.get(protocol).and_then(Value::as_object), "packet") {
            let Some(time) = packet
                .get("timestamp")
                .and_then(Value::as_str)
                .and_then(packet_time)
            else {
                continue;
            };
            let endpoints: Vec<&Value> = ENDPOINT_FIELDS
                .iter()
                .map(|(key, _, _)| field(packet, key))
                .collect();
            let key = serde_json::to_string(&endpoints).unwrap_or_default();
            let position = *index.entry(key).or_insert_with(|| {
                order.push((endpoints, Vec::new()));
                order.len() - 1
            });
            let protocols = &mut order[position].1;
            match protocols.iter_mut().find(|(p, _, _)| *p == protocol) {
                Some(seen) => seen.2 = seen.2.min(time),
                None => protocols.push((protocol, layer, time)),
            }
        }
    }
    for (endpoints, protocols) in order {
        let mut layers: Vec<u8> = protocols.iter().map(|(_, layer, _)| *layer).collect();
        layers.sort_unstable();
        layers.dedup();
        // One object when no two protocols share a layer, else one per protocol.
        let groups: Vec<Protocols> = if layers.len() == protocols.len() {
            vec![protocols]
        } else {
            protocols.into_iter().map(|p| vec![p]).collect()
        };
        for group in groups {
            let mut object = ObjectBuilder::new("network-connection")?;
            for ((_, kind, relation), value) in ENDPOINT_FIELDS.iter().zip(&endpoints) {
                walk.event.add_value(&mut object, relation, kind, value);
            }
            if let Some(first) = group.iter().map(|(_, _, time)| *time).min() {
                walk.event
                    .add_text(&mut object, "first-packet-seen", "datetime", iso(&first));
            }
            for (protocol, layer, _) in &group {
                let relation = format!("layer{layer}-protocol");
                walk.event
                    .add_text(&mut object, &relation, "text", *protocol);
            }
            let uuid = object.uuid().to_owned();
            walk.event.push_object(object.build());
            let analysis = walk.analysis.clone();
            walk.event.reference_later(&analysis, &uuid, "initiates");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_times_round_to_the_microsecond() {
        let time = |text| packet_time(text).map(|t| iso(&t));
        assert_eq!(
            time("Mar 4, 2021 10:11:15.123456789 CET").as_deref(),
            Some("2021-03-04T10:11:15.123457")
        );
        assert_eq!(
            time("Mar 4, 2021 10:11:13.999999999 CET").as_deref(),
            Some("2021-03-04T10:11:14")
        );
        assert_eq!(
            time("Dec 31, 2021 23:59:59.9999999 UTC").as_deref(),
            Some("2022-01-01T00:00:00")
        );
        assert_eq!(time("yesterday"), None);
        assert_eq!(time("Mar 4, 2021 10:11:xx CET"), None);
    }
}
