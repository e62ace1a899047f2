//! The context: one device, its queue, and every device byte clql holds there.

use std::ptr::{self, NonNull};

use crate::config::Config;
use crate::device::DeviceInfo;
use crate::error::{check, static_str, Error, Result};
use crate::plan::{Budget, LimitedBy};
use crate::util::{opt_cstring, opt_ptr};
use clql_sys as sys;

/// A clql context (`clql_context`) on one device. It owns the weights of
/// every layer made on it and one shared workspace, within its budget.
/// Destroyed on drop; layers borrow it, so it outlives them.
///
/// A context is used by one thread at a time: it may move to another
/// thread (Send) but is not shared between threads (not Sync).
pub struct Context {
    ptr: NonNull<sys::clql_context>,
}

// SAFETY: clql contexts may be used from any thread, one at a time.
unsafe impl Send for Context {}

/// What a context holds and may still hold (`clql_context_memory`).
#[derive(Clone, Debug, PartialEq)]
pub struct ContextMemory {
    pub budget: Budget,
    pub total: u64,
    /// Free at the last probe (total when unknown).
    pub free: u64,
    pub free_known: bool,
    pub free_source: &'static str,
    pub held_at_probe: u64,
    pub others_at_probe: u64,
    /// Resident + workspace: every device byte clql holds here.
    pub held: u64,
    /// Weights and scales of the layers.
    pub resident: u64,
    /// The shared workspace held now.
    pub workspace: u64,
    pub remaining: u64,
    pub layers: u64,
    /// Batch of the held workspace (0 when none).
    pub batch: u64,
    pub workspace_flags: u32,
    pub limited_by: LimitedBy,
    pub batch_cap: u64,
    pub halvings: u64,
}

impl Context {
    /// A context on the device `selector` chooses (None: the configuration's
    /// CLQL_DEVICE, else the first GPU, else device 0), with `config` (None:
    /// the environment, read now).
    pub fn new(selector: Option<&str>, config: Option<&Config>) -> Result<Context> {
        let sel = opt_cstring("selector", selector)?;
        let cfg = config.map_or(ptr::null(), |c| c.as_ptr());
        let mut out = ptr::null_mut();
        check(unsafe { sys::clql_context_create(opt_ptr(&sel), cfg, &mut out) })?;
        NonNull::new(out)
            .map(|ptr| Context { ptr })
            .ok_or_else(|| Error::from_status(sys::CLQL_ERR_INTERNAL))
    }

    pub fn as_ptr(&self) -> *mut sys::clql_context {
        self.ptr.as_ptr()
    }

    /// The device, with its memory report from the last probe.
    pub fn device(&self) -> DeviceInfo {
        // SAFETY: clql returns a pointer into the live context.
        DeviceInfo::from_raw(unsafe { *sys::clql_context_device_info(self.ptr.as_ptr()) })
    }

    /// A copy of the configuration the context was created with.
    pub fn config(&self) -> Result<Config> {
        Config::copy_of(unsafe { sys::clql_context_config(self.ptr.as_ptr()) })
    }

    /// What the context holds against its budget.
    pub fn memory(&self) -> Result<ContextMemory> {
        let mut m = sys::clql_context_memory::default();
        check(unsafe { sys::clql_context_get_memory(self.ptr.as_ptr(), &mut m) })?;
        Ok(ContextMemory {
            budget: Budget::from_raw(&m.budget),
            total: m.total,
            free: m.free,
            free_known: m.free_known != 0,
            free_source: static_str(unsafe { sys::clql_mem_source_name(m.free_source) }),
            held_at_probe: m.held_at_probe,
            others_at_probe: m.others_at_probe,
            held: m.held,
            resident: m.resident,
            workspace: m.workspace,
            remaining: m.remaining,
            layers: m.layers,
            batch: m.batch,
            workspace_flags: m.workspace_flags,
            limited_by: crate::plan::limited_by_from_raw(m.limited_by),
            batch_cap: m.batch_cap,
            halvings: m.halvings,
        })
    }

    /// Probe the device's memory again and recompute the budget.
    pub fn refresh(&self) -> Result<()> {
        check(unsafe { sys::clql_context_refresh(self.ptr.as_ptr()) })
    }

    /// Free the shared workspace now (the next pass allocates it again).
    pub fn release_workspace(&self) {
        unsafe { sys::clql_context_release_workspace(self.ptr.as_ptr()) }
    }

    /// Kernel launches enqueued on the context so far.
    pub fn launches(&self) -> u64 {
        unsafe { sys::clql_context_launches(self.ptr.as_ptr()) }
    }

    /// Wait for everything enqueued on the context's queue, as its synchronous calls wait.
    pub fn finish(&self) -> Result<()> {
        check(unsafe { sys::clql_context_finish(self.ptr.as_ptr()) })
    }

    /// How the context waits: "poll" or "block" (`CLQL_WAIT`).
    pub fn wait_mode(&self) -> String {
        let p = unsafe { sys::clql_context_wait_mode(self.ptr.as_ptr()) };
        if p.is_null() {
            return String::new();
        }
        unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        unsafe { sys::clql_context_destroy(self.ptr.as_ptr()) }
    }
}
