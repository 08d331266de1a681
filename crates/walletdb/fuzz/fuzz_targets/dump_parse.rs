//! Any bytes as a wallet dump file: reading never panics, and a dump that reads loads
//! into a store whose own dump reads back to the same records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use walletdb::dump::{dump_to_vec, load_dump, read_dump};
use walletdb::store::{MemoryStore, WalletStore};

fuzz_target!(|data: &[u8]| {
    if read_dump(data).is_ok() {
        let mut store = MemoryStore::new();
        load_dump(data, &mut store).expect("a verified dump loads");
        let redump = dump_to_vec(&store).expect("memory store dumps");
        let parsed = read_dump(&redump).expect("our own dump reads");
        assert_eq!(parsed.records, store.records().expect("records"));
    }
});
