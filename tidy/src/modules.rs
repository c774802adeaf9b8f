//! The module tree of a crate target: which module lives in which file.
//!
//! Starting at the root file, every `mod name;` is followed to `name.rs` or `name/mod.rs` (beside a
//! `mod.rs`/root file, or in the directory named after a non-`mod.rs` file), or to its `#[path = ".."]`.
//! Inline modules (`mod tests { .. }`) live in the file that holds them. Declarations under any `#[cfg]` are
//! all followed: the graph is the union over configurations.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::Error;

/// A module's path from the crate root: `[]` is the root, `["store", "sql"]` is `crate::store::sql`.
pub type ModPath = Vec<String>;

/// One parsed file of the crate.
pub struct SourceFile {
    /// The module the file is (inline modules inside it have longer paths).
    pub module: ModPath,
    /// Its syntax tree.
    pub syntax: syn::File,
}

impl std::fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceFile").field("module", &self.module).finish_non_exhaustive()
    }
}

/// Every module of a crate target and the file it lives in.
#[derive(Debug, Default)]
pub struct ModuleTree {
    modules: BTreeMap<ModPath, PathBuf>,
    files: BTreeMap<PathBuf, SourceFile>,
}

impl ModuleTree {
    /// Read the target whose root file is `root`, with `read` (see [`crate::import_graph_with`]).
    pub fn load(root: &Path, read: &mut dyn FnMut(&Path) -> Result<String, Error>) -> Result<Self, Error> {
        let mut tree = ModuleTree::default();
        let dir = root.parent().unwrap_or(Path::new("")).to_owned();
        let text = read(root)?;
        tree.add_file(root.to_owned(), &text, Vec::new(), dir, read)?;
        Ok(tree)
    }

    /// Whether `path` names a module of the crate.
    pub fn is_module(&self, path: &[String]) -> bool {
        self.modules.contains_key(path)
    }

    /// The file that module `path` lives in.
    pub fn file_of(&self, path: &[String]) -> Option<&PathBuf> {
        self.modules.get(path)
    }

    /// Every file, with the module it is.
    pub fn files(&self) -> impl Iterator<Item = (&PathBuf, &SourceFile)> {
        self.files.iter()
    }

    /// Every module path, sorted.
    pub fn modules(&self) -> impl Iterator<Item = &ModPath> {
        self.modules.keys()
    }

    /// Parse `text` as the file `path` of module `module`; `children_dir` is where its `mod x;` look.
    fn add_file(
        &mut self,
        path: PathBuf,
        text: &str,
        module: ModPath,
        children_dir: PathBuf,
        read: &mut dyn FnMut(&Path) -> Result<String, Error>,
    ) -> Result<(), Error> {
        if self.files.contains_key(&path) {
            // The same file reached twice (two `#[path]`s): its modules are already known.
            return Ok(());
        }
        let syntax = syn::parse_file(text).map_err(|error| Error::Parse {
            path: path.clone(),
            line: error.span().start().line,
            message: error.to_string(),
        })?;
        self.modules.insert(module.clone(), path.clone());
        let file_dir = path.parent().unwrap_or(Path::new("")).to_owned();
        let items = syntax.items.clone();
        self.files.insert(path.clone(), SourceFile { module: module.clone(), syntax });
        let place = Place { file: &path, file_dir: &file_dir, inline: false };
        self.add_items(&items, &module, &children_dir, place, read)
    }

    fn add_items(
        &mut self,
        items: &[syn::Item],
        module: &ModPath,
        children_dir: &Path,
        place: Place<'_>,
        read: &mut dyn FnMut(&Path) -> Result<String, Error>,
    ) -> Result<(), Error> {
        for item in items {
            let syn::Item::Mod(declaration) = item else { continue };
            let name = declaration.ident.to_string();
            let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
            let mut child = module.clone();
            child.push(name.clone());
            let path_attr = path_attribute(&declaration.attrs);
            match &declaration.content {
                Some((_, inner)) => {
                    self.modules.insert(child.clone(), place.file.to_owned());
                    let dir = match &path_attr {
                        Some(relative) => place.base_dir(children_dir).join(relative),
                        None => children_dir.join(&name),
                    };
                    self.add_items(inner, &child, &dir, Place { inline: true, ..place }, read)?;
                }
                None => {
                    let candidates = match &path_attr {
                        Some(relative) => vec![place.base_dir(children_dir).join(relative)],
                        None => vec![children_dir.join(format!("{name}.rs")), children_dir.join(&name).join("mod.rs")],
                    };
                    let (file, text) = first_existing(&candidates, read)?.ok_or_else(|| Error::MissingModuleFile {
                        declared_in: place.file.to_owned(),
                        name: name.clone(),
                        candidates: candidates.clone(),
                    })?;
                    // `x/mod.rs` and `#[path]` files are "mod-rs" files: their children sit beside them.
                    let grandchildren_dir = if path_attr.is_some() || file.ends_with("mod.rs") {
                        file.parent().unwrap_or(Path::new("")).to_owned()
                    } else {
                        children_dir.join(&name)
                    };
                    self.add_file(file, &text, child, grandchildren_dir, read)?;
                }
            }
        }
        Ok(())
    }
}

/// Where a `mod` declaration sits, for `#[path]` resolution.
#[derive(Clone, Copy)]
struct Place<'a> {
    file: &'a Path,
    file_dir: &'a Path,
    /// Inside an inline module: `#[path]` is relative to the inline module's directory, not the file's.
    inline: bool,
}

impl Place<'_> {
    fn base_dir(&self, children_dir: &Path) -> PathBuf {
        if self.inline { children_dir.to_owned() } else { self.file_dir.to_owned() }
    }
}

fn path_attribute(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|attr| match &attr.meta {
        syn::Meta::NameValue(pair) if pair.path.is_ident("path") => match &pair.value {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) => Some(text.value()),
            _ => None,
        },
        _ => None,
    })
}

fn first_existing(
    candidates: &[PathBuf],
    read: &mut dyn FnMut(&Path) -> Result<String, Error>,
) -> Result<Option<(PathBuf, String)>, Error> {
    for candidate in candidates {
        match read(candidate) {
            Ok(text) => return Ok(Some((candidate.clone(), text))),
            Err(Error::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
            Err(other) => return Err(other),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory_reader;

    fn tree(files: &[(&str, &str)]) -> Result<ModuleTree, Error> {
        ModuleTree::load(Path::new("src/lib.rs"), &mut memory_reader(files))
    }

    fn module(path: &str) -> ModPath {
        path.split("::").filter(|part| !part.is_empty()).map(str::to_owned).collect()
    }

    #[test]
    fn follows_mod_rs_and_non_mod_rs_files_and_inline_modules() {
        let tree = tree(&[
            ("src/lib.rs", "mod a; mod b; #[cfg(test)] mod tests { mod inner {} }"),
            ("src/a.rs", "mod child;"),
            ("src/a/child.rs", ""),
            ("src/b/mod.rs", "pub mod c; mod d { pub mod e; }"),
            ("src/b/c.rs", ""),
            ("src/b/d/e.rs", ""),
        ])
        .unwrap();
        let expected = [
            ("", "src/lib.rs"),
            ("a", "src/a.rs"),
            ("a::child", "src/a/child.rs"),
            ("b", "src/b/mod.rs"),
            ("b::c", "src/b/c.rs"),
            ("b::d", "src/b/mod.rs"),
            ("b::d::e", "src/b/d/e.rs"),
            ("tests", "src/lib.rs"),
            ("tests::inner", "src/lib.rs"),
        ];
        for (path, file) in expected {
            assert_eq!(tree.file_of(&module(path)), Some(&PathBuf::from(file)), "module `{path}`");
        }
        assert_eq!(tree.modules().count(), expected.len());
    }

    #[test]
    fn path_attributes_are_followed() {
        let tree = tree(&[
            ("src/lib.rs", r#"#[path = "other/x.rs"] mod a;"#),
            ("src/other/x.rs", "mod b;"),
            ("src/other/b.rs", ""),
        ])
        .unwrap();
        assert_eq!(tree.file_of(&module("a")), Some(&PathBuf::from("src/other/x.rs")));
        assert_eq!(tree.file_of(&module("a::b")), Some(&PathBuf::from("src/other/b.rs")));
    }

    #[test]
    fn a_missing_module_file_is_an_error() {
        let error = tree(&[("src/lib.rs", "mod gone;")]).unwrap_err();
        assert!(matches!(error, Error::MissingModuleFile { ref name, .. } if name == "gone"), "{error}");
    }
}
