//! `GET /api/v1/piles/{code}/qr`: a pile's QR code as SVG, which a phone's camera reads as the
//! driver app's link to the pile under `http.public_base_url` — read back here by rasterizing
//! the SVG's modules and decoding them.

use crate::helpers::spawn_app_with;
use serde_json::json;

/// The dark modules of an SVG drawn as one path of `M x y h w v h H x V y` squares, as a bitmap.
fn bitmap(svg: &str) -> (usize, usize, Vec<bool>) {
    let number = |name: &str| -> usize {
        let at = svg.find(&format!(" {name}=\"")).unwrap_or_else(|| panic!("no {name} in {svg}")) + name.len() + 3;
        svg[at..].split('"').next().and_then(|n| n.parse().ok()).unwrap()
    };
    let (width, height) = (number("width"), number("height"));
    let mut dark = vec![false; width * height];
    let path =
        svg.split(" d=\"").nth(1).and_then(|d| d.split('"').next()).unwrap_or_else(|| panic!("no path in {svg}"));
    for rect in path.split('M').filter(|r| !r.is_empty()) {
        let mut numbers = rect.split(|c: char| c.is_ascii_alphabetic() || c == ' ').filter(|n| !n.is_empty());
        let mut next = || numbers.next().and_then(|n| n.parse::<usize>().ok()).unwrap_or_else(|| panic!("{rect}"));
        let (x, y, w, h) = (next(), next(), next(), next());
        for row in y..y + h {
            for col in x..x + w {
                dark[row * width + col] = true;
            }
        }
    }
    (width, height, dark)
}

#[tokio::test]
async fn a_piles_qr_code_reads_as_the_app_link_to_the_pile_under_the_public_base_url() {
    let app = spawn_app_with(|s| s.http.public_base_url = "https://charge.example.com/".into()).await;
    let station = json!({"code": "ST-QR", "name": "QR", "province": "上海", "city": "上海", "district": "黄浦",
        "address": "人民大道", "lng": 121.47, "lat": 31.23});
    assert_eq!(app.operator("POST", "/api/v1/stations", Some(&station)).await.0, 201);
    let pile = json!({"code": "SH QR/1", "name": "Pile", "stationCode": "ST-QR", "type": "AC", "maxPowerKw": 7});
    assert_eq!(app.operator("POST", "/api/v1/piles", Some(&pile)).await.0, 201);

    // Anyone may fetch it (it is printed on the pile).
    let answer = reqwest::get(format!("http://{}/api/v1/piles/SH%20QR%2F1/qr", app.http_addr)).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "image/svg+xml");
    let svg = answer.text().await.unwrap();
    let (width, height, dark) = bitmap(&svg);
    assert!(width >= 200 && height >= 200, "{width}×{height}");
    let mut image = rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| dark[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one code");
    let (_, link) = grids[0].decode().unwrap();
    assert_eq!(link, "https://charge.example.com/app/p/SH%20QR%2F1");

    let (status, body) = app.get("/api/v1/piles/NO-SUCH/qr").await;
    assert_eq!((status, &body["error"]), (404, &json!("not_found")));
    app.stop().await;
}
