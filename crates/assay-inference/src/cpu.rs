//! Hand-written f32 CPU kernels for the two places where candle's generic ops cost the most
//! on encoders (bench/models/NOTES.md has the profiles):
//!
//! - GELU in its exact (erf) form. candle's `gelu_erf` calls a scalar `erf` per element, about
//!   a tenth of a forward pass. Here `erf` is the Abramowitz–Stegun rational approximation
//!   7.1.26 (absolute error below 1.5e-7) with a polynomial `exp`, without branches so that the
//!   compiler vectorises it.
//! - Attention over packed sequences. Padded attention copies q, k and v into
//!   `[batch, heads, seq, head_dim]`, and its softmax runs `exp` on every masked score, where
//!   glibc takes its slow underflow path. [`packed_attention`] reads each sequence's own
//!   tokens from the fused projection and never touches padding.
//!
//! - Linear layers and layer norms of the encoder. [`linear`] calls the matrix product candle
//!   uses (`gemm`) with the bias and the residual already in the destination, and
//!   [`layer_norm`] works row by row, so a layer makes no separate element-wise passes. On a
//!   machine with few cores this matters more than the passes themselves: candle runs large
//!   element-wise ops on its own thread pool, whose workers spin after each op, taking a core
//!   from the matrix product that follows.
//!
//! The element-wise kernels are compiled twice, for AVX2 with FMA and for the baseline, and
//! pick at run time.

use candle_core::{CpuStorage, CustomOp1, DType, Device, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// `x · Φ(x)` with the erf form of the normal CDF, as transformers' `"gelu"`.
pub(crate) fn gelu_erf(x: &Tensor) -> Result<Tensor> {
    if x.dtype() == DType::F32 && matches!(x.device(), Device::Cpu) {
        x.contiguous()?.apply_op1_no_bwd(&GeluErf)
    } else {
        x.gelu_erf()
    }
}

struct GeluErf;

impl CustomOp1 for GeluErf {
    fn name(&self) -> &'static str {
        "assay-gelu-erf"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(data), Some((start, end))) = (storage, layout.contiguous_offsets())
        else {
            candle_core::bail!("assay-gelu-erf takes a contiguous f32 tensor");
        };
        let src = &data[start..end];
        let mut out = vec![0f32; src.len()];
        // Large enough that splitting beats the cost of waking a second thread.
        const CHUNK: usize = 1 << 14;
        if src.len() >= 2 * CHUNK {
            out.par_chunks_mut(CHUNK)
                .zip(src.par_chunks(CHUNK))
                .for_each(|(o, s)| apply(s, o));
        } else {
            apply(src, &mut out);
        }
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

/// Runs `f` on the contiguous f32 data of `t`, a tensor on the CPU.
fn with_f32<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> Result<R>) -> Result<R> {
    let (storage, layout) = t.storage_and_layout();
    let candle_core::Storage::Cpu(CpuStorage::F32(data)) = &*storage else {
        candle_core::bail!("expected an f32 tensor on the CPU, found {:?}", t.dtype());
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("expected a contiguous tensor");
    };
    f(&data[start..end])
}

/// `x · w + bias + residual` for `x` `[rows, inputs]`, `w` `[inputs, outputs]` (both
/// contiguous f32 on the CPU), `bias` `[outputs]` and `residual` `[rows, outputs]`.
pub(crate) fn linear(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    residual: Option<&Tensor>,
) -> Result<Tensor> {
    let rows = x.dims2()?.0;
    let outputs = w.dims2()?.1;
    let out = linear_vec(x, w, bias, residual)?;
    Tensor::from_vec(out, (rows, outputs), x.device())
}

/// [`linear`], with the `[rows, outputs]` result as a vector, for a caller that changes it in
/// place before it becomes a tensor (the decoder's rotary embedding).
pub(crate) fn linear_vec(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    residual: Option<&Tensor>,
) -> Result<Vec<f32>> {
    let (rows, inputs) = x.dims2()?;
    let (found, outputs) = w.dims2()?;
    if found != inputs {
        candle_core::bail!("linear: input is [{rows}, {inputs}], weight is [{found}, {outputs}]");
    }
    let mut dst = match residual {
        Some(r) => {
            if r.dims() != [rows, outputs] {
                candle_core::bail!(
                    "linear: residual is {:?}, expected [{rows}, {outputs}]",
                    r.dims()
                );
            }
            with_f32(&r.contiguous()?, |r| Ok(r.to_vec()))?
        }
        None => vec![0f32; rows * outputs],
    };
    if let Some(b) = bias {
        with_f32(&b.contiguous()?, |b| {
            if b.len() != outputs {
                candle_core::bail!("linear: bias has {} values, expected {outputs}", b.len());
            }
            for row in dst.chunks_exact_mut(outputs) {
                for (d, &b) in row.iter_mut().zip(b) {
                    *d += b;
                }
            }
            Ok(())
        })?;
    }
    let read_dst = residual.is_some() || bias.is_some();
    let x = x.contiguous()?;
    with_f32(&x, |xs| {
        with_f32(w, |ws| {
            let threads = rayon::current_num_threads();
            let parallelism = if threads > 1 {
                gemm::Parallelism::Rayon(threads)
            } else {
                gemm::Parallelism::None
            };
            // SAFETY: the three buffers hold `rows × outputs`, `rows × inputs` and
            // `inputs × outputs` values, row-major, as the strides say; `dst` is not aliased.
            unsafe {
                gemm::gemm(
                    rows,
                    outputs,
                    inputs,
                    dst.as_mut_ptr(),
                    1,
                    outputs as isize,
                    read_dst,
                    xs.as_ptr(),
                    1,
                    inputs as isize,
                    ws.as_ptr(),
                    1,
                    outputs as isize,
                    1.0,
                    1.0,
                    false,
                    false,
                    false,
                    parallelism,
                )
            };
            Ok(())
        })
    })?;
    Ok(dst)
}

/// Layer normalisation of each row of `x` (`[rows, size]`, f32 on the CPU), in f32 as
/// transformers computes it: `(x − mean) / sqrt(var + eps) · weight + bias`.
pub(crate) fn layer_norm(x: &Tensor, weight: &Tensor, bias: &Tensor, eps: f32) -> Result<Tensor> {
    let (rows, size) = x.dims2()?;
    let x = x.contiguous()?;
    let weight = weight.contiguous()?;
    let bias = bias.contiguous()?;
    let out = with_f32(&x, |xs| {
        with_f32(&weight, |w| {
            with_f32(&bias, |b| {
                if w.len() != size || b.len() != size {
                    candle_core::bail!("layer norm: weights of {} for rows of {size}", w.len());
                }
                let mut out = vec![0f32; rows * size];
                let norm = |(o, x): (&mut [f32], &[f32])| {
                    let mean = x.iter().sum::<f32>() / size as f32;
                    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / size as f32;
                    let inv = 1.0 / (var + eps).sqrt();
                    for (((o, &v), &w), &b) in o.iter_mut().zip(x).zip(w).zip(b) {
                        *o = (v - mean) * inv * w + b;
                    }
                };
                if rows * size >= 1 << 16 {
                    out.par_chunks_mut(size)
                        .zip(xs.par_chunks(size))
                        .for_each(norm);
                } else {
                    out.chunks_mut(size).zip(xs.chunks(size)).for_each(norm);
                }
                Ok(out)
            })
        })
    })?;
    Tensor::from_vec(out, (rows, size), x.device())
}

/// RMS normalisation of each row of `x` (`[rows, size]`, f32 on the CPU), as transformers'
/// Llama and Qwen norms compute it: `x / sqrt(mean(x²) + eps) · weight`.
pub(crate) fn rms_norm(x: &Tensor, weight: &Tensor, eps: f32) -> Result<Tensor> {
    let (rows, size) = x.dims2()?;
    let x = x.contiguous()?;
    let weight = weight.contiguous()?;
    let out = with_f32(&x, |xs| {
        with_f32(&weight, |w| {
            if w.len() != size {
                candle_core::bail!("rms norm: weights of {} for rows of {size}", w.len());
            }
            let mut out = xs.to_vec();
            let norm = |o: &mut [f32]| rms_norm_in_place(o, w, eps);
            if rows * size >= 1 << 16 {
                out.par_chunks_mut(size).for_each(norm);
            } else {
                out.chunks_mut(size).for_each(norm);
            }
            Ok(out)
        })
    })?;
    Tensor::from_vec(out, (rows, size), x.device())
}

/// RMS normalisation of one vector in place (a row, or one head of a row for Qwen3's query
/// and key norms).
#[inline]
pub(crate) fn rms_norm_in_place(x: &mut [f32], weight: &[f32], eps: f32) {
    let mean_square = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let inv = 1.0 / (mean_square + eps).sqrt();
    for (v, &w) in x.iter_mut().zip(weight) {
        *v = w * (*v * inv);
    }
}

/// Rotary position embedding of one head in place, in the half-split layout transformers uses
/// (`rotate_half`): `x₁' = x₁·cos − x₂·sin`, `x₂' = x₂·cos + x₁·sin`, with `cos` and `sin` the
/// position's `head_dim / 2` values.
#[inline]
pub(crate) fn rope_in_place(head: &mut [f32], cos: &[f32], sin: &[f32]) {
    let (first, second) = head.split_at_mut(head.len() / 2);
    for (((a, b), &c), &s) in first.iter_mut().zip(second.iter_mut()).zip(cos).zip(sin) {
        let (x1, x2) = (*a, *b);
        *a = x1 * c - x2 * s;
        *b = x2 * c + x1 * s;
    }
}

/// `silu(gate) · up` for each row of `gate_up` (`[rows, 2 · size]`, the gate's outputs then the
/// up projection's, as the fused layer writes them). Returns `[rows, size]`.
pub(crate) fn silu_gate(gate_up: &[f32], size: usize) -> Vec<f32> {
    let rows = gate_up.len() / (2 * size);
    let mut out = vec![0f32; rows * size];
    let one = |(o, gu): (&mut [f32], &[f32])| {
        let (gate, up) = gu.split_at(size);
        #[cfg(target_arch = "x86_64")]
        if has_avx2_fma() {
            // SAFETY: the CPU has the features the function is compiled for.
            unsafe { silu_gate_avx2(gate, up, o) };
            return;
        }
        silu_gate_portable(gate, up, o);
    };
    if rows * size >= 1 << 16 {
        out.par_chunks_mut(size)
            .zip(gate_up.par_chunks(2 * size))
            .for_each(one);
    } else {
        out.chunks_mut(size)
            .zip(gate_up.chunks(2 * size))
            .for_each(one);
    }
    out
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn silu_gate_avx2(gate: &[f32], up: &[f32], out: &mut [f32]) {
    silu_gate_portable(gate, up, out);
}

#[inline(always)]
fn silu_gate_portable(gate: &[f32], up: &[f32], out: &mut [f32]) {
    for ((o, &g), &u) in out.iter_mut().zip(gate).zip(up) {
        *o = silu(g) * u;
    }
}

/// `x · σ(x)`, with `σ` from `e^(−|x|)` so that the exponential never overflows.
#[inline(always)]
fn silu(x: f32) -> f32 {
    let e = exp_nonpositive(-x.abs());
    let sigmoid = if x >= 0.0 { 1.0 } else { e } / (1.0 + e);
    x * sigmoid
}

/// Whether the AVX2 and FMA builds of the kernels can run here.
fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn apply(src: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { apply_avx2(src, out) };
        return;
    }
    apply_portable(src, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn apply_avx2(src: &[f32], out: &mut [f32]) {
    apply_portable(src, out);
}

#[inline(always)]
fn apply_portable(src: &[f32], out: &mut [f32]) {
    for (o, &x) in out.iter_mut().zip(src) {
        *o = gelu(x);
    }
}

/// `x/2 · (1 + erf(x/√2))`.
#[inline(always)]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// Abramowitz and Stegun 7.1.26: `erf(x) ≈ 1 − t·(a1 + t·(a2 + …))·e^(−x²)`, `t = 1/(1 + p·x)`
/// for `x ≥ 0`, odd.
#[inline(always)]
fn erf(x: f32) -> f32 {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [
        0.254_829_6,
        -0.284_496_74,
        1.421_413_8,
        -1.453_152,
        1.061_405_4,
    ];
    let a = x.abs();
    let t = 1.0 / (1.0 + P * a);
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    let y = 1.0 - poly * exp_nonpositive(-a * a);
    y.copysign(x)
}

/// `e^x` for `x ≤ 0`, relative error about 1e-7: `x = n·ln2 + r` with `|r| ≤ ln2/2`, a
/// degree-7 Taylor polynomial for `e^r`, and `2^n` put in the exponent bits. Below −87 the
/// result is 0 (a subnormal at most in exact arithmetic).
#[inline(always)]
fn exp_nonpositive(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    let x = x.max(-87.0);
    let n = (x * std::f32::consts::LOG2_E).round_ties_even();
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    p * scale
}

/// The shape of attention over packed sequences (see [`packed_attention`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttentionShape {
    /// Query heads.
    pub heads: usize,
    /// Key and value heads; query head `h` reads key and value head `h / (heads / kv_heads)`
    /// (grouped-query attention). Equal to `heads` for multi-head attention.
    pub kv_heads: usize,
    /// Width of one head.
    pub head_dim: usize,
    /// The factor on every score, `1 / sqrt(head_dim)`.
    pub scale: f32,
    /// Whether a token attends only to itself and the tokens before it (decoders) or to its
    /// whole sequence (encoders).
    pub causal: bool,
}

/// Attention over packed sequences: `qkv` is `[tokens, (heads + 2 · kv_heads) · head_dim]`
/// (queries, then keys, then values, as the fused projection writes them), the sequences lie
/// one after the other with `lengths` tokens each, and every token attends to the tokens of its
/// own sequence (the ones up to itself when `causal`). Returns `[tokens, heads · head_dim]`.
/// Needs a contiguous f32 CPU tensor.
pub(crate) fn packed_attention(
    qkv: &Tensor,
    lengths: &[usize],
    shape: &AttentionShape,
) -> Result<Tensor> {
    let (tokens, width) = qkv.dims2()?;
    let AttentionShape {
        heads,
        kv_heads,
        head_dim,
        ..
    } = *shape;
    let hidden = heads * head_dim;
    let expected = (heads + 2 * kv_heads) * head_dim;
    if kv_heads == 0 || heads % kv_heads != 0 {
        candle_core::bail!("packed attention: {heads} query heads over {kv_heads} key heads");
    }
    if width != expected || lengths.iter().sum::<usize>() != tokens {
        candle_core::bail!(
            "packed attention: qkv is [{tokens}, {width}], expected [{}, {expected}]",
            lengths.iter().sum::<usize>(),
        );
    }
    let qkv = qkv.contiguous()?;
    let blocks = with_f32(&qkv, |data| Ok(attend(data, lengths, shape)))?;
    let starts = starts(lengths);
    let mut out = vec![0f32; tokens * hidden];
    for ((s, h), block) in blocks {
        for (i, row) in block.chunks_exact(head_dim).enumerate() {
            let at = (starts[s] + i) * hidden + h * head_dim;
            out[at..at + head_dim].copy_from_slice(row);
        }
    }
    Tensor::from_vec(out, (tokens, hidden), qkv.device())
}

/// Where each sequence starts among the packed tokens.
fn starts(lengths: &[usize]) -> Vec<usize> {
    lengths
        .iter()
        .scan(0, |at, &len| {
            let s = *at;
            *at += len;
            Some(s)
        })
        .collect()
}

/// The `[len, head_dim]` result of every (sequence, head) pair of [`packed_attention`].
fn attend(
    data: &[f32],
    lengths: &[usize],
    shape: &AttentionShape,
) -> Vec<((usize, usize), Vec<f32>)> {
    let AttentionShape {
        heads,
        kv_heads,
        head_dim: d,
        ..
    } = *shape;
    let width = (heads + 2 * kv_heads) * d;
    let starts = starts(lengths);
    // One task per (sequence, head); each writes its own `[len, head_dim]` block.
    let tasks: Vec<(usize, usize)> = (0..lengths.len())
        .flat_map(|s| (0..heads).map(move |h| (s, h)))
        .filter(|&(s, _)| lengths[s] > 0)
        .collect();
    let group = heads / kv_heads;
    tasks
        .par_iter()
        .map(|&(s, h)| {
            let rows = &data[starts[s] * width..(starts[s] + lengths[s]) * width];
            let kv = h / group;
            let head = Head {
                width,
                query: h * d,
                key: (heads + kv) * d,
                value: (heads + kv_heads + kv) * d,
                head_dim: d,
                scale: shape.scale,
                causal: shape.causal,
            };
            let mut out = vec![0f32; lengths[s] * d];
            #[cfg(target_arch = "x86_64")]
            if has_avx2_fma() {
                // SAFETY: the CPU has the features the function is compiled for.
                unsafe { attend_head_avx2(rows, &head, &mut out) };
                return ((s, h), out);
            }
            attend_head(rows, &head, &mut out);
            ((s, h), out)
        })
        .collect()
}

/// Where one head's query, key and value columns sit in a row of the fused projection.
struct Head {
    width: usize,
    query: usize,
    key: usize,
    value: usize,
    head_dim: usize,
    scale: f32,
    causal: bool,
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn attend_head_avx2(rows: &[f32], head: &Head, out: &mut [f32]) {
    attend_head(rows, head, out);
}

/// Softmax attention of one head of one sequence: `rows` are the sequence's rows of the fused
/// projection, `out` its `[len, head_dim]` result.
#[inline(always)]
fn attend_head(rows: &[f32], head: &Head, out: &mut [f32]) {
    let Head {
        width,
        query,
        key,
        value,
        head_dim: d,
        scale,
        causal,
    } = *head;
    let len = rows.len() / width;
    // This head's keys and values, contiguous, so the inner loops read them in order.
    let mut keys = Vec::with_capacity(len * d);
    let mut values = Vec::with_capacity(len * d);
    for row in rows.chunks_exact(width) {
        keys.extend_from_slice(&row[key..key + d]);
        values.extend_from_slice(&row[value..value + d]);
    }
    let mut scores = vec![0f32; len];
    for (i, o) in out.chunks_exact_mut(d).enumerate() {
        let q = &rows[i * width + query..i * width + query + d];
        let seen = if causal { i + 1 } else { len };
        let scores = &mut scores[..seen];
        let mut max = f32::NEG_INFINITY;
        for (score, k) in scores.iter_mut().zip(keys.chunks_exact(d)) {
            *score = dot(q, k) * scale;
            max = max.max(*score);
        }
        let mut sum = 0.0;
        for score in scores.iter_mut() {
            *score = exp_nonpositive(*score - max);
            sum += *score;
        }
        let norm = 1.0 / sum;
        for (&p, v) in scores.iter().zip(values.chunks_exact(d)) {
            let p = p * norm;
            for (o, &v) in o.iter_mut().zip(v) {
                *o += p * v;
            }
        }
    }
}

/// Dot product with eight partial sums, so that it vectorises without reassociation rules.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (a8, a_rest) = a.split_at(a.len() / 8 * 8);
    let (b8, b_rest) = b.split_at(a8.len());
    for (x, y) in a8.chunks_exact(8).zip(b8.chunks_exact(8)) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut sum = acc.iter().sum::<f32>();
    for (x, y) in a_rest.iter().zip(b_rest) {
        sum += x * y;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(x: f64) -> f64 {
        // erf from its Taylor series (|x| small) or the continued fraction of erfc; f64 makes
        // this exact to far below the f32 tolerance checked here.
        0.5 * x * (1.0 + erf_f64(x / std::f64::consts::SQRT_2))
    }

    fn erf_f64(x: f64) -> f64 {
        if x.abs() < 3.0 {
            let mut term = x;
            let mut sum = x;
            for n in 1..200 {
                term *= -x * x / n as f64;
                sum += term / (2 * n + 1) as f64;
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            // erfc(x) = e^{-x²}/(x√π) · 1/(1 + 1/(2x²)/(1 + 2/(2x²)/(1 + …))) by Lentz-free
            // backward evaluation of the continued fraction.
            let a = x.abs();
            let mut f = 0.0;
            for k in (1..60).rev() {
                f = (k as f64 / 2.0) / (a + f);
            }
            let erfc = (-a * a).exp() / std::f64::consts::PI.sqrt() / (a + f);
            (1.0 - erfc).copysign(x)
        }
    }

    #[test]
    fn gelu_matches_the_erf_form_to_f32_precision() {
        let mut worst = 0f64;
        for i in -200_000..=200_000 {
            let x = i as f64 * 1e-4;
            let got = gelu(x as f32) as f64;
            let want = reference(x);
            worst = worst.max((got - want).abs() / want.abs().max(1.0));
        }
        assert!(worst < 5e-7, "worst error {worst}");
    }

    #[test]
    fn the_tails_are_zero_and_identity() {
        assert_eq!(gelu(-100.0), 0.0);
        assert_eq!(gelu(100.0), 100.0);
        assert_eq!(gelu(0.0), 0.0);
        assert!(gelu(f32::NAN).is_nan());
    }

    #[test]
    fn packed_attention_agrees_with_padded_attention() -> Result<()> {
        let (heads, d) = (3, 20);
        let hidden = heads * d;
        let lengths = [7usize, 1, 12, 5];
        let tokens: usize = lengths.iter().sum();
        // Deterministic values in [-2, 2).
        let values: Vec<f32> = (0..tokens * 3 * hidden)
            .map(|i| ((i * 7919 % 1000) as f32 / 250.0) - 2.0)
            .collect();
        let qkv = Tensor::from_vec(values, (tokens, 3 * hidden), &Device::Cpu)?;
        let scale = 1.0 / (d as f32).sqrt();
        let shape = AttentionShape {
            heads,
            kv_heads: heads,
            head_dim: d,
            scale,
            causal: false,
        };
        let ours = packed_attention(&qkv, &lengths, &shape)?;
        // The padded reference: rows laid out [b, t], padding masked.
        let mut starts = 0;
        for (row, &len) in lengths.iter().enumerate() {
            let seq = qkv.narrow(0, starts, len)?;
            let split = |i: usize| -> Result<Tensor> {
                seq.narrow(1, i * hidden, hidden)?
                    .reshape((1, len, heads, d))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let mask = Tensor::zeros((1, 1, 1, len), DType::F32, &Device::Cpu)?;
            let want =
                crate::nn::attention(&split(0)?, &split(1)?, &split(2)?, &mask, scale as f64)?
                    .transpose(1, 2)?
                    .reshape((len, hidden))?;
            let got = ours.narrow(0, starts, len)?;
            let diff = (got - want)?.abs()?.max_all()?.to_scalar::<f32>()?;
            assert!(diff < 1e-5, "sequence {row}: difference {diff}");
            starts += len;
        }
        assert_eq!(ours.dims(), &[tokens, hidden]);
        Ok(())
    }

    #[test]
    fn causal_grouped_attention_agrees_with_masked_padded_attention() -> Result<()> {
        let (heads, kv_heads, d) = (4, 2, 8);
        let lengths = [5usize, 1, 9];
        let tokens: usize = lengths.iter().sum();
        let width = (heads + 2 * kv_heads) * d;
        let values: Vec<f32> = (0..tokens * width)
            .map(|i| ((i * 7919 % 1000) as f32 / 250.0) - 2.0)
            .collect();
        let qkv = Tensor::from_vec(values, (tokens, width), &Device::Cpu)?;
        let scale = 1.0 / (d as f32).sqrt();
        let shape = AttentionShape {
            heads,
            kv_heads,
            head_dim: d,
            scale,
            causal: true,
        };
        let ours = packed_attention(&qkv, &lengths, &shape)?;
        let mut start = 0;
        for (row, &len) in lengths.iter().enumerate() {
            let seq = qkv.narrow(0, start, len)?;
            let part = |from: usize, n: usize| -> Result<Tensor> {
                seq.narrow(1, from * d, n * d)?
                    .reshape((1, len, n, d))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            // Each key and value head serves `heads / kv_heads` query heads in a row.
            let expand = |x: Tensor| -> Result<Tensor> {
                x.unsqueeze(2)?
                    .expand((1, kv_heads, heads / kv_heads, len, d))?
                    .reshape((1, heads, len, d))
            };
            let mask: Vec<f32> = (0..len)
                .flat_map(|i| (0..len).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
                .collect();
            let mask = Tensor::from_vec(mask, (1, 1, len, len), &Device::Cpu)?;
            let want = crate::nn::attention(
                &part(0, heads)?,
                &expand(part(heads, kv_heads)?)?,
                &expand(part(heads + kv_heads, kv_heads)?)?,
                &mask,
                scale as f64,
            )?
            .transpose(1, 2)?
            .reshape((len, heads * d))?;
            let got = ours.narrow(0, start, len)?;
            let diff = (got - want)?.abs()?.max_all()?.to_scalar::<f32>()?;
            assert!(diff < 1e-5, "sequence {row}: difference {diff}");
            start += len;
        }
        Ok(())
    }

    #[test]
    fn rms_norm_and_the_silu_gate_agree_with_candle() -> Result<()> {
        let values: Vec<f32> = (0..6 * 40).map(|i| (i as f32 - 120.0) * 0.37).collect();
        let x = Tensor::from_vec(values.clone(), (6, 40), &Device::Cpu)?;
        let weight = Tensor::from_vec(
            (0..40).map(|i| 0.5 + i as f32 / 40.0).collect::<Vec<f32>>(),
            40,
            &Device::Cpu,
        )?;
        let ours = rms_norm(&x, &weight, 1e-6)?;
        let theirs = candle_nn::ops::rms_norm(&x, &weight, 1e-6)?;
        let diff = (ours - theirs)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(diff < 1e-5, "rms norm differs by {diff}");

        // Rows of 20 gate values then 20 up values.
        let ours = silu_gate(&values, 20);
        let gate = x.narrow(1, 0, 20)?;
        let up = x.narrow(1, 20, 20)?;
        let theirs = (gate.silu()? * up)?.flatten_all()?.to_vec1::<f32>()?;
        for (a, b) in ours.iter().zip(&theirs) {
            assert!(
                (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                "silu gate: {a} vs {b}"
            );
        }
        assert!(silu(-1000.0).abs() < 1e-30);
        assert_eq!(silu(1000.0), 1000.0);
        Ok(())
    }

    #[test]
    fn rope_rotates_each_half_pair() {
        let mut head = [1.0f32, 2.0, 3.0, 4.0];
        let angle = [0.5f32, 1.5];
        let cos: Vec<f32> = angle.iter().map(|a| a.cos()).collect();
        let sin: Vec<f32> = angle.iter().map(|a| a.sin()).collect();
        rope_in_place(&mut head, &cos, &sin);
        // (x₀, x₂) = (1, 3) turned by 0.5 rad, (x₁, x₃) = (2, 4) by 1.5 rad.
        let want = [
            1.0 * cos[0] - 3.0 * sin[0],
            2.0 * cos[1] - 4.0 * sin[1],
            3.0 * cos[0] + 1.0 * sin[0],
            4.0 * cos[1] + 2.0 * sin[1],
        ];
        for (a, b) in head.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{head:?} vs {want:?}");
        }
    }

    #[test]
    fn packed_attention_refuses_a_shape_that_does_not_add_up() {
        let qkv = Tensor::zeros((10, 18), DType::F32, &Device::Cpu).unwrap();
        let shape = AttentionShape {
            heads: 2,
            kv_heads: 1,
            head_dim: 3,
            scale: 1.0,
            causal: true,
        };
        let err = packed_attention(&qkv, &[4, 5], &shape).unwrap_err();
        assert!(err.to_string().contains("expected [9, 12]"), "{err}");
    }

    #[test]
    fn the_tensor_op_agrees_with_candle_on_every_layout() -> Result<()> {
        let values: Vec<f32> = (0..40_000).map(|i| (i as f32 - 20_000.0) * 4e-4).collect();
        let x = Tensor::from_vec(values, (200, 200), &Device::Cpu)?;
        for input in [x.clone(), x.t()?, x.narrow(1, 3, 50)?] {
            let ours = gelu_erf(&input)?;
            let theirs = input.gelu_erf()?;
            let diff = (ours - theirs)?.abs()?.max_all()?.to_scalar::<f32>()?;
            assert!(diff < 1e-6, "difference {diff}");
        }
        Ok(())
    }
}
