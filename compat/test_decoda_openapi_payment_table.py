"""The Gen-2 payment table (`GET /billing/payment/table`) over HTTP: cash, check, credit and
deleted payments with refunds, creators and items, every response checked against Decoda's
published Gen-2 OpenAPI (see compat/decoda_openapi.py), with the values a user would
notice."""

import pytest

from decoda_openapi import DecodaClient, load_spec

TABLE = "/billing/payment/table"
CASH = "/billing/payment-terminal/charge/create-cash-settled"


@pytest.fixture
def decoda(server, decoda_headers):
    load_spec(2)
    return DecodaClient(server.base_url, decoda_headers)


def _ok(result):
    status, body = result
    assert status == 200, body
    return body


def _charge(decoda, patient, total, **extra):
    body = {"patientId": patient, "total": total, "totalOutstanding": total, **extra}
    return _ok(decoda.post("/billing/payment-terminal/charge/create", body))["id"]


def _pay(decoda, charge, medium, amount):
    body = [{"id": charge, "patientId": "ignored", "totalOutstanding": 0}]
    return _ok(decoda.post(CASH, body, query={"payment_medium": medium, "amount": amount}))["id"]


def test_payment_table_matches_the_gen2_schema(decoda):
    ana = _ok(decoda.post("/user/patient/create", {"firstName": "Ana", "lastName": "Lopez", "externalId": "p-ana", "email": "ana@example.invalid"}))["id"]
    bo = _ok(decoda.post("/user/patient/create", {"firstName": "Bo", "lastName": "Chen"}))["id"]
    item = _ok(decoda.post("/v1/item/create", {"name": "Botox", "price": 400, "unit": "UNITS"}))["id"]
    provider = _ok(decoda.post("/v1/provider/create", {"firstName": "Rhea", "lastName": "Patel", "roles": []}))["id"]

    c1 = _charge(
        decoda,
        ana,
        1000,
        locationId="loc-1",
        creatorId=provider,
        comment="front desk",
        items=[{"itemId": item, "price": 400, "quantity": 2}, {"name": "Consult", "price": 200, "quantity": 1}],
    )
    p1 = _pay(decoda, c1, "CASH", 1000)
    p2 = _pay(decoda, _charge(decoda, bo, 3000, locationId="loc-2"), "CHECK", 3000)
    c3 = _charge(decoda, bo, 500)
    _ok(decoda.post(f"/user/patient/{bo}/credit", {"amount": 500}))
    p3 = _ok(
        decoda.post(
            "/billing/payment-terminal/charge/create-patient-credit-settled",
            [{"id": c3, "patientId": bo, "totalOutstanding": 0}],
            query={"amount": 500},
        )
    )["id"]
    p4 = _pay(decoda, _charge(decoda, ana, 700), "CASH", 700)
    assert _ok(decoda.call("DELETE", f"/billing/payment/{p4}")) is True
    _ok(decoda.post("/billing/payment/refund", {"paymentId": p2, "providerId": provider, "amount": 1000, "reason": "DUPLICATE", "description": "twice"}))

    table = _ok(decoda.get(TABLE))
    assert table["hasInsurancePayments"] is False
    page = table["items"]
    assert page["total"] == 4 and [row["id"] for row in page["data"]] == [p4, p3, p2, p1]
    rows = {row["id"]: row for row in page["data"]}
    first = rows[p1]
    assert (first["firstName"], first["externalPatientId"], first["email"]) == ("Ana", "p-ana", "ana@example.invalid")
    assert (first["amount"], first["paymentMedium"], first["status"], first["currency"]) == (1000, "CASH", "SUCCEEDED", "USD")
    assert first["creator"]["id"] == provider and first["comment"] == "front desk" and first["locationId"] == "loc-1"
    assert [(line["itemName"], line["quantity"], line["pricePerItem"]) for line in first["items"]] == [("Botox", 2, 400), ("Consult", 1, 200)]
    assert all(line["chargeId"] == c1 for line in first["items"])
    refund = rows[p2]["refunds"][0]
    assert (refund["amount"], refund["reason"], refund["description"]) == (1000, "DUPLICATE", "twice")
    assert refund["creator"]["id"] == provider
    assert rows[p4]["status"] == "CANCELED" and rows[p3]["paymentMedium"] == "PATIENT_CREDIT"

    queries = [
        ({"sort_by": "amount", "sort_direction": "asc", "per_page": 2, "page": 2}, [p1, p2], 4),
        ({"amount": [600, 1000]}, [p4, p1], 2),
        ({"payer": "lopez", "status": ["SUCCEEDED"]}, [p1], 1),
        ({"location_ids": ["loc-1", "loc-2"]}, [p2, p1], 2),
        ({"location_id": "loc-2", "comment": "x"}, [], 0),
        ({"payment_mediums": ["CHECK", "PATIENT_CREDIT"]}, [p3, p2], 2),
        ({"type": "EXTERNAL_SETTLEMENT", "patient_id": ana}, [p4, p1], 2),
        ({"type": "CARD"}, [], 0),
        ({"external_patient_id": "p-ana", "id": p1}, [p1], 1),
        ({"payer_type": "PATIENT", "status": ["CANCELED"]}, [p4], 1),
        ({"payer_type": "INSURANCE"}, [], 0),
        ({"last4": "4242"}, [], 0),
        ({"tags": ["vip"], "merchant_account_ids": ["m-1"]}, [], 0),
        ({"creator_id": provider}, [p1], 1),
        ({"creator_name": "patel"}, [p1], 1),
        ({"provider_id": provider}, [p2, p1], 2),
        ({"created_date": "2001-01-01", "tz": "America/New_York"}, [], 0),
        ({"created_date": ["2001-01-01T00:00:00Z", "2099-01-01T00:00:00Z"]}, [p4, p3, p2, p1], 4),
        ({"sort_by": "patient_name", "sort_direction": "asc"}, [p1, p4, p2, p3], 4),
        ({"sort_by": "payment_medium", "sort_direction": "desc"}, [p3, p2, p4, p1], 4),
        ({"sort_by": "status"}, [p3, p2, p1, p4], 4),
    ]
    for query, expected, total in queries:
        status, table = decoda.get(TABLE, query=query)
        assert status == 200, (query, table)
        ids = [row["id"] for row in table["items"]["data"]]
        assert ids == expected and table["items"]["total"] == total, (query, table)

    for query, key in [
        ({"per_page": 101}, "per_page"),
        ({"sort_by": "total"}, "sort_by"),
        ({"status": ["PAID"]}, "status"),
        ({"type": "ACH"}, "type"),
        ({"payer_type": "EMPLOYER"}, "payer_type"),
        ({"amount": [5, 1]}, "amount"),
        ({"tz": "Nowhere/Else"}, "tz"),
    ]:
        status, error = decoda.get(TABLE, query=query)
        assert status == 422 and error["detail"][0]["loc"] == ["query", key], (query, error)
