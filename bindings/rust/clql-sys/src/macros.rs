//! The macros every declaration of lib.rs goes through. Besides the items
//! themselves they record what was declared (names, argument and return
//! types as written, sizes and field offsets, constant values), which
//! tests/abi.rs compares with the headers and a C compiler's answers.

/// A function as declared: its name and its types as written in lib.rs.
#[derive(Debug)]
pub struct FunctionDecl {
    pub name: &'static str,
    pub args: &'static [&'static str],
    /// "" for a function that returns nothing.
    pub ret: &'static str,
}

/// Size, alignment and field offsets of a declared struct.
#[derive(Debug)]
pub struct StructLayout {
    pub name: &'static str,
    pub size: usize,
    pub align: usize,
    pub fields: Vec<(&'static str, usize)>,
}

/// A C enum: the integer type that stands for it and its values.
#[derive(Debug)]
pub struct EnumDecl {
    pub name: &'static str,
    pub size: usize,
    pub signed: bool,
    pub values: Vec<(&'static str, i128)>,
}

macro_rules! enums {
    ($( $name:ident : $repr:ty { $( $member:ident = $value:expr ),* $(,)? } )*) => {
        $(
            pub type $name = $repr;
            $( pub const $member: $name = $value; )*
        )*
        /// Every C enum declared here, for the header test.
        pub fn declared_enums() -> Vec<EnumDecl> {
            vec![$( EnumDecl {
                name: stringify!($name),
                size: ::std::mem::size_of::<$name>(),
                signed: ((-1i64) as $name) < (0 as $name),
                values: vec![$( (stringify!($member), $member as i128) ),*],
            } ),*]
        }
    };
}

macro_rules! defines {
    ($( $name:ident : $ty:ty = $value:expr ; )*) => {
        $( pub const $name: $ty = $value; )*
        /// Every #define constant declared here, for the header test.
        pub fn declared_defines() -> Vec<(&'static str, i128)> {
            vec![$( (stringify!($name), $name as i128) ),*]
        }
    };
}

macro_rules! opaque {
    ($( $name:ident ),* $(,)?) => {
        $(
            /// An opaque clql handle, only ever used behind a pointer.
            #[repr(C)]
            pub struct $name {
                _private: [u8; 0],
                _not_send_sync: ::std::marker::PhantomData<(*mut u8, ::std::marker::PhantomPinned)>,
            }
        )*
        /// Every opaque handle type declared here, for the header test.
        pub const DECLARED_OPAQUE: &[&str] = &[$( stringify!($name) ),*];
    };
}

macro_rules! structs {
    ($( $(#[$meta:meta])* pub struct $name:ident { $( pub $field:ident : $ty:ty ),* $(,)? } )*) => {
        $(
            $(#[$meta])*
            #[repr(C)]
            #[derive(Clone, Copy, Debug)]
            pub struct $name { $( pub $field: $ty ),* }

            impl Default for $name {
                /// All zero: every field of these structs is an integer, a
                /// float, a pointer (null) or an array of them.
                fn default() -> Self {
                    // SAFETY: all-zero bytes are a valid value of every field.
                    unsafe { ::std::mem::zeroed() }
                }
            }
        )*
        /// Size, alignment and field offsets of every struct declared here.
        pub fn declared_structs() -> Vec<StructLayout> {
            vec![$( StructLayout {
                name: stringify!($name),
                size: ::std::mem::size_of::<$name>(),
                align: ::std::mem::align_of::<$name>(),
                fields: vec![$( (stringify!($field), {
                    let value = ::std::mem::MaybeUninit::<$name>::uninit();
                    let base = value.as_ptr();
                    // SAFETY: addr_of! computes the field's address without
                    // reading the (uninitialised) value.
                    let field = unsafe { ::std::ptr::addr_of!((*base).$field) };
                    field as usize - base as usize
                }) ),*],
            } ),*]
        }
    };
}

macro_rules! functions {
    (@ret) => { "" };
    (@ret $ret:ty) => { stringify!($ret) };
    ($( $(#[$meta:meta])* pub fn $name:ident ( $( $arg:ident : $ty:ty ),* $(,)? ) $( -> $ret:ty )? ; )*) => {
        extern "C" {
            $( $(#[$meta])* pub fn $name( $( $arg: $ty ),* ) $( -> $ret )?; )*
        }
        /// Every function declared here, with its types as written.
        pub const DECLARED_FUNCTIONS: &[FunctionDecl] = &[$( FunctionDecl {
            name: stringify!($name),
            args: &[$( stringify!($ty) ),*],
            ret: functions!(@ret $($ret)?),
        } ),*];
        /// The address of every declared function: linking this proves that
        /// the library exports each of them.
        pub fn function_addresses() -> Vec<(&'static str, usize)> {
            vec![$( (
                stringify!($name),
                ($name as unsafe extern "C" fn($($ty),*) $( -> $ret )?) as usize,
            ) ),*]
        }
    };
}
