//! The real-name check: a name and a resident identity number that passed the local check
//! (`id_card`) go to a `RealNameVerifier`; what is kept is the name, the number masked and a
//! keyed hash of it (so that one card can be recognised again), never the number.

use super::id_card::ResidentId;
use super::keyed_hash;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// Whether a name and a number belong together.
pub trait RealNameVerifier: Send + Sync + fmt::Debug {
    fn verify<'a>(
        &'a self,
        name: &'a str,
        id: &'a ResidentId,
    ) -> Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>>;
}

/// The local check alone (the default): a number that passed it is taken with any name.
#[derive(Debug, Default)]
pub struct LocalCheck;

impl RealNameVerifier for LocalCheck {
    fn verify<'a>(
        &'a self,
        _name: &'a str,
        _id: &'a ResidentId,
    ) -> Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>> {
        Box::pin(async { Ok(true) })
    }
}

/// A real name as a person writes it: 2 to 30 characters once trimmed, letters, `·` (as in
/// names of minorities) and spaces.
pub fn real_name(text: &str) -> Option<String> {
    let name = text.trim();
    let count = name.chars().count();
    let fits = name.chars().all(|c| c.is_alphabetic() || c == '·' || c == ' ');
    ((2..=30).contains(&count) && fits).then(|| name.to_owned())
}

/// The keyed hash of a number, as kept.
pub fn id_card_hash(key: &[u8], id: &ResidentId) -> String {
    keyed_hash(key, &[id.expose().as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_two_to_thirty_letters_are_taken() {
        assert_eq!(real_name(" 李雷 ").as_deref(), Some("李雷"));
        assert_eq!(real_name("买买提·艾力").as_deref(), Some("买买提·艾力"));
        for bad in ["李", "", "   ", "Li1", "<script>", &"名".repeat(31)] {
            assert_eq!(real_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_hash_depends_on_the_key_and_never_shows_the_number() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let id = ResidentId::parse("11010519491231002X", today).unwrap();
        let (a, b) = (id_card_hash(b"key one", &id), id_card_hash(b"key two", &id));
        assert_ne!(a, b);
        assert_eq!(a, id_card_hash(b"key one", &id));
        assert!(a.len() == 64 && !a.contains("19491231"));
    }
}
