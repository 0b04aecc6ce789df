"""Process-tree memory sampling for the benchmarks: peak RSS per process, and the peak of the tree's
sum at one instant, with children forked but not yet exec'd counted once (their pages are the parent's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ProcSample:
    """One process of the tree at one sampling instant."""

    pid: int
    ppid: int
    cmdline: tuple[str, ...]
    rss_mb: float


def unexeced_forks(procs: list[ProcSample]) -> set[int]:
    """Pids of children still running their parent's program (forked, not yet exec'd: the command
    line is the parent's). Their RSS is the parent's pages, shared copy-on-write, not new memory."""
    by_pid = {p.pid: p for p in procs}
    return {p.pid for p in procs if p.ppid in by_pid and p.cmdline and p.cmdline == by_pid[p.ppid].cmdline}


def tree_sum_mb(procs: list[ProcSample]) -> float:
    """RSS of a process tree at one instant: every process once, forks not yet exec'd not at all."""
    forks = unexeced_forks(procs)
    return round(sum(p.rss_mb for p in procs if p.pid not in forks), 1)


@dataclass
class TreeSampler:
    """Peak RSS per process of a process tree, and the peak of their sum at one instant, sampled
    from /proc (psutil). The root process (the bench's own wrapper) is left out of the sum."""

    root_pid: int
    peaks_mb: dict[str, float] = field(default_factory=dict)  # "<pid> <name>" -> peak RSS MiB
    samples: int = 0
    peak_tree_mb: float = 0.0
    peak_tree_procs: dict[str, float] = field(default_factory=dict)  # the processes at that instant

    def sample(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.root_pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        now: list[ProcSample] = []
        names: dict[int, str] = {}
        for proc in procs:
            try:
                names[proc.pid] = f"{proc.pid} {self._label(proc)}"
                now.append(
                    ProcSample(proc.pid, proc.ppid(), tuple(proc.cmdline()), proc.memory_info().rss / 2**20)
                )
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        forks = unexeced_forks(now)
        for p in now:
            name = names[p.pid] + (" (fork, not yet exec'd)" if p.pid in forks else "")
            self.peaks_mb[name] = round(max(self.peaks_mb.get(name, 0.0), p.rss_mb), 1)
        self.note_tree([p for p in now if p.pid != self.root_pid], names)
        self.samples += 1

    def note_tree(self, procs: list[ProcSample], names: dict[int, str]) -> None:
        """Keep ``procs`` as the tree's peak when their sum is the largest so far."""
        total = tree_sum_mb(procs)
        if total > self.peak_tree_mb:
            forks = unexeced_forks(procs)
            self.peak_tree_mb = total
            self.peak_tree_procs = {
                names.get(p.pid, str(p.pid)): round(p.rss_mb, 1) for p in procs if p.pid not in forks
            }

    @staticmethod
    def _label(proc) -> str:
        cmd = proc.cmdline()
        if not cmd:
            return proc.name()
        if "lector.cli" in cmd:
            return "lector " + " ".join(a for a in cmd[cmd.index("lector.cli") + 1 :] if a.startswith("--"))
        exe = Path(cmd[0]).name
        return "ffmpeg" if "ffmpeg" in exe else (exe + " " + " ".join(cmd[1:3]))[:60]
