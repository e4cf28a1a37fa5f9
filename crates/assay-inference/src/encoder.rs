//! BERT-family encoders (BERT, RoBERTa, XLM-RoBERTa) with their optional classification heads.

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::VarBuilder;

use crate::config::{Family, ModelConfig};
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
    /// `lengths` (real tokens per row).
    pub(crate) fn forward(
        &self,
        ids: &Tensor,
        type_ids: &Tensor,
        lengths: &[usize],
    ) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let h = self.hidden;
        let mut x = self
            .word
            .index_select(&ids.flatten_all()?, 0)?
            .reshape((b, t, h))?;
        let positions = self.position.narrow(0, self.position_offset, t)?;
        x = x.broadcast_add(&positions)?;
        if let Some(tt) = &self.token_type {
            x = (x + tt
                .index_select(&type_ids.flatten_all()?, 0)?
                .reshape((b, t, h))?)?;
        }
        x = self.embed_norm.forward(&x)?;
        let mask: Vec<f32> = lengths
            .iter()
            .flat_map(|&len| (0..t).map(move |j| if j < len { 0.0 } else { f32::MIN }))
            .collect();
        let mask = Tensor::from_vec(mask, (b, 1, 1, t), &self.device)?.to_dtype(self.dtype)?;
        let (nh, d) = (self.heads, self.head_dim);
        let scale = 1.0 / (d as f64).sqrt();
        for layer in &self.layers {
            let qkv = layer.qkv.forward(&x)?;
            let split = |i: usize| -> Result<Tensor> {
                qkv.narrow(2, i * h, h)?
                    .reshape((b, t, nh, d))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let y = attention(&split(0)?, &split(1)?, &split(2)?, &mask, scale)?
                .transpose(1, 2)?
                .reshape((b, t, h))?;
            x = layer.attn_norm.forward(&(layer.out.forward(&y)? + &x)?)?;
            let inner = self.act.apply(&layer.intermediate.forward(&x)?)?;
            x = layer
                .out_norm
                .forward(&(layer.output.forward(&inner)? + &x)?)?;
        }
        Ok(x)
    }
}
