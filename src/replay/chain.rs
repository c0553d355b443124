//! The hash chain, checked line by line as the index reads the file.
//!
//! `journal::verify` reads the whole file into memory first, which a
//! replay of a 500 MB journal cannot afford, and cannot follow a file that
//! grows. The rules are the same (a test pins both to the same first
//! break), built from the journal's own pieces.

use sha2::{Digest, Sha256};

use crate::journal::GENESIS_PREV;
use crate::journal::verify::seq_problem;

#[derive(Default)]
pub(crate) struct Chain {
    /// The seq of the last line checked, and its hash as `prev` writes it
    /// (lowercase hex): comparing text is cheaper than decoding every prev.
    last: Option<(u64, [u8; 64])>,
}

impl Chain {
    /// Checks a line whose header reads `seq` and `prev` (as written);
    /// `line_no` is 1-based. Returns why the chain breaks here, if it does.
    pub fn check(
        &mut self,
        line_no: usize,
        line: &[u8],
        seq: u64,
        prev: &[u8],
    ) -> Result<(), String> {
        if let Some(reason) = seq_problem(self.last.as_ref().map(|(s, _)| *s), seq) {
            return Err(reason);
        }
        match &self.last {
            None if prev != GENESIS_PREV.as_bytes() => Err(
                "the first record's prev is not all zeros (records were removed from the start)"
                    .into(),
            ),
            Some((_, before)) if prev != before.as_slice() => Err(format!(
                "prev does not match the hash of line {} (the record was edited or a record \
                 was removed)",
                line_no - 1
            )),
            _ => {
                self.last = Some((seq, hex(&Sha256::digest(line).into())));
                Ok(())
            }
        }
    }
}

fn hex(hash: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(hash) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::line_hash;

    #[test]
    fn hashes_are_compared_as_prev_writes_them() {
        let mut chain = Chain::default();
        assert!(chain.check(1, b"first", 0, GENESIS_PREV.as_bytes()).is_ok());
        let prev = line_hash(b"first");
        assert!(chain.check(2, b"second", 1, prev.as_bytes()).is_ok());
        let wrong = chain.check(3, b"third", 2, prev.as_bytes());
        assert!(wrong.is_err_and(|r| r.contains("hash of line 2")));
        let gap = chain.check(3, b"third", 5, line_hash(b"second").as_bytes());
        assert!(gap.is_err_and(|r| r.contains("seq 5 follows 1")));
    }
}
