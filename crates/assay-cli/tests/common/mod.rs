//! Helpers shared by the CLI's integration tests.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};

/// Starts `command` (an `assay serve …`) with its log piped, waits for the line that says
/// where it listens and returns the child and that address. The rest of the log is drained
/// in the background, so the server never blocks on a full pipe.
pub fn start_server(mut command: Command) -> (Child, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "server exited before listening"
        );
        if let Some(rest) = line.trim().split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (child, addr)
}
