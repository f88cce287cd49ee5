//! Group commit for SQLite's one writer.
//!
//! SQLite runs one write transaction at a time, and a commit costs more than most use
//! cases' statements together: it appends every page the transaction touched to the WAL,
//! two system calls a page. Write use cases that queue for the writer therefore share a
//! transaction: each runs inside its own savepoint (undone alone if it fails or is
//! dropped), and the transaction commits when nobody else is waiting for the writer, when
//! it holds [`MAX_MEMBERS`] use cases, or once it is [`MAX_AGE`] old. A use case's
//! [`Member::commit`] returns only once the transaction holding it has committed, so an
//! answer never reports a write that a crash could still lose, and a failed commit fails
//! every use case in it. Pages that consecutive use cases all touch (the right-hand end
//! of each index) are written once per group instead of once per use case.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

use crate::{StoreError, StoreResult};

/// Use cases a shared transaction holds at most before it commits.
const MAX_MEMBERS: usize = 32;
/// How long a shared transaction stays open at most while others keep arriving: bounds
/// the wait its first use case adds to its answer.
const MAX_AGE: Duration = Duration::from_millis(5);
/// A use case waiting for its group's commit takes the writer and commits itself after
/// this long: the use case due to commit may have been cancelled while it queued.
const COMMIT_PATIENCE: Duration = Duration::from_millis(50);

type CommitResult = Result<(), Arc<sqlx::Error>>;

/// The writer connection and the transaction open on it.
struct GroupState {
    /// The writer's pool (one connection).
    pool: SqlitePool,
    /// Taken from the pool at the first write and kept; `None` again after
    /// [`WriteGroups::close`], or should a use case's turn have ended without handing it
    /// back (dropped where no runtime could undo it).
    conn: Option<PoolConnection<Sqlite>>,
    /// When the shared transaction began, while one is open.
    opened: Option<Instant>,
    /// Use cases whose savepoint was released into the open transaction, waiting for it
    /// to commit.
    waiting_commit: Vec<oneshot::Sender<CommitResult>>,
    /// Counts the transactions committed or abandoned: a use case that joined
    /// generation `n` is settled once it has moved on.
    generation: u64,
    closed: bool,
}

/// Hands SQLite's writer to write use cases in turn (the lock is fair: first come, first
/// served) and commits their shared transactions.
#[derive(Clone)]
pub(crate) struct WriteGroups {
    state: Arc<Mutex<GroupState>>,
    /// Use cases waiting for the writer: while there are some, the transaction stays open
    /// for them.
    queued: Arc<AtomicUsize>,
}

impl std::fmt::Debug for WriteGroups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteGroups").finish_non_exhaustive()
    }
}

/// Counts a use case as queued for the writer until it has it (or gives up waiting).
struct Queued(Arc<AtomicUsize>);

impl Queued {
    fn new(counter: &Arc<AtomicUsize>) -> Queued {
        counter.fetch_add(1, Ordering::SeqCst);
        Queued(counter.clone())
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl WriteGroups {
    pub(crate) fn new(pool: SqlitePool) -> WriteGroups {
        WriteGroups {
            state: Arc::new(Mutex::new(GroupState {
                pool,
                conn: None,
                opened: None,
                waiting_commit: Vec::new(),
                generation: 0,
                closed: false,
            })),
            queued: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Waits for the writer and starts a use case's savepoint in the shared transaction
    /// (beginning one if none is open).
    pub(crate) async fn begin(&self) -> StoreResult<Member> {
        // The statements run in a task of their own: a request cancelled halfway (its
        // client gone) must not leave the writer half-handed-over. Should it be
        // cancelled, the member the task returns is dropped, which undoes its savepoint.
        let groups = self.clone();
        let queued = Queued::new(&self.queued);
        match tokio::spawn(async move { groups.begin_turn(queued).await }).await {
            Ok(result) => result,
            Err(error) => Err(StoreError::Corrupt(format!("write turn failed: {error}"))),
        }
    }

    async fn begin_turn(self, queued: Queued) -> StoreResult<Member> {
        let mut guard = self.state.clone().lock_owned().await;
        drop(queued);
        if guard.closed {
            return Err(StoreError::Database(sqlx::Error::PoolClosed));
        }
        let mut conn = guard.connection().await?;
        let opening = guard.opened.is_none();
        let statement = if opening {
            "BEGIN IMMEDIATE; SAVEPOINT use_case"
        } else {
            "SAVEPOINT use_case"
        };
        if let Err(error) = sqlx::query(statement).execute(&mut *conn).await {
            if opening {
                // `BEGIN` may have run without its savepoint.
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            }
            guard.conn = Some(conn);
            return Err(error.into());
        }
        if opening {
            guard.opened = Some(Instant::now());
        }
        Ok(Member {
            held: Some(Held { guard, conn }),
            groups: self,
        })
    }

    /// Gives the writer connection back to its pool once no use case holds it, so the
    /// pool can close.
    pub(crate) async fn close(&self) {
        let mut guard = self.state.lock().await;
        guard.closed = true;
        guard.commit_open().await;
        guard.conn = None;
        let pool = guard.pool.clone();
        drop(guard);
        pool.close().await;
    }
}

/// The writer, held by one use case.
struct Held {
    guard: OwnedMutexGuard<GroupState>,
    conn: PoolConnection<Sqlite>,
}

impl Held {
    /// Puts the connection back for the next use case, committing the shared transaction
    /// first when nobody is waiting for it, or it is full or old enough.
    async fn hand_on(self, groups: &WriteGroups) {
        let Held { mut guard, conn } = self;
        guard.conn = Some(conn);
        let due = groups.queued.load(Ordering::SeqCst) == 0
            || guard.waiting_commit.len() >= MAX_MEMBERS
            || guard.opened.is_some_and(|at| at.elapsed() >= MAX_AGE);
        if due {
            guard.commit_open().await;
        }
    }
}

impl GroupState {
    /// The writer connection, from the pool when it is not held here.
    async fn connection(&mut self) -> Result<PoolConnection<Sqlite>, sqlx::Error> {
        match self.conn.take() {
            Some(conn) => Ok(conn),
            None => self.pool.acquire().await,
        }
    }

    /// Commits the shared transaction, if one is open, and tells every use case in it how
    /// that went.
    async fn commit_open(&mut self) {
        if self.opened.is_none() {
            return;
        }
        // Without the connection the transaction was on, the one the pool gives back may
        // have lost it: its COMMIT then fails, and so do the use cases in it, rather than
        // waiting for ever.
        let mut conn = match self.connection().await {
            Ok(conn) => conn,
            Err(error) => {
                self.settle(Err(Arc::new(error)));
                return;
            }
        };
        let result = sqlx::query("COMMIT")
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .map_err(Arc::new);
        if result.is_err() {
            // Whatever SQLite kept of it is undone: the use cases are told it failed.
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        }
        self.conn = Some(conn);
        self.settle(result);
    }

    fn settle(&mut self, result: CommitResult) {
        self.opened = None;
        self.generation += 1;
        for waiting in self.waiting_commit.drain(..) {
            let _ = waiting.send(result.clone());
        }
    }
}

/// One use case's part of a shared write transaction (see the module docs). Dropping it
/// without [`Member::commit`] undoes its savepoint.
pub struct Member {
    held: Option<Held>,
    groups: WriteGroups,
}

impl Member {
    /// Keeps the use case's writes and returns once the transaction holding them has
    /// committed.
    pub(crate) async fn commit(mut self) -> StoreResult<()> {
        let Some(held) = self.held.take() else {
            return Err(StoreError::Corrupt("a write transaction used twice".into()));
        };
        let groups = self.groups.clone();
        let (sender, receiver) = oneshot::channel();
        // In a task of its own, like `begin`: the hand-over completes even if the
        // request is cancelled while it runs.
        let released = tokio::spawn(release(held, groups.clone(), sender)).await;
        let generation = match released {
            Ok(Ok(generation)) => generation,
            Ok(Err(error)) => return Err(error.into()),
            Err(error) => return Err(StoreError::Corrupt(format!("write turn failed: {error}"))),
        };
        await_commit(groups, receiver, generation).await
    }
}

/// Releases a use case's savepoint into the shared transaction and hands the writer on;
/// returns the generation of the transaction it joined.
async fn release(
    mut held: Held,
    groups: WriteGroups,
    sender: oneshot::Sender<CommitResult>,
) -> Result<u64, sqlx::Error> {
    if let Err(error) = sqlx::query("RELEASE use_case")
        .execute(&mut *held.conn)
        .await
    {
        abandon(held).await;
        return Err(error);
    }
    held.guard.waiting_commit.push(sender);
    let generation = held.guard.generation;
    held.hand_on(&groups).await;
    Ok(generation)
}

async fn await_commit(
    groups: WriteGroups,
    mut receiver: oneshot::Receiver<CommitResult>,
    generation: u64,
) -> StoreResult<()> {
    let result = match tokio::time::timeout(COMMIT_PATIENCE, &mut receiver).await {
        Ok(result) => result,
        Err(_) => {
            let flush = tokio::spawn(async move {
                let mut guard = groups.state.lock().await;
                if guard.generation == generation {
                    guard.commit_open().await;
                }
            });
            let _ = flush.await;
            receiver.await
        }
    };
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(StoreError::GroupCommit(error)),
        Err(_) => Err(StoreError::Corrupt(
            "a write transaction ended without a commit".into(),
        )),
    }
}

/// Undoes a use case's savepoint and hands the writer on. Should the savepoint be gone
/// (SQLite abandons the whole transaction on some errors), the use cases waiting for the
/// transaction are told it failed.
async fn abandon(held: Held) {
    let Held {
        mut guard,
        mut conn,
    } = held;
    let undone = sqlx::query("ROLLBACK TO use_case; RELEASE use_case")
        .execute(&mut *conn)
        .await;
    if let Err(error) = undone {
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        guard.settle(Err(Arc::new(error)));
    }
    guard.conn = Some(conn);
}

impl Drop for Member {
    fn drop(&mut self) {
        let Some(held) = self.held.take() else {
            return;
        };
        let groups = self.groups.clone();
        // Undoing takes statements, which cannot run in `drop`: a task does it while it
        // still holds the writer, then commits the others if they wait on nobody else.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                abandon(held).await;
                let mut guard = groups.state.lock().await;
                if groups.queued.load(Ordering::SeqCst) == 0 {
                    guard.commit_open().await;
                }
            });
        }
    }
}

impl Deref for Member {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        match &self.held {
            Some(held) => &held.conn,
            None => unreachable!("a member holds the writer until it is committed or dropped"),
        }
    }
}

impl DerefMut for Member {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match &mut self.held {
            Some(held) => &mut held.conn,
            None => unreachable!("a member holds the writer until it is committed or dropped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{ConnectOptions, Db, Store, Tx};

    async fn store(dir: &tempfile::TempDir) -> Store {
        let url = format!("sqlite://{}", dir.path().join("copay.db").display());
        let store = Store::connect(&url, &ConnectOptions::default())
            .await
            .expect("store");
        let mut tx = store.begin().await.expect("begin");
        insert(&mut tx, "CREATE TABLE kept (id INTEGER PRIMARY KEY)").await;
        tx.commit().await.expect("commit");
        store
    }

    async fn insert(tx: &mut Tx, sql: &str) {
        let Tx::Sqlite(conn) = tx else {
            panic!("an SQLite transaction");
        };
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut **conn)
            .await
            .expect("write");
    }

    /// The ids a reader (another connection) sees.
    async fn committed(store: &Store) -> Vec<i64> {
        let Db::Sqlite(pool) = store.db() else {
            panic!("SQLite");
        };
        sqlx::query_scalar("SELECT id FROM kept ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("read")
    }

    /// Waits until `n` use cases queue for the writer.
    async fn queued(store: &Store, n: usize) {
        let Some(groups) = &store.writer else {
            panic!("a file database has a writer");
        };
        for _ in 0..500 {
            if groups.queued.load(std::sync::atomic::Ordering::SeqCst) >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        panic!("{n} use cases never queued");
    }

    /// A use case queued behind another shares its transaction; when it fails, only its
    /// own writes are undone, and the first use case's commit returns once a reader sees
    /// its write.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_use_case_undoes_only_its_own_writes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(&dir).await;
        let mut first = store.begin().await.expect("begin");
        insert(&mut first, "INSERT INTO kept (id) VALUES (1)").await;
        let second = tokio::spawn({
            let store = store.clone();
            async move {
                let mut tx = store.begin().await.expect("begin");
                insert(&mut tx, "INSERT INTO kept (id) VALUES (2)").await;
                // Fails: dropped without a commit.
            }
        });
        queued(&store, 1).await;
        first.commit().await.expect("commit");
        assert_eq!(committed(&store).await, vec![1]);
        second.await.expect("second use case");
        let mut third = store.begin().await.expect("begin");
        insert(&mut third, "INSERT INTO kept (id) VALUES (3)").await;
        third.commit().await.expect("commit");
        assert_eq!(committed(&store).await, vec![1, 3]);
    }

    /// Use cases that queue together commit together, each seeing the ones before it,
    /// and every one's commit returns with its write visible.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_use_cases_all_commit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(&dir).await;
        let holder = store.begin().await.expect("begin");
        let mut writers = Vec::new();
        for id in 1..=20_i64 {
            let store = store.clone();
            writers.push(tokio::spawn(async move {
                let mut tx = store.begin().await.expect("begin");
                insert(&mut tx, &format!("INSERT INTO kept (id) VALUES ({id})")).await;
                tx.commit().await.expect("commit");
                assert!(committed(&store).await.contains(&id));
            }));
        }
        queued(&store, 20).await;
        drop(holder);
        for writer in writers {
            writer.await.expect("writer");
        }
        assert_eq!(committed(&store).await, (1..=20).collect::<Vec<i64>>());
    }

    /// A use case whose request is cancelled while one of its statements runs leaves
    /// nothing behind, and the next use case gets the writer and commits.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_use_case_cancelled_mid_statement_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(&dir).await;
        let cancelled = tokio::time::timeout(Duration::from_millis(50), async {
            let mut tx = store.begin().await.expect("begin");
            insert(&mut tx, "INSERT INTO kept (id) VALUES (1)").await;
            // Counts to ten million (well over 50 ms) and inserts nothing.
            insert(
                &mut tx,
                "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n \
                 WHERE x < 10000000) INSERT INTO kept (id) SELECT x FROM n WHERE x < 0",
            )
            .await;
            tx.commit().await.expect("commit");
        })
        .await;
        assert!(cancelled.is_err(), "the use case was cancelled");
        let mut next = store.begin().await.expect("begin");
        insert(&mut next, "INSERT INTO kept (id) VALUES (2)").await;
        next.commit().await.expect("commit");
        assert_eq!(committed(&store).await, vec![2]);
    }

    /// A use case whose request is cancelled while it waits for the writer does not
    /// strand the one that counted on it to commit their shared transaction.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_wait_does_not_hold_up_a_commit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(&dir).await;
        let mut first = store.begin().await.expect("begin");
        insert(&mut first, "INSERT INTO kept (id) VALUES (1)").await;
        let waiting = tokio::spawn({
            let store = store.clone();
            async move { store.begin().await.map(drop) }
        });
        queued(&store, 1).await;
        waiting.abort();
        tokio::time::timeout(Duration::from_secs(5), first.commit())
            .await
            .expect("the commit returns")
            .expect("commit");
        assert_eq!(committed(&store).await, vec![1]);
        store.close().await;
    }
}
