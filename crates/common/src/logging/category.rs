//! Debug log categories and severity levels, named as Core names them.

use std::fmt;

/// Severity of a log line (Core's `BCLog::Level`), least severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Very detailed; only for enabled categories at `-loglevel=trace`.
    Trace = 0,
    /// Only for enabled categories.
    Debug = 1,
    /// Always logged.
    Info = 2,
    /// Always logged, prefixed `[warning]`.
    Warning = 3,
    /// Always logged, prefixed `[error]`.
    Error = 4,
}

impl Level {
    /// Core's name (`trace`, `debug`, `info`, `warning`, `error`).
    pub fn name(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    /// Parses one of Core's level names.
    pub fn from_name(s: &str) -> Option<Level> {
        Some(match s {
            "trace" => Level::Trace,
            "debug" => Level::Debug,
            "info" => Level::Info,
            "warning" => Level::Warning,
            "error" => Level::Error,
            _ => return None,
        })
    }

    pub(crate) fn from_u8(v: u8) -> Level {
        match v {
            0 => Level::Trace,
            1 => Level::Debug,
            2 => Level::Info,
            3 => Level::Warning,
            _ => Level::Error,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Levels a user may select with `-loglevel`, in Core's order.
pub const USER_LEVELS: [Level; 3] = [Level::Info, Level::Debug, Level::Trace];

/// Core's "info, debug, trace".
pub fn log_levels_string() -> String {
    USER_LEVELS.map(Level::name).join(", ")
}

macro_rules! categories {
    ($($variant:ident = $bit:expr, $name:expr;)*) => {
        /// A debug log category (Core's `BCLog::LogFlags`), enabled with `-debug=<name>`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Category {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Category {
            /// Every category, sorted by name as Core lists them.
            pub const ALL: &'static [Category] = &[$(Category::$variant),*];

            /// Core's bit for this category.
            pub fn mask(self) -> u64 {
                match self {
                    $(Category::$variant => 1u64 << $bit,)*
                }
            }

            /// Core's name (`net`, `rpc`, ...).
            pub fn name(self) -> &'static str {
                match self {
                    $(Category::$variant => $name,)*
                }
            }

            /// The category with this exact name.
            pub fn from_name(s: &str) -> Option<Category> {
                match s {
                    $($name => Some(Category::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

// Sorted by name, as Core's category map is.
categories! {
    Addrman = 9, "addrman";
    Bench = 4, "bench";
    BlockStorage = 24, "blockstorage";
    CmpctBlock = 12, "cmpctblock";
    CoinDb = 17, "coindb";
    EstimateFee = 8, "estimatefee";
    Http = 3, "http";
    I2p = 21, "i2p";
    Ipc = 22, "ipc";
    Kernel = 28, "kernel";
    LevelDb = 19, "leveldb";
    Mempool = 2, "mempool";
    MempoolRej = 16, "mempoolrej";
    Net = 0, "net";
    PrivateBroadcast = 29, "privatebroadcast";
    Proxy = 15, "proxy";
    Prune = 14, "prune";
    Qt = 18, "qt";
    Rand = 13, "rand";
    Reindex = 11, "reindex";
    Rpc = 7, "rpc";
    Scan = 26, "scan";
    SelectCoins = 10, "selectcoins";
    Tor = 1, "tor";
    TxPackages = 27, "txpackages";
    TxReconciliation = 25, "txreconciliation";
    Validation = 20, "validation";
    WalletDb = 6, "walletdb";
    Zmq = 5, "zmq";
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Mask with every category.
pub const ALL_MASK: u64 = !0;

/// Core's list of category names, comma separated, for help texts and errors.
pub fn log_categories_string() -> String {
    Category::ALL
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a `-debug=` / `logging` RPC value selects (Core's `GetLogCategory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CategorySelection {
    /// "", "1" or "all".
    All,
    /// A deprecated name that selects nothing (`libevent`).
    Deprecated,
    /// One category.
    One(Category),
}

impl CategorySelection {
    pub(crate) fn parse(s: &str) -> Option<CategorySelection> {
        if s.is_empty() || s == "1" || s == "all" {
            return Some(CategorySelection::All);
        }
        if let Some(c) = Category::from_name(s) {
            return Some(CategorySelection::One(c));
        }
        (s == "libevent").then_some(CategorySelection::Deprecated)
    }

    pub(crate) fn mask(self) -> u64 {
        match self {
            CategorySelection::All => ALL_MASK,
            CategorySelection::Deprecated => 0,
            CategorySelection::One(c) => c.mask(),
        }
    }
}
