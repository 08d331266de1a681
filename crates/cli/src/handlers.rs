//! Turning a command line into a JSON-RPC request and the reply into a result.
//!
//! Each CLI mode has a handler: plain RPC calls, `-getinfo`, `-netinfo`,
//! `-addrinfo` and `-generate`. A handler prepares the request (one object or
//! a batch) and reshapes the reply into a `{"result":…}`/`{"error":…}` object.

use crate::convert;
use crate::json::Value;

/// `RPC_METHOD_NOT_FOUND`.
pub const RPC_METHOD_NOT_FOUND: i64 = -32601;

/// A JSON-RPC request object as Core's client builds it.
pub fn request(method: &str, params: Value, id: Value) -> Value {
    Value::Object(vec![
        ("method".to_string(), Value::str(method)),
        ("params".to_string(), params),
        ("id".to_string(), id),
        ("jsonrpc".to_string(), Value::str("2.0")),
    ])
}

/// A JSON-RPC 2.0 success reply wrapping `result`, with id 1.
pub fn reply(result: Value) -> Value {
    Value::Object(vec![
        ("jsonrpc".to_string(), Value::str("2.0")),
        ("result".to_string(), result),
        ("id".to_string(), Value::from_i64(1)),
    ])
}

/// Splits a batch reply by id, as Core's `JSONRPCProcessBatchReply`.
pub fn split_batch(batch: &Value) -> Result<Vec<Value>, String> {
    let Value::Array(items) = batch else {
        return Err("Batch must be an array".to_string());
    };
    let mut out = vec![Value::Null; items.len()];
    for item in items {
        if !matches!(item, Value::Object(_)) {
            return Err("Batch member must be an object".to_string());
        }
        let id = item.get("id").get_i32()?;
        match usize::try_from(id).ok().filter(|i| *i < out.len()) {
            Some(i) => out[i] = item.clone(),
            None => return Err("Batch member id is larger than batch size".to_string()),
        }
    }
    Ok(out)
}

/// Prepares requests and processes replies for one CLI mode.
pub trait RequestHandler {
    /// The request (object or batch array) for `method` with `args`.
    fn prepare(&mut self, method: &str, args: &[String]) -> Result<Value, String>;
    /// The reply reshaped into an object with `result` or `error`.
    fn process(&mut self, reply: &Value) -> Result<Value, String>;
}

/// A plain RPC call.
#[derive(Debug, Clone)]
pub struct DefaultHandler {
    /// `-named`.
    pub named: bool,
    /// `-rpcid`.
    pub id: String,
}

impl RequestHandler for DefaultHandler {
    fn prepare(&mut self, method: &str, args: &[String]) -> Result<Value, String> {
        let params = if self.named {
            convert::named(method, args)
        } else {
            convert::positional(method, args)
        }
        .map_err(|e| e.to_string())?;
        Ok(request(method, params, Value::str(self.id.as_str())))
    }

    fn process(&mut self, reply: &Value) -> Result<Value, String> {
        reply.get_obj().cloned()
    }
}

/// `-generate`: `generatetoaddress` with the address from `getnewaddress`.
#[derive(Debug, Clone, Default)]
pub struct GenerateHandler {
    address: String,
}

impl RequestHandler for GenerateHandler {
    fn prepare(&mut self, _method: &str, args: &[String]) -> Result<Value, String> {
        self.address = args.get(1).cloned().unwrap_or_default();
        let params = convert::positional("generatetoaddress", args).map_err(|e| e.to_string())?;
        Ok(request("generatetoaddress", params, Value::from_i64(1)))
    }

    fn process(&mut self, reply: &Value) -> Result<Value, String> {
        let blocks = reply.get_obj()?.get("result").clone();
        Ok(reply_obj(vec![
            ("address", Value::str(self.address.as_str())),
            ("blocks", blocks),
        ]))
    }
}

fn reply_obj(members: Vec<(&str, Value)>) -> Value {
    reply(Value::Object(
        members
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    ))
}

/// The arguments of `-generate` around `address`: `nblocks address [maxtries]`.
pub fn generate_args(address: &str, mut args: Vec<String>) -> Result<Vec<String>, String> {
    if args.len() > 2 {
        return Err("too many arguments (maximum 2 for nblocks and maxtries)".to_string());
    }
    if args.is_empty() {
        args.push(crate::args::DEFAULT_NBLOCKS.to_string());
    } else if args[0] == "0" {
        return Err(format!(
            "the first argument (number of blocks to generate, default: {}) must be an integer value greater than zero",
            crate::args::DEFAULT_NBLOCKS
        ));
    }
    args.insert(1, address.to_string());
    Ok(args)
}

/// `-addrinfo`: address counts per network from `getaddrmaninfo`.
#[derive(Debug, Clone, Default)]
pub struct AddrinfoHandler;

impl RequestHandler for AddrinfoHandler {
    fn prepare(&mut self, _method: &str, args: &[String]) -> Result<Value, String> {
        if !args.is_empty() {
            return Err("-addrinfo takes no arguments".to_string());
        }
        Ok(request("getaddrmaninfo", Value::Null, Value::from_i64(1)))
    }

    fn process(&mut self, reply: &Value) -> Result<Value, String> {
        let error = reply.get("error");
        if !error.is_null() {
            if error.get("code").get_int()? == RPC_METHOD_NOT_FOUND {
                return Err("-addrinfo requires bitcoind v26.0 or later which supports getaddrmaninfo RPC. Please upgrade your node or use bitcoin-cli from the same version.".to_string());
            }
            return Ok(reply.clone());
        }
        let result = reply.get("result");
        let mut addresses = Value::Object(Vec::new());
        for (name, counts) in result.get_keys()?.into_iter().zip(result.get_values()?) {
            let total = Value::from_i64(i64::from(counts.get("total").get_i32()?));
            let key = if name == "all_networks" {
                "total"
            } else {
                name
            };
            addresses.push_kv(key, total);
        }
        Ok(reply_obj(vec![("addresses_known", addresses)]))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn request_shape() {
        let mut h = DefaultHandler {
            named: false,
            id: "1".into(),
        };
        let r = h.prepare("getblockhash", &["0".to_string()]).unwrap();
        assert_eq!(
            r.write(),
            r#"{"method":"getblockhash","params":[0],"id":"1","jsonrpc":"2.0"}"#
        );
        assert_eq!(
            h.process(&Value::from_i64(3)).unwrap_err(),
            "JSON value of type number is not of expected type object"
        );
    }

    #[test]
    fn generate_arguments() {
        assert_eq!(generate_args("a", vec![]).unwrap(), vec!["1", "a"]);
        assert_eq!(
            generate_args("a", vec!["4".into(), "9".into()]).unwrap(),
            vec!["4", "a", "9"]
        );
        assert!(generate_args("a", vec!["0".into()])
            .unwrap_err()
            .starts_with("the first argument"));
        assert!(generate_args("a", vec!["1".into(), "2".into(), "3".into()]).is_err());
        let mut g = GenerateHandler::default();
        let req = g.prepare("", &["2".into(), "bcrt1q".into()]).unwrap();
        assert_eq!(
            req.write(),
            r#"{"method":"generatetoaddress","params":[2,"bcrt1q"],"id":1,"jsonrpc":"2.0"}"#
        );
        let out = g
            .process(&Value::parse(r#"{"result":["h1","h2"],"error":null,"id":1}"#).unwrap())
            .unwrap();
        assert_eq!(
            out.get("result").write(),
            r#"{"address":"bcrt1q","blocks":["h1","h2"]}"#
        );
    }

    #[test]
    fn addrinfo_counts() {
        let mut h = AddrinfoHandler;
        let reply = Value::parse(r#"{"result":{"ipv4":{"new":1,"tried":2,"total":3},"all_networks":{"new":1,"tried":2,"total":3}},"id":1}"#).unwrap();
        let out = h.process(&reply).unwrap();
        assert_eq!(
            out.get("result").write(),
            r#"{"addresses_known":{"ipv4":3,"total":3}}"#
        );
        let missing =
            Value::parse(r#"{"error":{"code":-32601,"message":"Method not found"},"id":1}"#)
                .unwrap();
        assert!(h
            .process(&missing)
            .unwrap_err()
            .starts_with("-addrinfo requires"));
    }

    #[test]
    fn batch_split() {
        let b = Value::parse(r#"[{"id":1,"result":2},{"id":0,"result":1}]"#).unwrap();
        let v = split_batch(&b).unwrap();
        assert_eq!(v[0].get("result").write(), "1");
        assert_eq!(
            split_batch(&Value::parse(r#"[{"id":5}]"#).unwrap()).unwrap_err(),
            "Batch member id is larger than batch size"
        );
        assert_eq!(
            split_batch(&Value::Null).unwrap_err(),
            "Batch must be an array"
        );
    }
}
