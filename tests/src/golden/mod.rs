//! Running one golden case and comparing it with its recorded expectations
//! (`tests/golden/FORMAT.md` is the specification).

mod compare;
mod expected;
mod observe;
mod run;
#[cfg(test)]
mod tests;
mod values;

pub use compare::compare;
pub use expected::{load_expected, Expected};
pub use observe::{observe, Observed, ProducedFile};
pub use run::{run_case, Binaries, Exit, Run};
pub use values::diff_values;

const EXPECTED_DIR: &str = "expected";
const VARIES: &str = "varies";
