//! Taproot script trees as Core builds them (`TaprootBuilder`, `TaprootSpendData`): leaves
//! added in depth-first order, control blocks for tracked leaves, and the tree tuples a
//! PSBT output carries.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use consensus::script::{tapbranch_hash, tapleaf_hash};

use crate::keys::{create_tap_tweak, XOnly};

/// Most levels a taproot script tree may have (`TAPROOT_CONTROL_MAX_NODE_COUNT`).
pub const TAPROOT_CONTROL_MAX_NODE_COUNT: usize = 128;
/// Leaf version bits (`TAPROOT_LEAF_MASK`).
pub const TAPROOT_LEAF_MASK: u8 = 0xfe;
/// The BIP342 leaf version (`TAPROOT_LEAF_TAPSCRIPT`).
pub const TAPROOT_LEAF_TAPSCRIPT: u8 = 0xc0;

/// A control block ordered shortest first, then by bytes (`ShortestVectorFirstComparator`),
/// so that the cheapest path to a leaf comes first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlBlock(pub Vec<u8>);

impl Ord for ControlBlock {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for ControlBlock {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Leaf scripts with their versions, each with the control blocks that reach it.
pub type LeafScripts = BTreeMap<(Vec<u8>, u8), BTreeSet<ControlBlock>>;

/// What is needed to spend a taproot output (`TaprootSpendData`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaprootSpendData {
    /// The internal key (all zero when unknown).
    pub internal_key: XOnly,
    /// The Merkle root of the script tree (all zero without scripts).
    pub merkle_root: [u8; 32],
    /// The leaves and their control blocks.
    pub scripts: LeafScripts,
}

impl TaprootSpendData {
    /// `TaprootSpendData::Merge`: fills what is unknown here and adds control blocks.
    pub fn merge(&mut self, other: TaprootSpendData) {
        if self.internal_key == [0; 32] && other.internal_key != [0; 32] {
            self.internal_key = other.internal_key;
        }
        if self.merkle_root == [0; 32] && other.merkle_root != [0; 32] {
            self.merkle_root = other.merkle_root;
        }
        for (leaf, blocks) in other.scripts {
            self.scripts.entry(leaf).or_default().extend(blocks);
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct LeafInfo {
    script: Vec<u8>,
    leaf_version: u8,
    merkle_branch: Vec<[u8; 32]>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct NodeInfo {
    hash: [u8; 32],
    leaves: Vec<LeafInfo>,
}

/// Builds a taproot output from leaves given in depth-first order (`TaprootBuilder`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaprootBuilder {
    invalid: bool,
    branch: Vec<Option<NodeInfo>>,
    internal_key: XOnly,
    output_key: XOnly,
    parity: bool,
}

fn combine(a: NodeInfo, b: NodeInfo) -> NodeInfo {
    let hash = tapbranch_hash(&a.hash, &b.hash);
    let mut leaves = Vec::with_capacity(a.leaves.len() + b.leaves.len());
    for mut leaf in a.leaves {
        leaf.merkle_branch.push(b.hash);
        leaves.push(leaf);
    }
    for mut leaf in b.leaves {
        leaf.merkle_branch.push(a.hash);
        leaves.push(leaf);
    }
    NodeInfo { hash, leaves }
}

impl TaprootBuilder {
    /// An empty builder.
    pub fn new() -> TaprootBuilder {
        TaprootBuilder::default()
    }

    /// Whether every leaf so far fits a binary tree.
    pub fn is_valid(&self) -> bool {
        !self.invalid
    }

    /// Whether the leaves form a complete tree (or there are none).
    pub fn is_complete(&self) -> bool {
        self.is_valid()
            && (self.branch.is_empty() || (self.branch.len() == 1 && self.branch[0].is_some()))
    }

    /// Whether any leaf has been added.
    pub fn has_scripts(&self) -> bool {
        !self.branch.is_empty()
    }

    fn insert(&mut self, mut node: NodeInfo, mut depth: usize) {
        if depth + 1 < self.branch.len() {
            self.invalid = true;
            return;
        }
        while !self.invalid && self.branch.len() > depth && self.branch[depth].is_some() {
            let Some(Some(sibling)) = self.branch.pop() else {
                break;
            };
            node = combine(node, sibling);
            if depth == 0 {
                self.invalid = true;
                return;
            }
            depth -= 1;
        }
        if !self.invalid {
            if self.branch.len() <= depth {
                self.branch.resize(depth + 1, None);
            }
            self.branch[depth] = Some(node);
        }
    }

    /// Adds a leaf at `depth` (`Add`); `track` keeps it for control blocks.
    pub fn add(&mut self, depth: usize, script: &[u8], leaf_version: u8, track: bool) {
        if self.invalid {
            return;
        }
        if depth > TAPROOT_CONTROL_MAX_NODE_COUNT {
            self.invalid = true;
            return;
        }
        let leaves = if track {
            vec![LeafInfo {
                script: script.to_vec(),
                leaf_version,
                merkle_branch: Vec::new(),
            }]
        } else {
            Vec::new()
        };
        let node = NodeInfo {
            hash: tapleaf_hash(leaf_version, script),
            leaves,
        };
        self.insert(node, depth);
    }

    /// Sets the internal key and computes the output key (`Finalize`); `false` if the tree
    /// is incomplete or the key invalid.
    pub fn finalize(&mut self, internal_key: &XOnly) -> bool {
        if !self.is_complete() {
            return false;
        }
        let root = self.root_hash();
        let Some((output, parity)) = create_tap_tweak(internal_key, root.as_ref()) else {
            return false;
        };
        self.internal_key = *internal_key;
        self.output_key = output;
        self.parity = parity;
        true
    }

    fn root_hash(&self) -> Option<[u8; 32]> {
        self.branch.first().and_then(|n| n.as_ref()).map(|n| n.hash)
    }

    /// The output key after [`TaprootBuilder::finalize`].
    pub fn output_key(&self) -> XOnly {
        self.output_key
    }

    /// The spend data: internal key, Merkle root and a control block per tracked leaf
    /// (`GetSpendData`).
    pub fn spend_data(&self) -> TaprootSpendData {
        let mut spd = TaprootSpendData {
            internal_key: self.internal_key,
            merkle_root: self.root_hash().unwrap_or([0; 32]),
            scripts: BTreeMap::new(),
        };
        if let Some(Some(root)) = self.branch.first() {
            for leaf in &root.leaves {
                let mut control = Vec::with_capacity(33 + 32 * leaf.merkle_branch.len());
                control.push(leaf.leaf_version | u8::from(self.parity));
                control.extend_from_slice(&self.internal_key);
                for node in &leaf.merkle_branch {
                    control.extend_from_slice(node);
                }
                spd.scripts
                    .entry((leaf.script.clone(), leaf.leaf_version))
                    .or_default()
                    .insert(ControlBlock(control));
            }
        }
        spd
    }

    /// The (depth, leaf version, script) tuples in depth-first order (`GetTreeTuples`).
    pub fn tree_tuples(&self) -> Vec<(u8, u8, Vec<u8>)> {
        let mut out = Vec::new();
        if let Some(Some(root)) = self.branch.first() {
            for leaf in &root.leaves {
                out.push((
                    leaf.merkle_branch.len() as u8,
                    leaf.leaf_version,
                    leaf.script.clone(),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depths_must_form_a_tree() {
        let mut b = TaprootBuilder::new();
        b.add(1, &[0x51], 0xc0, true);
        assert!(!b.is_complete());
        b.add(1, &[0x52], 0xc0, true);
        assert!(b.is_complete());
        // Core's Combine puts the leaves of the node being inserted first.
        let tuples = b.tree_tuples();
        assert_eq!(tuples, vec![(1, 0xc0, vec![0x52]), (1, 0xc0, vec![0x51])]);
        let mut bad = TaprootBuilder::new();
        bad.add(0, &[0x51], 0xc0, true);
        bad.add(0, &[0x52], 0xc0, true);
        assert!(!bad.is_valid());
        let mut deep = TaprootBuilder::new();
        deep.add(2, &[0x51], 0xc0, true);
        deep.add(1, &[0x52], 0xc0, true);
        assert!(!deep.is_valid());
    }

    #[test]
    fn control_blocks_commit_to_the_output_key() {
        let internal = [
            0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95, 0xce, 0x87,
            0x0b, 0x07, 0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b,
            0x16, 0xf8, 0x17, 0x98,
        ];
        let mut b = TaprootBuilder::new();
        b.add(1, &[0x51], 0xc0, true);
        b.add(2, &[0x52], 0xc0, true);
        b.add(2, &[0x53], 0xc0, true);
        assert!(b.finalize(&internal));
        let spd = b.spend_data();
        let output = b.output_key();
        for ((script, ver), blocks) in &spd.scripts {
            for block in blocks {
                let leaf = tapleaf_hash(*ver, script);
                assert!(consensus::script::verify_taproot_commitment(
                    &block.0, &output, &leaf
                ));
            }
        }
    }
}
