-- The payer directory (Candid payers v3): one per installation, shared by every tenant,
-- because a payer (Aetna, payer id 60054) is the same company for every practice.
-- `payer_id` is the national (clearinghouse) payer id and the natural key: imports and
-- `payer_info` identifiers match on it. `street_address` is a JSON object with address1,
-- address2, city, state, zip_code, zip_plus_four_code.
-- Names compare byte-wise (COLLATE "C"), as on SQLite, so the list order and its page
-- tokens do not depend on the database's locale.

CREATE TABLE payers (
    payer_uuid UUID PRIMARY KEY,
    payer_id TEXT NOT NULL UNIQUE,
    payer_name TEXT COLLATE "C" NOT NULL,
    availity_payer_name TEXT,
    availity_claims_payer_id TEXT,
    availity_eligibility_id TEXT,
    availity_remittance_payer_id TEXT,
    street_address JSONB,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- Lists go by name, then uuid (the keyset pages walk this index).
CREATE INDEX payers_by_name ON payers (payer_name, payer_uuid);

-- A small built-in list of well-known US payers with their commonly published payer ids,
-- so a new installation can name payers at once; `copay payers import` adds the rest.
-- The uuids are fixed (UUIDv5 in the URL namespace of `urn:copay:payer:<payer_id>`), so
-- every installation gives a built-in payer the same uuid.
INSERT INTO payers (payer_uuid, payer_id, payer_name, created_at, updated_at)
SELECT CAST(v.payer_uuid AS UUID), v.payer_id, v.payer_name, now(), now()
FROM (VALUES
    ('59983d00-77d5-57e7-acb9-a9b924344c74', '60054', 'Aetna'),
    ('0004ec4c-7c16-552c-a6b1-818f31a6b91b', '68069', 'Ambetter'),
    ('bdb2fd19-08c9-5fcf-ba02-c4b1fc92bc84', '00621', 'Blue Cross Blue Shield of Illinois'),
    ('fa012c05-cdae-5168-85ff-2b01ab6d065d', '84980', 'Blue Cross Blue Shield of Texas'),
    ('7297b975-3685-59aa-bd24-e912ba6823ac', '62308', 'Cigna'),
    ('40d2d42a-22e7-57e6-897d-dcb8f3f16649', '00590', 'Florida Blue'),
    ('d89b18c5-e480-5114-8f97-43883a986326', '44054', 'GEHA'),
    ('a79cbe9c-e149-5385-a540-72900729e685', '37602', 'Golden Rule Insurance Company'),
    ('5f2376ac-f298-5651-9a79-6f95f70c041e', '04273', 'Harvard Pilgrim Health Care'),
    ('be82ea29-c0d1-5a38-ba78-407343e87711', '54771', 'Highmark Blue Cross Blue Shield'),
    ('bd5d756a-abad-5159-a8c6-3d1805f8fa33', '22099', 'Horizon Blue Cross Blue Shield of New Jersey'),
    ('22f8dab3-bde3-5c6b-95c4-d16f9f177d54', '61101', 'Humana'),
    ('d0970838-3015-5c88-8b3f-fd95b8cf6eb9', '54704', 'Independence Blue Cross'),
    ('01002a8f-5fca-5dab-81dd-19f9d9f88d4a', '94135', 'Kaiser Permanente Northern California'),
    ('32b66c2c-b350-59d3-a357-a2a7706664ee', '94134', 'Kaiser Permanente Southern California'),
    ('0c4a77c9-a599-50b6-b26f-beb89a52bf5c', '29076', 'Medical Mutual of Ohio'),
    ('ef96f6ac-0592-5992-83a2-f85dc6cc3a7c', '41124', 'Meritain Health'),
    ('e11b8bf0-187e-5495-9e36-9d59ea104f4f', '38333', 'Molina Healthcare of California'),
    ('ed92a763-c603-58fb-95ae-bb9ed1b79d3f', '20554', 'Molina Healthcare of Texas'),
    ('e5e6a457-8954-5973-a056-ddfa932940e2', '71412', 'Mutual of Omaha'),
    ('dd6e4b02-7b3b-5ab8-b040-cf2a4ccf7891', '06111', 'Oxford Health Plans'),
    ('d4812eaa-4528-5234-9647-81708534d5df', '04271', 'Tufts Health Plan'),
    ('d354999a-24b1-5cdd-bd8f-a1ad46eaa32e', '39026', 'UMR'),
    ('e0e12aae-07b8-5d4d-a730-76dd3b8e23d8', '87726', 'UnitedHealthcare'),
    ('07b3beb4-6e54-5b84-b4f6-baff45543c84', '14163', 'WellCare Health Plans')
) AS v (payer_uuid, payer_id, payer_name);
