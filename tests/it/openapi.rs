//! `/api/openapi.json` documents every operator and driver route under `/api/v1` (paths, methods,
//! parameters, bodies, error answers, the bearer scheme), and `/api/docs` shows it in Swagger UI
//! from csms's own assets only.

use crate::helpers::{TestApp, spawn_app};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every route the router serves under `/api/v1`, with its methods: written out by hand, so that
/// a route added without its documentation (or documented under another path) fails here.
const ROUTES: &[(&str, &[&str])] = &[
    ("/api/v1/auth/sms-code", &["post"]),
    ("/api/v1/auth/register", &["post"]),
    ("/api/v1/auth/login", &["post"]),
    ("/api/v1/me", &["get", "patch"]),
    ("/api/v1/me/real-name", &["post"]),
    ("/api/v1/me/cards", &["get", "post"]),
    ("/api/v1/me/cards/{id_tag}", &["delete"]),
    ("/api/v1/me/events", &["get"]),
    ("/api/v1/me/balance", &["get"]),
    ("/api/v1/me/ledger", &["get"]),
    ("/api/v1/chargers", &["get", "post"]),
    ("/api/v1/chargers/{id}", &["get", "patch"]),
    ("/api/v1/chargers/{id}/commands/{action}", &["post"]),
    ("/api/v1/transactions", &["get"]),
    ("/api/v1/transactions/{id}", &["get"]),
    ("/api/v1/id-tags", &["post"]),
    ("/api/v1/stations", &["get", "post"]),
    ("/api/v1/stations/nearby", &["get"]),
    ("/api/v1/stations/{code}", &["get", "patch", "delete"]),
    ("/api/v1/stations/{code}/tariff", &["get", "put"]),
    ("/api/v1/piles", &["get", "post"]),
    ("/api/v1/piles/{code}", &["get"]),
    ("/api/v1/piles/{code}/station", &["put"]),
    ("/api/v1/orders", &["get", "post"]),
    ("/api/v1/orders/{no}", &["get"]),
    ("/api/v1/orders/{no}/start", &["post"]),
    ("/api/v1/orders/{no}/stop", &["post"]),
    ("/api/v1/reservations", &["get", "post"]),
    ("/api/v1/membership/levels", &["get", "put"]),
    ("/api/v1/membership/recompute", &["post"]),
    ("/api/v1/tariffs/preview", &["post"]),
    ("/api/v1/operations", &["get"]),
    ("/api/v1/auth/logout", &["post"]),
    ("/api/v1/piles/{code}/qr", &["get"]),
    ("/api/v1/users/{id}/group", &["put"]),
    ("/api/v1/me/membership", &["get"]),
    ("/api/v1/reservations/{id}", &["get", "delete"]),
    ("/api/v1/orders/{no}/cancel", &["post"]),
    ("/api/v1/orders/{no}/review", &["post"]),
    ("/api/v1/audit", &["get"]),
    ("/api/v1/payments", &["get", "post"]),
    ("/api/v1/payments/{no}", &["get"]),
    ("/api/v1/payments/{no}/refund", &["post"]),
    ("/api/v1/payments/{no}/calls", &["get"]),
    ("/api/v1/payments/notify/{provider}", &["post"]),
    ("/api/v1/me/balance/top-up", &["post"]),
    ("/api/v1/alarms", &["get"]),
    ("/api/v1/alarms/kinds", &["get"]),
    ("/api/v1/alarms/{id}/ack", &["post"]),
    ("/api/v1/chargers/{id}/live", &["get"]),
    ("/api/v1/chargers/{id}/trend", &["get"]),
    ("/api/v1/events", &["get"]),
    ("/api/v1/users", &["get"]),
    ("/api/v1/users/{id}", &["get", "patch"]),
    ("/api/v1/users/{id}/balance-adjustments", &["post"]),
    ("/api/v1/users/{id}/ledger", &["get"]),
    ("/api/v1/stats", &["get"]),
];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// An answer: status, headers (names lower-cased), body.
struct Answer {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or_default()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request without a token or body, read to the end (`Connection: close`).
async fn fetch(app: &TestApp, method: &str, path: &str) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(app.http_addr).await.unwrap();
    let request = format!("{method} {path} HTTP/1.1\r\nHost: csms\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("a status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Answer { status, headers, body: raw[split + 4..].to_vec() }
}

async fn document(app: &TestApp) -> Value {
    let answer = fetch(app, "GET", "/api/openapi.json").await;
    assert_eq!(answer.status, 200);
    assert!(answer.header("content-type").starts_with("application/json"), "{:?}", answer.headers);
    serde_json::from_slice(&answer.body).expect("the document is JSON")
}

#[tokio::test]
async fn the_openapi_document_lists_every_api_route_with_its_methods() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert!(doc["openapi"].as_str().unwrap_or_default().starts_with("3."), "openapi: {}", doc["openapi"]);
    let paths = doc["paths"].as_object().expect("paths");

    let expected: BTreeSet<&str> = ROUTES.iter().map(|(path, _)| *path).collect();
    let documented: BTreeSet<&str> = paths.keys().map(String::as_str).filter(|p| p.starts_with("/api/v1/")).collect();
    assert_eq!(documented, expected, "documented paths differ from the routes");
    for (path, methods) in ROUTES {
        let item = paths[*path].as_object().unwrap();
        let have: BTreeSet<&str> = METHODS.into_iter().filter(|m| item.contains_key(*m)).collect();
        assert_eq!(have, methods.iter().copied().collect(), "methods of {path}");
    }

    // Each documented operation is one the router serves: not axum's empty 404 nor a 405.
    for (path, methods) in ROUTES {
        let concrete = path.replace("{action}", "Reset").replace('{', "x-").replace('}', "");
        for method in *methods {
            let answer = fetch(&app, &method.to_ascii_uppercase(), &concrete).await;
            let unrouted = answer.status == 405 || (answer.status == 404 && answer.body.is_empty());
            assert!(!unrouted, "{method} {concrete}: {} {}", answer.status, answer.text());
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn every_operation_documents_its_errors_parameters_and_security() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!((scheme["type"].as_str(), scheme["scheme"].as_str()), (Some("http"), Some("bearer")));
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"], serde_json::json!(["error", "message"]));

    // Signed in, or (notifications) signed by the provider instead.
    let public = ["/api/v1/auth/", "/api/v1/payments/notify/"];
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            let at = format!("{method} {path}");
            let responses = operation["responses"].as_object().expect("responses");
            assert!(responses.keys().any(|s| s.starts_with('2')), "{at}: no success answer");
            let errors: Vec<&String> = responses.keys().filter(|s| s.starts_with('4')).collect();
            assert!(!errors.is_empty(), "{at}: no 4xx answer");
            // Providers' notifications are answered as each provider expects, not in ours.
            let ours = !path.starts_with("/api/v1/payments/notify/");
            for status in responses.keys().filter(|s| ours && (s.starts_with('4') || s.starts_with('5'))) {
                let schema = &responses[status]["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(schema, "#/components/schemas/ErrorBody", "{at} {status}");
            }
            assert!(operation["tags"].as_array().is_some_and(|t| !t.is_empty()), "{at}: no tag");
            // Path parameters are each named.
            let named: BTreeSet<String> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect();
            let in_path: BTreeSet<String> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')).map(str::to_owned))
                .collect();
            assert_eq!(named, in_path, "{at}: path parameters");
            // Routes that need a token say so (and answer 401).
            if !public.iter().any(|p| path.starts_with(p)) && responses.contains_key("401") {
                assert_eq!(operation["security"], serde_json::json!([{"bearer": []}]), "{at}: security");
            }
        }
    }
    // Paged lists take `page` and `pageSize`.
    for path in ["/api/v1/chargers", "/api/v1/orders", "/api/v1/stations", "/api/v1/me/ledger"] {
        let names: Vec<&str> = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(names.contains(&"page") && names.contains(&"pageSize"), "{path}: {names:?}");
    }
    // Request bodies are described, and money is a string.
    let body = &doc["paths"]["/api/v1/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(body["$ref"], "#/components/schemas/NewOrderBody");
    let order = &doc["components"]["schemas"]["OrderView"]["properties"];
    assert_eq!(order["paidAmount"]["type"], "string");
    app.stop().await;
}

#[tokio::test]
async fn the_docs_page_loads_swagger_ui_from_csms_itself() {
    let app = spawn_app().await;
    let page = fetch(&app, "GET", "/api/docs").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/html"), "{:?}", page.headers);
    let html = page.text();
    let references: Vec<String> = ["src=\"", "href=\""]
        .iter()
        .flat_map(|attribute| {
            html.split(attribute).skip(1).map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
        })
        .collect();
    assert!(references.len() >= 3, "{references:?}");
    for reference in &references {
        assert!(reference.starts_with('/') && !reference.starts_with("//"), "not same-origin: {reference}");
        let answer = fetch(&app, "GET", reference).await;
        assert_eq!(answer.status, 200, "{reference}");
        let path = reference.split('?').next().unwrap_or_default();
        let expected = if path.ends_with(".css") { "text/css" } else { "text/javascript" };
        assert!(answer.header("content-type").starts_with(expected), "{reference}: {:?}", answer.headers);
        assert!(!answer.body.is_empty(), "{reference}");
        if path.ends_with("swagger-initializer.js") {
            let script = answer.text();
            assert!(script.contains("\"/api/openapi.json\""), "{script}");
            assert!(!script.contains("http:") && !script.contains("https:"), "{script}");
        } else {
            assert!(answer.header("cache-control").contains("max-age=31536000"), "{reference}: {:?}", answer.headers);
        }
    }
    assert!(references.iter().any(|r| r.starts_with("/api/docs/swagger-ui-bundle.js")), "{references:?}");
    assert!(references.iter().any(|r| r.starts_with("/api/docs/swagger-ui.css")), "{references:?}");
    app.stop().await;
}
