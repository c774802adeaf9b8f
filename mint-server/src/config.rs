//! Command-line flags; each can also be set by an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use crate::mint::MintSettings;

/// The default request body limit: large enough for a swap of a few thousand proofs.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Default of `--max-connections`: below the usual 1024 open files per process, leaving room for the
/// database and log files.
pub const DEFAULT_MAX_CONNECTIONS: usize = 900;

/// Default of `--quote-rate-burst` and `--quote-rate-per-minute`: far above what a person's wallet asks for
/// (a few quotes a minute), far below a flood.
pub const DEFAULT_QUOTE_RATE_LIMIT: crate::routes::limit::RateLimit =
    crate::routes::limit::RateLimit { burst: 100, per_minute: 600 };

/// Default of `--client-body-kib-per-sec` and `--client-body-burst-kib`: 4 MiB/s (about 8,000 one-input
/// swaps a second) and 8 MiB at once per client IP; a client sending 1 MiB bodies back to back gets four
/// a second.
pub const DEFAULT_BODY_BUDGET: crate::routes::limit::BodyBudget =
    crate::routes::limit::BodyBudget { kib_per_sec: 4096, burst_kib: 8192 };

/// Default of `--header-read-timeout-secs`.
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;

/// Default of `--cache-ttl-secs`: the mint's own default (NUT-19).
pub const DEFAULT_CACHE_TTL_SECS: u64 = MintSettings::DEFAULT_RESPONSE_CACHE_TTL_SECS;

/// Default of `--commit-delay-us`: the store's own default.
pub const DEFAULT_COMMIT_DELAY_US: u64 = crate::store::DEFAULT_COMMIT_DELAY.as_micros() as u64;

/// A fault `--inject-fault` arms (tests of the mint's failure paths with the real binary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InjectFault {
    /// Every fsync of the log fails.
    SyncFails,
    /// The writer thread panics at its first batch.
    WriterPanics,
}

/// How the mint is started. Its `Debug` shows neither the master secret, nor the admin token, nor the
/// database URL (which may hold a password).
#[derive(Clone, Parser)]
#[command(
    name = "mint-server",
    version,
    about = "A Chaumian e-cash mint (Cashu-compatible) that also serves its wallet"
)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "MINT_LISTEN", default_value = "127.0.0.1:3338")]
    pub listen: SocketAddr,

    /// Directory for the mint's data (created if missing).
    #[arg(long, env = "MINT_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Directory of the built wallet bundle (`trunk build` output), served at `/`.
    #[arg(long, env = "MINT_WALLET_DIR", default_value = "./dist")]
    pub wallet_dir: PathBuf,

    /// The mint's name, shown to wallets in `GET /v1/info`.
    #[arg(long, env = "MINT_NAME", default_value = "Chaumian Mint")]
    pub name: String,

    /// A short description, shown to wallets in `GET /v1/info`.
    #[arg(long, env = "MINT_DESCRIPTION", default_value = "A Chaumian e-cash mint speaking the Cashu protocol.")]
    pub description: String,

    /// Largest request body accepted, in bytes; larger requests get `413 Payload Too Large`.
    #[arg(long, env = "MINT_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,

    /// Most client connections open at once; further clients wait to be accepted.
    #[arg(long, env = "MINT_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,

    /// Seconds a client may take to send a request's headers before its connection is closed.
    #[arg(long, env = "MINT_HEADER_READ_TIMEOUT_SECS", default_value_t = DEFAULT_HEADER_READ_TIMEOUT_SECS)]
    pub header_read_timeout_secs: u64,

    /// Quotes (mint and melt) a client IP may create at once (and bank payments, and offline deposits, each
    /// in a bucket of its own); `0` turns the limit off.
    #[arg(long, env = "MINT_QUOTE_RATE_BURST", default_value_t = DEFAULT_QUOTE_RATE_LIMIT.burst)]
    pub quote_rate_burst: u32,

    /// Quotes per minute a client IP may create in the long run; more get `429`. `0` turns the limit off.
    #[arg(long, env = "MINT_QUOTE_RATE_PER_MINUTE", default_value_t = DEFAULT_QUOTE_RATE_LIMIT.per_minute)]
    pub quote_rate_per_minute: u32,

    /// KiB of request bodies a client IP may send per second under `/v1`; beyond, `429`. `0` turns the
    /// budget off.
    #[arg(long, env = "MINT_CLIENT_BODY_KIB_PER_SEC", default_value_t = DEFAULT_BODY_BUDGET.kib_per_sec)]
    pub client_body_kib_per_sec: u32,

    /// KiB of request bodies a client IP may send at once (raised to `--max-body-bytes` if lower).
    #[arg(long, env = "MINT_CLIENT_BODY_BURST_KIB", default_value_t = DEFAULT_BODY_BUDGET.burst_kib)]
    pub client_body_burst_kib: u32,

    /// Database: `postgres://user:password@host/db` for PostgreSQL (several mint instances may share it),
    /// `sqlite://PATH` for SQLite. Default: SQLite at `DATA_DIR/mint.sqlite`.
    #[arg(long, env = "MINT_DATABASE_URL")]
    pub database_url: Option<String>,

    /// The master secret (64 to 256 hex characters) every keyset derives from. Default: read from
    /// `DATA_DIR/master.secret`, created with mode 0600 on first start. Instances sharing a database must
    /// share it.
    #[arg(long, env = "MINT_MASTER_SECRET", hide_env_values = true)]
    pub master_secret: Option<String>,

    /// Turn on the fake `bolt11` backend: mint quotes count as paid at once and melts pay nothing. For
    /// development and interoperability tests only.
    #[arg(long, env = "MINT_FAKE_BOLT11", default_value_t = false)]
    pub fake_bolt11: bool,

    /// The fake `bolt11` backend's fee reserve per melt (sat): wallets add it to their inputs.
    #[arg(long, env = "MINT_FAKE_BOLT11_FEE_RESERVE", default_value_t = 0)]
    pub fake_bolt11_fee_reserve: u64,

    /// The fee a fake `bolt11` melt really costs (sat, at most the reserve); the rest of the reserve goes
    /// back to the wallet's NUT-08 blank outputs.
    #[arg(long, env = "MINT_FAKE_BOLT11_FEE_PAID", default_value_t = 0)]
    pub fake_bolt11_fee_paid: u64,

    /// NUT-19: seconds a state-changing request's response stays cached for identical retries (advertised
    /// in `GET /v1/info`); older entries are deleted. `0` keeps them forever.
    #[arg(long, env = "MINT_CACHE_TTL_SECS", default_value_t = DEFAULT_CACHE_TTL_SECS)]
    pub cache_ttl_secs: u64,

    /// For tests only: arm a fault in the SQLite store's threads from the start (`sync-fails`: every fsync
    /// of the log fails; `writer-panics`: the writer thread panics at its first batch).
    #[arg(long, env = "MINT_INJECT_FAULT", hide = true, value_enum)]
    pub inject_fault: Option<InjectFault>,

    /// SQLite: longest time, in microseconds, a group commit waits for requests that are still verifying
    /// and signing, so that they share its transaction and fsync (less CPU per request under load; a lone
    /// request never waits). `0` commits whatever is queued at once.
    #[arg(long, env = "MINT_COMMIT_DELAY_US", default_value_t = DEFAULT_COMMIT_DELAY_US)]
    pub commit_delay_us: u64,

    /// Fee per input of newly created keysets, in parts per thousand of the unit.
    #[arg(long, env = "MINT_INPUT_FEE_PPK", default_value_t = MintSettings::DEFAULT_INPUT_FEE_PPK)]
    pub input_fee_ppk: u64,

    /// Most inputs per request.
    #[arg(long, env = "MINT_MAX_INPUTS", default_value_t = MintSettings::DEFAULT_MAX_INPUTS)]
    pub max_inputs: usize,

    /// Most outputs per request.
    #[arg(long, env = "MINT_MAX_OUTPUTS", default_value_t = MintSettings::DEFAULT_MAX_OUTPUTS)]
    pub max_outputs: usize,

    /// Seconds a melt's lease lasts: a melt whose settler died (a crashed instance) is finished by another
    /// or the restarted instance this long after it started, at the next look (every quarter of it, at most
    /// every 15 s).
    #[arg(long, env = "MINT_MELT_LEASE_SECS", default_value_t = MintSettings::DEFAULT_MELT_LEASE_SECS)]
    pub melt_lease_secs: u64,

    /// Bearer token of the admin API (`/admin`), 64+ hex characters. Default: read from
    /// `DATA_DIR/admin.token`, created with mode 0600 on first start.
    #[arg(long, env = "MINT_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Run an operator command against the database instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |set: bool| if set { Some("[redacted]") } else { None };
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("wallet_dir", &self.wallet_dir)
            .field("name", &self.name)
            .field("description", &self.description)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_connections", &self.max_connections)
            .field("header_read_timeout_secs", &self.header_read_timeout_secs)
            .field("quote_rate_burst", &self.quote_rate_burst)
            .field("quote_rate_per_minute", &self.quote_rate_per_minute)
            .field("client_body_kib_per_sec", &self.client_body_kib_per_sec)
            .field("client_body_burst_kib", &self.client_body_burst_kib)
            .field("database_url", &redacted(self.database_url.is_some()))
            .field("master_secret", &redacted(self.master_secret.is_some()))
            .field("fake_bolt11", &self.fake_bolt11)
            .field("fake_bolt11_fee_reserve", &self.fake_bolt11_fee_reserve)
            .field("fake_bolt11_fee_paid", &self.fake_bolt11_fee_paid)
            .field("cache_ttl_secs", &self.cache_ttl_secs)
            .field("commit_delay_us", &self.commit_delay_us)
            .field("input_fee_ppk", &self.input_fee_ppk)
            .field("max_inputs", &self.max_inputs)
            .field("max_outputs", &self.max_outputs)
            .field("melt_lease_secs", &self.melt_lease_secs)
            .field("admin_token", &redacted(self.admin_token.is_some()))
            .field("inject_fault", &self.inject_fault)
            .field("command", &self.command)
            .finish()
    }
}

/// Operator commands. They open the same database as the server, which may be running, so they run none of
/// its start-up tasks (such as finishing interrupted melts).
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Open a bank account for a public key (SEC1 compressed hex); prints the account as JSON.
    CreateAccount {
        /// The account holder's key.
        #[arg(long)]
        pubkey: String,
    },
    /// Credit a bank account; prints the account as JSON.
    Credit {
        /// Account id.
        #[arg(long)]
        account: String,
        /// Amount in the mint's unit.
        #[arg(long)]
        amount: u64,
        /// A note for the ledger.
        #[arg(long)]
        reference: Option<String>,
    },
    /// Show a bank account as JSON.
    ShowAccount {
        /// Account id.
        #[arg(long)]
        account: String,
    },
    /// Create a new active keyset (older ones stay redeemable, never signed with); prints it as JSON.
    RotateKeyset {
        /// Fee per input of the new keyset, in ppk.
        #[arg(long, default_value_t = 0)]
        input_fee_ppk: u64,
    },
    /// Check the books: per keyset, value signed minus value spent (and held for melts in flight) is what
    /// wallets hold; per bank account, the ledger's entries sum to the balance. Prints tables (or JSON with
    /// `--json`); exits non-zero when an invariant fails. Reads one snapshot; the mint may be serving.
    Audit {
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// SQLite: write a consistent copy of the database to PATH (a new file) while the mint may be serving.
    /// The master secret is not in it: back it up separately. PostgreSQL: use `pg_dump` (see README).
    Backup {
        /// Where the copy goes; must not exist.
        path: std::path::PathBuf,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_is_well_formed() {
        Config::command().debug_assert();
    }

    #[test]
    fn flags_override_defaults() {
        let config = Config::try_parse_from([
            "mint-server",
            "--listen",
            "0.0.0.0:8080",
            "--data-dir",
            "/var/lib/mint",
            "--wallet-dir",
            "/srv/wallet",
            "--name",
            "Test mint",
            "--description",
            "for tests",
            "--max-body-bytes",
            "4096",
        ])
        .unwrap();
        assert_eq!(config.listen, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(config.data_dir, PathBuf::from("/var/lib/mint"));
        assert_eq!(config.wallet_dir, PathBuf::from("/srv/wallet"));
        assert_eq!(config.name, "Test mint");
        assert_eq!(config.description, "for tests");
        assert_eq!(config.max_body_bytes, 4096);
    }

    #[test]
    fn debug_shows_no_secret() {
        let (master, token) = ("11".repeat(32), "22".repeat(32));
        let url = "postgres://mint:hunter2@db/mint";
        let args = ["mint-server", "--master-secret", &master, "--admin-token", &token, "--database-url", url];
        let config = Config::try_parse_from(args).unwrap();
        let shown = format!("{config:?}");
        for secret in [master.as_str(), token.as_str(), "hunter2"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("master_secret: Some(\"[redacted]\")"), "{shown}");
    }

    #[test]
    fn a_bad_listen_address_is_rejected() {
        assert!(Config::try_parse_from(["mint-server", "--listen", "not-an-address"]).is_err());
    }
}
