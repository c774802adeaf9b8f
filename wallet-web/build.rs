//! Keeps the linker's relocations in the app's wasm when it is built to be split (the `split` feature, which
//! index.html turns on for the app only): wasm-split needs them to cut the on-demand parts out
//! (`split-build.sh`).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let split = std::env::var_os("CARGO_FEATURE_SPLIT").is_some();
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    if split && wasm {
        println!("cargo:rustc-link-arg-bin=wallet-web=--emit-relocs");
    }
}
