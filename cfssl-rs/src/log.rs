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
    let held = HELD.with(|held| match held.borrow_mut().as_mut() {
        Some(lines) => {
            lines.push_str(&line);
            true
        }
        None => false,
    });
    if !held {
        crate::output::write_stderr(&line);
    }
}

/// Runs `work` with the lines this thread logs held back, and written with one
/// `write` when it ends (panicking or not). For the few lines of a request that
/// takes microseconds, where a `write` per line cost more than the line.
pub fn held_back<T>(work: impl FnOnce() -> T) -> T {
    struct Release;
    impl Drop for Release {
        fn drop(&mut self) {
            if let Some(lines) = HELD.with(|held| held.borrow_mut().take()) {
                if !lines.is_empty() {
                    crate::output::write_stderr(&lines);
                }
            }
        }
    }
    if HELD.with(|held| held.borrow().is_some()) {
        return work();
    }
    HELD.with(|held| *held.borrow_mut() = Some(String::new()));
    let _release = Release;
    work()
}

thread_local! {
    static STAMP: std::cell::RefCell<Stamp> = const {
        std::cell::RefCell::new(Stamp { second: i64::MIN, text: String::new() })
    };
    static HELD: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
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

    #[test]
    fn held_back_lines_are_kept_in_order_and_released_even_on_panic() {
        let lines = held_back(|| {
            error("one");
            held_back(|| log(Level::Fatal, "two"));
            HELD.with(|held| held.borrow().clone()).unwrap()
        });
        let got: Vec<&str> = lines.lines().map(|l| &l[20..]).collect();
        assert_eq!(got, ["[ERROR] one", "[FATAL] two"]);
        assert!(HELD.with(|held| held.borrow().is_none()));
        let _ = std::panic::catch_unwind(|| held_back(|| panic!("a bug")));
        assert!(HELD.with(|held| held.borrow().is_none()));
    }
}
