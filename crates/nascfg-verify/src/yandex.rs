//! Yandex Disk: `GET cloud-api.yandex.net/v1/disk/resources?path=/` with
//! `Authorization: OAuth <token>` (the token type as Yandex gives it), refreshed at Yandex's token
//! endpoint when expired.

use crate::oauth::verify_get;
use crate::{Check, Outcome};

/// Reads the root folder.
pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    verify_get(
        check,
        "https://cloud-api.yandex.net/v1/disk/resources?path=/&limit=1",
    )
}
