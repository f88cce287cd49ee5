-- Facets: the values a charge capture is found by (NPIs, names, payers, tags, search
-- words, metadata), read out of its data on every write so that list filters, ranking
-- hints, free-text search and find-by-metadata are index lookups. `facets_version` says
-- which extraction rules wrote them; copay recomputes older ones at start.
-- Values compare byte-wise (COLLATE "C") so prefix ranges for search work in any locale.

CREATE TABLE charge_capture_facets (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    facet TEXT NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    charge_capture_id UUID NOT NULL REFERENCES charge_captures (id),
    PRIMARY KEY (tenant_id, facet, value, charge_capture_id)
);
CREATE INDEX charge_capture_facets_by_capture ON charge_capture_facets (charge_capture_id);

ALTER TABLE charge_captures ADD COLUMN facets_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX charge_captures_by_facets_version ON charge_captures (facets_version);

-- Charge-capture filters on the claim a charge produced.
CREATE INDEX claim_creations_by_claim ON claim_creations (tenant_id, claim_id);
CREATE INDEX claims_by_status ON claims (tenant_id, status);
