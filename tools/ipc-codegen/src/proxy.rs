//! Emits `<file>_ipc.rs`: per method, its [`MethodInfo`] and one accessor pair per field
//! with a uniform signature, so the `#[ipc::interface]` attribute can map trait
//! parameters to schema fields by name without knowing each field's Cap'n Proto type.

use std::collections::HashMap;
use std::fmt::Write;

use capnp::schema_capnp::{field, node, type_};

/// Type ID of libmultiprocess's `Context` struct, which generated code passes implicitly.
const CONTEXT_ID: u64 = 0x9c44_e664_5d0b_22c6;

pub struct Schema<'a> {
    pub nodes: HashMap<u64, node::Reader<'a>>,
    /// Accessors emitted by the last `fields` call: (field, bound, is a list), for tuples.
    pub emitted: std::cell::RefCell<Vec<(String, String, bool)>>,
    /// Rust module path of each file-level node or file.
    pub paths: HashMap<u64, String>,
}

pub fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    if matches!(
        out.as_str(),
        "type"
            | "struct"
            | "match"
            | "ref"
            | "fn"
            | "mod"
            | "use"
            | "in"
            | "impl"
            | "self"
            | "super"
            | "where"
            | "loop"
            | "move"
            | "box"
    ) {
        out.push('_');
    }
    out
}

enum Kind {
    Prim(&'static str),
    Text,
    Data,
    Struct(String, u64),
    Cap(String),
    List(Box<Kind>),
    Context,
    Unsupported,
}

impl Schema<'_> {
    fn kind(&self, t: type_::Reader<'_>) -> capnp::Result<Kind> {
        use type_::Which as T;
        Ok(match t.which()? {
            T::Void(()) => Kind::Prim("()"),
            T::Bool(()) => Kind::Prim("bool"),
            T::Int8(()) => Kind::Prim("i8"),
            T::Int16(()) => Kind::Prim("i16"),
            T::Int32(()) => Kind::Prim("i32"),
            T::Int64(()) => Kind::Prim("i64"),
            T::Uint8(()) => Kind::Prim("u8"),
            T::Uint16(()) => Kind::Prim("u16"),
            T::Uint32(()) => Kind::Prim("u32"),
            T::Uint64(()) => Kind::Prim("u64"),
            T::Float32(()) => Kind::Prim("f32"),
            T::Float64(()) => Kind::Prim("f64"),
            T::Text(()) => Kind::Text,
            T::Data(()) => Kind::Data,
            T::Struct(s) if s.get_type_id() == CONTEXT_ID => Kind::Context,
            T::Struct(s) => match self.paths.get(&s.get_type_id()) {
                Some(p) => Kind::Struct(p.clone(), s.get_type_id()),
                None => Kind::Unsupported,
            },
            T::Interface(i) => match self.paths.get(&i.get_type_id()) {
                Some(p) => Kind::Cap(format!("{p}::Client")),
                None => Kind::Unsupported,
            },
            T::List(l) => Kind::List(Box::new(self.kind(l.get_element_type()?)?)),
            _ => Kind::Unsupported,
        })
    }

    /// If struct `id` is a map entry (exactly the fields `key` and `value`), their kinds.
    fn entry_kinds(&self, id: u64) -> capnp::Result<Option<(Kind, Kind)>> {
        let Some(node) = self.nodes.get(&id) else {
            return Ok(None);
        };
        let node::Struct(st) = node.which()? else {
            return Ok(None);
        };
        let fields: Vec<field::Reader<'_>> = st.get_fields()?.iter().collect();
        if fields.len() != 2 {
            return Ok(None);
        }
        let mut kinds = Vec::new();
        for (f, want) in fields.iter().zip(["key", "value"]) {
            let field::Slot(slot) = f.which()? else {
                return Ok(None);
            };
            if f.get_name()?.to_str()? != want {
                return Ok(None);
            }
            kinds.push(self.kind(slot.get_type()?)?);
        }
        let value = kinds.pop();
        let key = kinds.pop();
        Ok(key.zip(value))
    }

    /// Emits the accessors of every field of struct `id`, whose typed module is `path`.
    fn fields(&self, out: &mut String, id: u64, path: &str, nested: bool) -> capnp::Result<bool> {
        let node = self.nodes[&id];
        let node::Struct(st) = node.which()? else {
            return Ok(false);
        };
        let fields: Vec<field::Reader<'_>> = st.get_fields()?.iter().collect();
        let names: Vec<String> = fields
            .iter()
            .map(|f| f.get_name().map(|n| n.to_string().unwrap_or_default()))
            .collect::<Result<_, _>>()?;
        let mut has_context = false;
        self.emitted.borrow_mut().clear();
        let b = format!("{path}::Builder<'_>");
        let r = format!("{path}::Reader<'_>");
        for (f, name) in fields.iter().zip(&names) {
            let field::Slot(slot) = f.which()? else {
                continue;
            };
            let s = snake(name);
            let kind = self.kind(slot.get_type()?)?;
            let has_flag = names
                .iter()
                .any(|n| *n == format!("has{}{}", name[..1].to_uppercase(), &name[1..]));
            let has_s = snake(&format!("has{}{}", name[..1].to_uppercase(), &name[1..]));
            match &kind {
                Kind::Context => {
                    has_context = true;
                    writeln!(out, "    pub fn write_context(b: &mut {b}, cx: &mut ::ipc::BuildCx) {{ cx.write_context(b.reborrow().init_{s}()) }}").ok();
                    writeln!(out, "    pub fn read_context(p: ::ipc::capnp::any_pointer::Reader<'_>) -> ::ipc::capnp::Result<Option<::ipc::proxy_capnp::context::Reader<'_>>> {{ let p: {r} = p.get_as()?; if p.has_{s}() {{ Ok(Some(p.get_{s}()?)) }} else {{ Ok(None) }} }}").ok();
                    continue;
                }
                Kind::Unsupported => continue,
                _ => {}
            }
            let (bound, set, get, is_ptr) = match &kind {
                Kind::Prim(p) => (
                    format!("::ipc::value::Prim<{p}>"),
                    format!("b.set_{s}(v.to_prim()); Ok(())"),
                    format!("V::from_prim(r.get_{s}())"),
                    false,
                ),
                Kind::Text => (
                    "::ipc::value::Text".into(),
                    format!("b.set_{s}(&*v.to_text()); Ok(())"),
                    format!("V::from_text(r.get_{s}()?)"),
                    true,
                ),
                Kind::Data => (
                    "::ipc::value::Data".into(),
                    format!("b.set_{s}(&*v.to_data()); Ok(())"),
                    format!("V::from_data(r.get_{s}()?)"),
                    true,
                ),
                Kind::Struct(p, _) => (
                    format!("::ipc::value::Struct<{p}::Owned>"),
                    format!("v.write(b.reborrow().init_{s}(), cx)"),
                    format!("V::read(r.get_{s}()?, cx)"),
                    true,
                ),
                Kind::Cap(c) => (
                    format!("::ipc::value::Cap<{c}>"),
                    format!("b.set_{s}(v.to_cap(cx)?); Ok(())"),
                    format!("V::from_cap(r.get_{s}()?, cx)"),
                    true,
                ),
                Kind::List(e) => {
                    let (bound, item_set, item_get) = match e.as_ref() {
                        Kind::Prim(p) => (
                            format!("::ipc::value::Prim<{p}>"),
                            "l.set(i as u32, x.to_prim());".to_string(),
                            "V::from_prim(x)".to_string(),
                        ),
                        Kind::Text => (
                            "::ipc::value::Text".into(),
                            "l.set(i as u32, &*x.to_text());".into(),
                            "V::from_text(x?)".into(),
                        ),
                        Kind::Data => (
                            "::ipc::value::Data".into(),
                            "l.set(i as u32, &*x.to_data());".into(),
                            "V::from_data(x?)".into(),
                        ),
                        Kind::Struct(p, _) => (
                            format!("::ipc::value::Struct<{p}::Owned>"),
                            "x.write(l.reborrow().get(i as u32), cx)?;".into(),
                            "V::read(x, cx)".into(),
                        ),
                        _ => continue,
                    };
                    if nested {
                        writeln!(out, "    pub mod {s} {{ #![allow(unused_mut)] pub fn set<V: {bound}>(b: &mut {b}, v: Vec<V>, cx: &mut ::ipc::BuildCx) -> ::ipc::Result<()> {{ let _ = &cx; let mut l = b.reborrow().init_{s}(v.len() as u32); for (i, x) in v.into_iter().enumerate() {{ {item_set} }} Ok(()) }} pub fn get<V: {bound}>(r: &{r}, cx: &::ipc::ReadCx) -> ::ipc::Result<Vec<V>> {{ let _ = &cx; r.get_{s}()?.iter().map(|x| {item_get}).collect() }} }}").ok();
                        continue;
                    }
                    if let Kind::Struct(ep, eid) = e.as_ref() {
                        if let Some((k, v)) = self.entry_kinds(*eid)? {
                            if let (Some((kb, kset, kget)), Some((vb, vset, vget))) =
                                (scalar(&k, "key"), scalar(&v, "value"))
                            {
                                writeln!(out, "    pub fn set_{s}_map<K: {kb}, V: {vb}, M: IntoIterator<Item = (K, V)>>(b: &mut {b}, m: M, _cx: &mut ::ipc::BuildCx) -> ::ipc::Result<()> {{ let items: Vec<(K, V)> = m.into_iter().collect(); let mut l = b.reborrow().init_{s}(items.len() as u32); for (i, (k, v)) in items.into_iter().enumerate() {{ let mut e: {ep}::Builder<'_> = l.reborrow().get(i as u32); {kset} {vset} }} Ok(()) }}").ok();
                                writeln!(out, "    pub fn get_{s}_map<K: {kb}, V: {vb}, M: FromIterator<(K, V)>>(r: &{r}, _cx: &::ipc::ReadCx) -> ::ipc::Result<M> {{ r.get_{s}()?.iter().map(|e| Ok(({kget}, {vget}))).collect() }}").ok();
                            }
                        }
                    }
                    if !has_flag_of_other(&names, name) {
                        self.emitted
                            .borrow_mut()
                            .push((s.clone(), bound.clone(), true));
                    }
                    writeln!(out, "    pub fn set_{s}<V: {bound}>(b: &mut {b}, v: Vec<V>, cx: &mut ::ipc::BuildCx) -> ::ipc::Result<()> {{ let _ = &cx; let mut l = b.reborrow().init_{s}(v.len() as u32); for (i, x) in v.into_iter().enumerate() {{ {item_set} }} Ok(()) }}").ok();
                    writeln!(out, "    pub fn get_{s}<V: {bound}>(r: &{r}, cx: &::ipc::ReadCx) -> ::ipc::Result<Vec<V>> {{ let _ = &cx; r.get_{s}()?.iter().map(|x| {item_get}).collect() }}").ok();
                    writeln!(out, "    pub fn set_{s}_opt<V: {bound}>(b: &mut {b}, v: Option<Vec<V>>, cx: &mut ::ipc::BuildCx) -> ::ipc::Result<()> {{ match v {{ Some(v) => set_{s}(b, v, cx), None => Ok(()) }} }}").ok();
                    writeln!(out, "    pub fn get_{s}_opt<V: {bound}>(r: &{r}, cx: &::ipc::ReadCx) -> ::ipc::Result<Option<Vec<V>>> {{ if r.has_{s}() {{ get_{s}(r, cx).map(Some) }} else {{ Ok(None) }} }}").ok();
                    continue;
                }
                Kind::Context | Kind::Unsupported => continue,
            };
            if nested {
                // One module per field, so `ipc::impl_struct!` can name accessors without pasting identifiers.
                writeln!(out, "    pub mod {s} {{ #![allow(unused_mut)] pub fn set<V: {bound}>(b: &mut {b}, v: V, cx: &mut ::ipc::BuildCx) -> ::ipc::Result<()> {{ let _ = &cx; {set} }} pub fn get<V: {bound}>(r: &{r}, cx: &::ipc::ReadCx) -> ::ipc::Result<V> {{ let _ = &cx; {get} }} }}").ok();
                continue;
            }
            if !has_flag_of_other(&names, name) {
                self.emitted
                    .borrow_mut()
                    .push((s.clone(), bound.clone(), false));
            }
            writeln!(out, "    pub fn set_{s}<V: {bound}>(b: &mut {b}, v: V, cx: &mut ::ipc::BuildCx) -> ::ipc::Result<()> {{ let _ = &cx; {set} }}").ok();
            writeln!(out, "    pub fn get_{s}<V: {bound}>(r: &{r}, cx: &::ipc::ReadCx) -> ::ipc::Result<V> {{ let _ = &cx; {get} }}").ok();
            if has_flag && !nested {
                writeln!(out, "    pub fn set_{s}_opt<V: {bound}>(b: &mut {b}, v: Option<V>, cx: &mut ::ipc::BuildCx) -> ::ipc::Result<()> {{ b.set_{has_s}(v.is_some()); match v {{ Some(v) => set_{s}(b, v, cx), None => Ok(()) }} }}").ok();
                writeln!(out, "    pub fn get_{s}_opt<V: {bound}>(r: &{r}, cx: &::ipc::ReadCx) -> ::ipc::Result<Option<V>> {{ if r.get_{has_s}() {{ get_{s}(r, cx).map(Some) }} else {{ Ok(None) }} }}").ok();
            } else if is_ptr {
                writeln!(out, "    pub fn set_{s}_opt<V: {bound}>(b: &mut {b}, v: Option<V>, cx: &mut ::ipc::BuildCx) -> ::ipc::Result<()> {{ match v {{ Some(v) => set_{s}(b, v, cx), None => Ok(()) }} }}").ok();
                writeln!(out, "    pub fn get_{s}_opt<V: {bound}>(r: &{r}, cx: &::ipc::ReadCx) -> ::ipc::Result<Option<V>> {{ if r.has_{s}() {{ get_{s}(r, cx).map(Some) }} else {{ Ok(None) }} }}").ok();
            }
        }
        Ok(has_context)
    }

    /// `set_tuple`/`get_tuple` over every result field, for methods returning several values.
    fn tuple(&self, out: &mut String, path: &str) {
        let fields = self.emitted.borrow();
        if fields.len() < 2 {
            return;
        }
        let generics: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(i, (_, bound, _))| format!("V{i}: {bound}"))
            .collect();
        let types: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(i, (_, _, list))| {
                if *list {
                    format!("Vec<V{i}>")
                } else {
                    format!("V{i}")
                }
            })
            .collect();
        let sets: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(i, (f, _, _))| format!("set_{f}(b, v.{i}, cx)?;"))
            .collect();
        let gets: Vec<String> = fields
            .iter()
            .map(|(f, _, _)| format!("get_{f}(r, cx)?"))
            .collect();
        let (g, t) = (generics.join(", "), types.join(", "));
        writeln!(out, "    /// Every result field, in ordinal order.\n    pub fn set_tuple<{g}>(b: &mut {path}::Builder<'_>, v: ({t}), cx: &mut ::ipc::BuildCx) -> ::ipc::Result<()> {{ {} Ok(()) }}", sets.join(" ")).ok();
        writeln!(out, "    /// Every result field, in ordinal order.\n    pub fn get_tuple<{g}>(r: &{path}::Reader<'_>, cx: &::ipc::ReadCx) -> ::ipc::Result<({t})> {{ Ok(({},)) }}", gets.join(", ")).ok();
    }

    /// Emits the module of one file.
    pub fn file(&self, file_id: u64) -> capnp::Result<String> {
        let mut out = String::new();
        out.push_str("// @generated by ipc-codegen from the .capnp schema; do not edit.\n\n");
        let file = self.nodes[&file_id];
        for nested in file.get_nested_nodes()? {
            let id = nested.get_id();
            let name = nested.get_name()?.to_string().unwrap_or_default();
            let node = self.nodes[&id];
            let path = &self.paths[&id];
            match node.which()? {
                node::Interface(iface) => {
                    writeln!(
                        out,
                        "/// Methods of interface `{name}`.\npub mod {} {{",
                        snake(&name)
                    )
                    .ok();
                    writeln!(out, "pub const INTERFACE_ID: u64 = {id:#x};\npub const NAME: &str = \"{name}\";\npub type Client = {path}::Client;").ok();
                    let methods: Vec<String> = iface
                        .get_methods()?
                        .iter()
                        .map(|m| m.get_name().map(|n| n.to_string().unwrap_or_default()))
                        .collect::<Result<_, _>>()?;
                    writeln!(out, "/// Description of the method with this ordinal.\npub fn method_info(ordinal: u16) -> Option<&'static ::ipc::MethodInfo> {{\n    match ordinal {{").ok();
                    for (i, m) in methods.iter().enumerate() {
                        writeln!(out, "        {i} => Some(&{}::INFO),", snake(m)).ok();
                    }
                    writeln!(out, "        _ => None,\n    }}\n}}").ok();
                    match methods.iter().position(|m| m == "destroy") {
                        Some(i) => {
                            writeln!(out, "pub const DESTROY_ORDINAL: Option<u16> = Some({i});")
                                .ok();
                            writeln!(out, "/// Destroys the remote object before its reference is released.\npub fn destroy(remote: &::std::sync::Arc<::ipc::ImportRef>) -> ::ipc::Result<()> {{ ::ipc::client::call::<destroy::Params, destroy::Results, ()>(remote, &destroy::INFO, |mut p, cx| {{ destroy::write_context(&mut p, cx); Ok(()) }}, |_, _| Ok(())) }}").ok();
                        }
                        None => {
                            writeln!(out, "pub const DESTROY_ORDINAL: Option<u16> = None;").ok();
                            writeln!(out, "/// This interface has no destroy method.\npub fn destroy(_remote: &::std::sync::Arc<::ipc::ImportRef>) -> ::ipc::Result<()> {{ Ok(()) }}").ok();
                        }
                    }
                    for m in iface.get_methods()? {
                        let mname = m.get_name()?.to_string().unwrap_or_default();
                        let ms = snake(&mname);
                        let params = format!("{path}::{ms}_params");
                        let results = format!("{path}::{ms}_results");
                        writeln!(out, "/// `{name}.{mname}` (@{}).\npub mod {ms} {{\n    #![allow(unused_mut, clippy::needless_borrow, clippy::useless_conversion)]", m.get_code_order()).ok();
                        writeln!(out, "    pub type Params = {params}::Owned;\n    pub type Results = {results}::Owned;").ok();
                        writeln!(
                            out,
                            "    pub const ORDINAL: u16 = {};",
                            ordinal(iface, &mname)?
                        )
                        .ok();
                        let mut body = String::new();
                        let has_context =
                            self.fields(&mut body, m.get_param_struct_type(), &params, false)?;
                        if !has_context {
                            writeln!(out, "    pub fn write_context(_b: &mut {params}::Builder<'_>, _cx: &mut ::ipc::BuildCx) {{}}").ok();
                        }
                        out.push_str(&body);
                        writeln!(out, "    pub mod results {{\n    #![allow(unused_mut, clippy::needless_borrow, clippy::useless_conversion)]").ok();
                        self.fields(&mut out, m.get_result_struct_type(), &results, false)?;
                        self.tuple(&mut out, &results);
                        writeln!(out, "    }}").ok();
                        writeln!(out, "    fn format_params(p: ::ipc::capnp::any_pointer::Reader<'_>) -> String {{ match p.get_as::<{params}::Reader<'_>>() {{ Ok(r) => format!(\"{{r:?}}\"), Err(e) => format!(\"<{{e}}>\") }} }}").ok();
                        writeln!(out, "    fn format_results(p: ::ipc::capnp::any_pointer::Reader<'_>) -> String {{ match p.get_as::<{results}::Reader<'_>>() {{ Ok(r) => format!(\"{{r:?}}\"), Err(e) => format!(\"<{{e}}>\") }} }}").ok();
                        writeln!(out, "    pub static INFO: ::ipc::MethodInfo = ::ipc::MethodInfo {{ interface_id: {id:#x}, ordinal: ORDINAL, params_name: \"{name}.{mname}$Params\", results_name: \"{name}.{mname}$Results\", context: {}, format_params, format_results }};", if has_context { "Some(read_context)" } else { "None" }).ok();
                        writeln!(out, "}}").ok();
                    }
                    writeln!(out, "}}\n").ok();
                }
                node::Struct(_) => {
                    writeln!(out, "/// Field accessors of struct `{name}`.\npub mod {}_fields {{\n    #![allow(unused_mut, clippy::needless_borrow, clippy::useless_conversion)]", snake(&name)).ok();
                    self.fields(&mut out, id, path, true)?;
                    writeln!(out, "}}\n").ok();
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

/// Bound, setter and getter of a scalar map key or value stored in field `f` of entry `e`.
fn scalar(k: &Kind, f: &str) -> Option<(String, String, String)> {
    Some(match k {
        Kind::Prim(p) => (
            format!("::ipc::value::Prim<{p}>"),
            format!("e.set_{f}({}.to_prim());", short(f)),
            format!("::ipc::value::Prim::from_prim(e.get_{f}())?"),
        ),
        Kind::Text => (
            "::ipc::value::Text".into(),
            format!("e.set_{f}(&*{}.to_text());", short(f)),
            format!("::ipc::value::Text::from_text(e.get_{f}()?)?"),
        ),
        Kind::Data => (
            "::ipc::value::Data".into(),
            format!("e.set_{f}(&*{}.to_data());", short(f)),
            format!("::ipc::value::Data::from_data(e.get_{f}()?)?"),
        ),
        _ => return None,
    })
}

/// Name of the loop variable holding a map key or value.
fn short(f: &str) -> &'static str {
    if f == "key" {
        "k"
    } else {
        "v"
    }
}

/// Whether `name` is the `hasX` flag of another field `x`, which travels with `x`'s option.
fn has_flag_of_other(names: &[String], name: &str) -> bool {
    name.strip_prefix("has").is_some_and(|rest| {
        let mut c = rest.chars();
        c.next().is_some_and(|f| {
            names
                .iter()
                .any(|n| *n == format!("{}{}", f.to_lowercase(), c.as_str()))
        })
    })
}

fn ordinal(iface: node::interface::Reader<'_>, name: &str) -> capnp::Result<u16> {
    // Methods are stored in ordinal order; code order is the order in the file.
    for (i, m) in iface.get_methods()?.iter().enumerate() {
        if m.get_name()?.to_str()? == name {
            return Ok(i as u16);
        }
    }
    Err(capnp::Error::failed(format!("no method {name}")))
}
