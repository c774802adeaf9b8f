//! `loadgen crash`: kill the mint with SIGKILL at random moments under a swap/mint/melt mix, restart it on
//! the same database, and check that nothing was lost or half-done.
//!
//! Each round, `--clients` threads (one wallet each, `client.rs`) run random operations back to back while
//! the driver sleeps a random delay, then kills the mint (`kill -9`), waits for the clients to see it, and
//! restarts the mint on the same data directory and database. Then every operation of the round is checked
//! against the restarted mint (`verdict.rs`): an acknowledged one must have all its effects (inputs spent,
//! outputs restorable, quote moved on), an unacknowledged one all or none, never some; the clients take
//! their notes back from what the mint shows (NUT-09 restore), and an unacknowledged operation that did
//! happen is retried with its identical body (NUT-19), whose answer must be the same signatures (or `PAID`).
//!
//! At the end `mint-server audit --json` must hold, and per keyset its outstanding value must equal what
//! the clients hold; the bank account's balance must equal what the applied bank melts moved into it.
//! Exits non-zero on any violation.

mod client;
mod verdict;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail, ensure};
use shared::nuts::{KeysResponse, KeysetResponse, MeltQuoteBolt11Response, MintResponse, SwapResponse};
use shared::{PublicKey, SecretKey};

use self::client::{Client, Entry, Rng, exchange, observe};
use self::verdict::{Answer, Effect, Kind, Verdict, classify};
use crate::cli::{Backend, CrashArgs};
use crate::http::{Endpoint, call};
use crate::spawn::{create_database, drop_database};

/// The mint under test: its process, data directory, database and address, restartable in place.
struct Mint {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    database: Option<(String, String)>,
    admin_url: String,
    child: Option<Child>,
    log: String,
    /// Extra arguments when serving (`--mint-arg`).
    extra: Vec<String>,
}

impl Mint {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .arg("--data-dir")
            .arg(self.dir.join("data"))
            .arg("--wallet-dir")
            .arg(self.dir.join("no-wallet"))
            .env("RUST_LOG", &self.log)
            .env_remove("MINT_DATABASE_URL")
            .env_remove("MINT_MASTER_SECRET")
            .stdin(Stdio::null());
        if let Some((url, _)) = &self.database {
            command.arg("--database-url").arg(url);
        }
        command
    }

    fn start(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("mint.log"))?;
            let mut command = self.command();
            command
                .args(&self.extra)
                .arg("--listen")
                .arg(format!("127.0.0.1:{}", self.port))
                .arg("--fake-bolt11")
                .args(["--quote-rate-burst", "0", "--client-body-kib-per-sec", "0"])
                .stdout(log.try_clone()?)
                .stderr(log);
            let mut child = command.spawn().with_context(|| format!("cannot start {}", self.bin.display()))?;
            match wait_ready(&mut child, &self.url()) {
                Ok(()) => {
                    self.child = Some(child);
                    return Ok(());
                }
                // The port may still be held for a moment after a kill: try again, for a while.
                Err(error) if started.elapsed() < Duration::from_secs(60) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    eprintln!("crash: restart failed ({error:#}), trying again");
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(error) => return Err(error.context(format!("mint log in {}", self.dir.display()))),
            }
        }
    }

    /// SIGKILL, and wait until the process is gone.
    fn kill9(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().context("kill -9 the mint")?;
            child.wait()?;
        }
        Ok(())
    }

    /// An operator command on the mint's database: (success, stdout, stderr).
    fn operator(&self, args: &[&str]) -> anyhow::Result<(bool, String, String)> {
        let output = self.command().args(args).env("RUST_LOG", "warn").output()?;
        Ok((
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ))
    }

    fn stop(&mut self, keep: bool) {
        if let Some(child) = self.child.as_mut() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let started = Instant::now();
            while matches!(child.try_wait(), Ok(None)) && started.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        self.child = None;
        if !keep {
            let _ = std::fs::remove_dir_all(&self.dir);
            if let Some((_, name)) = self.database.take()
                && let Err(error) = drop_database(&self.admin_url, &name)
            {
                eprintln!("could not drop database {name}: {error:#}");
            }
        }
    }
}

impl Drop for Mint {
    fn drop(&mut self) {
        if self.child.is_some() || self.database.is_some() {
            self.stop(false);
        }
    }
}

fn wait_ready(child: &mut Child, url: &str) -> anyhow::Result<()> {
    let endpoint = Endpoint::parse(url)?;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Some(status) = child.try_wait()? {
            bail!("mint-server exited at start: {status}");
        }
        if let Ok(mut conn) = endpoint.connect()
            && call::<serde_json::Value>(&endpoint, &mut conn, "GET", "/v1/info", b"").is_ok()
        {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    bail!("mint-server did not answer within 30 s")
}

/// What the run counted.
#[derive(Debug, Default)]
struct Counts {
    kills: usize,
    acknowledged: usize,
    refused: usize,
    unacknowledged: usize,
    unacknowledged_applied: usize,
    unacknowledged_not_applied: usize,
    retried: usize,
    by_kind: BTreeMap<&'static str, usize>,
    half_applied: usize,
    acknowledged_missing: usize,
    refused_applied: usize,
    retry_mismatches: usize,
    /// Melts found still being paid after a restart (checked again after later restarts and at the end).
    in_flight_seen: usize,
    violations: Vec<String>,
}

impl Counts {
    fn violation(&mut self, what: String) {
        if self.violations.len() < 20 {
            self.violations.push(what);
        }
    }
}

pub fn run(args: &CrashArgs) -> anyhow::Result<()> {
    ensure!(args.kills <= 10_000, "--kills must be at most 10000");
    ensure!((1..=64).contains(&args.clients), "--clients must be in 1..=64");
    ensure!(args.min_delay_ms <= args.max_delay_ms, "--min-delay-ms must not exceed --max-delay-ms");
    let bin = match &args.mint_bin {
        Some(bin) => bin.clone(),
        None => std::env::current_exe()?.with_file_name("mint-server"),
    };
    ensure!(bin.is_file(), "no mint-server binary at {} (build it, or pass --mint-bin)", bin.display());
    let dir = std::env::temp_dir().join(format!("crash-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let database = match args.backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(create_database(&args.postgres_admin_url)?),
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut mint = Mint {
        bin,
        dir,
        port,
        database,
        admin_url: args.postgres_admin_url.clone(),
        child: None,
        log: args.mint_log.clone(),
        extra: args.mint_arg.clone(),
    };
    eprintln!("crash: {} mint on {} (data in {})", args.backend.name(), mint.url(), mint.dir.display());
    mint.start()?;
    let result = drive(args, &mut mint);
    if result.is_err() {
        eprintln!("crash: mint log and data kept in {}", mint.dir.display());
    }
    mint.stop(result.is_err());
    result
}

fn drive(args: &CrashArgs, mint: &mut Mint) -> anyhow::Result<()> {
    let started = Instant::now();
    let endpoint = Endpoint::parse(&mint.url())?;
    let mut conn = endpoint.connect()?;
    let keys: KeysResponse = call(&endpoint, &mut conn, "GET", "/v1/keys", b"")?;
    let keyset = keys.keysets.into_iter().next().ok_or_else(|| anyhow!("the mint has no active keyset"))?;
    let infos: KeysetResponse = call(&endpoint, &mut conn, "GET", "/v1/keysets", b"")?;
    let input_fee_ppk = infos.keysets.iter().find(|k| k.id == keyset.id).map_or(0, |k| k.input_fee_ppk);
    // The bank account the bank melts pay into (an operator command, beside the serving mint).
    let holder: PublicKey = SecretKey::random()?.public_key();
    let (ok, out, err) = mint.operator(&["create-account", "--pubkey", &holder.to_hex()])?;
    ensure!(ok, "create-account failed: {err}");
    let account = serde_json::from_str::<serde_json::Value>(&out)?["id"]
        .as_str()
        .ok_or_else(|| anyhow!("create-account printed no id: {out}"))?
        .to_owned();

    let mut clients = (0..args.clients)
        .map(|index| {
            Ok(Client {
                index,
                keyset: keyset.clone(),
                input_fee_ppk,
                account: account.clone(),
                notes: Vec::new(),
                journal: Vec::new(),
                in_flight: Vec::new(),
                rng: Rng::new()?,
                refusals: Vec::new(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut rng = Rng::new()?;
    let mut counts = Counts::default();
    let mut bank_expected: u64 = 0;

    for round in 0..=args.kills {
        let last = round == args.kills;
        let delay = Duration::from_millis(rng.between(args.min_delay_ms, args.max_delay_ms));
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| -> anyhow::Result<()> {
            let handles: Vec<_> = clients
                .iter_mut()
                .map(|client| {
                    let stop = &stop;
                    let endpoint = &endpoint;
                    scope.spawn(move || -> anyhow::Result<()> {
                        let mut conn = None;
                        while !stop.load(Ordering::Relaxed) {
                            if !client.step(endpoint, &mut conn)? {
                                break;
                            }
                        }
                        Ok(())
                    })
                })
                .collect();
            std::thread::sleep(delay);
            if !last {
                mint.kill9()?;
                counts.kills += 1;
            }
            stop.store(true, Ordering::Relaxed);
            for handle in handles {
                handle.join().map_err(|_| anyhow!("a client thread panicked"))??;
            }
            Ok(())
        })?;
        if !last {
            mint.start()?;
        }
        let mut conn = endpoint.connect()?;
        for client in &mut clients {
            bank_expected += verify(&endpoint, &mut conn, client, &mut counts)?;
        }
        if (round + 1) % 10 == 0 || last {
            eprintln!(
                "crash: {} kills, {} operations acknowledged, {} unacknowledged, {} half-applied, {:.0} s",
                counts.kills,
                counts.acknowledged,
                counts.unacknowledged,
                counts.half_applied,
                started.elapsed().as_secs_f64()
            );
        }
    }

    // Melts caught in flight are finished by the mint once the dead instance's lease has expired (its
    // background task looks every 15 s): wait for them, then check them like the others.
    let settle_started = Instant::now();
    while clients.iter().any(|c| !c.in_flight.is_empty()) {
        if settle_started.elapsed() > Duration::from_secs(args.settle_timeout_secs) {
            let left: usize = clients.iter().map(|c| c.in_flight.len()).sum();
            counts.violation(format!(
                "{left} melt(s) still pending {} s after the last restart",
                args.settle_timeout_secs
            ));
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
        let mut conn = endpoint.connect()?;
        for client in &mut clients {
            bank_expected += verify(&endpoint, &mut conn, client, &mut counts)?;
        }
    }
    if counts.in_flight_seen > 0 {
        eprintln!("crash: waited {:.0} s for melts in flight at the end", settle_started.elapsed().as_secs_f64());
    }

    // The books: the audit holds, each keyset's outstanding value is what the clients hold, and the bank
    // account holds what the applied bank melts paid into it.
    // (An audit of a missing SQLite file would audit a new, empty database.)
    let secret = mint.dir.join("data").join("master.secret");
    ensure!(secret.is_file(), "the mint's data directory lost {} during the run", secret.display());
    let (ok, out, err) = mint.operator(&["audit", "--json"])?;
    let audit: serde_json::Value =
        serde_json::from_str(&out).with_context(|| format!("audit printed no JSON: {out}{err}"))?;
    if !ok {
        counts.violation(format!("mint-server audit failed: {}", audit["violations"]));
    }
    let mut held: BTreeMap<String, i128> = BTreeMap::new();
    for client in &clients {
        for note in &client.notes {
            *held.entry(note.keyset_id.to_string()).or_default() += i128::from(note.amount.to_u64());
        }
    }
    let mut outstanding: BTreeMap<String, i128> = BTreeMap::new();
    let mut pending = 0;
    for book in audit["keysets"].as_array().ok_or_else(|| anyhow!("audit without keysets"))? {
        let id = book["id"].as_str().unwrap_or_default().to_owned();
        let value = i128::from(book["outstanding"].as_i64().ok_or_else(|| anyhow!("bad audit {book}"))?);
        pending += book["pending"].as_u64().unwrap_or(0);
        if value != 0 {
            outstanding.insert(id, value);
        }
    }
    held.retain(|_, value| *value != 0);
    let outstanding_total: i128 = outstanding.values().sum();
    let held_total: i128 = held.values().sum();
    let lost = outstanding_total - held_total;
    if outstanding != held {
        counts.violation(format!("outstanding per keyset {outstanding:?}, but the clients hold {held:?}"));
    }
    if pending != 0 {
        counts.violation(format!("{pending} still pending at the end"));
    }
    let balance = audit["accounts"]
        .as_array()
        .and_then(|accounts| accounts.iter().find(|a| a["id"] == account.as_str()))
        .and_then(|a| a["balance"].as_u64())
        .ok_or_else(|| anyhow!("the audit shows no account {account}"))?;
    if balance != bank_expected {
        counts.violation(format!("bank balance {balance}, but applied bank melts paid {bank_expected} into it"));
    }

    let refusals: Vec<&String> = clients.iter().flat_map(|c| &c.refusals).take(5).collect();
    println!("## Crash test: {}\n", args.backend.name());
    println!(
        "| kills | operations | acknowledged | refused | unacknowledged (applied / not) | retried (NUT-19) | melts in \
         flight at a restart | half-applied | acknowledged but missing | lost value | seconds |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {} | {} | {} ({} / {}) | {} | {} | {} | {} | {} | {:.0} |",
        counts.kills,
        counts.acknowledged + counts.refused + counts.unacknowledged,
        counts.acknowledged,
        counts.refused,
        counts.unacknowledged,
        counts.unacknowledged_applied,
        counts.unacknowledged_not_applied,
        counts.retried,
        counts.in_flight_seen,
        counts.half_applied,
        counts.acknowledged_missing,
        lost,
        started.elapsed().as_secs_f64()
    );
    println!();
    println!(
        "Operations by kind: {}. Retries answered identically: {} of {} (swaps and mints by their signatures, \
         melts PAID). Outstanding at the end {outstanding_total} (the clients hold {held_total}); bank balance \
         {balance}; audit {}.",
        counts.by_kind.iter().map(|(kind, n)| format!("{kind} {n}")).collect::<Vec<_>>().join(", "),
        counts.retried - counts.retry_mismatches,
        counts.retried,
        if ok { "holds" } else { "FAILS" }
    );
    for refusal in refusals {
        println!("- refused: {refusal}");
    }
    for violation in &counts.violations {
        println!("- VIOLATION: {violation}");
    }
    ensure!(counts.kills == args.kills, "only {} kills of {}", counts.kills, args.kills);
    ensure!(counts.violations.is_empty(), "{} violation(s), see above", counts.violations.len());
    ensure!(counts.half_applied == 0 && counts.acknowledged_missing == 0 && lost == 0, "value lost or half-applied");
    Ok(())
}

/// Check every operation of a client's journal against the restarted mint, and recover its notes; returns
/// the value the applied bank melts moved into the account.
fn verify(
    endpoint: &Endpoint,
    conn: &mut crate::http::Connection,
    client: &mut Client,
    counts: &mut Counts,
) -> anyhow::Result<u64> {
    let mut bank = 0;
    let mut entries = std::mem::take(&mut client.in_flight);
    entries.append(&mut client.journal);
    for mut entry in entries {
        if !entry.counted {
            entry.counted = true;
            let kind = match entry.kind {
                Kind::Swap => "swap",
                Kind::Mint => "mint",
                Kind::Melt if entry.bank_credit > 0 => "melt (bank)",
                Kind::Melt => "melt (bolt11)",
            };
            *counts.by_kind.entry(kind).or_default() += 1;
            match entry.answer {
                Answer::Acknowledged => counts.acknowledged += 1,
                Answer::Refused => counts.refused += 1,
                Answer::Unknown => counts.unacknowledged += 1,
            }
        }
        let (observed, signed) = observe(endpoint, conn, &entry)?;
        let verdict = classify(entry.kind, entry.answer, &observed);
        let applied = match &verdict {
            Verdict::Consistent(Effect::Applied) => true,
            Verdict::Consistent(Effect::InFlight) => {
                if !entry.deferred {
                    entry.deferred = true;
                    counts.in_flight_seen += 1;
                }
                client.in_flight.push(entry);
                continue;
            }
            Verdict::Consistent(Effect::NotApplied) | Verdict::Consistent(Effect::Half(_)) => false,
            Verdict::HalfApplied(what) => {
                counts.half_applied += 1;
                counts.violation(format!("client {}: half-applied {what}", client.index));
                recover_half(client, &entry, &observed, &signed)?;
                continue;
            }
            Verdict::AcknowledgedButMissing(what) => {
                counts.acknowledged_missing += 1;
                counts.violation(format!("client {}: acknowledged but missing {what}", client.index));
                false
            }
            Verdict::RefusedButApplied(what) => {
                counts.refused_applied += 1;
                counts.violation(format!("client {}: refused but applied {what}", client.index));
                true
            }
        };
        if applied && entry.kind == Kind::Melt {
            bank += entry.bank_credit;
        }
        match (entry.answer, applied) {
            (Answer::Acknowledged, true) => {
                // Its notes are in the wallet already; the mint must restore the very same signatures.
                let restored: Vec<_> =
                    entry.outputs.iter().filter_map(|o| signed.get(&o.message.blinded_secret).cloned()).collect();
                if restored != entry.signatures {
                    counts.violation(format!("client {}: restore differs from the acknowledged answer", client.index));
                }
            }
            (Answer::Acknowledged, false) => {}
            (Answer::Refused, _) => {}
            (Answer::Unknown, true) => {
                counts.unacknowledged_applied += 1;
                // NUT-19: the identical request gets the identical answer, now that the mint is back.
                let retry = exchange(endpoint, &mut Some(endpoint.connect()?), "POST", &entry.path, &entry.body);
                counts.retried += 1;
                let restored: Vec<_> =
                    entry.outputs.iter().filter_map(|o| signed.get(&o.message.blinded_secret).cloned()).collect();
                let same = retry.answer == Answer::Acknowledged
                    && match entry.kind {
                        Kind::Swap => serde_json::from_slice::<SwapResponse>(&retry.body)
                            .is_ok_and(|answer| answer.signatures == restored),
                        Kind::Mint => serde_json::from_slice::<MintResponse>(&retry.body)
                            .is_ok_and(|answer| answer.signatures == restored),
                        Kind::Melt => serde_json::from_slice::<MeltQuoteBolt11Response>(&retry.body)
                            .is_ok_and(|answer| answer.state == shared::nuts::MeltQuoteState::Paid),
                    };
                if !same {
                    counts.retry_mismatches += 1;
                    counts.violation(format!(
                        "client {}: retry of {} answered HTTP {}: {}",
                        client.index,
                        entry.path,
                        retry.status,
                        String::from_utf8_lossy(&retry.body)
                    ));
                }
                let notes = client.unblind(&entry.outputs, &restored)?;
                client.notes.extend(notes);
            }
            (Answer::Unknown, false) => {
                counts.unacknowledged_not_applied += 1;
                client.notes.extend(entry.inputs.iter().cloned());
            }
        }
    }
    Ok(bank)
}

/// After a half-applied operation (a violation, already counted): keep what the mint shows, so that the
/// final books still compare like with like.
fn recover_half(
    client: &mut Client,
    entry: &Entry,
    observed: &verdict::Observed,
    signed: &BTreeMap<PublicKey, shared::BlindSignature>,
) -> anyhow::Result<()> {
    for (input, state) in entry.inputs.iter().zip(&observed.inputs) {
        if *state == shared::nuts::State::Unspent {
            client.notes.push(input.clone());
        }
    }
    let outputs: Vec<_> =
        entry.outputs.iter().filter(|o| signed.contains_key(&o.message.blinded_secret)).cloned().collect();
    let signatures: Vec<_> = outputs.iter().filter_map(|o| signed.get(&o.message.blinded_secret).cloned()).collect();
    let notes = client.unblind(&outputs, &signatures)?;
    client.notes.extend(notes);
    Ok(())
}
