#!/usr/bin/env python3
"""Seeds one copay tenant for bench/claim_money.sh through the Candid API (python3 stdlib
only): CLAIMS charge captures of three service lines each, for as many patients, processed
into claims (`copay claims process`), then one large insurance payment on every line so
that refunds have plenty to take back.

  claim_money_seed.py --port P --client-id ID --client-secret S --claims N --copay BIN
                      --database-url URL [--concurrency 16] --out FILE

Writes FILE for bench/claim_money.lua: one claim per line, `PATIENT LINE LINE LINE`.
Prints one JSON object: claims, lines, failed, seconds. Any non-2xx answer counts as
failed (and the benchmark refuses to run).
"""

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time

PAID_PER_LINE = 100_000_000


class Client:
    """One keep-alive HTTP/1.1 connection per thread, with a bearer token."""

    def __init__(self, port, token):
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn = None

    def call(self, method, path, body=None):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.request(method, path, None if body is None else json.dumps(body), self.headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")


def token(port, client_id, client_secret):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"client_id": client_id, "client_secret": client_secret})
    conn.request("POST", "/api/auth/v2/token", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        sys.exit(f"token: {response.status} {data[:300]!r}")
    return json.loads(data)["access_token"]


def parallel(count, concurrency, make_client, job):
    """Runs job(client, index) for every index on `concurrency` threads; returns failures."""
    failed = []
    lock = threading.Lock()
    counter = iter(range(count))

    def worker():
        client = make_client()
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            try:
                error = job(client, index)
            except (OSError, http.client.HTTPException) as exc:
                error = repr(exc)
            if error:
                with lock:
                    failed.append(error)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--claims", type=int, required=True)
    parser.add_argument("--copay", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    started = time.monotonic()
    bearer = token(args.port, args.client_id, args.client_secret)

    def make_client():
        return Client(args.port, bearer)

    def capture(client, index):
        body = {
            "charge_external_id": f"bench-{index}",
            "patient_external_id": f"bench-patient-{index}",
            "status": "billable",
            "data": {
                "date_of_service": "2024-05-01",
                "external_id": f"bench-enc-{index}",
                "patient": {"first_name": "Bench", "last_name": f"Patient{index}", "date_of_birth": "1980-01-02"},
                "billing_provider": {"npi": "1234567893", "organization_name": "Bench Clinic"},
                "subscriber_primary": {"insurance_card": {"member_id": f"M-{index}", "payer_id": "60054"}},
                "diagnoses": [{"code_type": "ABK", "code": "Z00.00"}],
                "service_lines": [
                    {"procedure_code": code, "quantity": "1", "units": "UN", "charge_amount_cents": cents}
                    for code, cents in (("99213", 15000), ("85025", 4000), ("36415", 1500))
                ],
            },
        }
        status, data = client.call("POST", "/api/charge_captures/v1", body)
        return None if status == 200 else f"capture {status} {data[:200]!r}"

    failed = parallel(args.claims, args.concurrency, make_client, capture)
    if failed:
        sys.exit(f"captures failed: {failed[:3]}")
    subprocess.run([args.copay, "claims", "process", "--database-url", args.database_url],
                   check=True, capture_output=True)

    claims = []
    client = make_client()
    page_token = None
    while True:
        path = "/api/encounters/v4?limit=1000" + (f"&page_token={page_token}" if page_token else "")
        status, data = client.call("GET", path)
        if status != 200:
            sys.exit(f"encounters: {status} {data[:300]!r}")
        page = json.loads(data)
        for encounter in page["items"]:
            lines = [line["service_line_id"] for line in encounter["claims"][0]["service_lines"]]
            claims.append((encounter["patient"]["external_id"], lines))
        page_token = page.get("next_page_token")
        if not page_token:
            break
    if len(claims) != args.claims:
        sys.exit(f"expected {args.claims} claims, found {len(claims)}")

    def pay(client, index):
        _, lines = claims[index]
        body = {
            "payer_identifier": {"type": "payer_info", "payer_id": "60054", "payer_name": "Aetna"},
            "amount_cents": PAID_PER_LINE * len(lines),
            "allocations": [
                {"amount_cents": PAID_PER_LINE, "target": {"type": "service_line_by_id", "value": line}}
                for line in lines
            ],
        }
        status, data = client.call("POST", "/api/insurance-payments/v1", body)
        return None if status == 200 else f"payment {status} {data[:200]!r}"

    failed = parallel(len(claims), args.concurrency, make_client, pay)
    with open(args.out, "w") as out:
        for patient, lines in claims:
            out.write(" ".join([patient, *lines]) + "\n")
    print(json.dumps({"claims": len(claims), "lines": sum(len(lines) for _, lines in claims),
                      "failed": len(failed), "seconds": round(time.monotonic() - started, 1)}))


if __name__ == "__main__":
    main()
