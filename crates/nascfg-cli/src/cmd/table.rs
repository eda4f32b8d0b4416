//! Aligned columns on standard output, for the listing commands.

use crate::cli::Cli;

/// How a listing command shows its items as a table.
pub struct Listing<T, const N: usize> {
    /// What to say when there is nothing to list: how to make the first one.
    pub empty: &'static str,
    /// The columns' names.
    pub header: [&'static str; N],
    /// One item's columns.
    pub row: fn(&T) -> [String; N],
}

impl<T, const N: usize> Listing<T, N> {
    /// The items as aligned columns, or, when there are none, `empty`
    /// (nothing under `--quiet`).
    pub fn print(&self, cli: &Cli, items: &[T]) {
        if items.is_empty() {
            if !cli.quiet {
                println!("{}", self.empty);
            }
            return;
        }
        let rows: Vec<[String; N]> = items.iter().map(self.row).collect();
        print_table(&self.header, &rows);
    }

    /// With `--json`, the items as a JSON array of `json`'s values; else [`Listing::print`].
    pub fn print_or_json(
        &self,
        cli: &Cli,
        items: &[T],
        json: impl Fn(&T) -> serde_json::Value,
    ) -> anyhow::Result<()> {
        if cli.json {
            return crate::output::print_json(&serde_json::Value::Array(
                items.iter().map(json).collect(),
            ));
        }
        self.print(cli, items);
        Ok(())
    }
}

/// The note a listing shows beside an item that lost its secrets in a
/// restore without the seed.
pub fn lost_note(needs_secrets: bool, note: &str) -> String {
    if needs_secrets {
        note.to_owned()
    } else {
        String::new()
    }
}

/// Prints aligned columns; the last column is not padded.
fn print_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = out.write_all(table(header, rows).as_bytes());
    let _ = out.flush();
}

/// Left-aligned columns two spaces apart, a line each (the header first);
/// the last column is not padded, no line ends in spaces.
pub fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == N {
                l.push_str(cell);
            } else {
                l.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}
