//! Reading the benchmarks' released files: JSON, JSONL and Parquet, as rows of JSON objects.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// One row: a JSON object.
pub type Row = Map<String, Value>;

/// The SHA-256 of a file, in hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// The SHA-256 of bytes, in hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a file of rows by its extension: `.jsonl` (one object a line), `.json` (an array of
/// objects, an object of equal-length columns as the benchmarks' score dumps are written, or
/// an object with a `data` or `rows` array) or `.parquet`.
pub fn read_rows(path: &Path) -> Result<Vec<Row>> {
    let name = path.to_string_lossy().to_lowercase();
    if name.ends_with(".parquet") {
        read_parquet(path)
    } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        read_jsonl(path)
    } else if name.ends_with(".json") {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let value: Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", path.display()))?;
        rows_of_json(value).with_context(|| format!("reading {}", path.display()))
    } else {
        bail!(
            "cannot tell the format of {}: name it *.jsonl, *.json or *.parquet",
            path.display()
        )
    }
}

fn read_jsonl(path: &Path) -> Result<Vec<Row>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut rows = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(&line) {
            Ok(Value::Object(map)) => rows.push(map),
            Ok(_) => bail!("{} line {}: not a JSON object", path.display(), i + 1),
            Err(e) => bail!("{} line {}: not valid JSON: {e}", path.display(), i + 1),
        }
    }
    Ok(rows)
}

/// Rows from a parsed JSON document (see [`read_rows`]).
pub fn rows_of_json(value: Value) -> Result<Vec<Row>> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Object(m) => Ok(m),
                _ => bail!("item {} is not a JSON object", i + 1),
            })
            .collect(),
        Value::Object(mut map) => {
            for key in ["data", "rows"] {
                if let Some(Value::Array(_)) = map.get(key) {
                    let inner = map.remove(key).expect("present");
                    return rows_of_json(inner);
                }
            }
            // Columns: every array-valued key has the same length; scalars are repeated.
            let len = map.values().filter_map(Value::as_array).map(Vec::len).max();
            let Some(len) = len else {
                bail!("expected an array of rows or an object of columns")
            };
            if map
                .values()
                .filter_map(Value::as_array)
                .any(|a| a.len() != len)
            {
                bail!("the columns have different lengths");
            }
            let mut rows = vec![Row::new(); len];
            for (key, column) in map {
                match column {
                    Value::Array(values) => {
                        for (row, v) in rows.iter_mut().zip(values) {
                            row.insert(key.clone(), v);
                        }
                    }
                    scalar => {
                        for row in rows.iter_mut() {
                            row.insert(key.clone(), scalar.clone());
                        }
                    }
                }
            }
            Ok(rows)
        }
        _ => bail!("expected an array of rows or an object of columns"),
    }
}

fn read_parquet(path: &Path) -> Result<Vec<Row>> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader = SerializedFileReader::new(file)
        .with_context(|| format!("{} is not a readable Parquet file", path.display()))?;
    let mut rows = Vec::new();
    for row in reader
        .get_row_iter(None)
        .with_context(|| format!("cannot read the rows of {}", path.display()))?
    {
        let row = row.with_context(|| {
            format!(
                "cannot read a row of {} (this build reads uncompressed, Snappy, Zstandard \
                 and gzip Parquet; re-save other codecs with one of those)",
                path.display()
            )
        })?;
        match row.to_json_value() {
            Value::Object(map) => rows.push(map),
            _ => bail!("{}: a row is not an object", path.display()),
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_become_rows() {
        let rows = rows_of_json(json!({"id": [1, 2], "score": [0.5, 0.25], "model": "m"})).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["score"], json!(0.25));
        assert_eq!(rows[1]["model"], json!("m"));
        assert!(rows_of_json(json!({"a": [1], "b": [1, 2]})).is_err());
        assert_eq!(rows_of_json(json!({"data": [{"x": 1}]})).unwrap().len(), 1);
    }

    #[test]
    fn jsonl_and_parquet_round_trip() {
        use parquet::basic::{Compression, GzipLevel, ZstdLevel};
        for codec in [
            Compression::SNAPPY,
            Compression::ZSTD(ZstdLevel::default()),
            Compression::GZIP(GzipLevel::default()),
            Compression::UNCOMPRESSED,
        ] {
            parquet_round_trip(codec);
        }
    }

    fn parquet_round_trip(codec: parquet::basic::Compression) {
        use parquet::data_type::{ByteArray, ByteArrayType, DoubleType};
        use parquet::file::properties::WriterProperties;
        use parquet::file::writer::SerializedFileWriter;
        use parquet::schema::parser::parse_message_type;
        use std::sync::Arc;

        let dir = tempfile::tempdir().unwrap();
        let jsonl = dir.path().join("a.jsonl");
        std::fs::write(&jsonl, "{\"id\": 1}\n\n{\"id\": 2}\n").unwrap();
        assert_eq!(read_rows(&jsonl).unwrap().len(), 2);
        std::fs::write(&jsonl, "{\"id\": 1}\n[1]\n").unwrap();
        assert!(read_rows(&jsonl)
            .unwrap_err()
            .to_string()
            .contains("line 2"));

        let path = dir.path().join("t.parquet");
        let schema = Arc::new(
            parse_message_type(
                "message m { required binary prompt (UTF8); required double score; }",
            )
            .unwrap(),
        );
        let props = Arc::new(WriterProperties::builder().set_compression(codec).build());
        let file = File::create(&path).unwrap();
        let mut writer = SerializedFileWriter::new(file, schema, props).unwrap();
        let mut group = writer.next_row_group().unwrap();
        let mut col = group.next_column().unwrap().unwrap();
        col.typed::<ByteArrayType>()
            .write_batch(&[ByteArray::from("hi"), ByteArray::from("yo")], None, None)
            .unwrap();
        col.close().unwrap();
        let mut col = group.next_column().unwrap().unwrap();
        col.typed::<DoubleType>()
            .write_batch(&[1.5, -2.0], None, None)
            .unwrap();
        col.close().unwrap();
        group.close().unwrap();
        writer.close().unwrap();
        let rows = read_rows(&path).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["prompt"], json!("hi"));
        assert_eq!(rows[1]["score"], json!(-2.0));
        assert_eq!(sha256_bytes(b"abc").len(), 64);
    }
}
