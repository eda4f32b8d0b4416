//! docs/PROVIDERS.md is rendered from the catalog; this test keeps it in step.
//! `UPDATE_DOCS=1 cargo test -p nascfg-credentials --test it docs` rewrites it.

use std::fmt::Write as _;
use std::path::Path;

use nascfg_credentials::{FieldSpec, ProviderKind};
use serde_json::Value;

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn default_text(f: &FieldSpec) -> String {
    match f.default() {
        None => "—".to_owned(),
        Some(Value::String(s)) if s.is_empty() => "`\"\"`".to_owned(),
        Some(v) => format!("`{v}`"),
    }
}

fn required_text(f: &FieldSpec) -> &'static str {
    match (f.required(), f.empty_allowed()) {
        (true, false) => "yes",
        (true, true) => "yes (may be empty)",
        (false, _) => "no",
    }
}

fn constraints(f: &FieldSpec) -> String {
    if let Some(allowed) = f.allowed_values() {
        let list = allowed
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if f.kind().name().ends_with("-or-null") {
            return format!("`null`, {list} (any case)");
        }
        return format!("{list} (any case)");
    }
    if let Some(allowed) = f.allowed_integers() {
        let list = allowed
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        return format!("`null`, {list}");
    }
    if let Some((min, max)) = f.integer_range() {
        return format!("{min}–{max}");
    }
    String::new()
}

/// The whole catalog as markdown.
pub fn render() -> String {
    let mut md = String::new();
    md.push_str("# Providers\n\n");
    md.push_str(
        "<!-- Generated from the catalog in crates/nascfg-credentials/src/provider.rs; do not edit.\n     \
         Regenerate with: UPDATE_DOCS=1 cargo test -p nascfg-credentials --test it docs -->\n\n",
    );
    md.push_str(
        "The 18 cloud providers nascfg knows, with the TrueNAS type strings and attribute names.\n\
         Secret fields are sealed at rest and shown as `********` unless revealed.\n\
         `nascfg providers` and `nascfg providers show TYPE [--json]` print the same catalog.\n\n",
    );
    md.push_str("| Type | Title | OAuth login |\n|---|---|---|\n");
    for k in ProviderKind::ALL {
        let _ = writeln!(
            md,
            "| `{}` | {} | {} |",
            k.type_str(),
            k.title(),
            if k.oauth_login() { "yes" } else { "no" }
        );
    }
    for k in ProviderKind::ALL {
        let spec = k.spec();
        let _ = writeln!(md, "\n## {} (`{}`)\n", spec.title(), spec.type_str());
        md.push_str("| Field | Label | Kind | Required | Default | Secret | Allowed |\n|---|---|---|---|---|---|---|\n");
        for f in spec.fields() {
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} | {} | {} | {} |",
                f.name(),
                cell(f.label()),
                f.kind().name(),
                required_text(f),
                default_text(f),
                if f.secret() { "yes" } else { "no" },
                cell(&constraints(f)),
            );
        }
        md.push('\n');
        for f in spec.fields() {
            let _ = writeln!(md, "- `{}`: {}", f.name(), f.help());
        }
    }
    md
}

#[test]
fn providers_md_is_generated_from_the_catalog() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/PROVIDERS.md");
    let rendered = render();
    if std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == rendered,
        "docs/PROVIDERS.md is out of date with the catalog; regenerate it with \
         UPDATE_DOCS=1 cargo test -p nascfg-credentials --test it docs"
    );
}
