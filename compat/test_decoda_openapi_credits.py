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
