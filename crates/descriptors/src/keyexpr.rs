//! Key expressions: hex public keys, WIF secrets and extended keys with optional
//! origin `[fingerprint/path]`, derivation path, range `*` and multipath `<a;b>` steps.

use bitcoin::bip32::{ChildNumber, Xpriv, Xpub};
use bitcoin::secp256k1::PublicKey as SecpKey;
use bitcoin::{Network, PublicKey};

use crate::keys::{
    decode_secret, decode_xpriv, decode_xpub, encode_secret, encode_xpriv, encode_xpub, secp,
    Secret,
};
use crate::span::{parse_u32, split, take_const, take_expr, take_func};

/// Bit of a hardened child number.
const HARDENED: u32 = 0x8000_0000;

/// Where in a descriptor a key or script appears; decides what is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ctx {
    /// Directly in the output script.
    Top,
    /// Inside `sh()`.
    P2sh,
    /// Inside `wpkh()`.
    P2wpkh,
    /// Inside `wsh()`.
    P2wsh,
    /// Inside `tr()` or `rawtr()`.
    P2tr,
    /// A participant of `musig()`.
    Musig,
}

/// How the last step of an extended key's path ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Derive {
    /// No range.
    Fixed,
    /// `/*`.
    Unhardened,
    /// `/*'` or `/*h`.
    Hardened,
}

/// A key origin `[fingerprint/path]`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Origin {
    fingerprint: [u8; 4],
    path: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Inner {
    Const {
        key: PublicKey,
        xonly: bool,
        secret: Option<Secret>,
    },
    Ext {
        xpub: Xpub,
        xpriv: Option<Xpriv>,
        path: Vec<u32>,
        derive: Derive,
    },
    Musig {
        participants: Vec<KeyExpr>,
        path: Vec<u32>,
        derive: Derive,
    },
}

/// One parsed key expression (one branch of a multipath expression).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyExpr {
    origin: Option<Origin>,
    inner: Inner,
    /// Print hardened steps with `'` rather than `h`.
    apostrophe: bool,
}

fn format_path(path: &[u32], apostrophe: bool) -> String {
    let mut s = String::new();
    for &i in path {
        s.push_str(&format!("/{}", i & !HARDENED));
        if i & HARDENED != 0 {
            s.push(if apostrophe { '\'' } else { 'h' });
        }
    }
    s
}

impl KeyExpr {
    /// Whether the key changes with the derivation index.
    pub fn is_range(&self) -> bool {
        match &self.inner {
            Inner::Const { .. } => false,
            Inner::Ext { derive, .. } => *derive != Derive::Fixed,
            Inner::Musig {
                participants,
                derive,
                ..
            } => *derive != Derive::Fixed || participants.iter().any(KeyExpr::is_range),
        }
    }

    /// Whether this is an extended key (possibly with origin).
    fn is_bip32(&self) -> bool {
        matches!(self.inner, Inner::Ext { .. })
    }

    /// Serialized size of the public key (33 or 65).
    pub fn size(&self) -> usize {
        match &self.inner {
            Inner::Const { key, .. } if !key.compressed => 65,
            _ => 33,
        }
    }

    /// Whether the expression was given with its private key.
    pub fn has_private(&self) -> bool {
        match &self.inner {
            Inner::Const { secret, .. } => secret.is_some(),
            Inner::Ext { xpriv, .. } => xpriv.is_some(),
            Inner::Musig { participants, .. } => participants.iter().any(KeyExpr::has_private),
        }
    }

    fn origin_string(&self) -> String {
        match &self.origin {
            Some(o) => format!(
                "[{}{}]",
                chain_json::to_hex(&o.fingerprint),
                format_path(&o.path, self.apostrophe)
            ),
            None => String::new(),
        }
    }

    fn range_suffix(&self) -> &'static str {
        match &self.inner {
            Inner::Ext {
                derive: Derive::Unhardened,
                ..
            } => "/*",
            Inner::Ext {
                derive: Derive::Hardened,
                ..
            } if self.apostrophe => "/*'",
            Inner::Ext {
                derive: Derive::Hardened,
                ..
            } => "/*h",
            _ => "",
        }
    }

    fn musig_string(&self, network: Network, private: bool) -> (String, bool) {
        let Inner::Musig {
            participants,
            path,
            derive,
        } = &self.inner
        else {
            return (String::new(), false);
        };
        let mut any = false;
        let parts: Vec<String> = participants
            .iter()
            .map(|p| {
                if private {
                    let (s, has) = p.to_private(network);
                    any |= has;
                    s
                } else {
                    p.to_public(network)
                }
            })
            .collect();
        let star = if *derive == Derive::Fixed { "" } else { "/*" };
        (
            format!(
                "musig({}){}{star}",
                parts.join(","),
                format_path(path, false)
            ),
            any,
        )
    }

    /// The public form.
    pub fn to_public(&self, network: Network) -> String {
        let body = match &self.inner {
            Inner::Musig { .. } => self.musig_string(network, false).0,
            Inner::Const { key, xonly, .. } => {
                let bytes = key.to_bytes();
                let shown = if *xonly { &bytes[1..] } else { &bytes[..] };
                chain_json::to_hex(shown)
            }
            Inner::Ext { xpub, path, .. } => format!(
                "{}{}{}",
                encode_xpub(xpub, network),
                format_path(path, self.apostrophe),
                self.range_suffix()
            ),
        };
        format!("{}{body}", self.origin_string())
    }

    /// Core's normalized form: hardened steps written `h`, and an extended key with
    /// hardened steps replaced by the key at its last hardened step (with the origin
    /// extended to it). `None` when that needs a private key the expression lacks.
    pub fn to_normalized(&self, network: Network) -> Option<String> {
        let body = match &self.inner {
            Inner::Const { .. } => {
                let mut plain = self.clone();
                plain.origin = None;
                plain.to_public(network)
            }
            Inner::Musig {
                participants,
                path,
                derive,
            } => {
                let parts = participants
                    .iter()
                    .map(|p| p.to_normalized(network))
                    .collect::<Option<Vec<String>>>()?;
                let star = if *derive == Derive::Fixed { "" } else { "/*" };
                format!(
                    "musig({}){}{star}",
                    parts.join(","),
                    format_path(path, false)
                )
            }
            Inner::Ext {
                xpub,
                xpriv,
                path,
                derive,
            } => {
                let last_hardened = path.iter().rposition(|&s| s & HARDENED != 0);
                match (derive, last_hardened) {
                    (Derive::Hardened, _) => {
                        format!(
                            "{}{}/*h",
                            encode_xpub(xpub, network),
                            format_path(path, false)
                        )
                    }
                    (_, None) => format!(
                        "{}{}{}",
                        encode_xpub(xpub, network),
                        format_path(path, self.apostrophe),
                        self.range_suffix()
                    ),
                    (_, Some(i)) => {
                        let steps: Vec<ChildNumber> =
                            path[..=i].iter().copied().map(ChildNumber::from).collect();
                        let derived = xpriv.as_ref()?.derive_priv(secp(), &steps).ok()?;
                        let at_hardened = Xpub::from_priv(secp(), &derived);
                        format!(
                            "[{}{}]{}{}{}",
                            chain_json::to_hex(xpub.fingerprint().as_bytes()),
                            format_path(&path[..=i], false),
                            encode_xpub(&at_hardened, network),
                            format_path(&path[i + 1..], false),
                            self.range_suffix()
                        )
                    }
                }
            }
        };
        Some(match &self.origin {
            None => body,
            Some(o) => {
                let own = format!(
                    "{}{}",
                    chain_json::to_hex(&o.fingerprint),
                    format_path(&o.path, false)
                );
                match body.strip_prefix('[') {
                    // Drop the inner fingerprint: the origin continues with its path.
                    Some(rest) => format!("[{own}{}", rest.get(8..).unwrap_or_default()),
                    None => format!("[{own}]{body}"),
                }
            }
        })
    }

    /// The form with the private key where known, and whether it was known.
    pub fn to_private(&self, network: Network) -> (String, bool) {
        let body = match &self.inner {
            Inner::Const {
                secret: Some(secret),
                ..
            } => encode_secret(secret, network),
            Inner::Ext {
                xpriv: Some(xpriv),
                path,
                ..
            } => format!(
                "{}{}{}",
                encode_xpriv(xpriv, network),
                format_path(path, self.apostrophe),
                self.range_suffix()
            ),
            Inner::Musig { .. } => return self.musig_string(network, true),
            _ => return (self.to_public(network), false),
        };
        (format!("{}{body}", self.origin_string()), true)
    }

    /// The extended key written (Core's `GetRootExtPubKey`): `None` for hex and WIF keys
    /// and for `musig()` aggregates, which no single extended key underlies.
    pub fn root_xpub(&self) -> Option<Xpub> {
        match &self.inner {
            Inner::Ext { xpub, .. } => Some(*xpub),
            _ => None,
        }
    }

    /// The public key at derivation index `pos`, `None` when it needs a private key
    /// that is missing (or derivation fails).
    pub fn pubkey(&self, pos: u32) -> Option<PublicKey> {
        match &self.inner {
            Inner::Const { key, .. } => Some(*key),
            Inner::Ext {
                xpub,
                xpriv,
                path,
                derive,
            } => {
                let last = match derive {
                    Derive::Fixed => None,
                    Derive::Unhardened => Some(pos),
                    Derive::Hardened => Some(pos | HARDENED),
                };
                let steps: Vec<ChildNumber> = path
                    .iter()
                    .copied()
                    .chain(last)
                    .map(ChildNumber::from)
                    .collect();
                let hardened = steps.iter().any(|c| c.is_hardened());
                let inner: SecpKey = if hardened {
                    let xpriv = xpriv.as_ref()?.derive_priv(secp(), &steps).ok()?;
                    xpriv.private_key.public_key(secp())
                } else {
                    xpub.derive_pub(secp(), &steps).ok()?.public_key
                };
                Some(PublicKey::new(inner))
            }
            Inner::Musig {
                participants,
                path,
                derive,
            } => {
                let mut keys = participants
                    .iter()
                    .map(|p| p.pubkey(pos).map(|k| k.inner))
                    .collect::<Option<Vec<SecpKey>>>()?;
                keys.sort_by_key(SecpKey::serialize);
                let agg = crate::musig::aggregate(&keys)?;
                if *derive == Derive::Fixed && path.is_empty() {
                    return Some(PublicKey::new(agg));
                }
                let steps: Vec<ChildNumber> = path
                    .iter()
                    .copied()
                    .chain((*derive == Derive::Unhardened).then_some(pos))
                    .map(ChildNumber::from)
                    .collect();
                let xpub = crate::musig::synthetic_xpub(agg)
                    .derive_pub(secp(), &steps)
                    .ok()?;
                Some(PublicKey::new(xpub.public_key))
            }
        }
    }
}

/// Parses one step of a path.
fn parse_step(elem: &str, apostrophe: &mut bool) -> Result<u32, String> {
    if elem.is_empty() {
        return Err(format!("Key path value '{elem}' is not valid"));
    }
    let (digits, hardened) = match elem.as_bytes()[elem.len() - 1] {
        b'\'' | b'h' => (&elem[..elem.len() - 1], true),
        _ => (elem, false),
    };
    let n = parse_u32(digits)
        .ok_or_else(|| format!("Key path value '{elem}' is not a valid uint32"))?;
    if n >= HARDENED {
        return Err(format!("Key path value {n} is out of range"));
    }
    if hardened {
        *apostrophe = elem.ends_with('\'');
        Ok(n | HARDENED)
    } else {
        Ok(n)
    }
}

/// Parses the steps after the first element; one path per multipath alternative.
fn parse_path(
    elems: &[&str],
    apostrophe: &mut bool,
    allow_multipath: bool,
) -> Result<Vec<Vec<u32>>, String> {
    let mut path = Vec::new();
    let mut multi: Option<(usize, Vec<u32>)> = None;
    for elem in elems.iter().skip(1) {
        let b = elem.as_bytes();
        if !b.is_empty() && b[0] == b'<' && b[b.len() - 1] == b'>' {
            if !allow_multipath {
                return Err(format!(
                    "Key path value '{elem}' specifies multipath in a section where multipath is not allowed"
                ));
            }
            if multi.is_some() {
                return Err("Multiple multipath key path specifiers found".into());
            }
            let inner = if elem.len() >= 2 {
                &elem[1..elem.len() - 1]
            } else {
                ""
            };
            let nums = split(inner, ';');
            if nums.len() < 2 {
                return Err("Multipath key path specifiers must have at least two items".into());
            }
            let mut values = Vec::with_capacity(nums.len());
            for num in nums {
                let v = parse_step(num, apostrophe)?;
                if values.contains(&v) {
                    return Err(format!(
                        "Duplicated key path value {v} in multipath specifier"
                    ));
                }
                values.push(v);
            }
            multi = Some((path.len(), values));
            path.push(0);
        } else {
            path.push(parse_step(elem, apostrophe)?);
        }
    }
    Ok(match multi {
        None => vec![path],
        Some((at, values)) => values
            .into_iter()
            .map(|v| {
                let mut p = path.clone();
                p[at] = v;
                p
            })
            .collect(),
    })
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// A hex public key as Core's `CPubKey` judges it: `Err` with the message for keys
/// Core refuses, `Ok(None)` when the bytes are no valid key at all.
fn hex_pubkey(data: &[u8]) -> Result<Option<PublicKey>, String> {
    let expected = match data.first() {
        Some(2 | 3) => 33,
        Some(4 | 6 | 7) => 65,
        _ => 0,
    };
    let sized = expected != 0 && data.len() == expected;
    if sized && matches!(data[0], 6 | 7) {
        return Err("Hybrid public keys are not allowed".into());
    }
    if !sized {
        return Ok(None);
    }
    Ok(PublicKey::from_slice(data).ok())
}

fn parse_inner(
    s: &str,
    ctx: Ctx,
    network: Network,
    apostrophe: &mut bool,
    origin: Option<Origin>,
) -> Result<Vec<KeyExpr>, String> {
    let permit_uncompressed = matches!(ctx, Ctx::Top | Ctx::P2sh);
    let mut parts = split(s, '/');
    let first = parts[0];
    if first.is_empty() {
        return Err("No key provided".into());
    }
    let fb = first.as_bytes();
    if is_space(fb[0]) || is_space(fb[fb.len() - 1]) {
        return Err(format!("Key '{first}' is invalid due to whitespace"));
    }
    let make = |inner: Inner, apostrophe: bool| KeyExpr {
        origin: origin.clone(),
        inner,
        apostrophe,
    };
    if parts.len() == 1 {
        if let Some(data) = chain_json::from_hex(first) {
            if let Some(key) = hex_pubkey(&data)? {
                if permit_uncompressed || key.compressed {
                    return Ok(vec![make(
                        Inner::Const {
                            key,
                            xonly: false,
                            secret: None,
                        },
                        *apostrophe,
                    )]);
                }
                return Err("Uncompressed keys are not allowed".into());
            }
            if data.len() == 32 && ctx == Ctx::P2tr {
                let mut full = vec![2u8];
                full.extend_from_slice(&data);
                if let Ok(key) = PublicKey::from_slice(&full) {
                    return Ok(vec![make(
                        Inner::Const {
                            key,
                            xonly: true,
                            secret: None,
                        },
                        *apostrophe,
                    )]);
                }
            }
            return Err(format!("Pubkey '{first}' is invalid"));
        }
        if let Some(secret) = decode_secret(first, network) {
            if permit_uncompressed || secret.compressed {
                let key = secret.public_key();
                let xonly = ctx == Ctx::P2tr;
                return Ok(vec![make(
                    Inner::Const {
                        key,
                        xonly,
                        secret: Some(secret),
                    },
                    *apostrophe,
                )]);
            }
            return Err("Uncompressed keys are not allowed".into());
        }
    }
    let xpriv = decode_xpriv(first, network);
    let xpub = match (&xpriv, decode_xpub(first, network)) {
        (Some(xprv), _) => Xpub::from_priv(secp(), xprv),
        (None, Some(xpub)) => xpub,
        (None, None) => return Err(format!("key '{first}' is not valid")),
    };
    let derive = match parts.last().copied() {
        Some("*") => Derive::Unhardened,
        Some(last @ ("*'" | "*h")) => {
            *apostrophe = last == "*'";
            Derive::Hardened
        }
        _ => Derive::Fixed,
    };
    if derive != Derive::Fixed {
        parts.pop();
    }
    let paths = parse_path(&parts, apostrophe, true)?;
    Ok(paths
        .into_iter()
        .map(|path| {
            make(
                Inner::Ext {
                    xpub,
                    xpriv,
                    path,
                    derive,
                },
                *apostrophe,
            )
        })
        .collect())
}

/// Parses a key expression in context `ctx`; several for a multipath expression.
/// Errors carry Core's message without the caller's prefix.
pub(crate) fn parse_key(s: &str, ctx: Ctx, network: Network) -> Result<Vec<KeyExpr>, String> {
    if s.starts_with("musig(") {
        if ctx != Ctx::P2tr {
            return Err("musig() is only allowed in tr() and rawtr()".into());
        }
        return parse_musig(s, network);
    }
    let parts = split(s, ']');
    if parts.len() > 2 {
        return Err("Multiple ']' characters found for a single pubkey".into());
    }
    let mut apostrophe = false;
    if parts.len() == 1 {
        return parse_inner(parts[0], ctx, network, &mut apostrophe, None);
    }
    let origin_text = parts[0];
    if !origin_text.starts_with('[') {
        let got = origin_text.chars().next().unwrap_or(']');
        return Err(format!(
            "Key origin start '[ character expected but not found, got '{got}' instead"
        ));
    }
    let elems = split(&origin_text[1..], '/');
    let fpr = elems[0];
    if fpr.len() != 8 {
        return Err(format!(
            "Fingerprint is not 4 bytes ({} characters instead of 8 characters)",
            fpr.len()
        ));
    }
    let Some(fpr_bytes) = chain_json::from_hex(fpr) else {
        return Err(format!("Fingerprint '{fpr}' is not hex"));
    };
    let mut fingerprint = [0u8; 4];
    fingerprint.copy_from_slice(&fpr_bytes);
    let path = parse_path(&elems, &mut apostrophe, false)?
        .into_iter()
        .next()
        .unwrap_or_default();
    let origin = Origin { fingerprint, path };
    let mut keys = parse_inner(parts[1], ctx, network, &mut apostrophe, Some(origin))?;
    // The origin prints with the final apostrophe choice too.
    for k in &mut keys {
        k.apostrophe = apostrophe;
    }
    Ok(keys)
}

/// Splits after every `)`, keeping it, plus the remainder (Core's `Split` with
/// `include_sep`).
fn split_after_parens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in s.bytes().enumerate() {
        if c == b')' {
            out.push(&s[start..=i]);
            start = i + 1;
        }
    }
    out.push(&s[start..]);
    out
}

/// `musig(KEY,...)[/path][/*]` inside `tr()`.
fn parse_musig(s: &str, network: Network) -> Result<Vec<KeyExpr>, String> {
    let pieces = split_after_parens(s);
    if pieces.len() > 2 {
        return Err("Too many ')' in musig() expression".into());
    }
    let mut expr = pieces[0];
    if !take_func("musig", &mut expr) {
        return Err("Invalid musig() expression".into());
    }
    let mut providers: Vec<Vec<KeyExpr>> = Vec::new();
    let (mut any_ranged, mut all_bip32) = (false, true);
    while !expr.is_empty() {
        if !providers.is_empty() && !take_const(",", &mut expr, true) {
            let got = expr.chars().next().unwrap_or(' ');
            return Err(format!("musig(): expected ',', got '{got}'"));
        }
        let arg = take_expr(&mut expr);
        let keys = parse_key(arg, Ctx::Musig, network).map_err(|e| format!("musig(): {e}"))?;
        let Some(first) = keys.first() else {
            return Err("musig(): Must contain key expressions".into());
        };
        any_ranged |= first.is_range();
        all_bip32 &= first.is_bip32();
        providers.push(keys);
    }
    if providers.is_empty() {
        return Err("musig(): Must contain key expressions".into());
    }
    let mut derive = Derive::Fixed;
    let mut paths: Vec<Vec<u32>> = vec![Vec::new()];
    if pieces.len() == 2 && pieces[1].starts_with('/') {
        if !all_bip32 {
            return Err(
                "musig(): derivation requires all participants to be xpubs or xprvs".into(),
            );
        }
        if any_ranged {
            return Err(
                "musig(): Cannot have ranged participant keys if musig() also has derivation"
                    .into(),
            );
        }
        let mut elems = split(pieces[1], '/');
        match elems.last().copied() {
            Some("*") => {
                derive = Derive::Unhardened;
                elems.pop();
            }
            Some("*'" | "*h") => {
                return Err("musig(): Cannot have hardened child derivation".into())
            }
            _ => {}
        }
        let mut dummy = false;
        paths = parse_path(&elems, &mut dummy, true).map_err(|e| format!("musig(): {e}"))?;
        if paths.iter().flatten().any(|step| step & HARDENED != 0) {
            return Err("musig(): cannot have hardened derivation steps".into());
        }
    }
    let width = providers.iter().map(Vec::len).max().unwrap_or(1);
    let make = |participants: Vec<KeyExpr>, path: Vec<u32>| KeyExpr {
        origin: None,
        inner: Inner::Musig {
            participants,
            path,
            derive,
        },
        apostrophe: false,
    };
    if width > 1 && paths.len() > 1 {
        return Err(
            "musig(): Cannot have multipath participant keys if musig() is also multipath".into(),
        );
    }
    if width > 1 {
        if providers.iter().any(|p| p.len() != 1 && p.len() != width) {
            return Err("musig(): Multipath derivation paths have mismatched lengths".into());
        }
        let path = paths.into_iter().next().unwrap_or_default();
        return Ok((0..width)
            .map(|i| {
                make(
                    providers
                        .iter()
                        .map(|p| p[i.min(p.len() - 1)].clone())
                        .collect(),
                    path.clone(),
                )
            })
            .collect());
    }
    let participants: Vec<KeyExpr> = providers
        .into_iter()
        .filter_map(|p| p.into_iter().next())
        .collect();
    Ok(paths
        .into_iter()
        .map(|path| make(participants.clone(), path))
        .collect())
}
