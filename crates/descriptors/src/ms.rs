//! Miniscript fragments inside `wsh()` and `tr()`, on the `miniscript` crate with
//! string keys: Core's order of checks (key errors, context, sanity) and its
//! messages for insane expressions.

use std::collections::BTreeMap;

use bitcoin::hashes::{hash160, ripemd160, sha256, Hash};
use bitcoin::key::XOnlyPublicKey;
use bitcoin::{Network, PublicKey, ScriptBuf};
use miniscript::miniscript::analyzable::ExtParams;
use miniscript::{
    hash256, Miniscript, ScriptContext, Segwitv0, Tap, Terminal, TranslatePk, Translator,
};

use crate::keyexpr::{parse_key, Ctx, KeyExpr};

/// A parsed miniscript with its keys still as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ms {
    /// Inside `wsh()`.
    Wsh(Miniscript<String, Segwitv0>),
    /// A `tr()` leaf.
    Tap(Miniscript<String, Tap>),
}

/// Key text to the key expression of one multipath alternative.
pub(crate) type KeyMap = BTreeMap<String, KeyExpr>;

/// Which text form of the keys to print.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyForm {
    Public,
    Private,
    Normalized,
}

struct Strings<'a> {
    keys: &'a KeyMap,
    network: Network,
    form: KeyForm,
    any_private: bool,
}

impl Translator<String, String, ()> for Strings<'_> {
    fn pk(&mut self, pk: &String) -> Result<String, ()> {
        let key = self.keys.get(pk).ok_or(())?;
        match self.form {
            KeyForm::Private => {
                let (s, has) = key.to_private(self.network);
                self.any_private |= has;
                Ok(s)
            }
            KeyForm::Public => Ok(key.to_public(self.network)),
            KeyForm::Normalized => key.to_normalized(self.network).ok_or(()),
        }
    }
    fn sha256(&mut self, h: &String) -> Result<String, ()> {
        Ok(h.to_ascii_lowercase())
    }
    fn hash256(&mut self, h: &String) -> Result<String, ()> {
        Ok(h.to_ascii_lowercase())
    }
    fn ripemd160(&mut self, h: &String) -> Result<String, ()> {
        Ok(h.to_ascii_lowercase())
    }
    fn hash160(&mut self, h: &String) -> Result<String, ()> {
        Ok(h.to_ascii_lowercase())
    }
}

/// Replaces key texts by other texts.
struct Rename(BTreeMap<String, String>);

impl Translator<String, String, ()> for Rename {
    fn pk(&mut self, pk: &String) -> Result<String, ()> {
        self.0.get(pk).cloned().ok_or(())
    }
    fn sha256(&mut self, h: &String) -> Result<String, ()> {
        Ok(h.clone())
    }
    fn hash256(&mut self, h: &String) -> Result<String, ()> {
        Ok(h.clone())
    }
    fn ripemd160(&mut self, h: &String) -> Result<String, ()> {
        Ok(h.clone())
    }
    fn hash160(&mut self, h: &String) -> Result<String, ()> {
        Ok(h.clone())
    }
}

fn hash_bytes<const N: usize>(h: &str) -> Result<[u8; N], ()> {
    let bytes = chain_json::from_hex(h).ok_or(())?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| ())
}

/// Keys at one derivation index.
struct Derived<'a> {
    keys: &'a KeyMap,
    pos: u32,
}

impl Derived<'_> {
    fn key(&self, pk: &str) -> Result<PublicKey, ()> {
        self.keys.get(pk).and_then(|k| k.pubkey(self.pos)).ok_or(())
    }
}

macro_rules! hash_translations {
    () => {
        fn sha256(&mut self, h: &String) -> Result<sha256::Hash, ()> {
            hash_bytes::<32>(h).map(sha256::Hash::from_byte_array)
        }
        fn hash256(&mut self, h: &String) -> Result<hash256::Hash, ()> {
            hash_bytes::<32>(h).map(hash256::Hash::from_byte_array)
        }
        fn ripemd160(&mut self, h: &String) -> Result<ripemd160::Hash, ()> {
            hash_bytes::<20>(h).map(ripemd160::Hash::from_byte_array)
        }
        fn hash160(&mut self, h: &String) -> Result<hash160::Hash, ()> {
            hash_bytes::<20>(h).map(hash160::Hash::from_byte_array)
        }
    };
}

impl Translator<String, PublicKey, ()> for Derived<'_> {
    fn pk(&mut self, pk: &String) -> Result<PublicKey, ()> {
        self.key(pk)
    }
    hash_translations!();
}

impl Translator<String, XOnlyPublicKey, ()> for Derived<'_> {
    fn pk(&mut self, pk: &String) -> Result<XOnlyPublicKey, ()> {
        self.key(pk).map(|k| XOnlyPublicKey::from(k.inner))
    }
    hash_translations!();
}

impl Ms {
    /// The text with keys in the given form, and whether a private key was printed;
    /// `None` when a key has no such form.
    pub fn write(&self, keys: &KeyMap, network: Network, form: KeyForm) -> Option<(String, bool)> {
        let mut t = Strings {
            keys,
            network,
            form,
            any_private: false,
        };
        let text = match self {
            Ms::Wsh(m) => m.translate_pk(&mut t).map(|m| m.to_string()),
            Ms::Tap(m) => m.translate_pk(&mut t).map(|m| m.to_string()),
        };
        text.ok().map(|s| (s, t.any_private))
    }

    /// The script at derivation index `pos`.
    pub fn script(&self, keys: &KeyMap, pos: u32) -> Option<ScriptBuf> {
        let mut t = Derived { keys, pos };
        match self {
            Ms::Wsh(m) => {
                let m: Miniscript<PublicKey, Segwitv0> = m.translate_pk(&mut t).ok()?;
                Some(m.encode())
            }
            Ms::Tap(m) => {
                let m: Miniscript<XOnlyPublicKey, Tap> = m.translate_pk(&mut t).ok()?;
                Some(m.encode())
            }
        }
    }

    /// The key texts, in order of appearance.
    pub fn key_texts(&self) -> Vec<String> {
        match self {
            Ms::Wsh(m) => m.iter_pk().collect(),
            Ms::Tap(m) => m.iter_pk().collect(),
        }
    }
}

/// Whether every hash argument has the right number of hex digits.
fn hashes_ok<C: ScriptContext>(m: &Miniscript<String, C>) -> bool {
    m.iter().all(|node| match &node.node {
        Terminal::Sha256(h) | Terminal::Hash256(h) => hash_bytes::<32>(h).is_ok(),
        Terminal::Ripemd160(h) | Terminal::Hash160(h) => hash_bytes::<20>(h).is_ok(),
        _ => true,
    })
}

/// Core's `IsSaneSubexpression`, less the resource limits (which the crate cannot
/// judge on unsatisfiable sub-expressions; they are checked on the whole script).
fn sane_sub<C: ScriptContext>(m: &Miniscript<String, C>) -> bool {
    m.is_non_malleable() && !m.has_mixed_timelocks() && !m.has_repeated_keys()
}

/// Core's `FindInsaneSub`: the leftmost deepest sub-expression that is not sane.
fn insane_sub<C: ScriptContext>(m: &Miniscript<String, C>) -> Option<&Miniscript<String, C>> {
    for b in m.branches() {
        if let Some(found) = insane_sub(b) {
            return Some(found);
        }
    }
    (!sane_sub(m)).then_some(m)
}

/// Core's message for an insane miniscript, keys printed in public form.
fn sanity_error<C: ScriptContext>(
    m: &Miniscript<String, C>,
    wrap: impl Fn(&Miniscript<String, C>) -> Ms,
    keys: &KeyMap,
    network: Network,
) -> Option<String> {
    // An unsatisfiable expression counts as signed (vacuously) and within the resource
    // limits (it has no witness to measure), as in Core: it is sane, and refused for
    // having no satisfaction at all.
    let unsatisfiable = m.max_satisfaction_witness_elements().is_err();
    let insane =
        insane_sub(m).or_else(|| (!unsatisfiable && !m.within_resource_limits()).then_some(m));
    let is_top_sigless = !m.requires_sig() && !unsatisfiable;
    if insane.is_none() && !is_top_sigless {
        if unsatisfiable {
            let mut text = wrap(m)
                .write(keys, network, KeyForm::Public)
                .unwrap_or_default()
                .0;
            text.push_str(" is not satisfiable");
            return Some(text);
        }
        return None;
    }
    let node = insane.unwrap_or(m);
    let same = std::ptr::eq(node, m);
    let mut text = wrap(node)
        .write(keys, network, KeyForm::Public)
        .unwrap_or_default()
        .0;
    text.push_str(" is not sane");
    if !node.is_non_malleable() {
        text.push_str(": malleable witnesses exist");
    } else if same && !node.requires_sig() {
        text.push_str(": witnesses without signature exist");
    } else if node.has_mixed_timelocks() {
        text.push_str(": contains mixes of timelocks expressed in blocks and seconds");
    } else if node.has_repeated_keys() {
        text.push_str(": contains duplicate public keys");
    } else if !node.within_resource_limits() {
        text.push_str(": needs witnesses that may exceed resource limits");
    }
    Some(text)
}

/// A fragment that parsed but does not type-check: Core reports it as invalid
/// (inside `wsh()`/`tr()`); other parse failures are not miniscript at all.
fn invalid_fragment<T>(error: &str, ctx: Ctx) -> Option<Result<T, String>> {
    if !matches!(ctx, Ctx::P2wsh | Ctx::P2tr) {
        return None;
    }
    let start = error.find('\u{ab}')? + '\u{ab}'.len_utf8();
    let len = error[start..].find('\u{bb}')?;
    Some(Err(format!("{} is invalid", &error[start..start + len])))
}

/// What parsing `expr` as miniscript in context `ctx` gives: `None` when it is not
/// miniscript (the caller reports Core's generic error), else the alternatives with
/// their key maps, or Core's error.
pub(crate) fn parse(
    expr: &str,
    ctx: Ctx,
    network: Network,
) -> Option<Result<Vec<(Ms, KeyMap)>, String>> {
    let wsh = ctx == Ctx::P2wsh;
    let ext = ExtParams::allow_all();
    let ms = if wsh {
        let m = match Miniscript::<String, Segwitv0>::from_str_ext(expr, &ext) {
            Ok(m) => m,
            Err(miniscript::Error::TypeCheck(e)) => return invalid_fragment(&e, ctx),
            Err(_) => return None,
        };
        if !hashes_ok(&m) {
            return None;
        }
        Ms::Wsh(m)
    } else {
        let m = match Miniscript::<String, Tap>::from_str_ext(expr, &ext) {
            Ok(m) => m,
            Err(miniscript::Error::TypeCheck(e)) => return invalid_fragment(&e, ctx),
            Err(_) => return None,
        };
        if !hashes_ok(&m) {
            return None;
        }
        Ms::Tap(m)
    };
    let key_ctx = if wsh { Ctx::P2wsh } else { Ctx::P2tr };
    let mut parsed: Vec<(String, Vec<KeyExpr>)> = Vec::new();
    for text in ms.key_texts() {
        match parse_key(&text, key_ctx, network) {
            Ok(keys) => parsed.push((text, keys)),
            Err(e) => return Some(Err(e)),
        }
    }
    if !matches!(ctx, Ctx::P2wsh | Ctx::P2tr) {
        return Some(Err(
            "Miniscript expressions can only be used in wsh or tr.".into()
        ));
    }
    // Core compares keys by their public key at index 0 (keys it cannot derive compare
    // equal), so the analysis runs on those, printed back in each key's public form.
    let mut rename = Rename(BTreeMap::new());
    let mut shown = KeyMap::new();
    for (text, keys) in &parsed {
        let Some(first) = keys.first() else { continue };
        let id = first
            .pubkey(0)
            .map(|k| chain_json::to_hex(&k.to_bytes()))
            .unwrap_or_default();
        shown.entry(id.clone()).or_insert_with(|| first.clone());
        rename.0.insert(text.clone(), id);
    }
    let error = match &ms {
        Ms::Wsh(m) => {
            let m = m.translate_pk(&mut rename).ok()?;
            sanity_error(&m, |n| Ms::Wsh(n.clone()), &shown, network)
        }
        Ms::Tap(m) => {
            let m = m.translate_pk(&mut rename).ok()?;
            sanity_error(&m, |n| Ms::Tap(n.clone()), &shown, network)
        }
    };
    if let Some(e) = error {
        return Some(Err(e));
    }
    let width = parsed.iter().map(|(_, k)| k.len()).max().unwrap_or(1);
    if parsed.iter().any(|(_, k)| k.len() != 1 && k.len() != width) {
        return Some(Err(
            "Miniscript: Multipath derivation paths have mismatched lengths".into(),
        ));
    }
    Some(Ok((0..width)
        .map(|i| {
            let map = parsed
                .iter()
                .map(|(t, k)| (t.clone(), k[i.min(k.len() - 1)].clone()))
                .collect();
            (ms.clone(), map)
        })
        .collect()))
}
