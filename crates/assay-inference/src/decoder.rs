//! Qwen2, Qwen3 and Llama decoders: the transformer stack up to the final norm, without a
//! language-model head, run on whole right-padded sequences (no cache).
//!
//! With right padding and causal attention, a real token never sees a padding token, so no
//! padding mask is needed: the hidden states of real tokens equal those of the unpadded input.
//!
//! In f32 on the CPU the stack runs on packed tokens instead (the real tokens of every row,
//! one after the other) with the kernels of [`crate::cpu`]: no matrix product or attention
//! score is spent on padding, and each layer is five matrix products with the bias and the
//! residual written in place, two row norms, the rotary embedding applied in place and one
//! attention pass. Other types and devices run the padded stack on candle's ops.

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::VarBuilder;

use crate::config::{Family, ModelConfig, RopeScaling};
use crate::cpu::{packed_attention, rms_norm_in_place, rope_in_place, silu_gate, AttentionShape};
use crate::nn::{attention, Activation, Linear, RmsNorm};

#[derive(Debug)]
struct Layer {
    input_norm: RmsNorm,
    qkv: Linear,
    out: Linear,
    q_norm: Option<RmsNorm>,
    k_norm: Option<RmsNorm>,
    post_norm: RmsNorm,
    gate_up: Linear,
    down: Linear,
}

/// A decoder stack.
#[derive(Debug)]
pub(crate) struct Decoder {
    embed: Tensor,
    layers: Vec<Layer>,
    norm: RmsNorm,
    inv_freq: Vec<f32>,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    intermediate: usize,
    hidden: usize,
    act: Activation,
    dtype: DType,
    device: Device,
}

impl Decoder {
    /// Loads the stack from `vb` (already under the `model.` prefix when there is one).
    pub(crate) fn load(vb: &VarBuilder, config: &ModelConfig) -> Result<Self> {
        let h = config.hidden_size;
        let d = config.head_dim;
        let (nh, nkv) = (config.num_heads, config.num_kv_heads);
        let act = Activation::from_name(&config.hidden_act).map_err(candle_core::Error::msg)?;
        let embed = vb
            .pp("embed_tokens")
            .get((config.vocab_size, h), "weight")?;
        let mut layers = Vec::with_capacity(config.num_layers);
        for i in 0..config.num_layers {
            let vb = vb.pp(format!("layers.{i}"));
            let attn = vb.pp("self_attn");
            let bias = config.attention_bias;
            let q = Linear::load(&attn, "q_proj", h, nh * d, bias)?;
            let k = Linear::load(&attn, "k_proj", h, nkv * d, bias)?;
            let v = Linear::load(&attn, "v_proj", h, nkv * d, bias)?;
            let out_bias = config.family == Family::Llama && config.attention_bias;
            let out = Linear::load(&attn, "o_proj", nh * d, h, out_bias)?;
            let (q_norm, k_norm) = if config.family == Family::Qwen3 {
                (
                    Some(RmsNorm::load(&attn, "q_norm", d, config.norm_eps)?),
                    Some(RmsNorm::load(&attn, "k_norm", d, config.norm_eps)?),
                )
            } else {
                (None, None)
            };
            let mlp = vb.pp("mlp");
            let i_size = config.intermediate_size;
            let gate = Linear::load(&mlp, "gate_proj", h, i_size, config.mlp_bias)?;
            let up = Linear::load(&mlp, "up_proj", h, i_size, config.mlp_bias)?;
            let down = Linear::load(&mlp, "down_proj", i_size, h, config.mlp_bias)?;
            layers.push(Layer {
                input_norm: RmsNorm::load(&vb, "input_layernorm", h, config.norm_eps)?,
                qkv: Linear::fuse(&[q, k, v])?,
                out,
                q_norm,
                k_norm,
                post_norm: RmsNorm::load(&vb, "post_attention_layernorm", h, config.norm_eps)?,
                gate_up: Linear::fuse(&[gate, up])?,
                down,
            });
        }
        Ok(Decoder {
            embed,
            layers,
            norm: RmsNorm::load(vb, "norm", h, config.norm_eps)?,
            inv_freq: inv_freq(config),
            heads: nh,
            kv_heads: nkv,
            head_dim: d,
            intermediate: config.intermediate_size,
            hidden: h,
            act,
            dtype: vb.dtype(),
            device: vb.device().clone(),
        })
    }

    /// The hidden size.
    pub(crate) fn hidden_size(&self) -> usize {
        self.hidden
    }

    /// Final-norm hidden states `[batch, seq, hidden]` of right-padded `ids` (`[batch, seq]`)
    /// whose rows hold `lengths` real tokens each. The states at padding positions are not
    /// defined (zero on the packed path): callers read real tokens only.
    pub(crate) fn forward(&self, ids: &Tensor, lengths: &[usize]) -> Result<Tensor> {
        if self.dtype == DType::F32 && self.device.is_cpu() {
            self.forward_packed_cpu(ids, lengths)
        } else {
            self.forward_padded(ids)
        }
    }

    /// [`forward`](Self::forward) on packed tokens, in f32 on the CPU.
    fn forward_packed_cpu(&self, ids: &Tensor, lengths: &[usize]) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        if lengths.len() != b || lengths.iter().any(|&n| n > t) {
            candle_core::bail!("decoder: lengths {lengths:?} for ids of shape [{b}, {t}]");
        }
        let index: Vec<u32> = lengths
            .iter()
            .enumerate()
            .flat_map(|(row, &n)| (0..n).map(move |j| (row * t + j) as u32))
            .collect();
        let tokens = index.len();
        let index = Tensor::from_vec(index, tokens, &self.device)?;
        let packed_ids = ids.flatten_all()?.index_select(&index, 0)?;
        let mut x = self.embed.index_select(&packed_ids, 0)?;
        let longest = lengths.iter().copied().max().unwrap_or(0);
        let rope = self.rope_values(longest);
        let positions: Vec<usize> = lengths.iter().flat_map(|&n| 0..n).collect();
        for layer in &self.layers {
            x = self.layer_packed_cpu(layer, &x, lengths, &positions, &rope)?;
        }
        let x = self.norm.forward_cpu(&x)?;
        // Back to the padded layout the callers index.
        let zeros = Tensor::zeros((b * t, self.hidden), DType::F32, &self.device)?;
        zeros.index_add(&index, &x, 0)?.reshape((b, t, self.hidden))
    }

    /// One layer over packed tokens (f32, CPU); `positions` is each token's place in its
    /// sequence, `rope` the cosines and sines of every position.
    fn layer_packed_cpu(
        &self,
        layer: &Layer,
        x: &Tensor,
        lengths: &[usize],
        positions: &[usize],
        (cos, sin): &(Vec<f32>, Vec<f32>),
    ) -> Result<Tensor> {
        let (nh, nkv, d) = (self.heads, self.kv_heads, self.head_dim);
        let half = d / 2;
        let width = (nh + 2 * nkv) * d;
        let h = layer.input_norm.forward_cpu(x)?;
        let mut qkv = layer.qkv.forward_cpu_vec(&h)?;
        let q_norm = layer
            .q_norm
            .as_ref()
            .map(RmsNorm::weights_f32)
            .transpose()?;
        let k_norm = layer
            .k_norm
            .as_ref()
            .map(RmsNorm::weights_f32)
            .transpose()?;
        for (row, &pos) in qkv.chunks_exact_mut(width).zip(positions) {
            let (cos, sin) = (
                &cos[pos * half..(pos + 1) * half],
                &sin[pos * half..(pos + 1) * half],
            );
            let (queries, rest) = row.split_at_mut(nh * d);
            for (heads, norm) in [(queries, &q_norm), (&mut rest[..nkv * d], &k_norm)] {
                for head in heads.chunks_exact_mut(d) {
                    if let Some((weight, eps)) = norm {
                        rms_norm_in_place(head, weight, *eps);
                    }
                    rope_in_place(head, cos, sin);
                }
            }
        }
        let qkv = Tensor::from_vec(qkv, (positions.len(), width), &self.device)?;
        let shape = AttentionShape {
            heads: nh,
            kv_heads: nkv,
            head_dim: d,
            scale: 1.0 / (d as f32).sqrt(),
            causal: true,
        };
        let y = packed_attention(&qkv, lengths, &shape)?;
        let x = layer.out.forward_cpu(&y, Some(x))?;
        let h = layer.post_norm.forward_cpu(&x)?;
        let inner = match self.act {
            Activation::Silu => {
                let gate_up = layer.gate_up.forward_cpu_vec(&h)?;
                let inner = silu_gate(&gate_up, self.intermediate);
                Tensor::from_vec(inner, (positions.len(), self.intermediate), &self.device)?
            }
            act => {
                let gu = layer.gate_up.forward_cpu(&h, None)?;
                let gate = act.apply(&gu.narrow(1, 0, self.intermediate)?)?;
                (gate * gu.narrow(1, self.intermediate, self.intermediate)?)?
            }
        };
        layer.down.forward_cpu(&inner, Some(&x))
    }

    /// The padded stack on candle's ops (half precision, GPUs).
    fn forward_padded(&self, ids: &Tensor) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let (nh, nkv, d) = (self.heads, self.kv_heads, self.head_dim);
        let mut x =
            self.embed
                .index_select(&ids.flatten_all()?, 0)?
                .reshape((b, t, self.hidden))?;
        let (cos, sin) = self.rope_tables(t)?;
        let mask = causal_mask(t, self.dtype, &self.device)?;
        let scale = 1.0 / (d as f64).sqrt();
        for layer in &self.layers {
            let residual = &x;
            let h = layer.input_norm.forward(&x)?;
            let qkv = layer.qkv.forward(&h)?;
            let mut q = qkv.narrow(2, 0, nh * d)?.reshape((b, t, nh, d))?;
            let mut k = qkv.narrow(2, nh * d, nkv * d)?.reshape((b, t, nkv, d))?;
            let v = qkv
                .narrow(2, (nh + nkv) * d, nkv * d)?
                .reshape((b, t, nkv, d))?;
            if let (Some(qn), Some(kn)) = (&layer.q_norm, &layer.k_norm) {
                q = qn.forward(&q)?;
                k = kn.forward(&k)?;
            }
            let q = candle_nn::rotary_emb::rope(&q.transpose(1, 2)?.contiguous()?, &cos, &sin)?;
            let k = candle_nn::rotary_emb::rope(&k.transpose(1, 2)?.contiguous()?, &cos, &sin)?;
            let v = v.transpose(1, 2)?.contiguous()?;
            let (k, v) = if nkv == nh {
                (k, v)
            } else {
                let rep = nh / nkv;
                let expand = |x: Tensor| -> Result<Tensor> {
                    x.unsqueeze(2)?
                        .expand((b, nkv, rep, t, d))?
                        .reshape((b, nh, t, d))
                };
                (expand(k)?, expand(v)?)
            };
            let y = attention(&q, &k, &v, &mask, scale)?
                .transpose(1, 2)?
                .reshape((b, t, nh * d))?;
            x = (residual + layer.out.forward(&y)?)?;
            let h = layer.post_norm.forward(&x)?;
            let gu = layer.gate_up.forward(&h)?;
            let gate = self.act.apply(&gu.narrow(2, 0, self.intermediate)?)?;
            let up = gu.narrow(2, self.intermediate, self.intermediate)?;
            x = (&x + layer.down.forward(&(gate * up)?)?)?;
        }
        self.norm.forward(&x)
    }

    /// Cosines and sines of the rotary angles of positions `0..t`, `[t, head_dim / 2]` each.
    fn rope_values(&self, t: usize) -> (Vec<f32>, Vec<f32>) {
        let half = self.inv_freq.len();
        let mut cos = Vec::with_capacity(t * half);
        let mut sin = Vec::with_capacity(t * half);
        for pos in 0..t {
            for f in &self.inv_freq {
                // Products in f32 as transformers computes them.
                let angle = pos as f32 * f;
                cos.push(angle.cos());
                sin.push(angle.sin());
            }
        }
        (cos, sin)
    }

    fn rope_tables(&self, t: usize) -> Result<(Tensor, Tensor)> {
        let half = self.inv_freq.len();
        let (cos, sin) = self.rope_values(t);
        let cos = Tensor::from_vec(cos, (t, half), &self.device)?.to_dtype(self.dtype)?;
        let sin = Tensor::from_vec(sin, (t, half), &self.device)?.to_dtype(self.dtype)?;
        Ok((cos, sin))
    }
}

fn causal_mask(t: usize, dtype: DType, device: &Device) -> Result<Tensor> {
    let mask: Vec<f32> = (0..t)
        .flat_map(|i| (0..t).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Tensor::from_vec(mask, (1, 1, t, t), device)?.to_dtype(dtype)
}

/// Rotary inverse frequencies with the configured scaling, as transformers computes them.
fn inv_freq(config: &ModelConfig) -> Vec<f32> {
    let d = config.head_dim;
    let base: Vec<f32> = (0..d / 2)
        .map(|i| 1.0 / (config.rope_theta as f32).powf((2 * i) as f32 / d as f32))
        .collect();
    match config.rope_scaling {
        RopeScaling::None => base,
        RopeScaling::Linear { factor } => base.iter().map(|f| f / factor as f32).collect(),
        RopeScaling::Llama3 {
            factor,
            low_freq_factor,
            high_freq_factor,
            original_max_position_embeddings,
        } => {
            let low_wavelen = original_max_position_embeddings / low_freq_factor;
            let high_wavelen = original_max_position_embeddings / high_freq_factor;
            base.iter()
                .map(|&f| {
                    let wavelen = 2.0 * std::f64::consts::PI / f as f64;
                    if wavelen < high_wavelen {
                        f
                    } else if wavelen > low_wavelen {
                        (f as f64 / factor) as f32
                    } else {
                        let smooth = (original_max_position_embeddings / wavelen - low_freq_factor)
                            / (high_freq_factor - low_freq_factor);
                        ((1.0 - smooth) * f as f64 / factor + smooth * f as f64) as f32
                    }
                })
                .collect()
        }
    }
}
