//! sea-orm entities of csms, one file per table: chargers, connectors, id tags, transactions, meter samples (arrive with the charger hub).
