//! Integration tests: the real `check` / `in` binaries against real registries on loopback.

#![allow(clippy::unwrap_used)]

mod support;

mod apk_trust;
mod apt_trust;
mod bad_input;
mod bounds;
mod check;
mod cloud;
mod credentials;
mod discover;
mod distro;
mod distro_packages;
mod docs;
mod download;
mod escape;
mod freshness;
mod gem;
mod get;
mod gitlab;
mod go;
mod helm;
mod hostile;
mod keyless;
mod maven;
mod ondisk;
mod origins;
mod packages;
mod proxies;
mod put;
mod referrers;
mod retries;
mod schema;
mod sign;
mod terraform;
mod tools;
mod updates;
mod upgrades_index;
mod version_rules;
