//! Plans and memory reports equal what clql-probe prints for the same
//! recorded devices (`clql-probe --profile FILE:ID --plan ... --json`).
mod common;

use clql::{BudgetOptions, LayerShape, MemoryReport, ModelPlan, QType, WS_STAGED};
use common::json::Json;

fn record_ids(file: &std::path::Path) -> Vec<String> {
    clql::profile_devices(file, None)
        .unwrap()
        .iter()
        .map(|d| d.profile_id().expect("a recorded device has its record id"))
        .collect()
}

/// The first ten keys of clql-probe's "plan" object (its contract) and
/// the rest it prints, against a plan made here.
fn assert_plan_eq(what: &str, p: &ModelPlan, j: &Json) {
    assert_eq!(j.get("fits").bool(), p.fits, "{}: fits", what);
    assert_eq!(j.get("max_batch").opt_u64(), Some(p.batch), "{}: max_batch", what);
    if p.fits {
        assert_eq!(j.get("limited_by").str(), p.limited_by.name(), "{}: limited_by", what);
        assert_eq!(j.get("workspace_bytes").u64(), p.workspace.total, "{}: workspace_bytes", what);
    }
    assert_eq!(j.get("budget_bytes").u64(), p.budget.bytes, "{}: budget_bytes", what);
    assert_eq!(j.get("weight_bytes").u64(), p.weight_bytes, "{}: weight_bytes", what);
    assert_eq!(j.get("free_is_fallback").bool(), p.budget.free_is_fallback, "{}: fallback", what);
    assert_eq!(j.get("layers").u64(), p.layers, "{}: layers", what);
    assert_eq!(j.get("batch_cap").u64(), p.budget.max_batch, "{}: batch_cap", what);
    assert_eq!(j.get("max_alloc_bytes").u64(), p.budget.max_alloc, "{}: max_alloc_bytes", what);
    assert_eq!(j.get("need_bytes").u64(), p.need_bytes, "{}: need_bytes", what);
    assert_eq!(j.get("over_budget_bytes").u64(), p.over_budget_bytes, "{}: over_budget_bytes", what);
    assert_eq!(j.get("largest_buffer_bytes").u64(), p.largest.bytes, "{}: largest_buffer_bytes", what);
}

/// Every record of `file`: the memory report and the 2B4T plan at each qtype,
/// with and without a requested batch, against clql-probe.
fn compare_file(file: &std::path::Path) {
    let path = file.to_str().unwrap();
    for id in record_ids(file) {
        let arg = format!("{}:{}", path, id);
        let dev = &clql::profile_devices(file, Some(&id)).unwrap()[0];
        let mem = dev.memory();
        for q in QType::ALL {
            let layers = clql::model_preset("bitnet-b1.58-2b4t", q).unwrap();
            for batch in [None, Some(64u64)] {
                let mut args = vec!["--profile", &arg, "--plan", "bitnet-b1.58-2b4t", "--qtype", q.name(), "--json"];
                let b = batch.map(|b| b.to_string());
                if let Some(b) = &b {
                    args.push("--batch");
                    args.push(b);
                }
                let j = common::probe(&args, &[]);
                let d = j.get("devices").at(0);
                let m = d.get("memory");
                assert_eq!(m.get("total").u64(), mem.total(), "{}: total", id);
                assert_eq!(m.get("max_alloc").u64(), mem.max_alloc(), "{}: max_alloc", id);
                assert_eq!(m.get("free").opt_u64(), mem.free(), "{}: free", id);
                assert_eq!(m.get("free_source").str(), mem.free_source(), "{}: free_source", id);
                assert_eq!(d.get("name").str(), dev.name(), "{}: name", id);
                if d.get("plan").has("error") {
                    assert!(clql::plan_model(&mem, None, &layers, batch, WS_STAGED).is_err(), "{}", id);
                    continue;
                }
                let p = clql::plan_model(&mem, None, &layers, batch, WS_STAGED).unwrap();
                assert_plan_eq(&format!("{} {} batch {:?}", id, q, batch), &p, d.get("plan"));
            }
        }
    }
}

#[test]
fn model_plans_equal_clql_probe_on_the_bindings_records() {
    let file = common::devices_file();
    assert_eq!(record_ids(&file).len(), 2);
    compare_file(&file);
}

/// The project's whole set of recorded devices, where the checkout has it
/// beside it (CI's does).
#[test]
fn model_plans_equal_clql_probe_on_every_shared_record() {
    let file = common::repo().join("../shared/data/devices.json");
    if !file.exists() {
        println!("note: {} not found; only the bindings' records were compared", file.display());
        return;
    }
    compare_file(&file);
}

/// Budget knobs as options here, as variables for clql-probe.
#[test]
fn budget_options_equal_the_variables() {
    let file = common::devices_file();
    let arg = format!("{}:nvidia-h100-80gb-hbm3-derived", file.display());
    let mem = clql::profile_devices(&file, Some("nvidia-h100-80gb-hbm3-derived")).unwrap()[0].memory();
    let layers = clql::model_preset("bitnet-b1.58-2b4t", QType::I2S).unwrap();
    let cases: Vec<(BudgetOptions, Vec<(&str, &str)>)> = vec![
        (BudgetOptions { limit: Some(6 << 30), ..Default::default() }, vec![("CLQL_MEM_LIMIT", "6G")]),
        (BudgetOptions { max_batch: Some(1_000_000_000), ..Default::default() }, vec![("CLQL_MAX_BATCH", "1000000000")]),
        (
            BudgetOptions { fraction: Some(0.5), reserve_bytes: Some(1 << 30), ..Default::default() },
            vec![("CLQL_MEM_FRACTION", "0.5"), ("CLQL_MEM_RESERVE", "1G")],
        ),
        (BudgetOptions { reserve_percent: Some(7.5), ..Default::default() }, vec![("CLQL_MEM_RESERVE", "7.5%")]),
        (BudgetOptions { limit: Some(400 << 20), ..Default::default() }, vec![("CLQL_MEM_LIMIT", "400M")]),
    ];
    for (opts, env) in cases {
        let j = common::probe(&["--profile", &arg, "--plan", "bitnet-b1.58-2b4t", "--json"], &env);
        let p = clql::plan_model(&mem, Some(&opts), &layers, None, WS_STAGED).unwrap();
        assert_plan_eq(&format!("{:?}", env), &p, j.get("devices").at(0).get("plan"));
        // And a configuration with the same variables gives the same options.
        let mut cfg = clql::Config::new().unwrap();
        for (k, v) in &env {
            cfg.set(k, Some(v)).unwrap();
        }
        assert_eq!(cfg.budget().unwrap(), opts);
        assert_eq!(clql::budget(&mem, Some(&opts)).unwrap(), p.budget);
    }
}

/// One layer: plan_layer against clql-probe planning a one-layer model file.
#[test]
fn layer_plans_equal_clql_probe() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let file = common::devices_file();
    for id in record_ids(&file) {
        let mem = clql::profile_devices(&file, Some(&id)).unwrap()[0].memory();
        for (n, k, q) in [(6912u64, 2560u64, QType::I2S), (2560, 6912, QType::TL2), (13824, 2560, QType::TL1)] {
            let model = dir.join(format!("layer-{}x{}.txt", n, k));
            std::fs::write(&model, format!("layer {} {}\n", n, k)).unwrap();
            let arg = format!("{}:{}", file.display(), id);
            let j = common::probe(
                &["--profile", &arg, "--plan", model.to_str().unwrap(), "--qtype", q.name(), "--json"],
                &[],
            );
            let p = clql::plan_layer(&mem, None, &LayerShape::new(n, k, q), None, WS_STAGED).unwrap();
            let jp = j.get("devices").at(0).get("plan");
            let what = format!("{} {}x{} {}", id, n, k, q);
            assert_eq!(jp.get("fits").bool(), p.fits, "{}", what);
            assert_eq!(jp.get("max_batch").opt_u64(), Some(p.batch), "{}", what);
            assert_eq!(jp.get("limited_by").str(), p.limited_by.name(), "{}", what);
            assert_eq!(jp.get("budget_bytes").u64(), p.budget.bytes, "{}", what);
            assert_eq!(jp.get("workspace_bytes").u64(), p.workspace.total, "{}", what);
            assert_eq!(jp.get("weight_bytes").u64(), p.resident_bytes, "{}", what);
            assert_eq!(jp.get("largest_buffer_bytes").u64(), p.largest_buffer, "{}", what);
            // The plan's workspace is the layout's at the planned batch.
            assert_eq!(LayerShape::new(n, k, q).workspace_bytes(p.batch, WS_STAGED).unwrap(), p.workspace);
        }
    }
}

#[test]
fn hand_filled_reports_and_model_text() {
    // 4 GiB with 3 GiB free measured: budget = min(3G - 256M, 0.9 x 4G).
    let mem = MemoryReport::new(4 << 30, 1 << 30, Some(3 << 30));
    let b = clql::budget(&mem, None).unwrap();
    assert_eq!(b.bytes, (3u64 << 30) - (256 << 20));
    assert!(!b.free_is_fallback);
    assert_eq!(b.limit, None);
    let layers = clql::model_parse("# name N K count\nq 2560 2560 30\ndown 2560 6912 30\n", QType::TL2).unwrap();
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[1].name, "down");
    assert_eq!(layers[1].shape, LayerShape::new(2560, 6912, QType::TL2));
    assert_eq!(layers[1].count, 30);
    let per = layers.iter().map(|l| l.shape.weight_bytes().unwrap()).collect::<Vec<_>>();
    let want: u64 = per.iter().zip(&layers).map(|(w, l)| (w.weights + w.scales) * l.count).sum();
    assert_eq!(clql::model_weight_bytes(&layers).unwrap(), want);
    assert!(clql::model_preset_names().unwrap().contains(&"bitnet-b1.58-2b4t"));
}
