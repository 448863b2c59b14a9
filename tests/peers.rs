//! Smoke tests of every peer tool.
