pub use clql_sys as sys;
