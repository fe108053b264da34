//! The operator dashboard in a real browser: headless Chromium, driven through Debian's
//! chromedriver by fantoccini, signs in with the operator token, sees a pile come online, and
//! acknowledges the over-temperature alarm its charger raises. Leaves a screenshot for CI
//! (`<target>/dashboard-screenshot.png`). Skipped when chromedriver is not installed, unless
//! `CSMS_REQUIRE_SERVICES=1`.

use crate::business::{open_pile, tariff};
use crate::helpers::{OPERATOR_TOKEN, spawn_app};
use crate::transactions::sampled;
use chrono::Utc;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use protocol::v16;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::time::Instant;

const STATION: &str = "DASH-ST";
const PILE: &str = "DASH-P1";

/// chromedriver: `CHROMEDRIVER`, else the first on `PATH`.
fn chromedriver() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMEDRIVER") {
        return Some(PathBuf::from(path));
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join("chromedriver")).find(|p| p.is_file())
}

/// Where the screenshot goes: `CARGO_TARGET_DIR`, else the workspace's `target/`.
fn artifact(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), |dir| root.join(dir));
    target.join(name)
}

/// chromedriver on a free port of its own; killed when dropped.
struct Driver {
    process: Child,
    url: String,
}

async fn start_driver(path: &Path) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let process = Command::new(path)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", path.display()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen on port {port} within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Driver { process, url: format!("http://127.0.0.1:{port}") }
}

/// A headless Chromium session at 1280×900 (Debian's `chromium` unless `CHROME_BIN` names one).
async fn browser(driver: &Driver) -> Client {
    let mut options = json!({"args": [
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
    ]});
    let binary = std::env::var("CHROME_BIN")
        .ok()
        .or_else(|| Path::new("/usr/bin/chromium").is_file().then(|| "/usr/bin/chromium".to_owned()));
    if let Some(binary) = binary {
        options["binary"] = json!(binary);
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert("goog:chromeOptions".into(), options);
    // chromedriver is spoken to over plain http on the loopback: no TLS connector.
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("a Chromium session through chromedriver: {e}"))
}

/// Waits until `css` matches an element on the page, or says what the page shows instead.
async fn wait_for(client: &Client, css: &str, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    loop {
        let found = client
            .execute("return document.querySelector(arguments[0]) !== null;", vec![json!(css)])
            .await
            .map_err(|e| format!("asking the page for {css}: {e}"))?;
        if found == Value::Bool(true) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{css} did not appear within {within:?}; the page shows:\n{}",
                page_text(client).await
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The page's visible text (its first 3,000 characters), for a failure's message.
async fn page_text(client: &Client) -> String {
    match client.execute("return document.body.innerText;", vec![]).await {
        Ok(Value::String(text)) => text.chars().take(3000).collect(),
        Ok(other) => other.to_string(),
        Err(e) => format!("(the page could not be read: {e})"),
    }
}

/// The text of the first element `css` matches.
async fn text_of(client: &Client, css: &str) -> Result<String, String> {
    let element = client.find(Locator::Css(css)).await.map_err(|e| format!("{css}: {e}"))?;
    element.text().await.map_err(|e| format!("{css}: {e}"))
}

#[tokio::test]
async fn an_operator_signs_in_sees_a_pile_come_online_and_acknowledges_its_over_temperature_alarm() {
    let Some(driver_path) = chromedriver() else {
        assert!(
            std::env::var("CSMS_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "CSMS_REQUIRE_SERVICES=1 but chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipped: chromedriver is not installed (apt-get install chromium chromium-driver)");
        return;
    };
    let app = spawn_app().await;
    let mut driver = start_driver(&driver_path).await;
    let client = browser(&driver).await;

    let mut charger = None;
    let outcome: Result<(), String> = async {
        client.goto(&format!("http://{}/", app.http_addr)).await.map_err(|e| format!("opening the page: {e}"))?;
        wait_for(&client, "#signin:not([hidden]) #token-input", Duration::from_secs(10)).await?;
        let input = client.find(Locator::Id("token-input")).await.map_err(|e| e.to_string())?;
        input.send_keys(OPERATOR_TOKEN).await.map_err(|e| e.to_string())?;
        client
            .find(Locator::Id("token-submit"))
            .await
            .map_err(|e| e.to_string())?
            .click()
            .await
            .map_err(|e| e.to_string())?;
        wait_for(&client, "#dashboard:not([hidden])", Duration::from_secs(5)).await?;
        wait_for(&client, "#stations[data-state=\"ready\"]", Duration::from_secs(5)).await?;
        // Today's figures come from the statistics, which take local days.
        wait_for(&client, "#figures[data-state=\"ready\"]", Duration::from_secs(5)).await?;

        // A pile registered and connected while the page is open shows up online and free.
        let cp = charger.insert(open_pile(&app, STATION, PILE, tariff()).await);
        let pile = format!("article.pile[data-pile=\"{PILE}\"]");
        wait_for(&client, &format!("{pile}[data-online=\"true\"]"), Duration::from_secs(10)).await?;
        wait_for(&client, &format!("{pile} .connector[data-status=\"Available\"]"), Duration::from_secs(5)).await?;
        let badge = text_of(&client, &format!("{pile} .pile-online")).await?;
        if badge != "online" {
            return Err(format!("the pile's badge says {badge:?}"));
        }

        // 85 °C at the connector: an over-temperature alarm, pushed to the page without a reload.
        let hot = v16::MeterValuesRequest {
            connector_id: 1,
            transaction_id: None,
            meter_value: vec![v16::MeterValue {
                timestamp: Utc::now(),
                sampled_value: vec![sampled(v16::Measurand::Temperature, v16::UnitOfMeasure::Celsius, "85")],
            }],
        };
        cp.call(hot).await.map_err(|e| format!("the charger's MeterValues: {e}"))?;
        let alarm = format!("li.alarm[data-charger=\"{PILE}\"][data-type=\"over_temperature\"]");
        wait_for(&client, &alarm, Duration::from_secs(5)).await?;
        // Titled, and its value given its unit, as `GET /api/v1/alarms/kinds` says.
        let (title, message) = (
            text_of(&client, &format!("{alarm} .alarm-type")).await?,
            text_of(&client, &format!("{alarm} .alarm-message")).await?,
        );
        if title != "Over temperature" || !message.ends_with(" °C)") {
            return Err(format!("the alarm reads {title:?}: {message:?}"));
        }
        let ack = client.find(Locator::Css(&format!("{alarm} button.alarm-ack"))).await.map_err(|e| e.to_string())?;
        ack.click().await.map_err(|e| format!("clicking Acknowledge: {e}"))?;
        wait_for(&client, &format!("{alarm}[data-status=\"acknowledged\"]"), Duration::from_secs(5)).await?;
        let status = text_of(&client, &format!("{alarm} .alarm-status")).await?;
        if status != "acknowledged" {
            return Err(format!("the alarm's status says {status:?}"));
        }
        Ok(())
    }
    .await;

    // The screenshot is taken whatever happened: it shows where a failure stopped.
    let shot = artifact("dashboard-screenshot.png");
    match client.screenshot().await {
        Ok(png) => {
            if let Some(folder) = shot.parent() {
                let _ = std::fs::create_dir_all(folder);
            }
            std::fs::write(&shot, png).unwrap_or_else(|e| panic!("writing {}: {e}", shot.display()));
            eprintln!("the dashboard's screenshot: {}", shot.display());
        }
        Err(e) => eprintln!("no screenshot: {e}"),
    }
    let _ = client.close().await;
    let _ = driver.process.kill().await;
    drop(charger);
    app.stop().await;
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
