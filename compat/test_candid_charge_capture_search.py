"""The candidhealth SDK finds charge captures by what their data holds: every data-derived
get_all filter, free-text search, ranking hints, and find_by_metadata."""

import uuid

from candid.resources.charge_capture.resources.v_1.types import (
    ChargeCaptureData,
    ChargeCapturePage,
    ChargeCaptureStatus,
)
from candid.resources.commons.types import SortDirection
from candid.resources.custom_schemas.resources.v_1.types.schema_instance import SchemaInstance
from candid.resources.encounter_providers.resources.v_2.types import (
    BillingProviderUpdateWithOptionalAddress,
    RenderingProviderUpdateWithOptionalAddress,
)
from candid.resources.encounters.resources.v_4.types import BillableStatusType, ResponsiblePartyType
from candid.resources.individual.types import PatientUpdateWithOptionalAddress

SCHEMA = uuid.UUID("0190d7a4-0000-7000-8000-00000000000a")


def _create(candid, external_id, npi, last_name, tags, billable, metadata=None):
    return candid.charge_capture.v_1.create(
        data=ChargeCaptureData(
            billing_provider=BillingProviderUpdateWithOptionalAddress(npi=npi),
            rendering_provider=RenderingProviderUpdateWithOptionalAddress(npi="2222222222", first_name="Ada", last_name="Lovelace"),
            patient=PatientUpdateWithOptionalAddress(first_name="Jane", last_name=last_name),
            tag_ids=tags,
            billable_status=BillableStatusType.BILLABLE if billable else BillableStatusType.NOT_BILLABLE,
            responsible_party=ResponsiblePartyType.SELF_PAY,
        ),
        charge_external_id=external_id,
        patient_external_id=f"emr-{external_id}",
        status=ChargeCaptureStatus.PLANNED,
        metadata=metadata,
    )


def _ids(page):
    assert isinstance(page, ChargeCapturePage)
    return [c.charge_external_id for c in page.items]


def test_data_filters_search_and_ranking_through_the_sdk(candid):
    _create(candid, "s-1", "1111111111", "Doe", ["urgent"], True)
    _create(candid, "s-2", "1111111111", "Dorsey", [], False)
    _create(candid, "s-3", "4444444444", "Smith", ["urgent", "vip"], True)
    get_all = candid.charge_capture.v_1.get_all
    asc = SortDirection.ASC

    assert _ids(get_all(billing_provider_npis="1111111111", sort_direction=asc)) == ["s-1", "s-2"]
    assert _ids(get_all(billing_provider_npis=["1111111111", "4444444444"], sort_direction=asc)) == ["s-1", "s-2", "s-3"]
    assert _ids(get_all(tags=["vip"])) == ["s-3"]
    assert _ids(get_all(rendering_provider_names="ada lovelace", rendering_provider_npis="2222222222")) == ["s-3", "s-2", "s-1"]
    assert _ids(get_all(patient_names=["JANE DOE"])) == ["s-1"]
    assert _ids(get_all(billable_status=BillableStatusType.NOT_BILLABLE)) == ["s-2"]
    assert _ids(get_all(responsible_party=ResponsiblePartyType.INSURANCE_PAY)) == []
    assert _ids(get_all(search_term="do", sort_direction=asc)) == ["s-1", "s-2"]
    page = get_all(search_term="jane smith")
    assert _ids(page) == ["s-3"] and page.item_count == 1

    ranked = get_all(tags_ranked_sort="urgent", billing_provider_npis_ranked_sort="4444444444", sort_direction=asc)
    assert _ids(ranked) == ["s-3", "s-1", "s-2"]
    first = get_all(tags_ranked_sort="urgent", sort_direction=asc, limit=2)
    assert _ids(first) == ["s-1", "s-3"]
    rest = get_all(tags_ranked_sort="urgent", sort_direction=asc, limit=2, page_token=first.next_page_token)
    assert _ids(rest) == ["s-2"] and rest.next_page_token is None


def test_find_by_metadata_through_the_sdk(candid):
    _create(candid, "m-1", "1", "A", [], True, metadata=[SchemaInstance(schema_id=SCHEMA, content={"visit": "annual", "n": 1})])
    _create(candid, "m-2", "1", "B", [], True, metadata=[SchemaInstance(schema_id=SCHEMA, content={"visit": "sick", "n": 1})])
    _create(candid, "m-3", "1", "C", [], True)
    find = candid.charge_capture.v_1.find_by_metadata

    assert _ids(find(metadata=[SchemaInstance(schema_id=SCHEMA, content={"visit": "annual"})])) == ["m-1"]
    both = find(metadata=[SchemaInstance(schema_id=SCHEMA, content={"n": 1})])
    assert _ids(both) == ["m-2", "m-1"] and both.item_count == 2
    assert both.items[0].metadata[0].content == {"visit": "sick", "n": 1}
    first = find(metadata=[SchemaInstance(schema_id=SCHEMA, content={})], limit=1)
    assert _ids(first) == ["m-2"]
    second = find(metadata=[SchemaInstance(schema_id=SCHEMA, content={})], limit=1, page_token=first.next_page_token)
    assert _ids(second) == ["m-1"]
    assert _ids(find(metadata=[SchemaInstance(schema_id=uuid.uuid4(), content={})])) == []
