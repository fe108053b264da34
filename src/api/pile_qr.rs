//! `GET /api/v1/piles/{code}/qr`: the QR code printed on a pile, as SVG — it opens the driver
//! app at the pile, `<http.public_base_url>/app/p/{code}`.

use super::{ApiError, ApiState};
use crate::domain::ids::ChargerId;
use crate::domain::stations::StationError;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

pub(super) fn router() -> Router<ApiState> {
    Router::new().route("/api/v1/piles/{code}/qr", get(qr))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(qr))]
pub(super) struct Doc;

/// A pile's QR code (anyone): SVG that opens the driver app at the pile.
#[utoipa::path(get, path = "/api/v1/piles/{code}/qr", tag = "piles", operation_id = "getPileQr",
    params(("code" = String, Path, description = "The pile's code")),
    responses(
        (status = 200, description = "The QR code of `<http.public_base_url>/app/p/{code}`", content_type = "image/svg+xml", body = String),
        (status = 404, description = "`not_found`: no such pile", body = super::schemas::ErrorBody),
        (status = 500, description = "`internal`", body = super::schemas::ErrorBody),
    ))]
async fn qr(State(state): State<ApiState>, Path(code): Path<String>) -> Result<Response, ApiError> {
    let Ok(id) = ChargerId::parse(code.as_str()) else { return Err(StationError::NoPile(code).into()) };
    state.stations.pile(&id).await?.ok_or(StationError::NoPile(code))?;
    let image = svg_of(&app_link(&state.public_base, id.as_str()))?;
    Ok(([(CONTENT_TYPE, "image/svg+xml"), (CACHE_CONTROL, "public, max-age=3600")], image).into_response())
}

/// Where the driver app opens at pile `code`: its code as one path segment.
pub fn app_link(public_base: &str, code: &str) -> String {
    let mut link = format!("{}/app/p/", public_base.trim_end_matches('/'));
    for byte in code.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            link.push(char::from(byte));
        } else {
            link.push_str(&format!("%{byte:02X}"));
        }
    }
    link
}

/// The QR code of `link` as SVG: error correction M (a pile's sticker gets scratched), a quiet
/// zone, 8 pixels a module at least.
pub fn svg_of(link: &str) -> Result<String, ApiError> {
    let code = QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M)
        .map_err(|e| ApiError::Internal(format!("the pile's link does not fit a QR code: {e}")))?;
    Ok(code.render::<svg::Color>().min_dimensions(200, 200).quiet_zone(true).build())
}

#[cfg(test)]
mod tests {
    use super::app_link;

    #[test]
    fn a_piles_link_holds_its_code_as_one_path_segment() {
        assert_eq!(app_link("https://charge.example.com/", "SH-001"), "https://charge.example.com/app/p/SH-001");
        assert_eq!(app_link("http://127.0.0.1:8080", "A B/桩"), "http://127.0.0.1:8080/app/p/A%20B%2F%E6%A1%A9");
    }
}
