//! Each tenant's KV store on PostgreSQL (`--database postgres://…`), shared by
//! several replicas.
//!
//! - **One table.** Rows of `caplet_kv` are keyed `(tenant, namespace, key)`; a
//!   tenant's store only ever reads and writes rows of its own tenant, so
//!   tenants never see each other's keys. Namespaces are plugin names, as in
//!   every store.
//! - **Caps across replicas.** A write takes a transaction-scoped advisory lock
//!   on its `(tenant, namespace)` before it counts the keys and inserts, so two
//!   replicas writing one namespace at once never exceed `max_keys`: the second
//!   counts after the first committed.
//! - **Deadlines.** A call waits for the lock, a row or the database no longer
//!   than the plugin call has left ([`crate::deadline::call_time_left`]; at most
//!   [`BUSY_TIMEOUT`](crate::kv::BUSY_TIMEOUT) outside a call): `lock_timeout`
//!   and `statement_timeout` are set for its transaction, so the guest gets
//!   `TIMEOUT` instead of a call that hangs. An unreachable database is `IO`.
//! - **Durability** is PostgreSQL's: a `set` returns after its commit.
//! - **TLS** is not supported yet (see [`crate::serve::store::postgres`]).

use std::sync::Arc;
use std::time::Duration;

use caplet_core::platform::KvStore;
use caplet_core::Code;
use postgres::types::Type;

use super::plugins::TenantKv;
use super::store::postgres::{PgError, Pool};

/// Connections the KV stores of all tenants share at most.
const KV_CONNECTIONS: usize = 8;

/// Each tenant's KV store, in one PostgreSQL table.
pub struct PgTenantKv {
    pool: Arc<Pool>,
}

impl std::fmt::Debug for PgTenantKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTenantKv")
            .field("database", &self.pool.target())
            .finish()
    }
}

impl PgTenantKv {
    /// Connects to `url` (`postgres://…`) and creates the table when missing.
    pub fn connect(url: &str) -> Result<PgTenantKv, String> {
        let pool = Pool::new(url, KV_CONNECTIONS, None).map_err(|e| format!("KV store: {e}"))?;
        pool.run(crate::kv::BUSY_TIMEOUT, |tx| {
            // Two replicas creating the table at once can collide in the
            // catalogue; the first takes this lock and the second finds it.
            tx.batch_execute(
                "SET LOCAL statement_timeout = '15s';
                 SELECT pg_advisory_xact_lock(7283013945112061002);
                 CREATE TABLE IF NOT EXISTS caplet_kv (
                     tenant    TEXT NOT NULL,
                     namespace TEXT NOT NULL,
                     key       TEXT NOT NULL,
                     value     BYTEA NOT NULL,
                     PRIMARY KEY (tenant, namespace, key)
                 );",
            )
        })
        .map_err(|e| format!("KV store: cannot set up the table: {e}"))?;
        Ok(PgTenantKv {
            pool: Arc::new(pool),
        })
    }
}

impl TenantKv for PgTenantKv {
    fn for_tenant(&self, tenant: &str) -> Result<Arc<dyn KvStore>, String> {
        Ok(Arc::new(PgKv {
            pool: self.pool.clone(),
            tenant: tenant.to_string(),
        }))
    }
}

/// One tenant's view of `caplet_kv`.
struct PgKv {
    pool: Arc<Pool>,
    tenant: String,
}

/// How long a call may wait: what the plugin call has left, at most
/// [`BUSY_TIMEOUT`](crate::kv::BUSY_TIMEOUT); `TIMEOUT` when nothing is left.
fn time_left() -> Result<Duration, Code> {
    let wait = crate::deadline::call_time_left()
        .map_or(crate::kv::BUSY_TIMEOUT, |l| l.min(crate::kv::BUSY_TIMEOUT));
    // PostgreSQL's timeouts are whole milliseconds, and 0 means none.
    if wait < Duration::from_millis(1) {
        Err(Code::Timeout)
    } else {
        Ok(wait)
    }
}

/// `SET LOCAL` of both timeouts to `wait` (whole milliseconds, at least 1).
fn timeouts(wait: Duration) -> String {
    let ms = wait.as_millis().max(1);
    format!("SET LOCAL lock_timeout = {ms}; SET LOCAL statement_timeout = {ms};")
}

/// The advisory lock of one tenant's namespace: FNV-1a over the tenant, a byte
/// that UTF-8 never contains, and the namespace. Every replica computes the same
/// number; two namespaces sharing one only wait for each other.
fn namespace_lock(tenant: &str, namespace: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = tenant
        .bytes()
        .chain(std::iter::once(0xff))
        .chain(namespace.bytes());
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

fn code(e: PgError) -> Code {
    match e {
        PgError::Timeout(_) | PgError::Busy(_) => Code::Timeout,
        PgError::Limit => Code::Limit,
        PgError::Unreachable(m) | PgError::Db(m) | PgError::Bad(m) => {
            tracing::warn!(error = %m, "KV store on PostgreSQL failed");
            Code::Io
        }
    }
}

impl KvStore for PgKv {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, Code> {
        let wait = time_left()?;
        self.pool
            .run(wait, |tx| {
                tx.batch_execute(&timeouts(wait))?;
                tx.query_typed(
                    "SELECT value FROM caplet_kv
                     WHERE tenant = $1 AND namespace = $2 AND key = $3",
                    &[
                        (&self.tenant, Type::TEXT),
                        (&namespace, Type::TEXT),
                        (&key, Type::TEXT),
                    ],
                )
                .map(|rows| rows.first().map(|r| r.get::<_, Vec<u8>>(0)))
            })
            .map_err(code)
    }

    fn set(&self, namespace: &str, key: &str, value: &[u8], max_keys: usize) -> Result<(), Code> {
        let wait = time_left()?;
        let lock = namespace_lock(&self.tenant, namespace);
        let max = i64::try_from(max_keys).unwrap_or(i64::MAX);
        self.pool
            .transaction(wait, |tx| {
                let failed = |e: postgres::Error| self.pool.failed(&e);
                // The lock is taken in a statement of its own: the count below
                // then runs with a snapshot taken after the previous holder
                // committed.
                tx.batch_execute(&format!(
                    "{} SELECT pg_advisory_xact_lock({lock});",
                    timeouts(wait)
                ))
                .map_err(failed)?;
                let inserted = tx
                    .execute_typed(
                        "INSERT INTO caplet_kv (tenant, namespace, key, value)
                         VALUES ($1, $2, $3, $4)
                         ON CONFLICT (tenant, namespace, key) DO NOTHING",
                        &[
                            (&self.tenant, Type::TEXT),
                            (&namespace, Type::TEXT),
                            (&key, Type::TEXT),
                            (&value, Type::BYTEA),
                        ],
                    )
                    .map_err(failed)?;
                if inserted == 0 {
                    // The key exists: replacing it adds no key.
                    tx.execute_typed(
                        "UPDATE caplet_kv SET value = $4
                         WHERE tenant = $1 AND namespace = $2 AND key = $3",
                        &[
                            (&self.tenant, Type::TEXT),
                            (&namespace, Type::TEXT),
                            (&key, Type::TEXT),
                            (&value, Type::BYTEA),
                        ],
                    )
                    .map_err(failed)?;
                    return Ok(());
                }
                let count: i64 = tx
                    .query_typed(
                        "SELECT COUNT(*) FROM caplet_kv WHERE tenant = $1 AND namespace = $2",
                        &[(&self.tenant, Type::TEXT), (&namespace, Type::TEXT)],
                    )
                    .map_err(failed)?
                    .first()
                    .map_or(0, |r| r.get(0));
                if count > max {
                    // The new key is one too many: rolled back.
                    return Err(PgError::Limit);
                }
                Ok(())
            })
            .map_err(code)
    }

    fn delete(&self, namespace: &str, key: &str) -> Result<(), Code> {
        let wait = time_left()?;
        let n = self
            .pool
            .run(wait, |tx| {
                tx.batch_execute(&timeouts(wait))?;
                tx.execute_typed(
                    "DELETE FROM caplet_kv WHERE tenant = $1 AND namespace = $2 AND key = $3",
                    &[
                        (&self.tenant, Type::TEXT),
                        (&namespace, Type::TEXT),
                        (&key, Type::TEXT),
                    ],
                )
            })
            .map_err(code)?;
        if n == 0 {
            Err(Code::NotFound)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_locks_keep_tenant_and_namespace_apart() {
        assert_eq!(namespace_lock("a", "ns"), namespace_lock("a", "ns"));
        assert_ne!(namespace_lock("a", "bns"), namespace_lock("ab", "ns"));
        assert_ne!(namespace_lock("a", "ns"), namespace_lock("b", "ns"));
    }

    #[test]
    fn timeouts_are_whole_milliseconds_never_zero() {
        assert_eq!(
            timeouts(Duration::from_micros(1500)),
            "SET LOCAL lock_timeout = 1; SET LOCAL statement_timeout = 1;"
        );
        assert!(timeouts(Duration::from_secs(5)).contains("= 5000;"));
    }
}
