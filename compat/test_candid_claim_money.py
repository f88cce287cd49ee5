"""Money on claims through the candidhealth SDK: patient payments v4, patient refunds v1 and
insurance refunds v1 (all five verbs each), with every allocation target kind, the
overdraft error, the set/remove update unions, and `copay verify` after each test."""

import datetime as dt
import json
import urllib.request
import uuid

import pytest
from candid.client import CandidApiClient
from candid.environment import CandidApiClientEnvironment
from candid.resources.commons.errors import EntityNotFoundError, UnprocessableEntityError
from candid.resources.financials.errors import ReallocationWouldOverdraftError
from candid.resources.financials.types import (
    AllocationCreate,
    AllocationEarmarkType_DateOfService,
    AllocationTargetCreate_AppointmentByIdAndPatientExternalId,
    AllocationTargetCreate_BillingProviderById,
    AllocationTargetCreate_ClaimByEncounterExternalId,
    AllocationTargetCreate_ClaimById,
    AllocationTargetCreate_ServiceLineById,
    AllocationTargetCreate_Unattributed,
    AllocationTarget_BillingProviderId,
    AllocationTarget_Claim,
    AllocationTarget_ServiceLine,
    AllocationTarget_Unattributed,
    InvoiceUpdate_Set,
    NoteUpdate_Remove,
    NoteUpdate_Set,
    RefundReason,
    RefundReasonUpdate_Remove,
    RefundReasonUpdate_Set,
)
from candid.resources.insurance_refunds.resources.v_1.types import InsuranceRefund, InsuranceRefundCreate, InsuranceRefundsPage
from candid.resources.patient_payments.resources.v_4.types import PatientPayment, PatientPaymentsPage
from candid.resources.patient_refunds.resources.v_1.types import PatientRefund, PatientRefundsPage
from candid.resources.payers.resources.v_3.types import PayerIdentifier_PayerInfo, PayerIdentifier_PayerUuid

NPI = "1234567893"


def _client(server, tenant):
    return CandidApiClient(
        environment=CandidApiClientEnvironment(candid_api=server.base_url, pre_encounter=server.base_url),
        client_id=tenant["client_id"],
        client_secret=tenant["client_secret"],
    )


def _claim(server, tenant, candid, patient, charge_id, cents):
    """A processed claim for `patient` with one line per amount; returns the encounter."""
    data = {
        "date_of_service": "2024-05-01",
        "external_id": f"enc-{charge_id}",
        "patient": {"first_name": "Test", "last_name": "Person", "date_of_birth": "1980-01-02", "gender": "female"},
        "billing_provider": {"npi": NPI, "organization_name": "Acme Clinic"},
        "subscriber_primary": {"insurance_card": {"member_id": "M-1", "payer_id": "60054", "payer_name": "Aetna"}},
        "diagnoses": [{"code_type": "ABK", "code": "J10.1"}],
        "service_lines": [
            {"procedure_code": "99213", "quantity": "1", "units": "UN", "charge_amount_cents": amount} for amount in cents
        ],
    }
    capture = candid.charge_capture.v_1.create(
        data=data, charge_external_id=charge_id, patient_external_id=patient, status="billable"
    )
    server.process_claims(tenant, capture.claim_creation_id)
    creation = candid.charge_capture_bundles.v_1.get(capture.claim_creation_id)
    assert creation.status == "successful", creation
    return candid.encounters.v_4.get(creation.created_encounter_id)


def _line(line_id, cents):
    return AllocationCreate(amount_cents=cents, target=AllocationTargetCreate_ServiceLineById(value=line_id))


@pytest.fixture
def setup(server):
    tenant = server.tenant()
    candid = _client(server, tenant)
    encounter = _claim(server, tenant, candid, "pat-1", "c-1", [10000, 5000])
    yield server, tenant, candid, encounter
    code, out = server.verify()
    assert code == 0, out


def test_patient_payments_all_five_verbs(setup):
    server, tenant, candid, encounter = setup
    claim = encounter.claims[0]
    lines = claim.service_lines
    payment = candid.patient_payments.v_4.create(
        amount_cents=6000,
        patient_external_id="pat-1",
        payment_timestamp=dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.timezone.utc),
        payment_note="desk",
        payment_source="LOCKBOX",
        source_internal_id="box-1",
        allocations=[
            _line(lines[0].service_line_id, 3000),
            AllocationCreate(amount_cents=1000, target=AllocationTargetCreate_ClaimById(value=claim.claim_id)),
            AllocationCreate(amount_cents=1000, target=AllocationTargetCreate_ClaimByEncounterExternalId(value="enc-c-1")),
            AllocationCreate(
                amount_cents=500,
                target=AllocationTargetCreate_AppointmentByIdAndPatientExternalId(appointment_id="a-1", patient_external_id="pat-1"),
            ),
            AllocationCreate(
                amount_cents=500,
                target=AllocationTargetCreate_Unattributed(),
                earmark=AllocationEarmarkType_DateOfService(value="2024-07-01"),
            ),
        ],
        allocation_restrictions=[{"restriction_type": "billing_provider_npi", "restriction_value": NPI}],
    )
    assert isinstance(payment, PatientPayment)
    assert payment.amount_cents == 6000 and payment.payment_source == "LOCKBOX"
    assert isinstance(payment.allocations[0].target, AllocationTarget_ServiceLine)
    assert payment.allocations[0].target.service_line_id == lines[0].service_line_id
    assert isinstance(payment.allocations[1].target, AllocationTarget_Claim)
    assert payment.allocations[2].target.claim_id == claim.claim_id
    assert payment.allocations[3].target.appointment_id == "a-1"
    assert isinstance(payment.allocations[4].target, AllocationTarget_Unattributed)
    assert payment.allocations[4].earmark.target.value == "2024-07-01"

    assert candid.patient_payments.v_4.get(payment.patient_payment_id) == payment
    page = candid.patient_payments.v_4.get_multi(claim_id=claim.claim_id, sort="amount_cents", sort_direction="asc")
    assert isinstance(page, PatientPaymentsPage) and [p.patient_payment_id for p in page.items] == [payment.patient_payment_id]
    assert candid.patient_payments.v_4.get_multi(unattributed=True).items[0].patient_payment_id == payment.patient_payment_id
    assert candid.patient_payments.v_4.get_multi(patient_external_id="pat-2").items == []

    invoice = uuid.uuid4()
    updated = candid.patient_payments.v_4.update(
        payment.patient_payment_id, payment_note=NoteUpdate_Set(value="moved"), invoice=InvoiceUpdate_Set(value=invoice)
    )
    assert (updated.payment_note, updated.invoice, updated.amount_cents) == ("moved", invoice, 6000)
    updated = candid.patient_payments.v_4.update(payment.patient_payment_id, payment_note=NoteUpdate_Remove())
    assert updated.payment_note is None

    candid.patient_payments.v_4.delete(payment.patient_payment_id)
    with pytest.raises(EntityNotFoundError):
        candid.patient_payments.v_4.get(payment.patient_payment_id)
    with pytest.raises(EntityNotFoundError):
        candid.patient_payments.v_4.delete(payment.patient_payment_id)


def test_patient_payment_errors_are_the_sdks_named_exceptions(setup):
    server, tenant, candid, encounter = setup
    line = encounter.claims[0].service_lines[0]
    with pytest.raises(EntityNotFoundError):
        candid.patient_payments.v_4.create(amount_cents=100, patient_external_id="nobody", allocations=[])
    with pytest.raises(EntityNotFoundError):
        candid.patient_payments.v_4.create(amount_cents=100, patient_external_id="pat-1", allocations=[_line(uuid.uuid4(), 100)])
    with pytest.raises(EntityNotFoundError):
        candid.patient_payments.v_4.create(
            amount_cents=100,
            patient_external_id="pat-1",
            allocations=[AllocationCreate(amount_cents=100, target=AllocationTargetCreate_BillingProviderById(value=uuid.uuid4()))],
        )
    with pytest.raises(UnprocessableEntityError):
        candid.patient_payments.v_4.create(amount_cents=100, patient_external_id="pat-1", allocations=[_line(line.service_line_id, 99)])
    assert candid.patient_payments.v_4.get_multi().items == []


def test_patient_refunds_all_five_verbs_and_the_overdraft_error(setup):
    server, tenant, candid, encounter = setup
    line = encounter.claims[0].service_lines[0]
    candid.patient_payments.v_4.create(amount_cents=2000, patient_external_id="pat-1", allocations=[_line(line.service_line_id, 2000)])
    with pytest.raises(ReallocationWouldOverdraftError) as raised:
        candid.patient_refunds.v_1.create(
            amount_cents=2500, patient_external_id="pat-1", allocations=[_line(line.service_line_id, 2500)], raise_on_overdraft=True
        )
    detail = raised.value.body.allocation_details[0]
    assert (detail.patient_paid_amount_cents, detail.overage_amount_cents) == (2000, 500)
    assert candid.patient_refunds.v_1.get_multi().items == []

    refund = candid.patient_refunds.v_1.create(
        amount_cents=500,
        patient_external_id="pat-1",
        allocations=[_line(line.service_line_id, 500)],
        refund_reason=RefundReason.OVERCHARGED,
        refund_note="sorry",
    )
    assert isinstance(refund, PatientRefund) and refund.refund_reason == "OVERCHARGED"
    assert candid.patient_refunds.v_1.get(refund.patient_refund_id) == refund
    page = candid.patient_refunds.v_1.get_multi(service_line_id=line.service_line_id, sort="refund_reason")
    assert isinstance(page, PatientRefundsPage) and len(page.items) == 1
    updated = candid.patient_refunds.v_1.update(
        refund.patient_refund_id, refund_reason=RefundReasonUpdate_Set(value=RefundReason.TRANSFER), refund_note=NoteUpdate_Remove()
    )
    assert (updated.refund_reason, updated.refund_note) == ("TRANSFER", None)
    candid.patient_refunds.v_1.delete(refund.patient_refund_id)
    with pytest.raises(EntityNotFoundError):
        candid.patient_refunds.v_1.get(refund.patient_refund_id)


def _aetna():
    return PayerIdentifier_PayerInfo(payer_id="60054", payer_name="Aetna")


def _insurance_payment(server, tenant, body):
    """copay's insurance payments (the SDK has no payer-payment endpoint): raw HTTP."""
    token_request = urllib.request.Request(
        f"{server.base_url}/api/auth/v2/token",
        data=json.dumps({"client_id": tenant["client_id"], "client_secret": tenant["client_secret"]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(token_request) as response:
        token = json.load(response)["access_token"]
    request = urllib.request.Request(
        f"{server.base_url}/api/insurance-payments/v1",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def test_insurance_refunds_all_five_verbs(setup):
    server, tenant, candid, encounter = setup
    claim = encounter.claims[0]
    lines = claim.service_lines
    provider_id = encounter.billing_provider.provider_id
    _insurance_payment(
        server,
        tenant,
        {
            "payer_identifier": {"type": "payer_info", "payer_id": "60054", "payer_name": "Aetna"},
            "amount_cents": 9000,
            "allocations": [
                {"amount_cents": 6000, "target": {"type": "service_line_by_id", "value": str(lines[0].service_line_id)}},
                {"amount_cents": 2000, "target": {"type": "claim_by_id", "value": str(claim.claim_id)}},
                {"amount_cents": 1000, "target": {"type": "billing_provider_by_id", "value": str(provider_id)}},
            ],
        },
    )
    refund = candid.insurance_refunds.v_1.create(
        request=InsuranceRefundCreate(
            payer_identifier=_aetna(),
            amount_cents=1800,
            refund_timestamp=dt.datetime(2024, 6, 2, tzinfo=dt.timezone.utc),
            refund_note="overpaid",
            refund_reason=RefundReason.OVERCHARGED,
            allocations=[
                _line(lines[0].service_line_id, 1000),
                AllocationCreate(amount_cents=500, target=AllocationTargetCreate_ClaimById(value=claim.claim_id)),
                AllocationCreate(amount_cents=300, target=AllocationTargetCreate_BillingProviderById(value=provider_id)),
            ],
        )
    )
    assert isinstance(refund, InsuranceRefund)
    assert (refund.payer.payer_id, refund.payer.payer_name) == ("60054", "Aetna")
    assert isinstance(refund.allocations[2].target, AllocationTarget_BillingProviderId)
    assert candid.insurance_refunds.v_1.get(refund.insurance_refund_id) == refund

    # By uuid, the same payer; more than the payer paid on a target is refused.
    by_uuid = PayerIdentifier_PayerUuid(value=refund.payer.payer_uuid)
    with pytest.raises(UnprocessableEntityError):
        candid.insurance_refunds.v_1.create(
            request=InsuranceRefundCreate(payer_identifier=by_uuid, amount_cents=5001, allocations=[_line(lines[0].service_line_id, 5001)])
        )
    with pytest.raises(EntityNotFoundError):
        candid.insurance_refunds.v_1.create(
            request=InsuranceRefundCreate(
                payer_identifier=PayerIdentifier_PayerUuid(value=uuid.uuid4()), amount_cents=1, allocations=[]
            )
        )

    page = candid.insurance_refunds.v_1.get_multi(payer_uuid=refund.payer.payer_uuid, claim_id=claim.claim_id)
    assert isinstance(page, InsuranceRefundsPage) and [r.insurance_refund_id for r in page.items] == [refund.insurance_refund_id]
    assert candid.insurance_refunds.v_1.get_multi(service_line_id=lines[1].service_line_id).items == []

    updated = candid.insurance_refunds.v_1.update(
        refund.insurance_refund_id,
        refund_timestamp=dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone.utc),
        refund_note=NoteUpdate_Set(value="hi"),
        refund_reason=RefundReasonUpdate_Remove(),
    )
    assert (updated.refund_note, updated.refund_reason, updated.amount_cents) == ("hi", None, 1800)
    assert updated.refund_timestamp == dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone.utc)
    candid.insurance_refunds.v_1.delete(refund.insurance_refund_id)
    with pytest.raises(EntityNotFoundError):
        candid.insurance_refunds.v_1.get(refund.insurance_refund_id)


def _lines_by_id(candid, encounter_id):
    encounter = candid.encounters.v_4.get(encounter_id)
    return {line.service_line_id: line for line in encounter.claims[0].service_lines}


def test_a_claims_balances_follow_every_money_step_as_computed_by_hand(setup):
    """claim → insurance payment → partial insurance refund → patient payment → patient
    refund → write-off → revert: line balances and AR itemization after every step."""
    from candid.resources.write_offs.resources.v_1.types import WriteOffCreate_Patient

    server, tenant, candid, encounter = setup
    claim = encounter.claims[0]
    one, two = (line.service_line_id for line in claim.service_lines)  # 10000 and 5000 cents

    def check(expected, ar_expected):
        lines = _lines_by_id(candid, encounter.encounter_id)
        for line_id, (insurance_balance, patient_balance, paid) in expected.items():
            line = lines[line_id]
            assert (line.insurance_balance_cents, line.patient_balance_cents, line.paid_amount_cents) == (
                insurance_balance,
                patient_balance,
                paid,
            ), line_id
        ar = candid.patient_ar.v_1.itemize(claim.claim_id)
        assert ar.patient_balance_cents == sum(balance for _, balance, _ in expected.values())
        items = {item.service_line_id: item for item in ar.service_line_itemization}
        for line_id, (insurance_paid, patient_paid, patient_adjusted) in ar_expected.items():
            item = items[line_id]
            assert (
                item.insurance_payments.total_payment_cents,
                item.patient_payments.total_payment_cents,
                item.patient_adjustments.total_adjustment_cents,
                item.patient_balance_cents,
            ) == (insurance_paid, patient_paid, patient_adjusted, expected[line_id][1]), line_id
        code, out = server.verify()
        assert code == 0, out

    check({one: (10000, 10000, 0), two: (5000, 5000, 0)}, {one: (0, 0, 0), two: (0, 0, 0)})
    _insurance_payment(
        server,
        tenant,
        {
            "payer_identifier": {"type": "payer_info", "payer_id": "60054", "payer_name": "Aetna"},
            "amount_cents": 7000,
            "allocations": [
                {"amount_cents": 6000, "target": {"type": "service_line_by_id", "value": str(one)}},
                {"amount_cents": 1000, "target": {"type": "service_line_by_id", "value": str(two)}},
            ],
        },
    )
    check({one: (4000, 4000, 6000), two: (4000, 4000, 1000)}, {one: (6000, 0, 0), two: (1000, 0, 0)})
    candid.insurance_refunds.v_1.create(
        request=InsuranceRefundCreate(payer_identifier=_aetna(), amount_cents=1000, allocations=[_line(one, 1000)])
    )
    check({one: (5000, 5000, 5000), two: (4000, 4000, 1000)}, {one: (5000, 0, 0), two: (1000, 0, 0)})
    candid.patient_payments.v_4.create(amount_cents=3000, patient_external_id="pat-1", allocations=[_line(one, 3000)])
    check({one: (5000, 2000, 5000), two: (4000, 4000, 1000)}, {one: (5000, 3000, 0), two: (1000, 0, 0)})
    candid.patient_refunds.v_1.create(amount_cents=500, patient_external_id="pat-1", allocations=[_line(one, 500)])
    check({one: (5000, 2500, 5000), two: (4000, 4000, 1000)}, {one: (5000, 2500, 0), two: (1000, 0, 0)})
    created = candid.write_offs.v_1.create(
        write_offs=[
            WriteOffCreate_Patient(
                write_off_timestamp=dt.datetime(2024, 7, 1, tzinfo=dt.timezone.utc),
                write_off_reason="SMALL_BALANCE",
                service_line_id=two,
                amount_cents=1000,
            )
        ]
    )
    write_off = created.write_offs[0]
    check({one: (5000, 2500, 5000), two: (4000, 3000, 1000)}, {one: (5000, 2500, 0), two: (1000, 0, 1000)})
    reverting = candid.write_offs.v_1.revert(write_off.write_off_id)
    assert reverting.reverts_write_off_id == write_off.write_off_id
    check({one: (5000, 2500, 5000), two: (4000, 4000, 1000)}, {one: (5000, 2500, 0), two: (1000, 0, 0)})
