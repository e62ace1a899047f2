//! Safe Rust API of clql: ternary ("1.58-bit") quantized linear layers on
//! any OpenCL device, with workspaces sized from the memory each device
//! really has free.
//!
//! ```no_run
//! use clql::{Context, LayerShape, QType, PackedWeights, Layer};
//! let ctx = Context::new(None, None)?;                 // CLQL_DEVICE, else the first GPU
//! let shape = LayerShape::new(256, 512, QType::I2S);   // 256 outputs, 512 inputs
//! let t = vec![1i8; 256 * 512];
//! let scales = vec![0.5f32; shape.scale_count()? as usize];
//! let mut layer = Layer::new(&ctx, &PackedWeights::pack(&shape, &t, &scales)?, None)?;
//! let y = layer.forward(&vec![0.25f32; 512], 1)?;      // 256 outputs
//! # Ok::<(), clql::Error>(())
//! ```
//!
//! Every handle (`Config`, `Context`, `Layer`) frees what it holds when
//! dropped; a `Layer` borrows its `Context`. Failures are [`Error`]s with
//! clql's status name and detail. The raw C API is [`sys`].

pub use clql_sys as sys;

mod config;
mod context;
mod device;
mod error;
mod layer;
mod plan;
mod util;

pub use config::Config;
pub use context::{Context, ContextMemory};
pub use device::{devices, profile_devices, select_device, DeviceInfo, MemoryReport, NumaInfo, PciAddress};
pub use error::{status_message, status_name, Error, Result};
pub use layer::{reference_forward, reference_quantize_activations, Layer, LayerStats, PackedWeights, TernaryWeights};
pub use plan::{
    budget, model_load, model_parse, model_preset, model_preset_names, model_weight_bytes,
    model_workspace_bytes, plan_layer, plan_model, Budget, BudgetOptions, BufferKind, BufferRef,
    GroupSize, LayerPlan, LayerShape, LimitedBy, ModelLayer, ModelPlan, QType, WeightBytes,
    WorkspaceBytes, WorkspacePart, WS_STAGED, WS_WITH_INPUT, WS_WITH_OUTPUT,
};

/// The version of the loaded library, (major, minor, patch).
pub fn version() -> (u32, u32, u32) {
    let v = unsafe { sys::clql_version() };
    (v >> 16, (v >> 8) & 0xff, v & 0xff)
}

/// The version string of the loaded library, e.g. "0.1.0".
pub fn version_string() -> &'static str {
    error::static_str_pub(unsafe { sys::clql_version_string() })
}
