#!/usr/bin/env python3
"""Generates the typed OCPP messages of `protocol` from the JSON schemas in `schemas/`.

    python3 protocol/codegen/generate.py          # (re)write protocol/src/{v16,v201}/
    python3 protocol/codegen/generate.py --check  # fail if the committed files are stale (CI)

The schemas are the source of truth: every property, `required` list, enum value and nested
object of every action becomes a Rust struct or enum. OCPP 1.6 schemas are anonymous (inline
objects and enums), so they get the type names of the 1.6 specification (section 7) from
`V16_NAMES`; OCPP 2.0.1 schemas name their definitions, and those names are kept verbatim.
A type used by one action lives in that action's file; a type used by several lives in
`types.rs`. Two different shapes under one name stop the generator.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# --- the actions ---------------------------------------------------------------------------
# (action, who sends the CALL): CS = the charging station (charge point), CSMS = the central
# system, EITHER = both may (DataTransfer).
V16_ACTIONS = [
    # Core
    ("Authorize", "CS"), ("BootNotification", "CS"), ("ChangeAvailability", "CSMS"),
    ("ChangeConfiguration", "CSMS"), ("ClearCache", "CSMS"), ("DataTransfer", "EITHER"),
    ("GetConfiguration", "CSMS"), ("Heartbeat", "CS"), ("MeterValues", "CS"),
    ("RemoteStartTransaction", "CSMS"), ("RemoteStopTransaction", "CSMS"), ("Reset", "CSMS"),
    ("StartTransaction", "CS"), ("StatusNotification", "CS"), ("StopTransaction", "CS"),
    ("UnlockConnector", "CSMS"),
    # Firmware Management
    ("DiagnosticsStatusNotification", "CS"), ("FirmwareStatusNotification", "CS"),
    ("GetDiagnostics", "CSMS"), ("UpdateFirmware", "CSMS"),
    # Local Auth List Management
    ("GetLocalListVersion", "CSMS"), ("SendLocalList", "CSMS"),
    # Reservation
    ("CancelReservation", "CSMS"), ("ReserveNow", "CSMS"),
    # Smart Charging
    ("ClearChargingProfile", "CSMS"), ("GetCompositeSchedule", "CSMS"),
    ("SetChargingProfile", "CSMS"),
    # Remote Trigger
    ("TriggerMessage", "CSMS"),
    # Security Whitepaper
    ("CertificateSigned", "CSMS"), ("DeleteCertificate", "CSMS"), ("ExtendedTriggerMessage", "CSMS"),
    ("GetInstalledCertificateIds", "CSMS"), ("GetLog", "CSMS"), ("InstallCertificate", "CSMS"),
    ("LogStatusNotification", "CS"), ("SecurityEventNotification", "CS"), ("SignCertificate", "CS"),
    ("SignedFirmwareStatusNotification", "CS"), ("SignedUpdateFirmware", "CSMS"),
]

V201_CS = {
    "Authorize", "BootNotification", "ClearedChargingLimit", "FirmwareStatusNotification",
    "Get15118EVCertificate", "GetCertificateStatus", "Heartbeat", "LogStatusNotification",
    "MeterValues", "NotifyChargingLimit", "NotifyCustomerInformation", "NotifyDisplayMessages",
    "NotifyEVChargingNeeds", "NotifyEVChargingSchedule", "NotifyEvent", "NotifyMonitoringReport",
    "NotifyReport", "PublishFirmwareStatusNotification", "ReportChargingProfiles",
    "ReservationStatusUpdate", "SecurityEventNotification", "SignCertificate", "StatusNotification",
    "TransactionEvent",
}
V201_EITHER = {"DataTransfer"}

# OCPP 1.6 inline types: "<file>.<path>" suffix -> the specification's type name. The longest
# matching suffix wins; every inline object and enum must match one entry.
V16_NAMES = {
    ".idTagInfo": "IdTagInfo",
    ".idTagInfo.status": "AuthorizationStatus",
    ".chargingProfile": "ChargingProfile",
    ".csChargingProfiles": "ChargingProfile",
    ".chargingSchedule": "ChargingSchedule",
    ".chargingSchedulePeriod[]": "ChargingSchedulePeriod",
    ".chargingRateUnit": "ChargingRateUnitType",
    ".chargingProfilePurpose": "ChargingProfilePurposeType",
    ".chargingProfileKind": "ChargingProfileKindType",
    ".recurrencyKind": "RecurrencyKindType",
    ".meterValue[]": "MeterValue",
    ".transactionData[]": "MeterValue",
    ".sampledValue[]": "SampledValue",
    ".sampledValue[].context": "ReadingContext",
    ".sampledValue[].format": "ValueFormat",
    ".sampledValue[].measurand": "Measurand",
    ".sampledValue[].phase": "Phase",
    ".sampledValue[].location": "Location",
    ".sampledValue[].unit": "UnitOfMeasure",
    ".configurationKey[]": "KeyValue",
    ".localAuthorizationList[]": "AuthorizationData",
    ".updateType": "UpdateType",
    ".requestedMessage": "MessageTrigger",
    "StatusNotification.errorCode": "ChargePointErrorCode",
    "StatusNotification.status": "ChargePointStatus",
    "StopTransaction.reason": "Reason",
    "ChangeAvailability.type": "AvailabilityType",
    "Reset.type": "ResetType",
    "BootNotificationResponse.status": "RegistrationStatus",
    "CancelReservationResponse.status": "CancelReservationStatus",
    "ChangeAvailabilityResponse.status": "AvailabilityStatus",
    "ChangeConfigurationResponse.status": "ConfigurationStatus",
    "ClearCacheResponse.status": "ClearCacheStatus",
    "ClearChargingProfileResponse.status": "ClearChargingProfileStatus",
    "DataTransferResponse.status": "DataTransferStatus",
    "DiagnosticsStatusNotification.status": "DiagnosticsStatus",
    "FirmwareStatusNotification.status": "FirmwareStatus",
    "GetCompositeScheduleResponse.status": "GetCompositeScheduleStatus",
    "RemoteStartTransactionResponse.status": "RemoteStartStopStatus",
    "RemoteStopTransactionResponse.status": "RemoteStartStopStatus",
    "ReserveNowResponse.status": "ReservationStatus",
    "ResetResponse.status": "ResetStatus",
    "SendLocalListResponse.status": "UpdateStatus",
    "SetChargingProfileResponse.status": "ChargingProfileStatus",
    "TriggerMessageResponse.status": "TriggerMessageStatus",
    "UnlockConnectorResponse.status": "UnlockStatus",
}

# Energy registers outgrow 32 bits on long-lived meters (2^31 Wh = 2.1 GWh); the spec's
# "integer" does not bound them, so these fields are i64. Every other integer is i32.
WIDE_INTEGERS = {"meterStart", "meterStop"}

RUST_KEYWORDS = {
    "type", "ref", "match", "move", "use", "mod", "fn", "impl", "trait", "struct", "enum",
    "where", "loop", "self", "super", "crate", "static", "const", "async", "await", "dyn",
}


@dataclass
class Field:
    json: str
    ty: str          # Rust type of the value (without Option)
    kind: str        # string | datetime | int | decimal | bool | any | named | vec
    required: bool
    doc: str
    item_kind: str = ""


@dataclass
class TypeDef:
    name: str
    kind: str                      # "struct" | "enum"
    fields: list[Field] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    open: bool = False             # additionalProperties allowed (CustomDataType)
    doc: str = ""
    users: set[str] = field(default_factory=set)

    def shape(self):
        if self.kind == "enum":
            return ("enum", tuple(self.values))
        return ("struct", self.open,
                tuple((f.json, f.ty, f.kind, f.required) for f in self.fields))


class Version:
    def __init__(self, module, folder, req_suffix, actions, names, label):
        self.module = module
        self.folder = folder
        self.req_suffix = req_suffix
        self.actions = actions
        self.names = names
        self.label = label
        self.types: dict[str, TypeDef] = {}
        self.roots: dict[str, tuple[str, str]] = {}  # action -> (request type, response type)

    # -- resolving schemas into types --------------------------------------------------------
    def load(self):
        for action, _ in self.actions:
            req = self.load_root(action, action + self.req_suffix, action + "Request")
            resp = self.load_root(action, action + "Response", action + "Response")
            self.roots[action] = (req, resp)

    def load_root(self, action, file, type_name):
        schema = json.loads((ROOT / "schemas" / self.folder / (file + ".json")).read_text())
        self.defs = schema.get("definitions", {})
        self.file = file
        self.action = action
        self.object_type(type_name, schema, "", doc=f"The `{file}` payload.")
        return type_name

    def inline_name(self, path):
        where = self.file + path
        best = None
        for suffix, name in self.names.items():
            if where.endswith(suffix) and (best is None or len(suffix) > len(best[0])):
                best = (suffix, name)
        if best is None:
            sys.exit(f"generate.py: no type name for inline type {where}; add it to V16_NAMES")
        return best[1]

    def register(self, td: TypeDef):
        known = self.types.get(td.name)
        if known is None:
            self.types[td.name] = td
            known = td
        elif known.shape() != td.shape():
            sys.exit(f"generate.py: {self.module}::{td.name} has two shapes (second in {self.file})")
        known.users.add(self.action)
        return td.name

    def object_type(self, name, schema, path, doc=""):
        required = set(schema.get("required", []))
        fields = []
        for prop, sub in schema.get("properties", {}).items():
            fields.append(self.field(prop, sub, prop in required, path + "." + prop))
        td = TypeDef(name, "struct", fields=fields,
                     open=schema.get("additionalProperties", True) is not False,
                     doc=clean_doc(schema.get("description", "")) or doc)
        return self.register(td)

    def enum_type(self, name, schema):
        td = TypeDef(name, "enum", values=list(schema["enum"]),
                     doc=clean_doc(schema.get("description", "")))
        return self.register(td)

    def resolve(self, sub, path):
        """(rust type, kind) of a property schema."""
        if "$ref" in sub:
            name = sub["$ref"].split("/")[-1]
            target = self.defs[name]
            if "enum" in target:
                return self.enum_type(name, target), "named"
            if target.get("type") == "object":
                return self.object_type(name, target, path), "named"
            return self.resolve(target, path)
        if "enum" in sub:
            return self.enum_type(self.inline_name(path), sub), "named"
        t = sub.get("type")
        if t == "object":
            return self.object_type(self.inline_name(path), sub, path), "named"
        if t == "array":
            inner, kind = self.resolve(sub["items"], path + "[]")
            if kind in ("decimal", "any"):
                sys.exit(f"generate.py: arrays of {kind} are not supported ({self.file}{path})")
            return f"Vec<{inner}>", "vec:" + kind
        if t == "string":
            if sub.get("format") == "date-time":
                return "DateTime<Utc>", "datetime"
            return "String", "string"
        if t == "integer":
            return ("i64" if path.split(".")[-1] in WIDE_INTEGERS else "i32"), "int"
        if t == "number":
            return "Decimal", "decimal"
        if t == "boolean":
            return "bool", "bool"
        if t is None:
            return "Value", "any"
        sys.exit(f"generate.py: unsupported schema type {t!r} at {self.file}{path}")

    def field(self, prop, sub, required, path):
        ty, kind = self.resolve(sub, path)
        item_kind = ""
        if kind.startswith("vec:"):
            item_kind = kind[4:]
            kind = "vec"
        return Field(prop, ty, kind, required, clean_doc(sub.get("description", "")), item_kind)

    # -- writing Rust ------------------------------------------------------------------------
    def home(self, td: TypeDef):
        """The file a type lives in: its one action's file, or the shared `types`."""
        if td.name in {t for pair in self.roots.values() for t in pair}:
            return snake(next(a for a, p in self.roots.items() if td.name in p))
        if len(td.users) == 1:
            return snake(next(iter(td.users)))
        return "types"

    def render(self) -> dict[str, str]:
        files: dict[str, list[TypeDef]] = {}
        for td in self.types.values():
            files.setdefault(self.home(td), []).append(td)
        out = {}
        for action, _ in self.actions:
            mod = snake(action)
            out[f"{mod}.rs"] = self.render_file(
                f"//! {action} (OCPP {self.label}): the request, the response and the types only they use.\n",
                files.pop(mod, []))
        if "types" in files:
            out["types.rs"] = self.render_file(
                f"//! OCPP {self.label} types shared by several actions.\n", files.pop("types"))
        assert not files, files
        out["mod.rs"] = self.render_mod()
        return out

    def render_file(self, header, tds):
        # Requests and responses first, then structs, then enums; each group by name.
        order = {n: i for i, n in enumerate(t for pair in self.roots.values() for t in pair)}
        tds = sorted(tds, key=lambda t: (t.name not in order, order.get(t.name, 0),
                                          t.kind == "enum", t.name))
        body = [render_type(t) for t in tds]
        here = {t.name for t in tds}
        shared = sorted({ref for t in tds for f in t.fields for ref in named_refs(f.ty)
                         if ref not in here and ref in self.types})
        uses = imports("\n".join(body), shared)
        return GENERATED + header + "\n" + uses + "\n" + "\n".join(body)

    def render_mod(self):
        lines = [GENERATED,
                 f"//! Typed OCPP {self.label} messages: one module per action, shared types in `types`.\n\n"]
        mods = sorted([snake(a) for a, _ in self.actions] +
                      (["types"] if any(self.home(t) == "types" for t in self.types.values()) else []))
        for m in mods:
            lines.append(f"mod {m};\n")
        lines.append("\n")
        for m in mods:
            lines.append(f"pub use {m}::*;\n")
        lines.append("\n")
        lines.append("crate::actions! {\n")
        lines.append(f"    version: crate::OcppVersion::{'V16' if self.module == 'v16' else 'V201'},\n")
        lines.append(f"    schemas: \"{self.folder}\", \"{self.req_suffix}\",\n")
        lines.append("    actions: {\n")
        for action, who in self.actions:
            initiator = {"CS": "ChargingStation", "CSMS": "Csms", "EITHER": "Either"}[who]
            req, resp = self.roots[action]
            lines.append(f"        {action}: {req} => {resp}, {initiator};\n")
        lines.append("    }\n}\n")
        return "".join(lines)


GENERATED = "// @generated by protocol/codegen/generate.py from schemas/: edit those, not this file.\n"


def named_refs(ty):
    return [t for t in re.findall(r"[A-Z]\w*", ty) if t not in ("Vec", "Option", "String", "Value",
                                                             "Decimal", "DateTime", "Utc")]


def imports(body, shared):
    body = "\n".join(l for l in body.split("\n") if not l.lstrip().startswith("///"))
    uses = []
    if "DateTime<Utc>" in body:
        uses.append("use chrono::{DateTime, Utc};")
    if "Decimal" in body:
        uses.append("use rust_decimal::Decimal;")
    if "Serialize" in body:
        uses.append("use serde::{Deserialize, Serialize};")
    if re.search(r"\bValue\b", body) or "Map<" in body:
        names = [n for n in ("Map", "Value") if re.search(rf"\b{n}\b", body)]
        uses.append("use serde_json::{" + ", ".join(names) + "};" if len(names) > 1
                    else f"use serde_json::{names[0]};")
    if shared:
        uses.append("use super::types::{" + ", ".join(shared) + "};" if len(shared) > 1
                    else f"use super::types::{shared[0]};")
    return "\n".join(uses) + "\n" if uses else ""


def render_type(td: TypeDef) -> str:
    doc = doc_lines(td.doc, "")
    if td.kind == "enum":
        variants = []
        seen = set()
        for v in td.values:
            ident = variant_ident(v)
            if ident in seen:
                sys.exit(f"generate.py: {td.name}: two values map to variant {ident}")
            seen.add(ident)
            variants.append(f"        {ident} = \"{v}\",\n")
        return (f"crate::ocpp_enum! {{\n{indent(doc, 4)}    pub enum {td.name} {{\n"
                + "".join(variants) + "    }\n}\n")
    derives = "Debug, Clone, PartialEq, Serialize, Deserialize"
    if all(not f.required for f in td.fields):
        derives += ", Default"
    out = [doc, f"#[derive({derives})]\n", "#[serde(rename_all = \"camelCase\")]\n",
           f"pub struct {td.name} {{\n"]
    for f in td.fields:
        out.append(indent(doc_lines(f.doc, ""), 4))
        attrs = []
        ident = snake(f.json)
        if camel(ident) != f.json:
            attrs.append(f"rename = \"{f.json}\"")
        if ident in RUST_KEYWORDS:
            ident = "r#" + ident
        ty = f.ty
        if f.kind == "decimal":
            attrs.append('with = "crate::wire::decimal_opt"' if not f.required else 'with = "crate::wire::decimal"')
        if f.kind == "any" and not f.required:
            # `"data": null` is a value of its own for untyped fields; keep it apart from absent.
            attrs.append('deserialize_with = "crate::wire::present"')
        if not f.required:
            attrs.insert(0, "default")
            attrs.insert(1, 'skip_serializing_if = "Option::is_none"')
            ty = f"Option<{ty}>"
        if attrs:
            out.append(f"    #[serde({', '.join(attrs)})]\n")
        out.append(f"    pub {ident}: {ty},\n")
    if td.open:
        out.append("    /// Vendor properties beyond the schema (the type allows additional properties).\n")
        out.append("    #[serde(flatten)]\n    pub extra: Map<String, Value>,\n")
    out.append("}\n")
    return "".join(out)


def clean_doc(text):
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    # AsciiDoc cross-references of the specification: <<cmn_statusenumtype,Status>> -> `Status`
    text = re.sub(r"&lt;&lt;[^,&]*,([^&]*)&gt;&gt;", r"`\1`", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    lines = [l.strip() for l in text.split("\n")]
    # 2.0.1 descriptions open with the data dictionary's "Class. Attribute. Type" line and a
    # `urn:x-oca:ocpp:uid:` line; keep them, they are how the specification cross-references.
    return "\n".join(l for l in lines)


def doc_lines(text, pad):
    if not text:
        return ""
    return "".join(f"{pad}///{' ' + l if l else ''}\n" for l in text.split("\n")).replace("\t", " ")


def indent(text, n):
    return "".join((" " * n + l if l.strip() else l) for l in text.splitlines(True))


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def camel(ident):
    # serde's rename_all = "camelCase" from a snake_case identifier
    parts = ident.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def variant_ident(value):
    parts = re.split(r"[^A-Za-z0-9]+", value)
    ident = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if ident[:1].isdigit():
        ident = "V" + ident
    return ident


def rustfmt(text):
    done = subprocess.run(["rustfmt", "--edition", "2024", "--emit", "stdout"], input=text,
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit("generate.py: rustfmt failed:\n" + done.stderr)
    return done.stdout


def main():
    check = "--check" in sys.argv[1:]
    v201_files = sorted(p.stem for p in (ROOT / "schemas/ocpp2.0.1").glob("*Request.json"))
    v201_actions = [(a[: -len("Request")], "CS" if a[: -len("Request")] in V201_CS else
                     "EITHER" if a[: -len("Request")] in V201_EITHER else "CSMS") for a in v201_files]
    versions = [
        Version("v16", "ocpp1.6", "", V16_ACTIONS, V16_NAMES, "1.6"),
        Version("v201", "ocpp2.0.1", "Request", v201_actions, {}, "2.0.1"),
    ]
    stale = []
    for v in versions:
        v.load()
        target = ROOT / "protocol/src" / v.module
        rendered = v.render()
        for name, text in rendered.items():
            text = rustfmt(text)
            path = target / name
            if check:
                if not path.exists() or path.read_text() != text:
                    stale.append(str(path.relative_to(ROOT)))
            else:
                target.mkdir(parents=True, exist_ok=True)
                if not path.exists() or path.read_text() != text:
                    path.write_text(text)
        for path in target.glob("*.rs"):
            if path.name not in rendered:
                if check:
                    stale.append(str(path.relative_to(ROOT)) + " (not generated)")
                else:
                    path.unlink()
    if stale:
        sys.exit("generate.py: stale generated files, run protocol/codegen/generate.py:\n  "
                 + "\n  ".join(stale))


if __name__ == "__main__":
    main()
