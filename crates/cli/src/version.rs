//! Version and licence text for `-version` and `-help`.

/// The version shown by `-version`, `-help` and `-netinfo`, in Core's
/// `FormatFullVersion` form for the Core release this client follows.
pub const CLIENT_BUILD: &str = "v31.99.0";

/// First year of the copyright notice.
const COPYRIGHT_FIRST_YEAR: u32 = 2009;
/// Last year of the copyright notice.
const COPYRIGHT_YEAR: u32 = 2026;

/// The licence paragraph printed by `-version`, as Core's `LicenseInfo`.
pub fn license_info() -> String {
    format!(
        "Copyright (C) {COPYRIGHT_FIRST_YEAR}-{COPYRIGHT_YEAR} The Bitcoin Core developers\n\
         \n\
         Please contribute if you find Bitcoin Core useful. Visit <https://bitcoincore.org/> for further information about the software.\n\
         The source code is available from <https://github.com/bitcoin/bitcoin>.\n\
         \n\
         This is experimental software.\n\
         Distributed under the MIT software license, see the accompanying file COPYING or <https://opensource.org/license/MIT>\n"
    )
}
