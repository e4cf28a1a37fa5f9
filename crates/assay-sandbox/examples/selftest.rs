//! Prints the isolation level this machine gives the sandbox (or why it refuses to start).
//!
//! ```text
//! cargo run -p assay-sandbox --example selftest
//! ```

use assay_sandbox::{Sandbox, SandboxConfig};

fn main() {
    // Require nothing, so that the report shows every layer, on or off.
    let config = SandboxConfig {
        required: Vec::new(),
        cells: 1,
        ..SandboxConfig::default()
    };
    match Sandbox::new(config) {
        Ok(sandbox) => {
            print!("{}", sandbox.isolation());
            let missing = sandbox
                .isolation()
                .missing(&SandboxConfig::default().required);
            if missing.is_empty() {
                println!("every required layer is in force");
            } else {
                for layer in missing {
                    println!("missing {layer}: {}", layer.remedy());
                }
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
