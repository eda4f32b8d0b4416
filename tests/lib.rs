//! Support for the end-to-end tests in `it/`: running the `nascfg` binary on
//! throwaway data directories, the reference `age` tool, and real servers
//! (sshd, vsftpd, nginx, Azurite, s3s) and cloud-API stand-ins on loopback.

pub mod age_tool;
pub mod cli;
pub mod servers;
pub mod standins;
