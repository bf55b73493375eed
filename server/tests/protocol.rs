//! The HTTP contract beyond the captured cases: bad input, isolation, deadlines,
//! settings, caching, statistics.

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

async fn post(server: &common::TestServer, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = server
        .client
        .post(format!("{}/query", server.api))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn query(server: &common::TestServer, body: Value) -> Value {
    let (status, answer) = post(server, body.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

#[tokio::test]
async fn malformed_requests_get_json_errors() {
    let server = common::start(&["--max-body-bytes", "4096"], &[]).await;
    for (body, status, fragment) in [
        (b"{\"module\": ".to_vec(), 400, "not valid JSON"),
        (b"".to_vec(), 400, "empty"),
        (b"[1, 2]".to_vec(), 400, "JSON object"),
        (
            b"{\"module\": \"countrycode\", \"domain\": \"\xff\"}".to_vec(),
            400,
            "UTF-8",
        ),
        (
            br#"{"module": "countrycode", "domain": "a.com", "timeout": "abc"}"#.to_vec(),
            400,
            "timeout",
        ),
        (vec![b' '; 10_000], 413, "larger than the limit"),
    ] {
        let (got_status, answer) = post(&server, body).await;
        assert_eq!(got_status, status, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(fragment),
            "{answer}"
        );
    }
    let (status, answer) = post(&server, r#"{"domain": "a.com"}"#).await;
    assert_eq!(status, 200);
    assert!(answer["error"].as_str().unwrap().contains("module"));
    let unknown = query(&server, json!({"module": "no_such_module"})).await;
    assert!(
        unknown["error"]
            .as_str()
            .unwrap()
            .contains("no_such_module")
    );
    let lookup_key = query(&server, json!({"module": "type:countrycode"})).await;
    assert!(
        lookup_key["error"]
            .as_str()
            .unwrap()
            .contains("type:countrycode")
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_json() {
    let server = common::start(&[], &[]).await;
    let missing = server
        .client
        .get(format!("{}/modules/", server.api))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    assert!(
        missing.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("/modules/")
    );
    let wrong = server
        .client
        .delete(format!("{}/query", server.api))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 405);
    assert_eq!(wrong.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn failing_modules_affect_only_their_query() {
    let server = common::start_with_custom_modules().await;
    for action in ["raise", "exit", "unserialisable"] {
        let answer = query(
            &server,
            json!({"module": "misbehaving", "text": action, "config": {"apikey": "SENTINEL-7f3a"}}),
        )
        .await;
        assert_eq!(answer, json!({"error": app::GENERIC_ERROR}), "{action}");
        assert!(!answer.to_string().contains("SENTINEL-7f3a"));
        let healthy = query(
            &server,
            json!({"module": "countrycode", "domain": "example.org"}),
        )
        .await;
        assert_eq!(
            healthy["results"][0]["values"][0],
            "Organisation (Worldwide)"
        );
    }
    let printed = query(&server, json!({"module": "misbehaving", "text": "print"})).await;
    assert_eq!(printed["results"][0]["values"][0], "printed");
    assert_eq!(
        query(&server, json!({"module": "misbehaving", "text": "other"})).await,
        json!(false)
    );
}

#[tokio::test]
async fn slow_modules_do_not_block_others_and_deadlines_stop_them() {
    let server = common::start_with_custom_modules().await;
    let marker = std::env::temp_dir().join(format!("misp-modules-marker-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let started = Instant::now();
    let slow = query(
        &server,
        json!({"module": "slow_marker", "text": marker, "seconds": "2", "timeout": 1}),
    );
    let fast = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let answer = query(
            &server,
            json!({"module": "countrycode", "domain": "example.net"}),
        )
        .await;
        (answer, started.elapsed())
    };
    let (slow_answer, (fast_answer, fast_elapsed)) = tokio::join!(slow, fast);
    assert_eq!(slow_answer, json!({"error": "Timeout."}));
    assert_eq!(
        fast_answer["results"][0]["values"][0],
        "Network (Worldwide)"
    );
    assert!(
        fast_elapsed < Duration::from_millis(900),
        "fast query waited {fast_elapsed:?}"
    );
    // Had the worker been left running, it would write the marker after two seconds.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(!marker.exists(), "the timed-out module kept running");
    let again = query(
        &server,
        json!({"module": "slow_marker", "text": marker, "seconds": "0"}),
    )
    .await;
    assert_eq!(again["results"][0]["values"][0], "done");
    let _ = std::fs::remove_file(&marker);
}

#[tokio::test]
async fn deployment_settings_fill_missing_config_and_stay_secret() {
    let vars = [("MISP_MODULES_CONFIG_ECHO_APIKEY", "SENTINEL-env-key")];
    let custom = common::fixtures().join("custom");
    let server = common::start(&["-c", custom.to_str().unwrap()], &vars).await;
    let filled = query(&server, json!({"module": "config_echo", "text": "x"})).await;
    assert_eq!(
        filled["results"][0]["values"][0],
        json!({"apikey": "SENTINEL-env-key"})
    );
    let empty = query(
        &server,
        json!({"module": "config_echo", "text": "x", "config": {"apikey": "", "base_url": "u"}}),
    )
    .await;
    assert_eq!(
        empty["results"][0]["values"][0],
        json!({"apikey": "SENTINEL-env-key", "base_url": "u"})
    );
    let own = query(
        &server,
        json!({"module": "config_echo", "text": "x", "config": {"apikey": "mine"}}),
    )
    .await;
    assert_eq!(own["results"][0]["values"][0]["apikey"], "mine");
    for path in ["/modules", "/openapi.json", "/statistics", "/openapi"] {
        let text = server
            .client
            .get(format!("{}{path}", server.api))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains("SENTINEL-env-key"), "{path} leaks a setting");
    }
    let page = server
        .client
        .get(&server.web)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("SENTINEL-env-key"));
}

#[tokio::test]
async fn pinned_settings_cannot_be_overridden_by_a_query() {
    let vars = [
        (
            "MISP_MODULES_CONFIG_ECHO_BASE_URL",
            "https://pinned.example",
        ),
        ("MISP_MODULES_PINNED_SETTINGS", "config_echo.base_url"),
    ];
    let custom = common::fixtures().join("custom");
    let server = common::start(&["-c", custom.to_str().unwrap()], &vars).await;
    let answer = query(
        &server,
        json!({"module": "config_echo", "text": "x",
               "config": {"base_url": "http://127.0.0.1:6379/", "apikey": "mine"}}),
    )
    .await;
    // The pinned key keeps the operator's value; the others stay the caller's.
    assert_eq!(
        answer["results"][0]["values"][0],
        json!({"apikey": "mine", "base_url": "https://pinned.example"})
    );
}

#[tokio::test]
async fn custom_modules_load_skip_and_override() {
    let server = common::start_with_custom_modules().await;
    let listed: Value = server.get_json("/modules").await;
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"echo_dict")
            && names.contains(&"sleeper")
            && names.contains(&"countrycode")
    );
    assert!(
        !names.contains(&"broken_syntax"),
        "a module that cannot load is skipped"
    );
    let sleeper = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "sleeper")
        .unwrap();
    assert_eq!(sleeper["type"], "expansion");
    assert_eq!(sleeper["meta"]["config"], json!(["seconds"]));

    let custom = common::fixtures().join("override");
    let overridden = common::start(&["-c", custom.to_str().unwrap()], &[]).await;
    let listed: Value = overridden.get_json("/modules").await;
    let builtin = common::start(&[], &[]).await;
    let builtin_list: Value = builtin.get_json("/modules").await;
    let position = |list: &Value| {
        list.as_array()
            .unwrap()
            .iter()
            .position(|m| m["name"] == "countrycode")
    };
    assert_eq!(
        position(&listed),
        position(&builtin_list),
        "the custom module takes the built-in's place"
    );
    let answer = query(
        &overridden,
        json!({"module": "countrycode", "domain": "a.example"}),
    )
    .await;
    assert_eq!(
        answer["results"][0]["values"][0],
        "custom answer for a.example"
    );
}

#[tokio::test]
async fn a_missing_custom_directory_is_a_clear_start_up_error() {
    let cli = <server::cli::Cli as clap::Parser>::try_parse_from([
        "misp-modules",
        "-c",
        "/nonexistent/custom",
    ])
    .unwrap();
    let error = server::build_state(&cli, Vec::new())
        .await
        .err()
        .expect("start-up fails");
    assert!(error.to_string().contains("/nonexistent/custom"));
}

#[tokio::test]
async fn get_answers_are_cacheable() {
    let server = common::start(&[], &[]).await;
    let first = server
        .client
        .get(format!("{}/modules", server.api))
        .send()
        .await
        .unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = server
        .client
        .get(format!("{}/modules", server.api))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    let weak = server
        .client
        .get(format!("{}/modules", server.api))
        .header("if-none-match", format!("W/{etag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status().as_u16(), 304, "If-None-Match compares weakly");
    let health: Value = server.get_json("/healthcheck").await;
    assert_eq!(health, json!({"status": true}));
}

#[tokio::test]
async fn statistics_count_queries_by_outcome() {
    let server = common::start_with_custom_modules().await;
    query(&server, json!({"module": "countrycode", "domain": "a.com"})).await;
    query(&server, json!({"module": "yara_syntax_validator"})).await;
    query(&server, json!({"module": "misbehaving", "text": "raise"})).await;
    query(
        &server,
        json!({"module": "sleeper", "text": "1", "timeout": 0}),
    )
    .await;
    query(&server, json!({"module": "not_loaded"})).await;
    let stats: Value = server.get_json("/statistics").await;
    let totals = &stats["totals"];
    assert_eq!(
        (totals["queries"].as_u64(), totals["successes"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(
        (
            totals["module_errors"].as_u64(),
            totals["exceptions"].as_u64(),
            totals["timeouts"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(stats["modules"]["countrycode"]["completed"], 1);
    assert_eq!(stats["modules"]["csvimport"]["queries"], 0);
    assert_eq!(stats["modules"]["csvimport"]["type"], "import_mod");
    let buckets: Vec<&String> = totals["response_time_seconds"]["buckets"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        buckets,
        [
            "0.01", "0.05", "0.1", "0.5", "1", "5", "10", "30", "60", "300", "+Inf"
        ],
        "ascending, as the reference lists them"
    );
}

#[tokio::test]
async fn openapi_describes_the_api() {
    let server = common::start(&[], &[]).await;
    let document: Value = server.get_json("/openapi.json").await;
    assert_eq!(document["openapi"], "3.1.0");
    for path in [
        "/modules",
        "/query",
        "/healthcheck",
        "/version",
        "/statistics",
    ] {
        assert!(document["paths"][path].is_object(), "{path} undocumented");
    }
    let example = document["paths"]["/modules"]["get"]["responses"]["200"]["content"]["application/json"]["example"].as_array().unwrap();
    assert!(
        example
            .windows(2)
            .all(|w| w[0]["name"].as_str() <= w[1]["name"].as_str())
    );
}

#[tokio::test]
async fn a_client_that_leaves_stops_its_query() {
    let server = common::start_with_custom_modules().await;
    let marker = std::env::temp_dir().join(format!("misp-modules-left-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let body = json!({"module": "slow_marker", "text": marker, "seconds": "2", "timeout": 30});
    let gave_up = server
        .client
        .post(format!("{}/query", server.api))
        .body(body.to_string())
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(gave_up.is_err(), "the client stops waiting first");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(!marker.exists(), "the abandoned module kept running");
    let stats = server.get_json("/statistics").await;
    assert_eq!(stats["modules"]["slow_marker"]["in_flight"], 0);
    let _ = std::fs::remove_file(&marker);
}

#[tokio::test]
async fn a_slow_custom_module_leaves_workers_for_the_others() {
    let custom = common::fixtures().join("custom");
    let server = common::start(
        &["-c", custom.to_str().unwrap(), "--python-workers", "2"],
        &[],
    )
    .await;
    let slow = |n: u32| {
        query(
            &server,
            json!({"module": "sleeper", "text": "1.5", "timeout": 10, "n": n}),
        )
    };
    let started = Instant::now();
    let other = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let answer = query(&server, json!({"module": "echo_dict", "attribute": {"type": "text", "value": "x", "uuid": "u"}})).await;
        (answer, started.elapsed())
    };
    let (first, second, (answer, elapsed)) = tokio::join!(slow(1), slow(2), other);
    assert_eq!(first["results"][0]["values"][0], "slept");
    assert_eq!(second["results"][0]["values"][0], "slept");
    assert_eq!(answer["results"]["echo"]["attribute"]["value"], "x");
    assert!(
        elapsed < Duration::from_millis(1400),
        "the other module waited for the slow one: {elapsed:?}"
    );
}
