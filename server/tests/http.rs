//! The server over real HTTP: started on an ephemeral loopback port over a directory
//! holding a bundled policy and the file it `use`s, every endpoint called with an HTTP
//! client; evaluation results compared with the engine's own for the same records.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bylaw_engine::{Date, Policy, Run, RunOptions};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const POLICY: &str = "guangdong_dibao";

/// The workspace's `policies/` directory.
fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies")
}

/// A directory with `guangdong/dibao.bylaw`, its test file and `regions.bylaw`, which it `use`s.
fn policy_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("guangdong")).unwrap();
    for file in [
        "regions.bylaw",
        "guangdong/dibao.bylaw",
        "guangdong/dibao.test.bylaw",
    ] {
        std::fs::copy(bundled().join(file), dir.path().join(file)).unwrap();
    }
    dir
}

/// A running server and what stops it.
struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Starts shutdown and waits for the server to finish.
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).unwrap();
        }
        self.done.await.unwrap().unwrap();
    }
}

async fn start(config: bylaw_server::Config) -> Running {
    let dir = policy_dir();
    let server = bylaw_server::Server::build(dir.path(), config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(server.serve(listener, async move {
        let _ = stopped.await;
    }));
    Running {
        addr,
        stop: Some(stop),
        done,
        _dir: dir,
    }
}

fn household(id: &str, city: &str, incomes: &[&str]) -> Value {
    json!({
        "id": id,
        "city": city,
        "hukou": "local",
        "residence": 24,
        "members": incomes.iter().map(|i| json!({"income": i, "age": 40})).collect::<Vec<_>>(),
    })
}

async fn post(client: &reqwest::Client, url: &str, body: String) -> (u16, String, Value) {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, content_type, value)
}

/// The engine's outputs for `records` at `date`, formatted as the CLI's JSON output.
fn engine_results(records: &Value, date: &str) -> Vec<Value> {
    let policy = Policy::load(&bundled().join("guangdong/dibao.bylaw")).unwrap();
    let program = policy.program();
    let batch = bylaw_runtime::input::read_json_text(
        &program.schema,
        Path::new("records"),
        &records.to_string(),
    )
    .unwrap();
    let date = Date::parse(date).unwrap();
    let run = Run::new(&policy, date, RunOptions::default()).unwrap();
    let (evaluation, _) = run.evaluate(&batch).unwrap();
    (0..batch.root_len())
        .map(|i| match evaluation.error(i) {
            Some(e) => json!({"error": e.code()}),
            None => {
                let mut out = serde_json::Map::new();
                for (o, d) in program.outputs.iter().enumerate() {
                    let def = program.def(*d);
                    let v = evaluation.value(o, i).unwrap();
                    let json = match v {
                        bylaw_compiler::ir::Value::Bool(b) => Value::Bool(b),
                        v => bylaw_compiler::format::plain_in(program, def.ty, def.unit, &v).into(),
                    };
                    out.insert(def.name.clone(), json);
                }
                Value::Object(out)
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluate_gives_the_engines_results_in_input_order() {
    let server = start(bylaw_server::Config::default()).await;
    let client = reqwest::Client::new();
    let records = json!([
        household("h1", "guangzhou", &["500", "300.50"]),
        household("h2", "shenzhen", &["5000"]),
        household("h3", "yunfu", &["999.99", "0", "12.34"]),
        household("h4", "foshan", &["1240.0001"]),
    ]);
    for date in ["2024-01-01", "2023-06-15"] {
        let body = json!({"date": date, "records": records, "lang": "en"}).to_string();
        let (status, content_type, answer) = post(
            &client,
            &server.url("/v1/policies/guangdong_dibao/evaluate"),
            body,
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(content_type, "application/json");
        assert_eq!(answer["policy"]["name"], POLICY);
        assert_eq!(answer["policy"]["date"], date);
        let expected = engine_results(&records, date);
        let results = answer["results"].as_array().unwrap();
        assert_eq!(results.len(), expected.len());
        for (i, (got, want)) in results.iter().zip(&expected).enumerate() {
            assert_eq!(got["id"], records[i]["id"]);
            assert_eq!(got["error"], Value::Null);
            assert_eq!(&got["outputs"], want, "household {i} at {date}");
        }
    }
    // One household alone, as `record`.
    let body = json!({"date": "2024-01-01", "record": records[0]}).to_string();
    let (status, _, answer) = post(
        &client,
        &server.url("/v1/policies/guangdong_dibao/evaluate"),
        body,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["results"][0]["outputs"],
        engine_results(&json!([records[0]]), "2024-01-01")[0]
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_changes_the_parameters() {
    let server = start(bylaw_server::Config::default()).await;
    let client = reqwest::Client::new();
    let record = household("h1", "guangzhou", &["500"]);
    let url = server.url("/v1/policies/guangdong_dibao/evaluate");
    let body = json!({"date": "2024-01-01", "record": record, "scenario": {"dibao_standard[guangzhou]": "1400 元"}});
    let (status, _, answer) = post(&client, &url, body.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["outputs"]["standard"], "1400.00");
    // A JSON number takes the parameter's unit.
    let body = json!({"date": "2024-01-01", "record": record, "scenario": {"dibao_standard[guangzhou]": 1500}});
    let (status, _, answer) = post(&client, &url, body.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["outputs"]["standard"], "1500.00");
    // An unknown parameter is located at its entry.
    let body =
        json!({"date": "2024-01-01", "record": record, "scenario": {"no_such_param": "1 元"}});
    let (status, content_type, answer) = post(&client, &url, body.to_string()).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(answer["json_path"], "$.scenario[\"no_such_param\"]");
    server.stop().await;
}

/// A bad input: what it is, the body, the policy, and the status, code and JSON path expected.
type Case<'a> = (&'a str, String, &'a str, u16, &'a str, Option<&'a str>);

/// Each bad input: its status, problem content type, code and JSON path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_located_problem() {
    let server = start(bylaw_server::Config {
        max_body: 64 * 1024,
        max_records: 3,
        ..bylaw_server::Config::default()
    })
    .await;
    let client = reqwest::Client::new();
    let good = household("h1", "guangzhou", &["500"]);
    let mut no_income = good.clone();
    no_income["members"][0]
        .as_object_mut()
        .unwrap()
        .remove("income");
    let mut bad_city = good.clone();
    bad_city["city"] = "atlantis".into();
    let mut extra = good.clone();
    extra["members"][0]["salary"] = "1".into();
    let mut bad_money = good.clone();
    bad_money["members"][0]["income"] = "5a00".into();
    let many = json!({"date": "2024-01-01", "records": [good, good, good, good]});
    let huge = json!({"date": "2024-01-01", "records": [good], "lang": "x".repeat(100 * 1024)});
    let cases: Vec<Case> = vec![
        (
            "malformed JSON",
            "{\"date\": ".into(),
            POLICY,
            400,
            "bylaw::serve::malformed_json",
            None,
        ),
        (
            "unknown field",
            json!({"date": "2024-01-01", "record": good, "extra": 1}).to_string(),
            POLICY,
            422,
            "bylaw::serve::unknown_field",
            Some("$.extra"),
        ),
        (
            "wrong type",
            json!({"date": 20240101, "record": good}).to_string(),
            POLICY,
            422,
            "bylaw::serve::wrong_type",
            Some("$.date"),
        ),
        (
            "missing date",
            json!({"record": good}).to_string(),
            POLICY,
            422,
            "bylaw::serve::missing_field",
            Some("$.date"),
        ),
        (
            "bad date",
            json!({"date": "2024-02-30", "record": good}).to_string(),
            POLICY,
            422,
            "bylaw::data::bad_date",
            Some("$.date"),
        ),
        (
            "no records",
            json!({"date": "2024-01-01"}).to_string(),
            POLICY,
            422,
            "bylaw::serve::records",
            Some("$"),
        ),
        (
            "missing value",
            json!({"date": "2024-01-01", "records": [good, no_income]}).to_string(),
            POLICY,
            422,
            "bylaw::data::missing_value",
            Some("$.records[1].members[0].income"),
        ),
        (
            "unknown enum value",
            json!({"date": "2024-01-01", "record": bad_city}).to_string(),
            POLICY,
            422,
            "bylaw::data::unknown_variant",
            Some("$.record.city"),
        ),
        (
            "unknown record field",
            json!({"date": "2024-01-01", "records": [extra]}).to_string(),
            POLICY,
            422,
            "bylaw::data::extra_column",
            Some("$.records[0].members[0].salary"),
        ),
        (
            "bad money",
            json!({"date": "2024-01-01", "records": [bad_money]}).to_string(),
            POLICY,
            422,
            "bylaw::data::bad_number",
            Some("$.records[0].members[0].income"),
        ),
        (
            "bad language",
            json!({"date": "2024-01-01", "record": good, "lang": "fr"}).to_string(),
            POLICY,
            422,
            "bylaw::serve::bad_lang",
            Some("$.lang"),
        ),
        (
            "unknown policy",
            json!({"date": "2024-01-01", "record": good}).to_string(),
            "guangdong_dibo",
            404,
            "bylaw::serve::unknown_policy",
            None,
        ),
        (
            "too many records",
            many.to_string(),
            POLICY,
            413,
            "bylaw::serve::too_many_records",
            Some("$.records"),
        ),
        (
            "oversized body",
            huge.to_string(),
            POLICY,
            413,
            "bylaw::serve::body_too_large",
            None,
        ),
    ];
    for (what, body, policy, status, code, path) in cases {
        let url = server.url(&format!("/v1/policies/{policy}/evaluate"));
        let (got, content_type, problem) = post(&client, &url, body).await;
        assert_eq!(got, status, "{what}: {problem}");
        assert_eq!(content_type, "application/problem+json", "{what}");
        assert_eq!(problem["status"], status, "{what}");
        assert_eq!(problem["code"], code, "{what}: {problem}");
        assert_eq!(problem["json_path"].as_str(), path, "{what}: {problem}");
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:bylaw:problem:"),
            "{what}"
        );
        assert!(!problem["detail"].as_str().unwrap().is_empty(), "{what}");
    }
    // Every data problem of a batch is listed, not only the first.
    let mut bad_age = household("h2", "guangzhou", &["1"]);
    bad_age["members"][0]["age"] = "old".into();
    let body = json!({"date": "2024-01-01", "records": [bad_money, bad_age]}).to_string();
    let (_, _, problem) = post(
        &client,
        &server.url("/v1/policies/guangdong_dibao/evaluate"),
        body,
    )
    .await;
    let paths: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["json_path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "$.records[0].members[0].income",
            "$.records[1].members[0].age"
        ]
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_health_and_openapi() {
    let server = start(bylaw_server::Config::default()).await;
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(server.url(path)).send();
    let healthz = get("/healthz").await.unwrap();
    assert_eq!(healthz.status(), 200);
    assert_eq!(healthz.text().await.unwrap(), "ok");
    assert_eq!(get("/readyz").await.unwrap().status(), 200);

    let list: Value = get("/v1/policies").await.unwrap().json_value().await;
    let policies = list["policies"].as_array().unwrap();
    // regions.bylaw declares no entity and the test file is not served.
    assert_eq!(policies.len(), 1, "{list}");
    let dibao = &policies[0];
    let policy = Policy::load(&bundled().join("guangdong/dibao.bylaw")).unwrap();
    let hash: String = policy
        .source_hash()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(dibao["name"], POLICY);
    assert_eq!(dibao["hash"], hash);
    assert_eq!(dibao["effective"], "2023-01-01");
    assert_eq!(dibao["native"], true);
    assert!(
        dibao["title_zh"]
            .as_str()
            .unwrap()
            .starts_with("广东省最低生活保障")
    );
    assert!(dibao["title_en"].as_str().unwrap().starts_with("Guangdong"));
    let schema = &dibao["input_schema"];
    assert_eq!(schema["properties"]["members"]["type"], "array");
    assert_eq!(schema["properties"]["members"]["minItems"], 1);
    let member = &schema["properties"]["members"]["items"];
    assert_eq!(
        member["properties"]["income"]["type"],
        json!(["string", "number"])
    );
    assert!(
        schema["properties"]["city"]["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("guangzhou"))
    );
    assert!(
        schema["required"]
            .as_array()
            .unwrap()
            .contains(&json!("id"))
    );
    let outputs: Vec<(&str, &str)> = dibao["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["type"].as_str().unwrap()))
        .collect();
    assert!(outputs.contains(&("eligible", "bool")), "{outputs:?}");
    assert!(
        outputs.contains(&("benefit", "money per month")),
        "{outputs:?}"
    );

    let openapi: Value = get("/openapi.json").await.unwrap().json_value().await;
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3."));
    let paths = openapi["paths"].as_object().unwrap();
    for path in [
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/v1/policies",
        "/v1/policies/{name}/evaluate",
        "/v1/policies/{name}/why",
        "/v1/policies/{name}/explain",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys()
        );
    }
    assert!(openapi["components"]["schemas"]["EvaluateRequest"].is_object());
    assert!(openapi["components"]["schemas"]["Problem"].is_object());

    let response = get("/no/such/route").await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert!(response.headers().contains_key("x-request-id"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_and_why() {
    let server = start(bylaw_server::Config::default()).await;
    let client = reqwest::Client::new();
    for (format, content_type) in [
        ("html", "text/html; charset=utf-8"),
        ("md", "text/markdown; charset=utf-8"),
        ("text", "text/plain; charset=utf-8"),
    ] {
        let response = client
            .get(server.url(&format!(
                "/v1/policies/guangdong_dibao/explain?lang=en&format={format}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], content_type);
        let text = response.text().await.unwrap();
        let policy = Policy::load(&bundled().join("guangdong/dibao.bylaw")).unwrap();
        let program = policy.program();
        let expected = bylaw_engine::explain::document(
            program,
            bylaw_engine::explain::default_date(program),
            bylaw_compiler::explain::Lang::En,
            bylaw_compiler::explain::Format::parse(format).unwrap(),
        );
        assert_eq!(text, expected);
    }
    let response = client
        .get(server.url("/v1/policies/guangdong_dibao/explain?format=pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let problem: Value = response.json_value().await;
    assert_eq!(problem["code"], "bylaw::serve::bad_format");

    let records = json!([
        household("h1", "guangzhou", &["500"]),
        household("h2", "shenzhen", &["9000"])
    ]);
    let body =
        json!({"date": "2024-01-01", "records": records, "id": "h2", "lang": "en"}).to_string();
    let (status, _, answer) = post(
        &client,
        &server.url("/v1/policies/guangdong_dibao/why"),
        body,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["trace"].is_object());
    assert!(!answer["text"].as_str().unwrap().is_empty());
    let body = json!({"date": "2024-01-01", "records": records, "id": "h9"}).to_string();
    let (status, content_type, problem) = post(
        &client,
        &server.url("/v1/policies/guangdong_dibao/why"),
        body,
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["json_path"], "$.id");
    server.stop().await;
}

/// Shutdown begun while a request's body is still arriving: the request is answered
/// in full, then the server returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_request_in_flight_finish() {
    let mut server = start(bylaw_server::Config::default()).await;
    let body =
        json!({"date": "2024-01-01", "record": household("h1", "guangzhou", &["500"])}).to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /v1/policies/guangdong_dibao/evaluate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.stop.take().unwrap().send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !server.done.is_finished(),
        "the server stopped with a request in flight"
    );
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"eligible\":true"), "{response}");
    tokio::time::timeout(Duration::from_secs(10), server.done)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

/// A JSON body, parsed.
trait JsonValue {
    async fn json_value(self) -> Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Value {
        serde_json::from_str(&self.text().await.unwrap()).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_the_timeout_is_a_503_problem() {
    let server = start(bylaw_server::Config {
        timeout: Duration::from_millis(1),
        ..bylaw_server::Config::default()
    })
    .await;
    let client = reqwest::Client::new();
    // Twenty thousand households take far longer than a millisecond to read and evaluate.
    let records: Vec<Value> = (0..20_000)
        .map(|i| household(&format!("h{i}"), "guangzhou", &["500", "300.50"]))
        .collect();
    let body = json!({"date": "2024-01-01", "records": records}).to_string();
    let (status, content_type, answer) = post(
        &client,
        &server.url("/v1/policies/guangdong_dibao/evaluate"),
        body,
    )
    .await;
    assert_eq!(status, 503, "{answer}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(answer["status"], 503);
    assert!(answer["hint"].is_string(), "{answer}");
    // The server still answers.
    let health = client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    server.stop().await;
}
