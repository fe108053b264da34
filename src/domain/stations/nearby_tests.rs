//! The distance, the box around a circle (antimeridian and poles included), and the choice of
//! stations and free connectors from the box's rows.

use super::*;

const BEIJING: Point = Point { lng: 116.4074, lat: 39.9042 };
const SHANGHAI: Point = Point { lng: 121.4737, lat: 31.2304 };

/// The point `distance_km` from `from` on the initial bearing `bearing_deg`.
fn destination(from: Point, bearing_deg: f64, distance_km: f64) -> Point {
    let (lat1, lng1, bearing, angle) =
        (from.lat.to_radians(), from.lng.to_radians(), bearing_deg.to_radians(), distance_km / EARTH_RADIUS_KM);
    let lat2 = (lat1.sin() * angle.cos() + lat1.cos() * angle.sin() * bearing.cos()).asin();
    let lng2 = lng1 + (bearing.sin() * angle.sin() * lat1.cos()).atan2(angle.cos() - lat1.sin() * lat2.sin());
    let lng = (lng2.to_degrees() + 540.0).rem_euclid(360.0) - 180.0;
    Point { lng, lat: lat2.to_degrees() }
}

#[test]
fn the_haversine_distance_matches_known_distances() {
    let degree = haversine_km(Point { lng: 0.0, lat: 0.0 }, Point { lng: 0.0, lat: 1.0 });
    assert!((degree - 111.195).abs() < 0.001, "{degree}");
    let far = haversine_km(BEIJING, SHANGHAI);
    assert!((far - 1067.0).abs() < 3.0, "{far}");
    assert_eq!(haversine_km(SHANGHAI, SHANGHAI), 0.0);
    assert!((haversine_km(BEIJING, SHANGHAI) - haversine_km(SHANGHAI, BEIJING)).abs() < 1e-9);
    // Across the antimeridian the short way round.
    let across = haversine_km(Point { lng: 179.99, lat: 0.0 }, Point { lng: -179.99, lat: 0.0 });
    assert!((across - 2.224).abs() < 0.01, "{across}");
}

#[test]
fn the_box_holds_every_point_of_the_circle_and_little_more() {
    for centre in [SHANGHAI, BEIJING, Point { lng: -70.6, lat: -33.4 }, Point { lng: 24.9, lat: 60.2 }] {
        for radius in [0.5, 5.0, 50.0] {
            let area = GeoBox::around(centre, radius);
            assert_eq!(area.lng.len(), 1);
            for bearing in (0..360).step_by(5) {
                let edge = destination(centre, f64::from(bearing), radius * 0.999_999);
                assert!(area.contains(edge), "{centre:?} {radius} {bearing}: {edge:?} outside {area:?}");
            }
            let (north, south) = (destination(centre, 0.0, radius * 1.001), destination(centre, 180.0, radius * 1.001));
            assert!(!area.contains(north) && !area.contains(south), "{area:?}");
        }
    }
}

#[test]
fn a_box_across_the_antimeridian_is_two_longitude_ranges() {
    let centre = Point { lng: 179.99, lat: -16.5 };
    let area = GeoBox::around(centre, 10.0);
    assert_eq!(area.lng.len(), 2, "{area:?}");
    assert!(area.lng.iter().all(|(w, e)| -180.0 <= *w && w < e && *e <= 180.0), "{area:?}");
    for bearing in (0..360).step_by(10) {
        let edge = destination(centre, f64::from(bearing), 9.999);
        assert!(area.contains(edge), "{bearing}: {edge:?} outside {area:?}");
    }
    let west = GeoBox::around(Point { lng: -179.95, lat: 0.0 }, 20.0);
    assert!(west.contains(Point { lng: 179.95, lat: 0.0 }), "{west:?}");
    assert!(!west.contains(Point { lng: 0.0, lat: 0.0 }));
}

#[test]
fn a_box_that_reaches_a_pole_takes_every_longitude() {
    let north = GeoBox::around(Point { lng: 10.0, lat: 89.99 }, 5.0);
    assert_eq!(north.lng, vec![(-180.0, 180.0)]);
    assert_eq!(north.lat.1, 90.0);
    assert!(north.contains(Point { lng: -170.0, lat: 89.99 }));
    let south = GeoBox::around(Point { lng: 0.0, lat: -90.0 }, 1.0);
    assert_eq!((south.lat.0, south.lng.clone()), (-90.0, vec![(-180.0, 180.0)]));
}

#[test]
fn a_search_is_checked_field_by_field() {
    let field = |result: Result<(Point, f64), StationError>| match result {
        Err(StationError::Invalid { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(search(121.0, 31.0, None).unwrap().1, DEFAULT_RADIUS_KM);
    assert_eq!(field(search(181.0, 31.0, None)), "lng");
    assert_eq!(field(search(121.0, -91.0, None)), "lat");
    assert_eq!(field(search(121.0, 31.0, Some(50.5))), "radius_km");
    assert_eq!(field(search(121.0, 31.0, Some(0.0))), "radius_km");
}

fn row(station: &str, at: Point, pile: Option<(&str, bool)>, connector: Option<(i32, &str)>) -> NearbyRow {
    let now = Utc::now();
    NearbyRow {
        station_code: station.into(),
        station_name: format!("{station} name"),
        address: "somewhere".into(),
        lng: at.lng,
        lat: at.lat,
        station_status: "open".into(),
        pile_code: pile.map(|(code, _)| code.to_owned()),
        pile_type: pile.map(|_| "DC".to_owned()),
        max_power_w: pile.map(|_| 120_000),
        online_session: pile.and_then(|(_, online)| online.then(|| "token".to_owned())),
        online_node: None,
        last_seen_at: pile.map(|_| now),
        evse_id: connector.map(|_| 0),
        connector_id: connector.map(|(id, _)| id),
        connector_status: connector.map(|(_, status)| status.to_owned()),
    }
}

#[test]
fn stations_within_the_radius_come_nearest_first_with_their_free_online_connectors() {
    let near = destination(SHANGHAI, 90.0, 1.0);
    let farther = destination(SHANGHAI, 200.0, 3.0);
    let outside = destination(SHANGHAI, 10.0, 5.5);
    let rows = vec![
        row("FAR", farther, Some(("F1", true)), Some((1, "Available"))),
        row("NEAR", near, Some(("N1", true)), Some((1, "Available"))),
        row("NEAR", near, Some(("N1", true)), Some((2, "Charging"))),
        row("NEAR", near, Some(("N1", true)), Some((0, "Available"))),
        row("NEAR", near, Some(("N2", false)), Some((1, "Available"))),
        row("NEAR", near, Some(("N3", true)), None),
        row("OUT", outside, Some(("O1", true)), Some((1, "Available"))),
        row("EMPTY", farther, None, None),
    ];
    let found = nearest(rows, SHANGHAI, 5.0, Utc::now(), Duration::seconds(300), &Nodes::default());
    let codes: Vec<&str> = found.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(codes, ["NEAR", "EMPTY", "FAR"]);
    let near = &found[0];
    assert!((near.distance_km - 1.0).abs() < 0.001, "{}", near.distance_km);
    // Connector 0 is the charger itself; N2's connector is available but its pile is offline.
    assert_eq!((near.free_connectors, near.total_connectors), (1, 3));
    assert_eq!(near.connectors[0].pile_code, "N1");
    assert_eq!((found[1].free_connectors, found[1].total_connectors), (0, 0));
}

#[test]
fn a_closed_station_or_a_stale_pile_is_not_offered() {
    let mut closed = row("SHUT", SHANGHAI, Some(("S1", true)), Some((1, "Available")));
    closed.station_status = "closed".into();
    let mut stale = row("STALE", SHANGHAI, Some(("S2", true)), Some((1, "Available")));
    stale.last_seen_at = Some(Utc::now() - Duration::seconds(301));
    let found = nearest(vec![closed, stale], SHANGHAI, 5.0, Utc::now(), Duration::seconds(300), &Nodes::default());
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].code.as_str(), found[0].free_connectors, found[0].total_connectors), ("STALE", 0, 1));
}
