//! The run-time path of this crate's tests and examples: the directory
//! clql-sys linked libclql from (see clql-sys/build.rs).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if let Ok(dir) = std::env::var("DEP_CLQL_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir);
    }
}
