-- Tenants, their credentials, server keys, idempotency keys and the ledger core.
-- Ids are UUIDs (16-byte BLOBs in SQLite), timestamps RFC 3339 text.

CREATE TABLE tenants (
    id BLOB PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE credentials (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    api_key_hash BLOB NOT NULL UNIQUE,
    client_id TEXT NOT NULL UNIQUE,
    client_secret_hash BLOB NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX credentials_tenant ON credentials (tenant_id);

CREATE TABLE server_keys (
    name TEXT PRIMARY KEY NOT NULL,
    secret BLOB NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE idempotency_keys (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    idempotency_key TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    response_status INTEGER,
    response_content_type TEXT,
    response_body BLOB,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE ledger_accounts (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL,
    owner_id BLOB NOT NULL,
    qualifier TEXT NOT NULL DEFAULT '',
    balance INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, kind, owner_id, qualifier)
);

CREATE TABLE ledger_operations (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ledger_operations_tenant ON ledger_operations (tenant_id, id);

CREATE TABLE ledger_transfers (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    operation_id BLOB NOT NULL REFERENCES ledger_operations (id),
    debit_account_id BLOB NOT NULL REFERENCES ledger_accounts (id),
    credit_account_id BLOB NOT NULL REFERENCES ledger_accounts (id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK (debit_account_id <> credit_account_id)
);
CREATE INDEX ledger_transfers_operation ON ledger_transfers (operation_id);
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id);
