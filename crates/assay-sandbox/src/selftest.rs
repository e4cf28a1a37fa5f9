//! The startup self-test: a probe task that reports, from inside a cell, which isolation
//! layers are really in force.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::config::{Layer, Limits};
use crate::task::Task;

/// The probe: runs as an ordinary task and writes its findings as JSON on the channel.
const PROBE: &str = r#"
import json, os, resource, socket
def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return "error: " + str(e)
r = {"ns": {}}
for n in ("user", "mnt", "pid", "net", "ipc", "uts"):
    r["ns"][n] = os.stat("/proc/self/ns/" + n).st_ino
r["uid"] = os.getuid()
r["uid_map"] = read("/proc/self/uid_map")
status = dict(l.split(":", 1) for l in read("/proc/self/status").splitlines() if ":" in l)
r["no_new_privs"] = status.get("NoNewPrivs", "").strip()
r["seccomp"] = status.get("Seccomp", "").strip()
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    r["inet"] = True
except OSError:
    r["inet"] = False
try:
    open("/tmp/.landlock-canary/probe", "w").close()
    r["canary_write"] = True
except OSError:
    r["canary_write"] = False
r["nproc"] = resource.getrlimit(resource.RLIMIT_NPROC)[0]
r["core"] = resource.getrlimit(resource.RLIMIT_CORE)[1]
r["root"] = sorted(os.listdir("/"))
r["links"] = read("/proc/net/dev").count(":")
r["cgroups"] = read("/proc/self/cgroup").splitlines()
os.write(3, json.dumps(r).encode())
"#;

/// Processes allowed to the probe, checked back as proof that rlimits apply.
const PROBE_PROCESSES: u64 = 7;

/// Entries allowed at the root of a cell.
const ROOT_ENTRIES: &[&str] = &[
    "bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "opt", "proc", "root", "sbin", "tmp",
    "usr",
];

/// The probe task.
pub(crate) fn probe_task() -> Task {
    Task::python(PROBE).with_limits(Limits {
        processes: PROBE_PROCESSES,
        ..Limits::default()
    })
}

#[derive(Deserialize)]
struct Findings {
    ns: BTreeMap<String, u64>,
    uid: u32,
    uid_map: String,
    no_new_privs: String,
    seccomp: String,
    inet: bool,
    canary_write: bool,
    nproc: i64,
    core: i64,
    root: Vec<String>,
    links: usize,
    cgroups: Vec<String>,
}

/// Whether one layer is in force, and the evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerCheck {
    /// The layer.
    pub layer: Layer,
    /// Whether the probe found it in force.
    pub enforced: bool,
    /// What the probe saw.
    pub evidence: String,
}

/// The isolation level achieved, as measured from inside a cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IsolationReport {
    /// One check per [`Layer`], outer to inner.
    pub checks: Vec<LayerCheck>,
}

impl IsolationReport {
    /// Layers found in force.
    pub fn enforced(&self) -> impl Iterator<Item = Layer> + '_ {
        self.checks.iter().filter(|c| c.enforced).map(|c| c.layer)
    }

    /// Whether `layer` is in force.
    pub fn has(&self, layer: Layer) -> bool {
        self.checks.iter().any(|c| c.layer == layer && c.enforced)
    }

    /// Layers of `required` that are not in force.
    pub fn missing(&self, required: &[Layer]) -> Vec<Layer> {
        required.iter().copied().filter(|&l| !self.has(l)).collect()
    }

    /// Reads the probe's channel output. `None` when it is not the probe's JSON.
    pub(crate) fn from_probe(channel: &[u8]) -> Option<IsolationReport> {
        let f: Findings = serde_json::from_slice(channel).ok()?;
        let host_ns = |name: &str| {
            std::fs::metadata(format!("/proc/self/ns/{name}"))
                .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
                .ok()
        };
        let ns_check = |layer, name: &str| {
            let inside = f.ns.get(name).copied();
            let host = host_ns(name);
            LayerCheck {
                layer,
                enforced: inside.is_some() && host.is_some() && inside != host,
                evidence: format!("{name} namespace inode {inside:?} inside, {host:?} on the host"),
            }
        };
        // "inside outside count" lines; the task uid must map to a non-zero host uid.
        let host_uid = f.uid_map.lines().find_map(|l| {
            let mut it = l.split_whitespace().map(|x| x.parse::<u64>().ok());
            let (inside, outside, count) = (it.next()??, it.next()??, it.next()??);
            (inside <= f.uid as u64 && (f.uid as u64) < inside + count)
                .then(|| outside + (f.uid as u64 - inside))
        });
        let mut user = ns_check(Layer::UserNamespace, "user");
        user.enforced &= f.uid_map.trim() != "0 0 4294967295";
        let mut mount = ns_check(Layer::MountNamespace, "mnt");
        let stray: Vec<&String> = f
            .root
            .iter()
            .filter(|e| !ROOT_ENTRIES.contains(&e.as_str()))
            .collect();
        mount.enforced &= stray.is_empty();
        mount.evidence += &format!("; root holds {:?}", f.root);
        let mut net = ns_check(Layer::NetworkNamespace, "net");
        net.enforced &= f.links <= 1;
        net.evidence += &format!("; {} interface(s)", f.links);
        // v1 lines are "id:controllers:path"; the cell's must not be the root cgroup.
        let in_cell = |controller: &str| {
            f.cgroups.iter().any(|l| {
                let mut parts = l.splitn(3, ':');
                let (_, controllers, path) = (parts.next(), parts.next(), parts.next());
                controllers.is_some_and(|c| c.split(',').any(|c| c == controller))
                    && path.is_some_and(|p| p.contains("assay-sandbox/"))
            })
        };
        let checks = vec![
            user,
            mount,
            ns_check(Layer::PidNamespace, "pid"),
            net,
            ns_check(Layer::IpcNamespace, "ipc"),
            ns_check(Layer::UtsNamespace, "uts"),
            LayerCheck {
                layer: Layer::UnprivilegedUid,
                enforced: f.uid != 0 && host_uid.is_some_and(|u| u != 0),
                evidence: format!("uid {} inside, host uid {host_uid:?}", f.uid),
            },
            LayerCheck {
                layer: Layer::NoNewPrivs,
                enforced: f.no_new_privs == "1",
                evidence: format!("NoNewPrivs: {}", f.no_new_privs),
            },
            LayerCheck {
                layer: Layer::Seccomp,
                enforced: f.seccomp == "2" && !f.inet,
                evidence: format!(
                    "Seccomp: {}, AF_INET socket {}",
                    f.seccomp,
                    if f.inet { "allowed" } else { "refused" }
                ),
            },
            LayerCheck {
                layer: Layer::Landlock,
                enforced: !f.canary_write,
                evidence: format!(
                    "write to a world-writable directory outside scratch {}",
                    if f.canary_write { "allowed" } else { "refused" }
                ),
            },
            LayerCheck {
                layer: Layer::Rlimits,
                enforced: f.nproc == PROBE_PROCESSES as i64 && f.core == 0,
                evidence: format!("RLIMIT_NPROC {}, RLIMIT_CORE hard {}", f.nproc, f.core),
            },
            LayerCheck {
                layer: Layer::Cgroups,
                enforced: in_cell("memory") && in_cell("pids"),
                evidence: format!("cgroups {:?}", f.cgroups),
            },
        ];
        Some(IsolationReport { checks })
    }
}

impl fmt::Display for IsolationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            writeln!(
                f,
                "{:>3} {:<18} {}",
                if c.enforced { "on" } else { "OFF" },
                c.layer.to_string(),
                c.evidence
            )?;
        }
        Ok(())
    }
}
