//! Wire compatibility with Bitcoin Core's libmultiprocess: replays the bytes a real C++
//! libmultiprocess client sent to `bitcoin-node` (tests/data/README.md) and checks every
//! answer our server gives.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use capnp::message::ReaderOptions;
use ipc::generated::rpc_capnp::{exception, message, return_};

const CAPTURE: &[u8] = include_bytes!("data/libmultiprocess-client.bin");

/// Splits a byte stream into capnp messages, each with its bytes.
fn messages(
    all: &[u8],
) -> Vec<(
    capnp::message::Reader<capnp::serialize::OwnedSegments>,
    &[u8],
)> {
    let mut out = Vec::new();
    let mut rest = all;
    while !rest.is_empty() {
        let before = rest.len();
        let m = capnp::serialize::read_message(&mut rest, ReaderOptions::new()).unwrap();
        let start = all.len() - before;
        out.push((m, &all[start..all.len() - rest.len()]));
    }
    out
}

#[test]
fn replayed_libmultiprocess_session_gets_correct_answers() {
    let sent = messages(CAPTURE);
    let questions = sent
        .iter()
        .filter(|(m, _)| {
            matches!(
                m.get_root::<message::Reader>().unwrap().which(),
                Ok(message::Call(_)) | Ok(message::Bootstrap(_))
            )
        })
        .count();
    assert!(questions > 400, "capture has {questions} questions");

    let (mut ours, theirs) = UnixStream::pair().unwrap();
    let conn = ipc::serve(theirs, node::init_server(None)).unwrap();
    ours.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();

    // Sent in the captured order, each question only after the previous one's answer: the
    // client learned the IDs it uses from those answers, so this keeps causality.
    let mut texts = Vec::new();
    let mut errors = Vec::new();
    let mut returns = 0;
    for (m, bytes) in &sent {
        let root = m.get_root::<message::Reader>().unwrap();
        let question = match root.which() {
            Ok(message::Call(c)) => Some(c.unwrap().get_question_id()),
            Ok(message::Bootstrap(b)) => Some(b.unwrap().get_question_id()),
            _ => None,
        };
        ours.write_all(bytes).unwrap();
        let Some(question) = question else { continue };
        loop {
            let msg = capnp::serialize::read_message(&mut ours, ReaderOptions::new()).unwrap();
            let root = msg.get_root::<message::Reader>().unwrap();
            let Ok(message::Return(Ok(ret))) = root.which() else {
                continue;
            };
            returns += 1;
            match ret.which().unwrap() {
                return_::Results(p) => {
                    let content = p.unwrap().get_content();
                    let echoed = content
                        .get_as::<interfaces::generated::echo_capnp::echo::echo_results::Reader<'_>>()
                        .ok()
                        .and_then(|r| r.get_result().ok())
                        .and_then(|t| t.to_string().ok())
                        .filter(|t| !t.is_empty());
                    texts.extend(echoed);
                }
                return_::Exception(e) => {
                    let e = e.unwrap();
                    errors.push((
                        e.get_type().unwrap(),
                        e.get_reason().unwrap().to_string().unwrap(),
                    ));
                }
                _ => panic!("unexpected Return variant"),
            }
            if ret.get_answer_id() == question {
                break;
            }
        }
    }
    assert_eq!(returns, questions);
    assert_eq!(
        errors,
        vec![(
            exception::Type::Failed,
            "Old mining interface (@2) not supported. Please update your client!".to_string()
        )]
    );
    assert!(
        texts.contains(&"hello from libmultiprocess".to_string()),
        "{texts:?}"
    );
    for t in 0..4 {
        let n = texts.iter().filter(|s| **s == format!("t{t}")).count();
        assert_eq!(n, 100, "echoes of t{t}");
    }
    drop(ours);
    conn.wait_disconnected();
}
