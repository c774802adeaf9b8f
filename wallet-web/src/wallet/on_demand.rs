//! The offline coins' engine code that runs outside their own screens, loaded on demand: recovery of the
//! offline journal (withdrawals, bonds, deposits whose answer was lost). In the bundle (the crate's `split`
//! feature, see `components::on_demand`) it is in the wasm file of the offline screens, fetched only when
//! this wallet has such a journal. Without the feature (native and `wasm-pack test` builds) it is a plain
//! call.

use std::future::Future;
use std::pin::Pin;

use super::Wallet;
use super::offline_mint;
use super::views::RecoveryReport;
use crate::WalletError;

/// A part of the wallet that loads on demand could not be fetched (no network, and the service worker has
/// no copy yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartNotLoaded;

impl std::fmt::Display for PartNotLoaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("This part of the wallet could not be loaded. Connect to the internet once, then try again.")
    }
}

#[cfg(feature = "split")]
impl From<leptos::wasm_split::SplitLoaderError> for PartNotLoaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        PartNotLoaded
    }
}

/// What a recovery of the offline journal returns: the future that runs it (a split function cannot be
/// `async`).
pub(crate) type OfflineRecovery = Pin<Box<dyn Future<Output = Result<RecoveryReport, WalletError>>>>;

fn recovery(wallet: Wallet) -> OfflineRecovery {
    Box::pin(async move {
        let mut report = RecoveryReport::default();
        offline_mint::recover(&wallet.inner.engine, &mut report).await?;
        Ok(report)
    })
}

/// Re-drives the offline journal ([`offline_mint::recover`]) once its code is loaded.
#[cfg(feature = "split")]
#[leptos::wasm_split::wasm_split(offline, fallible, wasm_split_path = leptos::wasm_split)]
pub(crate) fn offline_recovery(wallet: Wallet) -> Result<OfflineRecovery, PartNotLoaded> {
    Ok(recovery(wallet))
}
/// Re-drives the offline journal ([`offline_mint::recover`]).
#[cfg(not(feature = "split"))]
pub(crate) async fn offline_recovery(wallet: Wallet) -> Result<OfflineRecovery, PartNotLoaded> {
    Ok(recovery(wallet))
}
