"""Write-offs v1, patient AR v1 and the encounter's service-line money through the
candidhealth SDK: a claim of two lines, a patient payment, a refund, a write-off and its
revert, with every balance computed by hand; and an insurance write-off."""

import datetime as dt
import uuid

import pytest
from candid.client import CandidApiClient
from candid.core.api_error import ApiError
from candid.environment import CandidApiClientEnvironment
from candid.resources.charge_capture.resources.v_1.types import ChargeCaptureStatus
from candid.resources.commons.errors import EntityNotFoundError
from candid.resources.financials.types import AllocationCreate, AllocationTargetCreate_ServiceLineById
from candid.resources.financials.types.account_type import AccountType
from candid.resources.patient_ar.resources.v_1.errors.invalid_filters_error import InvalidFiltersError
from candid.resources.patient_ar.resources.v_1.types import InvoiceItemizationResponse, ListInventoryPagedResponse
from candid.resources.payers.resources.v_3.types import PayerIdentifier_PayerInfo
from candid.resources.write_offs.resources.v_1 import (
    CreateWriteOffsResponse,
    InsuranceWriteOffReason,
    InsuranceWriteOffTarget_ServiceLineId,
    PatientWriteOffReason,
    WriteOff_Insurance,
    WriteOff_Patient,
    WriteOffCreate_Insurance,
    WriteOffCreate_Patient,
    WriteOffsPage,
)

PATIENT = "compat-ar-patient"


def _client(server, tenant):
    return CandidApiClient(
        environment=CandidApiClientEnvironment(candid_api=server.base_url, pre_encounter=server.base_url),
        client_id=tenant["client_id"],
        client_secret=tenant["client_secret"],
    )


@pytest.fixture
def client_and_tenant(server):
    tenant = server.tenant()
    return _client(server, tenant), tenant


def _claim(server, candid, tenant):
    data = {
        "date_of_service": "2024-05-01",
        "patient": {"first_name": "Test", "last_name": "Person", "date_of_birth": "1980-01-02", "gender": "female"},
        "billing_provider": {"npi": "1234567893", "organization_name": "Acme Clinic"},
        "subscriber_primary": {"insurance_card": {"member_id": "M-1", "payer_id": "60054", "payer_name": "Test Payer"}},
        "diagnoses": [{"code_type": "ABK", "code": "J10.1"}],
        "service_lines": [
            {"procedure_code": "99213", "quantity": "1", "units": "UN", "charge_amount_cents": 10000},
            {"procedure_code": "87804", "quantity": "1", "units": "UN", "charge_amount_cents": 5000},
        ],
    }
    capture = candid.charge_capture.v_1.create(
        data=data, charge_external_id="ar-1", patient_external_id=PATIENT, status=ChargeCaptureStatus.BILLABLE
    )
    assert server.process_claims(tenant)["succeeded"] == 1
    creation = candid.charge_capture_bundles.v_1.get(capture.claim_creation_id)
    return creation.created_encounter_id


def _state(candid, encounter_id):
    """(insurance balance, patient balance, paid) per line, and the itemization."""
    encounter = candid.encounters.v_4.get(encounter_id)
    claim = encounter.claims[0]
    itemized = candid.patient_ar.v_1.itemize(claim.claim_id)
    assert isinstance(itemized, InvoiceItemizationResponse)
    lines = [(l.insurance_balance_cents, l.patient_balance_cents, l.paid_amount_cents) for l in claim.service_lines]
    item_balances = [l.patient_balance_cents for l in itemized.service_line_itemization]
    assert item_balances == [balance for _, balance, _ in lines]
    return claim, lines, itemized


def _to_line(line_id, cents):
    return [AllocationCreate(amount_cents=cents, target=AllocationTargetCreate_ServiceLineById(value=line_id))]


def test_a_claim_through_payment_refund_write_off_and_revert(server, client_and_tenant):
    candid, tenant = client_and_tenant
    encounter_id = _claim(server, candid, tenant)
    claim, lines, itemized = _state(candid, encounter_id)
    assert lines == [(10000, 10000, 0), (5000, 5000, 0)]
    assert itemized.patient_balance_cents == 15000
    line_one = claim.service_lines[0].service_line_id

    payment = candid.patient_payments.v_4.create(
        amount_cents=2000, patient_external_id=PATIENT, allocations=_to_line(line_one, 2000)
    )
    refund = candid.patient_refunds.v_1.create(
        amount_cents=500, patient_external_id=PATIENT, allocations=_to_line(line_one, 500)
    )
    _, lines, itemized = _state(candid, encounter_id)
    assert lines == [(10000, 8500, 0), (5000, 5000, 0)]
    first = itemized.service_line_itemization[0]
    assert first.patient_payments.total_payment_cents == 1500
    assert [(str(i.source_id), i.amount_cents) for i in first.patient_payments.items] == [
        (str(payment.patient_payment_id), 2000),
        (str(refund.patient_refund_id), -500),
    ]
    assert first.copay_cents == first.coinsurance_cents == first.deductible_cents == 0

    created = candid.write_offs.v_1.create(
        write_offs=[
            WriteOffCreate_Patient(
                write_off_timestamp=dt.datetime(2024, 6, 1, 9, 30, tzinfo=dt.timezone.utc),
                write_off_reason=PatientWriteOffReason.SMALL_BALANCE,
                write_off_note="goodwill",
                service_line_id=line_one,
                amount_cents=1000,
            )
        ]
    )
    assert isinstance(created, CreateWriteOffsResponse)
    write_off = created.write_offs[0]
    assert isinstance(write_off, WriteOff_Patient)
    assert write_off.write_off_reason == PatientWriteOffReason.SMALL_BALANCE
    assert write_off.patient_external_id == PATIENT
    assert write_off.claim_id == claim.claim_id
    assert write_off.write_off_timestamp == dt.datetime(2024, 6, 1, 9, 30, tzinfo=dt.timezone.utc)
    assert candid.write_offs.v_1.get(write_off.write_off_id) == write_off
    page = candid.write_offs.v_1.get_multi(account_types=[AccountType.PATIENT], claim_id=claim.claim_id)
    assert isinstance(page, WriteOffsPage)
    assert [w.write_off_id for w in page.items] == [write_off.write_off_id]
    assert candid.write_offs.v_1.get_multi(account_types=AccountType.INSURANCE).items == []
    _, lines, itemized = _state(candid, encounter_id)
    assert lines == [(10000, 7500, 0), (5000, 5000, 0)]
    assert itemized.service_line_itemization[0].patient_adjustments.total_adjustment_cents == 1000
    assert itemized.patient_balance_cents == 12500

    reverting = candid.write_offs.v_1.revert(write_off.write_off_id)
    assert isinstance(reverting, WriteOff_Patient)
    assert reverting.reverts_write_off_id == write_off.write_off_id
    assert reverting.amount_cents == -1000
    assert candid.write_offs.v_1.get(write_off.write_off_id).reverted_by_write_off_id == reverting.write_off_id
    _, lines, itemized = _state(candid, encounter_id)
    assert lines == [(10000, 8500, 0), (5000, 5000, 0)]
    assert itemized.patient_balance_cents == 13500

    # Write-offs name no errors: the SDK raises ApiError with the status.
    with pytest.raises(ApiError) as twice:
        candid.write_offs.v_1.revert_insurance_balance_adjustment(write_off.write_off_id)
    assert twice.value.status_code == 422
    with pytest.raises(ApiError) as era:
        candid.write_offs.v_1.revert_era_originated_insurance_balance_adjustment(write_off.write_off_id)
    assert era.value.status_code == 404

    inventory = candid.patient_ar.v_1.list_inventory(since=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    assert isinstance(inventory, ListInventoryPagedResponse)
    assert [(r.claim_id, r.encounter_id, r.patient_external_id, r.patient_ar_status) for r in inventory.records] == [
        (claim.claim_id, encounter_id, PATIENT, "invoiceable")
    ]
    with pytest.raises(InvalidFiltersError):
        candid.patient_ar.v_1.list_inventory(limit=0)
    with pytest.raises(EntityNotFoundError):
        candid.patient_ar.v_1.itemize(str(uuid.uuid4()))
    code, report = server.verify()
    assert code == 0, report


def test_an_insurance_write_off_comes_off_the_line_and_names_its_payer(server, client_and_tenant):
    candid, tenant = client_and_tenant
    encounter_id = _claim(server, candid, tenant)
    claim, _, _ = _state(candid, encounter_id)
    line_two = claim.service_lines[1].service_line_id
    created = candid.write_offs.v_1.create(
        write_offs=[
            WriteOffCreate_Insurance(
                payer_identifier=PayerIdentifier_PayerInfo(payer_id="60054", payer_name="Aetna"),
                write_off_target=InsuranceWriteOffTarget_ServiceLineId(value=line_two),
                write_off_timestamp=dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc),
                write_off_reason=InsuranceWriteOffReason.CONTRACTUAL_ADJUSTMENT,
                amount_cents=700,
            )
        ]
    )
    write_off = created.write_offs[0]
    assert isinstance(write_off, WriteOff_Insurance)
    assert write_off.payer.payer_id == "60054"
    assert write_off.write_off_target == InsuranceWriteOffTarget_ServiceLineId(value=line_two)
    page = candid.write_offs.v_1.get_multi(payer_uuid=write_off.payer.payer_uuid)
    assert [w.write_off_id for w in page.items] == [write_off.write_off_id]
    _, lines, itemized = _state(candid, encounter_id)
    assert lines == [(10000, 10000, 0), (5000 - 700, 5000 - 700, 0)]
    assert itemized.service_line_itemization[1].insurance_adjustments.total_adjustment_cents == 700
    reverting = candid.write_offs.v_1.revert(write_off.write_off_id)
    assert isinstance(reverting, WriteOff_Insurance)
    assert reverting.amount_cents == -700
    code, report = server.verify()
    assert code == 0, report
