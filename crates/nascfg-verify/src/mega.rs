//! Verification for this cloud API (owned by helper verify-cloud).

use crate::{Check, Failure, Outcome};

/// Checks the credential (not built yet).
pub(crate) fn verify(_check: &Check<'_>) -> Outcome {
    Err(Failure::new("verification for this provider is not built yet"))
}
