//! Any bytes as a wallet record: the first byte is the key length, then the key, then
//! the value. Decoding never panics, and a decoded record encodes to bytes that decode
//! to the same record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use walletdb::records::{decode, encode};

fuzz_target!(|data: &[u8]| {
    let Some((&klen, rest)) = data.split_first() else {
        return;
    };
    let klen = usize::from(klen).min(rest.len());
    let (key, value) = rest.split_at(klen);
    if let Ok(record) = decode(key, value) {
        let (k, v) = encode(&record);
        let again = decode(&k, &v).expect("our own encoding decodes");
        assert_eq!(again, record);
        assert_eq!(encode(&again), (k, v));
    }
});
