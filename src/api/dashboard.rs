//! The operator dashboard: `GET /` (its page) and `GET /dashboard/{file}` (its script, style and
//! icon), plain HTML, CSS and JavaScript from assets/dashboard embedded in the binary, so that the
//! page loads nothing from another host. Each file carries an ETag (its SHA-256) and is
//! revalidated on every load: a new release is picked up at once, an unchanged file costs a 304.

use super::{ApiError, ApiState};
use axum::Router;
use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// The page's own files only: no inline script or style, nothing from elsewhere, no framing.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/// Revalidated every time (with the ETag, an unchanged file is a 304).
const REVALIDATE: &str = "no-cache";

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// Every file of the dashboard: its name under `/dashboard/`, its type and its bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    ("index.html", HTML, include_bytes!("../../assets/dashboard/index.html")),
    ("dashboard.css", CSS, include_bytes!("../../assets/dashboard/dashboard.css")),
    ("icon.svg", SVG, include_bytes!("../../assets/dashboard/icon.svg")),
    ("app.js", JS, include_bytes!("../../assets/dashboard/app.js")),
    ("api.js", JS, include_bytes!("../../assets/dashboard/api.js")),
    ("signin.js", JS, include_bytes!("../../assets/dashboard/signin.js")),
    ("piles.js", JS, include_bytes!("../../assets/dashboard/piles.js")),
    ("trend.js", JS, include_bytes!("../../assets/dashboard/trend.js")),
    ("alarms.js", JS, include_bytes!("../../assets/dashboard/alarms.js")),
    ("sessions.js", JS, include_bytes!("../../assets/dashboard/sessions.js")),
    ("stats.js", JS, include_bytes!("../../assets/dashboard/stats.js")),
    ("events.js", JS, include_bytes!("../../assets/dashboard/events.js")),
    ("format.js", JS, include_bytes!("../../assets/dashboard/format.js")),
];

/// Each file's ETag, in `FILES`' order, computed once.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(_, _, body)| {
            let digest = Sha256::digest(body);
            let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
            format!("\"{hex}\"")
        })
        .collect()
});

pub(super) fn router() -> Router<ApiState> {
    Router::new().route("/", get(page)).route("/dashboard/{file}", get(file))
}

async fn page(headers: HeaderMap) -> Response {
    serve("index.html", &headers).unwrap_or_else(IntoResponse::into_response)
}

async fn file(Path(name): Path<String>, headers: HeaderMap) -> Response {
    serve(&name, &headers).unwrap_or_else(IntoResponse::into_response)
}

/// The file named `name`, or a 304 when the client holds it already.
fn serve(name: &str, headers: &HeaderMap) -> Result<Response, ApiError> {
    let index = FILES
        .iter()
        .position(|(file, _, _)| *file == name)
        .ok_or_else(|| ApiError::NotFound(format!("dashboard file {name:?}")))?;
    let (_, content_type, body) = FILES[index];
    let etag = ETAGS.get(index).map(String::as_str).unwrap_or_default();
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|held| held.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(CONTENT_TYPE, content_type)], body).into_response()
    };
    let set = response.headers_mut();
    set.insert(CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
    set.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    set.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if let Ok(value) = HeaderValue::from_str(etag) {
        set.insert(ETAG, value);
    }
    if content_type == HTML {
        set.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_page_names_is_served() {
        let page = String::from_utf8_lossy(FILES[0].2);
        for (name, _, body) in FILES {
            let text = String::from_utf8_lossy(body);
            // Each script imports its siblings as `./name.js`; the page names its own by path.
            for named in text.split(['"', '\'']).filter_map(|s| s.strip_prefix("./").or(s.strip_prefix("/dashboard/")))
            {
                if named.ends_with(".js") || named.ends_with(".css") || named.ends_with(".svg") {
                    assert!(FILES.iter().any(|(f, _, _)| *f == named), "{name} names {named}, which is not served");
                }
            }
        }
        assert!(page.contains("/dashboard/app.js"));
    }

    #[test]
    fn a_file_held_already_is_not_sent_again() {
        let first = serve("app.js", &HeaderMap::new()).unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers().get(ETAG).unwrap().clone();
        let mut headers = HeaderMap::new();
        headers.insert(IF_NONE_MATCH, etag);
        assert_eq!(serve("app.js", &headers).unwrap().status(), StatusCode::NOT_MODIFIED);
        assert!(serve("../Cargo.toml", &HeaderMap::new()).is_err());
    }
}
