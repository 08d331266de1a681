//! `#[ipc::interface(module = path)]`: generates the IPC proxy client and server for an
//! interface trait, from the trait's signatures and the accessors `ipc-codegen` emitted
//! for the schema (`path` is the interface's module in a generated `*_ipc.rs` file).
//!
//! For trait `Foo` it emits `FooClient` (implements `Foo` by calling the remote object),
//! `FooServer` (receives calls and forwards them to an `Arc<dyn Foo>`), conversions that
//! let `Box<dyn Foo>` and `Arc<dyn Foo>` travel as capabilities, and `impl Foo for Arc<T>`.
//!
//! Each trait method maps to the schema method of the same name (snake case), each
//! parameter to the param field of the same name; `Option<T>` parameters use the field's
//! `has…` flag or null pointer; the `Ok` value maps to the `result` field, or, for a tuple,
//! to every result field in ordinal order.

use proc_macro::TokenStream;
use proc_macro2::{Ident, Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::parse::Parser;
use syn::{
    parse_macro_input, FnArg, GenericArgument, ItemTrait, Pat, Path, PathArguments, ReturnType,
    TraitItem, Type,
};

/// See the crate documentation.
#[proc_macro_attribute]
pub fn interface(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut module: Option<Path> = None;
    let mut closure = false;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("module") {
            module = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("closure") {
            closure = true;
            Ok(())
        } else {
            Err(meta.error("expected `module = path::to::generated::interface` or `closure`"))
        }
    });
    if let Err(e) = parser.parse(attr) {
        return e.to_compile_error().into();
    }
    let Some(module) = module else {
        return syn::Error::new(Span::call_site(), "missing `module = ...`")
            .to_compile_error()
            .into();
    };
    let item = parse_macro_input!(item as ItemTrait);
    match expand(module, item, closure) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// For `closure` traits (one method): any `Fn` with the method's signature implements the
/// trait, and `Box<dyn Fn(..) -> Result<R> + Send + Sync>` travels as the interface.
fn closure_impls(
    module: &Path,
    trait_name: &Ident,
    methods: &[Method],
) -> syn::Result<TokenStream2> {
    let [m] = methods else {
        return Err(syn::Error::new_spanned(
            trait_name,
            "`closure` interfaces have exactly one method",
        ));
    };
    let name = &m.name;
    let ok = &m.ok;
    let tys: Vec<&Type> = m.params.iter().map(|(_, t)| t).collect();
    let args: Vec<&Ident> = m.params.iter().map(|(p, _)| p).collect();
    Ok(quote! {
        impl<F: Fn(#(#tys),*) -> ::ipc::Result<#ok> + Send + Sync> #trait_name for F {
            fn #name(&self, #(#args: #tys),*) -> ::ipc::Result<#ok> {
                self(#(#args),*)
            }
        }

        impl ::ipc::value::Cap<#module::Client>
            for ::std::boxed::Box<dyn Fn(#(#tys),*) -> ::ipc::Result<#ok> + Send + Sync>
        {
            fn to_cap(self, cx: &mut ::ipc::BuildCx) -> ::ipc::Result<#module::Client> {
                let arc: ::std::sync::Arc<dyn #trait_name> = ::std::sync::Arc::new(self);
                arc.to_cap(cx)
            }
            fn from_cap(c: #module::Client, cx: &::ipc::ReadCx) -> ::ipc::Result<Self> {
                let arc = <::std::sync::Arc<dyn #trait_name> as ::ipc::value::Cap<#module::Client>>::from_cap(c, cx)?;
                Ok(::std::boxed::Box::new(move |#(#args: #tys),*| arc.#name(#(#args),*)))
            }
        }
    })
}

/// The `T` of `Option<T>`, if `ty` is an `Option`.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

/// The `T` of a `Result<T>` return type.
fn ok_type(ret: &ReturnType) -> syn::Result<Type> {
    let err = || syn::Error::new_spanned(ret, "interface methods return ipc::Result<T>");
    let ReturnType::Type(_, ty) = ret else {
        return Err(err());
    };
    let Type::Path(p) = ty.as_ref() else {
        return Err(err());
    };
    let seg = p.path.segments.last().ok_or_else(err)?;
    if seg.ident != "Result" {
        return Err(err());
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else {
        return Err(err());
    };
    match args.args.first() {
        Some(GenericArgument::Type(t)) => Ok(t.clone()),
        _ => Err(err()),
    }
}

/// Whether `ty` is a `BTreeMap` or `HashMap`, which travels as a list of key/value entries.
fn is_map(ty: &Type) -> bool {
    let Type::Path(p) = ty else { return false };
    p.path
        .segments
        .last()
        .is_some_and(|s| s.ident == "BTreeMap" || s.ident == "HashMap")
}

/// Whether `ty` is a tuple of several values, which travels as all result fields in order.
fn is_tuple(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.len() >= 2)
}

/// Accessor suffix for a value of type `ty`: `_opt` for options, `_map` for maps.
fn suffix(ty: &Type) -> &'static str {
    if option_inner(ty).is_some() {
        "_opt"
    } else if is_map(ty) {
        "_map"
    } else {
        ""
    }
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

/// Arguments of `ipc::client::call` / `call_send` for method `m`: target, method, a closure
/// that writes the Context and every parameter, and one that reads the `result` field.
fn call_args(module: &Path, m: &Method) -> TokenStream2 {
    let name = &m.name;
    let sets = m.params.iter().map(|(p, ty)| {
        let setter = format_ident!("set_{}{}", p, suffix(ty));
        quote! { #module::#name::#setter(&mut p, #p, cx)?; }
    });
    let read = if is_unit(&m.ok) {
        quote! { |_r, _cx| Ok(()) }
    } else if is_tuple(&m.ok) {
        quote! { |r, cx| #module::#name::results::get_tuple(&r, cx) }
    } else {
        let getter = format_ident!("get_result{}", suffix(&m.ok));
        quote! { |r, cx| #module::#name::results::#getter(&r, cx) }
    };
    quote! {
        &self.remote,
        &#module::#name::INFO,
        |mut p, cx| {
            #module::#name::write_context(&mut p, cx);
            #(#sets)*
            Ok(())
        },
        #read
    }
}

struct Method {
    name: Ident,
    sig: syn::Signature,
    params: Vec<(Ident, Type)>,
    ok: Type,
}

fn expand(module: Path, mut item: ItemTrait, closure: bool) -> syn::Result<TokenStream2> {
    let trait_name = item.ident.clone();
    let vis = item.vis.clone();
    let client = format_ident!("{}Client", trait_name);
    let server = format_ident!("{}Server", trait_name);
    let mut methods = Vec::new();
    for it in &item.items {
        let TraitItem::Fn(f) = it else { continue };
        let mut params = Vec::new();
        for arg in f.sig.inputs.iter().skip(1) {
            let FnArg::Typed(pt) = arg else { continue };
            let Pat::Ident(pi) = pt.pat.as_ref() else {
                return Err(syn::Error::new_spanned(
                    &pt.pat,
                    "parameters must be plain names",
                ));
            };
            params.push((pi.ident.clone(), (*pt.ty).clone()));
        }
        methods.push(Method {
            name: f.sig.ident.clone(),
            sig: f.sig.clone(),
            params,
            ok: ok_type(&f.sig.output)?,
        });
    }
    item.items.push(syn::parse_quote! {
        #[doc(hidden)]
        /// The remote object behind this value, if it is a proxy.
        fn __ipc_remote(&self) -> ::core::option::Option<&::std::sync::Arc<::ipc::ImportRef>> { ::core::option::Option::None }
    });
    item.items.push(syn::parse_quote! {
        /// The generated proxy behind this value, if it is one: its `*_send` methods let one
        /// thread have many calls in flight.
        fn ipc_client(&self) -> ::core::option::Option<&#client> { ::core::option::Option::None }
    });

    let client_methods = methods.iter().map(|m| {
        let name = &m.name;
        let sig = &m.sig;
        let args = call_args(&module, m);
        quote! {
            #sig {
                ::ipc::client::call::<#module::#name::Params, #module::#name::Results, _>(#args)
            }
        }
    });

    let send_methods = methods.iter().map(|m| {
        let name = &m.name;
        let send_name = format_ident!("{}_send", name);
        let ok = &m.ok;
        let params = m.params.iter().map(|(p, ty)| quote! { #p: #ty });
        let args = call_args(&module, m);
        let doc = format!("Sends `{name}` without waiting; `wait()` on the result, on this thread, for its value.");
        quote! {
            #[doc = #doc]
            pub fn #send_name(&self, #(#params),*) -> ::ipc::Result<::ipc::client::Pending<#ok>> {
                ::ipc::client::call_send::<#module::#name::Params, #module::#name::Results, _>(#args)
            }
        }
    });

    let forward_methods = methods.iter().map(|m| {
        let name = &m.name;
        let sig = &m.sig;
        let args = m.params.iter().map(|(p, _)| p);
        quote! { #sig { (**self).#name(#(#args),*) } }
    });

    let dispatch_arms = methods.iter().map(|m| {
        let name = &m.name;
        let gets = m.params.iter().map(|(p, ty)| {
            let getter = format_ident!("get_{}{}", p, suffix(ty));
            quote! { let #p = #module::#name::#getter(&params, read_cx)?; }
        });
        let args = m.params.iter().map(|(p, _)| p);
        let write = if is_unit(&m.ok) {
            quote! { let _ = ret; let _ = call.results::<#module::#name::Results>()?; }
        } else {
            let setter = if is_tuple(&m.ok) {
                format_ident!("set_tuple")
            } else {
                format_ident!("set_result{}", suffix(&m.ok))
            };
            quote! {
                let (mut r, cx) = call.results::<#module::#name::Results>()?;
                #module::#name::results::#setter(&mut r, ret, cx)?;
            }
        };
        quote! {
            o if o == #module::#name::ORDINAL => {
                let read_cx = call.read_cx();
                let params = call.params::<#module::#name::Params>()?;
                #(#gets)*
                let imp = self.get()?;
                let ret = imp.#name(#(#args),*)?;
                #write
                Ok(())
            }
        }
    });

    let closure_impls = if closure {
        closure_impls(&module, &trait_name, &methods)?
    } else {
        quote!()
    };
    Ok(quote! {
        #item
        #closure_impls

        /// Proxy that implements the trait by calling an object in another process.
        #vis struct #client {
            remote: ::std::sync::Arc<::ipc::ImportRef>,
        }

        impl #client {
            #(#send_methods)*
        }

        impl ::ipc::process::RemoteInterface for #client {
            const INTERFACE_ID: u64 = #module::INTERFACE_ID;
            fn from_remote(remote: ::std::sync::Arc<::ipc::ImportRef>) -> Self {
                #client { remote }
            }
        }

        impl #trait_name for #client {
            #(#client_methods)*
            fn __ipc_remote(&self) -> ::core::option::Option<&::std::sync::Arc<::ipc::ImportRef>> {
                ::core::option::Option::Some(&self.remote)
            }
            fn ipc_client(&self) -> ::core::option::Option<&#client> {
                ::core::option::Option::Some(self)
            }
        }

        impl ::core::ops::Drop for #client {
            fn drop(&mut self) {
                if self.remote.is_connected() {
                    let _ = #module::destroy(&self.remote);
                }
            }
        }

        impl<T: #trait_name + ?Sized> #trait_name for ::std::sync::Arc<T> {
            #(#forward_methods)*
            fn __ipc_remote(&self) -> ::core::option::Option<&::std::sync::Arc<::ipc::ImportRef>> {
                (**self).__ipc_remote()
            }
            fn ipc_client(&self) -> ::core::option::Option<&#client> {
                (**self).ipc_client()
            }
        }

        /// Serves an implementation of the trait to another process.
        #vis struct #server {
            inner: ::std::sync::RwLock<::core::option::Option<::std::sync::Arc<dyn #trait_name>>>,
        }

        impl #server {
            /// Wraps an implementation.
            pub fn new(imp: ::std::sync::Arc<dyn #trait_name>) -> Self {
                #server { inner: ::std::sync::RwLock::new(::core::option::Option::Some(imp)) }
            }

            /// The implementation, unless the object was destroyed.
            pub fn get(&self) -> ::ipc::Result<::std::sync::Arc<dyn #trait_name>> {
                self.inner
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone()
                    .ok_or_else(|| ::ipc::Error::Remote(::std::format!("{} object was destroyed", #module::NAME)))
            }
        }

        impl ::ipc::ServerObject for #server {
            fn interface_name(&self) -> &'static str {
                #module::NAME
            }
            fn interface_id(&self) -> u64 {
                #module::INTERFACE_ID
            }
            fn method(&self, ordinal: u16) -> ::core::option::Option<&'static ::ipc::MethodInfo> {
                #module::method_info(ordinal)
            }
            fn dispatch(&self, call: &mut ::ipc::IncomingCall<'_>) -> ::ipc::Result<()> {
                match call.method_ordinal() {
                    #(#dispatch_arms)*
                    o if ::core::option::Option::Some(o) == #module::DESTROY_ORDINAL => {
                        call.mark_destroy();
                        let _ = call.results::<::ipc::capnp::any_pointer::Owned>();
                        Ok(())
                    }
                    o => Err(::ipc::Error::Unimplemented(::std::format!(
                        "method {} of {} is not implemented", o, #module::NAME
                    ))),
                }
            }
            fn destroy(&self) {
                let imp = self.inner.write().unwrap_or_else(|e| e.into_inner()).take();
                drop(imp);
            }
            fn as_any(&self) -> &dyn ::core::any::Any {
                self
            }
        }

        impl ::ipc::value::Cap<#module::Client> for ::std::sync::Arc<dyn #trait_name> {
            fn to_cap(self, cx: &mut ::ipc::BuildCx) -> ::ipc::Result<#module::Client> {
                if let ::core::option::Option::Some(remote) = self.__ipc_remote() {
                    if cx.same_connection(remote) {
                        return Ok(cx.cap(::ipc::CapEntry::Import(remote.clone())));
                    }
                }
                Ok(cx.export(::std::sync::Arc::new(#server::new(self))))
            }
            fn from_cap(c: #module::Client, cx: &::ipc::ReadCx) -> ::ipc::Result<Self> {
                match cx.entry(c)? {
                    ::ipc::CapEntry::Import(remote) => Ok(::std::sync::Arc::new(#client { remote })),
                    ::ipc::CapEntry::Local(obj) => match obj.as_any().downcast_ref::<#server>() {
                        ::core::option::Option::Some(s) => s.get(),
                        ::core::option::Option::None => Err(::ipc::Error::Protocol(::std::format!(
                            "capability is not a {}", #module::NAME
                        ))),
                    },
                    ::ipc::CapEntry::Null => Err(::ipc::Error::Protocol(::std::format!(
                        "null {} capability", #module::NAME
                    ))),
                }
            }
        }

        impl ::ipc::value::Cap<#module::Client> for ::std::boxed::Box<dyn #trait_name> {
            fn to_cap(self, cx: &mut ::ipc::BuildCx) -> ::ipc::Result<#module::Client> {
                let arc: ::std::sync::Arc<dyn #trait_name> = ::std::sync::Arc::from(self);
                arc.to_cap(cx)
            }
            fn from_cap(c: #module::Client, cx: &::ipc::ReadCx) -> ::ipc::Result<Self> {
                let arc = <::std::sync::Arc<dyn #trait_name> as ::ipc::value::Cap<#module::Client>>::from_cap(c, cx)?;
                Ok(::std::boxed::Box::new(arc))
            }
        }
    })
}
