//! Any file as `mempool.dat`: reading never panics, and what reads back writes back to
//! bytes that read the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mempool::persist::{read, write};

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = read(data) {
        for key in [None, Some([0x5a; 8])] {
            let again = read(&write(&file, key)).expect("our own output reads back");
            let mut sorted = file.clone();
            sorted.deltas.sort_by_key(|(t, _)| *t);
            let mut u = sorted.unbroadcast.clone();
            u.sort();
            u.dedup();
            sorted.unbroadcast = u;
            let mut a = again.clone();
            a.deltas.sort_by_key(|(t, _)| *t);
            a.unbroadcast.sort();
            assert_eq!(a.txs, sorted.txs);
            assert_eq!(a.deltas, sorted.deltas);
            assert_eq!(a.unbroadcast, sorted.unbroadcast);
        }
    }
});
