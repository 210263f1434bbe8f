//! Thin, documented wrappers over the PostgreSQL C API that the rest of the shell uses:
//! node and list access and a tree walk taking a closure, array datums, catalog name lookups,
//! raw SPI for the trigger path, GUC scopes, tuple descriptors.
//! Every `unsafe` block of the extension that touches raw pointers lives here or states its
//! invariant where it stands.

pub mod arrays;
pub mod context;
pub mod hooks;
pub mod names;
pub mod nodes;
pub mod scan;
pub mod spi;
pub mod tupdesc;
