//! Entry point of the wasm bundle: mount the app on `<body>` ([`wallet_web::mount`]).

fn main() {
    wallet_web::mount();
}
