"""Decoda's published OpenAPI documents as a checker for copay's Decoda responses.

The two documents live next to the repository, in ``<repo>/../shared/reference/``:
``decoda-openapi-gen1.yaml`` (the ``/v1`` API) and ``decoda-openapi-gen2.yaml``
(``/billing``, ``/user``, ``/tenant``, ...). Both are OpenAPI 3.1, so their schemas are
JSON Schema 2020-12; they are checked with ``jsonschema``'s Draft 2020-12 validator, with
``#/components/schemas/...`` references resolved inside the document (no network) and the
``date``, ``date-time``, ``email`` and ``uuid`` formats asserted, not just annotated.

For a (generation, method, concrete path, status, body) the operation is the spec path
template that matches the path (literal segments win over parameters, segment by segment
from the left, so ``/v1/patient/list`` beats ``/v1/patient/{patient_id}``) and declares the
method. The body is checked against the response schema of that status (exact code, then
``2XX``-style ranges, then ``default``). Statuses the operation does not declare:

* 422 is checked against the document's ``HTTPValidationError`` (FastAPI answers every
  request validation error with it, declared or not);
* any other 4xx/5xx against Decoda's documented error body ``{"detail": "<message>"}``;
* an undeclared 2xx/3xx is itself a mismatch.

By default the schemas are read *closed*: an object schema that lists ``properties``
admits no other keys (FastAPI serialises exactly the response model's fields, so an extra
or misnamed key such as Gen-1's ``externalUserId`` in a Gen-2 body is a deviation the
literal schemas would let through). Free-form objects (``meta``) and the 422 items stay
open; ``closed=False`` reads every schema literally.

Every 422 must also carry a non-empty ``detail`` list (the published ``HTTPValidationError``
leaves ``detail`` optional; FastAPI always sends it).

If the reference folder or one of the documents is absent, whatever needs it calls
``pytest.skip`` naming the missing file: the only way these checks are skipped.
"""

import hashlib
import json
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE_DIR = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "reference"))
SPEC_FILES = {1: "decoda-openapi-gen1.yaml", 2: "decoda-openapi-gen2.yaml"}

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Decoda's body for every error other than request validation (decoda-contract.md §1).
ERROR_DETAIL_SCHEMA = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string"}},
}
# What FastAPI actually sends on a 422, on top of the published HTTPValidationError.
VALIDATION_ENVELOPE_SCHEMA = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "array", "minItems": 1}},
}


class SchemaMismatch(AssertionError):
    """A response body (or a request body the test sends) that the published spec rejects."""


# --- formats -----------------------------------------------------------------------------

FORMAT_CHECKER = FormatChecker()

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
# RFC 3339 `date-time`: full-date "T" full-time, with a mandatory offset.
_DATE_TIME_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(instance):
    if not isinstance(instance, str):
        return True
    if not _DATE_RE.match(instance):
        raise ValueError("not a YYYY-MM-DD full-date")
    date.fromisoformat(instance)
    return True


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(instance):
    if not isinstance(instance, str):
        return True
    match = _DATE_TIME_RE.match(instance)
    if not match:
        raise ValueError("not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.frac] plus Z or ±HH:MM)")
    day, hour, minute, second, fraction, offset = match.groups()
    # A leap second (:60) is valid RFC 3339 but not a Python datetime.
    second = "59" if second == "60" else second
    offset = "+00:00" if offset in ("Z", "z") else offset
    datetime.fromisoformat(f"{day}T{hour}:{minute}:{second}{fraction or ''}{offset}")
    return True


# --- loading -----------------------------------------------------------------------------


def _load_yaml(path):
    """The document as plain JSON data, cached by content hash (the Gen-2 YAML is large)."""
    with open(path, "rb") as handle:
        raw = handle.read()
    digest = hashlib.sha256(raw).hexdigest()
    cache = os.path.join(tempfile.gettempdir(), f"copay-decoda-openapi-{digest}.json")
    try:
        with open(cache, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        pass
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = _plain(yaml.load(raw, Loader=loader))
    try:
        fd, temporary = tempfile.mkstemp(dir=os.path.dirname(cache), suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        os.replace(temporary, cache)
    except OSError:
        pass
    return document


def _plain(value):
    """JSON-shaped data: string keys (YAML may give `200:` as an int), no date objects."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _generation(generation):
    if isinstance(generation, str):
        generation = generation.lower().removeprefix("gen")
    generation = int(generation)
    if generation not in SPEC_FILES:
        raise ValueError(f"unknown Decoda generation {generation!r} (1 or 2)")
    return generation


def generation_of(path):
    """Gen-1 owns `/v1/...`; every other Decoda path is Gen-2."""
    return 1 if path == "/v1" or path.startswith("/v1/") else 2


_SPECS = {}


def load_spec(generation):
    """The `Spec` of a generation; skips the calling test if its document is absent."""
    generation = _generation(generation)
    if generation not in _SPECS:
        path = os.path.join(REFERENCE_DIR, SPEC_FILES[generation])
        if not os.path.isdir(REFERENCE_DIR):
            pytest.skip(
                f"Decoda OpenAPI reference folder is missing: {REFERENCE_DIR} "
                f"(needs {SPEC_FILES[1]} and {SPEC_FILES[2]})"
            )
        if not os.path.isfile(path):
            pytest.skip(f"Decoda OpenAPI document {path} is missing")
        _SPECS[generation] = Spec(generation, path, _load_yaml(path))
    return _SPECS[generation]


# --- operations --------------------------------------------------------------------------


def _pointer(*segments):
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in segments)


@dataclass(frozen=True)
class Operation:
    generation: int
    method: str  # upper case
    template: str
    operation_id: str
    definition: dict

    def __str__(self):
        return f"{self.operation_id} ({self.method} {self.template}, gen-{self.generation})"


class Spec:
    def __init__(self, generation, path, document):
        self.generation = generation
        self.path = path
        self.document = document
        self.uri = f"urn:copay:decoda-openapi-gen{generation}"
        self.closed_uri = f"{self.uri}:closed"
        self.registry = Registry().with_resources(
            [
                (self.uri, DRAFT202012.create_resource(document)),
                (self.closed_uri, DRAFT202012.create_resource(_closed(document))),
            ]
        )
        self._validators = {}
        self._templates = [
            (template, [_template_segment(s) for s in template.strip("/").split("/")] if template != "/" else [])
            for template in document.get("paths", {})
        ]

    # operations

    def find_operation(self, method, path):
        """The operation serving METHOD on a concrete PATH, or a SchemaMismatch."""
        method = method.lower()
        path = urllib.parse.urlsplit(path).path
        segments = [urllib.parse.unquote(s) for s in path.strip("/").split("/")] if path != "/" else []
        matching = []
        for template, parts in self._templates:
            if len(parts) != len(segments):
                continue
            if all(part is None and segment != "" or part == segment for part, segment in zip(parts, segments)):
                matching.append((tuple(part is not None for part in parts), template))
        if not matching:
            raise SchemaMismatch(f"gen-{self.generation} spec ({self.path}) has no path template matching {path}")
        with_method = [(score, t) for score, t in matching if method in self.document["paths"][t]]
        if not with_method:
            templates = ", ".join(sorted(t for _, t in matching))
            raise SchemaMismatch(
                f"gen-{self.generation} spec declares no {method.upper()} for {path} (templates: {templates})"
            )
        with_method.sort(reverse=True)
        if len(with_method) > 1 and with_method[0][0] == with_method[1][0]:
            raise SchemaMismatch(
                f"gen-{self.generation} spec: {method.upper()} {path} is ambiguous between "
                f"{with_method[0][1]} and {with_method[1][1]}"
            )
        template = with_method[0][1]
        definition = self.document["paths"][template][method]
        return Operation(
            self.generation,
            method.upper(),
            template,
            definition.get("operationId", f"{method.upper()} {template}"),
            definition,
        )

    # schemas

    def _deref(self, node):
        while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
            node = self.resolve_pointer(node["$ref"][1:])
        return node

    def resolve_pointer(self, pointer):
        node = self.document
        for segment in pointer.lstrip("/").split("/") if pointer else []:
            segment = urllib.parse.unquote(segment).replace("~1", "/").replace("~0", "~")
            node = node[int(segment)] if isinstance(node, list) else node[segment]
        return node

    def response_schema_pointer(self, operation, status):
        """(pointer to the JSON schema, the response key used), or (None, None) if undeclared.

        The pointer is None with a key when the status is declared without a JSON body."""
        responses = operation.definition.get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
            if key in responses:
                response = self._deref(responses[key])
                if "application/json" not in response.get("content", {}):
                    return None, key
                base = _pointer("paths", operation.template, operation.method.lower(), "responses", key)
                if "$ref" in responses[key]:
                    base = responses[key]["$ref"][1:]
                return base + _pointer("content", "application/json", "schema"), key
        return None, None

    def component_pointer(self, name):
        if name in self.document.get("components", {}).get("schemas", {}):
            return _pointer("components", "schemas", name)
        return None

    def validator(self, pointer, closed=True):
        """A validator for the schema at POINTER. `closed`: objects with declared
        `properties` admit no others (see `_closed`)."""
        if (pointer, closed) not in self._validators:
            schema = {"$ref": f"{self.closed_uri if closed else self.uri}#{pointer}"}
            self._validators[pointer, closed] = Draft202012Validator(
                schema, registry=self.registry, format_checker=FORMAT_CHECKER
            )
        return self._validators[pointer, closed]

    def describe(self, pointer):
        node = self.resolve_pointer(pointer)
        if isinstance(node, dict) and "$ref" in node:
            return node["$ref"]
        if isinstance(node, dict) and node.get("type") == "array" and "$ref" in node.get("items", {}):
            return f"array of {node['items']['$ref']}"
        return f"#{pointer}"


_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_VALUES = (
    "items", "additionalProperties", "unevaluatedProperties", "not", "if", "then", "else",
    "contains", "propertyNames", "unevaluatedItems",
)


def _close_schema(schema):
    """Adds `unevaluatedProperties: false` to every object schema that lists `properties`
    and says nothing about others, recursing through the schema keywords only."""
    if not isinstance(schema, dict):
        return
    if "properties" in schema and "additionalProperties" not in schema and "unevaluatedProperties" not in schema:
        schema["unevaluatedProperties"] = False
    for keyword in _SCHEMA_MAPS:
        for sub in (schema.get(keyword) or {}).values():
            _close_schema(sub)
    for keyword in _SCHEMA_LISTS:
        for sub in schema.get(keyword) or []:
            _close_schema(sub)
    for keyword in _SCHEMA_VALUES:
        _close_schema(schema.get(keyword))


# FastAPI's 422 items carry more than the published `loc`/`msg`/`type` (`input`, `ctx`).
_LEFT_OPEN = ("HTTPValidationError", "ValidationError")


def _closed(document):
    """A copy of the document whose objects admit only their declared properties.

    The published schemas never say `additionalProperties: false`, so read literally they
    let anything extra through, and a misnamed optional field (`externalUserId` where Gen-2
    says `externalId`, `first_name` for `firstName`) would pass unnoticed. FastAPI
    serialises exactly the response model's fields, so an undeclared key is a deviation;
    objects declared free-form (`meta`, no `properties`) stay open."""
    document = json.loads(json.dumps(document))
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        if name not in _LEFT_OPEN:
            _close_schema(schema)
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            bodies = [operation.get("requestBody") or {}, *(operation.get("responses") or {}).values()]
            for body in bodies:
                for media in (body.get("content") or {}).values():
                    _close_schema(media.get("schema"))
    return document


def _template_segment(segment):
    """None for a `{parameter}` segment, else the literal."""
    return None if segment.startswith("{") and segment.endswith("}") else segment


# --- validation --------------------------------------------------------------------------


def _errors(validator, instance):
    found = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        line = f"{error.json_path}: {error.message}"
        found.append(line)
        # anyOf/oneOf: why each branch refused it.
        for sub in sorted(error.context, key=lambda e: list(map(str, e.relative_schema_path))):
            branch = sub.relative_schema_path[0] if sub.relative_schema_path else "?"
            found.append(f"    {error.validator} branch {branch}: {sub.json_path}: {sub.message}")
    return found


def _raise(kind, operation, method, path, status, schema_name, errors, body):
    text = json.dumps(body, indent=1, sort_keys=True, default=str)
    if len(text) > 4000:
        text = text[:4000] + "\n... (truncated)"
    sent = f"{method.upper()} {path}" + (f" -> {status}" if status is not None else "")
    raise SchemaMismatch(
        "\n".join(
            [
                f"Decoda {kind} does not match the published schema",
                f"  operation: {operation}",
                f"  request:   {sent}",
                f"  schema:    {schema_name}",
                *(f"  {line}" for line in errors),
                f"  body: {text}",
            ]
        )
    )


# (generation, METHOD, template) of every operation a 2xx response validated for.
VALIDATED_OPERATIONS = set()


def validate_response(generation, method, path, status, body, closed=True):
    """Checks BODY (parsed JSON) against the spec's schema for that operation and status.

    Returns the `Operation`; raises `SchemaMismatch` naming the JSON paths and the
    operation id. `closed=False` reads the schemas literally (undeclared keys allowed)."""
    spec = load_spec(generation)
    operation = spec.find_operation(method, path)
    checks = []  # (schema name, validator)
    pointer, key = spec.response_schema_pointer(operation, status)
    if key is not None and pointer is None:
        if body not in (None, b"", ""):
            _raise(
                "response", operation, method, path, status, f"response {key} (no JSON content)",
                ["the operation declares no JSON body for this status but one came back"], body,
            )
        return operation
    if pointer is not None:
        checks.append((f"{spec.describe(pointer)} (response {key})", spec.validator(pointer, closed)))
        if status == 422:
            checks.append(("FastAPI 422 envelope", Draft202012Validator(VALIDATION_ENVELOPE_SCHEMA)))
    elif status == 422 and spec.component_pointer("HTTPValidationError"):
        pointer = spec.component_pointer("HTTPValidationError")
        checks.append(("#/components/schemas/HTTPValidationError (422 undeclared)", spec.validator(pointer, closed)))
        checks.append(("FastAPI 422 envelope", Draft202012Validator(VALIDATION_ENVELOPE_SCHEMA)))
    elif status == 422:
        checks.append(("FastAPI 422 envelope", Draft202012Validator(VALIDATION_ENVELOPE_SCHEMA)))
    elif status >= 400:
        name = '{"detail": str} (Decoda error body; status undeclared)'
        checks.append((name, Draft202012Validator(ERROR_DETAIL_SCHEMA)))
    else:
        declared = ", ".join(operation.definition.get("responses", {})) or "nothing"
        _raise(
            "response", operation, method, path, status, "-",
            [f"status {status} is not declared by the operation (it declares {declared})"], body,
        )
    for name, validator in checks:
        errors = _errors(validator, body)
        if errors:
            _raise("response", operation, method, path, status, name, errors, body)
    if 200 <= status < 300:
        VALIDATED_OPERATIONS.add((operation.generation, operation.method, operation.template))
    return operation


def validate_request_body(generation, method, path, body, closed=True):
    """Checks a request body a test is about to send against the operation's requestBody."""
    spec = load_spec(generation)
    operation = spec.find_operation(method, path)
    request_body = spec._deref(operation.definition.get("requestBody"))
    if not request_body or "application/json" not in request_body.get("content", {}):
        raise SchemaMismatch(f"{operation} declares no JSON request body")
    base = _pointer("paths", operation.template, operation.method.lower(), "requestBody")
    if "$ref" in operation.definition["requestBody"]:
        base = operation.definition["requestBody"]["$ref"][1:]
    pointer = base + _pointer("content", "application/json", "schema")
    errors = _errors(spec.validator(pointer, closed), body)
    if errors:
        _raise("request body", operation, method, path, None, spec.describe(pointer), errors, body)
    return operation


# --- HTTP --------------------------------------------------------------------------------


def request(
    base_url, headers, method, path, *, query=None, json_body=None, generation=None, check_request=True, closed=True
):
    """Sends one Decoda request to copay with urllib and returns (status, parsed body).

    The response body must be JSON (`Content-Type: application/json`) and must validate
    against the operation's schema for its status (see `validate_response`). A JSON body
    to send is checked against the operation's request schema first unless
    ``check_request=False`` (for deliberately invalid requests). ``query`` is a dict or a
    list of pairs; list values repeat the key (`?patient_ids=a&patient_ids=b`)."""
    generation = generation_of(path) if generation is None else _generation(generation)
    url = base_url + path
    if query:
        url += "?" + urllib.parse.urlencode(query, doseq=True)
    data = None
    all_headers = {"Accept": "application/json", **headers}
    if json_body is not None:
        if check_request:
            validate_request_body(generation, method, path, json_body, closed)
        data = json.dumps(json_body).encode()
        all_headers["Content-Type"] = "application/json"
    http_request = urllib.request.Request(url, data=data, headers=all_headers, method=method.upper())
    try:
        with urllib.request.urlopen(http_request, timeout=30) as response:
            status, content_type, raw = response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        status, content_type, raw = error.code, error.headers.get("Content-Type", ""), error.read()
    where = f"{method.upper()} {path} -> {status}"
    if not raw:
        body = None
    else:
        if not content_type.split(";")[0].strip().lower() == "application/json":
            raise SchemaMismatch(f"{where}: Content-Type is {content_type!r}, not application/json: {raw[:500]!r}")
        try:
            body = json.loads(raw)
        except ValueError as error:
            raise SchemaMismatch(f"{where}: the body is not JSON ({error}): {raw[:500]!r}") from None
    validate_response(generation, method, path, status, body, closed)
    return status, body


class DecodaClient:
    """`request` bound to one copay server and one tenant's `API-KEY` + `TENANT`."""

    def __init__(self, base_url, headers):
        self.base_url = base_url
        self.headers = dict(headers)

    def call(self, method, path, **kwargs):
        return request(self.base_url, self.headers, method, path, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, json_body, **kwargs):
        return self.call("POST", path, json_body=json_body, **kwargs)

    def put(self, path, json_body, **kwargs):
        return self.call("PUT", path, json_body=json_body, **kwargs)


__all__ = [
    "DecodaClient",
    "Operation",
    "REFERENCE_DIR",
    "SPEC_FILES",
    "SchemaMismatch",
    "Spec",
    "generation_of",
    "load_spec",
    "request",
    "validate_request_body",
    "validate_response",
]
