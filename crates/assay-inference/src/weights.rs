//! Reading a checkpoint's safetensors files one tensor at a time.
//!
//! candle's own loader memory-maps the files: every page the loader reads stays resident in
//! the process beside the tensors made from it until the whole model is built, so a model's
//! peak memory was the checkpoint plus the model (bench/models/NOTES.md). Here each tensor's
//! bytes are read with a positioned read into a buffer that is freed once the tensor is made:
//! the peak is the model plus one tensor.
//!
//! A safetensors file is an 8-byte little-endian header length, a JSON header naming each
//! tensor's dtype, shape and byte range (relative to the end of the header), then the data.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Result, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;
use safetensors::tensor::TensorInfo;
use safetensors::Dtype;

/// The longest header read (safetensors' own limit).
const MAX_HEADER: u64 = 100 << 20;

/// Where one tensor lies.
#[derive(Debug)]
struct Entry {
    file: usize,
    /// Absolute byte offset of the data in its file.
    start: u64,
    len: usize,
    dtype: DType,
    shape: Vec<usize>,
}

/// The tensors of one or more safetensors files (a sharded checkpoint), read on demand.
#[derive(Debug)]
pub(crate) struct SafetensorFiles {
    files: Vec<(PathBuf, File)>,
    tensors: HashMap<String, Entry>,
}

impl SafetensorFiles {
    /// Reads the headers of `paths` and checks every tensor's range against its file.
    pub(crate) fn open(paths: &[PathBuf]) -> Result<Self> {
        let mut files = Vec::with_capacity(paths.len());
        let mut tensors = HashMap::new();
        for (index, path) in paths.iter().enumerate() {
            let file = File::open(path).map_err(|e| wrap(path, e))?;
            let size = file.metadata().map_err(|e| wrap(path, e))?.len();
            let mut length = [0u8; 8];
            file.read_exact_at(&mut length, 0)
                .map_err(|e| wrap(path, e))?;
            let header_len = u64::from_le_bytes(length);
            if header_len > MAX_HEADER || 8 + header_len > size {
                candle_core::bail!(
                    "{}: not a safetensors file (a header of {header_len} bytes in a file of {size})",
                    path.display()
                );
            }
            let mut header = vec![0u8; header_len as usize];
            file.read_exact_at(&mut header, 8)
                .map_err(|e| wrap(path, e))?;
            let header: HashMap<String, serde_json::Value> = serde_json::from_slice(&header)
                .map_err(|e| {
                    candle_core::Error::Msg(format!(
                        "{}: the safetensors header is not valid JSON: {e}",
                        path.display()
                    ))
                })?;
            let data_start = 8 + header_len;
            for (name, value) in header {
                if name == "__metadata__" {
                    continue;
                }
                let info: TensorInfo = serde_json::from_value(value).map_err(|e| {
                    candle_core::Error::Msg(format!("{}: tensor {name}: {e}", path.display()))
                })?;
                let entry = entry(index, data_start, size, &info).map_err(|m| {
                    candle_core::Error::Msg(format!("{}: tensor {name}: {m}", path.display()))
                })?;
                tensors.insert(name, entry);
            }
            files.push((path.clone(), file));
        }
        Ok(SafetensorFiles { files, tensors })
    }
}

/// Checks one header entry against its file.
fn entry(
    file: usize,
    data_start: u64,
    size: u64,
    info: &TensorInfo,
) -> std::result::Result<Entry, String> {
    let (dtype, width) = match info.dtype {
        Dtype::F32 => (DType::F32, 4),
        Dtype::F16 => (DType::F16, 2),
        Dtype::BF16 => (DType::BF16, 2),
        Dtype::F64 => (DType::F64, 8),
        Dtype::I64 => (DType::I64, 8),
        Dtype::U32 => (DType::U32, 4),
        Dtype::U8 => (DType::U8, 1),
        other => return Err(format!("dtype {other:?} is not supported")),
    };
    let (begin, end) = info.data_offsets;
    let elements = info
        .shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or("its shape overflows")?;
    let len = end.checked_sub(begin).ok_or("its byte range is reversed")?;
    if Some(len) != elements.checked_mul(width) {
        return Err(format!(
            "{len} bytes for shape {:?} of {:?}",
            info.shape, info.dtype
        ));
    }
    let past = || format!("bytes {begin}..{end} lie past the end of the file");
    let start = data_start.checked_add(begin as u64).ok_or_else(past)?;
    if start.checked_add(len as u64).is_none_or(|stop| stop > size) {
        return Err(past());
    }
    Ok(Entry {
        file,
        start,
        len,
        dtype,
        shape: info.shape.clone(),
    })
}

fn wrap(path: &Path, e: std::io::Error) -> candle_core::Error {
    candle_core::Error::Msg(format!("{}: {e}", path.display()))
}

impl SimpleBackend for SafetensorFiles {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        _init: candle_nn::Init,
        dtype: DType,
        device: &Device,
    ) -> Result<Tensor> {
        let tensor = self.get_unchecked(name, dtype, device)?;
        if tensor.shape() != &shape {
            return Err(candle_core::Error::UnexpectedShape {
                msg: format!("shape mismatch for {name}"),
                expected: shape,
                got: tensor.shape().clone(),
            }
            .bt());
        }
        Ok(tensor)
    }

    fn get_unchecked(&self, name: &str, dtype: DType, device: &Device) -> Result<Tensor> {
        let entry = self
            .tensors
            .get(name)
            .ok_or_else(|| candle_core::Error::CannotFindTensor {
                path: name.to_string(),
            })?;
        let (path, file) = &self.files[entry.file];
        let mut bytes = vec![0u8; entry.len];
        file.read_exact_at(&mut bytes, entry.start)
            .map_err(|e| wrap(path, e))?;
        let tensor = Tensor::from_raw_buffer(&bytes, entry.dtype, &entry.shape, &Device::Cpu)?;
        drop(bytes);
        tensor.to_dtype(dtype)?.to_device(device)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a safetensors file by hand: the format is the header and the bytes.
    fn write(path: &Path, header: &str, data: &[u8]) {
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        std::fs::write(path, out).unwrap();
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("assay-weights-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn reads_tensors_across_shards_and_converts_their_dtype() -> Result<()> {
        let a = temp("a.safetensors");
        let b = temp("b.safetensors");
        let floats: Vec<u8> = [1.5f32, -2.0, 3.25, 0.0, 4.0, 8.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        write(
            &a,
            r#"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#,
            &floats,
        );
        let halves: Vec<u8> = [half::bf16::from_f32(0.5), half::bf16::from_f32(-1.0)]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        write(
            &b,
            r#"{"v":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#,
            &halves,
        );
        let files = SafetensorFiles::open(&[a, b])?;
        let w = files.get(
            (2, 3).into(),
            "w",
            candle_nn::Init::Const(0.),
            DType::F32,
            &Device::Cpu,
        )?;
        assert_eq!(w.to_vec2::<f32>()?, [[1.5, -2.0, 3.25], [0.0, 4.0, 8.0]]);
        let v = files.get_unchecked("v", DType::F32, &Device::Cpu)?;
        assert_eq!(v.to_vec1::<f32>()?, [0.5, -1.0]);
        assert!(files.contains_tensor("v") && !files.contains_tensor("x"));
        let wrong = files.get(
            (3, 2).into(),
            "w",
            candle_nn::Init::Const(0.),
            DType::F32,
            &Device::Cpu,
        );
        assert!(wrong
            .unwrap_err()
            .to_string()
            .contains("shape mismatch for w"));
        assert!(files.get_unchecked("x", DType::F32, &Device::Cpu).is_err());
        Ok(())
    }

    #[test]
    fn a_damaged_file_is_refused_with_its_name() {
        let cases = [
            (
                r#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}}"#,
                "8 bytes for shape",
            ),
            (
                r#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#,
                "past the end",
            ),
            (
                r#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#,
                "reversed",
            ),
            (
                r#"{"w":{"dtype":"U8","shape":[2],"data_offsets":[18446744073709551600,18446744073709551602]}}"#,
                "past the end",
            ),
            (
                r#"{"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#,
                "not supported",
            ),
            (r#"{"w": oops}"#, "not valid JSON"),
        ];
        for (i, (header, want)) in cases.iter().enumerate() {
            let path = temp(&format!("bad{i}.safetensors"));
            write(&path, header, &[0u8; 8]);
            let err = SafetensorFiles::open(std::slice::from_ref(&path)).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains(want) && text.contains("bad"),
                "{header}: {text}"
            );
        }
        let path = temp("short.safetensors");
        std::fs::write(&path, 1000u64.to_le_bytes()).unwrap();
        let err = SafetensorFiles::open(&[path]).unwrap_err();
        assert!(err.to_string().contains("not a safetensors file"), "{err}");
    }
}
