//! How a payment is made: from the balance, or through a provider. The domain names no
//! provider: their names come from the registry (`providers::ALL`), handed over as `Methods`
//! by startup, and text is read against them where it comes in.

/// A provider's name, as the registry hands it out: its method's stored text, its
/// `[payments.<name>]` and its notification route's `{provider}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProviderName(&'static str);

impl ProviderName {
    /// The name a provider's folder gives itself (lowercase, never `balance`: the registry's
    /// test checks them).
    pub const fn new(name: &'static str) -> Self {
        ProviderName(name)
    }

    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

/// How a payment is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Balance,
    Provider(ProviderName),
}

impl Method {
    /// The balance's stored text.
    pub const BALANCE: &'static str = "balance";

    /// The stored (and shown) text.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Balance => Method::BALANCE,
            Method::Provider(name) => name.as_str(),
        }
    }
}

impl PartialEq<&str> for Method {
    fn eq(&self, text: &&str) -> bool {
        self.as_str() == *text
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The methods csms knows: the balance, then each provider of the registry in its order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Methods(&'static [ProviderName]);

impl Methods {
    /// The balance and `providers`.
    pub const fn new(providers: &'static [ProviderName]) -> Self {
        Methods(providers)
    }

    /// The method its stored text names, if any (the text exactly, case included).
    pub fn parse(&self, text: &str) -> Option<Method> {
        if text == Method::BALANCE {
            return Some(Method::Balance);
        }
        self.0.iter().find(|name| name.as_str() == text).map(|name| Method::Provider(*name))
    }

    /// Every method, the balance first.
    pub fn all(self) -> impl Iterator<Item = Method> {
        std::iter::once(Method::Balance).chain(self.0.iter().map(|name| Method::Provider(*name)))
    }

    /// The providers' names, in the registry's order.
    pub fn providers(&self) -> &'static [ProviderName] {
        self.0
    }

    /// The methods' names as a sentence lists them ("balance, wechat, alipay or unionpay"), the
    /// balance left out unless `balance`.
    pub fn listed(&self, balance: bool) -> String {
        let names: Vec<&str> = self.all().filter(|m| balance || *m != Method::Balance).map(Method::as_str).collect();
        match names.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [ProviderName; 2] = [ProviderName::new("acme"), ProviderName::new("zeta")];
    const METHODS: Methods = Methods::new(&NAMES);

    #[test]
    fn a_method_reads_back_from_its_text_and_no_other_text_names_one() {
        assert_eq!(
            METHODS.all().collect::<Vec<_>>(),
            [Method::Balance, Method::Provider(NAMES[0]), Method::Provider(NAMES[1])]
        );
        for method in METHODS.all() {
            assert_eq!(METHODS.parse(method.as_str()), Some(method));
        }
        for other in ["Balance", "ACME", "", "zeta ", "other"] {
            assert_eq!(METHODS.parse(other), None, "{other:?}");
        }
        assert_eq!(Methods::default().parse("acme"), None);
    }

    #[test]
    fn the_methods_are_listed_as_a_sentence_says_them() {
        assert_eq!(METHODS.listed(true), "balance, acme or zeta");
        assert_eq!(METHODS.listed(false), "acme or zeta");
        assert_eq!(Methods::default().listed(true), "balance");
        assert_eq!(Methods::default().listed(false), "");
    }

    #[test]
    fn a_method_shows_and_compares_as_its_text() {
        assert_eq!(Method::Provider(NAMES[0]).to_string(), "acme");
        assert!(Method::Balance == "balance");
    }
}
