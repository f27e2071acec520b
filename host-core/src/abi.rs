//! Contract v1 helpers, kept at this path for embedders: packing, guest ranges,
//! guest paths and URLs. The contract's imports live in
//! [`profiles::caplet`](crate::profiles::caplet); the checks behind them in
//! [`services`](crate::services).

pub use crate::profiles::caplet::{import_capability, pack, unpack, MODULE};
pub use crate::profiles::guest_range;
pub use crate::services::fs::normalize_guest_path;
pub use crate::services::http::parse_url;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    #[test]
    fn guest_paths_normalise_and_refuse_escapes() {
        assert_eq!(
            normalize_guest_path("/data/./a//b/../c").unwrap(),
            "/data/a/c"
        );
        assert_eq!(normalize_guest_path("/").unwrap(), "/");
        assert_eq!(normalize_guest_path("/data/..").unwrap(), "/");
        assert_eq!(
            normalize_guest_path("/data/../../etc"),
            Err(Code::PermissionDenied)
        );
        assert_eq!(normalize_guest_path("data/a"), Err(Code::InvalidInput));
        assert_eq!(normalize_guest_path("/a\0b"), Err(Code::InvalidInput));
    }
}
