//! `loadgen --offline`: offline-coin deposits per second at the mint over HTTP, next to the crypto-only
//! ceiling of the same work measured in the same run (paired slices, as for swaps).
//!
//! Per target, untimed: payer bank accounts are opened through the admin API (the token is read from the
//! spawned mint's data directory), registered for offline use and bonded; each payer withdraws coins of 1
//! through the mint's endpoints (session and blind signature; one open session per account, so the payers
//! run in parallel), pays each coin with `shared` to a payee (a fresh payment request per coin), and the
//! payee's deposit to a shop's account (one per payer) is prepared as complete HTTP request bytes. Then, at each
//! concurrency level, the deposits are sent back to back in slices with the crypto-only ceiling measured
//! between them (`measure::timed_level`); each deposit is of a fresh coin. After the clock stops every answer
//! is checked: 200, a receipt `paid` for 1, and a sample of receipts verified with the receipt key.
//!
//! The crypto-only ceiling is the mint's curve work per deposit (`mint_server::offline`, deposit), in this
//! process on every core: decoding the transcript's points from their compressed encodings, the payee's
//! signature on the destination, the transcript (coin, response, the payee's signature) and the receipt's
//! signature.

use std::hint::black_box;
use std::sync::atomic::AtomicUsize;
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, ensure};
use serde::de::DeserializeOwned;
use shared::nuts::bank::AccountInfo;
use shared::offline::api::{
    AccountResponse, BondRequest, DepositBatchRequest, DepositBatchResponse, DepositRequest, DepositResponse,
    DepositResult, KeysetsResponse, RegisterRequest, SessionRequest, SessionResponseBody, WithdrawRequest,
    WithdrawalTranscript, deposit_parts,
};
use shared::offline::auth::{self, op};
use shared::offline::{
    CoinSecrets, DepositOutcome, DepositReceipt, DepositTranscript, IdentitySecret, MintSession, OfflineKeyset,
    OfflineMintKeyset, Payment, PaymentRequest, PendingWithdrawal, WalletCoin,
};
use shared::{CurrencyUnit, PublicKey, SecretKey};

use crate::ceiling::{Ceiling, mean_ceiling};
use crate::cli::Args;
use crate::cpu::{
    CpuSnapshot, clock_ticks_per_second, cpu_use, load_average, process_ticks, system_ticks, thread_nanos, thread_use,
};
use crate::format::fmt_us;
use crate::http::{Connection, Endpoint, call};
use crate::measure::{LevelRun, Sample, percentile, timed_level};
use crate::spawn::SpawnedMint;

/// One in this many deposit answers gets its receipt's signature verified after the clock stops.
const RECEIPT_SAMPLE_EVERY: usize = 20;
/// Payers withdrawing in parallel during the setup (each has one open session at a time).
const PAYERS: usize = 16;
/// The shop's account name inside the ceiling's deposits (any id: the ceiling does no lookup).
const CEILING_ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

fn random32() -> anyhow::Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow!("random: {e}"))?;
    Ok(bytes)
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The payer pays `coin` to `payee` (a fresh request at `time`); the payee's deposit to `account`.
fn deposit_request(
    u1: &IdentitySecret,
    coin: &WalletCoin,
    payee: &SecretKey,
    time: u64,
    account: &str,
) -> anyhow::Result<(DepositRequest, usize)> {
    let request = PaymentRequest::new(payee.public_key(), time, coin.coin.amount)?;
    let spent = coin.respond(u1, &request)?;
    // What the payer hands over for this coin (the payment's JSON, one coin).
    let size = serde_json::to_vec(&Payment { coins: vec![spent.clone()] })?.len();
    let transcript = DepositTranscript::sign(&spent, &request, payee)?;
    let message = transcript.message()?;
    let parts = deposit_parts(Some(account), &message, None);
    let signature = auth::sign(payee, op::DEPOSIT, &[&parts[0], &parts[1], &parts[2]])?;
    Ok((DepositRequest { transcript, account: Some(account.to_owned()), outputs: None, signature }, size))
}

/// The mint's curve work for one deposit to an account: decoding the transcript's six points from their
/// 33-byte compressed encodings (as they arrive; a square root each), the destination's signature, the
/// transcript, the receipt.
fn deposit_crypto(
    keyset: &OfflineKeyset,
    receipt_key: &SecretKey,
    request: &DepositRequest,
    now: u64,
) -> anyhow::Result<()> {
    let mut transcript = request.transcript.clone();
    let coin = &mut transcript.coin;
    for point in [&mut coin.a_point, &mut coin.b_point, &mut coin.z, &mut coin.a, &mut coin.b, &mut transcript.payee] {
        *point = PublicKey::from_slice(&point.to_bytes())?;
    }
    let transcript = &transcript;
    let message = transcript.message()?;
    let parts = deposit_parts(request.account.as_deref(), &message, request.outputs.as_deref());
    auth::verify_vartime(&transcript.payee, op::DEPOSIT, &[&parts[0], &parts[1], &parts[2]], &request.signature)?;
    transcript.verify_vartime(keyset)?;
    let amount = transcript.coin.amount;
    black_box(DepositReceipt::sign(receipt_key, transcript, DepositOutcome::Paid, amount, 0, now)?);
    Ok(())
}

/// The precomputed deposits of the crypto-only ceiling (an in-process keyset and mint), reused by every
/// measurement (verifying is read-only).
pub struct DepositWork {
    keyset: OfflineKeyset,
    receipt_key: SecretKey,
    requests: Vec<DepositRequest>,
    threads: usize,
}

impl DepositWork {
    pub fn new(threads: usize) -> anyhow::Result<DepositWork> {
        let mint = OfflineMintKeyset::derive(&random32()?, 0, 20, CurrencyUnit::Sat, 1_000, 2_000, 3_000)?;
        let u1 = IdentitySecret::random()?;
        let identity = u1.identity()?;
        let payee = SecretKey::random()?;
        let requests = (0..128)
            .map(|_| -> anyhow::Result<DepositRequest> {
                let (session, start) = MintSession::start(&mint, 1, &identity, SecretKey::random()?)?;
                let (pending, challenge) =
                    PendingWithdrawal::prepare(&identity, &mint.public, &start, CoinSecrets::random()?)?;
                let coin = pending.finish(&session.respond(&challenge)?)?;
                Ok(deposit_request(&u1, &coin, &payee, 1_500, CEILING_ACCOUNT)?.0)
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(DepositWork { keyset: mint.public, receipt_key: SecretKey::random()?, requests, threads })
    }
}

/// A ceiling measurement with the CPU it took: this process's CPU ticks and the deposits verified.
#[derive(Debug, Clone, Copy)]
pub struct DepositCeiling {
    pub ceiling: Ceiling,
    pub done: usize,
    pub ticks: u64,
}

/// CPU microseconds per deposit over these measurements.
fn crypto_us(runs: &[DepositCeiling]) -> f64 {
    let ticks: u64 = runs.iter().map(|r| r.ticks).sum();
    let done: usize = runs.iter().map(|r| r.done).sum();
    ticks as f64 / clock_ticks_per_second() * 1e6 / done.max(1) as f64
}

fn rates(runs: &[DepositCeiling]) -> Vec<Ceiling> {
    runs.iter().map(|r| r.ceiling).collect()
}

/// Deposits per second of [`deposit_crypto`] on `work.threads` threads for `seconds`.
pub fn deposit_ceiling(work: &DepositWork, seconds: f64) -> anyhow::Result<DepositCeiling> {
    let duration = Duration::from_secs_f64(seconds);
    let barrier = Barrier::new(work.threads);
    let (system_before, self_before) = (system_ticks(), process_ticks("self").unwrap_or(0));
    let counts = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..work.threads)
            .map(|t| {
                let barrier = &barrier;
                scope.spawn(move || -> anyhow::Result<(usize, Duration)> {
                    barrier.wait();
                    let start = Instant::now();
                    let mut done = 0usize;
                    while start.elapsed() < duration {
                        let request = &work.requests[(t * 37 + done) % work.requests.len()];
                        deposit_crypto(&work.keyset, &work.receipt_key, request, 1_600)?;
                        done += 1;
                    }
                    Ok((done, start.elapsed()))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().map_err(|_| anyhow!("ceiling thread panicked"))?).collect::<Vec<_>>()
    });
    let (system_after, self_after) = (system_ticks(), process_ticks("self").unwrap_or(0));
    let mut rate = 0.0;
    let mut all = 0;
    for count in counts {
        let (done, elapsed) = count?;
        rate += done as f64 / elapsed.as_secs_f64();
        all += done;
    }
    let busy = system_after.0.saturating_sub(system_before.0);
    let total = system_after.2.saturating_sub(system_before.2).max(1);
    let ticks = self_after.saturating_sub(self_before);
    let others = busy.saturating_sub(ticks) as f64 / total as f64;
    Ok(DepositCeiling { ceiling: Ceiling { rate, seconds, others }, done: all, ticks })
}

/// `POST path` with the admin token.
fn admin<T: DeserializeOwned>(
    endpoint: &Endpoint,
    conn: &mut Connection,
    token: &str,
    path: &str,
    body: &serde_json::Value,
) -> anyhow::Result<T> {
    let body = serde_json::to_vec(body)?;
    let mut bytes = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        endpoint.host,
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(&body);
    let response = conn.send(&bytes)?;
    if response.close {
        *conn = endpoint.connect()?;
    }
    ensure!(
        response.status == 200,
        "POST {path}: HTTP {}: {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    serde_json::from_slice(&response.body).with_context(|| format!("POST {path}: unreadable response"))
}

fn post<B: serde::Serialize, T: DeserializeOwned>(
    endpoint: &Endpoint,
    conn: &mut Connection,
    path: &str,
    body: &B,
) -> anyhow::Result<T> {
    call(endpoint, conn, "POST", path, &serde_json::to_vec(body)?)
}

/// What the setup of a target produced.
struct Prepared {
    /// Complete HTTP requests, each depositing `per_request` fresh coins.
    deposits: Vec<Vec<u8>>,
    /// Deposits per request (1: `POST /v1/offline/deposit`, more: `POST /v1/offline/deposits`).
    per_request: usize,
    receipt_key: PublicKey,
    /// Mean bytes of a one-coin payment's JSON.
    payment_bytes: f64,
    seconds: f64,
}

/// One payer: open, register and bond an account, withdraw `coins` coins of 1, pay each and prepare its
/// deposit to a shop's account (one shop per payer, so that deposits do not all credit one row).
fn payer(
    endpoint: &Endpoint,
    token: &str,
    keyset: &OfflineKeyset,
    coins: usize,
    per_request: usize,
) -> anyhow::Result<(Vec<Vec<u8>>, usize)> {
    let mut conn = endpoint.connect()?;
    let shop: AccountInfo = admin(
        endpoint,
        &mut conn,
        token,
        "/admin/accounts",
        &serde_json::json!({ "pubkey": SecretKey::random()?.public_key() }),
    )?;
    let shop = shop.id.as_str();
    let key = SecretKey::random()?;
    let info: AccountInfo =
        admin(endpoint, &mut conn, token, "/admin/accounts", &serde_json::json!({ "pubkey": key.public_key() }))?;
    let account = info.id;
    let bond = coins as u64;
    let credit = serde_json::json!({ "amount": 2 * bond });
    let _: AccountInfo = admin(endpoint, &mut conn, token, &format!("/admin/accounts/{account}/credit"), &credit)?;
    let u1 = IdentitySecret::random()?;
    let registration = u1.prove_registration(account.as_bytes())?;
    let signature = auth::sign(&key, op::REGISTER, &[account.as_bytes(), &registration.identity.to_bytes()])?;
    let _: AccountResponse = post(
        endpoint,
        &mut conn,
        "/v1/offline/register",
        &RegisterRequest { account: account.clone(), registration, signature },
    )?;
    let signature = auth::sign(&key, op::BOND, &[account.as_bytes(), &bond.to_be_bytes(), &bond.to_be_bytes()])?;
    let _: AccountResponse = post(
        endpoint,
        &mut conn,
        "/v1/offline/bond",
        &BondRequest { account: account.clone(), bond, limit: bond, signature },
    )?;
    let identity = u1.identity()?;
    let payee = SecretKey::random()?;
    let mut deposits = Vec::with_capacity(coins);
    let mut batch = Vec::with_capacity(per_request);
    let mut bytes = 0;
    for _ in 0..coins {
        let request = SessionRequest::sign(&key, &account, keyset.id, 1, random32()?)?;
        let session: SessionResponseBody = post(endpoint, &mut conn, "/v1/offline/session", &request)?;
        let (pending, challenge) =
            PendingWithdrawal::prepare(&identity, keyset, &session.start, CoinSecrets::random()?)?;
        let parts: [&[u8]; 3] = [account.as_bytes(), session.session.as_bytes(), &challenge.c0.to_bytes()];
        let signature = auth::sign(&key, op::WITHDRAW, &parts)?;
        let request = WithdrawRequest { account: account.clone(), session: session.session, challenge, signature };
        let answer: WithdrawalTranscript = post(endpoint, &mut conn, "/v1/offline/withdraw", &request)?;
        let coin = pending.finish(&answer.response)?;
        let (deposit, size) = deposit_request(&u1, &coin, &payee, unix_now(), shop)?;
        bytes += size;
        if per_request == 1 {
            deposits.push(endpoint.request_bytes("POST", "/v1/offline/deposit", &serde_json::to_vec(&deposit)?));
            continue;
        }
        batch.push(deposit);
        if batch.len() == per_request {
            let body = serde_json::to_vec(&DepositBatchRequest { deposits: std::mem::take(&mut batch) })?;
            deposits.push(endpoint.request_bytes("POST", "/v1/offline/deposits", &body));
        }
    }
    Ok((deposits, bytes))
}

fn prepare(mint: &SpawnedMint, count: usize, per_request: usize) -> anyhow::Result<Prepared> {
    let started = Instant::now();
    let endpoint = Endpoint::parse(&mint.url)?;
    let token_path = mint.dir.join("data").join("admin.token");
    let token =
        std::fs::read_to_string(&token_path).with_context(|| format!("cannot read {}", token_path.display()))?;
    let token = token.trim();
    let mut conn = endpoint.connect()?;
    let keysets: KeysetsResponse = call(&endpoint, &mut conn, "GET", "/v1/offline/keysets", b"")?;
    let now = unix_now();
    let keyset = keysets
        .keysets
        .iter()
        .find(|k| k.valid_from <= now && now < k.valid_until)
        .ok_or_else(|| anyhow!("the mint has no current offline keyset"))?
        .clone();
    keyset.verify_id_vartime()?;
    let per_payer = count.div_ceil(PAYERS).div_ceil(per_request).max(1) * per_request;
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..PAYERS)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    let batch = payer(&endpoint, token, &keyset, per_payer, per_request)?;
                    results.lock().map_err(|_| anyhow!("poisoned"))?.push(batch);
                    Ok(())
                })
            })
            .collect();
        for handle in handles {
            handle.join().map_err(|_| anyhow!("payer thread panicked"))??;
        }
        Ok(())
    })?;
    let mut deposits = Vec::new();
    let mut bytes = 0;
    let mut coins = 0;
    for (batch, size) in results.into_inner().map_err(|_| anyhow!("poisoned"))? {
        coins += batch.len() * per_request;
        deposits.extend(batch);
        bytes += size;
    }
    let payment_bytes = bytes as f64 / coins.max(1) as f64;
    let seconds = started.elapsed().as_secs_f64();
    Ok(Prepared { deposits, per_request, receipt_key: keysets.receipt_key, payment_bytes, seconds })
}

/// The deposit answers in a response body: one, or a batch's.
fn answers(body: &[u8], per_request: usize) -> Result<Vec<DepositResponse>, String> {
    if per_request == 1 {
        return serde_json::from_slice::<DepositResponse>(body)
            .map(|answer| vec![answer])
            .map_err(|error| format!("unreadable deposit answer: {error}"));
    }
    let batch: DepositBatchResponse =
        serde_json::from_slice(body).map_err(|error| format!("unreadable batch answer: {error}"))?;
    if batch.results.len() != per_request {
        return Err(format!("{} results for {per_request} deposits", batch.results.len()));
    }
    batch
        .results
        .into_iter()
        .map(|result| match result {
            DepositResult::Response(answer) => Ok(answer),
            DepositResult::Error(error) => Err(format!("deposit refused: {} {}", error.code, error.detail)),
        })
        .collect()
}

/// Check every answer after the clock stopped. Returns (errors, receipts verified), counted in deposits.
fn check(samples: &[Sample], receipt_key: &PublicKey, per_request: usize) -> (usize, usize) {
    let mut errors = 0;
    let mut verified = 0;
    let mut first_error: Option<String> = None;
    for (n, sample) in samples.iter().enumerate() {
        let verdict = match &sample.outcome {
            Err(error) => Err(error.clone()),
            Ok(response) if response.status != 200 => {
                Err(format!("HTTP {}: {}", response.status, String::from_utf8_lossy(&response.body)))
            }
            Ok(response) => answers(&response.body, per_request).and_then(|answers| {
                for (i, answer) in answers.iter().enumerate() {
                    if answer.receipt.outcome != DepositOutcome::Paid || answer.receipt.amount_paid != 1 {
                        return Err(format!("unexpected receipt {:?}", answer.receipt));
                    }
                    if (n * per_request + i) % RECEIPT_SAMPLE_EVERY == 0 {
                        verified += 1;
                        answer
                            .receipt
                            .verify_vartime(receipt_key)
                            .map_err(|e| format!("receipt does not verify: {e}"))?;
                    }
                }
                Ok(())
            }),
        };
        if let Err(error) = verdict {
            errors += per_request;
            first_error.get_or_insert(error);
        }
    }
    if let Some(error) = first_error {
        eprintln!("  {errors} failed deposits; the first: {error}");
    }
    (errors, verified)
}

/// One concurrency level of one target.
struct Level {
    target: &'static str,
    concurrency: usize,
    deposits: usize,
    /// Deposits per request.
    per_request: usize,
    rate: f64,
    ceilings: Vec<DepositCeiling>,
    p50: u64,
    p99: u64,
    /// CPU microseconds per deposit of the mint's process and of PostgreSQL's, over the whole level.
    mint_us: f64,
    postgres_us: Option<f64>,
    /// Share of the machine other processes took during the slices.
    others: f64,
    /// The mint's CPU microseconds per deposit by thread name, over the whole level.
    threads: Vec<(String, f64)>,
    errors: usize,
    verified: usize,
    ran_out: bool,
}

/// `loadgen --offline`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    ensure!(!args.spawn.is_empty(), "--offline needs --spawn (it reads the spawned mint's admin token)");
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads = args.ceiling_threads.unwrap_or(cores).clamp(1, 256);
    eprintln!("loadgen --offline: {cores} cores, load average {}", load_average());
    let work = DepositWork::new(threads)?;
    let mut ceilings = vec![deposit_ceiling(&work, args.ceiling_seconds)?];
    eprintln!("crypto-only deposit ceiling ({threads} threads): {:.0}/s", ceilings[0].ceiling.rate);
    let total_seconds = args.seconds * args.concurrency.len() as f64;
    let count =
        ((ceilings[0].ceiling.rate * total_seconds) as usize + 64 * args.concurrency.len()).min(args.max_notes).max(1);
    let mut levels = Vec::new();
    let mut payment_bytes = 0.0;
    for backend in &args.spawn {
        let mint = SpawnedMint::start(args, *backend)?;
        let name = backend.name();
        eprintln!("{name}: withdrawing and paying {count} coins of 1 ({PAYERS} payers, untimed) ...");
        let prepared = prepare(&mint, count, usize::from(args.deposit_batch));
        let prepared = match prepared {
            Ok(prepared) => prepared,
            Err(error) => {
                mint.stop();
                return Err(error);
            }
        };
        eprintln!("  done in {:.1} s", prepared.seconds);
        payment_bytes = prepared.payment_bytes;
        let endpoint = Endpoint::parse(&mint.url)?;
        let next = AtomicUsize::new(0);
        let pid = Some(mint.pid());
        for &c in &args.concurrency {
            let mut paired = Vec::new();
            eprintln!("{name}: deposits at c={c}, {:.0} s ...", args.seconds);
            let before = CpuSnapshot::take(pid, *backend);
            let threads_before = thread_nanos(mint.pid());
            let run = timed_level(
                &endpoint,
                &prepared.deposits,
                &next,
                (c, args.seconds, args.slice_seconds),
                &|| CpuSnapshot::take(pid, *backend),
                &mut || {
                    paired.push(deposit_ceiling(&work, args.paired_ceiling_seconds)?);
                    Ok(())
                },
            );
            let after = CpuSnapshot::take(pid, *backend);
            let threads_after = thread_nanos(mint.pid());
            let LevelRun { samples, in_window, seconds, ran_out, cpu: slices } = match run {
                Ok(run) => run,
                Err(error) => {
                    mint.stop();
                    return Err(error);
                }
            };
            let tick = clock_ticks_per_second();
            let per_request = prepared.per_request;
            let done = samples.len() * per_request;
            let whole = cpu_use(&before, &after, done, *backend, tick);
            let during = cpu_use(&CpuSnapshot::default(), &slices, done, *backend, tick);
            let (errors, verified) = check(&samples, &prepared.receipt_key, per_request);
            let mut micros: Vec<u64> = samples.iter().map(|s| s.micros).collect();
            micros.sort_unstable();
            let level = Level {
                target: name,
                concurrency: c,
                deposits: done,
                per_request,
                rate: (in_window * per_request) as f64 / seconds.max(1e-9),
                ceilings: paired,
                p50: percentile(&micros, 50.0),
                p99: percentile(&micros, 99.0),
                mint_us: whole.mint_us.unwrap_or(0.0),
                postgres_us: whole.postgres_us,
                others: during.others,
                threads: thread_use(&threads_before, &threads_after, done),
                errors,
                verified,
                ran_out,
            };
            let ceiling = mean_ceiling(&rates(&level.ceilings)).0;
            eprintln!(
                "  {} deposits = {:.0}/s ({:.0}% of the paired ceiling {:.0}/s), p50 {} p99 {}, errors {}{}",
                level.deposits,
                level.rate,
                100.0 * level.rate / ceiling.max(1e-9),
                ceiling,
                fmt_us(level.p50),
                fmt_us(level.p99),
                level.errors,
                if ran_out { " (ran out of coins)" } else { "" }
            );
            levels.push(level);
        }
        mint.stop();
    }
    ceilings.push(deposit_ceiling(&work, args.ceiling_seconds)?);
    println!("{}", report(threads, cores, &ceilings, &levels, payment_bytes));
    let errors: usize = levels.iter().map(|l| l.errors).sum();
    ensure!(errors == 0, "{errors} deposits failed");
    Ok(())
}

fn report(threads: usize, cores: usize, ceilings: &[DepositCeiling], levels: &[Level], payment_bytes: f64) -> String {
    let mut out = String::new();
    let (mean, low, high) = mean_ceiling(&rates(ceilings));
    let all: Vec<DepositCeiling> = ceilings.iter().chain(levels.iter().flat_map(|l| &l.ceilings)).copied().collect();
    let crypto = crypto_us(&all);
    out.push_str(&format!(
        "Offline deposits over HTTP ({cores} cores). Crypto-only ceiling (the mint's curve work per deposit: \
         decoding its six points, destination signature, transcript, receipt; {threads} threads): {mean:.0}/s before and after the run \
         (range {low:.0} .. {high:.0}), {crypto:.0} µs of CPU per deposit over all its runs; each level is \
         compared with the ceiling measured between its own slices. CPU ratio: the crypto's CPU per deposit over \
         the mint's and PostgreSQL's, the share of the ceiling the mint reaches when nothing else runs; others: \
         the share of the machine other processes took during the slices.\n\n"
    ));
    out.push_str(
        "| target | c | per request | deposits | deposits/s | paired ceiling/s | ratio | p50 | p99 | mint CPU/deposit | \
         PostgreSQL CPU/deposit | CPU ratio | others | errors | receipts verified |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for level in levels {
        let ceiling = mean_ceiling(&rates(&level.ceilings)).0;
        let server = level.mint_us + level.postgres_us.unwrap_or(0.0);
        out.push_str(&format!(
            "| {} | {} | {} | {} | {:.0} | {:.0} | {:.0}% | {} | {} | {:.0} µs | {} | {:.0}% | {:.0}% | {} | {}{} |\n",
            level.target,
            level.concurrency,
            level.per_request,
            level.deposits,
            level.rate,
            ceiling,
            100.0 * level.rate / ceiling.max(1e-9),
            fmt_us(level.p50),
            fmt_us(level.p99),
            level.mint_us,
            level.postgres_us.map_or("-".to_owned(), |us| format!("{us:.0} µs")),
            100.0 * crypto / server.max(1e-9),
            100.0 * level.others,
            level.errors,
            level.verified,
            if level.ran_out { " (ran out of coins)" } else { "" }
        ));
    }
    out.push_str("\nThe mint's CPU per deposit by thread (scheduler's count, whole level):\n\n");
    for level in levels {
        let threads: Vec<String> = level.threads.iter().map(|(name, us)| format!("{name} {us:.0} µs")).collect();
        out.push_str(&format!("- {} c={}: {}\n", level.target, level.concurrency, threads.join(", ")));
    }
    out.push_str(&format!("\nA one-coin payment's JSON (`{{\"coins\": [...]}}`): {payment_bytes:.0} bytes.\n"));
    out
}
