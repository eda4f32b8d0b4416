//! Drives the reference `age` tool (Debian package `age`) non-interactively.
