//! The web UI on a real server: sign-in, sessions, cross-site refusal, queries as jobs,
//! pivots, history across restarts, admin settings that never come back to the browser.

mod common;

use std::time::Duration;

use common::{ADMIN_PASSWORD, TestServer};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::Value;

/// A browser-like client for one user: no automatic redirects, the session cookie kept by hand.
struct Browser {
    base: String,
    http: reqwest::Client,
    cookie: Option<String>,
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("misp_modules_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

impl Browser {
    fn new(server: &TestServer) -> Self {
        Self {
            base: server.web.clone(),
            http: {
                modules::service::install_crypto_provider();
                reqwest::Client::builder()
            }
            .redirect(reqwest::redirect::Policy::none())
            // A server that stops answering fails the test instead of hanging it.
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
            cookie: None,
        }
    }

    fn with_cookie(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.with_cookie(self.http.get(format!("{}{path}", self.base)))
            .send()
            .await
            .unwrap()
    }

    /// A same-origin form post, as the browser sends it from our pages.
    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .header("sec-fetch-site", "same-origin")
            .form(form);
        let response = self.with_cookie(request).send().await.unwrap();
        if let Some(cookie) = session_cookie(response.headers()) {
            self.cookie = Some(cookie);
        }
        response
    }

    async fn login(&mut self, user: &str, password: &str) -> reqwest::Response {
        self.post(
            "/action/login",
            &[("username", user), ("password", password), ("next", "/")],
        )
        .await
    }

    /// Calls a server function (form-encoded arguments, JSON answer).
    async fn call(&self, name: &str, args: &[(&str, &str)]) -> (StatusCode, Value) {
        let request = self
            .http
            .post(format!("{}/api/{name}", self.base))
            .header("origin", &self.base)
            .form(args);
        let response = self.with_cookie(request).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Starts a query from the query page's form and returns its job id. `types` holds
    /// one type per line of `values`, or is empty to take the suggested types.
    async fn start_job(&mut self, values: &str, types: &str, modules: &[&str]) -> String {
        let mut form = vec![("values", values)];
        if !types.is_empty() {
            form.push(("types", types));
        }
        form.extend(modules.iter().map(|m| ("modules", *m)));
        job_id(&self.post("/action/jobs", &form).await)
    }

    /// Waits until every result of job `id` is in.
    async fn finished_job(&self, id: &str) -> Value {
        for _ in 0..200 {
            let (status, job) = self.call("job", &[("id", id)]).await;
            assert_eq!(status, StatusCode::OK, "{job}");
            let pending = job["cells"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["state"] == "Pending")
                .count();
            if pending == 0 {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("job {id} did not finish");
    }
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

fn job_id(response: &reqwest::Response) -> String {
    let target = location(response);
    target
        .strip_prefix("/jobs/")
        .unwrap_or_else(|| panic!("not a job page: {target}"))
        .to_owned()
}

#[tokio::test]
async fn pages_need_a_signed_in_user() {
    let server = common::start(&[], &[]).await;
    let browser = Browser::new(&server);
    let response = browser.get("/history?q=a b").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // The path arrives percent-encoded and is encoded once more as a query value.
    assert_eq!(location(&response), "/login?next=/history%3Fq%3Da%2520b");
    let (status, body) = browser.call("job", &[("id", "1")]).await;
    assert_ne!(status, StatusCode::OK);
    assert!(body.to_string().contains("not signed in"), "{body}");
    let login = browser.get("/login").await;
    assert_eq!(login.status(), StatusCode::OK);
    let csp = login.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("'nonce-") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(login.headers()["x-content-type-options"], "nosniff");
    let page = login.text().await.unwrap();
    assert!(page.contains("action=\"/action/login\""));
    assert!(!page.contains("plain HTTP"), "loopback needs no warning");

    // Reached by another name over plain HTTP, the Secure cookie would be dropped: say so.
    let remote = browser
        .http
        .get(format!("{}/login", server.web))
        .header("host", "misp-ui.example:7008")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(remote.contains("plain HTTP") && remote.contains("--insecure-cookies"));
}

#[tokio::test]
async fn sign_in_rotates_the_session_and_sign_out_ends_it() {
    let server = common::start(&[], &[]).await;
    let mut browser = Browser::new(&server);
    let wrong = browser.login("admin", "not-the-password").await;
    assert_eq!(wrong.status(), StatusCode::SEE_OTHER);
    assert!(location(&wrong).starts_with("/login?error=1"));

    // A session id planted before sign-in is not the one used after it.
    browser.cookie = Some("__Host-misp_modules_session=planted-by-an-attacker".into());
    let ok = browser.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(location(&ok), "/");
    let set_cookie = ok.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(flag), "{flag} missing: {set_cookie}");
    }
    let cookie = browser.cookie.clone().unwrap();
    assert!(!cookie.contains("planted"));
    let (_, me) = browser.call("whoami", &[]).await;
    assert_eq!(me["username"], "admin");
    assert_eq!(me["is_admin"], true);

    browser.post("/action/logout", &[]).await;
    // The old cookie is worthless once signed out.
    browser.cookie = Some(cookie);
    let (_, me) = browser.call("whoami", &[]).await;
    assert_eq!(me, Value::Null);
}

#[tokio::test]
async fn repeated_failures_are_throttled() {
    let server = common::start(&[], &[]).await;
    let mut browser = Browser::new(&server);
    for _ in 0..5 {
        browser.login("admin", "wrong-password-123").await;
    }
    let refused = browser.login("admin", ADMIN_PASSWORD).await;
    assert!(
        location(&refused).starts_with("/login?error=throttled"),
        "{}",
        location(&refused)
    );
}

#[tokio::test]
async fn behind_a_proxy_failures_count_per_client_address() {
    let server = common::start(&["--behind-proxy"], &[]).await;
    let browser = Browser::new(&server);
    let attempt = |user: &'static str, password: &'static str, client: &'static str| {
        let http = browser.http.clone();
        let base = server.web.clone();
        async move {
            let response = http
                .post(format!("{base}/action/login"))
                .header("origin", &base)
                .header("x-forwarded-for", format!("10.9.9.9, {client}"))
                .form(&[("username", user), ("password", password), ("next", "/")])
                .send()
                .await
                .unwrap();
            location(&response)
        }
    };
    // Someone guessing other accounts from one address...
    for user in ["a", "b", "c", "d", "e"] {
        attempt(user, "wrong-password-123", "203.0.113.7").await;
    }
    assert!(
        attempt("f", "wrong-password-123", "203.0.113.7")
            .await
            .starts_with("/login?error=throttled")
    );
    // ...does not lock out the administrator, who comes through the same proxy.
    assert_eq!(attempt("admin", ADMIN_PASSWORD, "198.51.100.9").await, "/");
}

#[tokio::test]
async fn cross_site_form_posts_are_refused() {
    let server = common::start(&[], &[]).await;
    let mut browser = Browser::new(&server);
    browser.login("admin", ADMIN_PASSWORD).await;
    let forged = common::client()
        .post(format!("{}/action/admin/users", server.web))
        .header("cookie", browser.cookie.clone().unwrap())
        .header("origin", "https://evil.example")
        .form(&[("username", "mallory"), ("password", "mallory-password-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let by_fetch_metadata = common::client()
        .post(format!("{}/action/logout", server.web))
        .header("cookie", browser.cookie.clone().unwrap())
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(by_fetch_metadata.status(), StatusCode::FORBIDDEN);
    let (_, users) = browser.call("users", &[]).await;
    assert!(!users.to_string().contains("mallory"));
    let (_, me) = browser.call("whoami", &[]).await;
    assert_eq!(me["username"], "admin", "still signed in");
}

#[tokio::test]
async fn a_query_runs_every_value_with_every_module_and_pivots() {
    let custom = common::fixtures().join("custom");
    let server = common::start(&["-c", custom.to_str().unwrap()], &[]).await;
    let mut browser = Browser::new(&server);
    browser.login("admin", ADMIN_PASSWORD).await;
    let started = browser
        .post(
            "/action/jobs",
            &[
                ("values", "www.example.be\n1\nexample.com\n"),
                ("types", "hostname\ntext\ndomain"),
                ("modules", "countrycode"),
                ("modules", "sleeper"),
            ],
        )
        .await;
    assert_eq!(
        started.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        started.headers()
    );
    let id = job_id(&started);
    let job = browser.finished_job(&id).await;
    let cells = job["cells"].as_array().unwrap();
    // countrycode takes the two names, sleeper the text: three results, all stored.
    let summary: Vec<(String, String, String)> = cells
        .iter()
        .map(|c| {
            (
                c["value"].as_str().unwrap().to_owned(),
                c["module"].as_str().unwrap().to_owned(),
                c["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(summary.len(), 3, "{summary:?}");
    assert!(summary.contains(&("1".into(), "sleeper".into(), "Done".into())));
    let country = cells
        .iter()
        .find(|c| c["value"] == "www.example.be")
        .unwrap();
    assert_eq!(country["state"], "Done");
    let result = &country["result"];
    assert_eq!(result["attributes"][0]["value"], "Belgium");
    assert!(result["json"].as_str().unwrap().contains("Belgium"));
    assert!(result["markdown"].as_str().unwrap().contains("Belgium"));

    // The job page renders the results server-side.
    let page = browser
        .get(&format!("/jobs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Belgium") && page.contains("MISP objects"));

    // Pivot on a result value: a child query with the same modules.
    let pivot = browser
        .post(
            "/action/pivot",
            &[
                ("parent", id.as_str()),
                ("value", "www.example.fr"),
                ("value_type", "hostname"),
            ],
        )
        .await;
    let child = job_id(&pivot);
    let child_job = browser.finished_job(&child).await;
    assert_eq!(child_job["parent_id"].as_i64().unwrap().to_string(), id);
    assert_eq!(
        child_job["cells"][0]["result"]["attributes"][0]["value"],
        "France"
    );

    let (_, history) = browser.call("history", &[("search", "")]).await;
    assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
    assert_eq!(history[0]["id"].as_i64().unwrap().to_string(), id);
    assert_eq!(
        history[0]["children"][0]["id"]
            .as_i64()
            .unwrap()
            .to_string(),
        child
    );
    // Searching for the child's value still shows the whole tree.
    let (_, found) = browser.call("history", &[("search", "EXAMPLE.FR")]).await;
    assert_eq!(
        found[0]["children"][0]["id"].as_i64().unwrap().to_string(),
        child
    );
    let (_, none) = browser
        .call("history", &[("search", "nothing-like-this")])
        .await;
    assert_eq!(none, Value::Array(vec![]));

    // Deleting the pivot leaves the first query alone.
    let deleted = browser
        .post("/action/history/delete", &[("id", child.as_str())])
        .await;
    assert_eq!(location(&deleted), "/history");
    let (_, history) = browser.call("history", &[("search", "")]).await;
    assert_eq!(history[0]["children"], Value::Array(vec![]));
    let (status, _) = browser.call("job", &[("id", &child)]).await;
    assert_ne!(status, StatusCode::OK);
}

#[tokio::test]
async fn failed_results_can_be_run_again() {
    let custom = common::fixtures().join("custom");
    let server = common::start(&["-c", custom.to_str().unwrap()], &[]).await;
    let mut browser = Browser::new(&server);
    browser.login("admin", ADMIN_PASSWORD).await;
    let id = browser
        .start_job(
            "probe\nwww.example.be",
            "text\nhostname",
            &["needs_key", "countrycode"],
        )
        .await;
    let job = browser.finished_job(&id).await;
    let cell = |job: &Value, module: &str| {
        job["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["module"] == module)
            .cloned()
            .unwrap()
    };
    let failed = cell(&job, "needs_key");
    assert_eq!(failed["state"], "Failed");
    assert_eq!(failed["error"], "An API key is required.");
    let page = browser
        .get(&format!("/jobs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("/action/jobs/retry"), "no retry button");

    // Someone else cannot run my query again.
    browser
        .post(
            "/action/admin/users",
            &[("username", "other"), ("password", "other-password-12")],
        )
        .await;
    let mut other = Browser::new(&server);
    other.login("other", "other-password-12").await;
    let refused = other.post("/action/jobs/retry", &[("id", &id)]).await;
    assert_eq!(location(&refused), "/history");
    assert_eq!(browser.finished_job(&id).await, job);

    // The administrator sets the key; the failed result runs again, the other stays.
    browser
        .post(
            "/action/admin/setting",
            &[
                ("module", "needs_key"),
                ("key", "apikey"),
                ("value", "k-123"),
            ],
        )
        .await;
    let retried = browser.post("/action/jobs/retry", &[("id", &id)]).await;
    assert_eq!(location(&retried), format!("/jobs/{id}"));
    let job = browser.finished_job(&id).await;
    let fixed = cell(&job, "needs_key");
    assert_eq!(fixed["state"], "Done", "{fixed}");
    assert_eq!(
        fixed["result"]["attributes"][0]["value"],
        "authorised probe"
    );
    assert_eq!(fixed["id"], failed["id"]);
    assert_eq!(cell(&job, "countrycode")["state"], "Done");
    let page = browser
        .get(&format!("/jobs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("/action/jobs/retry"),
        "retry offered with nothing failed"
    );
}

#[tokio::test]
async fn results_running_at_shutdown_are_marked_interrupted() {
    let custom = common::fixtures().join("custom");
    let database = common::fresh_database_url();
    let args = [
        "-c",
        custom.to_str().unwrap(),
        "--database-url",
        database.as_str(),
    ];
    let first = common::start(&args, &[]).await;
    let mut browser = Browser::new(&first);
    browser.login("admin", ADMIN_PASSWORD).await;
    let id = browser
        .start_job(
            "30\nwww.example.be",
            "text\nhostname",
            &["sleeper", "countrycode"],
        )
        .await;
    // Wait for the fast result, then stop while the slow one still runs.
    for _ in 0..100 {
        let (_, job) = browser.call("job", &[("id", &id)]).await;
        if job["cells"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["state"] == "Done")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.stop().await;

    let second = common::start(&args, &[]).await;
    let mut browser = Browser::new(&second);
    browser.login("admin", ADMIN_PASSWORD).await;
    let (_, job) = browser.call("job", &[("id", &id)]).await;
    let states: Vec<(&str, &str)> = job["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["module"].as_str().unwrap(), c["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [("sleeper", "Failed"), ("countrycode", "Done")],
        "{job}"
    );
    assert_eq!(job["cells"][0]["error"], "interrupted by a server restart");
}

#[tokio::test]
async fn history_survives_a_restart() {
    let database = common::fresh_database_url();
    let args = ["--database-url", database.as_str()];
    let first = common::start(&args, &[]).await;
    let mut browser = Browser::new(&first);
    browser.login("admin", ADMIN_PASSWORD).await;
    let id = browser.start_job("example.be", "", &["countrycode"]).await;
    browser.finished_job(&id).await;
    drop(first);

    // Same database, no ADMIN_PASSWORD needed any more: the administrator exists.
    let second = common::start(&args, &[("ADMIN_PASSWORD", ADMIN_PASSWORD)]).await;
    let mut browser = Browser::new(&second);
    browser.login("admin", ADMIN_PASSWORD).await;
    let (_, history) = browser.call("history", &[("search", "")]).await;
    assert_eq!(history[0]["id"].as_i64().unwrap().to_string(), id);
    let job = browser.finished_job(&id).await;
    assert_eq!(
        job["cells"][0]["result"]["attributes"][0]["value"],
        "Belgium"
    );
}

#[tokio::test]
async fn stored_settings_are_write_only_and_reach_the_module_api() {
    let custom = common::fixtures().join("custom");
    let server = common::start(&["-c", custom.to_str().unwrap()], &[]).await;
    let mut browser = Browser::new(&server);
    browser.login("admin", ADMIN_PASSWORD).await;
    let sentinel = "SENTINEL-stored-3f9c2a";
    let saved = browser
        .post(
            "/action/admin/setting",
            &[
                ("module", "config_echo"),
                ("key", "apikey"),
                ("value", sentinel),
            ],
        )
        .await;
    assert!(
        location(&saved).starts_with("/admin?notice="),
        "{}",
        location(&saved)
    );

    let page = browser.get("/admin").await.text().await.unwrap();
    assert!(page.contains("config_echo"));
    assert!(
        !page.contains(sentinel),
        "the admin page leaks the stored key"
    );
    let (_, modules) = browser.call("admin_modules", &[]).await;
    assert!(!modules.to_string().contains(sentinel));
    let echo = modules
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "config_echo")
        .unwrap();
    let apikey = echo["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "apikey")
        .unwrap();
    assert_eq!(apikey["stored"], true);

    // A query on the module API without the key gets the stored one.
    let answer: Value = server
        .client
        .post(format!("{}/query", server.api))
        .json(&serde_json::json!({"module": "config_echo", "text": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["results"][0]["values"][0]["apikey"], sentinel);
    // ... while a key in the query wins.
    let own: Value = server
        .client
        .post(format!("{}/query", server.api))
        .json(&serde_json::json!({"module": "config_echo", "text": "x", "config": {"apikey": "mine"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(own["results"][0]["values"][0]["apikey"], "mine");

    browser
        .post(
            "/action/admin/setting",
            &[("module", "config_echo"), ("key", "apikey"), ("clear", "1")],
        )
        .await;
    let cleared: Value = server
        .client
        .post(format!("{}/query", server.api))
        .json(&serde_json::json!({"module": "config_echo", "text": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!cleared.to_string().contains(sentinel));
}

#[tokio::test]
async fn analysts_cannot_administer_and_disabled_modules_are_gone() {
    let server = common::start(&[], &[]).await;
    let mut admin = Browser::new(&server);
    admin.login("admin", ADMIN_PASSWORD).await;
    let created = admin
        .post(
            "/action/admin/users",
            &[("username", "analyst"), ("password", "analyst-password-1")],
        )
        .await;
    assert!(
        location(&created).starts_with("/admin?notice="),
        "{}",
        location(&created)
    );
    let weak = admin
        .post(
            "/action/admin/users",
            &[("username", "weak"), ("password", "short")],
        )
        .await;
    assert!(location(&weak).starts_with("/admin?error="));
    admin
        .post(
            "/action/admin/module-state",
            &[("module", "countrycode"), ("enabled", "false")],
        )
        .await;

    let mut analyst = Browser::new(&server);
    let ok = analyst.login("analyst", "analyst-password-1").await;
    assert_eq!(location(&ok), "/");
    assert_eq!(analyst.get("/admin").await.status(), StatusCode::FORBIDDEN);
    let (status, _) = analyst.call("admin_modules", &[]).await;
    assert_ne!(status, StatusCode::OK);
    let refused = analyst
        .post(
            "/action/admin/module-state",
            &[("module", "countrycode"), ("enabled", "true")],
        )
        .await;
    assert!(location(&refused).starts_with("/login"));

    let (_, modules) = analyst.call("enrichment_modules", &[]).await;
    let names: Vec<&str> = modules
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"countrycode") && names.contains(&"hygiene"),
        "{names:?}"
    );
    let started = analyst
        .post(
            "/action/jobs",
            &[("values", "example.be"), ("modules", "countrycode")],
        )
        .await;
    assert!(
        location(&started).starts_with("/?error="),
        "{}",
        location(&started)
    );

    // Off on the module API as well: not listed, and refused by name.
    let api_names = |list: Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let listed = api_names(server.get_json("/modules").await);
    assert!(!listed.iter().any(|n| n == "countrycode"));
    assert!(listed.iter().any(|n| n == "hygiene"));
    let refused: Value = server
        .client
        .post(format!("{}/query", server.api))
        .json(&serde_json::json!({"module": "countrycode", "domain": "example.be"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        refused,
        serde_json::json!({"error": "Module disabled by the administrator: countrycode"})
    );
    admin
        .post(
            "/action/admin/module-state",
            &[("module", "countrycode"), ("enabled", "true")],
        )
        .await;
    let listed = api_names(server.get_json("/modules").await);
    assert!(listed.iter().any(|n| n == "countrycode"));
}

#[tokio::test]
async fn a_result_can_be_downloaded_by_its_owner_only() {
    let server = common::start(&[], &[]).await;
    let mut admin = Browser::new(&server);
    admin.login("admin", ADMIN_PASSWORD).await;
    let id = admin.start_job("example.be", "", &["countrycode"]).await;
    let job = admin.finished_job(&id).await;
    let cell = job["cells"][0]["id"].as_i64().unwrap();
    let path = format!("/jobs/{id}/cells/{cell}.json");
    let download = admin.get(&path).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let body: Value = download.json().await.unwrap();
    assert_eq!(body["results"][0]["values"][0], "Belgium");

    admin
        .post(
            "/action/admin/users",
            &[("username", "other"), ("password", "other-password-1")],
        )
        .await;
    let mut other = Browser::new(&server);
    other.login("other", "other-password-1").await;
    assert_eq!(other.get(&path).await.status(), StatusCode::NOT_FOUND);
    let (status, _) = other.call("job", &[("id", &id)]).await;
    assert_ne!(status, StatusCode::OK);
}

/// Several instances behind a load balancer share one PostgreSQL database: a session,
/// a query and a stored setting made on one are seen by the other. Runs when
/// `TEST_DATABASE_URL` names a PostgreSQL database (scripts/test.sh starts one).
#[tokio::test]
async fn two_instances_share_one_postgresql_database() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    let vars = [("SECRET_KEY", "shared-by-both-instances-0f3a9c27d1e84b56")];
    let args = ["--database-url", url.as_str()];
    let first = common::start(&args, &vars).await;
    let second = common::start(&args, &vars).await;

    let mut on_first = Browser::new(&first);
    let signed_in = on_first.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(location(&signed_in), "/");
    let id = on_first.start_job("example.be", "", &["countrycode"]).await;
    on_first.finished_job(&id).await;
    on_first
        .post(
            "/action/admin/setting",
            &[
                ("module", "clamav"),
                ("key", "connection"),
                ("value", "127.0.0.1:3310"),
            ],
        )
        .await;

    // The same cookie is a valid session on the other instance.
    let mut on_second = Browser::new(&second);
    on_second.cookie = on_first.cookie.clone();
    let (_, me) = on_second.call("whoami", &[]).await;
    assert_eq!(me["username"], "admin");
    let job = on_second.finished_job(&id).await;
    assert_eq!(
        job["cells"][0]["result"]["attributes"][0]["value"],
        "Belgium"
    );
    let (_, modules) = on_second.call("admin_modules", &[]).await;
    let clamav = modules
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "clamav")
        .unwrap();
    assert_eq!(clamav["settings"][0]["stored"], true, "{clamav}");
}

/// With `MISP_MODULE`, the UI's queries go to another misp-modules server, with the
/// settings stored in this UI; an unreachable backend is reported as such.
#[tokio::test]
async fn a_remote_module_server_can_back_the_ui() {
    let custom = common::fixtures().join("custom");
    let backend = common::start(&["-c", custom.to_str().unwrap()], &[]).await;
    let front = common::start(&["--module-backend", backend.api.as_str()], &[]).await;
    let mut browser = Browser::new(&front);
    browser.login("admin", ADMIN_PASSWORD).await;
    let (_, modules) = browser.call("enrichment_modules", &[]).await;
    assert!(modules.to_string().contains("config_echo"), "{modules}");
    browser
        .post(
            "/action/admin/setting",
            &[
                ("module", "config_echo"),
                ("key", "apikey"),
                ("value", "stored-in-the-front"),
            ],
        )
        .await;
    let id = browser.start_job("x", "text", &["config_echo"]).await;
    let job = browser.finished_job(&id).await;
    assert_eq!(job["cells"][0]["state"], "Done", "{job}");
    assert!(
        job["cells"][0]["result"]["json"]
            .as_str()
            .unwrap()
            .contains("stored-in-the-front")
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap().to_string();
    drop(closed);
    let orphan = common::start(&["--module-backend", address.as_str()], &[]).await;
    let mut browser = Browser::new(&orphan);
    browser.login("admin", ADMIN_PASSWORD).await;
    let (status, error) = browser.call("enrichment_modules", &[]).await;
    assert_ne!(status, StatusCode::OK);
    let text = error.to_string();
    assert!(
        text.contains("unreachable") && !text.contains(&address),
        "{text}"
    );
}
