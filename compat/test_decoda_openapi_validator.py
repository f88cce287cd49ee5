"""The Decoda schema checker itself (compat/decoda_openapi.py), against the real published
documents and without a server: it must reject what the spec rejects, or the HTTP tests
in test_decoda_openapi.py would prove nothing."""

import pytest

import decoda_openapi
from decoda_openapi import SchemaMismatch, load_spec, validate_request_body, validate_response

PATIENT = {
    "id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    "firstName": "Ana",
    "lastName": None,
    "type": "PATIENT",
    "createdDate": "2024-05-10T14:03:07.123456Z",
    "dateOfBirth": "1990-04-12",
    "externalUserId": "emr-7",
}


def _without(body, key):
    return {k: v for k, v in body.items() if k != key}


def _rejects(generation, method, path, status, body):
    with pytest.raises(SchemaMismatch) as raised:
        validate_response(generation, method, path, status, body)
    return str(raised.value)


def test_a_valid_gen1_patient_summary_is_accepted():
    operation = validate_response(1, "GET", f"/v1/patient/{PATIENT['id']}", 200, PATIENT)
    assert operation.operation_id == "patient_get_v1_patient__patient_id__get"
    validate_response(1, "GET", "/v1/patient/list", 200, [PATIENT, dict(PATIENT, id="2", dateOfBirth=None)])
    validate_response(1, "GET", "/v1/patient/list", 200, [])
    validate_response(1, "POST", "/v1/patient/create", 200, dict(PATIENT, createdDate="2024-05-10T09:03:07-05:00"))


def test_a_patient_summary_without_created_date_is_rejected_with_path_and_operation():
    message = _rejects(1, "GET", f"/v1/patient/{PATIENT['id']}", 200, _without(PATIENT, "createdDate"))
    assert "'createdDate' is a required property" in message
    assert "$:" in message
    assert "patient_get_v1_patient__patient_id__get" in message
    assert "#/components/schemas/PatientSummary" in message

    message = _rejects(2, "PUT", "/user/patient/abc", 200, _without(PATIENT, "createdDate"))
    assert "'createdDate' is a required property" in message
    assert "update_patient_user_patient__id__put" in message


def test_wrong_types_formats_and_enums_are_rejected_at_their_json_path():
    path = f"/v1/patient/{PATIENT['id']}"
    assert "$.id: 7 is not of type 'string'" in _rejects(1, "GET", path, 200, dict(PATIENT, id=7))
    # Gen-1 PatientSummary.firstName is a required, non-nullable string.
    assert "$.firstName: None is not of type 'string'" in _rejects(1, "GET", path, 200, dict(PATIENT, firstName=None))
    assert "$.createdDate" in _rejects(1, "GET", path, 200, dict(PATIENT, createdDate="2024-05-10 14:03:07"))
    # RFC 3339 needs an offset; a naive timestamp is not a `date-time`.
    assert "is not a 'date-time'" in _rejects(1, "GET", path, 200, dict(PATIENT, createdDate="2024-05-10T14:03:07"))
    message = _rejects(1, "GET", path, 200, dict(PATIENT, dateOfBirth="04/12/1990"))
    assert "$.dateOfBirth" in message and "is not a 'date'" in message
    assert "$.dateOfBirth" in _rejects(1, "GET", path, 200, dict(PATIENT, dateOfBirth="1990-04-12T00:00:00Z"))
    assert "$.allergies[1]" in _rejects(1, "GET", path, 200, dict(PATIENT, allergies=["penicillin", 3]))
    assert "$[1]" in _rejects(1, "GET", "/v1/patient/list", 200, [PATIENT, _without(PATIENT, "id")])
    # Gen-2 `type` is the UserType enum.
    message = _rejects(2, "GET", "/user/patient/abc", 200, dict(PATIENT, type="patient"))
    assert "$.type: 'patient' is not one of ['PROVIDER', 'PATIENT', 'ASSISTANT']" in message
    assert "get_patient_user_patient__patient_id__get" in message


def test_undeclared_keys_are_rejected_unless_the_object_is_free_form():
    # Gen-1's name for the external id in a Gen-2 body: the literal schema allows it.
    gen2_patient = dict(_without(PATIENT, "externalUserId"), externalUserId="emr-7")
    validate_response(2, "GET", "/user/patient/abc", 200, gen2_patient, closed=False)
    message = _rejects(2, "GET", "/user/patient/abc", 200, gen2_patient)
    assert "$: Unevaluated properties are not allowed ('externalUserId' was unexpected)" in message
    assert "first_name" in _rejects(1, "GET", "/v1/patient/list", 200, [dict(PATIENT, first_name="Ana")])
    # `meta` is a free-form object; 422 items may carry pydantic's `input`/`ctx`.
    validate_response(1, "GET", "/v1/patient/abc", 200, dict(PATIENT, meta={"anything": {"nested": [1]}}))
    error = {"loc": ["body", "firstName"], "msg": "Field required", "type": "missing", "input": {}}
    validate_response(1, "POST", "/v1/patient/create", 422, {"detail": [error]})
    with pytest.raises(SchemaMismatch, match="'externalUserId' was unexpected"):
        validate_request_body(2, "POST", "/user/patient/create", {"externalUserId": "emr-7"})


def test_literal_segments_win_over_parameters():
    gen1, gen2 = load_spec(1), load_spec(2)
    assert gen1.find_operation("GET", "/v1/patient/list").operation_id == "patient_list_v1_patient_list_get"
    assert gen1.find_operation("GET", "/v1/patient/0190abc").operation_id == "patient_get_v1_patient__patient_id__get"
    assert (
        gen1.find_operation("GET", "/v1/patient/get_by_external_id/emr%2F7").operation_id
        == "patient_get_by_external_id_v1_patient_get_by_external_id__external_id__get"
    )
    assert gen2.find_operation("GET", "/user/patient/list?patient_ids=a").template == "/user/patient/list"
    assert gen2.find_operation("GET", "/user/patient/abc").template == "/user/patient/{patient_id}"
    # Same shape, other template: the method decides.
    assert gen2.find_operation("PUT", "/user/patient/abc").template == "/user/patient/{id}"
    with pytest.raises(SchemaMismatch, match="no path template"):
        gen1.find_operation("GET", "/v1/nothing/here")
    with pytest.raises(SchemaMismatch, match="declares no DELETE"):
        gen1.find_operation("DELETE", "/v1/patient/list")


def test_errors_validate_as_http_validation_error_or_detail_string():
    error = {"detail": [{"loc": ["body", "firstName"], "msg": "Field required", "type": "missing"}]}
    validate_response(1, "POST", "/v1/patient/create", 422, error)
    message = _rejects(1, "POST", "/v1/patient/create", 422, {"detail": [{"loc": ["body"], "msg": "x"}]})
    assert "$.detail[0]: 'type' is a required property" in message
    assert "HTTPValidationError" in message
    assert "$.detail" in _rejects(1, "POST", "/v1/patient/create", 422, {"detail": "firstName is required"})
    # The published HTTPValidationError leaves `detail` optional; FastAPI always sends it.
    assert "'detail' is a required property" in _rejects(1, "POST", "/v1/patient/create", 422, {})
    # 422 on an operation that declares none (GET /tenant/public) still uses HTTPValidationError.
    validate_response(2, "GET", "/tenant/public", 422, error)
    # Undeclared error statuses: Decoda's {"detail": "<message>"}.
    validate_response(1, "GET", "/v1/patient/abc", 404, {"detail": "patient not found"})
    validate_response(2, "POST", "/user/patient/create", 409, {"detail": "duplicate externalId"})
    assert "'detail' is a required property" in _rejects(1, "GET", "/v1/patient/abc", 404, {"message": "nope"})
    assert "$.detail" in _rejects(1, "GET", "/v1/patient/abc", 404, {"detail": ["nope"]})
    # A success status the operation does not declare is a mismatch (creates answer 200).
    assert "status 201 is not declared" in _rejects(1, "POST", "/v1/patient/create", 201, PATIENT)


def test_request_bodies_are_checked_against_the_request_schema():
    validate_request_body(1, "POST", "/v1/patient/create", {"firstName": "Ana", "gender": "FEMALE"})
    with pytest.raises(SchemaMismatch, match="'firstName' is a required property"):
        validate_request_body(1, "POST", "/v1/patient/create", {"lastName": "Okafor"})
    # Gen-1 `gender` is the Gender enum; Gen-2 takes any string.
    with pytest.raises(SchemaMismatch, match=r"\$\.gender"):
        validate_request_body(1, "POST", "/v1/patient/create", {"firstName": "Ana", "gender": "female"})
    validate_request_body(2, "POST", "/user/patient/create", {"gender": "female"})
    validate_request_body(2, "POST", "/user/patient/create", {})
    with pytest.raises(SchemaMismatch, match=r"\$\.dateOfBirth"):
        validate_request_body(2, "PUT", "/user/patient/abc", {"dateOfBirth": "30/11/1985"})


def test_a_missing_document_skips_with_the_file_named(monkeypatch, tmp_path):
    monkeypatch.setattr(decoda_openapi, "_SPECS", {})
    monkeypatch.setattr(decoda_openapi, "REFERENCE_DIR", str(tmp_path))
    (tmp_path / "decoda-openapi-gen1.yaml").write_text("openapi: 3.1.0\npaths: {}\n")
    with pytest.raises(pytest.skip.Exception, match="decoda-openapi-gen2.yaml is missing"):
        load_spec(2)
    monkeypatch.setattr(decoda_openapi, "REFERENCE_DIR", str(tmp_path / "absent"))
    with pytest.raises(pytest.skip.Exception, match="reference folder is missing"):
        load_spec(1)
