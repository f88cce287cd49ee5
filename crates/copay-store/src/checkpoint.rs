//! SQLite's WAL checkpoints, run beside the writer instead of inside it.
//!
//! By default the connection whose commit takes the WAL past 1,000 pages copies the WAL
//! back into the database file and syncs it, before its next statement. With every write
//! on one connection (see [`crate::Store::begin`]) that was the writer, so every few dozen
//! transactions one of them also did a checkpoint while all other writes queued behind it.
//! Here a connection of its own runs a passive checkpoint a few times a second: it copies
//! what the WAL holds without taking the write lock, so writes go on meanwhile, and each
//! page rewritten many times between checkpoints is copied once. The writer's own
//! automatic checkpoint stays as a backstop, at [`BACKSTOP_PAGES`].
//!
//! Durability is unchanged: commits are in the WAL either way (`synchronous=NORMAL`), and
//! a checkpoint syncs what it copies.

use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};
use tokio::sync::oneshot;

/// WAL pages (4 KiB each) past which the writer checkpoints itself: 32 MiB, reached only
/// when the background checkpoints cannot keep up or a long read holds old pages.
pub(crate) const BACKSTOP_PAGES: &str = "8192";

/// How often the background checkpoint runs.
const EVERY: Duration = Duration::from_millis(200);

/// The running background checkpoints of one database.
#[derive(Clone, Debug)]
pub(crate) struct Checkpoints {
    pool: SqlitePool,
    /// Dropped with the last clone of the store: the task then ends.
    _running: Arc<oneshot::Sender<()>>,
}

impl Checkpoints {
    /// Starts checkpointing the database `connect` opens, on a connection of its own
    /// (opened at the first checkpoint).
    pub(crate) fn start(connect: SqliteConnectOptions) -> Checkpoints {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(connect);
        let (running, mut dropped) = oneshot::channel::<()>();
        let task_pool = pool.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = &mut dropped => break,
                }
                if task_pool.is_closed() {
                    break;
                }
                checkpoint(&task_pool).await;
            }
            task_pool.close().await;
        });
        Checkpoints {
            pool,
            _running: Arc::new(running),
        }
    }

    /// Stops the checkpoints (the store is closing).
    pub(crate) async fn stop(&self) {
        self.pool.close().await;
    }
}

/// One passive checkpoint. It never waits for a lock: a busy database is checkpointed at
/// the next tick.
async fn checkpoint(pool: &SqlitePool) {
    match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_optional(pool)
        .await
    {
        Ok(Some(row)) => {
            let busy: i64 = row.try_get(0).unwrap_or(0);
            if busy != 0 {
                tracing::debug!("WAL checkpoint found the database busy");
            }
        }
        Ok(None) => {}
        Err(sqlx::Error::PoolClosed) => {}
        Err(error) => tracing::warn!(%error, "WAL checkpoint failed"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::{ConnectOptions, Store, Tx};

    /// Commits land in the database file itself within a tick or two, with no further
    /// write to trigger it and far below the writer's own checkpoint threshold.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commits_reach_the_database_file_in_the_background() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("copay.db");
        let url = format!("sqlite://{}", path.display());
        let store = Store::connect(&url, &ConnectOptions::default())
            .await
            .expect("store");
        let file_size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let mut tx = store.begin().await.expect("begin");
        let Tx::Sqlite(conn) = &mut tx else {
            panic!("an SQLite transaction");
        };
        sqlx::query("CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
            .execute(&mut **conn)
            .await
            .expect("create");
        // About 300 pages: under the default threshold of 1,000 as well as the backstop.
        for id in 0..300_i64 {
            sqlx::query("INSERT INTO filler (id, data) VALUES ($1, zeroblob(4000))")
                .bind(id)
                .execute(&mut **conn)
                .await
                .expect("insert");
        }
        tx.commit().await.expect("commit");
        let committed = file_size();
        let deadline = Instant::now() + Duration::from_secs(5);
        while file_size() < committed + 300 * 4000 {
            assert!(
                Instant::now() < deadline,
                "the database file is still {} bytes (was {committed})",
                file_size()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        store.close().await;
    }
}
