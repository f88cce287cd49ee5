"""Items and Gen-1 charges over HTTP, every response checked against Decoda's published
Gen-1 OpenAPI (see compat/decoda_openapi.py) and every request body against its request
schema, with the values a user would notice."""

import pytest

from decoda_openapi import DecodaClient, load_spec


@pytest.fixture
def decoda(server, decoda_headers):
    load_spec(1)
    return DecodaClient(server.base_url, decoda_headers)


def _patient(decoda):
    status, patient = decoda.post("/v1/patient/create", {"firstName": "Ana"})
    assert status == 200, patient
    return patient["id"]


def test_item_operations_match_the_gen1_schema(decoda):
    status, item = decoda.post("/v1/item/create", {"name": "Visit", "price": 15000, "unit": "visit", "meta": {"cpt": "99213"}})
    assert status == 200 and item["price"] == 15000
    status, fetched = decoda.get(f"/v1/item/get/{item['id']}")
    assert status == 200 and fetched == item
    status, updated = decoda.put(f"/v1/item/update/{item['id']}", {"price": 16000})
    assert status == 200 and updated["price"] == 16000
    status, page = decoda.get("/v1/item/list", query={"per_page": 5})
    assert status == 200 and page["total"] == 1 and page["data"][0]["id"] == item["id"]
    status, deleted = decoda.call("DELETE", f"/v1/item/delete/{item['id']}")
    assert status == 200 and deleted is True
    status, page = decoda.get("/v1/item/list")
    assert status == 200 and page == {"data": [], "total": 0}
    status, error = decoda.post("/v1/item/create", {"price": 1}, check_request=False)
    assert status == 422 and error["detail"][0]["loc"] == ["body", "name"]
    status, error = decoda.get("/v1/item/get/0190d7a4-0000-7000-8000-000000000000")
    assert status == 404


def test_charge_operations_match_the_gen1_schema(decoda):
    patient = _patient(decoda)
    status, item = decoda.post("/v1/item/create", {"name": "Visit", "price": 10000})
    assert status == 200
    # 10000 + 2 × 500 = 11000; − 1000 − 10 % (1100) = 8900; 900 settled before copay.
    status, charge = decoda.post(
        "/v1/charge/create",
        {
            "patientId": patient,
            "totalOutstanding": 8000,
            "items": [{"itemId": item["id"], "quantity": 1}, {"quantity": 2, "item": {"name": "Lab", "price": 500}}],
            "discountAmount": 1000,
            "discountPercentage": 10,
            "externalId": "chg-1",
            "externalCreatedDate": "2024-05-01T10:00:00Z",
        },
    )
    assert status == 200, charge
    assert (charge["total"], charge["totalOutstanding"], charge["status"]) == (8900, 8000, "OUTSTANDING")
    assert charge["adjustments"][0]["adjustmentType"] == "EXTERNAL_SETTLEMENT"
    assert charge["adjustments"][0]["amount"] == -900

    status, fetched = decoda.get(f"/v1/charge/get/{charge['id']}")
    assert status == 200 and fetched == charge
    status, by_external = decoda.get("/v1/charge/get_by_external_id/chg-1")
    assert status == 200 and by_external["id"] == charge["id"]

    status, adjustment = decoda.post("/v1/charge/adjust", {"chargeId": charge["id"], "amount": -500, "reason": "courtesy"})
    assert status == 200 and adjustment["adjustmentType"] == "ADJUSTMENT" and adjustment["amount"] == -500
    status, listed = decoda.get("/v1/charge/list", query={"patient_id": patient, "status": "OUTSTANDING"})
    assert status == 200 and [c["totalOutstanding"] for c in listed] == [7500]

    status, error = decoda.post("/v1/charge/adjust", {"chargeId": charge["id"], "amount": -99999, "reason": "x"})
    assert status == 400 and "7500" in error["detail"]
    status, error = decoda.post("/v1/charge/create", {"patientId": patient}, check_request=False)
    assert status == 422 and error["detail"][0]["loc"] == ["body", "totalOutstanding"]
    status, error = decoda.post("/v1/charge/create", {"patientId": patient, "totalOutstanding": 0, "externalId": "chg-1"})
    assert status == 409
    status, error = decoda.get("/v1/charge/list", query={"status": "OPEN"})
    assert status == 422 and error["detail"][0]["loc"] == ["query", "status"]
