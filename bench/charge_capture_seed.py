#!/usr/bin/env python3
"""Seeds charge captures into one copay tenant through the HTTP API (python3 stdlib only).

Used by bench/charge_captures.sh. Bounded by count (--count) and by time (--deadline-secs);
each worker thread keeps one HTTP/1.1 keep-alive connection to 127.0.0.1.

  charge_capture_seed.py --port P --token T --start I --count N [--concurrency 32]
                         [--mode ehr|claims] [--prefix s]

Charge i is `{prefix}{i}`. Mode `ehr` makes the mix bench/charge_capture_create.lua makes
(status mostly planned/billable, about 10 charges per patient); mode `claims` makes only
billable charges with complete data, each for its own patient, so each opens its own
claim creation. Prints one JSON object: created, non_2xx (by status), errors, seconds, rate.

The data pools below are the same as in bench/charge_capture_create.lua; keep them in step.
"""

import argparse
import datetime
import itertools
import json
import random
import resource
import socket
import sys
import threading
import time

FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
         "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
         "Thomas", "Sarah", "Charles", "Karen", "Maria", "Daniel", "Nancy", "Matthew", "Lisa",
         "Anthony", "Betty", "Mark", "Sandra", "Donald"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
        "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
        "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
        "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores"]
PAYERS = [("60054", "Aetna"), ("62308", "Cigna"), ("87726", "UnitedHealthcare"),
          ("61101", "Humana"), ("94135", "Kaiser Permanente"), ("47198", "Anthem Blue Cross"),
          ("94036", "Blue Shield of California"), ("00882", "Medicare Part B"),
          ("00610", "Medicaid"), ("99726", "Tricare West"), ("OSCAR", "Oscar Health"),
          ("38333", "Molina Healthcare"), ("68069", "Ambetter"), ("54771", "Highmark"),
          ("14163", "Wellcare"), ("95567", "Health Net"), ("06111", "Oxford Health Plans"),
          ("55247", "EmblemHealth"), ("04271", "Harvard Pilgrim"), ("00901", "BCBS Texas")]
FACILITIES = ["Main Street Clinic", "Riverside Medical Center", "Northgate Family Practice",
              "Lakeside Urgent Care", "Hillcrest Pediatrics", "Westside Imaging",
              "Eastbrook Internal Medicine", "Harbor Health Pavilion"]
PROCEDURES = ["99213", "99214", "99203", "99204", "93000", "36415", "85025", "80053",
              "90471", "99395", "71046", "81002"]
DIAGNOSES = ["Z00.00", "I10", "E11.9", "J06.9", "M54.5", "E78.5", "F41.1", "K21.9",
             "R05.9", "Z23"]
TAGS = ["annual-visit", "follow-up", "telehealth", "new-patient"]
SERVICE_YEAR = datetime.date(2025, 1, 1)
DOB_START = datetime.date(1940, 1, 1)


def npi(k):
    """The k-th NPI of the pool: '1' + 8 digits + the Luhn check digit over 80840 + 9."""
    base = "1" + f"{(k * 7919 + 2345678) % 100000000:08d}"
    digits = [int(c) for c in "80840" + base]
    total = 0
    for pos, d in enumerate(reversed(digits)):
        if pos % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return base + str((10 - total % 10) % 10)


NPIS = [npi(k) for k in range(50)]


def patient_fields(k):
    """First name, last name, date of birth, member id and payer of patient k."""
    first = FIRST[k % len(FIRST)]
    last = LAST[(k // len(FIRST) + k * 13) % len(LAST)]
    dob = DOB_START + datetime.timedelta(days=(k * 7919) % 29200)
    return first, last, dob.isoformat(), f"MBR{k:08d}", PAYERS[k % len(PAYERS)]


def patient_of(i, rng):
    """About 10 charges per patient: charge i belongs to one of the 1,000 newest patients."""
    newest = i // 10
    return newest - rng.randint(0, min(newest, 1000))


def body(i, rng, prefix, mode):
    if mode == "claims":
        patient = i
        patient_id = f"{prefix}p{i}"
        status = "billable"
    else:
        patient = patient_of(i, rng)
        patient_id = f"p{patient:07d}"
        roll = rng.random()
        status = "billable" if roll < 0.5 else "planned" if roll < 0.95 else "not-billable"
    first, last, dob, member, (payer_id, payer_name) = patient_fields(patient)
    billing = rng.randrange(len(NPIS))
    rendering = rng.randrange(len(NPIS))
    dos = SERVICE_YEAR + datetime.timedelta(days=rng.randrange(365))
    diagnoses = [{"code_type": "ABK", "code": c}
                 for c in rng.sample(DIAGNOSES, rng.randint(1, 2))]
    lines = [{"procedure_code": rng.choice(PROCEDURES), "quantity": "1", "units": "UN",
              "charge_amount_cents": rng.randrange(50, 400) * 100, "diagnosis_pointers": [0]}
             for _ in range(rng.randint(1, 2))]
    data = {
        "date_of_service": dos.isoformat(),
        "patient": {"first_name": first, "last_name": last, "date_of_birth": dob,
                    "external_id": patient_id},
        "billing_provider": {"npi": NPIS[billing],
                             "organization_name": f"{FACILITIES[billing % len(FACILITIES)]} Group"},
        "rendering_provider": {"npi": NPIS[rendering],
                               "first_name": FIRST[rendering * 7 % len(FIRST)],
                               "last_name": LAST[rendering * 11 % len(LAST)]},
        "service_facility": {"organization_name": FACILITIES[rng.randrange(len(FACILITIES))]},
        "subscriber_primary": {"first_name": first, "last_name": last, "date_of_birth": dob,
                               "insurance_card": {"member_id": member, "payer_id": payer_id,
                                                  "payer_name": payer_name}},
        "tag_ids": rng.sample(TAGS, rng.randint(0, 2)),
        "service_lines": lines,
        "diagnoses": diagnoses,
    }
    return json.dumps({"charge_external_id": f"{prefix}{i}", "patient_external_id": patient_id,
                       "status": status, "data": data}, separators=(",", ":")).encode()


class Connection:
    """A minimal HTTP/1.1 keep-alive client: one request at a time, Content-Length or chunked."""

    def __init__(self, port, timeout):
        self.port, self.timeout, self.sock, self.buf = port, timeout, None, b""

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buf = None, b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by the server")
        self.buf += chunk

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _line(self):
        while b"\r\n" not in self.buf:
            if len(self.buf) > 65536:
                raise ValueError("response line too long")
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def request(self, head, payload):
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(head + str(len(payload)).encode() + b"\r\n\r\n" + payload)
        status_line = self._line().split(b" ", 2)
        if len(status_line) < 2 or not status_line[1].isdigit():
            raise ValueError("malformed status line")
        status = int(status_line[1])
        length, chunked, close = None, False, False
        while True:
            line = self._line()
            if not line:
                break
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length" and value.isdigit():
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value:
                chunked = True
            elif name == b"connection" and value == b"close":
                close = True
        if chunked:
            parts = []
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                parts.append(self._take(size))
                self._take(2)
            content = b"".join(parts)
        else:
            content = self._take(length or 0)
        if close:
            self.close()
        return status, content


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--mode", choices=["ehr", "claims"], default="ehr")
    parser.add_argument("--prefix", default="s")
    parser.add_argument("--deadline-secs", type=float, default=3600)
    parser.add_argument("--progress-every", type=int, default=0)
    args = parser.parse_args()

    head = (f"POST /api/charge_captures/v1 HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\n"
            f"Authorization: Bearer {args.token}\r\nContent-Type: application/json\r\n"
            "Content-Length: ").encode()
    end = args.start + args.count
    indexes = itertools.count(args.start)
    lock = threading.Lock()
    stats = {"created": 0, "non_2xx": {}, "errors": 0, "first_failure": None}
    started = time.monotonic()
    deadline = started + args.deadline_secs

    def worker(seed):
        rng = random.Random(seed)
        conn = Connection(args.port, timeout=60)
        try:
            while time.monotonic() < deadline:
                i = next(indexes)
                if i >= end:
                    return
                payload = body(i, rng, args.prefix, args.mode)
                try:
                    status, content = conn.request(head, payload)
                except (OSError, ValueError) as error:
                    conn.close()
                    with lock:
                        stats["errors"] += 1
                        stats["first_failure"] = stats["first_failure"] or repr(error)
                    continue
                with lock:
                    if 200 <= status < 300:
                        stats["created"] += 1
                        done = stats["created"]
                        if args.progress_every and done % args.progress_every == 0:
                            elapsed = time.monotonic() - started
                            print(f"seed: {done} created in {elapsed:.0f} s "
                                  f"({done / elapsed:.0f}/s)", file=sys.stderr, flush=True)
                    else:
                        stats["non_2xx"][status] = stats["non_2xx"].get(status, 0) + 1
                        stats["first_failure"] = stats["first_failure"] or \
                            f"{status} {content[:300].decode(errors='replace')}"
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(args.start * 1000 + n,), daemon=True)
               for n in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 70)
    seconds = time.monotonic() - started
    stats["seconds"] = round(seconds, 2)
    stats["rate"] = round(stats["created"] / seconds, 1) if seconds > 0 else 0
    stats["timed_out"] = time.monotonic() >= deadline
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats["client_cpu_secs"] = round(usage.ru_utime + usage.ru_stime, 1)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
