//! The open-files limit and the connection cap, on the real binary started with a low limit: it
//! raises its soft limit to the hard one, warns that this leaves less room than
//! `ocpp.max_connections` (and than `http.max_connections`: the HTTP API takes at most half of
//! what the process's own files leave), refuses chargers beyond the room with 503 (never a hang)
//! while the admitted ones are served, and refuses sockets beyond its budget at once.
//!
//! The child always runs on SQLite, even when `DATABASE_URL` names PostgreSQL: these tests are
//! about the hub's descriptors, not the database (and a PostgreSQL pool would change the reserve).

use protocol::{OcppVersion, v16};
use simulators::{Connect, SimCharger, SimError};
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite;

const TOKEN: &str = "open-files-operator-token";
/// Far above what the limit below leaves room for.
const MAX_CONNECTIONS: usize = 1000;
/// A hard limit of 240 with a soft one of 64: csms raises the soft limit to 240; with a pool of
/// two connections that leaves a few dozen charger sockets (the exact split is csms's to say).
const SHELL: &str = "ulimit -S -n 64 && ulimit -H -n 240 && exec \"$0\" serve";

/// The csms binary in a shell with a low open-files limit, killed when dropped (a failed test
/// included), with its log lines as they come.
struct Csms {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
    ocpp: SocketAddr,
    http: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Csms {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

impl Csms {
    async fn start() -> Csms {
        let dir = tempfile::tempdir().unwrap();
        let database = format!("sqlite://{}?mode=rwc", dir.path().join("csms.db").display());
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(SHELL)
            .arg(env!("CARGO_BIN_EXE_csms"))
            // Nothing of the test's environment (DATABASE_URL, CSMS__…) reaches the child, and
            // no config/ folder next to it.
            .env_clear()
            .current_dir(dir.path())
            .envs([
                ("RUST_LOG", "info,sqlx=warn"),
                ("NO_COLOR", "1"),
                ("CSMS__OCPP__LISTEN", "127.0.0.1:0"),
                ("CSMS__HTTP__LISTEN", "127.0.0.1:0"),
                ("CSMS__OCPP__MAX_CONNECTIONS", &MAX_CONNECTIONS.to_string()),
                ("CSMS__DATABASE__URL", &database),
                ("CSMS__DATABASE__MAX_CONNECTIONS", "2"),
                // Up to 128 API sockets (half of what the process's 70 files leave of 240: 85), and
                // a test-sized room for chargers.
                ("CSMS__HTTP__MAX_CONNECTIONS", "128"),
                ("CSMS__API__OPERATOR_TOKEN", TOKEN),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::unbounded_channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        for reader in [Box::new(stdout) as Box<dyn tokio::io::AsyncRead + Send + Unpin>, Box::new(stderr)] {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(reader).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut csms = Csms {
            child,
            lines,
            seen: Vec::new(),
            ocpp: ([0, 0, 0, 0], 0).into(),
            http: ([0, 0, 0, 0], 0).into(),
            _dir: dir,
        };
        let listening = csms.wait_for(|l| l.contains("listening")).await;
        csms.ocpp = field(&listening, "ocpp").parse().unwrap();
        csms.http = field(&listening, "http").parse().unwrap();
        csms
    }

    /// The first log line (already seen or still to come) that `matches`.
    async fn wait_for(&mut self, matches: impl Fn(&str) -> bool) -> String {
        if let Some(line) = self.seen.iter().find(|l| matches(l)) {
            return line.clone();
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => {
                    let line = strip_ansi(&line);
                    self.seen.push(line.clone());
                    if matches(&line) {
                        return line;
                    }
                }
                _ => panic!("csms did not log the line looked for; its log:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// The room and socket budget csms says the limit leaves.
    async fn room(&mut self) -> (usize, usize) {
        let line = self.wait_for(|l| l.contains("open files: soft limit")).await;
        let room = line.split("room for ").nth(1).and_then(|r| r.split(' ').next()).unwrap().parse().unwrap();
        (room, field(&line, "sockets").parse().unwrap())
    }

    fn ws_url(&self) -> String {
        format!("ws://{}", self.ocpp)
    }

    async fn register(&self, id: &str) {
        let body = serde_json::json!({ "id": id });
        let (status, answer) =
            simulators::http::request(self.http, "POST", "/api/v1/chargers", Some(TOKEN), Some(&body)).await.unwrap();
        assert_eq!(status, 201, "{answer}");
    }

    async fn connect(&self, id: &str) -> Result<SimCharger, SimError> {
        let connect = SimCharger::connect(Connect::new(self.ws_url(), id, OcppVersion::V16));
        tokio::time::timeout(Duration::from_secs(5), connect).await.expect("no hang: an answer within 5 s")
    }
}

/// `key=value` in a log line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    let prefix = format!("{key}=");
    line.split_whitespace().find_map(|w| w.strip_prefix(prefix.as_str())).unwrap_or_else(|| panic!("{key}= in {line}"))
}

/// Without terminal colours, whether or not the logger honours NO_COLOR.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test]
async fn csms_raises_its_open_files_limit_and_warns_when_it_leaves_less_room_than_max_connections() {
    let mut csms = Csms::start().await;
    let info = csms.wait_for(|l| l.contains("open files: soft limit")).await;
    assert!(info.contains("INFO"), "{info}");
    // The soft limit of 64 was raised to the hard one.
    assert!(info.contains("open files: soft limit 240 (hard 240): room for "), "{info}");
    let (room, _) = csms.room().await;
    assert!((1..MAX_CONNECTIONS).contains(&room), "{info}");
    let warning = csms.wait_for(|l| l.contains("WARN") && l.contains("ocpp.max_connections")).await;
    assert!(warning.contains(&format!("room for {room} chargers")), "{warning}");
    assert!(warning.contains(&MAX_CONNECTIONS.to_string()), "{warning}");
    assert!(warning.contains(&format!("effective cap is {room}")), "{warning}");
    // The HTTP API's 128 are more than half of what 64 + 3 × 2 files leave of 240: 85.
    assert!(info.contains("room for 69 chargers and 85 HTTP clients"), "{info}");
    let warning = csms.wait_for(|l| l.contains("WARN") && l.contains("http.max_connections")).await;
    assert!(warning.contains("room for 85 HTTP clients only, below http.max_connections = 128"), "{warning}");
}

#[tokio::test]
async fn a_charger_beyond_the_connection_cap_is_refused_with_503_and_admitted_once_a_slot_frees() {
    let mut csms = Csms::start().await;
    let (room, _) = csms.room().await;
    assert!((1..=100).contains(&room), "a test-sized room: {room}");
    const EXTRA: usize = 3;
    for n in 0..room + EXTRA {
        csms.register(&format!("CP-{n}")).await;
    }
    let mut admitted = Vec::new();
    for n in 0..room {
        let mut cp = csms.connect(&format!("CP-{n}")).await.unwrap();
        cp.call(v16::HeartbeatRequest {}).await.unwrap();
        admitted.push(cp);
    }

    // Beyond the cap: 503 with Retry-After, at once.
    for n in room..room + EXTRA {
        let started = std::time::Instant::now();
        match csms.connect(&format!("CP-{n}")).await {
            Err(SimError::Refused(status)) => assert_eq!(status, 503),
            other => panic!("CP-{n} beyond the cap of {room}: {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(2), "refused after {:?}", started.elapsed());
    }
    let url = format!("{}/ocpp/CP-{room}", csms.ws_url());
    match tokio_tungstenite::connect_async(url).await {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
            assert!(response.headers().contains_key("retry-after"), "{response:?}");
        }
        other => panic!("beyond the cap: {:?}", other.map(|(_, response)| response)),
    }
    // The admitted ones are served all the while.
    for cp in &mut admitted {
        cp.call(v16::HeartbeatRequest {}).await.unwrap();
    }

    // Two leave: two more are admitted (the server notices a close within moments), and the
    // cap holds again after them.
    for cp in admitted.drain(..2) {
        cp.close().await.unwrap();
    }
    for n in room..room + 2 {
        let mut admitted_late = None;
        for _ in 0..50 {
            match csms.connect(&format!("CP-{n}")).await {
                Ok(cp) => {
                    admitted_late = Some(cp);
                    break;
                }
                Err(SimError::Refused(status)) if status == 503 => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("CP-{n}: {e}"),
            }
        }
        let mut cp = admitted_late.unwrap_or_else(|| panic!("CP-{n} was not admitted after two chargers left"));
        cp.call(v16::HeartbeatRequest {}).await.unwrap();
        admitted.push(cp);
    }
    assert!(matches!(csms.connect(&format!("CP-{}", room + 2)).await, Err(SimError::Refused(_))));
    for cp in &mut admitted {
        cp.call(v16::HeartbeatRequest {}).await.unwrap();
    }
    assert!(!csms.seen.iter().any(|l| l.contains("accept error")), "{}", csms.seen.join("\n"));
}

#[tokio::test]
async fn sockets_beyond_the_budget_are_answered_503_at_once_and_chargers_connect_once_they_close() {
    let mut csms = Csms::start().await;
    let (_, sockets) = csms.room().await;
    assert!((1..=200).contains(&sockets), "a test-sized budget: {sockets}");
    csms.register("CP-AFTER").await;
    // Silent connections, still in their HTTP handshake, hold the whole budget ...
    let mut silent = Vec::new();
    for _ in 0..sockets {
        silent.push(tokio::net::TcpStream::connect(csms.ocpp).await.unwrap());
    }
    // ... so the next ones are answered 503 and closed as they are accepted, not left waiting.
    for _ in 0..3 {
        let mut over = tokio::net::TcpStream::connect(csms.ocpp).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(2), over.read_to_end(&mut answer))
            .await
            .expect("answered at once")
            .unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
        assert!(answer.contains("Retry-After: "), "{answer}");
    }
    // Once they close, a charger connects and is served.
    drop(silent);
    let mut connected = None;
    for _ in 0..50 {
        match csms.connect("CP-AFTER").await {
            Ok(cp) => {
                connected = Some(cp);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let mut cp = connected.expect("a charger connects once the silent sockets closed");
    cp.call(v16::HeartbeatRequest {}).await.unwrap();
    let refusals = csms.wait_for(|l| l.contains("refusing connections with 503")).await;
    assert!(refusals.contains("WARN") && refusals.contains("listener=chargers"), "{refusals}");
}
