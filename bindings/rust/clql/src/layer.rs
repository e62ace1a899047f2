//! Ternary weights on the host, layers on a device, and the C reference.

use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use crate::context::Context;
use crate::error::{check, Error, Result};
use crate::plan::{BudgetOptions, LayerPlan, LayerShape};
use crate::util::product;
use clql_sys as sys;

/// A layer's weights in clql's logical form: int8 `t[n][k]` in {-1, 0, +1}
/// row-major and float32 scales (`shape.scale_count()` of them).
#[derive(Clone, Copy, Debug)]
pub struct TernaryWeights<'a> {
    pub shape: LayerShape,
    pub t: &'a [i8],
    pub scales: &'a [f32],
}

impl<'a> TernaryWeights<'a> {
    pub fn to_raw(&self) -> sys::clql_ternary_weights {
        sys::clql_ternary_weights {
            shape: self.shape.to_raw(),
            t: self.t.as_ptr(),
            t_count: self.t.len() as u64,
            scales: self.scales.as_ptr(),
            scale_count: self.scales.len() as u64,
        }
    }
}

/// Weights packed in a device layout, in buffers this value owns.
#[derive(Clone, Debug)]
pub struct PackedWeights {
    shape: LayerShape,
    /// u64 words so that the layout's 32-bit words are aligned.
    weights: Vec<u64>,
    weights_bytes: u64,
    scales: Vec<f32>,
    scales_bytes: u64,
}

impl PackedWeights {
    fn sized(shape: &LayerShape) -> Result<PackedWeights> {
        let wb = shape.weight_bytes()?;
        let words = usize::try_from((wb.weights + 7) / 8)
            .map_err(|_| Error::invalid_argument("weights too large for this host"))?;
        let floats = usize::try_from((wb.scales + 3) / 4)
            .map_err(|_| Error::invalid_argument("scales too large for this host"))?;
        Ok(PackedWeights {
            shape: *shape,
            weights: vec![0; words],
            weights_bytes: wb.weights,
            scales: vec![0.0; floats],
            scales_bytes: wb.scales,
        })
    }

    /// Pack int8 ternary weights t[n][k] and their scales. A value outside
    /// -1..1 or a non-finite scale is CLQL_ERR_INVALID_WEIGHTS.
    pub fn pack(shape: &LayerShape, t: &[i8], scales: &[f32]) -> Result<PackedWeights> {
        let mut p = PackedWeights::sized(shape)?;
        let raw = p.to_raw_mut();
        check(unsafe {
            sys::clql_pack_ternary(&raw, t.as_ptr(), t.len() as u64, scales.as_ptr(), scales.len() as u64)
        })?;
        Ok(p)
    }

    /// Quantize float weights w[n][k] with the BitNet b1.58 rule per group.
    pub fn quantize(shape: &LayerShape, w: &[f32]) -> Result<PackedWeights> {
        let mut p = PackedWeights::sized(shape)?;
        let raw = p.to_raw_mut();
        check(unsafe { sys::clql_pack_float(&raw, w.as_ptr(), w.len() as u64) })?;
        Ok(p)
    }

    fn to_raw_mut(&mut self) -> sys::clql_packed {
        sys::clql_packed {
            shape: self.shape.to_raw(),
            weights: self.weights.as_mut_ptr() as *mut std::os::raw::c_void,
            weights_bytes: self.weights_bytes,
            scales: self.scales.as_mut_ptr(),
            scales_bytes: self.scales_bytes,
        }
    }

    /// The C description of the buffers, for functions that only read them.
    pub fn to_raw(&self) -> sys::clql_packed {
        sys::clql_packed {
            shape: self.shape.to_raw(),
            weights: self.weights.as_ptr() as *mut std::os::raw::c_void,
            weights_bytes: self.weights_bytes,
            scales: self.scales.as_ptr() as *mut f32,
            scales_bytes: self.scales_bytes,
        }
    }

    pub fn shape(&self) -> &LayerShape {
        &self.shape
    }

    /// Back to int8 t[n][k] and the host-side scales (the exact inverse of
    /// `pack`).
    pub fn unpack(&self) -> Result<(Vec<i8>, Vec<f32>)> {
        let mut t = vec![0i8; product("n x k", self.shape.n, self.shape.k)?];
        let mut s = vec![0f32; product("scales", self.shape.scale_count()?, 1)?];
        let raw = self.to_raw();
        check(unsafe {
            sys::clql_unpack_ternary(&raw, t.as_mut_ptr(), t.len() as u64, s.as_mut_ptr(), s.len() as u64)
        })?;
        Ok((t, s))
    }
}

/// What a layer's last pass ran with, and the context's workspace.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerStats {
    /// The last pass's plan (all zero before the first pass).
    pub plan: LayerPlan,
    pub resident_bytes: u64,
    pub workspace_planned: u64,
    pub workspace_allocated: u64,
    pub workspace_batch: u64,
    pub workspace_flags: u32,
    pub batch_cap: u64,
    pub chunks: u64,
    pub halvings: u64,
}

/// A ternary linear layer on a context's device: y[B][n] = x[B][k] * W^T.
/// Its weights stay on the device until the layer is dropped.
pub struct Layer<'ctx> {
    ptr: NonNull<sys::clql_layer>,
    n: u64,
    k: u64,
    _context: PhantomData<&'ctx Context>,
}

impl<'ctx> Layer<'ctx> {
    fn wrap(ptr: *mut sys::clql_layer, n: u64, k: u64) -> Result<Layer<'ctx>> {
        NonNull::new(ptr)
            .map(|ptr| Layer { ptr, n, k, _context: PhantomData })
            .ok_or_else(|| Error::from_status(sys::CLQL_ERR_INTERNAL))
    }

    /// Upload packed weights to `ctx` (checked against what its budget
    /// leaves: CLQL_ERR_DOES_NOT_FIT otherwise). `opts` narrows this
    /// layer's own passes.
    pub fn new(ctx: &'ctx Context, packed: &PackedWeights, opts: Option<&BudgetOptions>) -> Result<Layer<'ctx>> {
        let raw = packed.to_raw();
        let o = opts.map(|o| o.to_raw());
        let mut out = ptr::null_mut();
        check(unsafe {
            sys::clql_layer_create(ctx.as_ptr(), &raw, o.as_ref().map_or(ptr::null(), |o| o), &mut out)
        })?;
        Layer::wrap(out, packed.shape().n, packed.shape().k)
    }

    /// Pack and upload in one step.
    pub fn from_weights(ctx: &'ctx Context, w: &TernaryWeights<'_>, opts: Option<&BudgetOptions>) -> Result<Layer<'ctx>> {
        Layer::new(ctx, &PackedWeights::pack(&w.shape, w.t, w.scales)?, opts)
    }

    /// One layer from several matrices that read the same input (q, k, v;
    /// gate, up): their outputs side by side in each token's row of y.
    pub fn fused(ctx: &'ctx Context, parts: &[TernaryWeights<'_>], opts: Option<&BudgetOptions>) -> Result<Layer<'ctx>> {
        let raw: Vec<sys::clql_ternary_weights> = parts.iter().map(|p| p.to_raw()).collect();
        let o = opts.map(|o| o.to_raw());
        let mut out = ptr::null_mut();
        check(unsafe {
            sys::clql_layer_create_fused(
                ctx.as_ptr(),
                raw.as_ptr(),
                raw.len(),
                o.as_ref().map_or(ptr::null(), |o| o),
                &mut out,
            )
        })?;
        let n = parts.iter().map(|p| p.shape.n).sum();
        Layer::wrap(out, n, parts[0].shape.k)
    }

    /// Output features (rows of y).
    pub fn n(&self) -> u64 {
        self.n
    }
    /// Input features.
    pub fn k(&self) -> u64 {
        self.k
    }
    pub fn as_ptr(&self) -> *mut sys::clql_layer {
        self.ptr.as_ptr()
    }

    /// Columns [offset, offset + rows) of y that part `part` of a fused
    /// layer writes.
    pub fn part(&self, part: usize) -> Result<(u64, u64)> {
        let (mut offset, mut rows) = (0u64, 0u64);
        check(unsafe { sys::clql_layer_get_part(self.ptr.as_ptr(), part, &mut offset, &mut rows) })?;
        Ok((offset, rows))
    }

    /// x[batch][k] in, y[batch][n] out, through the context's workspace
    /// (planned from what its budget leaves; larger batches run in chunks).
    pub fn forward(&mut self, x: &[f32], batch: u64) -> Result<Vec<f32>> {
        let mut y = vec![0f32; product("batch x n", batch, self.n)?];
        self.forward_into(x, batch, &mut y)?;
        Ok(y)
    }

    /// `forward` into the caller's output slice of batch x n floats.
    pub fn forward_into(&mut self, x: &[f32], batch: u64, y: &mut [f32]) -> Result<()> {
        let want_x = product("batch x k", batch, self.k)?;
        let want_y = product("batch x n", batch, self.n)?;
        if x.len() != want_x || y.len() != want_y {
            return Err(Error::invalid_argument(format!(
                "forward of {} tokens through {}x{}: x holds {} floats (needs {}), y {} (needs {})",
                batch,
                self.n,
                self.k,
                x.len(),
                want_x,
                y.len(),
                want_y
            )));
        }
        check(unsafe { sys::clql_layer_forward(self.ptr.as_ptr(), x.as_ptr(), batch, y.as_mut_ptr()) })
    }

    /// Bytes of a caller-owned workspace for `batch` tokens.
    pub fn workspace_bytes(&self, batch: u64) -> Result<u64> {
        let mut out = 0u64;
        check(unsafe { sys::clql_layer_workspace_bytes(self.ptr.as_ptr(), batch, &mut out) })?;
        Ok(out)
    }

    pub fn stats(&self) -> Result<LayerStats> {
        let mut s = sys::clql_layer_stats::default();
        check(unsafe { sys::clql_layer_get_stats(self.ptr.as_ptr(), &mut s) })?;
        Ok(LayerStats {
            plan: LayerPlan::from_raw(&s.plan)?,
            resident_bytes: s.resident_bytes,
            workspace_planned: s.workspace_planned,
            workspace_allocated: s.workspace_allocated,
            workspace_batch: s.workspace_batch,
            workspace_flags: s.workspace_flags,
            batch_cap: s.batch_cap,
            chunks: s.chunks,
            halvings: s.halvings,
        })
    }

    /// Which product kernels run the layer: "x86", "ksplit" or "portable".
    pub fn kernels(&self) -> String {
        let p = unsafe { sys::clql_layer_kernels(self.ptr.as_ptr()) };
        if p.is_null() {
            return String::new();
        }
        unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }

    /// Free the context's shared workspace now.
    pub fn release_workspace(&self) {
        unsafe { sys::clql_layer_release_workspace(self.ptr.as_ptr()) }
    }
}

impl Drop for Layer<'_> {
    fn drop(&mut self) {
        unsafe { sys::clql_layer_destroy(self.ptr.as_ptr()) }
    }
}

/// The scalar C reference of a forward pass (what every kernel is tested
/// against): x[batch][k], weights t[n][k] and scales, y[batch][n] out.
pub fn reference_forward(w: &TernaryWeights<'_>, x: &[f32], batch: u64) -> Result<Vec<f32>> {
    let s = &w.shape;
    let want_t = product("n x k", s.n, s.k)?;
    let want_s = product("scales", s.scale_count()?, 1)?;
    let want_x = product("batch x k", batch, s.k)?;
    if w.t.len() != want_t || w.scales.len() != want_s || x.len() != want_x {
        return Err(Error::invalid_argument(format!(
            "reference forward of {}x{}: {} weights (needs {}), {} scales (needs {}), {} inputs (needs {})",
            s.n,
            s.k,
            w.t.len(),
            want_t,
            w.scales.len(),
            want_s,
            x.len(),
            want_x
        )));
    }
    let mut y = vec![0f32; product("batch x n", batch, s.n)?];
    check(unsafe {
        sys::clql_ref_forward(&s.to_raw(), w.t.as_ptr(), w.scales.as_ptr(), x.as_ptr(), batch, y.as_mut_ptr())
    })?;
    Ok(y)
}

/// The C reference of the per-token int8 activation quantization:
/// q[tokens][k] and the scale 127/amax of each token.
pub fn reference_quantize_activations(x: &[f32], tokens: u64, k: u64) -> Result<(Vec<i8>, Vec<f32>)> {
    let len = product("tokens x k", tokens, k)?;
    if x.len() != len {
        return Err(Error::invalid_argument(format!("x holds {} floats, tokens x k is {}", x.len(), len)));
    }
    let mut q = vec![0i8; len];
    let mut s = vec![0f32; product("tokens", tokens, 1)?];
    check(unsafe {
        sys::clql_ref_quantize_activations(x.as_ptr(), tokens as usize, k as usize, q.as_mut_ptr(), k as usize, s.as_mut_ptr())
    })?;
    Ok((q, s))
}
