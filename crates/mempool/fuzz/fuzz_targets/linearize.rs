//! Random clusters: the linearization is a topological order of every transaction and
//! its chunks never rise in feerate.
#![no_main]

use std::cmp::Ordering;

use libfuzzer_sys::fuzz_target;
use mempool::linearize::{linearize, DepGraph};
use mempool::FeeFrac;

fuzz_target!(|data: &[u8]| {
    let n = (data.first().copied().unwrap_or(0) % 24) as usize;
    let mut g = DepGraph::default();
    let mut bytes = data.iter().skip(1).copied();
    for i in 0..n {
        let fee = i64::from(bytes.next().unwrap_or(1)) * 100;
        let size = i64::from(bytes.next().unwrap_or(1)).max(1) * 4;
        let mask = bytes.next().unwrap_or(0);
        // Parents only among earlier transactions keeps the graph acyclic.
        let parents: Vec<usize> = (0..i).filter(|p| mask & (1 << (p % 8)) != 0 && (i - p) <= 8).collect();
        g.feerate.push(FeeFrac::new(fee, size));
        g.parents.push(parents);
        g.key.push([i as u8; 32]);
    }
    let l = linearize(&g);
    assert_eq!(l.order.len(), n);
    let mut seen = vec![false; n];
    for &i in &l.order {
        assert!(!seen[i]);
        for &p in &g.parents[i] {
            assert!(seen[p], "parent after child");
        }
        seen[i] = true;
    }
    for w in l.chunks.windows(2) {
        assert_ne!(w[1].feerate.cmp_rate(&w[0].feerate), Ordering::Greater);
    }
    assert_eq!(l.chunks.iter().map(|c| c.len).sum::<usize>(), n);
});
