#!/usr/bin/env bash
# Grows one tenant's charge captures to TARGET by copying the ones it has, in SQL: minutes
# for 10^6 captures where creating them through the API takes hours. Used by
# bench/charge_captures.sh after seeding the tenant through the API.
#
#   bench/charge_capture_grow.sh DATABASE_URL TENANT_ID TARGET
#
# DATABASE_URL is postgres://… (run with psql) or sqlite://PATH (run with the sqlite3
# CLI, installed with apt when missing). Run it while no copay writes to the tenant
# (bench/charge_captures.sh stops the server): the original rows are read once and must not
# change meanwhile. copay keeps no cache of charge captures or their counts outside the
# database, so the server needs nothing but a restart (or nothing at all) afterwards. Prints
# "grew TENANT_ID from N to M captures in S s" on stderr and the seconds on stdout.
#
# With N captures in the tenant, copy k (k = 1, 2, …) of every capture is made until there
# are TARGET (the last round copies only the oldest captures); everything happens in one
# transaction. A copy is the original with:
# - a new id that looks like the ones copay writes (UUIDv7): the original's random bits
#   under a 48-bit millisecond timestamp moved back by k × SPAN, where SPAN is 1 ms more
#   than the time the N originals' ids and created_at span. So round k lies wholly before
#   round k - 1 and before every original (copies are older), the ids stay distinct, and id
#   order stays creation order; created_at and updated_at move back by the same amount, so
#   they agree with the id's timestamp as the original's do. Stored as copay stores them:
#   a 16-byte BLOB and RFC 3339 text on SQLite, uuid and timestamptz on PostgreSQL.
# - charge_external_id and patient_external_id suffixed with "-k<c>" (c = k, or N + k when
#   the tenant already holds copies, i.e. some charge_external_id contains "-k", so that a
#   second run never repeats a suffix), and the same suffix on the string values
#   data.external_id and data.patient.external_id wherever they are present. A patient thus
#   keeps the ~10 charges it had instead of gaining 100×.
# - claim_creation_id NULL: copies never went through claim creation (no claim creation,
#   errors or post-billed changes point to them), so a billable copy counts as a charge
#   without claim creation in the claim-creation summary.
# - everything else as the original: status, data, dates, date_of_service_key, metadata,
#   pre-encounter patient, facets_version, …
# Its facets (charge_capture_facets) are the original's, except the search words that
# facets_of (crates/copay-domain/src/facets.rs) derives from the id and the two external
# ids, which are replaced by the copy's. This is exact only when those external ids are
# single words of printable ASCII (so that lowercasing in SQL is copay's lowercasing) of at
# most 200 bytes (so the suffix is never cut off at 256 bytes) and neither is a word of the
# patient's name or date of birth (a search word of the original that must stay); the script
# checks this first (conservatively: inside a name with other than printable ASCII and
# spaces, any occurrence counts) and refuses a tenant where it does not hold.
# The tenant's stored counts (charge_capture_counts, _day_counts, _facet_counts: what
# `item_count` reads) are rebuilt at the end from its rows, each in stripe 0; `copay verify`
# checks them.
#
# PostgreSQL: a few big statements, indexes kept; run VACUUM (ANALYZE) afterwards (the
# benchmark's `settle` does). SQLite: one transaction; the sqlite3 CLI checks no foreign keys
# (copay turns them on), which the copies satisfy by construction.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 DATABASE_URL TENANT_ID TARGET" >&2
  exit 2
fi
url=$1 tenant=${2,,} target=$3
[[ $tenant =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] ||
  { echo "TENANT_ID is not a UUID: $tenant" >&2; exit 2; }
[[ $target =~ ^[0-9]+$ ]] || { echo "TARGET is not a number: $target" >&2; exit 2; }

# The columns the copies are written with; a schema with others stops the script rather than
# silently defaulting them.
capture_columns="attachment_external_document_ids charge_external_id claim_creation_category claim_creation_id created_at data date_of_service date_of_service_key ehr_source_url facets_version hl7_message_type id metadata originating_system patient_external_id pre_encounter_appointment_ids pre_encounter_patient_id status tenant_id updated_at"
facet_columns="charge_capture_id facet tenant_id value"

check_columns() { # table, columns found (one a line), columns expected
  local found
  found=$(sort <<<"$2" | tr '\n' ' ')
  if [ "${found% }" != "$3" ]; then
    echo "$1 has columns [${found% }], this script knows [$3]: update it" >&2
    exit 1
  fi
}

started=$(date +%s.%N)
case "$url" in
  postgres://* | postgresql://*)
    psql=(psql "$url" -X -q -v ON_ERROR_STOP=1)
    check_columns charge_captures "$("${psql[@]}" -Atc "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'charge_captures'")" "$capture_columns"
    check_columns charge_capture_facets "$("${psql[@]}" -Atc "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'charge_capture_facets'")" "$facet_columns"
    result=$("${psql[@]}" -At -v tenant="$tenant" -v target="$target" <<'SQL'
BEGIN;
-- Nothing else writes captures while the originals are read and copied.
LOCK TABLE charge_captures IN EXCLUSIVE MODE;
SET LOCAL work_mem = '256MB';

-- The originals, numbered in id order, with what every copy of them derives from.
CREATE TEMP TABLE grow_src ON COMMIT DROP AS
SELECT id, row_number() OVER (ORDER BY id) AS rn,
       ('x' || left(replace(id::text, '-', ''), 12))::bit(48)::bigint AS ms,
       substring(uuid_send(id) FROM 7) AS tail,
       id::text AS id_word,
       lower(patient_external_id) AS patient_word,
       lower(charge_external_id) AS charge_word,
       patient_external_id, charge_external_id, created_at,
       lower(concat_ws(' ', data #>> '{patient,first_name}', data #>> '{patient,last_name}',
                       data #>> '{patient,date_of_birth}')) AS person_words
FROM charge_captures WHERE tenant_id = :'tenant';

SELECT count(*) AS n,
       greatest(coalesce(max(ms) - min(ms), 0),
                coalesce(ceil(extract(epoch FROM max(created_at) - min(created_at)) * 1000)::bigint, 0)) + 1 AS span,
       count(*) FILTER (WHERE NOT (charge_external_id ~ '^[!-~]{1,200}$' AND patient_external_id ~ '^[!-~]{1,200}$')
                           OR (strpos(person_words, patient_word) > 0 AND (person_words ~ '[^ -~]'
                               OR strpos(' ' || person_words || ' ', ' ' || patient_word || ' ') > 0))
                           OR (strpos(person_words, charge_word) > 0 AND (person_words ~ '[^ -~]'
                               OR strpos(' ' || person_words || ' ', ' ' || charge_word || ' ') > 0))) AS unfit
FROM grow_src \gset
SELECT :n = 0 OR :unfit > 0 AS refuse, :n >= :target AS done,
       CASE WHEN :n = 0 THEN 0 ELSE (:target - :n + :n - 1) / :n END AS copies,
       CASE WHEN EXISTS (SELECT 1 FROM grow_src WHERE charge_external_id LIKE '%-k%') THEN :n ELSE 0 END AS first \gset
\if :refuse
DO $$ BEGIN
  RAISE EXCEPTION 'refusing: the tenant has no captures, or some have external ids this script cannot copy exactly (see its header)';
END $$;
\endif

\if :done
\else
-- Copy k of original s: its id, id text and suffix.
CREATE TEMP TABLE grow_map ON COMMIT DROP AS
SELECT s.id AS src, k, new.id, new.id::text AS id_word, '-k' || (k + :first) AS suffix,
       (k * :span) * interval '1 millisecond' AS shift
FROM generate_series(1, :copies) AS k
CROSS JOIN grow_src s
CROSS JOIN LATERAL (SELECT encode(substring(int8send(s.ms - k * :span) FROM 3 FOR 6) || s.tail, 'hex')::uuid AS id) new
WHERE (k - 1) * :n + s.rn <= :target - :n
ORDER BY new.id;

-- Read in the map's order (by id), so that the rows go in by id without a sort of the wide rows.
INSERT INTO charge_captures (id, tenant_id, charge_external_id, patient_external_id, status, data,
    date_of_service, originating_system, claim_creation_category, ehr_source_url,
    attachment_external_document_ids, metadata, hl7_message_type, claim_creation_id, created_at,
    updated_at, date_of_service_key, facets_version, pre_encounter_patient_id,
    pre_encounter_appointment_ids)
SELECT m.id, c.tenant_id, c.charge_external_id || m.suffix, c.patient_external_id || m.suffix,
       c.status,
       CASE WHEN jsonb_typeof(d.data #> '{patient,external_id}') = 'string'
            THEN jsonb_set(d.data, '{patient,external_id}', to_jsonb((d.data #>> '{patient,external_id}') || m.suffix))
            ELSE d.data END,
       c.date_of_service, c.originating_system, c.claim_creation_category, c.ehr_source_url,
       c.attachment_external_document_ids, c.metadata, c.hl7_message_type, NULL,
       c.created_at - m.shift, c.updated_at - m.shift, c.date_of_service_key, c.facets_version,
       c.pre_encounter_patient_id, c.pre_encounter_appointment_ids
FROM grow_map m
JOIN charge_captures c ON c.id = m.src
CROSS JOIN LATERAL (
  SELECT CASE WHEN jsonb_typeof(c.data -> 'external_id') = 'string'
              THEN jsonb_set(c.data, '{external_id}', to_jsonb((c.data ->> 'external_id') || m.suffix))
              ELSE c.data END AS data) d;

INSERT INTO charge_capture_facets (tenant_id, facet, value, charge_capture_id)
SELECT f.tenant_id, f.facet,
       CASE WHEN f.facet <> 'search_word' THEN f.value
            WHEN f.value = s.id_word THEN m.id_word
            WHEN f.value = s.patient_word OR f.value = s.charge_word THEN f.value || m.suffix
            ELSE f.value END,
       m.id
FROM grow_map m
JOIN grow_src s ON s.id = m.src
JOIN charge_capture_facets f ON f.charge_capture_id = m.src;
\endif

DELETE FROM charge_capture_counts WHERE tenant_id = :'tenant';
INSERT INTO charge_capture_counts (tenant_id, status, stripe, count)
SELECT tenant_id, status, 0, count(*) FROM charge_captures WHERE tenant_id = :'tenant'
GROUP BY tenant_id, status;
DELETE FROM charge_capture_day_counts WHERE tenant_id = :'tenant';
INSERT INTO charge_capture_day_counts (tenant_id, date_key, status, stripe, count)
SELECT tenant_id, date_of_service_key, status, 0, count(*) FROM charge_captures
WHERE tenant_id = :'tenant' GROUP BY tenant_id, date_of_service_key, status;
DELETE FROM charge_capture_facet_counts WHERE tenant_id = :'tenant';
INSERT INTO charge_capture_facet_counts (tenant_id, facet, value, stripe, count)
SELECT tenant_id, facet, value, 0, count(*) FROM charge_capture_facets WHERE tenant_id = :'tenant'
GROUP BY tenant_id, facet, value;
COMMIT;
SELECT :n || ' ' || count(*) FROM charge_captures WHERE tenant_id = :'tenant';
SQL
    )
    ;;
  sqlite:*)
    path=${url#sqlite:}
    path=${path#//}
    path=${path%%\?*}
    [ -f "$path" ] || { echo "no SQLite database at $path" >&2; exit 1; }
    command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3; }
    sql=(sqlite3 -batch -bail "$path")
    check_columns charge_captures "$("${sql[@]}" "SELECT name FROM pragma_table_info('charge_captures')")" "$capture_columns"
    check_columns charge_capture_facets "$("${sql[@]}" "SELECT name FROM pragma_table_info('charge_capture_facets')")" "$facet_columns"
    tenant_blob="x'${tenant//-/}'"
    # sqlite3 3.40 (Debian 12) has no unhex(): two bytes at a time come from a table.
    bytes=$(for i in $(seq 0 255); do printf "(%d,x'%02x')," "$i" "$i"; done)
    # The id's 48-bit timestamp from its first 12 hex digits.
    ms_of_hex=$(for j in $(seq 1 12); do printf "(instr('0123456789ABCDEF', substr(h, %d, 1)) - 1) * %d + " "$j" $((1 << (4 * (12 - j)))); done)
    counts_sql="DELETE FROM charge_capture_counts WHERE tenant_id = $tenant_blob;
INSERT INTO charge_capture_counts (tenant_id, status, stripe, count)
SELECT tenant_id, status, 0, count(*) FROM charge_captures WHERE tenant_id = $tenant_blob GROUP BY tenant_id, status;
DELETE FROM charge_capture_day_counts WHERE tenant_id = $tenant_blob;
INSERT INTO charge_capture_day_counts (tenant_id, date_key, status, stripe, count)
SELECT tenant_id, date_of_service_key, status, 0, count(*) FROM charge_captures WHERE tenant_id = $tenant_blob
GROUP BY tenant_id, date_of_service_key, status;
DELETE FROM charge_capture_facet_counts WHERE tenant_id = $tenant_blob;
INSERT INTO charge_capture_facet_counts (tenant_id, facet, value, stripe, count)
SELECT tenant_id, facet, value, 0, count(*) FROM charge_capture_facets WHERE tenant_id = $tenant_blob
GROUP BY tenant_id, facet, value;"
    # A timestamp as copay writes it, from its parts: whole seconds and nanoseconds since
    # 1970 ($1), the date/time separator ($2) and the offset ($3); RFC 3339 with the
    # fraction's trailing zeros dropped, as the time crate formats it.
    timestamp() {
      echo "strftime('%Y-%m-%d', ($1) / 1000000000, 'unixepoch') || $2 || strftime('%H:%M:%S', ($1) / 1000000000, 'unixepoch')
        || CASE WHEN ($1) % 1000000000 = 0 THEN '' ELSE '.' || rtrim(printf('%09d', ($1) % 1000000000), '0') END || $3"
    }
    # Whole seconds since 1970 × 10^9 + nanoseconds of the stored timestamp $1 (its text
    # after the seconds is $2, where the offset starts at $3).
    nanoseconds() {
      echo "CAST(strftime('%s', substr($1, 1, 19)) AS INTEGER) * 1000000000
        + CASE WHEN substr($2, 1, 1) = '.' THEN CAST(substr(substr($2, 2, $3 - 2) || '000000000', 1, 9) AS INTEGER) ELSE 0 END"
    }
    offset_at() {
      echo "CASE WHEN instr($1, 'Z') > 0 THEN instr($1, 'Z') WHEN instr($1, '+') > 0 THEN instr($1, '+')
        WHEN instr($1, '-') > 0 THEN instr($1, '-') ELSE length($1) + 1 END"
    }
    pair() { echo "(SELECT b FROM grow_pairs WHERE i = $1)"; }
    suffixed() { echo "(c.data ->> '$1') || m.suffix"; }
    result=$("${sql[@]}" <<SQL
-- 1 GiB of page cache: the indexes being filled stay in memory. (Temporary tables and
-- statement journals stay on disk: in memory they cost 2 GB more and gain nothing.)
PRAGMA cache_size = -1048576;
BEGIN IMMEDIATE;
CREATE TEMP TABLE grow_bytes (i INTEGER PRIMARY KEY, b BLOB NOT NULL);
INSERT INTO grow_bytes VALUES ${bytes%,};
CREATE TEMP TABLE grow_pairs (i INTEGER PRIMARY KEY, b BLOB NOT NULL);
-- (|| makes text of blobs: CAST makes them blobs again, as copay stores ids.)
INSERT INTO grow_pairs SELECT hi.i * 256 + lo.i, CAST(hi.b || lo.b AS BLOB) FROM grow_bytes hi, grow_bytes lo;

-- The originals, numbered in id order, with what every copy of them derives from.
CREATE TEMP TABLE grow_src AS
WITH t AS (
  SELECT id, patient_external_id, charge_external_id, hex(id) AS h,
         lower(IFNULL(data ->> '\$.patient.first_name', '') || ' ' || IFNULL(data ->> '\$.patient.last_name', '')
               || ' ' || IFNULL(data ->> '\$.patient.date_of_birth', '')) AS person_words,
         IFNULL(json_type(data, '\$.external_id') = 'text', 0) AS has_external_id,
         IFNULL(json_type(data, '\$.patient.external_id') = 'text', 0) AS has_patient_external_id,
         created_at, updated_at, substr(created_at, 20) AS c_rest, substr(updated_at, 20) AS u_rest
  FROM charge_captures WHERE tenant_id = $tenant_blob
), p AS (
  SELECT *, $(offset_at c_rest) AS c_off, $(offset_at u_rest) AS u_off FROM t
)
SELECT id, row_number() OVER (ORDER BY id) AS rn, ${ms_of_hex}0 AS ms, substr(id, 7) AS tail,
       lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-' ||
             substr(h, 17, 4) || '-' || substr(h, 21)) AS id_word,
       lower(patient_external_id) AS patient_word, lower(charge_external_id) AS charge_word,
       patient_external_id, charge_external_id, person_words,
       has_external_id, has_patient_external_id,
       substr(created_at, 11, 1) AS c_sep, $(nanoseconds created_at c_rest c_off) AS c_ns, substr(c_rest, c_off) AS c_zone,
       substr(updated_at, 11, 1) AS u_sep, $(nanoseconds updated_at u_rest u_off) AS u_ns, substr(u_rest, u_off) AS u_zone
FROM p;
CREATE INDEX grow_src_id ON grow_src (id);

CREATE TEMP TABLE grow_param AS
SELECT n, span, CASE WHEN n = 0 THEN 0 ELSE MAX(0, ($target - n + n - 1) / n) END AS copies,
       CASE WHEN EXISTS (SELECT 1 FROM grow_src WHERE charge_external_id LIKE '%-k%') THEN n ELSE 0 END AS first,
       unfit
FROM (
  SELECT count(*) AS n,
         MAX(IFNULL(max(ms) - min(ms), 0), IFNULL((max(c_ns) - min(c_ns) + 999999) / 1000000, 0)) + 1 AS span,
         IFNULL(sum(charge_external_id = '' OR patient_external_id = ''
             OR charge_external_id GLOB '*[^!-~]*' OR patient_external_id GLOB '*[^!-~]*'
             OR length(CAST(charge_external_id AS BLOB)) > 200 OR length(CAST(patient_external_id AS BLOB)) > 200
             OR (instr(person_words, patient_word) > 0 AND (person_words GLOB '*[^ -~]*'
                 OR instr(' ' || person_words || ' ', ' ' || patient_word || ' ') > 0))
             OR (instr(person_words, charge_word) > 0 AND (person_words GLOB '*[^ -~]*'
                 OR instr(' ' || person_words || ' ', ' ' || charge_word || ' ') > 0))), 0) AS unfit
  FROM grow_src
);
-- Stops the script (-bail, rolling back) when the tenant cannot be copied exactly.
CREATE TEMP TABLE grow_guard (
  fit INTEGER CONSTRAINT "refusing: the tenant has no captures, or some have external ids this script cannot copy exactly (see its header)" CHECK (fit)
);
INSERT INTO grow_guard SELECT n > 0 AND unfit = 0 FROM grow_param;

-- Copy k of original s: its id and suffix, and how far back it moves (ms).
CREATE TEMP TABLE grow_map AS
WITH RECURSIVE ks (k) AS (
  SELECT 1 FROM grow_param WHERE copies >= 1
  UNION ALL SELECT k + 1 FROM ks, grow_param WHERE k < copies
)
SELECT s.id AS src, k,
       CAST($(pair "((s.ms - k * span) >> 32) & 65535") || $(pair "((s.ms - k * span) >> 16) & 65535")
            || $(pair "(s.ms - k * span) & 65535") || s.tail AS BLOB) AS id,
       '-k' || (k + first) AS suffix, k * span AS shift
FROM ks, grow_param, grow_src s
WHERE (k - 1) * n + s.rn <= $target - n
ORDER BY id;

-- Read in the map's order (by id), so that the rows go in by id without a sort of the wide rows.
INSERT INTO charge_captures (id, tenant_id, charge_external_id, patient_external_id, status, data,
    date_of_service, originating_system, claim_creation_category, ehr_source_url,
    attachment_external_document_ids, metadata, hl7_message_type, claim_creation_id, created_at,
    updated_at, date_of_service_key, facets_version, pre_encounter_patient_id,
    pre_encounter_appointment_ids)
SELECT m.id, c.tenant_id, c.charge_external_id || m.suffix, c.patient_external_id || m.suffix,
       c.status,
       CASE WHEN s.has_external_id AND s.has_patient_external_id
              THEN json_set(c.data, '\$.external_id', $(suffixed '$.external_id'), '\$.patient.external_id', $(suffixed '$.patient.external_id'))
            WHEN s.has_external_id THEN json_set(c.data, '\$.external_id', $(suffixed '$.external_id'))
            WHEN s.has_patient_external_id THEN json_set(c.data, '\$.patient.external_id', $(suffixed '$.patient.external_id'))
            ELSE c.data END,
       c.date_of_service, c.originating_system, c.claim_creation_category, c.ehr_source_url,
       c.attachment_external_document_ids, c.metadata, c.hl7_message_type, NULL,
       $(timestamp "s.c_ns - m.shift * 1000000" s.c_sep s.c_zone),
       $(timestamp "s.u_ns - m.shift * 1000000" s.u_sep s.u_zone),
       c.date_of_service_key, c.facets_version, c.pre_encounter_patient_id, c.pre_encounter_appointment_ids
FROM grow_map m
JOIN grow_src s ON s.id = m.src
JOIN charge_captures c ON c.id = m.src;

INSERT INTO charge_capture_facets (tenant_id, facet, value, charge_capture_id)
SELECT f.tenant_id, f.facet,
       CASE WHEN f.facet <> 'search_word' THEN f.value
            WHEN f.value = s.id_word THEN
              lower(substr(hex(m.id), 1, 8) || '-' || substr(hex(m.id), 9, 4) || '-' || substr(hex(m.id), 13, 4)
                    || '-' || substr(hex(m.id), 17, 4) || '-' || substr(hex(m.id), 21))
            WHEN f.value = s.patient_word OR f.value = s.charge_word THEN f.value || m.suffix
            ELSE f.value END,
       m.id
FROM grow_map m
JOIN grow_src s ON s.id = m.src
JOIN charge_capture_facets f ON f.charge_capture_id = m.src;

$counts_sql
COMMIT;
SELECT n || ' ' || (SELECT count(*) FROM charge_captures WHERE tenant_id = $tenant_blob) FROM grow_param;
SQL
)
    ;;
  *)
    echo "DATABASE_URL must start with postgres://, postgresql:// or sqlite:" >&2
    exit 2
    ;;
esac
ended=$(date +%s.%N)
read -r before after <<<"$result"
seconds=$(python3 -c "print(f'{$ended - $started:.1f}')")
echo "grew $tenant from $before to $after captures in $seconds s" >&2
echo "$seconds"
