"""Claim creations (the SDK's charge_capture_bundles) through the candidhealth SDK: charges
bundle, processing makes claims or errors, errors resolve, post-billed changes resolve."""

import datetime as dt
import uuid

import pytest
from candid.client import CandidApiClient
from candid.environment import CandidApiClientEnvironment
from candid.core.api_error import ApiError
from candid.resources.charge_capture.resources.v_1.types import ChargeCapture, ChargeCaptureStatus
from candid.resources.charge_capture_bundles.resources.v_1.types import (
    ChargeCaptureClaimCreation,
    ChargeCaptureClaimCreationPage,
    ChargeCaptureClaimCreationStatus,
    ChargeCaptureClaimCreationSummary,
)
from candid.resources.commons.errors import EntityNotFoundError


def _data(dos, procedure="99213", diagnoses=True):
    return {
        "date_of_service": dos.isoformat(),
        "patient": {"first_name": "Test", "last_name": "Person", "date_of_birth": "1980-01-02", "gender": "female"},
        "billing_provider": {"npi": "1234567893", "organization_name": "Acme Clinic"},
        "subscriber_primary": {"insurance_card": {"member_id": "M-1", "payer_id": "60054", "payer_name": "Test Payer"}},
        "diagnoses": [{"code_type": "ABK", "code": "J10.1"}] if diagnoses else [],
        "service_lines": [{"procedure_code": procedure, "quantity": "1", "units": "UN", "charge_amount_cents": 12000}],
    }


def _capture(candid, external_id, data, status=ChargeCaptureStatus.BILLABLE):
    return candid.charge_capture.v_1.create(
        data=data,
        charge_external_id=external_id,
        patient_external_id="compat-patient",
        status=status,
    )


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


def test_two_charges_bundle_into_one_successful_claim_creation(server, client_and_tenant):
    candid, tenant = client_and_tenant
    first = _capture(candid, "b-1", _data(dt.date(2024, 5, 1)))
    second = _capture(candid, "b-2", _data(dt.date(2024, 5, 1), procedure="87804"))
    assert first.claim_creation_id is not None
    assert first.claim_creation_id == second.claim_creation_id

    summary = candid.charge_capture_bundles.v_1.get_summary()
    assert isinstance(summary, ChargeCaptureClaimCreationSummary)
    assert summary.charge_capture_claim_creations_not_started_count == 1

    assert server.process_claims(tenant) == {"succeeded": 1, "failed": 0, "skipped": 0}
    creation = candid.charge_capture_bundles.v_1.get(first.claim_creation_id)
    assert isinstance(creation, ChargeCaptureClaimCreation)
    assert creation.status == ChargeCaptureClaimCreationStatus.SUCCESSFUL
    assert creation.created_encounter_id is not None
    assert creation.characteristics["date_of_service"] == "2024-05-01"
    assert [line.procedure_code for line in creation.encounter_creation_input.service_lines] == ["99213", "87804"]

    page = candid.charge_capture_bundles.v_1.get_all(claim_creation_status=ChargeCaptureClaimCreationStatus.SUCCESSFUL)
    assert isinstance(page, ChargeCaptureClaimCreationPage)
    assert [item.id for item in page.items] == [creation.id]


def test_an_error_is_reported_resolved_and_then_processing_succeeds(server, client_and_tenant):
    candid, tenant = client_and_tenant
    charge = _capture(candid, "e-1", _data(dt.date(2024, 6, 1), diagnoses=False))
    assert server.process_claims(tenant)["failed"] == 1
    creation = candid.charge_capture_bundles.v_1.get(charge.claim_creation_id)
    assert creation.status == ChargeCaptureClaimCreationStatus.IN_ERROR
    assert [error.field_in_error for error in creation.errors] == ["diagnoses"]

    candid.charge_capture_bundles.v_1.resolve_charge_creation_error(
        creation.errors[0].id, resolved_by="compat", resolution_reason="checked by hand"
    )
    assert server.process_claims(tenant)["succeeded"] == 1
    creation = candid.charge_capture_bundles.v_1.get(charge.claim_creation_id)
    assert creation.status == ChargeCaptureClaimCreationStatus.SUCCESSFUL
    assert creation.errors[0].resolved is True
    assert creation.errors[0].resolved_by == "compat"

    with pytest.raises(EntityNotFoundError):
        candid.charge_capture_bundles.v_1.resolve_charge_creation_error(uuid.uuid4())


def test_a_post_billed_change_is_listed_and_resolved_through_the_sdk(server, client_and_tenant):
    candid, tenant = client_and_tenant
    charge = _capture(candid, "u-1", _data(dt.date(2024, 7, 1)))
    server.process_claims(tenant)
    changed = candid.charge_capture.v_1.update(charge.id, status=ChargeCaptureStatus.ABORTED)
    assert isinstance(changed, ChargeCapture)
    assert len(changed.updates) == 1 and changed.updates[0].resolved is False
    assert candid.charge_capture_bundles.v_1.get_summary().charge_capture_unresolved_change_count == 1

    resolved = candid.charge_capture.v_1.update_post_billed_changes(
        charge_capture_change_ids=[changed.updates[0].id], resolved=True
    )
    assert [change.resolved for change in resolved] == [True]
    assert candid.charge_capture_bundles.v_1.get_summary().charge_capture_unresolved_change_count == 0
    with pytest.raises(EntityNotFoundError):
        candid.charge_capture.v_1.update_post_billed_changes(charge_capture_change_ids=[uuid.uuid4()], resolved=True)


def test_another_tenants_claim_creation_is_not_found(server, client_and_tenant):
    candid, _ = client_and_tenant
    charge = _capture(candid, "t-1", _data(dt.date(2024, 8, 1)))
    other = _client(server, server.tenant())
    # get declares no named errors, so the SDK raises its generic ApiError.
    with pytest.raises(ApiError) as raised:
        other.charge_capture_bundles.v_1.get(charge.claim_creation_id)
    assert raised.value.status_code == 404
    assert raised.value.body["errorName"] == "EntityNotFoundError"


def test_the_encounter_of_a_successful_creation_parses_with_the_sdk(server, client_and_tenant):
    from candid.resources.encounters.resources.v_4.types import Encounter, EncounterPage

    candid, tenant = client_and_tenant
    charge = _capture(candid, "enc-1", _data(dt.date(2024, 9, 1)))
    server.process_claims(tenant)
    creation = candid.charge_capture_bundles.v_1.get(charge.claim_creation_id)
    encounter = candid.encounters.v_4.get(creation.created_encounter_id)
    assert isinstance(encounter, Encounter)
    assert encounter.encounter_id == creation.created_encounter_id
    assert encounter.patient.external_id == "compat-patient"
    line = encounter.claims[0].service_lines[0]
    assert line.procedure_code == "99213"
    assert line.charge_amount_cents == 12000
    assert line.insurance_balance_cents == 12000

    page = candid.encounters.v_4.get_all(limit=10)
    assert isinstance(page, EncounterPage)
    assert [item.encounter_id for item in page.items] == [encounter.encounter_id]
