//! cfssl's log lines on stderr: `YYYY/MM/DD HH:MM:SS [LEVEL] message`, local time,
//! printed when the level is at least `-loglevel`.

use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
    Critical = 4,
    Fatal = 5,
}

static THRESHOLD: AtomicU8 = AtomicU8::new(Level::Info as u8);

/// Sets the `-loglevel` threshold; values above 5 silence everything, as in cfssl.
pub fn set_level(level: i64) {
    THRESHOLD.store(level.clamp(0, 6) as u8, Ordering::Relaxed);
}

pub fn log(level: Level, message: &str) {
    if (level as u8) < THRESHOLD.load(Ordering::Relaxed) {
        return;
    }
    let name = match level {
        Level::Debug => "DEBUG",
        Level::Info => "INFO",
        Level::Warning => "WARNING",
        Level::Error => "ERROR",
        Level::Critical => "CRITICAL",
        Level::Fatal => "FATAL",
    };
    let stamp = chrono::Local::now().format("%Y/%m/%d %H:%M:%S");
    let newline = if message.ends_with('\n') { "" } else { "\n" };
    crate::output::write_stderr(&format!("{stamp} [{name}] {message}{newline}"));
}

pub fn debug(m: &str) {
    log(Level::Debug, m)
}
pub fn info(m: &str) {
    log(Level::Info, m)
}
pub fn warning(m: &str) {
    log(Level::Warning, m)
}
pub fn error(m: &str) {
    log(Level::Error, m)
}
