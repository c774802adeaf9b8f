//! `cashu-codec` (used by `e2e/interop-nut16-nut18.test.mjs`): `shared`'s NUT-16 and NUT-18 codecs on the
//! command line, so that tests in other languages can check them against other implementations.
//!
//! - `ur-encode [--frames N]`: the text on stdin (exactly, no newline stripped) → what `qr_frames` shows: the
//!   text itself on one line if it is a static code, else the first N animated frames, one per line
//!   (default: twice the fragment count).
//! - `ur-decode`: scanned texts on stdin, one per line → the assembled text on stdout (no newline added) once
//!   complete (later lines are read and ignored); progress and rejected frames on stderr; exit status 2 if
//!   the lines end before the text is complete.
//! - `creq-encode`: a NUT-18 request as JSON with the spec's keys (`{"i":…,"a":…,"t":[…]}`) → `creqA…`.
//! - `creq-decode`: a `creqA…` text → the request as JSON.

use std::io::{BufRead, Read, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use shared::nut16::{Assembler, QrFrames, ScanProgress, qr_frames};
use shared::nut18::PaymentRequest;

#[derive(Debug, Parser)]
#[command(name = "cashu-codec", about = "NUT-16 animated QR frames and NUT-18 payment requests (stdin to stdout)")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Text on stdin → static text or the first N `UR:BYTES` frames, one per line.
    UrEncode {
        /// Frames to print (default: twice the fragment count).
        #[arg(long)]
        frames: Option<usize>,
    },
    /// Scanned texts on stdin, one per line → the assembled text.
    UrDecode,
    /// Payment request JSON (the spec's keys) on stdin → `creqA…`.
    CreqEncode,
    /// `creqA…` on stdin → payment request JSON.
    CreqDecode,
}

fn stdin_text() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).context("reading stdin")?;
    Ok(text)
}

fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let mut out = std::io::stdout().lock();
    match args.command {
        Command::UrEncode { frames } => match qr_frames(&stdin_text()?)? {
            QrFrames::Static(text) => writeln!(out, "{text}")?,
            QrFrames::Animated(mut animated) => {
                let count = frames.unwrap_or(2 * animated.fragment_count());
                for _ in 0..count {
                    writeln!(out, "{}", animated.next_frame())?;
                }
            }
        },
        Command::UrDecode => {
            let mut assembler = Assembler::default();
            let mut stdin = std::io::stdin().lock();
            for (n, line) in stdin.by_ref().lines().enumerate() {
                let line = line.context("reading stdin")?;
                let line = line.trim_end_matches('\r');
                if line.is_empty() {
                    continue;
                }
                match assembler.push(line) {
                    ScanProgress::Complete(text) => {
                        eprintln!("complete after {} lines", n + 1);
                        write!(out, "{text}")?;
                        // Read the rest, so that the writer of stdin never sees a closed pipe.
                        std::io::copy(&mut stdin, &mut std::io::sink())?;
                        return Ok(ExitCode::SUCCESS);
                    }
                    ScanProgress::Partial { resolved, total } => eprintln!("part {resolved} of {total}"),
                    ScanProgress::Rejected(e) => eprintln!("line {} rejected: {e}", n + 1),
                }
            }
            eprintln!("incomplete: the input ended before the text was complete");
            return Ok(ExitCode::from(2));
        }
        Command::CreqEncode => {
            let request: PaymentRequest =
                serde_json::from_str(&stdin_text()?).context("reading the payment request JSON")?;
            writeln!(out, "{}", request.encode()?)?;
        }
        Command::CreqDecode => {
            let request = PaymentRequest::decode(&stdin_text()?)?;
            writeln!(out, "{}", serde_json::to_string(&request)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
