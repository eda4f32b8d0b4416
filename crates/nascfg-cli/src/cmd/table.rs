//! Aligned columns on standard output, for the listing commands.

use crate::cli::Cli;

/// A listing's rows as aligned columns, or, when there is nothing to list,
/// `empty` (which says how to make the first one; nothing under `--quiet`).
pub fn print_listing<T, const N: usize>(
    cli: &Cli,
    items: &[T],
    empty: &str,
    header: &[&str; N],
    row: impl Fn(&T) -> [String; N],
) {
    if items.is_empty() {
        if !cli.quiet {
            println!("{empty}");
        }
        return;
    }
    let rows: Vec<[String; N]> = items.iter().map(row).collect();
    print_table(header, &rows);
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
