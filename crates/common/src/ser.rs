//! Core's CompactSize, the variable-length integer of its serialization format
//! (`ReadCompactSize`, `WriteCompactSize`, `GetSizeOfCompactSize`). Every crate that reads
//! or writes Core's formats (messages, peers.dat, wallet records, PSBTs, fee estimates)
//! decodes lengths here, so the canonical-encoding and size rules live in one place.

use std::fmt;

/// Largest CompactSize Core accepts where a range check applies (`MAX_SIZE`).
pub const MAX_SIZE: u64 = 0x0200_0000;

/// Why a CompactSize did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompactSizeError {
    /// The input ended inside the value.
    EndOfData,
    /// The value used more bytes than it needs.
    NonCanonical,
    /// The value is above [`MAX_SIZE`] where that is checked.
    TooLarge,
}

impl fmt::Display for CompactSizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompactSizeError::EndOfData => "end of data",
            CompactSizeError::NonCanonical => "non-canonical ReadCompactSize()",
            CompactSizeError::TooLarge => "ReadCompactSize(): size too large",
        })
    }
}

impl std::error::Error for CompactSizeError {}

/// Decodes the CompactSize at the start of `data`: the value and how many bytes it took.
/// Non-canonical encodings are refused, and with `range_check` values above
/// [`MAX_SIZE`] too.
pub fn read_compact_size(data: &[u8], range_check: bool) -> Result<(u64, usize), CompactSizeError> {
    let (&first, rest) = data.split_first().ok_or(CompactSizeError::EndOfData)?;
    let (value, width, min) = match first {
        0xfd => {
            let b = rest.first_chunk::<2>().ok_or(CompactSizeError::EndOfData)?;
            (u64::from(u16::from_le_bytes(*b)), 2, 0xfd)
        }
        0xfe => {
            let b = rest.first_chunk::<4>().ok_or(CompactSizeError::EndOfData)?;
            (u64::from(u32::from_le_bytes(*b)), 4, 0x1_0000)
        }
        0xff => {
            let b = rest.first_chunk::<8>().ok_or(CompactSizeError::EndOfData)?;
            (u64::from_le_bytes(*b), 8, 0x1_0000_0000)
        }
        b => (u64::from(b), 0, 0),
    };
    if value < min {
        return Err(CompactSizeError::NonCanonical);
    }
    if range_check && value > MAX_SIZE {
        return Err(CompactSizeError::TooLarge);
    }
    Ok((value, 1 + width))
}

/// Appends the CompactSize encoding of `n` to `out`.
pub fn write_compact_size(out: &mut Vec<u8>, n: u64) {
    if n < 0xfd {
        out.push(n as u8);
    } else if n <= 0xffff {
        out.push(0xfd);
        out.extend_from_slice(&(n as u16).to_le_bytes());
    } else if n <= 0xffff_ffff {
        out.push(0xfe);
        out.extend_from_slice(&(n as u32).to_le_bytes());
    } else {
        out.push(0xff);
        out.extend_from_slice(&n.to_le_bytes());
    }
}

/// How many bytes the CompactSize encoding of `n` takes.
pub fn compact_size_len(n: u64) -> usize {
    match n {
        0..=0xfc => 1,
        0xfd..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_at_every_width_boundary() {
        for n in [
            0,
            0xfc,
            0xfd,
            0xffff,
            0x1_0000,
            0xffff_ffff,
            0x1_0000_0000,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_compact_size(&mut out, n);
            assert_eq!(out.len(), compact_size_len(n));
            out.push(0xaa);
            assert_eq!(read_compact_size(&out, false), Ok((n, out.len() - 1)));
        }
    }

    #[test]
    fn bad_encodings_are_refused() {
        let read = |b: &[u8]| read_compact_size(b, true);
        assert_eq!(read(&[]), Err(CompactSizeError::EndOfData));
        assert_eq!(read(&[0xfd, 0x01]), Err(CompactSizeError::EndOfData));
        assert_eq!(
            read(&[0xfd, 0xfc, 0x00]),
            Err(CompactSizeError::NonCanonical)
        );
        assert_eq!(
            read(&[0xfe, 0xff, 0xff, 0, 0]),
            Err(CompactSizeError::NonCanonical)
        );
        assert_eq!(
            read(&[0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]),
            Err(CompactSizeError::NonCanonical)
        );
        assert_eq!(
            read(&[0xfe, 0x01, 0x00, 0x00, 0x02]),
            Err(CompactSizeError::TooLarge)
        );
        assert_eq!(read(&[0xfe, 0x00, 0x00, 0x00, 0x02]), Ok((MAX_SIZE, 5)));
        assert_eq!(
            read_compact_size(&[0xfe, 0x01, 0x00, 0x00, 0x02], false),
            Ok((MAX_SIZE + 1, 5))
        );
    }
}
