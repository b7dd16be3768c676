"""The ADMIN-1 test vectors (protocols/ADMIN-1.md, "Test vectors"), written by generate.py.

admin-requests.json: requests a client sends and what they mean; admin-replies.json: the broker's replies,
byte for byte as it writes them (compact, members sorted by name); admin-invalid.json: requests the broker
refuses, with the exact ERROR reply. Every vector is written out by hand here; all data is made up.
"""

import json

SIG = b"RBA\x01"
CASE = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"
T0 = 1767225600000  # 2026-01-01T00:00:00Z
HASH = "9c1e" * 16


def compact(obj):
    """A request's arguments as a client writes them: compact, members in the given order, raw UTF-8."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def broker_form(obj):
    """A reply object as the broker writes it: compact, members sorted by name, raw UTF-8, '/' unescaped."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode("utf-8")


def hexframes(frames):
    return [f.hex() for f in frames]


requests = []


def req(name, command, arguments, wire=None):
    """wire: the arguments frame as sent, when it is not the canonical form of `arguments`."""
    frame = compact(arguments) if wire is None else wire
    requests.append({"name": name, "frames": hexframes([SIG, command.encode(), frame]),
                     "command": command, "arguments": arguments, "canonical": wire is None})


req("status", "STATUS", {})
req("status-unknown-members-ignored", "STATUS", {}, wire=b'{"verbose":true,"future":{"x":[1,2]}}')
req("trail-message", "TRAIL", {"message": {"sender": "test-a", "id": "test-a:000001"}})
req("trail-case", "TRAIL", {"case": CASE})
req("trail-message-null-case", "TRAIL", {"message": {"sender": "test-a", "id": "test-a:000001"}},
    wire=b'{"case":null,"message":{"id":"test-a:000001","sender":"test-a"}}')
req("trail-case-empty-message-absent", "TRAIL", {"case": CASE},
    wire=('{ "message" : null , "case" : "%s" }' % CASE).encode())
req("case", "CASE", {"case": CASE})
req("overdue-unfiltered", "OVERDUE", {})
req("overdue-filtered", "OVERDUE", {"region": "3501", "agency": "health", "risk": "urgent"})
req("overdue-empty-and-null-are-no-filter", "OVERDUE", {"agency": "health"},
    wire=b'{"region":"","agency":"health","risk":null}')
req("overdue-escalated", "OVERDUE", {"risk": "crisis", "escalated": True, "limit": 50})
req("overdue-escalated-false-is-no-filter", "OVERDUE", {}, wire=b'{"escalated":false}')
req("overdue-escalated-null", "OVERDUE", {}, wire=b'{"escalated":null}')
req("reload", "RELOAD", {})
req("audit-verify", "AUDIT-VERIFY", {})
req("audit-export", "AUDIT-EXPORT", {"since": T0, "limit": 1000})
req("audit-export-since-only", "AUDIT-EXPORT", {"since": 0})
req("audit-export-defaults", "AUDIT-EXPORT", {"since": 0}, wire=b'{}')
req("backup", "BACKUP", {"path": "/var/backups/referrald/store-2026-12-04.sqlite"})
req("dead-letters-unfiltered", "DEAD-LETTERS", {})
req("dead-letters-filtered", "DEAD-LETTERS", {"node": "test-b", "sender": "test-a", "kind": "referral.request",
                                              "reason": "unknown student", "older_than_ms": 7200000, "since": T0,
                                              "limit": 50, "cursor": "1042:test-b"})
req("dead-letters-empty-and-null-are-no-filter", "DEAD-LETTERS", {"node": "test-b"},
    wire=b'{"sender":"","node":"test-b","kind":null,"cursor":""}')
req("dead-letter", "DEAD-LETTER", {"seq": 1042, "recipient": "test-b"})
req("redrive", "REDRIVE", {"seq": 1042, "recipient": "test-b", "operator": "op-zhang"})
req("redrive-to", "REDRIVE", {"seq": 1042, "recipient": "test-b", "to": "test-f", "operator": "op-zhang"})
req("discard", "DISCARD", {"seq": 1042, "recipient": "test-b", "operator": "op-zhang"})
req("held", "HELD", {})
req("held-recipient", "HELD", {"recipient": "test-b"})
req("release", "RELEASE", {"case": CASE, "recipient": "test-b", "operator": "op-zhang"})
req("purge", "PURGE", {"operator": "ops-oncall"})
KEY_NEW = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
KEY_OLD = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
req("node-suspend", "NODE-SUSPEND", {"node": "test-b", "reason": "school system replaced", "operator": "wang.li"})
req("node-resume", "NODE-RESUME", {"node": "test-b", "operator": "wang.li"})
req("node-backlog", "NODE-BACKLOG", {"node": "test-b", "limit": 20, "after": 1042})
req("node-backlog-defaults", "NODE-BACKLOG", {"node": "test-b"})
req("node-move-backlog", "NODE-MOVE-BACKLOG", {"from": "test-b", "to": "test-b2", "operator": "wang.li"})
req("node-rotate-key", "NODE-ROTATE-KEY", {"node": "test-a", "public_key": KEY_NEW, "grace_ms": 604800000,
                                           "operator": "wang.li"})
req("stats", "STATS", {})


invalid = []


def bad(name, frames, code, reason):
    invalid.append({"name": name, "frames": hexframes(frames), "error": {"code": code, "reason": reason}})


def args(command, wire):
    return [SIG, command.encode(), wire]


TRAIL_USAGE = 'TRAIL needs exactly one of {"message":{"sender","id"}} and {"case"}'
bad("wrong-signature", [b"RBA\x02", b"STATUS", b"{}"], "BAD_REQUEST", "expected RBA1, command, JSON")
bad("two-frames", [SIG, b"STATUS"], "BAD_REQUEST", "expected RBA1, command, JSON")
bad("four-frames", [SIG, b"STATUS", b"{}", b"{}"], "BAD_REQUEST", "expected RBA1, command, JSON")
bad("arguments-not-json", args("STATUS", b"{"), "BAD_REQUEST", "the arguments must be a JSON object")
bad("backup-relative-path", args("BACKUP", b'{"path":"store.sqlite"}'), "BAD_REQUEST",
    'BACKUP needs an absolute "path"')
bad("backup-no-path", args("BACKUP", b'{}'), "BAD_REQUEST", 'BACKUP needs "path": a non-empty string')
bad("dead-letters-limit-too-large", args("DEAD-LETTERS", b'{"limit":1001}'), "BAD_REQUEST",
    '"limit" must be an integer of at most 1000')
bad("dead-letters-bad-cursor", args("DEAD-LETTERS", b'{"cursor":"test-b"}'), "BAD_REQUEST",
    '"cursor" must be a next_cursor of an earlier DEAD-LETTERS reply')
bad("dead-letters-older-than-negative", args("DEAD-LETTERS", b'{"older_than_ms":-1}'), "BAD_REQUEST",
    '"older_than_ms" must be an integer of at least 0')
bad("dead-letter-no-seq", args("DEAD-LETTER", b'{"recipient":"test-b"}'), "BAD_REQUEST",
    'DEAD-LETTER needs "seq": an integer of at least 1')
bad("redrive-no-operator", args("REDRIVE", b'{"seq":1042,"recipient":"test-b"}'), "BAD_REQUEST",
    'REDRIVE needs "operator": a non-empty string')
bad("discard-seq-string", args("DISCARD", b'{"seq":"1042","recipient":"test-b","operator":"op-zhang"}'),
    "BAD_REQUEST", '"seq" must be an integer of at least 1')
bad("release-no-recipient", args("RELEASE", ('{"case":"%s","operator":"op-zhang"}' % CASE).encode()), "BAD_REQUEST",
    'RELEASE needs "recipient": a non-empty string')
bad("purge-no-operator", args("PURGE", b'{}'), "BAD_REQUEST", 'PURGE needs "operator": a non-empty string')
bad("arguments-an-array", args("RELOAD", b"[]"), "BAD_REQUEST", "the arguments must be a JSON object")
bad("arguments-too-deep", args("STATUS", b'{"a":{"b":{"c":{"d":{}}}}}'), "BAD_REQUEST",
    "the arguments must be a JSON object")
bad("arguments-too-large", args("STATUS", b'{"pad":"' + b"x" * 16377 + b'"}'), "BAD_REQUEST",
    "the arguments are larger than 16384 octets")
bad("unknown-command", args("FLUSH", b"{}"), "UNKNOWN_COMMAND", "unknown admin command")
bad("lowercase-command", args("status", b"{}"), "UNKNOWN_COMMAND", "unknown admin command")
bad("unknown-command-bad-arguments", args("FLUSH", b"x"), "BAD_REQUEST", "the arguments must be a JSON object")
bad("trail-neither", args("TRAIL", b"{}"), "BAD_REQUEST", TRAIL_USAGE)
bad("trail-both", args("TRAIL", ('{"case":"%s","message":{"sender":"test-a","id":"test-a:1"}}' % CASE).encode()),
    "BAD_REQUEST", TRAIL_USAGE)
bad("trail-message-without-id", args("TRAIL", b'{"message":{"sender":"test-a"}}'), "BAD_REQUEST", TRAIL_USAGE)
bad("trail-message-not-object", args("TRAIL", b'{"message":"test-a/test-a:1"}'), "BAD_REQUEST",
    '"message" must be a JSON object')
bad("trail-message-sender-number", args("TRAIL", b'{"message":{"sender":7,"id":"test-a:1"}}'), "BAD_REQUEST",
    '"message.sender" must be a string')
bad("trail-case-number", args("TRAIL", b'{"case":42}'), "BAD_REQUEST", '"case" must be a string')
bad("trail-case-empty", args("TRAIL", b'{"case":""}'), "BAD_REQUEST", TRAIL_USAGE)
bad("case-missing", args("CASE", b"{}"), "BAD_REQUEST", 'CASE needs "case": a non-empty string')
bad("case-empty", args("CASE", b'{"case":""}'), "BAD_REQUEST", 'CASE needs "case": a non-empty string')
bad("case-object", args("CASE", b'{"case":{}}'), "BAD_REQUEST", '"case" must be a string')
bad("overdue-region-number", args("OVERDUE", b'{"region":3501}'), "BAD_REQUEST", '"region" must be a string')
bad("overdue-risk-array", args("OVERDUE", b'{"risk":["crisis"]}'), "BAD_REQUEST", '"risk" must be a string')
bad("overdue-limit-too-large", args("OVERDUE", b'{"limit":1001}'), "BAD_REQUEST",
    '"limit" must be an integer of at most 1000')
bad("overdue-limit-zero", args("OVERDUE", b'{"limit":0}'), "BAD_REQUEST", '"limit" must be an integer of at least 1')
bad("overdue-escalated-string", args("OVERDUE", b'{"escalated":"yes"}'), "BAD_REQUEST",
    '"escalated" must be true or false')
bad("audit-export-since-negative", args("AUDIT-EXPORT", b'{"since":-1}'), "BAD_REQUEST",
    '"since" must be an integer of at least 0')
bad("audit-export-since-string", args("AUDIT-EXPORT", b'{"since":"24h"}'), "BAD_REQUEST",
    '"since" must be an integer of at least 0')
bad("audit-export-limit-zero", args("AUDIT-EXPORT", b'{"since":0,"limit":0}'), "BAD_REQUEST",
    '"limit" must be an integer of at least 1')
bad("node-suspend-no-reason", args("NODE-SUSPEND", b'{"node":"test-b","operator":"wang.li"}'), "BAD_REQUEST",
    'NODE-SUSPEND needs "reason": a non-empty string')
bad("node-resume-no-operator", args("NODE-RESUME", b'{"node":"test-b"}'), "BAD_REQUEST",
    'NODE-RESUME needs "operator": a non-empty string')
bad("node-backlog-limit-zero", args("NODE-BACKLOG", b'{"node":"test-b","limit":0}'), "BAD_REQUEST",
    '"limit" must be an integer of at least 1')
bad("node-move-backlog-no-to", args("NODE-MOVE-BACKLOG", b'{"from":"test-b","operator":"wang.li"}'), "BAD_REQUEST",
    'NODE-MOVE-BACKLOG needs "to": a non-empty string')
bad("node-rotate-key-short-key",
    args("NODE-ROTATE-KEY", b'{"node":"test-a","public_key":"abc","grace_ms":0,"operator":"wang.li"}'),
    "BAD_REQUEST", '"public_key" must be a CURVE public key in Z85 (40 characters)')
bad("node-rotate-key-no-grace",
    args("NODE-ROTATE-KEY", ('{"node":"test-a","public_key":"%s","operator":"wang.li"}' % KEY_NEW).encode()),
    "BAD_REQUEST", 'NODE-ROTATE-KEY needs "grace_ms": an integer of at least 0')
bad("audit-export-limit-fraction", args("AUDIT-EXPORT", b'{"limit":1.5}'), "BAD_REQUEST",
    '"limit" must be an integer of at least 1')


replies = []


def reply(name, command, result, status="OK", extra=None):
    """extra: members a later broker might add (ignored by a client); the frames then carry them."""
    wire = dict(result)
    if extra:
        wire.update(extra)
    replies.append({"name": name, "command": command, "status": status,
                    "frames": hexframes([SIG, status.encode(), broker_form(wire)]),
                    "result": result, "canonical": not extra})


STATUS = {
    "broker": {"version": "0.1.0", "started_at": T0, "uptime_ms": 5000, "endpoint": "tcp://127.0.0.1:5570",
               "security": "curve", "store_transactions": 412, "store_rows_written": 2950},
    "nodes": [
        {"node": "test-a", "agency": "education", "kind": "school", "division": "350102001", "state": "active",
         "name": "Test school A", "connected": True, "pending": 0, "in_flight": 2, "dead_letters": 0,
         "receipts_pending": 1},
        {"node": "test-z", "agency": "", "kind": "", "division": "", "state": "removed",
         "name": "(not in the directory)", "connected": False, "pending": 3, "in_flight": 0, "dead_letters": 1,
         "receipts_pending": 0},
    ],
    "held_cases": [{"case": CASE, "recipient": "test-b", "since": T0 + 60000, "seq": 1042}],
    "dead_letters": 1,
}
reply("status", "STATUS", STATUS)
reply("status-empty", "STATUS", dict(STATUS, nodes=[], held_cases=[], dead_letters=0,
                                     broker=dict(STATUS["broker"], security="plaintext-development")))
reply("status-later-members-ignored", "STATUS", STATUS, extra={"queues": {"depth": 3}})
PURGE = {"at": T0 + 3600000, "closed_case": 120, "caseless": 3400, "dead_letters": 2, "duration_ms": 850}
reply("status-last-purge", "STATUS", dict(STATUS, last_purge=PURGE))
STORE = {
    "backend": "postgresql", "instance": "broker-a", "role": "active",
    "lease": {"epoch": 7, "holder": "broker-a", "holder_endpoint": "tcp://10.0.0.5:5570", "expires_in_ms": 2400},
    "database": {"host": "127.0.0.1:55432", "in_recovery": False, "synchronous_commit": "on",
                 "synchronous_standby_names": "standby_55433",
                 "standbys": [{"name": "standby_55433", "state": "streaming", "sync_state": "sync",
                               "replay_lag_ms": 3}]},
}
reply("status-postgresql", "STATUS", dict(STATUS, store=STORE))
# A role without pg_monitor: the replication details are left out.
reply("status-postgresql-no-monitor", "STATUS", dict(STATUS, store=dict(
    STORE, database={"host": "127.0.0.1:55432", "in_recovery": False, "synchronous_commit": "on",
                     "synchronous_standby_names": "standby_55433", "standbys": [{"name": "standby_55433"}]})))

EVENTS = [
    {"at": T0, "event": "accepted", "seq": 1042, "message_id": "test-a:000001", "sender": "test-a",
     "detail": "kind=referral.request priority=routine case=" + CASE},
    {"at": T0 + 5, "event": "delivery-attempt", "seq": 1042, "message_id": "test-a:000001", "sender": "test-a",
     "recipient": "test-b", "attempt": 1},
    {"at": T0 + 9, "event": "nacked", "seq": 1042, "message_id": "test-a:000001", "sender": "test-a",
     "recipient": "test-b", "attempt": 1, "detail": "permanent: \"bad\" form\n/line 2 \u00e9\u4e2d\u0001"},
]
reply("trail", "TRAIL", {"events": EVENTS})
reply("trail-truncated", "TRAIL", {"events": EVENTS[:1], "truncated": True})
reply("trail-not-found", "TRAIL", {"code": "NOT_FOUND", "reason": "no such message or case"}, status="ERROR")

DEADLINES = [
    {"id": 12, "item": "answer:test-b:referral.accepted,referral.declined,referral.received", "party": "test-b",
     "awaiting": "answer", "kinds": ["referral.accepted", "referral.declined", "referral.received"],
     "due_at": T0 + 259200000, "level": 0, "risk": "routine"},
    {"id": 13, "item": "delivery:1042:test-b", "party": "test-b", "awaiting": "delivery", "seq": 1042,
     "due_at": T0 + 3600000, "level": 1},
    {"id": 14, "item": "visit:2:test-x", "party": "test-x", "awaiting": "followup-visit", "visit_number": 2,
     "due_at": T0 + 864000000, "level": 0, "risk": "follow-up"},
    {"id": 15, "item": "something-else", "due_at": T0, "level": 0},
]
reply("case-tracked", "CASE", {"case": CASE, "status": "requested", "referrer": "test-a", "service": "test-b",
                               "attempt": 1, "opened_at": T0, "updated_at": T0, "deadlines": DEADLINES,
                               "events": EVENTS})
reply("case-untracked-truncated", "CASE", {"case": CASE, "deadlines": DEADLINES[:1], "deadlines_truncated": True,
                                           "events": []})
reply("case-not-found", "CASE", {"code": "NOT_FOUND", "reason": "no case, message or deadline has this case id"},
      status="ERROR")
reply("overdue", "OVERDUE", {"overdue": [
    {"id": 12, "case": CASE, "item": "answer:test-b:referral.accepted,referral.declined,referral.received",
     "due_at": T0 + 2000, "level": 1, "region": "350102", "agency": "health", "risk": "routine",
     "escalated_at": T0 + 1000},
    {"id": 20, "item": "answer:test-c:crisis.acknowledged", "due_at": T0 + 3000, "level": 0}]})
reply("overdue-empty", "OVERDUE", {"overdue": []})
reply("reload", "RELOAD", {"nodes": 7, "added": ["test-g"], "removed": ["test-z"], "suspended": [],
                           "reactivated": ["test-c"], "rekeyed": [], "escalation_policy": "3f2a9c1e8b4d"})
reply("reload-refused", "RELOAD", {"code": "BAD_DIRECTORY",
                                   "reason": "/etc/referrald/escalation.json: escalation_policy_file: levels.routine.answer: "
                                             "must be a list of steps"}, status="ERROR")
reply("audit-verify-intact", "AUDIT-VERIFY", {"intact": True, "records": 412, "last_hash": HASH})
reply("audit-verify-broken", "AUDIT-VERIFY", {"intact": False, "at_id": 17, "problem": "record changed"})
reply("audit-export", "AUDIT-EXPORT", {"records": [
    {"id": 1, "at": T0, "event": "broker-started", "detail": "version=0.1.0", "hash": HASH,
     "line": '{"at":%d,"detail":"version=0.1.0","event":"broker-started","id":1}' % T0},
    {"id": 2, "at": T0 + 7, "event": "accepted", "node": "test-a", "peer": "127.0.0.1", "key_fingerprint": "ab12cd34",
     "message_id": "test-a:000001", "seq": 1042, "recipient": "test-b", "kind": "referral.request", "code": "OK",
     "hash": HASH, "line": '{"id":2}'}]})
reply("backup", "BACKUP", {"path": "/var/backups/referrald/store-2026-12-04.sqlite", "bytes": 1048576,
                           "duration_ms": 42})
reply("backup-refused", "BACKUP", {"code": "BACKUP_REFUSED",
                                   "reason": "/var/backups/referrald/store-2026-12-04.sqlite exists"}, status="ERROR")
DEAD_LETTER = {"seq": 1042, "message_id": "test-a:000001", "sender": "test-a", "recipient": "test-b",
               "kind": "referral.request", "case": CASE, "priority": "urgent", "dead_lettered_at": T0 + 5000,
               "reason": "unknown student", "attempts": 1}
reply("dead-letters", "DEAD-LETTERS", {"dead_letters": [DEAD_LETTER], "next_cursor": "1042:test-b"})
reply("dead-letters-last-page", "DEAD-LETTERS", {"dead_letters": []})
reply("dead-letter", "DEAD-LETTER", dict(DEAD_LETTER, recipients=["test-b", "test-f"], accepted_at=T0,
                                         body_octets=812, body_sha256=HASH, body_purged=False, events=[
    {"at": T0, "event": "accepted", "seq": 1042, "message_id": "test-a:000001", "sender": "test-a",
     "detail": "kind=referral.request priority=urgent case=%s recipients=test-b,test-f" % CASE},
    {"at": T0 + 5000, "event": "dead-lettered", "seq": 1042, "message_id": "test-a:000001", "sender": "test-a",
     "recipient": "test-b", "attempt": 1, "detail": "unknown student"}]))
reply("dead-letter-body-purged", "DEAD-LETTER", dict(DEAD_LETTER, recipients=["test-b"], accepted_at=T0,
                                                     body_purged=True, events=[]))
reply("dead-letter-not-found", "DEAD-LETTER", {"code": "NOT_FOUND",
                                               "reason": "no open dead letter of this seq to this recipient"},
      status="ERROR")
reply("redrive", "REDRIVE", {"seq": 1042, "recipient": "test-b", "to": "test-b", "released": True})
reply("redrive-to", "REDRIVE", {"seq": 1042, "recipient": "test-b", "to": "test-f", "released": True})
reply("redrive-body-purged", "REDRIVE", {"code": "BODY_PURGED", "reason":
      "the message's body is no longer stored (retention purged it): discard it instead"}, status="ERROR")
reply("redrive-refused", "REDRIVE", {"code": "REDRIVE_REFUSED",
                                     "reason": "test-suspended is not an active node of the directory"}, status="ERROR")
reply("discard", "DISCARD", {"seq": 1042, "recipient": "test-b", "released": False})
reply("held", "HELD", {"held": [{"case": CASE, "recipient": "test-b", "seq": 1042, "since": T0 + 5000,
                                 "waiting": 3, "reason": "unknown student"}]})
reply("release", "RELEASE", {"case": CASE, "recipient": "test-b", "seq": 1042, "since": T0 + 5000,
                             "reason": "unknown student"})
reply("release-not-found", "RELEASE", {"code": "NOT_FOUND", "reason": "this case is not held for this recipient"},
      status="ERROR")
reply("purge", "PURGE", PURGE)
reply("purge-nothing", "PURGE", dict(PURGE, closed_case=0, caseless=0, dead_letters=0, duration_ms=1))
reply("stats", "STATS", {
    "started_at": T0,
    "counters": {
        "accepted": [{"kind": "referral.request", "agency": "education", "count": 12}],
        "delivered": [{"kind": "referral.request", "agency": "health", "count": 13}],
        "acknowledged": [{"kind": "referral.request", "agency": "health", "count": 11}],
        "dead_lettered": [{"kind": "referral.request", "agency": "health", "count": 1}],
        "rejected": [{"code": "FORBIDDEN", "count": 2}],
        "escalations_sent": [{"risk": "crisis", "count": 1}],
        "auth_failures": [{"reason": "unknown-key", "count": 3}]},
    "last_seen": [{"node": "test-a", "at": T0 + 5000}, {"node": "test-b", "at": T0 + 4000}],
    "cases_open": [{"status": "accepted", "count": 4}, {"status": "requested", "count": 7}],
    "deadlines": [{"county": "350102", "risk": "crisis", "open": 2, "overdue": 1},
                  {"county": "350102", "risk": "routine", "open": 9, "overdue": 0}],
    "audit": {"verified_at": T0 + 6000, "intact": True}})
reply("stats-before-any-verify", "STATS", {
    "started_at": T0,
    "counters": {"accepted": [], "delivered": [], "acknowledged": [], "dead_lettered": [], "rejected": [],
                 "escalations_sent": [], "auth_failures": []},
    "last_seen": [], "cases_open": [], "deadlines": []})
reply("bad-request", "STATUS", {"code": "BAD_REQUEST", "reason": "the arguments must be a JSON object"},
      status="ERROR")
reply("unknown-command", "STATUS", {"code": "UNKNOWN_COMMAND", "reason": "unknown admin command"}, status="ERROR")
reply("store-failed", "AUDIT-EXPORT", {"code": "STORE_FAILED", "reason": "database is locked"}, status="ERROR")

NODE_STATE = {"node": "test-b", "state": "suspended", "directory_state": "active", "suspended_by": "wang.li",
              "suspended_reason": "school system replaced", "suspended_at": T0 + 60000, "public_key": KEY_OLD,
              "session_ended": True}
reply("node-suspend", "NODE-SUSPEND", NODE_STATE)
reply("node-suspend-unknown", "NODE-SUSPEND", {"code": "NOT_FOUND", "reason": "no node 'test-q' in the directory"},
      status="ERROR")
reply("node-resume", "NODE-RESUME", {"node": "test-b", "state": "active", "directory_state": "active",
                                     "public_key": KEY_OLD, "session_ended": False})
reply("node-backlog", "NODE-BACKLOG", {
    "node": "test-b", "state": "suspended", "connected": False, "pending": 3, "in_flight": 0, "held": 1,
    "dead_letters": 1, "receipts_pending": 0, "oldest_waiting": T0,
    "deliveries": [
        {"seq": 1042, "sender": "test-a", "message_id": "test-a:000001", "kind": "referral.request", "case": CASE,
         "priority": "urgent", "since": T0, "attempts": 2},
        {"seq": 1043, "sender": "test-c", "message_id": "test-c:000007", "kind": "crisis.alert",
         "priority": "crisis", "since": T0 + 5, "attempts": 0}],
    "next_after": 1043})
reply("node-backlog-empty", "NODE-BACKLOG", {
    "node": "test-b2", "state": "active", "connected": True, "pending": 0, "in_flight": 0, "held": 0,
    "dead_letters": 0, "receipts_pending": 0, "deliveries": []})
reply("node-move-backlog", "NODE-MOVE-BACKLOG", {"from": "test-b", "to": "test-b2", "moved": 2, "from_open": 1,
                                                 "to_open": 2})
reply("node-move-backlog-refused", "NODE-MOVE-BACKLOG", {
    "code": "MOVE_REFUSED", "reason": "node 'test-b' is active: suspend it first (referralctl node suspend test-b)"},
    status="ERROR")
reply("node-rotate-key", "NODE-ROTATE-KEY", {"node": "test-a", "state": "active", "directory_state": "active",
                                             "public_key": KEY_NEW, "previous_key": KEY_OLD,
                                             "previous_key_until": T0 + 604800000, "session_ended": False})
reply("node-rotate-key-in-use", "NODE-ROTATE-KEY", {"code": "KEY_IN_USE", "reason": "the key belongs to node 'test-c'"},
      status="ERROR")
reply("status-with-overrides", "STATUS", dict(STATUS, nodes=[dict(STATUS["nodes"][0], state="suspended",
                                                                  suspended_by="wang.li",
                                                                  suspended_reason="school system replaced",
                                                                  suspended_at=T0 + 60000, previous_key=KEY_OLD,
                                                                  previous_key_until=T0 + 604800000)]))

# A standby instance (a broker run as several instances on PostgreSQL) answers every request NOT_ACTIVE.
reply("status-standby-not-active", "STATUS", {"code": "NOT_ACTIVE", "reason":
      "this instance (broker-b) is a standby: ask the active instance broker-a (tcp://10.0.0.1:5570)"},
      status="ERROR")

COMMANDS = ("STATUS", "TRAIL", "CASE", "OVERDUE", "RELOAD", "AUDIT-VERIFY", "AUDIT-EXPORT", "BACKUP",
            "DEAD-LETTERS", "DEAD-LETTER", "REDRIVE", "DISCARD", "HELD", "RELEASE", "PURGE", "NODE-SUSPEND",
            "NODE-RESUME", "NODE-BACKLOG", "NODE-MOVE-BACKLOG", "NODE-ROTATE-KEY", "STATS")
for command in COMMANDS:
    assert any(x["command"] == command for x in requests), command
    assert any(x["command"] == command and x["status"] == "OK" for x in replies), command
for code in ("BAD_REQUEST", "NOT_FOUND", "UNKNOWN_COMMAND", "BAD_DIRECTORY", "STORE_FAILED", "BACKUP_REFUSED",
             "BODY_PURGED", "REDRIVE_REFUSED", "KEY_IN_USE", "MOVE_REFUSED", "NOT_ACTIVE"):
    assert any(x["status"] == "ERROR" and x["result"]["code"] == code for x in replies), code
