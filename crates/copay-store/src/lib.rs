//! copay's storage layer: one [`Store`] over either an SQLite or a PostgreSQL pool.
//!
//! The backend is chosen once, from the database URL, at start-up. Queries are plain SQL
//! shared by both databases wherever the dialects agree (`$N` placeholders work in both);
//! the [`on_db!`] and [`on_tx!`] macros run one body against whichever pool or
//! transaction is live, so each query is type-checked against both drivers.

/// Appends ` AND <column> IN (<binds>)` for a non-empty list; an empty list adds nothing
/// (so callers that must match nothing on an empty list return early).
macro_rules! push_in {
    ($qb:expr, $column:literal, $values:expr) => {
        if !$values.is_empty() {
            $qb.push(concat!(" AND ", $column, " IN ("));
            let mut separated = $qb.separated(", ");
            for value in $values.iter() {
                separated.push_bind(value.clone());
            }
            $qb.push(")");
        }
    };
}

/// Fetches at most one row of `$row` with `$select!($where)`, locking it on PostgreSQL
/// (`FOR UPDATE`); SQLite's `BEGIN IMMEDIATE` already holds the database's write lock.
macro_rules! fetch_optional_locked {
    ($tx:expr, $row:ty, $select:ident, $where:literal, |$query:ident| $bind:expr) => {
        match $tx {
            $crate::Tx::Postgres(tx) => {
                let $query = sqlx::query_as::<_, $row>($select!($where, " FOR UPDATE"));
                $bind.fetch_optional(&mut **tx).await?
            }
            $crate::Tx::Sqlite(tx) => {
                let $query = sqlx::query_as::<_, $row>($select!($where));
                $bind.fetch_optional(&mut **tx).await?
            }
        }
    };
}

pub mod charge_capture_list;
pub mod charge_captures;
pub mod charge_table;
pub mod charges;
mod checkpoint;
pub mod claim_ar;
pub mod claim_creations;
pub mod claim_money;
pub mod claim_verify;
pub mod claim_write_offs;
pub mod credits;
pub mod encounters;
pub mod idempotency;
pub mod items;
pub mod keys;
pub mod ledger;
pub mod patients;
pub mod payers;
pub mod payment_table;
pub mod payments;
pub mod providers;
pub mod table;
pub mod tenants;
pub mod tips;
pub mod webhooks;
mod write_group;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// JSON columns (JSONB on PostgreSQL, text on SQLite).
pub use sqlx::types::Json;

/// Runs `$body` with `$conn` bound to the live pool (`&SqlitePool` or `&PgPool`).
#[macro_export]
macro_rules! on_db {
    ($store:expr, $conn:ident => $body:expr) => {
        match $store.db() {
            $crate::Db::Sqlite($conn) => $body,
            $crate::Db::Postgres($conn) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the transaction's connection.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (use sqlite://PATH or postgres://...)")]
    UnsupportedUrl,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The shared SQLite transaction a use case's writes went into failed to commit.
    #[error("database error: {0}")]
    GroupCommit(std::sync::Arc<sqlx::Error>),
}

impl StoreError {
    /// True when the database refused a text value it cannot store (PostgreSQL keeps no
    /// NUL character in text; SQLSTATE 22021). Such input is the caller's to fix.
    pub fn is_unstorable_text(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => {
                db.code().as_deref() == Some("22021")
            }
            _ => false,
        }
    }

    /// True when the error is a unique-constraint violation (a duplicate key).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => db.is_unique_violation(),
            _ => false,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// SQLite only: the one connection write transactions share (see [`Store::begin`]).
    writer: Option<write_group::WriteGroups>,
    /// SQLite only: the background WAL checkpoints (see [`checkpoint`]); they stop when
    /// the store is closed or its last clone dropped.
    checkpoints: Option<checkpoint::Checkpoints>,
}

/// A write transaction on either backend. Dropping it without [`Tx::commit`] rolls back.
pub enum Tx {
    Sqlite(SqliteTx),
    Postgres(Transaction<'static, Postgres>),
}

/// An SQLite write transaction: a use case's part of the writer's shared transaction
/// ([`write_group`]), or a transaction of its own on an in-memory database.
pub enum SqliteTx {
    Shared(write_group::Member),
    Own(Transaction<'static, Sqlite>),
}

impl std::ops::Deref for SqliteTx {
    type Target = sqlx::SqliteConnection;

    fn deref(&self) -> &sqlx::SqliteConnection {
        match self {
            SqliteTx::Shared(member) => member,
            SqliteTx::Own(tx) => tx,
        }
    }
}

impl std::ops::DerefMut for SqliteTx {
    fn deref_mut(&mut self) -> &mut sqlx::SqliteConnection {
        match self {
            SqliteTx::Shared(member) => member,
            SqliteTx::Own(tx) => tx,
        }
    }
}

impl Tx {
    /// Keeps the transaction's writes; returns once they are committed (on SQLite, with
    /// the shared transaction they went into).
    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(SqliteTx::Shared(member)) => member.commit().await?,
            Tx::Sqlite(SqliteTx::Own(tx)) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Connection settings beyond the URL.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

impl Store {
    /// Opens the database named by `url`: `sqlite://PATH` (created if missing; a bare path
    /// works too) or `postgres://…` / `postgresql://…`.
    pub async fn connect(url: &str, options: &ConnectOptions) -> StoreResult<Store> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await?;
            Db::Postgres(pool)
        } else if url.contains("://") && !url.starts_with("sqlite:") {
            return Err(StoreError::UnsupportedUrl);
        } else {
            let url = if url.starts_with("sqlite:") {
                url.to_string()
            } else {
                format!("sqlite://{url}")
            };
            let connect = SqliteConnectOptions::from_str(&url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                // Writers queue behind `BEGIN IMMEDIATE` instead of failing at once.
                .busy_timeout(Duration::from_secs(30))
                // A backstop: the background checkpoints keep the WAL far below this.
                .pragma("wal_autocheckpoint", checkpoint::BACKSTOP_PAGES);
            let pool = SqlitePoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect.clone())
                .await?;
            // SQLite runs one writer at a time. Giving write transactions a single
            // connection makes them queue in order in-process (the pool's fair wait)
            // instead of racing for the file lock, where the losers sleep in SQLite's
            // busy handler for up to 100 ms at a time. Reads keep the pool above (WAL
            // lets them run beside the writer). The wait is bounded like the busy timeout.
            // An in-memory database is private to its connection: no second pool there.
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let (writer, checkpoints) = if in_memory {
                (None, None)
            } else {
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(options.acquire_timeout.max(Duration::from_secs(30)))
                    .connect_with(connect.clone())
                    .await?;
                (
                    Some(write_group::WriteGroups::new(writer)),
                    Some(checkpoint::Checkpoints::start(connect)),
                )
            };
            return Ok(Store {
                db: Db::Sqlite(pool),
                writer,
                checkpoints,
            });
        };
        Ok(Store {
            db,
            writer: None,
            checkpoints: None,
        })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the embedded migrations of this backend. Safe to run concurrently with
    /// another copay doing the same (sqlx takes a migration lock).
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.db {
            Db::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Starts a write transaction. On SQLite it is a savepoint in the writer's shared
    /// transaction ([`write_group`]), begun with `BEGIN IMMEDIATE`, which takes the write
    /// lock up front so two writers serialize instead of deadlocking on upgrade.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match &self.db {
            Db::Sqlite(pool) => match &self.writer {
                Some(writer) => Tx::Sqlite(SqliteTx::Shared(writer.begin().await?)),
                None => Tx::Sqlite(SqliteTx::Own(pool.begin_with("BEGIN IMMEDIATE").await?)),
            },
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// True when a trivial query succeeds (readiness).
    pub async fn ping(&self) -> bool {
        let result: Result<i32, sqlx::Error> =
            on_db!(self, pool => sqlx::query_scalar("SELECT 1").fetch_one(pool).await);
        result.is_ok()
    }

    pub async fn close(&self) {
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.stop().await;
        }
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        match &self.db {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Current time truncated to microseconds, the precision both databases keep, so what
/// is written reads back identical.
pub fn now() -> time::OffsetDateTime {
    to_micros(time::OffsetDateTime::now_utc())
}

/// `at` truncated to microseconds, as both databases keep it.
pub fn to_micros(at: time::OffsetDateTime) -> time::OffsetDateTime {
    at.replace_microsecond(at.microsecond()).unwrap_or(at)
}
