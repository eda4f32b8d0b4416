//! Support for the end-to-end tests in `it/`: running the `nascfg` binary on
//! throwaway data directories, the reference `age` tool, and real servers
//! (sshd, vsftpd, nginx, Azurite, s3s) and cloud-API stand-ins on loopback,
//! and the reference SLIP-39 implementation in python.

pub mod age_tool;
pub mod cli;
pub mod python;
pub mod servers;
pub mod standins;
