//! `-getinfo`: a summary assembled from several RPCs and printed as text.

use crate::handlers::{reply, request, split_batch, RequestHandler};
use crate::json::Value;

const ID_NETWORKINFO: usize = 0;
const ID_BLOCKCHAININFO: usize = 1;
const ID_WALLETINFO: usize = 2;
const ID_BALANCES: usize = 3;

/// Builds the `-getinfo` batch and merges its replies.
#[derive(Debug, Clone, Default)]
pub struct GetinfoHandler;

impl RequestHandler for GetinfoHandler {
    fn prepare(&mut self, _method: &str, args: &[String]) -> Result<Value, String> {
        if !args.is_empty() {
            return Err("-getinfo takes no arguments".to_string());
        }
        let ids = [
            ("getnetworkinfo", ID_NETWORKINFO),
            ("getblockchaininfo", ID_BLOCKCHAININFO),
            ("getwalletinfo", ID_WALLETINFO),
            ("getbalances", ID_BALANCES),
        ];
        Ok(Value::Array(
            ids.iter()
                .map(|(m, id)| request(m, Value::Null, Value::Number(id.to_string())))
                .collect(),
        ))
    }

    fn process(&mut self, batch_in: &Value) -> Result<Value, String> {
        let batch = split_batch(batch_in)?;
        // A short batch leaves the missing replies null (never an index panic).
        let batch = |id: usize| batch.get(id).unwrap_or(&Value::Null);
        // Network and chain errors are passed on; the wallet calls may fail
        // when there is no wallet.
        for id in [ID_NETWORKINFO, ID_BLOCKCHAININFO] {
            if !batch(id).get("error").is_null() {
                return Ok(batch(id).clone());
            }
        }
        let net = batch(ID_NETWORKINFO).get("result");
        let chain = batch(ID_BLOCKCHAININFO).get("result");
        let wallet = batch(ID_WALLETINFO).get("result");
        let balances = batch(ID_BALANCES).get("result");
        let mut r = Value::Object(Vec::new());
        r.push_kv("version", net.get("version").clone());
        r.push_kv("blocks", chain.get("blocks").clone());
        r.push_kv("headers", chain.get("headers").clone());
        r.push_kv(
            "verificationprogress",
            chain.get("verificationprogress").clone(),
        );
        r.push_kv("timeoffset", net.get("timeoffset").clone());
        let mut connections = Value::Object(Vec::new());
        connections.push_kv("in", net.get("connections_in").clone());
        connections.push_kv("out", net.get("connections_out").clone());
        connections.push_kv("total", net.get("connections").clone());
        r.push_kv("connections", connections);
        r.push_kv("networks", net.get("networks").clone());
        r.push_kv("difficulty", chain.get("difficulty").clone());
        r.push_kv("chain", chain.get("chain").clone());
        if !wallet.is_null() {
            r.push_kv("has_wallet", Value::Bool(true));
            r.push_kv("keypoolsize", wallet.get("keypoolsize").clone());
            r.push_kv("walletname", wallet.get("walletname").clone());
            if !wallet.get("unlocked_until").is_null() {
                r.push_kv("unlocked_until", wallet.get("unlocked_until").clone());
            }
        }
        if !balances.is_null() {
            r.push_kv("balance", balances.get("mine").get("trusted").clone());
        }
        r.push_kv("relayfee", net.get("relayfee").clone());
        r.push_kv("warnings", net.get("warnings").clone());
        Ok(reply(r))
    }
}

/// A progress bar of 5% steps, or empty when `progress` is outside 0..=1.
pub fn progress_bar(progress: f64) -> String {
    const STEP: f64 = 0.05;
    let mut bar = String::new();
    if !(0.0..=1.0).contains(&progress) {
        return bar;
    }
    let mut i = 0.0;
    while i < progress / STEP {
        bar.push('\u{2592}');
        i += 1.0;
    }
    let mut i = 0.0;
    while i < (1.0 - progress) / STEP {
        bar.push('\u{2591}');
        i += 1.0;
    }
    bar
}

/// ANSI colours for the text, or none.
struct Colors {
    reset: &'static str,
    green: &'static str,
    blue: &'static str,
    yellow: &'static str,
    magenta: &'static str,
    cyan: &'static str,
}

/// Renders the merged `-getinfo` object as Core's text; `colorize` adds ANSI colours.
pub fn render(result: &Value, colorize: bool) -> Result<String, String> {
    let c = if colorize {
        Colors {
            reset: "\x1B[0m",
            green: "\x1B[32m",
            blue: "\x1B[34m",
            yellow: "\x1B[33m",
            magenta: "\x1B[35m",
            cyan: "\x1B[36m",
        }
    } else {
        Colors {
            reset: "",
            green: "",
            blue: "",
            yellow: "",
            magenta: "",
            cyan: "",
        }
    };
    let s = |k: &str| result.get(k).val_str();
    let mut out = format!("{}Chain: {}{}\n", c.blue, s("chain"), c.reset);
    out += &format!("Blocks: {}\n", s("blocks"));
    out += &format!("Headers: {}\n", s("headers"));
    let progress = result.get("verificationprogress").get_real()?;
    let mut bar = String::new();
    if progress < 0.99 {
        bar = progress_bar(progress);
        bar.push(' ');
    }
    out += &format!("Verification progress: {bar}{:.4}%\n", progress * 100.0);
    out += &format!("Difficulty: {}\n\n", s("difficulty"));
    let conns = result.get("connections");
    out += &format!(
        "{}Network: in {}, out {}, total {}{}\n",
        c.green,
        conns.get("in").val_str(),
        conns.get("out").val_str(),
        conns.get("total").val_str(),
        c.reset
    );
    out += &format!("Version: {}\n", s("version"));
    out += &format!("Time offset (s): {}\n", s("timeoffset"));

    // Networks grouped by proxy, proxies in order of first appearance.
    let mut proxies: Vec<(String, Vec<String>)> = Vec::new();
    for network in result.get("networks").get_values()? {
        let proxy = network.get("proxy").val_str();
        if proxy.is_empty() {
            continue;
        }
        let name = network.get("name").val_str();
        match proxies.iter_mut().find(|(p, _)| *p == proxy) {
            Some((_, names)) => names.push(name),
            None => proxies.push((proxy, vec![name])),
        }
    }
    let proxies_text = if proxies.is_empty() {
        "n/a".to_string()
    } else {
        proxies
            .iter()
            .map(|(p, names)| format!("{p} ({})", names.join(", ")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    out += &format!("Proxies: {proxies_text}\n");
    out += &format!("Min tx relay fee rate (BTC/kvB): {}\n\n", s("relayfee"));

    if !result.get("has_wallet").is_null() {
        let name = s("walletname");
        let name = if name.is_empty() {
            "\"\"".to_string()
        } else {
            name
        };
        out += &format!("{}Wallet: {name}{}\n", c.magenta, c.reset);
        out += &format!("Keypool size: {}\n", s("keypoolsize"));
        if !result.get("unlocked_until").is_null() {
            out += &format!("Unlocked until: {}\n", s("unlocked_until"));
        }
    }
    if !result.get("balance").is_null() {
        out += &format!("{}Balance:{} {}\n\n", c.cyan, c.reset, s("balance"));
    }
    let balances = result.get("balances");
    if !balances.is_null() {
        out += &format!("{}Balances{}\n", c.cyan, c.reset);
        let keys = balances.get_keys()?;
        let width = keys
            .iter()
            .map(|k| balances.get(k).val_str().len())
            .fold(10, usize::max);
        for k in keys {
            let name = if k.is_empty() { "\"\"" } else { k };
            let balance = balances.get(k).val_str();
            // C's `%*s` pads by bytes.
            let pad = " ".repeat(width.saturating_sub(balance.len()));
            out += &format!("{pad}{balance} {name}\n");
        }
        out.push('\n');
    }
    let warnings = s("warnings");
    let warnings = if warnings.is_empty() {
        "(none)".to_string()
    } else {
        warnings
    };
    out += &format!("{}Warnings:{} {warnings}", c.yellow, c.reset);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const NETINFO: &str = r#"{"result":{"version":310000,"subversion":"/Satoshi:31.0.0/","protocolversion":70016,"timeoffset":0,"connections":3,"connections_in":1,"connections_out":2,"networks":[{"name":"ipv4","proxy":"127.0.0.1:9050"},{"name":"ipv6","proxy":""},{"name":"onion","proxy":"127.0.0.1:9050"}],"relayfee":0.00001000,"warnings":[]},"error":null,"id":0}"#;
    const CHAININFO: &str = r#"{"result":{"chain":"regtest","blocks":101,"headers":101,"verificationprogress":1,"difficulty":4.656542373906925e-10},"error":null,"id":1}"#;

    fn batch(wallet: &str, balances: &str) -> Value {
        Value::parse(&format!("[{NETINFO},{CHAININFO},{wallet},{balances}]")).unwrap()
    }

    #[test]
    fn without_wallet() {
        let no_wallet =
            r#"{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":2}"#;
        let no_bal =
            r#"{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":3}"#;
        let merged = GetinfoHandler.process(&batch(no_wallet, no_bal)).unwrap();
        let text = render(merged.get("result"), false).unwrap();
        assert_eq!(
            text,
            "Chain: regtest\nBlocks: 101\nHeaders: 101\nVerification progress: 100.0000%\nDifficulty: 4.656542373906925e-10\n\nNetwork: in 1, out 2, total 3\nVersion: 310000\nTime offset (s): 0\nProxies: 127.0.0.1:9050 (ipv4, onion)\nMin tx relay fee rate (BTC/kvB): 0.00001000\n\nWarnings: (none)"
        );
    }

    #[test]
    fn with_wallet_and_balances() {
        let wallet = r#"{"result":{"walletname":"","keypoolsize":1000,"unlocked_until":0},"error":null,"id":2}"#;
        let bal = r#"{"result":{"mine":{"trusted":50.00000000}},"error":null,"id":3}"#;
        let mut merged = GetinfoHandler.process(&batch(wallet, bal)).unwrap();
        let mut result = merged.get("result").clone();
        result.push_kv(
            "balances",
            Value::parse(r#"{"":1.00000000,"w2":12345678.12345678}"#).unwrap(),
        );
        merged.push_kv("result", result);
        let text = render(merged.get("result"), true).unwrap();
        assert!(text.starts_with("\x1B[34mChain: regtest\x1B[0m\n"));
        assert!(text.contains("\x1B[35mWallet: \"\"\x1B[0m\nKeypool size: 1000\nUnlocked until: 0\n\x1B[36mBalance:\x1B[0m 50.00000000\n\n"));
        assert!(text
            .contains("\x1B[36mBalances\x1B[0m\n       1.00000000 \"\"\n12345678.12345678 w2\n\n"));
    }

    #[test]
    fn errors_pass_through() {
        let err = r#"{"result":null,"error":{"code":-28,"message":"Loading"},"id":1}"#;
        let b = Value::parse(&format!("[{NETINFO},{err},{{\"id\":2}},{{\"id\":3}}]")).unwrap();
        let out = GetinfoHandler.process(&b).unwrap();
        assert_eq!(out.get("error").get("code").write(), "-28");
    }

    #[test]
    fn short_batch_does_not_panic() {
        let b = Value::parse(&format!("[{NETINFO},{CHAININFO}]")).unwrap();
        let merged = GetinfoHandler.process(&b).unwrap();
        assert!(merged.get("result").get("has_wallet").is_null());
        assert!(GetinfoHandler.process(&Value::Array(vec![])).is_ok());
    }

    #[test]
    fn bar() {
        assert_eq!(progress_bar(0.5).chars().count(), 20);
        assert_eq!(progress_bar(0.0), "\u{2591}".repeat(20));
        assert_eq!(progress_bar(1.5), "");
        let r = Value::parse(r#"{"verificationprogress":0.5,"networks":[]}"#).unwrap();
        let t = render(&r, false).unwrap();
        assert!(t.contains(&format!(
            "Verification progress: {}{} 50.0000%\n",
            "\u{2592}".repeat(10),
            "\u{2591}".repeat(10)
        )));
    }
}
