//! The content digest computed three ways agrees: streamed from the store
//! (what export records), from the store's view in memory, and from the
//! exported bundle's view; a diff of a store with its own bundle is empty.

use nascfg_bundle::{Configuration, ExportOptions, content_digest, diff, export};
use nascfg_credentials::ProviderKind;
use nascfg_store::{DataDir, Store};

use crate::support::populate;

#[test]
fn the_three_digests_agree() {
    // (provider count, key pairs): empty, small, every provider with a key pair.
    for (creds, keypairs) in [(0usize, 0usize), (3, 0), (ProviderKind::ALL.len(), 2)] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path().join("data"));
        let specs: Vec<(usize, String)> = (0..creds).map(|i| (i, format!("s{i}"))).collect();
        populate(&dir, &specs, keypairs);
        let store = Store::open(&dir).unwrap();
        let streamed = content_digest(&store)
            .unwrap()
            .expect("the box's seed opens all");
        let view = Configuration::from_store(&store).unwrap();
        assert_eq!(view.content_digest().as_deref(), Some(streamed.as_str()));

        let out = tmp.path().join("b.tar.gz");
        let plain = export(
            &store,
            &tmp.path().join("plain.tar.gz"),
            &ExportOptions::default(),
        );
        assert_eq!(
            plain.unwrap().manifest.content_sha256,
            None,
            "only when asked"
        );
        let options = ExportOptions {
            content_digest: true,
            ..ExportOptions::default()
        };
        let report = export(&store, &out, &options).unwrap();
        assert_eq!(
            report.manifest.content_sha256.as_deref(),
            Some(streamed.as_str())
        );
        let bundle = Configuration::from_bundle(
            &out,
            &nascfg_bundle::UnlockWith::none(),
            Some(store.seed().unwrap()),
        )
        .unwrap();
        assert_eq!(bundle.content_digest().as_deref(), Some(streamed.as_str()));
        assert!(diff(&bundle, &view).is_empty(), "{creds} credentials");

        // Without the seed that sealed them, the bundle's secrets stay sealed:
        // no digest, but the diff against itself by sealed text is still empty.
        let sealed =
            Configuration::from_bundle(&out, &nascfg_bundle::UnlockWith::none(), None).unwrap();
        assert_eq!(sealed.content_digest().is_none(), !sealed.secrets_opened());
        assert!(diff(&sealed, &bundle).is_empty());
    }
}
