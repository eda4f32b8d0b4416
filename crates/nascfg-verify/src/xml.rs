//! Reading the XML answers of S3 and Azure Blob (ListBuckets, List Containers, `<Error>` bodies) with
//! roxmltree: a read-only tree, DTDs refused (no entity expansion), names matched without their
//! namespace. A body that is not well-formed XML has no elements.

/// The local name of the root element, or none when `body` is not XML.
pub(crate) fn root_name(body: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(body.trim()).ok()?;
    Some(doc.root_element().tag_name().name().to_owned())
}

/// The trimmed text of the first element named `tag` (local name, at any depth), or none when
/// `body` is not XML or has no such element. `<Code/>` answers an empty text.
pub(crate) fn element_text(body: &str, tag: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(body.trim()).ok()?;
    let element = doc
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == tag)?;
    let text: String = element
        .children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    Some(text.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_of_error_bodies() {
        let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Error><Code>AccessDenied</Code><Message> no &amp; never </Message><Empty/></Error>";
        let check = |tag: &str, expected: Option<&str>| {
            assert_eq!(element_text(body, tag).as_deref(), expected, "{tag}")
        };
        check("Code", Some("AccessDenied"));
        check("Message", Some("no & never"));
        check("Empty", Some(""));
        check("Other", None);
        assert_eq!(root_name(body).as_deref(), Some("Error"));
    }

    #[test]
    fn names_match_without_namespace() {
        let body = r#"<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>x</ID></Owner></ListAllMyBucketsResult>"#;
        assert_eq!(root_name(body).as_deref(), Some("ListAllMyBucketsResult"));
        assert_eq!(element_text(body, "ID").as_deref(), Some("x"));
    }

    #[test]
    fn what_is_not_xml_has_no_elements() {
        for body in [
            "",
            "ListAllMyBucketsResult",
            "<html><body>ListAllMyBucketsResult",
            r#"{"Code": "x"}"#,
            // A DTD is refused, so no entity is ever expanded.
            "<!DOCTYPE e [<!ENTITY a \"aaaa\">]><Error><Code>&a;</Code></Error>",
        ] {
            assert_eq!(root_name(body), None, "{body}");
            assert_eq!(element_text(body, "Code"), None, "{body}");
        }
    }
}
