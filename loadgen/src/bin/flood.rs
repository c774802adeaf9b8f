//! `flood` (behind `scripts/flood-test`): how much a flood of the cheapest abusive requests slows honest
//! clients. Spawns the mint binary on SQLite with its default limits, funds itself through the fake bolt11
//! backend, then runs two phases of `--seconds` each in one invocation:
//!
//! 1. quiet: `--honest-clients` connections sending 1-input-1-output swaps back to back, and one prober
//!    sending `GET /v1/info` every 10 ms;
//! 2. flood: the same, beside `--abusive-clients` clients (each from its own loopback address, 127.0.0.2 …,
//!    as distinct attackers would be) cycling through the cheapest abusive requests: a check-state body of
//!    just under 1 MiB (too many `Ys`), a quote creation, a swap with a 900 KB witness, a swap with an
//!    invalid proof (a real point, a wrong signature).
//!
//! Reports honest swaps/s and the `/v1/info` p99 of both phases and their ratio, the abusive requests'
//! answers by status, and the database's growth (its logical size, `page_count × page_size`, and its rows of
//! quotes) during each phase. Fails if an honest swap fails, an abusive request gets a 5xx or no answer (a
//! connection the mint closed after an early refusal is counted, not failed), or
//! an abusive request is accepted that must be refused.

#![allow(clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Parser;
use shared::nuts::{KeysResponse, MintQuoteBolt11Response, MintResponse};
use shared::{Amount, BlindedMessage, KeySet, Proof, Secret, SecretKey, dhke};
use tokio::sync::Mutex;

#[derive(Debug, Parser)]
#[command(name = "flood", about = "Honest swaps and /v1/info latency of a mint, quiet and under a flood")]
struct Args {
    /// The mint-server binary. Default: `mint-server` beside this binary.
    #[arg(long)]
    mint_bin: Option<PathBuf>,
    /// Seconds of each phase (quiet, then flood).
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Honest connections sending swaps.
    #[arg(long, default_value_t = 8)]
    honest_clients: usize,
    /// Abusive clients, each from its own loopback address.
    #[arg(long, default_value_t = 32)]
    abusive_clients: usize,
    /// Notes minted for the honest swaps (each swap spends one; a phase ends early when they run out).
    #[arg(long, default_value_t = 30_000)]
    notes: usize,
    /// An extra flag for the mint (repeatable), e.g. `--mint-arg=--client-body-kib-per-sec=0` to measure
    /// without the per-client body budget.
    #[arg(long, allow_hyphen_values = true)]
    mint_arg: Vec<String>,
}

/// An abusive request: its name, path, body, and the statuses it may get.
type Abuse = (&'static str, &'static str, Vec<u8>, &'static [u16]);

/// What the mint answered one kind of abusive request, by status.
type Answers = BTreeMap<(&'static str, u16), u64>;

/// The "status" of an abusive request whose connection the mint closed before an answer was read.
const CLOSED: u16 = 0;

struct Mint {
    child: Child,
    dir: PathBuf,
    url: String,
}

impl Drop for Mint {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let started = Instant::now();
        while matches!(self.child.try_wait(), Ok(None)) && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn spawn_mint(bin: &Path, extra: &[String]) -> anyhow::Result<Mint> {
    ensure!(bin.is_file(), "no mint-server binary at {} (build it, or pass --mint-bin)", bin.display());
    let dir = std::env::temp_dir().join(format!("flood-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let log = std::fs::File::create(dir.join("mint.log"))?;
    // The mint's defaults (body limit, connection cap, body budget, rate limits on quote creation), unless
    // `extra` changes them.
    let child = Command::new(bin)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--fake-bolt11"])
        .args(extra)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--wallet-dir")
        .arg(dir.join("no-wallet"))
        .env("RUST_LOG", "warn")
        .env_remove("MINT_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    Ok(Mint { child, dir, url: format!("http://127.0.0.1:{port}") })
}

/// The database's logical size in bytes and its rows of quotes, read beside the serving mint.
async fn database_size(dir: &Path) -> anyhow::Result<(i64, i64)> {
    let path = dir.join("data").join("mint.sqlite");
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).read_only(true);
    let pool = sqlx::SqlitePool::connect_with(options).await?;
    let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count").fetch_one(&pool).await?;
    let (page_size,): (i64,) = sqlx::query_as("PRAGMA page_size").fetch_one(&pool).await?;
    let (quotes,): (i64,) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM mint_quotes) + (SELECT COUNT(*) FROM melt_quotes)")
            .fetch_one(&pool)
            .await?;
    pool.close().await;
    Ok((pages * page_size, quotes))
}

async fn wait_ready(client: &reqwest::Client, mint: &mut Mint) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Some(status) = mint.child.try_wait()? {
            bail!("mint-server exited at start: {status}");
        }
        if client.get(format!("{}/v1/info", mint.url)).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("mint-server did not answer within 60 s")
}

/// `count` notes of amount 1, minted through fake bolt11 quotes of 1000 notes.
async fn fund(client: &reqwest::Client, url: &str, keyset: &KeySet, count: usize) -> anyhow::Result<Vec<Proof>> {
    let key = *keyset.keys.amount_key(Amount::from_u64(1))?;
    let mut notes = Vec::with_capacity(count);
    while notes.len() < count {
        let n = (count - notes.len()).min(1000);
        let quote: MintQuoteBolt11Response = client
            .post(format!("{url}/v1/mint/quote/bolt11"))
            .json(&serde_json::json!({ "amount": n, "unit": "sat" }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let mut secrets = Vec::with_capacity(n);
        let mut outputs = Vec::with_capacity(n);
        for _ in 0..n {
            let secret = Secret::generate()?;
            let (blinded, r) = dhke::blind_message(secret.as_bytes(), None)?;
            outputs.push(BlindedMessage {
                amount: Amount::from_u64(1),
                keyset_id: keyset.id,
                blinded_secret: blinded,
                witness: None,
            });
            secrets.push((secret, r));
        }
        let minted: MintResponse = client
            .post(format!("{url}/v1/mint/bolt11"))
            .json(&serde_json::json!({ "quote": quote.quote, "outputs": outputs }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        ensure!(minted.signatures.len() == n, "minted {} of {n}", minted.signatures.len());
        for ((secret, r), signature) in secrets.into_iter().zip(minted.signatures) {
            let c = dhke::unblind_message(&signature.c, &r, &key)?;
            notes.push(Proof {
                amount: Amount::from_u64(1),
                keyset_id: keyset.id,
                secret,
                c,
                witness: None,
                dleq: None,
            });
        }
    }
    Ok(notes)
}

/// A swap body spending `input` for one fresh output of amount 1.
fn swap_body(keyset: &KeySet, input: &Proof) -> anyhow::Result<Vec<u8>> {
    let secret = Secret::generate()?;
    let (blinded, _) = dhke::blind_message(secret.as_bytes(), None)?;
    let output =
        BlindedMessage { amount: Amount::from_u64(1), keyset_id: keyset.id, blinded_secret: blinded, witness: None };
    Ok(serde_json::to_vec(&serde_json::json!({ "inputs": [input], "outputs": [output] }))?)
}

/// The abusive requests, each with the statuses it may get (anything else fails the run).
fn abusive_requests(keyset: &KeySet) -> anyhow::Result<Vec<Abuse>> {
    // Just under the default body limit of 1 MiB: far more Ys than allowed (refused before any decoding).
    let y = format!("\"02{}\"", "ab".repeat(32));
    let count = (1_048_000 - 10) / (y.len() + 1);
    let check_state = format!("{{\"Ys\":[{}]}}", vec![y; count].join(",")).into_bytes();
    let quote = br#"{"amount":1,"unit":"sat"}"#.to_vec();
    let forged = |witness: Option<String>| -> anyhow::Result<Vec<u8>> {
        let proof = Proof {
            amount: Amount::from_u64(1),
            keyset_id: keyset.id,
            secret: Secret::generate()?,
            c: SecretKey::random()?.public_key(),
            witness,
            dleq: None,
        };
        swap_body(keyset, &proof)
    };
    Ok(vec![
        // 429: past the client's body budget (4 MiB/s by default) or its quote limit.
        ("check-state 1 MiB", "/v1/checkstate", check_state, &[400, 429]),
        ("quote creation", "/v1/mint/quote/bank", quote, &[200, 429]),
        ("swap, 900 KB witness", "/v1/swap", forged(Some("w".repeat(900_000)))?, &[400, 429]),
        ("swap, invalid proof", "/v1/swap", forged(None)?, &[400, 429]),
    ])
}

/// Honest swaps and the `/v1/info` probe for `seconds`, with `flood` clients beside them. Returns swaps/s,
/// the p99 of `/v1/info` in ms, and the abusive requests' answers.
async fn phase(
    url: &str,
    args: &Args,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
    flood: Option<Arc<Vec<Abuse>>>,
) -> anyhow::Result<(f64, f64, Answers)> {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.seconds);
    let mut abusers = Vec::new();
    for i in 0..flood.as_ref().map_or(0, |_| args.abusive_clients) {
        let (requests, stop, url) = (Arc::clone(flood.as_ref().expect("flood")), Arc::clone(&stop), url.to_owned());
        let address = IpAddr::V4(Ipv4Addr::new(127, 0, 0, u8::try_from(2 + i % 250).unwrap_or(2)));
        abusers.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().local_address(address).build()?;
            let mut answers = Answers::new();
            let mut n = i;
            while !stop.load(Ordering::Relaxed) {
                let (name, path, body, allowed) = &requests[n % requests.len()];
                n += 1;
                let sent = client
                    .post(format!("{url}{path}"))
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                let status = match sent {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        ensure!(allowed.contains(&status), "{name}: HTTP {status}");
                        status
                    }
                    // A request refused by its declared length is answered before its body is read, and the
                    // mint then closes the connection: a client still sending the body (or reusing that
                    // connection) sees it closed. Counted as `CLOSED`; a mint that died fails the honest
                    // swaps and the health check instead.
                    Err(error) if error.is_request() => CLOSED,
                    Err(error) => return Err(error).context(format!("{name}: no answer")),
                };
                *answers.entry((*name, status)).or_default() += 1;
            }
            anyhow::Ok(answers)
        }));
    }
    let mut honest = Vec::new();
    for _ in 0..args.honest_clients {
        let (bodies, url) = (Arc::clone(&bodies), url.to_owned());
        honest.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut done = 0u64;
            let mut last = Instant::now();
            while Instant::now() < deadline {
                let Some(body) = bodies.lock().await.pop() else { break };
                let response = client
                    .post(format!("{url}/v1/swap"))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                let status = response.status();
                let text = response.text().await?;
                ensure!(status == 200, "honest swap: HTTP {status}: {text}");
                done += 1;
                last = Instant::now();
            }
            anyhow::Ok((done, last))
        }));
    }
    let probe = {
        let url = url.to_owned();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut times = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let response = client.get(format!("{url}/v1/info")).send().await?;
                ensure!(response.status() == 200, "/v1/info: HTTP {}", response.status());
                let _ = response.bytes().await?;
                times.push(sent.elapsed().as_secs_f64() * 1000.0);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            anyhow::Ok(times)
        })
    };
    let mut swaps = 0;
    let mut ended = started;
    for task in honest {
        let (done, last) = task.await??;
        swaps += done;
        ended = ended.max(last);
    }
    let mut times = probe.await??;
    stop.store(true, Ordering::Relaxed);
    let mut answers = Answers::new();
    for task in abusers {
        for (key, count) in task.await?? {
            *answers.entry(key).or_default() += count;
        }
    }
    ensure!(!times.is_empty(), "no /v1/info answer");
    times.sort_by(f64::total_cmp);
    let p99 = times[((times.len() as f64 * 0.99).ceil() as usize).saturating_sub(1).min(times.len() - 1)];
    let elapsed = ended.duration_since(started).as_secs_f64().max(1e-3);
    Ok((swaps as f64 / elapsed, p99, answers))
}

async fn run(args: Args) -> anyhow::Result<()> {
    ensure!(args.seconds > 0.0 && args.seconds <= 600.0, "--seconds must be in (0, 600]");
    ensure!((1..=250).contains(&args.abusive_clients), "--abusive-clients must be in 1..=250");
    let bin = match &args.mint_bin {
        Some(bin) => bin.clone(),
        None => std::env::current_exe()?.with_file_name("mint-server"),
    };
    let mut mint = spawn_mint(&bin, &args.mint_arg)?;
    let client = reqwest::Client::new();
    wait_ready(&client, &mut mint).await?;
    let keys: KeysResponse = client.get(format!("{}/v1/keys", mint.url)).send().await?.json().await?;
    let keyset = keys.keysets.into_iter().next().context("the mint has no keyset")?;
    eprintln!("flood: minting {} notes ...", args.notes);
    let notes = fund(&client, &mint.url, &keyset, args.notes).await?;
    let mut bodies = notes.iter().map(|note| swap_body(&keyset, note)).collect::<anyhow::Result<Vec<_>>>()?;
    let half = bodies.split_off(bodies.len() / 2);
    let flood = Arc::new(abusive_requests(&keyset)?);

    let before = database_size(&mint.dir).await?;
    eprintln!("flood: quiet phase, {} s ...", args.seconds);
    let (quiet_rate, quiet_p99, _) = phase(&mint.url, &args, Arc::new(Mutex::new(bodies)), None).await?;
    let middle = database_size(&mint.dir).await?;
    eprintln!("flood: flood phase, {} s, {} abusive clients ...", args.seconds, args.abusive_clients);
    let (flood_rate, flood_p99, answers) =
        phase(&mint.url, &args, Arc::new(Mutex::new(half)), Some(Arc::clone(&flood))).await?;
    let after = database_size(&mint.dir).await?;
    let health = client.get(format!("{}/health", mint.url)).send().await?.status();
    ensure!(health == 200, "/health after the flood: {health}");

    println!("| phase | honest swaps/s | /v1/info p99 | database growth | quote rows added |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| quiet | {quiet_rate:.0} | {quiet_p99:.2} ms | {} bytes | {} |",
        middle.0 - before.0,
        middle.1 - before.1
    );
    println!(
        "| flood ({} abusive clients) | {flood_rate:.0} | {flood_p99:.2} ms | {} bytes | {} |",
        args.abusive_clients,
        after.0 - middle.0,
        after.1 - middle.1
    );
    println!(
        "| flood / quiet | {:.2}x | {:.2}x | | |",
        flood_rate / quiet_rate.max(1e-9),
        flood_p99 / quiet_p99.max(1e-9)
    );
    println!();
    println!("| abusive request | status | answers |");
    println!("|---|---:|---:|");
    for ((name, status), count) in &answers {
        let status = if *status == CLOSED { "closed".to_owned() } else { status.to_string() };
        println!("| {name} | {status} | {count} |");
    }
    let total: u64 = answers.values().sum();
    ensure!(total > 0, "the abusive clients sent nothing");
    Ok(())
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a Tokio runtime");
    if let Err(error) = runtime.block_on(run(args)) {
        eprintln!("flood: {error:#}");
        std::process::exit(1);
    }
}
