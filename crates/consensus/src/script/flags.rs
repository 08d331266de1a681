//! `SCRIPT_VERIFY_*` flags, with Core's bit positions and names.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Not};

/// A set of script verification flags (`script_verify_flags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct VerifyFlags(pub u32);

macro_rules! flags {
    ($($name:ident = $bit:literal, $text:literal;)*) => {
        impl VerifyFlags {
            /// No flags.
            pub const NONE: VerifyFlags = VerifyFlags(0);
            $(
                #[doc = concat!("`SCRIPT_VERIFY_", $text, "`.")]
                pub const $name: VerifyFlags = VerifyFlags(1 << $bit);
            )*
            /// Every defined flag.
            pub const ALL: VerifyFlags = VerifyFlags(0 $(| (1 << $bit))*);
            /// Names and values, sorted by name as Core's `ScriptFlagNamesToEnum`.
            pub const NAMES: &'static [(&'static str, VerifyFlags)] = &[$(($text, VerifyFlags(1 << $bit))),*];
        }
    };
}

flags! {
    CHECKLOCKTIMEVERIFY = 9, "CHECKLOCKTIMEVERIFY";
    CHECKSEQUENCEVERIFY = 10, "CHECKSEQUENCEVERIFY";
    CLEANSTACK = 8, "CLEANSTACK";
    CONST_SCRIPTCODE = 16, "CONST_SCRIPTCODE";
    DERSIG = 2, "DERSIG";
    DISCOURAGE_OP_SUCCESS = 19, "DISCOURAGE_OP_SUCCESS";
    DISCOURAGE_UPGRADABLE_NOPS = 7, "DISCOURAGE_UPGRADABLE_NOPS";
    DISCOURAGE_UPGRADABLE_PUBKEYTYPE = 20, "DISCOURAGE_UPGRADABLE_PUBKEYTYPE";
    DISCOURAGE_UPGRADABLE_TAPROOT_VERSION = 18, "DISCOURAGE_UPGRADABLE_TAPROOT_VERSION";
    DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM = 12, "DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM";
    LOW_S = 3, "LOW_S";
    MINIMALDATA = 6, "MINIMALDATA";
    MINIMALIF = 13, "MINIMALIF";
    NULLDUMMY = 4, "NULLDUMMY";
    NULLFAIL = 14, "NULLFAIL";
    P2SH = 0, "P2SH";
    SIGPUSHONLY = 5, "SIGPUSHONLY";
    STRICTENC = 1, "STRICTENC";
    TAPROOT = 17, "TAPROOT";
    WITNESS = 11, "WITNESS";
    WITNESS_PUBKEYTYPE = 15, "WITNESS_PUBKEYTYPE";
}

/// Flags every new transaction must satisfy (Core's `MANDATORY_SCRIPT_VERIFY_FLAGS`).
/// This and [`STANDARD_SCRIPT_VERIFY_FLAGS`] are relay policy, not consensus; they live
/// beside the flags so that the mempool and the signer share one definition.
pub const MANDATORY_SCRIPT_VERIFY_FLAGS: VerifyFlags = VerifyFlags(
    VerifyFlags::P2SH.0
        | VerifyFlags::DERSIG.0
        | VerifyFlags::NULLDUMMY.0
        | VerifyFlags::CHECKLOCKTIMEVERIFY.0
        | VerifyFlags::CHECKSEQUENCEVERIFY.0
        | VerifyFlags::WITNESS.0
        | VerifyFlags::TAPROOT.0,
);

/// Flags standard transactions satisfy (Core's `STANDARD_SCRIPT_VERIFY_FLAGS`).
pub const STANDARD_SCRIPT_VERIFY_FLAGS: VerifyFlags = VerifyFlags(
    MANDATORY_SCRIPT_VERIFY_FLAGS.0
        | VerifyFlags::STRICTENC.0
        | VerifyFlags::MINIMALDATA.0
        | VerifyFlags::DISCOURAGE_UPGRADABLE_NOPS.0
        | VerifyFlags::CLEANSTACK.0
        | VerifyFlags::MINIMALIF.0
        | VerifyFlags::NULLFAIL.0
        | VerifyFlags::LOW_S.0
        | VerifyFlags::DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM.0
        | VerifyFlags::WITNESS_PUBKEYTYPE.0
        | VerifyFlags::CONST_SCRIPTCODE.0
        | VerifyFlags::DISCOURAGE_UPGRADABLE_TAPROOT_VERSION.0
        | VerifyFlags::DISCOURAGE_OP_SUCCESS.0
        | VerifyFlags::DISCOURAGE_UPGRADABLE_PUBKEYTYPE.0,
);

/// A flag name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagsError(pub String);

impl fmt::Display for FlagsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown script verify flag: {}", self.0)
    }
}

impl std::error::Error for FlagsError {}

impl VerifyFlags {
    /// Whether every flag of `other` is set.
    pub fn contains(self, other: VerifyFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any flag of `other` is set.
    pub fn intersects(self, other: VerifyFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// Parses Core's comma-separated form (`P2SH,STRICTENC`); `NONE` and empty mean none.
    pub fn parse(s: &str) -> Result<VerifyFlags, FlagsError> {
        let mut flags = VerifyFlags::NONE;
        if s.is_empty() || s == "NONE" {
            return Ok(flags);
        }
        for word in s.split(',') {
            match VerifyFlags::NAMES.iter().find(|(n, _)| *n == word) {
                Some((_, f)) => flags |= *f,
                None => return Err(FlagsError(word.to_string())),
            }
        }
        Ok(flags)
    }

    /// Core's names of the set flags (`GetScriptFlagNames`).
    pub fn names(self) -> Vec<String> {
        let mut out = Vec::new();
        let mut left = self.0;
        for (name, f) in VerifyFlags::NAMES {
            if self.0 & f.0 != 0 {
                out.push((*name).to_string());
                left &= !f.0;
            }
        }
        if left != 0 {
            out.push(format!("0x{left:08x}"));
        }
        out
    }

    /// Whether the combination is one `verify_script` accepts: WITNESS needs P2SH, and
    /// CLEANSTACK needs both (`IsValidFlagCombination`).
    pub fn is_valid_combination(self) -> bool {
        if self.contains(VerifyFlags::CLEANSTACK)
            && !self.contains(VerifyFlags::P2SH | VerifyFlags::WITNESS)
        {
            return false;
        }
        !self.contains(VerifyFlags::WITNESS) || self.contains(VerifyFlags::P2SH)
    }
}

impl BitOr for VerifyFlags {
    type Output = VerifyFlags;
    fn bitor(self, rhs: VerifyFlags) -> VerifyFlags {
        VerifyFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for VerifyFlags {
    fn bitor_assign(&mut self, rhs: VerifyFlags) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for VerifyFlags {
    type Output = VerifyFlags;
    fn bitand(self, rhs: VerifyFlags) -> VerifyFlags {
        VerifyFlags(self.0 & rhs.0)
    }
}

impl Not for VerifyFlags {
    type Output = VerifyFlags;
    fn not(self) -> VerifyFlags {
        VerifyFlags(!self.0 & VerifyFlags::ALL.0)
    }
}

impl fmt::Display for VerifyFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_name() {
        let f = VerifyFlags::parse("P2SH,STRICTENC").unwrap();
        assert_eq!(f.0, 3);
        assert_eq!(f.to_string(), "P2SH,STRICTENC");
        assert_eq!(VerifyFlags::parse("NONE").unwrap(), VerifyFlags::NONE);
        assert!(VerifyFlags::parse("P2SH,BOGUS").is_err());
        assert_eq!(VerifyFlags::ALL.0, (1 << 21) - 1);
        assert_eq!(VerifyFlags(1 << 25).names(), vec!["0x02000000"]);
    }
}
