//! Mutated seeds for property tests of parsers of untrusted text: well-formed inputs with a
//! few random character edits (insertions, deletions, replacements), which reach the corners
//! of a parser that purely random text rarely does.

use proptest::prelude::*;

/// `seed` with `edits` applied in order: each is a position, an operation (0 inserts the
/// character, 1 deletes, anything else replaces; past the end, the character is appended)
/// and a character.
pub fn mutate(seed: &str, edits: &[(prop::sample::Index, u8, char)]) -> String {
    let mut chars: Vec<char> = seed.chars().collect();
    for (at, op, c) in edits {
        let i = at.index(chars.len() + 1);
        match op {
            0 => chars.insert(i, *c),
            1 if i < chars.len() => {
                chars.remove(i);
            }
            _ if i < chars.len() => chars[i] = *c,
            _ => chars.push(*c),
        }
    }
    chars.into_iter().collect()
}

/// One of `seeds` with fewer than `max_edits` random character edits (see [`mutate`]).
pub fn mutated<S>(seeds: Vec<S>, max_edits: usize) -> impl Strategy<Value = String>
where
    S: AsRef<str> + Clone + std::fmt::Debug + 'static,
{
    let edits = prop::collection::vec(
        (any::<prop::sample::Index>(), 0u8..3, any::<char>()),
        0..max_edits,
    );
    (prop::sample::select(seeds), edits).prop_map(|(seed, edits)| mutate(seed.as_ref(), &edits))
}
