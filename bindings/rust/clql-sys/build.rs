//! Finds libclql to link against, in this order:
//!   1. $CLQL_LIB_DIR (the directory holding libclql.so);
//!   2. $CLQL_BUILD_DIR/lib, else the repository's build tree (build/lib);
//!   3. pkg-config's libdir of an installed clql (`pkg-config --variable=libdir clql`).
//! The directory is passed on to dependent crates (DEP_CLQL_LIB_DIR) and set as
//! the run-time path of this crate's tests, so they run without LD_LIBRARY_PATH.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn has_lib(dir: &Path) -> bool {
    dir.join("libclql.so").exists()
}

fn from_pkg_config() -> Option<PathBuf> {
    let out = Command::new("pkg-config")
        .args(["--variable=libdir", "clql"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if has_lib(&dir) {
        Some(dir)
    } else {
        None
    }
}

fn find() -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os("CLQL_LIB_DIR") {
        let dir = PathBuf::from(dir);
        return if has_lib(&dir) {
            Ok(dir)
        } else {
            Err(format!("CLQL_LIB_DIR={} holds no libclql.so", dir.display()))
        };
    }
    let build = match env::var_os("CLQL_BUILD_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../build"),
    };
    let lib = build.join("lib");
    if has_lib(&lib) {
        return Ok(lib.canonicalize().unwrap_or(lib));
    }
    from_pkg_config().ok_or_else(|| {
        format!(
            "libclql not found: not in {}, not through pkg-config; build clql \
             (cmake --workflow --preset default) or set CLQL_LIB_DIR",
            lib.display()
        )
    })
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CLQL_LIB_DIR");
    println!("cargo:rerun-if-env-changed=CLQL_BUILD_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let dir = match find() {
        Ok(dir) => dir,
        Err(why) => panic!("{}", why),
    };
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=dylib=clql");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    println!("cargo:lib_dir={}", dir.display());
}
