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
    /// Creates the cgroups `assay-sandbox/<name>` with the given limits.
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
        let memory = memory_root.join(PARENT).join(name);
        let pids = pids_root.join(PARENT).join(name);
        std::fs::create_dir_all(&memory)?;
        std::fs::create_dir_all(&pids)?;
        let cgroup = CellCgroup { memory, pids };
        let limit = memory_bytes.to_string();
        cgroup.write_memory("memory.limit_in_bytes", &limit)?;
        // Memory + swap, where swap accounting exists.
        let _ = cgroup.write_memory("memory.memsw.limit_in_bytes", &limit);
        std::fs::write(cgroup.pids.join("pids.max"), processes.to_string())?;
        Ok(cgroup)
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

/// Removes the cgroups left by supervisors that have exited (named `<pid>-<serial>`; a
/// process that exits without dropping its sandbox leaves them empty).
fn sweep(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.split('-').next()) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
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
