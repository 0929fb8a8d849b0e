//! cfssl's log lines on stderr: `YYYY/MM/DD HH:MM:SS [LEVEL] message`, local time,
//! printed when the level is at least `-loglevel`.
//!
//! Local commands write each line synchronously. A server, while it serves, hands its
//! lines to one writer thread through a bounded queue ([`queued`]): a stderr nobody
//! reads (a full pipe) then stalls that thread only, never the async workers, and lines
//! that find the queue full are dropped and counted in a notice.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

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
        emit(line);
    }
}

/// Lines waiting for the writer thread; past this many writes they are dropped.
const QUEUE_LEN: usize = 4096;
/// How long the end of serving waits for queued lines to reach stderr.
const FLUSH_WAIT: Duration = Duration::from_secs(2);
/// How long the writer thread lets lines gather after each write.
const BATCH_PAUSE: Duration = Duration::from_millis(2);

enum Chunk {
    Lines(String),
    /// Answered once every chunk queued before it is written.
    Flush(SyncSender<()>),
}

static QUEUE: OnceLock<SyncSender<Chunk>> = OnceLock::new();
static QUEUING: AtomicBool = AtomicBool::new(false);
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Lines go to the writer thread from now until the guard is dropped, which waits
/// (bounded) until they are written; lines logged after it are written directly
/// again, so a server's last words keep their place after its queued lines.
pub fn queued() -> Queued {
    QUEUE.get_or_init(|| {
        let (tx, rx) = sync_channel(QUEUE_LEN);
        std::thread::Builder::new()
            .name("log writer".into())
            .spawn(move || write_queued(rx))
            .expect("spawn the log writer thread");
        tx
    });
    QUEUING.store(true, Ordering::SeqCst);
    Queued(())
}

/// See [`queued`].
pub struct Queued(());

impl Drop for Queued {
    fn drop(&mut self) {
        QUEUING.store(false, Ordering::SeqCst);
        let Some(tx) = QUEUE.get() else { return };
        let (ack, done) = sync_channel(1);
        let deadline = Instant::now() + FLUSH_WAIT;
        let mut flush = Chunk::Flush(ack);
        loop {
            match tx.try_send(flush) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                    flush = back;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(_) => return,
            }
        }
        let _ = done.recv_timeout(deadline.saturating_duration_since(Instant::now()));
    }
}

fn emit(text: String) {
    if QUEUING.load(Ordering::Relaxed) {
        if let Some(tx) = QUEUE.get() {
            let (full, refused) = match tx.try_send(Chunk::Lines(text)) {
                Ok(()) => return,
                Err(TrySendError::Full(chunk)) => (true, chunk),
                Err(TrySendError::Disconnected(chunk)) => (false, chunk),
            };
            let Chunk::Lines(text) = refused else { return };
            match full {
                true => {
                    DROPPED.fetch_add(text.matches('\n').count() as u64, Ordering::Relaxed);
                }
                false => crate::output::write_stderr(&text),
            }
            return;
        }
    }
    crate::output::write_stderr(&text);
}

fn write_queued(rx: Receiver<Chunk>) {
    let mut text = String::new();
    let mut acks = Vec::new();
    while let Ok(first) = rx.recv() {
        for chunk in std::iter::once(first).chain(rx.try_iter()) {
            match chunk {
                Chunk::Lines(lines) => text.push_str(&lines),
                Chunk::Flush(ack) => acks.push(ack),
            }
        }
        let dropped = DROPPED.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            STAMP.with(|cached| {
                text.push_str(&format!(
                    "{} [WARNING] {dropped} log lines dropped: stderr is not being read\n",
                    cached.borrow_mut().now()
                ))
            });
        }
        crate::output::write_stderr(&text);
        text.clear();
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
        // Lines that arrive during the pause wait in the queue without waking this
        // thread: a busy server costs one wake-up and one write per pause instead of
        // a futex wake per request (~5% of a /sign request's CPU), and a line is
        // written at most this much later.
        std::thread::sleep(BATCH_PAUSE);
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
                    emit(lines);
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

    /// This process's stderr redirected to a memory file until dropped. Other tests
    /// running meanwhile may write there too: callers look for their own lines only.
    struct StderrCapture {
        saved: std::os::fd::OwnedFd,
        file: std::fs::File,
    }

    impl StderrCapture {
        fn start() -> StderrCapture {
            let file = rustix::fs::memfd_create(c"stderr", rustix::fs::MemfdFlags::CLOEXEC)
                .expect("memfd_create");
            let saved = rustix::io::dup(rustix::stdio::stderr()).expect("dup stderr");
            rustix::stdio::dup2_stderr(&file).expect("redirect stderr");
            StderrCapture {
                saved,
                file: file.into(),
            }
        }

        /// The lines written so far that contain `marker`, without their time stamp.
        fn lines_with(&self, marker: &str) -> Vec<String> {
            use std::os::unix::fs::FileExt;
            let len = self.file.metadata().expect("stat the capture").len();
            let mut bytes = vec![0; len as usize];
            self.file
                .read_exact_at(&mut bytes, 0)
                .expect("read the capture");
            String::from_utf8_lossy(&bytes)
                .lines()
                .filter(|l| l.contains(marker))
                .map(|l| l["2006/01/02 15:04:05 ".len()..].to_string())
                .collect()
        }
    }

    impl Drop for StderrCapture {
        fn drop(&mut self) {
            let _ = rustix::stdio::dup2_stderr(&self.saved);
        }
    }

    #[test]
    fn held_back_lines_are_kept_in_order_and_released_even_on_panic() {
        let stderr = StderrCapture::start();
        held_back(|| {
            log(Level::Fatal, "held-back one");
            held_back(|| log(Level::Fatal, "held-back two"));
            assert_eq!(stderr.lines_with("held-back"), Vec::<String>::new());
        });
        let _ = std::panic::catch_unwind(|| {
            held_back(|| {
                log(Level::Fatal, "held-back three");
                panic!("a bug")
            })
        });
        log(Level::Fatal, "held-back four");
        let got = stderr.lines_with("held-back");
        drop(stderr);
        assert_eq!(
            got,
            [
                "[FATAL] held-back one",
                "[FATAL] held-back two",
                "[FATAL] held-back three",
                "[FATAL] held-back four",
            ]
        );
        assert!(HELD.with(|held| held.borrow().is_none()));
    }
}
