//! How Rust values are written to and read from Cap'n Proto fields.
//!
//! Generated accessors take any type implementing the trait for the field's schema type,
//! so an interface trait chooses its Rust types (`String`, `Vec<u8>`, a `bitcoin` type that
//! travels as its consensus serialization in a `Data` field) and type inference does the rest.

use std::borrow::Cow;

use capnp::capability::FromClientHook;
use capnp::traits::Owned;

use crate::{BuildCx, Error, ReadCx, Result};

/// Values stored in a primitive field of type `P`.
pub trait Prim<P>: Sized {
    /// The field value.
    fn to_prim(&self) -> P;
    /// Converts a field value, failing if it is out of range for `Self`.
    fn from_prim(p: P) -> Result<Self>;
}

macro_rules! identity_prim {
    ($($t:ty),*) => {$(
        impl Prim<$t> for $t {
            fn to_prim(&self) -> $t { *self }
            fn from_prim(p: $t) -> Result<Self> { Ok(p) }
        }
    )*};
}
identity_prim!(bool, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, ());

impl Prim<u64> for usize {
    fn to_prim(&self) -> u64 {
        *self as u64
    }
    fn from_prim(p: u64) -> Result<Self> {
        usize::try_from(p).map_err(|_| Error::Protocol(format!("value {p} does not fit in usize")))
    }
}

/// Values stored in a `Text` field.
pub trait Text: Sized {
    /// The UTF-8 text.
    fn to_text(&self) -> Cow<'_, str>;
    /// Converts the field; invalid UTF-8 is an error.
    fn from_text(r: capnp::text::Reader<'_>) -> Result<Self>;
}

impl Text for String {
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
    fn from_text(r: capnp::text::Reader<'_>) -> Result<Self> {
        Ok(r.to_str()?.to_string())
    }
}

/// Values stored in a `Data` field, such as consensus-serialized Bitcoin types.
pub trait Data: Sized {
    /// The bytes.
    fn to_data(&self) -> Cow<'_, [u8]>;
    /// Decodes the field.
    fn from_data(r: &[u8]) -> Result<Self>;
}

impl Data for Vec<u8> {
    fn to_data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self)
    }
    fn from_data(r: &[u8]) -> Result<Self> {
        Ok(r.to_vec())
    }
}

impl<const N: usize> Data for [u8; N] {
    fn to_data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self)
    }
    fn from_data(r: &[u8]) -> Result<Self> {
        r.try_into()
            .map_err(|_| Error::Protocol(format!("expected {N} bytes, got {}", r.len())))
    }
}

/// A shared value travels as the value: the node hands the same block or transaction to
/// several subscribers without copying it when they live in its own process.
impl<T: Data> Data for std::sync::Arc<T> {
    fn to_data(&self) -> Cow<'_, [u8]> {
        (**self).to_data()
    }
    fn from_data(r: &[u8]) -> Result<Self> {
        T::from_data(r).map(std::sync::Arc::new)
    }
}

/// An optional value inside a struct travels as empty bytes when absent. Only for types
/// whose encoding is never empty (blocks, transactions, hashes, outputs).
impl<T: Data> Data for Option<T> {
    fn to_data(&self) -> Cow<'_, [u8]> {
        match self {
            Some(v) => v.to_data(),
            None => Cow::Borrowed(&[]),
        }
    }
    fn from_data(r: &[u8]) -> Result<Self> {
        if r.is_empty() {
            Ok(None)
        } else {
            T::from_data(r).map(Some)
        }
    }
}

/// Bitcoin types travel as their consensus serialization in `Data` fields, as in Core.
macro_rules! consensus_data {
    ($($t:ty),* $(,)?) => {$(
        impl Data for $t {
            fn to_data(&self) -> Cow<'_, [u8]> {
                Cow::Owned(bitcoin::consensus::serialize(self))
            }
            fn from_data(r: &[u8]) -> Result<Self> {
                bitcoin::consensus::deserialize(r).map_err(|e| {
                    Error::Protocol(format!("cannot decode {}: {e}", stringify!($t)))
                })
            }
        }
    )*};
}
consensus_data!(
    bitcoin::Transaction,
    bitcoin::Block,
    bitcoin::block::Header,
    bitcoin::BlockHash,
    bitcoin::Txid,
    bitcoin::Wtxid,
    bitcoin::OutPoint,
    bitcoin::TxOut,
    bitcoin::ScriptBuf,
);

/// Core's `CAmount` is an `Int64`; a negative value is an error for the unsigned `Amount`.
impl Prim<i64> for bitcoin::Amount {
    fn to_prim(&self) -> i64 {
        i64::try_from(self.to_sat()).unwrap_or(i64::MAX)
    }
    fn from_prim(p: i64) -> Result<Self> {
        u64::try_from(p)
            .map(bitcoin::Amount::from_sat)
            .map_err(|_| Error::Protocol(format!("negative amount {p}")))
    }
}

impl Prim<i64> for bitcoin::SignedAmount {
    fn to_prim(&self) -> i64 {
        self.to_sat()
    }
    fn from_prim(p: i64) -> Result<Self> {
        Ok(bitcoin::SignedAmount::from_sat(p))
    }
}

/// Values stored in a struct field of schema type `S`.
pub trait Struct<S: Owned>: Sized {
    /// Writes the fields.
    fn write(self, b: S::Builder<'_>, cx: &mut BuildCx) -> Result<()>;
    /// Reads the fields.
    fn read(r: S::Reader<'_>, cx: &ReadCx) -> Result<Self>;
}

/// Values stored in an interface field whose generated client type is `C`.
///
/// Implemented by `#[ipc::interface]` for `Box<dyn Trait>` and `Arc<dyn Trait>`.
pub trait Cap<C: FromClientHook>: Sized {
    /// The capability: a proxy passed back to its own process, or a newly exported local object.
    fn to_cap(self, cx: &mut BuildCx) -> Result<C>;
    /// A proxy for a remote object, or the original object if it lives in this process.
    fn from_cap(c: C, cx: &ReadCx) -> Result<Self>;
}

impl<C: FromClientHook, T: Cap<C>> Cap<C> for Option<T> {
    fn to_cap(self, cx: &mut BuildCx) -> Result<C> {
        match self {
            Some(v) => v.to_cap(cx),
            None => Ok(cx.cap(crate::CapEntry::Null)),
        }
    }
    fn from_cap(c: C, cx: &ReadCx) -> Result<Self> {
        match cx.entry(c)? {
            crate::CapEntry::Null => Ok(None),
            e => T::from_cap(cx.cap_of(e), cx).map(Some),
        }
    }
}

/// Implements [`Struct`] for a Rust struct whose fields have the names of the schema struct's
/// fields, using the accessors `ipc-codegen` emitted in the struct's `*_fields` module.
///
/// `impl_struct!(Item, test_capnp::item::Owned, crate::generated::test_ipc::item_fields { name, amount });`
#[macro_export]
macro_rules! impl_struct {
    ($ty:ty, $owned:ty, $($fields:ident)::+ { $($f:ident),* $(,)? }) => {
        const _: () = {
            use $($fields)::+ as __ipc_fields;
            impl $crate::value::Struct<$owned> for $ty {
                fn write(
                    self,
                    mut b: <$owned as $crate::capnp::traits::Owned>::Builder<'_>,
                    cx: &mut $crate::BuildCx,
                ) -> $crate::Result<()> {
                    let _ = &mut b;
                    $( __ipc_fields::$f::set(&mut b, self.$f, cx)?; )*
                    Ok(())
                }
                fn read(
                    r: <$owned as $crate::capnp::traits::Owned>::Reader<'_>,
                    cx: &$crate::ReadCx,
                ) -> $crate::Result<Self> {
                    let _ = (&r, cx);
                    Ok(Self { $( $f: __ipc_fields::$f::get(&r, cx)?, )* })
                }
            }
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    #[test]
    fn bitcoin_types_round_trip_as_consensus_bytes() {
        let tx = bitcoin::Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::from_height(411).unwrap(),
            input: vec![bitcoin::TxIn::default()],
            output: vec![bitcoin::TxOut {
                value: bitcoin::Amount::from_sat(5000),
                script_pubkey: bitcoin::ScriptBuf::new(),
            }],
        };
        let bytes = tx.to_data();
        assert_eq!(&bytes[..], &bitcoin::consensus::serialize(&tx)[..]);
        assert_eq!(bitcoin::Transaction::from_data(&bytes).unwrap(), tx);
        let mut trailing = bytes.to_vec();
        trailing.push(0);
        assert!(bitcoin::Transaction::from_data(&trailing).is_err());
        let hash = bitcoin::BlockHash::from_byte_array([7; 32]);
        assert_eq!(hash.to_data().len(), 32);
        assert_eq!(
            bitcoin::BlockHash::from_data(&hash.to_data()).unwrap(),
            hash
        );
        assert!(bitcoin::BlockHash::from_data(&[1, 2, 3]).is_err());
        assert!(<bitcoin::Amount as Prim<i64>>::from_prim(-1).is_err());
        assert_eq!(
            <bitcoin::Amount as Prim<i64>>::from_prim(21)
                .unwrap()
                .to_prim(),
            21
        );
    }

    #[test]
    fn invalid_text_is_an_error() {
        let bad: &[u8] = &[0xff, 0xfe];
        assert!(String::from_text(capnp::text::Reader::from(bad)).is_err());
    }
}
