//! The charger simulator: `SimCharger`, fleets and scenarios for OCPP 1.6J and 2.0.1, the client of every integration test and the load generator (arrives with the charger hub).
