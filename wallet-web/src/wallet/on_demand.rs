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

/// Defines a function whose code loads on demand: with the `split` feature (the bundle), a split function of
/// the named part (`in offline:` puts it in that part's wasm file), which fetches its part first and fails with
/// [`PartNotLoaded`] when it cannot; without it, a plain `async fn` of the same signature. The body is not
/// `async` (a split function cannot be): it returns a value, a view, or a boxed future.
macro_rules! split_fn {
    (in $part:ident: $(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$doc])*
        #[cfg(feature = "split")]
        #[leptos::wasm_split::wasm_split($part, fallible, wasm_split_path = leptos::wasm_split)]
        $vis fn $name($($arg: $ty),*) -> Result<$ret, $crate::wallet::PartNotLoaded> {
            Ok($body)
        }
        $(#[$doc])*
        #[cfg(not(feature = "split"))]
        $vis async fn $name($($arg: $ty),*) -> Result<$ret, $crate::wallet::PartNotLoaded> {
            Ok($body)
        }
    };
}
pub(crate) use split_fn;

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

split_fn! {
    in offline:
    /// Re-drives the offline journal ([`offline_mint::recover`]).
    pub(crate) fn offline_recovery(wallet: Wallet) -> OfflineRecovery {
        recovery(wallet)
    }
}
