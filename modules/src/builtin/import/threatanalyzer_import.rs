//! `threatanalyzer_import`: legacy attributes from a ThreatAnalyzer analysis, given as the
//! `archive.zip` download or as its `analysis.json` alone.

use std::sync::LazyLock;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use base64::Engine as _;
use regex::Regex;
use serde_json::{Map, Value, json};

use super::sandbox_archive::{self, LIMITS};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

pub struct ThreatAnalyzerImport(ModuleDescriptor);

impl ThreatAnalyzerImport {
    pub fn new() -> Self {
        Self(descriptor(
            "threatanalyzer_import",
            ModuleType::Import,
            json!({"userConfig": {}, "inputSource": ["file"]}),
            json!({
                "version": "0.10",
                "author": "misp-modules-stack",
                "description": "Reads a ThreatAnalyzer sandbox analysis (archive.zip or analysis.json) and returns its network, file and registry indicators, with the sample and the files it wrote.",
                "module-type": ["import"],
                "name": "ThreadAnalyzer Sandbox Import",
                "config": [],
                "logo": "",
                "requirements": [],
                "references": ["https://www.threattrack.com/malware-analysis.aspx"],
                "input": "A ThreatAnalyzer archive.zip or analysis.json file.",
                "output": "Legacy attributes; samples and written files as malware-sample."
            }),
        ))
    }
}

const DROPPED: [&str; 2] = ["Artifacts dropped", "Payload delivery"];
const NETWORK: [&str; 1] = ["Network activity"];
const REGISTRY: [&str; 3] = [
    "External analysis",
    "Persistence mechanism",
    "Artifacts dropped",
];

fn entry(
    value: String,
    kind: &str,
    categories: Option<&[&str]>,
    to_ids: bool,
    comment: &str,
) -> Value {
    let mut map = Map::new();
    map.insert("values".into(), json!(value));
    map.insert("type".into(), json!(kind));
    if let Some(categories) = categories {
        map.insert("categories".into(), json!(categories));
    }
    map.insert("to_ids".into(), json!(to_ids));
    map.insert("comment".into(), json!(comment));
    Value::Object(map)
}

fn sample(value: &str, data: &[u8], categories: [&str; 2]) -> Value {
    json!({
        "values": value,
        "data": base64::engine::general_purpose::STANDARD.encode(data),
        "type": "malware-sample",
        "categories": categories,
        "to_ids": true,
        "comment": ""
    })
}

fn parses_as_ip(item: &str) -> bool {
    item.parse::<std::net::IpAddr>().is_ok()
}

/// An address worth reporting: valid, and not one of the sandbox's usual noise.
fn cleanup_ip(item: &str) -> Option<String> {
    const NOISE: [&str; 6] = [
        "224.0.0.", "127.0.0.", "8.8.8.8", "8.8.4.4", "0.0.0.0", "NONE",
    ];
    if NOISE.iter().any(|n| item.contains(n)) || !parses_as_ip(item) {
        return None;
    }
    Some(item.to_owned())
}

/// A host name worth reporting: not noise and not an address.
fn cleanup_hostname(item: &str) -> Option<String> {
    const NOISE: [&str; 3] = ["wpad", "teredo.ipv6.microsoft.com", "WIN7SP1-x64-UNP"];
    if item.is_empty() || NOISE.iter().any(|n| item.contains(n)) || parses_as_ip(item) {
        return None;
    }
    Some(item.to_owned())
}

/// A file path worth reporting: not one Windows or Office writes on every run.
fn cleanup_filepath(item: &str) -> Option<String> {
    const NOISE: &[&str] = &[
        "\\AppData\\Local\\GDIPFONTCACHEV1.DAT",
        "\\AppData\\Local\\Microsoft\\Internet Explorer\\DOMStore\\",
        "\\AppData\\Local\\Microsoft\\Internet Explorer\\Recovery\\High\\",
        "\\AppData\\Local\\Microsoft\\Windows\\Caches\\",
        "\\AppData\\Local\\Microsoft\\Windows\\Explorer\\thumbcache",
        "\\AppData\\Local\\Microsoft\\Windows\\History\\History.",
        "\\AppData\\Local\\Microsoft\\Windows\\Temporary Internet Files\\Content.",
        "\\AppData\\Local\\Microsoft\\Windows\\WebCache\\",
        "\\AppData\\LocalLow\\Microsoft\\CryptnetUrlCache\\",
        "\\AppData\\LocalLow\\Microsoft\\Internet Explorer\\Services\\search_",
        "\\AppData\\Roaming\\Microsoft\\Office\\Recent\\",
        "\\AppData\\Roaming\\Microsoft\\Windows\\Cookies\\",
        "\\AppData\\Roaming\\Microsoft\\Windows\\Recent\\",
        "C:\\ProgramData\\Microsoft\\OfficeSoftwareProtectionPlatform\\Cache\\cache.dat",
        "C:\\Windows\\Prefetch\\",
        "\\AppData\\Roaming\\Adobe\\Acrobat\\9.0\\SharedDataEvents-journal",
        "\\AppData\\Roaming\\Adobe\\Acrobat\\9.0\\UserCache.bin",
        "\\AppData\\Roaming\\Macromedia\\Flash Player\\macromedia.com\\support\\flashplayer\\sys\\settings.sol",
        "\\AppData\\Roaming\\Adobe\\Flash Player\\NativeCache\\",
        "C:\\Windows\\AppCompat\\Programs\\",
        // Office's lock files next to an opened document.
        "C:\\~",
    ];
    if item.is_empty() || NOISE.iter().any(|n| item.contains(n)) {
        return None;
    }
    Some(item.to_owned())
}

static REGKEY_NOISE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let patterns = [
        r"\\CurrentVersion\\Explorer\\FileExts\\[a-z.]+\\OpenWith",
        r"\\CurrentVersion\\Explorer\\RecentDocs\\",
        r"\\CurrentVersion\\Explorer\\UserAssist\\",
        r"\\Local Settings\\Software\\Microsoft\\Windows\\Shell\\Bag",
        r"\\Software\\Classes\\CLSID\\",
        r"\\Software\\Classes\\Local Settings\\MuiCache\\",
        r"\\Software\\Microsoft\\Internet Explorer\\Main\\WindowsSearch",
        r"\\Software\\Microsoft\\Office\\[0-9.]+\\",
        r"\\Software\\Microsoft\\Office\\Common\\Smart Tag\\",
        r"\\Software\\Microsoft\\OfficeSoftwareProtectionPlatform\\",
        r"\\Software\\Microsoft\\Shared Tools\\Panose\\",
        r"\\Software\\Microsoft\\Tracing\\",
        r"\\Software\\Microsoft\\Windows\\CurrentVersion\\Action Center\\",
        r"\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RunMRU\\",
        r"\\Software\\Microsoft\\Windows\\CurrentVersion\\Installer\\UserData\\",
        r"\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\",
        r"\\System\\CurrentControlSet\\Services\\RdyBoost\\",
        r"\\Usage\\SpellingAndGrammarFiles",
    ];
    Regex::new(&format!("(?i){}", patterns.join("|"))).ok()
});

fn cleanup_regkey(item: &str) -> Option<String> {
    let noisy = REGKEY_NOISE.as_ref().is_some_and(|re| re.is_match(item));
    (!noisy).then(|| item.to_owned())
}

/// ThreatAnalyzer writes a single child as an object and several as a list.
fn items(value: Option<&Value>) -> Vec<&Map<String, Value>> {
    match value {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_object).collect(),
        Some(Value::Object(one)) => vec![one],
        _ => Vec::new(),
    }
}

fn text<'a>(map: &'a Map<String, Value>, key: &str) -> &'a str {
    map.get(key).and_then(Value::as_str).unwrap_or("")
}

fn connection(conn: &Map<String, Value>, out: &mut Vec<Value>) {
    // ThreatAnalyzer 6.1 moved the resolution into `name_to_ip`.
    let (ip, host) = match conn.get("name_to_ip").and_then(Value::as_object) {
        Some(resolution) => (
            text(resolution, "@result_addresses"),
            text(resolution, "@request_name"),
        ),
        None => (text(conn, "@remote_ip"), text(conn, "@remote_hostname")),
    };
    match (cleanup_ip(ip), cleanup_hostname(host)) {
        (Some(ip), Some(host)) => out.push(entry(
            format!("{host}|{ip}"),
            "domain|ip",
            Some(&NETWORK),
            true,
            "",
        )),
        (Some(ip), None) => out.push(entry(ip, "ip-dst", None, true, "")),
        (None, Some(host)) => out.push(entry(host, "hostname", None, true, "")),
        (None, None) => {}
    }
    for command in items(conn.get("http_command")) {
        let url = text(command, "@url");
        if !url.is_empty() && url != "/" {
            out.push(entry(
                url.to_owned(),
                "url",
                Some(&NETWORK),
                true,
                text(command, "@method"),
            ));
        }
    }
    for header in items(conn.get("http_header")) {
        let header = text(header, "@header");
        if header.contains("User-Agent:") {
            let agent = header.get("User-Agent: ".len()..).unwrap_or("");
            out.push(entry(
                agent.to_owned(),
                "user-agent",
                Some(&NETWORK),
                false,
                "",
            ));
        } else if header.contains("Host:") {
            let host = header.get("Host: ".len()..).unwrap_or("");
            match host.split_once(':') {
                Some((name, port)) => {
                    let port = port
                        .split(':')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|p| *p != 0);
                    let Some(port) = port else { continue };
                    if let Some(name) = cleanup_hostname(name) {
                        out.push(entry(
                            format!("{name}|{port}"),
                            "hostname|port",
                            Some(&NETWORK),
                            true,
                            "",
                        ));
                    } else if let Some(ip) = cleanup_ip(name) {
                        out.push(entry(format!("{ip}|{port}"), "ip-dst|port", None, true, ""));
                    }
                }
                None => {
                    if let Some(name) = cleanup_hostname(host) {
                        out.push(entry(name, "hostname", None, true, ""));
                    }
                }
            }
        }
    }
}

fn process(process: &Map<String, Value>, out: &mut Vec<Value>) {
    let section = |name: &str, key: &str| -> Vec<&Map<String, Value>> {
        items(process.get(name).and_then(|s| s.get(key)))
    };
    for conn in section("connection_section", "connection") {
        connection(conn, out);
    }
    for request in section("networkoperation_section", "dns_request_by_name") {
        let name = cleanup_hostname(text(request, "@request_name").trim_end_matches('.'));
        match (name, cleanup_ip(text(request, "@result_addresses"))) {
            (Some(name), Some(ip)) => out.push(entry(
                format!("{name}|{ip}"),
                "domain|ip",
                Some(&NETWORK),
                true,
                "",
            )),
            (Some(name), None) => out.push(entry(name, "hostname", None, true, "")),
            (None, Some(ip)) => out.push(entry(ip, "ip-dst", None, true, "")),
            (None, None) => {}
        }
    }
    for connect in section("networkpacket_section", "connect_to_computer") {
        let port = match connect.get("@remote_port") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        match (
            cleanup_hostname(text(connect, "@remote_hostname")),
            cleanup_ip(text(connect, "@remote_ip")),
        ) {
            (Some(host), Some(ip)) => {
                out.push(entry(format!("{host}|{ip}"), "domain|ip", None, true, ""))
            }
            (Some(host), None) => out.push(entry(
                format!("{host}|{port}"),
                "hostname|port",
                Some(&NETWORK),
                true,
                "",
            )),
            (None, Some(ip)) => {
                out.push(entry(format!("{ip}|{port}"), "ip-dst|port", None, true, ""))
            }
            (None, None) => {}
        }
    }
    for set in section("registry_section", "set_value") {
        let Some(key) = cleanup_regkey(&format!(
            "{}\\{}",
            text(set, "@key_name"),
            text(set, "@value_name")
        )) else {
            continue;
        };
        let data = text(set, "@data").replace("(UNICODE_0x00000000)", "");
        let kind = text(set, "@data_type");
        if text(set, "@data_size") == "0" || data.is_empty() {
            out.push(entry(key, "regkey", Some(&REGISTRY), true, kind));
        } else {
            out.push(entry(
                format!("{key}|{data}"),
                "regkey|value",
                Some(&REGISTRY),
                true,
                kind,
            ));
        }
    }
    for (key, comment) in [
        ("stored_created_file", ""),
        ("stored_modified_file", "modified"),
    ] {
        for stored in section("stored_files", key) {
            let Some(name) = cleanup_filepath(text(stored, "@filename")) else {
                continue;
            };
            if text(stored, "@filesize") != "0" {
                let md5 = text(stored, "@md5");
                out.push(entry(
                    format!("{name}|{md5}"),
                    "filename|md5",
                    Some(&DROPPED),
                    true,
                    comment,
                ));
            } else {
                out.push(entry(name, "filename", Some(&DROPPED), true, comment));
            }
        }
    }
}

fn analysis(document: &Value, out: &mut Vec<Value>) {
    for each in items(
        document
            .get("analysis")
            .and_then(|a| a.get("processes"))
            .and_then(|p| p.get("process")),
    ) {
        process(each, out);
    }
}

static MAPPING_LOG: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^Analysis/proc_\d+/modified_files/mapping\.log").ok());
static MODIFIED_FILE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^Analysis/proc_\d+/modified_files/.+\.").ok());

fn matches(re: &LazyLock<Option<Regex>>, name: &str) -> bool {
    re.as_ref().is_some_and(|re| re.is_match(name))
}

fn from_zip(bytes: &[u8]) -> Result<Vec<Value>, ModuleError> {
    let files = sandbox_archive::read_zip(bytes, LIMITS)?;
    let mut out = Vec::new();
    // md5 -> original path of each file the sample wrote.
    let mut written: Vec<(String, String)> = Vec::new();
    for (name, content) in files.iter().filter(|(name, _)| matches(&MAPPING_LOG, name)) {
        let _ = name;
        for line in String::from_utf8_lossy(content)
            .split('\n')
            .filter(|l| !l.is_empty())
        {
            let fields: Vec<&str> = line.split('|').collect();
            let (path, size, md5) = match fields.as_slice() {
                [path, size, md5, _] | [path, size, md5, _, _] => (*path, *size, *md5),
                _ => continue,
            };
            let Some(path) = cleanup_filepath(path) else {
                continue;
            };
            if size.trim() == "0" {
                out.push(entry(path, "filename", Some(&DROPPED), true, ""));
            } else {
                written.push((md5.to_owned(), path));
            }
        }
    }
    let mut report = None;
    for (name, content) in &files {
        if matches(&MODIFIED_FILE, name) && !name.contains("mapping.log") {
            let base = name.rsplit('/').next().unwrap_or("");
            let md5 = base.split('.').next().unwrap_or("");
            if let Some((_, path)) = written.iter().rev().find(|(m, _)| m == md5) {
                out.push(sample(path, content, DROPPED));
            }
        }
        if name.contains("Analysis/analysis.json") {
            let document: Value = serde_json::from_slice(content).map_err(|error| {
                ModuleError::reported(format!("{name} is not valid JSON: {error}"))
            })?;
            analysis(&document, &mut out);
            report = Some(document);
        }
    }
    let sample_name = report
        .as_ref()
        .and_then(|r| r.get("analysis"))
        .and_then(|a| a.get("@filename"))
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty());
    if let Some(sample_name) = sample_name
        && let Some((_, content)) = files.iter().find(|(name, _)| name == "sample")
    {
        out.push(sample(
            sample_name,
            content,
            ["Payload delivery", "Artifacts dropped"],
        ));
    }
    Ok(out)
}

/// One entry per value: the last one seen, at the place the first one had.
fn unique(results: Vec<Value>) -> Vec<Value> {
    let mut kept: Vec<Value> = Vec::new();
    for result in results {
        match kept.iter_mut().find(|k| k["values"] == result["values"]) {
            Some(slot) => *slot = result,
            None => kept.push(result),
        }
    }
    kept
}

#[async_trait]
impl Module for ThreatAnalyzerImport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let bytes = match request.import_data() {
            Some(result) => result?,
            None => {
                return Err(ModuleError::reported(
                    "Uploaded file is not a zip or json file.",
                ));
            }
        };
        let results = if sandbox_archive::is_zip(&bytes) {
            from_zip(&bytes)?
        } else {
            let document: Value = std::str::from_utf8(&bytes)
                .ok()
                .and_then(|text| serde_json::from_str(text.trim_start_matches('\u{feff}')).ok())
                .ok_or_else(|| ModuleError::reported("Uploaded file is not a zip or json file."))?;
            let mut out = Vec::new();
            analysis(&document, &mut out);
            out
        };
        Ok(json!({"results": unique(results)}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::import::sandbox_archive::tests::zip_of;
    use crate::builtin::testing::{query, reported};

    /// A ThreatAnalyzer report exercising every section the module reads.
    const ANALYSIS: &str = r#"{"analysis": {"@filename": "invoice.exe", "processes": {"process": [
 {"@index": "1",
  "connection_section": {"connection": {"@remote_ip": "198.51.100.7", "@remote_hostname": "evil.example.com",
     "http_command": {"@method": "GET", "@url": "http://evil.example.com/gate.php"},
     "http_header": [{"@header": "User-Agent: Mozilla/4.0 (compatible; MSIE 8.0)"}, {"@header": "Host: evil.example.com"}, {"@header": "Accept: */*"}]}},
  "networkoperation_section": {"dns_request_by_name": [{"@request_name": "cdn.example.net.", "@result_addresses": "203.0.113.9"}, {"@request_name": "wpad", "@result_addresses": "NONE"}, {"@request_name": "only.example.org", "@result_addresses": ""}]},
  "networkpacket_section": {"connect_to_computer": [{"@remote_hostname": "", "@remote_ip": "192.0.2.44", "@remote_port": "443"}, {"@remote_hostname": "c2.example.org", "@remote_ip": "", "@remote_port": "8080"}]},
  "registry_section": {"set_value": [
     {"@key_name": "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "@value_name": "updater", "@data_type": "REG_SZ", "@data_size": "40", "@data": "C:\\Users\\a\\AppData\\Roaming\\upd.exe(UNICODE_0x00000000)"},
     {"@key_name": "HKCU\\Software\\Microsoft\\Office\\14.0\\Word", "@value_name": "x", "@data_type": "REG_DWORD", "@data_size": "4", "@data": "1"},
     {"@key_name": "HKLM\\Software\\Evil", "@value_name": "flag", "@data_type": "REG_NONE", "@data_size": "0"}]},
  "stored_files": {"stored_created_file": [{"@filename": "C:\\Users\\a\\AppData\\Roaming\\upd.exe", "@filesize": "4", "@md5": "0cc175b9c0f1b6a831c399e269772661"}, {"@filename": "C:\\Windows\\Prefetch\\X.pf", "@filesize": "9", "@md5": "x"}, {"@filename": "C:\\Users\\a\\empty.txt", "@filesize": "0", "@md5": "d41d8cd98f00b204e9800998ecf8427e"}],
                   "stored_modified_file": [{"@filename": "C:\\Users\\a\\hosts", "@filesize": "12", "@md5": "900150983cd24fb0d6963f7d28e17f72"}]}}
]}}}"#;

    /// The reference's answer for `ANALYSIS` alone.
    const EXPECTED_JSON: &str = r#"{"results": [{"values": "evil.example.com|198.51.100.7", "type": "domain|ip", "categories": ["Network activity"], "to_ids": true, "comment": ""}, {"values": "http://evil.example.com/gate.php", "type": "url", "categories": ["Network activity"], "to_ids": true, "comment": "GET"}, {"values": "Mozilla/4.0 (compatible; MSIE 8.0)", "type": "user-agent", "categories": ["Network activity"], "to_ids": false, "comment": ""}, {"values": "evil.example.com", "type": "hostname", "to_ids": true, "comment": ""}, {"values": "cdn.example.net|203.0.113.9", "type": "domain|ip", "categories": ["Network activity"], "to_ids": true, "comment": ""}, {"values": "only.example.org", "type": "hostname", "to_ids": true, "comment": ""}, {"values": "192.0.2.44|443", "type": "ip-dst|port", "to_ids": true, "comment": ""}, {"values": "c2.example.org|8080", "type": "hostname|port", "categories": ["Network activity"], "to_ids": true, "comment": ""}, {"values": "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\updater|C:\\Users\\a\\AppData\\Roaming\\upd.exe", "type": "regkey|value", "to_ids": true, "categories": ["External analysis", "Persistence mechanism", "Artifacts dropped"], "comment": "REG_SZ"}, {"values": "HKLM\\Software\\Evil\\flag", "type": "regkey", "to_ids": true, "categories": ["External analysis", "Persistence mechanism", "Artifacts dropped"], "comment": "REG_NONE"}, {"values": "C:\\Users\\a\\AppData\\Roaming\\upd.exe|0cc175b9c0f1b6a831c399e269772661", "type": "filename|md5", "to_ids": true, "categories": ["Artifacts dropped", "Payload delivery"], "comment": ""}, {"values": "C:\\Users\\a\\empty.txt", "type": "filename", "to_ids": true, "categories": ["Artifacts dropped", "Payload delivery"], "comment": ""}, {"values": "C:\\Users\\a\\hosts|900150983cd24fb0d6963f7d28e17f72", "type": "filename|md5", "to_ids": true, "categories": ["Artifacts dropped", "Payload delivery"], "comment": "modified"}]}"#;

    /// The reference's answer for the archive built in `reads_the_archive`.
    const EXPECTED_ZIP: &str = r#"{"results": [{"values": "evil.example.com|198.51.100.7", "type": "domain|ip", "categories": ["Network activity"], "to_ids": true, "comment": ""}, {"values": "http://evil.example.com/gate.php", "type": "url", "categories": ["Network activity"], "to_ids": true, "comment": "GET"}, {"values": "Mozilla/4.0 (compatible; MSIE 8.0)", "type": "user-agent", "categories": ["Network activity"], "to_ids": false, "comment": ""}, {"values": "evil.example.com", "type": "hostname", "to_ids": true, "comment": ""}, {"values": "cdn.example.net|203.0.113.9", "type": "domain|ip", "categories": ["Network activity"], "to_ids": true, "comment": ""}, {"values": "only.example.org", "type": "hostname", "to_ids": true, "comment": ""}, {"values": "192.0.2.44|443", "type": "ip-dst|port", "to_ids": true, "comment": ""}, {"values": "c2.example.org|8080", "type": "hostname|port", "categories": ["Network activity"], "to_ids": true, "comment": ""}, {"values": "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\updater|C:\\Users\\a\\AppData\\Roaming\\upd.exe", "type": "regkey|value", "to_ids": true, "categories": ["External analysis", "Persistence mechanism", "Artifacts dropped"], "comment": "REG_SZ"}, {"values": "HKLM\\Software\\Evil\\flag", "type": "regkey", "to_ids": true, "categories": ["External analysis", "Persistence mechanism", "Artifacts dropped"], "comment": "REG_NONE"}, {"values": "C:\\Users\\a\\AppData\\Roaming\\upd.exe|0cc175b9c0f1b6a831c399e269772661", "type": "filename|md5", "to_ids": true, "categories": ["Artifacts dropped", "Payload delivery"], "comment": ""}, {"values": "C:\\Users\\a\\empty.txt", "type": "filename", "to_ids": true, "categories": ["Artifacts dropped", "Payload delivery"], "comment": ""}, {"values": "C:\\Users\\a\\hosts|900150983cd24fb0d6963f7d28e17f72", "type": "filename|md5", "to_ids": true, "categories": ["Artifacts dropped", "Payload delivery"], "comment": "modified"}, {"values": "C:\\Users\\a\\AppData\\Roaming\\upd.exe", "data": "YQ==", "type": "malware-sample", "categories": ["Artifacts dropped", "Payload delivery"], "to_ids": true, "comment": ""}, {"values": "invoice.exe", "data": "TVotc2FtcGxl", "type": "malware-sample", "categories": ["Payload delivery", "Artifacts dropped"], "to_ids": true, "comment": ""}]}"#;

    fn body(bytes: &[u8]) -> Value {
        json!({"module": "threatanalyzer_import", "data": base64::engine::general_purpose::STANDARD.encode(bytes)})
    }

    fn expected(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[tokio::test]
    async fn reads_analysis_json() {
        let answer = query(&ThreatAnalyzerImport::new(), body(ANALYSIS.as_bytes()))
            .await
            .unwrap();
        assert_eq!(answer, expected(EXPECTED_JSON));
    }

    #[tokio::test]
    async fn reads_the_archive() {
        let mapping = b"C:\\Users\\a\\AppData\\Roaming\\upd.exe|1|0cc175b9c0f1b6a831c399e269772661|2020-01-01\n";
        let archive = zip_of(&[
            ("Analysis/analysis.json", ANALYSIS.as_bytes()),
            ("Analysis/proc_1/modified_files/mapping.log", mapping),
            (
                "Analysis/proc_1/modified_files/0cc175b9c0f1b6a831c399e269772661.bin",
                b"a",
            ),
            ("sample", b"MZ-sample"),
        ]);
        let answer = query(&ThreatAnalyzerImport::new(), body(&archive))
            .await
            .unwrap();
        assert_eq!(answer, expected(EXPECTED_ZIP));
    }

    #[tokio::test]
    async fn empty_written_files_and_port_hosts() {
        // The reference compares the size text with the number 0 and so never reports an
        // empty written file; a Host header with a port gives only hostname|port.
        let mapping = b"C:\\Users\\a\\empty.log|0|d41d8cd98f00b204e9800998ecf8427e|x|2020\n";
        let report = json!({"analysis": {"processes": {"process": {"connection_section": {"connection": {
            "@remote_ip": "NONE", "@remote_hostname": "", "http_header": {"@header": "Host: evil.example.com:8443"}}}}}}});
        let archive = zip_of(&[
            ("Analysis/proc_2/modified_files/mapping.log", mapping),
            ("Analysis/analysis.json", report.to_string().as_bytes()),
        ]);
        let answer = query(&ThreatAnalyzerImport::new(), body(&archive))
            .await
            .unwrap();
        assert_eq!(
            answer,
            json!({"results": [
                {"values": "C:\\Users\\a\\empty.log", "type": "filename", "categories": ["Artifacts dropped", "Payload delivery"], "to_ids": true, "comment": ""},
                {"values": "evil.example.com|8443", "type": "hostname|port", "categories": ["Network activity"], "to_ids": true, "comment": ""}
            ]})
        );
    }

    #[tokio::test]
    async fn bad_input_is_reported() {
        let module = ThreatAnalyzerImport::new();
        assert_eq!(
            reported(query(&module, body(b"\xC1 not json")).await),
            "Uploaded file is not a zip or json file."
        );
        assert!(
            reported(query(&module, body(b"PK\x03\x04garbage")).await)
                .starts_with("The zip archive cannot be read")
        );
        // A report without processes gives nothing, as in the reference.
        let answer = query(&module, body(b"{\"analysis\": {}}")).await.unwrap();
        assert_eq!(answer, json!({"results": []}));
    }
}
