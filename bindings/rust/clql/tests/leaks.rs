//! Dropped handles hold no OpenCL object: the count of live references the
//! fault layer of the build tree (libclql_fault_layer.so, loaded through
//! OPENCL_LAYERS) sees is the same before a context and its layers exist
//! and after they are dropped. The test runs itself again with the layer.
mod common;

use std::os::raw::{c_char, c_int, c_long, c_void};

use clql::{Config, Context, Layer, LayerShape, PackedWeights, QType};

extern "C" {
    fn dlopen(file: *const c_char, mode: c_int) -> *mut c_void;
    fn dlsym(handle: *mut c_void, name: *const c_char) -> *mut c_void;
}
const RTLD_LAZY: c_int = 1;
const RTLD_NOLOAD: c_int = 4;

fn fault_layer() -> std::path::PathBuf {
    common::build_dir().join("lib/libclql_fault_layer.so")
}

fn live_refs() -> c_long {
    let path = std::ffi::CString::new(fault_layer().to_str().unwrap()).unwrap();
    unsafe {
        let h = dlopen(path.as_ptr(), RTLD_LAZY | RTLD_NOLOAD);
        assert!(!h.is_null(), "the fault layer is not loaded");
        let f = dlsym(h, b"clql_fault_live_refs\0".as_ptr() as *const c_char);
        assert!(!f.is_null());
        let f: extern "C" fn() -> c_long = std::mem::transmute(f);
        f()
    }
}

fn use_and_drop() {
    let mut cfg = Config::new().unwrap();
    cfg.set("CLQL_MEM_LIMIT", Some("256M")).unwrap();
    let ctx = Context::new(None, Some(&cfg)).unwrap();
    let shape = LayerShape::new(64, 256, QType::I2S);
    let packed = PackedWeights::pack(&shape, &vec![-1i8; 64 * 256], &vec![0.25; 64]).unwrap();
    let mut a = Layer::new(&ctx, &packed, None).unwrap();
    let b = Layer::new(&ctx, &packed, None).unwrap();
    a.forward(&vec![1.0; 4 * 256], 4).unwrap();
    drop(b);
    a.forward(&vec![1.0; 256], 1).unwrap();
    let _copy = ctx.config().unwrap();
}

#[test]
fn dropped_handles_release_every_opencl_object() {
    if std::env::var_os("CLQL_BINDINGS_LEAK_CHILD").is_none() {
        assert!(fault_layer().exists(), "{} not built", fault_layer().display());
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "dropped_handles_release_every_opencl_object", "--nocapture"])
            .env("OPENCL_LAYERS", fault_layer())
            .env("CLQL_BINDINGS_LEAK_CHILD", "1")
            .status()
            .unwrap();
        assert!(status.success(), "the test under the fault layer failed");
        return;
    }
    use_and_drop(); // the first use loads the platform and PoCL's caches
    let before = live_refs();
    for _ in 0..3 {
        use_and_drop();
    }
    let after = live_refs();
    println!("live OpenCL references: {} before, {} after", before, after);
    assert_eq!(before, after, "OpenCL objects outlive their handles");
}
