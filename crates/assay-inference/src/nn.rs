//! The layers the models share, on candle tensors.

use candle_core::{DType, Module, Result, Tensor};
use candle_nn::VarBuilder;

/// A linear layer `y = x Wᵀ + b` that multiplies any leading dimensions as one matrix.
///
/// The weight is kept transposed, `[inputs, outputs]` and contiguous: multiplied as checkpoints
/// store it (`[outputs, inputs]`), the CPU matrix product copies the whole weight into its
/// packed layout on every call, which at batch 1 cost as much as the product itself.
#[derive(Debug, Clone)]
pub(crate) struct Linear {
    weight_t: Tensor,
    bias: Option<Tensor>,
}

impl Linear {
    fn new(weight: Tensor, bias: Option<Tensor>) -> Result<Self> {
        Ok(Linear {
            weight_t: weight.t()?.contiguous()?,
            bias,
        })
    }

    pub(crate) fn load(
        vb: &VarBuilder,
        name: &str,
        inputs: usize,
        outputs: usize,
        bias: bool,
    ) -> Result<Self> {
        let vb = vb.pp(name);
        let weight = vb.get((outputs, inputs), "weight")?;
        let bias = if bias {
            Some(vb.get(outputs, "bias")?)
        } else {
            None
        };
        Linear::new(weight, bias)
    }

    /// Loads a linear layer whose output size is read from the weights.
    pub(crate) fn load_any(vb: &VarBuilder, name: &str, inputs: usize) -> Result<Self> {
        let vb = vb.pp(name);
        let weight = vb.get_unchecked("weight")?;
        let (outputs, found) = weight.dims2()?;
        if found != inputs {
            candle_core::bail!("{name}.weight has {found} inputs, expected {inputs}");
        }
        let bias = if vb.contains_tensor("bias") {
            Some(vb.get(outputs, "bias")?)
        } else {
            None
        };
        Linear::new(weight.to_dtype(vb.dtype())?, bias)
    }

    /// Stacks the outputs of several layers into one (one matrix product instead of several).
    pub(crate) fn fuse(parts: &[Linear]) -> Result<Self> {
        let weights: Vec<&Tensor> = parts.iter().map(|p| &p.weight_t).collect();
        let weight_t = Tensor::cat(&weights, 1)?;
        let bias = if parts.iter().any(|p| p.bias.is_some()) {
            let mut biases = Vec::new();
            for p in parts {
                biases.push(match &p.bias {
                    Some(b) => b.clone(),
                    None => Tensor::zeros(p.outputs(), p.weight_t.dtype(), p.weight_t.device())?,
                });
            }
            Some(Tensor::cat(&biases, 0)?)
        } else {
            None
        };
        Ok(Linear { weight_t, bias })
    }

    pub(crate) fn outputs(&self) -> usize {
        self.weight_t.dims()[1]
    }

    /// `x Wᵀ + b + residual` for `x` `[rows, inputs]` in f32 on the CPU, in one pass over the
    /// output (see [`crate::cpu::linear`]).
    pub(crate) fn forward_cpu(&self, x: &Tensor, residual: Option<&Tensor>) -> Result<Tensor> {
        crate::cpu::linear(x, &self.weight_t, self.bias.as_ref(), residual)
    }

    /// [`forward_cpu`](Self::forward_cpu) without a residual, the `[rows, outputs]` result as
    /// a vector.
    pub(crate) fn forward_cpu_vec(&self, x: &Tensor) -> Result<Vec<f32>> {
        crate::cpu::linear_vec(x, &self.weight_t, self.bias.as_ref(), None)
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dims = x.dims().to_vec();
        let inputs = *dims.last().unwrap_or(&0);
        let rows = x.elem_count() / inputs.max(1);
        let flat = x.reshape((rows, inputs))?;
        let mut y = flat.matmul(&self.weight_t)?;
        if let Some(b) = &self.bias {
            y = y.broadcast_add(b)?;
        }
        let mut out_dims = dims;
        if let Some(last) = out_dims.last_mut() {
            *last = self.outputs();
        }
        y.reshape(out_dims)
    }
}

/// RMS normalisation (decoders).
#[derive(Debug, Clone)]
pub(crate) struct RmsNorm {
    weight: Tensor,
    eps: f32,
}

impl RmsNorm {
    pub(crate) fn load(vb: &VarBuilder, name: &str, size: usize, eps: f64) -> Result<Self> {
        Ok(RmsNorm {
            weight: vb.pp(name).get(size, "weight")?,
            eps: eps as f32,
        })
    }

    /// The same normalisation of `[rows, size]` f32 on the CPU (see [`crate::cpu::rms_norm`]).
    pub(crate) fn forward_cpu(&self, x: &Tensor) -> Result<Tensor> {
        crate::cpu::rms_norm(x, &self.weight, self.eps)
    }

    /// The weights as f32, and epsilon, to normalise slices in place.
    pub(crate) fn weights_f32(&self) -> Result<(Vec<f32>, f32)> {
        Ok((
            self.weight.to_dtype(DType::F32)?.to_vec1::<f32>()?,
            self.eps,
        ))
    }
}

impl Module for RmsNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        candle_nn::ops::rms_norm(&x.contiguous()?, &self.weight, self.eps)
    }
}

/// Layer normalisation (encoders).
#[derive(Debug, Clone)]
pub(crate) struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl LayerNorm {
    pub(crate) fn load(vb: &VarBuilder, name: &str, size: usize, eps: f64) -> Result<Self> {
        let vb = vb.pp(name);
        let (weight, bias) = if vb.contains_tensor("weight") {
            (vb.get(size, "weight")?, vb.get(size, "bias")?)
        } else {
            // Checkpoints from old TensorFlow conversions.
            (vb.get(size, "gamma")?, vb.get(size, "beta")?)
        };
        Ok(LayerNorm {
            weight,
            bias,
            eps: eps as f32,
        })
    }
}

impl LayerNorm {
    /// The same normalisation of `[rows, size]` f32 on the CPU (see [`crate::cpu::layer_norm`]).
    pub(crate) fn forward_cpu(&self, x: &Tensor) -> Result<Tensor> {
        crate::cpu::layer_norm(x, &self.weight, &self.bias, self.eps)
    }
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        candle_nn::ops::layer_norm(&x.contiguous()?, &self.weight, &self.bias, self.eps)
    }
}

/// Activation functions by their transformers names.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Activation {
    Silu,
    Gelu,
    GeluTanh,
    Relu,
}

impl Activation {
    pub(crate) fn from_name(name: &str) -> std::result::Result<Self, String> {
        match name {
            "silu" | "swish" => Ok(Activation::Silu),
            "gelu" => Ok(Activation::Gelu),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Ok(Activation::GeluTanh),
            "relu" => Ok(Activation::Relu),
            other => Err(format!(
                "activation {other:?} is not supported (supported: silu, gelu, gelu_new, gelu_pytorch_tanh, relu)"
            )),
        }
    }

    pub(crate) fn apply(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Silu => x.silu(),
            Activation::Gelu => crate::cpu::gelu_erf(x),
            Activation::GeluTanh => x.gelu(),
            Activation::Relu => x.relu(),
        }
    }
}

/// Softmax over the last dimension, computed in f32 for half-precision inputs (as
/// transformers' eager attention does).
pub(crate) fn softmax(x: &Tensor) -> Result<Tensor> {
    if x.dtype() == DType::F32 {
        candle_nn::ops::softmax_last_dim(x)
    } else {
        candle_nn::ops::softmax_last_dim(&x.to_dtype(DType::F32)?)?.to_dtype(x.dtype())
    }
}

/// Scaled dot-product attention of `q`, `k`, `v` (`[batch, heads, seq, head_dim]`) with an
/// additive `mask` broadcastable to `[batch, heads, seq, seq]`.
pub(crate) fn attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: &Tensor,
    scale: f64,
) -> Result<Tensor> {
    let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(mask)?;
    softmax(&scores)?.matmul(v)
}
