//! `assay score --resume`: which items an interrupted run already wrote.
//!
//! The output of a run is one result per line, each window's results flushed together, so an
//! interrupted run leaves whole lines and at most one cut-off last line. Resuming drops that
//! line (its item is scored again), keeps the others, and skips the input items whose `id` they
//! hold. Ids are kept as 128-bit hashes of their JSON text: memory grows with the number of
//! results already written (16 bytes and the set's overhead per id), not with their size.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

use anyhow::Context;
use serde_json::Value;

use crate::Failure;

/// The ids of the results an output file already holds.
#[derive(Debug, Default)]
pub struct Done {
    ids: HashSet<u128>,
    /// Whether a cut-off last line was removed from the file.
    pub dropped_partial_line: bool,
}

impl Done {
    /// How many distinct ids are done.
    pub fn count(&self) -> usize {
        self.ids.len()
    }

    /// Whether an input with this id was already scored (inputs without an id never were).
    pub fn contains(&self, id: Option<&Value>) -> bool {
        id.is_some_and(|id| self.ids.contains(&key(id)))
    }
}

fn key(id: &Value) -> u128 {
    let text = id.to_string();
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        salt.hash(&mut h);
        text.hash(&mut h);
        h.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

/// Reads the results in `path` (a missing file is an empty run), dropping a cut-off last line
/// from the file so that appending continues on a fresh line.
pub fn load(path: &Path) -> Result<Done, Failure> {
    let mut done = Done::default();
    let file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::File::create(path)
                .with_context(|| format!("cannot create the output {}", path.display()))?;
            return Ok(done);
        }
        Err(e) => {
            return Err(Failure::Io(anyhow::Error::new(e).context(format!(
                "cannot open the output {} to resume",
                path.display()
            ))))
        }
    };
    let mut reader = BufReader::with_capacity(1 << 20, &file);
    let mut line = Vec::new();
    let mut complete_bytes: u64 = 0;
    let mut number: u64 = 0;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("cannot read the output {}", path.display()))?;
        if n == 0 {
            break;
        }
        number += 1;
        if line.last() != Some(&b'\n') {
            // Cut off by the interruption: drop it, its item is scored again.
            done.dropped_partial_line = true;
            break;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            complete_bytes += n as u64;
            continue;
        }
        let result: Value = serde_json::from_slice(&line).map_err(|e| {
            Failure::Usage(format!(
                "cannot resume from {}: line {number} is not a result ({e}); only the last line \
                 of an interrupted run can be cut off, so this file was written by something \
                 else or edited: score into a new file",
                path.display()
            ))
        })?;
        match result.get("id") {
            Some(Value::Null) | None => {}
            Some(id) => {
                done.ids.insert(key(id));
            }
        }
        complete_bytes += n as u64;
    }
    drop(reader);
    if done.dropped_partial_line {
        file.set_len(complete_bytes)
            .and_then(|()| (&file).seek(SeekFrom::End(0)).map(|_| ()))
            .with_context(|| format!("cannot drop the cut-off last line of {}", path.display()))?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_whole_lines_and_drops_a_cut_off_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(
            &path,
            "{\"id\": 1, \"reward\": 1}\n{\"id\": \"a\"}\n{\"id\": null}\n{\"id\": 3, \"rew",
        )
        .unwrap();
        let done = load(&path).unwrap();
        assert!(done.dropped_partial_line);
        assert_eq!(done.count(), 2);
        assert!(done.contains(Some(&json!(1))));
        assert!(done.contains(Some(&json!("a"))));
        assert!(!done.contains(Some(&json!(3))));
        assert!(
            !done.contains(Some(&json!("1"))),
            "ids keep their JSON type"
        );
        assert!(!done.contains(None));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"id\": 1, \"reward\": 1}\n{\"id\": \"a\"}\n{\"id\": null}\n"
        );
    }

    #[test]
    fn a_missing_file_is_an_empty_run_and_a_corrupt_middle_line_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.jsonl");
        assert_eq!(load(&path).unwrap().count(), 0);
        assert!(path.exists());
        std::fs::write(&path, "{\"id\": 1}\nnot json\n{\"id\": 2}\n").unwrap();
        let Err(Failure::Usage(message)) = load(&path) else {
            panic!("a corrupt line must be refused")
        };
        assert!(message.contains("line 2 is not a result"), "{message}");
    }
}
