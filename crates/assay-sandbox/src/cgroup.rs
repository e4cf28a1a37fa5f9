//! Per-cell control groups (cgroup v1 `memory` and `pids` hierarchies): a bound on the memory
//! and the number of processes of a whole cell, whatever its tasks do with `fork`.
//!
//! Rlimits bound each process; without a memory cgroup, a task's total would be bounded only
//! by `memory_bytes * processes`. The cell's cgroup bounds the sum (tmpfs scratch included),
//! and the kernel's OOM killer then picks a task process: the zygote's `oom_score_adj` is set
//! low and each task raises its own to the maximum.

use std::io;
use std::path::{Path, PathBuf};

/// Name of the directory holding every cell's cgroup, in each hierarchy.
const PARENT: &str = "assay-sandbox";

/// Mount points of the cgroup v1 hierarchies holding `controller`, read from mountinfo.
fn v1_mount(mountinfo: &str, controller: &str) -> Option<PathBuf> {
    mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let mut r = right.split_whitespace();
        let (fstype, _source, options) = (r.next()?, r.next()?, r.next()?);
        let mount_point = left.split_whitespace().nth(4)?;
        (fstype == "cgroup" && options.split(',').any(|o| o == controller))
            .then(|| PathBuf::from(mount_point))
    })
}

/// A cell's memory and pids cgroups; removed on drop.
#[derive(Debug)]
pub(crate) struct CellCgroup {
    memory: PathBuf,
    pids: PathBuf,
}

impl CellCgroup {
    /// Creates the cgroups `assay-sandbox/<name>` with the given limits. `name` must be
    /// unique on the host (the supervisor names cells by pid, a random per-sandbox suffix
    /// and a serial number): an existing cgroup of that name is an error, never shared.
    pub(crate) fn create(name: &str, memory_bytes: u64, processes: u64) -> io::Result<CellCgroup> {
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")?;
        let missing = |c: &str| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no cgroup v1 hierarchy with the {c} controller is mounted"),
            )
        };
        let memory_root = v1_mount(&mountinfo, "memory").ok_or_else(|| missing("memory"))?;
        let pids_root = v1_mount(&mountinfo, "pids").ok_or_else(|| missing("pids"))?;
        static SWEEP: std::sync::Once = std::sync::Once::new();
        SWEEP.call_once(|| {
            sweep(&memory_root.join(PARENT));
            sweep(&pids_root.join(PARENT));
        });
        std::fs::create_dir_all(memory_root.join(PARENT))?;
        std::fs::create_dir_all(pids_root.join(PARENT))?;
        let memory = memory_root.join(PARENT).join(name);
        let pids = pids_root.join(PARENT).join(name);
        std::fs::create_dir(&memory)?;
        if let Err(e) = std::fs::create_dir(&pids) {
            remove(&memory);
            return Err(e);
        }
        // From here on, dropping the value removes both directories.
        let cgroup = CellCgroup { memory, pids };
        let limit = memory_bytes.to_string();
        cgroup.write_memory("memory.limit_in_bytes", &limit)?;
        // Memory + swap, where swap accounting exists.
        let _ = cgroup.write_memory("memory.memsw.limit_in_bytes", &limit);
        std::fs::write(cgroup.pids.join("pids.max"), processes.to_string())?;
        Ok(cgroup)
    }

    /// The cgroup directories (memory, then pids).
    #[cfg(test)]
    pub(crate) fn paths(&self) -> [&Path; 2] {
        [&self.memory, &self.pids]
    }

    fn write_memory(&self, file: &str, value: &str) -> io::Result<()> {
        std::fs::write(self.memory.join(file), value)
    }

    /// Moves process `pid` (and so its future children) into the cell's cgroups.
    pub(crate) fn add(&self, pid: libc::pid_t) -> io::Result<()> {
        for dir in [&self.memory, &self.pids] {
            std::fs::write(dir.join("cgroup.procs"), pid.to_string())?;
        }
        Ok(())
    }

    /// How many processes the kernel's OOM killer has killed in this cell so far.
    pub(crate) fn oom_kills(&self) -> u64 {
        std::fs::read_to_string(self.memory.join("memory.oom_control"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("oom_kill "))
                    .and_then(|n| n.trim().parse().ok())
            })
            .unwrap_or(0)
    }
}

/// How old an empty cell cgroup must be before a sweep removes it: older than any cell takes
/// to start (a new cgroup is empty until the cell's first process moves in).
const SWEEP_AGE: std::time::Duration = std::time::Duration::from_secs(120);

/// Removes the cell cgroups that supervisors left behind (one that exited without dropping
/// its sandbox, or was killed). A cgroup that still holds a process cannot be removed (the
/// kernel refuses with `EBUSY`), so only empty ones go, and only those older than
/// [`SWEEP_AGE`], so that a cgroup another supervisor has just created is left to it. Whose
/// pid is in the name does not matter: in containers, every supervisor may be pid 1.
fn sweep(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > SWEEP_AGE);
        if old && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

fn remove(dir: &Path) {
    // The cell's processes are reaped before this runs; a cgroup whose last process just
    // exited can stay busy for a moment.
    for _ in 0..50 {
        match std::fs::remove_dir(dir) {
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                std::thread::sleep(std::time::Duration::from_millis(2))
            }
            _ => return,
        }
    }
}

impl Drop for CellCgroup {
    fn drop(&mut self) {
        remove(&self.memory);
        remove(&self.pids);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_removes_only_old_empty_directories() {
        let parent = std::env::temp_dir().join(format!("assay-sweep-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&parent);
        let long_ago = std::time::SystemTime::now() - 2 * SWEEP_AGE;
        for name in ["1-old", "1-new", "1-busy"] {
            std::fs::create_dir_all(parent.join(name)).unwrap();
        }
        // A file stands for the process that keeps a live cgroup busy.
        std::fs::write(parent.join("1-busy").join("cgroup.procs"), "1").unwrap();
        for name in ["1-old", "1-busy"] {
            let dir = std::fs::File::open(parent.join(name)).unwrap();
            dir.set_modified(long_ago).unwrap();
        }
        sweep(&parent);
        let mut left: Vec<String> = std::fs::read_dir(&parent)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        std::fs::remove_dir_all(&parent).unwrap();
        assert_eq!(left, ["1-busy", "1-new"]);
    }

    #[test]
    fn cgroups_are_never_shared_and_are_removed_on_drop() {
        let name = format!("unit-{}", std::process::id());
        let Ok(cgroup) = CellCgroup::create(&name, 64 << 20, 8) else {
            eprintln!("no cgroup v1 memory and pids hierarchies here: nothing to check");
            return;
        };
        let paths: Vec<PathBuf> = cgroup.paths().iter().map(|p| p.to_path_buf()).collect();
        assert!(paths.iter().all(|p| p.is_dir()), "{paths:?}");
        // The same name again is an error, not a shared cgroup.
        assert!(CellCgroup::create(&name, 64 << 20, 8).is_err());
        assert!(
            paths.iter().all(|p| p.is_dir()),
            "a failed create removed the first"
        );
        drop(cgroup);
        assert!(paths.iter().all(|p| !p.exists()), "{paths:?}");
    }

    #[test]
    fn finds_v1_hierarchies_in_mountinfo() {
        let info =
            "35 25 0:30 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n\
                    36 25 0:31 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n\
                    37 25 0:32 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
        assert_eq!(
            v1_mount(info, "memory"),
            Some(PathBuf::from("/sys/fs/cgroup/memory"))
        );
        assert_eq!(
            v1_mount(info, "pids"),
            Some(PathBuf::from("/sys/fs/cgroup/pids"))
        );
        assert_eq!(v1_mount(info, "cpu"), None);
    }
}
