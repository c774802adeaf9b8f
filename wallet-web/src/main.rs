//! Entry point of the wasm bundle: mount the app on `<body>`.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(wallet_web::App);
}
