//! JSON-RPC error codes, with the numeric values Bitcoin Core uses (its
//! `rpc/protocol.h`). Names keep Core's `RPC_` spelling so they can be grepped
//! side by side with Core's sources.

/// Standard JSON-RPC 2.0: the request is not a valid request object (HTTP 400 for legacy replies).
pub const RPC_INVALID_REQUEST: i32 = -32600;
/// Standard JSON-RPC 2.0: no such method (HTTP 404 for legacy replies).
pub const RPC_METHOD_NOT_FOUND: i32 = -32601;
/// Standard JSON-RPC 2.0: invalid method parameters.
pub const RPC_INVALID_PARAMS: i32 = -32602;
/// Standard JSON-RPC 2.0: internal error; only for genuine bugs.
pub const RPC_INTERNAL_ERROR: i32 = -32603;
/// Standard JSON-RPC 2.0: the body could not be parsed.
pub const RPC_PARSE_ERROR: i32 = -32700;

/// Generic failure while handling a command.
pub const RPC_MISC_ERROR: i32 = -1;
/// A parameter had an unexpected JSON type.
pub const RPC_TYPE_ERROR: i32 = -3;
/// Invalid address or key.
pub const RPC_INVALID_ADDRESS_OR_KEY: i32 = -5;
/// Out of memory.
pub const RPC_OUT_OF_MEMORY: i32 = -7;
/// Invalid, missing or duplicate parameter.
pub const RPC_INVALID_PARAMETER: i32 = -8;
/// Database error.
pub const RPC_DATABASE_ERROR: i32 = -20;
/// Raw data could not be parsed or validated.
pub const RPC_DESERIALIZATION_ERROR: i32 = -22;
/// General error while submitting a transaction or block.
pub const RPC_VERIFY_ERROR: i32 = -25;
/// Transaction or block rejected by the network rules.
pub const RPC_VERIFY_REJECTED: i32 = -26;
/// Transaction already in the UTXO set.
pub const RPC_VERIFY_ALREADY_IN_UTXO_SET: i32 = -27;
/// The node is still starting up.
pub const RPC_IN_WARMUP: i32 = -28;
/// The method is deprecated.
pub const RPC_METHOD_DEPRECATED: i32 = -32;
/// A bounded resource is at capacity.
pub const RPC_LIMIT_EXCEEDED: i32 = -37;
/// Alias of [`RPC_VERIFY_ERROR`].
pub const RPC_TRANSACTION_ERROR: i32 = RPC_VERIFY_ERROR;
/// Alias of [`RPC_VERIFY_REJECTED`].
pub const RPC_TRANSACTION_REJECTED: i32 = RPC_VERIFY_REJECTED;

/// P2P client: not connected.
pub const RPC_CLIENT_NOT_CONNECTED: i32 = -9;
/// P2P client: still in initial block download.
pub const RPC_CLIENT_IN_INITIAL_DOWNLOAD: i32 = -10;
/// P2P client: node already added.
pub const RPC_CLIENT_NODE_ALREADY_ADDED: i32 = -23;
/// P2P client: node was not added before.
pub const RPC_CLIENT_NODE_NOT_ADDED: i32 = -24;
/// P2P client: node to disconnect is not connected.
pub const RPC_CLIENT_NODE_NOT_CONNECTED: i32 = -29;
/// P2P client: invalid IP or subnet.
pub const RPC_CLIENT_INVALID_IP_OR_SUBNET: i32 = -30;
/// P2P client: networking is disabled.
pub const RPC_CLIENT_P2P_DISABLED: i32 = -31;
/// P2P client: maximum outbound or block-relay connections already open.
pub const RPC_CLIENT_NODE_CAPACITY_REACHED: i32 = -34;
/// Chain clients: no mempool.
pub const RPC_CLIENT_MEMPOOL_DISABLED: i32 = -33;

/// Unspecified wallet problem.
pub const RPC_WALLET_ERROR: i32 = -4;
/// Not enough funds.
pub const RPC_WALLET_INSUFFICIENT_FUNDS: i32 = -6;
/// Invalid label name.
pub const RPC_WALLET_INVALID_LABEL_NAME: i32 = -11;
/// Keypool ran out.
pub const RPC_WALLET_KEYPOOL_RAN_OUT: i32 = -12;
/// The wallet must be unlocked first.
pub const RPC_WALLET_UNLOCK_NEEDED: i32 = -13;
/// Wrong wallet passphrase.
pub const RPC_WALLET_PASSPHRASE_INCORRECT: i32 = -14;
/// Command given in the wrong encryption state.
pub const RPC_WALLET_WRONG_ENC_STATE: i32 = -15;
/// Encrypting the wallet failed.
pub const RPC_WALLET_ENCRYPTION_FAILED: i32 = -16;
/// The wallet is already unlocked.
pub const RPC_WALLET_ALREADY_UNLOCKED: i32 = -17;
/// Invalid wallet specified.
pub const RPC_WALLET_NOT_FOUND: i32 = -18;
/// No wallet specified while several are loaded.
pub const RPC_WALLET_NOT_SPECIFIED: i32 = -19;
/// This wallet is already loaded.
pub const RPC_WALLET_ALREADY_LOADED: i32 = -35;
/// A wallet with that name already exists.
pub const RPC_WALLET_ALREADY_EXISTS: i32 = -36;
/// Alias of [`RPC_WALLET_INVALID_LABEL_NAME`].
pub const RPC_WALLET_INVALID_ACCOUNT_NAME: i32 = RPC_WALLET_INVALID_LABEL_NAME;
/// Unused, kept for compatibility.
pub const RPC_FORBIDDEN_BY_SAFE_MODE: i32 = -2;
