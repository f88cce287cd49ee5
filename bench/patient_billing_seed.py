#!/usr/bin/env python3
"""Seeds one copay tenant for bench/patient_billing.sh through the Decoda API (python3
stdlib only): a few catalogue items, then patients, each granted one large credit.

  patient_billing_seed.py --port P --api-key K --tenant SLUG --patients N
                          [--credit CENTS] [--concurrency 16] --out FILE

Writes FILE for bench/patient_billing.lua: the line `items ID:PRICE ID:PRICE …`, then one
patient id per line. Prints one JSON object: patients, items, failed, seconds. Any
non-2xx answer or transport error counts as failed (and the benchmark refuses to run).
"""

import argparse
import http.client
import json
import sys
import threading
import time

# Catalogue items the charge-create load sells (name, unit price in cents).
ITEMS = [("Office visit", 12500), ("Lab panel", 4200), ("Flu shot", 3500),
         ("Telehealth follow-up", 7500)]


class Client:
    """One keep-alive HTTP/1.1 connection per thread."""

    def __init__(self, port, api_key, tenant):
        self.port = port
        self.headers = {"API-KEY": api_key, "TENANT": tenant, "Content-Type": "application/json"}
        self.conn = None

    def post(self, path, body):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request("POST", path, json.dumps(body), self.headers)
                response = self.conn.getresponse()
                data = response.read()
                return response.status, data
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--patients", type=int, required=True)
    parser.add_argument("--credit", type=int, default=0, help="cents granted to each patient")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    started = time.monotonic()
    failed = []
    lock = threading.Lock()

    client = Client(args.port, args.api_key, args.tenant)
    items = []
    for name, price in ITEMS:
        status, data = client.post("/v1/item/create", {"name": name, "price": price})
        if status != 200:
            sys.exit(f"item create: {status} {data[:300]!r}")
        items.append((json.loads(data)["id"], price))

    patients = [None] * args.patients
    counter = iter(range(args.patients))

    def worker():
        client = Client(args.port, args.api_key, args.tenant)
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            try:
                status, data = client.post(
                    "/v1/patient/create",
                    {"firstName": f"Bench{index}", "lastName": "Patient",
                     "externalUserId": f"bench-{index}"})
                if status != 200:
                    raise RuntimeError(f"patient create: {status} {data[:300]!r}")
                patient_id = json.loads(data)["id"]
                if args.credit > 0:
                    status, data = client.post(
                        f"/user/patient/{patient_id}/credit",
                        {"amount": args.credit, "comment": "benchmark credit"})
                    if status != 200:
                        raise RuntimeError(f"credit create: {status} {data[:300]!r}")
                patients[index] = patient_id
            except Exception as error:  # counted and reported, never silent
                with lock:
                    failed.append(str(error))

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with open(args.out, "w") as out:
        out.write("items " + " ".join(f"{id}:{price}" for id, price in items) + "\n")
        for patient_id in patients:
            if patient_id:
                out.write(patient_id + "\n")
    print(json.dumps({"patients": sum(1 for p in patients if p), "items": len(items),
                      "failed": len(failed), "first_failure": failed[0] if failed else None,
                      "seconds": round(time.monotonic() - started, 2)}))


if __name__ == "__main__":
    main()
