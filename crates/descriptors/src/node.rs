//! The parsed descriptor tree: its string forms and the scripts it expands to.

use bitcoin::hashes::Hash;
use bitcoin::key::XOnlyPublicKey;
use bitcoin::opcodes::all::{OP_CHECKMULTISIG, OP_CHECKSIG, OP_CHECKSIGADD, OP_NUMEQUAL};
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::taproot::{LeafVersion, TaprootBuilder};
use bitcoin::{Network, PubkeyHash, PublicKey, ScriptBuf, WPubkeyHash};

use crate::address::Destination;
use crate::keyexpr::KeyExpr;
use crate::keys::secp;
use crate::ms::{KeyMap, Ms};

/// One node of a descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// `pk(KEY)`; x-only inside `tr()`.
    Pk { key: KeyExpr, xonly: bool },
    /// `pkh(KEY)`.
    Pkh(KeyExpr),
    /// `wpkh(KEY)`.
    Wpkh(KeyExpr),
    /// `combo(KEY)`.
    Combo(KeyExpr),
    /// `multi`/`sortedmulti`.
    Multi {
        k: u32,
        keys: Vec<KeyExpr>,
        sorted: bool,
    },
    /// `multi_a`/`sortedmulti_a`.
    MultiA {
        k: u32,
        keys: Vec<KeyExpr>,
        sorted: bool,
    },
    /// `sh(SCRIPT)`.
    Sh(Box<Node>),
    /// `wsh(SCRIPT)`.
    Wsh(Box<Node>),
    /// `tr(KEY[,TREE])`: leaves with their depths, in order.
    Tr {
        key: KeyExpr,
        leaves: Vec<(u8, Node)>,
    },
    /// `rawtr(KEY)`.
    RawTr(KeyExpr),
    /// `unused(KEY)`: a key with no script.
    Unused(KeyExpr),
    /// `addr(ADDRESS)`.
    Addr(Destination),
    /// `raw(HEX)`.
    Raw(ScriptBuf),
    /// A miniscript expression inside `wsh()` or `tr()`, with its keys.
    Miniscript { ms: Ms, keys: KeyMap },
}

/// Which string form to print.
pub(crate) use crate::ms::KeyForm as Form;

fn push(bytes: &[u8]) -> PushBytesBuf {
    PushBytesBuf::try_from(bytes.to_vec()).unwrap_or_default()
}

fn small_int(n: i64) -> Builder {
    Builder::new().push_int(n)
}

fn p2pkh(key: &PublicKey) -> ScriptBuf {
    ScriptBuf::new_p2pkh(&PubkeyHash::hash(&key.to_bytes()))
}

fn p2wpkh(key: &PublicKey) -> ScriptBuf {
    ScriptBuf::new_p2wpkh(&WPubkeyHash::hash(&key.to_bytes()))
}

fn p2pk(key: &PublicKey) -> ScriptBuf {
    Builder::new()
        .push_slice(push(&key.to_bytes()))
        .push_opcode(OP_CHECKSIG)
        .into_script()
}

fn xonly(key: &PublicKey) -> XOnlyPublicKey {
    XOnlyPublicKey::from(key.inner)
}

/// Core's `GetScriptForMultisig`.
pub(crate) fn multisig_script(k: u32, keys: &[PublicKey]) -> ScriptBuf {
    let mut b = small_int(i64::from(k));
    for key in keys {
        b = b.push_slice(push(&key.to_bytes()));
    }
    b.push_int(keys.len() as i64)
        .push_opcode(OP_CHECKMULTISIG)
        .into_script()
}

impl Node {
    /// Key expressions directly under this node.
    fn keys(&self) -> Vec<&KeyExpr> {
        match self {
            Node::Pk { key, .. }
            | Node::Pkh(key)
            | Node::Wpkh(key)
            | Node::Combo(key)
            | Node::RawTr(key)
            | Node::Unused(key) => {
                vec![key]
            }
            Node::Tr { key, .. } => vec![key],
            Node::Multi { keys, .. } | Node::MultiA { keys, .. } => keys.iter().collect(),
            Node::Miniscript { keys, .. } => keys.values().collect(),
            Node::Sh(_) | Node::Wsh(_) | Node::Addr(_) | Node::Raw(_) => Vec::new(),
        }
    }

    /// Script arguments of this node.
    fn subs(&self) -> Vec<&Node> {
        match self {
            Node::Sh(s) | Node::Wsh(s) => vec![s],
            Node::Tr { leaves, .. } => leaves.iter().map(|(_, n)| n).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether any key ranges.
    pub fn is_range(&self) -> bool {
        self.keys().iter().any(|k| k.is_range()) || self.subs().iter().any(|s| s.is_range())
    }

    /// Whether the scripts could be signed for given the keys (not for `addr`/`raw`).
    pub fn is_solvable(&self) -> bool {
        match self {
            Node::Addr(_) | Node::Raw(_) => false,
            _ => self.subs().iter().all(|s| s.is_solvable()),
        }
    }

    /// Core's `GetOutputType` name.
    pub fn output_type(&self) -> Option<&'static str> {
        let of_destination = |d: &Destination| match d {
            Destination::PubKeyHash(_) | Destination::ScriptHash(_) => "legacy",
            Destination::WitnessV0KeyHash(_) | Destination::WitnessV0ScriptHash(_) => "bech32",
            _ => "bech32m",
        };
        match self {
            Node::Pkh(_) => Some("legacy"),
            Node::Wpkh(_) | Node::Wsh(_) => Some("bech32"),
            Node::Sh(sub) if sub.output_type() == Some("bech32") => Some("p2sh-segwit"),
            Node::Sh(_) => Some("legacy"),
            Node::Tr { .. } | Node::RawTr(_) => Some("bech32m"),
            Node::Addr(d) => Some(of_destination(d)),
            Node::Raw(s) => Destination::from_script(s).map(|d| of_destination(&d)),
            _ => None,
        }
    }

    /// The extended keys of every key expression, sub-scripts included (the extended
    /// half of Core's `GetPubKeys`), in order of appearance.
    pub fn root_xpubs(&self, out: &mut Vec<bitcoin::bip32::Xpub>) {
        out.extend(self.keys().iter().filter_map(|k| k.root_xpub()));
        for sub in self.subs() {
            sub.root_xpubs(out);
        }
    }

    /// Whether any key expression anywhere carries a private key.
    pub fn any_private(&self) -> bool {
        self.keys().iter().any(|k| k.has_private()) || self.subs().iter().any(|s| s.any_private())
    }

    fn name(&self) -> &'static str {
        match self {
            Node::Pk { .. } => "pk",
            Node::Pkh(_) => "pkh",
            Node::Wpkh(_) => "wpkh",
            Node::Combo(_) => "combo",
            Node::Multi { sorted: false, .. } => "multi",
            Node::Multi { sorted: true, .. } => "sortedmulti",
            Node::MultiA { sorted: false, .. } => "multi_a",
            Node::MultiA { sorted: true, .. } => "sortedmulti_a",
            Node::Sh(_) => "sh",
            Node::Wsh(_) => "wsh",
            Node::Tr { .. } => "tr",
            Node::RawTr(_) => "rawtr",
            Node::Unused(_) => "unused",
            Node::Addr(_) => "addr",
            Node::Raw(_) => "raw",
            Node::Miniscript { .. } => "",
        }
    }

    /// The string form (without checksum) and, for the private form, whether any
    /// private key was printed.
    pub fn write(&self, form: Form, network: Network) -> Option<(String, bool)> {
        if let Node::Miniscript { ms, keys } = self {
            return ms.write(keys, network, form);
        }
        let mut out = format!("{}(", self.name());
        let mut any = false;
        let mut first = true;
        let mut sep = |out: &mut String| {
            if !first {
                out.push(',');
            }
            first = false;
        };
        match self {
            Node::Addr(d) => {
                out.push_str(&d.encode(network));
                out.push(')');
                return Some((out, false));
            }
            Node::Raw(s) => {
                out.push_str(&chain_json::to_hex(s.as_bytes()));
                out.push(')');
                return Some((out, false));
            }
            Node::Multi { k, .. } | Node::MultiA { k, .. } => {
                sep(&mut out);
                out.push_str(&k.to_string());
            }
            _ => {}
        }
        for key in self.keys() {
            sep(&mut out);
            let (text, private) = match form {
                Form::Public => (key.to_public(network), false),
                Form::Private => key.to_private(network),
                Form::Normalized => (key.to_normalized(network)?, false),
            };
            any |= private;
            out.push_str(&text);
        }
        match self {
            Node::Tr { leaves, .. } if !leaves.is_empty() => {
                sep(&mut out);
                let (tree, private) = write_tree(leaves, form, network)?;
                any |= private;
                out.push_str(&tree);
            }
            Node::Sh(sub) | Node::Wsh(sub) => {
                let (text, private) = sub.write(form, network)?;
                any |= private;
                out.push_str(&text);
            }
            _ => {}
        }
        out.push(')');
        Some((out, any))
    }

    /// The output scripts at derivation index `pos`; `None` when a key cannot be
    /// derived (a hardened step without its private key).
    pub fn expand(&self, pos: u32) -> Option<Vec<ScriptBuf>> {
        if let Node::Miniscript { ms, keys } = self {
            return ms.script(keys, pos).map(|s| vec![s]);
        }
        let keys = self
            .keys()
            .iter()
            .map(|k| k.pubkey(pos))
            .collect::<Option<Vec<PublicKey>>>()?;
        let mut subs = Vec::new();
        for sub in self.subs() {
            subs.push(sub.expand(pos)?.into_iter().next()?);
        }
        Some(match self {
            Node::Pk { xonly: true, .. } => vec![Builder::new()
                .push_slice(xonly(&keys[0]).serialize())
                .push_opcode(OP_CHECKSIG)
                .into_script()],
            Node::Pk { .. } => vec![p2pk(&keys[0])],
            Node::Pkh(_) => vec![p2pkh(&keys[0])],
            Node::Wpkh(_) => vec![p2wpkh(&keys[0])],
            Node::Combo(_) => {
                let key = &keys[0];
                let mut v = vec![p2pk(key), p2pkh(key)];
                if key.compressed {
                    let w = p2wpkh(key);
                    v.push(ScriptBuf::new_p2sh(&w.script_hash()));
                    v.insert(2, w);
                }
                v
            }
            Node::Multi { k, sorted, .. } => {
                let mut keys = keys.clone();
                if *sorted {
                    keys.sort_by_key(|a| a.to_bytes());
                }
                vec![multisig_script(*k, &keys)]
            }
            Node::MultiA { k, sorted, .. } => {
                let mut xs: Vec<[u8; 32]> = keys.iter().map(|k| xonly(k).serialize()).collect();
                if *sorted {
                    xs.sort();
                }
                let mut b = Builder::new();
                for (i, x) in xs.iter().enumerate() {
                    b = b.push_slice(x).push_opcode(if i == 0 {
                        OP_CHECKSIG
                    } else {
                        OP_CHECKSIGADD
                    });
                }
                vec![b
                    .push_int(i64::from(*k))
                    .push_opcode(OP_NUMEQUAL)
                    .into_script()]
            }
            Node::Sh(_) => vec![ScriptBuf::new_p2sh(&subs[0].script_hash())],
            Node::Wsh(_) => vec![ScriptBuf::new_p2wsh(&subs[0].wscript_hash())],
            Node::Tr { leaves, .. } => {
                let mut builder = TaprootBuilder::new();
                for ((depth, _), script) in leaves.iter().zip(subs) {
                    builder = builder
                        .add_leaf_with_ver(*depth, script, LeafVersion::TapScript)
                        .ok()?;
                }
                let info = builder.finalize(secp(), xonly(&keys[0])).ok()?;
                vec![ScriptBuf::new_p2tr_tweaked(info.output_key())]
            }
            Node::RawTr(_) => {
                let x = xonly(&keys[0]);
                vec![ScriptBuf::new_p2tr_tweaked(
                    bitcoin::key::TweakedPublicKey::dangerous_assume_tweaked(x),
                )]
            }
            Node::Unused(_) => Vec::new(),
            Node::Addr(d) => vec![d.script_pubkey()],
            Node::Raw(s) => vec![s.clone()],
            Node::Miniscript { .. } => Vec::new(),
        })
    }
}

/// The script tree of `tr()` in brace notation.
fn write_tree(leaves: &[(u8, Node)], form: Form, network: Network) -> Option<(String, bool)> {
    let mut out = String::new();
    let mut any = false;
    let mut path: Vec<bool> = Vec::new();
    for (pos, (depth, node)) in leaves.iter().enumerate() {
        if pos > 0 {
            out.push(',');
        }
        while path.len() <= usize::from(*depth) {
            if !path.is_empty() {
                out.push('{');
            }
            path.push(false);
        }
        let (text, private) = node.write(form, network)?;
        any |= private;
        out.push_str(&text);
        while path.last() == Some(&true) {
            if path.len() > 1 {
                out.push('}');
            }
            path.pop();
        }
        if let Some(last) = path.last_mut() {
            *last = true;
        }
    }
    Some((out, any))
}
