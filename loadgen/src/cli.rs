//! The command line.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    about = "Swap throughput and latency of a mint, next to the crypto-only ceiling",
    args_conflicts_with_subcommands = true
)]
pub struct Args {
    /// Another mode than the throughput measurement.
    #[command(subcommand)]
    pub mode: Option<Mode>,

    /// Measure offline-coin deposits instead of swaps (with --spawn): coins withdrawn and paid beforehand,
    /// deposited concurrently, next to the crypto-only ceiling of the deposits' curve work.
    #[arg(long)]
    pub offline: bool,

    /// With --offline: deposits per request; above 1 they go in batches to `POST /v1/offline/deposits`
    /// (latencies are then per batch; rates and CPU per deposit).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub deposit_batch: u16,

    /// A running mint started with --fake-bolt11, e.g. http://127.0.0.1:3338.
    #[arg(long)]
    pub url: Option<String>,

    /// Name of the --url target in the table.
    #[arg(long, default_value = "mint")]
    pub label: String,

    /// Process id of the --url mint, to report its CPU time per swap.
    #[arg(long)]
    pub mint_pid: Option<u32>,

    /// The database of the --url mint (with `postgres`, the CPU time of all PostgreSQL processes on this
    /// machine is reported per swap).
    #[arg(long, value_enum, default_value = "sqlite")]
    pub url_backend: Backend,

    /// Start the mint-server binary on this backend (repeatable: each is measured in turn).
    #[arg(long, value_enum)]
    pub spawn: Vec<Backend>,

    /// The mint-server binary for --spawn. Default: `mint-server` beside this binary.
    #[arg(long)]
    pub mint_bin: Option<PathBuf>,

    /// `RUST_LOG` of a spawned mint (its log goes to a file in its temporary data directory).
    #[arg(long, default_value = "info")]
    pub mint_log: String,

    /// Extra arguments for a spawned mint (repeatable), e.g. --mint-arg=--max-inputs=10.
    #[arg(long, allow_hyphen_values = true)]
    pub mint_arg: Vec<String>,

    /// PostgreSQL server and database the user may `CREATE DATABASE` from; --spawn postgres creates a fresh
    /// database there and drops it afterwards.
    #[arg(long, env = "MINT_TEST_POSTGRES_URL", default_value = "postgres://mint:mint@127.0.0.1:5432/postgres")]
    pub postgres_admin_url: String,

    /// Concurrency levels (client connections sending back to back).
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 8, 64])]
    pub concurrency: Vec<usize>,

    /// Timed seconds per concurrency level.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,

    /// Seconds of the crypto-only ceiling (measured before and after the end-to-end runs).
    #[arg(long, default_value_t = 3.0)]
    pub ceiling_seconds: f64,

    /// A level's load runs in slices of this many seconds; before each slice and after the last one the
    /// load pauses and the crypto-only ceiling runs for --paired-ceiling-seconds. Each level is compared
    /// with the ceiling measured around its own slices: this machine's speed changes by tens of percent
    /// from one second to the next, and a ceiling measured a minute apart says little about a given level.
    #[arg(long, default_value_t = 1.0)]
    pub slice_seconds: f64,

    /// Seconds of each paired ceiling measurement between slices (see --slice-seconds).
    #[arg(long, default_value_t = 0.5)]
    pub paired_ceiling_seconds: f64,

    /// Seconds of the storage-only ceiling (the SQLite store alone, in this process, committing what swaps
    /// commit from as many tasks as the highest concurrency level); 0 skips it.
    #[arg(long, default_value_t = 3.0)]
    pub storage_seconds: f64,

    /// Threads of the crypto-only ceiling. Default: the number of cores.
    #[arg(long)]
    pub ceiling_threads: Option<usize>,

    /// Upper bound on notes minted per target (each timed swap spends one; with --offline, coins withdrawn).
    #[arg(long, default_value_t = 300_000)]
    pub max_notes: usize,
}

/// Modes beside the throughput measurement.
#[derive(Debug, clap::Subcommand)]
pub enum Mode {
    /// Crash test: kill -9 the mint at random moments under a swap/mint/melt mix, restart it, and check
    /// that no acknowledged operation is lost, none is half-applied, and the books hold.
    Crash(CrashArgs),
}

#[derive(Debug, clap::Args)]
pub struct CrashArgs {
    /// The database of the spawned mint.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub backend: Backend,

    /// How many times the mint is killed (and restarted).
    #[arg(long, default_value_t = 100)]
    pub kills: usize,

    /// Concurrent clients (one wallet each).
    #[arg(long, default_value_t = 4)]
    pub clients: usize,

    /// Shortest time the clients run before a kill, in milliseconds.
    #[arg(long, default_value_t = 50)]
    pub min_delay_ms: u64,

    /// Longest time the clients run before a kill, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub max_delay_ms: u64,

    /// The mint-server binary. Default: `mint-server` beside this binary.
    #[arg(long)]
    pub mint_bin: Option<PathBuf>,

    /// Seconds to wait at the end for melts the mint still had in flight (it takes over a dead instance's
    /// melt once its lease, 120 s, has expired, looking every 15 s).
    #[arg(long, default_value_t = 180)]
    pub settle_timeout_secs: u64,

    /// Extra arguments for the mint when serving (repeatable), e.g. --mint-arg=--commit-delay-us=0.
    #[arg(long, allow_hyphen_values = true)]
    pub mint_arg: Vec<String>,

    /// `RUST_LOG` of the mint (its log goes to a file in its temporary directory, kept on failure).
    #[arg(long, default_value = "warn")]
    pub mint_log: String,

    /// PostgreSQL server and database the user may `CREATE DATABASE` from (--backend postgres creates a
    /// fresh database there and drops it afterwards).
    #[arg(long, env = "MINT_TEST_POSTGRES_URL", default_value = "postgres://mint:mint@127.0.0.1:5432/postgres")]
    pub postgres_admin_url: String,
}
