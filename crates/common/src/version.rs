//! The client's name and version, shared by every executable so that `-version`,
//! `bitcoin-cli -netinfo` and the node report the same build.

/// The name the executables report, as Core's `CLIENT_NAME` (scripts look for it).
pub const CLIENT_NAME: &str = "Bitcoin Core";

/// The version in Core's `FormatFullVersion` form.
pub const CLIENT_BUILD: &str = concat!("v", env!("CARGO_PKG_VERSION"));

/// The copyright and licence paragraph printed by `-version`.
pub fn license_info() -> String {
    "Copyright (C) 2026 The multiprocess Bitcoin in Rust developers\n\
     \n\
     A Rust implementation of Bitcoin Core's node, wallet and GUI processes, following Bitcoin Core's behaviour.\n\
     \n\
     This is experimental software.\n\
     Distributed under the MIT software license, see the accompanying file COPYING or <https://opensource.org/license/MIT>\n"
        .to_string()
}

/// Core's `CLIENT_VERSION` for this release: 10000 × major + 100 × minor + patch.
pub const CLIENT_VERSION: i32 = 100;

#[cfg(test)]
mod client_version_tests {
    #[test]
    fn client_version_matches_the_package_version() {
        let parts: Vec<i32> = env!("CARGO_PKG_VERSION")
            .split('.')
            .map(|p| p.parse().unwrap_or(0))
            .collect();
        assert_eq!(
            super::CLIENT_VERSION,
            parts[0] * 10000 + parts[1] * 100 + parts[2]
        );
    }
}
