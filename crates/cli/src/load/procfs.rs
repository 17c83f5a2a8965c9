//! Resource figures of a process from Linux `/proc`: resident memory (now
//! and peak), threads, open file descriptors, CPU time, and how many of the
//! descriptors are TCP connections accepted on a given port.

use std::collections::HashSet;
use std::time::Duration;

/// Kernel clock ticks per second for `/proc/<pid>/stat` times (USER_HZ,
/// 100 on every Linux architecture ClubOS runs on).
const TICKS_PER_SECOND: u64 = 100;

/// One reading of a process's resources; a field is `None` where `/proc`
/// did not say (another OS, or the process is gone).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcStats {
    /// `VmRSS`, in KiB.
    pub rss_kib: Option<u64>,
    /// `VmHWM` (peak resident set), in KiB.
    pub peak_rss_kib: Option<u64>,
    pub threads: Option<u64>,
    pub open_fds: Option<u64>,
    /// User plus system CPU time used so far.
    pub cpu: Option<Duration>,
}

/// Reads `/proc/<pid>` (`"self"` for this process).
pub fn read(pid: &str) -> ProcStats {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let open_fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok().map(|d| d.count() as u64);
    ProcStats {
        rss_kib: status_kib(&status, "VmRSS"),
        peak_rss_kib: status_kib(&status, "VmHWM"),
        threads: status_kib(&status, "Threads"),
        open_fds,
        cpu: cpu_time(&stat),
    }
}

/// The number after `key:` in `/proc/<pid>/status` (memory lines are in kB).
fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// utime + stime (fields 14 and 15) of `/proc/<pid>/stat`. The command name
/// (field 2) may hold spaces, so fields are counted after its closing `)`.
fn cpu_time(stat: &str) -> Option<Duration> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After `)` the first field is the state (field 3), so field n is at n - 3.
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / TICKS_PER_SECOND))
}

/// How many of `pid`'s descriptors are TCP connections accepted on `port`
/// (its listener excluded): the connections a client chose to hold open.
pub fn accepted_connections(pid: &str, port: u16) -> Option<u64> {
    let inodes: HashSet<u64> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()?
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|l| l.to_str()?.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok())
        .collect();
    let mut n = 0;
    for table in ["tcp", "tcp6"] {
        // The process's own network namespace's table.
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
        n += accepted_in(&text, &inodes, port);
    }
    Some(n)
}

/// Lines of a `/proc/net/tcp` table whose socket is one of `inodes`, whose
/// local port is `port` and whose state is not LISTEN (`0A`).
fn accepted_in(table: &str, inodes: &HashSet<u64>, port: u16) -> u64 {
    let port = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let inode = f.get(9).and_then(|i| i.parse::<u64>().ok());
            f.get(1).is_some_and(|local| local.ends_with(&port))
                && f.get(3).is_some_and(|st| *st != "0A")
                && inode.is_some_and(|i| inodes.contains(&i))
        })
        .count() as u64
}

/// KiB as MiB with one decimal, or `?`.
pub fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "?".to_owned(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_and_stat() {
        let status = "Name:\tclubos\nVmHWM:\t   90000 kB\nVmRSS:\t   81234 kB\nThreads:\t7\n";
        assert_eq!(status_kib(status, "VmRSS"), Some(81234));
        assert_eq!(status_kib(status, "VmHWM"), Some(90000));
        assert_eq!(status_kib(status, "Threads"), Some(7));
        assert_eq!(status_kib(status, "VmSwap"), None);
        let stat = "4242 (tokio runtime) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 1 2 3";
        assert_eq!(cpu_time(stat), Some(Duration::from_secs(3)));
        assert_eq!(mib(Some(2048)), "2.0 MiB");
    }

    #[test]
    fn counts_accepted_connections_on_the_port_only() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:8DC1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0
   1: 0100007F:8DC1 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 1002 1 0 20 4 30 10 -1
   2: 0100007F:8DC1 0100007F:C351 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0 20 4 30 10 -1
   3: 0100007F:A000 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 1004 1 0 20 4 30 10 -1
   4: 0100007F:8DC1 0100007F:C352 01 00000000:00000000 00:00000000 00000000     0        0 2002 1 0 20 4 30 10 -1
";
        let mine: HashSet<u64> = [1001, 1002, 1003, 1004].into();
        // 1001 is the listener, 1004 an outgoing connection, 2002 another process's.
        assert_eq!(accepted_in(table, &mine, 0x8DC1), 2);
        assert_eq!(accepted_in(table, &mine, 0xA000), 1);
        assert_eq!(accepted_in(table, &HashSet::new(), 0x8DC1), 0);
    }

    #[test]
    fn reads_this_process() {
        let me = read("self");
        if cfg!(target_os = "linux") {
            assert!(me.rss_kib.unwrap() > 0);
            assert!(me.open_fds.unwrap() >= 3);
            assert!(me.cpu.is_some());
        }
    }
}
