//! clql's configuration: every knob, named by its environment variable.

use std::os::raw::c_char;
use std::ptr::{self, NonNull};

use crate::error::{check, Error, Result};
use crate::plan::BudgetOptions;
use crate::util::{cstring, enumerate_names, opt_cstring, opt_ptr};
use clql_sys as sys;

/// A configuration (`clql_config`): knobs such as "CLQL_MEM_LIMIT" set in
/// their variables' grammar. Destroyed on drop.
pub struct Config {
    ptr: NonNull<sys::clql_config>,
}

// SAFETY: a configuration is plain data owned by this handle; clql keeps no
// reference to it (contexts copy it).
unsafe impl Send for Config {}

impl Config {
    fn wrap(ptr: *mut sys::clql_config) -> Result<Config> {
        NonNull::new(ptr)
            .map(|ptr| Config { ptr })
            .ok_or_else(|| Error::from_status(sys::CLQL_ERR_INTERNAL))
    }

    /// Every knob at its default; the environment is not read.
    pub fn new() -> Result<Config> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::clql_config_create(&mut out) })?;
        Config::wrap(out)
    }

    /// The defaults and the environment, read now (a bad value is an
    /// error naming the variable).
    pub fn from_env() -> Result<Config> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::clql_config_from_env(&mut out) })?;
        Config::wrap(out)
    }

    /// Set knob `name` ("CLQL_MEM_LIMIT") to `value` ("6G"); None unsets it.
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Result<()> {
        let n = cstring("knob name", name)?;
        let v = opt_cstring("knob value", value)?;
        check(unsafe { sys::clql_config_set(self.ptr.as_ptr(), n.as_ptr(), opt_ptr(&v)) })
    }

    /// The value knob `name` was set to; None when unset.
    pub fn get(&self, name: &str) -> Result<Option<String>> {
        let n = cstring("knob name", name)?;
        let mut len = 0usize;
        check(unsafe { sys::clql_config_get(self.ptr.as_ptr(), n.as_ptr(), ptr::null_mut(), 0, &mut len) })
            .or_else(|e| if e.status() == sys::CLQL_ERR_BUFFER_TOO_SMALL { Ok(()) } else { Err(e) })?;
        let mut buf = vec![0 as c_char; len + 1];
        check(unsafe {
            sys::clql_config_get(self.ptr.as_ptr(), n.as_ptr(), buf.as_mut_ptr(), buf.len(), &mut len)
        })?;
        let value = crate::util::chars(&buf);
        Ok(if value.is_empty() { None } else { Some(value) })
    }

    /// The knob names.
    pub fn names() -> Result<Vec<&'static str>> {
        enumerate_names(|buf, cap, n| unsafe { sys::clql_config_names(buf, cap, n) })
    }

    /// The budget knobs as budget options.
    pub fn budget(&self) -> Result<BudgetOptions> {
        let mut out = sys::clql_budget_options::default();
        check(unsafe { sys::clql_config_budget(self.ptr.as_ptr(), &mut out) })?;
        Ok(BudgetOptions::from_raw(&out))
    }

    /// Set the budget knobs that `opts` sets.
    pub fn set_budget(&mut self, opts: &BudgetOptions) -> Result<()> {
        let raw = opts.to_raw();
        check(unsafe { sys::clql_config_set_budget(self.ptr.as_ptr(), &raw) })
    }

    pub fn as_ptr(&self) -> *const sys::clql_config {
        self.ptr.as_ptr()
    }

    /// A deep copy of a configuration clql owns (a context's).
    pub(crate) fn copy_of(ptr: *const sys::clql_config) -> Result<Config> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::clql_config_copy(ptr, &mut out) })?;
        Config::wrap(out)
    }
}

impl Clone for Config {
    fn clone(&self) -> Config {
        Config::copy_of(self.ptr.as_ptr()).expect("clql_config_copy: out of host memory")
    }
}

impl Drop for Config {
    fn drop(&mut self) {
        unsafe { sys::clql_config_destroy(self.ptr.as_ptr()) }
    }
}
