use super::*;
use crate::records::{self, Record};
use crate::store::MemoryStore;
use crate::testutil::{TempDir, REGTEST};

const EMPTY_SUM: &str = "eaf1e0966d29052b8554eb44cf4d628064dc2533ef395e57d72a0e1dac9d413d";

fn with_sum(body: &str) -> Vec<u8> {
    let mut e = sha256d::Hash::engine();
    e.input(body.as_bytes());
    let sum = hex::encode(&sha256d::Hash::from_engine(e).to_byte_array());
    format!("{body}checksum,{sum}\n").into_bytes()
}

fn msg(data: &[u8]) -> String {
    read_dump(data).unwrap_err().to_string()
}

#[test]
fn empty_store_dump_matches_hand_computed_checksum() {
    let out = dump_to_vec(&MemoryStore::new()).unwrap();
    let want = format!("BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\nchecksum,{EMPTY_SUM}\n");
    assert_eq!(String::from_utf8(out.clone()).unwrap(), want);
    let parsed = read_dump(&out).unwrap();
    assert_eq!(parsed.format, "sqlite");
    assert!(parsed.records.is_empty());
}

#[test]
fn one_record_layout() {
    let mut s = MemoryStore::new();
    s.write_record(&Record::Version(0)).unwrap();
    let out = String::from_utf8(dump_to_vec(&s).unwrap()).unwrap();
    assert_eq!(
        out,
        "BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\n0776657273696f6e,00000000\n\
         checksum,58b7c8b58bc164ad44421a87abe16fb3037147c6e13e1fc65b4d5b1af9ee27e1\n"
    );
}

#[test]
fn round_trip_through_dump() {
    let mut s = MemoryStore::new();
    for rec in records::tests::all_sample_records() {
        s.write_record(&rec).unwrap();
    }
    let dump = dump_to_vec(&s).unwrap();
    let mut back = MemoryStore::new();
    let n = load_dump(&dump, &mut back).unwrap();
    assert_eq!(n, s.len());
    assert_eq!(back.records().unwrap(), s.records().unwrap());
}

#[test]
fn header_errors_use_cores_texts() {
    assert_eq!(
        msg(b"BITCOIN_CORE_WALLET_DUMPX,1\n"),
        "Error: Dumpfile identifier record is incorrect. Got \"BITCOIN_CORE_WALLET_DUMPX\", expected \"BITCOIN_CORE_WALLET_DUMP\"."
    );
    assert_eq!(msg(b""), "Error: Dumpfile identifier record is incorrect. Got \"\", expected \"BITCOIN_CORE_WALLET_DUMP\".");
    assert_eq!(
        msg(b"BITCOIN_CORE_WALLET_DUMP,x1\n"),
        "Error: Unable to parse version x1 as a uint32_t"
    );
    assert_eq!(
        msg(b"BITCOIN_CORE_WALLET_DUMP,+1\n"),
        "Error: Unable to parse version +1 as a uint32_t"
    );
    assert_eq!(
        msg(b"BITCOIN_CORE_WALLET_DUMP,2\n"),
        "Error: Dumpfile version is not supported. This version of bitcoin-wallet only supports version 1 dumpfiles. Got dumpfile with version 2"
    );
    assert_eq!(
        msg(b"BITCOIN_CORE_WALLET_DUMP,1\nformax,sqlite\n"),
        "Error: Dumpfile format record is incorrect. Got \"formax\", expected \"format\"."
    );
    assert_eq!(
        msg(b"BITCOIN_CORE_WALLET_DUMP,1\nformat,bdb\n"),
        "Error: Dumpfile specifies an unsupported database format (bdb). Only sqlite database dumps are supported"
    );
}

#[test]
fn body_errors_use_cores_texts() {
    let head = "BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\n";
    assert_eq!(msg(head.as_bytes()), "Error: Missing checksum");
    assert_eq!(
        msg(format!("{head}checksum,{}\n", "2".repeat(10)).as_bytes()),
        "Error: Checksum is not the correct size"
    );
    assert_eq!(
        msg(format!("{head}checksum,{}\n", "3".repeat(66)).as_bytes()),
        "Error: Checksum is not the correct size"
    );
    assert_eq!(
        msg(format!("{head}checksum,{}\n", "1".repeat(64)).as_bytes()),
        format!(
            "Error: Dumpfile checksum does not match. Computed {EMPTY_SUM}, expected {}",
            "1".repeat(64)
        )
    );
    // An all-zero checksum counts as missing, as Core tests uint256::IsNull.
    assert_eq!(
        msg(format!("{head}checksum,{}\n", "0".repeat(64)).as_bytes()),
        "Error: Missing checksum"
    );
    assert_eq!(
        msg(&with_sum(&format!("{head}zz,00\n"))),
        "Error: Got key that was not hex: zz"
    );
    assert_eq!(
        msg(&with_sum(&format!("{head}00,abc\n"))),
        "Error: Got value that was not hex: abc"
    );
    assert_eq!(
        msg(&with_sum(&format!("{head}00,ab\r\n"))),
        "Error: Got value that was not hex: ab\r"
    );
}

#[test]
fn getline_quirks_follow_core() {
    let head = "BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\n";
    // Empty keys or values are skipped but hashed.
    let d = read_dump(&with_sum(&format!("{head},00\n00,\n0102,0304\n"))).unwrap();
    assert_eq!(d.records, vec![(vec![1, 2], vec![3, 4])]);
    // Lines after the checksum are ignored.
    let mut data = with_sum(&format!("{head}0102,0304\n"));
    data.extend_from_slice(b"garbage without structure");
    assert_eq!(read_dump(&data).unwrap().records.len(), 1);
    // The checksum value may contain whitespace, as ParseHex skips it.
    let good = with_sum(head);
    let text = String::from_utf8(good).unwrap();
    let spaced = text.replace("checksum,", "checksum, ");
    assert!(read_dump(spaced.as_bytes()).is_ok());
    // A line without a comma swallows the next line into its key.
    assert_eq!(
        msg(&with_sum(&format!("{head}0102\n0304,05\n"))),
        "Error: Got key that was not hex: 0102\n0304"
    );
    // Uppercase hex is accepted.
    assert_eq!(
        read_dump(&with_sum(&format!("{head}AB,CD\n")))
            .unwrap()
            .records,
        vec![(vec![0xab], vec![0xcd])]
    );
}

#[test]
fn empty_values_do_not_survive_a_dump() {
    // Core's reader skips lines with an empty value, so such records are lost in a
    // dump round trip there too; writing stays faithful regardless.
    let mut s = MemoryStore::new();
    s.write(b"\x01", b"", true).unwrap();
    let dump = dump_to_vec(&s).unwrap();
    assert!(String::from_utf8(dump.clone()).unwrap().contains("\n01,\n"));
    assert!(read_dump(&dump).unwrap().records.is_empty());
}

#[test]
fn bad_dump_loads_nothing() {
    let head = "BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\n";
    let mut s = MemoryStore::new();
    let bad = format!("{head}0102,0304\nchecksum,{}\n", "1".repeat(64));
    assert!(load_dump(bad.as_bytes(), &mut s).is_err());
    assert!(s.is_empty());
    assert!(!s.has_active_txn());
}

#[test]
fn files_dump_and_create_from_dump() {
    let dir = TempDir::new("dump-files");
    let wallet_dir = dir.path().join("w1");
    let mut store = SqliteStore::create(&wallet_data_file(&wallet_dir), REGTEST).unwrap();
    for rec in records::tests::all_sample_records() {
        store.write_record(&rec).unwrap();
    }
    let dump_path = dir.path().join("w1.dump");
    dump_to_file(&store, &dump_path).unwrap();
    let err = dump_to_file(&store, &dump_path).unwrap_err();
    assert!(err.to_string().ends_with(
        "already exists. If you are sure this is what you want, move it out of the way first."
    ));
    let original = store.records().unwrap();
    drop(store);

    let new_dir = dir.path().join("w2");
    let created = create_from_dump_file(&dump_path, &new_dir, REGTEST).unwrap();
    let mut a = created.records().unwrap();
    let mut b = original;
    a.sort();
    b.sort();
    assert_eq!(a, b);
    drop(created);
    assert!(matches!(
        create_from_dump_file(&dump_path, &new_dir, REGTEST),
        Err(DumpError::Store(StoreError::AlreadyExists(_)))
    ));

    // A failing dump leaves no wallet behind.
    let bad_path = dir.path().join("bad.dump");
    std::fs::write(
        &bad_path,
        b"BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\n00,zz\nchecksum,00\n",
    )
    .unwrap();
    let bad_dir = dir.path().join("w3");
    assert_eq!(
        create_from_dump_file(&bad_path, &bad_dir, REGTEST)
            .unwrap_err()
            .to_string(),
        "Error: Got value that was not hex: zz"
    );
    assert!(!bad_dir.exists());
    let missing = dir.path().join("missing.dump");
    assert!(create_from_dump_file(&missing, &bad_dir, REGTEST)
        .unwrap_err()
        .to_string()
        .starts_with("Dump file "));
}
