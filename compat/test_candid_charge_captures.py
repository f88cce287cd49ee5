"""The candidhealth SDK creates, reads and updates charge captures on copay, and gets its
own named exceptions back for bad tokens, missing entities, duplicates and bad input."""

import datetime as dt
import uuid

import pytest
from candid.client import CandidApiClient
from candid.environment import CandidApiClientEnvironment
from candid.resources.charge_capture.resources.v_1.types import (
    ChargeCapture,
    ChargeCaptureData,
    ChargeCapturePage,
    ChargeCaptureSortField,
    ChargeCaptureStatus,
)
from candid.resources.commons.types import SortDirection
from candid.resources.charge_capture.resources.v_1.errors import ChargeExternalIdConflictError
from candid.resources.commons.errors import EntityNotFoundError, HttpRequestValidationsError, UnauthorizedError
from candid.core.api_error import ApiError
from candid.resources.service_lines.resources.v_2.types import ServiceLineCreateOptional
from candid.resources.encounter_providers.resources.v_2.types import BillingProviderUpdateWithOptionalAddress


def _data(dos=dt.date(2024, 5, 10)):
    return ChargeCaptureData(
        date_of_service=dos,
        billing_provider=BillingProviderUpdateWithOptionalAddress(npi="1234567893", organization_name="Acme Clinic"),
        service_lines=[
            ServiceLineCreateOptional(procedure_code="99213", quantity="1", charge_amount_cents=15000),
        ],
    )


def test_create_get_update_round_trip_through_the_sdk(candid):
    external_id = f"chg-{uuid.uuid4().hex[:8]}"
    created = candid.charge_capture.v_1.create(
        data=_data(),
        charge_external_id=external_id,
        patient_external_id="emr-7",
        status=ChargeCaptureStatus.BILLABLE,
        originating_system="compat",
    )
    assert isinstance(created, ChargeCapture)
    assert created.status == ChargeCaptureStatus.BILLABLE
    assert created.charge_external_id == external_id
    assert created.date_of_service == dt.date(2024, 5, 10)
    assert created.charge_capture_data.service_lines[0].charge_amount_cents == 15000
    assert created.updates == []

    fetched = candid.charge_capture.v_1.get(created.id)
    assert fetched.id == created.id
    assert fetched.originating_system == "compat"

    # The SDK sends no body at all for an update without changes.
    same = candid.charge_capture.v_1.update(created.id)
    assert same.charge_capture_data == created.charge_capture_data

    updated = candid.charge_capture.v_1.update(
        created.id, status=ChargeCaptureStatus.PLANNED, data=_data(dt.date(2024, 6, 1)), originating_system=None
    )
    assert updated.status == ChargeCaptureStatus.PLANNED
    assert updated.date_of_service == dt.date(2024, 6, 1)
    assert updated.originating_system is None


def test_a_bad_token_raises_unauthorized_error(server):
    client = CandidApiClient(
        environment=CandidApiClientEnvironment(candid_api=server.base_url, pre_encounter=server.base_url),
        token=lambda: "not-a-token",
    )
    with pytest.raises(UnauthorizedError) as raised:
        client.charge_capture.v_1.update(str(uuid.uuid4()), status=ChargeCaptureStatus.ABORTED)
    assert raised.value.body.message
    with pytest.raises(UnauthorizedError):
        client.charge_capture.v_1.create(
            data=ChargeCaptureData(), charge_external_id="x", patient_external_id="p", status=ChargeCaptureStatus.PLANNED
        )


def test_a_missing_entity_raises_entity_not_found_error(candid):
    missing = str(uuid.uuid4())
    with pytest.raises(EntityNotFoundError) as raised:
        candid.charge_capture.v_1.update(missing, status=ChargeCaptureStatus.ABORTED)
    assert raised.value.body.id == missing
    # `get` lists no named errors: the SDK raises its generic ApiError with the 404.
    with pytest.raises(ApiError) as raised:
        candid.charge_capture.v_1.get(missing)
    assert raised.value.status_code == 404


def test_another_tenants_capture_is_not_found(server, candid):
    created = candid.charge_capture.v_1.create(
        data=_data(), charge_external_id="shared-id", patient_external_id="p", status=ChargeCaptureStatus.BILLABLE
    )
    other = server.tenant()
    intruder = CandidApiClient(
        environment=CandidApiClientEnvironment(candid_api=server.base_url, pre_encounter=server.base_url),
        client_id=other["client_id"],
        client_secret=other["client_secret"],
    )
    with pytest.raises(EntityNotFoundError):
        intruder.charge_capture.v_1.update(created.id, status=ChargeCaptureStatus.ABORTED)
    assert candid.charge_capture.v_1.get(created.id).status == ChargeCaptureStatus.BILLABLE


def test_a_duplicate_external_id_raises_the_conflict_error(candid):
    kwargs = dict(data=_data(), charge_external_id="dup-1", patient_external_id="p", status=ChargeCaptureStatus.BILLABLE)
    candid.charge_capture.v_1.create(**kwargs)
    with pytest.raises(ChargeExternalIdConflictError) as raised:
        candid.charge_capture.v_1.create(**kwargs)
    assert "dup-1" in raised.value.body.message


def test_invalid_data_raises_validation_errors_with_field_names(candid):
    with pytest.raises(HttpRequestValidationsError) as raised:
        candid.charge_capture.v_1.create(
            data={"service_lines": [{"quantity": "lots"}]},
            charge_external_id="bad-1",
            patient_external_id="p",
            status=ChargeCaptureStatus.BILLABLE,
        )
    errors = raised.value.body
    assert errors[0].field_name == "data.service_lines[0].quantity"
    assert errors[0].human_readable_message


def test_get_all_filters_and_pages_through_the_sdk(candid):
    for i, dos in enumerate([dt.date(2024, 1, 5), dt.date(2024, 2, 5), dt.date(2024, 3, 5)]):
        candid.charge_capture.v_1.create(
            data=_data(dos), charge_external_id=f"list-{i}", patient_external_id="list-patient",
            status=ChargeCaptureStatus.BILLABLE,
        )
    candid.charge_capture.v_1.create(
        data=_data(), charge_external_id="list-planned", patient_external_id="list-patient",
        status=ChargeCaptureStatus.PLANNED,
    )

    page = candid.charge_capture.v_1.get_all(
        patient_external_id="list-patient", status=ChargeCaptureStatus.BILLABLE,
        sort=ChargeCaptureSortField.DATE_OF_SERVICE, sort_direction=SortDirection.ASC, limit=2,
    )
    assert isinstance(page, ChargeCapturePage)
    assert page.item_count == 3
    assert [c.charge_external_id for c in page.items] == ["list-0", "list-1"]
    rest = candid.charge_capture.v_1.get_all(
        patient_external_id="list-patient", status=ChargeCaptureStatus.BILLABLE,
        sort=ChargeCaptureSortField.DATE_OF_SERVICE, sort_direction=SortDirection.ASC, limit=2,
        page_token=page.next_page_token,
    )
    assert [c.charge_external_id for c in rest.items] == ["list-2"]
    assert rest.next_page_token is None

    in_february = candid.charge_capture.v_1.get_all(
        date_of_service_min=dt.date(2024, 2, 1), date_of_service_max=dt.date(2024, 2, 29),
    )
    assert [c.charge_external_id for c in in_february.items] == ["list-1"]


def test_get_all_with_a_bad_parameter_is_a_422_naming_it(candid):
    # get_all declares no named errors, so the SDK raises its generic ApiError.
    with pytest.raises(ApiError) as raised:
        candid.charge_capture.v_1.get_all(limit=5000)
    assert raised.value.status_code == 422
    assert raised.value.body["errorName"] == "HttpRequestValidationsError"
    assert raised.value.body["content"][0]["fieldName"] == "limit"


def test_the_ledger_check_passes_after_the_scenarios(server):
    code, out = server.verify()
    assert code == 0, out
