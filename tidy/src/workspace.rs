//! The workspace's packages and their targets, as `cargo metadata` lists them (so a crate added to the
//! workspace's members is checked without editing this crate).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::Error;

/// A package of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Package name (`cash-shared`, `mint-server`, ...).
    pub name: String,
    /// The directory of its `Cargo.toml`.
    pub dir: PathBuf,
    /// Its targets (library, binaries, tests, benches, examples).
    pub targets: Vec<Target>,
}

/// One compiled crate of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Target name.
    pub name: String,
    /// Cargo's kinds: `lib`, `rlib`, `cdylib`, `bin`, `test`, `bench`, `example`, ...
    pub kinds: Vec<String>,
    /// The root file.
    pub root: PathBuf,
}

impl Target {
    /// Whether other crates can link it (`lib`, `rlib`, `dylib`, `cdylib`, `staticlib`, `proc-macro`).
    pub fn is_library(&self) -> bool {
        self.kinds.iter().any(|kind| kind.ends_with("lib") || kind == "proc-macro")
    }
}

/// The members of the workspace that holds the package at `manifest_dir`, sorted by name.
pub fn members(manifest_dir: &Path) -> Result<Vec<Package>, Error> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version", "1", "--manifest-path"])
        .arg(manifest_dir.join("Cargo.toml"))
        .output()
        .map_err(|error| Error::Metadata(format!("cannot run cargo: {error}")))?;
    if !output.status.success() {
        return Err(Error::Metadata(String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    parse_metadata(&String::from_utf8_lossy(&output.stdout))
}

/// The workspace members in `cargo metadata --format-version 1` output.
pub fn parse_metadata(json: &str) -> Result<Vec<Package>, Error> {
    let metadata: Value = serde_json::from_str(json).map_err(|error| Error::Metadata(error.to_string()))?;
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .ok_or_else(|| Error::Metadata("no workspace_members".into()))?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut packages = Vec::new();
    for package in metadata["packages"].as_array().ok_or_else(|| Error::Metadata("no packages".into()))? {
        if !package["id"].as_str().is_some_and(|id| members.contains(&id)) {
            continue;
        }
        let text = |value: &Value, what: &str| {
            value.as_str().map(str::to_owned).ok_or_else(|| Error::Metadata(format!("a package without {what}")))
        };
        let manifest = PathBuf::from(text(&package["manifest_path"], "manifest_path")?);
        let mut targets = Vec::new();
        for target in package["targets"].as_array().ok_or_else(|| Error::Metadata("no targets".into()))? {
            targets.push(Target {
                name: text(&target["name"], "target name")?,
                kinds: target["kind"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                root: PathBuf::from(text(&target["src_path"], "src_path")?),
            });
        }
        packages.push(Package {
            name: text(&package["name"], "name")?,
            dir: manifest.parent().unwrap_or(Path::new("")).to_owned(),
            targets,
        });
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_members_and_their_targets_only() {
        let json = r#"{
          "workspace_members": ["path+file:///w/a#0.1.0"],
          "packages": [
            {"id": "path+file:///w/a#0.1.0", "name": "a", "manifest_path": "/w/a/Cargo.toml",
             "targets": [{"name": "a", "kind": ["cdylib", "rlib"], "src_path": "/w/a/src/lib.rs"},
                         {"name": "a", "kind": ["bin"], "src_path": "/w/a/src/main.rs"}]},
            {"id": "registry+x#b@1.0.0", "name": "b", "manifest_path": "/r/b/Cargo.toml", "targets": []}
          ]
        }"#;
        let packages = parse_metadata(json).unwrap();
        assert_eq!(packages.len(), 1);
        assert_eq!(packages[0].dir, PathBuf::from("/w/a"));
        assert!(packages[0].targets[0].is_library());
        assert!(!packages[0].targets[1].is_library());
        assert_eq!(packages[0].targets[1].root, PathBuf::from("/w/a/src/main.rs"));
    }
}
