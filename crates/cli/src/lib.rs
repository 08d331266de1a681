//! bitcoin-cli.
