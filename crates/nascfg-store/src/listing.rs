//! A listing for queries (the TrueNAS-compatible API): summaries narrowed in
//! SQL by id or name, in id order, read with their sealed secrets in one
//! statement; the caller chooses which to visit, and each visited credential
//! whose secrets are wanted is opened just before the caller's work on it
//! (on two threads, a half each, when many are chosen).

use nascfg_credentials::Credential;
use nascfg_crypto::SealingKey;
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

/// Whether a listing opens the secrets of the credentials it visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// Each visited credential that has secrets (and need not have them
    /// re-entered) is opened and validated with them; the seed is needed.
    Open,
    /// No secret is opened and the seed is not needed.
    Sealed,
}

/// At most this many ids or names go into one statement; a longer list reads all.
const MAX_LISTED: usize = 512;
/// From this many chosen credentials on, two threads open them.
pub const TWO_THREADS_FROM: usize = 512;

/// One credential a listing visits, with what the caller chose it with.
#[derive(Debug)]
pub struct Visit<T> {
    /// What the caller chose it with.
    pub item: T,
    /// The credential.
    pub visited: Visited,
}

/// A visited credential: opened, or as summarised.
#[derive(Debug)]
pub enum Visited {
    /// With its secrets (its summary's attributes went into it).
    Opened {
        /// Its stable id.
        id: CredentialId,
        /// The credential, validated with its secrets.
        credential: Credential,
    },
    /// Its summary: secrets were not to be opened, it has none, or they
    /// must be re-entered.
    Summary(CredentialSummary),
}

/// The credentials one half of a listing visits, in the order chosen, each
/// opened as it is reached. A sealed value that does not open or a credential
/// that does not validate is an `Err`, and the visit should end there: the
/// listing reports the first error in the order chosen.
pub struct Visits<'a, T> {
    chosen: std::vec::IntoIter<(T, CredentialSummary, Sealed)>,
    /// The key, when secrets are opened.
    key: Option<&'a SealingKey>,
}

impl<T> std::fmt::Debug for Visits<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Visits")
            .field("left", &self.chosen.len())
            .field("opening", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

impl<T> Iterator for Visits<'_, T> {
    type Item = Result<Visit<T>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let (item, summary, sealed) = self.chosen.next()?;
        let visited = match self.key {
            Some(key) if openable(&summary) => match open_one(key, summary, sealed) {
                Ok(opened) => opened,
                Err(e) => return Some(Err(e)),
            },
            _ => Visited::Summary(summary),
        };
        Some(Ok(Visit { item, visited }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chosen.size_hint()
    }
}

impl<T> ExactSizeIterator for Visits<'_, T> {}

/// Whether a credential has secrets that can be opened.
fn openable(s: &CredentialSummary) -> bool {
    !s.needs_secrets && !s.secret_fields.is_empty()
}

impl Store {
    /// The summaries `narrow` names, in id order; then `choose` picks (by
    /// index, each with an item of its own) the credentials to visit, in
    /// the order to visit them, and `visit` goes through them: on one half
    /// each on two threads when [`TWO_THREADS_FROM`] or more are chosen (the
    /// half's number, 0 the first, and its visits), else on all at once (0).
    /// With [`Secrets::Open`] each visited credential that has secrets is
    /// opened from the same snapshot of the database just before `visit`
    /// reaches it, so no opened credential outlives the caller's work on it.
    /// The answer is each half's, the first error in the order chosen (of
    /// opening or of `visit`) if any. An index out of range is skipped, and
    /// one chosen again is visited at its first place only. The seed is
    /// needed only when something is to be opened.
    pub fn credentials_listed<T: Send, R: Send>(
        &mut self,
        narrow: &Narrow,
        secrets: Secrets,
        choose: impl FnOnce(&[CredentialSummary]) -> Vec<(usize, T)>,
        visit: impl Fn(usize, Visits<'_, T>) -> Result<R, Error> + Sync,
    ) -> Result<(R, Option<R>), Error> {
        // Derived before the read (it needs the store mutably) and used, or
        // its error reported, only if something is to be opened.
        let key = match secrets {
            Secrets::Open => Some(self.key()),
            Secrets::Sealed => None,
        };
        let read = self.conn.unchecked_transaction()?;
        let (summaries, sealed): (Vec<CredentialSummary>, Vec<Sealed>) =
            summaries(&read, narrow, Order::Id)?
                .into_iter()
                .map(|r| (r.summary, (r.uid, r.sealed)))
                .unzip();
        read.finish()?;
        let chosen = choose(&summaries);
        // Each chosen credential's summary and sealed rows move into its
        // visit, which opens the credential from them without a copy.
        let mut read: Vec<Option<(CredentialSummary, Sealed)>> =
            summaries.into_iter().zip(sealed).map(Some).collect();
        let chosen: Vec<(T, CredentialSummary, Sealed)> = chosen
            .into_iter()
            .filter_map(|(i, item)| {
                let (summary, sealed) = read.get_mut(i)?.take()?;
                Some((item, summary, sealed))
            })
            .collect();
        // Freeing what was not chosen is no part of the answer.
        drop_elsewhere(read);
        let key = match key {
            Some(key) if chosen.iter().any(|(_, s, _)| openable(s)) => Some(key?),
            _ => None,
        };
        // Opening and validating is CPU work of a few microseconds each, and
        // so is most callers' work on each: many are shared between this
        // thread and one more.
        let (first, second) = two_halves(chosen, |half, part| {
            visit(
                half,
                Visits {
                    chosen: part.into_iter(),
                    key: key.as_ref(),
                },
            )
        });
        // The first error in the chosen order is the one reported.
        Ok((first?, second.transpose()?))
    }
}

/// A credential with its secrets, from its summary (whose attributes go into
/// it), its uid and its sealed rows.
fn open_one(key: &SealingKey, s: CredentialSummary, (uid, rows): Sealed) -> Result<Visited, Error> {
    let mut secrets: Vec<(String, SecretString)> = Vec::with_capacity(rows.len());
    for (field, text) in rows {
        let value = open_sealed(key, &text, &credential_context(&uid, &field), || {
            format!("credential {:?} ({field})", s.name)
        })?;
        secrets.push((field, value));
    }
    match Credential::from_parts(&s.name, s.provider, s.attributes, secrets) {
        Ok(credential) => Ok(Visited::Opened {
            id: s.id,
            credential,
        }),
        Err(e) => Err(Error::InvalidStored {
            name: s.name,
            reason: e.to_string(),
        }),
    }
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
    let (first, second) = two_halves(raw, |half, part| {
        // Sized up front (a collect of Results grows by doubling), the
        // first half with room for the second.
        let room = if half == 0 {
            2 * part.len() + 1
        } else {
            part.len()
        };
        let mut out = Vec::with_capacity(room);
        for raw in part {
            out.push(raw.parse()?);
        }
        Ok::<_, Error>(out)
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
    use serde_json::{Value, json};

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

    /// The names of the summaries `narrow` reads, in the order read.
    fn names(store: &mut Store, narrow: &Narrow) -> Vec<String> {
        let mut names = Vec::new();
        store
            .credentials_listed(
                narrow,
                Secrets::Sealed,
                |summaries| {
                    names = summaries.iter().map(|s| s.name.clone()).collect();
                    Vec::<(usize, ())>::new()
                },
                |_, _| Ok(()),
            )
            .expect("listed");
        names
    }

    /// What each visit saw, in the order visited: its item, its name and
    /// its opened password, if it was opened.
    fn visited(
        store: &mut Store,
        secrets: Secrets,
        chosen: &[usize],
    ) -> Result<Vec<(usize, String, Option<Value>)>, Error> {
        let (first, second) = store.credentials_listed(
            &Narrow::All,
            secrets,
            |_| chosen.iter().map(|&i| (i, i)).collect(),
            |_, visits| {
                visits
                    .map(|v| {
                        let v = v?;
                        Ok(match v.visited {
                            Visited::Opened { credential, .. } => (
                                v.item,
                                credential.name().to_owned(),
                                Some(
                                    credential.to_api_json(
                                        nascfg_credentials::Shape::Current,
                                        nascfg_credentials::Reveal::Revealed,
                                    )["provider"]["pass"]
                                        .clone(),
                                ),
                            ),
                            Visited::Summary(s) => (v.item, s.name, None),
                        })
                    })
                    .collect::<Result<Vec<_>, Error>>()
            },
        )?;
        Ok(first
            .into_iter()
            .chain(second.into_iter().flatten())
            .collect())
    }

    /// Each narrowing reads exactly what it names, in id order, and the
    /// chosen credentials are visited in the order chosen, opened with their
    /// secrets when asked, on one thread or two alike.
    #[test]
    fn narrowed_and_opened() {
        let n = TWO_THREADS_FROM + 2;
        let (_tmp, mut store) = store_with(n);
        let all = names(&mut store, &Narrow::All);
        let expected: Vec<String> = (0..n).map(|i| format!("c{i:03}")).collect();
        assert_eq!(all, expected, "every credential, in id order");
        let id3 = store.credential_summary("c003").expect("c003").id.get();
        let c06: Vec<String> = (60..70).map(|i| format!("c{i:03}")).collect();
        for (narrow, expected) in [
            (Narrow::Ids(vec![id3, -1]), vec!["c003".to_owned()]),
            (
                Narrow::Names(vec!["c005".into(), "c001".into(), "none".into()]),
                vec!["c001".to_owned(), "c005".to_owned()],
            ),
            (Narrow::NamePrefix("c06".into()), c06),
            (Narrow::NamePrefix(String::new()), all.clone()),
            (Narrow::Ids((0..=MAX_LISTED as i64).collect()), all.clone()),
        ] {
            assert_eq!(names(&mut store, &narrow), expected, "{narrow:?}");
        }
        for chosen in [vec![2, 0, n + 5, 2], (0..n).rev().collect::<Vec<_>>()] {
            // Out of range skipped, chosen again visited once.
            let mut in_range: Vec<usize> = Vec::new();
            for &i in &chosen {
                if i < n && !in_range.contains(&i) {
                    in_range.push(i);
                }
            }
            let opened = visited(&mut store, Secrets::Open, &chosen).expect("opened");
            let expected: Vec<(usize, String, Option<Value>)> = in_range
                .iter()
                .map(|&i| (i, format!("c{i:03}"), Some(json!(format!("p{i}")))))
                .collect();
            assert_eq!(opened, expected, "opened, in the order chosen");
            let sealed = visited(&mut store, Secrets::Sealed, &chosen).expect("sealed");
            let expected: Vec<(usize, String, Option<Value>)> =
                expected.into_iter().map(|(i, n, _)| (i, n, None)).collect();
            assert_eq!(sealed, expected, "visited without opening");
        }
    }

    /// A sealed value that does not open is an error naming its credential:
    /// the first in the order chosen, whichever half it is in, and only
    /// when secrets are opened.
    #[test]
    fn first_error_in_the_order_chosen() {
        let n = TWO_THREADS_FROM + 2;
        let (_tmp, mut store) = store_with(n);
        store
            .conn
            .execute(
                "UPDATE credential_secret SET sealed = 'damaged' WHERE credential_id IN
                 (SELECT id FROM credential WHERE name IN ('c001', 'c500'))",
                [],
            )
            .expect("damaged");
        for (chosen, named) in [
            ((0..n).collect::<Vec<_>>(), "c001"),
            ((0..n).rev().collect(), "c500"),
            (vec![500, 1], "c500"),
        ] {
            let e = visited(&mut store, Secrets::Open, &chosen).expect_err("damaged");
            assert!(
                e.to_string().contains(&format!("{named:?}")),
                "{named}: {e}"
            );
            assert_eq!(
                visited(&mut store, Secrets::Sealed, &chosen)
                    .expect("nothing opened")
                    .len(),
                n.min(chosen.len())
            );
        }
    }
}
