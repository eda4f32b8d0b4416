//! A listing for queries (the TrueNAS-compatible API): summaries narrowed in
//! SQL by id or name, in id order, read with their sealed secrets in one
//! statement, and the secrets of the ones the caller chooses opened (on two
//! threads when many are chosen).

use nascfg_credentials::Credential;
use nascfg_crypto::secrecy::SecretString;
use rusqlite::types::Value as SqlValue;

use crate::store::{credential_context, open_sealed, parse_attrs, parse_provider};
use crate::{CredentialId, CredentialSummary, Error, Store};

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
        let (first, second) = two_halves(chosen, |_, part| {
            part.into_iter()
                .map(|i| Ok((i, open_one(&key, &summaries[i], &sealed[i])?)))
                .collect::<Result<Vec<_>, Error>>()
        });
        // The first error in the chosen order is the one reported.
        let mut opened = first?;
        opened.extend(second.transpose()?.unwrap_or_default());
        // Freeing what was read is no part of the answer.
        drop_elsewhere(sealed);
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

/// Drops `value` on a thread of its own when it is large: freeing ten
/// thousand credentials' strings is a few milliseconds no answer waits for.
pub fn drop_elsewhere<T: Send + 'static>(value: Vec<T>) {
    if value.len() >= TWO_THREADS_FROM {
        std::thread::spawn(move || drop(value));
    }
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
    // Stepping SQLite is this thread's; parsing what it gave is shared.
    let mut raw: Vec<Raw> = Vec::new();
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let secret: Option<(String, String)> = match row.get::<_, Option<String>>(8)? {
            Some(field) => Some((field, row.get(9)?)),
            None => None,
        };
        let last = match raw.last_mut() {
            // The same credential's next secret.
            Some(last) if last.id == id => last,
            _ => {
                raw.push(Raw {
                    id,
                    name: row.get(1)?,
                    provider: row.get(2)?,
                    attributes: row.get(3)?,
                    needs_secrets: row.get(4)?,
                    created_at: row.get(5)?,
                    updated_at: row.get(6)?,
                    uid: row.get(7)?,
                    sealed: Vec::new(),
                });
                raw.last_mut().expect("just pushed")
            }
        };
        last.sealed.extend(secret);
    }
    let (first, second) = two_halves(raw, |_, part| {
        part.into_iter()
            .map(Raw::parse)
            .collect::<Result<Vec<_>, _>>()
    });
    let mut out = first?;
    out.extend(second.transpose()?.unwrap_or_default());
    Ok(out)
}

/// A credential's row as SQLite gave it, before its provider and attributes
/// are parsed.
struct Raw {
    id: i64,
    name: String,
    provider: String,
    attributes: String,
    needs_secrets: bool,
    created_at: String,
    updated_at: String,
    uid: String,
    sealed: Vec<(String, String)>,
}

impl Raw {
    fn parse(self) -> Result<Read, Error> {
        Ok(Read {
            summary: CredentialSummary {
                id: CredentialId(self.id),
                provider: parse_provider(&self.name, &self.provider)?,
                attributes: parse_attrs(&self.name, &self.attributes)?,
                secret_fields: self.sealed.iter().map(|(f, _)| f.clone()).collect(),
                needs_secrets: self.needs_secrets,
                created_at: self.created_at,
                updated_at: self.updated_at,
                name: self.name,
            },
            uid: self.uid,
            sealed: self.sealed,
        })
    }
}

/// `work` done on `items`: from [`TWO_THREADS_FROM`] items on, on each half
/// (0 the first, 1 the second), the second on a thread of its own; else on
/// all of them at once (0), with no second answer. The per-item work of a
/// large query (parsing, opening secrets, writing JSON) is independent and
/// CPU-bound, so two cores halve it.
pub fn two_halves<T: Send, R: Send>(
    mut items: Vec<T>,
    work: impl Fn(usize, Vec<T>) -> R + Sync,
) -> (R, Option<R>) {
    if items.len() < TWO_THREADS_FROM {
        return (work(0, items), None);
    }
    let second = items.split_off(items.len() / 2);
    let work = &work;
    let (first, second) = std::thread::scope(|s| {
        let second = s.spawn(move || work(1, second));
        (work(0, items), second.join())
    });
    (
        first,
        Some(second.unwrap_or_else(|panic| std::panic::resume_unwind(panic))),
    )
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
