//! Microsoft OneDrive through Microsoft Graph: `GET /v1.0/drives/<drive_id>/root/children` with the
//! OAuth access token (refreshed at the Microsoft identity platform's token endpoint when expired),
//! and the list of the user's drives (`GET /v1.0/me/drives`) that the product's "Drives List" shows.

use nascfg_credentials::{Credential, OAuthToken};
use nascfg_oauth::{Drive, parse_drives};

use crate::oauth::{access, api_url, get_with_token};
use crate::{Check, Failure, Outcome, SaveToken, Verification, VerifyOptions};

/// Microsoft Graph.
const GRAPH: &str = "https://graph.microsoft.com/v1.0";
/// The drives of a OneDrive credential's account.
#[derive(Debug, Clone)]
pub struct DriveList {
    /// The drives, in Graph's order.
    pub drives: Vec<Drive>,
    /// The OAuth token, when it had to be refreshed to list them (to save back).
    pub refreshed_token: Option<OAuthToken>,
}

/// Lists the drives the credential's token reaches (`GET /me/drives`), for choosing its `drive_id`.
/// On failure the answer is an invalid [`Verification`] saying why (secrets scrubbed).
pub fn onedrive_drives(
    credential: &Credential,
    options: &VerifyOptions,
) -> Result<DriveList, Verification> {
    onedrive_drives_saving(credential, options, &mut |_| Ok(()))
}

/// [`onedrive_drives`], saving a refreshed token through `save` before it is used.
pub fn onedrive_drives_saving(
    credential: &Credential,
    options: &VerifyOptions,
    save: &mut SaveToken<'_>,
) -> Result<DriveList, Verification> {
    let mut refreshed = None;
    let drives = crate::run(credential, options, save, |check| {
        list(check, &mut refreshed).map_err(|failure| Failure {
            refreshed_token: refreshed.clone(),
            ..failure
        })
    })?;
    Ok(DriveList {
        drives,
        refreshed_token: refreshed,
    })
}

fn list(check: &Check<'_>, refreshed: &mut Option<OAuthToken>) -> Result<Vec<Drive>, Failure> {
    if check.credential.provider() != nascfg_credentials::ProviderKind::OneDrive {
        return Err(Failure::new(format!(
            "{} is not a OneDrive credential",
            check.credential.name()
        )));
    }
    let access = access(check)?;
    refreshed.clone_from(&access.refreshed);
    let url = api_url(check, &format!("{GRAPH}/me/drives"))?;
    let response = get_with_token(check, &access, &url)?;
    parse_drives(response.body.as_bytes())
        .map_err(|why| Failure::new(format!("{}, but {why}", response.status_line())))
}

/// Lists the root folder of the credential's drive.
pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let drive_id = check.text("drive_id")?;
    let drive_id = drive_id.trim();
    if drive_id.is_empty() {
        return Err(Failure::new(
            "the credential has no drive_id: choose one from the drives list",
        ));
    }
    let access = access(check)?;
    let mut url = api_url(check, &format!("{GRAPH}/drives")).map_err(|f| access.failure(f))?;
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.push(drive_id).push("root").push("children");
    }
    url.set_query(Some("$top=1"));
    get_with_token(check, &access, &url)?;
    Ok(access.success())
}
