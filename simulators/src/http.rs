//! A minimal HTTP/1.1 client over a plain socket, for the CSMS's JSON API: `request` sends one
//! request per connection (`Connection: close`: registering fleet chargers, the integration
//! tests); `Client` keeps one connection alive for many (the nearby benchmark's clients), and a
//! `Pool` shares a few such connections among many callers, as a reverse proxy in front of the
//! API does for an app's users (the drivers benchmark). Written here rather than taken from
//! reqwest/hyper: a load generator on the server's own cores wants nothing between the write and
//! the clock but one socket and a buffer.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The largest response body read (a nearby answer of a dense city is a few hundred KB).
const MAX_BODY: usize = 64 << 20;

/// Sends `method path` with an optional bearer token and JSON body; returns the status and
/// the JSON body (`null` when it is not JSON).
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
) -> std::io::Result<(u16, serde_json::Value)> {
    let mut stream = TcpStream::connect(addr).await?;
    let body = body.map(serde_json::Value::to_string).unwrap_or_default();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: csms\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await?;
    let (head, body) = raw.split_once("\r\n\r\n").ok_or_else(|| invalid("not an HTTP response"))?;
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| invalid("no status"))?;
    Ok((status, serde_json::from_str(body).unwrap_or(serde_json::Value::Null)))
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

/// An answer: the status, the body as JSON (`null` when it is not JSON) and its size in bytes.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: serde_json::Value,
    pub bytes: usize,
}

/// One kept-alive connection to the API; reconnects when the server closed it.
#[derive(Debug)]
pub struct Client {
    addr: SocketAddr,
    conn: Option<BufReader<TcpStream>>,
    timeout: Duration,
}

impl Client {
    /// A client of `addr` (connecting at its first request), each request answered within 30 s.
    pub fn new(addr: SocketAddr) -> Self {
        Client { addr, conn: None, timeout: Duration::from_secs(30) }
    }

    /// Sends `method path` with an optional bearer token and JSON body. A kept connection that
    /// the server had closed before answering (no byte of an answer) is replaced once.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> std::io::Result<Answer> {
        let body = body.map(serde_json::Value::to_string).unwrap_or_default();
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: csms\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let mut text = head.into_bytes();
        text.extend_from_slice(body.as_bytes());
        let timeout = self.timeout;
        let answer = tokio::time::timeout(timeout, async {
            let reused = self.conn.is_some();
            match self.exchange(&text).await {
                // On a connection of its own: the stale one is dropped first.
                Err(Exchange::Stale(_)) if reused => {
                    self.conn = None;
                    self.exchange(&text).await
                }
                other => other,
            }
        })
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, format!("no answer within {timeout:?}")))?;
        answer.map_err(|e| {
            self.conn = None;
            match e {
                Exchange::Stale(e) | Exchange::Failed(e) => e,
            }
        })
    }

    async fn exchange(&mut self, request: &[u8]) -> Result<Answer, Exchange> {
        if self.conn.is_none() {
            let stream = TcpStream::connect(self.addr).await.map_err(Exchange::Failed)?;
            stream.set_nodelay(true).map_err(Exchange::Failed)?;
            self.conn = Some(BufReader::with_capacity(16 << 10, stream));
        }
        let Some(conn) = self.conn.as_mut() else { return Err(Exchange::Failed(invalid("no connection"))) };
        conn.get_mut().write_all(request).await.map_err(Exchange::Stale)?;
        let mut line = String::new();
        if conn.read_line(&mut line).await.map_err(Exchange::Stale)? == 0 {
            return Err(Exchange::Stale(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed")));
        }
        let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| fail("no status"))?;
        let (mut length, mut chunked, mut close) = (None, false, false);
        loop {
            line.clear();
            if conn.read_line(&mut line).await.map_err(Exchange::Failed)? == 0 {
                return Err(fail("the answer's head ended early"));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else { continue };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<usize>().map_err(|_| fail("a bad Content-Length"))?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            }
        }
        let mut body = Vec::new();
        if chunked {
            while let Some(chunk) = next_chunk(conn, MAX_BODY - body.len()).await.map_err(Exchange::Failed)? {
                body.extend_from_slice(&chunk);
            }
        } else if let Some(length) = length {
            if length > MAX_BODY {
                return Err(fail("the answer is too large"));
            }
            body.resize(length, 0);
            conn.read_exact(&mut body).await.map_err(Exchange::Failed)?;
        } else if !(status == 204 || status == 304 || status < 200) {
            // No length: the body runs to the end of the connection.
            conn.take(MAX_BODY as u64).read_to_end(&mut body).await.map_err(Exchange::Failed)?;
            close = true;
        }
        if close {
            self.conn = None;
        }
        let bytes = body.len();
        Ok(Answer { status, body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null), bytes })
    }
}

/// The next chunk of a chunked body, of at most `max` bytes; none once the last (empty) chunk
/// and its line end are read, so that a kept-alive connection is ready for the next answer.
pub(crate) async fn next_chunk<R: AsyncBufRead + Unpin>(conn: &mut R, max: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut line = String::new();
    if conn.read_line(&mut line).await? == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the chunked body ended early"));
    }
    let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
        .map_err(|_| invalid("a bad chunk size"))?;
    if size > max {
        return Err(invalid("the answer is too large"));
    }
    let mut chunk = vec![0; size];
    conn.read_exact(&mut chunk).await?;
    line.clear();
    conn.read_line(&mut line).await?;
    Ok((size > 0).then_some(chunk))
}

/// Kept-alive connections shared by many callers: a request takes a free one (waiting while all
/// are busy, which counts in its time, as behind a proxy) and gives it back.
#[derive(Debug, Clone)]
pub struct Pool {
    addr: SocketAddr,
    free: std::sync::Arc<std::sync::Mutex<Vec<Client>>>,
    permits: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Pool {
    /// At most `size` connections to `addr`, opened as needed.
    pub fn new(addr: SocketAddr, size: usize) -> Self {
        Pool { addr, free: Default::default(), permits: std::sync::Arc::new(tokio::sync::Semaphore::new(size.max(1))) }
    }

    /// `Client::send` on a connection of the pool.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> std::io::Result<Answer> {
        let _permit = self.permits.acquire().await.map_err(|_| invalid("the pool is closed"))?;
        let taken = self.free.lock().ok().and_then(|mut free| free.pop());
        let mut client = taken.unwrap_or_else(|| Client::new(self.addr));
        let answer = client.send(method, path, token, body).await;
        if let Ok(mut free) = self.free.lock() {
            free.push(client);
        }
        answer
    }
}

/// How an exchange failed: before any answer on a kept connection (worth one retry), or after.
enum Exchange {
    Stale(std::io::Error),
    Failed(std::io::Error),
}

fn fail(what: &str) -> Exchange {
    Exchange::Failed(invalid(what))
}
