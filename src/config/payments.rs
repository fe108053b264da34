//! `[payments]`: where the providers call back, and per provider whether csms talks to the real
//! one (`live`), to the stand-in it serves itself (`sandbox`, the default of a build with the
//! `sandbox` feature) or to none (`off`), with the merchant's identifiers and keys — each
//! provider's section `[payments.<name>]` read as its own settings' type
//! (`src/providers/<name>/settings.rs`) by its entry in `providers::ALL`, handed to this file as
//! `SectionEntry`s (`providers::sections`): it names no provider and asks no list.

use figment::Figment;
use figment::providers::Serialized;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::fmt;

/// `[payments]`.
#[derive(Clone, Debug, Deserialize)]
pub struct PaymentSettings {
    /// The public base URL providers call back (`…/api/v1/payments/notify/{provider}` is
    /// added); empty: csms's own HTTP listener.
    pub notify_base_url: String,
    /// A provider payment left unpaid this long is closed at the provider.
    pub close_after_minutes: u64,
    /// How often payments whose notification has not come are asked after at the provider.
    pub reconcile_interval_s: u64,
    /// The first wait before a refund is sent again, or asked after again while its provider has
    /// it under way; it doubles each time, up to an hour.
    pub refund_retry_s: u64,
    /// Each provider's section, `[payments.<name>]` (read by `Settings::load`, after the rest).
    #[serde(skip)]
    pub providers: ProviderSections,
}

impl PaymentSettings {
    /// The section of the provider whose settings are `T`.
    pub fn section<T: ProviderSettings>(&self) -> Option<&T> {
        self.providers.0.iter().find_map(|(_, section)| (&**section as &dyn Any).downcast_ref::<T>())
    }

    /// The same, to change (tests).
    pub fn section_mut<T: ProviderSettings>(&mut self) -> Option<&mut T> {
        self.providers.0.iter_mut().find_map(|(_, section)| (&mut **section as &mut dyn Any).downcast_mut::<T>())
    }

    /// `payments.<name>.mode`; `off` for a provider whose section was not read.
    pub fn mode(&self, name: &str) -> ProviderMode {
        let section = self.providers.0.iter().find(|(named, _)| *named == name);
        section.map_or(ProviderMode::Off, |(_, section)| section.mode())
    }
}

/// A provider's settings, `[payments.<name>]`: its own type, in its folder.
pub trait ProviderSettings: Any + Send + Sync + fmt::Debug {
    /// `payments.<name>.mode`.
    fn mode(&self) -> ProviderMode;
    /// A copy of them (settings are cloned whole).
    fn clone_box(&self) -> Box<dyn ProviderSettings>;
}

/// The providers' sections by name, in the order of `providers::ALL`; `Debug` shows each as
/// its type does (no secret).
#[derive(Default)]
pub struct ProviderSections(Vec<(&'static str, Box<dyn ProviderSettings>)>);

impl Clone for ProviderSections {
    fn clone(&self) -> Self {
        ProviderSections(self.0.iter().map(|(name, section)| (*name, section.clone_box())).collect())
    }
}

impl fmt::Debug for ProviderSections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter().map(|(name, section)| (name, section))).finish()
    }
}

/// How a provider's entry reads its section from the layered settings (`read_section`).
pub type ReadSection = fn(&Figment, &'static str) -> Result<Box<dyn ProviderSettings>, Box<figment::Error>>;

/// Reads `[payments.<name>]` as `T`: a provider entry's `settings`.
pub fn read_section<T: ProviderSettings + DeserializeOwned>(
    figment: &Figment,
    name: &'static str,
) -> Result<Box<dyn ProviderSettings>, Box<figment::Error>> {
    Ok(Box::new(figment.extract_inner::<T>(&format!("payments.{name}")).map_err(Box::new)?))
}

/// What reading settings needs of a provider: its name, how it reads its section, and its
/// settings the environment gives as text. The providers' list hands them over
/// (`providers::sections`): configuration names no provider.
#[derive(Clone, Copy, Debug)]
pub struct SectionEntry {
    pub name: &'static str,
    pub read: ReadSection,
    pub text_variables: &'static [(&'static str, &'static str)],
}

/// Every provider's section, as its entry reads it.
pub(crate) fn sections(figment: &Figment, entries: &[SectionEntry]) -> Result<ProviderSections, Box<figment::Error>> {
    let read = entries.iter().map(|entry| Ok((entry.name, (entry.read)(figment, entry.name)?)));
    Ok(ProviderSections(read.collect::<Result<_, Box<figment::Error>>>()?))
}

/// `payments.notify_base_url`, read from the environment as text.
const NOTIFY_TEXT: [(&str, &str); 1] = [("CSMS__PAYMENTS__NOTIFY_BASE_URL", "payments.notify_base_url")];

/// The payment settings the environment gives as text exactly as written: `notify_base_url`
/// and each provider's identifiers and keys (its entry's `text_variables`).
pub(crate) fn text_variables(entries: &[SectionEntry]) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
    let providers = entries.iter().flat_map(|entry| entry.text_variables.iter().copied());
    NOTIFY_TEXT.into_iter().chain(providers)
}

/// The modes this build starts from, laid over config/default.toml's: `off` for every provider
/// in a build without the `sandbox` feature (the file says `sandbox`, the default of a full build).
pub(crate) fn build_defaults(figment: Figment, entries: &[SectionEntry]) -> Figment {
    if cfg!(feature = "sandbox") {
        return figment;
    }
    entries.iter().fold(figment, |figment, entry| {
        figment.merge(Serialized::default(&format!("payments.{}.mode", entry.name), "off"))
    })
}

/// `payments.<provider>.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderMode {
    /// csms's own stand-in at `/sandbox/<provider>/…`, with keys made at start where none are set
    /// (the default; refused at start by a build without the `sandbox` feature).
    Sandbox,
    /// Not offered: the method is unavailable (the default of a build without the `sandbox`
    /// feature).
    Off,
    /// The provider itself: every identifier and key must be set, or csms does not start.
    Live,
}
