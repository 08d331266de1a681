//! The small expression scanners the descriptor grammar is parsed with: a literal
//! prefix, a `name(...)` call, and a balanced sub-expression up to a separator.

/// If `s` starts with `lit`, strips it (when `skip`) and returns true.
pub(crate) fn take_const(lit: &str, s: &mut &str, skip: bool) -> bool {
    if s.starts_with(lit) {
        if skip {
            *s = &s[lit.len()..];
        }
        true
    } else {
        false
    }
}

/// If `s` is exactly `name(...)`, replaces it by the text between the parentheses.
pub(crate) fn take_func(name: &str, s: &mut &str) -> bool {
    let b = s.as_bytes();
    if b.len() >= name.len() + 2
        && s.starts_with(name)
        && b[name.len()] == b'('
        && b[b.len() - 1] == b')'
    {
        *s = &s[name.len() + 1..s.len() - 1];
        true
    } else {
        false
    }
}

/// Splits off the leading expression of `s`: everything up to the first `,`, `)` or
/// `}` that is not nested inside brackets. `s` keeps the rest, separator included.
pub(crate) fn take_expr<'a>(s: &mut &'a str) -> &'a str {
    let mut level = 0usize;
    let mut end = s.len();
    for (i, c) in s.bytes().enumerate() {
        match c {
            b'(' | b'{' => level += 1,
            b')' | b'}' if level > 0 => level -= 1,
            b')' | b'}' | b',' if level == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let (head, tail) = s.split_at(end);
    *s = tail;
    head
}

/// Splits on every `sep` (an empty input gives one empty piece).
pub(crate) fn split(s: &str, sep: char) -> Vec<&str> {
    s.split(sep).collect()
}

/// Core's `ToIntegral<uint32_t>`: decimal digits only (a leading `-` of zero is
/// refused too), no sign, no spaces, must fit.
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanners() {
        let mut s = "pk(a),b";
        assert_eq!(take_expr(&mut s), "pk(a)");
        assert_eq!(s, ",b");
        let mut f = "sh(wpkh(x))";
        assert!(take_func("sh", &mut f));
        assert_eq!(f, "wpkh(x)");
        let mut g = "sh(";
        assert!(!take_func("sh", &mut g));
        assert_eq!(parse_u32("+1"), None);
        assert_eq!(parse_u32("01"), Some(1));
        assert_eq!(parse_u32("4294967296"), None);
    }
}
