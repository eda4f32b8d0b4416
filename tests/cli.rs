//! Runs the `nascfg` binary on a throwaway data directory.
