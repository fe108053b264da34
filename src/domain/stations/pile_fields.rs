//! A pile's fields as the operator gives them, checked: its name, type, connector, power and
//! ratings, and how it talks to csms.

use super::StationError;
use crate::domain::chargers::PileProtocol;

/// `AC` or `DC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PileType {
    Ac,
    Dc,
}

impl PileType {
    /// The stored and shown spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            PileType::Ac => "AC",
            PileType::Dc => "DC",
        }
    }

    pub(super) fn parse(given: &str) -> Result<PileType, StationError> {
        match given {
            "AC" => Ok(PileType::Ac),
            "DC" => Ok(PileType::Dc),
            other => Err(StationError::Invalid { field: "type", message: format!("{other:?} is not AC or DC") }),
        }
    }
}

/// A pile's fields as the operator gives them (checked into a [`PileSpec`]); `None` leaves one
/// unset, or as it is when attaching.
#[derive(Debug, Clone, Default)]
pub struct PileFields {
    pub name: Option<String>,
    /// `AC` or `DC`.
    pub pile_type: Option<String>,
    /// `GB/T`, `CCS2`, `Type2`…
    pub connector_type: Option<String>,
    pub max_power_kw: Option<f64>,
    pub rated_voltage_v: Option<i64>,
    pub rated_current_a: Option<i64>,
    /// `ocpp` or `mqtt`; none: OCPP for a new pile, unchanged when attaching.
    pub protocol: Option<String>,
}

/// A pile's fields, checked, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PileSpec {
    pub name: Option<String>,
    pub pile_type: Option<PileType>,
    pub connector_type: Option<String>,
    pub max_power_w: Option<i64>,
    pub rated_voltage_v: Option<i32>,
    pub rated_current_a: Option<i32>,
    pub protocol: Option<PileProtocol>,
}

impl PileFields {
    /// Checked; `required` says a new pile's name, type and power must be given.
    pub(super) fn checked(self, required: bool) -> Result<PileSpec, StationError> {
        let missing = |field: &'static str| StationError::Invalid { field, message: "missing".into() };
        if required {
            self.name.as_ref().ok_or_else(|| missing("name"))?;
            self.pile_type.as_ref().ok_or_else(|| missing("type"))?;
            self.max_power_kw.ok_or_else(|| missing("maxPowerKw"))?;
        }
        let whole = |field: &'static str, given: Option<i64>, max: i64| -> Result<Option<i32>, StationError> {
            given
                .map(|v| match i32::try_from(v) {
                    Ok(v) if (1..=max).contains(&i64::from(v)) => Ok(v),
                    _ => Err(StationError::Invalid { field, message: format!("{v} is not 1 to {max}") }),
                })
                .transpose()
        };
        Ok(PileSpec {
            name: self.name.map(|n| super::records::text("name", &n, 128)).transpose()?,
            pile_type: self.pile_type.as_deref().map(PileType::parse).transpose()?,
            connector_type: self.connector_type.map(|c| super::records::text("connectorType", &c, 32)).transpose()?,
            max_power_w: self.max_power_kw.map(watts).transpose()?,
            rated_voltage_v: whole("ratedVoltage", self.rated_voltage_v, 2000)?,
            rated_current_a: whole("ratedCurrent", self.rated_current_a, 1000)?,
            protocol: self
                .protocol
                .map(|given| {
                    PileProtocol::parse(&given).ok_or_else(|| StationError::Invalid {
                        field: "protocol",
                        message: format!("{given:?} is not ocpp or mqtt"),
                    })
                })
                .transpose()?,
        })
    }
}

/// Kilowatts (more than 0, at most 10 MW) as whole watts.
fn watts(kw: f64) -> Result<i64, StationError> {
    if kw.is_finite() && kw > 0.0 && kw <= 10_000.0 {
        // At most 1e7 here: the cast cannot overflow.
        Ok((kw * 1000.0).round() as i64)
    } else {
        Err(StationError::Invalid {
            field: "maxPowerKw",
            message: format!("{kw} is not more than 0 and at most 10000"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pile_fields_are_checked_and_power_is_kept_in_watts() {
        let fields = PileFields {
            name: Some("A-01".into()),
            pile_type: Some("DC".into()),
            max_power_kw: Some(7.4),
            rated_voltage_v: Some(750),
            ..Default::default()
        };
        let spec = fields.clone().checked(true).unwrap();
        assert_eq!(
            (spec.max_power_w, spec.pile_type, spec.rated_voltage_v),
            (Some(7400), Some(PileType::Dc), Some(750))
        );
        let field = |fields: PileFields, required: bool| match fields.checked(required) {
            Err(StationError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(PileFields { pile_type: Some("ac".into()), ..fields.clone() }, true), "type");
        assert_eq!(field(PileFields { max_power_kw: Some(0.0), ..fields.clone() }, true), "maxPowerKw");
        assert_eq!(field(PileFields { rated_current_a: Some(-3), ..fields.clone() }, true), "ratedCurrent");
        assert_eq!(field(PileFields { name: None, ..fields.clone() }, true), "name");
        assert_eq!(field(PileFields { protocol: Some("modbus".into()), ..fields.clone() }, true), "protocol");
        assert_eq!(
            PileFields { protocol: Some("mqtt".into()), ..fields }.checked(true).unwrap().protocol,
            Some(PileProtocol::Mqtt)
        );
        assert_eq!(PileFields::default().checked(false).unwrap(), PileSpec::default());
    }
}
