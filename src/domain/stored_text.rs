//! `stored_text!`: an enum whose variants are stored (and shown) as fixed texts, mapped once —
//! `as_str`, `parse`, `ALL`, `Display` and comparison with a text, from one list of pairs.

/// Gives `$ty` (a fieldless enum) its stored texts: `ALL` (every variant, in the listed order),
/// `as_str` (the variant's text), `parse` (the variant a text names, if any), `Display` (the
/// text) and `== "TEXT"`.
macro_rules! stored_text {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in the order they are listed.
            pub const ALL: [$ty; [$($text),+].len()] = [$($ty::$variant),+];

            /// The stored (and shown) text.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text,)+
                }
            }

            /// The value its stored text names, if any (the text exactly, case included).
            pub fn parse(stored: &str) -> Option<Self> {
                match stored {
                    $($text => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, text: &&str) -> bool {
                self.as_str() == *text
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use stored_text;

#[cfg(test)]
mod tests {
    #![allow(unreachable_pub)] // the macro makes its items public; this test's enum is private

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Light {
        Red,
        Green,
    }

    stored_text!(Light { Red => "RED", Green => "green" });

    #[test]
    fn each_value_reads_back_from_its_text_and_no_other_text_names_one() {
        assert_eq!(Light::ALL, [Light::Red, Light::Green]);
        for light in Light::ALL {
            assert_eq!(Light::parse(light.as_str()), Some(light));
        }
        for other in ["red", "GREEN", "", "Red "] {
            assert_eq!(Light::parse(other), None, "{other:?}");
        }
    }

    #[test]
    fn a_value_shows_and_compares_as_its_text() {
        assert_eq!(Light::Red.to_string(), "RED");
        assert_eq!(format!("{}", Light::Green), "green");
        assert!(Light::Green == "green");
        assert!(Light::Red != "Red");
    }
}
