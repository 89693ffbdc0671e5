//! What refers to an image (cosign `.sig`/`.att`/`.sbom` tags, OCI 1.1 referrers), carried along a promotion.
