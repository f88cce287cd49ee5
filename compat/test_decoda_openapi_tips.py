"""Tips, adjustments, write-offs and charge edits on Gen-2 over HTTP, every response
(successes and refusals) checked against Decoda's published Gen-2 OpenAPI (see
compat/decoda_openapi.py), with the balances a user would notice."""

import pytest

from decoda_openapi import DecodaClient, load_spec

MISSING = "0190d7a4-0000-7000-8000-000000000000"


@pytest.fixture
def decoda(server, decoda_headers):
    load_spec(2)
    return DecodaClient(server.base_url, decoda_headers)


def _setup(decoda, amount=10000):
    status, patient = decoda.post("/user/patient/create", {"firstName": "Ana"})
    assert status == 200
    status, provider = decoda.post(
        "/v1/provider/create", {"firstName": "Rosa", "lastName": "Reyes", "email": "r@example.com", "roles": ["PROVIDER"]}
    )
    assert status == 200
    status, charge = decoda.post(
        "/v1/charge/create", {"patientId": patient["id"], "customAmount": amount, "totalOutstanding": amount}
    )
    assert status == 200
    return patient, provider, charge


def _balance(decoda, charge_id):
    status, charge = decoda.get(f"/v1/charge/get/{charge_id}")
    assert status == 200
    return charge["totalOutstanding"], charge["total"], charge["status"]


def test_tip_operations_match_the_gen2_schema(decoda):
    _, provider, charge = _setup(decoda)
    status, tip = decoda.post("/billing/tips/create", {"chargeId": charge["id"], "amount": 1500, "providerId": provider["id"]})
    assert status == 200, tip
    assert tip["amount"] == 1500 and tip["provider"]["firstName"] == "Rosa"
    assert _balance(decoda, charge["id"]) == (11500, 11500, "OUTSTANDING")

    status, read = decoda.get(f"/billing/tips/{tip['id']}")
    assert status == 200 and read == tip
    status, lowered = decoda.put(f"/billing/tips/{tip['id']}", {"providerId": provider["id"], "amount": 1000})
    assert status == 200 and lowered["amount"] == 1000
    status, same = decoda.put(f"/billing/tips/{tip['id']}", {"providerId": provider["id"], "amount": None})
    assert status == 200 and same["amount"] == 1000
    assert _balance(decoda, charge["id"]) == (11000, 11000, "OUTSTANDING")

    status, deleted = decoda.call("DELETE", f"/billing/tips/{tip['id']}")
    assert status == 200 and deleted is True
    assert _balance(decoda, charge["id"]) == (10000, 10000, "OUTSTANDING")

    # Refusals, in Decoda's envelopes.
    status, error = decoda.get(f"/billing/tips/{tip['id']}")
    assert status == 404 and "not found" in error["detail"]
    status, error = decoda.call("DELETE", f"/billing/tips/{MISSING}")
    assert status == 404
    status, error = decoda.put(f"/billing/tips/{MISSING}", {"providerId": provider["id"]})
    assert status == 404
    status, error = decoda.post("/billing/tips/create", {"chargeId": charge["id"], "amount": 0, "providerId": provider["id"]})
    assert status == 422 and error["detail"][0]["loc"] == ["body", "amount"]
    status, error = decoda.post("/billing/tips/create", {"chargeId": MISSING, "amount": 100, "providerId": provider["id"]})
    assert status == 404 and "charge" in error["detail"]
    status, error = decoda.post("/billing/tips/create", {"chargeId": charge["id"], "amount": 100, "providerId": MISSING})
    assert status == 404 and "provider" in error["detail"]
    status, error = decoda.call(
        "POST", "/billing/tips/create", json_body={"chargeId": charge["id"], "amount": 100}, check_request=False
    )
    assert status == 422


def test_a_paid_tip_cannot_be_taken_back(decoda):
    patient, provider, charge = _setup(decoda, amount=1000)
    status, tip = decoda.post("/billing/tips/create", {"chargeId": charge["id"], "amount": 500, "providerId": provider["id"]})
    assert status == 200
    status, _ = decoda.post(f"/user/patient/{patient['id']}/credit", {"amount": 1500})
    assert status == 200
    status, payment = decoda.post(
        "/billing/payment-terminal/charge/create-patient-credit-settled",
        [{"id": charge["id"], "patientId": patient["id"], "totalOutstanding": 0}],
        query={"amount": 1500},
    )
    assert status == 200, payment
    assert _balance(decoda, charge["id"]) == (0, 1500, "PAID")
    status, error = decoda.put(f"/billing/tips/{tip['id']}", {"providerId": provider["id"], "amount": 100})
    assert status == 400 and "already paid" in error["detail"]
    status, error = decoda.call("DELETE", f"/billing/tips/{tip['id']}")
    assert status == 400
    # A new tip reopens the paid charge.
    status, _ = decoda.post("/billing/tips/create", {"chargeId": charge["id"], "amount": 200, "providerId": provider["id"]})
    assert status == 200
    assert _balance(decoda, charge["id"]) == (200, 1700, "OUTSTANDING")


def test_adjustments_and_write_offs_match_the_gen2_schema(decoda):
    _, _, charge = _setup(decoda)
    status, raised = decoda.post(
        "/billing/adjustment/create",
        {"chargeId": charge["id"], "amount": 500, "reason": "supplies", "providerId": "dr-1", "locationId": "loc-9"},
    )
    assert status == 200, raised
    assert raised["adjustmentType"] == "ADJUSTMENT" and raised["locationId"] == "loc-9" and raised["amount"] == 500
    status, lowered = decoda.post("/billing/adjustment/create", {"chargeId": charge["id"], "amount": -2000, "reason": "courtesy"})
    assert status == 200 and lowered["locationId"] is None
    assert _balance(decoda, charge["id"]) == (8500, 10000, "OUTSTANDING")

    status, written_off = decoda.post("/billing/write-off/create", {"chargeId": charge["id"], "reason": "hardship"})
    assert status == 200, written_off
    assert written_off["adjustmentType"] == "WRITE_OFF" and written_off["amount"] == -8500
    assert _balance(decoda, charge["id"]) == (0, 10000, "WRITE_OFF")

    status, error = decoda.post("/billing/write-off/create", {"chargeId": charge["id"], "reason": "again"})
    assert status == 400 and "nothing outstanding" in error["detail"]
    status, error = decoda.post("/billing/adjustment/create", {"chargeId": charge["id"], "amount": -1, "reason": "x"})
    assert status == 400
    status, error = decoda.post("/billing/adjustment/create", {"chargeId": charge["id"], "amount": 0, "reason": "x"})
    assert status == 422 and error["detail"][0]["loc"] == ["body", "amount"]
    status, error = decoda.post("/billing/adjustment/create", {"chargeId": MISSING, "amount": 5, "reason": "x"})
    assert status == 404
    status, error = decoda.post("/billing/write-off/create", {"chargeId": MISSING, "reason": "x"})
    assert status == 404
    status, error = decoda.call(
        "POST", "/billing/write-off/create", json_body={"chargeId": charge["id"]}, check_request=False
    )
    assert status == 422 and error["detail"][0]["loc"] == ["body", "reason"]


def test_charge_edits_match_the_gen2_schema(decoda):
    _, _, charge = _setup(decoda, amount=1000)
    status, done = decoda.post(f"/billing/charge/update-comment/{charge['id']}", {"comment": "call first"})
    assert status == 200 and done is True
    status, done = decoda.post(
        f"/billing/charge/update-details/{charge['id']}",
        {"description": "Botox", "externalCreatedDate": "2024-05-01T09:30:00Z", "comment": None},
    )
    assert status == 200 and done is True
    status, read = decoda.get(f"/v1/charge/get/{charge['id']}")
    assert status == 200
    assert read["description"] == "Botox" and read["externalCreatedDate"] == "2024-05-01T09:30:00Z"
    assert read["totalOutstanding"] == 1000

    status, error = decoda.post(f"/billing/charge/update-comment/{MISSING}", {"comment": "x"})
    assert status == 404
    status, error = decoda.post(f"/billing/charge/update-details/{MISSING}", {"description": "x"})
    assert status == 404
    status, error = decoda.call(
        "POST",
        f"/billing/charge/update-details/{charge['id']}",
        json_body={"externalCreatedDate": "yesterday"},
        check_request=False,
    )
    assert status == 422 and error["detail"][0]["loc"] == ["body", "externalCreatedDate"]
    status, error = decoda.call(
        "POST", f"/billing/charge/update-comment/{charge['id']}", json_body={}, check_request=False
    )
    assert status == 422
