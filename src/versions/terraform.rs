//! Terraform versions and constraints (hashicorp/go-version).
