"""Cash settlement, single-charge payments, refunds and deletes on Gen-2 over HTTP, every
response checked against Decoda's published Gen-2 OpenAPI (see compat/decoda_openapi.py),
with the values a user would notice."""

import pytest

from decoda_openapi import DecodaClient, load_spec


@pytest.fixture
def decoda(server, decoda_headers):
    load_spec(2)
    return DecodaClient(server.base_url, decoda_headers)


def _patient_with_charges(decoda, *amounts):
    status, patient = decoda.post("/user/patient/create", {"firstName": "Cy"})
    assert status == 200
    charges = []
    for amount in amounts:
        status, charge = decoda.post(
            "/v1/charge/create", {"patientId": patient["id"], "totalOutstanding": amount, "customAmount": amount}
        )
        assert status == 200
        charges.append(charge)
    return patient, charges


def _row(charge, patient):
    """A `ChargeTable` for a charge, as a Decoda client sends it to the single-charge
    payment endpoints (copay reads only its id)."""
    return {
        "id": charge["id"],
        "total": charge["total"],
        "totalOutstanding": charge["totalOutstanding"],
        "status": charge["status"],
        "patient": patient,
        "createdDate": charge["createdDate"],
    }


def _provider(decoda):
    status, provider = decoda.post("/v1/provider/create", {"firstName": "Rhea", "roles": ["PROVIDER"]})
    assert status == 200
    return provider


def test_cash_settlement_and_single_charge_payments_match_the_gen2_schema(decoda):
    patient, (a, b, c) = _patient_with_charges(decoda, 1000, 700, 300)
    status, payment = decoda.post(
        "/billing/payment-terminal/charge/create-cash-settled",
        [{"id": a["id"], "patientId": patient["id"], "totalOutstanding": 1000}],
        query={"payment_medium": "CHECK", "amount": 1500, "credit_overpayment_amount": 500},
    )
    assert status == 200, payment
    assert payment["paymentMedium"] == "CHECK" and payment["amount"] == 1500
    status, available = decoda.get(f"/user/patient/{patient['id']}/credit/available")
    assert status == 200 and available["totalAvailable"] == 500

    status, payment = decoda.post("/billing/payment/cash/create", _row(b, patient))
    assert status == 200 and payment["paymentMedium"] == "CASH" and payment["amount"] == 700
    status, payment = decoda.post("/billing/payment/patient-credit/create", _row(c, patient))
    assert status == 200 and payment["paymentMedium"] == "PATIENT_CREDIT" and payment["amount"] == 300

    status, error = decoda.post(
        "/billing/payment-terminal/charge/create-cash-settled",
        [{"id": a["id"], "patientId": patient["id"], "totalOutstanding": 0}],
        query={"payment_medium": "POS", "amount": 1},
    )
    assert status == 422 and error["detail"][0]["loc"] == ["query", "payment_medium"]


def test_refunds_and_deletes_match_the_gen2_schema(decoda):
    patient, (a, b) = _patient_with_charges(decoda, 1000, 400)
    provider = _provider(decoda)
    status, payment = decoda.post("/billing/payment/cash/create", _row(a, patient))
    assert status == 200
    status, refund = decoda.post(
        "/billing/payment/refund",
        {"paymentId": payment["id"], "providerId": provider["id"], "amount": 1000, "reason": "DUPLICATE"},
    )
    assert status == 200 and refund["amount"] == 1000 and refund["reason"] == "DUPLICATE"
    status, refunded = decoda.get(f"/v1/charge/get/{a['id']}")
    assert status == 200 and refunded["status"] == "REFUNDED"
    # The Gen-2 detail shows the payment with its refund, and a tip given afterwards.
    status, tip = decoda.post("/billing/tips/create", {"chargeId": a["id"], "amount": 150, "providerId": provider["id"]})
    assert status == 200
    status, detail = decoda.get(f"/billing/charge/get/{a['id']}")
    assert status == 200 and detail["totalOutstanding"] == 150
    assert detail["payments"][0]["payment"]["refunds"][0]["amount"] == 1000
    assert detail["tips"][0]["id"] == tip["id"] and detail["tips"][0]["amount"] == 150
    status, history = decoda.get("/billing/charge/timeline", query={"charge_id": a["id"]})
    assert status == 200 and [e["type"] for e in history] == ["CHARGE", "PAYMENT", "REFUND"]
    assert history[0]["tips"][0]["amount"] == 150 and history[2]["refundReason"] == "DUPLICATE"
    status, error = decoda.post(
        "/billing/payment/refund",
        {"paymentId": payment["id"], "providerId": provider["id"], "amount": 1, "reason": "WHIM"},
        check_request=False,
    )
    assert status == 422 and error["detail"][0]["loc"] == ["body", "reason"]

    status, payment = decoda.post("/billing/payment/cash/create", _row(b, patient))
    assert status == 200
    status, deleted = decoda.call("DELETE", f"/billing/payment/{payment['id']}")
    assert status == 200 and deleted is True
    status, reopened = decoda.get(f"/v1/charge/get/{b['id']}")
    assert status == 200 and reopened["totalOutstanding"] == 400 and reopened["status"] == "OUTSTANDING"
    status, deleted = decoda.call("DELETE", f"/billing/charge/{b['id']}")
    assert status == 200 and deleted is True
    status, void = decoda.get(f"/v1/charge/get/{b['id']}")
    assert status == 200 and void["status"] == "VOID" and void["totalOutstanding"] == 0


def test_mark_no_charge_matches_the_gen2_schema(decoda):
    status, patient = decoda.post("/user/patient/create", {"firstName": "Di"})
    assert status == 200
    free = {"patientId": patient["id"], "totalOutstanding": 0, "items": [{"name": "Consult", "price": 0, "quantity": 1}]}
    status, closed = decoda.post("/billing/payment-terminal/mark-no-charge", [free])
    assert status == 200, closed
    assert [(c["status"], c["totalOutstanding"]) for c in closed] == [("PAID", 0)]
