//! Deterministic randomness for the generator: a SplitMix64 stream per
//! purpose (nodes, pods, events...), so that changing how many events are
//! drawn does not reshuffle the pods, plus the small formatting helpers that
//! turn draws into Kubernetes-looking names, UIDs and timestamps.

/// A SplitMix64 generator. Not cryptographic; only repeatable.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

/// Characters of the random suffixes Kubernetes controllers append to
/// generated names (no vowels, no ambiguous digits).
const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

impl Rng {
    /// The stream `stream` of seed `seed`.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        // Decorrelate nearby seeds.
        rng.next_u64();
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `per_mille`/1000.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.next_u64() % 1000 < u64::from(per_mille)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `len` lowercase hex digits.
    pub fn hex(&mut self, len: usize) -> String {
        const HEX: &[u8] = b"0123456789abcdef";
        (0..len).map(|_| HEX[self.below(16)] as char).collect()
    }

    /// A controller-style name suffix of `len` characters.
    pub fn suffix(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| NAME_ALPHABET[self.below(NAME_ALPHABET.len())] as char)
            .collect()
    }

    /// A random UUID in the usual 8-4-4-4-12 form.
    pub fn uid(&mut self) -> String {
        format!(
            "{}-{}-4{}-{}{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(3),
            ["8", "9", "a", "b"][self.below(4)],
            self.hex(3),
            self.hex(12)
        )
    }

    /// A MAC address in the Hyper-V range or a random locally administered one.
    pub fn mac(&mut self, hyper_v: bool) -> String {
        let prefix = if hyper_v { "00:15:5d" } else { "ae:1f:4e" };
        format!("{prefix}:{}:{}:{}", self.hex(2), self.hex(2), self.hex(2))
    }
}

/// RFC 3339 time `offset_secs` after 2026-11-01T00:00:00Z (valid for the
/// month of November, which is all the generator uses).
pub(crate) fn timestamp(offset_secs: u64) -> String {
    let day = 1 + (offset_secs / 86_400).min(29);
    let rest = offset_secs % 86_400;
    format!(
        "2026-11-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_repeat_and_differ() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7, 1).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(7, 1).next_u64(), Rng::new(7, 2).next_u64());
        assert_ne!(Rng::new(7, 1).next_u64(), Rng::new(8, 1).next_u64());
    }

    #[test]
    fn formats() {
        let mut rng = Rng::new(1, 0);
        let uid = rng.uid();
        assert_eq!(uid.len(), 36);
        assert_eq!(uid.matches('-').count(), 4);
        assert_eq!(timestamp(0), "2026-11-01T00:00:00Z");
        assert_eq!(timestamp(86_400 + 3_661), "2026-11-02T01:01:01Z");
        assert!(rng.suffix(5).chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
