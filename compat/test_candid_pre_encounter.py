"""A charge for a patient of copay's registry, through the candidhealth SDK: the patient
is created on the Decoda side, the SDK's create_from_pre_encounter_patient names it, and
the claim's patient comes from the registry."""

import datetime as dt
import uuid

import pytest
from candid.resources.charge_capture.resources.v_1.types import ChargeCapture, ChargeCaptureData, ChargeCaptureStatus
from candid.resources.commons.errors import EntityNotFoundError
from candid.resources.diagnoses.types import DiagnosisCreateOptional, DiagnosisTypeCode
from candid.resources.encounter_providers.resources.v_2.types import BillingProviderUpdateWithOptionalAddress
from candid.resources.encounters.resources.v_4.types import Encounter
from candid.resources.insurance_cards.resources.v_2.types import InsuranceCardCreateOptional
from candid.resources.individual.types import SubscriberCreateOptional
from candid.resources.service_lines.resources.v_2.types import ServiceLineCreateOptional

from decoda_openapi import DecodaClient


def _data():
    return ChargeCaptureData(
        date_of_service=dt.date(2024, 5, 1),
        billing_provider=BillingProviderUpdateWithOptionalAddress(npi="1234567893"),
        subscriber_primary=SubscriberCreateOptional(
            insurance_card=InsuranceCardCreateOptional(member_id="M-1", payer_id="60054")
        ),
        diagnoses=[DiagnosisCreateOptional(code_type=DiagnosisTypeCode.ABK, code="J10.1")],
        service_lines=[
            ServiceLineCreateOptional(procedure_code="99213", quantity="1", charge_amount_cents=12000, diagnosis_pointers=[0])
        ],
    )


def test_create_from_pre_encounter_patient_fills_the_claim_from_the_registry(server, tenant, candid, decoda_headers):
    decoda = DecodaClient(server.base_url, decoda_headers)
    status, patient = decoda.post(
        "/user/patient/create",
        {"firstName": "Grace", "lastName": "Hopper", "externalId": "emr-pre-1", "dateOfBirth": "1906-12-09", "gender": "FEMALE"},
    )
    assert status == 200

    capture = candid.charge_capture.v_1.create_from_pre_encounter_patient(
        data=_data(),
        charge_external_id="pre-sdk-1",
        pre_encounter_patient_id=patient["id"],
        pre_encounter_appointment_ids=[str(uuid.uuid4())],
        status=ChargeCaptureStatus.BILLABLE,
    )
    assert isinstance(capture, ChargeCapture)
    assert capture.patient_external_id == "emr-pre-1"

    server.process_claims(tenant)
    creation = candid.charge_capture_bundles.v_1.get(capture.claim_creation_id)
    encounter = candid.encounters.v_4.get(creation.created_encounter_id)
    assert isinstance(encounter, Encounter)
    assert encounter.patient.first_name == "Grace"
    assert encounter.patient.last_name == "Hopper"
    assert encounter.patient.date_of_birth == dt.date(1906, 12, 9)


def test_an_unknown_pre_encounter_patient_raises_entity_not_found(candid):
    with pytest.raises(EntityNotFoundError):
        candid.charge_capture.v_1.create_from_pre_encounter_patient(
            data=ChargeCaptureData(),
            charge_external_id="pre-sdk-missing",
            pre_encounter_patient_id=str(uuid.uuid4()),
            pre_encounter_appointment_ids=[],
            status=ChargeCaptureStatus.PLANNED,
        )
