//! csms: an OCPP 1.6J / 2.0.1 central system with a charging business behind it. The server (hub, API, storage) arrives with the charger hub; today the crate holds the workspace together.
