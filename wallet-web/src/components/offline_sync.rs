//! The automatic offline sync: when the wallet opens and each time the browser comes back online, every
//! mint's offline keysets are refreshed, received offline payments deposited into the online balance and
//! expiring coins exchanged ([`crate::Wallet::offline_sync`]). What was deposited is told in the banner.

use leptos::prelude::*;

use super::context::Ctx;
use super::format::{capitalized, format_amount};
use crate::MintUrl;
use crate::offline::records::OfflineSyncView;

/// What a sync did, in plain words (`None`: nothing worth telling).
pub fn sync_words(view: &OfflineSyncView) -> Option<String> {
    let sat = |amount: u64| format_amount(shared::Amount::from_u64(amount), "sat");
    let mut parts = Vec::new();
    if view.deposited_amount > 0 {
        let mut text =
            format!("Deposited {} of offline payments you received into your balance", sat(view.deposited_amount));
        if view.from_bond > 0 {
            text.push_str(&format!(
                " ({} of it paid from a double spender's bond: see the evidence on the Offline screen)",
                sat(view.from_bond)
            ));
        }
        parts.push(text);
    }
    if view.exchanged_amount > 0 {
        parts.push(format!("exchanged {} of offline coins that were about to expire", sat(view.exchanged_amount)));
    }
    if view.refunded_amount > 0 {
        parts.push(format!(
            "{} of unspent expired offline coins went back to your bank account",
            sat(view.refunded_amount)
        ));
    }
    if view.refused > 0 {
        parts.push(
            "the mint refused an offline payment you received (see your requests on the Offline screen)".to_owned(),
        );
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!("{}.", capitalized(parts.join("; "))))
}

/// Syncs every mint's offline coins now (quietly when the mint cannot be reached); a sync under way is not
/// started twice.
pub async fn sync_now(ctx: Ctx) {
    if ctx.offline_syncing.get_untracked() {
        return;
    }
    let Ok(wallet) = ctx.wallet() else { return };
    ctx.offline_syncing.set(true);
    let mut total = OfflineSyncView::default();
    for mint in ctx.mints.get_untracked() {
        let Ok(url) = MintUrl::parse(&mint.url) else { continue };
        if let Ok(view) = wallet.offline_sync(&url).await {
            total.deposited_amount = total.deposited_amount.saturating_add(view.deposited_amount);
            total.from_bond = total.from_bond.saturating_add(view.from_bond);
            total.exchanged_amount = total.exchanged_amount.saturating_add(view.exchanged_amount);
            total.refunded_amount = total.refunded_amount.saturating_add(view.refunded_amount);
            total.refused = total.refused.saturating_add(view.refused);
        }
    }
    ctx.offline_syncing.set(false);
    ctx.reload_now().await;
    if let Some(text) = sync_words(&total) {
        ctx.banner.set(Some(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sync_is_told_in_plain_words() {
        assert_eq!(sync_words(&OfflineSyncView::default()), None);
        let deposit = OfflineSyncView { deposited: 1, deposited_amount: 8, ..Default::default() };
        assert_eq!(
            sync_words(&deposit).as_deref(),
            Some("Deposited 8 sat of offline payments you received into your balance.")
        );
        let cheated = OfflineSyncView { deposited_amount: 8, from_bond: 8, exchanged_amount: 4, ..Default::default() };
        let text = sync_words(&cheated).unwrap_or_default();
        assert!(text.contains("8 sat of it paid from a double spender's bond"), "{text}");
        assert!(text.ends_with("; exchanged 4 sat of offline coins that were about to expire."), "{text}");
    }
}
