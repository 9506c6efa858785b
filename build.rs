//! Rebuilds the crate when the compiled-in data changes: the check catalogue (`checks/`) and the demo
//! bundle (`assets/demo/`) are embedded with include_dir, which cargo does not track by itself.

fn main() {
    println!("cargo:rerun-if-changed=checks");
    println!("cargo:rerun-if-changed=assets/demo");
    println!("cargo:rerun-if-changed=build.rs");
}
