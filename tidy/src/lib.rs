//! Checks that keep the workspace's structure, run by `cargo test --workspace` (`tests/structure.rs`).
//!
//! - **No import cycles between the files of a crate.** [`import_cycles`] reads a crate target from its root
//!   file (`lib.rs`, `main.rs`, a test), builds the graph of its modules as files, and returns every knot
//!   of files that import each other, directly or around a longer circle.
//! - **Which crate names a dependency.** [`paths_into_crate`] lists where a crate target names another crate
//!   (`use rqrr::..`, `rqrr::f()`), so a dependency can be kept to the one target that may use it.
//! - **Crate-level lints.** [`crate_attrs`] reads the inner attributes of a crate root (`#![no_std]`,
//!   `#![warn(missing_docs, unreachable_pub)]`).
//!
//! The edge rule: a file imports the file that defines the module a path names. `use crate::a::b::X`, a
//! path `crate::a::b::f()` in code or in a macro's tokens, `super::X`, `self::x::Y`, and names brought in by
//! another `use` or a glob (`use super::*; sibling::f()`) all count, resolved to the longest prefix that is
//! a module of the crate. A module importing its own descendants is no edge (a `mod.rs` declares and
//! re-exports its children), so children may use their parent's items; siblings and unrelated modules may
//! not import each other both ways. An inline module (`#[cfg(test)] mod tests { .. }`) belongs to its file.
//!
//! This crate reads files and runs `cargo metadata`; it ships nothing (`publish = false`).
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod crate_attrs;
pub mod graph;
pub mod modules;
pub mod references;
pub mod workspace;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use graph::Knot;
pub use modules::{ModPath, ModuleTree};

/// What can stop a check from running (as opposed to a check finding a problem).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A source file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A source file is not valid Rust.
    #[error("cannot parse {path}:{line}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Line of the error.
        line: usize,
        /// What syn said.
        message: String,
    },
    /// `mod name;` names a file that exists under none of the expected paths.
    #[error("{declared_in}: `mod {name};` has no file (looked for {})", display_paths(candidates))]
    MissingModuleFile {
        /// The file holding the declaration.
        declared_in: PathBuf,
        /// The module's name.
        name: String,
        /// Where it was looked for.
        candidates: Vec<PathBuf>,
    },
    /// `cargo metadata` failed or answered something unexpected.
    #[error("cargo metadata: {0}")]
    Metadata(String),
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// The import graph of one crate target: files as nodes, and for each edge the references that make it.
#[derive(Debug, Default)]
pub struct ImportGraph {
    /// `from file -> to file -> references`, files as paths relative to the target's root directory.
    pub edges: BTreeMap<PathBuf, BTreeMap<PathBuf, Vec<String>>>,
}

impl ImportGraph {
    /// Every knot of files that import each other (strongly connected parts of more than one file).
    pub fn knots(&self) -> Vec<Knot<PathBuf>> {
        let plain: BTreeMap<PathBuf, Vec<PathBuf>> =
            self.edges.iter().map(|(from, tos)| (from.clone(), tos.keys().cloned().collect())).collect();
        graph::knots(&plain)
    }

    /// A report of `knot` for people: the shortest circle, then every edge inside the knot with its names.
    pub fn describe(&self, knot: &Knot<PathBuf>) -> String {
        let mut out = String::new();
        let circle = knot.circle.iter().map(|file| file.display().to_string()).collect::<Vec<_>>();
        out.push_str(&format!("  circle: {}\n", circle.join(" -> ")));
        for from in &knot.members {
            for (to, names) in self.edges.get(from).into_iter().flatten() {
                if knot.members.contains(to) {
                    out.push_str(&format!("  {} -> {}: {}\n", from.display(), to.display(), names.join("; ")));
                }
            }
        }
        out
    }
}

/// Read the crate target whose root file is `root` from disk and build its import graph.
pub fn import_graph(root: &Path) -> Result<ImportGraph, Error> {
    import_graph_with(root, &mut read_from_disk)
}

/// Where the crate target whose root file is `root` names the crate `name`: every `use` leaf or path (in code,
/// types, attributes, macro tokens) whose first segment is `name`, as `file: reference` lines (empty when none).
/// Doc comments and strings do not count.
pub fn paths_into_crate(root: &Path, name: &str) -> Result<Vec<String>, Error> {
    paths_into_crate_with(root, name, &mut read_from_disk)
}

/// [`paths_into_crate`] with files read by `read` (see [`import_graph_with`]).
pub fn paths_into_crate_with(
    root: &Path,
    name: &str,
    read: &mut dyn FnMut(&Path) -> Result<String, Error>,
) -> Result<Vec<String>, Error> {
    let tree = ModuleTree::load(root, read)?;
    let mut found = Vec::new();
    for (file, source) in tree.files() {
        for reference in references::collect(&source.syntax, &source.module).references {
            if reference.path.first().is_some_and(|first| first == name) {
                found.push(format!("{}: {reference}", file.display()));
            }
        }
    }
    Ok(found)
}

fn read_from_disk(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_owned(), source })
}

/// [`import_graph`] with files read by `read` (so tests can give sources from memory). `read` must answer
/// [`Error::Read`] with [`std::io::ErrorKind::NotFound`] for a file that does not exist.
pub fn import_graph_with(
    root: &Path,
    read: &mut dyn FnMut(&Path) -> Result<String, Error>,
) -> Result<ImportGraph, Error> {
    let tree = ModuleTree::load(root, read)?;
    let base = root.parent().unwrap_or(Path::new(""));
    let relative = |path: &Path| path.strip_prefix(base).unwrap_or(path).to_owned();
    let mut graph = ImportGraph::default();
    for (file, source) in tree.files() {
        let from_module = &source.module;
        let found = references::collect(&source.syntax, from_module);
        for reference in &found.references {
            let Some(target) = references::resolve(&tree, &found, reference) else { continue };
            let Some(to_file) = tree.file_of(&target) else { continue };
            // A module's own descendants (declared, re-exported) and its own file are not edges.
            if to_file == file || target.starts_with(from_module) {
                continue;
            }
            graph
                .edges
                .entry(relative(file))
                .or_default()
                .entry(relative(to_file))
                .or_default()
                .push(reference.to_string());
        }
    }
    Ok(graph)
}

/// The knots of the target whose root file is `root`, each described for people (empty when there are none).
pub fn import_cycles(root: &Path) -> Result<Vec<String>, Error> {
    let graph = import_graph(root)?;
    Ok(graph.knots().iter().map(|knot| graph.describe(knot)).collect())
}

/// A reader of files from memory, for tests: `(path, text)` pairs; any other path is not found.
#[cfg(test)]
pub(crate) fn memory_reader(files: &[(&str, &str)]) -> impl FnMut(&Path) -> Result<String, Error> {
    let files: BTreeMap<PathBuf, String> =
        files.iter().map(|(path, text)| (PathBuf::from(path), (*text).to_owned())).collect();
    move |path: &Path| {
        files.get(path).cloned().ok_or_else(|| Error::Read {
            path: path.to_owned(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The edges of a crate given as `(file, text)` pairs, root `src/lib.rs`, as `from -> to` strings
    /// relative to `src/`.
    fn edges(files: &[(&str, &str)]) -> Vec<String> {
        let graph = import_graph_with(Path::new("src/lib.rs"), &mut memory_reader(files)).unwrap();
        let mut out = Vec::new();
        for (from, tos) in &graph.edges {
            for to in tos.keys() {
                out.push(format!("{} -> {}", from.display(), to.display()));
            }
        }
        out
    }

    fn circles(files: &[(&str, &str)]) -> Vec<String> {
        let graph = import_graph_with(Path::new("src/lib.rs"), &mut memory_reader(files)).unwrap();
        graph
            .knots()
            .iter()
            .map(|knot| knot.circle.iter().map(|file| file.display().to_string()).collect::<Vec<_>>().join(" -> "))
            .collect()
    }

    #[test]
    fn a_cycle_of_two_is_found_and_described_with_its_names() {
        let files = [
            ("src/lib.rs", "mod a; mod b;"),
            ("src/a.rs", "use crate::b::B;\npub struct A;"),
            ("src/b.rs", "pub struct B;\nfn f() -> super::a::A { super::a::A }"),
        ];
        assert_eq!(circles(&files), ["a.rs -> b.rs -> a.rs"]);
        let graph = import_graph_with(Path::new("src/lib.rs"), &mut memory_reader(&files)).unwrap();
        let report = graph.describe(&graph.knots()[0]);
        assert!(report.contains("a.rs -> b.rs: `use crate::b::B` (line 1)"), "{report}");
        assert!(report.contains("b.rs -> a.rs: `super::a::A` (line 2); `super::a::A` (line 2)"), "{report}");
    }

    #[test]
    fn a_cycle_of_three_is_found() {
        let files = [
            ("src/lib.rs", "mod a; mod b; mod c;"),
            ("src/a.rs", "use crate::b::B;"),
            ("src/b.rs", "use crate::c::C;"),
            ("src/c.rs", "use crate::a::A;"),
        ];
        assert_eq!(circles(&files), ["a.rs -> b.rs -> c.rs -> a.rs"]);
        // Without the closing edge there is no cycle.
        let mut open = files;
        open[3] = ("src/c.rs", "use std::fmt;");
        assert!(circles(&open).is_empty());
    }

    #[test]
    fn a_parent_and_its_children_do_not_count() {
        let files = [
            ("src/lib.rs", "pub mod store; use store::sql::Sql; pub use store::Store;"),
            ("src/store/mod.rs", "mod sql; mod writer; pub use sql::Sql; use self::writer::W; pub struct Store;"),
            ("src/store/sql.rs", "use super::Store; use crate::store::writer::W;"),
            ("src/store/writer.rs", "use super::{Store, sql::Sql};"),
        ];
        // The children use their parent (edges), the parent uses its children (no edges); the two
        // siblings import each other: that and only that is a cycle.
        assert_eq!(
            edges(&files),
            [
                "store/sql.rs -> store/mod.rs",
                "store/sql.rs -> store/writer.rs",
                "store/writer.rs -> store/mod.rs",
                "store/writer.rs -> store/sql.rs",
            ]
        );
        assert_eq!(circles(&files), ["store/sql.rs -> store/writer.rs -> store/sql.rs"]);
        let mut no_siblings = files;
        no_siblings[3] = ("src/store/writer.rs", "use super::Store; use crate::*;");
        assert!(circles(&no_siblings).is_empty());
    }

    #[test]
    fn grouped_nested_renamed_and_glob_uses_count() {
        let files = [
            ("src/lib.rs", "mod a; mod b; mod c; mod d; mod e;"),
            ("src/a.rs", "use crate::{b::B, c::{self, C as Renamed}, d::*};\nuse super::e;"),
            ("src/b.rs", ""),
            ("src/c.rs", ""),
            ("src/d.rs", ""),
            ("src/e.rs", ""),
        ];
        assert_eq!(edges(&files), ["a.rs -> b.rs", "a.rs -> c.rs", "a.rs -> d.rs", "a.rs -> e.rs"]);
    }

    #[test]
    fn inline_paths_in_code_types_attributes_and_macros_count() {
        let files = [
            ("src/lib.rs", "mod a; mod b; mod c; mod d; mod e; mod f; mod g;"),
            (
                "src/a.rs",
                r#"
                fn f(x: crate::b::B) -> impl crate::c::Trait { crate::d::make(x) }
                #[derive(serde::Deserialize)]
                struct S { #[serde(deserialize_with = "crate::e::parse")] field: u8 }
                fn g() { println!("{}", crate::f::NAME); }
                macro_rules! m { () => { $crate::g::run() } }
                fn h(v: Vec<crate::b::B>) {}
                "#,
            ),
            ("src/b.rs", ""),
            ("src/c.rs", ""),
            ("src/d.rs", ""),
            ("src/e.rs", ""),
            ("src/f.rs", ""),
            ("src/g.rs", ""),
        ];
        assert_eq!(
            edges(&files),
            ["a.rs -> b.rs", "a.rs -> c.rs", "a.rs -> d.rs", "a.rs -> e.rs", "a.rs -> f.rs", "a.rs -> g.rs"]
        );
    }

    #[test]
    fn names_from_uses_and_globs_are_followed() {
        let files = [
            ("src/lib.rs", "mod a; mod b; mod store;"),
            ("src/store/mod.rs", "pub mod sql;"),
            ("src/store/sql.rs", ""),
            // `store` is a name from a `use`; `b` is reached through the glob of the parent.
            (
                "src/a.rs",
                "use crate::store;\nuse super::*;\nfn f() { store::sql::run(); b::go(); store::Commit::new(); }",
            ),
            ("src/b.rs", "use std::fmt; fn g() { fmt::Debug; Vec::<u8>::new(); }"),
        ];
        assert_eq!(edges(&files), ["a.rs -> b.rs", "a.rs -> lib.rs", "a.rs -> store/mod.rs", "a.rs -> store/sql.rs"]);
        let graph = import_graph_with(Path::new("src/lib.rs"), &mut memory_reader(&files)).unwrap();
        // `store::Commit` reaches the module the `use` already reaches: listed once, by the `use`.
        assert_eq!(graph.edges[Path::new("a.rs")][Path::new("store/mod.rs")], ["`use crate::store` (line 1)"]);
    }

    #[test]
    fn an_inline_test_module_belongs_to_its_file() {
        let files = [
            ("src/lib.rs", "mod a; mod b;"),
            ("src/a.rs", "pub struct A;"),
            ("src/b.rs", "use crate::a::A;\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use crate::a::A;\n}"),
        ];
        assert_eq!(edges(&files), ["b.rs -> a.rs"]);
        let graph = import_graph_with(Path::new("src/lib.rs"), &mut memory_reader(&files)).unwrap();
        assert_eq!(
            graph.edges[Path::new("b.rs")][Path::new("a.rs")],
            ["`use crate::a::A` (line 1)", "`use crate::a::A` (line 5)"]
        );
        // A test module importing back makes a cycle like any other code of its file.
        let mut back = files;
        back[1] = ("src/a.rs", "pub struct A;\n#[cfg(test)]\nmod tests { use crate::b::*; }");
        assert_eq!(circles(&back), ["a.rs -> b.rs -> a.rs"]);
    }

    #[test]
    fn paths_into_other_crates_and_visibility_are_not_edges() {
        let files = [
            ("src/lib.rs", "mod a; mod b;"),
            ("src/a.rs", "use ::b::x; use shared::nuts; pub(in crate::b) fn f() { std::mem::drop(1); }"),
            ("src/b.rs", ""),
        ];
        assert!(edges(&files).is_empty());
    }

    #[test]
    fn paths_into_a_crate_are_found_in_uses_code_and_macros_but_not_in_docs_or_strings() {
        let files = [
            ("src/lib.rs", "//! Uses `rqrr::decode`.\nmod a; mod b;\nfn f() -> &'static str { \"rqrr::x\" }"),
            ("src/a.rs", "use rqrr::PreparedImage;\nfn g() { let _ = rqrr::PreparedImage::prepare(); }"),
            ("src/b.rs", "fn h() { println!(\"{:?}\", rqrr::VERSION); let _ = rqrr_like::x(); }"),
        ];
        let found = paths_into_crate_with(Path::new("src/lib.rs"), "rqrr", &mut memory_reader(&files)).unwrap();
        assert_eq!(
            found,
            [
                "src/a.rs: `use rqrr::PreparedImage` (line 1)",
                "src/a.rs: `rqrr::PreparedImage::prepare` (line 2)",
                "src/b.rs: `rqrr::VERSION` (line 1)",
            ]
        );
        let none = [("src/lib.rs", "use std::fmt; fn f() { crate::g(); }")];
        assert!(paths_into_crate_with(Path::new("src/lib.rs"), "rqrr", &mut memory_reader(&none)).unwrap().is_empty());
    }
}
