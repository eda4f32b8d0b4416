//! Hubic: the service shut down in 2022 (rclone removed its backend in 1.60), so a Hubic
//! credential is invalid without touching the network.

use crate::{Check, Failure, Outcome};

/// Says so, offline.
pub(crate) fn verify(_check: &Check<'_>) -> Outcome {
    Err(Failure::new(
        "Hubic shut down in 2022; this credential can no longer work",
    ))
}
