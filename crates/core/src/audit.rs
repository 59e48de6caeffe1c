//! The audit trail's canonical form and hash chain.
//!
//! `hash = SHA-256(prev_hash ‖ canonical entry)`. Altering, removing or reordering any entry breaks
//! the chain from that entry on; the head (last sequence number and hash) is kept separately so that
//! cutting entries off the end is detected too.

use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The hash before the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An audit entry before it is chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// When it happened.
    pub at: Timestamp,
    /// Who did it: `user:<uuid>`, `reporter`, `system` or `cli`.
    pub actor: String,
    /// What was done, e.g. `incident.triage`.
    pub action: String,
    /// The board concerned, if any.
    pub board_id: Option<String>,
    /// What it was done to, e.g. `incident:<uuid>`.
    pub subject: Option<String>,
    /// Details as canonical JSON (sorted keys).
    pub details: String,
}

/// A chained audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// The entry itself.
    pub record: AuditRecord,
    /// Hash of the previous entry (the genesis hash for the first).
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

fn field(buf: &mut Vec<u8>, value: &str) {
    // Length-prefixed, so no separator inside a value can shift fields.
    buf.extend_from_slice(value.len().to_string().as_bytes());
    buf.push(b':');
    buf.extend_from_slice(value.as_bytes());
    buf.push(b';');
}

/// The canonical byte form of an entry at position `seq`.
pub fn canonical(seq: i64, r: &AuditRecord) -> Vec<u8> {
    let mut buf = Vec::with_capacity(128 + r.details.len());
    field(&mut buf, "v1");
    field(&mut buf, &seq.to_string());
    field(&mut buf, &r.at.as_microsecond().to_string());
    field(&mut buf, &r.actor);
    field(&mut buf, &r.action);
    field(&mut buf, r.board_id.as_deref().unwrap_or(""));
    field(&mut buf, r.subject.as_deref().unwrap_or(""));
    field(&mut buf, &r.details);
    buf
}

/// The hash of an entry given the previous hash.
pub fn chain_hash(prev_hash: &str, seq: i64, r: &AuditRecord) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical(seq, r));
    hex::encode(h.finalize())
}

/// Chains a record after the head `(seq, hash)`.
pub fn append(head_seq: i64, head_hash: &str, record: AuditRecord) -> AuditEntry {
    let seq = head_seq + 1;
    let hash = chain_hash(head_hash, seq, &record);
    AuditEntry {
        seq,
        record,
        prev_hash: head_hash.to_string(),
        hash,
    }
}

/// Where and why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChainBreak {
    /// An entry is missing or out of order.
    #[error(
        "entry {found}: expected sequence number {expected} (an entry was removed or reordered)"
    )]
    Gap {
        /// The sequence number expected here.
        expected: i64,
        /// The sequence number found.
        found: i64,
    },
    /// The entry does not point at the previous entry's hash.
    #[error("entry {seq}: does not follow the previous entry (removed, inserted or reordered)")]
    Link {
        /// The entry.
        seq: i64,
    },
    /// The entry's content does not match its hash.
    #[error("entry {seq}: content does not match its hash (altered)")]
    Altered {
        /// The entry.
        seq: i64,
    },
    /// The head says the chain is longer or different than the entries show.
    #[error("the chain ends at entry {last} but the head records entry {head} (entries removed at the end)")]
    Head {
        /// Last entry seen.
        last: i64,
        /// Head's sequence number.
        head: i64,
    },
}

impl ChainBreak {
    /// The sequence number of the first bad entry.
    pub fn seq(&self) -> i64 {
        match *self {
            ChainBreak::Gap { expected, .. } => expected,
            ChainBreak::Link { seq } | ChainBreak::Altered { seq } => seq,
            ChainBreak::Head { last, .. } => last + 1,
        }
    }
}

/// Verifies entries one by one in sequence order, so a long chain needs no memory.
#[derive(Debug)]
pub struct ChainVerifier {
    last_seq: i64,
    last_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            last_seq: 0,
            last_hash: GENESIS_HASH.to_string(),
        }
    }
}

impl ChainVerifier {
    /// Checks the next entry.
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        let expected = self.last_seq + 1;
        if e.seq != expected {
            return Err(ChainBreak::Gap {
                expected,
                found: e.seq,
            });
        }
        if e.prev_hash != self.last_hash {
            return Err(ChainBreak::Link { seq: e.seq });
        }
        if chain_hash(&e.prev_hash, e.seq, &e.record) != e.hash {
            return Err(ChainBreak::Altered { seq: e.seq });
        }
        self.last_seq = e.seq;
        self.last_hash = e.hash.clone();
        Ok(())
    }

    /// Checks the end of the chain against the stored head; returns the number of entries.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        if head_seq != self.last_seq || head_hash != self.last_hash {
            return Err(ChainBreak::Head {
                last: self.last_seq,
                head: head_seq,
            });
        }
        Ok(self.last_seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rec(i: i64) -> AuditRecord {
        AuditRecord {
            at: Timestamp::from_second(1_767_225_600 + i).unwrap(),
            actor: format!("user:{i}"),
            action: "incident.note".into(),
            board_id: Some("b".into()),
            subject: Some(format!("incident:{i}")),
            details: format!("{{\"n\":{i}}}"),
        }
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let (s, h) = out
                .last()
                .map(|e| (e.seq, e.hash.clone()))
                .unwrap_or((0, GENESIS_HASH.into()));
            out.push(append(s, &h, rec(i)));
        }
        out
    }

    fn verify(entries: &[AuditEntry], head: (i64, &str)) -> Result<i64, ChainBreak> {
        let mut v = ChainVerifier::default();
        for e in entries {
            v.push(e)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        let last = c.last().unwrap();
        assert_eq!(verify(&c, (last.seq, &last.hash)), Ok(5));
        assert_eq!(verify(&[], (0, GENESIS_HASH)), Ok(0));
    }

    #[test]
    fn field_boundaries_matter() {
        let mut a = rec(1);
        let mut b = rec(1);
        a.actor = "ab".into();
        a.action = "c".into();
        b.actor = "a".into();
        b.action = "bc".into();
        assert_ne!(
            chain_hash(GENESIS_HASH, 1, &a),
            chain_hash(GENESIS_HASH, 1, &b)
        );
    }

    proptest! {
        /// Altering any field of any entry is caught at that entry.
        #[test]
        fn alteration_is_detected(n in 1i64..20, pick in 0usize..100, which in 0u8..4) {
            let mut c = chain(n);
            let (hs, hh) = { let l = c.last().unwrap(); (l.seq, l.hash.clone()) };
            let idx = pick % c.len();
            match which {
                0 => c[idx].record.details.push(' '),
                1 => c[idx].record.actor.push('x'),
                2 => c[idx].record.at += jiff::SignedDuration::from_secs(1),
                _ => c[idx].record.action.push('x'),
            }
            let err = verify(&c, (hs, &hh)).unwrap_err();
            prop_assert_eq!(err, ChainBreak::Altered { seq: c[idx].seq });
        }

        /// Removing any entry is caught, at the entry that was removed.
        #[test]
        fn removal_is_detected(n in 1i64..20, pick in 0usize..100) {
            let mut c = chain(n);
            let (hs, hh) = { let l = c.last().unwrap(); (l.seq, l.hash.clone()) };
            let idx = pick % c.len();
            let removed = c.remove(idx);
            let err = verify(&c, (hs, &hh)).unwrap_err();
            prop_assert_eq!(err.seq(), removed.seq);
        }

        /// Swapping two entries is caught.
        #[test]
        fn reordering_is_detected(n in 2i64..20, a in 0usize..100, b in 0usize..100) {
            let mut c = chain(n);
            let (hs, hh) = { let l = c.last().unwrap(); (l.seq, l.hash.clone()) };
            let (i, j) = (a % c.len(), b % c.len());
            prop_assume!(i != j);
            c.swap(i, j);
            prop_assert!(verify(&c, (hs, &hh)).is_err());
        }

        /// Even a forger who renumbers and rehashes after a removal is caught by the head.
        #[test]
        fn rechained_truncation_is_detected(n in 2i64..20) {
            let c = chain(n);
            let (hs, hh) = { let l = c.last().unwrap(); (l.seq, l.hash.clone()) };
            let shorter = &c[..c.len() - 1];
            prop_assert!(verify(shorter, (hs, &hh)).is_err());
        }
    }
}
