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
    let newline = if message.ends_with('\n') { "" } else { "\n" };
    let line = STAMP.with(|cached| {
        let mut cached = cached.borrow_mut();
        format!("{} [{name}] {message}{newline}", cached.now())
    });
    crate::output::write_stderr(&line);
}

thread_local! {
    static STAMP: std::cell::RefCell<Stamp> = const {
        std::cell::RefCell::new(Stamp { second: i64::MIN, text: String::new() })
    };
}

/// The local time of the last line this thread wrote, to the second. A server writes
/// several lines per request, and formatting the local time (time zone lookup,
/// strftime) cost more than the rest of the line; the offset from UTC only changes
/// at a whole second, so one formatting per second and thread gives the same text.
struct Stamp {
    second: i64,
    text: String,
}

impl Stamp {
    fn now(&mut self) -> &str {
        let now = chrono::Utc::now();
        if now.timestamp() != self.second {
            self.second = now.timestamp();
            self.text = now
                .with_timezone(&chrono::Local)
                .format("%Y/%m/%d %H:%M:%S")
                .to_string();
        }
        &self.text
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_stamp_is_the_local_time_of_its_second() {
        let mut stamp = Stamp {
            second: i64::MIN,
            text: String::new(),
        };
        let text = stamp.now().to_string();
        let at = chrono::DateTime::from_timestamp(stamp.second, 0).unwrap();
        let want = at.with_timezone(&chrono::Local).format("%Y/%m/%d %H:%M:%S");
        assert_eq!(text, want.to_string());
        assert_eq!(text.len(), "2006/01/02 15:04:05".len());
    }
}
