//! Cell cgroups: each sandbox instance's cells get cgroups of their own (never those of
//! another instance, even one whose supervisor has the same pid, as every supervisor that is
//! pid 1 of a container has), and dropping the sandbox removes them.

use std::path::PathBuf;

use assay_sandbox::{Layer, Sandbox, SandboxConfig, Task};

/// The pids whose real uid is `uid`.
fn processes_of(uid: u32) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|s| {
                s.lines().any(|l| {
                    l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some(&uid.to_string())
                })
            })
        })
        .collect()
}

/// Where the cgroup v1 hierarchy of `controller` is mounted.
fn mount_point(controller: &str) -> PathBuf {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    info.lines()
        .find_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let mut r = right.split_whitespace();
            let (fstype, _, options) = (r.next()?, r.next()?, r.next()?);
            (fstype == "cgroup" && options.split(',').any(|o| o == controller))
                .then(|| PathBuf::from(left.split_whitespace().nth(4).unwrap()))
        })
        .expect("a mounted hierarchy")
}

/// The host directories of the memory and pids cgroups of process `pid`.
fn cgroup_dirs(pid: i32) -> Vec<PathBuf> {
    let lines = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    ["memory", "pids"]
        .iter()
        .map(|controller| {
            let path = lines
                .lines()
                .find_map(|l| {
                    let mut parts = l.splitn(3, ':');
                    let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
                    controllers
                        .split(',')
                        .any(|c| c == *controller)
                        .then(|| path.to_owned())
                })
                .expect("the process is in a cgroup of the hierarchy");
            mount_point(controller).join(path.trim_start_matches('/'))
        })
        .collect()
}

#[test]
fn two_sandboxes_in_one_process_get_their_own_cgroups_and_remove_them_on_drop() {
    let bases = [2_700_000_000u32, 2_710_000_000];
    let sandboxes: Vec<Sandbox> = bases
        .iter()
        .map(|&uid_base| {
            Sandbox::new(SandboxConfig {
                cells: 1,
                uid_base,
                ..SandboxConfig::default()
            })
            .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    if !sandboxes[0].isolation().has(Layer::Cgroups) {
        eprintln!("no cgroup v1 memory and pids hierarchies here: nothing to check");
        return;
    }
    let mut dirs = Vec::new();
    for (sandbox, uid_base) in sandboxes.iter().zip(bases) {
        assert_eq!(
            sandbox.run(&Task::python("print(1)")).unwrap().stdout,
            b"1\n"
        );
        let zygotes = processes_of(uid_base);
        assert_eq!(zygotes.len(), 1, "{zygotes:?}");
        let found = cgroup_dirs(zygotes[0]);
        for dir in &found {
            assert!(dir.is_dir(), "{dir:?}");
            let name = dir.file_name().unwrap().to_str().unwrap();
            // pid, random instance suffix, cell number
            let parts: Vec<&str> = name.split('-').collect();
            assert_eq!(parts.len(), 3, "{name}");
            assert_eq!(parts[0], std::process::id().to_string(), "{name}");
            assert_eq!(parts[1].len(), 16, "{name}");
        }
        dirs.push(found);
    }
    assert_ne!(dirs[0], dirs[1], "two sandboxes share their cgroups");
    drop(sandboxes);
    for dir in dirs.iter().flatten() {
        assert!(
            !dir.exists(),
            "{dir:?} is left after the sandbox was dropped"
        );
    }
}
