//! cachesim-web: the browser front end of cachesim.
pub mod codec;
pub mod explain;
pub mod format;
