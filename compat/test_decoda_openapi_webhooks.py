"""Webhooks on both generations over HTTP, every response checked against Decoda's
published OpenAPI of its generation (see compat/decoda_openapi.py), with deliveries to a
real receiver in this process: each body's `Decoda-Signature` is checked the way Decoda's
Python sample checks it (HMAC-SHA256 over `json.dumps(json.loads(body))`) and over the raw
bytes, which are the same."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from decoda_openapi import DecodaClient, load_spec

BILLING_EVENTS = [
    "PATIENT_CREATED",
    "PATIENT_UPDATED",
    "CHARGE_CREATED",
    "ADJUSTMENT_CREATED",
    "ADJUSTMENT_SUCCEEDED",
    "PAYMENT_CREATED",
    "PAYMENT_SUCCEEDED",
    "CHARGE_PAYMENT_CREATED",
    "REFUND_CREATED",
]
# Gen-1's AlertType has no CHARGE_PAYMENT_CREATED (Gen-2 added it).
BILLING_EVENTS_V1 = [kind for kind in BILLING_EVENTS if kind != "CHARGE_PAYMENT_CREATED"]


class Receiver:
    """Answers 500 to the first `fail_first` requests, then 200; keeps every request."""

    def __init__(self, fail_first=0):
        self.fail_first = fail_first
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    status = 500 if len(receiver.requests) < receiver.fail_first else 200
                    headers = {name.lower(): value for name, value in self.headers.items()}
                    receiver.requests.append((status, headers, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def delivered(self):
        with self.lock:
            return [(headers, body) for status, headers, body in self.requests if status == 200]

    def wait_for(self, count, timeout=20):
        deadline = time.time() + timeout
        while len(self.delivered()) < count:
            assert time.time() < deadline, f"only {len(self.delivered())} of {count} deliveries: {self.requests}"
            time.sleep(0.05)
        return self.delivered()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver(fail_first=1)
    yield receiver
    receiver.close()


@pytest.fixture
def decoda(server, decoda_headers):
    load_spec(1)
    load_spec(2)
    return DecodaClient(server.base_url, decoda_headers)


def _verify(secret, headers, body):
    signature = headers.get("decoda-signature")
    assert signature == hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # Decoda's Python sample re-serialises the parsed body before hashing.
    resigned = json.dumps(json.loads(body)).encode()
    assert resigned == body
    assert signature == hmac.new(secret.encode(), resigned, hashlib.sha256).hexdigest()


def _billing_flow(decoda, v1_patients):
    if v1_patients:
        status, patient = decoda.post("/v1/patient/create", {"firstName": "Ana", "lastName": "Diaz"})
        assert status == 200
        status, _ = decoda.put(f"/v1/patient/update/{patient['id']}", {"lastName": "Díaz"})
    else:
        status, patient = decoda.post("/user/patient/create", {"firstName": "Ana", "lastName": "Diaz"})
        assert status == 200
        status, _ = decoda.put(f"/user/patient/{patient['id']}", {"lastName": "Díaz"})
    assert status == 200
    status, charge = decoda.post(
        "/v1/charge/create", {"patientId": patient["id"], "totalOutstanding": 1000, "customAmount": 1000}
    )
    assert status == 200
    status, _ = decoda.post("/v1/charge/adjust", {"chargeId": charge["id"], "amount": -100, "reason": "courtesy"})
    assert status == 200
    status, payment = decoda.post(
        "/billing/payment-terminal/charge/create-cash-settled",
        [{"id": charge["id"], "patientId": patient["id"], "totalOutstanding": 900}],
        query={"payment_medium": "CASH", "amount": 900},
    )
    assert status == 200, payment
    status, provider = decoda.post("/v1/provider/create", {"firstName": "Rhea", "roles": ["PROVIDER"]})
    assert status == 200
    status, refund = decoda.post(
        "/billing/payment/refund",
        {"paymentId": payment["id"], "providerId": provider["id"], "amount": 300, "reason": "OTHER"},
    )
    assert status == 200
    return patient, charge, payment, refund


@pytest.mark.parametrize("prefix", ["/v1/webhook", "/webhook/decoda"])
def test_webhook_operations_and_deliveries_match_the_schema(decoda, receiver, prefix):
    gen2 = prefix == "/webhook/decoda"
    kinds = BILLING_EVENTS if gen2 else BILLING_EVENTS_V1
    status, webhook = decoda.post(f"{prefix}/create", {"url": receiver.url, "subscriptions": ["CHARGE_CREATED"]})
    assert status == 200 and len(webhook["secret"]) == 32
    status, webhook = decoda.put(
        f"{prefix}/update/{webhook['id']}", {"subscriptions": kinds, "notificationEmail": "ops@example.test"}
    )
    assert status == 200 and webhook["subscriptions"] == kinds
    status, got = decoda.get(f"{prefix}/get/{webhook['id']}")
    assert status == 200 and got == webhook
    status, listed = decoda.get(f"{prefix}/list")
    assert status == 200 and [w["id"] for w in listed] == [webhook["id"]]

    patient, charge, payment, refund = _billing_flow(decoda, v1_patients=not gen2)
    # One failure, then a delivery per subscribed kind: patient created/updated, charge,
    # adjustment created/succeeded, payment created/succeeded, (Gen-2) the payment's share
    # of the charge, refund.
    bodies = [body for _, body in receiver.wait_for(len(kinds))]
    for headers, body in receiver.delivered():
        _verify(webhook["secret"], headers, body)
    first_attempt = receiver.requests[0][2]
    assert first_attempt == bodies[0], "the retry sent the same bytes"
    events = [json.loads(body) for body in bodies]
    assert [event["type"] for event in events] == kinds
    by_type = {event["type"]: event["data"] for event in events}
    assert by_type["PATIENT_UPDATED"]["lastName"] == "Díaz"
    assert by_type["CHARGE_CREATED"]["id"] == charge["id"] and by_type["PAYMENT_SUCCEEDED"]["id"] == payment["id"]
    if gen2:
        share = by_type["CHARGE_PAYMENT_CREATED"]
        assert (share["paymentId"], share["chargeId"], share["payment"]["id"]) == (payment["id"], charge["id"], payment["id"])
    assert by_type["REFUND_CREATED"]["id"] == refund["id"] and by_type["REFUND_CREATED"]["amount"] == 300

    status, attempts = decoda.get(
        f"{prefix}/{webhook['id']}/delivery-attempts/list", query={"limit": 50, "sort_direction": "asc"}
    )
    assert status == 200 and [a["id"] for a in attempts] == [e["id"] for e in events]
    assert all(a["deliveredDate"] and a["lastDeliveryAttemptStatus"] == 200 for a in attempts)
    status, only = decoda.get(f"{prefix}/{webhook['id']}/delivery-attempts/list", query={"event_type": "PAYMENT_COMPLETED"})
    assert status == 200 and [a["type"] for a in only] == ["PAYMENT_SUCCEEDED"]
    status, event = decoda.get(f"{prefix}/events/{events[2]['id']}")
    assert status == 200 and event["data"] == events[2]["data"] and event["alertId"] == events[2]["alertId"]
    status, resent = decoda.get(f"{prefix}/events/{events[2]['id']}/send", query={"notify_failure": "false"})
    assert status == 200 and resent["lastDeliveryAttemptStatus"] == 200
    assert receiver.delivered()[-1][1] == bodies[2]

    status, error = decoda.post(
        f"{prefix}/create", {"url": "ftp://files.example.test/", "subscriptions": []}
    )
    assert status == 422 and error["detail"][0]["loc"] == ["body", "url"]
    status, error = decoda.post(
        f"{prefix}/create", {"url": receiver.url, "subscriptions": ["NOT_AN_ALERT"]}, check_request=False
    )
    assert status == 422 and error["detail"][0]["loc"] == ["body", "subscriptions", 0]
    status, _ = decoda.get(f"{prefix}/get/0190d7a4-0000-7000-8000-000000000000")
    assert status == 404

    status, deleted = decoda.call("DELETE", f"{prefix}/delete/{webhook['id']}")
    assert status == 200 and deleted is True
    if gen2:
        status, archived = decoda.get(f"{prefix}/list", query={"include_archived": "true"})
        assert status == 200 and archived[0]["isArchived"] is True
    status, listed = decoda.get(f"{prefix}/list")
    assert status == 200 and listed == []


def test_tenant_webhook_config_matches_the_gen2_schema(decoda, receiver):
    status, config = decoda.get("/tenant/webhook-config")
    assert status == 200 and config["webhookEnabled"] is False
    status, tenant = decoda.put(
        "/tenant/webhook-config",
        {"webhookUrl": receiver.url, "webhookEnabled": True, "webhookSubscriptions": ["PATIENT_CREATED"]},
    )
    assert status == 200 and tenant["subDomain"]
    status, config = decoda.get("/tenant/webhook-config")
    assert status == 200 and config["webhookUrl"] == receiver.url and config["webhookEnabled"] is True
    status, _ = decoda.post("/user/patient/create", {"firstName": "Bo"})
    assert status == 200
    [(headers, body)] = receiver.wait_for(1)
    _verify(config["webhookSecret"], headers, body)
    assert json.loads(body)["type"] == "PATIENT_CREATED"
