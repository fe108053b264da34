//! `csms health`: one GET of a running server's `/health`, the container image's health check
//! (the image has no curl). Healthy is a 2xx answer within the timeout; anything else — another
//! status, no answer in time, a URL that is not http(s) — is not.

use std::time::Duration;

/// What `csms health` asks when given no `--url`: `/health` on the HTTP listener's default port.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080/health";
/// How long the probe waits for the answer, connecting included (kept under the 5 s that the
/// Dockerfile's HEALTHCHECK and the Kubernetes probes allow).
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// Why the server did not count as healthy.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{0:?} is not an http:// or https:// URL with a host")]
    NotHttp(String),
    #[error("the HTTP client cannot be built: {0}")]
    Client(String),
    #[error("no answer within {0:?}")]
    TimedOut(Duration),
    #[error("no answer: {0}")]
    Transport(String),
    #[error("answered HTTP {0}")]
    Status(u16),
}

/// GETs `url`; the status when it is 2xx.
pub async fn check(url: &str, timeout: Duration) -> Result<u16, ProbeError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| ProbeError::NotHttp(url.to_owned()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(ProbeError::NotHttp(url.to_owned()));
    }
    let client = crate::http_client::client(timeout).map_err(|e| ProbeError::Client(e.to_string()))?;
    let response =
        client.get(parsed).send().await.map_err(|e| {
            if e.is_timeout() { ProbeError::TimedOut(timeout) } else { ProbeError::Transport(causes(e)) }
        })?;
    let status = response.status();
    if status.is_success() { Ok(status.as_u16()) } else { Err(ProbeError::Status(status.as_u16())) }
}

/// `csms health`: checks `url`, says how it went (stdout when healthy, stderr when not) and
/// gives the process's exit code: 0 healthy, 1 not.
pub async fn run(url: &str) -> i32 {
    match check(url, TIMEOUT).await {
        Ok(status) => {
            println!("healthy: {url} answered HTTP {status}");
            0
        }
        Err(e) => {
            eprintln!("unhealthy: {url}: {e}");
            1
        }
    }
}

/// The error and its sources, e.g. "error sending request: client error (Connect): Connection
/// refused (os error 111)" (without the URL, which `run` prints once).
fn causes(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut said = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !said.ends_with(&text) {
            said.push_str(": ");
            said.push_str(&text);
        }
        source = cause.source();
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_url_that_is_not_http_is_refused_before_any_request() {
        for bad in ["ftp://127.0.0.1/health", "127.0.0.1:8080/health", "not a url", "file:///etc/passwd"] {
            let said = check(bad, TIMEOUT).await.unwrap_err();
            assert!(matches!(said, ProbeError::NotHttp(_)), "{bad}: {said}");
        }
    }

    #[tokio::test]
    async fn a_port_nobody_listens_on_is_unhealthy() {
        // Bound then dropped: the port is free, and a connection to it is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}/health");
        let said = check(&url, Duration::from_secs(2)).await.unwrap_err();
        assert!(matches!(said, ProbeError::Transport(_) | ProbeError::TimedOut(_)), "{said}");
        assert_eq!(run(&url).await, 1);
    }
}
