//! The compact form gives back exactly the samples it was made of.

use super::*;
use proptest::prelude::*;

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_547_200, 123_000).unwrap()
}

fn sample(measurand: &str, phase: Option<&str>, context: &str, location: &str, unit: &str, value: &str) -> Sample {
    Sample {
        sampled_at: at(),
        measurand: measurand.into(),
        phase: phase.map(Into::into),
        context: context.into(),
        location: location.into(),
        unit: unit.into(),
        value: value.into(),
    }
}

#[test]
fn a_usual_reading_of_five_measurands_takes_a_few_bytes_per_sample() {
    let reading = [
        sample("Voltage", None, "Sample.Periodic", "Outlet", "V", "229.7"),
        sample("Current.Import", None, "Sample.Periodic", "Outlet", "A", "31.84"),
        sample("Power.Active.Import", None, "Sample.Periodic", "Outlet", "W", "7313.2"),
        sample("Temperature", None, "Sample.Periodic", "Outlet", "Celsius", "41.5"),
        sample("Energy.Active.Import.Register", None, "Sample.Periodic", "Outlet", "Wh", "1000120"),
    ];
    let json = encode(&reading);
    assert_eq!(json, r#"{"V":229.7,"I":31.84,"P":7313.2,"T":41.5,"E":1000120}"#);
    assert_eq!(decode(at(), &json).unwrap(), reading);
}

#[test]
fn what_differs_from_the_usual_is_spelled_out_in_the_key() {
    let s = sample("Voltage", Some("L1-N"), "Transaction.End", "EV", "kV", "0.23");
    assert_eq!(key(&s), "V/L1-N@EV!x#kV");
    let odd = sample("Made.Up/Thing", Some("L#1"), "Something!", "Up@Stairs", "%", "x/y");
    assert_eq!(key(&odd), "~Made.Up%2FThing/L%231@Up%40Stairs!~Something%21#%25");
    assert_eq!(decode(at(), &encode([&s, &odd])).unwrap(), [s, odd]);
}

#[test]
fn a_second_copy_of_a_key_is_left_out_as_the_store_ignores_it() {
    let first = sample("SoC", None, "Sample.Periodic", "EV", "Percent", "40");
    let copy = sample("SoC", None, "Sample.Periodic", "EV", "Percent", "41");
    assert_eq!(decode(at(), &encode([&first, &copy])).unwrap(), [first]);
}

#[test]
fn values_other_than_plain_decimals_are_strings_and_come_back_as_sent() {
    for value in ["007", "1e3", "-0", "0.10", "-0.5", "12.", ".5", "+1", "abc", "1.2.3", "0"] {
        let s = sample("Voltage", None, "Sample.Periodic", "Outlet", "V", value);
        let json = encode([&s]);
        let plain = matches!(value, "0.10" | "-0.5" | "0");
        assert_eq!(json == format!(r#"{{"V":{value}}}"#), plain, "{value}: {json}");
        assert_eq!(decode(at(), &json).unwrap(), [s]);
    }
}

#[test]
fn stored_text_that_is_not_a_reading_is_an_error() {
    assert!(decode(at(), "[1]").is_err());
    assert!(decode(at(), r#"{"V":1e3}"#).is_err());
    assert!(decode(at(), r#"{"V":[1]}"#).is_err());
    assert!(decode(at(), r#"{"Vx":"1"}"#).is_err());
    assert!(decode(at(), r#"{"V!z":"1"}"#).is_err());
    assert!(decode(at(), r#"{"V/%zz":"1"}"#).is_err());
}

#[test]
fn sql_names_every_measurand_with_a_code() {
    let sql = measurand_names("k");
    for (name, code, _) in MEASURANDS {
        assert!(sql.contains(&format!("WHEN '{code}' THEN '{name}'")));
    }
    let mut codes: Vec<char> = MEASURANDS.iter().map(|(_, c, _)| *c).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), MEASURANDS.len(), "codes are unique");
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9./@!#%~ -]{0,12}",
        proptest::sample::select(vec!["Outlet", "EV", "Sample.Periodic", "Trigger", "Wh", "V", "L1"])
            .prop_map(String::from),
    ]
}

fn measurand() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(MEASURANDS.iter().map(|(n, ..)| *n).collect::<Vec<_>>()).prop_map(String::from),
        text()
    ]
}

prop_compose! {
    fn any_sample()(m in measurand(), phase in proptest::option::of(text()), context in text(), location in text(),
                    unit in text(), value in ".{0,8}") -> Sample {
        Sample { sampled_at: at(), measurand: m, phase, context, location, unit, value }
    }
}

proptest! {
    #[test]
    fn any_samples_come_back_exactly_first_copy_of_each_key_kept(samples in proptest::collection::vec(any_sample(), 0..8)) {
        let mut expected: Vec<Sample> = Vec::new();
        for s in &samples {
            if !expected.iter().any(|e| key(e) == key(s)) {
                expected.push(s.clone());
            }
        }
        prop_assert_eq!(decode(at(), &encode(&samples)).unwrap(), expected);
    }

    #[test]
    fn samples_with_other_keys_are_other_samples(a in any_sample(), b in any_sample()) {
        let same = (&a.measurand, &a.phase, &a.context, &a.location, &a.unit)
            == (&b.measurand, &b.phase, &b.context, &b.location, &b.unit);
        prop_assert_eq!(key(&a) == key(&b), same);
    }
}
