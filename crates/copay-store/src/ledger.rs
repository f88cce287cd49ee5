//! Ledger persistence: accounts with their running balances, operations and transfers.
//!
//! [`post_operation`] is the only way money moves: it locks the touched accounts that keep
//! a stored balance in id order (PostgreSQL `FOR UPDATE`; SQLite already holds the write
//! lock from `BEGIN IMMEDIATE`), lets the domain apply the transfers, and writes their new
//! balances and the transfers in the caller's transaction. The tenant-wide accounts keep
//! no stored balance (`AccountKind::keeps_balance`): theirs is their transfers' sum.

use std::collections::HashMap;

use copay_domain::Cents;
use copay_domain::ledger::{self, Account, AccountId, AccountKind, LedgerError, Transfer};
use futures::TryStreamExt;
use uuid::Uuid;

use crate::{Store, StoreError, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for PostError {
    fn from(error: sqlx::Error) -> Self {
        PostError::Store(StoreError::Database(error))
    }
}

/// Returns the id of the account (`kind`, `owner_id`, `qualifier`) of a tenant, opening
/// it with a zero balance the first time.
pub async fn ensure_account(
    tx: &mut Tx,
    tenant_id: Uuid,
    kind: AccountKind,
    owner_id: Uuid,
    qualifier: &str,
) -> StoreResult<AccountId> {
    // Accounts are opened once and then found many times: look first, so finding one is
    // a single statement.
    let found: Option<Uuid> = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT id FROM ledger_accounts WHERE tenant_id = $1 AND kind = $2 AND owner_id = $3 AND qualifier = $4")
        .bind(tenant_id)
        .bind(kind.as_str())
        .bind(owner_id)
        .bind(qualifier)
        .fetch_optional(conn)
        .await)?;
    match found {
        Some(id) => Ok(id),
        None => open_account(tx, tenant_id, kind, owner_id, qualifier).await,
    }
}

/// Opens the account, or returns the id of the one a concurrent transaction opened first
/// (on PostgreSQL the insert waits for that transaction; once it commits, the insert does
/// nothing and the re-read, a new statement under READ COMMITTED, sees its row).
async fn open_account(
    tx: &mut Tx,
    tenant_id: Uuid,
    kind: AccountKind,
    owner_id: Uuid,
    qualifier: &str,
) -> StoreResult<AccountId> {
    let inserted: Option<Uuid> = on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO ledger_accounts (id, tenant_id, kind, owner_id, qualifier, balance, created_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6) \
         ON CONFLICT (tenant_id, kind, owner_id, qualifier) DO NOTHING RETURNING id")
        .bind(Uuid::now_v7())
        .bind(tenant_id)
        .bind(kind.as_str())
        .bind(owner_id)
        .bind(qualifier)
        .bind(crate::now())
        .fetch_optional(&mut *conn)
        .await)?;
    if let Some(id) = inserted {
        return Ok(id);
    }
    let id: Uuid = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT id FROM ledger_accounts WHERE tenant_id = $1 AND kind = $2 AND owner_id = $3 AND qualifier = $4")
        .bind(tenant_id)
        .bind(kind.as_str())
        .bind(owner_id)
        .bind(qualifier)
        .fetch_one(conn)
        .await)?;
    Ok(id)
}

/// [`ensure_account`] for several accounts of a tenant at once, in the order asked: one
/// statement finds those already open, and only the missing ones are opened.
pub async fn ensure_accounts(
    tx: &mut Tx,
    tenant_id: Uuid,
    wanted: &[(AccountKind, Uuid, &str)],
) -> StoreResult<Vec<AccountId>> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let mut owners: Vec<Uuid> = wanted.iter().map(|(_, owner, _)| *owner).collect();
    owners.sort();
    owners.dedup();
    let mut kinds: Vec<&str> = wanted.iter().map(|(kind, _, _)| kind.as_str()).collect();
    kinds.sort();
    kinds.dedup();
    let found: Vec<(Uuid, String, Uuid, String)> = on_tx!(tx, conn => {
        let mut query = sqlx::QueryBuilder::new(
            "SELECT id, kind, owner_id, qualifier FROM ledger_accounts WHERE tenant_id = ",
        );
        query.push_bind(tenant_id);
        push_in!(query, "kind", kinds);
        push_in!(query, "owner_id", owners);
        query.build_query_as().fetch_all(conn).await
    })?;
    let mut ids = Vec::with_capacity(wanted.len());
    for (kind, owner, qualifier) in wanted {
        let known = found.iter().find(|(_, k, o, q)| {
            k.as_str() == kind.as_str() && o == owner && q.as_str() == *qualifier
        });
        ids.push(match known {
            Some((id, ..)) => *id,
            None => open_account(tx, tenant_id, *kind, *owner, qualifier).await?,
        });
    }
    Ok(ids)
}

fn to_account((id, kind, balance): (Uuid, String, i64)) -> StoreResult<Account> {
    let kind = AccountKind::parse(&kind)
        .ok_or_else(|| StoreError::Corrupt(format!("account {id} has unknown kind {kind:?}")))?;
    Ok(Account {
        id,
        kind,
        balance: Cents::new(balance),
    })
}

/// Reads the given accounts of a tenant, locking those that keep a stored balance in id
/// order so that concurrent operations touching the same accounts cannot deadlock.
///
/// On PostgreSQL the tenant-wide accounts (revenue, discounts, clearing, …; see
/// [`AccountKind::keeps_balance`]) are read without a lock: nothing about them is
/// written, so nearly every operation of a tenant touching them does not queue on them.
/// Their balance here is the stored zero, not their transfers' sum; [`post_operation`]
/// needs only their kind. SQLite's `BEGIN IMMEDIATE` already holds the write lock.
pub async fn lock_accounts(
    tx: &mut Tx,
    tenant_id: Uuid,
    ids: &[AccountId],
) -> StoreResult<HashMap<AccountId, Account>> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String, i64)> = match tx {
        Tx::Postgres(tx) => {
            let kept: Vec<&str> = AccountKind::ALL
                .iter()
                .filter(|kind| kind.keeps_balance())
                .map(|kind| kind.as_str())
                .collect();
            // By id alone, with the tenant checked on the rows found: given a tenant
            // condition, PostgreSQL's generic plan for this prepared statement walked the
            // (tenant_id, kind, …) index over every account of the tenant (3.5 ms at 3,000
            // accounts, growing with the tenant) instead of the primary key.
            let found: Vec<(Uuid, Uuid, String, i64)> = sqlx::query_as(
                "WITH locked AS ( \
                   SELECT id, tenant_id, kind, balance FROM ledger_accounts \
                   WHERE id = ANY($1) AND kind = ANY($2) ORDER BY id FOR UPDATE) \
                 SELECT id, tenant_id, kind, balance FROM locked \
                 UNION ALL SELECT id, tenant_id, kind, balance FROM ledger_accounts \
                   WHERE id = ANY($1) AND NOT (kind = ANY($2))",
            )
            .bind(&ids)
            .bind(&kept)
            .fetch_all(&mut **tx)
            .await?;
            found
                .into_iter()
                .filter(|(_, owner, _, _)| *owner == tenant_id)
                .map(|(id, _, kind, balance)| (id, kind, balance))
                .collect()
        }
        Tx::Sqlite(tx) => {
            let mut query = sqlx::QueryBuilder::new(
                "SELECT id, kind, balance FROM ledger_accounts WHERE tenant_id = ",
            );
            query.push_bind(tenant_id);
            push_in!(query, "id", ids);
            query.build_query_as().fetch_all(&mut **tx).await?
        }
    };
    rows.into_iter()
        .map(|row| to_account(row).map(|account| (account.id, account)))
        .collect()
}

/// Records one business operation's transfers and updates the balances they touch.
/// Fails without writing anything if the domain refuses the operation (say, credit
/// would go below zero). Returns the operation id.
pub async fn post_operation(
    tx: &mut Tx,
    tenant_id: Uuid,
    operation_kind: &str,
    transfers: &[Transfer],
) -> Result<Uuid, PostError> {
    let touched: Vec<AccountId> = transfers
        .iter()
        .flat_map(|transfer| [transfer.debit, transfer.credit])
        .collect();
    let mut accounts = lock_accounts(tx, tenant_id, &touched).await?;
    let before: HashMap<AccountId, Cents> = accounts
        .iter()
        .map(|(id, account)| (*id, account.balance))
        .collect();
    ledger::apply(&mut accounts, transfers)?;

    let now = crate::now();
    let operation_id = Uuid::now_v7();
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO ledger_operations (id, tenant_id, kind, created_at) VALUES ($1, $2, $3, $4)")
        .bind(operation_id)
        .bind(tenant_id)
        .bind(operation_kind)
        .bind(now)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    // All transfers in one statement, and all changed balances in another: fewer round
    // trips while the accounts are locked.
    if !transfers.is_empty() {
        on_tx!(tx, conn => {
            let mut query = sqlx::QueryBuilder::new(
                "INSERT INTO ledger_transfers (id, tenant_id, operation_id, debit_account_id, \
                 credit_account_id, amount, kind, created_at) ",
            );
            query.push_values(transfers, |mut row, transfer| {
                row.push_bind(Uuid::now_v7())
                    .push_bind(tenant_id)
                    .push_bind(operation_id)
                    .push_bind(transfer.debit)
                    .push_bind(transfer.credit)
                    .push_bind(transfer.amount.get())
                    .push_bind(transfer.kind.as_str())
                    .push_bind(now);
            });
            query.build().execute(conn).await.map(|done| done.rows_affected())
        })?;
    }
    // Only accounts that keep a stored balance have one to write (and were locked).
    let mut changed: Vec<&Account> = accounts
        .values()
        .filter(|account| {
            account.kind.keeps_balance() && before.get(&account.id) != Some(&account.balance)
        })
        .collect();
    changed.sort_by_key(|account| account.id);
    if !changed.is_empty() {
        on_tx!(tx, conn => {
            let mut query = sqlx::QueryBuilder::new("UPDATE ledger_accounts SET balance = CASE id");
            for account in &changed {
                query.push(" WHEN ").push_bind(account.id);
                query.push(" THEN ").push_bind(account.balance.get());
            }
            query.push(" END WHERE tenant_id = ").push_bind(tenant_id);
            let ids: Vec<Uuid> = changed.iter().map(|account| account.id).collect();
            push_in!(query, "id", ids);
            query.build().execute(conn).await.map(|done| done.rows_affected())
        })?;
    }
    Ok(operation_id)
}

/// The balance of one account (debit-positive), if the tenant has it: the stored one, or
/// for an account that keeps none its transfers' sum.
pub async fn account_balance(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: AccountId,
) -> StoreResult<Option<Account>> {
    let row: Option<(Uuid, String, i64)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT id, kind, balance FROM ledger_accounts WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    let Some(mut account) = row.map(to_account).transpose()? else {
        return Ok(None);
    };
    if !account.kind.keeps_balance() {
        account.balance = Cents::new(transfer_sum(tx, tenant_id, id).await?);
    }
    Ok(Some(account))
}

/// Debit-positive sum of one account's transfers.
async fn transfer_sum(tx: &mut Tx, tenant_id: Uuid, id: AccountId) -> StoreResult<i64> {
    let sum: i64 = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(CASE WHEN debit_account_id = $2 THEN amount ELSE -amount END), 0) AS BIGINT) \
         FROM ledger_transfers WHERE tenant_id = $1 AND (debit_account_id = $2 OR credit_account_id = $2)")
        .bind(tenant_id)
        .bind(id)
        .fetch_one(conn)
        .await)?;
    Ok(sum)
}

/// A transfer whose stored rows break a rule the schema cannot express.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferFault {
    pub transfer_id: Uuid,
    pub reason: &'static str,
}

impl Store {
    /// Every account with its stored balance (zero for accounts that keep none), streamed
    /// so memory stays per-row.
    pub async fn all_accounts(&self) -> StoreResult<Vec<Account>> {
        const SQL: &str = "SELECT id, kind, balance FROM ledger_accounts ORDER BY id";
        let mut accounts = Vec::new();
        on_db!(self, pool => {
            let mut rows = sqlx::query_as::<_, (Uuid, String, i64)>(SQL).fetch(pool);
            while let Some(row) = rows.try_next().await? {
                accounts.push(to_account(row)?);
            }
        });
        Ok(accounts)
    }

    /// Debit-positive sum of every account's transfers, computed by the database.
    pub async fn recomputed_balances(&self) -> StoreResult<HashMap<AccountId, Cents>> {
        const SQL: &str = "SELECT account_id, CAST(SUM(delta) AS BIGINT) FROM ( \
               SELECT debit_account_id AS account_id, amount AS delta FROM ledger_transfers \
               UNION ALL SELECT credit_account_id AS account_id, -amount AS delta FROM ledger_transfers \
             ) deltas GROUP BY account_id";
        let mut sums = HashMap::new();
        on_db!(self, pool => {
            let mut rows = sqlx::query_as::<_, (Uuid, i64)>(SQL).fetch(pool);
            while let Some((id, sum)) = rows.try_next().await? {
                sums.insert(id, Cents::new(sum));
            }
        });
        Ok(sums)
    }

    /// Transfers that cross tenants or break the amount rules.
    pub async fn transfer_faults(&self) -> StoreResult<Vec<TransferFault>> {
        const SQL: &str = "SELECT t.id, \
               CASE WHEN t.amount <= 0 THEN 'amount is not positive' \
                    WHEN t.debit_account_id = t.credit_account_id THEN 'debits and credits one account' \
                    ELSE 'an account belongs to another tenant' END \
             FROM ledger_transfers t \
             JOIN ledger_accounts d ON d.id = t.debit_account_id \
             JOIN ledger_accounts c ON c.id = t.credit_account_id \
             WHERE t.amount <= 0 OR t.debit_account_id = t.credit_account_id \
                OR d.tenant_id <> t.tenant_id OR c.tenant_id <> t.tenant_id";
        let rows: Vec<(Uuid, String)> =
            on_db!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|(transfer_id, reason)| TransferFault {
                transfer_id,
                reason: match reason.as_str() {
                    "amount is not positive" => "amount is not positive",
                    "debits and credits one account" => "debits and credits one account",
                    _ => "an account belongs to another tenant",
                },
            })
            .collect())
    }

    pub async fn transfer_count(&self) -> StoreResult<i64> {
        let count: i64 = on_db!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM ledger_transfers")
            .fetch_one(pool)
            .await)?;
        Ok(count)
    }
}
