//! csms's connections to the broker: `mqtt.url` read once (`mqtt://` plain, `mqtts://` TLS with
//! the system's roots or `mqtt.ca_file`), csms's own credentials, MQTT 5.

use crate::config::MqttSettings;
use rumqttc::v5::MqttOptions;
use rumqttc::{TlsConfiguration, Transport};

/// Why the link cannot be set up from the settings.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("mqtt.url {0:?}: expected mqtt://host[:port] or mqtts://host[:port]")]
    Url(String),
    #[error("mqtt.ca_file {path}: {source}")]
    CaFile { path: String, source: std::io::Error },
}

/// Where the broker is and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Broker {
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) tls: bool,
}

/// Reads `mqtt://host[:port]` (1883 by default) or `mqtts://host[:port]` (8883).
pub(super) fn broker(url: &str) -> Result<Broker, ConnectError> {
    let bad = || ConnectError::Url(url.to_owned());
    let (scheme, rest) = url.trim().split_once("://").ok_or_else(bad)?;
    let tls = match scheme {
        "mqtt" | "tcp" => false,
        "mqtts" | "ssl" => true,
        _ => return Err(bad()),
    };
    let authority = rest.trim_end_matches('/');
    if authority.is_empty() || authority.contains(['/', '@', '?']) {
        return Err(bad());
    }
    let (host, port) = match authority.rsplit_once(':') {
        // An IPv6 literal without a port (`[::1]`) has colons of its own.
        Some((host, port)) if !port.contains(']') => (host, port.parse::<u16>().map_err(|_| bad())?),
        _ => (authority, if tls { 8883 } else { 1883 }),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(bad());
    }
    Ok(Broker { host: host.to_owned(), port, tls })
}

/// The options of a connection as `client_id`, checked once at start (`Link::new`).
pub(super) fn options(settings: &MqttSettings, client_id: &str) -> Result<MqttOptions, ConnectError> {
    let broker = broker(&settings.url)?;
    let mut options = MqttOptions::new(client_id, broker.host, broker.port);
    options.set_keep_alive(settings.keep_alive());
    if !settings.username.is_empty() {
        options.set_credentials(settings.username.clone(), settings.password.clone());
    }
    if broker.tls {
        let transport = if settings.ca_file.is_empty() {
            // The system's roots (rumqttc reads them with rustls-native-certs).
            Transport::tls_with_default_config()
        } else {
            let ca = std::fs::read(&settings.ca_file)
                .map_err(|source| ConnectError::CaFile { path: settings.ca_file.clone(), source })?;
            Transport::Tls(TlsConfiguration::Simple { ca, alpn: None, client_auth: None })
        };
        options.set_transport(transport);
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broker_url_gives_its_host_port_and_whether_tls() {
        let at = |url: &str| broker(url).map(|b| (b.host, b.port, b.tls)).ok();
        assert_eq!(at("mqtt://127.0.0.1:1883"), Some(("127.0.0.1".into(), 1883, false)));
        assert_eq!(at("mqtt://broker"), Some(("broker".into(), 1883, false)));
        assert_eq!(at("mqtts://broker.example.com"), Some(("broker.example.com".into(), 8883, true)));
        assert_eq!(at("mqtts://broker:9883/"), Some(("broker".into(), 9883, true)));
        assert_eq!(at("mqtt://[::1]:1883"), Some(("::1".into(), 1883, false)));
        for bad in
            ["", "broker:1883", "http://broker", "mqtt://", "mqtt://user@broker", "mqtt://broker:x", "mqtt://b/x"]
        {
            assert_eq!(at(bad), None, "{bad}");
        }
    }
}
