"""Payers v3 through the candidhealth SDK: the built-in directory, paging and search, an
imported payer with a street address, and an unknown payer."""

import os
import uuid

import pytest
from candid.core.api_error import ApiError
from candid.resources.payers.resources.v_3.types import Payer, PayerPage

AETNA_UUID = uuid.UUID("59983d00-77d5-57e7-acb9-a9b924344c74")


def test_a_built_in_payer_parses_as_payer(candid):
    payer = candid.payers.v_3.get(AETNA_UUID)
    assert isinstance(payer, Payer)
    assert payer.payer_uuid == AETNA_UUID
    assert payer.payer_id == "60054"
    assert payer.payer_name == "Aetna"
    assert payer.street_address is None


def test_get_all_walks_every_page_once_in_name_order(candid):
    first = candid.payers.v_3.get_all()
    assert isinstance(first, PayerPage)
    assert first.next_page_token is None
    everything = [payer.payer_uuid for payer in first.items]
    assert len(everything) >= 25

    walked, token = [], None
    while True:
        page = candid.payers.v_3.get_all(limit=4, page_token=token)
        assert len(page.items) <= 4
        walked.extend(payer.payer_uuid for payer in page.items)
        token = page.next_page_token
        if token is None:
            break
    assert walked == everything
    names = [payer.payer_name for payer in first.items]
    assert names == sorted(names)


def test_search_term_matches_names_and_payer_ids(candid):
    by_name = candid.payers.v_3.get_all(search_term="kaiser")
    assert sorted(payer.payer_id for payer in by_name.items) == ["94134", "94135"]
    by_id = candid.payers.v_3.get_all(search_term="62308")
    assert [payer.payer_name for payer in by_id.items] == ["Cigna"]


def test_an_imported_payer_with_a_street_address_parses(server, candid, tmp_path):
    payer_id = f"CMP{uuid.uuid4().hex[:8].upper()}"
    csv_file = tmp_path / "payers.csv"
    csv_file.write_text(
        "payer_id,payer_name,availity_payer_name,availity_claims_payer_id,availity_eligibility_id,"
        "availity_remittance_payer_id,address1,address2,city,state,zip_code,zip_plus_four_code\n"
        f"{payer_id},Compat Test Plan,Compat Availity,AVC1,AVE1,AVR1,PO Box 1,,Hartford,CT,06156,0001\n"
    )
    summary = server.copay("payers", "import", os.fspath(csv_file))
    assert '"created":1' in summary

    page = candid.payers.v_3.get_all(search_term=payer_id)
    assert len(page.items) == 1
    payer = candid.payers.v_3.get(page.items[0].payer_uuid)
    assert payer.availity_payer_name == "Compat Availity"
    assert payer.availity_claims_payer_id == "AVC1"
    assert payer.availity_eligibility_id == "AVE1"
    assert payer.availity_remittance_payer_id == "AVR1"
    address = payer.street_address
    assert address is not None
    assert (address.address_1, address.address_2, address.city, address.state) == ("PO Box 1", None, "Hartford", "CT")
    assert (address.zip_code, address.zip_plus_four_code) == ("06156", "0001")


def test_an_unknown_payer_is_a_404(candid):
    with pytest.raises(ApiError) as raised:
        candid.payers.v_3.get(uuid.uuid4())
    assert raised.value.status_code == 404
    assert raised.value.body["errorName"] == "EntityNotFoundError"
