//! One cell: a zygote process in its namespaces, and the supervisor side of running a task in
//! it (feeding stdin, capping output while reading, enforcing the deadlines).

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::cgroup::CellCgroup;
use crate::control::RunControl;
use crate::error::{CellError, Stop};
use crate::namespaces::{self, CellPlan, CellProcess};
use crate::protocol::{encode_run, frame_bytes, FrameReader, Job, Report};
use crate::sys;
use crate::task::{Execution, Status};

/// How long past the wall deadline the supervisor waits for the zygote's report before it
/// destroys the whole cell. Generous: killing and reaping processes that hold gigabytes takes
/// a while on a loaded machine, and destroying a cell turns the task into a sandbox failure.
const GRACE: Duration = Duration::from_secs(5);
/// How long after a kill for cancellation or for the caller's deadline the supervisor waits
/// for the zygote's report before it destroys the cell: the task's outcome no longer matters,
/// and the caller is waiting.
const STOP_GRACE: Duration = Duration::from_secs(1);
const READ_CHUNK: usize = 64 * 1024;

/// How a task's run in a cell ended.
#[derive(Debug)]
pub(crate) enum Ran {
    /// The task ran to its end (or to one of its own limits).
    Done(Execution),
    /// The caller stopped it while it ran; the cell stays usable.
    Stopped(Stop),
    /// The caller's deadline had passed, or the flag was raised, before the task was sent.
    NotStarted(Stop),
}

/// A running cell.
pub(crate) struct Cell {
    process: CellProcess,
    frames: FrameReader,
    /// Dropped after the processes are killed (fields drop after `Drop::drop`).
    cgroup: Option<CellCgroup>,
    /// OOM kills in the cell's cgroup before the current task.
    oom_kills: u64,
    /// The zygote announced that it exits.
    retired: bool,
    /// The process that started the cell. A process forked from it inherits the cell but
    /// must neither use it nor kill it: it starts cells of its own.
    owner: u32,
}

/// Per-cell resource bounds, where cgroups are available.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CellBounds {
    /// Memory of the whole cell, in bytes.
    pub memory_bytes: u64,
    /// Processes in the whole cell.
    pub processes: u64,
}

impl Cell {
    /// Starts a cell and waits until its zygote is ready, at most `timeout`, and no longer
    /// than `control` allows (a stopped start destroys the half-started cell). `cgroup_name`
    /// names the cell's cgroups: unique per cell, see [`CellCgroup::create`].
    pub(crate) fn start(
        plan: &CellPlan,
        bounds: CellBounds,
        cgroup_name: &str,
        timeout: Duration,
        control: &RunControl,
    ) -> Result<Cell, CellError> {
        // Without cgroups the cell still runs; the self-test reports the layer as missing.
        let cgroup = CellCgroup::create(cgroup_name, bounds.memory_bytes, bounds.processes).ok();
        let process = namespaces::spawn(plan, cgroup.as_ref()).map_err(|e| CellError::Spawn {
            step: e.step,
            error: e.error,
            remedy: e
                .layer
                .map(|l| format!(" ({l} missing: {})", l.remedy()))
                .unwrap_or_default(),
        })?;
        sys::set_nonblocking(process.control.as_fd()).map_err(|e| CellError::Io("fcntl", e))?;
        let mut cell = Cell {
            process,
            frames: FrameReader::default(),
            cgroup,
            oom_kills: 0,
            retired: false,
            owner: std::process::id(),
        };
        let deadline = Instant::now() + timeout;
        let report = cell.wait_report(deadline, control)?;
        match report.op.as_str() {
            "ready" => Ok(cell),
            "fatal" => Err(CellError::Zygote(format!(
                "the zygote failed to start: {}",
                report.error.unwrap_or_default()
            ))),
            other => Err(CellError::Zygote(format!(
                "unexpected zygote report {other:?}"
            ))),
        }
    }

    fn wait_report(
        &mut self,
        deadline: Instant,
        control: &RunControl,
    ) -> Result<Report, CellError> {
        loop {
            if let Some(r) = self.frames.next()? {
                return Ok(r);
            }
            if let Some(stop) = control.stop() {
                return Err(CellError::Stopped(stop));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(CellError::Zygote(
                    "the zygote did not answer in time".into(),
                ));
            }
            let mut pfd = [pollfd(&self.process.control, libc::POLLIN)];
            sys::poll(&mut pfd, millis(control.wait_step(left)))
                .map_err(|e| CellError::Io("poll", e))?;
            if pfd[0].revents != 0
                && !self
                    .frames
                    .fill(&self.process.control)
                    .map_err(|e| CellError::Io("read", e))?
            {
                return Err(CellError::Zygote(
                    "the zygote exited (run the self-test to see which layer failed)".into(),
                ));
            }
        }
    }

    /// Whether the cell can take another task: its zygote has not announced its exit and has
    /// not hung up (it may have died while idle).
    pub(crate) fn is_usable(&self) -> bool {
        if self.retired || self.owner != std::process::id() {
            return false;
        }
        let mut pfd = [pollfd(&self.process.control, libc::POLLIN)];
        // Nothing is due from an idle zygote: readable means end of file (or garbage).
        matches!(sys::poll(&mut pfd, 0), Ok(0))
    }

    /// Runs one task, within `control`: the task's wall limit is cut to the time left before
    /// the deadline, and a raised cancel flag (or the deadline, when it comes before the
    /// task's own limit) kills the task. On `Err` the cell must be discarded.
    pub(crate) fn run(&mut self, task: &Job<'_>, control: &RunControl) -> Result<Ran, CellError> {
        if let Some(stop) = control.stop() {
            return Ok(Ran::NotStarted(stop));
        }
        // The deadline stops the task only when it comes before the task's own wall limit.
        let mut wall = task.limits.wall;
        let mut cut_at = None;
        if let Some(deadline) = control.deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left < wall {
                wall = left.max(Duration::from_millis(1));
                cut_at = Some(deadline);
            }
        }
        let io_err = |what| move |e| CellError::Io(what, e);
        let (stdin_task, stdin_host) = sys::socketpair().map_err(io_err("socketpair"))?;
        let (out_r, out_w) = sys::pipe().map_err(io_err("pipe"))?;
        let (err_r, err_w) = sys::pipe().map_err(io_err("pipe"))?;
        let (chan_r, chan_w) = sys::pipe().map_err(io_err("pipe"))?;

        let frame = encode_run(task, wall);
        sys::send_with_fds(
            self.process.control.as_fd(),
            &frame,
            &[
                stdin_task.as_raw_fd(),
                out_w.as_raw_fd(),
                err_w.as_raw_fd(),
                chan_w.as_raw_fd(),
            ],
        )
        .map_err(io_err("send the task to the zygote"))?;
        drop((stdin_task, out_w, err_w, chan_w));

        let cap = task.limits.output_bytes;
        let mut streams = [
            Stream::new(out_r, cap),
            Stream::new(err_r, cap),
            Stream::new(chan_r, cap),
        ];
        for s in &streams {
            sys::set_nonblocking(s.fd.as_ref().expect("open").as_fd()).map_err(io_err("fcntl"))?;
        }
        let mut stdin = Some(stdin_host);
        let mut stdin_left: &[u8] = task.stdin;
        if stdin_left.is_empty() {
            stdin = None;
        } else if let Some(fd) = &stdin {
            sys::set_nonblocking(fd.as_fd()).map_err(io_err("fcntl"))?;
        }

        // Past this instant the cell is destroyed: the zygote missed its report.
        let mut give_up = Instant::now() + wall + GRACE;
        let mut kill_sent = false;
        let mut stopped: Option<Stop> = None;
        let mut report: Option<Report> = None;
        loop {
            if report.is_some() && streams.iter().all(|s| s.fd.is_none()) {
                break;
            }
            if report.is_none() && stopped.is_none() {
                let now = Instant::now();
                if control.is_cancelled() {
                    stopped = Some(Stop::Cancelled);
                } else if cut_at.is_some_and(|d| now >= d) {
                    stopped = Some(Stop::Deadline);
                }
                if stopped.is_some() {
                    give_up = give_up.min(now + STOP_GRACE);
                    if !kill_sent {
                        self.send_kill()?;
                        kill_sent = true;
                    }
                }
            }
            let left = give_up.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(match stopped {
                    Some(stop) => CellError::Stopped(stop),
                    None => CellError::Zygote(
                        "the zygote missed the task deadline; the cell was destroyed".into(),
                    ),
                });
            }
            let mut step = control.wait_step(left);
            if let (Some(d), None) = (cut_at, stopped) {
                step = step.min(d.saturating_duration_since(Instant::now()));
            }
            let mut pfds = Vec::with_capacity(5);
            pfds.push(match report {
                // Nothing more is due from the zygote (a retiring one may hang up).
                Some(_) => libc::pollfd {
                    fd: -1,
                    events: 0,
                    revents: 0,
                },
                None => pollfd(&self.process.control, libc::POLLIN),
            });
            for s in &streams {
                pfds.push(match &s.fd {
                    Some(fd) => pollfd(fd, libc::POLLIN),
                    None => libc::pollfd {
                        fd: -1,
                        events: 0,
                        revents: 0,
                    },
                });
            }
            if let Some(fd) = &stdin {
                pfds.push(pollfd(fd, libc::POLLOUT));
            }
            sys::poll(&mut pfds, millis(step)).map_err(io_err("poll"))?;

            if pfds[0].revents != 0 && report.is_none() {
                let open = self
                    .frames
                    .fill(&self.process.control)
                    .map_err(io_err("read the control socket"))?;
                if let Some(r) = self.frames.next()? {
                    report = Some(r);
                } else if !open {
                    return Err(CellError::Zygote("the zygote died during a task".into()));
                }
            }
            let mut overflow = false;
            for (s, p) in streams.iter_mut().zip(&pfds[1..4]) {
                if p.revents != 0 {
                    s.drain().map_err(io_err("read task output"))?;
                }
                overflow |= s.overflowed;
            }
            if overflow && !kill_sent && report.is_none() {
                self.send_kill()?;
                kill_sent = true;
            }
            if let (Some(fd), Some(p)) = (&stdin, pfds.get(4)) {
                if p.revents != 0 {
                    match sys::send(fd.as_fd(), &stdin_left[..stdin_left.len().min(READ_CHUNK)]) {
                        Ok(n) => stdin_left = &stdin_left[n..],
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        // The task closed its standard input or exited: stop feeding it.
                        Err(_) => stdin_left = &[],
                    }
                    if stdin_left.is_empty() {
                        stdin = None;
                    }
                }
            }
            if report.is_some() {
                // Every task process is dead: the pipes reach end of file right away.
                stdin = None;
            }
        }
        let report = report.expect("loop exits with a report");
        if report.op != "done" {
            return Err(CellError::Zygote(format!(
                "unexpected zygote report {:?}: {}",
                report.op,
                report.error.unwrap_or_default()
            )));
        }
        self.retired |= report.exiting;
        // Cancelled: whatever the task did meanwhile, the caller asked for no result. Cut by
        // the deadline (the zygote's clock, or the supervisor's kill): no verdict either.
        if stopped == Some(Stop::Cancelled) {
            return Ok(Ran::Stopped(Stop::Cancelled));
        }
        if cut_at.is_some() && (report.timed_out || (report.killed && stopped.is_some())) {
            return Ok(Ran::Stopped(Stop::Deadline));
        }
        let [out, err, chan] = streams;
        let overflowed = out.overflowed || err.overflowed || chan.overflowed;
        let cpu = Duration::from_secs_f64(report.cpu_ms.max(0.0) / 1000.0);
        let mut status = classify(&report, overflowed, cpu, task, &err.data);
        if report.signal == Some(libc::SIGKILL) {
            if let Some(cgroup) = &self.cgroup {
                let kills = cgroup.oom_kills();
                if kills > self.oom_kills {
                    self.oom_kills = kills;
                    status = Status::MemoryLimit;
                }
            }
        }
        Ok(Ran::Done(Execution {
            status,
            exit_code: report.exit_code,
            signal: report.signal,
            stdout: out.data,
            stderr: err.data,
            channel: chan.data,
            wall: Duration::from_secs_f64(report.wall_ms.max(0.0) / 1000.0),
            cpu,
        }))
    }

    /// Asks the zygote to kill the running task (it then reports `done` as usual).
    fn send_kill(&self) -> Result<(), CellError> {
        let kill = frame_bytes(&json!({"op": "kill"}), &[]);
        sys::send_all(self.process.control.as_fd(), &kill)
            .map_err(|e| CellError::Io("send kill to the zygote", e))
    }
}

impl Drop for Cell {
    fn drop(&mut self) {
        if self.owner != std::process::id() {
            // Inherited through fork(): the cell and its cgroup belong to the parent.
            std::mem::forget(self.cgroup.take());
            return;
        }
        namespaces::kill_and_reap(self.process.pid);
    }
}

fn classify(
    report: &Report,
    overflowed: bool,
    cpu: Duration,
    task: &Job<'_>,
    stderr: &[u8],
) -> Status {
    let cpu_limit = task.limits.cpu.as_secs_f64().ceil().max(1.0);
    if overflowed {
        Status::OutputLimit
    } else if report.timed_out
        || report.signal == Some(libc::SIGXCPU)
        || (report.signal == Some(libc::SIGKILL) && cpu.as_secs_f64() >= cpu_limit)
    {
        Status::Timeout
    } else if report.exit_code.is_some_and(|c| c != 0) && ends_with_memory_error(stderr) {
        Status::MemoryLimit
    } else if report.signal.is_some() {
        Status::Crashed
    } else if report.exit_code == Some(0) {
        Status::Ok
    } else {
        Status::Failed
    }
}

fn ends_with_memory_error(stderr: &[u8]) -> bool {
    let text = String::from_utf8_lossy(stderr);
    text.trim_end()
        .lines()
        .last()
        .is_some_and(|l| l.starts_with("MemoryError"))
}

/// One output stream of a task, read with a cap.
struct Stream {
    fd: Option<OwnedFd>,
    data: Vec<u8>,
    cap: usize,
    overflowed: bool,
}

impl Stream {
    fn new(fd: OwnedFd, cap: usize) -> Stream {
        Stream {
            fd: Some(fd),
            data: Vec::new(),
            cap,
            overflowed: false,
        }
    }

    /// Reads what is available, keeping at most `cap` bytes; closes at end of file.
    fn drain(&mut self) -> io::Result<()> {
        let Some(fd) = &self.fd else { return Ok(()) };
        let mut chunk = vec![0u8; READ_CHUNK];
        loop {
            match sys::read(fd.as_fd(), &mut chunk) {
                Ok(0) => {
                    self.fd = None;
                    return Ok(());
                }
                Ok(n) => {
                    let room = self.cap.saturating_sub(self.data.len());
                    self.data.extend_from_slice(&chunk[..n.min(room)]);
                    if n > room {
                        self.overflowed = true;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
}

fn pollfd(fd: &OwnedFd, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    }
}

fn millis(d: Duration) -> i32 {
    d.as_millis().clamp(1, i32::MAX as u128) as i32
}
