#!/usr/bin/env python3
"""Writes the conformance fixtures of `protocol/tests/fixtures/` from the JSON schemas.

    python3 protocol/codegen/fixtures.py          # (re)write the fixtures
    python3 protocol/codegen/fixtures.py --check  # fail if the committed fixtures are stale

For every action: a full request and response (every optional field present) and a minimal one
(required fields only), which must validate and round-trip through the typed structs unchanged;
and, for each error class, one payload with exactly one fault, the field it is at, and the class
(format, occurrence, type, property) whose CALLERROR code it must earn. Values are plausible for
their field (ids, times, energies) so the fixtures also read as examples.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))
from generate import V16_ACTIONS  # noqa: E402

CLASSES = ["format", "occurrence", "type", "property"]

# Plausible text for well-known fields; anything else gets "<Field> value".
TEXT = {
    "idTag": "04A1B2C3D4E5F6", "parentIdTag": "FLEET-0001", "idToken": "04A1B2C3D4E5F6",
    "chargePointVendor": "ACME", "chargePointModel": "Wallbox-22", "vendorName": "ACME",
    "model": "Wallbox-22", "chargePointSerialNumber": "WB22-000123", "chargeBoxSerialNumber": "CB-000123",
    "serialNumber": "WB22-000123", "firmwareVersion": "1.4.2", "iccid": "8944501234567890123",
    "imsi": "310150123456789", "meterType": "EEM-350", "meterSerialNumber": "EM-998877",
    "vendorId": "com.example", "messageId": "SetPrice", "key": "HeartbeatInterval",
    "value": "300", "transactionId": "TX-2026-000004711", "csr": "-----BEGIN CERTIFICATE REQUEST-----",
    "location": "https://files.example.com/charger/fw-1.4.2.bin",
    "remoteLocation": "https://logs.example.com/upload", "info": "Door opened",
    "type": "SettingSystemTime", "techInfo": "sensor 3", "reasonCode": "NoError",
    "additionalInfo": "details", "name": "EVSE", "instance": "1", "content": "Welcome",
    "language": "en", "certificate": "-----BEGIN CERTIFICATE-----", "hashAlgorithm": "SHA256",
    "issuerNameHash": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "issuerKeyHash": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
}


class Schema:
    def __init__(self, path: Path):
        self.root = json.loads(path.read_text())
        self.defs = self.root.get("definitions", {})

    def deref(self, node):
        while "$ref" in node:
            node = self.defs[node["$ref"].split("/")[-1]]
        return node

    # -- valid instances ---------------------------------------------------------------------
    def instance(self, node, name, full, depth=0):
        node = self.deref(node)
        if "enum" in node:
            return node["enum"][0]
        t = node.get("type")
        if t == "object":
            required = node.get("required", [])
            out = {}
            for prop, sub in node.get("properties", {}).items():
                if prop in required or (full and depth < 6):
                    out[prop] = self.instance(sub, prop, full, depth + 1)
            if node.get("additionalProperties", True) is not False and full:
                out["vendorSpecificFlag"] = True   # CustomDataType is open to vendor properties
            return out
        if t == "array":
            count = max(node.get("minItems", 1), 1)
            return [self.instance(node["items"], name, full, depth + 1) for _ in range(count)]
        if t == "string":
            if node.get("format") == "date-time":
                return "2026-11-25T10:15:30Z"
            text = TEXT.get(name, f"{name[:1].upper()}{name[1:]} value")
            limit = node.get("maxLength")
            return text[:limit] if limit else text
        if t == "integer":
            low, high = node.get("minimum"), node.get("maximum")
            value = 7 if name not in ("meterStart", "meterStop") else 1234567
            if low is not None:
                value = max(value, int(low))
            if high is not None:
                value = min(value, int(high))
            return value
        if t == "number":
            low, high = node.get("minimum"), node.get("maximum")
            value = 16 if "multipleOf" in node else 22.5
            if high is not None and value > high:
                value = high
            if low is not None and value < low:
                value = low
            return value
        if t == "boolean":
            return True
        if t is None:
            return {"price": 0.35, "currency": "EUR"}
        raise SystemExit(f"fixtures.py: type {t!r}")

    # -- one fault each ----------------------------------------------------------------------
    def fault_format(self, payload):
        bad = json.loads(json.dumps(payload))
        bad["unexpectedField"] = 1
        return bad, "unexpectedField"

    def fault_occurrence(self, payload):
        """Drops the first required field, at the root or in the first nested object that has one."""
        for path, node, value in self.walk(self.root, payload, ""):
            required = node.get("required", [])
            present = [r for r in required if r in value]
            if present:
                bad = json.loads(json.dumps(payload))
                target = self.locate(bad, path)
                del target[present[0]]
                return bad, join(path, present[0])
        return None

    def fault_type(self, payload):
        return self.replace_first(payload, wrong_type)

    def fault_property(self, payload):
        return self.replace_first(payload, out_of_bounds)

    def replace_first(self, payload, make_bad):
        """Replaces the first present field (depth-first) for which `make_bad` has a bad value."""
        for path, node, value in self.walk(self.root, payload, ""):
            for prop, sub in node.get("properties", {}).items():
                if prop not in value:
                    continue
                wrong = make_bad(self.deref(sub))
                if wrong is not None:
                    bad = json.loads(json.dumps(payload))
                    self.locate(bad, path)[prop] = wrong
                    return bad, join(path, prop)
        return None

    def walk(self, node, value, path):
        """(path, schema, value) of every object in `value`, depth-first, root first."""
        node = self.deref(node)
        t = node.get("type")
        if t == "object" and isinstance(value, dict):
            yield path, node, value
            for prop, sub in node.get("properties", {}).items():
                if prop in value:
                    yield from self.walk(sub, value[prop], join(path, prop))
        elif t == "array" and isinstance(value, list):
            for i, item in enumerate(value):
                yield from self.walk(node["items"], item, f"{path}[{i}]")

    @staticmethod
    def locate(value, path):
        for part in path.replace("[", ".[").split("."):
            if not part:
                continue
            value = value[int(part[1:-1])] if part.startswith("[") else value[part]
        return value


def join(path, prop):
    return f"{path}.{prop}" if path else prop


def wrong_type(node):
    if "enum" in node:
        return 5
    return {"string": 42, "integer": "seven", "number": "22.5", "boolean": "yes",
            "object": "an object", "array": {"not": "a list"}}.get(node.get("type"))


def out_of_bounds(node):
    if "enum" in node:
        return "NotAValueOfThisEnum"
    t = node.get("type")
    if t == "string" and node.get("format") == "date-time":
        return "25/11/2026 10:15"
    if t == "string" and "maxLength" in node:
        return "x" * (node["maxLength"] + 1)
    if t in ("integer", "number") and "minimum" in node:
        return node["minimum"] - 1
    if t in ("integer", "number") and "maximum" in node:
        return node["maximum"] + 1
    return None


def fixture(folder, action, req_file, resp_file):
    req = Schema(ROOT / "schemas" / folder / (req_file + ".json"))
    resp = Schema(ROOT / "schemas" / folder / (resp_file + ".json"))
    out = {
        "action": action,
        "request": req.instance(req.root, "", full=True),
        "requestMinimal": req.instance(req.root, "", full=False),
        "response": resp.instance(resp.root, "", full=True),
        "responseMinimal": resp.instance(resp.root, "", full=False),
        "invalid": [],
        "notApplicable": [],
    }
    for cls in CLASSES:
        for kind, schema in (("request", req), ("response", resp)):
            found = getattr(schema, "fault_" + cls)(out[kind])
            if found:
                payload, path = found
                out["invalid"].append({"class": cls, "message": kind, "path": path, "payload": payload})
                break
        else:
            # Neither schema has such a constraint (e.g. no enum, length, bound or format at all);
            # the conformance test checks that claim against the schemas.
            out["notApplicable"].append(cls)
    return out


def main():
    check = "--check" in sys.argv[1:]
    v201 = sorted(p.stem[: -len("Request")] for p in (ROOT / "schemas/ocpp2.0.1").glob("*Request.json"))
    plan = [("ocpp1.6", a, a, a + "Response") for a, _ in V16_ACTIONS]
    plan += [("ocpp2.0.1", a, a + "Request", a + "Response") for a in v201]
    stale = []
    for folder, action, req_file, resp_file in plan:
        text = json.dumps(fixture(folder, action, req_file, resp_file), indent=2) + "\n"
        path = ROOT / "protocol/tests/fixtures" / folder / (action + ".json")
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        sys.exit("fixtures.py: stale fixtures, run protocol/codegen/fixtures.py:\n  " + "\n  ".join(stale))


if __name__ == "__main__":
    main()
