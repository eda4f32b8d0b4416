//! A listing for queries (the TrueNAS-compatible API): summaries narrowed in
//! SQL by id or name, in id order, read with their sealed secrets in one
//! statement, and the secrets of the ones the caller chooses opened (on two
//! threads when many are chosen).

use nascfg_credentials::Credential;
use nascfg_crypto::secrecy::SecretString;
use rusqlite::types::Value as SqlValue;

use crate::store::{credential_context, open_sealed, summary_from_row};
use crate::{CredentialSummary, Error, Store};

/// Which credentials a listing reads. A narrowing only saves work: the caller
/// still applies its own filters to what is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Narrow {
    /// Every credential.
    All,
    /// The credentials with these ids.
    Ids(Vec<i64>),
    /// The credentials with these names (exactly).
    Names(Vec<String>),
    /// The credentials whose name starts with this text.
    NamePrefix(String),
}

/// At most this many ids or names go into one statement; a longer list reads all.
const MAX_LISTED: usize = 512;
/// From this many chosen credentials on, two threads open them.
pub const TWO_THREADS_FROM: usize = 512;

/// What [`Store::credentials_listed`] read.
#[derive(Debug)]
pub struct Listing {
    /// The summaries, in id order.
    pub summaries: Vec<CredentialSummary>,
    /// The chosen summaries' credentials with their secrets: (index into
    /// `summaries`, credential), in the order they were chosen.
    pub opened: Vec<(usize, Credential)>,
}

impl Store {
    /// The summaries `narrow` names, in id order; then `choose` picks (by
    /// index) those whose secrets are wanted, and they are opened from the
    /// same snapshot of the database. A credential whose secrets must be
    /// re-entered, or that has none, is never opened (`choose` should skip
    /// it). The seed is needed only when something is chosen.
    pub fn credentials_listed(
        &mut self,
        narrow: &Narrow,
        choose: impl FnOnce(&[CredentialSummary]) -> Vec<usize>,
    ) -> Result<Listing, Error> {
        // Derived before the read (it needs the store mutably) and used, or
        // its error reported, only if something is chosen.
        let key = self.key();
        let read = self.conn.unchecked_transaction()?;
        let (summaries, sealed): (Vec<CredentialSummary>, Vec<Sealed>) =
            summaries(&read, narrow, Order::Id)?
                .into_iter()
                .map(|r| (r.summary, (r.uid, r.sealed)))
                .unzip();
        read.finish()?;
        let chosen: Vec<usize> = choose(&summaries)
            .into_iter()
            .filter(|&i| {
                summaries
                    .get(i)
                    .is_some_and(|s| !s.needs_secrets && !s.secret_fields.is_empty())
            })
            .collect();
        if chosen.is_empty() {
            return Ok(Listing {
                summaries,
                opened: Vec::new(),
            });
        }
        let key = key?;
        // Opening and validating is CPU work of a few microseconds each:
        // many are shared between this thread and one more.
        let open = |part: &[usize]| {
            part.iter()
                .map(|&i| Ok((i, open_one(&key, &summaries[i], &sealed[i])?)))
                .collect::<Result<Vec<_>, Error>>()
        };
        let opened = if chosen.len() < TWO_THREADS_FROM {
            open(&chosen)?
        } else {
            let (first, second) = chosen.split_at(chosen.len() / 2);
            let (first, second) = std::thread::scope(|s| {
                let second = s.spawn(|| open(second));
                (open(first), second.join())
            });
            // The first error in the chosen order is the one reported.
            let mut opened = first?;
            opened.extend(second.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?);
            opened
        };
        Ok(Listing { summaries, opened })
    }
}

/// A credential with its secrets, from its summary, its uid and its sealed rows.
fn open_one(
    key: &nascfg_crypto::SealingKey,
    s: &CredentialSummary,
    (uid, rows): &Sealed,
) -> Result<Credential, Error> {
    let mut secrets: Vec<(String, SecretString)> = Vec::with_capacity(rows.len());
    for (field, text) in rows {
        let value = open_sealed(key, text, &credential_context(uid, field), || {
            format!("credential {:?} ({field})", s.name)
        })?;
        secrets.push((field.clone(), value));
    }
    Credential::from_parts(&s.name, s.provider, s.attributes.clone(), secrets).map_err(|e| {
        Error::InvalidStored {
            name: s.name.clone(),
            reason: e.to_string(),
        }
    })
}

/// The order summaries are read in.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Order {
    Id,
    Name,
}

/// A credential's uid and its sealed secrets (field, sealed text).
type Sealed = (String, Vec<(String, String)>);

/// One credential as read: its summary, its uid and its sealed secrets
/// (field, sealed text) in field order.
pub(crate) struct Read {
    pub(crate) summary: CredentialSummary,
    uid: String,
    sealed: Vec<(String, String)>,
}

/// The credentials `narrow` names, in `order`, each with its sealed secrets:
/// one statement, the secrets joined through their primary key, so neither a
/// subquery a row nor a second pass.
pub(crate) fn summaries(
    conn: &rusqlite::Connection,
    narrow: &Narrow,
    order: Order,
) -> Result<Vec<Read>, Error> {
    const SELECT: &str = "SELECT c.id, c.name, c.provider, c.attributes, c.needs_secrets, c.created_at, c.updated_at,
                c.uid, s.field, s.sealed
         FROM credential c LEFT JOIN credential_secret s ON s.credential_id = c.id";
    let placeholders = |n: usize| vec!["?"; n].join(", ");
    let (filter, params): (String, Vec<SqlValue>) = match narrow {
        Narrow::Ids(ids) if ids.len() <= MAX_LISTED => (
            format!(" WHERE c.id IN ({})", placeholders(ids.len())),
            ids.iter().map(|&id| SqlValue::Integer(id)).collect(),
        ),
        Narrow::Names(names) if names.len() <= MAX_LISTED => (
            format!(" WHERE c.name IN ({})", placeholders(names.len())),
            names.iter().map(|n| SqlValue::Text(n.clone())).collect(),
        ),
        // substr counts characters, as a prefix of a Rust string does.
        Narrow::NamePrefix(prefix) => (
            " WHERE substr(c.name, 1, ?) = ?".to_owned(),
            vec![
                SqlValue::Integer(i64::try_from(prefix.chars().count()).unwrap_or(i64::MAX)),
                SqlValue::Text(prefix.clone()),
            ],
        ),
        Narrow::All | Narrow::Ids(_) | Narrow::Names(_) => (String::new(), Vec::new()),
    };
    let order = match order {
        Order::Id => "c.id",
        Order::Name => "c.name",
    };
    let mut stmt = conn.prepare_cached(&format!("{SELECT}{filter} ORDER BY {order}, s.field"))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    let mut out: Vec<Read> = Vec::new();
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let secret: Option<(String, String)> = match row.get::<_, Option<String>>(8)? {
            Some(field) => Some((field, row.get(9)?)),
            None => None,
        };
        match out.last_mut() {
            // The same credential's next secret.
            Some(last) if last.summary.id.get() == id => {
                if let Some(secret) = secret {
                    last.summary.secret_fields.push(secret.0.clone());
                    last.sealed.push(secret);
                }
            }
            _ => {
                let mut read = Read {
                    summary: summary_from_row(row, Vec::new())?,
                    uid: row.get(7)?,
                    sealed: Vec::new(),
                };
                if let Some(secret) = secret {
                    read.summary.secret_fields.push(secret.0.clone());
                    read.sealed.push(secret);
                }
                out.push(read);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataDir;
    use nascfg_credentials::ProviderKind;
    use serde_json::json;

    fn store_with(n: usize) -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = DataDir::new(tmp.path().join("data"));
        let mut store = Store::open(&dir).expect("open");
        for i in 0..n {
            let attrs = json!({"host": "ftp.example.com", "user": format!("u{i}"), "pass": format!("p{i}")});
            let c = Credential::new(
                &format!("c{i:03}"),
                ProviderKind::Ftp,
                attrs.as_object().expect("an object").clone(),
            )
            .expect("valid");
            store.add_credential(&c).expect("added");
        }
        (tmp, store)
    }

    fn names(l: &Listing) -> Vec<String> {
        l.summaries.iter().map(|s| s.name.clone()).collect()
    }

    /// Each narrowing reads exactly what it names, in id order, and the
    /// chosen credentials open with their secrets, in the order chosen, on
    /// one thread or two alike.
    #[test]
    fn narrowed_and_opened() {
        let (_tmp, mut store) = store_with(TWO_THREADS_FROM + 2);
        let all = store
            .credentials_listed(&Narrow::All, |_| Vec::new())
            .expect("all");
        assert_eq!(all.summaries.len(), TWO_THREADS_FROM + 2);
        assert!(
            all.summaries
                .windows(2)
                .all(|w| w[0].id.get() < w[1].id.get())
        );
        let id3 = all.summaries[3].id.get();
        let c06: Vec<String> = (60..70).map(|i| format!("c{i:03}")).collect();
        for (narrow, expected) in [
            (Narrow::Ids(vec![id3, -1]), vec!["c003".to_owned()]),
            (
                Narrow::Names(vec!["c005".into(), "c001".into(), "none".into()]),
                vec!["c001".to_owned(), "c005".to_owned()],
            ),
            (Narrow::NamePrefix("c06".into()), c06),
            (Narrow::NamePrefix(String::new()), names(&all)),
            (Narrow::Ids((0..=MAX_LISTED as i64).collect()), names(&all)),
        ] {
            let got = store
                .credentials_listed(&narrow, |_| Vec::new())
                .expect("listed");
            assert_eq!(names(&got), expected, "{narrow:?}");
        }
        for chosen in [vec![2, 0], (0..TWO_THREADS_FROM + 2).rev().collect()] {
            let got = store
                .credentials_listed(&Narrow::All, |_| chosen.clone())
                .expect("opened");
            assert_eq!(got.opened.len(), chosen.len());
            for ((i, c), want) in got.opened.iter().zip(&chosen) {
                assert_eq!(i, want);
                assert_eq!(c.name(), format!("c{want:03}"));
                let pass = c.to_api_json(
                    nascfg_credentials::Shape::Current,
                    nascfg_credentials::Reveal::Revealed,
                );
                assert_eq!(pass["provider"]["pass"], json!(format!("p{want}")));
            }
        }
    }
}
