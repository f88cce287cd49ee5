-- How many charge captures a tenant has in each status, per date of service and per
-- facet value, so that a list's `item_count` without filters, filtered by status and dates
-- of service alone, or by one facet value alone, is a sum of a few rows instead of a count over every matching capture. Each
-- capture counts in one of 16 stripes (from its id), so concurrent creates rarely wait on
-- the same row; a count is the sum over stripes. Written in the same transaction as the
-- capture; `copay verify` checks them.

CREATE TABLE charge_capture_counts (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    status TEXT NOT NULL,
    stripe INTEGER NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, status, stripe)
) WITHOUT ROWID;

-- `date_key` is the capture's `date_of_service_key` ('' without a date of service).
CREATE TABLE charge_capture_day_counts (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    date_key TEXT NOT NULL,
    status TEXT NOT NULL,
    stripe INTEGER NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, date_key, status, stripe)
) WITHOUT ROWID;

-- Per facet value (`charge_capture_facets`): moved by the difference whenever a
-- capture's facets are rewritten.
CREATE TABLE charge_capture_facet_counts (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    stripe INTEGER NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, facet, value, stripe)
) WITHOUT ROWID;

INSERT INTO charge_capture_counts (tenant_id, status, stripe, count)
SELECT tenant_id, status, 0, COUNT(*) FROM charge_captures GROUP BY tenant_id, status;

INSERT INTO charge_capture_day_counts (tenant_id, date_key, status, stripe, count)
SELECT tenant_id, date_of_service_key, status, 0, COUNT(*) FROM charge_captures
GROUP BY tenant_id, date_of_service_key, status;

INSERT INTO charge_capture_facet_counts (tenant_id, facet, value, stripe, count)
SELECT tenant_id, facet, value, 0, COUNT(*) FROM charge_capture_facets
GROUP BY tenant_id, facet, value;
