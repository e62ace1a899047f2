//! Failures carry clql's status name, message and detail.
mod common;

use clql::{BudgetOptions, Config, Context, LayerShape, MemoryReport, QType};

#[test]
fn status_names_of_the_library() {
    assert_eq!(clql::status_name(0), "CLQL_SUCCESS");
    assert_eq!(clql::status_name(clql::sys::CLQL_ERR_INVALID_ARGUMENT), "CLQL_ERR_INVALID_ARGUMENT");
    assert_eq!(clql::status_name(-4), "CL_MEM_OBJECT_ALLOCATION_FAILURE");
    assert_eq!(clql::status_name(12345), "CLQL_UNKNOWN_STATUS");
    let (major, _, _) = clql::version();
    assert_eq!(major, clql::version_string().split('.').next().unwrap().parse::<u32>().unwrap());
}

#[test]
fn invalid_arguments_of_the_c_api() {
    // A shape without rows, planned: clql's own check.
    let mem = MemoryReport::new(4 << 30, 1 << 30, Some(3 << 30));
    let e = clql::plan_layer(&mem, None, &LayerShape::new(0, 256, QType::I2S), None, 0).unwrap_err();
    assert_eq!(e.name(), "CLQL_ERR_INVALID_SHAPE", "{}", e);
    let e = LayerShape::new(16, 128, QType::I2S).workspace_bytes(0, 0).unwrap_err();
    assert_eq!(e.name(), "CLQL_ERR_INVALID_SHAPE", "{}", e);
    assert!(e.detail().contains("batch"), "{}", e);
    // Weights of the wrong count, packed.
    let shape = LayerShape::new(16, 128, QType::I2S);
    let e = clql::PackedWeights::pack(&shape, &[0i8; 16 * 127], &[1.0; 16]).unwrap_err();
    assert_eq!(e.name(), "CLQL_ERR_INVALID_ARGUMENT", "{}", e);
    assert_eq!(e.status(), clql::sys::CLQL_ERR_INVALID_ARGUMENT);
    assert_eq!(e.message(), clql::status_message(e.status()));
    // Refused by the binding before the call, with the same status.
    let e = clql::model_parse("q 16 16\0", QType::I2S).unwrap_err();
    assert_eq!(e.name(), "CLQL_ERR_INVALID_ARGUMENT");
    assert!(e.detail().contains("NUL"), "{}", e.detail());
}

#[test]
fn details_name_what_was_wrong() {
    let e = "TL9".parse::<QType>().unwrap_err();
    assert_eq!(e.name(), "CLQL_ERR_INVALID_QTYPE");
    let mut cfg = Config::new().unwrap();
    let e = cfg.set("CLQL_MEM_LIMIT", Some("1.5G")).unwrap_err();
    assert_eq!(e.name(), "CLQL_ERR_INVALID_CONFIG");
    assert!(e.detail().contains("CLQL_MEM_LIMIT"), "{}", e.detail());
    assert!(e.to_string().starts_with("CLQL_ERR_INVALID_CONFIG: "), "{}", e);
    cfg.set("CLQL_MEM_LIMIT", Some("6G")).unwrap();
    assert_eq!(cfg.get("CLQL_MEM_LIMIT").unwrap().as_deref(), Some("6G"));
    assert_eq!(cfg.get("CLQL_MAX_BATCH").unwrap(), None);
    assert_eq!(cfg.clone().get("CLQL_MEM_LIMIT").unwrap().as_deref(), Some("6G"));
    assert!(Config::names().unwrap().contains(&"CLQL_MEM_LIMIT"));
    let mem = MemoryReport::new(4 << 30, 1 << 30, None);
    let e = clql::budget(&mem, Some(&BudgetOptions { fraction: Some(1.5), ..Default::default() })).unwrap_err();
    assert_eq!(e.name(), "CLQL_ERR_INVALID_CONFIG");
    let e = clql::model_preset("no-such-model", QType::I2S).unwrap_err();
    assert_eq!(e.name(), "CLQL_ERR_NOT_FOUND");
    assert!(e.detail().contains("bitnet-b1.58-2b4t"), "{}", e.detail());
    let e = clql::model_parse("q 16 x\n", QType::I2S).unwrap_err();
    assert_eq!(e.name(), "CLQL_ERR_PARSE");
    assert!(e.detail().contains("line 1"), "{}", e.detail());
    let e = clql::profile_devices("/nonexistent/devices.json", None).unwrap_err();
    assert_eq!(e.name(), "CLQL_ERR_IO");
    let e = clql::profile_devices(common::devices_file(), Some("no-such-record")).unwrap_err();
    assert_eq!(e.name(), "CLQL_ERR_NOT_FOUND");
    let e = clql::PackedWeights::pack(&LayerShape::new(16, 128, QType::I2S), &[2i8; 16 * 128], &[1.0; 16])
        .unwrap_err();
    assert_eq!(e.name(), "CLQL_ERR_INVALID_WEIGHTS");
}

#[test]
fn device_errors() {
    let e = Context::new(Some("no-such-device-anywhere"), None).err().expect("no such device");
    assert_eq!(e.name(), "CLQL_ERR_NO_DEVICE", "{}", e);
    let e = Context::new(Some("1:"), None).err().expect("a malformed selector");
    assert_eq!(e.name(), "CLQL_ERR_BAD_SELECTOR", "{}", e);
    // A context whose budget cannot hold the layer.
    let mut cfg = Config::new().unwrap();
    cfg.set("CLQL_MEM_LIMIT", Some("64K")).unwrap();
    let ctx = Context::new(None, Some(&cfg)).unwrap();
    assert_eq!(ctx.memory().unwrap().budget.limit, Some(64 << 10));
    let shape = LayerShape::new(1024, 1024, QType::I2S);
    let packed = clql::PackedWeights::pack(&shape, &vec![1i8; 1024 * 1024], &vec![1.0; 1024]).unwrap();
    let e = clql::Layer::new(&ctx, &packed, None).err().expect("over the budget");
    assert_eq!(e.name(), "CLQL_ERR_DOES_NOT_FIT", "{}", e);
    assert!(!e.detail().is_empty());
}
