"""Fixtures: a real copay server per test module and backend, and a fresh tenant."""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

import pytest

COPAY_BIN = os.environ.get("COPAY_BIN", os.path.join(os.path.dirname(__file__), "..", "target", "debug", "copay"))
POSTGRES_ADMIN_URL = os.environ.get("COPAY_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")

BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("COPAY_COMPAT_POSTGRES") == "1" else [])


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_admin(statement):
    import pg8000.native

    url = urllib.parse.urlparse(POSTGRES_ADMIN_URL)
    conn = pg8000.native.Connection(
        user=url.username or "postgres",
        password=url.password,
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        database=(url.path or "/postgres").lstrip("/"),
    )
    try:
        conn.run(statement)
    finally:
        conn.close()


class Server:
    def __init__(self, backend):
        self.backend = backend
        self.dir = tempfile.TemporaryDirectory()
        if backend == "sqlite":
            self.database_url = f"sqlite://{self.dir.name}/copay.db"
            self.pg_name = None
        else:
            self.pg_name = f"copay_compat_{uuid.uuid4().hex}"
            _pg_admin(f"CREATE DATABASE {self.pg_name}")
            base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
            self.database_url = f"{base}/{self.pg_name}"
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.dir.name, "serve.log"), "w")
        # Webhook tests deliver to a receiver on 127.0.0.1, with quick retries.
        env = dict(
            os.environ,
            COPAY_LOG="warn",
            COPAY_WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
            COPAY_WEBHOOK_RETRY_BASE_SECS="0.2",
        )
        self.process = subprocess.Popen(
            [COPAY_BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--database-url", self.database_url],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.base_url}/readyz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"copay did not start: {open(self.log.name).read()}")
            time.sleep(0.05)

    def copay(self, *args):
        out = subprocess.run(
            [COPAY_BIN, *args, "--database-url", self.database_url], capture_output=True, text=True, check=True
        )
        return out.stdout

    def tenant(self, slug=None):
        slug = slug or f"t-{uuid.uuid4().hex[:12]}"
        return json.loads(self.copay("tenant", "create", slug, "--json"))

    def process_claims(self, tenant, claim_creation_id=None):
        """Runs claim-creation processing now through copay's own endpoint."""
        token_request = urllib.request.Request(
            f"{self.base_url}/api/auth/v2/token",
            data=json.dumps({"client_id": tenant["client_id"], "client_secret": tenant["client_secret"]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(token_request) as response:
            token = json.load(response)["access_token"]
        body = {} if claim_creation_id is None else {"claim_creation_id": str(claim_creation_id)}
        request = urllib.request.Request(
            f"{self.base_url}/copay/v1/claim-creations/process",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request) as response:
            return json.load(response)

    def verify(self):
        out = subprocess.run([COPAY_BIN, "verify", "--database-url", self.database_url], capture_output=True, text=True)
        return out.returncode, out.stdout

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        if self.pg_name:
            _pg_admin(f"DROP DATABASE IF EXISTS {self.pg_name} WITH (FORCE)")
        self.dir.cleanup()


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    server = Server(request.param)
    yield server
    code = server.process.poll()
    server.stop()
    assert code is None, "copay exited during the tests"


@pytest.fixture
def tenant(server):
    return server.tenant()


@pytest.fixture
def decoda_headers(tenant):
    """The Decoda dialect's credentials for the test's tenant: `API-KEY` and `TENANT`."""
    return {"API-KEY": tenant["api_key"], "TENANT": tenant["tenant"]}


@pytest.fixture
def candid(server, tenant):
    """A CandidApiClient in OAuth client-credentials mode against copay."""
    from candid.client import CandidApiClient
    from candid.environment import CandidApiClientEnvironment

    return CandidApiClient(
        environment=CandidApiClientEnvironment(candid_api=server.base_url, pre_encounter=server.base_url),
        client_id=tenant["client_id"],
        client_secret=tenant["client_secret"],
    )


def pytest_sessionfinish(session, exitstatus):
    """With COPAY_COMPAT_COVERAGE=1 (a whole run of scripts/compat-test), every Decoda
    operation copay serves must have had a 2xx response validated against its published
    schema; a missing one fails the run, naming it."""
    if os.environ.get("COPAY_COMPAT_COVERAGE") != "1" or exitstatus != 0:
        return
    from decoda_openapi import VALIDATED_OPERATIONS, load_spec
    from decoda_operations import PATIENT_BILLING

    try:
        load_spec(1)
        load_spec(2)
    except pytest.skip.Exception:
        return  # the published documents are absent: the schema tests skipped, saying so
    missing = sorted(PATIENT_BILLING - VALIDATED_OPERATIONS)
    if missing:
        lines = "\n".join(f"  gen-{g} {m} {t}" for g, m, t in missing)
        print(f"\nDecoda operations with no response validated against the published schema:\n{lines}")
        session.exitstatus = 1
