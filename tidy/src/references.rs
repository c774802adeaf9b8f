//! The paths a file uses to reach other modules, and their resolution to modules of the crate.
//!
//! Collected: every leaf of every `use` tree (groups flattened, renames and `self` handled, globs kept),
//! every path of two or more segments in code, types and attributes' arguments, and `a::b` sequences in
//! the tokens of macro calls (`format!`, `view!`, `macro_rules!` bodies with `$crate`). Visibility paths
//! (`pub(in crate::a)`) and doc comments are not references.

use std::collections::BTreeMap;
use std::fmt;

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::visit::{self, Visit};

use crate::modules::{ModPath, ModuleTree};

/// How a reference was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A leaf of a `use` tree.
    Use,
    /// A path in code, a type, an attribute or a macro's tokens.
    Inline,
}

/// One path from a file towards some item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The module the path is written in (the file's module, or an inline module inside it).
    pub scope: ModPath,
    /// The segments as written, for example `["super", "sql", "Writer"]`.
    pub path: Vec<String>,
    /// `use path::*`.
    pub glob: bool,
    /// Line in the file.
    pub line: usize,
    /// `use` or inline.
    pub kind: Kind,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.join("::");
        let glob = if self.glob { "::*" } else { "" };
        match self.kind {
            Kind::Use => write!(f, "`use {path}{glob}` (line {})", self.line),
            Kind::Inline => write!(f, "`{path}` (line {})", self.line),
        }
    }
}

/// The names a module's `use` items bring into scope.
#[derive(Debug, Default)]
struct Scope {
    /// `name -> path as written` for `use a::b::name` and `use a::b as name`.
    names: BTreeMap<String, Vec<String>>,
    /// `use a::b::*`.
    globs: Vec<Vec<String>>,
}

/// Everything [`collect`] found in one file.
#[derive(Debug, Default)]
pub struct References {
    /// The references, in file order.
    pub references: Vec<Reference>,
    scopes: BTreeMap<ModPath, Scope>,
}

/// Collect the references of a file that is module `module`.
pub fn collect(file: &syn::File, module: &ModPath) -> References {
    let mut collector = Collector { scope: module.clone(), found: References::default(), use_line: 0 };
    for attr in &file.attrs {
        collector.visit_attribute(attr);
    }
    for item in &file.items {
        collector.visit_item(item);
    }
    collector.found
}

/// The module of the crate that `reference` reaches: the longest prefix of its absolute path that is a
/// module. `None` for paths into other crates, and for an inline path through a name that a `use` of the
/// same file brought in when it reaches the same module as that `use` (the `use` is the edge already).
pub fn resolve(tree: &ModuleTree, found: &References, reference: &Reference) -> Option<ModPath> {
    let absolute = absolute(tree, found, &reference.scope, &reference.path, 0)?;
    let target = longest_module(tree, &absolute);
    if reference.kind == Kind::Inline {
        let first = reference.path.first()?;
        let alias = found.scopes.get(&reference.scope).and_then(|scope| scope.names.get(first));
        if let Some(alias) = alias {
            let alias_target =
                absolute_of(tree, found, &reference.scope, alias).map(|path| longest_module(tree, &path));
            if alias_target.as_ref() == Some(&target) {
                return None;
            }
        }
    }
    Some(target)
}

fn absolute_of(tree: &ModuleTree, found: &References, scope: &[String], path: &[String]) -> Option<Vec<String>> {
    absolute(tree, found, scope, path, 0)
}

/// The path from the crate root that `path`, written in module `scope`, names; `None` if it leaves the crate.
fn absolute(
    tree: &ModuleTree,
    found: &References,
    scope: &[String],
    path: &[String],
    depth: u8,
) -> Option<Vec<String>> {
    if depth > 16 {
        return None;
    }
    let (first, rest) = path.split_first()?;
    let joined = |mut base: Vec<String>, rest: &[String]| {
        base.extend(rest.iter().cloned());
        base
    };
    match first.as_str() {
        "crate" | "$crate" => Some(rest.to_vec()),
        "self" => absolute_relative(tree, found, scope, rest, depth),
        "super" => {
            let mut base = scope.to_vec();
            base.pop()?;
            let mut rest = rest;
            while rest.first().is_some_and(|segment| segment == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
            Some(joined(base, rest))
        }
        "Self" => None,
        name => {
            let mut child = scope.to_vec();
            child.push(name.to_owned());
            if tree.is_module(&child) {
                return Some(joined(child, rest));
            }
            let names = found.scopes.get(scope);
            if let Some(target) = names.and_then(|names| names.names.get(name)) {
                // `use name;` of an outside crate names itself: nothing in this crate.
                if target.len() == 1 && target[0] == name {
                    return None;
                }
                let base = absolute(tree, found, scope, target, depth + 1)?;
                return Some(joined(base, rest));
            }
            for glob in names.map(|names| names.globs.as_slice()).unwrap_or_default() {
                let Some(mut base) = absolute(tree, found, scope, glob, depth + 1) else { continue };
                base.push(name.to_owned());
                if tree.is_module(&base) {
                    return Some(joined(base, rest));
                }
            }
            None
        }
    }
}

/// `self::rest`: `rest` from `scope` itself (`self::a::b` is `scope::a::b`; `self::super::x` is rare).
fn absolute_relative(
    tree: &ModuleTree,
    found: &References,
    scope: &[String],
    rest: &[String],
    depth: u8,
) -> Option<Vec<String>> {
    match rest.first().map(String::as_str) {
        Some("super") => absolute(tree, found, scope, rest, depth + 1),
        _ => {
            let mut base = scope.to_vec();
            base.extend(rest.iter().cloned());
            Some(base)
        }
    }
}

fn longest_module(tree: &ModuleTree, path: &[String]) -> ModPath {
    (0..=path.len()).rev().map(|len| &path[..len]).find(|prefix| tree.is_module(prefix)).unwrap_or_default().to_vec()
}

struct Collector {
    scope: ModPath,
    found: References,
    /// Line of the `use` being read (for globs, which have no name of their own).
    use_line: usize,
}

fn ident_name(ident: &syn::Ident) -> String {
    let text = ident.to_string();
    text.strip_prefix("r#").map(str::to_owned).unwrap_or(text)
}

impl Collector {
    fn push(&mut self, path: Vec<String>, glob: bool, line: usize, kind: Kind) {
        self.found.references.push(Reference { scope: self.scope.clone(), path, glob, line, kind });
    }

    fn scope(&mut self) -> &mut Scope {
        self.found.scopes.entry(self.scope.clone()).or_default()
    }

    fn use_tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<String>) {
        match tree {
            syn::UseTree::Path(part) => {
                prefix.push(ident_name(&part.ident));
                self.use_tree(&part.tree, prefix);
                prefix.pop();
            }
            syn::UseTree::Name(leaf) => self.use_leaf(prefix, &leaf.ident, &leaf.ident),
            syn::UseTree::Rename(leaf) => self.use_leaf(prefix, &leaf.ident, &leaf.rename),
            syn::UseTree::Glob(_) => {
                self.scope().globs.push(prefix.clone());
                self.push(prefix.clone(), true, self.use_line, Kind::Use);
            }
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(tree, prefix);
                }
            }
        }
    }

    /// `use prefix::ident as name` (`ident` may be `self`: `use a::{self}` names `a`).
    fn use_leaf(&mut self, prefix: &[String], ident: &syn::Ident, name: &syn::Ident) {
        let ident_text = ident_name(ident);
        let mut path = prefix.to_vec();
        if ident_text != "self" || path.is_empty() {
            path.push(ident_text.clone());
        }
        let name = match ident_name(name) {
            text if text == "self" => path.last().cloned().unwrap_or(text),
            text => text,
        };
        if name != "_" {
            self.scope().names.insert(name, path.clone());
        }
        self.push(path, false, ident.span().start().line, Kind::Use);
    }

    /// `a::b` sequences in raw tokens (macro calls, attribute arguments).
    fn tokens(&mut self, tokens: TokenStream, in_attribute: bool) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let is_colon = |index: usize, spacing: Option<Spacing>| {
            matches!(tokens.get(index), Some(TokenTree::Punct(punct))
                if punct.as_char() == ':' && spacing.is_none_or(|spacing| punct.spacing() == spacing))
        };
        let mut index = 0;
        while index < tokens.len() {
            match &tokens[index] {
                TokenTree::Group(group) => self.tokens(group.stream(), in_attribute),
                TokenTree::Literal(literal) if in_attribute => self.string_path(literal),
                TokenTree::Ident(ident) => {
                    let after_colons =
                        index >= 2 && is_colon(index - 1, None) && is_colon(index - 2, Some(Spacing::Joint));
                    let after_dollar =
                        index >= 1 && matches!(&tokens[index - 1], TokenTree::Punct(punct) if punct.as_char() == '$');
                    let mut path = vec![ident_name(ident)];
                    let mut next = index + 1;
                    while is_colon(next, Some(Spacing::Joint)) && is_colon(next + 1, None) {
                        let Some(TokenTree::Ident(segment)) = tokens.get(next + 2) else { break };
                        path.push(ident_name(segment));
                        next += 3;
                    }
                    // `$name::x` is a macro variable; `$crate::x` is this crate.
                    if after_dollar && path[0] == "crate" {
                        path[0] = "$crate".to_owned();
                    }
                    let is_variable = after_dollar && path[0] != "$crate";
                    if path.len() >= 2 && !after_colons && !is_variable {
                        self.push(path, false, ident.span().start().line, Kind::Inline);
                    }
                    index = next;
                    continue;
                }
                _ => {}
            }
            index += 1;
        }
    }

    /// `#[serde(with = "crate::a::b")]`: a string in an attribute's arguments that is a whole path.
    fn string_path(&mut self, literal: &proc_macro2::Literal) {
        let text = literal.to_string();
        let Some(inner) = text.strip_prefix('"').and_then(|text| text.strip_suffix('"')) else { return };
        let path: Vec<String> = inner.split("::").map(str::to_owned).collect();
        let is_ident = |part: &String| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_');
        if path.len() >= 2 && path.iter().all(is_ident) {
            self.push(path, false, literal.span().start().line, Kind::Inline);
        }
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        for attr in &item.attrs {
            self.visit_attribute(attr);
        }
        if let Some((_, items)) = &item.content {
            self.scope.push(ident_name(&item.ident));
            for item in items {
                self.visit_item(item);
            }
            self.scope.pop();
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        for attr in &item.attrs {
            self.visit_attribute(attr);
        }
        // `use ::name::..` always names another crate.
        if item.leading_colon.is_none() {
            self.use_line = item.use_token.span.start().line;
            self.use_tree(&item.tree, &mut Vec::new());
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() && path.segments.len() >= 2 {
            let segments = path.segments.iter().map(|segment| ident_name(&segment.ident)).collect();
            let line = path.segments.first().map_or(0, |segment| segment.ident.span().start().line);
            self.push(segments, false, line, Kind::Inline);
        }
        visit::visit_path(self, path);
    }

    fn visit_vis_restricted(&mut self, _: &'ast syn::VisRestricted) {}

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        self.tokens(mac.tokens.clone(), false);
    }

    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        match &attr.meta {
            // Doc comments are prose, not imports.
            syn::Meta::NameValue(pair) if pair.path.is_ident("doc") => {}
            syn::Meta::List(list) => {
                self.visit_path(&list.path);
                self.tokens(list.tokens.clone(), true);
            }
            _ => visit::visit_attribute(self, attr),
        }
    }
}
