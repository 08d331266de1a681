//! Walking a script one operation at a time, with Core's rules for pushes
//! and Core's names for opcodes.

/// `OP_0`.
pub(crate) const OP_0: u8 = 0x00;
/// `OP_PUSHDATA1`.
pub(crate) const OP_PUSHDATA1: u8 = 0x4c;
/// `OP_PUSHDATA2`.
pub(crate) const OP_PUSHDATA2: u8 = 0x4d;
/// `OP_PUSHDATA4`.
pub(crate) const OP_PUSHDATA4: u8 = 0x4e;
/// `OP_1`.
pub(crate) const OP_1: u8 = 0x51;
/// `OP_16`.
pub(crate) const OP_16: u8 = 0x60;
/// `OP_RETURN`.
pub(crate) const OP_RETURN: u8 = 0x6a;
/// `OP_DUP`.
pub(crate) const OP_DUP: u8 = 0x76;
/// `OP_EQUAL`.
pub(crate) const OP_EQUAL: u8 = 0x87;
/// `OP_EQUALVERIFY`.
pub(crate) const OP_EQUALVERIFY: u8 = 0x88;
/// `OP_HASH160`.
pub(crate) const OP_HASH160: u8 = 0xa9;
/// `OP_CHECKSIG`.
pub(crate) const OP_CHECKSIG: u8 = 0xac;
/// `OP_CHECKMULTISIG`.
pub(crate) const OP_CHECKMULTISIG: u8 = 0xae;
/// `OP_CHECKSIGADD` (tapscript).
pub(crate) const OP_CHECKSIGADD: u8 = 0xba;
/// The highest opcode a script may contain to count as having valid ops
/// (`OP_NOP10`).
pub(crate) const MAX_OPCODE: u8 = 0xb9;
/// Largest element a push may carry in a script with valid ops.
pub(crate) const MAX_SCRIPT_ELEMENT_SIZE: usize = 520;
/// Largest script accepted by the sanity checks (and not unspendable).
pub(crate) const MAX_SCRIPT_SIZE: usize = 10_000;

/// One decoded operation: the opcode and, for pushes, the pushed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Op<'a> {
    /// The opcode byte.
    pub code: u8,
    /// The pushed data (empty for non-push opcodes).
    pub data: &'a [u8],
}

/// Iterator over a script's operations. Yields `Err(())` once when a push
/// runs past the end of the script, then stops.
pub(crate) struct Ops<'a> {
    script: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> Ops<'a> {
    /// Starts at the beginning of `script`.
    pub(crate) fn new(script: &'a [u8]) -> Self {
        Ops {
            script,
            pos: 0,
            failed: false,
        }
    }

    /// Starts at byte offset `pos` of `script`.
    pub(crate) fn from(script: &'a [u8], pos: usize) -> Self {
        Ops {
            script,
            pos,
            failed: false,
        }
    }

    /// Byte offset of the next operation.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    fn read(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let bytes = self.script.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    fn decode(&mut self) -> Option<Op<'a>> {
        let code = *self.read(1)?.first()?;
        if code > OP_PUSHDATA4 {
            return Some(Op { code, data: &[] });
        }
        let len = match code {
            OP_PUSHDATA1 => usize::from(*self.read(1)?.first()?),
            OP_PUSHDATA2 => {
                let b = self.read(2)?;
                usize::from(u16::from_le_bytes([*b.first()?, *b.get(1)?]))
            }
            OP_PUSHDATA4 => {
                let b = self.read(4)?;
                let n = u32::from_le_bytes([*b.first()?, *b.get(1)?, *b.get(2)?, *b.get(3)?]);
                usize::try_from(n).ok()?
            }
            direct => usize::from(direct),
        };
        let data = self.read(len)?;
        Some(Op { code, data })
    }
}

impl<'a> Iterator for Ops<'a> {
    type Item = Result<Op<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.script.len() {
            return None;
        }
        match self.decode() {
            Some(op) => Some(Ok(op)),
            None => {
                self.failed = true;
                Some(Err(()))
            }
        }
    }
}

/// Whether every operation decodes and is a push or `OP_1NEGATE`/`OP_RESERVED`/
/// `OP_1`..`OP_16` (Core's `IsPushOnly`), starting at byte `from`.
pub(crate) fn is_push_only(script: &[u8], from: usize) -> bool {
    Ops::from(script, from).all(|op| matches!(op, Ok(op) if op.code <= OP_16))
}

/// Whether every operation decodes, is at most `OP_NOP10` and pushes at
/// most 520 bytes (Core's `HasValidOps`).
pub(crate) fn has_valid_ops(script: &[u8]) -> bool {
    Ops::new(script).all(|op| {
        matches!(op, Ok(op) if op.code <= MAX_OPCODE && op.data.len() <= MAX_SCRIPT_ELEMENT_SIZE)
    })
}

/// Whether the script is provably unspendable: starts with `OP_RETURN` or is
/// larger than the script size limit (Core's `IsUnspendable`).
pub(crate) fn is_unspendable(script: &[u8]) -> bool {
    script.first() == Some(&OP_RETURN) || script.len() > MAX_SCRIPT_SIZE
}

/// Whether the opcode is one of the tapscript `OP_SUCCESSx` opcodes.
pub(crate) fn is_op_success(code: u8) -> bool {
    matches!(code, 80 | 98 | 126..=129 | 131..=134 | 137..=138 | 141..=142 | 149..=153 | 187..=254)
}

/// Core's name of an opcode, as printed in script asm. Small integers are
/// printed as numbers (`0`, `-1`, `1`..`16`); unknown opcodes are
/// `OP_UNKNOWN`.
pub fn op_name(code: u8) -> &'static str {
    const SMALL: [&str; 16] = [
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
    ];
    match code {
        0x00 => "0",
        0x4c => "OP_PUSHDATA1",
        0x4d => "OP_PUSHDATA2",
        0x4e => "OP_PUSHDATA4",
        0x4f => "-1",
        0x50 => "OP_RESERVED",
        0x51..=0x60 => SMALL
            .get(usize::from(code - 0x51))
            .copied()
            .unwrap_or("OP_UNKNOWN"),
        0x61..=0xb9 => NAMED
            .get(usize::from(code - 0x61))
            .copied()
            .unwrap_or("OP_UNKNOWN"),
        0xba => "OP_CHECKSIGADD",
        0xff => "OP_INVALIDOPCODE",
        _ => "OP_UNKNOWN",
    }
}

/// Names of opcodes 0x61 (`OP_NOP`) through 0xb9 (`OP_NOP10`), in order.
const NAMED: [&str; 89] = [
    "OP_NOP",
    "OP_VER",
    "OP_IF",
    "OP_NOTIF",
    "OP_VERIF",
    "OP_VERNOTIF",
    "OP_ELSE",
    "OP_ENDIF",
    "OP_VERIFY",
    "OP_RETURN",
    "OP_TOALTSTACK",
    "OP_FROMALTSTACK",
    "OP_2DROP",
    "OP_2DUP",
    "OP_3DUP",
    "OP_2OVER",
    "OP_2ROT",
    "OP_2SWAP",
    "OP_IFDUP",
    "OP_DEPTH",
    "OP_DROP",
    "OP_DUP",
    "OP_NIP",
    "OP_OVER",
    "OP_PICK",
    "OP_ROLL",
    "OP_ROT",
    "OP_SWAP",
    "OP_TUCK",
    "OP_CAT",
    "OP_SUBSTR",
    "OP_LEFT",
    "OP_RIGHT",
    "OP_SIZE",
    "OP_INVERT",
    "OP_AND",
    "OP_OR",
    "OP_XOR",
    "OP_EQUAL",
    "OP_EQUALVERIFY",
    "OP_RESERVED1",
    "OP_RESERVED2",
    "OP_1ADD",
    "OP_1SUB",
    "OP_2MUL",
    "OP_2DIV",
    "OP_NEGATE",
    "OP_ABS",
    "OP_NOT",
    "OP_0NOTEQUAL",
    "OP_ADD",
    "OP_SUB",
    "OP_MUL",
    "OP_DIV",
    "OP_MOD",
    "OP_LSHIFT",
    "OP_RSHIFT",
    "OP_BOOLAND",
    "OP_BOOLOR",
    "OP_NUMEQUAL",
    "OP_NUMEQUALVERIFY",
    "OP_NUMNOTEQUAL",
    "OP_LESSTHAN",
    "OP_GREATERTHAN",
    "OP_LESSTHANOREQUAL",
    "OP_GREATERTHANOREQUAL",
    "OP_MIN",
    "OP_MAX",
    "OP_WITHIN",
    "OP_RIPEMD160",
    "OP_SHA1",
    "OP_SHA256",
    "OP_HASH160",
    "OP_HASH256",
    "OP_CODESEPARATOR",
    "OP_CHECKSIG",
    "OP_CHECKSIGVERIFY",
    "OP_CHECKMULTISIG",
    "OP_CHECKMULTISIGVERIFY",
    "OP_NOP1",
    "OP_CHECKLOCKTIMEVERIFY",
    "OP_CHECKSEQUENCEVERIFY",
    "OP_NOP4",
    "OP_NOP5",
    "OP_NOP6",
    "OP_NOP7",
    "OP_NOP8",
    "OP_NOP9",
    "OP_NOP10",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(op_name(0x61), "OP_NOP");
        assert_eq!(op_name(0x6a), "OP_RETURN");
        assert_eq!(op_name(0x76), "OP_DUP");
        assert_eq!(op_name(0x87), "OP_EQUAL");
        assert_eq!(op_name(0x89), "OP_RESERVED1");
        assert_eq!(op_name(0x8b), "OP_1ADD");
        assert_eq!(op_name(0xa6), "OP_RIPEMD160");
        assert_eq!(op_name(0xa9), "OP_HASH160");
        assert_eq!(op_name(0xac), "OP_CHECKSIG");
        assert_eq!(op_name(0xae), "OP_CHECKMULTISIG");
        assert_eq!(op_name(0xb0), "OP_NOP1");
        assert_eq!(op_name(0xb1), "OP_CHECKLOCKTIMEVERIFY");
        assert_eq!(op_name(0xb2), "OP_CHECKSEQUENCEVERIFY");
        assert_eq!(op_name(0xb9), "OP_NOP10");
        assert_eq!(op_name(0xba), "OP_CHECKSIGADD");
        assert_eq!(op_name(0xbb), "OP_UNKNOWN");
        assert_eq!(op_name(0xfe), "OP_UNKNOWN");
        assert_eq!(op_name(0xff), "OP_INVALIDOPCODE");
        assert_eq!(op_name(0x4f), "-1");
        assert_eq!(op_name(0x60), "16");
    }

    #[test]
    fn truncated_push_fails_once() {
        let ops: Vec<_> = Ops::new(&[0x01, 0xaa, 0x02, 0xbb]).collect();
        assert_eq!(ops.len(), 2);
        assert!(ops[0].is_ok());
        assert!(ops[1].is_err());
        let ops: Vec<_> = Ops::new(&[0x4d, 0x01]).collect();
        assert_eq!(ops, vec![Err(())]);
    }
}
