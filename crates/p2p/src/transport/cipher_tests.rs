//! BIP324 packet encoding vectors, as Core's bip324_tests.cpp runs them.

use super::*;

const MAINNET: [u8; 4] = [0xf9, 0xbe, 0xb4, 0xd9];

pub(crate) fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

struct Vector {
    idx: u32,
    priv_ours: Vec<u8>,
    ellswift_ours: Vec<u8>,
    ellswift_theirs: Vec<u8>,
    initiating: bool,
    contents: Vec<u8>,
    multiply: u32,
    aad: Vec<u8>,
    ignore: bool,
    send_garbage: Vec<u8>,
    recv_garbage: Vec<u8>,
    session_id: Vec<u8>,
    ciphertext: Vec<u8>,
    ciphertext_endswith: Vec<u8>,
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("../../tests/data/bip324_packet_vectors.csv");
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 14);
            Vector {
                idx: f[0].parse().expect("idx"),
                priv_ours: unhex(f[1]),
                ellswift_ours: unhex(f[2]),
                ellswift_theirs: unhex(f[3]),
                initiating: f[4] == "1",
                contents: unhex(f[5]),
                multiply: f[6].parse().expect("multiply"),
                aad: unhex(f[7]),
                ignore: f[8] == "1",
                send_garbage: unhex(f[9]),
                recv_garbage: unhex(f[10]),
                session_id: unhex(f[11]),
                ciphertext: unhex(f[12]),
                ciphertext_endswith: unhex(f[13]),
            }
        })
        .collect()
}

fn keys(v: &Vector) -> Bip324Keys {
    let key = SecretKey::from_slice(&v.priv_ours).expect("key");
    let mut ours = [0u8; 64];
    ours.copy_from_slice(&v.ellswift_ours);
    Bip324Keys::new(key, ours)
}

fn theirs(v: &Vector) -> [u8; 64] {
    let mut t = [0u8; 64];
    t.copy_from_slice(&v.ellswift_theirs);
    t
}

#[test]
fn packet_encoding_vectors() {
    let all = vectors();
    assert_eq!(all.len(), 7);
    for v in all {
        let mut session = keys(&v).initialize(&theirs(&v), v.initiating, false, MAINNET);
        assert_eq!(&session.session_id()[..], &v.session_id[..]);
        assert_eq!(&session.send_garbage_terminator()[..], &v.send_garbage[..]);
        assert_eq!(&session.recv_garbage_terminator()[..], &v.recv_garbage[..]);

        let mut dummies = Vec::new();
        for _ in 0..v.idx {
            let mut d = Vec::new();
            session.encrypt(&[], &[], true, &mut d);
            dummies.push(d);
        }
        let contents = v.contents.repeat(v.multiply as usize);
        let mut ciphertext = Vec::new();
        session.encrypt(&contents, &v.aad, v.ignore, &mut ciphertext);
        if !v.ciphertext.is_empty() {
            assert_eq!(ciphertext, v.ciphertext, "vector idx {}", v.idx);
        } else {
            assert!(
                ciphertext.ends_with(&v.ciphertext_endswith),
                "vector idx {}",
                v.idx
            );
        }

        // Decrypt our own packets by swapping the packet ciphers, then damage the packet.
        for error in 0..4 {
            let mut dec = keys(&v).initialize(&theirs(&v), v.initiating, true, MAINNET);
            for d in &dummies {
                let mut len = [0u8; 3];
                len.copy_from_slice(&d[..3]);
                assert_eq!(dec.decrypt_length(&len), 0);
                assert_eq!(dec.decrypt(&d[3..], &[]), Some((Vec::new(), true)));
            }
            let mut damaged = ciphertext.clone();
            let mut aad = v.aad.clone();
            match error {
                1 => {
                    let last = damaged.len() - 1;
                    damaged[last] ^= 1;
                }
                2 => damaged[3] ^= 0x40,
                3 => aad.push(0),
                _ => {}
            }
            let mut len = [0u8; 3];
            len.copy_from_slice(&damaged[..3]);
            assert_eq!(dec.decrypt_length(&len) as usize, contents.len());
            let result = dec.decrypt(&damaged[3..], &aad);
            if error == 0 {
                assert_eq!(result, Some((contents.clone(), v.ignore)));
            } else {
                assert_eq!(result, None, "error {error} must not authenticate");
            }
        }
    }
}

#[test]
fn wrong_side_does_not_decrypt() {
    let v = &vectors()[0];
    let mut enc = keys(v).initialize(&theirs(v), v.initiating, false, MAINNET);
    let mut dec = keys(v).initialize(&theirs(v), !v.initiating, true, MAINNET);
    let mut packet = Vec::new();
    enc.encrypt(b"hello", &[], false, &mut packet);
    let mut len = [0u8; 3];
    len.copy_from_slice(&packet[..3]);
    dec.decrypt_length(&len);
    assert_eq!(dec.decrypt(&packet[3..], &[]), None);
}
