//! Helpers shared by the command-line tests: run the binary, make a fresh directory.
#![allow(dead_code)] // each test file uses the part it needs

use std::path::{Path, PathBuf};
use std::process::Command;

/// Run `xtask` with `args` in `dir` (the current directory when `None`):
/// success, standard output, standard error.
pub fn run(args: &[&str], dir: Option<&Path>) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(args);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let out = cmd.output().expect("the xtask binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh, empty directory for one test of one suite.
pub fn fresh_dir(suite: &str, test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pimzoo-{suite}-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
