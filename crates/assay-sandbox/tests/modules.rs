//! Python modules given as source (`SandboxConfig::python_modules`): installed once in the
//! zygote, in order, a dotted name as a submodule of an earlier package.

use assay_sandbox::{Sandbox, SandboxConfig, Status, Task};

#[test]
fn modules_and_packages_given_as_source_are_importable() {
    let modules = [
        ("kit", "'''A package.'''\nBASE = 1\n"),
        ("kit.numbers", "from kit import BASE\nTWO = BASE + 1\n"),
        (
            "kit.words",
            "from kit import numbers\nfrom kit.numbers import TWO\nWORD = 'two' * numbers.TWO\n",
        ),
        ("flat", "import kit.words\nVALUE = kit.words.WORD.upper()\n"),
    ];
    let sandbox = Sandbox::new(SandboxConfig {
        cells: 1,
        python_modules: modules
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect(),
        ..SandboxConfig::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let exec = sandbox
        .run(&Task::python(
            "import kit, kit.numbers\nfrom kit.words import WORD\nimport flat\n\
             print(kit.numbers.TWO, WORD, flat.VALUE, kit.__path__, kit.words.__package__)",
        ))
        .unwrap();
    assert_eq!(
        exec.status,
        Status::Ok,
        "{}",
        String::from_utf8_lossy(&exec.stderr)
    );
    assert_eq!(exec.stdout, b"2 twotwo TWOTWO [] kit\n");
}
