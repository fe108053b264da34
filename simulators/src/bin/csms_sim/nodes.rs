//! `csms-sim hold` and `csms-sim commands`: fleets for several csms nodes.

use clap::Parser;
use simulators::nodes::commands::CommandsPlan;
use simulators::nodes::hold::HoldPlan;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Parser)]
pub(crate) struct HoldArgs {
    /// The nodes' charger listeners, comma-separated: every charger boots on the first and moves
    /// to the next whenever its connection ends.
    #[arg(long, value_delimiter = ',')]
    urls: Vec<String>,
    #[arg(long, default_value_t = 1000)]
    chargers: usize,
    #[arg(long, default_value = "HOLD-")]
    prefix: String,
    /// Register the chargers first over this REST API (host:port), with `--token`.
    #[arg(long)]
    register: Option<SocketAddr>,
    #[arg(long, default_value = "")]
    token: String,
    /// The chargers' Basic auth password (16–40 characters); empty: none.
    #[arg(long, default_value = "")]
    password: String,
    /// Chargers connecting at once at first.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds the fleet stays once every charger booted.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// A file written once every charger booted.
    #[arg(long)]
    ready_file: Option<std::path::PathBuf>,
    #[arg(long)]
    pub(crate) json: bool,
}

impl HoldArgs {
    pub(crate) async fn plan(&self) -> Result<HoldPlan, simulators::SimError> {
        let password = (!self.password.is_empty()).then(|| self.password.clone());
        if let Some(api) = self.register {
            simulators::nodes::register(api, &self.token, &self.prefix, self.chargers, password.as_deref(), 16).await?;
        }
        Ok(HoldPlan {
            urls: self.urls.clone(),
            chargers: self.chargers,
            prefix: self.prefix.clone(),
            password,
            concurrency: self.concurrency,
            duration: Duration::from_secs(self.duration),
            ready_file: self.ready_file.clone(),
        })
    }
}

#[derive(Parser)]
pub(crate) struct CommandsArgs {
    /// The charger listener of the node that holds the chargers.
    #[arg(long)]
    url: String,
    /// REST APIs (host:port) to send through, comma-separated: the holding node's first.
    #[arg(long, value_delimiter = ',')]
    apis: Vec<SocketAddr>,
    #[arg(long)]
    token: String,
    #[arg(long, default_value_t = 10)]
    chargers: usize,
    #[arg(long, default_value = "CMD-")]
    prefix: String,
    /// Commands measured through each API.
    #[arg(long, default_value_t = 1000)]
    count: usize,
    #[arg(long)]
    pub(crate) json: bool,
}

impl CommandsArgs {
    pub(crate) fn plan(&self) -> CommandsPlan {
        CommandsPlan {
            url: self.url.clone(),
            apis: self.apis.clone(),
            token: self.token.clone(),
            chargers: self.chargers,
            prefix: self.prefix.clone(),
            count: self.count,
        }
    }
}
