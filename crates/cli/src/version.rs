//! Version and licence text for `-version` and `-help`: the workspace's, from `common`.

pub use common::version::{license_info, CLIENT_BUILD};
