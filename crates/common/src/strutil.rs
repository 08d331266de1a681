//! String helpers with Core's exact semantics: `atoi`-style integer parsing, boolean
//! interpretation of option values, trimming and paragraph wrapping for `-help`.

/// Characters Core's `TrimString` removes by default.
const WHITESPACE: &[char] = &[' ', '\x0c', '\n', '\r', '\t', '\x0b'];

/// Trims Core's default whitespace set (space, `\f`, `\n`, `\r`, `\t`, `\v`) from both ends.
pub fn trim_whitespace(s: &str) -> &str {
    s.trim_matches(WHITESPACE)
}

/// Integer types [`locale_independent_atoi`] can produce.
pub trait AtoiInt: Copy {
    /// Smallest value of the type.
    const MIN: Self;
    /// Largest value of the type.
    const MAX: Self;
    /// Zero.
    const ZERO: Self;
    /// Whether negative values can be represented.
    const SIGNED: bool;
    /// Converts from a wide integer, or `None` when out of range.
    fn from_i128(v: i128) -> Option<Self>;
}

macro_rules! atoi_int {
    ($($t:ty => $signed:expr),*) => {$(
        impl AtoiInt for $t {
            const MIN: Self = <$t>::MIN;
            const MAX: Self = <$t>::MAX;
            const ZERO: Self = 0;
            const SIGNED: bool = $signed;
            fn from_i128(v: i128) -> Option<Self> {
                <$t>::try_from(v).ok()
            }
        }
    )*};
}
atoi_int!(i8 => true, i16 => true, i32 => true, i64 => true, u8 => false, u16 => false,
          u32 => false, u64 => false);

/// Parses an integer the way C's `atoi` does in the "C" locale, as Core's
/// `LocaleIndependentAtoi`: surrounding whitespace is ignored, one leading `+` is
/// allowed (but not `+-`), a `-` only for signed types, then as many decimal digits as
/// follow. Anything unparsable gives 0; values out of range saturate.
pub fn locale_independent_atoi<T: AtoiInt>(s: &str) -> T {
    let mut s = trim_whitespace(s);
    if let Some(rest) = s.strip_prefix('+') {
        if rest.starts_with('-') {
            return T::ZERO;
        }
        s = rest;
    }
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) if T::SIGNED => (true, rest),
        _ => (false, s),
    };
    let len = digits.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 {
        return T::ZERO;
    }
    let mut value: i128 = 0;
    for b in digits.as_bytes()[..len].iter() {
        value = value * 10 + i128::from(b - b'0');
        if value > i128::from(u64::MAX) + 1 {
            // Already out of range for every supported type.
            return if negative { T::MIN } else { T::MAX };
        }
    }
    if negative {
        value = -value;
    }
    match T::from_i128(value) {
        Some(v) => v,
        None if negative => T::MIN,
        None => T::MAX,
    }
}

/// Core's `InterpretBool`: the empty string is true, anything else is true when it
/// parses (as `atoi` would) to a non-zero number. So `-foo=true` is *false*.
pub fn interpret_bool(s: &str) -> bool {
    s.is_empty() || locale_independent_atoi::<i32>(s) != 0
}

/// Wraps `text` at `width` columns, indenting continuation lines by `indent` spaces,
/// as Core's `FormatParagraph` (used for `-help` output).
pub fn format_paragraph(text: &str, width: usize, indent: usize) -> String {
    let bytes = text.as_bytes();
    let width = width.max(indent);
    let mut out = String::new();
    let mut ptr = 0usize;
    let mut indented = 0usize;
    while ptr < bytes.len() {
        let lineend = find_from(bytes, ptr, |c| c == b'\n').unwrap_or(bytes.len());
        let linelen = lineend - ptr;
        let rem_width = width - indented;
        if linelen <= rem_width {
            // The line and its newline (if any) fit.
            let end = (lineend + 1).min(bytes.len());
            out.push_str(&text[ptr..end]);
            ptr = lineend + 1;
            indented = 0;
        } else {
            let limit = (ptr + rem_width).min(bytes.len() - 1);
            let mut finalspace = rfind_upto(bytes, limit, |c| c == b' ' || c == b'\n');
            if finalspace.is_none_or(|p| p < ptr) {
                finalspace = find_from(bytes, ptr, |c| c == b'\n' || c == b' ');
                if finalspace.is_none() {
                    out.push_str(&text[ptr..]);
                    break;
                }
            }
            let Some(fs) = finalspace else { break };
            out.push_str(&text[ptr..fs]);
            out.push('\n');
            if bytes[fs] == b'\n' {
                indented = 0;
            } else if indent > 0 {
                out.push_str(&" ".repeat(indent));
                indented = indent;
            }
            ptr = fs + 1;
        }
    }
    out
}

fn find_from(bytes: &[u8], start: usize, pred: impl Fn(u8) -> bool) -> Option<usize> {
    bytes
        .get(start..)?
        .iter()
        .position(|&c| pred(c))
        .map(|p| p + start)
}

fn rfind_upto(bytes: &[u8], last: usize, pred: impl Fn(u8) -> bool) -> Option<usize> {
    bytes.get(..=last)?.iter().rposition(|&c| pred(c))
}

/// Core's `SplitHostPort`: `(host, port)` or `None` if a port is present but invalid.
pub fn split_host_port(input: &str, default_port: u16) -> Option<(String, u16)> {
    let mut host = input;
    let mut port = default_port;
    let mut valid = true;
    if let Some(colon) = input.rfind(':') {
        let bracketed = input.starts_with('[') && colon > 0 && input.as_bytes()[colon - 1] == b']';
        let multi = colon != 0 && input[..colon].contains(':');
        if colon == 0 || bracketed || !multi {
            valid = false;
            if let Some(n) = parse_u16(&input[colon + 1..]) {
                host = &input[..colon];
                port = n;
                valid = n != 0;
            }
        }
    }
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    valid.then(|| (host.to_string(), port))
}

/// Core's strict `ToIntegral<uint16_t>`: digits only, in range.
pub fn parse_u16(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

const BASE64_TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with `=` padding (Core's `EncodeBase64`).
pub fn encode_base64(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(
                    BASE64_TABLE[((n >> (18 - 6 * i)) & 63) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Core's `DecodeBase64`: a length that is a multiple of four, at most two trailing `=`,
/// and no stray bits in the last character; `None` otherwise.
pub fn decode_base64(s: &[u8]) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(4) {
        return None;
    }
    let mut s = s;
    for _ in 0..2 {
        if let Some(rest) = s.strip_suffix(b"=") {
            s = rest;
        }
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &c in s {
        let v = BASE64_TABLE.iter().position(|&t| t == c)? as u32;
        acc = ((acc << 6) | v) & 0xfff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    if bits >= 6 || (acc << (8 - bits)) & 0xff != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_like_c() {
        assert_eq!(locale_independent_atoi::<i64>("  42"), 42);
        assert_eq!(locale_independent_atoi::<i64>("+42"), 42);
        assert_eq!(locale_independent_atoi::<i64>("-42abc"), -42);
        assert_eq!(locale_independent_atoi::<i64>("+-1"), 0);
        assert_eq!(locale_independent_atoi::<i64>("++1"), 0);
        assert_eq!(locale_independent_atoi::<i64>("abc"), 0);
        assert_eq!(locale_independent_atoi::<i64>(""), 0);
        assert_eq!(locale_independent_atoi::<i64>(" 12 "), 12);
        assert_eq!(locale_independent_atoi::<i64>("0x10"), 0);
        assert_eq!(locale_independent_atoi::<i64>("1e3"), 1);
        assert_eq!(
            locale_independent_atoi::<i64>("99999999999999999999999"),
            i64::MAX
        );
        assert_eq!(
            locale_independent_atoi::<i64>("-99999999999999999999999"),
            i64::MIN
        );
        assert_eq!(locale_independent_atoi::<i32>("2147483648"), i32::MAX);
        assert_eq!(locale_independent_atoi::<u8>("300"), u8::MAX);
        assert_eq!(locale_independent_atoi::<u32>("-1"), 0);
        assert_eq!(locale_independent_atoi::<i64>("\t\n-7"), -7);
    }

    #[test]
    fn bools_as_core() {
        assert!(interpret_bool(""));
        assert!(interpret_bool("1"));
        assert!(interpret_bool("2"));
        assert!(interpret_bool("-1"));
        assert!(!interpret_bool("0"));
        assert!(!interpret_bool("true"));
        assert!(!interpret_bool("false"));
        assert!(!interpret_bool(" 0 "));
        assert!(interpret_bool("99999999999"));
    }

    #[test]
    fn paragraphs() {
        assert_eq!(format_paragraph("", 79, 0), "");
        assert_eq!(format_paragraph("test", 79, 0), "test");
        assert_eq!(format_paragraph(" test", 79, 0), " test");
        assert_eq!(format_paragraph("test test", 79, 0), "test test");
        assert_eq!(format_paragraph("test test", 4, 0), "test\ntest");
        assert_eq!(format_paragraph("testerde test", 4, 0), "testerde\ntest");
        assert_eq!(format_paragraph("test test", 4, 4), "test\n    test");
        assert_eq!(
            format_paragraph(
                "This_is_a_very_long_test_string_without_any_spaces_so_it_should_just_get_returned_as_is_despite_the_length until it gets here",
                79,
                0
            ),
            "This_is_a_very_long_test_string_without_any_spaces_so_it_should_just_get_returned_as_is_despite_the_length\nuntil it gets here"
        );
        assert_eq!(format_paragraph("a b c d", 3, 0), "a b\nc d");
        assert_eq!(format_paragraph("test\ntest", 79, 0), "test\ntest");
        assert_eq!(
            format_paragraph("test test\nabc", 4, 4),
            "test\n    test\nabc"
        );
        let abc = "a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7 8 9 a b c de";
        assert_eq!(
            format_paragraph(&format!("{abc} f g h i j k l m n o p"), 79, 0),
            format!("{abc}\nf g h i j k l m n o p")
        );
        assert_eq!(
            format_paragraph(&format!("x\n{abc} f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9 a b c d e fg h i j k"), 79, 4),
            format!("x\n{abc}\n    f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9 a b c d e fg\n    h i j k")
        );
        assert_eq!(
            format_paragraph("This is a very long test string.\n\nThis is a second sentence in the very long test string. This is a third sentence in the very long test string.", 79, 0),
            "This is a very long test string.\n\nThis is a second sentence in the very long test string. This is a third\nsentence in the very long test string."
        );
        assert_eq!(format_paragraph("a\n\nb", 79, 2), "a\n\nb");
    }
}
