//! Dynamic batching by length: inputs are sorted by token count and packed into batches whose
//! padded size (`rows × longest`) stays under a token budget, so short inputs are not padded
//! to the length of long ones.

use std::time::Instant;

use crate::error::{InferenceError, Result};

/// How inputs are grouped into forward passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    /// Most inputs in one forward pass.
    pub max_batch_size: usize,
    /// Most padded tokens (`rows × longest row`) in one forward pass; a single longer input
    /// still runs alone.
    pub max_batch_tokens: usize,
}

impl Default for Batching {
    fn default() -> Self {
        Batching {
            max_batch_size: 32,
            max_batch_tokens: 16_384,
        }
    }
}

/// Groups the inputs of `lengths` into batches (lists of indices), longest first.
pub fn plan(lengths: &[usize], batching: &Batching) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by(|&a, &b| lengths[b].cmp(&lengths[a]).then(a.cmp(&b)));
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in order {
        let longest = current.first().map_or(lengths[i], |&f| lengths[f]);
        let fits = current.len() < batching.max_batch_size.max(1)
            && (current.len() + 1) * longest <= batching.max_batch_tokens.max(1);
        if !current.is_empty() && !fits {
            batches.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// Runs `forward` on the batches of `lengths`, checking `deadline` before each batch. Every
/// input gets one result: its output, the batch's error, or [`InferenceError::Deadline`].
pub(crate) fn run<T>(
    lengths: &[usize],
    batching: &Batching,
    deadline: Option<Instant>,
    mut forward: impl FnMut(&[usize]) -> Result<Vec<T>>,
) -> Vec<Result<T>> {
    let mut results: Vec<Option<Result<T>>> = (0..lengths.len()).map(|_| None).collect();
    for batch in plan(lengths, batching) {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            for &i in &batch {
                results[i] = Some(Err(InferenceError::Deadline));
            }
            continue;
        }
        match forward(&batch) {
            Ok(outputs) if outputs.len() == batch.len() => {
                for (&i, out) in batch.iter().zip(outputs) {
                    results[i] = Some(Ok(out));
                }
            }
            Ok(outputs) => {
                for &i in &batch {
                    results[i] = Some(Err(InferenceError::BadModel(format!(
                        "the model returned {} outputs for a batch of {}",
                        outputs.len(),
                        batch.len()
                    ))));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for &i in &batch {
                    results[i] = Some(Err(InferenceError::BadModel(message.clone())));
                }
            }
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or(Err(InferenceError::Deadline)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_size_and_token_budget_longest_first() {
        /// Token counts, batch size cap, token budget, and the batches expected.
        type Case<'a> = (&'a [usize], usize, usize, Vec<Vec<usize>>);
        let cases: [Case<'_>; 4] = [
            (&[3, 10, 4, 9], 8, 100, vec![vec![1, 3, 2, 0]]),
            (&[3, 10, 4, 9], 2, 100, vec![vec![1, 3], vec![2, 0]]),
            (&[3, 10, 4, 9], 8, 20, vec![vec![1, 3], vec![2, 0]]),
            // A single input over the budget still runs, alone.
            (&[50, 2, 2], 8, 10, vec![vec![0], vec![1, 2]]),
        ];
        for (lengths, size, tokens, expected) in cases {
            let batching = Batching {
                max_batch_size: size,
                max_batch_tokens: tokens,
            };
            assert_eq!(
                plan(lengths, &batching),
                expected,
                "{lengths:?} {size} {tokens}"
            );
        }
        assert!(plan(&[], &Batching::default()).is_empty());
    }

    #[test]
    fn every_input_gets_one_result_even_past_the_deadline() {
        let lengths = [5, 1, 3];
        let batching = Batching {
            max_batch_size: 1,
            max_batch_tokens: 100,
        };
        let mut calls = 0;
        let past = Instant::now();
        let results = run(&lengths, &batching, Some(past), |batch| {
            calls += 1;
            Ok(batch.to_vec())
        });
        assert_eq!(calls, 0);
        assert!(results
            .iter()
            .all(|r| matches!(r, Err(InferenceError::Deadline))));

        let results = run(&lengths, &batching, None, |batch| {
            if batch == [2] {
                Err(InferenceError::BadInput("boom".into()))
            } else {
                Ok(batch.iter().map(|i| i * 10).collect())
            }
        });
        assert_eq!(results[0].as_ref().unwrap(), &0);
        assert_eq!(results[1].as_ref().unwrap(), &10);
        assert!(results[2]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("boom"));
    }
}
