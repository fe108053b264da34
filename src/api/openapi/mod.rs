//! The API's OpenAPI document, generated from the handlers' `#[utoipa::path]` and the views'
//! `ToSchema`, served at `GET /api/openapi.json`; and a browsable Swagger UI at `GET /api/docs`
//! whose assets (assets/swagger-ui, vendored from npm's swagger-ui-dist) are embedded in the binary
//! and served by csms itself: the page loads nothing from another host.

use super::ApiState;
use super::schemas::ErrorBody;
use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::LazyLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The vendored Swagger UI's version: in the assets' URLs, so that an update is fetched anew
/// despite their long cache lifetime.
const SWAGGER_UI_VERSION: &str = "5.35.0";
const BUNDLE_JS: &[u8] = include_bytes!("../../../assets/swagger-ui/swagger-ui-bundle.js");
const STYLE_CSS: &[u8] = include_bytes!("../../../assets/swagger-ui/swagger-ui.css");
const INITIALIZER_JS: &str = include_str!("swagger-initializer.js");

/// Assets named by version: a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// What changes with each release: revalidated every time.
const REVALIDATE: &str = "no-cache";

pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/docs", get(docs_page))
        .route("/api/docs/swagger-ui-bundle.js", get(bundle_js))
        .route("/api/docs/swagger-ui.css", get(style_css))
        .route("/api/docs/swagger-initializer.js", get(initializer_js))
}

/// The whole document: this module's frame (info, tags, the bearer scheme, the error body)
/// with every route file's paths merged in.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "csms",
        description = "The HTTP API of csms, an OCPP 1.6J / 2.0.1 central system with a charging business: \
            drivers sign in by SMS code and charge through orders; operators run chargers, stations, piles, \
            transactions, payments and balances.\n\n\
            Authenticate with `Authorization: Bearer <token>`: a driver's or operator's sign-in token \
            (from `/api/v1/auth/login` or `/register`), or the operator token (`api.operator_token`). \
            Every error is `{\"error\": \"<snake_case_code>\", \"message\": \"…\"}`; money is yuan as \
            decimal strings (\"12.30\"); lists are paged with `page` and `pageSize`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&BearerScheme),
    components(schemas(ErrorBody)),
    tags(
        (name = "auth", description = "Sign-up and sign-in by SMS code"),
        (name = "me", description = "The signed-in user: profile, cards, balance, ledger, events"),
        (name = "chargers", description = "Chargers and the OCPP commands sent to them (operators)"),
        (name = "transactions", description = "Charging transactions as chargers report them, and id tags (operators)"),
        (name = "stations", description = "Stations, the stations nearby, and their tariffs"),
        (name = "piles", description = "Piles: chargers placed in stations"),
        (name = "orders", description = "Charging orders, from creation to settlement"),
        (name = "payments", description = "Payments and refunds"),
        (name = "users", description = "Users' balances and ledgers (operators)"),
        (name = "stats", description = "Orders, energy, revenue, utilisation and users by day, station or pile (operators)"),
    )
)]
struct ApiDoc;

/// The `bearer` security scheme the operations name.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "A driver's or operator's sign-in token (a JWT from `/api/v1/auth/login`), or the operator token",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Each route file's part of the document.
fn parts() -> [utoipa::openapi::OpenApi; 19] {
    [
        super::users::Doc::openapi(),
        super::events::Doc::openapi(),
        super::chargers::Doc::openapi(),
        super::transactions::Doc::openapi(),
        super::stations::Doc::openapi(),
        super::nearby::Doc::openapi(),
        super::piles::Doc::openapi(),
        super::orders::Doc::openapi(),
        super::reservations::Doc::openapi(),
        super::membership::Doc::openapi(),
        super::tariffs::Doc::openapi(),
        super::operations::Doc::openapi(),
        super::pile_qr::Doc::openapi(),
        super::payments::Doc::openapi(),
        super::provider_payments::Doc::openapi(),
        super::monitoring::Doc::openapi(),
        super::staff::Doc::openapi(),
        super::stats::Doc::openapi(),
        super::audit::Doc::openapi(),
    ]
}

/// The OpenAPI document.
pub(super) fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in parts() {
        doc.merge(part);
    }
    doc
}

/// The document as JSON, made once.
static DOCUMENT_JSON: LazyLock<Result<String, String>> =
    LazyLock::new(|| document().to_json().map_err(|e| e.to_string()));

async fn openapi_json() -> Result<Response, super::ApiError> {
    let json = DOCUMENT_JSON.as_ref().map_err(|e| super::ApiError::Internal(format!("the OpenAPI document: {e}")))?;
    Ok(([(CONTENT_TYPE, "application/json"), (CACHE_CONTROL, REVALIDATE)], json.clone()).into_response())
}

/// The Swagger UI page: csms's own assets only.
async fn docs_page() -> Response {
    let page = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>csms API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css?v={SWAGGER_UI_VERSION}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js?v={SWAGGER_UI_VERSION}"></script>
<script src="/api/docs/swagger-initializer.js"></script>
</body>
</html>
"#
    );
    ([(CONTENT_TYPE, "text/html; charset=utf-8"), (CACHE_CONTROL, REVALIDATE)], page).into_response()
}

async fn bundle_js() -> Response {
    asset("text/javascript; charset=utf-8", BUNDLE_JS, IMMUTABLE)
}

async fn style_css() -> Response {
    asset("text/css; charset=utf-8", STYLE_CSS, IMMUTABLE)
}

async fn initializer_js() -> Response {
    asset("text/javascript; charset=utf-8", INITIALIZER_JS.as_bytes(), REVALIDATE)
}

fn asset(content_type: &'static str, body: &'static [u8], cache: &'static str) -> Response {
    ([(CONTENT_TYPE, content_type), (CACHE_CONTROL, cache), (X_CONTENT_TYPE_OPTIONS, "nosniff")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Merging keeps the first of two schemas of one name: two route files naming different
    /// types alike (two `ConnectorView`s) would lose one silently.
    #[test]
    fn no_two_route_files_name_different_schemas_alike() {
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for part in parts() {
            for (name, schema) in part.components.map(|c| c.schemas).unwrap_or_default() {
                let json = serde_json::to_string(&schema).unwrap_or_default();
                if let Some(earlier) = seen.insert(name.clone(), json.clone()) {
                    assert_eq!(earlier, json, "two schemas are named {name}");
                }
            }
        }
    }

    #[test]
    fn every_operation_has_a_unique_id() {
        let doc = document();
        let mut ids: Vec<String> = doc
            .paths
            .paths
            .values()
            .flat_map(|item| {
                [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                    .into_iter()
                    .flatten()
                    .filter_map(|op| op.operation_id.clone())
                    .collect::<Vec<_>>()
            })
            .collect();
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "duplicate operation ids");
    }
}
