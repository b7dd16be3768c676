#!/usr/bin/env python3
"""Writes valid.json and invalid.json beside this file: the 1/RBP test vectors (version 1.1); and, from
admin.py, admin-requests.json, admin-replies.json and admin-invalid.json: the ADMIN-1 vectors.

Format: 1-RBP.md section 15. Standard library only; run `python3 protocols/vectors/generate.py`.
Every vector is written out by hand below (wire header and expected result), independent of any
codec, so the files check an implementation instead of restating it. All data is made up.
"""

import hashlib
import json
import os

import admin

SIG = b"RBP\x01"
CASE = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"
CASE_UPPER = CASE.upper()
CASE2 = "0b7e4d2a-1c3f-4a5b-8c6d-7e8f9a0b1c2d"
T0 = 1767225600000  # 2026-01-01T00:00:00Z
BODY_JSON = b'{"note":"synthetic test payload","score":3}'
BODY_BINARY = bytes([0x00, 0x01, 0x02, 0xFF, 0xFE, 0x80, 0x7F, 0x0A])


def many_members(n, **first):
    """A header with exactly n top-level members: the given ones first, then x-00, x-01, ..."""
    h = dict(first)
    k = 0
    while len(h) < n:
        h["x-%02d" % k] = k
        k += 1
    return h


def header_of_size(n):
    """A header of exactly n octets: {"pad":"xxx..."}."""
    base = len(b'{"pad":""}')
    return b'{"pad":"' + b"x" * (n - base) + b'"}'


def compact(obj):
    """The broker's canonical header: compact, member order as given, raw UTF-8."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def hexframes(frames):
    return [f.hex() for f in frames]


def content_digest(to, kind, case, priority, body, followup=None):
    """The content digest of 1-RBP section 12.7, written from the spec's text (not from any codec).

    to: the addresses as sent; case: None or the case id; followup: None or the plan as a dict.
    """
    def item(x):
        return len(x).to_bytes(8, "big") + x

    recipients = b",".join(sorted(a.encode("utf-8") for a in to))
    content = (item(recipients) + item(kind.encode("utf-8"))
               + item((case or "").lower().encode("utf-8"))
               + item(priority.encode("utf-8")) + item(body))
    if followup is not None:
        steps = [{"within_days": s["within_days"]} if "within_days" in s else
                 {"every_days": s["every_days"], "for_months": s["for_months"]}
                 for s in followup["steps"]]
        plan = {"steps": steps,
                "visits_by": sorted(followup["visits_by"], key=lambda a: a.encode("utf-8"))}
        if followup.get("owner") is not None:
            plan["owner"] = followup["owner"]
        content += item(compact(plan))
    return hashlib.sha256(content).hexdigest()


def check_digest_examples():
    """The five examples of 1-RBP section 12.7: this implementation must give their digests."""
    examples = [
        ((["test-b"], "referral.request", None, "routine", b""),
         "93006031d72eeeaa03711cb6a59de902f2ccbd0ae2fa319dfb6c032a09bd68ba"),
        ((["test-b", "test-a"], "discharge.notice", "3F2A9C1E-8B4D-4E6F-9A0B-1C2D3E4F5A6B", "crisis",
          b"{}"), "59af388663405094c74ba8b4905a22cd1f145caf897329e24a8dba92e53b15eb"),
        ((["test-b", "role:health/psychiatric-clinic@350102"], "referral.request", None, "urgent", b""),
         "b6d40178f7104d120127fb7c916aea3de1dd174db6b17d51814383b44f8a94ab"),
        ((["node:test-b"], "referral.request", None, "routine", b""),
         "5b251dfaeef7bf21c07e7b293f92fd8dfb7a4b22b944369ab49f81ab91ac6b75"),
        ((["test-x", "test-a"], "discharge.notice", CASE, "routine", b"",
          {"steps": [{"within_days": 7}, {"within_days": 30}, {"every_days": 30, "for_months": 6}],
           "visits_by": ["test-a", "role:civil-affairs/child-director@350102100201"],
           "owner": "role:civil-affairs/township-supervisor@350102100"}),
         "70c8da04e68f443edeef1e49fc74b0c29601a2583d620aece086543ad7d7a30f"),
    ]
    for arguments, expected in examples:
        assert content_digest(*arguments) == expected, arguments


valid = []


def v(name, direction, command, header, wire=None, body=None, empty_body_frame=False):
    """header: the normalised header; wire: the header frame if it differs (bytes or dict)."""
    if wire is None:
        wire_bytes = compact(header)
    elif isinstance(wire, (bytes, bytearray)):
        wire_bytes = bytes(wire)
    else:
        wire_bytes = compact(wire)
    frames = [SIG, command.encode("ascii"), wire_bytes]
    if body:
        frames.append(body)
    elif empty_body_frame:
        frames.append(b"")
    vec = {"name": name, "direction": direction, "frames": hexframes(frames), "command": command,
           "header": header}
    if command in ("SEND", "DELIVER"):
        vec["body_hex"] = (body or b"").hex()
    if command == "SEND":
        vec["digest"] = content_digest(header["to"], header["kind"], header.get("case"),
                                       header["priority"], body or b"", header.get("followup"))
    valid.append(vec)


N2B, B2N = "node-to-broker", "broker-to-node"

# ---- HELLO
v("hello-minimal", N2B, "HELLO", {"node": "test-a", "window": 64}, wire={"node": "test-a"})
v("hello-full", N2B, "HELLO", {"node": "test-b", "window": 128, "agent": "example-node/1.0"})
v("hello-unknown-members-ignored", N2B, "HELLO", {"node": "test-a", "window": 8},
  wire={"window": 8, "future": {"nested": [1, 2, {"x": None}]}, "node": "test-a"})
v("hello-null-optional-is-absent", N2B, "HELLO", {"node": "test-a", "window": 64},
  wire={"node": "test-a", "window": None, "agent": None})
v("hello-window-max-whitespace", N2B, "HELLO", {"node": "test-a", "window": 1024},
  wire=b' { "node" : "test-a" ,\r\n\t"window" : 1024 } ')

# ---- WELCOME
v("welcome", B2N, "WELCOME", {"node": "test-a", "session": "s-1", "heartbeat_ms": 5000,
                              "liveness": 3, "window": 64, "ack_timeout_ms": 30000,
                              "max_header": 16384, "max_body": 1048576,
                              "max_recipients": 64, "pending": 2, "receipts": 1})
v("welcome-store", B2N, "WELCOME", {"node": "test-a", "session": "s-2", "heartbeat_ms": 5000,
                                    "liveness": 3, "window": 64, "ack_timeout_ms": 30000,
                                    "max_header": 16384, "max_body": 1048576,
                                    "max_recipients": 64, "pending": 0, "receipts": 0,
                                    "store": "5f0c2a9e7d3b41f6a8e2c4d6b0f19e37"})

# ---- SEND
v("send-routine-no-case-no-body", N2B, "SEND",
  {"id": "test-a:000001", "to": ["test-b"], "kind": "referral.request", "priority": "routine"})
v("send-urgent-case-body", N2B, "SEND",
  {"id": "test-a:000002", "to": ["test-b"], "kind": "referral.request", "case": CASE,
   "priority": "urgent"}, body=BODY_JSON)
v("send-crisis-two-recipients-uppercase-case-binary-body", N2B, "SEND",
  {"id": "test-a:000003", "to": ["test-b", "test-a"], "kind": "crisis.alert", "case": CASE,
   "priority": "crisis"},
  wire={"priority": "crisis", "case": CASE_UPPER, "kind": "crisis.alert",
        "to": ["test-b", "test-a"], "id": "test-a:000003"},
  body=BODY_BINARY)
v("send-empty-body-frame", N2B, "SEND",
  {"id": "test-a:000004", "to": ["test-b"], "kind": "discharge.notice", "case": CASE2,
   "priority": "routine"}, empty_body_frame=True)
v("send-null-case-escaped-kind", N2B, "SEND",
  {"id": "0b7e4d2a@test-a.example:42", "to": ["test-b"], "kind": "followup.visit",
   "priority": "urgent"},
  wire=b'{"id":"0b7e4d2a@test-a.example:42","to":["test-b"],'
       b'"kind":"followup\\u002evisit","case":null,"priority":"urgent","x-trace":"abc"}')

# SEND with addresses (1.1): node:, role: with a kind and with *, plain and node: forms of one node
v("send-node-address", N2B, "SEND",
  {"id": "test-a:000010", "to": ["node:test-b"], "kind": "referral.request", "priority": "routine"})
v("send-role-addresses", N2B, "SEND",
  {"id": "test-a:000011",
   "to": ["role:health/child-psychology-clinic@350102001", "role:civil-affairs/*@350102100201",
          "role:education/county-bureau@350102"],
   "kind": "referral.request", "case": CASE, "priority": "urgent"}, body=BODY_JSON)
v("send-mixed-addresses-same-node-two-forms", N2B, "SEND",
  {"id": "test-a:000012", "to": ["test-b", "node:test-b", "role:health/*@350100"],
   "kind": "crisis.alert", "priority": "crisis"})
v("send-role-longest-names", N2B, "SEND",
  {"id": "test-a:000013", "to": ["role:" + "a" * 31 + "-/" + "k" + "-9" * 15 + "8@350000"],
   "kind": "referral.request", "priority": "routine"})
v("send-32-header-members", N2B, "SEND",
  {"id": "test-a:000014", "to": ["test-b"], "kind": "referral.request", "priority": "routine"},
  wire=many_members(32, id="test-a:000014", to=["test-b"], kind="referral.request",
                    priority="routine"))

# SEND with a follow-up plan (1.3, §7.3.2): only on discharge.notice with a case
PLAN = {"steps": [{"within_days": 7}, {"within_days": 30}, {"every_days": 30, "for_months": 6}],
        "visits_by": ["test-a", "role:civil-affairs/child-director@350102100201"],
        "owner": "role:civil-affairs/township-supervisor@350102100"}
v("send-discharge-followup-plan", N2B, "SEND",
  {"id": "test-d:000001", "to": ["test-a", "role:civil-affairs/child-director@350102100201"],
   "kind": "discharge.notice", "case": CASE, "priority": "routine", "followup": PLAN},
  body=BODY_JSON)
v("send-discharge-followup-minimal-null-owner", N2B, "SEND",
  {"id": "test-d:000002", "to": ["test-a"], "kind": "discharge.notice", "case": CASE2,
   "priority": "routine",
   "followup": {"steps": [{"within_days": 1}], "visits_by": ["test-a"]}},
  wire={"id": "test-d:000002", "to": ["test-a"], "kind": "discharge.notice", "case": CASE2,
        "priority": "routine",
        "followup": {"visits_by": ["test-a"], "owner": None, "steps": [{"within_days": 1}]}})

# ---- ACCEPTED
v("accepted", B2N, "ACCEPTED", {"id": "test-a:000002", "seq": 1042, "duplicate": False})
v("accepted-duplicate-max-seq", B2N, "ACCEPTED",
  {"id": "test-a:000002", "seq": 9007199254740991, "duplicate": True})
v("accepted-recipients", B2N, "ACCEPTED",
  {"id": "test-a:000002", "seq": 1042, "duplicate": False, "recipients": 2})

# ---- REJECTED
v("rejected-unknown-recipient", B2N, "REJECTED",
  {"id": "test-a:000005", "code": "UNKNOWN_RECIPIENT", "retry": False,
   "reason": "recipient is not a known node", "recipient": "no-such-node"})
v("rejected-bad-field", B2N, "REJECTED",
  {"id": "test-a:000006", "code": "BAD_FIELD", "retry": False,
   "reason": "kind must be lowercase segments separated by dots", "field": "kind"})
v("rejected-store-failed-retry-utf8-reason", B2N, "REJECTED",
  {"id": "test-a:000007", "code": "STORE_FAILED", "retry": True,
   "reason": "disk full \u2014 nothing stored, \"retry\" later \u00e9\u4e2d"})
v("rejected-no-matching-node-role", B2N, "REJECTED",
  {"id": "test-a:000009", "code": "NO_MATCHING_NODE", "retry": False,
   "reason": "no active womens-federation/family-education-station node at 350102, 350100, 350000",
   "recipient": "role:womens-federation/family-education-station@350102"})
v("rejected-forbidden", B2N, "REJECTED",
  {"id": "test-a:000010", "code": "FORBIDDEN", "retry": False,
   "reason": "denied by policy rule broker-only: no node may send escalation.notice; only the broker does"})
v("rejected-rate-limited", B2N, "REJECTED",
  {"id": "test-a:000011", "code": "RATE_LIMITED", "retry": True,
   "reason": "this node is sending faster than its rate limit; retry after a backoff"})
v("rejected-unknown-code", B2N, "REJECTED",
  {"id": "test-a:000008", "code": "FUTURE_CODE_9", "retry": True, "reason": ""})

# ---- DELIVER
v("deliver-case-body", B2N, "DELIVER",
  {"seq": 1042, "id": "test-a:000002", "from": "test-a", "to": ["test-b"],
   "kind": "referral.request", "case": CASE, "priority": "urgent", "accepted_at": T0,
   "attempt": 1}, body=BODY_JSON)
v("deliver-no-case-no-body-retry", B2N, "DELIVER",
  {"seq": 7, "id": "test-b:x", "from": "test-b", "to": ["test-a", "test-b"],
   "kind": "escalation.notice", "priority": "routine", "accepted_at": 0, "attempt": 3})

# ---- ACK / NACK
v("ack", N2B, "ACK", {"seq": 1042})
v("ack-max-seq", N2B, "ACK", {"seq": 9007199254740991}, wire=b'{"seq":9007199254740991}')
v("nack-retry", N2B, "NACK", {"seq": 1042, "retry": True, "reason": "inbox unavailable"})
v("nack-permanent", N2B, "NACK",
  {"seq": 1043, "retry": False, "reason": "kind not handled by this node"})
v("nack-reason-escapes", N2B, "NACK", {"seq": 1, "retry": True, "reason": "\u00e9 \"q\" \\"},
  wire=b'{"reason":"\\u00e9 \\"q\\" \\\\","retry":true,"seq":1}')

# ---- RECEIPT / RECEIPT-ACK
v("receipt-delivered", B2N, "RECEIPT",
  {"receipt": 77, "seq": 1042, "id": "test-a:000002", "recipient": "test-b",
   "outcome": "delivered", "at": T0 + 250})
v("receipt-dead-lettered", B2N, "RECEIPT",
  {"receipt": 78, "seq": 1043, "id": "test-a:000003", "recipient": "test-b",
   "outcome": "dead-lettered", "at": T0 + 900,
   "reason": "kind not handled by this node"})
v("receipt-ack", N2B, "RECEIPT-ACK", {"receipt": 77})

# ---- PING / PONG / BYE both ways
for cmd in ("PING", "PONG", "BYE"):
    v(cmd.lower() + "-node", N2B, cmd, {}, wire=b"{}")
    v(cmd.lower() + "-broker", B2N, cmd, {}, wire=b"{}")
v("ping-with-members-and-space", N2B, "PING", {}, wire=b' {"ts":1,"note":"x"}\n')
v("ping-header-at-limit", N2B, "PING", {}, wire=header_of_size(16384))

# ---- ERROR
v("error-not-connected", B2N, "ERROR",
  {"code": "NOT_CONNECTED", "reason": "send HELLO first", "fatal": False, "command": "SEND"})
v("error-unknown-node-fatal", B2N, "ERROR",
  {"code": "UNKNOWN_NODE", "reason": "node is not in the directory", "fatal": True,
   "command": "HELLO"})
v("error-bad-field", B2N, "ERROR",
  {"code": "BAD_FIELD", "reason": "seq must be an integer from 1 to 9007199254740991",
   "fatal": False, "command": "ACK", "field": "seq"})
v("error-identity-mismatch-fatal", B2N, "ERROR",
  {"code": "IDENTITY_MISMATCH", "reason": "this connection's key belongs to another node", "fatal": True,
   "command": "HELLO", "field": "node"})
v("error-node-suspended-unsolicited", B2N, "ERROR",
  {"code": "NODE_SUSPENDED", "reason": "this node is suspended in the directory", "fatal": True})
# 1.7 (§7.1, §11.4): a standby answers HELLO with NOT_ACTIVE; an instance that stops being active tells its sessions
v("error-not-active-fatal", B2N, "ERROR",
  {"code": "NOT_ACTIVE", "reason": "this broker is a standby: try the next endpoint", "fatal": True,
   "command": "HELLO"})
v("error-not-active-unsolicited", B2N, "ERROR",
  {"code": "NOT_ACTIVE", "reason": "this broker is no longer the active one: try the next endpoint",
   "fatal": True})
v("ping-32-members", N2B, "PING", {}, wire=many_members(32))
v("error-bad-signature-minimal", B2N, "ERROR",
  {"code": "BAD_SIGNATURE", "reason": "not an RBP/1 message", "fatal": False})

# ---- QUERY and ANSWER (1.6, §7.14, §7.15): a node's read-only view of a case and of its overdue items
v("query-case", N2B, "QUERY", {"ref": "q-1", "what": "case", "case": CASE},
  wire={"what": "case", "case": CASE_UPPER, "ref": "q-1"})
v("query-overdue-default-limit", N2B, "QUERY", {"ref": "q-2", "what": "overdue", "limit": 20},
  wire={"ref": "q-2", "what": "overdue", "limit": None})
v("query-overdue-max-limit", N2B, "QUERY", {"ref": "test-a:query:3", "what": "overdue", "limit": 100})
v("answer-case", B2N, "ANSWER",
  {"ref": "q-1", "what": "case", "case": CASE, "status": "requested", "attempt": 1, "referrer": "test-a",
   "service": "test-b", "opened_at": 1767225600000, "updated_at": 1767225600000,
   "deadlines": [
       {"id": 7, "awaiting": "delivery", "party": "test-b", "seq": 1042, "due_at": 1767225900000,
        "level": 0, "risk": "urgent"},
       {"id": 8, "awaiting": "answer", "party": "test-b", "due_at": 1767312000000, "level": 1,
        "risk": "urgent"}],
   "events": [
       {"at": 1767225600000, "event": "accepted", "seq": 1042, "id": "test-a:000001", "from": "test-a"},
       {"at": 1767225600250, "event": "delivery-attempt", "seq": 1042, "id": "test-a:000001",
        "from": "test-a", "recipient": "test-b", "attempt": 1}],
   "truncated": False})
v("answer-case-untracked-truncated", B2N, "ANSWER",
  {"ref": "q-4", "what": "case", "case": CASE2,
   "deadlines": [{"id": 12, "awaiting": "visit", "party": "test-a", "number": 2, "due_at": 1769817600000,
                  "level": 0}],
   "events": [], "truncated": True})
v("answer-overdue", B2N, "ANSWER",
  {"ref": "q-2", "what": "overdue",
   "items": [{"id": 8, "case": CASE, "awaiting": "answer", "party": "test-b", "due_at": 1767312000000,
              "level": 1, "risk": "urgent"}],
   "truncated": False})
v("answer-overdue-empty", B2N, "ANSWER", {"ref": "q-5", "what": "overdue", "items": [], "truncated": False})
v("error-query-not-found", B2N, "ERROR",
  {"code": "NOT_FOUND", "reason": "no case with this id that this node may see", "fatal": False,
   "command": "QUERY", "ref": "q-1"})

# ============================================================================ invalid vectors
invalid = []


def inv(name, frames, code, reply="ERROR", context="session", field=None, msg_id=None,
        recipient=None, fatal=None, codec=True, ref=None):
    frames = [f if isinstance(f, (bytes, bytearray)) else
              (compact(f) if isinstance(f, dict) else f.encode("utf-8")) for f in frames]
    err = {"code": code, "reply": reply}
    if field is not None:
        err["field"] = field
    if msg_id is not None:
        err["id"] = msg_id
    if recipient is not None:
        err["recipient"] = recipient
    if ref is not None:
        err["ref"] = ref
    if reply == "ERROR":
        if fatal is None:
            is_hello = len(frames) > 1 and bytes(frames[0]) == SIG and bytes(frames[1]) == b"HELLO"
            fatal = code in ("UNSUPPORTED_VERSION", "UNKNOWN_NODE", "IDENTITY_MISMATCH",
                             "NODE_SUSPENDED") or is_hello
        err["fatal"] = fatal
    vec = {"name": name, "context": context, "frames": hexframes(frames), "error": err}
    if not codec:
        vec["codec"] = False
    invalid.append(vec)




PING = [SIG, b"PING", b"{}"]
GOOD_SEND = {"id": "test-a:bad-1", "to": ["test-b"], "kind": "referral.request",
             "priority": "routine"}


def send_with(**changes):
    h = dict(GOOD_SEND)
    for k, val in changes.items():
        if val is ...:
            h.pop(k, None)
        else:
            h[k] = val
    return [SIG, b"SEND", compact(h)]


# BAD_SIGNATURE
inv("signature-short", [b"RBP", b"PING", b"{}"], "BAD_SIGNATURE")
inv("signature-lowercase", [b"rbp\x01", b"PING", b"{}"], "BAD_SIGNATURE")
inv("signature-mdp", [b"MDPC01", b"PING", b"{}"], "BAD_SIGNATURE")
inv("signature-empty-frame", [b"", b"RBP\x01", b"PING", b"{}"], "BAD_SIGNATURE")
inv("signature-long", [b"RBP\x01\x00", b"PING", b"{}"], "BAD_SIGNATURE")
inv("signature-only-garbage", [b"\xff"], "BAD_SIGNATURE")
# UNSUPPORTED_VERSION
inv("version-2", [b"RBP\x02", b"HELLO", b'{"node":"test-a"}'], "UNSUPPORTED_VERSION",
    context="no-session")
inv("version-0", [b"RBP\x00", b"PING", b"{}"], "UNSUPPORTED_VERSION")
# BAD_FRAMES
inv("frames-one", [SIG], "BAD_FRAMES")
inv("frames-two", [SIG, b"PING"], "BAD_FRAMES")
inv("frames-ack-four", [SIG, b"ACK", b'{"seq":1}', b""], "BAD_FRAMES")
inv("frames-send-five", send_with() + [b"body", b"more"], "BAD_FRAMES")
inv("frames-hello-four", [SIG, b"HELLO", b'{"node":"test-a"}', b"x"], "BAD_FRAMES",
    context="no-session")
# UNKNOWN_COMMAND
inv("command-misspelt", [SIG, b"HELO", b'{"node":"test-a"}'], "UNKNOWN_COMMAND",
    context="no-session")
inv("command-lowercase", [SIG, b"ping", b"{}"], "UNKNOWN_COMMAND")
inv("command-empty", [SIG, b"", b"{}"], "UNKNOWN_COMMAND")
inv("command-binary", [SIG, b"\x00\xffPING", b"{}"], "UNKNOWN_COMMAND")
# UNEXPECTED_COMMAND (a node sending broker commands)
inv("unexpected-welcome", [SIG, b"WELCOME", b"{}"], "UNEXPECTED_COMMAND")
inv("unexpected-deliver", [SIG, b"DELIVER", b"{}"], "UNEXPECTED_COMMAND")
inv("unexpected-accepted", [SIG, b"ACCEPTED", b"{}"], "UNEXPECTED_COMMAND")
inv("unexpected-rejected", [SIG, b"REJECTED", b"{}"], "UNEXPECTED_COMMAND")
inv("unexpected-receipt", [SIG, b"RECEIPT", b"{}"], "UNEXPECTED_COMMAND")
inv("unexpected-error", [SIG, b"ERROR", b"{}"], "UNEXPECTED_COMMAND")
# TOO_LARGE
inv("header-too-large", [SIG, b"PING", header_of_size(16385)], "TOO_LARGE")
BIG_SEND_HEADER = b'{"id":"test-a:big",' + header_of_size(16385 - 18)[1:]
assert len(BIG_SEND_HEADER) == 16385
inv("send-header-too-large-is-error", [SIG, b"SEND", BIG_SEND_HEADER], "TOO_LARGE")
# more than 32 top-level members (1.1): ERROR, or REJECTED for a SEND with a valid id; no field
inv("header-33-members", [SIG, b"PING", compact(many_members(33))], "TOO_LARGE")
inv("header-33-members-null-and-unknown-count", [SIG, b"ACK", compact(
    many_members(33, seq=1, later=None))], "TOO_LARGE")
inv("send-33-members", [SIG, b"SEND", compact(many_members(
    33, id="test-a:big-2", to=["test-b"], kind="referral.request", priority="routine"))],
    "TOO_LARGE", "REJECTED", msg_id="test-a:big-2")
inv("hello-33-members-fatal", [SIG, b"HELLO", compact(many_members(33, node="test-a"))],
    "TOO_LARGE", context="no-session")
# BAD_HEADER
inv("header-not-json", [SIG, b"ACK", b"seq=1"], "BAD_HEADER")
inv("header-empty", [SIG, b"PING", b""], "BAD_HEADER")
inv("header-array", [SIG, b"PING", b"[]"], "BAD_HEADER")
inv("header-string", [SIG, b"PING", b'"{}"'], "BAD_HEADER")
inv("header-null", [SIG, b"PING", b"null"], "BAD_HEADER")
inv("header-bad-utf8", [SIG, b"NACK", b'{"seq":1,"retry":true,"reason":"\xff"}'], "BAD_HEADER")
inv("header-overlong-utf8", [SIG, b"NACK", b'{"seq":1,"retry":true,"reason":"\xc0\xaf"}'],
    "BAD_HEADER")
inv("header-utf8-surrogate", [SIG, b"NACK", b'{"seq":1,"retry":true,"reason":"\xed\xa0\x80"}'],
    "BAD_HEADER")
inv("header-lone-surrogate-escape", [SIG, b"NACK", b'{"seq":1,"retry":true,"reason":"\\ud800"}'],
    "BAD_HEADER")
inv("header-low-surrogate-first", [SIG, b"PING", b'{"a":"\\udc00\\ud800"}'], "BAD_HEADER")
inv("header-duplicate-key", [SIG, b"ACK", b'{"seq":1,"seq":2}'], "BAD_HEADER")
inv("header-duplicate-key-escaped", [SIG, b"ACK", b'{"seq":1,"s\\u0065q":1}'], "BAD_HEADER")
inv("header-duplicate-key-nested", [SIG, b"PING", b'{"a":{"b":1,"b":1}}'], "BAD_HEADER")
inv("header-too-deep", [SIG, b"PING", b'{"a":[[{"b":[]}]]}'], "BAD_HEADER")
inv("header-trailing-garbage", [SIG, b"ACK", b'{"seq":1} x'], "BAD_HEADER")
inv("header-two-objects", [SIG, b"PING", b"{}{}"], "BAD_HEADER")
inv("header-trailing-comma", [SIG, b"ACK", b'{"seq":1,}'], "BAD_HEADER")
inv("header-leading-zero", [SIG, b"ACK", b'{"seq":01}'], "BAD_HEADER")
inv("header-single-quotes", [SIG, b"ACK", b"{'seq':1}"], "BAD_HEADER")
inv("header-bad-escape", [SIG, b"PING", b'{"a":"\\x41"}'], "BAD_HEADER")
inv("header-raw-control-char", [SIG, b"PING", b'{"a":"x\ny"}'], "BAD_HEADER")
inv("header-bom", [SIG, b"PING", b"\xef\xbb\xbf{}"], "BAD_HEADER")
inv("header-unterminated", [SIG, b"ACK", b'{"seq":1'], "BAD_HEADER")
inv("header-nan", [SIG, b"PING", b'{"a":NaN}'], "BAD_HEADER")
inv("header-hello-not-json-fatal", [SIG, b"HELLO", b"node=test-a"], "BAD_HEADER",
    context="no-session")
# BAD_FIELD in ERROR
inv("hello-node-missing", [SIG, b"HELLO", b"{}"], "BAD_FIELD", field="node", context="no-session")
inv("hello-node-uppercase", [SIG, b"HELLO", b'{"node":"Test-A"}'], "BAD_FIELD", field="node",
    context="no-session")
inv("hello-node-leading-dash", [SIG, b"HELLO", b'{"node":"-test"}'], "BAD_FIELD", field="node",
    context="no-session")
inv("hello-node-too-long", [SIG, b"HELLO", compact({"node": "t" * 65})], "BAD_FIELD",
    field="node", context="no-session")
inv("hello-node-number", [SIG, b"HELLO", b'{"node":42}'], "BAD_FIELD", field="node",
    context="no-session")
inv("hello-window-zero", [SIG, b"HELLO", b'{"node":"test-a","window":0}'], "BAD_FIELD",
    field="window", context="no-session")
inv("hello-window-over-max", [SIG, b"HELLO", b'{"node":"test-a","window":1025}'], "BAD_FIELD",
    field="window", context="no-session")
inv("hello-window-string", [SIG, b"HELLO", b'{"node":"test-a","window":"64"}'], "BAD_FIELD",
    field="window", context="no-session")
inv("hello-window-fraction", [SIG, b"HELLO", b'{"node":"test-a","window":64.0}'], "BAD_FIELD",
    field="window", context="no-session")
inv("hello-window-exponent", [SIG, b"HELLO", b'{"node":"test-a","window":6.4e1}'], "BAD_FIELD",
    field="window", context="no-session")
inv("hello-agent-too-long", [SIG, b"HELLO", compact({"node": "test-a", "agent": "a" * 65})],
    "BAD_FIELD", field="agent", context="no-session")
inv("hello-agent-control-char", [SIG, b"HELLO", b'{"node":"test-a","agent":"x\\ny"}'],
    "BAD_FIELD", field="agent", context="no-session")
inv("ack-seq-missing", [SIG, b"ACK", b"{}"], "BAD_FIELD", field="seq")
inv("ack-seq-null", [SIG, b"ACK", b'{"seq":null}'], "BAD_FIELD", field="seq")
inv("ack-seq-zero", [SIG, b"ACK", b'{"seq":0}'], "BAD_FIELD", field="seq")
inv("ack-seq-negative", [SIG, b"ACK", b'{"seq":-1}'], "BAD_FIELD", field="seq")
inv("ack-seq-2-pow-53", [SIG, b"ACK", b'{"seq":9007199254740992}'], "BAD_FIELD", field="seq")
inv("ack-seq-huge", [SIG, b"ACK", b'{"seq":123456789012345678901234567890}'], "BAD_FIELD",
    field="seq")
inv("ack-seq-string", [SIG, b"ACK", b'{"seq":"1"}'], "BAD_FIELD", field="seq")
inv("nack-retry-missing", [SIG, b"NACK", b'{"seq":1,"reason":"x"}'], "BAD_FIELD", field="retry")
inv("nack-retry-number", [SIG, b"NACK", b'{"seq":1,"retry":1,"reason":"x"}'], "BAD_FIELD",
    field="retry")
inv("nack-reason-missing", [SIG, b"NACK", b'{"seq":1,"retry":false}'], "BAD_FIELD",
    field="reason")
inv("nack-reason-too-long", [SIG, b"NACK", compact({"seq": 1, "retry": False, "reason": "r" * 201})],
    "BAD_FIELD", field="reason")
inv("receipt-ack-receipt-string", [SIG, b"RECEIPT-ACK", b'{"receipt":"77"}'], "BAD_FIELD",
    field="receipt")
inv("send-id-missing-is-error", send_with(id=...), "BAD_FIELD", field="id")
inv("send-id-invalid-is-error", send_with(id="has space"), "BAD_FIELD", field="id")
inv("send-id-too-long-is-error", send_with(id="i" * 129), "BAD_FIELD", field="id")
inv("send-id-number-is-error", send_with(id=12), "BAD_FIELD", field="id")
# BAD_FIELD / TOO_LARGE in REJECTED (SEND with a readable id)
inv("send-to-missing", send_with(to=..., id="test-a:bad-2"), "BAD_FIELD", "REJECTED",
    field="to", msg_id="test-a:bad-2")
inv("send-to-empty", send_with(to=[], id="test-a:bad-3"), "BAD_FIELD", "REJECTED", field="to",
    msg_id="test-a:bad-3")
inv("send-to-duplicate", send_with(to=["test-b", "test-b"], id="test-a:bad-4"), "BAD_FIELD",
    "REJECTED", field="to", msg_id="test-a:bad-4")
inv("send-to-too-many", send_with(to=["test-%d" % i for i in range(65)], id="test-a:bad-5"),
    "TOO_LARGE", "REJECTED", field="to", msg_id="test-a:bad-5")
inv("send-to-bad-node-id", send_with(to=["test-b", "Test B"], id="test-a:bad-6"), "BAD_FIELD",
    "REJECTED", field="to", msg_id="test-a:bad-6")
inv("send-to-string", send_with(to="test-b", id="test-a:bad-7"), "BAD_FIELD", "REJECTED",
    field="to", msg_id="test-a:bad-7")
# addresses (1.1): any fault of the grammar of §6 is BAD_FIELD "to", REJECTED
BAD_ADDRESSES = [
    ("node-prefix-empty", "node:"),
    ("node-prefix-bad-id", "node:Test-B"),
    ("node-prefix-uppercase", "Node:test-b"),
    ("node-prefix-twice", "node:node:test-b"),
    ("unknown-scheme", "group:test-b"),
    ("role-agency-uppercase", "role:Health/hospital@350102"),
    ("role-agency-digit-first", "role:1health/hospital@350102"),
    ("role-agency-empty", "role:/hospital@350102"),
    ("role-agency-33-chars", "role:" + "a" * 33 + "/hospital@350102"),
    ("role-agency-underscore", "role:civil_affairs/*@350102"),
    ("role-kind-missing", "role:health@350102"),
    ("role-kind-empty", "role:health/@350102"),
    ("role-kind-two-stars", "role:health/**@350102"),
    ("role-kind-star-prefix", "role:health/*clinic@350102"),
    ("role-kind-33-chars", "role:health/" + "k" * 33 + "@350102"),
    ("role-kind-dotted", "role:health/psychiatric.clinic@350102"),
    ("role-two-slashes", "role:health/hospital/x@350102"),
    ("role-division-missing", "role:health/hospital"),
    ("role-division-empty", "role:health/hospital@"),
    ("role-division-5-digits", "role:health/hospital@35010"),
    ("role-division-7-digits", "role:health/hospital@3501020"),
    ("role-division-4-digits-city", "role:health/hospital@3501"),
    ("role-division-letter", "role:health/hospital@35010a"),
    ("role-division-fullwidth-digits", "role:health/hospital@\uff13\uff15\uff10\uff11\uff10\uff12"),
    ("role-trailing-space", "role:health/hospital@350102 "),
    ("role-uppercase-prefix", "ROLE:health/hospital@350102"),
    ("role-two-ats", "role:health/hospital@350102@350102"),
]
for k, (label, address) in enumerate(BAD_ADDRESSES):
    inv("send-address-" + label, send_with(to=["test-b", address], id="test-a:addr-%d" % k),
        "BAD_FIELD", "REJECTED", field="to", msg_id="test-a:addr-%d" % k)
inv("send-address-duplicate-role", send_with(
    to=["role:health/*@350102", "test-b", "role:health/*@350102"], id="test-a:addr-dup"),
    "BAD_FIELD", "REJECTED", field="to", msg_id="test-a:addr-dup")
inv("send-address-duplicate-node-form", send_with(
    to=["node:test-b", "node:test-b"], id="test-a:addr-dup-2"),
    "BAD_FIELD", "REJECTED", field="to", msg_id="test-a:addr-dup-2")
inv("send-address-number", send_with(to=["test-b", 350102], id="test-a:addr-num"),
    "BAD_FIELD", "REJECTED", field="to", msg_id="test-a:addr-num")
inv("send-kind-uppercase", send_with(kind="Referral.Request", id="test-a:bad-8"), "BAD_FIELD",
    "REJECTED", field="kind", msg_id="test-a:bad-8")
inv("send-kind-empty-segment", send_with(kind="referral..request", id="test-a:bad-9"),
    "BAD_FIELD", "REJECTED", field="kind", msg_id="test-a:bad-9")
inv("send-kind-digit-first", send_with(kind="referral.1st", id="test-a:bad-10"), "BAD_FIELD",
    "REJECTED", field="kind", msg_id="test-a:bad-10")
inv("send-kind-missing", send_with(kind=..., id="test-a:bad-11"), "BAD_FIELD", "REJECTED",
    field="kind", msg_id="test-a:bad-11")
inv("send-case-not-uuid", send_with(case="case-42", id="test-a:bad-12"), "BAD_FIELD",
    "REJECTED", field="case", msg_id="test-a:bad-12")
inv("send-case-no-hyphens", send_with(case=CASE.replace("-", ""), id="test-a:bad-13"),
    "BAD_FIELD", "REJECTED", field="case", msg_id="test-a:bad-13")
inv("send-priority-unknown", send_with(priority="high", id="test-a:bad-14"), "BAD_FIELD",
    "REJECTED", field="priority", msg_id="test-a:bad-14")
inv("send-priority-missing", send_with(priority=..., id="test-a:bad-15"), "BAD_FIELD",
    "REJECTED", field="priority", msg_id="test-a:bad-15")
inv("send-priority-uppercase", send_with(priority="CRISIS", id="test-a:bad-16"), "BAD_FIELD",
    "REJECTED", field="priority", msg_id="test-a:bad-16")

# followup (1.3, §7.3.2): every fault is BAD_FIELD "followup", REJECTED
DISCHARGE = {"id": "test-d:fu", "to": ["test-a"], "kind": "discharge.notice", "case": CASE,
             "priority": "routine"}
GOOD_PLAN = {"steps": [{"within_days": 7}], "visits_by": ["test-a"]}
BAD_PLANS = [
    ("not-object", "within 7 days"),
    ("unknown-member", dict(GOOD_PLAN, every="month")),
    ("steps-missing", {"visits_by": ["test-a"]}),
    ("steps-empty", dict(GOOD_PLAN, steps=[])),
    ("steps-13", dict(GOOD_PLAN, steps=[{"within_days": d + 1} for d in range(13)])),
    ("step-both-forms", dict(GOOD_PLAN, steps=[{"within_days": 7, "every_days": 30}])),
    ("step-within-zero", dict(GOOD_PLAN, steps=[{"within_days": 0}])),
    ("step-within-367", dict(GOOD_PLAN, steps=[{"within_days": 367}])),
    ("step-within-string", dict(GOOD_PLAN, steps=[{"within_days": "7"}])),
    ("step-within-fraction", dict(GOOD_PLAN, steps=[{"within_days": 7.5}])),
    ("step-every-without-months", dict(GOOD_PLAN, steps=[{"every_days": 30}])),
    ("step-months-37", dict(GOOD_PLAN, steps=[{"every_days": 30, "for_months": 37}])),
    ("step-unknown-member", dict(GOOD_PLAN, steps=[{"within_days": 7, "note": "x"}])),
    ("within-not-increasing", dict(GOOD_PLAN, steps=[{"within_days": 30}, {"within_days": 7}])),
    ("within-repeated", dict(GOOD_PLAN, steps=[{"within_days": 7}, {"within_days": 7}])),
    ("within-after-every", dict(GOOD_PLAN, steps=[{"every_days": 30, "for_months": 2},
                                                  {"within_days": 90}])),
    ("over-100-visits", dict(GOOD_PLAN, steps=[{"every_days": 1, "for_months": 4}])),
    ("visits-by-missing", {"steps": [{"within_days": 7}]}),
    ("visits-by-empty", dict(GOOD_PLAN, visits_by=[])),
    ("visits-by-duplicate", dict(GOOD_PLAN, visits_by=["test-a", "test-a"])),
    ("visits-by-9", dict(GOOD_PLAN, visits_by=["test-%d" % i for i in range(9)])),
    ("visits-by-bad-address", dict(GOOD_PLAN, visits_by=["role:civil-affairs/child-director"])),
    ("visits-by-string", dict(GOOD_PLAN, visits_by="test-a")),
    ("owner-bad-address", dict(GOOD_PLAN, owner="Test A")),
    ("owner-array", dict(GOOD_PLAN, owner=["test-a"])),
]
for k, (label, plan) in enumerate(BAD_PLANS):
    inv("send-followup-" + label, [SIG, b"SEND", compact(dict(DISCHARGE, id="test-d:fu-%d" % k,
                                                              followup=plan))],
        "BAD_FIELD", "REJECTED", field="followup", msg_id="test-d:fu-%d" % k)
inv("send-followup-on-other-kind", [SIG, b"SEND", compact(dict(
    DISCHARGE, id="test-d:fu-kind", kind="referral.request", followup=GOOD_PLAN))],
    "BAD_FIELD", "REJECTED", field="followup", msg_id="test-d:fu-kind")
inv("send-followup-without-case", [SIG, b"SEND", compact(dict(
    {k: x for k, x in DISCHARGE.items() if k != "case"}, id="test-d:fu-case", followup=GOOD_PLAN))],
    "BAD_FIELD", "REJECTED", field="followup", msg_id="test-d:fu-case")

# ---- broker-state faults (codec: false): replayed against a running broker
inv("state-send-before-hello", [SIG, b"SEND", compact(dict(GOOD_SEND, id="test-a:state-1"))],
    "NOT_CONNECTED", context="no-session", codec=False)
inv("state-ack-before-hello", [SIG, b"ACK", b'{"seq":1}'], "NOT_CONNECTED", context="no-session",
    codec=False)
inv("state-ping-before-hello", [SIG, b"PING", b"{}"], "NOT_CONNECTED", context="no-session",
    codec=False)
# With CURVE (§13) a HELLO must name the node of the connection's key (test-a here):
inv("state-hello-unknown-node-is-identity-mismatch", [SIG, b"HELLO", b'{"node":"no-such-node"}'],
    "IDENTITY_MISMATCH", context="no-session", field="node", codec=False)
inv("state-hello-other-node-is-identity-mismatch", [SIG, b"HELLO", b'{"node":"test-b"}'],
    "IDENTITY_MISMATCH", context="no-session", field="node", codec=False)
inv("state-ack-unknown-delivery", [SIG, b"ACK", b'{"seq":999999999}'], "UNKNOWN_DELIVERY",
    codec=False)
inv("state-nack-unknown-delivery", [SIG, b"NACK", b'{"seq":999999999,"retry":true,"reason":""}'],
    "UNKNOWN_DELIVERY", codec=False)
inv("state-receipt-ack-unknown", [SIG, b"RECEIPT-ACK", b'{"receipt":999999999}'],
    "UNKNOWN_RECEIPT", codec=False)
inv("state-send-unknown-recipient", [SIG, b"SEND", compact(
    {"id": "test-a:state-2", "to": ["no-such-node"], "kind": "referral.request",
     "priority": "routine"})], "UNKNOWN_RECIPIENT", "REJECTED", msg_id="test-a:state-2",
    recipient="no-such-node", codec=False)
inv("state-send-one-unknown-recipient", [SIG, b"SEND", compact(
    {"id": "test-a:state-3", "to": ["test-b", "no-such-node"], "kind": "referral.request",
     "case": CASE2, "priority": "crisis"}), BODY_JSON], "UNKNOWN_RECIPIENT", "REJECTED",
    msg_id="test-a:state-3", recipient="no-such-node", codec=False)

# 1.1: addresses resolved against the directory of §15, policy, suspension
def state_send(msg_id, to, kind="referral.request", **extra):
    return [SIG, b"SEND", compact(dict({"id": msg_id, "to": to, "kind": kind},
                                       priority="routine", **extra))]


inv("state-send-node-address-unknown", state_send("test-a:state-4", ["node:no-such-node"]),
    "UNKNOWN_RECIPIENT", "REJECTED", msg_id="test-a:state-4", recipient="node:no-such-node",
    codec=False)
inv("state-send-recipient-suspended", state_send("test-a:state-5", ["test-b", "test-suspended"]),
    "RECIPIENT_SUSPENDED", "REJECTED", msg_id="test-a:state-5", recipient="test-suspended",
    codec=False)
inv("state-send-role-no-matching-node",
    state_send("test-a:state-6", ["role:womens-federation/family-education-station@350102"]),
    "NO_MATCHING_NODE", "REJECTED", msg_id="test-a:state-6",
    recipient="role:womens-federation/family-education-station@350102", codec=False)
inv("state-send-role-suspended-only-match",
    state_send("test-a:state-7", ["role:education/school@350102002"]),
    "NO_MATCHING_NODE", "REJECTED", msg_id="test-a:state-7",
    recipient="role:education/school@350102002", codec=False)
inv("state-send-role-unknown-division", state_send("test-a:state-8", ["role:health/hospital@350199"]),
    "UNKNOWN_DIVISION", "REJECTED", msg_id="test-a:state-8", recipient="role:health/hospital@350199",
    codec=False)
inv("state-send-role-unknown-village", state_send("test-a:state-9", ["role:health/*@350102001000"]),
    "UNKNOWN_DIVISION", "REJECTED", msg_id="test-a:state-9", recipient="role:health/*@350102001000",
    codec=False)
inv("state-send-role-unknown-agency", state_send("test-a:state-10", ["role:nosuch-agency/x@350102"]),
    "UNKNOWN_AGENCY", "REJECTED", msg_id="test-a:state-10", recipient="role:nosuch-agency/x@350102",
    codec=False)
inv("state-send-role-unknown-kind", state_send("test-a:state-11", ["role:health/no-such-kind@350102"]),
    "UNKNOWN_KIND", "REJECTED", msg_id="test-a:state-11", recipient="role:health/no-such-kind@350102",
    codec=False)
inv("state-send-first-failing-address-decides", state_send(
    "test-a:state-12", ["role:health/*@350102", "role:health/hospital@350199", "no-such-node"]),
    "UNKNOWN_DIVISION", "REJECTED", msg_id="test-a:state-12", recipient="role:health/hospital@350199",
    codec=False)
inv("state-send-forbidden-escalation-notice", state_send(
    "test-a:state-13", ["test-b"], kind="escalation.notice", case=CASE),
    "FORBIDDEN", "REJECTED", msg_id="test-a:state-13", codec=False)
inv("state-send-forbidden-before-recipients", state_send(
    "test-a:state-14", ["no-such-node"], kind="discharge.notice"),
    "FORBIDDEN", "REJECTED", msg_id="test-a:state-14", codec=False)
inv("state-send-kind-without-rule-forbidden", state_send("test-a:state-15", ["test-b"],
                                                         kind="gossip.rumour"),
    "FORBIDDEN", "REJECTED", msg_id="test-a:state-15", codec=False)

# Case tracking (1/RBP §7.3, 1.2): a case-moving kind other than referral.request for a case the
# broker does not have. test-a (education) may send referral.cancelled (it is a referrer's move).
inv("state-send-case-move-unknown-case", state_send(
    "test-a:state-16", ["test-b"], kind="referral.cancelled",
    case="0c0ffee0-0000-4000-8000-000000000016"),
    "UNKNOWN_CASE", "REJECTED", msg_id="test-a:state-16", codec=False)


# QUERY (1.6, §7.14): `ref` is read first; every later fault is an ERROR carrying it (§8 step 8)
def query(**h):
    return [SIG, b"QUERY", compact(h)]


inv("query-missing-ref", query(what="case", case=CASE), "BAD_FIELD", field="ref")
inv("query-bad-ref", query(ref="q 1", what="case", case=CASE), "BAD_FIELD", field="ref")
inv("query-missing-what", query(ref="q-1", case=CASE), "BAD_FIELD", field="what", ref="q-1")
inv("query-unknown-what", query(ref="q-1", what="cases"), "BAD_FIELD", field="what", ref="q-1")
inv("query-case-missing", query(ref="q-1", what="case"), "BAD_FIELD", field="case", ref="q-1")
inv("query-case-malformed", query(ref="q-1", what="case", case="3f2a9c1e"), "BAD_FIELD", field="case",
    ref="q-1")
inv("query-limit-zero", query(ref="q-1", what="overdue", limit=0), "BAD_FIELD", field="limit", ref="q-1")
inv("query-limit-101", query(ref="q-1", what="overdue", limit=101), "BAD_FIELD", field="limit", ref="q-1")
inv("query-limit-string", query(ref="q-1", what="overdue", limit="5"), "BAD_FIELD", field="limit",
    ref="q-1")
inv("query-33-header-members", [SIG, b"QUERY", many_members(33, ref="q-1", what="overdue")], "TOO_LARGE",
    ref="q-1")
inv("query-with-body-frame", [SIG, b"QUERY", compact({"ref": "q-1", "what": "overdue"}), b"x"],
    "BAD_FRAMES")
inv("answer-from-node", [SIG, b"ANSWER", compact({"ref": "q-1", "what": "overdue", "items": [],
                                                  "truncated": False})], "UNEXPECTED_COMMAND")
inv("state-query-no-session", query(ref="q-1", what="overdue"), "NOT_CONNECTED", context="no-session",
    ref="q-1", codec=False)
inv("state-query-case-not-found", query(ref="q-1", what="case", case="0c0ffee0-0000-4000-8000-000000000017"),
    "NOT_FOUND", ref="q-1", codec=False)


def write(name, vectors):
    names = [x["name"] for x in vectors]
    assert len(names) == len(set(names)), "duplicate vector names"
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("[\n")
        f.write(",\n".join("  " + json.dumps(x, ensure_ascii=False) for x in vectors))
        f.write("\n]\n")


if __name__ == "__main__":
    check_digest_examples()
    for cmd in ("HELLO", "WELCOME", "SEND", "ACCEPTED", "REJECTED", "DELIVER", "ACK", "NACK",
                "RECEIPT", "RECEIPT-ACK", "PING", "PONG", "BYE", "ERROR", "QUERY", "ANSWER"):
        assert any(x["command"] == cmd for x in valid), cmd
    write("valid.json", valid)
    write("invalid.json", invalid)
    write("admin-requests.json", admin.requests)
    write("admin-replies.json", admin.replies)
    write("admin-invalid.json", admin.invalid)
    print("%d valid, %d invalid vectors; ADMIN-1: %d requests, %d replies, %d invalid"
          % (len(valid), len(invalid), len(admin.requests), len(admin.replies), len(admin.invalid)))
