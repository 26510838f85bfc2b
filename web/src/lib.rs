//! cachesim-web: the browser front end of cachesim.
//!
//! The model lives in `cachesim-core`; this crate owns drawing, input and the
//! browser APIs. Pure logic (URL codec, explanation rules, formatting, layout,
//! dots, the driver that runs the simulation for the page, the markup) builds
//! and is tested natively; the browser modules are compiled for wasm32 only.

pub mod anim;
pub mod architecture;
pub mod causes;
pub mod codec;
pub mod comparison;
pub mod dbfig;
pub mod driver;
pub mod explain;
pub mod format;
pub mod layout;
pub mod mitigation_text;
pub mod pod_health_text;
pub mod seed_table;
pub mod template;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod charts;
#[cfg(target_arch = "wasm32")]
mod compare_charts;
#[cfg(target_arch = "wasm32")]
mod draw;

#[cfg(target_arch = "wasm32")]
pub use app::{install_panic_hook, mount, AppHandle};
