//! Ledger persistence: accounts with their running balances, operations and transfers.
//!
//! [`post_operation`] is the only way money moves: it locks the touched accounts that keep
//! a stored balance in id order (PostgreSQL `FOR UPDATE`; SQLite already holds the write
//! lock from `BEGIN IMMEDIATE`), lets the domain apply the transfers, and writes their new
//! balances and the transfers in the caller's transaction. The tenant-wide accounts keep
//! no stored balance (`AccountKind::keeps_balance`): theirs is their transfers' sum.
//!
//! A caller that already holds the locks (it checked something under them, as a refund
//! checks what was paid) posts with [`post_locked`], or plans the posting with
//! [`plan_posting`] and writes it with its own rows ([`push_posting_ctes`] on
//! PostgreSQL): the domain's rules apply the same way, to the balances read under the lock.

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
    let (ids, _) = ensure_and_read_accounts(tx, tenant_id, wanted).await?;
    Ok(ids)
}

/// [`ensure_accounts`], also answering each account as read (an account opened here
/// reads with a zero balance). Without a lock on PostgreSQL; on SQLite, where
/// `BEGIN IMMEDIATE` already holds the write lock, it is what [`ensure_and_lock_accounts`]
/// answers, in one round trip that also opens the missing accounts.
async fn ensure_and_read_accounts(
    tx: &mut Tx,
    tenant_id: Uuid,
    wanted: &[(AccountKind, Uuid, &str)],
) -> StoreResult<(Vec<AccountId>, HashMap<AccountId, Account>)> {
    if wanted.is_empty() {
        return Ok((Vec::new(), HashMap::new()));
    }
    let mut owners: Vec<Uuid> = wanted.iter().map(|(_, owner, _)| *owner).collect();
    owners.sort();
    owners.dedup();
    let mut kinds: Vec<&str> = wanted.iter().map(|(kind, _, _)| kind.as_str()).collect();
    kinds.sort();
    kinds.dedup();
    let mut found: Vec<(Uuid, String, Uuid, String, i64)> = match tx {
        // SQLite: the missing accounts are opened by the same round trip that reads them
        // all (an insert that skips those already open, then the read), since every
        // statement is a hand-off to SQLite's thread while the writer is held.
        Tx::Sqlite(conn) => {
            let at = crate::now();
            let mut query = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO ledger_accounts \
                 (id, tenant_id, kind, owner_id, qualifier, balance, created_at) ",
            );
            query.push_values(wanted, |mut row, (kind, owner, qualifier)| {
                row.push_bind(Uuid::now_v7())
                    .push_bind(tenant_id)
                    .push_bind(kind.as_str())
                    .push_bind(*owner)
                    .push_bind(qualifier.to_string())
                    .push("0")
                    .push_bind(at);
            });
            query.push(
                " ON CONFLICT (tenant_id, kind, owner_id, qualifier) DO NOTHING; \
                 SELECT id, kind, owner_id, qualifier, balance FROM ledger_accounts \
                 WHERE tenant_id = ",
            );
            query.push_bind(tenant_id);
            push_in!(query, "kind", kinds);
            push_in!(query, "owner_id", owners);
            query.build_query_as().fetch_all(&mut **conn).await?
        }
        Tx::Postgres(conn) => {
            let mut query = sqlx::QueryBuilder::new(
                "SELECT id, kind, owner_id, qualifier, balance FROM ledger_accounts WHERE tenant_id = ",
            );
            query.push_bind(tenant_id);
            push_in!(query, "kind", kinds);
            push_in!(query, "owner_id", owners);
            query.build_query_as().fetch_all(&mut **conn).await?
        }
    };
    let mut ids = Vec::with_capacity(wanted.len());
    let mut accounts = HashMap::with_capacity(wanted.len());
    for (kind, owner, qualifier) in wanted {
        let known = found.iter().find(|(_, k, o, q, _)| {
            k.as_str() == kind.as_str() && o == owner && q.as_str() == *qualifier
        });
        let account = match known {
            Some((id, kind, _, _, balance)) => to_account((*id, kind.clone(), *balance))?,
            None => {
                let id = open_account(tx, tenant_id, *kind, *owner, qualifier).await?;
                // Found from now on, should the same account be asked for twice.
                found.push((
                    id,
                    kind.as_str().to_string(),
                    *owner,
                    qualifier.to_string(),
                    0,
                ));
                Account {
                    id,
                    kind: *kind,
                    balance: Cents::ZERO,
                }
            }
        };
        ids.push(account.id);
        accounts.insert(account.id, account);
    }
    Ok((ids, accounts))
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

/// [`ensure_accounts`] and then [`lock_accounts`] over the accounts found: their ids in
/// the order asked, and each account as [`lock_accounts`] returns it, those that keep a
/// stored balance locked.
///
/// On PostgreSQL, when every account is already open (nearly always), that is one
/// statement: it finds them by their key and locks those that keep a balance in id order.
/// When one is missing it locks nothing, opens the missing ones and then locks all in id
/// order, as the two calls do: taking locks before opening an account could deadlock
/// with a transaction that opened the same account and waits for one of those locks.
pub async fn ensure_and_lock_accounts(
    tx: &mut Tx,
    tenant_id: Uuid,
    wanted: &[(AccountKind, Uuid, &str)],
) -> StoreResult<(Vec<AccountId>, HashMap<AccountId, Account>)> {
    let Tx::Postgres(pg) = tx else {
        return ensure_and_read_accounts(tx, tenant_id, wanted).await;
    };
    if wanted.is_empty() {
        return Ok((Vec::new(), HashMap::new()));
    }
    let mut distinct: Vec<(AccountKind, Uuid, &str)> = wanted.to_vec();
    distinct.sort_by(|a, b| (a.0.as_str(), a.1, a.2).cmp(&(b.0.as_str(), b.1, b.2)));
    distinct.dedup_by(|a, b| a.0.as_str() == b.0.as_str() && a.1 == b.1 && a.2 == b.2);
    let kinds: Vec<&str> = distinct.iter().map(|(kind, _, _)| kind.as_str()).collect();
    let owners: Vec<Uuid> = distinct.iter().map(|(_, owner, _)| *owner).collect();
    let qualifiers: Vec<&str> = distinct
        .iter()
        .map(|(_, _, qualifier)| *qualifier)
        .collect();
    let kept: Vec<&str> = AccountKind::ALL
        .iter()
        .filter(|kind| kind.keeps_balance())
        .map(|kind| kind.as_str())
        .collect();
    let count = i64::try_from(distinct.len()).unwrap_or(i64::MAX);
    // `locked` takes the row locks only when every wanted account was found; its rows are
    // the locked versions (a lock waited for reads the row as the other transaction left
    // it). UNION ALL reads both branches to the end, so every lock is taken.
    let found: Vec<(Uuid, String, Uuid, String, i64)> = sqlx::query_as(
        "WITH found AS ( \
           SELECT a.id, a.kind, a.owner_id, a.qualifier, a.balance \
           FROM unnest($2::text[], $3::uuid[], $4::text[]) AS w(kind, owner_id, qualifier) \
           JOIN ledger_accounts a ON a.tenant_id = $1 AND a.kind = w.kind \
             AND a.owner_id = w.owner_id AND a.qualifier = w.qualifier), \
         all_found AS (SELECT COUNT(*) = $6 AS yes FROM found), \
         locked AS ( \
           SELECT id, kind, owner_id, qualifier, balance FROM ledger_accounts \
           WHERE id IN (SELECT id FROM found WHERE kind = ANY($5)) \
             AND (SELECT yes FROM all_found) \
           ORDER BY id FOR UPDATE) \
         SELECT id, kind, owner_id, qualifier, balance FROM locked \
         UNION ALL SELECT id, kind, owner_id, qualifier, balance FROM found \
           WHERE NOT (kind = ANY($5)) OR NOT (SELECT yes FROM all_found)",
    )
    .bind(tenant_id)
    .bind(&kinds)
    .bind(&owners)
    .bind(&qualifiers)
    .bind(&kept)
    .bind(count)
    .fetch_all(&mut **pg)
    .await?;
    let key_of = |kind: &str, owner: Uuid, qualifier: &str| {
        found
            .iter()
            .find(|(_, k, o, q, _)| k.as_str() == kind && *o == owner && q.as_str() == qualifier)
            .map(|(id, ..)| *id)
    };
    if found.len() == distinct.len() {
        let ids = wanted
            .iter()
            .map(|(kind, owner, qualifier)| {
                key_of(kind.as_str(), *owner, qualifier).ok_or_else(|| {
                    StoreError::Corrupt(format!("account {kind:?} of {owner} was not read back"))
                })
            })
            .collect::<StoreResult<Vec<AccountId>>>()?;
        let accounts = found
            .into_iter()
            .map(|(id, kind, _, _, balance)| {
                to_account((id, kind, balance)).map(|account| (account.id, account))
            })
            .collect::<StoreResult<HashMap<AccountId, Account>>>()?;
        return Ok((ids, accounts));
    }
    let mut ids = Vec::with_capacity(wanted.len());
    for (kind, owner, qualifier) in wanted {
        ids.push(match key_of(kind.as_str(), *owner, qualifier) {
            Some(id) => id,
            None => open_account(tx, tenant_id, *kind, *owner, qualifier).await?,
        });
    }
    let accounts = lock_accounts(tx, tenant_id, &ids).await?;
    Ok((ids, accounts))
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
    let accounts = lock_accounts(tx, tenant_id, &touched).await?;
    post_locked(tx, tenant_id, &accounts, operation_kind, transfers).await
}

/// [`post_operation`] for a caller that already holds the touched accounts as
/// [`lock_accounts`] (or [`ensure_and_lock_accounts`]) returned them in this
/// transaction: the posting reuses those locks instead of taking them again.
pub async fn post_locked(
    tx: &mut Tx,
    tenant_id: Uuid,
    accounts: &HashMap<AccountId, Account>,
    operation_kind: &str,
    transfers: &[Transfer],
) -> Result<Uuid, PostError> {
    let posting = plan_posting(accounts, operation_kind, transfers)?;
    write_posting(tx, tenant_id, &posting).await?;
    Ok(posting.operation_id)
}

/// One ledger operation the domain accepted, not yet written: its id, its transfers with
/// their ids, and the stored balances it changes.
#[derive(Debug, Clone)]
pub struct Posting {
    pub operation_id: Uuid,
    pub kind: String,
    pub created_at: time::OffsetDateTime,
    pub transfers: Vec<(Uuid, Transfer)>,
    /// New stored balances of the accounts that keep one and changed, in id order.
    pub balances: Vec<(AccountId, i64)>,
}

/// Applies `transfers` to `accounts` (locked in this transaction, see [`lock_accounts`])
/// by the domain's rules, without writing: fails if the domain refuses the operation.
pub fn plan_posting(
    accounts: &HashMap<AccountId, Account>,
    operation_kind: &str,
    transfers: &[Transfer],
) -> Result<Posting, LedgerError> {
    let mut after = accounts.clone();
    ledger::apply(&mut after, transfers)?;
    // Only accounts that keep a stored balance have one to write (and were locked).
    let mut balances: Vec<(AccountId, i64)> = after
        .values()
        .filter(|account| {
            account.kind.keeps_balance()
                && accounts.get(&account.id).map(|before| before.balance) != Some(account.balance)
        })
        .map(|account| (account.id, account.balance.get()))
        .collect();
    balances.sort_by_key(|(id, _)| *id);
    Ok(Posting {
        operation_id: Uuid::now_v7(),
        kind: operation_kind.to_string(),
        created_at: crate::now(),
        transfers: transfers
            .iter()
            .map(|transfer| (Uuid::now_v7(), *transfer))
            .collect(),
        balances,
    })
}

/// Writes a planned posting: the operation, its transfers and the changed balances, in
/// one round trip: on PostgreSQL one statement ([`push_posting_ctes`]); on SQLite three
/// (the operation, all transfers, all balances) sent together.
pub async fn write_posting(tx: &mut Tx, tenant_id: Uuid, posting: &Posting) -> StoreResult<()> {
    let conn = match tx {
        Tx::Postgres(pg) => {
            let mut query = sqlx::QueryBuilder::<sqlx::Postgres>::new("WITH ");
            push_posting_ctes(&mut query, tenant_id, posting);
            query.push(" SELECT 1");
            query.build().execute(&mut **pg).await?;
            return Ok(());
        }
        Tx::Sqlite(sqlite) => &mut **sqlite,
    };
    // The three statements go to SQLite's thread together: one hand-off instead of three
    // while the transaction holds the one writer.
    let mut query = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO ledger_operations (id, tenant_id, kind, created_at) VALUES (",
    );
    query.push_bind(posting.operation_id).push(", ");
    query.push_bind(tenant_id).push(", ");
    query.push_bind(posting.kind.clone()).push(", ");
    query.push_bind(posting.created_at).push(")");
    if !posting.transfers.is_empty() {
        query.push(
            "; INSERT INTO ledger_transfers (id, tenant_id, operation_id, debit_account_id, \
             credit_account_id, amount, kind, created_at) ",
        );
        query.push_values(&posting.transfers, |mut row, (id, transfer)| {
            row.push_bind(*id)
                .push_bind(tenant_id)
                .push_bind(posting.operation_id)
                .push_bind(transfer.debit)
                .push_bind(transfer.credit)
                .push_bind(transfer.amount.get())
                .push_bind(transfer.kind.as_str())
                .push_bind(posting.created_at);
        });
    }
    if !posting.balances.is_empty() {
        query.push("; UPDATE ledger_accounts SET balance = CASE id");
        for (id, balance) in &posting.balances {
            query.push(" WHEN ").push_bind(*id);
            query.push(" THEN ").push_bind(*balance);
        }
        query.push(" END WHERE tenant_id = ").push_bind(tenant_id);
        let ids: Vec<Uuid> = posting.balances.iter().map(|(id, _)| *id).collect();
        push_in!(query, "id", ids);
    }
    query.build().execute(conn).await?;
    Ok(())
}

/// PostgreSQL only: pushes `operation AS (…), transfers AS (…), balances AS (…)`, the
/// data-modifying common table expressions that write `posting` ([`write_posting`] ends
/// them with `SELECT 1`; a caller writing its own rows in the same statement continues
/// with `, name AS (…)` or its main statement).
///
/// The balance update names the accounts by id alone: they are the ones
/// [`lock_accounts`] read for this tenant (it checks the tenant on the rows), and a tenant
/// condition lets PostgreSQL's generic plan walk a (tenant_id, …) index.
pub fn push_posting_ctes(
    query: &mut sqlx::QueryBuilder<sqlx::Postgres>,
    tenant_id: Uuid,
    posting: &Posting,
) {
    let transfer_ids: Vec<Uuid> = posting.transfers.iter().map(|(id, _)| *id).collect();
    let debits: Vec<Uuid> = posting.transfers.iter().map(|(_, t)| t.debit).collect();
    let credits: Vec<Uuid> = posting.transfers.iter().map(|(_, t)| t.credit).collect();
    let amounts: Vec<i64> = posting
        .transfers
        .iter()
        .map(|(_, t)| t.amount.get())
        .collect();
    let kinds: Vec<String> = posting
        .transfers
        .iter()
        .map(|(_, t)| t.kind.as_str().to_string())
        .collect();
    let balance_ids: Vec<Uuid> = posting.balances.iter().map(|(id, _)| *id).collect();
    let balances: Vec<i64> = posting
        .balances
        .iter()
        .map(|(_, balance)| *balance)
        .collect();
    query.push(
        "operation AS (INSERT INTO ledger_operations (id, tenant_id, kind, created_at) VALUES (",
    );
    query.push_bind(posting.operation_id).push(", ");
    query.push_bind(tenant_id).push(", ");
    query.push_bind(posting.kind.clone()).push(", ");
    query.push_bind(posting.created_at).push(")), ");
    query.push(
        "transfers AS (INSERT INTO ledger_transfers (id, tenant_id, operation_id, debit_account_id, \
         credit_account_id, amount, kind, created_at) SELECT t.id, ",
    );
    query.push_bind(tenant_id).push(", ");
    query
        .push_bind(posting.operation_id)
        .push(", t.debit, t.credit, t.amount, t.kind, ");
    query.push_bind(posting.created_at).push(" FROM unnest(");
    query.push_bind(transfer_ids).push("::uuid[], ");
    query.push_bind(debits).push("::uuid[], ");
    query.push_bind(credits).push("::uuid[], ");
    query.push_bind(amounts).push("::int8[], ");
    query
        .push_bind(kinds)
        .push("::text[]) AS t(id, debit, credit, amount, kind)), ");
    query.push("balances AS (UPDATE ledger_accounts AS a SET balance = b.balance FROM unnest(");
    query.push_bind(balance_ids).push("::uuid[], ");
    query
        .push_bind(balances)
        .push("::int8[]) AS b(id, balance) WHERE a.id = b.id)");
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
