//! Server-sent events over a plain socket: `subscribe` sends one `GET` with a bearer token and
//! hands each event (its name and JSON data) to a channel as it arrives, until the stream ends.
//! Drivers learn their orders' progress this way (`GET /api/v1/me/events`), as the app does,
//! rather than by polling.

use std::net::SocketAddr;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// The largest chunk accepted (an order's event with its bill is a few KB).
const MAX_CHUNK: usize = 1 << 20;

/// One event: its name (`order.completed`…) and its data as JSON (`null` when not JSON).
#[derive(Debug, Clone)]
pub struct ServerEvent {
    pub name: String,
    pub data: serde_json::Value,
}

/// Opens the stream at `path` and returns its events; the channel closes when the stream
/// ends (the server stopped, the connection broke, or a malformed answer).
pub async fn subscribe(
    addr: SocketAddr,
    path: &str,
    token: &str,
) -> std::io::Result<mpsc::UnboundedReceiver<ServerEvent>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut conn = BufReader::with_capacity(8 << 10, stream);
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: csms\r\nAccept: text/event-stream\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    conn.get_mut().write_all(request.as_bytes()).await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status = line.split(' ').nth(1).unwrap_or("");
    if status != "200" {
        return Err(invalid(&format!("the event stream was refused: {}", line.trim_end())));
    }
    let mut chunked = false;
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Err(invalid("the answer's head ended early"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("transfer-encoding")
        {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    if !chunked {
        return Err(invalid("the event stream is not chunked"));
    }
    let (events, received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut text = Events::default();
        while let Ok(Some(chunk)) = crate::http::next_chunk(&mut conn, MAX_CHUNK).await {
            for event in text.feed(&chunk) {
                if events.send(event).is_err() {
                    return;
                }
            }
        }
    });
    Ok(received)
}

/// Event-stream text cut into events: a blank line ends one; `event:` names it, `data:` lines
/// make its data, comments (`:` keep-alives) are skipped.
#[derive(Debug, Default)]
struct Events {
    pending: Vec<u8>,
}

impl Events {
    fn feed(&mut self, bytes: &[u8]) -> Vec<ServerEvent> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = self.pending.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = self.pending.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&block);
            let (mut name, mut data) = (String::new(), Vec::new());
            for line in text.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = value.trim().to_owned();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
                }
            }
            if !name.is_empty() || !data.is_empty() {
                let data = serde_json::from_str(&data.join("\n")).unwrap_or(serde_json::Value::Null);
                events.push(ServerEvent { name: if name.is_empty() { "message".into() } else { name }, data });
            }
        }
        events
    }
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_cut_at_blank_lines_whatever_the_chunks() {
        let mut text = Events::default();
        assert!(text.feed(b": keep-alive\n\nevent: order.started\ndata: {\"orderNo\":").is_empty());
        let events = text.feed(b"\"C1\"}\n\nevent: order.completed\ndata: {}\n\n");
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].name, "order.started");
        assert_eq!(events[0].data["orderNo"], "C1");
        assert_eq!(events[1].name, "order.completed");
    }
}
