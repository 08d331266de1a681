//! JSON views of blocks, transactions and scripts, as Core prints them.
