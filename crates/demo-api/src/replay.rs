//! The DPoP proofs seen by every instance of the API, in Redis: a company runs its API on several machines, and a
//! proof replayed to another instance than the one that took it must be refused too. Each proof is one key
//! (`SET key 1 NX EXAT expires`): the first `SET` wins, the others find it there, and Redis forgets it when its
//! window has passed.

use orgpass_guard::ReplayStore;
use orgpass_guard::dpop::ReplayFuture;

/// The prefix of the keys this store writes (so one Redis may serve other uses too).
pub const KEY_PREFIX: &str = "orgpass:dpop:jti:";

/// Proofs seen, kept in the Redis at one URL (a connection kept open and re-established when it drops).
#[derive(Clone)]
pub struct RedisReplay {
    connection: redis::aio::ConnectionManager,
}

impl RedisReplay {
    /// Connects to `url` (`redis://127.0.0.1:6379/`); fails when Redis cannot be reached now.
    pub async fn connect(url: &str) -> Result<Self, String> {
        let client =
            redis::Client::open(url).map_err(|e| format!("{url} is not a Redis URL: {e}"))?;
        let connection = client
            .get_connection_manager()
            .await
            .map_err(|e| format!("could not reach Redis at {url}: {e}"))?;
        Ok(Self { connection })
    }
}

impl ReplayStore for RedisReplay {
    fn first_use<'a>(&'a self, key: &'a str, expires: i64) -> ReplayFuture<'a> {
        let mut connection = self.connection.clone();
        Box::pin(async move {
            let set: Option<String> = redis::cmd("SET")
                .arg(format!("{KEY_PREFIX}{key}"))
                .arg(1)
                .arg("NX")
                .arg("EXAT")
                .arg(expires)
                .query_async(&mut connection)
                .await
                .map_err(|e| format!("Redis: {e}"))?;
            Ok(set.is_some())
        })
    }
}
