#!/usr/bin/env python3
"""A short client of the node gateway (GATEWAY-1, docs/GATEWAY.md) with Python `requests`.

It sends a referral from one hosted node to another idempotently, long-polls the receiving node's inbox,
stores each message (here: prints its id) and completes it, then reads the sent message's status.
Made-up data only.

    python3 gateway_client.py http://127.0.0.1:9480 TOKEN test-a test-b

TOKEN is an application's token (referral-gateway new-token) with the send, receive and read scopes for both
nodes ("-" when the gateway has no applications file). The two nodes may be hosted by
one gateway or, in real life, by two (the receiver's base URL would then be the other gateway's).
"""

import sys
import time
import uuid

import requests


def send(session, base, node, message, attempts=5):
    """POSTs a message. On a network error or a 5xx it retries with the SAME id and content: the id makes the
    POST idempotent, so a retry never makes a second message (other content under the same id is a 409)."""
    url = f"{base}/v1/nodes/{node}/messages"
    for attempt in range(attempts):
        try:
            answer = session.post(url, params={"wait": 10}, json=message, timeout=40)
        except requests.RequestException:
            time.sleep(2**attempt)
            continue
        if answer.status_code in (201, 202):
            # 201: the broker ACCEPTED it (with its seq); 202: committed to the gateway's outbox, it keeps being sent.
            return answer.json()
        if answer.status_code >= 500:
            time.sleep(2**attempt)
            continue
        problem = answer.json()  # RFC 9457 problem details: type, detail, and code / field where they apply
        raise RuntimeError(f"{answer.status_code} {problem.get('type')} {problem.get('code', '')} "
                           f"{problem.get('field', '')}: {problem.get('detail')}")
    raise RuntimeError("the gateway did not answer")


def receive(session, base, node, store, wait=25):
    """One long poll of the inbox: each message is stored first, then completed (it leaves the inbox only then).
    A message not completed is handed out again after its lease: `store` must be idempotent on the handle."""
    inbox = f"{base}/v1/nodes/{node}/inbox"
    answer = session.get(inbox, params={"wait": wait, "max": 10}, timeout=wait + 15)
    answer.raise_for_status()
    messages = answer.json()["messages"]
    for message in messages:
        store(message)
        session.post(f"{inbox}/{message['handle']}/complete", timeout=15).raise_for_status()
    return messages


def main():
    base, token, sender, receiver = sys.argv[1:5]
    session = requests.Session()
    if token != "-":
        session.headers["Authorization"] = f"Bearer {token}"

    # The id comes from the sending system's own record (made up here), and is kept for every retry.
    message_id = f"{sender}:example-{uuid.uuid4().hex[:12]}"
    referral = {
        "id": message_id,
        "kind": "referral.request",
        "to": [receiver],
        "case": str(uuid.uuid4()),
        "priority": "urgent",  # what the body's risk colour decides: orange is urgent
        "body": {
            "child_ref": "PX-0001",
            "age_band": "12-13",
            "risk": "orange",
            "reasons": ["screening-positive", "low-mood"],
            "needed_by": "2026-03-13",
            "lawful_basis": {"type": "consent", "given_by": "guardian", "consent_ref": "CONSENT-PX-0001-01",
                             "consent_date": "2026-03-02"},
            "referrer_contact": {"unit": "School psychology office (placeholder)", "phone": "0591-00000000",
                                 "hours": "Mon-Fri 08:00-17:00"},
            "requested_service": "assessment",
            "residence_division": "350102100201",
            "summary": "Made-up example: pupil reference PX-0001 scored high on the term screening.",
        },
    }
    sent = send(session, base, sender, referral)
    print(f"sent {message_id}: {sent['status']}")

    received = set()
    deadline = time.monotonic() + 60
    while message_id not in received and time.monotonic() < deadline:
        for message in receive(session, base, receiver, lambda m: print(f"stored {m['id']} from {m['from']}")):
            received.add(message["id"])
    if message_id not in received:
        sys.exit(f"{message_id} did not reach {receiver}'s inbox")

    status = session.get(f"{base}/v1/nodes/{sender}/messages/{message_id}", timeout=15)
    status.raise_for_status()
    print(f"status {message_id}: {status.json()['status']}")


if __name__ == "__main__":
    main()
