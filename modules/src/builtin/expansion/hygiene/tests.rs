use std::sync::OnceLock;

use super::*;
use crate::builtin::testing::{query, reported};

const UUID: &str = "5a5d2c1e-3c2b-4a8e-9c7d-0123456789ab";

/// One module for every test on the bundled lists, so they are indexed once.
fn bundled() -> &'static Hygiene {
    static MODULE: OnceLock<Hygiene> = OnceLock::new();
    MODULE.get_or_init(|| Hygiene::with_settings(None, None))
}

fn body(attribute_type: &str, value: &str, config: Value) -> Value {
    json!({"module": "hygiene", "attribute": {"type": attribute_type, "value": value, "uuid": UUID}, "config": config})
}

/// (name, type) of each warninglist-match object, in answer order.
fn matches(answer: &Value) -> Vec<(String, String)> {
    answer["results"]["Object"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["name"] == "warninglist-match")
        .map(|o| {
            let get = |rel: &str| {
                o["Attribute"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|a| a["object_relation"] == rel)
                    .unwrap()["value"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            };
            (get("warninglist-name"), get("warninglist-type"))
        })
        .collect()
}

fn named(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test]
async fn bundled_lists_match_like_pymispwarninglists() {
    let module = bundled();
    let answer = query(module, body("ip-dst", " 8.8.8.8 ", json!({})))
        .await
        .unwrap();
    assert_eq!(
        matches(&answer),
        named(&[
            (
                "Specialized list of vpn-ipv4 addresses belonging to common VPN providers and datacenters",
                "cidr"
            ),
            ("List of known IPv4 public DNS resolvers", "cidr"),
        ])
    );
    let echoed = &answer["results"]["Attribute"][0];
    // pymisp strips the echoed value, as the reference answers.
    assert_eq!(echoed["value"], "8.8.8.8");
    assert_eq!(echoed["uuid"], UUID);
    let object = &answer["results"]["Object"][0];
    assert_eq!(object["ObjectReference"][0]["referenced_uuid"], UUID);
    assert_eq!(
        object["ObjectReference"][0]["relationship_type"],
        "describes"
    );
    assert_eq!(object["Attribute"][0]["value"], "8.8.8.8");
    assert_eq!(object["Attribute"][5]["value"], "smart");

    let answer = query(
        module,
        body("url", "https://www.google.com/search?q=1", json!({})),
    )
    .await
    .unwrap();
    // DigitalSide is a hostname list not meant for URLs: filtered out.
    assert_eq!(
        matches(&answer),
        named(&[
            ("Top 1,000,000 most-used sites from Tranco", "hostname"),
            ("Top 1000 website from Alexa", "hostname"),
            ("Top 10K most-used sites from Tranco", "hostname"),
        ])
    );
    let answer = query(module, body("email-src", "test@MAILINATOR.com", json!({})))
        .await
        .unwrap();
    assert_eq!(
        matches(&answer),
        named(&[("List of disposable email domains", "substring")])
    );
    let answer = query(module, body("ip-src", "2001:4860:4860:0::8888", json!({})))
        .await
        .unwrap();
    assert_eq!(
        matches(&answer),
        named(&[
            ("List of known SMTP sending IP ranges", "cidr"),
            ("List of known Gmail sending IP ranges", "cidr"),
            ("List of known IPv6 public DNS resolvers", "cidr"),
        ])
    );
    let answer = query(
        module,
        body("md5", "D41D8CD98F00B204E9800998ECF8427E", json!({})),
    )
    .await
    .unwrap();
    assert_eq!(matches(&answer).len(), 4);
    let answer = query(
        module,
        body("ip-dst", "8.8.8.8", json!({"slow_search": "False"})),
    )
    .await
    .unwrap();
    assert_eq!(
        matches(&answer),
        named(&[("List of known IPv4 public DNS resolvers", "cidr")])
    );
    assert_eq!(
        answer["results"]["Object"][0]["Attribute"][5]["value"],
        "exact"
    );
}

#[tokio::test]
async fn results_beyond_max_results_are_announced() {
    let answer = query(
        bundled(),
        body("hostname", "www.google.com", json!({"max_results": "2"})),
    )
    .await
    .unwrap();
    let objects = answer["results"]["Object"].as_array().unwrap();
    assert_eq!(objects.len(), 3);
    assert_eq!(objects[0]["name"], "annotation");
    assert_eq!(
        objects[0]["comment"],
        "Hygiene Warninglist Check result limit"
    );
    assert_eq!(
        objects[0]["Attribute"][0]["value"],
        "{\n  \"limit\": 2,\n  \"more_results_available\": true\n}"
    );
    assert_eq!(
        objects[0]["ObjectReference"][0]["relationship_type"],
        "describes"
    );
    assert_eq!(
        matches(&answer),
        named(&[
            ("Top 1,000,000 most-used sites from Tranco", "hostname"),
            ("Top 1000 website from Alexa", "hostname"),
        ])
    );
    let none = query(bundled(), body("domain", "no-such-name.invalid", json!({})))
        .await
        .unwrap();
    assert_eq!(none["results"]["Object"], json!([]));
}

#[tokio::test]
async fn bad_inputs_get_the_reference_errors() {
    let m = bundled();
    let cases = [
        (
            json!({"attribute": {"type": "domain", "value": "a.com"}}),
            "An attribute containing type, value and uuid is required.",
        ),
        (
            body("ip-src|port", "1.2.3.4|80", json!({})),
            "Unsupported attribute type.",
        ),
        (
            body("domain", "  ", json!({})),
            "The attribute value must be a nonempty string.",
        ),
        (
            json!({"attribute": {"type": "domain", "value": "a.com", "uuid": UUID}, "config": []}),
            "The config must be a JSON object.",
        ),
        (body("md5", "abc", json!({})), "Invalid md5 hash."),
        (
            body("ip-src", "256.1.1.1", json!({})),
            "Invalid request or service response.",
        ),
        (
            body("domain", "_dmarc.example.com", json!({})),
            "Invalid domain or hostname.",
        ),
        (
            body("domain", "a..example.com", json!({})),
            "Invalid request or service response.",
        ),
        (
            body("url", "ftp://example.com/", json!({})),
            "Invalid HTTP(S) URL.",
        ),
        (
            body("url", "http://user@example.com/", json!({})),
            "Invalid HTTP(S) URL.",
        ),
        (
            body("url", "http://[::1/", json!({})),
            "Invalid request or service response.",
        ),
        (
            body("email-dst", "@example.com", json!({})),
            "A valid email address is required.",
        ),
        (
            body("email-dst", "a@exa mple.com", json!({})),
            "Invalid domain or hostname.",
        ),
        (
            body("domain", "a.com", json!({"max_results": "0"})),
            "max_results must be an integer between 1 and 100.",
        ),
        (
            body("domain", "a.com", json!({"max_results": 101})),
            "max_results must be an integer between 1 and 100.",
        ),
        (
            body("domain", "a.com", json!({"max_results": true})),
            "max_results must be an integer between 1 and 100.",
        ),
        (
            body("domain", "a.com", json!({"slow_search": "yes"})),
            "slow_search must be true or false.",
        ),
        (
            body("domain", "a.com", json!({"slow_search": null})),
            "slow_search must be true or false.",
        ),
        (
            body("domain", "a.com", json!({"warninglists_path": "/etc"})),
            PATH_REFUSED,
        ),
        (
            body("domain", "a.com", json!({"warninglists_path": 5})),
            "Invalid request or service response.",
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(
            reported(query(m, request.clone()).await),
            expected,
            "{request}"
        );
    }
}

fn checkout(lists: &[(&str, Value)]) -> PathBuf {
    let root = std::env::temp_dir().join(format!("hygiene-test-{}", uuid::Uuid::new_v4()));
    for (dir, list) in lists {
        let folder = root.join("repo/lists").join(dir);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("list.json"), list.to_string()).unwrap();
    }
    root
}

fn local_list(name: &str, entries: Value) -> Value {
    json!({"name": name, "type": "hostname", "version": 2, "description": "local", "list": entries, "matching_attributes": ["domain"]})
}

#[tokio::test]
async fn local_checkouts_only_inside_the_configured_root() {
    let root = checkout(&[("one", local_list("Local", json!(["example.org"])))]);
    let repo = root.join("repo");
    let request = |path: &Path| {
        body(
            "domain",
            "www.example.org",
            json!({"warninglists_path": path.to_str().unwrap()}),
        )
    };

    let unconfigured = Hygiene::with_settings(None, None);
    assert_eq!(
        reported(query(&unconfigured, request(&repo)).await),
        PATH_REFUSED
    );

    let module = Hygiene::with_settings(Some(root.clone()), None);
    let answer = query(&module, request(&repo)).await.unwrap();
    assert_eq!(matches(&answer), named(&[("Local", "hostname")]));
    assert_eq!(answer["results"]["Object"][0]["Attribute"][2]["value"], "2");
    // Escaping the root through ".." is refused like any outside path.
    let escape = repo.join("../../");
    assert_eq!(
        reported(query(&module, request(&escape)).await),
        PATH_REFUSED
    );
    assert_eq!(
        reported(query(&module, request(&root)).await),
        "warninglists_path must contain a lists directory."
    );

    // A changed list is picked up without a restart.
    std::fs::write(
        repo.join("lists/one/list.json"),
        local_list("Local", json!(["other.org"])).to_string(),
    )
    .unwrap();
    std::fs::create_dir_all(repo.join("lists/two")).unwrap();
    std::fs::write(repo.join("lists/two/list.json"), "{not json").unwrap();
    assert_eq!(reported(query(&module, request(&repo)).await), LOAD_FAILED);
    std::fs::remove_dir_all(repo.join("lists/two")).unwrap();
    let answer = query(&module, request(&repo)).await.unwrap();
    assert_eq!(answer["results"]["Object"], json!([]));

    // The deployment's own setting is accepted without a root.
    let by_setting = Hygiene::with_settings(None, Some(repo.clone()));
    let answer = query(
        &by_setting,
        body(
            "domain",
            "a.other.org",
            json!({"warninglists_path": repo.to_str().unwrap()}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(matches(&answer), named(&[("Local", "hostname")]));
    std::fs::remove_dir_all(&root).unwrap();
}
