//! cachesim-web: the browser front end of cachesim.
pub mod anim;
pub mod codec;
pub mod driver;
pub mod explain;
pub mod format;
pub mod layout;
