-- The payer directory (Candid payers v3): one per installation, shared by every tenant,
-- because a payer (Aetna, payer id 60054) is the same company for every practice.
-- `payer_id` is the national (clearinghouse) payer id and the natural key: imports and
-- `payer_info` identifiers match on it. `street_address` is a JSON object with address1,
-- address2, city, state, zip_code, zip_plus_four_code.

CREATE TABLE payers (
    payer_uuid BLOB PRIMARY KEY NOT NULL,
    payer_id TEXT NOT NULL UNIQUE,
    payer_name TEXT NOT NULL,
    availity_payer_name TEXT,
    availity_claims_payer_id TEXT,
    availity_eligibility_id TEXT,
    availity_remittance_payer_id TEXT,
    street_address TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- Lists go by name, then uuid (the keyset pages walk this index).
CREATE INDEX payers_by_name ON payers (payer_name, payer_uuid);

-- A small built-in list of well-known US payers with their commonly published payer ids,
-- so a new installation can name payers at once; `copay payers import` adds the rest.
-- The uuids are fixed (UUIDv5 in the URL namespace of `urn:copay:payer:<payer_id>`), so
-- every installation gives a built-in payer the same uuid.
INSERT INTO payers (payer_uuid, payer_id, payer_name, created_at, updated_at)
SELECT column1, column2, column3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM (VALUES
    (X'59983d0077d557e7acb9a9b924344c74', '60054', 'Aetna'),
    (X'0004ec4c7c16552ca6b1818f31a6b91b', '68069', 'Ambetter'),
    (X'bdb2fd1908c95fcfba02c4b1fc92bc84', '00621', 'Blue Cross Blue Shield of Illinois'),
    (X'fa012c05cdae516885ff2b01ab6d065d', '84980', 'Blue Cross Blue Shield of Texas'),
    (X'7297b975368559aabd24e912ba6823ac', '62308', 'Cigna'),
    (X'40d2d42a22e757e6897ddcb8f3f16649', '00590', 'Florida Blue'),
    (X'd89b18c5e48051148f9743883a986326', '44054', 'GEHA'),
    (X'a79cbe9ce1495385a54072900729e685', '37602', 'Golden Rule Insurance Company'),
    (X'5f2376acf29856519a796f95f70c041e', '04273', 'Harvard Pilgrim Health Care'),
    (X'be82ea29c0d15a38ba78407343e87711', '54771', 'Highmark Blue Cross Blue Shield'),
    (X'bd5d756aabad5159a8c63d1805f8fa33', '22099', 'Horizon Blue Cross Blue Shield of New Jersey'),
    (X'22f8dab3bde35c6b95c4d16f9f177d54', '61101', 'Humana'),
    (X'd097083830155c888b3ffd95b8cf6eb9', '54704', 'Independence Blue Cross'),
    (X'01002a8f5fca5dab81dd19f9d9f88d4a', '94135', 'Kaiser Permanente Northern California'),
    (X'32b66c2cb35059d3a357a2a7706664ee', '94134', 'Kaiser Permanente Southern California'),
    (X'0c4a77c9a59950b6b26fbeb89a52bf5c', '29076', 'Medical Mutual of Ohio'),
    (X'ef96f6ac0592599283a2f85dc6cc3a7c', '41124', 'Meritain Health'),
    (X'e11b8bf0187e54959e369d59ea104f4f', '38333', 'Molina Healthcare of California'),
    (X'ed92a763c60358fb95aebb9ed1b79d3f', '20554', 'Molina Healthcare of Texas'),
    (X'e5e6a45789545973a056ddfa932940e2', '71412', 'Mutual of Omaha'),
    (X'dd6e4b027b3b5ab8b040cf2a4ccf7891', '06111', 'Oxford Health Plans'),
    (X'd4812eaa45285234964781708534d5df', '04271', 'Tufts Health Plan'),
    (X'd354999a24b15cddbd8fa1ad46eaa32e', '39026', 'UMR'),
    (X'e0e12aae07b85d4da73076dd3b8e23d8', '87726', 'UnitedHealthcare'),
    (X'07b3beb46e545b84b4f6baff45543c84', '14163', 'WellCare Health Plans'));
