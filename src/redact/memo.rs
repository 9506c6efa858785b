//! A small cache of answers about strings, for the questions redaction asks of the same strings
//! again and again: a capture asks of every member name of every object whether it names a
//! credential (`containers`, `resourceVersion`, `tolerations`, once per pod), and runs every value
//! that could hold one through the rules (the same images, commands and URLs in every replica); a
//! report redacts the same documentation lines in every finding. The answer is a function of the
//! string alone, so a kept answer is the answer.
//!
//! Direct-mapped: each string has one slot, chosen by its hash, and a new string takes the slot of
//! the one there (strings that collide, by chance or by design, are only answered again). Strings
//! longer than the memo's limit are never kept, so a memo holds at most `slots x limit` bytes of
//! strings (plus the answers), whatever it is asked.

use foldhash::fast::FixedState;
use std::hash::BuildHasher;

/// Answers of type `V` about strings of at most `limit` bytes, in `size` slots.
pub(super) struct Memo<V> {
    slots: Vec<Option<(Box<str>, V)>>,
    size: usize,
    limit: usize,
    hasher: FixedState,
}

impl<V: Clone> Memo<V> {
    /// An empty memo of `size` slots (a power of two) for strings of at most `limit` bytes.
    /// Nothing is allocated before the first answer is kept.
    pub(super) const fn new(size: usize, limit: usize) -> Self {
        Memo {
            slots: Vec::new(),
            size,
            limit,
            hasher: FixedState::with_seed(0x5eed),
        }
    }

    /// The answer about `text`: the one kept, else `answer(text)`, then kept in `text`'s slot.
    pub(super) fn get_or(&mut self, text: &str, answer: impl FnOnce(&str) -> V) -> V {
        if text.len() > self.limit || !self.size.is_power_of_two() {
            return answer(text);
        }
        let slot = (self.hasher.hash_one(text) as usize) & (self.size - 1);
        if let Some(Some((kept, value))) = self.slots.get(slot) {
            if **kept == *text {
                return value.clone();
            }
        }
        let value = answer(text);
        if self.slots.is_empty() {
            self.slots.resize_with(self.size, || None);
        }
        if let Some(entry) = self.slots.get_mut(slot) {
            *entry = Some((text.into(), value.clone()));
        }
        value
    }

    /// How many answers are kept (for tests).
    #[cfg(test)]
    pub(super) fn kept(&self) -> usize {
        self.slots.iter().flatten().count()
    }
}

#[cfg(test)]
mod tests {
    use super::Memo;
    use std::cell::Cell;

    #[test]
    fn an_answer_is_given_again_without_asking() {
        let asked = Cell::new(0);
        let mut memo = Memo::new(16, 32);
        let answer = |s: &str| {
            asked.set(asked.get() + 1);
            s.len()
        };
        assert_eq!(memo.get_or("containers", answer), 10);
        assert_eq!(memo.get_or("containers", answer), 10);
        assert_eq!(asked.get(), 1);
        assert_eq!(memo.get_or("image", answer), 5);
        assert_eq!(asked.get(), 2);
    }

    #[test]
    fn strings_over_the_limit_are_answered_but_never_kept() {
        let asked = Cell::new(0);
        let mut memo = Memo::new(16, 8);
        let long = "x".repeat(9);
        for _ in 0..3 {
            memo.get_or(&long, |s| {
                asked.set(asked.get() + 1);
                s.len()
            });
        }
        assert_eq!(asked.get(), 3);
        assert_eq!(memo.kept(), 0);
    }

    #[test]
    fn a_memo_keeps_at_most_one_answer_per_slot() {
        let mut memo = Memo::new(4, 64);
        for i in 0..1000 {
            let text = format!("key-{i}");
            assert_eq!(memo.get_or(&text, |s| s.to_string()), text);
        }
        assert!(memo.kept() <= 4);
        // Every answer is still right after the slots were taken over and over.
        for i in (0..1000).rev() {
            let text = format!("key-{i}");
            assert_eq!(memo.get_or(&text, |s| s.to_string()), text);
        }
    }
}
