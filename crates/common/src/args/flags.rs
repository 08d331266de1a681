//! Option flags and help categories, as Core's `ArgsManager::Flags` and `OptionsCategory`.

use std::ops::{BitOr, BitOrAssign};

/// How an option's value is validated and shown (Core's `ArgsManager::Flags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ArgFlags(pub u32);

impl ArgFlags {
    /// No flags.
    pub const NONE: ArgFlags = ArgFlags(0);
    /// Any value, or none (then the value is empty, which means true).
    pub const ALLOW_ANY: ArgFlags = ArgFlags(0x01);
    /// `-nofoo` is rejected.
    pub const DISALLOW_NEGATION: ArgFlags = ArgFlags(0x20);
    /// `-foo` without `=value` is rejected.
    pub const DISALLOW_ELISION: ArgFlags = ArgFlags(0x40);
    /// Listed by `-help` only together with `-help-debug`.
    pub const DEBUG_ONLY: ArgFlags = ArgFlags(0x100);
    /// Taken from the top section of the config file only on mainnet.
    pub const NETWORK_ONLY: ArgFlags = ArgFlags(0x200);
    /// The value is secret: logged as `****`.
    pub const SENSITIVE: ArgFlags = ArgFlags(0x400);
    /// A positional command (registered with [`crate::ArgsManager::add_command`]).
    pub const COMMAND: ArgFlags = ArgFlags(0x800);

    /// Whether every flag in `other` is set.
    pub fn contains(self, other: ArgFlags) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }
}

impl BitOr for ArgFlags {
    type Output = ArgFlags;
    fn bitor(self, rhs: ArgFlags) -> ArgFlags {
        ArgFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for ArgFlags {
    fn bitor_assign(&mut self, rhs: ArgFlags) {
        self.0 |= rhs.0;
    }
}

/// Help section an option is listed in, in Core's order (Core's `OptionsCategory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OptionsCategory {
    /// "Options:"
    Options,
    /// "Connection options:"
    Connection,
    /// "Wallet options:"
    Wallet,
    /// "Wallet debugging/testing options:" (only with `-help-debug`)
    WalletDebugTest,
    /// "ZeroMQ notification options:"
    Zmq,
    /// "Debugging/Testing options:"
    DebugTest,
    /// "Chain selection options:"
    ChainParams,
    /// "Node relay options:"
    NodeRelay,
    /// "Block creation options:"
    BlockCreation,
    /// "RPC server options:"
    Rpc,
    /// "UI Options:"
    Gui,
    /// "Commands:"
    Commands,
    /// "Register Commands:"
    RegisterCommands,
    /// "CLI Commands:"
    CliCommands,
    /// "IPC interprocess connection options:"
    Ipc,
    /// Options of particular commands, listed under their command.
    CommandOptions,
    /// Accepted but never listed.
    Hidden,
}

impl OptionsCategory {
    /// The section title `-help` prints, or `None` for sections without one.
    pub fn title(self) -> Option<&'static str> {
        Some(match self {
            OptionsCategory::Options => "Options:",
            OptionsCategory::Connection => "Connection options:",
            OptionsCategory::Wallet => "Wallet options:",
            OptionsCategory::WalletDebugTest => "Wallet debugging/testing options:",
            OptionsCategory::Zmq => "ZeroMQ notification options:",
            OptionsCategory::DebugTest => "Debugging/Testing options:",
            OptionsCategory::ChainParams => "Chain selection options:",
            OptionsCategory::NodeRelay => "Node relay options:",
            OptionsCategory::BlockCreation => "Block creation options:",
            OptionsCategory::Rpc => "RPC server options:",
            OptionsCategory::Gui => "UI Options:",
            OptionsCategory::Commands => "Commands:",
            OptionsCategory::RegisterCommands => "Register Commands:",
            OptionsCategory::CliCommands => "CLI Commands:",
            OptionsCategory::Ipc => "IPC interprocess connection options:",
            OptionsCategory::CommandOptions | OptionsCategory::Hidden => return None,
        })
    }
}
