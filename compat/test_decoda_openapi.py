"""copay's Decoda dialect over HTTP, with every response body checked against the
published OpenAPI schema of its operation (Gen-1 `/v1/...` or Gen-2 `/user/...`,
`/tenant/...`; see compat/decoda_openapi.py), and the request bodies the tests send checked
against the published request schema. Each test also asserts what a user would notice:
statuses, the values that come back, ordering and tenant isolation."""

import datetime as dt
import time
import uuid

import pytest

from decoda_openapi import DecodaClient, load_spec


@pytest.fixture
def decoda(server, decoda_headers):
    # Skips here (naming the file) if the published documents are not next to the repo.
    load_spec(1)
    load_spec(2)
    return DecodaClient(server.base_url, decoda_headers)


def _other_tenant(server):
    other = server.tenant()
    return DecodaClient(server.base_url, {"API-KEY": other["api_key"], "TENANT": other["tenant"]})


def _external_id():
    return f"emr-{uuid.uuid4().hex[:12]}"


def _assert_recent(timestamp):
    """A `createdDate` is the real creation instant (with its offset), not local time."""
    created = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00").replace("z", "+00:00"))
    assert created.tzinfo is not None, timestamp
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((now - created).total_seconds()) < 600, f"createdDate {timestamp} is not about now ({now.isoformat()})"


def _v1_create(decoda, **fields):
    status, patient = decoda.post("/v1/patient/create", {"firstName": "Ana", **fields})
    assert status == 200, patient
    return patient


def _v2_create(decoda, **fields):
    status, patient = decoda.post("/user/patient/create", fields)
    assert status == 200, patient
    return patient


# --- an operation that exists today ------------------------------------------------------


def test_tenant_public_matches_the_gen2_schema(server, decoda, tenant):
    status, body = decoda.get("/tenant/public")
    assert status == 200
    assert body["subDomain"] == tenant["tenant"]
    assert isinstance(body["name"], str) and body["name"]

    status, body = DecodaClient(server.base_url, {}).get("/tenant/public")
    assert status == 401
    assert "API-KEY" in body["detail"]

    wrong_key = DecodaClient(server.base_url, {"API-KEY": "cpk_not-a-key", "TENANT": tenant["tenant"]})
    status, body = wrong_key.get("/tenant/public")
    assert status == 401
    assert body["detail"]


# --- Gen-1: /v1/patient -------------------------------------------------------------------


def test_v1_created_patient_comes_back_by_id_and_by_external_id(decoda):
    external_id = _external_id()
    created = _v1_create(
        decoda,
        firstName="Ana",
        lastName="Okafor",
        email="ana.okafor@example.com",
        phoneNumber="+15555550123",
        dateOfBirth="1990-04-12",
        gender="FEMALE",
        externalUserId=external_id,
        address="1 Main St",
        addressLineTwo="Apt 2",
        city="Springfield",
        state="IL",
        zipCode="62701",
        country="US",
        meta={"mrn": "A-1"},
        allergies=["penicillin"],
    )
    assert created["id"]
    assert created["type"] == "PATIENT"
    assert created["firstName"] == "Ana"
    assert created["lastName"] == "Okafor"
    assert created["externalUserId"] == external_id
    assert created["dateOfBirth"] == "1990-04-12"
    assert created["city"] == "Springfield"
    assert created["meta"] == {"mrn": "A-1"}
    assert created["allergies"] == ["penicillin"]
    _assert_recent(created["createdDate"])

    status, by_id = decoda.get(f"/v1/patient/{created['id']}")
    assert status == 200
    assert by_id["id"] == created["id"]
    assert by_id["firstName"] == "Ana"
    assert by_id["externalUserId"] == external_id
    assert by_id["dateOfBirth"] == "1990-04-12"

    status, by_external_id = decoda.get(f"/v1/patient/get_by_external_id/{external_id}")
    assert status == 200
    assert by_external_id["id"] == created["id"]
    assert by_external_id["lastName"] == "Okafor"


def test_v1_update_changes_what_the_patient_says(decoda):
    created = _v1_create(decoda, firstName="Ben", lastName="Adams", phoneNumber="+15555550100")

    status, updated = decoda.put(
        f"/v1/patient/update/{created['id']}",
        {"lastName": "Adams-Cole", "phoneNumber": "+15555550199", "gender": "MALE", "optedOutOfSms": True},
    )
    assert status == 200
    assert updated["id"] == created["id"]
    assert updated["lastName"] == "Adams-Cole"
    assert updated["phoneNumber"] == "+15555550199"
    assert updated["firstName"] == "Ben"  # omitted fields keep their value
    assert updated["optedOutOfSms"] is True

    status, fetched = decoda.get(f"/v1/patient/{created['id']}")
    assert status == 200
    assert fetched["lastName"] == "Adams-Cole"
    assert fetched["phoneNumber"] == "+15555550199"


def test_v1_list_returns_newest_first_and_filters(decoda):
    tag = uuid.uuid4().hex[:8]
    first = _v1_create(decoda, firstName="Cara", lastName=f"First{tag}", externalUserId=_external_id())
    time.sleep(0.02)
    second = _v1_create(decoda, firstName="Dan", lastName=f"Second{tag}")
    time.sleep(0.02)
    third = _v1_create(decoda, firstName="Eve", lastName=f"Third{tag}")

    status, listed = decoda.get("/v1/patient/list")
    assert status == 200
    assert [p["id"] for p in listed] == [third["id"], second["id"], first["id"]]

    status, newest_two = decoda.get("/v1/patient/list", query={"n": 2})
    assert status == 200
    assert [p["id"] for p in newest_two] == [third["id"], second["id"]]

    status, found = decoda.get("/v1/patient/list", query={"search_term": f"Second{tag}"})
    assert status == 200
    assert [p["id"] for p in found] == [second["id"]]

    status, by_external_id = decoda.get("/v1/patient/list", query={"external_user_id": first["externalUserId"]})
    assert status == 200
    assert [p["id"] for p in by_external_id] == [first["id"]]

    # Without `n` the list stops at the published default of 10, newest first.
    more = []
    for i in range(8):
        time.sleep(0.002)
        more.append(_v1_create(decoda, firstName=f"Extra{i}"))
    status, default_page = decoda.get("/v1/patient/list")
    assert status == 200
    assert [p["id"] for p in default_page] == [p["id"] for p in reversed(more)] + [third["id"], second["id"]]


def test_v1_create_without_first_name_is_a_422(decoda):
    status, body = decoda.post("/v1/patient/create", {"lastName": "Nofirst"}, check_request=False)
    assert status == 422
    assert any(error["loc"] == ["body", "firstName"] for error in body["detail"]), body


def test_v1_unknown_patient_is_a_404(decoda):
    known = _v1_create(decoda)
    status, _ = decoda.get(f"/v1/patient/{known['id']}")
    assert status == 200  # the route exists, so the 404s below are about the patient

    missing = str(uuid.uuid4())
    status, body = decoda.get(f"/v1/patient/{missing}")
    assert status == 404
    assert isinstance(body["detail"], str) and body["detail"]

    # Ids are opaque strings in the spec: a malformed one is just not found either.
    status, body = decoda.get("/v1/patient/pat_not-a-uuid")
    assert status == 404

    status, body = decoda.get(f"/v1/patient/get_by_external_id/{_external_id()}")
    assert status == 404

    status, body = decoda.put(f"/v1/patient/update/{missing}", {"lastName": "Nobody"})
    assert status == 404


def test_v1_duplicate_external_id_is_a_409(decoda):
    external_id = _external_id()
    original = _v1_create(decoda, firstName="Ivy", externalUserId=external_id)

    status, body = decoda.post("/v1/patient/create", {"firstName": "Twin", "externalUserId": external_id})
    assert status == 409
    assert isinstance(body["detail"], str) and body["detail"]

    other = _v1_create(decoda, firstName="Jon")
    status, body = decoda.put(f"/v1/patient/update/{other['id']}", {"externalUserId": external_id})
    assert status == 409

    status, by_external_id = decoda.get(f"/v1/patient/get_by_external_id/{external_id}")
    assert status == 200
    assert by_external_id["id"] == original["id"]
    assert by_external_id["firstName"] == "Ivy"


def test_v1_another_tenants_patient_is_not_found(server, decoda):
    other = _other_tenant(server)
    external_id = _external_id()
    status, theirs = other.post("/v1/patient/create", {"firstName": "Zoe", "externalUserId": external_id})
    assert status == 200

    status, _ = decoda.get(f"/v1/patient/{theirs['id']}")
    assert status == 404
    status, _ = decoda.get(f"/v1/patient/get_by_external_id/{external_id}")
    assert status == 404
    status, _ = decoda.put(f"/v1/patient/update/{theirs['id']}", {"lastName": "Stolen"})
    assert status == 404
    status, listed = decoda.get("/v1/patient/list", query={"search_term": "Zoe"})
    assert status == 200
    assert theirs["id"] not in [p["id"] for p in listed]

    # The external id is per tenant: it is free here, and theirs is untouched.
    mine = _v1_create(decoda, firstName="Zoe", externalUserId=external_id)
    assert mine["id"] != theirs["id"]
    status, still_theirs = other.get(f"/v1/patient/{theirs['id']}")
    assert status == 200
    assert still_theirs.get("lastName") is None


# --- Gen-2: /user/patient ----------------------------------------------------------------


def test_user_patient_create_chart_update_and_list(decoda):
    external_id = _external_id()
    created = _v2_create(
        decoda,
        firstName="Fay",
        lastName="Nguyen",
        externalId=external_id,
        email="fay.nguyen@example.com",
        phoneNumber="+15555550142",
        dateOfBirth="1985-11-30",
        gender="female",
        preferredName="Fi",
        meta={"source": "compat"},
    )
    assert created["id"]
    assert created["type"] == "PATIENT"
    assert created["firstName"] == "Fay"
    assert created["externalId"] == external_id
    assert created["dateOfBirth"] == "1985-11-30"
    assert created["gender"] == "female"
    _assert_recent(created["createdDate"])

    status, chart = decoda.get(f"/user/patient/{created['id']}")
    assert status == 200
    assert chart["id"] == created["id"]
    assert chart["type"] == "PATIENT"
    assert chart["firstName"] == "Fay"
    assert chart["externalId"] == external_id
    assert chart["preferredName"] == "Fi"

    status, updated = decoda.put(f"/user/patient/{created['id']}", {"lastName": "Tran", "city": "Austin"})
    assert status == 200
    assert updated["id"] == created["id"]
    assert updated["lastName"] == "Tran"
    assert updated["city"] == "Austin"
    assert updated["firstName"] == "Fay"  # omitted fields keep their value

    status, chart = decoda.get(f"/user/patient/{created['id']}")
    assert status == 200
    assert chart["lastName"] == "Tran"

    second = _v2_create(decoda, firstName="Gil")
    status, listed = decoda.get("/user/patient/list", query={"patient_ids": [created["id"], second["id"]]})
    assert status == 200
    assert sorted(p["id"] for p in listed) == sorted([created["id"], second["id"]])
    assert {p["id"]: p["firstName"] for p in listed} == {created["id"]: "Fay", second["id"]: "Gil"}

    status, just_one = decoda.get("/user/patient/list", query={"patient_ids": [second["id"]]})
    assert status == 200
    assert [p["id"] for p in just_one] == [second["id"]]


def test_user_patient_create_needs_no_fields(decoda):
    # Every PatientCreate field is optional in Gen-2, even firstName.
    created = _v2_create(decoda)
    assert created["id"]
    assert created["type"] == "PATIENT"
    assert created.get("firstName") is None
    status, chart = decoda.get(f"/user/patient/{created['id']}")
    assert status == 200
    assert chart["id"] == created["id"]


def test_user_patient_errors(server, decoda):
    external_id = _external_id()
    known = _v2_create(decoda, firstName="Kim", externalId=external_id)
    status, _ = decoda.get(f"/user/patient/{known['id']}")
    assert status == 200  # the route exists, so the 404s below are about the patient

    missing = str(uuid.uuid4())
    status, body = decoda.get(f"/user/patient/{missing}")
    assert status == 404
    assert isinstance(body["detail"], str) and body["detail"]
    status, body = decoda.put(f"/user/patient/{missing}", {"lastName": "Nobody"})
    assert status == 404

    status, body = decoda.post("/user/patient/create", {"firstName": "Twin", "externalId": external_id})
    assert status == 409
    assert isinstance(body["detail"], str) and body["detail"]

    status, body = decoda.post(
        "/user/patient/create", {"firstName": "Lee", "dateOfBirth": "30/11/1985"}, check_request=False
    )
    assert status == 422
    assert any(error["loc"] == ["body", "dateOfBirth"] for error in body["detail"]), body

    other = _other_tenant(server)
    status, _ = other.get(f"/user/patient/{known['id']}")
    assert status == 404
    status, _ = other.put(f"/user/patient/{known['id']}", {"lastName": "Stolen"})
    assert status == 404
    status, listed = other.get("/user/patient/list", query={"patient_ids": [known["id"]]})
    assert status == 200
    assert listed == []

    status, chart = decoda.get(f"/user/patient/{known['id']}")
    assert status == 200
    assert chart.get("lastName") is None


# --- both generations, one registry --------------------------------------------------------


def test_a_patient_is_the_same_patient_in_both_generations(decoda):
    external_id = _external_id()
    v1 = _v1_create(decoda, firstName="Hal", lastName="Ito", externalUserId=external_id, dateOfBirth="1970-01-31")

    status, chart = decoda.get(f"/user/patient/{v1['id']}")
    assert status == 200
    assert chart["firstName"] == "Hal"
    assert chart["externalId"] == external_id
    assert chart["dateOfBirth"] == "1970-01-31"

    status, _ = decoda.put(f"/user/patient/{v1['id']}", {"lastName": "Ito-Park"})
    assert status == 200
    status, again = decoda.get(f"/v1/patient/{v1['id']}")
    assert status == 200
    assert again["lastName"] == "Ito-Park"
    assert again["externalUserId"] == external_id


def test_patient_routes_need_credentials(server):
    anonymous = DecodaClient(server.base_url, {})
    for path in ("/v1/patient/list", "/user/patient/list"):
        status, body = anonymous.get(path)
        assert status == 401, (path, body)
        assert body["detail"]


# --- Gen-1: /v1/provider and /v1/role -----------------------------------------------------


def _provider_create(decoda, **fields):
    status, provider = decoda.post("/v1/provider/create", {"firstName": "Rosa", "roles": ["PROVIDER"], **fields})
    assert status == 200, provider
    return provider


def _role_names(provider):
    return [role["name"] for role in provider["roles"]]


def test_v1_role_list_names_the_roles_a_provider_can_hold(decoda):
    status, roles = decoda.get("/v1/role/list")
    assert status == 200
    names = [role["name"] for role in roles]
    assert names == ["ADMIN", "PROVIDER", "NURSE", "MEDICAL_ASSISTANT", "FRONT_DESK", "BILLING"]

    # Every listed role is one a provider can be given, and comes back by that name.
    provider = _provider_create(decoda, roles=list(reversed(names)))
    assert _role_names(provider) == names


def test_v1_created_provider_comes_back_by_id_and_by_external_id(decoda):
    external_id = _external_id()
    created = _provider_create(
        decoda,
        firstName="Rosa",
        lastName="Diaz",
        email="rosa.diaz@example.com",
        phoneNumber="+15555550111",
        externalUserId=external_id,
        address="9 Clinic Way",
        addressLineTwo="Suite 4",
        city="Portland",
        state="OR",
        zipCode="97201",
        country="US",
        addressValid=True,
        meta={"npi": "1234567893"},
        firebaseUid="fb-rosa",
        type="provider",
        updatedDate="2024-05-01T12:00:00Z",
        roles=["PROVIDER", "BILLING"],
    )
    assert uuid.UUID(created["id"])
    assert created["type"] == "provider"
    assert created["firstName"] == "Rosa"
    assert created["lastName"] == "Diaz"
    assert created["externalUserId"] == external_id
    assert created["zipCode"] == "97201"
    assert created["addressValid"] is True
    assert created["meta"] == {"npi": "1234567893"}
    assert _role_names(created) == ["PROVIDER", "BILLING"]
    _assert_recent(created["createdDate"])

    status, by_id = decoda.get(f"/v1/provider/get/{created['id']}")
    assert status == 200
    assert by_id == created

    status, by_external_id = decoda.get(f"/v1/provider/get_by_external_id/{external_id}")
    assert status == 200
    assert by_external_id == created


def test_v1_provider_update_changes_what_the_provider_says(decoda):
    created = _provider_create(decoda, firstName="Sam", lastName="Lee", email="sam@example.com", roles=["NURSE"])

    status, updated = decoda.put(
        f"/v1/provider/update/{created['id']}",
        {"lastName": "Lee-Park", "email": None, "roles": ["NURSE", "ADMIN"]},
    )
    assert status == 200
    assert updated["id"] == created["id"]
    assert updated["lastName"] == "Lee-Park"
    assert updated["email"] is None  # null clears
    assert updated["firstName"] == "Sam"  # omitted fields keep their value
    assert _role_names(updated) == ["ADMIN", "NURSE"]

    status, fetched = decoda.get(f"/v1/provider/get/{created['id']}")
    assert status == 200
    assert fetched == updated

    status, no_roles = decoda.put(f"/v1/provider/update/{created['id']}", {"roles": None})
    assert status == 200
    assert no_roles["roles"] == []
    assert no_roles["lastName"] == "Lee-Park"


def test_v1_provider_list_returns_the_tenants_providers_newest_first(server, decoda):
    status, empty = decoda.get("/v1/provider/list")
    assert status == 200
    assert empty == []

    first = _provider_create(decoda, firstName="Ada")
    time.sleep(0.02)
    second = _provider_create(decoda, firstName="Ben", roles=[])
    time.sleep(0.02)
    # A chosen id that sorts before every generated one is still the newest.
    third = _provider_create(decoda, firstName="Cy", id="00000000-0000-4000-8000-000000000001")

    status, listed = decoda.get("/v1/provider/list")
    assert status == 200
    assert [p["id"] for p in listed] == [third["id"], second["id"], first["id"]]
    assert [p["firstName"] for p in listed] == ["Cy", "Ben", "Ada"]

    other = _other_tenant(server)
    status, theirs = other.get("/v1/provider/list")
    assert status == 200
    assert theirs == []


def test_v1_provider_errors(decoda):
    external_id = _external_id()
    known = _provider_create(decoda, firstName="Kai", externalUserId=external_id)
    status, _ = decoda.get(f"/v1/provider/get/{known['id']}")
    assert status == 200  # the route exists, so the 404s below are about the provider

    missing = str(uuid.uuid4())
    for path in (f"/v1/provider/get/{missing}", "/v1/provider/get/prov_not-a-uuid",
                 f"/v1/provider/get_by_external_id/{_external_id()}"):
        status, body = decoda.get(path)
        assert status == 404, path
        assert isinstance(body["detail"], str) and body["detail"]
    status, _ = decoda.put(f"/v1/provider/update/{missing}", {"lastName": "Nobody"})
    assert status == 404

    status, body = decoda.post("/v1/provider/create", {"firstName": "Twin", "roles": [], "externalUserId": external_id})
    assert status == 409
    assert external_id in body["detail"]

    invalid = [
        ({"roles": ["PROVIDER"]}, ["body", "firstName"]),
        ({"firstName": "Noroles"}, ["body", "roles"]),
        ({"firstName": "Bad", "roles": ["PROVIDER", "SURGEON"]}, ["body", "roles", 1]),
        ({"firstName": "Bad", "roles": [], "id": "prov_1"}, ["body", "id"]),
        ({"firstName": "Bad", "roles": [], "type": "PATIENT"}, ["body", "type"]),
    ]
    for request_body, loc in invalid:
        status, body = decoda.post("/v1/provider/create", request_body, check_request=False)
        assert status == 422, request_body
        assert any(error["loc"] == loc for error in body["detail"]), (request_body, body)
    status, body = decoda.put(f"/v1/provider/update/{known['id']}", {"firstName": None}, check_request=False)
    assert status == 422
    assert any(error["loc"] == ["body", "firstName"] for error in body["detail"]), body

    status, listed = decoda.get("/v1/provider/list")
    assert status == 200
    assert listed == [known]  # nothing was written


def test_v1_another_tenants_provider_is_not_found(server, decoda):
    other = _other_tenant(server)
    external_id = _external_id()
    status, theirs = other.post("/v1/provider/create", {"firstName": "Zed", "roles": [], "externalUserId": external_id})
    assert status == 200

    status, _ = decoda.get(f"/v1/provider/get/{theirs['id']}")
    assert status == 404
    status, _ = decoda.get(f"/v1/provider/get_by_external_id/{external_id}")
    assert status == 404
    status, _ = decoda.put(f"/v1/provider/update/{theirs['id']}", {"lastName": "Stolen"})
    assert status == 404
    status, listed = decoda.get("/v1/provider/list")
    assert status == 200
    assert listed == []

    # The external id is per tenant: it is free here, and theirs is untouched.
    mine = _provider_create(decoda, firstName="Zed", externalUserId=external_id)
    assert mine["id"] != theirs["id"]
    status, still_theirs = other.get(f"/v1/provider/get/{theirs['id']}")
    assert status == 200
    assert still_theirs["lastName"] is None


def test_provider_routes_need_credentials(server):
    anonymous = DecodaClient(server.base_url, {})
    for path in ("/v1/provider/list", "/v1/role/list"):
        status, body = anonymous.get(path)
        assert status == 401, (path, body)
        assert body["detail"]
