//! Ordering a cluster's transactions for mining (Core's `cluster_linearize.h`): a
//! linearization (a topological order) and its chunks, the groups a miner takes whole.
//!
//! Each step takes a highest-feerate set of remaining transactions that includes its own
//! ancestors. The best ancestor set is a first guess; unless the remaining graph is a
//! chain (where ancestor sets are the only closed sets), a parametric minimum cut then
//! finds whether any closed set pays better, which makes the result optimal.

use std::cmp::Ordering;

use crate::feerate::FeeFrac;

/// A cluster as a dependency graph over positions `0..n`.
#[derive(Debug, Clone, Default)]
pub struct DepGraph {
    /// Each transaction's fee and size (modified fee, sigop-adjusted weight).
    pub feerate: Vec<FeeFrac>,
    /// Each transaction's parents inside the cluster.
    pub parents: Vec<Vec<usize>>,
    /// The tie-break order when feerates are equal (Core's fallback order: txids).
    pub key: Vec<[u8; 32]>,
}

/// One chunk: a run of the linearization taken together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// Position of its first transaction in the linearization.
    pub start: usize,
    /// Number of transactions.
    pub len: usize,
    /// Summed fee and size.
    pub feerate: FeeFrac,
}

/// A linearization and its chunks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Linearization {
    /// Graph positions in mining order.
    pub order: Vec<usize>,
    /// Chunks, in order, with non-increasing feerates.
    pub chunks: Vec<Chunk>,
}

impl DepGraph {
    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.feerate.len()
    }

    /// Whether the graph is empty.
    pub fn is_empty(&self) -> bool {
        self.feerate.is_empty()
    }

    fn children(&self) -> Vec<Vec<usize>> {
        let mut c = vec![Vec::new(); self.len()];
        for (i, ps) in self.parents.iter().enumerate() {
            for &p in ps {
                c[p].push(i);
            }
        }
        c
    }

    /// Each transaction's ancestors, itself included.
    fn ancestors(&self) -> Vec<Vec<bool>> {
        let n = self.len();
        let mut anc: Vec<Option<Vec<bool>>> = vec![None; n];
        fn visit(g: &DepGraph, i: usize, anc: &mut Vec<Option<Vec<bool>>>, depth: usize) {
            if anc[i].is_some() || depth > g.len() {
                return;
            }
            let mut set = vec![false; g.len()];
            set[i] = true;
            for &p in &g.parents[i] {
                visit(g, p, anc, depth + 1);
                if let Some(ps) = &anc[p] {
                    for (k, v) in ps.iter().enumerate() {
                        set[k] |= *v;
                    }
                }
            }
            anc[i] = Some(set);
        }
        for i in 0..n {
            visit(self, i, &mut anc, 0);
        }
        anc.into_iter().map(|a| a.unwrap_or_default()).collect()
    }
}

fn sum(g: &DepGraph, set: &[bool]) -> FeeFrac {
    let mut f = FeeFrac::default();
    for (i, &inside) in set.iter().enumerate() {
        if inside {
            f += g.feerate[i];
        }
    }
    f
}

/// Orders `g` for mining and chunks the result.
pub fn linearize(g: &DepGraph) -> Linearization {
    let n = g.len();
    let anc = g.ancestors();
    let children = g.children();
    let mut remaining = vec![true; n];
    let mut left = n;
    let mut order = Vec::with_capacity(n);
    while left > 0 {
        let mut best: Option<(Vec<bool>, FeeFrac, usize)> = None;
        for v in 0..n {
            if !remaining[v] {
                continue;
            }
            let set: Vec<bool> = (0..n).map(|k| anc[v][k] && remaining[k]).collect();
            let f = sum(g, &set);
            let better = match &best {
                None => true,
                Some((_, bf, bv)) => match f.cmp_rate(bf) {
                    Ordering::Greater => true,
                    Ordering::Less => false,
                    Ordering::Equal => {
                        f.size < bf.size || (f.size == bf.size && g.key[v] < g.key[*bv])
                    }
                },
            };
            if better {
                best = Some((set, f, v));
            }
        }
        let Some((mut set, mut rate, _)) = best else {
            break;
        };
        if !is_chain(g, &remaining, &children) {
            // Dinkelbach: each better closed set raises the target rate until none beats it.
            for _ in 0..64 {
                match best_closure(g, &remaining, rate) {
                    Some(s) => {
                        let f = sum(g, &s);
                        if f.cmp_rate(&rate) == Ordering::Greater {
                            set = s;
                            rate = f;
                        } else {
                            break;
                        }
                    }
                    None => break,
                }
            }
        }
        for k in topological_within(g, &set, &remaining) {
            order.push(k);
            remaining[k] = false;
            left -= 1;
        }
    }
    let chunks = chunk(g, &order);
    Linearization { order, chunks }
}

/// Whether the remaining transactions form disjoint chains (at most one parent and one
/// child each), where the best ancestor set is already the best closed set.
fn is_chain(g: &DepGraph, remaining: &[bool], children: &[Vec<usize>]) -> bool {
    (0..g.len()).filter(|&i| remaining[i]).all(|i| {
        g.parents[i].iter().filter(|&&p| remaining[p]).count() <= 1
            && children[i].iter().filter(|&&c| remaining[c]).count() <= 1
    })
}

/// The members of `set` in an order that respects dependencies, taking the
/// best-paying ready transaction first (ties by key).
fn topological_within(g: &DepGraph, set: &[bool], remaining: &[bool]) -> Vec<usize> {
    let n = g.len();
    let mut done = vec![false; n];
    let mut out = Vec::new();
    let members: Vec<usize> = (0..n).filter(|&i| set[i] && remaining[i]).collect();
    while out.len() < members.len() {
        let mut pick: Option<usize> = None;
        for &i in &members {
            if done[i] {
                continue;
            }
            let ready = g.parents[i]
                .iter()
                .all(|&p| done[p] || !set[p] || !remaining[p]);
            if !ready {
                continue;
            }
            pick = match pick {
                None => Some(i),
                Some(j) => match g.feerate[i].cmp_rate(&g.feerate[j]) {
                    Ordering::Greater => Some(i),
                    Ordering::Less => Some(j),
                    Ordering::Equal => Some(if g.key[i] < g.key[j] { i } else { j }),
                },
            };
        }
        let Some(i) = pick else { break };
        done[i] = true;
        out.push(i);
    }
    out
}

/// Chunks of a linearization: each transaction starts a chunk, merged into the one before
/// while it pays a strictly higher rate.
pub fn chunk(g: &DepGraph, order: &[usize]) -> Vec<Chunk> {
    let mut chunks: Vec<Chunk> = Vec::new();
    for (pos, &i) in order.iter().enumerate() {
        let mut c = Chunk {
            start: pos,
            len: 1,
            feerate: g.feerate[i],
        };
        while let Some(last) = chunks.last() {
            if c.feerate.cmp_rate(&last.feerate) == Ordering::Greater {
                c = Chunk {
                    start: last.start,
                    len: last.len + c.len,
                    feerate: last.feerate + c.feerate,
                };
                chunks.pop();
            } else {
                break;
            }
        }
        chunks.push(c);
    }
    chunks
}

/// The smallest closed subset of the remaining transactions maximising
/// `fee * rate.size - rate.fee * size`, by a minimum cut; `None` if only the empty set
/// reaches the maximum.
fn best_closure(g: &DepGraph, remaining: &[bool], rate: FeeFrac) -> Option<Vec<bool>> {
    let nodes: Vec<usize> = (0..g.len()).filter(|&i| remaining[i]).collect();
    let mut local = vec![usize::MAX; g.len()];
    for (k, &i) in nodes.iter().enumerate() {
        local[i] = k;
    }
    let s = nodes.len();
    let t = s + 1;
    let mut flow = MaxFlow::new(s + 2);
    let inf = i128::MAX / 4;
    for (k, &i) in nodes.iter().enumerate() {
        let w = i128::from(g.feerate[i].fee) * i128::from(rate.size)
            - i128::from(rate.fee) * i128::from(g.feerate[i].size);
        if w > 0 {
            flow.add_edge(s, k, w);
        } else if w < 0 {
            flow.add_edge(k, t, -w);
        }
        for &p in &g.parents[i] {
            if remaining[p] {
                flow.add_edge(k, local[p], inf);
            }
        }
    }
    flow.run(s, t);
    let reach = flow.reachable(s);
    let mut set = vec![false; g.len()];
    let mut any = false;
    for (k, &i) in nodes.iter().enumerate() {
        if reach[k] {
            set[i] = true;
            any = true;
        }
    }
    any.then_some(set)
}

/// Dinic's maximum flow over a small graph.
struct MaxFlow {
    head: Vec<Vec<usize>>,
    to: Vec<usize>,
    cap: Vec<i128>,
}

impl MaxFlow {
    fn new(n: usize) -> MaxFlow {
        MaxFlow {
            head: vec![Vec::new(); n],
            to: Vec::new(),
            cap: Vec::new(),
        }
    }

    fn add_edge(&mut self, a: usize, b: usize, c: i128) {
        self.head[a].push(self.to.len());
        self.to.push(b);
        self.cap.push(c);
        self.head[b].push(self.to.len());
        self.to.push(a);
        self.cap.push(0);
    }

    fn levels(&self, s: usize) -> Vec<i64> {
        let mut level = vec![-1i64; self.head.len()];
        let mut queue = std::collections::VecDeque::new();
        level[s] = 0;
        queue.push_back(s);
        while let Some(v) = queue.pop_front() {
            for &e in &self.head[v] {
                let w = self.to[e];
                if self.cap[e] > 0 && level[w] < 0 {
                    level[w] = level[v] + 1;
                    queue.push_back(w);
                }
            }
        }
        level
    }

    fn push(&mut self, v: usize, t: usize, f: i128, level: &[i64], it: &mut [usize]) -> i128 {
        if v == t {
            return f;
        }
        while it[v] < self.head[v].len() {
            let e = self.head[v][it[v]];
            let w = self.to[e];
            if self.cap[e] > 0 && level[w] == level[v] + 1 {
                let d = self.push(w, t, f.min(self.cap[e]), level, it);
                if d > 0 {
                    self.cap[e] -= d;
                    self.cap[e ^ 1] += d;
                    return d;
                }
            }
            it[v] += 1;
        }
        0
    }

    fn run(&mut self, s: usize, t: usize) {
        loop {
            let level = self.levels(s);
            if level[t] < 0 {
                return;
            }
            let mut it = vec![0usize; self.head.len()];
            while self.push(s, t, i128::MAX, &level, &mut it) > 0 {}
        }
    }

    fn reachable(&self, s: usize) -> Vec<bool> {
        let level = self.levels(s);
        level.iter().map(|&l| l >= 0).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(txs: &[(i64, i64, &[usize])]) -> DepGraph {
        DepGraph {
            feerate: txs.iter().map(|t| FeeFrac::new(t.0, t.1)).collect(),
            parents: txs.iter().map(|t| t.2.to_vec()).collect(),
            key: (0..txs.len()).map(|i| [i as u8; 32]).collect(),
        }
    }

    #[test]
    fn a_child_paying_for_its_parent_joins_its_chunk() {
        let g = graph(&[(100, 400, &[]), (10_000, 400, &[0])]);
        let l = linearize(&g);
        assert_eq!(l.order, vec![0, 1]);
        assert_eq!(l.chunks.len(), 1);
        assert_eq!(l.chunks[0].feerate, FeeFrac::new(10_100, 800));
    }

    #[test]
    fn a_low_child_is_its_own_chunk() {
        let g = graph(&[(10_000, 400, &[]), (100, 400, &[0])]);
        let l = linearize(&g);
        assert_eq!(l.chunks.len(), 2);
    }

    #[test]
    fn two_children_sharing_a_cheap_parent_beat_either_ancestor_set() {
        // Parent 0 pays nothing; each child alone gives 10/11, both together 20/12.
        let g = graph(&[(0, 10, &[]), (10, 1, &[0]), (10, 1, &[0]), (5, 1, &[])]);
        let l = linearize(&g);
        assert_eq!(l.order[0], 3);
        assert_eq!(l.chunks[1].feerate, FeeFrac::new(20, 12));
        assert_eq!(l.chunks[1].len, 3);
    }

    #[test]
    fn chunks_never_rise() {
        let g = graph(&[
            (1, 10, &[]),
            (50, 10, &[0]),
            (3, 10, &[]),
            (7, 5, &[2]),
            (100, 1, &[1, 3]),
        ]);
        let l = linearize(&g);
        assert_eq!(l.order.len(), 5);
        for w in l.chunks.windows(2) {
            assert_ne!(w[1].feerate.cmp_rate(&w[0].feerate), Ordering::Greater);
        }
        let mut seen = [false; 5];
        for &i in &l.order {
            for &p in &g.parents[i] {
                assert!(seen[p]);
            }
            seen[i] = true;
        }
    }
}
