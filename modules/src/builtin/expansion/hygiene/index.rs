//! The warninglists, parsed once and indexed for the two matching modes of
//! pymispwarninglists (exact membership and per-type "smart" matching).
//!
//! About 2.5 million entries, most of them domain names shared by several top-sites
//! lists, so every distinct entry is stored once in a sorted text arena together with the
//! lists holding it. The reference builds a Python set per list on every query, which
//! costs seconds and close to a gigabyte; this index is built once and shared.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::values::{parse_ipv4, parse_ipv6, python_hostname};
use crate::pycompat::python_int;

/// Set on a membership when the entry is the dot-stripped form of a hostname entry that
/// starts with dots (`.example.com` also covers `www.example.com`).
const STRIPPED: u16 = 0x8000;
const MAX_LISTS: usize = STRIPPED as usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListType {
    String,
    Substring,
    Hostname,
    Cidr,
    Regex,
}

impl ListType {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "string" => Self::String,
            "substring" => Self::Substring,
            "hostname" => Self::Hostname,
            "cidr" => Self::Cidr,
            "regex" => Self::Regex,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Substring => "substring",
            Self::Hostname => "hostname",
            Self::Cidr => "cidr",
            Self::Regex => "regex",
        }
    }
}

/// Which attribute types a list is meant for.
#[derive(Debug, Clone)]
enum Applies {
    /// No (or an empty) `matching_attributes`: every type.
    Always,
    Types(Vec<String>),
    /// A malformed text value; Python's `in` then tests for a substring.
    Text(String),
}

#[derive(Debug, Clone)]
pub struct ListInfo {
    pub name: String,
    /// `int(version)` written back as text.
    pub version: String,
    pub list_type: ListType,
    pub description: String,
    applies: Applies,
}

impl ListInfo {
    pub fn applies_to(&self, attribute_type: &str) -> bool {
        match &self.applies {
            Applies::Always => true,
            Applies::Types(types) => types.iter().any(|t| t == "ALL" || t == attribute_type),
            Applies::Text(text) => text.contains("ALL") || text.contains(attribute_type),
        }
    }
}

/// The networks of a cidr list, grouped by prefix length.
#[derive(Debug, Default)]
struct Networks {
    v4: Vec<(u32, HashSet<u32>)>,
    v6: Vec<(u32, HashSet<u128>)>,
}

impl Networks {
    fn add(&mut self, entry: &str) {
        // Entries Python's strict ip_network() rejects (host bits set, bad syntax) are
        // left out, as the reference leaves them out of its filters.
        let (address, prefix) = match entry.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (entry, None),
        };
        let prefix_len = |max: u32| -> Option<u32> {
            match prefix {
                None => Some(max),
                Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
                    text.parse::<u32>().ok().filter(|p| *p <= max)
                }
                Some(_) => None,
            }
        };
        if let Some(ip) = parse_ipv4(address) {
            let Some(len) = prefix_len(32) else { return };
            let bits = u32::from(ip);
            if bits & !mask32(len) == 0 {
                insert(&mut self.v4, len, bits);
            }
        } else if !address.contains('%')
            && let Some(ip) = parse_ipv6(address)
        {
            let Some(len) = prefix_len(128) else { return };
            let bits = u128::from(ip);
            if bits & !mask128(len) == 0 {
                insert(&mut self.v6, len, bits);
            }
        }
    }

    fn contains_v4(&self, ip: Ipv4Addr) -> bool {
        let bits = u32::from(ip);
        self.v4
            .iter()
            .any(|(len, nets)| nets.contains(&(bits & mask32(*len))))
    }

    fn contains_v6(&self, ip: Ipv6Addr) -> bool {
        let bits = u128::from(ip);
        self.v6
            .iter()
            .any(|(len, nets)| nets.contains(&(bits & mask128(*len))))
    }
}

fn insert<T: std::hash::Hash + Eq>(groups: &mut Vec<(u32, HashSet<T>)>, len: u32, bits: T) {
    match groups.iter_mut().find(|(l, _)| *l == len) {
        Some((_, set)) => {
            set.insert(bits);
        }
        None => groups.push((len, HashSet::from([bits]))),
    }
}

fn mask32(len: u32) -> u32 {
    u32::MAX.checked_shl(32 - len).unwrap_or(0)
}

fn mask128(len: u32) -> u128 {
    u128::MAX.checked_shl(128 - len).unwrap_or(0)
}

/// Why the lists could not be loaded; the detail is for the log only.
#[derive(Debug)]
pub struct LoadError(pub String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub struct Index {
    /// In the order the reference reports matches.
    lists: Vec<ListInfo>,
    /// Distinct entries, sorted, back to back; entry `i` is `text[starts[i]..starts[i+1]]`.
    text: String,
    starts: Vec<u32>,
    /// Lists holding entry `i`: `members[member_starts[i]..member_starts[i+1]]`.
    member_starts: Vec<u32>,
    members: Vec<u16>,
    substrings: HashMap<usize, Vec<Box<str>>>,
    networks: HashMap<usize, Networks>,
}

/// One entry while loading: a range of the pool and the file it came from.
struct Pending {
    start: u32,
    len: u32,
    file: u16,
}

struct FileMeta {
    info: ListInfo,
    entries: std::ops::Range<usize>,
}

/// Collects the lists, one `list.json` document at a time, then builds the index.
#[derive(Default)]
pub struct Builder {
    pool: String,
    pending: Vec<Pending>,
    files: Vec<FileMeta>,
}

impl Builder {
    /// Adds one `list.json` document, in directory order.
    pub fn add(&mut self, document: &[u8]) -> Result<(), LoadError> {
        if self.files.len() >= MAX_LISTS {
            return Err(LoadError("too many warninglists".into()));
        }
        let file = self.files.len() as u16;
        let first = self.pending.len();
        let mut parser = serde_json::Deserializer::from_slice(document);
        let raw = ListDocument {
            pool: &mut self.pool,
            pending: &mut self.pending,
            file,
        }
        .deserialize(&mut parser)
        .and_then(|raw| parser.end().map(|()| raw))
        .map_err(|e| LoadError(format!("list {file}: {e}")))?;
        if self.pool.len() > u32::MAX as usize {
            return Err(LoadError("warninglists too large".into()));
        }
        let info = raw
            .into_info()
            .map_err(|e| LoadError(format!("list {file}: {e}")))?;
        self.files.push(FileMeta {
            info,
            entries: first..self.pending.len(),
        });
        Ok(())
    }

    pub fn build(self) -> Result<Index, LoadError> {
        let Builder {
            pool,
            mut pending,
            files,
        } = self;
        if files.is_empty() {
            return Err(LoadError("no warninglists found".into()));
        }
        // A name seen again replaces the earlier list but keeps its place (a dict keyed by
        // name in the reference).
        let mut slots: Vec<usize> = Vec::new();
        let mut slot_of_name: HashMap<&str, usize> = HashMap::new();
        let mut slot_of_file: Vec<Option<u16>> = vec![None; files.len()];
        for (file, meta) in files.iter().enumerate() {
            match slot_of_name.get(meta.info.name.as_str()) {
                Some(&slot) => {
                    slot_of_file[slots[slot]] = None;
                    slots[slot] = file;
                    slot_of_file[file] = Some(slot as u16);
                }
                None => {
                    slot_of_name.insert(&meta.info.name, slots.len());
                    slot_of_file[file] = Some(slots.len() as u16);
                    slots.push(file);
                }
            }
        }

        let entry = |p: &Pending| &pool[p.start as usize..(p.start + p.len) as usize];
        let mut substrings = HashMap::new();
        let mut networks = HashMap::new();
        for (slot, &file) in slots.iter().enumerate() {
            let meta = &files[file];
            let texts = pending[meta.entries.clone()].iter().map(entry);
            match meta.info.list_type {
                ListType::Substring => {
                    substrings.insert(slot, texts.map(Box::from).collect::<Vec<_>>());
                }
                ListType::Cidr => {
                    let mut nets = Networks::default();
                    texts.for_each(|t| nets.add(t));
                    networks.insert(slot, nets);
                }
                _ => {}
            }
        }

        // Hostname entries with leading dots also match under their stripped form.
        let mut extra = Vec::new();
        for p in &pending {
            let Some(slot) = slot_of_file[p.file as usize] else {
                continue;
            };
            let text = entry(p);
            let info = &files[slots[slot as usize]].info;
            if info.list_type == ListType::Hostname && text.starts_with('.') {
                let dots = (text.len() - text.trim_start_matches('.').len()) as u32;
                extra.push(Pending {
                    start: p.start + dots,
                    len: p.len - dots,
                    file: p.file | STRIPPED,
                });
            }
        }
        pending.append(&mut extra);
        pending.retain(|p| slot_of_file[(p.file & !STRIPPED) as usize].is_some());
        pending.sort_unstable_by(|a, b| entry(a).cmp(entry(b)));

        let mut text = String::new();
        let mut starts = vec![0u32];
        let mut member_starts = vec![0u32];
        let mut members: Vec<u16> = Vec::new();
        let mut previous: Option<&str> = None;
        for p in &pending {
            let value = entry(p);
            if previous != Some(value) {
                if previous.is_some() {
                    starts.push(text.len() as u32);
                    member_starts.push(members.len() as u32);
                }
                text.push_str(value);
                previous = Some(value);
            }
            let Some(slot) = slot_of_file[(p.file & !STRIPPED) as usize] else {
                continue;
            };
            let member = slot | (p.file & STRIPPED);
            let group = &members[*member_starts.last().unwrap_or(&0) as usize..];
            if !group.contains(&member) {
                members.push(member);
            }
        }
        if previous.is_some() {
            starts.push(text.len() as u32);
            member_starts.push(members.len() as u32);
        }
        drop(pending);
        drop(pool);
        text.shrink_to_fit();

        let mut lists = Vec::with_capacity(slots.len());
        let mut files = files;
        // Take each winning file's info in slot order.
        for &file in &slots {
            let info = std::mem::replace(
                &mut files[file].info,
                ListInfo {
                    name: String::new(),
                    version: String::new(),
                    list_type: ListType::Regex,
                    description: String::new(),
                    applies: Applies::Always,
                },
            );
            lists.push(info);
        }
        Ok(Index {
            lists,
            text,
            starts,
            member_starts,
            members,
            substrings,
            networks,
        })
    }
}

impl Index {
    pub fn lists(&self) -> &[ListInfo] {
        &self.lists
    }

    /// Bytes held by the entry tables (for the log).
    pub fn size_hint(&self) -> usize {
        self.text.len()
            + 4 * (self.starts.len() + self.member_starts.len())
            + 2 * self.members.len()
    }

    fn memberships(&self, value: &str) -> &[u16] {
        let count = self.starts.len().saturating_sub(1);
        let at = |i: usize| &self.text[self.starts[i] as usize..self.starts[i + 1] as usize];
        let (mut low, mut high) = (0, count);
        while low < high {
            let mid = (low + high) / 2;
            match at(mid).cmp(value) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => {
                    return &self.members
                        [self.member_starts[mid] as usize..self.member_starts[mid + 1] as usize];
                }
            }
        }
        &[]
    }

    fn exact(&self, value: &str) -> Vec<bool> {
        let mut hit = vec![false; self.lists.len()];
        for member in self.memberships(value) {
            if member & STRIPPED == 0 {
                hit[*member as usize] = true;
            }
        }
        hit
    }

    /// The lists `value` matches, in report order: exact membership when `smart` is off,
    /// else each list's own rule.
    pub fn search(&self, value: &str, smart: bool) -> Result<Vec<&ListInfo>, LoadError> {
        let exact = self.exact(value);
        if !smart {
            return Ok(self
                .lists
                .iter()
                .zip(exact)
                .filter_map(|(list, hit)| hit.then_some(list))
                .collect());
        }
        let needs_host = self.lists.iter().any(|l| l.list_type == ListType::Hostname);
        let host_hits = if needs_host {
            let host = python_hostname(value)
                .map_err(|_| LoadError("the value is not a parsable URL".into()))?;
            self.hostname_hits(host.as_deref().unwrap_or(value))
        } else {
            vec![false; self.lists.len()]
        };
        let ipv4 = parse_ipv4(value);
        let ipv6 = if ipv4.is_none() {
            // Python accepts a zone and ignores it when comparing.
            let (address, zone) = value.split_once('%').unwrap_or((value, "x"));
            (!zone.is_empty() && !zone.contains('%'))
                .then(|| parse_ipv6(address))
                .flatten()
        } else {
            None
        };
        let mut found = Vec::new();
        for (slot, list) in self.lists.iter().enumerate() {
            let hit = match list.list_type {
                ListType::String => exact[slot],
                ListType::Substring => self
                    .substrings
                    .get(&slot)
                    .is_some_and(|entries| entries.iter().any(|e| value.contains(&**e))),
                ListType::Hostname => host_hits[slot],
                ListType::Cidr => match (ipv4, ipv6, self.networks.get(&slot)) {
                    (Some(ip), _, Some(nets)) => nets.contains_v4(ip),
                    (_, Some(ip), Some(nets)) => nets.contains_v6(ip),
                    (None, None, _) => exact[slot],
                    _ => false,
                },
                ListType::Regex => false,
            };
            if hit {
                found.push(list);
            }
        }
        Ok(found)
    }

    /// `host == entry or host.endswith("." + entry.lstrip("."))` for every entry.
    fn hostname_hits(&self, host: &str) -> Vec<bool> {
        let mut hit = self.exact(host);
        for (dot, _) in host.match_indices('.') {
            for member in self.memberships(&host[dot + 1..]) {
                // A suffix equal to an entry, dotted or not, is a match (a dotted entry
                // preceded by "." also ends with "." + its stripped form).
                hit[(member & !STRIPPED) as usize] = true;
            }
        }
        for (slot, list) in self.lists.iter().enumerate() {
            if list.list_type != ListType::Hostname {
                hit[slot] = false;
            }
        }
        hit
    }
}

/// The fields of a `list.json`; entries go straight into the builder's pool.
struct ListDocument<'b> {
    pool: &'b mut String,
    pending: &'b mut Vec<Pending>,
    file: u16,
}

#[derive(Default)]
struct RawMeta {
    name: Option<Value>,
    description: Option<Value>,
    version: Option<Value>,
    list_type: Option<Value>,
    matching_attributes: Option<Value>,
    has_list: bool,
    list_start: Option<usize>,
}

impl RawMeta {
    fn into_info(self) -> Result<ListInfo, String> {
        if !self.has_list {
            return Err("no list".into());
        }
        let name = match self.name {
            Some(Value::String(name)) => name,
            _ => return Err("name missing or not text".into()),
        };
        let description = match self.description {
            Some(value) => python_str(&value),
            None => return Err("no description".into()),
        };
        let version = self
            .version
            .as_ref()
            .and_then(python_int)
            .ok_or("version missing or not an integer")?
            .to_string();
        let list_type = self
            .list_type
            .as_ref()
            .and_then(Value::as_str)
            .and_then(ListType::parse)
            .ok_or("unexpected list type")?;
        let applies = match self.matching_attributes {
            None | Some(Value::Null) | Some(Value::Bool(false)) => Applies::Always,
            Some(Value::String(text)) if text.is_empty() => Applies::Always,
            Some(Value::String(text)) => Applies::Text(text),
            Some(Value::Array(items)) if items.is_empty() => Applies::Always,
            Some(Value::Array(items)) => Applies::Types(
                items
                    .into_iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            ),
            Some(_) => return Err("matching_attributes is not a list".into()),
        };
        Ok(ListInfo {
            name,
            version,
            list_type,
            description,
            applies,
        })
    }
}

/// Python's `str()` of a JSON value, for a description that is not text.
fn python_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

impl<'de> DeserializeSeed<'de> for ListDocument<'_> {
    type Value = RawMeta;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<RawMeta, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ListDocument<'_> {
    type Value = RawMeta;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a warninglist object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawMeta, A::Error> {
        let mut meta = RawMeta::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "list" => {
                    // A repeated key replaces the earlier value, as in Python's json.
                    match meta.list_start {
                        Some(start) => self.pending.truncate(start),
                        None => meta.list_start = Some(self.pending.len()),
                    }
                    map.next_value_seed(Entries {
                        pool: self.pool,
                        pending: self.pending,
                        file: self.file,
                    })?;
                    meta.has_list = true;
                }
                "name" => meta.name = Some(map.next_value()?),
                "description" => meta.description = Some(map.next_value()?),
                "version" => meta.version = Some(map.next_value()?),
                "type" => meta.list_type = Some(map.next_value()?),
                "matching_attributes" => meta.matching_attributes = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(meta)
    }
}

struct Entries<'b> {
    pool: &'b mut String,
    pending: &'b mut Vec<Pending>,
    file: u16,
}

impl<'de> DeserializeSeed<'de> for Entries<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<Entry<'de>>()? {
            // Numbers and other non-text entries can never equal a text value.
            let Entry::Text(text) = entry else { continue };
            let start = self.pool.len();
            self.pool.push_str(&text);
            self.pending.push(Pending {
                start: start as u32,
                len: text.len() as u32,
                file: self.file,
            });
        }
        Ok(())
    }
}

enum Entry<'a> {
    Text(Cow<'a, str>),
    Other,
}

impl<'de> de::Deserialize<'de> for Entry<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = Entry<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an entry")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Entry<'de>, E> {
                Ok(Entry::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Entry<'de>, E> {
                Ok(Entry::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Entry<'de>, E> {
                Ok(Entry::Text(Cow::Owned(v)))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Entry<'de>, E> {
                Ok(Entry::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Entry<'de>, E> {
                Ok(Entry::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Entry<'de>, E> {
                Ok(Entry::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Entry<'de>, E> {
                Ok(Entry::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Entry<'de>, E> {
                Ok(Entry::Other)
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn index(lists: &[Value]) -> Index {
        let mut builder = Builder::default();
        for list in lists {
            builder.add(list.to_string().as_bytes()).unwrap();
        }
        builder.build().unwrap()
    }

    fn list(name: &str, list_type: &str, entries: Value) -> Value {
        json!({"name": name, "type": list_type, "version": "3", "description": "d", "list": entries})
    }

    fn names(found: Vec<&ListInfo>) -> Vec<&str> {
        found.iter().map(|l| l.name.as_str()).collect()
    }

    #[test]
    fn each_type_matches_by_its_own_rule_in_smart_mode() {
        let idx = index(&[
            list("s", "string", json!(["example.com", "1.2.3.4"])),
            list("sub", "substring", json!([".de", "mail"])),
            list("h", "hostname", json!(["example.com", "..dotted.org"])),
            list(
                "c",
                "cidr",
                json!(["10.0.0.0/8", "2001:db8::/32", "192.0.2.1/24", "x"]),
            ),
            list("r", "regex", json!(["^.*$"])),
        ]);
        let search = |v: &str| names(idx.search(v, true).unwrap());
        assert_eq!(search("example.com"), ["s", "h"]);
        assert_eq!(search("www.example.com"), ["h"]);
        assert_eq!(search("badexample.com"), Vec::<&str>::new());
        assert_eq!(search("http://A.Example.com/x"), ["h"]);
        assert_eq!(search("a.dotted.org"), ["h"]);
        assert_eq!(search("dotted.org"), Vec::<&str>::new());
        assert_eq!(search("..dotted.org"), ["h"]);
        assert_eq!(search("mail.example.de"), ["sub"]);
        assert_eq!(search("10.200.3.4"), ["c"]);
        assert_eq!(search("2001:db8::5"), ["c"]);
        assert_eq!(search("2001:db8::5%eth0"), ["c"]);
        // Host bits set: Python's strict parser drops the entry from the filter.
        assert_eq!(search("192.0.2.9"), Vec::<&str>::new());
        // An IP outside every network does not fall back to exact matching...
        assert_eq!(search("1.2.3.4"), ["s"]);
        // ...but a non-IP value does.
        assert_eq!(search("x"), ["c"]);
        assert_eq!(search("^.*$"), Vec::<&str>::new());
    }

    #[test]
    fn exact_mode_is_plain_membership_for_every_type() {
        let idx = index(&[
            list("h", "hostname", json!(["example.com"])),
            list("c", "cidr", json!(["10.0.0.0/8"])),
            list("r", "regex", json!(["^.*$"])),
        ]);
        let search = |v: &str| names(idx.search(v, false).unwrap());
        assert_eq!(search("www.example.com"), Vec::<&str>::new());
        assert_eq!(search("example.com"), ["h"]);
        assert_eq!(search("10.0.0.1"), Vec::<&str>::new());
        assert_eq!(search("10.0.0.0/8"), ["c"]);
        assert_eq!(search("^.*$"), ["r"]);
    }

    #[test]
    fn a_repeated_name_replaces_the_list_in_its_first_place() {
        let idx = index(&[
            list("a", "string", json!(["old"])),
            list("b", "string", json!(["new", "old"])),
            list("a", "string", json!(["new"])),
        ]);
        assert_eq!(names(idx.search("new", true).unwrap()), ["a", "b"]);
        assert_eq!(names(idx.search("old", true).unwrap()), ["b"]);
    }

    #[test]
    fn metadata_is_read_like_the_reference() {
        let idx = index(&[json!({
            "name": "n", "type": "string", "version": 20240101, "description": null,
            "matching_attributes": ["domain"], "list": ["v", 3, null]
        })]);
        let info = &idx.lists()[0];
        assert_eq!(
            (info.version.as_str(), info.description.as_str()),
            ("20240101", "None")
        );
        assert!(info.applies_to("domain") && !info.applies_to("url"));
        let mut builder = Builder::default();
        assert!(
            builder
                .add(br#"{"name":"n","type":"glob","version":1,"description":"","list":[]}"#)
                .is_err()
        );
        assert!(
            builder
                .add(br#"{"name":"n","type":"string","version":"v1","description":"","list":[]}"#)
                .is_err()
        );
        assert!(Builder::default().build().is_err());
    }
}
