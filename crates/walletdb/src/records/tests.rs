use std::str::FromStr;

use bitcoin::bip32::Xpub;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use bitcoin::{BlockHash, OutPoint, Txid};

use super::*;
use crate::crypter::MasterKey;
use crate::hex;
use crate::wtx::{SerializedTxState, WalletTxRecord};

const BIP32_TV1_MASTER: &str = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";

fn sample_xpub() -> ExtPubKey {
    ExtPubKey::from(&Xpub::from_str(BIP32_TV1_MASTER).unwrap())
}

fn sample_pubkey(secret: u8) -> (SecretKey, PubKeyBytes) {
    let sk = SecretKey::from_slice(&[secret; 32]).unwrap();
    let pk = PublicKey::from_secret_key(&Secp256k1::signing_only(), &sk);
    (sk, PubKeyBytes::from(pk))
}

fn sample_tx() -> bitcoin::Transaction {
    crate::wtx::tests_support::sample_tx(true)
}

pub(crate) fn all_sample_records() -> Vec<Record> {
    let id = DescriptorId([0xab; 32]);
    let (sk, pubkey) = sample_pubkey(0x42);
    let der = privkey_to_der(&sk.secret_bytes(), true).unwrap();
    let tx = sample_tx();
    let txid = tx.compute_txid();
    let mut wtx = WalletTxRecord::new(
        tx.clone(),
        SerializedTxState::Confirmed {
            block_hash: BlockHash::from_byte_array([5; 32]),
            index: 1,
        },
    );
    wtx.order_pos = 3;
    vec![
        Record::Version(300_000),
        Record::MinVersion(169_900),
        Record::Flags(flags::DESCRIPTORS | flags::LAST_HARDENED_XPUB_CACHED),
        Record::OrderPosNext(4),
        Record::BestBlock(BlockLocator::default()),
        Record::BestBlockNoMerkle(BlockLocator::new(vec![
            BlockHash::from_byte_array([1; 32]),
            BlockHash::from_byte_array([2; 32]),
        ])),
        Record::Tx {
            txid,
            wtx: Box::new(wtx),
        },
        Record::WtxVariant {
            txid,
            wtxid: tx.compute_wtxid(),
            tx: Box::new(tx),
        },
        Record::WalletDescriptor {
            id,
            descriptor: WalletDescriptor {
                descriptor: "wpkh(xpub/84h/1h/0h/0/*)#abcdefgh".into(),
                creation_time: 1_700_000_000,
                next_index: 5,
                range_start: 0,
                range_end: 1005,
            },
        },
        Record::DescriptorParentCache {
            desc_id: id,
            key_exp_index: 0,
            xpub: sample_xpub(),
        },
        Record::DescriptorDerivedCache {
            desc_id: id,
            key_exp_index: 0,
            der_index: 7,
            xpub: sample_xpub(),
        },
        Record::DescriptorLastHardenedCache {
            desc_id: id,
            key_exp_index: 1,
            xpub: sample_xpub(),
        },
        Record::DescriptorKey {
            desc_id: id,
            pubkey: pubkey.clone(),
            privkey_der: der,
        },
        Record::DescriptorCryptedKey {
            desc_id: id,
            pubkey,
            crypted_secret: vec![9; 48],
        },
        Record::MasterKey {
            id: 1,
            key: MasterKey {
                crypted_key: vec![1; 48],
                salt: vec![2; 8],
                derivation_method: 0,
                derive_iterations: 25_000,
                other_derivation_params: Vec::new(),
            },
        },
        Record::ActiveExternalSpk {
            output_type: OutputType::Bech32.to_u8(),
            desc_id: id,
        },
        Record::ActiveInternalSpk {
            output_type: OutputType::Bech32m.to_u8(),
            desc_id: id,
        },
        Record::Name {
            address: "bcrt1qexample".into(),
            label: "savings €".into(),
        },
        Record::Purpose {
            address: "bcrt1qexample".into(),
            purpose: "receive".into(),
        },
        Record::previously_spent("bcrt1qexample"),
        Record::receive_request("bcrt1qexample", "7", "serialized request"),
        Record::LockedUtxo {
            outpoint: OutPoint { txid, vout: 2 },
        },
        Record::Unknown {
            key: b"\x03key\x21\x02".to_vec(),
            value: vec![1, 2, 3],
        },
        Record::Unknown {
            key: vec![0xff],
            value: vec![0],
        },
    ]
}

#[test]
fn every_record_round_trips() {
    for rec in all_sample_records() {
        let (k, v) = encode(&rec);
        let back = decode(&k, &v).unwrap_or_else(|e| panic!("{rec:?}: {e}"));
        assert_eq!(back, rec);
        assert_eq!(encode(&back), (k, v));
    }
}

#[test]
fn simple_layouts() {
    let (k, v) = encode(&Record::Version(0x0102_0304));
    assert_eq!(k, b"\x07version");
    assert_eq!(v, [4, 3, 2, 1]);
    let (k, v) = encode(&Record::Flags(flags::DESCRIPTORS));
    assert_eq!(k, b"\x05flags");
    assert_eq!(v, [0, 0, 0, 0, 4, 0, 0, 0]);
    let (_, v) = encode(&Record::BestBlock(BlockLocator::default()));
    assert_eq!(
        v,
        [0x80, 0x11, 0x01, 0x00, 0x00],
        "70016 then an empty vector"
    );
    let id = DescriptorId([0x11; 32]);
    let (k, v) = encode(&Record::ActiveInternalSpk {
        output_type: 3,
        desc_id: id,
    });
    let mut want = b"\x11activeinternalspk".to_vec();
    want.push(3);
    assert_eq!(k, want);
    assert_eq!(v, [0x11; 32]);
    let (k, v) = encode(&Record::previously_spent("addr"));
    assert_eq!(k, b"\x08destdata\x04addr\x04used");
    assert_eq!(v, b"\x011");
    let out = OutPoint {
        txid: Txid::from_byte_array([0x22; 32]),
        vout: 5,
    };
    let (k, v) = encode(&Record::LockedUtxo { outpoint: out });
    assert_eq!(&k[..11], b"\x0alockedutxo");
    assert_eq!(&k[11..43], &[0x22; 32]);
    assert_eq!(&k[43..], &[5, 0, 0, 0]);
    assert_eq!(v, b"1");
}

#[test]
fn descriptor_layout() {
    let desc = WalletDescriptor {
        descriptor: "d".into(),
        creation_time: 2,
        next_index: 3,
        range_start: 4,
        range_end: 5,
    };
    let (k, v) = encode(&Record::WalletDescriptor {
        id: DescriptorId([7; 32]),
        descriptor: desc,
    });
    assert_eq!(k.len(), 17 + 32);
    // string, u64 creation time, then next_index before range_start and range_end.
    assert_eq!(
        hex::encode(&v),
        "01640200000000000000030000000400000005000000"
    );
}

#[test]
fn descriptor_cache_layouts() {
    let id = DescriptorId([1; 32]);
    let xpub = sample_xpub();
    let (k, v) = encode(&Record::DescriptorDerivedCache {
        desc_id: id,
        key_exp_index: 2,
        der_index: 3,
        xpub,
    });
    assert_eq!(k.len(), 22 + 32 + 8);
    assert_eq!(&k[k.len() - 8..], &[2, 0, 0, 0, 3, 0, 0, 0]);
    assert_eq!(v.len(), 75);
    assert_eq!(v[0], 74);
    // The 74 bytes are a BIP32 serialization without its 4 version bytes.
    let full = Xpub::from_str(BIP32_TV1_MASTER).unwrap().encode();
    assert_eq!(&v[1..], &full[4..]);
    assert!(xpub.is_valid());
    assert_eq!(
        xpub.to_xpub(bitcoin::NetworkKind::Main)
            .unwrap()
            .to_string(),
        BIP32_TV1_MASTER
    );
    // A master key with a child number is what Core's Decode rejects.
    let mut odd = xpub;
    odd.child_number = 1;
    assert!(!odd.is_valid());

    // Key lengths other than parent (4) or derived (8) index bytes are refused.
    let (mut k, v) = encode(&Record::DescriptorParentCache {
        desc_id: id,
        key_exp_index: 2,
        xpub,
    });
    k.push(0);
    assert!(matches!(
        decode(&k, &v),
        Err(RecordError::Malformed { in_key: true, .. })
    ));
    let (k, mut v) = encode(&Record::DescriptorLastHardenedCache {
        desc_id: id,
        key_exp_index: 2,
        xpub,
    });
    v.pop();
    v[0] = 73;
    assert_eq!(decode(&k, &v), Err(RecordError::BadExtPubKeySize(73)));
}

#[test]
fn descriptor_key_checks_like_core() {
    let id = DescriptorId([3; 32]);
    let (sk, pubkey) = sample_pubkey(0x07);
    let der = privkey_to_der(&sk.secret_bytes(), true).unwrap();
    let rec = Record::DescriptorKey {
        desc_id: id,
        pubkey: pubkey.clone(),
        privkey_der: der.clone(),
    };
    let (k, v) = encode(&rec);
    // Value: compact size 214, DER, then double-SHA256(pubkey || der).
    assert_eq!(v[0], 0xd6);
    assert_eq!(v.len(), 1 + 214 + 32);
    assert_eq!(&v[215..], &keypair_hash(pubkey.as_bytes(), der.as_bytes()));

    let mut bad_hash = v.clone();
    bad_hash[220] ^= 1;
    let err = decode(&k, &bad_hash).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Error reading wallet database: descriptor unencrypted key CPubKey/CPrivKey corrupt"
    );

    // A DER blob that does not parse, with a matching hash, is still corrupt.
    let junk = SecretBytes::new(vec![0x30, 0x00]);
    let (k2, v2) = encode(&Record::DescriptorKey {
        desc_id: id,
        pubkey: pubkey.clone(),
        privkey_der: junk,
    });
    assert_eq!(
        decode(&k2, &v2).unwrap_err().to_string(),
        "Error reading wallet database: descriptor unencrypted key CPrivKey corrupt"
    );

    // A pubkey whose length does not fit its header byte.
    let mut bad_key = type_prefix(keys::WALLETDESCRIPTORKEY);
    bad_key.extend_from_slice(&id.0);
    bad_key.extend_from_slice(&[2, 0x02, 0x00]);
    assert_eq!(
        decode(&bad_key, &v).unwrap_err().to_string(),
        "Error reading wallet database: descriptor unencrypted key CPubKey corrupt"
    );
    let mut bad_ckey = type_prefix(keys::WALLETDESCRIPTORCKEY);
    bad_ckey.extend_from_slice(&id.0);
    bad_ckey.extend_from_slice(&[1, 0x05]);
    assert_eq!(
        decode(&bad_ckey, &[0]).unwrap_err().to_string(),
        "Error reading wallet database: descriptor encrypted key CPubKey corrupt"
    );

    // Uncompressed keys use the 279-byte layout.
    let sk2 = SecretKey::from_slice(&[0x09; 32]).unwrap();
    let pk2 = PublicKey::from_secret_key(&Secp256k1::signing_only(), &sk2);
    let pub_u = PubKeyBytes::from_slice(&pk2.serialize_uncompressed()).unwrap();
    let der_u = privkey_to_der(&sk2.secret_bytes(), false).unwrap();
    let (k3, v3) = encode(&Record::DescriptorKey {
        desc_id: id,
        pubkey: pub_u,
        privkey_der: der_u,
    });
    assert_eq!(&v3[..3], &[0xfd, 0x17, 0x01]);
    assert!(decode(&k3, &v3).is_ok());
}

#[test]
fn short_records_are_errors_and_trailing_bytes_are_ignored_as_core_does() {
    for rec in all_sample_records() {
        if matches!(rec, Record::Unknown { .. }) {
            continue;
        }
        let (k, v) = encode(&rec);
        let mut longer = v.clone();
        longer.push(0);
        assert_eq!(
            decode(&k, &longer).as_ref(),
            Ok(&rec),
            "trailing value byte: {rec:?}"
        );
        if !matches!(rec, Record::LockedUtxo { .. }) && !v.is_empty() {
            assert!(
                decode(&k, &v[..v.len() - 1]).is_err(),
                "short value accepted: {rec:?}"
            );
        }
        // Four more key bytes make a parent cache entry a derived one, as in Core.
        if !matches!(rec, Record::DescriptorParentCache { .. }) {
            let mut longer_key = k.clone();
            longer_key.extend_from_slice(&[0, 0, 0, 0, 0]);
            assert_eq!(
                decode(&longer_key, &v).as_ref(),
                Ok(&rec),
                "trailing key bytes: {rec:?}"
            );
        }
    }
    // A variant stored under the wrong txid.
    let tx = sample_tx();
    let mut key = type_prefix(keys::WTX_VARIANT);
    key.extend_from_slice(&[0; 64]);
    assert_eq!(
        decode(&key, &bitcoin::consensus::serialize(&tx)),
        Err(RecordError::VariantTxidMismatch)
    );
}

#[test]
fn unknown_and_legacy_types_are_kept() {
    let mut key = type_prefix(keys::KEY);
    key.extend_from_slice(&[33; 1]);
    let rec = decode(&key, b"anything").unwrap();
    assert_eq!(rec.kind().as_deref(), Some("key"));
    assert!(keys::LEGACY_TYPES.contains(&rec.kind().unwrap().as_str()));
    assert_eq!(encode(&rec), (key, b"anything".to_vec()));
    assert!(matches!(decode(&[], &[]).unwrap(), Record::Unknown { .. }));
    assert!(matches!(
        decode(&[0xfd], &[]).unwrap(),
        Record::Unknown { .. }
    ));
}

#[test]
fn flags_policy() {
    assert!(!flags::has_unknown_mandatory(flags::DESCRIPTORS | 1 << 20));
    assert!(flags::has_unknown_mandatory(flags::DESCRIPTORS | 1 << 40));
}

#[test]
fn descriptor_id_hex_round_trip() {
    let id = DescriptorId::from_core_hex(
        "628130ae0530f2b24faf1ad2744a83568ac0ffac43e703e30c00d5f137869b84",
    )
    .unwrap();
    assert_eq!(id.0[0], 0x84);
    assert_eq!(
        id.to_string(),
        "628130ae0530f2b24faf1ad2744a83568ac0ffac43e703e30c00d5f137869b84"
    );
}
