//! Settings read whole: `config`'s layers with every registered provider's section. Reading
//! needs the providers' list, which stands above `config`: these two are `Settings`'s entry
//! points, and `config` takes the list as `SectionEntry`s.

use crate::config::{ConfigError, SectionEntry, Settings};
use std::path::Path;

/// What reading settings needs of each provider in `ALL`.
pub fn sections() -> Vec<SectionEntry> {
    super::ALL
        .iter()
        .map(|entry| SectionEntry { name: entry.name(), read: entry.settings, text_variables: entry.text_variables })
        .collect()
}

impl Settings {
    /// Reads the layers from `config_dir` (usually `./config`, which need not exist) and the
    /// process environment, every provider's section included.
    pub fn load(config_dir: &Path) -> Result<Self, ConfigError> {
        Settings::load_with(config_dir, &sections())
    }

    /// The embedded defaults alone (tests start from these and change what they need).
    pub fn defaults() -> Result<Self, ConfigError> {
        Settings::defaults_with(&sections())
    }
}
