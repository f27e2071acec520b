//! Links the plugin with 1-byte memory pages (the custom-page-sizes proposal)
//! and a 4 KiB stack, so that the module declares only the memory it uses:
//! data, stack and nothing more; the kit grows it byte-exactly per call.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=--page-size=1");
        println!("cargo:rustc-link-arg-cdylib=-zstack-size=4096");
    }
}
