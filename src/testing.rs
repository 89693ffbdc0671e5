//! What the integration tests and fuzz targets reach inside uptick, exposed on purpose and only
//! for them (not an API): the parsers of untrusted input, the package source registrations, the
//! one write helper. Paths mirror the modules (`testing::packages::go::check_path`).

/// `fsutil`: the one write-then-rename helper.
pub mod fsutil {
    pub use crate::fsutil::write_file;
}

/// `net`: the `Link` header parser.
pub mod net {
    pub use crate::net::next_link;
}

/// `registry`: references, tags, `WWW-Authenticate` challenges.
pub mod registry {
    pub use crate::registry::{Reference, Repository};
    /// Challenges.
    pub mod auth {
        pub use crate::registry::auth::parse_challenge;
    }
    /// Tags.
    pub mod reference {
        pub use crate::registry::reference::validate_tag;
    }
}

/// `image`: cosign's Rekor bundle parser (keyless signatures).
pub mod image {
    pub use crate::image::keyless::fuzz_bundle;
}

/// `packages`: the registrations and decoder, tag versions, the parsers fuzzed.
pub mod packages {
    pub use crate::packages::{
        common_fields, decode, is_package_source, tag_version, PackageSource, Registration, SOURCES,
    };
    /// apt's Release file readers.
    pub mod apt {
        pub use crate::packages::apt::fuzz_release;
    }
    /// Go module paths.
    pub mod go {
        pub use crate::packages::go::{check_path, escape_version, split_path_version};
    }
    /// OpenPGP keys and signatures.
    pub mod openpgp {
        pub use crate::packages::openpgp::{keys, verify_clear_signed, verify_detached, Key};
    }
}

/// `versions`: every ecosystem's versions and constraints.
pub mod versions {
    pub use crate::versions::{apk, dpkg, go, maven, natural_cmp, npm, pep440, semver};
}
