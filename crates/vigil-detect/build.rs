//! Picks the prefilter backend: the system's Hyperscan/Vectorscan library
//! (`libhs`, found with pkg-config) when present, else the built-in
//! aho-corasick. `VIGIL_PREFILTER=aho-corasick` forces the built-in one;
//! the default build needs nothing but cargo and a C compiler.

use std::process::Command;

fn main() {
    println!("cargo:rustc-check-cfg=cfg(vigil_hyperscan)");
    println!("cargo:rerun-if-env-changed=VIGIL_PREFILTER");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    if std::env::var("VIGIL_PREFILTER").as_deref() == Ok("aho-corasick") {
        return;
    }
    let Ok(out) = Command::new("pkg-config")
        .args(["--libs", "libhs"])
        .output()
    else {
        return;
    };
    if !out.status.success() {
        return;
    }
    for token in String::from_utf8_lossy(&out.stdout).split_whitespace() {
        if let Some(dir) = token.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if let Some(lib) = token.strip_prefix("-l") {
            println!("cargo:rustc-link-lib={lib}");
        }
    }
    println!("cargo:rustc-cfg=vigil_hyperscan");
}
