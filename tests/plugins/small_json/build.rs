//! Links the plugin with 1-byte memory pages (the custom-page-sizes proposal)
//! and a 2 KiB stack, so that the module declares only the memory it uses:
//! data, stack and nothing more; the kit grows it byte-exactly per call.
//!
//! The stack's peak stays under 768 bytes, the deepest input (16 levels of
//! nesting, see `MAX_DEPTH`) included; a stack overflow would trap, since the
//! stack sits below the data at address 0.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=--page-size=1");
        println!("cargo:rustc-link-arg-cdylib=-zstack-size=2048");
    }
}
