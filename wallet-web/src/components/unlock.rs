//! The unlock screen: the recovery words are sealed under a passphrase, and the wallet opens once it is given.
//! A wrong passphrase is said so plainly; nothing is written either way.

use leptos::prelude::*;

use super::browser::focus_id;
use super::common::{Status, StatusLine, SubmitRow};
use super::context::{Ctx, start};

/// The "Unlock" screen.
#[component]
pub fn Unlock() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let passphrase = RwSignal::new(String::new());
    let status = RwSignal::new(Status::Idle);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if status.get_untracked().is_working() {
            return;
        }
        status.set(Status::Working("Unlocking…".to_owned()));
        let typed = passphrase.get_untracked();
        leptos::task::spawn_local(async move {
            match async { ctx.wallet()?.unlock(&typed).await }.await {
                Ok(()) => {
                    passphrase.set(String::new());
                    status.set(Status::Idle);
                    start(ctx).await;
                    focus_id("screen-heading");
                }
                Err(error) => {
                    status.set(Status::Failed(error.to_string()));
                    focus_id("unlock-passphrase");
                }
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="screen-heading">
            <h1 id="screen-heading" class="screen-title" tabindex="-1">"Unlock your wallet"</h1>
            <p>"Your recovery words are stored encrypted in this browser. Enter your passphrase to open the wallet."</p>
            <form class="form" on:submit=submit>
                <div class="field">
                    <label for="unlock-passphrase">"Passphrase"</label>
                    <input id="unlock-passphrase" class="input" type="password" autocomplete="current-password"
                        required=true
                        prop:value=move || passphrase.get() on:input=move |ev| passphrase.set(event_target_value(&ev)) />
                </div>
                <StatusLine status testid="unlock-status" />
                <SubmitRow status label="Unlock" />
            </form>
            <p class="hint">
                "Forgot it? Your money is not lost: restore the wallet from your 12 recovery words in a new browser "
                "profile, or clear this site's data and choose \"Restore from recovery words\"."
            </p>
        </section>
    }
}
