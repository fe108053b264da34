//! The JSON schemas of every action, embedded in the binary and compiled once into a
//! `SchemaRegistry`, and the mapping of a schema violation to its CALLERROR code.

use crate::tree::{Node, Tree};
use crate::{ActionSet, CallErrorCode, MessageKind, OcppVersion, v16, v201};
use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, ValidationError, Validator};
use serde_json::Value;
use std::fmt::Write as _;
use std::sync::LazyLock;

/// Every schema of both versions, compiled. Build it once ([`SchemaRegistry::global`]) and
/// share it: validating never compiles anything.
#[derive(Debug)]
pub struct SchemaRegistry {
    v16: Vec<[Validator<Tree>; 2]>,
    v201: Vec<[Validator<Tree>; 2]>,
}

/// An embedded schema that does not compile: a defect of the build, caught by the tests.
#[derive(Debug, thiserror::Error)]
#[error("schema {version} {action} {kind:?}: {reason}")]
pub struct SchemaError {
    version: OcppVersion,
    action: &'static str,
    kind: MessageKind,
    reason: String,
}

static GLOBAL: LazyLock<SchemaRegistry> = LazyLock::new(|| match SchemaRegistry::compile() {
    Ok(registry) => registry,
    // The schemas are constants of the build; `embedded_schemas_all_compile` tests them.
    Err(e) => panic!("{e}"),
});

impl SchemaRegistry {
    /// The process-wide registry, compiled on first use.
    pub fn global() -> &'static SchemaRegistry {
        &GLOBAL
    }

    /// Compiles every embedded schema: OCPP 1.6 as draft-04, OCPP 2.0.1 as draft-06, with
    /// formats (`date-time`, `uri`) checked.
    pub fn compile() -> Result<Self, SchemaError> {
        Ok(SchemaRegistry { v16: compile_all::<v16::Action>()?, v201: compile_all::<v201::Action>()? })
    }

    /// The compiled schema of `action`'s request or response.
    pub fn validator<A: ActionSet>(&self, action: A, kind: MessageKind) -> &Validator<Tree> {
        let table = match A::VERSION {
            OcppVersion::V16 => &self.v16,
            OcppVersion::V201 => &self.v201,
        };
        &table[action.index()][kind as usize]
    }

    /// Checks `payload` against the schema of `action`'s request or response. When it breaks
    /// several rules the most structural one is reported (an unexpected property before a
    /// missing one before a wrong type before a bad value: a misspelt field shows as both an
    /// extra and a missing one, and the extra one names it), with the count of the others.
    pub fn validate<A: ActionSet>(&self, action: A, kind: MessageKind, payload: &Node<'_>) -> Result<(), Violation> {
        let validator = self.validator(action, kind);
        // The common case first: a valid payload costs one pass that stops at nothing.
        if validator.is_valid(payload) {
            return Ok(());
        }
        let mut worst: Option<(usize, ValidationError<'_>)> = None;
        let mut count = 0usize;
        for error in validator.iter_errors(payload) {
            count += 1;
            let rank = rank(classify(error.kind()));
            if worst.as_ref().is_none_or(|(r, _)| rank < *r) {
                worst = Some((rank, error));
            }
        }
        match worst {
            None => Ok(()),
            Some((_, error)) => Err(Violation::from_error(&error, count - 1)),
        }
    }
}

fn rank(code: CallErrorCode) -> usize {
    match code {
        CallErrorCode::FormatViolation => 0,
        CallErrorCode::OccurrenceConstraintViolation => 1,
        CallErrorCode::TypeConstraintViolation => 2,
        _ => 3,
    }
}

fn compile_all<A: ActionSet>() -> Result<Vec<[Validator<Tree>; 2]>, SchemaError> {
    let compile = |action: A, kind: MessageKind| -> Result<Validator<Tree>, SchemaError> {
        let fail = |reason: String| SchemaError { version: A::VERSION, action: action.as_str(), kind, reason };
        let schema: Value = serde_json::from_str(action.schema(kind)).map_err(|e| fail(e.to_string()))?;
        let draft = match A::VERSION {
            OcppVersion::V16 => Draft::Draft4,
            OcppVersion::V201 => Draft::Draft6,
        };
        jsonschema::options_for::<Tree>()
            .with_draft(draft)
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| fail(e.to_string()))
    };
    let mut table = Vec::with_capacity(A::ALL.len());
    for (i, &action) in A::ALL.iter().enumerate() {
        debug_assert_eq!(action.index(), i);
        table.push([compile(action, MessageKind::Request)?, compile(action, MessageKind::Response)?]);
    }
    Ok(table)
}

/// How a payload breaks its schema: the CALLERROR code it earns and a description that names
/// the offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The code, in version-neutral form (spell it with [`CallErrorCode::as_str`]).
    pub code: CallErrorCode,
    /// The offending field, e.g. `meterValue[0].sampledValue[2].unit`; empty for the payload.
    pub path: String,
    /// `<path>: <what is wrong>`, at most [`crate::MAX_DESCRIPTION`] bytes.
    pub description: String,
}

impl Violation {
    fn from_error(error: &ValidationError<'_>, others: usize) -> Self {
        let kind = error.kind();
        let mut path = String::new();
        for segment in error.instance_path().as_str().split('/').skip(1) {
            let segment = segment.replace("~1", "/").replace("~0", "~");
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                let _ = write!(path, "[{segment}]");
            } else {
                push_field(&mut path, &segment);
            }
        }
        // The missing or unexpected property is the offending field, not the object around it.
        match kind {
            ValidationErrorKind::Required { property } => {
                push_field(&mut path, property.as_str().unwrap_or_default());
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                if let Some(first) = unexpected.first() {
                    push_field(&mut path, first);
                }
            }
            _ => {}
        }
        let code = classify(kind);
        let at = if path.is_empty() { "payload" } else { path.as_str() };
        let mut description = format!("{at}: {error}");
        match others {
            0 => {}
            1 => description.push_str(" (and 1 more violation)"),
            n => {
                let _ = write!(description, " (and {n} more violations)");
            }
        }
        let description = crate::truncate(&description, crate::MAX_DESCRIPTION).to_owned();
        Violation { code, path, description }
    }
}

fn push_field(path: &mut String, field: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(field);
}

/// The CALLERROR code of a schema violation: structure (an unexpected property) is a format
/// violation, a missing field or wrong list size an occurrence violation, the wrong JSON type a
/// type violation, and a value outside what the schema allows a property violation.
fn classify(kind: &ValidationErrorKind) -> CallErrorCode {
    use ValidationErrorKind as K;
    match kind {
        K::AdditionalProperties { .. }
        | K::AdditionalItems { .. }
        | K::FalseSchema
        | K::UnevaluatedItems { .. }
        | K::UnevaluatedProperties { .. }
        | K::PropertyNames { .. } => CallErrorCode::FormatViolation,
        K::Required { .. }
        | K::MinItems { .. }
        | K::MaxItems { .. }
        | K::MinProperties { .. }
        | K::MaxProperties { .. } => CallErrorCode::OccurrenceConstraintViolation,
        K::Type { .. } => CallErrorCode::TypeConstraintViolation,
        K::Enum { .. }
        | K::Constant { .. }
        | K::MaxLength { .. }
        | K::MinLength { .. }
        | K::Maximum { .. }
        | K::Minimum { .. }
        | K::ExclusiveMaximum { .. }
        | K::ExclusiveMinimum { .. }
        | K::MultipleOf { .. }
        | K::Pattern { .. }
        | K::Format { .. }
        | K::UniqueItems
        | K::Contains
        | K::ContentEncoding { .. }
        | K::ContentMediaType { .. }
        | K::FromUtf8 { .. } => CallErrorCode::PropertyConstraintViolation,
        _ => CallErrorCode::FormatViolation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schemas_all_compile() {
        let registry = SchemaRegistry::compile().unwrap();
        assert_eq!(registry.v16.len(), 39);
        assert_eq!(registry.v201.len(), 64);
    }

    #[test]
    fn every_schema_declares_the_draft_it_is_compiled_with() {
        fn check<A: ActionSet>(draft: &str) {
            for &action in A::ALL {
                for kind in [MessageKind::Request, MessageKind::Response] {
                    let schema: Value = serde_json::from_str(action.schema(kind)).unwrap();
                    assert_eq!(schema["$schema"], draft, "{action} {kind:?}");
                }
            }
        }
        check::<v16::Action>("http://json-schema.org/draft-04/schema#");
        check::<v201::Action>("http://json-schema.org/draft-06/schema#");
    }
}
