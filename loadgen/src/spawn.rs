//! Spawning the mint (and, for PostgreSQL, a fresh database) for `--spawn`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail, ensure};

use crate::cli::{Args, Backend};
use crate::http::{Endpoint, call};

pub struct SpawnedMint {
    pub child: Child,
    pub dir: PathBuf,
    pub url: String,
    pub database: Option<(String, String)>,
}

impl SpawnedMint {
    pub fn start(args: &Args, backend: Backend) -> anyhow::Result<SpawnedMint> {
        let bin = match &args.mint_bin {
            Some(bin) => bin.clone(),
            None => std::env::current_exe()?.with_file_name("mint-server"),
        };
        ensure!(bin.is_file(), "no mint-server binary at {} (build it, or pass --mint-bin)", bin.display());
        let dir = std::env::temp_dir().join(format!("loadgen-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let url = format!("http://127.0.0.1:{port}");
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(create_database(&args.postgres_admin_url)?),
        };
        let log = std::fs::File::create(dir.join("mint.log"))?;
        let mut command = Command::new(&bin);
        command
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--wallet-dir")
            .arg(dir.join("no-wallet"))
            .arg("--fake-bolt11")
            // The load generator creates quotes, and sends bodies, from one address far faster than any
            // wallet.
            .arg("--quote-rate-burst")
            .arg("0")
            .arg("--client-body-kib-per-sec")
            .arg("0")
            .args(&args.mint_arg)
            .env("RUST_LOG", &args.mint_log)
            .env_remove("MINT_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if let Some((url, _)) = &database {
            command.arg("--database-url").arg(url);
        }
        eprintln!("{}: starting {} on {url} (data in {})", backend.name(), bin.display(), dir.display());
        let child = command.spawn().with_context(|| format!("cannot start {}", bin.display()))?;
        let mut mint = SpawnedMint { child, dir, url, database };
        mint.wait_ready().inspect_err(|_| {
            let log = std::fs::read_to_string(mint.dir.join("mint.log")).unwrap_or_default();
            eprintln!(
                "mint log:\n{}",
                log.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        })?;
        Ok(mint)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn wait_ready(&mut self) -> anyhow::Result<()> {
        let endpoint = Endpoint::parse(&self.url)?;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if let Some(status) = self.child.try_wait()? {
                bail!("mint-server exited at start: {status}");
            }
            if let Ok(mut conn) = endpoint.connect()
                && call::<serde_json::Value>(&endpoint, &mut conn, "GET", "/v1/info", b"").is_ok()
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("mint-server did not answer within 60 s")
    }

    /// SIGTERM, wait (bounded) for a graceful exit, then clean up the data directory and database.
    pub fn stop(mut self) {
        self.shutdown();
    }

    pub fn shutdown(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
            let started = Instant::now();
            while matches!(self.child.try_wait(), Ok(None)) && started.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(50));
            }
            if matches!(self.child.try_wait(), Ok(None)) {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((_, name)) = self.database.take()
            && let Some(admin) = self.admin_url_for_drop()
            && let Err(error) = drop_database(&admin, &name)
        {
            eprintln!("could not drop database {name}: {error:#}");
        }
    }

    pub fn admin_url_for_drop(&self) -> Option<String> {
        std::env::var("MINT_TEST_POSTGRES_URL")
            .ok()
            .or_else(|| Some("postgres://mint:mint@127.0.0.1:5432/postgres".into()))
    }
}

impl Drop for SpawnedMint {
    fn drop(&mut self) {
        self.shutdown();
    }
}

pub fn postgres_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

/// A fresh database on the admin URL's server: (its URL, its name). Named like the tests' databases so
/// that `scripts/lib.sh` drops it if this process dies before it does.
pub fn create_database(admin_url: &str) -> anyhow::Result<(String, String)> {
    let name = format!("mint_test_bench_{}", uuid::Uuid::new_v4().simple());
    postgres_runtime()?.block_on(async {
        let admin = sqlx::PgPool::connect(admin_url).await.with_context(|| format!("cannot connect to {admin_url}"))?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await?;
        admin.close().await;
        anyhow::Ok(())
    })?;
    let (base, _) = admin_url.rsplit_once('/').ok_or_else(|| anyhow!("the PostgreSQL URL must end in /DATABASE"))?;
    Ok((format!("{base}/{name}"), name))
}

pub fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    postgres_runtime()?.block_on(async {
        let admin = sqlx::PgPool::connect(admin_url).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&admin).await?;
        admin.close().await;
        anyhow::Ok(())
    })
}
