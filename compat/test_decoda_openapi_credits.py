"""Patient credit on Gen-2 over HTTP, every response checked against Decoda's published
Gen-2 OpenAPI (see compat/decoda_openapi.py), with the values a user would notice."""

import pytest

from decoda_openapi import DecodaClient, load_spec


@pytest.fixture
def decoda(server, decoda_headers):
    load_spec(2)
    return DecodaClient(server.base_url, decoda_headers)


def test_patient_credit_operations_match_the_gen2_schema(decoda):
    status, patient = decoda.post("/user/patient/create", {"firstName": "Ana", "creditBalance": 0})
    assert status == 200
    base = f"/user/patient/{patient['id']}/credit"

    status, credit = decoda.post(base, {"amount": 5000, "comment": "package", "expiryDate": "2099-12-31T00:00:00Z"})
    assert status == 200 and credit["amountRemaining"] == 5000
    status, other = decoda.post(base, {"amount": 2000, "amountRemaining": 1500})
    assert status == 200

    status, page = decoda.get(base, query={"per_page": 10})
    assert status == 200 and page["total"] == 2 and page["data"][0]["id"] == credit["id"]
    status, available = decoda.get(f"{base}/available")
    assert status == 200 and available["totalAvailable"] == 6500 and available["count"] == 2

    status, corrected = decoda.call("PATCH", f"{base}/{other['id']}", json_body={"amountRemaining": 2000})
    assert status == 200 and corrected["amountRemaining"] == 2000
    status, chart = decoda.get(f"/user/patient/{patient['id']}")
    assert status == 200 and chart["creditBalance"] == 7000

    status, deleted = decoda.call("DELETE", f"{base}/{credit['id']}")
    assert status == 200 and deleted["deleted"] is True
    status, summary = decoda.put(f"/user/patient/{patient['id']}", {"creditBalance": 500})
    assert status == 200 and summary["creditBalance"] == 500

    status, error = decoda.post(base, {"amount": 0})
    assert status == 422 and error["detail"][0]["loc"] == ["body", "amount"]
    status, error = decoda.get("/user/patient/0190d7a4-0000-7000-8000-000000000000/credit/available")
    assert status == 404


def test_credit_settlement_matches_the_gen2_schema(decoda):
    status, patient = decoda.post("/user/patient/create", {"firstName": "Bo"})
    assert status == 200
    status, _ = decoda.post(f"/user/patient/{patient['id']}/credit", {"amount": 1000})
    assert status == 200
    status, charge = decoda.post("/v1/charge/create", {"patientId": patient["id"], "totalOutstanding": 600, "customAmount": 600})
    assert status == 200
    new_charge = {"patientId": patient["id"], "totalOutstanding": 500, "items": [{"price": 250, "quantity": 2, "name": "Kit"}]}
    status, payment = decoda.post(
        "/billing/payment-terminal/charge/create-patient-credit-settled",
        [{"id": charge["id"], "patientId": patient["id"], "totalOutstanding": 600}, new_charge],
        query={"amount": 900},
    )
    assert status == 200, payment
    assert payment["paymentMedium"] == "PATIENT_CREDIT" and payment["amount"] == 900 and payment["status"] == "SUCCEEDED"
    status, paid = decoda.get(f"/v1/charge/get/{charge['id']}")
    assert status == 200 and paid["status"] == "PAID" and paid["totalOutstanding"] == 0
    status, error = decoda.post(
        "/billing/payment-terminal/charge/create-patient-credit-settled",
        [{"id": charge["id"], "patientId": patient["id"], "totalOutstanding": 0}],
        query={"amount": 1},
    )
    assert status == 400 and "0 the charges have outstanding" in error["detail"]
