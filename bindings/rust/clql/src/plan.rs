//! Budgets and plans: pure arithmetic on memory reports (no OpenCL calls),
//! with the same byte counts the allocator uses.

use std::path::Path;

use crate::device::MemoryReport;
use crate::error::{check, static_str, Error, Result};
use crate::util::{chars, cstring, enumerate, enumerate_names, fill_chars, path_cstring};
use clql_sys as sys;

/// Workspace flag: clql stages the float input (as `Layer::forward` does).
pub const WS_WITH_INPUT: u32 = sys::CLQL_WS_WITH_INPUT;
/// Workspace flag: clql stages the float output.
pub const WS_WITH_OUTPUT: u32 = sys::CLQL_WS_WITH_OUTPUT;
/// Both: what a forward on host memory (and `clql-probe --plan`) needs.
pub const WS_STAGED: u32 = WS_WITH_INPUT | WS_WITH_OUTPUT;

/// The budget knobs; None leaves a knob at its default.
/// `budget = min(free - reserve, fraction x total, limit)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BudgetOptions {
    /// 0 < fraction <= 1, of total.
    pub fraction: Option<f64>,
    /// An absolute cap in bytes (>= 1).
    pub limit: Option<u64>,
    /// Bytes kept free (wins over `reserve_percent`).
    pub reserve_bytes: Option<u64>,
    /// Percent of total kept free (0..100).
    pub reserve_percent: Option<f64>,
    /// Cap on the batch (>= 1).
    pub max_batch: Option<u64>,
}

impl BudgetOptions {
    pub fn to_raw(&self) -> sys::clql_budget_options {
        let mut raw = sys::clql_budget_options::default();
        if let Some(v) = self.fraction {
            raw.set |= sys::CLQL_BUDGET_FRACTION;
            raw.fraction = v;
        }
        if let Some(v) = self.limit {
            raw.set |= sys::CLQL_BUDGET_LIMIT;
            raw.limit = v;
        }
        if let Some(v) = self.reserve_bytes {
            raw.set |= sys::CLQL_BUDGET_RESERVE_BYTES;
            raw.reserve_bytes = v;
        }
        if let Some(v) = self.reserve_percent {
            raw.set |= sys::CLQL_BUDGET_RESERVE_PERCENT;
            raw.reserve_percent = v;
        }
        if let Some(v) = self.max_batch {
            raw.set |= sys::CLQL_BUDGET_MAX_BATCH;
            raw.max_batch = v;
        }
        raw
    }

    pub fn from_raw(raw: &sys::clql_budget_options) -> BudgetOptions {
        let has = |bit: u32| raw.set & bit != 0;
        BudgetOptions {
            fraction: if has(sys::CLQL_BUDGET_FRACTION) { Some(raw.fraction) } else { None },
            limit: if has(sys::CLQL_BUDGET_LIMIT) { Some(raw.limit) } else { None },
            reserve_bytes: if has(sys::CLQL_BUDGET_RESERVE_BYTES) { Some(raw.reserve_bytes) } else { None },
            reserve_percent: if has(sys::CLQL_BUDGET_RESERVE_PERCENT) { Some(raw.reserve_percent) } else { None },
            max_batch: if has(sys::CLQL_BUDGET_MAX_BATCH) { Some(raw.max_batch) } else { None },
        }
    }
}

/// Raw options of an optional BudgetOptions, kept alive for the call.
fn raw_opts(opts: Option<&BudgetOptions>) -> Option<sys::clql_budget_options> {
    opts.map(|o| o.to_raw())
}

fn opts_ptr(raw: &Option<sys::clql_budget_options>) -> *const sys::clql_budget_options {
    raw.as_ref().map_or(std::ptr::null(), |r| r as *const _)
}

/// The budget a plan used, with the figures it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Budget {
    pub bytes: u64,
    pub total: u64,
    /// Free memory the budget started from (total when unknown).
    pub free: u64,
    pub reserve: u64,
    pub fraction: f64,
    /// The absolute cap; None when there is none.
    pub limit: Option<u64>,
    pub max_batch: u64,
    pub max_alloc: u64,
    /// Free was unknown: the budget came from total with the stricter defaults.
    pub free_is_fallback: bool,
    pub free_source: &'static str,
}

impl Budget {
    pub fn from_raw(raw: &sys::clql_budget) -> Budget {
        Budget {
            bytes: raw.bytes,
            total: raw.total,
            free: raw.free,
            reserve: raw.reserve,
            fraction: raw.fraction,
            limit: if raw.limit == u64::MAX { None } else { Some(raw.limit) },
            max_batch: raw.max_batch,
            max_alloc: raw.max_alloc,
            free_is_fallback: raw.free_is_fallback != 0,
            free_source: static_str(unsafe { sys::clql_mem_source_name(raw.free_source) }),
        }
    }
}

/// The budget of a device under `opts` (None: the defaults).
pub fn budget(mem: &MemoryReport, opts: Option<&BudgetOptions>) -> Result<Budget> {
    let raw = raw_opts(opts);
    let mut out = sys::clql_budget::default();
    check(unsafe { sys::clql_budget_compute(mem.raw(), opts_ptr(&raw), &mut out) })?;
    Ok(Budget::from_raw(&out))
}

/// Ternary storage types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QType {
    I2S,
    TL1,
    TL2,
}

impl QType {
    pub const ALL: [QType; 3] = [QType::I2S, QType::TL1, QType::TL2];

    pub fn to_raw(self) -> sys::clql_qtype {
        match self {
            QType::I2S => sys::CLQL_QTYPE_I2S,
            QType::TL1 => sys::CLQL_QTYPE_TL1,
            QType::TL2 => sys::CLQL_QTYPE_TL2,
        }
    }
    pub fn from_raw(raw: sys::clql_qtype) -> Result<QType> {
        match raw {
            sys::CLQL_QTYPE_I2S => Ok(QType::I2S),
            sys::CLQL_QTYPE_TL1 => Ok(QType::TL1),
            sys::CLQL_QTYPE_TL2 => Ok(QType::TL2),
            _ => Err(Error::invalid_argument(format!("qtype {} is not known", raw))),
        }
    }
    /// "I2S", "TL1", "TL2".
    pub fn name(self) -> &'static str {
        static_str(unsafe { sys::clql_qtype_name(self.to_raw()) })
    }
}

impl std::str::FromStr for QType {
    type Err = Error;
    /// Case-insensitive name; CLQL_ERR_INVALID_QTYPE otherwise.
    fn from_str(s: &str) -> Result<QType> {
        let c = cstring("qtype", s)?;
        let mut raw: sys::clql_qtype = 0;
        check(unsafe { sys::clql_qtype_parse(c.as_ptr(), &mut raw) })?;
        QType::from_raw(raw)
    }
}

impl std::fmt::Display for QType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How many weights share a scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupSize {
    /// One scale per row (output feature).
    Row,
    /// One scale for the whole tensor.
    Tensor,
    /// One scale per G weights of a row (a multiple of 32; of 96 for TL2).
    Elements(u32),
}

impl GroupSize {
    pub fn to_raw(self) -> u32 {
        match self {
            GroupSize::Row => sys::CLQL_GROUP_ROW,
            GroupSize::Tensor => sys::CLQL_GROUP_TENSOR,
            GroupSize::Elements(g) => g,
        }
    }
    pub fn from_raw(raw: u32) -> GroupSize {
        match raw {
            sys::CLQL_GROUP_ROW => GroupSize::Row,
            sys::CLQL_GROUP_TENSOR => GroupSize::Tensor,
            g => GroupSize::Elements(g),
        }
    }
}

/// A ternary linear layer's shape: y[B][n] = x[B][k] * W^T.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerShape {
    /// Output features (rows of W).
    pub n: u64,
    /// Input features (row length).
    pub k: u64,
    pub qtype: QType,
    pub group_size: GroupSize,
}

impl LayerShape {
    /// A shape with one scale per row.
    pub fn new(n: u64, k: u64, qtype: QType) -> LayerShape {
        LayerShape { n, k, qtype, group_size: GroupSize::Row }
    }
    pub fn to_raw(&self) -> sys::clql_layer_shape {
        sys::clql_layer_shape {
            n: self.n,
            k: self.k,
            qtype: self.qtype.to_raw(),
            group_size: self.group_size.to_raw(),
        }
    }
    pub fn from_raw(raw: &sys::clql_layer_shape) -> Result<LayerShape> {
        Ok(LayerShape {
            n: raw.n,
            k: raw.k,
            qtype: QType::from_raw(raw.qtype)?,
            group_size: GroupSize::from_raw(raw.group_size),
        })
    }
    /// Checked as clql checks shapes (n, k >= 1, group allowed for the qtype).
    pub fn check(&self) -> Result<()> {
        check(unsafe { sys::clql_layout_check(&self.to_raw()) })
    }
    /// Number of host-side scales: 1, n, or n x ceil(k / G).
    pub fn scale_count(&self) -> Result<u64> {
        let mut out = 0u64;
        check(unsafe { sys::clql_scale_count(&self.to_raw(), &mut out) })?;
        Ok(out)
    }
    /// Resident device bytes of the layer.
    pub fn weight_bytes(&self) -> Result<WeightBytes> {
        let mut out = sys::clql_weight_bytes::default();
        check(unsafe { sys::clql_layout_weight_bytes(&self.to_raw(), &mut out) })?;
        Ok(WeightBytes::from_raw(&out))
    }
    /// Workspace of one forward of `batch` tokens (`ws_flags`: WS_*).
    pub fn workspace_bytes(&self, batch: u64, ws_flags: u32) -> Result<WorkspaceBytes> {
        let mut out = sys::clql_workspace_bytes::default();
        check(unsafe { sys::clql_layout_workspace_bytes(&self.to_raw(), batch, ws_flags, &mut out) })?;
        Ok(WorkspaceBytes::from_raw(&out))
    }
}

/// Bytes of the resident buffers of a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightBytes {
    pub k_padded: u64,
    pub groups: u64,
    pub weights: u64,
    pub scales: u64,
    pub n_padded: u64,
}

impl WeightBytes {
    pub fn from_raw(r: &sys::clql_weight_bytes) -> WeightBytes {
        WeightBytes {
            k_padded: r.k_padded,
            groups: r.groups,
            weights: r.weights,
            scales: r.scales,
            n_padded: r.n_padded,
        }
    }
}

/// The parts of the per-forward workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkspacePart {
    Input,
    Activations,
    ActScales,
    Tables,
    Partials,
    Output,
}

impl WorkspacePart {
    pub const ALL: [WorkspacePart; 6] = [
        WorkspacePart::Input,
        WorkspacePart::Activations,
        WorkspacePart::ActScales,
        WorkspacePart::Tables,
        WorkspacePart::Partials,
        WorkspacePart::Output,
    ];
    pub fn to_raw(self) -> sys::clql_workspace_part {
        match self {
            WorkspacePart::Input => sys::CLQL_WS_INPUT,
            WorkspacePart::Activations => sys::CLQL_WS_ACTIVATIONS,
            WorkspacePart::ActScales => sys::CLQL_WS_ACT_SCALES,
            WorkspacePart::Tables => sys::CLQL_WS_TABLES,
            WorkspacePart::Partials => sys::CLQL_WS_PARTIALS,
            WorkspacePart::Output => sys::CLQL_WS_OUTPUT,
        }
    }
    fn from_raw(raw: sys::clql_workspace_part) -> WorkspacePart {
        WorkspacePart::ALL.iter().copied().find(|p| p.to_raw() == raw).unwrap_or(WorkspacePart::Input)
    }
    /// "input", "activations", "act_scales", "tables", "partials", "output".
    pub fn name(self) -> &'static str {
        static_str(unsafe { sys::clql_workspace_part_name(self.to_raw()) })
    }
}

/// A workspace: its parts' bytes at `batch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkspaceBytes {
    pub batch: u64,
    pub parts: [u64; sys::CLQL_WS_PART_COUNT as usize],
    /// The largest part: must fit max_alloc.
    pub largest: u64,
    /// One buffer holding every part at aligned offsets.
    pub total: u64,
}

impl WorkspaceBytes {
    pub fn from_raw(r: &sys::clql_workspace_bytes) -> WorkspaceBytes {
        WorkspaceBytes { batch: r.batch, parts: r.part, largest: r.largest, total: r.total }
    }
    pub fn part(&self, part: WorkspacePart) -> u64 {
        self.parts[part.to_raw() as usize]
    }
}

/// What stopped a plan's batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitedBy {
    Budget,
    MaxAlloc,
    Cap,
    Request,
}

impl LimitedBy {
    fn from_raw(raw: sys::clql_limited_by) -> LimitedBy {
        match raw {
            sys::CLQL_LIMITED_BY_MAX_ALLOC => LimitedBy::MaxAlloc,
            sys::CLQL_LIMITED_BY_CAP => LimitedBy::Cap,
            sys::CLQL_LIMITED_BY_REQUEST => LimitedBy::Request,
            _ => LimitedBy::Budget,
        }
    }
    fn to_raw(self) -> sys::clql_limited_by {
        match self {
            LimitedBy::Budget => sys::CLQL_LIMITED_BY_BUDGET,
            LimitedBy::MaxAlloc => sys::CLQL_LIMITED_BY_MAX_ALLOC,
            LimitedBy::Cap => sys::CLQL_LIMITED_BY_CAP,
            LimitedBy::Request => sys::CLQL_LIMITED_BY_REQUEST,
        }
    }
    /// "budget", "max_alloc", "cap", "request".
    pub fn name(self) -> &'static str {
        static_str(unsafe { sys::clql_limited_by_name(self.to_raw()) })
    }
}

pub(crate) fn limited_by_from_raw(raw: sys::clql_limited_by) -> LimitedBy {
    LimitedBy::from_raw(raw)
}

/// The plan of one layer.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerPlan {
    pub shape: LayerShape,
    pub budget: Budget,
    pub weights: WeightBytes,
    /// The workspace at `batch` (at batch 1 when nothing fits).
    pub workspace: WorkspaceBytes,
    /// The largest batch that fits; 0 when even 1 does not.
    pub batch: u64,
    pub limited_by: LimitedBy,
    pub fits: bool,
    pub resident_bytes: u64,
    pub largest_buffer: u64,
}

impl LayerPlan {
    pub fn from_raw(r: &sys::clql_layer_plan) -> Result<LayerPlan> {
        Ok(LayerPlan {
            shape: LayerShape::from_raw(&r.shape)?,
            budget: Budget::from_raw(&r.budget),
            weights: WeightBytes::from_raw(&r.weights),
            workspace: WorkspaceBytes::from_raw(&r.workspace),
            batch: r.batch,
            limited_by: LimitedBy::from_raw(r.limited_by),
            fits: r.fits != 0,
            resident_bytes: r.resident_bytes,
            largest_buffer: r.largest_buffer,
        })
    }
}

/// Plan one layer: the largest batch (at most `requested_batch` when given,
/// and the cap) whose weights and workspace fit the budget, every buffer
/// within max_alloc. A layer that does not fit is Ok with `fits` false.
pub fn plan_layer(
    mem: &MemoryReport,
    opts: Option<&BudgetOptions>,
    shape: &LayerShape,
    requested_batch: Option<u64>,
    ws_flags: u32,
) -> Result<LayerPlan> {
    let raw = raw_opts(opts);
    let mut out = sys::clql_layer_plan::default();
    check(unsafe {
        sys::clql_plan_layer(
            mem.raw(),
            opts_ptr(&raw),
            &shape.to_raw(),
            requested_batch.unwrap_or(0),
            ws_flags,
            &mut out,
        )
    })?;
    LayerPlan::from_raw(&out)
}

/// `count` identical layers of one shape, as a model lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelLayer {
    pub name: String,
    pub shape: LayerShape,
    pub count: u64,
}

impl ModelLayer {
    pub fn new(name: &str, shape: LayerShape, count: u64) -> ModelLayer {
        ModelLayer { name: name.to_string(), shape, count }
    }
    pub fn to_raw(&self) -> Result<sys::clql_model_layer> {
        let mut raw = sys::clql_model_layer::default();
        fill_chars("layer name", &self.name, &mut raw.name)?;
        raw.shape = self.shape.to_raw();
        raw.count = self.count;
        Ok(raw)
    }
    pub fn from_raw(raw: &sys::clql_model_layer) -> Result<ModelLayer> {
        Ok(ModelLayer { name: chars(&raw.name), shape: LayerShape::from_raw(&raw.shape)?, count: raw.count })
    }
}

fn raw_layers(layers: &[ModelLayer]) -> Result<Vec<sys::clql_model_layer>> {
    layers.iter().map(|l| l.to_raw()).collect()
}

fn model_layers(raw: Vec<sys::clql_model_layer>) -> Result<Vec<ModelLayer>> {
    raw.iter().map(ModelLayer::from_raw).collect()
}

/// Names of the model presets ("bitnet-b1.58-2b4t", ...).
pub fn model_preset_names() -> Result<Vec<&'static str>> {
    enumerate_names(|buf, cap, n| unsafe { sys::clql_model_preset_names(buf, cap, n) })
}

/// The layers of a preset with `qtype` and per-row scales.
pub fn model_preset(name: &str, qtype: QType) -> Result<Vec<ModelLayer>> {
    let c = cstring("preset name", name)?;
    model_layers(enumerate(|buf, cap, n| unsafe {
        sys::clql_model_preset(c.as_ptr(), qtype.to_raw(), buf, cap, n)
    })?)
}

/// Layers from the model text format ("name N K [count]" lines).
pub fn model_parse(text: &str, qtype: QType) -> Result<Vec<ModelLayer>> {
    let c = cstring("model text", text)?;
    model_layers(enumerate(|buf, cap, n| unsafe {
        sys::clql_model_parse(c.as_ptr(), qtype.to_raw(), buf, cap, n)
    })?)
}

/// Layers from a model file.
pub fn model_load(path: impl AsRef<Path>, qtype: QType) -> Result<Vec<ModelLayer>> {
    let c = path_cstring("model path", path.as_ref())?;
    model_layers(enumerate(|buf, cap, n| unsafe {
        sys::clql_model_load(c.as_ptr(), qtype.to_raw(), buf, cap, n)
    })?)
}

/// Resident bytes of every layer of a model.
pub fn model_weight_bytes(layers: &[ModelLayer]) -> Result<u64> {
    let raw = raw_layers(layers)?;
    let mut out = 0u64;
    check(unsafe { sys::clql_model_weight_bytes(raw.as_ptr(), raw.len(), &mut out) })?;
    Ok(out)
}

/// The workspace all layers of a model share at `batch`.
pub fn model_workspace_bytes(layers: &[ModelLayer], batch: u64, ws_flags: u32) -> Result<WorkspaceBytes> {
    let raw = raw_layers(layers)?;
    let mut out = sys::clql_workspace_bytes::default();
    check(unsafe { sys::clql_model_workspace_bytes(raw.as_ptr(), raw.len(), batch, ws_flags, &mut out) })?;
    Ok(WorkspaceBytes::from_raw(&out))
}

/// What a buffer of a plan holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferKind {
    Weights,
    Scales,
    Workspace,
}

impl BufferKind {
    fn from_raw(raw: sys::clql_buffer_kind) -> BufferKind {
        match raw {
            sys::CLQL_BUFFER_WEIGHTS => BufferKind::Weights,
            sys::CLQL_BUFFER_SCALES => BufferKind::Scales,
            _ => BufferKind::Workspace,
        }
    }
    fn to_raw(self) -> sys::clql_buffer_kind {
        match self {
            BufferKind::Weights => sys::CLQL_BUFFER_WEIGHTS,
            BufferKind::Scales => sys::CLQL_BUFFER_SCALES,
            BufferKind::Workspace => sys::CLQL_BUFFER_WORKSPACE,
        }
    }
    /// "weights", "scales", "workspace".
    pub fn name(self) -> &'static str {
        static_str(unsafe { sys::clql_buffer_kind_name(self.to_raw()) })
    }
}

/// One buffer of a model plan and the layer that needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferRef {
    pub bytes: u64,
    /// Index into the layer list.
    pub layer: usize,
    pub kind: BufferKind,
    /// Which part, when `kind` is Workspace.
    pub part: WorkspacePart,
}

/// The plan of a whole model: every layer resident, one shared workspace.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelPlan {
    pub budget: Budget,
    /// Layers resident: the sum of the counts.
    pub layers: u64,
    pub weight_bytes: u64,
    /// The shared workspace at `batch` (at batch 1 when nothing fits).
    pub workspace: WorkspaceBytes,
    /// The largest batch that fits; 0 when even 1 does not.
    pub batch: u64,
    pub limited_by: LimitedBy,
    pub fits: bool,
    pub need_bytes: u64,
    pub over_budget_bytes: u64,
    pub largest: BufferRef,
}

impl ModelPlan {
    pub fn from_raw(r: &sys::clql_model_plan) -> ModelPlan {
        ModelPlan {
            budget: Budget::from_raw(&r.budget),
            layers: r.layers,
            weight_bytes: r.weight_bytes,
            workspace: WorkspaceBytes::from_raw(&r.workspace),
            batch: r.batch,
            limited_by: LimitedBy::from_raw(r.limited_by),
            fits: r.fits != 0,
            need_bytes: r.need_bytes,
            over_budget_bytes: r.over_budget_bytes,
            largest: BufferRef {
                bytes: r.largest.bytes,
                layer: r.largest.layer,
                kind: BufferKind::from_raw(r.largest.kind),
                part: WorkspacePart::from_raw(r.largest.part),
            },
        }
    }
}

/// Plan a model: the largest batch for which every layer's weights and the
/// shared workspace fit the budget. A model that does not fit is Ok with
/// `fits` false and the numbers.
pub fn plan_model(
    mem: &MemoryReport,
    opts: Option<&BudgetOptions>,
    layers: &[ModelLayer],
    requested_batch: Option<u64>,
    ws_flags: u32,
) -> Result<ModelPlan> {
    let raw_layers = raw_layers(layers)?;
    let raw = raw_opts(opts);
    let mut out = sys::clql_model_plan::default();
    check(unsafe {
        sys::clql_plan_model(
            mem.raw(),
            opts_ptr(&raw),
            raw_layers.as_ptr(),
            raw_layers.len(),
            requested_batch.unwrap_or(0),
            ws_flags,
            &mut out,
        )
    })?;
    Ok(ModelPlan::from_raw(&out))
}
