//! Reusable hardware parts for pimzoo's architecture models.
//!
//! Each module models one kind of component from tables with their sources
//! (the Accelergy split: energy and area per action here, action counts in
//! the architecture crates). Two architecture crates that need the same part
//! take it from here; they never depend on each other.
#![forbid(unsafe_code)]

pub mod crossbar;
pub mod dram;
pub mod gpu;
pub mod hmc;
pub mod mesh;
pub mod offchip;
