//! One bad-input case: the tool, its inputs and what it must do.

use std::path::Path;
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Tool {
    Cfssl,
    Cfssljson,
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Expect {
    /// Must fail cleanly.
    Fail,
    /// May succeed (with JSON or file output) or fail cleanly; must be bounded.
    Either,
    /// Must succeed; `check` verifies what it left behind.
    Success,
}

type Hook = Arc<dyn Fn(&Path) + Send + Sync>;

#[derive(Clone)]
pub(super) struct Case {
    pub(super) name: String,
    pub(super) tool: Tool,
    pub(super) args: Vec<String>,
    pub(super) files: Vec<(String, Vec<u8>)>,
    pub(super) stdin: Vec<u8>,
    pub(super) env: Vec<(String, String)>,
    /// Every fragment must appear in stderr.
    pub(super) stderr_has: Vec<String>,
    pub(super) expect: Expect,
    pub(super) setup: Option<Hook>,
    pub(super) check: Option<Hook>,
    pub(super) bug: Option<&'static str>,
    /// Send stdout to /dev/full (every write fails with ENOSPC).
    pub(super) stdout_full: bool,
}

impl Case {
    pub(super) fn new(name: impl Into<String>, tool: Tool, args: &[&str]) -> Case {
        Case {
            name: name.into(),
            tool,
            args: args.iter().map(|s| s.to_string()).collect(),
            files: Vec::new(),
            stdin: Vec::new(),
            env: Vec::new(),
            stderr_has: Vec::new(),
            expect: Expect::Fail,
            setup: None,
            check: None,
            bug: None,
            stdout_full: false,
        }
    }
    pub(super) fn file(mut self, name: &str, data: impl Into<Vec<u8>>) -> Case {
        self.files.push((name.into(), data.into()));
        self
    }
    pub(super) fn stdin(mut self, data: impl Into<Vec<u8>>) -> Case {
        self.stdin = data.into();
        self
    }
    pub(super) fn env(mut self, k: &str, v: &str) -> Case {
        self.env.push((k.into(), v.into()));
        self
    }
    pub(super) fn err(mut self, fragment: &str) -> Case {
        self.stderr_has.push(fragment.into());
        self
    }
    pub(super) fn either(mut self) -> Case {
        self.expect = Expect::Either;
        self
    }
    pub(super) fn success(mut self) -> Case {
        self.expect = Expect::Success;
        self
    }
    pub(super) fn setup(mut self, f: impl Fn(&Path) + Send + Sync + 'static) -> Case {
        self.setup = Some(Arc::new(f));
        self
    }
    pub(super) fn check(mut self, f: impl Fn(&Path) + Send + Sync + 'static) -> Case {
        self.check = Some(Arc::new(f));
        self
    }
    pub(super) fn stdout_full(mut self) -> Case {
        self.stdout_full = true;
        self
    }
    pub(super) fn bug(mut self, why: &'static str) -> Case {
        self.bug = Some(why);
        self
    }
}

pub(super) trait ErrAll {
    fn err_all(self, frags: &[&str]) -> Self;
}
impl ErrAll for Case {
    fn err_all(mut self, frags: &[&str]) -> Self {
        for f in frags {
            self = self.err(f);
        }
        self
    }
}
