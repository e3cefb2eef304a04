//! Placement benchmark: planned.
fn main() {}
