//! What this process has cost so far: CPU time and peak resident memory, read from `/proc` on
//! Linux, for capacity planning and the benchmarks. Elsewhere it is unknown.

use serde::Serialize;

/// The process's CPU time and peak memory.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Usage {
    /// User plus system CPU time, in seconds.
    pub cpu_seconds: f64,
    /// The peak resident set (`VmHWM`), in MiB.
    pub peak_rss_mib: f64,
}

/// This process's usage, if `/proc` tells it.
pub fn usage() -> Option<Usage> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let hwm_kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    // The kernel reports CPU time in clock ticks; USER_HZ is 100 on every Linux we run on.
    Some(Usage { cpu_seconds: ticks / 100.0, peak_rss_mib: hwm_kib / 1024.0 })
}

#[cfg(test)]
mod tests {
    #[test]
    fn usage_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let usage = super::usage().expect("linux has /proc");
            assert!(usage.peak_rss_mib > 0.0 && usage.cpu_seconds >= 0.0, "{usage:?}");
        }
    }
}
