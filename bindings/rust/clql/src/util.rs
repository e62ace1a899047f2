//! Conversions shared by the modules.

use std::ffi::CString;
use std::os::raw::{c_char, c_int};
use std::path::Path;
use std::ptr;

use crate::error::{check, Error, Result};
use clql_sys as sys;

/// A Rust string as a C string; a NUL inside is an invalid argument.
pub(crate) fn cstring(what: &str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::invalid_argument(format!("{} holds a NUL byte", what)))
}

pub(crate) fn path_cstring(what: &str, p: &Path) -> Result<CString> {
    match p.to_str() {
        Some(s) => cstring(what, s),
        None => Err(Error::invalid_argument(format!("{} is not valid UTF-8", what))),
    }
}

/// An optional string as a C string and its pointer (NULL for None).
pub(crate) fn opt_cstring(what: &str, s: Option<&str>) -> Result<Option<CString>> {
    s.map(|s| cstring(what, s)).transpose()
}

pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |c| c.as_ptr())
}

/// A NUL-terminated char array of a clql struct as a String.
pub(crate) fn chars(a: &[c_char]) -> String {
    let bytes: Vec<u8> = a.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Copy `s` into a fixed char array, NUL-terminated; too long is an error.
pub(crate) fn fill_chars(what: &str, s: &str, out: &mut [c_char]) -> Result<()> {
    if s.len() >= out.len() || s.as_bytes().contains(&0) {
        return Err(Error::invalid_argument(format!(
            "{} '{}' is longer than {} bytes or holds a NUL",
            what,
            s,
            out.len() - 1
        )));
    }
    for (o, b) in out.iter_mut().zip(s.bytes().chain(std::iter::once(0))) {
        *o = b as c_char;
    }
    Ok(())
}

/// "Ask the size, then pass the buffer": call once for the count, then with
/// a buffer of that many entries (again if it grew in between).
pub(crate) fn enumerate<T: Clone + Default>(
    mut call: impl FnMut(*mut T, usize, *mut usize) -> c_int,
) -> Result<Vec<T>> {
    let mut count = 0usize;
    check(call(ptr::null_mut(), 0, &mut count))?;
    loop {
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut buf = vec![T::default(); count];
        let mut got = count;
        let st = call(buf.as_mut_ptr(), count, &mut got);
        if st == sys::CLQL_ERR_BUFFER_TOO_SMALL && got > count {
            count = got;
            continue;
        }
        check(st)?;
        buf.truncate(got);
        return Ok(buf);
    }
}

/// Static C strings by "ask the size, then pass the buffer".
pub(crate) fn enumerate_names(
    mut call: impl FnMut(*mut *const c_char, usize, *mut usize) -> c_int,
) -> Result<Vec<&'static str>> {
    let mut count = 0usize;
    check(call(ptr::null_mut(), 0, &mut count))?;
    let mut buf = vec![ptr::null::<c_char>(); count];
    check(call(buf.as_mut_ptr(), count, &mut count))?;
    Ok(buf.into_iter().take(count).map(crate::error::static_str).collect())
}

/// a * b as usize, or an invalid argument naming what overflowed.
pub(crate) fn product(what: &str, a: u64, b: u64) -> Result<usize> {
    a.checked_mul(b)
        .and_then(|p| usize::try_from(p).ok())
        .ok_or_else(|| Error::invalid_argument(format!("{}: {} x {} overflows", what, a, b)))
}
