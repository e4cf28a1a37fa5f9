//! BERT-family encoders (BERT, RoBERTa, XLM-RoBERTa) with their optional classification heads.

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::VarBuilder;

use crate::config::{Family, ModelConfig};
use crate::cpu::{packed_attention, AttentionShape};
use crate::nn::{attention, Activation, LayerNorm, Linear};

#[derive(Debug)]
struct Layer {
    qkv: Linear,
    out: Linear,
    attn_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    out_norm: LayerNorm,
}

/// The sequence-classification head of a cross-encoder.
#[derive(Debug)]
pub(crate) enum ClassifierHead {
    /// `BertForSequenceClassification`: `classifier(tanh(pooler.dense(h[CLS])))`.
    Bert { pooler: Linear, classifier: Linear },
    /// `RobertaForSequenceClassification`: `out_proj(tanh(dense(h[CLS])))`.
    Roberta { dense: Linear, out_proj: Linear },
}

impl ClassifierHead {
    /// Number of outputs.
    pub(crate) fn outputs(&self) -> usize {
        match self {
            ClassifierHead::Bert { classifier, .. } => classifier.outputs(),
            ClassifierHead::Roberta { out_proj, .. } => out_proj.outputs(),
        }
    }

    /// Logits from the `[CLS]` hidden states `[batch, hidden]`.
    pub(crate) fn forward(&self, cls: &Tensor) -> Result<Tensor> {
        match self {
            ClassifierHead::Bert { pooler, classifier } => {
                classifier.forward(&pooler.forward(cls)?.tanh()?)
            }
            ClassifierHead::Roberta { dense, out_proj } => {
                out_proj.forward(&dense.forward(cls)?.tanh()?)
            }
        }
    }
}

/// An encoder stack.
#[derive(Debug)]
pub(crate) struct Encoder {
    word: Tensor,
    position: Tensor,
    token_type: Option<Tensor>,
    embed_norm: LayerNorm,
    layers: Vec<Layer>,
    position_offset: usize,
    heads: usize,
    head_dim: usize,
    hidden: usize,
    act: Activation,
    dtype: DType,
    device: Device,
    max_positions: usize,
}

impl Encoder {
    /// Loads the encoder from `vb` (under the `bert.`/`roberta.` prefix when there is one) and
    /// the classification head from `root` when `with_head`.
    pub(crate) fn load(
        vb: &VarBuilder,
        root: &VarBuilder,
        config: &ModelConfig,
        with_head: bool,
    ) -> Result<(Self, Option<ClassifierHead>)> {
        let h = config.hidden_size;
        let eps = config.norm_eps;
        let max_positions = config.max_position_embeddings.unwrap_or(512);
        let act = Activation::from_name(&config.hidden_act).map_err(candle_core::Error::msg)?;
        let emb = vb.pp("embeddings");
        let word = emb
            .pp("word_embeddings")
            .get((config.vocab_size, h), "weight")?;
        let position = emb
            .pp("position_embeddings")
            .get((max_positions, h), "weight")?;
        let token_type =
            if config.type_vocab_size > 0 && emb.contains_tensor("token_type_embeddings.weight") {
                Some(
                    emb.pp("token_type_embeddings")
                        .get((config.type_vocab_size, h), "weight")?,
                )
            } else {
                None
            };
        let embed_norm = LayerNorm::load(&emb, "LayerNorm", h, eps)?;
        let mut layers = Vec::with_capacity(config.num_layers);
        for i in 0..config.num_layers {
            let vb = vb.pp(format!("encoder.layer.{i}"));
            let attn = vb.pp("attention");
            let this = attn.pp("self");
            let q = Linear::load(&this, "query", h, h, true)?;
            let k = Linear::load(&this, "key", h, h, true)?;
            let v = Linear::load(&this, "value", h, h, true)?;
            layers.push(Layer {
                qkv: Linear::fuse(&[q, k, v])?,
                out: Linear::load(&attn.pp("output"), "dense", h, h, true)?,
                attn_norm: LayerNorm::load(&attn.pp("output"), "LayerNorm", h, eps)?,
                intermediate: Linear::load(
                    &vb.pp("intermediate"),
                    "dense",
                    h,
                    config.intermediate_size,
                    true,
                )?,
                output: Linear::load(&vb.pp("output"), "dense", config.intermediate_size, h, true)?,
                out_norm: LayerNorm::load(&vb.pp("output"), "LayerNorm", h, eps)?,
            });
        }
        // RoBERTa numbers positions from padding_idx + 1.
        let position_offset = match config.family {
            Family::Roberta => config.pad_token_id.unwrap_or(1) as usize + 1,
            _ => 0,
        };
        let head = if !with_head {
            None
        } else if root.contains_tensor("classifier.weight") {
            Some(ClassifierHead::Bert {
                pooler: Linear::load(&vb.pp("pooler"), "dense", h, h, true)?,
                classifier: Linear::load_any(root, "classifier", h)?,
            })
        } else if root.contains_tensor("classifier.dense.weight") {
            Some(ClassifierHead::Roberta {
                dense: Linear::load(&root.pp("classifier"), "dense", h, h, true)?,
                out_proj: Linear::load_any(&root.pp("classifier"), "out_proj", h)?,
            })
        } else {
            candle_core::bail!(
                "no classification head (classifier.weight or classifier.dense.weight): this encoder gives embeddings, not scores"
            )
        };
        Ok((
            Encoder {
                word,
                position,
                token_type,
                embed_norm,
                layers,
                position_offset,
                heads: config.num_heads,
                head_dim: h / config.num_heads,
                hidden: h,
                act,
                dtype: vb.dtype(),
                device: vb.device().clone(),
                max_positions,
            },
            head,
        ))
    }

    /// The longest input the position table covers.
    pub(crate) fn max_length(&self) -> usize {
        self.max_positions.saturating_sub(self.position_offset)
    }

    /// Hidden states `[batch, seq, hidden]` of right-padded `ids` with `type_ids` and
    /// `lengths` (real tokens per row). Rows past a row's length hold unspecified values.
    ///
    /// Only attention needs the rows side by side: every other layer works token by token, so
    /// the real tokens of all rows are packed into one `[tokens, hidden]` matrix and the
    /// padding is never multiplied (with inputs of 5 to 60 words, padding to the longest is
    /// about half of a batch's tokens). In f32 on the CPU attention reads each sequence from
    /// the packed tokens too; elsewhere it gathers them into the padded layout and masks the
    /// padding.
    pub(crate) fn forward(
        &self,
        ids: &Tensor,
        type_ids: &Tensor,
        lengths: &[usize],
    ) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let h = self.hidden;
        let layout = Packing::new(lengths, t, &self.device)?;
        let positions: Vec<u32> = lengths.iter().flat_map(|&len| 0..len as u32).collect();
        let n = positions.len();
        let positions = Tensor::from_vec(positions, n, &self.device)?;
        let table = self.position.narrow(0, self.position_offset, t)?;
        let mut x = (self
            .word
            .index_select(&layout.pack(&ids.flatten_all()?)?, 0)?
            + table.index_select(&positions, 0)?)?;
        if let Some(tt) = &self.token_type {
            x = (x + tt.index_select(&layout.pack(&type_ids.flatten_all()?)?, 0)?)?;
        }
        x = self.embed_norm.forward(&x)?;
        // f32 on the CPU runs on the packed tokens throughout; other types and devices gather
        // each row's tokens into the padded layout for attention and mask the padding.
        if self.dtype == DType::F32 && self.device.is_cpu() {
            for layer in &self.layers {
                x = self.layer_packed_cpu(layer, &x, lengths)?;
            }
        } else {
            let mask: Vec<f32> = lengths
                .iter()
                .flat_map(|&len| (0..t).map(move |j| if j < len { 0.0 } else { f32::MIN }))
                .collect();
            let mask = Tensor::from_vec(mask, (b, 1, 1, t), &self.device)?.to_dtype(self.dtype)?;
            for layer in &self.layers {
                x = self.layer_padded(layer, &x, &mask, &layout, (b, t))?;
            }
        }
        layout.unpack(&x)?.reshape((b, t, h))
    }
}

impl Encoder {
    /// One layer on packed f32 tokens on the CPU: bias and residual go into each product's
    /// output, attention reads the fused projection directly.
    fn layer_packed_cpu(&self, layer: &Layer, x: &Tensor, lengths: &[usize]) -> Result<Tensor> {
        let scale = 1.0 / (self.head_dim as f32).sqrt();
        let qkv = layer.qkv.forward_cpu(x, None)?;
        let shape = AttentionShape {
            heads: self.heads,
            kv_heads: self.heads,
            head_dim: self.head_dim,
            scale,
            causal: false,
        };
        let y = packed_attention(&qkv, lengths, &shape)?;
        let x = layer
            .attn_norm
            .forward_cpu(&layer.out.forward_cpu(&y, Some(x))?)?;
        let inner = layer.intermediate.forward_cpu(&x, None)?;
        let inner = match self.act {
            Activation::Gelu => crate::cpu::gelu_erf(&inner)?,
            act => act.apply(&inner)?,
        };
        layer
            .out_norm
            .forward_cpu(&layer.output.forward_cpu(&inner, Some(&x))?)
    }

    /// One layer on packed tokens with attention in the padded layout `(rows, longest)`.
    fn layer_padded(
        &self,
        layer: &Layer,
        x: &Tensor,
        mask: &Tensor,
        layout: &Packing,
        (b, t): (usize, usize),
    ) -> Result<Tensor> {
        let (h, nh, d) = (self.hidden, self.heads, self.head_dim);
        let qkv = layout
            .unpack(&layer.qkv.forward(x)?)?
            .reshape((b, t, 3 * h))?;
        let split = |i: usize| -> Result<Tensor> {
            qkv.narrow(2, i * h, h)?
                .reshape((b, t, nh, d))?
                .transpose(1, 2)?
                .contiguous()
        };
        let scale = 1.0 / (d as f64).sqrt();
        let y = attention(&split(0)?, &split(1)?, &split(2)?, mask, scale)?
            .transpose(1, 2)?
            .reshape((b * t, h))?;
        let x = layer
            .attn_norm
            .forward(&(layer.out.forward(&layout.pack(&y)?)? + x)?)?;
        let inner = self.act.apply(&layer.intermediate.forward(&x)?)?;
        layer
            .out_norm
            .forward(&(layer.output.forward(&inner)? + &x)?)
    }
}

/// Where the real tokens of right-padded rows sit, to move between the padded layout
/// `[rows × longest, …]` and the packed one `[tokens, …]`.
struct Packing {
    /// For each real token, its index in the padded layout; `None` when nothing is padded.
    packed: Option<Tensor>,
    /// For each padded position, the packed token it reads (a padding position reads its
    /// row's first token: attention masks it and callers ignore it).
    padded: Option<Tensor>,
}

impl Packing {
    fn new(lengths: &[usize], longest: usize, device: &Device) -> Result<Self> {
        if lengths.iter().all(|&len| len == longest) {
            return Ok(Packing {
                packed: None,
                padded: None,
            });
        }
        let tokens: usize = lengths.iter().sum();
        let last = tokens.saturating_sub(1);
        let mut packed = Vec::with_capacity(tokens);
        let mut padded = Vec::with_capacity(lengths.len() * longest);
        let mut start = 0;
        for (row, &len) in lengths.iter().enumerate() {
            packed.extend((0..len).map(|j| (row * longest + j) as u32));
            padded.extend(
                (0..longest).map(|j| (start + j.min(len.saturating_sub(1))).min(last) as u32),
            );
            start += len;
        }
        let rows = padded.len();
        Ok(Packing {
            packed: Some(Tensor::from_vec(packed, tokens, device)?),
            padded: Some(Tensor::from_vec(padded, rows, device)?),
        })
    }

    /// The real tokens' rows of `x` (`[rows × longest, …]` → `[tokens, …]`).
    fn pack(&self, x: &Tensor) -> Result<Tensor> {
        match &self.packed {
            Some(index) => x.index_select(index, 0),
            None => Ok(x.clone()),
        }
    }

    /// `x` in the padded layout (`[tokens, …]` → `[rows × longest, …]`).
    fn unpack(&self, x: &Tensor) -> Result<Tensor> {
        match &self.padded {
            Some(index) => x.index_select(index, 0),
            None => Ok(x.clone()),
        }
    }
}
