//! Any string through the address parsers: nothing panics, and parsed addresses print and
//! re-parse to themselves; BIP155 bytes decode without panicking and re-encode stably.
#![no_main]

use addrman::netbase::{lookup_host_numeric, lookup_numeric, lookup_subnet, split_host_port};
use addrman::stream::Reader;
use addrman::{NetAddr, Network};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    if let Ok(a) = NetAddr::deserialize_v2(&mut r) {
        let mut out = Vec::new();
        a.serialize_v2(&mut out);
        let b = NetAddr::deserialize_v2(&mut Reader::new(&out)).expect("re-encoded address decodes");
        assert_eq!(a, b);
        let _ = a.to_string();
        let _ = addrman::netgroup::get_group(&a);
    }
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = split_host_port(s);
    let _ = Network::parse(s);
    if let Some(a) = lookup_host_numeric(s) {
        let text = a.to_string();
        if a.net() != Network::Internal {
            assert_eq!(lookup_host_numeric(&text).as_ref(), Some(&a), "{s:?} -> {text}");
        }
        let _ = a.get_network();
    }
    let svc = lookup_numeric(s, 8333);
    let _ = svc.to_string();
    // With CJDNS reachable, masking can land a subnet in fc00::/8, which then parses as
    // CJDNS (as in Core), so the round trip is checked with CJDNS off.
    let _ = lookup_subnet(s, true);
    let sub = lookup_subnet(s, false);
    if sub.is_valid() {
        let text = sub.to_string();
        assert_eq!(lookup_subnet(&text, false), sub, "{s:?} -> {text}");
    }
});
