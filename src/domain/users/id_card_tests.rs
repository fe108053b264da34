//! Tests of `id_card`.

use super::*;
use proptest::prelude::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default()
}

/// A number with its check character computed.
fn with_check(first17: &str) -> String {
    let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    format!("{first17}{}", char::from(CHECK[(sum % 11) as usize]))
}

#[test]
fn a_valid_number_is_taken_and_shown_only_masked() {
    let id = ResidentId::parse("11010519491231002x", today());
    let Ok(id) = id else { panic!("{id:?}") };
    assert_eq!(id.masked(), "1101**********002X");
    assert_eq!(format!("{id:?}"), "ResidentId(\"1101**********002X\")");
    assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap_or_default());
    assert_eq!(id.expose(), "11010519491231002X");
}

#[test]
fn each_fault_is_named() {
    let parse = |s: &str| ResidentId::parse(s, today());
    assert_eq!(parse("11010519491231002"), Err(IdCardError::Format));
    assert_eq!(parse("1101051949123100Y2"), Err(IdCardError::Format));
    assert_eq!(parse(&with_check("99010519491231002")), Err(IdCardError::Region("990105".into())));
    assert_eq!(parse(&with_check("11000019491231002")), Err(IdCardError::Region("110000".into())));
    assert_eq!(parse(&with_check("11010519490230002")), Err(IdCardError::BirthDate("19490230".into())));
    assert_eq!(parse(&with_check("11010518991231002")), Err(IdCardError::BirthDate("18991231".into())));
    let future = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default();
    assert_eq!(parse(&with_check("11010520261202002")), Err(IdCardError::FutureBirth(future)));
    assert_eq!(parse("110105194912310021"), Err(IdCardError::CheckDigit { expected: 'X' }));
}

proptest! {
    #[test]
    fn any_number_with_its_check_character_is_taken_and_any_one_digit_changed_is_refused(
        province in proptest::sample::select(PROVINCES.to_vec()),
        county in 1u32..10_000,
        days in 0i64..45_000,
        sequence in 0u32..1000,
        at in 0usize..17,
        by in 1u8..10,
    ) {
        let birth = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default() + chrono::Duration::days(days);
        prop_assume!(birth <= today());
        let first17 = format!("{province:02}{county:04}{}{sequence:03}", birth.format("%Y%m%d"));
        let number = with_check(&first17);
        prop_assert_eq!(ResidentId::parse(&number, today()).map(|id| id.birth_date()), Ok(birth));
        // MOD 11-2 catches every single substitution: a changed digit never passes as the same
        // person (it may fail earlier, as a region or a date).
        let mut changed = number.into_bytes();
        changed[at] = b'0' + (changed[at] - b'0' + by) % 10;
        let changed = String::from_utf8(changed).unwrap_or_default();
        prop_assert!(ResidentId::parse(&changed, today()).is_err(), "{changed}");
    }
}
