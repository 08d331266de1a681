//! Deterministic fuzzing of the RPC engine: valid message streams, mutated thousands of ways
//! (bit flips, overwritten bytes, truncation, splices), fed to a served connection. Nothing
//! may panic and every connection must end. cargo-fuzz runs the same input path open-ended
//! (crates/ipc/fuzz).

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use capnp::message::Builder;
use ipc::generated::rpc_capnp::message;
use ipc_testing::generated::test_ipc::test_init;

static PANICS: AtomicUsize = AtomicUsize::new(0);

fn bytes(b: &Builder<capnp::message::HeapAllocator>) -> Vec<u8> {
    capnp::serialize::write_message_to_words(b)
}

/// A stream of valid messages that reaches most handlers.
fn corpus() -> Vec<u8> {
    let mut out = Vec::new();
    let mut b = Builder::new_default();
    b.init_root::<message::Builder>()
        .init_bootstrap()
        .set_question_id(0);
    out.extend(bytes(&b));
    for (qid, method) in [(1u32, 0u16), (2, 1), (3, 2), (4, 9)] {
        let mut b = Builder::new_default();
        {
            let mut c = b.init_root::<message::Builder>().init_call();
            c.set_question_id(qid);
            c.set_interface_id(test_init::INTERFACE_ID);
            c.set_method_id(method);
            c.reborrow()
                .init_target()
                .init_promised_answer()
                .set_question_id(0);
            let mut p = c.init_params();
            p.reborrow().init_content().set_as("x").ok();
            p.init_cap_table(1).get(0).set_sender_hosted(7);
        }
        out.extend(bytes(&b));
    }
    let mut b = Builder::new_default();
    b.init_root::<message::Builder>()
        .init_finish()
        .set_question_id(1);
    out.extend(bytes(&b));
    let mut b = Builder::new_default();
    {
        let mut r = b.init_root::<message::Builder>().init_release();
        r.set_id(0);
        r.set_reference_count(1);
    }
    out.extend(bytes(&b));
    let mut b = Builder::new_default();
    {
        let mut d = b.init_root::<message::Builder>().init_disembargo();
        d.reborrow().init_target().set_imported_cap(0);
        d.init_context().set_sender_loopback(3);
    }
    out.extend(bytes(&b));
    let mut b = Builder::new_default();
    b.init_root::<message::Builder>()
        .init_return()
        .set_answer_id(42);
    out.extend(bytes(&b));
    out
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(5) {
            0 => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(v.len());
                v[i] = [0, 0xff, 0x7f, 0x80, 1][rng.below(5)];
            }
            2 => v.truncate(rng.below(v.len())),
            3 => {
                let a = rng.below(v.len());
                let b = rng.below(v.len());
                let chunk: Vec<u8> = v[a.min(b)..a.max(b)].to_vec();
                let at = rng.below(v.len());
                v.splice(at..at, chunk);
            }
            _ => {
                let i = rng.below(v.len().saturating_sub(4));
                let word = (rng.next() as u32).to_le_bytes();
                for (k, b) in word.iter().enumerate() {
                    if let Some(x) = v.get_mut(i + k) {
                        *x = *b;
                    }
                }
            }
        }
        if v.is_empty() {
            break;
        }
    }
    v
}

fn feed(data: &[u8]) {
    if let Err(e) = ipc_testing::serve_bytes(data) {
        panic!("{e}");
    }
}

#[test]
fn mutated_message_streams_never_panic_or_hang() {
    std::panic::set_hook(Box::new(|info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        eprintln!("panic: {info}");
    }));
    let base = corpus();
    feed(&base);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let cases = 1500;
    for _ in 0..cases {
        let m = mutate(&mut rng, &base);
        feed(&m);
    }
    println!("fed {cases} mutated streams");
    assert_eq!(PANICS.load(Ordering::SeqCst), 0);
}
