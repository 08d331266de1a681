//! The descriptor grammar (Core's `ParseScript`), with Core's error messages.

use bitcoin::{Network, ScriptBuf};

use crate::address::decode_destination;
use crate::keyexpr::{parse_key, Ctx, KeyExpr};
use crate::node::Node;
use crate::span::{parse_u32, take_const, take_expr, take_func};

/// Most keys `multi()` may list.
const MAX_PUBKEYS_PER_MULTISIG: usize = 20;
/// Most keys `multi_a()` may list.
const MAX_PUBKEYS_PER_MULTI_A: usize = 999;
/// Largest redeem script P2SH allows.
const MAX_SCRIPT_ELEMENT_SIZE: usize = 520;
/// Deepest a taproot script tree may be.
const TAPROOT_MAX_DEPTH: usize = 128;

type Parsed = Result<Vec<Node>, String>;

fn keys_or(prefix: &str, s: &str, ctx: Ctx, network: Network) -> Result<Vec<KeyExpr>, String> {
    parse_key(s, ctx, network).map_err(|e| format!("{prefix}{e}"))
}

/// Wraps every key alternative in `make`.
fn each(keys: Vec<KeyExpr>, make: impl Fn(KeyExpr) -> Node) -> Parsed {
    Ok(keys.into_iter().map(make).collect())
}

/// Lines up multipath alternatives: every list must have length 1 or `n`; lists of
/// length 1 are repeated.
fn align<T: Clone>(lists: Vec<Vec<T>>, n: usize, error: &str) -> Result<Vec<Vec<T>>, String> {
    let mut out = Vec::with_capacity(lists.len());
    for list in lists {
        if list.len() == n {
            out.push(list);
        } else if list.len() == 1 {
            out.push(vec![list[0].clone(); n]);
        } else {
            return Err(error.into());
        }
    }
    Ok(out)
}

/// Picks the `i`th alternative of every list.
fn pick<T: Clone>(lists: &[Vec<T>], i: usize) -> Vec<T> {
    lists.iter().map(|l| l[i].clone()).collect()
}

/// Parses the leading expression of `s` in context `ctx`, leaving the rest in `s`.
pub(crate) fn parse_script(s: &mut &str, ctx: Ctx, network: Network) -> Parsed {
    let mut expr = take_expr(s);
    let top_like = matches!(ctx, Ctx::Top | Ctx::P2sh | Ctx::P2wsh);
    if take_func("pk", &mut expr) {
        let keys = keys_or("pk(): ", expr, ctx, network)?;
        return each(keys, |key| Node::Pk {
            key,
            xonly: ctx == Ctx::P2tr,
        });
    }
    if top_like && take_func("pkh", &mut expr) {
        return each(keys_or("pkh(): ", expr, ctx, network)?, Node::Pkh);
    }
    if take_func("combo", &mut expr) {
        if ctx != Ctx::Top {
            return Err("Can only have combo() at top level".into());
        }
        return each(keys_or("combo(): ", expr, ctx, network)?, Node::Combo);
    }
    let multi = take_func("multi", &mut expr);
    let sortedmulti = !multi && take_func("sortedmulti", &mut expr);
    let multi_a = !(multi || sortedmulti) && take_func("multi_a", &mut expr);
    let sortedmulti_a = !(multi || sortedmulti || multi_a) && take_func("sortedmulti_a", &mut expr);
    let is_multi = multi || sortedmulti;
    let is_multi_a = multi_a || sortedmulti_a;
    if (top_like && is_multi) || (ctx == Ctx::P2tr && is_multi_a) {
        return parse_multi(expr, ctx, network, is_multi, sortedmulti || sortedmulti_a);
    }
    if is_multi {
        return Err("Can only have multi/sortedmulti at top level, in sh(), or in wsh()".into());
    }
    if is_multi_a {
        return Err("Can only have multi_a/sortedmulti_a inside tr()".into());
    }
    if take_func("wpkh", &mut expr) {
        if !matches!(ctx, Ctx::Top | Ctx::P2sh) {
            return Err("Can only have wpkh() at top level or inside sh()".into());
        }
        return each(keys_or("wpkh(): ", expr, Ctx::P2wpkh, network)?, Node::Wpkh);
    }
    if take_func("sh", &mut expr) {
        if ctx != Ctx::Top {
            return Err("Can only have sh() at top level".into());
        }
        let subs = parse_script(&mut expr, Ctx::P2sh, network)?;
        if !expr.is_empty() {
            return Err(String::new());
        }
        return Ok(subs.into_iter().map(|n| Node::Sh(Box::new(n))).collect());
    }
    if take_func("wsh", &mut expr) {
        if !matches!(ctx, Ctx::Top | Ctx::P2sh) {
            return Err("Can only have wsh() at top level or inside sh()".into());
        }
        let subs = parse_script(&mut expr, Ctx::P2wsh, network)?;
        if !expr.is_empty() {
            return Err(String::new());
        }
        return Ok(subs.into_iter().map(|n| Node::Wsh(Box::new(n))).collect());
    }
    if take_func("addr", &mut expr) {
        if ctx != Ctx::Top {
            return Err("Can only have addr() at top level".into());
        }
        let dest =
            decode_destination(expr, network).map_err(|_| "Address is not valid".to_string())?;
        return Ok(vec![Node::Addr(dest)]);
    }
    if take_func("tr", &mut expr) {
        if ctx != Ctx::Top {
            return Err("Can only have tr at top level".into());
        }
        return parse_tr(expr, network);
    }
    if take_func("rawtr", &mut expr) {
        if ctx != Ctx::Top {
            return Err("Can only have rawtr at top level".into());
        }
        let arg = take_expr(&mut expr);
        if !expr.is_empty() {
            return Err("rawtr(): only one key expected.".into());
        }
        return each(keys_or("rawtr(): ", arg, Ctx::P2tr, network)?, Node::RawTr);
    }
    if take_func("unused", &mut expr) {
        if ctx != Ctx::Top {
            return Err("Can only have unused at top level".into());
        }
        let arg = take_expr(&mut expr);
        if !expr.is_empty() {
            return Err("unused(): only one key expected".into());
        }
        let keys = parse_key(arg, ctx, network)?;
        if keys.iter().any(KeyExpr::is_range) {
            return Err("unused(): key cannot be ranged".into());
        }
        return each(keys, Node::Unused);
    }
    if take_func("raw", &mut expr) {
        if ctx != Ctx::Top {
            return Err("Can only have raw() at top level".into());
        }
        let Some(script) = chain_json::from_hex(expr) else {
            return Err("Raw script is not hex".into());
        };
        return Ok(vec![Node::Raw(ScriptBuf::from_bytes(script))]);
    }
    if let Some(result) = crate::ms::parse(expr, ctx, network) {
        return result.map(|alternatives| {
            alternatives
                .into_iter()
                .map(|(ms, keys)| Node::Miniscript { ms, keys })
                .collect()
        });
    }
    match ctx {
        Ctx::P2sh => Err("A function is needed within P2SH".into()),
        Ctx::P2wsh => Err("A function is needed within P2WSH".into()),
        _ => Err(format!("'{expr}' is not a valid descriptor function")),
    }
}

fn parse_multi(
    mut expr: &str,
    ctx: Ctx,
    network: Network,
    bare_multi: bool,
    sorted: bool,
) -> Parsed {
    let threshold = take_expr(&mut expr);
    let k = parse_u32(threshold)
        .ok_or_else(|| format!("Multi threshold '{threshold}' is not valid"))?;
    let mut providers: Vec<Vec<KeyExpr>> = Vec::new();
    let mut script_size = 0usize;
    while !expr.is_empty() {
        if !take_const(",", &mut expr, true) {
            let got = expr.chars().next().unwrap_or(' ');
            return Err(format!("Multi: expected ',', got '{got}'"));
        }
        let arg = take_expr(&mut expr);
        let keys = keys_or("Multi: ", arg, ctx, network)?;
        script_size += keys.first().map_or(33, |k| k.size()) + 1;
        providers.push(keys);
    }
    let n = providers.len();
    if bare_multi && (n == 0 || n > MAX_PUBKEYS_PER_MULTISIG) {
        return Err(format!(
            "Cannot have {n} keys in multisig; must have between 1 and {MAX_PUBKEYS_PER_MULTISIG} keys, inclusive"
        ));
    }
    if !bare_multi && (n == 0 || n > MAX_PUBKEYS_PER_MULTI_A) {
        return Err(format!(
            "Cannot have {n} keys in multi_a; must have between 1 and {MAX_PUBKEYS_PER_MULTI_A} keys, inclusive"
        ));
    }
    if k < 1 {
        return Err(format!(
            "Multisig threshold cannot be {k}, must be at least 1"
        ));
    }
    if k as usize > n {
        return Err(format!(
            "Multisig threshold cannot be larger than the number of keys; threshold is {k} but only {n} keys specified"
        ));
    }
    if ctx == Ctx::Top && n > 3 {
        return Err(format!(
            "Cannot have {n} pubkeys in bare multisig; only at most 3 pubkeys"
        ));
    }
    if ctx == Ctx::P2sh && script_size + 3 > MAX_SCRIPT_ELEMENT_SIZE {
        return Err(format!(
            "P2SH script is too large, {} bytes is larger than {MAX_SCRIPT_ELEMENT_SIZE} bytes",
            script_size + 3
        ));
    }
    let width = providers.iter().map(Vec::len).max().unwrap_or(1);
    let lists = align(
        providers,
        width,
        "multi(): Multipath derivation paths have mismatched lengths",
    )?;
    Ok((0..width)
        .map(|i| {
            let keys = pick(&lists, i);
            if bare_multi {
                Node::Multi { k, keys, sorted }
            } else {
                Node::MultiA { k, keys, sorted }
            }
        })
        .collect())
}

fn parse_tr(mut expr: &str, network: Network) -> Parsed {
    let arg = take_expr(&mut expr);
    let internal = keys_or("tr(): ", arg, Ctx::P2tr, network)?;
    let mut width = internal.len();
    let mut subscripts: Vec<Vec<Node>> = Vec::new();
    let mut depths: Vec<u8> = Vec::new();
    if !expr.is_empty() {
        if !take_const(",", &mut expr, true) {
            let got = expr.chars().next().unwrap_or(' ');
            return Err(format!("tr: expected ',', got '{got}'"));
        }
        // false: inside a left branch; true: inside a right branch.
        let mut branches: Vec<bool> = Vec::new();
        loop {
            while take_const("{", &mut expr, true) {
                branches.push(false);
                if branches.len() > TAPROOT_MAX_DEPTH {
                    return Err(format!(
                        "tr() supports at most {TAPROOT_MAX_DEPTH} nesting levels"
                    ));
                }
            }
            let mut sarg = take_expr(&mut expr);
            let subs = parse_script(&mut sarg, Ctx::P2tr, network)?;
            width = width.max(subs.len());
            subscripts.push(subs);
            depths.push(branches.len() as u8);
            while branches.last() == Some(&true) {
                if !take_const("}", &mut expr, true) {
                    return Err("tr(): expected '}' after script expression".into());
                }
                branches.pop();
            }
            if let Some(last) = branches.last_mut() {
                if !take_const(",", &mut expr, true) {
                    return Err("tr(): expected ',' after script expression".into());
                }
                *last = true;
            }
            if branches.is_empty() {
                break;
            }
        }
        if !expr.is_empty() {
            return Err("tr(): expected ')' after script expression".into());
        }
    }
    let lists = align(
        subscripts,
        width,
        "tr(): Multipath subscripts have mismatched lengths",
    )?;
    if internal.len() > 1 && internal.len() != width {
        return Err("tr(): Multipath internal key mismatches multipath subscripts lengths".into());
    }
    let internal = align(vec![internal], width, "")?
        .into_iter()
        .next()
        .unwrap_or_default();
    Ok((0..width)
        .map(|i| Node::Tr {
            key: internal[i].clone(),
            leaves: depths.iter().copied().zip(pick(&lists, i)).collect(),
        })
        .collect())
}
