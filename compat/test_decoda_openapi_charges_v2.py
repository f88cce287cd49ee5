"""Gen-2 charges over HTTP (create, get, list, table), every response checked against
Decoda's published Gen-2 OpenAPI (see compat/decoda_openapi.py) and every request body
against its request schema, with the values a user would notice."""

import pytest

from decoda_openapi import DecodaClient, load_spec

UNKNOWN = "0190d7a4-0000-7000-8000-000000000000"


@pytest.fixture
def decoda(server, decoda_headers):
    load_spec(2)
    return DecodaClient(server.base_url, decoda_headers)


def _setup(decoda):
    status, patient = decoda.post("/user/patient/create", {"firstName": "Ana", "lastName": "Lopez", "externalId": "p-1"})
    assert status == 200, patient
    status, item = decoda.post("/v1/item/create", {"name": "Botox", "price": 10000, "unit": "UNITS"})
    assert status == 200, item
    status, provider = decoda.post("/v1/provider/create", {"firstName": "Dr", "lastName": "Who", "roles": []})
    assert status == 200, provider
    return patient["id"], item["id"], provider["id"]


def test_charge_create_and_reads_match_the_gen2_schema(decoda):
    patient, item, provider = _setup(decoda)
    # 2 × 10000 − 500 − 10 % + 300 = 17800; + 2500 = 20300; − 300 − 12.5 % (2538) = 17462.
    status, charge = decoda.post(
        "/billing/payment-terminal/charge/create",
        {
            "patientId": patient,
            "totalOutstanding": 17000,
            "items": [
                {"itemId": item, "price": 10000, "quantity": 2, "discountAmount": 500, "discountPercentage": 10, "taxAmount": 300},
                {"name": "Lab fee", "price": 2500, "quantity": 1},
            ],
            "discountAmount": 300,
            "discountPercentage": 12.5,
            "externalId": "chg-1",
            "externalCreatedDate": "2024-05-01T10:00:00Z",
            "creatorId": provider,
            "locationId": "loc-1",
            "comment": "first visit",
            "meta": {"visit": 7},
        },
    )
    assert status == 200, charge
    assert (charge["total"], charge["totalOutstanding"], charge["status"]) == (17462, 17000, "OUTSTANDING")
    assert charge["patient"]["externalId"] == "p-1" and len(charge["items"]) == 2

    status, detail = decoda.get(f"/billing/charge/get/{charge['id']}")
    assert status == 200 and detail["items"][0]["item"]["name"] == "Botox"
    assert detail["adjustments"][0]["adjustmentType"] == "EXTERNAL_SETTLEMENT" and detail["adjustments"][0]["amount"] == -462

    # A payment on it, so the payment shapes are checked too.
    status, _ = decoda.post(f"/user/patient/{patient}/credit", {"amount": 1000})
    assert status == 200
    status, _ = decoda.post(
        "/billing/payment-terminal/charge/create-patient-credit-settled",
        [{"id": charge["id"], "patientId": patient, "totalOutstanding": 0}],
        query={"amount": 1000},
    )
    assert status == 200
    status, detail = decoda.get(f"/billing/charge/get/{charge['id']}")
    assert status == 200 and detail["totalOutstanding"] == 16000
    assert detail["payments"][0]["payment"]["paymentMedium"] == "PATIENT_CREDIT"

    status, other = decoda.post("/billing/payment-terminal/charge/create", {"patientId": patient, "total": 500, "totalOutstanding": 0})
    assert status == 200 and other["status"] == "EXTERNAL_SETTLEMENT" and other["items"] == []

    status, listed = decoda.get("/billing/charge/list", query={"patient_id": patient})
    assert status == 200 and [c["id"] for c in listed] == [other["id"], charge["id"]]
    status, listed = decoda.get("/billing/charge/list", query={"status": "OUTSTANDING"})
    assert status == 200 and [c["id"] for c in listed] == [charge["id"]]

    status, error = decoda.post(
        "/billing/payment-terminal/charge/create",
        {"patientId": patient, "totalOutstanding": 0, "items": [{"price": 100, "quantity": -1}]},
    )
    assert status == 422 and error["detail"][0]["loc"] == ["body", "items", 0, "quantity"]
    status, error = decoda.post("/billing/payment-terminal/charge/create", {"patientId": patient, "total": 10, "totalOutstanding": 20})
    assert status == 422 and error["detail"][0]["loc"] == ["body", "totalOutstanding"]
    status, error = decoda.post("/billing/payment-terminal/charge/create", {"id": UNKNOWN, "patientId": patient, "totalOutstanding": 0})
    assert status == 422 and error["detail"][0]["loc"] == ["body", "id"]
    status, error = decoda.post("/billing/payment-terminal/charge/create", {"patientId": UNKNOWN, "totalOutstanding": 0})
    assert status == 404 and isinstance(error["detail"], str)
    status, error = decoda.post("/billing/payment-terminal/charge/create", {"patientId": patient, "totalOutstanding": 0, "externalId": "chg-1"})
    assert status == 409 and isinstance(error["detail"], str)
    status, error = decoda.get(f"/billing/charge/get/{UNKNOWN}")
    assert status == 404
    status, error = decoda.get("/billing/charge/list", query={"status": "OPEN"})
    assert status == 422 and error["detail"][0]["loc"] == ["query", "status"]


def test_charge_table_matches_the_gen2_schema(decoda):
    patient, item, provider = _setup(decoda)
    ids = []
    for index, total in enumerate([1000, 2500, 4000]):
        status, charge = decoda.post(
            "/billing/payment-terminal/charge/create",
            {
                "patientId": patient,
                "totalOutstanding": total,
                "items": [{"itemId": item, "price": total, "quantity": 1}],
                "description": f"visit {index}",
                "locationId": f"loc-{index}",
                "creatorId": provider if index == 0 else "someone",
                "externalId": f"chg-{index}",
            },
        )
        assert status == 200, charge
        ids.append(charge["id"])
    status, _ = decoda.post(f"/user/patient/{patient}/credit", {"amount": 300})
    assert status == 200
    status, _ = decoda.post(
        "/billing/payment-terminal/charge/create-patient-credit-settled",
        [{"id": ids[0], "patientId": patient, "totalOutstanding": 0}],
        query={"amount": 300},
    )
    assert status == 200

    status, page = decoda.get("/billing/charge/table")
    assert status == 200 and page["total"] == 3 and [row["id"] for row in page["data"]] == ids[::-1]
    first = page["data"][-1]
    assert first["creator"]["id"] == provider and first["payments"][0]["amount"] == 300
    assert first["items"][0]["item"]["id"] == item and first["locationId"] == "loc-0"
    assert page["data"][0]["creator"] is None

    queries = [
        ({"sort_by": "total", "sort_direction": "asc", "per_page": 2, "page": 2}, [ids[2]], 3),
        ({"total": [2000, 5000]}, [ids[2], ids[1]], 2),
        ({"total_outstanding": [700]}, [ids[2], ids[1], ids[0]], 3),
        ({"name": "lopez", "status": ["OUTSTANDING", "PAID"]}, ids[::-1], 3),
        ({"location_ids": ["loc-0", "loc-2"]}, [ids[2], ids[0]], 2),
        ({"location_id": "loc-1", "description": "VISIT"}, [ids[1]], 1),
        ({"charge_external_id": "chg-2", "patient_external_id": "p-1"}, [ids[2]], 1),
        ({"id": ids[1], "patient_id": patient}, [ids[1]], 1),
        ({"created_date": "2001-01-01", "tz": "America/New_York"}, [], 0),
        ({"payment_date": ["2001-01-01T00:00:00Z", "2099-01-01T00:00:00Z"]}, [ids[0]], 1),
        ({"sort_by": "external_created_date"}, ids[::-1], 3),
        ({"sort_by": "total_outstanding", "sort_direction": "asc"}, [ids[0], ids[1], ids[2]], 3),
    ]
    for query, expected, total in queries:
        status, page = decoda.get("/billing/charge/table", query=query)
        assert status == 200, (query, page)
        assert [row["id"] for row in page["data"]] == expected and page["total"] == total, (query, page)

    for query, key in [({"per_page": 101}, "per_page"), ({"page": 0}, "page"), ({"sort_by": "size"}, "sort_by"), ({"tz": "Nowhere/Else"}, "tz")]:
        status, error = decoda.get("/billing/charge/table", query=query)
        assert status == 422 and error["detail"][0]["loc"] == ["query", key], (query, error)
