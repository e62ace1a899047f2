//! The workspace and batch of one ternary linear layer, from the memory a
//! device really has.
//!
//! BitNet-rs' `QuantizedLinear::calculate_gpu_workspace_size` took a
//! layer's input and output features, its quantization type and the device,
//! and assumed 6 GB of GPU memory with the batch capped at 128: too little
//! on an 80 GB card, out of memory on a 4 GB one. `workspace_size` below
//! takes the same inputs and asks clql's planner instead, which works from
//! the device's free memory (or a recorded device's figures), its largest
//! single buffer and the budget knobs (CLQL_MEM_LIMIT, ...).
//!
//! Usage: workspace_size [--in K] [--out N] [--qtype I2S|TL1|TL2]
//!                       [--device SELECTOR] [--profile FILE[:ID]]...
//! It prints the plan for the default device (or --device), then for each
//! recorded device of the profiles (by default a 4 GiB and an 80 GB card of
//! bindings/data/devices.json).

use std::path::Path;
use std::process::exit;

use clql::{BudgetOptions, Config, LayerPlan, LayerShape, MemoryReport, QType, WS_STAGED};

/// The seed's function done right: the workspace (bytes) and the batch (tokens
/// per forward) of a layer with `in_features` inputs and `out_features`
/// outputs on a device whose memory is `mem`, staging the float input and
/// output as a forward from host memory does. The batch is the largest whose
/// weights and workspace fit the budget, every buffer within max_alloc.
fn workspace_size(
    in_features: u64,
    out_features: u64,
    qtype: QType,
    mem: &MemoryReport,
    opts: &BudgetOptions,
) -> clql::Result<LayerPlan> {
    let shape = LayerShape::new(out_features, in_features, qtype);
    clql::plan_layer(mem, Some(opts), &shape, None, WS_STAGED)
}

/// What the seed computed for the same layer (bytes, batch): d bytes per
/// weight (2 for I2S and TL1, 4 for TL2), a batch of min(128, (6 GiB - weights)
/// / (4 N)), capped at 8 GiB.
fn seed_guess(in_features: u64, out_features: u64, qtype: QType) -> (u64, u64) {
    let d = if qtype == QType::TL2 { 4 } else { 2 };
    let weights = in_features * out_features * d;
    let batch = ((6u64 << 30).saturating_sub(weights) / (4 * out_features)).min(128);
    ((weights + batch * out_features * 4).min(8 << 30), batch)
}

fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}

fn report(name: &str, mem: &MemoryReport, plan: &LayerPlan) {
    let free = match mem.free() {
        Some(f) => format!("{} free ({})", gib(f), mem.free_source()),
        None => "free unknown".to_string(),
    };
    println!("{}: total {}, {}, budget {}", name, gib(mem.total()), free, gib(plan.budget.bytes));
    if plan.fits {
        println!(
            "  batch {} ({}), workspace {} bytes ({}), weights {} bytes",
            plan.batch,
            plan.limited_by.name(),
            plan.workspace.total,
            gib(plan.workspace.total),
            plan.resident_bytes
        );
    } else {
        println!("  does not fit: weights {} bytes and one token's workspace exceed the budget", plan.resident_bytes);
    }
}

fn usage(why: &str) -> ! {
    eprintln!("workspace_size: {}", why);
    eprintln!("usage: workspace_size [--in K] [--out N] [--qtype I2S|TL1|TL2] [--device SEL] [--profile FILE[:ID]]...");
    exit(2)
}

fn main() {
    let mut in_features = 2560u64;
    let mut out_features = 6912u64;
    let mut qtype = QType::I2S;
    let mut device: Option<String> = None;
    let mut profiles: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{} needs a value", arg)));
        match arg.as_str() {
            "--in" => in_features = value().parse().unwrap_or_else(|_| usage("--in: a whole number")),
            "--out" => out_features = value().parse().unwrap_or_else(|_| usage("--out: a whole number")),
            "--qtype" => qtype = value().parse().unwrap_or_else(|e: clql::Error| usage(&e.to_string())),
            "--device" => device = Some(value()),
            "--profile" => profiles.push(value()),
            _ => usage(&format!("unknown argument '{}'", arg)),
        }
    }
    if in_features == 0 || out_features == 0 {
        usage("--in and --out must be at least 1");
    }
    if profiles.is_empty() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/devices.json");
        let data = data.to_string_lossy();
        profiles.push(format!("{}:gpu-4gib-synthetic", data));
        profiles.push(format!("{}:nvidia-h100-80gb-hbm3-derived", data));
    }
    if let Err(e) = run(in_features, out_features, qtype, device.as_deref(), &profiles) {
        eprintln!("workspace_size: {}", e);
        exit(1);
    }
}

fn run(in_features: u64, out_features: u64, qtype: QType, device: Option<&str>, profiles: &[String]) -> clql::Result<()> {
    // The budget knobs of the environment, as clql's tools read them.
    let opts = Config::from_env()?.budget()?;
    let (seed_bytes, seed_batch) = seed_guess(in_features, out_features, qtype);
    println!(
        "{} layer, {} in x {} out; the 6 GB assumption: batch {}, workspace {} bytes on every device",
        qtype, in_features, out_features, seed_batch, seed_bytes
    );
    let dev = clql::select_device(device)?;
    let mem = dev.memory();
    report(&dev.name(), &mem, &workspace_size(in_features, out_features, qtype, &mem, &opts)?);
    for p in profiles {
        // FILE[:ID], as clql-probe --profile takes it.
        let (file, id) = match p.rfind(':') {
            Some(at) if !Path::new(p).exists() => (&p[..at], Some(&p[at + 1..])),
            _ => (p.as_str(), None),
        };
        for d in clql::profile_devices(file, id)? {
            let mem = d.memory();
            let label = format!("{} (record {})", d.name(), d.profile_id().unwrap_or_default());
            report(&label, &mem, &workspace_size(in_features, out_features, qtype, &mem, &opts)?);
        }
    }
    Ok(())
}
