//! OneDrive's drives after a login: Microsoft Graph `GET /v1.0/me/drives`, and the credential's
//! `drive_type` for Graph's `driveType`.

use nascfg_credentials::OAuthToken;
use secrecy::ExposeSecret as _;
use serde_json::Value;

use crate::{Error, Network};

/// Microsoft Graph's list of the signed-in user's drives.
pub const GRAPH_DRIVES: &str = "https://graph.microsoft.com/v1.0/me/drives";
/// The most drives kept from one answer.
const MAX_DRIVES: usize = 1000;

/// One drive the signed-in user can reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drive {
    /// The drive ID (a OneDrive credential's `drive_id`).
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Graph's `driveType`: `personal`, `business` or `documentLibrary`.
    pub graph_type: String,
}

impl Drive {
    /// The credential's `drive_type` for this drive: `PERSONAL`, `BUSINESS`, `DOCUMENT_LIBRARY`.
    pub fn drive_type(&self) -> Option<&'static str> {
        match self.graph_type.as_str() {
            "personal" => Some("PERSONAL"),
            "business" => Some("BUSINESS"),
            "documentLibrary" => Some("DOCUMENT_LIBRARY"),
            _ => None,
        }
    }

    /// `ID  NAME (type)`, for listings (no secret in it).
    pub fn line(&self) -> String {
        format!("{}  {} ({})", self.id, self.name, self.graph_type)
    }
}

/// Lists the drives `token` reaches.
pub fn onedrive_drives(token: &OAuthToken, network: &Network) -> Result<Vec<Drive>, Error> {
    let url = network.endpoints.url(GRAPH_DRIVES)?;
    let authorization = format!("Bearer {}", token.access_token().expose_secret());
    let answer = network.client().get(
        &url,
        &[
            ("authorization", authorization.as_str()),
            ("accept", "application/json"),
        ],
    )?;
    let secrets = [token.access_token().expose_secret().to_owned()];
    if !answer.is_success() {
        return Err(Error::Drives(crate::scrubbed(
            &crate::token::error_reason(answer.status, answer.body.as_bytes()),
            &secrets,
        )));
    }
    parse_drives(answer.body.as_bytes()).map_err(Error::Drives)
}

/// Reads Graph's `{"value": [{"id", "name", "driveType"}, ...]}`.
pub fn parse_drives(body: &[u8]) -> Result<Vec<Drive>, String> {
    let json: Value = serde_json::from_slice(body).map_err(|_| "the answer is not JSON")?;
    let values = json
        .get("value")
        .and_then(Value::as_array)
        .ok_or("the answer has no drive list")?;
    let text =
        |v: &Value, key: &str| crate::excerpt(v.get(key).and_then(Value::as_str).unwrap_or(""));
    Ok(values
        .iter()
        .take(MAX_DRIVES)
        .filter(|v| {
            v.get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| !id.is_empty())
        })
        .map(|v| Drive {
            id: text(v, "id"),
            name: text(v, "name"),
            graph_type: text(v, "driveType"),
        })
        .collect())
}

/// Picks one of several drives (a numbered choice on a terminal); `None` when none was chosen.
pub type ChooseDrive<'a> = dyn FnMut(&[Drive]) -> Option<usize> + 'a;

/// The drive to store: the one named by `wanted` (a `--set drive_id=`), the only one, or
/// `choose`'s pick among several (a terminal); otherwise an error listing them.
pub fn choose_drive(
    drives: Vec<Drive>,
    wanted: Option<&str>,
    choose: Option<&mut ChooseDrive<'_>>,
) -> Result<Drive, Error> {
    let listing = || {
        drives
            .iter()
            .map(|d| format!("  {}", d.line()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if let Some(id) = wanted.map(str::trim).filter(|w| !w.is_empty()) {
        return match drives.iter().find(|d| d.id == id) {
            Some(d) => Ok(d.clone()),
            None => Err(Error::UnknownDrive {
                id: crate::excerpt(id),
                listing: listing(),
            }),
        };
    }
    match drives.len() {
        0 => Err(Error::NoDrives),
        1 => Ok(drives.into_iter().next().expect("one drive")),
        _ => match choose.and_then(|f| f(&drives)) {
            Some(i) if i < drives.len() => Ok(drives[i].clone()),
            _ => Err(Error::ChooseDrive(listing())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drives() {
        let list = parse_drives(
            br#"{"value":[{"id":"b!1","name":"OneDrive","driveType":"business"},{"id":"","name":"x"},{"id":"d2","name":"Docs","driveType":"documentLibrary"}]}"#,
        )
        .expect("drives");
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].drive_type(), Some("BUSINESS"));
        assert_eq!(list[1].drive_type(), Some("DOCUMENT_LIBRARY"));
        assert!(parse_drives(b"{}").is_err());
        let one = choose_drive(list[..1].to_vec(), None, None).expect("one");
        assert_eq!(one.id, "b!1");
        let picked = choose_drive(list.clone(), Some("d2"), None).expect("named");
        assert_eq!(picked.id, "d2");
        let err = choose_drive(list.clone(), None, None).expect_err("several");
        assert_eq!(
            err.to_string(),
            "the account has several drives; choose one:\n  b!1  OneDrive (business)\n  d2  Docs (documentLibrary)"
        );
        let mut second = |_: &[Drive]| Some(1);
        let chosen = choose_drive(list.clone(), None, Some(&mut second)).expect("chosen");
        assert_eq!(chosen.id, "d2");
        assert!(matches!(
            choose_drive(list, Some("nope"), None),
            Err(Error::UnknownDrive { .. })
        ));
        assert!(matches!(
            choose_drive(vec![], None, None),
            Err(Error::NoDrives)
        ));
    }
}
