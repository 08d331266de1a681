use bitcoin::hashes::Hash;
use bitcoin::BlockHash;

use super::*;
use crate::records::{self, DescriptorId, Record, WalletDescriptor};
use crate::store::{within_txn, MemoryStore};
use crate::testutil::{TempDir, MAINNET, REGTEST};
use crate::wtx::{SerializedTxState, WalletTxRecord};

fn descriptor_record() -> Record {
    let descriptor = WalletDescriptor {
        descriptor:
            "wpkh(02a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)#abcdefgh"
                .into(),
        creation_time: 1,
        next_index: 0,
        range_start: 0,
        range_end: 0,
    };
    Record::WalletDescriptor {
        id: DescriptorId([4; 32]),
        descriptor,
    }
}

fn tx_record() -> Record {
    let tx = crate::wtx::tests_support::sample_tx(true);
    let wtx = WalletTxRecord::new(
        tx.clone(),
        SerializedTxState::Confirmed {
            block_hash: BlockHash::from_byte_array([8; 32]),
            index: 0,
        },
    );
    Record::Tx {
        txid: tx.compute_txid(),
        wtx: Box::new(wtx),
    }
}

#[test]
fn create_write_reopen_iterate() {
    let dir = TempDir::new("sqlite-basic");
    let file = wallet_data_file(dir.path());
    {
        let mut store = SqliteStore::create(&file, REGTEST).unwrap();
        within_txn(&mut store, |s| {
            s.write_record(&descriptor_record())?;
            s.write_record(&tx_record())
        })
        .unwrap();
        assert!(!store.has_active_txn());
    }
    assert!(is_sqlite_wallet_file(&file, REGTEST));
    assert!(!is_sqlite_wallet_file(&file, MAINNET));
    let store = SqliteStore::open(&file, REGTEST).unwrap();
    let decoded: Vec<Record> = store
        .records()
        .unwrap()
        .into_iter()
        .map(|(k, v)| records::decode(&k, &v).unwrap())
        .collect();
    assert_eq!(decoded.len(), 2);
    assert!(decoded.contains(&descriptor_record()));
    assert!(decoded.contains(&tx_record()));
    assert_eq!(
        store.read_records_of(records::keys::TX).unwrap(),
        vec![tx_record()]
    );
    let app_id: i64 = store
        .connection()
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(app_id as i32 as u32, 0xfabf_b5da);
    let ver: i64 = store
        .connection()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ver, 0);
}

#[test]
fn table_schema_is_cores() {
    let store = SqliteStore::open_in_memory(REGTEST).unwrap();
    let sql: String = store
        .connection()
        .query_row("SELECT sql FROM sqlite_master WHERE name='main'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        sql,
        "CREATE TABLE main(key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL)"
    );
    let mode: String = store
        .connection()
        .query_row("PRAGMA locking_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "exclusive");
}

#[test]
fn batches_abort_and_commit() {
    let dir = TempDir::new("sqlite-batch");
    let file = dir.path().join("w.dat");
    let mut store = SqliteStore::create(&file, REGTEST).unwrap();
    store.write(b"keep", b"1", true).unwrap();
    store.txn_begin().unwrap();
    assert!(matches!(
        store.txn_begin(),
        Err(StoreError::TxnAlreadyActive)
    ));
    store.write(b"gone", b"2", true).unwrap();
    store.erase(b"keep").unwrap();
    assert!(store.exists(b"gone").unwrap());
    store.txn_abort().unwrap();
    assert!(!store.exists(b"gone").unwrap());
    assert!(store.exists(b"keep").unwrap());

    store.txn_begin().unwrap();
    store.write(b"new", b"3", true).unwrap();
    store.txn_commit().unwrap();
    assert!(matches!(store.txn_commit(), Err(StoreError::NoActiveTxn)));

    // A transaction left open is rolled back when the store closes.
    store.txn_begin().unwrap();
    store.write(b"dangling", b"4", true).unwrap();
    drop(store);
    let store = SqliteStore::open(&file, REGTEST).unwrap();
    assert!(store.exists(b"new").unwrap());
    assert!(!store.exists(b"dangling").unwrap());
}

#[test]
fn writes_reads_and_prefixes() {
    let mut store = SqliteStore::open_in_memory(REGTEST).unwrap();
    assert!(store.write(b"a\x00", b"", false).unwrap());
    assert!(!store.write(b"a\x00", b"x", false).unwrap());
    assert_eq!(store.read(b"a\x00").unwrap(), Some(Vec::new()));
    store.write(b"a\xff", b"1", true).unwrap();
    store.write(b"b", b"2", true).unwrap();
    store.write(b"\xff\xff", b"3", true).unwrap();
    let a: Vec<_> = store
        .records_with_prefix(b"a")
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(a, vec![b"a\x00".to_vec(), b"a\xff".to_vec()]);
    assert_eq!(store.records_with_prefix(b"\xff").unwrap().len(), 1);
    store.erase_prefix(b"a").unwrap();
    assert_eq!(store.records().unwrap().len(), 2);
    assert_eq!(store.read(b"zz").unwrap(), None);
    assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
    assert_eq!(prefix_end(b"\xff\xff"), None);
}

#[test]
fn backup_gives_openable_copy() {
    let dir = TempDir::new("sqlite-backup");
    let file = dir.path().join("wallet.dat");
    let copy = dir.path().join("backup.dat");
    let mut store = SqliteStore::create(&file, MAINNET).unwrap();
    store.write_record(&descriptor_record()).unwrap();
    store.write_record(&tx_record()).unwrap();
    store.txn_begin().unwrap();
    assert!(
        store.backup(&copy).is_err(),
        "no backup of uncommitted state"
    );
    store.txn_abort().unwrap();
    store.backup(&copy).unwrap();
    let original = store.records().unwrap();
    drop(store);
    let restored = SqliteStore::open(&copy, MAINNET).unwrap();
    assert_eq!(restored.records().unwrap(), original);

    let mut mem = MemoryStore::new();
    crate::store::copy_records(&restored, &mut mem).unwrap();
    assert_eq!(mem.len(), 2);
}

#[test]
fn wrong_application_id_and_schema_refused() {
    let dir = TempDir::new("sqlite-appid");
    let file = dir.path().join("wallet.dat");
    drop(SqliteStore::create(&file, MAINNET).unwrap());
    let testnet3 = [0x0b, 0x11, 0x09, 0x07];
    let err = SqliteStore::open_unchecked(&file, SqliteOptions::new(testnet3)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "SQLiteDatabase: Unexpected application id. Expected 185665799, got 4190024921"
    );
    let err = SqliteStore::open(&file, testnet3).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Failed to load database path '{}'. Data is not in recognized format.",
            file.display()
        )
    );

    {
        let store = SqliteStore::open(&file, MAINNET).unwrap();
        store
            .connection()
            .execute_batch("PRAGMA user_version = 7")
            .unwrap();
    }
    let err = SqliteStore::open(&file, MAINNET).unwrap_err();
    assert_eq!(
        err.to_string(),
        "SQLiteDatabase: Unknown sqlite wallet schema version 7. Only version 0 is supported"
    );
}

#[test]
fn not_a_wallet_and_missing_and_existing() {
    let dir = TempDir::new("sqlite-notwallet");
    let missing = dir.path().join("nope.dat");
    assert!(matches!(
        SqliteStore::open(&missing, MAINNET),
        Err(StoreError::NotFound(_))
    ));
    let junk = dir.path().join("junk.dat");
    std::fs::write(&junk, vec![0x42; 4096]).unwrap();
    assert!(matches!(
        SqliteStore::open(&junk, MAINNET),
        Err(StoreError::NotRecognized(_))
    ));
    let err = SqliteStore::create(&junk, MAINNET).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Failed to create database path '{}'. Database already exists.",
            junk.display()
        )
    );
    // A plain SQLite database (application id 0) is not a wallet.
    let plain = dir.path().join("plain.sqlite");
    {
        let c = Connection::open(&plain).unwrap();
        c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES(zeroblob(1000));")
            .unwrap();
    }
    assert!(matches!(
        SqliteStore::open(&plain, MAINNET),
        Err(StoreError::NotRecognized(_))
    ));
}

#[test]
fn second_opener_is_locked_out() {
    let dir = TempDir::new("sqlite-lock");
    let file = dir.path().join("wallet.dat");
    let first = SqliteStore::create(&file, MAINNET).unwrap();
    let err = SqliteStore::open(&file, MAINNET).unwrap_err();
    assert_eq!(
        err.to_string(),
        "SQLiteDatabase: Unable to obtain an exclusive lock on the database, is it being used by another instance of Bitcoin Core?"
    );
    drop(first);
    assert!(SqliteStore::open(&file, MAINNET).is_ok());
}
