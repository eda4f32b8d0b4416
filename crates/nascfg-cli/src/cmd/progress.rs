//! Progress on standard error: a bar for one transfer ([`Bar`]), and the
//! bars of a nascfg-backup operation's transfers ([`Bars`]).

use std::cell::RefCell;
use std::io::IsTerminal;

use nascfg_backup::{Progress, Transfer};

use crate::cli::Cli;

/// A progress bar on standard error, only when it is a terminal and not --quiet.
pub(crate) struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    pub(crate) fn new(cli: &Cli, what: &str) -> Bar {
        if cli.quiet || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = indicatif::ProgressBar::hidden();
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_owned());
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        Bar(Some(bar))
    }

    pub(crate) fn update(&self, done: u64, total: u64) {
        if let Some(bar) = &self.0 {
            if bar.length() != Some(total) {
                bar.set_length(total);
            }
            bar.set_position(done);
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// The progress bar of each transfer, on standard error (see [`Bar`]).
pub(crate) struct Bars<'a> {
    cli: &'a Cli,
    bar: RefCell<Option<Bar>>,
}

impl<'a> Bars<'a> {
    pub(crate) fn new(cli: &'a Cli) -> Bars<'a> {
        Bars {
            cli,
            bar: RefCell::new(None),
        }
    }
}

impl Progress for Bars<'_> {
    fn start(&self, transfer: Transfer) {
        *self.bar.borrow_mut() = Some(Bar::new(self.cli, transfer.label()));
    }
    fn advance(&self, done: u64, total: u64) {
        if let Some(bar) = self.bar.borrow().as_ref() {
            bar.update(done, total);
        }
    }
    fn finish(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish();
        }
    }
}
