//! The options `bitcoind` and `bitcoin-node` accept, registered with their help text (our
//! own wording; names, defaults and categories as Core's `SetupServerArgs`).
//!
//! Network and wallet options that Core's test framework passes are accepted now and take
//! effect as the P2P and wallet components land.

use common::args::{ArgFlags as F, OptionsCategory as C};
use common::ArgsManager;

/// Which executable is registering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    /// `bitcoind`: everything in one process.
    Bitcoind,
    /// `bitcoin-node`: IPC options too.
    BitcoinNode,
}

/// Default `-rpcport` per network, as `-help` shows them.
const RPC_PORTS: &str =
    "default: 8332, testnet3: 18332, testnet4: 48332, signet: 38332, regtest: 18443";
const P2P_PORTS: &str =
    "default: 8333, testnet3: 18333, testnet4: 48333, signet: 38333, regtest: 18444";

/// Registers every option of `binary`.
pub fn register(args: &ArgsManager, binary: Binary) {
    args.setup_help_options();
    common::logging::init::add_logging_args(args);
    let add = |name: &str, help: &str, flags: F, cat: C| args.add_arg(name, help, flags, cat);
    let any = F::ALLOW_ANY;

    add("-version", "Show the version and exit", any, C::Options);
    add("-conf=<file>", "Read options from this configuration file, read-only, relative to the data directory unless absolute (default: bitcoin.conf)", any, C::Options);
    add(
        "-datadir=<dir>",
        "Keep data in this directory",
        any | F::DISALLOW_NEGATION,
        C::Options,
    );
    add("-includeconf=<file>", "Also read options from this file, relative to the data directory unless absolute (only allowed inside a configuration file)", any, C::Options);
    add("-dbcache=<n>", "Memory for the database cache in MiB: coins are kept in memory up to this size before being written (minimum 4; default: 1024 with at least 4 GiB of RAM, else 450)", any, C::Options);
    add("-par=<n>", "Threads for script verification (0 = automatic, negative = leave that many cores free; at most 15; default: 0)", any, C::Options);
    add(
        "-reindex",
        "Rebuild the block index and the chainstate from the block files on disk",
        any,
        C::Options,
    );
    add(
        "-reindex-chainstate",
        "Rebuild the chainstate from the blocks already indexed",
        any,
        C::Options,
    );
    add(
        "-txindex",
        "Keep an index of every transaction of the chain by txid, which getrawtransaction consults beyond the mempool (default: 0)",
        any,
        C::Options,
    );
    add("-assumevalid=<hex>", "Skip script checks of this block's ancestors when the conditions for it hold (0 checks every script; default: the network's built-in block)", any, C::Options);
    add(
        "-blocksdir=<dir>",
        "Keep block files in this directory (default: the data directory)",
        any,
        C::Options,
    );
    add("-pid=<file>", "File holding the process ID, relative to the network data directory unless absolute (default: bitcoind.pid)", any, C::Options);
    add(
        "-blocksxor",
        "Obfuscate newly created block files with a random key (default: 1)",
        any,
        C::Options,
    );
    add(
        "-prevoutfetchthreads=<n>",
        "Threads that fetch previous outputs while connecting blocks",
        any | F::DEBUG_ONLY,
        C::Options,
    );

    add(
        "-port=<port>",
        &format!("Accept peer connections on <port> ({P2P_PORTS})"),
        any | F::NETWORK_ONLY,
        C::Connection,
    );
    add(
        "-bind=<addr>[:<port>][=onion]",
        "Bind to this address for peer connections; may be given several times",
        any | F::NETWORK_ONLY,
        C::Connection,
    );
    add("-whitebind=<[permissions@]addr>", "Bind to this address and give the peers connecting to it these permissions (comma-separated: bloomfilter, noban, forcerelay, relay, mempool, download, addr; default noban,mempool,relay). May be given several times", any | F::NETWORK_ONLY, C::Connection);
    add("-whitelist=<[permissions@]IP address or network>", "Give peers from this address (1.2.3.4) or CIDR network (1.2.3.0/24) these permissions, with the directions they apply to (in, out; default in). Permissions as for -whitebind. May be given several times", any, C::Connection);
    add(
        "-listen",
        "Accept connections from outside (default: 1 unless -proxy or -connect)",
        any,
        C::Connection,
    );
    add(
        "-connect=<ip>",
        "Connect only to these peers (0 disables automatic connections)",
        any | F::NETWORK_ONLY,
        C::Connection,
    );
    add(
        "-maxconnections=<n>",
        "Keep at most <n> automatic peer connections (default: 200), 11 of them for outgoing ones; see -inboundrelaypercent for the inbound peers that may relay transactions",
        any,
        C::Connection,
    );
    add(
        "-inboundrelaypercent=<n>",
        "Largest share, in percent, of inbound connections that may relay transactions, to limit memory use (0 to 100, default: 50)",
        any,
        C::Connection,
    );
    add(
        "-discover",
        "Discover own IP addresses (default: 1 when listening and no -externalip or -proxy)",
        any,
        C::Connection,
    );
    add(
        "-dnsseed",
        "Ask DNS seeds for peer addresses when few are known (default: 1)",
        any,
        C::Connection,
    );
    add(
        "-fixedseeds",
        "Fall back to the built-in seed addresses when DNS seeds do not answer (default: 1)",
        any,
        C::Connection,
    );
    add(
        "-listenonion",
        "Create a Tor onion service automatically (default: 1)",
        any,
        C::Connection,
    );
    add(
        "-natpmp",
        "Map the listening port with PCP or NAT-PMP (default: 0)",
        any,
        C::Connection,
    );
    add(
        "-peertimeout=<n>",
        "Seconds of inactivity after which a new peer is disconnected (minimum 1, default: 60)",
        any | F::DEBUG_ONLY,
        C::Connection,
    );
    add(
        "-addnode=<ip>",
        "Add a node to connect to and keep the connection open; may be given several times",
        any | F::NETWORK_ONLY,
        C::Connection,
    );
    add(
        "-seednode=<ip>",
        "Connect to a node to learn peer addresses, then disconnect; may be given several times",
        any | F::NETWORK_ONLY,
        C::Connection,
    );
    add(
        "-maxreceivebuffer=<n>",
        "Largest receive buffer per connection, <n>*1000 bytes (default: 5000)",
        any,
        C::Connection,
    );
    add(
        "-maxsendbuffer=<n>",
        "Largest send buffer per connection, <n>*1000 bytes (default: 1000)",
        any,
        C::Connection,
    );
    add(
        "-timeout=<n>",
        "Connection timeout in milliseconds (minimum 1, default: 5000)",
        any,
        C::Connection,
    );
    add(
        "-blocksonly",
        "Reject transactions from peers; transactions from RPC and the wallet are still relayed (default: 0)",
        any,
        C::Connection,
    );
    add(
        "-networkactive",
        "Enable all P2P network activity (default: 1); may be changed with the setnetworkactive command",
        any,
        C::Connection,
    );
    add(
        "-daemon",
        "Run in the background as a daemon and accept commands (default: 0)",
        any,
        C::Options,
    );
    add(
        "-daemonwait",
        "Wait for initialization to be finished before exiting. This implies -daemon (default: 0)",
        any,
        C::Options,
    );
    add(
        "-test=<option>",
        "Pass a test-only option. Options include : addrman (use deterministic addrman).",
        any | F::DEBUG_ONLY,
        C::DebugTest,
    );
    add(
        "-proxy=<ip:port|path>",
        "Connect through a SOCKS5 proxy, =<network> for one network only (ipv4, ipv6, tor or cjdns), 0 for none; may be given several times",
        any | F::DISALLOW_ELISION,
        C::Connection,
    );
    add(
        "-onion=<ip:port|path>",
        "SOCKS5 proxy for Tor onion services, 0 for none (default: -proxy)",
        any,
        C::Connection,
    );
    add(
        "-proxyrandomize",
        "Fresh credentials for every proxy connection, so Tor isolates the streams (default: 1)",
        any,
        C::Connection,
    );
    add(
        "-dns",
        "Allow DNS lookups for -addnode, -seednode and -connect (default: 1)",
        any,
        C::Connection,
    );
    add(
        "-onlynet=<net>",
        "Make automatic outbound connections only to network <net> (ipv4, ipv6, onion, i2p, cjdns); may be given several times",
        any,
        C::Connection,
    );
    add(
        "-cjdnsreachable",
        "Addresses in fc00::/8 are CJDNS peers reachable directly, not private IPv6 (default: 0)",
        any,
        C::Connection,
    );
    add(
        "-externalip=<ip>",
        "Specify your own public address",
        any,
        C::Connection,
    );
    add(
        "-forcednsseed",
        "Always query for peer addresses through DNS lookup (default: 0)",
        any,
        C::Connection,
    );
    add(
        "-minimumchainwork=<hex>",
        "Minimum work a valid chain is assumed to have, in hex (default: the chain's own)",
        any | F::DEBUG_ONLY,
        C::Options,
    );
    add(
        "-checkaddrman=<n>",
        "Run address manager consistency checks every <n> operations; 0 disables (default: 0)",
        any | F::DEBUG_ONLY,
        C::DebugTest,
    );
    add(
        "-peerbloomfilters",
        "Support filtering of blocks and transactions with bloom filters (default: 0)",
        any,
        C::Connection,
    );
    add(
        "-v2transport",
        "Support v2 encrypted P2P connections (default: 1)",
        any,
        C::Connection,
    );

    add(
        "-maxmempool=<n>",
        "Largest mempool in megabytes (default: 300)",
        any,
        C::Options,
    );
    add("-whitelistforcerelay", "Give whitelisted peers with default permissions the 'forcerelay' permission: their transactions are relayed even when already in the mempool (default: 0)", any, C::NodeRelay);
    add("-whitelistrelay", "Give whitelisted peers with default permissions the 'relay' permission: their transactions are accepted even when not relaying transactions (default: 1)", any, C::NodeRelay);
    add("-minrelaytxfee=<amt>", "Lowest fee rate in BTC/kvB that is relayed, mined or accepted into the mempool (default: 0.000001)", any, C::NodeRelay);
    add("-incrementalrelayfee=<amt>", "Fee-rate step in BTC/kvB for replacements and for raising the mempool minimum (default: 0.000001)", any | F::DEBUG_ONLY, C::NodeRelay);
    add(
        "-permitbaremultisig",
        "Relay bare multisig outputs (default: 1)",
        any,
        C::NodeRelay,
    );
    add(
        "-datacarrier",
        "Relay and mine data carrier (OP_RETURN) transactions (default: 1)",
        any,
        C::NodeRelay,
    );
    add("-datacarriersize=<n>", "Most bytes of data carrier outputs a relayed transaction may hold in total (default: 100000)", any, C::NodeRelay);
    add(
        "-limitclustercount=<n>",
        "Most transactions in a mempool cluster (default: 64)",
        any | F::DEBUG_ONLY,
        C::DebugTest,
    );
    add(
        "-limitclustersize=<n>",
        "Largest mempool cluster in kvB (default: 101)",
        any | F::DEBUG_ONLY,
        C::DebugTest,
    );
    add("-limitancestorcount=<n>", "Deprecated: in-mempool ancestors a new transaction may have; cluster limits replace it and only the wallet's coin selection still reads it (default: 25)", any | F::DEBUG_ONLY, C::DebugTest);
    add("-limitdescendantcount=<n>", "Deprecated: in-mempool descendants any ancestor may have; cluster limits replace it and only the wallet's coin selection still reads it (default: 25)", any | F::DEBUG_ONLY, C::DebugTest);
    add(
        "-checkmempool=<n>",
        "Check the mempool's consistency every <n> transactions; 0 never (default: 0, regtest: 1)",
        any | F::DEBUG_ONLY,
        C::DebugTest,
    );
    add(
        "-acceptstalefeeestimates",
        "Read fee estimates even when they are stale, older than 60 hours (regtest only; default: 0)",
        any | F::DEBUG_ONLY,
        C::DebugTest,
    );
    add(
        "-printpriority",
        "Log each mined transaction's fee rate in BTC/kvB (default: 0)",
        any | F::DEBUG_ONLY,
        C::DebugTest,
    );
    add(
        "-mempoolexpiry=<n>",
        "Drop transactions from the mempool after <n> hours (default: 336)",
        any,
        C::Options,
    );
    add(
        "-persistmempool",
        "Save the mempool at shutdown and load it at start (default: 1)",
        any,
        C::Options,
    );
    add("-persistmempoolv1", "Write mempool.dat in the unobfuscated legacy format (version 1) for older software (default: 0)", any, C::Options);
    add(
        "-acceptnonstdtxn",
        "Relay and mine non-standard transactions (test networks only; default: 0)",
        any | F::DEBUG_ONLY,
        C::NodeRelay,
    );
    add("-dustrelayfee=<amt>", "Fee rate in BTC/kvB that defines dust: outputs worth less than spending them costs at this rate (default: 0.00003)", any | F::DEBUG_ONLY, C::NodeRelay);
    add(
        "-bytespersigop",
        "Virtual bytes each sigop counts as, for relay and mining (default: 20)",
        any,
        C::NodeRelay,
    );
    add(
        "-blockmaxweight=<n>",
        "Largest block weight to create (default: 4000000)",
        any | F::DEBUG_ONLY,
        C::BlockCreation,
    );
    add("-blockreservedweight=<n>", "Weight kept free for the block header and the largest coinbase mining software may add; affects RPC mining clients, not IPC ones (default: 8000)", any, C::BlockCreation);
    add("-blockmintxfee=<amt>", "Lowest fee rate in BTC/kvB a transaction must pay to be put in a new block (default: 0.00000001)", any, C::BlockCreation);
    add(
        "-help-debug",
        "With -help, also list the options for debugging and testing",
        any,
        C::DebugTest,
    );
    add(
        "-uacomment=<cmt>",
        "Append a comment to the user agent",
        any,
        C::DebugTest,
    );
    add(
        "-stopafterblockimport",
        "Stop once blocks from disk are imported (default: 0)",
        any | F::DEBUG_ONLY,
        C::DebugTest,
    );
    add(
        "-testactivationheight=name@height.",
        "Set the activation height of a buried deployment (regtest only)",
        any | F::DEBUG_ONLY,
        C::DebugTest,
    );
    add(
        "-vbparams=deployment:start:end[:min_activation_height]",
        "Override a version bits deployment's start time, timeout and lowest activation height (test networks only)",
        any | F::DEBUG_ONLY,
        C::ChainParams,
    );
    add(
        "-checkblocks=<n>",
        "Blocks of the active chain to verify at startup (0 = all; default: 6)",
        any | F::DEBUG_ONLY,
        C::DebugTest,
    );
    add(
        "-checklevel=<n>",
        "Depth of the startup verification: 0 reads the blocks, 1 checks them, 2 reads their undo data, 3 disconnects the tip blocks in memory, 4 connects them again; each level includes the ones below (0-4, default: 3)",
        any | F::DEBUG_ONLY,
        C::DebugTest,
    );
    add(
        "-mocktime=<n>",
        "Replace the clock with this UNIX time (regtest only; default: 0)",
        any | F::DEBUG_ONLY,
        C::DebugTest,
    );

    add(
        "-chain=<chain>",
        "Use this chain: main, test, testnet4, signet or regtest",
        any,
        C::ChainParams,
    );
    add("-regtest", "Use the regression test chain, where blocks can be made at once; for tests and development", any | F::DEBUG_ONLY, C::ChainParams);
    add(
        "-testnet",
        "Use testnet3 (deprecated; prefer -testnet4)",
        any,
        C::ChainParams,
    );
    add("-testnet4", "Use testnet4", any, C::ChainParams);
    add(
        "-signet",
        "Use the signet chain; the default one unless -signetchallenge is given",
        any,
        C::ChainParams,
    );
    add(
        "-signetchallenge",
        "Blocks must satisfy this script (signet only; default: the global signet's)",
        any | F::DISALLOW_NEGATION,
        C::ChainParams,
    );

    add(
        "-server",
        "Answer JSON-RPC requests (default: 1 for bitcoind)",
        any,
        C::Rpc,
    );
    add("-rpcallowip=<ip>", "Accept JSON-RPC from this source: an IP, a network like 1.2.3.0/24 or 1.2.3.0/255.255.255.0, or * for all; may be given several times", any, C::Rpc);
    add("-rpcauth=<userpw>", "A user and salted HMAC-SHA256 of their password, as <USERNAME>:<SALT>$<HASH> (share/rpcauth makes them); may be given several times", any | F::SENSITIVE, C::Rpc);
    add("-rpcbind=<addr>[:port]", "Listen for JSON-RPC on this address (default: 127.0.0.1 and ::1); ignored unless -rpcallowip is given too; may be given several times", any | F::NETWORK_ONLY, C::Rpc);
    add("-rpccookiefile=<loc>", "Where the authentication cookie goes, relative to the network data directory unless absolute (default: .cookie)", any, C::Rpc);
    add(
        "-rpccookieperms=<readable-by>",
        "Who may read the cookie file: owner, group or all (default: owner)",
        any,
        C::Rpc,
    );
    add(
        "-rpcpassword=<pw>",
        "Password for JSON-RPC",
        any | F::SENSITIVE,
        C::Rpc,
    );
    add(
        "-rpcport=<port>",
        &format!("Listen for JSON-RPC on <port> ({RPC_PORTS})"),
        any | F::NETWORK_ONLY,
        C::Rpc,
    );
    add(
        "-rpcservertimeout=<n>",
        "Seconds before an HTTP request times out (default: 30)",
        any | F::DEBUG_ONLY,
        C::Rpc,
    );
    add(
        "-rpcthreads=<n>",
        "Threads serving RPC calls (default: 16)",
        any,
        C::Rpc,
    );
    add(
        "-rpcuser=<user>",
        "User name for JSON-RPC",
        any | F::SENSITIVE,
        C::Rpc,
    );
    add("-rpcwhitelist=<whitelist>", "Limit a user to some RPC methods, as <USERNAME>:<rpc 1>,<rpc 2>,...; several lists for one user are intersected", any, C::Rpc);
    add("-rpcwhitelistdefault", "Whether users without a -rpcwhitelist get an empty one: by default, yes as soon as any -rpcwhitelist is given", any, C::Rpc);
    add(
        "-rpcworkqueue=<n>",
        "Most RPC calls queued at once (default: 64)",
        any | F::DEBUG_ONLY,
        C::Rpc,
    );
    add(
        "-rpcdoccheck",
        "Check that RPC help matches results at run time (default: 0)",
        any | F::DEBUG_ONLY,
        C::Rpc,
    );
    add(
        "-deprecatedrpc=<method>",
        "Keep a deprecated RPC behaviour",
        any,
        C::Rpc,
    );

    add(
        "-settings=<file>",
        "Where the node keeps the settings it writes at run time, such as the wallets to load at start-up; -nosettings disables it. Relative paths are under the network's data directory. (default: settings.json)",
        any,
        C::Options,
    );
    wallet::init::add_options(args);

    if binary == Binary::BitcoinNode {
        add("-ipcbind=<address>", "Listen for IPC on a unix socket: \"unix\" for <datadir>/node.sock or \"unix:/path\"; may be given several times. Processes that can open the socket get unauthenticated RPC access.", any, C::Ipc);
    }
    args.add_hidden_args(&["-ipcfd", "-ipcconnect"]);
}

/// Core's refusal to start a transaction index on a pruned node, whose deleted blocks the
/// index would point into.
pub fn check_txindex(args: &ArgsManager) -> Result<(), String> {
    if args.get_int_arg("-prune", 0) != 0 && args.get_bool_arg("-txindex", index::DEFAULT_TXINDEX) {
        return Err("Error: Prune mode is incompatible with -txindex.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txindex_is_refused_with_prune_as_core_refuses_it() {
        let parse = |list: &[&str]| {
            let mut a = ArgsManager::empty();
            register(&a, Binary::Bitcoind);
            // -prune belongs to the pruning work; registered here to reach the check.
            a.add_arg("-prune=<n>", "", F::ALLOW_ANY, C::Options);
            a.parse_parameters(list.iter().map(|s| s.to_string()))
                .unwrap();
            check_txindex(&a)
        };
        assert_eq!(
            parse(&["-txindex", "-prune=550"]),
            Err("Error: Prune mode is incompatible with -txindex.".into())
        );
        assert_eq!(parse(&["-txindex", "-prune=0"]), Ok(()));
        assert_eq!(parse(&["-txindex=0", "-prune=1"]), Ok(()));
        assert_eq!(parse(&["-txindex"]), Ok(()));
    }
}
