//! The wire format's tests: every message read as the README documents it, and every bad one
//! refused with its reason.

use super::*;

#[test]
fn topics_name_the_pile_and_the_family_and_nothing_else_is_consumed() {
    assert_eq!(parse_topic("pile/MQ-1/heartbeat"), Some(("MQ-1", Family::Heartbeat)));
    assert_eq!(parse_topic("pile/MQ-1/charging/status"), Some(("MQ-1", Family::Status)));
    assert_eq!(parse_topic("pile/MQ-1/charging/finished"), Some(("MQ-1", Family::Finished)));
    for other in ["pile//heartbeat", "pile/MQ-1/command", "pile/MQ-1", "piles/MQ-1/heartbeat", "pile/MQ-1/charging"] {
        assert_eq!(parse_topic(other), None, "{other}");
    }
    assert_eq!(command_topic("MQ-1"), "pile/MQ-1/command");
}

#[test]
fn a_heartbeat_reads_its_status_and_readings_with_either_kind_of_time() {
    let text = br#"{"pileCode":"MQ-1","status":2,"voltage":229.5,"current":31.8,"power":7.3,"temperature":41,"timestamp":"2026-12-07T08:00:00+08:00"}"#;
    let PileMessage::Heartbeat(beat) = parse("MQ-1", Family::Heartbeat, text).unwrap() else { panic!() };
    assert_eq!((beat.connector_id, beat.state), (1, PileState::Charging));
    assert_eq!((beat.voltage_v, beat.power_kw, beat.temperature_c), (Some(229.5), Some(7.3), Some(41.0)));
    assert_eq!(beat.at.unwrap().to_rfc3339(), "2026-12-07T00:00:00+00:00");
    let millis = br#"{"pileCode":"MQ-1","connectorId":2,"status":1,"timestamp":1796601600000}"#;
    let PileMessage::Heartbeat(beat) = parse("MQ-1", Family::Heartbeat, millis).unwrap() else { panic!() };
    assert_eq!((beat.connector_id, beat.state, beat.voltage_v), (2, PileState::Idle, None));
    assert_eq!(beat.at.unwrap().timestamp_millis(), 1_796_601_600_000);
    // A last will: the pile's code and status 4, no time.
    let will = br#"{"pileCode":"MQ-1","status":4}"#;
    let PileMessage::Heartbeat(beat) = parse("MQ-1", Family::Heartbeat, will).unwrap() else { panic!() };
    assert_eq!((beat.state, beat.at), (PileState::Offline, None));
}

#[test]
fn a_status_and_a_finished_read_energy_as_whole_watt_hours() {
    let status = br#"{"pileCode":"MQ-1","orderNo":"O1","currentPower":7.2,"totalPower":3.2567,"totalTime":1620,"soc":55,"timestamp":"2026-12-07T00:27:00Z"}"#;
    let PileMessage::Status(s) = parse("MQ-1", Family::Status, status).unwrap() else { panic!() };
    assert_eq!(
        (s.connector_id, s.order_no.as_str(), s.total_wh, s.total_time_s, s.soc),
        (None, "O1", 3257, 1620, Some(55))
    );
    let finished = br#"{"pileCode":"MQ-1","connectorId":1,"orderNo":"O1","totalPower":12.5,"totalTime":5400,"startSoc":20,"endSoc":80,"stopReason":2,"timestamp":"2026-12-07T01:30:00Z"}"#;
    let PileMessage::Finished(f) = parse("MQ-1", Family::Finished, finished).unwrap() else { panic!() };
    assert_eq!(
        (f.connector_id, f.total_wh, f.reason, f.start_soc, f.end_soc),
        (Some(1), 12_500, FinishReason::Full, Some(20), Some(80))
    );
}

#[test]
fn bad_messages_are_refused_with_their_reason() {
    let refused = |family, text: &[u8]| parse("MQ-1", family, text).unwrap_err().outcome();
    assert_eq!(refused(Family::Heartbeat, b"{not json"), "malformed");
    assert_eq!(refused(Family::Heartbeat, br#"{"status":1}"#), "malformed");
    assert_eq!(refused(Family::Heartbeat, br#"{"pileCode":"MQ-2","status":1}"#), "code_mismatch");
    assert_eq!(refused(Family::Heartbeat, br#"{"pileCode":"MQ-1","status":7}"#), "out_of_range");
    assert_eq!(refused(Family::Heartbeat, br#"{"pileCode":"MQ-1","status":1,"voltage":-5}"#), "out_of_range");
    assert_eq!(refused(Family::Heartbeat, br#"{"pileCode":"MQ-1","status":1,"connectorId":0}"#), "out_of_range");
    assert_eq!(refused(Family::Heartbeat, br#"{"pileCode":"MQ-1","status":1,"timestamp":"yesterday"}"#), "malformed");
    let status = |extra: &str| {
        format!(
            r#"{{"pileCode":"MQ-1","orderNo":"O1","currentPower":7,"totalPower":1,"totalTime":60,"timestamp":"2026-12-07T00:00:00Z"{extra}}}"#
        )
    };
    assert!(parse("MQ-1", Family::Status, status("").as_bytes()).is_ok());
    assert_eq!(refused(Family::Status, status(r#","soc":101"#).as_bytes()), "out_of_range");
    assert_eq!(refused(Family::Status, status(r#","soc":"NaN""#).as_bytes()), "malformed");
    let glitch = br#"{"pileCode":"MQ-1","orderNo":"O1","currentPower":7,"totalPower":1e9,"totalTime":60,"timestamp":"2026-12-07T00:00:00Z"}"#;
    assert_eq!(refused(Family::Status, glitch), "out_of_range");
    let no_order = br#"{"pileCode":"MQ-1","orderNo":"","currentPower":7,"totalPower":1,"totalTime":60,"timestamp":"2026-12-07T00:00:00Z"}"#;
    assert_eq!(refused(Family::Status, no_order), "malformed");
    let reason = br#"{"pileCode":"MQ-1","orderNo":"O1","totalPower":1,"totalTime":60,"stopReason":9,"timestamp":"2026-12-07T00:00:00Z"}"#;
    assert_eq!(refused(Family::Finished, reason), "out_of_range");
}

#[test]
fn commands_are_written_as_the_readme_documents_them() {
    let at = "2026-12-07T00:00:00Z".parse().unwrap();
    let start = Command::Start {
        pile_code: "MQ-1".into(),
        connector_id: 1,
        order_no: "O1".into(),
        max_power: 7.0,
        max_time: 0,
        timestamp: at,
    };
    assert_eq!(
        serde_json::to_string(&start).unwrap(),
        r#"{"command":"start","pileCode":"MQ-1","connectorId":1,"orderNo":"O1","maxPower":7.0,"maxTime":0,"timestamp":"2026-12-07T00:00:00Z"}"#
    );
    let stop = Command::Stop { pile_code: "MQ-1".into(), order_no: "O1".into(), stop_reason: 1, timestamp: at };
    assert_eq!(
        serde_json::to_string(&stop).unwrap(),
        r#"{"command":"stop","pileCode":"MQ-1","orderNo":"O1","stopReason":1,"timestamp":"2026-12-07T00:00:00Z"}"#
    );
}
