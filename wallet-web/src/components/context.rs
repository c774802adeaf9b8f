//! What every screen shares: [`Ctx`] (the open wallet and the signals the screens read), the [`Tab`] shown and
//! the page's [`Phase`], and [`open`], which opens the wallet and finishes interrupted operations. Imports no
//! screen, so screens and the root component ([`crate::app`]) can both depend on it.

use leptos::prelude::*;
use shared::Amount;

use super::browser::{focus_id, page_origin};
use super::format::{capitalized, plural};
use super::incoming::{Incoming, classify};
use crate::offline::records::OfflineBalanceView;
use crate::{HistoryEntry, MintView, PendingSendView, Wallet, WalletError};

/// The screens of an open wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Balance and mints.
    Home,
    /// Top up from a bank account or an invoice; withdraw.
    AddMoney,
    /// Make a token.
    Send,
    /// Take in a token.
    Receive,
    /// Pending sends and history.
    Activity,
    /// Offline coins: balance, pay and get paid with no network, withdraw.
    Offline,
    /// Published double-spend evidence, verified here (reached from [`Tab::Offline`], not in the navigation).
    Evidence,
    /// Recovery words, account key, mints.
    Settings,
}

impl Tab {
    /// Every tab, in navigation order.
    pub const ALL: [Tab; 7] =
        [Tab::Home, Tab::AddMoney, Tab::Send, Tab::Receive, Tab::Offline, Tab::Activity, Tab::Settings];

    /// Its symbol in the navigation (beside the name; hidden from screen readers).
    pub fn icon(self) -> &'static str {
        match self {
            Tab::Home => "◎",
            Tab::AddMoney => "+",
            Tab::Send => "↑",
            Tab::Receive => "↓",
            Tab::Activity => "≡",
            Tab::Offline => "⇄",
            Tab::Evidence => "!",
            Tab::Settings => "⚙",
        }
    }

    /// Its name in the navigation.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Home => "Wallet",
            Tab::AddMoney => "Add money",
            Tab::Send => "Send",
            Tab::Receive => "Receive",
            Tab::Activity => "Activity",
            Tab::Offline => "Offline",
            Tab::Evidence => "Evidence",
            Tab::Settings => "Settings",
        }
    }
}

/// Where the page is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Opening the wallet; the text says what is going on.
    Opening(String),
    /// The wallet could not be opened at all.
    Broken(String),
    /// No recovery words yet: create or restore.
    FirstRun,
    /// The recovery words are sealed under a passphrase: ask for it ([`start`] follows).
    Locked,
    /// Ready to use.
    Ready,
}

/// What the screens share. `Copy`: signals and an arena handle.
#[derive(Clone, Copy)]
pub struct Ctx {
    wallet: StoredValue<Option<Wallet>, LocalStorage>,
    /// The page's phase.
    pub phase: RwSignal<Phase>,
    /// The screen shown when ready.
    pub tab: RwSignal<Tab>,
    /// Spendable balance over all mints (`None` until loaded).
    pub balance: RwSignal<Option<Amount>>,
    /// The wallet's mints.
    pub mints: RwSignal<Vec<MintView>>,
    /// Tokens sent and not yet redeemed.
    pub pending: RwSignal<Vec<PendingSendView>>,
    /// Every transaction, newest first.
    pub history: RwSignal<Vec<HistoryEntry>>,
    /// The offline balance, apart from [`Ctx::balance`] (`None` until loaded).
    pub offline: RwSignal<Option<OfflineBalanceView>>,
    /// Whether an offline sync is under way (`components::offline_sync`).
    pub offline_syncing: RwSignal<bool>,
    /// A message for the whole page (e.g. what recovery did), shown above the screen.
    pub banner: RwSignal<Option<String>>,
    /// Why the last data refresh failed, if it did.
    pub load_error: RwSignal<Option<String>>,
    /// A text scanned, pasted or linked ([`Ctx::open_text`]) that the screen it opened takes
    /// ([`Ctx::take_incoming`]) to fill in its field.
    pub incoming: RwSignal<Option<Incoming>>,
    /// Whether the Receive screen opens at its "Request a payment" part (Home's Request).
    pub request_first: RwSignal<bool>,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").finish_non_exhaustive()
    }
}

impl Ctx {
    pub(crate) fn new() -> Self {
        Ctx {
            wallet: StoredValue::new_local(None),
            phase: RwSignal::new(Phase::Opening("Opening your wallet…".to_owned())),
            tab: RwSignal::new(Tab::Home),
            balance: RwSignal::new(None),
            mints: RwSignal::new(Vec::new()),
            pending: RwSignal::new(Vec::new()),
            history: RwSignal::new(Vec::new()),
            offline: RwSignal::new(None),
            offline_syncing: RwSignal::new(false),
            banner: RwSignal::new(None),
            load_error: RwSignal::new(None),
            incoming: RwSignal::new(None),
            request_first: RwSignal::new(false),
        }
    }

    /// The open wallet. Screens exist only once it is open, so this fails only on a programming error.
    pub fn wallet(&self) -> Result<Wallet, WalletError> {
        self.wallet.get_value().ok_or(WalletError::Invalid("The wallet is not open yet.".to_owned()))
    }

    /// Shows `tab` and moves focus to its heading.
    pub fn go(&self, tab: Tab) {
        self.tab.set(tab);
        focus_id("screen-heading");
    }

    /// Opens a scanned, pasted or linked text on its screen: a token on Receive, a payment request on Send,
    /// an offline request or payment on Offline. Says in plain words what it cannot open.
    pub fn open_text(&self, text: &str) -> Result<(), String> {
        let found = classify(text)?;
        let tab = match found {
            Incoming::Token(_) => Tab::Receive,
            Incoming::PaymentRequest(_) => Tab::Send,
            Incoming::OfflineRequest(_) | Incoming::OfflinePayment(_) => Tab::Offline,
        };
        self.incoming.set(Some(found));
        // Setting the tab builds the screen anew, even the one shown: it takes the text then.
        self.go(tab);
        Ok(())
    }

    /// The text [`Ctx::open_text`] left for a screen, if `pick` says it is for this one (it is then gone).
    pub fn take_incoming(&self, pick: impl Fn(&Incoming) -> bool) -> Option<String> {
        let wanted = self.incoming.with_untracked(|found| found.as_ref().is_some_and(&pick));
        if !wanted {
            return None;
        }
        self.incoming.try_update_untracked(Option::take).flatten().map(|found| found.text().to_owned())
    }

    /// Reloads balance, mints, pending sends, history and the offline balance from the wallet (no network).
    pub fn reload(&self) {
        let ctx = *self;
        leptos::task::spawn_local(async move { ctx.reload_now().await });
    }

    /// [`Ctx::reload`], awaited.
    pub async fn reload_now(&self) {
        let Ok(wallet) = self.wallet() else { return };
        let result: Result<(), WalletError> = async {
            self.balance.set(Some(wallet.balance().await?));
            self.mints.set(wallet.mints().await?);
            self.pending.set(wallet.pending_sends().await?);
            self.history.set(wallet.history().await?);
            self.offline.set(Some(wallet.offline_balance().await?));
            Ok(())
        }
        .await;
        self.load_error.set(result.err().map(|error| error.to_string()));
    }

    /// After the recovery words are stored: add the mint that served the page, then show the wallet.
    pub async fn finish_setup(&self) {
        if let Ok(wallet) = self.wallet() {
            add_serving_mint(&wallet, self).await;
        }
        self.reload_now().await;
        self.phase.set(Phase::Ready);
        self.tab.set(Tab::Home);
        focus_id("screen-heading");
    }
}

/// Adds the page's own mint when the wallet has none (it is the mint this page came from). Offline, this fails
/// quietly: the wallet still opens, and the mint is added on a later visit.
async fn add_serving_mint(wallet: &Wallet, ctx: &Ctx) {
    let Some(origin) = page_origin() else { return };
    match wallet.mints().await {
        Ok(mints) if mints.is_empty() => {
            if let Err(error) = wallet.add_mint(&origin).await {
                ctx.banner.set(Some(format!("The mint that served this page could not be added yet: {error}")));
            }
        }
        _ => {}
    }
}

/// Opens the wallet and finishes what a reload or crash interrupted.
pub(crate) async fn open(ctx: Ctx) {
    let wallet = match Wallet::open_browser().await {
        Ok(wallet) => wallet,
        Err(error) => {
            ctx.phase.set(Phase::Broken(error.to_string()));
            return;
        }
    };
    ctx.wallet.set_value(Some(wallet.clone()));
    match wallet.has_seed().await {
        Ok(false) => {
            ctx.phase.set(Phase::FirstRun);
            return;
        }
        Ok(true) => {}
        Err(error) => {
            ctx.phase.set(Phase::Broken(error.to_string()));
            return;
        }
    }
    match wallet.is_locked().await {
        Ok(false) => start(ctx).await,
        Ok(true) => ctx.phase.set(Phase::Locked),
        Err(error) => ctx.phase.set(Phase::Broken(error.to_string())),
    }
}

/// Once the wallet is open and unlocked: finishes what a reload or crash interrupted, adds the serving mint,
/// loads the data, shows the wallet.
pub(crate) async fn start(ctx: Ctx) {
    let Ok(wallet) = ctx.wallet() else { return };
    ctx.phase.set(Phase::Opening("Checking for interrupted payments…".to_owned()));
    match wallet.recover().await {
        Ok(report) => {
            let mut parts = Vec::new();
            if report.finished > 0 {
                parts.push(format!(
                    "finished {}",
                    plural(report.finished, "interrupted payment", "interrupted payments")
                ));
            }
            if report.rolled_back > 0 {
                parts.push(format!(
                    "undid {} (the money is back)",
                    plural(report.rolled_back, "unfinished payment", "unfinished payments")
                ));
            }
            if report.still_pending > 0 {
                parts.push(format!(
                    "{} waiting for its mint to be reachable (nothing is lost; it finishes on a later visit)",
                    plural(report.still_pending, "payment is", "payments are")
                ));
            }
            if !parts.is_empty() {
                let text = format!("{}.", capitalized(parts.join("; ")));
                ctx.banner.set(Some(text));
            }
        }
        Err(error) => ctx.banner.set(Some(format!("Interrupted payments could not be finished yet: {error}"))),
    }
    add_serving_mint(&wallet, &ctx).await;
    ctx.reload_now().await;
    ctx.phase.set(Phase::Ready);
}
