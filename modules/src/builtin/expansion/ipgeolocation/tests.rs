//! The module against a stub of the IPGeolocation.io API on loopback (answers shaped like
//! the examples of its OpenAPI description) and against small MMDB databases in the
//! layouts of its products (`tests/data/ipgeolocation`, written by `make_mmdb.py`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};

use super::*;
use crate::builtin::testing::{query, reported};

const UUID: &str = "5b582d80-7a7e-4b6a-9f22-77656e72bb3b";

/// What the stub answers, in order, and the query strings it received.
#[derive(Clone, Default)]
struct Stub {
    answers: Arc<Mutex<VecDeque<(u16, Value)>>>,
    received: Arc<Mutex<Vec<HashMap<String, String>>>>,
}

impl Stub {
    fn calls(&self) -> Vec<HashMap<String, String>> {
        self.received.lock().unwrap().clone()
    }

    fn then(&self, status: u16, body: Value) -> &Self {
        self.answers.lock().unwrap().push_back((status, body));
        self
    }
}

async fn answer(
    State(stub): State<Stub>,
    Query(params): Query<HashMap<String, String>>,
) -> (StatusCode, String) {
    stub.received.lock().unwrap().push(params);
    let next = stub.answers.lock().unwrap().pop_front();
    match next {
        Some((status, body)) => (StatusCode::from_u16(status).unwrap(), body.to_string()),
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "no answer scripted".into(),
        ),
    }
}

async fn stub_api() -> (Ipgeolocation, Stub) {
    let stub = Stub::default();
    let app = Router::new()
        .route("/v3/ipgeo", get(answer))
        .with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let module = Ipgeolocation::with(format!("http://{address}/v3/ipgeo"), mmdb::RECHECK);
    (module, stub)
}

/// A paid plan's answer with every optional module (OpenAPI example `paidFullResponse`,
/// shortened to the parts the module reads and a few it ignores).
fn paid() -> Value {
    json!({
        "ip": "91.128.103.196",
        "hostname": "91.128.103.196",
        "location": {
            "continent_code": "EU", "country_code2": "SE", "country_name": "Sweden",
            "state_prov": "Stockholms län", "city": "Stockholm", "accuracy_radius": "4.395",
            "dma_code": "", "zipcode": "164 40", "latitude": "59.40510", "longitude": "17.95510",
            "is_eu": true
        },
        "network": {"connection_type": "", "route": "91.128.0.0/14", "is_anycast": false},
        "asn": {"as_number": "AS1257", "organization": "Tele2 Sverige AB", "country": "SE",
                "type": "ISP", "domain": "tele2.com", "rir": "RIPE"},
        "company": {"name": "Tele2 Sverige AB", "type": "ISP", "domain": "tele2.com"},
        "security": {
            "threat_score": 0, "is_tor": false, "is_proxy": false, "proxy_provider_names": [],
            "proxy_confidence_score": 0, "proxy_last_seen": "", "is_residential_proxy": false,
            "is_vpn": false, "vpn_provider_names": [], "vpn_confidence_score": 0,
            "vpn_last_seen": "", "is_relay": false, "relay_provider_name": "",
            "is_anonymous": false, "is_known_attacker": false, "is_bot": false,
            "is_spam": false, "is_cloud_provider": false, "cloud_provider_name": ""
        },
        "abuse": {
            "route": "91.128.0.0/14", "country": "SE", "name": "Swipnet Staff", "organization": "",
            "address": "Tele2 AB/Swedish IP Network, IP Registry, Torshamnsgatan 17 164 40 Kista SWEDEN",
            "emails": ["abuse@tele2.com"], "phone_numbers": ["+46 8 5626 42 10"]
        },
        "time_zone": {"name": "Europe/Stockholm", "offset": 1}
    })
}

/// A free plan's answer (OpenAPI example `freeMinimalResponse`, shortened).
fn free() -> Value {
    json!({
        "ip": "165.227.0.0",
        "location": {"continent_code": "NA", "country_code2": "US", "country_name": "United States",
                     "state_prov": "California", "city": "Santa Clara", "zipcode": "95051",
                     "latitude": "37.35983", "longitude": "-121.98144"},
        "asn": {"as_number": "AS14061", "organization": "DigitalOcean, LLC", "country": "US"},
        "currency": {"code": "USD"}
    })
}

fn body(attribute_type: &str, value: &str, config: Value) -> Value {
    json!({"module": "ipgeolocation", "config": config,
           "attribute": {"type": attribute_type, "value": value, "uuid": UUID}})
}

async fn run(module: &Ipgeolocation, value: &str, config: Value) -> Value {
    query(module, body("ip-src", value, config)).await.unwrap()
}

fn objects(answer: &Value) -> HashMap<String, Value> {
    answer["results"]["Object"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|o| (o["name"].as_str().unwrap().to_owned(), o.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn values(object: &Value, relation: &str) -> Vec<Value> {
    object["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["object_relation"] == relation)
        .map(|a| a["value"].clone())
        .collect()
}

fn texts(object: &Value, relation: &str) -> Vec<String> {
    values(object, relation)
        .into_iter()
        .map(|v| v.as_str().expect("a text value").to_owned())
        .collect()
}

fn data(folder: &str) -> String {
    format!(
        "{}/tests/data/ipgeolocation/{folder}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[tokio::test]
async fn a_paid_plan_answer_becomes_objects() {
    let (module, stub) = stub_api().await;
    stub.then(200, paid());
    let answer = run(&module, "91.128.103.196", json!({"api_key": "k"})).await;

    let calls = stub.calls();
    assert_eq!(calls.len(), 1);
    let expected: HashMap<String, String> = [
        ("apiKey", "k"),
        ("ip", "91.128.103.196"),
        ("include", "security,abuse,hostname"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(calls[0], expected);

    let objects = objects(&answer);
    let mut names: Vec<&str> = objects.keys().map(String::as_str).collect();
    names.sort_unstable();
    // The hostname is the address itself: no domain-ip object.
    assert_eq!(names, ["asn", "geolocation", "ipgeolocation-ip"]);
    let geolocation = &objects["geolocation"];
    assert_eq!(texts(geolocation, "countrycode"), ["SE"]);
    assert_eq!(texts(geolocation, "city"), ["Stockholm"]);
    assert_eq!(values(geolocation, "latitude"), [json!(59.4051)]);
    assert_eq!(values(geolocation, "accuracy-radius"), [json!(4.395)]);
    let asn = &objects["asn"];
    assert_eq!(texts(asn, "asn"), ["1257"]);
    assert_eq!(texts(asn, "description"), ["Tele2 Sverige AB"]);
    assert_eq!(texts(asn, "subnet-announced"), ["91.128.0.0/14"]);
    let intelligence = &objects["ipgeolocation-ip"];
    assert_eq!(texts(intelligence, "ip"), ["91.128.103.196"]);
    assert_eq!(texts(intelligence, "threat-score"), ["0"]);
    assert_eq!(texts(intelligence, "company-name"), ["Tele2 Sverige AB"]);
    assert_eq!(texts(intelligence, "abuse-email"), ["abuse@tele2.com"]);
    assert_eq!(texts(intelligence, "abuse-route"), ["91.128.0.0/14"]);
    assert!(
        texts(intelligence, "vpn-confidence-score").is_empty(),
        "a 0 score is left out"
    );
    let attributes = intelligence["Attribute"].as_array().unwrap();
    assert!(
        !attributes
            .iter()
            .any(|a| a["object_relation"].as_str().unwrap().starts_with("is-")),
        "no flag is set"
    );
    assert_eq!(intelligence["comment"], "IPGeolocation.io API");
    assert_eq!(
        intelligence["template_uuid"],
        "e1bde989-c8dd-49b1-a45b-b63698dbfcaa"
    );
    assert_eq!(intelligence["meta-category"], "network");
    assert_eq!(intelligence["ObjectReference"][0]["referenced_uuid"], UUID);
    assert_eq!(
        intelligence["ObjectReference"][0]["relationship_type"],
        "describes"
    );
    assert_eq!(asn["ObjectReference"][0]["relationship_type"], "includes");
    assert_eq!(answer["results"]["Attribute"][0]["value"], "91.128.103.196");
    assert_eq!(answer["results"]["Attribute"][0]["uuid"], UUID);
}

#[tokio::test]
async fn flags_providers_bots_and_a_real_hostname() {
    let (module, stub) = stub_api().await;
    let mut payload = paid();
    payload["hostname"] = json!("exit.example.net");
    let security = payload["security"].as_object_mut().unwrap();
    for (key, value) in [
        ("threat_score", json!(90)),
        ("is_tor", json!(true)),
        ("is_vpn", json!(true)),
        ("vpn_provider_names", json!(["Nord VPN", "Proton VPN"])),
        ("is_anonymous", json!(true)),
        ("is_bot", json!(true)),
        ("bot_operator_name", json!("Google")),
        ("bot_confidence_score", json!(97)),
        ("is_corporate_gateway", json!(true)),
        ("corporate_gateway_provider_name", json!("Zscaler")),
        ("vpn_last_seen", json!("2026-11-02")),
    ] {
        security.insert(key.into(), value);
    }
    stub.then(200, payload);
    let objects = objects(&run(&module, "91.128.103.196", json!({"api_key": "k"})).await);

    let intelligence = &objects["ipgeolocation-ip"];
    for flag in [
        "is-tor",
        "is-vpn",
        "is-anonymous",
        "is-bot",
        "is-corporate-gateway",
    ] {
        assert_eq!(texts(intelligence, flag), ["1"], "{flag}");
    }
    assert!(texts(intelligence, "is-proxy").is_empty());
    assert_eq!(texts(intelligence, "threat-score"), ["90"]);
    assert_eq!(
        texts(intelligence, "vpn-provider"),
        ["Nord VPN", "Proton VPN"]
    );
    assert_eq!(texts(intelligence, "bot-operator"), ["Google"]);
    assert_eq!(texts(intelligence, "bot-confidence-score"), ["97"]);
    assert_eq!(
        texts(intelligence, "corporate-gateway-provider"),
        ["Zscaler"]
    );
    assert_eq!(
        texts(intelligence, "vpn-last-seen"),
        ["2026-11-02T00:00:00"]
    );
    let domain_ip = &objects["domain-ip"];
    assert_eq!(texts(domain_ip, "hostname"), ["exit.example.net"]);
    assert_eq!(texts(domain_ip, "ip"), ["91.128.103.196"]);
}

#[tokio::test]
async fn a_free_plan_gets_the_base_lookup_and_is_remembered() {
    let (module, stub) = stub_api().await;
    let refused = json!({"message": "This feature is not supported on your subscription."});
    stub.then(401, refused).then(200, free());
    let objects_seen = objects(&run(&module, "165.227.0.0", json!({"api_key": "k"})).await);
    let includes: Vec<Option<String>> = stub
        .calls()
        .iter()
        .map(|c| c.get("include").cloned())
        .collect();
    assert_eq!(includes, [Some("security,abuse,hostname".into()), None]);
    let mut names: Vec<&str> = objects_seen.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["asn", "geolocation"]);

    // The next lookup with that key goes straight to the base request.
    stub.then(200, free());
    run(&module, "165.227.0.1", json!({"api_key": "k"})).await;
    let calls = stub.calls();
    assert_eq!(calls.len(), 3);
    assert!(!calls[2].contains_key("include"));
}

#[tokio::test]
async fn api_errors_are_reported_with_the_services_message() {
    let (module, stub) = stub_api().await;
    let invalid = json!({"message": "Provided API key is not valid."});
    stub.then(401, invalid.clone()).then(401, invalid);
    let error = reported(
        query(
            &module,
            body("ip-src", "91.128.103.196", json!({"api_key": "k"})),
        )
        .await,
    );
    assert_eq!(
        error,
        "IPGeolocation.io API error 401: Provided API key is not valid."
    );
    assert_eq!(stub.calls().len(), 2, "retried once without include");

    stub.then(429, json!({"message": "You have exceeded the limit."}));
    let error = reported(
        query(
            &module,
            body(
                "ip-src",
                "91.128.103.196",
                json!({"api_key": "k2", "cache_ttl": "0"}),
            ),
        )
        .await,
    );
    assert_eq!(
        error,
        "IPGeolocation.io API error 429: You have exceeded the limit."
    );

    stub.then(404, json!({"message": "Not found"}));
    let error = reported(
        query(
            &module,
            body("ip-src", "91.128.103.196", json!({"api_key": "k3"})),
        )
        .await,
    );
    assert_eq!(
        error,
        "91.128.103.196 is not in the IPGeolocation.io database."
    );

    stub.then(423, json!({"message": "bogon"}));
    let error = reported(
        query(
            &module,
            body("ip-src", "91.128.103.196", json!({"api_key": "k4"})),
        )
        .await,
    );
    assert_eq!(
        error,
        "91.128.103.196 is a bogon or private address and cannot be looked up."
    );

    stub.then(500, json!(["not", "an", "object"]));
    let error = reported(
        query(
            &module,
            body("ip-src", "91.128.103.196", json!({"api_key": "k5"})),
        )
        .await,
    );
    assert_eq!(
        error,
        "IPGeolocation.io API error 500: Internal Server Error"
    );
}

#[tokio::test]
async fn an_unreachable_api_is_named_without_the_key() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let module = Ipgeolocation::with(format!("http://127.0.0.1:{port}/v3/ipgeo"), mmdb::RECHECK);
    let error = reported(
        query(
            &module,
            body("ip-src", "91.128.103.196", json!({"api_key": "secret-key"})),
        )
        .await,
    );
    assert!(
        error.starts_with("Could not reach the IPGeolocation.io API: "),
        "{error}"
    );
    assert!(
        !error.contains("secret-key") && !error.contains("apiKey"),
        "{error}"
    );
}

#[tokio::test]
async fn answers_are_cached_per_key_and_address_with_fresh_uuids() {
    let (module, stub) = stub_api().await;
    stub.then(200, paid()).then(200, paid()).then(200, paid());
    let first = run(&module, "91.128.103.196", json!({"api_key": "k"})).await;
    let second = run(&module, "91.128.103.196", json!({"api_key": "k"})).await;
    assert_eq!(stub.calls().len(), 1);
    assert_ne!(
        objects(&first)["asn"]["uuid"],
        objects(&second)["asn"]["uuid"]
    );
    // Another key is another customer: its own lookup.
    run(&module, "91.128.103.196", json!({"api_key": "other"})).await;
    assert_eq!(stub.calls().len(), 2);
    // cache_ttl 0 turns caching off.
    run(
        &module,
        "91.128.103.196",
        json!({"api_key": "k", "cache_ttl": "0"}),
    )
    .await;
    assert_eq!(stub.calls().len(), 3);
}

#[tokio::test]
async fn the_include_setting_chooses_the_optional_modules() {
    let (module, stub) = stub_api().await;
    stub.then(200, free()).then(200, paid()).then(200, paid());
    run(
        &module,
        "165.227.0.0",
        json!({"api_key": "k", "include": "None"}),
    )
    .await;
    run(
        &module,
        "91.128.103.197",
        json!({"api_key": "k", "include": "security, abuse"}),
    )
    .await;
    run(
        &module,
        "91.128.103.198",
        json!({"api_key": "k", "include": ""}),
    )
    .await;
    let includes: Vec<Option<String>> = stub
        .calls()
        .iter()
        .map(|c| c.get("include").cloned())
        .collect();
    assert_eq!(
        includes,
        [
            None,
            Some("security,abuse".into()),
            Some("security,abuse,hostname".into())
        ]
    );
}

#[tokio::test]
async fn composite_attributes_are_looked_up_by_their_address() {
    let (module, stub) = stub_api().await;
    for (attribute_type, value, ip) in [
        ("ip-dst|port", "91.128.103.196|443", "91.128.103.196"),
        ("ip-src|port", "2a00:1450:4001::1|443", "2a00:1450:4001::1"),
        ("domain|ip", "example.com|91.128.103.199", "91.128.103.199"),
    ] {
        stub.then(200, paid());
        let config = json!({"api_key": "k", "cache_ttl": 0});
        query(&module, body(attribute_type, value, config))
            .await
            .unwrap();
        assert_eq!(stub.calls().last().unwrap()["ip"], ip);
    }
}

#[tokio::test]
async fn bad_input_is_refused_before_any_lookup() {
    let (module, stub) = stub_api().await;
    let key = json!({"api_key": "k"});
    for (attribute_type, value, config, error) in [
        (
            "ip-src",
            "10.0.0.1",
            key.clone(),
            "10.0.0.1 is a private or reserved address and cannot be looked up.",
        ),
        (
            "ip-src",
            "not-an-ip",
            key.clone(),
            "not-an-ip does not contain a valid IP address.",
        ),
        (
            "domain|ip",
            "example.com",
            key.clone(),
            "example.com does not contain a valid IP address.",
        ),
        (
            "domain",
            "example.com",
            key.clone(),
            "Wrong input attribute type.",
        ),
        (
            "ip-src",
            "8.8.8.8",
            json!({"include": "security"}),
            "Set api_key to use the IPGeolocation.io API, or mmdb_paths to use local databases.",
        ),
        (
            "ip-src",
            "8.8.8.8",
            json!({"api_key": "k", "cache_ttl": "soon"}),
            "cache_ttl must be a number of seconds.",
        ),
    ] {
        let answer = query(&module, body(attribute_type, value, config)).await;
        assert_eq!(reported(answer), error);
    }
    let missing = query(&module, json!({"module": "ipgeolocation", "config": key})).await;
    assert!(
        reported(missing).contains("which should contain at least a type, a value and an uuid")
    );
    assert!(stub.calls().is_empty());
}

#[tokio::test]
async fn local_databases_are_combined_and_the_api_is_not_called() {
    let (module, stub) = stub_api().await;
    let config = json!({"mmdb_paths": data("combined"), "api_key": "k"});
    let answer = run(&module, "185.220.101.7", config).await;
    assert!(
        stub.calls().is_empty(),
        "nothing is sent when databases are set"
    );

    let objects = objects(&answer);
    assert_eq!(texts(&objects["geolocation"], "country"), ["Germany"]);
    assert_eq!(
        texts(&objects["asn"], "asn"),
        ["208294"],
        "a double AS number"
    );
    let intelligence = &objects["ipgeolocation-ip"];
    assert_eq!(texts(intelligence, "threat-score"), ["95"]);
    for flag in ["is-tor", "is-known-attacker", "is-anonymous"] {
        assert_eq!(texts(intelligence, flag), ["1"], "{flag}");
    }
    assert!(texts(intelligence, "is-vpn").is_empty());
    assert!(texts(intelligence, "vpn-confidence-score").is_empty());
    let comment = intelligence["comment"].as_str().unwrap();
    assert!(
        comment.contains("db-ip-location.mmdb (ipgeolocation.io Database, built 2026-09-30)"),
        "{comment}"
    );
    assert!(
        comment.contains(
            "db-ip-security.mmdb (ipgeolocation.io IP-Security Database, built 2026-09-30)"
        ),
        "{comment}"
    );
}

#[tokio::test]
async fn a_file_list_ipv6_and_names_in_english() {
    let (module, _) = stub_api().await;
    let folder = data("combined");
    let config = json!({"mmdb_paths": format!("{folder}/db-ip-location.mmdb, {folder}/db-ip-security.mmdb")});
    // The Security database is IPv4 only; the IPv6 address is still found in the other.
    let answer = run(&module, "2a00:1450:4001::1", config.clone()).await;
    assert_eq!(texts(&objects(&answer)["geolocation"], "city"), ["Dublin"]);

    let objects = objects(&run(&module, "91.128.103.196", config).await);
    let geolocation = &objects["geolocation"];
    assert_eq!(texts(geolocation, "region"), ["Stockholm County"]);
    assert_eq!(values(geolocation, "latitude"), [json!(59.4051)]);
    let intelligence = &objects["ipgeolocation-ip"];
    assert_eq!(texts(intelligence, "company-name"), ["Tele2 Sverige AB"]);
    assert_eq!(
        texts(intelligence, "abuse-email"),
        ["abuse@tele2.com", "hostmaster@tele2.com"]
    );
    assert_eq!(
        texts(intelligence, "abuse-phone"),
        ["+46856264210", "+46856264211"]
    );
}

/// Relation → the values expected under it.
type Expected = &'static [(&'static str, &'static [&'static str])];

#[tokio::test]
async fn single_purpose_and_older_database_layouts() {
    let (module, _) = stub_api().await;
    let config = json!({"mmdb_paths": data("single-purpose")});
    let cases: [(&str, Expected); 4] = [
        (
            "45.80.0.7",
            &[
                ("is-vpn", &["1"]),
                ("is-proxy", &["1"]),
                ("vpn-provider", &["Nord VPN"]),
                ("proxy-provider", &[]),
            ],
        ),
        (
            "45.81.0.7",
            &[
                ("is-vpn", &[]),
                ("is-proxy", &["1"]),
                ("proxy-provider", &["FleetProxy"]),
            ],
        ),
        (
            "1.0.141.172",
            &[
                ("is-residential-proxy", &["1"]),
                ("proxy-provider", &["ProxyShare"]),
                ("proxy-last-seen", &["2026-08-19T00:00:00"]),
            ],
        ),
        (
            "104.16.0.1",
            &[
                ("is-cloud-provider", &["1"]),
                ("cloud-provider", &["Cloudflare, Inc."]),
            ],
        ),
    ];
    for (ip, expected) in cases {
        let objects = objects(&run(&module, ip, config.clone()).await);
        let intelligence = &objects["ipgeolocation-ip"];
        for (relation, wanted) in expected {
            assert_eq!(texts(intelligence, relation), *wanted, "{ip} {relation}");
        }
    }
}

#[tokio::test]
async fn database_errors_name_the_problem() {
    let (module, _) = stub_api().await;
    let location = format!("{}/db-ip-location.mmdb", data("combined"));
    let error = reported(
        query(
            &module,
            body("ip-src", "8.8.8.8", json!({"mmdb_paths": location})),
        )
        .await,
    );
    assert_eq!(
        error,
        "8.8.8.8 is not in the configured IPGeolocation.io databases."
    );

    let error = reported(
        query(
            &module,
            body(
                "ip-src",
                "8.8.8.8",
                json!({"mmdb_paths": "/nonexistent/db-ip-city.mmdb"}),
            ),
        )
        .await,
    );
    assert_eq!(
        error,
        "Cannot read the IPGeolocation.io database /nonexistent/db-ip-city.mmdb: No such file or directory"
    );

    let empty = std::env::temp_dir().join(format!("ipgeolocation-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let error = reported(
        query(
            &module,
            body(
                "ip-src",
                "8.8.8.8",
                json!({"mmdb_paths": empty.display().to_string()}),
            ),
        )
        .await,
    );
    assert_eq!(error, "No .mmdb files found in mmdb_paths.");

    let not_mmdb = format!("{}/make_mmdb.py", data(""));
    let error = reported(
        query(
            &module,
            body("ip-src", "8.8.8.8", json!({"mmdb_paths": not_mmdb})),
        )
        .await,
    );
    assert!(
        error.starts_with("Cannot open the IPGeolocation.io database "),
        "{error}"
    );
    std::fs::remove_dir_all(empty).unwrap();
}

#[tokio::test]
async fn a_replaced_database_is_read_again() {
    let module = Ipgeolocation::with("http://127.0.0.1:9/v3/ipgeo".into(), Duration::ZERO);
    let folder = std::env::temp_dir().join(format!("ipgeolocation-replace-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let installed = folder.join("db-ip-city.mmdb");
    std::fs::copy(
        format!("{}/db-ip-location.mmdb", data("combined")),
        &installed,
    )
    .unwrap();
    let config = json!({"mmdb_paths": folder.display().to_string()});
    let objects_before = objects(&run(&module, "185.220.101.7", config.clone()).await);
    assert!(!objects_before.contains_key("ipgeolocation-ip"));

    // How updaters install a release: write aside, then rename over the old file.
    let staged = folder.join("update.tmp");
    std::fs::copy(format!("{}/db-ip-security.mmdb", data("combined")), &staged).unwrap();
    std::fs::rename(&staged, &installed).unwrap();
    let objects_after = objects(&run(&module, "185.220.101.7", config).await);
    assert_eq!(
        texts(&objects_after["ipgeolocation-ip"], "threat-score"),
        ["95"]
    );
    std::fs::remove_dir_all(folder).unwrap();
}

#[test]
fn listed_like_the_reference() {
    let module = Ipgeolocation::new();
    assert_eq!(module.name(), "ipgeolocation");
    assert_eq!(
        module.config_keys(),
        ["api_key", "mmdb_paths", "include", "cache_ttl"]
    );
    assert_eq!(
        module.descriptor().mispattributes["input"],
        json!([
            "ip-src",
            "ip-dst",
            "ip-src|port",
            "ip-dst|port",
            "domain|ip"
        ])
    );
}
