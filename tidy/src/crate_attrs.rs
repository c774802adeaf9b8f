//! The inner attributes of a crate root: lint levels (`#![warn(..)]`) and `#![no_std]`.

use std::collections::BTreeMap;

use syn::punctuated::Punctuated;

/// The level each lint is set to by the root's `#![allow|warn|deny|forbid(..)]` (the last one wins).
pub fn lint_levels(root: &syn::File) -> BTreeMap<String, String> {
    let mut levels = BTreeMap::new();
    for attr in root.attrs.iter().filter(|attr| matches!(attr.style, syn::AttrStyle::Inner(_))) {
        let Some(level) = ["allow", "warn", "deny", "forbid"].into_iter().find(|level| attr.path().is_ident(level))
        else {
            continue;
        };
        let Ok(lints) = attr.parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated) else {
            continue;
        };
        for lint in lints {
            let name = lint.segments.iter().map(|segment| segment.ident.to_string()).collect::<Vec<_>>().join("::");
            levels.insert(name, level.to_owned());
        }
    }
    levels
}

/// The lints of `required` that the root does not set to `warn`, `deny` or `forbid`.
pub fn lints_not_enforced(root: &syn::File, required: &[&str]) -> Vec<String> {
    let levels = lint_levels(root);
    required
        .iter()
        .filter(|lint| !matches!(levels.get(**lint).map(String::as_str), Some("warn" | "deny" | "forbid")))
        .map(|lint| (*lint).to_owned())
        .collect()
}

/// Whether the root says `#![no_std]` and links `std` only for its tests (`#[cfg(test)] extern crate std;`).
pub fn is_no_std(root: &syn::File) -> bool {
    let no_std =
        root.attrs.iter().any(|attr| matches!(attr.style, syn::AttrStyle::Inner(_)) && attr.path().is_ident("no_std"));
    let std_outside_tests = root.items.iter().any(|item| match item {
        syn::Item::ExternCrate(krate) => krate.ident == "std" && !krate.attrs.iter().any(is_cfg_test),
        _ => false,
    });
    no_std && !std_outside_tests
}

fn is_cfg_test(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("cfg") && attr.parse_args::<syn::Ident>().is_ok_and(|ident| ident == "test")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> syn::File {
        syn::parse_file(text).unwrap()
    }

    #[test]
    fn required_lints_must_warn_or_deny() {
        let required = ["missing_docs", "unreachable_pub"];
        assert!(lints_not_enforced(&parse("#![warn(missing_docs, unreachable_pub)]"), &required).is_empty());
        assert!(
            lints_not_enforced(&parse("#![deny(missing_docs)]\n#![forbid(unreachable_pub)]"), &required).is_empty()
        );
        assert_eq!(lints_not_enforced(&parse("#![warn(missing_docs)]"), &required), ["unreachable_pub"]);
        assert_eq!(
            lints_not_enforced(&parse("#![warn(missing_docs, unreachable_pub)]\n#![allow(missing_docs)]"), &required),
            ["missing_docs"]
        );
        // An outer attribute on the first item is not a crate-level lint.
        assert_eq!(lints_not_enforced(&parse("#[warn(missing_docs, unreachable_pub)] fn f() {}"), &required).len(), 2);
    }

    #[test]
    fn no_std_allows_std_for_tests_only() {
        assert!(is_no_std(&parse("#![no_std]\nextern crate alloc;")));
        assert!(is_no_std(&parse("#![no_std]\n#[cfg(test)]\nextern crate std;")));
        assert!(!is_no_std(&parse("#![no_std]\nextern crate std;")));
        assert!(!is_no_std(&parse("extern crate alloc;")));
    }
}
