#!/usr/bin/env python3
"""Checks the business message schemas and examples of protocols/business/ (README.md, "The checker").

Every schema must be a valid JSON Schema (draft 2020-12); every `examples/<kind>.valid.json` must
validate against `schemas/<kind>.schema.json`, and every `examples/<kind>.invalid.json` must not.
Every kind of the list below must have its schema and both examples, and no other file may sit in
schemas/ or examples/. Prints one line per file and a last line `N passed, M failed`; exits 1 when
anything failed.

Needs Python 3.9+ and `jsonschema` (4.18 or later, with its `referencing` package). Run from anywhere:

    python3 protocols/business/check.py
"""

import datetime
import json
import pathlib
import re
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
except ImportError as error:  # pragma: no cover
    sys.exit(f"check.py needs the jsonschema package (4.18 or later): {error}")

HERE = pathlib.Path(__file__).resolve().parent
SCHEMAS = HERE / "schemas"
EXAMPLES = HERE / "examples"

KINDS = [
    "referral.request",
    "referral.received",
    "referral.accepted",
    "referral.declined",
    "referral.appointment",
    "referral.no-show",
    "referral.interim",
    "referral.completed",
    "referral.cancelled",
    "discharge.notice",
    "followup.visit",
    "followup.closed",
    "crisis.alert",
    "crisis.acknowledged",
    "escalation.notice",
]
SHARED = ["common"]

# The formats the schemas use, checked the same way on every machine (jsonschema's own "date-time"
# check depends on an optional package). The schemas' patterns fix the shape; these add the
# calendar: no 2026-02-30, no hour 24, offsets within ±23:59.
FORMAT_CHECKER = jsonschema.FormatChecker(formats=())


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(text):
    if not isinstance(text, str):
        return True
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return False
    datetime.date.fromisoformat(text)
    return True


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(text):
    if not isinstance(text, str):
        return True
    match = re.fullmatch(
        r"([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(Z|[+-]([0-9]{2}):([0-9]{2}))", text
    )
    if not match:
        return False
    datetime.date.fromisoformat(match.group(1))
    hour, minute, second = int(match.group(2)), int(match.group(3)), int(match.group(4))
    if hour > 23 or minute > 59 or second > 59:
        return False
    if match.group(5) != "Z" and (int(match.group(6)) > 23 or int(match.group(7)) > 59):
        return False
    return True


def load_json(path):
    with open(path, "rb") as handle:
        raw = handle.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raise ValueError("starts with a byte order mark")
    return json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates)


def no_duplicates(pairs):
    names = [name for name, _ in pairs]
    if len(names) != len(set(names)):
        raise ValueError("an object repeats a member name")
    return dict(pairs)


def first_error(validator, instance):
    """The most relevant validation error, as one line: where and what."""
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "(body)"
    message = " ".join(error.message.split())
    if len(message) > 120:
        message = message[:117] + "..."
    return f"{where}: {message}"


def main():
    passed = 0
    failed = 0

    def report(ok, label, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
        print(f"{'ok  ' if ok else 'FAIL'} {label}" + (f"  ({detail})" if detail else ""))

    # 1. Schemas: valid draft 2020-12 documents, each with its $id, all registered for $ref.
    schemas = {}
    resources = []
    for name in SHARED + KINDS:
        path = SCHEMAS / f"{name}.schema.json"
        label = f"schemas/{path.name}"
        try:
            schema = load_json(path)
            Draft202012Validator.check_schema(schema)
            expected_id = f"https://referral-broker.invalid/business/1/{path.name}"
            if schema.get("$id") != expected_id:
                raise ValueError(f"$id must be {expected_id}")
            if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
                raise ValueError("$schema must be draft 2020-12")
        except (OSError, ValueError, jsonschema.exceptions.SchemaError) as error:
            report(False, label, " ".join(str(error).split())[:160])
            continue
        schemas[name] = schema
        resources.append((schema["$id"], Resource.from_contents(schema)))
        report(True, label, "schema")
    registry = Registry().with_resources(resources)

    # 2. Examples: valid ones pass, invalid ones fail.
    for kind in KINDS:
        for expectation in ("valid", "invalid"):
            path = EXAMPLES / f"{kind}.{expectation}.json"
            label = f"examples/{path.name}"
            if kind not in schemas:
                report(False, label, "no usable schema")
                continue
            try:
                body = load_json(path)
            except (OSError, ValueError) as error:
                report(False, label, " ".join(str(error).split())[:160])
                continue
            validator = Draft202012Validator(schemas[kind], registry=registry, format_checker=FORMAT_CHECKER)
            problem = first_error(validator, body)
            if expectation == "valid":
                report(problem is None, label, "valid" if problem is None else f"should be valid, but {problem}")
            else:
                report(problem is not None, label, f"rejected: {problem}" if problem else "should be invalid, but passes")

    # 3. Nothing else lies around (a misspelt example would otherwise never be checked).
    expected = {f"{name}.schema.json" for name in SHARED + KINDS}
    for path in sorted(SCHEMAS.iterdir()):
        if path.name not in expected:
            report(False, f"schemas/{path.name}", "not a schema of a known kind")
    expected = {f"{kind}.{e}.json" for kind in KINDS for e in ("valid", "invalid")}
    for path in sorted(EXAMPLES.iterdir()):
        if path.name not in expected:
            report(False, f"examples/{path.name}", "not an example of a known kind")

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
