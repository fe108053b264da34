//! `schemas/` holds exactly the files the binary embeds: one request and one response schema per
//! action of each version, byte for byte, and nothing else.

use protocol::{ActionSet, MessageKind, v16, v201};
use std::collections::BTreeSet;
use std::path::Path;

fn check<A: ActionSet>(folder: &str, request_suffix: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(folder);
    let on_disk: BTreeSet<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    let mut embedded = BTreeSet::new();
    for &action in A::ALL {
        for (kind, suffix) in [(MessageKind::Request, request_suffix), (MessageKind::Response, "Response")] {
            let name = format!("{}{suffix}.json", action.as_str());
            let text = std::fs::read_to_string(dir.join(&name)).unwrap_or_else(|e| panic!("{folder}/{name}: {e}"));
            assert_eq!(text, action.schema(kind), "{folder}/{name} differs from the embedded schema");
            embedded.insert(name);
        }
    }
    assert_eq!(on_disk, embedded, "{folder} has files no action embeds, or lacks some");
}

#[test]
fn the_ocpp16_folder_holds_exactly_the_embedded_schemas() {
    check::<v16::Action>("ocpp1.6", "");
}

#[test]
fn the_ocpp201_folder_holds_exactly_the_embedded_schemas() {
    check::<v201::Action>("ocpp2.0.1", "Request");
}
