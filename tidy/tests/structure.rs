//! The workspace's structure rules, checked on every crate that `cargo metadata` lists as a member.
//! Run by `cargo test --workspace` (so by `scripts/test` and CI); the checker itself is unit-tested in
//! `src/`.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;

use tidy::workspace::{self, Package};

fn members() -> Vec<Package> {
    workspace::members(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn parse(path: &Path) -> syn::File {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    syn::parse_file(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The checks below must not pass because they found nothing to check.
#[test]
fn every_crate_of_the_workspace_is_found() {
    let names: BTreeSet<String> = members().into_iter().map(|package| package.name).collect();
    for expected in ["cash-shared", "mint-server", "wallet-web", "loadgen", "tidy"] {
        assert!(names.contains(expected), "{expected} is not among the workspace members {names:?}");
    }
}

/// No file of any crate target imports a file that imports it back, directly or around a longer circle
/// (the rule is in `tidy`'s crate docs). A failure lists each knot: its shortest circle, then every edge
/// inside it with the imports that make it.
#[test]
fn no_import_cycles_between_modules() {
    let mut failures = Vec::new();
    let mut checked = BTreeSet::new();
    for package in members() {
        for target in &package.targets {
            // A library and a binary of one package are separate crates; a file shared by two targets
            // (a test support module) is checked in each.
            if !checked.insert(target.root.clone()) {
                continue;
            }
            let knots = tidy::import_cycles(&target.root).unwrap();
            let root = target.root.strip_prefix(&package.dir).unwrap_or(&target.root);
            for knot in knots {
                failures.push(format!(
                    "{} ({}, root {}):\n{knot}",
                    package.name,
                    target.kinds.join("/"),
                    root.display()
                ));
            }
        }
    }
    assert!(checked.len() >= 5, "too few crate targets found: {checked:?}");
    assert!(failures.is_empty(), "{} import cycle(s):\n{}", failures.len(), failures.join("\n"));
}

/// Every library crate warns on items without docs and on `pub` items other crates cannot reach, at the top
/// of its root file (`#![warn(missing_docs, unreachable_pub)]`, or `deny`).
#[test]
fn library_crates_warn_on_missing_docs_and_unreachable_pub() {
    let mut failures = Vec::new();
    let mut libraries = 0;
    for package in members() {
        for target in package.targets.iter().filter(|target| target.is_library()) {
            libraries += 1;
            let missing =
                tidy::crate_attrs::lints_not_enforced(&parse(&target.root), &["missing_docs", "unreachable_pub"]);
            if !missing.is_empty() {
                failures.push(format!(
                    "{} ({}): not warned: {}",
                    package.name,
                    target.root.display(),
                    missing.join(", ")
                ));
            }
        }
    }
    assert!(libraries >= 3, "too few library crates found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The QR decoder crate (`rqrr`) is named only by the wallet's decoder worker (`src/bin/qr-worker/`, a wasm
/// module of its own): the app (the library and its `wallet-web` binary) cannot call the decoder, and its wasm
/// bundle carries none of it.
#[test]
fn only_the_qr_worker_names_the_qr_decoder_crate() {
    let wallet = members().into_iter().find(|package| package.name == "wallet-web").unwrap();
    let app: Vec<_> = wallet
        .targets
        .iter()
        .filter(|target| {
            target.is_library() || (target.kinds.iter().any(|kind| kind == "bin") && target.name != "qr-worker")
        })
        .collect();
    assert!(app.len() >= 2, "the wallet's library and app binary: {:?}", wallet.targets);
    let named: Vec<String> =
        app.iter().flat_map(|target| tidy::paths_into_crate(&target.root, "rqrr").unwrap()).collect();
    assert!(named.is_empty(), "the wallet app names rqrr (keep it in src/bin/qr-worker/):\n{}", named.join("\n"));
    let worker = wallet.targets.iter().find(|target| target.name == "qr-worker").unwrap();
    assert!(
        !tidy::paths_into_crate(&worker.root, "rqrr").unwrap().is_empty(),
        "the worker decodes with rqrr (else this check looks at nothing)"
    );
}

/// `shared` performs no I/O: it is `#![no_std]`, so `std::fs`, `std::net` and `std::time` do not exist in it
/// (`std` may be linked for its unit tests only).
#[test]
fn shared_is_no_std() {
    let shared = members().into_iter().find(|package| package.name == "cash-shared").unwrap();
    let lib = shared.targets.iter().find(|target| target.is_library()).unwrap();
    assert!(tidy::crate_attrs::is_no_std(&parse(&lib.root)), "{} must be #![no_std]", lib.root.display());
}
