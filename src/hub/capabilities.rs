//! What an OCPP pile can do for limits, asked of the pile itself: 1.6 GetConfiguration of
//! `SupportedFeatureProfiles` and `MeterValuesSampledData`, 2.0.1 GetVariables of
//! `SmartChargingCtrlr.Enabled` and `SampledDataCtrlr.TxUpdatedMeasurands`; and the TxProfile a
//! start carries to a pile that does smart charging: the station's most power per session, for
//! the session's most time.

use crate::domain::orders::PileCapabilities;
use crate::domain::orders::limit::SessionLimits;
use protocol::{OcppVersion, v16, v201};
use rust_decimal::Decimal;
use serde_json::Value;

/// The question, in the pile's version.
pub(super) fn question(version: OcppVersion) -> Option<(&'static str, Value)> {
    match version {
        OcppVersion::V16 => {
            let keys = vec!["SupportedFeatureProfiles".to_owned(), "MeterValuesSampledData".to_owned()];
            Some(("GetConfiguration", serde_json::to_value(v16::GetConfigurationRequest { key: Some(keys) }).ok()?))
        }
        OcppVersion::V201 => {
            let asked = |component: &str, variable: &str| v201::GetVariableDataType {
                custom_data: None,
                attribute_type: None,
                component: v201::ComponentType {
                    custom_data: None,
                    evse: None,
                    name: component.to_owned(),
                    instance: None,
                },
                variable: v201::VariableType { custom_data: None, name: variable.to_owned(), instance: None },
            };
            let request = v201::GetVariablesRequest {
                custom_data: None,
                get_variable_data: vec![
                    asked("SmartChargingCtrlr", "Enabled"),
                    asked("SampledDataCtrlr", "TxUpdatedMeasurands"),
                ],
            };
            Some(("GetVariables", serde_json::to_value(request).ok()?))
        }
    }
}

/// Whether a comma-separated list (a configuration value) holds `item`.
fn lists(value: Option<&str>, item: &str) -> bool {
    value.is_some_and(|v| v.split(',').any(|part| part.trim().eq_ignore_ascii_case(item)))
}

/// What the pile's answer says it can do (keys it does not know: it cannot).
pub(super) fn answer(version: OcppVersion, response: &Value) -> PileCapabilities {
    let text = |entry: &Value, field: &str| entry.get(field).and_then(Value::as_str).map(str::to_owned);
    match version {
        OcppVersion::V16 => {
            let keys = response.get("configurationKey").and_then(Value::as_array).cloned().unwrap_or_default();
            let value = |key: &str| {
                keys.iter()
                    .find(|entry| entry.get("key").and_then(Value::as_str) == Some(key))
                    .and_then(|e| text(e, "value"))
            };
            PileCapabilities {
                smart_charging: lists(value("SupportedFeatureProfiles").as_deref(), "SmartCharging"),
                reports_soc: lists(value("MeterValuesSampledData").as_deref(), "SoC"),
            }
        }
        OcppVersion::V201 => {
            let results = response.get("getVariableResult").and_then(Value::as_array).cloned().unwrap_or_default();
            let value = |component: &str, variable: &str| {
                results
                    .iter()
                    .find(|r| {
                        r.pointer("/component/name").and_then(Value::as_str) == Some(component)
                            && r.pointer("/variable/name").and_then(Value::as_str) == Some(variable)
                            && r.get("attributeStatus").and_then(Value::as_str) == Some("Accepted")
                    })
                    .and_then(|r| text(r, "attributeValue"))
            };
            PileCapabilities {
                smart_charging: value("SmartChargingCtrlr", "Enabled").is_some_and(|v| v.eq_ignore_ascii_case("true")),
                reports_soc: lists(value("SampledDataCtrlr", "TxUpdatedMeasurands").as_deref(), "SoC"),
            }
        }
    }
}

/// The 1.6 TxProfile of a start with `limits`, when they limit the power.
pub(super) fn profile_16(limits: SessionLimits, profile_id: i32) -> Option<v16::ChargingProfile> {
    let watts = limits.max_power_w?;
    Some(v16::ChargingProfile {
        charging_profile_id: profile_id,
        transaction_id: None,
        stack_level: 0,
        charging_profile_purpose: v16::ChargingProfilePurposeType::TxProfile,
        charging_profile_kind: v16::ChargingProfileKindType::Relative,
        recurrency_kind: None,
        valid_from: None,
        valid_to: None,
        charging_schedule: v16::ChargingSchedule {
            duration: limits.max_time_s.and_then(|s| i32::try_from(s).ok()),
            start_schedule: None,
            charging_rate_unit: v16::ChargingRateUnitType::W,
            charging_schedule_period: vec![v16::ChargingSchedulePeriod {
                start_period: 0,
                limit: Decimal::from(watts),
                number_phases: None,
            }],
            min_charging_rate: None,
        },
    })
}

/// The 2.0.1 TxProfile of a start with `limits`, when they limit the power.
pub(super) fn profile_201(limits: SessionLimits, profile_id: i32) -> Option<v201::ChargingProfileType> {
    let watts = limits.max_power_w?;
    Some(v201::ChargingProfileType {
        custom_data: None,
        id: profile_id,
        stack_level: 0,
        charging_profile_purpose: v201::ChargingProfilePurposeEnumType::TxProfile,
        charging_profile_kind: v201::ChargingProfileKindEnumType::Relative,
        recurrency_kind: None,
        valid_from: None,
        valid_to: None,
        charging_schedule: vec![v201::ChargingScheduleType {
            custom_data: None,
            id: profile_id,
            start_schedule: None,
            duration: limits.max_time_s.and_then(|s| i32::try_from(s).ok()),
            charging_rate_unit: v201::ChargingRateUnitEnumType::W,
            charging_schedule_period: vec![v201::ChargingSchedulePeriodType {
                custom_data: None,
                start_period: 0,
                limit: Decimal::from(watts),
                number_phases: None,
                phase_to_use: None,
            }],
            min_charging_rate: None,
            sales_tariff: None,
        }],
        transaction_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_16_pile_does_smart_charging_when_its_profiles_list_it_and_reports_soc_when_it_samples_it() {
        let said = json!({"configurationKey": [
            {"key": "SupportedFeatureProfiles", "readonly": true, "value": "Core, SmartCharging,RemoteTrigger"},
            {"key": "MeterValuesSampledData", "readonly": false, "value": "Energy.Active.Import.Register,SoC"}
        ]});
        assert_eq!(answer(OcppVersion::V16, &said), PileCapabilities { smart_charging: true, reports_soc: true });
        let unknown = json!({"configurationKey": [], "unknownKey": ["SupportedFeatureProfiles"]});
        assert_eq!(answer(OcppVersion::V16, &unknown), PileCapabilities::default());
        let core =
            json!({"configurationKey": [{"key": "SupportedFeatureProfiles", "readonly": true, "value": "Core"}]});
        assert!(!answer(OcppVersion::V16, &core).smart_charging);
    }

    #[test]
    fn a_201_pile_does_smart_charging_when_its_controller_is_enabled_and_reports_soc_when_it_samples_it() {
        let result = |component: &str, variable: &str, status: &str, value: &str| {
            json!({"attributeStatus": status, "attributeValue": value,
                   "component": {"name": component}, "variable": {"name": variable}})
        };
        let said = json!({"getVariableResult": [
            result("SmartChargingCtrlr", "Enabled", "Accepted", "true"),
            result("SampledDataCtrlr", "TxUpdatedMeasurands", "Accepted", "Energy.Active.Import.Register,SoC"),
        ]});
        assert_eq!(answer(OcppVersion::V201, &said), PileCapabilities { smart_charging: true, reports_soc: true });
        let refused = json!({"getVariableResult": [
            result("SmartChargingCtrlr", "Enabled", "UnknownVariable", "true"),
            result("SampledDataCtrlr", "TxUpdatedMeasurands", "Accepted", "Power.Active.Import"),
        ]});
        assert_eq!(answer(OcppVersion::V201, &refused), PileCapabilities::default());
    }

    #[test]
    fn a_profile_limits_the_power_for_the_sessions_time_and_none_is_made_without_a_power_limit() {
        let limits = SessionLimits { max_power_w: Some(100_000), max_time_s: Some(7_200) };
        let p16 = serde_json::to_value(profile_16(limits, 7).unwrap()).unwrap();
        assert_eq!(
            p16,
            json!({"chargingProfileId": 7, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
                   "chargingProfileKind": "Relative", "chargingSchedule": {"duration": 7200,
                   "chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 100000}]}})
        );
        let p201 = serde_json::to_value(profile_201(limits, 7).unwrap()).unwrap();
        assert_eq!(p201["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"], json!(100000));
        assert_eq!(p201["chargingSchedule"][0]["duration"], json!(7200));
        let time_only = SessionLimits { max_power_w: None, max_time_s: Some(600) };
        assert!(profile_16(time_only, 1).is_none() && profile_201(time_only, 1).is_none());
    }
}
