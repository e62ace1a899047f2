//! Devices and what clql knows about their memory.

use std::path::Path;

use crate::error::{check, static_str, Result};
use crate::util::{chars, enumerate, opt_cstring, opt_ptr, path_cstring};
use clql_sys as sys;

/// A device's memory as clql reports it (a probe, a recorded profile, or
/// filled by hand with [`MemoryReport::new`]). Sizes are bytes.
#[derive(Clone, Copy, Debug)]
pub struct MemoryReport {
    raw: sys::clql_memory_report,
}

impl MemoryReport {
    /// A report filled by hand: `free` None means no source measured it.
    pub fn new(total: u64, max_alloc: u64, free: Option<u64>) -> MemoryReport {
        let mut raw = sys::clql_memory_report::default();
        raw.total = total;
        raw.max_alloc = max_alloc;
        raw.free = free.unwrap_or(0);
        raw.free_known = free.is_some() as i32;
        raw.free_measured = free.is_some() as i32;
        raw.free_source = sys::CLQL_MEM_SOURCE_NONE;
        MemoryReport { raw }
    }

    pub fn from_raw(raw: sys::clql_memory_report) -> MemoryReport {
        MemoryReport { raw }
    }
    pub fn raw(&self) -> &sys::clql_memory_report {
        &self.raw
    }

    /// CL_DEVICE_GLOBAL_MEM_SIZE.
    pub fn total(&self) -> u64 {
        self.raw.total
    }
    /// CL_DEVICE_MAX_MEM_ALLOC_SIZE: the largest single buffer.
    pub fn max_alloc(&self) -> u64 {
        self.raw.max_alloc
    }
    /// Free memory, None when no source answered.
    pub fn free(&self) -> Option<u64> {
        if self.raw.free_known != 0 {
            Some(self.raw.free)
        } else {
            None
        }
    }
    /// Largest free block, None when unknown.
    pub fn largest_free_block(&self) -> Option<u64> {
        if self.raw.largest_free_block != 0 {
            Some(self.raw.largest_free_block)
        } else {
            None
        }
    }
    /// Whether free is a measurement rather than a fallback.
    pub fn free_measured(&self) -> bool {
        self.raw.free_measured != 0
    }
    /// The source of free: "nvml", "amd-ext", "host-meminfo", ..., "none".
    pub fn free_source(&self) -> &'static str {
        static_str(unsafe { sys::clql_mem_source_name(self.raw.free_source) })
    }
    /// The device shares host memory.
    pub fn unified(&self) -> bool {
        self.raw.unified != 0
    }
    /// CLQL_FREE_* bits: what free counts beyond its source's figure.
    pub fn free_bounds(&self) -> u32 {
        self.raw.free_bounds
    }
}

/// PCI location of a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PciAddress {
    pub domain: u32,
    pub bus: u32,
    pub device: u32,
    pub function: u32,
}

impl std::fmt::Display for PciAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04x}:{:02x}:{:02x}.{:x}", self.domain, self.bus, self.device, self.function)
    }
}

/// The NUMA node nearest a PCI device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumaInfo {
    pub node: i32,
    /// CPUs near the device, a Linux CPU list ("0-15").
    pub cpuset: String,
    /// The node's memory in bytes (0 when hwloc cannot tell).
    pub memory: u64,
}

/// One OpenCL device (or a recorded one) as clql sees it.
#[derive(Clone, Copy)]
pub struct DeviceInfo {
    raw: sys::clql_device_info,
}

impl std::fmt::Debug for DeviceInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceInfo")
            .field("index", &self.index())
            .field("name", &self.name())
            .field("type", &self.type_name())
            .field("memory", &self.memory())
            .finish()
    }
}

impl DeviceInfo {
    pub fn from_raw(raw: sys::clql_device_info) -> DeviceInfo {
        DeviceInfo { raw }
    }
    pub fn raw(&self) -> &sys::clql_device_info {
        &self.raw
    }

    /// Flat index over all platforms, as selectors use it.
    pub fn index(&self) -> u32 {
        self.raw.index
    }
    pub fn platform_index(&self) -> u32 {
        self.raw.platform_index
    }
    pub fn device_index(&self) -> u32 {
        self.raw.device_index
    }
    pub fn platform_name(&self) -> String {
        chars(&self.raw.platform_name)
    }
    pub fn name(&self) -> String {
        chars(&self.raw.name)
    }
    pub fn vendor(&self) -> String {
        chars(&self.raw.vendor)
    }
    pub fn vendor_id(&self) -> u32 {
        self.raw.vendor_id
    }
    /// "cpu", "gpu", "accelerator" or "custom".
    pub fn type_name(&self) -> &'static str {
        static_str(unsafe { sys::clql_device_type_name(self.raw.r#type) })
    }
    pub fn driver_version(&self) -> String {
        chars(&self.raw.driver_version)
    }
    pub fn host_unified_memory(&self) -> bool {
        self.raw.host_unified_memory != 0
    }
    pub fn compute_units(&self) -> u32 {
        self.raw.compute_units
    }
    pub fn local_mem(&self) -> u64 {
        self.raw.local_mem
    }
    pub fn pci(&self) -> Option<PciAddress> {
        if self.raw.has_pci == 0 {
            return None;
        }
        let p = self.raw.pci;
        Some(PciAddress { domain: p.domain, bus: p.bus, device: p.device, function: p.function })
    }
    /// The memory report (for a context's device: its last probe).
    pub fn memory(&self) -> MemoryReport {
        MemoryReport::from_raw(self.raw.memory)
    }
    /// The record a recorded device came from; None for a live device.
    pub fn profile_id(&self) -> Option<String> {
        let id = chars(&self.raw.profile_id);
        if id.is_empty() {
            None
        } else {
            Some(id)
        }
    }
    /// The NUMA node near a live PCI device (None for a recorded device, a
    /// device without a PCI address, or one clql cannot place).
    pub fn numa(&self) -> Option<NumaInfo> {
        if self.raw.has_pci == 0 || self.profile_id().is_some() {
            return None;
        }
        let mut out = sys::clql_numa_info::default();
        let st = unsafe { sys::clql_pci_numa(&self.raw.pci, &mut out) };
        if st != sys::CLQL_SUCCESS {
            return None;
        }
        Some(NumaInfo { node: out.node, cpuset: chars(&out.cpuset), memory: out.memory })
    }
    /// Probe this live device's memory now (no cache).
    pub fn memory_now(&self) -> Result<MemoryReport> {
        let mut out = sys::clql_memory_report::default();
        check(unsafe { sys::clql_device_memory_refresh(self.raw.device, &mut out) })?;
        Ok(MemoryReport::from_raw(out))
    }
}

/// Every device of every platform.
pub fn devices() -> Result<Vec<DeviceInfo>> {
    let raw = enumerate(|buf, cap, n| unsafe { sys::clql_devices_get(buf, cap, n) })?;
    Ok(raw.into_iter().map(DeviceInfo::from_raw).collect())
}

/// The device a selector chooses ("P:D", an index, a piece of the name);
/// None: $CLQL_DEVICE, else the first GPU, else device 0.
pub fn select_device(selector: Option<&str>) -> Result<DeviceInfo> {
    let sel = opt_cstring("selector", selector)?;
    let mut out = sys::clql_device_info::default();
    check(unsafe { sys::clql_device_select(opt_ptr(&sel), &mut out) })?;
    Ok(DeviceInfo::from_raw(out))
}

/// Recorded devices of a profile file (the format of devices.json): every
/// record, or the one named `id`. No OpenCL device is needed.
pub fn profile_devices(path: impl AsRef<Path>, id: Option<&str>) -> Result<Vec<DeviceInfo>> {
    let p = path_cstring("profile path", path.as_ref())?;
    let id = opt_cstring("profile id", id)?;
    let raw = enumerate(|buf, cap, n| unsafe {
        sys::clql_profile_devices(p.as_ptr(), opt_ptr(&id), buf, cap, n)
    })?;
    Ok(raw.into_iter().map(DeviceInfo::from_raw).collect())
}
